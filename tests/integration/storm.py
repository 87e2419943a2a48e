#!/usr/bin/env python3
"""storm.py -- a storm of malformed DNS packets for t_storm.sh.

    storm.py udp PORT [COUNT]   COUNT (default 12000) random and mutated UDP
                                packets, with valid probe queries mixed in
    storm.py tcp PORT [COUNT]   COUNT (default 300) malformed TCP exchanges

The run is reproducible: the seed is printed and can be set with
STORM_SEED. Prints "ok - ..." lines; "FAIL: ..." and exit 1 when a check
fails. Everything is bounded in count and time.
"""
import os
import random
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnswire  # noqa: E402

ADDR = "127.0.0.1"
SVC = "svc.example.test."

# Valid queries the mutations start from.
SEEDS = [
    (SVC, "SOA", None), ("_http._tcp." + SVC, "SRV", 1232), ("web-1." + SVC, "A", None),
    ("web-1." + SVC, "AAAA", 4096), ("_services._dns-sd._udp." + SVC, "PTR", 1232),
    ("www." + SVC, "A", None), ("x.lab.example.test.", "A", 1232),
    ("foo.apps.example.test.", "A", None), ("nx." + SVC, "TXT", 512),
    ("opaque.example.test.", "TYPE65280", None), ("example.test.", "ANY", 1232),
    ("www.example.org.", "A", None), (SVC, "AXFR", None), (SVC, "IXFR", 1232),
]

# Probes: (name, type, rcode, ancount, a check on the answer records)
PROBES = [
    ("web-1." + SVC, "A", 0, 1, lambda m: m["answer"][0][4] == bytes([10, 0, 0, 5])),
    ("_http._tcp." + SVC, "SRV", 0, 2, lambda m: all(rr[1] == 33 for rr in m["answer"])),
    ("nx." + SVC, "A", 3, 0, lambda m: len(m["authority"]) == 1 and m["authority"][0][1] == 6),
    ("www." + SVC, "A", 0, 3, lambda m: m["answer"][0][1] == 5),
    ("foo.apps.example.test.", "A", 0, 1, lambda m: m["answer"][0][4] == bytes([192, 0, 2, 80])),
]


def ok(msg):
    print("ok - " + msg)
    sys.stdout.flush()


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def seed_query(rng):
    name, qtype, edns = rng.choice(SEEDS)
    return dnswire.query(name, qtype, qid=rng.randrange(65536), edns=edns,
                         rd=rng.random() < 0.5)


def hdr(rng, qd=1, an=0, ns=0, ar=0, flags=0):
    return struct.pack("!HHHHHH", rng.randrange(65536), flags, qd, an, ns, ar)


QTAIL = struct.pack("!HH", 1, 1)


# ---- generators: each returns one packet ----------------------------------

def g_flip(rng):
    p = bytearray(seed_query(rng))
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(p))
        p[i] ^= 1 << rng.randrange(8)
    return bytes(p)


def g_byte(rng):
    p = bytearray(seed_query(rng))
    for _ in range(rng.randint(1, 4)):
        p[rng.randrange(len(p))] = rng.choice([0, 0xFF, 0xC0, 0x3F, 0x40, 0x80, rng.randrange(256)])
    return bytes(p)


def g_truncate(rng):
    p = seed_query(rng)
    return p[:rng.randrange(len(p))]


def g_extend(rng):
    p = seed_query(rng)
    return p + rng.randbytes(rng.choice([1, 2, 11, rng.randint(1, 300)]))


def g_garbage(rng):
    n = rng.choice([0, 1, 2, 11, 12, 13, rng.randint(0, 64), rng.randint(0, 600), rng.randint(0, 1500)])
    return rng.randbytes(n)


def g_oversize(rng):
    # larger than any query dnsd accepts over UDP
    return seed_query(rng) + bytes(rng.randint(4000, 9000))


def g_counts(rng):
    p = bytearray(seed_query(rng))
    for off in rng.sample([4, 6, 8, 10], rng.randint(1, 4)):
        struct.pack_into("!H", p, off, rng.choice([0, 2, 3, 0x7FFF, 0xFFFF, rng.randrange(65536)]))
    return bytes(p)


def g_flags(rng):
    p = bytearray(seed_query(rng))
    struct.pack_into("!H", p, 2, rng.randrange(65536) & ~0x8000)  # any opcode, Z, RCODE
    return bytes(p)


def g_compression(rng):
    kind = rng.randrange(9)
    if kind == 0:   # pointer to itself
        return hdr(rng) + b"\xc0\x0c" + QTAIL
    if kind == 1:   # label then pointer back to the start of the name
        return hdr(rng) + b"\x03foo\xc0\x0c" + QTAIL
    if kind == 2:   # two pointers pointing at each other
        return hdr(rng) + b"\xc0\x0e\xc0\x0c" + QTAIL
    if kind == 3:   # pointer past the end
        return hdr(rng) + b"\xc0" + bytes([rng.randrange(20, 256)]) + QTAIL
    if kind == 4:   # pointer into the header
        return hdr(rng) + b"\xc0" + bytes([rng.randrange(12)]) + QTAIL
    if kind == 5:   # a long forward chain of pointers ending in a real name
        n = rng.randint(20, 200)
        body = b"".join(struct.pack("!H", 0xC000 | (12 + 2 * (k + 1))) for k in range(n))
        return hdr(rng) + body + b"\x03www\x00" + QTAIL
    if kind == 6:   # loop in the owner of an additional record
        q = dnswire.name_wire(SVC) + struct.pack("!HH", 6, 1)
        off = 12 + len(q)
        rr = struct.pack("!BB", 0xC0 | (off >> 8), off & 0xFF) + struct.pack("!HHIH", 1, 1, 0, 4) + b"\1\2\3\4"
        return hdr(rng, ar=1) + q + rr
    if kind == 7:   # reserved label types 0x40 and 0x80
        return hdr(rng) + bytes([rng.choice([0x40, 0x41, 0x80, 0xBF])]) + b"abc\x00" + QTAIL
    # a name longer than 255 bytes
    return hdr(rng) + b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" + b"c" * 63 + b"\x3f" + b"d" * 63 + b"\x05eeeee\x00" + QTAIL


def g_opt(rng):
    q = dnswire.name_wire(rng.choice(SEEDS)[0]) + struct.pack("!HH", 1, 1)
    kind = rng.randrange(10)
    if kind == 0:   # two OPT records
        return hdr(rng, ar=2) + q + dnswire.opt_rr() + dnswire.opt_rr()
    if kind == 1:   # OPT in the answer section
        return hdr(rng, an=1) + q + dnswire.opt_rr()
    if kind == 2:   # OPT with a non-root owner
        return hdr(rng, ar=1) + q + b"\x01a\x00" + dnswire.opt_rr()[1:]
    if kind == 3:   # RDLENGTH past the end
        return hdr(rng, ar=1) + q + b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 200) + b"\x00\x0a"
    if kind == 4:   # an option whose length overruns the RDATA
        return hdr(rng, ar=1) + q + dnswire.opt_rr(rdata=struct.pack("!HH", 10, 40) + b"12345678")
    if kind == 5:   # update-lease option with bad lengths
        ln = rng.choice([0, 1, 3, 5, 7, 9, 12])
        return hdr(rng, ar=1) + q + dnswire.opt_rr(rdata=struct.pack("!HH", 2, ln) + bytes(ln))
    if kind == 6:   # version 255, DO set, tiny or zero UDP size
        return hdr(rng, ar=1) + q + dnswire.opt_rr(size=rng.choice([0, 1, 511]), version=rng.choice([0, 1, 255]), do=True)
    if kind == 7:   # half an option header
        return hdr(rng, ar=1) + q + dnswire.opt_rr(rdata=b"\x00\x0a\x00")
    if kind == 8:   # TSIG that is not the last record
        tsig = b"\x03key\x00" + struct.pack("!HHIH", 250, 255, 0, 4) + b"\0\0\0\0"
        return hdr(rng, ar=2) + q + tsig + dnswire.opt_rr()
    # many options, each empty
    return hdr(rng, ar=1) + q + dnswire.opt_rr(rdata=b"".join(struct.pack("!HH", rng.randrange(65536), 0) for _ in range(200)))


def g_qtype(rng):
    # odd question types and classes: OPT, TSIG, TKEY, class NONE/ANY/CH/0
    name = dnswire.name_wire(rng.choice(SEEDS)[0])
    qt = rng.choice([0, 41, 249, 250, 251, 252, 253, 254, 255, 65535, rng.randrange(65536)])
    qc = rng.choice([0, 1, 3, 254, 255, rng.randrange(65536)])
    return hdr(rng) + name + struct.pack("!HH", qt, qc)


GENERATORS = [(g_flip, 20), (g_byte, 10), (g_truncate, 10), (g_extend, 8), (g_garbage, 14),
              (g_oversize, 1), (g_counts, 10), (g_flags, 6), (g_compression, 8), (g_opt, 8),
              (g_qtype, 5)]


def pick(rng):
    total = sum(w for _, w in GENERATORS)
    r = rng.randrange(total)
    for g, w in GENERATORS:
        if r < w:
            return g
        r -= w
    return GENERATORS[0][0]


def drain(sock, stats):
    """Read every reply waiting on sock; each must be a parseable response."""
    while True:
        try:
            data = sock.recv(65535)
        except BlockingIOError:
            return
        stats["replies"] += 1
        if len(data) < 12 or not (data[2] & 0x80):
            stats["bad"].append("reply without QR or shorter than a header: %r" % data[:16])
            continue
        try:
            m = dnswire.parse(data)
        except dnswire.ParseError as e:
            stats["bad"].append("unparseable reply (%s): %r" % (e, data[:32]))
            continue
        stats["rcodes"][m["rcode"]] = stats["rcodes"].get(m["rcode"], 0) + 1


def cmd_udp(port, count, rng):
    storm = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    storm.setblocking(False)
    storm.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    qrsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # only QR=1 packets from here
    qrsock.setblocking(False)
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.setblocking(False)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    dest = (ADDR, port)
    stats = {"replies": 0, "bad": [], "rcodes": {}}
    kinds = {}
    probes = {}
    sent = qr_sent = 0
    t0 = time.monotonic()
    deadline = t0 + 20.0
    for i in range(count):
        if time.monotonic() > deadline:
            fail("udp storm: took more than 20 s to send %d packets" % i)
        if i % 10 == 9:
            # a response (QR=1) built from a valid query: must never be answered
            p = bytearray(seed_query(rng))
            p[2] |= 0x80
            if rng.random() < 0.5:
                p[3] = (p[3] & 0xF0) | rng.randrange(16)
            qrsock.sendto(bytes(p), dest)
            qr_sent += 1
            continue
        if i % 50 == 25:
            name, qtype, rcode, an, check = PROBES[(i // 50) % len(PROBES)]
            qid = (i // 50) & 0xFFFF
            probes[qid] = (name, qtype, rcode, an, check)
            probe.sendto(dnswire.query(name, qtype, qid=qid, edns=rng.choice([None, 1232])), dest)
            continue
        g = pick(rng)
        pkt = g(rng)
        kinds[g.__name__] = kinds.get(g.__name__, 0) + 1
        try:
            storm.sendto(pkt, dest)
            sent += 1
        except BlockingIOError:
            time.sleep(0.001)
        except OSError as e:
            if e.errno != 90:  # EMSGSIZE for the oversized ones on some systems
                raise
        if i % 100 == 99:
            drain(storm, stats)
            time.sleep(0.002)  # fast, but let two workers keep up
    elapsed = time.monotonic() - t0
    ok("sent %d malformed packets, %d QR=1 packets and %d probes in %.2f s (%s)"
       % (sent, qr_sent, len(probes), elapsed, ", ".join("%s=%d" % kv for kv in sorted(kinds.items()))))

    # Collect what is still coming (bounded).
    answered = {}
    wrong = []
    end = time.monotonic() + 3.0
    while time.monotonic() < end and len(answered) < len(probes):
        select.select([probe, storm], [], [], 0.1)
        drain(storm, stats)
        while True:
            try:
                data = probe.recv(65535)
            except BlockingIOError:
                break
            try:
                m = dnswire.parse(data)
            except dnswire.ParseError as e:
                wrong.append("probe reply unparseable: %s" % e)
                continue
            exp = probes.get(m["id"])
            if exp is None:
                wrong.append("probe reply with unknown id %d" % m["id"])
                continue
            name, qtype, rcode, an, check = exp
            q = m["question"][0] if m["question"] else None
            good = (m["qr"] and q is not None and q[0] == name and m["rcode"] == rcode
                    and m["an"] == an and check(m))
            if not good:
                wrong.append("probe %s %s: rcode %d an %d" % (name, qtype, m["rcode"], m["an"]))
            answered[m["id"]] = True
    drain(storm, stats)
    hist = ", ".join("%s=%d" % (dnswire.RCODES.get(k, k), v) for k, v in sorted(stats["rcodes"].items()))
    ok("%d replies to the malformed packets (%s)" % (stats["replies"], hist or "none"))
    if stats["bad"]:
        fail("%d malformed replies, first: %s" % (len(stats["bad"]), stats["bad"][0]))
    ok("every reply to the storm is a parseable response with QR=1")
    if wrong:
        fail("%d wrong probe answers during the storm, first: %s" % (len(wrong), wrong[0]))
    ok("every answer to a valid probe during the storm is correct (%d answered)" % len(answered))
    if len(answered) < 0.9 * len(probes):
        fail("only %d of %d probes during the storm were answered" % (len(answered), len(probes)))
    ok("%d of %d probes answered during the storm" % (len(answered), len(probes)))
    try:
        data = qrsock.recv(65535)
        fail("a message with QR=1 was answered: %r" % data[:16])
    except BlockingIOError:
        pass
    ok("none of the %d QR=1 messages got a reply" % qr_sent)


# ---- TCP ------------------------------------------------------------------

def tcp_case(rng, i):
    """(bytes to send, half-close?, expect a valid reply with this id or None)."""
    kind = i % 12
    valid = seed_query(rng)
    if kind == 0:   # length 0
        return struct.pack("!H", 0), False, None
    if kind == 1:   # length larger than what follows, then close
        return struct.pack("!H", 65535) + rng.randbytes(rng.randint(0, 500)), False, None
    if kind == 2:   # half a length prefix
        return b"\x00", False, None
    if kind == 3:   # a truncated valid message
        return struct.pack("!H", len(valid)) + valid[:rng.randrange(len(valid))], False, None
    if kind == 4:   # random bytes
        return rng.randbytes(rng.randint(1, 2000)), False, None
    if kind == 5:   # a framed mutated packet
        p = pick(rng)(rng)[:65535]
        return struct.pack("!H", len(p)) + p, False, None
    if kind == 6:   # length shorter than a header
        n = rng.randint(1, 11)
        return struct.pack("!H", n) + rng.randbytes(n), False, None
    if kind == 7:   # a burst of framed garbage
        out = b""
        for _ in range(rng.randint(2, 40)):
            p = pick(rng)(rng)[:65535]
            out += struct.pack("!H", len(p)) + p
        return out, False, None
    if kind == 8:   # framed garbage then a valid query: framing must survive
        out = b""
        for _ in range(rng.randint(1, 10)):
            p = rng.choice([g_garbage, g_compression, g_opt, g_counts])(rng)
            out += struct.pack("!H", len(p)) + p
        q = dnswire.query("web-1." + SVC, "A", qid=0x4000 + i)
        return out + dnswire.frame(q), False, 0x4000 + i
    if kind == 9:   # a valid query, then half-close: still answered
        q = dnswire.query("web-2." + SVC, "A", qid=0x5000 + i)
        return dnswire.frame(q), True, 0x5000 + i
    if kind == 10:  # a message with a QR=1 header and a mutated body
        p = bytearray(seed_query(rng))
        p[2] |= 0x80
        return dnswire.frame(bytes(p)), True, None
    # 65535 bytes of junk in one message
    return struct.pack("!H", 65535) + rng.randbytes(65535), True, None


def has_update(data):
    """Does the byte stream, framed as the server frames it, carry a
    message with opcode UPDATE? Its reply comes from the update path."""
    off = 0
    while off + 2 <= len(data):
        n = struct.unpack("!H", data[off:off + 2])[0]
        msg = data[off + 2:off + 2 + n]
        if len(msg) >= 3 and not msg[2] & 0x80 and (msg[2] >> 3) & 15 == 5:
            return True
        off += 2 + n
    return False


def cmd_tcp(port, count, rng):
    """Each exchange: connect, write, then (mostly) half-close and read every
    reply until the server closes; a few connections are dropped or reset
    abruptly instead. Replies must parse; valid queries must be answered."""
    t0 = time.monotonic()
    answered = expected = replies = closed_by_server = abrupt = lingered = 0
    problems = []
    batch = 25
    for start in range(0, count, batch):
        if time.monotonic() - t0 > 30:
            fail("tcp storm: took more than 30 s")
        conns = []
        for i in range(start, min(count, start + batch)):
            data, half, want = tcp_case(rng, i)
            mode = "half" if half or want is not None or rng.random() < 0.8 else rng.choice(["close", "reset"])
            if mode == "half" and has_update(data):
                # After a half-close dnsd closes at once when queries are
                # answered, but only at the idle timeout when an UPDATE was
                # answered (t_tcp.sh checks that case on its own): read the
                # replies, then close from our side.
                mode = "linger"
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(3.0)
            try:
                s.connect((ADDR, port))
                s.sendall(data)
                if mode == "half":
                    s.shutdown(socket.SHUT_WR)
                elif mode == "reset":
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except (ConnectionResetError, BrokenPipeError):
                s.close()
                if want is not None:
                    problems.append("case %d: connection reset while sending" % i)
                continue
            if mode in ("close", "reset"):
                s.close()
                abrupt += 1
                continue
            conns.append((s, want, i, mode))
        for s, want, i, mode in conns:
            if want is not None:
                expected += 1
            got = False
            if mode == "linger":
                lingered += 1
                s.settimeout(0.3)
            try:
                while True:
                    try:
                        raw = dnswire.recv_tcp(s)
                    except socket.timeout:
                        if mode == "linger":
                            break
                        raise
                    if raw is None:
                        closed_by_server += 1
                        break
                    replies += 1
                    try:
                        m = dnswire.parse(raw)
                    except dnswire.ParseError as e:
                        problems.append("case %d: unparseable reply (%s)" % (i, e))
                        continue
                    if not m["qr"]:
                        problems.append("case %d: reply without QR" % i)
                    if want is not None and m["id"] == want and m["rcode"] == 0 and m["an"] == 1:
                        got = True
            except socket.timeout:
                problems.append("case %d: server did not close after our half-close (3 s)" % i)
            except ConnectionResetError:
                closed_by_server += 1
            if want is not None and not got:
                problems.append("case %d: valid query (id %d) not answered correctly" % (i, want))
            if want is not None and got:
                answered += 1
            s.close()
    ok("%d malformed TCP exchanges in %.2f s: %d replies read, %d closed by the server "
       "after our half-close, %d dropped or reset by us, %d with UPDATEs closed by us"
       % (count, time.monotonic() - t0, replies, closed_by_server, abrupt, lingered))
    if problems:
        fail("tcp: %d problems, first: %s" % (len(problems), "; ".join(problems[:5])))
    ok("every TCP reply parses with QR=1, and the server closed every half-closed connection")
    ok("all %d valid queries sent after framed garbage or before a half-close were answered"
       % expected)
    if answered != expected:
        fail("tcp: only %d of %d valid queries answered" % (answered, expected))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    seed = int(os.environ.get("STORM_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print("# seed %d (set STORM_SEED=%d to repeat)" % (seed, seed))
    cmd, port = argv[0], int(argv[1])
    if cmd == "udp":
        cmd_udp(port, int(argv[2]) if len(argv) > 2 else 12000, rng)
    elif cmd == "tcp":
        cmd_tcp(port, int(argv[2]) if len(argv) > 2 else 300, rng)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
