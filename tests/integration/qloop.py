#!/usr/bin/env python3
"""qloop.py -- keep asking while something else happens (t_reload.sh).

    qloop.py PORT NAME A-ADDRESS STOPFILE [MAXSECONDS]

Asks NAME A, alternately over UDP and TCP, about every 5 ms, until STOPFILE
exists (or MAXSECONDS, default 20, pass). Every reply must be NOERROR with
exactly the one address given, and every query must get a reply within 1 s.
Prints "queries=N udp=N tcp=N ok=N servfail=N timeout=N wrong=N" and exits
1 if anything but ok was seen.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnswire  # noqa: E402


def main(argv):
    port, name, addr, stop = int(argv[0]), argv[1], argv[2], argv[3]
    limit = float(argv[4]) if len(argv) > 4 else 20.0
    want = socket.inet_aton(addr)
    n = {"queries": 0, "udp": 0, "tcp": 0, "ok": 0, "servfail": 0, "timeout": 0, "wrong": 0}
    first_bad = None
    t0 = time.monotonic()
    i = 0
    while not os.path.exists(stop) and time.monotonic() - t0 < limit:
        tcp = i % 2 == 1
        qid = i & 0xFFFF
        i += 1
        raw = dnswire.exchange("127.0.0.1", port, dnswire.query(name, "A", qid=qid),
                               tcp=tcp, timeout=1.0)
        n["queries"] += 1
        n["tcp" if tcp else "udp"] += 1
        what = None
        if raw is None:
            n["timeout"] += 1
            what = "timeout"
        else:
            try:
                m = dnswire.parse(raw)
                if m["rcode"] == 2:
                    n["servfail"] += 1
                    what = "SERVFAIL"
                elif (m["id"] != qid or m["rcode"] != 0 or m["an"] != 1
                      or m["answer"][0][4] != want):
                    n["wrong"] += 1
                    what = "rcode %d an %d" % (m["rcode"], m["an"])
                else:
                    n["ok"] += 1
            except dnswire.ParseError as e:
                n["wrong"] += 1
                what = "malformed: %s" % e
        if what is not None and first_bad is None:
            first_bad = "query %d (%s, %.2f s): %s" % (i, "TCP" if tcp else "UDP",
                                                    time.monotonic() - t0, what)
        time.sleep(0.005)
    print(" ".join("%s=%d" % kv for kv in n.items()) + " seconds=%.1f" % (time.monotonic() - t0))
    if first_bad:
        print("first problem: " + first_bad)
    return 0 if n["ok"] == n["queries"] and n["queries"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
