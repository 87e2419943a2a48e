/* query.h -- the one pure entry point that answers a DNS message
 *
 * Bytes in, bytes out: no sockets and no clock of its own. UDP, TCP, the
 * unit tests and the fuzzers all call query_answer(). It never allocates.
 */
#ifndef DNSD_QUERY_QUERY_H
#define DNSD_QUERY_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

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

/* A parsed request: the header, the one question, and EDNS. */
struct query_req {
	uint16_t id, flags;
	uint16_t qdcount, ancount, nscount, arcount;
	uint8_t qname[WIRE_NAME_MAX]; /* as received (case kept) */
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
};

/*
 * Parse the header, the question and the additional section (OPT and
 * TSIG). Returns 0; DNSD_ERCODE with *rcode set (FORMERR) for a request
 * that deserves an error answer; or DNSD_EMALF for a packet to drop (too
 * short to answer, or QR set). `rcode` may be NULL.
 */
int query_parse(const uint8_t *in, size_t len, struct query_req *r, uint8_t *rcode);

/*
 * Answer one request. `tcp` selects the size limit (64 KiB, else the
 * client's EDNS size capped at edns_max, or 512). Returns the response
 * length (0 with info->action QUERY_DROP when nothing must be sent).
 * For UPDATE and zone transfers it answers nothing itself and sets
 * info->action so the caller can pass the message on.
 */
size_t query_answer(struct query_ctx *q, const uint8_t *in, size_t inlen, uint8_t *out,
    size_t outmax, bool tcp, uint32_t now, struct query_info *info);

/*
 * May the answer just given be reused for a request with the same bytes
 * but another ID (see qcache.h)? Only a reply to an unsigned request
 * (a signed answer is for one request) that is not SERVFAIL (maybe a
 * passing failure) and whose names use no compression pointer (one could
 * point into the ID, so the same bytes could name something else) and
 * can all be read, and which was not drawn for this query alone.
 */
bool query_cacheable(const struct query_info *info);

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
struct reply_opt;
void query_reply_opt(const struct query_req *r, uint16_t edns_max, struct reply_opt *o);

#endif
