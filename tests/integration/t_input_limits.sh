#!/bin/bash
# t_input_limits.sh -- zone and configuration input is bounded (issue 17):
# only regular files are read ($INCLUDE /dev/zero read 4 GB in 6 s), a
# line or a record over 64 KiB is an error with file:line (ldns cut it
# silently), and a configuration error never copies a line of an included
# file into the log (an include of a password file logged its hash).
. "$(dirname "$0")/lib.sh"
need_dnsd

head_zone() {
	printf '$ORIGIN t.test.\n$TTL 60\n@ SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n'
}

# check_zone NAME EXPECT_RC PATTERN: dnsd -n on zone file NAME (in $WORK)
# exits EXPECT_RC (0 or 1) within 10 s and logs PATTERN.
check_zone() {
	local name=$1 want=$2 pat=$3 rc
	rm -rf "$WORK/st"
	SECONDS=0
	timeout 20 "$DNSD" -n -s "$WORK/st" -z "t.test:$WORK/$name" >"$WORK/$name.log" 2>&1
	rc=$?
	if [ "$rc" = "$want" ] && [ "$SECONDS" -le 10 ] && grep -qE -- "$pat" "$WORK/$name.log"; then
		ok "$name: exit $rc in ${SECONDS}s, logged '$pat'"
	else
		sed 's/^/    | /' "$WORK/$name.log" | head -5 >&2
		not_ok "$name: exit $rc (want $want) in ${SECONDS}s, or no '$pat' in the log"
	fi
}

{ head_zone; echo '$INCLUDE /dev/zero'; } >"$WORK/devzero.zone"
check_zone devzero.zone 1 'devzero.zone:6: \$INCLUDE: /dev/zero: not a regular file'

mkfifo "$WORK/fifo"
{ head_zone; echo "\$INCLUDE $WORK/fifo"; } >"$WORK/fifo.zone"
check_zone fifo.zone 1 'fifo.zone:6: \$INCLUDE: .*fifo: not a regular file'

"$PYTHON" - "$WORK" <<'PY'
import sys
w = sys.argv[1]
head = "$ORIGIN t.test.\n$TTL 60\n@ SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n"
# one physical line over 64 KiB
open(w + "/longline.zone", "w").write(head + 'big TXT "' + "a" * 250 + '" ; ' + "x" * 70000 + "\nok A 10.0.0.1\n")
# one record joined by parentheses over 64 KiB: ldns kept its first 64 KiB
parts = "\n".join('  "%s"' % ("c" * 250) for _ in range(270))
open(w + "/longrec.zone", "w").write(head + "big TXT (\n" + parts + " )\nok A 10.0.0.1\n")
# the same under the bound is fine
parts = "\n".join('  "%s"' % ("c" * 250) for _ in range(200))
open(w + "/bigrec.zone", "w").write(head + "big TXT (\n" + parts + " )\nok A 10.0.0.1\n")
PY
check_zone longline.zone 1 'longline.zone:6: line longer than 65535 bytes'
check_zone longrec.zone 1 'longrec.zone:6: record longer than'
check_zone bigrec.zone 0 'bigrec.zone: 5 records'

# ---- configuration ----
printf 'root:$6$s3cr3tsalt$Hash0fTheRootPassw0rd:19000:0:99999:7:::\n' >"$WORK/shadow"
printf 'workers 1\ninclude "%s"\nzone "t.test" { }\n' "$WORK/shadow" >"$WORK/inc.conf"
"$DNSD" -n -c "$WORK/inc.conf" >"$WORK/inc.log" 2>&1
rc=$?
if [ "$rc" != 0 ] && grep -q 'shadow:1: unknown setting' "$WORK/inc.log" &&
   ! grep -qE 's3cr3t|Hash0f|root:' "$WORK/inc.log"; then
	ok "include of a password file: refused, and no part of its line logged"
else
	sed 's/^/    | /' "$WORK/inc.log" >&2
	not_ok "include of a password file: rc $rc, or its line was logged"
fi

printf 'include "/dev/zero"\n' >"$WORK/zero.conf"
SECONDS=0
timeout 20 "$DNSD" -n -c "$WORK/zero.conf" >"$WORK/zero.log" 2>&1
rc=$?
if [ "$rc" = 1 ] && [ "$SECONDS" -le 5 ] && grep -q '/dev/zero: not a regular file' "$WORK/zero.log"; then
	ok "include \"/dev/zero\": refused at once"
else
	not_ok "include \"/dev/zero\": rc $rc after ${SECONDS}s"
fi

printf 'key "k" { algorithm hmac-sha256; secret "c2VjcmV0"; }\nsupersecretword;\n' >"$WORK/keys"
"$DNSD" -n -k "$WORK/keys" -z t.test >"$WORK/keys.log" 2>&1
rc=$?
if [ "$rc" != 0 ] && ! grep -q supersecretword "$WORK/keys.log"; then
	ok "a key file with a stray word: refused without echoing it"
else
	sed 's/^/    | /' "$WORK/keys.log" >&2
	not_ok "a key file with a stray word: rc $rc or the word was logged"
fi

# The main configuration still names its own typos.
printf 'wrokers 2\nzone "t.test" { }\n' >"$WORK/typo.conf"
"$DNSD" -n -c "$WORK/typo.conf" >"$WORK/typo.log" 2>&1
grep -q 'typo.conf:1: wrokers: unknown setting' "$WORK/typo.log" &&
	ok "a typo in the configuration file itself is shown" ||
	not_ok "a typo in the configuration file itself is not shown"

done_ok
