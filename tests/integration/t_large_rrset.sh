#!/bin/bash
# t_large_rrset.sh -- UPDATEs of a thousand records at a name that holds
# thousands, from nsupdate and knsupdate over TCP: every record lands,
# deletes find theirs among the rest, the RRset keeps one TTL, records
# at another name and a service instance in the same message land too,
# and the zone transfers whole. (update.c edits one node per run of RRs
# at its name; node/edit.c indexes a large node: an UPDATE of k records
# costs about k, not k x the node's size. Its speed is measured by hand,
# never asserted here: see README, "Under overload".)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"

need_tool dig
need_tool nsupdate
need_tool knsupdate

Z=svc.example.test
SEC=$(new_secret 32)
KEY="hmac-sha256:bulk:$SEC"
cat >"$WORK/dnsd.conf" <<CONF
key bulk {
    algorithm hmac-sha256
    secret "$SEC"
}
zone "$Z" {
    file "$ZONES/$Z.zone"
    grant bulk subdomain $Z
    allow-transfer 127.0.0.1
}
CONF
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"

# adds FIRST COUNT TTL: "update add" lines for big.$Z A 10.X.Y.Z
adds() {
	local i
	for ((i = $1; i < $1 + $2; i++)); do
		echo "update add big.$Z $3 A 10.$((i >> 16 & 255)).$((i >> 8 & 255)).$((i & 255))"
	done
}
dels() {
	local i
	for ((i = $1; i < $1 + $2; i++)); do
		echo "update delete big.$Z A 10.$((i >> 16 & 255)).$((i >> 8 & 255)).$((i & 255))"
	done
}

note "three UPDATEs of 1000 records at one name (nsupdate -v: TCP)"
for b in 0 1000 2000; do
	nsup -v -y "$KEY" <<<"$(adds $b 1000 300)"
	expect_update NOERROR "nsupdate: 1000 records from $b"
done
n=$(rrcount big.$Z A)
[ "$n" = 3000 ] || fail "big.$Z A has $n records, expected 3000"
ok "big.$Z A: 3000 records"

note "one UPDATE: delete 1000 among them, add 500 new, re-add 10 with another TTL"
nsup -v -y "$KEY" <<<"$(dels 500 1000; adds 5000 500 300; adds 2990 10 120)"
expect_update NOERROR "nsupdate: delete 1000, add 510"
rrdata big.$Z A >"$WORK/after"
n=$(grep -c . "$WORK/after")
[ "$n" = 2500 ] || fail "big.$Z A has $n records after the delete, expected 2500"
grep -qx '10.0.1.244' "$WORK/after" && fail "10.0.1.244 (number 500) was deleted but is served"
grep -qx '10.0.5.219' "$WORK/after" && fail "10.0.5.219 (number 1499) was deleted but is served"
grep -qx '10.0.5.220' "$WORK/after" || fail "10.0.5.220 (number 1500) was not deleted but is gone"
grep -qx '10.0.19.139' "$WORK/after" || fail "10.0.19.139 (number 5003, one of the 500 new) is missing"
ok "2500 records: the 1000 deleted are gone, their neighbours and the 500 new are served"
ttls=$(dig @127.0.0.1 -p "$PORT" +tcp +norec +noall +answer big.$Z A | awk '{print $2}' | sort -u)
[ "$ttls" = 120 ] || fail "the RRset's TTLs after re-adding 10 with TTL 120: '$ttls'"
ok "the RRset took the TTL of the records re-added last (120), all 2500 of them"

note "a run of RRs at one name, another name, an instance, then the first again"
knsup -v -y "$KEY" <<<"$(adds 7000 300 60)
update add other.$Z 60 A 192.0.2.7
update add i1._big._tcp.$Z 60 SRV 0 0 80 big.$Z.
$(adds 7300 300 60)"
[ "$KNSUP_RCODE" = NOERROR ] || fail "knsupdate: $KNSUP_RCODE"
n=$(rrcount big.$Z A)
[ "$n" = 3100 ] || fail "big.$Z A has $n records, expected 3100"
[ "$(rrdata other.$Z A)" = 192.0.2.7 ] || fail "other.$Z A missing"
[ "$(rrdata i1._big._tcp.$Z SRV)" = "0 0 80 big.$Z." ] || fail "the instance's SRV is missing"
[ "$(rrdata _big._tcp.$Z PTR)" = "i1._big._tcp.$Z." ] || fail "the instance's browse PTR is missing"
ok "both runs at big.$Z, the other name and the instance (with its PTR) all landed"

note "AXFR carries what queries serve"
n=$(dig @127.0.0.1 -p "$PORT" +noall +answer AXFR $Z | awk -v n="big.$Z." '$1 == n && $4 == "A"' | grep -c .)
[ "$n" = 3100 ] || fail "AXFR has $n A records at big.$Z, expected 3100"
ok "AXFR: 3100 A records at big.$Z"

note "deleting the RRset"
nsup -y "$KEY" <<<"update delete big.$Z A"
expect_update NOERROR "nsupdate: delete the RRset"
n=$(rrcount big.$Z A)
[ "$n" = 0 ] || fail "big.$Z A still has $n records"
ok "the whole RRset went in one RR"

done_ok
