# shellcheck shell=bash
# tools/bench/lib/configs.sh -- one configuration per server under test.
# Sourced by run.
#
# prepare NAME DIR PORT ZONEFILE writes NAME's configuration into DIR (and
# imports the data, for PowerDNS, setting IMPORT_S); lib/servers.sh's
# launch then starts it. NAME: dnsd, nsd, knot, bind, pdns (LMDB backend),
# pdnssql (SQLite backend, for section 3), null (the null responder of
# section 6, which needs no configuration). WORKERS (default 1) is the
# number of UDP workers (threads, or NSD's processes) each server gets.

prepare() {
	local n=$1 d=$2 port=$3 zf=$4
	mkdir -p "$d"
	IMPORT_S=""
	case "$n" in
	nsd)
		cat >"$d/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$port
  server-count: ${WORKERS:-1}
  username: ""
  chroot: ""
  zonesdir: "$d"
  database: ""
  zonelistfile: "$d/zone.list"
  xfrdfile: "$d/xfrd.state"
  xfrdir: "$d"
  pidfile: "$d/nsd.pid"
  verbosity: 0
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: $ORIGIN
  zonefile: "$zf"
EOF
		;;
	knot)
		mkdir -p "$d/db" # Knot does not create it, and UPDATE fails without it
		cp "$zf" "$d/$ORIGIN.zone"
		cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d"
    listen: 127.0.0.1@$port
    udp-workers: ${WORKERS:-1}
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: "$d/db"
key:
  - id: $KEYNAME
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: upd
    key: $KEYNAME
    action: update
template:
  - id: default
    storage: "$d"
    zonefile-sync: -1
    journal-content: changes
zone:
  - domain: $ORIGIN
    file: "$d/$ORIGIN.zone"
    acl: upd
EOF
		;;
	bind)
		cp "$zf" "$d/$ORIGIN.zone"
		local limits="max-records-per-type 0;
    max-types-per-name 0;"
		for _ in 1 2; do
			cat >"$d/named.conf" <<EOF
options {
    directory "$d";
    pid-file "$d/named.pid";
    session-keyfile "$d/session.key";
    listen-on port $port { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    notify no;
    dnssec-validation no;
    $limits
};
controls { };
key "$KEYNAME" { algorithm hmac-sha256; secret "$SECRET"; };
zone "$ORIGIN" {
    type primary;
    file "$d/$ORIGIN.zone";
    allow-update { key $KEYNAME; };
};
EOF
			# BIND before 9.18.28 has no max-records-per-type: drop it there
			named-checkconf "$d/named.conf" >/dev/null 2>&1 && break
			limits=""
		done
		;;
	pdns)
		cat >"$d/pdns.conf" <<EOF
launch=lmdb
lmdb-filename=$d/pdns.lmdb
lmdb-shards=1
local-address=127.0.0.1
local-port=$port
receiver-threads=${WORKERS:-1}
distributor-threads=1
daemon=no
guardian=no
disable-syslog=yes
socket-dir=$d
write-pid=no
loglevel=3
webserver=no
api=no
security-poll-suffix=
EOF
		local t0
		t0=$(now)
		if ! pdnsutil --config-dir="$d" load-zone "$ORIGIN" "$zf" >"$d/import.log" 2>&1; then
			echo "  pdns: pdnsutil load-zone failed:"; tail -n 5 "$d/import.log" | sed 's/^/    /'
			return 1
		fi
		IMPORT_S=$(fsub "$(now)" "$t0")
		;;
	pdnssql)
		# PowerDNS for section 3: the same server with its SQLite backend
		# (journal_mode WAL, synchronous FULL: one fdatasync per UPDATE)
		local schema=/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql
		[ -r "$schema" ] || schema=/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql
		if ! sqlite3 "$d/pdns.sqlite3" <"$schema" 2>"$d/import.log"; then
			echo "  pdnssql: cannot create the SQLite database:"; tail -n 3 "$d/import.log" | sed 's/^/    /'
			return 1
		fi
		cat >"$d/pdns.conf" <<EOF
launch=gsqlite3
gsqlite3-database=$d/pdns.sqlite3
local-address=127.0.0.1
local-port=$port
receiver-threads=${WORKERS:-1}
distributor-threads=1
daemon=no
guardian=no
disable-syslog=yes
socket-dir=$d
write-pid=no
loglevel=3
webserver=no
api=no
security-poll-suffix=
dnsupdate=yes
allow-dnsupdate-from=127.0.0.0/8
EOF
		if ! { pdnsutil --config-dir="$d" load-zone "$ORIGIN" "$zf" &&
			pdnsutil --config-dir="$d" import-tsig-key "$KEYNAME" hmac-sha256 "$SECRET" &&
			pdnsutil --config-dir="$d" set-meta "$ORIGIN" TSIG-ALLOW-DNSUPDATE "$KEYNAME"; } >"$d/import.log" 2>&1; then
			echo "  pdnssql: pdnsutil failed:"; tail -n 5 "$d/import.log" | sed 's/^/    /'
			return 1
		fi
		;;
	dnsd | dnsdbase)
		mkdir -p "$d/store"
		# settings beyond the command line (DNSD_CONF, one per line):
		# the benchmark's own, written to dnsd.conf and given with -c
		rm -f "$d/dnsd.conf"
		[ -n "${DNSD_CONF:-}" ] && printf '%s\n' "$DNSD_CONF" >"$d/dnsd.conf"
		;;
	null)
		mkdir -p "$d"
		;;
	esac
	return 0
}
