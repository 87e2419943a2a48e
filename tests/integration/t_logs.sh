#!/bin/bash
# t_logs.sh -- the log lines an operator reads when something is refused:
# every refused transfer names the zone, the client's address, the key it
# signed with (or "unsigned") and the reason in words (BADSIG, BADKEY,
# not in allow-transfer); an accepted one names client and key too; a
# secondary that refuses our NOTIFY is named with the reason; each line of
# the daemon on stderr starts with an ISO 8601 time.
. "$(dirname "$0")/lib.sh"

need_tool dig
XFR=eGZyLXNlY3JldC14ZnItc2VjcmV0LXhmci1zZWNyZXQ=
OTHER=b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3Q=
WRONG=d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3I=

# A secondary that answers every NOTIFY with REFUSED.
SEC_PORT=$(pick_port) || hard_error "no free port"
cat >"$WORK/refuser.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()
s.settimeout(60)
while True:
    try:
        msg, peer = s.recvfrom(4096)
    except socket.timeout:
        break
    if len(msg) < 17:
        continue
    flags = struct.unpack("!H", msg[2:4])[0]
    # QR, the same opcode, RCODE 5 (REFUSED); the question echoed, nothing else.
    end = 12
    while msg[end] != 0:
        end += msg[end] + 1
    out = msg[:2] + struct.pack("!HHHHH", 0x8000 | (flags & 0x7800) | 5, 1, 0, 0, 0)
    s.sendto(out + msg[12:end + 5], peer)
PY
"$PYTHON" "$WORK/refuser.py" "$SEC_PORT" "$WORK/sec.ready" &
track_pid $!
wait_for 5 test -e "$WORK/sec.ready" || hard_error "the fake secondary did not start"

write_conf() {
	cat >"$WORK/dnsd.conf" <<EOF
key xfr { algorithm hmac-sha256; secret "$XFR"; }
key other { algorithm hmac-sha256; secret "$OTHER"; }
zone "t.test" {
    $1
    allow-transfer key xfr
    allow-transfer 127.0.0.9
    notify 127.0.0.1@$SEC_PORT
}
EOF
}
write_conf ""
WAIT_ZONE=t.test
start_dnsd -c "$WORK/dnsd.conf" || hard_error "dnsd did not start"

note "every line on stderr starts with an ISO 8601 time"
bad=$(grep -vcE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9:]+) ' "$DNSD_LOG")
[ "$bad" = 0 ] && ok "every log line is stamped" || not_ok "$bad lines without an ISO 8601 time"

# axfr FROM [dig options]: a transfer from source address FROM.
axfr() {
	local from=$1
	shift
	dig @127.0.0.1 -p "$PORT" -b "$from" +time=2 +tries=1 "$@" t.test AXFR >/dev/null 2>&1
}
# expect_line REGEX WHAT
expect_line() {
	if wait_for 3 log_has "$1"; then
		ok "$2: $(grep -oE -- "$1" "$DNSD_LOG" | head -n 1)"
	else
		tail -n 5 "$DNSD_LOG" | sed 's/^/    | /' >&2
		not_ok "$2: no line matching /$1/"
	fi
}

note "transfers"
axfr 127.0.0.2
expect_line 'zone t\.test\.: AXFR refused to 127\.0\.0\.2 \(unsigned\): allow-transfer does not list this address' \
	"unsigned, address not listed"
axfr 127.0.0.3 -y "hmac-sha256:xfr:$WRONG"
expect_line 'zone t\.test\.: AXFR refused to 127\.0\.0\.3: BADSIG: the MAC does not match for key xfr' \
	"a wrong secret"
axfr 127.0.0.4 -y "hmac-sha256:nokey:$XFR"
expect_line 'zone t\.test\.: AXFR refused to 127\.0\.0\.4: BADKEY: no key nokey with algorithm hmac-sha256' \
	"an unknown key"
axfr 127.0.0.5 -y "hmac-sha256:other:$OTHER"
expect_line 'zone t\.test\.: AXFR refused to 127\.0\.0\.5 \(signed with key other\): allow-transfer lists neither this key nor this address' \
	"a valid key that allow-transfer does not list"
axfr 127.0.0.6 -y "hmac-sha256:xfr:$XFR"
expect_line 'zone t\.test\.: AXFR to client 127\.0\.0\.6 started \(signed with key xfr\)' "a transfer with the listed key"
axfr 127.0.0.9
expect_line 'zone t\.test\.: AXFR to client 127\.0\.0\.9 started \(unsigned\)' "a transfer from the listed address"

note "the same refusal again at once: rate-limited, not repeated"
axfr 127.0.0.2
axfr 127.0.0.2
sleep 0.3
n=$(grep -c 'refused to 127\.0\.0\.2 ' "$DNSD_LOG")
[ "$n" = 1 ] && ok "three refusals of one client for one reason: one line" ||
	not_ok "refusals of 127.0.0.2 logged $n times"

note "a secondary that refuses our NOTIFY"
# A serial change makes dnsd notify: give the zone a file by reload.
cat >"$WORK/t.zone" <<EOF
\$ORIGIN t.test.
@ 60 IN SOA ns hm 5 3600 600 86400 60
@ 60 IN NS ns
ns 60 IN A 127.0.0.1
EOF
write_conf "file \"$WORK/t.zone\""
kill -HUP "$DNSD_PID"
expect_line "zone t\\.test\\.: NOTIFY to 127\\.0\\.0\\.1@$SEC_PORT \\(unsigned\\) answered REFUSED: it does not take NOTIFY for this zone from this server" \
	"NOTIFY refused by a secondary"
done_ok
