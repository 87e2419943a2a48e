#!/bin/bash
# t_axfr.sh -- zone transfers from dnsd: AXFR content equals the zone
# (RFC 5936), a 100,000-record zone transfers as one consistent snapshot
# while updates commit, the transfer ACL by address and by TSIG key
# (RFC 8945), and IXFR (RFC 1995): incremental sequences, the up-to-date
# single SOA, the AXFR-style fallback, and IXFR over UDP.
. "$(dirname "$0")/lib.sh"

need_tool dig
need_tool drill   # ldnsutils, which also brings ldns-read-zone
command -v ldns-read-zone >/dev/null 2>&1 || skip "ldns-read-zone not available (ldnsutils)"
command -v base64 >/dev/null 2>&1 || skip "base64 not available"

UPDATE=$BUILDDIR/tools/dnsd-update
[ -x "$UPDATE" ] || hard_error "no dnsd-update at $UPDATE (build first)"

SVC=svc.example.test
EX=example.test
KZ=xfr-key.test      # transfers need the key xfrkey
BIG=big.test         # 100,000 A records
NBIG=100000
secret() { head -c 32 /dev/urandom | base64 -w0; }
REG_SECRET=$(secret)
XFR_SECRET=$(secret)
OTHER_SECRET=$(secret)
WRONG_SECRET=$(secret)

# xpy CMD ARGS...: run xfrcheck.py (the transfer client: RCODEs, TSIG on
# every message, snapshots and IXFR chains); its "ok - " lines count as
# checks, a "FAIL:" line fails the test. Other output lands in $XOUT.
xpy() {
	local out rc line
	out=$(PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$TESTDIR/xfrcheck.py" "$@" 2>&1)
	rc=$?
	XOUT=
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"FAIL: "*) fail "xfrcheck.py $1: ${line#FAIL: }" ;;
		*) XOUT+="$line"$'\n' ;;
		esac
	done <<<"$out"
	[ "$rc" = 0 ] || fail "xfrcheck.py $* exited $rc: $out"
}

# xq WHAT ARGS...: one transfer with xfrcheck.py query; field F of its summary
# line is then $(xf F).
xq() {
	xpy query "$PORT" "$@"
	XSUM=$(head -n 1 <<<"$XOUT")
}
xf() {
	tr ' ' '\n' <<<"$XSUM" | sed -n "s/^$1=//p"
}
# xexpect FIELD VALUE WHAT
xexpect() {
	local got
	got=$(xf "$1")
	[ "$got" = "$2" ] || fail "$3: expected $1=$2, got $1=$got ($XSUM)"
	ok "$3: $1=$2"
}

# ---- zones and configuration ----------------------------------------------------
cp "$ZONES/$SVC.zone" "$WORK/$SVC.zone"
"$PYTHON" "$TESTDIR/xfrzones.py" "$WORK" "$KZ" "$BIG" "$NBIG"
[ -s "$WORK/$BIG.zone" ] || hard_error "could not write the test zones"

CONF=$WORK/dnsd.conf
cat >"$CONF" <<CONF
# t_axfr: transfers by address (127.0.0.1 only) and by key (xfrkey only)
zone "$SVC" {
    file "$WORK/$SVC.zone"
    allow-transfer 127.0.0.1
    journal-size 1000
    default-lease 0
}
zone "$EX" {
    file "$ZONES/$EX.zone"
    allow-transfer 127.0.0.1
}
zone "$KZ" {
    file "$WORK/$KZ.zone"
    allow-transfer key xfrkey
}
zone "$BIG" {
    file "$WORK/$BIG.zone"
    allow-transfer 127.0.0.1
    journal-size 5000
    default-lease 0
}
key registrar { algorithm hmac-sha256; secret "$REG_SECRET"; }
key xfrkey { algorithm hmac-sha256; secret "$XFR_SECRET"; }
key otherkey { algorithm hmac-sha256; secret "$OTHER_SECRET"; }
CONF
"$DNSD" -n -c "$CONF" >"$WORK/check.log" 2>&1 || { cat "$WORK/check.log" >&2; hard_error "test configuration rejected"; }
start_dnsd -c "$CONF" || hard_error "dnsd did not start"

reg() {
	"$UPDATE" -s "127.0.0.1@$PORT" -t 5 -y "registrar:$REG_SECRET" "$@"
}
serial_of() {
	dig @127.0.0.1 -p "$PORT" +norec +short +time=2 +tries=2 SOA "$1" | awk '{print $3}'
}

# dig_xfr OUT ARGS...: dig a transfer into OUT; "XFR size" summary in XFR_SIZE.
dig_xfr() {
	local out=$1
	shift
	dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 "$@" >"$out" 2>&1
	XFR_SIZE=$(sed -n 's/^;; XFR size: //p' "$out")
}
# records FILE: the record lines of dig output (no comments, no TSIG).
records() {
	awk '!/^;/ && NF >= 4 && $4 != "TSIG"' "$1"
}
# norm FILE: a zone, normalised and sorted (names lower-cased, one SOA).
norm() {
	ldns-read-zone -z "$1" 2>/dev/null
}

# expect_same_zone ZONE FILE AXFR WHAT: the transfer equals the zone file.
expect_same_zone() {
	local file=$2 axfr=$3 what=$4 n_file n_xfr
	records "$axfr" >"$axfr.rr"
	norm "$file" >"$WORK/want.norm"
	norm "$axfr.rr" >"$WORK/got.norm"
	[ -s "$WORK/want.norm" ] || hard_error "ldns-read-zone could not read $file"
	if ! diff -u "$WORK/want.norm" "$WORK/got.norm" >"$WORK/zone.diff"; then
		head -n 40 "$WORK/zone.diff" >&2
		fail "$what: the transfer differs from the zone file $file"
	fi
	ok "$what: equals the zone file ($(wc -l <"$WORK/want.norm") records, normalised by ldns-read-zone -z)"
	# The raw stream: SOA first and last, nothing twice.
	n_file=$(wc -l <"$WORK/want.norm")
	n_xfr=$(wc -l <"$axfr.rr")
	[ "$n_xfr" -eq $((n_file + 1)) ] || fail "$what: $n_xfr records sent, expected $((n_file + 1)) (zone + closing SOA)"
	[ "$(head -n 1 "$axfr.rr" | awk '{print $4}')/$(tail -n 1 "$axfr.rr" | awk '{print $4}')" = SOA/SOA ] ||
		fail "$what: does not start and end with the SOA"
	[ "$(awk '$4 == "SOA"' "$axfr.rr" | wc -l)" -eq 2 ] || fail "$what: SOA sent more than twice"
	[ -z "$(sed '$d' "$axfr.rr" | tr -s ' \t' ' ' | sort | uniq -d | head -n 3)" ] ||
		fail "$what: a record sent twice"
	ok "$what: $n_xfr records, SOA first and last, no duplicates"
}

# ==== AXFR equals the zone ======================================================
note "AXFR of the example zones equals their zone files"
dig_xfr "$WORK/svc.axfr" AXFR "$SVC"
grep -q 'Transfer failed' "$WORK/svc.axfr" && { cat "$WORK/svc.axfr" >&2; fail "AXFR $SVC failed"; }
expect_same_zone "$SVC" "$WORK/$SVC.zone" "$WORK/svc.axfr" "AXFR $SVC"
dig_xfr "$WORK/ex.axfr" AXFR "$EX"
expect_same_zone "$EX" "$ZONES/$EX.zone" "$WORK/ex.axfr" "AXFR $EX (delegation, glue, wildcard, TYPE65280)"
grep -qE '^ns\.lab\.example\.test\.[[:space:]].*A[[:space:]]+192\.0\.2\.53' "$WORK/ex.axfr.rr" ||
	fail "AXFR $EX: glue below the zone cut missing"
ok "AXFR $EX: glue below the zone cut included (RFC 5936 3.1)"

# ==== the ACL by address =====================================================
note "transfers from an address the ACL does not list"
xq "$SVC" AXFR --src 127.0.0.2
xexpect rcode REFUSED "AXFR $SVC from 127.0.0.2"
xexpect records 0 "AXFR $SVC from 127.0.0.2"
xq "$SVC" IXFR --serial 1 --src 127.0.0.2
xexpect rcode REFUSED "IXFR $SVC from 127.0.0.2"
dig_xfr "$WORK/refused.axfr" -b 127.0.0.2 AXFR "$SVC"
grep -q 'Transfer failed' "$WORK/refused.axfr" || { cat "$WORK/refused.axfr" >&2; fail "dig -b 127.0.0.2 AXFR: expected 'Transfer failed'"; }
[ -z "$(records "$WORK/refused.axfr")" ] || fail "dig -b 127.0.0.2 AXFR: records were sent"
ok "dig -b 127.0.0.2 AXFR $SVC: Transfer failed, no records"
xq "$SVC" AXFR
xexpect rcode NOERROR "AXFR $SVC from 127.0.0.1 (allowed)"

# ==== the ACL by TSIG key ====================================================
note "zone $KZ: transfers only with the key xfrkey"
xq "$KZ" AXFR
xexpect rcode REFUSED "AXFR $KZ unsigned"
xexpect records 0 "AXFR $KZ unsigned"
xq "$KZ" AXFR --key "xfrkey:$WRONG_SECRET"
xexpect rcode NOTAUTH "AXFR $KZ, xfrkey with the wrong secret"
xexpect tsig_error BADSIG "AXFR $KZ, xfrkey with the wrong secret"
xexpect records 0 "AXFR $KZ, xfrkey with the wrong secret"
xq "$KZ" AXFR --key "nosuchkey:$XFR_SECRET"
xexpect rcode NOTAUTH "AXFR $KZ, unknown key"
xexpect tsig_error BADKEY "AXFR $KZ, unknown key"
xq "$KZ" AXFR --key "otherkey:$OTHER_SECRET"
xexpect rcode REFUSED "AXFR $KZ, a valid key the ACL does not list"
xexpect verified 1 "AXFR $KZ, a valid key the ACL does not list: the REFUSED is signed"
xq "$KZ" AXFR --key "xfrkey:$XFR_SECRET"
xexpect rcode NOERROR "AXFR $KZ with xfrkey"
xexpect complete 1 "AXFR $KZ with xfrkey"
nmsg=$(xf messages)
[ "$nmsg" -ge 2 ] || fail "AXFR $KZ: expected several messages, got $nmsg (zone too small for the test)"
xexpect signed "$nmsg" "AXFR $KZ with xfrkey: every one of $nmsg messages has a TSIG"
xexpect verified "$nmsg" "AXFR $KZ with xfrkey: every MAC verifies (RFC 8945 5.3.1)"
xq "$KZ" AXFR --key "xfrkey:$XFR_SECRET" --src 127.0.0.2
xexpect rcode NOERROR "AXFR $KZ with xfrkey from 127.0.0.2 (the key is enough)"

dig_xfr "$WORK/kz-nokey.axfr" AXFR "$KZ"
grep -q 'Transfer failed' "$WORK/kz-nokey.axfr" || fail "dig AXFR $KZ without a key: expected 'Transfer failed'"
ok "dig AXFR $KZ without a key: Transfer failed"
dig_xfr "$WORK/kz-wrong.axfr" -y "hmac-sha256:xfrkey:$WRONG_SECRET" AXFR "$KZ"
grep -qE 'TSIG.* BADSIG ' "$WORK/kz-wrong.axfr" || { cat "$WORK/kz-wrong.axfr" >&2; fail "dig -y (wrong secret): expected a BADSIG TSIG"; }
ok "dig -y with the wrong secret: BADSIG"
dig_xfr "$WORK/kz.axfr" -y "hmac-sha256:xfrkey:$XFR_SECRET" AXFR "$KZ"
if grep -qiE 'Transfer failed|tsig verify failure|Couldn.t verify' "$WORK/kz.axfr"; then
	tail -n 5 "$WORK/kz.axfr" >&2
	fail "dig -y AXFR $KZ: dig did not accept the signed transfer"
fi
dmsg=$(sed -n 's/.*(messages \([0-9]*\),.*/\1/p' <<<"$XFR_SIZE")
ntsig=$(awk '!/^;/ && $4 == "TSIG"' "$WORK/kz.axfr" | wc -l)
[ -n "$dmsg" ] && [ "$ntsig" -eq "$dmsg" ] || fail "dig -y AXFR $KZ: $ntsig TSIG records for '$XFR_SIZE'"
ok "dig -y AXFR $KZ: verified by dig, $ntsig TSIGs for $dmsg messages"
expect_same_zone "$KZ" "$WORK/$KZ.zone" "$WORK/kz.axfr" "signed AXFR $KZ"

# ==== IXFR =================================================================
note "IXFR after updates (RFC 1995)"
S0=$(serial_of "$SVC")
[ -n "$S0" ] || hard_error "no SOA serial for $SVC"
xpy save "$PORT" "$SVC" "$WORK/ax0.json"
reg -z "$SVC" register web web-ix 10.0.0.77 8080 >/dev/null || fail "register web-ix failed"
S1=$(serial_of "$SVC")
[ -n "$S1" ] && [ "$S1" != "$S0" ] || fail "the serial did not change after an update ($S0 -> $S1)"
ok "register web-ix: serial $S0 -> $S1"

# ixfr_shape FILE: "SOA:serial" or "-" per record of a dig transfer.
ixfr_shape() {
	records "$1" | awk '{ if ($4 == "SOA") printf "SOA:%s ", $7; else printf "- " }' | sed 's/- \(- \)*/-... /g; s/ $//'
}
dig_xfr "$WORK/ixfr1" "IXFR=$S0" "$SVC"
shape=$(ixfr_shape "$WORK/ixfr1")
[ "$shape" = "SOA:$S1 SOA:$S0 -... SOA:$S1 -... SOA:$S1" ] ||
	[ "$shape" = "SOA:$S1 SOA:$S0 SOA:$S1 -... SOA:$S1" ] ||
	{ cat "$WORK/ixfr1" >&2; fail "dig IXFR=$S0: expected new SOA, old SOA, deletions, new SOA, additions, new SOA; got '$shape'"; }
ok "dig IXFR=$S0: incremental ($shape)"
# web-ix's records are among the additions (after the third SOA).
records "$WORK/ixfr1" | awk '$4 == "SOA" { n++; next } n == 3' >"$WORK/ixfr1.add"
grep -qE '^web-ix\.svc\.example\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.0\.0\.77$' "$WORK/ixfr1.add" ||
	{ cat "$WORK/ixfr1" >&2; fail "dig IXFR=$S0: web-ix A not among the additions"; }
grep -qE '^web-ix\._web\._tcp\.svc\.example\.test\.[[:space:]].*SRV[[:space:]]+0 0 8080 web-ix\.svc\.example\.test\.$' "$WORK/ixfr1.add" ||
	fail "dig IXFR=$S0: web-ix SRV not among the additions"
ok "dig IXFR=$S0: the registration's A and SRV are additions"
xpy apply "$PORT" "$SVC" "$WORK/ax0.json" --steps 1
xpy save "$PORT" "$SVC" "$WORK/ax1.json"

reg -z "$SVC" deregister web web-ix >/dev/null || fail "deregister web-ix failed"
S2=$(serial_of "$SVC")
[ -n "$S2" ] && [ "$S2" != "$S1" ] || fail "the serial did not change after a deregistration ($S1 -> $S2)"
dig_xfr "$WORK/ixfr2" "IXFR=$S1" "$SVC"
shape=$(ixfr_shape "$WORK/ixfr2")
[ "$shape" = "SOA:$S2 SOA:$S1 -... SOA:$S2 SOA:$S2" ] || [ "$shape" = "SOA:$S2 SOA:$S1 -... SOA:$S2 -... SOA:$S2" ] ||
	{ cat "$WORK/ixfr2" >&2; fail "dig IXFR=$S1 after a deregistration: got '$shape'"; }
records "$WORK/ixfr2" | awk '$4 == "SOA" { n++; next } n == 2' >"$WORK/ixfr2.del"
records "$WORK/ixfr2" | awk '$4 == "SOA" { n++; next } n == 3' >"$WORK/ixfr2.add"
grep -q '^web-ix\.svc\.example\.test\..*10\.0\.0\.77$' "$WORK/ixfr2.del" && ! grep -q '^web-ix\.' "$WORK/ixfr2.add" ||
	{ cat "$WORK/ixfr2" >&2; fail "dig IXFR=$S1: web-ix A should be a deletion only"; }
ok "dig IXFR=$S1: the deregistration is a deletion ($shape)"
xpy apply "$PORT" "$SVC" "$WORK/ax0.json" --steps 2
xpy apply "$PORT" "$SVC" "$WORK/ax1.json" --steps 1

note "IXFR when the client is up to date"
dig_xfr "$WORK/ixfr3" "IXFR=$S2" "$SVC"
[ "$(ixfr_shape "$WORK/ixfr3")" = "SOA:$S2" ] || { cat "$WORK/ixfr3" >&2; fail "dig IXFR=$S2 (current): expected the SOA alone"; }
ok "dig IXFR=$S2 (current serial): the SOA alone ($XFR_SIZE)"
xq "$SVC" IXFR --serial "$S2"
xexpect form single "IXFR with the current serial (xfrcheck.py)"
ahead=$(( (S2 + 10) % 4294967296 ))
xq "$SVC" IXFR --serial "$ahead"
xexpect form single "IXFR with a serial ahead of ours ($ahead)"
xexpect first "$S2" "IXFR with a serial ahead of ours ($ahead)"

note "IXFR from a serial the journal does not hold: AXFR-style (RFC 1995 4)"
old=$(( (S0 + 4294967296 - 1000) % 4294967296 ))
xq "$SVC" IXFR --serial "$old"
xexpect form axfr "IXFR=$old (unknown)"
xexpect complete 1 "IXFR=$old (unknown)"
xq "$SVC" IXFR --serial "$old" --dump "$WORK/fallback.rr"
xq "$SVC" AXFR --dump "$WORK/axfr-now.rr"
cmp -s "$WORK/fallback.rr" "$WORK/axfr-now.rr" ||
	{ diff "$WORK/axfr-now.rr" "$WORK/fallback.rr" | head -n 20 >&2; fail "IXFR=$old: differs from an AXFR"; }
ok "IXFR=$old: the same records as an AXFR ($(wc -l <"$WORK/axfr-now.rr"))"

note "IXFR over UDP: the current SOA alone"
xq "$SVC" IXFR --serial "$S0" --udp
xexpect rcode NOERROR "IXFR=$S0 over UDP"
xexpect records 1 "IXFR=$S0 over UDP"
xexpect first "$S2" "IXFR=$S0 over UDP"
xexpect tc 0 "IXFR=$S0 over UDP"
xexpect aa 1 "IXFR=$S0 over UDP"
dig @127.0.0.1 -p "$PORT" +notcp +time=2 +tries=1 "IXFR=$S0" "$SVC" >"$WORK/ixfr-udp" 2>&1
grep -q '(UDP)' "$WORK/ixfr-udp" || { cat "$WORK/ixfr-udp" >&2; fail "dig +notcp IXFR did not use UDP"; }
[ "$(ixfr_shape "$WORK/ixfr-udp")" = "SOA:$S2" ] || { cat "$WORK/ixfr-udp" >&2; fail "dig +notcp IXFR=$S0: expected one SOA"; }
ok "dig +notcp IXFR=$S0: one SOA ($S2)"
xq "$SVC" IXFR --serial "$S2" --udp
xexpect records 1 "IXFR=$S2 (current) over UDP"

# ==== 100,000 records, updates committing meanwhile ============================
note "AXFR of $BIG ($NBIG A records) equals its zone file"
dig_xfr "$WORK/big.axfr" AXFR "$BIG"
expect_same_zone "$BIG" "$WORK/$BIG.zone" "$WORK/big.axfr" "AXFR $BIG"
B0=$(serial_of "$BIG")

note "AXFR of $BIG while registrations commit"
# Registrations in the background, one UPDATE after another (bounded).
(
	for i in $(seq 1 1500); do
		reg -z "$BIG" register web "b$i" "10.9.$((i / 256)).$((i % 256))" 80 >/dev/null 2>&1 || exit 1
	done
) &
LOOP_PID=$!
track_pid "$LOOP_PID"
wait_for 10 sh -c "[ \"\$(dig @127.0.0.1 -p $PORT +short SOA $BIG | awk '{print \$3}')\" -ge $((B0 + 3)) ]" ||
	fail "the background registrations do not commit (serial stays at $B0)"
xpy snap "$PORT" "$BIG" "$NBIG" "$WORK/big.json"
kill "$LOOP_PID" 2>/dev/null
wait "$LOOP_PID" 2>/dev/null
B1=$(serial_of "$BIG")
ok "registrations went on during the transfer (serial $B0 -> $B1)"
xpy apply "$PORT" "$BIG" "$WORK/big.json"

dnsd_alive || fail "dnsd exited"
done_ok
