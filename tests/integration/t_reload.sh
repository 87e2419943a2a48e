#!/bin/bash
# t_reload.sh -- zone files over a server's life: `dnsd -n` (check mode),
# a broken file at start, SIGHUP reload (changed, unchanged, broken)
# with queries running throughout, restart on the same store, and a zone
# given without a file (generated SOA and NS). See dnsd(8) SIGNALS.
. "$(dirname "$0")/lib.sh"

need_tool dig

mkdir -p "$WORK/zones"
FILLER=${FILLER:-20000}
ZF=$WORK/zones/rl.test.zone
ZF2=$WORK/zones/rl2.test.zone

# write_zone FILE ORIGIN SERIAL [RECORD...]: a small zone, written to a
# temporary file and renamed into place (what editors and deploy tools do).
write_zone() {
	local file=$1 origin=$2 serial=$3 r
	shift 3
	{
		echo "\$ORIGIN $origin."
		echo "\$TTL 60"
		echo "@ IN SOA ns1 hostmaster $serial 3600 600 86400 30"
		echo "  IN NS ns1"
		echo "ns1 IN A 127.0.0.1"
		echo "stable IN A 192.0.2.1"
		for r in "$@"; do
			echo "$r"
		done
		# bulk, so that a reload takes long enough to overlap queries
		[ "$origin" = rl.test ] && awk -v n="$FILLER" 'BEGIN {
			for (i = 1; i <= n; i++)
				printf "fill-%d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
		}'
	} >"$file.tmp"
	mv "$file.tmp" "$file"
}

# soa_serial ZONE: the serial dnsd serves now.
soa_serial() {
	dig @127.0.0.1 -p "$PORT" +norec +time=1 +tries=1 +short SOA "$1" | awk '{print $3}'
}

# answers NAME ADDRESS: dnsd answers NAME A with ADDRESS.
answers() {
	[ "$(dig @127.0.0.1 -p "$PORT" +norec +time=1 +tries=1 +short A "$1")" = "$2" ]
}

# Log lines written since mark_log.
mark_log() { LOGMARK=$(wc -l <"$DNSD_LOG"); }
log_since() { tail -n "+$((LOGMARK + 1))" "$DNSD_LOG" | grep -qE -- "$1"; }

# expect_line_ref TEXT FILE LINE WHAT: TEXT names FILE:LINE. That it names
# the file with some line is required; that the line is the right one is
# checked separately (a wrong number is a failed check, the test goes on).
expect_line_ref() {
	local text=$1 file=$2 line=$3 what=$4 got
	got=$(grep -oE -- "$file:[0-9]+" <<<"$text" | head -n 1)
	[ -n "$got" ] || { echo "$text" | sed 's/^/    | /'; fail "$what: no message naming $file:LINE"; }
	ok "$what: the message names $got"
	if [ "$got" = "$file:$line" ]; then
		ok "$what: the line number is the line of the bad record ($line)"
	else
		not_ok "$what: expected $file:$line (the bad record's line), the message says $got"
	fi
}

write_zone "$ZF" rl.test 1 "gone IN A 192.0.2.66"
write_zone "$ZF2" rl2.test 1 "old IN TXT \"first\""
CONF=$WORK/dnsd.conf
cat >"$CONF" <<EOF
# t_reload
zone "rl.test" {
    file "$ZF"
}
zone "rl2.test" {
    file "$ZF2"
}
EOF

# A zone file whose 7th line is bad, with good lines after it.
BAD=$WORK/zones/bad.zone
cat >"$BAD" <<'EOF'
$ORIGIN rl.test.
$TTL 60
@ IN SOA ns1 hostmaster 1 3600 600 86400 30
  IN NS ns1
ns1 IN A 127.0.0.1
stable IN A 192.0.2.1
broken IN A 192.0.2.300
after IN A 192.0.2.2
EOF
BAD_LINE=7

# ---- dnsd -n -------------------------------------------------------------
note "check mode: dnsd -n"
out=$("$DNSD" -n -c "$CONF" -s "$WORK/nostore" 2>&1)
rc=$?
[ "$rc" = 0 ] || { echo "$out"; fail "dnsd -n on a good configuration exited $rc"; }
ok "dnsd -n on a good configuration exits 0"
grep -q 'configuration OK: 2 zones' <<<"$out" || { echo "$out"; fail "dnsd -n did not report 'configuration OK: 2 zones'"; }
ok "dnsd -n reports 'configuration OK: 2 zones'"
[ ! -e "$WORK/nostore" ] || fail "dnsd -n created the store folder (dnsd(8): the store is not touched)"
ok "dnsd -n does not create the store"

out=$("$DNSD" -n -z "rl.test:$BAD" 2>&1)
rc=$?
[ "$rc" = 1 ] || { echo "$out"; fail "dnsd -n on a bad zone file exited $rc, expected 1"; }
ok "dnsd -n -z on a bad zone file exits 1"
expect_line_ref "$out" "$BAD" "$BAD_LINE" "dnsd -n, bad zone file"

CONFBAD=$WORK/badzone.conf
printf 'zone "rl.test" {\n    file "%s"\n}\n' "$BAD" >"$CONFBAD"
out=$("$DNSD" -n -c "$CONFBAD" 2>&1)
rc=$?
[ "$rc" = 1 ] || { echo "$out"; fail "dnsd -n -c with a bad zone file exited $rc, expected 1"; }
ok "dnsd -n -c with a bad zone file exits 1"
grep -q -- "$BAD:[0-9]" <<<"$out" || { echo "$out"; fail "dnsd -n -c: no file:line"; }
ok "dnsd -n -c names the bad zone file with a line"

CONFSYN=$WORK/syntax.conf
printf '# a config with an unknown setting on line 3\nworkers 2\nno-such-setting 1\n' >"$CONFSYN"
out=$("$DNSD" -n -c "$CONFSYN" 2>&1)
rc=$?
[ "$rc" = 1 ] || { echo "$out"; fail "dnsd -n on a bad configuration exited $rc, expected 1"; }
ok "dnsd -n on a configuration with an unknown setting exits 1"
grep -q -- "$CONFSYN:3:" <<<"$out" || { echo "$out"; fail "dnsd -n: the config error does not name $CONFSYN:3"; }
ok "dnsd -n names $CONFSYN:3"

out=$("$DNSD" -n -c "$ZONES/dnsd.conf" 2>&1)
rc=$?
[ "$rc" = 0 ] || { echo "$out"; fail "dnsd -n on the shipped zones/dnsd.conf exited $rc"; }
ok "dnsd -n accepts the shipped zones/dnsd.conf"

# ---- a broken zone file at start -------------------------------------------
note "a broken zone file at start"
BPORT=$(pick_port) || hard_error "no free port"
out=$(timeout 10 "$DNSD" -f -l "127.0.0.1@$BPORT" -s "$WORK/store-bad" -z "rl.test:$BAD" 2>&1)
rc=$?
[ "$rc" != 124 ] || fail "dnsd with a broken zone file kept running (killed after 10 s)"
[ "$rc" != 0 ] || { echo "$out"; fail "dnsd with a broken zone file exited 0"; }
ok "dnsd with a broken zone file at start exits $rc"
expect_line_ref "$out" "$BAD" "$BAD_LINE" "start with a bad zone file"

# ---- reload while queries run ------------------------------------------------
note "start, then SIGHUP reloads with queries running"
STORE=$WORK/store
WAIT_ZONE=rl.test
start_dnsd -c "$CONF" -v debug || hard_error "dnsd did not start"
q stable.rl.test A
assert_rr ANSWER '^stable\.rl\.test\. 60 IN A 192\.0\.2\.1$' "initial data"
assert_flag aa "initial data"
expect_answer gone.rl.test A '192\.0\.2\.66$'
[ "$(soa_serial rl.test)" = 1 ] || fail "initial serial: expected 1, got $(soa_serial rl.test)"
ok "initial serial 1"
expect_rcode NXDOMAIN new.rl.test A

STOP=$WORK/qloop.stop
py qloop.py "$PORT" stable.rl.test 192.0.2.1 "$STOP" 40 >"$WORK/qloop.out" 2>&1 &
QPID=$!
track_pid "$QPID"
sleep 0.3

note "SIGHUP after adding a record, removing one and bumping the serial"
write_zone "$ZF" rl.test 2 "new IN A 192.0.2.99"
mark_log
kill -HUP "$DNSD_PID"
wait_for 5 answers new.rl.test 192.0.2.99 || fail "new.rl.test not served within 5 s of SIGHUP"
ok "the new record is served after SIGHUP"
[ "$(soa_serial rl.test)" = 2 ] || fail "serial after reload: expected 2, got $(soa_serial rl.test)"
ok "serial 2 from the file is served"
expect_rcode NXDOMAIN gone.rl.test A
log_has 'zone rl\.test\.: reloaded [0-9]+ records' || fail "the log does not say rl.test was reloaded"
ok "the log says rl.test was reloaded"
wait_for 3 log_since "rl2\.test\.: .*unchanged, not re-read" || fail "rl2.test (unchanged) was not reported as not re-read"
ok "the unchanged rl2.test was not re-read"

note "SIGHUP with nothing changed"
mark_log
kill -HUP "$DNSD_PID"
wait_for 5 log_since "rl\.test\.: .*unchanged, not re-read" || fail "no 'unchanged, not re-read' at debug after an idle SIGHUP"
ok "SIGHUP without changes: 'unchanged, not re-read'"
log_since 'reloaded' && fail "an unchanged file was reloaded"
ok "SIGHUP without changes reloads nothing"
[ "$(soa_serial rl.test)" = 2 ] || fail "serial changed without a change"
ok "serial still 2"

note "SIGHUP after a change that forgot to bump the serial"
write_zone "$ZF" rl.test 2 "new IN A 192.0.2.99" "more IN A 192.0.2.100"
kill -HUP "$DNSD_PID"
wait_for 5 answers more.rl.test 192.0.2.100 || fail "more.rl.test not served within 5 s of SIGHUP"
ok "changed file with the same serial is still reloaded"
s=$(soa_serial rl.test)
[ -n "$s" ] && [ "$s" -gt 2 ] || fail "serial after a change without a new serial: expected > 2, got '$s'"
ok "the served serial moved forward anyway ($s)"
SERIAL_NOW=$s

note "SIGHUP with a broken rl.test and a changed rl2.test"
cp "$ZF" "$WORK/rl.test.good"
{
	cat "$WORK/rl.test.good"
	echo 'broken IN AAAA not-an-address'
	echo 'later IN A 192.0.2.101'
} >"$ZF.tmp"
mv "$ZF.tmp" "$ZF"
BROKEN_LINE=$(grep -n '^broken' "$ZF" | cut -d: -f1)
write_zone "$ZF2" rl2.test 2 "old IN TXT \"second\""
mark_log
kill -HUP "$DNSD_PID"
wait_for 5 log_since 'kept their previous data|not loaded' || fail "no error logged for the broken rl.test"
ok "the reload of the broken zone is reported"
expect_line_ref "$(tail -n "+$((LOGMARK + 1))" "$DNSD_LOG")" "$ZF" "$BROKEN_LINE" "SIGHUP with a bad zone file"
wait_for 5 eval '[ "$(dig @127.0.0.1 -p "$PORT" +short TXT old.rl2.test)" = "\"second\"" ]' ||
	fail "rl2.test was not reloaded next to the broken rl.test"
ok "rl2.test reloaded although rl.test is broken"
expect_answer more.rl.test A '192\.0\.2\.100$'
expect_answer new.rl.test A '192\.0\.2\.99$'
expect_rcode NXDOMAIN later.rl.test A
[ "$(soa_serial rl.test)" = "$SERIAL_NOW" ] || fail "serial of the broken zone changed"
ok "rl.test keeps its previous data and serial $SERIAL_NOW"

note "SIGHUP after the file is fixed"
write_zone "$ZF" rl.test $((SERIAL_NOW + 1)) "new IN A 192.0.2.99" "more IN A 192.0.2.100" "fixed IN A 192.0.2.102"
kill -HUP "$DNSD_PID"
wait_for 5 answers fixed.rl.test 192.0.2.102 || fail "fixed.rl.test not served within 5 s"
ok "the fixed file is loaded"
SERIAL_NOW=$(soa_serial rl.test)
[ "$SERIAL_NOW" -gt "$s" ] || fail "serial did not move forward after the fix"
ok "serial $SERIAL_NOW"

touch "$STOP"
wait "$QPID"
qrc=$?
cat "$WORK/qloop.out" | sed 's/^/    /'
[ "$qrc" = 0 ] || fail "queries failed during the reloads: $(cat "$WORK/qloop.out")"
nq=$(sed -n 's/^queries=\([0-9]*\) .*/\1/p' "$WORK/qloop.out")
[ "${nq:-0}" -ge 50 ] || fail "too few queries ran during the reloads (${nq:-0})"
ok "$nq queries (UDP and TCP) during 5 reloads of a $FILLER-record zone: no SERVFAIL, no timeout, no wrong answer"

# ---- restart on the same store -----------------------------------------------
note "restart on the same store with unchanged zone files"
stop_dnsd
[ "$DNSD_STATUS" = 0 ] || fail "dnsd exited $DNSD_STATUS on SIGTERM"
ok "dnsd stopped cleanly"
t0=$(date +%s%N)
start_dnsd -c "$CONF" -v debug || hard_error "dnsd did not restart"
ms=$((($(date +%s%N) - t0) / 1000000))
answers fixed.rl.test 192.0.2.102 || fail "after restart fixed.rl.test is not served"
ok "answers at once after restart (first SOA answer after $ms ms)"
[ "$(soa_serial rl.test)" = "$SERIAL_NOW" ] || fail "serial after restart: expected $SERIAL_NOW, got $(soa_serial rl.test)"
ok "serial $SERIAL_NOW kept across the restart"
log_has "zone rl\.test\.: .*rl\.test\.zone unchanged, not re-read" || fail "log does not say rl.test was not re-read"
log_has "zone rl2\.test\.: .*rl2\.test\.zone unchanged, not re-read" || fail "log does not say rl2.test was not re-read"
ok "the log says both unchanged files were not re-read"
log_has 'imported' && fail "an unchanged file was imported again at restart"
ok "nothing imported again"

note "restart after a file changed while dnsd was down"
stop_dnsd
write_zone "$ZF2" rl2.test 3 "old IN TXT \"third\""
start_dnsd -c "$CONF" -v debug || hard_error "dnsd did not restart"
q old.rl2.test TXT
assert_rr ANSWER 'TXT "third"$' "file changed while down"
log_has 'zone rl2\.test\.: imported' || fail "the changed rl2.test was not imported at restart"
ok "the changed file was imported at restart"
log_has "zone rl\.test\.: .*unchanged, not re-read" || fail "rl.test re-read although unchanged"
ok "the other, unchanged file was not"
stop_dnsd

# ---- a zone without a file ---------------------------------------------------
note "-z NAME without a file"
STORE=$WORK/store-gen
WAIT_ZONE=gen.test
start_dnsd -z gen.test || hard_error "dnsd did not start with -z gen.test"
q gen.test SOA
assert_rcode NOERROR "generated SOA"
assert_flag aa "generated SOA"
assert_rr ANSWER '^gen\.test\. [0-9]+ IN SOA ns\.gen\.test\. hostmaster\.gen\.test\. [0-9]+ 3600 600 1209600 60$' "generated SOA"
GSERIAL=$(soa_serial gen.test)
q gen.test NS
assert_rr ANSWER '^gen\.test\. [0-9]+ IN NS ns\.gen\.test\.$' "generated NS"
q foo.gen.test A
assert_rcode NXDOMAIN "name in a generated zone"
assert_rr AUTHORITY '^gen\.test\. [0-9]+ IN SOA ns\.gen\.test\. ' "generated zone NXDOMAIN"
log_has 'zone gen\.test\.: no zone file, generated SOA and NS' || fail "no log line about the generated SOA and NS"
ok "the log says the SOA and NS were generated"
stop_dnsd
start_dnsd -z gen.test || hard_error "dnsd did not restart with -z gen.test"
[ "$(soa_serial gen.test)" = "$GSERIAL" ] || fail "generated SOA changed across a restart ($GSERIAL -> $(soa_serial gen.test))"
ok "the generated SOA (serial $GSERIAL) is kept across a restart"
stop_dnsd

done_ok
