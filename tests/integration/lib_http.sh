# lib_http.sh -- helpers for the HTTP API tests (sourced after lib.sh)
#
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/lib_http.sh"
#     start_http_dnsd 'http-allow-anonymous 127.0.0.1' || hard_error "dnsd did not start"
#     api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"web"}'
#     [ "$CODE" = 200 ] && ok "registered" || not_ok "register: $CODE $BODY"
#
# The configuration has the key "registrar" (any name of the zone), the key
# "limited" (only under _web._tcp, at most 8 records), and the tokens
# TOK_CI (registrar), TOK_LIMITED (limited) and TOK_READER (no key).

need_tool curl
need_tool dig
need_tool jq

HPORT=
SECRET_CI=ci-token-0123456789abcdef
SECRET_LIMITED=limited-token-0123456789ab
SECRET_READER=reader-token-0123456789abc
TOK_CI="X-Consul-Token: $SECRET_CI"
TOK_LIMITED="X-Consul-Token: $SECRET_LIMITED"
TOK_READER="X-Consul-Token: $SECRET_READER"
KEY_REGISTRAR=hmac-sha256:registrar:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==

# http_conf EXTRA...: write $WORK/dnsd.conf (each EXTRA is one more line).
http_conf() {
	{
		echo "http-listen 127.0.0.1@$HPORT"
		echo 'key registrar { algorithm hmac-sha256; secret "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="; }'
		echo 'key limited { algorithm hmac-sha256; secret "bGltaXRlZC1saW1pdGVkLWxpbWl0ZWQtbGltaXRlZA=="; max-records 8; }'
		echo "token ci { secret \"$SECRET_CI\"; key registrar; }"
		echo "token limited { secret \"$SECRET_LIMITED\"; key limited; }"
		echo "token reader { secret \"$SECRET_READER\"; }"
		echo 'zone "svc.example.test" {'
		echo "    file \"$ZONES/svc.example.test.zone\""
		echo '    consul-domain consul'
		echo '    allow-transfer 127.0.0.1'
		echo '    grant registrar subdomain svc.example.test'
		echo '    grant limited subdomain _web._tcp.svc.example.test'
		echo '}'
		local l
		for l in "$@"; do
			echo "$l"
		done
	} >"$WORK/dnsd.conf"
}

# start_http_dnsd EXTRA...: dnsd with the configuration above on fresh
# ports ($PORT for DNS, $HPORT for HTTP).
start_http_dnsd() {
	HPORT=$(pick_port) || return 1
	http_conf "$@"
	start_dnsd -c "$WORK/dnsd.conf" || return 1
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$HPORT/v1/status/leader"
}

# api METHOD PATH [curl options]: one request; sets CODE, BODY and HEADERS.
api() {
	local m=$1 p=$2
	shift 2
	CODE=$(curl -s -m 30 -X "$m" -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$HPORT$p")
	BODY=$(cat "$WORK/body" 2>/dev/null)
	HEADERS=$(tr -d '\r' <"$WORK/headers" 2>/dev/null)
}

# header NAME: a header of the last response.
header() {
	sed -n "s/^$1: //Ip" <<<"$HEADERS" | head -n 1
}

# expect_code CODE WHAT: the last response had status CODE.
expect_code() {
	if [ "$CODE" = "$1" ]; then
		ok "$2: HTTP $1"
	else
		not_ok "$2: expected HTTP $1, got $CODE: $BODY"
	fi
}

# srv NAME: the SRV answer (dig +short), one record a line.
srv() {
	dig @127.0.0.1 -p "$PORT" +norec +time=2 +tries=1 +short "$1" SRV
}

# index: the current X-Consul-Index (a read of /v1/catalog/services).
index() {
	curl -s -m 10 -D - -o /dev/null "http://127.0.0.1:$HPORT/v1/catalog/services" |
		tr -d '\r' | sed -n 's/^X-Consul-Index: //Ip'
}
