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
	/* The group this update is part of (a writer's batch): its services'
	 * views are derived once, when the group ends (svc_flush by the
	 * caller), or before something reads them. NULL: the update derives
	 * its own before it returns. */
	struct svc_ctx *svc;
};

struct update_result {
	uint8_t rcode;     /* (whether records changed, and so the serial, the
	                    * store's change tracking tells the writer) */
	uint32_t lease;    /* granted lease, seconds (0 = permanent) */
	uint32_t key_lease;
	bool changed;      /* it wrote to `t`: a failure leaves changes behind
	                    * that only aborting `t` undoes */
	bool catalog;      /* it changed a service instance */
	unsigned registered, renewed, deregistered; /* instances */
};

/*
 * The lease an UPDATE gets (RFC 9664 section 4): the requested LEASE
 * clamped to the zone's and the key's min/max, or the zone's default when
 * the request carries no Update Lease option. A request for 0 (records
 * that never expire) gets the lowest non-zero max, or 0 when neither the
 * zone nor the key sets one.
 */
uint32_t update_grant_lease(const struct update_req *u, uint32_t requested, bool asked);

/* May `key` (NULL: an unsigned request from an allowed address) change
 * records of `type` at `name` in zone `z` (RFC 2136 3.3: the zone's
 * grants)? For other ways of changing the zone, such as the HTTP API. */
bool update_policy_allows(const struct zone *z, const struct conf_key *key, const uint8_t *name,
    uint16_t type);
/* The same for request `u` (its zone and key), `name` known to be in the
 * zone; RR_ANY asks about the name alone. */
bool update_grants_allow(const struct update_req *u, const uint8_t *name, uint16_t type);

/*
 * Apply RFC 2136 sections 3.1.1 (zone), 3.2 (prerequisites), 3.3
 * (policy), 3.4 (update) in transaction `t`: the zone section, then
 * update_prereqs, update_precheck and update_process, stopping at the
 * first that does not answer NOERROR. Returns 0 with res->rcode NOERROR
 * when the update was applied; otherwise res->rcode says why and the
 * caller must abort `t` so the update changes nothing. A negative return
 * is an error of the store (the caller answers SERVFAIL and aborts).
 */
int update_apply(struct store_txn *t, const struct update_req *u, struct update_result *res);

/*
 * The three phases of update_apply, for callers (and tests) that run them
 * one at a time. Each expects a request whose zone section passed (u->zone
 * is the zone it names), and the one before it to have answered NOERROR.
 * Each returns 0 with the RCODE in *rcode (res->rcode), or a negative
 * dnsd_err when the store fails. Records expired at u->now count as
 * absent throughout.
 */

/* RFC 2136 section 3.2: the prerequisite section, checked against the
 * store (3.2.1 and 3.2.2 in order, then the value-dependent RRsets of
 * 3.2.3): NOERROR, FORMERR, NOTZONE, NXDOMAIN, YXDOMAIN, NXRRSET or
 * YXRRSET. Reads only. */
int update_prereqs(struct store_txn *t, const struct update_req *u, uint8_t *rcode);

/* RFC 2136 sections 3.4.1 and 3.3: the prescan of every update RR (zone,
 * class, TTL, meta types) and whether the key may make each change (the
 * zone's grants; deleting all RRsets of a name needs every type stored
 * there): NOERROR, NOTZONE, FORMERR or REFUSED. Reads only. */
int update_precheck(struct store_txn *t, const struct update_req *u, uint8_t *rcode);

/* RFC 2136 section 3.4.2 and RFC 9664: apply the update RRs in order in
 * `t`, every addition with the one lease granted to the request, then
 * the key's max-records cap (REFUSED when over it). Fills `res` whole;
 * with res->rcode not NOERROR, or a negative return, the caller must
 * abort `t` (res->changed says whether it wrote anything). */
int update_process(struct store_txn *t, const struct update_req *u, struct update_result *res);

/* Remove every expired dynamic record from the node under the expiry
 * entry at the front of the index, if it is due at x->now, and the
 * service instance there if its lease ran out (its views follow at
 * svc_flush). Returns 1 if an entry was consumed (*removed records, zone
 * id in *zone_id), 0 if nothing is due, or an error. */
struct svc_ctx;
int update_reap_one(struct svc_ctx *x, unsigned *removed, uint32_t *zone_id);

#endif
