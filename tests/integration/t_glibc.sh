#!/bin/bash
# t_glibc.sh -- glibc's stub resolver (getent, getaddrinfo) through
# resolv.conf against dnsd on port 53, in a private mount + network (+ PID)
# namespace, with dnsd dropping root (-u nobody) after binding.
#
# The test runs itself a second time inside
#     unshare --mount --net [--pid --fork --mount-proc --kill-child]
# (T_GLIBC_INSIDE=1). In there: lo up with 127.0.0.53/8 and a non-loopback
# IPv6 address (glibc's AI_ADDRCONFIG ignores 127.0.0.1 and ::1, see
# shared/PEERS.md), resolv.conf, nsswitch.conf and hosts bind-mounted over
# /etc, dnsd on 127.0.0.53@53 -u nobody. Everything started in there dies
# with the namespace: with a PID namespace the kernel kills it all when the
# inner shell exits; the inner shell also stops dnsd itself.
#
# Checks: the privilege drop (log line, ps user, /proc Uid/Gid/Groups);
# getent ahosts web-1.svc.example.test -> 10.0.0.5 and 2001:db8::5;
# getent hosts web-1 through the search list; a dnsd-update registration
# (--lease 3) is visible to getent at once and still at ~1 s, and gone
# (getent exit 2, dig NXDOMAIN) within 5 s of its expiry; dnsd exits
# cleanly on SIGTERM.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

Z=svc.example.test
NS_ADDR=127.0.0.53
NS_ADDR6=fd00:53::53   # inside the namespace only
SECRET=$(head -c 32 /dev/urandom | base64 -w0)
UPDATE=$BUILDDIR/tools/dnsd-update

# need_cmd TOOL PACKAGE: like need_tool, for tools whose package is not
# named after them.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "# $1 missing: installing $2" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >"$WORK/apt-$2.log" 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt-$2.log" 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >>"$WORK/apt-$2.log" 2>&1; }
	fi
	command -v "$1" >/dev/null 2>&1 || skip "$1 not available (package $2)"
}

# ============================================================================
# Outside: tools, permission, then run the inside part in the namespace.
# ============================================================================
if [ "${T_GLIBC_INSIDE:-0}" != 1 ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (unshare, mount --bind, port 53, -u nobody)"
	need_dnsd
	[ -x "$UPDATE" ] || hard_error "no dnsd-update at $UPDATE (build first)"
	need_tool dig
	need_cmd unshare util-linux
	need_cmd mount mount
	need_cmd ip iproute2
	need_cmd getent libc-bin
	need_cmd ps procps
	need_cmd timeout coreutils
	id nobody >/dev/null 2>&1 || skip "no user nobody to drop privileges to"

	# The PID namespace makes sure nothing started inside outlives the
	# test; fall back to mount + network only where that is not allowed.
	if unshare --mount --net --pid --fork --mount-proc --kill-child true 2>"$WORK/unshare.err"; then
		NS=(unshare --mount --net --pid --fork --mount-proc --kill-child)
	elif unshare --mount --net true 2>>"$WORK/unshare.err"; then
		NS=(unshare --mount --net --fork --kill-child)
		echo "# no PID namespace here ($(tail -n 1 "$WORK/unshare.err")); mount + net only"
	else
		skip "unshare --mount --net is not permitted here: $(tail -n 1 "$WORK/unshare.err")"
	fi
	note "entering a private namespace: ${NS[*]}"
	# In the background and tracked, so that the cleanup of an interrupted
	# test takes the namespace (and dnsd in it) down too.
	T_GLIBC_INSIDE=1 SECRET=$SECRET timeout -k 5 120 "${NS[@]}" bash "$0" &
	NS_PID=$!
	track_pid "$NS_PID"
	wait "$NS_PID"
	rc=$?
	[ "$rc" = 124 ] && hard_error "the namespace part did not finish in 120 s"
	exit "$rc"
fi

# ============================================================================
# Inside the namespace.
# ============================================================================

# ---- the network: lo with 127.0.0.53 and an IPv6 address -----------------
ip link set lo up || hard_error "ip link set lo up failed"
ip addr add "$NS_ADDR/8" dev lo || hard_error "cannot add $NS_ADDR to lo"
# ::1 comes with lo up where IPv6 is on; add it if not.
ip -6 addr show dev lo | grep -q 'inet6 ::1/' || ip -6 addr add ::1/128 dev lo 2>/dev/null
HAVE6=0
if ip -6 addr add "$NS_ADDR6/128" dev lo nodad 2>"$WORK/ip6.err"; then
	HAVE6=1
else
	echo "# no IPv6 in the namespace ($(cat "$WORK/ip6.err")): AAAA via getaddrinfo not checked"
fi

# ---- /etc: resolv.conf, nsswitch.conf, hosts (private mounts) --------------
PUB=$WORK/pub   # readable by nobody
mkdir -p "$PUB"
chmod 0755 "$WORK" "$PUB"
cat >"$PUB/resolv.conf" <<EOF
nameserver $NS_ADDR
search $Z
options ndots:1 timeout:1 attempts:1
EOF
# nsswitch.conf: the system's, with "hosts: files dns" (no mdns, resolve or
# myhostname modules in the way; passwd/group stay as they are for -u).
if [ -r /etc/nsswitch.conf ]; then
	grep -v '^[[:space:]]*hosts:' /etc/nsswitch.conf >"$PUB/nsswitch.conf"
else
	printf 'passwd: files\ngroup: files\nshadow: files\n' >"$PUB/nsswitch.conf"
fi
echo 'hosts: files dns' >>"$PUB/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$PUB/hosts"
chmod 0644 "$PUB"/*
for f in resolv.conf nsswitch.conf hosts; do
	[ -e "/etc/$f" ] || hard_error "/etc/$f does not exist: nothing to bind-mount over"
	mount --bind "$PUB/$f" "/etc/$f" || hard_error "mount --bind $PUB/$f /etc/$f failed"
done
# A running nscd would answer getent from outside the namespace: hide it.
for d in /var/run/nscd /run/nscd; do
	[ -d "$d" ] && mount -t tmpfs tmpfs "$d" 2>/dev/null
done
grep -q "^nameserver $NS_ADDR\$" /etc/resolv.conf || hard_error "the resolv.conf bind mount is not visible"
ok "namespace: lo up with $NS_ADDR, resolv.conf/nsswitch.conf/hosts bind-mounted"

# ---- dnsd on 127.0.0.53@53 as nobody ---------------------------------------
cp "$ZONES/$Z.zone" "$PUB/$Z.zone" && chmod 0644 "$PUB/$Z.zone" || hard_error "cannot copy the zone"
DNSD_LOG=$WORK/dnsd.log
"$DNSD" -f -l "$NS_ADDR@53" -s "$WORK/store" -w 2 -u nobody \
	-z "$Z:$PUB/$Z.zone" -y "registrar:$SECRET" >"$DNSD_LOG" 2>&1 &
DNSD_PID=$!
track_pid "$DNSD_PID"
up=0
for i in $(seq 1 100); do
	kill -0 "$DNSD_PID" 2>/dev/null || break
	if dig @"$NS_ADDR" -p 53 +norec +time=1 +tries=1 SOA "$Z" 2>/dev/null | grep -q 'status: NOERROR'; then
		up=1
		break
	fi
	sleep 0.05
done
[ "$up" = 1 ] || hard_error "dnsd did not answer on $NS_ADDR@53"
echo "# dnsd pid $DNSD_PID on $NS_ADDR@53 (log $DNSD_LOG)"

note "privilege drop (-u nobody)"
log_has 'running as user nobody' || fail "no 'running as user nobody' in the log"
ok "log says: running as user nobody"
user=$(ps -o user= -p "$DNSD_PID" | tr -d ' ')
[ "$user" = nobody ] || fail "ps -o user= shows '$user' for dnsd, expected nobody"
ok "ps -o user= shows nobody"
nuid=$(id -u nobody)
ngid=$(id -g nobody)
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$DNSD_PID/status")
gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$DNSD_PID/status")
groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$DNSD_PID/status" | tr -d ' ')
[ "$uids" = "$nuid $nuid $nuid $nuid" ] || fail "dnsd uids (real effective saved fs) are '$uids', expected all $nuid"
[ "$gids" = "$ngid $ngid $ngid $ngid" ] || fail "dnsd gids are '$gids', expected all $ngid"
[ -z "$groups" ] || fail "dnsd keeps supplementary groups '$groups'"
ok "real, effective, saved and fs uid/gid are nobody's; no supplementary groups"
# Every thread, not only the main one.
for t in /proc/"$DNSD_PID"/task/*; do
	tu=$(awk '/^Uid:/ { print $3 }' "$t/status")
	[ "$tu" = "$nuid" ] || fail "dnsd thread ${t##*/} runs as uid $tu"
done
ok "every dnsd thread runs as uid $nuid"

# ---- glibc: getaddrinfo and gethostbyname ------------------------------------
note "getent ahosts / hosts through resolv.conf"
out=$(timeout 10 getent ahosts "web-1.$Z")
rc=$?
[ "$rc" = 0 ] || fail "getent ahosts web-1.$Z exited $rc: $out"
grep -q '^10\.0\.0\.5[[:space:]]' <<<"$out" || fail "getent ahosts web-1.$Z lacks 10.0.0.5: $out"
ok "getent ahosts web-1.$Z has 10.0.0.5"
if [ "$HAVE6" = 1 ]; then
	grep -q '^2001:db8::5[[:space:]]' <<<"$out" || fail "getent ahosts web-1.$Z lacks 2001:db8::5: $out"
	ok "getent ahosts web-1.$Z has 2001:db8::5"
fi
grep -vqE '^(10\.0\.0\.5|2001:db8::5)[[:space:]]' <<<"$out" &&
	fail "getent ahosts web-1.$Z has other addresses: $out"
ok "getent ahosts web-1.$Z has no other address"

out=$(timeout 10 getent ahostsv4 "web-1.$Z")
grep -q "^10\.0\.0\.5[[:space:]]*STREAM web-1\.$Z\$" <<<"$out" ||
	fail "getent ahostsv4 web-1.$Z: expected 10.0.0.5 with canonical name web-1.$Z: $out"
ok "getent ahostsv4 web-1.$Z: 10.0.0.5, canonical name web-1.$Z"

out=$(timeout 10 getent hosts web-1)
rc=$?
[ "$rc" = 0 ] || fail "getent hosts web-1 (search $Z) exited $rc: $out"
grep -qE "^(10\.0\.0\.5|2001:db8::5)[[:space:]]+web-1\.$Z\$" <<<"$out" ||
	fail "getent hosts web-1: expected web-1.$Z at 10.0.0.5 or 2001:db8::5: $out"
ok "getent hosts web-1 -> web-1.$Z through the search list ($(awk '{print $1}' <<<"$out"))"

out=$(timeout 10 getent ahostsv4 web-1)
grep -q '^10\.0\.0\.5[[:space:]]' <<<"$out" || fail "getent ahostsv4 web-1 (search list) lacks 10.0.0.5: $out"
ok "getent ahostsv4 web-1 (getaddrinfo, search list): 10.0.0.5"

timeout 10 getent hosts "nosuch.$Z" >/dev/null
rc=$?
[ "$rc" = 2 ] || fail "getent hosts nosuch.$Z exited $rc, expected 2 (not found)"
ok "getent hosts nosuch.$Z: not found (exit 2)"

# ---- a registration, seen by glibc, and its expiry -----------------------------
note "dnsd-update register --lease 3, seen through getent, then expired"
NEW=reg-$RANDOM
out=$(timeout 20 "$UPDATE" -s "$NS_ADDR@53" -y "registrar:$SECRET" -z "$Z" \
	register web "$NEW" 10.0.0.77 8080 --lease 3 2>&1)
rc=$?
t0=$(date +%s%N)
[ "$rc" = 0 ] || fail "dnsd-update register exited $rc: $out"
ok "dnsd-update register web $NEW 10.0.0.77 8080 --lease 3 (as nobody: the store is writable)"

out=$(timeout 10 getent hosts "$NEW")
rc=$?
[ "$rc" = 0 ] && grep -q "^10\.0\.0\.77[[:space:]]*$NEW\.$Z\$" <<<"$out" ||
	fail "getent hosts $NEW right after registering: exit $rc, '$out' (expected 10.0.0.77 $NEW.$Z)"
ok "getent hosts $NEW -> 10.0.0.77 at once"
out=$(timeout 10 getent ahosts "$NEW.$Z")
grep -q '^10\.0\.0\.77[[:space:]]' <<<"$out" || fail "getent ahosts $NEW.$Z lacks 10.0.0.77: $out"
ok "getent ahosts $NEW.$Z -> 10.0.0.77"

# Still there well inside the lease.
while [ $(($(date +%s%N) - t0)) -lt 1000000000 ]; do sleep 0.1; done
out=$(timeout 10 getent hosts "$NEW.$Z")
rc=$?
el=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] || fail "getent hosts $NEW.$Z exited $rc ${el} ms into a 3 s lease"
ok "still resolvable ${el} ms into the 3 s lease"

# Gone after it: the lease ends 3 s after the reply; allow 5 s more.
while [ $(($(date +%s%N) - t0)) -lt 3000000000 ]; do sleep 0.1; done
gone=0
for i in $(seq 1 50); do
	timeout 10 getent hosts "$NEW.$Z" >/dev/null
	rc=$?
	if [ "$rc" = 2 ]; then
		gone=1
		break
	fi
	[ "$rc" = 0 ] || fail "getent hosts $NEW.$Z exited $rc while waiting for the expiry"
	sleep 0.1
done
el=$((($(date +%s%N) - t0) / 1000000))
[ "$gone" = 1 ] || fail "getent hosts $NEW.$Z still resolves ${el} ms after a 3 s lease"
ok "getent hosts $NEW.$Z fails (exit 2) ${el} ms after registering with a 3 s lease"
timeout 10 getent hosts "$NEW" >/dev/null
rc=$?
[ "$rc" = 2 ] || fail "getent hosts $NEW (search list) exited $rc after the expiry, expected 2"
ok "getent hosts $NEW (search list): exit 2 after the expiry"
# Not found because the name is gone, not because the server went quiet.
out=$(dig @"$NS_ADDR" -p 53 +norec +time=2 +tries=1 A "$NEW.$Z" 2>&1)
grep -q 'status: NXDOMAIN' <<<"$out" || { OUT=$out; show; fail "dig $NEW.$Z after the expiry: expected NXDOMAIN"; }
ok "dig $NEW.$Z after the expiry: NXDOMAIN"
out=$(timeout 10 getent hosts "web-1.$Z")
[ $? = 0 ] || fail "getent hosts web-1.$Z fails after the expiry: the zone file's names must stay"
ok "zone-file names still resolve after the expiry"

# ---- shut down --------------------------------------------------------------------
note "dnsd stops on SIGTERM"
kill -TERM "$DNSD_PID"
for i in $(seq 1 100); do
	kill -0 "$DNSD_PID" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$DNSD_PID" 2>/dev/null && fail "dnsd (as nobody) still runs 5 s after SIGTERM"
wait "$DNSD_PID"
st=$?
[ "$st" = 0 ] || fail "dnsd exited with status $st after SIGTERM"
ok "dnsd exited 0 after SIGTERM"
DNSD_PID=

done_ok
