/* writer-int.h -- the writer's private state, shared by writer.c (the
 * thread, its queue and its wake-ups) and batch.c (one batch: updates,
 * model changes, the reaper, serials, the commit, the replies) and, in
 * cluster mode, cluster.c (the batch as an etcd transaction, the mirror) */
#ifndef DNSD_WRITER_WRITER_INT_H
#define DNSD_WRITER_WRITER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "keyring/keyring.h"
#include "net/peer.h"
#include "query/query.h"
#include "writer/writer.h"

#define BATCH_MAX 1024     /* updates per commit */
#define REAP_MAX 20000     /* expiry entries per commit */
#define REAP_MIN 16        /* ... after failed commits halved it */
#define REAP_BACKOFF_MAX 60 /* seconds between retries of a failing reaper */
#define REPLY_MAX 4096
/* The reaper removes the records that expire at second T this long before
 * T begins, so that by the time the clock reads T (and the query path
 * stops serving them) the serial has risen and the secondaries have been
 * told: no answer shows a name gone under the old serial. Their TTL has
 * been 0 for the whole second before. */
#define REAP_LEAD_MS 10

struct job {
	struct job *next;
	/* a change to the model (writer_submit_op) instead of an UPDATE */
	struct svc_op *op;
	writer_op_done done;
	void *done_arg;
	int op_rc;
	struct reply_to to;
	size_t len;
	/* filled by the submitting thread */
	struct query_req r;
	struct keyring_check sig; /* its key is looked up again in the writer's ring */
	/* filled while processing */
	bool applied;      /* it reached update_apply (for the statistics) */
	uint64_t lost_ms;  /* cluster mode: when it first lost the race for its zone */
	size_t rlen;
	uint8_t reply[REPLY_MAX];
	uint8_t msg[];
};

/* Counters, logged when the writer stops. */
struct writer_stats {
	uint64_t updates, commits, reaped;
	uint64_t registered, renewed, deregistered, expired; /* instances */
};

struct writer {
	struct store *store;
	struct runtime *rt;
	void *ctx;
	void (*send)(void *ctx, const struct peer_msg *m, size_t n);
	void (*zone_changed)(void *ctx, const struct zone *z);
	void (*catalog_changed)(void *ctx, uint64_t index);
	void (*publish)(void *ctx, struct runtime *rt);
	void (*switched)(void *ctx, struct runtime *rt, int rc);
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, **tail;
	unsigned queued;       /* jobs in the queue */
	unsigned expect;       /* jobs the next batch should carry */
	unsigned others;       /* jobs queued before the last batch's replies */
	bool gathering;        /* waiting for `expect` jobs until gather_end */
	struct timespec gather_end;
	bool stop, reload;
	struct runtime *next_rt; /* writer_set_runtime: a generation to switch to */
	struct writer_stats st;
	struct stats_block *stats; /* for /metrics: the writer thread's own */
	bool *touched;         /* per zone index, during one batch */
	size_t queue_max, queue_bytes_max, qbytes; /* writer_submit's bounds; bytes queued */
	/* A reaper whose commits fail waits until reap_after, doubling reap_backoff,
	 * and takes fewer entries at once. */
	uint32_t reap_after;
	unsigned reap_backoff, reap_max;
	struct wcluster *cl;   /* cluster mode (cluster.c); NULL: single node */
};

/* Run one batch (batch.c): the jobs in one transaction, the reaper,
 * serials and journal, one durable commit, then the replies; frees the
 * jobs. *more: expired entries are left for the next batch. */
void writer_run_batch(struct writer *w, struct job *jobs, bool *more);
/* batch.c, for cluster.c: answer each job (with `rc` not 0: SERVFAIL, and
 * `rc` to a change's callback; else its own answer), the callbacks of
 * changes getting the catalog index `index`; then free them. */
void writer_jobs_answer(struct writer *w, struct job *jobs, int rc, uint64_t index, uint32_t now);

#endif
