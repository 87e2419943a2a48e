#!/bin/bash
# t_reload_conf.sh -- SIGHUP re-reads the configuration (dnsd.conf(5),
# RELOADING): a zone added is served, a zone removed is REFUSED, a key
# added signs updates and a key removed no longer does; a bad
# configuration, or a new zone with a broken file, is refused with
# file:line and the running one stays; a setting that needs a restart is
# named; dnsdctl reload checks first and signals through the pid file; and
# a query stream over UDP and TCP sees no failure during 20 reloads.
. "$(dirname "$0")/lib.sh"

need_tool dig
need_tool nsupdate
CTL=$BUILDDIR/tools/dnsdctl
[ -x "$CTL" ] || hard_error "no dnsdctl at $CTL (build first)"

K1=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
K2=c2Vjb25kLWtleS1zZWNvbmQta2V5LXNlY29uZC1rZXk=
mkdir -p "$WORK/etc/zones"
CONF=$WORK/etc/dnsd.conf

# zone_file ORIGIN RECORD...: a zone file in etc/zones (relative to the
# configuration file, as the configuration names it).
zone_file() {
	local origin=$1 r
	shift
	{
		echo "\$ORIGIN $origin."
		echo "\$TTL 60"
		echo "@ IN SOA ns1 hostmaster 1 3600 600 86400 30"
		echo "  IN NS ns1"
		echo "ns1 IN A 127.0.0.1"
		for r in "$@"; do echo "$r"; done
	} >"$WORK/etc/zones/$origin.zone"
}
zone_file a.test "stable IN A 192.0.2.1"
zone_file b.test "host IN A 192.0.2.2"

# write_conf [EXTRA...]: the configuration: key k1, zone a.test, and
# each EXTRA line appended. Written to a temporary file and renamed.
write_conf() {
	{
		echo "key k1 { algorithm hmac-sha256; secret \"$K1\"; }"
		echo 'zone "a.test" {'
		echo '    file "zones/a.test.zone"'
		echo '    grant k1 zone'
		echo '}'
		printf '%s\n' "$@"
	} >"$CONF.tmp"
	mv "$CONF.tmp" "$CONF"
}
ZONE_B='zone "b.test" { file "zones/b.test.zone"; grant k2 zone; }'
KEY_K2="key k2 { algorithm hmac-sha256; secret \"$K2\"; }"

GEN=1
mark_log() { LOGMARK=$(wc -l <"$DNSD_LOG"); }
log_since() { tail -n "+$((LOGMARK + 1))" "$DNSD_LOG" | grep -qE -- "$1"; }
log_text_since() { tail -n "+$((LOGMARK + 1))" "$DNSD_LOG"; }

# reload_ok WHAT: SIGHUP, then the log says the next generation is served.
reload_ok() {
	mark_log
	kill -HUP "$DNSD_PID"
	GEN=$((GEN + 1))
	if wait_for 10 log_since "reload: configuration generation $GEN:"; then
		ok "$1: generation $GEN is served"
	else
		log_text_since | sed 's/^/    | /' >&2
		not_ok "$1: no 'reload: configuration generation $GEN' in the log"
	fi
}

# reload_refused WHAT: SIGHUP, then the log says it was refused.
reload_refused() {
	mark_log
	kill -HUP "$DNSD_PID"
	if wait_for 10 log_since "reload refused: still serving configuration generation $GEN"; then
		ok "$1: refused, generation $GEN still served"
	else
		log_text_since | sed 's/^/    | /' >&2
		not_ok "$1: no 'reload refused' in the log"
	fi
}

# nsup KEYNAME SECRET ZONE CMD...: a signed update; NSUP_OUT, NSUP_RC.
nsup() {
	local kn=$1 sec=$2 zone=$3
	shift 3
	NSUP_OUT=$({
		echo "server 127.0.0.1 $PORT"
		echo "zone $zone"
		printf '%s\n' "$@"
		echo send
	} | nsupdate -t 3 -y "hmac-sha256:$kn:$sec" 2>&1)
	NSUP_RC=$?
}

short() { dig @127.0.0.1 -p "$PORT" +norec +time=1 +tries=1 +short "$@"; }

# qc NAME TYPE: a query that the UDP answer cache can hold: no random
# cookie, and always the same source port, so the same worker (SO_REUSEPORT
# hashes the addresses and ports) answers it each time.
SPORT=$(pick_port) || hard_error "no free port"
qc() {
	CLIENT=dig
	OUT=$(dig @127.0.0.1 -p "$PORT" -b "127.0.0.1#$SPORT" +nocookie +norec +time=2 +tries=1 "$@" 2>&1)
}

write_conf
WAIT_ZONE=a.test
start_dnsd -c "$CONF" || hard_error "dnsd did not start"

note "the pid file"
PIDFILE=$STORE/dnsd.pid
[ "$(cat "$PIDFILE" 2>/dev/null)" = "$DNSD_PID" ] &&
	ok "$PIDFILE holds the server's pid" || not_ok "$PIDFILE does not hold pid $DNSD_PID"

STOP=$WORK/qloop.stop
py qloop.py "$PORT" stable.a.test 192.0.2.1 "$STOP" 120 >"$WORK/qloop.out" 2>&1 &
QPID=$!
track_pid "$QPID"
sleep 0.2

note "a zone and a key added by reload"
qc host.b.test A
assert_rcode REFUSED "before b.test is added"
qc host.b.test A
assert_rcode REFUSED "before b.test is added, asked again"
write_conf "$KEY_K2" "$ZONE_B"
reload_ok "zone b.test and key k2 added"
log_since 'reload: zone b\.test\. added' && ok "the log names the zone added" ||
	not_ok "no 'reload: zone b.test. added'"
log_since 'reload: key k2 added' && ok "the log names the key added" || not_ok "no 'reload: key k2 added'"
qc host.b.test A
assert_rr ANSWER '192\.0\.2\.2$' "b.test added: served at once, also to a question asked before"
nsup k2 "$K2" b.test "update add new.b.test 60 A 192.0.2.20"
[ "$NSUP_RC" = 0 ] && ok "an update signed with the new key k2 is accepted" ||
	not_ok "update with k2 failed: $NSUP_OUT"
expect_answer new.b.test A '192\.0\.2\.20$'

note "a zone removed by reload"
# Asked twice: the worker's answer cache holds the answer, and a reload
# changes no record.
qc host.b.test A
assert_rr ANSWER '192\.0\.2\.2$' "b.test before it is removed"
qc host.b.test A
assert_rr ANSWER '192\.0\.2\.2$' "b.test before it is removed, from the answer cache"
write_conf "$KEY_K2"
reload_ok "zone b.test removed"
log_since 'reload: zone b\.test\. removed' && ok "the log names the zone removed" ||
	not_ok "no 'reload: zone b.test. removed'"
qc host.b.test A
assert_rcode REFUSED "b.test removed: REFUSED at once, also from the worker that had the answer cached"
expect_rcode REFUSED host.b.test A +tcp

note "a key removed by reload"
nsup k1 "$K1" a.test "update add k1.a.test 60 A 192.0.2.30"
[ "$NSUP_RC" = 0 ] && ok "k1 signs updates before" || not_ok "update with k1 failed: $NSUP_OUT"
{
	echo 'zone "a.test" { file "zones/a.test.zone"; grant k2 zone; }'
	echo "$KEY_K2"
} >"$CONF"
reload_ok "key k1 removed"
log_since 'reload: key k1 removed' && ok "the log names the key removed" || not_ok "no 'reload: key k1 removed'"
nsup k1 "$K1" a.test "update add k1b.a.test 60 A 192.0.2.31"
grep -q 'BADKEY' <<<"$NSUP_OUT" && ok "an update signed with the removed key gets BADKEY" ||
	not_ok "removed key k1: expected BADKEY, got: $NSUP_OUT"
write_conf "$KEY_K2"
reload_ok "back to k1 and k2"

note "a bad configuration is refused, and the running one stays"
cp "$CONF" "$WORK/good.conf"
{ cat "$WORK/good.conf"; echo; echo "zone c.test { colour blue }"; } >"$CONF"
BADLINE=$(grep -n 'colour' "$CONF" | cut -d: -f1)
reload_refused "unknown setting"
log_since "$CONF:$BADLINE: colour: unknown zone setting" &&
	ok "the error names $CONF:$BADLINE" || { log_text_since >&2; not_ok "no '$CONF:$BADLINE' in the log"; }
expect_rcode REFUSED c.test SOA
nsup k1 "$K1" a.test "update add still.a.test 60 A 192.0.2.32"
[ "$NSUP_RC" = 0 ] && ok "the running keys still work after a refused reload" ||
	not_ok "update with k1 after a refused reload failed: $NSUP_OUT"

{ cat "$WORK/good.conf"; echo "zone c.test { grant nokey zone }"; } >"$CONF"
reload_refused "grant naming an undefined key"
log_since "$CONF:[0-9]+: grant: no key nokey is defined" && ok "the error names the grant's file:line" ||
	{ log_text_since >&2; not_ok "no file:line for the grant naming nokey"; }

zone_file c.test "broken IN A 192.0.2.300"
{ cat "$WORK/good.conf"; echo 'zone c.test { file "zones/c.test.zone" }'; } >"$CONF"
reload_refused "a new zone whose file is broken"
log_since "$WORK/etc/zones/c.test.zone:6" && ok "the error names the zone file's line" ||
	{ log_text_since >&2; not_ok "no c.test.zone:6 in the log"; }
expect_rcode REFUSED c.test SOA

note "a setting that needs a restart"
{ cat "$WORK/good.conf"; echo "answer-cache 1M"; } >"$CONF"
reload_ok "answer-cache changed"
log_since 'reload: answer-cache changed; it takes a restart' && ok "the log says answer-cache takes a restart" ||
	not_ok "no warning that answer-cache takes a restart"
cp "$WORK/good.conf" "$CONF"

note "20 reloads with queries running, a zone coming and going"
for i in $(seq 1 20); do
	if [ $((i % 2)) = 1 ]; then
		{ cat "$WORK/good.conf"; echo "zone r$i.test"; } >"$CONF"
	else
		cp "$WORK/good.conf" "$CONF"
	fi
	mark_log
	kill -HUP "$DNSD_PID"
	GEN=$((GEN + 1))
	wait_for 10 log_since "reload: configuration generation $GEN:" || break
	if [ $((i % 2)) = 1 ]; then
		[ "$(short SOA "r$i.test" | awk '{print $1}')" = "ns.r$i.test." ] || break
	else
		q "r$((i - 1)).test" SOA
		[ "$(out_rcode)" = REFUSED ] || break
	fi
	RELOADS=$i
done
[ "${RELOADS:-0}" = 20 ] && ok "20 reloads, each applied, its zone served or REFUSED at once" ||
	not_ok "reload $((${RELOADS:-0} + 1)) of 20 was not applied or not answered as configured"

note "dnsdctl reload"
mark_log
out=$("$CTL" -c "$CONF" -s "$STORE" reload 2>&1)
rc=$?
[ "$rc" = 0 ] && ok "dnsdctl reload exits 0" || not_ok "dnsdctl reload exited $rc: $out"
grep -q "pid $DNSD_PID" <<<"$out" && ok "dnsdctl reload names the pid it signalled" ||
	not_ok "dnsdctl reload output: $out"
GEN=$((GEN + 1))
wait_for 10 log_since "reload: configuration generation $GEN:" && ok "dnsdctl reload: generation $GEN" ||
	not_ok "dnsdctl reload did not make dnsd reload"
{ cat "$WORK/good.conf"; echo "workers many"; } >"$CONF"
mark_log
out=$("$CTL" -c "$CONF" -s "$STORE" reload 2>&1)
rc=$?
[ "$rc" = 1 ] && ok "dnsdctl reload of a bad configuration exits 1" || not_ok "dnsdctl reload exited $rc: $out"
grep -q "$CONF:[0-9]*: workers" <<<"$out" && ok "dnsdctl reload names file:line" || not_ok "dnsdctl said: $out"
sleep 0.3
log_since 'SIGHUP' && not_ok "dnsdctl signalled dnsd although the configuration is bad" ||
	ok "dnsdctl did not signal dnsd for a bad configuration"
cp "$WORK/good.conf" "$CONF"

touch "$STOP"
wait "$QPID"
qrc=$?
sed 's/^/    /' "$WORK/qloop.out"
nq=$(sed -n 's/^queries=\([0-9]*\) .*/\1/p' "$WORK/qloop.out")
if [ "$qrc" = 0 ] && [ "${nq:-0}" -ge 100 ]; then
	ok "$nq queries (UDP and TCP) during $((GEN - 1)) reloads: every one answered, and rightly"
else
	not_ok "the query stream saw failures or ran too few queries: $(cat "$WORK/qloop.out")"
fi
dnsd_alive && ok "dnsd still runs" || not_ok "dnsd died"

stop_dnsd
# 0, also under the sanitizers: LeakSanitizer fails the exit if any
# generation leaked.
[ "$DNSD_STATUS" = 0 ] && ok "dnsd exits 0 after its reloads" || not_ok "dnsd exited $DNSD_STATUS"
[ ! -e "$PIDFILE" ] && ok "the pid file is removed at exit" || not_ok "$PIDFILE left behind"
out=$("$CTL" -c "$CONF" -s "$STORE" reload 2>&1)
[ $? = 1 ] && grep -q 'dnsd.pid' <<<"$out" && ok "dnsdctl reload without a running dnsd says so" ||
	not_ok "dnsdctl reload without dnsd: $out"

done_ok
