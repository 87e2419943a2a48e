#!/usr/bin/env python3
"""dnswire.py -- a small DNS message codec for the integration tests.

Used as a module by tcptest.py and storm.py, and from the shell as

    python3 dnswire.py PORT NAME TYPE [--tcp] [--opcode N] [--qdcount N]
                                      [--edns SIZE] [--addr A] [--qr]

which sends one hand-made query and prints one line describing the reply:
    rcode=NOERROR id=1 qr=1 aa=1 tc=0 qd=1 an=2 ns=0 ar=1 opt=1 types=SRV,SRV
or "noreply" (exit 2) if nothing came back within the timeout.
Only the standard library is used.
"""
import random
import socket
import struct
import sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
         "AAAA": 28, "SRV": 33, "OPT": 41, "TSIG": 250, "IXFR": 251, "AXFR": 252, "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED", 9: "NOTAUTH", 16: "BADVERS"}


def type_code(t):
    t = t.upper()
    if t in TYPES:
        return TYPES[t]
    if t.startswith("TYPE"):
        return int(t[4:])
    return int(t)


def name_wire(name):
    """Uncompressed wire form of a dotted name."""
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            b = label.encode()
            out += bytes([len(b)]) + b
    return out + b"\0"


def opt_rr(size=1232, version=0, do=False, rdata=b""):
    ttl = (version << 16) | (0x8000 if do else 0)
    return b"\0" + struct.pack("!HHIH", 41, size, ttl, len(rdata)) + rdata


def query(name, qtype="A", qid=None, opcode=0, rd=False, qdcount=None, edns=None,
          qr=False, extra_questions=()):
    """Build a query. qdcount overrides the header count; extra_questions
    are appended after the first one (each a (name, type) pair)."""
    if qid is None:
        qid = random.randrange(65536)
    flags = (opcode & 0xF) << 11
    if rd:
        flags |= 0x0100
    if qr:
        flags |= 0x8000
    qs = name_wire(name) + struct.pack("!HH", type_code(qtype), 1)
    for n, t in extra_questions:
        qs += name_wire(n) + struct.pack("!HH", type_code(t), 1)
    nq = 1 + len(extra_questions) if qdcount is None else qdcount
    ar = b"" if edns is None else opt_rr(edns)
    hdr = struct.pack("!HHHHHH", qid, flags, nq, 0, 0, 1 if edns is not None else 0)
    return hdr + qs + ar


class ParseError(Exception):
    pass


def read_name(msg, off, depth=0):
    """Returns (dotted name, offset after the name in place)."""
    labels = []
    end = None
    hops = 0
    while True:
        if off >= len(msg):
            raise ParseError("name runs off the end")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ParseError("bad pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 64:
                raise ParseError("compression loop")
            continue
        if n & 0xC0:
            raise ParseError("bad label type")
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("latin-1"))
        off += n
    return ".".join(labels) + ".", (end if end is not None else off)


def parse(msg):
    """Parse a whole message; raises ParseError on anything malformed."""
    if len(msg) < 12:
        raise ParseError("short header")
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    r = {"id": qid, "flags": flags, "qr": flags >> 15, "opcode": (flags >> 11) & 15,
         "aa": (flags >> 10) & 1, "tc": (flags >> 9) & 1, "rd": (flags >> 8) & 1,
         "rcode": flags & 15, "qd": qd, "an": an, "ns": ns, "ar": ar,
         "question": [], "answer": [], "authority": [], "additional": [], "opt": None}
    off = 12
    for _ in range(qd):
        name, off = read_name(msg, off)
        if off + 4 > len(msg):
            raise ParseError("short question")
        t, c = struct.unpack("!HH", msg[off:off + 4])
        off += 4
        r["question"].append((name, t, c))
    for sec, n in (("answer", an), ("authority", ns), ("additional", ar)):
        for _ in range(n):
            name, off = read_name(msg, off)
            if off + 10 > len(msg):
                raise ParseError("short record")
            t, c, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            if off + rdlen > len(msg):
                raise ParseError("short rdata")
            rd = msg[off:off + rdlen]
            rdoff = off
            off += rdlen
            if t == 41:
                r["opt"] = {"size": c, "ext_rcode": ttl >> 24, "version": (ttl >> 16) & 255}
                r["rcode"] |= (ttl >> 24) << 4
            r[sec].append((name, t, c, ttl, rd, rdoff))
    if off != len(msg):
        raise ParseError("trailing bytes")
    return r


def srv_target(msg, rr):
    """The target name of an SRV record from parse()."""
    return read_name(msg, rr[5] + 6)[0]


def frame(msg):
    return struct.pack("!H", len(msg)) + msg


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_tcp(sock):
    """One length-prefixed message, or None at EOF."""
    h = recv_exact(sock, 2)
    if h is None:
        return None
    return recv_exact(sock, struct.unpack("!H", h)[0])


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def exchange(addr, port, msg, tcp=False, timeout=2.0):
    """Send one message, return the raw reply or None."""
    if tcp:
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect((addr, port))
            s.sendall(frame(msg))
            return recv_tcp(s)
        except OSError:
            return None
        finally:
            s.close()
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, (addr, port))
        while True:
            data, _ = s.recvfrom(65535)
            if len(data) >= 2 and data[:2] == msg[:2]:
                return data
    except OSError:
        return None
    finally:
        s.close()


def describe(raw):
    try:
        r = parse(raw)
    except ParseError as e:
        return "malformed(%s)" % e
    types = ",".join(TYPE_NAMES.get(rr[1], "TYPE%d" % rr[1]) for rr in r["answer"])
    return ("rcode=%s id=%d qr=%d opcode=%d aa=%d tc=%d qd=%d an=%d ns=%d ar=%d opt=%d types=%s"
            % (RCODES.get(r["rcode"], str(r["rcode"])), r["id"], r["qr"], r["opcode"], r["aa"],
               r["tc"], r["qd"], r["an"], r["ns"], r["ar"], r["opt"] is not None, types or "-"))


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="send one hand-made DNS query")
    ap.add_argument("port", type=int)
    ap.add_argument("name")
    ap.add_argument("type")
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--opcode", type=int, default=0)
    ap.add_argument("--qdcount", type=int)
    ap.add_argument("--second", help="append a second question NAME/TYPE")
    ap.add_argument("--edns", type=int)
    ap.add_argument("--qr", action="store_true")
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args(argv)
    extra = ()
    if a.second:
        n, t = a.second.split("/")
        extra = ((n, t),)
    msg = query(a.name, a.type, opcode=a.opcode, qdcount=a.qdcount, edns=a.edns, qr=a.qr,
                extra_questions=extra)
    raw = exchange(a.addr, a.port, msg, tcp=a.tcp, timeout=a.timeout)
    if raw is None:
        print("noreply")
        return 2
    print(describe(raw))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
