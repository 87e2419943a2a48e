/* test_cluster.c -- cluster mode without etcd: the key layout, the inputs
 * a scratch run tracks, their etcd operations, and the mirror applying
 * them, which must give every node the data single-node mode gives and
 * the same serial whatever the batching
 *
 * etcd itself is simulated by a table of keys (struct kv): the operations
 * of cops_txn are applied to it as etcd would (one revision per
 * transaction) and turned into the events a watch would deliver; a
 * snapshot is the table at one revision.
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

#include "cluster/layout.h"
#include "cluster/mirror.h"
#include "cluster/ops.h"
#include "node/node.h"
#include "query/query.h"
#include "store/store.h"
#include "testzone.h"
#include "update/update.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"
#include "zone/zone.h"

#define NOW 1700000000u
#define ORIGIN "z.test"
#define BASE 7u /* the zone file's serial */

static const char zone_text[] =
    "$ORIGIN z.test.\n"
    "$TTL 3600\n"
    "@       SOA   ns hostmaster 7 3600 600 86400 60\n"
    "@       NS    ns\n"
    "ns      A     192.0.2.1\n"
    "www     A     192.0.2.80\n"
    /* what a view will derive too: merged, one TTL (not a change refused) */
    "_services._dns-sd._udp PTR _web._tcp\n";

/* ---- the layout ---- */

static void
wname(const char *s, uint8_t *out)
{
	assert_true(wire_name_from_str(s, out) > 0);
}

static void
test_layout_keys(void **state)
{
	(void)state;
	uint8_t zone[WIRE_NAME_MAX], name[WIRE_NAME_MAX];
	char key[LAYOUT_KEY_MAX];
	struct layout_key k;
	wname("Z.test.", zone);
	wname("Web\\0471._web._tcp.z.TEST.", name); /* a '/' inside a label */

	size_t n = layout_key_instance(key, zone, name);
	assert_string_equal(key, "z/z.test./i/web\\0471._web._tcp.z.test.");
	assert_int_equal(layout_parse((const uint8_t *)key, n, &k), 0);
	assert_int_equal(k.kind, LAYOUT_INSTANCE);
	uint8_t low[WIRE_NAME_MAX];
	wire_name_lower(low, name, wire_name_len(name));
	assert_true(wire_name_equal(k.name, low));
	assert_memory_equal(k.name, low, wire_name_len(low));
	assert_true(wire_name_equal(k.zone, zone));

	const uint8_t rd[4] = { 10, 0, 0, 5 };
	n = layout_key_record(key, zone, name, RR_A, rd, 4);
	assert_int_equal(layout_parse((const uint8_t *)key, n, &k), 0);
	assert_int_equal(k.kind, LAYOUT_RECORD);
	assert_int_equal(k.type, RR_A);
	uint8_t h[LAYOUT_HASH_LEN];
	layout_rdata_hash(rd, 4, h);
	assert_memory_equal(k.hash, h, LAYOUT_HASH_LEN);
	assert_memory_equal(k.name, low, wire_name_len(low));

	n = layout_key_version(key, zone);
	assert_string_equal(key, "z/z.test./version");
	assert_int_equal(layout_parse((const uint8_t *)key, n, &k), 0);
	assert_int_equal(k.kind, LAYOUT_VERSION);
	n = layout_key_serial(key, zone);
	assert_int_equal(layout_parse((const uint8_t *)key, n, &k), 0);
	assert_int_equal(k.kind, LAYOUT_SERIAL);

	/* Not ours: left alone. */
	static const char *const other[] = { "x/z.test./version", "z/z.test./versions",
		"z/z.test./r/a.z.test./1/00", "z/z.test./r/a.z.test./0/" "00112233445566778899aabbccddeeff",
		"z/z.test./i/outside.example.", "z/", "z/z.test./q/x" };
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		assert_int_equal(layout_parse((const uint8_t *)other[i], strlen(other[i]), &k), 0);
		assert_int_equal(k.kind, LAYOUT_OTHER);
	}
}

static void
test_layout_record_value(void **state)
{
	(void)state;
	const uint8_t rd[4] = { 10, 0, 0, 5 };
	struct layout_rec r = { 60, 0x65000000, 0x9a3c51e2, NODE_RR_DYNAMIC, rd, 4 }, back;
	uint8_t v[LAYOUT_REC_HDR + 4];
	/* The example of layout.h. */
	const uint8_t want[] = { 1, 0, 0, 0, 0x3c, 0x65, 0, 0, 0, 0x9a, 0x3c, 0x51, 0xe2, 1,
		10, 0, 0, 5 };
	assert_int_equal(layout_rec_encode(&r, v), sizeof(want));
	assert_memory_equal(v, want, sizeof(want));
	assert_int_equal(layout_rec_decode(v, sizeof(v), &back), 0);
	assert_int_equal(back.ttl, 60);
	assert_int_equal(back.expire, 0x65000000);
	assert_int_equal(back.owner, 0x9a3c51e2);
	assert_int_equal(back.rdlen, 4);
	assert_int_equal(layout_rec_decode(v, 13, &back), DNSD_EMALF);
	v[0] = 2;
	assert_int_equal(layout_rec_decode(v, sizeof(v), &back), DNSD_EMALF);
}

/* ---- updates ---- */

/* An UPDATE of zone z.test: prerequisite and update RRs, one per line
 * ("name ttl class type rdata", names relative to z.test), with an Update
 * Lease option when `lease` is not 0. */
static size_t
build(uint8_t *out, size_t max, const char *pre, const char *upd, uint32_t lease)
{
	ldns_rdf *origin = ldns_dname_new_frm_str(ORIGIN ".");
	ldns_rr_list *lists[2] = { ldns_rr_list_new(), ldns_rr_list_new() };
	const char *texts[2] = { pre, upd };
	for (int s = 0; s < 2; s++) {
		char line[512];
		for (const char *p = texts[s]; p != NULL && *p;) {
			const char *e = strchr(p, '\n');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			assert_true(l < sizeof(line));
			memcpy(line, p, l);
			line[l] = '\0';
			p = e ? e + 1 : p + l;
			ldns_rr *rr = NULL;
			char f[4][64], extra[8];
			if (l == 0)
				continue;
			if (sscanf(line, "%63s %63s %63s %63s %7s", f[0], f[1], f[2], f[3], extra) == 4) {
				/* no RDATA (a deletion, a prerequisite): ldns will not parse it */
				ldns_rdf *owner = NULL;
				assert_int_equal(ldns_str2rdf_dname(&owner, f[0]), LDNS_STATUS_OK);
				if (!ldns_dname_str_absolute(f[0]))
					assert_int_equal(ldns_dname_cat(owner, origin), LDNS_STATUS_OK);
				rr = ldns_rr_new();
				ldns_rr_set_owner(rr, owner);
				ldns_rr_set_ttl(rr, (uint32_t)atoi(f[1]));
				ldns_rr_set_class(rr, ldns_get_rr_class_by_name(f[2]));
				ldns_rr_set_type(rr, ldns_get_rr_type_by_name(f[3]));
			} else if (ldns_rr_new_frm_str(&rr, line, 3600, origin, NULL) != LDNS_STATUS_OK) {
				fail_msg("cannot parse %s", line);
			}
			ldns_rr_list_push_rr(lists[s], rr);
		}
	}
	ldns_pkt *pkt = ldns_update_pkt_new(ldns_rdf_clone(origin), LDNS_RR_CLASS_IN, lists[0],
	    lists[1], NULL);
	assert_non_null(pkt);
	/* the packet has copies */
	ldns_rr_list_deep_free(lists[0]);
	ldns_rr_list_deep_free(lists[1]);
	uint8_t *wire = NULL;
	size_t len = 0;
	assert_int_equal(ldns_pkt2wire(&wire, pkt, &len), LDNS_STATUS_OK);
	assert_true(len + 24 <= max);
	memcpy(out, wire, len);
	if (lease != 0) {
		static const uint8_t opt[] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 8, 0, 2, 0, 4 };
		memcpy(out + len, opt, sizeof(opt));
		wire_put32(out + len + sizeof(opt), lease);
		len += sizeof(opt) + 4;
		wire_put16(out + 10, 1);
	}
	free(wire);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(origin);
	return len;
}

/* Run an UPDATE in `t` at `now`; returns its RCODE. */
static uint8_t
run_update(struct testzone *tz, struct store_txn *t, const char *pre, const char *upd,
    uint32_t lease, uint32_t now)
{
	uint8_t msg[4096];
	struct query_req req;
	struct update_result res;
	size_t len = build(msg, sizeof(msg), pre, upd, lease);
	assert_int_equal(query_parse(msg, len, &req, NULL), 0);
	const struct zone *z = zonetab_find(&tz->zones, req.qname);
	assert_non_null(z);
	struct update_req u = { msg, len, &req, z, NULL, now };
	assert_int_equal(update_apply(t, &u, &res), 0);
	return res.rcode;
}

/* ---- a simulated etcd ---- */

struct kv_ent {
	char *key;
	size_t klen;
	uint8_t *val;
	size_t vlen;
	int64_t mod;
};

struct kv {
	int64_t rev;
	size_t n;
	struct kv_ent e[256];
};

static struct kv_ent *
kv_find(struct kv *kv, const void *key, size_t klen)
{
	for (size_t i = 0; i < kv->n; i++)
		if (kv->e[i].klen == klen && memcmp(kv->e[i].key, key, klen) == 0)
			return &kv->e[i];
	return NULL;
}

/* Apply one transaction's operations at the next revision, and add the
 * events a watch would deliver to `b`. */
static void
kv_txn(struct kv *kv, const struct etcd_op *ops, size_t n, struct mirror_batch *b)
{
	kv->rev++;
	for (size_t i = 0; i < n; i++) {
		const struct etcd_op *o = &ops[i];
		struct kv_ent *e = kv_find(kv, o->key, o->key_len);
		if (o->type == ETCD_OP_DELETE) {
			if (e == NULL)
				continue; /* etcd reports no event */
			free(e->key);
			free(e->val);
			*e = kv->e[--kv->n];
			assert_int_equal(mirror_batch_add(b, true, kv->rev, o->key, o->key_len, NULL, 0), 0);
			continue;
		}
		if (e == NULL) {
			assert_true(kv->n < 256);
			e = &kv->e[kv->n++];
			e->key = malloc(o->key_len);
			memcpy(e->key, o->key, o->key_len);
			e->klen = o->key_len;
		} else {
			free(e->val);
		}
		e->val = malloc(o->value_len + 1);
		memcpy(e->val, o->value, o->value_len);
		e->vlen = o->value_len;
		e->mod = kv->rev;
		assert_int_equal(
		    mirror_batch_add(b, false, kv->rev, o->key, o->key_len, o->value, o->value_len), 0);
	}
}

/* Expire keys as an etcd lease would: delete, one revision. */
static void
kv_delete_prefix(struct kv *kv, const char *prefix, struct mirror_batch *b)
{
	kv->rev++;
	for (size_t i = kv->n; i-- > 0;) {
		struct kv_ent *e = &kv->e[i];
		if (e->klen < strlen(prefix) || memcmp(e->key, prefix, strlen(prefix)) != 0)
			continue;
		assert_int_equal(mirror_batch_add(b, true, kv->rev, e->key, e->klen, NULL, 0), 0);
		free(e->key);
		free(e->val);
		*e = kv->e[--kv->n];
	}
}

static struct mirror_batch *
kv_snapshot(struct kv *kv)
{
	struct mirror_batch *b = mirror_batch_new(true);
	assert_non_null(b);
	for (size_t i = 0; i < kv->n; i++)
		assert_int_equal(mirror_batch_add(b, false, kv->e[i].mod, kv->e[i].key, kv->e[i].klen,
		                     kv->e[i].val, kv->e[i].vlen), 0);
	b->rev = kv->rev;
	return b;
}

static void
kv_free(struct kv *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->e[i].key);
		free(kv->e[i].val);
	}
	kv->n = 0;
}

/* ---- nodes ---- */

struct node {
	struct testzone tz;
	uint32_t base[1];
};

static void
node_open(struct node *n)
{
	struct testzone_src src = { ORIGIN, zone_text };
	memset(n, 0, sizeof(*n));
	assert_int_equal(testzone_open(&n->tz, &src, 1, NOW), 0);
	n->base[0] = BASE;
}

/* The version each zone's key has on a node (for the compare). */
static int64_t
node_version(struct node *n)
{
	struct store_txn *t;
	struct store_mirror_zone m;
	assert_int_equal(store_read_begin(n->tz.store, &t), 0);
	assert_int_equal(store_mirror_zone_get(t, n->tz.zones.z[0].apex, &m), 0);
	store_abort(t);
	return m.version;
}

/* Apply batches on a node as the writer does; returns whether the serial moved. */
static bool
node_apply(struct node *n, const struct mirror_batch *b)
{
	struct store_txn *t;
	bool changed[1], catalog;
	uint64_t index;
	assert_int_equal(store_write_begin(n->tz.store, &t), 0);
	store_track_changes(t);
	assert_int_equal(
	    mirror_apply(t, &n->tz.zones, n->base, "/t/", b, NOW, changed, &catalog, &index), 0);
	assert_int_equal(store_commit(t), 0);
	assert_int_equal(testzone_refresh(&n->tz), 0);
	return changed[0];
}

static uint32_t
node_serial(struct node *n)
{
	uint32_t s = 0;
	assert_int_equal(zone_serial(n->tz.txn, &n->tz.zones.z[0], &s), 0);
	return s;
}

/* The zone's records live at `now`, without the SOA (whose serial
 * differs between modes). */
static char *
dump(struct node *n, uint32_t now)
{
	char *d = testzone_dump(&n->tz, NULL, ORIGIN, now);
	assert_non_null(d);
	char *soa = strstr(d, " SOA ");
	assert_non_null(soa);
	char *bol = soa;
	while (bol > d && bol[-1] != '\n')
		bol--;
	char *eol = strchr(soa, '\n');
	memmove(bol, eol + 1, strlen(eol + 1) + 1);
	return d;
}

/* Cut the TTL out of the line of a dump that starts with `owner ` . */
static void
drop_ttl(char *dump, const char *owner)
{
	char *line = strstr(dump, owner);
	assert_non_null(line);
	char *ttl = line + strlen(owner), *end = strchr(ttl, ' ');
	assert_non_null(end);
	memmove(ttl, end + 1, strlen(end + 1) + 1);
}

static int
lease_of(void *ctx, uint32_t expire, int64_t *lease)
{
	(void)ctx;
	*lease = expire; /* any id: the simulation keeps no leases */
	return 0;
}

/*
 * One UPDATE through cluster mode: a scratch run on `w` (the node that
 * took it), its inputs as an etcd transaction on `kv` (the compare is
 * checked), the watch's events appended to `events`. Returns the RCODE.
 */
static uint8_t
cluster_update(struct node *w, struct kv *kv, struct mirror_batch *events, const char *pre,
    const char *upd, uint32_t lease, uint32_t now)
{
	struct store_txn *t;
	struct cops c;
	assert_int_equal(store_write_begin(w->tz.store, &t), 0);
	store_track_inputs(t);
	uint8_t rcode = run_update(&w->tz, t, pre, upd, lease, now);
	size_t len;
	uint8_t *in = store_inputs_take(t, &len);
	store_abort(t);
	if (rcode != RCODE_NOERROR || len == 0) {
		free(in);
		return rcode;
	}
	assert_int_equal(cops_init(&c, &w->tz.zones), 0);
	assert_int_equal(cops_add(&c, in, in + len), 0);
	int64_t version[1] = { node_version(w) };
	assert_int_equal(cops_txn(&c, version, "n1", lease_of, NULL), 0);
	assert_int_equal(c.ntouched, 1);
	assert_int_equal(c.cmps[0].target, ETCD_CMP_MOD);
	/* etcd's compare: the version key's mod_revision (0: absent) */
	struct kv_ent *ve = kv_find(kv, c.cmps[0].key, c.cmps[0].key_len);
	assert_int_equal(c.cmps[0].number, ve != NULL ? ve->mod : 0);
	kv_txn(kv, c.ops, c.nops, events);
	cops_free(&c);
	free(in);
	return rcode;
}

/* The same UPDATE in single-node mode. */
static uint8_t
single_update(struct node *s, const char *pre, const char *upd, uint32_t lease, uint32_t now)
{
	struct store_txn *t;
	assert_int_equal(store_write_begin(s->tz.store, &t), 0);
	uint8_t rcode = run_update(&s->tz, t, pre, upd, lease, now);
	if (rcode == RCODE_NOERROR)
		assert_int_equal(store_commit(t), 0);
	else
		store_abort(t);
	assert_int_equal(testzone_refresh(&s->tz), 0);
	return rcode;
}

/* An instance registered as nsupdate does (SRV + TXT + A at its host),
 * plus a plain record, a renewal, a second instance and a deregistration. */
static const struct step {
	const char *pre, *upd;
	uint32_t lease, at;
	bool visible; /* it changes what the zone serves */
} steps[] = {
	{ NULL, "web-1._web._tcp 60 IN SRV 0 5 8080 host1\n"
	        "web-1._web._tcp 60 IN TXT \"v=1\"\n"
	        "host1 60 IN A 10.0.0.1\n", 600, NOW, true },
	{ NULL, "plain 30 IN TXT \"hello\"\n", 600, NOW, true },
	/* the same again later: a renewal, no change served */
	{ NULL, "web-1._web._tcp 60 IN SRV 0 5 8080 host1\n"
	        "web-1._web._tcp 60 IN TXT \"v=1\"\n"
	        "host1 60 IN A 10.0.0.1\n", 600, NOW + 5, false },
	{ "host1 0 ANY A\n", "web-2._web._tcp 60 IN SRV 0 5 8081 host1\n", 600, NOW + 6, true },
	{ NULL, "web-1._web._tcp 0 ANY SRV\n", 0, NOW + 7, true },
	{ NULL, "plain 20 IN TXT \"hello\"\n", 600, NOW + 8, true }, /* a TTL change */
	/* added to a zone-file RRset with another TTL: the RRset takes it */
	{ NULL, "www 60 IN A 192.0.2.81\n", 600, NOW + 8, true },
};

static void
test_mirror_matches_single_node(void **state)
{
	(void)state;
	struct node s, m1, m2;
	struct kv kv = { 0 };
	node_open(&s);
	node_open(&m1);
	node_open(&m2);
	struct mirror_batch *all = mirror_batch_new(false);
	uint32_t serial = node_serial(&m1);
	int64_t last_visible = 0;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *st = &steps[i];
		struct mirror_batch *one = mirror_batch_new(false);
		assert_int_equal(single_update(&s, st->pre, st->upd, st->lease, st->at), RCODE_NOERROR);
		assert_int_equal(cluster_update(&m1, &kv, one, st->pre, st->upd, st->lease, st->at),
		    RCODE_NOERROR);
		/* m1 follows each transaction; m2 gets them all at the end */
		for (size_t e = 0; e < one->n; e++)
			assert_int_equal(mirror_batch_add(all, one->ev[e].deleted, one->ev[e].rev,
			                     one->ev[e].key, one->ev[e].key_len, one->ev[e].value,
			                     one->ev[e].value_len), 0);
		bool moved = node_apply(&m1, one);
		mirror_batch_free(one);
		assert_int_equal(moved, st->visible);
		if (st->visible)
			last_visible = kv.rev;
		assert_int_equal(node_serial(&m1), mirror_serial(BASE, last_visible));
		if (st->visible)
			assert_true(wire_serial_gt(node_serial(&m1), serial));
		else
			assert_int_equal(node_serial(&m1), serial);
		serial = node_serial(&m1);
		char *a = dump(&s, st->at), *b = dump(&m1, st->at);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	assert_true(node_apply(&m2, all));
	mirror_batch_free(all);
	char *a = dump(&m1, NOW + 8), *b = dump(&m2, NOW + 8);
	assert_string_equal(a, b);
	assert_int_equal(node_serial(&m1), node_serial(&m2));
	assert_non_null(strstr(a, "web-2._web._tcp 60 SRV 0 5 8081 host1.z.test."));
	assert_non_null(strstr(a, "_web._tcp 60 PTR web-2._web._tcp.z.test."));
	assert_non_null(strstr(a, "www 60 A 192.0.2.80")); /* the zone file's, TTL 60 now */
	assert_null(strstr(a, "web-1"));
	free(a);
	free(b);

	/* The leases end: etcd deletes the keys, every node follows. */
	struct mirror_batch *exp = mirror_batch_new(false);
	kv_delete_prefix(&kv, "z/z.test./i/", exp);
	assert_true(node_apply(&m1, exp));
	assert_true(node_apply(&m2, exp));
	mirror_batch_free(exp);
	assert_int_equal(node_serial(&m1), mirror_serial(BASE, kv.rev));
	assert_int_equal(node_serial(&m1), node_serial(&m2));
	a = dump(&m1, NOW + 8);
	assert_null(strstr(a, "web-2"));
	assert_null(strstr(a, "_web._tcp 60 SRV"));
	free(a);

	/* A node that resynchronises from a snapshot gets the same records and
	 * the snapshot's revision as its serial revision. */
	struct node m3;
	node_open(&m3);
	struct mirror_batch *snap = kv_snapshot(&kv);
	assert_true(node_apply(&m3, snap));
	mirror_batch_free(snap);
	a = dump(&m1, NOW + 8);
	b = dump(&m3, NOW + 8);
	/* Known difference: a zone-file RRset that a view joined took the
	 * view's TTL (60) on the nodes that followed, and keeps it after the
	 * view left; a node that read everything has the file's (3600) until
	 * the next reload. Everything else is the same. */
	assert_non_null(strstr(a, "_services._dns-sd._udp 60 PTR"));
	assert_non_null(strstr(b, "_services._dns-sd._udp 3600 PTR"));
	drop_ttl(a, "_services._dns-sd._udp ");
	drop_ttl(b, "_services._dns-sd._udp ");
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(node_serial(&m3), mirror_serial(BASE, kv.rev));
	assert_int_equal(node_version(&m3), node_version(&m1));

	testzone_close(&s.tz);
	testzone_close(&m1.tz);
	testzone_close(&m2.tz);
	testzone_close(&m3.tz);
	kv_free(&kv);
}

/* Zone-file records are the same on every node and not in etcd: an
 * update may not change them in cluster mode. */
static void
test_static_records_refused(void **state)
{
	(void)state;
	struct node n;
	struct kv kv = { 0 };
	node_open(&n);
	struct mirror_batch *b = mirror_batch_new(false);
	assert_int_equal(cluster_update(&n, &kv, b, NULL, "www 0 NONE A 192.0.2.80\n", 0, NOW),
	    RCODE_REFUSED);
	assert_int_equal(cluster_update(&n, &kv, b, NULL, "www 0 ANY A\n", 0, NOW), RCODE_REFUSED);
	/* adding to the zone file's RRset is fine */
	assert_int_equal(cluster_update(&n, &kv, b, NULL, "www 3600 IN A 192.0.2.81\n", 600, NOW),
	    RCODE_NOERROR);
	assert_int_equal(b->n, 2); /* one record, one version key */
	mirror_batch_free(b);
	testzone_close(&n.tz);
	kv_free(&kv);
}

/* What a scratch run tracks: instances and non-view records, the last
 * change of a key winning in the operations. */
static void
test_inputs(void **state)
{
	(void)state;
	struct node n;
	struct store_txn *t;
	struct store_input in;
	node_open(&n);
	assert_int_equal(store_write_begin(n.tz.store, &t), 0);
	store_track_inputs(t);
	assert_int_equal(run_update(&n.tz, t, NULL,
	                     "web-1._web._tcp 60 IN SRV 0 5 8080 host1\n"
	                     "x 60 IN A 10.0.0.9\n", 100, NOW), RCODE_NOERROR);
	size_t mark = store_inputs_mark(t);
	assert_int_equal(run_update(&n.tz, t, NULL, "x 0 NONE A 10.0.0.9\n", 0, NOW), RCODE_NOERROR);
	assert_true(store_inputs_mark(t) > mark);
	size_t len;
	uint8_t *buf = store_inputs_take(t, &len);
	store_abort(t);
	const uint8_t *p = buf, *end = buf + len;
	int ops[8], nops = 0;
	while (store_input_next(&p, end, &in) == 1 && nops < 8) {
		ops[nops++] = in.op;
		if (in.op == STORE_INPUT_INST_PUT)
			assert_int_equal(in.expire, NOW + 101);
		if (in.op == STORE_INPUT_REC_PUT) {
			assert_int_equal(in.type, RR_A);
			assert_int_equal(in.ttl, 60);
			assert_int_equal(in.expire, NOW + 101);
			assert_true(in.flags & NODE_RR_DYNAMIC);
		}
	}
	/* the instance, the A added, the A removed (no view record) */
	assert_int_equal(nops, 3);
	assert_int_equal(ops[0], STORE_INPUT_INST_PUT);
	assert_int_equal(ops[1], STORE_INPUT_REC_PUT);
	assert_int_equal(ops[2], STORE_INPUT_REC_DEL);
	struct cops c;
	assert_int_equal(cops_init(&c, &n.tz.zones), 0);
	assert_int_equal(cops_bound(&c, buf, buf + len), 3 + 1);
	assert_int_equal(cops_add(&c, buf, buf + len), 0);
	assert_int_equal(c.n, 2); /* the A's put and delete are one key */
	assert_true(c.items[1].del);
	assert_int_equal(cops_count(&c), 3);
	int64_t version[1] = { 42 };
	assert_int_equal(cops_txn(&c, version, "n1", lease_of, NULL), 0);
	assert_int_equal(c.nops, 3);
	assert_int_equal(c.ops[0].lease, NOW + 101);
	assert_int_equal(c.ops[1].type, ETCD_OP_DELETE);
	assert_int_equal(c.cmps[0].number, 42);
	cops_free(&c);
	free(buf);
	testzone_close(&n.tz);
}

int
main(void)
{
	log_init(true, LOG_LVL_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_keys),
		cmocka_unit_test(test_layout_record_value),
		cmocka_unit_test(test_inputs),
		cmocka_unit_test(test_static_records_refused),
		cmocka_unit_test(test_mirror_matches_single_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
