#!/usr/bin/env python3
"""notifylisten.py -- a service manager's end of sd_notify (t_systemd.sh).

    notifylisten.py SOCKET PORT ZONE OUTFILE [MAXSECONDS]

Binds a unix datagram socket at SOCKET (what systemd passes as
$NOTIFY_SOCKET: a path, or an abstract name written with a leading '@')
and writes each message received to OUTFILE as one line,
"msg T NOW FIELD;FIELD;..." (T: seconds since start; NOW: CLOCK_MONOTONIC
in microseconds, the clock of MONOTONIC_USEC). The moment a READY=1
arrives it asks 127.0.0.1:PORT for ZONE SOA over UDP, once, with a 1 s
timeout, and writes "ready-query RCODE" (or "ready-query noreply"):
whatever says READY must already answer. Stops after a STOPPING=1, or
after MAXSECONDS (default 60).
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnswire  # noqa: E402


def main(argv):
    path, port, zone, outfile = argv[0], int(argv[1]), argv[2], argv[3]
    limit = float(argv[4]) if len(argv) > 4 else 60.0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + path[1:] if path.startswith("@") else path)
    t0 = time.monotonic()
    with open(outfile, "w") as out:
        out.write("listening\n")
        out.flush()
        while time.monotonic() - t0 < limit:
            s.settimeout(max(0.1, limit - (time.monotonic() - t0)))
            try:
                data = s.recv(4096)
            except socket.timeout:
                break
            fields = data.decode(errors="replace").split("\n")
            now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            out.write("msg %.3f %d %s\n" % (time.monotonic() - t0, now,
                                            ";".join(f for f in fields if f)))
            out.flush()
            if "READY=1" in fields:
                raw = dnswire.exchange("127.0.0.1", port, dnswire.query(zone, "SOA"),
                                       timeout=1.0)
                rc = "noreply" if raw is None else dnswire.RCODES.get(
                    dnswire.parse(raw)["rcode"], "other")
                out.write("ready-query %s\n" % rc)
                out.flush()
            if "STOPPING=1" in fields:
                break
    s.close()
    os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
