#!/bin/bash
# t_flood.sh -- an unsigned UPDATE flood takes no memory without bound and
# does not starve signed updates (issue 17: RSS went from 4 MB to 3.4 GB in
# 20 s and signed updates timed out). At a small scale: a few seconds of
# datagrams from an address allowed to send unsigned updates (queued, up
# to update-client-limit) and from one that is not (refused at arrival),
# while a registrar's signed updates must all be answered NOERROR.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"
need_tool dig
need_dnspython

Z=svc.example.test
REG=$(new_secret 32)
KREG="hmac-sha256:registrar:$REG"
cat >"$WORK/dnsd.conf" <<CONF
key "registrar" { algorithm hmac-sha256; secret "$REG"; }
update-client-limit 8
update-queue 256
zone "$Z" {
	file "$ZONES/$Z.zone";
	allow-update-unsigned 127.0.0.2;
}
CONF
STORE=$WORK/store
WORKERS=2
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DNSD_PID/status"; }
RSS0=$(rss_kb)

# Two flooders, 4 s or 150000 datagrams each.
"$PYTHON" "$TESTDIR/overload.py" flood "$PORT" 127.0.0.2 4 150000 "$Z" >"$WORK/flood2.out" 2>&1 &
F2=$!
"$PYTHON" "$TESTDIR/overload.py" flood "$PORT" 127.0.0.3 4 150000 "$Z" >"$WORK/flood3.out" 2>&1 &
F3=$!
track_pid "$F2"
track_pid "$F3"
sleep 0.5

good=0
peak=$RSS0
for i in $(seq 1 10); do
	upd -k "$KREG" "add reg$i 60 A 10.1.0.$i"
	[ "$UPD_RCODE" = NOERROR ] && good=$((good + 1))
	r=$(rss_kb)
	[ "$r" -gt "$peak" ] && peak=$r
done
wait "$F2" "$F3"
note "flooders: $(cat "$WORK/flood2.out") (allowed), $(cat "$WORK/flood3.out") (not allowed)"
r=$(rss_kb)
[ "$r" -gt "$peak" ] && peak=$r
note "RSS: ${RSS0} kB before, peak ${peak} kB"

[ "$good" = 10 ] && ok "10 signed updates during the flood: all NOERROR" ||
	not_ok "signed updates during the flood: only $good of 10 NOERROR"
[ $((peak - RSS0)) -lt 65536 ] && ok "RSS grew by less than 64 MiB ($((peak - RSS0)) kB)" ||
	not_ok "RSS grew by $((peak - RSS0)) kB under the flood"
dnsd_alive && ok "dnsd still runs" || fail "dnsd died"
expect_answer reg10.$Z A '10\.1\.0\.10'

nlines=$(grep -c 'update from 127.0.0.3' "$DNSD_LOG")
[ "$nlines" -ge 1 ] && [ "$nlines" -le 3 ] &&
	ok "refusals of 127.0.0.3 logged in $nlines line(s), not one per datagram" ||
	not_ok "refusals of 127.0.0.3: $nlines log lines"
stop_dnsd
grep -E 'limits that bit:.*updates_refused_at_arrival=[1-9]' "$DNSD_LOG" >/dev/null &&
	ok "unsigned updates from outside allow-update-unsigned refused at arrival (counted)" ||
	not_ok "no count of updates refused at arrival: $(grep 'limits that bit' "$DNSD_LOG")"
note "$(grep 'limits that bit' "$DNSD_LOG")"
done_ok
