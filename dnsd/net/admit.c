/* admit.c -- admission of UPDATEs before queueing (see admit.h)
 *
 * The per-client count of updates in flight is a fixed table of counters
 * indexed by a hash of the client's address (IPv4 /32, IPv6 /64): two
 * clients that share a slot share a limit, which errs on the strict side
 * and never lets the table grow. Counters are atomics: the UDP workers,
 * the TCP loop (taking) and the writer's reply path (releasing) touch
 * them without a lock.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "net/admit.h"
#include "net/peer.h"
#include "query/query.h"
#include "wire/wire.h"
#include "zone/zone.h"

#define ADMIT_SLOTS 4096 /* a power of two */

struct admit {
	unsigned per_client;
	uint32_t seed;
	unsigned inflight[ADMIT_SLOTS];
};

struct admit *
admit_new(unsigned per_client)
{
	struct admit *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->per_client = per_client;
	a->seed = (uint32_t)(uintptr_t)a ^ 0x9e3779b9u;
	return a;
}

void
admit_free(struct admit *a)
{
	free(a);
}

/* The slot of a client: FNV-1a over its address (an IPv6 /64). */
static unsigned *
slot_of(struct admit *a, const struct reply_to *to)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	if (to->peer.ss_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)&to->peer)->sin_addr;
		n = 4;
	} else if (to->peer.ss_family == AF_INET6) {
		p = (const uint8_t *)&((const struct sockaddr_in6 *)&to->peer)->sin6_addr;
		n = 8;
	}
	uint32_t h = 2166136261u ^ a->seed;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return &a->inflight[h & (ADMIT_SLOTS - 1)];
}

bool
admit_take(struct admit *a, const struct reply_to *to)
{
	if (a == NULL)
		return true;
	unsigned *s = slot_of(a, to);
	unsigned n = __atomic_add_fetch(s, 1, __ATOMIC_RELAXED);
	if (a->per_client != 0 && n > a->per_client) {
		__atomic_sub_fetch(s, 1, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}

void
admit_release(struct admit *a, const struct reply_to *to)
{
	if (a == NULL)
		return;
	unsigned *s = slot_of(a, to);
	unsigned n = __atomic_load_n(s, __ATOMIC_RELAXED);
	/* Never below zero, whatever the caller does. */
	while (n > 0 && !__atomic_compare_exchange_n(s, &n, n - 1, false, __ATOMIC_RELAXED,
	                    __ATOMIC_RELAXED))
		;
}

bool
admit_adds_records(const uint8_t *msg, size_t len, const struct query_req *req)
{
	struct wire_cur c;
	wire_cur_init(&c, msg, len, req->question_end);
	/* RFC 2136 section 2: prerequisites (ANCOUNT), then the update
	 * section (NSCOUNT); an RR of the zone's class adds (2.5.1). */
	for (unsigned i = 0; i < (unsigned)req->ancount + req->nscount && c.err == 0; i++) {
		wire_skip_name(&c);
		wire_skip(&c, 2);
		uint16_t cls = wire_read_u16(&c);
		wire_skip(&c, 4);
		wire_skip(&c, wire_read_u16(&c));
		if (c.err == 0 && i >= req->ancount && cls == req->qclass)
			return true;
	}
	return false;
}

enum admit_verdict
admit_update(struct admit *a, const struct admit_req *r, uint16_t *rcode, const char **why)
{
	(void)a;
	const struct query_req *q = r->req;
	const struct keyring_check *sig = r->sig;

	if (sig->status == KEYRING_INVALID) {
		*rcode = sig->tsig_error == TSIG_NOERROR ? RCODE_FORMERR : RCODE_NOTAUTH;
		*why = sig->tsig_error == TSIG_NOERROR ? "malformed TSIG"
		    : sig->tsig_error == TSIG_BADKEY   ? "TSIG: unknown key"
		    : sig->tsig_error == TSIG_BADTIME  ? "TSIG: time outside the fudge, or a replay"
		    : sig->tsig_error == TSIG_BADTRUNC ? "TSIG: truncated MAC not allowed"
		                                       : "TSIG: bad signature";
		return ADMIT_ANSWER;
	}
	/* RFC 2136 3.1.1, as update.c answers it. */
	if (q->qdcount != 1 || q->qtype != RR_SOA) {
		*rcode = RCODE_FORMERR;
		*why = "zone section is not one SOA question";
		return ADMIT_ANSWER;
	}
	const struct zone *z = zonetab_find(r->zones, q->qname);
	if (z == NULL || !wire_name_equal(z->apex, q->qname) || q->qclass != CLASS_IN) {
		*rcode = RCODE_NOTAUTH;
		*why = "not a zone served here";
		return ADMIT_ANSWER;
	}
	if (sig->status == KEYRING_UNSIGNED &&
	    !peer_in_acl(&z->conf->allow_update_unsigned, r->to)) {
		*rcode = RCODE_REFUSED;
		*why = "unsigned, and not from an allow-update-unsigned address";
		return ADMIT_ANSWER;
	}
	if (r->store_high && admit_adds_records(r->msg, r->len, q)) {
		*rcode = RCODE_REFUSED;
		*why = "store past its high-water mark: adds refused";
		return ADMIT_ANSWER;
	}
	return ADMIT_QUEUE;
}
