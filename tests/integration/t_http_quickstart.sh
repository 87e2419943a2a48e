#!/bin/bash
# t_http_quickstart.sh -- the Consul workflow of the README, run literally
# against the quickstart configuration (zones/dnsd.conf: DNS on
# 127.0.0.1:5300, HTTP on 127.0.0.1:8500): the two curl commands, then
# dig finds service-a; the example definition file is served too. Skips
# when another program holds port 5300 or 8500.
. "$(dirname "$0")/lib.sh"
need_tool curl
need_tool dig

Q=$WORK/quickstart
cp -r "$ZONES" "$Q"
rm -rf "$Q/state"
for p in 5300 8500; do
	wait_for 10 port_free "$p" || skip "port $p is taken; the quickstart configuration needs it"
done
(cd "$Q" && exec "$DNSD" -f -c "$Q/dnsd.conf") >"$WORK/dnsd.log" 2>&1 &
DNSD_PID=$!
DNSD_LOG=$WORK/dnsd.log
track_pid "$DNSD_PID"
PORT=5300
wait_for 10 server_answers || hard_error "the quickstart configuration did not start"
wait_for 10 curl -s -o /dev/null http://127.0.0.1:8500/v1/status/leader || hard_error "no HTTP on 8500"

# The README's commands, as written there.
export CONSUL_TOKEN=dnsd-quickstart-token
out1=$(curl -X PUT http://localhost:8500/v1/agent/service/register \
  -H "X-Consul-Token: ${CONSUL_TOKEN}" \
  -d '{"ServiceName":"service-a","ServiceAddress":"127.0.0.1","ServicePort":8080}' -w '%{http_code}' 2>/dev/null)
[ "$out1" = 200 ] && ok "curl -X PUT .../v1/agent/service/register: 200" || not_ok "register: $out1"
out2=$(curl -X GET http://localhost:8500/v1/catalog/services 2>/dev/null)
grep -q '"service-a":\[\]' <<<"$out2" && ok "curl -X GET .../v1/catalog/services: $out2" || not_ok "catalog: $out2"
out3=$(dig @127.0.0.1 -p 5300 service-a.service.consul SRV)
grep -qE '^service-a\.service\.consul\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SRV[[:space:]]+[0-9]+ [0-9]+ 8080 ' <<<"$out3" &&
	ok "dig @127.0.0.1 -p 5300 service-a.service.consul SRV: port 8080" || not_ok "dig: $out3"
grep -qE '^service-a\._service-a\._tcp\.svc\.example\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+127\.0\.0\.1$' <<<"$out3" &&
	ok "with the instance's address in the additional section" || not_ok "no A in the additional section: $out3"

unset CONSUL_TOKEN
out4=$(curl -s -X PUT http://localhost:8500/v1/agent/service/register -H "X-Consul-Token: ${CONSUL_TOKEN:-}" \
  -d '{"ServiceName":"service-b","ServicePort":1}' -w ' %{http_code}')
[ "${out4##* }" = 403 ] && ok "without the token: 403 (${out4% *})" || not_ok "no token: $out4"

out5=$(dig @127.0.0.1 -p 5300 +short billing.service.consul SRV)
grep -q ' 8090 ' <<<"$out5" && ok "zones/services/billing.hcl is served: $out5" || not_ok "billing: $out5"
done_ok
