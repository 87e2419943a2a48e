# lib_cluster.sh -- etcd members and dnsd nodes in cluster mode, on
# loopback, for t_cluster.sh and tools/bench/cluster (sourced after lib.sh)
#
# The etcd members are our own (temporary data folders, free ports),
# never a system service; every process is stopped by its PID.
#
#   etcd_cluster N            start N members (e1..eN), wait until healthy
#   etcd_kill NAME, etcd_restart NAME, etcd_healthy NAME
#   node_setup I [CONF...]    write node I's configuration (zone $Z from
#                             $ZONES, key registrar, extra lines CONF)
#   node_start I, node_kill I [SIGNAL], node_alive I
#   qn I ARGS...              dig at node I (+short, +norec), output
#   serial_of I               the zone's SOA serial at node I
#   axfr_of I FILE            node I's AXFR of $Z (records only) into FILE
#
# Variables: NODE_PORT[I], NODE_PID[I], NODE_LOG[I]; ETCD_URLS (the
# members' client URLs, space separated); REG_SECRET; Z.

export ETCDCTL_API=3
Z=${Z:-svc.example.test}
REG_SECRET=${REG_SECRET:-$(head -c 32 /dev/urandom | base64 -w0)}

need_etcd() {
	command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "# etcd missing: installing etcd-server etcd-client" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client \
			>"$WORK/apt.log" 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt.log" 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client \
				>>"$WORK/apt.log" 2>&1; }
	fi
	command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 ||
		skip "etcd not available (packages etcd-server etcd-client)"
}

# ---- etcd -------------------------------------------------------------------------

declare -A EPID EURL ECMD
ETCD_URLS=

# etcd_cluster N: start members e1..eN of one cluster, wait until healthy.
etcd_cluster() {
	local n=$1 i cluster= p c pp
	local -a cports pports
	for i in $(seq 1 "$n"); do
		c=$(pick_port) || hard_error "no free port"
		pp=$(pick_port) || hard_error "no free port"
		cports[i]=$c
		pports[i]=$pp
		cluster+="${cluster:+,}e$i=http://127.0.0.1:$pp"
	done
	ETCD_URLS=
	for i in $(seq 1 "$n"); do
		p=${cports[i]}
		EURL[e$i]=http://127.0.0.1:$p
		ETCD_URLS+="${ETCD_URLS:+ }${EURL[e$i]}"
		ECMD[e$i]="etcd --name e$i --data-dir $WORK/e$i.data
			--listen-client-urls ${EURL[e$i]} --advertise-client-urls ${EURL[e$i]}
			--listen-peer-urls http://127.0.0.1:${pports[i]}
			--initial-advertise-peer-urls http://127.0.0.1:${pports[i]}
			--initial-cluster $cluster --initial-cluster-state new
			--initial-cluster-token t-cluster-$$"
		etcd_run "e$i"
	done
	for i in $(seq 1 "$n"); do
		etcd_wait "e$i"
	done
}

etcd_run() {
	# shellcheck disable=SC2086
	${ECMD[$1]} >>"$WORK/$1.log" 2>&1 &
	EPID[$1]=$!
	track_pid "${EPID[$1]}"
}

# etcd_healthy NAME: the member answers a linearizable read.
etcd_healthy() {
	etcdctl --endpoints "${EURL[$1]}" --command-timeout=2s get /healthcheck >/dev/null 2>&1
}

etcd_wait() {
	kill -0 "${EPID[$1]}" 2>/dev/null || { tail -n 20 "$WORK/$1.log" >&2; hard_error "etcd $1 exited"; }
	wait_for 30 etcd_healthy "$1" || { tail -n 20 "$WORK/$1.log" >&2; hard_error "etcd $1 not healthy in 30 s"; }
}

# etcd_kill NAME: kill -9 a member.
etcd_kill() {
	kill -KILL "${EPID[$1]}" 2>/dev/null
	wait "${EPID[$1]}" 2>/dev/null
}

# etcd_restart NAME: start a killed member again (same data folder).
etcd_restart() {
	etcd_run "$1"
}

# ---- dnsd nodes ----------------------------------------------------------------------

declare -a NODE_PORT NODE_PID NODE_LOG NODE_CONF NODE_STORE NODE_STARTS

# node_setup I [LINE...]: node I's port, store and configuration (each
# LINE goes into the zone block; $NODE_TOP, if set, at the top level).
node_setup() {
	local i=$1
	shift
	[ -n "${NODE_PORT[i]:-}" ] || NODE_PORT[i]=$(pick_port) || hard_error "no free port"
	NODE_STORE[i]=$WORK/store$i
	NODE_CONF[i]=$WORK/n$i.conf
	NODE_STARTS[i]=0
	local etcd
	etcd=$(echo "$ETCD_URLS")
	{
		[ "${NODE_DEBUG:-0}" = 1 ] && echo "log-level debug"
		echo "zone \"$Z\" {"
		echo "    file \"$ZONES/$Z.zone\""
		echo "    default-lease 600; min-lease 1; max-lease 3600"
		echo "    grant registrar zone"
		echo "    allow-transfer 127.0.0.1"
		for line in "$@"; do
			echo "    $line"
		done
		echo "}"
		echo "key registrar { algorithm hmac-sha256; secret \"$REG_SECRET\"; }"
		[ -n "${NODE_TOP:-}" ] && printf '%s\n' "$NODE_TOP"
		echo "cluster { etcd $etcd; node n$i; prefix \"/t_cluster/\"; }"
	} >"${NODE_CONF[i]}"
}

# node_start I: start node I, wait (bounded) until it answers.
node_start() {
	local i=$1 k
	need_dnsd
	NODE_STARTS[i]=$((NODE_STARTS[i] + 1))
	NODE_LOG[i]=$WORK/n$i.${NODE_STARTS[i]}.log
	"$DNSD" -f -c "${NODE_CONF[i]}" -l "127.0.0.1@${NODE_PORT[i]}" -s "${NODE_STORE[i]}" -w 1 \
		>"${NODE_LOG[i]}" 2>&1 &
	NODE_PID[i]=$!
	track_pid "${NODE_PID[i]}"
	DNSD_LOG=${NODE_LOG[i]} # for failure reports
	for k in $(seq 1 200); do
		kill -0 "${NODE_PID[i]}" 2>/dev/null || { cat "${NODE_LOG[i]}" >&2; hard_error "node $i exited"; }
		[ -n "$(serial_of "$i")" ] && return 0
		sleep 0.05
	done
	hard_error "node $i did not answer in 10 s"
}

# node_kill I [SIGNAL]: signal (default KILL) and reap.
node_kill() {
	kill -"${2:-KILL}" "${NODE_PID[$1]}" 2>/dev/null
	wait "${NODE_PID[$1]}" 2>/dev/null
}

node_alive() {
	kill -0 "${NODE_PID[$1]}" 2>/dev/null
}

# qn I ARGS...: dig at node I.
qn() {
	local i=$1
	shift
	dig @127.0.0.1 -p "${NODE_PORT[i]}" +norec +short +time=1 +tries=2 "$@" 2>/dev/null
}

serial_of() {
	qn "$1" SOA "$Z" | awk 'NF == 7 {print $3}'
}

# axfr_of I FILE: the zone's records as node I transfers them, in its order.
axfr_of() {
	dig @127.0.0.1 -p "${NODE_PORT[$1]}" +time=5 +tries=1 +nocmd +nostats AXFR "$Z" 2>/dev/null |
		awk '!/^;/ && NF >= 4' >"$2"
}

# upd I [nsupdate lines...]: an UPDATE of $Z sent to node I by nsupdate,
# signed; its output in $UPD_OUT, its status returned.
upd() {
	local i=$1
	shift
	UPD_OUT=$({
		echo "server 127.0.0.1 ${NODE_PORT[i]}"
		echo "zone $Z"
		printf '%s\n' "$@"
		echo "send"
	} | nsupdate -t 8 -y "hmac-sha256:registrar:$REG_SECRET" 2>&1)
}

# reg I ARGS...: dnsd-update at node I (signed), e.g. reg 2 register web web-1 10.0.0.1 80
reg() {
	local i=$1
	shift
	"$BUILDDIR/tools/dnsd-update" -s "127.0.0.1@${NODE_PORT[i]}" -t 5 -y "registrar:$REG_SECRET" \
		-z "$Z" "$@" >/dev/null 2>&1
}

now_ms() {
	date +%s%3N
}

# poll_ms LIMIT_MS CMD...: run CMD every 20 ms until it succeeds or LIMIT_MS
# passed; ELAPSED_MS is the time it took.
poll_ms() {
	local limit=$1 start
	shift
	start=$(now_ms)
	while :; do
		ELAPSED_MS=$(($(now_ms) - start))
		"$@" && return 0
		[ "$ELAPSED_MS" -ge "$limit" ] && return 1
		sleep 0.02
	done
}
