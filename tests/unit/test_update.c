/* test_update.c -- RFC 2136 dynamic update and RFC 9664 leases, phase by
 * phase, from tables: (zone state, message) -> (rcode, new state)
 *
 * Every case starts from a fresh store holding the zone below (through the
 * real configuration and zone import) plus dynamic records, some of them
 * expired but not reaped. It builds the UPDATE message from presentation-
 * format lines, runs one phase (update_prereqs, update_precheck,
 * update_process) or all of them (update_apply) in a write transaction,
 * commits when the answer is NOERROR and aborts otherwise (as the writer
 * does), and compares the RCODE and a canonical dump of the zone's live
 * records (testzone_dump) with what the case expects. A case writes the
 * new state as the lines it adds ("+") and removes ("-") from the dump
 * taken before; the comparison is of the whole dump.
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

#include "conf/conf.h"
#include "node/node.h"
#include "query/query.h"
#include "store/store.h"
#include "testzone.h"
#include "update/update.h"
#include "util/err.h"
#include "wire/wire.h"
#include "zone/zone.h"

#define NOW 1700000000u
#define ORIGIN "z.test"
#define SECRET "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define KEY(name, extra) \
	"key " name " { algorithm hmac-sha256; secret \"" SECRET "\"; " extra " }\n"

/* The keys every case may sign with. */
static const char keys_conf[] =
    KEY("k1", "")
    KEY("k2", "")
    KEY("web", "")                                   /* for self-sub */
    KEY("short", "min-lease 100; max-lease 1000;")   /* narrower than the zone */
    KEY("long", "max-lease 9999;")                   /* wider than the zone */
    KEY("capped", "max-records 3;");

/* The zone every case starts from. */
static const char zone_text[] =
    "$ORIGIN z.test.\n"
    "$TTL 3600\n"
    "@       SOA   ns hostmaster 1 3600 600 86400 60\n"
    "@       NS    ns\n"
    "@       NS    ns2\n"
    "ns      A     192.0.2.1\n"
    "ns2     A     192.0.2.2\n"
    "www     A     192.0.2.80\n"
    "www     TXT   \"web\"\n"
    "alias   CNAME www\n"
    "a.ent   A     192.0.2.9\n" /* "ent" is an empty non-terminal */
    "lab     NS    ns.lab\n"    /* a delegation */
    "ns.lab  A     192.0.2.53\n";

/*
 * And the dynamic records added to it, one per line: "[KEY:]WHEN RR", WHEN
 * the expiry relative to NOW ("-1": expired a second ago, "+100"; "0":
 * never), KEY the key that owns the record.
 */
static const char dyn_state[] =
    "-1 gone 60 A 10.0.0.66\n"         /* expired, not reaped: absent */
    "-1 www 60 AAAA 2001:db8::80\n"     /* an expired RRset at a live name */
    "-1 stale 60 TXT \"old\"\n"         /* expired, with a live child: */
    "+100 x.stale 60 TXT \"child\"\n"   /* stale is an empty non-terminal now */
    "-1 oldalias 60 CNAME www\n";       /* an expired CNAME */

enum phase {
	PRE,   /* update_prereqs */
	CHECK, /* update_precheck */
	PROC,  /* update_process */
	ALL,   /* update_apply */
};

struct ucase {
	const char *what;     /* the case, as the RFC names it */
	const char *settings; /* zone settings (grants, leases) */
	const char *state;    /* more dynamic records (as dyn_state) */
	const char *key;      /* the TSIG key that signed it (NULL: unsigned) */
	const char *zsec;     /* zone section, "NAME CLASS TYPE" lines
	                       * (NULL: "z.test. IN SOA"; "": none) */
	const char *pre;      /* prerequisite RRs, one per line, names relative
	                       * to z.test (an RR without RDATA may leave it out) */
	const char *upd;      /* update RRs, the same way */
	const char *lease;    /* Update Lease option: "LEASE" or "LEASE KEY-LEASE" */
	uint8_t rcode;
	const char *changes;  /* lines the dump gains (+) and loses (-) */
	uint32_t granted, key_granted; /* the lease (PROC and ALL) */
};

/* ---- building the request ---- */

/*
 * Append one RR given as "name ttl class type [rdata]" (names relative to
 * the zone), parsed by ldns. An RR without RDATA gets none (RDLENGTH 0, as
 * deletions and most prerequisites have), and RDATA in the RFC 3597 form
 * ("\\# 3 0a0000") goes out as it is whatever the type, so a case can send
 * RDATA that does not fit its type.
 */
static void
put_rr(struct wire_buf *w, const char *line, const char *what)
{
	char text[1200], f[5][64];
	int fields = sscanf(line, "%63s %63s %63s %63s %63s", f[0], f[1], f[2], f[3], f[4]);
	bool has_class = fields >= 4 && ldns_get_rr_class_by_name(f[2]) != 0;
	bool bare = has_class && fields == 4;
	bool raw = has_class && fields == 5 && strcmp(f[4], "\\#") == 0;
	uint16_t type = 0;
	assert_true(strlen(line) < 1024);
	if (bare || raw) {
		/* ldns checks \\# RDATA against known types: parse it as an
		 * unknown type, then put the type in. */
		type = ldns_get_rr_type_by_name(f[3]);
		if (type == 0)
			fail_msg("%s: unknown type in \"%s\"", what, line);
		int k = snprintf(text, sizeof(text), "%s %s %s TYPE65280 %s", f[0], f[1], f[2],
		    raw ? strstr(line, "\\#") : "\\# 0");
		assert_true(k > 0 && (size_t)k < sizeof(text));
	} else {
		strcpy(text, line);
	}
	ldns_rdf *origin = ldns_dname_new_frm_str(ORIGIN ".");
	ldns_rr *rr = NULL;
	ldns_status st = ldns_rr_new_frm_str(&rr, text, 3600, origin, NULL);
	if (st != LDNS_STATUS_OK)
		fail_msg("%s: cannot parse \"%s\": %s", what, text, ldns_get_errorstr_by_id(st));
	ldns_buffer *b = ldns_buffer_new(512);
	assert_non_null(b);
	assert_int_equal(ldns_rr2buffer_wire(b, rr, LDNS_SECTION_ANSWER), LDNS_STATUS_OK);
	if (type != 0)
		wire_put16(ldns_buffer_begin(b) + ldns_rdf_size(ldns_rr_owner(rr)), type);
	wire_buf_bytes(w, ldns_buffer_begin(b), ldns_buffer_position(b));
	ldns_buffer_free(b);
	ldns_rr_free(rr);
	ldns_rdf_deep_free(origin);
}

/* Append every line of `lines`; returns how many. */
static uint16_t
put_rrs(struct wire_buf *w, const char *lines, const char *what)
{
	uint16_t n = 0;
	char line[1024];
	for (const char *p = lines; p != NULL && *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		assert_true(l < sizeof(line));
		memcpy(line, p, l);
		line[l] = '\0';
		if (l > 0) {
			put_rr(w, line, what);
			n++;
		}
		p = e ? e + 1 : p + l;
	}
	return n;
}

/* The zone section: "NAME CLASS TYPE" lines. */
static uint16_t
put_zones(struct wire_buf *w, const char *lines, const char *what)
{
	uint16_t n = 0;
	char name[256], klass[16], type[16];
	for (const char *p = lines; *p;) {
		int used = 0;
		if (sscanf(p, "%255s %15s %15s%n", name, klass, type, &used) != 3)
			fail_msg("%s: bad zone section \"%s\"", what, p);
		uint8_t wn[WIRE_NAME_MAX];
		assert_true(wire_name_from_str(name, wn) > 0);
		wire_buf_name_nocomp(w, wn);
		wire_buf_u16(w, ldns_get_rr_type_by_name(type));
		wire_buf_u16(w, ldns_get_rr_class_by_name(klass));
		n++;
		p += used;
		while (*p == '\n' || *p == ' ')
			p++;
	}
	return n;
}

/* The UPDATE message of a case; returns its length. */
static size_t
build(uint8_t *out, size_t max, const struct ucase *c)
{
	struct wire_buf w;
	wire_buf_init(&w, out, max);
	wire_buf_u16(&w, 0x4242);
	wire_buf_u16(&w, OPCODE_UPDATE << 11);
	wire_buf_u16(&w, 0);
	wire_buf_u16(&w, 0);
	wire_buf_u16(&w, 0);
	wire_buf_u16(&w, 0);
	uint16_t zo = put_zones(&w, c->zsec ? c->zsec : ORIGIN ". IN SOA", c->what);
	uint16_t pr = put_rrs(&w, c->pre, c->what);
	uint16_t up = put_rrs(&w, c->upd, c->what);
	if (c->lease != NULL) {
		unsigned lease, key_lease;
		int n = sscanf(c->lease, "%u %u", &lease, &key_lease);
		assert_true(n >= 1);
		wire_buf_u8(&w, 0);
		wire_buf_u16(&w, RR_OPT);
		wire_buf_u16(&w, 1232);
		wire_buf_u32(&w, 0);
		wire_buf_u16(&w, n == 2 ? 12 : 8);
		wire_buf_u16(&w, EDNS_OPT_UL);
		wire_buf_u16(&w, n == 2 ? 8 : 4);
		wire_buf_u32(&w, lease);
		if (n == 2)
			wire_buf_u32(&w, key_lease);
	}
	assert_int_equal(w.err, 0);
	wire_put16(out + 4, zo);
	wire_put16(out + 6, pr);
	wire_put16(out + 8, up);
	wire_put16(out + 10, c->lease ? 1 : 0);
	return w.len;
}

/* ---- zone state ---- */

static const struct conf_key *
key_named(struct testzone *tz, const char *name)
{
	uint8_t wn[WIRE_NAME_MAX];
	assert_true(wire_name_from_str(name, wn) > 0);
	const struct conf_key *k = conf_key_find(&tz->conf, wn);
	if (k == NULL)
		fail_msg("no key %s", name);
	return k;
}

/* Add dynamic records given as in dyn_state. */
static void
add_state(struct testzone *tz, const char *lines, const char *what)
{
	char line[1024];
	for (const char *p = lines; p != NULL && *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		assert_true(l < sizeof(line));
		memcpy(line, p, l);
		line[l] = '\0';
		p = e ? e + 1 : p + l;
		if (l == 0)
			continue;
		char *when = line, *rr = strchr(line, ' ');
		assert_non_null(rr);
		*rr++ = '\0';
		uint32_t owner = 0;
		char *colon = strchr(when, ':');
		if (colon != NULL) {
			*colon = '\0';
			owner = node_owner_tag(key_named(tz, when)->name_wire);
			when = colon + 1;
		}
		long rel = strtol(when, NULL, 10);
		uint32_t expire = rel == 0 ? 0 : (uint32_t)((long)NOW + rel);
		if (testzone_add_text(tz, ORIGIN, rr, expire, owner) != 0)
			fail_msg("%s: cannot add \"%s\"", what, rr);
	}
}

/* `before` with the lines of `changes` added (+) and removed (-), sorted;
 * NULL if a removed line is not there. */
static char *
apply_changes(const char *before, const char *changes)
{
	size_t cap = strlen(before) + (changes ? strlen(changes) : 0) + 2;
	char *s = malloc(cap);
	assert_non_null(s);
	strcpy(s, before);
	char line[1024];
	for (const char *p = changes; p != NULL && *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		assert_true(l > 1 && l < sizeof(line) - 1);
		memcpy(line, p + 1, l - 1);
		line[l - 1] = '\n';
		line[l] = '\0';
		if (p[0] == '+') {
			strcat(s, line);
		} else {
			assert_int_equal(p[0], '-');
			/* the line, at the start of one */
			char *at = s;
			while ((at = strstr(at, line)) != NULL && at != s && at[-1] != '\n')
				at++;
			if (at == NULL) {
				free(s);
				return NULL;
			}
			memmove(at, at + strlen(line), strlen(at + strlen(line)) + 1);
		}
		p = e ? e + 1 : p + l;
	}
	char *sorted = testzone_sort_lines(s);
	free(s);
	return sorted;
}

static const char *
rcode_name(uint8_t rcode)
{
	static char buf[8];
	const char *n[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
	if (rcode < sizeof(n) / sizeof(n[0]))
		return n[rcode];
	snprintf(buf, sizeof(buf), "%u", rcode);
	return buf;
}

/* ---- running a case ---- */

/* Run one case; returns false (after printing why) if it failed. */
static bool
run_case(enum phase phase, const struct ucase *c)
{
	struct testzone tz;
	struct testzone_src src = { ORIGIN, zone_text };
	const char *settings[1] = { c->settings };
	uint8_t msg[8192];
	struct query_req req;
	struct update_result res;
	struct store_txn *t;
	bool ok = true;
	int rc;

	memset(&res, 0, sizeof(res));
	if ((rc = testzone_open_conf(&tz, keys_conf, settings, &src, 1, NOW)) != 0)
		fail_msg("%s: zone does not open: %s", c->what, dnsd_strerror(rc));
	add_state(&tz, dyn_state, c->what);
	add_state(&tz, c->state, c->what);
	char *before = testzone_dump(&tz, NULL, ORIGIN, NOW);
	assert_non_null(before);
	char *want = apply_changes(before, c->changes);
	if (want == NULL)
		fail_msg("%s: a line it removes is not in the zone:\n%s", c->what, before);

	size_t len = build(msg, sizeof(msg), c);
	if (query_parse(msg, len, &req, NULL) != 0)
		fail_msg("%s: the message does not parse", c->what);
	const struct zone *z = req.qdcount == 1 ? zonetab_find(&tz.zones, req.qname) : NULL;
	if (z != NULL && !wire_name_equal(z->apex, req.qname))
		z = NULL; /* as the writer does */
	assert_true(phase == ALL || z != NULL);
	struct update_req u = { msg, len, &req, z, c->key ? key_named(&tz, c->key) : NULL, NOW };

	assert_int_equal(store_write_begin(tz.store, &t), 0);
	store_track_changes(t);
	switch (phase) {
	case PRE:
		rc = update_prereqs(t, &u, &res.rcode);
		break;
	case CHECK:
		rc = update_precheck(t, &u, &res.rcode);
		break;
	case PROC:
		rc = update_process(t, &u, &res);
		break;
	case ALL:
		rc = update_apply(t, &u, &res);
		break;
	}
	if (rc == 0 && res.rcode == RCODE_NOERROR)
		assert_int_equal(store_commit(t), 0);
	else
		store_abort(t);
	assert_int_equal(testzone_refresh(&tz), 0);
	char *after = testzone_dump(&tz, NULL, ORIGIN, NOW);
	assert_non_null(after);

	if (rc != 0) {
		print_error("FAIL %s: error %s\n", c->what, dnsd_strerror(rc));
		ok = false;
	} else if (res.rcode != c->rcode) {
		print_error("FAIL %s: %s, want %s\n", c->what, rcode_name(res.rcode),
		    rcode_name(c->rcode));
		ok = false;
	} else if (strcmp(after, want) != 0) {
		print_error("FAIL %s: the zone is\n%swant\n%s", c->what, after, want);
		ok = false;
	} else if ((phase == PROC || phase == ALL) && c->rcode == RCODE_NOERROR &&
	    (res.lease != c->granted || res.key_lease != c->key_granted)) {
		print_error("FAIL %s: lease %u/%u, want %u/%u\n", c->what, res.lease,
		    res.key_lease, c->granted, c->key_granted);
		ok = false;
	}
	free(before);
	free(want);
	free(after);
	testzone_close(&tz);
	return ok;
}

static void
run_table(enum phase phase, const struct ucase *cases, size_t n)
{
	unsigned failed = 0;
	for (size_t i = 0; i < n; i++)
		failed += !run_case(phase, &cases[i]);
	if (failed > 0)
		fail_msg("%u of %zu cases failed", failed, n);
}

#define RUN(phase, table) run_table(phase, table, sizeof(table) / sizeof(table[0]))

/* ---- RFC 2136 section 3.2: prerequisites ---- */

static const struct ucase prereq_cases[] = {
	/* 2.4.4 / 3.2.1: name is in use */
	{ .what = "name in use: a name with records", .pre = "www 0 ANY ANY" },
	{ .what = "name in use: the apex", .pre = "@ 0 ANY ANY" },
	{ .what = "name in use: names compare without case", .pre = "WWW 0 ANY ANY" },
	{ .what = "name in use: a dynamic record", .pre = "x.stale 0 ANY ANY" },
	{ .what = "name in use: a missing name", .pre = "nothere 0 ANY ANY",
	  .rcode = RCODE_NXDOMAIN },
	{ .what = "name in use: not an empty non-terminal", .pre = "ent 0 ANY ANY",
	  .rcode = RCODE_NXDOMAIN },
	{ .what = "name in use: not a name whose records expired", .pre = "gone 0 ANY ANY",
	  .rcode = RCODE_NXDOMAIN },
	{ .what = "name in use: not an expired name with a live child", .pre = "stale 0 ANY ANY",
	  .rcode = RCODE_NXDOMAIN },
	/* 2.4.5 / 3.2.2: name is not in use */
	{ .what = "name not in use: a missing name", .pre = "nothere 0 NONE ANY" },
	{ .what = "name not in use: an empty non-terminal", .pre = "ent 0 NONE ANY" },
	{ .what = "name not in use: a name whose records expired", .pre = "gone 0 NONE ANY" },
	{ .what = "name not in use: an expired name with a live child", .pre = "stale 0 NONE ANY" },
	{ .what = "name not in use: a name with records", .pre = "www 0 NONE ANY",
	  .rcode = RCODE_YXDOMAIN },
	{ .what = "name not in use: a delegation", .pre = "lab 0 NONE ANY",
	  .rcode = RCODE_YXDOMAIN },
	/* 2.4.1 / 3.2.1: RRset exists (value independent) */
	{ .what = "RRset exists", .pre = "www 0 ANY A" },
	{ .what = "RRset exists: another type at the name", .pre = "www 0 ANY MX",
	  .rcode = RCODE_NXRRSET },
	{ .what = "RRset exists: not when it expired", .pre = "www 0 ANY AAAA",
	  .rcode = RCODE_NXRRSET },
	{ .what = "RRset exists: a missing name", .pre = "nothere 0 ANY A",
	  .rcode = RCODE_NXRRSET },
	{ .what = "RRset exists: an empty non-terminal", .pre = "ent 0 ANY A",
	  .rcode = RCODE_NXRRSET },
	/* 2.4.3 / 3.2.2: RRset does not exist */
	{ .what = "RRset does not exist", .pre = "www 0 NONE MX" },
	{ .what = "RRset does not exist: an expired one", .pre = "www 0 NONE AAAA" },
	{ .what = "RRset does not exist: a missing name", .pre = "nothere 0 NONE A" },
	{ .what = "RRset does not exist: it does", .pre = "www 0 NONE A",
	  .rcode = RCODE_YXRRSET },
	{ .what = "RRset does not exist: a CNAME is an RRset", .pre = "alias 0 NONE CNAME",
	  .rcode = RCODE_YXRRSET },
	/* 2.4.2 / 3.2.3: RRset exists (value dependent) */
	{ .what = "RRset equals: one record", .pre = "www 0 IN A 192.0.2.80" },
	{ .what = "RRset equals: the whole set, in any order",
	  .pre = "@ 0 IN NS ns2\n@ 0 IN NS ns" },
	{ .what = "RRset equals: duplicates count once, names without case",
	  .pre = "@ 0 IN NS ns\n@ 0 IN NS ns2\n@ 0 IN NS NS.Z.TEST." },
	{ .what = "RRset equals: two RRsets, each checked",
	  .pre = "www 0 IN A 192.0.2.80\nns 0 IN A 192.0.2.1\nwww 0 IN TXT \"web\"" },
	{ .what = "RRset equals: another value", .pre = "www 0 IN A 192.0.2.81",
	  .rcode = RCODE_NXRRSET },
	{ .what = "RRset equals: part of the set is not enough", .pre = "@ 0 IN NS ns",
	  .rcode = RCODE_NXRRSET },
	{ .what = "RRset equals: more than the set", .pre = "www 0 IN A 192.0.2.80\nwww 0 IN A 192.0.2.81",
	  .rcode = RCODE_NXRRSET },
	{ .what = "RRset equals: an expired record is not there", .pre = "www 0 IN AAAA 2001:db8::80",
	  .rcode = RCODE_NXRRSET },
	{ .what = "RRset equals: a missing name", .pre = "nothere 0 IN A 192.0.2.80",
	  .rcode = RCODE_NXRRSET },
	{ .what = "RRset equals: one of two RRsets differs",
	  .pre = "www 0 IN A 192.0.2.80\nns 0 IN A 192.0.2.99", .rcode = RCODE_NXRRSET },
	/* 3.2: the form of a prerequisite */
	{ .what = "TTL not zero (class ANY)", .pre = "www 300 ANY ANY", .rcode = RCODE_FORMERR },
	{ .what = "TTL not zero (class NONE)", .pre = "www 300 NONE A", .rcode = RCODE_FORMERR },
	{ .what = "TTL not zero (value dependent)", .pre = "www 300 IN A 192.0.2.80",
	  .rcode = RCODE_FORMERR },
	{ .what = "class ANY with RDATA", .pre = "www 0 ANY A 192.0.2.80", .rcode = RCODE_FORMERR },
	{ .what = "class NONE with RDATA", .pre = "www 0 NONE A 192.0.2.80", .rcode = RCODE_FORMERR },
	{ .what = "value dependent: RDATA that is not of the type",
	  .pre = "www 0 IN A \\# 3 c00002", .rcode = RCODE_FORMERR },
	{ .what = "value dependent: a CNAME without RDATA", .pre = "alias 0 IN CNAME \\# 0",
	  .rcode = RCODE_FORMERR },
	{ .what = "another class", .pre = "www 0 CH ANY", .rcode = RCODE_FORMERR },
	{ .what = "a meta type", .pre = "www 0 ANY AXFR", .rcode = RCODE_FORMERR },
	{ .what = "NOTZONE: a name outside the zone", .pre = "www.example.org. 0 ANY ANY",
	  .rcode = RCODE_NOTZONE },
	{ .what = "NOTZONE: the parent of the apex", .pre = "test. 0 NONE ANY",
	  .rcode = RCODE_NOTZONE },
	/* 3.2: in order, the first that fails decides ... */
	{ .what = "order: NXDOMAIN before a FORMERR", .pre = "nothere 0 ANY ANY\nwww 300 ANY ANY",
	  .rcode = RCODE_NXDOMAIN },
	{ .what = "order: FORMERR before an NXDOMAIN", .pre = "www 300 ANY ANY\nnothere 0 ANY ANY",
	  .rcode = RCODE_FORMERR },
	/* ... but the value-dependent RRsets are compared after all others */
	{ .what = "order: value-dependent RRsets last",
	  .pre = "www 0 IN A 192.0.2.81\nnothere 0 ANY ANY", .rcode = RCODE_NXDOMAIN },
	{ .what = "all of them hold",
	  .pre = "www 0 ANY ANY\nent 0 NONE ANY\nwww 0 ANY TXT\nwww 0 NONE MX\n"
	         "www 0 IN A 192.0.2.80" },
	/* Prerequisites only read: an update section is not applied. */
	{ .what = "prerequisites change nothing", .pre = "www 0 ANY ANY",
	  .upd = "new 300 A 10.0.0.1" },
};

static void
test_prereqs(void **state)
{
	(void)state;
	RUN(PRE, prereq_cases);
}

/* ---- RFC 2136 sections 3.4.1 and 3.3: prescan and policy ---- */

/* Grants used below. */
#define G_WWW_A "grant k1 name www A"

static const struct ucase precheck_cases[] = {
	/* 3.4.1.3: the form of each update RR */
	{ .what = "an addition", .upd = "new 300 A 10.0.0.1" },
	{ .what = "every kind of deletion",
	  .upd = "www 0 ANY TXT\nwww 0 ANY ANY\nwww 0 NONE A 192.0.2.80" },
	{ .what = "no update RRs" },
	{ .what = "NOTZONE", .upd = "new.example.org. 300 A 10.0.0.1", .rcode = RCODE_NOTZONE },
	{ .what = "NOTZONE: the parent of the apex", .upd = "test. 300 A 10.0.0.1",
	  .rcode = RCODE_NOTZONE },
	{ .what = "add of type ANY", .upd = "new 300 IN ANY", .rcode = RCODE_FORMERR },
	{ .what = "add of type AXFR", .upd = "new 300 IN AXFR", .rcode = RCODE_FORMERR },
	{ .what = "add of type IXFR", .upd = "new 300 IN IXFR", .rcode = RCODE_FORMERR },
	{ .what = "add of type MAILA", .upd = "new 300 IN MAILA", .rcode = RCODE_FORMERR },
	{ .what = "add of type MAILB", .upd = "new 300 IN MAILB", .rcode = RCODE_FORMERR },
	/* RDATA that cannot be of its type */
	{ .what = "add: an A of 3 bytes", .upd = "new 300 IN A \\# 3 0a0000",
	  .rcode = RCODE_FORMERR },
	{ .what = "add: an A of 5 bytes", .upd = "new 300 IN A \\# 5 0a00000101",
	  .rcode = RCODE_FORMERR },
	{ .what = "add: an AAAA of 4 bytes", .upd = "new 300 IN AAAA \\# 4 0a000001",
	  .rcode = RCODE_FORMERR },
	{ .what = "add: a CNAME without RDATA", .upd = "new 300 IN CNAME \\# 0",
	  .rcode = RCODE_FORMERR },
	{ .what = "add: an SRV without RDATA", .upd = "new 300 IN SRV \\# 0",
	  .rcode = RCODE_FORMERR },
	{ .what = "add: a PTR whose name runs past its RDATA", .upd = "new 300 IN PTR \\# 2 0378",
	  .rcode = RCODE_FORMERR },
	{ .what = "add: an unknown type without RDATA", .upd = "new 300 IN TYPE65280 \\# 0" },
	{ .what = "add: an A in RFC 3597 form", .upd = "new 300 IN A \\# 4 0a000001" },
	/* (TSIG and OPT records outside the additional section do not get
	 * this far: query_parse() answers FORMERR for them.) */
	{ .what = "delete RRset: TTL not zero", .upd = "www 300 ANY A", .rcode = RCODE_FORMERR },
	{ .what = "delete RRset: RDATA", .upd = "www 0 ANY A 192.0.2.80", .rcode = RCODE_FORMERR },
	{ .what = "delete RRset: type AXFR", .upd = "www 0 ANY AXFR", .rcode = RCODE_FORMERR },
	{ .what = "delete name: TTL not zero", .upd = "www 300 ANY ANY", .rcode = RCODE_FORMERR },
	{ .what = "delete RR: TTL not zero", .upd = "www 300 NONE A 192.0.2.80",
	  .rcode = RCODE_FORMERR },
	{ .what = "delete RR: type ANY", .upd = "www 0 NONE ANY", .rcode = RCODE_FORMERR },
	{ .what = "delete RR: type MAILB", .upd = "www 0 NONE MAILB", .rcode = RCODE_FORMERR },
	{ .what = "another class", .upd = "www 300 CH A 192.0.2.80", .rcode = RCODE_FORMERR },
	{ .what = "FORMERR after a good RR", .upd = "new 300 A 10.0.0.1\nwww 300 ANY A",
	  .rcode = RCODE_FORMERR },
	{ .what = "the first failure decides", .upd = "x.example.org. 300 A 10.0.0.1\nwww 300 ANY A",
	  .rcode = RCODE_NOTZONE },
	/* 3.3: the policy. No grants: any key may change anything. */
	{ .what = "no grants: a key may add", .key = "k1", .upd = "new 300 A 10.0.0.1" },
	{ .what = "no grants: a key may delete a name", .key = "k1", .upd = "www 0 ANY ANY" },
	{ .what = "no grants: a key may add NS at the apex", .key = "k1",
	  .upd = "@ 3600 NS ns3.example.org." },
	/* Grants bind signed requests only (the address list let unsigned
	 * ones in before). */
	{ .what = "unsigned: grants do not apply", .settings = G_WWW_A, .upd = "new 300 TXT x" },
	/* name */
	{ .what = "name: that name", .settings = G_WWW_A, .key = "k1",
	  .upd = "www 300 A 10.0.0.1" },
	{ .what = "name: names compare without case", .settings = G_WWW_A, .key = "k1",
	  .upd = "WwW 300 A 10.0.0.1" },
	{ .what = "name: absolute in the grant", .settings = "grant k1 name www.z.test. A",
	  .key = "k1", .upd = "www 300 A 10.0.0.1" },
	{ .what = "name: another name", .settings = G_WWW_A, .key = "k1",
	  .upd = "www2 300 A 10.0.0.1", .rcode = RCODE_REFUSED },
	{ .what = "name: not below it", .settings = G_WWW_A, .key = "k1",
	  .upd = "a.www 300 A 10.0.0.1", .rcode = RCODE_REFUSED },
	{ .what = "name: another type", .settings = G_WWW_A, .key = "k1",
	  .upd = "www 300 TXT x", .rcode = RCODE_REFUSED },
	{ .what = "name: another key", .settings = G_WWW_A, .key = "k2",
	  .upd = "www 300 A 10.0.0.1", .rcode = RCODE_REFUSED },
	{ .what = "name: any key (*)", .settings = "grant * name www A", .key = "k2",
	  .upd = "www 300 A 10.0.0.1" },
	{ .what = "one RR refused refuses the update", .settings = G_WWW_A, .key = "k1",
	  .upd = "www 300 A 10.0.0.1\nwww2 300 A 10.0.0.1", .rcode = RCODE_REFUSED },
	{ .what = "the second grant matches", .settings = G_WWW_A "; grant k1 name www2 A",
	  .key = "k1", .upd = "www 300 A 10.0.0.1\nwww2 300 A 10.0.0.1" },
	/* subdomain */
	{ .what = "subdomain: the name itself", .settings = "grant k1 subdomain svc", .key = "k1",
	  .upd = "svc 300 PTR a.svc" },
	{ .what = "subdomain: below", .settings = "grant k1 subdomain svc", .key = "k1",
	  .upd = "a.b.svc 300 TXT x" },
	{ .what = "subdomain: whole labels only", .settings = "grant k1 subdomain svc", .key = "k1",
	  .upd = "xsvc 300 TXT x", .rcode = RCODE_REFUSED },
	{ .what = "subdomain: not the apex", .settings = "grant k1 subdomain svc", .key = "k1",
	  .upd = "@ 300 TXT x", .rcode = RCODE_REFUSED },
	/* wildcard */
	{ .what = "wildcard: below", .settings = "grant k1 wildcard *.svc", .key = "k1",
	  .upd = "a.svc 300 TXT x\na.b.svc 300 TXT x" },
	{ .what = "wildcard: not the name itself", .settings = "grant k1 wildcard *.svc",
	  .key = "k1", .upd = "svc 300 TXT x", .rcode = RCODE_REFUSED },
	/* self-sub: the key's own name, relative to the zone */
	{ .what = "self-sub: the key's name", .settings = "grant * self-sub", .key = "web",
	  .upd = "web 300 A 10.0.0.1" },
	{ .what = "self-sub: below it", .settings = "grant * self-sub", .key = "web",
	  .upd = "_http._tcp.web 300 SRV 0 0 80 web" },
	{ .what = "self-sub: another name", .settings = "grant * self-sub", .key = "web",
	  .upd = "www 300 A 10.0.0.1", .rcode = RCODE_REFUSED },
	{ .what = "self-sub: another key's name", .settings = "grant * self-sub", .key = "k1",
	  .upd = "web 300 A 10.0.0.1", .rcode = RCODE_REFUSED },
	/* zone, and type lists */
	{ .what = "zone: any name", .settings = "grant k1 zone", .key = "k1",
	  .upd = "a.b.c 300 A 10.0.0.1\n@ 300 TXT x" },
	{ .what = "zone: no types is every type but SOA and NS", .settings = "grant k1 zone",
	  .key = "k1", .upd = "@ 3600 NS ns3.example.org.", .rcode = RCODE_REFUSED },
	{ .what = "zone: not SOA either", .settings = "grant k1 zone", .key = "k1",
	  .upd = "@ 0 ANY SOA", .rcode = RCODE_REFUSED },
	{ .what = "zone: ANY in the list is every type", .settings = "grant k1 zone ANY",
	  .key = "k1", .upd = "@ 3600 NS ns3.example.org." },
	{ .what = "type list: a listed type", .settings = "grant k1 subdomain svc SRV TXT",
	  .key = "k1", .upd = "a.svc 300 TXT x\na.svc 300 SRV 0 0 80 h" },
	{ .what = "type list: another type", .settings = "grant k1 subdomain svc SRV TXT",
	  .key = "k1", .upd = "a.svc 300 A 10.0.0.1", .rcode = RCODE_REFUSED },
	{ .what = "type list: deleting an RRset of another type",
	  .settings = "grant k1 name www A", .key = "k1", .upd = "www 0 ANY TXT",
	  .rcode = RCODE_REFUSED },
	{ .what = "type list: deleting an RR of another type", .settings = "grant k1 name www A",
	  .key = "k1", .upd = "www 0 NONE TXT \"web\"", .rcode = RCODE_REFUSED },
	/* Deleting a name deletes every type there: all must be allowed. */
	{ .what = "delete name: every type there allowed", .settings = "grant k1 name ns A",
	  .key = "k1", .upd = "ns 0 ANY ANY" },
	{ .what = "delete name: one type there not allowed", .settings = "grant k1 name www A",
	  .key = "k1", .upd = "www 0 ANY ANY", .rcode = RCODE_REFUSED },
	{ .what = "delete name: an expired record's type does not count",
	  .settings = "grant k1 name www A TXT", .key = "k1", .upd = "www 0 ANY ANY" },
	{ .what = "delete name: a missing name", .settings = "grant k1 name nothere A",
	  .key = "k1", .upd = "nothere 0 ANY ANY" },
	{ .what = "delete name: the apex keeps SOA and NS, so they need no grant",
	  .settings = "grant k1 name z.test.", .state = "0 @ 300 TXT \"apex\"", .key = "k1",
	  .upd = "@ 0 ANY ANY" },
	{ .what = "delete name: a refused delete refuses the update",
	  .settings = "grant k1 name www A; grant k1 name new A", .key = "k1",
	  .upd = "new 300 A 10.0.0.1\nwww 0 ANY ANY", .rcode = RCODE_REFUSED },
	/* The precheck only reads. */
	{ .what = "the precheck changes nothing", .upd = "new 300 A 10.0.0.1\nwww 0 ANY ANY" },
};

static void
test_precheck(void **state)
{
	(void)state;
	RUN(CHECK, precheck_cases);
}

/* ---- RFC 2136 section 3.4.2: the update ---- */

static const struct ucase process_cases[] = {
	/* 3.4.2.2: additions */
	{ .what = "add to a new name", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1" },
	{ .what = "add to an RRset", .upd = "www 3600 A 192.0.2.81",
	  .changes = "+www 3600 A 192.0.2.81" },
	{ .what = "add: the RRset takes the new record's TTL", .upd = "www 60 A 192.0.2.81",
	  .changes = "-www 3600 A 192.0.2.80\n+www 60 A 192.0.2.80\n+www 60 A 192.0.2.81" },
	{ .what = "add: a duplicate merges and sets the TTL", .upd = "www 120 A 192.0.2.80",
	  .changes = "-www 3600 A 192.0.2.80\n+www 120 A 192.0.2.80" },
	{ .what = "add: a duplicate with the same TTL changes nothing", .upd = "www 3600 A 192.0.2.80" },
	{ .what = "add: duplicates in one update", .upd = "new 300 A 10.0.0.1\nnew 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1" },
	{ .what = "add: the last TTL of an RRset wins",
	  .upd = "new 300 A 10.0.0.1\nnew 60 A 10.0.0.2",
	  .changes = "+new 60 A 10.0.0.1\n+new 60 A 10.0.0.2" },
	{ .what = "add: names in RDATA compare without case", .upd = "alias 3600 CNAME WWW.Z.TEST." },
	{ .what = "add: a record that expired comes back", .upd = "gone 300 A 10.0.0.66",
	  .changes = "+gone 300 A 10.0.0.66" },
	{ .what = "add: several names and types",
	  .upd = "srv.web 300 SRV 0 0 80 web\nweb 300 A 10.0.0.1\nweb 300 TXT \"v=1\"",
	  .changes = "+srv.web 300 SRV 0 0 80 web.z.test.\n+web 300 A 10.0.0.1\n"
	             "+web 300 TXT \"v=1\"" },
	/* one node is edited while the RRs stay at its name, saved when it changes */
	{ .what = "a name, another, then the first again",
	  .upd = "new 300 A 10.0.0.1\nother 300 A 10.0.0.2\nNEW 300 A 10.0.0.3\nnew 0 NONE A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.3\n+other 300 A 10.0.0.2" },
	{ .what = "a service instance between records of one name",
	  .upd = "web 300 A 10.0.0.1\ni._http._tcp 300 SRV 0 0 80 web\nweb 300 A 10.0.0.2",
	  .changes = "+_http._tcp 300 PTR i._http._tcp.z.test.\n"
	             "+_http._tcp 300 SRV 0 0 80 web.z.test.\n"
	             "+_services._dns-sd._udp 300 PTR _http._tcp.z.test.\n"
	             "+i._http._tcp 300 SRV 0 0 80 web.z.test.\n"
	             "+i._http._tcp 300 TXT \"\"\n"
	             "+web 300 A 10.0.0.1\n+web 300 A 10.0.0.2" },
	/* CNAME exclusivity, both ways */
	{ .what = "CNAME where other data lives: ignored", .upd = "www 300 CNAME ns" },
	{ .what = "data where a CNAME lives: ignored", .upd = "alias 300 A 10.0.0.1" },
	{ .what = "a CNAME replaces the CNAME", .upd = "alias 300 CNAME ns",
	  .changes = "-alias 3600 CNAME www.z.test.\n+alias 300 CNAME ns.z.test." },
	{ .what = "CNAME at a new name", .upd = "new 300 CNAME www",
	  .changes = "+new 300 CNAME www.z.test." },
	{ .what = "CNAME where the only data expired", .upd = "gone 300 CNAME www",
	  .changes = "+gone 300 CNAME www.z.test." },
	{ .what = "data where the only CNAME expired", .upd = "oldalias 300 A 10.0.0.1",
	  .changes = "+oldalias 300 A 10.0.0.1" },
	{ .what = "CNAME, then data in the same update: the data is ignored",
	  .upd = "new 300 CNAME www\nnew 300 A 10.0.0.1", .changes = "+new 300 CNAME www.z.test." },
	{ .what = "data, then CNAME in the same update: the CNAME is ignored",
	  .upd = "new 300 A 10.0.0.1\nnew 300 CNAME www", .changes = "+new 300 A 10.0.0.1" },
	{ .what = "delete the name, then a CNAME there",
	  .upd = "www 0 ANY ANY\nwww 300 CNAME ns",
	  .changes = "-www 3600 A 192.0.2.80\n-www 3600 TXT \"web\"\n+www 300 CNAME ns.z.test." },
	/* SOA: the serial is ours */
	{ .what = "SOA add at the apex: ignored",
	  .upd = "@ 3600 SOA ns hostmaster 99 3600 600 86400 60" },
	{ .what = "SOA add below the apex: ignored",
	  .upd = "new 3600 SOA ns hostmaster 99 3600 600 86400 60" },
	/* 3.4.2.3: delete an RRset, delete a name */
	{ .what = "delete an RRset", .upd = "www 0 ANY TXT", .changes = "-www 3600 TXT \"web\"" },
	{ .what = "delete an RRset that is not there", .upd = "www 0 ANY MX" },
	{ .what = "delete an RRset at a missing name", .upd = "nothere 0 ANY A" },
	{ .what = "delete a name", .upd = "www 0 ANY ANY",
	  .changes = "-www 3600 A 192.0.2.80\n-www 3600 TXT \"web\"" },
	{ .what = "delete a name: its children stay", .upd = "stale 0 ANY ANY" },
	{ .what = "delete a delegation's NS", .upd = "lab 0 ANY NS",
	  .changes = "-lab 3600 NS ns.lab.z.test." },
	{ .what = "delete the apex: SOA and NS stay", .state = "0 @ 300 TXT \"apex\"",
	  .upd = "@ 0 ANY ANY", .changes = "-@ 300 TXT \"apex\"" },
	{ .what = "delete the apex SOA RRset: ignored", .upd = "@ 0 ANY SOA" },
	{ .what = "delete the apex NS RRset: ignored", .upd = "@ 0 ANY NS" },
	/* 3.4.2.4: delete an RR */
	{ .what = "delete an RR", .upd = "www 0 NONE A 192.0.2.80",
	  .changes = "-www 3600 A 192.0.2.80" },
	{ .what = "delete an RR: names in RDATA compare without case",
	  .upd = "alias 0 NONE CNAME WWW.Z.Test.", .changes = "-alias 3600 CNAME www.z.test." },
	{ .what = "delete an RR that is not there", .upd = "www 0 NONE A 192.0.2.99" },
	{ .what = "delete an RR: the apex SOA stays",
	  .upd = "@ 0 NONE SOA ns hostmaster 1 3600 600 86400 60" },
	{ .what = "delete one of two apex NS", .upd = "@ 0 NONE NS ns2",
	  .changes = "-@ 3600 NS ns2.z.test." },
	{ .what = "delete both apex NS: the last one stays", .upd = "@ 0 NONE NS ns\n@ 0 NONE NS ns2",
	  .changes = "-@ 3600 NS ns.z.test." },
	{ .what = "delete the only NS of a delegation", .upd = "lab 0 NONE NS ns.lab",
	  .changes = "-lab 3600 NS ns.lab.z.test." },
	/* in order */
	{ .what = "add, then delete it", .upd = "new 300 A 10.0.0.1\nnew 0 ANY A" },
	{ .what = "delete, then add", .upd = "www 0 ANY A\nwww 300 A 10.0.0.1",
	  .changes = "-www 3600 A 192.0.2.80\n+www 300 A 10.0.0.1" },
	/* RFC 9664 leases: no option, the zone's default lease */
	{ .what = "lease: none asked, no default: permanent", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1" },
	{ .what = "lease: none asked, default-lease", .settings = "default-lease 600",
	  .upd = "new 300 A 10.0.0.1", .changes = "+new 300 A 10.0.0.1 ; expires +601",
	  .granted = 600 },
	{ .what = "lease: the default lease is taken as configured", .settings = "default-lease 600; max-lease 60",
	  .upd = "new 300 A 10.0.0.1", .changes = "+new 300 A 10.0.0.1 ; expires +601",
	  .granted = 600 },
	/* the option, clamped by the zone ... */
	{ .what = "lease: as asked", .settings = "min-lease 60; max-lease 3600", .lease = "1200",
	  .upd = "new 300 A 10.0.0.1", .changes = "+new 300 A 10.0.0.1 ; expires +1201",
	  .granted = 1200 },
	{ .what = "lease: over the zone's max", .settings = "min-lease 60; max-lease 3600",
	  .lease = "7200", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1 ; expires +3601", .granted = 3600 },
	{ .what = "lease: under the zone's min", .settings = "min-lease 60; max-lease 3600",
	  .lease = "10", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1 ; expires +61", .granted = 60 },
	{ .what = "lease: 0 (forever) gets the zone's max", .settings = "max-lease 3600",
	  .lease = "0", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1 ; expires +3601", .granted = 3600 },
	{ .what = "lease: 0 gets the zone's max, with a min too",
	  .settings = "min-lease 60; max-lease 3600", .lease = "0", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1 ; expires +3601", .granted = 3600 },
	{ .what = "lease: 0 with no max is forever", .lease = "0", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1" },
	{ .what = "lease: 0 with a min and no max is forever", .settings = "min-lease 60",
	  .lease = "0", .upd = "new 300 A 10.0.0.1", .changes = "+new 300 A 10.0.0.1" },
	{ .what = "lease: the option wins over default-lease", .settings = "default-lease 600",
	  .lease = "30", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1 ; expires +31", .granted = 30 },
	/* ... and by the key */
	{ .what = "lease: the key's max under the zone's", .settings = "max-lease 3600",
	  .key = "short", .lease = "7200", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1 ; expires +1001", .granted = 1000 },
	{ .what = "lease: the key's min over the zone's", .settings = "min-lease 60",
	  .key = "short", .lease = "10", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1 ; expires +101", .granted = 100 },
	{ .what = "lease: the key's max when the zone has none", .key = "short", .lease = "0",
	  .upd = "new 300 A 10.0.0.1", .changes = "+new 300 A 10.0.0.1 ; expires +1001",
	  .granted = 1000 },
	{ .what = "lease: a key's max over the zone's does not widen it",
	  .settings = "max-lease 3600", .key = "long", .lease = "5000",
	  .upd = "new 300 A 10.0.0.1", .changes = "+new 300 A 10.0.0.1 ; expires +3601",
	  .granted = 3600 },
	{ .what = "lease: none asked, the key's max holds", .key = "short",
	  .upd = "new 300 A 10.0.0.1", .changes = "+new 300 A 10.0.0.1 ; expires +1001",
	  .granted = 1000 },
	{ .what = "lease: none asked, a default within the key's bounds",
	  .settings = "default-lease 600", .key = "short", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1 ; expires +601", .granted = 600 },
	{ .what = "lease: past the clock's end expires at its last second", .lease = "4000000000",
	  .upd = "new 300 A 10.0.0.1", .changes = "+new 300 A 10.0.0.1 ; expires +2594967295",
	  .granted = 4000000000u },
	/* the 8-byte form: LEASE and KEY-LEASE, each clamped */
	{ .what = "lease: KEY-LEASE in the 8-byte form", .settings = "max-lease 3600",
	  .lease = "1200 86400", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1 ; expires +1201", .granted = 1200, .key_granted = 3600 },
	{ .what = "lease: KEY-LEASE within bounds", .settings = "max-lease 3600",
	  .lease = "600 1800", .upd = "new 300 A 10.0.0.1",
	  .changes = "+new 300 A 10.0.0.1 ; expires +601", .granted = 600, .key_granted = 1800 },
	/* one expiry for the whole update */
	{ .what = "lease: every record of one update shares it", .lease = "600",
	  .upd = "_http._tcp 300 PTR i._http._tcp\ni._http._tcp 300 SRV 0 0 80 h\n"
	         "i._http._tcp 300 TXT \"path=/\"\nh 300 A 10.0.0.1",
	  .changes = "+_http._tcp 300 PTR i._http._tcp.z.test. ; expires +601\n"
	             "+_http._tcp 300 SRV 0 0 80 h.z.test. ; expires +601\n"
	             "+_services._dns-sd._udp 300 PTR _http._tcp.z.test. ; expires +601\n"
	             "+i._http._tcp 300 SRV 0 0 80 h.z.test. ; expires +601\n"
	             "+i._http._tcp 300 TXT \"path=/\" ; expires +601\n"
	             "+h 300 A 10.0.0.1 ; expires +601",
	  .granted = 600 },
	{ .what = "lease: renewal extends", .state = "+100 new 300 A 10.0.0.1", .lease = "600",
	  .upd = "new 300 A 10.0.0.1",
	  .changes = "-new 300 A 10.0.0.1 ; expires +100\n+new 300 A 10.0.0.1 ; expires +601",
	  .granted = 600 },
	{ .what = "lease: a renewal sets the shorter lease it asks for",
	  .state = "+1000 new 300 A 10.0.0.1", .lease = "600", .upd = "new 300 A 10.0.0.1",
	  .changes = "-new 300 A 10.0.0.1 ; expires +1000\n+new 300 A 10.0.0.1 ; expires +601",
	  .granted = 600 },
	{ .what = "lease: another key's longer lease is kept", .key = "k1",
	  .state = "capped:+1000 new 300 A 10.0.0.1", .lease = "600", .upd = "new 300 A 10.0.0.1",
	  .granted = 600 },
	{ .what = "lease: a renewal with a lease ends the same key's permanent record",
	  .state = "0 new 300 A 10.0.0.1", .lease = "600", .upd = "new 300 A 10.0.0.1",
	  .changes = "-new 300 A 10.0.0.1\n+new 300 A 10.0.0.1 ; expires +601", .granted = 600 },
	{ .what = "lease: another key's permanent record stays permanent", .key = "k1",
	  .state = "capped:0 new 300 A 10.0.0.1", .lease = "600", .upd = "new 300 A 10.0.0.1",
	  .granted = 600 },
	{ .what = "lease: a record from the zone file never expires", .lease = "600",
	  .upd = "www 3600 A 192.0.2.80", .granted = 600 },
	{ .what = "lease: the expired record comes back with the new lease", .lease = "600",
	  .upd = "gone 60 A 10.0.0.66", .changes = "+gone 60 A 10.0.0.66 ; expires +601",
	  .granted = 600 },
	/* the service model (services.c): instances change, views follow */
	{ .what = "service: an RFC 2782 SRV registers the instance named after its target",
	  .upd = "_ftp._tcp 300 SRV 0 5 21 files",
	  .changes = "+_ftp._tcp 300 PTR files._ftp._tcp.z.test.\n"
	             "+_ftp._tcp 300 SRV 0 5 21 files.z.test.\n"
	             "+_services._dns-sd._udp 300 PTR _ftp._tcp.z.test.\n"
	             "+files._ftp._tcp 300 SRV 0 5 21 files.z.test.\n"
	             "+files._ftp._tcp 300 TXT \"\"" },
	{ .what = "service: a subtype PTR tags the instance",
	  .upd = "i._http._tcp 300 SRV 0 0 80 h\n_v2._sub._http._tcp 300 PTR i._http._tcp",
	  .changes = "+_http._tcp 300 PTR i._http._tcp.z.test.\n"
	             "+_http._tcp 300 SRV 0 0 80 h.z.test.\n"
	             "+_services._dns-sd._udp 300 PTR _http._tcp.z.test.\n"
	             "+_v2._sub._http._tcp 300 PTR i._http._tcp.z.test.\n"
	             "+_v2._sub._http._tcp 300 SRV 0 0 80 h.z.test.\n"
	             "+i._http._tcp 300 SRV 0 0 80 h.z.test.\n"
	             "+i._http._tcp 300 TXT \"\"" },
	{ .what = "service: a browse PTR alone registers nothing",
	  .upd = "_http._tcp 300 PTR x._http._tcp" },
	{ .what = "service: a subtype PTR to no instance is absorbed",
	  .upd = "_v2._sub._http._tcp 300 PTR nosuch._http._tcp" },
	{ .what = "service: _services._dns-sd._udp is derived, not written",
	  .upd = "_services._dns-sd._udp 300 PTR _http._tcp" },
	{ .what = "service: registered and deregistered in one update leaves nothing",
	  .upd = "i._http._tcp 300 SRV 0 0 80 h\ni._http._tcp 0 ANY SRV" },
	{ .what = "service: deleting the browse PTR deregisters",
	  .upd = "i._http._tcp 300 SRV 0 0 80 h\n_http._tcp 0 NONE PTR i._http._tcp" },
	{ .what = "service: deleting the RFC 2782 SRV record deregisters",
	  .upd = "i._http._tcp 300 SRV 0 0 80 h\n_http._tcp 0 NONE SRV 0 0 80 h" },
	{ .what = "service: deleting the subtype PTR untags",
	  .upd = "i._http._tcp 300 SRV 0 0 80 h\n_v2._sub._http._tcp 300 PTR i._http._tcp\n"
	         "_v2._sub._http._tcp 0 NONE PTR i._http._tcp",
	  .changes = "+_http._tcp 300 PTR i._http._tcp.z.test.\n"
	             "+_http._tcp 300 SRV 0 0 80 h.z.test.\n"
	             "+_services._dns-sd._udp 300 PTR _http._tcp.z.test.\n"
	             "+i._http._tcp 300 SRV 0 0 80 h.z.test.\n"
	             "+i._http._tcp 300 TXT \"\"" },
	{ .what = "service: a TXT where no instance is is a record like any other",
	  .upd = "j._http._tcp 300 TXT \"a=1\"", .changes = "+j._http._tcp 300 TXT \"a=1\"" },
	{ .what = "service: the instance's TXT replaces the empty one",
	  .upd = "i._http._tcp 300 SRV 0 0 80 h\ni._http._tcp 300 TXT \"path=/\"",
	  .changes = "+_http._tcp 300 PTR i._http._tcp.z.test.\n"
	             "+_http._tcp 300 SRV 0 0 80 h.z.test.\n"
	             "+_services._dns-sd._udp 300 PTR _http._tcp.z.test.\n"
	             "+i._http._tcp 300 SRV 0 0 80 h.z.test.\n"
	             "+i._http._tcp 300 TXT \"path=/\"" },
	/* the key's max-records: records the key owns in the zone after the update */
	{ .what = "max-records: up to the cap", .key = "capped",
	  .state = "capped:+1000 c1 60 TXT \"1\"\ncapped:+1000 c2 60 TXT \"2\"",
	  .upd = "c3 60 TXT \"3\"", .changes = "+c3 60 TXT \"3\"" },
	{ .what = "max-records: over the cap", .key = "capped",
	  .state = "capped:+1000 c1 60 TXT \"1\"\ncapped:+1000 c2 60 TXT \"2\"",
	  .upd = "c3 60 TXT \"3\"\nc4 60 TXT \"4\"", .rcode = RCODE_REFUSED },
	{ .what = "max-records: renewing counts each record once", .key = "capped",
	  .state = "capped:0 c1 60 TXT \"1\"\ncapped:0 c2 60 TXT \"2\"\ncapped:0 c3 60 TXT \"3\"",
	  .upd = "c1 60 TXT \"1\"\nc2 60 TXT \"2\"\nc3 60 TXT \"3\"" },
	{ .what = "max-records: deleting makes room", .key = "capped",
	  .state = "capped:0 c1 60 TXT \"1\"\ncapped:0 c2 60 TXT \"2\"\ncapped:0 c3 60 TXT \"3\"",
	  .upd = "c1 0 ANY TXT\nc4 60 TXT \"4\"", .changes = "-c1 60 TXT \"1\"\n+c4 60 TXT \"4\"" },
	{ .what = "max-records: other keys' records do not count", .key = "capped",
	  .state = "k1:0 o1 60 TXT \"1\"\nk1:0 o2 60 TXT \"2\"\nk1:0 o3 60 TXT \"3\"",
	  .upd = "c1 60 TXT \"1\"", .changes = "+c1 60 TXT \"1\"" },
	{ .what = "max-records: no cap for other keys", .key = "k1",
	  .upd = "a 60 A 10.0.0.1\nb 60 A 10.0.0.1\nc 60 A 10.0.0.1\nd 60 A 10.0.0.1",
	  .changes = "+a 60 A 10.0.0.1\n+b 60 A 10.0.0.1\n+c 60 A 10.0.0.1\n+d 60 A 10.0.0.1" },
};

static void
test_process(void **state)
{
	(void)state;
	RUN(PROC, process_cases);
}

/* ---- the composition: zone section and the phases in order ---- */

static const struct ucase apply_cases[] = {
	/* 3.1.1: the zone section */
	{ .what = "zone section: none", .zsec = "", .upd = "new 300 A 10.0.0.1",
	  .rcode = RCODE_FORMERR },
	{ .what = "zone section: not type SOA", .zsec = ORIGIN ". IN A",
	  .upd = "new 300 A 10.0.0.1", .rcode = RCODE_FORMERR },
	{ .what = "zone section: not the apex", .zsec = "www." ORIGIN ". IN SOA",
	  .upd = "new 300 A 10.0.0.1", .rcode = RCODE_NOTAUTH },
	{ .what = "zone section: a zone we do not serve", .zsec = "example.org. IN SOA",
	  .upd = "new 300 A 10.0.0.1", .rcode = RCODE_NOTAUTH },
	{ .what = "zone section: class CH", .zsec = ORIGIN ". CH SOA",
	  .upd = "new 300 A 10.0.0.1", .rcode = RCODE_NOTAUTH },
	{ .what = "zone section: the apex in capitals", .zsec = "Z.TEST. IN SOA",
	  .upd = "new 300 A 10.0.0.1", .changes = "+new 300 A 10.0.0.1" },
	/* each phase can stop it, and then nothing is applied */
	{ .what = "all phases pass", .pre = "www 0 IN A 192.0.2.80",
	  .upd = "www 0 ANY A\nwww 300 A 10.0.0.80",
	  .changes = "-www 3600 A 192.0.2.80\n+www 300 A 10.0.0.80" },
	{ .what = "a prerequisite fails", .pre = "www 0 IN A 192.0.2.81",
	  .upd = "new 300 A 10.0.0.1", .rcode = RCODE_NXRRSET },
	{ .what = "the prescan fails after a good RR",
	  .upd = "new 300 A 10.0.0.1\nnew.example.org. 300 A 10.0.0.1", .rcode = RCODE_NOTZONE },
	{ .what = "the policy refuses the second RR", .settings = "grant k1 name new A",
	  .key = "k1", .upd = "new 300 A 10.0.0.1\nwww 0 ANY ANY", .rcode = RCODE_REFUSED },
	{ .what = "over the key's cap: nothing applied", .key = "capped",
	  .upd = "c1 60 TXT \"1\"\nc2 60 TXT \"2\"\nc3 60 TXT \"3\"\nc4 60 TXT \"4\"",
	  .rcode = RCODE_REFUSED },
	{ .what = "a prerequisite on a name the update adds", .pre = "new 0 NONE ANY",
	  .upd = "new 300 A 10.0.0.1", .changes = "+new 300 A 10.0.0.1" },
	{ .what = "a lease with the whole update", .settings = "max-lease 3600",
	  .key = "k1", .lease = "60", .pre = "new 0 NONE ANY",
	  .upd = "new 300 A 10.0.0.1\nnew 300 TXT x",
	  .changes = "+new 300 A 10.0.0.1 ; expires +61\n+new 300 TXT \"x\" ; expires +61",
	  .granted = 60 },
	{ .what = "an empty update", },
};

static void
test_apply(void **state)
{
	(void)state;
	RUN(ALL, apply_cases);
}

/* ---- the fixture itself ---- */

static void
test_fixture(void **state)
{
	(void)state;
	/* The dump the cases start from: the zone file and the live dynamic
	 * records, nothing expired. */
	struct testzone tz;
	struct testzone_src src = { ORIGIN, zone_text };
	assert_int_equal(testzone_open_conf(&tz, keys_conf, NULL, &src, 1, NOW), 0);
	add_state(&tz, dyn_state, "fixture");
	char *d = testzone_dump(&tz, NULL, ORIGIN, NOW);
	assert_non_null(d);
	assert_string_equal(d,
	    "@ 3600 NS ns.z.test.\n"
	    "@ 3600 NS ns2.z.test.\n"
	    "@ 3600 SOA ns.z.test. hostmaster.z.test. 1 3600 600 86400 60\n"
	    "a.ent 3600 A 192.0.2.9\n"
	    "alias 3600 CNAME www.z.test.\n"
	    "lab 3600 NS ns.lab.z.test.\n"
	    "ns 3600 A 192.0.2.1\n"
	    "ns.lab 3600 A 192.0.2.53\n"
	    "ns2 3600 A 192.0.2.2\n"
	    "www 3600 A 192.0.2.80\n"
	    "www 3600 TXT \"web\"\n"
	    "x.stale 60 TXT \"child\" ; expires +100\n");
	free(d);
	/* A second earlier, the expired records were live. */
	d = testzone_dump(&tz, NULL, ORIGIN, NOW - 2);
	assert_non_null(d);
	assert_non_null(strstr(d, "gone 60 A 10.0.0.66 ; expires +1\n"));
	assert_non_null(strstr(d, "oldalias 60 CNAME www.z.test. ; expires +1\n"));
	free(d);
	testzone_close(&tz);
	/* apply_changes finds whole lines only. */
	char *s = apply_changes("a 1 A 1\nba 1 A 1\n", "-a 1 A 1");
	assert_string_equal(s, "ba 1 A 1\n");
	free(s);
	assert_null(apply_changes("ba 1 A 1\n", "-a 1 A 1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_prereqs),
		cmocka_unit_test(test_precheck),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_apply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
