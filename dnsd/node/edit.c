/* edit.c -- the editable form of a node (node.h, "Editable form")
 *
 * An edit is an array of records. So that an UPDATE of k records at a
 * name of n costs about k, not k x n, the edit keeps two aids of its own:
 *
 *  - an index of its records by type and RDATA (open addressing, keyed by
 *    a hash of the type and the RDATA with the names folded to lower
 *    case, as node_rdata_equal compares). node_edit_find builds it when
 *    the edit first has NODE_EDIT_INDEX_MIN records; adding and removing
 *    records keep it; sorting (merge, encode) drops it until the next
 *    find. A slot holds a record's index + 1; 0 is empty, SLOT_GONE a
 *    removed entry that probes walk past.
 *
 *  - a table of the types present, each with its count and whether all
 *    its records have one TTL (node_edit_count, node_edit_set_ttl). It is
 *    kept while the edit has at most NODE_EDIT_TYPES types, and made again
 *    from the records by a scan when it was dropped.
 *
 * Code outside this file that writes recs[] directly calls
 * node_edit_touch, which drops both.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "util/err.h"
#include "wire/wire.h"

#define SLOT_GONE UINT32_MAX

void
node_edit_init(struct node_edit *e)
{
	memset(e, 0, sizeof(*e));
	e->tc_ok = true; /* no records: no types, which the table says */
}

void
node_edit_touch(struct node_edit *e)
{
	e->idx_ok = false;
	e->tc_ok = false;
}

void
node_edit_clear(struct node_edit *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->recs[i].rdata);
	e->n = 0;
	e->idx_ok = false;
	e->ntc = 0;
	e->tc_ok = true;
	e->tc_over = false;
}

void
node_edit_free(struct node_edit *e)
{
	if (e == NULL)
		return;
	node_edit_clear(e);
	free(e->recs);
	free(e->idx);
	e->recs = NULL;
	e->idx = NULL;
	e->cap = e->idx_cap = 0;
}

/* ---- the types table ---- */

/* The entry of `type`, or NULL if the edit has no record of it. Makes the
 * table again if it was dropped; *ok false: it cannot be had (more than
 * NODE_EDIT_TYPES types), and the caller scans the records itself. */
static struct node_tcount *
tc_get(struct node_edit *e, uint16_t type, bool *ok)
{
	*ok = true;
	if (!e->tc_ok) {
		if (e->tc_over) {
			*ok = false;
			return NULL;
		}
		e->ntc = 0;
		for (size_t i = 0; i < e->n; i++) {
			const struct node_erec *r = &e->recs[i];
			unsigned j = 0;
			while (j < e->ntc && e->tc[j].type != r->type)
				j++;
			if (j == e->ntc) {
				if (e->ntc == NODE_EDIT_TYPES) {
					e->tc_over = true; /* until the edit is cleared */
					*ok = false;
					return NULL;
				}
				e->tc[e->ntc++] = (struct node_tcount){ r->type, 0, r->ttl, true };
			}
			e->tc[j].n++;
			if (e->tc[j].ttl != r->ttl)
				e->tc[j].same_ttl = false;
		}
		e->tc_ok = true;
	}
	for (unsigned j = 0; j < e->ntc; j++)
		if (e->tc[j].type == type)
			return &e->tc[j];
	return NULL;
}

/* A record of `type` with `ttl` came in. */
static void
tc_added(struct node_edit *e, uint16_t type, uint32_t ttl)
{
	if (!e->tc_ok)
		return;
	for (unsigned j = 0; j < e->ntc; j++) {
		if (e->tc[j].type == type) {
			e->tc[j].n++;
			if (e->tc[j].ttl != ttl)
				e->tc[j].same_ttl = false;
			return;
		}
	}
	if (e->ntc == NODE_EDIT_TYPES)
		e->tc_ok = false; /* made again, or found too big, when asked */
	else
		e->tc[e->ntc++] = (struct node_tcount){ type, 1, ttl, true };
}

/* A record of `type` went. */
static void
tc_removed(struct node_edit *e, uint16_t type)
{
	if (!e->tc_ok)
		return;
	for (unsigned j = 0; j < e->ntc; j++) {
		if (e->tc[j].type == type) {
			if (--e->tc[j].n == 0)
				e->tc[j] = e->tc[--e->ntc];
			return;
		}
	}
}

/* ---- the index ---- */

/* FNV-1a over the type and the RDATA, letters folded where
 * node_rdata_equal folds them (and, harmlessly, in the numbers around
 * the names too: equal records still hash equal). */
static uint64_t
rec_hash(uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	uint64_t h = 14695981039346656037ull;
	bool fold = wire_type_has_names(type) || type == RR_SRV;
	h = (h ^ (type >> 8)) * 1099511628211ull;
	h = (h ^ (type & 0xff)) * 1099511628211ull;
	for (uint16_t i = 0; i < rdlen; i++) {
		uint8_t c = rdata[i];
		if (fold && c >= 'A' && c <= 'Z')
			c += 32;
		h = (h ^ c) * 1099511628211ull;
	}
	return h ^ (h >> 29);
}

/* Put record i into the index (which has room: see idx_build). */
static void
idx_put(struct node_edit *e, size_t i)
{
	const struct node_erec *r = &e->recs[i];
	size_t mask = e->idx_cap - 1;
	size_t s = (size_t)rec_hash(r->type, r->rdata, r->rdlen) & mask;
	while (e->idx[s] != 0 && e->idx[s] != SLOT_GONE)
		s = (s + 1) & mask;
	if (e->idx[s] == 0)
		e->idx_fill++;
	e->idx[s] = (uint32_t)i + 1;
}

/* Index every record, in a table at most half full. */
static int
idx_build(struct node_edit *e)
{
	size_t cap = 64;
	while (cap < 2 * (e->n + 1))
		cap *= 2;
	if (e->n >= SLOT_GONE - 1)
		return -ENOMEM; /* more records than a slot can name */
	if (cap != e->idx_cap) {
		uint32_t *t = realloc(e->idx, cap * sizeof(*t));
		if (t == NULL)
			return -ENOMEM;
		e->idx = t;
		e->idx_cap = cap;
	}
	memset(e->idx, 0, cap * sizeof(*e->idx));
	e->idx_fill = 0;
	for (size_t i = 0; i < e->n; i++)
		idx_put(e, i);
	e->idx_ok = true;
	return 0;
}

/* The slot that holds record i, or SIZE_MAX if none does: a record
 * changed in place without node_edit_touch. Bounded, so that such a
 * mistake costs the index, not a hang. */
static size_t
idx_slot_of(const struct node_edit *e, size_t i)
{
	const struct node_erec *r = &e->recs[i];
	size_t mask = e->idx_cap - 1;
	size_t s = (size_t)rec_hash(r->type, r->rdata, r->rdlen) & mask;
	for (size_t n = 0; n < e->idx_cap; n++, s = (s + 1) & mask)
		if (e->idx[s] == (uint32_t)i + 1)
			return s;
	return SIZE_MAX;
}

/* Record i, just appended, into a current index (made anew past 3/4). */
static void
idx_added(struct node_edit *e, size_t i)
{
	if (!e->idx_ok)
		return;
	if ((e->idx_fill + 1) * 4 > e->idx_cap * 3) {
		if (idx_build(e) != 0)
			e->idx_ok = false;
		return; /* idx_build indexed record i too */
	}
	idx_put(e, i);
}

/* Record i goes and the last record takes its place. */
static void
idx_removing(struct node_edit *e, size_t i)
{
	if (!e->idx_ok)
		return;
	size_t last = e->n - 1;
	size_t si = idx_slot_of(e, i), sl = i != last ? idx_slot_of(e, last) : si;
	if (si == SIZE_MAX || sl == SIZE_MAX) {
		e->idx_ok = false; /* made again at the next find */
		return;
	}
	e->idx[si] = SLOT_GONE;
	if (i != last)
		e->idx[sl] = (uint32_t)i + 1;
}

/* ---- records ---- */

static int
edit_push(struct node_edit *e, uint16_t type, uint32_t ttl, uint32_t expire, uint32_t owner,
    uint8_t flags, const uint8_t *rdata, uint16_t rdlen)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		struct node_erec *r = realloc(e->recs, cap * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		e->recs = r;
		e->cap = cap;
	}
	uint8_t *copy = malloc(rdlen ? rdlen : 1);
	if (copy == NULL)
		return -ENOMEM;
	if (rdlen > 0) /* empty RDATA may come as NULL */
		memcpy(copy, rdata, rdlen);
	e->recs[e->n++] = (struct node_erec){ type, ttl, expire, owner, flags, rdlen, copy };
	idx_added(e, e->n - 1);
	tc_added(e, type, ttl);
	return 0;
}

int
node_edit_load(struct node_edit *e, const uint8_t *val, size_t len)
{
	struct node_all_it a;
	struct node_rr rr;
	uint16_t type;
	node_edit_clear(e);
	node_all_init(&a, val, len);
	while (node_all_next(&a, &type, &rr)) {
		int r = edit_push(e, type, rr.ttl, rr.expire, rr.owner, rr.flags, rr.rdata, rr.rdlen);
		if (r != 0)
			return r;
	}
	return a.it.err;
}

long
node_edit_find(struct node_edit *e, uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	if (e->n >= NODE_EDIT_INDEX_MIN && (e->idx_ok || idx_build(e) == 0)) {
		size_t mask = e->idx_cap - 1;
		for (size_t s = (size_t)rec_hash(type, rdata, rdlen) & mask; e->idx[s] != 0;
		     s = (s + 1) & mask) {
			if (e->idx[s] == SLOT_GONE)
				continue;
			const struct node_erec *r = &e->recs[e->idx[s] - 1];
			if (r->type == type && node_rdata_equal(type, r->rdata, r->rdlen, rdata, rdlen))
				return (long)(e->idx[s] - 1);
		}
		return -1;
	}
	for (size_t i = 0; i < e->n; i++)
		if (e->recs[i].type == type &&
		    node_rdata_equal(type, e->recs[i].rdata, e->recs[i].rdlen, rdata, rdlen))
			return (long)i;
	return -1;
}

size_t
node_edit_count(struct node_edit *e, uint16_t type)
{
	if (type == RR_ANY)
		return e->n;
	bool ok;
	const struct node_tcount *c = tc_get(e, type, &ok);
	if (ok)
		return c != NULL ? c->n : 0;
	size_t n = 0;
	for (size_t i = 0; i < e->n; i++)
		n += e->recs[i].type == type;
	return n;
}

int
node_edit_add(struct node_edit *e, uint16_t type, uint32_t ttl, uint32_t expire,
    uint32_t owner, uint8_t flags, const uint8_t *rdata, uint16_t rdlen)
{
	long i = node_edit_find(e, type, rdata, rdlen);
	if (i < 0) {
		int r = edit_push(e, type, ttl, expire, owner, flags, rdata, rdlen);
		return r != 0 ? r : 1;
	}
	struct node_erec *rec = &e->recs[i];
	if (rec->ttl != ttl) {
		/* One record's TTL changes: the type's TTLs may now differ. */
		bool ok;
		struct node_tcount *c = tc_get(e, type, &ok);
		if (c != NULL)
			c->same_ttl = c->n == 1;
		if (c != NULL && c->n == 1)
			c->ttl = ttl;
		rec->ttl = ttl;
	}
	/* A record from the zone file never expires; a dynamic one takes its
	 * owner's new lease, or lives as long as the longest of several. */
	if ((rec->flags & NODE_RR_DYNAMIC) && (flags & NODE_RR_DYNAMIC)) {
		if (rec->owner == owner) {
			rec->expire = expire;
		} else if (rec->expire != 0 && (expire == 0 || expire > rec->expire)) {
			/* The record now lives by this owner's lease. */
			rec->expire = expire;
			rec->owner = owner;
		}
	} else if (!(flags & NODE_RR_DYNAMIC)) {
		rec->flags = flags;
		rec->expire = 0;
		rec->owner = 0;
	}
	return 0;
}

bool
node_edit_set_ttl(struct node_edit *e, uint16_t type, uint32_t ttl)
{
	bool ok;
	struct node_tcount *c = tc_get(e, type, &ok);
	if (ok && (c == NULL || (c->same_ttl && c->ttl == ttl)))
		return false; /* no record of the type, or all have it already */
	bool changed = false;
	for (size_t i = 0; i < e->n; i++) {
		if (e->recs[i].type == type && e->recs[i].ttl != ttl) {
			e->recs[i].ttl = ttl;
			changed = true;
		}
	}
	if (c != NULL) {
		c->ttl = ttl;
		c->same_ttl = true;
	}
	return changed;
}

void
node_edit_remove(struct node_edit *e, size_t i)
{
	idx_removing(e, i);
	tc_removed(e, e->recs[i].type);
	free(e->recs[i].rdata);
	e->recs[i] = e->recs[--e->n];
}

size_t
node_edit_drop_expired(struct node_edit *e, uint32_t now)
{
	size_t n = 0;
	for (size_t i = e->n; i-- > 0;) {
		if (e->recs[i].expire != 0 && e->recs[i].expire <= now) {
			node_edit_remove(e, i);
			n++;
		}
	}
	return n;
}

size_t
node_edit_size(const struct node_edit *e)
{
	size_t n = 0;
	for (size_t i = 0; i < e->n; i++)
		n += 4 + NODE_RR_HDR + e->recs[i].rdlen; /* worst case: one set each */
	return n;
}

static int
erec_cmp(const void *a, const void *b)
{
	const struct node_erec *x = a, *y = b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	/* Within a type, order by RDATA so that equal sets encode equally. */
	size_t n = x->rdlen < y->rdlen ? x->rdlen : y->rdlen;
	int c = memcmp(x->rdata, y->rdata, n);
	if (c != 0)
		return c;
	return (int)x->rdlen - (int)y->rdlen;
}

int
node_edit_append(struct node_edit *e, uint16_t type, uint32_t ttl, uint32_t expire,
    uint32_t owner, uint8_t flags, const uint8_t *rdata, uint16_t rdlen)
{
	return edit_push(e, type, ttl, expire, owner, flags, rdata, rdlen);
}

/* Keep in `a` what a node keeps of two identical records: a static one
 * wins (never expires), else the longer lease with its owner. */
static void
merge_pair(struct node_erec *a, const struct node_erec *b)
{
	if (!(a->flags & NODE_RR_DYNAMIC))
		return;
	if (!(b->flags & NODE_RR_DYNAMIC) ||
	    (a->expire != 0 && (b->expire == 0 || b->expire > a->expire))) {
		a->expire = b->expire;
		a->owner = b->owner;
		a->flags = b->flags;
	}
}

void
node_edit_merge(struct node_edit *e)
{
	if (e->n < 2)
		return;
	qsort(e->recs, e->n, sizeof(*e->recs), erec_cmp);
	size_t o = 0;
	for (size_t i = 1; i < e->n; i++) {
		if (erec_cmp(&e->recs[o], &e->recs[i]) == 0) {
			merge_pair(&e->recs[o], &e->recs[i]);
			free(e->recs[i].rdata);
			continue;
		}
		e->recs[++o] = e->recs[i];
	}
	e->n = o + 1;
	node_edit_touch(e); /* reordered, and fewer */
}

size_t
node_edit_encode(struct node_edit *e, uint8_t *out)
{
	size_t o = 0, i = 0;
	if (e->n > 1) { /* an empty edit has no array at all: qsort(NULL) is undefined */
		qsort(e->recs, e->n, sizeof(*e->recs), erec_cmp);
		e->idx_ok = false; /* reordered; the types table still holds */
	}
	while (i < e->n) {
		size_t j = i;
		while (j < e->n && e->recs[j].type == e->recs[i].type && j - i < 0xffff)
			j++;
		wire_put16(out + o, e->recs[i].type);
		wire_put16(out + o + 2, (uint16_t)(j - i));
		o += 4;
		for (; i < j; i++) {
			const struct node_erec *r = &e->recs[i];
			wire_put32(out + o, r->ttl);
			wire_put32(out + o + 4, r->expire);
			wire_put32(out + o + 8, r->owner);
			out[o + 12] = r->flags;
			wire_put16(out + o + 13, r->rdlen);
			memcpy(out + o + NODE_RR_HDR, r->rdata, r->rdlen);
			o += NODE_RR_HDR + r->rdlen;
		}
	}
	return o;
}
