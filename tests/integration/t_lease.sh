#!/bin/bash
# t_lease.sh -- RFC 9664 Update Lease: UPDATEs signed with TSIG and sent
# with dnspython carry the lease option (4- and 8-byte forms); the granted
# lease comes back clamped to the zone's and the key's bounds; a 2-second
# lease is served at once and gone within 4 s; a renewed one stays (and
# goes within 4 s of the last renewal, A and TXT together); the TTL
# served never exceeds what is left of the lease; the serial rises on
# expiry and not on a pure renewal; the zone's default-lease applies when
# the option is absent; after kill -9 and a restart on the same store the
# leases keep their deadlines and one that ran out meanwhile is gone at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"

need_tool dig
need_dnspython

Z=svc.example.test
DL=dl.example.test    # a zone without a file, default-lease 3
KREG="hmac-sha256:registrar:$(new_secret 32)"
KLIM="hmac-sha512:limited:$(new_secret 64)"
export KREG KLIM WORK

cat >"$WORK/dnsd.conf" <<EOF
zone "$Z" {
	file "$ZONES/$Z.zone";
	default-lease 0; min-lease 1; max-lease 3600;
	grant registrar zone;
	grant limited subdomain "_web._tcp.$Z" SRV TXT PTR;
}
zone "$DL" { default-lease 3; min-lease 1; max-lease 3600; }
key registrar { algorithm hmac-sha256; secret "${KREG##*:}"; }
key limited { algorithm hmac-sha512; secret "${KLIM##*:}"; min-lease 40; max-lease 120; }
EOF

cat >"$WORK/lease.py" <<'PYEOF'
"""lease.py PHASE PORT -- the timed part of t_lease.sh (phases: run,
prekill, postrestart). Prints "ok - ..." lines; "FAIL: ..." and exit 1."""
import json
import math
import os
import sys
import time

sys.path.insert(0, os.environ["WORK"])
import upd  # noqa: E402

PHASE, PORT = sys.argv[1], int(sys.argv[2])
Z, DL = "svc.example.test.", "dl.example.test."
KREG = upd.key_from_spec(os.environ["KREG"])
KLIM = upd.key_from_spec(os.environ["KLIM"])
STATE = os.path.join(os.environ["WORK"], "lease-state.json")


def ok(msg):
    print("ok - " + msg, flush=True)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def reg(ops, key=KREG, lease=None, keylease=None, zone=Z, what=None):
    """Send an UPDATE that must succeed; (outcome, time sent, time acked)."""
    t_send = time.time()
    o = upd.update(PORT, ops, key, zone, lease, keylease)
    t_ack = time.time()
    if o["rcode"] != "NOERROR" or o["tsig"] != "ok":
        fail("%s: %s (lease %s): expected NOERROR with a valid TSIG, got %s" % (
            what or ops, ops, lease, o))
    return o, t_send, t_ack


def look(name, rdtype="A", zone=Z):
    """(present?, ttl or None, rcode); absent = NXDOMAIN or NODATA."""
    rc, ans = upd.query(PORT, upd.absname(name, zone), rdtype)
    if rc not in ("NOERROR", "NXDOMAIN"):
        fail("query %s %s: rcode %s" % (name, rdtype, rc))
    return (len(ans) > 0, ans[0][0] if ans else None, rc)


def ttl_bound(deadline, t_q):
    """The largest TTL allowed at time t_q for a lease that ends no later
    than `deadline` (client clock; the server counts whole seconds)."""
    return math.ceil(deadline - t_q)


def check_ttl(name, deadline, what, zone=Z, low=None):
    t_q = time.time()
    present, ttl, rc = look(name, zone=zone)
    if not present:
        fail("%s: %s is not served (%s)" % (what, name, rc))
    bound = ttl_bound(deadline, t_q)
    if ttl > bound:
        fail("%s: %s served with TTL %d, but only %.2f s are left on its lease"
             % (what, name, ttl, deadline - t_q))
    if low is not None and ttl < low:
        fail("%s: %s served with TTL %d, expected at least %d" % (what, name, ttl, low))
    ok("%s: TTL %d <= %d (lease left %.2f s)" % (what, ttl, bound, deadline - t_q))
    return ttl


def expect_lease(o, lease, keylease=None, what=""):
    if o["lease"] != lease or o["keylease"] != keylease:
        fail("%s: granted lease %s/%s, expected %s/%s" % (
            what, o["lease"], o["keylease"], lease, keylease))
    ok("%s: granted lease %s%s" % (what, lease, "" if keylease is None else "/%s" % keylease))


def serial(zone=Z):
    s = upd.serial(PORT, zone)
    if s is None:
        fail("no SOA serial for " + zone)
    return s


def wait_serial_above(s0, until, what, zone=Z):
    while time.time() < until:
        s = serial(zone)
        if s > s0:
            ok("%s: serial rose (%d -> %d)" % (what, s0, s))
            return s
        time.sleep(0.1)
    fail("%s: serial still %d" % (what, s0))


def watch_expiry(name, t_send, t_ack, lease, limit, what, zone=Z):
    """Query NAME every 0.1 s from now until it is gone. It must be there
    (with TTL <= lease left) until at least t_send + lease - 1 (the server
    counts whole seconds), and gone by t_ack + limit. Returns the time it
    was first seen gone."""
    deadline = t_ack + lease
    seen = 0
    while True:
        t_q = time.time()
        present, ttl, rc = look(name, zone=zone)
        if present:
            seen += 1
            if ttl > ttl_bound(deadline, t_q):
                fail("%s: TTL %d served with %.2f s left on the lease" % (what, ttl, deadline - t_q))
            if t_q > t_ack + limit:
                fail("%s: still served %.2f s after a %d s lease was granted" % (what, t_q - t_ack, lease))
        else:
            if t_q < t_send + lease - 1:
                fail("%s: gone after %.2f s, before its %d s lease ran out" % (what, t_q - t_send, lease))
            ok("%s: TTL never above the lease left (%d answers), gone (%s) %.2f s after the grant"
               % (what, seen, rc, t_q - t_ack))
            # and it stays gone
            for _ in range(3):
                if look(name, zone=zone)[0]:
                    fail("%s: served again after it was gone" % what)
                time.sleep(0.05)
            return t_q
        time.sleep(0.1)


def phase_run():
    # -- clamping (RFC 9664 section 4): zone 1..3600; key limited 40..120
    o, _, t = reg(["add cl-300 3600 A 192.0.2.1"], lease=300, what="lease 300")
    expect_lease(o, 300, what="registrar asks 300")
    check_ttl("cl-300", t + 300, "lease 300, record TTL 3600", low=290)
    o, _, t = reg(["add cl-max 3600 A 192.0.2.2"], lease=100000, what="lease 100000")
    expect_lease(o, 3600, what="registrar asks 100000 (zone max-lease 3600)")
    o, _, t = reg(["add cl-8 3600 A 192.0.2.3"], lease=300, keylease=100000, what="8-byte lease")
    expect_lease(o, 300, 3600, what="registrar asks 300/100000 (8-byte form)")
    o, _, _ = reg(["add l1._web._tcp 3600 TXT one"], key=KLIM, lease=5, what="limited 5")
    expect_lease(o, 40, what="limited asks 5 (key min-lease 40)")
    o, _, _ = reg(["add l2._web._tcp 3600 TXT two"], key=KLIM, lease=600, what="limited 600")
    expect_lease(o, 120, what="limited asks 600 (key max-lease 120)")
    o, _, t = reg(["add l3._web._tcp 3600 TXT three"], key=KLIM, lease=80, what="limited 80")
    expect_lease(o, 80, what="limited asks 80 (inside the bounds)")
    rc, ans = upd.query(PORT, "l3._web._tcp." + Z, "TXT")
    if not ans or ans[0][0] > math.ceil(t + 80 - time.time()):
        fail("limited lease 80: TXT served as %s" % ans)
    ok("limited lease 80: TXT TTL %d <= 80" % ans[0][0])
    o, _, _ = reg(["add l4._web._tcp 3600 TXT four"], key=KLIM, lease=5, keylease=600,
                  what="limited 8-byte")
    expect_lease(o, 40, 120, what="limited asks 5/600 (8-byte form)")
    # these could expire inside the serial checks below: remove them
    reg(["delname l%d._web._tcp" % i for i in (1, 2, 3, 4)], what="cleanup")

    # -- no option: the zone's default lease, no lease in the response
    o, _, t = reg(["add perm 3600 A 192.0.2.4"], what="no lease option")
    if o["lease"] is not None:
        fail("an update without the lease option got lease %s back" % o["lease"])
    ok("no option in the request, none in the response")
    present, ttl, _ = look("perm")
    if not present or ttl != 3600:
        fail("default-lease 0: record not served with its own TTL 3600 (got %s)" % ttl)
    ok("default-lease 0: served with its own TTL 3600 (permanent)")
    o_dl, t_dl_send, t_dl = reg(["add dl1 3600 A 192.0.2.5"], zone=DL, what="default-lease 3")
    if o_dl["lease"] is not None:
        fail("default-lease 3: the response carries lease %s although none was asked" % o_dl["lease"])
    s_dl1 = serial(DL)
    check_ttl("dl1", t_dl + 3, "default-lease 3 (zone %s)" % DL, zone=DL)

    # -- a 2-second lease: served at once, gone within 4 s, serial rises
    s0 = serial()
    o, t_send, t_ack = reg(["add short 3600 A 192.0.2.6"], lease=2, what="lease 2")
    expect_lease(o, 2, what="lease 2")
    s1 = serial()
    if s1 <= s0:
        fail("adding a record did not raise the serial (%d -> %d)" % (s0, s1))
    ok("add with lease 2: serial rose (%d -> %d)" % (s0, s1))
    present, ttl, _ = look("short")
    if not present:
        fail("lease 2: not served at once")
    ok("lease 2: served at once (TTL %d)" % ttl)
    watch_expiry("short", t_send, t_ack, 2, 4.0, "lease 2")
    wait_serial_above(s1, t_ack + 6, "expiry of the 2 s lease")

    # -- renewal: re-sending the same UPDATE keeps the record; no serial rise.
    # The server counts whole seconds, so a 2 s lease granted at t may end
    # at t + 1.01: renew every 0.5 s to stay clear of that edge.
    s0 = serial()
    ops = ["add renew 3600 A 192.0.2.7", "add renew 3600 TXT renewed"]
    o, t0, t_ack = reg(ops, lease=2, what="renewal, first")
    s1 = serial()
    if s1 <= s0:
        fail("renewal: the first add did not raise the serial (%d -> %d)" % (s0, s1))
    last = t_ack
    for i in range(1, 10):
        time.sleep(max(0.0, t0 + 0.5 * i - time.time()))
        o, _, last = reg(ops, lease=2, what="renewal %d" % i)
        expect_lease(o, 2, what="renewal %d" % i)
        check_ttl("renew", last + 2, "renewal %d" % i)
        s = serial()
        if s != s1:
            fail("renewal %d: a pure renewal changed the serial (%d -> %d)" % (i, s1, s))
        ok("renewal %d: serial unchanged (%d)" % (i, s))
    if time.time() - t_ack < 4.0:
        fail("renewal: the loop ended too early")
    present, _, _ = look("renew")
    if not present:
        fail("renewal: gone %.2f s after the first add despite renewals" % (time.time() - t_ack))
    ok("renewed every 0.5 s: still served %.2f s after a 2 s lease was first granted"
       % (time.time() - t_ack))
    t_gone = watch_expiry("renew", last, last, 2, 4.0, "renewal stopped")
    if look("renew", "TXT")[0]:
        fail("renewal stopped: the A is gone but the TXT of the same update is not")
    ok("the whole registration (A and TXT) expired together")
    wait_serial_above(s1, t_gone + 3, "expiry after the renewals stopped")

    # -- default-lease 3 in the other zone ran out meanwhile
    present, _, rc = look("dl1", zone=DL)
    if present:
        fail("default-lease 3: still served %.1f s later" % (time.time() - t_dl))
    ok("default-lease 3: gone (%s) %.1f s after the grant" % (rc, time.time() - t_dl))
    wait_serial_above(s_dl1, time.time() + 3, "expiry in %s" % DL, zone=DL)


def phase_prekill():
    st = {}
    for name, lease in (("rs-long", 60), ("rs-short", 2), ("rs-mid", 7)):
        o, t_send, t_ack = reg(["add %s 3600 A 192.0.2.8" % name], lease=lease, what=name)
        expect_lease(o, lease, what=name)
        st[name] = (t_send, t_ack, lease)
    st["serial"] = serial()
    with open(STATE, "w") as f:
        json.dump(st, f)


def phase_postrestart():
    with open(STATE) as f:
        st = json.load(f)
    t_send, t_ack, lease = st["rs-short"]
    present, _, rc = look("rs-short")
    if present:
        fail("restart: rs-short (lease 2, ran out %.1f s ago while dnsd was down) is served"
             % (time.time() - t_ack - lease))
    ok("restart: the lease that ran out while dnsd was down is gone at once (%s)" % rc)
    t_send, t_ack, lease = st["rs-long"]
    check_ttl("rs-long", t_ack + lease, "restart: rs-long keeps its deadline",
              low=int(t_send + lease - time.time()) - 2)
    t_send, t_ack, lease = st["rs-mid"]
    if time.time() > t_send + lease - 1.5:
        fail("restart took too long to check rs-mid (%.1f s)" % (time.time() - t_send))
    check_ttl("rs-mid", t_ack + lease, "restart: rs-mid keeps its deadline")
    watch_expiry("rs-mid", t_send, t_ack, lease, lease + 1.5,
                 "restart: rs-mid expires at its original deadline")
    present, ttl, _ = look("perm")
    if not present or ttl != 3600:
        fail("restart: the permanent record is not served as before (%s)" % ttl)
    ok("restart: the permanent record is still there")
    check_ttl("cl-300", time.time() + 300, "restart: cl-300 (lease 300)")
    wait_serial_above(st["serial"], time.time() + 3, "restart: expiries reaped")


{"run": phase_run, "prekill": phase_prekill, "postrestart": phase_postrestart}[PHASE]()
PYEOF

# run_phase PHASE: run lease.py, turn its lines into ok/fail.
run_phase() {
	local rc
	"$PYDNS" "$WORK/lease.py" "$1" "$PORT" >"$WORK/phase.$1.out" 2>&1
	rc=$?
	relay_checks "lease.py $1" <"$WORK/phase.$1.out"
	[ "$rc" = 0 ] || fail "lease.py $1 failed (see above)"
}

start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"
WAIT_ZONE=$DL server_answers || hard_error "zone $DL is not served"

note "clamping, default lease, 2-second lease, renewal"
run_phase run

note "kill -9 and restart on the same store"
run_phase prekill
{ kill -KILL "$DNSD_PID"; wait "$DNSD_PID"; } 2>/dev/null
DNSD_PID=
sleep 3
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not restart on its store"
run_phase postrestart

dnsd_alive || fail "dnsd died during the test"
done_ok
