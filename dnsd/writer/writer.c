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
#include "writer/writer.h"
#include "zone/zone.h"

#define BATCH_MAX 1024     /* updates per commit */
#define REAP_MAX 20000     /* expiry entries per commit */
#define REPLY_MAX 4096
#define GATHER_US 300      /* longest wait for expected updates */
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
};

static void
enqueue(struct writer *w, struct job *j)
{
	pthread_mutex_lock(&w->mu);
	*w->tail = j;
	w->tail = &j->next;
	/* Wake the writer for the first job (unless it is gathering), or when
	 * the batch it gathers is complete; not for each one in between. */
	if ((++w->queued == 1 && !w->gathering) || w->queued == w->expect)
		pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
writer_submit(struct writer *w, const uint8_t *msg, size_t len, const struct query_req *req,
    const struct keyring_check *sig, const struct reply_to *to)
{
	struct job *j = malloc(sizeof(*j) + len);
	if (j == NULL)
		return; /* the client retries */
	j->next = NULL;
	j->op = NULL;
	j->to = *to;
	j->len = len;
	j->applied = false;
	j->rlen = 0;
	memcpy(j->msg, msg, len);
	j->r = *req;
	j->sig = *sig;
	j->sig.key = NULL;
	enqueue(w, j);
}

void
writer_submit_op(struct writer *w, const struct svc_op *op, writer_op_done done, void *arg)
{
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

/* The response: header and zone section, then OPT (with the granted
 * lease when the request asked for one, RFC 9664 section 4) and TSIG. */
static void
build_reply(struct writer *w, struct job *j, uint16_t rcode, const struct update_result *res,
    uint32_t now)
{
	struct reply_opt o;
	const struct query_req *r = &j->r;
	size_t n = query_reply_start(r, j->reply, sizeof(j->reply), rcode);
	query_reply_opt(r, w->rt->conf->edns_max, &o);
	if (r->has_lease && rcode == RCODE_NOERROR && res != NULL) {
		o.lease = true;
		o.lease_8 = r->lease_8;
		o.lease_secs = res->lease;
		o.key_lease = res->key_lease;
	}
	j->rlen = n > 0 ? reply_finish(j->reply, n, sizeof(j->reply), rcode, &o, &j->sig, now) : 0;
}

/* The key that signed the job, in the writer's ring (a reload may have
 * removed it since it was checked: then it is BADKEY). */
static void
resolve_key(struct writer *w, struct job *j)
{
	struct keyring_check *sig = &j->sig;
	if (sig->status == KEYRING_UNSIGNED ||
	    (sig->status == KEYRING_INVALID && sig->tsig_error == TSIG_NOERROR))
		return;
	const struct keyring_key *k = keyring_find(w->rt->keys, sig->rr.key_name);
	if (k != NULL && k->tsig.alg != tsig_alg_from_wire(sig->rr.alg_name))
		k = NULL;
	sig->key = k;
	if (k == NULL && sig->status == KEYRING_VALID) {
		sig->status = KEYRING_INVALID;
		sig->tsig_error = TSIG_BADKEY;
	}
}

/* Apply one authenticated UPDATE inside `batch`, or refuse it. With
 * `nested`, the update runs in a child transaction that is dropped if it
 * fails. Without, it runs in `batch` itself, which saves copying every page
 * it touches once more (about 5% of the writer's CPU with 16 clients); false
 * then means it failed after changing something, and the batch must be
 * run again, nested. */
/* Count what a change did to the service model (logged at stop). */
static void
count_model(struct writer *w, const struct svc_ctx *x)
{
	w->st.registered += x->registered;
	w->st.renewed += x->renewed;
	w->st.deregistered += x->deregistered;
	w->st.expired += x->expired;
}

/* The metrics of a batch: how each UPDATE was answered and, when it
 * committed, what the model did and how long the batch took from its
 * first write to durable. */
static void
count_batch(struct writer *w, const struct writer_stats *before, struct job *jobs,
    const struct timespec *start, bool committed)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (committed)
		stats_commit(w->stats, (uint64_t)((end.tv_sec - start->tv_sec) * 1000000 +
		                                  (end.tv_nsec - start->tv_nsec) / 1000));
	stats_add(w->stats, ST_REGISTRATIONS, w->st.registered - before->registered);
	stats_add(w->stats, ST_RENEWALS, w->st.renewed - before->renewed);
	stats_add(w->stats, ST_DEREGISTRATIONS, w->st.deregistered - before->deregistered);
	stats_add(w->stats, ST_EXPIRATIONS, w->st.expired - before->expired);
	for (struct job *j = jobs; j != NULL; j = j->next) {
		uint8_t rcode = j->rlen >= 4 ? j->reply[3] & 15 : RCODE_SERVFAIL;
		if (j->op == NULL)
			stats_add(w->stats, rcode == RCODE_NOERROR ? ST_UPDATES_OK
			    : rcode == RCODE_REFUSED || rcode == RCODE_NOTAUTH ? ST_UPDATES_REFUSED
			    : ST_UPDATES_FAILED, 1);
	}
}

/* Apply a change to the model (writer_submit_op) inside `batch`, nested
 * or not as process() does. */
static bool
process_op(struct writer *w, struct store_txn *batch, struct job *j, uint32_t now, bool nested,
    bool *catalog)
{
	struct store_txn *t = batch, *child = NULL;
	struct svc_ctx sx;
	int rc = nested ? store_write_nested(batch, &child) : 0;
	if (rc == 0) {
		t = nested ? child : batch;
		svc_ctx_init(&sx, t, &w->rt->zones, now);
		if ((rc = svc_apply(&sx, j->op)) == 0)
			rc = svc_flush(&sx);
		if (!nested && rc != 0 && sx.changed)
			return false; /* it changed something before it failed: undo */
		if (nested)
			rc = rc == 0 ? store_commit(child) : (store_abort(child), rc);
	}
	j->op_rc = rc;
	if (rc == 0 && sx.changed) {
		*catalog = true;
		count_model(w, &sx);
	}
	return true;
}

static bool
process(struct writer *w, struct store_txn *batch, struct job *j, uint32_t now, bool nested,
    bool *catalog)
{
	const struct runtime *rt = w->rt;
	struct query_req *r = &j->r;
	struct keyring_check *sig = &j->sig;

	resolve_key(w, j);
	if (sig->status == KEYRING_INVALID && sig->tsig_error == TSIG_NOERROR) {
		build_reply(w, j, RCODE_FORMERR, NULL, now);
		return true;
	}
	if (sig->status == KEYRING_INVALID) {
		/* RFC 8945 5.2: NOTAUTH with the TSIG error (reply_finish signs
		 * BADTIME, and not BADKEY or BADSIG). */
		char why[128], from[PEER_STR_MAX], key[160];
		keyring_check_str(sig, now, why, sizeof(why));
		peer_str(&j->to.peer, from, sizeof(from));
		snprintf(key, sizeof(key), "update tsig %s", from);
		log_limited(LOG_LVL_INFO, key, 60, "update from %s refused: %s", from, why);
		build_reply(w, j, RCODE_NOTAUTH, NULL, now);
		return true;
	}

	const struct zone *z = r->qdcount == 1 ? zonetab_find(&rt->zones, r->qname) : NULL;
	if (z != NULL && !wire_name_equal(z->apex, r->qname))
		z = NULL;
	if (z != NULL && sig->status == KEYRING_UNSIGNED &&
	    !peer_in_acl(&z->conf->allow_update_unsigned, &j->to)) {
		char from[PEER_STR_MAX], key[96];
		peer_str(&j->to.peer, from, sizeof(from));
		snprintf(key, sizeof(key), "update unsigned %s", from);
		log_limited(LOG_LVL_INFO, key, 60,
		    "update from %s to zone %s refused: not signed, and the address is not in "
		    "allow-update-unsigned", from, z->name);
		build_reply(w, j, RCODE_REFUSED, NULL, now);
		return true;
	}

	const struct conf_key *key = sig->status == KEYRING_VALID ? sig->key->conf : NULL;
	struct update_req u = { j->msg, sig->status == KEYRING_VALID ? sig->rr.offset : j->len, r, z,
		key, now };
	struct update_result res;
	struct store_txn *child;
	int rc;
	j->applied = true;
	if (!nested) {
		rc = update_apply(batch, &u, &res);
		if ((rc != 0 || res.rcode != RCODE_NOERROR) && res.changed)
			return false;
	} else if ((rc = store_write_nested(batch, &child)) == 0) {
		rc = update_apply(child, &u, &res);
		if (rc == 0 && res.rcode == RCODE_NOERROR)
			rc = store_commit(child);
		else
			store_abort(child);
	}
	if (rc != 0) {
		log_err("update failed: %s", dnsd_strerror(rc));
		res.rcode = RCODE_SERVFAIL;
	}
	if (res.rcode == RCODE_REFUSED) {
		char from[PEER_STR_MAX], lkey[96];
		peer_str(&j->to.peer, from, sizeof(from));
		snprintf(lkey, sizeof(lkey), "update policy %s", from);
		log_limited(LOG_LVL_INFO, lkey, 60,
		    "update from %s (key %s) to zone %s refused: a change its grants do not allow, "
		    "or over the key's max-records", from, key != NULL ? key->name : "none",
		    z != NULL ? z->name : "?");
	}
	if (rc == 0 && res.rcode == RCODE_NOERROR && res.catalog) {
		struct svc_ctx counted = { .registered = res.registered, .renewed = res.renewed,
			.deregistered = res.deregistered };
		*catalog = true;
		count_model(w, &counted);
	}
	build_reply(w, j, res.rcode, &res, now);
	return true;
}

/* Remove what has expired at x->now (records, and instances with their
 * views); *more if more is due than one batch takes. *removed counts the
 * records removed (committed only if the batch is). */
static int
reap(struct svc_ctx *x, bool *more, uint64_t *removed)
{
	unsigned entries = 0;
	int rc;
	*more = false;
	for (;;) {
		unsigned n;
		uint32_t zid;
		if ((rc = update_reap_one(x, &n, &zid)) <= 0)
			break;
		*removed += n;
		if (++entries == REAP_MAX) {
			*more = true;
			break;
		}
	}
	return rc < 0 ? rc : svc_flush(x);
}

/* The earliest lease deadline in the store, or 0 if none. */
static uint32_t
next_expiry(struct writer *w)
{
	struct store_txn *t;
	struct store_key k;
	uint32_t e = 0;
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

/* Answer a whole batch through the parent, then free the jobs. */
static void
send_replies(struct writer *w, struct job *jobs)
{
	struct peer_msg m[64];
	size_t n = 0;
	for (struct job *j = jobs; j != NULL; j = j->next) {
		if (j->op != NULL)
			continue; /* answered through its callback */
		m[n++] = (struct peer_msg){ &j->to, j->reply, j->rlen };
		if (n == 64) {
			w->send(w->ctx, m, n);
			n = 0;
		}
	}
	if (n > 0)
		w->send(w->ctx, m, n);
	for (struct job *j = jobs, *next; j != NULL; j = next) {
		next = j->next;
		free(j);
	}
}

/* Turn every answer of a batch into SERVFAIL. */
static void
fail_jobs(struct writer *w, struct job *jobs, uint32_t now)
{
	for (struct job *j = jobs; j != NULL; j = j->next)
		if (j->op == NULL)
			build_reply(w, j, RCODE_SERVFAIL, NULL, now);
}

/* One batch: updates, reaping, serials, one durable commit, replies. */
static void
run_batch(struct writer *w, struct job *jobs, bool *more)
{
	const struct zonetab *zones = &w->rt->zones;
	struct store_txn *t = NULL;
	uint32_t now = clock_now();
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int rc = store_write_begin(w->store, &t);

	memset(w->touched, 0, zones->n * sizeof(bool));
	if (rc == 0)
		store_track_changes(t);
	*more = false;
	/* First every update straight in the batch; should one fail after it
	 * changed something, the whole batch again with an undo for each. */
	bool catalog = false; /* a service instance changed */
	struct writer_stats before = w->st;
	for (bool nested = false;; nested = true) {
		bool redo = false;
		catalog = false;
		w->st = before; /* count each update once, whatever the attempt */
		for (struct job *j = jobs; j != NULL && rc == 0 && !redo; j = j->next) {
			j->applied = false;
			j->rlen = 0;
			redo = j->op != NULL ? !process_op(w, t, j, now, nested, &catalog)
			                     : !process(w, t, j, now, nested, &catalog);
		}
		if (!redo)
			break;
		unsigned n = 0;
		for (struct job *j = jobs; j != NULL; j = j->next)
			n++;
		log_debug("an update failed after it changed records: running the batch of %u"
		          " again, each update in its own transaction", n);
		store_abort(t);
		t = NULL;
		if ((rc = store_write_begin(w->store, &t)) == 0)
			store_track_changes(t);
	}
	for (struct job *j = jobs; j != NULL; j = j->next)
		w->st.updates += j->applied;
	uint64_t reaped = 0;
	struct svc_ctx sx;
	svc_ctx_init(&sx, t, zones, (uint32_t)((clock_now_ms() + REAP_LEAD_MS) / 1000));
	if (rc == 0 && (rc = reap(&sx, more, &reaped)) != 0)
		log_err("reaper: %s", dnsd_strerror(rc));
	if (rc == 0 && sx.changed) {
		catalog = true;
		count_model(w, &sx);
		if (sx.expired > 0)
			log_info("%u instance%s expired", sx.expired, sx.expired == 1 ? "" : "s");
	}
	uint64_t index = 0;
	if (rc == 0 && catalog && (rc = store_catalog_bump(t, &index)) != 0)
		log_err("catalog index: %s", dnsd_strerror(rc));
	/* One serial per zone per batch, and one journal entry for IXFR; a
	 * batch of pure renewals changes no record and no serial. */
	for (size_t i = 0; rc == 0 && i < zones->n; i++) {
		const struct zone *z = &zones->z[i];
		struct store_soa old;
		uint32_t serial;
		if (!store_changes_pending(t, z->id))
			continue;
		if ((rc = zone_soa(t, z, &old)) == 0 &&
		    (rc = zone_journal_change(t, z, &old, &serial)) == 0) {
			w->touched[i] = true;
			log_debug("zone %s: serial %u", z->name, serial);
		}
	}
	if (rc == 0) {
		rc = store_commit(t); /* frees t, also when it fails */
		if (rc == 0) {
			w->st.commits++;
			w->st.reaped += reaped;
		}
	} else if (t != NULL) {
		store_abort(t);
	}
	if (rc != 0) {
		log_err("write transaction failed: %s", dnsd_strerror(rc));
		fail_jobs(w, jobs, now); /* nothing was written: every client learns it */
		w->st = before;
	}
	count_batch(w, &before, jobs, &start, rc == 0);
	/* Whatever is queued before the answers leave came from clients that
	 * were not in this batch; what comes after may be their next update. */
	pthread_mutex_lock(&w->mu);
	w->others = w->queued;
	pthread_mutex_unlock(&w->mu);
	/* Durable now: tell the secondaries and the catalog's watchers, and
	 * answer. */
	for (size_t i = 0; rc == 0 && i < zones->n; i++)
		if (w->touched[i])
			w->zone_changed(w->ctx, &zones->z[i]);
	if (rc == 0 && catalog && w->catalog_changed != NULL)
		w->catalog_changed(w->ctx, index);
	for (struct job *j = jobs; j != NULL; j = j->next)
		if (j->op != NULL)
			j->done(j->done_arg, rc != 0 ? rc : j->op_rc, index);
	send_replies(w, jobs);
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
 * Sleep (w->mu held) until woken or, when `deadline` is set, until the
 * reaper's time for that second: an expiry is due when the wall clock
 * says so, so the wait follows the wall clock, steps included.
 */
static void
sleep_until(struct writer *w, uint32_t deadline)
{
	if (deadline == 0) {
		pthread_cond_wait(&w->cv, &w->mu);
		return;
	}
	uint64_t ms = (uint64_t)deadline * 1000 - REAP_LEAD_MS;
	struct timespec at = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
	pthread_cond_clockwait(&w->cv, &w->mu, CLOCK_REALTIME, &at);
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
		if (w->head == NULL && !w->reload && w->next_rt == NULL && !due && !w->stop) {
			sleep_until(w, deadline);
			continue;
		}
		if (w->stop && w->head == NULL)
			break;
		if (!gathered && w->head != NULL && w->queued < w->expect) {
			struct timespec end = mono_in(GATHER_US);
			gather_until(w, &end);
		}
		struct job *jobs = w->head;
		struct job **cut = &w->head;
		unsigned n = 0;
		for (; *cut != NULL && n < BATCH_MAX; n++)
			cut = &(*cut)->next;
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
		run_batch(w, jobs, &more);
		store_grow_ahead(w->store);
		deadline = next_expiry(w);

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
	w->touched = calloc(w->rt->zones.n + 1, sizeof(bool));
	if (w->touched == NULL) {
		runtime_drop(w->rt);
		free(w);
		return -ENOMEM;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, writer_run, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		runtime_drop(w->rt);
		free(w->touched);
		free(w);
		return -EAGAIN;
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
