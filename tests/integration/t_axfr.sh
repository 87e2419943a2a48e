#!/bin/bash
# t_axfr.sh -- zone transfers from dnsd: AXFR content equals the zone
# (RFC 5936), a 100,000-record zone transfers as one consistent snapshot
# while updates commit, the transfer ACL by address and by TSIG key
# (RFC 8945), and IXFR (RFC 1995): incremental sequences, the up-to-date
# single SOA, the AXFR-style fallback, and IXFR over UDP.
. "$(dirname "$0")/lib.sh"

need_tool dig
need_tool drill   # ldnsutils, which also brings ldns-read-zone
command -v ldns-read-zone >/dev/null 2>&1 || skip "ldns-read-zone not available (ldnsutils)"
command -v base64 >/dev/null 2>&1 || skip "base64 not available"

UPDATE=$BUILDDIR/tools/dnsd-update
[ -x "$UPDATE" ] || hard_error "no dnsd-update at $UPDATE (build first)"

SVC=svc.example.test
EX=example.test
KZ=xfr-key.test      # transfers need the key xfrkey
BIG=big.test         # 100,000 A records
NBIG=100000
secret() { head -c 32 /dev/urandom | base64 -w0; }
REG_SECRET=$(secret)
XFR_SECRET=$(secret)
OTHER_SECRET=$(secret)
WRONG_SECRET=$(secret)

# ---- the transfer client: xfr.py (RCODEs, TSIG on every message) -------------
cat >"$WORK/xfr.py" <<'PYEOF'
"""xfr.py -- a zone transfer client for t_axfr.sh (written there; stdlib +
dnswire.py). Prints "ok - ..." per check, "FAIL: ..." and exit 1.

  xfr.py query PORT ZONE TYPE [--serial N] [--src A] [--key NAME:B64] [--udp]
               [--dump FILE]
      one AXFR/IXFR; prints "rcode=R records=N messages=M signed=S
      verified=V tsig_error=E form=F first=SERIAL last=SERIAL
      complete=0|1 aa=0|1 tc=0|1" (form: single, axfr, ixfr)
  xfr.py snap PORT ZONE BASE OUT
      AXFR that pauses after its first message until the zone's serial has
      moved on by 3 (updates committed meanwhile), then reads the rest;
      checks it is one consistent snapshot; saves it to OUT
  xfr.py save PORT ZONE OUT
      AXFR saved as a snapshot
  xfr.py apply PORT ZONE SNAP [--steps N]
      IXFR from the snapshot's serial is incremental, its sequences chain
      (N of them), and applied to the snapshot it gives a fresh AXFR
"""
import base64
import hashlib
import hmac
import json
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.environ["TESTDIR"])
import dnswire as dw  # noqa: E402

SOA, TSIG = 6, 250
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED", 9: "NOTAUTH", 16: "BADSIG", 17: "BADKEY", 18: "BADTIME"}
# Types whose RDATA holds names (compressible, case-insensitive): layout.
NAME_RDATA = {2: "n", 5: "n", 12: "n", 6: "nn", 15: "2n", 33: "6n"}


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)
    print("ok - " + what, flush=True)


def records(msg):
    """Each record of every section: (start, owner, type, class, ttl, rdoff, rdlen)."""
    qd, an, ns, ar = struct.unpack("!4H", msg[4:12])
    off = 12
    for _ in range(qd):
        _, off = dw.read_name(msg, off)
        off += 4
    out = []
    for _ in range(an + ns + ar):
        start = off
        owner, off = dw.read_name(msg, off)
        t, c, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        out.append((start, owner, t, c, ttl, off, rdlen))
        off += rdlen
    if off != len(msg):
        raise dw.ParseError("trailing bytes")
    return out


def canon(msg, t, rdoff, rdlen):
    """RDATA in a comparable form: names decompressed and lower-cased."""
    spec = NAME_RDATA.get(t)
    if spec is None:
        return msg[rdoff:rdoff + rdlen].hex()
    off, parts = rdoff, []
    for s in spec:
        if s == "n":
            n, off = dw.read_name(msg, off)
            parts.append(n.lower())
        else:
            parts.append(msg[off:off + int(s)].hex())
            off += int(s)
    parts.append(msg[off:rdoff + rdlen].hex())
    return " ".join(parts)


def soa_serial(msg, rdoff):
    _, off = dw.read_name(msg, rdoff)
    _, off = dw.read_name(msg, off)
    return struct.unpack("!I", msg[off:off + 4])[0]


def tsig_vars(keyname, alg, when, fudge, error, other=b""):
    return (dw.name_wire(keyname.lower()) + struct.pack("!HI", 255, 0) +
            dw.name_wire(alg) + struct.pack("!HIH", when >> 32, when & 0xFFFFFFFF, fudge) +
            struct.pack("!HH", error, len(other)) + other)


def sign(msg, keyname, secret):
    """RFC 8945 section 4.3.1: append a TSIG (hmac-sha256) to a request."""
    now = int(time.time())
    mac = hmac.new(secret, msg + tsig_vars(keyname, "hmac-sha256", now, 300, 0),
                   hashlib.sha256).digest()
    rdata = (dw.name_wire("hmac-sha256") + struct.pack("!HIH", now >> 32, now & 0xFFFFFFFF, 300) +
             struct.pack("!H", len(mac)) + mac + msg[:2] + struct.pack("!HH", 0, 0))
    rr = dw.name_wire(keyname) + struct.pack("!HHIH", TSIG, 255, 0, len(rdata)) + rdata
    ar = struct.unpack("!H", msg[10:12])[0] + 1
    return msg[:10] + struct.pack("!H", ar) + msg[12:] + rr, mac


def tsig_of(msg, recs):
    """The TSIG fields of a message (None if unsigned) and the message
    without it, ARCOUNT decremented and the original ID restored."""
    if not recs or recs[-1][2] != TSIG:
        return None, None
    start, owner, _t, _c, _ttl, rdoff, rdlen = recs[-1]
    alg, off = dw.read_name(msg, rdoff)
    hi, lo, fudge, maclen = struct.unpack("!HIHH", msg[off:off + 10])
    mac = msg[off + 10:off + 10 + maclen]
    off += 10 + maclen
    orig_id, error, olen = struct.unpack("!HHH", msg[off:off + 6])
    other = msg[off + 6:off + 6 + olen]
    ar = struct.unpack("!H", msg[10:12])[0] - 1
    stripped = struct.pack("!H", orig_id) + msg[2:10] + struct.pack("!H", ar) + msg[12:start]
    return {"key": owner, "alg": alg, "time": (hi << 32) | lo, "fudge": fudge, "mac": mac,
            "error": error, "other": other}, stripped


def build_query(zone, qtype, serial=None):
    msg = bytearray(dw.query(zone, qtype, qid=random.randrange(65536)))
    if serial is not None:  # RFC 1995 section 3: the client's SOA in authority
        rdata = b"\0\0" + struct.pack("!5I", serial, 0, 0, 0, 0)
        msg += dw.name_wire(zone) + struct.pack("!HHIH", SOA, 1, 0, len(rdata)) + rdata
        msg[8:10] = struct.pack("!H", 1)
    return bytes(msg)


def parse_key(spec):
    if spec is None:
        return None, None
    name, secret = spec.split(":", 1)
    return name, base64.b64decode(secret)


class Transfer:
    """One transfer's result: rcode, records in order, per-message TSIG."""

    def __init__(self):
        self.rcode = None
        self.recs = []       # (owner, type, class, ttl, rdata), SOA rdata as serial too
        self.serials = []    # SOA serial per record index (None if not SOA)
        self.messages = 0
        self.signed = 0
        self.verified = 0
        self.tsig_error = None
        self.complete = False
        self.flags = 0


def run_transfer(port, zone, qtype, serial=None, src=None, key=None, udp=False,
                 timeout=20.0, after_first=None):
    keyname, secret = parse_key(key)
    q = build_query(zone, qtype, serial)
    reqmac = None
    if keyname:
        q, reqmac = sign(q, keyname, secret)
    x = Transfer()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    prevmac = reqmac
    first = True
    try:
        if udp:
            s.sendto(q, ("127.0.0.1", port))
        else:
            s.connect(("127.0.0.1", port))
            s.sendall(dw.frame(q))
        deadline = time.time() + timeout
        while not x.complete:
            if time.time() > deadline:
                raise Fail("%s %s: transfer not complete after %ss" % (qtype, zone, timeout))
            msg = s.recv(65535) if udp else dw.recv_tcp(s)
            if msg is None:
                break  # EOF
            if msg[:2] != q[:2]:
                raise Fail("reply with the wrong ID")
            x.messages += 1
            recs = records(msg)
            flags = struct.unpack("!H", msg[2:4])[0]
            x.rcode = RCODES.get(flags & 15, str(flags & 15))
            x.flags = flags
            t, stripped = tsig_of(msg, recs)
            if t is not None:
                x.signed += 1
                x.tsig_error = RCODES.get(t["error"], str(t["error"]))
                recs = recs[:-1]
                if keyname and t["mac"]:
                    # RFC 8945 4.3.3 (first message) and 5.3.1 (later ones)
                    h = hmac.new(secret, digestmod=hashlib.sha256)
                    h.update(struct.pack("!H", len(prevmac)) + prevmac + stripped)
                    if first:
                        h.update(tsig_vars(t["key"], t["alg"], t["time"], t["fudge"],
                                           t["error"], t["other"]))
                    else:
                        h.update(struct.pack("!HIH", t["time"] >> 32, t["time"] & 0xFFFFFFFF,
                                             t["fudge"]))
                    if hmac.compare_digest(h.digest(), t["mac"]):
                        x.verified += 1
                    prevmac = t["mac"]
            first = False
            for (_start, owner, typ, cls, ttl, rdoff, rdlen) in recs:
                if typ in (41,):
                    continue
                x.recs.append((owner.lower(), typ, cls, ttl, canon(msg, typ, rdoff, rdlen)))
                x.serials.append(soa_serial(msg, rdoff) if typ == SOA else None)
            if flags & 15 or udp:
                break
            x.complete = ended(x)
            if x.messages == 1 and after_first is not None:
                after_first(x)
    except socket.timeout:
        raise Fail("%s %s: timed out after %d messages" % (qtype, zone, x.messages))
    finally:
        s.close()
    return x


def form_and_end(x):
    """Classify a complete-looking stream: 'single', 'axfr' or 'ixfr' and
    whether its final SOA has arrived."""
    sr = x.serials
    if not sr:
        return None, False
    if len(sr) == 1:
        return "single", True  # only meaningful once the message ended
    cur = sr[0]
    if sr[1] is None:  # AXFR, or AXFR-style IXFR: ends at the next SOA
        return "axfr", sr[-1] is not None and len(sr) > 1
    # incremental: (old SOA, deletions, new SOA, additions)* then cur
    i, n = 1, len(sr)
    while i < n:
        if sr[i] is None:
            return "bad", False
        if sr[i] == cur and i == n - 1:
            return "ixfr", True
        i += 1
        while i < n and sr[i] is None:
            i += 1
        if i == n:
            return "ixfr", False
        i += 1  # the new SOA
        while i < n and sr[i] is None:
            i += 1
    return "ixfr", False


def ended(x):
    """Has the stream reached its last SOA? (RFC 5936 2.2, RFC 1995 4)"""
    form, done = form_and_end(x)
    if form == "single":
        return True  # one message with one SOA: the up-to-date answer
    return done


def diffs(x):
    """The IXFR body as a list of (old, new, deletions, additions)."""
    sr, rr = x.serials, x.recs
    out, i, n = [], 1, len(sr)
    while i < n - 1:
        old = sr[i]
        i += 1
        dels = []
        while sr[i] is None:
            dels.append(rr[i])
            i += 1
        new = sr[i]
        i += 1
        adds = []
        while sr[i] is None:
            adds.append(rr[i])
            i += 1
        out.append((old, new, dels, adds))
    return out


def key(r):
    return (r[0], r[1], r[2], r[4])


def body(x):
    """An AXFR's records without its two framing SOAs, as a dict key -> ttl."""
    d = {}
    for r in x.recs[1:-1]:
        d[key(r)] = r[3]
    return d


def soa_now(port, zone):
    for _ in range(5):
        raw = dw.exchange("127.0.0.1", port, dw.query(zone, "SOA"), timeout=1.0)
        if raw:
            r = dw.parse(raw)
            for (_o, t, _c, _ttl, _rd, rdoff) in r["answer"]:
                if t == SOA:
                    return soa_serial(raw, rdoff)
    raise Fail("no SOA answer for %s" % zone)


def cmd_query(a):
    x = run_transfer(int(a[0]), a[1], a[2], serial=opt(a, "--serial", int), src=opt(a, "--src"),
                     key=opt(a, "--key"), udp="--udp" in a)
    form, _ = form_and_end(x)
    print("rcode=%s records=%d messages=%d signed=%d verified=%d tsig_error=%s form=%s "
          "first=%s last=%s complete=%d aa=%d tc=%d" % (
              x.rcode, len(x.recs), x.messages, x.signed, x.verified, x.tsig_error or "none",
              form, x.serials[0] if x.serials else "none", x.serials[-1] if x.serials else "none",
              x.complete, (x.flags >> 10) & 1, (x.flags >> 9) & 1))
    dump = opt(a, "--dump")
    if dump:
        with open(dump, "w") as f:
            for r in sorted(x.recs):
                f.write("%s %d %d %d %s\n" % r)


def opt(a, name, conv=str):
    if name in a:
        return conv(a[a.index(name) + 1])
    return None


def cmd_snap(a):
    port, zone, base, out = int(a[0]), a[1], int(a[2]), a[3]
    seen = {}

    def wait_for_updates(x):
        s0 = x.serials[0]
        t0 = time.time()
        while time.time() - t0 < 10:
            cur = soa_now(port, zone)
            if (cur - s0) % 2**32 >= 3:
                seen["moved"] = cur
                return
            time.sleep(0.05)
        raise Fail("the zone's serial did not move while the transfer was open "
                   "(updates stalled? serial %d)" % s0)

    t0 = time.time()
    x = run_transfer(port, zone, "AXFR", after_first=wait_for_updates, timeout=30)
    took = time.time() - t0
    check(x.rcode == "NOERROR" and x.complete,
          "AXFR of %s complete (%d records, %d messages, %.1f s)" % (zone, len(x.recs), x.messages, took))
    check("moved" in seen, "3+ updates committed after the transfer began (serial %d -> %d)"
          % (x.serials[0], seen.get("moved", 0)))
    soas = [s for s in x.serials if s is not None]
    check(len(soas) == 2 and x.serials[0] is not None and x.serials[-1] is not None,
          "exactly two SOAs, first and last record")
    check(soas[0] == soas[1], "starts and ends with the same serial (%d, %d)" % (soas[0], soas[-1]))
    check((seen["moved"] - soas[0]) % 2**32 >= 3 and (seen["moved"] - soas[0]) % 2**32 < 2**31,
          "the snapshot's serial %d predates the updates (zone at %d meanwhile)" % (soas[0], seen["moved"]))
    keys = [key(r) for r in x.recs[1:-1]]
    dups = len(keys) - len(set(keys))
    check(dups == 0, "no duplicate records (%d)" % dups)
    origin = zone.lower().rstrip(".") + "."
    hosts = {}
    for r in x.recs:
        if r[1] == 1 and r[0].startswith("h") and r[0].endswith("." + origin):
            hosts[r[0]] = r[4]
    missing = 0
    for i in range(base):
        if hosts.get("h%d.%s" % (i, origin)) != "0a%02x%02x%02x" % (i >> 16, (i >> 8) & 255, i & 255):
            missing += 1
    check(missing == 0, "all %d base A records present and intact (%d missing)" % (base, missing))
    check(len(keys) >= base + 2, "at least the %d base records (%d)" % (base + 2, len(keys)))
    # Registrations are atomic: every instance in the snapshot is whole.
    svc = "_web._tcp." + origin
    by_srv = {r[0].split(".")[0] for r in x.recs if r[1] == 33 and r[0].endswith("." + svc)}
    by_txt = {r[0].split(".")[0] for r in x.recs if r[1] == 16 and r[0].endswith("." + svc)}
    by_ptr = {r[4].split(".")[0] for r in x.recs if r[1] == 12 and r[0] == svc}
    by_host = {r[0].split(".")[0] for r in x.recs if r[1] == 1 and r[0].startswith("b")}
    check(len(by_ptr) > 0, "the snapshot holds registrations made before it (%d)" % len(by_ptr))
    check(by_srv == by_txt == by_ptr == by_host,
          "every registered instance is whole (SRV %d, TXT %d, PTR %d, A %d)"
          % (len(by_srv), len(by_txt), len(by_ptr), len(by_host)))
    with open(out, "w") as f:
        json.dump({"serial": soas[0], "recs": x.recs}, f)


def cmd_save(a):
    port, zone, out = int(a[0]), a[1], a[2]
    x = run_transfer(port, zone, "AXFR")
    if not (x.rcode == "NOERROR" and x.complete):
        raise Fail("AXFR of %s: rcode %s, complete %d" % (zone, x.rcode, x.complete))
    with open(out, "w") as f:
        json.dump({"serial": x.serials[0], "recs": x.recs}, f)
    print("serial=%d records=%d" % (x.serials[0], len(x.recs)))


def cmd_apply(a):
    port, zone, snap = int(a[0]), a[1], a[2]
    want_steps = opt(a, "--steps", int)
    with open(snap) as f:
        s = json.load(f)
    state = {}
    for r in s["recs"][1:-1]:
        state[(r[0], r[1], r[2], r[4])] = r[3]
    ix = run_transfer(port, zone, "IXFR", serial=s["serial"], timeout=30)
    form, _ = form_and_end(ix)
    check(ix.rcode == "NOERROR" and ix.complete and form == "ixfr",
          "IXFR from the snapshot's serial %d is incremental (%d records)" % (s["serial"], len(ix.recs)))
    steps = diffs(ix)
    prev = s["serial"]
    for old, new, dels, adds in steps:
        if old != prev:
            raise Fail("IXFR sequence from %d follows %d" % (old, prev))
        for r in dels:
            if state.pop(key(r), None) is None:
                raise Fail("IXFR %d->%d deletes a record the snapshot lacks: %r" % (old, new, r))
        for r in adds:
            if key(r) in state:
                raise Fail("IXFR %d->%d adds a record the snapshot has: %r" % (old, new, r))
            state[key(r)] = r[3]
        prev = new
    ax = run_transfer(port, zone, "AXFR", timeout=30)
    check(ax.complete and ax.serials[0] == prev == ix.serials[0],
          "%d IXFR sequence(s) chain to the current serial %d" % (len(steps), ax.serials[0]))
    if want_steps is not None:
        check(len(steps) == want_steps, "IXFR holds %d sequence(s), one per change" % want_steps)
    now = body(ax)
    extra = set(state) - set(now)
    lost = set(now) - set(state)
    ttl = [k for k in now if k in state and state[k] != now[k]]
    check(not extra and not lost and not ttl,
          "snapshot + IXFR = current AXFR (%d records; %d extra, %d missing, %d TTLs differ)"
          % (len(now), len(extra), len(lost), len(ttl)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        {"query": cmd_query, "snap": cmd_snap, "save": cmd_save, "apply": cmd_apply}[cmd](args)
    except Fail as e:
        print("FAIL: %s" % e, flush=True)
        return 1
    except (OSError, dw.ParseError) as e:
        print("FAIL: %s: %s" % (type(e).__name__, e), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
PYEOF

# xpy CMD ARGS...: run xfr.py; its "ok - " lines count as checks, a
# "FAIL:" line fails the test. Other output lands in $XOUT.
xpy() {
	local out rc line
	out=$(TESTDIR=$TESTDIR PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$WORK/xfr.py" "$@" 2>&1)
	rc=$?
	XOUT=
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"FAIL: "*) fail "xfr.py $1: ${line#FAIL: }" ;;
		*) XOUT+="$line"$'\n' ;;
		esac
	done <<<"$out"
	[ "$rc" = 0 ] || fail "xfr.py $* exited $rc: $out"
}

# xq WHAT ARGS...: one transfer with xfr.py query; field F of its summary
# line is then $(xf F).
xq() {
	xpy query "$PORT" "$@"
	XSUM=$(head -n 1 <<<"$XOUT")
}
xf() {
	tr ' ' '\n' <<<"$XSUM" | sed -n "s/^$1=//p"
}
# xexpect FIELD VALUE WHAT
xexpect() {
	local got
	got=$(xf "$1")
	[ "$got" = "$2" ] || fail "$3: expected $1=$2, got $1=$got ($XSUM)"
	ok "$3: $1=$2"
}

# ---- zones and configuration ----------------------------------------------------
cp "$ZONES/$SVC.zone" "$WORK/$SVC.zone"
"$PYTHON" - "$WORK" "$KZ" "$BIG" "$NBIG" <<'PYEOF'
import sys
work, kz, big, nbig = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open("%s/%s.zone" % (work, kz), "w") as f:
    # Several message's worth of records, of several types.
    f.write("$ORIGIN %s.\n$TTL 600\n" % kz)
    f.write("@ IN SOA ns1 hostmaster 7 3600 600 1209600 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n")
    f.write("@ IN MX 10 mail\nmail IN A 192.0.2.25\n")
    for i in range(400):
        f.write("n%d IN A 198.51.100.%d\n" % (i, i % 250 + 1))
        f.write("n%d IN AAAA 2001:db8::%x\n" % (i, i + 1))
        f.write('n%d 120 IN TXT "record %d" "with \\"quotes\\" and spaces"\n' % (i, i))
        f.write("_s%d._tcp IN SRV 0 %d %d n%d\n" % (i, i % 7, 1000 + i, i))
with open("%s/%s.zone" % (work, big), "w") as f:
    f.write("$ORIGIN %s.\n$TTL 300\n" % big)
    f.write("@ IN SOA ns1 hostmaster 1 3600 600 1209600 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n")
    for i in range(nbig):
        f.write("h%d IN A 10.%d.%d.%d\n" % (i, i >> 16, (i >> 8) & 255, i & 255))
PYEOF
[ -s "$WORK/$BIG.zone" ] || hard_error "could not write the test zones"

CONF=$WORK/dnsd.conf
cat >"$CONF" <<CONF
# t_axfr: transfers by address (127.0.0.1 only) and by key (xfrkey only)
zone "$SVC" {
    file "$WORK/$SVC.zone"
    allow-transfer 127.0.0.1
    journal-size 1000
    default-lease 0
}
zone "$EX" {
    file "$ZONES/$EX.zone"
    allow-transfer 127.0.0.1
}
zone "$KZ" {
    file "$WORK/$KZ.zone"
    allow-transfer key xfrkey
}
zone "$BIG" {
    file "$WORK/$BIG.zone"
    allow-transfer 127.0.0.1
    journal-size 5000
    default-lease 0
}
key registrar { algorithm hmac-sha256; secret "$REG_SECRET"; }
key xfrkey { algorithm hmac-sha256; secret "$XFR_SECRET"; }
key otherkey { algorithm hmac-sha256; secret "$OTHER_SECRET"; }
CONF
"$DNSD" -n -c "$CONF" >"$WORK/check.log" 2>&1 || { cat "$WORK/check.log" >&2; hard_error "test configuration rejected"; }
start_dnsd -c "$CONF" || hard_error "dnsd did not start"

reg() {
	"$UPDATE" -s "127.0.0.1@$PORT" -t 5 -y "registrar:$REG_SECRET" "$@"
}
serial_of() {
	dig @127.0.0.1 -p "$PORT" +norec +short +time=2 +tries=2 SOA "$1" | awk '{print $3}'
}

# dig_xfr OUT ARGS...: dig a transfer into OUT; "XFR size" summary in XFR_SIZE.
dig_xfr() {
	local out=$1
	shift
	dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 "$@" >"$out" 2>&1
	XFR_SIZE=$(sed -n 's/^;; XFR size: //p' "$out")
}
# records FILE: the record lines of dig output (no comments, no TSIG).
records() {
	awk '!/^;/ && NF >= 4 && $4 != "TSIG"' "$1"
}
# norm FILE: a zone, normalised and sorted (names lower-cased, one SOA).
norm() {
	ldns-read-zone -z "$1" 2>/dev/null
}

# expect_same_zone ZONE FILE AXFR WHAT: the transfer equals the zone file.
expect_same_zone() {
	local file=$2 axfr=$3 what=$4 n_file n_xfr
	records "$axfr" >"$axfr.rr"
	norm "$file" >"$WORK/want.norm"
	norm "$axfr.rr" >"$WORK/got.norm"
	[ -s "$WORK/want.norm" ] || hard_error "ldns-read-zone could not read $file"
	if ! diff -u "$WORK/want.norm" "$WORK/got.norm" >"$WORK/zone.diff"; then
		head -n 40 "$WORK/zone.diff" >&2
		fail "$what: the transfer differs from the zone file $file"
	fi
	ok "$what: equals the zone file ($(wc -l <"$WORK/want.norm") records, normalised by ldns-read-zone -z)"
	# The raw stream: SOA first and last, nothing twice.
	n_file=$(wc -l <"$WORK/want.norm")
	n_xfr=$(wc -l <"$axfr.rr")
	[ "$n_xfr" -eq $((n_file + 1)) ] || fail "$what: $n_xfr records sent, expected $((n_file + 1)) (zone + closing SOA)"
	[ "$(head -n 1 "$axfr.rr" | awk '{print $4}')/$(tail -n 1 "$axfr.rr" | awk '{print $4}')" = SOA/SOA ] ||
		fail "$what: does not start and end with the SOA"
	[ "$(awk '$4 == "SOA"' "$axfr.rr" | wc -l)" -eq 2 ] || fail "$what: SOA sent more than twice"
	[ -z "$(sed '$d' "$axfr.rr" | tr -s ' \t' ' ' | sort | uniq -d | head -n 3)" ] ||
		fail "$what: a record sent twice"
	ok "$what: $n_xfr records, SOA first and last, no duplicates"
}

# ==== AXFR equals the zone ======================================================
note "AXFR of the example zones equals their zone files"
dig_xfr "$WORK/svc.axfr" AXFR "$SVC"
grep -q 'Transfer failed' "$WORK/svc.axfr" && { cat "$WORK/svc.axfr" >&2; fail "AXFR $SVC failed"; }
expect_same_zone "$SVC" "$WORK/$SVC.zone" "$WORK/svc.axfr" "AXFR $SVC"
dig_xfr "$WORK/ex.axfr" AXFR "$EX"
expect_same_zone "$EX" "$ZONES/$EX.zone" "$WORK/ex.axfr" "AXFR $EX (delegation, glue, wildcard, TYPE65280)"
grep -qE '^ns\.lab\.example\.test\.[[:space:]].*A[[:space:]]+192\.0\.2\.53' "$WORK/ex.axfr.rr" ||
	fail "AXFR $EX: glue below the zone cut missing"
ok "AXFR $EX: glue below the zone cut included (RFC 5936 3.1)"

# ==== the ACL by address =====================================================
note "transfers from an address the ACL does not list"
xq "$SVC" AXFR --src 127.0.0.2
xexpect rcode REFUSED "AXFR $SVC from 127.0.0.2"
xexpect records 0 "AXFR $SVC from 127.0.0.2"
xq "$SVC" IXFR --serial 1 --src 127.0.0.2
xexpect rcode REFUSED "IXFR $SVC from 127.0.0.2"
dig_xfr "$WORK/refused.axfr" -b 127.0.0.2 AXFR "$SVC"
grep -q 'Transfer failed' "$WORK/refused.axfr" || { cat "$WORK/refused.axfr" >&2; fail "dig -b 127.0.0.2 AXFR: expected 'Transfer failed'"; }
[ -z "$(records "$WORK/refused.axfr")" ] || fail "dig -b 127.0.0.2 AXFR: records were sent"
ok "dig -b 127.0.0.2 AXFR $SVC: Transfer failed, no records"
xq "$SVC" AXFR
xexpect rcode NOERROR "AXFR $SVC from 127.0.0.1 (allowed)"

# ==== the ACL by TSIG key ====================================================
note "zone $KZ: transfers only with the key xfrkey"
xq "$KZ" AXFR
xexpect rcode REFUSED "AXFR $KZ unsigned"
xexpect records 0 "AXFR $KZ unsigned"
xq "$KZ" AXFR --key "xfrkey:$WRONG_SECRET"
xexpect rcode NOTAUTH "AXFR $KZ, xfrkey with the wrong secret"
xexpect tsig_error BADSIG "AXFR $KZ, xfrkey with the wrong secret"
xexpect records 0 "AXFR $KZ, xfrkey with the wrong secret"
xq "$KZ" AXFR --key "nosuchkey:$XFR_SECRET"
xexpect rcode NOTAUTH "AXFR $KZ, unknown key"
xexpect tsig_error BADKEY "AXFR $KZ, unknown key"
xq "$KZ" AXFR --key "otherkey:$OTHER_SECRET"
xexpect rcode REFUSED "AXFR $KZ, a valid key the ACL does not list"
xexpect verified 1 "AXFR $KZ, a valid key the ACL does not list: the REFUSED is signed"
xq "$KZ" AXFR --key "xfrkey:$XFR_SECRET"
xexpect rcode NOERROR "AXFR $KZ with xfrkey"
xexpect complete 1 "AXFR $KZ with xfrkey"
nmsg=$(xf messages)
[ "$nmsg" -ge 2 ] || fail "AXFR $KZ: expected several messages, got $nmsg (zone too small for the test)"
xexpect signed "$nmsg" "AXFR $KZ with xfrkey: every one of $nmsg messages has a TSIG"
xexpect verified "$nmsg" "AXFR $KZ with xfrkey: every MAC verifies (RFC 8945 5.3.1)"
xq "$KZ" AXFR --key "xfrkey:$XFR_SECRET" --src 127.0.0.2
xexpect rcode NOERROR "AXFR $KZ with xfrkey from 127.0.0.2 (the key is enough)"

dig_xfr "$WORK/kz-nokey.axfr" AXFR "$KZ"
grep -q 'Transfer failed' "$WORK/kz-nokey.axfr" || fail "dig AXFR $KZ without a key: expected 'Transfer failed'"
ok "dig AXFR $KZ without a key: Transfer failed"
dig_xfr "$WORK/kz-wrong.axfr" -y "hmac-sha256:xfrkey:$WRONG_SECRET" AXFR "$KZ"
grep -qE 'TSIG.* BADSIG ' "$WORK/kz-wrong.axfr" || { cat "$WORK/kz-wrong.axfr" >&2; fail "dig -y (wrong secret): expected a BADSIG TSIG"; }
ok "dig -y with the wrong secret: BADSIG"
dig_xfr "$WORK/kz.axfr" -y "hmac-sha256:xfrkey:$XFR_SECRET" AXFR "$KZ"
if grep -qiE 'Transfer failed|tsig verify failure|Couldn.t verify' "$WORK/kz.axfr"; then
	tail -n 5 "$WORK/kz.axfr" >&2
	fail "dig -y AXFR $KZ: dig did not accept the signed transfer"
fi
dmsg=$(sed -n 's/.*(messages \([0-9]*\),.*/\1/p' <<<"$XFR_SIZE")
ntsig=$(awk '!/^;/ && $4 == "TSIG"' "$WORK/kz.axfr" | wc -l)
[ -n "$dmsg" ] && [ "$ntsig" -eq "$dmsg" ] || fail "dig -y AXFR $KZ: $ntsig TSIG records for '$XFR_SIZE'"
ok "dig -y AXFR $KZ: verified by dig, $ntsig TSIGs for $dmsg messages"
expect_same_zone "$KZ" "$WORK/$KZ.zone" "$WORK/kz.axfr" "signed AXFR $KZ"

# ==== IXFR =================================================================
note "IXFR after updates (RFC 1995)"
S0=$(serial_of "$SVC")
[ -n "$S0" ] || hard_error "no SOA serial for $SVC"
xpy save "$PORT" "$SVC" "$WORK/ax0.json"
reg -z "$SVC" register web web-ix 10.0.0.77 8080 >/dev/null || fail "register web-ix failed"
S1=$(serial_of "$SVC")
[ -n "$S1" ] && [ "$S1" != "$S0" ] || fail "the serial did not change after an update ($S0 -> $S1)"
ok "register web-ix: serial $S0 -> $S1"

# ixfr_shape FILE: "SOA:serial" or "-" per record of a dig transfer.
ixfr_shape() {
	records "$1" | awk '{ if ($4 == "SOA") printf "SOA:%s ", $7; else printf "- " }' | sed 's/- \(- \)*/-... /g; s/ $//'
}
dig_xfr "$WORK/ixfr1" "IXFR=$S0" "$SVC"
shape=$(ixfr_shape "$WORK/ixfr1")
[ "$shape" = "SOA:$S1 SOA:$S0 -... SOA:$S1 -... SOA:$S1" ] ||
	[ "$shape" = "SOA:$S1 SOA:$S0 SOA:$S1 -... SOA:$S1" ] ||
	{ cat "$WORK/ixfr1" >&2; fail "dig IXFR=$S0: expected new SOA, old SOA, deletions, new SOA, additions, new SOA; got '$shape'"; }
ok "dig IXFR=$S0: incremental ($shape)"
# web-ix's records are among the additions (after the third SOA).
records "$WORK/ixfr1" | awk '$4 == "SOA" { n++; next } n == 3' >"$WORK/ixfr1.add"
grep -qE '^web-ix\.svc\.example\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.0\.0\.77$' "$WORK/ixfr1.add" ||
	{ cat "$WORK/ixfr1" >&2; fail "dig IXFR=$S0: web-ix A not among the additions"; }
grep -qE '^web-ix\._web\._tcp\.svc\.example\.test\.[[:space:]].*SRV[[:space:]]+0 0 8080 web-ix\.svc\.example\.test\.$' "$WORK/ixfr1.add" ||
	fail "dig IXFR=$S0: web-ix SRV not among the additions"
ok "dig IXFR=$S0: the registration's A and SRV are additions"
xpy apply "$PORT" "$SVC" "$WORK/ax0.json" --steps 1
xpy save "$PORT" "$SVC" "$WORK/ax1.json"

reg -z "$SVC" deregister web web-ix >/dev/null || fail "deregister web-ix failed"
S2=$(serial_of "$SVC")
[ -n "$S2" ] && [ "$S2" != "$S1" ] || fail "the serial did not change after a deregistration ($S1 -> $S2)"
dig_xfr "$WORK/ixfr2" "IXFR=$S1" "$SVC"
shape=$(ixfr_shape "$WORK/ixfr2")
[ "$shape" = "SOA:$S2 SOA:$S1 -... SOA:$S2 SOA:$S2" ] || [ "$shape" = "SOA:$S2 SOA:$S1 -... SOA:$S2 -... SOA:$S2" ] ||
	{ cat "$WORK/ixfr2" >&2; fail "dig IXFR=$S1 after a deregistration: got '$shape'"; }
records "$WORK/ixfr2" | awk '$4 == "SOA" { n++; next } n == 2' >"$WORK/ixfr2.del"
records "$WORK/ixfr2" | awk '$4 == "SOA" { n++; next } n == 3' >"$WORK/ixfr2.add"
grep -q '^web-ix\.svc\.example\.test\..*10\.0\.0\.77$' "$WORK/ixfr2.del" && ! grep -q '^web-ix\.' "$WORK/ixfr2.add" ||
	{ cat "$WORK/ixfr2" >&2; fail "dig IXFR=$S1: web-ix A should be a deletion only"; }
ok "dig IXFR=$S1: the deregistration is a deletion ($shape)"
xpy apply "$PORT" "$SVC" "$WORK/ax0.json" --steps 2
xpy apply "$PORT" "$SVC" "$WORK/ax1.json" --steps 1

note "IXFR when the client is up to date"
dig_xfr "$WORK/ixfr3" "IXFR=$S2" "$SVC"
[ "$(ixfr_shape "$WORK/ixfr3")" = "SOA:$S2" ] || { cat "$WORK/ixfr3" >&2; fail "dig IXFR=$S2 (current): expected the SOA alone"; }
ok "dig IXFR=$S2 (current serial): the SOA alone ($XFR_SIZE)"
xq "$SVC" IXFR --serial "$S2"
xexpect form single "IXFR with the current serial (xfr.py)"
ahead=$(( (S2 + 10) % 4294967296 ))
xq "$SVC" IXFR --serial "$ahead"
xexpect form single "IXFR with a serial ahead of ours ($ahead)"
xexpect first "$S2" "IXFR with a serial ahead of ours ($ahead)"

note "IXFR from a serial the journal does not hold: AXFR-style (RFC 1995 4)"
old=$(( (S0 + 4294967296 - 1000) % 4294967296 ))
xq "$SVC" IXFR --serial "$old"
xexpect form axfr "IXFR=$old (unknown)"
xexpect complete 1 "IXFR=$old (unknown)"
xq "$SVC" IXFR --serial "$old" --dump "$WORK/fallback.rr"
xq "$SVC" AXFR --dump "$WORK/axfr-now.rr"
cmp -s "$WORK/fallback.rr" "$WORK/axfr-now.rr" ||
	{ diff "$WORK/axfr-now.rr" "$WORK/fallback.rr" | head -n 20 >&2; fail "IXFR=$old: differs from an AXFR"; }
ok "IXFR=$old: the same records as an AXFR ($(wc -l <"$WORK/axfr-now.rr"))"

note "IXFR over UDP: the current SOA alone"
xq "$SVC" IXFR --serial "$S0" --udp
xexpect rcode NOERROR "IXFR=$S0 over UDP"
xexpect records 1 "IXFR=$S0 over UDP"
xexpect first "$S2" "IXFR=$S0 over UDP"
xexpect tc 0 "IXFR=$S0 over UDP"
xexpect aa 1 "IXFR=$S0 over UDP"
dig @127.0.0.1 -p "$PORT" +notcp +time=2 +tries=1 "IXFR=$S0" "$SVC" >"$WORK/ixfr-udp" 2>&1
grep -q '(UDP)' "$WORK/ixfr-udp" || { cat "$WORK/ixfr-udp" >&2; fail "dig +notcp IXFR did not use UDP"; }
[ "$(ixfr_shape "$WORK/ixfr-udp")" = "SOA:$S2" ] || { cat "$WORK/ixfr-udp" >&2; fail "dig +notcp IXFR=$S0: expected one SOA"; }
ok "dig +notcp IXFR=$S0: one SOA ($S2)"
xq "$SVC" IXFR --serial "$S2" --udp
xexpect records 1 "IXFR=$S2 (current) over UDP"

# ==== 100,000 records, updates committing meanwhile ============================
note "AXFR of $BIG ($NBIG A records) equals its zone file"
dig_xfr "$WORK/big.axfr" AXFR "$BIG"
expect_same_zone "$BIG" "$WORK/$BIG.zone" "$WORK/big.axfr" "AXFR $BIG"
B0=$(serial_of "$BIG")

note "AXFR of $BIG while registrations commit"
# Registrations in the background, one UPDATE after another (bounded).
(
	for i in $(seq 1 1500); do
		reg -z "$BIG" register web "b$i" "10.9.$((i / 256)).$((i % 256))" 80 >/dev/null 2>&1 || exit 1
	done
) &
LOOP_PID=$!
track_pid "$LOOP_PID"
wait_for 10 sh -c "[ \"\$(dig @127.0.0.1 -p $PORT +short SOA $BIG | awk '{print \$3}')\" -ge $((B0 + 3)) ]" ||
	fail "the background registrations do not commit (serial stays at $B0)"
xpy snap "$PORT" "$BIG" "$NBIG" "$WORK/big.json"
kill "$LOOP_PID" 2>/dev/null
wait "$LOOP_PID" 2>/dev/null
B1=$(serial_of "$BIG")
ok "registrations went on during the transfer (serial $B0 -> $B1)"
xpy apply "$PORT" "$BIG" "$WORK/big.json"

dnsd_alive || fail "dnsd exited"
done_ok
