/* store-node.c -- nodes and their indexes: node get/find/put, the
 * delegation points, the owner tallies and the expiry index; node load/save
 *
 * The query path runs here (store_node_get, store_node_find, store_cut_find)
 * with the cursor helpers of store-int.h inlined: keep those functions in
 * this file. store_node_put keeps every index in step with the node.
 *
 *   "nodes"   key:   a node key (store-key.c): zone id:u32 + the labels
 *                    below the apex
 *             value: the node value (node.h): every RRset of one owner
 *             e.g. web.example.test in zone 7, one A 10.0.0.5, TTL 60, from
 *             the zone file:
 *               00 00 00 07 77 65 62 00 ->
 *               00 01  00 01  00 00 00 3c  00 00 00 00  00 00 00 00  00  00 04  0a 00 00 05
 *               type   count  ttl          expire       owner        fl  rdlen  rdata
 *
 *   "cuts"    key:   the node key of a delegation point (a node below the
 *                    apex holding NS)
 *             value: empty
 *             written and deleted by store_node_put as the node gains or
 *             loses its NS RRset.
 *             e.g. lab.example.test in zone 7: 00 00 00 07 6c 61 62 00 -> ""
 *
 *   "expiry"  key:   expire:u32 + node key
 *             value: empty
 *             the earliest expiry of a node's dynamic records, added by
 *             store_node_put whenever the node has one, and the lease end
 *             of a service instance under its name's key (store-svc.c);
 *             an older entry is
 *             not removed then (it is stale: whoever consumes it re-checks
 *             the node). The reaper walks this from the front, so it never
 *             scans a zone.
 *             e.g. web.example.test in zone 7 expiring at 1701784080:
 *               65 6f 2a 10 00 00 00 07 77 65 62 00 -> ""
 *
 *   "owners"  key:   zone id:u32 + owner tag:u32 (node_owner_tag of a key)
 *             value: count:u32
 *             how many dynamic records each TSIG key owns in each zone (for
 *             the per-key cap); store_node_put applies the difference of
 *             every write, and deletes an entry that falls to 0.
 *             e.g. zone 7, tag 0x9a3c51e2, 3 records:
 *               00 00 00 07 9a 3c 51 e2 -> 00 00 00 03
 */
#include "config.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"
#include "wire/wire.h"

/* ---- reading: the query path ---------------------------------------------- */

int
store_node_get(struct store_txn *t, const struct store_key *k, struct store_val *v)
{
	MDB_val mk = { k->len, (void *)k->b }, mv;
	uint32_t zone = wire_get32(k->b);
	if (k->depth == 0 && t->apex_valid && t->apex_zone == zone) {
		v->data = t->apex_val.mv_data;
		v->len = t->apex_val.mv_size;
		return 0;
	}
	int rc = mdb_get(t->txn, t->s->nodes, &mk, &mv);
	if (rc != 0)
		return map_err(rc, "node get");
	if (k->depth == 0 && !t->write) {
		t->apex_valid = true;
		t->apex_zone = zone;
		t->apex_val = mv;
	}
	v->data = mv.mv_data;
	v->len = mv.mv_size;
	return 0;
}

/* Depth of the longest common ancestor of key k and raw key `o`, counting
 * only whole labels; both must share the 4-byte zone prefix. */
static unsigned
common_depth(const struct store_key *k, const uint8_t *o, size_t olen)
{
	if (olen < 4 || memcmp(k->b, o, 4) != 0)
		return 0;
	unsigned d = 0;
	while (d < k->depth) {
		size_t end = k->ends[d];
		if (olen < end || memcmp(k->b, o, end) != 0)
			break;
		d++;
	}
	return d;
}

/* store_node_find and store_node_find_absent: with `absent`, a node stored
 * at k itself is stepped over as if it were not there. */
static int
node_find(struct store_txn *t, const struct store_key *k, struct store_find *f, bool absent)
{
	MDB_cursor *cur;
	MDB_val mk = { k->len, (void *)k->b }, mv;
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = cursor_get(t, CUR_NODES, t->s->nodes, &cur)) != 0)
		return map_err(rc, "cursor");
	rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);
	bool self = rc == 0 && mk.mv_size == k->len && memcmp(mk.mv_data, k->b, k->len) == 0;
	if (self && !absent) {
		f->found = true;
		f->ce_depth = k->depth;
		f->v.data = mv.mv_data;
		f->v.len = mv.mv_size;
		goto out;
	}
	if (self)
		rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		rc = map_err(rc, "cursor get");
		goto done;
	}
	unsigned ce = 0;
	if (rc == 0) {
		/* The successor: a descendant of k makes k an empty non-terminal. */
		if (mk.mv_size > k->len && memcmp(mk.mv_data, k->b, k->len) == 0) {
			f->ent = true;
			f->ce_depth = k->depth;
			goto out;
		}
		ce = common_depth(k, mk.mv_data, mk.mv_size);
		rc = mdb_cursor_get(cur, &mk, &mv, MDB_PREV);
	} else {
		rc = mdb_cursor_get(cur, &mk, &mv, MDB_LAST);
	}
	if (rc == 0 && self) /* that was k itself: one more back */
		rc = mdb_cursor_get(cur, &mk, &mv, MDB_PREV);
	if (rc == 0) {
		unsigned d = common_depth(k, mk.mv_data, mk.mv_size);
		if (d > ce)
			ce = d;
	}
	f->ce_depth = ce;
out:
	rc = 0;
done:
	cursor_done(t, cur);
	return rc;
}

int
store_node_find(struct store_txn *t, const struct store_key *k, struct store_find *f)
{
	return node_find(t, k, f, false);
}

int
store_node_find_absent(struct store_txn *t, const struct store_key *k, struct store_find *f)
{
	return node_find(t, k, f, true);
}

int
store_cut_find(struct store_txn *t, const struct store_key *k, unsigned *depth)
{
	MDB_cursor *cur;
	MDB_val mk = { 4, (void *)k->b }, mv;
	int rc;

	*depth = 0;
	if (k->depth == 0)
		return 0;
	/* Fast path: most zones have no delegations at all, and a read
	 * snapshot remembers that for its zone. */
	uint32_t zone = wire_get32(k->b);
	if (t->nocut_valid && t->nocut_zone == zone)
		return 0;
	if ((rc = cursor_get(t, CUR_CUTS, t->s->cuts, &cur)) != 0)
		return map_err(rc, "cursor");
	rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);
	cursor_done(t, cur);
	if (rc == MDB_NOTFOUND || (rc == 0 && memcmp(mk.mv_data, k->b, 4) != 0)) {
		if (!t->write) {
			t->nocut_valid = true;
			t->nocut_zone = zone;
		}
		return 0;
	}
	if (rc != 0)
		return map_err(rc, "cut find");
	for (unsigned d = 1; d <= k->depth; d++) {
		MDB_val pk = { k->ends[d - 1], (void *)k->b };
		rc = mdb_get(t->txn, t->s->cuts, &pk, &mv);
		if (rc == 0) {
			*depth = d;
			return 0;
		}
		if (rc != MDB_NOTFOUND)
			return map_err(rc, "cut get");
	}
	return 0;
}

/* ---- writing: the node and its indexes ------------------------------------ */

static bool
node_expiry_min(const uint8_t *val, size_t len, uint32_t *min)
{
	struct node_all_it a;
	struct node_rr rr;
	uint16_t type;
	bool any = false;
	node_all_init(&a, val, len);
	while (node_all_next(&a, &type, &rr)) {
		if (rr.expire != 0 && (!any || rr.expire < *min)) {
			*min = rr.expire;
			any = true;
		}
	}
	return any;
}

/* Per-owner record counts of one node value: 16 distinct owners in place
 * (the common case); past that `over` is set and owners_update counts
 * with owner_sorted instead. (It used to skip the 17th owner on: a key at
 * its max-records could add records uncounted.) */
struct owner_tally {
	unsigned n;
	bool over;
	uint32_t tag[16];
	int32_t count[16];
};

static void
tally(struct owner_tally *t, const uint8_t *val, size_t len, int sign)
{
	struct node_all_it a;
	struct node_rr rr;
	uint16_t type;
	node_all_init(&a, val, len);
	while (!t->over && node_all_next(&a, &type, &rr)) {
		if (rr.owner == 0)
			continue;
		unsigned i = 0;
		while (i < t->n && t->tag[i] != rr.owner)
			i++;
		if (i == t->n) {
			if (t->n == 16) {
				t->over = true;
				return;
			}
			t->tag[t->n] = rr.owner;
			t->count[t->n++] = 0;
		}
		t->count[i] += sign;
	}
}

struct owner_delta {
	uint32_t tag;
	int32_t d;
};

static int
delta_cmp(const void *a, const void *b)
{
	const struct owner_delta *x = a, *y = b;
	return x->tag < y->tag ? -1 : x->tag > y->tag;
}

/* Append (owner, sign) for each owned record of a node value. */
static int
delta_push(struct owner_delta **v, size_t *n, size_t *cap, const uint8_t *val, size_t len,
    int sign)
{
	struct node_all_it a;
	struct node_rr rr;
	uint16_t type;
	node_all_init(&a, val, len);
	while (node_all_next(&a, &type, &rr)) {
		if (rr.owner == 0)
			continue;
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 64;
			struct owner_delta *nv = realloc(*v, c * sizeof(*nv));
			if (nv == NULL)
				return -ENOMEM;
			*v = nv;
			*cap = c;
		}
		(*v)[(*n)++] = (struct owner_delta){ rr.owner, sign };
	}
	return 0;
}

/* Any number of owners: every owned record's (owner, +-1), sorted by owner
 * and summed into runs, in `out` (allocated; *nout entries). */
static int
owner_sorted(const uint8_t *oldv, size_t oldlen, const uint8_t *newv, size_t newlen,
    struct owner_delta **out, size_t *nout)
{
	struct owner_delta *v = NULL;
	size_t n = 0, cap = 0, m = 0;
	int rc = delta_push(&v, &n, &cap, oldv, oldlen, -1);
	if (rc == 0)
		rc = delta_push(&v, &n, &cap, newv, newlen, +1);
	if (rc != 0) {
		free(v);
		return rc;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), delta_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && v[m - 1].tag == v[i].tag)
			v[m - 1].d += v[i].d;
		else
			v[m++] = v[i];
	}
	*out = v;
	*nout = m;
	return 0;
}

static int owner_apply(struct store_txn *t, const struct store_key *k, uint32_t tag,
    int32_t delta);

/* Apply the change in owned-record counts between two node values. */
static int
owners_update(struct store_txn *t, const struct store_key *k, const uint8_t *oldv,
    size_t oldlen, const uint8_t *newv, size_t newlen)
{
	struct owner_tally d = { 0 };
	struct owner_delta *many = NULL;
	size_t nmany = 0;
	tally(&d, oldv, oldlen, -1);
	tally(&d, newv, newlen, +1);
	if (d.over) {
		int rc = owner_sorted(oldv, oldlen, newv, newlen, &many, &nmany);
		if (rc != 0)
			return rc;
	}
	size_t count = d.over ? nmany : d.n;
	int rc = 0;
	for (size_t i = 0; i < count && rc == 0; i++) {
		uint32_t tag = d.over ? many[i].tag : d.tag[i];
		int32_t delta = d.over ? many[i].d : d.count[i];
		rc = owner_apply(t, k, tag, delta);
	}
	free(many);
	return rc;
}

/* Add `delta` to the count of records `tag` owns in k's zone. */
static int
owner_apply(struct store_txn *t, const struct store_key *k, uint32_t tag, int32_t delta)
{
	if (delta == 0)
		return 0;
	uint8_t kb[8], vb[4];
	memcpy(kb, k->b, 4);
	wire_put32(kb + 4, tag);
	MDB_val ok = { 8, kb }, ov;
	int64_t n = 0;
	int rc = mdb_get(t->txn, t->s->owners, &ok, &ov);
	if (rc == 0 && ov.mv_size == 4)
		n = wire_get32(ov.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return map_err(rc, "owners get");
	n += delta;
	if (n <= 0) {
		rc = mdb_del(t->txn, t->s->owners, &ok, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return map_err(rc, "owners del");
		return 0;
	}
	wire_put32(vb, (uint32_t)n);
	ov.mv_size = 4;
	ov.mv_data = vb;
	if ((rc = mdb_put(t->txn, t->s->owners, &ok, &ov, 0)) != 0)
		return map_err(rc, "owners put");
	return 0;
}

int
store_node_put(struct store_txn *t, const struct store_key *k, const uint8_t *val, size_t len)
{
	MDB_val mk = { k->len, (void *)k->b }, mv = { len, (void *)val }, empty = { 0, "" };
	MDB_val old;
	struct node_rrset ns;
	int rc;

	/* Owned-record counts follow every change of a node, whoever makes it
	 * (UPDATE, reaper, reload). The old value is read before the write
	 * invalidates it. */
	rc = mdb_get(t->txn, t->s->nodes, &mk, &old);
	if (rc == MDB_NOTFOUND) {
		old.mv_size = 0;
		old.mv_data = NULL;
	} else if (rc != 0) {
		return map_err(rc, "node get");
	}
	/* The same bytes: nothing to write, no page to copy (views derived
	 * again often come out as they were). */
	if (old.mv_size == len && (len == 0 || memcmp(old.mv_data, val, len) == 0))
		return 0;
	if ((rc = owners_update(t, k, old.mv_data, old.mv_size, val, len)) != 0)
		return rc;
	if (t->track && (rc = track_diff(t, k, old.mv_data, old.mv_size, val, len)) != 0)
		return rc;
	if (t->track_inputs && (rc = inputs_diff(t, k, old.mv_data, old.mv_size, val, len)) != 0)
		return rc;

	if (len == 0) {
		rc = mdb_del(t->txn, t->s->nodes, &mk, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return map_err(rc, "node del");
	} else if ((rc = mdb_put(t->txn, t->s->nodes, &mk, &mv, 0)) != 0) {
		return map_err(rc, "node put");
	}

	if (k->depth > 0) {
		if (len > 0 && node_rrset_find(val, len, RR_NS, &ns)) {
			rc = mdb_put(t->txn, t->s->cuts, &mk, &empty, 0);
		} else {
			rc = mdb_del(t->txn, t->s->cuts, &mk, NULL);
			if (rc == MDB_NOTFOUND)
				rc = 0;
		}
		if (rc != 0)
			return map_err(rc, "cut put");
	}

	uint32_t min = 0;
	if (len > 0 && node_expiry_min(val, len, &min))
		return expiry_put(t, min, k);
	return 0;
}

int
expiry_put(struct store_txn *t, uint32_t expire, const struct store_key *k)
{
	uint8_t ek[4 + STORE_KEY_MAX];
	MDB_val ekv = { 4 + (size_t)k->len, ek }, empty = { 0, "" };
	if (ekv.mv_size > 511)
		return DNSD_ETOOBIG;
	wire_put32(ek, expire);
	memcpy(ek + 4, k->b, k->len);
	return map_err(mdb_put(t->txn, t->s->expiry, &ekv, &empty, 0), "expiry put");
}

int
store_owner_count(struct store_txn *t, uint32_t zone_id, uint32_t tag, uint32_t *count)
{
	uint8_t kb[8];
	wire_put32(kb, zone_id);
	wire_put32(kb + 4, tag);
	MDB_val ok = { 8, kb }, ov;
	int rc = mdb_get(t->txn, t->s->owners, &ok, &ov);
	*count = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return map_err(rc, "owners get");
	if (ov.mv_size == 4)
		*count = wire_get32(ov.mv_data);
	return 0;
}

/* ---- load, edit, save ----------------------------------------------------- */

int
store_node_load(struct store_txn *t, const struct store_key *k, uint32_t now,
    struct node_edit *e)
{
	struct store_val v;
	int rc = store_node_get(t, k, &v);
	if (rc == DNSD_ENOTFOUND) {
		node_edit_clear(e);
		return 0;
	}
	if (rc == 0)
		rc = node_edit_load(e, v.data, v.len);
	if (rc == 0 && now != 0)
		node_edit_drop_expired(e, now);
	return rc;
}

int
store_node_save(struct store_txn *t, const struct store_key *k, struct node_edit *e)
{
	uint8_t small[1024], *buf = small;
	size_t need = node_edit_size(e);
	if (e->n == 0)
		return store_node_put(t, k, NULL, 0);
	if (need > sizeof(small) && (buf = malloc(need)) == NULL)
		return -ENOMEM;
	size_t len = node_edit_encode(e, buf);
	int rc = store_node_put(t, k, buf, len);
	if (buf != small)
		free(buf);
	return rc;
}

/* ---- the expiry index ----------------------------------------------------- */

int
store_expiry_first(struct store_txn *t, uint32_t *expire, struct store_key *k)
{
	MDB_cursor *cur;
	MDB_val mk, mv;
	int rc = mdb_cursor_open(t->txn, t->s->expiry, &cur);
	if (rc != 0)
		return map_err(rc, "cursor");
	rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST);
	if (rc == 0) {
		if (mk.mv_size < 8) {
			rc = DNSD_ESTORE;
		} else {
			*expire = wire_get32(mk.mv_data);
			rc = store_key_parse(k, (const uint8_t *)mk.mv_data + 4, mk.mv_size - 4);
		}
	} else {
		rc = map_err(rc, "expiry first");
	}
	mdb_cursor_close(cur);
	return rc;
}

int
store_expiry_del(struct store_txn *t, uint32_t expire, const struct store_key *k)
{
	uint8_t ek[4 + STORE_KEY_MAX];
	wire_put32(ek, expire);
	memcpy(ek + 4, k->b, k->len);
	MDB_val mk = { 4 + (size_t)k->len, ek };
	int rc = mdb_del(t->txn, t->s->expiry, &mk, NULL);
	return rc == MDB_NOTFOUND ? 0 : map_err(rc, "expiry del");
}

int
store_expiry_iter(struct store_txn *t,
    int (*fn)(void *arg, uint32_t expire, const struct store_key *k), void *arg)
{
	struct walk w;
	struct store_key k;
	int r = 0;

	walk_foreach(&w, t, t->s->expiry, NULL, 0) {
		const uint8_t *p = w.key.mv_data;
		if (w.key.mv_size < 8 || store_key_parse(&k, p + 4, w.key.mv_size - 4) != 0)
			continue;
		if ((r = fn(arg, wire_get32(p), &k)) != 0)
			break;
	}
	int rc = walk_end(&w, "expiry iter");
	return r != 0 ? r : rc;
}
