#!/bin/bash
# t_query.sh -- authoritative answers from the example zones, asked with
# dig, kdig and drill (RFC 1034 4.3.2, RFC 2308, RFC 4592, RFC 6763,
# RFC 6891, RFC 8482) plus a few hand-made packets.
. "$(dirname "$0")/lib.sh"

need_tool dig
need_tool kdig
need_tool drill

if have_ipv6; then LISTEN6=1; fi
start_dnsd --zone-dir "$ZONES" || hard_error "dnsd did not start"

SVC=svc.example.test
EX=example.test
SR=${SVC//./\\.}   # the same, as regular expressions
ER=${EX//./\\.}

# ---- SRV with the targets' addresses in additional (RFC 2782) ----------------
note "SRV _http._tcp.$SVC"
for client in q kq dq; do
	$client _http._tcp.$SVC SRV
	assert_rcode NOERROR "SRV _http._tcp"
	assert_flag aa "SRV _http._tcp"
	assert_count ANSWER 2 "SRV _http._tcp"
	assert_rr ANSWER "^_http\._tcp\.$SR\. 300 IN SRV 10 60 8080 web-1\.$SR\.$" "SRV web-1"
	assert_rr ANSWER "^_http\._tcp\.$SR\. 300 IN SRV 10 40 8080 web-2\.$SR\.$" "SRV web-2"
	assert_rr ADDITIONAL "^web-1\.$SR\. 300 IN A 10\.0\.0\.5$" "SRV additional A web-1"
	assert_rr ADDITIONAL "^web-1\.$SR\. 300 IN AAAA 2001:db8::5$" "SRV additional AAAA web-1"
	assert_rr ADDITIONAL "^web-2\.$SR\. 300 IN A 10\.0\.0\.6$" "SRV additional A web-2"
	assert_rr ADDITIONAL "^web-2\.$SR\. 300 IN AAAA 2001:db8::6$" "SRV additional AAAA web-2"
done
q _postgresql._tcp.$SVC SRV
assert_rr ANSWER "SRV 0 0 5432 db-1\.$SR\.$" "SRV _postgresql"
assert_rr ADDITIONAL "^db-1\.$SR\. 300 IN A 10\.0\.2\.20$" "SRV _postgresql additional"

# ---- A over TCP, AAAA, TXT ---------------------------------------------------
note "A over TCP"
q +tcp web-1.$SVC A
assert_rcode NOERROR "A over TCP"
grep -q '(TCP)' <<<"$OUT" || { show; fail "dig +tcp did not use TCP"; }
assert_rr ANSWER "^web-1\.$SR\. 300 IN A 10\.0\.0\.5$" "A over TCP"
kq +tcp api-1.$SVC A
assert_rr ANSWER "^api-1\.$SR\. 300 IN A 10\.0\.1\.10$" "A over TCP"
grep -q '(TCP)' <<<"$OUT" || { show; fail "kdig +tcp did not use TCP"; }
dq -t db-1.$SVC A
assert_rcode NOERROR "A over TCP"
assert_rr ANSWER "^db-1\.$SR\. 300 IN A 10\.0\.2\.20$" "A over TCP"

note "AAAA"
expect_answer web-2.$SVC AAAA '2001:db8::6$'
assert_count ANSWER 1 "AAAA web-2"
q api-1.$SVC AAAA
assert_rcode NOERROR "AAAA where only A exists (NODATA)"
assert_count ANSWER 0 "AAAA where only A exists (NODATA)"

note "TXT"
expect_answer web-1._http._tcp.$SVC TXT '"path=/" "version=2"$'
expect_answer $EX TXT '"v=spf1 -all"$'
kq api-1._api._tcp.$SVC TXT
assert_rr ANSWER 'TXT "path=/v1"$' "TXT api-1._api._tcp"

# ---- DNS-SD browsing (RFC 6763 section 12.1) ---------------------------------
note "DNS-SD service enumeration and browse"
q _services._dns-sd._udp.$SVC PTR
assert_rcode NOERROR "service enumeration"
assert_count ANSWER 2 "service enumeration"
assert_rr ANSWER "PTR _http\._tcp\.$SR\.$" "service enumeration"
assert_rr ANSWER "PTR _api\._tcp\.$SR\.$" "service enumeration"

for client in q dq; do
	$client _http._tcp.$SVC PTR
	assert_rcode NOERROR "browse _http._tcp"
	assert_flag aa "browse _http._tcp"
	assert_count ANSWER 2 "browse _http._tcp"
	assert_rr ANSWER "^_http\._tcp\.$SR\. 300 IN PTR web-1\._http\._tcp\.$SR\.$" "browse instance web-1"
	assert_rr ANSWER "^_http\._tcp\.$SR\. 300 IN PTR web-2\._http\._tcp\.$SR\.$" "browse instance web-2"
	for i in 1 2; do
		assert_rr ADDITIONAL "^web-$i\._http\._tcp\.$SR\. 300 IN SRV 0 0 8080 web-$i\.$SR\.$" "browse additional SRV web-$i"
		assert_rr ADDITIONAL "^web-$i\._http\._tcp\.$SR\. 300 IN TXT \"path=/\" \"version=2\"$" "browse additional TXT web-$i"
		assert_rr ADDITIONAL "^web-$i\.$SR\. 300 IN A 10\.0\.0\.$((4 + i))$" "browse additional A web-$i"
		assert_rr ADDITIONAL "^web-$i\.$SR\. 300 IN AAAA 2001:db8::$((4 + i))$" "browse additional AAAA web-$i"
	done
done
q _v2._sub._http._tcp.$SVC PTR
assert_rr ANSWER "PTR web-1\._http\._tcp\.$SR\.$" "subtype browse"
assert_rr ADDITIONAL "^web-1\._http\._tcp\.$SR\. 300 IN SRV" "subtype browse additional SRV"

# ---- SOA, NS, MX -------------------------------------------------------------
note "SOA, NS, MX"
expect_answer $SVC SOA 'ns1\.svc\.example\.test\. hostmaster\.example\.test\. 2026113001 3600 600 1209600 60$'
assert_count ANSWER 1 "SOA $SVC"
kq $EX SOA
assert_rcode NOERROR "SOA $EX"
assert_flag aa "SOA $EX"
assert_rr ANSWER "^$ER\. 3600 IN SOA ns1\.$ER\. hostmaster\.$ER\. 2026113001 3600 600 1209600 300$" "SOA $ER"

expect_answer $SVC NS "ns1\.$SR\.$"
assert_rr ADDITIONAL "^ns1\.$SR\. 300 IN A 127\.0\.0\.1$" "NS additional"

expect_answer $EX MX "10 mail\.$ER\.$"
assert_rr ADDITIONAL "^mail\.$ER\. 3600 IN A 192\.0\.2\.25$" "MX additional"
dq $EX MX
assert_rr ANSWER "MX 10 mail\.$ER\.$" "MX"
assert_rr ADDITIONAL "^mail\.$ER\. 3600 IN A 192\.0\.2\.25$" "MX additional"

# ---- CNAME chain (RFC 1034 4.3.2 step 3a) ------------------------------------
note "CNAME www -> web"
for client in q kq; do
	$client www.$SVC A
	assert_rcode NOERROR "CNAME www"
	assert_flag aa "CNAME www"
	assert_count ANSWER 3 "CNAME www"
	assert_rr ANSWER "^www\.$SR\. 300 IN CNAME web\.$SR\.$" "CNAME www"
	assert_rr ANSWER "^web\.$SR\. 300 IN A 10\.0\.0\.5$" "CNAME target A"
	assert_rr ANSWER "^web\.$SR\. 300 IN A 10\.0\.0\.6$" "CNAME target A"
done
q www.$SVC CNAME
assert_count ANSWER 1 "CNAME asked for CNAME is not followed"
assert_rr ANSWER "CNAME web\.$SR\.$" "CNAME asked for CNAME"
q www.$SVC AAAA
assert_rcode NOERROR "CNAME to a name without AAAA"
assert_rr ANSWER "CNAME web\.$SR\.$" "CNAME to a name without AAAA"
assert_count ANSWER 1 "CNAME to a name without AAAA"

# ---- unknown type (RFC 3597) -------------------------------------------------
note "unknown type TYPE65280"
for client in q kq; do
	$client opaque.$EX TYPE65280
	assert_rcode NOERROR "TYPE65280"
	assert_flag aa "TYPE65280"
	assert_rr ANSWER '^opaque\.example\.test\. 3600 IN TYPE65280 \\# 4 0a000001$' "TYPE65280"
done

# ---- negative answers (RFC 2308 section 5: SOA TTL = min(TTL, MINIMUM)) ------
note "NXDOMAIN and NODATA"
for client in q kq dq; do
	$client nx.$SVC A
	assert_rcode NXDOMAIN "NXDOMAIN nx.$SVC"
	assert_flag aa "NXDOMAIN nx.$SVC"
	assert_count ANSWER 0 "NXDOMAIN nx.$SVC"
	assert_count AUTHORITY 1 "NXDOMAIN nx.$SVC"
	assert_rr AUTHORITY "^$SR\. 60 IN SOA ns1\.$SR\. " "NXDOMAIN SOA TTL min(300, 60)"
done
q deep.nx.$EX TXT
assert_rcode NXDOMAIN "NXDOMAIN deep.nx.$EX"
assert_rr AUTHORITY "^$ER\. 300 IN SOA ns1\.$ER\. " "NXDOMAIN SOA TTL min(3600, 300)"

q web-1.$SVC MX
assert_rcode NOERROR "NODATA web-1 MX"
assert_flag aa "NODATA web-1 MX"
assert_count ANSWER 0 "NODATA web-1 MX"
assert_rr AUTHORITY "^$SR\. 60 IN SOA " "NODATA SOA TTL"
q mail.$EX AAAA
assert_rcode NOERROR "NODATA mail.$EX AAAA"
assert_count ANSWER 0 "NODATA mail.$EX AAAA"
assert_rr AUTHORITY "^$ER\. 300 IN SOA " "NODATA SOA TTL min(3600, 300)"

note "empty non-terminal"
for client in q kq; do
	$client _tcp.$SVC SRV
	assert_rcode NOERROR "empty non-terminal _tcp.$SVC"
	assert_flag aa "empty non-terminal _tcp.$SVC"
	assert_count ANSWER 0 "empty non-terminal _tcp.$SVC"
	assert_rr AUTHORITY "^$SR\. 60 IN SOA " "empty non-terminal SOA"
done
q _dns-sd._udp.$SVC PTR
assert_rcode NOERROR "empty non-terminal _dns-sd._udp.$SVC"
assert_count ANSWER 0 "empty non-terminal _dns-sd._udp.$SVC"

# ---- outside our zones -------------------------------------------------------
note "REFUSED outside the zones"
for client in q kq dq; do
	$client www.example.org A
	assert_rcode REFUSED "www.example.org"
	assert_noflag aa "www.example.org"
	assert_count ANSWER 0 "www.example.org"
done
expect_rcode REFUSED test SOA
expect_rcode REFUSED notexample.test A

# ---- delegation (RFC 1034 4.3.2 step 3b) -------------------------------------
note "referral below lab.$EX"
for client in q kq dq; do
	$client x.lab.$EX A
	assert_rcode NOERROR "referral x.lab"
	assert_noflag aa "referral x.lab"
	assert_count ANSWER 0 "referral x.lab"
	assert_rr AUTHORITY "^lab\.$ER\. 3600 IN NS ns\.lab\.$ER\.$" "referral NS"
	assert_rr ADDITIONAL "^ns\.lab\.$ER\. 3600 IN A 192\.0\.2\.53$" "referral glue"
	assert_no_rr AUTHORITY " SOA " "referral has no SOA"
done
q lab.$EX NS
assert_noflag aa "NS at the cut is a referral"
assert_rr AUTHORITY "^lab\.$ER\. 3600 IN NS ns\.lab\.$ER\.$" "NS at the cut"
q a.b.c.lab.$EX AAAA
assert_noflag aa "deep referral"
assert_rr AUTHORITY "IN NS ns\.lab\.$ER\.$" "deep referral"

# ---- wildcard (RFC 4592) -----------------------------------------------------
note "wildcard *.apps.$EX"
for client in q kq dq; do
	$client foo.apps.$EX A
	assert_rcode NOERROR "wildcard foo.apps"
	assert_flag aa "wildcard foo.apps"
	assert_count ANSWER 1 "wildcard foo.apps"
	assert_rr ANSWER "^foo\.apps\.$ER\. 3600 IN A 192\.0\.2\.80$" "wildcard synthesised owner"
done
q a.b.apps.$EX A
assert_rr ANSWER "^a\.b\.apps\.$ER\. 3600 IN A 192\.0\.2\.80$" "wildcard two labels deep"
q foo.apps.$EX AAAA
assert_rcode NOERROR "wildcard NODATA"
assert_count ANSWER 0 "wildcard NODATA"
assert_rr AUTHORITY " SOA " "wildcard NODATA SOA"
q apps.$EX A
assert_rcode NOERROR "apps.$EX is an empty non-terminal"
assert_count ANSWER 0 "apps.$EX is an empty non-terminal"
q foo.mail.$EX A
assert_rcode NXDOMAIN "no wildcard outside *.apps"

# ---- ANY (RFC 8482) ----------------------------------------------------------
note "ANY"
q +notcp web-1.$SVC ANY
assert_rcode NOERROR "ANY over UDP"
grep -q '(UDP)' <<<"$OUT" || { show; fail "dig +notcp ANY did not use UDP"; }
n=$(out_section ANSWER | awk '{print $4}' | sort -u | wc -l)
[ "$(out_count ANSWER)" -ge 1 ] && [ "$n" -eq 1 ] || { show; fail "ANY over UDP: expected one RRset, got $n types"; }
ok "ANY over UDP: one RRset ($n type)"
q +tcp web-1.$SVC ANY
assert_rcode NOERROR "ANY over TCP"
assert_rr ANSWER "^web-1\.$SR\. 300 IN A 10\.0\.0\.5$" "ANY over TCP"
assert_rr ANSWER "^web-1\.$SR\. 300 IN AAAA 2001:db8::5$" "ANY over TCP"

# ---- the question's case is kept (RFC 4343) ----------------------------------
note "case of the question"
q WeB-1.SVC.example.test A
assert_rcode NOERROR "mixed case"
grep -q '^;WeB-1\.SVC\.example\.test\.[[:space:]]' <<<"$OUT" || { show; fail "question case not preserved"; }
ok "question section keeps WeB-1.SVC.example.test"
assert_rr ANSWER "IN A 10\.0\.0\.5$" "mixed case answer"
r=$(py dnswire.py "$PORT" WeB-1.SVC.example.test A --tcp)
grep -q 'rcode=NOERROR .* an=1 ' <<<"$r" || fail "mixed case over TCP: $r"
ok "mixed case over TCP: $r"

# ---- EDNS (RFC 6891) ---------------------------------------------------------
note "EDNS"
q +bufsize=4096 $SVC SOA
assert_rcode NOERROR "EDNS bufsize 4096"
grep -q '^; EDNS: version: 0, flags:; udp: 1232$' <<<"$OUT" || { show; fail "EDNS: expected OPT with udp 1232"; }
ok "EDNS: OPT present, udp 1232 (dig)"
kq +bufsize=4096 $SVC SOA
grep -q 'UDP size: 1232 B' <<<"$OUT" || { show; fail "EDNS: expected OPT with UDP size 1232 (kdig)"; }
ok "EDNS: OPT present, udp 1232 (kdig)"

q +edns=1 +noednsnegotiation $SVC SOA
assert_rcode BADVERS "EDNS version 1"
grep -q '^; EDNS: version: 0' <<<"$OUT" || { show; fail "BADVERS without an OPT version 0"; }
ok "BADVERS carries OPT version 0"
kq +edns=1 $SVC SOA
assert_rcode BADVERS "EDNS version 1"

q +noedns $SVC SOA
assert_rcode NOERROR "no EDNS"
grep -q 'OPT PSEUDOSECTION' <<<"$OUT" && { show; fail "OPT in a reply to a query without EDNS"; }
assert_count ADDITIONAL 0 "no EDNS: no OPT"

# ---- opcodes and malformed questions ----------------------------------------
note "opcodes and header checks"
q +opcode=2 $SVC SOA
assert_rcode NOTIMP "opcode 2 (STATUS)"
assert_noflag aa "opcode 2 (STATUS)"
r=$(py dnswire.py "$PORT" $SVC SOA --opcode 3)
grep -q '^rcode=NOTIMP .*opcode=3 ' <<<"$r" || fail "opcode 3: expected NOTIMP, got $r"
ok "opcode 3: $r"
r=$(py dnswire.py "$PORT" $SVC SOA --opcode 15 --tcp)
grep -q '^rcode=NOTIMP ' <<<"$r" || fail "opcode 15 over TCP: expected NOTIMP, got $r"
ok "opcode 15 over TCP: $r"

r=$(py dnswire.py "$PORT" $SVC SOA --second web-1.$SVC/A)
grep -q '^rcode=FORMERR .* qr=1 .* an=0 ' <<<"$r" || fail "QDCOUNT=2: expected FORMERR, got $r"
ok "QDCOUNT=2: $r"
r=$(py dnswire.py "$PORT" $SVC SOA --second web-1.$SVC/A --tcp)
grep -q '^rcode=FORMERR ' <<<"$r" || fail "QDCOUNT=2 over TCP: expected FORMERR, got $r"
ok "QDCOUNT=2 over TCP: $r"
r=$(py dnswire.py "$PORT" $SVC SOA --qdcount 2)
grep -q '^rcode=FORMERR ' <<<"$r" || fail "QDCOUNT=2 with one question: expected FORMERR, got $r"
ok "QDCOUNT=2 with one question present: $r"

r=$(py dnswire.py "$PORT" $SVC SOA --qr --timeout 0.5)
[ "$r" = noreply ] || fail "a message with QR=1 must not be answered, got $r"
ok "QR=1 message not answered"

# ---- IPv6 --------------------------------------------------------------------
if [ "$LISTEN6" = 1 ]; then
	note "::1"
	SERVER=::1
	q $SVC SOA
	assert_rcode NOERROR "SOA over ::1 UDP"
	grep -q 'SERVER: ::1#' <<<"$OUT" || { show; fail "answer not from ::1"; }
	q +tcp _http._tcp.$SVC SRV
	assert_rcode NOERROR "SRV over ::1 TCP"
	assert_count ANSWER 2 "SRV over ::1 TCP"
	kq -6 web-1.$SVC AAAA
	assert_rr ANSWER "AAAA 2001:db8::5$" "AAAA over ::1"
	SERVER=127.0.0.1
else
	note "no ::1 here: IPv6 listening not tested"
fi

dnsd_alive || fail "dnsd died during the queries"
ok "dnsd still running"

# Signed queries (RFC 8945): every answer signed with the query's key and
# verified by dig, REFUSED outside the zones included; a bad MAC gets
# NOTAUTH with BADSIG.
stop_dnsd
QKEY=$(head -c 32 /dev/urandom | base64 -w0)
start_dnsd --zone-dir "$ZONES" -y "hmac-sha256:qkey:$QKEY" || hard_error "dnsd did not restart with a key"
signed_ok() { # WHAT: the answer carried a TSIG that dig verified
	grep -q "Couldn't verify\|could not be validated" <<<"$OUT" && { show; fail "$1: dig could not verify the TSIG"; }
	grep -qE "^qkey\.[[:space:]]+0[[:space:]]+ANY[[:space:]]+TSIG[[:space:]]+hmac-sha256\. .* NOERROR " <<<"$OUT" ||
		{ show; fail "$1: no TSIG with NOERROR in the answer"; }
	ok "$1: signed, and dig verified it"
}
q -y "hmac-sha256:qkey:$QKEY" _http._tcp.$SVC SRV
assert_rcode NOERROR "signed SRV query"
assert_count ANSWER 2 "signed SRV query"
signed_ok "signed SRV query"
q -y "hmac-sha256:qkey:$QKEY" www.outside.test A
assert_rcode REFUSED "signed query outside the zones"
signed_ok "signed query outside the zones"
q +tcp -y "hmac-sha256:qkey:$QKEY" web-1.$SVC A
assert_rr ANSWER "IN A 10\.0\.0\.5$" "signed query over TCP"
signed_ok "signed query over TCP"
q -y "hmac-sha256:qkey:$(head -c 32 /dev/urandom | base64 -w0)" web-1.$SVC A
assert_rcode NOTAUTH "query signed with the wrong secret"
grep -qE "TSIG[[:space:]]+hmac-sha256\. .* BADSIG " <<<"$OUT" || { show; fail "wrong secret: no BADSIG"; }
ok "query signed with the wrong secret: NOTAUTH, BADSIG"
done_ok
