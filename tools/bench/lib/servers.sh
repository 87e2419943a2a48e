# shellcheck shell=bash
# tools/bench/lib/servers.sh -- starting, checking, pinning and stopping
# the servers under test. Sourced by run.
#
# Every process started is recorded (PID, and its start time against PID
# reuse) and stopped by PID with its descendants, by stop_server or by
# cleanup on exit. launch NAME DIR PORT ZONEFILE starts a server that
# lib/configs.sh prepared, in the foreground on CPU_SRV, and sets LAST_PID
# and START_T; start_checked also waits for it and checks its answers
# (lib/dns.sh); pin_tree re-pins every thread of a server onto CPU_SRV.

# processes: every server we start is recorded here and stopped by PID
declare -A PID=() PORT=() START=() OK=()
ALL_PIDS=""

stat_field() { # stat_field PID N -> field N of /proc/PID/stat (N >= 3)
	local s n=$(($2 - 2))
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo "${!n}"
}
is_alive() { # a zombie counts as gone
	local st
	st=$(stat_field "$1" 3) || return 1
	[ "$st" != Z ] && [ "$st" != X ]
}
tree_pids() { # PID and its descendants (bounded depth)
	local depth=${2:-0} c
	echo "$1"
	[ "$depth" -ge 4 ] && return 0
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		tree_pids "$c" $((depth + 1))
	done
}
# the same process we started? (guards against PID reuse)
same_proc() { [ "$(stat_field "$1" 22 2>/dev/null)" = "${START[$1]:-x}" ]; }

pin_tree() { # every thread of every process of the tree onto CPU_SRV
	local p
	for p in $(tree_pids "$1"); do
		taskset -a -cp "$CPU_SRV" "$p" >/dev/null 2>&1
	done
}

stop_pid() {
	local p=$1 pids q alive
	same_proc "$p" || return 0
	pids=$(tree_pids "$p")
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	for _ in $(seq 1 150); do
		alive=""
		for q in $pids; do is_alive "$q" && alive="$alive $q"; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	[ -n "$alive" ] && kill -KILL $alive 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}
stop_server() { # stop_server NAME
	local n=$1
	[ -n "${PID[$n]:-}" ] && stop_pid "${PID[$n]}"
	PID[$n]=""
}

cleanup() {
	local p
	trap - EXIT INT TERM
	for p in $ALL_PIDS; do
		is_alive "$p" && same_proc "$p" && stop_pid "$p"
	done
	if [ "$KEEP" = 1 ]; then
		echo "kept temporary folder $TMPD"
	else
		rm -rf "$TMPD"
	fi
}

launch() {
	local n=$1 d=$2 port=$3 zf=$4
	START_T=$(now)
	case "$n" in
	nsd) taskset -c "$CPU_SRV" nsd -d -c "$d/nsd.conf" >>"$d/out.log" 2>&1 & ;;
	knot) taskset -c "$CPU_SRV" knotd -c "$d/knot.conf" >>"$d/out.log" 2>&1 & ;;
	bind) taskset -c "$CPU_SRV" named -g -n "${WORKERS:-1}" -c "$d/named.conf" >>"$d/out.log" 2>&1 & ;;
	pdns | pdnssql) taskset -c "$CPU_SRV" pdns_server --config-dir="$d" >>"$d/out.log" 2>&1 & ;;
	dnsd | dnsdbase)
		# dnsdbase: another build of dnsd (DNSD_BASE), to compare two
		local extra=() bin=$DNSD
		[ "$n" = dnsdbase ] && bin=$DNSD_BASE
		[ -f "$d/dnsd.conf" ] && extra+=(-c "$d/dnsd.conf")
		[ "$DNSD_TSIG" = 1 ] && extra+=(-y "$TSIG")
		taskset -c "$CPU_SRV" "$bin" -f -l "127.0.0.1@$port" -s "$d/store" -z "$ORIGIN:$zf" \
			-w "${WORKERS:-1}" "${extra[@]}" >>"$d/out.log" 2>&1 &
		;;
	null)
		# the null responder (nullresp.c): NULL_SIZE-byte replies, NULL_WAIT
		# microseconds of coalescing
		taskset -c "$CPU_SRV" "$NULLRESP" -s "${NULL_SIZE:-0}" -w "${NULL_WAIT:-0}" \
			-t "${WORKERS:-1}" 127.0.0.1 "$port" >>"$d/out.log" 2>&1 &
		;;
	esac
	LAST_PID=$!
	START[$LAST_PID]=$(stat_field "$LAST_PID" 22)
	ALL_PIDS="$ALL_PIDS $LAST_PID"
}

# start_null NAME SIZE WAIT -> starts the null responder under NAME on a
# free port (replies of SIZE bytes, WAIT microseconds of coalescing) and
# waits until it answers; sets PID/PORT/OK.
start_null() {
	local n=$1 port
	port=$(free_port)
	PORT[$n]=$port OK[$n]=0
	mkdir -p "$TMPD/$n"
	NULL_SIZE=$2 NULL_WAIT=$3 launch null "$TMPD/$n" "$port" -
	PID[$n]=$LAST_PID
	for _ in $(seq 1 100); do
		if dig +notcp +time=1 +tries=1 @127.0.0.1 -p "$port" probe.test A >/dev/null 2>&1; then
			pin_tree "$LAST_PID"
			OK[$n]=1
			return 0
		fi
		is_alive "$LAST_PID" || break
		sleep 0.05
	done
	echo "  $n: the null responder does not answer; log:"
	tail -n 5 "$TMPD/$n/out.log" | sed 's/^/    /'
	stop_server "$n"
	return 1
}

# start_checked NAME DIR ZONEFILE CHECKFILE TIMEOUT -> starts the server on a
# free port, waits for it and checks its answers; sets PID/PORT/SDIR/OK.
start_checked() {
	local n=$1 d=$2 zf=$3 cf=$4 limit=$5 port pn pt pe
	port=$(free_port)
	PORT[$n]=$port OK[$n]=0
	prepare "$n" "$d" "$port" "$zf" || return 1
	launch "$n" "$d" "$port" "$zf"
	PID[$n]=$LAST_PID
	read -r pn pt pe <"$cf"
	if ! wait_answer "$LAST_PID" "$port" "$pn" "$pt" "$pe" "$limit"; then
		if [ "$n" = dnsd ] && [ "$DNSD_TSIG" = 1 ] && ! is_alive "$LAST_PID"; then
			note 3 "dnsd did not start with -y $KEYNAME (TSIG key option); started it without one, so it is left out of section 3"
			DNSD_TSIG=0
			stop_server dnsd
			launch "$n" "$d" "$port" "$zf"
			PID[$n]=$LAST_PID
			wait_answer "$LAST_PID" "$port" "$pn" "$pt" "$pe" "$limit" || { echo "  $n: no correct answer to '$pn $pt' within ${limit}s; log:"; tail -n 8 "$d/out.log" | sed 's/^/    /'; stop_server "$n"; return 1; }
		else
			echo "  $n: no correct answer to '$pn $pt' within ${limit}s; log:"
			tail -n 8 "$d/out.log" | sed 's/^/    /'
			stop_server "$n"
			return 1
		fi
	fi
	pin_tree "${PID[$n]}"
	if ! check_answers "$n" "$port" "$cf"; then
		stop_server "$n"
		return 1
	fi
	OK[$n]=1
	return 0
}
