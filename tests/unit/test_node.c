/* test_node.c -- node values: encode/decode, merge rules, leases and TTLs,
 * SOA helpers, corrupt values */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/node.h"
#include "util/err.h"
#include "wire/wire.h"

#define NOW 1700000000u

static const uint8_t A1[] = { 10, 0, 0, 5 };
static const uint8_t A2[] = { 10, 0, 0, 6 };
static const uint8_t AAAA1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };

/* Encode an edit into a fresh buffer; *len gets the length. */
static uint8_t *
encode(struct node_edit *e, size_t *len)
{
	size_t sz = node_edit_size(e);
	uint8_t *b = malloc(sz ? sz : 1);
	assert_non_null(b);
	*len = node_edit_encode(e, b);
	assert_true(*len <= sz);
	return b;
}

/* The one record of `type` in a value (the test fails if absent). */
static struct node_rr
one_rr(const uint8_t *val, size_t len, uint16_t type)
{
	struct node_rrset set;
	struct node_rr_it it;
	struct node_rr rr;
	assert_true(node_rrset_find(val, len, type, &set));
	assert_int_equal(set.count, 1);
	node_rr_it_init(&it, &set);
	assert_true(node_rr_next(&it, &rr));
	assert_false(node_rr_next(&it, &rr));
	return rr;
}

static void
test_header_example(void **state)
{
	(void)state;
	/* The example from node.h, byte for byte. */
	struct node_edit e;
	size_t len;
	node_edit_init(&e);
	assert_int_equal(node_edit_add(&e, RR_A, 60, 0, 0, 0, A1, 4), 1);
	uint8_t *b = encode(&e, &len);
	const uint8_t want[] = { 0, 1, 0, 1, 0, 0, 0, 0x3c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4,
		10, 0, 0, 5 };
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	free(b);
	node_edit_free(&e);
}

static void
test_round_trip(void **state)
{
	(void)state;
	struct node_edit e, back;
	size_t len, len2;
	uint8_t txt[] = { 5, 'h', 'e', 'l', 'l', 'o' };
	uint8_t big[1000];
	memset(big, 0xab, sizeof(big));

	node_edit_init(&e);
	/* Added out of type order. */
	assert_int_equal(node_edit_add(&e, RR_TXT, 300, 0, 0, 0, txt, sizeof(txt)), 1);
	assert_int_equal(node_edit_add(&e, RR_A, 60, NOW + 100, 0, NODE_RR_DYNAMIC, A2, 4), 1);
	assert_int_equal(node_edit_add(&e, RR_AAAA, 61, 0, 0, 0, AAAA1, 16), 1);
	assert_int_equal(node_edit_add(&e, RR_A, 62, 0, 0, 0, A1, 4), 1);
	assert_int_equal(node_edit_add(&e, 65280, 63, 0, 0, 0, big, sizeof(big)), 1);
	assert_int_equal(node_edit_add(&e, 65281, 64, 0, 0, 0, NULL, 0), 1); /* empty RDATA */
	assert_int_equal(e.n, 6);
	uint8_t *b = encode(&e, &len);

	/* Sets come out sorted by type, each type once. */
	struct node_it it;
	struct node_rrset set;
	const uint16_t types[] = { RR_A, RR_TXT, RR_AAAA, 65280, 65281 };
	const uint16_t counts[] = { 2, 1, 1, 1, 1 };
	size_t i = 0;
	node_it_init(&it, b, len);
	while (node_it_next(&it, &set)) {
		assert_true(i < 5);
		assert_int_equal(set.type, types[i]);
		assert_int_equal(set.count, counts[i]);
		i++;
	}
	assert_int_equal(it.err, 0);
	assert_int_equal(i, 5);

	/* Every field survives. */
	struct node_rrset as;
	struct node_rr_it ri;
	struct node_rr rr;
	assert_true(node_rrset_find(b, len, RR_A, &as));
	node_rr_it_init(&ri, &as);
	bool seen1 = false, seen2 = false;
	while (node_rr_next(&ri, &rr)) {
		assert_int_equal(rr.rdlen, 4);
		if (memcmp(rr.rdata, A1, 4) == 0) {
			assert_int_equal(rr.ttl, 62);
			assert_int_equal(rr.expire, 0);
			assert_int_equal(rr.flags, 0);
			seen1 = true;
		} else {
			assert_memory_equal(rr.rdata, A2, 4);
			assert_int_equal(rr.ttl, 60);
			assert_int_equal(rr.expire, NOW + 100);
			assert_int_equal(rr.flags, NODE_RR_DYNAMIC);
			seen2 = true;
		}
	}
	assert_true(seen1 && seen2);
	rr = one_rr(b, len, 65280);
	assert_int_equal(rr.rdlen, sizeof(big));
	assert_memory_equal(rr.rdata, big, sizeof(big));
	rr = one_rr(b, len, 65281);
	assert_int_equal(rr.rdlen, 0);
	assert_int_equal(rr.ttl, 64);
	assert_false(node_rrset_find(b, len, RR_MX, &set));
	assert_false(node_rrset_find(b, len, 65535, &set));

	/* Load and encode again: the same bytes, whatever the add order. */
	node_edit_init(&back);
	assert_int_equal(node_edit_load(&back, b, len), 0);
	assert_int_equal(back.n, 6);
	uint8_t *b2 = encode(&back, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(b2, b, len);

	/* Removing records. */
	long at = node_edit_find(&back, RR_A, A1, 4);
	assert_true(at >= 0);
	node_edit_remove(&back, (size_t)at);
	assert_int_equal(node_edit_find(&back, RR_A, A1, 4), -1);
	assert_true(node_edit_find(&back, RR_A, A2, 4) >= 0);
	assert_int_equal(back.n, 5);

	/* An empty edit encodes to nothing. */
	node_edit_clear(&back);
	assert_int_equal(back.n, 0);
	assert_int_equal(node_edit_encode(&back, b2), 0);

	free(b);
	free(b2);
	node_edit_free(&e);
	node_edit_free(&back);
	node_edit_free(NULL);
}

static void
test_merge_duplicates(void **state)
{
	(void)state;
	struct node_edit e;
	node_edit_init(&e);
	assert_int_equal(node_edit_add(&e, RR_A, 60, 0, 0, 0, A1, 4), 1);
	assert_int_equal(node_edit_add(&e, RR_A, 120, 0, 0, 0, A1, 4), 0); /* merged */
	assert_int_equal(e.n, 1);
	assert_int_equal(e.recs[0].ttl, 120); /* the TTL is replaced */
	assert_int_equal(node_edit_add(&e, RR_A, 120, 0, 0, 0, A2, 4), 1);
	/* Same RDATA, other type: a different record. */
	assert_int_equal(node_edit_add(&e, 65280, 120, 0, 0, 0, A1, 4), 1);
	assert_int_equal(e.n, 3);

	/* Names in RFC 1035 RDATA compare case-insensitively... */
	const uint8_t cn1[] = "\x03" "Web" "\x04" "TEST";
	const uint8_t cn2[] = "\x03" "web" "\x04" "test";
	assert_int_equal(node_edit_add(&e, RR_CNAME, 60, 0, 0, 0, cn1, sizeof(cn1)), 1);
	assert_int_equal(node_edit_add(&e, RR_CNAME, 60, 0, 0, 0, cn2, sizeof(cn2)), 0);
	/* ...TXT does not. */
	const uint8_t t1[] = "\x03" "ABC", t2[] = "\x03" "abc";
	assert_int_equal(node_edit_add(&e, RR_TXT, 60, 0, 0, 0, t1, 4), 1);
	assert_int_equal(node_edit_add(&e, RR_TXT, 60, 0, 0, 0, t2, 4), 1);
	assert_int_equal(e.n, 6);
	node_edit_free(&e);
}

static void
test_rdata_equal(void **state)
{
	(void)state;
	/* SRV targets compare like names; priority, weight and port are
	 * numbers: 0x41 ('A') and 0x61 ('a') are different ports. */
	const uint8_t s1[] = "\x00\x0a\x00\x05\x41\x00" "\x03" "WEB" "\x00";
	const uint8_t s2[] = "\x00\x0a\x00\x05\x41\x00" "\x03" "web" "\x00";
	const uint8_t s3[] = "\x00\x0a\x00\x05\x61\x00" "\x03" "web" "\x00";
	const uint8_t s4[] = "\x00\x4a\x00\x05\x41\x00" "\x03" "web" "\x00";
	const uint8_t s5[] = "\x00\x6a\x00\x05\x41\x00" "\x03" "web" "\x00";
	assert_true(node_rdata_equal(RR_SRV, s1, sizeof(s1) - 1, s2, sizeof(s2) - 1));
	assert_false(node_rdata_equal(RR_SRV, s2, sizeof(s2) - 1, s3, sizeof(s3) - 1));
	assert_false(node_rdata_equal(RR_SRV, s4, sizeof(s4) - 1, s5, sizeof(s5) - 1));

	/* MX preference 65 vs 97. */
	const uint8_t m1[] = "\x00\x41" "\x04" "mail" "\x00";
	const uint8_t m2[] = "\x00\x61" "\x04" "MAIL" "\x00";
	const uint8_t m3[] = "\x00\x41" "\x04" "MAIL" "\x00";
	assert_false(node_rdata_equal(RR_MX, m1, sizeof(m1) - 1, m2, sizeof(m2) - 1));
	assert_true(node_rdata_equal(RR_MX, m1, sizeof(m1) - 1, m3, sizeof(m3) - 1));

	/* SOA: names case-insensitive, the numbers exactly. */
	uint8_t soa1[64], soa2[64];
	size_t o = 0;
	memcpy(soa1, "\x02" "NS" "\x00" "\x02" "hm" "\x00", 8);
	o = 8;
	for (int i = 0; i < 20; i++)
		soa1[o + i] = (uint8_t)('A' + i);
	o += 20;
	memcpy(soa2, soa1, o);
	soa2[1] = 'n';
	soa2[2] = 's';
	assert_true(node_rdata_equal(RR_SOA, soa1, (uint16_t)o, soa2, (uint16_t)o));
	soa2[8 + 3] = 'a' + 3; /* serial byte 'D' -> 'd' */
	assert_false(node_rdata_equal(RR_SOA, soa1, (uint16_t)o, soa2, (uint16_t)o));

	/* Different lengths are never equal; opaque types byte for byte. */
	assert_false(node_rdata_equal(RR_A, A1, 4, A1, 3));
	const uint8_t u1[] = "AB", u2[] = "ab";
	assert_false(node_rdata_equal(65280, u1, 2, u2, 2));
	assert_true(node_rdata_equal(65280, u1, 2, u1, 2));

	/* Through node_edit_add: two MX records that differ only in a
	 * preference that looks like a letter stay two records. */
	struct node_edit e;
	node_edit_init(&e);
	assert_int_equal(node_edit_add(&e, RR_MX, 60, 0, 0, 0, m1, sizeof(m1) - 1), 1);
	assert_int_equal(node_edit_add(&e, RR_MX, 60, 0, 0, 0, m2, sizeof(m2) - 1), 1);
	assert_int_equal(node_edit_add(&e, RR_SRV, 60, 0, 0, 0, s2, sizeof(s2) - 1), 1);
	assert_int_equal(node_edit_add(&e, RR_SRV, 60, 0, 0, 0, s3, sizeof(s3) - 1), 1);
	assert_int_equal(node_edit_add(&e, RR_SRV, 60, 0, 0, 0, s1, sizeof(s1) - 1), 0);
	assert_int_equal(e.n, 4);
	node_edit_free(&e);
}

static void
test_merge_dynamic_expiry(void **state)
{
	(void)state;
	struct node_edit e;
	node_edit_init(&e);
	const uint8_t D = NODE_RR_DYNAMIC;

	/* Registrations by two keys: the longer lease wins, both ways. */
	assert_int_equal(node_edit_add(&e, RR_PTR, 60, NOW + 100, 7, D, A1, 4), 1);
	assert_int_equal(node_edit_add(&e, RR_PTR, 30, NOW + 200, 8, D, A1, 4), 0);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.recs[0].expire, NOW + 200);
	assert_int_equal(e.recs[0].ttl, 30);
	assert_int_equal(node_edit_add(&e, RR_PTR, 60, NOW + 150, 7, D, A1, 4), 0);
	assert_int_equal(e.recs[0].expire, NOW + 200); /* shorter: kept */
	assert_int_equal(e.recs[0].flags, D);
	/* A permanent dynamic record (lease 0) outlives every finite lease. */
	assert_int_equal(node_edit_add(&e, RR_PTR, 60, 0, 7, D, A1, 4), 0);
	assert_int_equal(e.recs[0].expire, 0);
	assert_int_equal(node_edit_add(&e, RR_PTR, 60, NOW + 500, 8, D, A1, 4), 0);
	assert_int_equal(e.recs[0].expire, 0);
	/* The same key's renewal sets its lease, shorter or longer (issue:
	 * "a renewal sets the lease to what it asks for"). */
	node_edit_clear(&e);
	assert_int_equal(node_edit_add(&e, RR_PTR, 60, NOW + 500, 7, D, A1, 4), 1);
	assert_int_equal(node_edit_add(&e, RR_PTR, 60, NOW + 10, 7, D, A1, 4), 0);
	assert_int_equal(e.recs[0].expire, NOW + 10);
	assert_int_equal(node_edit_add(&e, RR_PTR, 60, NOW + 900, 7, D, A1, 4), 0);
	assert_int_equal(e.recs[0].expire, NOW + 900);

	/* Static first, then a dynamic copy: it stays static, never expires. */
	node_edit_clear(&e);
	assert_int_equal(node_edit_add(&e, RR_A, 60, 0, 0, 0, A1, 4), 1);
	assert_int_equal(node_edit_add(&e, RR_A, 60, NOW + 10, 0, D, A1, 4), 0);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.recs[0].expire, 0);
	assert_int_equal(e.recs[0].flags & D, 0);

	/* Dynamic first, then the zone file has it: it becomes static. */
	node_edit_clear(&e);
	assert_int_equal(node_edit_add(&e, RR_A, 60, NOW + 10, 0, D, A2, 4), 1);
	assert_int_equal(node_edit_add(&e, RR_A, 60, 0, 0, 0, A2, 4), 0);
	assert_int_equal(e.recs[0].expire, 0);
	assert_int_equal(e.recs[0].flags & D, 0);
	/* A static record given an expiry by mistake still never expires. */
	assert_int_equal(node_edit_add(&e, RR_A, 60, NOW + 10, 0, 0, A2, 4), 0);
	assert_int_equal(e.recs[0].expire, 0);
	node_edit_free(&e);
}

/* What a node serves at second t: for every record, 0 if it is gone, else
 * its TTL + 1. Returns the number of records. */
static size_t
served(const uint8_t *val, size_t len, uint32_t t, uint32_t *out, size_t max)
{
	struct node_all_it a;
	struct node_rr rr;
	uint16_t type;
	size_t n = 0;
	node_all_init(&a, val, len);
	while (node_all_next(&a, &type, &rr) && n < max)
		out[n++] = node_rr_live(&rr, t) ? node_rr_ttl(&rr, t) + 1 : 0;
	return n;
}

/* node_stable_until: nothing a node serves changes before it, and
 * something does at it (unless nothing ever does). */
static void
check_stable(const uint8_t *val, size_t len, uint32_t want)
{
	uint32_t until = node_stable_until(val, len, NOW), at_now[8], at_t[8];
	assert_int_equal(until, want);
	size_t n = served(val, len, NOW, at_now, 8);
	uint32_t last = until == UINT32_MAX ? NOW + 3000 : until - 1;
	for (uint32_t t = NOW + 1; t <= last; t++) {
		assert_int_equal(served(val, len, t, at_t, 8), n);
		assert_memory_equal(at_t, at_now, n * sizeof(at_now[0]));
	}
	if (until != UINT32_MAX) {
		served(val, len, until, at_t, 8);
		assert_memory_not_equal(at_t, at_now, n * sizeof(at_now[0]));
	}
}

static void
test_stable_until(void **state)
{
	(void)state;
	struct node_edit e;
	size_t len;
	uint8_t *b;

	/* Static records never change with time. */
	node_edit_init(&e);
	node_edit_add(&e, RR_A, 60, 0, 0, 0, A1, 4);
	node_edit_add(&e, RR_AAAA, 60, 0, 0, 0, AAAA1, 16);
	b = encode(&e, &len);
	check_stable(b, len, UINT32_MAX);
	free(b);

	/* A lease far off: the TTL starts to shrink TTL seconds before it
	 * ends. An expired record stays expired and does not count. */
	node_edit_add(&e, RR_A, 60, NOW + 1000, 0, NODE_RR_DYNAMIC, A2, 4);
	node_edit_add(&e, RR_TXT, 60, NOW - 5, 0, NODE_RR_DYNAMIC, (const uint8_t *)"\x01x", 2);
	b = encode(&e, &len);
	check_stable(b, len, NOW + 940);
	free(b);

	/* A lease already shorter than its TTL: next second is different. */
	node_edit_clear(&e);
	node_edit_add(&e, RR_A, 60, 0, 0, 0, A1, 4);
	node_edit_add(&e, RR_TXT, 300, NOW + 200, 0, NODE_RR_DYNAMIC, (const uint8_t *)"\x01y", 2);
	b = encode(&e, &len);
	check_stable(b, len, NOW + 1);
	free(b);

	/* A lease with TTL 0 ends (and changes) exactly at its expiry. */
	node_edit_clear(&e);
	node_edit_add(&e, RR_A, 0, NOW + 30, 0, NODE_RR_DYNAMIC, A1, 4);
	b = encode(&e, &len);
	check_stable(b, len, NOW + 30);
	free(b);
	node_edit_free(&e);
}

static void
test_live_and_ttl(void **state)
{
	(void)state;
	struct node_rr rr = { .ttl = 300, .expire = 0 };
	assert_true(node_rr_live(&rr, NOW));
	assert_int_equal(node_rr_ttl(&rr, NOW), 300);

	rr.expire = NOW + 1000; /* lease longer than the TTL */
	assert_true(node_rr_live(&rr, NOW));
	assert_int_equal(node_rr_ttl(&rr, NOW), 300);
	/* Lease shorter than the TTL: at whole second NOW less than
	 * expire - NOW seconds may be left, so the TTL is one less. */
	rr.expire = NOW + 100;
	assert_int_equal(node_rr_ttl(&rr, NOW), 99);
	assert_int_equal(node_rr_ttl(&rr, NOW + 98), 1);
	rr.expire = NOW + 301;
	assert_int_equal(node_rr_ttl(&rr, NOW), 300);
	rr.expire = NOW + 1; /* the last second: served, but not to be cached */
	assert_true(node_rr_live(&rr, NOW));
	assert_int_equal(node_rr_ttl(&rr, NOW), 0);
	rr.expire = NOW; /* expired at that very second */
	assert_false(node_rr_live(&rr, NOW));
	rr.expire = NOW - 5;
	assert_false(node_rr_live(&rr, NOW));

	/* Whole sets and nodes. */
	struct node_edit e;
	size_t len;
	node_edit_init(&e);
	node_edit_add(&e, RR_A, 60, NOW + 10, 0, NODE_RR_DYNAMIC, A1, 4);
	node_edit_add(&e, RR_A, 60, NOW + 20, 0, NODE_RR_DYNAMIC, A2, 4);
	node_edit_add(&e, RR_TXT, 60, NOW + 5, 0, NODE_RR_DYNAMIC, (const uint8_t *)"\x01x", 2);
	uint8_t *b = encode(&e, &len);
	struct node_rrset a, t;
	assert_true(node_rrset_find(b, len, RR_A, &a));
	assert_true(node_rrset_find(b, len, RR_TXT, &t));
	assert_true(node_rrset_live(&a, NOW + 15)); /* one of two still live */
	assert_false(node_rrset_live(&a, NOW + 20));
	assert_false(node_rrset_live(&t, NOW + 5));
	assert_true(node_has_live(b, len, NOW + 19));
	assert_false(node_has_live(b, len, NOW + 20));
	assert_false(node_has_live(b, 0, NOW)); /* an empty node */
	free(b);

	/* A static record makes the node live forever. */
	node_edit_add(&e, RR_AAAA, 60, 0, 0, 0, AAAA1, 16);
	b = encode(&e, &len);
	assert_true(node_has_live(b, len, NOW + 1000000));
	free(b);
	node_edit_free(&e);
}

static void
test_soa_helpers(void **state)
{
	(void)state;
	uint8_t soa[128];
	size_t o = 0;
	memcpy(soa, "\x03" "ns1" "\x04" "test" "\x00", 10);
	o = 10;
	memcpy(soa + o, "\x02" "hm" "\x00", 4);
	o += 4;
	const uint32_t vals[5] = { 2026113001u, 3600, 600, 1209600, 60 };
	for (int i = 0; i < 5; i++, o += 4)
		wire_put32(soa + o, vals[i]);
	assert_int_equal(node_soa_serial(soa, (uint16_t)o), 2026113001u);
	assert_int_equal(node_soa_minimum(soa, (uint16_t)o), 60);
	node_soa_set_serial(soa, (uint16_t)o, 0xfffffffeu);
	assert_int_equal(node_soa_serial(soa, (uint16_t)o), 0xfffffffeu);
	assert_int_equal(node_soa_minimum(soa, (uint16_t)o), 60); /* untouched */
	assert_int_equal(wire_get32(soa + 14 + 4), 3600);

	/* Malformed SOA RDATA: 0 and no write. */
	uint8_t copy[128];
	memcpy(copy, soa, o);
	assert_int_equal(node_soa_serial(soa, (uint16_t)(o - 1)), 0);
	assert_int_equal(node_soa_minimum(soa, (uint16_t)(o + 1)), 0);
	node_soa_set_serial(soa, (uint16_t)(o - 1), 7);
	assert_memory_equal(soa, copy, o);
	uint8_t bad[30] = { 0x40 };
	assert_int_equal(node_soa_serial(bad, sizeof(bad)), 0);
	assert_int_equal(node_soa_serial(bad, 0), 0);
}

static void
test_corrupt_values(void **state)
{
	(void)state;
	struct node_edit e;
	size_t len;
	node_edit_init(&e);
	node_edit_add(&e, RR_A, 60, 0, 0, 0, A1, 4);
	node_edit_add(&e, RR_A, 60, 0, 0, 0, A2, 4);
	node_edit_add(&e, RR_TXT, 60, 0, 0, 0, (const uint8_t *)"\x01x", 2);
	uint8_t *good = encode(&e, &len);
	node_edit_free(&e);

	struct node_it it;
	struct node_rrset set;
	/* Every truncation of a good value is rejected, never overrun. */
	for (size_t cut = 1; cut < len; cut++) {
		uint8_t *b = malloc(cut); /* exact size, so ASan sees any overrun */
		assert_non_null(b);
		memcpy(b, good, cut);
		node_it_init(&it, b, cut);
		unsigned sets = 0;
		while (node_it_next(&it, &set))
			sets++;
		/* Cutting exactly between two sets leaves a shorter valid node. */
		bool boundary = cut == 4 + 2 * (NODE_RR_HDR + 4);
		if (boundary) {
			assert_int_equal(it.err, 0);
			assert_int_equal(sets, 1);
		} else {
			assert_int_equal(it.err, DNSD_EMALF);
		}
		struct node_edit l;
		node_edit_init(&l);
		assert_int_equal(node_edit_load(&l, b, cut) == 0, boundary);
		node_edit_free(&l);
		(void)node_has_live(b, cut, NOW);
		free(b);
	}

	/* A count larger than the records present. */
	uint8_t b[64];
	memcpy(b, good, len);
	wire_put16(b + 2, 3);
	node_it_init(&it, b, 4 + 2 * (NODE_RR_HDR + 4));
	assert_false(node_it_next(&it, &set));
	assert_int_equal(it.err, DNSD_EMALF);
	/* The error is sticky. */
	assert_false(node_it_next(&it, &set));

	/* An RDLENGTH past the end. */
	memcpy(b, good, len);
	wire_put16(b + 4 + NODE_RR_HDR - 2, 200);
	node_it_init(&it, b, len);
	assert_false(node_it_next(&it, &set));
	assert_int_equal(it.err, DNSD_EMALF);
	assert_false(node_has_live(b, len, NOW));
	struct node_rrset found;
	assert_false(node_rrset_find(b, len, RR_TXT, &found));
	free(good);
}

static void
test_owner(void **state)
{
	(void)state;
	uint8_t k1[] = "\x04" "Reg1" "\x00", k1l[] = "\x04" "reg1" "\x00", k2[] = "\x04" "reg2" "\x00";
	uint32_t t1 = node_owner_tag(k1);
	assert_int_equal(t1, node_owner_tag(k1l)); /* case-insensitive */
	assert_int_not_equal(t1, node_owner_tag(k2));
	assert_int_not_equal(t1, 0);

	/* The tag survives encode and load. */
	struct node_edit e, back;
	size_t len;
	node_edit_init(&e);
	node_edit_init(&back);
	assert_int_equal(node_edit_add(&e, RR_A, 60, NOW + 9, t1, NODE_RR_DYNAMIC, A1, 4), 1);
	uint8_t *b = encode(&e, &len);
	struct node_rr rr = one_rr(b, len, RR_A);
	assert_int_equal(rr.owner, t1);
	assert_int_equal(rr.flags, NODE_RR_DYNAMIC);
	assert_int_equal(rr.expire, NOW + 9);
	assert_int_equal(node_edit_load(&back, b, len), 0);
	assert_int_equal(back.recs[0].owner, t1);
	free(b);

	/* The zone file taking over a record clears its owner. */
	assert_int_equal(node_edit_add(&e, RR_A, 60, 0, 0, 0, A1, 4), 0);
	assert_int_equal(e.recs[0].owner, 0);
	node_edit_free(&e);
	node_edit_free(&back);
}

/* Linear reference for node_edit_find. */
static long
find_slow(const struct node_edit *e, uint16_t type, const uint8_t *rd, uint16_t len)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->recs[i].type == type &&
		    node_rdata_equal(type, e->recs[i].rdata, e->recs[i].rdlen, rd, len))
			return (long)i;
	return -1;
}

static size_t
count_slow(const struct node_edit *e, uint16_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < e->n; i++)
		n += e->recs[i].type == type;
	return n;
}

/* A large edit: random adds and removes, of A records and of CNAME-like
 * names in any case, checked against a linear search after each step;
 * the index survives growth, removal (the last record moves), a sort by
 * encode and a merge; counts and TTLs per type follow. */
static void
test_edit_index(void **state)
{
	(void)state;
	struct node_edit e;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	node_edit_init(&e);
	for (int step = 0; step < 20000; step++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		uint8_t a[4] = { 10, 0, (uint8_t)(rng >> 8 & 7), (uint8_t)(rng >> 16) };
		/* a name: "\x03hXY\0" with letters in either case */
		uint8_t nm[6] = { 3, (rng >> 24 & 1) ? 'H' : 'h', (uint8_t)('a' + (rng >> 25) % 4),
			(uint8_t)('a' + (rng >> 27) % 4), 0 };
		bool isname = (rng >> 40 & 3) == 0;
		uint16_t type = isname ? RR_NS : RR_A;
		const uint8_t *rd = isname ? nm : a;
		uint16_t len = isname ? 5 : 4;
		long want = find_slow(&e, type, rd, len);
		long got = node_edit_find(&e, type, rd, len);
		assert_int_equal(got >= 0, want >= 0);
		if (got >= 0)
			assert_true(node_rdata_equal(type, e.recs[got].rdata, e.recs[got].rdlen, rd, len));
		if ((rng >> 32 & 3) == 0 && got >= 0)
			node_edit_remove(&e, (size_t)got);
		else
			assert_true(node_edit_add(&e, type, 300 + (uint32_t)(rng >> 60), 0, 0, 0, rd, len) >= 0);
		if (step % 997 == 0) {
			size_t sz = node_edit_size(&e);
			uint8_t *buf = malloc(sz ? sz : 1);
			assert_non_null(buf);
			node_edit_encode(&e, buf); /* sorts: the index is made again */
			free(buf);
		}
		if (step % 4999 == 0)
			node_edit_merge(&e);
		assert_int_equal(node_edit_count(&e, RR_A), count_slow(&e, RR_A));
		assert_int_equal(node_edit_count(&e, RR_NS), count_slow(&e, RR_NS));
		assert_int_equal(node_edit_count(&e, RR_ANY), e.n);
	}
	assert_true(e.n > NODE_EDIT_INDEX_MIN); /* the index was used */
	/* set_ttl: all records of the type get it; a second call changes nothing */
	node_edit_set_ttl(&e, RR_A, 77);
	for (size_t i = 0; i < e.n; i++)
		if (e.recs[i].type == RR_A)
			assert_int_equal(e.recs[i].ttl, 77);
	assert_false(node_edit_set_ttl(&e, RR_A, 77));
	/* one record re-added with another TTL: the type is mixed again */
	long i = -1;
	for (size_t j = 0; j < e.n && i < 0; j++)
		if (e.recs[j].type == RR_A)
			i = (long)j;
	assert_true(i >= 0);
	uint8_t rd[4];
	memcpy(rd, e.recs[i].rdata, 4);
	assert_int_equal(node_edit_add(&e, RR_A, 99, 0, 0, 0, rd, 4), 0);
	assert_true(node_edit_set_ttl(&e, RR_A, 77));
	assert_int_equal(e.recs[node_edit_find(&e, RR_A, rd, 4)].ttl, 77);
	/* more types than the table holds: counts still right */
	for (uint16_t t = 1000; t < 1000 + NODE_EDIT_TYPES + 4; t++)
		assert_int_equal(node_edit_add(&e, t, 60, 0, 0, 0, rd, 4), 1);
	assert_int_equal(node_edit_count(&e, 1003), 1);
	assert_int_equal(node_edit_count(&e, RR_A), count_slow(&e, RR_A));
	assert_true(node_edit_set_ttl(&e, 1003, 61));
	/* A record changed in place without node_edit_touch: removing it
	 * drops the index instead of hanging, and finds stay right. */
	long j = node_edit_find(&e, RR_A, rd, 4);
	assert_true(j >= 0);
	e.recs[j].rdata[0] ^= 0x80;
	uint8_t moved[4];
	memcpy(moved, e.recs[j].rdata, 4);
	size_t before = e.n;
	node_edit_remove(&e, (size_t)j);
	assert_int_equal(e.n, before - 1);
	assert_true(node_edit_find(&e, RR_A, moved, 4) < 0);
	assert_int_equal(node_edit_count(&e, RR_A), count_slow(&e, RR_A));
	node_edit_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_example),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_merge_duplicates),
		cmocka_unit_test(test_rdata_equal),
		cmocka_unit_test(test_merge_dynamic_expiry),
		cmocka_unit_test(test_live_and_ttl),
		cmocka_unit_test(test_stable_until),
		cmocka_unit_test(test_soa_helpers),
		cmocka_unit_test(test_corrupt_values),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_edit_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
