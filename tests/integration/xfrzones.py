#!/usr/bin/env python3
"""xfrzones.py -- write the two generated zones of t_axfr.sh.

    xfrzones.py DIR KEYZONE BIGZONE NBIG

DIR/KEYZONE.zone: SOA, NS, MX and 400 names with A, AAAA, TXT (quotes and
spaces) and SRV records, several messages' worth of a transfer;
DIR/BIGZONE.zone: SOA, NS and NBIG A records h0 .. h<NBIG-1>.
"""
import sys

work, kz, big, nbig = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open("%s/%s.zone" % (work, kz), "w") as f:
    # Several message's worth of records, of several types.
    f.write("$ORIGIN %s.\n$TTL 600\n" % kz)
    f.write("@ IN SOA ns1 hostmaster 7 3600 600 1209600 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n")
    f.write("@ IN MX 10 mail\nmail IN A 192.0.2.25\n")
    for i in range(400):
        f.write("n%d IN A 198.51.100.%d\n" % (i, i % 250 + 1))
        f.write("n%d IN AAAA 2001:db8::%x\n" % (i, i + 1))
        f.write('n%d 120 IN TXT "record %d" "with \\"quotes\\" and spaces"\n' % (i, i))
        f.write("_s%d._tcp IN SRV 0 %d %d n%d\n" % (i, i % 7, 1000 + i, i))
with open("%s/%s.zone" % (work, big), "w") as f:
    f.write("$ORIGIN %s.\n$TTL 300\n" % big)
    f.write("@ IN SOA ns1 hostmaster 1 3600 600 1209600 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n")
    for i in range(nbig):
        f.write("h%d IN A 10.%d.%d.%d\n" % (i, i >> 16, (i >> 8) & 255, i & 255))
