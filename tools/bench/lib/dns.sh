# shellcheck shell=bash
# tools/bench/lib/dns.sh -- asking a server and checking its answers with
# dig. Sourced by run.

# answer_of PORT NAME TYPE -> "NXDOMAIN", or the sorted rdata of TYPE records
answer_of() {
	local out status
	out=$(dig ${DIG_TCP:-+notcp} +time=1 +tries=1 +norec +noall +comments +answer @127.0.0.1 -p "$1" "$2" "$3" 2>/dev/null) || { echo "NO-ANSWER"; return; }
	status=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out" | head -n 1)
	if [ "$status" != NOERROR ]; then
		echo "${status:-NO-ANSWER}"
		return
	fi
	awk -v t="$3" '!/^;/ && NF >= 5 && $4 == t { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' <<<"$out" | sort
}
check_answers() { # check_answers NAME PORT CHECKFILE -> 0 if all answers are right
	local name=$1 port=$2 file=$3 qn qt exp got bad=0
	while read -r qn qt exp; do
		got=$(answer_of "$port" "$qn" "$qt")
		if [ "$got" != "$exp" ]; then
			echo "  $name: $qn $qt: expected '$exp', got '$(echo $got)'"
			bad=$((bad + 1))
		fi
		got=$(DIG_TCP=+tcp answer_of "$port" "$qn" "$qt")
		if [ "$got" != "$exp" ]; then
			echo "  $name: $qn $qt over TCP: expected '$exp', got '$(echo $got)'"
			bad=$((bad + 1))
		fi
	done <"$file"
	[ "$bad" = 0 ]
}
# wait_answer PID PORT NAME TYPE EXPECTED TIMEOUT_S -> 0 when answered right;
# WAITED = seconds from START_T to the right answer
wait_answer() {
	local pid=$1 port=$2 qn=$3 qt=$4 exp=$5 limit=$6 got
	local deadline
	deadline=$(awk -v a="$(now)" -v b="$limit" 'BEGIN { printf "%.0f", a + b }')
	for _ in $(seq 1 200000); do
		got=$(answer_of "$port" "$qn" "$qt")
		if [ "$got" = "$exp" ]; then
			WAITED=$(fsub "$(now)" "$START_T")
			return 0
		fi
		is_alive "$pid" || return 1
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.01
	done
	return 1
}
