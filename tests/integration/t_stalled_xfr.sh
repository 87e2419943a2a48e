#!/bin/bash
# t_stalled_xfr.sh -- transfer clients that never read (issue 17: one held
# its LMDB snapshot for ever, so the store filled and updates failed; 256
# of them took every reader slot, and dnsdctl could not open the store).
# At a small scale: a zone of ~3 MB, transfer-max 3 and a 2 s send
# timeout; four clients ask for AXFR and never read.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"
need_tool dig
need_dnspython

Z=big.test
UZONE=$Z
"$PYTHON" - "$WORK/big.zone" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("$ORIGIN big.test.\n$TTL 300\n@ SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n")
    for i in range(12000):
        f.write('n%d TXT "%s"\n' % (i, "t%05d" % i * 30))
PY
REG=$(new_secret 32)
KREG="hmac-sha256:registrar:$REG"
cat >"$WORK/dnsd.conf" <<CONF
key "registrar" { algorithm hmac-sha256; secret "$REG"; }
transfer-max 3
transfer-client-limit 3
transfer-send-timeout 2
zone "$Z" {
	file "$WORK/big.zone";
	allow-transfer 127.0.0.1;
}
CONF
STORE=$WORK/store
WAIT_ZONE=$Z
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"

"$PYTHON" "$TESTDIR/overload.py" stall "$PORT" "$Z" 3 5 >"$WORK/stall.out" 2>&1 &
ST=$!
track_pid "$ST"
for i in $(seq 1 50); do grep -q started "$WORK/stall.out" && break; sleep 0.1; done
sleep 0.5

# A fourth transfer is over transfer-max: SERVFAIL at once.
out=$(dig @127.0.0.1 -p "$PORT" +time=3 +tries=1 AXFR "$Z" 2>&1)
grep -q 'Transfer failed\|SERVFAIL' <<<"$out" && ok "a fourth transfer while 3 run: refused (SERVFAIL)" ||
	not_ok "a fourth transfer while 3 run: $(tail -2 <<<"$out")"

# The stalled ones have been made ahead: no snapshot held, updates go on,
# dnsdctl opens the store.
for i in $(seq 1 20); do
	upd -k "$KREG" -z "$Z." "add u$i 60 A 10.2.0.$i"
	[ "$UPD_RCODE" = NOERROR ] || break
done
[ "$UPD_RCODE" = NOERROR ] && ok "20 updates while 3 transfers stall: NOERROR" ||
	not_ok "updates while transfers stall: $UPD_RCODE at update $i"
"$BUILDDIR/tools/dnsdctl" -s "$STORE" stats >"$WORK/stats.out" 2>&1 &&
	ok "dnsdctl opens the store while transfers stall" ||
	not_ok "dnsdctl could not open the store: $(tail -1 "$WORK/stats.out")"
note "$(grep -i reader "$WORK/stats.out")"

wait "$ST"
note "$(cat "$WORK/stall.out")"
grep -q 'cut 3 of 3' "$WORK/stall.out" && ok "the 3 stalled transfers were cut by the server" ||
	not_ok "stalled transfers not cut: $(tail -1 "$WORK/stall.out")"
log_has 'transfer cut: transfer-send-timeout' && ok "the cut is logged" || not_ok "the cut is not logged"

# And a client that reads gets the whole zone, with the updates.
n=$(dig @127.0.0.1 -p "$PORT" +time=10 +tries=1 AXFR "$Z" 2>/dev/null | grep -c 'IN[[:space:]]')
[ "$n" -ge 12024 ] && ok "a reading client then gets the whole zone ($n records)" ||
	not_ok "AXFR after the stall: $n records"
stop_dnsd
grep -qE 'limits that bit:.*transfers_cut=3.*' "$DNSD_LOG" && grep -qE 'transfers_limited=[1-9]' "$DNSD_LOG" &&
	ok "cuts and refusals counted" || not_ok "counts: $(grep 'limits that bit' "$DNSD_LOG")"
done_ok
