#!/bin/bash
# t_update_tool.sh -- dnsd-update against a real dnsd: register with a
# lease, browse and SRV lookups with dig, renew, deregister, and `run`
# keeping a service registered exactly while its command runs; bench, and
# 8 waiting clients sharing commits (group commit with gathering).
. "$(dirname "$0")/lib.sh"
need_tool dig
UPDATE=$BUILDDIR/tools/dnsd-update
[ -x "$UPDATE" ] || hard_error "no $UPDATE (build first)"

Z=svc.example.test
SECRET=$(head -c 32 /dev/urandom | base64 -w0)
cat >"$WORK/dnsd.conf" <<CONF
zone "$Z" { file "$SRCDIR/zones/$Z.zone"; min-lease 1; max-lease 600; allow-transfer 127.0.0.1 }
key registrar { algorithm hmac-sha256; secret "$SECRET"; }
CONF
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"
upd() { "$UPDATE" -s "127.0.0.1@$PORT" -y "registrar:$SECRET" -z "$Z" "$@"; }
short() { dig @127.0.0.1 -p "$PORT" +short +norec "$@"; }

# register: every record a DNS-SD and an RFC 2782 client looks for
out=$(upd register api api-9 10.0.9.9 9009 --lease 30 --txt path=/v9 --subtype beta 2>&1) ||
	fail "register failed: $out"
grep -q "lease granted: 30s" <<<"$out" || fail "no granted lease printed: $out"
ok "register: lease granted 30s"
grep -q "api-9._api._tcp.$Z." <<<"$(short _api._tcp.$Z PTR)" || fail "browse PTR missing"
ok "browse PTR lists the instance"
grep -q "9009 api-9.$Z." <<<"$(short api-9._api._tcp.$Z SRV)" || fail "instance SRV missing"
grep -q '"path=/v9"' <<<"$(short api-9._api._tcp.$Z TXT)" || fail "instance TXT missing"
grep -q "9009 api-9.$Z." <<<"$(short _api._tcp.$Z SRV)" || fail "service SRV missing"
grep -q "9000 api-1.$Z." <<<"$(short _api._tcp.$Z SRV)" || fail "zone-file SRV lost"
ok "SRV at the instance and at the service name, TXT, zone-file SRV kept"
[ "$(short api-9.$Z A)" = 10.0.9.9 ] || fail "host A missing"
grep -q 10.0.9.9 <<<"$(short api.$Z A)" && fail "an address written at the service name (api.$Z A)"
grep -q "api-9._api._tcp.$Z." <<<"$(short _beta._sub._api._tcp.$Z PTR)" || fail "subtype PTR missing"
grep -q "_api._tcp.$Z." <<<"$(short _services._dns-sd._udp.$Z PTR)" || fail "service type not listed"
ok "host address, subtype and _services PTRs; nothing at the service name"
ttl=$(dig @127.0.0.1 -p "$PORT" +noall +answer api-9.$Z A | awk '{print $2}')
[ -n "$ttl" ] && [ "$ttl" -le 30 ] || fail "TTL $ttl exceeds the 30 s lease"
ok "TTL $ttl within the lease"

# a service named like a zone-file host: the host's records stay as they
# are (same addresses, TTL 300), at registration and at deregistration
web_before=$(dig @127.0.0.1 -p "$PORT" +noall +answer web.$Z A | awk '{print $2, $5}' | sort)
[ "$web_before" = "300 10.0.0.5"$'\n'"300 10.0.0.6" ] || hard_error "zone file: web.$Z A is '$web_before'"
out=$(upd register web web-9 10.0.0.5 8089 --lease 30 2>&1) || fail "register web web-9 failed: $out"
grep -q "web-9._web._tcp.$Z." <<<"$(short _web._tcp.$Z PTR)" || fail "web-9 not browsable"
web_now=$(dig @127.0.0.1 -p "$PORT" +noall +answer web.$Z A | awk '{print $2, $5}' | sort)
[ "$web_now" = "$web_before" ] || fail "registering service web changed host web: '$web_now'"
upd deregister web web-9 10.0.0.5 8089 >/dev/null 2>&1 || fail "deregister web web-9 failed"
web_now=$(dig @127.0.0.1 -p "$PORT" +noall +answer web.$Z A | awk '{print $2, $5}' | sort)
[ "$web_now" = "$web_before" ] || fail "deregistering service web changed host web: '$web_now'"
ok "service web next to host web: the host keeps its addresses and TTL 300"

# a lease clamped by the zone's max-lease
out=$(upd register api api-8 10.0.9.8 9008 --lease 100000 2>&1) || fail "register failed: $out"
grep -q "lease granted: 600s" <<<"$out" || fail "lease not clamped to 600: $out"
ok "lease clamped to max-lease"

# deregister removes exactly this instance
upd deregister api api-8 >/dev/null 2>&1 || fail "deregister failed"
[ -z "$(short api-8.$Z A)" ] || fail "api-8 still has an address"
grep -q "api-8" <<<"$(short _api._tcp.$Z PTR)" && fail "api-8 still browsable"
grep -q "api-9" <<<"$(short _api._tcp.$Z PTR)" || fail "deregister removed api-9 too"
ok "deregister removes one instance and leaves the others"

# a bad key fails with one line and a non-zero exit
bad=$(head -c 32 /dev/urandom | base64 -w0)
out=$("$UPDATE" -s "127.0.0.1@$PORT" -y "registrar:$bad" -z "$Z" register api api-7 10.0.9.7 1 2>&1)
rc=$?
[ "$rc" -ne 0 ] && [ "$(grep -c . <<<"$out")" = 1 ] && grep -q "NOTAUTH" <<<"$out" ||
	fail "bad secret: rc=$rc output: $out"
[ -z "$(short api-7.$Z A)" ] || fail "a refused update changed the zone"
ok "bad secret: NOTAUTH in one line, exit $rc, nothing changed"

# run: registered exactly while the command runs; gone after
upd run web run-1 10.0.7.1 8081 --lease 2 -- sleep 2 >"$WORK/run.out" 2>&1 &
runpid=$!
track_pid "$runpid"
registered() { [ "$(short run-1.$Z A)" = 10.0.7.1 ]; }
wait_for 5 registered || fail "run: not registered while running"
ok "run: registered while the command runs"
wait "$runpid"
rc=$?
[ "$rc" = 0 ] || fail "run: exit status $rc, expected the command's 0"
[ -z "$(short run-1.$Z A)" ] || fail "run: still registered after the command ended"
grep -q "run-1" <<<"$(short _web._tcp.$Z PTR)" && fail "run: still browsable after the command ended"
ok "run: exit status passed through, deregistered when the command ended"

# run with a command that dies: the lease still removes it
upd run web run-2 10.0.7.2 8082 --lease 2 -- sh -c 'exit 3' >/dev/null 2>&1
rc=$?
[ "$rc" = 3 ] || fail "run: exit status $rc, expected 3"
ok "run: a failing command's status (3) is passed through"

# bench: every update applied, counted and checked; bad input fails cleanly
out=$(upd bench -n 300 -c 8 bench 2>&1) || fail "bench failed: $out"
grep -q "300 sent, 300 ok, 0 failed, 8 clients" <<<"$out" || fail "bench summary: $out"
grep -q "^rate: [0-9.]* updates/s" <<<"$out" && grep -q "^latency: p50 " <<<"$out" ||
	fail "bench: no rate or latency: $out"
n=$(dig @127.0.0.1 -p "$PORT" +noall +answer "$Z" AXFR | awk '$4 == "SRV" && $1 ~ /^b[0-9]+-[0-9]+\._bench\._tcp\./' | wc -l)
[ "$n" = 300 ] || fail "bench: $n of its 300 SRV records in the zone"
ok "bench: 300 updates from 8 clients acknowledged, all 300 SRV records in the zone"
out=$("$UPDATE" -s "127.0.0.1@$PORT" -y "registrar:$bad" -z "$Z" bench -n 20 -c 4 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "20 failed" <<<"$out" && grep -q "first failure: NOTAUTH" <<<"$out" ||
	fail "bench with a bad key: rc=$rc output: $out"
ok "bench with a bad key: every update fails, the first failure named, exit 1"
out=$(upd bench -n 5 --tcp 2>&1)
rc=$?
[ "$rc" = 2 ] && grep -q "^dnsd-update: bench sends over UDP only" <<<"$out" ||
	fail "bench --tcp: rc=$rc output: $out"
ok "bench --tcp: usage error, exit 2"

stop_dnsd

# group commit: 8 clients that each wait for their answer share a commit
# (one batch would otherwise carry the half answered by the batch before)
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not restart"
out=$(upd bench -n 800 -c 8 grp 2>&1) || fail "bench (8 clients) failed: $out"
stop_dnsd
commits=$(sed -n 's/.*writer: 800 updates in \([0-9]*\) commits.*/\1/p' "$DNSD_LOG")
[ -n "$commits" ] && [ "$commits" -le 160 ] ||
	fail "8 clients: 800 updates took ${commits:-?} commits (at least 5 per commit expected)"
ok "8 waiting clients: 800 updates in $commits commits"
# the writer keeps room written ahead of the data LMDB uses (store_grow_ahead)
CTL=${DNSDCTL:-$BUILDDIR/tools/dnsdctl}
if [ -x "$CTL" ]; then
	used=$("$CTL" -s "$STORE" stats | awk '$1 == "map-used" { print $2 }')
	size=$(stat -c %s "$STORE/data.mdb")
	[ -n "$used" ] && [ "$size" -ge $((used + 1048576)) ] ||
		fail "data.mdb is $size bytes for ${used:-?} in use: no room written ahead"
	ok "data.mdb keeps $(((size - used) / 1024)) KiB written ahead of the $((used / 1024)) KiB in use"
	out=$("$CTL" -s "$STORE" zones 2>&1)
	grep -q "$Z" <<<"$out" || fail "dnsdctl cannot read the store with room ahead: $out"
fi

out=$(upd -t 2 bench -n 3 -c 2 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "first failure: no answer" <<<"$out" || fail "bench with no server: rc=$rc output: $out"
ok "bench with no server: fails after the timeout, exit 1"
done_ok
