#!/bin/bash
# t_install.sh -- make install (into a DESTDIR) puts in place what running
# dnsd as a service needs: the programs, the man pages, the systemd unit
# and sysusers.d entry (where configure put them), and a first
# /etc/dnsd/dnsd.conf, never over one that is there; make uninstall keeps
# a configuration that was changed.
. "$(dirname "$0")/lib.sh"

[ -f "$BUILDDIR/Makefile" ] || hard_error "no $BUILDDIR/Makefile"
# A make of its own, not a part of the `make check` that runs this test.
MAKE_CLEAN=(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make -s --no-print-directory)
var() { "${MAKE_CLEAN[@]}" -C "$BUILDDIR" -f Makefile -f - print-var VAR="$1" <<'MK'
print-var:
	@echo '$($(VAR))'
MK
}
D=$WORK/dest
install_it() { "${MAKE_CLEAN[@]}" -C "$BUILDDIR" install DESTDIR="$D" >"$WORK/install.log" 2>&1; }

sbindir=$(var sbindir)
bindir=$(var bindir)
sysconfdir=$(var sysconfdir)
mandir=$(var mandir)
unitdir=$(var systemdsystemunitdir)
sysusersdir=$(var sysusersdir)
[ -n "$sbindir" ] && [ -n "$sysconfdir" ] || hard_error "cannot read the install folders from the Makefile"

install_it || { cat "$WORK/install.log" >&2; fail "make install DESTDIR=... failed"; }
ok "make install into a DESTDIR"
for f in "$sbindir/dnsd" "$sbindir/dnsdctl" "$bindir/dnsd-update" "$bindir/dnsd-resolve"; do
	[ -x "$D$f" ] && ok "installed $f" || not_ok "missing $f"
done
for f in man8/dnsd.8 man5/dnsd.conf.5 man8/dnsdctl.8 man1/dnsd-update.1; do
	[ -f "$D$mandir/$f" ] && ok "installed $mandir/$f" || not_ok "missing $mandir/$f"
done
cmp -s "$D$sysconfdir/dnsd/dnsd.conf" "$SRCDIR/system/dnsd.conf" &&
	ok "installed $sysconfdir/dnsd/dnsd.conf (the first configuration)" || not_ok "no $sysconfdir/dnsd/dnsd.conf"
if [ "$unitdir" = no ]; then
	note "configured --without-systemdsystemunitdir: no unit to look for"
else
	[ -f "$D$unitdir/dnsd.service" ] && ok "installed $unitdir/dnsd.service" || not_ok "no $unitdir/dnsd.service"
	grep -qx "ExecStart=$sbindir/dnsd -f -c $sysconfdir/dnsd/dnsd.conf" "$D$unitdir/dnsd.service" &&
		ok "the unit starts the installed dnsd with the installed configuration" ||
		not_ok "ExecStart: $(grep ExecStart "$D$unitdir/dnsd.service")"
	grep -q '^u dnsd ' "$D$sysusersdir/dnsd.conf" && ok "installed $sysusersdir/dnsd.conf (user dnsd)" ||
		not_ok "no sysusers.d entry in $sysusersdir"
fi

note "dnsd-client.pc: its header shows c-ares, so c-ares comes with it"
libdir=$(var libdir)
includedir=$(var includedir)
pc=$D$libdir/pkgconfig/dnsd-client.pc
grep -qx 'Requires: libcares' "$pc" && ok "dnsd-client.pc: Requires: libcares" || not_ok "$pc: $(grep Requires "$pc")"
# A program that uses the channel type of the public header and calls
# c-ares itself builds with nothing but what pkg-config gives.
cat >"$WORK/use.c" <<'C'
#include <ares.h>
#include <dnsd-client.h>
int main(void)
{
	ares_channel ch;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS || ares_init(&ch) != ARES_SUCCESS)
		return 1;
	ares_destroy(ch);
	ares_library_cleanup();
	return dnsd_client_strerror(0) == NULL;
}
C
flags=$(PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_PATH=$D$libdir/pkgconfig pkg-config --cflags --libs dnsd-client)
# The build's compiler and flags: a sanitizer build's library needs them.
cc=$(var CC)
cflags=$(var CFLAGS)
ldflags=$(var LDFLAGS)
if $cc $cflags -o "$WORK/use" "$WORK/use.c" $flags $ldflags \
	-Wl,--no-copy-dt-needed-entries,-rpath,"$D$libdir" 2>"$WORK/cc.err" &&
	"$WORK/use"; then
	ok "a program using ares_channel builds and runs with pkg-config --cflags --libs dnsd-client"
else
	sed 's/^/    | /' "$WORK/cc.err" >&2
	not_ok "building against dnsd-client.pc failed (flags: $flags)"
fi

note "a second install keeps a changed configuration"
echo "# changed by the administrator" >>"$D$sysconfdir/dnsd/dnsd.conf"
install_it || fail "second make install failed"
grep -q 'changed by the administrator' "$D$sysconfdir/dnsd/dnsd.conf" &&
	ok "make install did not overwrite the changed configuration" || not_ok "the configuration was overwritten"
"${MAKE_CLEAN[@]}" -C "$BUILDDIR" uninstall DESTDIR="$D" >"$WORK/uninstall.log" 2>&1 || fail "make uninstall failed"
[ ! -e "$D$sbindir/dnsd" ] && ok "make uninstall removes dnsd" || not_ok "dnsd left after uninstall"
[ -f "$D$sysconfdir/dnsd/dnsd.conf" ] && ok "make uninstall keeps the changed configuration" ||
	not_ok "uninstall removed a changed configuration"
rm -f "$D$sysconfdir/dnsd/dnsd.conf"
install_it && "${MAKE_CLEAN[@]}" -C "$BUILDDIR" uninstall DESTDIR="$D" >/dev/null 2>&1
[ ! -e "$D$sysconfdir/dnsd/dnsd.conf" ] && ok "make uninstall removes an unchanged configuration" ||
	not_ok "an unchanged configuration was left"
done_ok
