#!/bin/bash
# t_secondary_nsd.sh -- a real NSD as dnsd's secondary: the initial AXFR,
# NOTIFY (RFC 1996) then IXFR (RFC 1995) for a registration, a
# deregistration and a lease expiry, each served by NSD within a bound; and
# after the journal was trimmed while NSD was stopped, the AXFR-style IXFR
# fallback, after which NSD serves exactly what dnsd serves. The flow is in
# lib_secondary.sh; this file configures, starts and stops NSD and reads
# its log.
#
# NSD runs in the foreground (nsd -d) in its own session, so the test can
# stop and continue its processes as one group; every process is stopped by
# its PID or that group at exit.
. "$(dirname "$0")/lib.sh"
SEC_NAME=NSD
NSD_DIR=$WORK/nsd
SEC_LOG=$NSD_DIR/nsd.log
. "$(dirname "$0")/lib_secondary.sh"

need_tool setsid
need_tool nsd     # apt-get install nsd; skip only if that is impossible

# ---- NSD: a session of its own, stopped by PID/group at exit ----------------
NSD_PGID=
sec_stop() {
	if [ -n "$NSD_PGID" ]; then
		kill -CONT -- "-$NSD_PGID" 2>/dev/null  # a stopped NSD cannot handle SIGTERM
		kill -TERM "$SEC_PID" 2>/dev/null
		for _ in $(seq 1 40); do
			kill -0 "$SEC_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL -- "-$NSD_PGID" 2>/dev/null  # children left behind, if any
	fi
}
sec_pause() {
	kill -STOP -- "-$NSD_PGID"
}
sec_resume() {
	kill -CONT -- "-$NSD_PGID"
}

secondary_start_dnsd

mkdir -p "$NSD_DIR"
cat >"$NSD_DIR/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$SEC_PORT
    port: $SEC_PORT
    do-ip6: no
    zonesdir: "$NSD_DIR"
    xfrdfile: "$NSD_DIR/xfrd.state"
    zonelistfile: "$NSD_DIR/zone.list"
    pidfile: "$NSD_DIR/nsd.pid"
    logfile: "$SEC_LOG"
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
SEC_PID=$!
track_pid "$SEC_PID"
# pgid_of PID: the process group (from /proc; NSD renames its processes,
# "nsd: xfrd", so read the fields after the name's closing parenthesis).
pgid_of() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $3}'
}
# setsid(1) makes NSD the leader of a new process group (its PID) before
# it execs; wait (bounded) until that has happened.
for _ in $(seq 1 100); do
	[ "$(pgid_of "$SEC_PID")" = "$SEC_PID" ] && break
	sleep 0.02
done
[ "$(pgid_of "$SEC_PID")" = "$SEC_PID" ] ||
	hard_error "NSD (pid $SEC_PID) did not get a process group of its own"
NSD_PGID=$SEC_PID
echo "# nsd pid $SEC_PID on port $SEC_PORT (log $SEC_LOG)"

# ---- reading NSD's log: the size of each transfer ---------------------------------
# xfr_bytes SERIAL: the size NSD logged for the transfer that brought SERIAL.
xfr_bytes() {
	sed -n "s/.* received update to serial $1 at .* of \([0-9]*\) bytes.*/\1/p" "$SEC_LOG" | tail -n 1
}
xfr_logged() {
	[ -n "$(xfr_bytes "$1")" ]
}
IX_BEFORE=0
sec_mark() {
	IX_BEFORE=$(dnsd_ixfr_count)
}
AXFR_BYTES=
sec_initial_check() {
	local b0
	AXFR_BYTES=$(axfr_bytes "$WORK/p0.raw")
	[ -n "$AXFR_BYTES" ] || hard_error "no XFR size in dig's output"
	b0=$(xfr_bytes "$1")
	[ -n "$b0" ] && [ "$b0" -ge $((AXFR_BYTES * 9 / 10)) ] ||
		sec_fail "NSD's log should show a full transfer of ~$AXFR_BYTES bytes for serial $1, got '${b0:-no line}'"
	ok "initial transfer: NSD logged $b0 bytes (the AXFR is $AXFR_BYTES)"
}
sec_wait_logged() {
	poll_until 2000 xfr_logged "$1" || sec_fail "NSD logged no transfer for serial $1"
}
# sec_expect_ixfr WHAT SERIAL: NSD's transfer to SERIAL was an increment.
sec_expect_ixfr() {
	local b
	case $1 in
	registration)
		ok "NSD at serial $2"
		sec_wait_logged "$2"
		b=$(xfr_bytes "$2")
		[ "$(dnsd_ixfr_count)" -gt "$IX_BEFORE" ] || fail "dnsd logged no IXFR request from NSD"
		[ "$b" -lt $((AXFR_BYTES / 4)) ] ||
			sec_fail "the transfer to serial $2 was $b bytes, not an increment (the AXFR is $AXFR_BYTES bytes)"
		ok "NSD used IXFR: $b bytes for serial $2 against $AXFR_BYTES for the AXFR"
		;;
	deregistration)
		b=$(xfr_bytes "$2")
		[ -n "$b" ] && [ "$b" -lt $((AXFR_BYTES / 4)) ] || sec_fail "deregistration: transfer of '${b:-?}' bytes, not an IXFR"
		ok "NSD used IXFR for the deregistration ($b bytes)"
		;;
	esac
}
sec_expect_fallback() {
	local bf axfr_bytes_f
	bf=$(xfr_bytes "$1")
	axfr_norm "$PORT" "$WORK/pf"
	axfr_bytes_f=$(axfr_bytes "$WORK/pf.raw")
	[ "$bf" -ge $((axfr_bytes_f * 9 / 10)) ] ||
		sec_fail "NSD's transfer to $1 was $bf bytes; the fallback should send the whole zone ($axfr_bytes_f bytes)"
	ok "NSD asked for IXFR and got the whole zone: $bf bytes (AXFR $axfr_bytes_f)"
}
sec_log_checks() {
	grep -qE 'error|failed' "$SEC_LOG" && { grep -E 'error|failed' "$SEC_LOG" | head -n 5 >&2; sec_fail "NSD logged errors"; }
	ok "no errors in NSD's log"
}

secondary_flow
done_ok
