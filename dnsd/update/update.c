/* update.c -- RFC 2136 dynamic update and RFC 9664 leases
 *
 * Structured like the RFC: check the zone section, the prerequisites, the
 * policy, then prescan and apply the update section, each a short
 * function named after the case it decides. Every change goes through
 * node values (node.h) in the caller's transaction, so an error leaves
 * nothing behind once the caller aborts.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "node/node.h"
#include "query/query.h"
#include "store/store.h"
#include "update/update.h"
#include "util/err.h"
#include "zone/zone.h"

/* One record of the prerequisite or update section, RDATA uncompressed. */
struct urr {
	uint8_t name[WIRE_NAME_MAX];
	uint16_t type, klass;
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rdata[65535];
};

/* Read the next record of a section. */
static int
read_rr(struct wire_cur *c, struct urr *r)
{
	if (wire_read_name(c, r->name) == 0)
		return DNSD_EMALF;
	r->type = wire_read_u16(c);
	r->klass = wire_read_u16(c);
	r->ttl = wire_read_u32(c);
	uint16_t rdlen = wire_read_u16(c);
	if (c->err != 0)
		return DNSD_EMALF;
	if (rdlen == 0) {
		r->rdlen = 0;
		return 0;
	}
	int n = wire_rdata_decompress(c, r->type, rdlen, r->rdata, sizeof(r->rdata));
	if (n < 0)
		return DNSD_EMALF;
	r->rdlen = (uint16_t)n;
	return 0;
}

static bool
is_meta_type(uint16_t t)
{
	return t == RR_ANY || t == RR_AXFR || t == RR_IXFR || t == RR_OPT || t == RR_TSIG ||
	    t == 249 || t == 253 || t == 254;
}

/* Load a node for editing; a missing node loads as empty. */
static int
node_load(struct store_txn *t, const struct zone *z, const uint8_t *name,
    struct store_key *k, struct node_edit *e)
{
	struct store_val v;
	int rc = store_key_make(k, z->id, name, z->labels);
	if (rc != 0)
		return rc;
	node_edit_clear(e);
	rc = store_node_get(t, k, &v);
	if (rc == DNSD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	return node_edit_load(e, v.data, v.len);
}

static int
node_save(struct store_txn *t, const struct store_key *k, struct node_edit *e)
{
	size_t need = node_edit_size(e);
	uint8_t *buf = malloc(need ? need : 1);
	if (buf == NULL)
		return -ENOMEM;
	size_t len = node_edit_encode(e, buf);
	int rc = store_node_put(t, k, buf, len);
	free(buf);
	return rc;
}

static bool
rec_live(const struct node_erec *r, uint32_t now)
{
	return r->expire == 0 || r->expire > now;
}

/* Live records of `type` at the node (RR_ANY: of any type). */
static unsigned
count_live(const struct node_edit *e, uint16_t type, uint32_t now)
{
	unsigned n = 0;
	for (size_t i = 0; i < e->n; i++)
		if ((type == RR_ANY || e->recs[i].type == type) && rec_live(&e->recs[i], now))
			n++;
	return n;
}

/* ---- RFC 2136 section 3.2: prerequisites ---- */

/* 3.2.1/3.2.2: class ANY and NONE prerequisites on one name. */
static uint8_t
prereq_check_one(const struct urr *p, const struct node_edit *e, uint32_t now)
{
	unsigned live = count_live(e, p->type, now);
	if (p->klass == CLASS_ANY) {
		if (p->type == RR_ANY)
			return live ? RCODE_NOERROR : RCODE_NXDOMAIN; /* name is in use */
		return live ? RCODE_NOERROR : RCODE_NXRRSET;       /* RRset exists */
	}
	if (p->type == RR_ANY)
		return live ? RCODE_YXDOMAIN : RCODE_NOERROR;      /* name not in use */
	return live ? RCODE_YXRRSET : RCODE_NOERROR;               /* RRset does not exist */
}

/* Does the name exist as an empty non-terminal? ("Name is in use" counts
 * names that own no records but have descendants, RFC 2136 2.4.4.) */
static bool
name_is_ent(struct store_txn *t, const struct store_key *k)
{
	struct store_find f;
	return store_node_find(t, k, &f) == 0 && f.ent;
}

/*
 * 3.2.3: value-dependent "RRset exists". All prerequisite RRs of class IN
 * with the same name and type form one RRset that must equal the stored
 * live RRset exactly.
 */
static int
prereq_value_sets(struct store_txn *t, const struct update_req *u, size_t start,
    unsigned count, uint8_t *rcode)
{
	struct urr *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct node_edit e;
	struct store_key k;
	int rc = 0;

	node_edit_init(&e);
	if (a == NULL || b == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	struct wire_cur c;
	wire_cur_init(&c, u->msg, u->len, start);
	for (unsigned i = 0; i < count && *rcode == RCODE_NOERROR; i++) {
		if (read_rr(&c, a) != 0) {
			*rcode = RCODE_FORMERR;
			break;
		}
		if (a->klass != CLASS_IN)
			continue;
		/* Only the first record of each (name, type) group leads. */
		struct wire_cur c2;
		bool first = true;
		wire_cur_init(&c2, u->msg, u->len, start);
		for (unsigned j = 0; j < i; j++) {
			read_rr(&c2, b);
			if (b->klass == CLASS_IN && b->type == a->type && wire_name_equal(b->name, a->name))
				first = false;
		}
		if (!first)
			continue;
		if ((rc = node_load(t, u->zone, a->name, &k, &e)) != 0)
			break;
		/* Each record of the group must be present (duplicates in the
		 * prerequisite count once) ... */
		unsigned members = 0;
		bool *hit = calloc(e.n + 1, sizeof(bool));
		if (hit == NULL) {
			rc = -ENOMEM;
			break;
		}
		wire_cur_init(&c2, u->msg, u->len, start);
		for (unsigned j = 0; j < count; j++) {
			read_rr(&c2, b);
			if (b->klass != CLASS_IN || b->type != a->type || !wire_name_equal(b->name, a->name))
				continue;
			long at = node_edit_find(&e, b->type, b->rdata, b->rdlen);
			if (at < 0 || !rec_live(&e.recs[at], u->now)) {
				*rcode = RCODE_NXRRSET;
				break;
			}
			if (!hit[at]) {
				hit[at] = true;
				members++;
			}
		}
		free(hit);
		/* ... and the stored set must have nothing more. */
		if (*rcode == RCODE_NOERROR && count_live(&e, a->type, u->now) != members)
			*rcode = RCODE_NXRRSET;
	}
out:
	node_edit_free(&e);
	free(a);
	free(b);
	return rc;
}

static int
check_prerequisites(struct store_txn *t, const struct update_req *u, size_t start,
    unsigned count, size_t *end, uint8_t *rcode)
{
	struct urr *p = malloc(sizeof(*p));
	struct node_edit e;
	struct store_key k;
	struct wire_cur c;
	bool value_sets = false;
	int rc = 0;

	if (p == NULL)
		return -ENOMEM;
	node_edit_init(&e);
	wire_cur_init(&c, u->msg, u->len, start);
	for (unsigned i = 0; i < count && *rcode == RCODE_NOERROR; i++) {
		if (read_rr(&c, p) != 0 || p->ttl != 0) {
			*rcode = RCODE_FORMERR;
			break;
		}
		if (!wire_name_is_subdomain(p->name, u->zone->apex)) {
			*rcode = RCODE_NOTZONE;
			break;
		}
		if (p->klass == CLASS_IN) {
			value_sets = true;
			continue;
		}
		if ((p->klass != CLASS_ANY && p->klass != CLASS_NONE) || p->rdlen != 0 ||
		    (is_meta_type(p->type) && p->type != RR_ANY)) {
			*rcode = RCODE_FORMERR;
			break;
		}
		if ((rc = node_load(t, u->zone, p->name, &k, &e)) != 0)
			break;
		*rcode = prereq_check_one(p, &e, u->now);
		/* An empty non-terminal is a name in use. */
		if (p->type == RR_ANY && count_live(&e, RR_ANY, u->now) == 0 && name_is_ent(t, &k))
			*rcode = p->klass == CLASS_ANY ? RCODE_NOERROR : RCODE_YXDOMAIN;
	}
	*end = c.pos;
	if (rc == 0 && *rcode == RCODE_NOERROR && value_sets)
		rc = prereq_value_sets(t, u, start, count, rcode);
	node_edit_free(&e);
	free(p);
	return rc;
}

/* ---- RFC 2136 section 3.3: policy ---- */

/* A grant name or the key's own name, made absolute within the zone. */
static void
absolute_in_zone(const uint8_t *name, const struct zone *z, uint8_t *out)
{
	size_t n = wire_name_len(name);
	if (wire_name_is_subdomain(name, z->apex) || n + z->apex_len - 1 > WIRE_NAME_MAX) {
		memcpy(out, name, n);
		return;
	}
	memcpy(out, name, n - 1);
	memcpy(out + n - 1, z->apex, z->apex_len);
}

static bool
grant_matches_name(const struct conf_grant *g, const struct update_req *u, const uint8_t *name)
{
	uint8_t target[WIRE_NAME_MAX];
	switch (g->match) {
	case MATCH_ZONE:
		return true;
	case MATCH_NAME:
		absolute_in_zone(g->name, u->zone, target);
		return wire_name_equal(name, target);
	case MATCH_SUBDOMAIN:
		absolute_in_zone(g->name, u->zone, target);
		return wire_name_is_subdomain(name, target);
	case MATCH_WILDCARD: {
		absolute_in_zone(g->name, u->zone, target);
		/* "*.x" matches names strictly below x */
		const uint8_t *base = target;
		if (target[0] == 1 && target[1] == '*')
			base = target + 2;
		return wire_name_is_subdomain(name, base) && !wire_name_equal(name, base);
	}
	case MATCH_SELF_SUB:
		if (u->key == NULL)
			return false;
		absolute_in_zone(u->key->name_wire, u->zone, target);
		return wire_name_is_subdomain(name, target);
	}
	return false;
}

static bool
grant_matches_type(const struct conf_grant *g, uint16_t type)
{
	if (g->ntypes == 0)
		return type != RR_SOA && type != RR_NS;
	for (size_t i = 0; i < g->ntypes; i++)
		if (g->types[i] == type || g->types[i] == RR_ANY)
			return true;
	return false;
}

/* May this request change (name, type)? RFC 2136 3.3 leaves the policy to
 * the server: no grants means any configured key may change the zone;
 * unsigned updates get here only from allow-update-unsigned addresses. */
static bool
policy_allows(const struct update_req *u, const uint8_t *name, uint16_t type)
{
	const struct conf_zone *cz = u->zone->conf;
	if (cz->ngrants == 0 || u->key == NULL)
		return true;
	for (size_t i = 0; i < cz->ngrants; i++) {
		const struct conf_grant *g = &cz->grants[i];
		if (g->key != NULL) {
			uint8_t kn[WIRE_NAME_MAX];
			if (wire_name_from_str(g->key, kn) == 0 || !wire_name_equal(kn, u->key->name_wire))
				continue;
		}
		if (grant_matches_name(g, u, name) &&
		    (type == RR_ANY || grant_matches_type(g, type)))
			return true;
	}
	return false;
}

/* "Delete all RRsets of a name" deletes each type there: the policy must
 * allow every one of them, not only the name (the prescan saw no types). */
static bool
may_delete_all(const struct update_req *u, const uint8_t *name, const struct node_edit *e)
{
	bool apex = wire_name_equal(name, u->zone->apex);
	for (size_t i = 0; i < e->n; i++) {
		uint16_t type = e->recs[i].type;
		if (apex && (type == RR_SOA || type == RR_NS))
			continue; /* never deleted this way (3.4.2.3) */
		if (!policy_allows(u, name, type))
			return false;
	}
	return true;
}

/* ---- RFC 2136 section 3.4: update ---- */

/* 3.4.1: prescan every update RR before changing anything. */
static uint8_t
prescan(const struct update_req *u, const struct urr *r)
{
	if (!wire_name_is_subdomain(r->name, u->zone->apex))
		return RCODE_NOTZONE;
	switch (r->klass) {
	case CLASS_IN:
		if (is_meta_type(r->type))
			return RCODE_FORMERR;
		break;
	case CLASS_ANY:
		if (r->ttl != 0 || r->rdlen != 0 || (is_meta_type(r->type) && r->type != RR_ANY))
			return RCODE_FORMERR;
		break;
	case CLASS_NONE:
		if (r->ttl != 0 || is_meta_type(r->type))
			return RCODE_FORMERR;
		break;
	default:
		return RCODE_FORMERR;
	}
	if (!policy_allows(u, r->name, r->type))
		return RCODE_REFUSED;
	return RCODE_NOERROR;
}

static bool
at_apex(const struct update_req *u, const uint8_t *name)
{
	return wire_name_equal(name, u->zone->apex);
}

/* 3.4.2.2: add one RR, honouring CNAME exclusivity and ignoring SOA. */
static int
apply_add(struct node_edit *e, const struct update_req *u, const struct urr *r,
    uint32_t expire, uint32_t owner)
{
	if (r->type == RR_SOA)
		return 0; /* the serial is ours to manage */
	bool has_cname = count_live(e, RR_CNAME, u->now) > 0;
	unsigned other = count_live(e, RR_ANY, u->now) - (has_cname ? count_live(e, RR_CNAME, u->now) : 0);
	if (r->type == RR_CNAME && other > 0)
		return 0;
	if (r->type != RR_CNAME && has_cname)
		return 0;
	if (r->type == RR_CNAME && has_cname) {
		/* A CNAME replaces the CNAME (a name has at most one). */
		for (size_t i = e->n; i-- > 0;)
			if (e->recs[i].type == RR_CNAME &&
			    !node_rdata_equal(RR_CNAME, e->recs[i].rdata, e->recs[i].rdlen, r->rdata, r->rdlen))
				node_edit_remove(e, i);
	}
	/* Expired leftovers the reaper has not reached yet are replaced. */
	long at = node_edit_find(e, r->type, r->rdata, r->rdlen);
	if (at >= 0 && !rec_live(&e->recs[at], u->now)) {
		node_edit_remove(e, (size_t)at);
	}
	int rc = node_edit_add(e, r->type, r->ttl, expire, owner, NODE_RR_DYNAMIC, r->rdata, r->rdlen);
	/* The RRset takes the TTL of the record just added, as BIND does:
	 * one RRset has one TTL (RFC 2181 section 5.2). */
	if (rc >= 0 && node_edit_set_ttl(e, r->type, r->ttl))
		rc = 1;
	return rc;
}

/* 3.4.2.3/3.4.2.4: deletions. Returns 1 if something was removed. */
static int
apply_delete(struct node_edit *e, const struct update_req *u, const struct urr *r)
{
	bool apex = at_apex(u, r->name);
	int changed = 0;
	for (size_t i = e->n; i-- > 0;) {
		const struct node_erec *x = &e->recs[i];
		if (apex && (x->type == RR_SOA || (x->type == RR_NS && r->klass == CLASS_ANY)))
			continue; /* the apex keeps its SOA and NS RRsets */
		if (r->klass == CLASS_ANY) {
			if (r->type != RR_ANY && x->type != r->type)
				continue;
		} else {
			if (x->type != r->type || !node_rdata_equal(x->type, x->rdata, x->rdlen, r->rdata, r->rdlen))
				continue;
			if (apex && x->type == RR_NS && count_live(e, RR_NS, u->now) <= 1)
				continue; /* never the last NS at the apex */
		}
		if (rec_live(x, u->now))
			changed = 1;
		node_edit_remove(e, i);
	}
	return changed;
}

uint32_t
update_grant_lease(const struct update_req *u, uint32_t requested, bool asked)
{
	const struct conf_zone *cz = u->zone->conf;
	if (!asked)
		return cz->default_lease;
	uint32_t lease = requested;
	uint32_t lo = cz->min_lease, hi = cz->max_lease;
	if (u->key != NULL) {
		if (u->key->min_lease > lo)
			lo = u->key->min_lease;
		if (u->key->max_lease != 0 && (hi == 0 || u->key->max_lease < hi))
			hi = u->key->max_lease;
	}
	if (lease < lo)
		lease = lo;
	if (hi != 0 && (lease > hi || lease == 0))
		lease = hi;
	return lease;
}

int
update_apply(struct store_txn *t, const struct update_req *u, struct update_result *res)
{
	const struct query_req *q = u->req;
	struct urr *r = NULL;
	struct node_edit e;
	struct store_key k;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->rcode = RCODE_NOERROR;

	/* 3.1.1: exactly one zone, of type SOA, that we serve. */
	if (q->qdcount != 1 || q->qtype != RR_SOA) {
		res->rcode = RCODE_FORMERR;
		return 0;
	}
	if (u->zone == NULL || !wire_name_equal(q->qname, u->zone->apex)) {
		res->rcode = RCODE_NOTAUTH;
		return 0;
	}
	if (q->qclass != CLASS_IN) {
		res->rcode = RCODE_NOTAUTH;
		return 0;
	}

	/* 3.2: prerequisites (the answer section). */
	size_t upd_start;
	if ((rc = check_prerequisites(t, u, q->question_end, q->ancount, &upd_start,
	         &res->rcode)) != 0 || res->rcode != RCODE_NOERROR)
		return rc;

	/* 3.4.1: prescan the update section (the authority section). */
	r = malloc(sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	struct wire_cur c;
	wire_cur_init(&c, u->msg, u->len, upd_start);
	for (unsigned i = 0; i < q->nscount && res->rcode == RCODE_NOERROR; i++) {
		if (read_rr(&c, r) != 0)
			res->rcode = RCODE_FORMERR;
		else
			res->rcode = prescan(u, r);
	}
	if (res->rcode != RCODE_NOERROR)
		goto out;

	/* RFC 9664: one lease for every record this update adds. */
	res->lease = update_grant_lease(u, q->lease, q->has_lease);
	res->key_lease = q->lease_8 ? update_grant_lease(u, q->key_lease, true) : 0;
	/* The clock counts whole seconds: round up, so a lease of L seconds
	 * lasts at least L seconds (and less than L + 1). */
	uint32_t expire = res->lease ? u->now + res->lease + 1 : 0;
	uint32_t owner = u->key ? node_owner_tag(u->key->name_wire) : 0;

	/* 3.4.2: apply, in order. */
	node_edit_init(&e);
	wire_cur_init(&c, u->msg, u->len, upd_start);
	for (unsigned i = 0; i < q->nscount && rc == 0; i++) {
		if ((rc = read_rr(&c, r)) != 0)
			break;
		if ((rc = node_load(t, u->zone, r->name, &k, &e)) != 0)
			break;
		if (r->klass == CLASS_ANY && r->type == RR_ANY && !may_delete_all(u, r->name, &e)) {
			res->rcode = RCODE_REFUSED; /* the caller aborts: nothing changes */
			break;
		}
		int a = r->klass == CLASS_IN ? apply_add(&e, u, r, expire, owner)
		                             : apply_delete(&e, u, r);
		if (a < 0) {
			rc = a;
			break;
		}
		res->changed = true;
		rc = node_save(t, &k, &e);
	}
	node_edit_free(&e);
	if (rc != 0)
		goto out;

	/* Per-key cap on owned records. */
	if (u->key != NULL && u->key->max_records != 0) {
		uint32_t n;
		if ((rc = store_owner_count(t, u->zone->id, owner, &n)) != 0)
			goto out;
		if (n > u->key->max_records)
			res->rcode = RCODE_REFUSED;
	}
out:
	free(r);
	return rc;
}

int
update_reap_one(struct store_txn *t, uint32_t now, unsigned *removed, uint32_t *zone_id)
{
	struct store_key k;
	struct store_val v;
	struct node_edit e;
	uint32_t expire;

	*removed = 0;
	int rc = store_expiry_first(t, &expire, &k);
	if (rc == DNSD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (expire > now)
		return 0;
	*zone_id = wire_get32(k.b);
	if ((rc = store_expiry_del(t, expire, &k)) != 0)
		return rc;
	rc = store_node_get(t, &k, &v);
	if (rc == DNSD_ENOTFOUND)
		return 1; /* stale entry: the node is gone */
	if (rc != 0)
		return rc;
	node_edit_init(&e);
	if ((rc = node_edit_load(&e, v.data, v.len)) == 0) {
		for (size_t i = e.n; i-- > 0;) {
			if (e.recs[i].expire != 0 && e.recs[i].expire <= now) {
				node_edit_remove(&e, i);
				(*removed)++;
			}
		}
		if (*removed > 0)
			rc = node_save(t, &k, &e);
	}
	node_edit_free(&e);
	return rc != 0 ? rc : 1;
}
