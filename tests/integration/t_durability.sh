#!/bin/bash
# t_durability.sh -- an acknowledged UPDATE survives kill -9 (DESIGN.md:
# the writer commits durably, and only then answers).
#   1. 200 signed updates, each acknowledged, then kill -9 at once (the
#      client kills dnsd itself right after the last reply); restart on
#      the same store: all 200 are there.
#   2. 8 clients stream updates (UDP and TCP); kill -9 after 300
#      acknowledgements while others are in flight; restart: every
#      acknowledged update is there, and every update (acknowledged or
#      not) is there whole (A and TXT) or not at all.
# kill -9 keeps the page cache, so this shows the commit-before-reply
# order, not survival of a power cut.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"

need_tool dig
need_dnspython

Z=svc.example.test
KREG="hmac-sha256:registrar:$(new_secret 32)"
export KREG WORK

cat >"$WORK/dnsd.conf" <<EOF
zone "$Z" {
	file "$ZONES/$Z.zone";
	grant registrar zone;
}
key registrar { algorithm hmac-sha256; secret "${KREG##*:}"; }
EOF

cat >"$WORK/dur.py" <<'PYEOF'
"""dur.py PORT PHASE [PID] -- the client side of t_durability.sh.
   seq PID:     200 acknowledged updates, then SIGKILL to PID at once
   stream PID:  8 clients; SIGKILL to PID after 300 acknowledgements
   check-seq / check-stream: after the restart, read everything back."""
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.environ["WORK"])
import upd  # noqa: E402

PORT, PHASE = int(sys.argv[1]), sys.argv[2]
KEY = upd.key_from_spec(os.environ["KREG"])
Z = "svc.example.test."
STATE = os.path.join(os.environ["WORK"], "dur-%s.json")
SEQ_N = 200
STREAM_CLIENTS, STREAM_KILL_AT, STREAM_MAX = 8, 300, 200


def ok(msg):
    print("ok - " + msg, flush=True)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def ops(name, n):
    return ["add %s 300 A 10.%d.%d.%d" % (name, n >> 16 & 255, n >> 8 & 255, n & 255),
            "add %s 300 TXT n=%d" % (name, n)]


def seq(pid):
    acked = []
    conn = upd.Conn(PORT, timeout=10)
    try:
        for i in range(SEQ_N):
            name = "seq-%03d.%s" % (i, Z)
            o = upd.update(PORT, ops(name, i), KEY, conn=conn)
            if o["rcode"] != "NOERROR":
                fail("update %d: %s" % (i, o))
            acked.append(i)
    finally:
        os.kill(pid, signal.SIGKILL)  # right after the last reply
        conn.close()
    with open(STATE % "seq", "w") as f:
        json.dump(acked, f)
    ok("%d updates acknowledged, dnsd killed (SIGKILL) right after the last reply" % len(acked))


def stream(pid):
    lock = threading.Lock()
    acked, sent = [], []
    killed = threading.Event()

    def client(c):
        conn = upd.Conn(PORT, timeout=5) if c % 2 else None
        try:
            for i in range(STREAM_MAX):
                n = c * 1000 + i
                name = "str-%d-%03d.%s" % (c, i, Z)
                with lock:
                    sent.append(n)
                try:
                    if conn:
                        o = upd.update(PORT, ops(name, n), KEY, conn=conn)
                    else:
                        o = upd.update(PORT, ops(name, n), KEY, timeout=1.0, tries=1)
                except Exception:
                    return  # the server is gone
                if o["rcode"] != "NOERROR":
                    return  # no reply: the server is gone
                with lock:
                    acked.append(n)
                    if len(acked) >= STREAM_KILL_AT and not killed.is_set():
                        os.kill(pid, signal.SIGKILL)
                        killed.set()
                if killed.is_set():
                    return
        finally:
            if conn:
                conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(STREAM_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if not killed.is_set():
        os.kill(pid, signal.SIGKILL)
        fail("only %d updates acknowledged before the clients stopped" % len(acked))
    with open(STATE % "stream", "w") as f:
        json.dump({"acked": acked, "sent": sent}, f)
    ok("%d updates acknowledged, %d sent; dnsd killed with updates in flight"
       % (len(acked), len(sent)))


def present(conn, name, n):
    """(A there, TXT there) for one update."""
    rc, a = upd.query(PORT, name, "A", conn=conn)
    rc2, txt = upd.query(PORT, name, "TXT", conn=conn)
    want_a = ops(name, n)[0].split()[-1]
    return ([r for _, r in a] == [want_a], [r for _, r in txt] == ['"n=%d"' % n])


def check_seq():
    with open(STATE % "seq") as f:
        acked = json.load(f)
    conn = upd.Conn(PORT, timeout=10)
    lost = [i for i in acked if present(conn, "seq-%03d.%s" % (i, Z), i) != (True, True)]
    conn.close()
    if lost:
        fail("%d of %d acknowledged updates lost after kill -9: %s" % (
            len(lost), len(acked), ["seq-%03d" % i for i in lost[:10]]))
    ok("all %d acknowledged updates present after kill -9 and restart" % len(acked))


def check_stream():
    with open(STATE % "stream") as f:
        st = json.load(f)
    acked = set(st["acked"])
    conn = upd.Conn(PORT, timeout=10)
    lost, partial, extra = [], [], 0
    for n in st["sent"]:
        name = "str-%d-%03d.%s" % (n // 1000, n % 1000, Z)
        a, t = present(conn, name, n)
        if a != t:
            partial.append(name)
        if n in acked and not (a and t):
            lost.append(name)
        if n not in acked and a and t:
            extra += 1
    conn.close()
    if lost:
        fail("%d of %d acknowledged updates lost after kill -9: %s" % (len(lost), len(acked), lost[:10]))
    ok("all %d acknowledged updates present after kill -9 mid-stream" % len(acked))
    if partial:
        fail("updates applied in part (A without TXT or the reverse): %s" % partial[:10])
    ok("every update sent (%d) is there whole or not at all (%d unacknowledged ones made it)"
       % (len(st["sent"]), extra))


{"seq": lambda: seq(int(sys.argv[3])), "stream": lambda: stream(int(sys.argv[3])),
 "check-seq": check_seq, "check-stream": check_stream}[PHASE]()
PYEOF

# run_py ARGS...: run dur.py, turn its lines into ok/fail.
run_py() {
	local rc
	"$PYDNS" "$WORK/dur.py" "$PORT" "$@" >"$WORK/dur.out" 2>&1
	rc=$?
	relay_checks "dur.py $*" <"$WORK/dur.out"
	[ "$rc" = 0 ] || fail "dur.py $* failed (see above)"
}

# reap_killed: dnsd was killed by the client; collect it and check how.
reap_killed() {
	local i st
	for i in $(seq 1 100); do
		kill -0 "$DNSD_PID" 2>/dev/null || break
		sleep 0.05
	done
	wait "$DNSD_PID" 2>/dev/null
	st=$?
	DNSD_PID=
	[ "$st" = 137 ] || fail "dnsd should have died of SIGKILL, exit status $st"
}

start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"

note "200 acknowledged updates, then kill -9"
run_py seq "$DNSD_PID"
reap_killed
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not restart on its store"
run_py check-seq

note "kill -9 while 8 clients stream updates"
run_py stream "$DNSD_PID"
reap_killed
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not restart on its store"
run_py check-stream
run_py check-seq

note "the restarted server still takes updates"
upd -k "$KREG" "add after 300 A 192.0.2.200"
expect_update NOERROR "update after two crashes"
[ "$(rrdata after.$Z A)" = 192.0.2.200 ] || fail "update after two crashes not served"
ok "update after two crashes served"

dnsd_alive || fail "dnsd died during the test"
done_ok
