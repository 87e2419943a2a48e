/* zone.c -- the table of served zones and SOA serial handling */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "node/node.h"
#include "store/store.h"
#include "util/err.h"
#include "wire/wire.h"
#include "zone/zone.h"

const struct zone *
zonetab_find(const struct zonetab *t, const uint8_t *name)
{
	const struct zone *best = NULL;
	unsigned nl = wire_name_labels(name);
	for (size_t i = 0; i < t->n; i++) {
		const struct zone *z = &t->z[i];
		if (z->labels > nl || (best != NULL && z->labels <= best->labels))
			continue;
		if (wire_name_equal(wire_name_skip_labels(name, nl - z->labels), z->apex))
			best = z;
	}
	return best;
}

int
zone_soa(struct store_txn *t, const struct zone *z, struct store_soa *soa)
{
	struct store_key k;
	struct store_val v;
	struct node_rrset set;
	struct node_rr_it it;
	struct node_rr rr;
	int rc = store_key_make(&k, z->id, z->apex, z->labels);
	if (rc == 0)
		rc = store_node_get(t, &k, &v);
	if (rc != 0)
		return rc;
	if (!node_rrset_find(v.data, v.len, RR_SOA, &set))
		return DNSD_ENOTFOUND;
	node_rr_it_init(&it, &set);
	if (!node_rr_next(&it, &rr) || rr.rdlen > sizeof(soa->rdata))
		return DNSD_ENOTFOUND;
	soa->ttl = rr.ttl;
	soa->rdlen = rr.rdlen;
	memcpy(soa->rdata, rr.rdata, rr.rdlen);
	return 0;
}

int
zone_journal_change(struct store_txn *t, const struct zone *z, const struct store_soa *old,
    uint32_t *serial)
{
	struct store_soa now;
	uint32_t floor = node_soa_serial(old->rdata, old->rdlen) + 1;
	int rc = zone_bump_serial(t, z, floor ? floor : 1, serial);
	if (rc == 0)
		rc = zone_soa(t, z, &now);
	if (rc == 0)
		rc = store_journal_add(t, z->id, node_soa_serial(old->rdata, old->rdlen), *serial, old,
		    &now, z->conf->journal_max);
	return rc;
}

int
zone_serial(struct store_txn *t, const struct zone *z, uint32_t *serial)
{
	struct store_soa soa;
	int rc = zone_soa(t, z, &soa);
	if (rc == 0)
		*serial = node_soa_serial(soa.rdata, soa.rdlen);
	return rc;
}

/* Rewrite the apex SOA's serial: to `set` when `exact`, else to one past
 * the current serial or `floor`, whichever is ahead. */
static int
soa_serial_edit(struct store_txn *t, const struct zone *z, bool exact, uint32_t set,
    uint32_t *serial);

int
zone_set_serial(struct store_txn *t, const struct zone *z, uint32_t serial)
{
	uint32_t s;
	return soa_serial_edit(t, z, true, serial, &s);
}

int
zone_bump_serial(struct store_txn *t, const struct zone *z, uint32_t floor, uint32_t *serial)
{
	return soa_serial_edit(t, z, false, floor, serial);
}

static int
soa_serial_edit(struct store_txn *t, const struct zone *z, bool exact, uint32_t floor,
    uint32_t *serial)
{
	struct store_key k;
	struct node_edit e;
	int rc = store_key_make(&k, z->id, z->apex, z->labels);
	if (rc != 0)
		return rc;
	node_edit_init(&e);
	/* now 0: the apex is rewritten as it is, expired records included;
	 * removing those is the reaper's (it journals them). */
	if ((rc = store_node_load(t, &k, 0, &e)) != 0)
		goto out;
	rc = DNSD_ENOTFOUND; /* no SOA, or no apex node at all */
	for (size_t i = 0; i < e.n; i++) {
		struct node_erec *r = &e.recs[i];
		if (r->type != RR_SOA)
			continue;
		uint32_t s = node_soa_serial(r->rdata, r->rdlen) + 1;
		if (s == 0)
			s = 1; /* RFC 1982 allows 0, but many tools treat it as unset */
		if (exact || wire_serial_gt(floor, s))
			s = floor;
		node_soa_set_serial(r->rdata, r->rdlen, s);
		node_edit_touch(&e); /* a record changed in place */
		*serial = s;
		rc = 0;
		break;
	}
	if (rc == 0)
		rc = store_node_save(t, &k, &e);
out:
	node_edit_free(&e);
	return rc;
}

int
zone_serials(struct store *s, const struct zonetab *t, uint32_t *serials)
{
	struct store_txn *txn;
	int rc = store_read_begin(s, &txn), missing = 0;
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < t->n; i++) {
		struct store_zone sz;
		struct zone z = t->z[i];
		serials[i] = 0;
		if (store_zone_get(txn, z.apex, &sz) != 0) {
			missing++;
			continue;
		}
		z.id = sz.id;
		if (zone_serial(txn, &z, &serials[i]) != 0)
			serials[i] = 0;
	}
	store_abort(txn);
	return missing;
}

int
zone_touch(struct store *s, const struct zone *z)
{
	struct store_txn *t;
	struct store_zone sz;
	int rc = store_write_begin(s, &t);
	if (rc != 0)
		return rc;
	if ((rc = store_zone_get(t, z->apex, &sz)) != 0 ||
	    (rc = store_zone_put(t, z->apex, &sz)) != 0) {
		store_abort(t);
		return rc;
	}
	return store_commit(t);
}
