/* batch.c -- one batch of the writer: its UPDATEs and model changes in
 * one transaction (nested ones when an update must be undone), the
 * reaper, the views of the services they touched, one serial and journal
 * entry per zone, one durable commit, then the replies */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
#include "writer/writer-int.h"
#include "zone/zone.h"

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
		if (j->op != NULL)
			continue;
		enum stats_result res = rcode == RCODE_NOERROR ? ST_RES_OK
		    : rcode == RCODE_REFUSED || rcode == RCODE_NOTAUTH ? ST_RES_REFUSED : ST_RES_FAILED;
		stats_add(w->stats, res == ST_RES_OK ? ST_UPDATES_OK
		    : res == ST_RES_REFUSED ? ST_UPDATES_REFUSED : ST_UPDATES_FAILED, 1);
		stats_key_add(j->sig.status == KEYRING_VALID && j->sig.key != NULL
		    ? j->sig.key->conf->name : j->sig.status == KEYRING_UNSIGNED ? "(unsigned)"
		    : "(bad signature)", res);
	}
}

/* Apply a change to the model (writer_submit_op) inside `batch`, nested
 * or not as process() does, in the batch's group of changes `sx`. */
static bool
process_op(struct writer *w, struct store_txn *batch, struct job *j, bool nested,
    struct svc_ctx *sx)
{
	struct store_txn *child = NULL;
	int rc = nested ? store_write_nested(batch, &child) : 0;
	(void)w;
	if (rc == 0) {
		bool before = sx->changed;
		sx->changed = false;
		sx->t = nested ? child : batch;
		rc = svc_apply(sx, j->op);
		bool changed = sx->changed;
		sx->changed |= before;
		sx->t = batch;
		if (!nested && rc != 0 && changed)
			return false; /* it changed something before it failed: undo */
		if (nested)
			rc = rc == 0 ? store_commit(child) : (store_abort(child), rc);
	}
	j->op_rc = rc;
	return true;
}

static bool
process(struct writer *w, struct store_txn *batch, struct job *j, uint32_t now, bool nested,
    struct svc_ctx *sx)
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
		key, now, sx };
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
	sx->t = batch;
	build_reply(w, j, res.rcode, &res, now);
	return true;
}

/* Remove what has expired at x->now (records, and instances, whose views
 * follow at svc_flush); *more if more is due than `max` entries.
 * *removed counts the records removed (committed only if the batch is). */
static int
reap(struct svc_ctx *x, unsigned max, bool *more, uint64_t *removed)
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
		if (++entries == max) {
			*more = true;
			break;
		}
	}
	return rc < 0 ? rc : 0;
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

void
writer_jobs_answer(struct writer *w, struct job *jobs, int rc, uint64_t index, uint32_t now)
{
	if (rc != 0)
		fail_jobs(w, jobs, now);
	for (struct job *j = jobs; j != NULL; j = j->next)
		if (j->op != NULL)
			j->done(j->done_arg, rc != 0 ? rc : j->op_rc, index);
	send_replies(w, jobs);
}

/* One batch: updates, reaping, serials, one durable commit, replies. */
void
writer_run_batch(struct writer *w, struct job *jobs, bool *more)
{
	/* cluster mode: etcd's changes first; jobs may wait for the mirror */
	if (w->cl != NULL && (jobs = wcl_batch(w->cl, jobs)) == NULL)
		return;
	const struct zonetab *zones = &w->rt->zones;
	struct store_txn *t = NULL;
	uint32_t now = clock_now();
	struct writer_stats first = w->st;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int rc = store_write_begin(w->store, &t);

	memset(w->touched, 0, zones->n * sizeof(bool));
	if (rc == 0)
		store_track_changes(t);
	*more = false;
	/* First every update straight in the batch; should one fail after it
	 * changed something, the whole batch again with an undo for each. */
	/* The batch is one group of changes to the service model: each
	 * service's views are derived once, at the end (svc_flush in reap). */
	struct svc_ctx sx;
	svc_ctx_init(&sx, t, zones, now);
	for (bool nested = false;; nested = true) {
		bool redo = false;
		svc_ctx_free(&sx);
		svc_ctx_init(&sx, t, zones, now);
		if (w->cl != NULL) /* cluster: a scratch pass (cluster.c) */
			wcl_pass_begin(w->cl, rc == 0 ? t : NULL);
		for (struct job *j = jobs; j != NULL && rc == 0 && !redo; j = j->next) {
			j->applied = false;
			j->rlen = 0;
			redo = j->op != NULL ? !process_op(w, t, j, nested, &sx)
			                     : !process(w, t, j, now, nested, &sx);
			if (w->cl != NULL)
				wcl_job_end(w->cl, t);
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
	if (w->cl != NULL) { /* cluster: etcd takes the changes, the mirror applies them */
		svc_ctx_free(&sx);
		wcl_finish(w->cl, rc == 0 ? t : NULL, jobs, now);
		return;
	}
	uint64_t reaped = 0;
	struct writer_stats before = w->st;
	sx.t = t;
	sx.now = (uint32_t)((clock_now_ms() + REAP_LEAD_MS) / 1000);
	/* The reaper backs off after a failed commit (a full store); the views
	 * of what the batch changed are derived either way. */
	bool reaping = sx.now >= w->reap_after;
	if (rc == 0 && reaping && (rc = reap(&sx, w->reap_max, more, &reaped)) != 0)
		log_limited(LOG_LVL_ERR, "writer-reaper", 60, "reaper: %s", dnsd_strerror(rc));
	if (rc == 0 && (rc = svc_flush(&sx)) != 0)
		log_err("service views: %s", dnsd_strerror(rc));
	svc_ctx_free(&sx);
	bool catalog = rc == 0 && sx.changed; /* a service instance changed */
	if (catalog) {
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
			if (reaping && w->reap_backoff > 0) {
				log_info("reaper: committing again (%llu expired records removed)",
				    (unsigned long long)reaped);
				w->reap_backoff = 0;
			}
			if (reaping && w->reap_max < REAP_MAX)
				w->reap_max = w->reap_max * 2 < REAP_MAX ? w->reap_max * 2 : REAP_MAX;
		}
	} else if (t != NULL) {
		store_abort(t);
	}
	if (rc != 0) {
		/* A full store fails every batch until room is made: one line a minute,
		 * and a reaper that backs off (1 s doubling to 60) with smaller batches. */
		log_limited(LOG_LVL_ERR, "writer-commit", 60, "write transaction failed: %s",
		    dnsd_strerror(rc));
		if (reaping) {
			w->reap_backoff = w->reap_backoff == 0 ? 1 : w->reap_backoff >= REAP_BACKOFF_MAX / 2
			    ? REAP_BACKOFF_MAX : w->reap_backoff * 2;
			w->reap_after = clock_now() + w->reap_backoff;
			w->reap_max = w->reap_max / 2 > REAP_MIN ? w->reap_max / 2 : REAP_MIN;
			*more = false;
		}
		fail_jobs(w, jobs, now); /* nothing was written: every client learns it */
		w->st = before;
	}
	count_batch(w, &first, jobs, &start, rc == 0);
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

