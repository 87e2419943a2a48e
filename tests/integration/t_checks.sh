#!/bin/bash
# t_checks.sh -- the checks dnsd runs itself (dnsd(8), HEALTH CHECKS), seen
# with dig: instances whose HTTP check passes are answered; a test server
# that starts answering 500, or hangs, takes its instance out of the SRV
# and PTR answers within interval + timeout (+ slack), and 200 brings it
# back; 429 is warning, which keeps the instance unless the zone is
# only-passing; a TCP check passes on an open port and fails on a closed
# one; a file:// URL is refused; deregister-critical-after removes the
# instance (not before its time; then gone from the store, NXDOMAIN at its
# name, no PTR); an instance
# deleted by UPDATE is no longer checked; the checker stops at once even
# with a check hanging, and after a restart the checks pick up from the
# store. check-max bounds what is run.
#
# The instances are written into the store by svcput (a test helper) while
# dnsd is stopped: the HTTP API that registers them is not here yet.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"

need_tool dig
need_tool nsupdate

Z=svc.example.test
OP=op.example.test # only-passing
SVCPUT=$BUILDDIR/tests/integration/svcput
[ -x "$SVCPUT" ] || hard_error "no $SVCPUT (make check builds it)"
SLACK=3      # seconds on top of interval + timeout
IVL=1000     # every check: interval and timeout 1 s
TMO=1000

# ---- the target: an HTTP server whose answer the test chooses ------------

MODE=$WORK/mode REQLOG=$WORK/requests
echo 200 >"$MODE"
: >"$REQLOG"
"$PYTHON" "$TESTDIR/checkserver.py" "$MODE" "$REQLOG" "$WORK/http.port" &
track_pid $!
wait_for 10 test -s "$WORK/http.port" || hard_error "checkserver.py did not start"
HP=$(cat "$WORK/http.port")
CLOSED=$(pick_port) || hard_error "no free port"
URL=http://127.0.0.1:$HP/health

write_conf() { # write_conf [EXTRA SETTINGS]
	cat >"$WORK/dnsd.conf" <<EOF
store "$WORK/store"
${1:-}
zone "$Z" { allow-update-unsigned 127.0.0.1; }
zone "$OP" { only-passing yes; }
EOF
}
write_conf

# put NAME ID CHECK...: an instance at 127.0.0.1:8080 with these checks
put() {
	local name=$1 id=$2 c args=()
	shift 2
	for c in "$@"; do args+=(--check "$c"); done
	"$SVCPUT" -c "$WORK/dnsd.conf" put "$name" --id "$id" --host "$name" --port 8080 \
		--addr 127.0.0.1 "${args[@]}" || hard_error "svcput put $name failed"
}
put web-1._web._tcp.$Z web-1 "http,$IVL,$TMO,0,passing,c-web-1,$URL/web-1"
put web-3._web._tcp.$Z web-3 "http,$IVL,$TMO,0,passing,c-web-3,$URL/web-3"
put web-2._web._tcp.$OP web-2 "http,$IVL,$TMO,0,passing,c-web-2,$URL/web-2"
put db-1._db._tcp.$Z db-1 "tcp,$IVL,$TMO,0,critical,c-db-1,127.0.0.1:$HP"
put db-2._db._tcp.$Z db-2 "tcp,$IVL,$TMO,0,passing,c-db-2,127.0.0.1:$CLOSED"
put gone-1._gone._tcp.$Z gone-1 "http,$IVL,$TMO,3,passing,c-gone-1,$URL/gone-1"
put bad-1._bad._tcp.$Z bad-1 "http,$IVL,$TMO,0,passing,c-bad-1,file:///etc/passwd"

# ---- helpers ----------------------------------------------------------------

# in_answer NAME TYPE REGEX: some answer record of NAME TYPE matches
in_answer() {
	q "$1" "$2"
	out_section ANSWER | grep -qiE -- "$3"
}
not_in_answer() {
	q "$1" "$2"
	[ "$(out_rcode)" = NOERROR ] || [ "$(out_rcode)" = NXDOMAIN ] || return 1
	! out_section ANSWER | grep -qiE -- "$3"
}
# health ID: the instance's health in the store ("gone" if none)
health() {
	local out
	out=$("$SVCPUT" -c "$WORK/dnsd.conf" get "$1") || { echo gone; return; }
	sed -n 's/^health //p' <<<"$out"
}
health_is() { [ "$(health "$1")" = "$2" ]; }
# within SECONDS WHAT CMD...: CMD succeeds within SECONDS (ok), or not_ok
within() {
	local limit=$1 what=$2 t0=$SECONDS
	shift 2
	if wait_for "$limit" "$@"; then
		ok "$what (after $((SECONDS - t0)) s, limit $limit s)"
	else
		show
		not_ok "$what: not within $limit s"
	fi
}
# served: web-1 is in the SRV and PTR answers of _web._tcp.$Z
web1_srv() { in_answer _web._tcp.$Z SRV "web-1\\._web\\._tcp\\.$Z"; }
web1_ptr() { in_answer _web._tcp.$Z PTR "web-1\\._web\\._tcp\\.$Z"; }
web1_gone() { not_in_answer _web._tcp.$Z SRV "web-1\\._web" && not_in_answer _web._tcp.$Z PTR "web-1\\._web"; }
web2_srv() { in_answer _web._tcp.$OP SRV "web-2\\._web\\._tcp\\.$OP"; }
web2_gone() { not_in_answer _web._tcp.$OP SRV "web-2\\._web"; }
requests() { grep -c " /health/$1 " "$REQLOG"; }
# checked NAME: NAME's URL has been requested (counted anew at each call;
# `test "$(requests NAME)" -gt 0` as within's command would count once)
checked() { [ "$(requests "$1")" -gt 0 ]; }

LIMIT=$(((IVL + TMO) / 1000 + SLACK))

# ---- passing, then 500, 200, 429, hang ---------------------------------------

start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"

note "passing instances are answered; the checks are GETs"
web1_srv && ok "web-1 in _web._tcp SRV while its check passes" || { show; not_ok "web-1 not in SRV"; }
web1_ptr && ok "web-1 in _web._tcp PTR while its check passes" || { show; not_ok "web-1 not in PTR"; }
within "$LIMIT" "the checker GETs web-1's URL as 'dnsd health check'" \
	grep -q "^GET /health/web-1 dnsd health check$" "$REQLOG"
grep -q "^HEAD " "$REQLOG" && not_ok "a check used HEAD" || ok "no check used HEAD"

note "TCP: an open port passes, a closed one fails; a file:// URL fails"
within "$LIMIT" "db-1 (critical at start, TCP port open) enters _db._tcp SRV" \
	in_answer _db._tcp.$Z SRV "db-1\\._db"
within "$LIMIT" "db-2 (TCP port closed) leaves _db._tcp SRV" \
	not_in_answer _db._tcp.$Z SRV "db-2\\._db"
out=$("$SVCPUT" -c "$WORK/dnsd.conf" get db-2)
grep -q "^check c-db-2 critical TCP connect 127.0.0.1:$CLOSED: " <<<"$out" &&
	ok "db-2's check is critical in the store, with its output" ||
	not_ok "db-2 in the store: $out"
within "$LIMIT" "bad-1 (a file:// URL) is critical" health_is bad-1 critical
grep -q "/etc/passwd" "$REQLOG" && not_ok "a file URL reached the test server?" || ok "nothing but http was fetched"

note "deregister-critical-after 3 s: gone-1 critical, then deregistered 3 s later"
within "$LIMIT" "gone-1 is being checked" checked gone-1
now_ms() { echo $(($(date +%s%N) / 1000000)); }
echo 500 >"$MODE-gone-1"
t0=$(now_ms)
within "$LIMIT" "gone-1 is critical on 500" health_is gone-1 critical
# It became critical after t0: it must stay registered until t0 + 3 s.
wait_for 3 eval '[ $(($(now_ms) - t0)) -ge 2000 ]'
h=$(health gone-1) dt=$(($(now_ms) - t0))
[ "$dt" -lt 2900 ] || hard_error "too slow to look before the deadline ($dt ms)"
[ "$h" = critical ] && ok "gone-1 is still registered $dt ms after its check failed (3 s asked)" ||
	not_ok "gone-1 is $h $dt ms after its check failed (3 s asked)"
within $((3 + LIMIT)) "gone-1 is gone from the store" health_is gone-1 gone
out=$("$BUILDDIR/tools/dnsdctl" -s "$WORK/store" services "$Z" 2>&1)
grep -qE "^ +web-1 .* passing " <<<"$out" && ! grep -q "gone" <<<"$out" &&
	ok "dnsdctl services lists web-1 and no gone-1" ||
	{ sed 's/^/    | /' <<<"$out" >&2; not_ok "dnsdctl services after the deregistration"; }
q gone-1._gone._tcp.$Z SRV
assert_rcode NXDOMAIN "gone-1's name after the deregistration"
q _gone._tcp.$Z PTR
assert_no_rr ANSWER "gone-1" "no PTR to gone-1 after the deregistration"
log_has "deregistered gone-1: check c-gone-1 critical for more than 3 s" &&
	ok "the log says why gone-1 went" || not_ok "no deregistration line in the log"

note "500: web-1 and web-2 leave the answers within interval + timeout + $SLACK s"
echo 500 >"$MODE"
within "$LIMIT" "web-1 leaves _web._tcp SRV and PTR on 500" web1_gone
within "$LIMIT" "web-2 leaves the only-passing zone's SRV on 500" web2_gone
health_is web-1 critical && ok "web-1 is critical in the store" || not_ok "web-1 is $(health web-1)"

note "200: they come back"
echo 200 >"$MODE"
within "$LIMIT" "web-1 back in _web._tcp SRV on 200" web1_srv
web1_ptr && ok "web-1 back in PTR" || { show; not_ok "web-1 not back in PTR"; }
within "$LIMIT" "web-2 back in the only-passing zone on 200" web2_srv

note "an instance deleted by UPDATE is checked no more (the catalog change is seen)"
within "$LIMIT" "web-3 is being checked" checked web-3
nsup <<<"update delete web-3._web._tcp.$Z SRV"
expect_update NOERROR "delete web-3's SRV"
sleep 1 # a check started just before the commit may still arrive
n3=$(requests web-3) n1=$(requests web-1)
sleep $(((IVL + TMO) / 1000 + 1))
[ "$(requests web-3)" = "$n3" ] && ok "no request for web-3 after its deletion" ||
	not_ok "web-3 still checked: $n3 -> $(requests web-3) requests"
[ "$(requests web-1)" -gt "$n1" ] && ok "web-1 is still checked meanwhile" ||
	not_ok "web-1 no longer checked either"

note "429: warning keeps web-1, but not web-2 in the only-passing zone"
echo 429 >"$MODE"
within "$LIMIT" "web-1 is warning in the store on 429" health_is web-1 warning
web1_srv && ok "a warning web-1 stays in _web._tcp SRV" || { show; not_ok "warning web-1 left SRV"; }
web1_ptr && ok "a warning web-1 stays in _web._tcp PTR" || { show; not_ok "warning web-1 left PTR"; }
within "$LIMIT" "a warning web-2 leaves the only-passing zone" web2_gone

note "a hanging server: critical after the timeout"
echo 200 >"$MODE"
within "$LIMIT" "web-1 back on 200" web1_srv
echo hang >"$MODE"
within "$LIMIT" "web-1 leaves the answers when its server hangs" web1_gone

note "stop with checks hanging; restart: the checks go on from the store"
t0=$SECONDS
stop_dnsd
[ "$DNSD_STATUS" = 0 ] && ok "dnsd stopped cleanly with checks in flight ($((SECONDS - t0)) s)" ||
	not_ok "dnsd exit status $DNSD_STATUS on stop"
log_has "writer: " && ok "the writer finished after the checker" || not_ok "no writer stop line"
health_is web-1 critical && ok "web-1 is critical in the store while dnsd is down" ||
	not_ok "web-1 is $(health web-1) after the stop"
echo 200 >"$MODE"
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not restart"
within "$LIMIT" "after the restart, web-1's first passing check brings it back" web1_srv
stop_dnsd

note "bounds: check-max, check-max-concurrent"
write_conf "check-max 2; check-max-concurrent 1;"
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start with check-max 2"
within "$LIMIT" "the log says checks over check-max are not run" \
	log_has "checks are not run: over check-max 2"
stop_dnsd
write_conf "check-max-concurrent 0;"
"$DNSD" -n -c "$WORK/dnsd.conf" >"$WORK/n.out" 2>&1 && not_ok "check-max-concurrent 0 accepted" ||
	{ grep -q "check-max-concurrent" "$WORK/n.out" && ok "check-max-concurrent 0 is refused" ||
	  not_ok "dnsd -n: $(cat "$WORK/n.out")"; }

done_ok
