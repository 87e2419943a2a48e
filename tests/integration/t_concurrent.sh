#!/bin/bash
# t_concurrent.sh -- 20 concurrent clients (python threads with dnspython,
# half over UDP, half over one TCP connection each) send 50 signed DNS-SD
# registrations each (PTR + SRV + TXT in one UPDATE). Every one must be
# acknowledged NOERROR and be there afterwards: the browse PTR RRset
# (read with dig over TCP) holds all 1,000 instances, and each instance's
# SRV and TXT answer. The serial strictly increased.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"

need_tool dig
need_dnspython

Z=svc.example.test
CLIENTS=20
PER=50
TOTAL=$((CLIENTS * PER))
KREG="hmac-sha256:registrar:$(new_secret 32)"
export KREG WORK CLIENTS PER

cat >"$WORK/dnsd.conf" <<EOF
zone "$Z" {
	file "$ZONES/$Z.zone";
	grant registrar zone;
}
key registrar { algorithm hmac-sha256; secret "${KREG##*:}"; }
EOF

start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"
serial0=$(soa_serial)
[ -n "$serial0" ] || hard_error "no SOA serial"

note "$CLIENTS clients x $PER registrations, concurrently"
cat >"$WORK/conc.py" <<'PYEOF'
"""conc.py PORT register|verify -- the concurrent part of t_concurrent.sh."""
import os
import sys
import threading
import time

sys.path.insert(0, os.environ["WORK"])
import upd  # noqa: E402

PORT, WHAT = int(sys.argv[1]), sys.argv[2]
CLIENTS, PER = int(os.environ["CLIENTS"]), int(os.environ["PER"])
KEY = upd.key_from_spec(os.environ["KREG"])
Z = "svc.example.test."
SVC = "_conc._tcp." + Z


def inst(c, i):
    return "c%02d-%02d._conc._tcp.%s" % (c, i, Z)


def ops(c, i):
    return ["add %s 300 PTR %s" % (SVC, inst(c, i)),
            "add %s 300 SRV 0 0 %d web-1.%s" % (inst(c, i), 10000 + c * 100 + i, Z),
            'add %s 300 TXT "client=%d" "n=%d"' % (inst(c, i), c, i)]


def register():
    errors, start = [], threading.Event()

    def client(c):
        conn = None
        try:
            if c % 2:
                conn = upd.Conn(PORT, timeout=10)
            start.wait()
            for i in range(PER):
                o = upd.update(PORT, ops(c, i), KEY, conn=conn)
                if o["rcode"] != "NOERROR" or o["tsig"] != "ok":
                    errors.append("client %d registration %d (%s): %s"
                                  % (c, i, "TCP" if conn else "UDP", o))
        except Exception as e:  # a lost connection, a timeout ...
            errors.append("client %d: %s: %s" % (c, type(e).__name__, e))
        finally:
            if conn:
                conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    t0 = time.time()
    start.set()
    for t in threads:
        t.join(120)
    dt = time.time() - t0
    if any(t.is_alive() for t in threads):
        errors.append("clients still running after 120 s")
    for e in errors[:10]:
        print("FAIL: " + e)
    if errors:
        print("FAIL: %d of %d registrations not acknowledged NOERROR" % (len(errors), CLIENTS * PER))
        return 1
    print("ok - %d registrations acknowledged NOERROR with a valid TSIG in %.2f s (%.0f/s)"
          % (CLIENTS * PER, dt, CLIENTS * PER / dt))
    return 0


def verify():
    missing = []
    conn = upd.Conn(PORT, timeout=10)
    try:
        for c in range(CLIENTS):
            for i in range(PER):
                rc, srv = upd.query(PORT, inst(c, i), "SRV", conn=conn)
                want = "0 0 %d web-1.%s" % (10000 + c * 100 + i, Z)
                if rc != "NOERROR" or [r for _, r in srv] != [want]:
                    missing.append("%s SRV: %s %s" % (inst(c, i), rc, srv))
                rc, txt = upd.query(PORT, inst(c, i), "TXT", conn=conn)
                if [r for _, r in txt] != ['"client=%d" "n=%d"' % (c, i)]:
                    missing.append("%s TXT: %s %s" % (inst(c, i), rc, txt))
    finally:
        conn.close()
    for m in missing[:10]:
        print("FAIL: " + m)
    if missing:
        print("FAIL: %d records of %d instances missing or wrong" % (len(missing), CLIENTS * PER))
        return 1
    print("ok - every instance answers its SRV and TXT (%d queries)" % (2 * CLIENTS * PER))
    return 0


sys.exit(register() if WHAT == "register" else verify())
PYEOF

# run_py ARGS...: run conc.py, turn its lines into ok/fail.
run_py() {
	local rc
	"$PYDNS" "$WORK/conc.py" "$PORT" "$@" >"$WORK/conc.out" 2>&1
	rc=$?
	relay_checks <"$WORK/conc.out"
	[ "$rc" = 0 ] || fail "conc.py $* failed (see above)"
}

run_py register
dnsd_alive || fail "dnsd died under concurrent updates"

note "all $TOTAL present"
q +tcp _conc._tcp.$Z PTR
assert_rcode NOERROR "browse _conc._tcp over TCP"
assert_noflag tc "browse _conc._tcp over TCP"
got=$(out_section ANSWER | awk '$4 == "PTR" { print tolower($5) }' | sort -u)
want=$(for c in $(seq 0 $((CLIENTS - 1))); do for i in $(seq 0 $((PER - 1))); do
	printf 'c%02d-%02d._conc._tcp.%s.\n' "$c" "$i" "$Z"; done; done | sort)
n=$(grep -c . <<<"$got")
if [ "$got" != "$want" ]; then
	echo "    | missing: $(comm -13 <(echo "$got") <(echo "$want") | head -n 5 | tr '\n' ' ')" >&2
	echo "    | unexpected: $(comm -23 <(echo "$got") <(echo "$want") | head -n 5 | tr '\n' ' ')" >&2
	fail "browse PTR RRset holds $n distinct instances, expected $TOTAL"
fi
ok "browse PTR RRset holds all $TOTAL instances, none lost"
assert_count ANSWER $TOTAL "browse PTR RRset (no duplicates)"
run_py verify

serial1=$(soa_serial)
[ -n "$serial1" ] && [ "$serial1" -gt "$serial0" ] || fail "serial did not increase ($serial0 -> ${serial1:-none})"
ok "serial strictly increased ($serial0 -> $serial1, $((serial1 - serial0)) commits for $TOTAL updates)"

dnsd_alive || fail "dnsd died during the test"
done_ok
