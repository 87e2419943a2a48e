#!/bin/bash
# t_acl_mapped.sh -- an IPv6 packet whose source is an IPv4-mapped address
# (::ffff:127.0.0.1) is not the IPv4 client 127.0.0.1: "localhost" in
# allow-update-unsigned must not admit it. Linux delivers such UDP packets
# to IPv6 sockets, IPV6_V6ONLY or not, so anyone who can send IPv6 to the
# server could otherwise pass for localhost (see conf_acl_match_sockaddr in
# conf.h). UPDATEs are sent as raw IPv6 packets, which needs root; the same
# packet from ::1 first proves that the raw path reaches dnsd.
. "$(dirname "$0")/lib.sh"

need_tool dig
[ "$(id -u)" = 0 ] || skip "raw IPv6 packets need root"
"$PYTHON" -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)' 2>/dev/null ||
	skip "no raw IPv6 socket here"

Z=svc.example.test
cat >"$WORK/dnsd.conf" <<CONF
zone "$Z" { allow-update-unsigned localhost; }
CONF
LISTEN6=1 start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"

# raw6.py SRC PORT NAME ADDR: an unsigned UPDATE adding "NAME A ADDR" to $Z,
# sent to [::1]:PORT in an IPv6 packet from SRC.
cat >"$WORK/raw6.py" <<'PY'
import socket, struct, sys
src, port, name, addr = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
zone = sys.argv[5]
def wire(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.rstrip(".").split(".")) + b"\0"
msg = struct.pack("!HHHHHH", 0x5eed, 5 << 11, 1, 0, 1, 0)
msg += wire(zone) + struct.pack("!HH", 6, 1)
msg += wire(name) + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(addr)
s6 = socket.inet_pton(socket.AF_INET6, src)
d6 = socket.inet_pton(socket.AF_INET6, "::1")
ulen = 8 + len(msg)
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
udp = struct.pack("!HHHH", 40053, port, ulen, 0) + msg
c = csum(s6 + d6 + struct.pack("!I3xB", ulen, 17) + udp) or 0xffff
udp = udp[:6] + struct.pack("!H", c) + udp[8:]
ip6 = struct.pack("!IHBB", 6 << 28, ulen, 17, 64) + s6 + d6
r = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
r.sendto(ip6 + udp, ("::1", 0))
PY

# added NAME: the A record NAME has appeared (waits up to 3 s).
added() {
	local i
	for i in $(seq 1 60); do
		[ -n "$(dig @127.0.0.1 -p "$PORT" +short +norec A "$1" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	return 1
}

note "the raw path reaches dnsd"
"$PYTHON" "$WORK/raw6.py" ::1 "$PORT" "ctl.$Z" 192.0.2.1 "$Z" || hard_error "raw6.py failed"
added "ctl.$Z" || skip "an UPDATE sent as a raw IPv6 packet from ::1 did not arrive"
ok "an unsigned UPDATE from ::1 (localhost) is accepted"

note "an IPv4-mapped source is not localhost"
"$PYTHON" "$WORK/raw6.py" ::ffff:127.0.0.1 "$PORT" "mapped.$Z" 192.0.2.2 "$Z" || hard_error "raw6.py failed"
# A later accepted update from ::1 shows the writer has had the first.
"$PYTHON" "$WORK/raw6.py" ::1 "$PORT" "after.$Z" 192.0.2.3 "$Z" || hard_error "raw6.py failed"
added "after.$Z" || hard_error "the second UPDATE from ::1 did not arrive"
sleep 0.2
got=$(dig @127.0.0.1 -p "$PORT" +norec A "mapped.$Z" 2>/dev/null)
grep -q 'status: NXDOMAIN' <<<"$got" ||
	fail "mapped.$Z after an UPDATE from ::ffff:127.0.0.1: $(grep -E 'status:|[[:space:]]A[[:space:]]' <<<"$got" | paste -sd ' ')"
ok "an unsigned UPDATE from ::ffff:127.0.0.1 is not let in by localhost"

done_ok
