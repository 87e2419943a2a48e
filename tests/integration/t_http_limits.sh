#!/bin/bash
# t_http_limits.sh -- bad input to the HTTP API gets a clear error and
# changes nothing: malformed JSON, a definition Consul refuses, a body over
# http-max-body (announced or chunked), connections over
# http-max-connections, a client that stalls or trickles past
# http-timeout. The catalog index before and after shows that nothing was
# applied, and dnsd keeps answering.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_http.sh"

start_http_dnsd 'http-max-body 2k' 'http-max-connections 4' 'http-timeout 2' ||
	hard_error "dnsd did not start"

before=$(index)
[ -n "$before" ] && ok "catalog index before: $before" || hard_error "no X-Consul-Index"

note "malformed and refused definitions"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"bad",'
expect_code 400 "malformed JSON"
grep -q '^Request decode failed: ' <<<"$BODY" && ok "says: $BODY" || not_ok "body: $BODY"
api PUT /v1/agent/service/register -H "$TOK_CI"
expect_code 400 "no body"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Port":80}'
expect_code 400 "no Name"
[ "$BODY" = "Missing service name" ] && ok "says: Missing service name" || not_ok "body: $BODY"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"bad","Port":"eighty"}'
expect_code 400 "a Port that is not a number"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"bad","Check":{"HTTP":"http://127.0.0.1/"}}'
expect_code 400 "an HTTP check without an Interval"
grep -q 'Must provide TTL or HTTP/TCP and Interval' <<<"$BODY" && ok "says: $BODY" || not_ok "body: $BODY"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"bad","Check":{"TTL":"10 seconds"}}'
expect_code 400 "a TTL that is no Go duration"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"bad","Check":{"Args":["/bin/true"],"Interval":"10s"}}'
expect_code 400 "a script check (not supported)"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"bad.name"}'
expect_code 400 "a Name that is no DNS label"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"bad","Address":"0.0.0.0"}'
expect_code 400 "the any address"
api PUT /v1/agent/check/update/service:nope -H "$TOK_CI" -d '{"Status":"fine"}'
expect_code 400 "an unknown check status"

note "bodies over http-max-body (2k)"
head -c 10000 /dev/zero | tr '\0' ' ' >"$WORK/big"
printf '{"Name":"big","Port":1}' >>"$WORK/big"
api PUT /v1/agent/service/register -H "$TOK_CI" --data-binary @"$WORK/big"
expect_code 413 "a Content-Length over the limit"
api PUT /v1/agent/service/register -H "$TOK_CI" -H "Transfer-Encoding: chunked" --data-binary @"$WORK/big"
expect_code 413 "a chunked body that grows over the limit"

after=$(index)
[ "$after" = "$before" ] && ok "nothing was applied (index still $after)" || not_ok "index moved: $before -> $after"
api GET /v1/catalog/services
jq -e 'has("bad") or has("big")' <<<"$BODY" >/dev/null && not_ok "something was registered: $BODY" ||
	ok "the catalog has none of them"

note "connections over http-max-connections (4)"
py httpslow.py cap "$HPORT" 4 >"$WORK/cap.out" 2>&1
relay_checks "httpslow.py cap" <"$WORK/cap.out"

note "slow clients (http-timeout 2)"
py httpslow.py stall "$HPORT" 2 >"$WORK/stall.out" 2>&1
relay_checks "httpslow.py stall" <"$WORK/stall.out"
py httpslow.py trickle "$HPORT" 2 >"$WORK/trickle.out" 2>&1
relay_checks "httpslow.py trickle" <"$WORK/trickle.out"

after=$(index)
[ "$after" = "$before" ] && ok "still nothing applied (index $after)" || not_ok "index moved: $before -> $after"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"good","Port":1}'
expect_code 200 "a good registration still works"
[ -n "$(srv good.service.consul)" ] && ok "and answers in DNS" || not_ok "good not in DNS"
dnsd_alive && ok "dnsd survived it all" || not_ok "dnsd died"
done_ok
