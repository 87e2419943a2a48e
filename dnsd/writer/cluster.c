/* cluster.c -- the writer's side of cluster mode: a batch as one etcd
 * transaction, replies parked until the mirror has it, the mirror's
 * batches applied as commits (cluster.h)
 *
 * A pass over a batch runs every job in a scratch transaction that
 * tracks the inputs (store_track_inputs) and notes where each job's
 * inputs end (wcl_job_end). wcl_finish then cuts the jobs into groups that fit one
 * etcd transaction (COPS_MAX operations; one group almost always) and
 * sends each, in order, comparing each touched zone's version key with
 * the revision the mirror applied or the one the group before gave it:
 *
 *   committed at R     the group's replies wait (parked) until the mirror
 *                      has applied R; updates wait until then too (a
 *                      hold), since the next batch's compare needs R;
 *   compare failed     another node wrote first: the group and every job
 *                      after it (evaluated on top of it) are held, to
 *                      run before any other once the mirror has reached
 *                      the revision etcd reported; a job that still
 *                      loses RACE_MS after its first loss gets SERVFAIL;
 *   etcd unavailable   SERVFAIL for the group and the rest, one log line
 *                      (a write that timed out may still have been
 *                      applied: the mirror will show it).
 *
 * Records and instances with a lease are attached to an etcd lease that
 * ends LEASE_SLACK seconds after their own expiry, so etcd deletes them
 * once every node has stopped serving them by the clock. Leases are
 * shared by everything that expires in the same second; a renewal moves
 * the keys to another lease and the old one ends without deleting
 * anything.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/mirror.h"
#include "cluster/ops.h"
#include "conf/conf.h"
#include "etcd/etcd.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "writer/cluster.h"
#include "writer/writer.h"
#include "zone/zone.h"

#include "writer/writer-int.h"

#define HOLD_MS 3000        /* longest wait of updates for the mirror */
#define PARK_MS 5000        /* longest wait of a committed reply for the mirror */
#define RACE_MS 2500        /* a job that keeps losing races gets SERVFAIL after this */
#define APPLY_RETRY_MS 1000 /* after a failed commit of the mirror */
#define LEASE_SLACK 2       /* seconds an etcd lease outlives its records */
#define LEASES_MAX 64
#define REQUEST_MS 2000     /* etcd request timeout for the writer */
#define UNAVAIL_MS 3000     /* how long a batch waits for etcd to elect a leader */

struct parked {
	struct parked *next;
	struct job *jobs;
	int64_t rev;        /* answered once the mirror has applied this */
	uint64_t until;     /* or at this monotonic ms */
};

struct lease {
	uint32_t expire;    /* what it was granted for */
	int64_t id;
};

struct wcluster {
	struct writer *w;
	struct store *store;
	void *ctx;              /* the writer's parent, and its callbacks */
	void (*zone_changed)(void *ctx, const struct zone *z);
	void (*catalog_changed)(void *ctx, uint64_t index);
	const struct zonetab *zones;
	struct etcd *etcd;
	char *prefix, *node;
	uint32_t *base;         /* per zone: the zone file's serial */
	int64_t *version;       /* per zone: the version key's revision, as applied */
	bool *changed;          /* per zone, scratch */
	int64_t applied;        /* the last revision the mirror applied */
	uint64_t index;         /* the catalog index after it */
	bool resync;            /* at start: no state, or another cluster's */
	/* batches from the follower */
	pthread_mutex_t in_mu;
	struct mirror_batch *in, **in_tail;
	struct mirror_batch *failed; /* a commit of these failed: again later */
	uint64_t failed_until;
	/* waiting for the mirror: replies, and jobs (until hold_rev) */
	struct parked *parked, **parked_tail;
	struct job *held, **held_tail;
	int64_t hold_rev;
	uint64_t hold_until;
	/* the pass */
	size_t *marks, nmarks, capmarks;
	struct cops ops;
	struct lease leases[LEASES_MAX];
	size_t nleases;
	bool unavailable;       /* etcd did not answer the last transaction */
	uint64_t txns, conflicts, failures;
};

/* ---- state ------------------------------------------------------------------------- */

/* Read what the mirror has applied: revision, versions, catalog index. */
static int
load_state(struct wcluster *c, bool first)
{
	struct store_txn *t;
	char prefix[STORE_MIRROR_PREFIX_MAX + 1];
	int rc = store_read_begin(c->store, &t);
	if (rc != 0)
		return rc;
	rc = store_mirror_get(t, &c->applied, prefix, sizeof(prefix));
	if (rc == 0 && first && (c->applied == 0 || strcmp(prefix, c->prefix) != 0)) {
		if (c->applied != 0)
			log_warn("cluster: the store mirrored prefix %s, not %s: resynchronising", prefix,
			    c->prefix);
		c->resync = true;
		c->applied = 0;
	}
	for (size_t i = 0; rc == 0 && i < c->zones->n; i++) {
		struct store_mirror_zone m;
		if ((rc = store_mirror_zone_get(t, c->zones->z[i].apex, &m)) != 0)
			break;
		/* A zone the mirror never followed (new in the configuration)
		 * lacks what etcd had before: read everything again. */
		if (first && !c->resync && m.serial_rev == 0) {
			log_info("cluster: zone %s is new to the mirror: resynchronising",
			    c->zones->z[i].name);
			c->resync = true;
		}
		c->version[i] = m.version;
	}
	if (rc == 0)
		rc = store_catalog_index(t, &c->index);
	store_abort(t);
	return rc;
}

/* Each zone's base: its file's SOA serial, or 1. */
static int
load_bases(struct wcluster *c)
{
	for (size_t i = 0; i < c->zones->n; i++) {
		const struct zone *z = &c->zones->z[i];
		c->base[i] = 1;
		if (z->conf->file == NULL)
			continue;
		int rc = zone_file_serial(z->conf->file, z->apex, &c->base[i]);
		if (rc != 0) {
			log_err("cluster: zone %s: no serial from %s", z->name, z->conf->file);
			return rc;
		}
	}
	return 0;
}

/* Follow another zone table (a new generation of the configuration):
 * the per-zone arrays are sized for it. A zone the mirror never followed
 * needs a resynchronisation: the follower sees the new table too and
 * reads everything again. */
static int
zones_switch(struct wcluster *c, const struct zonetab *zones)
{
	if (zones == c->zones)
		return 0;
	size_t n = zones->n + 1;
	uint32_t *base = calloc(n, sizeof(*base));
	int64_t *version = calloc(n, sizeof(*version));
	bool *changed = calloc(n, sizeof(*changed));
	struct cops ops;
	if (base == NULL || version == NULL || changed == NULL || cops_init(&ops, zones) != 0) {
		free(base);
		free(version);
		free(changed);
		return -ENOMEM;
	}
	free(c->base);
	free(c->version);
	free(c->changed);
	cops_free(&c->ops);
	c->base = base;
	c->version = version;
	c->changed = changed;
	c->ops = ops;
	c->zones = zones;
	return load_state(c, false);
}

/* Serials as cluster mode has them (after an import or a reload). */
static int
fix_serials(struct wcluster *c)
{
	struct store_txn *t;
	int rc = store_write_begin(c->store, &t);
	if (rc != 0)
		return rc;
	if ((rc = mirror_fix_serials(t, c->zones, c->base, c->changed)) != 0) {
		store_abort(t);
		return rc;
	}
	if ((rc = store_commit(t)) != 0)
		return rc;
	for (size_t i = 0; i < c->zones->n; i++)
		if (c->changed[i])
			c->zone_changed(c->ctx, &c->zones->z[i]);
	return 0;
}

int
wcl_new(struct writer *w, const struct writer_setup *ws, const struct zonetab *zones,
    struct wcluster **out)
{
	const struct conf_cluster *conf = ws->cluster;
	struct wcluster *c = calloc(1, sizeof(*c));
	struct etcd_setup s;
	int rc = -ENOMEM;
	*out = NULL;
	if (c == NULL)
		return -ENOMEM;
	c->w = w;
	c->store = ws->store;
	c->ctx = ws->ctx;
	c->zone_changed = ws->zone_changed;
	c->catalog_changed = ws->catalog_changed;
	c->zones = zones;
	c->in_tail = &c->in;
	c->parked_tail = &c->parked;
	c->held_tail = &c->held;
	pthread_mutex_init(&c->in_mu, NULL);
	c->prefix = strdup(conf->prefix);
	c->node = strdup(conf->node);
	c->base = calloc(zones->n + 1, sizeof(*c->base));
	c->version = calloc(zones->n + 1, sizeof(*c->version));
	c->changed = calloc(zones->n + 1, sizeof(*c->changed));
	if (c->prefix == NULL || c->node == NULL || c->base == NULL || c->version == NULL ||
	    c->changed == NULL || cops_init(&c->ops, zones) != 0)
		goto fail;
	cops_etcd_setup(conf, &s);
	s.request_timeout_ms = REQUEST_MS;
	if ((rc = etcd_new(&s, &c->etcd)) != 0 || (rc = load_bases(c)) != 0 ||
	    (rc = fix_serials(c)) != 0 || (rc = load_state(c, true)) != 0)
		goto fail;
	log_info("cluster: node %s, prefix %s, %zu etcd member%s; mirror at revision %lld%s",
	    c->node, c->prefix, conf->netcd, conf->netcd == 1 ? "" : "s", (long long)c->applied,
	    c->resync ? " (resynchronising)" : "");
	*out = c;
	return 0;
fail:
	wcl_free(c);
	return rc;
}

void
wcl_free(struct wcluster *c)
{
	if (c == NULL)
		return;
	for (struct parked *p = c->parked, *n; p != NULL; p = n) {
		n = p->next;
		writer_jobs_answer(c->w, p->jobs, 0, c->index, clock_now()); /* committed */
		free(p);
	}
	if (c->held != NULL)
		writer_jobs_answer(c->w, c->held, DNSD_EUNAVAIL, c->index, clock_now());
	for (struct mirror_batch *b = c->in, *n; b != NULL; b = n) {
		n = b->next;
		mirror_batch_free(b);
	}
	for (struct mirror_batch *b = c->failed, *n; b != NULL; b = n) {
		n = b->next;
		mirror_batch_free(b);
	}
	if (c->txns > 0)
		log_info("cluster: %llu etcd transactions, %llu lost a race, %llu failed",
		    (unsigned long long)c->txns, (unsigned long long)c->conflicts,
		    (unsigned long long)c->failures);
	etcd_free(c->etcd);
	cops_free(&c->ops);
	free(c->marks);
	free(c->prefix);
	free(c->node);
	free(c->base);
	free(c->version);
	free(c->changed);
	pthread_mutex_destroy(&c->in_mu);
	free(c);
}

int64_t
wcl_start_rev(const struct wcluster *c)
{
	return c->resync ? 0 : c->applied + 1;
}

/* ---- the follower's batches ------------------------------------------------------ */

void
writer_submit_mirror(struct writer *w, struct mirror_batch *b)
{
	wcl_push(w->cl, b);
	pthread_mutex_lock(&w->mu); /* (wakes the writer: wcl_pending says why) */
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int64_t
writer_mirror_start(const struct writer *w)
{
	return w->cl != NULL ? wcl_start_rev(w->cl) : 0;
}

void
wcl_push(struct wcluster *c, struct mirror_batch *b)
{
	b->next = NULL;
	pthread_mutex_lock(&c->in_mu);
	*c->in_tail = b;
	c->in_tail = &b->next;
	pthread_mutex_unlock(&c->in_mu);
}

/* The follower's batches, and those whose commit failed once it is time
 * to try them again. */
static struct mirror_batch *
take(struct wcluster *c)
{
	pthread_mutex_lock(&c->in_mu);
	struct mirror_batch *b = c->in;
	c->in = NULL;
	c->in_tail = &c->in;
	pthread_mutex_unlock(&c->in_mu);
	if (c->failed != NULL && clock_mono_ms() >= c->failed_until) {
		struct mirror_batch **end = &c->failed;
		while (*end != NULL)
			end = &(*end)->next;
		*end = b;
		b = c->failed;
		c->failed = NULL;
	}
	return b;
}

/* Must jobs wait for the mirror (the writer's last transaction, or the
 * one that beat it, is not applied yet)? Not for ever: HOLD_MS. */
static bool
holding(const struct wcluster *c)
{
	return c->hold_rev > c->applied && clock_mono_ms() < c->hold_until;
}

uint64_t
wcl_deadline(const struct wcluster *c)
{
	uint64_t d = 0;
	if (c->held != NULL && c->hold_rev > c->applied)
		d = c->hold_until;
	if (c->parked != NULL && (d == 0 || c->parked->until < d))
		d = c->parked->until;
	if (c->failed != NULL && (d == 0 || c->failed_until < d))
		d = c->failed_until;
	return d;
}

bool
wcl_pending(struct wcluster *c)
{
	pthread_mutex_lock(&c->in_mu);
	bool in = c->in != NULL;
	pthread_mutex_unlock(&c->in_mu);
	uint64_t d = wcl_deadline(c);
	return in || (c->held != NULL && !holding(c)) || (d != 0 && clock_mono_ms() >= d);
}

/* Answer the parked jobs the mirror has reached (or, with `expired`,
 * those whose wait ran out). */
static void
release(struct wcluster *c, bool expired)
{
	uint64_t now = clock_mono_ms();
	struct parked *p;
	while ((p = c->parked) != NULL && (p->rev <= c->applied || (expired && now >= p->until))) {
		if (p->rev > c->applied)
			log_limited(LOG_LVL_WARN, "cluster: mirror late", 10,
			    "cluster: the mirror has not reached revision %lld in %d ms; answering anyway "
			    "(the change is in etcd)", (long long)p->rev, PARK_MS);
		c->parked = p->next;
		if (c->parked == NULL)
			c->parked_tail = &c->parked;
		writer_jobs_answer(c->w, p->jobs, 0, c->index, clock_now());
		free(p);
	}
}

/* Apply etcd's changes in one commit (the batches are taken). */
static void
apply(struct wcluster *c, struct mirror_batch *batches)
{
	struct store_txn *t;
	bool catalog = false;
	uint64_t index = 0;
	int rc = store_write_begin(c->store, &t);
	if (rc == 0) {
		store_track_changes(t);
		rc = mirror_apply(t, c->zones, c->base, c->prefix, batches, clock_now(), c->changed,
		    &catalog, &index);
		if (rc == 0)
			rc = store_commit(t);
		else
			store_abort(t);
	}
	if (rc != 0) {
		log_err("cluster: cannot apply etcd's changes: %s (again in %d ms)", dnsd_strerror(rc),
		    APPLY_RETRY_MS);
		struct mirror_batch **end = &c->failed;
		while (*end != NULL)
			end = &(*end)->next;
		*end = batches;
		c->failed_until = clock_mono_ms() + APPLY_RETRY_MS;
		return;
	}
	for (struct mirror_batch *b = batches, *n; b != NULL; b = n) {
		n = b->next;
		mirror_batch_free(b);
	}
	if ((rc = load_state(c, false)) != 0)
		log_err("cluster: cannot read the mirror's state: %s", dnsd_strerror(rc));
	for (size_t i = 0; i < c->zones->n; i++)
		if (c->changed[i])
			c->zone_changed(c->ctx, &c->zones->z[i]);
	if (catalog && c->catalog_changed != NULL)
		c->catalog_changed(c->ctx, index);
	release(c, false);
}

struct job *
wcl_batch(struct wcluster *c, struct job *jobs)
{
	struct mirror_batch *b = take(c);
	if (b != NULL)
		apply(c, b);
	release(c, true);
	if (jobs != NULL) {
		*c->held_tail = jobs;
		while (*c->held_tail != NULL)
			c->held_tail = &(*c->held_tail)->next;
	}
	if (c->held == NULL || holding(c))
		return NULL;
	jobs = c->held;
	c->held = NULL;
	c->held_tail = &c->held;
	return jobs;
}

void
wcl_reloaded(struct wcluster *c, const struct zonetab *zones)
{
	int rc = zones_switch(c, zones);
	if (rc == 0)
		rc = load_bases(c);
	if (rc == 0)
		rc = fix_serials(c);
	if (rc != 0)
		log_err("cluster: serials after the reload: %s", dnsd_strerror(rc));
}

/* ---- a pass ------------------------------------------------------------------------ */

void
wcl_pass_begin(struct wcluster *c, struct store_txn *t)
{
	if (t != NULL)
		store_track_inputs(t);
	c->nmarks = 0;
}

void
wcl_job_end(struct wcluster *c, struct store_txn *t)
{
	if (c->nmarks == c->capmarks) {
		size_t cap = c->capmarks ? c->capmarks * 2 : 64;
		size_t *m = realloc(c->marks, cap * sizeof(*m));
		if (m == NULL)
			return; /* wcl_finish sees too few marks: it fails the batch */
		c->marks = m;
		c->capmarks = cap;
	}
	c->marks[c->nmarks++] = t != NULL ? store_inputs_mark(t) : 0;
}

/* The lease that ends LEASE_SLACK seconds after `expire`: one of those
 * already granted, or a new one. */
static int
lease_for(void *ctx, uint32_t expire, int64_t *id)
{
	struct wcluster *c = ctx;
	uint32_t now = clock_now();
	size_t low = 0;
	for (size_t i = 0; i < c->nleases; i++) {
		if (c->leases[i].expire == expire) {
			*id = c->leases[i].id;
			return 0;
		}
		if (c->leases[i].expire < c->leases[low].expire)
			low = i;
	}
	int64_t ttl = expire > now ? (int64_t)(expire - now) + LEASE_SLACK : LEASE_SLACK;
	int rc = etcd_lease_grant(c->etcd, ttl, 0, id, NULL, NULL);
	if (rc != 0)
		return rc;
	size_t slot = c->nleases < LEASES_MAX ? c->nleases++ : low;
	c->leases[slot] = (struct lease){ expire, *id };
	return 0;
}

/* Forget the leases whose records have all expired. */
static void
leases_trim(struct wcluster *c)
{
	uint32_t now = clock_now();
	for (size_t i = c->nleases; i-- > 0;)
		if (c->leases[i].expire < now)
			c->leases[i] = c->leases[--c->nleases];
}

/*
 * One etcd transaction for c->ops. A lease etcd no longer knows (a
 * restored etcd) is granted again, once. While etcd elects a leader
 * (a member was lost) every member answers "no leader" or times out:
 * try again for up to UNAVAIL_MS, unless etcd was unavailable for the
 * batch before too (then fail at once until it answers again). Sending a
 * transaction again is safe even if the first one was applied: its
 * comparison then fails, and the jobs run again on what it wrote.
 */
static int
send_txn(struct wcluster *c, const int64_t *version, bool *ok, int64_t *rev)
{
	uint64_t give_up = clock_mono_ms() + (c->unavailable ? 0 : UNAVAIL_MS);
	unsigned pause = 50;
	bool regranted = false;
	int rc;
	for (;;) {
		if ((rc = cops_txn(&c->ops, version, c->node, lease_for, c)) == 0)
			rc = etcd_txn(c->etcd, c->ops.cmps, c->ops.ntouched, c->ops.ops, c->ops.nops, NULL,
			    0, ok, rev);
		c->txns++;
		if (rc == DNSD_ENOTFOUND && !regranted) {
			c->nleases = 0;
			regranted = true;
			continue;
		}
		if (rc != DNSD_EUNAVAIL || clock_mono_ms() + pause >= give_up)
			break;
		struct timespec ts = { 0, (long)pause * 1000000 };
		nanosleep(&ts, NULL);
		pause *= 2;
	}
	c->unavailable = rc == DNSD_EUNAVAIL;
	return rc;
}

/* Park `jobs` until the mirror reaches `rev` (answer now if it has). */
static void
park(struct wcluster *c, struct job *jobs, int64_t rev)
{
	if (jobs == NULL)
		return;
	struct parked *p = rev > c->applied ? malloc(sizeof(*p)) : NULL;
	if (p == NULL) {
		writer_jobs_answer(c->w, jobs, 0, c->index, clock_now());
		return;
	}
	*p = (struct parked){ NULL, jobs, rev, clock_mono_ms() + PARK_MS };
	*c->parked_tail = p;
	c->parked_tail = &p->next;
}

/* Wait for the mirror to reach `rev` before the next update runs. */
static void
hold(struct wcluster *c, int64_t rev)
{
	if (rev > c->hold_rev)
		c->hold_rev = rev;
	c->hold_until = clock_mono_ms() + HOLD_MS;
}

/* SERVFAIL for `jobs`. */
static void
fail(struct wcluster *c, struct job *jobs, int rc, uint32_t now)
{
	if (jobs == NULL)
		return;
	c->failures++;
	writer_jobs_answer(c->w, jobs, rc, c->index, now);
}

/* Lost the race: these jobs run again once the mirror reaches `rev`
 * (before any other), unless they have lost for too long. */
static void
requeue(struct wcluster *c, struct job *jobs, int64_t rev, uint32_t now)
{
	struct job *again = NULL, **tail = &again, *lost = NULL, **ltail = &lost;
	uint64_t now_ms = clock_mono_ms();
	for (struct job *j = jobs, *n; j != NULL; j = n) {
		n = j->next;
		j->next = NULL;
		if (j->lost_ms == 0)
			j->lost_ms = now_ms;
		if (now_ms - j->lost_ms >= RACE_MS) {
			*ltail = j;
			ltail = &j->next;
		} else {
			*tail = j;
			tail = &j->next;
		}
	}
	if (lost != NULL) {
		log_limited(LOG_LVL_WARN, "cluster: lost", 10,
		    "cluster: updates lost the race for their zone for %d ms: SERVFAIL", RACE_MS);
		fail(c, lost, DNSD_EUNAVAIL, now);
	}
	if (again != NULL) {
		if ((*tail = c->held) == NULL)
			c->held_tail = tail;
		c->held = again;
		hold(c, rev);
	}
}

/* Cut the list after `last`; returns what followed. */
static struct job *
cut_after(struct job *last)
{
	struct job *rest = last->next;
	last->next = NULL;
	return rest;
}

void
wcl_finish(struct wcluster *c, struct store_txn *t, struct job *jobs, uint32_t now)
{
	size_t len = 0, njobs = 0;
	uint8_t *in = t != NULL ? store_inputs_take(t, &len) : NULL;
	store_abort(t);
	for (struct job *j = jobs; j != NULL; j = j->next)
		njobs++;
	if (t == NULL || c->nmarks != njobs) {
		/* the scratch transaction failed, or a mark was lost */
		fail(c, jobs, DNSD_ESTORE, now);
		free(in);
		return;
	}
	leases_trim(c);
	int64_t *version = malloc((c->zones->n + 1) * sizeof(*version));
	if (version == NULL) {
		fail(c, jobs, -ENOMEM, now);
		free(in);
		return;
	}
	memcpy(version, c->version, c->zones->n * sizeof(*version));
	int64_t last = 0; /* the revision of the last group committed */
	size_t from = 0, ji = 0;
	struct job *j = jobs;
	while (j != NULL) {
		/* A group: jobs while their operations fit one transaction. */
		struct job *head = j, *tail = NULL, *big = NULL;
		int rc = 0;
		cops_clear(&c->ops);
		while (j != NULL && rc == 0) {
			size_t to = c->marks[ji];
			if (tail != NULL && (cops_bound(&c->ops, in + from, in + to) > COPS_MAX ||
			                        c->ops.bytes + (to - from) > COPS_BYTES))
				break;
			rc = cops_add(&c->ops, in + from, in + to);
			if (rc == 0 && (cops_count(&c->ops) > COPS_MAX || c->ops.bytes > COPS_BYTES))
				big = j; /* alone, and still too much for one transaction */
			from = to;
			ji++;
			tail = j;
			j = j->next;
			if (big != NULL)
				break;
		}
		struct job *rest = cut_after(tail);
		if (rc != 0 || big != NULL) {
			log_limited(LOG_LVL_WARN, "cluster: too big", 10,
			    "cluster: an update changes more than one etcd transaction holds "
			    "(%d operations, %u KiB): SERVFAIL", COPS_MAX, COPS_BYTES >> 10);
			/* what ran after it assumed it: again, without it */
			fail(c, head, rc != 0 ? rc : DNSD_ETOOBIG, now);
			if (rest != NULL)
				requeue(c, rest, c->applied, now);
			break;
		}
		if (c->ops.n == 0) { /* nothing to write: as things stood */
			park(c, head, last);
			j = rest;
			continue;
		}
		bool ok = false;
		int64_t rev = 0;
		rc = send_txn(c, version, &ok, &rev);
		if (rc == 0 && ok) {
			for (size_t zi = 0; zi < c->zones->n; zi++)
				if (c->ops.touched[zi])
					version[zi] = rev;
			park(c, head, rev);
			hold(c, rev);
			last = rev;
			j = rest;
			continue;
		}
		tail->next = rest; /* the group and the rest, in order */
		if (rc == 0) {
			c->conflicts++;
			requeue(c, head, rev, now);
		} else {
			log_limited(LOG_LVL_ERR, "cluster: etcd", 10,
			    "cluster: updates get SERVFAIL: etcd: %s", dnsd_strerror(rc));
			fail(c, head, rc, now);
		}
		break;
	}
	free(version);
	free(in);
}
