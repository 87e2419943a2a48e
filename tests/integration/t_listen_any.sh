#!/bin/bash
# t_listen_any.sh -- dnsd listening on 0.0.0.0 and ::, asked at other
# addresses of the host (127.0.0.2, 127.0.0.3 ...). Every UDP answer must
# come from the address the query went to: dig and kdig drop an answer
# from any other, so a wrong source shows up as a timeout. Covers answers,
# update responses (sent by the writer), forwarded answers (sent by the
# forwarder) and TCP.
. "$(dirname "$0")/lib.sh"

need_tool dig
need_tool kdig
need_tool nsupdate

Z=svc.example.test
PZ=example.test

# An upstream on 127.0.0.1 for names outside the zone; left running (it is
# stopped at exit) while the server under test starts.
STORE=$WORK/store-up WAIT_ZONE=$PZ start_dnsd -z "$PZ:$SRCDIR/zones/$PZ.zone" ||
	hard_error "upstream dnsd did not start"
UP=$PORT
DNSD_PID=

SECRET=$(head -c 32 /dev/urandom | base64 -w0)
cat >"$WORK/dnsd.conf" <<CONF
zone "$Z" { file "$SRCDIR/zones/$Z.zone"; }
key registrar { algorithm hmac-sha256; secret "$SECRET"; }
forward 127.0.0.1@$UP
CONF
LISTEN_ANY=1 LISTEN6=1 start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start on 0.0.0.0 and ::"

for addr in 127.0.0.2 127.0.0.3 127.0.0.1; do
	SERVER=$addr q +notcp www.$Z A
	assert_rcode NOERROR "dig UDP to $addr"
	assert_rr ANSWER 'IN A 10\.0\.0\.6$' "dig UDP to $addr"
done
SERVER=127.0.0.4 kq +notcp _http._tcp.$Z SRV
assert_rcode NOERROR "kdig UDP to 127.0.0.4"
assert_count ANSWER 2 "kdig UDP to 127.0.0.4"
SERVER=127.0.0.5 q +tcp www.$Z A
assert_rr ANSWER 'IN A 10\.0\.0\.6$' "dig TCP to 127.0.0.5"
SERVER=::1 q +notcp web-1.$Z AAAA
assert_rr ANSWER 'IN AAAA 2001:db8::5$' "dig UDP to ::1"

# An UPDATE to another address: the writer's response leaves from it too.
out=$(printf 'server 127.0.0.6 %s\nzone %s\nupdate add any-1.%s 60 A 10.9.9.1\nsend\n' "$PORT" "$Z" "$Z" |
	timeout 20 nsupdate -t 3 -r 0 -y "hmac-sha256:registrar:$SECRET" 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "nsupdate to 127.0.0.6: rc=$rc $out"
ok "nsupdate over UDP to 127.0.0.6: answered"
SERVER=127.0.0.7 q +notcp any-1.$Z A
assert_rr ANSWER 'IN A 10\.9\.9\.1$' "the update is served at 127.0.0.7"

# A name outside the zone, relayed upstream: the forwarder's answer too.
SERVER=127.0.0.8 q +notcp +rec mail.$PZ A
assert_rcode NOERROR "forwarded, asked at 127.0.0.8"
assert_rr ANSWER 'IN A 192\.0\.2\.25$' "forwarded, asked at 127.0.0.8"

stop_dnsd
done_ok
