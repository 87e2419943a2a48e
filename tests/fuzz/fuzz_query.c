/* fuzz_query.c -- query_answer() on arbitrary bytes, over "UDP" and "TCP";
 * every UDP answer also goes through the answer cache, which must give
 * back what query_answer gives at any second before stable_until */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "node/node.h"
#include "query/qcache.h"
#include "testzone.h"

#define T0 1000u /* the clock of the first query */

static struct testzone tz;
static struct qcache *qc;
static int ready;

static void
teardown(void)
{
	qcache_free(qc);
	testzone_close(&tz);
}

/* Leases whose deadlines and TTL countdowns fall within the seconds the
 * inputs are answered at (T0 to T0 + 7). */
static void
add_leases(void)
{
	static const uint8_t a[4] = { 10, 0, 0, 9 };
	if (testzone_add(&tz, "dyn.svc.example.test", RR_A, 3, T0 + 6, true, a, 4) != 0 ||
	    testzone_add(&tz, "web-1.svc.example.test", RR_A, 60, T0 + 3, true, a, 4) != 0 ||
	    testzone_add(&tz, "web-1.svc.example.test", RR_TXT, 60, T0 + 30, true, "\3abc", 4) != 0 ||
	    testzone_add(&tz, "x.wild.svc.example.test", RR_A, 1, T0 + 12, true, a, 4) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535], again[65535], cached[65535];
	if (!ready) {
		struct testzone_src src = { "svc.example.test", fuzz_zone };
		if (testzone_open(&tz, &src, 1, T0) != 0)
			abort();
		add_leases();
		if ((qc = qcache_new(64 << 10)) == NULL)
			abort();
		atexit(teardown);
		ready = 1;
	}
	struct query_info info;
	/* The last byte picks the transport and the buffer size. */
	int tcp = size > 0 && (data[size - 1] & 1);
	size_t max = tcp ? sizeof(out) : 512 + (size > 0 ? (size_t)data[size - 1] * 4 : 0);
	uint32_t now = T0 + (uint32_t)(size & 7);
	size_t n = query_answer(&tz.ctx, data, size, out, max, tcp, now, &info);
	if (n > max)
		abort();
	if (n > 0 && (n < 12 || out[0] != data[0] || out[1] != data[1]))
		abort(); /* every answer echoes the ID */
	/* The answer cache, as a UDP worker uses it (whatever the transport
	 * above): what it gives back later in the same snapshot is what a
	 * fresh answer would be. */
	n = query_answer(&tz.ctx, data, size, out, sizeof(out), false, now, &info);
	if (n == 0 || !query_cacheable(&info))
		return 0;
	if (info.stable_until <= now)
		abort();
	qcache_put(qc, qcache_hash(data, size), data, size, 1, info.stable_until, out, n);
	uint32_t later = info.stable_until - now > 3 ? now + 3 : info.stable_until - 1;
	size_t c = qcache_get(qc, qcache_hash(data, size), data, size, 1, later, cached, sizeof(cached));
	if (c == 0)
		return 0; /* too big to keep */
	struct query_info info2;
	size_t m = query_answer(&tz.ctx, data, size, again, sizeof(again), false, later, &info2);
	if (c != m || memcmp(cached, again, m) != 0)
		abort();
	return 0;
}
