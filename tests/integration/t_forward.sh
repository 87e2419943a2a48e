#!/bin/bash
# t_forward.sh -- `forward` and `forward-allow`: names outside every zone
# relayed to upstream servers, with failover, the client's ID kept, access
# control, and no stall of local answers behind a slow upstream.
#
# Servers (all on 127.0.0.1, free ports):
#   UP       a dnsd serving example.test (mail.example.test A 192.0.2.25)
#   REF      a dnsd serving svc.example.test without `forward` (REFUSED
#            for everything else)
#   DEAD     a free port nothing listens on
#   HOLE     a python UDP server that reads queries and never answers
#   front    a dnsd serving svc.example.test, restarted with each config:
#     1. forward DEAD UP             relaying over UDP and TCP, the ID, AA
#                                    for local names, NXDOMAIN relayed,
#                                    failover from DEAD in < 3 s
#     2. forward REF UP              failover on REFUSED
#     2b. forward HOLE UP            failover on timeout (< 3 s), in order
#     3. forward UP; forward-allow 127.0.0.2
#                                    REFUSED for 127.0.0.1, relayed for
#                                    127.0.0.2 (dig -b)
#     4. forward HOLE                forwarded queries time out (SERVFAIL
#                                    after a couple of seconds) while local
#                                    answers still take < 500 ms

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_tool dig
need_dnsd

Z=svc.example.test
PZ=example.test
MAIL=192.0.2.25

# ---- helpers ----------------------------------------------------------------

# fq [dig options] NAME TYPE: a recursive (RD=1) query to the current dnsd,
# as a stub resolver sends it. $OUT, $FQ_MS (wall time, ms).
fq() {
	local t0
	CLIENT=dig
	t0=$(date +%s%N)
	OUT=$(dig @127.0.0.1 -p "$PORT" +rec +time=5 +tries=1 "$@" 2>&1)
	FQ_MS=$((($(date +%s%N) - t0) / 1000000))
}

# assert_no_id_mismatch WHAT: dig saw no reply with another ID.
assert_no_id_mismatch() {
	if grep -qi 'ID mismatch' <<<"$OUT"; then
		show
		fail "$1: dig saw a reply with the wrong ID"
	fi
	ok "$1: no ID mismatch"
}

# expect_forwarded WHAT [dig options]: mail.example.test A comes back
# NOERROR with the upstream's 192.0.2.25.
expect_forwarded() {
	local what=$1
	shift
	fq "$@" "mail.$PZ" A
	assert_rcode NOERROR "$what"
	assert_rr ANSWER "^mail\.example\.test\.? [0-9]+ IN A $MAIL\$" "$what"
	assert_no_id_mismatch "$what"
}

# expect_local WHAT [dig options]: web-1.svc.example.test A answered by the
# front itself (AA, 10.0.0.5).
expect_local() {
	local what=$1
	shift
	fq "$@" "web-1.$Z" A
	assert_rcode NOERROR "$what"
	assert_flag aa "$what"
	assert_rr ANSWER "^web-1\.svc\.example\.test\.? [0-9]+ IN A 10\.0\.0\.5\$" "$what"
}

# A query with a chosen ID, the first reply taken whatever its ID.
cat >"$WORK/idq.py" <<'EOF'
import socket, sys
sys.path.insert(0, sys.argv[1])
import dnswire
port, name, qtype, qid, tcp = int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5], 0), sys.argv[6] == "tcp"
msg = dnswire.query(name, qtype, qid=qid, rd=True)
if tcp:
    raw = dnswire.exchange("127.0.0.1", port, msg, tcp=True, timeout=5)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(msg, ("127.0.0.1", port))
    try:
        raw = s.recv(65535)
    except OSError:
        raw = None
if raw is None:
    print("noreply")
    sys.exit(2)
r = dnswire.parse(raw)
addrs = [socket.inet_ntoa(rr[4]) for rr in r["answer"] if rr[1] == 1]
q = r["question"][0][0] if r["question"] else "-"
print("id=0x%04x rcode=%s rd=%d q=%s a=%s" % (r["id"], dnswire.RCODES.get(r["rcode"], r["rcode"]),
      r["rd"], q, ",".join(addrs) or "-"))
EOF

# expect_id ID udp|tcp: the forwarded reply carries the client's ID.
expect_id() {
	local id=$1 proto=$2 got want
	got=$("$PYTHON" "$WORK/idq.py" "$TESTDIR" "$PORT" "mail.$PZ" A "$id" "$proto" 2>&1)
	want=$(printf 'id=0x%04x rcode=NOERROR rd=1 q=mail.example.test. a=%s' "$id" "$MAIL")
	[ "$got" = "$want" ] || fail "forwarded over $proto with ID $id: got '$got', expected '$want'"
	ok "forwarded over $proto: the reply has the client's ID $id, RD and question kept, $MAIL"
}

# detach: keep the last started dnsd running (killed at exit), so that
# start_dnsd/stop_dnsd work on the next one.
detach() {
	DNSD_PID=
}

# front N CONFIG-LINES...: (re)start the front dnsd with svc.example.test
# and the given extra configuration lines.
front() {
	local n=$1 conf=$WORK/front-$1.conf
	shift
	stop_dnsd
	{
		echo "zone \"$Z\" { file \"$ZONES/$Z.zone\"; }"
		printf '%s\n' "$@"
	} >"$conf"
	STORE=$WORK/store-front-$n
	WAIT_ZONE=$Z
	start_dnsd -c "$conf" || hard_error "front dnsd ($n: $*) did not start"
	FRONT_PORT=$PORT
}

# ---- the upstreams --------------------------------------------------------------

note "upstream dnsd serving $PZ, and a dnsd without forward"
STORE=$WORK/store-up WAIT_ZONE=$PZ
start_dnsd -z "$PZ:$ZONES/$PZ.zone" || hard_error "upstream dnsd did not start"
UP=$PORT UP_LOG=$DNSD_LOG
detach
fq "mail.$PZ" A
assert_rcode NOERROR "upstream answers mail.$PZ directly"
assert_rr ANSWER "IN A $MAIL\$" "upstream answers mail.$PZ directly"

STORE=$WORK/store-ref WAIT_ZONE=$Z
start_dnsd -z "$Z:$ZONES/$Z.zone" || hard_error "second dnsd did not start"
REF=$PORT REF_LOG=$DNSD_LOG
detach

note "without forward: names outside the zones are REFUSED"
fq "mail.$PZ" A
assert_rcode REFUSED "no forward: mail.$PZ"
assert_count ANSWER 0 "no forward: mail.$PZ"
fq +tcp "mail.$PZ" A
assert_rcode REFUSED "no forward: mail.$PZ over TCP"
expect_local "no forward: in-zone name still answered"

DEAD=$(pick_port) || hard_error "no free port"
HOLE=$(pick_port) || hard_error "no free port"

# ---- 1. forward DEAD UP --------------------------------------------------------------

note "forward 127.0.0.1@$DEAD (nothing there) 127.0.0.1@$UP"
front 1 "forward 127.0.0.1@$DEAD 127.0.0.1@$UP"
log_has "forwarding names outside the zones to 127\.0\.0\.1:$DEAD,127\.0\.0\.1:$UP" ||
	fail "no 'forwarding ... to 127.0.0.1:$DEAD,127.0.0.1:$UP' in the log"
ok "log names both upstreams, in order"

expect_forwarded "forwarded over UDP (first query, dead first upstream)"
[ "$FQ_MS" -lt 3000 ] || fail "the first forwarded query took $FQ_MS ms: failover from the dead upstream is too slow"
ok "failover past the dead upstream: the whole query took $FQ_MS ms (< 3000)"
assert_noflag tc "forwarded over UDP"
expect_forwarded "forwarded over TCP" +tcp
[ "$FQ_MS" -lt 3000 ] || fail "the forwarded TCP query took $FQ_MS ms"
ok "forwarded over TCP in $FQ_MS ms"
for i in 1 2 3; do
	expect_forwarded "forwarded again ($i)"
	[ "$FQ_MS" -lt 3000 ] || fail "forwarded query $i took $FQ_MS ms"
done
ok "three more forwarded queries, each < 3 s"

expect_id 0xbeef udp
expect_id 0x0001 udp
expect_id 0x1234 tcp

fq "$PZ" MX
assert_rcode NOERROR "forwarded $PZ MX"
assert_rr ANSWER "^example\.test\.? [0-9]+ IN MX 10 mail\.example\.test\.\$" "forwarded $PZ MX"

fq "x.apps.$PZ" A
assert_rcode NOERROR "forwarded wildcard x.apps.$PZ"
assert_rr ANSWER "IN A 192\.0\.2\.80\$" "forwarded wildcard x.apps.$PZ"

fq "nosuch.$PZ" A
assert_rcode NXDOMAIN "nosuch.$PZ relayed"
assert_count ANSWER 0 "nosuch.$PZ relayed"
assert_rr AUTHORITY "^example\.test\.? [0-9]+ IN SOA ns1\.example\.test\. " "nosuch.$PZ relayed (the upstream's SOA)"
assert_no_id_mismatch "nosuch.$PZ relayed"
fq +tcp "nosuch.$PZ" A
assert_rcode NXDOMAIN "nosuch.$PZ relayed over TCP"

expect_local "in-zone name answered locally"
assert_count ANSWER 1 "in-zone name answered locally"
expect_local "in-zone name answered locally over TCP" +tcp
fq "nosuch.$Z" A
assert_rcode NXDOMAIN "in-zone NXDOMAIN is local"
assert_flag aa "in-zone NXDOMAIN is local"
assert_rr AUTHORITY "^svc\.example\.test\.? [0-9]+ IN SOA " "in-zone NXDOMAIN is local (own SOA)"
dnsd_alive || fail "front dnsd died"

# ---- the silent upstream --------------------------------------------------------------

HOLE_LOG=$WORK/hole.log
"$PYTHON" - "$HOLE" "$HOLE_LOG" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
log = open(sys.argv[2], "a", buffering=1)
log.write("ready\n")
end = time.time() + 120          # bounded: gone after 2 minutes anyway
s.settimeout(1)
while time.time() < end:
    try:
        data, peer = s.recvfrom(65535)
    except socket.timeout:
        continue
    log.write("query %d bytes from %s:%d\n" % (len(data), peer[0], peer[1]))
EOF
HOLE_PID=$!
track_pid "$HOLE_PID"
wait_for 5 grep -qs ready "$HOLE_LOG" || hard_error "the silent upstream did not start"

# ---- 2. failover on REFUSED ------------------------------------------------------------

note "forward 127.0.0.1@$REF (answers REFUSED) 127.0.0.1@$UP"
front 2 "forward 127.0.0.1@$REF 127.0.0.1@$UP"
expect_forwarded "REFUSED by the first upstream: relayed from the second"
[ "$FQ_MS" -lt 3000 ] || fail "failover on REFUSED took $FQ_MS ms"
ok "failover on REFUSED in $FQ_MS ms"

# ---- 2b. failover on timeout ------------------------------------------------------------

note "forward 127.0.0.1@$HOLE (never answers) 127.0.0.1@$UP"
front 2b "forward 127.0.0.1@$HOLE 127.0.0.1@$UP"
expect_forwarded "the first upstream times out: relayed from the second"
[ "$FQ_MS" -lt 3000 ] || fail "failover on timeout took $FQ_MS ms (limit 3000)"
grep -q '^query' "$HOLE_LOG" || fail "the silent first upstream was never asked: not tried in order"
ok "failover on timeout in $FQ_MS ms; the silent first upstream was asked first"
: >"$HOLE_LOG"

# ---- 3. forward-allow --------------------------------------------------------------------

note "forward 127.0.0.1@$UP; forward-allow 127.0.0.2"
front 3 "forward 127.0.0.1@$UP" "forward-allow 127.0.0.2"
fq "mail.$PZ" A
assert_rcode REFUSED "forward-allow 127.0.0.2: query from 127.0.0.1"
assert_count ANSWER 0 "forward-allow 127.0.0.2: query from 127.0.0.1"
fq +tcp "mail.$PZ" A
assert_rcode REFUSED "forward-allow 127.0.0.2: query from 127.0.0.1 over TCP"
expect_forwarded "forward-allow 127.0.0.2: query from 127.0.0.2" -b 127.0.0.2
expect_forwarded "forward-allow 127.0.0.2: query from 127.0.0.2 over TCP" -b 127.0.0.2 +tcp
expect_local "forward-allow does not limit local answers (from 127.0.0.1)"
expect_local "local answer to 127.0.0.2" -b 127.0.0.2

# ---- 4. a slow upstream does not stall local answers --------------------------------------

note "forward 127.0.0.1@$HOLE (never answers)"

front 4 "forward 127.0.0.1@$HOLE"
NSLOW=4
SLOW_PIDS=()
t_slow=$(date +%s%N)
for i in $(seq 1 $NSLOW); do
	dig @127.0.0.1 -p "$PORT" +rec +time=8 +tries=1 "slow$i.$PZ" A >"$WORK/slow$i.out" 2>&1 &
	SLOW_PIDS+=($!)
	track_pid "$!"
done
wait_for 3 grep -qs '^query' "$HOLE_LOG" || fail "no forwarded query reached the silent upstream"
ok "forwarded queries reach the silent upstream"

worst=0
nfast=0
for i in $(seq 1 8); do
	proto=()
	[ $((i % 4)) = 0 ] && proto=(+tcp)
	fq "${proto[@]}" "web-1.$Z" A
	assert_rcode NOERROR "local answer $i while forwarding stalls${proto[*]:+ (TCP)}"
	assert_rr ANSWER "IN A 10\.0\.0\.5\$" "local answer $i while forwarding stalls${proto[*]:+ (TCP)}"
	qt=$(sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' <<<"$OUT")
	[ -n "$qt" ] || { show; fail "no query time in dig's output"; }
	[ "$qt" -lt 500 ] || fail "local answer $i ${proto[*]} took $qt ms while forwarded queries are pending (limit 500; the forwarder holds them for seconds)"
	[ "$qt" -gt "$worst" ] && worst=$qt
	# Count the answers given while forwarded queries were surely pending.
	pending=0
	for p in "${SLOW_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && pending=$((pending + 1)); done
	[ "$pending" -gt 0 ] && nfast=$((nfast + 1))
	sleep 0.1
done
[ "$nfast" -ge 4 ] || fail "only $nfast local answers overlapped the pending forwarded queries: the check proves nothing"
ok "local answers while forwarded queries hang: worst $worst ms (< 500), $nfast of 8 during the stall"

# The forwarded ones fail after the forwarder's timeouts: SERVFAIL, not silence.
for p in "${SLOW_PIDS[@]}"; do
	wait "$p"
done
slow_ms=$((($(date +%s%N) - t_slow) / 1000000))
for i in $(seq 1 $NSLOW); do
	OUT=$(cat "$WORK/slow$i.out")
	CLIENT=dig
	assert_rcode SERVFAIL "slow$i.$PZ: the upstream never answers"
done
ok "forwarded queries to the silent upstream got SERVFAIL; all done after $slow_ms ms"
# Each dig gives up after 8 s, so SERVFAIL above already bounds each one;
# this only catches a test that hangs.
[ "$slow_ms" -lt 30000 ] || fail "forwarded queries took $slow_ms ms to fail"
nq=$(grep -c '^query' "$HOLE_LOG")
ok "the silent upstream saw $nq queries for $NSLOW client queries"
expect_local "local answers after the stall"
dnsd_alive || fail "front dnsd died"

done_ok
