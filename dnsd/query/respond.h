/* respond.h -- one UDP request, as a worker answers it: the cookie
 * checked, the answer cache asked, the answer planned on a miss, a
 * cookie required where the configuration says so, the rate limit
 * applied, and every query counted
 *
 * No sockets: the worker (net/udp.c) reads a batch, calls
 * respond_prepare() on every request of it (which parses each and starts
 * loading its cache set, so the loads overlap), then respond_answer() on
 * each, and sends what it returns. The unit tests and tools/bench/qmeter
 * drive it the same way.
 */
#ifndef DNSD_QUERY_RESPOND_H
#define DNSD_QUERY_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "query/qcache.h"
#include "query/query.h"

struct conf;
struct rrl;
struct stats_block;

/* A worker's state for answering: set up by the worker, which renews
 * q.txn and `snap` once per batch. */
struct respond {
	struct query_ctx q;          /* query_ctx_configure'd, with the txn */
	const struct conf *conf;     /* require-cookie, rate-limit settings */
	struct qcache *cache;        /* NULL: none */
	struct rrl *rrl;             /* shared by the workers; NULL: no limits */
	struct stats_block *stats;   /* NULL: nothing counted */
	uint64_t snap;               /* respond_snapshot() of the batch */
};

/* One request of a batch between the two steps. */
struct respond_req {
	struct query_info info;      /* info.req: the parsed request */
	int prc;                     /* what query_parse returned */
	uint8_t prcode;
	bool keyed;                  /* `key` is its cache key */
	struct query_extra x;        /* its cookie, checked */
	struct qcache_key key;
};

/* What the cache's entries are valid for: the store snapshot `snap` of
 * the transaction and the configuration's `generation` (a reload may
 * change zones or settings without a commit). */
uint64_t respond_snapshot(uint64_t snap, unsigned generation);

/* Step 1: parse request `in` (`len` bytes) from `peer`, check its cookie
 * at `now` and start loading its cache set. */
void respond_prepare(struct respond *r, struct respond_req *rq, const struct sockaddr *peer,
    const uint8_t *in, size_t len, uint32_t now);

/*
 * Step 2: the reply to the prepared request, written to `out` (capacity
 * `outmax`, at least 512): its length, or 0 to send nothing (dropped
 * garbage, a rate limit, or rq->info.action QUERY_UPDATE or QUERY_FORWARD,
 * which the caller hands on).
 */
size_t respond_answer(struct respond *r, struct respond_req *rq, const struct sockaddr *peer,
    const uint8_t *in, size_t len, uint8_t *out, size_t outmax, uint32_t now);

#endif
