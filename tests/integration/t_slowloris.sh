#!/bin/bash
# t_slowloris.sh -- TCP clients that send a byte a second, and a process
# short of file descriptors (issue 17: 512 slow-loris connections denied
# every TCP client, transfers included; with the fd limit below
# tcp-max-connections, accept failed with EMFILE and the level-triggered
# loop spun at 94% of a core). Small scale: 60 slow connections from
# 127.0.0.2 against tcp-client-limit 20 and a 2 s tcp-message-timeout.
. "$(dirname "$0")/lib.sh"
need_tool dig

cat >"$WORK/dnsd.conf" <<CONF
tcp-message-timeout 2
tcp-client-limit 20
tcp-max-connections 64
zone "svc.example.test" {
	file "$ZONES/svc.example.test.zone";
	allow-transfer 127.0.0.1;
}
CONF
STORE=$WORK/store
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"

"$PYTHON" "$TESTDIR/overload.py" loris "$PORT" 127.0.0.2 60 8 >"$WORK/loris.out" 2>&1 &
L=$!
track_pid "$L"
sleep 1
good=0
for i in $(seq 1 20); do
	q +tcp +time=3 web-1.svc.example.test A
	grep -q 'status: NOERROR' <<<"$OUT" && good=$((good + 1))
done
[ "$good" = 20 ] && ok "20 TCP queries from another client during the attack: all answered" ||
	not_ok "TCP queries during the attack: $good of 20 answered"
n=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 AXFR svc.example.test 2>/dev/null | grep -c 'IN[[:space:]]*SOA')
[ "$n" = 2 ] && ok "a zone transfer during the attack completes" || not_ok "AXFR during the attack: $n SOA records"
wait "$L"
note "slow clients: $(cat "$WORK/loris.out")"
read -r _ conn _ refused _ open <"$WORK/loris.out"
[ "${conn:-0}" -le 60 ] && [ "${open:-99}" = 0 ] &&
	ok "every slow connection was cut within 8 s (${conn} accepted by the kernel, ${open} still open)" ||
	not_ok "slow connections: $(cat "$WORK/loris.out")"
log_has 'message not complete within tcp-message-timeout' && ok "the cut is logged" || not_ok "no log of the cut"
log_has 'tcp-client-limit reached' && ok "the per-client cap bit and is logged" || not_ok "no log of the per-client cap"
n=$(grep -c 'TCP client 127.0.0.2' "$DNSD_LOG")
[ "$n" -le 4 ] && ok "$n log lines for 60 slow connections" || not_ok "$n log lines for 60 slow connections"
stop_dnsd
grep -qE 'limits that bit:.*tcp_slow_cut=[1-9].*tcp_client_limit=[1-9]' "$DNSD_LOG" &&
	ok "cuts and refusals counted" || not_ok "counts: $(grep 'limits that bit' "$DNSD_LOG")"

# ---- file descriptors -----------------------------------------------------
# 1. A hard limit below what tcp-max-connections needs: the cap is lowered
#    at start and said.
printf 'tcp-max-connections 512\nzone "svc.example.test" { file "%s"; }\n' \
	"$ZONES/svc.example.test.zone" >"$WORK/fd.conf"
STORE=$WORK/store2
ulimit -n 120 2>/dev/null || skip "cannot lower the fd limit here"
start_dnsd -c "$WORK/fd.conf" || hard_error "dnsd did not start with 120 fds"
log_has 'tcp-max-connections 512 does not fit the file descriptor limit 120' &&
	ok "tcp-max-connections lowered to fit the fd limit, and logged" ||
	not_ok "no adjustment of tcp-max-connections to the fd limit"

# 2. The limit lowered under the running server (prlimit): accept meets
#    EMFILE. The loop must pause, not spin: CPU time over 3 s stays small.
if command -v prlimit >/dev/null 2>&1 && prlimit --pid "$DNSD_PID" --nofile=24:24 2>/dev/null; then
	"$PYTHON" "$TESTDIR/overload.py" conns "$PORT" 40 4 >"$WORK/conns.out" 2>&1 &
	C=$!
	track_pid "$C"
	sleep 0.5
	c0=$("$PYTHON" "$TESTDIR/overload.py" cputime "$DNSD_PID")
	sleep 3
	c1=$("$PYTHON" "$TESTDIR/overload.py" cputime "$DNSD_PID")
	wait "$C"
	note "CPU seconds over 3 s at EMFILE: $c0 -> $c1"
	awk -v a="$c0" -v b="$c1" 'BEGIN { exit !(b - a < 0.5) }' &&
		ok "no spinning at EMFILE (< 0.5 CPU second in 3 s)" || not_ok "spinning at EMFILE: $c0 -> $c1"
	log_has 'cannot accept: Too many open files' && ok "EMFILE logged" || not_ok "EMFILE not logged"
	n=$(grep -c 'cannot accept' "$DNSD_LOG")
	[ "$n" -le 2 ] && ok "EMFILE logged in $n line(s)" || not_ok "EMFILE logged in $n lines"
	prlimit --pid "$DNSD_PID" --nofile=120:120
	sleep 0.5
	q +tcp +time=3 web-1.svc.example.test A
	assert_rcode NOERROR "TCP served again once descriptors are back"
else
	note "prlimit cannot change the server's limit here: EMFILE backoff not exercised"
fi
stop_dnsd
done_ok
