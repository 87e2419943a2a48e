/* qcache.h -- a UDP worker's cache of finished answers
 *
 * Most of what a UDP query costs dnsd itself, rather than the kernel, is
 * looking up nodes in the LMDB B-tree and writing the answer: for a whole
 * SRV RRset with its addresses, tens of thousands of instructions. The
 * answer's body (header, question, records) depends only on the question
 * and a few bits of the request, which make the key (query_cache_key():
 * the name lower-cased, type, class, RD and CD, the size the body may
 * take), and on the store snapshot and the clock, which decide how long
 * it holds (query_info.stable_until). The cache keeps bodies by key; on a
 * hit the worker copies the body and writes what belongs to the one
 * request over and after it (ID, the question name's case, the OPT with
 * its cookie: query_finish_cached()). So IDs, cookies, padding, the
 * question's case and the DO bit do not split the cache.
 *
 * Any commit takes a new snapshot and so retires every entry at once;
 * nothing is ever served from an older snapshot than the query path would
 * read, nor past the second its answer changes.
 *
 * One cache per worker thread, without locks. It never allocates after
 * qcache_new(); its memory is touched only as entries are filled.
 */
#ifndef DNSD_QUERY_QCACHE_H
#define DNSD_QUERY_QCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

struct qcache;

/* The largest body one entry holds; bigger ones are not cached (they are
 * answered as usual). UDP answers are at most edns-max (1232) bytes. */
#define QCACHE_BODY_MAX 4096

/* A key: type, class, flags, size limit, name length, then the name. */
#define QCACHE_KEY_MAX (9 + WIRE_NAME_MAX)
struct qcache_key {
	uint64_t hash;
	uint64_t name_hash; /* of the name and type alone (for rate limits) */
	uint16_t len;
	uint8_t b[QCACHE_KEY_MAX + 7]; /* room to write whole words */
};

/* Make the key of a question (`name`, `name_len` bytes of uncompressed
 * wire form, in any case) asked with `flags` (the request's RD and CD
 * bits) whose body may take `limit` bytes. */
void qcache_key_make(struct qcache_key *k, const uint8_t *name, size_t name_len, uint16_t qtype,
    uint16_t qclass, uint16_t flags, uint16_t limit);

/*
 * A cache of about `bytes`: an eighth for the index (sets of four slots
 * in a cache line), the rest a ring the bodies are written into one after
 * the other, the oldest overwritten first; an entry takes its body's size
 * and about 50 bytes. Returns NULL when `bytes` is below 4 KiB or memory
 * is short.
 */
struct qcache *qcache_new(size_t bytes);
void qcache_free(struct qcache *c);

/*
 * Start loading the set a key may be in. A worker calls it for every
 * request of a batch before answering the first, so that the memory reads
 * of all its lookups overlap instead of waiting one by one.
 */
void qcache_prefetch(const struct qcache *c, const struct qcache_key *k);

/*
 * The body cached under `k` for snapshot `snap` at second `now`, copied
 * to `out` (capacity `outmax`); returns its length, or 0 on a miss (`out`
 * may then hold anything).
 */
size_t qcache_get(struct qcache *c, const struct qcache_key *k, uint64_t snap, uint32_t now,
    uint8_t *out, size_t outmax);

/*
 * Remember `body` (`len` bytes) under `k` in snapshot `snap`, answered at
 * second `now` and valid while the clock reads at least that and less
 * than `until`. A body over QCACHE_BODY_MAX is skipped. The caller
 * decides what may be cached (query_cacheable).
 */
void qcache_put(struct qcache *c, const struct qcache_key *k, uint64_t snap, uint32_t now,
    uint32_t until, const uint8_t *body, size_t len);

/* Lookups answered and missed since qcache_new (for tests and logs). */
void qcache_counts(const struct qcache *c, uint64_t *hits, uint64_t *misses);

#endif
