#!/bin/bash
# t_tcp.sh -- DNS over TCP (RFC 7766): pipelined queries answered in order,
# partial reads, the idle timeout and the connection cap (dnsd.conf(5)
# tcp-idle-timeout, tcp-max-connections).
. "$(dirname "$0")/lib.sh"

need_tool dig

zone_stanzas() {
	cat <<CONF
zone "svc.example.test" {
    file "$ZONES/svc.example.test.zone"
}
zone "example.test" {
    file "$ZONES/example.test.zone"
}
CONF
}

# run_py WHAT ARGS...: a tcptest.py check; its "ok" lines count as checks.
run_py() {
	local what=$1 out rc
	shift
	out=$(py tcptest.py "$@" 2>&1)
	rc=$?
	relay_checks "tcptest.py $*" <<<"$out"
	[ "$rc" = 0 ] || fail "$what (tcptest.py $*)"
}

# ---- server 1: idle timeout of 2 s ----------------------------------------
CONF1=$WORK/idle.conf
{
	echo "# t_tcp: short idle timeout"
	echo "tcp-idle-timeout 2"
	zone_stanzas
} >"$CONF1"
"$DNSD" -n -c "$CONF1" >"$WORK/check1.log" 2>&1 || { cat "$WORK/check1.log"; hard_error "test config rejected"; }
STORE=$WORK/store1
start_dnsd -c "$CONF1" || hard_error "dnsd did not start"

note "pipelining: 50 queries on one connection"
run_py "pipelining" pipeline "$PORT" 50
note "pipelining: 500 queries on one connection"
run_py "pipelining 500" pipeline "$PORT" 500

note "a query split across writes"
run_py "split writes" split "$PORT"

note "dig and kdig over TCP on the same server"
q +tcp +keepopen _http._tcp.svc.example.test SRV web-1.svc.example.test A
assert_rcode NOERROR "dig +keepopen, two queries"
[ "$(grep -c 'status: NOERROR' <<<"$OUT")" = 2 ] || { show; fail "dig +keepopen: expected two answers"; }
ok "dig +keepopen: two answers on one connection"
kq +tcp +keepopen web-1.svc.example.test AAAA
assert_rr ANSWER 'AAAA 2001:db8::5$' "kdig over TCP"

note "idle timeout 2 s"
run_py "idle timeout" idle "$PORT" 2

dnsd_alive || fail "dnsd died"
stop_dnsd
[ "$DNSD_STATUS" = 0 ] || fail "dnsd exited with $DNSD_STATUS on SIGTERM"
ok "dnsd stopped cleanly on SIGTERM"

# ---- server 2: at most 5 connections ----------------------------------------
CONF2=$WORK/cap.conf
{
	echo "# t_tcp: connection cap"
	echo "tcp-max-connections 5"
	echo "tcp-idle-timeout 30"
	zone_stanzas
} >"$CONF2"
STORE=$WORK/store2
start_dnsd -c "$CONF2" || hard_error "dnsd did not start"

note "connection cap 5, 10 connections"
run_py "connection cap" cap "$PORT" 5 10

note "UDP is not affected by the TCP cap"
q +notcp web-1.svc.example.test A
assert_rr ANSWER 'IN A 10\.0\.0\.5$' "UDP while TCP was capped"
q +tcp web-2.svc.example.test A
assert_rr ANSWER 'IN A 10\.0\.0\.6$' "TCP after the cap test"

note "half-close: the reply, then the server closes (idle timeout here is 30 s)"
run_py "half-close" halfclose "$PORT" 1.5

dnsd_alive || fail "dnsd died"
ok "dnsd still running"
done_ok
