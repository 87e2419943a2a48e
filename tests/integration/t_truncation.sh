#!/bin/bash
# t_truncation.sh -- UDP truncation (RFC 1035 4.2.1, RFC 2181 section 9,
# RFC 6891 section 7) against the full answer over TCP (RFC 7766). A UDP
# answer that does not fit is TC=1 with no records at all (header,
# question, OPT), as Knot and NSD send it: the client asks again over TCP
# anyway, and records in a truncated reply would only make it a bigger
# reply to a spoofed request.
. "$(dirname "$0")/lib.sh"

need_tool dig
need_tool kdig

# A zone with a 100-record SRV RRset, each target with an address, and a
# DNS-SD browse whose answer fits in 512 bytes but whose additional data
# does not.
ZF=$WORK/trunc.test.zone
{
	echo '$ORIGIN trunc.test.'
	echo '$TTL 300'
	echo '@ IN SOA ns1 hostmaster 1 3600 600 1209600 60'
	echo '  IN NS ns1'
	echo 'ns1 IN A 127.0.0.1'
	for i in $(seq 1 100); do
		echo "_big._tcp IN SRV 0 0 $((8000 + i)) host-$i"
		echo "host-$i IN A 10.1.$((i / 256)).$((i % 256))"
	done
	for i in $(seq 1 12); do
		echo "_many._tcp IN PTR inst-$i._many._tcp"
		echo "inst-$i._many._tcp IN SRV 0 0 80 host-$i"
		echo "inst-$i._many._tcp IN TXT \"txtvers=1\" \"path=/some/longer/path/$i\""
	done
} >"$ZF"

WAIT_ZONE=trunc.test
start_dnsd -z "trunc.test:$ZF" || hard_error "dnsd did not start"
BIG=_big._tcp.trunc.test

# msg_size: "MSG SIZE  rcvd: N" of the last dig answer.
msg_size() {
	sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\)$/\1/p' <<<"$OUT"
}

# check_empty WHAT: the reply holds no records (dig printed none, the
# header counts none) and dig did not see a malformed message.
check_empty() {
	local what=$1 sec
	grep -qi 'malformed\|parse error\|unexpected end' <<<"$OUT" && { show; fail "$what: malformed reply"; }
	for sec in ANSWER AUTHORITY; do
		[ "$(out_count "$sec")" = 0 ] || { show; fail "$what: $sec count $(out_count "$sec"), expected 0"; }
		[ -z "$(out_section "$sec")" ] || { show; fail "$what: records printed in $sec"; }
	done
	ok "$what: no records in the truncated reply"
}

note "UDP without EDNS: 512 bytes"
q +noedns +ignore $BIG SRV
assert_rcode NOERROR "no EDNS"
assert_flag tc "no EDNS"
check_empty "no EDNS"
[ "$(out_count ADDITIONAL)" = 0 ] || { show; fail "no EDNS: additional records in a truncated reply"; }
grep -q '^;_big\._tcp\.trunc\.test\.[[:space:]]*IN[[:space:]]*SRV$' <<<"$OUT" || { show; fail "no EDNS: question not echoed"; }
ok "no EDNS: the question is echoed"
sz=$(msg_size)
[ "$sz" = $((12 + 22 + 4)) ] || fail "no EDNS: reply of ${sz:-?} bytes, expected header and question (38)"
ok "no EDNS: reply is $sz bytes: header and question"

note "UDP with EDNS bufsize 1232 (and no cookie: dig sends one by default)"
q +bufsize=1232 +nocookie +ignore $BIG SRV
assert_rcode NOERROR "bufsize 1232"
assert_flag tc "bufsize 1232"
check_empty "bufsize 1232"
sz=$(msg_size)
[ "$sz" = $((12 + 22 + 4 + 11)) ] || fail "bufsize 1232: reply of $sz bytes, expected header, question and OPT (49)"
ok "bufsize 1232: reply is $sz bytes"
grep -q '^; EDNS: version: 0' <<<"$OUT" || { show; fail "bufsize 1232: truncated reply lost its OPT"; }
ok "bufsize 1232: truncated reply keeps OPT"
q +bufsize=1232 +cookie +ignore $BIG SRV
assert_flag tc "with a cookie"
check_empty "with a cookie"
grep -q '^; COOKIE: [0-9a-f]\{16\}[0-9a-f]\{32\}' <<<"$OUT" || { show; fail "with a cookie: no server cookie in the truncated reply"; }
sz=$(msg_size)
[ "$sz" = $((49 + 4 + 8 + 16)) ] || fail "with a cookie: reply of $sz bytes, expected 77"
ok "with a cookie: $sz bytes, the OPT holds client and server cookie"

note "UDP with EDNS bufsize 4096: the server's limit (1232) still applies"
q +bufsize=4096 +ignore $BIG SRV
assert_flag tc "bufsize 4096"
sz=$(msg_size)
[ "$sz" -le 1232 ] || fail "bufsize 4096: reply of $sz bytes exceeds the server's 1232"
ok "bufsize 4096: reply is $sz bytes (<= 1232)"

note "kdig without TCP fallback"
kq +notcp +ignore +noedns $BIG SRV
assert_flag tc "kdig no EDNS"
n=$(out_section ANSWER | grep -c ' IN SRV ')
[ "$n" = 0 ] || { show; fail "kdig: expected no records, got $n"; }
ok "kdig: no records in the truncated reply"

note "hand-made truncated query: every record parses"
r=$("$PYTHON" - "$PORT" "$BIG" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["TESTDIR"])
import dnswire
port, name = int(sys.argv[1]), sys.argv[2]
for edns in (None, 1232):
    raw = dnswire.exchange("127.0.0.1", port, dnswire.query(name, "SRV", edns=edns))
    if raw is None:
        print("noreply"); sys.exit(1)
    m = dnswire.parse(raw)            # raises on a partial record
    want = 12 + len(name) + 2 + 4 + (0 if edns is None else 11)
    if not (m["tc"] and m["an"] == 0 and m["ns"] == 0 and len(raw) == want):
        print("bad: tc=%d an=%d len=%d" % (m["tc"], m["an"], len(raw))); sys.exit(1)
    print("edns=%s tc=1 an=0 len=%d" % (edns, len(raw)))
EOF
) || fail "hand-made truncated queries: $r"
ok "parsed: $(echo $r)"

note "TCP: the whole RRset"
for client in q kq; do
	$client +tcp $BIG SRV
	assert_rcode NOERROR "TCP"
	assert_noflag tc "TCP"
	assert_count ANSWER 100 "TCP"
	n=$(out_section ANSWER | grep -cE 'IN SRV 0 0 8[0-9]{3} host-[0-9]+\.trunc\.test\.$')
	[ "$n" = 100 ] || { show; fail "TCP: expected 100 SRV records printed, got $n"; }
	ok "TCP: 100 SRV records ($CLIENT)"
	n=$(out_section ANSWER | awk '{print $NF}' | sort -u | wc -l)
	[ "$n" = 100 ] || fail "TCP: expected 100 distinct targets, got $n"
	ok "TCP: 100 distinct targets ($CLIENT)"
done

note "dig falls back to TCP on TC"
q +noedns $BIG SRV
assert_count ANSWER 100 "UDP then TCP retry"
grep -q 'Truncated, retrying in TCP mode' <<<"$OUT" || { show; fail "dig did not see TC and retry"; }
ok "dig saw TC=1 over UDP and got 100 records over TCP"

note "additional data that does not fit does not set TC (RFC 2181 section 9)"
q +noedns +ignore _many._tcp.trunc.test PTR
assert_rcode NOERROR "browse 12 instances"
assert_noflag tc "browse 12 instances, 512 bytes"
grep -qi 'malformed' <<<"$OUT" && { show; fail "browse: malformed reply (partial additional RRset?)"; }
assert_count ANSWER 12 "browse 12 instances, 512 bytes"
sz=$(msg_size)
[ "$sz" -le 512 ] || fail "browse: reply of $sz bytes exceeds 512"
ok "browse: $sz bytes (<= 512)"
q +tcp _many._tcp.trunc.test PTR
assert_count ANSWER 12 "browse over TCP"
assert_rr ADDITIONAL '^inst-12\._many\._tcp\.trunc\.test\. 300 IN TXT "txtvers=1" "path=/some/longer/path/12"$' "browse over TCP additional"

note "a small answer is not truncated"
q +noedns host-7.trunc.test A
assert_noflag tc "small answer"
assert_rr ANSWER 'IN A 10\.1\.0\.7$' "small answer"

dnsd_alive || fail "dnsd died"
ok "dnsd still running"
done_ok
