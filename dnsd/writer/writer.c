/* writer.c -- group commit: every write of the server happens here
 *
 * Workers queue UPDATE messages; the writer takes everything queued, runs
 * the UPDATEs in one batch transaction (if one fails after it changed
 * records, the batch runs again with each UPDATE in a nested transaction,
 * so that a failed update changes nothing while its neighbours commit),
 * removes expired records, bumps each touched zone's serial once, commits
 * durably, and only then answers. Queries never wait: they read older snapshots.
 * (Overlapping one batch's disk sync with the next batch's work did not
 * pay: both syncs serialize on the file in the kernel.)
 *
 * Gathering: a commit costs about the same for one update as for many, so
 * a batch should carry every client that is about to send. Clients that
 * wait for their answer fall into two groups otherwise: those answered by
 * the last batch send again while the next one runs, and each batch
 * carries half of them. So before a batch starts, the writer expects the
 * updates that were queued before its answers went out plus one from
 * every client it has just answered,
 * and waits up to GATHER_US for them (as PostgreSQL's commit_delay does).
 * A lone client never waits: its next update is the whole batch. Updates
 * that arrive at random wait at most GATHER_US, and only after a batch
 * that carried more than one. The wait starts when the batch has been
 * answered, not at the first arrival: waking the writer for that one only
 * to wait again cost two context switches per batch (about 7% of the rate
 * with 16 clients here).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "net/peer.h"
#include "query/query.h"
#include "reply/reply.h"
#include "runtime/runtime.h"
#include "stats/stats.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "update/update.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "writer/cluster.h"
#include "writer/writer.h"
#include "zone/zone.h"

#include "writer/writer-int.h"

#define GATHER_US 300      /* longest wait for expected updates */

/* Queue a job (w->mu not held), counted in bytes as sizeof + its message. */
static void
enqueue(struct writer *w, struct job *j)
{
	pthread_mutex_lock(&w->mu);
	*w->tail = j;
	w->tail = &j->next;
	w->qbytes += sizeof(*j) + j->len;
	/* Wake the writer for the first job (unless it is gathering), or when
	 * the batch it gathers is complete; not for each one in between. */
	if ((++w->queued == 1 && !w->gathering) || w->queued == w->expect)
		pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int
writer_submit(struct writer *w, const uint8_t *msg, size_t len, const struct query_req *req,
    const struct keyring_check *sig, const struct reply_to *to)
{
	size_t size = sizeof(struct job) + len;
	/* Bounded (an unbounded queue let a flood of datagrams take gigabytes);
	 * threads that check at once may each add one more. */
	pthread_mutex_lock(&w->mu);
	bool full = w->queued >= w->queue_max || w->qbytes + size > w->queue_bytes_max;
	pthread_mutex_unlock(&w->mu);
	if (full)
		return -EAGAIN;
	struct job *j = malloc(size);
	if (j == NULL)
		return -ENOMEM;
	j->next = NULL;
	j->op = NULL;
	j->to = *to;
	j->len = len;
	j->applied = false;
	j->lost_ms = 0;
	j->rlen = 0;
	memcpy(j->msg, msg, len);
	j->r = *req;
	j->sig = *sig;
	j->sig.key = NULL;
	enqueue(w, j);
	return 0;
}

void
writer_submit_op(struct writer *w, const struct svc_op *op, writer_op_done done, void *arg)
{
	/* Not held to update-queue: the callers bound what they have in
	 * flight themselves (one per check, per HTTP connection, per
	 * definition in services-dir), all set by the operator. */
	struct job *j = calloc(1, sizeof(*j) + sizeof(*op));
	if (j == NULL) {
		done(arg, -ENOMEM, 0);
		return;
	}
	j->op = (struct svc_op *)j->msg;
	memcpy(j->op, op, sizeof(*op));
	j->done = done;
	j->done_arg = arg;
	enqueue(w, j);
}

void
writer_request_reload(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->reload = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
writer_set_runtime(struct writer *w, struct runtime *rt)
{
	pthread_mutex_lock(&w->mu);
	runtime_drop(w->next_rt); /* never: the server waits for switched() */
	w->next_rt = runtime_hold(rt);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* The earliest lease deadline in the store, or 0 if none. */
static uint32_t
next_expiry(struct writer *w)
{
	struct store_txn *t;
	struct store_key k;
	uint32_t e = 0;
	if (w->cl != NULL)
		return 0; /* cluster mode: etcd's leases expire things, not the reaper */
	int rc = store_read_begin(w->store, &t);
	if (rc != 0) {
		/* Not knowing is not "nothing is due": look again in a second. */
		log_err("writer: cannot read the expiry index: %s", dnsd_strerror(rc));
		return clock_now() + 1;
	}
	if (store_expiry_first(t, &e, &k) != 0)
		e = 0;
	store_abort(t);
	return e;
}

/* Re-import changed zone files; NOTIFY for every zone whose serial moved. */
static void
reload_zones(struct writer *w)
{
	struct zonetab *zones = &w->rt->zones;
	uint32_t *before = calloc(zones->n + 1, sizeof(uint32_t));
	struct store_txn *t;
	if (before == NULL)
		return;
	if (store_read_begin(w->store, &t) == 0) {
		for (size_t i = 0; i < zones->n; i++)
			zone_serial(t, &zones->z[i], &before[i]);
		store_abort(t);
	}
	if (zone_reload_all(w->store, zones, clock_now()) != 0)
		log_warn("reload: some zones kept their previous data");
	if (w->cl != NULL)
		wcl_reloaded(w->cl, zones);
	if (store_read_begin(w->store, &t) == 0) {
		for (size_t i = 0; i < zones->n; i++) {
			uint32_t after = before[i];
			zone_serial(t, &zones->z[i], &after);
			if (after != before[i])
				w->zone_changed(w->ctx, &zones->z[i]);
		}
		store_abort(t);
	}
	free(before);
}

/* Switch to the generation `rt` (writer_set_runtime), whose queued
 * reference this takes over. */
static void
switch_runtime(struct writer *w, struct runtime *rt)
{
	size_t n = rt->zones.n;
	uint32_t *before = calloc(2 * n + 1, sizeof(uint32_t));
	uint32_t *after = before != NULL ? before + n : NULL;
	bool *touched = calloc(n + 1, sizeof(bool));
	int rc = before != NULL && touched != NULL ? 0 : -ENOMEM;

	if (rc == 0 && zone_serials(w->store, &rt->zones, before) < 0)
		memset(before, 0, n * sizeof(uint32_t));
	if (rc == 0 && zone_reload_all(w->store, &rt->zones, clock_now()) != 0)
		log_warn("reload: some zones kept their previous data");
	if (rc == 0 && (rc = zone_serials(w->store, &rt->zones, after)) > 0) {
		log_err("reload: %d zone%s of the new configuration could not be loaded", rc,
		    rc == 1 ? "" : "s");
		rc = DNSD_ECONF;
	}
	if (rc != 0) {
		free(before);
		free(touched);
		w->switched(w->ctx, rt, rc);
		runtime_drop(rt);
		return;
	}
	runtime_drop(w->rt);
	w->rt = rt;
	if (w->cl != NULL) /* cluster mode: serials from the new files */
		wcl_reloaded(w->cl, &rt->zones);
	free(w->touched);
	w->touched = touched;
	w->publish(w->ctx, rt);
	if (n > 0 && (rc = zone_touch(w->store, &rt->zones.z[0])) != 0)
		log_warn("reload: answer caches not retired: %s", dnsd_strerror(rc));
	for (size_t i = 0; i < n; i++)
		if (after[i] != before[i])
			w->zone_changed(w->ctx, &rt->zones.z[i]);
	free(before);
	w->switched(w->ctx, rt, 0);
}

/* The monotonic time `us` microseconds from now. */
static struct timespec
mono_in(long us)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (us % 1000000) * 1000;
	ts.tv_sec += us / 1000000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

/* Is the expiry second `deadline` (0: none) due for the reaper? */
static bool
expiry_due(uint32_t deadline)
{
	return deadline != 0 && clock_now_ms() + REAP_LEAD_MS >= (uint64_t)deadline * 1000;
}

/*
 * Sleep (w->mu held) until woken or until millisecond `ms` (0: until
 * woken) of clock `clk`. The reaper's deadlines follow the wall clock (an
 * expiry is due when it says so, steps included); cluster mode's follow
 * the monotonic one.
 */
static void
sleep_until(struct writer *w, clockid_t clk, uint64_t ms)
{
	struct timespec at = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
	if (ms == 0)
		pthread_cond_wait(&w->cv, &w->mu);
	else
		pthread_cond_clockwait(&w->cv, &w->mu, clk, &at);
}

/* Wait (w->mu held) until the expected jobs are queued, or until `end`. */
static void
gather_until(struct writer *w, const struct timespec *end)
{
	while (w->queued < w->expect && !w->stop &&
	    pthread_cond_clockwait(&w->cv, &w->mu, CLOCK_MONOTONIC, end) == 0)
		;
}

static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	bool more = false;
	uint32_t deadline = next_expiry(w);
	w->stats = stats_block_new();

	pthread_mutex_lock(&w->mu);
	for (;;) {
		bool gathered = w->gathering;
		if (w->gathering) {
			gather_until(w, &w->gather_end);
			w->gathering = false;
			if (w->head == NULL)
				w->expect = 1; /* nobody came: answer the next one at once */
		}
		bool due = more || expiry_due(deadline);
		bool cwork = w->cl != NULL && wcl_pending(w->cl); /* cluster: etcd's changes... */
		if (w->head == NULL && !cwork && !w->reload && w->next_rt == NULL && !due && !w->stop) {
			if (w->cl != NULL)
				sleep_until(w, CLOCK_MONOTONIC, wcl_deadline(w->cl));
			else
				sleep_until(w, CLOCK_REALTIME,
				    deadline != 0 ? (uint64_t)deadline * 1000 - REAP_LEAD_MS : 0);
			continue;
		}
		if (w->stop && w->head == NULL && !cwork)
			break;
		if (!gathered && w->head != NULL && w->queued < w->expect) {
			struct timespec end = mono_in(GATHER_US);
			gather_until(w, &end);
		}
		struct job *jobs = w->head;
		struct job **cut = &w->head;
		unsigned n = 0;
		for (; *cut != NULL && n < BATCH_MAX; n++) {
			w->qbytes -= sizeof(struct job) + (*cut)->len;
			cut = &(*cut)->next;
		}
		w->head = *cut;
		*cut = NULL;
		w->queued -= n;
		if (w->head == NULL)
			w->tail = &w->head;
		bool reload = w->reload;
		struct runtime *next_rt = w->next_rt;
		w->reload = false;
		w->next_rt = NULL;
		pthread_mutex_unlock(&w->mu);

		if (next_rt != NULL)
			switch_runtime(w, next_rt);
		if (reload)
			reload_zones(w);
		writer_run_batch(w, jobs, &more);
		store_grow_ahead(w->store);
		deadline = next_expiry(w);
		if (deadline != 0 && deadline < w->reap_after)
			deadline = w->reap_after; /* backing off */

		pthread_mutex_lock(&w->mu);
		/* The clients just answered will most likely send again. (Their
		 * next updates may be queued already: the answers went out before
		 * the batch ended, so count only the others.) */
		w->expect = n + w->others < BATCH_MAX ? n + w->others : BATCH_MAX;
		if (w->expect > 1 && w->queued < w->expect) {
			w->gathering = true;
			w->gather_end = mono_in(GATHER_US);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
writer_start(const struct writer_setup *s, struct writer **out)
{
	struct writer *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->store = s->store;
	w->rt = runtime_hold(s->rt);
	w->ctx = s->ctx;
	w->send = s->send;
	w->zone_changed = s->zone_changed;
	w->catalog_changed = s->catalog_changed;
	w->publish = s->publish;
	w->switched = s->switched;
	w->tail = &w->head;
	w->queue_max = s->queue_max ? s->queue_max : 1024;
	w->queue_bytes_max = s->queue_bytes_max ? s->queue_bytes_max : (8u << 20);
	w->reap_max = REAP_MAX;
	w->touched = calloc(w->rt->zones.n + 1, sizeof(bool));
	if (w->touched == NULL) {
		runtime_drop(w->rt);
		free(w);
		return -ENOMEM;
	}
	int rc = s->cluster != NULL ? wcl_new(w, s, &w->rt->zones, &w->cl) : 0;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (rc != 0 || pthread_create(&w->thread, NULL, writer_run, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		wcl_free(w->cl);
		runtime_drop(w->rt);
		free(w->touched);
		free(w);
		return rc != 0 ? rc : -EAGAIN;
	}
	*out = w;
	return 0;
}

void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	wcl_free(w->cl);
	log_info("writer: %llu updates in %llu commits, %llu expired records removed; "
	         "instances: %llu registered, %llu renewed, %llu deregistered, %llu expired",
	    (unsigned long long)w->st.updates, (unsigned long long)w->st.commits,
	    (unsigned long long)w->st.reaped, (unsigned long long)w->st.registered,
	    (unsigned long long)w->st.renewed, (unsigned long long)w->st.deregistered,
	    (unsigned long long)w->st.expired);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	for (struct job *j = w->head, *n; j != NULL; j = n) {
		n = j->next;
		free(j);
	}
	runtime_drop(w->next_rt);
	runtime_drop(w->rt);
	free(w->touched);
	free(w);
}
