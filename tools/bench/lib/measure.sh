# shellcheck shell=bash
# tools/bench/lib/measure.sh -- what the benchmark reads off the machine:
# the CPU time and memory of a server's process tree, how busy each CPU is
# (and waiting until both are quiet), and dnsperf_run, one dnsperf run with
# all of that around it. Sourced by run.

cpu_ticks() { # utime+stime of the process tree, in clock ticks
	local total=0 p s
	for p in $(tree_pids "$1"); do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }
		# shellcheck disable=SC2086
		set -- $s
		total=$((total + ${12} + ${13}))
	done
	echo "$total"
}
mem_kib() { # "RSS PSS" of the process tree, KiB (PSS counts shared pages once)
	local rss=0 pss=0 p v
	for p in $(tree_pids "$1"); do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		rss=$((rss + ${v:-0}))
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		pss=$((pss + ${v:-0}))
	done
	echo "$rss $pss"
}
cpu_busy() { # busy clock ticks of a CPU, or of a list "0,1" summed (everything but idle and iowait)
	awk -v l=",$1," '$1 ~ /^cpu[0-9]+$/ && index(l, "," substr($1, 4) ",") { t += $2 + $3 + $4 + $7 + $8 + $9 }
		END { print t + 0 }' /proc/stat
}
# wait_quiet: before a measurement, wait (up to 5 s, and QUIET_BUDGET seconds
# over the whole run) until both CPUs are under 15% busy for half a second:
# other work on a shared machine shows up as noise in every figure.
QUIET_BUDGET=${QUIET_BUDGET:-120}
QUIET_USED=0
wait_quiet() {
	local a0 b0 a1 b1 half
	half=$((HZ / 2))
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ "$QUIET_USED" -ge $((QUIET_BUDGET * 2)) ] && return 0
		a0=$(cpu_busy "$CPU_SRV") b0=$(cpu_busy "$CPU_GEN")
		sleep 0.5
		a1=$(cpu_busy "$CPU_SRV") b1=$(cpu_busy "$CPU_GEN")
		QUIET_USED=$((QUIET_USED + 1))
		[ $((a1 - a0)) -le $((half * 15 / 100)) ] && [ $((b1 - b0)) -le $((half * 15 / 100)) ] && return 0
	done
	return 0
}

# dnsperf_run SEC NAME PROTO DUR ROUND [QPS] -> appends an R line
# The query file is DP_DATA (default: the mixed file, queries.txt), with
# the extra dnsperf options DP_ARGS (say "-B" for a binary file, "-e" for
# EDNS); DP_MIX, when set, names the mix in the R line (mix=...), and
# DP_TAG adds free key=value pairs to it.
dnsperf_run() {
	local sec=$1 n=$2 proto=$3 dur=$4 round=$5 rate=${6:-}
	local DP_OUT="$TMPD/dnsperf.out"
	local pid=${PID[$n]} c0 c1 t0 t1 stats cpu
	if ! is_alive "$pid"; then
		note "$sec" "$n died before a $proto run; left out from here on"
		OK[$n]=0
		return 1
	fi
	pin_tree "$pid" # Knot (and others) may have re-pinned threads
	wait_quiet
	local bs0 bg0 bs1 bg1
	bs0=$(cpu_busy "$CPU_SRV") bg0=$(cpu_busy "$CPU_GEN")
	c0=$(cpu_ticks "$pid")
	t0=$(now)
	# shellcheck disable=SC2086
	timeout $((dur + 30)) taskset -c "$CPU_GEN" dnsperf -s 127.0.0.1 -p "${PORT[$n]}" -d "${DP_DATA:-$TMPD/data/queries.txt}" \
		${DP_ARGS:-} -m "$proto" -c 8 -q 200 -l "$dur" -t 2 -v ${rate:+-Q "$rate"} >"$DP_OUT" 2>&1
	t1=$(now)
	c1=$(cpu_ticks "$pid")
	bs1=$(cpu_busy "$CPU_SRV") bg1=$(cpu_busy "$CPU_GEN")
	stats=$("$HERE/dpstats" "$DP_OUT")
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.3f", (b - a) / hz }')
	local ndone wall eff util
	ndone=$(sed -n 's/.*completed=\([0-9]*\).*/\1/p' <<<"$stats")
	wall=$(fsub "$t1" "$t0")
	eff=$(awk -v q="${ndone:-0}" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", q / c; else print "-" }')
	util=$(awk -v c="$cpu" -v w="$dur" 'BEGIN { printf "%.2f", c / w }')
	# what else ran on the server's CPU (other processes, interrupts), and
	# how busy the load generator's CPU was, as fractions of the wall time
	local other genbusy
	other=$(awk -v a="$bs0" -v b="$bs1" -v c0="$c0" -v c1="$c1" -v w="$wall" -v hz="$HZ" \
		'BEGIN { o = ((b - a) - (c1 - c0)) / hz / w; if (o < 0) o = 0; printf "%.2f", o }')
	genbusy=$(awk -v a="$bg0" -v b="$bg1" -v w="$wall" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz / w }')
	echo "R sec=$sec server=$n proto=$proto round=$round dur=$dur ${rate:+rate=$rate }${DP_MIX:+mix=$DP_MIX }${DP_TAG:+$DP_TAG }cpu_s=$cpu cpu_util=$util other_srv=$other gen_busy=$genbusy qps_per_cpu=$eff wall_s=$wall $stats" >>"$RAW"
	printf '  %-5s %-3s %sround %s%s: %s\n' "$n" "$proto" "${DP_MIX:+$DP_MIX }" "$round" "${rate:+ @${rate}qps}" \
		"$(sed 's/ nlat=.*//' <<<"$stats") cpu_s=$cpu qps/cpu=$eff other@srv=$other gen_busy=$genbusy"
	case "$stats" in error=*) echo "    dnsperf said:"; tail -n 5 "$DP_OUT" | sed 's/^/    /' ;; esac
	rm -f "$DP_OUT"
}
