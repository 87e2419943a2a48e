/* test_respond.c -- one UDP request as a worker answers it (respond.h):
 * the answer cache serves what a fresh answer would be to any request
 * with the same key (another ID, letter case, cookie, DO), cookies are
 * checked and made, require-cookie asks for them, the rate limit holds
 * back a flood, NSID and the CHAOS answers follow their settings, and
 * every query is counted */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cookie/cookie.h"
#include "query/respond.h"
#include "rrl/rrl.h"
#include "stats/stats.h"
#include "testzone.h"
#include "wire/wire.h"

#define NOW 1700000000u

static const char zone[] =
	"$ORIGIN svc.example.test.\n"
	"$TTL 300\n"
	"@ IN SOA ns1 hostmaster 1 3600 600 1209600 60\n"
	"  IN NS ns1\n"
	"ns1 IN A 127.0.0.1\n"
	"web-1 IN A 10.0.0.5\n"
	"web-2 IN A 10.0.0.6\n"
	"_http._tcp IN SRV 10 60 8080 web-1\n"
	"_http._tcp IN SRV 10 40 8080 web-2\n"
	"big IN TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big IN TXT \"1123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big IN TXT \"2123456789012345678901234567890123456789012345678901234567890123456789\"\n";

struct fixture {
	struct testzone tz;
	struct respond r;
	struct cookie_gen *cookies;
	struct sockaddr_in peer;
};

static int
open_with(void **state, const char *conf)
{
	struct fixture *f = calloc(1, sizeof(*f));
	static const uint8_t master[COOKIE_SECRET_LEN] = { 3 };
	struct testzone_src src = { "svc.example.test", zone };
	if (f == NULL || testzone_open_conf(&f->tz, conf, NULL, &src, 1, NOW) != 0 ||
	    cookie_gen_new(master, 86400, &f->cookies) != 0)
		return -1;
	query_ctx_configure(&f->tz.ctx, &f->tz.conf);
	f->tz.ctx.cookies = f->cookies;
	f->r = (struct respond){ .q = f->tz.ctx, .conf = &f->tz.conf, .snap = 1 };
	if ((f->r.cache = qcache_new(1 << 20)) == NULL || (f->r.rrl = rrl_new(4096)) == NULL ||
	    (f->r.stats = stats_block_new()) == NULL)
		return -1;
	f->peer.sin_family = AF_INET;
	f->peer.sin_port = htons(5300);
	inet_pton(AF_INET, "192.0.2.1", &f->peer.sin_addr); /* not exempt */
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return open_with(state, "nsid \"ns-a\";\nversion \"dnsd 9\";\nrate-limit 1000000;\n");
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	qcache_free(f->r.cache);
	rrl_free(f->r.rrl);
	cookie_gen_free(f->cookies);
	testzone_close(&f->tz);
	free(f);
	return 0;
}

/* How a query is built. */
struct qo {
	uint16_t id;
	bool edns, do_bit, nsid;
	const uint8_t *cookie;
	size_t cookie_len;
	uint16_t klass;
};

/* A query for `name` (presentation form: its letters keep their case). */
static size_t
build(uint8_t *b, const char *name, uint16_t type, const struct qo *o)
{
	size_t n = 12, nl = wire_name_from_str(name, b + 12);
	memset(b, 0, 12);
	wire_put16(b, o->id);
	wire_put16(b + 2, WIRE_RD);
	wire_put16(b + 4, 1);
	n += nl;
	wire_put16(b + n, type);
	wire_put16(b + n + 2, o->klass ? o->klass : CLASS_IN);
	n += 4;
	if (!o->edns)
		return n;
	wire_put16(b + 10, 1);
	size_t rdlen = (o->cookie_len ? 4 + o->cookie_len : 0) + (o->nsid ? 4 : 0);
	b[n] = 0;
	wire_put16(b + n + 1, RR_OPT);
	wire_put16(b + n + 3, 1232);
	wire_put32(b + n + 5, o->do_bit ? 0x8000 : 0);
	wire_put16(b + n + 9, (uint16_t)rdlen);
	n += 11;
	if (o->cookie_len) {
		wire_put16(b + n, EDNS_OPT_COOKIE);
		wire_put16(b + n + 2, (uint16_t)o->cookie_len);
		memcpy(b + n + 4, o->cookie, o->cookie_len);
		n += 4 + o->cookie_len;
	}
	if (o->nsid) {
		wire_put16(b + n, 3);
		wire_put16(b + n + 2, 0);
		n += 4;
	}
	return n;
}

static size_t
ask_via(struct fixture *f, struct respond *r, const uint8_t *q, size_t ql, uint8_t *out,
    uint32_t now)
{
	struct respond_req rq;
	const struct sockaddr *p = (const struct sockaddr *)&f->peer;
	respond_prepare(r, &rq, p, q, ql, now);
	return respond_answer(r, &rq, p, q, ql, out, 65535, now);
}

static size_t
ask(struct fixture *f, const uint8_t *q, size_t ql, uint8_t *out, uint32_t now)
{
	return ask_via(f, &f->r, q, ql, out, now);
}

/* The option `code` of a reply's OPT (the last record); NULL if none. */
static const uint8_t *
reply_option(const uint8_t *m, size_t n, uint16_t code, uint16_t *len)
{
	/* Walk to the OPT: it is the last record, with a root owner. */
	for (size_t o = 12; o + 11 <= n; o++) {
		if (m[o] != 0 || wire_get16(m + o + 1) != RR_OPT)
			continue;
		size_t rdlen = wire_get16(m + o + 9), p = o + 11;
		if (p + rdlen != n)
			continue;
		while (p + 4 <= n) {
			uint16_t c = wire_get16(m + p), l = wire_get16(m + p + 2);
			if (c == code) {
				*len = l;
				return m + p + 4;
			}
			p += 4 + (size_t)l;
		}
		return NULL;
	}
	return NULL;
}

/* What the cache gives any request with the same key is what a worker
 * without a cache answers it: another ID, the name in other letters, a
 * cookie, the DO bit. */
static void
test_cache_serves_every_variant(void **state)
{
	struct fixture *f = *state;
	struct respond fresh = f->r;
	fresh.cache = NULL;
	static const uint8_t cookie[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t q[512], a[65535], b[65535];
	struct qo o = { .id = 1, .edns = true };
	size_t ql = build(q, "_http._tcp.svc.example.test", RR_SRV, &o);
	uint64_t hits0 = f->r.stats->c[ST_CACHE_HITS];
	assert_true(ask(f, q, ql, a, NOW) > 0); /* a miss: now cached */
	const struct {
		const char *name;
		struct qo o;
	} v[] = {
		{ "_http._tcp.svc.example.test", { .id = 2, .edns = true } },
		{ "_HTTP._Tcp.SVC.example.TEST", { .id = 3, .edns = true } },
		{ "_http._tcp.svc.example.test", { .id = 4, .edns = true, .do_bit = true } },
		{ "_hTtP._tcp.svc.example.test",
		    { .id = 5, .edns = true, .cookie = cookie, .cookie_len = 8 } },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ql = build(q, v[i].name, RR_SRV, &v[i].o);
		size_t n = ask(f, q, ql, a, NOW + 1), m = ask_via(f, &fresh, q, ql, b, NOW + 1);
		assert_int_equal(n, m);
		assert_memory_equal(a, b, n);
		/* The question as asked, case and all (29 bytes of name). */
		assert_memory_equal(a + 12, q + 12, 29);
		assert_int_equal(wire_get16(a + 6), 2); /* both SRV */
	}
	/* The cookie variant has a cache key of its own (its OPT is larger);
	 * the three others were hits. */
	assert_true(f->r.stats->c[ST_CACHE_HITS] - hits0 >= 3);
	/* Without EDNS the answer may take only 512 bytes: another key. */
	o = (struct qo){ .id = 9 };
	ql = build(q, "_http._tcp.svc.example.test", RR_SRV, &o);
	size_t n = ask(f, q, ql, a, NOW + 1), m = ask_via(f, &fresh, q, ql, b, NOW + 1);
	assert_int_equal(n, m);
	assert_memory_equal(a, b, n);
}

static void
test_never_cached(void **state)
{
	(void)state;
	struct query_info info = { .action = QUERY_REPLY, .planned = true };
	assert_true(query_cacheable(&info));
	info.varies = true; /* rotated or weighted: never */
	assert_false(query_cacheable(&info));
	info.varies = false;
	info.rcode = RCODE_SERVFAIL;
	assert_false(query_cacheable(&info));
	info.rcode = RCODE_NOERROR;
	info.req.has_tsig = true;
	assert_false(query_cacheable(&info));
	info.req.has_tsig = false;
	info.planned = false; /* an error reply, a CHAOS answer */
	assert_false(query_cacheable(&info));
}

/* A cookie: ours comes back; sent back, it is valid; a malformed one is
 * FORMERR (RFC 7873 section 5.2.2). */
static void
test_cookies(void **state)
{
	struct fixture *f = *state;
	static const uint8_t client[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	uint8_t q[512], a[65535], full[24];
	uint16_t len = 0;
	struct qo o = { .id = 7, .edns = true, .cookie = client, .cookie_len = 8 };
	size_t ql = build(q, "web-1.svc.example.test", RR_A, &o);
	size_t n = ask(f, q, ql, a, NOW);
	const uint8_t *c = reply_option(a, n, EDNS_OPT_COOKIE, &len);
	assert_non_null(c);
	assert_int_equal(len, 24);
	assert_memory_equal(c, client, 8);
	memcpy(full, c, 24);
	o.cookie = full;
	o.cookie_len = 24;
	ql = build(q, "web-1.svc.example.test", RR_A, &o);
	n = ask(f, q, ql, a, NOW + 5);
	c = reply_option(a, n, EDNS_OPT_COOKIE, &len);
	assert_non_null(c);
	assert_memory_equal(c, full, 24); /* young: echoed */
	/* 9 to 15 bytes, or more than 40: FORMERR, no cookie back. */
	static const uint8_t junk[41] = { 0 };
	for (size_t bad = 9; bad <= 41; bad += (bad == 15 ? 26 : 1)) {
		o.cookie = junk;
		o.cookie_len = bad;
		ql = build(q, "web-1.svc.example.test", RR_A, &o);
		n = ask(f, q, ql, a, NOW);
		assert_true(n >= 12);
		assert_int_equal(WIRE_RCODE(a[3]), RCODE_FORMERR);
		assert_null(reply_option(a, n, EDNS_OPT_COOKIE, &len));
	}
	/* No cookie: none back. */
	o.cookie_len = 0;
	ql = build(q, "web-1.svc.example.test", RR_A, &o);
	n = ask(f, q, ql, a, NOW);
	assert_null(reply_option(a, n, EDNS_OPT_COOKIE, &len));
}

/* NSID only to a query that asks; CHAOS TXT by the settings. */
static void
test_nsid_and_chaos(void **state)
{
	struct fixture *f = *state;
	uint8_t q[512], a[65535];
	uint16_t len = 0;
	struct qo o = { .id = 3, .edns = true, .nsid = true };
	size_t ql = build(q, "web-1.svc.example.test", RR_A, &o);
	size_t n = ask(f, q, ql, a, NOW);
	const uint8_t *id = reply_option(a, n, 3, &len);
	assert_non_null(id);
	assert_int_equal(len, 4);
	assert_memory_equal(id, "ns-a", 4);
	o.nsid = false;
	ql = build(q, "web-1.svc.example.test", RR_A, &o);
	n = ask(f, q, ql, a, NOW);
	assert_null(reply_option(a, n, 3, &len));

	o = (struct qo){ .id = 4, .klass = CLASS_CH };
	ql = build(q, "VERSION.bind", RR_TXT, &o);
	n = ask(f, q, ql, a, NOW);
	assert_int_equal(WIRE_RCODE(a[3]), RCODE_NOERROR);
	assert_int_equal(wire_get16(a + 6), 1);
	assert_true(a[2] & (WIRE_AA >> 8));
	/* The record ends the reply (no EDNS): the TXT string's length and
	 * text. */
	assert_int_equal(a[n - 7], 6);
	assert_memory_equal(a + n - 6, "dnsd 9", 6);
	/* identity is not set: refused, as other CHAOS names. */
	ql = build(q, "id.server", RR_TXT, &o);
	n = ask(f, q, ql, a, NOW);
	assert_int_equal(WIRE_RCODE(a[3]), RCODE_REFUSED);
	assert_int_equal(wire_get16(a + 6), 0);
	ql = build(q, "other.bind", RR_TXT, &o);
	n = ask(f, q, ql, a, NOW);
	assert_int_equal(WIRE_RCODE(a[3]), RCODE_REFUSED);
}

/* The default configuration refuses CHAOS and sends no NSID. */
static void
test_defaults_refuse_chaos(void **state)
{
	(void)state;
	void *st = NULL;
	assert_int_equal(open_with(&st, NULL), 0);
	struct fixture *f = st;
	uint8_t q[512], a[65535];
	uint16_t len;
	struct qo o = { .id = 4, .klass = CLASS_CH };
	size_t ql = build(q, "version.bind", RR_TXT, &o);
	size_t n = ask(f, q, ql, a, NOW);
	assert_true(n >= 12);
	assert_int_equal(WIRE_RCODE(a[3]), RCODE_REFUSED);
	o = (struct qo){ .id = 3, .edns = true, .nsid = true };
	ql = build(q, "web-1.svc.example.test", RR_A, &o);
	n = ask(f, q, ql, a, NOW);
	assert_null(reply_option(a, n, 3, &len));
	teardown(&st);
}

/* require-cookie: BADCOOKIE to a client cookie, TC to none, the answer to
 * a valid one; `large` only for answers over three times the query. */
static void
test_require_cookie(void **state)
{
	(void)state;
	void *st = NULL;
	assert_int_equal(open_with(&st, "require-cookie yes;\n"), 0);
	struct fixture *f = st;
	static const uint8_t client[8] = { 1, 1, 2, 3, 5, 8, 13, 21 };
	uint8_t q[512], a[65535], full[24];
	uint16_t len;
	struct qo o = { .id = 7, .edns = true, .cookie = client, .cookie_len = 8 };
	size_t ql = build(q, "web-1.svc.example.test", RR_A, &o);
	size_t n = ask(f, q, ql, a, NOW);
	/* BADCOOKIE is 23: 7 in the header, 1 in the OPT's extended RCODE. */
	assert_int_equal(WIRE_RCODE(a[3]), 23 & 15);
	assert_int_equal(wire_get16(a + 6), 0);
	const uint8_t *c = reply_option(a, n, EDNS_OPT_COOKIE, &len);
	assert_non_null(c);
	memcpy(full, c, 24);
	o.cookie = full;
	o.cookie_len = 24;
	ql = build(q, "web-1.svc.example.test", RR_A, &o);
	n = ask(f, q, ql, a, NOW + 1);
	assert_int_equal(WIRE_RCODE(a[3]), RCODE_NOERROR);
	assert_int_equal(wire_get16(a + 6), 1);
	/* No cookie at all: TC, so that it asks over TCP. */
	o = (struct qo){ .id = 8, .edns = true };
	ql = build(q, "web-1.svc.example.test", RR_A, &o);
	n = ask(f, q, ql, a, NOW);
	assert_true(a[2] & (WIRE_TC >> 8));
	assert_int_equal(wire_get16(a + 6), 0);
	assert_true(f->r.stats->c[ST_COOKIE_REQUIRED] >= 2);
	teardown(&st);

	assert_int_equal(open_with(&st, "require-cookie large;\n"), 0);
	f = st;
	/* A small answer goes out; "big" (three long TXT) is over 3x. */
	ql = build(q, "web-1.svc.example.test", RR_A, &o);
	n = ask(f, q, ql, a, NOW);
	assert_false(a[2] & (WIRE_TC >> 8));
	assert_int_equal(wire_get16(a + 6), 1);
	assert_true(n <= 3 * ql);
	ql = build(q, "big.svc.example.test", RR_TXT, &o);
	n = ask(f, q, ql, a, NOW);
	assert_true(a[2] & (WIRE_TC >> 8));
	assert_int_equal(wire_get16(a + 6), 0);
	assert_true(n <= 3 * ql);
	teardown(&st);
}

/* A flood from one address: `rate` full answers a second, half the rest
 * truncated; a valid cookie and loopback are exempt. */
static void
test_rate_limit(void **state)
{
	(void)state;
	void *st = NULL;
	assert_int_equal(open_with(&st, "rate-limit 20;\nrate-limit-slip 2;\n"), 0);
	struct fixture *f = st;
	uint8_t q[512], a[65535];
	unsigned full = 0, tc = 0, none = 0;
	struct qo o = { .id = 1, .edns = true };
	size_t ql = build(q, "_http._tcp.svc.example.test", RR_SRV, &o);
	for (unsigned s = 0; s < 3; s++) {
		for (unsigned i = 0; i < 100; i++) {
			size_t n = ask(f, q, ql, a, NOW + s);
			if (n == 0)
				none++;
			else if (a[2] & (WIRE_TC >> 8))
				tc++;
			else
				full++;
		}
	}
	assert_int_equal(full, 20 * 3);
	assert_int_equal(tc, 40 * 3);
	assert_int_equal(none, 40 * 3);
	assert_int_equal(f->r.stats->c[ST_RRL_DROPPED], 120);
	assert_int_equal(f->r.stats->c[ST_RRL_SLIPPED], 120);
	/* Every query is counted, whatever became of its answer. */
	assert_int_equal(f->r.stats->qtype[0][ST_QT_SRV], 300);
	assert_int_equal(f->r.stats->rcode[0][RCODE_NOERROR], 300);

	/* With a valid cookie the same flood is answered in full. */
	static const uint8_t client[8] = { 4 };
	uint8_t full_cookie[24];
	uint16_t len;
	o.cookie = client;
	o.cookie_len = 8;
	ql = build(q, "_http._tcp.svc.example.test", RR_SRV, &o);
	f->peer.sin_addr.s_addr = htonl(0xc6336401); /* another network */
	size_t n = ask(f, q, ql, a, NOW + 10);
	memcpy(full_cookie, reply_option(a, n, EDNS_OPT_COOKIE, &len), 24);
	o.cookie = full_cookie;
	o.cookie_len = 24;
	ql = build(q, "_http._tcp.svc.example.test", RR_SRV, &o);
	full = 0;
	for (unsigned i = 0; i < 100; i++)
		if (ask(f, q, ql, a, NOW + 10) > 0 && !(a[2] & (WIRE_TC >> 8)))
			full++;
	assert_int_equal(full, 100);
	/* And so is loopback, by default. */
	inet_pton(AF_INET, "127.0.0.1", &f->peer.sin_addr);
	o = (struct qo){ .id = 1, .edns = true };
	ql = build(q, "_http._tcp.svc.example.test", RR_SRV, &o);
	full = 0;
	for (unsigned i = 0; i < 100; i++)
		if (ask(f, q, ql, a, NOW + 10) > 0 && !(a[2] & (WIRE_TC >> 8)))
			full++;
	assert_int_equal(full, 100);
	teardown(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cache_serves_every_variant, setup, teardown),
		cmocka_unit_test(test_never_cached),
		cmocka_unit_test_setup_teardown(test_cookies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nsid_and_chaos, setup, teardown),
		cmocka_unit_test(test_defaults_refuse_chaos),
		cmocka_unit_test(test_require_cookie),
		cmocka_unit_test(test_rate_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
