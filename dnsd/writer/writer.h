/* writer.h -- the one thread that writes: group commit of UPDATEs, the
 * lease reaper and zone reloads. */
#ifndef DNSD_WRITER_WRITER_H
#define DNSD_WRITER_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct conf_cluster;
struct keyring_check;
struct mirror_batch;
struct peer_msg;
struct query_req;
struct reply_to;
struct runtime;
struct store;
struct writer;
struct zone;

/* What the writer needs, and how it talks back to its parent. */
struct writer_setup {
	struct store *store;
	struct runtime *rt;     /* the writer takes its own reference */
	void *ctx;
	/* Send the replies of a committed batch (copy what must outlive the
	 * call). */
	void (*send)(void *ctx, const struct peer_msg *m, size_t n);
	/* A zone's serial changed in a commit that is now durable. */
	void (*zone_changed)(void *ctx, const struct zone *z);
	/* The service catalog changed in a durable commit; `index` is the
	 * catalog index after it (blocking queries wait for it). May be NULL. */
	void (*catalog_changed)(void *ctx, uint64_t index);
	/* writer_set_runtime, from the writer thread: every zone of `rt` is
	 * in the store and the writer now writes with `rt`; hand it to the
	 * other modules (copy what must outlive the call: take a reference). */
	void (*publish)(void *ctx, struct runtime *rt);
	/* writer_set_runtime is over: `rc` 0 after publish (and NOTIFY for
	 * the zones whose serial moved), else the error that kept the writer
	 * on its previous generation (a new zone could not be loaded). */
	void (*switched)(void *ctx, struct runtime *rt, int rc);
	/* Bounds of the queue of UPDATEs not yet taken into a batch
	 * (update-queue, update-queue-size; 0: 1024 and 8 MiB). */
	size_t queue_max, queue_bytes_max;
	/* Cluster mode (dnsd(8) "Cluster mode"; writer/cluster.h), or NULL:
	 * single-node mode, where nothing of it runs. */
	const struct conf_cluster *cluster;
};

/*
 * Start the writer thread. It applies the UPDATEs (RFC 2136) collected
 * since its last commit in one LMDB transaction, commits durably and only
 * then sends every response; it removes expired records when their second
 * comes (one serial bump per zone per batch), and reloads zones on
 * request. It sleeps until its next deadline: the next update, the next
 * lease to expire, or the end of a gathering wait.
 */
int writer_start(const struct writer_setup *s, struct writer **out);
/* Finish queued work, stop the thread and free everything (NULL is ok). */
void writer_stop(struct writer *w);
/*
 * Queue an UPDATE to be answered through `to`. The message, `req` (what
 * query_parse() made of it) and `sig` (its TSIG, checked by the caller
 * at arrival) are copied. Returns 0, or -EAGAIN when the queue is at its
 * bounds (count or bytes) and -ENOMEM: then nothing is queued and the
 * caller answers (SERVFAIL) or drops. Thread-safe.
 */
int writer_submit(struct writer *w, const uint8_t *msg, size_t len, const struct query_req *req,
    const struct keyring_check *sig, const struct reply_to *to);
/*
 * Queue a change to the service model (svc_op, svc/catalog.h; copied),
 * applied in the next batch. `done` runs in the writer's thread once the
 * change is durable (rc 0, with the catalog index after it) or has failed
 * (rc: DNSD_ENOTFOUND for an unknown ID, zone or check; another error
 * when the store failed). Thread-safe.
 */
struct svc_op;
typedef void (*writer_op_done)(void *arg, int rc, uint64_t index);
void writer_submit_op(struct writer *w, const struct svc_op *op, writer_op_done done, void *arg);

/*
 * Cluster mode: a batch of etcd's changes for the mirror, applied in the
 * writer's next commit (the writer takes `b`). Thread-safe.
 */
void writer_submit_mirror(struct writer *w, struct mirror_batch *b);
/* Cluster mode: the etcd revision the follower must watch from (one past
 * the last one applied), or 0 when the mirror must resynchronise from a
 * full read. */
int64_t writer_mirror_start(const struct writer *w);

/* Ask for the changed zone files to be re-imported. */
void writer_request_reload(struct writer *w);
/*
 * Switch to a newer generation (a configuration reload). In the writer
 * thread, between batches: open its zones in the store (zones new to the
 * configuration are created, changed zone files re-imported; a zone whose
 * file is broken keeps its previous data), then publish() it, start a
 * new store snapshot (answer caches must not outlive the old
 * configuration), NOTIFY the zones whose serial moved, and switched().
 * If a zone of `rt` is not in the store after that (a new zone whose file
 * failed), the writer stays on its generation and switched() says why.
 * Takes a reference. One switch at a time: wait for switched().
 */
void writer_set_runtime(struct writer *w, struct runtime *rt);

#endif
