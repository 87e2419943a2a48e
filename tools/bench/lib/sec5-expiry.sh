# shellcheck shell=bash
# tools/bench/lib/sec5-expiry.sh -- section 5: expiry of leased
# registrations (dnsd only): the query rate while the reaper works, and the
# time until every lease is gone. Sourced by run, which calls
# section_expiry.

# leased records still stored (reaped or not yet): dnsdctl's expiry index,
# or else the records AXFR sends beyond the zone file's (AXFR includes
# expired records until the reaper removes them)
stored_leases() {
	local n
	if [ -x "$DNSDCTL" ]; then
		n=$("$DNSDCTL" -s "$1/store" stats 2>/dev/null | awk '$1 == "expiry-entries" { print $2 }')
		[ -n "$n" ] && { echo "$n"; return; }
	fi
	n=$(dig +time=5 +tries=1 +noall +answer @127.0.0.1 -p "$2" "$ORIGIN" AXFR 2>/dev/null | grep -c '_bench\._tcp\|-h\.')
	echo "$n"
}
expiry_section() {
	local d="$TMPD/s5-dnsd" port pid line t0 t1 reg_s ups first last gone_t left
	local qidle qreap dpp nx_after span
	DNSD_TSIG=1
	if ! start_checked dnsd "$d" "$ZONE" "$CHECKS" 120; then
		note 5 "dnsd did not start or answered wrongly"
		return
	fi
	[ "$DNSD_TSIG" = 1 ] || { note 5 "skipped: dnsd takes no -y key, so it cannot be sent signed UPDATEs"; stop_server dnsd; return; }
	port=${PORT[dnsd]} pid=${PID[dnsd]}
	[ -x "$DNSDCTL" ] || note 5 "no dnsdctl at $DNSDCTL: stored leases counted with AXFR (slower, coarser)"
	# query rate before
	wait_quiet
	timeout $((DUR + 30)) taskset -c "$CPU_GEN" dnsperf -s 127.0.0.1 -p "$port" -d "$TMPD/data/queries.txt" \
		-c 8 -q 200 -l "$DUR" -t 2 >"$TMPD/s5-idle.out" 2>&1
	qidle=$("$HERE/dpstats" "$TMPD/s5-idle.out" | sed -n 's/.*qps=\([0-9.]*\).*/\1/p')
	# register
	t0=$(now)
	line=$(timeout 900 taskset -c "$CPU_GEN" "$UPDGEN" -n "$EXP_N" -c 16 -L "$EXP_LEASE" -s "127.0.0.1@$port" -y "$TSIG" -z "$ORIGIN" -p e 2>"$TMPD/updgen.err" | tail -n 1)
	t1=$(now)
	reg_s=$(fsub "$t1" "$t0")
	ups=$(sed -n 's/.*updates\/s: \([0-9.]*\).*/\1/p' <<<"$line")
	echo "  registered $EXP_N in ${reg_s}s: $line"
	if [ "$(answer_of "$port" "e-0-0._bench._tcp.$ORIGIN." SRV)" != "0 0 9000 e-0-0-h.$ORIGIN." ]; then
		note 5 "a leased registration is not answered; stopped here ($(head -n 1 "$TMPD/updgen.err"))"
		stop_server dnsd
		return
	fi
	if awk -v r="$reg_s" -v l="$EXP_LEASE" 'BEGIN { exit !(r > l * 0.8) }'; then
		note 5 "registering took ${reg_s}s, close to the ${EXP_LEASE}s lease: the deadlines overlap the registration"
	fi
	echo "  stored leases: $(stored_leases "$d" "$port")"
	# deadlines: lease seconds after each acknowledgement (dnsd counts whole seconds)
	first=$(awk -v a="$t0" -v l="$EXP_LEASE" 'BEGIN { printf "%.3f", a + l }')
	last=$(awk -v a="$t1" -v l="$EXP_LEASE" 'BEGIN { printf "%.3f", a + l }')
	# wait for the first deadline (less 1 s), bounded by the lease
	while awk -v n="$(now)" -v f="$first" 'BEGIN { exit !(n < f - 1) }'; do sleep 0.2; done
	# query load over the whole reaping window
	span=$(awk -v r="$reg_s" 'BEGIN { printf "%d", r + 12 }')
	timeout $((span + 30)) taskset -c "$CPU_GEN" dnsperf -s 127.0.0.1 -p "$port" -d "$TMPD/data/queries.txt" \
		-c 8 -q 200 -l "$span" -t 2 -S 1 >"$TMPD/s5-reap.out" 2>&1 &
	dpp=$!
	gone_t="" left=""
	nx_after="-"
	local checked=0
	for _ in $(seq 1 3000); do
		left=$(stored_leases "$d" "$port")
		if [ "$checked" = 0 ] && awk -v n="$(now)" -v l="$last" 'BEGIN { exit !(n > l) }'; then
			# past the last deadline: is an expired name still answered?
			checked=1
			if [ "$(answer_of "$port" "e-0-0._bench._tcp.$ORIGIN." SRV)" = NXDOMAIN ]; then nx_after=no; else nx_after=yes; fi
		fi
		if [ "${left:-1}" = 0 ]; then
			gone_t=$(now)
			break
		fi
		is_alive "$pid" || break
		awk -v n="$(now)" -v l="$last" 'BEGIN { exit !(n > l + 300) }' && break
		sleep 0.2
	done
	wait "$dpp" 2>/dev/null
	qreap=$("$HERE/dpstats" "$TMPD/s5-reap.out" | sed -n 's/.*qps=\([0-9.]*\).*/\1/p')
	# the per-second rates (dnsperf -S 1: "TIME: QPS") between the first
	# deadline and the moment all were gone: lowest and mean
	local win
	win=$(awk -v a="$first" -v b="${gone_t:-$last}" -F': ' '/^[0-9.]+: [0-9.]+$/ && $1 >= a && $1 <= b + 1 {
		n++; s += $2; if (min == "" || $2 < min) min = $2 } END { if (n) printf "qps_min_1s=%.0f qps_mean_window=%.0f", min, s / n }' "$TMPD/s5-reap.out")
	if [ -n "$gone_t" ]; then
		[ "$checked" = 0 ] && { if [ "$(answer_of "$port" "e-0-0._bench._tcp.$ORIGIN." SRV)" = NXDOMAIN ]; then nx_after=no; else nx_after=yes; fi; }
		echo "R sec=5 server=dnsd n=$EXP_N lease=$EXP_LEASE reg_s=$reg_s ups=${ups:-?} first_to_gone_s=$(fsub "$gone_t" "$first") last_to_gone_s=$(fsub "$gone_t" "$last") left=0 qps_idle=${qidle:-} qps_reaping=${qreap:-} $win nx_after=$nx_after" >>"$RAW"
	else
		echo "R sec=5 server=dnsd n=$EXP_N lease=$EXP_LEASE reg_s=$reg_s ups=${ups:-?} first_to_gone_s=- last_to_gone_s=- left=${left:-?} qps_idle=${qidle:-} qps_reaping=${qreap:-} nx_after=$nx_after" >>"$RAW"
		note 5 "leased records were still stored 300 s after the last deadline (or dnsd died)"
	fi
	note 5 "deadline = acknowledgement + lease (first: first update sent; last: last update acknowledged; dnsd keeps deadlines in whole seconds, so these are +-1 s and 'last deadline->gone' can be slightly negative); gone = no lease left in the store (dnsdctl stats expiry-entries, polled every ~0.2 s); QPS reaping = dnsperf from 1 s before the first deadline for the registration time + 12 s, with its lowest and mean 1-s rate between the first deadline and all gone; 'answered after' = an expired name still answered after its deadline"
	stop_server dnsd
}

section_expiry() {
	echo
	say "section 5: expiry (dnsd only): $EXP_N registrations with a ${EXP_LEASE}s lease"
	if ! want_server dnsd || [ ! -x "$DNSD" ]; then
		note 5 "skipped: no dnsd binary"
	else
		expiry_section
	fi
	"$HERE/report" "$RAW" 5
}
