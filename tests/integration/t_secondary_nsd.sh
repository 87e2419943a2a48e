#!/bin/bash
# t_secondary_nsd.sh -- a real NSD as dnsd's secondary: the initial AXFR,
# NOTIFY (RFC 1996) then IXFR (RFC 1995) for a registration, a
# deregistration and a lease expiry, each served by NSD within a bound; and
# after the journal was trimmed while NSD was stopped, the AXFR-style IXFR
# fallback, after which NSD serves exactly what dnsd serves.
#
# NSD runs in the foreground (nsd -d) in its own session, so the test can
# stop and continue its processes as one group; every process is stopped by
# its PID or that group at exit.
. "$(dirname "$0")/lib.sh"

PATH=$PATH:/usr/sbin:/sbin
need_tool dig
need_tool drill   # ldnsutils, which also brings ldns-read-zone
command -v ldns-read-zone >/dev/null 2>&1 || skip "ldns-read-zone not available (ldnsutils)"
need_tool setsid
need_tool nsd     # apt-get install nsd; skip only if that is impossible

UPDATE=$BUILDDIR/tools/dnsd-update
[ -x "$UPDATE" ] || hard_error "no dnsd-update at $UPDATE (build first)"

Z=svc.example.test
REG_SECRET=$(head -c 32 /dev/urandom | base64 -w0)
# Bounds asserted below (seconds).
FOLLOW=2        # a change on dnsd is served by NSD within this
LEASE=3         # the lease of the expiry check
EXPIRY_SLACK=2  # gone from NSD by (registration time + LEASE + this)

# ---- NSD: a session of its own, stopped by PID/group at exit ----------------
NSD_PID=
NSD_PGID=
NSD_DIR=$WORK/nsd
NSD_LOG=$NSD_DIR/nsd.log

exit_trap() {
	local rc=$?
	if [ -n "$NSD_PGID" ]; then
		kill -CONT -- "-$NSD_PGID" 2>/dev/null  # a stopped NSD cannot handle SIGTERM
		kill -TERM "$NSD_PID" 2>/dev/null
		for _ in $(seq 1 40); do
			kill -0 "$NSD_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL -- "-$NSD_PGID" 2>/dev/null  # children left behind, if any
	fi
	(exit "$rc")
	cleanup
}
trap exit_trap EXIT

dump_nsd() {
	if [ -s "$NSD_LOG" ]; then
		echo "---- last lines of $NSD_LOG ----" >&2
		tail -n 20 "$NSD_LOG" >&2
		echo "----" >&2
	fi
}
nsd_fail() {
	dump_nsd
	fail "$@"
}

# ---- zone and dnsd ----------------------------------------------------------
# The example zone plus filler, so that a full transfer is many times the
# size of one registration's IXFR.
{
	cat "$ZONES/$Z.zone"
	echo "; filler for t_secondary_nsd"
	for i in $(seq 1 200); do
		echo "filler-$i IN TXT \"padding record $i for the transfer size comparison\""
	done
} >"$WORK/$Z.zone"

NSD_PORT=$(pick_port) || hard_error "no free port for NSD"
CONF=$WORK/dnsd.conf
cat >"$CONF" <<CONF
# t_secondary_nsd: NSD on 127.0.0.1@$NSD_PORT is the secondary
zone "$Z" {
    file "$WORK/$Z.zone"
    allow-transfer 127.0.0.1
    notify 127.0.0.1@$NSD_PORT
    journal-size 2
    default-lease 0
}
key registrar { algorithm hmac-sha256; secret "$REG_SECRET"; }
CONF
"$DNSD" -n -c "$CONF" >"$WORK/check.log" 2>&1 || { cat "$WORK/check.log" >&2; hard_error "test configuration rejected"; }
start_dnsd -c "$CONF" || hard_error "dnsd did not start"

mkdir -p "$NSD_DIR"
cat >"$NSD_DIR/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$NSD_PORT
    port: $NSD_PORT
    do-ip6: no
    zonesdir: "$NSD_DIR"
    xfrdfile: "$NSD_DIR/xfrd.state"
    zonelistfile: "$NSD_DIR/zone.list"
    pidfile: "$NSD_DIR/nsd.pid"
    logfile: "$NSD_LOG"
    database: ""
    username: ""
    chroot: ""
    verbosity: 2
    rrl-ratelimit: 0
    server-count: 1
    # reload at once: NSD by default waits 1 s after a reload before the next
    xfrd-reload-timeout: 0
remote-control:
    control-enable: no
zone:
    name: "$Z"
    zonefile: "$Z.zone"
    request-xfr: 127.0.0.1@$PORT NOKEY
    allow-notify: 127.0.0.1 NOKEY
    provide-xfr: 127.0.0.1 NOKEY
CONF
nsd-checkconf "$NSD_DIR/nsd.conf" >"$WORK/nsd-check.log" 2>&1 ||
	{ cat "$WORK/nsd-check.log" >&2; hard_error "nsd-checkconf rejected the test configuration"; }

setsid nsd -d -c "$NSD_DIR/nsd.conf" >"$NSD_DIR/stdout" 2>&1 &
NSD_PID=$!
track_pid "$NSD_PID"
# pgid_of PID: the process group (from /proc; NSD renames its processes,
# "nsd: xfrd", so read the fields after the name's closing parenthesis).
pgid_of() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $3}'
}
# setsid(1) makes NSD the leader of a new process group (its PID) before
# it execs; wait (bounded) until that has happened.
for _ in $(seq 1 100); do
	[ "$(pgid_of "$NSD_PID")" = "$NSD_PID" ] && break
	sleep 0.02
done
[ "$(pgid_of "$NSD_PID")" = "$NSD_PID" ] ||
	hard_error "NSD (pid $NSD_PID) did not get a process group of its own"
NSD_PGID=$NSD_PID
echo "# nsd pid $NSD_PID on port $NSD_PORT (log $NSD_LOG)"

# ---- helpers ------------------------------------------------------------------
reg() {
	"$UPDATE" -s "127.0.0.1@$PORT" -t 5 -y "registrar:$REG_SECRET" -z "$Z" "$@" >/dev/null
}
# serial_at PORT: the zone's SOA serial there ("" if no answer).
serial_at() {
	dig @127.0.0.1 -p "$1" +norec +short +time=1 +tries=1 SOA "$Z" 2>/dev/null | awk 'NF == 7 {print $3}'
}
# nsd_a NAME: NSD's A records for NAME, one line.
nsd_a() {
	dig @127.0.0.1 -p "$NSD_PORT" +norec +short +time=1 +tries=1 "$1.$Z" A 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'
}
now_ms() {
	date +%s%3N
}
# poll_until LIMIT_MS CMD...: run CMD every 50 ms until it succeeds or
# LIMIT_MS passed; ELAPSED_MS is the time it took.
poll_until() {
	local limit=$1 start
	shift
	start=$(now_ms)
	while :; do
		ELAPSED_MS=$(($(now_ms) - start))
		"$@" && return 0
		[ "$ELAPSED_MS" -ge "$limit" ] && return 1
		sleep 0.05
	done
}
in_sync() {
	local p n
	p=$(serial_at "$PORT")
	n=$(serial_at "$NSD_PORT")
	[ -n "$p" ] && [ "$p" = "$n" ]
}
# xfr_bytes SERIAL: the size NSD logged for the transfer that brought SERIAL.
xfr_bytes() {
	sed -n "s/.* received update to serial $1 at .* of \([0-9]*\) bytes.*/\1/p" "$NSD_LOG" | tail -n 1
}
# axfr_norm PORT OUT: the zone as served there, normalised and sorted.
axfr_norm() {
	dig @127.0.0.1 -p "$1" +time=5 +tries=1 AXFR "$Z" >"$2.raw" 2>&1
	awk '!/^;/ && NF >= 4' "$2.raw" | ldns-read-zone -z /dev/stdin 2>/dev/null >"$2"
}
dnsd_ixfr_count() {
	grep -c 'IXFR to client started' "$DNSD_LOG"
}

# ==== the initial transfer ===================================================
note "NSD loads the zone from dnsd"
poll_until 10000 in_sync || nsd_fail "NSD did not load $Z from dnsd in 10 s (dnsd $(serial_at "$PORT"), NSD '$(serial_at "$NSD_PORT")')"
S0=$(serial_at "$PORT")
ok "initial transfer: NSD serves serial $S0 ($ELAPSED_MS ms after start)"
axfr_norm "$PORT" "$WORK/p0"
axfr_norm "$NSD_PORT" "$WORK/s0"
[ -s "$WORK/p0" ] || hard_error "no AXFR from dnsd"
diff -u "$WORK/p0" "$WORK/s0" >"$WORK/d0" || { head -n 30 "$WORK/d0" >&2; nsd_fail "after the initial transfer NSD serves other records than dnsd"; }
ok "initial transfer: NSD's AXFR equals dnsd's ($(wc -l <"$WORK/p0") records)"
AXFR_BYTES=$(sed -n 's/^;; XFR size: .* bytes \([0-9]*\)).*/\1/p' "$WORK/p0.raw")
[ -n "$AXFR_BYTES" ] || hard_error "no XFR size in dig's output"
B0=$(xfr_bytes "$S0")
[ -n "$B0" ] && [ "$B0" -ge $((AXFR_BYTES * 9 / 10)) ] ||
	nsd_fail "NSD's log should show a full transfer of ~$AXFR_BYTES bytes for serial $S0, got '${B0:-no line}'"
ok "initial transfer: NSD logged $B0 bytes (the AXFR is $AXFR_BYTES)"

# ==== a registration =========================================================
note "a registration reaches NSD by NOTIFY and IXFR"
ix_before=$(dnsd_ixfr_count)
reg register web web-9 10.0.0.9 8080 || fail "register web-9 failed"
S1=$(serial_at "$PORT")
poll_until $((FOLLOW * 1000)) eval '[ "$(nsd_a web-9)" = 10.0.0.9 ]' ||
	nsd_fail "web-9 A not served by NSD ${FOLLOW} s after the registration (NSD serial $(serial_at "$NSD_PORT"), dnsd $S1)"
ok "registration served by NSD after $ELAPSED_MS ms (bound ${FOLLOW} s)"
poll_until 2000 in_sync || nsd_fail "NSD serial $(serial_at "$NSD_PORT") != dnsd $S1"
ok "NSD at serial $S1"
poll_until 2000 eval '[ -n "$(xfr_bytes "$S1")" ]' || nsd_fail "NSD logged no transfer for serial $S1"
B1=$(xfr_bytes "$S1")
[ "$(dnsd_ixfr_count)" -gt "$ix_before" ] || fail "dnsd logged no IXFR request from NSD"
[ "$B1" -lt $((AXFR_BYTES / 4)) ] ||
	nsd_fail "the transfer to serial $S1 was $B1 bytes, not an increment (the AXFR is $AXFR_BYTES bytes)"
ok "NSD used IXFR: $B1 bytes for serial $S1 against $AXFR_BYTES for the AXFR"

# ==== a deregistration ==========================================================
note "a deregistration disappears from NSD"
reg deregister web web-9 || fail "deregister web-9 failed"
S2=$(serial_at "$PORT")
poll_until $((FOLLOW * 1000)) eval '[ -z "$(nsd_a web-9)" ]' ||
	nsd_fail "web-9 A still served by NSD ${FOLLOW} s after the deregistration"
ok "deregistration gone from NSD after $ELAPSED_MS ms (bound ${FOLLOW} s)"
poll_until 2000 in_sync || nsd_fail "NSD serial $(serial_at "$NSD_PORT") != dnsd $S2"
out=$(dig @127.0.0.1 -p "$NSD_PORT" +norec +time=1 +tries=1 "web-9.$Z" A)
grep -q 'status: NXDOMAIN' <<<"$out" || { echo "$out" >&2; nsd_fail "web-9.$Z: NSD should answer NXDOMAIN"; }
out=$(dig @127.0.0.1 -p "$NSD_PORT" +norec +short +time=1 +tries=1 "_web._tcp.$Z" PTR)
[ -z "$out" ] || nsd_fail "_web._tcp PTR still at NSD: $out"
ok "NSD answers NXDOMAIN for web-9 and has no _web._tcp PTR (serial $S2)"
B2=$(xfr_bytes "$S2")
[ -n "$B2" ] && [ "$B2" -lt $((AXFR_BYTES / 4)) ] || nsd_fail "deregistration: transfer of '${B2:-?}' bytes, not an IXFR"
ok "NSD used IXFR for the deregistration ($B2 bytes)"

# ==== a lease expiry ===========================================================
# dnsd's lease clock counts whole seconds and its reaper wakes at least once
# a second, so a LEASE-second registration leaves dnsd between LEASE-1 and
# LEASE+1 s after it was sent; NOTIFY and IXFR add well under 0.1 s here.
# Asserted: still at NSD LEASE-1.5 s after sending (no early expiry), gone
# from NSD by LEASE+EXPIRY_SLACK s (about 1 s of slack over the worst case).
note "a ${LEASE}-second lease expires on NSD too"
t0=$(now_ms)
reg register web web-l 10.0.0.10 8080 --lease "$LEASE" || fail "register web-l --lease $LEASE failed"
poll_until $((FOLLOW * 1000)) eval '[ "$(nsd_a web-l)" = 10.0.0.10 ]' ||
	nsd_fail "web-l not served by NSD ${FOLLOW} s after the registration"
ok "leased registration served by NSD after $ELAPSED_MS ms"
early=$((t0 + LEASE * 1000 - 1500))
while [ "$(now_ms)" -lt "$early" ]; do
	[ "$(nsd_a web-l)" = 10.0.0.10 ] || nsd_fail "web-l left NSD $(($(now_ms) - t0)) ms after a ${LEASE}-s lease began"
	sleep 0.1
done
ok "web-l still at NSD $((early - t0)) ms into its ${LEASE}-s lease"
deadline=$((t0 + LEASE * 1000))
poll_until $((deadline + EXPIRY_SLACK * 1000 - $(now_ms))) eval '[ -z "$(nsd_a web-l)" ]' ||
	nsd_fail "web-l still served by NSD $(($(now_ms) - deadline)) ms after its lease ended (bound ${EXPIRY_SLACK} s)"
gone=$(($(now_ms) - deadline))
ok "expired registration gone from NSD ${gone} ms after the lease deadline (bound ${EXPIRY_SLACK} s)"
poll_until 2000 in_sync || nsd_fail "NSD serial $(serial_at "$NSD_PORT") != dnsd $(serial_at "$PORT") after the expiry"
S3=$(serial_at "$PORT")
[ -z "$(dig @127.0.0.1 -p "$PORT" +short "web-l.$Z" A)" ] || fail "web-l still served by dnsd after its lease"
ok "the expiry is a serial change (serial $S3) dnsd and NSD agree on"

# ==== a trimmed journal: the AXFR-style fallback ==================================
# journal-size 2: with NSD stopped (SIGSTOP to its process group), five
# changes leave only the last two in the journal, so NSD's IXFR from its old
# serial gets the whole zone (RFC 1995 section 4). The NOTIFYs wait in NSD's
# socket (and dnsd retries them) until NSD continues.
note "NSD stopped while 5 changes trim the journal, then continued"
SB=$S3
kill -STOP -- "-$NSD_PGID" || hard_error "cannot stop NSD"
for i in 1 2 3 4 5; do
	reg register web "fb-$i" "10.0.3.$i" 8080 || { kill -CONT -- "-$NSD_PGID"; fail "register fb-$i failed"; }
done
SF=$(serial_at "$PORT")
out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 "IXFR=$SB" "$Z" | awk '!/^;/ && NF >= 4')
second=$(sed -n 2p <<<"$out" | awk '{print $4}')
if [ "$second" = SOA ]; then
	kill -CONT -- "-$NSD_PGID"
	fail "journal-size 2: dnsd still answers IXFR=$SB incrementally after 5 changes (journal not trimmed)"
fi
ok "journal trimmed: IXFR=$SB from dnsd is AXFR-style (serial $SB -> $SF)"
ix_before=$(dnsd_ixfr_count)
kill -CONT -- "-$NSD_PGID" || hard_error "cannot continue NSD"
poll_until 10000 in_sync || nsd_fail "NSD did not catch up with serial $SF within 10 s of continuing (at '$(serial_at "$NSD_PORT")')"
ok "NSD caught up with serial $SF ${ELAPSED_MS} ms after it continued"
poll_until 2000 eval '[ -n "$(xfr_bytes "$SF")" ]' || nsd_fail "NSD logged no transfer for serial $SF"
BF=$(xfr_bytes "$SF")
[ "$(dnsd_ixfr_count)" -gt "$ix_before" ] || fail "NSD did not ask dnsd for an IXFR after it continued"
axfr_norm "$PORT" "$WORK/pf"
AXFR_BYTES_F=$(sed -n 's/^;; XFR size: .* bytes \([0-9]*\)).*/\1/p' "$WORK/pf.raw")
[ "$BF" -ge $((AXFR_BYTES_F * 9 / 10)) ] ||
	nsd_fail "NSD's transfer to $SF was $BF bytes; the fallback should send the whole zone ($AXFR_BYTES_F bytes)"
ok "NSD asked for IXFR and got the whole zone: $BF bytes (AXFR $AXFR_BYTES_F)"

note "NSD serves exactly what dnsd serves"
axfr_norm "$NSD_PORT" "$WORK/sf"
[ "$(serial_at "$NSD_PORT")" = "$(serial_at "$PORT")" ] || nsd_fail "serials differ after the fallback"
for i in 1 2 3 4 5; do
	[ "$(nsd_a "fb-$i")" = "10.0.3.$i" ] || nsd_fail "fb-$i not at NSD"
done
ok "NSD serves fb-1 .. fb-5 at serial $SF"
# Names, types and data first; then TTLs too.
cut -f1,3- "$WORK/pf" >"$WORK/pf.nottl"
cut -f1,3- "$WORK/sf" >"$WORK/sf.nottl"
diff -u "$WORK/pf.nottl" "$WORK/sf.nottl" >"$WORK/df" || { head -n 30 "$WORK/df" >&2; nsd_fail "NSD's records differ from dnsd's after the fallback"; }
ok "same record set at NSD and dnsd ($(wc -l <"$WORK/pf") records, TTLs aside)"
diff -u "$WORK/pf" "$WORK/sf" >"$WORK/df" || { head -n 30 "$WORK/df" >&2; nsd_fail "NSD's TTLs differ from dnsd's"; }
ok "same TTLs at NSD and dnsd"

grep -qE 'error|failed' "$NSD_LOG" && { grep -E 'error|failed' "$NSD_LOG" | head -n 5 >&2; nsd_fail "NSD logged errors"; }
ok "no errors in NSD's log"
dnsd_alive || fail "dnsd exited"
kill -0 "$NSD_PID" 2>/dev/null || nsd_fail "NSD exited"
done_ok
