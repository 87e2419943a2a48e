/* update-bench.c -- `dnsd-update bench`: a load generator for UPDATE.
 *
 * Sends n signed UPDATEs, each adding one SRV and one A RR for a fresh
 * instance, from conc clients that each keep one UPDATE in flight on their
 * own UDP socket (a closed loop: the rate measured is what the server
 * sustains at that concurrency). Prints, on stdout:
 *
 *   updates: 10000 sent, 10000 ok, 0 failed, 16 clients, 2.345 s
 *   rate: 4264.4 updates/s
 *   latency: p50 3.120 ms, p99 8.500 ms, max 12.100 ms
 *
 * The generator must not be what is measured, so the clock runs only
 * while messages are in flight: they are built and signed beforehand, in
 * chunks of BENCH_CHUNK (sent within seconds, well inside the TSIG fudge),
 * one thread drives every client with poll(), and the responses (RCODE,
 * TSIG) are checked after each chunk. A lost datagram is sent again after
 * a second; an update with no answer within the -t timeout fails.
 *
 * Names are bRUN-I._SERVICE._tcp.D SRV 0 0 PORT bRUN-I.D and bRUN-I.D A
 * 10.x.y.z, RUN from the process ID, so that two runs do not send the same
 * (already present, hence no-op) records. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "update.h"

#define BENCH_CHUNK 20000
#define BENCH_RESEND_US 1000000
#define BENCH_RESP_MAX 4096

struct bench {
	const struct upd_client *c;
	const ldns_rdf *zone;
	const struct upd_instance *tmpl;
	unsigned long n;
	unsigned run;
	unsigned long failed;
	uint64_t *lat_us;        /* per update; UINT64_MAX if it failed */
	char first_err[UPD_ERRLEN];
};

/* One update of the current chunk. */
struct bench_slot {
	struct upd_msg m;
	uint8_t *resp;            /* NULL: no answer (yet) */
	size_t rlen;
	char err[UPD_ERRLEN];     /* why it failed, before any answer */
};

/* One client: a socket and the update it has in flight. */
struct bench_client {
	int fd;
	long cur;                 /* index in the chunk, or -1 when idle */
	uint64_t first_us, sent_us;
};
/* The two RRs of update i. */
static ldns_rr_list *
bench_rrs(const struct bench *b, unsigned long i)
{
	const struct upd_instance *t = b->tmpl;
	ldns_rr_list *l = ldns_rr_list_new();
	char *d = ldns_rdf2str(t->domain), *text = NULL;
	const char *dot = d && strcmp(d, ".") ? "." : "";
	ldns_rr *rr = NULL;
	bool ok = l && d;

	ok = ok && asprintf(&text, "b%u-%lu._%s.%s%s%s %u IN SRV %u %u %u "
	    "b%u-%lu%s%s", b->run, i, t->service, t->udp ? "_udp" : "_tcp",
	    dot, d, t->ttl, t->priority, t->weight, t->port, b->run, i, dot,
	    d) >= 0;
	ok = ok && ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) ==
	    LDNS_STATUS_OK && ldns_rr_list_push_rr(l, rr);
	free(text);
	text = NULL;
	ok = ok && asprintf(&text, "b%u-%lu%s%s %u IN A 10.%lu.%lu.%lu",
	    b->run, i, dot, d, t->ttl, (i >> 16) & 255, (i >> 8) & 255,
	    i & 255) >= 0;
	rr = NULL;
	ok = ok && ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) ==
	    LDNS_STATUS_OK && ldns_rr_list_push_rr(l, rr);
	free(text);
	free(d);
	if (!ok) {
		ldns_rr_list_deep_free(l);
		return NULL;
	}
	return l;
}

static void
bench_fail(struct bench *b, unsigned long i, const char *err)
{
	b->lat_us[i] = UINT64_MAX;
	if (b->failed++ == 0)
		snprintf(b->first_err, sizeof(b->first_err), "%s", err);
}

/* Sends the client's update again (or for the first time). */
static void
bench_send(struct bench_client *cl, struct bench_slot *sl, uint64_t now)
{
	/* A failed send is like a lost datagram: sent again after a second. */
	cl->sent_us = now;
	(void)send(cl->fd, sl->m.wire, sl->m.len, 0);
}

/* Gives the client the next update that could be built, if any; those
 * that could not are done (failed) at once. */
static void
bench_assign(struct bench_client *x, struct bench_slot *sl, unsigned long lo,
    unsigned long hi, unsigned long *next, unsigned long *done, uint64_t now)
{
	x->cur = -1;
	while (*next < hi && sl[*next - lo].m.wire == NULL) {
		(*next)++;
		(*done)++;
	}
	if (*next < hi) {
		x->cur = (long)(*next - lo);
		x->first_us = now;
		bench_send(x, &sl[(*next)++ - lo], now);
	}
}

/* Runs updates [lo, hi) with the clients; returns the microseconds spent. */
static uint64_t
bench_chunk(struct bench *b, struct bench_client *cl, struct pollfd *pfd,
    unsigned conc, struct bench_slot *sl, unsigned long lo, unsigned long hi)
{
	unsigned long next = lo, done = lo;
	uint64_t t0 = upd_now_us(), timeout = (uint64_t)b->c->timeout_ms * 1000;
	uint8_t buf[BENCH_RESP_MAX];

	for (unsigned k = 0; k < conc; k++)
		bench_assign(&cl[k], sl, lo, hi, &next, &done, t0);
	while (done < hi) {
		if (poll(pfd, conc, 100) < 0)
			for (unsigned k = 0; k < conc; k++)
				pfd[k].revents = 0;
		uint64_t now = upd_now_us();
		for (unsigned k = 0; k < conc; k++) {
			struct bench_client *x = &cl[k];
			if (x->cur < 0)
				continue;
			struct bench_slot *s = &sl[x->cur];
			bool finished = false;
			/* Read only where poll() saw something (or an error). */
			while (pfd[k].revents != 0) {
				ssize_t r = recv(x->fd, buf, sizeof(buf), 0);
				if (r < 0) {
					if (errno != EAGAIN && errno != EINTR) {
						snprintf(s->err, sizeof(s->err), "no answer from %s: %s",
						    b->c->server, strerror(errno));
						finished = true;
					}
					break;
				}
				/* Only the answer to what is in flight (same ID). */
				if (r < 12 || memcmp(buf, s->m.wire, 2) != 0)
					continue;
				if ((s->resp = malloc((size_t)r)) == NULL) {
					snprintf(s->err, sizeof(s->err), "out of memory");
				} else {
					memcpy(s->resp, buf, (size_t)r);
					s->rlen = (size_t)r;
				}
				b->lat_us[lo + (unsigned long)x->cur] = now - x->sent_us;
				finished = true;
				break;
			}
			if (!finished && s->err[0] == '\0' && now - x->first_us >= timeout) {
				snprintf(s->err, sizeof(s->err), "no answer from %s within %d s",
				    b->c->server, b->c->timeout_ms / 1000);
				finished = true;
			}
			if (!finished) {
				if (now - x->sent_us >= BENCH_RESEND_US)
					bench_send(x, s, now);
				continue;
			}
			done++;
			bench_assign(x, sl, lo, hi, &next, &done, now);
		}
	}
	return upd_now_us() - t0;
}

/* Builds, runs and checks every chunk; returns the time in flight. */
static uint64_t
bench_all(struct bench *b, struct bench_client *cl, struct pollfd *pfd, unsigned conc)
{
	struct bench_slot *sl = calloc(BENCH_CHUNK, sizeof(*sl));
	uint64_t spent = 0;
	char where[200];

	snprintf(where, sizeof(where), "server %s", b->c->server);
	if (sl == NULL) {
		for (unsigned long i = 0; i < b->n; i++)
			bench_fail(b, i, "out of memory");
		return 0;
	}
	for (unsigned long lo = 0; lo < b->n; lo += BENCH_CHUNK) {
		unsigned long hi = b->n - lo > BENCH_CHUNK ? lo + BENCH_CHUNK : b->n;
		for (unsigned long i = lo; i < hi; i++) {
			struct bench_slot *s = &sl[i - lo];
			ldns_rr_list *rrs = bench_rrs(b, i);
			memset(s, 0, sizeof(*s));
			if (rrs == NULL ||
			    upd_build_update(b->c, b->zone, NULL, rrs, &s->m, s->err) != UPD_OK) {
				/* Nothing to send: it fails without going out. */
				if (s->err[0] == '\0')
					snprintf(s->err, sizeof(s->err), "out of memory");
			}
			ldns_rr_list_deep_free(rrs);
		}
		spent += bench_chunk(b, cl, pfd, conc, sl, lo, hi);
		for (unsigned long i = lo; i < hi; i++) {
			struct bench_slot *s = &sl[i - lo];
			char err[UPD_ERRLEN];
			if (s->resp == NULL)
				bench_fail(b, i, s->err[0] ? s->err : "no answer");
			else if (upd_check_response(b->c, &s->m, s->resp, s->rlen, where, NULL,
			             err) != UPD_OK)
				bench_fail(b, i, err);
			free(s->resp);
			upd_msg_clear(&s->m);
		}
	}
	free(sl);
	return spent;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-th quantile (0..1) of n sorted values, nearest rank. */
static double
quantile_ms(const uint64_t *v, size_t n, double q)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(q * (double)n + 0.999999);
	k = k == 0 ? 0 : k - 1;
	if (k >= n)
		k = n - 1;
	return (double)v[k] / 1000.0;
}

int
upd_bench_run(const struct upd_client *c, const ldns_rdf *zone,
    const struct upd_instance *tmpl, unsigned long n, unsigned conc)
{
	struct bench b = { .c = c, .zone = zone, .tmpl = tmpl, .n = n };
	struct bench_client *cl;
	struct pollfd *pfd;
	unsigned open = 0;
	size_t ok = 0;
	double secs;
	int r = UPD_EDNS;

	if (conc > n)
		conc = (unsigned)n;
	b.run = (unsigned)getpid();
	b.lat_us = calloc(n, sizeof(*b.lat_us));
	cl = calloc(conc, sizeof(*cl));
	pfd = calloc(conc, sizeof(*pfd));
	if (!b.lat_us || !cl || !pfd) {
		fprintf(stderr, "dnsd-update: out of memory\n");
		goto out;
	}
	for (; open < conc; open++) {
		int fd = socket(c->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (const struct sockaddr *)&c->addr, c->addrlen) < 0) {
			fprintf(stderr, "dnsd-update: bench: cannot open a socket to %s: %s\n",
			    c->server, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		cl[open].fd = pfd[open].fd = fd;
		pfd[open].events = POLLIN;
	}
	if (c->verbose)
		fprintf(stderr, "dnsd-update: bench: %lu updates, %u clients, "
		    "to %s\n", n, conc, c->server);
	secs = (double)bench_all(&b, cl, pfd, conc) / 1e6;

	/* Failed updates sort last (UINT64_MAX); the quantiles are taken
	 * over the successful ones. */
	qsort(b.lat_us, n, sizeof(*b.lat_us), cmp_u64);
	while (ok < n && b.lat_us[ok] != UINT64_MAX)
		ok++;
	printf("updates: %lu sent, %zu ok, %lu failed, %u clients, %.3f s\n",
	    n, ok, b.failed, conc, secs);
	printf("rate: %.1f updates/s\n", secs > 0 ? (double)ok / secs : 0.0);
	printf("latency: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	    quantile_ms(b.lat_us, ok, 0.50), quantile_ms(b.lat_us, ok, 0.99),
	    ok ? (double)b.lat_us[ok - 1] / 1000.0 : 0.0);
	if (b.failed)
		fprintf(stderr, "dnsd-update: bench: first failure: %s\n",
		    b.first_err);
	else
		r = UPD_OK;
out:
	for (unsigned k = 0; k < open; k++)
		close(cl[k].fd);
	free(b.lat_us);
	free(cl);
	free(pfd);
	return r;
}
