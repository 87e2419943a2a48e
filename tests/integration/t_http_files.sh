#!/bin/bash
# t_http_files.sh -- services-dir: Consul's service definition files (JSON
# and the HCL subset) define permanent instances, loaded at start and on
# SIGHUP; a new file registers, a removed file deregisters, a file with an
# error is named with its line and keeps its instances, a sync that
# changes nothing commits nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_http.sh"

S=$WORK/services
mkdir -p "$S"
# redis's TCP check connects here, so that dnsd's health checker finds it
# passing and leaves it so.
LPORT=$(pick_port) || hard_error "no free port"
"$PYTHON" -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
end = time.time() + 600
while time.time() < end:
    s.settimeout(1)
    try:
        c, _ = s.accept(); c.close()
    except OSError:
        pass' "$LPORT" &
track_pid $!
cat >"$S/a.hcl" <<'HCL'
# the issue's example
service {
  name = "service-a"
  tags = ["api"]
  address = "127.0.0.1"
  port = 8080
}
HCL
cat >"$S/b.json" <<JSON
{"service": {"name": "redis", "id": "redis-1", "port": 6379, "address": "127.0.0.21",
  "meta": {"version": "7"}, "check": {"tcp": "127.0.0.1:$LPORT", "interval": "10s",
  "timeout": "1s", "deregister_critical_service_after": "1m30s", "status": "passing"}}}
JSON
cat >"$S/c.json" <<'JSON'
{"services": [
  {"Name": "db", "ID": "db-1", "Port": 5432, "Address": "127.0.0.31"},
  {"Name": "db", "ID": "db-2", "Port": 5433, "Address": "127.0.0.32", "Tags": ["replica"]}
]}
JSON
echo 'not a definition' >"$S/README"

start_http_dnsd "services-dir \"$S\"" || hard_error "dnsd did not start"

has_srv() { srv "$1" | grep -q " $2 "; }

note "loaded at start"
wait_for 10 has_srv service-a.service.consul 8080 && ok "a.hcl: service-a.service.consul SRV 8080" ||
	not_ok "service-a not in DNS: $(srv service-a.service.consul)"
has_srv redis.service.consul 6379 && ok "b.json: redis" || not_ok "redis: $(srv redis.service.consul)"
[ "$(srv db.service.consul | grep -c .)" = 2 ] && ok "c.json: both db instances" || not_ok "db: $(srv db.service.consul)"
has_srv replica.db.service.consul 5433 && ok "with their tags" || not_ok "replica.db: $(srv replica.db.service.consul)"
api GET /v1/agent/checks
[ "$(jq -r '."service:redis-1" | .Type + " " + .Definition.TCP + " " + .Definition.Interval + " " + .Definition.Timeout + " " + .Definition.DeregisterCriticalServiceAfter + " " + .Status' <<<"$BODY")" = \
  "tcp 127.0.0.1:$LPORT 10s 1s 1m30s passing" ] && ok "the TCP check is kept as written" ||
	not_ok "redis check: $(jq -c '."service:redis-1"' <<<"$BODY")"
api GET /ui
grep -q 'file a.hcl' <<<"$BODY" && ok "/ui says where service-a came from" || not_ok "/ui: no 'file a.hcl'"

note "SIGHUP with nothing changed commits nothing"
i0=$(index)
kill -HUP "$DNSD_PID"
wait_for 10 log_has 'SIGHUP' || not_ok "no SIGHUP in the log"
wait_for 10 eval '[ "$(grep -c "services-dir: .*c.json: 2 instances (0 new" "$DNSD_LOG")" -ge 1 ]' &&
	ok "the sync ran and found nothing new" || not_ok "no second sync of c.json in the log"
[ "$(index)" = "$i0" ] && ok "the catalog index did not move ($i0)" || not_ok "index moved: $i0 -> $(index)"

note "a new file, a removed file"
cat >"$S/d.hcl" <<'HCL'
service {
  name = "cache"
  id = "cache-1"
  port = 11211
  address = "127.0.0.41"
  meta = { tier = "hot" }
  check {
    ttl = "30s"
  }
}
service {
  name = "queue"
  port = 5672
}
HCL
rm "$S/b.json"
kill -HUP "$DNSD_PID"
wait_for 10 eval '[ -z "$(srv redis.service.consul)" ]' && ok "b.json removed: redis left DNS" ||
	not_ok "redis still answers: $(srv redis.service.consul)"
api GET /v1/agent/service/cache-1
[ "$CODE" = 200 ] && [ "$(jq -r '.Meta.tier + " " + (.Port|tostring)' <<<"$BODY")" = "hot 11211" ] &&
	ok "d.hcl: cache-1 with its meta" || not_ok "cache-1: $CODE $BODY"
api GET /v1/agent/service/queue
[ "$(jq -r .Address <<<"$BODY")" = 127.0.0.1 ] && ok "d.hcl: queue, at the node's address" || not_ok "queue: $CODE $BODY"

note "a file with an error keeps its instances"
cat >"$S/c.json" <<'JSON'
{"services": [
  {"Name": "db", "ID": "db-1", "Port": 5432, "Address": "127.0.0.31"},
  {"Name": "db", "ID": "db-2", "Port": 5433,
JSON
cat >"$S/a.hcl" <<'HCL'
service {
  name = "service-a"
  port = "eighty"
}
HCL
kill -HUP "$DNSD_PID"
wait_for 10 log_has "services-dir: $S/c.json:[0-9]+:[0-9]+: " &&
	ok "c.json's syntax error is logged with its line: $(grep -o "c.json:[0-9]*:[0-9]*: .*" "$DNSD_LOG" | head -n 1)" ||
	not_ok "no c.json:LINE error in the log"
wait_for 10 log_has "services-dir: $S/a.hcl:3: .*Port must be an integer" &&
	ok "a.hcl's bad port is logged with its line: $(grep -o "a.hcl:[0-9]*: .*" "$DNSD_LOG" | head -n 1)" ||
	not_ok "no a.hcl:2 error in the log: $(grep a.hcl "$DNSD_LOG" | tail -n 2)"
[ "$(srv db.service.consul | grep -c .)" = 2 ] && ok "db keeps both instances" || not_ok "db: $(srv db.service.consul)"
has_srv service-a.service.consul 8080 && ok "service-a keeps its definition (port 8080)" ||
	not_ok "service-a: $(srv service-a.service.consul)"
printf 'service {\n  name = "x"\n  port = 1\n' >"$S/e.hcl"
printf 'service {\n  name = "y"\n  port = 1 }\n  bogus\n' >"$S/f.hcl"
kill -HUP "$DNSD_PID"
wait_for 10 log_has "e.hcl:[0-9]+: '\\{' not closed" && ok "an HCL block left open is named" ||
	not_ok "no e.hcl error: $(grep e.hcl "$DNSD_LOG" | tail -n 1)"
wait_for 10 log_has "f.hcl:4: expected '=' or '\\{' after bogus" && ok "an HCL stray word is named at line 4" ||
	not_ok "no f.hcl:4 error: $(grep f.hcl "$DNSD_LOG" | tail -n 1)"

note "fixed again"
cat >"$S/a.hcl" <<'HCL'
service {
  name = "service-a"
  address = "127.0.0.1"
  port = 9090
}
HCL
rm "$S/c.json" "$S/e.hcl" "$S/f.hcl"
kill -HUP "$DNSD_PID"
wait_for 10 has_srv service-a.service.consul 9090 && ok "service-a moved to port 9090" ||
	not_ok "service-a: $(srv service-a.service.consul)"
wait_for 10 eval '[ -z "$(srv db.service.consul)" ]' && ok "c.json removed: db left DNS" ||
	not_ok "db: $(srv db.service.consul)"
note "a reload of the configuration: a new token, and services-dir moved"
api PUT /v1/agent/service/register -H "X-Consul-Token: late-token-0123456789" -d '{"Name":"late","Port":1}'
expect_code 403 "a token not configured yet"
S2=$WORK/services2
mkdir -p "$S2"
printf 'service {\n  name = "moved"\n  port = 4242\n}\n' >"$S2/m.hcl"
http_conf "services-dir \"$S2\"" 'token late { secret "late-token-0123456789"; key registrar; }'
kill -HUP "$DNSD_PID"
wait_for 10 log_has 'reload: configuration generation 2' && ok "the reload took" || not_ok "no generation 2 in the log"
api PUT /v1/agent/service/register -H "X-Consul-Token: late-token-0123456789" -d '{"Name":"late","Port":1}'
expect_code 200 "the token the reload added"
wait_for 10 has_srv moved.service.consul 4242 && ok "the new services-dir's m.hcl is served" ||
	not_ok "moved: $(srv moved.service.consul)"
wait_for 10 eval '[ -z "$(srv service-a.service.consul)" ]' && ok "the old folder's instances are gone" ||
	not_ok "service-a still answers: $(srv service-a.service.consul)"
dnsd_alive && ok "dnsd still runs" || not_ok "dnsd died"
done_ok
