/* respond.c -- one UDP request through the cache, cookies and rate
 * limits (see respond.h)
 *
 * The order matters. The cookie is checked first: a valid one proves the
 * address, which exempts the client from the rate limit and from any
 * cookie requirement. The answer comes from the cache or the plan; then
 * require-cookie may replace it by a short reply (so the size it compares
 * is the real answer's); the rate limit comes last and counts what would
 * go out, by the class of that reply.
 */
#include "config.h"

#include <netinet/in.h>
#include <string.h>

#include "conf/conf.h"
#include "query/respond.h"
#include "rrl/rrl.h"
#include "stats/stats.h"
#include "util/err.h"
#include "zone/zone.h"

/* RFC 7873 section 5.4 lets a server ask for cookies by answering
 * BADCOOKIE (23), with its cookie, to a client that sent one. */
#define RCODE_BADCOOKIE 23
/* require-cookie large: answers more than this many times the request. */
#define AMPLIFICATION_MAX 3

uint64_t
respond_snapshot(uint64_t snap, unsigned generation)
{
	return snap ^ (uint64_t)generation << 48;
}

void
respond_prepare(struct respond *r, struct respond_req *rq, const struct sockaddr *peer,
    const uint8_t *in, size_t len, uint32_t now)
{
	struct query_req *req = &rq->info.req;
	rq->info.action = QUERY_DROP; /* until respond_answer decides */
	rq->prcode = 0;
	rq->prc = query_parse(in, len, req, &rq->prcode);
	rq->keyed = false;
	if (rq->prc != 0)
		return;
	query_extra_make(&r->q, peer, req, now, &rq->x);
	if (r->cache != NULL && query_cache_key(&r->q, req, &rq->x, &rq->key)) {
		rq->keyed = true;
		qcache_prefetch(r->cache, &rq->key);
	}
}

/* The class of a reply for the rate limit, from its header. */
static enum rrl_class
class_of(const uint8_t *out)
{
	uint16_t flags = wire_get16(out + 2);
	switch (WIRE_RCODE(flags)) {
	case RCODE_NOERROR:
		if (wire_get16(out + 6) > 0 || (flags & WIRE_TC))
			return RRL_ANSWER;
		if (!(flags & WIRE_AA) && wire_get16(out + 8) > 0)
			return RRL_REFERRAL;
		return RRL_NODATA;
	case RCODE_NXDOMAIN:
		return RRL_NXDOMAIN;
	default:
		return RRL_ERROR;
	}
}

/* A hash of a name (lower-cased) and a type: the rate limit's name. */
static uint64_t
name_hash(const uint8_t *name, size_t len, uint16_t type)
{
	uint64_t h = 0xcbf29ce484222325u ^ type;
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = name[i];
		h = (h ^ (ch >= 'A' && ch <= 'Z' ? ch + 32 : ch)) * 0x100000001b3u;
	}
	return h;
}

/* Is the client exempt from the rate limit (rate-limit-exempt)? */
static bool
exempt(const struct conf *c, const struct sockaddr *peer)
{
	if (c->rrl_exempt_set) {
		struct conf_acl acl = { .naddrs = c->nrrl_exempt,
			.addrs = (struct conf_addr *)c->rrl_exempt };
		return conf_acl_match_sockaddr(&acl, peer);
	}
	/* The default: loopback, which no one can spoof from the network. */
	if (peer->sa_family == AF_INET)
		return ((const uint8_t *)&((const struct sockaddr_in *)(const void *)peer)->sin_addr)[0] ==
		       127;
	if (peer->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr);
	return false;
}

/* The rate limit's name for a reply of class `cls` to `req`. */
static uint64_t
rrl_name(const struct respond *r, const struct respond_req *rq, enum rrl_class cls)
{
	const struct query_req *req = &rq->info.req;
	if (req->qname_len == 0 || cls == RRL_ERROR)
		return 0;
	if (cls == RRL_ANSWER || cls == RRL_NODATA)
		return rq->keyed ? rq->key.name_hash : name_hash(req->qname, req->qname_len, req->qtype);
	/* NXDOMAIN and referrals: the zone, so random names under it share
	 * one bucket. */
	const struct zone *z = zonetab_find(r->q.zones, req->qname);
	return z != NULL ? name_hash(z->apex, wire_name_len(z->apex), 0) : 0;
}

/* A body just answered becomes a cache entry: its ARCOUNT without the
 * OPT the finishing step added (a hit adds its own). */
static void
cache_put(struct respond *r, const struct respond_req *rq, uint8_t *out, uint32_t now)
{
	const struct query_info *info = &rq->info;
	uint16_t ar = wire_get16(out + 10);
	if (info->req.edns)
		wire_put16(out + 10, (uint16_t)(ar - 1));
	qcache_put(r->cache, &rq->key, r->snap, now, info->stable_until, out, info->body_len);
	wire_put16(out + 10, ar);
}

size_t
respond_answer(struct respond *r, struct respond_req *rq, const struct sockaddr *peer,
    const uint8_t *in, size_t len, uint8_t *out, size_t outmax, uint32_t now)
{
	struct query_info *info = &rq->info;
	const struct query_req *req = &info->req;
	const struct conf *c = r->conf;
	size_t n = 0;

	if (rq->prc != 0 && rq->prc != DNSD_ERCODE)
		return 0; /* not a request: nothing to say */
	const struct query_extra *x = rq->prc == 0 ? &rq->x : NULL;
	bool verified = x != NULL && x->cookie == COOKIE_VALID;
	bool refuse = c->require_cookie == CONF_COOKIE_ALWAYS && !verified && rq->prc == 0 &&
	              WIRE_OPCODE(req->flags) == OPCODE_QUERY;
	if (!refuse && rq->keyed) {
		n = qcache_get(r->cache, &rq->key, r->snap, now, out, outmax);
		stats_add(r->stats, n > 0 ? ST_CACHE_HITS : ST_CACHE_MISSES, 1);
		if (n > 0) {
			n = query_finish_cached(&r->q, req, &rq->x, out, n, outmax, now);
			info->action = n > 0 ? QUERY_REPLY : QUERY_DROP;
			info->rcode = WIRE_RCODE(out[3]);
		}
	}
	if (!refuse && n == 0) {
		n = query_answer_parsed(&r->q, x, rq->prc, rq->prcode, in, len, out, outmax, false, now,
		    info);
		if (rq->keyed && n > 0 && query_cacheable(info))
			cache_put(r, rq, out, now);
		if (info->action == QUERY_UPDATE || info->action == QUERY_FORWARD)
			return 0;
	}
	if (c->require_cookie == CONF_COOKIE_LARGE && !verified && n > AMPLIFICATION_MAX * len &&
	    rq->prc == 0)
		refuse = true;
	if (refuse) {
		/* RFC 7873 section 5.4: BADCOOKIE and our cookie to a client
		 * that sent one, so it asks again with it; TC to one that did
		 * not, so it asks again over TCP. */
		bool has = x->cookie != COOKIE_NONE;
		n = query_short_reply(&r->q, req, x, has ? RCODE_BADCOOKIE : RCODE_NOERROR, !has, out,
		    outmax, now);
		info->rcode = has ? RCODE_BADCOOKIE & 0xf : RCODE_NOERROR;
		stats_add(r->stats, ST_COOKIE_REQUIRED, 1);
	}
	if (n == 0)
		return 0;
	if (req->qdcount == 1)
		stats_query(r->stats, 0, req->qtype, info->rcode);
	unsigned rate = conf_rrl_rate(c);
	if (r->rrl == NULL || rate == 0 || verified || peer == NULL || exempt(c, peer))
		return n;
	enum rrl_class cls = class_of(out);
	switch (rrl_account(r->rrl, peer, cls, rrl_name(r, rq, cls), now, rate, conf_rrl_slip(c))) {
	case RRL_PASS:
		return n;
	case RRL_SLIP:
		stats_add(r->stats, ST_RRL_SLIPPED, 1);
		return query_short_reply(&r->q, req, x, WIRE_RCODE(out[3]), true, out, outmax, now);
	case RRL_DROP:
		break;
	}
	stats_add(r->stats, ST_RRL_DROPPED, 1);
	return 0;
}
