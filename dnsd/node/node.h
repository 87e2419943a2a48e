/* node.h -- the value format of one node (owner name): all its RRsets.
 *
 * A node value is what the store keeps for one owner name; one lookup
 * therefore decides answer, NODATA or NXDOMAIN. Pure byte code: no LMDB,
 * no allocation on the read side.
 *
 * Format (all integers big-endian):
 *
 *   node   := rrset*                      rrsets sorted by type, no repeats
 *   rrset  := type:u16 count:u16 rr{count}
 *   rr     := ttl:u32 expire:u32 owner:u32 flags:u8 rdlen:u16 rdata{rdlen}
 *
 *   expire  absolute time (seconds since the epoch) after which the record
 *           is never served; 0 = never expires
 *   owner   for dynamic records, a tag of the TSIG key that added it
 *           (node_owner_tag), so per-key record caps can be counted; 0 = none
 *   flags   NODE_RR_DYNAMIC (0x01): added by UPDATE, not from a zone file
 *           NODE_RR_VIEW (0x02): derived by the server from a service
 *             instance (svc/view.c); rewritten whenever the instance
 *             changes, never edited record by record
 *           NODE_RR_ADDRS (0x04): on the SRV records of a Consul-style
 *             service name: an A or AAAA query there is answered with the
 *             addresses of these SRV targets, chosen by weight per query
 *   rdata   uncompressed wire form; names keep the case they were given in
 *
 * Example: a node with one A record 10.0.0.5, TTL 60, from the zone file:
 *
 *   00 01 00 01  00 00 00 3c  00 00 00 00  00 00 00 00  00  00 04  0a 00 00 05
 *   type  count  ttl          expire       owner        fl rdlen   rdata
 */
#ifndef DNSD_NODE_NODE_H
#define DNSD_NODE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define NODE_RR_DYNAMIC 0x01
#define NODE_RR_VIEW 0x02
#define NODE_RR_ADDRS 0x04
#define NODE_RR_HDR 15 /* ttl + expire + owner + flags + rdlen */

/* One record as read from a node value; rdata points into the value. */
struct node_rr {
	uint32_t ttl;
	uint32_t expire;
	uint32_t owner;
	uint8_t flags;
	uint16_t rdlen;
	const uint8_t *rdata;
};

/* An RRset inside a node value. */
struct node_rrset {
	uint16_t type;
	uint16_t count;
	const uint8_t *rrs; /* first record */
	const uint8_t *end; /* one past the last record */
};

/* Iterator over the RRsets of a node value. */
struct node_it {
	const uint8_t *p, *end;
	int err;
};

void node_it_init(struct node_it *it, const uint8_t *val, size_t len);
/* Next RRset; false at the end or on a corrupt value (it->err set). */
bool node_it_next(struct node_it *it, struct node_rrset *set);
/* Find the RRset of `type`; false if the node has none. */
bool node_rrset_find(const uint8_t *val, size_t len, uint16_t type, struct node_rrset *set);

/* Iterator over the records of one RRset. */
struct node_rr_it {
	const uint8_t *p, *end;
	uint16_t left;
};
static inline void
node_rr_it_init(struct node_rr_it *it, const struct node_rrset *set)
{
	it->p = set->rrs;
	it->end = set->end;
	it->left = set->count;
}
/* The next record; the set was checked whole by node_it_next. (Inline:
 * every answer record passes here.) */
static inline bool
node_rr_next(struct node_rr_it *it, struct node_rr *rr)
{
	if (it->left == 0)
		return false;
	const uint8_t *p = it->p;
	rr->ttl = wire_get32(p);
	rr->expire = wire_get32(p + 4);
	rr->owner = wire_get32(p + 8);
	rr->flags = p[12];
	rr->rdlen = wire_get16(p + 13);
	rr->rdata = p + NODE_RR_HDR;
	it->p = p + NODE_RR_HDR + rr->rdlen;
	it->left--;
	return true;
}

/* Iterator over every record of a node value, in stored order (by type,
 * then RDATA), with the type of each. */
struct node_all_it {
	struct node_it it;
	struct node_rrset set;
	struct node_rr_it ri;
	bool in_set;
};
void node_all_init(struct node_all_it *a, const uint8_t *val, size_t len);
bool node_all_next(struct node_all_it *a, uint16_t *type, struct node_rr *rr);

/* Is this record live at time `now`? */
static inline bool
node_rr_live(const struct node_rr *rr, uint32_t now)
{
	return rr->expire == 0 || rr->expire > now;
}

/*
 * TTL to serve at `now`: never longer than the time left on the lease.
 * The clock counts whole seconds and a record lives while now < expire,
 * so during the second before `expire` less than a second is left: the
 * TTL is expire - now - 1 (0 in that last second, which caches keep not).
 */
static inline uint32_t
node_rr_ttl(const struct node_rr *rr, uint32_t now)
{
	if (rr->expire != 0 && rr->expire - now - 1 < rr->ttl)
		return rr->expire - now - 1;
	return rr->ttl;
}

/*
 * Iterator over the live records of an RRset at `now`. It is how the query
 * path, transfers and the update logic read records, so that no caller can
 * forget that a record whose lease ran out is gone, even before the reaper
 * has removed it. (node_rr_it sees every stored record: for bookkeeping.)
 */
struct node_live_it {
	struct node_rr_it it;
	uint32_t now;
};
static inline void
node_live_init(struct node_live_it *l, const struct node_rrset *set, uint32_t now)
{
	node_rr_it_init(&l->it, set);
	l->now = now;
}
static inline bool
node_live_next(struct node_live_it *l, struct node_rr *rr)
{
	while (node_rr_next(&l->it, rr))
		if (node_rr_live(rr, l->now))
			return true;
	return false;
}

/* The RRset of `type` if it has a live record at `now`. */
bool node_live_find(const uint8_t *val, size_t len, uint16_t type, uint32_t now,
    struct node_rrset *set);
/* The next RRset of the node with a live record at `now`. */
bool node_live_sets_next(struct node_it *it, uint32_t now, struct node_rrset *set);

/* Does the node have at least one live record (of any type)? */
bool node_has_live(const uint8_t *val, size_t len, uint32_t now);

/* Does the RRset have at least one live record? */
bool node_rrset_live(const struct node_rrset *set, uint32_t now);

/*
 * The first second, after `now`, at which the records of a node may be
 * served differently than at `now`: a lease ends, or a lease begins to
 * cut a record's TTL (node_rr_ttl). UINT32_MAX when nothing in the node
 * ever changes with time alone (no live lease). An answer built from
 * nodes stays the same until the least of their values, as long as the
 * store does not change.
 */
uint32_t node_stable_until(const uint8_t *val, size_t len, uint32_t now);

/*
 * Editable form, for the write path (zone import, UPDATE, reaper). It
 * allocates; node_edit_free releases everything.
 */
struct node_erec {
	uint16_t type;
	uint32_t ttl;
	uint32_t expire;
	uint32_t owner;
	uint8_t flags;
	uint16_t rdlen;
	uint8_t *rdata; /* owned */
};

/* The edit's count of one type (edit.c). */
struct node_tcount {
	uint16_t type;
	uint32_t n;
	uint32_t ttl;  /* of its records, if same_ttl */
	bool same_ttl; /* every record of the type has `ttl` */
};

/* An edit indexes its records once it has this many (edit.c). */
#define NODE_EDIT_INDEX_MIN 64
/* It counts its types while it has at most this many. */
#define NODE_EDIT_TYPES 16

struct node_edit {
	size_t n, cap;
	struct node_erec *recs;
	/* The rest is edit.c's own: an index of the records by type and
	 * RDATA, and each type's count and TTL, so that an edit of k records
	 * at a node of n costs about k, not k x n. */
	uint32_t *idx;
	size_t idx_cap, idx_fill;
	bool idx_ok;
	struct node_tcount tc[NODE_EDIT_TYPES];
	unsigned ntc;
	bool tc_ok, tc_over;
};

void node_edit_init(struct node_edit *e);
void node_edit_free(struct node_edit *e);
void node_edit_clear(struct node_edit *e);
/* Load a stored value (replacing the contents). */
int node_edit_load(struct node_edit *e, const uint8_t *val, size_t len);
/*
 * Add a record. An identical record (same type and RDATA, names compared
 * case-insensitively as RFC 4034 canonical form) is merged: the TTL is
 * replaced; between two dynamic records of the same owner (key) the new
 * expiry replaces the old, so a renewal sets the lease it asks for, longer
 * or shorter, while between owners the later expiry wins, with its
 * owner (a record that several registrations add lives as long as the
 * longest, and belongs to the key that holds it longest). A zone-file
 * record never expires. Returns 1 if the set of records changed, 0 if it
 * was a merge, or a dnsd_err.
 */
int node_edit_add(struct node_edit *e, uint16_t type, uint32_t ttl, uint32_t expire,
    uint32_t owner, uint8_t flags, const uint8_t *rdata, uint16_t rdlen);
/* Add a record without looking for an identical one (building a set of
 * many records, where node_edit_add's search would cost n^2): follow with
 * node_edit_merge. Returns 0 or a dnsd_err. */
int node_edit_append(struct node_edit *e, uint16_t type, uint32_t ttl, uint32_t expire,
    uint32_t owner, uint8_t flags, const uint8_t *rdata, uint16_t rdlen);
/* Sort the records and merge those with the same type and RDATA bytes: a
 * static record wins, else the longer lease with its owner. */
void node_edit_merge(struct node_edit *e);
/* Index of an identical record or -1. Once the edit has
 * NODE_EDIT_INDEX_MIN records this is a hash lookup (the index is built
 * at the first call and then kept by add and remove). */
long node_edit_find(struct node_edit *e, uint16_t type, const uint8_t *rdata, uint16_t rdlen);
/* How many records of `type` (RR_ANY: in all) the edit has. */
size_t node_edit_count(struct node_edit *e, uint16_t type);
/* Code that writes e->recs[] itself (reorders records, changes a type,
 * RDATA or TTL) calls this afterwards: the index and counts are made
 * again when next needed. */
void node_edit_touch(struct node_edit *e);
/* Give every record of `type` the TTL `ttl`: an RRset has one TTL (RFC
 * 2181 section 5.2). Returns true if a TTL changed. */
bool node_edit_set_ttl(struct node_edit *e, uint16_t type, uint32_t ttl);
/* Remove record i (order is not kept). */
void node_edit_remove(struct node_edit *e, size_t i);
/* Remove every record whose lease has ended at `now` (expire != 0 &&
 * expire <= now: not node_rr_live); returns how many (order is not kept). */
size_t node_edit_drop_expired(struct node_edit *e, uint32_t now);
/* Bytes needed to encode the edit. */
size_t node_edit_size(const struct node_edit *e);
/* Encode (sorting the records by type); returns the length. `out` must
 * hold node_edit_size() bytes. */
size_t node_edit_encode(struct node_edit *e, uint8_t *out);

/* Compare two RDATAs of `type` as equal for RRset purposes (names inside
 * RFC 1035 types compared case-insensitively). */
bool node_rdata_equal(uint16_t type, const uint8_t *a, uint16_t alen,
    const uint8_t *b, uint16_t blen);

/* The owner tag of a key name (wire form, case-insensitive); never 0. */
uint32_t node_owner_tag(const uint8_t *key_name);

/* SOA helpers on uncompressed SOA RDATA. */
uint32_t node_soa_serial(const uint8_t *rdata, uint16_t rdlen);
void node_soa_set_serial(uint8_t *rdata, uint16_t rdlen, uint32_t serial);
uint32_t node_soa_minimum(const uint8_t *rdata, uint16_t rdlen);

#endif
