#!/bin/bash
# t_store_full.sh -- a store that fills stays usable (issue 17: with leases
# due, the reaper hit MDB_MAP_FULL, retried at once, spun a core and wrote
# up to 65k log lines a second; deletes failed too in a zone with a
# journal, and only a restart with a bigger store-size recovered).
# At a small scale: a 1 MiB store, registrations with an 8 s lease until
# one is refused; then a delete, the reaper, no log flood, no spinning,
# and adds again once the leases are gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"
need_tool dig
need_dnspython

Z=full.test
UZONE=$Z
REG=$(new_secret 32)
KREG="hmac-sha256:registrar:$REG"
cat >"$WORK/dnsd.conf" <<CONF
key "registrar" { algorithm hmac-sha256; secret "$REG"; }
store-size 1M
store-high-water 70
zone "$Z" {
	journal-size 1000;
	min-lease 1; max-lease 3600;
}
CONF
STORE=$WORK/store
WAIT_ZONE=$Z
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"
cp "$WORK/upd.py" "$WORK/upd_mod.py" 2>/dev/null
export PYTHONPATH=$WORK

out=$("$PYDNS" "$TESTDIR/overload.py" fill "$PORT" "$KREG" "$Z" 1500 8 a 2>&1)
note "fill: $out"
grep -q '^refused after [1-9][0-9]* rcode=REFUSED' <<<"$out" &&
	ok "adds are refused with REFUSED once the store is past its high-water mark" ||
	not_ok "adds to a filling store: $out"
log_has 'at the high-water mark' && ok "the high-water mark is logged" || not_ok "no log line for the high-water mark"

# A delete (journaled) still goes through. Past the mark the journal is
# trimmed hard, which may free enough for more adds: fill again until the
# store is full of live records, and delete once more.
upd -k "$KREG" -z "$Z." "delname a0-0"
expect_update NOERROR "a delete in the full store"
out=$("$PYDNS" "$TESTDIR/overload.py" fill "$PORT" "$KREG" "$Z" 1500 8 b 2>&1)
note "fill again: $out"
grep -q '^refused after [0-9]* rcode=REFUSED' <<<"$out" &&
	ok "full of live records: adds refused with REFUSED" || not_ok "second fill: $out"
upd -k "$KREG" -z "$Z." -l 8 "add extra 60 A 10.3.0.1"
expect_update REFUSED "one more add while full"
upd -k "$KREG" -z "$Z." "delname b1-1"
expect_update NOERROR "a delete in the store full of live records"

# The leases run out: the reaper removes them (a delete-only commit).
# Meanwhile the server does not spin: its CPU time over 5 s stays small.
c0=$("$PYTHON" "$TESTDIR/overload.py" cputime "$DNSD_PID")
sleep 5
c1=$("$PYTHON" "$TESTDIR/overload.py" cputime "$DNSD_PID")
note "CPU seconds used in 5 s while leases ran out: $c0 -> $c1"
awk -v a="$c0" -v b="$c1" 'BEGIN { exit !(b - a < 1.0) }' &&
	ok "no spinning while full (< 1 CPU second in 5 s)" || not_ok "spinning: $c0 -> $c1 CPU seconds"

ok_after=
for i in $(seq 1 60); do
	upd -k "$KREG" -z "$Z." -l 60 "add again 60 A 10.3.0.2"
	[ "$UPD_RCODE" = NOERROR ] && { ok_after=$i; break; }
	sleep 0.25
done
[ -n "$ok_after" ] && ok "adds served again once the leases are reaped (no restart)" ||
	not_ok "adds still refused after the leases ran out: $UPD_RCODE"
expect_answer again.$Z A '10\.3\.0\.2'
for i in $(seq 1 50); do
	q b2-2.$Z TXT
	grep -q 'status: NXDOMAIN' <<<"$OUT" && break
	sleep 0.25
done
assert_rcode NXDOMAIN "a registration of the full store is gone at its lease's end"

n=$(grep -cE 'MAP_FULL|write transaction failed|reaper:' "$DNSD_LOG")
[ "$n" -le 4 ] && ok "store errors logged in $n line(s), not a flood" || not_ok "$n store error lines in the log"
dnsd_alive && ok "dnsd still runs" || fail "dnsd died"
stop_dnsd

# ---- no reserve at all (store-high-water 100): the map itself fills ----
# Commits then fail with MDB_MAP_FULL. The reaper, with leases due, must
# back off instead of retrying at once, and log once a minute.
sed -i 's/^store-high-water 70$/store-high-water 100/' "$WORK/dnsd.conf"
STORE=$WORK/store2
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start (2)"
out=$("$PYDNS" "$TESTDIR/overload.py" fill "$PORT" "$KREG" "$Z" 3000 3 c 2>&1)
note "fill to the end of the map: $out"
grep -q '^refused after [1-9][0-9]* rcode=SERVFAIL' <<<"$out" &&
	ok "a full map: adds get SERVFAIL" || not_ok "filling the map: $out"
sleep 3 # the leases are due: the reaper works, or fails and backs off
c0=$("$PYTHON" "$TESTDIR/overload.py" cputime "$DNSD_PID")
sleep 4
c1=$("$PYTHON" "$TESTDIR/overload.py" cputime "$DNSD_PID")
note "CPU seconds in 4 s with the map full and leases due: $c0 -> $c1"
awk -v a="$c0" -v b="$c1" 'BEGIN { exit !(b - a < 1.0) }' &&
	ok "the reaper does not spin on a full map (< 1 CPU second in 4 s)" ||
	not_ok "spinning on a full map: $c0 -> $c1 CPU seconds"
n=$(grep -cE 'MAP_FULL|write transaction failed|reaper:' "$DNSD_LOG")
[ "$n" -le 6 ] && ok "a full map logged in $n line(s)" || not_ok "$n store error lines for a full map"
note "$(grep -E 'reaper|store:' "$DNSD_LOG" | tail -3)"
dnsd_alive && ok "dnsd still runs with a full map" || fail "dnsd died with a full map"
stop_dnsd
done_ok
