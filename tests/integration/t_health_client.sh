#!/bin/bash
# t_health_client.sh -- dnsd-update's checks end to end, against a real
# dnsd, seen with dig: a SIGSTOPped `run` command leaves DNS (SRV set,
# browse PTRs, the service's Consul-style address names) within its check
# interval plus timeout and comes back on SIGCONT; an HTTP check
# whose server starts answering 500 removes the instance, 429 (warning)
# keeps it; critical past the grace, the lease runs out and the instance
# expires, and it registers again once the check passes; a command that
# exits is deregistered at once; a killed wrapper takes its command along
# and the lease removes the records.
#
# Checks named "[server]" test dnsd's side of DNSD-HEALTH (EDNS option
# 65401: critical instances left out of answers); the others hold with
# any RFC 2136 server that has leases.
. "$(dirname "$0")/lib.sh"
need_tool dig
need_tool python3
UPDATE=$BUILDDIR/tools/dnsd-update
[ -x "$UPDATE" ] || hard_error "no $UPDATE (build first)"
DNSDCTL=${DNSDCTL:-$BUILDDIR/tools/dnsdctl}
[ -x "$DNSDCTL" ] || hard_error "no $DNSDCTL (build first)"

Z=svc.example.test
SECRET=$(head -c 32 /dev/urandom | base64 -w0)
cat >"$WORK/dnsd.conf" <<CONF
zone "$Z" { file "$SRCDIR/zones/$Z.zone"; min-lease 1; max-lease 600; consul-domain consul; }
key registrar { algorithm hmac-sha256; secret "$SECRET"; }
CONF
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"
U=("$UPDATE" -s "127.0.0.1@$PORT" -y "registrar:$SECRET" -z "$Z" -t 3)
short() { dig @127.0.0.1 -p "$PORT" +short +norec +time=2 +tries=1 "$@"; }

HPORT=$(pick_port) || hard_error "no free port"
echo 200 >"$WORK/status"
"$PYTHON" "$TESTDIR/httpcheck.py" "$HPORT" "$WORK/status" "$WORK/http.log" \
	--ready "$WORK/http.ready" 2>"$WORK/http.err" &
track_pid $!
wait_for 10 test -e "$WORK/http.ready" || hard_error "httpcheck.py did not start"
URL=http://127.0.0.1:$HPORT/health

# in_dns SVC INST PORT: the instance is in the RFC 2782 SRV set and in
# the browse PTRs of _SVC._tcp.
in_dns() {
	grep -q " $3 $2.$Z.\$" <<<"$(short "_$1._tcp.$Z" SRV)" &&
		grep -qx "$2._$1._tcp.$Z." <<<"$(short "_$1._tcp.$Z" PTR)"
}
# out_of_dns SVC INST PORT: in neither.
out_of_dns() {
	! grep -q " $3 $2.$Z.\$" <<<"$(short "_$1._tcp.$Z" SRV)" &&
		! grep -qx "$2._$1._tcp.$Z." <<<"$(short "_$1._tcp.$Z" PTR)"
}
# consul_has NAME ADDR: NAME.service.consul A lists ADDR.
consul_has() { grep -qx "$2" <<<"$(short "$1.service.consul" A)"; }
consul_lacks() { ! consul_has "$@"; }
# catalog_health INST: the instance's health in `dnsdctl services`.
catalog_health() {
	"$DNSDCTL" -s "$STORE" services "$Z" 2>/dev/null |
		awk -v i="$1._" 'index($1, i) == 1 { for (f = 2; f <= NF; f++)
			if ($f ~ /^(passing|warning|critical)$/) print $f }'
}
catalog_is() { [ "$(catalog_health "$1")" = "$2" ]; }
# expired SVC INST: nothing left at the instance's own names.
expired() {
	[ -z "$(short "$2._$1._tcp.$Z" SRV)" ] && [ -z "$(short "$2.$Z" A)" ]
}
# within WHAT SECONDS CMD...: CMD holds within SECONDS (ok), or not_ok.
within() {
	local what=$1 secs=$2 t0=$SECONDS
	shift 2
	if wait_for "$secs" "$@"; then
		ok "$what (after ~$((SECONDS - t0)) s)"
	else
		not_ok "$what: not within $secs s"
	fi
}
no_update_failed() {
	if grep -q "update failed" "$1"; then
		not_ok "$2: $(grep "update failed" "$1" | head -n 3)"
	else
		ok "$2: every UPDATE with DNSD-HEALTH accepted"
	fi
}

# ---- run: a stopped command leaves DNS, a continued one comes back -------------
# Interval 1 s, timeout 500 ms: out within 1.5 s (4 s allowed). The 30 s
# lease (and grace) cannot be what removes it.
note "run: SIGSTOP and SIGCONT"
rm -f "$WORK/child.pid"
# shop-0, registered once, passing, keeps the service's names alive.
"${U[@]}" register shop shop-0 10.0.3.9 8009 --lease 120 >/dev/null 2>"$WORK/reg.err" ||
	fail "register shop-0: $(cat "$WORK/reg.err")"
"${U[@]}" run shop shop-1 10.0.3.1 8001 --lease 30 --subtype v2 --check-interval 1s --check-timeout 500ms \
	-- sh -c "echo \$\$ >'$WORK/child.pid'; exec sleep 300" 2>"$WORK/run.err" &
runpid=$!
track_pid $runpid
wait_for 5 test -s "$WORK/child.pid" || fail "run: the command did not start"
child=$(cat "$WORK/child.pid")
track_pid "$child"
within "run: registered while its command runs" 5 in_dns shop shop-1 8001
if consul_has shop 10.0.3.1 && consul_has v2.shop 10.0.3.1 && consul_has shop 10.0.3.9 &&
	consul_lacks v2.shop 10.0.3.9; then
	ok "[server] shop.service.consul A and v2.shop.service.consul A (its tag) list it"
else
	not_ok "Consul-style names: shop '$(short shop.service.consul A)', v2.shop '$(short v2.shop.service.consul A)'"
fi
if [ -z "$(short shop.$Z A)" ]; then
	ok "nothing at shop.$Z: no address written at the service name"
else
	not_ok "shop.$Z A: $(short shop.$Z A)"
fi
kill -STOP "$child"
within "[server] SIGSTOP: out of the SRV set and the browse PTRs" 4 out_of_dns shop shop-1 8001
if consul_lacks shop 10.0.3.1 && consul_lacks v2.shop 10.0.3.1 && consul_has shop 10.0.3.9; then
	ok "[server] stopped: out of shop.service.consul A and v2.shop.service.consul A, shop-0 still there"
else
	not_ok "stopped: shop '$(short shop.service.consul A)', v2.shop '$(short v2.shop.service.consul A)'"
fi
if catalog_is shop-1 critical; then
	ok "[server] stopped: still registered, critical in dnsdctl services"
else
	not_ok "stopped: dnsdctl services says '$(catalog_health shop-1)', not critical"
fi
kill -CONT "$child"
within "SIGCONT: back in the SRV set and the browse PTRs" 4 in_dns shop shop-1 8001
if consul_has shop 10.0.3.1 && catalog_is shop-1 passing; then
	ok "and in shop.service.consul A, passing in dnsdctl services"
else
	not_ok "continued: shop.service.consul A '$(short shop.service.consul A)', catalog '$(catalog_health shop-1)'"
fi
kill -TERM "$child"
wait $runpid
rc=$?
if [ "$rc" = 143 ] && expired shop shop-1 && out_of_dns shop shop-1 8001; then
	ok "the command ends: deregistered at once, run exits 143"
else
	not_ok "after the command's end: rc=$rc, SRV '$(short shop-1._shop._tcp.$Z SRV)'"
fi
no_update_failed "$WORK/run.err" "run"

# ---- keepalive --check-http: 500 removes it, 429 keeps it -----------------------
note "keepalive --check-http"
"${U[@]}" keepalive pay pay-1 10.0.3.2 8002 --lease 30 --check-http "$URL" \
	--check-interval 1s --check-timeout 500ms 2>"$WORK/ka.err" &
ka=$!
track_pid $ka
within "HTTP 200: registered" 5 in_dns pay pay-1 8002
echo 500 >"$WORK/status"
within "[server] HTTP 500: out of DNS" 4 out_of_dns pay pay-1 8002
echo 429 >"$WORK/status"
within "HTTP 429 (warning): in DNS" 4 in_dns pay pay-1 8002
if catalog_is pay-1 warning; then
	ok "[server] warning in dnsdctl services"
else
	not_ok "dnsdctl services says '$(catalog_health pay-1)', not warning"
fi
# stays while warning: a few more rounds, still there
r0=$(grep -c . "$WORK/http.log")
wait_for 10 sh -c "[ \$(grep -c . '$WORK/http.log') -ge $((r0 + 2)) ]"
if in_dns pay pay-1 8002; then
	ok "warning for two more rounds: still in DNS"
else
	not_ok "a warning instance left DNS"
fi
echo 200 >"$WORK/status"
kill -TERM $ka
wait $ka
if out_of_dns pay pay-1 8002 && expired pay pay-1; then
	ok "keepalive SIGTERM: deregistered"
else
	not_ok "keepalive SIGTERM: still in DNS"
fi
no_update_failed "$WORK/ka.err" "keepalive --check-http"

# ---- critical past the grace: the lease runs out; passing registers again -------
# lease 2 s, grace 1 s: expired about 3 s after the check fails (10 allowed).
note "critical past the grace"
"${U[@]}" keepalive cart cart-1 10.0.3.3 8003 --lease 2 --check-http "$URL" \
	--check-interval 500ms --check-timeout 250ms --critical-grace 1s 2>"$WORK/grace.err" &
ka=$!
track_pid $ka
within "registered" 5 in_dns cart cart-1 8003
echo 500 >"$WORK/status"
within "critical past the grace: renewals stop and the lease expires the records" 10 expired cart cart-1
if kill -0 $ka 2>/dev/null && out_of_dns cart cart-1 8003; then
	ok "keepalive still running and checking, the instance out of DNS"
else
	not_ok "after expiry: keepalive gone or instance still browsable"
fi
echo 200 >"$WORK/status"
within "passing again: registered again" 5 in_dns cart cart-1 8003
kill -TERM $ka
wait $ka
no_update_failed "$WORK/grace.err" "grace"

# ---- a killed wrapper: its command dies, the lease removes the records ---------
note "run: the wrapper killed with SIGKILL"
rm -f "$WORK/child.pid"
"${U[@]}" run shop shop-2 10.0.3.4 8004 --lease 2 \
	-- sh -c "echo \$\$ >'$WORK/child.pid'; exec sleep 300" 2>"$WORK/run2.err" &
runpid=$!
track_pid $runpid
wait_for 5 test -s "$WORK/child.pid" || fail "run: the command did not start"
child=$(cat "$WORK/child.pid")
track_pid "$child"
within "registered" 5 in_dns shop shop-2 8004
kill -KILL $runpid
wait $runpid 2>/dev/null
child_gone() {
	local st
	st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$child/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ]
}
within "the command dies with its wrapper" 5 child_gone
within "the 2 s lease expires the records" 8 expired shop shop-2

done_ok
