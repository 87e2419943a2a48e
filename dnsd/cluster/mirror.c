/* mirror.c -- etcd's changes applied to the store, the same way on every
 * node: events, resynchronisations, serials (mirror.h) */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/layout.h"
#include "cluster/mirror.h"
#include "conf/conf.h"
#include "node/node.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

#define EXPIRY_DROP_MAX 20000 /* stale expiry entries dropped per commit */

/* ---- batches ------------------------------------------------------------------- */

struct mirror_batch *
mirror_batch_new(bool snapshot)
{
	struct mirror_batch *b = calloc(1, sizeof(*b));
	if (b != NULL)
		b->snapshot = snapshot;
	return b;
}

int
mirror_batch_add(struct mirror_batch *b, bool deleted, int64_t rev, const void *key,
    size_t key_len, const void *value, size_t value_len)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct mirror_event *ev = realloc(b->ev, cap * sizeof(*ev));
		if (ev == NULL)
			return -ENOMEM;
		b->ev = ev;
		b->cap = cap;
	}
	uint8_t *m = malloc(key_len + value_len + 1);
	if (m == NULL)
		return -ENOMEM;
	memcpy(m, key, key_len);
	if (value_len > 0)
		memcpy(m + key_len, value, value_len);
	b->ev[b->n++] = (struct mirror_event){ deleted, rev, m, key_len, m + key_len, value_len };
	if (rev > b->rev)
		b->rev = rev;
	return 0;
}

void
mirror_batch_free(struct mirror_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->ev[i].key);
	free(b->ev);
	free(b);
}

uint32_t
mirror_serial(uint32_t base, int64_t rev)
{
	uint32_t s = base + (uint32_t)rev;
	return s != 0 ? s : 1; /* RFC 1982 allows 0; many tools take it for "unset" */
}

/* ---- one application --------------------------------------------------------------- */

struct zstate {
	struct store_mirror_zone m, before;
	bool moved; /* the serial revision moved: the serial follows */
};

struct apply {
	struct store_txn *t;
	const struct zonetab *zones;
	struct zstate *zs;           /* per zone index */
	struct svc_ctx sx;
	struct svc_instance *in;     /* scratch space for one instance */
};

static long
zone_index(const struct zonetab *zones, const uint8_t *apex)
{
	for (size_t i = 0; i < zones->n; i++)
		if (wire_name_equal(zones->z[i].apex, apex))
			return (long)i;
	return -1;
}

static long
zone_index_by_id(const struct zonetab *zones, uint32_t id)
{
	for (size_t i = 0; i < zones->n; i++)
		if (zones->z[i].id == id)
			return (long)i;
	return -1;
}

/* Data errors are logged and skipped; store errors stop the application. */
static int
skip_bad(int rc, const struct mirror_event *e, const char *what)
{
	if (rc == 0 || rc == DNSD_ENOTFOUND)
		return 0;
	if (rc == DNSD_EMALF || rc == DNSD_ETOOBIG) {
		size_t n = e != NULL ? e->key_len : 0;
		log_limited(LOG_LVL_WARN, "mirror: bad key", 10, "mirror: skipping %s %.*s: %s", what,
		    (int)(n < 300 ? n : 300), e != NULL ? (const char *)e->key : "", dnsd_strerror(rc));
		return 0;
	}
	return rc;
}

static bool
is_input(const struct node_erec *r)
{
	return (r->flags & NODE_RR_DYNAMIC) && !(r->flags & NODE_RR_VIEW);
}

/* A record's key was put or deleted: edit its node. */
static int
apply_record(struct apply *a, const struct zone *z, const struct layout_key *k,
    const struct mirror_event *e)
{
	struct layout_rec r;
	struct store_key sk;
	struct node_edit ed;
	bool changed = false;
	int rc = store_key_make(&sk, z->id, k->name, z->labels);
	if (rc != 0)
		return skip_bad(rc, e, "record");
	if (!e->deleted && (rc = layout_rec_decode(e->value, e->value_len, &r)) != 0)
		return skip_bad(rc, e, "record");
	node_edit_init(&ed);
	if ((rc = store_node_load(a->t, &sk, 0, &ed)) != 0)
		goto out;
	for (size_t i = ed.n; i-- > 0;) {
		const struct node_erec *x = &ed.recs[i];
		if (x->type != k->type || !is_input(x))
			continue;
		uint8_t h[LAYOUT_HASH_LEN];
		layout_rdata_hash(x->rdata, x->rdlen, h);
		if (memcmp(h, k->hash, LAYOUT_HASH_LEN) == 0) {
			node_edit_remove(&ed, i);
			changed = true;
		}
	}
	if (!e->deleted) {
		uint8_t flags = (uint8_t)((r.flags | NODE_RR_DYNAMIC) & ~NODE_RR_VIEW);
		rc = node_edit_append(&ed, k->type, r.ttl, r.expire, r.owner, flags, r.rdata, r.rdlen);
		if (rc != 0)
			goto out;
		node_edit_merge(&ed);
		/* The RRset takes the TTL of the record added, as an UPDATE
		 * gives it (update.c): zone-file records of the set too. */
		node_edit_set_ttl(&ed, k->type, r.ttl);
		changed = true;
	}
	if (changed)
		rc = store_node_save(a->t, &sk, &ed);
out:
	node_edit_free(&ed);
	return rc;
}

/* The decimal revision of a serial floor; 0 if it is not one. */
static int64_t
floor_value(const struct mirror_event *e)
{
	int64_t v = 0;
	if (e->value_len == 0 || e->value_len > 18)
		return 0;
	for (size_t i = 0; i < e->value_len; i++) {
		if (e->value[i] < '0' || e->value[i] > '9')
			return 0;
		v = v * 10 + (e->value[i] - '0');
	}
	return v;
}

static int
apply_event(struct apply *a, const struct mirror_event *e)
{
	struct layout_key k;
	layout_parse(e->key, e->key_len, &k);
	if (k.kind == LAYOUT_OTHER)
		return 0;
	long zi = zone_index(a->zones, k.zone);
	if (zi < 0)
		return 0; /* a zone this node does not serve */
	const struct zone *z = &a->zones->z[zi];
	struct zstate *s = &a->zs[zi];
	int rc;
	switch (k.kind) {
	case LAYOUT_INSTANCE:
		if (e->deleted)
			return skip_bad(svc_del(&a->sx, z, k.name), e, "instance");
		if ((rc = svc_decode(e->value, e->value_len, k.name, a->in)) != 0)
			return skip_bad(rc, e, "instance");
		return skip_bad(svc_put(&a->sx, z, a->in), e, "instance");
	case LAYOUT_RECORD:
		return skip_bad(apply_record(a, z, &k, e), e, "record");
	case LAYOUT_VERSION:
		s->m.version = e->deleted ? 0 : e->rev;
		return 0;
	case LAYOUT_SERIAL: {
		int64_t v = e->deleted ? 0 : floor_value(e);
		if (v > s->m.serial_rev) {
			s->m.serial_rev = v;
			s->moved = true;
		}
		return 0;
	}
	case LAYOUT_OTHER:
		break;
	}
	return 0;
}

/* The zones whose records changed since `mark` changed at revision `rev`. */
static int
note_changes(struct apply *a, size_t mark, int64_t rev)
{
	struct store_val v = store_changes_since(a->t, mark);
	const uint8_t *p = v.data, *end = v.data + v.len;
	struct store_jchange c;
	int rc;
	uint32_t last = 0;
	bool any = false;
	while ((rc = store_jchange_next(&p, end, &c)) == 1) {
		uint32_t id = wire_get32(c.key);
		if (any && id == last)
			continue;
		any = true;
		last = id;
		long zi = zone_index_by_id(a->zones, id);
		if (zi >= 0 && a->zs[zi].m.serial_rev < rev) {
			a->zs[zi].m.serial_rev = rev;
			a->zs[zi].moved = true;
		}
	}
	return rc;
}

/* Events, one revision at a time: the views are derived once per
 * revision (one etcd transaction), and a revision that changed what a
 * zone serves becomes its serial revision. */
static int
apply_changes(struct apply *a, const struct mirror_batch *b)
{
	int rc = 0;
	for (size_t i = 0; i < b->n && rc == 0;) {
		int64_t rev = b->ev[i].rev;
		size_t mark = store_changes_mark(a->t);
		for (; i < b->n && b->ev[i].rev == rev && rc == 0; i++)
			rc = apply_event(a, &b->ev[i]);
		if (rc == 0)
			rc = svc_flush(&a->sx);
		if (rc == 0)
			rc = note_changes(a, mark, rev);
	}
	return rc;
}

/* ---- resynchronisation: the whole data of each zone at one revision ------------------ */

/* One stored or snapshot entry, keyed by the store key of its name. */
struct sitem {
	struct store_key k;
	uint16_t type;
	const uint8_t *val;   /* snapshot: the etcd value; local: a copy */
	size_t len;
	bool local;
	const struct mirror_event *e;
};

static int
sitem_cmp(const void *pa, const void *pb)
{
	const struct sitem *x = pa, *y = pb;
	size_t n = x->k.len < y->k.len ? x->k.len : y->k.len;
	int c = memcmp(x->k.b, y->k.b, n);
	if (c != 0)
		return c;
	if (x->k.len != y->k.len)
		return x->k.len < y->k.len ? -1 : 1;
	/* snapshot entries before local ones of the same key */
	return (int)x->local - (int)y->local;
}

static bool
same_key(const struct sitem *x, const struct sitem *y)
{
	return x->k.len == y->k.len && memcmp(x->k.b, y->k.b, x->k.len) == 0;
}

struct slist {
	size_t n, cap;
	struct sitem *v;
};

static struct sitem *
slist_push(struct slist *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct sitem *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

static void
slist_free(struct slist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].local)
			free((void *)l->v[i].val);
	free(l->v);
}

static int
collect_local_instance(void *arg, struct store_val key, struct store_val val)
{
	struct slist *l = arg;
	struct sitem *s = slist_push(l);
	if (s == NULL)
		return -ENOMEM;
	if (store_key_parse(&s->k, key.data, key.len) != 0) {
		l->n--;
		return 0;
	}
	uint8_t *copy = malloc(val.len + 1);
	if (copy == NULL) {
		l->n--;
		return -ENOMEM;
	}
	memcpy(copy, val.data, val.len);
	s->val = copy;
	s->len = val.len;
	s->local = true;
	return 0;
}

/* Make the zone's instances those of the snapshot. */
static int
resync_instances(struct apply *a, const struct zone *z, struct slist *snap)
{
	struct slist loc = { 0 };
	uint8_t zid[4];
	uint8_t name[WIRE_NAME_MAX];
	wire_put32(zid, z->id);
	int rc = store_inst_walk(a->t, zid, 4, collect_local_instance, &loc);
	for (size_t i = 0; rc == 0 && i < loc.n; i++) {
		struct sitem *s = slist_push(snap);
		if (s == NULL)
			rc = -ENOMEM;
		else
			*s = loc.v[i];
	}
	if (rc == 0 && snap->n > 1)
		qsort(snap->v, snap->n, sizeof(snap->v[0]), sitem_cmp);
	for (size_t i = 0; rc == 0 && i < snap->n;) {
		/* sorted: a key's snapshot entry, then its local one, if any */
		const struct sitem *x = &snap->v[i];
		const struct sitem *y = i + 1 < snap->n && same_key(x, &snap->v[i + 1]) ? &snap->v[i + 1]
		                                                                       : NULL;
		i += y != NULL ? 2 : 1;
		if (store_key_to_name(x->k.b, x->k.len, z->apex, name) == 0)
			continue;
		if (x->local) { /* gone from etcd */
			rc = skip_bad(svc_del(&a->sx, z, name), NULL, "instance");
			continue;
		}
		if (y != NULL && y->len == x->len && memcmp(y->val, x->val, x->len) == 0)
			continue; /* the same as here */
		if ((rc = svc_decode(x->val, x->len, name, a->in)) != 0)
			rc = skip_bad(rc, x->e, "instance");
		else
			rc = skip_bad(svc_put(&a->sx, z, a->in), x->e, "instance");
	}
	/* the local copies belong to `loc` now too: free them once */
	for (size_t i = 0; i < snap->n; i++)
		if (snap->v[i].local)
			snap->v[i].local = false;
	slist_free(&loc);
	return rc;
}

static bool
node_has_input(struct store_val v)
{
	struct node_all_it it;
	struct node_rr rr;
	uint16_t type;
	node_all_init(&it, v.data, v.len);
	while (node_all_next(&it, &type, &rr))
		if ((rr.flags & NODE_RR_DYNAMIC) && !(rr.flags & NODE_RR_VIEW))
			return true;
	return false;
}

/* Make the zone's dynamic records (not views) those of the snapshot:
 * every node that has some here or there is rebuilt. */
static int
resync_records(struct apply *a, const struct zone *z, struct slist *snap)
{
	struct store_iter *it;
	struct store_val key, val;
	struct node_edit ed;
	int rc = store_iter_zone(a->t, z->id, &it);
	if (rc != 0)
		return rc;
	while ((rc = store_iter_next(it, &key, &val)) == 1) {
		if (!node_has_input(val))
			continue;
		struct sitem *s = slist_push(snap);
		if (s == NULL) {
			rc = -ENOMEM;
			break;
		}
		if (store_key_parse(&s->k, key.data, key.len) != 0)
			snap->n--;
		else
			s->local = true; /* a marker only: no value */
	}
	store_iter_free(it);
	if (rc < 0)
		return rc;
	if (snap->n > 1)
		qsort(snap->v, snap->n, sizeof(snap->v[0]), sitem_cmp);
	node_edit_init(&ed);
	rc = 0;
	for (size_t i = 0; rc == 0 && i < snap->n;) {
		const struct store_key *k = &snap->v[i].k;
		if ((rc = store_node_load(a->t, k, 0, &ed)) != 0)
			break;
		for (size_t r = ed.n; r-- > 0;)
			if (is_input(&ed.recs[r]))
				node_edit_remove(&ed, r);
		size_t j = i;
		for (; j < snap->n && same_key(&snap->v[i], &snap->v[j]) && rc == 0; j++) {
			const struct sitem *s = &snap->v[j];
			struct layout_rec lr;
			if (s->local)
				continue;
			if (layout_rec_decode(s->val, s->len, &lr) != 0) {
				skip_bad(DNSD_EMALF, s->e, "record");
				continue;
			}
			rc = node_edit_append(&ed, s->type, lr.ttl, lr.expire, lr.owner,
			    (uint8_t)((lr.flags | NODE_RR_DYNAMIC) & ~NODE_RR_VIEW), lr.rdata, lr.rdlen);
			node_edit_set_ttl(&ed, s->type, lr.ttl); /* as apply_record does */
		}
		node_edit_merge(&ed);
		if (rc == 0)
			rc = store_node_save(a->t, k, &ed);
		i = j;
	}
	node_edit_free(&ed);
	for (size_t i = 0; i < snap->n; i++)
		snap->v[i].local = false; /* markers hold no copies */
	return rc;
}

/* One zone of a snapshot at revision `rev`. */
static int
resync_zone(struct apply *a, size_t zi, const struct mirror_batch *b)
{
	const struct zone *z = &a->zones->z[zi];
	struct zstate *s = &a->zs[zi];
	struct slist inst = { 0 }, recs = { 0 };
	int64_t version = 0, floor = 0;
	int rc = 0;
	for (size_t i = 0; i < b->n && rc == 0; i++) {
		const struct mirror_event *e = &b->ev[i];
		struct layout_key k;
		layout_parse(e->key, e->key_len, &k);
		if (k.kind == LAYOUT_OTHER || !wire_name_equal(k.zone, z->apex))
			continue;
		if (k.kind == LAYOUT_VERSION) {
			version = e->rev;
			continue;
		}
		if (k.kind == LAYOUT_SERIAL) {
			floor = floor_value(e);
			continue;
		}
		struct slist *l = k.kind == LAYOUT_INSTANCE ? &inst : &recs;
		struct sitem *si = slist_push(l);
		if (si == NULL) {
			rc = -ENOMEM;
			break;
		}
		if (store_key_make(&si->k, z->id, k.name, z->labels) != 0) {
			l->n--;
			skip_bad(DNSD_ETOOBIG, e, "key");
			continue;
		}
		si->type = k.type;
		si->val = e->value;
		si->len = e->value_len;
		si->e = e;
	}
	if (rc == 0)
		rc = resync_instances(a, z, &inst);
	if (rc == 0)
		rc = resync_records(a, z, &recs);
	free(inst.v);
	free(recs.v);
	s->m.version = version;
	int64_t sr = b->rev > floor ? b->rev : floor;
	if (sr > s->m.serial_rev) {
		s->m.serial_rev = sr;
		s->moved = true;
	}
	return rc;
}

static int
apply_snapshot(struct apply *a, const struct mirror_batch *b)
{
	int rc = 0;
	for (size_t i = 0; i < a->zones->n && rc == 0; i++)
		rc = resync_zone(a, i, b);
	if (rc == 0)
		rc = svc_flush(&a->sx);
	return rc;
}

/* ---- serials ----------------------------------------------------------------------- */

/* Set the zone's serial to `want`, journaling the changes tracked for it
 * between the old serial and the new one. */
static int
set_serial(struct store_txn *t, const struct zone *z, uint32_t want, bool *changed)
{
	struct store_soa old, now;
	int rc = zone_soa(t, z, &old);
	if (rc != 0)
		return rc;
	uint32_t have = node_soa_serial(old.rdata, old.rdlen);
	if (have == want)
		return 0;
	if ((rc = zone_set_serial(t, z, want)) != 0 || (rc = zone_soa(t, z, &now)) != 0)
		return rc;
	*changed = true;
	if (!wire_serial_gt(want, have)) {
		/* An IXFR chain cannot go back: secondaries start again from AXFR. */
		log_warn("zone %s: serial %u goes back to %u (did the zone file's serial go down?)",
		    z->name, have, want);
		return store_journal_clear(t, z->id);
	}
	return store_journal_add(t, z->id, have, want, &old, &now, z->conf->journal_max);
}

/* Drop the expiry entries that are due: no reaper consumes them in
 * cluster mode (etcd deletes what expires, and every node hears it). */
static int
drop_due_expiry(struct store_txn *t, uint32_t now)
{
	struct store_key k;
	uint32_t e;
	int rc;
	for (unsigned i = 0; i < EXPIRY_DROP_MAX; i++) {
		if ((rc = store_expiry_first(t, &e, &k)) != 0)
			return rc == DNSD_ENOTFOUND ? 0 : rc;
		if (e > now)
			return 0;
		if ((rc = store_expiry_del(t, e, &k)) != 0)
			return rc;
	}
	return 0;
}

int
mirror_apply(struct store_txn *t, const struct zonetab *zones, const uint32_t *base,
    const char *prefix, const struct mirror_batch *batches, uint32_t now, bool *changed,
    bool *catalog, uint64_t *index)
{
	struct apply a = { .t = t, .zones = zones };
	int64_t rev = 0;
	int rc = 0;
	*catalog = false;
	*index = 0;
	a.zs = calloc(zones->n + 1, sizeof(*a.zs));
	a.in = malloc(sizeof(*a.in));
	if (a.zs == NULL || a.in == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	svc_ctx_init(&a.sx, t, zones, 0);
	if ((rc = store_mirror_get(t, &rev, NULL, 0)) != 0)
		goto out;
	for (size_t i = 0; i < zones->n && rc == 0; i++) {
		changed[i] = false;
		rc = store_mirror_zone_get(t, zones->z[i].apex, &a.zs[i].m);
		a.zs[i].before = a.zs[i].m;
	}
	for (const struct mirror_batch *b = batches; b != NULL && rc == 0; b = b->next) {
		rc = b->snapshot ? apply_snapshot(&a, b) : apply_changes(&a, b);
		if (b->rev > rev)
			rev = b->rev;
	}
	for (size_t i = 0; i < zones->n && rc == 0; i++) {
		struct zstate *s = &a.zs[i];
		const struct zone *z = &zones->z[i];
		if (store_changes_pending(t, z->id) && !s->moved) {
			s->m.serial_rev = rev; /* cannot happen; never lose a change */
			s->moved = true;
		}
		if (s->moved)
			rc = set_serial(t, z, mirror_serial(base[i], s->m.serial_rev), &changed[i]);
		if (rc == 0 && memcmp(&s->m, &s->before, sizeof(s->m)) != 0)
			rc = store_mirror_zone_put(t, z->apex, &s->m);
	}
	if (rc == 0)
		rc = store_mirror_put(t, rev, prefix);
	if (rc == 0)
		rc = drop_due_expiry(t, now);
	if (rc == 0 && a.sx.changed) {
		*catalog = true;
		rc = store_catalog_bump(t, index);
	}
out:
	svc_ctx_free(&a.sx); /* (after an error: what was left to derive) */
	free(a.zs);
	free(a.in);
	return rc;
}

int
mirror_fix_serials(struct store_txn *t, const struct zonetab *zones, const uint32_t *base,
    bool *changed)
{
	int rc = 0;
	for (size_t i = 0; i < zones->n && rc == 0; i++) {
		struct store_mirror_zone m;
		changed[i] = false;
		if ((rc = store_mirror_zone_get(t, zones->z[i].apex, &m)) == 0)
			rc = set_serial(t, &zones->z[i], mirror_serial(base[i], m.serial_rev), &changed[i]);
	}
	return rc;
}
