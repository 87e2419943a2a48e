#!/bin/bash
# t_http_api.sh -- Consul's HTTP API driven with curl: registration with
# Consul's and the catalog's field names, DNS answers for it, a TTL check
# passed, a blocking query that returns after a change and not before, the
# lease lapsing out of DNS and ?passing, deregistration, an nsupdate
# registration in the catalog, and tokens refused and allowed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_http.sh"
need_tool nsupdate

start_http_dnsd || hard_error "dnsd did not start"

# ---- register, read, answer ------------------------------------------------
note "registration with Consul's field names, and with the catalog's"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"web","ID":"web-1","Tags":["v2","api"],
  "Address":"127.0.0.10","Port":8080,"Meta":{"version":"2.1"},"Weights":{"Passing":5,"Warning":1}}'
expect_code 200 "PUT /v1/agent/service/register (Name, ID, Tags, Address, Port, Meta, Weights)"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"ServiceName":"web","ServiceID":"web-2","ServiceAddress":"127.0.0.11","ServicePort":8081}'
expect_code 200 "register with ServiceName/ServiceID/ServiceAddress/ServicePort"

api GET /v1/agent/services
expect_code 200 "GET /v1/agent/services"
[ "$(jq -r '."web-1".Service + " " + (."web-1".Port|tostring) + " " + ."web-1".Address + " " + ."web-1".Meta.version + " " + (."web-1".Weights.Passing|tostring)' <<<"$BODY")" = "web 8080 127.0.0.10 2.1 5" ] &&
	ok "agent/services shows web-1 as registered" || not_ok "agent/services: $BODY"
[ -n "$(header X-Consul-Index)" ] && ok "X-Consul-Index on a read: $(header X-Consul-Index)" || not_ok "no X-Consul-Index: $HEADERS"

api GET /v1/catalog/service/web?tag=v2
[ "$(jq -r '[.[].ServiceID] | join(",")' <<<"$BODY")" = "web-1" ] &&
	ok "catalog/service/web?tag=v2 lists web-1 only" || not_ok "catalog/service/web?tag=v2: $BODY"
api GET /v1/agent/service/web-2
[ "$CODE" = 200 ] && [ "$(jq -r .Address <<<"$BODY")" = 127.0.0.11 ] &&
	ok "agent/service/web-2" || not_ok "agent/service/web-2: $CODE $BODY"
api GET /v1/agent/service/nope
expect_code 404 "agent/service of an unknown ID"

out=$(srv web.service.consul)
grep -q ' 8080 web-1\._web\._tcp\.svc\.example\.test\.$' <<<"$out" && grep -q ' 8081 web-2' <<<"$out" &&
	ok "dig web.service.consul SRV finds both" || not_ok "web.service.consul SRV: $out"
out=$(srv v2.web.service.consul)
[ "$(grep -c . <<<"$out")" = 1 ] && grep -q 8080 <<<"$out" && ok "v2.web.service.consul: web-1 only" ||
	not_ok "v2.web.service.consul SRV: $out"
out=$(dig @127.0.0.1 -p "$PORT" +short web-1._web._tcp.svc.example.test A)
[ "$out" = 127.0.0.10 ] && ok "the Address is the instance's own A record" || not_ok "web-1 A: $out"
out=$(dig @127.0.0.1 -p "$PORT" +short web-1._web._tcp.svc.example.test TXT)
[ "$out" = '"version=2.1"' ] && ok "Meta is its TXT" || not_ok "web-1 TXT: $out"

# ---- a TTL check: the lease ------------------------------------------------
note "a TTL check: critical until passed, then the instance's lease"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"fn","Port":9000,"Check":{"TTL":"3s"}}'
expect_code 200 "register fn with a TTL check"
api GET /v1/health/service/fn
[ "$(jq -r '.[0].Checks[0].CheckID + " " + .[0].Checks[0].Status' <<<"$BODY")" = "service:fn critical" ] &&
	ok "its check service:fn starts critical" || not_ok "health/service/fn: $BODY"
[ -z "$(srv fn.service.consul)" ] && ok "a critical instance is not in DNS" || not_ok "fn in DNS while critical"
api PUT "/v1/agent/check/pass/service:fn?note=alive" -H "$TOK_CI"
expect_code 200 "PUT /v1/agent/check/pass/service:fn"
[ -n "$(srv fn.service.consul)" ] && ok "passing: fn.service.consul answers" || not_ok "fn not in DNS after pass"
api GET "/v1/health/service/fn?passing"
[ "$(jq -r '.[0].Checks[0].Output' <<<"$BODY")" = alive ] && ok "?passing lists it, with the note as output" ||
	not_ok "health/service/fn?passing: $BODY"

note "a blocking query returns after a change, not before"
api GET /v1/health/service/fn
idx=$(header X-Consul-Index)
curl -s -m 90 -D "$WORK/bq.h" -o "$WORK/bq.body" "http://127.0.0.1:$HPORT/v1/health/service/fn?index=$idx&wait=60s" &
bq=$!
track_pid "$bq"
sleep 1
kill -0 "$bq" 2>/dev/null && ok "the query with index=$idx waits while nothing changes" ||
	not_ok "the blocking query returned without a change"
api PUT "/v1/agent/check/update/service:fn" -H "$TOK_CI" -d '{"Status":"warning","Output":"slow"}'
expect_code 200 "PUT /v1/agent/check/update (Status, Output)"
if wait_for 20 eval '! kill -0 '"$bq"' 2>/dev/null'; then
	ok "the blocking query returned after the change (well before its 60 s wait)"
else
	not_ok "the blocking query did not return after the change"
fi
nidx=$(tr -d '\r' <"$WORK/bq.h" | sed -n 's/^X-Consul-Index: //Ip')
[ "${nidx:-0}" -gt "$idx" ] && [ "$(jq -r '.[0].Checks[0].Status' "$WORK/bq.body")" = warning ] &&
	ok "it carries the new index ($nidx > $idx) and the warning" || not_ok "blocking query: index $nidx, $(cat "$WORK/bq.body")"
api GET "/v1/health/service/fn?passing"
[ "$BODY" = "[]" ] && ok "?passing leaves a warning instance out" || not_ok "?passing with warning: $BODY"
[ -n "$(srv fn.service.consul)" ] && ok "a warning instance stays in DNS (as in Consul)" || not_ok "warning fn left DNS"

note "no more passes: the lease lapses"
api PUT "/v1/agent/check/pass/service:fn" -H "$TOK_CI"
if wait_for 15 eval '[ -z "$(srv fn.service.consul)" ]'; then
	ok "fn left DNS when its TTL lapsed"
else
	not_ok "fn is still in DNS: $(srv fn.service.consul)"
fi
api GET "/v1/health/service/fn"
[ "$BODY" = "[]" ] && ok "and the health endpoint forgot it" || not_ok "health/service/fn after the lapse: $BODY"
api PUT "/v1/agent/check/pass/service:fn" -H "$TOK_CI"
expect_code 404 "passing a lapsed check"

# ---- deregistration ----------------------------------------------------------
api PUT /v1/agent/service/deregister/web-2 -H "$TOK_CI"
expect_code 200 "PUT /v1/agent/service/deregister/web-2"
out=$(srv web.service.consul)
grep -q web-2 <<<"$out" && not_ok "web-2 still in DNS: $out" || ok "web-2 left DNS"
api PUT /v1/agent/service/deregister/web-2 -H "$TOK_CI"
expect_code 404 "deregistering it again"
api GET /v1/agent/service/deregister/web-1 -H "$TOK_CI"
expect_code 200 "deregister by GET (as python3-consul 0.7 sends it)"

# ---- the same model as DNS UPDATE --------------------------------------------
note "an instance registered by nsupdate is in the catalog"
nsupdate -y "$KEY_REGISTRAR" <<EOF >"$WORK/nsupdate.out" 2>&1 || not_ok "nsupdate failed: $(cat "$WORK/nsupdate.out")"
server 127.0.0.1 $PORT
zone svc.example.test
update add db-1._postgres._tcp.svc.example.test 60 SRV 0 0 5432 db-host.svc.example.test.
update add db-1._postgres._tcp.svc.example.test 60 TXT "role=primary"
send
EOF
api GET /v1/catalog/services
jq -e 'has("postgres")' <<<"$BODY" >/dev/null && ok "catalog/services lists postgres" || not_ok "catalog/services: $BODY"
api GET /v1/catalog/service/postgres
[ "$(jq -r '(.[0].ServicePort|tostring) + " " + .[0].ServiceMeta.role' <<<"$BODY")" = "5432 primary" ] &&
	ok "catalog/service/postgres: its port and TXT as Meta" || not_ok "catalog/service/postgres: $BODY"

# ---- tokens -------------------------------------------------------------------
note "tokens: refused and allowed"
api PUT /v1/agent/service/register -d '{"Name":"anon"}'
expect_code 403 "a write without a token"
api PUT /v1/agent/service/register -H "X-Consul-Token: not-a-token-at-all" -d '{"Name":"anon"}'
expect_code 403 "a write with an unknown token"
[ "$BODY" = "ACL not found" ] && ok "says: ACL not found" || not_ok "unknown token: $BODY"
api PUT /v1/agent/service/register -H "$TOK_READER" -d '{"Name":"anon"}'
expect_code 403 "a write with a token that names no key"
api GET /v1/catalog/services -H "$TOK_READER"
expect_code 200 "a read with it"
api PUT /v1/agent/service/register -H "Authorization: Bearer $SECRET_LIMITED" -d '{"Name":"web","ID":"web-9","Port":1}'
expect_code 200 "Authorization: Bearer with the limited key, inside its grant (_web._tcp)"
api PUT /v1/agent/service/register -H "$TOK_LIMITED" -d '{"Name":"db","ID":"db-9","Port":1}'
expect_code 403 "the limited key outside its grant (_db._tcp)"
api GET /v1/agent/services
jq -e 'has("db-9")' <<<"$BODY" >/dev/null && not_ok "db-9 was registered anyway" || ok "db-9 is not registered"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"cache","ID":"shared","Port":1}'
api PUT /v1/agent/service/register -H "$TOK_LIMITED" -d '{"Name":"web","ID":"shared","Port":2}'
expect_code 403 "the limited key taking over an ID registered outside its grant"
api GET /v1/agent/service/shared
[ "$(jq -r .Service <<<"$BODY")" = cache ] && ok "the instance with that ID is untouched" || not_ok "shared: $BODY"
api PUT /v1/agent/service/deregister/shared -H "$TOK_LIMITED"
expect_code 403 "the limited key deregistering outside its grant"
api PUT "/v1/agent/check/fail/service:shared" -H "$TOK_LIMITED"
expect_code 403 "the limited key failing a check outside its grant"
for i in 1 2 3 4 5 6; do
	api PUT /v1/agent/service/register -H "$TOK_LIMITED" -d "{\"Name\":\"web\",\"ID\":\"q$i\",\"Port\":$i}"
done
expect_code 403 "the limited key past its max-records"
api GET /v1/agent/service/q6
expect_code 404 "the registration over the cap did not happen"

# ---- methods and paths ----------------------------------------------------------
api POST /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"x"}'
expect_code 405 "POST on a PUT endpoint"
[ "$(header Allow)" = PUT ] && ok "with Allow: PUT" || not_ok "Allow: $(header Allow)"
api GET /v1/kv/foo
expect_code 404 "an endpoint dnsd does not have"
api GET /v1/status/leader
[ "$CODE" = 200 ] && grep -q '^"127.0.0.1:8300"$' <<<"$BODY" && ok "status/leader: $BODY" || not_ok "status/leader: $CODE $BODY"

stop_dnsd
[ "$DNSD_STATUS" = 0 ] && ok "dnsd stopped cleanly" || not_ok "dnsd exited with $DNSD_STATUS"

# ---- who may read, who may write anonymously ----------------------------------
note "http-allow-read none: reads need a token"
start_http_dnsd 'http-allow-read none' || hard_error "dnsd did not start"
api GET /v1/catalog/services
expect_code 403 "a read without a token from outside http-allow-read"
api GET /v1/catalog/services -H "$TOK_READER"
expect_code 200 "a read with a token"
api GET /metrics
expect_code 403 "/metrics follows http-allow-read too"
stop_dnsd

note "http-allow-anonymous 127.0.0.1: writes without a token"
start_http_dnsd 'http-allow-anonymous 127.0.0.1' || hard_error "dnsd did not start"
api PUT /v1/agent/service/register -d '{"Name":"anon","Port":7}'
expect_code 200 "an anonymous write from an allowed address"
[ -n "$(srv anon.service.consul)" ] && ok "it answers in DNS" || not_ok "anon not in DNS"
done_ok
