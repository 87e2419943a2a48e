#!/bin/bash
# t_http_client.sh -- dnsd's HTTP API through a real Consul client library:
# Debian's python3-consul (consulcheck.py, run with /usr/bin/python3 where
# Debian's modules are): register with a TTL check, pass it, watch with a
# blocking query, let it lapse out of the health endpoint and DNS,
# deregister, a bad token refused (a bad token is refused even from an
# address that may write anonymously).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_http.sh"

if ! /usr/bin/python3 -c 'import consul, dns.query' 2>/dev/null; then
	[ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-consul \
		python3-dnspython >"$WORK/apt.log" 2>&1
	/usr/bin/python3 -c 'import consul, dns.query' 2>/dev/null ||
		skip "python3-consul and python3-dnspython are not installed"
fi

# python3-consul 0.7.1 sends the client's token with registrations and
# reads, but not with check/pass or service/deregister: those come
# anonymously, which http-allow-anonymous allows from here.
start_http_dnsd 'http-allow-anonymous 127.0.0.1' || hard_error "dnsd did not start"
/usr/bin/python3 "$TESTDIR/consulcheck.py" "$HPORT" "$PORT" "$SECRET_CI" >"$WORK/client.out" 2>&1
rc=$?
relay_checks "consulcheck.py" <"$WORK/client.out"
[ "$rc" = 0 ] && ok "consulcheck.py ran to its end" || not_ok "consulcheck.py exited with $rc"
done_ok
