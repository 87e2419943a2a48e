/* test_xfr.c -- outgoing zone transfers (xfr.h): AXFR of a whole zone and
 * IXFR (RFC 1995) from the journal, read back with ldns
 *
 * The fixture serves a zone whose serial went 10 -> 11 -> 12 -> 13 in
 * three committed UPDATEs, each journaled the way the writer does it
 * (store_track_changes, update_apply, zone_journal_change, commit).
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

#include "query/query.h"
#include "store/store.h"
#include "testzone.h"
#include "svc/catalog.h"
#include "update/update.h"
#include "util/err.h"
#include "wire/wire.h"
#include "xfr/xfr.h"
#include "zone/zone.h"

#define NOW 1700000000u
#define ORIGIN "x.test"
#define SOA(n) "@ 3600 SOA ns.x.test. h.x.test. " #n " 3600 600 86400 60"
#define BULK 1000 /* TXT records enough for an AXFR of several messages */

static const char zone_head[] =
    "$ORIGIN x.test.\n"
    "$TTL 3600\n"
    "@    SOA ns h 10 3600 600 86400 60\n"
    "@    NS  ns\n"
    "ns   A   192.0.2.1\n"
    "www  A   192.0.2.80\n";

struct fx {
	struct testzone tz;
	const struct zone *z;
	char *text;
};

/* ---- changes, journaled as the writer does ---- */

/* Apply one UPDATE (update RRs in presentation form, one per line; with
 * an Update Lease option when `lease` is not 0) at `now` and journal it;
 * returns the new serial. */
static uint32_t
change(struct fx *f, const char *rrs, uint32_t now, uint32_t lease)
{
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_rdf *origin = ldns_dname_new_frm_str(ORIGIN ".");
	char line[512];
	for (const char *p = rrs; *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		assert_true(l < sizeof(line));
		memcpy(line, p, l);
		line[l] = '\0';
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, line, 3600, origin, NULL) != LDNS_STATUS_OK)
			fail_msg("cannot parse \"%s\"", line);
		ldns_rr_list_push_rr(up, rr);
		p = e ? e + 1 : p + l;
	}
	ldns_pkt *pkt = ldns_update_pkt_new(ldns_rdf_clone(origin), LDNS_RR_CLASS_IN, NULL, up,
	    NULL);
	assert_non_null(pkt);
	uint8_t *wire = NULL;
	size_t len = 0;
	assert_int_equal(ldns_pkt2wire(&wire, pkt, &len), LDNS_STATUS_OK);
	if (lease != 0) {
		/* OPT with the Update Lease option (RFC 9664), 4-byte form */
		static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 8, 0, 2, 0, 4 };
		wire = realloc(wire, len + sizeof(opt) + 4);
		assert_non_null(wire);
		memcpy(wire + len, opt, sizeof(opt));
		wire_put32(wire + len + sizeof(opt), lease);
		len += sizeof(opt) + 4;
		wire_put16(wire + 10, wire_get16(wire + 10) + 1);
	}

	struct query_req req;
	struct update_result res;
	struct store_txn *t;
	struct store_soa old;
	uint32_t serial = 0;
	assert_int_equal(query_parse(wire, len, &req, NULL), 0);
	struct update_req u = { wire, len, &req, f->z, NULL, now };
	assert_int_equal(store_write_begin(f->tz.store, &t), 0);
	store_track_changes(t);
	assert_int_equal(update_apply(t, &u, &res), 0);
	assert_int_equal(res.rcode, RCODE_NOERROR);
	assert_true(store_changes_pending(t, f->z->id));
	assert_int_equal(zone_soa(t, f->z, &old), 0);
	assert_int_equal(zone_journal_change(t, f->z, &old, &serial), 0);
	assert_int_equal(store_commit(t), 0);
	assert_int_equal(testzone_refresh(&f->tz), 0);
	free(wire);
	ldns_pkt_free(pkt);
	ldns_rr_list_deep_free(up);
	ldns_rdf_deep_free(origin);
	return serial;
}

/* Run the reaper at `now` as the writer does; returns the new serial. */
static uint32_t
reap(struct fx *f, uint32_t now)
{
	struct store_txn *t;
	struct store_soa old;
	uint32_t serial = 0, zid;
	unsigned removed, total = 0;
	int rc;
	struct svc_ctx sx;
	assert_int_equal(store_write_begin(f->tz.store, &t), 0);
	store_track_changes(t);
	svc_ctx_init(&sx, t, &f->tz.zones, now);
	while ((rc = update_reap_one(&sx, &removed, &zid)) == 1)
		total += removed;
	assert_int_equal(rc, 0);
	assert_int_equal(svc_flush(&sx), 0);
	assert_true(total > 0);
	assert_int_equal(zone_soa(t, f->z, &old), 0);
	assert_int_equal(zone_journal_change(t, f->z, &old, &serial), 0);
	assert_int_equal(store_commit(t), 0);
	assert_int_equal(testzone_refresh(&f->tz), 0);
	return serial;
}

static int
setup_journal(void **state, const char *settings)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t cap = sizeof(zone_head) + BULK * 64;
	if (f == NULL || (f->text = malloc(cap)) == NULL)
		return -1;
	size_t o = (size_t)snprintf(f->text, cap, "%s", zone_head);
	for (int i = 0; i < BULK; i++)
		o += (size_t)snprintf(f->text + o, cap - o, "bulk TXT \"record number %04d\"\n", i);
	struct testzone_src src = { ORIGIN, f->text };
	const char *set[1] = { settings };
	if (testzone_open_conf(&f->tz, NULL, set, &src, 1, NOW) != 0)
		return -1;
	f->z = &f->tz.zones.z[0];
	*state = f;
	/* 10 -> 11: two names added; 11 -> 12: one record replaced by
	 * another; 12 -> 13: a record deleted. */
	assert_int_equal(change(f, "a 300 IN A 10.0.0.1\nb 300 IN TXT \"b\"", NOW, 0), 11);
	assert_int_equal(change(f, "www 0 NONE A 192.0.2.80\nwww 3600 IN A 192.0.2.81", NOW, 0),
	    12);
	assert_int_equal(change(f, "a 0 NONE A 10.0.0.1", NOW, 0), 13);
	return 0;
}

static int
setup(void **state)
{
	return setup_journal(state, "journal-size 100");
}

static int
setup_no_journal(void **state)
{
	return setup_journal(state, "journal-size 0");
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	testzone_close(&f->tz);
	free(f->text);
	free(f);
	return 0;
}

/* ---- running a transfer ---- */

/* One record as "name ttl TYPE rdata", the name relative to the origin. */
static char *
rr_line(const ldns_rr *rr)
{
	char *owner = ldns_rdf2str(ldns_rr_owner(rr)), *type = ldns_rr_type2str(ldns_rr_get_type(rr));
	size_t cap = 256, len;
	char *s = malloc(cap);
	assert_non_null(s);
	size_t ol = strlen(owner), al = strlen(ORIGIN ".");
	if (strcmp(owner, ORIGIN ".") == 0)
		strcpy(owner, "@");
	else if (ol > al && strcmp(owner + ol - al, ORIGIN ".") == 0)
		owner[ol - al - 1] = '\0';
	len = (size_t)snprintf(s, cap, "%s %u %s", owner, ldns_rr_ttl(rr), type);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		char *f = ldns_rdf2str(ldns_rr_rdf(rr, i));
		size_t fl = strlen(f);
		if (len + fl + 2 > cap) {
			cap = (len + fl + 2) * 2;
			s = realloc(s, cap);
			assert_non_null(s);
		}
		len += (size_t)snprintf(s + len, cap - len, " %s", f);
		free(f);
	}
	free(owner);
	free(type);
	return s;
}

/* What a transfer sent: its records in order, and how many messages. */
struct xfr_out {
	size_t n, msgs;
	char **rr;
};

static void
out_free(struct xfr_out *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->rr[i]);
	free(o->rr);
	memset(o, 0, sizeof(*o));
}

/* Ask for a transfer of the fixture's zone at `now`: qtype AXFR, or IXFR
 * with the client's serial in the authority section; read every message
 * back. */
static void
transfer_at(struct fx *f, uint16_t qtype, uint32_t client, uint32_t now, struct xfr_out *o)
{
	ldns_rdf *zone = ldns_dname_new_frm_str(ORIGIN ".");
	ldns_pkt *q = ldns_pkt_query_new(zone, qtype, LDNS_RR_CLASS_IN, 0);
	assert_non_null(q);
	ldns_pkt_set_id(q, 0x2b2b);
	if (qtype == RR_IXFR) {
		char soa[128];
		ldns_rr *rr = NULL;
		snprintf(soa, sizeof(soa), ORIGIN ". 0 IN SOA ns.x.test. h.x.test. %u 0 0 0 0", client);
		assert_int_equal(ldns_rr_new_frm_str(&rr, soa, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(q, LDNS_SECTION_AUTHORITY, rr);
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	struct query_req req;
	assert_int_equal(query_parse(wire, len, &req, NULL), 0);

	struct xfr *x = NULL;
	assert_int_equal(xfr_start(f->tz.store, f->z, wire, len, &req, NULL, NULL, now, &x), 0);
	memset(o, 0, sizeof(*o));
	static uint8_t buf[65535];
	size_t blen;
	int rc;
	while ((rc = xfr_next(x, buf, sizeof(buf), now, &blen)) == 1) {
		ldns_pkt *p = NULL;
		ldns_status st = ldns_wire2pkt(&p, buf, blen);
		if (st != LDNS_STATUS_OK)
			fail_msg("message %zu does not parse: %s", o->msgs, ldns_get_errorstr_by_id(st));
		/* Every message answers the request: our ID, QR and AA, NOERROR;
		 * only the first repeats the question (RFC 5936 section 2.2). */
		assert_int_equal(ldns_pkt_id(p), 0x2b2b);
		assert_true(ldns_pkt_qr(p));
		assert_true(ldns_pkt_aa(p));
		assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		assert_int_equal(ldns_pkt_qdcount(p), o->msgs == 0 ? 1 : 0);
		if (o->msgs == 0) {
			ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
			assert_int_equal(ldns_rr_get_type(qr), qtype);
			assert_int_equal(ldns_dname_compare(ldns_rr_owner(qr), zone), 0);
		}
		assert_true(ldns_pkt_ancount(p) > 0);
		ldns_rr_list *an = ldns_pkt_answer(p);
		o->rr = realloc(o->rr, (o->n + ldns_rr_list_rr_count(an)) * sizeof(*o->rr));
		assert_non_null(o->rr);
		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++)
			o->rr[o->n++] = rr_line(ldns_rr_list_rr(an, i));
		o->msgs++;
		ldns_pkt_free(p);
	}
	assert_int_equal(rc, 0);
	xfr_free(x);
	free(wire);
	ldns_pkt_free(q);
}

static void
transfer(struct fx *f, uint16_t qtype, uint32_t client, struct xfr_out *o)
{
	transfer_at(f, qtype, client, NOW, o);
}

/* The records sent must be exactly `want` (NULL-terminated), in order. */
static void
assert_sequence(const struct xfr_out *o, const char *const *want)
{
	size_t n = 0;
	while (want[n] != NULL)
		n++;
	bool same = o->n == n;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(o->rr[i], want[i]) == 0;
	if (!same) {
		for (size_t i = 0; i < o->n || i < n; i++)
			print_error("%3zu  %-60s %s\n", i, i < o->n ? o->rr[i] : "-",
			    i < n ? want[i] : "-");
		fail_msg("sent %zu records (left), want %zu (right)", o->n, n);
	}
}

/* The zone's records as the dump shows them, without lease notes. */
static char *
zone_now(struct fx *f, uint32_t now)
{
	char *d = testzone_dump(&f->tz, NULL, ORIGIN, now);
	assert_non_null(d);
	for (char *p; (p = strstr(d, " ; expires +")) != NULL;) {
		char *e = strchr(p, '\n');
		memmove(p, e, strlen(e) + 1);
	}
	return d;
}

/* An AXFR-style answer: the SOA, the zone's other records (each once, in
 * any order) equal to `zone` (a dump), and the SOA again. */
static void
assert_whole_zone(const struct xfr_out *o, const char *soa, const char *zone)
{
	assert_true(o->n >= 2);
	assert_string_equal(o->rr[0], soa);
	assert_string_equal(o->rr[o->n - 1], soa);
	size_t len = 1;
	for (size_t i = 0; i < o->n; i++)
		len += strlen(o->rr[i]) + 1;
	char *s = malloc(len + strlen(soa) + 2);
	assert_non_null(s);
	s[0] = '\0';
	/* the SOA once, as the dump has it */
	for (size_t i = 0; i + 1 < o->n; i++) {
		strcat(s, o->rr[i]);
		strcat(s, "\n");
	}
	char *sorted = testzone_sort_lines(s);
	assert_non_null(sorted);
	assert_string_equal(sorted, zone);
	free(sorted);
	free(s);
}

/* ---- tests ---- */

static void
test_axfr(void **state)
{
	struct fx *f = *state;
	struct xfr_out o;
	transfer(f, RR_AXFR, 0, &o);
	char *zone = zone_now(f, NOW);
	assert_whole_zone(&o, SOA(13), zone);
	/* Every record of the zone: the changes are in, the deleted ones out. */
	assert_non_null(strstr(zone, "www 3600 A 192.0.2.81\n"));
	assert_non_null(strstr(zone, "b 300 TXT \"b\"\n"));
	assert_null(strstr(zone, "192.0.2.80"));
	assert_null(strstr(zone, "10.0.0.1"));
	assert_int_equal(o.n, 1 + 1 + 1 + 1 + 1 + BULK + 1); /* SOA NS ns www b bulk SOA */
	/* A zone this size does not fit one message (about 16 KB each). */
	assert_true(o.msgs >= 2);
	free(zone);
	out_free(&o);
}

static void
test_ixfr_from_each_serial(void **state)
{
	struct fx *f = *state;
	struct xfr_out o;
	/* RFC 1995 section 4: the new SOA, then per change the old SOA, the
	 * deletions, the new SOA, the additions; the new SOA last. */
	static const char *const from10[] = {
		SOA(13),
		SOA(10), SOA(11), "a 300 A 10.0.0.1", "b 300 TXT \"b\"",
		SOA(11), "www 3600 A 192.0.2.80", SOA(12), "www 3600 A 192.0.2.81",
		SOA(12), "a 300 A 10.0.0.1", SOA(13),
		SOA(13), NULL,
	};
	transfer(f, RR_IXFR, 10, &o);
	assert_sequence(&o, from10);
	assert_int_equal(o.msgs, 1);
	out_free(&o);
	static const char *const from11[] = {
		SOA(13),
		SOA(11), "www 3600 A 192.0.2.80", SOA(12), "www 3600 A 192.0.2.81",
		SOA(12), "a 300 A 10.0.0.1", SOA(13),
		SOA(13), NULL,
	};
	transfer(f, RR_IXFR, 11, &o);
	assert_sequence(&o, from11);
	out_free(&o);
	static const char *const from12[] = {
		SOA(13), SOA(12), "a 300 A 10.0.0.1", SOA(13), SOA(13), NULL,
	};
	transfer(f, RR_IXFR, 12, &o);
	assert_sequence(&o, from12);
	out_free(&o);
}

static void
test_ixfr_current(void **state)
{
	struct fx *f = *state;
	struct xfr_out o;
	/* The client has our serial: the SOA alone (RFC 1995 section 2). */
	static const char *const soa[] = { SOA(13), NULL };
	transfer(f, RR_IXFR, 13, &o);
	assert_sequence(&o, soa);
	out_free(&o);
	/* A client ahead of us (RFC 1982) gets the same. */
	transfer(f, RR_IXFR, 14, &o);
	assert_sequence(&o, soa);
	out_free(&o);
	transfer(f, RR_IXFR, 13 + 0x7fffffffu, &o);
	assert_sequence(&o, soa);
	out_free(&o);
}

static void
test_ixfr_older_than_journal(void **state)
{
	struct fx *f = *state;
	struct xfr_out o;
	char *zone = zone_now(f, NOW);
	/* The journal starts at 10: older serials get the whole zone, as does
	 * one exactly 2^31 away, which is neither older nor newer. */
	static const uint32_t old[] = { 9, 5, 0, 13 + 0x80000000u, 13 + 0x80000001u };
	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		transfer(f, RR_IXFR, old[i], &o);
		assert_whole_zone(&o, SOA(13), zone);
		out_free(&o);
	}
	free(zone);
}

static void
test_ixfr_journal_behind(void **state)
{
	struct fx *f = *state;
	struct xfr_out o;
	struct store_txn *t;
	/* A serial change that was not journaled: the journal's chain ends
	 * at 13, not at what we serve, so it cannot bring a client to 20. */
	assert_int_equal(store_write_begin(f->tz.store, &t), 0);
	assert_int_equal(zone_set_serial(t, f->z, 20), 0);
	assert_int_equal(store_commit(t), 0);
	assert_int_equal(testzone_refresh(&f->tz), 0);
	char *zone = zone_now(f, NOW);
	transfer(f, RR_IXFR, 10, &o);
	assert_whole_zone(&o, SOA(20), zone);
	out_free(&o);
	free(zone);
}

static void
test_ixfr_no_journal(void **state)
{
	struct fx *f = *state;
	struct xfr_out o;
	char *zone = zone_now(f, NOW);
	/* journal-size 0: the serial moved, but nothing was kept. */
	transfer(f, RR_IXFR, 12, &o);
	assert_whole_zone(&o, SOA(13), zone);
	out_free(&o);
	static const char *const soa[] = { SOA(13), NULL };
	transfer(f, RR_IXFR, 13, &o);
	assert_sequence(&o, soa);
	out_free(&o);
	free(zone);
}

static void
test_leases_and_the_reaper(void **state)
{
	struct fx *f = *state;
	struct xfr_out o;
	/* Add a record with a lease of 60 s: it is in the zone ... */
	assert_int_equal(change(f, "tmp 60 IN A 10.9.9.9", NOW, 60), 14);
	char *zone = zone_now(f, NOW);
	assert_non_null(strstr(zone, "tmp 60 A 10.9.9.9\n"));
	transfer(f, RR_AXFR, 0, &o);
	assert_whole_zone(&o, SOA(14), zone);
	out_free(&o);
	/* ... until its lease is over: then a whole-zone transfer has every
	 * live record and not that one, even before the reaper ran. */
	uint32_t later = NOW + 100;
	char *live = zone_now(f, later);
	assert_null(strstr(live, "tmp "));
	transfer_at(f, RR_AXFR, 0, later, &o);
	assert_whole_zone(&o, SOA(14), live);
	out_free(&o);
	transfer_at(f, RR_IXFR, 9, later, &o);
	assert_whole_zone(&o, SOA(14), live);
	out_free(&o);
	/* The reaper removes it in a change of its own, journaled: IXFR
	 * tells a secondary to delete it. */
	assert_int_equal(reap(f, later), 15);
	static const char *const from14[] = {
		SOA(15), SOA(14), "tmp 60 A 10.9.9.9", SOA(15), SOA(15), NULL,
	};
	transfer_at(f, RR_IXFR, 14, later, &o);
	assert_sequence(&o, from14);
	out_free(&o);
	free(live);
	live = zone_now(f, later);
	transfer_at(f, RR_AXFR, 0, later, &o);
	assert_whole_zone(&o, SOA(15), live);
	for (size_t i = 0; i < o.n; i++)
		assert_null(strstr(o.rr[i], "10.9.9.9"));
	out_free(&o);
	free(zone);
	free(live);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_axfr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ixfr_from_each_serial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ixfr_current, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ixfr_older_than_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ixfr_journal_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ixfr_no_journal, setup_no_journal, teardown),
		cmocka_unit_test_setup_teardown(test_leases_and_the_reaper, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
