#!/usr/bin/env python3
"""svcq.py -- the service model's client side for the integration tests
(dnspython): an UPDATE that reports health, and a query loop that counts
the answers of a service name.

    svcq.py update -p PORT -z ZONE [-k NAME:SECRET] [-l LEASE]
                   [--health passing|warning|critical] [--note TEXT] OP...
        OP: "add NAME TTL TYPE RDATA" | "del NAME TYPE RDATA" |
            "delrrset NAME TYPE" (names relative to ZONE unless absolute)
        prints: rcode=NOERROR lease=30

    svcq.py count -p PORT -n COUNT NAME TYPE
        sends COUNT queries and prints one JSON object: how often each
        address came first ("first"), how often each was in an answer
        ("seen"), and the sizes of the answers ("sizes").
"""
import argparse
import json
import socket
import struct
import sys

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rdtypes.IN.SRV
import dns.tsig
import dns.update

HEALTH = {"passing": 0, "warning": 1, "critical": 2}
OPT_HEALTH = 65401  # dnsd's DNSD-HEALTH EDNS option
OPT_LEASE = 2       # RFC 9664

# RFC 2782: the SRV target is never compressed.
_srv_to_wire = dns.rdtypes.IN.SRV.SRV._to_wire
dns.rdtypes.IN.SRV.SRV._to_wire = (
    lambda self, file, compress=None, origin=None, canonicalize=False:
    _srv_to_wire(self, file, None, origin, canonicalize))


def absname(name, zone):
    if name == "@":
        return zone
    return name if name.endswith(".") else name + "." + zone


def update(a):
    zone = a.zone if a.zone.endswith(".") else a.zone + "."
    m = dns.update.UpdateMessage(zone)
    for op in a.ops:
        w = op.split()
        name = absname(w[1], zone)
        if w[0] == "add":
            m.add(name, int(w[2]), w[3], " ".join(w[4:]))
        elif w[0] == "del":
            m.delete(name, w[2], " ".join(w[3:]))
        elif w[0] == "delrrset":
            m.delete(name, w[2])
        else:
            sys.exit("svcq.py: unknown op %r" % op)
    options = []
    if a.lease is not None:
        options.append(dns.edns.GenericOption(OPT_LEASE, struct.pack("!I", a.lease)))
    if a.health is not None:
        options.append(dns.edns.GenericOption(
            OPT_HEALTH, bytes([HEALTH[a.health]]) + a.note.encode()))
    if options:
        m.use_edns(0, payload=1232, options=options)
    if a.key:
        name, secret = a.key.split(":", 1)
        m.use_tsig(dns.tsig.Key(name, secret, dns.tsig.HMAC_SHA256))
    r = dns.query.udp(m, "127.0.0.1", port=a.port, timeout=5)
    lease = "-"
    for o in r.options:
        if o.otype == OPT_LEASE:
            lease = str(struct.unpack("!I", o.data[:4])[0])
    print("rcode=%s lease=%s" % (dns.rcode.to_text(r.rcode()), lease))


def count(a):
    first, seen, sizes = {}, {}, {}
    q = dns.message.make_query(a.name, a.type)
    q.flags &= ~dns.flags.RD
    wire = q.to_wire()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect(("127.0.0.1", a.port))
    for i in range(a.count):
        s.send(wire[:0] + struct.pack("!H", i & 0xffff) + wire[2:])
        while True:
            data = s.recv(4096)
            if struct.unpack("!H", data[:2])[0] == i & 0xffff:
                break
        r = dns.message.from_wire(data)
        addrs = [rd.address for rrset in r.answer for rd in rrset
                 if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)]
        sizes[len(addrs)] = sizes.get(len(addrs), 0) + 1
        if addrs:
            first[addrs[0]] = first.get(addrs[0], 0) + 1
        for x in addrs:
            seen[x] = seen.get(x, 0) + 1
    print(json.dumps({"first": first, "seen": seen, "sizes": sizes}, sort_keys=True))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("update")
    u.add_argument("-p", "--port", type=int, required=True)
    u.add_argument("-z", "--zone", required=True)
    u.add_argument("-k", "--key")
    u.add_argument("-l", "--lease", type=int)
    u.add_argument("--health", choices=sorted(HEALTH))
    u.add_argument("--note", default="")
    u.add_argument("ops", nargs="+")
    c = sub.add_parser("count")
    c.add_argument("-p", "--port", type=int, required=True)
    c.add_argument("-n", "--count", type=int, default=1000)
    c.add_argument("name")
    c.add_argument("type")
    a = p.parse_args()
    update(a) if a.cmd == "update" else count(a)


if __name__ == "__main__":
    main()
