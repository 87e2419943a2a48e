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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "conf/conf.h"
#include "net/net.h"
#include "query/query.h"
#include "store/store.h"
#include "tsig/tsig.h"
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

struct job {
	struct job *next;
	struct reply_to to;
	size_t len;
	/* filled by the submitting thread (see authenticate) */
	struct query_req r;
	int tsig;          /* server_tsig_check(): 1 signed, 0 not, -1 failed */
	uint16_t tsig_error;
	struct tsig_rr trr;
	const struct tsig_key *tkey;
	const struct conf_key *ckey;
	/* filled while processing */
	bool applied;      /* it reached update_apply (for the statistics) */
	size_t rlen;
	uint8_t reply[REPLY_MAX];
	uint8_t msg[];
};

struct writer {
	struct server *srv;
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
	struct writer_stats st;
	bool *touched;         /* per zone index, during one batch */
};

/* Check the request's TSIG. This runs in the thread that received it, so
 * that the writer, which every update waits for, does less; the time it is
 * checked at is the time it arrived. */
static void
authenticate(struct writer *w, struct job *j)
{
	j->tkey = NULL;
	j->ckey = NULL;
	j->tsig_error = TSIG_NOERROR;
	j->tsig = server_tsig_check(w->srv, j->msg, j->len, clock_now(), &j->trr, &j->tkey,
	    &j->ckey, &j->tsig_error);
}

void
writer_submit(struct writer *w, const uint8_t *msg, size_t len, const struct query_req *req,
    const struct reply_to *to)
{
	struct job *j = malloc(sizeof(*j) + len);
	if (j == NULL)
		return; /* the client retries */
	j->next = NULL;
	j->to = *to;
	j->len = len;
	j->applied = false;
	j->rlen = 0;
	memcpy(j->msg, msg, len);
	j->r = *req;
	authenticate(w, j);
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
writer_request_reload(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->reload = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
writer_get_stats(struct writer *w, struct writer_stats *st)
{
	pthread_mutex_lock(&w->mu);
	*st = w->st;
	pthread_mutex_unlock(&w->mu);
}

/* Where did the request come from? For allow-update-unsigned. */
static bool
peer_allowed(const struct conf_acl *acl, const struct reply_to *to)
{
	if (to->peer.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&to->peer;
		return conf_acl_match_addr(acl, AF_INET, (const uint8_t *)&s->sin_addr);
	}
	if (to->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&to->peer;
		return conf_acl_match_addr(acl, AF_INET6, (const uint8_t *)&s->sin6_addr);
	}
	return false;
}

/* The response: header and zone section, OPT (with the granted lease when
 * the request asked for one, RFC 9664 section 4), TSIG when signed. */
static void
build_reply(struct writer *w, struct job *j, const struct query_req *r, uint16_t rcode,
    const struct update_result *res, const struct tsig_rr *trr, const struct tsig_key *key,
    uint16_t tsig_error)
{
	struct query_req plain = *r;
	plain.edns = false;
	size_t n = query_error_reply(&plain, j->reply, sizeof(j->reply), rcode, 0);
	if (n == 0)
		return;
	struct wire_buf b;
	wire_buf_init(&b, j->reply, sizeof(j->reply));
	b.len = n;
	if (r->edns) {
		bool ul = r->has_lease && rcode == RCODE_NOERROR && res != NULL;
		wire_buf_u8(&b, 0);
		wire_buf_u16(&b, RR_OPT);
		wire_buf_u16(&b, w->srv->conf->edns_max);
		wire_buf_u32(&b, (uint32_t)(rcode >> 4) << 24);
		wire_buf_u16(&b, ul ? (r->lease_8 ? 12 : 8) : 0);
		if (ul) {
			wire_buf_u16(&b, EDNS_OPT_UL);
			wire_buf_u16(&b, r->lease_8 ? 8 : 4);
			wire_buf_u32(&b, res->lease);
			if (r->lease_8)
				wire_buf_u32(&b, res->key_lease);
		}
		wire_put16(j->reply + 10, 1);
	}
	if (b.err != 0)
		return;
	j->rlen = b.len;
	if (trr != NULL && tsig_sign_response(j->reply, &j->rlen, sizeof(j->reply), trr, key,
	                       tsig_error, clock_now()) != 0)
		j->rlen = 0;
}

/* Apply one authenticated UPDATE inside `batch`, or refuse it. With
 * `nested`, the update runs in a child transaction that is dropped if it
 * fails. Without, it runs in `batch` itself, which saves copying every page
 * it touches once more (about 5% of the writer's CPU with 16 clients); false
 * then means it failed after changing something, and the batch must be
 * run again, nested. */
static bool
process(struct writer *w, struct store_txn *batch, struct job *j, uint32_t now, bool nested)
{
	struct server *s = w->srv;
	struct query_req *r = &j->r;
	const struct tsig_rr *signed_by = NULL;

	if (j->tsig < 0 && j->tsig_error == TSIG_NOERROR) {
		build_reply(w, j, r, RCODE_FORMERR, NULL, NULL, NULL, 0);
		return true;
	}
	if (j->tsig < 0) {
		/* RFC 8945 5.2: NOTAUTH with the TSIG error; BADTIME is signed,
		 * BADKEY and BADSIG are not. */
		log_info("update refused: TSIG error %u for key %s", j->tsig_error,
		    j->ckey ? j->ckey->name : "(unknown)");
		build_reply(w, j, r, RCODE_NOTAUTH, NULL, &j->trr, j->tkey, j->tsig_error);
		return true;
	}
	if (j->tsig == 1)
		signed_by = &j->trr;

	const struct zone *z = r->qdcount == 1 ? zonetab_find(&s->zones, r->qname) : NULL;
	if (z != NULL && !wire_name_equal(z->apex, r->qname))
		z = NULL;
	if (z != NULL && signed_by == NULL && !peer_allowed(&z->conf->allow_update_unsigned, &j->to)) {
		build_reply(w, j, r, RCODE_REFUSED, NULL, NULL, NULL, 0);
		return true;
	}

	struct update_req u = { j->msg, signed_by ? j->trr.offset : j->len, r, z, j->ckey, now };
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
	build_reply(w, j, r, res.rcode, &res, signed_by, j->tkey, TSIG_NOERROR);
	return true;
}

/* Remove what has expired; true if more is due than one batch takes. */
static int
reap(struct writer *w, struct store_txn *t, uint32_t now, bool *more)
{
	unsigned entries = 0;
	*more = false;
	for (;;) {
		unsigned removed;
		uint32_t zid;
		int rc = update_reap_one(t, now, &removed, &zid);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return 0;
		w->st.reaped += removed;
		if (++entries == REAP_MAX) {
			*more = true;
			return 0;
		}
	}
}

/* The earliest lease deadline in the store, or 0 if none. */
static uint32_t
next_expiry(struct writer *w)
{
	struct store_txn *t;
	struct store_key k;
	uint32_t e = 0;
	if (store_read_begin(w->srv->store, &t) != 0)
		return 0;
	if (store_expiry_first(t, &e, &k) != 0)
		e = 0;
	store_abort(t);
	return e;
}

/* Answer a whole batch: UDP replies that leave through the same socket go
 * out in one sendmmsg (a batch is often one per client), the others one
 * by one. Frees the jobs. */
static void
send_replies(struct server *s, struct job *jobs)
{
	struct mmsghdr mm[64];
	struct iovec iov[64];
	int n = 0, fd = -1;
	for (struct job *j = jobs; j != NULL; j = j->next) {
		if (j->rlen == 0)
			continue;
		if (j->to.fd < 0) {
			server_reply(s, &j->to, j->reply, j->rlen);
			continue;
		}
		if (n == 64 || (n > 0 && j->to.fd != fd)) {
			for (int sent = 0; sent < n;) {
				int r = sendmmsg(fd, mm + sent, (unsigned)(n - sent), 0);
				sent += r > 0 ? r : 1; /* skip a peer that fails */
			}
			n = 0;
		}
		fd = j->to.fd;
		iov[n] = (struct iovec){ j->reply, j->rlen };
		memset(&mm[n], 0, sizeof(mm[n]));
		mm[n].msg_hdr.msg_name = &j->to.peer;
		mm[n].msg_hdr.msg_namelen = j->to.peerlen;
		mm[n].msg_hdr.msg_iov = &iov[n];
		mm[n].msg_hdr.msg_iovlen = 1;
		if (j->to.ctl_len > 0) {
			mm[n].msg_hdr.msg_control = j->to.ctl.buf;
			mm[n].msg_hdr.msg_controllen = j->to.ctl_len;
		}
		n++;
	}
	for (int sent = 0; sent < n;) {
		int r = sendmmsg(fd, mm + sent, (unsigned)(n - sent), 0);
		sent += r > 0 ? r : 1;
	}
	for (struct job *j = jobs, *next; j != NULL; j = next) {
		next = j->next;
		free(j);
	}
}

/* Turn every answer of a batch into SERVFAIL. */
static void
fail_jobs(struct server *s, struct job *jobs)
{
	for (struct job *j = jobs; j != NULL; j = j->next)
		j->rlen = query_error_reply(&j->r, j->reply, sizeof(j->reply), RCODE_SERVFAIL,
		    s->conf->edns_max);
}

/* One batch: updates, reaping, serials, one durable commit, replies. */
static void
run_batch(struct writer *w, struct job *jobs, bool *more)
{
	struct server *s = w->srv;
	struct store_txn *t = NULL;
	uint32_t now = clock_now();
	int rc = store_write_begin(s->store, &t);

	memset(w->touched, 0, s->zones.n * sizeof(bool));
	if (rc == 0)
		store_track_changes(t);
	*more = false;
	/* First every update straight in the batch; should one fail after it
	 * changed something, the whole batch again with an undo for each. */
	for (bool nested = false;; nested = true) {
		bool redo = false;
		for (struct job *j = jobs; j != NULL && rc == 0 && !redo; j = j->next) {
			j->applied = false;
			j->rlen = 0;
			redo = !process(w, t, j, now, nested);
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
		if ((rc = store_write_begin(s->store, &t)) == 0)
			store_track_changes(t);
	}
	for (struct job *j = jobs; j != NULL; j = j->next)
		w->st.updates += j->applied;
	if (rc == 0 && (rc = reap(w, t, now, more)) != 0)
		log_err("reaper: %s", dnsd_strerror(rc));
	/* One serial per zone per batch, and one journal entry for IXFR; a
	 * batch of pure renewals changes no record and no serial. */
	for (size_t i = 0; rc == 0 && i < s->zones.n; i++) {
		const struct zone *z = &s->zones.z[i];
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
		rc = store_commit(t);
		w->st.commits++;
	} else if (t != NULL) {
		store_abort(t);
	}
	if (rc != 0) {
		log_err("write transaction failed: %s", dnsd_strerror(rc));
		fail_jobs(s, jobs); /* nothing was written: every client learns it */
	}
	/* Whatever is queued before the answers leave came from clients that
	 * were not in this batch; what comes after may be their next update. */
	pthread_mutex_lock(&w->mu);
	w->others = w->queued;
	pthread_mutex_unlock(&w->mu);
	/* Durable now: tell the secondaries, and answer. */
	for (size_t i = 0; rc == 0 && i < s->zones.n; i++)
		if (w->touched[i])
			server_zone_changed(s, &s->zones.z[i]);
	send_replies(s, jobs);
}

/* Re-import changed zone files; NOTIFY for every zone whose serial moved. */
static void
reload_zones(struct writer *w)
{
	struct server *s = w->srv;
	uint32_t *before = calloc(s->zones.n + 1, sizeof(uint32_t));
	struct store_txn *t;
	if (before == NULL)
		return;
	if (store_read_begin(s->store, &t) == 0) {
		for (size_t i = 0; i < s->zones.n; i++)
			zone_serial(t, &s->zones.z[i], &before[i]);
		store_abort(t);
	}
	if (zone_reload_all(s->store, &s->zones, clock_now()) != 0)
		log_warn("reload: some zones kept their previous data");
	if (store_read_begin(s->store, &t) == 0) {
		for (size_t i = 0; i < s->zones.n; i++) {
			uint32_t after = before[i];
			zone_serial(t, &s->zones.z[i], &after);
			if (after != before[i])
				server_zone_changed(s, &s->zones.z[i]);
		}
		store_abort(t);
	}
	free(before);
}

/* The time `us` microseconds from now on the condition variable's clock. */
static struct timespec
deadline_in(long us)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (us % 1000000) * 1000;
	ts.tv_sec += us / 1000000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	bool more = false;
	uint32_t deadline = next_expiry(w);

	pthread_mutex_lock(&w->mu);
	for (;;) {
		bool gathered = w->gathering;
		if (w->gathering) {
			while (w->queued < w->expect && !w->stop &&
			    pthread_cond_timedwait(&w->cv, &w->mu, &w->gather_end) == 0)
				;
			w->gathering = false;
			if (w->head == NULL)
				w->expect = 1; /* nobody came: answer the next one at once */
		}
		uint32_t now = clock_now();
		bool due = more || (deadline != 0 && deadline <= now);
		if (w->head == NULL && !w->reload && !due && !w->stop) {
			/* Wake at the next deadline, and at least once a second. */
			struct timespec ts = deadline_in(1000000);
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
			continue;
		}
		if (w->stop && w->head == NULL)
			break;
		if (!gathered && w->head != NULL && w->queued < w->expect) {
			struct timespec ts = deadline_in(GATHER_US);
			while (w->queued < w->expect && !w->stop &&
			    pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
				;
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
		w->reload = false;
		pthread_mutex_unlock(&w->mu);

		if (reload)
			reload_zones(w);
		run_batch(w, jobs, &more);
		store_grow_ahead(w->srv->store);
		deadline = next_expiry(w);

		pthread_mutex_lock(&w->mu);
		/* The clients just answered will most likely send again. (Their
		 * next updates may be queued already: the answers went out before
		 * the batch ended, so count only the others.) */
		w->expect = n + w->others < BATCH_MAX ? n + w->others : BATCH_MAX;
		if (w->expect > 1 && w->queued < w->expect) {
			w->gathering = true;
			w->gather_end = deadline_in(GATHER_US);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
writer_start(struct server *s, struct writer **out)
{
	struct writer *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->srv = s;
	w->tail = &w->head;
	w->touched = calloc(s->zones.n + 1, sizeof(bool));
	if (w->touched == NULL) {
		free(w);
		return -ENOMEM;
	}
	pthread_condattr_t ca;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, writer_run, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
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
	if (w->thread) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		log_info("writer: %llu updates in %llu commits, %llu expired records removed",
		    (unsigned long long)w->st.updates, (unsigned long long)w->st.commits,
		    (unsigned long long)w->st.reaped);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	for (struct job *j = w->head, *n; j != NULL; j = n) {
		n = j->next;
		free(j);
	}
	free(w->touched);
	free(w);
}
