/* test_stats.c -- counter blocks summed by a scrape, the per-key update
 * table and the last-transfer table: their sums, their bounds, and what
 * they drop when full */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stats/stats.h"
#include "wire/wire.h"

static void
test_sum_of_blocks(void **state)
{
	(void)state;
	struct stats_block before, after;
	stats_sum(&before);
	struct stats_block *a = stats_block_new(), *b = stats_block_new();
	assert_non_null(a);
	assert_non_null(b);
	stats_add(a, ST_UPDATES_OK, 3);
	stats_add(b, ST_UPDATES_OK, 4);
	stats_query(a, 0, RR_SRV, 0);
	stats_query(b, 1, RR_AAAA, 3);
	stats_query(b, 1, 65280, 0); /* a type without a name of its own */
	stats_add(NULL, ST_UPDATES_OK, 100); /* no block: nothing counted */
	stats_sum(&after);
	assert_int_equal(after.c[ST_UPDATES_OK] - before.c[ST_UPDATES_OK], 7);
	assert_int_equal(after.c[ST_QUERIES_UDP] - before.c[ST_QUERIES_UDP], 1);
	assert_int_equal(after.c[ST_QUERIES_TCP] - before.c[ST_QUERIES_TCP], 2);
	assert_int_equal(after.qtype[0][ST_QT_SRV] - before.qtype[0][ST_QT_SRV], 1);
	assert_int_equal(after.qtype[1][ST_QT_AAAA] - before.qtype[1][ST_QT_AAAA], 1);
	assert_int_equal(after.qtype[1][ST_QT_OTHER] - before.qtype[1][ST_QT_OTHER], 1);
	assert_int_equal(after.rcode[1][3] - before.rcode[1][3], 1);
}

static void
test_limits_are_a_range(void **state)
{
	(void)state;
	/* The exit report and /metrics walk ST_LIMITS_FIRST..LAST: each has
	 * a name of its own. */
	for (int c = ST_LIMITS_FIRST; c <= ST_LIMITS_LAST; c++)
		assert_string_not_equal(stats_counter_name((enum stats_counter)c), "unknown");
	assert_true(ST_LIMITS_LAST < ST_N);
}

static const struct stats_key_count *
find_key(const struct stats_key_count *k, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(k[i].name, name) == 0)
			return &k[i];
	return NULL;
}

static void
test_keys_bounded(void **state)
{
	(void)state;
	struct stats_key_count *k = calloc(STATS_KEYS_MAX + 1, sizeof(*k));
	assert_non_null(k);
	stats_key_add("registrar", ST_RES_OK);
	stats_key_add("registrar", ST_RES_OK);
	stats_key_add("registrar", ST_RES_REFUSED);
	/* more names than the table has rows: the rest go to "other" */
	char name[32];
	for (int i = 0; i < STATS_KEYS_MAX + 50; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		stats_key_add(name, ST_RES_FAILED);
	}
	size_t n = stats_keys(k, STATS_KEYS_MAX + 1);
	assert_int_equal(n, STATS_KEYS_MAX);
	const struct stats_key_count *r = find_key(k, n, "registrar");
	assert_non_null(r);
	assert_int_equal(r->n[ST_RES_OK], 2);
	assert_int_equal(r->n[ST_RES_REFUSED], 1);
	assert_int_equal(r->n[ST_RES_FAILED], 0);
	const struct stats_key_count *o = find_key(k, n, "other");
	assert_non_null(o);
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += k[i].n[ST_RES_FAILED];
	assert_int_equal(total, STATS_KEYS_MAX + 50); /* nothing lost, only merged */
	free(k);
}

static void
test_xfrs_keep_the_latest(void **state)
{
	(void)state;
	struct stats_xfr *x = calloc(STATS_XFRS_MAX, sizeof(*x));
	assert_non_null(x);
	stats_xfr_done("a.test.", "192.0.2.1", RR_AXFR, 10, 1000);
	stats_xfr_done("a.test.", "192.0.2.1", RR_IXFR, 11, 1005); /* replaces the row */
	assert_int_equal(stats_xfrs(x, STATS_XFRS_MAX), 1);
	assert_int_equal(x[0].serial, 11);
	assert_int_equal(x[0].qtype, RR_IXFR);
	/* a full table replaces its oldest row */
	char client[32];
	for (int i = 0; i < STATS_XFRS_MAX; i++) {
		snprintf(client, sizeof(client), "198.51.100.%d", i);
		stats_xfr_done("b.test.", client, RR_AXFR, 1, 2000 + (uint32_t)i);
	}
	size_t n = stats_xfrs(x, STATS_XFRS_MAX);
	assert_int_equal(n, STATS_XFRS_MAX);
	bool a_left = false, newest = false;
	for (size_t i = 0; i < n; i++) {
		a_left |= strcmp(x[i].zone, "a.test.") == 0;
		newest |= strcmp(x[i].client, "198.51.100.63") == 0;
	}
	assert_false(a_left); /* the oldest (when 1005) went */
	assert_true(newest);
	free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sum_of_blocks),
		cmocka_unit_test(test_limits_are_a_range),
		cmocka_unit_test(test_keys_bounded),
		cmocka_unit_test(test_xfrs_keep_the_latest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
