#!/usr/bin/env python3
"""updsink.py -- a fake DNS server that records every UPDATE it gets, for
testing what dnsd-update SENDS (t_update_health.sh).

    python3 updsink.py PORT LOG [--mode-file FILE] [--ready FILE]

Listens on 127.0.0.1:PORT (UDP and TCP). Each UPDATE becomes one JSON line
in LOG:

    {"t": 1712.25, "proto": "udp", "zone": "example.test.",
     "prereq": [["_web._tcp.example.test.", "NONE", "PTR", 0, ""]],
     "update": [["web-1.example.test.", "IN", "A", 30, "10.0.0.5"], ...],
     "lease": 30, "health": {"state": 2, "text": "HTTP 500"}}

("lease" and "health" are null when the option is absent; "t" is
time.monotonic()). It answers NOERROR, unsigned, echoing the Update Lease
option, unless the mode file says otherwise: "refuse" (REFUSED),
"yxrrset" (YXRRSET to UPDATEs with prerequisites), "drop" (no answer).
Queries (opcode 0) get NXDOMAIN. Only the standard library is used, and
dnswire.py from this folder.

    python3 updsink.py --show LOG        one line per UPDATE received:
        n=3 add=6 del=0 pre=0 lease=60 health=2 text=HTTP GET ...: 500
    python3 updsink.py --records LOG N   the records of the Nth (from 1),
        one per line: "update CLASS TYPE OWNER RDATA" or "prereq ..."
"""
import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnswire  # noqa: E402

HEALTH = 65401
LEASE = 2
CLASSES = {1: "IN", 254: "NONE", 255: "ANY"}
lock = threading.Lock()


def rdata_text(msg, rr):
    """Presentation form of the RDATA types dnsd-update sends."""
    name, t, c, ttl, rd, off = rr
    if not rd:
        return ""
    if t == 1 and len(rd) == 4:
        return socket.inet_ntop(socket.AF_INET, rd)
    if t == 28 and len(rd) == 16:
        return socket.inet_ntop(socket.AF_INET6, rd)
    if t == 12:
        return dnswire.read_name(msg, off)[0]
    if t == 33:
        p, w, port = struct.unpack("!HHH", rd[:6])
        return "%d %d %d %s" % (p, w, port, dnswire.read_name(msg, off + 6)[0])
    if t == 16:
        out, i = [], 0
        while i < len(rd):
            n = rd[i]
            out.append('"%s"' % rd[i + 1:i + 1 + n].decode("utf-8", "replace"))
            i += 1 + n
        return " ".join(out)
    return rd.hex()


def options(opt_rdata):
    out, o = {}, 0
    while o + 4 <= len(opt_rdata):
        code, n = struct.unpack("!HH", opt_rdata[o:o + 4])
        out[code] = opt_rdata[o + 4:o + 4 + n]
        o += 4 + n
    return out


def record(msg, proto, log):
    r = dnswire.parse(msg)
    opts = {}
    for rr in r["additional"]:
        if rr[1] == 41:
            opts = options(rr[4])

    def rows(sec):
        return [[rr[0], CLASSES.get(rr[2], str(rr[2])),
                 dnswire.TYPE_NAMES.get(rr[1], "TYPE%d" % rr[1]), rr[3],
                 rdata_text(msg, rr)] for rr in r[sec]]

    health = None
    if HEALTH in opts:
        d = opts[HEALTH]
        health = {"state": d[0] if d else None,
                  "text": d[1:].decode("utf-8", "replace"), "len": len(d)}
    lease = None
    if LEASE in opts and len(opts[LEASE]) in (4, 8):
        lease = struct.unpack("!I", opts[LEASE][:4])[0]
    entry = {"t": time.monotonic(), "proto": proto,
             "zone": r["question"][0][0] if r["question"] else None,
             "prereq": rows("answer"), "update": rows("authority"),
             "lease": lease, "health": health}
    with lock:
        with open(log, "a") as f:
            f.write(json.dumps(entry) + "\n")
    return r, opts


def answer(msg, proto, log, modef):
    try:
        r = dnswire.parse(msg)
    except dnswire.ParseError:
        return None
    mode = "ok"
    if modef and os.path.exists(modef):
        mode = open(modef).read().strip() or "ok"
    qend = 12
    for _ in range(r["qd"]):
        qend = dnswire.read_name(msg, qend)[1] + 4
    question = msg[12:qend]
    if r["opcode"] != 5:
        flags = 0x8000 | (r["opcode"] << 11) | 0x0400 | 3
        return msg[:2] + struct.pack("!H4H", flags, r["qd"], 0, 0, 0) + question
    _, opts = record(msg, proto, log)
    if mode == "drop":
        return None
    rcode = 0
    if mode == "refuse":
        rcode = 5
    elif mode == "yxrrset" and r["an"]:
        rcode = 7
    flags = 0x8000 | (5 << 11) | rcode
    ar, extra = 0, b""
    if LEASE in opts:
        ar = 1
        lease = opts[LEASE][:4]
        extra = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 8) + struct.pack("!HH", LEASE, 4) + lease
    return msg[:2] + struct.pack("!H4H", flags, r["qd"], 0, 0, ar) + question + extra


def serve_udp(s, log, modef):
    while True:
        q, peer = s.recvfrom(65535)
        a = answer(q, "udp", log, modef)
        if a:
            s.sendto(a, peer)


def serve_tcp(s, log, modef):
    while True:
        c, _ = s.accept()
        try:
            c.settimeout(5)
            q = dnswire.recv_tcp(c)
            a = answer(q, "tcp", log, modef) if q else None
            if a:
                c.sendall(dnswire.frame(a))
        except OSError:
            pass
        c.close()


def entries(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def show(log):
    for n, e in enumerate(entries(log), 1):
        adds = sum(1 for u in e["update"] if u[1] == "IN")
        h = e["health"]
        print("n=%d add=%d del=%d pre=%d lease=%s health=%s text=%s" % (
            n, adds, len(e["update"]) - adds, len(e["prereq"]),
            "-" if e["lease"] is None else e["lease"],
            "-" if h is None else h["state"], "" if h is None else h["text"]))


def records(log, n):
    e = entries(log)[n - 1]
    for sec in ("prereq", "update"):
        for owner, cls, t, ttl, rd in e[sec]:
            print(("%s %s %s %s %s" % (sec, cls, t, owner, rd)).rstrip())


def main(argv):
    import argparse
    if argv[:1] == ["--show"]:
        return show(argv[1])
    if argv[:1] == ["--records"]:
        return records(argv[1], int(argv[2]))
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("log")
    ap.add_argument("--mode-file")
    ap.add_argument("--ready")
    a = ap.parse_args(argv)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", a.port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", a.port))
    t.listen(16)
    threading.Thread(target=serve_tcp, args=(t, a.log, a.mode_file), daemon=True).start()
    if a.ready:
        open(a.ready, "w").close()
    serve_udp(u, a.log, a.mode_file)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
