#!/bin/bash
# t_http_metrics.sh -- /metrics: the exposition passes `promtool check
# metrics`, its counters move with what dnsd does, and a real Prometheus
# server (Debian's, on a loopback port with a temporary data folder)
# scrapes it and answers a query for a dnsd metric.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_http.sh"
need_tool prometheus   # the package has promtool too
need_tool promtool
need_tool nsupdate

start_http_dnsd || hard_error "dnsd did not start"

metric() { # NAME{LABELS} -> value in $BODY
	awk -v m="$1" '$1 == m { print $2 }' <<<"$BODY"
}

api GET /metrics
expect_code 200 "GET /metrics"
grep -q '^text/plain; version=0.0.4' <<<"$(header Content-Type)" && ok "Content-Type: $(header Content-Type)" ||
	not_ok "Content-Type: $(header Content-Type)"
printf '%s\n' "$BODY" >"$WORK/metrics.txt"
if promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.out" 2>&1; then
	ok "promtool check metrics accepts it"
else
	not_ok "promtool check metrics: $(cat "$WORK/promtool.out")"
fi
reg0=$(metric dnsd_registrations_total)
[ -n "$reg0" ] && ok "dnsd_registrations_total is there ($reg0)" || not_ok "no dnsd_registrations_total"

note "the counters move"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"web","ID":"web-1","Port":80}'
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"web","ID":"web-2","Port":81,"Check":{"TTL":"60s"}}'
dig @127.0.0.1 -p "$PORT" +short web.service.consul SRV >/dev/null
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"bad"'
printf 'server 127.0.0.1 %s\nzone svc.example.test\nupdate add k1.svc.example.test 60 A 10.9.9.1\nsend\n' "$PORT" |
	nsupdate -y "$KEY_REGISTRAR" >/dev/null 2>&1
# nine records for a key with max-records 8: REFUSED
{
	printf 'server 127.0.0.1 %s\nzone svc.example.test\n' "$PORT"
	for i in 1 2 3 4 5 6 7 8 9; do printf 'update add k2.svc.example.test 60 A 10.9.8.%s\n' "$i"; done
	printf 'send\n'
} | nsupdate -y hmac-sha256:limited:bGltaXRlZC1saW1pdGVkLWxpbWl0ZWQtbGltaXRlZA== >/dev/null 2>&1
tcp0=$(metric 'dnsd_queries_total{transport="tcp",type="SRV"}')
dig @127.0.0.1 -p "$PORT" +tcp +short web.service.consul SRV >/dev/null
dig @127.0.0.1 -p "$PORT" +tcp +short nosuch.service.consul SRV >/dev/null
api GET /metrics
printf '%s\n' "$BODY" >"$WORK/metrics2.txt"
[ "$(metric 'dnsd_queries_total{transport="tcp",type="SRV"}')" = $((tcp0 + 2)) ] &&
	ok "two SRV queries over TCP counted" ||
	not_ok "dnsd_queries_total{tcp,SRV}: $(metric 'dnsd_queries_total{transport="tcp",type="SRV"}'), was $tcp0"
[ "$(metric 'dnsd_updates_by_key_total{key="registrar",result="ok"}')" -ge 1 ] &&
	[ "$(metric 'dnsd_updates_by_key_total{key="limited",result="refused"}')" -ge 1 ] &&
	ok "updates by key: registrar's accepted, limited's over its max-records refused" ||
	not_ok "dnsd_updates_by_key_total: $(grep '^dnsd_updates_by_key' <<<"$BODY")"
[ -n "$(metric 'dnsd_limit_hits_total{limit="updates_queue_full"}')" ] &&
	ok "the limits are there (updates_queue_full: $(metric 'dnsd_limit_hits_total{limit="updates_queue_full"}'))" ||
	not_ok "no dnsd_limit_hits_total"
[ "$(metric 'dnsd_responses_total{transport="tcp",rcode="NXDOMAIN"}')" -ge 1 ] &&
	ok "the NXDOMAIN over TCP counted" ||
	not_ok "dnsd_responses_total{tcp}: $(grep 'responses_total{transport="tcp"' <<<"$BODY")"
[ "$(metric dnsd_registrations_total)" = $((reg0 + 2)) ] && ok "two registrations counted" ||
	not_ok "dnsd_registrations_total: $(metric dnsd_registrations_total), was $reg0"
[ "$(metric 'dnsd_instances{zone="svc.example.test.",service="web",health="passing"}')" = 1 ] &&
	[ "$(metric 'dnsd_instances{zone="svc.example.test.",service="web",health="critical"}')" = 1 ] &&
	ok "dnsd_instances by service and health: 1 passing, 1 critical" ||
	not_ok "dnsd_instances: $(grep '^dnsd_instances' <<<"$BODY")"
c=$(metric dnsd_commit_duration_seconds_count)
[ "${c:-0}" -ge 2 ] && ok "commit latency histogram: $c commits" || not_ok "dnsd_commit_duration_seconds_count: $c"
[ "$(metric 'dnsd_http_requests_total{result="client_error"}')" -ge 1 ] && ok "the 400 is counted" ||
	not_ok "http client errors: $(grep '^dnsd_http_requests_total' <<<"$BODY")"
[ "$(metric dnsd_store_size_bytes)" -gt 0 ] && [ "$(metric dnsd_store_used_bytes)" -gt 0 ] &&
	ok "store used and size: $(metric dnsd_store_used_bytes) of $(metric dnsd_store_size_bytes)" ||
	not_ok "store gauges missing"
grep -q '^dnsd_zone_serial{zone="svc.example.test."} [0-9]' <<<"$BODY" && ok "zone serials" || not_ok "no zone serial"
promtool check metrics <"$WORK/metrics2.txt" >"$WORK/promtool2.out" 2>&1 &&
	ok "promtool still accepts it with instances" || not_ok "promtool: $(cat "$WORK/promtool2.out")"

note "a real Prometheus scrapes it"
PPORT=$(pick_port) || hard_error "no free port"
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: dnsd
    static_configs:
      - targets: ['127.0.0.1:$HPORT']
YML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >"$WORK/prometheus.log" 2>&1 &
track_pid $!
q() { # PROMQL -> first value
	curl -s -m 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
if wait_for 60 eval '[ "$(q "dnsd_registrations_total")" = "$((reg0 + 2))" ]'; then
	ok "Prometheus scraped dnsd_registrations_total = $((reg0 + 2))"
else
	not_ok "Prometheus has dnsd_registrations_total = '$(q dnsd_registrations_total)'; log: $(tail -n 5 "$WORK/prometheus.log")"
fi
up=$(curl -s -m 5 "http://127.0.0.1:$PPORT/api/v1/targets" | jq -r '.data.activeTargets[0].health')
[ "$up" = up ] && ok "the target is up for Prometheus" || not_ok "target health: $up"
v=$(q 'sum(dnsd_instances{service="web"})')
[ "$v" = 2 ] && ok "sum(dnsd_instances{service=\"web\"}) = 2 in Prometheus" || not_ok "sum of web instances: $v"
done_ok
