/* qcache.h -- a UDP worker's cache of finished answers
 *
 * Most of what a UDP query costs dnsd itself, rather than the kernel, is
 * looking up nodes in the LMDB B-tree and writing the answer. A client
 * that asks the same question again, with the same header flags and EDNS,
 * gets the same bytes back as long as the store snapshot is the same and
 * no lease has moved on (query_info.stable_until). The cache keeps such
 * answers, keyed by every byte of the request after the ID, and on a hit
 * copies the answer with the new ID. Any commit takes a new snapshot and
 * so retires every entry at once; nothing is ever served from an older
 * snapshot than the query path would read.
 *
 * One cache per worker thread, without locks. It never allocates after
 * qcache_new(); its memory is touched only as entries are filled.
 */
#ifndef DNSD_QUERY_QCACHE_H
#define DNSD_QUERY_QCACHE_H

#include <stddef.h>
#include <stdint.h>

struct qcache;

/* The largest request plus answer one entry holds; bigger ones are not
 * cached (they are answered as usual). */
#define QCACHE_ENTRY_DATA 236

/*
 * A cache of about `bytes` (rounded down to a power-of-two number of
 * entries; at least two entries). Returns NULL when `bytes` is too small
 * for that or memory is short.
 */
struct qcache *qcache_new(size_t bytes);
void qcache_free(struct qcache *c);

/* The hash of request `in` (its bytes after the ID) that the calls
 * below take, so that a request is hashed once. */
uint64_t qcache_hash(const uint8_t *in, size_t inlen);

/*
 * Start loading the entries that a request of hash `h` may be in. A
 * worker calls it for every request of a batch before answering the
 * first, so that the memory reads of all its lookups overlap instead of
 * waiting one by one.
 */
void qcache_prefetch(const struct qcache *c, uint64_t h);

/*
 * The cached answer to request `in` (of hash `h`) for snapshot `snap` at
 * second `now`, written to `out` with the request's ID; returns its
 * length, or 0 on a miss (`out` is then untouched).
 */
size_t qcache_get(struct qcache *c, uint64_t h, const uint8_t *in, size_t inlen, uint64_t snap,
    uint32_t now, uint8_t *out, size_t outmax);

/*
 * Remember `ans` as the answer to `in` (of hash `h`) in snapshot `snap`,
 * valid while the clock reads less than `until`. Requests and answers
 * that do not fit an entry are skipped. The caller decides what may be
 * cached: only plain QUERY answers that do not depend on who asked or on
 * a signature.
 */
void qcache_put(struct qcache *c, uint64_t h, const uint8_t *in, size_t inlen, uint64_t snap,
    uint32_t until, const uint8_t *ans, size_t anslen);

/* Lookups answered and missed since qcache_new (for tests and logs). */
void qcache_counts(const struct qcache *c, uint64_t *hits, uint64_t *misses);

#endif
