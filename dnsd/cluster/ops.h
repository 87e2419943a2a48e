/* ops.h -- a scratch run's inputs as one etcd transaction
 *
 * In cluster mode the writer runs a batch of updates in a transaction it
 * then aborts, tracking the inputs they changed (store_track_inputs).
 * These become the operations of one etcd transaction (layout.h): a put
 * or delete per key (the last change of a key wins), plus a put of each
 * touched zone's version key, under the comparison that each touched
 * zone's version key still has the mod_revision the mirror last applied
 * (or that an earlier transaction of the same batch gave it). So a
 * concurrent write to one of those zones, from any node, makes the
 * transaction fail, and the prerequisites that were evaluated on the
 * mirror hold when it commits.
 */
#ifndef DNSD_CLUSTER_OPS_H
#define DNSD_CLUSTER_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd/etcd.h"

struct conf_cluster;
struct zonetab;

/* The etcd client's setup for a cluster block (pointers into `cc`). */
void cops_etcd_setup(const struct conf_cluster *cc, struct etcd_setup *s);

/* etcd's --max-txn-ops default, and a request size well within its
 * 1.5 MiB (values travel in base64). */
#define COPS_MAX 128
#define COPS_BYTES (768u << 10)

struct cops_item {
	char *key;          /* owned: key and value in one allocation */
	size_t key_len;
	uint8_t *value;
	size_t value_len;
	bool del;
	uint32_t expire;    /* a put's lease end; 0: none */
	size_t zone;        /* zone index */
};

/* The operations of one transaction, being built. */
struct cops {
	const struct zonetab *zones;
	size_t n, cap;
	struct cops_item *items;
	size_t bytes;
	bool *touched;      /* per zone index */
	size_t ntouched;
	/* built by cops_txn */
	struct etcd_cmp *cmps;
	struct etcd_op *ops;
	size_t nops;
	char *vkeys;        /* the version keys */
};

int cops_init(struct cops *c, const struct zonetab *zones);
void cops_free(struct cops *c);
/* Forget every operation (for the next transaction). */
void cops_clear(struct cops *c);

/* Add the inputs in [p, end) (store_input_next's records). Inputs of
 * zones not in the table are left out. */
int cops_add(struct cops *c, const uint8_t *p, const uint8_t *end);
/* How many operations the transaction would carry (with the version
 * keys), and an upper bound of what adding [p, end) would make it. */
size_t cops_count(const struct cops *c);
size_t cops_bound(const struct cops *c, const uint8_t *p, const uint8_t *end);

/* The lease for a lease end (granting one if need be). */
typedef int (*cops_lease_fn)(void *ctx, uint32_t expire, int64_t *lease);

/*
 * Build the transaction in c->cmps (c->ntouched of them) and c->ops
 * (c->nops): compare each touched zone's version key with version[i]
 * (per zone index), then every operation and the version puts (value:
 * `node`). Leases come from `lease`. Valid until the next cops call.
 */
int cops_txn(struct cops *c, const int64_t *version, const char *node, cops_lease_fn lease,
    void *ctx);

#endif
