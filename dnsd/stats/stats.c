/* stats.c -- per-thread counter blocks and their sum */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "wire/wire.h"

#define BLOCKS_MAX 1024 /* threads over the life of the process */

const double stats_commit_bounds[STATS_COMMIT_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001,
	0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0 };

static struct stats_block *blocks[BLOCKS_MAX];
static size_t nblocks;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

struct stats_block *
stats_block_new(void)
{
	struct stats_block *b = NULL;
	pthread_mutex_lock(&mu);
	if (nblocks < BLOCKS_MAX && (b = aligned_alloc(64, sizeof(*b))) != NULL) {
		memset(b, 0, sizeof(*b));
		__atomic_store_n(&blocks[nblocks], b, __ATOMIC_RELEASE);
		__atomic_store_n(&nblocks, nblocks + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&mu);
	return b;
}

struct stats_block *
stats_thread(void)
{
	static __thread struct stats_block *b;
	static __thread int tried;
	if (!tried) {
		tried = 1;
		b = stats_block_new();
	}
	return b;
}

static enum stats_qtype
qtype_of(uint16_t t)
{
	switch (t) {
	case RR_A: return ST_QT_A;
	case RR_AAAA: return ST_QT_AAAA;
	case RR_SRV: return ST_QT_SRV;
	case RR_PTR: return ST_QT_PTR;
	case RR_TXT: return ST_QT_TXT;
	case RR_SOA: return ST_QT_SOA;
	case RR_NS: return ST_QT_NS;
	case RR_CNAME: return ST_QT_CNAME;
	case RR_ANY: return ST_QT_ANY;
	case RR_AXFR: return ST_QT_AXFR;
	case RR_IXFR: return ST_QT_IXFR;
	default: return ST_QT_OTHER;
	}
}

/* One more in a counter the owning thread alone writes. */
static inline void
bump(uint64_t *x)
{
	__atomic_store_n(x, *x + 1, __ATOMIC_RELAXED);
}

void
stats_query(struct stats_block *b, int tcp, uint16_t qtype, uint8_t rcode)
{
	if (b == NULL)
		return;
	tcp = tcp != 0;
	bump(&b->c[tcp ? ST_QUERIES_TCP : ST_QUERIES_UDP]);
	bump(&b->qtype[tcp][qtype_of(qtype)]);
	bump(&b->rcode[tcp][rcode & 15]);
}

void
stats_commit(struct stats_block *b, uint64_t us)
{
	if (b == NULL)
		return;
	size_t i = 0;
	while (i < STATS_COMMIT_BUCKETS && (double)us / 1e6 > stats_commit_bounds[i])
		i++;
	bump(&b->commit_hist[i]);
	__atomic_store_n(&b->commit_us_sum, b->commit_us_sum + us, __ATOMIC_RELAXED);
	bump(&b->c[ST_COMMITS]);
}

void
stats_sum(struct stats_block *out)
{
	memset(out, 0, sizeof(*out));
	size_t n = __atomic_load_n(&nblocks, __ATOMIC_ACQUIRE);
	for (size_t i = 0; i < n; i++) {
		const struct stats_block *b = __atomic_load_n(&blocks[i], __ATOMIC_ACQUIRE);
		const uint64_t *src = (const uint64_t *)b;
		uint64_t *dst = (uint64_t *)out;
		for (size_t k = 0; k < sizeof(*b) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}

static struct stats_key_count keys[STATS_KEYS_MAX];
static size_t nkeys;
static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER; /* keys and xfrs */

void
stats_key_add(const char *name, enum stats_result res)
{
	/* Once per UPDATE in the writer, next to a disk sync: a lock and a
	 * scan of a few keys cost nothing there. */
	pthread_mutex_lock(&table_mu);
	size_t i = 0;
	while (i < nkeys && strcmp(keys[i].name, name) != 0)
		i++;
	if (i == nkeys) {
		if (nkeys >= STATS_KEYS_MAX - 1)
			name = "other";
		for (i = 0; i < nkeys && strcmp(keys[i].name, name) != 0; i++)
			;
		if (i == nkeys) {
			snprintf(keys[i].name, sizeof(keys[i].name), "%s", name);
			nkeys++;
		}
	}
	keys[i].n[res]++;
	pthread_mutex_unlock(&table_mu);
}

size_t
stats_keys(struct stats_key_count *out, size_t max)
{
	pthread_mutex_lock(&table_mu);
	size_t n = nkeys;
	memcpy(out, keys, (n < max ? n : max) * sizeof(*out));
	pthread_mutex_unlock(&table_mu);
	return n;
}

static struct stats_xfr xfrs[STATS_XFRS_MAX];
static size_t nxfrs;

void
stats_xfr_done(const char *zone, const char *client, uint16_t qtype, uint32_t serial,
    uint32_t when)
{
	pthread_mutex_lock(&table_mu);
	size_t i = 0, oldest = 0;
	for (; i < nxfrs; i++) {
		if (strcmp(xfrs[i].zone, zone) == 0 && strcmp(xfrs[i].client, client) == 0)
			break;
		if (xfrs[i].when < xfrs[oldest].when)
			oldest = i;
	}
	if (i == nxfrs) {
		if (nxfrs < STATS_XFRS_MAX)
			nxfrs++;
		else
			i = oldest;
		snprintf(xfrs[i].zone, sizeof(xfrs[i].zone), "%s", zone);
		snprintf(xfrs[i].client, sizeof(xfrs[i].client), "%s", client);
	}
	xfrs[i].qtype = qtype;
	xfrs[i].serial = serial;
	xfrs[i].when = when;
	pthread_mutex_unlock(&table_mu);
}

size_t
stats_xfrs(struct stats_xfr *out, size_t max)
{
	pthread_mutex_lock(&table_mu);
	size_t n = nxfrs < max ? nxfrs : max;
	memcpy(out, xfrs, n * sizeof(*out));
	pthread_mutex_unlock(&table_mu);
	return n;
}

const char *
stats_counter_name(enum stats_counter c)
{
	static const char *names[ST_N] = {
		[ST_QUERIES_UDP] = "queries_udp", [ST_QUERIES_TCP] = "queries_tcp",
		[ST_CACHE_HITS] = "answer_cache_hits", [ST_CACHE_MISSES] = "answer_cache_misses",
		[ST_UPDATES_OK] = "updates_ok", [ST_UPDATES_REFUSED] = "updates_refused",
		[ST_UPDATES_FAILED] = "updates_failed", [ST_REGISTRATIONS] = "registrations",
		[ST_RENEWALS] = "renewals", [ST_DEREGISTRATIONS] = "deregistrations",
		[ST_EXPIRATIONS] = "expirations", [ST_COMMITS] = "commits",
		[ST_NOTIFY_SENT] = "notify_sent", [ST_NOTIFY_ACKED] = "notify_acked",
		[ST_XFR_AXFR] = "transfers_axfr", [ST_XFR_IXFR] = "transfers_ixfr",
		[ST_XFR_REFUSED] = "transfers_refused", [ST_FORWARDED] = "forwarded",
		[ST_FORWARD_FAILED] = "forward_failed",
		[ST_CHECKS_RUN] = "checks_run", [ST_CHECKS_PASSING] = "checks_passing",
		[ST_CHECKS_WARNING] = "checks_warning", [ST_CHECKS_CRITICAL] = "checks_critical",
		[ST_CHECK_DEREGISTERED] = "check_deregistrations",
		[ST_UPDATES_ADMIT_REFUSED] = "updates_refused_at_arrival",
		[ST_UPDATES_QUEUE_FULL] = "updates_queue_full",
		[ST_UPDATES_CLIENT_LIMIT] = "updates_client_limit",
		[ST_UPDATES_DROPPED] = "updates_dropped",
		[ST_UPDATES_STORE_HIGH] = "updates_refused_store_high",
		[ST_TCP_SLOW_CUT] = "tcp_slow_cut", [ST_TCP_CLIENT_LIMIT] = "tcp_client_limit",
		[ST_TCP_OVER_CAP] = "tcp_over_cap", [ST_TCP_ACCEPT_BACKOFF] = "tcp_accept_backoff",
		[ST_XFR_CUT] = "transfers_cut", [ST_XFR_LIMIT] = "transfers_limited",
		[ST_TSIG_REPLAY] = "tsig_replays", [ST_TSIG_BADTRUNC] = "tsig_badtrunc",
		[ST_HTTP_REQUESTS] = "http_requests",
		[ST_HTTP_4XX] = "http_client_errors", [ST_HTTP_5XX] = "http_server_errors",
		[ST_RRL_DROPPED] = "rate_limit_dropped",
		[ST_RRL_SLIPPED] = "rate_limit_truncated", [ST_COOKIE_REQUIRED] = "cookie_required",
	};
	return c < ST_N && names[c] != NULL ? names[c] : "unknown";
}

const char *
stats_qtype_name(enum stats_qtype t)
{
	static const char *names[ST_QT_N] = { "A", "AAAA", "SRV", "PTR", "TXT", "SOA", "NS",
		"CNAME", "ANY", "AXFR", "IXFR", "other" };
	return t < ST_QT_N ? names[t] : "other";
}
