/* catalog.h -- the service model on a write transaction: register,
 * deregister, health, expiry, reads; and the views every change derives
 *
 * Every write of an instance goes through svc_put or svc_del inside the
 * writer's transaction; both remember the service they touched, and
 * svc_flush derives that service's views again (view.c) before the commit,
 * so that the DNS-SD records, the RFC 2782 SRV set, the Consul-style names
 * and the catalog change together, in one commit. Readers (the HTTP API,
 * dnsdctl) use svc_get, svc_get_by_id and svc_walk on any transaction.
 */
#ifndef DNSD_SVC_CATALOG_H
#define DNSD_SVC_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svc/svc.h"

struct store_key;
struct store_txn;
struct zone;
struct zonetab;

/* One group of changes (a writer's batch: its UPDATEs, HTTP requests and
 * reaper pass). x->t is the transaction the next change goes into (the
 * caller may point it at a nested one). */
struct svc_ctx {
	struct store_txn *t;
	const struct zonetab *zones;
	uint32_t now;
	size_t ntouched, captouched;   /* services to derive again */
	struct svc_touched {
		const struct zone *zone;
		uint8_t name[WIRE_NAME_MAX];
	} *touched;
	bool changed;                  /* an instance changed: raise the catalog index */
	unsigned registered, renewed, deregistered, expired;
};

void svc_ctx_init(struct svc_ctx *x, struct store_txn *t, const struct zonetab *zones,
    uint32_t now);
/* Forget what is left to derive and free it (svc_flush does too). */
void svc_ctx_free(struct svc_ctx *x);

/* The instance named `name` in zone `z`; DNSD_ENOTFOUND if none. */
int svc_get(struct store_txn *t, const struct zone *z, const uint8_t *name,
    struct svc_instance *in);
/* The instance with Consul ID `id`, and its zone. */
int svc_get_by_id(struct store_txn *t, const struct zonetab *zones, const char *id,
    struct svc_instance *in, const struct zone **zone);
/*
 * Call fn for every instance of zone `z` (service NULL) or of one service
 * (`_svc._proto.D`), live or not (svc_live tells). A non-zero return from
 * fn stops the walk and is returned.
 */
int svc_walk(struct store_txn *t, const struct zone *z, const uint8_t *service,
    int (*fn)(void *arg, const struct svc_instance *in), void *arg);

/*
 * Write an instance (a new one, or a new version of one): in->name must be
 * an instance name in zone `z` (svc_is_instance_name), in->id its Consul ID
 * ("" for the instance label). An ID another instance holds moves to this
 * one (the newer registration wins, as with Consul's agent). Counts a
 * registration or a renewal.
 */
int svc_put(struct svc_ctx *x, const struct zone *z, struct svc_instance *in);
/* Remove the instance named `name` (and its ID); DNSD_ENOTFOUND if none. */
int svc_del(struct svc_ctx *x, const struct zone *z, const uint8_t *name);
/* The reaper found the expiry entry of key `k`: remove the instance there
 * if its lease ran out by `now`. */
int svc_expire(struct svc_ctx *x, const struct store_key *k);
/* Derive the views of every service touched since the last flush, once
 * each however many of its instances changed, and forget them. */
int svc_flush(struct svc_ctx *x);
/* The same, remembering them: before something reads the views inside a
 * group (an update's prerequisites, a key's record count) while a nested
 * transaction that touched them may still be undone. */
int svc_refresh(struct svc_ctx *x);

/* A change to the model from outside DNS: the HTTP API, a services-dir
 * file, a health check. */
enum svc_op_kind { SVC_OP_REGISTER, SVC_OP_DEREGISTER, SVC_OP_HEALTH };
struct svc_op {
	enum svc_op_kind kind;
	uint8_t zone[WIRE_NAME_MAX];   /* REGISTER: the instance's zone */
	struct svc_instance inst;      /* REGISTER: the whole instance */
	char id[SVC_ID_MAX];           /* DEREGISTER, HEALTH: the instance's ID */
	char check[SVC_ID_MAX];        /* HEALTH: a check's ID; "" for the instance */
	enum svc_health health;        /* HEALTH */
	char output[SVC_OUTPUT_MAX];   /* HEALTH: the check's output */
	uint32_t max_records;          /* REGISTER: the registering key's cap on the
	                                * records it owns in the zone (0: none) */
};

/*
 * Apply one change: register (an instance of the same ID elsewhere is
 * replaced), deregister by ID, or set health: of the instance, or of one
 * of its checks, the instance then being as healthy as its worst check; a
 * TTL check that is not critical renews the instance's lease by its TTL
 * (so an instance whose TTL check stops passing expires on time). Returns
 * DNSD_ENOTFOUND for an unknown ID, zone or check, and DNSD_EQUOTA for a
 * registration over op->max_records (the caller must then abort: it ran).
 */
int svc_apply(struct svc_ctx *x, const struct svc_op *op);

/* The tags of a service as last derived (its summary), for the catalog:
 * *ntags names into `tags` (SVC_TAGS_MAX x SVC_TAG_MAX). */
int svc_service_tags(struct store_txn *t, const struct zone *z, const uint8_t *service,
    char (*tags)[SVC_TAG_MAX], size_t *ntags);

/*
 * view.c: derive the views of service `service` (`_svc._proto.D`) of zone
 * `z` from its instances at `now`: the browse PTR and RFC 2782 SRV set at
 * the service name, the subtype PTRs, the _services._dns-sd._udp PTR
 * and, with consul-domain, the Consul-style names. Records the server
 * derives carry NODE_RR_VIEW; nothing else at those names is touched.
 */
int svc_view_derive(struct store_txn *t, const struct zone *z, const uint8_t *service,
    uint32_t now);
/* The views at an instance's own name (SRV, TXT, its own addresses),
 * as it is at `now`: svc_put keeps them in step. */
int svc_view_instance(struct store_txn *t, const struct zone *z, const struct svc_instance *in,
    uint32_t now);
/* Remove the views at an instance's own name (it is gone). */
int svc_view_clear_instance(struct store_txn *t, const struct zone *z, const uint8_t *name);

#endif
