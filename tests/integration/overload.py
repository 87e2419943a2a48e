#!/usr/bin/env python3
"""overload.py -- bounded overload clients for t_overload.sh (issue 17).

Every loop here is bounded in count and in time, and talks only to
loopback addresses. Subcommands (each prints "ok - ..." / "not ok - ..."
lines for relay_checks, or one result line):

  flood PORT SRC SECONDS MAX ZONE      unsigned UPDATE datagrams from SRC
  stall PORT ZONE N HOLD               N AXFR connections that never read;
                                       reports how long until each was cut
  loris PORT SRC N SECONDS             N connections sending a byte a second
  conns PORT N SECONDS                 N connections held open, then closed
  fill PORT KEYSPEC ZONE MAX LEASE PFX signed adds (names PFX<i>-<j>) until
                                       one is refused
  cputime PID                          the process's user+system seconds
"""
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnswire  # noqa: E402


def update_msg(zone, qid, name, rdata):
    """An unsigned UPDATE adding NAME TXT RDATA (hand-made, no dnspython)."""
    hdr = struct.pack(">HHHHHH", qid, 0x2800, 1, 0, 1, 0)
    z = dnswire.name_wire(zone)
    q = z + struct.pack(">HH", 6, 1)
    txt = bytes([len(rdata)]) + rdata
    rr = dnswire.name_wire(name + "." + zone) + struct.pack(">HHIH", 16, 1, 60, len(txt)) + txt
    return hdr + q + rr


def flood(port, src, seconds, count, zone):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setblocking(False)
    end = time.monotonic() + seconds
    msgs = [update_msg(zone, i, "flood", b"x" * 100) for i in range(256)]
    sent = 0
    while sent < count and time.monotonic() < end:
        for m in msgs:
            try:
                s.sendto(m, ("127.0.0.1", port))
                sent += 1
            except BlockingIOError:
                time.sleep(0.0005)
            except OSError:
                pass
        try:  # drain answers so our socket does not fill
            while True:
                s.recv(4096)
        except OSError:
            pass
    print("sent %d" % sent)


def axfr_query(zone):
    return dnswire.query(zone, "AXFR", qid=7)


def stall(port, zone, n, hold):
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        s.sendall(dnswire.frame(axfr_query(zone)))
        socks.append(s)
    print("started %d" % n, flush=True)
    # Hold them without reading; then see which the server has closed:
    # reading drains what it sent and ends in EOF or a reset if it cut.
    time.sleep(hold)
    cut = 0
    for s in socks:
        s.setblocking(False)
        closed = False
        end = time.monotonic() + 3
        while time.monotonic() < end:
            r, _, _ = select.select([s], [], [], 0.2)
            if not r:
                continue
            try:
                b = s.recv(1 << 20)
            except ConnectionResetError:
                closed = True
                break
            except BlockingIOError:
                continue
            if not b:
                closed = True
                break
        cut += closed
        s.close()
    print("cut %d of %d" % (cut, n))


def loris(port, src, n, seconds):
    socks = []
    refused = 0
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        try:
            s.connect(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            refused += 1
            s.close()
    msg = dnswire.frame(dnswire.query("svc.example.test", "SOA", qid=9))
    alive = list(socks)
    end = time.monotonic() + seconds
    i = 0
    while alive and time.monotonic() < end:
        b = msg[i % len(msg):i % len(msg) + 1]
        for s in list(alive):
            try:
                s.send(b)
                r, _, _ = select.select([s], [], [], 0)
                if r and not s.recv(4096, socket.MSG_DONTWAIT):
                    alive.remove(s)
            except OSError:
                alive.remove(s)
        i += 1
        time.sleep(1)
    print("connected %d refused-or-failed %d still-open %d" % (len(socks), refused, len(alive)))
    for s in socks:
        s.close()


def conns(port, n, seconds):
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.connect(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            s.close()
    time.sleep(seconds)
    print("opened %d" % len(socks))
    for s in socks:
        s.close()


def fill(port, keyspec, zone, maxn, lease, prefix):
    import upd  # $WORK/upd.py from lib_update.sh (dnspython)
    key = upd.key_from_spec(keyspec)
    last = None
    for i in range(maxn):
        # about 1 KB: an UPDATE with a lease carries EDNS, and dnspython
        # then keeps it within the 1232-byte payload
        ops = ["add %s%d-%d 60 TXT \"%s\"" % (prefix, i, j, "%03d" % j * 60)
               for j in range(4)]
        o = upd.update(port, ops, key, zone.rstrip(".") + ".", lease, None, True)
        last = o["rcode"]
        if last != "NOERROR":
            print("refused after %d rcode=%s" % (i, last))
            return
    print("never refused after %d rcode=%s" % (maxn, last))


def cputime(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    print("%.2f" % ((int(fields[11]) + int(fields[12])) / tick))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "flood":
        flood(int(args[0]), args[1], float(args[2]), int(args[3]), args[4])
    elif cmd == "stall":
        stall(int(args[0]), args[1], int(args[2]), float(args[3]))
    elif cmd == "loris":
        loris(int(args[0]), args[1], int(args[2]), float(args[3]))
    elif cmd == "conns":
        conns(int(args[0]), int(args[1]), float(args[2]))
    elif cmd == "fill":
        fill(int(args[0]), args[1], args[2], int(args[3]), int(args[4]), args[5])
    elif cmd == "cputime":
        cputime(int(args[0]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
