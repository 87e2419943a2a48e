/* test_store.c -- the LMDB store: key order, node lookup (answer, ENT,
 * NXDOMAIN), delegation and expiry indexes, zones, iteration, durability,
 * node load/save and the walks over key prefixes.
 * Every test gets a fresh store in its own mkdtemp folder. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "node/node.h"
#include "store/store.h"
#include "testzone.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"

#define NOW 1700000000u

struct fx {
	char dir[64];
	struct store *s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	if (testdir_make(f->dir, sizeof(f->dir), "dnsd-test-store") != 0 ||
	    store_open(&f->s, f->dir, 64ULL << 20) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->s);
	testdir_remove(f->dir);
	free(f);
	return 0;
}

static size_t
wname(const char *s, uint8_t *out)
{
	size_t n = wire_name_from_str(s, out);
	assert_true(n > 0);
	return n;
}

/* The key of `name` in zone `id` with apex `apex`. */
static void
key_of(struct store_key *k, uint32_t id, const char *name, const char *apex)
{
	uint8_t n[WIRE_NAME_MAX], a[WIRE_NAME_MAX];
	wname(name, n);
	wname(apex, a);
	assert_int_equal(store_key_make(k, id, n, wire_name_labels(a)), 0);
}

/* Write a node holding one record. */
static void
put_rr(struct store_txn *t, const struct store_key *k, uint16_t type, const void *rd,
    uint16_t rdlen, uint32_t expire, uint32_t owner)
{
	struct node_edit e;
	node_edit_init(&e);
	assert_int_equal(node_edit_add(&e, type, 60, expire, owner,
	                     expire || owner ? NODE_RR_DYNAMIC : 0, rd, rdlen), 1);
	uint8_t *b = malloc(node_edit_size(&e));
	assert_non_null(b);
	size_t len = node_edit_encode(&e, b);
	assert_int_equal(store_node_put(t, k, b, len), 0);
	free(b);
	node_edit_free(&e);
}

static const uint8_t A1[4] = { 192, 0, 2, 1 };

static void
put_a(struct store_txn *t, uint32_t id, const char *name, const char *apex)
{
	struct store_key k;
	key_of(&k, id, name, apex);
	put_rr(t, &k, RR_A, A1, 4, 0, 0);
}

/* ---- keys ---- */

static void
test_key_example(void **state)
{
	(void)state;
	/* The example in store.h. */
	struct store_key k;
	key_of(&k, 7, "www.Svc.example.test", "example.test");
	const uint8_t want[] = { 0, 0, 0, 7, 's', 'v', 'c', 0, 'w', 'w', 'w', 0 };
	assert_int_equal(k.len, sizeof(want));
	assert_memory_equal(k.b, want, sizeof(want));
	assert_int_equal(k.depth, 2);
	assert_int_equal(k.ends[0], 8);
	assert_int_equal(k.ends[1], 12);
	/* The apex is the zone id alone. */
	key_of(&k, 7, "example.TEST", "example.test");
	assert_int_equal(k.len, 4);
	assert_int_equal(k.depth, 0);
	/* Truncating to an ancestor. */
	key_of(&k, 7, "www.Svc.example.test", "example.test");
	store_key_truncate(&k, 1);
	assert_int_equal(k.len, 8);
	assert_int_equal(k.depth, 1);
	store_key_truncate(&k, 5); /* deeper than the key: no change */
	assert_int_equal(k.len, 8);
	store_key_truncate(&k, 0);
	assert_int_equal(k.len, 4);
	/* Fewer labels than the apex. */
	uint8_t n[WIRE_NAME_MAX];
	wname("test", n);
	assert_int_equal(store_key_make(&k, 7, n, 2), DNSD_ETOOBIG);
}

static int
key_cmp(const void *a, const void *b)
{
	const struct store_key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->b, y->b, n);
	return c != 0 ? c : (int)x->len - (int)y->len;
}

/* RFC 4034 section 6.1, the example list in canonical order. */
static const char *const canonical[] = {
	"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
	"zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
	"\\200.z.example.",
};
#define NCANON (sizeof(canonical) / sizeof(canonical[0]))

static void
test_key_canonical_order(void **state)
{
	(void)state;
	struct store_key keys[NCANON];
	/* Shuffled: a fixed permutation. */
	const unsigned perm[NCANON] = { 4, 8, 0, 6, 2, 7, 1, 5, 3 };
	for (size_t i = 0; i < NCANON; i++)
		key_of(&keys[i], 1, canonical[perm[i]], "example");
	qsort(keys, NCANON, sizeof(keys[0]), key_cmp);
	uint8_t apex[WIRE_NAME_MAX], want[WIRE_NAME_MAX], got[WIRE_NAME_MAX];
	wname("example", apex);
	for (size_t i = 0; i < NCANON; i++) {
		size_t n = store_key_to_name(keys[i].b, keys[i].len, apex, got);
		assert_int_equal(n, wname(canonical[i], want));
		assert_true(wire_name_equal(got, want));
	}
}

static void
test_key_canonical_order_in_store(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	assert_int_equal(store_write_begin(f->s, &t), 0);
	for (size_t i = NCANON; i-- > 0;) /* written backwards */
		put_a(t, 3, canonical[i], "example");
	assert_int_equal(store_commit(t), 0);

	assert_int_equal(store_read_begin(f->s, &t), 0);
	struct store_iter *it;
	struct store_val k, v;
	uint8_t apex[WIRE_NAME_MAX], want[WIRE_NAME_MAX], got[WIRE_NAME_MAX];
	wname("example", apex);
	assert_int_equal(store_iter_zone(t, 3, &it), 0);
	size_t i = 0;
	int rc;
	while ((rc = store_iter_next(it, &k, &v)) == 1) {
		assert_true(i < NCANON);
		size_t n = store_key_to_name(k.data, k.len, apex, got);
		assert_int_equal(n, wname(canonical[i], want));
		assert_true(wire_name_equal(got, want));
		i++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(i, NCANON);
	store_iter_free(it);
	store_abort(t);
}

static void
test_key_escapes(void **state)
{
	(void)state;
	struct store_key k;
	/* 0x00 is written 01 01, 0x01 is written 01 02. */
	key_of(&k, 1, "a\\000\\001\\002.ex", "ex");
	const uint8_t want[] = { 0, 0, 0, 1, 'a', 1, 1, 1, 2, 2, 0 };
	assert_int_equal(k.len, sizeof(want));
	assert_memory_equal(k.b, want, sizeof(want));
	assert_int_equal(k.depth, 1);

	/* Ordering among labels with those bytes stays canonical. */
	const char *order[] = {
		"\\000.ex", "\\000\\000.ex", "\\001.ex", "\\002.ex", "a.ex",
		"a\\000.ex", "a\\001.ex", "a\\002.ex", "ab.ex", "b.ex", "a.b.ex", "ba.ex",
	};
	size_t n = sizeof(order) / sizeof(order[0]);
	struct store_key prev, cur;
	key_of(&prev, 1, order[0], "ex");
	for (size_t i = 1; i < n; i++) {
		key_of(&cur, 1, order[i], "ex");
		assert_true(key_cmp(&prev, &cur) < 0);
		prev = cur;
	}
	/* A descendant's key starts with the ancestor's key. */
	struct store_key anc, desc;
	key_of(&anc, 1, "\\001.ex", "ex");
	key_of(&desc, 1, "x.\\001.ex", "ex");
	assert_true(desc.len > anc.len);
	assert_memory_equal(desc.b, anc.b, anc.len);
}

static void
test_key_to_name_round_trip(void **state)
{
	(void)state;
	const char *names[] = {
		"example.test", "www.svc.example.test", "a\\000b.\\001\\001.example.test",
		"_http._tcp.svc.example.test", "\\255\\.x.example.test",
	};
	uint8_t apex[WIRE_NAME_MAX], want[WIRE_NAME_MAX], got[WIRE_NAME_MAX];
	wname("example.test", apex);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct store_key k, p;
		size_t wl = wname(names[i], want);
		assert_int_equal(store_key_make(&k, 42, want, 2), 0);
		assert_int_equal(store_key_to_name(k.b, k.len, apex, got), wl);
		assert_memory_equal(got, want, wl);
		/* store_key_parse finds the same label boundaries. */
		assert_int_equal(store_key_parse(&p, k.b, k.len), 0);
		assert_int_equal(p.depth, k.depth);
		assert_int_equal(p.len, k.len);
		assert_memory_equal(p.ends, k.ends, k.depth * sizeof(k.ends[0]));
	}
	/* Upper case comes back lower case: keys are canonical. */
	struct store_key k;
	wname("WWW.example.test", want);
	assert_int_equal(store_key_make(&k, 1, want, 2), 0);
	assert_int_equal(store_key_to_name(k.b, k.len, apex, got), 18);
	assert_memory_equal(got, "\x03" "www", 4);

	/* The longest name, all escaped bytes, still has a key and comes back. */
	size_t o;
	char *bs = malloc(1200);
	assert_non_null(bs);
	o = 0;
	for (int l = 0; l < 3; l++) {
		for (int i = 0; i < 63; i++, o += 4)
			memcpy(bs + o, "\\000", 4);
		bs[o++] = '.';
	}
	/* 3 x 64 + 49 + 14 ("example.test") = 255 bytes */
	for (int i = 0; i < 48; i++, o += 4)
		memcpy(bs + o, "\\001", 4);
	memcpy(bs + o, ".example.test", 14);
	size_t bl = wname(bs, want);
	assert_int_equal(bl, 255);
	assert_int_equal(store_key_make(&k, 1, want, 2), 0);
	assert_int_equal(store_key_to_name(k.b, k.len, apex, got), 255);
	assert_memory_equal(got, want, 255);
	free(bs);

	/* Malformed raw keys. */
	assert_int_equal(store_key_to_name((const uint8_t *)"\0\0\0", 3, apex, got), 0);
	const uint8_t nosep[] = { 0, 0, 0, 1, 'a', 'b' };
	assert_int_equal(store_key_to_name(nosep, sizeof(nosep), apex, got), 0);
	struct store_key p;
	const uint8_t dangling[] = { 0, 0, 0, 1, 'a', 1 };
	assert_int_equal(store_key_parse(&p, dangling, sizeof(dangling)), DNSD_EMALF);
}

/* ---- nodes ---- */

static void
test_node_find(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	const char *apex = "example.test";
	assert_int_equal(store_write_begin(f->s, &t), 0);
	put_a(t, 5, "example.test", apex);
	put_a(t, 5, "a.example.test", apex);
	put_a(t, 5, "b.c.example.test", apex);   /* c is an ENT */
	put_a(t, 5, "x.y.z.example.test", apex); /* z and y.z are ENTs */
	assert_int_equal(store_commit(t), 0);

	struct {
		const char *name;
		bool found, ent;
		unsigned ce;
	} cases[] = {
		{ "example.test", true, false, 0 },
		{ "a.example.test", true, false, 1 },
		{ "A.Example.Test", true, false, 1 },
		{ "b.c.example.test", true, false, 2 },
		{ "c.example.test", false, true, 1 },
		{ "z.example.test", false, true, 1 },
		{ "y.z.example.test", false, true, 2 },
		{ "q.c.example.test", false, false, 1 },
		{ "q.b.c.example.test", false, false, 2 },
		{ "q.y.z.example.test", false, false, 2 },
		{ "p.q.x.y.z.example.test", false, false, 3 },
		{ "a.a.example.test", false, false, 1 },
		{ "d.example.test", false, false, 0 },
		{ "0.example.test", false, false, 0 },  /* before every key */
		{ "zz.example.test", false, false, 0 }, /* after every key */
		{ "bc.example.test", false, false, 0 },
	};
	assert_int_equal(store_read_begin(f->s, &t), 0);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct store_key k;
			struct store_find fd;
			key_of(&k, 5, cases[i].name, apex);
			assert_int_equal(store_node_find(t, &k, &fd), 0);
			if (fd.found != cases[i].found || fd.ent != cases[i].ent ||
			    fd.ce_depth != cases[i].ce)
				fail_msg("%s: found %d ent %d ce %u", cases[i].name, fd.found, fd.ent,
				    fd.ce_depth);
			if (fd.found) {
				struct node_rrset set;
				assert_true(node_rrset_find(fd.v.data, fd.v.len, RR_A, &set));
			}
		}
		/* Second pass: a zone after ours and one before must not change
		 * anything (their keys are the neighbours now). */
		if (pass == 0) {
			store_abort(t);
			assert_int_equal(store_write_begin(f->s, &t), 0);
			put_a(t, 4, "zzz.example.test", apex);
			put_a(t, 6, "example.test", apex);
			put_a(t, 6, "a.example.test", apex);
			assert_int_equal(store_commit(t), 0);
			assert_int_equal(store_read_begin(f->s, &t), 0);
		}
	}
	store_abort(t);

	/* store_node_find_absent: the same lookup as if the node itself were
	 * gone (its leases ran out). Zone 9 is last in the store. */
	assert_int_equal(store_write_begin(f->s, &t), 0);
	put_a(t, 9, "example.test", apex);
	put_a(t, 9, "m.example.test", apex);
	put_a(t, 9, "q.m.example.test", apex);
	put_a(t, 9, "r.example.test", apex);
	assert_int_equal(store_commit(t), 0);
	assert_int_equal(store_read_begin(f->s, &t), 0);
	struct {
		uint32_t id;
		const char *name;
		bool ent;
		unsigned ce;
	} absent[] = {
		{ 9, "m.example.test", true, 1 },    /* q.m lives on: ENT */
		{ 9, "q.m.example.test", false, 1 }, /* m remains */
		{ 9, "r.example.test", false, 0 },   /* last key of the store */
		{ 9, "example.test", true, 0 },
		{ 5, "b.c.example.test", false, 0 }, /* c goes with it */
		{ 5, "a.example.test", false, 0 },
		{ 5, "x.y.z.example.test", false, 0 },
		{ 5, "nope.c.example.test", false, 1 }, /* not stored: as store_node_find */
		{ 5, "c.example.test", true, 1 },
	};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		struct store_key k;
		struct store_find fd;
		key_of(&k, absent[i].id, absent[i].name, apex);
		assert_int_equal(store_node_find_absent(t, &k, &fd), 0);
		if (fd.found || fd.ent != absent[i].ent || fd.ce_depth != absent[i].ce)
			fail_msg("absent %s: found %d ent %d ce %u", absent[i].name, fd.found, fd.ent,
			    fd.ce_depth);
		/* The normal lookup still finds it. */
		assert_int_equal(store_node_find(t, &k, &fd), 0);
	}

	/* store_node_get is the exact lookup. */
	struct store_key k;
	struct store_val v;
	key_of(&k, 5, "a.example.test", apex);
	assert_int_equal(store_node_get(t, &k, &v), 0);
	assert_true(v.len > 0);
	key_of(&k, 5, "c.example.test", apex);
	assert_int_equal(store_node_get(t, &k, &v), DNSD_ENOTFOUND);
	store_abort(t);
}

static void
test_node_find_empty_zone(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_key k;
	struct store_find fd;
	assert_int_equal(store_read_begin(f->s, &t), 0);
	key_of(&k, 1, "a.b.example.test", "example.test");
	assert_int_equal(store_node_find(t, &k, &fd), 0);
	assert_false(fd.found);
	assert_false(fd.ent);
	assert_int_equal(fd.ce_depth, 0);
	store_abort(t);
}

static void
test_node_delete(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_key k;
	struct store_val v;
	assert_int_equal(store_write_begin(f->s, &t), 0);
	put_a(t, 1, "a.example.test", "example.test");
	key_of(&k, 1, "a.example.test", "example.test");
	assert_int_equal(store_node_get(t, &k, &v), 0);
	assert_int_equal(store_node_put(t, &k, NULL, 0), 0);
	assert_int_equal(store_node_get(t, &k, &v), DNSD_ENOTFOUND);
	/* Deleting what is not there is fine. */
	assert_int_equal(store_node_put(t, &k, NULL, 0), 0);
	assert_int_equal(store_commit(t), 0);
}

static void
test_read_reset_renew(void **state)
{
	struct fx *f = *state;
	struct store_txn *r, *w;
	struct store_key k;
	struct store_find fd;
	key_of(&k, 1, "new.example.test", "example.test");

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_node_find(r, &k, &fd), 0);
	assert_false(fd.found);

	assert_int_equal(store_write_begin(f->s, &w), 0);
	put_a(w, 1, "new.example.test", "example.test");
	assert_int_equal(store_commit(w), 0);

	/* The old snapshot does not see it... */
	assert_int_equal(store_node_find(r, &k, &fd), 0);
	assert_false(fd.found);
	/* ...a renewed one does, through the reused cursors. */
	store_read_reset(r);
	assert_int_equal(store_read_renew(r), 0);
	assert_int_equal(store_node_find(r, &k, &fd), 0);
	assert_true(fd.found);
	unsigned d;
	assert_int_equal(store_cut_find(r, &k, &d), 0);
	assert_int_equal(d, 0);
	store_read_reset(r);
	assert_int_equal(store_read_renew(r), 0);
	assert_int_equal(store_node_find(r, &k, &fd), 0);
	assert_true(fd.found);
	store_abort(r);
}

/* ---- delegation points ---- */

static void
test_cuts(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_key k;
	unsigned d;
	const char *apex = "example.test";
	const uint8_t ns[] = "\x02" "ns" "\x03" "sub" "\x07" "example" "\x04" "test";

	assert_int_equal(store_write_begin(f->s, &t), 0);
	/* NS at the apex is not a cut. */
	key_of(&k, 1, apex, apex);
	put_rr(t, &k, RR_NS, ns, sizeof(ns), 0, 0);
	key_of(&k, 1, "sub.example.test", apex);
	put_rr(t, &k, RR_NS, ns, sizeof(ns), 0, 0);
	key_of(&k, 1, "deep.sub.example.test", apex); /* below a cut: not the shallowest */
	put_rr(t, &k, RR_NS, ns, sizeof(ns), 0, 0);
	/* Another zone's cut. */
	key_of(&k, 2, "other.example.test", apex);
	put_rr(t, &k, RR_NS, ns, sizeof(ns), 0, 0);
	assert_int_equal(store_commit(t), 0);

	assert_int_equal(store_read_begin(f->s, &t), 0);
	struct {
		uint32_t id;
		const char *name;
		unsigned depth;
	} cases[] = {
		{ 1, "example.test", 0 },
		{ 1, "www.example.test", 0 },
		{ 1, "sub.example.test", 1 },
		{ 1, "ns.sub.example.test", 1 },
		{ 1, "a.b.deep.sub.example.test", 1 },
		{ 1, "other.example.test", 0 },
		{ 1, "subx.example.test", 0 },
		{ 2, "x.other.example.test", 1 },
		{ 2, "sub.example.test", 0 },
		{ 3, "sub.example.test", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		key_of(&k, cases[i].id, cases[i].name, apex);
		assert_int_equal(store_cut_find(t, &k, &d), 0);
		if (d != cases[i].depth)
			fail_msg("zone %u %s: cut depth %u", cases[i].id, cases[i].name, d);
	}
	store_abort(t);

	/* The index follows the node: no NS, no cut; no node, no cut. */
	assert_int_equal(store_write_begin(f->s, &t), 0);
	key_of(&k, 1, "sub.example.test", apex);
	put_rr(t, &k, RR_A, A1, 4, 0, 0);
	key_of(&k, 1, "x.sub.example.test", apex);
	assert_int_equal(store_cut_find(t, &k, &d), 0);
	assert_int_equal(d, 0);
	key_of(&k, 1, "x.deep.sub.example.test", apex);
	assert_int_equal(store_cut_find(t, &k, &d), 0);
	assert_int_equal(d, 2);
	key_of(&k, 1, "deep.sub.example.test", apex);
	assert_int_equal(store_node_put(t, &k, NULL, 0), 0);
	key_of(&k, 1, "x.deep.sub.example.test", apex);
	assert_int_equal(store_cut_find(t, &k, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(store_commit(t), 0);
}

/* ---- expiry index ---- */

static void
test_expiry_index(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_key k, got;
	uint32_t exp;
	const char *apex = "example.test";

	assert_int_equal(store_read_begin(f->s, &t), 0);
	assert_int_equal(store_expiry_first(t, &exp, &got), DNSD_ENOTFOUND);
	store_abort(t);

	assert_int_equal(store_write_begin(f->s, &t), 0);
	/* 256 sorts after 255: big-endian times. */
	key_of(&k, 1, "late.example.test", apex);
	put_rr(t, &k, RR_A, A1, 4, 256, 0);
	key_of(&k, 1, "early.example.test", apex);
	put_rr(t, &k, RR_A, A1, 4, 255, 0);
	/* Static records have no entry. */
	key_of(&k, 1, "static.example.test", apex);
	put_rr(t, &k, RR_A, A1, 4, 0, 0);
	assert_int_equal(store_commit(t), 0);

	assert_int_equal(store_write_begin(f->s, &t), 0);
	struct store_stats st;
	assert_int_equal(store_stats(t, &st), 0);
	assert_int_equal(st.expiry_entries, 2);
	assert_int_equal(st.nodes, 3);
	assert_int_equal(store_expiry_first(t, &exp, &got), 0);
	assert_int_equal(exp, 255);
	key_of(&k, 1, "early.example.test", apex);
	assert_int_equal(got.len, k.len);
	assert_memory_equal(got.b, k.b, k.len);
	assert_int_equal(got.depth, 1);
	assert_int_equal(store_expiry_del(t, exp, &got), 0);
	assert_int_equal(store_expiry_first(t, &exp, &got), 0);
	assert_int_equal(exp, 256);
	key_of(&k, 1, "late.example.test", apex);
	assert_memory_equal(got.b, k.b, k.len);
	assert_int_equal(store_expiry_del(t, exp, &got), 0);
	assert_int_equal(store_expiry_first(t, &exp, &got), DNSD_ENOTFOUND);
	/* Deleting a missing entry is not an error. */
	assert_int_equal(store_expiry_del(t, 12345, &k), 0);

	/* A node's entry is its earliest dynamic expiry. */
	struct node_edit e;
	node_edit_init(&e);
	node_edit_add(&e, RR_A, 60, NOW + 50, 0, NODE_RR_DYNAMIC, A1, 4);
	node_edit_add(&e, RR_TXT, 60, NOW + 20, 0, NODE_RR_DYNAMIC, (const uint8_t *)"\x01x", 2);
	node_edit_add(&e, RR_AAAA, 60, 0, 0, 0, (const uint8_t *)"0123456789abcdef", 16);
	uint8_t *b = malloc(node_edit_size(&e));
	size_t len = node_edit_encode(&e, b);
	key_of(&k, 1, "mixed.example.test", apex);
	assert_int_equal(store_node_put(t, &k, b, len), 0);
	free(b);
	node_edit_free(&e);
	assert_int_equal(store_expiry_first(t, &exp, &got), 0);
	assert_int_equal(exp, NOW + 20);
	assert_memory_equal(got.b, k.b, k.len);
	assert_int_equal(store_commit(t), 0);
}

/* ---- zones ---- */

static void
test_zones(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_zone z1, z2, g;
	uint8_t a1[WIRE_NAME_MAX], a2[WIRE_NAME_MAX], a3[WIRE_NAME_MAX];
	wname("example.test", a1);
	wname("other.test", a2);
	wname("EXAMPLE.Test", a3);

	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_zone_get(t, a1, &g), DNSD_ENOTFOUND);
	assert_int_equal(store_zone_create(t, a1, &z1), 0);
	assert_int_equal(store_zone_create(t, a2, &z2), 0);
	assert_int_not_equal(z1.id, z2.id);
	assert_int_not_equal(z1.id, 0);
	assert_int_equal(z1.file_sig, 0);
	/* Lookup is case-insensitive. */
	assert_int_equal(store_zone_get(t, a3, &g), 0);
	assert_int_equal(g.id, z1.id);
	/* Metadata round trip. */
	z2.file_sig = 0x0123456789abcdefULL;
	memcpy(z2.includes, "a.zone\0b.zone", 14);
	z2.includes_len = 14;
	assert_int_equal(store_zone_put(t, a2, &z2), 0);
	assert_int_equal(store_commit(t), 0);

	assert_int_equal(store_read_begin(f->s, &t), 0);
	assert_int_equal(store_zone_get(t, a2, &g), 0);
	assert_int_equal(g.id, z2.id);
	assert_true(g.file_sig == 0x0123456789abcdefULL);
	assert_int_equal(g.includes_len, 14);
	assert_memory_equal(g.includes, "a.zone\0b.zone", 14);
	store_abort(t);

	/* Ids are never reused: a third zone gets a new one. */
	uint8_t a4[WIRE_NAME_MAX];
	struct store_zone z3;
	wname("third.test", a4);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_zone_create(t, a4, &z3), 0);
	assert_true(z3.id != z1.id && z3.id != z2.id);
	assert_int_equal(store_commit(t), 0);
}

static void
test_iterate_one_zone(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	const char *apex = "example.test";
	assert_int_equal(store_write_begin(f->s, &t), 0);
	/* Zone 1 and zone 2 have the same names; zone 256 starts with the
	 * same low byte as zone 0 would. */
	const char *names[] = { "example.test", "a.example.test", "b.a.example.test", "z.example.test" };
	for (size_t i = 0; i < 4; i++) {
		put_a(t, 1, names[i], apex);
		put_a(t, 2, names[i], apex);
		put_a(t, 256, names[i], apex);
	}
	put_a(t, 2, "extra.example.test", apex);
	assert_int_equal(store_commit(t), 0);

	assert_int_equal(store_read_begin(f->s, &t), 0);
	const uint32_t ids[] = { 1, 2, 256, 3, 0 };
	const size_t want[] = { 4, 5, 4, 0, 0 };
	for (size_t z = 0; z < 5; z++) {
		struct store_iter *it;
		struct store_val k, v;
		size_t n = 0;
		int rc;
		assert_int_equal(store_iter_zone(t, ids[z], &it), 0);
		while ((rc = store_iter_next(it, &k, &v)) == 1) {
			assert_true(k.len >= 4);
			assert_int_equal(wire_get32(k.data), ids[z]);
			assert_true(v.len > 0);
			n++;
		}
		assert_int_equal(rc, 0);
		/* At the end it stays at the end. */
		assert_int_equal(store_iter_next(it, &k, &v), 0);
		store_iter_free(it);
		if (n != want[z])
			fail_msg("zone %u: %zu nodes, want %zu", ids[z], n, want[z]);
	}
	store_iter_free(NULL);
	store_abort(t);
}

/* ---- transactions and durability ---- */

static void
test_commit_durable(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_key k;
	struct store_val v;
	struct store_zone z;
	uint8_t apex[WIRE_NAME_MAX];
	wname("example.test", apex);

	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_zone_create(t, apex, &z), 0);
	key_of(&k, z.id, "kept.example.test", "example.test");
	put_rr(t, &k, RR_A, A1, 4, NOW + 60, 0);
	assert_int_equal(store_commit(t), 0);

	/* An aborted write leaves nothing. */
	assert_int_equal(store_write_begin(f->s, &t), 0);
	put_a(t, z.id, "dropped.example.test", "example.test");
	store_abort(t);

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&f->s, f->dir, 64ULL << 20), 0);

	assert_int_equal(store_read_begin(f->s, &t), 0);
	struct store_zone g;
	assert_int_equal(store_zone_get(t, apex, &g), 0);
	assert_int_equal(g.id, z.id);
	assert_int_equal(store_node_get(t, &k, &v), 0);
	struct node_rrset set;
	struct node_rr_it ri;
	struct node_rr rr;
	assert_true(node_rrset_find(v.data, v.len, RR_A, &set));
	node_rr_it_init(&ri, &set);
	assert_true(node_rr_next(&ri, &rr));
	assert_int_equal(rr.expire, NOW + 60);
	assert_memory_equal(rr.rdata, A1, 4);
	uint32_t exp;
	struct store_key got;
	assert_int_equal(store_expiry_first(t, &exp, &got), 0);
	assert_int_equal(exp, NOW + 60);
	key_of(&k, z.id, "dropped.example.test", "example.test");
	assert_int_equal(store_node_get(t, &k, &v), DNSD_ENOTFOUND);
	store_abort(t);
}

static void
test_nested_write(void **state)
{
	struct fx *f = *state;
	struct store_txn *t, *c;
	struct store_key k1, k2;
	struct store_val v;
	key_of(&k1, 1, "one.example.test", "example.test");
	key_of(&k2, 1, "two.example.test", "example.test");

	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_write_nested(t, &c), 0);
	put_rr(c, &k1, RR_A, A1, 4, 0, 0);
	assert_int_equal(store_commit(c), 0); /* joins the parent */
	assert_int_equal(store_write_nested(t, &c), 0);
	put_rr(c, &k2, RR_A, A1, 4, 0, 0);
	store_abort(c); /* vanishes */
	assert_int_equal(store_node_get(t, &k1, &v), 0);
	assert_int_equal(store_node_get(t, &k2, &v), DNSD_ENOTFOUND);
	assert_int_equal(store_commit(t), 0);

	assert_int_equal(store_read_begin(f->s, &t), 0);
	assert_int_equal(store_node_get(t, &k1, &v), 0);
	assert_int_equal(store_node_get(t, &k2, &v), DNSD_ENOTFOUND);
	store_abort(t);
}

static void
test_owner_counts(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_key k1, k2;
	uint32_t n;
	const uint8_t kn[] = "\x03" "reg" "\x00";
	uint32_t tag = node_owner_tag(kn);
	key_of(&k1, 1, "one.example.test", "example.test");
	key_of(&k2, 1, "two.example.test", "example.test");

	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_owner_count(t, 1, tag, &n), 0);
	assert_int_equal(n, 0);
	put_rr(t, &k1, RR_A, A1, 4, NOW + 60, tag);
	put_rr(t, &k2, RR_A, A1, 4, NOW + 60, tag);
	assert_int_equal(store_owner_count(t, 1, tag, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_owner_count(t, 2, tag, &n), 0); /* per zone */
	assert_int_equal(n, 0);
	/* Rewriting a node with the same record does not count it twice. */
	put_rr(t, &k1, RR_A, A1, 4, NOW + 90, tag);
	assert_int_equal(store_owner_count(t, 1, tag, &n), 0);
	assert_int_equal(n, 2);
	/* A record of nobody replaces it; deleting drops the other. */
	put_rr(t, &k1, RR_A, A1, 4, 0, 0);
	assert_int_equal(store_owner_count(t, 1, tag, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_node_put(t, &k2, NULL, 0), 0);
	assert_int_equal(store_owner_count(t, 1, tag, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_commit(t), 0);
}

/* A node whose records belong to 20 owners (a TXT each): every owner is
 * counted, the 17th to 20th too (the tally used to stop at 16, so a key
 * at its max-records could add records uncounted), and deleting the node
 * takes every count back. */
static void
test_owner_counts_many(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_key k;
	uint32_t n, tags[20];
	struct node_edit e;
	key_of(&k, 1, "many.example.test", "example.test");
	node_edit_init(&e);
	for (int i = 0; i < 20; i++) {
		uint8_t kn[8] = { 3, 'k', (uint8_t)('a' + i), 'y', 0 };
		uint8_t rd[2] = { 1, (uint8_t)('a' + i) };
		tags[i] = node_owner_tag(kn);
		assert_int_equal(node_edit_add(&e, RR_TXT, 60, NOW + 60, tags[i], NODE_RR_DYNAMIC, rd,
		                     2), 1);
	}
	uint8_t *b = malloc(node_edit_size(&e));
	assert_non_null(b);
	size_t len = node_edit_encode(&e, b);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_node_put(t, &k, b, len), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(store_owner_count(t, 1, tags[i], &n), 0);
		assert_int_equal(n, 1);
	}
	/* Rewriting the same node counts nothing twice. */
	assert_int_equal(store_node_put(t, &k, b, len), 0);
	assert_int_equal(store_owner_count(t, 1, tags[19], &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_node_put(t, &k, NULL, 0), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(store_owner_count(t, 1, tags[i], &n), 0);
		assert_int_equal(n, 0);
	}
	assert_int_equal(store_commit(t), 0);
	free(b);
	node_edit_free(&e);
}

/* data.mdb's size in bytes. */
static off_t
data_size(const char *dir)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* store_grow_ahead writes room ahead of the data, and the store still
 * opens, reads and writes as before, without growing again at once. */
static void
test_grow_ahead(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_key k;
	struct store_val v;
	struct store_zone z;
	uint8_t apex[WIRE_NAME_MAX];
	char name[64];
	wname("example.test", apex);

	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_zone_create(t, apex, &z), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "n%d.example.test", i);
		put_a(t, z.id, name, "example.test");
	}
	assert_int_equal(store_commit(t), 0);
	off_t before = data_size(f->dir);
	assert_true(before < (1 << 20));
	store_grow_ahead(f->s);
	off_t after = data_size(f->dir);
	assert_true(after >= before + (1 << 20)); /* at least GROW_MIN of room */
	store_grow_ahead(f->s);                   /* enough room: nothing to do */
	assert_int_equal(data_size(f->dir), after);

	/* More writes land in the room; the file does not grow. */
	assert_int_equal(store_write_begin(f->s, &t), 0);
	for (int i = 200; i < 400; i++) {
		snprintf(name, sizeof(name), "n%d.example.test", i);
		put_a(t, z.id, name, "example.test");
	}
	assert_int_equal(store_commit(t), 0);
	assert_int_equal(data_size(f->dir), after);

	/* Reopened, every name is there. */
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&f->s, f->dir, 64ULL << 20), 0);
	assert_int_equal(store_read_begin(f->s, &t), 0);
	for (int i = 0; i < 400; i++) {
		snprintf(name, sizeof(name), "n%d.example.test", i);
		key_of(&k, z.id, name, "example.test");
		assert_int_equal(store_node_get(t, &k, &v), 0);
	}
	store_abort(t);

	/* Never beyond the map: a store with a 1 MiB map keeps its size. */
	char dir[64];
	struct store *s;
	assert_int_equal(testdir_make(dir, sizeof(dir), "dnsd-test-store"), 0);
	assert_int_equal(store_open(&s, dir, 1 << 20), 0);
	store_grow_ahead(s);
	assert_true(data_size(dir) <= (1 << 20));
	store_close(s);
	testdir_remove(dir);
}

static int
count_entry(void *arg, uint64_t seq, struct store_val entry)
{
	uint64_t *c = arg;
	(void)entry;
	c[0]++;
	c[1] = seq; /* the newest, last */
	return 0;
}

/* The journal keeps at least journal-size entries (the last ones, so IXFR
 * from any of their serials works) and drops the older ones an eighth of
 * journal-size at a time; with journal-size 2, exactly 2. */
static void
test_journal_trim(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_zone z;
	struct store_soa soa = { 60, 3, { 1, 2, 3 } };
	uint8_t apex[WIRE_NAME_MAX];
	wname("example.test", apex);

	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_zone_create(t, apex, &z), 0);
	assert_int_equal(store_commit(t), 0);
	for (unsigned max = 2; max <= 16; max += 14) {
		uint64_t trims = 0, prev = 0;
		for (uint32_t i = 0; i < 60; i++) {
			char name[64];
			assert_int_equal(store_write_begin(f->s, &t), 0);
			store_track_changes(t);
			snprintf(name, sizeof(name), "n%u-%u.example.test", max, i);
			put_a(t, z.id, name, "example.test");
			assert_true(store_changes_pending(t, z.id));
			assert_int_equal(store_journal_add(t, z.id, 1000 * max + i, 1000 * max + i + 1,
			                     &soa, &soa, max), 0);
			assert_int_equal(store_commit(t), 0);

			uint64_t c[2] = { 0, 0 };
			assert_int_equal(store_read_begin(f->s, &t), 0);
			assert_int_equal(store_journal_iter(t, z.id, count_entry, c), 0);
			/* every one of the last `max` changes is there */
			uint32_t from = i + 1 >= max ? 1000 * max + i + 1 - max : 1000 * max;
			struct store_val ev[64];
			size_t n = 0;
			if (max == 16 || i >= 2) {
				assert_int_equal(store_journal_get(t, z.id, from, ev, 64, &n), 0);
				assert_int_equal(n, 1000 * max + i + 1 - from);
			}
			store_abort(t);
			if (max == 2 && i >= 1)
				assert_int_equal(c[0], 2);
			if (max == 16 && i >= 15) {
				assert_true(c[0] >= 16 && c[0] <= 16 + 16 / 8);
				trims += c[0] < prev;
			}
			prev = c[0];
		}
		if (max == 16)
			assert_true(trims >= 10 && trims <= 20); /* 45 adds past 16, three per trim */
	}
}

/* Add one journal entry from -> to for zone `id` (with one change). */
static void
journal_one(struct fx *f, uint32_t id, uint32_t from, uint32_t to, unsigned max)
{
	struct store_txn *t;
	struct store_soa soa = { 60, 3, { 1, 2, 3 } };
	char name[64];
	snprintf(name, sizeof(name), "j%u.example.test", to);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	store_track_changes(t);
	put_a(t, id, name, "example.test");
	assert_int_equal(store_journal_add(t, id, from, to, &soa, &soa, max), 0);
	assert_int_equal(store_commit(t), 0);
}

/* How many entries store_journal_get chains from `from` (-1: none). */
static int
journal_chain(struct fx *f, uint32_t id, uint32_t from)
{
	struct store_txn *t;
	struct store_val ev[8];
	size_t n = 0;
	assert_int_equal(store_read_begin(f->s, &t), 0);
	int rc = store_journal_get(t, id, from, ev, 8, &n);
	store_abort(t);
	return rc == 0 ? (int)n : -1;
}

/* IXFR only from an unbroken chain: a change made with no journal kept
 * (journal-size 0) drops the journal, and a chain whose entries do not
 * follow one another is not one. */
static void
test_journal_gaps(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_zone z;
	uint8_t apex[WIRE_NAME_MAX];
	wname("example.test", apex);

	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_zone_create(t, apex, &z), 0);
	assert_int_equal(store_commit(t), 0);
	journal_one(f, z.id, 100, 101, 16);
	journal_one(f, z.id, 101, 102, 16);
	assert_int_equal(journal_chain(f, z.id, 100), 2);
	assert_int_equal(journal_chain(f, z.id, 101), 1);
	journal_one(f, z.id, 102, 103, 0); /* not journaled: all gone */
	assert_int_equal(journal_chain(f, z.id, 100), -1);
	assert_int_equal(journal_chain(f, z.id, 102), -1);
	journal_one(f, z.id, 103, 104, 16);
	journal_one(f, z.id, 110, 111, 16); /* 104 -> 110 is missing */
	assert_int_equal(journal_chain(f, z.id, 103), -1);
	assert_int_equal(journal_chain(f, z.id, 110), 1);
}

/* ---- load / edit / save ---- */

/* store_node_load: a missing node loads empty, an expired record is left
 * out (but stays stored) unless `now` is 0; store_node_save writes through
 * store_node_put (the indexes follow) and an empty edit deletes. */
static void
test_node_load_save(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_key k, got;
	struct store_val v;
	struct node_edit e;
	struct store_stats st;
	uint32_t exp;
	const char *apex = "example.test";
	static const uint8_t A2[4] = { 192, 0, 2, 2 }, A3[4] = { 192, 0, 2, 3 };
	static const uint8_t ns[] = { 2, 'n', 's', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0 };

	node_edit_init(&e);
	key_of(&k, 1, "svc.example.test", apex);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	/* Missing: loads empty, whatever `e` held before. */
	assert_int_equal(node_edit_add(&e, RR_A, 60, 0, 0, 0, A1, 4), 1);
	assert_int_equal(store_node_load(t, &k, NOW, &e), 0);
	assert_int_equal(e.n, 0);
	/* A static, a live leased and an expired leased record, an NS (a cut). */
	assert_int_equal(node_edit_add(&e, RR_A, 60, 0, 0, 0, A1, 4), 1);
	assert_int_equal(node_edit_add(&e, RR_A, 60, NOW + 100, 0, NODE_RR_DYNAMIC, A2, 4), 1);
	assert_int_equal(node_edit_add(&e, RR_A, 60, NOW, 0, NODE_RR_DYNAMIC, A3, 4), 1);
	assert_int_equal(node_edit_add(&e, RR_NS, 60, 0, 0, 0, ns, sizeof(ns)), 1);
	assert_int_equal(store_node_save(t, &k, &e), 0);
	assert_int_equal(store_commit(t), 0);

	assert_int_equal(store_read_begin(f->s, &t), 0);
	assert_int_equal(store_node_load(t, &k, 0, &e), 0);
	assert_int_equal(e.n, 4); /* now 0: everything */
	assert_int_equal(store_node_load(t, &k, NOW, &e), 0);
	assert_int_equal(e.n, 3); /* expire == now has ended */
	assert_true(node_edit_find(&e, RR_A, A3, 4) < 0);
	assert_true(node_edit_find(&e, RR_A, A2, 4) >= 0);
	assert_int_equal(store_node_load(t, &k, NOW + 100, &e), 0);
	assert_int_equal(e.n, 2);
	assert_true(node_edit_find(&e, RR_A, A1, 4) >= 0);
	assert_int_equal(store_stats(t, &st), 0);
	assert_int_equal(st.cuts, 1);
	assert_int_equal(store_expiry_first(t, &exp, &got), 0);
	assert_int_equal(exp, NOW);
	store_abort(t);

	/* Load, edit, save: the expired record goes with the save. */
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_node_load(t, &k, NOW, &e), 0);
	node_edit_remove(&e, (size_t)node_edit_find(&e, RR_NS, ns, sizeof(ns)));
	assert_int_equal(store_node_save(t, &k, &e), 0);
	assert_int_equal(store_node_load(t, &k, 0, &e), 0);
	assert_int_equal(e.n, 2);
	assert_int_equal(store_stats(t, &st), 0);
	assert_int_equal(st.cuts, 0); /* NS gone: no longer a delegation point */
	/* A node bigger than save's stack buffer. */
	uint8_t big[3000];
	memset(big, 0x5a, sizeof(big));
	assert_int_equal(node_edit_add(&e, 65280, 60, 0, 0, 0, big, sizeof(big)), 1);
	assert_int_equal(store_node_save(t, &k, &e), 0);
	assert_int_equal(store_node_get(t, &k, &v), 0);
	assert_true(v.len > sizeof(big));
	assert_int_equal(store_node_load(t, &k, 0, &e), 0);
	assert_int_equal(e.n, 3);
	assert_true(node_edit_find(&e, 65280, big, sizeof(big)) >= 0);
	/* Empty: deleted. */
	node_edit_clear(&e);
	assert_int_equal(store_node_save(t, &k, &e), 0);
	assert_int_equal(store_node_get(t, &k, &v), DNSD_ENOTFOUND);
	assert_int_equal(store_node_save(t, &k, &e), 0); /* already gone: fine */
	assert_int_equal(store_commit(t), 0);
	node_edit_free(&e);
}

/* ---- walks ---- */

struct walk_count {
	uint64_t n, first, last; /* entries seen, first and last seq */
	uint64_t stop_after;     /* 0: never stop */
	bool ordered;            /* each seq one past the one before */
};

static int
walk_count_entry(void *arg, uint64_t seq, struct store_val entry)
{
	struct walk_count *c = arg;
	assert_true(entry.len >= 8);
	if (c->n == 0)
		c->first = seq;
	else if (seq != c->last + 1)
		c->ordered = false;
	c->last = seq;
	c->n++;
	return c->stop_after != 0 && c->n == c->stop_after ? 7 : 0;
}

static struct walk_count
journal_count(struct store *s, uint32_t id, uint64_t stop_after, int want_rc)
{
	struct store_txn *t;
	struct walk_count c = { 0, 0, 0, stop_after, true };
	assert_int_equal(store_read_begin(s, &t), 0);
	assert_int_equal(store_journal_iter(t, id, walk_count_entry, &c), want_rc);
	store_abort(t);
	return c;
}

/* Every journal loop is one walk over the zone's key prefix: it sees all
 * of the zone's entries in order across many pages, and none of the zones
 * next to it, whether it reads (iter, get), deletes everything (clear) or
 * deletes a front run (trim). */
static void
test_journal_walks(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_zone z[3];
	struct store_soa soa = { 60, 500, { 0 } };
	const char *apexes[3] = { "a.test", "b.test", "c.test" };
	enum { N = 400 };

	memset(soa.rdata, 0x33, soa.rdlen); /* ~1 KiB a value: a few per page */
	assert_int_equal(store_write_begin(f->s, &t), 0);
	for (int i = 0; i < 3; i++) {
		uint8_t apex[WIRE_NAME_MAX];
		wname(apexes[i], apex);
		assert_int_equal(store_zone_create(t, apex, &z[i]), 0);
	}
	assert_true(z[0].id + 1 == z[1].id && z[1].id + 1 == z[2].id); /* adjacent prefixes */
	for (uint32_t j = 0; j < N; j++)
		for (int i = 0; i < 3; i++)
			assert_int_equal(store_journal_add(t, z[i].id, 100 + j, 101 + j, &soa, &soa,
			                     10000), 0);
	assert_int_equal(store_commit(t), 0);

	for (int i = 0; i < 3; i++) {
		struct walk_count c = journal_count(f->s, z[i].id, 0, 0);
		assert_int_equal(c.n, N);
		assert_int_equal(c.first, 0);
		assert_int_equal(c.last, N - 1);
		assert_true(c.ordered);
	}
	/* A non-zero return from the callback stops the walk and is returned. */
	assert_int_equal(journal_count(f->s, z[1].id, 5, 7).n, 5);
	/* A zone with no journal, past the last one. */
	assert_int_equal(journal_count(f->s, z[2].id + 1, 0, 0).n, 0);

	/* store_journal_get chains from any serial to the newest. */
	struct store_val ev[N + 8];
	size_t n = 0;
	assert_int_equal(store_read_begin(f->s, &t), 0);
	assert_int_equal(store_journal_get(t, z[1].id, 100, ev, N + 8, &n), 0);
	assert_int_equal(n, N);
	assert_int_equal(wire_get32(ev[N - 1].data + 4), 100 + N);
	assert_int_equal(store_journal_get(t, z[1].id, 100 + N - 3, ev, N + 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_journal_get(t, z[1].id, 100, ev, N - 1, &n), DNSD_ENOTFOUND);
	assert_int_equal(store_journal_get(t, z[1].id, 99, ev, N + 8, &n), DNSD_ENOTFOUND);
	store_abort(t);

	/* Clear deletes as it walks: all of zone b, nothing of a or c. */
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_journal_clear(t, z[1].id), 0);
	assert_int_equal(store_journal_clear(t, z[1].id), 0); /* nothing left: fine */
	assert_int_equal(store_commit(t), 0);
	assert_int_equal(journal_count(f->s, z[1].id, 0, 0).n, 0);
	assert_int_equal(journal_count(f->s, z[0].id, 0, 0).n, N);
	assert_int_equal(journal_count(f->s, z[2].id, 0, 0).n, N);

	/* Trim deletes a front run: one more entry in zone a with journal-size
	 * 64 keeps the newest 64 (seq N-63 .. N), and zone c keeps all. */
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_journal_add(t, z[0].id, 100 + N, 101 + N, &soa, &soa, 64), 0);
	assert_int_equal(store_commit(t), 0);
	struct walk_count c = journal_count(f->s, z[0].id, 0, 0);
	assert_int_equal(c.n, 64);
	assert_int_equal(c.first, N - 63);
	assert_int_equal(c.last, N);
	assert_true(c.ordered);
	assert_int_equal(journal_count(f->s, z[2].id, 0, 0).n, N);
	assert_int_equal(journal_count(f->s, z[2].id, 0, 0).first, 0);
}

struct seen {
	unsigned n, stop_after;
	uint32_t expire[8];
	uint8_t apex[8][WIRE_NAME_MAX];
};

static int
seen_zone(void *arg, const uint8_t *apex, const struct store_zone *z)
{
	struct seen *s = arg;
	assert_true(z->id != 0);
	memcpy(s->apex[s->n], apex, wire_name_len(apex));
	return ++s->n == s->stop_after ? 9 : 0;
}

static int
seen_expiry(void *arg, uint32_t expire, const struct store_key *k)
{
	struct seen *s = arg;
	assert_true(k->len >= 4);
	s->expire[s->n] = expire;
	return ++s->n == s->stop_after ? 9 : 0;
}

/* The whole-database walks: zones in apex key order, expiry entries
 * earliest first, and both stop when the callback says so. */
static void
test_zone_expiry_walks(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_zone z;
	struct store_key k;
	const char *apexes[3] = { "c.test", "a.test", "b.test" }; /* created out of order */
	const uint32_t exp[3] = { NOW + 300, NOW + 100, NOW + 200 };

	assert_int_equal(store_write_begin(f->s, &t), 0);
	for (int i = 0; i < 3; i++) {
		uint8_t apex[WIRE_NAME_MAX];
		char name[32];
		wname(apexes[i], apex);
		assert_int_equal(store_zone_create(t, apex, &z), 0);
		snprintf(name, sizeof(name), "x.%s", apexes[i]);
		key_of(&k, z.id, name, apexes[i]);
		put_rr(t, &k, RR_A, A1, 4, exp[i], 0);
	}
	assert_int_equal(store_commit(t), 0);

	assert_int_equal(store_read_begin(f->s, &t), 0);
	struct seen s = { 0 };
	assert_int_equal(store_zone_iter(t, seen_zone, &s), 0);
	assert_int_equal(s.n, 3);
	for (unsigned i = 0; i < 3; i++) {
		uint8_t want[WIRE_NAME_MAX];
		const char *order[3] = { "a.test", "b.test", "c.test" };
		size_t len = wname(order[i], want);
		assert_memory_equal(s.apex[i], want, len);
	}
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(store_zone_iter(t, seen_zone, &s), 9);
	assert_int_equal(s.n, 2);

	memset(&s, 0, sizeof(s));
	assert_int_equal(store_expiry_iter(t, seen_expiry, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.expire[0], NOW + 100);
	assert_int_equal(s.expire[1], NOW + 200);
	assert_int_equal(s.expire[2], NOW + 300);
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(store_expiry_iter(t, seen_expiry, &s), 9);
	assert_int_equal(s.n, 1);
	store_abort(t);
}

static void
test_map_full(void **state)
{
	(void)state;
	/* A tiny map fills up and says so with DNSD_EFULL. */
	char dir[64];
	struct store *s;
	struct store_txn *t;
	assert_int_equal(testdir_make(dir, sizeof(dir), "dnsd-test-store"), 0);
	assert_int_equal(store_open(&s, dir, 256 * 1024), 0);
	assert_int_equal(store_write_begin(s, &t), 0);
	uint8_t big[2000];
	memset(big, 0x5a, sizeof(big));
	int rc = 0;
	for (int i = 0; i < 1000 && rc == 0; i++) {
		char name[64];
		struct store_key k;
		struct node_edit e;
		snprintf(name, sizeof(name), "n%d.example.test", i);
		key_of(&k, 1, name, "example.test");
		node_edit_init(&e);
		node_edit_add(&e, 65280, 60, 0, 0, 0, big, sizeof(big));
		uint8_t *b = malloc(node_edit_size(&e));
		size_t len = node_edit_encode(&e, b);
		rc = store_node_put(t, &k, b, len);
		free(b);
		node_edit_free(&e);
	}
	assert_int_equal(rc, DNSD_EFULL);
	store_abort(t);
	store_close(s);
	testdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_example),
		cmocka_unit_test(test_key_canonical_order),
		cmocka_unit_test_setup_teardown(test_key_canonical_order_in_store, setup, teardown),
		cmocka_unit_test(test_key_escapes),
		cmocka_unit_test(test_key_to_name_round_trip),
		cmocka_unit_test_setup_teardown(test_node_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_find_empty_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_reset_renew, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cuts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iterate_one_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_durable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_counts_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grow_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_trim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_load_save, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_walks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone_expiry_walks, setup, teardown),
		cmocka_unit_test(test_map_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
