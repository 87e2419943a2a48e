/* cluster.h -- the writer's side of cluster mode (cluster.c); only the
 * files of dnsd/writer/ include this
 *
 * In cluster mode the writer still runs every batch of updates, but in a
 * scratch transaction that it aborts: the inputs the batch changed go to
 * etcd as one transaction (cluster/ops.h) whose comparisons make it fail
 * if any node wrote to one of its zones since the mirror last applied
 * them. The replies wait, parked, until the mirror has applied the
 * transaction's revision, so a client reads its write from the node it
 * wrote to. A batch that lost the race runs again once the mirror has
 * caught up (for 2.5 s at most); etcd unreachable or without quorum
 * is SERVFAIL. The writer also applies the mirror's batches
 * (cluster/mirror.h) as its own commits, with journal, NOTIFY and the
 * catalog index as for any commit. Nothing here blocks on the mirror: the
 * writer thread is what applies it.
 */
#ifndef DNSD_WRITER_CLUSTER_H
#define DNSD_WRITER_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

struct conf_cluster;
struct job;
struct mirror_batch;
struct store;
struct store_txn;
struct writer;
struct writer_setup;
struct zone;
struct zonetab;

struct wcluster;

/* Set up (in writer_start, from its setup: s->cluster, the store, the
 * parent's callbacks): an etcd client of its own, the zones' base serials
 * from their files, and each zone's serial as cluster mode has it. */
int wcl_new(struct writer *w, const struct writer_setup *s, const struct zonetab *zones,
    struct wcluster **out);
/* Free everything; parked replies are sent (their writes committed),
 * jobs waiting for the mirror get SERVFAIL, queued batches are dropped
 * (NULL is fine). */
void wcl_free(struct wcluster *c);
/* The revision to watch from: one past the last applied, or 0 when the
 * mirror must resynchronise from a full read. */
int64_t wcl_start_rev(const struct wcluster *c);

/* Queue a batch from the follower (thread-safe). */
void wcl_push(struct wcluster *c, struct mirror_batch *b);
/* Must the writer run a batch (wcl_batch) although no job is queued:
 * changes to apply, jobs ready again, replies whose wait ran out? And the
 * next monotonic millisecond at which one of these comes due (0: none).
 * In the writer thread. */
bool wcl_pending(struct wcluster *c);
uint64_t wcl_deadline(const struct wcluster *c);

/* In the writer thread, without the mutex: */
/* Before a batch: apply etcd's changes (one commit), answer the replies
 * whose wait is over, then take `jobs` (a list, maybe NULL) and return
 * what should run now: with the jobs that waited for the mirror first,
 * or NULL while they must wait. */
struct job *wcl_batch(struct wcluster *c, struct job *jobs);
/* A scratch pass over a batch begins in `t` (again after a redo). */
void wcl_pass_begin(struct wcluster *c, struct store_txn *t);
/* One job of the pass is done: its inputs end here. */
void wcl_job_end(struct wcluster *c, struct store_txn *t);
/* The pass is over: abort `t`, send its inputs to etcd, and park, hold
 * or fail each job (all of them are taken). */
void wcl_finish(struct wcluster *c, struct store_txn *t, struct job *jobs, uint32_t now);
/* The zone files were reloaded (a new generation: its zones): new bases,
 * new serials. */
void wcl_reloaded(struct wcluster *c, const struct zonetab *zones);

#endif
