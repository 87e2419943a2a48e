# shellcheck shell=bash
# tools/bench/lib/sec3-updates.sh -- section 3: durable registrations,
# TSIG-signed RFC 2136 UPDATEs from updgen.c and from dnsd-update bench, and
# the sync calls each server makes per update (strace). Sourced by run,
# which calls section_updates.

upd_run() { # upd_run NAME MODE N C PREFIX ROUND [extra args]
	local n=$1 mode=$2 cnt=$3 c=$4 pfx=$5 round=$6 line
	shift 6
	wait_quiet
	line=$(timeout 600 taskset -c "$CPU_GEN" "$UPDGEN" -n "$cnt" -c "$c" -s "127.0.0.1@${PORT[$n]}" -y "$TSIG" -z "$ORIGIN" -p "$pfx" "$@" 2>"$TMPD/updgen.err" | tail -n 1)
	if [ -z "$line" ]; then
		note 3 "$n: updgen gave no result ($(head -n 1 "$TMPD/updgen.err"))"
		return 1
	fi
	grep -m 3 'updgen: ' "$TMPD/updgen.err" | sed "s/^/  $n: /"
	# "updates/s: X p50_ms: Y ..." -> ups=X p50_ms=Y ...
	local kv
	kv=$(sed -e 's/updates\/s:/ups:/' -e 's/\([a-z0-9_]*\): \([^ ]*\)/\1=\2/g' <<<"$line")
	echo "R sec=3 server=$n gen=updgen mode=$mode n=$cnt c=$c round=$round $kv" >>"$RAW"
	printf '  %-5s %-4s round %s: %s\n' "$n" "$mode" "$round" "$line"
}
sync_probe() { # count fsync-family calls the server makes for N updates
	local n=$1 cnt=$2 pid=${PID[$1]} sp args="" p out
	for p in $(tree_pids "$pid"); do args="$args -p $p"; done
	# shellcheck disable=SC2086
	strace -f -c -e trace=fsync,fdatasync,msync,sync_file_range,syncfs,sync $args -o "$TMPD/strace.$n" 2>/dev/null &
	sp=$!
	sleep 1
	"$UPDGEN" -n "$cnt" -c 1 -s "127.0.0.1@${PORT[$n]}" -y "$TSIG" -z "$ORIGIN" -p "sync" >/dev/null 2>&1
	sleep 1
	kill -INT "$sp" 2>/dev/null
	for p in $(seq 1 50); do is_alive "$sp" || break; sleep 0.1; done
	is_alive "$sp" && kill -KILL "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	out=$(awk '$NF ~ /^(fsync|fdatasync|msync|sync_file_range|syncfs|sync)$/ { n += $4; d = d $NF ":" $4 "," } END { printf "%d %s", n, d }' "$TMPD/strace.$n" 2>/dev/null)
	local total=${out%% *} detail=${out#* }
	[ -s "$TMPD/strace.$n" ] || { note 3 "$n: strace could not attach; sync calls not counted"; return; }
	echo "R sec=3 server=$n mode=sync n=$cnt syncs=$total per_update=$(awk -v a="$total" -v b="$cnt" 'BEGIN { printf "%.2f", a / b }') detail=${detail%,}" >>"$RAW"
	echo "  $n: $total sync calls for $cnt updates (${detail%,})"
}


section_updates() {
	echo
	UPD=""
	for s in $RUNNING; do
		case "$s" in
		dnsd) [ "$DNSD_TSIG" = 1 ] && UPD="$UPD $s" ;;
		knot | bind) UPD="$UPD $s" ;;
		esac
	done
	# PowerDNS 4.7's LMDB backend has no UPDATE: its SQLite backend stands in
	if want_server pdns; then
		if start_checked pdnssql "$TMPD/pdnssql" "$ZONE" "$CHECKS" 120; then
			UPD="$UPD pdnssql"
		else
			note 3 "PowerDNS (SQLite) left out: it did not start or answered wrongly (see above)"
		fi
	fi
	say "section 3: registrations (UPDATE: SRV + A, TSIG hmac-sha256), servers:${UPD:- none}"
	# does each one accept a signed update at all?
	UPD_OK=""
	for s in $UPD; do
		if "$UPDGEN" -n 1 -c 1 -s "127.0.0.1@${PORT[$s]}" -y "$TSIG" -z "$ORIGIN" -p probe >/dev/null 2>"$TMPD/updgen.err" &&
			[ "$(answer_of "${PORT[$s]}" "probe-0-0._bench._tcp.$ORIGIN." SRV)" = "0 0 9000 probe-0-0-h.$ORIGIN." ]; then
			UPD_OK="$UPD_OK $s"
		else
			note 3 "$s left out: a signed UPDATE was not accepted or not visible ($(head -n 1 "$TMPD/updgen.err"))"
		fi
	done
	if [ -n "$UPD_OK" ]; then
		for r in $(seq 1 "$ROUNDS"); do
			for s in $UPD_OK; do
				pin_tree "${PID[$s]}"
				upd_run "$s" seq "$N_SEQ" 1 "s$r" "$r"
				upd_run "$s" c16 "$N_CONC" 16 "c$r" "$r"
			done
		done
		for s in $UPD_OK; do
			upd_run "$s" vis "$N_VIS" 1 v 1 -V
		done
		if command -v strace >/dev/null; then
			for s in $UPD_OK; do sync_probe "$s" "$N_SYNC"; done
		fi
		if [ -x "$DNSD_UPDATE" ]; then
			for r in $(seq 1 "$ROUNDS"); do
			for s in $UPD_OK; do
				pin_tree "${PID[$s]}"
				for mode in seq c16; do
					c=1 cnt=$N_SEQ
					[ "$mode" = c16 ] && c=16 cnt=$N_CONC
					wait_quiet
					timeout 600 taskset -c "$CPU_GEN" "$DNSD_UPDATE" -s "127.0.0.1@${PORT[$s]}" -y "$TSIG" -z "$ORIGIN" \
						bench -n "$cnt" -c "$c" >"$TMPD/du.out" 2>&1
					# either "updates/s: X p50_ms: Y p99_ms: Z" or
					# "rate: X updates/s" + "latency: p50 Y ms, p99 Z ms, ..."
					kv=$(awk '
						/updates\/s:/ { for (i = 1; i < NF; i++) { k = $i; sub(/:$/, "", k); if (k == "updates/s") k = "ups"; v[k] = $(i + 1) } }
						/^rate:/ { v["ups"] = $2 }
						/^latency:/ { for (i = 2; i < NF; i++) if ($i == "p50" || $i == "p99" || $i == "max") v[$i "_ms"] = $(i + 1) }
						/^updates:/ { for (i = 2; i < NF; i++) if ($(i + 1) ~ /^failed/) v["failed"] = $i }
						END { if ("ups" in v) for (k in v) printf "%s=%s ", k, v[k] }' "$TMPD/du.out")
					if [ -n "$kv" ]; then
						echo "R sec=3 server=$s gen=dnsd-update mode=$mode n=$cnt c=$c round=$r $kv" >>"$RAW"
						printf '  %-5s %-4s round %s dnsd-update: %s\n' "$s" "$mode" "$r" "$(tr '\n' ' ' <"$TMPD/du.out")"
					else
						note 3 "$s: dnsd-update bench gave no rate ($(head -n 2 "$TMPD/du.out" | tr '\n' ' '))"
					fi
				done
			done
			done
		else
			note 3 "dnsd-update not found at $DNSD_UPDATE: measured with tools/bench/updgen.c only"
		fi
	fi
	note 3 "updates go over UDP, one request in flight per client, each adds a new SRV + A (new names); Knot: zonefile-sync -1, journal only; BIND: journal; fsync is very cheap on this machine (about 0.1 ms), so these rates are optimistic for real disks"
	note 3 "sync calls: dnsd (LMDB) also writes its meta page through an O_DSYNC descriptor after each fdatasync, a second flush per commit that strace does not count as a sync call"
	note 3 "NSD has no UPDATE; PowerDNS takes UPDATEs in its SQLite backend (pdnssql: WAL, synchronous FULL, one fdatasync per update), as its LMDB backend does only from 5.0 (Debian 12 has 4.7)"
	stop_server pdnssql
	"$HERE/report" "$RAW" 3
}
