/* node.c -- encode, decode and edit node values (see node.h) */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "util/err.h"
#include "wire/wire.h"

void
node_it_init(struct node_it *it, const uint8_t *val, size_t len)
{
	it->p = val;
	it->end = len > 0 ? val + len : val; /* no arithmetic on NULL */
	it->err = 0;
}

bool
node_it_next(struct node_it *it, struct node_rrset *set)
{
	if (it->err != 0 || it->p >= it->end)
		return false;
	if (it->end - it->p < 4)
		goto bad;
	set->type = wire_get16(it->p);
	set->count = wire_get16(it->p + 2);
	const uint8_t *p = it->p + 4;
	set->rrs = p;
	for (uint16_t i = 0; i < set->count; i++) {
		if (it->end - p < NODE_RR_HDR)
			goto bad;
		uint16_t rdlen = wire_get16(p + 13);
		if ((size_t)(it->end - p) < NODE_RR_HDR + (size_t)rdlen)
			goto bad;
		p += NODE_RR_HDR + rdlen;
	}
	set->end = p;
	it->p = p;
	return true;
bad:
	it->err = DNSD_EMALF;
	return false;
}

bool
node_rrset_find(const uint8_t *val, size_t len, uint16_t type, struct node_rrset *set)
{
	struct node_it it;
	node_it_init(&it, val, len);
	while (node_it_next(&it, set)) {
		if (set->type == type)
			return true;
		if (set->type > type)
			return false;
	}
	return false;
}

void
node_all_init(struct node_all_it *a, const uint8_t *val, size_t len)
{
	node_it_init(&a->it, val, len);
	a->in_set = false;
}

bool
node_all_next(struct node_all_it *a, uint16_t *type, struct node_rr *rr)
{
	for (;;) {
		if (a->in_set && node_rr_next(&a->ri, rr)) {
			*type = a->set.type;
			return true;
		}
		if (!node_it_next(&a->it, &a->set))
			return false;
		node_rr_it_init(&a->ri, &a->set);
		a->in_set = true;
	}
}

bool
node_rrset_live(const struct node_rrset *set, uint32_t now)
{
	struct node_live_it it;
	struct node_rr rr;
	node_live_init(&it, set, now);
	return node_live_next(&it, &rr);
}

bool
node_live_find(const uint8_t *val, size_t len, uint16_t type, uint32_t now,
    struct node_rrset *set)
{
	return node_rrset_find(val, len, type, set) && node_rrset_live(set, now);
}

bool
node_live_sets_next(struct node_it *it, uint32_t now, struct node_rrset *set)
{
	while (node_it_next(it, set))
		if (node_rrset_live(set, now))
			return true;
	return false;
}

bool
node_has_live(const uint8_t *val, size_t len, uint32_t now)
{
	struct node_it it;
	struct node_rrset set;
	node_it_init(&it, val, len);
	while (node_it_next(&it, &set))
		if (node_rrset_live(&set, now))
			return true;
	return false;
}

uint32_t
node_stable_until(const uint8_t *val, size_t len, uint32_t now)
{
	struct node_all_it a;
	struct node_rr rr;
	uint16_t type;
	uint32_t until = UINT32_MAX;
	node_all_init(&a, val, len);
	while (node_all_next(&a, &type, &rr)) {
		if (rr.expire == 0 || rr.expire <= now)
			continue; /* static, or already gone: it stays as it is */
		/* TTL cut by the lease from now on: it changes every second. */
		uint32_t t = rr.expire - now - 1 < rr.ttl ? now + 1 : rr.expire - rr.ttl;
		if (t < until)
			until = t;
	}
	return until;
}

void
node_edit_init(struct node_edit *e)
{
	e->n = e->cap = 0;
	e->recs = NULL;
}

void
node_edit_clear(struct node_edit *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->recs[i].rdata);
	e->n = 0;
}

void
node_edit_free(struct node_edit *e)
{
	if (e == NULL)
		return;
	node_edit_clear(e);
	free(e->recs);
	e->recs = NULL;
	e->cap = 0;
}

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

/* Names inside RDATA compare case-insensitively for the RFC 1035 types
 * and SRV (RFC 4034 section 6.2); everything else, including the numbers
 * around those names (MX preference, SRV port, SOA serial), byte for byte. */
bool
node_rdata_equal(uint16_t type, const uint8_t *a, uint16_t alen,
    const uint8_t *b, uint16_t blen)
{
	if (alen != blen)
		return false;
	if (!wire_type_has_names(type) && type != RR_SRV)
		return memcmp(a, b, alen) == 0;
	/* `skip` fixed bytes, then `names` names, then fixed bytes again. */
	size_t skip = type == RR_MX ? 2 : type == RR_SRV ? 6 : 0, i = 0;
	unsigned names = type == RR_SOA || type == 14 /* MINFO */ ? 2 : 1;
	if (alen < skip)
		return memcmp(a, b, alen) == 0;
	if (memcmp(a, b, skip) != 0)
		return false;
	for (i = skip; names > 0; names--) {
		size_t n = wire_name_check(a + i, alen - i);
		if (n == 0 || n != wire_name_check(b + i, blen - i))
			break; /* not a name: compare the rest exactly */
		for (size_t j = i; j < i + n; j++) {
			uint8_t x = a[j], y = b[j];
			if (x >= 'A' && x <= 'Z')
				x += 32;
			if (y >= 'A' && y <= 'Z')
				y += 32;
			if (x != y)
				return false;
		}
		i += n;
	}
	return memcmp(a + i, b + i, alen - i) == 0;
}

long
node_edit_find(const struct node_edit *e, uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->recs[i].type == type &&
		    node_rdata_equal(type, e->recs[i].rdata, e->recs[i].rdlen, rdata, rdlen))
			return (long)i;
	return -1;
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
	rec->ttl = ttl;
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
	bool changed = false;
	for (size_t i = 0; i < e->n; i++) {
		if (e->recs[i].type == type && e->recs[i].ttl != ttl) {
			e->recs[i].ttl = ttl;
			changed = true;
		}
	}
	return changed;
}

void
node_edit_remove(struct node_edit *e, size_t i)
{
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
}

size_t
node_edit_encode(struct node_edit *e, uint8_t *out)
{
	size_t o = 0, i = 0;
	if (e->n > 1) /* an empty edit has no array at all: qsort(NULL) is undefined */
		qsort(e->recs, e->n, sizeof(*e->recs), erec_cmp);
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

uint32_t
node_owner_tag(const uint8_t *key_name)
{
	uint32_t h = 2166136261u;
	size_t n = wire_name_len(key_name);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = key_name[i];
		if (c >= 'A' && c <= 'Z')
			c += 32;
		h = (h ^ c) * 16777619u;
	}
	return h ? h : 1;
}

/* Offset of the 20 fixed bytes after MNAME and RNAME, or 0 if malformed. */
static size_t
soa_fixed(const uint8_t *rdata, uint16_t rdlen)
{
	size_t m = wire_name_check(rdata, rdlen);
	if (m == 0)
		return 0;
	size_t r = wire_name_check(rdata + m, rdlen - m);
	if (r == 0 || m + r + 20 != rdlen)
		return 0;
	return m + r;
}

uint32_t
node_soa_serial(const uint8_t *rdata, uint16_t rdlen)
{
	size_t o = soa_fixed(rdata, rdlen);
	return o ? wire_get32(rdata + o) : 0;
}

void
node_soa_set_serial(uint8_t *rdata, uint16_t rdlen, uint32_t serial)
{
	size_t o = soa_fixed(rdata, rdlen);
	if (o)
		wire_put32(rdata + o, serial);
}

uint32_t
node_soa_minimum(const uint8_t *rdata, uint16_t rdlen)
{
	size_t o = soa_fixed(rdata, rdlen);
	return o ? wire_get32(rdata + o + 16) : 0;
}
