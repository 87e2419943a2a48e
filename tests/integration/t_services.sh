#!/bin/bash
# t_services.sh -- the service model (issue 12) through real clients: an
# instance registered by plain nsupdate (SRV + TXT + A, no PTRs) shows up
# in every DNS-SD view, in the RFC 2782 SRV set, under the Consul-style
# names and in `dnsdctl services`; tags are subtypes that SRV clients can
# ask for; health reported in an UPDATE (DNSD-HEALTH) hides a critical
# instance from every answer at once, even one the answer cache holds, and
# only-passing hides warning ones too; a deregistration leaves no PTR
# anywhere; a renewal sets a shorter lease; and A answers for a service
# name spread over the instances by their SRV weights (10,000 queries).
. "$(dirname "$0")/lib.sh"
need_tool dig
need_tool nsupdate
need_dnspython
DNSDCTL=${DNSDCTL:-$BUILDDIR/tools/dnsdctl}
SECRET=c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==
Z=svc.example.test
O=only.test

cat >"$WORK/dnsd.conf" <<CONF
key registrar { algorithm hmac-sha256; secret "$SECRET"; }
zone "$Z" {
    file "$ZONES/$Z.zone"
    consul-domain "consul"
    a-record-limit 1
}
zone "$O" {
    only-passing yes
    consul-domain "oconsul"
}
CONF
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"

nsup() {
	nsupdate -y "hmac-sha256:registrar:$SECRET" >"$WORK/nsup.out" 2>&1 <<EOF
server 127.0.0.1 $PORT
zone $1
$(cat)
send
EOF
}
svcq() {
	"$PYDNS" "$TESTDIR/svcq.py" update -p "$PORT" -k "registrar:$SECRET" "$@"
}
# answers NAME TYPE: the answer section's data, sorted, one per line.
answers() {
	dig @127.0.0.1 -p "$PORT" +norec +short +time=2 +tries=1 "$1" "$2" | sort
}

# ---- a plain nsupdate registration ------------------------------------------
note "an nsupdate registration: SRV + TXT + A, no PTRs"
nsup "$Z" <<EOF
update add shop-1.$Z 60 A 10.9.0.1
update add shop-1._shop._tcp.$Z 60 SRV 0 5 8443 shop-1.$Z.
update add shop-1._shop._tcp.$Z 60 TXT "path=/cart"
EOF
[ $? = 0 ] || { cat "$WORK/nsup.out" >&2; fail "nsupdate registration failed"; }
ok "nsupdate registered shop-1"
expect_answer "_shop._tcp.$Z" PTR "shop-1\._shop\._tcp\.$Z\."
expect_answer "_services._dns-sd._udp.$Z" PTR "_shop\._tcp\.$Z\."
expect_answer "_shop._tcp.$Z" SRV "0 5 8443 shop-1\.$Z\."
q "_shop._tcp.$Z" SRV
assert_rr ADDITIONAL "^shop-1\.$Z\. [0-9]+ IN A 10\.9\.0\.1$" "RFC 2782 SRV: the host's address in additional"
expect_answer "shop-1._shop._tcp.$Z" TXT '"path=/cart"'
expect_answer "shop.service.consul" SRV "0 5 8443 shop-1\.$Z\."
expect_answer "shop.service.consul" A "10\.9\.0\.1"
expect_answer "_shop._tcp.service.consul" SRV "8443 shop-1\.$Z\."
out=$("$DNSDCTL" -s "$STORE" services "$Z" 2>&1)
grep -q '^_shop._tcp.svc.example.test.  1 instance' <<<"$out" &&
	grep -q 'shop-1._shop._tcp .*shop-1.svc.example.test.:8443 .*passing.*txt path=/cart' <<<"$out" ||
	{ echo "$out" >&2; fail "dnsdctl services does not list shop-1"; }
ok "dnsdctl services lists shop-1 with its port, health and TXT"
out=$("$DNSDCTL" -s "$STORE" services -j "$Z" 2>&1)
"$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); i=[i for s in d for i in s["instances"] if i["id"]=="shop-1._shop._tcp"][0]; assert i["port"]==8443 and i["health"]=="passing" and i["live"], i' <<<"$out" ||
	{ echo "$out" >&2; fail "dnsdctl services -j"; }
ok "dnsdctl services -j: shop-1 as JSON"

# ---- tags: subtypes for browsers, and for SRV clients ------------------------
note "a tag is a DNS-SD subtype, also for SRV clients and under the Consul names"
nsup "$Z" <<EOF
update add shop-2.$Z 60 A 10.9.0.2
update add shop-2._shop._tcp.$Z 60 SRV 0 5 8443 shop-2.$Z.
update add _v2._sub._shop._tcp.$Z 60 PTR shop-2._shop._tcp.$Z.
EOF
[ $? = 0 ] || { cat "$WORK/nsup.out" >&2; fail "nsupdate of shop-2 failed"; }
[ "$(answers "_v2._sub._shop._tcp.$Z" PTR)" = "shop-2._shop._tcp.$Z." ] ||
	fail "_v2._sub PTR: $(answers "_v2._sub._shop._tcp.$Z" PTR)"
ok "_v2._sub._shop._tcp PTR lists shop-2 only"
[ "$(answers "_v2._sub._shop._tcp.$Z" SRV)" = "0 5 8443 shop-2.$Z." ] ||
	fail "_v2._sub SRV: $(answers "_v2._sub._shop._tcp.$Z" SRV)"
q "_v2._sub._shop._tcp.$Z" SRV
assert_rr ADDITIONAL "^shop-2\.$Z\. [0-9]+ IN A 10\.9\.0\.2$" "_v2._sub SRV: shop-2's address in additional"
[ "$(answers v2.shop.service.consul SRV)" = "0 5 8443 shop-2.$Z." ] ||
	fail "v2.shop.service.consul SRV: $(answers v2.shop.service.consul SRV)"
ok "v2.shop.service.consul SRV: shop-2 only"
[ "$(answers v2.shop.service.consul A)" = "10.9.0.2" ] || fail "v2.shop.service.consul A: $(answers v2.shop.service.consul A)"
ok "v2.shop.service.consul A: shop-2's address"
[ "$(answers _shop._v2.service.consul SRV)" = "0 5 8443 shop-2.$Z." ] ||
	fail "_shop._v2.service.consul SRV: $(answers _shop._v2.service.consul SRV)"
ok "_shop._v2.service.consul SRV (RFC 2782 form): shop-2 only"
[ "$(answers "_shop._tcp.$Z" PTR | wc -l)" = 2 ] || fail "both instances browse: $(answers "_shop._tcp.$Z" PTR)"
ok "both instances in the browse PTR"

# ---- health ------------------------------------------------------------------
note "health reported in an UPDATE (DNSD-HEALTH): critical leaves every answer"
# Fill the answer cache with answers that hold shop-2.
for i in 1 2 3; do answers "_shop._tcp.$Z" SRV >/dev/null; answers "_shop._tcp.$Z" PTR >/dev/null; done
out=$(svcq -z "$Z" --health critical --note "HTTP 500" "add shop-2._shop._tcp 60 SRV 0 5 8443 shop-2")
[[ $out == rcode=NOERROR* ]] || fail "health critical: $out"
! answers "_shop._tcp.$Z" SRV | grep -q shop-2 || fail "critical shop-2 still in _shop._tcp SRV"
! answers "_shop._tcp.$Z" PTR | grep -q shop-2 || fail "critical shop-2 still browses"
! answers "_v2._sub._shop._tcp.$Z" PTR | grep -q shop-2 || fail "critical shop-2 still in its subtype"
[ -z "$(answers v2.shop.service.consul SRV)" ] || fail "critical shop-2 still under v2.shop.service.consul"
answers "_shop._tcp.$Z" SRV | grep -q shop-1 || fail "shop-1 left with shop-2"
ok "a critical instance leaves SRV, browse, subtype and Consul answers at once (cache included)"
"$DNSDCTL" -s "$STORE" services "$Z" | grep -q 'shop-2._shop._tcp .*critical' || fail "dnsdctl does not show shop-2 critical"
ok "dnsdctl shows shop-2 critical"
out=$(svcq -z "$Z" --health warning "add shop-2._shop._tcp 60 SRV 0 5 8443 shop-2")
answers "_shop._tcp.$Z" SRV | grep -q shop-2 || fail "a warning instance must stay in answers (as in Consul)"
ok "a warning instance is answered again"
out=$(svcq -z "$Z" --health passing "add shop-2._shop._tcp 60 SRV 0 5 8443 shop-2")
s1=$(dig @127.0.0.1 -p "$PORT" +short SOA "$Z" | awk '{print $3}')
out=$(svcq -z "$Z" --health warning "add shop-2._shop._tcp 60 SRV 0 5 8443 shop-2")
s2=$(dig @127.0.0.1 -p "$PORT" +short SOA "$Z" | awk '{print $3}')
[ -n "$s1" ] && [ "$s1" = "$s2" ] || fail "a health flip that changes no view raised the serial ($s1 -> $s2)"
ok "passing -> warning changes no view and no serial ($s1)"

note "only-passing: warning instances are left out too"
svcq -z "$O" "add a 60 A 10.8.0.1" "add a._db._tcp 60 SRV 0 1 5432 a" >/dev/null
svcq -z "$O" "add b 60 A 10.8.0.2" "add b._db._tcp 60 SRV 0 1 5432 b" >/dev/null
[ "$(answers "_db._tcp.$O" PTR | wc -l)" = 2 ] || fail "only-passing zone: two instances expected: $(answers "_db._tcp.$O" PTR)"
svcq -z "$O" --health warning "add b._db._tcp 60 SRV 0 1 5432 b" >/dev/null
[ "$(answers "_db._tcp.$O" PTR)" = "a._db._tcp.$O." ] || fail "only-passing: warning b still answered: $(answers "_db._tcp.$O" PTR)"
[ "$(answers db.service.oconsul A)" = 10.8.0.1 ] || fail "only-passing: db.service.oconsul A: $(answers db.service.oconsul A)"
ok "only-passing leaves a warning instance out of browse and Consul answers"

# ---- leases -------------------------------------------------------------------
note "a renewal sets the lease it asks for, shorter too"
out=$(svcq -z "$Z" -l 600 "add lease-1 30 A 10.9.1.1" "add lease-1._tmp._tcp 30 SRV 0 0 80 lease-1")
[ "$out" = "rcode=NOERROR lease=600" ] || fail "register with lease 600: $out"
out=$(svcq -z "$Z" -l 3 "add lease-1 30 A 10.9.1.1" "add lease-1._tmp._tcp 30 SRV 0 0 80 lease-1")
[ "$out" = "rcode=NOERROR lease=3" ] || fail "renew with lease 3: $out"
ttl=$(dig @127.0.0.1 -p "$PORT" +norec "_tmp._tcp.$Z" PTR | awk '$4 == "PTR" {print $2}')
[ -n "$ttl" ] && [ "$ttl" -le 3 ] || fail "after the shorter renewal the TTL is '$ttl' (at most 3 expected)"
ok "the shorter lease took effect: TTL $ttl"
gone() { [ -z "$(answers "_tmp._tcp.$Z" PTR)" ] && [ -z "$(answers tmp.service.consul SRV)" ]; }
wait_for 8 gone || fail "lease-1 still answered 8 s after a 3 s lease"
ok "the instance expired with the 3 s lease: browse and Consul names gone"
! "$DNSDCTL" -s "$STORE" services "$Z" | grep -q 'lease-1._tmp._tcp' || fail "the expired instance is still in the store"
ok "the reaper removed the expired instance from the catalog"

# ---- deregistration ----------------------------------------------------------
note "a deregistration leaves no PTR anywhere"
nsup "$Z" <<EOF
update delete shop-2._shop._tcp.$Z SRV
EOF
[ $? = 0 ] || fail "deregistration failed"
! answers "_shop._tcp.$Z" PTR | grep -q shop-2 || fail "shop-2 still browses"
[ -z "$(answers "_v2._sub._shop._tcp.$Z" PTR)" ] || fail "_v2._sub PTR still there: $(answers "_v2._sub._shop._tcp.$Z" PTR)"
q v2.shop.service.consul SRV
assert_rcode NXDOMAIN "the tag's Consul name is gone"
nsup "$Z" <<EOF
update delete shop-1._shop._tcp.$Z SRV
EOF
[ -z "$(answers "_shop._tcp.$Z" PTR)" ] || fail "browse PTR after the last deregistration: $(answers "_shop._tcp.$Z" PTR)"
! answers "_services._dns-sd._udp.$Z" PTR | grep -q _shop || fail "_services PTR still names _shop._tcp"
q shop.service.consul SRV
assert_rcode NXDOMAIN "shop.service.consul after the last instance left"
answers "_services._dns-sd._udp.$Z" PTR | grep -q "_http._tcp.$Z" || fail "the zone file's _services PTRs must stay"
ok "no PTR anywhere for a deregistered service; the zone file's own PTRs stay"

# ---- load spreading by weight -------------------------------------------------
note "A answers for a service name follow the SRV weights (a-record-limit 1)"
svcq -z "$Z" "add w1 60 A 10.7.0.1" "add w1._wt._tcp 60 SRV 0 60 80 w1" \
	"add w2 60 A 10.7.0.2" "add w2._wt._tcp 60 SRV 0 30 80 w2" \
	"add w3 60 A 10.7.0.3" "add w3._wt._tcp 60 SRV 0 10 80 w3" \
	"add w0 60 A 10.7.0.4" "add w0._wt._tcp 60 SRV 0 0 80 w0" >/dev/null
hist=$("$PYDNS" "$TESTDIR/svcq.py" count -p "$PORT" -n 10000 wt.service.consul A) || fail "the query loop failed"
echo "# 10000 queries: $hist"
"$PYDNS" - "$hist" <<'PYEOF' || fail "the answers do not follow the weights: $hist"
import json, sys
h = json.loads(sys.argv[1])
f = h["first"]
assert h["sizes"] == {"1": 10000}, h["sizes"]
assert "10.7.0.4" not in f, "the weight-0 instance was chosen while others were left"
for addr, w in (("10.7.0.1", 0.6), ("10.7.0.2", 0.3), ("10.7.0.3", 0.1)):
    share = f.get(addr, 0) / 10000
    assert abs(share - w) < 0.03, (addr, share, w)
print("ok - shares 60/30/10 within 3 points: %s" % {a: f.get(a, 0) for a in sorted(f)})
PYEOF
ok "10,000 A queries: 60/30/10 by weight, the weight-0 instance never"
svcq -z "$Z" "del w1._wt._tcp SRV 0 60 80 w1" "del w2._wt._tcp SRV 0 30 80 w2" \
	"del w3._wt._tcp SRV 0 10 80 w3" >/dev/null
[ "$(answers wt.service.consul A)" = 10.7.0.4 ] || fail "weight 0 must be chosen when nothing else is left: $(answers wt.service.consul A)"
ok "the weight-0 instance answers when it is the last one"

note "with no a-record-limit every address comes, in an order drawn per query"
svcq -z "$O" "add c 60 A 10.8.0.3" "add c._db._tcp 60 SRV 0 1 5432 c" >/dev/null
hist=$("$PYDNS" "$TESTDIR/svcq.py" count -p "$PORT" -n 400 db.service.oconsul A) || fail "the query loop failed"
"$PYDNS" - "$hist" <<'PYEOF' || fail "rotation: $hist"
import json, sys
h = json.loads(sys.argv[1])
assert h["sizes"] == {"2": 400}, h["sizes"]       # a and c (b is warning, only-passing)
assert len(h["first"]) == 2 and min(h["first"].values()) > 100, h["first"]
PYEOF
ok "every address in each answer, each first in a good share of 400 answers"

dnsd_alive || fail "dnsd died"
done_ok
