#!/bin/bash
# t_lint.sh -- the include rules of STYLE.md: only dnsd/store/ includes
# <lmdb.h> (searched in dnsd/, tools/, client/ and tests/); no LMDB name
# (MDB_...) appears in store.h; wire/ and tsig/ include only wire/, tsig/
# and util/ headers (and system ones), never a server module. Each check
# first proves on a planted violation that it can fail.
. "$(dirname "$0")/lib.sh"

# An #include line; the header name is what follows.
INC='^[[:space:]]*#[[:space:]]*include[[:space:]]*'

# lmdb_users ROOT: files under ROOT's dnsd/ tools/ client/ tests/ that
# include lmdb.h, except those in dnsd/store/.
lmdb_users() {
	local root=$1 d dirs=()
	for d in dnsd tools client tests; do
		[ -d "$root/$d" ] && dirs+=("$root/$d")
	done
	[ ${#dirs[@]} -gt 0 ] || return 0
	grep -rIlE "$INC[<\"]lmdb\.h[>\"]" "${dirs[@]}" | grep -v "^$root/dnsd/store/"
	return 0
}

# store_h_lmdb ROOT: lines of store.h naming LMDB (MDB_ types and
# constants, or including lmdb.h).
store_h_lmdb() {
	grep -nE "MDB_|$INC[<\"]lmdb\.h[>\"]" "$1/dnsd/store/store.h"
	return 0
}

# wire_tsig_includes ROOT: includes in dnsd/wire/ and dnsd/tsig/ of
# anything but config.h, wire/, tsig/, util/ or a system header (a
# system-style include naming a dnsd module folder counts as a module).
wire_tsig_includes() {
	local root=$1 mods m
	mods=$(for m in "$root"/dnsd/*/; do basename "$m"; done | grep -vxE 'wire|tsig|util' | paste -sd '|')
	grep -HnE "$INC" "$root"/dnsd/wire/*.[ch] "$root"/dnsd/tsig/*.[ch] |
		grep -vE "${INC#^}\"(config\.h|(wire|tsig|util)/[^\"]+)\"" |
		grep -E "${INC#^}(\"|<($mods)/)"
	return 0
}

# ---- each check catches a planted violation -----------------------------------
note "the checks detect violations"
P=$WORK/planted
mkdir -p "$P/dnsd/store" "$P/dnsd/wire" "$P/dnsd/tsig" "$P/dnsd/zone" "$P/dnsd/util" "$P/tools"
printf '#include <lmdb.h>\n' >"$P/dnsd/store/store.c"
printf '#include "config.h"\n# include <lmdb.h>\n' >"$P/tools/ctl-x.c"
printf '/* store.h */\nstruct store { MDB_env *env; };\n' >"$P/dnsd/store/store.h"
printf '#include <string.h>\n#include "util/err.h"\n#include "wire/wire.h"\n#include "zone/zone.h"\n' >"$P/dnsd/wire/wire.c"
printf '#include "tsig/tsig.h"\n#include <zone/zone.h>\n#include "../store/store.h"\n' >"$P/dnsd/tsig/tsig.c"
printf '#include <openssl/evp.h>\n' >"$P/dnsd/tsig/tsig.h"

got=$(lmdb_users "$P")
[ "$got" = "$P/tools/ctl-x.c" ] || fail "lmdb check: found '$got' in the planted tree, expected tools/ctl-x.c only"
ok "lmdb check: flags a tool including <lmdb.h>, not store/"
got=$(store_h_lmdb "$P")
[ "$(grep -c . <<<"$got")" = 1 ] || fail "store.h check: found '$got' in the planted store.h"
ok "store.h check: flags an MDB_ type"
got=$(wire_tsig_includes "$P")
n=$(grep -c . <<<"$got")
[ "$n" = 3 ] && grep -q 'wire.c:4:' <<<"$got" && grep -q 'tsig.c:2:' <<<"$got" && grep -q 'tsig.c:3:' <<<"$got" ||
	fail "wire/tsig check: found '$got' in the planted tree, expected wire.c:4, tsig.c:2 and tsig.c:3"
ok "wire/tsig check: flags zone/ and store/ headers, allows wire/, tsig/, util/ and system headers"

# ---- the tree ----------------------------------------------------------------
note "the source tree at $SRCDIR"
[ -f "$SRCDIR/dnsd/store/store.h" ] || hard_error "no dnsd/store/store.h under $SRCDIR"
grep -qE "$INC<lmdb\.h>" "$SRCDIR/dnsd/store/store.c" || hard_error "store.c does not include <lmdb.h>: is the pattern broken?"

got=$(lmdb_users "$SRCDIR")
if [ -n "$got" ]; then
	not_ok "only dnsd/store/ includes <lmdb.h>; also:"
	sed 's/^/    | /' <<<"$got" >&2
else
	ok "only dnsd/store/ includes <lmdb.h>"
fi

got=$(store_h_lmdb "$SRCDIR")
if [ -n "$got" ]; then
	not_ok "store.h names LMDB:"
	sed 's/^/    | /' <<<"$got" >&2
else
	ok "no LMDB name (MDB_) in store.h"
fi

got=$(wire_tsig_includes "$SRCDIR")
if [ -n "$got" ]; then
	not_ok "wire/ and tsig/ include server modules:"
	sed 's/^/    | /' <<<"$got" >&2
else
	ok "wire/ and tsig/ include only wire/, tsig/, util/ and system headers"
fi

done_ok
