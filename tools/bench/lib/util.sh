# shellcheck shell=bash
# tools/bench/lib/util.sh -- small helpers every part of tools/bench/run
# uses (sourced by run; say and note need RAW, the raw results file).
#
#   say TEXT            to the terminal, and as a comment to RAW
#   note SECTION TEXT   a NOTE line in RAW, printed by report under the
#                       section's tables
#   die TEXT            stop with an error (the EXIT trap cleans up)
#   now, fsub A B       seconds since the epoch; A - B
#   free_port           a port free for UDP and TCP on 127.0.0.1

say() { echo "$*"; echo "# $*" >>"$RAW"; }
note() { # note SECTION TEXT
	local sec=$1; shift
	echo "note: $*"
	echo "NOTE sec=$sec $*" >>"$RAW"
}
die() { echo "run: $*" >&2; exit 1; }

now() { date +%s.%N; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

free_port() { # a port free for both UDP and TCP on 127.0.0.1, below the ephemeral range
	python3 - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 30000)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        t.bind(("127.0.0.1", p)); u.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        t.close(); u.close()
    print(p); break
EOF
}
