/* services.h -- the service-model side of an UPDATE (update.c's helper) */
#ifndef DNSD_UPDATE_SERVICES_H
#define DNSD_UPDATE_SERVICES_H

#include <stdbool.h>
#include <stdint.h>

struct svc_ctx;
struct update_req;

/* One update RR, as update.c has read it. */
struct update_rr {
	const uint8_t *name;
	uint16_t type, klass;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
};

/* Is `name` one update_service_rr may act on (an instance, a service, a
 * subtype or the services meta-name of the update's zone)? For any other
 * name it neither reads nor writes the store and absorbs nothing. */
bool update_service_name(const struct update_req *u, const uint8_t *name);

/*
 * Apply one update RR to the service model if it is about a service
 * instance (see services.c); *absorbed says whether the RR is done with
 * (else update.c applies it to the node as any other RR). `expire` and
 * `owner` are the lease and key tag of the update's additions.
 */
int update_service_rr(struct svc_ctx *x, const struct update_req *u, const struct update_rr *r,
    uint32_t expire, uint32_t owner, bool *absorbed);

#endif
