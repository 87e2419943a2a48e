#!/bin/bash
# t_storm.sh -- a storm of random and malformed packets over UDP and TCP
# (storm.py); dnsd must survive it, keep answering valid queries correctly
# during it, never answer a message with QR=1, and answer normally after.
# STORM_SEED=N repeats a run; STORM_UDP / STORM_TCP set the packet counts.
. "$(dirname "$0")/lib.sh"

need_tool dig
need_tool kdig

start_dnsd --zone-dir "$ZONES" || hard_error "dnsd did not start"

# run_py WHAT ARGS...: a storm.py run; its "ok" lines count as checks.
run_py() {
	local what=$1 out rc
	shift
	out=$(py storm.py "$@" 2>&1)
	rc=$?
	relay_checks "storm.py $*" <<<"$out"
	dnsd_alive || fail "dnsd died during the $what"
	[ "$rc" = 0 ] || fail "$what (storm.py $*)"
}

# after WHAT: the server still answers correctly over UDP and TCP.
after() {
	dnsd_alive || fail "dnsd is gone after the $1"
	ok "dnsd alive after the $1"
	q +notcp _http._tcp.svc.example.test SRV
	assert_rcode NOERROR "UDP after the $1"
	assert_count ANSWER 2 "UDP after the $1"
	assert_rr ADDITIONAL '^web-1\.svc\.example\.test\. 300 IN A 10\.0\.0\.5$' "UDP after the $1"
	q +tcp www.svc.example.test A
	assert_rcode NOERROR "TCP after the $1"
	assert_rr ANSWER 'IN A 10\.0\.0\.6$' "TCP after the $1"
	kq +notcp nx.svc.example.test A
	assert_rcode NXDOMAIN "kdig UDP after the $1"
	kq +tcp x.lab.example.test A
	assert_rr AUTHORITY 'IN NS ns\.lab\.example\.test\.$' "kdig TCP after the $1"
}

note "UDP storm"
run_py "UDP storm" udp "$PORT" "${STORM_UDP:-12000}"
after "UDP storm"

note "TCP storm"
run_py "TCP storm" tcp "$PORT" "${STORM_TCP:-300}"
after "TCP storm"

note "a second UDP storm after the TCP one"
run_py "second UDP storm" udp "$PORT" 3000
after "second UDP storm"

if grep -qiE 'assert|abort|segfault|sanitizer|runtime error' "$DNSD_LOG"; then
	dump_log
	fail "dnsd log shows a crash or sanitizer report"
fi
ok "no crash or sanitizer report in the log"
done_ok
