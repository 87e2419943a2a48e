# lib_update.sh -- helpers for the registration tests (t_update, t_lease,
# t_concurrent, t_durability); sourced after lib.sh.
#
#   need_dnspython          PYDNS := a python3 that imports dnspython
#                           (apt-get installs python3-dnspython if needed)
#   new_secret [BYTES]      a random base64 TSIG secret
#   nsup ARGS... <<<CMDS    nsupdate against $PORT (zone $UZONE unless CMDS
#                           names one); NSUP_OUT, NSUP_RC, NSUP_RCODE
#   knsup ARGS... <<<CMDS   the same with knsupdate (KNSUP_*)
#   upd ARGS... OPS...      $WORK/upd.py: one UPDATE with dnspython (TSIG,
#                           Update Lease, bad zone sections, time skew, a
#                           source address); UPD_OUT, UPD_RCODE, UPD_TSIG,
#                           UPD_LEASE, UPD_KEYLEASE
#   soa_serial [ZONE]       the zone's SOA serial
#   rrdata NAME TYPE        the RRset's RDATA, sorted, one per line (TCP)
#   snapshot NAMES...       the serial and every live record at NAMES
#   expect_update RCODE WHAT   the last nsup/knsup/upd returned RCODE
#   expect_unchanged BEFORE WHAT   snapshot of $WATCH equals BEFORE
#
# $WORK/upd.py is also a module: test scripts put $WORK on sys.path and
# import it (see the functions below).

UZONE=${UZONE:-svc.example.test}
WATCH=${WATCH:-$UZONE}


# new_secret [BYTES]: random key material, base64 on one line.
new_secret() {
	head -c "${1:-32}" /dev/urandom | base64 -w0
}

# ---- command-line clients ---------------------------------------------------

# nsup ARGS...: nsupdate ARGS with "server 127.0.0.1 $PORT", "zone $UZONE"
# (unless the commands on stdin say "zone"), the commands, and "send".
# NSUP_RCODE: NOERROR, the RCODE nsupdate reports ("NOTAUTH(BADKEY)"), or
# "noreply".
nsup() {
	local cmds
	cmds=$(cat)
	grep -q '^zone ' <<<"$cmds" || cmds="zone $UZONE"$'\n'"$cmds"
	grep -q '^send' <<<"$cmds" || cmds="$cmds"$'\n'"send"
	NSUP_OUT=$(printf 'server 127.0.0.1 %s\n%s\n' "$PORT" "$cmds" | timeout 20 nsupdate -t 3 -u 1 -r 2 "$@" 2>&1)
	NSUP_RC=$?
	NSUP_RCODE=$(sed -n 's/^update failed: \([A-Z()]*\).*/\1/p' <<<"$NSUP_OUT" | tail -n 1)
	if [ -z "$NSUP_RCODE" ]; then
		if [ "$NSUP_RC" = 0 ]; then NSUP_RCODE=NOERROR; else NSUP_RCODE="noreply(rc=$NSUP_RC)"; fi
	fi
	LAST_CLIENT=nsupdate LAST_RCODE=$NSUP_RCODE LAST_OUT=$NSUP_OUT
}

# knsup ARGS...: the same with knsupdate. KNSUP_RCODE as nsup.
knsup() {
	local cmds
	cmds=$(cat)
	grep -q '^zone ' <<<"$cmds" || cmds="zone $UZONE"$'\n'"$cmds"
	grep -q '^send' <<<"$cmds" || cmds="$cmds"$'\n'"send"
	KNSUP_OUT=$(printf 'server 127.0.0.1 %s\n%s\nanswer\n' "$PORT" "$cmds" | timeout 20 knsupdate -t 3 -r 1 "$@" 2>&1)
	KNSUP_RC=$?
	KNSUP_RCODE=$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$KNSUP_OUT" | tail -n 1)
	[ -n "$KNSUP_RCODE" ] || KNSUP_RCODE="noreply(rc=$KNSUP_RC)"
	LAST_CLIENT=knsupdate LAST_RCODE=$KNSUP_RCODE LAST_OUT=$KNSUP_OUT
}

# upd ARGS... OPS...: see upd.py --help. Sets UPD_* from its one-line report.
upd() {
	UPD_OUT=$("$PYDNS" "$WORK/upd.py" -p "$PORT" "$@" 2>&1)
	UPD_RC=$?
	UPD_RCODE=$(sed -n 's/.*rcode=\([A-Z0-9]*\).*/\1/p' <<<"$UPD_OUT" | tail -n 1)
	UPD_TSIG=$(sed -n 's/.*tsig=\([A-Za-z0-9:_-]*\).*/\1/p' <<<"$UPD_OUT" | tail -n 1)
	UPD_LEASE=$(sed -n 's/.* lease=\([0-9-]*\).*/\1/p' <<<"$UPD_OUT" | tail -n 1)
	UPD_KEYLEASE=$(sed -n 's/.* keylease=\([0-9-]*\).*/\1/p' <<<"$UPD_OUT" | tail -n 1)
	[ -n "$UPD_RCODE" ] || UPD_RCODE="noreply(rc=$UPD_RC)"
	LAST_CLIENT=dnspython LAST_RCODE=$UPD_RCODE LAST_OUT=$UPD_OUT
}

# expect_update RCODE WHAT: the last update returned RCODE.
expect_update() {
	if [ "$LAST_RCODE" != "$1" ]; then
		sed 's/^/    | /' <<<"$LAST_OUT" >&2
		fail "$2: expected $1, got $LAST_RCODE ($LAST_CLIENT)"
	fi
	ok "$2: $1 ($LAST_CLIENT)"
}

# ---- reading the zone back ----------------------------------------------------

soa_serial() {
	dig @127.0.0.1 -p "$PORT" +norec +tcp +time=2 +tries=1 +short SOA "${1:-$UZONE}" 2>/dev/null | awk '{print $3}'
}

# rrdata NAME TYPE: the RDATA of NAME/TYPE, sorted, one per line.
rrdata() {
	dig @127.0.0.1 -p "$PORT" +norec +tcp +time=2 +tries=1 +noall +answer "$1" "$2" 2>/dev/null |
		awk -v t="$2" '$4 == t { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' | sort
}

# rrcount NAME TYPE
rrcount() {
	rrdata "$1" "$2" | grep -c .
}

# snapshot NAMES...: serial plus every live record at NAMES (ANY over TCP,
# TTLs left out since leases shorten them).
snapshot() {
	"$PYDNS" "$WORK/upd.py" -p "$PORT" --snapshot "$@"
}

# expect_unchanged BEFORE WHAT: snapshot of $WATCH still equals BEFORE.
expect_unchanged() {
	local now
	now=$(snapshot $WATCH)
	if [ "$now" != "$1" ]; then
		diff <(echo "$1") <(echo "$now") | sed 's/^/    | /' >&2
		fail "$2: the zone changed (records or serial) although the update failed"
	fi
	ok "$2: nothing changed (serial $(head -n 1 <<<"$now" | awk '{print $2}'))"
}

# ---- the dnspython client -----------------------------------------------------

cat >"$WORK/upd.py" <<'PYEOF'
#!/usr/bin/env python3
"""upd.py -- one RFC 2136 UPDATE with dnspython, for the integration tests.

    upd.py -p PORT [-k ALG:NAME:SECRET] [-z ZONE] [-s SRCADDR] [-t]
           [-l LEASE | -L LEASE:KEYLEASE] [--skew SECONDS]
           [--qtype TYPE] [--qdcount N] [--compress-srv] OP...

OP is one argument each:
    "add NAME TTL TYPE RDATA"   "del NAME TYPE RDATA"   "delrrset NAME TYPE"
    "delname NAME"   "yxdomain NAME"   "nxdomain NAME"   "yxrrset NAME TYPE [RDATA]"
    "nxrrset NAME TYPE"
Names without a final dot are relative to the zone. Prints one line:
    rcode=NOERROR tsig=ok lease=300 keylease=-
tsig is ok (signed, verifies), none (unsigned), BADKEY/BADSIG/BADTIME/... (the
TSIG error of the reply) or bad (the reply's MAC does not verify).
"upd.py -p PORT --snapshot NAME..." prints the zone serial and the records.
"""
import argparse
import socket
import struct
import sys
import time

import dns.edns
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rcode
import dns.rdtypes.IN.SRV
import dns.renderer
import dns.rrset
import dns.tsig
import dns.update

ZONE = "svc.example.test."
ALGS = {"hmac-md5": dns.tsig.HMAC_MD5, "hmac-sha1": dns.tsig.HMAC_SHA1,
        "hmac-sha224": dns.tsig.HMAC_SHA224, "hmac-sha256": dns.tsig.HMAC_SHA256,
        "hmac-sha384": dns.tsig.HMAC_SHA384, "hmac-sha512": dns.tsig.HMAC_SHA512}
TSIG_ERRORS = {16: "BADSIG", 17: "BADKEY", 18: "BADTIME", 22: "BADTRUNC"}

# dnspython (2.3 at least) compresses the SRV target, which RFC 2782 says
# must not be compressed, and dnsd refuses such an UPDATE with FORMERR.
# Send it uncompressed unless COMPRESS_SRV (--compress-srv) asks otherwise.
COMPRESS_SRV = False
_srv_to_wire = dns.rdtypes.IN.SRV.SRV._to_wire


def _srv_to_wire_rfc2782(self, file, compress=None, origin=None, canonicalize=False):
    _srv_to_wire(self, file, compress if COMPRESS_SRV else None, origin, canonicalize)


dns.rdtypes.IN.SRV.SRV._to_wire = _srv_to_wire_rfc2782


def key_from_spec(spec):
    """ALG:NAME:SECRET (or NAME:SECRET, hmac-sha256) -> dns.tsig.Key."""
    parts = spec.split(":", 2)
    if len(parts) == 2:
        parts = ["hmac-sha256"] + parts
    alg, name, secret = parts
    return dns.tsig.Key(name, secret, ALGS.get(alg.lower(), alg))


def absname(name, zone=ZONE):
    if name.endswith(".") or name == "@":
        return zone if name == "@" else name
    return name + "." + zone


def build(ops, zone=ZONE, key=None, lease=None, keylease=None, qtype=None,
          qdcount=1):
    """An UpdateMessage for OPS (strings as in the module doc)."""
    m = dns.update.UpdateMessage(zone)
    for op in ops:
        w = op.split()
        verb, name = w[0], absname(w[1], zone)
        if verb == "add":
            m.add(name, int(w[2]), w[3], " ".join(w[4:]))
        elif verb == "del":
            m.delete(name, w[2], " ".join(w[3:]))
        elif verb == "delrrset":
            m.delete(name, w[2])
        elif verb == "delname":
            m.delete(name)
        elif verb == "yxdomain":
            m.present(name)
        elif verb == "nxdomain":
            m.absent(name)
        elif verb == "yxrrset":
            if len(w) > 3:
                m.present(name, w[2], " ".join(w[3:]))
            else:
                m.present(name, w[2])
        elif verb == "nxrrset":
            m.absent(name, w[2])
        else:
            raise SystemExit("upd.py: unknown op %r" % op)
    if lease is not None:
        data = struct.pack("!I", lease)
        if keylease is not None:
            data += struct.pack("!I", keylease)
        m.use_edns(0, payload=1232, options=[dns.edns.GenericOption(2, data)])
    if qtype is not None or qdcount != 1:
        q = dns.rrset.RRset(dns.name.from_text(zone), dns.rdataclass.IN,
                            dns.rdatatype.from_text(qtype or "SOA"))
        m.sections[0] = [q] * qdcount
    if key is not None:
        m.use_tsig(key)
    return m


def to_wire(m, skew=0):
    """Render (and sign) M, with the TSIG clock shifted by SKEW seconds."""
    if skew:
        real = time.time

        class Skewed:
            @staticmethod
            def time():
                return real() + skew
        saved = dns.message.time, dns.renderer.time
        dns.message.time = dns.renderer.time = Skewed
        try:
            return m.to_wire()
        finally:
            dns.message.time, dns.renderer.time = saved
    return m.to_wire()


def _recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise ConnectionError("connection closed")
        b += chunk
    return b


class Conn:
    """A TCP connection that carries several messages in turn."""

    def __init__(self, port, addr="127.0.0.1", timeout=5.0, src=None):
        self.s = socket.create_connection((addr, port), timeout=timeout,
                                          source_address=(src, 0) if src else None)

    def exchange(self, wire):
        self.s.sendall(struct.pack("!H", len(wire)) + wire)
        (n,) = struct.unpack("!H", _recv_exact(self.s, 2))
        return _recv_exact(self.s, n)

    def close(self):
        self.s.close()


def exchange(wire, port, addr="127.0.0.1", tcp=False, src=None, timeout=3.0,
             tries=3):
    """Send WIRE, return the reply bytes (None if none came)."""
    if tcp:
        c = Conn(port, addr, timeout * tries, src)
        try:
            return c.exchange(wire)
        finally:
            c.close()
    qid = wire[:2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if src:
            s.bind((src, 0))
        s.settimeout(timeout)
        for _ in range(tries):
            s.sendto(wire, (addr, port))
            deadline = time.time() + timeout
            while time.time() < deadline:
                try:
                    data, _ = s.recvfrom(65535)
                except socket.timeout:
                    break
                if data[:2] == qid:
                    return data
        return None
    finally:
        s.close()


def _skip_name(msg, off):
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1
        if n == 0:
            return off
        off += n


def parse_reply(msg):
    """rcode (extended), the Update Lease option and the TSIG error, read
    straight from the wire (dnspython would stop at a TSIG error)."""
    out = {"rcode": None, "lease": None, "keylease": None, "tsig_error": None,
           "tsig": False, "opt": False}
    _, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    rcode = flags & 0xF
    off = 12
    for _ in range(qd):
        off = _skip_name(msg, off) + 4
    for i in range(an + ns + ar):
        off = _skip_name(msg, off)
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rd = msg[off:off + rdlen]
        off += rdlen
        if i < an + ns:
            continue
        if rtype == 41:
            out["opt"] = True
            rcode |= (ttl >> 24) << 4
            o = 0
            while o + 4 <= len(rd):
                code, olen = struct.unpack("!HH", rd[o:o + 4])
                data = rd[o + 4:o + 4 + olen]
                o += 4 + olen
                if code == 2 and olen in (4, 8):
                    out["lease"] = struct.unpack("!I", data[:4])[0]
                    if olen == 8:
                        out["keylease"] = struct.unpack("!I", data[4:])[0]
        elif rtype == 250:
            out["tsig"] = True
            p = _skip_name(rd, 0) + 8            # algorithm, time, fudge
            (maclen,) = struct.unpack("!H", rd[p:p + 2])
            p += 2 + maclen + 2                    # MAC, original id
            (out["tsig_error"],) = struct.unpack("!H", rd[p:p + 2])
    out["rcode"] = rcode
    return out


def rcode_text(rc):
    try:
        return dns.rcode.to_text(rc)
    except Exception:
        return str(rc)


def outcome(req, reply, key):
    """The one-line report for a reply to REQ."""
    if reply is None:
        return {"rcode": "noreply", "tsig": "-", "lease": None, "keylease": None}
    r = parse_reply(reply)
    if not r["tsig"]:
        tsig = "none"
    elif r["tsig_error"]:
        tsig = TSIG_ERRORS.get(r["tsig_error"], "error%d" % r["tsig_error"])
    elif key is None:
        tsig = "unexpected"
    else:
        try:
            dns.message.from_wire(reply, keyring=key, request_mac=req.mac)
            tsig = "ok"
        except Exception as e:  # MAC or time does not verify
            tsig = "bad:" + type(e).__name__
    return {"rcode": rcode_text(r["rcode"]), "tsig": tsig, "lease": r["lease"],
            "keylease": r["keylease"]}


def update(port, ops, key=None, zone=ZONE, lease=None, keylease=None, tcp=False,
           src=None, skew=0, qtype=None, qdcount=1, conn=None, timeout=3.0, tries=3):
    """Send one UPDATE; returns the outcome dict (rcode as text)."""
    m = build(ops, zone, key, lease, keylease, qtype, qdcount)
    wire = to_wire(m, skew)
    if conn is not None:
        reply = conn.exchange(wire)
    else:
        reply = exchange(wire, port, tcp=tcp, src=src, timeout=timeout, tries=tries)
    return outcome(m, reply, key)


def query(port, name, rdtype, tcp=False, conn=None):
    """(rcode text, [(ttl, rdata text)...]) for NAME/RDTYPE."""
    q = dns.message.make_query(name, rdtype)
    q.flags = 0
    wire = q.to_wire()
    reply = conn.exchange(wire) if conn is not None else exchange(wire, port, tcp=tcp)
    if reply is None:
        return "noreply", []
    r = dns.message.from_wire(reply)
    t = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
    ans = []
    for rrset in r.answer:
        if rrset.rdtype == t and rrset.name == dns.name.from_text(name):
            ans += [(rrset.ttl, rd.to_text()) for rd in rrset]
    return dns.rcode.to_text(r.rcode()), ans


def serial(port, zone=ZONE):
    rc, ans = query(port, zone, "SOA", tcp=True)
    return int(ans[0][1].split()[2]) if ans else None


def snapshot(port, names, zone=ZONE):
    """Serial and the live records at NAMES (ANY over TCP), without TTLs."""
    c = Conn(port)
    lines = []
    try:
        rc, ans = query(port, zone, "SOA", conn=c)
        lines.append("serial %s" % (ans[0][1].split()[2] if ans else "?"))
        for n in names:
            q = dns.message.make_query(absname(n, zone), "ANY")
            q.flags = 0
            r = dns.message.from_wire(c.exchange(q.to_wire()))
            recs = sorted("%s %s %s" % (rr.name, dns.rdatatype.to_text(rr.rdtype), rd.to_text())
                          for rr in r.answer for rd in rr)
            lines.append("%s %s: %s" % (n, dns.rcode.to_text(r.rcode()), " | ".join(recs)))
    finally:
        c.close()
    return "\n".join(lines)


def main(argv):
    ap = argparse.ArgumentParser(description="send one DNS UPDATE")
    ap.add_argument("-p", "--port", type=int, required=True)
    ap.add_argument("-k", "--key")
    ap.add_argument("-z", "--zone", default=ZONE)
    ap.add_argument("-s", "--source")
    ap.add_argument("-t", "--tcp", action="store_true")
    ap.add_argument("-l", "--lease", type=int)
    ap.add_argument("-L", "--lease8")
    ap.add_argument("--skew", type=int, default=0)
    ap.add_argument("--qtype")
    ap.add_argument("--qdcount", type=int, default=1)
    ap.add_argument("--snapshot", action="store_true")
    ap.add_argument("--compress-srv", action="store_true")
    ap.add_argument("ops", nargs="*")
    a = ap.parse_args(argv)
    zone = a.zone if a.zone.endswith(".") else a.zone + "."
    if a.snapshot:
        print(snapshot(a.port, a.ops, zone))
        return 0
    global COMPRESS_SRV
    COMPRESS_SRV = a.compress_srv
    key = key_from_spec(a.key) if a.key else None
    lease, keylease = a.lease, None
    if a.lease8:
        lease, keylease = (int(x) for x in a.lease8.split(":"))
    o = update(a.port, a.ops, key, zone, lease, keylease, a.tcp, a.source, a.skew,
               a.qtype, a.qdcount)
    print("rcode=%s tsig=%s lease=%s keylease=%s" % (
        o["rcode"], o["tsig"], "-" if o["lease"] is None else o["lease"],
        "-" if o["keylease"] is None else o["keylease"]))
    return 0 if o["rcode"] != "noreply" else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
PYEOF
