# shellcheck shell=bash
# tools/bench/lib/packages.sh -- the Debian packages the benchmark needs,
# installed with apt-get when missing (as root, unless --no-install).
# Sourced by run.

ensure_packages() {
	local pkgs="dnsperf nsd knot bind9 pdns-server pdns-backend-lmdb pdns-backend-sqlite3 sqlite3 bind9-dnsutils gcc libc6-dev libldns-dev util-linux procps python3 strace"
	local missing="" p
	for p in $pkgs; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$INSTALL" != 1 ]; then
		die "missing packages:$missing (run without --no-install, as root, to install them)"
	fi
	[ "$(id -u)" = 0 ] || die "missing packages:$missing; run as root to install them"
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null || die "apt-get install$missing failed"
}
