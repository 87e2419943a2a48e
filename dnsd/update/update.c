/* update.c -- RFC 2136 dynamic update and RFC 9664 leases
 *
 * Shaped like the RFC, and like Knot DNS's knot/updates/ddns.c: after the
 * zone section (3.1.1), three phases that a caller runs one after the
 * other and a unit test can run one at a time, each deciding an RCODE:
 *
 *   update_prereqs    3.2    the prerequisite section
 *   update_precheck   3.4.1  prescan of the update section, with the
 *                     3.3    policy (may this key make this change?)
 *   update_process    3.4.2  the update section, in order
 *
 * Tiny predicates name the RFC's cases (is_addition, is_rr_removal,
 * is_rrset_removal, is_node_removal) and each case is one short function
 * (process_add_cname, process_rem_rr, ...). Every change goes through
 * node values (node.h) in the caller's transaction, read and written with
 * store_node_load and store_node_save, so an error leaves nothing behind
 * once the caller aborts. A record whose lease has run out is absent in
 * every case (store_node_load leaves it out at u->now), whether or not
 * the reaper removed it yet.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "node/node.h"
#include "query/query.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "update/services.h"
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

/* ---- reading the message ---- */

/* Can RDATA of `len` bytes be of `type`? wire_rdata_decompress() checks
 * the names in RDATA, not the size of A and AAAA (RFC 1035, RFC 3596). */
static bool
rdata_fits(uint16_t type, int len)
{
	return type == RR_A ? len == 4 : type == RR_AAAA ? len == 16 : true;
}

/* Read the next record of a section. A record without RDATA is a
 * deletion or a prerequisite, unless its class is IN: one to add or to
 * compare must have RDATA of its type, as must any that has RDATA. */
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
	r->rdlen = 0;
	if (rdlen == 0 && r->klass != CLASS_IN)
		return 0;
	int n = wire_rdata_decompress(c, r->type, rdlen, r->rdata, sizeof(r->rdata));
	if (n < 0 || !rdata_fits(r->type, n))
		return DNSD_EMALF;
	r->rdlen = (uint16_t)n;
	return 0;
}

/* A cursor at the first prerequisite (RFC 2136 section 2: the answer
 * section). */
static void
prereq_section(const struct update_req *u, struct wire_cur *c)
{
	wire_cur_init(c, u->msg, u->len, u->req->question_end);
}

/* A cursor at the first update RR (the authority section), past the
 * prerequisites; false if they do not parse. */
static bool
update_section(const struct update_req *u, struct wire_cur *c)
{
	prereq_section(u, c);
	for (unsigned i = 0; i < u->req->ancount; i++) {
		wire_skip_name(c);
		wire_skip(c, 8);
		wire_skip(c, wire_read_u16(c));
	}
	return c->err == 0;
}

/* ---- the RFC's cases, named ---- */

static bool
is_meta_type(uint16_t t)
{
	return t == RR_ANY || t == RR_AXFR || t == RR_IXFR || t == RR_OPT || t == RR_TSIG ||
	    t == 249 || t == 253 || t == 254;
}

/* 2.5.1: add to an RRset. */
static bool
is_addition(const struct urr *r)
{
	return r->klass == CLASS_IN;
}

/* 2.5.2: delete an RRset. */
static bool
is_rrset_removal(const struct urr *r)
{
	return r->klass == CLASS_ANY && r->type != RR_ANY;
}

/* 2.5.3: delete all RRsets from a name. */
static bool
is_node_removal(const struct urr *r)
{
	return r->klass == CLASS_ANY && r->type == RR_ANY;
}

/* 2.5.4: delete an RR from an RRset. */
static bool
is_rr_removal(const struct urr *r)
{
	return r->klass == CLASS_NONE;
}

static bool
in_zone(const struct update_req *u, const uint8_t *name)
{
	return wire_name_is_subdomain(name, u->zone->apex);
}

static bool
at_apex(const struct update_req *u, const uint8_t *name)
{
	return wire_name_equal(name, u->zone->apex);
}

/* ---- nodes ---- */

static int
key_of(const struct update_req *u, const uint8_t *name, struct store_key *k)
{
	return store_key_make(k, u->zone->id, name, u->zone->labels);
}

/* ---- RFC 2136 section 3.2: prerequisites ---- */

/* "Name is in use" (2.4.4): the name owns a live record. An empty
 * non-terminal owns none, so it is not in use, and "name is not in use"
 * (2.4.5) holds for it: the RFC says so of both. */
static bool
name_in_use(const struct node_edit *e)
{
	return e->n > 0;
}

/* 3.2.1 and 3.2.2: one value-independent prerequisite (class ANY or
 * NONE, already checked for form). */
static int
prereq_check(struct store_txn *t, const struct update_req *u, const struct urr *p,
    uint8_t *rcode)
{
	struct store_key k;
	struct node_edit e;
	int rc = key_of(u, p->name, &k);
	if (rc != 0)
		return rc;
	node_edit_init(&e);
	if ((rc = store_node_load(t, &k, u->now, &e)) != 0)
		goto out;
	if (p->type == RR_ANY) {
		bool used = name_in_use(&e);
		if (p->klass == CLASS_ANY && !used)
			*rcode = RCODE_NXDOMAIN; /* 2.4.4: name is in use */
		else if (p->klass == CLASS_NONE && used)
			*rcode = RCODE_YXDOMAIN; /* 2.4.5: name is not in use */
	} else {
		bool exists = node_edit_count(&e, p->type) > 0;
		if (p->klass == CLASS_ANY && !exists)
			*rcode = RCODE_NXRRSET;  /* 2.4.1: RRset exists */
		else if (p->klass == CLASS_NONE && exists)
			*rcode = RCODE_YXRRSET;  /* 2.4.3: RRset does not exist */
	}
out:
	node_edit_free(&e);
	return rc;
}

/* Is `a`, the `i`th prerequisite, the first value-dependent one of its
 * (name, type)? The first one leads the check of the whole RRset. */
static bool
leads_rrset(const struct update_req *u, const struct urr *a, unsigned i, struct urr *b)
{
	struct wire_cur c;
	prereq_section(u, &c);
	for (unsigned j = 0; j < i; j++) {
		read_rr(&c, b);
		if (b->klass == CLASS_IN && b->type == a->type && wire_name_equal(b->name, a->name))
			return false;
	}
	return true;
}

/* 3.2.3: do the value-dependent prerequisites of a's (name, type),
 * gathered as the RFC's temp<name, type> (duplicates merge), equal the
 * stored RRset? */
static int
rrset_equals(struct store_txn *t, const struct update_req *u, const struct urr *a,
    struct urr *b, bool *equal)
{
	struct store_key k;
	struct node_edit e, want;
	struct wire_cur c;
	int rc = key_of(u, a->name, &k);

	*equal = false;
	node_edit_init(&e);
	node_edit_init(&want);
	prereq_section(u, &c);
	for (unsigned j = 0; j < u->req->ancount && rc >= 0; j++)
		if (read_rr(&c, b) == 0 && b->klass == CLASS_IN && b->type == a->type &&
		    wire_name_equal(b->name, a->name))
			rc = node_edit_add(&want, b->type, 0, 0, 0, 0, b->rdata, b->rdlen);
	if (rc >= 0 && (rc = store_node_load(t, &k, u->now, &e)) == 0) {
		*equal = node_edit_count(&e, a->type) == want.n;
		for (size_t i = 0; i < want.n && *equal; i++)
			*equal = node_edit_find(&e, a->type, want.recs[i].rdata, want.recs[i].rdlen) >= 0;
	}
	node_edit_free(&e);
	node_edit_free(&want);
	return rc;
}

/* 3.2.3: value-dependent "RRset exists". All prerequisite RRs of class IN
 * with the same name and type form one RRset that must equal the stored
 * live RRset exactly. */
static int
prereq_rrsets_equal(struct store_txn *t, const struct update_req *u, uint8_t *rcode)
{
	struct urr *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct wire_cur c;
	int rc = 0;

	if (a == NULL || b == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	prereq_section(u, &c);
	for (unsigned i = 0; i < u->req->ancount && rc == 0 && *rcode == RCODE_NOERROR; i++) {
		bool equal;
		if (read_rr(&c, a) != 0) {
			*rcode = RCODE_FORMERR;
			break;
		}
		if (a->klass != CLASS_IN || !leads_rrset(u, a, i, b))
			continue;
		if ((rc = rrset_equals(t, u, a, b, &equal)) == 0 && !equal)
			*rcode = RCODE_NXRRSET;
	}
out:
	free(a);
	free(b);
	return rc;
}

int
update_prereqs(struct store_txn *t, const struct update_req *u, uint8_t *rcode)
{
	struct urr *p = malloc(sizeof(*p));
	struct wire_cur c;
	bool values = false;
	int rc = 0;

	*rcode = RCODE_NOERROR;
	if (p == NULL)
		return -ENOMEM;
	prereq_section(u, &c);
	for (unsigned i = 0; i < u->req->ancount && rc == 0 && *rcode == RCODE_NOERROR; i++) {
		if (read_rr(&c, p) != 0 || p->ttl != 0)
			*rcode = RCODE_FORMERR;
		else if (!in_zone(u, p->name))
			*rcode = RCODE_NOTZONE;
		else if (p->klass == CLASS_IN)
			values = true; /* 3.2.3, once every prerequisite is read */
		else if ((p->klass != CLASS_ANY && p->klass != CLASS_NONE) || p->rdlen != 0 ||
		    (is_meta_type(p->type) && p->type != RR_ANY))
			*rcode = RCODE_FORMERR;
		else
			rc = prereq_check(t, u, p, rcode);
	}
	if (rc == 0 && *rcode == RCODE_NOERROR && values)
		rc = prereq_rrsets_equal(t, u, rcode);
	free(p);
	return rc;
}

/* ---- RFC 2136 section 3.3: policy ---- */

/* "Delete all RRsets of a name" deletes each type there: the policy must
 * allow every one of them, not only the name (the prescan saw no types).
 * The types a key may not change stay as they are through the update, so
 * the node as stored before it decides. */
static int
may_delete_all(struct store_txn *t, const struct update_req *u, const uint8_t *name,
    bool *allowed)
{
	struct store_key k;
	struct node_edit e;
	bool apex = at_apex(u, name);
	int rc = key_of(u, name, &k);

	*allowed = true;
	if (rc != 0)
		return rc;
	node_edit_init(&e);
	/* (the apex's SOA and NS are never deleted this way, 3.4.2.3) */
	if ((rc = store_node_load(t, &k, u->now, &e)) == 0)
		for (size_t i = 0; i < e.n && *allowed; i++)
			*allowed = (apex && (e.recs[i].type == RR_SOA || e.recs[i].type == RR_NS)) ||
			    update_grants_allow(u, name, e.recs[i].type);
	node_edit_free(&e);
	return rc;
}

/* ---- RFC 2136 section 3.4.1: prescan ---- */

/* 3.4.1.3 for one update RR, then the policy (3.3) for it. */
static uint8_t
prescan(const struct update_req *u, const struct urr *r)
{
	if (!in_zone(u, r->name))
		return RCODE_NOTZONE;
	if (is_addition(r)) {
		if (is_meta_type(r->type))
			return RCODE_FORMERR;
	} else if (is_rrset_removal(r) || is_node_removal(r)) {
		if (r->ttl != 0 || r->rdlen != 0 || (is_meta_type(r->type) && r->type != RR_ANY))
			return RCODE_FORMERR;
	} else if (is_rr_removal(r)) {
		if (r->ttl != 0 || is_meta_type(r->type))
			return RCODE_FORMERR;
	} else {
		return RCODE_FORMERR; /* another class */
	}
	if (!update_grants_allow(u, r->name, r->type))
		return RCODE_REFUSED;
	return RCODE_NOERROR;
}

int
update_precheck(struct store_txn *t, const struct update_req *u, uint8_t *rcode)
{
	struct urr *r = malloc(sizeof(*r));
	struct wire_cur c;
	int rc = 0;

	*rcode = RCODE_NOERROR;
	if (r == NULL)
		return -ENOMEM;
	if (!update_section(u, &c))
		*rcode = RCODE_FORMERR;
	size_t start = c.pos;
	for (unsigned i = 0; i < u->req->nscount && *rcode == RCODE_NOERROR; i++)
		*rcode = read_rr(&c, r) != 0 ? RCODE_FORMERR : prescan(u, r);
	/* The policy for deleting whole names, once every RR is well formed. */
	wire_cur_init(&c, u->msg, u->len, start);
	for (unsigned i = 0; i < u->req->nscount && rc == 0 && *rcode == RCODE_NOERROR; i++) {
		bool allowed;
		read_rr(&c, r);
		if (is_node_removal(r) && (rc = may_delete_all(t, u, r->name, &allowed)) == 0 &&
		    !allowed)
			*rcode = RCODE_REFUSED;
	}
	free(r);
	return rc;
}

/* ---- RFC 2136 section 3.4.2: the update ---- */

/* Add one RR to its RRset, merging with an identical one. Returns 1 if the
 * node changed, 0 if not, or an error. */
static int
add_rr(struct node_edit *e, const struct urr *r, uint32_t expire, uint32_t owner)
{
	int rc = node_edit_add(e, r->type, r->ttl, expire, owner, NODE_RR_DYNAMIC, r->rdata,
	    r->rdlen);
	/* The RRset takes the TTL of the record just added, as BIND does:
	 * one RRset has one TTL (RFC 2181 section 5.2). */
	if (rc >= 0 && node_edit_set_ttl(e, r->type, r->ttl))
		rc = 1;
	return rc;
}

/* 3.4.2.2: a CNAME is ignored where other data lives, and replaces the
 * CNAME that is there (a name has at most one). */
static int
process_add_cname(struct node_edit *e, const struct urr *r, uint32_t expire, uint32_t owner)
{
	size_t cnames = node_edit_count(e, RR_CNAME);
	if (node_edit_count(e, RR_ANY) > cnames)
		return 0;
	if (cnames > 0) {
		for (size_t i = e->n; i-- > 0;)
			if (e->recs[i].type == RR_CNAME &&
			    !node_rdata_equal(RR_CNAME, e->recs[i].rdata, e->recs[i].rdlen, r->rdata,
			        r->rdlen))
				node_edit_remove(e, i);
	}
	return add_rr(e, r, expire, owner);
}

/* 3.4.2.2: any other type is ignored where a CNAME lives. */
static int
process_add_normal(struct node_edit *e, const struct urr *r, uint32_t expire, uint32_t owner)
{
	if (node_edit_count(e, RR_CNAME) > 0)
		return 0;
	return add_rr(e, r, expire, owner);
}

static int
process_add(struct node_edit *e, const struct urr *r, uint32_t expire, uint32_t owner)
{
	switch (r->type) {
	case RR_CNAME:
		return process_add_cname(e, r, expire, owner);
	case RR_SOA:
		return 0; /* 3.4.2.2: ignored, the serial is ours to manage */
	default:
		return process_add_normal(e, r, expire, owner);
	}
}

/* Remove the records of `type` (RR_ANY: of every type), except the apex's
 * SOA and NS RRsets (3.4.2.3). Returns 1 if a record went. */
static int
remove_rrsets(struct node_edit *e, const struct update_req *u, const uint8_t *name,
    uint16_t type)
{
	bool apex = at_apex(u, name);
	int changed = 0;
	for (size_t i = e->n; i-- > 0;) {
		const struct node_erec *x = &e->recs[i];
		if (type != RR_ANY && x->type != type)
			continue;
		if (apex && (x->type == RR_SOA || x->type == RR_NS))
			continue;
		changed = 1;
		node_edit_remove(e, i);
	}
	return changed;
}

/* 3.4.2.3: delete all RRsets from a name (the apex keeps SOA and NS). */
static int
process_rem_node(struct node_edit *e, const struct update_req *u, const struct urr *r)
{
	return remove_rrsets(e, u, r->name, RR_ANY);
}

/* 3.4.2.3: delete an RRset (not the apex's SOA or NS). */
static int
process_rem_rrset(struct node_edit *e, const struct update_req *u, const struct urr *r)
{
	return remove_rrsets(e, u, r->name, r->type);
}

/* 3.4.2.4: delete one RR; never the apex SOA, never the apex's last NS. */
static int
process_rem_rr(struct node_edit *e, const struct update_req *u, const struct urr *r)
{
	bool apex = at_apex(u, r->name);
	int changed = 0;
	if (apex && r->type == RR_SOA)
		return 0;
	/* Looked up, not scanned for: the node may hold thousands. (Two
	 * records whose names differ only in case are one for RFC 4034; both
	 * go.) */
	for (long i; (i = node_edit_find(e, r->type, r->rdata, r->rdlen)) >= 0;) {
		if (apex && r->type == RR_NS && node_edit_count(e, RR_NS) <= 1)
			break;
		changed = 1;
		node_edit_remove(e, (size_t)i);
	}
	return changed;
}

static int
process_remove(struct node_edit *e, const struct update_req *u, const struct urr *r)
{
	if (is_node_removal(r))
		return process_rem_node(e, u, r);
	if (is_rrset_removal(r))
		return process_rem_rrset(e, u, r);
	return process_rem_rr(e, u, r);
}

uint32_t
update_grant_lease(const struct update_req *u, uint32_t requested, bool asked)
{
	const struct conf_zone *cz = u->zone->conf;
	uint32_t lease = asked ? requested : cz->default_lease;
	/* The zone's bounds are for the leases clients ask for; its default
	 * is the operator's own choice. A key's bounds hold for everything it
	 * signs (a key held to a minute must not add records forever by
	 * leaving the option out). */
	uint32_t lo = asked ? cz->min_lease : 0, hi = asked ? cz->max_lease : 0;
	if (u->key != NULL) {
		if (u->key->min_lease > lo)
			lo = u->key->min_lease;
		if (u->key->max_lease != 0 && (hi == 0 || u->key->max_lease < hi))
			hi = u->key->max_lease;
	}
	/* 0 asks for records that never expire: the longest lease allowed
	 * (dnsd.conf(5)), forever when there is no max. */
	if (lease == 0)
		return hi;
	if (lease < lo)
		lease = lo;
	if (hi != 0 && lease > hi)
		lease = hi;
	return lease;
}

/* The per-key cap on the records a key owns in the zone (its policy,
 * known only once the update is done). */
static int
check_max_records(struct store_txn *t, const struct update_req *u, uint32_t owner,
    uint8_t *rcode)
{
	uint32_t n;
	if (u->key == NULL || u->key->max_records == 0)
		return 0;
	int rc = store_owner_count(t, u->zone->id, owner, &n);
	if (rc == 0 && n > u->key->max_records)
		*rcode = RCODE_REFUSED;
	return rc;
}

int
update_process(struct store_txn *t, const struct update_req *u, struct update_result *res)
{
	const struct query_req *q = u->req;
	struct urr *r = malloc(sizeof(*r));
	struct node_edit e;
	struct store_key k;
	struct wire_cur c;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->rcode = RCODE_NOERROR;
	if (r == NULL)
		return -ENOMEM;
	/* RFC 9664: one lease for every record this update adds. */
	res->lease = update_grant_lease(u, q->lease, q->has_lease);
	res->key_lease = q->lease_8 ? update_grant_lease(u, q->key_lease, true) : 0;
	/* The clock counts whole seconds: round up, so a lease of L seconds
	 * lasts at least L seconds (and less than L + 1). */
	uint32_t expire = 0;
	if (res->lease != 0)
		expire = res->lease < UINT32_MAX - 1 - u->now ? u->now + res->lease + 1 : UINT32_MAX;
	uint32_t owner = u->key ? node_owner_tag(u->key->name_wire) : 0;

	struct svc_ctx own, *sx = u->svc;
	if (sx == NULL) {
		svc_ctx_init(&own, t, NULL, u->now);
		sx = &own;
	}
	sx->t = t;
	sx->now = u->now;
	unsigned reg0 = sx->registered, ren0 = sx->renewed, dereg0 = sx->deregistered;
	bool changed0 = sx->changed;
	sx->changed = false;
	/* The node being edited stays loaded while the RRs that follow are at
	 * its name, and is saved once when the name changes or the section
	 * ends: an UPDATE of 1,000 records at a name of 100,000 decodes and
	 * encodes that node once, not 1,000 times. It is saved before the
	 * service model looks at the store. */
	bool loaded = false;
	uint8_t loaded_name[WIRE_NAME_MAX];
	node_edit_init(&e);
	if (!update_section(u, &c))
		rc = DNSD_EMALF;
	for (unsigned i = 0; i < q->nscount && rc == 0; i++) {
		if ((rc = read_rr(&c, r)) != 0)
			break;
		bool service = update_service_name(u, r->name);
		if (loaded && (service || !wire_name_equal(r->name, loaded_name))) {
			loaded = false;
			if ((rc = store_node_save(t, &k, &e)) != 0)
				break;
		}
		/* An RR about a service instance changes the instance (services.c). */
		if (service) {
			struct update_rr ur = { r->name, r->type, r->klass, r->ttl, r->rdata, r->rdlen };
			bool absorbed;
			rc = update_service_rr(sx, u, &ur, expire, owner, &absorbed);
			res->changed |= sx->changed;
			if (rc != 0 || absorbed)
				continue;
		}
		if (!loaded) {
			if ((rc = key_of(u, r->name, &k)) != 0 ||
			    (rc = store_node_load(t, &k, u->now, &e)) != 0)
				break;
			memcpy(loaded_name, r->name, wire_name_len(r->name));
			loaded = true;
		}
		int a = is_addition(r) ? process_add(&e, r, expire, owner)
		                       : process_remove(&e, u, r);
		if (a < 0) {
			rc = a;
			break;
		}
		res->changed = true;
	}
	if (rc == 0 && loaded)
		rc = store_node_save(t, &k, &e);
	node_edit_free(&e);
	/* A record the store may not change (a zone-file record, in cluster
	 * mode: every node has the same file) is a matter of policy. */
	if (rc == DNSD_EREFUSED) {
		res->rcode = RCODE_REFUSED;
		rc = 0;
	}
	/* The views of the instances it changed: now when it is alone, else
	 * when the group ends (before then only for the record count below). */
	if (rc == 0 && res->rcode == RCODE_NOERROR && sx == &own)
		rc = svc_flush(&own);
	else if (rc == 0 && res->rcode == RCODE_NOERROR && u->key != NULL &&
	    u->key->max_records != 0)
		rc = svc_refresh(sx);
	if (sx == &own)
		svc_ctx_free(&own);
	res->catalog = sx->changed;
	res->registered = sx->registered - reg0;
	res->renewed = sx->renewed - ren0;
	res->deregistered = sx->deregistered - dereg0;
	sx->changed |= changed0;
	if (rc == 0 && res->rcode == RCODE_NOERROR)
		rc = check_max_records(t, u, owner, &res->rcode);
	free(r);
	return rc;
}

/* 3.1.1: exactly one zone, of type SOA and class IN, that we serve; the
 * zone section names the apex. */
static uint8_t
check_zone_section(const struct update_req *u)
{
	const struct query_req *q = u->req;
	if (q->qdcount != 1 || q->qtype != RR_SOA)
		return RCODE_FORMERR;
	if (u->zone == NULL || !wire_name_equal(q->qname, u->zone->apex) || q->qclass != CLASS_IN)
		return RCODE_NOTAUTH;
	return RCODE_NOERROR;
}

int
update_apply(struct store_txn *t, const struct update_req *u, struct update_result *res)
{
	int rc;

	memset(res, 0, sizeof(*res));
	if ((res->rcode = check_zone_section(u)) != RCODE_NOERROR)
		return 0;
	/* Prerequisites read the views: those of earlier updates of the group
	 * must be there. */
	if (u->svc != NULL && u->req->ancount > 0) {
		u->svc->t = t;
		if ((rc = svc_refresh(u->svc)) != 0)
			return rc;
	}
	if ((rc = update_prereqs(t, u, &res->rcode)) != 0 || res->rcode != RCODE_NOERROR)
		return rc;
	if ((rc = update_precheck(t, u, &res->rcode)) != 0 || res->rcode != RCODE_NOERROR)
		return rc;
	return update_process(t, u, res);
}

int
update_reap_one(struct svc_ctx *x, unsigned *removed, uint32_t *zone_id)
{
	struct store_txn *t = x->t;
	struct store_key k;
	struct node_edit e;
	uint32_t expire;

	*removed = 0;
	int rc = store_expiry_first(t, &expire, &k);
	if (rc != 0)
		return rc == DNSD_ENOTFOUND ? 0 : rc;
	if (expire > x->now)
		return 0;
	*zone_id = wire_get32(k.b);
	if ((rc = store_expiry_del(t, expire, &k)) != 0)
		return rc;
	/* Remove what is due there (nothing if the entry is stale: the node
	 * is gone, or was renewed), and the instance of that name. */
	node_edit_init(&e);
	if ((rc = store_node_load(t, &k, 0, &e)) == 0 &&
	    (*removed = (unsigned)node_edit_drop_expired(&e, x->now)) > 0)
		rc = store_node_save(t, &k, &e);
	node_edit_free(&e);
	if (rc == 0)
		rc = svc_expire(x, &k);
	return rc != 0 ? rc : 1;
}
