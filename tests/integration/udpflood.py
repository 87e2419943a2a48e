#!/usr/bin/env python3
"""udpflood.py -- many UDP queries in flight at once (t_coalesce.sh).

    udpflood.py PORT COUNT WINDOW SECONDS

Sends COUNT queries from one socket, keeping WINDOW of them in flight,
cycling through the questions below with their expected answers, and
checks every answer: the right ID, NOERROR with the expected address or
NXDOMAIN. Each query gets SECONDS (at most) for its answer; the whole run
at most 60 s. Prints an "ok - ..." line when every check held, and exits 1
on the first that did not.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnswire  # noqa: E402

Z = "svc.example.test."
QUESTIONS = [  # (name, type, rcode, answer count, first RDATA or None)
    ("web-1." + Z, "A", 0, 1, socket.inet_aton("10.0.0.5")),
    ("web-2." + Z, "A", 0, 1, socket.inet_aton("10.0.0.6")),
    ("api-1." + Z, "A", 0, 1, socket.inet_aton("10.0.1.10")),
    ("_http._tcp." + Z, "SRV", 0, 2, None),
    ("nx-flood." + Z, "A", 3, 0, None),
]


def main(argv):
    port, count, window, per_query = int(argv[0]), int(argv[1]), int(argv[2]), float(argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    msgs = [dnswire.query(n, t, qid=0) for n, t, _, _, _ in QUESTIONS]
    pending = {}  # id -> (question index, time sent)
    sent = answered = 0
    worst = 0.0
    t0 = time.monotonic()
    while answered < count:
        now = time.monotonic()
        if now - t0 > 60:
            print("FAIL: %d of %d answered after 60 s" % (answered, count))
            return 1
        while sent < count and len(pending) < window:
            qid = sent & 0xFFFF
            i = sent % len(QUESTIONS)
            s.send(struct.pack("!H", qid) + msgs[i][2:])
            pending[qid] = (i, time.monotonic())
            sent += 1
        try:
            raw = s.recv(4096)
        except BlockingIOError:
            late = [q for q, (_, ts) in pending.items() if now - ts > per_query]
            if late:
                print("FAIL: query %d got no answer within %.1f s" % (late[0], per_query))
                return 1
            time.sleep(0.0002)
            continue
        m = dnswire.parse(raw)
        if m["id"] not in pending:
            print("FAIL: an answer with ID %d, which is not in flight" % m["id"])
            return 1
        i, ts = pending.pop(m["id"])
        worst = max(worst, time.monotonic() - ts)
        name, qtype, rcode, an, rdata = QUESTIONS[i]
        if m["rcode"] != rcode or m["an"] != an or (rdata is not None and m["answer"][0][4] != rdata):
            print("FAIL: %s %s: rcode %d with %d answers" % (name, qtype, m["rcode"], m["an"]))
            return 1
        answered += 1
    secs = time.monotonic() - t0
    print("ok - %d queries answered right, %d in flight at a time (%.0f/s, slowest %.1f ms)"
          % (count, window, count / secs, worst * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
