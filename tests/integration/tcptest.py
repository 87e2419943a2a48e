#!/usr/bin/env python3
"""tcptest.py -- DNS over TCP checks (RFC 7766) for t_tcp.sh.

    tcptest.py pipeline PORT N       N queries written back to back on one
                                     connection, then N replies read: each
                                     ID answered once, in order, correctly
    tcptest.py split PORT            one query written in small pieces
    tcptest.py idle PORT TIMEOUT     idle connections are closed after about
                                     TIMEOUT s; a busy one is not
    tcptest.py halfclose PORT LIMIT  after the client's half-close the reply
                                     comes, then the server closes within
                                     LIMIT s (a query, two, an UPDATE)
    tcptest.py cap PORT CAP N        with a cap of CAP connections, N open
                                     at once: the first CAP work, the rest
                                     are closed, and new ones work once the
                                     first are gone

Prints one "ok - ..." line per check, "FAIL: ..." and exit 1 on failure.
Every wait is bounded.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnswire  # noqa: E402

ADDR = "127.0.0.1"
SVC = "svc.example.test."

# (name, type, expected rcode, expected answer count)
QUESTIONS = [
    ("_http._tcp." + SVC, "SRV", 0, 2),
    ("web-1." + SVC, "A", 0, 1),
    ("web-2." + SVC, "AAAA", 0, 1),
    ("nx." + SVC, "A", 3, 0),
    ("_services._dns-sd._udp." + SVC, "PTR", 0, 2),
    ("www." + SVC, "A", 0, 3),
    ("www.example.org.", "A", 5, 0),
    ("_tcp." + SVC, "SRV", 0, 0),
]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ok(msg):
    print("ok - " + msg)


def connect(port, timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((ADDR, port))
    return s


def check_reply(raw, qid, name, qtype, rcode, an, what):
    if raw is None:
        fail("%s: connection closed before the reply to id %d" % (what, qid))
    try:
        m = dnswire.parse(raw)
    except dnswire.ParseError as e:
        fail("%s: malformed reply (%s)" % (what, e))
    if m["id"] != qid:
        fail("%s: expected reply to id %d, got id %d" % (what, qid, m["id"]))
    q = m["question"][0] if m["question"] else None
    if not m["qr"] or q is None or q[0].lower() != name.lower() or q[1] != dnswire.type_code(qtype):
        fail("%s: id %d: wrong question %r" % (what, qid, q))
    if m["rcode"] != rcode or m["an"] != an:
        fail("%s: %s %s: expected rcode %d an %d, got rcode %d an %d"
             % (what, name, qtype, rcode, an, m["rcode"], m["an"]))
    return m


def query_once(s, i, what):
    name, qtype, rcode, an = QUESTIONS[i % len(QUESTIONS)]
    qid = 1000 + i
    s.sendall(dnswire.frame(dnswire.query(name, qtype, qid=qid)))
    check_reply(dnswire.recv_tcp(s), qid, name, qtype, rcode, an, what)


def cmd_pipeline(port, n):
    s = connect(port)
    sent = []
    buf = b""
    for i in range(n):
        name, qtype, rcode, an = QUESTIONS[i % len(QUESTIONS)]
        qid = (0x1234 + i * 7919) & 0xFFFF
        sent.append((qid, name, qtype, rcode, an))
        buf += dnswire.frame(dnswire.query(name, qtype, qid=qid))
    t0 = time.monotonic()
    s.sendall(buf)  # every query before reading any reply
    ok("wrote %d queries (%d bytes) on one connection" % (n, len(buf)))
    for i, (qid, name, qtype, rcode, an) in enumerate(sent):
        try:
            raw = dnswire.recv_tcp(s)
        except socket.timeout:
            fail("pipeline: timed out waiting for reply %d of %d" % (i + 1, n))
        check_reply(raw, qid, name, qtype, rcode, an, "pipeline reply %d" % (i + 1))
    ok("read %d replies in order, each correct, in %.3f s" % (n, time.monotonic() - t0))
    # The connection stays usable afterwards.
    query_once(s, 0, "pipeline follow-up")
    ok("the connection still answers after the burst")
    s.close()


def cmd_split(port):
    s = connect(port)
    name, qtype, rcode, an = QUESTIONS[0]
    msg = dnswire.frame(dnswire.query(name, qtype, qid=4242))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # the length prefix split in two, then the message in 3 pieces
    pieces = [msg[:1], msg[1:2], msg[2:10], msg[10:20], msg[20:]]
    for p in pieces:
        s.sendall(p)
        time.sleep(0.05)
    check_reply(dnswire.recv_tcp(s), 4242, name, qtype, rcode, an, "split query")
    ok("a query written in %d pieces (split length prefix) is answered" % len(pieces))
    # two queries in one write, the second one cut, completed later
    m1 = dnswire.frame(dnswire.query(QUESTIONS[1][0], QUESTIONS[1][1], qid=5001))
    m2 = dnswire.frame(dnswire.query(QUESTIONS[2][0], QUESTIONS[2][1], qid=5002))
    s.sendall(m1 + m2[:7])
    check_reply(dnswire.recv_tcp(s), 5001, *QUESTIONS[1][:4], what="first of two")
    time.sleep(0.1)
    s.sendall(m2[7:])
    check_reply(dnswire.recv_tcp(s), 5002, *QUESTIONS[2][:4], what="completed second")
    ok("a query cut across two writes is answered after the rest arrives")
    s.close()


def wait_closed(s, limit):
    """Seconds until the server closes s (EOF or reset), or None."""
    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < limit:
        try:
            data = s.recv(1)
            if not data:
                return time.monotonic() - t0
            fail("idle: unexpected data from the server")
        except socket.timeout:
            continue
        except ConnectionResetError:
            return time.monotonic() - t0
    return None


def cmd_idle(port, timeout):
    limit = timeout + 3.0
    # 1. a connection that asked one question and then went quiet
    a = connect(port)
    query_once(a, 1, "idle: first query")
    # 2. a connection that never sent anything
    b = connect(port)
    # 3. a busy connection: a query every timeout/3 s for 1.5 * timeout s
    c = connect(port)
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < timeout * 1.5:
        query_once(c, i, "busy connection query %d" % i)
        i += 1
        time.sleep(timeout / 3.0)
    ok("busy connection: %d queries over %.1f s (> idle timeout %g s), none refused"
       % (i, time.monotonic() - t0, timeout))
    for s, what in ((a, "after one query"), (b, "that never sent a byte")):
        el = wait_closed(s, limit)
        if el is None:
            fail("idle: connection %s still open after %.1f s (timeout %g s)" % (what, limit, timeout))
        ok("idle connection %s closed by the server (%.1f s after it went quiet)"
           % (what, time.monotonic() - t0))
        s.close()
    # the closures happened no earlier than the timeout: the busy phase
    # lasted 1.5 * timeout, so measure a fresh one precisely
    d = connect(port)
    query_once(d, 2, "idle: timed connection")
    t1 = time.monotonic()
    el = wait_closed(d, limit)
    if el is None:
        fail("idle: timed connection not closed within %.1f s" % limit)
    if el < timeout - 0.5:
        fail("idle: closed after %.2f s, before the %g s timeout" % (el, timeout))
    ok("idle connection closed after %.2f s (timeout %g s, limit %.1f s)" % (time.monotonic() - t1, timeout, limit))
    d.close()
    c.close()


def cmd_halfclose(port, limit):
    """RFC 7766 section 6.2.3/6.2.4: a client that half-closes after its
    request gets the reply, then the server closes; for a query and for an
    UPDATE (whose reply comes from the update path)."""
    cases = [("query", dnswire.query("web-1." + SVC, "A", qid=0x6001), 0),
             ("two queries", dnswire.query("web-2." + SVC, "A", qid=0x6002), 0),
             ("UPDATE", dnswire.query(SVC, "SOA", qid=0x6003, opcode=5), 5)]
    bad = []
    for what, msg, opcode in cases:
        s = connect(port)
        data = dnswire.frame(msg)
        if what == "two queries":
            data = dnswire.frame(dnswire.query("nx." + SVC, "A", qid=0x6000)) + data
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(limit)
        t0 = time.monotonic()
        got = None
        try:
            while True:
                raw = dnswire.recv_tcp(s)
                if raw is None:
                    break
                m = dnswire.parse(raw)
                if m["id"] == struct.unpack("!H", msg[:2])[0]:
                    got = m
        except socket.timeout:
            bad.append("%s: %s, but the connection was still open %.1f s after our half-close"
                       % (what, "answered" if got else "no reply", limit))
            s.close()
            continue
        s.close()
        if got is None or not got["qr"] or got["opcode"] != opcode:
            bad.append("%s: no reply before the server closed" % what)
            continue
        ok("half-close after %s: reply (%s), then closed by the server after %.2f s"
           % (what, dnswire.RCODES.get(got["rcode"], got["rcode"]), time.monotonic() - t0))
    if bad:
        fail("; ".join(bad))


def reply_or_close(s, i, wait=2.0):
    """'answer', 'closed' or 'timeout' for a query on s."""
    name, qtype, rcode, an = QUESTIONS[i % len(QUESTIONS)]
    qid = 2000 + i
    s.settimeout(wait)
    try:
        s.sendall(dnswire.frame(dnswire.query(name, qtype, qid=qid)))
        raw = dnswire.recv_tcp(s)
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    except socket.timeout:
        return "timeout"
    if raw is None:
        return "closed"
    check_reply(raw, qid, name, qtype, rcode, an, "connection %d" % i)
    return "answer"


def cmd_cap(port, cap, n):
    conns = []
    for i in range(cap):
        s = connect(port)
        r = reply_or_close(s, i)
        if r != "answer":
            fail("cap: connection %d of %d (under the cap of %d): %s" % (i + 1, n, cap, r))
        conns.append(s)
    ok("cap: the first %d connections are answered" % cap)
    extra = []
    for i in range(cap, n):
        s = connect(port)
        r = reply_or_close(s, i)
        if r != "closed":
            fail("cap: connection %d (over the cap of %d): expected the server to close it, got %s"
                 % (i + 1, cap, r))
        extra.append(s)
    ok("cap: connections %d..%d (over the cap) are closed by the server" % (cap + 1, n))
    for i, s in enumerate(conns):
        r = reply_or_close(s, 100 + i)
        if r != "answer":
            fail("cap: connection %d stopped answering after the extra ones: %s" % (i + 1, r))
    ok("cap: the first %d connections still answer" % cap)
    for s in conns + extra:
        s.close()
    # the server notices the closes; new connections work again (bounded)
    t0 = time.monotonic()
    good = 0
    while time.monotonic() - t0 < 5.0 and good < cap:
        s = connect(port)
        if reply_or_close(s, 200 + good, wait=1.0) == "answer":
            good += 1
            conns.append(s)
        else:
            s.close()
            time.sleep(0.1)
    if good < cap:
        fail("cap: only %d new connections answered after closing the old ones" % good)
    ok("cap: %d new connections answered after the old ones were closed (%.2f s)"
       % (good, time.monotonic() - t0))
    for s in conns[cap:]:
        s.close()


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, port = argv[0], int(argv[1])
    if cmd == "pipeline":
        cmd_pipeline(port, int(argv[2]))
    elif cmd == "split":
        cmd_split(port)
    elif cmd == "idle":
        cmd_idle(port, float(argv[2]))
    elif cmd == "halfclose":
        cmd_halfclose(port, float(argv[2]))
    elif cmd == "cap":
        cmd_cap(port, int(argv[2]), int(argv[3]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
