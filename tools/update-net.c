/* update-net.c -- dnsd-update's transport: signed UPDATEs and look-ups over
 * UDP with TCP fallback, TSIG verification of responses, RCODE reporting.
 *
 * ldns builds, signs, parses and verifies the messages; the sockets are
 * ours so that every exchange has one deadline, a UDP response is taken
 * only from the server and only with the query's ID (connected socket),
 * a truncated answer is retried over TCP, and each failure gets a precise
 * message. Nothing here keeps state between calls, so the bench threads
 * share it freely. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "update.h"

/* EDNS0 buffer size we advertise (DNS flag day 2020) and the largest
 * query sent over UDP: anything bigger goes over TCP directly. */
#define EDNS_BUFSIZE 1232
#define UDP_QUERY_MAX 1232
/* First UDP retransmission after this long, doubling up to the deadline. */
#define UDP_RETRY_MS 1000
/* Fudge for TSIG time checks, RFC 8945 section 10. */
#define TSIG_FUDGE 300
/* RFC 9664: the Update Lease EDNS option. */
#define EDNS_UPDATE_LEASE 2

uint64_t
upd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Milliseconds on the same clock: what deadlines are kept in. */
static uint64_t
now_ms(void)
{
	return upd_now_us() / 1000;
}

const char *
upd_rcode_name(unsigned rcode, char *buf, size_t len)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE", "DSOTYPENI",
	};

	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	if (rcode == 16)
		return "BADVERS";
	snprintf(buf, len, "RCODE%u", rcode);
	return buf;
}

/* Name of a TSIG error (RFC 8945 section 5.3.2, RFC 7873). */
static const char *
tsig_error_name(unsigned e, char *buf, size_t len)
{
	static const char *const names[] = {
		"BADSIG", "BADKEY", "BADTIME", "BADMODE", "BADNAME",
		"BADALG", "BADTRUNC", "BADCOOKIE",
	};

	if (e >= 16 && e < 16 + sizeof(names) / sizeof(names[0]))
		return names[e - 16];
	return upd_rcode_name(e, buf, len);
}

int
upd_server_parse(struct upd_client *c, const char *spec, char *err)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	char host[256], port[8] = "53";
	const char *sep = strrchr(spec, '@');
	size_t hlen = sep ? (size_t)(sep - spec) : strlen(spec);
	char *end;
	unsigned long p;
	int r;

	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (sep) {
		errno = 0;
		p = strtoul(sep + 1, &end, 10);
		if (errno || *end || end == sep + 1 || p == 0 || p > 65535)
			goto bad;
		snprintf(port, sizeof(port), "%lu", p);
	}
	/* Brackets are optional around an IPv6 address: [::1]@5300. */
	if (host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	/* No AI_ADDRCONFIG: it hides 127.0.0.1 when lo is the only interface
	 * up (PEERS.md). */
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, UPD_ERRLEN, "cannot resolve server '%.100s': %s",
		    host, gai_strerror(r));
		return UPD_EUSAGE;
	}
	memcpy(&c->addr, ai->ai_addr, ai->ai_addrlen);
	c->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	snprintf(c->server, sizeof(c->server), "%.100s@%s", host, port);
	return UPD_OK;
bad:
	snprintf(err, UPD_ERRLEN, "bad server '%s' (expected ADDR[@PORT])",
	    spec);
	return UPD_EUSAGE;
}

/* Waits until fd is ready for events or the deadline passes. Returns 1
 * ready, 0 timed out, -1 error (errno set). */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		uint64_t now = now_ms();
		int r;

		if (now >= deadline)
			return 0;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r;
		return 1;
	}
}

/* A response is ours if it is one (QR), carries our ID and is long enough
 * to have a header. */
static bool
response_matches(const uint8_t *b, size_t n, uint16_t id)
{
	return n >= LDNS_HEADER_SIZE && LDNS_QR_WIRE(b) &&
	    ldns_read_uint16(b) == id;
}

/* A transport failure as one phrase; the caller adds the server. e == 0
 * means the deadline passed. */
static int
net_error(const struct upd_client *c, const char *proto, const char *what,
    int e, char *err)
{
	if (e == 0)
		snprintf(err, UPD_ERRLEN, "timed out after %d ms over %s",
		    c->timeout_ms, proto);
	else
		snprintf(err, UPD_ERRLEN, "%s over %s: %s", what, proto,
		    strerror(e));
	return UPD_EDNS;
}

static int
udp_exchange(const struct upd_client *c, const uint8_t *q, size_t qlen,
    uint64_t deadline, uint8_t **resp, size_t *rlen, char *err)
{
	uint16_t id = ldns_read_uint16(q);
	uint64_t retry_ms = UDP_RETRY_MS;
	uint8_t *buf;
	int fd, r = UPD_EDNS;

	fd = socket(c->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return net_error(c, "udp", "cannot open a socket", errno, err);
	/* Connected: the kernel drops datagrams from anyone but the server
	 * and reports ICMP port unreachable as ECONNREFUSED. */
	if (connect(fd, (const struct sockaddr *)&c->addr, c->addrlen) < 0) {
		r = net_error(c, "udp", "cannot reach the server", errno, err);
		close(fd);
		return r;
	}
	if (!(buf = malloc(65535))) {
		close(fd);
		snprintf(err, UPD_ERRLEN, "out of memory");
		return UPD_EDNS;
	}
	for (;;) {
		uint64_t now = now_ms(), until;

		if (now >= deadline) {
			r = net_error(c, "udp", "", 0, err);
			break;
		}
		if (send(fd, q, qlen, 0) != (ssize_t)qlen) {
			r = net_error(c, "udp", "cannot send", errno, err);
			break;
		}
		until = now + retry_ms < deadline ? now + retry_ms : deadline;
		retry_ms *= 2;
		for (;;) {
			ssize_t n;
			int w = wait_fd(fd, POLLIN, until);

			if (w == 0)
				break; /* retransmit, or time out above */
			if (w < 0) {
				r = net_error(c, "udp", "poll", errno, err);
				goto out;
			}
			n = recv(fd, buf, 65535, 0);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				r = net_error(c, "udp", "no answer",
				    errno, err);
				goto out;
			}
			if (!response_matches(buf, (size_t)n, id))
				continue;
			*resp = buf;
			*rlen = (size_t)n;
			buf = NULL;
			r = UPD_OK;
			goto out;
		}
	}
out:
	free(buf);
	close(fd);
	return r;
}

/* Reads or writes exactly n bytes on a non-blocking stream socket before
 * the deadline. Returns 0, or an errno value (ETIMEDOUT on timeout,
 * ECONNRESET when the peer closed). */
static int
stream_io(int fd, uint8_t *b, size_t n, bool writing, uint64_t deadline)
{
	while (n > 0) {
		ssize_t k;
		int w = wait_fd(fd, writing ? POLLOUT : POLLIN, deadline);

		if (w == 0)
			return ETIMEDOUT;
		if (w < 0)
			return errno;
		k = writing ? send(fd, b, n, MSG_NOSIGNAL) : recv(fd, b, n, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			return errno;
		if (k == 0)
			return ECONNRESET;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One message over TCP, RFC 1035 section 4.2.2 / RFC 7766. */
static int
tcp_exchange(const struct upd_client *c, const uint8_t *q, size_t qlen,
    uint64_t deadline, uint8_t **resp, size_t *rlen, char *err)
{
	uint16_t id = ldns_read_uint16(q);
	uint8_t len[2], *buf = NULL, *out;
	int fd, e, r = UPD_EDNS;
	socklen_t elen = sizeof(e);

	fd = socket(c->addr.ss_family,
	    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return net_error(c, "tcp", "cannot open a socket", errno, err);
	if (connect(fd, (const struct sockaddr *)&c->addr, c->addrlen) < 0) {
		if (errno != EINPROGRESS) {
			r = net_error(c, "tcp", "cannot connect", errno, err);
			goto out;
		}
		e = wait_fd(fd, POLLOUT, deadline);
		if (e <= 0) {
			r = net_error(c, "tcp", "cannot connect",
			    e == 0 ? 0 : errno, err);
			goto out;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0 || e) {
			r = net_error(c, "tcp", "cannot connect",
			    e ? e : errno, err);
			goto out;
		}
	}
	if (!(out = malloc(qlen + 2))) {
		snprintf(err, UPD_ERRLEN, "out of memory");
		goto out;
	}
	ldns_write_uint16(out, (uint16_t)qlen);
	memcpy(out + 2, q, qlen);
	e = stream_io(fd, out, qlen + 2, true, deadline);
	free(out);
	if (e) {
		r = net_error(c, "tcp", "cannot send",
		    e == ETIMEDOUT ? 0 : e, err);
		goto out;
	}
	/* Skip anything that is not our response (RFC 7766 allows a server
	 * to send several; we sent one, so this loop rarely turns). */
	for (;;) {
		size_t n;

		if ((e = stream_io(fd, len, 2, false, deadline)) != 0) {
			r = net_error(c, "tcp", "no answer",
			    e == ETIMEDOUT ? 0 : e, err);
			goto out;
		}
		n = ldns_read_uint16(len);
		free(buf);
		if (!(buf = malloc(n ? n : 1))) {
			snprintf(err, UPD_ERRLEN, "out of memory");
			goto out;
		}
		if ((e = stream_io(fd, buf, n, false, deadline)) != 0) {
			r = net_error(c, "tcp", "no answer",
			    e == ETIMEDOUT ? 0 : e, err);
			goto out;
		}
		if (response_matches(buf, n, id)) {
			*resp = buf;
			*rlen = n;
			buf = NULL;
			r = UPD_OK;
			goto out;
		}
	}
out:
	free(buf);
	close(fd);
	return r;
}

static void
debug_dump(const struct upd_client *c, const char *what, const uint8_t *b,
    size_t n)
{
	ldns_pkt *p = NULL;

	fprintf(stderr, ";; %s %zu bytes %s %s\n", what, n,
	    strcmp(what, "sent") == 0 ? "to" : "from", c->server);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x%s", i % 16 ? "" : ";;   ", b[i],
		    i % 16 == 15 || i + 1 == n ? "\n" : " ");
	/* Print what the bytes say, not what we meant to send. */
	if (ldns_wire2pkt(&p, b, n) == LDNS_STATUS_OK)
		ldns_pkt_print(stderr, p);
	ldns_pkt_free(p);
}

/* Sends wire and returns the first matching response: over UDP, then over
 * TCP if it came back truncated (RFC 1035 section 4.2.1), or straight over
 * TCP when asked to or when the query is too big for UDP. */
static int
exchange(const struct upd_client *c, const uint8_t *q, size_t qlen,
    uint8_t **resp, size_t *rlen, char *err)
{
	uint64_t deadline = now_ms() + (uint64_t)c->timeout_ms;
	int r;

	if (c->debug)
		debug_dump(c, "sent", q, qlen);
	if (!c->tcp && qlen <= UDP_QUERY_MAX) {
		r = udp_exchange(c, q, qlen, deadline, resp, rlen, err);
		if (r != UPD_OK)
			return r;
		if (!LDNS_TC_WIRE(*resp))
			goto done;
		if (c->verbose)
			fprintf(stderr, "dnsd-update: response truncated, "
			    "retrying over TCP\n");
		free(*resp);
		*resp = NULL;
	}
	r = tcp_exchange(c, q, qlen, deadline, resp, rlen, err);
	if (r != UPD_OK)
		return r;
done:
	if (c->debug)
		debug_dump(c, "received", *resp, *rlen);
	return UPD_OK;
}

/* Adds the Update Lease option: 4-byte LEASE, or LEASE and KEY-LEASE
 * (RFC 9664 section 4). The packet owns the list afterwards. */
static bool
add_lease_option(ldns_pkt *p, const struct upd_client *c)
{
	ldns_edns_option_list *list = ldns_edns_option_list_new();
	ldns_edns_option *opt;
	uint8_t data[8];

	if (!list)
		return false;
	ldns_write_uint32(data, c->lease);
	ldns_write_uint32(data + 4, c->key_lease);
	opt = ldns_edns_new_from_data(EDNS_UPDATE_LEASE,
	    c->key_lease_set ? 8 : 4, data);
	if (!opt || !ldns_edns_option_list_push(list, opt)) {
		ldns_edns_deep_free(opt);
		ldns_edns_option_list_deep_free(list);
		return false;
	}
	ldns_pkt_set_edns_udp_size(p, EDNS_BUFSIZE);
	ldns_pkt_set_edns_option_list(p, list);
	return true;
}

/* Reads the Update Lease option from a response, if there is one. */
static void
read_lease_option(ldns_pkt *resp, struct upd_result *res)
{
	ldns_edns_option_list *list = ldns_pkt_edns_get_option_list(resp);
	size_t n = list ? ldns_edns_option_list_get_count(list) : 0;

	for (size_t i = 0; i < n; i++) {
		ldns_edns_option *o = ldns_edns_option_list_get_option(list, i);
		size_t len = ldns_edns_get_size(o);
		const uint8_t *d = ldns_edns_get_data(o);

		if (ldns_edns_get_code(o) != EDNS_UPDATE_LEASE ||
		    (len != 4 && len != 8))
			continue;
		res->lease_granted = true;
		res->lease = ldns_read_uint32(d);
		if (len == 8) {
			res->key_lease_granted = true;
			res->key_lease = ldns_read_uint32(d + 4);
		}
	}
}

/* The RCODE of a response, with the extended bits from its OPT record
 * (RFC 6891 section 6.1.3). */
static unsigned
response_rcode(const ldns_pkt *p)
{
	return (unsigned)ldns_pkt_get_rcode(p) |
	    ((unsigned)ldns_pkt_edns_extended_rcode(p) << 4);
}

int
upd_build_update(const struct upd_client *c, const ldns_rdf *zone,
    const ldns_rr_list *prereq, const ldns_rr_list *updates,
    struct upd_msg *m, char *err)
{
	ldns_rr_list *empty = NULL;
	ldns_pkt *p;
	int r = UPD_EDNS;

	memset(m, 0, sizeof(*m));
	if (!updates)
		updates = empty = ldns_rr_list_new();
	/* ldns_update_pkt_new() takes zone and clones the lists. */
	p = ldns_update_pkt_new(ldns_rdf_clone(zone), LDNS_RR_CLASS_IN,
	    prereq, updates, NULL);
	ldns_rr_list_free(empty);
	if (!p)
		goto nomem;
	ldns_pkt_set_rd(p, false); /* RFC 2136 section 2.2: flags are zero */
	ldns_pkt_set_random_id(p);
	if (c->lease_set && !add_lease_option(p, c))
		goto nomem;
	if (c->key.name) {
		ldns_status s = ldns_pkt_tsig_sign(p, c->key.name,
		    c->key.secret, TSIG_FUDGE, c->key.alg, NULL);
		if (s != LDNS_STATUS_OK) {
			snprintf(err, UPD_ERRLEN, "cannot sign with key %s: %s",
			    c->key.name, ldns_get_errorstr_by_id(s));
			goto out;
		}
		if (!(m->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3))))
			goto nomem;
	}
	if (ldns_pkt2wire(&m->wire, p, &m->len) != LDNS_STATUS_OK)
		goto nomem;
	r = UPD_OK;
	goto out;
nomem:
	snprintf(err, UPD_ERRLEN, "out of memory building the UPDATE");
out:
	ldns_pkt_free(p);
	if (r != UPD_OK)
		upd_msg_clear(m);
	return r;
}

void
upd_msg_clear(struct upd_msg *m)
{
	free(m->wire);
	ldns_rdf_deep_free(m->mac);
	memset(m, 0, sizeof(*m));
}

int
upd_check_response(const struct upd_client *c, const struct upd_msg *m,
    const uint8_t *rwire, size_t rlen, const char *where,
    struct upd_result *res, char *err)
{
	ldns_pkt *resp = NULL;
	ldns_rr *tsig;
	char b1[16], b2[16];
	unsigned rcode, tsig_err = 0;
	bool signed_ok = false;
	int r = UPD_EDNS;

	if (ldns_wire2pkt(&resp, rwire, rlen) != LDNS_STATUS_OK ||
	    ldns_pkt_get_opcode(resp) != LDNS_PACKET_UPDATE) {
		snprintf(err, UPD_ERRLEN, "malformed response (%s)", where);
		goto out;
	}
	rcode = response_rcode(resp);
	if (c->key.name && (tsig = ldns_pkt_tsig(resp)) != NULL) {
		ldns_rdf *e = ldns_rr_rdf(tsig, 5);
		tsig_err = e ? ldns_rdf2native_int16(e) : 0;
		/* RFC 8945 section 5.3.2: a BADKEY or BADSIG answer comes
		 * unsigned; only a response with a MAC can verify. */
		signed_ok = ldns_pkt_tsig_verify(resp, rwire, rlen,
		    c->key.name, c->key.secret, m->mac);
	}
	if (rcode != LDNS_RCODE_NOERROR || tsig_err) {
		if (tsig_err)
			snprintf(err, UPD_ERRLEN, "%s (TSIG error %s; %s)",
			    upd_rcode_name(rcode, b1, sizeof(b1)),
			    tsig_error_name(tsig_err, b2, sizeof(b2)), where);
		else if (rcode == LDNS_RCODE_NOTAUTH && !c->key.name)
			snprintf(err, UPD_ERRLEN, "NOTAUTH (no TSIG key given: "
			    "use -k FILE or -y NAME:SECRET; %s)", where);
		else
			snprintf(err, UPD_ERRLEN, "%s (%s)",
			    upd_rcode_name(rcode, b1, sizeof(b1)), where);
		goto out;
	}
	if (c->key.name && !signed_ok) {
		snprintf(err, UPD_ERRLEN, "the response's TSIG %s %s (%s)",
		    ldns_pkt_tsig(resp) ? "does not verify with key" :
		    "is missing for key", c->key.name, where);
		goto out;
	}
	if (res)
		read_lease_option(resp, res);
	r = UPD_OK;
out:
	ldns_pkt_free(resp);
	return r;
}

int
upd_send_update(const struct upd_client *c, const ldns_rdf *zone,
    const ldns_rr_list *prereq, const ldns_rr_list *updates,
    struct upd_result *res, char *err)
{
	struct upd_msg m;
	uint8_t *rwire = NULL;
	size_t rlen = 0;
	char where[400];
	uint64_t t0, lat;
	int r;

	{
		char *z = ldns_rdf2str(zone);
		snprintf(where, sizeof(where), "zone %s, server %s",
		    z ? z : "?", c->server);
		free(z);
	}
	if ((r = upd_build_update(c, zone, prereq, updates, &m, err)) != UPD_OK)
		return r;
	t0 = upd_now_us();
	r = exchange(c, m.wire, m.len, &rwire, &rlen, err);
	lat = upd_now_us() - t0;
	if (r != UPD_OK) {
		size_t n = strlen(err);
		snprintf(err + n, UPD_ERRLEN - n, " (%s)", where);
	} else {
		if (res)
			memset(res, 0, sizeof(*res));
		r = upd_check_response(c, &m, rwire, rlen, where, res, err);
		if (res)
			res->latency_us = lat;
	}
	upd_msg_clear(&m);
	free(rwire);
	return r;
}

int
upd_query(const struct upd_client *c, const ldns_rdf *name,
    ldns_rr_type type, ldns_pkt **resp, char *err)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_rdf_clone(name), type,
	    LDNS_RR_CLASS_IN, 0);
	uint8_t *wire = NULL, *rwire = NULL;
	size_t wlen = 0, rlen = 0;
	int r = UPD_EDNS;

	*resp = NULL;
	if (!q) {
		snprintf(err, UPD_ERRLEN, "out of memory");
		return UPD_EDNS;
	}
	ldns_pkt_set_random_id(q);
	ldns_pkt_set_edns_udp_size(q, EDNS_BUFSIZE);
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK) {
		snprintf(err, UPD_ERRLEN, "out of memory");
		goto out;
	}
	if (exchange(c, wire, wlen, &rwire, &rlen, err) != UPD_OK) {
		size_t n = strlen(err);
		snprintf(err + n, UPD_ERRLEN - n, " (server %s)", c->server);
		goto out;
	}
	if (ldns_wire2pkt(resp, rwire, rlen) != LDNS_STATUS_OK) {
		*resp = NULL;
		snprintf(err, UPD_ERRLEN, "malformed response from %s",
		    c->server);
		goto out;
	}
	r = UPD_OK;
out:
	ldns_pkt_free(q);
	free(wire);
	free(rwire);
	return r;
}

/* The owner of the first SOA RR in list, cloned; NULL if there is none. */
static ldns_rdf *
soa_owner(const ldns_rr_list *list)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			return ldns_rdf_clone(ldns_rr_owner(rr));
	}
	return NULL;
}

int
upd_find_zone(const struct upd_client *c, const ldns_rdf *name,
    ldns_rdf **zone, char *err)
{
	ldns_pkt *resp = NULL;
	char *s = ldns_rdf2str(name), b[16];
	unsigned rcode;
	int r;

	*zone = NULL;
	r = upd_query(c, name, LDNS_RR_TYPE_SOA, &resp, err);
	if (r != UPD_OK) {
		char why[UPD_ERRLEN];

		memcpy(why, err, sizeof(why));
		snprintf(err, UPD_ERRLEN, "cannot find the zone of %.200s: %.250s",
		    s ? s : "?", why);
		goto out;
	}
	rcode = response_rcode(resp);
	if (rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN) {
		*zone = soa_owner(ldns_pkt_answer(resp));
		if (!*zone)
			*zone = soa_owner(ldns_pkt_authority(resp));
	}
	if (!*zone) {
		snprintf(err, UPD_ERRLEN, "cannot find the zone of %s: %s "
		    "answered %s without an SOA; give -z ZONE", s ? s : "?",
		    c->server, upd_rcode_name(rcode, b, sizeof(b)));
		r = UPD_EDNS;
	} else if (c->verbose) {
		char *z = ldns_rdf2str(*zone);
		fprintf(stderr, "dnsd-update: zone of %s is %s\n", s, z);
		free(z);
	}
out:
	ldns_pkt_free(resp);
	free(s);
	return r;
}
