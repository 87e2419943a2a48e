#!/bin/bash
# t_systemd.sh -- dnsd as a systemd service: the unit that make install
# puts in place passes `systemd-analyze verify` (after the check has shown
# that it catches a planted mistake) and its security review, its
# sysusers.d entry creates the dnsd user, and dnsd speaks the notify
# protocol to a real $NOTIFY_SOCKET: READY=1 only once queries are
# answered, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around each
# SIGHUP, good or refused, and STOPPING=1 at SIGTERM; then READY=1 and
# STOPPING=1 through an abstract socket (@name). See dnsd(8), SYSTEMD.
. "$(dirname "$0")/lib.sh"

need_tool dig
need_tool systemd-analyze
need_tool systemd-sysusers
need_dnsd

UNIT_IN=$SRCDIR/system/dnsd.service.in
BUILT=$BUILDDIR/system/dnsd.service
[ -f "$BUILT" ] || hard_error "no $BUILT (make builds it)"

# ---- the unit ------------------------------------------------------------------
note "the unit as built: the installed paths, the service's settings"
if grep -q '@[a-z]*@' "$BUILT"; then
	not_ok "$BUILT still has @placeholders@: $(grep '@[a-z]*@' "$BUILT")"
else
	ok "every @placeholder@ of the template is filled in"
fi
grep -qE '^ExecStart=/.*/dnsd -f -c /.*/dnsd/dnsd\.conf$' "$BUILT" &&
	ok "ExecStart runs dnsd -f -c SYSCONFDIR/dnsd/dnsd.conf" || not_ok "ExecStart: $(grep ExecStart "$BUILT")"
for want in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'User=dnsd' 'StateDirectory=dnsd' \
	'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' 'AmbientCapabilities=CAP_NET_BIND_SERVICE' \
	'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes'; do
	grep -qxF -- "$want" "$BUILT" && ok "the unit says $want" || not_ok "the unit lacks $want"
done

# A copy whose programs and man pages exist here: verify checks both.
mkdir -p "$WORK/man/man8" "$WORK/man/man5" "$WORK/etc"
cp "$SRCDIR/man/dnsd.8" "$SRCDIR/man/dnsdctl.8" "$WORK/man/man8/"
cp "$SRCDIR/man/dnsd.conf.5" "$WORK/man/man5/"
sed -e "s|@sbindir@|$(dirname "$DNSD")|g" -e "s|@sysconfdir@|$WORK/etc|g" "$UNIT_IN" >"$WORK/dnsd.service"

# verify UNIT: its output (nothing when all is well) in $OUT, status in $RC.
verify() {
	OUT=$(cd "$WORK" && MANPATH=$WORK/man systemd-analyze verify "$1" 2>&1)
	RC=$?
}
note "systemd-analyze verify"
sed 's/^Type=notify$/Type=notify\nFrobnicate=yes/' "$WORK/dnsd.service" >"$WORK/planted.service"
verify "$WORK/planted.service"
[ -n "$OUT" ] && ok "verify reports a planted unknown setting ($OUT)" ||
	not_ok "verify did not notice an unknown setting: the check below would prove nothing"
verify "$WORK/dnsd.service"
if [ "$RC" = 0 ] && [ -z "$OUT" ]; then
	ok "systemd-analyze verify: the unit is clean"
else
	echo "$OUT" | sed 's/^/    | /' >&2
	not_ok "systemd-analyze verify exited $RC or complained"
fi
out=$(systemd-analyze security --offline=true --threshold=20 "$WORK/dnsd.service" 2>&1)
rc=$?
level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
[ "$rc" = 0 ] && ok "systemd-analyze security: exposure $level, within 2.0 (OK)" ||
	not_ok "systemd-analyze security: exposure ${level:-?} is above 2.0"

note "the sysusers.d entry"
mkdir -p "$WORK/root/etc"
out=$(systemd-sysusers --root="$WORK/root" "$SRCDIR/system/sysusers.d/dnsd.conf" 2>&1) ||
	not_ok "systemd-sysusers failed: $out"
grep -qE '^dnsd:x:[0-9]+:[0-9]+:[^:]*:/var/lib/dnsd:' "$WORK/root/etc/passwd" &&
	ok "systemd-sysusers creates the user dnsd, home /var/lib/dnsd" || not_ok "no dnsd user: $out"
grep -q '^dnsd:' "$WORK/root/etc/group" && ok "and its group dnsd" || not_ok "no dnsd group"

note "the configuration make install puts in place"
out=$("$DNSD" -n -c "$SRCDIR/system/dnsd.conf" 2>&1) && ok "dnsd -n accepts system/dnsd.conf" ||
	not_ok "dnsd -n on system/dnsd.conf: $out"

# ---- the notify protocol ---------------------------------------------------------
note "sd_notify to a real NOTIFY_SOCKET"
PORT=$(pick_port) || hard_error "no free port"
SOCK=$WORK/notify.sock
NOUT=$WORK/notify.out
py notifylisten.py "$SOCK" "$PORT" n.test "$NOUT" 60 &
LPID=$!
track_pid "$LPID"
wait_for 5 grep -q listening "$NOUT" 2>/dev/null || hard_error "the notify listener did not start"
cat >"$WORK/etc/dnsd.conf" <<CONF
listen 127.0.0.1@$PORT
store "store"
workers 2
zone "n.test"
CONF
DNSD_LOG=$WORK/dnsd.log
NOTIFY_SOCKET=$SOCK "$DNSD" -f -c "$WORK/etc/dnsd.conf" >"$DNSD_LOG" 2>&1 &
DNSD_PID=$!
track_pid "$DNSD_PID"

wait_for 10 grep -q '^ready-query' "$NOUT" || { cat "$NOUT" >&2; hard_error "no READY=1 within 10 s"; }
grep -q '^ready-query NOERROR' "$NOUT" && ok "READY=1 came when dnsd already answered (a query sent on it got NOERROR)" ||
	not_ok "a query sent when READY=1 arrived got: $(grep ready-query "$NOUT")"
grep -qE '^msg [0-9.]+ [0-9]+ READY=1;STATUS=serving 1 zone' "$NOUT" && ok "READY=1 carries STATUS=serving ..." ||
	not_ok "READY=1 without the STATUS line: $(cat "$NOUT")"
[ "$(grep -c 'READY=1' "$NOUT")" = 1 ] && ok "one READY=1 at start" || not_ok "several READY=1 at start"

# reload_cycle WHAT: SIGHUP, then RELOADING=1 with a plausible
# MONOTONIC_USEC, then READY=1, in that order.
reload_cycle() {
	local before after line mono now
	before=$(grep -c '^msg' "$NOUT")
	kill -HUP "$DNSD_PID"
	wait_for 10 eval '[ "$(grep -c "^msg" "$NOUT")" -ge $((before + 2)) ]' ||
		{ cat "$NOUT" >&2; not_ok "$1: no RELOADING=1 and READY=1 within 10 s"; return; }
	line=$(grep '^msg' "$NOUT" | sed -n "$((before + 1))p")
	after=$(grep '^msg' "$NOUT" | sed -n "$((before + 2))p")
	if [[ $line == *RELOADING=1* ]] && [[ $after == *READY=1* ]]; then
		ok "$1: RELOADING=1, then READY=1"
	else
		not_ok "$1: expected RELOADING=1 then READY=1, got: $line / $after"
	fi
	mono=$(grep -o 'MONOTONIC_USEC=[0-9]*' <<<"$line" | cut -d= -f2)
	now=$(awk '{print $3}' <<<"$line") # the listener's CLOCK_MONOTONIC at arrival
	# Sent before it arrived, and not long before.
	if [ -n "$mono" ] && [ "$mono" -le "$now" ] && [ $((now - mono)) -lt 5000000 ]; then
		ok "$1: RELOADING=1 carries MONOTONIC_USEC=$mono, $((now - mono)) us before it arrived"
	else
		not_ok "$1: RELOADING=1 without a plausible MONOTONIC_USEC: $line"
	fi
}
reload_cycle "a good reload"
grep -q 'reload: configuration generation 2' "$DNSD_LOG" && ok "the reload was applied" ||
	not_ok "no generation 2 in the log"
echo "bogus-setting 1" >>"$WORK/etc/dnsd.conf"
reload_cycle "a refused reload"
grep -q 'reload refused' "$DNSD_LOG" && ok "the refused reload is logged" || not_ok "no 'reload refused'"
grep '^msg' "$NOUT" | tail -n 1 | grep -q 'READY=1;STATUS=serving 1 zone (configuration generation 2)' &&
	ok "READY=1 after a refused reload says the running generation" ||
	not_ok "status: $(grep '^msg' "$NOUT" | tail -n 1)"

note "SIGTERM"
kill -TERM "$DNSD_PID"
wait_for 10 grep -q 'STOPPING=1' "$NOUT" && ok "STOPPING=1 at SIGTERM" || not_ok "no STOPPING=1"
wait "$DNSD_PID"
rc=$?
[ "$rc" = 0 ] && ok "dnsd exited 0" || not_ok "dnsd exited $rc"
wait "$LPID"

note "an abstract NOTIFY_SOCKET (@name), as containers and systemd-notify's tests use"
NOUT2=$WORK/notify2.out
ABS="@dnsd-t_systemd-$$"
py notifylisten.py "$ABS" "$PORT" n.test "$NOUT2" 60 &
LPID=$!
track_pid "$LPID"
wait_for 5 grep -q listening "$NOUT2" 2>/dev/null || hard_error "the abstract notify listener did not start"
sed -i '/bogus-setting/d' "$WORK/etc/dnsd.conf"
NOTIFY_SOCKET=$ABS "$DNSD" -f -c "$WORK/etc/dnsd.conf" >"$DNSD_LOG" 2>&1 &
DNSD_PID=$!
track_pid "$DNSD_PID"
wait_for 10 grep -q '^ready-query NOERROR' "$NOUT2" && ok "READY=1 through $ABS, and dnsd answered" ||
	{ cat "$NOUT2" "$DNSD_LOG" >&2; not_ok "no READY=1 through $ABS"; }
kill -TERM "$DNSD_PID"
wait_for 10 grep -q 'STOPPING=1' "$NOUT2" && ok "STOPPING=1 through $ABS" || not_ok "no STOPPING=1 through $ABS"
wait "$DNSD_PID"
wait "$LPID"
done_ok
