/* follower.h -- cluster mode's follower: watches etcd and hands every
 * change to the writer, which mirrors it into the store
 *
 * A thread module: it gets a setup struct and talks back through one
 * callback (server.c passes the batches to the writer). It watches the
 * cluster's keys (cluster/layout.h) from the revision after the last one
 * the mirror applied, on etcd's own watch thread, resuming on another
 * member when one fails. When there is no such revision (a new store, a
 * store of another cluster), when etcd compacted it, or when etcd is
 * younger than the mirror (restored or replaced), it resynchronises: one
 * read of every key at one revision S, handed over as a snapshot batch,
 * then the watch from S + 1; and it writes S as the serial floor of each
 * zone, so every node's serials meet again (cluster/mirror.h).
 */
#ifndef DNSD_CLUSTER_FOLLOWER_H
#define DNSD_CLUSTER_FOLLOWER_H

#include <stdint.h>

struct conf_cluster;
struct follower;
struct mirror_batch;
struct runtime;

struct follower_setup {
	const struct conf_cluster *conf;  /* etcd members, prefix, credentials */
	struct runtime *rt;               /* its zones: whose serial floors to write
	                                   * (the follower takes its own reference) */
	int64_t start;                    /* watch from here; 0: resynchronise first */
	void *ctx;
	/* A batch of changes, or a snapshot, in order; the callee takes it.
	 * Called from the follower's threads, one call at a time. */
	void (*deliver)(void *ctx, struct mirror_batch *b);
};

/* Start following (etcd need not be up: it keeps trying). */
int follower_start(const struct follower_setup *s, struct follower **out);
/* Follow the zones of another generation of the configuration (it takes
 * a reference); with a zone it did not follow before, it reads every key
 * again, since the mirror never kept that zone's data. Thread-safe. */
void follower_set_runtime(struct follower *f, struct runtime *rt);
/* Stop the threads and free everything (NULL is fine); no delivery
 * happens once this returns. */
void follower_stop(struct follower *f);

#endif
