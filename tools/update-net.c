/* update-net.c -- dnsd-update's transport: the server's address, and one
 * message out and its response back over UDP with TCP fallback.
 *
 * update-send.c builds, signs and checks the messages (with ldns); the
 * sockets are ours so that every exchange has one deadline, a UDP
 * response is taken only from the server and only with the query's ID
 * (connected socket), a truncated answer is retried over TCP, and each
 * failure gets a precise message. Nothing here keeps state between
 * calls, so the bench threads share it freely. */
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

/* The largest query sent over UDP (the EDNS0 buffer size of DNS flag
 * day 2020): anything bigger goes over TCP directly. */
#define UDP_QUERY_MAX 1232
/* First UDP retransmission after this long, doubling up to the deadline. */
#define UDP_RETRY_MS 1000

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

int
upd_server_parse(struct upd_client *c, const char *spec, char *err)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	char host[256], port[8] = "53";
	const char *sep = strrchr(spec, '@'), *colon = strrchr(spec, ':');
	size_t hlen;
	char *end;
	unsigned long p;
	int r;

	/* ADDR@PORT and [V6]@PORT, as dig and dnsd write them; also
	 * ADDR:PORT, HOST:PORT and [V6]:PORT, as dnsd-resolve takes them. A
	 * bare IPv6 address has colons of its own: no port then. */
	if (!sep && colon && (spec[0] == '[' ? colon > spec && colon[-1] == ']' :
	    strchr(spec, ':') == colon))
		sep = colon;
	hlen = sep ? (size_t)(sep - spec) : strlen(spec);
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
	} else if (host[0] == '[' || host[hlen - 1] == ']') {
		goto bad;
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
	snprintf(err, UPD_ERRLEN, "bad server '%s' (expected ADDR, ADDR@PORT, ADDR:PORT or [V6]:PORT)",
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

int
upd_exchange(const struct upd_client *c, const uint8_t *q, size_t qlen,
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
