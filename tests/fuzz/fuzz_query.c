/* fuzz_query.c -- query_answer() on arbitrary bytes, over "UDP" and "TCP";
 * the short parser reads every input as the general one does; and every
 * UDP answer also goes through a worker's path with its answer cache
 * (respond.h), which must give another request with the same cache key
 * (another ID, the question's case changed, the DO bit, another cookie)
 * what the same path without a cache gives it, at any second before the
 * first answer's stable_until */
#include "config.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "node/node.h"
#include "query/qcache.h"
#include "query/respond.h"
#include "testzone.h"

#define T0 1000u /* the clock of the first query */

static struct testzone tz;
static struct respond cached, fresh; /* the worker's path with and without a cache */
static struct cookie_gen *cookies;
static struct sockaddr_in peer;
static int ready;

static void
teardown(void)
{
	qcache_free(cached.cache);
	cookie_gen_free(cookies);
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

static void
setup(void)
{
	static const uint8_t master[COOKIE_SECRET_LEN] = { 7 };
	struct testzone_src src = { "svc.example.test", fuzz_zone };
	if (testzone_open_conf(&tz, "nsid \"fuzz-1\";\nversion \"dnsd fuzz\";\n", NULL, &src, 1,
	        T0) != 0)
		abort();
	add_leases();
	if (cookie_gen_new(master, 3600, &cookies) != 0)
		abort();
	query_ctx_configure(&tz.ctx, &tz.conf);
	tz.ctx.cookies = cookies;
	cached = (struct respond){ .q = tz.ctx, .conf = &tz.conf, .snap = 1 };
	fresh = cached;
	if ((cached.cache = qcache_new(64 << 10)) == NULL)
		abort();
	peer.sin_family = AF_INET;
	peer.sin_port = htons(5300);
	peer.sin_addr.s_addr = htonl(0xc0000201);
	atexit(teardown);
	ready = 1;
}

/* Both parsers read `data` alike: the same result, the same fields. */
static void
check_parsers(const uint8_t *data, size_t size)
{
	struct query_req a, b;
	uint8_t ra = 0, rb = 0;
	int pa = query_parse(data, size, &a, &ra), pb = query_parse_general(data, size, &b, &rb);
	if (pa != pb || ra != rb)
		abort();
	if (pa != 0)
		return;
	if (memcmp(&a, &b, offsetof(struct query_req, qname)) != 0 ||
	    memcmp(a.qname, b.qname, a.qname_len) != 0 || memcmp(a.cookie, b.cookie, a.cookie_len) != 0)
		abort();
}

/* The same request with another ID, its question name's letters in
 * another case (where `seed` has bits set), the DO bit flipped. Returns
 * false if `in` has no plain question to change. */
static bool
variant(const uint8_t *in, size_t len, uint8_t *out, uint8_t seed)
{
	struct query_req r;
	if (len > 600 || query_parse(in, len, &r, NULL) != 0 || r.compressed || r.qdcount != 1)
		return false;
	memcpy(out, in, len);
	out[0] ^= 0x5a;
	out[1] ^= seed;
	for (size_t i = 0; i < r.qname_len; i++) {
		uint8_t *c = &out[WIRE_HDR_LEN + i];
		if (((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z') && (seed >> (i % 8) & 1))
			*c ^= 0x20;
	}
	/* The DO bit: in the OPT's TTL, if the OPT is the last record. */
	if (r.edns && !r.has_tsig && len >= r.question_end + 11 && out[r.question_end] == 0 &&
	    wire_get16(out + r.question_end + 1) == RR_OPT)
		out[r.question_end + 7] ^= 0x80;
	return true;
}

/* The reply of path `r` to `in` at `now`. */
static size_t
respond(struct respond *r, const uint8_t *in, size_t len, uint8_t *out, size_t max, uint32_t now)
{
	struct respond_req rq;
	const struct sockaddr *p = (const struct sockaddr *)&peer;
	respond_prepare(r, &rq, p, in, len, now);
	return respond_answer(r, &rq, p, in, len, out, max, now);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535], again[65535], cached_out[65535], other[600];
	if (!ready)
		setup();
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
	if (n > 0 && !tcp && (out[2] & (WIRE_TC >> 8)) &&
	    (wire_get16(out + 6) != 0 || wire_get16(out + 8) != 0))
		abort(); /* a truncated UDP answer carries no records */
	check_parsers(data, size);

	/* The worker's path, as a UDP worker uses it (whatever the transport
	 * above): what the cache gives back later in the same snapshot, for
	 * this request or a variant of it, is what a fresh answer would be. */
	n = respond(&cached, data, size, out, sizeof(out), now);
	struct query_req r;
	if (n == 0 || query_parse(data, size, &r, NULL) != 0)
		return 0;
	n = query_answer_from(&tz.ctx, (const struct sockaddr *)&peer, data, size, again,
	    sizeof(again), false, now, &info);
	if (!query_cacheable(&info))
		return 0;
	if (info.stable_until <= now)
		abort();
	uint32_t later = info.stable_until - now > 3 ? now + 3 : info.stable_until - 1;
	const uint8_t *ask = data;
	size_t asklen = size;
	if (size > 1 && (data[size - 2] & 1) && variant(data, size, other, data[size - 2])) {
		ask = other;
		asklen = size;
	}
	size_t c = respond(&cached, ask, asklen, cached_out, sizeof(cached_out), later);
	size_t m = respond(&fresh, ask, asklen, again, sizeof(again), later);
	if (c != m || memcmp(cached_out, again, m) != 0)
		abort();
	return 0;
}
