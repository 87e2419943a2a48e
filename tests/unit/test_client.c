/* test_client.c -- libdnsd-client: SRV ordering, wire helpers, and requests against an in-process DNS server */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client-internal.h"
#include "dnsd-client.h"

/* ------------------------------------------------------------------ */
/* A seeded random source (xorshift32) for deterministic tests.        */

struct xs {
	uint32_t s;
};

static uint32_t
xs_next(void *arg)
{
	struct xs *x = arg;
	uint32_t v = x->s;

	v ^= v << 13;
	v ^= v >> 17;
	v ^= v << 5;
	return x->s = v;
}

static uint32_t
always_zero(void *arg)
{
	(void)arg;
	return 0;
}

static uint32_t
always_max(void *arg)
{
	(void)arg;
	return UINT32_MAX;
}

/* Records tagged with their index in data, to check permutations. */
static void
srv_set(struct dnsd_srv *v, size_t n, const uint16_t *prio,
    const uint16_t *weight)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].priority = prio[i];
		v[i].weight = weight[i];
		v[i].port = (uint16_t)(1000 + i);
		v[i].data = (void *)(uintptr_t)i;
	}
}

static size_t
tag(const struct dnsd_srv *s)
{
	return (size_t)(uintptr_t)s->data;
}

/* ------------------------------------------------------------------ */
/* dnsd_srv_order                                                      */

static void
test_order_priorities(void **state)
{
	struct xs x = { 12345 };
	struct dnsd_srv v[12];
	uint16_t prio[12], weight[12];
	int iter;

	(void)state;
	for (iter = 0; iter < 2000; iter++) {
		size_t n = 1 + xs_next(&x) % 12, i;
		int seen[12] = { 0 };
		static const uint16_t pv[] = { 0, 1, 2, 10, 20, 65535 };

		for (i = 0; i < n; i++) {
			prio[i] = pv[xs_next(&x) % 6];
			weight[i] = (uint16_t)(xs_next(&x) % 4 == 0 ? 0 :
			    xs_next(&x) % 70000);
		}
		srv_set(v, n, prio, weight);
		dnsd_srv_order(v, n, xs_next, &x);
		for (i = 0; i < n; i++) {
			size_t t = tag(&v[i]);

			assert_true(t < n);
			seen[t]++;
			/* fields travel together */
			assert_int_equal(v[i].priority, prio[t]);
			assert_int_equal(v[i].weight, weight[t]);
			assert_int_equal(v[i].port, 1000 + t);
			if (i > 0)
				assert_true(v[i - 1].priority <= v[i].priority);
		}
		for (i = 0; i < n; i++)
			assert_int_equal(seen[i], 1);
	}
}

static void
test_order_priority_groups_fixed(void **state)
{
	/* priorities 20, 10, 20, 10: both 10s before both 20s, always */
	static const uint16_t prio[] = { 20, 10, 20, 10 };
	static const uint16_t weight[] = { 5, 5, 5, 5 };
	struct xs x = { 99 };
	struct dnsd_srv v[4];
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		srv_set(v, 4, prio, weight);
		dnsd_srv_order(v, 4, xs_next, &x);
		assert_int_equal(v[0].priority, 10);
		assert_int_equal(v[1].priority, 10);
		assert_int_equal(v[2].priority, 20);
		assert_int_equal(v[3].priority, 20);
	}
}

enum { DRAWS = 20000 };

/* Percentage of draws, as a double. */
static double
pct(int k)
{
	return 100.0 * k / DRAWS;
}

static void
assert_share(int k, double want_pct, double tol)
{
	double got = pct(k);

	if (got < want_pct - tol || got > want_pct + tol)
		fail_msg("share %.2f%% not within %.1f of %.2f%%", got, tol,
		    want_pct);
}

static void
test_order_weights(void **state)
{
	/* one priority, weights 60/30/10 */
	static const uint16_t prio[] = { 10, 10, 10 };
	static const uint16_t weight[] = { 60, 30, 10 };
	struct xs x = { 2024 };
	struct dnsd_srv v[3];
	int first[3] = { 0 }, a_first = 0, a_then_b = 0;
	int i;

	(void)state;
	for (i = 0; i < DRAWS; i++) {
		srv_set(v, 3, prio, weight);
		dnsd_srv_order(v, 3, xs_next, &x);
		first[tag(&v[0])]++;
		if (tag(&v[0]) == 0) {
			a_first++;
			if (tag(&v[1]) == 1)
				a_then_b++;
		}
	}
	assert_share(first[0], 60, 2);
	assert_share(first[1], 30, 2);
	assert_share(first[2], 10, 2);
	/* after a, b (30) beats c (10) about 3 times in 4 */
	{
		double share = 100.0 * a_then_b / a_first;

		if (share < 73 || share > 77)
			fail_msg("b after a: %.2f%%, want ~75%%", share);
	}
}

/*
 * Probability that a weight-0 record is ordered last among itself and the
 * weighted records in mask, by RFC 2782's rule: it stays at the head of
 * the running-sum list, so with remaining sum S it is picked with
 * probability 1/(S + 1) and record i with w_i/(S + 1).
 */
static double
zero_last_p(const uint16_t *w, unsigned mask, size_t n)
{
	double s = 0, p = 0;
	size_t i;

	if (mask == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (mask & (1u << i))
			s += w[i];
	for (i = 0; i < n; i++)
		if (mask & (1u << i))
			p += w[i] / (s + 1) *
			    zero_last_p(w, mask & ~(1u << i), n);
	return p;
}

static void
test_order_weight_zero_late(void **state)
{
	/* RFC 2782: weight-0 records go first in the running-sum list, so
	 * they are picked only when the random number is 0 */
	static const uint16_t prio[] = { 10, 10, 10, 10 };
	static const uint16_t weight[] = { 60, 30, 10, 0 };
	struct xs x = { 7 };
	struct dnsd_srv v[4];
	int zero_last = 0, zero_first = 0, first[3] = { 0 };
	double p_last = zero_last_p(weight, 7, 3);
	int i;

	(void)state;
	for (i = 0; i < DRAWS; i++) {
		srv_set(v, 4, prio, weight);
		dnsd_srv_order(v, 4, xs_next, &x);
		if (tag(&v[3]) == 3)
			zero_last++;
		if (tag(&v[0]) == 3)
			zero_first++;
		else
			first[tag(&v[0])]++;
	}
	/* after the weighted ones nearly always (the chance grows as the
	 * remaining weight shrinks: 1/11 against the last weight of 10)... */
	assert_true(p_last > 0.88 && p_last < 0.92);
	assert_share(zero_last, 100 * p_last, 1.5);
	/* ...yet with the small chance of 1/(sum + 1) = 1/101 to lead */
	assert_share(zero_first, 100.0 / 101, 0.5);
	/* the weighted ones keep their shares */
	assert_share(first[0], 6000.0 / 101, 2);
	assert_share(first[1], 3000.0 / 101, 2);
	assert_share(first[2], 1000.0 / 101, 2);
}

static void
test_order_weight_zero_heavy(void **state)
{
	/* with large weights a weight-0 record is (almost) always last */
	static const uint16_t prio[] = { 1, 1, 1 };
	static const uint16_t weight[] = { 0, 5000, 5000 };
	struct xs x = { 11 };
	struct dnsd_srv v[3];
	int zero_last = 0, i;

	(void)state;
	for (i = 0; i < DRAWS; i++) {
		srv_set(v, 3, prio, weight);
		dnsd_srv_order(v, 3, xs_next, &x);
		if (tag(&v[2]) == 0)
			zero_last++;
	}
	assert_true(pct(zero_last) >= 99.9);
}

static void
test_order_all_zero(void **state)
{
	/* all weights 0: uniform order, nobody starved */
	static const uint16_t prio[] = { 5, 5, 5, 5 };
	static const uint16_t weight[] = { 0, 0, 0, 0 };
	struct xs x = { 424242 };
	struct dnsd_srv v[4];
	int first[4] = { 0 }, last[4] = { 0 };
	int i;

	(void)state;
	for (i = 0; i < DRAWS; i++) {
		srv_set(v, 4, prio, weight);
		dnsd_srv_order(v, 4, xs_next, &x);
		first[tag(&v[0])]++;
		last[tag(&v[3])]++;
	}
	for (i = 0; i < 4; i++) {
		assert_share(first[i], 25, 2);
		assert_share(last[i], 25, 2);
	}
}

static void
test_order_second_group_weighted(void **state)
{
	/* weights apply within each priority separately */
	static const uint16_t prio[] = { 1, 2, 2 };
	static const uint16_t weight[] = { 0, 90, 10 };
	struct xs x = { 31337 };
	struct dnsd_srv v[3];
	int second_is_90 = 0, i;

	(void)state;
	for (i = 0; i < DRAWS; i++) {
		srv_set(v, 3, prio, weight);
		dnsd_srv_order(v, 3, xs_next, &x);
		assert_int_equal(tag(&v[0]), 0);
		if (tag(&v[1]) == 1)
			second_is_90++;
	}
	assert_share(second_is_90, 90, 2);
}

static void
test_order_deterministic(void **state)
{
	static const uint16_t prio[] = { 1, 1, 1, 1, 1, 2, 2 };
	static const uint16_t weight[] = { 1, 2, 3, 0, 4, 5, 0 };
	struct dnsd_srv a[7], b[7];
	struct xs x1 = { 555 }, x2 = { 555 };
	size_t i;

	(void)state;
	srv_set(a, 7, prio, weight);
	srv_set(b, 7, prio, weight);
	dnsd_srv_order(a, 7, xs_next, &x1);
	dnsd_srv_order(b, 7, xs_next, &x2);
	for (i = 0; i < 7; i++)
		assert_int_equal(tag(&a[i]), tag(&b[i]));
}

static void
test_order_degenerate_sources(void **state)
{
	/* constant sources must not hang (bounded rejection sampling) and
	 * still give a valid order */
	static const uint16_t prio[] = { 3, 1, 3, 1 };
	static const uint16_t weight[] = { 0, 7, 9, 0 };
	struct dnsd_srv v[4];

	(void)state;
	srv_set(v, 4, prio, weight);
	dnsd_srv_order(v, 4, always_zero, NULL);
	assert_int_equal(v[0].priority, 1);
	assert_int_equal(v[3].priority, 3);
	srv_set(v, 4, prio, weight);
	dnsd_srv_order(v, 4, always_max, NULL);
	assert_int_equal(v[0].priority, 1);
	assert_int_equal(v[2].priority, 3);
	/* the library's own generator */
	srv_set(v, 4, prio, weight);
	dnsd_srv_order(v, 4, NULL, NULL);
	assert_int_equal(v[1].priority, 1);
	assert_int_equal(v[2].priority, 3);
	/* nothing to do */
	dnsd_srv_order(v, 0, NULL, NULL);
	dnsd_srv_order(NULL, 3, NULL, NULL);
	srv_set(v, 1, prio, weight);
	dnsd_srv_order(v, 1, always_zero, NULL);
	assert_int_equal(tag(&v[0]), 0);
}

/* ------------------------------------------------------------------ */
/* wire helpers                                                        */

static void
test_name_to_wire(void **state)
{
	uint8_t w[300];
	char big[400];
	int n;

	(void)state;
	n = client_name_to_wire("a.bc", w, sizeof(w));
	assert_int_equal(n, 6);
	assert_memory_equal(w, "\001a\002bc\000", 6);
	assert_int_equal(client_name_to_wire("a.bc.", w, sizeof(w)), 6);
	assert_memory_equal(w, "\001a\002bc\000", 6);
	assert_int_equal(client_name_to_wire(".", w, sizeof(w)), 1);
	assert_int_equal(w[0], 0);
	/* escapes: \. inside a label, \DDD, \X */
	n = client_name_to_wire("a\\.b\\032c\\\\.d", w, sizeof(w));
	assert_int_equal(n, 1 + 6 + 1 + 1 + 1);
	assert_memory_equal(w, "\006a.b c\\\001d\000", 10);
	n = client_name_to_wire("Caf\\195\\169 X._http._tcp", w, sizeof(w));
	assert_int_equal(n, 1 + 7 + 1 + 5 + 1 + 4 + 1);
	assert_memory_equal(w, "\007Caf\303\251 X\005_http\004_tcp\000", 20);
	/* errors */
	assert_int_equal(client_name_to_wire("", w, sizeof(w)),
	    DNSD_CLIENT_EBADNAME);
	assert_int_equal(client_name_to_wire("a..b", w, sizeof(w)),
	    DNSD_CLIENT_EBADNAME);
	assert_int_equal(client_name_to_wire(".a", w, sizeof(w)),
	    DNSD_CLIENT_EBADNAME);
	assert_int_equal(client_name_to_wire("a\\", w, sizeof(w)),
	    DNSD_CLIENT_EBADNAME);
	assert_int_equal(client_name_to_wire("a\\25", w, sizeof(w)),
	    DNSD_CLIENT_EBADNAME);
	assert_int_equal(client_name_to_wire("a\\256", w, sizeof(w)),
	    DNSD_CLIENT_EBADNAME);
	memset(big, 'x', 64);
	big[64] = '\0';
	assert_int_equal(client_name_to_wire(big, w, sizeof(w)),
	    DNSD_CLIENT_EBADNAME);
	big[63] = '\0';
	assert_int_equal(client_name_to_wire(big, w, sizeof(w)), 65);
	/* 4 labels of 63 = 4 * 64 + 1 = 257 octets: too long */
	snprintf(big, sizeof(big), "%.63s.%.63s.%.63s.%.63s",
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_int_equal(client_name_to_wire(big, w, sizeof(w)),
	    DNSD_CLIENT_EBADNAME);
	big[strlen(big) - 2] = '\0';    /* 255 octets: fits */
	assert_int_equal(client_name_to_wire(big, w, sizeof(w)), 255);
	/* the output buffer is respected */
	assert_int_equal(client_name_to_wire("abc.def", w, 5),
	    DNSD_CLIENT_EBADNAME);
	assert_int_equal(client_name_to_wire("abc.def", w, 9), 9);
}

static void
test_label_unescape(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(client_label_unescape("Front Page._http._tcp.x",
	    out, sizeof(out)), 10);
	assert_string_equal(out, "Front Page");
	assert_int_equal(client_label_unescape("a\\.b\\\\c\\195\\169.x", out,
	    sizeof(out)), 7);
	assert_string_equal(out, "a.b\\c\303\251");
	assert_int_equal(client_label_unescape("abcdef", out, 4),
	    DNSD_CLIENT_EBADNAME);
	assert_int_equal(client_label_unescape("a\\", out, sizeof(out)),
	    DNSD_CLIENT_EBADNAME);
}

static void
test_query_build(void **state)
{
	uint8_t q[CLIENT_QUERY_MAX];
	int n;

	(void)state;
	n = client_query_build("_web._tcp.ex", CLIENT_T_SRV, q, sizeof(q));
	assert_int_equal(n, 12 + 1 + 4 + 1 + 4 + 1 + 2 + 1 + 4);
	assert_memory_equal(q, "\0\0\001\0\0\001\0\0\0\0\0\0", 12);
	assert_memory_equal(q + 12, "\004_web\004_tcp\002ex\0\0\041\0\001",
	    n - 12);
	assert_int_equal(client_query_build("a..b", CLIENT_T_A, q, sizeof(q)),
	    DNSD_CLIENT_EBADNAME);
}

/*
 * A hand-built SRV response for _web._tcp.ex (owner compressed to the
 * question), two SRV records, and in the additional section A and AAAA
 * of t1.ex, A of t2.ex, and a TXT record to be ignored:
 *
 *   0000  12 34 84 00 00 01 00 02 00 00 00 04   ID, QR AA, 1 q, 2 an, 4 ar
 *   000c  04 _web 04 _tcp 02 ex 00  00 21 00 01  question SRV IN
 *   ...   c0 0c 00 21 00 01 TTL RDLEN prio weight port target
 */
struct msg {
	uint8_t b[1024];
	size_t n;
	int overflow;   /* no cmocka asserts here: the server thread uses it */
};

static void
put(struct msg *m, const void *p, size_t n)
{
	if (m->overflow || m->n + n > sizeof(m->b)) {
		m->overflow = 1;
		return;
	}
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
put16(struct msg *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(m, b, 2);
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* Wire name from a presentation name without escapes. */
static void
putname(struct msg *m, const char *name)
{
	uint8_t w[256];
	int n = client_name_to_wire(name, w, sizeof(w));

	assert_true(n > 0);
	put(m, w, (size_t)n);
}

/* RR header: owner, type, class IN, TTL 300, rdlength. */
static void
putrr(struct msg *m, const char *owner, unsigned type, unsigned rdlen)
{
	if (owner)
		putname(m, owner);
	else
		put(m, "\xc0\x0c", 2);  /* the question name */
	put16(m, type);
	put16(m, CLIENT_C_IN);
	put32(m, 300);
	put16(m, rdlen);
}

static void
build_srv_response(struct msg *m)
{
	static const uint8_t hdr[12] = { 0x12, 0x34, 0x84, 0x00, 0, 1, 0, 2,
	    0, 0, 0, 4 };

	memset(m, 0, sizeof(*m));
	put(m, hdr, 12);
	putname(m, "_web._tcp.ex");
	put16(m, CLIENT_T_SRV);
	put16(m, CLIENT_C_IN);
	/* SRV 10 60 8001 t1.ex (target written out) */
	putrr(m, NULL, CLIENT_T_SRV, 6 + 7);
	put16(m, 10); put16(m, 60); put16(m, 8001);
	putname(m, "t1.ex");
	/* SRV 20 0 8002 t2.ex, target compressed: "t2" + pointer to "ex"
	 * at offset 12 + 10 = 22 */
	putrr(m, NULL, CLIENT_T_SRV, 6 + 5);
	put16(m, 20); put16(m, 0); put16(m, 8002);
	put(m, "\002t2\xc0\x16", 5);
	/* additional */
	putrr(m, "t1.ex", CLIENT_T_A, 4);
	put(m, "\xc0\x00\x02\x01", 4);
	putrr(m, "T1.EX", CLIENT_T_AAAA, 16);
	put(m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	putrr(m, "t2.ex", CLIENT_T_TXT, 4);
	put(m, "\003abc", 4);
	putrr(m, "t2.ex", CLIENT_T_A, 4);
	put(m, "\xc0\x00\x02\x02", 4);
	assert_false(m->overflow);
}

struct glue_seen {
	char owner[8][64];
	int family[8];
	uint8_t addr[8][16];
	int n;
};

static int
glue_cb(void *arg, const char *owner, int family, const uint8_t *addr)
{
	struct glue_seen *g = arg;

	assert_true(g->n < 8);
	snprintf(g->owner[g->n], sizeof(g->owner[0]), "%s", owner);
	g->family[g->n] = family;
	memcpy(g->addr[g->n], addr, family == AF_INET ? 4 : 16);
	g->n++;
	return 0;
}

static void
test_srv_wire_parse(void **state)
{
	struct msg m;
	struct ares_srv_reply *srv = NULL;
	struct glue_seen g;

	(void)state;
	build_srv_response(&m);
	/* c-ares parses the answer section */
	assert_int_equal(ares_parse_srv_reply(m.b, (int)m.n, &srv),
	    ARES_SUCCESS);
	assert_non_null(srv);
	assert_string_equal(srv->host, "t1.ex");
	assert_int_equal(srv->priority, 10);
	assert_int_equal(srv->weight, 60);
	assert_int_equal(srv->port, 8001);
	assert_non_null(srv->next);
	assert_string_equal(srv->next->host, "t2.ex");
	assert_int_equal(srv->next->port, 8002);
	assert_null(srv->next->next);
	ares_free_data(srv);
	/* we parse the additional section */
	memset(&g, 0, sizeof(g));
	assert_int_equal(client_glue_parse(m.b, m.n, glue_cb, &g), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.owner[0], "t1.ex");
	assert_int_equal(g.family[0], AF_INET);
	assert_memory_equal(g.addr[0], "\xc0\x00\x02\x01", 4);
	assert_string_equal(g.owner[1], "T1.EX");
	assert_int_equal(g.family[1], AF_INET6);
	assert_int_equal(g.addr[1][15], 1);
	assert_string_equal(g.owner[2], "t2.ex");
	assert_memory_equal(g.addr[2], "\xc0\x00\x02\x02", 4);
	assert_int_equal(client_status_err(ARES_SUCCESS, m.b, m.n), 0);
}

static void
test_srv_wire_truncated(void **state)
{
	struct msg m;
	struct glue_seen g;
	size_t cut;

	(void)state;
	build_srv_response(&m);
	/* every proper prefix is malformed; nothing past the cut is seen */
	for (cut = 0; cut < m.n; cut++) {
		memset(&g, 0, sizeof(g));
		assert_int_equal(client_glue_parse(m.b, cut, glue_cb, &g),
		    DNSD_CLIENT_EBADRESP);
		assert_true(g.n <= 3);
	}
	/* a compression pointer to itself */
	{
		static const uint8_t loop[] = { 0, 0, 0x84, 0, 0, 0, 0, 1,
		    0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4,
		    1, 2, 3, 4 };

		memset(&g, 0, sizeof(g));
		assert_int_equal(client_glue_parse(loop, sizeof(loop),
		    glue_cb, &g), DNSD_CLIENT_EBADRESP);
	}
	/* rdlength beyond the end */
	{
		static const uint8_t over[] = { 0, 0, 0x84, 0, 0, 0, 0, 0,
		    0, 0, 0, 1, 1, 'a', 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 5,
		    1, 2, 3, 4 };

		memset(&g, 0, sizeof(g));
		assert_int_equal(client_glue_parse(over, sizeof(over),
		    glue_cb, &g), DNSD_CLIENT_EBADRESP);
		assert_int_equal(g.n, 0);
	}
}

static void
test_ptr_parse(void **state)
{
	static const uint8_t hdr[12] = { 0, 0, 0x84, 0, 0, 1, 0, 3, 0, 0,
	    0, 0 };
	struct msg m;
	char **names = NULL;
	size_t n = 0, i;

	(void)state;
	memset(&m, 0, sizeof(m));
	put(&m, hdr, 12);
	putname(&m, "_http._tcp.ex");
	put16(&m, CLIENT_T_PTR);
	put16(&m, CLIENT_C_IN);
	/* "Front Page" (a space), "Caf\303\251" (UTF-8), "a.b" (a dot) */
	putrr(&m, NULL, CLIENT_T_PTR, 1 + 10 + 2);
	put(&m, "\012Front Page\xc0\x0c", 13);
	putrr(&m, NULL, CLIENT_T_PTR, 1 + 5 + 2);
	put(&m, "\005Caf\303\251\xc0\x0c", 8);
	putrr(&m, NULL, CLIENT_T_PTR, 1 + 3 + 2);
	put(&m, "\003a.b\xc0\x0c", 6);
	assert_false(m.overflow);
	assert_int_equal(client_ptr_parse(m.b, m.n, &names, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "Front Page._http._tcp.ex");
	assert_string_equal(names[1], "Caf\\195\\169._http._tcp.ex");
	assert_string_equal(names[2], "a\\.b._http._tcp.ex");
	/* the names go back to the same wire form */
	{
		uint8_t w[256];

		assert_int_equal(client_name_to_wire(names[1], w, sizeof(w)),
		    1 + 5 + 6 + 5 + 3 + 1);
		assert_memory_equal(w, "\005Caf\303\251", 6);
		assert_int_equal(client_name_to_wire(names[2], w, sizeof(w)),
		    1 + 3 + 6 + 5 + 3 + 1);
		assert_memory_equal(w, "\003a.b", 4);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	/* no PTR in the answer */
	m.b[7] = 0;
	assert_int_equal(client_ptr_parse(m.b, 12 + 19, &names, &n),
	    DNSD_CLIENT_ENODATA);
	assert_null(names);
}

static void
test_status_err(void **state)
{
	uint8_t h[12] = { 0, 0, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(client_status_err(ARES_SUCCESS, h, 12), 0);
	h[3] = 3;
	assert_int_equal(client_status_err(ARES_SUCCESS, h, 12),
	    DNSD_CLIENT_ENXDOMAIN);
	h[3] = 5;
	assert_int_equal(client_status_err(ARES_SUCCESS, h, 12),
	    DNSD_CLIENT_EREFUSED);
	h[3] = 2;
	assert_int_equal(client_status_err(ARES_SUCCESS, h, 12),
	    DNSD_CLIENT_ESERVFAIL);
	h[3] = 0;
	h[7] = 0;
	assert_int_equal(client_status_err(ARES_SUCCESS, h, 12),
	    DNSD_CLIENT_ENODATA);
	assert_int_equal(client_status_err(ARES_SUCCESS, h, 5),
	    DNSD_CLIENT_EBADRESP);
	assert_int_equal(client_status_err(ARES_ETIMEOUT, NULL, 0),
	    DNSD_CLIENT_ETIMEOUT);
	assert_int_equal(client_status_err(ARES_ENOTFOUND, NULL, 0),
	    DNSD_CLIENT_ENXDOMAIN);
	assert_int_equal(client_status_err(ARES_ECONNREFUSED, NULL, 0),
	    DNSD_CLIENT_ECONNREFUSED);
	assert_int_equal(client_status_err(ARES_EDESTRUCTION, NULL, 0),
	    DNSD_CLIENT_ECANCELLED);
	/* merging: server trouble > no data > no such name */
	assert_int_equal(client_err_merge(DNSD_CLIENT_ENXDOMAIN,
	    DNSD_CLIENT_ENODATA), DNSD_CLIENT_ENODATA);
	assert_int_equal(client_err_merge(DNSD_CLIENT_ENODATA,
	    DNSD_CLIENT_ENXDOMAIN), DNSD_CLIENT_ENODATA);
	assert_int_equal(client_err_merge(DNSD_CLIENT_ENODATA,
	    DNSD_CLIENT_ETIMEOUT), DNSD_CLIENT_ETIMEOUT);
	assert_int_equal(client_err_merge(0, DNSD_CLIENT_ENXDOMAIN),
	    DNSD_CLIENT_ENXDOMAIN);
	/* messages the tool prints */
	assert_string_equal(dnsd_client_strerror(DNSD_CLIENT_ENXDOMAIN),
	    "no such name (NXDOMAIN)");
	assert_string_equal(dnsd_client_strerror(DNSD_CLIENT_ENODATA),
	    "no answer");
	assert_string_equal(dnsd_client_strerror(DNSD_CLIENT_ETIMEOUT),
	    "timed out");
	assert_string_equal(dnsd_client_strerror(DNSD_CLIENT_EREFUSED),
	    "server refused");
	assert_string_equal(dnsd_client_strerror(-ENOMEM),
	    strerror(ENOMEM));
}

static void
test_name_split(void **state)
{
	char *base, *host;
	int rel;

	(void)state;
	assert_int_equal(client_name_split("web", 0, &base, &host, &rel), 0);
	assert_string_equal(base, "_web._tcp");
	assert_string_equal(host, "web");
	assert_int_equal(rel, 1);
	free(base);
	free(host);
	assert_int_equal(client_name_split("sip", DNSD_RESOLVE_UDP, &base,
	    &host, &rel), 0);
	assert_string_equal(base, "_sip._udp");
	free(base);
	free(host);
	assert_int_equal(client_name_split("_web._tcp", 0, &base, &host,
	    &rel), 0);
	assert_string_equal(base, "_web._tcp");
	assert_int_equal(rel, 1);
	free(base);
	free(host);
	assert_int_equal(client_name_split("_web._tcp.ex.", 0, &base, &host,
	    &rel), 0);
	assert_string_equal(base, "_web._tcp.ex");
	assert_string_equal(host, "_web._tcp.ex");
	assert_int_equal(rel, 0);
	free(base);
	free(host);
	assert_int_equal(client_name_split("host.ex", 0, &base, &host, &rel),
	    0);
	assert_string_equal(base, "host.ex");
	assert_int_equal(rel, 0);
	free(base);
	free(host);
	assert_int_equal(client_name_split("", 0, &base, &host, &rel),
	    DNSD_CLIENT_EBADNAME);
	assert_int_equal(client_name_split("a..b", 0, &base, &host, &rel),
	    DNSD_CLIENT_EBADNAME);
}

static void
test_endpoint_format(void **state)
{
	struct dnsd_endpoint e;
	char buf[64];

	(void)state;
	memset(&e, 0, sizeof(e));
	e.target = (char *)"t.ex";
	e.port = 8080;
	e.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &e.addr.sin6.sin6_addr);
	dnsd_endpoint_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:8080");
	e.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &e.addr.sin.sin_addr);
	dnsd_endpoint_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1:8080");
	e.port = 0;
	dnsd_endpoint_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1");
	e.family = AF_UNSPEC;
	e.port = 5;
	dnsd_endpoint_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "t.ex:5");
}

/* ------------------------------------------------------------------ */
/* An in-process authoritative server on a loopback UDP port, so the   */
/* request machinery runs against real c-ares without the network.    */

struct zrr {
	const char *owner;      /* raw octets, labels joined by '.' */
	int type;
	const char *data;       /* A/AAAA: address; PTR: name;
	                           SRV: "prio weight port target";
	                           TXT: strings separated by '|' */
	int noglue;             /* never put into an additional section */
};

static const struct zrr zone[] = {
	{ "_web._tcp.t.test", CLIENT_T_SRV, "10 60 8001 a.t.test", 0 },
	{ "_web._tcp.t.test", CLIENT_T_SRV, "10 40 8002 b.t.test", 0 },
	{ "_web._tcp.t.test", CLIENT_T_SRV, "20 0 8003 d.t.test", 0 },
	{ "a.t.test", CLIENT_T_A, "192.0.2.1", 0 },
	{ "a.t.test", CLIENT_T_AAAA, "2001:db8::1", 0 },
	{ "b.t.test", CLIENT_T_A, "192.0.2.2", 0 },
	{ "c.t.test", CLIENT_T_A, "192.0.2.3", 1 },
	{ "c.t.test", CLIENT_T_AAAA, "2001:db8::3", 1 },
	{ "d.t.test", CLIENT_T_A, "192.0.2.4", 0 },
	{ "_ng._tcp.t.test", CLIENT_T_SRV, "0 0 9000 c.t.test", 0 },
	{ "plain.t.test", CLIENT_T_A, "192.0.2.10", 0 },
	{ "_txtonly._tcp.t.test", CLIENT_T_TXT, "x", 0 },
	{ "_none._tcp.t.test", CLIENT_T_SRV, "0 0 0 .", 0 },
	{ "_http._tcp.t.test", CLIENT_T_PTR, "Front Page._http._tcp.t.test", 0 },
	{ "_http._tcp.t.test", CLIENT_T_PTR, "Caf\303\251._http._tcp.t.test", 0 },
	{ "_http._tcp.t.test", CLIENT_T_PTR, "bare._http._tcp.t.test", 0 },
	{ "Front Page._http._tcp.t.test", CLIENT_T_SRV, "0 0 80 a.t.test", 0 },
	{ "Front Page._http._tcp.t.test", CLIENT_T_TXT, "path=/|v=2", 0 },
	{ "Caf\303\251._http._tcp.t.test", CLIENT_T_SRV, "0 0 81 b.t.test", 0 },
	{ "Caf\303\251._http._tcp.t.test", CLIENT_T_TXT, "menu=yes", 0 },
	{ "bare._http._tcp.t.test", CLIENT_T_TXT, "", 0 },
	{ NULL, 0, NULL, 0 },
};

struct fake {
	int fd;
	uint16_t port;
	pthread_t thr;
	pthread_mutex_t mu;
	int stop;
	int nq;                 /* queries received */
	char last[8][300];      /* "name/type" of the last queries */
};

static struct fake fk;

/* Raw octets of a wire name (no compression in queries). */
static int
wire_to_raw(const uint8_t *w, size_t len, char *out, size_t cap,
    size_t *used)
{
	size_t o = 0, i = 0;

	while (i < len && w[i]) {
		size_t l = w[i];

		if (l > 63 || i + 1 + l > len || o + l + 2 > cap)
			return -1;
		if (o)
			out[o++] = '.';
		memcpy(out + o, w + i + 1, l);
		o += l;
		i += 1 + l;
	}
	if (i >= len)
		return -1;
	out[o] = '\0';
	*used = i + 1;
	return 0;
}

static void
put_raw_name(struct msg *m, const char *raw)
{
	const char *p = raw;

	if (strcmp(raw, ".") == 0) {
		put(m, "", 1);
		return;
	}
	while (*p) {
		size_t l = strcspn(p, ".");
		uint8_t b = (uint8_t)l;

		put(m, &b, 1);
		put(m, p, l);
		p += l;
		if (*p)
			p++;
	}
	put(m, "", 1);
}

/* Append one record with owner (NULL: pointer to the question). */
static void
put_zrr(struct msg *m, const char *owner, const struct zrr *z)
{
	size_t lenpos;
	unsigned prio, weight, port;
	char target[256];

	if (owner)
		put_raw_name(m, owner);
	else
		put(m, "\xc0\x0c", 2);
	put16(m, (unsigned)z->type);
	put16(m, CLIENT_C_IN);
	put32(m, 60);
	lenpos = m->n;
	put16(m, 0);
	switch (z->type) {
	case CLIENT_T_A: {
		uint8_t a[4];

		inet_pton(AF_INET, z->data, a);
		put(m, a, 4);
		break;
	}
	case CLIENT_T_AAAA: {
		uint8_t a[16];

		inet_pton(AF_INET6, z->data, a);
		put(m, a, 16);
		break;
	}
	case CLIENT_T_PTR:
		put_raw_name(m, z->data);
		break;
	case CLIENT_T_SRV:
		sscanf(z->data, "%u %u %u %255s", &prio, &weight, &port,
		    target);
		put16(m, prio);
		put16(m, weight);
		put16(m, port);
		put_raw_name(m, target);
		break;
	case CLIENT_T_TXT: {
		const char *p = z->data;

		do {
			size_t l = strcspn(p, "|");
			uint8_t b = (uint8_t)l;

			put(m, &b, 1);
			put(m, p, l);
			p += l;
		} while (*p++);
		break;
	}
	}
	m->b[lenpos] = (uint8_t)((m->n - lenpos - 2) >> 8);
	m->b[lenpos + 1] = (uint8_t)(m->n - lenpos - 2);
}

/*
 * Answer a query from the zone. Names under refused.test get REFUSED,
 * names under silent.test no answer at all.
 */
static size_t
fake_answer(const uint8_t *q, size_t qlen, struct msg *m)
{
	char name[300];
	size_t used, i, qend;
	int type, exists = 0, an = 0, ar = 0;

	if (qlen < 12 + 5 || wire_to_raw(q + 12, qlen - 12, name,
	    sizeof(name), &used) < 0)
		return 0;
	qend = 12 + used + 4;
	if (qend > qlen)
		return 0;
	type = q[12 + used] << 8 | q[12 + used + 1];
	pthread_mutex_lock(&fk.mu);
	snprintf(fk.last[fk.nq % 8], sizeof(fk.last[0]), "%.280s/%d", name,
	    type);
	fk.nq++;
	pthread_mutex_unlock(&fk.mu);
	if (strstr(name, "silent.test"))
		return 0;

	memset(m, 0, sizeof(*m));
	put(m, q, qend);
	m->b[2] = 0x84 | (q[2] & 0x01);         /* QR AA, RD copied */
	m->b[3] = 0;
	if (strstr(name, "refused.test")) {
		m->b[3] = 5;
		return m->n;
	}
	for (i = 0; zone[i].owner; i++) {
		if (strcasecmp(zone[i].owner, name) != 0)
			continue;
		exists = 1;
		if (zone[i].type == type) {
			put_zrr(m, NULL, &zone[i]);
			an++;
		}
	}
	if (!exists) {
		/* an empty non-terminal exists too */
		for (i = 0; zone[i].owner; i++) {
			size_t lo = strlen(zone[i].owner), ln = strlen(name);

			if (lo > ln && zone[i].owner[lo - ln - 1] == '.' &&
			    !strcasecmp(zone[i].owner + lo - ln, name))
				exists = 1;
		}
	}
	if (!exists && !strcasecmp(name, "t.test"))
		exists = 1;
	if (!exists)
		m->b[3] = 3;    /* NXDOMAIN */
	/* additional: addresses of SRV targets */
	if (type == CLIENT_T_SRV && an) {
		size_t j;

		for (i = 0; zone[i].owner; i++) {
			char target[256];
			unsigned a, b, c;

			if (strcasecmp(zone[i].owner, name) ||
			    zone[i].type != CLIENT_T_SRV)
				continue;
			sscanf(zone[i].data, "%u %u %u %255s", &a, &b, &c,
			    target);
			for (j = 0; zone[j].owner; j++) {
				if (zone[j].noglue ||
				    strcasecmp(zone[j].owner, target) ||
				    (zone[j].type != CLIENT_T_A &&
				    zone[j].type != CLIENT_T_AAAA))
					continue;
				put_zrr(m, zone[j].owner, &zone[j]);
				ar++;
			}
		}
	}
	m->b[7] = (uint8_t)an;
	m->b[11] = (uint8_t)ar;
	return m->overflow ? 0 : m->n;
}

static void *
fake_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p = { fk.fd, POLLIN, 0 };
		uint8_t q[512];
		struct msg m;
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;
		size_t rn;
		int stop;

		pthread_mutex_lock(&fk.mu);
		stop = fk.stop;
		pthread_mutex_unlock(&fk.mu);
		if (stop)
			break;
		if (poll(&p, 1, 20) <= 0)
			continue;
		n = recvfrom(fk.fd, q, sizeof(q), 0, (struct sockaddr *)&from,
		    &flen);
		if (n <= 0)
			continue;
		rn = fake_answer(q, (size_t)n, &m);
		if (rn)
			sendto(fk.fd, m.b, rn, 0, (struct sockaddr *)&from, flen);
	}
	return NULL;
}

static int
fake_setup(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	(void)state;
	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.mu, NULL);
	fk.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fk.fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fk.fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fk.fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	fk.port = ntohs(sin.sin_port);
	return pthread_create(&fk.thr, NULL, fake_main, NULL) ? -1 : 0;
}

static int
fake_teardown(void **state)
{
	(void)state;
	pthread_mutex_lock(&fk.mu);
	fk.stop = 1;
	pthread_mutex_unlock(&fk.mu);
	pthread_join(fk.thr, NULL);
	close(fk.fd);
	pthread_mutex_destroy(&fk.mu);
	return 0;
}

static int
fake_queries(void)
{
	int n;

	pthread_mutex_lock(&fk.mu);
	n = fk.nq;
	pthread_mutex_unlock(&fk.mu);
	return n;
}

static struct dnsd_client *
client_for_fake(int timeout_ms, struct xs *rng)
{
	struct dnsd_client_options o;
	struct dnsd_client *c = NULL;
	char servers[64];

	snprintf(servers, sizeof(servers), "127.0.0.1:%u", (unsigned)fk.port);
	memset(&o, 0, sizeof(o));
	o.servers = servers;
	o.domains = "nowhere.test, t.test";
	o.timeout_ms = timeout_ms;
	o.query_timeout_ms = 2000;
	o.tries = 1;
	if (rng) {
		o.rnd = xs_next;
		o.rnd_arg = rng;
	}
	assert_int_equal(dnsd_client_new(&c, &o), 0);
	assert_non_null(c);
	return c;
}

static void
ep_str(const struct dnsd_endpoint *e, char *buf, size_t len)
{
	dnsd_endpoint_format(e, buf, len);
}

static void
test_resolve_glue(void **state)
{
	struct dnsd_client *c = client_for_fake(0, NULL);
	struct dnsd_endpoints *e = NULL;
	char buf[64];
	int before = fake_queries();
	size_t i;

	(void)state;
	assert_int_equal(dnsd_resolve(c, "_web._tcp.t.test", 0, 0, &e), 0);
	assert_non_null(e);
	/* addresses from the additional section: a single query */
	assert_int_equal(fake_queries() - before, 1);
	assert_int_equal(e->srv, 1);
	assert_string_equal(e->name, "_web._tcp.t.test");
	assert_int_equal(e->n, 2 + 1 + 1);      /* a: AAAA + A, b: A, d: A */
	for (i = 0; i < 3; i++)
		assert_int_equal(e->v[i].priority, 10);
	ep_str(&e->v[3], buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.4:8003");
	assert_int_equal(e->v[3].priority, 20);
	/* a's AAAA directly precedes its A */
	for (i = 0; i < e->n; i++) {
		ep_str(&e->v[i], buf, sizeof(buf));
		if (strcmp(buf, "[2001:db8::1]:8001") == 0) {
			assert_true(i + 1 < e->n);
			ep_str(&e->v[i + 1], buf, sizeof(buf));
			assert_string_equal(buf, "192.0.2.1:8001");
			assert_int_equal(e->v[i].addr.sin6.sin6_port,
			    htons(8001));
			assert_int_equal(e->v[i].addrlen,
			    sizeof(struct sockaddr_in6));
		}
	}
	dnsd_endpoints_free(e);
	dnsd_client_free(c);
}

static void
test_resolve_queries_targets(void **state)
{
	struct dnsd_client *c = client_for_fake(0, NULL);
	struct dnsd_endpoints *e = NULL;
	char buf[64];
	int before = fake_queries();

	(void)state;
	/* c.t.test has no glue: AAAA and A are asked */
	assert_int_equal(dnsd_resolve(c, "_ng._tcp.t.test", 0, 0, &e), 0);
	assert_int_equal(fake_queries() - before, 3);
	assert_int_equal(e->n, 2);
	ep_str(&e->v[0], buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::3]:9000");
	ep_str(&e->v[1], buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.3:9000");
	dnsd_endpoints_free(e);
	/* IPv4 only: one address query */
	before = fake_queries();
	assert_int_equal(dnsd_resolve(c, "_ng._tcp.t.test", DNSD_RESOLVE_IPV4,
	    0, &e), 0);
	assert_int_equal(fake_queries() - before, 2);
	assert_int_equal(e->n, 1);
	assert_int_equal(e->v[0].family, AF_INET);
	dnsd_endpoints_free(e);
	/* names only: no address query */
	before = fake_queries();
	assert_int_equal(dnsd_resolve(c, "_ng._tcp.t.test", DNSD_RESOLVE_NAMES,
	    0, &e), 0);
	assert_int_equal(fake_queries() - before, 1);
	assert_int_equal(e->n, 1);
	assert_int_equal(e->v[0].family, AF_UNSPEC);
	ep_str(&e->v[0], buf, sizeof(buf));
	assert_string_equal(buf, "c.t.test:9000");
	dnsd_endpoints_free(e);
	dnsd_client_free(c);
}

static void
test_resolve_search_and_fallback(void **state)
{
	struct dnsd_client *c = client_for_fake(0, NULL);
	struct dnsd_endpoints *e = NULL;
	char buf[64];

	(void)state;
	/* "web": _web._tcp.nowhere.test, web.nowhere.test, then t.test */
	assert_int_equal(dnsd_resolve(c, "web", 0, 0, &e), 0);
	assert_string_equal(e->name, "_web._tcp.t.test");
	dnsd_endpoints_free(e);
	/* "plain": no SRV; A of plain.t.test with the caller's port */
	assert_int_equal(dnsd_resolve(c, "plain", 0, 8080, &e), 0);
	assert_int_equal(e->srv, 0);
	assert_string_equal(e->name, "plain.t.test");
	assert_int_equal(e->n, 1);
	ep_str(&e->v[0], buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.10:8080");
	dnsd_endpoints_free(e);
	/* absolute name without SRV */
	assert_int_equal(dnsd_resolve(c, "plain.t.test.", 0, 0, &e), 0);
	ep_str(&e->v[0], buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.10");
	dnsd_endpoints_free(e);
	/* ...unless fallback is off */
	assert_int_equal(dnsd_resolve(c, "plain.t.test", DNSD_RESOLVE_NO_FALLBACK,
	    0, &e), DNSD_CLIENT_ENODATA);
	assert_null(e);
	dnsd_client_free(c);
}

static void
test_resolve_errors(void **state)
{
	struct dnsd_client *c = client_for_fake(0, NULL);
	struct dnsd_endpoints *e = NULL;
	int before;

	(void)state;
	/* NXDOMAIN for the very name: no pointless A/AAAA fallback */
	before = fake_queries();
	assert_int_equal(dnsd_resolve(c, "_nope._tcp.t.test", 0, 0, &e),
	    DNSD_CLIENT_ENXDOMAIN);
	assert_int_equal(fake_queries() - before, 1);
	assert_null(e);
	/* the name exists without SRV, and without A/AAAA */
	assert_int_equal(dnsd_resolve(c, "_txtonly._tcp.t.test", 0, 0, &e),
	    DNSD_CLIENT_ENODATA);
	/* SRV "." */
	assert_int_equal(dnsd_resolve(c, "_none._tcp.t.test", 0, 0, &e),
	    DNSD_CLIENT_ENOSERVICE);
	/* REFUSED is told apart from an unreachable server */
	assert_int_equal(dnsd_resolve(c, "_x._tcp.refused.test", 0, 0, &e),
	    DNSD_CLIENT_EREFUSED);
	/* no such service in any search domain */
	assert_int_equal(dnsd_resolve(c, "nothere", 0, 0, &e),
	    DNSD_CLIENT_ENXDOMAIN);
	/* bad names fail at once */
	assert_int_equal(dnsd_resolve(c, "a..b", 0, 0, &e),
	    DNSD_CLIENT_EBADNAME);
	assert_int_equal(dnsd_resolve(c, NULL, 0, 0, &e), -EINVAL);
	dnsd_client_free(c);
}

static void
test_resolve_timeout(void **state)
{
	struct dnsd_client *c = client_for_fake(150, NULL);
	struct dnsd_endpoints *e = NULL;
	struct timespec t0, t1;
	long ms;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dnsd_resolve(c, "_x._tcp.silent.test", 0, 0, &e),
	    DNSD_CLIENT_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	/* the overall limit, not c-ares' 2 s per try */
	assert_true(ms >= 140 && ms < 1500);
	/* the late query is still in c-ares; freeing cleans it up */
	dnsd_client_free(c);
}

struct got {
	int n;
	int err;
	struct dnsd_endpoints *res;
};

static void
got_cb(void *arg, int err, struct dnsd_endpoints *res)
{
	struct got *g = arg;

	g->n++;
	g->err = err;
	g->res = res;
}

static void
test_async_concurrent_and_cancel(void **state)
{
	struct xs x = { 77 };
	struct dnsd_client *c = client_for_fake(0, &x);
	struct got g[3];
	int i, left = 100;

	(void)state;
	memset(g, 0, sizeof(g));
	assert_int_equal(dnsd_resolve_start(c, "_web._tcp.t.test", 0, 0,
	    got_cb, &g[0]), 0);
	assert_int_equal(dnsd_resolve_start(c, "plain.t.test", 0, 1, got_cb,
	    &g[1]), 0);
	assert_int_equal(dnsd_resolve_start(c, "_x._tcp.silent.test", 0, 0,
	    got_cb, &g[2]), 0);
	/* callbacks come from the event loop, not from start */
	assert_int_equal(g[0].n + g[1].n + g[2].n, 0);
	while ((g[0].n == 0 || g[1].n == 0) && left-- > 0)
		assert_true(dnsd_client_process(c, 50) >= 1);
	assert_int_equal(g[0].n, 1);
	assert_int_equal(g[0].err, 0);
	assert_int_equal(g[1].n, 1);
	assert_int_equal(g[1].err, 0);
	assert_int_equal(g[1].res->v[0].port, 1);
	assert_int_equal(g[2].n, 0);
	assert_int_equal(dnsd_client_process(c, 0), 1);
	/* freeing the context ends the silent one */
	dnsd_client_free(c);
	assert_int_equal(g[2].n, 1);
	assert_int_equal(g[2].err, DNSD_CLIENT_ECANCELLED);
	assert_null(g[2].res);
	for (i = 0; i < 3; i++)
		dnsd_endpoints_free(g[i].res);
	/* a bad name is refused by start, and the callback never runs */
	c = client_for_fake(0, NULL);
	memset(g, 0, sizeof(g));
	assert_int_equal(dnsd_resolve_start(c, "x..y", 0, 0, got_cb, &g[0]),
	    DNSD_CLIENT_EBADNAME);
	assert_int_equal(dnsd_client_run(c), 0);
	assert_int_equal(g[0].n, 0);
	dnsd_client_free(c);
}

static void
test_borrowed_channel(void **state)
{
	struct dnsd_client_options o;
	struct dnsd_client *c = NULL;
	ares_channel ch;
	char servers[64];
	struct got g;
	char buf[64];

	(void)state;
	assert_int_equal(ares_init(&ch), ARES_SUCCESS);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", (unsigned)fk.port);
	assert_int_equal(ares_set_servers_ports_csv(ch, servers), ARES_SUCCESS);
	memset(&o, 0, sizeof(o));
	o.channel = ch;
	assert_int_equal(dnsd_client_new(&c, &o), 0);
	assert_ptr_equal(dnsd_client_channel(c), ch);
	memset(&g, 0, sizeof(g));
	assert_int_equal(dnsd_resolve_start(c, "_ng._tcp.t.test",
	    DNSD_RESOLVE_IPV4, 0, got_cb, &g), 0);
	assert_int_equal(dnsd_client_run(c), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.err, 0);
	ep_str(&g.res->v[0], buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.3:9000");
	dnsd_endpoints_free(g.res);
	dnsd_client_free(c);
	/* the channel is still ours */
	ares_destroy(ch);
}

static void
test_browse(void **state)
{
	struct dnsd_client *c = client_for_fake(0, NULL);
	struct dnsd_instances *in = NULL;

	(void)state;
	assert_int_equal(dnsd_browse(c, "_http._tcp.t.test", 0, &in), 0);
	assert_non_null(in);
	assert_string_equal(in->name, "_http._tcp.t.test");
	assert_int_equal(in->n, 3);
	/* sorted by label */
	assert_string_equal(in->v[0].label, "bare");
	assert_null(in->v[0].target);
	assert_int_equal(in->v[0].ntxt, 0);     /* "" means no keys */
	assert_string_equal(in->v[1].label, "Caf\303\251");
	assert_string_equal(in->v[1].name, "Caf\\195\\169._http._tcp.t.test");
	assert_string_equal(in->v[1].target, "b.t.test");
	assert_int_equal(in->v[1].port, 81);
	assert_int_equal(in->v[1].ntxt, 1);
	assert_string_equal(in->v[1].txt[0].data, "menu=yes");
	assert_string_equal(in->v[2].label, "Front Page");
	assert_int_equal(in->v[2].port, 80);
	assert_int_equal(in->v[2].ntxt, 2);
	assert_string_equal(in->v[2].txt[0].data, "path=/");
	assert_int_equal(in->v[2].txt[1].len, 3);
	assert_string_equal(in->v[2].txt[1].data, "v=2");
	dnsd_instances_free(in);
	/* bare type with the search list */
	assert_int_equal(dnsd_browse(c, "http", 0, &in), 0);
	assert_int_equal(in->n, 3);
	dnsd_instances_free(in);
	assert_int_equal(dnsd_browse(c, "_ipp._tcp.t.test", 0, &in),
	    DNSD_CLIENT_ENXDOMAIN);
	assert_null(in);
	dnsd_client_free(c);
}

static void
test_client_options(void **state)
{
	struct dnsd_client_options o;
	struct dnsd_client *c = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.servers = "not an address";
	assert_int_equal(dnsd_client_new(&c, &o), DNSD_CLIENT_ESERVERS);
	assert_null(c);
	o.servers = NULL;
	o.timeout_ms = -1;
	assert_int_equal(dnsd_client_new(&c, &o), -EINVAL);
	assert_int_equal(dnsd_client_new(NULL, NULL), -EINVAL);
	/* defaults: the system configuration */
	assert_int_equal(dnsd_client_new(&c, NULL), 0);
	assert_non_null(dnsd_client_channel(c));
	assert_int_equal(dnsd_client_run(c), 0);
	dnsd_client_free(c);
	dnsd_client_free(NULL);
	dnsd_endpoints_free(NULL);
	dnsd_instances_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_order_priorities),
		cmocka_unit_test(test_order_priority_groups_fixed),
		cmocka_unit_test(test_order_weights),
		cmocka_unit_test(test_order_weight_zero_late),
		cmocka_unit_test(test_order_weight_zero_heavy),
		cmocka_unit_test(test_order_all_zero),
		cmocka_unit_test(test_order_second_group_weighted),
		cmocka_unit_test(test_order_deterministic),
		cmocka_unit_test(test_order_degenerate_sources),
		cmocka_unit_test(test_name_to_wire),
		cmocka_unit_test(test_label_unescape),
		cmocka_unit_test(test_query_build),
		cmocka_unit_test(test_srv_wire_parse),
		cmocka_unit_test(test_srv_wire_truncated),
		cmocka_unit_test(test_ptr_parse),
		cmocka_unit_test(test_status_err),
		cmocka_unit_test(test_name_split),
		cmocka_unit_test(test_endpoint_format),
		cmocka_unit_test(test_client_options),
	};
	const struct CMUnitTest served[] = {
		cmocka_unit_test(test_resolve_glue),
		cmocka_unit_test(test_resolve_queries_targets),
		cmocka_unit_test(test_resolve_search_and_fallback),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_resolve_timeout),
		cmocka_unit_test(test_async_concurrent_and_cancel),
		cmocka_unit_test(test_borrowed_channel),
		cmocka_unit_test(test_browse),
	};
	int fails;

	fails = cmocka_run_group_tests_name("srv order and wire", pure, NULL,
	    NULL);
	fails += cmocka_run_group_tests_name("requests (in-process server)",
	    served, fake_setup, fake_teardown);
	return fails ? 1 : 0;
}
