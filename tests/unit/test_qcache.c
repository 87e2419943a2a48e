/* test_qcache.c -- the UDP workers' answer cache: hits carry the new ID,
 * and nothing is served across snapshots, after its second, or for a
 * request that differs in any byte */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "query/qcache.h"

#define NOW 1700000000u
#define SNAP 42

/* A request: ID, flags, counts and a question for name i. */
static size_t
request(uint8_t *b, uint16_t id, unsigned i)
{
	static const uint8_t hdr[] = { 0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(b, hdr, sizeof(hdr));
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	int n = snprintf((char *)b + 13, 20, "n%u", i);
	b[12] = (uint8_t)n;
	size_t o = 13 + (size_t)n;
	memcpy(b + o, "\4test\0\0\1\0\1", 10);
	return o + 10;
}

/* An answer to request i: the request with QR set and `extra` bytes of i. */
static size_t
answer(uint8_t *b, const uint8_t *req, size_t reqlen, unsigned i, size_t extra)
{
	memcpy(b, req, reqlen);
	b[2] |= 0x80;
	memset(b + reqlen, (int)(i & 0xff), extra);
	return reqlen + extra;
}

static void
test_hit_takes_the_new_id(void **state)
{
	(void)state;
	struct qcache *c = qcache_new(1 << 20);
	uint8_t q[64], a[128], out[512];
	size_t ql = request(q, 0x1234, 7), al = answer(a, q, ql, 7, 40);

	assert_non_null(c);
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW, out, sizeof(out)), 0);
	qcache_put(c, qcache_hash(q, ql), q, ql, SNAP, NOW + 10, a, al);
	request(q, 0xabcd, 7);
	qcache_prefetch(c, qcache_hash(q, ql));
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW + 9, out, sizeof(out)), al);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[1], 0xcd);
	assert_memory_equal(out + 2, a + 2, al - 2);

	uint64_t hits, misses;
	qcache_counts(c, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 1);
	qcache_free(c);
}

static void
test_misses(void **state)
{
	(void)state;
	struct qcache *c = qcache_new(1 << 20);
	uint8_t q[64], a[128], out[512];
	size_t ql = request(q, 1, 3), al = answer(a, q, ql, 3, 40);

	assert_non_null(c);
	qcache_put(c, qcache_hash(q, ql), q, ql, SNAP, NOW + 10, a, al);
	/* Another snapshot: a commit happened since. */
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP + 1, NOW, out, sizeof(out)), 0);
	/* The second at which a lease moves on. */
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW + 10, out, sizeof(out)), 0);
	/* Any byte after the ID differs: flags (RD), case, type. */
	q[2] ^= 0x01;
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW, out, sizeof(out)), 0);
	q[2] ^= 0x01;
	q[13] = 'N';
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW, out, sizeof(out)), 0);
	q[13] = 'n';
	q[ql - 3] = 16;
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW, out, sizeof(out)), 0);
	q[ql - 3] = 1;
	/* A longer request with the same start (an OPT record appended). */
	uint8_t q2[80];
	memcpy(q2, q, ql);
	memcpy(q2 + ql, "\0\0\51\4\320\0\0\0\0\0\0", 11);
	q2[11] = 1;
	size_t q2l = ql + 11;
	assert_int_equal(qcache_get(c, qcache_hash(q2, q2l), q2, q2l, SNAP, NOW, out, sizeof(out)), 0);
	/* No room for the answer in the caller's buffer. */
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW, out, al - 1), 0);
	/* And the entry itself is still good. */
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW, out, sizeof(out)), al);
	qcache_free(c);
}

static void
test_too_big_is_not_kept(void **state)
{
	(void)state;
	struct qcache *c = qcache_new(1 << 20);
	uint8_t q[64], a[512], out[512];
	size_t ql = request(q, 1, 5);
	size_t al = answer(a, q, ql, 5, QCACHE_ENTRY_DATA + 4 - ql - ql + 1); /* one byte over */

	assert_non_null(c);
	qcache_put(c, qcache_hash(q, ql), q, ql, SNAP, NOW + 10, a, al);
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW, out, sizeof(out)), 0);
	al--; /* exactly what fits */
	qcache_put(c, qcache_hash(q, ql), q, ql, SNAP, NOW + 10, a, al);
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW, out, sizeof(out)), al);
	/* until 0 would never be valid: not kept either. */
	uint8_t q3[64];
	size_t q3l = request(q3, 1, 6);
	qcache_put(c, qcache_hash(q3, q3l), q3, q3l, SNAP, 0, a, al);
	assert_int_equal(qcache_get(c, qcache_hash(q3, q3l), q3, q3l, SNAP, 0, out, sizeof(out)), 0);
	qcache_free(c);
}

/* A cache far smaller than the requests: entries are replaced all the
 * time, but a hit is always the answer to that very request. */
static void
test_small_cache_is_never_wrong(void **state)
{
	(void)state;
	struct qcache *c = qcache_new(4096);
	uint8_t q[64], a[128], out[512];
	unsigned hits = 0;

	assert_null(qcache_new(100)); /* not even one set */
	assert_non_null(c);
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned i = 0; i < 300; i++) {
			size_t ql = request(q, (uint16_t)i, i % 40);
			size_t n = qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW, out, sizeof(out));
			size_t al = answer(a, q, ql, i % 40, 20 + i % 40);
			if (n == 0) {
				qcache_put(c, qcache_hash(q, ql), q, ql, SNAP, NOW + 1, a, al);
				continue;
			}
			assert_int_equal(n, al);
			assert_memory_equal(out, a, al);
			hits++;
		}
	}
	assert_true(hits > 0);
	qcache_free(c);
}

/* The next name number from `from` whose request falls in set `set` of a
 * 4 KiB cache (8 sets: the set is the hash's low 3 bits). */
static unsigned
in_set(unsigned set, unsigned from)
{
	uint8_t q[64];
	for (unsigned i = from;; i++)
		if ((qcache_hash(q, request(q, 1, i)) & 7) == set)
			return i;
}

/* A request whose answer ran out of time is stored again in its own way,
 * not in the set's other one: one request never fills both. */
static void
test_refill_keeps_one_way(void **state)
{
	(void)state;
	struct qcache *c = qcache_new(4096);
	uint8_t q[64], a[128], out[512];
	size_t ql, al;

	assert_non_null(c);
	/* Three requests in set 0 leave the next replacement to way 1. */
	for (unsigned k = 0, i = 0; k < 3; k++, i++) {
		i = in_set(0, i);
		ql = request(q, 1, i);
		al = answer(a, q, ql, i, 20);
		qcache_put(c, qcache_hash(q, ql), q, ql, SNAP, NOW + 10, a, al);
	}
	unsigned ra = in_set(1, 0), rb = in_set(1, ra + 1);
	uint8_t qa[64];
	size_t qal = request(qa, 1, ra), aal = answer(a, qa, qal, ra, 20);
	qcache_put(c, qcache_hash(qa, qal), qa, qal, SNAP, NOW + 1, a, aal);
	/* At NOW + 1 it has run out: answered again and stored again. */
	assert_int_equal(qcache_get(c, qcache_hash(qa, qal), qa, qal, SNAP, NOW + 1, out, sizeof(out)), 0);
	qcache_put(c, qcache_hash(qa, qal), qa, qal, SNAP, NOW + 10, a, aal);
	/* Another request of the same set takes the free way, not this one. */
	ql = request(q, 1, rb);
	al = answer(a, q, ql, rb, 20);
	qcache_put(c, qcache_hash(q, ql), q, ql, SNAP, NOW + 10, a, al);
	assert_int_equal(qcache_get(c, qcache_hash(qa, qal), qa, qal, SNAP, NOW + 1, out, sizeof(out)),
	    aal);
	assert_int_equal(qcache_get(c, qcache_hash(q, ql), q, ql, SNAP, NOW + 1, out, sizeof(out)), al);
	qcache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_takes_the_new_id),
		cmocka_unit_test(test_misses),
		cmocka_unit_test(test_too_big_is_not_kept),
		cmocka_unit_test(test_small_cache_is_never_wrong),
		cmocka_unit_test(test_refill_keeps_one_way),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
