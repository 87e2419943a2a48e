# shellcheck shell=bash
# tools/bench/lib/sec1-throughput.sh -- section 1: UDP and TCP throughput,
# dnsperf on the mixed query file against every running server, in
# interleaved rounds. Sourced by run, which calls section_throughput.

section_throughput() {
	echo
	say "section 1: throughput, $ROUNDS round(s) x ${DUR}s, UDP then TCP, order:$RUNNING"
	for proto in udp tcp; do
		for r in $(seq 1 "$ROUNDS"); do
			for s in $RUNNING; do
				[ "${OK[$s]}" = 1 ] && dnsperf_run 1 "$s" "$proto" "$DUR" "$r"
			done
		done
	done
	note 1 "dnsperf -v (per-query latency, for the percentiles) runs in every measurement; it costs the load generator about 5% of its rate, the same for every server"
	note 1 "QPS/CPU-s = answered queries / server CPU seconds (utime+stime of all its processes and threads, /proc/PID/stat); dnsperf saturates near 170-260k QPS on one core here, so raw QPS of fast servers is bounded by the load generator"
	note 1 "PowerDNS answers from its packet cache (default settings): after the first pass over the query file, nearly every answer is a cache hit"
	note 1 "dnsd answers a repeated question (name in any case, type, class, RD/CD, answer size: not the ID, cookie or padding) from its per-worker answer cache (answer-cache, default 16M; any commit or lease change retires an answer): about 84% of the query file hits it"
	"$HERE/report" "$RAW" 1
}
