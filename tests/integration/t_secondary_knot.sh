#!/bin/bash
# t_secondary_knot.sh -- a real Knot DNS (knotd) as dnsd's secondary: the
# initial AXFR, NOTIFY (RFC 1996) then IXFR (RFC 1995) for a registration,
# a deregistration and a lease expiry, each served by Knot within a bound;
# after the journal was trimmed while Knot was stopped, the AXFR-style IXFR
# fallback; and at the end Knot serves exactly what dnsd serves. The flow
# is in lib_secondary.sh; this file configures, starts and stops knotd and
# reads its log.
#
# knotd runs in the foreground with its own configuration in the temporary
# folder and logs to stderr; the test stops and continues it by its PID.
. "$(dirname "$0")/lib.sh"
SEC_NAME=Knot
KNOT_DIR=$WORK/knot
SEC_LOG=$KNOT_DIR/knotd.log
. "$(dirname "$0")/lib_secondary.sh"

if ! command -v knotd >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "# knotd missing: installing knot" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q knot >"$WORK/apt-knot.log" 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt-knot.log" 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q knot >>"$WORK/apt-knot.log" 2>&1; }
fi
command -v knotd >/dev/null 2>&1 || skip "knotd not available (package knot could not be installed)"

# ---- Knot: stopped by PID at exit (continued first if it was stopped) --------
sec_stop() {
	[ -n "$SEC_PID" ] && kill -CONT "$SEC_PID" 2>/dev/null  # a stopped knotd cannot handle SIGTERM
}
sec_pause() {
	kill -STOP "$SEC_PID"
}
sec_resume() {
	kill -CONT "$SEC_PID"
}

secondary_start_dnsd

mkdir -p "$KNOT_DIR"
cat >"$KNOT_DIR/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$SEC_PORT
    rundir: "$KNOT_DIR"
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$KNOT_DIR"
log:
  - target: stderr
    any: info
remote:
  - id: dnsd
    address: 127.0.0.1@$PORT
acl:
  - id: notify_from_dnsd
    address: 127.0.0.1
    action: notify
  - id: transfer_out
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$KNOT_DIR"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
zone:
  - domain: $Z
    master: dnsd
    acl: [notify_from_dnsd, transfer_out]
CONF
knotc -c "$KNOT_DIR/knot.conf" conf-check >"$WORK/knot-check.log" 2>&1 ||
	{ cat "$WORK/knot-check.log" >&2; hard_error "knotc conf-check rejected the test configuration"; }

knotd -c "$KNOT_DIR/knot.conf" >"$SEC_LOG" 2>&1 &
SEC_PID=$!
track_pid "$SEC_PID"
echo "# knotd pid $SEC_PID on port $SEC_PORT (log $SEC_LOG)"

# ---- reading Knot's log ---------------------------------------------------------
# The log from line $1 on (a mark taken with log_mark before an action).
log_mark() {
	wc -l <"$SEC_LOG"
}
log_since() {
	tail -n +"$(($1 + 1))" "$SEC_LOG"
}
# updated_to MARK SERIAL: Knot logged "zone updated ... -> SERIAL" since MARK.
updated_to() {
	log_since "$1" | grep -q "zone updated, .*serial [0-9a-z]* -> $2,"
}
MARK=0
sec_mark() {
	MARK=$(log_mark)
}
sec_initial_check() {
	grep -q "\] AXFR, incoming, remote 127.0.0.1@$PORT, finished" "$SEC_LOG" ||
		sec_fail "Knot's log shows no finished incoming AXFR from dnsd"
	ok "initial transfer: Knot logged an AXFR from dnsd"
}
sec_wait_logged() {
	poll_until 2000 updated_to "$MARK" "$1" || sec_fail "Knot logged no update to serial $1"
}
# sec_expect_ixfr WHAT SERIAL: the transfer since MARK was incremental.
sec_expect_ixfr() {
	local since
	if [ "$1" = registration ]; then
		log_since "$MARK" | grep -q "notify, incoming, remote 127.0.0.1@[0-9]*, serial $2" ||
			sec_fail "Knot logged no NOTIFY for serial $2"
		ok "Knot got a NOTIFY for serial $2"
	fi
	poll_until 2000 updated_to "$MARK" "$2" || sec_fail "$1: Knot logged no update to serial $2"
	since=$(log_since "$MARK")
	grep -q '\] IXFR, incoming, remote .*, finished' <<<"$since" ||
		sec_fail "$1: no finished incoming IXFR in Knot's log"
	if grep -qE 'AXFR-style|\] AXFR, incoming' <<<"$since"; then
		sec_fail "$1: Knot fell back to AXFR for a small change"
	fi
	ok "$1: Knot used IXFR ($(grep '\] IXFR, incoming, remote .*, finished' <<<"$since" | tail -n 1 | sed 's/.*finished, //'))"
}
sec_expect_fallback() {
	local since
	since=$(log_since "$MARK")
	grep -q '\] IXFR, incoming, remote .*, receiving AXFR-style IXFR' <<<"$since" ||
		sec_fail "Knot's log does not show an AXFR-style IXFR after the journal was trimmed"
	grep -q '\] AXFR, incoming, remote .*, finished' <<<"$since" ||
		sec_fail "Knot's log shows no finished AXFR after the AXFR-style IXFR began"
	ok "Knot asked for IXFR and received the whole zone (AXFR-style IXFR, logged as AXFR)"
}
sec_log_checks() {
	grep -E '\] (AXFR|IXFR), incoming.*(fail|error)|error:' "$SEC_LOG" | head -n 5 >"$WORK/knot-errors"
	[ -s "$WORK/knot-errors" ] && { cat "$WORK/knot-errors" >&2; sec_fail "Knot logged transfer errors"; }
	ok "no transfer errors in Knot's log"
}

secondary_flow
done_ok
