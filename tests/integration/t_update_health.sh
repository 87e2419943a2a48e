#!/bin/bash
# t_update_health.sh -- what dnsd-update keepalive and run SEND and do to
# their command, checked against a fake server that records every UPDATE
# (updsink.py): the records of a registration and a deregistration, the
# DNSD-HEALTH option (EDNS 65401) with each check's state and output,
# the extra renewal on a change of state, renewals stopping once critical
# past the grace and resuming when well; HTTP checks against a local
# server (httpcheck.py: 200, 429, 500, a hung request), TCP checks
# against a listener that comes and goes, exec checks (exit codes,
# output, a timeout that kills the process group); run with a command
# that is stopped and continued, that exits, and whose wrapper is
# SIGKILLed. No dnsd here: t_health_client.sh drives a real one.
. "$(dirname "$0")/lib.sh"
UPDATE=$BUILDDIR/tools/dnsd-update
[ -x "$UPDATE" ] || hard_error "no $UPDATE (build first)"
need_tool python3

SINKLOG=$WORK/sink.log
SPORT=$(pick_port) || hard_error "no free port"
"$PYTHON" "$TESTDIR/updsink.py" "$SPORT" "$SINKLOG" --mode-file "$WORK/sink.mode" \
	--ready "$WORK/sink.ready" 2>"$WORK/sink.err" &
track_pid $!
HPORT=$(pick_port) || hard_error "no free port"
echo 200 >"$WORK/status"
"$PYTHON" "$TESTDIR/httpcheck.py" "$HPORT" "$WORK/status" "$WORK/http.log" \
	--ready "$WORK/http.ready" 2>"$WORK/http.err" &
track_pid $!
wait_for 10 test -e "$WORK/sink.ready" || hard_error "updsink.py did not start: $(cat "$WORK/sink.err")"
wait_for 10 test -e "$WORK/http.ready" || hard_error "httpcheck.py did not start: $(cat "$WORK/http.err")"
URL=http://127.0.0.1:$HPORT/health

D=example.test
U=("$UPDATE" -s "127.0.0.1@$SPORT" -z "$D" -t 2)

# One line per UPDATE received: "n=3 add=6 del=0 pre=0 lease=60 health=2 text=..."
sink() { "$PYTHON" "$TESTDIR/updsink.py" --show "$SINKLOG"; }
nupd() { sink | grep -c .; }
# sent_after N REGEX: an UPDATE after the first N matches.
sent_after() { sink | tail -n +$(($1 + 1)) | grep -qE -- "$2"; }
records() { "$PYTHON" "$TESTDIR/updsink.py" --records "$SINKLOG" "$1"; }
# gone PID: not running (exited, or a zombie nobody reaped yet).
gone() {
	local st
	st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}
# expect_sent WHAT SECONDS N REGEX: an UPDATE after the first N matches
# REGEX within SECONDS.
expect_sent() {
	if wait_for "$2" sent_after "$3" "$4"; then
		ok "$1"
	else
		sink | tail -n +$(($3 + 1)) | sed 's/^/    | /' >&2
		not_ok "$1 (no UPDATE after #$3 matched '$4' within $2 s)"
	fi
}
stop_loop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
}

# ---- usage errors: nothing is sent ---------------------------------------------
note "usage errors"
usage() {
	local want=$1 out rc
	shift
	out=$("${U[@]}" "$@" 2>&1)
	rc=$?
	if [ "$rc" = 2 ] && grep -q -- "$want" <<<"$out"; then
		ok "usage error (exit 2, '$want'): $*"
	else
		not_ok "expected exit 2 and '$want' for: $*; got rc=$rc: $out"
	fi
}
usage "are for keepalive and run" register web w 10.0.0.1 80 --check-http "$URL"
usage "are for keepalive and run" deregister web w --critical-grace 5s
usage "shorter than --check-interval" keepalive web w 10.0.0.1 80 --check-tcp 127.0.0.1:1 \
	--check-interval 1s --check-timeout 1s
usage "need --check-http" keepalive web w 10.0.0.1 80 --check-interval 5s
usage "bad --check-http URL" keepalive web w 10.0.0.1 80 --check-http ftp://127.0.0.1/x
usage "bad --check-http URL" keepalive web w 10.0.0.1 80 --check-http "not a url"
usage "bad --check-tcp" keepalive web w 10.0.0.1 80 --check-tcp 127.0.0.1
usage "bad --check-tcp" keepalive web w 10.0.0.1 80 --check-tcp ::1:80
usage "bad check interval" keepalive web w 10.0.0.1 80 --check-exec true --check-interval 5x
usage "bad check interval" keepalive web w 10.0.0.1 80 --check-exec true --check-interval 10ms
usage "bad critical grace" run web w 10.0.0.1 80 --critical-grace soon -- true
if [ "$(nupd)" = 0 ]; then ok "usage errors sent nothing"; else not_ok "usage errors sent $(nupd) UPDATEs"; fi

# ---- the records: register and deregister --------------------------------------
note "the records a registration sends"
"${U[@]}" register web web-1 10.0.0.5 8080 --lease 30 --subtype v2 --aaaa 2001:db8::5 \
	--txt path=/api >/dev/null 2>"$WORK/reg.err" || fail "register: $(cat "$WORK/reg.err")"
got=$(records 1 | sort)
want=$(sort <<EOF
update IN A web-1.$D. 10.0.0.5
update IN AAAA web-1.$D. 2001:db8::5
update IN PTR _services._dns-sd._udp.$D. _web._tcp.$D.
update IN PTR _v2._sub._web._tcp.$D. web-1._web._tcp.$D.
update IN PTR _web._tcp.$D. web-1._web._tcp.$D.
update IN SRV _web._tcp.$D. 0 0 8080 web-1.$D.
update IN SRV web-1._web._tcp.$D. 0 0 8080 web-1.$D.
update IN TXT web-1._web._tcp.$D. "path=/api"
EOF
)
if [ "$got" = "$want" ]; then
	ok "register: the DNS-SD set, the RFC 2782 SRV and the host's addresses, nothing else"
else
	diff <(echo "$want") <(echo "$got") | sed 's/^/    | /' >&2
	not_ok "register sent other records"
fi
if ! grep -q " web\.$D\. " <<<"$got" && sink | sed -n 1p | grep -q "lease=30 health=-"; then
	ok "register: Update Lease 30, no DNSD-HEALTH, nothing at web.$D"
else
	not_ok "register: $(sink | sed -n 1p)"
fi

"${U[@]}" deregister web web-1 10.0.0.5 8080 --subtype v2 --aaaa 2001:db8::5 >/dev/null 2>"$WORK/dereg.err" ||
	fail "deregister: $(cat "$WORK/dereg.err")"
got=$(records 2 | sort)
want=$(sort <<EOF
update ANY ANY web-1._web._tcp.$D.
update ANY ANY web-1.$D.
update NONE PTR _web._tcp.$D. web-1._web._tcp.$D.
update NONE PTR _v2._sub._web._tcp.$D. web-1._web._tcp.$D.
update NONE SRV _web._tcp.$D. 0 0 8080 web-1.$D.
EOF
)
if [ "$got" = "$want" ]; then
	ok "deregister: everything at the instance and host names, its RRs at the shared names"
else
	diff <(echo "$want") <(echo "$got") | sed 's/^/    | /' >&2
	not_ok "deregister sent other deletions"
fi
got=$(records 3)
want="prereq NONE PTR _web._tcp.$D.
update NONE PTR _services._dns-sd._udp.$D. _web._tcp.$D."
if [ "$got" = "$want" ] && sink | sed -n 3p | grep -q "lease=- health=-"; then
	ok "deregister: then the _services PTR, if no browse PTR is left (prerequisite), no options"
else
	echo "$got" | sed 's/^/    | /' >&2
	not_ok "deregister's second UPDATE: $(sink | sed -n 3p)"
fi
# the server says other instances are left: quiet, exit 0
echo yxrrset >"$WORK/sink.mode"
out=$("${U[@]}" deregister web web-1 10.0.0.5 8080 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ -z "$out" ] && [ "$(nupd)" = 5 ]; then
	ok "deregister with other instances left (YXRRSET): exit 0, nothing printed"
else
	not_ok "deregister with others left: rc=$rc, $(nupd) UPDATEs, output: $out"
fi
echo ok >"$WORK/sink.mode"

# ---- keepalive --check-http: states, output, a report at once on each change ----
# A 60 s lease renews every 48 s: any UPDATE within seconds of a change is
# the extra one that reports it.
note "keepalive --check-http"
n0=$(nupd)
"${U[@]}" keepalive web web-h 10.0.0.6 8081 --lease 60 --check-http "$URL" \
	--check-interval 1s --check-timeout 500ms 2>"$WORK/ka-http.err" &
ka=$!
track_pid $ka
expect_sent "registered after the first check: health 0 with the check's output" 5 "$n0" \
	"add=6 .*lease=60 health=0 text=HTTP GET $URL: 200 Output: status 200\$"
n=$(nupd)
echo 500 >"$WORK/status"
expect_sent "HTTP 500: critical, reported at once" 5 "$n" "add=6 .*health=2 text=HTTP GET $URL: 500"
n=$(nupd)
echo 429 >"$WORK/status"
expect_sent "HTTP 429: warning, reported at once" 5 "$n" "add=6 .*health=1 text=HTTP GET $URL: 429"
n=$(nupd)
echo 200 >"$WORK/status"
expect_sent "HTTP 200: passing again" 5 "$n" "add=6 .*health=0 text=HTTP GET $URL: 200"
n=$(nupd)
echo hang >"$WORK/status"
expect_sent "a hung request: critical by the 500 ms timeout" 6 "$n" \
	"add=6 .*health=2 text=HTTP GET $URL: .*([Tt]imeout|timed out)"
n=$(nupd)
echo 200 >"$WORK/status"
expect_sent "answering again: passing" 6 "$n" "add=6 .*health=0 "
# no reports without a change: the rounds since then repeat passing
n=$(nupd)
r0=$(grep -c . "$WORK/http.log")
if wait_for 10 sh -c "[ \$(grep -c . '$WORK/http.log') -ge $((r0 + 3)) ]" &&
	[ "$(nupd)" = "$n" ]; then
	ok "three more passing rounds, no UPDATE (nothing changed, renewal not due)"
else
	not_ok "rounds without a change: $(($(grep -c . "$WORK/http.log") - r0)) checks, sent: $(sink | tail -n +$((n + 1)))"
fi
if grep -q "health passing -> critical: HTTP GET $URL: 500" "$WORK/ka-http.err"; then
	ok "each change of state is said on stderr"
else
	not_ok "no state change line on stderr: $(cat "$WORK/ka-http.err")"
fi
n=$(nupd)
stop_loop $ka
rc=$?
if [ "$rc" = 0 ] && sent_after "$n" "add=0 del=4 pre=0 .*health=-"; then
	ok "SIGTERM: exit 0, deregistered without DNSD-HEALTH"
else
	not_ok "SIGTERM: exit $rc, sent: $(sink | tail -n +$((n + 1)))"
fi

# ---- critical past the grace: renewals stop, and resume when it passes ----------
# lease 3 s (renewal every 2.4 s), grace 1 s.
note "critical past the grace"
n0=$(nupd)
"${U[@]}" keepalive web web-g 10.0.0.7 8082 --lease 3 --check-http "$URL" \
	--check-interval 500ms --check-timeout 450ms --critical-grace 1s 2>"$WORK/ka-grace.err" &
ka=$!
track_pid $ka
expect_sent "registered, passing" 5 "$n0" "add=6 .*lease=3 health=0 "
n=$(nupd)
echo 500 >"$WORK/status"
# (a check that timed out on a loaded machine before this point would
# have made it critical already, and past the grace nothing is sent:
# hence the long timeout)
expect_sent "critical reported" 10 "$n" "add=6 .*health=2 "
if wait_for 10 grep -q "no longer renewing" "$WORK/ka-grace.err"; then
	ok "critical past the 1 s grace: stops renewing"
else
	not_ok "still renewing: $(cat "$WORK/ka-grace.err")"
fi
n=$(nupd)
sleep 3.5 # more than a renewal period (2.4 s): none may come
if [ "$(nupd)" = "$n" ] && kill -0 $ka 2>/dev/null; then
	ok "no UPDATE for 3.5 s: the 3 s lease runs out, keepalive still checking"
else
	not_ok "UPDATEs while stopped, or keepalive gone: $(sink | tail -n +$((n + 1)))"
fi
echo 200 >"$WORK/status"
expect_sent "passing again: registers at once" 5 "$n" "add=6 .*lease=3 health=0 "
if grep -q "passing again: registering" "$WORK/ka-grace.err"; then
	ok "and says so on stderr"
else
	not_ok "no 'registering' line: $(cat "$WORK/ka-grace.err")"
fi
n=$(nupd)
expect_sent "and renews again on schedule" 6 "$n" "add=6 .*health=0 "
stop_loop $ka

# ---- keepalive --check-tcp: a listener that comes and goes -------------------------
note "keepalive --check-tcp"
TPORT=$(pick_port) || hard_error "no free port"
listen() {
	"$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
open(sys.argv[2], "w").close()
while True:
    c, _ = s.accept()
    c.close()
' "$TPORT" "$WORK/tcp.ready" &
	LPID=$!
	track_pid $LPID
	wait_for 10 test -e "$WORK/tcp.ready" || hard_error "TCP listener did not start"
}
listen
n0=$(nupd)
"${U[@]}" keepalive web web-t 10.0.0.8 8083 --lease 60 --check-tcp "127.0.0.1:$TPORT" \
	--check-interval 500ms --check-timeout 250ms 2>"$WORK/ka-tcp.err" &
ka=$!
track_pid $ka
expect_sent "listener up: passing" 5 "$n0" "add=6 .*health=0 text=TCP connect 127.0.0.1:$TPORT: Success"
n=$(nupd)
kill $LPID
wait $LPID 2>/dev/null
rm -f "$WORK/tcp.ready"
expect_sent "listener gone: critical, connection refused" 5 "$n" \
	"add=6 .*health=2 text=TCP connect 127.0.0.1:$TPORT: Connection refused"
n=$(nupd)
listen
expect_sent "listener back: passing" 5 "$n" "add=6 .*health=0 text=TCP connect"
stop_loop $ka

# ---- keepalive --check-exec: exit codes, output, the timeout -------------------------
note "keepalive --check-exec"
echo 0 >"$WORK/code"
n0=$(nupd)
"${U[@]}" keepalive web web-e 10.0.0.9 8084 --lease 60 \
	--check-exec "printf 'disk %s%%\\n' \$(cat '$WORK/code'); exit \$(cat '$WORK/code')" \
	--check-interval 1s --check-timeout 900ms 2>"$WORK/ka-exec.err" &
ka=$!
track_pid $ka
# Bounds in seconds are generous: a shell started on a loaded 2-core
# machine (CI runs the suite two at a time) can take most of a second.
expect_sent "exit 0: passing, the output as text" 10 "$n0" "add=6 .*health=0 text=disk 0%\$"
n=$(nupd)
echo 1 >"$WORK/code"
expect_sent "exit 1: warning" 10 "$n" "health=1 text=disk 1%\$"
n=$(nupd)
echo 2 >"$WORK/code"
expect_sent "exit 2: critical" 10 "$n" "health=2 text=disk 2%\$"
stop_loop $ka

# a check that outlives its timeout: its whole process group is killed
n0=$(nupd)
rm -f "$WORK/fg.pid" "$WORK/bg.pid"
"${U[@]}" keepalive web web-x 10.0.0.10 8085 --lease 60 \
	--check-exec "sleep 300 & echo \$! >'$WORK/bg.pid'; echo \$\$ >'$WORK/fg.pid'; sleep 300" \
	--check-interval 5s --check-timeout 300ms 2>"$WORK/ka-slow.err" &
ka=$!
track_pid $ka
expect_sent "a check past its timeout: critical" 5 "$n0" "add=6 .*health=2 text=timed out after 300 ms"
fg=$(cat "$WORK/fg.pid" 2>/dev/null)
bg=$(cat "$WORK/bg.pid" 2>/dev/null)
if [ -n "$fg" ] && [ -n "$bg" ] && wait_for 5 gone "$fg" && wait_for 5 gone "$bg"; then
	ok "its shell and the sleep it started in the background are killed"
else
	not_ok "check processes left after the timeout: $fg $bg"
fi
stop_loop $ka

# several checks: the worst counts, with its output
n0=$(nupd)
"${U[@]}" keepalive web web-m 10.0.0.11 8086 --lease 60 --check-http "$URL" \
	--check-exec "echo degraded; exit 1" --check-interval 1s 2>"$WORK/ka-multi.err" &
ka=$!
track_pid $ka
expect_sent "HTTP passing and exec warning: warning, with the exec's output" 5 "$n0" \
	"add=6 .*health=1 text=degraded\$"
stop_loop $ka

# ---- run: the command's own state --------------------------------------------------
note "run: a command that is stopped and continued"
n0=$(nupd)
rm -f "$WORK/child.pid"
"${U[@]}" run web run-1 10.0.1.1 9001 --lease 3 --check-interval 1s \
	-- sh -c "echo \$\$ >'$WORK/child.pid'; exec sleep 300" 2>"$WORK/run.err" &
runpid=$!
track_pid $runpid
wait_for 5 test -s "$WORK/child.pid" || fail "run: the command did not start"
child=$(cat "$WORK/child.pid")
track_pid "$child"
expect_sent "registered before the command runs: passing" 5 "$n0" "add=6 .*lease=3 health=0 text=starting sh\$"
n=$(nupd)
kill -STOP "$child"
expect_sent "SIGSTOP: critical, reported at once" 5 "$n" \
	"add=6 .*health=2 text=process $child is stopped \\(T\\)"
if wait_for 10 grep -q "no longer renewing" "$WORK/run.err"; then
	ok "stopped past the grace (the 3 s lease): renewals stop"
else
	not_ok "still renewing a stopped command: $(cat "$WORK/run.err")"
fi
n=$(nupd)
kill -CONT "$child"
expect_sent "SIGCONT: passing, registered again at once" 5 "$n" \
	"add=6 .*health=0 text=process $child is running"
n=$(nupd)
kill -TERM "$child"
wait $runpid
rc=$?
if [ "$rc" = 143 ] && sent_after "$n" "add=0 del=4 "; then
	ok "the command ends: run deregisters and exits with its status (143)"
else
	not_ok "the command ended: run exited $rc (expected 143), sent: $(sink | tail -n +$((n + 1)))"
fi

note "run: exit status, a hung command, a killed wrapper"
n0=$(nupd)
"${U[@]}" run web run-2 10.0.1.2 9002 --lease 30 -- sh -c 'exit 7' 2>"$WORK/run2.err"
rc=$?
if [ "$rc" = 7 ] && sent_after "$n0" "add=6 " && sent_after "$n0" "add=0 del=4 "; then
	ok "run: registered, deregistered, exit status 7 passed through"
else
	not_ok "run -- exit 7: rc=$rc, sent: $(sink | tail -n +$((n0 + 1)))"
fi

# SIGTERM to run while its command is stopped: passed on, and the command
# continued so that it can act on it (as systemd does)
rm -f "$WORK/child.pid"
"${U[@]}" run web run-6 10.0.1.6 9006 --lease 30 \
	-- sh -c "echo \$\$ >'$WORK/child.pid'; exec sleep 300" 2>"$WORK/run6.err" &
runpid=$!
track_pid $runpid
wait_for 5 test -s "$WORK/child.pid" || fail "run: the command did not start"
child=$(cat "$WORK/child.pid")
track_pid "$child"
n=$(nupd)
kill -STOP "$child"
expect_sent "stopped: critical" 5 "$n" "health=2 text=process $child is stopped"
n=$(nupd)
kill -TERM $runpid
if wait_for 5 gone "$child" && wait_for 5 sh -c "! kill -0 $runpid 2>/dev/null"; then
	wait $runpid
	rc=$?
	if [ "$rc" = 143 ] && sent_after "$n" "add=0 del=4 "; then
		ok "SIGTERM to run with its command stopped: the command ends, deregistered, exit 143"
	else
		not_ok "SIGTERM with the command stopped: rc=$rc, sent: $(sink | tail -n +$((n + 1)))"
	fi
else
	not_ok "SIGTERM to run with its command stopped: still waiting (command $child)"
	kill -KILL "$child" $runpid 2>/dev/null
fi

# --check-http on the command itself: critical until it answers, then a hung
# command fails by the timeout, and a stopped one at once.
CPORT=$(pick_port) || hard_error "no free port"
echo 200 >"$WORK/cstatus"
n0=$(nupd)
"${U[@]}" run web run-3 10.0.1.3 "$CPORT" --lease 30 --check-http "http://127.0.0.1:$CPORT/" \
	--check-interval 10s --check-timeout 500ms \
	-- "$PYTHON" "$TESTDIR/httpcheck.py" "$CPORT" "$WORK/cstatus" "$WORK/chttp.log" \
	--ready "$WORK/chttp.ready" 2>"$WORK/run3.err" &
runpid=$!
track_pid $runpid
expect_sent "run --check-http: registered critical before the command starts" 5 "$n0" \
	"add=6 .*health=2 text=starting "
n=$(nupd)
expect_sent "passing soon after it answers (checks every second until then)" 8 "$n" \
	"add=6 .*health=0 text=HTTP GET http://127.0.0.1:$CPORT/: 200"
n=$(nupd)
kill -HUP $runpid # passed on to the command, which dies of it
wait $runpid
rc=$?
if [ "$rc" = 129 ] && sent_after "$n" "add=0 del=4 "; then
	ok "SIGHUP passed to the command; run deregistered and exited 128+1"
else
	not_ok "SIGHUP to run: rc=$rc (expected 129), sent: $(sink | tail -n +$((n + 1)))"
fi

echo hang >"$WORK/cstatus"
n0=$(nupd)
rm -f "$WORK/chttp.ready"
"${U[@]}" -v run web run-4 10.0.1.4 "$CPORT" --lease 30 --check-http "http://127.0.0.1:$CPORT/" \
	--check-interval 1s --check-timeout 300ms \
	-- "$PYTHON" "$TESTDIR/httpcheck.py" "$CPORT" "$WORK/cstatus" "$WORK/chttp.log" \
	--ready "$WORK/chttp.ready" 2>"$WORK/run4.err" &
runpid=$!
track_pid $runpid
wait_for 10 test -e "$WORK/chttp.ready" || fail "the command's HTTP server did not start"
r0=$(grep -c . "$WORK/chttp.log")
if wait_for 10 sh -c "[ \$(grep -c . '$WORK/chttp.log') -ge $((r0 + 2)) ]" &&
	! sent_after "$n0" "health=0" &&
	grep -qE "health critical: HTTP GET http://127.0.0.1:$CPORT/: .*(Timeout|timed out)" "$WORK/run4.err"; then
	ok "a hung command (requests never answered) fails its check by the timeout, stays critical"
else
	not_ok "hung command: $(grep health "$WORK/run4.err"), sent: $(sink | tail -n +$((n0 + 1)))"
fi
n=$(nupd)
echo 200 >"$WORK/cstatus"
expect_sent "answering: passing" 5 "$n" "add=6 .*health=0 text=HTTP GET"
stop_loop $runpid

note "run: the wrapper killed with SIGKILL"
rm -f "$WORK/child.pid"
"${U[@]}" run web run-5 10.0.1.5 9005 --lease 30 \
	-- sh -c "echo \$\$ >'$WORK/child.pid'; exec sleep 300" 2>"$WORK/run5.err" &
runpid=$!
track_pid $runpid
wait_for 5 test -s "$WORK/child.pid" || fail "run: the command did not start"
child=$(cat "$WORK/child.pid")
track_pid "$child"
gone "$child" && fail "the command is not running"
kill -KILL $runpid
wait $runpid 2>/dev/null
if wait_for 5 gone "$child"; then
	ok "wrapper SIGKILLed: its command dies too (PR_SET_PDEATHSIG)"
else
	not_ok "the command $child outlived its killed wrapper"
fi

done_ok
