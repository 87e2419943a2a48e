/* update.h -- dynamic update (RFC 2136) with leases (RFC 9664): pure RFC
 * logic on a store write transaction, no sockets, time passed in. */
#ifndef DNSD_UPDATE_UPDATE_H
#define DNSD_UPDATE_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_txn;
struct zone;
struct conf_key;
struct query_req;

/* One authenticated UPDATE, ready to apply. */
struct update_req {
	const uint8_t *msg;         /* the whole message */
	size_t len;
	const struct query_req *req; /* parsed header, zone section, EDNS */
	const struct zone *zone;    /* the zone named in the zone section */
	const struct conf_key *key; /* the TSIG key, or NULL (unsigned, allowed) */
	uint32_t now;
};

struct update_result {
	uint8_t rcode;     /* (whether records changed, and so the serial, the
	                    * store's change tracking tells the writer) */
	uint32_t lease;    /* granted lease, seconds (0 = permanent) */
	uint32_t key_lease;
	bool changed;      /* it wrote to `t`: a failure leaves changes behind
	                    * that only aborting `t` undoes */
};

/*
 * The lease an UPDATE gets (RFC 9664 section 4): the requested LEASE
 * clamped to the zone's and the key's min/max, or the zone's default when
 * the request carries no Update Lease option.
 */
uint32_t update_grant_lease(const struct update_req *u, uint32_t requested, bool asked);

/*
 * Apply RFC 2136 sections 3.1.1 (zone), 3.2 (prerequisites), 3.3
 * (policy), 3.4 (update) in transaction `t`. Returns 0 with res->rcode
 * NOERROR when the update was applied; otherwise res->rcode says why and
 * the caller must abort `t` so the update changes nothing.
 */
int update_apply(struct store_txn *t, const struct update_req *u, struct update_result *res);

/* Remove every expired dynamic record from the node under the expiry
 * entry at the front of the index, if it is due at `now`. Returns 1 if an
 * entry was consumed (*removed records, zone id in *zone_id), 0 if nothing
 * is due, or an error. */
int update_reap_one(struct store_txn *t, uint32_t now, unsigned *removed, uint32_t *zone_id);

#endif
