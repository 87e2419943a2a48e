#!/bin/bash
# t_cookies_rrl.sh -- what a UDP client meets besides the answer: DNS
# cookies (RFC 7873, RFC 9018) with dig and kdig, require-cookie, NSID
# (RFC 5001) only when asked, CHAOS version.bind and id.server by the
# settings, the answer cache taking DNS 0x20 letter case, the rate limit
# holding a flood of one query from one source to rate x seconds full
# answers, and no query shape amplifying more than 3x with require-cookie
# large (tools/bench/amplify).
. "$(dirname "$0")/lib.sh"

need_tool dig
need_tool kdig

Z=svc.example.test
AMP=$SRCDIR/tools/bench/amplify
# One worker: every query meets the same answer cache (with two, the
# kernel spreads clients' ports over two caches).
WORKERS=1

# A zone with a service of many instances, whose SRV answer is far larger
# than the query.
ZF=$WORK/$Z.zone
{
	cat "$ZONES/$Z.zone"
	for i in $(seq 1 12); do
		echo "_many._tcp IN SRV 0 0 $((8000 + i)) host-$i.$Z."
		echo "host-$i IN A 10.1.0.$i"
	done
} >"$ZF"

write_conf() { # write_conf SETTING...
	printf '%s\n' "$@" >"$WORK/dnsd.conf"
	echo "zone \"$Z\" { file \"$ZF\"; }" >>"$WORK/dnsd.conf"
}

# ---- defaults: cookies answered, no NSID, CHAOS refused -------------------
write_conf
start_dnsd -c "$WORK/dnsd.conf" -v debug || hard_error "dnsd did not start"

note "a client cookie gets a server cookie; sent back, it is good"
q +cookie web-1.$Z A
assert_rcode NOERROR "dig +cookie"
sc=$(sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p' <<<"$OUT")
[ "${#sc}" = 48 ] || { show; fail "dig +cookie: expected 8 + 16 bytes of cookie, got '$sc'"; }
ok "dig +cookie: client and server cookie (${#sc} hex digits)"
grep -q '(good)' <<<"$OUT" || { show; fail "dig does not call the cookie good"; }
q +cookie="$sc" web-1.$Z A
assert_rcode NOERROR "dig +cookie=SERVER-COOKIE"
grep -q '(good)' <<<"$OUT" || { show; fail "the echoed cookie is not good"; }
ok "dig sends the server cookie back and gets it echoed"
q +tcp +cookie="$sc" web-1.$Z A
assert_rcode NOERROR "dig +tcp +cookie=SERVER-COOKIE"
grep -q '(good)' <<<"$OUT" || { show; fail "over TCP the server cookie made over UDP is not good"; }
ok "over TCP too: the cookie made over UDP is good, and one comes back"
kq +cookie web-1.$Z A
assert_rcode NOERROR "kdig +cookie"
grep -qi 'COOKIE: [0-9A-F]\{16\}' <<<"$OUT" || { show; fail "kdig: no cookie in the reply"; }
ok "kdig +cookie: a cookie comes back"

note "a malformed cookie is FORMERR (RFC 7873 section 5.2.2)"
q +cookie=0102030405060708090a web-1.$Z A
assert_rcode FORMERR "a 10-byte cookie"

note "NSID and CHAOS are off by default"
q +nsid web-1.$Z A
grep -q 'NSID' <<<"$OUT" && { show; fail "an NSID without the setting"; }
ok "no NSID without the nsid setting"
q version.bind TXT CH
assert_rcode REFUSED "version.bind by default"

note "the answer cache takes queries in any letter case (DNS 0x20)"
for name in web-1.svc.example.test WEB-1.svc.EXAMPLE.test wEb-1.SvC.eXaMpLe.TeSt; do
	q +notcp +nocookie "$name" A
	assert_rr ANSWER "^$name\. 300 IN A 10\.0\.0\.5$" "$name A, its case echoed"
done

stop_dnsd
hits=$(sed -n 's/.*answer cache: \([0-9]*\) hits.*/\1/p' "$DNSD_LOG" | awk '{s += $1} END {print s + 0}')
[ "$hits" -ge 2 ] || { dump_log; fail "the three cases made $hits cache hits, expected at least 2"; }
ok "the names in other letter cases were answered from the cache ($hits hits)"

# ---- settings: NSID, CHAOS -------------------------------------------------
write_conf 'nsid "dnsd-test-1";' 'version "dnsd test";' 'identity "ns-test";'
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start with nsid, version, identity"

note "NSID only when asked"
q +nsid +cookie web-1.$Z A
grep -q 'NSID: .*("dnsd-test-1")' <<<"$OUT" || { show; fail "dig +nsid: no NSID dnsd-test-1"; }
ok "dig +nsid: NSID dnsd-test-1"
q +tcp +nsid web-1.$Z A
grep -q 'NSID: .*("dnsd-test-1")' <<<"$OUT" || { show; fail "dig +tcp +nsid: no NSID dnsd-test-1"; }
ok "dig +tcp +nsid: NSID over TCP as well"
q +cookie web-1.$Z A
grep -q 'NSID' <<<"$OUT" && { show; fail "NSID sent to a query that did not ask"; }
ok "no NSID to a query that did not ask"

note "CHAOS TXT"
for n in version.bind version.server; do
	q $n TXT CH
	assert_rr ANSWER "^$n\. 0 CH TXT \"dnsd test\"$" "$n"
done
q +tcp version.bind TXT CH
assert_rr ANSWER '^version\.bind\. 0 CH TXT "dnsd test"$' "version.bind over TCP"
for n in id.server hostname.bind; do
	q $n TXT CH
	assert_rr ANSWER "^$n\. 0 CH TXT \"ns-test\"$" "$n"
done
q authors.bind TXT CH
assert_rcode REFUSED "another CHAOS name"
q version.bind A CH
assert_rcode REFUSED "version.bind, another type"
stop_dnsd

# ---- require-cookie yes -----------------------------------------------------
write_conf 'require-cookie yes;'
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start with require-cookie yes"
note "require-cookie yes: BADCOOKIE, TC, then the answer"
q +notcp +cookie +nobadcookie web-1.$Z A
assert_rcode BADCOOKIE "a client cookie alone"
q +notcp +nocookie +ignore web-1.$Z A
assert_flag tc "no cookie"
assert_count ANSWER 0 "no cookie"
q +notcp +cookie web-1.$Z A
assert_rcode NOERROR "dig retries with the server cookie"
assert_rr ANSWER 'IN A 10\.0\.0\.5$' "dig retries with the server cookie"
q +tcp +nocookie web-1.$Z A
assert_rr ANSWER 'IN A 10\.0\.0\.5$' "TCP needs no cookie"
stop_dnsd

# ---- amplification: require-cookie large bounds every shape to 3x ---------
if command -v "$PYTHON" >/dev/null 2>&1; then
	write_conf 'require-cookie large;' 'rate-limit 0;'
	start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start with require-cookie large"
	note "every query shape without a cookie, require-cookie large"
	out=$("$PYTHON" "$AMP" shapes --port "$PORT" --names "$ZF" --max-names 30 _many._tcp.$Z 2>&1) ||
		{ echo "$out"; fail "amplify shapes failed"; }
	worst=$(sed -n 's/^worst ratio=\([0-9.]*\) .*/\1/p' <<<"$out")
	echo "$out" | tail -n 4 | sed 's/^/# /'
	awk -v r="$worst" 'BEGIN { exit !(r > 0 && r <= 3) }' ||
		fail "worst amplification $worst, more than 3 (${out##*worst })"
	ok "worst amplification without a cookie: $worst (at most 3)"
	stop_dnsd
fi

# ---- the rate limit: a flood of one query from one source -----------------
if command -v "$PYTHON" >/dev/null 2>&1; then
	RATE=25
	write_conf "rate-limit $RATE;" 'rate-limit-slip 2;' 'rate-limit-exempt none;'
	start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start with a rate limit"
	note "a 3-second flood of _many._tcp SRV from one source at about 2000 a second"
	out=$("$PYTHON" "$AMP" flood --port "$PORT" --name _many._tcp.$Z --type SRV --edns 1232 \
		--seconds 3 --rate 2000 2>&1) || { echo "$out"; fail "amplify flood failed"; }
	echo "# $out"
	val() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$out"; }
	sent=$(val sent) full=$(val full) tc=$(val truncated) secs=$(val seconds)
	[ "${sent:-0}" -ge 300 ] || fail "the flood sent only ${sent:-0} queries"
	[ "$full" -le $((RATE * secs)) ] || fail "$full full answers in $secs seconds of the clock, more than $RATE x $secs"
	[ "$full" -ge $((RATE * (secs - 1))) ] || fail "only $full full answers in $secs seconds: the rate is not served"
	ok "$full full answers to $sent queries over $secs seconds of the clock (at most $RATE x $secs)"
	[ "$tc" -ge $(((sent - full) / 4)) ] || fail "only $tc truncated replies (slip 2 should send about half of the rest)"
	ok "$tc of the held-back answers went out truncated (slip 2)"
	q +notcp +nocookie web-2.$Z A
	assert_rr ANSWER 'IN A 10\.0\.0\.6$' "another name during the limit"
	q +tcp +nocookie _many._tcp.$Z SRV
	assert_count ANSWER 12 "the limited name over TCP"
	log_has 'rate limit: answer responses to 127\.0\.0\.0/24 over 25 a second' ||
		{ dump_log; fail "no log line for the rate limit"; }
	ok "the rate limit is logged"
	stop_dnsd
fi

done_ok
