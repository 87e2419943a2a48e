#!/usr/bin/env python3
"""xfrcheck.py -- the zone transfer client of t_axfr.sh (stdlib + dnswire.py).

It speaks AXFR and IXFR (RFC 5936, RFC 1995) over TCP or UDP, signs the
request and verifies the TSIG (RFC 8945) on every message itself, and
checks what a transfer must be: one consistent snapshot while updates
commit, IXFR sequences that chain and, applied to an older snapshot, give
the current zone. Prints "ok - ..." per check (t_axfr.sh counts them as
checks), "FAIL: ..." and exit 1 when one fails.

  xfrcheck.py query PORT ZONE TYPE [--serial N] [--src A] [--key NAME:B64]
                    [--udp] [--dump FILE]
      one AXFR/IXFR; prints "rcode=R records=N messages=M signed=S
      verified=V tsig_error=E form=F first=SERIAL last=SERIAL
      complete=0|1 aa=0|1 tc=0|1" (form: single, axfr, ixfr)
  xfrcheck.py snap PORT ZONE BASE OUT
      AXFR that pauses after its first message until the zone's serial has
      moved on by 3 (updates committed meanwhile), then reads the rest;
      checks it is one consistent snapshot; saves it to OUT
  xfrcheck.py save PORT ZONE OUT
      AXFR saved as a snapshot
  xfrcheck.py apply PORT ZONE SNAP [--steps N]
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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
