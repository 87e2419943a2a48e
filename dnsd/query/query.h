/* query.h -- the one pure entry point that answers a DNS message
 *
 * Bytes in, bytes out: no sockets and no clock of its own. UDP, TCP, the
 * unit tests and the fuzzers all call query_answer(). It never allocates.
 *
 * A reply is a body (header, question, the records) that the question
 * decides, then what the finishing step appends for the one request: the
 * OPT record with the options this request gets (its cookie, NSID) and a
 * TSIG. The UDP workers keep bodies in their answer cache (qcache.h) and
 * make a cached body the request's own with query_finish_cached().
 * query.c plans and writes the body; finish.c the per-request parts and
 * the cache key; chaos.c the CHAOS-class answers; respond.c puts them
 * together for one UDP request with the cache, cookies and rate limits.
 */
#ifndef DNSD_QUERY_QUERY_H
#define DNSD_QUERY_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cookie/cookie.h"
#include "query/qcache.h"
#include "reply/reply.h"
#include "wire/wire.h"

struct conf;
struct keyring;
struct keyring_check;
struct store_txn;
struct zonetab;
struct zone;

/* What the caller must do with the request after query_answer(). */
enum query_action {
	QUERY_REPLY,  /* send `out` (its length is the return value) */
	QUERY_DROP,   /* send nothing */
	QUERY_UPDATE, /* hand the request to the writer (opcode UPDATE) */
	QUERY_XFR,    /* a zone transfer request (AXFR/IXFR) for info.zone */
	QUERY_FORWARD, /* outside every zone, and forwarding is on: relay it */
};

/* A parsed request: the header, the one question, and EDNS. The two
 * buffers come last: query_parse clears everything before them, and they
 * are read only up to their lengths. */
struct query_req {
	uint16_t id, flags;
	uint16_t qdcount, ancount, nscount, arcount;
	size_t qname_len;
	uint16_t qtype, qclass;
	size_t question_end; /* offset just after the question */
	size_t records_end;  /* offset after the last record before any TSIG */
	bool edns;
	uint16_t udp_size;
	uint8_t edns_version;
	bool edns_do;
	bool has_lease;      /* RFC 9664 Update Lease option */
	bool lease_8;        /* the 8-byte form (LEASE + KEY-LEASE) */
	uint32_t lease, key_lease;
	bool has_health;     /* DNSD-HEALTH option (EDNS_OPT_HEALTH) in an UPDATE */
	uint8_t health;      /* 0 passing, 1 warning, 2 critical */
	uint16_t health_text_off, health_text_len; /* its text, in the message */
	bool has_tsig;
	size_t tsig_offset;
	bool compressed;     /* a name in it uses a compression pointer, or
	                        cannot be read */
	bool nsid;           /* RFC 5001: the NSID option asks for our id */
	uint8_t cookie_len;  /* RFC 7873 COOKIE option: 0 none, 8, or 16-40 */
	uint8_t qname[WIRE_NAME_MAX]; /* as received (case kept) */
	uint8_t cookie[COOKIE_MAX_LEN];
};

/* Per-thread context: the read transaction (renewed by the caller once
 * per batch) and the served zones. */
struct query_ctx {
	struct store_txn *txn;
	const struct zonetab *zones;
	uint16_t edns_max; /* largest UDP answer we send (edns-max) */
	bool forward;      /* names outside the zones go to the forwarder */
	const struct keyring *keys; /* for signed queries (RFC 8945) */
	uint64_t rng;      /* the caller's random state (xorshift64; any non-zero
	                    * seed): draws the order of service-name addresses */
	/* The rest is set by query_ctx_configure (zero: none of it). */
	const uint8_t *nsid;        /* RFC 5001 answer to NSID (nsid) */
	uint16_t nsid_len;
	const char *version;        /* version.bind, version.server TXT */
	const char *identity;       /* id.server, hostname.bind TXT */
	struct cookie_gen *cookies; /* server cookies; NULL: none made (the
	                             * caller's, per thread) */
};

/* Take the settings the answers depend on from a configuration (which
 * must outlive their use): edns-max, forwarding, nsid, version,
 * identity. The transaction, zones, keys and cookie generator are the
 * caller's to set. */
void query_ctx_configure(struct query_ctx *q, const struct conf *c);
/* Make *g (a thread's own; NULL at first) the cookie generator of
 * configuration `c`: keyed with its cookie-secret, else the process's
 * random one, rotating by its cookie-rotation. Kept if it already is;
 * NULL, with a warning naming `who`, when no secret or memory is to be
 * had (the thread then answers without cookies). */
void query_cookies_configure(struct cookie_gen **g, const struct conf *c, const char *who);

/* The parts of a reply that depend on who asked rather than on the
 * question: filled by query_extra_make. */
struct query_extra {
	uint8_t cookie;     /* enum cookie_state of the request's cookie */
	uint8_t cookie_out[COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN]; /* what we send back */
	struct reply_opt opt; /* the OPT this request's replies carry
	                       * (query_reply_opt_ex), made once */
};

struct query_info {
	enum query_action action;
	struct query_req req;
	const struct zone *zone; /* for QUERY_UPDATE and QUERY_XFR */
	uint8_t rcode;
	size_t limit;            /* the size the answer may have (QUERY_FORWARD) */
	/* QUERY_REPLY: the same request gets the same answer from the same
	 * snapshot until this second (UINT32_MAX: for as long as the snapshot
	 * lasts); see node_stable_until(). */
	uint32_t stable_until;
	/* QUERY_REPLY: the answer was drawn for this query (the addresses of a
	 * service name, in a random order): never reuse it for another. */
	bool varies;
	/* The answer is a plain query's, made by the answer plan from the
	 * question alone (not an error reply, not CHAOS): its body may serve
	 * any request with the same cache key (query_cache_key). */
	bool planned;
	size_t body_len; /* QUERY_REPLY: the body, before OPT and TSIG */
};

/*
 * Parse the header, the question and the additional section (OPT and
 * TSIG). Returns 0; DNSD_ERCODE with *rcode set (FORMERR) for a request
 * that deserves an error answer; or DNSD_EMALF for a packet to drop (too
 * short to answer, or QR set). `rcode` may be NULL. The usual request
 * (one plain question, nothing or an OPT after it) takes a short path.
 */
int query_parse(const uint8_t *in, size_t len, struct query_req *r, uint8_t *rcode);

/* The same without the short path: for the fuzzer, which checks that
 * both read every input alike. */
int query_parse_general(const uint8_t *in, size_t len, struct query_req *r, uint8_t *rcode);

/*
 * Answer one request. `tcp` selects the size limit (64 KiB, else the
 * client's EDNS size capped at edns_max, or 512). Returns the response
 * length (0 with info->action QUERY_DROP when nothing must be sent).
 * For UPDATE and zone transfers it answers nothing itself and sets
 * info->action so the caller can pass the message on. A UDP answer that
 * does not fit is truncated to its header and question (and OPT): TC
 * set, no records, as Knot and NSD send it.
 */
size_t query_answer(struct query_ctx *q, const uint8_t *in, size_t inlen, uint8_t *out,
    size_t outmax, bool tcp, uint32_t now, struct query_info *info);

/* The same for a request from `peer` (NULL: unknown), which gets a server
 * cookie if it sent a client cookie and q->cookies is set. */
size_t query_answer_from(struct query_ctx *q, const struct sockaddr *peer, const uint8_t *in,
    size_t inlen, uint8_t *out, size_t outmax, bool tcp, uint32_t now, struct query_info *info);

/*
 * The same, for a request already parsed into info->req by query_parse,
 * which returned `prc` (with `prcode`), and whose per-request parts `x`
 * are made (query_extra_make; NULL: none).
 */
size_t query_answer_parsed(struct query_ctx *q, const struct query_extra *x, int prc,
    uint8_t prcode, const uint8_t *in, size_t inlen, uint8_t *out, size_t outmax, bool tcp,
    uint32_t now, struct query_info *info);

/*
 * The per-request parts of the reply to `r` from `peer` (NULL: unknown)
 * at `now`: its cookie checked and ours made (RFC 7873, cookie.h), when
 * the request has one and q->cookies is set; the OPT its replies carry.
 */
void query_extra_make(struct query_ctx *q, const struct sockaddr *peer,
    const struct query_req *r, uint32_t now, struct query_extra *x);

/*
 * May the body of the answer just given serve another request with the
 * same cache key (query_cache_key)? Only a planned answer (info->planned)
 * to an unsigned request (a signed answer is for one request), not
 * SERVFAIL (maybe a passing failure), and not one drawn for this query
 * alone (info->varies).
 */
bool query_cacheable(const struct query_info *info);

/*
 * The cache key of request `r` with per-request parts `x` (qcache.h):
 * the question name lower-cased, its type and class, the RD and CD bits,
 * and the size the body may take over UDP (the client's EDNS size capped
 * at edns_max, less what this request's OPT needs). Everything else that
 * the body holds comes from the store. False for a request whose answer
 * is not planned from the question alone (not a plain QUERY with one
 * question, signed, EDNS version above 0, a class other than IN or ANY,
 * a transfer): answer it with query_answer_parsed.
 */
bool query_cache_key(const struct query_ctx *q, const struct query_req *r,
    const struct query_extra *x, struct qcache_key *k);

/*
 * Make a body from the answer cache (`body_len` bytes in `out`, of
 * capacity `outmax`) the answer to `r`: its ID, its question name as it
 * was written (case kept: the body's other names point to it), and the
 * OPT this request gets (`x`). Returns the reply's length, 0 if it does
 * not fit.
 */
size_t query_finish_cached(const struct query_ctx *q, const struct query_req *r,
    const struct query_extra *x, uint8_t *out, size_t body_len, size_t outmax, uint32_t now);

/*
 * A reply to `r` with TC set and no records (header, question, OPT), with
 * `rcode`: what a rate limit sends instead of an answer ("slip"), and a
 * request that needs a cookie gets (BADCOOKIE with its cookie, or TC for a
 * client without cookies). Returns its length, 0 if it does not fit.
 */
size_t query_short_reply(const struct query_ctx *q, const struct query_req *r,
    const struct query_extra *x, uint16_t rcode, bool tc, uint8_t *out, size_t outmax, uint32_t now);

/*
 * Start a reply to a parsed request: the header (ID, opcode, RD and CD
 * copied, QR set, the lower bits of `rcode`) and the question as received,
 * or the header alone when the question does not fit or there was none.
 * Returns the length, or 0 if not even the header fits. Finish it with
 * reply_finish() (reply.h).
 */
size_t query_reply_start(const struct query_req *r, uint8_t *out, size_t outmax, uint16_t rcode);

/*
 * A header-and-question reply with `rcode`: query_reply_start, then an OPT
 * if the request had one (extended RCODEs above 15 go into it) and, with
 * `sig` (NULL: none), the TSIG that answers a signed request (reply.h).
 * Returns the length, or 0 if `outmax` is too small.
 */
size_t query_error_reply(const struct query_req *r, uint8_t *out, size_t outmax,
    uint16_t rcode, uint16_t edns_max, const struct keyring_check *sig, uint32_t now);

/* The OPT a reply to `r` carries: one if the request had one, with our
 * payload size and its DO bit (RFC 3225). */
void query_reply_opt(const struct query_req *r, uint16_t edns_max, struct reply_opt *o);

/* The same with the options this request gets: its cookie (`x`, NULL:
 * none) and, if it asked, our NSID (RFC 5001). With `x` it is x->opt. */
void query_reply_opt_ex(const struct query_ctx *q, const struct query_req *r,
    const struct query_extra *x, struct reply_opt *o);

/* The size a reply to `r` may have: 65535 over TCP, else the client's
 * EDNS size capped at q->edns_max, or 512 without EDNS; at most `outmax`. */
size_t query_limit(const struct query_ctx *q, const struct query_req *r, bool tcp, size_t outmax);

/* internal: the CHAOS-class answer (chaos.c) to a request of class CH */
size_t query_chaos(struct query_ctx *q, const struct query_extra *x, uint8_t *out,
    size_t outmax, bool tcp, uint32_t now, struct query_info *info);

#endif
