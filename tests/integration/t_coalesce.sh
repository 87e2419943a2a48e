#!/bin/bash
# t_coalesce.sh -- udp-coalesce: with a low rate threshold, a stream of
# pipelined queries turns coalescing on (debug log), every answer stays
# right and none is late, and it turns off again when the stream stops;
# with udp-coalesce 0 it never turns on.
. "$(dirname "$0")/lib.sh"

need_tool dig

# flood MICROSECONDS RATE COUNT: start dnsd (one worker) with that
# udp-coalesce and stream COUNT pipelined queries at it, all checked.
flood() {
	local out rc
	cat >"$WORK/dnsd.conf" <<CONF
zone "svc.example.test" { file "$SRCDIR/zones/svc.example.test.zone"; }
log-level debug
udp-coalesce $1 $2
CONF
	start_dnsd -w 1 -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"
	out=$(py udpflood.py "$PORT" "$3" 32 2 2>&1)
	rc=$?
	relay_checks "udpflood.py (udp-coalesce $1 $2)" <<<"$out"
	[ "$rc" = 0 ] || fail "the flood (udp-coalesce $1 $2): $out"
}

flood 200 500 20000
grep -q "udp worker 0: coalescing on at [0-9]* queries/s" "$DNSD_LOG" ||
	fail "coalescing never turned on: $(grep -c . "$DNSD_LOG") log lines"
ok "coalescing turned on under the stream"
# The worker sleeps in the kernel while nothing comes (no timer wakes it),
# and looks at its rate again with the first query after the stream: that
# one is answered at once and turns coalescing off.
sleep 0.2
[ "$(dig @127.0.0.1 -p "$PORT" +short web-1.svc.example.test A)" = 10.0.0.5 ] ||
	fail "no answer after the stream"
ok "answers after the stream"
off() { grep -q "udp worker 0: coalescing off" "$DNSD_LOG"; }
wait_for 5 off || fail "coalescing did not turn off after the stream"
ok "coalescing turned off when the stream stopped"
stop_dnsd

flood 0 500 5000
grep -q "coalescing on" "$DNSD_LOG" && fail "udp-coalesce 0 still coalesced"
ok "udp-coalesce 0: never turned on"
stop_dnsd
done_ok
