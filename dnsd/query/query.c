/* query.c -- answer a DNS query from the store (RFC 1034 section 4.3.2,
 * RFC 2308, RFC 4592, RFC 6891, RFC 8482, RFC 6763 section 12)
 *
 * query_answer() is a run of short checks on the request, then one of a
 * few answer shapes (answer, NODATA, NXDOMAIN, referral), each written
 * straight into the caller's buffer. Records are copied from their stored
 * wire form; only owner names and well-known RDATA names are compressed.
 * The finishing step (finish.c, reply.c) appends the OPT and TSIG.
 */
#include "config.h"

#include <string.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "node/node.h"
#include "query/query.h"
#include "reply/reply.h"
#include "store/store.h"
#include "util/err.h"
#include "zone/zone.h"

#define CNAME_CHAIN_MAX 8
#define ADDITIONAL_SEEN_MAX 32
#define ADDRS_MAX 64 /* addresses an A/AAAA answer for a service name draws from */

/* ---- the response under construction ---- */

struct answer {
	struct query_ctx *q;
	const struct query_req *req;
	struct wire_buf w;
	uint32_t now;
	uint32_t stable_until; /* see query_info; lowered by every node read */
	bool tcp;
	bool tc;         /* a record of answer or authority did not fit */
	bool add_full;   /* the additional section is closed */
	uint16_t an, ns, ar;
	uint16_t rcode;
	bool aa;
	bool varies;     /* drawn for this query (answer_addrs) */
	unsigned nseen;
	const uint8_t *seen[ADDITIONAL_SEEN_MAX]; /* names already in additional */
};

enum section { SEC_AN, SEC_NS, SEC_AR };

/* Account for a node the answer is built from: its leases bound how long
 * the answer stays the same. */
static void
used_node(struct answer *a, const struct store_val *v)
{
	uint32_t t = node_stable_until(v->data, v->len, a->now);
	if (t < a->stable_until)
		a->stable_until = t;
}

/*
 * Write one RDATA. Names in the RFC 1035 types are compressed (RFC 3597
 * section 4 allows it only for those); everything else, SRV included, is
 * copied as stored.
 */
static void
put_rdata(struct answer *a, uint16_t type, const uint8_t *rd, uint16_t rdlen)
{
	struct wire_buf *w = &a->w;
	size_t lenpos = w->len;
	wire_buf_u16(w, 0);
	size_t start = w->len;
	switch (type) {
	case RR_NS: case RR_CNAME: case RR_PTR:
		if (wire_name_check(rd, rdlen) == rdlen) {
			wire_buf_name(w, rd);
			break;
		}
		wire_buf_bytes(w, rd, rdlen);
		break;
	case RR_MX: {
		if (rdlen > 2 && wire_name_check(rd + 2, rdlen - 2) == (size_t)rdlen - 2) {
			wire_buf_bytes(w, rd, 2);
			wire_buf_name(w, rd + 2);
			break;
		}
		wire_buf_bytes(w, rd, rdlen);
		break;
	}
	case RR_SOA: {
		size_t m = wire_name_check(rd, rdlen);
		size_t r = m ? wire_name_check(rd + m, rdlen - m) : 0;
		if (m && r && m + r + 20 == rdlen) {
			wire_buf_name(w, rd);
			wire_buf_name(w, rd + m);
			wire_buf_bytes(w, rd + m + r, 20);
			break;
		}
		wire_buf_bytes(w, rd, rdlen);
		break;
	}
	default:
		wire_buf_bytes(w, rd, rdlen);
	}
	if (w->err == 0)
		wire_put16(w->data + lenpos, (uint16_t)(w->len - start));
}

/*
 * Write `owner` for a record. The first time (*ptr 0) it goes through the
 * compressing writer, and *ptr becomes the two bytes that say the same
 * name again: a pointer to where it was written, or the pointer it was
 * written as. Later records of the same owner write those two bytes: what
 * the writer would find again, without searching its table for it.
 */
static void
put_owner(struct answer *a, const uint8_t *owner, uint16_t *ptr)
{
	struct wire_buf *w = &a->w;
	if (*ptr != 0) {
		wire_buf_u16(w, *ptr);
		return;
	}
	size_t at = w->len;
	unsigned ncomp = w->ncomp;
	wire_buf_name(w, owner);
	if (w->err != 0)
		return;
	if (w->len - at == 2 && (w->data[at] & 0xc0) == 0xc0)
		*ptr = wire_get16(w->data + at);
	else if (w->ncomp > ncomp && at <= 0x3fff)
		*ptr = (uint16_t)(0xc000 | at); /* the writer took it as a target */
}

/*
 * Write the live records of an RRset. In the answer and authority
 * sections a record that does not fit sets TC and ends the message (what
 * fit stays); in the additional section the partial RRset is removed and
 * the section is closed. Returns the number of records written. `optr`:
 * see put_owner (0 the first time an owner is written; kept by callers
 * that write several RRsets of one owner).
 */
static unsigned
put_rrset_ptr(struct answer *a, const uint8_t *owner, const struct node_rrset *set,
    enum section sec, uint16_t *optr)
{
	struct node_live_it it;
	struct node_rr rr;
	struct wire_mark start = wire_buf_mark(&a->w);
	uint16_t optr_start = *optr;
	unsigned n = 0;

	if (a->tc || (sec == SEC_AR && a->add_full))
		return 0;
	/* One TTL for the RRset: the least any live record may have, so the
	 * set never outlives its shortest lease in a cache. */
	uint32_t ttl = UINT32_MAX;
	node_live_init(&it, set, a->now);
	while (node_live_next(&it, &rr))
		if (node_rr_ttl(&rr, a->now) < ttl)
			ttl = node_rr_ttl(&rr, a->now);
	node_live_init(&it, set, a->now);
	while (node_live_next(&it, &rr)) {
		struct wire_mark m = wire_buf_mark(&a->w);
		uint16_t optr_m = *optr;
		put_owner(a, owner, optr);
		wire_buf_u16(&a->w, set->type);
		wire_buf_u16(&a->w, CLASS_IN);
		wire_buf_u32(&a->w, ttl);
		put_rdata(a, set->type, rr.rdata, rr.rdlen);
		if (a->w.err != 0) {
			if (sec == SEC_AR) {
				wire_buf_rollback(&a->w, start);
				*optr = optr_start;
				a->add_full = true;
				return 0;
			}
			wire_buf_rollback(&a->w, m);
			*optr = optr_m;
			a->tc = true;
			break;
		}
		n++;
	}
	if (sec == SEC_AN)
		a->an += n;
	else if (sec == SEC_NS)
		a->ns += n;
	else
		a->ar += n;
	return n;
}

static unsigned
put_rrset(struct answer *a, const uint8_t *owner, const struct node_rrset *set,
    enum section sec)
{
	uint16_t optr = 0;
	return put_rrset_ptr(a, owner, set, sec, &optr);
}

/* Look up a node by name in whichever served zone holds it. */
static bool
node_lookup(struct answer *a, const uint8_t *name, struct store_val *v)
{
	const struct zone *z = zonetab_find(a->q->zones, name);
	struct store_key k;
	if (z == NULL || store_key_make(&k, z->id, name, z->labels) != 0 ||
	    store_node_get(a->q->txn, &k, v) != 0)
		return false;
	used_node(a, v);
	return true;
}

/* Add the live RRset of `type` at `name` to the additional section. */
static void
add_rrset_of(struct answer *a, const uint8_t *name, const struct store_val *v, uint16_t type,
    uint16_t *optr)
{
	struct node_rrset set;
	if (node_rrset_find(v->data, v->len, type, &set))
		put_rrset_ptr(a, name, &set, SEC_AR, optr);
}

static bool
seen_before(struct answer *a, const uint8_t *name)
{
	for (unsigned i = 0; i < a->nseen; i++)
		if (wire_name_equal(a->seen[i], name))
			return true;
	if (a->nseen < ADDITIONAL_SEEN_MAX)
		a->seen[a->nseen++] = name;
	return false;
}

/* A and AAAA of an in-zone target (SRV, MX, NS) into the additional section. */
static void
add_addresses(struct answer *a, const uint8_t *target)
{
	struct store_val v;
	if (a->add_full || a->tc || seen_before(a, target) || !node_lookup(a, target, &v))
		return;
	uint16_t optr = 0;
	add_rrset_of(a, target, &v, RR_A, &optr);
	add_rrset_of(a, target, &v, RR_AAAA, &optr);
}

/* The target name inside RDATA of SRV/MX/NS, or NULL. */
static const uint8_t *
rdata_target(uint16_t type, const struct node_rr *rr)
{
	size_t off = type == RR_SRV ? 6 : type == RR_MX ? 2 : 0;
	if (rr->rdlen <= off || wire_name_check(rr->rdata + off, rr->rdlen - off) == 0)
		return NULL;
	return rr->rdata + off;
}

/*
 * Additional-section processing for an answer RRset: addresses of SRV, MX
 * and NS targets; for a DNS-SD PTR (RFC 6763 section 12.1) the instance's
 * SRV and TXT and the SRV targets' addresses, as far as they fit.
 */
static void
add_additional(struct answer *a, const struct node_rrset *set)
{
	struct node_live_it it;
	struct node_rr rr;
	node_live_init(&it, set, a->now);
	while (!a->add_full && !a->tc && node_live_next(&it, &rr)) {
		if (set->type == RR_SRV || set->type == RR_MX || set->type == RR_NS) {
			const uint8_t *t = rdata_target(set->type, &rr);
			if (t != NULL)
				add_addresses(a, t);
			continue;
		}
		if (set->type != RR_PTR || wire_name_check(rr.rdata, rr.rdlen) != rr.rdlen)
			continue;
		struct store_val v;
		if (!node_lookup(a, rr.rdata, &v))
			continue;
		struct node_rrset srv;
		uint16_t optr = 0;
		bool has_srv = node_rrset_find(v.data, v.len, RR_SRV, &srv);
		if (has_srv)
			put_rrset_ptr(a, rr.rdata, &srv, SEC_AR, &optr);
		add_rrset_of(a, rr.rdata, &v, RR_TXT, &optr);
		if (has_srv) {
			struct node_live_it si;
			struct node_rr sr;
			node_live_init(&si, &srv, a->now);
			while (node_live_next(&si, &sr)) {
				const uint8_t *t = rdata_target(RR_SRV, &sr);
				if (t != NULL)
					add_addresses(a, t);
			}
		}
	}
}

/* The zone's SOA in the authority section, TTL per RFC 2308 section 5. */
static void
put_soa_authority(struct answer *a, const struct zone *z)
{
	struct store_key k;
	struct store_val v;
	struct node_rrset set;
	struct node_live_it it;
	struct node_rr rr;

	if (store_key_make(&k, z->id, z->apex, z->labels) != 0 ||
	    store_node_get(a->q->txn, &k, &v) != 0 ||
	    !node_rrset_find(v.data, v.len, RR_SOA, &set))
		return;
	used_node(a, &v);
	node_live_init(&it, &set, a->now);
	if (!node_live_next(&it, &rr))
		return;
	uint32_t ttl = rr.ttl, min = node_soa_minimum(rr.rdata, rr.rdlen);
	struct wire_mark m = wire_buf_mark(&a->w);
	wire_buf_name(&a->w, z->apex);
	wire_buf_u16(&a->w, RR_SOA);
	wire_buf_u16(&a->w, CLASS_IN);
	wire_buf_u32(&a->w, ttl < min ? ttl : min);
	put_rdata(a, RR_SOA, rr.rdata, rr.rdlen);
	if (a->w.err != 0) {
		wire_buf_rollback(&a->w, m);
		a->tc = true;
		return;
	}
	a->ns++;
}

/* A referral to the delegation at `cut` (RFC 1034 section 4.3.2 step 3b):
 * the NS RRset in authority, glue in additional, no AA. False, with
 * nothing written, when every NS there has expired: a delegation
 * registered with a lease ends with it, before the reaper removes it. */
static bool
put_referral(struct answer *a, const struct zone *z, const struct store_key *cutkey)
{
	struct store_val v;
	struct node_rrset ns;
	uint8_t owner[WIRE_NAME_MAX];

	if (store_node_get(a->q->txn, cutkey, &v) != 0 ||
	    !node_rrset_find(v.data, v.len, RR_NS, &ns) ||
	    store_key_to_name(cutkey->b, cutkey->len, z->apex, owner) == 0) {
		a->rcode = RCODE_SERVFAIL;
		return true;
	}
	used_node(a, &v);
	if (!node_live_find(v.data, v.len, RR_NS, a->now, &ns))
		return false;
	a->aa = false;
	put_rrset(a, owner, &ns, SEC_NS);
	add_additional(a, &ns);
	return true;
}

/* A draw from the caller's random state (xorshift64). */
static uint64_t
draw(struct query_ctx *q)
{
	uint64_t x = q->rng != 0 ? q->rng : 0x9e3779b97f4a7c15u;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return q->rng = x;
}

/* Is this SRV RRset a service name's (NODE_RR_ADDRS), whose targets answer
 * its address queries? */
static bool
srv_gives_addrs(const struct node_rrset *set, uint32_t now)
{
	struct node_live_it it;
	struct node_rr rr;
	node_live_init(&it, set, now);
	return node_live_next(&it, &rr) && (rr.flags & NODE_RR_ADDRS);
}

/*
 * A or AAAA for a Consul-style service name: the addresses of its SRV
 * targets, in an order drawn for this query, so that clients which take
 * the first address (glibc, most HTTP clients) spread over the instances.
 * With more than the zone's a-record-limit, that many are drawn with a
 * chance proportional to their SRV weight; an instance of weight 0 comes
 * only when no other is left. False when no target has an address (NODATA).
 */
static bool
answer_addrs(struct answer *a, const struct zone *z, const uint8_t *owner,
    const struct node_rrset *srv, uint16_t qtype)
{
	struct cand {
		const uint8_t *rdata;
		uint16_t rdlen, weight;
	} c[ADDRS_MAX];
	size_t n = 0;
	uint32_t ttl = UINT32_MAX;
	struct node_live_it si;
	struct node_rr sr;
	node_live_init(&si, srv, a->now);
	while (n < ADDRS_MAX && node_live_next(&si, &sr)) {
		struct store_val v;
		struct node_rrset as;
		struct node_live_it ai;
		struct node_rr ar;
		if (sr.rdlen < 7 || wire_name_check(sr.rdata + 6, sr.rdlen - 6u) == 0 ||
		    !node_lookup(a, sr.rdata + 6, &v) || !node_live_find(v.data, v.len, qtype, a->now, &as))
			continue;
		if (node_rr_ttl(&sr, a->now) < ttl)
			ttl = node_rr_ttl(&sr, a->now);
		node_live_init(&ai, &as, a->now);
		while (n < ADDRS_MAX && node_live_next(&ai, &ar)) {
			if (node_rr_ttl(&ar, a->now) < ttl)
				ttl = node_rr_ttl(&ar, a->now);
			c[n++] = (struct cand){ ar.rdata, ar.rdlen, wire_get16(sr.rdata + 2) };
		}
	}
	if (n == 0)
		return false;
	a->varies = true;
	size_t limit = z->conf->a_record_limit;
	if (limit == 0 || limit > n)
		limit = n;
	/* Draw `limit` without putting back: by weight while any weight is
	 * left, then evenly (weight 0 last, as RFC 2782 orders them). */
	for (size_t i = 0; i < limit; i++) {
		uint64_t total = 0;
		for (size_t j = i; j < n; j++)
			total += c[j].weight;
		size_t pick = i;
		if (total > 0) {
			uint64_t x = draw(a->q) % total;
			for (pick = i; pick < n && x >= c[pick].weight; pick++)
				x -= c[pick].weight;
		} else {
			pick = i + (size_t)(draw(a->q) % (n - i));
		}
		struct cand t = c[i];
		c[i] = c[pick];
		c[pick] = t;
		struct wire_mark m = wire_buf_mark(&a->w);
		wire_buf_name(&a->w, owner);
		wire_buf_u16(&a->w, qtype);
		wire_buf_u16(&a->w, CLASS_IN);
		wire_buf_u32(&a->w, ttl);
		wire_buf_u16(&a->w, c[i].rdlen);
		wire_buf_bytes(&a->w, c[i].rdata, c[i].rdlen);
		if (a->w.err != 0) {
			wire_buf_rollback(&a->w, m);
			a->tc = true;
			break;
		}
		a->an++;
	}
	return true;
}

/*
 * Answer from one node: the RRset asked for, or a CNAME to follow, or
 * NODATA. `owner` is the name to write (the query name, also for wildcard
 * synthesis). Returns the CNAME target to follow, or NULL when done.
 */
static const uint8_t *
answer_node(struct answer *a, const struct zone *z, const uint8_t *owner,
    const struct store_val *v, uint16_t qtype)
{
	struct node_rrset set;
	struct node_it it;

	if (qtype == RR_ANY) {
		/* RFC 8482: over UDP one RRset is enough; TCP gets them all. */
		node_it_init(&it, v->data, v->len);
		while (node_live_sets_next(&it, a->now, &set)) {
			put_rrset(a, owner, &set, SEC_AN);
			if (!a->tcp)
				break;
		}
		return NULL;
	}
	if (node_live_find(v->data, v->len, qtype, a->now, &set)) {
		put_rrset(a, owner, &set, SEC_AN);
		add_additional(a, &set);
		return NULL;
	}
	if ((qtype == RR_A || qtype == RR_AAAA) &&
	    node_live_find(v->data, v->len, RR_SRV, a->now, &set) && srv_gives_addrs(&set, a->now) &&
	    answer_addrs(a, z, owner, &set, qtype))
		return NULL;
	if (qtype != RR_CNAME && node_live_find(v->data, v->len, RR_CNAME, a->now, &set)) {
		struct node_live_it ri;
		struct node_rr rr;
		put_rrset(a, owner, &set, SEC_AN);
		node_live_init(&ri, &set, a->now);
		while (node_live_next(&ri, &rr))
			if (wire_name_check(rr.rdata, rr.rdlen) == rr.rdlen)
				return rr.rdata;
		return NULL;
	}
	put_soa_authority(a, z); /* NODATA */
	return NULL;
}

/* Resolve `name` within zone `z` (RFC 1034 4.3.2 step 3). Returns a CNAME
 * target to continue with, or NULL. */
static const uint8_t *
answer_name(struct answer *a, const struct zone *z, const uint8_t *name, uint16_t qtype)
{
	struct store_key k;
	struct store_find f;
	unsigned cut;

	if (store_key_make(&k, z->id, name, z->labels) != 0) {
		a->rcode = RCODE_NXDOMAIN;
		put_soa_authority(a, z);
		return NULL;
	}
	if (store_cut_find(a->q->txn, &k, &cut) == 0 && cut > 0 &&
	    !(cut == k.depth && qtype == RR_DS)) {
		struct store_key ck = k;
		store_key_truncate(&ck, cut);
		if (put_referral(a, z, &ck))
			return NULL;
	}
	if (store_node_find(a->q->txn, &k, &f) != 0) {
		a->rcode = RCODE_SERVFAIL;
		return NULL;
	}
	if (f.found)
		used_node(a, &f.v);
	if (f.found && node_has_live(f.v.data, f.v.len, a->now))
		return answer_node(a, z, name, &f.v, qtype);
	/* A node whose every lease ran out does not exist: it is an empty
	 * non-terminal if names below it live on, else the wildcard or
	 * NXDOMAIN decide as for any missing name. */
	if (f.found && store_node_find_absent(a->q->txn, &k, &f) != 0) {
		a->rcode = RCODE_SERVFAIL;
		return NULL;
	}
	if (f.ent) {
		put_soa_authority(a, z);
		return NULL;
	}
	/* RFC 4592: the source of synthesis is "*" below the closest encloser. */
	if (f.ce_depth < k.depth) {
		struct store_key w = k;
		struct store_val v;
		store_key_truncate(&w, f.ce_depth);
		if (w.len + 2 <= STORE_KEY_MAX) {
			w.b[w.len++] = '*';
			w.b[w.len++] = 0;
			w.ends[w.depth++] = w.len;
			if (store_node_get(a->q->txn, &w, &v) == 0) {
				used_node(a, &v);
				if (node_has_live(v.data, v.len, a->now))
					return answer_node(a, z, name, &v, qtype);
			}
		}
	}
	a->rcode = RCODE_NXDOMAIN;
	put_soa_authority(a, z);
	return NULL;
}

static void
put_header(struct wire_buf *w, const struct query_req *r, uint16_t rcode, bool aa, bool tc)
{
	uint16_t flags = WIRE_QR | (r->flags & (0x7800 | WIRE_RD | WIRE_CD)) | (rcode & 0xf);
	if (aa)
		flags |= WIRE_AA;
	if (tc)
		flags |= WIRE_TC;
	wire_put16(w->data, r->id);
	wire_put16(w->data + 2, flags);
}

/* Header, question (as received, case kept) and zero counts. */
static void
start_reply(struct wire_buf *w, const struct query_req *r)
{
	uint8_t hdr[WIRE_HDR_LEN] = { 0 };
	wire_buf_bytes(w, hdr, sizeof(hdr));
	if (w->err == 0 && r->qdcount == 1 && r->qname_len > 0) {
		wire_put16(w->data + 4, 1);
		wire_buf_name(w, r->qname);
		wire_buf_u16(w, r->qtype);
		wire_buf_u16(w, r->qclass);
	}
}

size_t
query_reply_start(const struct query_req *r, uint8_t *out, size_t outmax, uint16_t rcode)
{
	struct wire_buf w;
	wire_buf_init(&w, out, outmax);
	start_reply(&w, r);
	if (w.err != 0) {
		/* The question does not fit (or was garbage): header only. */
		wire_buf_init(&w, out, outmax);
		uint8_t hdr[WIRE_HDR_LEN] = { 0 };
		wire_buf_bytes(&w, hdr, sizeof(hdr));
	}
	if (w.err != 0)
		return 0; /* not even the header fits */
	put_header(&w, r, rcode, false, false);
	return w.len;
}

size_t
query_error_reply(const struct query_req *r, uint8_t *out, size_t outmax, uint16_t rcode,
    uint16_t edns_max, const struct keyring_check *sig, uint32_t now)
{
	struct reply_opt o;
	size_t n = query_reply_start(r, out, outmax, rcode);
	if (n == 0)
		return 0;
	query_reply_opt(r, edns_max, &o);
	return reply_finish(out, n, outmax, rcode, &o, sig, now);
}

/* An error reply to the request in info->req, with the OPT options
 * this request gets (`x`). */
static size_t
reply_error(const struct query_ctx *q, const struct query_extra *x, struct query_info *info,
    uint8_t *out, size_t outmax, uint16_t rcode, const struct keyring_check *sig, uint32_t now)
{
	struct reply_opt o;
	info->action = QUERY_REPLY;
	info->rcode = (uint8_t)rcode;
	size_t n = query_reply_start(&info->req, out, outmax, rcode);
	info->body_len = n;
	query_reply_opt_ex(q, &info->req, x, &o);
	if (n > 0)
		n = reply_finish(out, n, outmax, rcode, &o, sig, now);
	if (n == 0)
		info->action = QUERY_DROP;
	return n;
}

/*
 * Check a signed request's TSIG into *sig. True if it is valid (the answer
 * is to be signed with that key). False if not: then *reply_len is the
 * answer already in `out` (NOTAUTH with the TSIG error, or FORMERR for a
 * malformed TSIG), 0 to drop.
 */
static bool
verify_signed(struct query_ctx *q, const struct query_extra *x, const uint8_t *in, size_t inlen,
    uint32_t now, struct keyring_check *sig, uint8_t *out, size_t outmax, struct query_info *info,
    size_t *reply_len)
{
	keyring_verify(q->keys, in, inlen, now, sig);
	if (sig->status == KEYRING_VALID)
		return true;
	uint16_t rcode = sig->tsig_error == TSIG_NOERROR ? RCODE_FORMERR : RCODE_NOTAUTH;
	*reply_len = reply_error(q, x, info, out, outmax, rcode, sig, now);
	return false;
}

size_t
query_answer_parsed(struct query_ctx *q, const struct query_extra *x, int prc, uint8_t prcode,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t outmax, bool tcp, uint32_t now,
    struct query_info *info)
{
	struct query_req *r = &info->req;

	info->zone = NULL;
	info->action = QUERY_DROP;
	info->stable_until = UINT32_MAX;
	info->planned = false;
	info->varies = false;
	info->body_len = 0;
	if (prc == DNSD_ERCODE) {
		/* A FORMERR answer must not echo garbage: header only. */
		r->qdcount = 0;
		return reply_error(q, NULL, info, out, outmax, prcode, NULL, now);
	}
	if (prc != 0)
		return 0;
	if (r->edns && r->edns_version > 0)
		return reply_error(q, x, info, out, outmax, RCODE_BADVERS, NULL, now);

	uint16_t opcode = WIRE_OPCODE(r->flags);
	if (opcode == OPCODE_UPDATE) {
		info->zone = r->qdcount == 1 ? zonetab_find(q->zones, r->qname) : NULL;
		info->action = QUERY_UPDATE;
		return 0;
	}
	if (opcode != OPCODE_QUERY)
		return reply_error(q, x, info, out, outmax,
		    opcode == OPCODE_NOTIFY ? RCODE_REFUSED : RCODE_NOTIMP, NULL, now);
	if (r->qdcount != 1 || r->ancount != 0)
		return reply_error(q, x, info, out, outmax, RCODE_FORMERR, NULL, now);
	if (r->qtype == RR_OPT || r->qtype == RR_TSIG || r->qtype == 249 /* TKEY */)
		return reply_error(q, x, info, out, outmax, RCODE_FORMERR, NULL, now);
	if (r->qclass == CLASS_CH && !r->has_tsig)
		return query_chaos(q, x, out, outmax, tcp, now, info);
	if (r->qclass != CLASS_IN && r->qclass != CLASS_ANY)
		return reply_error(q, x, info, out, outmax, RCODE_REFUSED, NULL, now);

	struct reply_opt opt;
	query_reply_opt_ex(q, r, x, &opt);
	size_t limit = query_limit(q, r, tcp, outmax);
	if (limit < WIRE_HDR_LEN + reply_room(&opt, NULL))
		return 0; /* no reply fits the caller's buffer: drop */
	const struct zone *z = zonetab_find(q->zones, r->qname);
	/* Only a signed request fills `sig` (it is large: no clearing it for
	 * every query); `signed_by` stays NULL for the others. */
	struct keyring_check sig;
	const struct keyring_check *signed_by = NULL;
	size_t n;
	if (z == NULL) {
		if (q->forward) {
			info->action = QUERY_FORWARD;
			info->limit = limit;
			return 0;
		}
		if (r->has_tsig) {
			if (!verify_signed(q, x, in, inlen, now, &sig, out, outmax, info, &n))
				return n;
			signed_by = &sig;
		}
		return reply_error(q, x, info, out, outmax, RCODE_REFUSED, signed_by, now);
	}
	uint16_t qtype = r->qtype;
	if (qtype == RR_AXFR || qtype == RR_IXFR) {
		info->zone = z;
		if (tcp) {
			info->action = QUERY_XFR;
			return 0;
		}
		if (qtype == RR_AXFR)
			return reply_error(q, x, info, out, outmax, RCODE_NOTIMP, NULL, now);
		/* IXFR over UDP: the current SOA alone, so the client learns
		 * whether it is behind and comes back over TCP (RFC 1995 s. 2). */
		qtype = RR_SOA;
	}

	/* A signed query (RFC 8945): verify, and sign the answer. */
	if (r->has_tsig) {
		if (!verify_signed(q, x, in, inlen, now, &sig, out, outmax, info, &n))
			return n;
		signed_by = &sig;
	}
	/* Keep room for what the finishing step appends: OPT and TSIG. */
	size_t room = reply_room(&opt, signed_by);
	if (limit < WIRE_HDR_LEN + room)
		return 0;

	struct answer a = { .q = q, .req = r, .now = now, .stable_until = UINT32_MAX, .tcp = tcp,
		.aa = true };
	wire_buf_init(&a.w, out, limit - room);
	start_reply(&a.w, r);
	if (a.w.err != 0)
		return reply_error(q, x, info, out, outmax, RCODE_FORMERR, NULL, now);
	struct wire_mark question = wire_buf_mark(&a.w);

	/* Follow in-zone CNAMEs (RFC 1034 4.3.2 step 3a), bounded, and stop at
	 * a loop before any name is answered twice. Targets point into the
	 * store and stay valid for the transaction. */
	const uint8_t *name = r->qname;
	const uint8_t *chain[CNAME_CHAIN_MAX + 1];
	for (int hop = 0; name != NULL && hop <= CNAME_CHAIN_MAX; hop++) {
		chain[hop] = name;
		const uint8_t *next = answer_name(&a, z, name, qtype);
		if (next == NULL || a.tc)
			break;
		const struct zone *nz = zonetab_find(q->zones, next);
		if (nz == NULL)
			break; /* out of our zones: the resolver goes on from here */
		bool loop = false;
		for (int i = 0; i <= hop && !loop; i++)
			loop = wire_name_equal(chain[i], next);
		if (loop)
			break;
		name = next;
		z = nz;
	}
	if (a.tc && !tcp) {
		/* A UDP answer that does not fit carries no records at all, as
		 * Knot and NSD send it: TC says "ask over TCP", and a part of
		 * the answer would only amplify a spoofed request. */
		wire_buf_rollback(&a.w, question);
		a.an = a.ns = a.ar = 0;
	}

	wire_put16(out + 6, a.an);
	wire_put16(out + 8, a.ns);
	wire_put16(out + 10, a.ar);
	put_header(&a.w, r, a.rcode, a.aa && a.rcode != RCODE_SERVFAIL, a.tc);
	info->action = QUERY_REPLY;
	info->rcode = (uint8_t)a.rcode;
	info->zone = z;
	info->stable_until = a.stable_until;
	info->varies = a.varies;
	info->planned = signed_by == NULL;
	info->body_len = a.w.len;
	return reply_finish(out, a.w.len, limit, a.rcode, &opt, signed_by, now);
}
