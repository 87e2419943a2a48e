#!/bin/sh
# t_update_tool_knot.sh -- dnsd-update against a real Knot DNS: register,
# check every DNS-SD / RFC 2782 record with dig, deregister (both ways),
# bad keys, zone discovery, stdin batches, TCP, run and keepalive, bench;
# then, against a small fake server, that the Update Lease option is on
# the wire, the granted lease is printed, TC=1 falls back to TCP and an
# unsigned or forged response is refused.
#
# Exit: 0 pass, 1 fail, 77 skip (no knotd and it cannot be installed),
# 99 hard error (no tool, knotd would not start).

set -u

here=$(cd "$(dirname "$0")" && pwd)
tool=
for d in "${BUILDDIR:-}" "${top_builddir:-}" "$PWD" "$here/../.."; do
	if [ -n "$d" ] && [ -x "$d/tools/dnsd-update" ]; then
		tool="$d/tools/dnsd-update"
		break
	fi
done
tool=${DNSD_UPDATE:-$tool}
if [ -z "$tool" ] || [ ! -x "$tool" ]; then
	echo "t_update_tool_knot: dnsd-update not built (set BUILDDIR)" >&2
	exit 99
fi

# --- tools we need -----------------------------------------------------------
need_pkgs=
command -v knotd >/dev/null 2>&1 || need_pkgs="$need_pkgs knot"
command -v dig >/dev/null 2>&1 || need_pkgs="$need_pkgs bind9-dnsutils"
if [ -n "$need_pkgs" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "installing:$need_pkgs"
	DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y $need_pkgs \
	    >/dev/null 2>&1 || true
fi
if ! command -v knotd >/dev/null 2>&1; then
	echo "SKIP: knotd not installed and cannot be installed"
	exit 77
fi
if ! command -v dig >/dev/null 2>&1; then
	echo "SKIP: dig not installed and cannot be installed"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_update_tool.XXXXXX") || exit 99
knot_pid=
fake_pid=
loop_pid=
cleanup() {
	for p in $loop_pid $fake_pid $knot_pid; do
		kill "$p" 2>/dev/null
	done
	for p in $loop_pid $fake_pid $knot_pid; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP

fails=0
pass() { echo "ok   - $1"; }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }
# check DESCRIPTION COMMAND...: the command must succeed
check() {
	d=$1; shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}

# A port free on 127.0.0.1 for both UDP and TCP (bounded tries).
pick_port() {
	i=0
	while [ $i -lt 50 ]; do
		p=$(( (($$ + i * 7919) * 2654435761 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 40000 + 20000 ))
		if ! ss -Hlntu 2>/dev/null | awk '{print $5}' | grep -q ":$p\$"; then
			echo "$p"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

port=$(pick_port) || { echo "no free port" >&2; exit 99; }
Z=example.com
secret=$(head -c 32 /dev/urandom | base64)
wrong=$(head -c 32 /dev/urandom | base64)

# A BIND key file with the comments and layout people write.
cat >"$tmp/registrar.key" <<EOF
# written by t_update_tool_knot.sh
key "registrar.key" {   // the registrar's key
	algorithm hmac-sha256;
	/* base64,
	   32 bytes */
	secret "$secret";
};
EOF
printf 'key "registrar.key" { algorithm hmac-sha256 secret "x"; };\n' \
    >"$tmp/broken.key"

# IPv6 too when lo has ::1.
listen6=
if grep -q '^0\{31\}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
	listen6=", ::1@$port"
fi
mkdir -p "$tmp/db"
cat >"$tmp/knot.conf" <<EOF
server:
    rundir: "$tmp"
    listen: [ 127.0.0.1@$port$listen6 ]
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$tmp/db"
log:
  - target: stderr
    any: info
key:
  - id: registrar.key
    algorithm: hmac-sha256
    secret: $secret
acl:
  - id: registrar
    key: registrar.key
    action: update
template:
  - id: default
    storage: "$tmp"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
zone:
  - domain: $Z
    file: $Z.zone
    acl: registrar
EOF
cat >"$tmp/$Z.zone" <<EOF
\$ORIGIN $Z.
\$TTL 300
@   SOA ns hostmaster 1 3600 600 86400 60
@   NS  ns
ns  A   127.0.0.1
EOF

q() { dig @127.0.0.1 -p "$port" +time=2 +tries=1 +short "$1.$Z" "$2" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'; }

# Start knotd; if another test took the port meanwhile, move to a new one
# (bounded). Ready means our zone's SOA comes back, from a live knotd.
for attempt in 1 2 3; do
	knotd -c "$tmp/knot.conf" >"$tmp/knot.log" 2>&1 &
	knot_pid=$!
	i=0
	until kill -0 "$knot_pid" 2>/dev/null &&
	    dig @127.0.0.1 -p "$port" +short +time=1 +tries=1 $Z SOA 2>/dev/null | grep -q hostmaster; do
		i=$((i + 1))
		if [ $i -gt 50 ] || ! kill -0 "$knot_pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	kill -0 "$knot_pid" 2>/dev/null && [ $i -le 50 ] && break
	kill "$knot_pid" 2>/dev/null
	wait "$knot_pid" 2>/dev/null
	if [ $attempt -lt 3 ] && grep -q 'already in use' "$tmp/knot.log"; then
		old=$port
		port=$(pick_port) || { echo "no free port" >&2; exit 99; }
		sed -i "s/@$old/@$port/g" "$tmp/knot.conf"
		continue
	fi
	echo "knotd did not start:" >&2
	cat "$tmp/knot.log" >&2
	exit 99
done
echo "knotd on 127.0.0.1@$port"

U="$tool -s 127.0.0.1@$port -t 3"
K="-k $tmp/registrar.key"

# expect DESCRIPTION NAME TYPE EXPECTED (sorted, space-separated dig +short)
expect() {
	got=$(q "$2" "$3")
	if [ "$got" = "$4" ]; then
		pass "$1"
	else
		fail "$1: $2.$Z $3 is '$got', want '$4'"
	fi
}

# --- register -----------------------------------------------------------------
out=$($U $K -z $Z register web web-1 10.0.0.5 8080 --lease 30 \
    --txt path=/api --txt v=1 --subtype v2 --aaaa 2001:db8::5 2>"$tmp/err")
rc=$?
check "register exits 0" [ $rc -eq 0 ]
check "register is quiet (Knot grants no lease)" [ -z "$out" ] && [ ! -s "$tmp/err" ]
[ $rc -eq 0 ] || cat "$tmp/err"

expect "browse PTR" _web._tcp PTR "web-1._web._tcp.$Z."
expect "instance SRV" web-1._web._tcp SRV "0 0 8080 web-1.$Z."
expect "instance TXT" web-1._web._tcp TXT '"path=/api" "v=1"'
expect "RFC 2782 SRV" _web._tcp SRV "0 0 8080 web-1.$Z."
expect "host A" web-1 A "10.0.0.5"
expect "host AAAA" web-1 AAAA "2001:db8::5"
expect "no address at the service name (A)" web A ""
expect "no address at the service name (AAAA)" web AAAA ""
expect "subtype PTR" _v2._sub._web._tcp PTR "web-1._web._tcp.$Z."
expect "service types PTR" _services._dns-sd._udp PTR "_web._tcp.$Z."
ttl=$(dig @127.0.0.1 -p "$port" +noall +answer web-1._web._tcp.$Z SRV | awk '{print $2}')
check "TTL is 30 (default, within the lease)" [ "$ttl" = 30 ]

# TTL never above the lease; priority and weight; a second instance.
check "register web-2 (--ttl 300 --lease 20 --priority 1 --weight 5)" \
    $U $K -z $Z register web web-2 10.0.0.6 8081 --ttl 300 --lease 20 \
    --priority 1 --weight 5
ttl=$(dig @127.0.0.1 -p "$port" +noall +answer web-2._web._tcp.$Z SRV | awk '{print $2}')
check "TTL clamped to the lease (20)" [ "$ttl" = 20 ]
expect "RFC 2782 SRV lists both" _web._tcp SRV "0 0 8080 web-1.$Z. 1 5 8081 web-2.$Z."
expect "instance TXT is one empty string without --txt" web-2._web._tcp TXT '""'

check "renew (same UPDATE again) exits 0" \
    $U $K -z $Z renew web web-2 10.0.0.6 8081 --lease 20 --priority 1 --weight 5
expect "renew changes nothing" _web._tcp SRV "0 0 8080 web-1.$Z. 1 5 8081 web-2.$Z."

# --- deregister, reading the records from the server ---------------------------
check "deregister web-1 (looked up)" $U $K -z $Z deregister web web-1 --subtype v2
expect "web-1 SRV gone" web-1._web._tcp SRV ""
expect "web-1 TXT gone" web-1._web._tcp TXT ""
expect "web-1 A gone" web-1 A ""
expect "web-1 AAAA gone" web-1 AAAA ""
expect "browse PTR keeps web-2 only" _web._tcp PTR "web-2._web._tcp.$Z."
expect "RFC 2782 SRV keeps web-2 only" _web._tcp SRV "1 5 8081 web-2.$Z."
expect "subtype PTR gone" _v2._sub._web._tcp PTR ""
expect "service types PTR stays while web-2 is left" _services._dns-sd._udp PTR "_web._tcp.$Z."

# --- deregister with register's arguments (no look-ups) ------------------------
check "deregister web-2 (from arguments)" \
    $U $K -z $Z deregister web web-2 10.0.0.6 8081 --priority 1 --weight 5
expect "browse PTR empty" _web._tcp PTR ""
expect "RFC 2782 SRV empty" _web._tcp SRV ""
expect "service types PTR goes with the last instance" _services._dns-sd._udp PTR ""
expect "web-2 host gone" web-2 A ""

# --- keys ------------------------------------------------------------------
$U -y registrar.key:$wrong -z $Z register web web-x 10.0.0.9 80 >/dev/null 2>"$tmp/err"
rc=$?
check "wrong secret exits 1" [ $rc -eq 1 ]
check "wrong secret: one error line naming NOTAUTH and BADSIG" \
    grep -q '^dnsd-update: update failed: NOTAUTH (TSIG error BADSIG' "$tmp/err"
check "wrong secret: exactly one line" [ "$(wc -l <"$tmp/err")" -eq 1 ]
$U -y hmac-sha256:unknown.key:$secret -z $Z register web web-x 10.0.0.9 80 2>"$tmp/err"
check "unknown key name exits 1 with BADKEY" \
    sh -c "[ $? -eq 1 ] && grep -q 'TSIG error BADKEY' '$tmp/err'"
$U -z $Z register web web-x 10.0.0.9 80 2>"$tmp/err"
check "no key exits 1 and says NOTAUTH" \
    sh -c "[ $? -eq 1 ] && grep -q 'update failed: NOTAUTH' '$tmp/err'"
expect "nothing was added by the refused updates" web-x A ""
$U -k "$tmp/broken.key" -z $Z register web web-x 10.0.0.9 80 2>"$tmp/err"
check "broken key file exits 2" sh -c "[ $? -eq 2 ] && grep -q 'broken.key' '$tmp/err'"
$U -k "$tmp/missing.key" -z $Z register web web-x 10.0.0.9 80 2>/dev/null
check "missing key file exits 2" [ $? -eq 2 ]
check "-y with the right secret works" \
    $U -y hmac-sha256:registrar.key:$secret -z $Z register web web-y 10.0.0.10 80
check "deregister web-y" $U -y registrar.key:$secret -z $Z deregister web web-y

# --- usage errors ------------------------------------------------------------
$U $K -z $Z register web web-1 10.0.0.5 notaport 2>"$tmp/err"
check "bad port exits 2 with a usage hint" \
    sh -c "[ $? -eq 2 ] && grep -q 'dnsd-update --help' '$tmp/err'"
$U $K register web web-1 10.0.0.5 80 2>"$tmp/err"
check "no zone and unqualified service exits 2" \
    sh -c "[ $? -eq 2 ] && grep -q -- '-z ZONE' '$tmp/err'"

# --- zone found from the server (SOA of the service name) ----------------------
check "qualified service without -z" \
    $U $K register web.$Z web-q 10.0.0.11 8082 --udp
expect "found zone, _udp protocol" web-q._web._udp SRV "0 0 8082 web-q.$Z."
check "deregister qualified" $U $K deregister web.$Z web-q --udp
expect "qualified instance gone" web-q._web._udp SRV ""

# --- TCP --------------------------------------------------------------------------
check "register over TCP" $U $K -z $Z --tcp register web web-t 10.0.0.12 80
expect "TCP registration visible" web-t A "10.0.0.12"
check "deregister over TCP" $U $K -z $Z --tcp deregister web web-t
expect "TCP deregistration done" web-t A ""

# --- the server as ADDR:PORT, as dnsd-resolve takes it ---------------------------
check "register to 127.0.0.1:PORT" $tool -s "127.0.0.1:$port" -t 3 $K -z $Z register web web-7 10.0.0.7 80
expect "ADDR:PORT reaches the server" web-7 A "10.0.0.7"
check "deregister via localhost:PORT" $tool -s "localhost:$port" -t 3 $K -z $Z deregister web web-7
expect "HOST:PORT reaches the server" web-7 A ""
$tool -s "127.0.0.1:0" -t 3 $K -z $Z register web web-8 10.0.0.8 80 2>/dev/null
check "port 0 is a usage error (exit 2)" [ $? -eq 2 ]
$tool -s "[::1" -t 3 $K -z $Z register web web-8 10.0.0.8 80 2>/dev/null
check "an unclosed bracket is a usage error (exit 2)" [ $? -eq 2 ]

# --- IPv6 server address -------------------------------------------------------
if [ -n "$listen6" ]; then
	check "register to ::1@PORT" $tool -s "::1@$port" -t 3 $K -z $Z register web web-6 2001:db8::6 80
	expect "IPv6 instance address as AAAA" web-6 AAAA "2001:db8::6"
	check "deregister via [::1]@PORT" $tool -s "[::1]@$port" -t 3 $K -z $Z deregister web web-6
	expect "IPv6 instance gone" web-6 AAAA ""
	check "register to [::1]:PORT" $tool -s "[::1]:$port" -t 3 $K -z $Z register web web-6 2001:db8::6 80
	expect "[V6]:PORT reaches the server" web-6 AAAA "2001:db8::6"
	check "deregister via ::1@PORT" $tool -s "::1@$port" -t 3 $K -z $Z deregister web web-6
else
	echo "# no ::1 on lo: IPv6 checks skipped"
fi

# --- stdin batches ------------------------------------------------------------------
$U $K >"$tmp/out" 2>"$tmp/err" <<EOF
; nsupdate input: names are absolute, with or without the final dot
zone $Z
ttl 60
update add api.$Z 60 A 10.1.0.1
add api.$Z. AAAA 2001:db8::1
add _api._tcp.$Z SRV 0 0 443 api.$Z
add api.$Z TXT "a b" "c"
send
# conditional on what is there
prereq yxrrset api.$Z A
prereq nxdomain nothere.$Z
update delete api.$Z AAAA
del api.$Z TXT "a b" "c"
send
EOF
rc=$?
check "batch exits 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$tmp/err"
expect "batch add A" api A "10.1.0.1"
expect "batch add SRV (target without the final dot)" _api._tcp SRV "0 0 443 api.$Z."
expect "batch delete RRset" api AAAA ""
expect "batch delete RR" api TXT ""
$U $K -z $Z >/dev/null 2>"$tmp/err" <<EOF
prereq nxdomain api.$Z
add api.$Z A 10.1.0.2
send
EOF
check "failed prerequisite exits 1 with YXDOMAIN" \
    sh -c "[ $? -eq 1 ] && grep -q 'update failed: YXDOMAIN' '$tmp/err'"
expect "failed prerequisite changed nothing" api A "10.1.0.1"
printf 'zone %s\nfrobnicate\n' $Z | $U $K 2>"$tmp/err"
check "unknown batch command exits 2 naming the line" \
    sh -c "[ $? -eq 2 ] && grep -q 'stdin:2' '$tmp/err'"
printf 'del api.%s\n' $Z | $U $K -z $Z
check "batch without send sends at end of input" [ "$(q api A)" = "" ]
printf 'server 127.0.0.1 %s\nkey hmac-sha256:registrar.key %s\nzone %s.\nlease 60\nadd srv-in-batch.%s A 10.1.0.5\nsend\n' \
    "$port" "$secret" $Z $Z | $tool -t 3 >/dev/null
check "batch server, key, zone and lease lines" [ "$(q srv-in-batch A)" = "10.1.0.5" ]
# nsupdate's lines mean the same here: a name without the final dot is
# absolute, never made relative to the zone (db-3.Z.Z).
printf 'zone %s\nupdate add db-3.%s 60 A 10.1.0.9\nsend\n' $Z $Z | $U $K
check "a name without the final dot is absolute, as in nsupdate" \
    sh -c "[ '$(q db-3 A)' = 10.1.0.9 ] && [ -z '$(q db-3.$Z A)' ]"
printf 'zone %s\nupdate add relative 60 A 10.1.0.10\nsend\n' $Z | $U $K 2>"$tmp/err"
check "a bare label is a name at the root, outside the zone: NOTZONE" \
    grep -q 'NOTZONE' "$tmp/err"
printf 'add late.%s A 10.1.0.3\nquit\nadd later.%s A 10.1.0.4\n' $Z $Z | $U $K -z $Z
check "quit sends what is pending and stops reading" \
    [ "$(q late A)/$(q later A)" = "10.1.0.3/" ]

# --- run: registered exactly while the command runs -------------------------------
$U $K -z $Z run web web-r 10.0.0.13 9090 --lease 10 -- \
    sh -c "dig @127.0.0.1 -p $port +short web-r.$Z A >'$tmp/seen'; exit 3"
rc=$?
check "run returns the command's exit status (3)" [ $rc -eq 3 ]
check "registered while the command ran" grep -q '^10.0.0.13$' "$tmp/seen"
expect "deregistered after the command exited" web-r A ""
$U $K -z $Z run web web-r 10.0.0.13 9090 -- /nonexistent/cmd 2>/dev/null
check "run of a missing command exits 127" [ $? -eq 127 ]

# SIGTERM to run is passed to the command, then deregistration.
$U $K -z $Z run web web-s 10.0.0.14 9091 --lease 10 -- sleep 30 &
loop_pid=$!
i=0
while [ "$(q web-s A)" != "10.0.0.14" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $loop_pid
wait $loop_pid
rc=$?
loop_pid=
check "run under SIGTERM exits 128+15" [ $rc -eq 143 ]
expect "run deregistered on SIGTERM" web-s A ""

# --- keepalive: renews at 80% of the lease, deregisters on SIGTERM ------------------
before=$(grep -c 'DDNS, processing' "$tmp/knot.log")
$U $K -z $Z keepalive web web-k 10.0.0.15 9092 --lease 2 2>"$tmp/kerr" &
loop_pid=$!
i=0
while [ "$(q web-k A)" != "10.0.0.15" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
expect "keepalive registered" web-k A "10.0.0.15"
# A 2 s lease renews every 1.6 s: the first update and two renewals
# should reach Knot within about 3.2 s; allow 8 s on a loaded machine,
# and require that the registration was never lost meanwhile.
i=0
lost=0
while [ $i -lt 80 ]; do
	after=$(grep -c 'DDNS, processing' "$tmp/knot.log")
	[ $((after - before)) -ge 3 ] && break
	[ "$(q web-k A)" = "10.0.0.15" ] || lost=1
	sleep 0.1
	i=$((i + 1))
done
check "keepalive renewed twice ($((after - before)) updates)" \
    [ $((after - before)) -ge 3 ]
check "keepalive never lost the registration" [ $lost -eq 0 ]
kill -TERM $loop_pid
wait $loop_pid
rc=$?
loop_pid=
check "keepalive exits 0 on SIGTERM" [ $rc -eq 0 ]
expect "keepalive deregistered" web-k A ""
expect "keepalive removed its SRV" _web._tcp SRV ""

# --- keepalive with a check: DNSD-HEALTH is an option Knot does not know,
# which it must ignore (RFC 6891 section 6.1.2); the records are the same -----
$U $K -z $Z keepalive web web-h 10.0.0.16 9093 --lease 10 --check-exec 'exit 1' \
    --check-interval 1s 2>"$tmp/herr" &
loop_pid=$!
i=0
while [ "$(q web-h A)" != "10.0.0.16" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
expect "keepalive --check-exec registered (warning) on Knot" web-h._web._tcp SRV "0 0 9093 web-h.$Z."
expect "and its service type listed" _services._dns-sd._udp PTR "_web._tcp.$Z."
kill -TERM $loop_pid
wait $loop_pid
rc=$?
loop_pid=
check "keepalive with a check exits 0 on SIGTERM" [ $rc -eq 0 ]
expect "keepalive with a check deregistered" web-h A ""
expect "the service type went with it" _services._dns-sd._udp PTR ""
check "no update failed" sh -c "! grep -q 'update failed' '$tmp/herr'"

# --- bench ---------------------------------------------------------------------------
$U $K -z $Z bench -n 200 -c 4 >"$tmp/bench" 2>&1
rc=$?
check "bench exits 0" [ $rc -eq 0 ]
check "bench reports 200 ok, a rate and latency" \
    sh -c "grep -q '200 ok, 0 failed' '$tmp/bench' && grep -q '^rate: ' '$tmp/bench' && grep -q '^latency: p50' '$tmp/bench'"
cat "$tmp/bench"

# --- the wire: Update Lease option, granted lease, TC fallback, response TSIG -------
if command -v python3 >/dev/null 2>&1; then
	cat >"$tmp/fake.py" <<'EOF'
# A fake UPDATE server: logs each request's OPT options ("lease udp
# opt=000200040000001e"), answers as the mode file says.
import base64, hashlib, hmac, socket, struct, sys, threading, time
port, secret, log, modef, ready = int(sys.argv[1]), base64.b64decode(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

def skip_name(b, o):
    while True:
        n = b[o]
        if n == 0:
            return o + 1
        if n & 0xC0 == 0xC0:
            return o + 2
        o += 1 + n

def parse(b):
    """End of the zone section, the request's TSIG MAC, the OPT RDATA."""
    qd, an, ns, ar = struct.unpack('!4H', b[4:12])
    o = 12
    for _ in range(qd):
        o = skip_name(b, o) + 4
    qend, mac, opt = o, b'', None
    for _ in range(an + ns + ar):
        o = skip_name(b, o)
        t, _c, _ttl, rdlen = struct.unpack('!HHIH', b[o:o + 10])
        rd = b[o + 10:o + 10 + rdlen]
        if t == 250:
            a = skip_name(rd, 0)
            n = struct.unpack('!H', rd[a + 8:a + 10])[0]
            mac = rd[a + 10:a + 10 + n]
        elif t == 41:
            opt = rd
        o += 10 + rdlen
    return qend, mac, opt

def wname(s):
    return b''.join(bytes([len(l)]) + l.encode() for l in s.split('.')) + b'\0'

def answer(q, proto):
    mode = open(modef).read().strip()
    qend, reqmac, opt = parse(q)
    with open(log, 'a') as f:
        f.write('%s %s opt=%s\n' % (mode, proto, 'none' if opt is None else opt.hex()))
    tc = mode == 'tc' and proto == 'udp'
    lease = 25 if mode == 'tc' else 20
    flags = 0x8000 | (5 << 11) | (0x0200 if tc else 0)
    body = q[12:qend] + b'\0' + struct.pack('!HHIH', 41, 1232, 0, 8) + struct.pack('!HHI', 2, 4, lease)
    msg = q[0:2] + struct.pack('!H4H', flags, 1, 0, 0, 1) + body
    if tc or mode == 'unsigned':
        return msg
    kn, alg, now = wname('registrar.key'), wname('hmac-sha256'), int(time.time())
    t = struct.pack('!HIH', now >> 32, now & 0xffffffff, 300)
    h = hmac.new(secret, digestmod=hashlib.sha256)
    h.update(struct.pack('!H', len(reqmac)) + reqmac + msg + kn + struct.pack('!HI', 255, 0) + alg + t + struct.pack('!HH', 0, 0))
    mac = h.digest()
    if mode == 'badmac':
        mac = bytes([mac[0] ^ 1]) + mac[1:]
    rdata = alg + t + struct.pack('!H', len(mac)) + mac + q[0:2] + struct.pack('!HH', 0, 0)
    tsig = kn + struct.pack('!HHIH', 250, 255, 0, len(rdata)) + rdata
    return q[0:2] + struct.pack('!H4H', flags, 1, 0, 0, 2) + body + tsig

def serve_udp(s):
    while True:
        q, peer = s.recvfrom(65535)
        s.sendto(answer(q, 'udp'), peer)

def recv_all(c, n):
    b = b''
    while len(b) < n:
        k = c.recv(n - len(b))
        if not k:
            raise EOFError
        b += k
    return b

def serve_tcp(s):
    while True:
        c, _ = s.accept()
        try:
            n = struct.unpack('!H', recv_all(c, 2))[0]
            r = answer(recv_all(c, n), 'tcp')
            c.sendall(struct.pack('!H', len(r)) + r)
        except Exception:
            pass
        c.close()

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('127.0.0.1', port))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(('127.0.0.1', port))
t.listen(8)
threading.Thread(target=serve_tcp, args=(t,), daemon=True).start()
open(ready, 'w').close()
serve_udp(u)
EOF
	fport=$(pick_port) || exit 99
	echo lease >"$tmp/mode"
	python3 "$tmp/fake.py" "$fport" "$secret" "$tmp/wire.log" "$tmp/mode" "$tmp/ready" &
	fake_pid=$!
	i=0
	while [ ! -e "$tmp/ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	F="$tool -s 127.0.0.1@$fport -t 2 $K -z $Z"

	out=$($F register web web-1 10.0.0.5 8080 --lease 30)
	check "granted lease printed from the response ($out)" [ "$out" = "lease granted: 20s" ]
	check "4-byte Update Lease option (code 2, 30 s) on the wire" \
	    grep -qx 'lease udp opt=000200040000001e' "$tmp/wire.log"
	: >"$tmp/wire.log"
	$F register web web-1 10.0.0.5 8080 --lease 30 --key-lease 600 >/dev/null
	check "8-byte form with KEY-LEASE 600 on the wire" \
	    grep -qx 'lease udp opt=000200080000001e00000258' "$tmp/wire.log"
	: >"$tmp/wire.log"
	$F register web web-1 10.0.0.5 8080 >/dev/null
	check "no --lease: no OPT record sent" grep -qx 'lease udp opt=none' "$tmp/wire.log"

	echo tc >"$tmp/mode"
	: >"$tmp/wire.log"
	out=$($F register web web-1 10.0.0.5 8080 --lease 30)
	check "TC=1 over UDP: retried over TCP ($out)" \
	    sh -c "[ '$out' = 'lease granted: 25s' ] && grep -q '^tc tcp ' '$tmp/wire.log'"

	echo unsigned >"$tmp/mode"
	$F register web web-1 10.0.0.5 8080 2>"$tmp/err"
	check "unsigned NOERROR response refused (exit 1)" \
	    sh -c "[ $? -eq 1 ] && grep -q 'TSIG is missing' '$tmp/err'"
	echo badmac >"$tmp/mode"
	$F register web web-1 10.0.0.5 8080 2>"$tmp/err"
	check "forged response MAC refused (exit 1)" \
	    sh -c "[ $? -eq 1 ] && grep -q 'does not verify' '$tmp/err'"
else
	echo "# python3 missing: wire checks skipped"
fi

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed; knotd log:"
	tail -20 "$tmp/knot.log"
	exit 1
fi
echo "all checks passed"
exit 0
