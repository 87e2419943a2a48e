# shellcheck shell=bash
# tools/bench/lib/sec6-sd.sh -- section 6: service-discovery traffic. The
# query mixes of gen-zone's service-discovery section (big answers: whole
# SRV RRsets with their addresses, PTR browses, service names with every
# instance's address; EDNS on every query; with a DNS cookie; with DO on a
# share), today's mixed file as its own row, and the null responder
# (nullresp.c) as the ceiling, measured in the same rounds. Then the
# latency at 50,000 QPS on the service-discovery mix, and the same mixes
# with two workers per server on both cores, the load generator sharing
# them. Sourced by run, which calls section_sd.

# The mixes: NAME FILE DNSPERF-OPTIONS
SD_MIXES="today queries.txt -
sd-edns sd-edns.bin -B
sd-cookie sd-cookie.bin -B
sd-do sd-do.bin -B"

# sd_mix_run SEC SERVER ROUND MIX FILE OPTS [QPS]: one dnsperf run on a mix
sd_mix_run() {
	local sec=$1 s=$2 r=$3 mix=$4 file=$5 opts=$6 rate=${7:-}
	[ "$opts" = - ] && opts=""
	DP_DATA="$TMPD/data/$file" DP_ARGS="$opts" DP_MIX="$mix" DP_TAG="${SD_TAG:-}" \
		dnsperf_run "$sec" "$s" udp "$DUR" "$r" $rate
}

# the median response size dnsd gave on MIX so far (for the null responder)
sd_size_of() {
	local v
	v=$(awk -v m="mix=$1" -v t="${SD_TAG:-workers=1}" '$1 == "R" && $2 == "sec=6" && $3 == "server=dnsd" && index($0, " " m " ") && index($0, t) {
		for (i = 1; i <= NF; i++) if ($i ~ /^resp_bytes=/) { split($i, kv, "="); print kv[2] } }' "$RAW" | sort -n)
	[ -n "$v" ] || { echo 0; return; }
	sed -n "$((($(wc -l <<<"$v") + 1) / 2))p" <<<"$v"
}

# sd_rounds SERVERS: every mix, ROUNDS interleaved rounds over SERVERS and
# the null responders (started afresh for each mix with its answer size)
sd_rounds() {
	local servers=$1 r mix file opts s size
	for r in $(seq 1 "$ROUNDS"); do
		while read -r mix file opts; do
			for s in $servers; do
				[ "${OK[$s]:-0}" = 1 ] && sd_mix_run 6 "$s" "$r" "$mix" "$file" "$opts"
			done
			size=$(sd_size_of "$mix")
			[ "$size" -gt 0 ] 2>/dev/null || size=$(awk -v m="$mix" '$1 == m { print $2 }' <<<"$SD_DEFAULT_SIZES")
			for s in null null-w100; do
				if start_null "$s" "$size" "$([ "$s" = null ] && echo 0 || echo 100)"; then
					SD_TAG="${SD_TAG:-} null_size=$size" sd_mix_run 6 "$s" "$r" "$mix" "$file" "$opts"
					stop_server "$s"
				fi
			done
		done <<<"$SD_MIXES"
	done
}

# answer sizes to give the null responder when dnsd is not measured
SD_DEFAULT_SIZES="today 97
sd-edns 560
sd-cookie 590
sd-do 560"

section_sd() {
	echo
	say "section 6: service-discovery mixes, $ROUNDS round(s) x ${DUR}s, one worker, order:$RUNNING null null-w100"
	[ -s "$TMPD/data/sd-edns.bin" ] || { note 6 "no service-discovery data (gen-zone --sd-services)"; return; }
	[ -x "$NULLRESP" ] || note 6 "the null responder could not be built: no ceiling"
	SD_TAG="workers=1" sd_rounds "$RUNNING"

	# latency at a fixed offered load on the service-discovery mix
	local r s
	for r in $(seq 1 "$ROUNDS"); do
		for s in $RUNNING; do
			[ "${OK[$s]}" = 1 ] && SD_TAG="workers=1 fixed=1" sd_mix_run 6 "$s" "$r" sd-edns sd-edns.bin -B 50000
		done
	done

	# both cores: two workers per server, the load generator on both CPUs
	if [ "$NCPU" -ge 2 ]; then
		local keep_srv=$CPU_SRV keep_gen=$CPU_GEN two=""
		for s in $RUNNING; do stop_server "$s"; done
		CPU_SRV=0,1 CPU_GEN=0,1
		export WORKERS=2
		echo "  two workers per server, servers and dnsperf on CPUs 0,1:"
		for s in $RUNNING; do
			if start_checked "$s" "$TMPD/$s-2w" "$ZONE" "$CHECKS" 120; then
				two="$two $s"
			else
				note 6 "$s with two workers left out: it did not start or answered wrongly"
			fi
		done
		SD_TAG="workers=2" sd_rounds "$two"
		for s in $two; do stop_server "$s"; done
		unset WORKERS
		CPU_SRV=$keep_srv CPU_GEN=$keep_gen
		RUNNING=""
	fi
	note 6 "queries: gen-zone's service-discovery section (1,000 services of 5-20 instances); sd-edns: EDNS (1232) on every query; sd-cookie: and a client cookie (one of 64); sd-do: DO on 30%; today: section 1's file (no EDNS)"
	note 6 "null: the null responder (nullresp.c), question echoed with an OPT padded to dnsd's median answer size on the mix; null-w100: the same waiting 100 us after a batch that did not fill (as udp-coalesce); 'of null' = QPS/CPU-s over the null responder's in the same rounds"
	note 6 "workers=2: every server with two workers, servers and dnsperf unpinned on both CPUs; QPS/CPU-s counts only the server's CPU time"
	"$HERE/report" "$RAW" 6
}
