#!/bin/bash
# t_etcd.sh -- the etcd client (dnsd/etcd) against real etcd 3.4 members
# on loopback, driven by etcdcheck: keys, transactions (two racing
# clients, exactly one wins), leases (expiry, keepalive, revoke), watches
# (order, resume after kill -9 and after SIGSTOP of their member,
# compaction), authentication with expiring tokens, TLS with a client
# certificate, and a 3-member cluster losing two members and getting them
# back. The members are our own (temporary data folders, free ports),
# never a system service, and are stopped by PID.
#
# BENCH_N=1000 (default) puts measure the put + watch round trip.
. "$(dirname "$0")/lib.sh"

CHECK=$BUILDDIR/tests/integration/etcdcheck
[ -x "$CHECK" ] || hard_error "no $CHECK (make check builds it)"
export ETCDCTL_API=3

# ---- etcd itself ----------------------------------------------------------------

need_etcd() {
	command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "# etcd missing: installing etcd-server etcd-client" >&2
		# Debian's package starts a system service where systemd runs; we
		# never use it, only the binaries.
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client \
			>"$WORK/apt.log" 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt.log" 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client \
				>>"$WORK/apt.log" 2>&1; }
	fi
	command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 ||
		skip "etcd not available (packages etcd-server etcd-client)"
}
need_etcd
need_tool openssl

# Members by name: their PID, client URL, and command line (to restart).
declare -A MPID MURL MCMD

# start_member NAME CLUSTER(name=peerurl,...) CPORT PPORT [etcd options]:
# start one member in the background, logging to $WORK/NAME.log.
start_member() {
	local name=$1 cluster=$2 cport=$3 pport=$4 scheme=http
	shift 4
	case " $* " in *" --cert-file "*) scheme=https ;; esac
	MURL[$name]=$scheme://127.0.0.1:$cport
	MCMD[$name]="etcd --name $name --data-dir $WORK/$name.data
		--listen-client-urls ${MURL[$name]} --advertise-client-urls ${MURL[$name]}
		--listen-peer-urls http://127.0.0.1:$pport --initial-advertise-peer-urls http://127.0.0.1:$pport
		--initial-cluster $cluster --initial-cluster-state new
		--initial-cluster-token t_etcd-$$-$(cksum <<<"$cluster" | cut -d' ' -f1) $*"
	run_member "$name"
}

run_member() {
	# shellcheck disable=SC2086
	${MCMD[$1]} >>"$WORK/$1.log" 2>&1 &
	MPID[$1]=$!
	track_pid "${MPID[$1]}"
}

# healthy NAME [etcdctl TLS options]: the member answers a linearizable read.
healthy() {
	local name=$1
	shift
	etcdctl --endpoints "${MURL[$name]}" --command-timeout=2s "$@" get /healthcheck >/dev/null 2>&1
}

# wait_healthy NAME... : each member answers within 30 s.
wait_healthy() {
	local n
	for n in "$@"; do
		kill -0 "${MPID[$n]}" 2>/dev/null || { tail -n 20 "$WORK/$n.log" >&2; hard_error "etcd $n exited"; }
		wait_for 30 healthy "$n" ${TLSCTL:-} || { tail -n 20 "$WORK/$n.log" >&2; hard_error "etcd $n not healthy in 30 s"; }
	done
}

# stop_member NAME [SIGNAL]: signal (default KILL) and reap.
stop_member() {
	kill -"${2:-KILL}" "${MPID[$1]}" 2>/dev/null
	wait "${MPID[$1]}" 2>/dev/null
}

# name_of URL: the member with that client URL.
name_of() {
	local n
	for n in "${!MURL[@]}"; do
		[ "${MURL[$n]}" = "$1" ] && { echo "$n"; return 0; }
	done
	return 1
}

ports() {
	local i p
	PORTS=()
	for i in $(seq 1 "$1"); do
		p=$(pick_port) || hard_error "no free port"
		PORTS+=("$p")
	done
}

# ---- running etcdcheck ------------------------------------------------------------

# check ARGS...: run etcdcheck, count its "ok -" lines; fail on its failure.
check() {
	local rc
	timeout 300 "$CHECK" "$@" >"$WORK/check.out" 2>&1
	rc=$?
	relay_checks <"$WORK/check.out"
	[ "$rc" = 0 ] || fail "etcdcheck $* exited $rc"
}

# check_interactive HANDLER ARGS...: the same, answering each "WAIT what"
# line of etcdcheck by running "HANDLER what" and then telling it to go on.
check_interactive() {
	local handler=$1 line rc pid in out
	shift
	coproc CK { timeout 300 "$CHECK" "$@" 2>&1; }
	pid=$CK_PID
	exec {in}<&"${CK[0]}" {out}>&"${CK[1]}"
	while IFS= read -r line <&"$in"; do
		case $line in
		"WAIT "*)
			"$handler" ${line#WAIT }
			echo go >&"$out"
			;;
		"ok - "*) ok "${line#ok - }" ;;
		*) [ -n "$line" ] && echo "    $line" >&2 ;;
		esac
	done
	exec {in}<&- {out}>&-
	wait "$pid"
	rc=$?
	[ "$rc" = 0 ] || fail "etcdcheck $* exited $rc"
}

# ---- one member ------------------------------------------------------------------

note "one member"
ports 2
start_member s1 "s1=http://127.0.0.1:${PORTS[1]}" "${PORTS[0]}" "${PORTS[1]}"
wait_healthy s1
S1=${MURL[s1]}
echo "# etcd s1 pid ${MPID[s1]} at $S1"

check -e "$S1" kv
check -e "$S1" txn
check -e "$S1" race 50
check -e "$S1" lease 2
check -e "$S1" -s 3000 watch

on_compact() {
	# "compact REV": compact the member's history up to REV
	etcdctl --endpoints "$S1" compact "$2" >/dev/null || fail "etcdctl compact $2"
}
check_interactive on_compact -e "$S1" compact

check -e "$S1" bench "${BENCH_N:-1000}"
stop_member s1 TERM

# ---- authentication -----------------------------------------------------------------

note "one member with users and roles, tokens valid 2 s"
ports 2
start_member a1 "a1=http://127.0.0.1:${PORTS[1]}" "${PORTS[0]}" "${PORTS[1]}" --auth-token-ttl 2
wait_healthy a1
A1=${MURL[a1]}
{
	etcdctl --endpoints "$A1" user add root:rootpw &&
	etcdctl --endpoints "$A1" user grant-role root root &&
	etcdctl --endpoints "$A1" user add dnsd:s3cret &&
	etcdctl --endpoints "$A1" role add dnsd &&
	etcdctl --endpoints "$A1" role grant-permission dnsd --prefix=true readwrite /dnsdtest/ &&
	etcdctl --endpoints "$A1" user grant-role dnsd dnsd &&
	etcdctl --endpoints "$A1" user add other:0ther &&
	etcdctl --endpoints "$A1" role add other &&
	etcdctl --endpoints "$A1" role grant-permission other --prefix=true readwrite /elsewhere/ &&
	etcdctl --endpoints "$A1" user grant-role other other &&
	etcdctl --endpoints "$A1" auth enable
} >"$WORK/auth.log" 2>&1 || { cat "$WORK/auth.log" >&2; hard_error "could not set up etcd users"; }
check -e "$A1" -u dnsd -P s3cret auth other 0ther
stop_member a1 TERM

# ---- TLS with a client certificate ----------------------------------------------------

note "one member over https, client certificates required"
T=$WORK/tls
mkdir -p "$T"
{
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=t_etcd-ca \
		-keyout "$T/ca.key" -out "$T/ca.pem" &&
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$T/server.key" -out "$T/server.csr" &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$T/server.ext" &&
	openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-days 2 -extfile "$T/server.ext" -out "$T/server.pem" &&
	openssl req -newkey rsa:2048 -nodes -subj /CN=dnsd -keyout "$T/client.key" -out "$T/client.csr" &&
	printf 'extendedKeyUsage=clientAuth\n' >"$T/client.ext" &&
	openssl x509 -req -in "$T/client.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-days 2 -extfile "$T/client.ext" -out "$T/client.pem"
} >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log" >&2; hard_error "could not make certificates"; }
ports 2
start_member t1 "t1=http://127.0.0.1:${PORTS[1]}" "${PORTS[0]}" "${PORTS[1]}" \
	--cert-file "$T/server.pem" --key-file "$T/server.key" --trusted-ca-file "$T/ca.pem" --client-cert-auth
TLSCTL="--cacert $T/ca.pem --cert $T/client.pem --key $T/client.key"
wait_healthy t1
TLSCTL=
T1=${MURL[t1]}
check -e "$T1" --ca "$T/ca.pem" --cert "$T/client.pem" --key "$T/client.key" txn
"$CHECK" -e "$T1" --ca "$T/ca.pem" txn >"$WORK/notls.out" 2>&1 &&
	fail "without a client certificate the TLS member answered"
grep -q 'FAIL: .*got -1012' "$WORK/notls.out" || { cat "$WORK/notls.out" >&2; fail "no DNSD_EUNAVAIL without a client certificate"; }
ok "https: with the CA and a client certificate, the txn checks pass; without the certificate: DNSD_EUNAVAIL"
"$CHECK" -e "$T1" --cert "$T/client.pem" --key "$T/client.key" txn >"$WORK/noca.out" 2>&1 &&
	fail "a server certificate from an unknown CA was accepted"
grep -q 'certificate' "$WORK/noca.out" || { cat "$WORK/noca.out" >&2; fail "no certificate error without the CA"; }
ok "https: a server certificate signed by an unknown CA is refused"
stop_member t1 TERM

# ---- three members ------------------------------------------------------------------

note "three members"
ports 6
CL="m1=http://127.0.0.1:${PORTS[1]},m2=http://127.0.0.1:${PORTS[3]},m3=http://127.0.0.1:${PORTS[5]}"
start_member m1 "$CL" "${PORTS[0]}" "${PORTS[1]}"
start_member m2 "$CL" "${PORTS[2]}" "${PORTS[3]}"
start_member m3 "$CL" "${PORTS[4]}" "${PORTS[5]}"
wait_healthy m1 m2 m3
ALL=${MURL[m1]},${MURL[m2]},${MURL[m3]}
echo "# etcd m1 m2 m3 pids ${MPID[m1]} ${MPID[m2]} ${MPID[m3]} at $ALL"

check -e "$ALL" race 30

# "kill URL" / "stop URL": kill -9 (or SIGSTOP) the watch's member;
# "revive": bring it back (restart, or SIGCONT) and wait until all answer.
VICTIM=
on_failover() {
	case $1 in
	kill | stop)
		VICTIM=$(name_of "$2") || fail "no member at $2"
		if [ "$1" = kill ]; then
			stop_member "$VICTIM" KILL
		else
			kill -STOP "${MPID[$VICTIM]}"
		fi
		echo "# $1 of $VICTIM (pid ${MPID[$VICTIM]})" >&2
		;;
	revive)
		if kill -0 "${MPID[$VICTIM]}" 2>/dev/null; then
			kill -CONT "${MPID[$VICTIM]}"
		else
			run_member "$VICTIM"
		fi
		wait_healthy m1 m2 m3
		;;
	esac
}
check_interactive on_failover -e "$ALL" -t 2000 -s 3000 failover kill
check_interactive on_failover -e "$ALL" -t 2000 -s 3000 failover stop

# "kill2": kill -9 two members, keeping the watch's; "restart2": back.
DOWN=()
on_quorum() {
	local n
	case $1 in
	kill2)
		DOWN=(m2 m3)
		for n in "${DOWN[@]}"; do
			stop_member "$n" KILL
		done
		echo "# killed ${DOWN[*]}" >&2
		;;
	restart2)
		for n in "${DOWN[@]}"; do
			run_member "$n"
		done
		echo "# restarted ${DOWN[*]}" >&2
		;;
	esac
}
check_interactive on_quorum -e "$ALL" -t 3000 -s 3000 quorum
wait_healthy m1 m2 m3
check -e "$ALL" bench "${BENCH_N:-1000}"

done_ok
