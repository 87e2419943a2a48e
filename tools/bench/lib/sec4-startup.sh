# shellcheck shell=bash
# tools/bench/lib/sec4-startup.sh -- section 4: start-up with a big zone:
# time to the first correct answer, memory and disk (and dnsd's restart on
# its store). Sourced by run, which calls section_startup.

section_startup() {
	echo
	say "section 4: start-up with $BIG_RECORDS records"
	"$HERE/gen-zone" --out "$TMPD/big" --origin "$ORIGIN" --services 1000 --records "$BIG_RECORDS" --queries 0 >/dev/null ||
		die "gen-zone (big) failed"
	read -r pn pt pe <"$TMPD/big/probe.txt"
	for s in $SERVERS; do
		d="$TMPD/s4-$s"
		port=$(free_port)
		PORT[$s]=$port
		if ! prepare "$s" "$d" "$port" "$TMPD/big/$ORIGIN.zone"; then
			note 4 "$s: preparation failed"
			continue
		fi
		phases=start
		[ "$s" = dnsd ] && phases="start restart"
		for ph in $phases; do
			# a poller that is already asking when the server starts times
			# the first answer to the millisecond; dig then checks it
			"$HERE/first-answer" "$port" "$pn" "$pt" 900 >"$TMPD/fa.out" 2>/dev/null &
			fa=$!
			sleep 0.3
			launch "$s" "$d" "$port" "$TMPD/big/$ORIGIN.zone"
			PID[$s]=$LAST_PID
			while is_alive "$fa"; do
				is_alive "$LAST_PID" || { kill "$fa" 2>/dev/null; break; }
				sleep 0.01
			done
			st=""
			if wait "$fa" 2>/dev/null && [ -s "$TMPD/fa.out" ] && [ "$(answer_of "$port" "$pn" "$pt")" = "$pe" ]; then
				st=$(fsub "$(cat "$TMPD/fa.out")" "$START_T")
			elif wait_answer "$LAST_PID" "$port" "$pn" "$pt" "$pe" 900; then
				st=$WAITED
			fi
			if [ -n "$st" ]; then
				sleep 2
				read -r rss pss <<<"$(mem_kib "$LAST_PID")"
				disk=$(du -sm --exclude="$ORIGIN.zone" "$d" | awk '{print $1}')
				echo "R sec=4 server=$s phase=$ph records=$BIG_RECORDS ${IMPORT_S:+import_s=$IMPORT_S }start_s=$st rss_mib=$((rss / 1024)) pss_mib=$((pss / 1024)) disk_mib=$disk" >>"$RAW"
				echo "  $s $ph: ${IMPORT_S:+import ${IMPORT_S}s, }first correct answer after ${st}s, RSS $((rss / 1024)) MiB, PSS $((pss / 1024)) MiB, folder $disk MiB"
			else
				note 4 "$s $ph: no correct answer for $pn $pt within 900 s"
				tail -n 5 "$d/out.log" | sed 's/^/    /'
			fi
			stop_server "$s"
			IMPORT_S=""
		done
	done
	note 4 "start->answer: from launching the process to the first correct answer for the last record of the zone file (tools/bench/first-answer asks over UDP every millisecond from before the launch; dig then checks the answer); memory 2 s after that; PSS counts pages shared between a server's processes once (NSD forks)"
	note 4 "PowerDNS: 'import s' is pdnsutil load-zone into LMDB, before the start; dnsd restart = same command line on the existing store"
	"$HERE/report" "$RAW" 4
}
