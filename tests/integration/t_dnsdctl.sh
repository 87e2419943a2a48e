#!/bin/bash
# t_dnsdctl.sh -- dnsdctl(8) against a real dnsd and its store: zones and
# serials agree with dig SOA; dump --axfr (and dump while no lease has run
# out) equals dig AXFR after normalising; an nsupdate registration under the
# zone's default-lease shows in zones, leases, dump --dynamic and the
# journal; with dnsd stopped, a lease that ran out before the reaper saw it
# is left out of dump, marked by dump --all and kept by dump --axfr; errors
# exit non-zero with one line; check, resolver and doctor print what they
# should.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_update.sh"

need_tool dig
need_tool nsupdate

CTL=${DNSDCTL:-$BUILDDIR/tools/dnsdctl}
[ -x "$CTL" ] || hard_error "no dnsdctl binary at $CTL (build first)"

SVC=svc.example.test
EX=example.test
PLAIN=plain.test # no allow-transfer: no journal
SECRET=$(new_secret 32)
KEY="hmac-sha256:ctl-key:$SECRET"
CONF=$WORK/dnsd.conf
cat >"$CONF" <<EOF
zone "$SVC" { file "$ZONES/$SVC.zone"; default-lease 30; allow-transfer 127.0.0.1; }
zone "$EX" { file "$ZONES/$EX.zone"; default-lease 4; allow-transfer 127.0.0.1; }
zone "$PLAIN" { }
EOF

# ctl ARGS...: run dnsdctl on the test store; CTL_OUT, CTL_ERR, CTL_RC.
ctl() {
	CTL_OUT=$("$CTL" -c "$CONF" -s "$STORE" "$@" 2>"$WORK/ctl.err")
	CTL_RC=$?
	CTL_ERR=$(cat "$WORK/ctl.err")
}

# ctl_ok WHAT ARGS...: dnsdctl must succeed.
ctl_ok() {
	local what=$1
	shift
	ctl "$@"
	if [ "$CTL_RC" != 0 ]; then
		echo "    | $CTL_ERR" >&2
		fail "$what: dnsdctl $* exited $CTL_RC"
	fi
}

show_ctl() {
	sed 's/^/    | /' <<<"$CTL_OUT" >&2
	[ -z "$CTL_ERR" ] || sed 's/^/    ! /' <<<"$CTL_ERR" >&2
}

# The records of a zone-file-like text, for comparison: without comments
# and blank lines, whitespace squeezed, RFC 3597 hex in lower case (dig
# prints upper, ldns lower), sorted.
norm_sort() {
	sed -e 's/[[:space:]]*;.*$//' -e '/^[[:space:]]*$/d' | tr -s ' \t' '  ' |
		sed -E 's/(\\# [0-9]+ )(.*)$/\1\L\2/' | sort
}

# axfr ZONE: dig's AXFR with one SOA, as dnsdctl dump prints it.
axfr() {
	dig @127.0.0.1 -p "$PORT" +time=3 +tries=1 "$1" AXFR +onesoa +nocomments +nostats 2>&1
}

# same_zone WHAT FILE_A FILE_B: equal after normalising (both ways).
same_zone() {
	local what=$1 a=$2 b=$3
	# Two empty or failed outputs would compare equal: both must hold records.
	[ -n "$(norm_sort <"$a")" ] || { sed 's/^/    | /' "$a" >&2; fail "$what: no records in $a"; }
	[ -n "$(norm_sort <"$b")" ] || { sed 's/^/    | /' "$b" >&2; fail "$what: no records in $b"; }
	if ! diff <(norm_sort <"$a") <(norm_sort <"$b") >"$WORK/diff" 2>&1; then
		sed 's/^/    | /' "$WORK/diff" >&2
		fail "$what: differs (sorted)"
	fi
	if command -v ldns-read-zone >/dev/null 2>&1; then
		if ! diff <(ldns-read-zone -z "$a" 2>&1) <(ldns-read-zone -z "$b" 2>&1) >"$WORK/diff"; then
			sed 's/^/    | /' "$WORK/diff" >&2
			fail "$what: differs (ldns-read-zone)"
		fi
	fi
	ok "$what"
}

# zones_field ZONE COLUMN: one column of `dnsdctl zones` for ZONE.
zones_field() {
	awk -v z="$1." -v c="$2" 'NR > 1 && $1 == z { print $c }' <<<"$CTL_OUT"
}

start_dnsd -c "$CONF" -y "$KEY" || hard_error "dnsd did not start"

# ---- check ---------------------------------------------------------------------
note "check"
ctl_ok "check" check
grep -q "configuration OK: 3 zones" <<<"$CTL_OUT" || { show_ctl; fail "check: no OK line"; }
ok "check: configuration OK: 2 zones"
printf 'zone "bad.test" { file "%s/missing.zone" }\n' "$WORK" >"$WORK/bad.conf"
"$CTL" check -c "$WORK/bad.conf" >/dev/null 2>"$WORK/ctl.err" && fail "check accepted a missing zone file"
grep -q "missing.zone" "$WORK/ctl.err" || { cat "$WORK/ctl.err" >&2; fail "check: error does not name the file"; }
ok "check: a missing zone file is an error that names it"

# ---- zones ---------------------------------------------------------------------
note "zones"
ctl_ok "zones" zones
for z in $SVC $EX; do
	want=$(soa_serial "$z")
	[ -n "$want" ] || hard_error "no SOA serial for $z from dig"
	got=$(zones_field "$z" 3)
	[ "$got" = "$want" ] || { show_ctl; fail "zones: $z serial '$got', dig SOA says $want"; }
	ok "zones: $z serial $got matches dig SOA"
done
[ "$(zones_field $SVC 5)" = 0 ] || { show_ctl; fail "zones: dynamic records before any update"; }
ok "zones: no dynamic records yet"
nodes=$(zones_field $SVC 4)
[ "$nodes" -ge 10 ] 2>/dev/null || { show_ctl; fail "zones: $SVC has '$nodes' nodes"; }
ok "zones: $SVC has $nodes nodes"

# ---- dump against AXFR ---------------------------------------------------------
note "dump --axfr and dump equal dig AXFR"
for z in $SVC $EX; do
	axfr "$z" >"$WORK/axfr.$z"
	grep -q "IN[[:space:]]*SOA" "$WORK/axfr.$z" || { cat "$WORK/axfr.$z" >&2; hard_error "AXFR of $z failed"; }
	ctl_ok "dump --axfr $z" dump --axfr "$z"
	printf '%s\n' "$CTL_OUT" >"$WORK/dump.$z"
	head -n 1 "$WORK/dump.$z" | grep -q "IN[[:space:]]SOA" || { show_ctl; fail "dump --axfr $z: SOA is not first"; }
	same_zone "dump --axfr $z equals dig AXFR" "$WORK/axfr.$z" "$WORK/dump.$z"
	ctl_ok "dump $z" dump "$z"
	printf '%s\n' "$CTL_OUT" >"$WORK/dump.live.$z"
	same_zone "dump $z (no leases yet) equals dig AXFR" "$WORK/axfr.$z" "$WORK/dump.live.$z"
done
grep -q 'TYPE65280' "$WORK/dump.$EX" || fail "dump: the unknown type is missing"
ok "dump: unknown type printed in RFC 3597 form"

# ---- a registration ------------------------------------------------------------
note "nsupdate registration under default-lease 30"
before=$(soa_serial $SVC)
nsup -y "$KEY" <<EOF
update add reg-1.$SVC 60 A 10.7.7.7
update add reg-1.$SVC 60 TXT "v=1"
EOF
expect_update NOERROR "nsupdate add reg-1"
after=$(soa_serial $SVC)
[ -n "$after" ] && [ "$after" != "$before" ] || fail "serial did not change ($before -> $after)"

ctl_ok "zones" zones
[ "$(zones_field $SVC 3)" = "$after" ] || { show_ctl; fail "zones: serial is not $after"; }
ok "zones: serial $after after the update"
[ "$(zones_field $SVC 5)" = 2 ] || { show_ctl; fail "zones: expected 2 dynamic records"; }
ok "zones: 2 dynamic records"
in=$(zones_field $SVC 7)
in=${in%s}
[ "$in" -ge 1 ] 2>/dev/null && [ "$in" -le 31 ] || { show_ctl; fail "zones: next lease in '$in' s"; }
ok "zones: next lease in ${in}s"

ctl_ok "leases" leases
line=$(grep " reg-1\.$SVC\.\$" <<<"$CTL_OUT")
[ -n "$line" ] || { show_ctl; fail "leases: reg-1 missing"; }
in=$(awk '{ sub(/s$/, "", $2); print $2 }' <<<"$line")
[ "$in" -ge 1 ] 2>/dev/null && [ "$in" -le 31 ] || { show_ctl; fail "leases: reg-1 in '$in' s"; }
grep -qE '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z ' <<<"$line" || { show_ctl; fail "leases: no UTC deadline"; }
ok "leases: reg-1.$SVC. expires in ${in}s"
ctl_ok "leases $EX" leases $EX
grep -q "reg-1" <<<"$CTL_OUT" && { show_ctl; fail "leases $EX shows a record of $SVC"; }
ok "leases ZONE: filtered by zone"

ctl_ok "dump --dynamic" dump --dynamic $SVC
n=$(grep -c . <<<"$CTL_OUT")
[ "$n" = 2 ] || { show_ctl; fail "dump --dynamic: $n lines, expected 2"; }
grep -qE "^reg-1\.$SVC\.[[:space:]]+60[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.7\.7\.7[[:space:]]+; lease ([1-9]|[12][0-9]|3[01])s$" <<<"$CTL_OUT" ||
	{ show_ctl; fail "dump --dynamic: no A record with its lease"; }
grep -qE "^reg-1\.$SVC\.[[:space:]]+60[[:space:]]+IN[[:space:]]+TXT[[:space:]]+\"v=1\"[[:space:]]+; lease" <<<"$CTL_OUT" ||
	{ show_ctl; fail "dump --dynamic: no TXT record with its lease"; }
ok "dump --dynamic: the two records with their lease"
ctl_ok "dump --static" dump --static $SVC
grep -q "reg-1" <<<"$CTL_OUT" && { show_ctl; fail "dump --static shows a dynamic record"; }
head -n 1 <<<"$CTL_OUT" | grep -q "IN[[:space:]]SOA[[:space:]].* $after " || { show_ctl; fail "dump --static: SOA with serial $after is not first"; }
ok "dump --static: SOA first, no dynamic records"

axfr $SVC >"$WORK/axfr2"
ctl_ok "dump --axfr" dump --axfr $SVC
printf '%s\n' "$CTL_OUT" >"$WORK/dump2"
grep -q "^reg-1" "$WORK/dump2" || fail "dump --axfr: reg-1 missing"
same_zone "dump --axfr equals dig AXFR after the update" "$WORK/axfr2" "$WORK/dump2"
ctl_ok "dump" dump $SVC
printf '%s\n' "$CTL_OUT" >"$WORK/dump3"
same_zone "dump equals dig AXFR after the update" "$WORK/axfr2" "$WORK/dump3"

note "journal"
ctl_ok "journal" journal $SVC
entries=$(awk 'NR > 1' <<<"$CTL_OUT")
[ "$(grep -c . <<<"$entries")" = 1 ] || { show_ctl; fail "journal: expected one entry"; }
read -r _ from to removed added <<<"$entries"
[ "$from" = "$before" ] && [ "$to" = "$after" ] && [ "$removed" = 0 ] && [ "$added" = 2 ] ||
	{ show_ctl; fail "journal: expected $before -> $after, 0 removed, 2 added"; }
ok "journal: one entry $before -> $after, 0 removed, 2 added"
ctl_ok "journal -v" journal -v $SVC
grep -qE "^  \+ reg-1\.$SVC\.[[:space:]]+60[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.7\.7\.7$" <<<"$CTL_OUT" ||
	{ show_ctl; fail "journal -v: the added A record is missing"; }
ok "journal -v: lists the added records"
nsup -y "$KEY" <<EOF
zone $PLAIN
update add reg-2.$PLAIN 60 A 10.7.7.8
EOF
expect_update NOERROR "nsupdate add reg-2.$PLAIN"
ctl_ok "journal $PLAIN" journal $PLAIN
[ "$(awk 'NR > 1' <<<"$CTL_OUT" | grep -c .)" = 0 ] ||
	{ show_ctl; fail "journal $PLAIN: a zone without allow-transfer keeps no journal"; }
ok "journal $PLAIN: no entries for a zone no one may transfer"

note "stats"
ctl_ok "stats" stats
for k in zones nodes expiry-entries journal-entries map-used map-size; do
	grep -qE "^$k +[0-9]+" <<<"$CTL_OUT" || { show_ctl; fail "stats: no $k"; }
done
[ "$(awk '$1 == "zones" { print $2 }' <<<"$CTL_OUT")" = 3 ] || { show_ctl; fail "stats: zones != 3"; }
[ "$(awk '$1 == "expiry-entries" { print $2 }' <<<"$CTL_OUT")" -ge 1 ] || { show_ctl; fail "stats: no expiry entry"; }
ok "stats: counts and map usage"

# ---- errors --------------------------------------------------------------------
note "errors"
ctl dump nope.test
[ "$CTL_RC" = 1 ] || fail "dump nope.test exited $CTL_RC, expected 1"
[ "$CTL_ERR" = "dnsdctl: zone nope.test: not in the store" ] || { show_ctl; fail "dump nope.test: message"; }
ok "dump of an unknown zone: exit 1, one line"
ctl journal nope.test
[ "$CTL_RC" = 1 ] && [ "$(grep -c . <<<"$CTL_ERR")" = 1 ] || { show_ctl; fail "journal nope.test"; }
ok "journal of an unknown zone: exit 1"
ctl dump 'bad..name'
[ "$CTL_RC" = 2 ] || { show_ctl; fail "dump of a malformed name exited $CTL_RC, expected 2"; }
ok "dump of a malformed name: exit 2"
for args in "frobnicate" "dump" "zones extra" "dump --axfr --dynamic $SVC" "stats --all"; do
	# shellcheck disable=SC2086
	ctl $args
	[ "$CTL_RC" = 2 ] || { show_ctl; fail "dnsdctl $args exited $CTL_RC, expected 2"; }
done
ok "usage errors exit 2"
"$CTL" zones -s "$WORK/nostore" >/dev/null 2>&1 && fail "zones on a missing store succeeded"
[ -e "$WORK/nostore" ] && fail "dnsdctl created a store"
ok "a missing store is an error and is not created"

# ---- resolver snippets -----------------------------------------------------------
note "resolver"
out=$("$CTL" resolver dnsmasq --zone $SVC --server 127.0.0.1@5300) || fail "resolver dnsmasq failed"
grep -qx "server=/$SVC/127.0.0.1#5300" <<<"$out" || { echo "$out" >&2; fail "resolver dnsmasq"; }
ok "resolver dnsmasq: server=/$SVC/127.0.0.1#5300"
out=$("$CTL" -c "$CONF" resolver systemd-resolved --server "127.0.0.1@$PORT") || fail "resolver systemd-resolved failed"
grep -qx '\[Resolve\]' <<<"$out" && grep -qx "DNS=127.0.0.1:$PORT" <<<"$out" &&
	grep -qx "Domains=~$SVC" <<<"$out" || { echo "$out" >&2; fail "resolver systemd-resolved"; }
ok "resolver systemd-resolved: DNS=127.0.0.1:$PORT, Domains=~$SVC (first zone of -c)"
out=$("$CTL" resolver resolv.conf --zone $SVC --server 127.0.0.1@5300) || fail "resolver resolv.conf failed"
grep -qx "nameserver 127.0.0.1" <<<"$out" && grep -qx "search $SVC" <<<"$out" &&
	grep -qx "options ndots:1" <<<"$out" && grep -q "^#.*port 53" <<<"$out" ||
	{ echo "$out" >&2; fail "resolver resolv.conf"; }
ok "resolver resolv.conf: nameserver, search, ndots and the port-53 note"
out=$("$CTL" resolver resolv.conf --zone $SVC --server 127.0.0.1@53) || fail "resolver resolv.conf failed"
grep -q "port 53" <<<"$out" && { echo "$out" >&2; fail "resolver resolv.conf: port note with port 53"; }
ok "resolver resolv.conf: no port note on port 53"
"$CTL" resolver bind9 --zone $SVC >/dev/null 2>&1
[ $? = 2 ] || fail "resolver with an unknown kind did not exit 2"
ok "resolver: unknown kind exits 2"

# ---- doctor ---------------------------------------------------------------------
# getaddrinfo uses the system's resolv.conf, which cannot reach a test port:
# the system path must be reported broken, with the reasons found in the
# resolv.conf given here.
note "doctor"
printf 'nameserver 127.0.0.1\nsearch other.test %s\noptions ndots:2\n' "$SVC" >"$WORK/resolv.conf"
out=$("$CTL" -c "$CONF" doctor web-1 --server "127.0.0.1@$PORT" --resolv-conf "$WORK/resolv.conf" 2>&1)
rc=$?
[ "$rc" = 1 ] || { echo "$out" >&2; fail "doctor exited $rc, expected 1"; }
grep -qE "^direct: +web-1\.$SVC -> 10\.0\.0\.5 2001:db8::5$" <<<"$out" || { echo "$out" >&2; fail "doctor: direct answer"; }
grep -q "^problem: .*port $PORT.*port 53" <<<"$out" || { echo "$out" >&2; fail "doctor: port problem"; }
grep -q "^problem: glibc asks for web-1.other.test before web-1.$SVC" <<<"$out" || { echo "$out" >&2; fail "doctor: search/ndots problem"; }
grep -q "^problem: getaddrinfo(web-1)" <<<"$out" || { echo "$out" >&2; fail "doctor: getaddrinfo problem"; }
ok "doctor: exit 1, direct answer, port, search/ndots and getaddrinfo problems"

# ---- a lease that ran out while nobody reaped it ----------------------------------
note "expired but not reaped (dnsd stopped)"
nsup -y "$KEY" <<EOF
zone $EX
update add tmp.$EX 60 A 10.8.8.8
EOF
expect_update NOERROR "nsupdate add tmp.$EX (lease 4)"
stop_dnsd
ctl_ok "dump --axfr (stopped)" dump --axfr $EX
grep -q "^tmp\.$EX\." <<<"$CTL_OUT" || { show_ctl; hard_error "tmp.$EX was reaped before dnsd stopped"; }
SECONDS=0
until ctl dump --dynamic --all $EX; grep -q '; expired$' <<<"$CTL_OUT"; do
	[ "$SECONDS" -le 10 ] || { show_ctl; fail "tmp.$EX never shown as expired"; }
	sleep 0.5
done
grep -qE "^tmp\.$EX\.[[:space:]]+60[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.8\.8\.8[[:space:]]+; expired$" <<<"$CTL_OUT" ||
	{ show_ctl; fail "dump --dynamic --all: tmp not marked expired"; }
ok "dump --dynamic --all: marks the expired record"
ctl_ok "dump --dynamic" dump --dynamic $EX
[ -z "$CTL_OUT" ] || { show_ctl; fail "dump --dynamic shows an expired record"; }
ok "dump --dynamic: leaves it out"
ctl_ok "dump" dump $EX
grep -q "^tmp\." <<<"$CTL_OUT" && { show_ctl; fail "dump shows an expired record"; }
ok "dump: leaves it out"
ctl_ok "dump --all" dump --all $EX
grep -qE "^tmp\.$EX\..*; expired$" <<<"$CTL_OUT" || { show_ctl; fail "dump --all: not marked"; }
ok "dump --all: marks it"
ctl_ok "dump --axfr" dump --axfr $EX
grep -qE "^tmp\.$EX\.[[:space:]]+60[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.8\.8\.8$" <<<"$CTL_OUT" ||
	{ show_ctl; fail "dump --axfr: the expired record (as AXFR sends it) is missing"; }
ok "dump --axfr: keeps it, without comments"
ctl_ok "leases" leases $EX
grep -qE "tmp\.$EX\. +; expired, awaiting the reaper$" <<<"$CTL_OUT" || { show_ctl; fail "leases: not marked expired"; }
ok "leases: marks it as awaiting the reaper"

done_ok
