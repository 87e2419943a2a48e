/* stats.h -- counters for /metrics and dnsdctl: each thread writes its own
 * block without atomics or locks, a scrape sums the blocks
 *
 * A thread (a UDP worker, the TCP loop, the writer, ...) takes one block
 * at start and counts into it with stats_add, which is a plain add on the
 * thread's own cache lines: nothing is shared on the query path. A scrape
 * (stats_sum) reads every block; a count read a moment before it moves
 * is all the precision a counter needs. Blocks live until the process
 * ends (a generation of threads after a reload takes new ones), so a
 * scrape never reads freed memory, and their number is bounded.
 */
#ifndef DNSD_STATS_STATS_H
#define DNSD_STATS_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Query types counted by name; the rest are "other". */
enum stats_qtype {
	ST_QT_A, ST_QT_AAAA, ST_QT_SRV, ST_QT_PTR, ST_QT_TXT, ST_QT_SOA, ST_QT_NS, ST_QT_CNAME,
	ST_QT_ANY, ST_QT_AXFR, ST_QT_IXFR, ST_QT_OTHER, ST_QT_N
};

/* Every other counter. Add a name here and in stats.c's table. */
enum stats_counter {
	ST_QUERIES_UDP, ST_QUERIES_TCP,
	ST_CACHE_HITS, ST_CACHE_MISSES,
	ST_UPDATES_OK, ST_UPDATES_REFUSED, ST_UPDATES_FAILED, /* result of each UPDATE */
	ST_REGISTRATIONS, ST_RENEWALS, ST_DEREGISTRATIONS, ST_EXPIRATIONS,
	ST_COMMITS, ST_NOTIFY_SENT, ST_NOTIFY_ACKED, ST_XFR_AXFR, ST_XFR_IXFR, ST_XFR_REFUSED,
	ST_FORWARDED, ST_FORWARD_FAILED,
	/* the health checker: runs, their results, and the instances
	 * deregistered by deregister-critical-after */
	ST_CHECKS_RUN, ST_CHECKS_PASSING, ST_CHECKS_WARNING, ST_CHECKS_CRITICAL,
	ST_CHECK_DEREGISTERED,
	/* refusals and limits that bit (issue 17): updates answered before
	 * queueing, refused for a full queue or a client's in-flight limit,
	 * unsigned ones dropped, adds refused past the store's high-water
	 * mark; TCP connections cut for a slow message, refused by the
	 * per-client or the global cap, accept backoffs (fd limit);
	 * transfers cut (send timeout, total time, snapshot bound) and
	 * refused by the transfer caps; TSIG replays, truncated MACs. They
	 * stay together, from ST_LIMITS_FIRST to ST_LIMITS_LAST: the limits
	 * report and /metrics list them by that range. */
	ST_UPDATES_ADMIT_REFUSED, ST_UPDATES_QUEUE_FULL, ST_UPDATES_CLIENT_LIMIT,
	ST_UPDATES_DROPPED, ST_UPDATES_STORE_HIGH,
	ST_TCP_SLOW_CUT, ST_TCP_CLIENT_LIMIT, ST_TCP_OVER_CAP, ST_TCP_ACCEPT_BACKOFF,
	ST_XFR_CUT, ST_XFR_LIMIT, ST_TSIG_REPLAY, ST_TSIG_BADTRUNC,
	ST_RRL_DROPPED, ST_RRL_SLIPPED, /* UDP responses the rate limit held back */
	ST_COOKIE_REQUIRED,             /* short replies asking for a cookie (require-cookie) */
	ST_HTTP_REQUESTS, ST_HTTP_4XX, ST_HTTP_5XX, /* the HTTP listener's answers */
	ST_N,
	ST_LIMITS_FIRST = ST_UPDATES_ADMIT_REFUSED, ST_LIMITS_LAST = ST_COOKIE_REQUIRED
};

/* Commit latency buckets (seconds, upper bounds) for a histogram. */
#define STATS_COMMIT_BUCKETS 12
extern const double stats_commit_bounds[STATS_COMMIT_BUCKETS];

struct stats_block {
	uint64_t c[ST_N];
	uint64_t qtype[2][ST_QT_N];   /* [0] UDP, [1] TCP */
	uint64_t rcode[2][16];
	uint64_t commit_hist[STATS_COMMIT_BUCKETS + 1]; /* last: +Inf */
	uint64_t commit_us_sum;
} __attribute__((aligned(64)));

/* A block for the calling thread's module (never freed), or NULL when the
 * table is full (then count nothing: stats_add accepts NULL). */
struct stats_block *stats_block_new(void);

/* The calling thread's own block, taken at its first call (for code that
 * runs in many threads, such as TSIG checks and update admission); NULL
 * when the table is full. */
struct stats_block *stats_thread(void);

/* Count `n` of `c` (the owning thread only). */
static inline void
stats_add(struct stats_block *b, enum stats_counter c, uint64_t n)
{
	if (b != NULL)
		__atomic_store_n(&b->c[c], b->c[c] + n, __ATOMIC_RELAXED);
}

/* Count one answered query: transport (0 UDP, 1 TCP), its type, the rcode. */
void stats_query(struct stats_block *b, int tcp, uint16_t qtype, uint8_t rcode);
/* Count one commit that took `us` microseconds. */
void stats_commit(struct stats_block *b, uint64_t us);

/* The sum of every block. */
void stats_sum(struct stats_block *out);

/* UPDATEs by the key that signed them (updates_total{key=...}): the
 * writer alone counts, a scrape copies. Names are those of configured
 * keys (or "none", unsigned), so their number is the configuration's;
 * past STATS_KEYS_MAX they are counted under "other". */
#define STATS_KEYS_MAX 256
#define STATS_KEY_NAME_MAX 256
enum stats_result { ST_RES_OK, ST_RES_REFUSED, ST_RES_FAILED, ST_RES_N };
struct stats_key_count {
	char name[STATS_KEY_NAME_MAX];
	uint64_t n[ST_RES_N];
};
void stats_key_add(const char *name, enum stats_result res);
/* Copy up to `max` rows into `out`; returns how many there are. */
size_t stats_keys(struct stats_key_count *out, size_t max);

/* The last transfer each secondary took of each zone, for the status
 * page: STATS_XFRS_MAX rows, the oldest replaced first. Written by the
 * TCP loop at the end of a transfer, read by a page. */
#define STATS_XFRS_MAX 64
struct stats_xfr {
	char zone[STATS_KEY_NAME_MAX];
	char client[48];   /* the address, no port */
	uint16_t qtype;    /* RR_AXFR or RR_IXFR */
	uint32_t serial;   /* the serial it was brought to */
	uint32_t when;     /* wall-clock seconds */
};
void stats_xfr_done(const char *zone, const char *client, uint16_t qtype, uint32_t serial,
    uint32_t when);
/* Copy the rows (up to `max`) into `out`; returns how many were copied. */
size_t stats_xfrs(struct stats_xfr *out, size_t max);

/* Names for the exposition: "queries_udp", ... and "A", ..., "other". */
const char *stats_counter_name(enum stats_counter c);
const char *stats_qtype_name(enum stats_qtype t);

#endif
