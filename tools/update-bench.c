/* update-bench.c -- `dnsd-update bench`: a load generator for UPDATE.
 *
 * Sends n signed UPDATEs, each adding one SRV and one A RR for a fresh
 * instance, from conc threads that each keep one UPDATE in flight (a
 * closed loop: the rate measured is what the server sustains at that
 * concurrency). Prints, on stdout:
 *
 *   updates: 10000 sent, 10000 ok, 0 failed, 16 clients, 2.345 s
 *   rate: 4264.4 updates/s
 *   latency: p50 3.120 ms, p99 8.500 ms, max 12.100 ms
 *
 * Names are bRUN-I._SERVICE._tcp.D SRV 0 0 PORT bRUN-I.D and bRUN-I.D A
 * 10.x.y.z, RUN from the process ID, so that two runs do not send the same
 * (already present, hence no-op) records. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "update.h"

struct bench {
	const struct upd_client *c;
	const ldns_rdf *zone;
	const struct upd_instance *tmpl;
	unsigned long n;
	unsigned run;
	atomic_ulong next;       /* next update to send */
	atomic_ulong failed;
	uint64_t *lat_us;        /* per update; UINT64_MAX if it failed */
	pthread_mutex_t lock;
	char first_err[UPD_ERRLEN];
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

static void *
bench_worker(void *arg)
{
	struct bench *b = arg;
	char err[UPD_ERRLEN];

	for (;;) {
		unsigned long i = atomic_fetch_add(&b->next, 1);
		struct upd_result res;
		ldns_rr_list *rrs;
		int r;

		if (i >= b->n)
			break;
		rrs = bench_rrs(b, i);
		if (rrs) {
			r = upd_send_update(b->c, b->zone, NULL, rrs, &res, err);
		} else {
			r = UPD_EDNS;
			snprintf(err, sizeof(err), "out of memory");
		}
		ldns_rr_list_deep_free(rrs);
		if (r == UPD_OK) {
			b->lat_us[i] = res.latency_us;
			continue;
		}
		b->lat_us[i] = UINT64_MAX;
		if (atomic_fetch_add(&b->failed, 1) == 0) {
			pthread_mutex_lock(&b->lock);
			snprintf(b->first_err, sizeof(b->first_err), "%s", err);
			pthread_mutex_unlock(&b->lock);
		}
	}
	return NULL;
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
	pthread_t *th;
	unsigned started = 0;
	uint64_t t0, t1;
	size_t ok = 0;
	double secs;

	if (conc > n)
		conc = (unsigned)n;
	b.run = (unsigned)getpid();
	atomic_init(&b.next, 0);
	atomic_init(&b.failed, 0);
	pthread_mutex_init(&b.lock, NULL);
	b.lat_us = calloc(n, sizeof(*b.lat_us));
	th = calloc(conc, sizeof(*th));
	if (!b.lat_us || !th) {
		free(b.lat_us);
		free(th);
		fprintf(stderr, "dnsd-update: out of memory\n");
		return UPD_EDNS;
	}
	if (c->verbose)
		fprintf(stderr, "dnsd-update: bench: %lu updates, %u clients, "
		    "to %s\n", n, conc, c->server);
	t0 = upd_now_us();
	for (unsigned i = 0; i < conc; i++) {
		if (pthread_create(&th[i], NULL, bench_worker, &b) != 0)
			break;
		started++;
	}
	if (started == 0)
		bench_worker(&b); /* no threads: at least finish the job */
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	t1 = upd_now_us();
	secs = (double)(t1 - t0) / 1e6;

	/* Failed updates sort last (UINT64_MAX); the quantiles are taken
	 * over the successful ones. */
	qsort(b.lat_us, n, sizeof(*b.lat_us), cmp_u64);
	while (ok < n && b.lat_us[ok] != UINT64_MAX)
		ok++;
	printf("updates: %lu sent, %zu ok, %lu failed, %u clients, %.3f s\n",
	    n, ok, (unsigned long)atomic_load(&b.failed), started ? started : 1,
	    secs);
	printf("rate: %.1f updates/s\n", secs > 0 ? (double)ok / secs : 0.0);
	printf("latency: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	    quantile_ms(b.lat_us, ok, 0.50), quantile_ms(b.lat_us, ok, 0.99),
	    ok ? (double)b.lat_us[ok - 1] / 1000.0 : 0.0);
	if (atomic_load(&b.failed))
		fprintf(stderr, "dnsd-update: bench: first failure: %s\n",
		    b.first_err);
	pthread_mutex_destroy(&b.lock);
	free(b.lat_us);
	free(th);
	return atomic_load(&b.failed) ? UPD_EDNS : UPD_OK;
}
