#!/bin/bash
# t_http_ui.sh -- /ui: the status page lists zones with serials, their
# secondaries' last transfers, and
# services with their instances, tags, health and lease left; its HTML is
# checked with curl, and headless Chromium renders it at a phone's and a
# desktop's width (the screenshots stay in the test's temporary folder:
# KEEP=1 keeps them).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_http.sh"

start_http_dnsd || hard_error "dnsd did not start"
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"web","ID":"web-1","Tags":["v2","<b>x</b>"],"Address":"127.0.0.10","Port":8080}'
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"web","ID":"web-2","Address":"127.0.0.11","Port":8081,"Check":{"TTL":"10m"}}'
api PUT /v1/agent/service/register -H "$TOK_CI" -d '{"Name":"api","ID":"api-7","Address":"127.0.0.12","Port":9000,"Check":{"TTL":"1h","Status":"warning"}}'

# a secondary's transfer: the page shows it with its serial
serial=$(dig @127.0.0.1 -p "$PORT" +short svc.example.test SOA | awk '{ print $3 }')
dig @127.0.0.1 -p "$PORT" svc.example.test AXFR >"$WORK/axfr.out"
grep -q "SOA" "$WORK/axfr.out" || not_ok "the AXFR failed: $(tail -n 3 "$WORK/axfr.out")"

api GET /ui
expect_code 200 "GET /ui"
grep -q '^text/html' <<<"$(header Content-Type)" && ok "Content-Type: $(header Content-Type)" || not_ok "Content-Type: $(header Content-Type)"
printf '%s\n' "$BODY" >"$WORK/ui.html"
grep -q 'name="viewport"' "$WORK/ui.html" && ok "a viewport for phones" || not_ok "no viewport meta"
grep -q '@media (max-width:40em)' "$WORK/ui.html" && ok "a narrow-screen layout" || not_ok "no media query"
grep -q '<script' "$WORK/ui.html" && not_ok "the page has JavaScript" || ok "no JavaScript"
grep -qE 'svc\.example\.test\.( <span class="tag">consul-domain</span>)?</td><td data-label="Serial">[0-9]+<' "$WORK/ui.html" && ok "the zone with its serial" ||
	not_ok "no zone serial in the page"
grep -q "127\.0\.0\.1: AXFR of serial $serial, [0-9]*s ago" "$WORK/ui.html" &&
	ok "the zone's last transfer: 127.0.0.1, AXFR of serial $serial" ||
	not_ok "no last transfer in the page: $(grep -o 'Last transfers">[^/]*' "$WORK/ui.html")"
grep -q '>web-1<' "$WORK/ui.html" && grep -q '>api-7<' "$WORK/ui.html" && ok "instances web-1 and api-7" ||
	not_ok "instances missing"
grep -q '127.0.0.10:8080' "$WORK/ui.html" && ok "address and port" || not_ok "no 127.0.0.10:8080"
grep -q '<span class="tag">v2</span>' "$WORK/ui.html" && ok "tags" || not_ok "no tag v2"
grep -q '&lt;b&gt;x&lt;/b&gt;' "$WORK/ui.html" && ! grep -q '<b>x</b>' "$WORK/ui.html" && ok "a tag with markup is escaped" ||
	not_ok "tag markup not escaped"
grep -q 'class="h critical">critical' "$WORK/ui.html" && grep -q 'class="h passing">passing' "$WORK/ui.html" &&
	grep -q 'class="h warning">warning' "$WORK/ui.html" && ok "health of each instance" || not_ok "health badges missing"
grep -qE 'data-label="Lease left">(9m [0-9]{2}s|10m 0[0-9]s)<' "$WORK/ui.html" && ok "lease left of the TTL instance" ||
	not_ok "no lease left like 9m 59s: $(grep -o 'Lease left">[^<]*' "$WORK/ui.html" | head -n 3)"
grep -q 'data-label="Lease left">permanent<' "$WORK/ui.html" && ok "a permanent instance says so" || not_ok "no permanent"

note "headless Chromium at phone and desktop widths"
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	need_tool chromium
	CHROME=$(command -v chromium)
fi
shot() { # WIDTHxHEIGHT FILE
	timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--disable-background-networking --disable-component-update --disable-sync --no-first-run \
		--hide-scrollbars --user-data-dir="$WORK/chrome" --screenshot="$2" --window-size="$1" \
		"http://127.0.0.1:$HPORT/ui" >"$WORK/chrome.log" 2>&1
}
for size in 390,844 1280,800; do
	f=$WORK/ui-${size/,/x}.png
	shot "$size" "$f"
	if [ -s "$f" ] && [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
		ok "Chromium rendered /ui at $size (${f##*/}, $(stat -c %s "$f") bytes)"
	else
		not_ok "no screenshot at $size: $(tail -n 3 "$WORK/chrome.log")"
	fi
done
[ "$(cmp -s "$WORK/ui-390x844.png" "$WORK/ui-1280x800.png"; echo $?)" != 0 ] &&
	ok "the two widths render differently" || not_ok "phone and desktop screenshots are identical"
echo "# screenshots: $WORK/ui-390x844.png $WORK/ui-1280x800.png (KEEP=1 keeps them)"
done_ok
