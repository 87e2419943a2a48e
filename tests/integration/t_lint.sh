#!/bin/bash
# t_lint.sh -- the include rules of STYLE.md: only dnsd/store/ includes
# <lmdb.h> (searched in dnsd/, tools/, client/ and tests/); no LMDB name
# (MDB_...) appears in store.h; wire/ and tsig/ include only wire/, tsig/
# and util/ headers (and system ones), never a server module; every
# module of dnsd/ has a rank and includes only modules of lower rank (so
# the include graph has no cycle and nothing below net/server.c knows the
# server); every file of dnsd/ opens with a line saying what it owns and
# has at most 800 lines. Each check first proves on a planted violation
# that it can fail.
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

# The module order. A module may include only modules of lower rank, or
# headers of its own folder of the same rank. "dir/stem" names one file
# pair (dir/stem.c and dir/stem.h), "dir/*" the rest of a folder. A new
# module needs a line here: that is where its place in the order is decided.
RANKS='
util/* 0
stats/* 2
cookie/* 2
rrl/* 2
wire/* 1
tsig/* 2
node/* 2
svc/svc 2
conf/* 3
store/* 3
etcd/* 3
cluster/layout 3
keyring/* 4
reply/* 5
zone/* 5
query/qcache 5
query/* 6
svc/* 6
update/* 7
cluster/mirror 7
cluster/ops 7
xfr/* 7
runtime/* 8
net/peer 9
net/sock 9
net/admit 10
writer/* 10
notify/* 10
cluster/* 10
forward/* 10
check/* 10
net/udp 11
net/tcp 11
net/tcp-int 11
net/tcp-xfr 11
http/* 11
net/server 12
main 13
'

# rank_of MODULE: the rank of "dir/stem" (or "main"), empty if none.
rank_of() {
	local r
	r=$(awk -v k="$1" '$1 == k { print $2; exit }' <<<"$RANKS")
	[ -n "$r" ] || r=$(awk -v k="${1%/*}/*" '$1 == k { print $2; exit }' <<<"$RANKS")
	echo "$r"
}

# back_edges ROOT: "file: includes X (rank a >= b)" for every include in
# ROOT/dnsd of a module that is not below the including file's, and
# "file: no rank" for files of a module the table does not know.
back_edges() {
	local root=$1 f rel mod r inc ri
	while IFS= read -r f; do
		rel=${f#"$root"/dnsd/}
		mod=${rel%.[ch]}
		r=$(rank_of "$mod")
		if [ -z "$r" ]; then
			echo "$rel: no rank (add the module to RANKS in t_lint.sh)"
			continue
		fi
		for inc in $(grep -oE "$INC\"[a-z]+/[a-z_-]+\.h\"" "$f" | grep -oE '[a-z]+/[a-z_-]+\.h'); do
			ri=$(rank_of "${inc%.h}")
			[ -n "$ri" ] || { echo "$rel: includes $inc, a module without a rank"; continue; }
			[ "$ri" -lt "$r" ] && continue
			[ "$ri" -eq "$r" ] && [ "${inc%%/*}" = "${rel%%/*}" ] && continue
			echo "$rel: includes $inc (rank $ri, not below its own $r)"
		done
	done < <(find "$root/dnsd" -name '*.[ch]' | sort)
	return 0
}

# file_shape ROOT: files of ROOT/dnsd that do not open with "/* NAME --"
# or that have more than 800 lines.
file_shape() {
	local root=$1 f n
	while IFS= read -r f; do
		head -n 1 "$f" | grep -qE "^/\* $(basename "$f") -- " ||
			echo "${f#"$root"/}: the first line does not say what the file owns"
		n=$(wc -l <"$f")
		[ "$n" -le 800 ] || echo "${f#"$root"/}: $n lines, more than 800"
	done < <(find "$root/dnsd" -name '*.[ch]' | sort)
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

R=$WORK/ranked
mkdir -p "$R/dnsd/writer" "$R/dnsd/net" "$R/dnsd/query" "$R/dnsd/gadget"
printf '/* writer.c -- x */\n#include "net/server.h"\n#include "query/query.h"\n#include "util/log.h"\n' >"$R/dnsd/writer/writer.c"
printf '/* peer.c -- x */\n#include "net/udp.h"\n#include "conf/conf.h"\n' >"$R/dnsd/net/peer.c"
printf '/* udp.c -- x */\n#include "net/peer.h"\n#include "query/qcache.h"\n' >"$R/dnsd/net/udp.c"
printf '/* query.c -- x */\n#include "query/qcache.h"\n#include "query/query.h"\n' >"$R/dnsd/query/query.c"
printf '/* gadget.c -- x */\n' >"$R/dnsd/gadget/gadget.c"
got=$(back_edges "$R")
[ "$(grep -c . <<<"$got")" = 3 ] && grep -q '^writer/writer.c: includes net/server.h' <<<"$got" &&
	grep -q '^net/peer.c: includes net/udp.h' <<<"$got" && grep -q '^gadget/gadget.c: no rank' <<<"$got" ||
	fail "rank check: found '$got' in the planted tree, expected writer.c -> net/server.h, peer.c -> net/udp.h and gadget.c"
ok "rank check: flags an include of a higher module (also inside net/) and a module without a rank"

S=$WORK/shaped
mkdir -p "$S/dnsd/a"
printf '/* a.c -- what it owns */\n' >"$S/dnsd/a/a.c"
printf '/* a.h: no dashes */\n' >"$S/dnsd/a/a.h"
{ printf '/* big.c -- long */\n'; seq 800; } >"$S/dnsd/a/big.c"
got=$(file_shape "$S")
[ "$(grep -c . <<<"$got")" = 2 ] && grep -q 'dnsd/a/a.h: the first line' <<<"$got" &&
	grep -q 'dnsd/a/big.c: 801 lines' <<<"$got" ||
	fail "shape check: found '$got' in the planted tree, expected a.h's first line and big.c's length"
ok "shape check: flags a missing opening line and a file over 800 lines"

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

got=$(back_edges "$SRCDIR")
if [ -n "$got" ]; then
	not_ok "every module includes only modules below it:"
	sed 's/^/    | /' <<<"$got" >&2
else
	ok "every module of dnsd/ has a rank and includes only modules below it"
fi

got=$(file_shape "$SRCDIR")
if [ -n "$got" ]; then
	not_ok "files of dnsd/ say what they own in 800 lines or less:"
	sed 's/^/    | /' <<<"$got" >&2
else
	ok "every file of dnsd/ opens with what it owns and has at most 800 lines"
fi

done_ok
