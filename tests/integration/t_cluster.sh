#!/bin/bash
# t_cluster.sh -- cluster mode with real clients: three etcd members and
# three dnsd nodes on loopback, and an NSD secondary of nodes 1 and 2.
#
#   - the nodes start on the same serial; a registration sent to node 1
#     (nsupdate) is answered by node 1 as soon as it is acknowledged and
#     by nodes 2 and 3 within a generous bound (the time is printed; the
#     benchmark measures it); the three AXFRs are identical;
#   - a renewal that changes nothing reaches etcd and moves no serial;
#   - conflicting updates with prerequisites sent at once to nodes 2 and
#     3: exactly one wins, every node serves the winner;
#   - kill -9 of node 1 in the middle of a stream of registrations sent
#     to all nodes (dnsd-update, failing over to the next node): every
#     acknowledged registration is on nodes 2 and 3, the stream goes on,
#     and node 1 restarts and catches up to an identical AXFR;
#   - a 3-second lease taken by node 1 expires on nodes 2 and 3 while
#     node 1 is down, and the NSD secondary, transferring from node 2
#     now, follows (the same serial everywhere);
#   - kill -9 of one etcd member changes nothing for clients; of two:
#     writes get SERVFAIL, reads go on; with the members back, writes
#     work again by themselves.
#
# Bounds are generous (a loaded machine): they catch a change that never
# arrives, not a slow one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_cluster.sh"

need_etcd
need_tool dig
need_tool nsupdate
need_tool ldns-read-zone
PATH=$PATH:/usr/sbin:/sbin
HAVE_NSD=1
command -v nsd >/dev/null 2>&1 || need_tool nsd
[ -x "$BUILDDIR/tools/dnsd-update" ] || hard_error "no dnsd-update (build first)"

SECONDS=0
note "three etcd members"
etcd_cluster 3
echo "# etcd at $ETCD_URLS ($SECONDS s)"

# The NSD secondary: nodes 1 and 2 notify it; it transfers from either.
NSD_PORT=$(pick_port) || hard_error "no free port"
# A copy of the zone file, to change it later.
mkdir -p "$WORK/zones"
cp "$ZONES/$Z.zone" "$WORK/zones/"
ZONES=$WORK/zones
node_setup 1 "notify 127.0.0.1@$NSD_PORT"
# Node 2 also takes registrations over HTTP (Consul's API).
HPORT=$(pick_port) || hard_error "no free port"
HTOKEN=cluster-token-0123456789abcdef
NODE_TOP="http-listen 127.0.0.1@$HPORT
token ci { secret \"$HTOKEN\"; key registrar; }" node_setup 2 "notify 127.0.0.1@$NSD_PORT"
node_setup 3
for i in 1 2 3; do
	"$DNSD" -n -c "${NODE_CONF[i]}" >"$WORK/check$i.log" 2>&1 ||
		{ cat "$WORK/check$i.log" >&2; hard_error "node $i: configuration rejected"; }
done

note "three dnsd nodes"
for i in 1 2 3; do
	node_start "$i"
done
same_serials() {
	local a b c
	a=$(serial_of 1) b=$(serial_of 2) c=$(serial_of 3)
	[ -n "$a" ] && [ "$a" = "$b" ] && [ "$b" = "$c" ]
}
poll_ms 10000 same_serials || fail "the nodes start on different serials: $(serial_of 1) $(serial_of 2) $(serial_of 3)"
ok "three nodes serve serial $(serial_of 1) ($SECONDS s in)"

# ---- a registration at node 1, answered by all ----------------------------------
note "a registration sent to node 1 is answered by every node"
# First a service the zone file describes too (_api._tcp, with its
# _services._dns-sd._udp PTR): the derived records merge with the file's
# (one TTL per RRset), on every node alike.
reg 1 --lease 600 register api api-2 10.0.1.11 9001 || fail "dnsd-update register api-2 at node 1"
poll_ms 5000 eval 'qn 3 "_api._tcp.$Z" SRV | grep -q "9001 api-2.$Z."' ||
	fail "node 3 does not serve api-2 next to the zone file's api-1"
ok "an instance of a service the zone file has (api-2 next to api-1) reaches node 3"
S0=$(serial_of 1)
upd 1 "update add web-1._web._tcp.$Z 60 SRV 0 5 8080 host1.$Z" \
	"update add web-1._web._tcp.$Z 60 TXT \"v=1\"" \
	"update add host1.$Z 60 A 10.0.0.1" || fail "nsupdate to node 1: $UPD_OUT"
# Read your write: node 1 replied once its own mirror had it.
[ "$(qn 1 "host1.$Z" A)" = 10.0.0.1 ] || fail "node 1 acknowledged the registration but does not serve it"
ok "node 1 serves its acknowledged write at once"
for i in 2 3; do
	poll_ms 5000 eval '[ "$(qn '"$i"' "_web._tcp.$Z" SRV)" = "0 5 8080 host1.$Z." ]' ||
		fail "node $i does not serve the registration 5 s after node 1 acknowledged it"
	ok "node $i serves it ${ELAPSED_MS} ms after the acknowledgement (bound 5 s)"
done
S1=$(serial_of 1)
wire_gt() { [ $((($1 - $2 + 4294967296) % 4294967296)) -gt 0 ] && [ $((($1 - $2 + 4294967296) % 4294967296)) -lt 2147483648 ]; }
wire_gt "$S1" "$S0" || fail "the serial did not rise: $S0 -> $S1"
poll_ms 3000 same_serials || fail "serials differ: $(serial_of 1) $(serial_of 2) $(serial_of 3)"
axfrs_equal() {
	axfr_of 1 "$WORK/ax1" && axfr_of 2 "$WORK/ax2" && axfr_of 3 "$WORK/ax3" &&
		[ -s "$WORK/ax1" ] && cmp -s "$WORK/ax1" "$WORK/ax2" && cmp -s "$WORK/ax1" "$WORK/ax3"
}
axfrs_equal || { diff "$WORK/ax1" "$WORK/ax2" | head >&2; fail "the nodes' AXFRs differ"; }
ok "serial $S0 -> $S1 on every node; identical AXFRs ($(wc -l <"$WORK/ax1") records)"

# ---- an HTTP registration ------------------------------------------------------
note "a registration over HTTP (Consul's API) at node 2 is answered by node 3"
command -v curl >/dev/null 2>&1 || need_tool curl
code=$(curl -s -m 10 -o "$WORK/http.out" -w '%{http_code}' -X PUT -H "X-Consul-Token: $HTOKEN" \
	-d '{"Name":"shop","ID":"shop-1","Address":"10.2.0.1","Port":8443}' \
	"http://127.0.0.1:$HPORT/v1/agent/service/register")
[ "$code" = 200 ] || fail "HTTP register at node 2: $code $(cat "$WORK/http.out")"
poll_ms 5000 eval 'qn 3 "_shop._tcp.$Z" SRV | grep -q " 8443 "' ||
	fail "node 3 does not serve the instance registered over HTTP at node 2"
ok "HTTP registration at node 2 acknowledged and served by node 3 (DNS-SD SRV)"
poll_ms 3000 same_serials || fail "serials differ after the HTTP registration"
S1=$(serial_of 1)

# ---- a renewal that changes nothing --------------------------------------------
note "a renewal that changes nothing moves no serial"
vrev() {
	etcdctl --endpoints "${ETCD_URLS// /,}" -w json get "/t_cluster/z/$Z./version" 2>/dev/null |
		sed -n 's/.*"mod_revision":\([0-9]*\).*/\1/p'
}
V0=$(vrev)
upd 2 "update add web-1._web._tcp.$Z 60 SRV 0 5 8080 host1.$Z" \
	"update add web-1._web._tcp.$Z 60 TXT \"v=1\"" \
	"update add host1.$Z 60 A 10.0.0.1" || fail "renewal at node 2: $UPD_OUT"
V1=$(vrev)
[ -n "$V0" ] && [ -n "$V1" ] && [ "$V1" -gt "$V0" ] || fail "the renewal did not reach etcd (version key $V0 -> $V1)"
[ "$(serial_of 2)" = "$S1" ] || fail "node 2's serial moved on a renewal: $S1 -> $(serial_of 2)"
sleep 0.5
same_serials && [ "$(serial_of 1)" = "$S1" ] || fail "a renewal moved a serial: $(serial_of 1) $(serial_of 2) $(serial_of 3) (was $S1)"
ok "renewal written to etcd (revision $V0 -> $V1), serial $S1 everywhere"

# ---- conflicting prerequisites ---------------------------------------------------
note "conflicting updates with prerequisites at nodes 2 and 3: exactly one wins"
for round in 1 2 3 4 5; do
	name=lock$round.$Z
	pids=()
	for i in 2 3; do
		( upd "$i" "prereq nxdomain $name" "update add $name 60 A 10.9.$round.$i"
		  echo $? >"$WORK/race$round.$i"; echo "$UPD_OUT" >"$WORK/race$round.$i.out" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
	won=0 winner=
	for i in 2 3; do
		if [ "$(cat "$WORK/race$round.$i")" = 0 ]; then
			won=$((won + 1))
			winner=$i
		else
			grep -q YXDOMAIN "$WORK/race$round.$i.out" ||
				fail "round $round: the loser at node $i got: $(cat "$WORK/race$round.$i.out")"
		fi
	done
	[ "$won" = 1 ] || fail "round $round: $won updates won (one must)"
	for i in 1 2 3; do
		poll_ms 5000 eval '[ "$(qn '"$i"' "$name" A)" = "10.9.$round.$winner" ]' ||
			fail "round $round: node $i serves '$(qn "$i" "$name" A)', not the winner's 10.9.$round.$winner"
	done
done
ok "5 rounds: one NOERROR and one YXDOMAIN each, every node serves the winner"

# ---- the NSD secondary ------------------------------------------------------------
NSD_DIR=$WORK/nsd
mkdir -p "$NSD_DIR"
cat >"$NSD_DIR/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$NSD_PORT
    port: $NSD_PORT
    do-ip6: no
    zonesdir: "$NSD_DIR"
    xfrdfile: "$NSD_DIR/xfrd.state"
    zonelistfile: "$NSD_DIR/zone.list"
    pidfile: "$NSD_DIR/nsd.pid"
    logfile: "$NSD_DIR/nsd.log"
    database: ""
    username: ""
    chroot: ""
    verbosity: 2
    rrl-ratelimit: 0
    server-count: 1
    xfrd-reload-timeout: 0
remote-control:
    control-enable: no
zone:
    name: "$Z"
    zonefile: "$Z.zone"
    request-xfr: 127.0.0.1@${NODE_PORT[1]} NOKEY
    request-xfr: 127.0.0.1@${NODE_PORT[2]} NOKEY
    allow-notify: 127.0.0.1 NOKEY
CONF
nsd-checkconf "$NSD_DIR/nsd.conf" >"$WORK/nsd-check.log" 2>&1 ||
	{ cat "$WORK/nsd-check.log" >&2; hard_error "nsd-checkconf rejected the configuration"; }
nsd -d -c "$NSD_DIR/nsd.conf" >"$NSD_DIR/stdout" 2>&1 &
NSD_PID=$!
track_pid "$NSD_PID"
nsd_serial() {
	dig @127.0.0.1 -p "$NSD_PORT" +norec +short +time=1 +tries=1 SOA "$Z" 2>/dev/null | awk 'NF == 7 {print $3}'
}
nsd_follows() {
	local n
	n=$(nsd_serial)
	[ -n "$n" ] && [ "$n" = "$(serial_of 2)" ]
}
poll_ms 15000 nsd_follows || { tail -n 20 "$NSD_DIR/nsd.log" >&2; fail "NSD did not load the zone (serial '$(nsd_serial)', node 2 $(serial_of 2))"; }
ok "NSD transferred the zone: serial $(nsd_serial) ($SECONDS s in)"

# ---- kill -9 of node 1 during a stream of registrations --------------------------
note "kill -9 of node 1 during a stream of registrations to all nodes"
STREAM=60
cat >"$WORK/stream.sh" <<'EOF'
# stream.sh: registrations st-1..st-N, each to the next node in turn; a
# node that fails is skipped from then on (a client with three servers)
acked=$1 n=$2
shift 2
ports=("$@")
dead=()
for i in $(seq 1 "$n"); do
	for try in 0 1 2; do
		k=$(( (i + try) % ${#ports[@]} ))
		[ -n "${dead[k]:-}" ] && continue
		if "$UPDATE" -s "127.0.0.1@${ports[k]}" -t 2 -y "registrar:$SECRET" -z "$Z" --lease 600 \
			register stream "st-$i" "10.1.$((i / 200)).$((i % 200 + 1))" 8000 >/dev/null 2>&1; then
			echo "$i" >>"$acked"
			break
		fi
		dead[k]=1
	done
done
EOF
: >"$WORK/acked"
UPDATE=$BUILDDIR/tools/dnsd-update SECRET=$REG_SECRET Z=$Z \
	bash "$WORK/stream.sh" "$WORK/acked" "$STREAM" "${NODE_PORT[1]}" "${NODE_PORT[2]}" "${NODE_PORT[3]}" &
STREAM_PID=$!
track_pid "$STREAM_PID"
acked() { wc -l <"$WORK/acked"; }
poll_ms 30000 eval '[ "$(acked)" -ge $((STREAM / 3)) ]' || fail "the stream stalled at $(acked) registrations"
node_kill 1
K=$(acked)
echo "# node 1 killed after $K acknowledged registrations"
for _ in $(seq 1 600); do
	kill -0 "$STREAM_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$STREAM_PID" 2>/dev/null && fail "the stream did not end in 60 s ($(acked) acknowledged)"
wait "$STREAM_PID"
N=$(acked)
[ "$N" -gt "$K" ] || fail "the stream did not go on after node 1 died ($K then $N)"
[ "$N" -ge $((STREAM - 2)) ] || fail "only $N of $STREAM registrations acknowledged with two nodes up"
for i in 2 3; do
	axfr_of "$i" "$WORK/after$i"
	missing=0
	while read -r k; do
		grep -q "^st-$k\._stream\._tcp\.$Z\.[[:space:]].*SRV" "$WORK/after$i" || missing=$((missing + 1))
	done <"$WORK/acked"
	[ "$missing" = 0 ] || fail "node $i lacks $missing of the $N acknowledged registrations"
done
ok "all $N acknowledged registrations ($K before the kill) are on nodes 2 and 3"

note "node 1 restarts and catches up"
node_start 1
node1_caught_up() {
	axfr_of 1 "$WORK/c1" && axfr_of 2 "$WORK/c2" && [ -s "$WORK/c1" ] && cmp -s "$WORK/c1" "$WORK/c2"
}
poll_ms 15000 node1_caught_up || { diff "$WORK/c1" "$WORK/c2" | head >&2; fail "node 1's AXFR differs from node 2's 15 s after the restart"; }
ok "node 1's AXFR equals node 2's ${ELAPSED_MS} ms after it answered again (serial $(serial_of 1))"
grep -q "resynchronis" "${NODE_LOG[1]}" && fail "node 1 resynchronised instead of resuming its watch"
ok "node 1 resumed its watch from its last applied revision (no full read)"

# ---- a lease expires while the node that took it is down --------------------------
note "a 3-second lease taken by node 1 expires on nodes 2 and 3 while node 1 is down"
reg 1 --lease 3 register short s1 10.0.0.9 80 || fail "registration with a 3 s lease at node 1"
T0=$(now_ms)
[ -n "$(qn 1 "s1._short._tcp.$Z" SRV)" ] || fail "node 1 does not serve its registration"
poll_ms 5000 eval '[ -n "$(qn 2 "s1._short._tcp.$Z" SRV)" ]' || fail "node 2 never served s1"
node_kill 1
gone() { [ -z "$(qn 2 "s1.$Z" A)" ] && [ -z "$(qn 3 "s1.$Z" A)" ]; }
poll_ms 10000 gone || fail "s1 still served 10 s after node 1 died"
ok "s1 is gone from nodes 2 and 3 $(($(now_ms) - T0)) ms after its 3 s lease began (node 1 down)"
SX=$(serial_of 2)
deleted() { [ "$(serial_of 2)" != "$SX" ] || [ -z "$(etcdctl --endpoints "${ETCD_URLS// /,}" get --prefix --keys-only "/t_cluster/z/$Z./i/s1." 2>/dev/null)" ]; }
poll_ms 10000 deleted || fail "etcd did not delete s1 in 10 s"
poll_ms 3000 eval '[ "$(serial_of 2)" = "$(serial_of 3)" ]' || fail "nodes 2 and 3 differ: $(serial_of 2) $(serial_of 3)"
ok "etcd's lease deleted it; nodes 2 and 3 both moved to serial $(serial_of 2)"

note "the NSD secondary follows node 2 now"
poll_ms 5000 nsd_follows || { tail -n 20 "$NSD_DIR/nsd.log" >&2; fail "NSD serial $(nsd_serial), node 2 $(serial_of 2)"; }
[ -z "$(dig @127.0.0.1 -p "$NSD_PORT" +short +norec s1."$Z" A)" ] || fail "NSD still serves the expired s1"
upd 3 "update add after-failover.$Z 60 A 10.0.0.77" || fail "update at node 3: $UPD_OUT"
poll_ms 5000 eval '[ "$(dig @127.0.0.1 -p "$NSD_PORT" +short +norec after-failover.'"$Z"' A)" = 10.0.0.77 ]' ||
	{ tail -n 20 "$NSD_DIR/nsd.log" >&2; fail "NSD did not follow a change made at node 3"; }
poll_ms 3000 eval 'nsd_follows && [ "$(serial_of 3)" = "$(serial_of 2)" ]' ||
	fail "serials: NSD $(nsd_serial), node 2 $(serial_of 2), node 3 $(serial_of 3)"
ok "NSD follows from node 2 with node 1 down: serial $(nsd_serial) on NSD and nodes 2, 3"

# ---- a zone file changes --------------------------------------------------------
note "the zone file changes, with a serial 10 higher: SIGHUP, and both nodes agree"
SR=$(serial_of 2)
awk '/; serial/ { sub(/[0-9]+/, $1 + 10) } { print }' "$ZONES/$Z.zone" >"$WORK/zone.new"
echo "reloaded IN A 10.0.0.99" >>"$WORK/zone.new"
mv "$WORK/zone.new" "$ZONES/$Z.zone"
kill -HUP "${NODE_PID[2]}" "${NODE_PID[3]}"
reloaded() {
	[ "$(qn 2 "reloaded.$Z" A)" = 10.0.0.99 ] && [ "$(qn 3 "reloaded.$Z" A)" = 10.0.0.99 ] &&
		[ "$(serial_of 2)" = "$(serial_of 3)" ] && [ "$(serial_of 2)" != "$SR" ]
}
poll_ms 10000 reloaded || fail "after SIGHUP: node 2 serial $(serial_of 2), node 3 $(serial_of 3), was $SR"
[ "$(serial_of 2)" = $((SR + 10)) ] || fail "the serial should be the file's plus the revision: $SR -> $(serial_of 2)"
poll_ms 5000 nsd_follows || fail "NSD did not follow the reload (NSD $(nsd_serial), node 2 $(serial_of 2))"
ok "after SIGHUP both nodes serve the new record at serial $(serial_of 2) (the file's serial + 10), NSD too"

# ---- etcd members fail --------------------------------------------------------------
note "kill -9 of one etcd member: nothing changes for clients"
etcd_kill e1
upd 2 "update add one-down.$Z 60 A 10.0.0.81" || fail "update with one member down: $UPD_OUT"
[ "$(qn 2 "one-down.$Z" A)" = 10.0.0.81 ] || fail "node 2 does not serve its write"
poll_ms 5000 eval '[ "$(qn 3 "one-down.$Z" A)" = 10.0.0.81 ]' || fail "node 3 does not follow with one member down"
ok "one member down: the update is acknowledged and served by nodes 2 and 3"

note "kill -9 of a second member: writes get SERVFAIL, reads go on"
etcd_kill e2
T0=$(now_ms)
upd 3 "update add two-down.$Z 60 A 10.0.0.82" && fail "an update was acknowledged without quorum"
grep -q SERVFAIL <<<"$UPD_OUT" || fail "without quorum the update should get SERVFAIL: $UPD_OUT"
ok "without quorum: SERVFAIL after $(($(now_ms) - T0)) ms"
for i in 2 3; do
	[ "$(qn "$i" "one-down.$Z" A)" = 10.0.0.81 ] && [ "$(qn "$i" "_web._tcp.$Z" SRV)" = "0 5 8080 host1.$Z." ] ||
		fail "node $i stopped answering from its mirror without quorum"
done
[ -z "$(qn 2 "two-down.$Z" A)" ] || fail "the refused update is served"
ok "reads go on at nodes 2 and 3"

note "the members come back: writes work again by themselves"
etcd_restart e1
etcd_restart e2
etcd_wait e1
etcd_wait e2
writes_again() { upd 2 "update add back.$Z 60 A 10.0.0.83"; }
poll_ms 20000 writes_again || fail "updates still fail 20 s after the members came back: $UPD_OUT"
ok "updates work again ${ELAPSED_MS} ms after the members answered"
poll_ms 5000 eval '[ "$(qn 3 "back.$Z" A)" = 10.0.0.83 ]' || fail "node 3 does not follow after the members came back"
poll_ms 5000 eval '[ "$(serial_of 2)" = "$(serial_of 3)" ] && nsd_follows' ||
	fail "serials: node 2 $(serial_of 2), node 3 $(serial_of 3), NSD $(nsd_serial)"
axfr_of 2 "$WORK/f2"
axfr_of 3 "$WORK/f3"
cmp -s "$WORK/f2" "$WORK/f3" || { diff "$WORK/f2" "$WORK/f3" | head >&2; fail "nodes 2 and 3 differ at the end"; }
ok "nodes 2 and 3 end identical, serial $(serial_of 2), NSD too ($SECONDS s in all)"

note "the nodes stop cleanly"
for i in 2 3; do
	kill -TERM "${NODE_PID[i]}"
	wait "${NODE_PID[i]}"
	st=$?
	[ "$st" = 0 ] || fail "node $i exited with status $st on SIGTERM"
done
for f in "$WORK"/n*.log; do
	! grep -qiE 'sanitizer|runtime error|assert' "$f" || { grep -iE 'sanitizer|runtime error' "$f" | head >&2; fail "$f reports a sanitizer error"; }
done
ok "nodes 2 and 3 exit 0 on SIGTERM; no sanitizer report in any node's log"
done_ok
