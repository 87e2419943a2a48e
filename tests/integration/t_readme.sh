#!/bin/bash
# t_readme.sh -- the README's first screen works as written: the example
# configuration that `quickstart run` serves starts as a normal user (no
# root, no ::1, no /var/lib), and the three lines for the second terminal
# register api-2 and dig finds it next to api-1. The README's nsupdate
# lines mean the same piped into dnsd-update. Commands are taken from the
# README itself; only the port is changed (5300 may be taken here).
. "$(dirname "$0")/lib.sh"

need_tool dig
README=$SRCDIR/README.md
QS=$SRCDIR/tools/quickstart

# block N AFTER: the Nth ``` block after the first line matching AFTER.
block() {
	awk -v n="$1" -v after="$2" '
		!seen && index($0, after) { seen = 1; next }
		seen && /^```/ { if (inb) { inb = 0; if (++k == n) exit; next } inb = 1; next }
		seen && inb && k == n - 1 { print }' "$README"
}

note "quickstart run serves zones/dnsd.conf as the README says"
grep -q 'exec ./build/dnsd/dnsd -f -c zones/dnsd.conf' "$QS" && ok "quickstart run: dnsd -f -c zones/dnsd.conf" ||
	fail "quickstart run no longer runs dnsd -f -c zones/dnsd.conf: update this test and the README"
first=$(block 1 '# dnsd')
grep -q 'sh tools/quickstart check' <<<"$first" && grep -q 'sh tools/quickstart run' <<<"$first" &&
	[ "$(grep -n 'quickstart check' <<<"$first" | cut -d: -f1)" -lt "$(grep -n 'quickstart run' <<<"$first" | cut -d: -f1)" ] &&
	ok "the first block gives check, then run" || not_ok "the first block: $first"
SECOND=$(block 1 'In a second terminal')
[ "$(grep -c . <<<"$SECOND")" = 3 ] && ok "three lines for the second terminal" ||
	not_ok "the second terminal's block has $(grep -c . <<<"$SECOND") lines"
KEYSECRET=$(sed -n 's/^KEY=hmac-sha256:registrar:\([^ ]*\).*/\1/p' <<<"$SECOND")
grep -q "secret \"$KEYSECRET\"" "$SRCDIR/zones/dnsd.conf" && ok "the README's key is the one in zones/dnsd.conf" ||
	not_ok "the README's key is not in zones/dnsd.conf"
grep -qE 'register web |register web-' <<<"$SECOND" && not_ok "the example registers web, a host name of the zone" ||
	ok "the example does not register web"

note "the example configuration, as a normal user"
PORT=$(pick_port) || hard_error "no free port"
HPORT=$(pick_port) || hard_error "no free port"
cp -r "$SRCDIR/zones" "$WORK/zones"
rm -rf "$WORK/zones/state"
sed -i -e "s/5300/$PORT/" -e "s/@8500/@$HPORT/" "$WORK/zones/dnsd.conf"
grep -q '::1' "$WORK/zones/dnsd.conf" && grep -v '^#' "$WORK/zones/dnsd.conf" | grep -q '::1' &&
	not_ok "the example listens on ::1" || ok "the example needs no ::1"
grep -vE '^\s*#' "$WORK/zones/dnsd.conf" | grep -qw notify && not_ok "the example notifies someone" ||
	ok "the example notifies no one"
RUNAS=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	RUNAS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	chmod 755 "$WORK"
	chmod 777 "$WORK/zones"
	chmod -R a+r "$WORK/zones"
	note "running dnsd as nobody"
fi
DNSD_LOG=$WORK/dnsd.log
(cd "$WORK" && exec "${RUNAS[@]}" "$DNSD" -f -c zones/dnsd.conf) >"$DNSD_LOG" 2>&1 &
DNSD_PID=$!
track_pid "$DNSD_PID"
WAIT_ZONE=svc.example.test
wait_for 10 server_answers || { cat "$DNSD_LOG" >&2; fail "dnsd -f -c zones/dnsd.conf did not start"; }
ok "dnsd -f -c zones/dnsd.conf serves${RUNAS:+ as nobody}"
[ -f "$WORK/zones/state/data.mdb" ] && ok "its store is zones/state, next to the configuration" ||
	not_ok "no store in zones/state"

note "dnsdctl reads the same configuration, from any folder"
out=$(cd / && "$BUILDDIR/tools/dnsdctl" -c "$WORK/zones/dnsd.conf" zones 2>&1)
grep -q 'svc\.example\.test\.' <<<"$out" && ok "dnsdctl -c zones/dnsd.conf zones, run from /, finds the store" ||
	not_ok "dnsdctl from /: $out"

note "the second terminal's three lines"
script=$(sed -e "s|\./build/|$BUILDDIR/|g" -e "s/5300/$PORT/g" <<<"$SECOND")
out=$(cd "$SRCDIR" && bash -ec "$script" 2>&1)
rc=$?
echo "$out" | sed 's/^/    | /'
[ "$rc" = 0 ] && ok "they run without an error" || not_ok "they exited $rc"
grep -qx '0 0 8080 api-2.svc.example.test.' <<<"$out" && ok "dig finds the new api-2" || not_ok "no api-2 in dig's answer"
grep -qx '0 0 9000 api-1.svc.example.test.' <<<"$out" && ok "next to the example's api-1" || not_ok "no api-1 in dig's answer"
grep -q 'lease granted: 600s' <<<"$out" && ok "with the lease the README says (ten minutes)" || not_ok "no 600 s lease"

note "the README's nsupdate lines, piped into dnsd-update"
NSUP=$(block 1 'for example BIND' | sed -n '/^server /,/^send/p')
[ -n "$NSUP" ] || fail "no nsupdate block found in the README"
KEY=$(sed -n 's/^KEY=//p' <<<"$SECOND" | awk '{print $1}')
sed "s/5300/$PORT/" <<<"$NSUP" | "$BUILDDIR/tools/dnsd-update" -y "$KEY" >"$WORK/batch.out" 2>&1 ||
	not_ok "dnsd-update did not take the README's nsupdate lines: $(cat "$WORK/batch.out")"
q db-2.svc.example.test A
assert_rr ANSWER '10\.0\.2\.21$' "db-2.svc.example.test, as nsupdate would add it"
q db-2.svc.example.test.svc.example.test A
assert_rcode NXDOMAIN "no name made relative to the zone"
done_ok
