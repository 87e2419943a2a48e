# lib.sh -- shared helpers for the shell integration tests (sourced by t_*.sh)
#
# A test does:
#     . "$(dirname "$0")/lib.sh"
#     need_tool dig
#     start_dnsd --zone-dir "$ZONES" || hard_error "dnsd did not start"
#     expect_rcode NOERROR svc.example.test SOA
#
# Exit codes (automake): 0 pass, 77 skip, 99 hard error, anything else fail.
# Only loopback addresses are used; every loop is bounded in count and time.
# KEEP=1 keeps the temporary folder (store, logs) for a post-mortem.

if [ -z "${BASH_VERSION:-}" ]; then
	echo "lib.sh needs bash" >&2
	exit 99
fi
set -u

# ---- where things are -------------------------------------------------------

LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SRCDIR:=$(cd "$LIBDIR/../.." && pwd)}"
: "${BUILDDIR:=$SRCDIR}"
SRCDIR=$(cd "$SRCDIR" && pwd)
BUILDDIR=$(cd "$BUILDDIR" && pwd)
export SRCDIR BUILDDIR
DNSD=${DNSD:-$BUILDDIR/dnsd/dnsd}
ZONES=$SRCDIR/zones
TESTDIR=$SRCDIR/tests/integration
export TESTDIR
PYTHON=${PYTHON:-python3}
T_NAME=$(basename "$0" .sh)

# ---- results ------------------------------------------------------------------

NCHECKS=0
NFAILED=0

# fail MSG: the behaviour under test is wrong.
fail() {
	echo "FAIL: $*" >&2
	dump_log
	exit 1
}

# skip MSG: the test cannot run here.
skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# hard_error MSG: the harness itself broke (dnsd did not start, ...).
hard_error() {
	echo "ERROR: $*" >&2
	dump_log
	exit 99
}

# relay_checks [WHAT]: read a helper's output on stdin (redirect it, do not
# pipe, so the counters stay in this shell): its "ok - MSG" lines count as
# checks, its "not ok - MSG" lines as failed checks, everything else is
# shown indented. A helper that reported no check at all is a failed check
# too (WHAT names it): it stopped early or checked nothing. The caller still
# checks the helper's exit status.
relay_checks() {
	local line n=0
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }"; n=$((n + 1)) ;;
		"not ok - "*) not_ok "${line#not ok - }"; n=$((n + 1)) ;;
		*) [ -n "$line" ] && echo "    $line" >&2 ;;
		esac
	done
	[ "$n" -gt 0 ] || not_ok "${1:-a helper}: reported no check"
}

# ok MSG: one assertion passed.
ok() {
	NCHECKS=$((NCHECKS + 1))
	echo "ok $NCHECKS - $*"
}

# not_ok MSG: one assertion failed, but the test goes on so that later
# checks still run and report; done_ok then exits 1.
not_ok() {
	NCHECKS=$((NCHECKS + 1))
	NFAILED=$((NFAILED + 1))
	echo "not ok $NCHECKS - $*"
}

# note MSG: what is about to be checked.
note() {
	echo "# $*"
}

# done_ok: the end of a test: pass unless a not_ok was recorded. A test
# that recorded no check at all (no ok, not_ok or assert_*) fails too: it
# proved nothing, and most likely a helper skipped its checks silently.
done_ok() {
	if [ "$NCHECKS" -eq 0 ]; then
		echo "FAIL: $T_NAME: no checks were made (a test must assert something through ok/not_ok)" >&2
		dump_log
		exit 1
	fi
	if [ "$NFAILED" -gt 0 ]; then
		echo "FAIL: $T_NAME: $NFAILED of $NCHECKS checks failed (see 'not ok' above)" >&2
		dump_log
		exit 1
	fi
	echo "PASS: $T_NAME: $NCHECKS checks"
	exit 0
}

# ---- temp folder and cleanup --------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dnsd-$T_NAME.XXXXXX") || { echo "mktemp failed" >&2; exit 99; }
CLEAN_PIDS=()   # background processes to kill at exit (dnsd and helpers)
DNSD_PID=
DNSD_LOG=
PORT=

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${CLEAN_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${CLEAN_PIDS[@]}"; do
		local i
		for i in $(seq 1 40); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 99' INT TERM

# track_pid PID: kill PID at exit.
track_pid() {
	CLEAN_PIDS+=("$1")
}

# Last lines of the dnsd log, for a failure report.
dump_log() {
	if [ -n "${DNSD_LOG:-}" ] && [ -s "$DNSD_LOG" ]; then
		echo "---- last lines of $DNSD_LOG ----" >&2
		tail -n 30 "$DNSD_LOG" >&2
		echo "----" >&2
	fi
}

# ---- tools --------------------------------------------------------------------

# need_tool NAME: make sure a client is installed; apt-get install it when
# missing (as root), skip (77) only if that is impossible.
need_tool() {
	local tool=$1 pkg
	command -v "$tool" >/dev/null 2>&1 && return 0
	case $tool in
	dig | nsupdate) pkg=bind9-dnsutils ;;
	kdig | knsupdate) pkg=knot-dnsutils ;;
	drill) pkg=ldnsutils ;;
	python3) pkg=python3 ;;
	ss) pkg=iproute2 ;;
	systemd-analyze | systemd-sysusers) pkg=systemd ;;
	*) pkg=$tool ;;
	esac
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "# $tool missing: installing $pkg" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >"$WORK/apt.log" 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt.log" 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >>"$WORK/apt.log" 2>&1; }
	fi
	command -v "$tool" >/dev/null 2>&1 || skip "$tool not available (package $pkg)"
}

need_dnsd() {
	[ -x "$DNSD" ] || hard_error "no dnsd binary at $DNSD (build first)"
}

# ---- ports --------------------------------------------------------------------

# port_free PORT: nothing bound on UDP or TCP, 127.0.0.1 or ::1.
port_free() {
	"$PYTHON" - "$1" <<'EOF' 2>/dev/null
import socket, sys
port = int(sys.argv[1])
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        try:
            s = socket.socket(fam, typ)
        except OSError:
            continue  # no IPv6 here: nothing to collide with
        try:
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, port))
        except OSError as e:
            if fam == socket.AF_INET6 and e.errno == 99:
                continue  # EADDRNOTAVAIL: ::1 not configured
            sys.exit(1)
        finally:
            s.close()
sys.exit(0)
EOF
}

# pick_port: print a free random high port (bounded retries).
pick_port() {
	local i p
	# Below 32768, where Linux picks the local ports of outgoing
	# connections (ip_local_port_range): a port a test restarts a server
	# on must not be taken meanwhile by some client's connection.
	for i in $(seq 1 50); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
		if port_free "$p"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

have_ipv6() {
	"$PYTHON" -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null
}

# ---- the server ---------------------------------------------------------------

# Options for start_dnsd (set before calling):
#   STORE       store folder (default $WORK/store)
#   WAIT_ZONE   zone whose SOA must answer before the server counts as up
#               (default svc.example.test; "." waits for any reply)
#   LISTEN6=1   also listen on ::1 at the same port
#   LISTEN_ANY=1 listen on 0.0.0.0 (and :: with LISTEN6=1) instead
#   WORKERS     -w (default 2)
STORE=${STORE:-$WORK/store}
WAIT_ZONE=${WAIT_ZONE:-svc.example.test}
LISTEN6=${LISTEN6:-0}
LISTEN_ANY=${LISTEN_ANY:-0}
WORKERS=${WORKERS:-2}
DNSD_STARTS=0

# start_dnsd ARGS...: start dnsd -f on 127.0.0.1@$PORT (a fresh free port)
# with the store $STORE, log to $DNSD_LOG; wait until it answers. Returns 1
# if it exited or never answered (the caller decides: usually hard_error).
start_dnsd() {
	need_dnsd
	local attempt i listen
	for attempt in 1 2 3; do
		PORT=$(pick_port) || return 1
		DNSD_STARTS=$((DNSD_STARTS + 1))
		DNSD_LOG=$WORK/dnsd.$DNSD_STARTS.log
		if [ "$LISTEN_ANY" = 1 ]; then
			listen=(-l "0.0.0.0@$PORT")
			[ "$LISTEN6" = 1 ] && listen+=(-l "::@$PORT")
		else
			listen=(-l "127.0.0.1@$PORT")
			[ "$LISTEN6" = 1 ] && listen+=(-l "::1@$PORT")
		fi
		"$DNSD" -f "${listen[@]}" -s "$STORE" -w "$WORKERS" "$@" >"$DNSD_LOG" 2>&1 &
		DNSD_PID=$!
		track_pid "$DNSD_PID"
		SECONDS=0
		# Up to 30 s: a sanitizer build importing a big zone on a loaded
		# 2-core machine has taken more than 5.
		for i in $(seq 1 600); do
			if ! kill -0 "$DNSD_PID" 2>/dev/null; then
				wait "$DNSD_PID" 2>/dev/null
				break
			fi
			if server_answers; then
				echo "# dnsd pid $DNSD_PID on port $PORT (log $DNSD_LOG)"
				return 0
			fi
			[ "$SECONDS" -ge 30 ] && break
			sleep 0.05
		done
		if kill -0 "$DNSD_PID" 2>/dev/null; then
			echo "# dnsd pid $DNSD_PID did not answer in time" >&2
			kill -KILL "$DNSD_PID" 2>/dev/null
			wait "$DNSD_PID" 2>/dev/null
			return 1
		fi
		# Lost a race for the port: try another one.
		grep -q 'cannot bind' "$DNSD_LOG" || return 1
		echo "# port $PORT taken meanwhile; retrying" >&2
	done
	return 1
}

# server_answers: one quick SOA query to $WAIT_ZONE gets a reply. A reply
# is a message with QR set: a packet that only mirrors the query (another
# test's socket on the port before dnsd binds it, seen once in a parallel
# `make check`) does not count.
server_answers() {
	local out
	out=$(dig @127.0.0.1 -p "$PORT" +norec +time=1 +tries=1 +notcp SOA "$WAIT_ZONE" 2>/dev/null) || return 1
	grep -q '^;; flags: qr' <<<"$out" || return 1
	if [ "$WAIT_ZONE" = . ]; then
		grep -q 'status:' <<<"$out"
	else
		grep -q 'status: NOERROR' <<<"$out"
	fi
}

# stop_dnsd: SIGTERM, wait (bounded), SIGKILL if needed. DNSD_STATUS gets the
# exit status (137 if it had to be killed).
stop_dnsd() {
	local i
	DNSD_STATUS=
	[ -n "$DNSD_PID" ] || return 0
	kill -TERM "$DNSD_PID" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$DNSD_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$DNSD_PID" 2>/dev/null
	wait "$DNSD_PID" 2>/dev/null
	DNSD_STATUS=$?
	DNSD_PID=
}

# dnsd_alive: the server process still runs.
dnsd_alive() {
	[ -n "$DNSD_PID" ] && kill -0 "$DNSD_PID" 2>/dev/null
}

# ---- queries ------------------------------------------------------------------
#
# q / kq / dq run dig / kdig / drill against the server and leave the
# output in $OUT (and $CLIENT names the client, for the parsers below).

SERVER=${SERVER:-127.0.0.1}

q() {
	CLIENT=dig
	OUT=$(dig @"$SERVER" -p "$PORT" +norec +time=2 +tries=1 "$@" 2>&1)
}

kq() {
	CLIENT=kdig
	OUT=$(kdig @"$SERVER" -p "$PORT" +norec +time=2 +retry=0 "$@" 2>&1)
}

dq() {
	CLIENT=drill
	OUT=$(drill -p "$PORT" "$@" @"$SERVER" 2>&1)
}

# The RCODE of $OUT: "status: X" (dig, kdig) or "rcode: X" (drill).
out_rcode() {
	sed -n 's/.*->>HEADER<<-.*\(status\|rcode\): \([A-Z0-9]*\)[,;].*/\2/p' <<<"$OUT" | tail -n 1
}

# The header flags of $OUT, space separated.
out_flags() {
	sed -n 's/^;; [Ff]lags: \([^;]*\);.*/\1/p' <<<"$OUT" | tail -n 1 | tr -s ' ' | sed 's/ *$//'
}

# out_has_flag FLAG
out_has_flag() {
	[[ " $(out_flags) " == *" $1 "* ]]
}

# out_count SECTION: the header count (QUERY, ANSWER, AUTHORITY, ADDITIONAL).
out_count() {
	grep -o "$1: [0-9]*" <<<"$OUT" | tail -n 1 | awk '{print $2}'
}

# out_section SECTION: the records of a section, one per line, whitespace
# squeezed to single spaces ("owner ttl class type rdata").
out_section() {
	awk -v s=";; $1 SECTION:" '
		$0 == s { on = 1; next }
		on && (/^$/ || /^;;/) { on = 0 }
		on { $1 = $1; print }' <<<"$OUT"
}

# show: the output, indented, for a failure message.
show() {
	local n
	n=$(wc -l <<<"$OUT")
	head -n 60 <<<"$OUT" | sed 's/^/    | /' >&2
	[ "$n" -le 60 ] || echo "    | ... ($((n - 60)) more lines)" >&2
}

# ---- assertions -----------------------------------------------------------------
# Each runs the last query's checks and prints what it checked.

# assert_rcode RCODE WHAT
assert_rcode() {
	local got
	got=$(out_rcode)
	if [ "$got" != "$1" ]; then
		show
		fail "$2: expected rcode $1, got '${got:-no answer}' ($CLIENT)"
	fi
	ok "$2: rcode $1 ($CLIENT)"
}

# assert_flag FLAG WHAT / assert_noflag FLAG WHAT
assert_flag() {
	out_has_flag "$1" || { show; fail "$2: expected flag $1 in '$(out_flags)' ($CLIENT)"; }
	ok "$2: flag $1 set ($CLIENT)"
}
assert_noflag() {
	out_has_flag "$1" && { show; fail "$2: expected no flag $1 in '$(out_flags)' ($CLIENT)"; }
	ok "$2: flag $1 clear ($CLIENT)"
}

# assert_count SECTION N WHAT
assert_count() {
	local got
	got=$(out_count "$1")
	if [ "$got" != "$2" ]; then
		show
		fail "$3: expected $1 count $2, got '${got:-none}' ($CLIENT)"
	fi
	ok "$3: $1 count $2 ($CLIENT)"
}

# assert_rr SECTION REGEX WHAT: some record of SECTION matches REGEX (ERE,
# against "owner ttl class type rdata", case-insensitive).
assert_rr() {
	if ! out_section "$1" | grep -qiE -- "$2"; then
		show
		fail "$3: no $1 record matching /$2/ ($CLIENT)"
	fi
	ok "$3: $1 has /$2/ ($CLIENT)"
}

# assert_no_rr SECTION REGEX WHAT
assert_no_rr() {
	if out_section "$1" | grep -qiE -- "$2"; then
		show
		fail "$3: unexpected $1 record matching /$2/ ($CLIENT)"
	fi
	ok "$3: $1 has no /$2/ ($CLIENT)"
}

# expect_rcode RCODE NAME TYPE [dig options]: dig, check the RCODE.
expect_rcode() {
	local rc=$1 name=$2 type=$3
	shift 3
	q "$@" "$name" "$type"
	assert_rcode "$rc" "$name $type"
}

# expect_answer NAME TYPE REGEX [dig options]: NOERROR, AA, and an answer
# record of TYPE at NAME whose data matches REGEX.
expect_answer() {
	local name=$1 type=$2 re=$3
	shift 3
	q "$@" "$name" "$type"
	assert_rcode NOERROR "$name $type"
	assert_flag aa "$name $type"
	assert_rr ANSWER "^${name//./\\.}\.? [0-9]+ IN $type .*$re" "$name $type"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local limit=$1 i
	shift
	for i in $(seq 1 $((limit * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# log_has REGEX: the current dnsd log matches.
log_has() {
	grep -qE -- "$1" "$DNSD_LOG"
}

# py SCRIPT ARGS...: run one of the Python helpers next to this file.
py() {
	local s=$1
	shift
	"$PYTHON" "$TESTDIR/$s" "$@"
}

# need_dnspython: a Python with dnspython in $PYDNS (Debian's package is
# for /usr/bin/python3, which may not be the python3 on PATH), installing
# python3-dnspython if it is missing; else skip.
need_dnspython() {
	local p
	for p in "${PYTHON:-python3}" /usr/bin/python3 python3; do
		if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import dns.tsig, dns.update' 2>/dev/null; then
			PYDNS=$(command -v "$p")
			return 0
		fi
	done
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "# dnspython missing: installing python3-dnspython" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-dnspython >"$WORK/apt-dnspython.log" 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt-dnspython.log" 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-dnspython >>"$WORK/apt-dnspython.log" 2>&1; }
	fi
	if /usr/bin/python3 -c 'import dns.tsig, dns.update' 2>/dev/null; then
		PYDNS=/usr/bin/python3
		return 0
	fi
	skip "dnspython not available (Debian package python3-dnspython could not be installed)"
}

need_tool python3
