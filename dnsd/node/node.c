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
