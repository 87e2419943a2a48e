/* test_query.c -- the answer logic, through query_answer() on wire
 * messages, with replies checked by parsing them with ldns.
 *
 * The zones are copies of zones/svc.example.test.zone and
 * zones/example.test.zone with test records added at the end; they are
 * imported through the real configuration and zone-file code (testzone.c).
 */
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

#include <ldns/ldns.h>

#include "node/node.h"
#include "query/query.h"
#include "testzone.h"
#include "util/err.h"
#include "wire/wire.h"

#define NOW 1700000000u

static const char svc_zone[] =
	"$ORIGIN svc.example.test.\n"
	"$TTL 300\n"
	"@           IN SOA  ns1.svc.example.test. hostmaster.example.test. (\n"
	"                    2026113001 ; serial\n"
	"                    3600       ; refresh\n"
	"                    600        ; retry\n"
	"                    1209600    ; expire\n"
	"                    60 )       ; minimum\n"
	"            IN NS   ns1\n"
	"ns1         IN A    127.0.0.1\n"
	"web-1       IN A    10.0.0.5\n"
	"            IN AAAA 2001:db8::5\n"
	"web-2       IN A    10.0.0.6\n"
	"            IN AAAA 2001:db8::6\n"
	"api-1       IN A    10.0.1.10\n"
	"db-1        IN A    10.0.2.20\n"
	"_http._tcp  IN SRV  10 60 8080 web-1\n"
	"            IN SRV  10 40 8080 web-2\n"
	"_api._tcp   IN SRV  0 0 9000 api-1\n"
	"_postgresql._tcp IN SRV 0 0 5432 db-1\n"
	"_services._dns-sd._udp IN PTR _http._tcp\n"
	"                       IN PTR _api._tcp\n"
	"_http._tcp  IN PTR  web-1._http._tcp\n"
	"            IN PTR  web-2._http._tcp\n"
	"web-1._http._tcp IN SRV 0 0 8080 web-1\n"
	"                 IN TXT \"path=/\" \"version=2\"\n"
	"web-2._http._tcp IN SRV 0 0 8080 web-2\n"
	"                 IN TXT \"path=/\" \"version=2\"\n"
	"_api._tcp   IN PTR  api-1._api._tcp\n"
	"api-1._api._tcp IN SRV 0 0 9000 api-1\n"
	"                IN TXT \"path=/v1\"\n"
	"_v2._sub._http._tcp IN PTR web-1._http._tcp\n"
	"web         IN A    10.0.0.5\n"
	"            IN A    10.0.0.6\n"
	"www         IN CNAME web\n"
	"; ---- test additions ----\n"
	"c1          IN CNAME c2\n"
	"c2          IN CNAME c3.svc.example.test.\n"
	"c3          IN A    10.9.9.9\n"
	"loop1       IN CNAME loop2\n"
	"loop2       IN CNAME loop1\n"
	"self        IN CNAME self\n"
	"ext         IN CNAME www.example.org.\n"
	"cross       IN CNAME mail.example.test.\n"
	"dangling    IN CNAME nothing-here\n"
	"mx          IN MX   10 web-1\n"
	"            IN MX   20 mail.example.org.\n"
	"odd         IN SRV  0 0 80 not-here\n";

static const char example_zone[] =
	"$ORIGIN example.test.\n"
	"$TTL 3600\n"
	"@       IN SOA  ns1.example.test. hostmaster.example.test. 2026113001 3600 600 1209600 300\n"
	"        IN NS   ns1\n"
	"        IN MX   10 mail\n"
	"        IN TXT  \"v=spf1 -all\"\n"
	"ns1     IN A    127.0.0.1\n"
	"mail    IN A    192.0.2.25\n"
	"*.apps  IN A    192.0.2.80\n"
	"lab     IN NS   ns.lab\n"
	"ns.lab  IN A    192.0.2.53\n"
	"opaque  IN TYPE65280 \\# 4 0a000001\n"
	"; ---- test additions ----\n"
	"real.apps IN TXT \"real\"\n"
	"deep.ent.apps IN A 192.0.2.99\n"
	"*.wild  IN CNAME mail\n";

/* The svc zone plus generated RRsets: "big" (100 SRV records without
 * addresses) and "mid" (10 SRV records whose targets have A and AAAA). */
static char *
svc_zone_text(void)
{
	size_t cap = sizeof(svc_zone) + 200 * 80;
	char *s = malloc(cap);
	assert_non_null(s);
	size_t o = (size_t)snprintf(s, cap, "%s", svc_zone);
	for (int i = 0; i < 100; i++)
		o += (size_t)snprintf(s + o, cap - o, "big IN SRV 0 0 %d t%d.big\n", 1000 + i, i);
	for (int i = 0; i < 10; i++) {
		o += (size_t)snprintf(s + o, cap - o, "mid IN SRV 0 0 80 h%d.mid\n", i);
		o += (size_t)snprintf(s + o, cap - o, "h%d.mid IN A 10.1.0.%d\n", i, i);
		o += (size_t)snprintf(s + o, cap - o, "h%d.mid IN AAAA 2001:db8::1:%d\n", i, i);
	}
	return s;
}

/* ---- building queries ---- */

struct qopt {
	uint16_t id;
	uint16_t flags;  /* header flags; RD by default (see q_default) */
	bool edns;
	uint16_t udp;    /* EDNS UDP size */
	uint8_t version; /* EDNS version */
	uint16_t qclass;
};

static struct qopt
q_default(void)
{
	struct qopt o = { .id = 0x1234, .flags = WIRE_RD, .qclass = CLASS_IN };
	return o;
}

/* A query message for `name`/`type`; returns its length. */
static size_t
build(uint8_t *out, const char *name, uint16_t type, const struct qopt *o)
{
	struct wire_buf w;
	uint8_t n[WIRE_NAME_MAX];
	assert_true(wire_name_from_str(name, n) > 0);
	wire_buf_init(&w, out, 4096);
	wire_buf_u16(&w, o->id);
	wire_buf_u16(&w, o->flags);
	wire_buf_u16(&w, 1);
	wire_buf_u16(&w, 0);
	wire_buf_u16(&w, 0);
	wire_buf_u16(&w, o->edns ? 1 : 0);
	wire_buf_name_nocomp(&w, n);
	wire_buf_u16(&w, type);
	wire_buf_u16(&w, o->qclass);
	if (o->edns) {
		wire_buf_u8(&w, 0);
		wire_buf_u16(&w, RR_OPT);
		wire_buf_u16(&w, o->udp);
		wire_buf_u32(&w, (uint32_t)o->version << 16);
		wire_buf_u16(&w, 0);
	}
	assert_int_equal(w.err, 0);
	return w.len;
}

/* A reply: the raw bytes and, when there are any, the parsed packet. */
struct reply {
	uint8_t b[65536];
	size_t len;
	struct query_info info;
	ldns_pkt *p;
};

static void
reply_free(struct reply *r)
{
	if (r->p != NULL)
		ldns_pkt_free(r->p);
	r->p = NULL;
}

/* Answer the raw message `in`. */
static void
ask_raw(struct testzone *tz, const uint8_t *in, size_t inlen, bool tcp, uint32_t now,
    struct reply *r)
{
	memset(&r->info, 0, sizeof(r->info));
	r->p = NULL;
	r->len = query_answer(&tz->ctx, in, inlen, r->b, sizeof(r->b), tcp, now, &r->info);
	if (r->len > 0) {
		assert_int_equal(r->info.action, QUERY_REPLY);
		ldns_status st = ldns_wire2pkt(&r->p, r->b, r->len);
		if (st != LDNS_STATUS_OK)
			fail_msg("reply does not parse: %s", ldns_get_errorstr_by_id(st));
		/* The header counts match what is there (ldns checks that), and
		 * the ID is echoed. */
		assert_int_equal(ldns_pkt_id(r->p), wire_get16(in));
		assert_true(ldns_pkt_qr(r->p));
	}
}

/* The reply of the last ask_full(), freed by the next one and teardown. */
static struct reply last;

static struct reply *
ask_full(struct testzone *tz, const char *name, uint16_t type, const struct qopt *o, bool tcp,
    uint32_t now)
{
	uint8_t q[4096];
	size_t n = build(q, name, type, o);
	reply_free(&last);
	ask_raw(tz, q, n, tcp, now, &last);
	return &last;
}

/* The common case: UDP, no EDNS, at NOW. */
static struct reply *
ask(struct testzone *tz, const char *name, uint16_t type)
{
	struct qopt o = q_default();
	struct reply *r = ask_full(tz, name, type, &o, false, NOW);
	assert_non_null(r->p);
	return r;
}

static int
setup(void **state)
{
	struct testzone *tz = calloc(1, sizeof(*tz));
	char *svc = svc_zone_text();
	struct testzone_src src[] = {
		{ "svc.example.test", svc },
		{ "example.test", example_zone },
		{ "empty.test", NULL },
		/* SOA TTL below MINIMUM: the negative TTL is the TTL. */
		{ "ttl.test", "$TTL 30\n@ SOA ns hm 1 3600 600 86400 600\n@ NS ns\nns A 192.0.2.1\n" },
	};
	int rc = testzone_open(tz, src, 4, NOW);
	free(svc);
	if (rc != 0) {
		testzone_close(tz);
		free(tz);
		return -1;
	}
	*state = tz;
	return 0;
}

static int
teardown(void **state)
{
	struct testzone *tz = *state;
	reply_free(&last);
	testzone_close(tz);
	free(tz);
	return 0;
}

/* ---- looking at replies ---- */

static ldns_rdf *
dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	assert_non_null(d);
	return d;
}

/* Number of records of `type` (0 = any) owned by `owner` (NULL = any). */
static size_t
count(const ldns_rr_list *l, const char *owner, uint16_t type)
{
	size_t n = 0;
	ldns_rdf *d = owner ? dname(owner) : NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (type != 0 && ldns_rr_get_type(rr) != type)
			continue;
		if (d != NULL && ldns_dname_compare(ldns_rr_owner(rr), d) != 0)
			continue;
		n++;
	}
	ldns_rdf_deep_free(d);
	return n;
}

/* The first record of `type` owned by `owner` whose rdata field `field`
 * prints as `value` (NULL: any); NULL if none. */
static ldns_rr *
find(const ldns_rr_list *l, const char *owner, uint16_t type, size_t field, const char *value)
{
	ldns_rr *found = NULL;
	ldns_rdf *d = dname(owner);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && found == NULL; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) != type || ldns_dname_compare(ldns_rr_owner(rr), d) != 0)
			continue;
		if (value == NULL) {
			found = rr;
			break;
		}
		if (field >= ldns_rr_rd_count(rr))
			continue;
		char *s = ldns_rdf2str(ldns_rr_rdf(rr, field));
		if (s != NULL && strcmp(s, value) == 0)
			found = rr;
		free(s);
	}
	ldns_rdf_deep_free(d);
	return found;
}

#define AN(r) ldns_pkt_answer((r)->p)
#define NS(r) ldns_pkt_authority((r)->p)
#define AR(r) ldns_pkt_additional((r)->p)
#define RCODE(r) ldns_pkt_get_rcode((r)->p)

static void
assert_rr(const ldns_rr_list *l, const char *owner, uint16_t type, size_t field,
    const char *value)
{
	if (find(l, owner, type, field, value) == NULL)
		fail_msg("missing %s type %u %s", owner, type, value ? value : "");
}

/* A negative answer: the zone's SOA alone in authority with the TTL of
 * RFC 2308 section 5. */
static void
assert_negative(struct reply *r, int rcode, const char *zone, uint32_t ttl)
{
	assert_int_equal(RCODE(r), rcode);
	assert_true(ldns_pkt_aa(r->p));
	assert_int_equal(ldns_pkt_ancount(r->p), 0);
	assert_int_equal(ldns_pkt_nscount(r->p), 1);
	ldns_rr *soa = find(NS(r), zone, RR_SOA, 0, NULL);
	assert_non_null(soa);
	assert_int_equal(ldns_rr_ttl(soa), ttl);
}

/* Offset just after the question of a reply. */
static size_t
after_question(const struct reply *r)
{
	struct wire_cur c;
	wire_cur_init(&c, r->b, r->len, WIRE_HDR_LEN);
	wire_skip_name(&c);
	wire_skip(&c, 4);
	assert_int_equal(c.err, 0);
	return c.pos;
}

/* ---- positive answers ---- */

static void
test_a_aaaa(void **state)
{
	struct testzone *tz = *state;
	struct reply *r = ask(tz, "web-1.svc.example.test", RR_A);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(r->p));
	assert_true(ldns_pkt_rd(r->p)); /* copied */
	assert_false(ldns_pkt_ra(r->p));
	assert_false(ldns_pkt_tc(r->p));
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_rr(AN(r), "web-1.svc.example.test", RR_A, 0, "10.0.0.5");
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(AN(r), 0)), 300);
	assert_int_equal(ldns_pkt_nscount(r->p), 0);

	r = ask(tz, "web-1.svc.example.test", RR_AAAA);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_rr(AN(r), "web-1.svc.example.test", RR_AAAA, 0, "2001:db8::5");

	r = ask(tz, "web.svc.example.test", RR_A);
	assert_int_equal(ldns_pkt_ancount(r->p), 2);
	assert_rr(AN(r), "web.svc.example.test", RR_A, 0, "10.0.0.5");
	assert_rr(AN(r), "web.svc.example.test", RR_A, 0, "10.0.0.6");

	/* Class ANY questions are answered like IN. */
	struct qopt o = q_default();
	o.qclass = CLASS_ANY;
	r = ask_full(tz, "web-1.svc.example.test", RR_A, &o, false, NOW);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
}

static void
test_srv_additional(void **state)
{
	struct testzone *tz = *state;
	struct reply *r = ask(tz, "_http._tcp.svc.example.test", RR_SRV);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(r->p));
	assert_int_equal(ldns_pkt_ancount(r->p), 2);
	assert_rr(AN(r), "_http._tcp.svc.example.test", RR_SRV, 3, "web-1.svc.example.test.");
	assert_rr(AN(r), "_http._tcp.svc.example.test", RR_SRV, 3, "web-2.svc.example.test.");
	assert_rr(AN(r), "_http._tcp.svc.example.test", RR_SRV, 1, "60");
	/* The targets' addresses, each once. */
	assert_rr(AR(r), "web-1.svc.example.test", RR_A, 0, "10.0.0.5");
	assert_rr(AR(r), "web-1.svc.example.test", RR_AAAA, 0, "2001:db8::5");
	assert_rr(AR(r), "web-2.svc.example.test", RR_A, 0, "10.0.0.6");
	assert_rr(AR(r), "web-2.svc.example.test", RR_AAAA, 0, "2001:db8::6");
	assert_int_equal(ldns_pkt_arcount(r->p), 4);

	/* A target outside our zones, or missing, adds nothing. */
	r = ask(tz, "odd.svc.example.test", RR_SRV);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_int_equal(ldns_pkt_arcount(r->p), 0);
}

static void
test_srv_target_not_compressed(void **state)
{
	struct testzone *tz = *state;
	struct reply *r = ask(tz, "_api._tcp.svc.example.test", RR_SRV);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	/* Walk the raw answer: owner, type, class, ttl, rdlen, rdata. */
	struct wire_cur c;
	wire_cur_init(&c, r->b, r->len, after_question(r));
	wire_skip_name(&c);
	assert_int_equal(wire_read_u16(&c), RR_SRV);
	wire_skip(&c, 6);
	uint16_t rdlen = wire_read_u16(&c);
	const uint8_t *rd = wire_read_bytes(&c, rdlen);
	assert_int_equal(c.err, 0);
	/* RFC 2782: the target is a whole uncompressed name. */
	assert_true(rdlen > 6);
	assert_int_equal(wire_name_check(rd + 6, rdlen - 6u), rdlen - 6u);
	uint8_t want[WIRE_NAME_MAX];
	size_t wl = wire_name_from_str("api-1.svc.example.test", want);
	assert_int_equal(rdlen - 6u, wl);
	assert_memory_equal(rd + 6, want, wl);
}

static void
test_owner_compressed_and_case(void **state)
{
	struct testzone *tz = *state;
	uint8_t q[512];
	struct qopt o = q_default();
	size_t n = build(q, "WeB-1.Svc.EXAMPLE.test", RR_A, &o);
	struct reply *r = ask_full(tz, "WeB-1.Svc.EXAMPLE.test", RR_A, &o, false, NOW);
	/* The question comes back byte for byte, case kept. */
	assert_true(r->len >= n);
	assert_memory_equal(r->b + 12, q + 12, n - 12);
	assert_int_equal(wire_get16(r->b + 4), 1);
	/* The answer's owner is a pointer to the question name. */
	size_t at = after_question(r);
	assert_int_equal(r->b[at], 0xc0);
	assert_int_equal(r->b[at + 1], 12);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	/* Owner names in other sections are compressed too: the NS target
	 * and the additional owner of an MX answer. */
	r = ask(tz, "example.test", RR_MX);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_rr(AR(r), "mail.example.test", RR_A, 0, "192.0.2.25");
	/* 12 header + 18 question + MX (2 + 10 + 2 + "mail"+ptr 7) + A (2 + 10 + 4) */
	assert_int_equal(r->len, 12 + 18 + 21 + 16);
}

static void
test_txt_ptr_soa_ns_mx(void **state)
{
	struct testzone *tz = *state;
	struct reply *r = ask(tz, "example.test", RR_TXT);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_rr(AN(r), "example.test", RR_TXT, 0, "\"v=spf1 -all\"");
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(AN(r), 0)), 3600);

	r = ask(tz, "web-1._http._tcp.svc.example.test", RR_TXT);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	ldns_rr *txt = ldns_rr_list_rr(AN(r), 0);
	assert_int_equal(ldns_rr_rd_count(txt), 2);

	r = ask(tz, "_services._dns-sd._udp.svc.example.test", RR_PTR);
	assert_int_equal(ldns_pkt_ancount(r->p), 2);
	assert_rr(AN(r), "_services._dns-sd._udp.svc.example.test", RR_PTR, 0,
	    "_http._tcp.svc.example.test.");
	assert_rr(AN(r), "_services._dns-sd._udp.svc.example.test", RR_PTR, 0,
	    "_api._tcp.svc.example.test.");

	r = ask(tz, "example.test", RR_SOA);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_true(ldns_pkt_aa(r->p));
	assert_rr(AN(r), "example.test", RR_SOA, 2, "2026113001");
	assert_int_equal(ldns_pkt_nscount(r->p), 0);

	/* The longest zone wins: svc.example.test has its own SOA. */
	r = ask(tz, "svc.example.test", RR_SOA);
	assert_rr(AN(r), "svc.example.test", RR_SOA, 0, "ns1.svc.example.test.");

	r = ask(tz, "example.test", RR_NS);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_true(ldns_pkt_aa(r->p));
	assert_rr(AN(r), "example.test", RR_NS, 0, "ns1.example.test.");
	assert_rr(AR(r), "ns1.example.test", RR_A, 0, "127.0.0.1");

	/* MX: the in-zone exchange gets its addresses, the other does not. */
	r = ask(tz, "mx.svc.example.test", RR_MX);
	assert_int_equal(ldns_pkt_ancount(r->p), 2);
	assert_rr(AN(r), "mx.svc.example.test", RR_MX, 1, "web-1.svc.example.test.");
	assert_rr(AN(r), "mx.svc.example.test", RR_MX, 1, "mail.example.org.");
	assert_rr(AR(r), "web-1.svc.example.test", RR_A, 0, "10.0.0.5");
	assert_rr(AR(r), "web-1.svc.example.test", RR_AAAA, 0, "2001:db8::5");
	assert_int_equal(ldns_pkt_arcount(r->p), 2);

	/* A zone without a file has a generated SOA and NS. */
	r = ask(tz, "empty.test", RR_SOA);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_rr(AN(r), "empty.test", RR_SOA, 0, "ns.empty.test.");
	r = ask(tz, "empty.test", RR_NS);
	assert_rr(AN(r), "empty.test", RR_NS, 0, "ns.empty.test.");
}

static void
test_unknown_type(void **state)
{
	struct testzone *tz = *state;
	struct reply *r = ask(tz, "opaque.example.test", 65280);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	ldns_rr *rr = ldns_rr_list_rr(AN(r), 0);
	assert_int_equal(ldns_rr_get_type(rr), 65280);
	ldns_rdf *rd = ldns_rr_rdf(rr, 0);
	assert_int_equal(ldns_rdf_size(rd), 4);
	assert_memory_equal(ldns_rdf_data(rd), "\x0a\x00\x00\x01", 4);

	/* A type nobody has there: NODATA. */
	r = ask(tz, "opaque.example.test", 65281);
	assert_negative(r, LDNS_RCODE_NOERROR, "example.test", 300);
}

static void
test_dnssd_ptr(void **state)
{
	struct testzone *tz = *state;
	struct reply *r = ask(tz, "_http._tcp.svc.example.test", RR_PTR);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r->p), 2);
	assert_rr(AN(r), "_http._tcp.svc.example.test", RR_PTR, 0,
	    "web-1._http._tcp.svc.example.test.");
	/* RFC 6763 section 12.1: SRV, TXT and the target addresses. */
	assert_rr(AR(r), "web-1._http._tcp.svc.example.test", RR_SRV, 3, "web-1.svc.example.test.");
	assert_rr(AR(r), "web-2._http._tcp.svc.example.test", RR_SRV, 3, "web-2.svc.example.test.");
	assert_int_equal(count(AR(r), "web-1._http._tcp.svc.example.test", RR_TXT), 1);
	assert_int_equal(count(AR(r), "web-2._http._tcp.svc.example.test", RR_TXT), 1);
	assert_rr(AR(r), "web-1.svc.example.test", RR_A, 0, "10.0.0.5");
	assert_rr(AR(r), "web-1.svc.example.test", RR_AAAA, 0, "2001:db8::5");
	assert_rr(AR(r), "web-2.svc.example.test", RR_A, 0, "10.0.0.6");
	assert_rr(AR(r), "web-2.svc.example.test", RR_AAAA, 0, "2001:db8::6");
	assert_int_equal(ldns_pkt_arcount(r->p), 8);

	/* A subtype PTR leads to the same instance data. */
	r = ask(tz, "_v2._sub._http._tcp.svc.example.test", RR_PTR);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_rr(AR(r), "web-1._http._tcp.svc.example.test", RR_SRV, 2, "8080");
	assert_int_equal(count(AR(r), "web-1.svc.example.test", 0), 2);
}

/* ---- CNAME ---- */

static void
test_cname(void **state)
{
	struct testzone *tz = *state;
	struct reply *r = ask(tz, "www.svc.example.test", RR_A);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(r->p));
	assert_int_equal(ldns_pkt_ancount(r->p), 3);
	assert_rr(AN(r), "www.svc.example.test", RR_CNAME, 0, "web.svc.example.test.");
	assert_int_equal(count(AN(r), "web.svc.example.test", RR_A), 2);
	/* The CNAME comes first. */
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(AN(r), 0)), RR_CNAME);

	/* Asking for the CNAME itself does not follow it. */
	r = ask(tz, "www.svc.example.test", RR_CNAME);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);

	/* A chain of two. */
	r = ask(tz, "c1.svc.example.test", RR_A);
	assert_int_equal(ldns_pkt_ancount(r->p), 3);
	assert_rr(AN(r), "c1.svc.example.test", RR_CNAME, 0, "c2.svc.example.test.");
	assert_rr(AN(r), "c2.svc.example.test", RR_CNAME, 0, "c3.svc.example.test.");
	assert_rr(AN(r), "c3.svc.example.test", RR_A, 0, "10.9.9.9");

	/* Into another served zone. */
	r = ask(tz, "cross.svc.example.test", RR_A);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r->p), 2);
	assert_rr(AN(r), "mail.example.test", RR_A, 0, "192.0.2.25");

	/* Out of our zones: the CNAME alone, the resolver goes on. */
	r = ask(tz, "ext.svc.example.test", RR_A);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_int_equal(ldns_pkt_nscount(r->p), 0);

	/* To a name that does not exist: NXDOMAIN with the CNAME (RFC 6604). */
	r = ask(tz, "dangling.svc.example.test", RR_A);
	assert_int_equal(RCODE(r), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_non_null(find(NS(r), "svc.example.test", RR_SOA, 0, NULL));

	/* A target with no data of the type: NODATA after the CNAME. */
	r = ask(tz, "www.svc.example.test", RR_TXT);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_non_null(find(NS(r), "svc.example.test", RR_SOA, 0, NULL));
}

static void
test_cname_loop(void **state)
{
	struct testzone *tz = *state;
	const char *names[] = { "loop1.svc.example.test", "self.svc.example.test" };
	for (size_t i = 0; i < 2; i++) {
		struct reply *r = ask(tz, names[i], RR_A);
		/* It ends, with a bounded answer and no record twice. */
		assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
		size_t an = ldns_pkt_ancount(r->p);
		assert_true(an >= 1 && an <= 9);
		for (size_t a = 0; a < an; a++)
			for (size_t b = a + 1; b < an; b++)
				assert_int_not_equal(ldns_rr_compare(ldns_rr_list_rr(AN(r), a),
				                         ldns_rr_list_rr(AN(r), b)), 0);
	}
	struct reply *r = ask(tz, "loop1.svc.example.test", RR_A);
	assert_int_equal(ldns_pkt_ancount(r->p), 2);
	r = ask(tz, "self.svc.example.test", RR_A);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
}

/* ---- negative answers ---- */

static void
test_nxdomain_nodata(void **state)
{
	struct testzone *tz = *state;
	/* TTL = min(SOA TTL, MINIMUM): 300/60 in svc, 3600/300 in example. */
	struct reply *r = ask(tz, "nope.svc.example.test", RR_A);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "svc.example.test", 60);
	r = ask(tz, "a.b.nope.svc.example.test", RR_A);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "svc.example.test", 60);
	r = ask(tz, "nope.example.test", RR_A);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "example.test", 300);
	r = ask(tz, "nope.ttl.test", RR_A);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "ttl.test", 30);
	r = ask(tz, "ns.ttl.test", RR_TXT);
	assert_negative(r, LDNS_RCODE_NOERROR, "ttl.test", 30);
	/* The generated SOA of a zone without a file: 3600 and 60. */
	r = ask(tz, "nope.empty.test", RR_A);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "empty.test", 60);
	/* NODATA: the name exists, the type does not. */
	r = ask(tz, "web-1.svc.example.test", RR_TXT);
	assert_negative(r, LDNS_RCODE_NOERROR, "svc.example.test", 60);
	r = ask(tz, "example.test", RR_AAAA);
	assert_negative(r, LDNS_RCODE_NOERROR, "example.test", 300);
	/* The authority SOA carries the real data. */
	ldns_rr *soa = find(NS(r), "example.test", RR_SOA, 0, NULL);
	char *s = ldns_rdf2str(ldns_rr_rdf(soa, 6));
	assert_string_equal(s, "300");
	free(s);
}

static void
test_empty_non_terminal(void **state)
{
	struct testzone *tz = *state;
	/* Only _http._tcp, _api._tcp, ... exist below _tcp. */
	struct reply *r = ask(tz, "_tcp.svc.example.test", RR_A);
	assert_negative(r, LDNS_RCODE_NOERROR, "svc.example.test", 60);
	r = ask(tz, "_tcp.svc.example.test", RR_PTR);
	assert_negative(r, LDNS_RCODE_NOERROR, "svc.example.test", 60);
	r = ask(tz, "_sub._http._tcp.svc.example.test", RR_PTR);
	assert_negative(r, LDNS_RCODE_NOERROR, "svc.example.test", 60);
	r = ask(tz, "_dns-sd._udp.svc.example.test", RR_PTR);
	assert_negative(r, LDNS_RCODE_NOERROR, "svc.example.test", 60);
	/* Next to an ENT, a real NXDOMAIN. */
	r = ask(tz, "_udp2.svc.example.test", RR_PTR);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "svc.example.test", 60);
}

static void
test_refused_outside(void **state)
{
	struct testzone *tz = *state;
	const char *names[] = { "www.example.org", "test", "xexample.test", "." };
	for (size_t i = 0; i < 4; i++) {
		struct reply *r = ask(tz, names[i], RR_A);
		assert_int_equal(RCODE(r), LDNS_RCODE_REFUSED);
		assert_false(ldns_pkt_aa(r->p));
		assert_int_equal(ldns_pkt_ancount(r->p), 0);
		assert_int_equal(ldns_pkt_nscount(r->p), 0);
		assert_int_equal(ldns_pkt_qdcount(r->p), 1); /* question echoed */
	}
	/* Class CHAOS is not ours either. */
	struct qopt o = q_default();
	o.qclass = CLASS_CH;
	struct reply *r = ask_full(tz, "web-1.svc.example.test", RR_A, &o, false, NOW);
	assert_int_equal(RCODE(r), LDNS_RCODE_REFUSED);
}

/* ---- delegation ---- */

static void
test_referral(void **state)
{
	struct testzone *tz = *state;
	const char *names[] = { "host.lab.example.test", "a.b.lab.example.test",
		"lab.example.test", "ns.lab.example.test" };
	const uint16_t types[] = { RR_A, RR_AAAA, RR_NS, RR_A };
	for (size_t i = 0; i < 4; i++) {
		struct reply *r = ask(tz, names[i], types[i]);
		assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
		assert_false(ldns_pkt_aa(r->p)); /* not authoritative below the cut */
		assert_int_equal(ldns_pkt_ancount(r->p), 0);
		assert_int_equal(ldns_pkt_nscount(r->p), 1);
		assert_rr(NS(r), "lab.example.test", RR_NS, 0, "ns.lab.example.test.");
		/* Glue. */
		assert_rr(AR(r), "ns.lab.example.test", RR_A, 0, "192.0.2.53");
		assert_int_equal(ldns_pkt_arcount(r->p), 1);
	}
}

static void
test_ds_at_cut(void **state)
{
	struct testzone *tz = *state;
	/* DS lives in the parent (RFC 4035 section 3.1.4.1): answered with
	 * AA; there is none, so NODATA from example.test. */
	struct reply *r = ask(tz, "lab.example.test", RR_DS);
	assert_negative(r, LDNS_RCODE_NOERROR, "example.test", 300);
	/* DS below the cut is the child's business: a referral. */
	r = ask(tz, "x.lab.example.test", RR_DS);
	assert_false(ldns_pkt_aa(r->p));
	assert_int_equal(ldns_pkt_nscount(r->p), 1);
	assert_rr(NS(r), "lab.example.test", RR_NS, 0, NULL);

	/* With a DS in the parent, it is the answer. */
	const uint8_t ds[] = { 0x30, 0x39, 8, 2, 1, 2, 3, 4 };
	assert_int_equal(testzone_add(tz, "lab.example.test", RR_DS, 3600, 0, false, ds,
	                     sizeof(ds)), 0);
	r = ask(tz, "lab.example.test", RR_DS);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(r->p));
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_int_equal(count(AN(r), "lab.example.test", RR_DS), 1);
}

/* ---- wildcards ---- */

static void
test_wildcard(void **state)
{
	struct testzone *tz = *state;
	const char *names[] = { "foo.apps.example.test", "a.b.apps.example.test", "Foo.APPS.example.test" };
	for (size_t i = 0; i < 3; i++) {
		struct reply *r = ask(tz, names[i], RR_A);
		assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
		assert_true(ldns_pkt_aa(r->p));
		assert_int_equal(ldns_pkt_ancount(r->p), 1);
		/* Synthesized: the owner is the query name, not "*". */
		assert_rr(AN(r), names[i], RR_A, 0, "192.0.2.80");
		assert_int_equal(count(AN(r), "*.apps.example.test", 0), 0);
	}
	/* The wildcard node has no MX: NODATA. */
	struct reply *r = ask(tz, "foo.apps.example.test", RR_MX);
	assert_negative(r, LDNS_RCODE_NOERROR, "example.test", 300);
	/* The "*" name itself answers as a normal name. */
	r = ask(tz, "*.apps.example.test", RR_A);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);

	/* A wildcard CNAME is followed with the query name as owner. */
	r = ask(tz, "x.wild.example.test", RR_A);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_rr(AN(r), "x.wild.example.test", RR_CNAME, 0, "mail.example.test.");
	assert_rr(AN(r), "mail.example.test", RR_A, 0, "192.0.2.25");
}

static void
test_no_wildcard_for_existing(void **state)
{
	struct testzone *tz = *state;
	/* An existing name never takes the wildcard's data. */
	struct reply *r = ask(tz, "real.apps.example.test", RR_A);
	assert_negative(r, LDNS_RCODE_NOERROR, "example.test", 300);
	r = ask(tz, "real.apps.example.test", RR_TXT);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	/* Nor does an empty non-terminal (RFC 4592 section 2.2.2). */
	r = ask(tz, "ent.apps.example.test", RR_A);
	assert_negative(r, LDNS_RCODE_NOERROR, "example.test", 300);
	/* Below it the closest encloser is ent.apps, with no "*": NXDOMAIN. */
	r = ask(tz, "x.ent.apps.example.test", RR_A);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "example.test", 300);
	/* apps itself is an ENT (only *.apps, real.apps and ent.apps below). */
	r = ask(tz, "apps.example.test", RR_A);
	assert_negative(r, LDNS_RCODE_NOERROR, "example.test", 300);
	/* A wildcard does not reach past its parent. */
	r = ask(tz, "foo.example.test", RR_A);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "example.test", 300);
}

/* ---- ANY ---- */

static void
test_any(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	/* RFC 8482: over UDP, one RRset. */
	struct reply *r = ask_full(tz, "example.test", RR_ANY, &o, false, NOW);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	size_t an = ldns_pkt_ancount(r->p);
	assert_true(an >= 1);
	uint16_t t0 = ldns_rr_get_type(ldns_rr_list_rr(AN(r), 0));
	assert_int_equal(count(AN(r), NULL, t0), an);

	/* Over TCP, everything there is. */
	r = ask_full(tz, "example.test", RR_ANY, &o, true, NOW);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_int_equal(count(AN(r), "example.test", RR_SOA), 1);
	assert_int_equal(count(AN(r), "example.test", RR_NS), 1);
	assert_int_equal(count(AN(r), "example.test", RR_MX), 1);
	assert_int_equal(count(AN(r), "example.test", RR_TXT), 1);
	assert_int_equal(ldns_pkt_ancount(r->p), 4);

	/* ANY at a name with nothing: the usual negative answers. */
	r = ask_full(tz, "nope.example.test", RR_ANY, &o, true, NOW);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "example.test", 300);
	r = ask_full(tz, "_tcp.svc.example.test", RR_ANY, &o, false, NOW);
	assert_negative(r, LDNS_RCODE_NOERROR, "svc.example.test", 60);
}

/* ---- malformed and unusual requests ---- */

static void
test_opcodes(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	/* IQUERY (1), STATUS (2), and unassigned 3, 6, 15: NOTIMP. */
	const int ops[] = { 1, 2, 3, 6, 15 };
	for (size_t i = 0; i < 5; i++) {
		o.flags = (uint16_t)(ops[i] << 11);
		struct reply *r = ask_full(tz, "web-1.svc.example.test", RR_A, &o, false, NOW);
		assert_non_null(r->p);
		assert_int_equal(RCODE(r), LDNS_RCODE_NOTIMPL);
		assert_int_equal(ldns_pkt_get_opcode(r->p), ops[i]); /* echoed */
		assert_int_equal(ldns_pkt_ancount(r->p), 0);
	}
	/* UPDATE goes to the writer, with the zone. */
	o.flags = OPCODE_UPDATE << 11;
	struct reply *r = ask_full(tz, "svc.example.test", RR_SOA, &o, false, NOW);
	assert_int_equal(r->len, 0);
	assert_int_equal(r->info.action, QUERY_UPDATE);
	assert_non_null(r->info.zone);
	assert_string_equal(r->info.zone->name, "svc.example.test.");
}

/* A valid query of web-1 A with `extra` bytes patched in by the caller. */
static size_t
raw_query(uint8_t *q)
{
	struct qopt o = q_default();
	return build(q, "web-1.svc.example.test", RR_A, &o);
}

static void
assert_formerr(struct testzone *tz, const uint8_t *q, size_t n)
{
	struct reply r;
	ask_raw(tz, q, n, false, NOW, &r);
	assert_non_null(r.p);
	assert_int_equal(ldns_pkt_get_rcode(r.p), LDNS_RCODE_FORMERR);
	assert_int_equal(ldns_pkt_ancount(r.p), 0);
	/* Nothing of the garbage is echoed: header only. */
	assert_int_equal(ldns_pkt_qdcount(r.p), 0);
	assert_int_equal(r.len, 12);
	reply_free(&r);
}

static void
test_formerr(void **state)
{
	struct testzone *tz = *state;
	uint8_t q[600];
	size_t n;

	/* QDCOUNT=2 with two questions. */
	n = raw_query(q);
	memcpy(q + n, q + 12, n - 12);
	wire_put16(q + 4, 2);
	assert_formerr(tz, q, n + (n - 12));
	/* QDCOUNT=2 with one question. */
	n = raw_query(q);
	wire_put16(q + 4, 2);
	assert_formerr(tz, q, n);
	/* Trailing garbage. */
	n = raw_query(q);
	memcpy(q + n, "\x01\x02\x03", 3);
	assert_formerr(tz, q, n + 3);
	/* A question cut short. */
	n = raw_query(q);
	assert_formerr(tz, q, n - 1);
	assert_formerr(tz, q, 14);
	/* A question whose name loops. */
	n = raw_query(q);
	q[12] = 0xc0;
	q[13] = 12;
	assert_formerr(tz, q, n);
	/* A record count with nothing behind it. */
	n = raw_query(q);
	wire_put16(q + 10, 1);
	assert_formerr(tz, q, n);
}

static void
test_formerr_other(void **state)
{
	struct testzone *tz = *state;
	uint8_t q[600];
	struct reply r;
	/* QDCOUNT=0: FORMERR (nothing to answer). */
	memset(q, 0, 12);
	wire_put16(q, 0x4321);
	ask_raw(tz, q, 12, false, NOW, &r);
	assert_non_null(r.p);
	assert_int_equal(ldns_pkt_get_rcode(r.p), LDNS_RCODE_FORMERR);
	reply_free(&r);
	/* Two OPT records. */
	struct qopt o = q_default();
	o.edns = true;
	o.udp = 1232;
	size_t n = build(q, "web-1.svc.example.test", RR_A, &o);
	memcpy(q + n, q + n - 11, 11);
	wire_put16(q + 10, 2);
	ask_raw(tz, q, n + 11, false, NOW, &r);
	assert_int_equal(ldns_pkt_get_rcode(r.p), LDNS_RCODE_FORMERR);
	reply_free(&r);
	/* An OPT in the answer section. */
	n = build(q, "web-1.svc.example.test", RR_A, &o);
	wire_put16(q + 6, 1);
	wire_put16(q + 10, 0);
	ask_raw(tz, q, n, false, NOW, &r);
	assert_int_equal(ldns_pkt_get_rcode(r.p), LDNS_RCODE_FORMERR);
	reply_free(&r);
	/* Meta types as questions. */
	o = q_default();
	n = build(q, "web-1.svc.example.test", RR_OPT, &o);
	ask_raw(tz, q, n, false, NOW, &r);
	assert_int_equal(ldns_pkt_get_rcode(r.p), LDNS_RCODE_FORMERR);
	reply_free(&r);
}

static void
test_dropped(void **state)
{
	struct testzone *tz = *state;
	uint8_t q[600];
	struct reply r;
	/* A response (QR=1) is never answered. */
	size_t n = raw_query(q);
	q[2] |= 0x80;
	ask_raw(tz, q, n, false, NOW, &r);
	assert_int_equal(r.len, 0);
	assert_int_equal(r.info.action, QUERY_DROP);
	/* Too short to hold a header. */
	n = raw_query(q);
	for (size_t len = 0; len < 12; len++) {
		ask_raw(tz, q, len, false, NOW, &r);
		assert_int_equal(r.len, 0);
		assert_int_equal(r.info.action, QUERY_DROP);
	}
}

static void
test_xfr(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	/* AXFR only over TCP; the caller does the transfer. */
	struct reply *r = ask_full(tz, "example.test", RR_AXFR, &o, true, NOW);
	assert_int_equal(r->len, 0);
	assert_int_equal(r->info.action, QUERY_XFR);
	assert_string_equal(r->info.zone->name, "example.test.");
	r = ask_full(tz, "example.test", RR_AXFR, &o, false, NOW);
	assert_non_null(r->p);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOTIMPL);
	/* IXFR over TCP is the caller's too; over UDP the SOA alone tells the
	 * client whether to come back over TCP (RFC 1995 section 2). */
	r = ask_full(tz, "example.test", RR_IXFR, &o, true, NOW);
	assert_int_equal(r->len, 0);
	assert_int_equal(r->info.action, QUERY_XFR);
	r = ask_full(tz, "example.test", RR_IXFR, &o, false, NOW);
	assert_int_equal(r->info.action, QUERY_REPLY);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_rr(AN(r), "example.test", RR_SOA, 2, "2026113001");
	/* Transfers of names that are not zones we serve are refused. */
	r = ask_full(tz, "example.org", RR_AXFR, &o, true, NOW);
	assert_int_equal(r->info.action, QUERY_REPLY);
	assert_int_equal(RCODE(r), LDNS_RCODE_REFUSED);
}

/* ---- EDNS ---- */

static void
test_edns(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	o.edns = true;
	o.udp = 4096;
	struct reply *r = ask_full(tz, "web-1.svc.example.test", RR_A, &o, false, NOW);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	/* One OPT in the additional section, advertising our edns-max. */
	assert_true(ldns_pkt_edns(r->p));
	assert_int_equal(ldns_pkt_edns_udp_size(r->p), 1232);
	assert_int_equal(ldns_pkt_edns_version(r->p), 0);
	assert_int_equal(ldns_pkt_edns_extended_rcode(r->p), 0);
	assert_int_equal(wire_get16(r->b + 10), 1); /* ARCOUNT counts the OPT */

	/* No EDNS in, none out. */
	o.edns = false;
	r = ask_full(tz, "web-1.svc.example.test", RR_A, &o, false, NOW);
	assert_false(ldns_pkt_edns(r->p));
	assert_int_equal(wire_get16(r->b + 10), 0);

	/* Error answers carry the OPT too. */
	o.edns = true;
	r = ask_full(tz, "www.example.org", RR_A, &o, false, NOW);
	assert_int_equal(RCODE(r), LDNS_RCODE_REFUSED);
	assert_true(ldns_pkt_edns(r->p));
}

static void
test_edns_badvers(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	o.edns = true;
	o.udp = 1232;
	o.version = 1;
	struct reply *r = ask_full(tz, "web-1.svc.example.test", RR_A, &o, false, NOW);
	assert_non_null(r->p);
	/* BADVERS is 16: 0 in the header, 1 in the OPT's extended RCODE. */
	assert_int_equal(RCODE(r), 0);
	assert_true(ldns_pkt_edns(r->p));
	assert_int_equal(ldns_pkt_edns_extended_rcode(r->p), 1);
	assert_int_equal(ldns_pkt_ancount(r->p), 0);
	assert_int_equal(r->info.rcode, RCODE_BADVERS);
}

static void
test_edns_buffer_size(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	o.edns = true;
	/* "big" is 100 SRV records, about 4 KB. */
	const struct {
		uint16_t udp, edns_max;
		size_t limit;
	} cases[] = {
		{ 4096, 1232, 1232 }, /* capped at edns-max */
		{ 1000, 1232, 1000 }, /* the client's size honoured */
		{ 100, 1232, 512 },   /* never below 512 */
		{ 2000, 4096, 2000 },
		{ 4096, 4096, 4096 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tz->ctx.edns_max = cases[i].edns_max;
		o.udp = cases[i].udp;
		struct reply *r = ask_full(tz, "big.svc.example.test", RR_SRV, &o, false, NOW);
		assert_non_null(r->p);
		/* Too big for any of them: TC, and no records at all. */
		assert_true(ldns_pkt_tc(r->p));
		assert_true(ldns_pkt_edns(r->p)); /* the OPT survives truncation */
		assert_int_equal(ldns_pkt_edns_udp_size(r->p), cases[i].edns_max);
		assert_int_equal(ldns_pkt_ancount(r->p), 0);
		assert_int_equal(ldns_pkt_nscount(r->p), 0);
		assert_int_equal(ldns_pkt_arcount(r->p), 0);
		/* "mid" (10 SRV, 20 addresses, about 950 bytes) fits whole in
		 * all but the smallest, which takes as many addresses as fit. */
		r = ask_full(tz, "mid.svc.example.test", RR_SRV, &o, false, NOW);
		assert_true(r->len <= cases[i].limit);
		assert_false(ldns_pkt_tc(r->p));
		assert_int_equal(ldns_pkt_ancount(r->p), 10);
		if (cases[i].limit >= 1000)
			assert_int_equal(ldns_pkt_arcount(r->p), 20); /* ldns counts no OPT */
		else
			assert_true(r->len > cases[i].limit - 60); /* filled up */
	}
	tz->ctx.edns_max = 1232;
}

/* ---- truncation ---- */

static void
test_truncation(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	/* UDP without EDNS: 512 bytes at most; an answer that does not fit
	 * is TC=1 and no records (as Knot and NSD send it): nothing that
	 * would make it a bigger reply to a spoofed query than it must be. */
	struct reply *r = ask_full(tz, "big.svc.example.test", RR_SRV, &o, false, NOW);
	assert_non_null(r->p);
	assert_true(ldns_pkt_tc(r->p));
	assert_true(ldns_pkt_aa(r->p));
	assert_int_equal(ldns_pkt_qdcount(r->p), 1);
	assert_int_equal(ldns_pkt_ancount(r->p), 0);
	assert_int_equal(ldns_pkt_nscount(r->p), 0);
	assert_int_equal(ldns_pkt_arcount(r->p), 0);
	assert_int_equal(r->len, 12 + 22 + 4); /* header and question */
	/* ldns parsed exactly the counted records: nothing cut in half and no
	 * stray bytes after the last one. */
	ldns_buffer *buf = ldns_buffer_new(65535);
	assert_int_equal(ldns_pkt2buffer_wire(buf, r->p), LDNS_STATUS_OK);
	ldns_buffer_free(buf);

	/* TCP: all 100. */
	r = ask_full(tz, "big.svc.example.test", RR_SRV, &o, true, NOW);
	assert_false(ldns_pkt_tc(r->p));
	assert_int_equal(ldns_pkt_ancount(r->p), 100);
	for (int i = 0; i < 100; i += 33) {
		char t[64];
		snprintf(t, sizeof(t), "t%d.big.svc.example.test.", i);
		assert_rr(AN(r), "big.svc.example.test", RR_SRV, 3, t);
	}

	/* The additional section is dropped before any answer is cut: "mid"
	 * has 10 SRV records (fit in 512) whose 20 addresses do not. */
	r = ask_full(tz, "mid.svc.example.test", RR_SRV, &o, false, NOW);
	assert_true(r->len <= 512);
	assert_false(ldns_pkt_tc(r->p));
	assert_int_equal(ldns_pkt_ancount(r->p), 10);
	size_t ar = ldns_pkt_arcount(r->p);
	assert_true(ar < 20);
	/* Over TCP everything is there. */
	r = ask_full(tz, "mid.svc.example.test", RR_SRV, &o, true, NOW);
	assert_int_equal(ldns_pkt_ancount(r->p), 10);
	assert_int_equal(ldns_pkt_arcount(r->p), 20);
	/* With EDNS the additional records fit. */
	o.edns = true;
	o.udp = 1232;
	r = ask_full(tz, "mid.svc.example.test", RR_SRV, &o, false, NOW);
	assert_false(ldns_pkt_tc(r->p));
	assert_int_equal(ldns_pkt_arcount(r->p), 20); /* ldns keeps the OPT apart */
	assert_int_equal(wire_get16(r->b + 10), 21);
	assert_int_equal(count(AR(r), NULL, RR_A), 10);
}

static void
test_tiny_outmax(void **state)
{
	struct testzone *tz = *state;
	uint8_t q[600], out[64];
	struct query_info info;
	size_t n = raw_query(q);
	/* The caller's buffer limits the reply even over TCP. */
	size_t len = query_answer(&tz->ctx, q, n, out, sizeof(out), true, NOW, &info);
	assert_true(len <= sizeof(out));
	if (len > 0) {
		ldns_pkt *p = NULL;
		assert_int_equal(ldns_wire2pkt(&p, out, len), LDNS_STATUS_OK);
		ldns_pkt_free(p);
	}
	/* Buffers smaller than a header (and the OPT) never overflow, with
	 * or without EDNS; ASan watches the exact-size copies. */
	struct qopt o = q_default();
	o.edns = true;
	o.udp = 4096;
	uint8_t qe[600], qv[600], qn[600];
	size_t ne = build(qe, "web-1.svc.example.test", RR_A, &o);
	o.version = 1; /* error replies (BADVERS) take another path */
	size_t nv = build(qv, "web-1.svc.example.test", RR_A, &o);
	o.version = 0;
	size_t nn = build(qn, "www.example.org", RR_A, &o); /* REFUSED */
	const uint8_t *qs[] = { q, qe, qv, qn };
	const size_t ns[] = { n, ne, nv, nn };
	for (size_t max = 0; max < 80; max++) {
		for (int e = 0; e < 4; e++) {
			uint8_t *b = malloc(max ? max : 1);
			assert_non_null(b);
			len = query_answer(&tz->ctx, qs[e], ns[e], b, max, e == 0, NOW, &info);
			assert_true(len <= max);
			if (len > 0)
				assert_true(len >= 12);
			free(b);
		}
	}
}

/* ---- leases ---- */

static void
test_dynamic_expiry(void **state)
{
	struct testzone *tz = *state;
	const uint8_t a[4] = { 10, 7, 7, 7 };
	/* TTL 300, lease ending 100 s from now. */
	assert_int_equal(testzone_add(tz, "dyn.svc.example.test", RR_A, 300, NOW + 100, true, a, 4), 0);

	struct qopt o = q_default();
	/* Whole seconds: at second NOW, less than 100 s may be left. */
	struct reply *r = ask_full(tz, "dyn.svc.example.test", RR_A, &o, false, NOW);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(AN(r), 0)), 99); /* not 300 */
	r = ask_full(tz, "dyn.svc.example.test", RR_A, &o, false, NOW + 99);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(AN(r), 0)), 0); /* served, not cached */
	/* At and after expiry the name is gone, even though the reaper has
	 * not removed it. */
	r = ask_full(tz, "dyn.svc.example.test", RR_A, &o, false, NOW + 100);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "svc.example.test", 60);
	r = ask_full(tz, "dyn.svc.example.test", RR_ANY, &o, true, NOW + 5000);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "svc.example.test", 60);

	/* A long lease keeps the record's own TTL. */
	assert_int_equal(testzone_add(tz, "long.svc.example.test", RR_A, 30, NOW + 100000, true, a, 4),
	    0);
	r = ask_full(tz, "long.svc.example.test", RR_A, &o, false, NOW);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(AN(r), 0)), 30);
}

/* A delegation registered with a lease: a referral while the NS lives,
 * and no delegation at all once it has expired, before any reaping. */
static void
test_dynamic_delegation(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	const uint8_t ns[] = "\x02" "ns" "\x03" "sub" "\x06" "remote" "\x04" "test";
	assert_int_equal(testzone_add(tz, "sub.svc.example.test", RR_NS, 300, NOW + 30, true, ns,
	                     sizeof(ns)), 0);
	struct reply *r = ask_full(tz, "www.sub.svc.example.test", RR_A, &o, false, NOW);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_false(ldns_pkt_aa(r->p));
	assert_int_equal(ldns_pkt_ancount(r->p), 0);
	assert_non_null(find(NS(r), "sub.svc.example.test", RR_NS, 0, NULL));
	r = ask_full(tz, "www.sub.svc.example.test", RR_A, &o, false, NOW + 30);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "svc.example.test", 60);
	r = ask_full(tz, "sub.svc.example.test", RR_NS, &o, false, NOW + 30);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "svc.example.test", 60);
}

static void
test_dynamic_mixed(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	const uint8_t a1[4] = { 10, 0, 0, 5 }, a2[4] = { 10, 0, 0, 99 };
	/* web-1 has a static A; add a dynamic one that expires. */
	assert_int_equal(testzone_add(tz, "web-1.svc.example.test", RR_A, 300, NOW + 50, true, a2, 4),
	    0);
	struct reply *r = ask_full(tz, "web-1.svc.example.test", RR_A, &o, false, NOW);
	assert_int_equal(ldns_pkt_ancount(r->p), 2);
	/* One TTL for the RRset: the shortest lease's (RFC 2181 5.2). */
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(AN(r), 0)), 49);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(AN(r), 1)), 49);
	r = ask_full(tz, "web-1.svc.example.test", RR_A, &o, false, NOW + 50);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_rr(AN(r), "web-1.svc.example.test", RR_A, 0, "10.0.0.5");
	(void)a1;

	/* A dynamic SRV whose expired target address is not added. */
	const uint8_t srv[] = "\x00\x00\x00\x00\x00\x50" "\x03" "dy2" "\x03" "svc" "\x07" "example"
	                      "\x04" "test";
	assert_int_equal(testzone_add(tz, "_dy._tcp.svc.example.test", RR_SRV, 300, NOW + 1000, true,
	                     srv, sizeof(srv)), 0);
	assert_int_equal(testzone_add(tz, "dy2.svc.example.test", RR_A, 300, NOW + 10, true, a2, 4), 0);
	assert_int_equal(testzone_add(tz, "dy2.svc.example.test", RR_TXT, 300, 0, false, "\x01x", 2),
	    0);
	r = ask_full(tz, "_dy._tcp.svc.example.test", RR_SRV, &o, false, NOW);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_int_equal(ldns_pkt_arcount(r->p), 1);
	r = ask_full(tz, "_dy._tcp.svc.example.test", RR_SRV, &o, false, NOW + 10);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_int_equal(ldns_pkt_arcount(r->p), 0);
	/* The node stays (it has a static TXT): expired A is NODATA. */
	r = ask_full(tz, "dy2.svc.example.test", RR_A, &o, false, NOW + 10);
	assert_negative(r, LDNS_RCODE_NOERROR, "svc.example.test", 60);
	/* The SRV's own TTL is capped by its lease near the end. */
	r = ask_full(tz, "_dy._tcp.svc.example.test", RR_SRV, &o, false, NOW + 990);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(AN(r), 0)), 9);
	r = ask_full(tz, "_dy._tcp.svc.example.test", RR_SRV, &o, false, NOW + 1000);
	assert_negative(r, LDNS_RCODE_NXDOMAIN, "svc.example.test", 60);
}

/* The bytes of the answer to `q` at `now` (the ID as asked); *until gets
 * info.stable_until. */
static size_t
answer_at(struct testzone *tz, const uint8_t *q, size_t qlen, uint32_t now, uint8_t *out,
    uint32_t *until)
{
	struct query_info info;
	size_t n = query_answer(&tz->ctx, q, qlen, out, 65535, false, now, &info);
	assert_int_equal(info.action, QUERY_REPLY);
	*until = info.stable_until;
	assert_true(*until > now);
	return n;
}

/*
 * info.stable_until, which the UDP workers' answer cache relies on: from
 * the same snapshot, the same request gets the very same bytes at every
 * second before it, wherever a lease sits (answer, additional section,
 * authority SOA). Static answers never change with time.
 */
static void
test_stable_until(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	const uint8_t a[4] = { 10, 7, 7, 8 };
	const uint8_t srv[] = "\x00\x00\x00\x00\x00\x50" "\x03" "dyt" "\x03" "svc" "\x07" "example"
	                      "\x04" "test";
	/* TTL 30, lease ending at NOW + 100: the TTL starts to shrink at 70. */
	assert_int_equal(testzone_add(tz, "dyt.svc.example.test", RR_A, 30, NOW + 100, true, a, 4), 0);
	/* A static SRV whose target is that leased address. */
	assert_int_equal(testzone_add(tz, "_st._tcp.svc.example.test", RR_SRV, 300, 0, false, srv,
	                     sizeof(srv)), 0);
	/* TTL longer than the lease: shrinking already. */
	assert_int_equal(testzone_add(tz, "short.svc.example.test", RR_TXT, 300, NOW + 40, true,
	                     "\x01z", 2), 0);
	static const struct {
		const char *name;
		uint16_t type;
		uint32_t want; /* stable_until at NOW */
	} cases[] = {
		{ "web-1.svc.example.test", RR_A, UINT32_MAX },
		{ "nothing.svc.example.test", RR_A, UINT32_MAX },
		{ "_http._tcp.svc.example.test", RR_PTR, UINT32_MAX },
		{ "x.apps.example.test", RR_A, UINT32_MAX },
		{ "dyt.svc.example.test", RR_A, NOW + 70 },
		{ "dyt.svc.example.test", RR_TXT, NOW + 70 },
		{ "_st._tcp.svc.example.test", RR_SRV, NOW + 70 },
		{ "short.svc.example.test", RR_TXT, NOW + 1 },
	};
	static uint8_t b0[65536], b1[65536];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t q[512];
		size_t ql = build(q, cases[i].name, cases[i].type, &o);
		uint32_t until, u1;
		answer_at(tz, q, ql, NOW, b0, &until);
		assert_int_equal(until, cases[i].want);
		static const uint32_t starts[] = { 0, 35, 69, 70, 85, 99, 100 };
		for (size_t j = 0; j < sizeof(starts) / sizeof(starts[0]); j++) {
			uint32_t t0 = NOW + starts[j];
			size_t n0 = answer_at(tz, q, ql, t0, b0, &until);
			uint32_t end = until - t0 > 150 ? t0 + 150 : until;
			for (uint32_t t = t0 + 1; t < end; t++) {
				size_t n1 = answer_at(tz, q, ql, t, b1, &u1);
				assert_int_equal(n1, n0);
				assert_memory_equal(b1, b0, n0);
				assert_int_equal(u1, until);
			}
		}
	}
}

/* query_cacheable: planned answers may be reused for another request with
 * the same cache key; the key is made of the name the request means, so
 * a name given with a pointer, even one into the ID, keys what it reads
 * (found by lf_query when the cache was keyed by the request's bytes). */
static void
test_cacheable(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	struct query_info info;
	struct query_extra x = { .cookie = COOKIE_NONE };
	struct qcache_key k1, k2;
	uint8_t q[512], out[4096];
	size_t ql = build(q, "web-1.svc.example.test", RR_A, &o);
	assert_true(query_answer(&tz->ctx, q, ql, out, sizeof(out), false, NOW, &info) > 0);
	assert_false(info.req.compressed);
	assert_true(query_cacheable(&info));
	ql = build(q, "nothing.svc.example.test", RR_A, &o);
	assert_true(query_answer(&tz->ctx, q, ql, out, sizeof(out), false, NOW, &info) > 0);
	assert_true(query_cacheable(&info)); /* NXDOMAIN too */
	ql = build(q, "www.example.org", RR_A, &o);
	assert_true(query_answer(&tz->ctx, q, ql, out, sizeof(out), false, NOW, &info) > 0);
	assert_false(query_cacheable(&info)); /* REFUSED: an error reply */

	/* Three labels of one byte, then a pointer to offset 0: the ID, a
	 * label "a", then the flags' first byte, 0, the root. */
	static const uint8_t ptr[] = { 1, 'a', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1,
		0xc0, 0, 0, 1, 0, 1 };
	memcpy(q, ptr, sizeof(ptr));
	assert_int_equal(query_parse(q, sizeof(ptr), &info.req, NULL), 0);
	assert_true(info.req.compressed);
	query_reply_opt_ex(&tz->ctx, &info.req, NULL, &x.opt);
	assert_true(query_cache_key(&tz->ctx, &info.req, &x, &k1));
	q[1] = 'b'; /* another ID, and so another name, and another key */
	assert_int_equal(query_parse(q, sizeof(ptr), &info.req, NULL), 0);
	assert_true(query_cache_key(&tz->ctx, &info.req, &x, &k2));
	assert_false(k1.len == k2.len && memcmp(k1.b, k2.b, k1.len) == 0);
}

static void
test_dynamic_expired_with_descendants(void **state)
{
	struct testzone *tz = *state;
	struct qopt o = q_default();
	/* A browse PTR whose lease ran out while an instance below it is
	 * still registered: the name is an empty non-terminal now, so NODATA,
	 * never NXDOMAIN (RFC 8020 would let resolvers hide the instance). */
	const uint8_t ptr[] = "\x04" "inst" "\x04" "_dyn" "\x04" "_tcp" "\x03" "svc" "\x07" "example"
	                      "\x04" "test";
	const uint8_t txt[] = "\x02" "ok";
	assert_int_equal(testzone_add(tz, "_dyn._tcp.svc.example.test", RR_PTR, 60, NOW + 10, true,
	                     ptr, sizeof(ptr)), 0);
	assert_int_equal(testzone_add(tz, "inst._dyn._tcp.svc.example.test", RR_TXT, 60, NOW + 1000,
	                     true, txt, sizeof(txt) - 1), 0);
	struct reply *r = ask_full(tz, "_dyn._tcp.svc.example.test", RR_PTR, &o, false, NOW);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	r = ask_full(tz, "_dyn._tcp.svc.example.test", RR_PTR, &o, false, NOW + 20);
	assert_negative(r, LDNS_RCODE_NOERROR, "svc.example.test", 60);
	r = ask_full(tz, "inst._dyn._tcp.svc.example.test", RR_TXT, &o, false, NOW + 20);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);

	/* An expired name under a wildcard no longer exists: the wildcard
	 * answers for it. */
	const uint8_t a[4] = { 10, 3, 3, 3 };
	assert_int_equal(testzone_add(tz, "gone.apps.example.test", RR_A, 60, NOW + 10, true, a, 4), 0);
	r = ask_full(tz, "gone.apps.example.test", RR_A, &o, false, NOW);
	assert_rr(AN(r), "gone.apps.example.test", RR_A, 0, "10.3.3.3");
	r = ask_full(tz, "gone.apps.example.test", RR_A, &o, false, NOW + 10);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	assert_rr(AN(r), "gone.apps.example.test", RR_A, 0, "192.0.2.80");
}

/* ---- the shipped example zones ---- */

static void
test_shipped_zones(void **state)
{
	(void)state;
	const char *srcdir = getenv("SRCDIR");
	char path[1024], *texts[2] = { NULL, NULL };
	const char *files[2] = { "svc.example.test.zone", "example.test.zone" };
	if (srcdir == NULL)
		srcdir = ".";
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/zones/%s", srcdir, files[i]);
		FILE *f = fopen(path, "r");
		if (f == NULL) {
			free(texts[0]);
			skip();
		}
		texts[i] = calloc(1, 65536);
		assert_non_null(texts[i]);
		size_t n = fread(texts[i], 1, 65535, f);
		fclose(f);
		assert_true(n > 0);
	}
	struct testzone_src src[] = {
		{ "svc.example.test", texts[0] },
		{ "example.test", texts[1] },
	};
	struct testzone tz;
	assert_int_equal(testzone_open(&tz, src, 2, NOW), 0);
	free(texts[0]);
	free(texts[1]);
	struct reply *r = ask(&tz, "_http._tcp.svc.example.test", RR_PTR);
	assert_int_equal(RCODE(r), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_ancount(r->p) >= 1);
	r = ask(&tz, "www.svc.example.test", RR_A);
	assert_true(ldns_pkt_ancount(r->p) >= 2);
	r = ask(&tz, "x.apps.example.test", RR_A);
	assert_int_equal(ldns_pkt_ancount(r->p), 1);
	r = ask(&tz, "nope.svc.example.test", RR_A);
	assert_int_equal(RCODE(r), LDNS_RCODE_NXDOMAIN);
	reply_free(r);
	testzone_close(&tz);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_a_aaaa),
		T(test_srv_additional),
		T(test_srv_target_not_compressed),
		T(test_owner_compressed_and_case),
		T(test_txt_ptr_soa_ns_mx),
		T(test_unknown_type),
		T(test_dnssd_ptr),
		T(test_cname),
		T(test_cname_loop),
		T(test_nxdomain_nodata),
		T(test_empty_non_terminal),
		T(test_refused_outside),
		T(test_referral),
		T(test_ds_at_cut),
		T(test_wildcard),
		T(test_no_wildcard_for_existing),
		T(test_any),
		T(test_opcodes),
		T(test_formerr),
		T(test_formerr_other),
		T(test_dropped),
		T(test_xfr),
		T(test_edns),
		T(test_edns_badvers),
		T(test_edns_buffer_size),
		T(test_truncation),
		T(test_tiny_outmax),
		T(test_dynamic_expiry),
		T(test_dynamic_delegation),
		T(test_dynamic_mixed),
		T(test_dynamic_expired_with_descendants),
		T(test_stable_until),
		T(test_cacheable),
		cmocka_unit_test(test_shipped_zones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
