#!/bin/bash
# t_answer_cache.sh -- the UDP workers' answer cache (answer-cache in
# dnsd.conf(5)) as clients see it: repeated dig queries over UDP are
# answered from it, yet an address changed by nsupdate is served by the
# very next query, a record on a 3-second lease counts its TTL down second
# by second and is gone at its deadline, and a server with the cache off
# answers the same. Bad sizes are refused by `dnsd -n`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"

need_tool dig
need_tool nsupdate

Z=svc.example.test
DL=dl.example.test # no zone file; every registration gets a 3-second lease
KEY="hmac-sha256:registrar:$(new_secret 32)"

write_conf() { # write_conf [EXTRA SETTING]
	cat >"$WORK/dnsd.conf" <<EOF
${1:-}
zone "$Z" { file "$ZONES/$Z.zone"; }
zone "$DL" { default-lease 3; min-lease 1; max-lease 60; }
key registrar { algorithm hmac-sha256; secret "${KEY##*:}"; }
EOF
}

# uq NAME TYPE: one UDP query as a stub resolver repeats it (no cookie,
# so the request bytes are the same each time but for the ID).
uq() {
	q +notcp +nocookie "$@"
}

# The answer cache on (the default), debug log for its counters.
write_conf
start_dnsd -c "$WORK/dnsd.conf" -v debug || hard_error "dnsd did not start"

uq web-1.$Z A
first=$(out_section ANSWER)
[ -n "$first" ] || { show; fail "web-1.$Z A: no answer"; }
for i in 1 2 3 4 5; do
	uq web-1.$Z A
	[ "$(out_section ANSWER)" = "$first" ] || { show; fail "repeat $i differs from the first answer"; }
done
ok "six identical UDP queries get identical answers"
uq web-1.$Z A +dnssec +bufsize=1400
assert_rcode NOERROR "the same name with other EDNS bytes"
assert_count ADDITIONAL 1 "the same name with other EDNS bytes (OPT only)"

# Every acknowledged change is seen by the next query, although the
# name was just answered (and cached) over and over.
for i in $(seq 1 20); do
	nsup -y "$KEY" <<EOF
update delete moving.$Z A
update add moving.$Z 60 A 192.0.2.$i
EOF
	expect_update NOERROR "move to 192.0.2.$i" >/dev/null
	for r in 1 2 3; do
		uq moving.$Z A
		got=$(out_section ANSWER | awk '$4 == "A" {print $5}')
		[ "$got" = "192.0.2.$i" ] || { show; fail "after the update to 192.0.2.$i, query $r got '$got'"; }
	done
done
ok "20 updates by nsupdate, each seen by the three UDP queries right after it"
nsup -y "$KEY" <<EOF
update delete moving.$Z A
EOF
expect_update NOERROR "delete moving.$Z"
expect_rcode NXDOMAIN moving.$Z A +nocookie

# A 3-second lease, asked every 0.1 s with the same bytes: the TTL counts
# down each second to 0, then the name is gone. A cached answer that
# outlived its second would freeze the TTL (or, with two workers, let it
# go up again), or keep the name after its deadline.
nsup -y "$KEY" <<EOF
zone $DL
update add brief.$DL 60 A 192.0.2.99
EOF
expect_update NOERROR "brief.$DL with the zone's 3-second lease"
all=
prev=
gone=0
for i in $(seq 1 60); do
	uq brief.$DL A
	rc=$(out_rcode)
	if [ "$rc" = NXDOMAIN ]; then
		gone=1
		break
	fi
	[ "$rc" = NOERROR ] || { show; fail "brief.$DL: rcode '$rc'"; }
	ttl=$(out_section ANSWER | awk '$4 == "A" {print $2}')
	[ -n "$ttl" ] || { show; fail "brief.$DL: no A record while the lease runs"; }
	all="$all $ttl"
	[ "$ttl" -le 3 ] || fail "brief.$DL: TTL $ttl is longer than the 3-second lease"
	[ -z "$prev" ] || [ "$ttl" -le "$prev" ] || fail "brief.$DL: the TTL went up again:$all"
	prev=$ttl
	sleep 0.1
done
[ "$gone" = 1 ] || fail "brief.$DL still answered 6 s after a 3-second lease (TTLs:$all)"
ok "brief.$DL gone within 6 s of a 3-second lease"
distinct=$(tr ' ' '\n' <<<"$all" | grep . | sort -u | wc -l)
[ "$distinct" -ge 3 ] || fail "brief.$DL: the TTL did not count down each second:$all"
ok "brief.$DL: the TTL counted down each second ($distinct values, never up)"
for i in 1 2 3; do
	expect_rcode NXDOMAIN brief.$DL A +nocookie >/dev/null
done
ok "brief.$DL stays gone"

stop_dnsd
hits=$(sed -n 's/.*answer cache: \([0-9]*\) hits.*/\1/p' "$DNSD_LOG" | awk '{s += $1} END {print s + 0}')
[ "$hits" -gt 0 ] || { dump_log; fail "the log shows no answer-cache hits (the cache was not used)"; }
ok "the workers answered $hits queries from the cache"

# The cache off: the same answers, no cache at all.
write_conf "answer-cache 0;"
start_dnsd -c "$WORK/dnsd.conf" -v debug || hard_error "dnsd did not start with answer-cache 0"
for i in 1 2 3; do
	uq web-1.$Z A
	[ "$(out_section ANSWER)" = "$first" ] || { show; fail "answer-cache 0: another answer"; }
done
ok "answer-cache 0: the same answers"
stop_dnsd
log_has 'answer cache:' && { dump_log; fail "answer-cache 0 still made a cache"; }
ok "answer-cache 0: no cache"

# Sizes that make no cache are refused, with the line at fault.
for bad in 100 lots -1; do
	write_conf "answer-cache $bad;"
	out=$("$DNSD" -n -c "$WORK/dnsd.conf" -s "$WORK/check-store" 2>&1) &&
		fail "answer-cache $bad: dnsd -n accepted it"
	grep -q 'dnsd.conf:1:' <<<"$out" || fail "answer-cache $bad: no 'file:line' in: $out"
	ok "answer-cache $bad refused: $(head -n 1 <<<"$out")"
done
write_conf "answer-cache 64m;"
"$DNSD" -n -c "$WORK/dnsd.conf" -s "$WORK/check-store" >/dev/null 2>&1 || fail "answer-cache 64m refused"
ok "answer-cache 64m accepted"

done_ok
