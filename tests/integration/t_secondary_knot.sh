#!/bin/bash
# t_secondary_knot.sh -- a real Knot DNS (knotd) as dnsd's secondary: the
# initial AXFR, NOTIFY (RFC 1996) then IXFR (RFC 1995) for a registration,
# a deregistration and a lease expiry, each served by Knot within a bound;
# after the journal was trimmed while Knot was stopped, the AXFR-style IXFR
# fallback; and at the end Knot serves exactly what dnsd serves.
#
# knotd runs in the foreground with its own configuration in the temporary
# folder and logs to stderr; the test stops and continues it by its PID.
. "$(dirname "$0")/lib.sh"

PATH=$PATH:/usr/sbin:/sbin
need_tool dig
need_tool drill   # ldnsutils, which also brings ldns-read-zone
command -v ldns-read-zone >/dev/null 2>&1 || skip "ldns-read-zone not available (ldnsutils)"
if ! command -v knotd >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "# knotd missing: installing knot" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q knot >"$WORK/apt-knot.log" 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt-knot.log" 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q knot >>"$WORK/apt-knot.log" 2>&1; }
fi
command -v knotd >/dev/null 2>&1 || skip "knotd not available (package knot could not be installed)"

UPDATE=$BUILDDIR/tools/dnsd-update
[ -x "$UPDATE" ] || hard_error "no dnsd-update at $UPDATE (build first)"

Z=svc.example.test
REG_SECRET=$(head -c 32 /dev/urandom | base64 -w0)
# Bounds asserted below (seconds).
FOLLOW=2        # a change on dnsd is served by Knot within this
LEASE=3         # the lease of the expiry check
EXPIRY_SLACK=2  # gone from Knot by (registration time + LEASE + this)

# ---- Knot: stopped by PID at exit (continued first if it was stopped) --------
KNOT_PID=
KNOT_DIR=$WORK/knot
KNOT_LOG=$KNOT_DIR/knotd.log

exit_trap() {
	local rc=$?
	[ -n "$KNOT_PID" ] && kill -CONT "$KNOT_PID" 2>/dev/null  # a stopped knotd cannot handle SIGTERM
	(exit "$rc")
	cleanup
}
trap exit_trap EXIT

dump_knot() {
	if [ -s "$KNOT_LOG" ]; then
		echo "---- last lines of $KNOT_LOG ----" >&2
		tail -n 20 "$KNOT_LOG" >&2
		echo "----" >&2
	fi
}
knot_fail() {
	dump_knot
	fail "$@"
}

# ---- zone and dnsd ----------------------------------------------------------
# The example zone plus filler, so that a full transfer is many times the
# size of one registration's IXFR.
{
	cat "$ZONES/$Z.zone"
	echo "; filler for t_secondary_knot"
	for i in $(seq 1 200); do
		echo "filler-$i IN TXT \"padding record $i for the transfer size comparison\""
	done
} >"$WORK/$Z.zone"

KNOT_PORT=$(pick_port) || hard_error "no free port for Knot"
CONF=$WORK/dnsd.conf
cat >"$CONF" <<CONF
# t_secondary_knot: knotd on 127.0.0.1@$KNOT_PORT is the secondary
zone "$Z" {
    file "$WORK/$Z.zone"
    allow-transfer 127.0.0.1
    notify 127.0.0.1@$KNOT_PORT
    journal-size 2
    default-lease 0
}
key registrar { algorithm hmac-sha256; secret "$REG_SECRET"; }
CONF
"$DNSD" -n -c "$CONF" >"$WORK/check.log" 2>&1 || { cat "$WORK/check.log" >&2; hard_error "test configuration rejected"; }
start_dnsd -c "$CONF" || hard_error "dnsd did not start"

mkdir -p "$KNOT_DIR"
cat >"$KNOT_DIR/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$KNOT_PORT
    rundir: "$KNOT_DIR"
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$KNOT_DIR"
log:
  - target: stderr
    any: info
remote:
  - id: dnsd
    address: 127.0.0.1@$PORT
acl:
  - id: notify_from_dnsd
    address: 127.0.0.1
    action: notify
  - id: transfer_out
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$KNOT_DIR"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
zone:
  - domain: $Z
    master: dnsd
    acl: [notify_from_dnsd, transfer_out]
CONF
knotc -c "$KNOT_DIR/knot.conf" conf-check >"$WORK/knot-check.log" 2>&1 ||
	{ cat "$WORK/knot-check.log" >&2; hard_error "knotc conf-check rejected the test configuration"; }

knotd -c "$KNOT_DIR/knot.conf" >"$KNOT_LOG" 2>&1 &
KNOT_PID=$!
track_pid "$KNOT_PID"
echo "# knotd pid $KNOT_PID on port $KNOT_PORT (log $KNOT_LOG)"

# ---- helpers ------------------------------------------------------------------
reg() {
	"$UPDATE" -s "127.0.0.1@$PORT" -t 5 -y "registrar:$REG_SECRET" -z "$Z" "$@" >/dev/null
}
# serial_at PORT: the zone's SOA serial there ("" if no answer).
serial_at() {
	dig @127.0.0.1 -p "$1" +norec +short +time=1 +tries=1 SOA "$Z" 2>/dev/null | awk 'NF == 7 {print $3}'
}
# knot_a NAME: Knot's A records for NAME, one line.
knot_a() {
	dig @127.0.0.1 -p "$KNOT_PORT" +norec +short +time=1 +tries=1 "$1.$Z" A 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'
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
	n=$(serial_at "$KNOT_PORT")
	[ -n "$p" ] && [ "$p" = "$n" ]
}
# The log from line $1 on (a mark taken with log_mark before an action).
log_mark() {
	wc -l <"$KNOT_LOG"
}
log_since() {
	tail -n +"$(($1 + 1))" "$KNOT_LOG"
}
# updated_to MARK SERIAL: Knot logged "zone updated ... -> SERIAL" since MARK.
updated_to() {
	log_since "$1" | grep -q "zone updated, .*serial [0-9a-z]* -> $2,"
}
# expect_ixfr MARK SERIAL WHAT: the transfer since MARK was incremental.
expect_ixfr() {
	poll_until 2000 updated_to "$1" "$2" || knot_fail "$3: Knot logged no update to serial $2"
	local since
	since=$(log_since "$1")
	grep -q '\] IXFR, incoming, remote .*, finished' <<<"$since" ||
		knot_fail "$3: no finished incoming IXFR in Knot's log"
	if grep -qE 'AXFR-style|\] AXFR, incoming' <<<"$since"; then
		knot_fail "$3: Knot fell back to AXFR for a small change"
	fi
	ok "$3: Knot used IXFR ($(grep '\] IXFR, incoming, remote .*, finished' <<<"$since" | tail -n 1 | sed 's/.*finished, //'))"
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
note "Knot loads the zone from dnsd"
poll_until 10000 in_sync || knot_fail "Knot did not load $Z from dnsd in 10 s (dnsd $(serial_at "$PORT"), Knot '$(serial_at "$KNOT_PORT")')"
S0=$(serial_at "$PORT")
ok "initial transfer: Knot serves serial $S0 ($ELAPSED_MS ms after start)"
grep -q "\] AXFR, incoming, remote 127.0.0.1@$PORT, finished" "$KNOT_LOG" ||
	knot_fail "Knot's log shows no finished incoming AXFR from dnsd"
ok "initial transfer: Knot logged an AXFR from dnsd"
axfr_norm "$PORT" "$WORK/p0"
axfr_norm "$KNOT_PORT" "$WORK/s0"
[ -s "$WORK/p0" ] || hard_error "no AXFR from dnsd"
diff -u "$WORK/p0" "$WORK/s0" >"$WORK/d0" || { head -n 30 "$WORK/d0" >&2; knot_fail "after the initial transfer Knot serves other records than dnsd"; }
ok "initial transfer: Knot's AXFR equals dnsd's ($(wc -l <"$WORK/p0") records)"

# ==== a registration =========================================================
note "a registration reaches Knot by NOTIFY and IXFR"
mark=$(log_mark)
reg register web web-9 10.0.0.9 8080 || fail "register web-9 failed"
S1=$(serial_at "$PORT")
poll_until $((FOLLOW * 1000)) eval '[ "$(knot_a web-9)" = 10.0.0.9 ]' ||
	knot_fail "web-9 A not served by Knot ${FOLLOW} s after the registration (Knot serial $(serial_at "$KNOT_PORT"), dnsd $S1)"
ok "registration served by Knot after $ELAPSED_MS ms (bound ${FOLLOW} s)"
poll_until 2000 in_sync || knot_fail "Knot serial $(serial_at "$KNOT_PORT") != dnsd $S1"
log_since "$mark" | grep -q "notify, incoming, remote 127.0.0.1@[0-9]*, serial $S1" ||
	knot_fail "Knot logged no NOTIFY for serial $S1"
ok "Knot got a NOTIFY for serial $S1"
expect_ixfr "$mark" "$S1" "registration"

# ==== a deregistration ==========================================================
note "a deregistration disappears from Knot"
mark=$(log_mark)
reg deregister web web-9 || fail "deregister web-9 failed"
S2=$(serial_at "$PORT")
poll_until $((FOLLOW * 1000)) eval '[ -z "$(knot_a web-9)" ]' ||
	knot_fail "web-9 A still served by Knot ${FOLLOW} s after the deregistration"
ok "deregistration gone from Knot after $ELAPSED_MS ms (bound ${FOLLOW} s)"
poll_until 2000 in_sync || knot_fail "Knot serial $(serial_at "$KNOT_PORT") != dnsd $S2"
out=$(dig @127.0.0.1 -p "$KNOT_PORT" +norec +time=1 +tries=1 "web-9.$Z" A)
grep -q 'status: NXDOMAIN' <<<"$out" || { echo "$out" >&2; knot_fail "web-9.$Z: Knot should answer NXDOMAIN"; }
out=$(dig @127.0.0.1 -p "$KNOT_PORT" +norec +short +time=1 +tries=1 "_web._tcp.$Z" PTR)
[ -z "$out" ] || knot_fail "_web._tcp PTR still at Knot: $out"
ok "Knot answers NXDOMAIN for web-9 and has no _web._tcp PTR (serial $S2)"
expect_ixfr "$mark" "$S2" "deregistration"

# ==== a lease expiry ===========================================================
# dnsd's lease clock counts whole seconds and its reaper wakes at least once
# a second, so a LEASE-second registration leaves dnsd between LEASE-1 and
# LEASE+1 s after it was sent; NOTIFY and IXFR add well under 0.1 s here.
# Asserted: still at Knot LEASE-1.5 s after sending (no early expiry), gone
# from Knot by LEASE+EXPIRY_SLACK s (about 1 s of slack over the worst case).
note "a ${LEASE}-second lease expires on Knot too"
t0=$(now_ms)
reg register web web-l 10.0.0.10 8080 --lease "$LEASE" || fail "register web-l --lease $LEASE failed"
poll_until $((FOLLOW * 1000)) eval '[ "$(knot_a web-l)" = 10.0.0.10 ]' ||
	knot_fail "web-l not served by Knot ${FOLLOW} s after the registration"
ok "leased registration served by Knot after $ELAPSED_MS ms"
early=$((t0 + LEASE * 1000 - 1500))
while [ "$(now_ms)" -lt "$early" ]; do
	[ "$(knot_a web-l)" = 10.0.0.10 ] || knot_fail "web-l left Knot $(($(now_ms) - t0)) ms after a ${LEASE}-s lease began"
	sleep 0.1
done
ok "web-l still at Knot $((early - t0)) ms into its ${LEASE}-s lease"
mark=$(log_mark)
deadline=$((t0 + LEASE * 1000))
poll_until $((deadline + EXPIRY_SLACK * 1000 - $(now_ms))) eval '[ -z "$(knot_a web-l)" ]' ||
	knot_fail "web-l still served by Knot $(($(now_ms) - deadline)) ms after its lease ended (bound ${EXPIRY_SLACK} s)"
gone=$(($(now_ms) - deadline))
ok "expired registration gone from Knot ${gone} ms after the lease deadline (bound ${EXPIRY_SLACK} s)"
poll_until 2000 in_sync || knot_fail "Knot serial $(serial_at "$KNOT_PORT") != dnsd $(serial_at "$PORT") after the expiry"
S3=$(serial_at "$PORT")
[ -z "$(dig @127.0.0.1 -p "$PORT" +short "web-l.$Z" A)" ] || fail "web-l still served by dnsd after its lease"
ok "the expiry is a serial change (serial $S3) dnsd and Knot agree on"
expect_ixfr "$mark" "$S3" "lease expiry"

# ==== a trimmed journal: the AXFR-style fallback ==================================
# journal-size 2: with knotd stopped (SIGSTOP), five changes leave only the
# last two in the journal, so Knot's IXFR from its old serial gets the whole
# zone (RFC 1995 section 4). The NOTIFYs wait in Knot's socket (and dnsd
# retries them) until Knot continues.
note "Knot stopped while 5 changes trim the journal, then continued"
SB=$S3
mark=$(log_mark)
kill -STOP "$KNOT_PID" || hard_error "cannot stop knotd"
for i in 1 2 3 4 5; do
	reg register web "fb-$i" "10.0.3.$i" 8080 || { kill -CONT "$KNOT_PID"; fail "register fb-$i failed"; }
done
SF=$(serial_at "$PORT")
out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 "IXFR=$SB" "$Z" | awk '!/^;/ && NF >= 4')
second=$(sed -n 2p <<<"$out" | awk '{print $4}')
if [ "$second" = SOA ]; then
	kill -CONT "$KNOT_PID"
	fail "journal-size 2: dnsd still answers IXFR=$SB incrementally after 5 changes (journal not trimmed)"
fi
ok "journal trimmed: IXFR=$SB from dnsd is AXFR-style (serial $SB -> $SF)"
ix_before=$(dnsd_ixfr_count)
kill -CONT "$KNOT_PID" || hard_error "cannot continue knotd"
poll_until 10000 in_sync || knot_fail "Knot did not catch up with serial $SF within 10 s of continuing (at '$(serial_at "$KNOT_PORT")')"
ok "Knot caught up with serial $SF ${ELAPSED_MS} ms after it continued"
poll_until 2000 updated_to "$mark" "$SF" || knot_fail "Knot logged no update to serial $SF"
since=$(log_since "$mark")
[ "$(dnsd_ixfr_count)" -gt "$ix_before" ] || fail "Knot did not ask dnsd for an IXFR after it continued"
grep -q '\] IXFR, incoming, remote .*, receiving AXFR-style IXFR' <<<"$since" ||
	knot_fail "Knot's log does not show an AXFR-style IXFR after the journal was trimmed"
grep -q '\] AXFR, incoming, remote .*, finished' <<<"$since" ||
	knot_fail "Knot's log shows no finished AXFR after the AXFR-style IXFR began"
ok "Knot asked for IXFR and received the whole zone (AXFR-style IXFR, logged as AXFR)"

note "Knot serves exactly what dnsd serves"
for i in 1 2 3 4 5; do
	[ "$(knot_a "fb-$i")" = "10.0.3.$i" ] || knot_fail "fb-$i not at Knot"
done
ok "Knot serves fb-1 .. fb-5 at serial $SF"
axfr_norm "$PORT" "$WORK/pf"
axfr_norm "$KNOT_PORT" "$WORK/sf"
[ "$(serial_at "$KNOT_PORT")" = "$(serial_at "$PORT")" ] || knot_fail "serials differ after the fallback"
# Names, types and data first; then TTLs too.
cut -f1,3- "$WORK/pf" >"$WORK/pf.nottl"
cut -f1,3- "$WORK/sf" >"$WORK/sf.nottl"
diff -u "$WORK/pf.nottl" "$WORK/sf.nottl" >"$WORK/df" || { head -n 30 "$WORK/df" >&2; knot_fail "Knot's records differ from dnsd's after the fallback"; }
ok "same record set at Knot and dnsd ($(wc -l <"$WORK/pf") records, TTLs aside)"
grep -E '\] (AXFR|IXFR), incoming.*(fail|error)|error:' "$KNOT_LOG" | head -n 5 >"$WORK/knot-errors"
[ -s "$WORK/knot-errors" ] && { cat "$WORK/knot-errors" >&2; knot_fail "Knot logged transfer errors"; }
ok "no transfer errors in Knot's log"
dnsd_alive || fail "dnsd exited"
kill -0 "$KNOT_PID" 2>/dev/null || knot_fail "knotd exited"

# Last, as it names a different cause: the TTLs. RFC 2181 5.2 says the
# records of an RRset share one TTL; Knot keeps one TTL per RRset, so it
# only serves the same TTLs as dnsd if dnsd's RRsets each have one.
if ! diff -u "$WORK/pf" "$WORK/sf" >"$WORK/df"; then
	head -n 30 "$WORK/df" >&2
	mixed=$(awk -F'\t' '{ k = $1 " " $4; if (k in t && t[k] != $2) print k; t[k] = $2 }' "$WORK/pf" | sort -u | tr '\n' ';')
	grep 'TTL mismatch' "$KNOT_LOG" | head -n 5 >&2
	knot_fail "Knot's TTLs differ from dnsd's${mixed:+; dnsd serves RRsets with mixed TTLs (RFC 2181 5.2): $mixed}"
fi
ok "same TTLs at Knot and dnsd"
done_ok
