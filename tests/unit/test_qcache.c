/* test_qcache.c -- the UDP workers' answer cache: a key is what decides
 * the answer (the name in any case, type, class, flags, size limit), a
 * hit gives back the body as it was put, and nothing is served across
 * snapshots, after its second, for another key, or from a part of the
 * ring written over since */
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
#define RD 0x0100

/* The key of "<label>.test" type A, class IN, RD, limit 1232. */
static void
key_of(struct qcache_key *k, const char *label, uint16_t type, uint16_t flags, uint16_t limit)
{
	uint8_t name[64];
	size_t n = strlen(label);
	name[0] = (uint8_t)n;
	memcpy(name + 1, label, n);
	memcpy(name + 1 + n, "\4test", 6);
	qcache_key_make(k, name, n + 7, type, 1, flags, limit);
}

/* A body of `len` bytes for entry i. */
static void
body_of(uint8_t *b, unsigned i, size_t len)
{
	for (size_t j = 0; j < len; j++)
		b[j] = (uint8_t)(i * 7 + j);
}

static void
test_key(void **state)
{
	(void)state;
	struct qcache_key a, b;
	key_of(&a, "Web-1", 1, RD, 1232);
	key_of(&b, "wEB-1", 1, RD, 1232);
	/* Case does not count: a 0x20 resolver's queries share one entry. */
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.b, b.b, a.len);
	assert_true(a.hash == b.hash && a.name_hash == b.name_hash);
	assert_memory_equal(a.b + 9, "\5web-1\4test", 12);
	/* Everything else does; the rate limit's name hash only counts the
	 * name and the type. */
	key_of(&b, "web-2", 1, RD, 1232);
	assert_true(a.hash != b.hash && a.name_hash != b.name_hash);
	key_of(&b, "web-1", 28, RD, 1232);
	assert_true(a.hash != b.hash && a.name_hash != b.name_hash);
	key_of(&b, "web-1", 1, 0, 1232);
	assert_true(a.hash != b.hash && a.name_hash == b.name_hash);
	key_of(&b, "web-1", 1, RD, 512);
	assert_true(a.hash != b.hash && a.name_hash == b.name_hash);
	assert_memory_not_equal(a.b, b.b, a.len);
}

static void
test_hit_and_misses(void **state)
{
	(void)state;
	struct qcache *c = qcache_new(1 << 20);
	struct qcache_key k, other;
	uint8_t body[1200], out[1500];
	assert_non_null(c);
	key_of(&k, "n1", 33, RD, 1232);
	body_of(body, 1, sizeof(body));
	assert_int_equal(qcache_get(c, &k, SNAP, NOW, out, sizeof(out)), 0);
	qcache_put(c, &k, SNAP, NOW, NOW + 10, body, sizeof(body));
	qcache_prefetch(c, &k);
	/* Bodies up to the size of a UDP answer. */
	assert_int_equal(qcache_get(c, &k, SNAP, NOW + 9, out, sizeof(out)), sizeof(body));
	assert_memory_equal(out, body, sizeof(body));
	/* Another snapshot: a commit happened since. */
	assert_int_equal(qcache_get(c, &k, SNAP + 1, NOW, out, sizeof(out)), 0);
	/* The second at which a lease moves on. */
	assert_int_equal(qcache_get(c, &k, SNAP, NOW + 10, out, sizeof(out)), 0);
	/* A second before it was answered (the clock was set back). */
	assert_int_equal(qcache_get(c, &k, SNAP, NOW - 1, out, sizeof(out)), 0);
	/* Another key. */
	key_of(&other, "n1", 33, RD, 1200);
	assert_int_equal(qcache_get(c, &other, SNAP, NOW, out, sizeof(out)), 0);
	/* No room in the caller's buffer. */
	assert_int_equal(qcache_get(c, &k, SNAP, NOW, out, sizeof(body) - 1), 0);
	/* And the entry itself is still good. */
	assert_int_equal(qcache_get(c, &k, SNAP, NOW, out, sizeof(out)), sizeof(body));

	uint64_t hits, misses;
	qcache_counts(c, &hits, &misses);
	assert_int_equal(hits, 2);
	assert_int_equal(misses, 6);
	qcache_free(c);
}

static void
test_not_kept(void **state)
{
	(void)state;
	struct qcache *c = qcache_new(1 << 20);
	struct qcache_key k;
	static uint8_t body[QCACHE_BODY_MAX + 1], out[QCACHE_BODY_MAX + 1];
	assert_non_null(c);
	assert_null(qcache_new(1000)); /* too small to be of use */
	key_of(&k, "big", 16, RD, 65000);
	body_of(body, 3, sizeof(body));
	qcache_put(c, &k, SNAP, NOW, NOW + 10, body, sizeof(body)); /* one byte over */
	assert_int_equal(qcache_get(c, &k, SNAP, NOW, out, sizeof(out)), 0);
	qcache_put(c, &k, SNAP, NOW, NOW + 10, body, QCACHE_BODY_MAX); /* what fits */
	assert_int_equal(qcache_get(c, &k, SNAP, NOW, out, sizeof(out)), QCACHE_BODY_MAX);
	/* until 0 would never be valid: not kept either. */
	key_of(&k, "zero", 16, RD, 1232);
	qcache_put(c, &k, SNAP, 0, 0, body, 100);
	assert_int_equal(qcache_get(c, &k, SNAP, 0, out, sizeof(out)), 0);
	qcache_free(c);
}

/* A cache far smaller than what is put in it: the ring is written over
 * many times, entries are replaced all the time, but a hit is always the
 * body put under that very key. */
static void
test_small_cache_is_never_wrong(void **state)
{
	(void)state;
	struct qcache *c = qcache_new(64 << 10);
	uint8_t body[1300], out[1500];
	unsigned hits = 0, misses = 0;
	assert_non_null(c);
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned i = 0; i < 2000; i++) {
			struct qcache_key k;
			char label[16];
			/* 40 keys asked often, 400 now and then */
			unsigned id = i % 2 == 0 ? i / 2 % 40 : 40 + i / 2 % 400;
			size_t len = 20 + id * 37 % 1200;
			snprintf(label, sizeof(label), "n%u", id);
			key_of(&k, label, 1, RD, 1232);
			size_t n = qcache_get(c, &k, SNAP, NOW, out, sizeof(out));
			body_of(body, id, len);
			if (n == 0) {
				misses++;
				qcache_put(c, &k, SNAP, NOW, NOW + 1, body, len);
				continue;
			}
			assert_int_equal(n, len);
			assert_memory_equal(out, body, len);
			hits++;
		}
	}
	/* 440 bodies of 620 bytes on average do not fit 60 KiB: both. */
	assert_true(hits > 0);
	assert_true(misses > 300);
	qcache_free(c);
}

/* Putting a key again (its answer ran out of time) replaces its own slot:
 * a key never takes up two, and the others of its set stay. */
static void
test_refill_keeps_one_slot(void **state)
{
	(void)state;
	struct qcache *c = qcache_new(64 << 10);
	uint8_t body[64], out[128];
	assert_non_null(c);
	/* Four keys of one set: 64 KiB has 64 sets, chosen by the hash's
	 * low six bits. */
	struct qcache_key first, k;
	key_of(&first, "s0", 1, RD, 1232);
	struct qcache_key same[3];
	unsigned found = 0;
	for (unsigned i = 1; found < 3 && i < 100000; i++) {
		char label[16];
		snprintf(label, sizeof(label), "s%u", i);
		key_of(&k, label, 1, RD, 1232);
		if (((k.hash ^ first.hash) & 0x3f) == 0)
			same[found++] = k;
	}
	assert_int_equal(found, 3);
	body_of(body, 0, sizeof(body));
	qcache_put(c, &first, SNAP, NOW, NOW + 1, body, sizeof(body));
	for (unsigned i = 0; i < 3; i++)
		qcache_put(c, &same[i], SNAP, NOW, NOW + 10, body, sizeof(body));
	/* The first runs out at NOW + 1 and is put again, five times. */
	for (unsigned r = 0; r < 5; r++)
		qcache_put(c, &first, SNAP, NOW, NOW + 10 + r, body, sizeof(body));
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(qcache_get(c, &same[i], SNAP, NOW + 1, out, sizeof(out)),
		    sizeof(body));
	assert_int_equal(qcache_get(c, &first, SNAP, NOW + 13, out, sizeof(out)), sizeof(body));
	assert_int_equal(qcache_get(c, &first, SNAP, NOW + 14, out, sizeof(out)), 0);
	qcache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_hit_and_misses),
		cmocka_unit_test(test_not_kept),
		cmocka_unit_test(test_small_cache_is_never_wrong),
		cmocka_unit_test(test_refill_keeps_one_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
