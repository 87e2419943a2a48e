/* finish.c -- the parts of a reply that belong to one request: its OPT
 * options (cookie, NSID), a cached body made its own, the short replies of
 * rate limits and cookie checks, the cache key and what may be cached,
 * and the entry points that make those parts before the plan (query.h)
 */
#include "config.h"

#include <string.h>

#include "conf/conf.h"
#include "query/query.h"
#include "reply/reply.h"
#include "util/err.h"
#include "util/log.h"

void
query_ctx_configure(struct query_ctx *q, const struct conf *c)
{
	q->edns_max = c->edns_max;
	q->forward = c->nforward > 0;
	q->nsid = c->nsid_len > 0 ? c->nsid : NULL;
	q->nsid_len = c->nsid_len;
	q->version = c->version[0] != '\0' ? c->version : NULL;
	q->identity = c->identity[0] != '\0' ? c->identity : NULL;
}

void
query_cookies_configure(struct cookie_gen **g, const struct conf *c, const char *who)
{
	uint8_t master[COOKIE_SECRET_LEN];
	if (c->cookie_secret_set)
		memcpy(master, c->cookie_secret, sizeof(master));
	else if (cookie_master_random(master) != 0) {
		log_warn("%s: no random secret for DNS cookies: answering without", who);
		cookie_gen_free(*g);
		*g = NULL;
		return;
	}
	if (!cookie_gen_same(*g, master, conf_cookie_rotation(c))) {
		struct cookie_gen *n = NULL;
		if (cookie_gen_new(master, conf_cookie_rotation(c), &n) != 0)
			log_warn("%s: out of memory for DNS cookies: answering without", who);
		cookie_gen_free(*g);
		*g = n;
	}
	memset(master, 0, sizeof(master));
}

void
query_reply_opt(const struct query_req *r, uint16_t edns_max, struct reply_opt *o)
{
	*o = (struct reply_opt){ .edns = r->edns, .payload = edns_max, .do_bit = r->edns_do };
}

/* The OPT of a reply to `r` with cookie state `cookie`, whose cookie
 * bytes are at `cookie_out`. */
static void
opt_make(const struct query_ctx *q, const struct query_req *r, uint8_t cookie,
    const uint8_t *cookie_out, struct reply_opt *o)
{
	query_reply_opt(r, q->edns_max, o);
	if (!r->edns)
		return;
	if (cookie != COOKIE_NONE) {
		o->cookie = cookie_out;
		o->cookie_len = COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN;
	}
	if (r->nsid && q->nsid != NULL) {
		o->nsid = q->nsid;
		o->nsid_len = q->nsid_len;
	}
}

void
query_reply_opt_ex(const struct query_ctx *q, const struct query_req *r,
    const struct query_extra *x, struct reply_opt *o)
{
	if (x != NULL)
		*o = x->opt;
	else
		opt_make(q, r, COOKIE_NONE, NULL, o);
}

size_t
query_limit(const struct query_ctx *q, const struct query_req *r, bool tcp, size_t outmax)
{
	size_t limit = tcp ? 65535 : !r->edns ? 512 : r->udp_size < q->edns_max ? r->udp_size
	                                                                       : q->edns_max;
	return limit < outmax ? limit : outmax;
}

void
query_extra_make(struct query_ctx *q, const struct sockaddr *peer, const struct query_req *r,
    uint32_t now, struct query_extra *x)
{
	x->cookie = COOKIE_NONE;
	if (r->cookie_len != 0 && r->edns && q->cookies != NULL && peer != NULL)
		x->cookie = (uint8_t)cookie_check(q->cookies, r->cookie, r->cookie_len, peer, now,
		    x->cookie_out);
	opt_make(q, r, x->cookie, x->cookie_out, &x->opt);
}

size_t
query_answer(struct query_ctx *q, const uint8_t *in, size_t inlen, uint8_t *out,
    size_t outmax, bool tcp, uint32_t now, struct query_info *info)
{
	return query_answer_from(q, NULL, in, inlen, out, outmax, tcp, now, info);
}

size_t
query_answer_from(struct query_ctx *q, const struct sockaddr *peer, const uint8_t *in,
    size_t inlen, uint8_t *out, size_t outmax, bool tcp, uint32_t now, struct query_info *info)
{
	struct query_extra x;
	uint8_t rcode = 0;
	int prc = query_parse(in, inlen, &info->req, &rcode);
	if (prc == 0)
		query_extra_make(q, peer, &info->req, now, &x);
	return query_answer_parsed(q, prc == 0 ? &x : NULL, prc, rcode, in, inlen, out, outmax,
	    tcp, now, info);
}

bool
query_cacheable(const struct query_info *info)
{
	return info->action == QUERY_REPLY && info->planned && !info->varies &&
	       !info->req.has_tsig && info->rcode != RCODE_SERVFAIL;
}

bool
query_cache_key(const struct query_ctx *q, const struct query_req *r,
    const struct query_extra *x, struct qcache_key *k)
{
	/* The cases query_answer_parsed answers before its plan, or signs. */
	if (WIRE_OPCODE(r->flags) != OPCODE_QUERY || r->qdcount != 1 || r->ancount != 0 ||
	    r->has_tsig || (r->edns && r->edns_version > 0) || r->qname_len == 0 ||
	    (r->qclass != CLASS_IN && r->qclass != CLASS_ANY))
		return false;
	switch (r->qtype) {
	case RR_OPT: case RR_TSIG: case 249: case RR_AXFR: case RR_IXFR:
		return false;
	}
	size_t limit = query_limit(q, r, false, 65535), room = reply_room(&x->opt, NULL);
	if (limit < WIRE_HDR_LEN + room)
		return false;
	qcache_key_make(k, r->qname, r->qname_len, r->qtype, r->qclass,
	    r->flags & (WIRE_RD | WIRE_CD), (uint16_t)(limit - room));
	return true;
}

size_t
query_finish_cached(const struct query_ctx *q, const struct query_req *r,
    const struct query_extra *x, uint8_t *out, size_t body_len, size_t outmax, uint32_t now)
{
	if (body_len < WIRE_HDR_LEN + r->qname_len + 4)
		return 0;
	/* The ID, and the question name as this request wrote it: every
	 * other name in the body that equals it, or ends in it, is a
	 * pointer to it, so only these bytes carry the request's case. */
	wire_put16(out, r->id);
	memcpy(out + WIRE_HDR_LEN, r->qname, r->qname_len);
	return reply_finish(out, body_len, query_limit(q, r, false, outmax), WIRE_RCODE(out[3]),
	    &x->opt, NULL, now);
}

size_t
query_short_reply(const struct query_ctx *q, const struct query_req *r,
    const struct query_extra *x, uint16_t rcode, bool tc, uint8_t *out, size_t outmax, uint32_t now)
{
	struct reply_opt o;
	size_t limit = query_limit(q, r, false, outmax);
	size_t n = query_reply_start(r, out, limit, rcode);
	if (n == 0)
		return 0;
	if (tc)
		out[2] |= WIRE_TC >> 8;
	query_reply_opt_ex(q, r, x, &o);
	return reply_finish(out, n, limit, rcode, &o, NULL, now);
}
