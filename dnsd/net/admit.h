/* admit.h -- admission of UPDATEs before they take memory in the writer's
 * queue: the cheap checks, a per-client limit of updates in flight
 *
 * The UDP and TCP threads verify an UPDATE's TSIG at arrival; the server
 * then asks admit_update() whether it may be queued at all. What can be
 * decided without the store is decided here, at once, and answered without
 * queueing: a bad signature (NOTAUTH/FORMERR), a zone we do not serve
 * (NOTAUTH), an unsigned update from an address that may not send one
 * (REFUSED), an update that adds records while the store is past its
 * high-water mark (REFUSED), a client with too many updates in flight. The
 * writer still applies every rule itself: this only keeps floods out.
 */
#ifndef DNSD_NET_ADMIT_H
#define DNSD_NET_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct admit;
struct keyring_check;
struct query_req;
struct reply_to;
struct zonetab;

/* The per-client table: at most `per_client` updates in flight from one
 * client (an IPv4 address, an IPv6 /64); 0 = no limit. */
struct admit *admit_new(unsigned per_client);
void admit_free(struct admit *a);

enum admit_verdict {
	ADMIT_QUEUE,   /* hand it to the writer (then admit_taken) */
	ADMIT_ANSWER,  /* answer at once with *rcode, nothing queued */
};

/* What admit_update decides from, besides the request. */
struct admit_req {
	const struct zonetab *zones;
	bool store_high;     /* store past its high-water mark (store_level) */
	const uint8_t *msg;
	size_t len;
	const struct query_req *req;
	const struct keyring_check *sig;
	const struct reply_to *to;
};

/*
 * Decide what to do with an UPDATE. For ADMIT_ANSWER, *rcode is the
 * answer (NOTAUTH carries sig's TSIG error) and *why the reason in words
 * for the log.
 */
enum admit_verdict admit_update(struct admit *a, const struct admit_req *r, uint16_t *rcode,
    const char **why);

/* The update was queued: one more in flight for its client. False if the
 * client is at its limit (then nothing is counted and the caller answers
 * SERVFAIL, or drops a UDP one that is unsigned). */
bool admit_take(struct admit *a, const struct reply_to *to);
/* Its answer went out (or it was given up): one fewer in flight. */
void admit_release(struct admit *a, const struct reply_to *to);

/* Does the UPDATE add records (an RR of the zone's class in the update
 * section, RFC 2136 section 2.5.1)? False for a message that does not
 * parse that far: the writer will answer FORMERR. */
bool admit_adds_records(const uint8_t *msg, size_t len, const struct query_req *req);

#endif
