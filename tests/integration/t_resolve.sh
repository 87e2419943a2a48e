#!/bin/sh
# t_resolve.sh -- dnsd-resolve against a real NSD on a loopback port:
# SRV order and weights, A fallback, DNS-SD browse, error messages.
#
# There is no dnsd server yet, so NSD serves the test zones. Exit 0 pass,
# 77 skip (NSD missing and not installable), 99 hard error (setup broke),
# 1 a check failed.

set -u

here=$(cd "$(dirname "$0")" && pwd)
BUILDDIR=${BUILDDIR:-$(cd "$here/../.." && pwd)}
RESOLVE=$BUILDDIR/tools/dnsd-resolve
ZONE=svc.test

fail=0
nchecks=0
pass() { nchecks=$((nchecks + 1)); echo "ok - $*"; }
bad() { nchecks=$((nchecks + 1)); echo "not ok - $*"; fail=1; }
hard() { echo "error: $*" >&2; exit 99; }

[ -x "$RESOLVE" ] || hard "$RESOLVE not built"

NSD=$(command -v nsd || true)
[ -n "$NSD" ] || NSD=$(ls /usr/sbin/nsd 2>/dev/null || true)
if [ -z "$NSD" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y nsd \
		    >/dev/null 2>&1 ||
		{ apt-get update >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y nsd \
		    >/dev/null 2>&1; } || true
	fi
	NSD=$(command -v nsd || ls /usr/sbin/nsd 2>/dev/null || true)
fi
if [ -z "$NSD" ]; then
	echo "skip: nsd is not installed and cannot be installed"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_resolve.XXXXXX") || hard "mktemp failed"
nsd_pid=
stopped=
# shellcheck disable=SC2317 # called through trap
cleanup() {
	if [ -n "$nsd_pid" ]; then
		for p in $stopped; do kill -CONT "$p" 2>/dev/null; done
		kill "$nsd_pid" 2>/dev/null
		i=0
		while kill -0 "$nsd_pid" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$nsd_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

# ---- zones ----
cat >"$tmp/$ZONE.zone" <<EOF
\$ORIGIN $ZONE.
\$TTL 300
@	SOA	ns admin 1 3600 600 86400 300
@	NS	ns
ns	A	127.0.0.1
; weighted SRV set: priority 10 with weights 60/30/10, backup at 20 weight 0
_web._tcp	SRV	10 60 8001 a
_web._tcp	SRV	10 30 8002 b
_web._tcp	SRV	10 10 8003 c
_web._tcp	SRV	20 0 8004 d
a	A	192.0.2.1
a	AAAA	2001:db8::1
b	A	192.0.2.2
b	AAAA	2001:db8::2
c	A	192.0.2.3
c	AAAA	2001:db8::3
d	A	192.0.2.4
; a name without SRV: A only
plain	A	192.0.2.10
; SRV target in another zone (no glue: addresses are queried)
_ext._tcp	SRV	0 0 9000 host.other.test.
; "service decidedly not available" (RFC 2782)
_none._tcp	SRV	0 0 0 .
; SRV whose target has no address
_lost._tcp	SRV	0 0 80 missing
; a UDP service
_sip._udp	SRV	0 0 5060 a
; SRV name with a TXT record only: no SRV there (NODATA)
_nodata._tcp	TXT	"nothing here"
; DNS-SD (RFC 6763)
_services._dns-sd._udp	PTR	_http._tcp
_http._tcp	PTR	Front\\032Page._http._tcp
_http._tcp	PTR	printer._http._tcp
Front\\032Page._http._tcp	SRV	0 0 80 a
Front\\032Page._http._tcp	TXT	"path=/index.html" "v=2"
printer._http._tcp	SRV	0 0 631 b
printer._http._tcp	TXT	"path=/cups" "note=2nd floor"
EOF
cat >"$tmp/other.test.zone" <<EOF
\$ORIGIN other.test.
\$TTL 300
@	SOA	ns.$ZONE. admin.$ZONE. 1 3600 600 86400 300
@	NS	ns.$ZONE.
host	A	198.51.100.7
host	AAAA	2001:db8:1::7
EOF

# ---- start NSD on a free loopback port (bounded retries) ----
start_nsd() {
	cat >"$tmp/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$port
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$tmp"
	database: ""
	zonelistfile: "$tmp/zone.list"
	xfrdfile: "$tmp/xfrd.state"
	xfrdir: "$tmp"
	pidfile: "$tmp/nsd.pid"
	logfile: "$tmp/nsd.log"
	verbosity: 1
	rrl-ratelimit: 0
	refuse-any: no
remote-control:
	control-enable: no
zone:
	name: $ZONE
	zonefile: "$tmp/$ZONE.zone"
zone:
	name: other.test
	zonefile: "$tmp/other.test.zone"
EOF
	"$NSD" -d -c "$tmp/nsd.conf" >"$tmp/nsd.out" 2>&1 &
	nsd_pid=$!
	i=0
	while [ $i -lt 50 ]; do
		kill -0 "$nsd_pid" 2>/dev/null || break
		# ready when it answers the SOA of the zone
		if "$RESOLVE" -s "127.0.0.1@$port" -t 0.2 -n "_web._tcp.$ZONE" \
		    >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	kill "$nsd_pid" 2>/dev/null
	wait "$nsd_pid" 2>/dev/null
	nsd_pid=
	return 1
}

started=
tries=0
while [ $tries -lt 10 ]; do
	rnd=$(od -An -N2 -tu2 /dev/urandom 2>/dev/null | tr -d ' ')
	port=$(( (${rnd:-$$} + tries * 7919) % 30000 + 20000 ))
	if start_nsd; then
		started=1
		break
	fi
	tries=$((tries + 1))
done
if [ -z "$started" ]; then
	cat "$tmp/nsd.out" "$tmp/nsd.log" 2>/dev/null >&2
	hard "NSD did not start"
fi
S="--server=127.0.0.1@$port"
echo "# NSD on 127.0.0.1:$port"

# run a command, keeping stdout, stderr and the status
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# ---- SRV order: all priority-10 endpoints before the priority-20 one ----
run "$RESOLVE" "$S" "_web._tcp.$ZONE"
if [ $rc -ne 0 ]; then
	bad "resolve _web._tcp.$ZONE: exit $rc: $(cat "$tmp/err")"
else
	n=$(wc -l <"$tmp/out")
	last=$(tail -n 1 "$tmp/out")
	p10=$(head -n 6 "$tmp/out" | grep -c -e '^192\.0\.2\.[123]:800[123]$' \
	    -e '^\[2001:db8::[123]\]:800[123]$')
	if [ "$n" -eq 7 ] && [ "$p10" -eq 6 ] && [ "$last" = "192.0.2.4:8004" ]; then
		pass "SRV endpoints: priority 10 first, priority 20 last"
	else
		bad "SRV endpoints in wrong order:"; cat "$tmp/out"
	fi
	# each target's AAAA comes right before its A, ports kept
	if grep -q '^\[2001:db8::1\]:8001$' "$tmp/out" &&
	    grep -q '^192\.0\.2\.1:8001$' "$tmp/out"; then
		pass "IPv6 as [addr]:port, addresses from the additional section"
	else
		bad "address formatting"; cat "$tmp/out"
	fi
fi

# --names prints target:port
run "$RESOLVE" "$S" --names "_web._tcp.$ZONE"
if [ $rc -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 4 ] &&
    [ "$(tail -n 1 "$tmp/out")" = "d.$ZONE:8004" ]; then
	pass "--names"
else
	bad "--names: exit $rc"; cat "$tmp/out" "$tmp/err"
fi

# bare service name completed with a search domain
run "$RESOLVE" "$S" -d "$ZONE" -n -1 web
case "$(cat "$tmp/out")" in
[abc].$ZONE:800[123]) pass "bare name 'web' with -d $ZONE" ;;
*) bad "bare name: exit $rc: $(cat "$tmp/out" "$tmp/err")" ;;
esac
run "$RESOLVE" "$S" -d "$ZONE" --udp sip
if [ $rc -eq 0 ] && grep -qx '192.0.2.1:5060' "$tmp/out"; then
	pass "--udp uses _sip._udp"
else
	bad "--udp: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi

# ---- weights: 300 single picks, shares near 60/30/10 % ----
na=0; nb=0; nc=0; nd=0; nerr=0
i=0
while [ $i -lt 300 ]; do
	pick=$("$RESOLVE" "$S" --one -4 "_web._tcp.$ZONE" 2>/dev/null)
	case "$pick" in
	192.0.2.1:8001) na=$((na + 1)) ;;
	192.0.2.2:8002) nb=$((nb + 1)) ;;
	192.0.2.3:8003) nc=$((nc + 1)) ;;
	192.0.2.4:8004) nd=$((nd + 1)) ;;
	*) nerr=$((nerr + 1)) ;;
	esac
	i=$((i + 1))
done
echo "# 300 picks: a=$na b=$nb c=$nc d=$nd errors=$nerr"
# +-10 percentage points of 300 = +-30 picks (the RFC's [0, sum] draw
# gives the first record a 1% bonus; well inside the tolerance)
within() { [ "$1" -ge $(($2 - 30)) ] && [ "$1" -le $(($2 + 30)) ]; }
if [ $nerr -eq 0 ] && [ $nd -eq 0 ] && within $na 180 && within $nb 90 &&
    within $nc 30; then
	pass "--one shares match weights 60/30/10"
else
	bad "--one shares off: a=$na b=$nb c=$nc d=$nd errors=$nerr"
fi

# ---- fallback to A when there is no SRV ----
run "$RESOLVE" "$S" "plain.$ZONE"
if [ $rc -eq 0 ] && [ "$(cat "$tmp/out")" = "192.0.2.10" ]; then
	pass "A fallback (no port)"
else
	bad "A fallback: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi
run "$RESOLVE" "$S" -p 8080 "plain.$ZONE"
if [ $rc -eq 0 ] && [ "$(cat "$tmp/out")" = "192.0.2.10:8080" ]; then
	pass "A fallback with -p"
else
	bad "A fallback -p: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi
run "$RESOLVE" "$S" -F "plain.$ZONE"
if [ $rc -ne 0 ] && grep -qx "dnsd-resolve: plain.$ZONE: no answer" "$tmp/err"; then
	pass "--no-fallback: no answer"
else
	bad "--no-fallback: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi

# ---- SRV target in another zone: addresses queried ----
run "$RESOLVE" "$S" "_ext._tcp.$ZONE"
if [ $rc -eq 0 ] && [ "$(tr '\n' ' ' <"$tmp/out")" = \
    "[2001:db8:1::7]:9000 198.51.100.7:9000 " ]; then
	pass "target addresses queried when not in the additional section"
else
	bad "out-of-zone target: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi

# ---- JSON ----
run "$RESOLVE" "$S" --json --one -4 "_web._tcp.$ZONE"
if [ $rc -eq 0 ] && grep -q "^{\"name\":\"_web._tcp.$ZONE\",\"srv\":true,\"endpoints\":\[{\"target\":\"[abc].$ZONE\",\"port\":800[123],\"priority\":10,\"weight\":[0-9]*,\"family\":4,\"address\":\"192.0.2.[123]\"}\]}$" "$tmp/out"; then
	pass "--json"
else
	bad "--json: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi
if ! command -v python3 >/dev/null 2>&1; then
	bad "--json --browse: python3 (needed by the test suite) is missing"
else
	run "$RESOLVE" "$S" --json --browse "_http._tcp.$ZONE"
	if [ $rc -eq 0 ] && python3 -c 'import json,sys; d=json.load(sys.stdin); assert [i["instance"].lower() for i in d["instances"]]==["front page","printer"]; assert d["instances"][1]["txt"]==["path=/cups","note=2nd floor"]' <"$tmp/out"; then
		pass "--json --browse parses"
	else
		bad "--json --browse: exit $rc: $(cat "$tmp/out" "$tmp/err")"
	fi
fi

# ---- DNS-SD browse (NSD lowercases names in RDATA: compare ignoring case) ----
run "$RESOLVE" "$S" --browse "_http._tcp.$ZONE"
tab=$(printf '\t')
if [ $rc -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ] &&
    grep -qix "Front Page${tab}a.$ZONE:80${tab}path=/index.html${tab}v=2" "$tmp/out" &&
    grep -qx "printer${tab}b.$ZONE:631${tab}path=/cups${tab}note=2nd floor" "$tmp/out"; then
	pass "--browse lists instances with SRV and TXT"
else
	bad "--browse: exit $rc:"; cat "$tmp/out" "$tmp/err"
fi
run "$RESOLVE" "$S" -d "$ZONE" --browse http
if [ $rc -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ]; then
	pass "--browse http with a search domain"
else
	bad "--browse http: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi

# ---- errors: one line on stderr, non-zero exit ----
expect_err() {   # $1 = expected stderr line, rest = arguments
	want=$1; shift
	run "$RESOLVE" "$@"
	if [ $rc -ne 0 ] && [ ! -s "$tmp/out" ] &&
	    [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ "$(cat "$tmp/err")" = "$want" ]; then
		pass "error: $want"
	else
		bad "expected '$want', got exit $rc: $(cat "$tmp/out" "$tmp/err")"
	fi
}
expect_err "dnsd-resolve: _nope._tcp.$ZONE: no such name (NXDOMAIN)" \
    "$S" "_nope._tcp.$ZONE"
expect_err "dnsd-resolve: nope.$ZONE: no such name (NXDOMAIN)" "$S" "nope.$ZONE"
expect_err "dnsd-resolve: web: no such name (NXDOMAIN)" "$S" -d nowhere.$ZONE web
expect_err "dnsd-resolve: _nodata._tcp.$ZONE: no answer" "$S" "_nodata._tcp.$ZONE"
expect_err "dnsd-resolve: _none._tcp.$ZONE: service not available (SRV target \".\")" \
    "$S" "_none._tcp.$ZONE"
expect_err "dnsd-resolve: _lost._tcp.$ZONE: no address for any SRV target" \
    "$S" "_lost._tcp.$ZONE"
expect_err "dnsd-resolve: _web._tcp.elsewhere.example: server refused" \
    "$S" "_web._tcp.elsewhere.example"
expect_err "dnsd-resolve: _ipp._tcp.$ZONE: no such name (NXDOMAIN)" \
    "$S" --browse "_ipp._tcp.$ZONE"

# a closed port: ICMP port unreachable ends it at once
t0=$(date +%s)
run "$RESOLVE" -s 127.0.0.1@1 -t 1 "_web._tcp.$ZONE"
t1=$(date +%s)
if [ $rc -ne 0 ] && [ $((t1 - t0)) -le 3 ] &&
    grep -qE ': (timed out|no server reachable \(connection refused\))$' "$tmp/err"; then
	pass "closed server port: $(cat "$tmp/err")"
else
	bad "closed port: exit $rc after $((t1 - t0))s: $(cat "$tmp/err")"
fi

# a server that never answers: NSD stopped with SIGSTOP keeps its socket
# (NSD forks a server and xfrd below its main process: stop them all)
descendants() {
	for c in $(pgrep -P "$1" 2>/dev/null); do
		echo "$c"
		[ "$2" -lt 4 ] && descendants "$c" $(($2 + 1))
	done
}
stopped="$nsd_pid $(descendants "$nsd_pid" 0 | tr '\n' ' ')"
for p in $stopped; do kill -STOP "$p"; done
t0=$(date +%s)
run "$RESOLVE" "$S" -t 1 "_web._tcp.$ZONE"
t1=$(date +%s)
for p in $stopped; do kill -CONT "$p"; done
stopped=
if [ $rc -ne 0 ] && [ $((t1 - t0)) -le 3 ] &&
    [ "$(cat "$tmp/err")" = "dnsd-resolve: _web._tcp.$ZONE: timed out" ]; then
	pass "silent server: timed out in $((t1 - t0))s with -t 1"
else
	bad "silent server: exit $rc after $((t1 - t0))s: $(cat "$tmp/err")"
fi

# usage errors exit 2
run "$RESOLVE" -s not-an-address web
if [ $rc -eq 2 ] && grep -q 'not an IP address' "$tmp/err"; then
	pass "bad -s is a usage error"
else
	bad "bad -s: exit $rc: $(cat "$tmp/err")"
fi

# A run that checked nothing proved nothing (the same rule as lib.sh's done_ok).
if [ "$nchecks" -eq 0 ]; then
	echo "FAIL: t_resolve: no checks were made" >&2
	exit 1
fi
echo "# $nchecks checks"
exit $fail
