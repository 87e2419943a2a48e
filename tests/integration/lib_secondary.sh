# lib_secondary.sh -- the replication flow shared by the tests that run a
# real secondary server against dnsd (t_secondary_nsd, t_secondary_knot);
# sourced after lib.sh.
#
# The flow: the initial AXFR; NOTIFY (RFC 1996) then IXFR (RFC 1995) for a
# registration, a deregistration and a lease expiry, each served by the
# secondary within a bound; the journal trimmed while the secondary is
# stopped, then the AXFR-style IXFR fallback; and at the end the secondary
# serves exactly what dnsd serves.
#
# Sourcing checks the common tools and sets Z, REG_SECRET, UPDATE and the
# bounds FOLLOW, LEASE, EXPIRY_SLACK. The test then:
#   SEC_NAME=NSD; SEC_LOG=...     name (in messages) and the secondary's log
#   secondary_start_dnsd          picks SEC_PORT (the secondary's port),
#                                 writes the zone and dnsd.conf (notify to
#                                 SEC_PORT, journal-size 2), starts dnsd
#   ... configures and starts its server on SEC_PORT; SEC_PID := its PID
#   secondary_flow                every check of the flow, in order
#   done_ok
# and defines these hooks:
#   sec_stop                      at exit, before cleanup: make the server
#                                 stoppable by SIGTERM (continue it), etc.
#   sec_pause / sec_resume        stop / continue the server (SIGSTOP/CONT)
#   sec_mark                      called before each change; remember where
#                                 the server's log (or dnsd's) stands
#   sec_initial_check SERIAL      after the initial AXFR was compared
#                                 ($WORK/p0.raw is dig's AXFR from dnsd):
#                                 the server's log shows a full transfer
#   sec_expect_ixfr WHAT SERIAL   after a change WHAT (registration,
#                                 deregistration, lease expiry) reached the
#                                 server: its log shows it used IXFR
#   sec_wait_logged SERIAL        wait (bounded) until its log shows the
#                                 transfer that brought SERIAL
#   sec_expect_fallback SERIAL    after it caught up with the trimmed
#                                 journal: its log shows it got the whole
#                                 zone (an AXFR-style IXFR)
#   sec_log_checks                at the end: no errors in its log

PATH=$PATH:/usr/sbin:/sbin
need_tool dig
need_tool drill   # ldnsutils, which also brings ldns-read-zone
command -v ldns-read-zone >/dev/null 2>&1 || skip "ldns-read-zone not available (ldnsutils)"

UPDATE=$BUILDDIR/tools/dnsd-update
[ -x "$UPDATE" ] || hard_error "no dnsd-update at $UPDATE (build first)"

Z=svc.example.test
REG_SECRET=$(head -c 32 /dev/urandom | base64 -w0)
# Bounds asserted below (seconds).
FOLLOW=2        # a change on dnsd is served by the secondary within this
LEASE=3         # the lease of the expiry check
EXPIRY_SLACK=2  # gone from the secondary by (registration time + LEASE + this)

SEC_NAME=${SEC_NAME:-secondary}
SEC_PORT=
SEC_PID=
SEC_LOG=${SEC_LOG:-}

secondary_exit_trap() {
	local rc=$?
	declare -F sec_stop >/dev/null && sec_stop
	(exit "$rc")
	cleanup
}
trap secondary_exit_trap EXIT

# sec_fail MSG: fail with the last lines of the secondary's log.
sec_fail() {
	if [ -n "$SEC_LOG" ] && [ -s "$SEC_LOG" ]; then
		echo "---- last lines of $SEC_LOG ----" >&2
		tail -n 20 "$SEC_LOG" >&2
		echo "----" >&2
	fi
	fail "$@"
}

# ---- zone and dnsd ----------------------------------------------------------
secondary_start_dnsd() {
	# The example zone plus filler, so that a full transfer is many times the
	# size of one registration's IXFR.
	{
		cat "$ZONES/$Z.zone"
		echo "; filler for $T_NAME"
		for i in $(seq 1 200); do
			echo "filler-$i IN TXT \"padding record $i for the transfer size comparison\""
		done
	} >"$WORK/$Z.zone"

	SEC_PORT=$(pick_port) || hard_error "no free port for $SEC_NAME"
	CONF=$WORK/dnsd.conf
	cat >"$CONF" <<CONF
# $T_NAME: $SEC_NAME on 127.0.0.1@$SEC_PORT is the secondary
zone "$Z" {
    file "$WORK/$Z.zone"
    allow-transfer 127.0.0.1
    notify 127.0.0.1@$SEC_PORT
    journal-size 2
    default-lease 0
}
key registrar { algorithm hmac-sha256; secret "$REG_SECRET"; }
CONF
	"$DNSD" -n -c "$CONF" >"$WORK/check.log" 2>&1 || { cat "$WORK/check.log" >&2; hard_error "test configuration rejected"; }
	start_dnsd -c "$CONF" || hard_error "dnsd did not start"
}

# ---- helpers ------------------------------------------------------------------
reg() {
	"$UPDATE" -s "127.0.0.1@$PORT" -t 5 -y "registrar:$REG_SECRET" -z "$Z" "$@" >/dev/null
}
# serial_at PORT: the zone's SOA serial there ("" if no answer).
serial_at() {
	dig @127.0.0.1 -p "$1" +norec +short +time=1 +tries=1 SOA "$Z" 2>/dev/null | awk 'NF == 7 {print $3}'
}
# sec_a NAME: the secondary's A records for NAME, one line.
sec_a() {
	dig @127.0.0.1 -p "$SEC_PORT" +norec +short +time=1 +tries=1 "$1.$Z" A 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'
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
	n=$(serial_at "$SEC_PORT")
	[ -n "$p" ] && [ "$p" = "$n" ]
}
# axfr_norm PORT OUT: the zone as served there, normalised and sorted.
axfr_norm() {
	dig @127.0.0.1 -p "$1" +time=5 +tries=1 AXFR "$Z" >"$2.raw" 2>&1
	awk '!/^;/ && NF >= 4' "$2.raw" | ldns-read-zone -z /dev/stdin 2>/dev/null >"$2"
}
# axfr_bytes RAW: the size dig reported for the AXFR in RAW (axfr_norm's OUT.raw).
axfr_bytes() {
	sed -n 's/^;; XFR size: .* bytes \([0-9]*\)).*/\1/p' "$1"
}
dnsd_ixfr_count() {
	grep -c 'IXFR to client .*started' "$DNSD_LOG"
}

# ==== the flow ===================================================================
secondary_initial() {
	note "$SEC_NAME loads the zone from dnsd"
	poll_until 10000 in_sync || sec_fail "$SEC_NAME did not load $Z from dnsd in 10 s (dnsd $(serial_at "$PORT"), $SEC_NAME '$(serial_at "$SEC_PORT")')"
	S0=$(serial_at "$PORT")
	ok "initial transfer: $SEC_NAME serves serial $S0 ($ELAPSED_MS ms after start)"
	axfr_norm "$PORT" "$WORK/p0"
	axfr_norm "$SEC_PORT" "$WORK/s0"
	[ -s "$WORK/p0" ] || hard_error "no AXFR from dnsd"
	diff -u "$WORK/p0" "$WORK/s0" >"$WORK/d0" || { head -n 30 "$WORK/d0" >&2; sec_fail "after the initial transfer $SEC_NAME serves other records than dnsd"; }
	ok "initial transfer: $SEC_NAME's AXFR equals dnsd's ($(wc -l <"$WORK/p0") records)"
	sec_initial_check "$S0"
}

secondary_registration() {
	note "a registration reaches $SEC_NAME by NOTIFY and IXFR"
	sec_mark
	reg register web web-9 10.0.0.9 8080 || fail "register web-9 failed"
	S1=$(serial_at "$PORT")
	poll_until $((FOLLOW * 1000)) eval '[ "$(sec_a web-9)" = 10.0.0.9 ]' ||
		sec_fail "web-9 A not served by $SEC_NAME ${FOLLOW} s after the registration ($SEC_NAME serial $(serial_at "$SEC_PORT"), dnsd $S1)"
	ok "registration served by $SEC_NAME after $ELAPSED_MS ms (bound ${FOLLOW} s)"
	poll_until 2000 in_sync || sec_fail "$SEC_NAME serial $(serial_at "$SEC_PORT") != dnsd $S1"
	sec_expect_ixfr registration "$S1"
}

secondary_deregistration() {
	local out
	note "a deregistration disappears from $SEC_NAME"
	sec_mark
	reg deregister web web-9 || fail "deregister web-9 failed"
	S2=$(serial_at "$PORT")
	poll_until $((FOLLOW * 1000)) eval '[ -z "$(sec_a web-9)" ]' ||
		sec_fail "web-9 A still served by $SEC_NAME ${FOLLOW} s after the deregistration"
	ok "deregistration gone from $SEC_NAME after $ELAPSED_MS ms (bound ${FOLLOW} s)"
	poll_until 2000 in_sync || sec_fail "$SEC_NAME serial $(serial_at "$SEC_PORT") != dnsd $S2"
	out=$(dig @127.0.0.1 -p "$SEC_PORT" +norec +time=1 +tries=1 "web-9.$Z" A)
	grep -q 'status: NXDOMAIN' <<<"$out" || { echo "$out" >&2; sec_fail "web-9.$Z: $SEC_NAME should answer NXDOMAIN"; }
	out=$(dig @127.0.0.1 -p "$SEC_PORT" +norec +short +time=1 +tries=1 "_web._tcp.$Z" PTR)
	[ -z "$out" ] || sec_fail "_web._tcp PTR still at $SEC_NAME: $out"
	ok "$SEC_NAME answers NXDOMAIN for web-9 and has no _web._tcp PTR (serial $S2)"
	sec_expect_ixfr deregistration "$S2"
}

# dnsd's lease clock counts whole seconds and its reaper wakes at least once
# a second, so a LEASE-second registration leaves dnsd between LEASE-1 and
# LEASE+1 s after it was sent; NOTIFY and IXFR add well under 0.1 s here.
# Asserted: still at the secondary LEASE-1.5 s after sending (no early
# expiry), gone from it by LEASE+EXPIRY_SLACK s (about 1 s of slack over the
# worst case).
secondary_lease_expiry() {
	local t0 early deadline gone
	note "a ${LEASE}-second lease expires on $SEC_NAME too"
	t0=$(now_ms)
	reg register web web-l 10.0.0.10 8080 --lease "$LEASE" || fail "register web-l --lease $LEASE failed"
	poll_until $((FOLLOW * 1000)) eval '[ "$(sec_a web-l)" = 10.0.0.10 ]' ||
		sec_fail "web-l not served by $SEC_NAME ${FOLLOW} s after the registration"
	ok "leased registration served by $SEC_NAME after $ELAPSED_MS ms"
	early=$((t0 + LEASE * 1000 - 1500))
	while [ "$(now_ms)" -lt "$early" ]; do
		[ "$(sec_a web-l)" = 10.0.0.10 ] || sec_fail "web-l left $SEC_NAME $(($(now_ms) - t0)) ms after a ${LEASE}-s lease began"
		sleep 0.1
	done
	ok "web-l still at $SEC_NAME $((early - t0)) ms into its ${LEASE}-s lease"
	sec_mark
	deadline=$((t0 + LEASE * 1000))
	poll_until $((deadline + EXPIRY_SLACK * 1000 - $(now_ms))) eval '[ -z "$(sec_a web-l)" ]' ||
		sec_fail "web-l still served by $SEC_NAME $(($(now_ms) - deadline)) ms after its lease ended (bound ${EXPIRY_SLACK} s)"
	gone=$(($(now_ms) - deadline))
	ok "expired registration gone from $SEC_NAME ${gone} ms after the lease deadline (bound ${EXPIRY_SLACK} s)"
	poll_until 2000 in_sync || sec_fail "$SEC_NAME serial $(serial_at "$SEC_PORT") != dnsd $(serial_at "$PORT") after the expiry"
	S3=$(serial_at "$PORT")
	[ -z "$(dig @127.0.0.1 -p "$PORT" +short "web-l.$Z" A)" ] || fail "web-l still served by dnsd after its lease"
	ok "the expiry is a serial change (serial $S3) dnsd and $SEC_NAME agree on"
	sec_expect_ixfr "lease expiry" "$S3"
}

# journal-size 2: with the secondary stopped (SIGSTOP), five changes leave
# only the last two in the journal, so its IXFR from its old serial gets the
# whole zone (RFC 1995 section 4). The NOTIFYs wait in its socket (and dnsd
# retries them) until it continues.
secondary_trimmed_journal() {
	local i out second ix_before
	note "$SEC_NAME stopped while 5 changes trim the journal, then continued"
	SB=$S3
	sec_mark
	sec_pause || hard_error "cannot stop $SEC_NAME"
	for i in 1 2 3 4 5; do
		reg register web "fb-$i" "10.0.3.$i" 8080 || { sec_resume; fail "register fb-$i failed"; }
	done
	SF=$(serial_at "$PORT")
	out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 "IXFR=$SB" "$Z" | awk '!/^;/ && NF >= 4')
	second=$(sed -n 2p <<<"$out" | awk '{print $4}')
	if [ "$second" = SOA ]; then
		sec_resume
		fail "journal-size 2: dnsd still answers IXFR=$SB incrementally after 5 changes (journal not trimmed)"
	fi
	ok "journal trimmed: IXFR=$SB from dnsd is AXFR-style (serial $SB -> $SF)"
	ix_before=$(dnsd_ixfr_count)
	sec_resume || hard_error "cannot continue $SEC_NAME"
	poll_until 10000 in_sync || sec_fail "$SEC_NAME did not catch up with serial $SF within 10 s of continuing (at '$(serial_at "$SEC_PORT")')"
	ok "$SEC_NAME caught up with serial $SF ${ELAPSED_MS} ms after it continued"
	sec_wait_logged "$SF"
	[ "$(dnsd_ixfr_count)" -gt "$ix_before" ] || fail "$SEC_NAME did not ask dnsd for an IXFR after it continued"
	sec_expect_fallback "$SF"
}

secondary_compare() {
	local i mixed
	note "$SEC_NAME serves exactly what dnsd serves"
	for i in 1 2 3 4 5; do
		[ "$(sec_a "fb-$i")" = "10.0.3.$i" ] || sec_fail "fb-$i not at $SEC_NAME"
	done
	ok "$SEC_NAME serves fb-1 .. fb-5 at serial $SF"
	axfr_norm "$PORT" "$WORK/pf"
	axfr_norm "$SEC_PORT" "$WORK/sf"
	# Two empty transfers would compare equal: each must hold the zone.
	[ -s "$WORK/pf" ] || hard_error "no AXFR from dnsd (see $WORK/pf.raw)"
	[ -s "$WORK/sf" ] || sec_fail "no AXFR from $SEC_NAME after the fallback (see $WORK/sf.raw)"
	[ "$(serial_at "$SEC_PORT")" = "$(serial_at "$PORT")" ] || sec_fail "serials differ after the fallback"
	# Names, types and data first; then TTLs too.
	cut -f1,3- "$WORK/pf" >"$WORK/pf.nottl"
	cut -f1,3- "$WORK/sf" >"$WORK/sf.nottl"
	diff -u "$WORK/pf.nottl" "$WORK/sf.nottl" >"$WORK/df" || { head -n 30 "$WORK/df" >&2; sec_fail "$SEC_NAME's records differ from dnsd's after the fallback"; }
	ok "same record set at $SEC_NAME and dnsd ($(wc -l <"$WORK/pf") records, TTLs aside)"
	sec_log_checks
	dnsd_alive || fail "dnsd exited"
	kill -0 "$SEC_PID" 2>/dev/null || sec_fail "$SEC_NAME exited"

	# Last, as it names a different cause: the TTLs. RFC 2181 5.2 says the
	# records of an RRset share one TTL; a secondary that keeps one TTL per
	# RRset (Knot) only serves the same TTLs as dnsd if dnsd's RRsets each
	# have one.
	if ! diff -u "$WORK/pf" "$WORK/sf" >"$WORK/df"; then
		head -n 30 "$WORK/df" >&2
		mixed=$(awk -F'\t' '{ k = $1 " " $4; if (k in t && t[k] != $2) print k; t[k] = $2 }' "$WORK/pf" | sort -u | tr '\n' ';')
		grep 'TTL mismatch' "$SEC_LOG" | head -n 5 >&2
		sec_fail "$SEC_NAME's TTLs differ from dnsd's${mixed:+; dnsd serves RRsets with mixed TTLs (RFC 2181 5.2): $mixed}"
	fi
	ok "same TTLs at $SEC_NAME and dnsd"
}

# secondary_flow: every check above, in order.
secondary_flow() {
	secondary_initial
	secondary_registration
	secondary_deregistration
	secondary_lease_expiry
	secondary_trimmed_journal
	secondary_compare
}
