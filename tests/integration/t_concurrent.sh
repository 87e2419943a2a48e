#!/bin/bash
# t_concurrent.sh -- 20 concurrent clients (python threads with dnspython,
# half over UDP, half over one TCP connection each) send 50 signed DNS-SD
# registrations each (PTR + SRV + TXT in one UPDATE). Every one must be
# acknowledged NOERROR and be there afterwards: the browse PTR RRset
# (read with dig over TCP) holds all 1,000 instances, and each instance's
# SRV and TXT answer. The serial strictly increased.
# Meanwhile a 21st client whose key may own 3 records sends 30 UPDATEs of
# two TXT records each: the first fits, the other 29 go over the cap after
# the writer has added their records inside a batch of other clients'
# updates. Each must be REFUSED and leave nothing behind, while the batch
# it was in is run again and commits the others (the log says so).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"

need_tool dig
need_dnspython

Z=svc.example.test
CLIENTS=20
PER=50
TOTAL=$((CLIENTS * PER))
KREG="hmac-sha256:registrar:$(new_secret 32)"
KCAP="hmac-sha256:capped:$(new_secret 32)"
CAPPED=30
export KREG KCAP WORK CLIENTS PER CAPPED

cat >"$WORK/dnsd.conf" <<EOF
log-level debug
zone "$Z" {
	file "$ZONES/$Z.zone";
	grant registrar zone;
	grant capped zone;
}
key registrar { algorithm hmac-sha256; secret "${KREG##*:}"; }
key capped { algorithm hmac-sha256; secret "${KCAP##*:}"; max-records 3; }
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
KCAP = upd.key_from_spec(os.environ["KCAP"])
CAPPED = int(os.environ["CAPPED"])
Z = "svc.example.test."
SVC = "_conc._tcp." + Z


def inst(c, i):
    return "c%02d-%02d._conc._tcp.%s" % (c, i, Z)


def ops(c, i):
    return ["add %s 300 PTR %s" % (SVC, inst(c, i)),
            "add %s 300 SRV 0 0 %d web-1.%s" % (inst(c, i), 10000 + c * 100 + i, Z),
            'add %s 300 TXT "client=%d" "n=%d"' % (inst(c, i), c, i)]


def capped_name(i):
    return "cap-%02d.%s" % (i, Z)


def register():
    errors, start = [], threading.Event()

    def capped():
        # the first fits the key's cap of 3 records, every later one not
        try:
            start.wait()
            for i in range(CAPPED):
                o = upd.update(PORT, ['add %s 300 TXT "a"' % capped_name(i),
                                      'add %s 300 TXT "b"' % capped_name(i)], KCAP)
                want = "NOERROR" if i == 0 else "REFUSED"
                if o["rcode"] != want or o["tsig"] != "ok":
                    errors.append("capped update %d: %s, expected %s" % (i, o, want))
        except Exception as e:
            errors.append("capped client: %s: %s" % (type(e).__name__, e))

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
    threads.append(threading.Thread(target=capped))
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
    print("ok - the capped key: its first update NOERROR, the other %d REFUSED" % (CAPPED - 1))
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
        rc, txt = upd.query(PORT, capped_name(0), "TXT", conn=conn)
        if sorted(r for _, r in txt) != ['"a"', '"b"']:
            missing.append("%s TXT: %s %s" % (capped_name(0), rc, txt))
        for i in range(1, CAPPED):
            rc, txt = upd.query(PORT, capped_name(i), "TXT", conn=conn)
            if rc != "NXDOMAIN":
                missing.append("%s (refused) left behind: %s %s" % (capped_name(i), rc, txt))
    finally:
        conn.close()
    for m in missing[:10]:
        print("FAIL: " + m)
    if missing:
        print("FAIL: %d records of %d instances missing or wrong" % (len(missing), CLIENTS * PER))
        return 1
    print("ok - every instance answers its SRV and TXT (%d queries); of the capped"
          " key's names only the first is there" % (2 * CLIENTS * PER))
    return 0


sys.exit(register() if WHAT == "register" else verify())
PYEOF

# run_py ARGS...: run conc.py, turn its lines into ok/fail.
run_py() {
	local rc
	"$PYDNS" "$WORK/conc.py" "$PORT" "$@" >"$WORK/conc.out" 2>&1
	rc=$?
	relay_checks "conc.py $*" <"$WORK/conc.out"
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

# The refused updates came in batches with others at least once: the
# writer then ran such a batch again, one transaction per update.
shared=$(grep -Ec 'running the batch of ([2-9]|[1-9][0-9]+) again' "$DNSD_LOG")
[ "$shared" -ge 1 ] || fail "no batch of several updates was run again: the capped key's updates never shared a batch"
ok "$shared batches of several updates were run again after one of them failed"

serial1=$(soa_serial)
[ -n "$serial1" ] && [ "$serial1" -gt "$serial0" ] || fail "serial did not increase ($serial0 -> ${serial1:-none})"
ok "serial strictly increased ($serial0 -> $serial1, $((serial1 - serial0)) commits for $TOTAL updates)"

dnsd_alive || fail "dnsd died during the test"
done_ok
