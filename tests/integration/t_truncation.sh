#!/bin/bash
# t_truncation.sh -- UDP truncation (RFC 1035 4.2.1, RFC 2181 section 9,
# RFC 6891 section 7) against the full answer over TCP (RFC 7766).
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

# check_complete_records WHAT: every answer record dig printed is a whole
# SRV of the RRset, their number is the header count, and dig did not see
# a malformed message.
check_complete_records() {
	local what=$1 n hdr
	grep -qi 'malformed\|parse error\|unexpected end' <<<"$OUT" && { show; fail "$what: malformed reply"; }
	n=$(out_section ANSWER | grep -cE "^_big\._tcp\.trunc\.test\. 300 IN SRV 0 0 8[0-9]{3} host-[0-9]+\.trunc\.test\.$")
	hdr=$(out_count ANSWER)
	[ "$n" = "$hdr" ] || { show; fail "$what: $n whole SRV records printed, header says $hdr"; }
	ok "$what: $n whole SRV records, matching the header count"
	TRUNC_N=$n
}

note "UDP without EDNS: 512 bytes"
q +noedns +ignore $BIG SRV
assert_rcode NOERROR "no EDNS"
assert_flag tc "no EDNS"
check_complete_records "no EDNS"
[ "$TRUNC_N" -ge 1 ] && [ "$TRUNC_N" -lt 100 ] || fail "no EDNS: expected 1..99 records, got $TRUNC_N"
ok "no EDNS: $TRUNC_N of 100 records fit"
sz=$(msg_size)
[ -n "$sz" ] && [ "$sz" -le 512 ] || fail "no EDNS: reply of ${sz:-?} bytes exceeds 512"
ok "no EDNS: reply is $sz bytes (<= 512)"
assert_no_rr ANSWER "IN (A|AAAA) " "no EDNS, truncated"

note "UDP with EDNS bufsize 1232"
q +bufsize=1232 +ignore $BIG SRV
assert_rcode NOERROR "bufsize 1232"
assert_flag tc "bufsize 1232"
check_complete_records "bufsize 1232"
n512=$TRUNC_N
[ "$TRUNC_N" -lt 100 ] || fail "bufsize 1232: all 100 records cannot fit"
sz=$(msg_size)
[ "$sz" -le 1232 ] || fail "bufsize 1232: reply of $sz bytes exceeds 1232"
ok "bufsize 1232: reply is $sz bytes (<= 1232), $TRUNC_N records"
grep -q '^; EDNS: version: 0' <<<"$OUT" || { show; fail "bufsize 1232: truncated reply lost its OPT"; }
ok "bufsize 1232: truncated reply keeps OPT"

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
[ "$n" -ge 1 ] && [ "$n" -lt 100 ] || { show; fail "kdig: expected a partial RRset, got $n"; }
ok "kdig: $n whole SRV records in the truncated reply"

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
    limit = 512 if edns is None else 1232
    targets = {dnswire.srv_target(raw, rr) for rr in m["answer"]}
    if not (m["tc"] and 0 < m["an"] < 100 and len(raw) <= limit and len(targets) == m["an"]):
        print("bad: tc=%d an=%d len=%d" % (m["tc"], m["an"], len(raw))); sys.exit(1)
    print("edns=%s tc=1 an=%d len=%d" % (edns, m["an"], len(raw)))
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
