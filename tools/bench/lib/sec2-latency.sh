# shellcheck shell=bash
# tools/bench/lib/sec2-latency.sh -- section 2: latency at a fixed offered
# load (dnsperf -Q 5000 and -Q 50000). Sourced by run, which calls
# section_latency.

section_latency() {
	echo
	say "section 2: latency at fixed load, UDP, 5000 and 50000 QPS, $ROUNDS round(s) x ${DUR2}s"
	for rate in 5000 50000; do
		for r in $(seq 1 "$ROUNDS"); do
			for s in $RUNNING; do
				[ "${OK[$s]}" = 1 ] && dnsperf_run 2 "$s" udp "$DUR2" "$r" "$rate"
			done
		done
	done
	note 2 "percentiles from dnsperf -v per-query latencies (all queries of the run, including the first 200 in flight)"
	"$HERE/report" "$RAW" 2
}
