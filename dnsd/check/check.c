/* check.c -- the checker thread: which checks exist (a scan of the store),
 * when each runs (deadlines in a heap), and what it tells the writer
 *
 * Which checks: a scan walks the instances of every zone (svc_walk on a
 * read transaction) and keeps, in memory only, one entry per (instance
 * ID, check ID) of each live instance's HTTP and TCP checks, and of its
 * TTL checks with a deregister-critical-after. An entry the scan does not
 * see again is dropped (its run cancelled); a changed definition starts
 * over. A scan runs at start, after a new runtime, and after catalog
 * changes, but no sooner than SCAN_GAP_MS, nor SCAN_SHARE times its own
 * last duration, after the previous one: under constant churn scans take
 * at most 1/SCAN_SHARE of the thread.
 *
 * curl: the thread needs libcurl only once there is a check to run, and
 * loads it then (util/dynlib.h): until the first scan finds a check it
 * sleeps on a condition variable, not in curl_multi_poll, so that a
 * server without checks never loads curl and starts that much sooner.
 *
 * When: two heaps of deadlines (monotonic ms): the next run of each idle
 * entry, and the deregistration deadline of each entry that is critical
 * with deregister-critical-after. The loop runs what is due while fewer
 * than check-max-concurrent runs are going, then sleeps in
 * curl_multi_poll until the earliest deadline, curl's own timers, a
 * socket, or a wake-up (curl_multi_wakeup: a catalog change, an op
 * done, a new runtime, stop). A run's next one is due an interval after
 * it ended; a new entry's first run comes within STAGGER_MS (or its
 * interval) at random, so a thousand checks found at once do not start
 * at once.
 *
 * What it tells: `reported` is the check's state in the store (or in the
 * op on its way there). A result that differs from it is sent as a HEALTH
 * op, one op in flight per check; when the op is durable, `reported`
 * takes its value, and a newer result that differs again is sent at
 * once. A scan adopts the store's state when no op is in flight (someone
 * else may have changed it: a re-registration), and re-sends the last
 * result if that differs. An entry reported critical for longer than
 * deregister_s gets a DEREGISTER op; the instance going away ends its
 * entries at the next scan.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "check/check.h"
#include "check/internal.h"
#include "conf/conf.h"
#include "runtime/runtime.h"
#include "stats/stats.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

#define SCAN_GAP_MS 200u        /* the least time between two scans */
#define SCAN_SHARE 10u          /* a scan waits 10x its own duration */
#define STAGGER_MS 1000u        /* a new check first runs within this */
#define RETRY_MS 5000u          /* a failed deregistration is tried again */
#define WAIT_MAX_MS 3600000u    /* the longest sleep when nothing is due */

/* An op's outcome, from the writer's thread to the checker's. */
struct note {
	struct note *next;
	struct checker *c;
	enum svc_op_kind kind;       /* SVC_OP_HEALTH or SVC_OP_DEREGISTER */
	enum svc_health health;
	int rc;
	char inst[SVC_ID_MAX], id[SVC_ID_MAX];
	uint32_t deregister_s;
	char output[SVC_OUTPUT_MAX];
};

struct checker {
	struct store *store;
	void *ctx;
	void (*submit)(void *ctx, const struct svc_op *op, check_op_done done, void *arg);
	struct stats_block *stats;
	CURLM *multi;                /* set (under mu) once curl is loaded */
	struct curl_slist *headers;
	pthread_t thread;
	bool started;                /* the thread runs (until check_stop) */
	pthread_mutex_t mu;          /* guards `multi` (its setting) and the four below */
	pthread_cond_t cv;           /* wakes the thread until `multi` is set */
	bool stop, changed;
	struct runtime *next_rt;
	struct note *notes;
	/* the thread's own */
	struct runtime *rt;
	unsigned max_checks, max_concurrent;
	struct table tab;
	unsigned running;
	bool scan_wanted;
	bool no_curl;                /* libcurl could not be loaded: checks are not run */
	uint64_t next_scan_ms;
	uint64_t rand;
	struct svc_op op;            /* the one being built (large: not on the stack) */
};

static uint64_t
rand_next(struct checker *c)
{
	/* xorshift64: spreading first runs needs nothing better */
	c->rand ^= c->rand << 13;
	c->rand ^= c->rand >> 7;
	c->rand ^= c->rand << 17;
	return c->rand;
}

/* Wake the thread (mu held): out of curl_multi_poll once curl runs, else
 * off its condition variable. */
static void
wake(struct checker *c)
{
	if (c->multi != NULL)
		curl_multi_wakeup(c->multi);
	else
		pthread_cond_signal(&c->cv);
}

/* ---- entries ---- */

/* The deregistration deadline follows `reported`. */
static void
dereg_schedule(struct checker *c, struct entry *e)
{
	if (e->reported != SVC_CRITICAL || e->deregister_s == 0 || e->dereg_pending) {
		table_unset(&c->tab, H_DEREG, e);
		return;
	}
	uint64_t at = e->crit_ms + (uint64_t)e->deregister_s * 1000, wall = clock_now_ms();
	table_set(&c->tab, H_DEREG, e, clock_mono_ms() + (at > wall ? at - wall : 0));
}

/*
 * Since when (wall ms) a check the store has as critical has been so.
 * What the thread saw itself (the commit of its own op) is kept while the
 * store's `since` (whole seconds) agrees with it; else the end of that
 * second, so that deregister-critical-after never bites early. A check
 * whose registration did not set `since` counts from when it is first
 * seen critical here.
 */
static uint64_t
crit_ms_of(const struct entry *e, const struct svc_check *k)
{
	bool known = e->reported == SVC_CRITICAL && e->crit_ms != 0;
	if (k->since == 0)
		return known ? e->crit_ms : clock_now_ms();
	if (known && e->crit_ms / 1000 >= k->since && e->crit_ms / 1000 <= (uint64_t)k->since + 1)
		return e->crit_ms;
	return (uint64_t)k->since * 1000 + 999;
}

/* The first run of a new or changed check: soon, at random. */
static void
run_schedule_first(struct checker *c, struct entry *e)
{
	if (e->kind == SVC_CHECK_TTL)
		return;
	uint32_t spread = e->interval_ms < STAGGER_MS ? e->interval_ms : STAGGER_MS;
	table_set(&c->tab, H_DUE, e, clock_mono_ms() + rand_next(c) % (spread + 1));
}

static void
probe_cancel(struct checker *c, struct entry *e)
{
	if (e->probe == NULL)
		return;
	curl_multi_remove_handle(c->multi, e->probe->easy);
	probe_free(e->probe);
	e->probe = NULL;
	c->running--;
}

/* Take a check's definition; true if it differs from what e had. */
static bool
entry_define(struct entry *e, const struct svc_check *k)
{
	uint32_t interval = check_interval_ms(k), timeout = check_timeout_ms(k);
	bool same = e->kind == k->kind && e->interval_ms == interval && e->timeout_ms == timeout &&
	    strcmp(e->target, k->target) == 0;
	e->kind = k->kind;
	e->interval_ms = interval;
	e->timeout_ms = timeout;
	e->deregister_s = k->deregister_s;
	memcpy(e->target, k->target, sizeof(e->target));
	return !same;
}

static struct entry *
entry_new(struct checker *c, const char *inst, const struct svc_check *k)
{
	struct entry *e = table_add(&c->tab, inst, k->id);
	if (e == NULL)
		return NULL;
	entry_define(e, k);
	e->crit_ms = crit_ms_of(e, k);
	e->reported = k->status;
	run_schedule_first(c, e);
	dereg_schedule(c, e);
	return e;
}

static void
entry_free(struct checker *c, struct entry *e)
{
	probe_cancel(c, e);
	table_remove(&c->tab, e);
}

/* ---- ops to the writer, and their outcome ---- */

static void
op_done(void *arg, int rc, uint64_t index)
{
	struct note *n = arg;
	struct checker *c = n->c;
	(void)index;
	n->rc = rc;
	pthread_mutex_lock(&c->mu);
	n->next = c->notes;
	c->notes = n;
	wake(c);
	pthread_mutex_unlock(&c->mu);
}

static struct note *
note_new(struct checker *c, const struct entry *e, enum svc_op_kind kind)
{
	struct note *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->c = c;
	n->kind = kind;
	n->health = e->last;
	n->deregister_s = e->deregister_s;
	memcpy(n->inst, e->inst, sizeof(n->inst));
	memcpy(n->id, e->id, sizeof(n->id));
	memcpy(n->output, e->output, sizeof(n->output));
	return n;
}

/* Send e's last result, which differs from what the store has. */
static void
report(struct checker *c, struct entry *e)
{
	struct note *n = note_new(c, e, SVC_OP_HEALTH);
	if (n == NULL)
		return; /* the next result tries again */
	memset(&c->op, 0, sizeof(c->op));
	c->op.kind = SVC_OP_HEALTH;
	memcpy(c->op.id, e->inst, sizeof(c->op.id));
	memcpy(c->op.check, e->id, sizeof(c->op.check));
	c->op.health = e->last;
	memcpy(c->op.output, e->output, sizeof(c->op.output));
	e->op_pending = true;
	c->submit(c->ctx, &c->op, op_done, n);
}

static void
deregister(struct checker *c, struct entry *e)
{
	struct note *n = note_new(c, e, SVC_OP_DEREGISTER);
	table_unset(&c->tab, H_DEREG, e);
	if (n == NULL) {
		table_set(&c->tab, H_DEREG, e, clock_mono_ms() + RETRY_MS);
		return;
	}
	memset(&c->op, 0, sizeof(c->op));
	c->op.kind = SVC_OP_DEREGISTER;
	memcpy(c->op.id, e->inst, sizeof(c->op.id));
	e->dereg_pending = true;
	c->submit(c->ctx, &c->op, op_done, n);
}

/* An op is durable, or failed. */
static void
note_take(struct checker *c, const struct note *n)
{
	struct entry *e = table_lookup(&c->tab, n->inst, n->id);
	if (n->kind == SVC_OP_DEREGISTER) {
		if (n->rc == 0) {
			stats_add(c->stats, ST_CHECK_DEREGISTERED, 1);
			log_limited(LOG_LVL_INFO, "check: deregistered", 1,
			    "deregistered %s: check %s critical for more than %u s", n->inst, n->id,
			    n->deregister_s);
		} else if (n->rc != DNSD_ENOTFOUND && e != NULL) {
			log_limited(LOG_LVL_ERR, "check: deregistration failed", 10,
			    "cannot deregister %s: %s", n->inst, dnsd_strerror(n->rc));
			e->dereg_pending = false;
			table_set(&c->tab, H_DEREG, e, clock_mono_ms() + RETRY_MS);
		}
		return;
	}
	if (e == NULL || !e->op_pending)
		return; /* dropped by a scan since */
	e->op_pending = false;
	if (n->rc != 0) {
		/* DNSD_ENOTFOUND: the instance or check went away (a scan will
		 * drop the entry); else the store failed: the next run retries. */
		if (n->rc != DNSD_ENOTFOUND)
			log_limited(LOG_LVL_ERR, "check: health failed", 10,
			    "cannot record the health of %s: %s", n->inst, dnsd_strerror(n->rc));
		return;
	}
	log_limited(LOG_LVL_INFO, "check: state", 1, "check %s of %s: %s -> %s (%s)", n->id,
	    n->inst, svc_health_str(e->reported), svc_health_str(n->health), n->output);
	if (n->health == SVC_CRITICAL && e->reported != SVC_CRITICAL)
		e->crit_ms = clock_now_ms();
	e->reported = n->health;
	dereg_schedule(c, e);
	if (e->ran && e->last != e->reported)
		report(c, e);
}

/* ---- the scan ---- */

struct scan {
	struct checker *c;
	uint32_t now;
	size_t ignored;
};

/* Do we follow this check? */
static bool
followed(const struct svc_check *k)
{
	return k->kind == SVC_CHECK_HTTP || k->kind == SVC_CHECK_TCP ||
	    (k->kind == SVC_CHECK_TTL && k->deregister_s > 0);
}

static int
scan_one(void *arg, const struct svc_instance *in)
{
	struct scan *a = arg;
	struct checker *c = a->c;
	if (!svc_live(in, a->now))
		return 0;
	for (size_t i = 0; i < in->nchecks; i++) {
		const struct svc_check *k = &in->checks[i];
		if (!followed(k))
			continue;
		if (k->id[0] == '\0') {
			log_limited(LOG_LVL_WARN, "check: no id", 60,
			    "instance %s: a check without an ID is not run", in->id);
			continue;
		}
		struct entry *e = table_lookup(&c->tab, in->id, k->id);
		if (e != NULL && e->seen)
			continue; /* the same ID twice in one instance: the first counts */
		if (e == NULL && (c->tab.n >= c->max_checks || (e = entry_new(c, in->id, k)) == NULL)) {
			a->ignored++;
			continue;
		}
		if (entry_define(e, k)) {
			probe_cancel(c, e);
			e->ran = false;
			run_schedule_first(c, e);
			if (e->kind == SVC_CHECK_TTL)
				table_unset(&c->tab, H_DUE, e);
		}
		e->seen = true;
		if (e->op_pending)
			continue;
		e->crit_ms = crit_ms_of(e, k);
		e->reported = k->status;
		dereg_schedule(c, e);
		if (e->ran && e->last != e->reported && e->kind != SVC_CHECK_TTL)
			report(c, e);
	}
	return 0;
}

static void
scan(struct checker *c)
{
	uint64_t start = clock_mono_ms();
	struct scan a = { c, clock_now(), 0 };
	struct store_txn *t;
	int rc = store_read_begin(c->store, &t);
	if (rc == 0) {
		for (size_t z = 0; rc == 0 && z < c->rt->zones.n; z++)
			rc = svc_walk(t, &c->rt->zones.z[z], NULL, scan_one, &a);
		store_abort(t);
	}
	if (rc != 0) {
		/* Keep every entry: not knowing is not "gone". Look again later. */
		log_limited(LOG_LVL_ERR, "check: scan", 10, "checks: cannot read the instances: %s",
		    dnsd_strerror(rc));
		for (size_t i = 0; i < c->tab.n; i++)
			c->tab.all[i]->seen = false;
		c->scan_wanted = true;
	} else {
		for (size_t i = c->tab.n; i-- > 0;) {
			struct entry *e = c->tab.all[i];
			if (!e->seen)
				entry_free(c, e);
			else
				e->seen = false;
		}
		c->scan_wanted = false;
	}
	if (a.ignored > 0)
		log_limited(LOG_LVL_WARN, "check: over check-max", 60,
		    "%zu checks are not run: over check-max %u", a.ignored, c->max_checks);
	uint64_t took = clock_mono_ms() - start;
	c->next_scan_ms = clock_mono_ms() + (took * SCAN_SHARE > SCAN_GAP_MS ? took * SCAN_SHARE
	                                                                      : SCAN_GAP_MS);
	log_debug("checks: scan took %llu ms, %zu checks followed", (unsigned long long)took,
	    c->tab.n);
}

/* ---- runs ---- */

/* A run ended (p NULL: it could not start, `why` says why). */
static void
run_end(struct checker *c, struct entry *e, CURLcode rc, int why)
{
	if (e->probe != NULL) {
		e->last = probe_result(e->probe, rc, e->target, e->output, sizeof(e->output));
		probe_cancel(c, e);
	} else {
		e->last = SVC_CRITICAL;
		/* (a long target is cut: the output is a line for people) */
		if (snprintf(e->output, sizeof(e->output), "%s %s: %s",
		        e->kind == SVC_CHECK_TCP ? "TCP connect" : "HTTP GET", e->target,
		        why == DNSD_EMALF ? "not HOST:PORT" : dnsd_strerror(why)) < 0)
			e->output[0] = '\0';
	}
	e->ran = true;
	stats_add(c->stats, ST_CHECKS_RUN, 1);
	stats_add(c->stats, e->last == SVC_PASSING ? ST_CHECKS_PASSING
	                  : e->last == SVC_WARNING ? ST_CHECKS_WARNING : ST_CHECKS_CRITICAL, 1);
	table_set(&c->tab, H_DUE, e, clock_mono_ms() + e->interval_ms);
	if (e->last != e->reported && !e->op_pending)
		report(c, e);
}

static void
run_start(struct checker *c, struct entry *e)
{
	int why = 0;
	table_unset(&c->tab, H_DUE, e);
	e->probe = probe_new(e->kind, e->target, e->timeout_ms, c->headers, &why);
	if (e->probe == NULL) {
		run_end(c, e, CURLE_OK, why);
		return;
	}
	e->probe->owner = e;
	if (curl_multi_add_handle(c->multi, e->probe->easy) != CURLM_OK) {
		probe_free(e->probe);
		e->probe = NULL;
		run_end(c, e, CURLE_OK, -ENOMEM);
		return;
	}
	c->running++;
}

/* Collect the runs curl finished. */
static void
collect(struct checker *c)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		struct probe *p = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		if (p != NULL)
			run_end(c, p->owner, m->data.result, 0);
	}
}

/* Run what is due, deregister what is overdue; returns the ms to sleep. */
static int
due(struct checker *c)
{
	uint64_t now = clock_mono_ms(), wake = now + WAIT_MAX_MS;
	struct entry *e;
	while (c->running < c->max_concurrent && (e = table_first(&c->tab, H_DUE)) != NULL &&
	    e->hkey[H_DUE] <= now)
		run_start(c, e);
	while ((e = table_first(&c->tab, H_DEREG)) != NULL && e->hkey[H_DEREG] <= now)
		deregister(c, e);
	/* With every slot taken, a finished run (curl wakes us) comes first. */
	if (c->running < c->max_concurrent && (e = table_first(&c->tab, H_DUE)) != NULL &&
	    e->hkey[H_DUE] < wake)
		wake = e->hkey[H_DUE];
	if ((e = table_first(&c->tab, H_DEREG)) != NULL && e->hkey[H_DEREG] < wake)
		wake = e->hkey[H_DEREG];
	if (c->scan_wanted && c->next_scan_ms < wake)
		wake = c->next_scan_ms;
	return wake > now ? (int)(wake - now) : 0;
}

/* ---- the thread ---- */

static void
use_runtime(struct checker *c, struct runtime *rt)
{
	const struct conf *cf = rt->conf;
	runtime_drop(c->rt);
	c->rt = rt;
	c->max_checks = cf->check_max ? cf->check_max : CONF_CHECK_MAX_DEFAULT;
	c->max_concurrent =
	    cf->check_max_concurrent ? cf->check_max_concurrent : CONF_CHECK_CONCURRENT_DEFAULT;
	c->scan_wanted = true;
}

/* Take what other threads left: stop, a runtime, a change, op outcomes. */
static bool
take_messages(struct checker *c)
{
	pthread_mutex_lock(&c->mu);
	bool stop = c->stop;
	struct runtime *rt = c->next_rt;
	struct note *notes = c->notes;
	c->next_rt = NULL;
	c->notes = NULL;
	if (c->changed)
		c->scan_wanted = true;
	c->changed = false;
	pthread_mutex_unlock(&c->mu);
	if (rt != NULL)
		use_runtime(c, rt);
	struct note *fifo = NULL;
	while (notes != NULL) {
		struct note *n = notes;
		notes = n->next;
		n->next = fifo;
		fifo = n;
	}
	while (fifo != NULL) {
		struct note *n = fifo;
		fifo = n->next;
		note_take(c, n);
		free(n);
	}
	return stop;
}

/* Load curl and make the multi handle: 0, or the thread goes on without
 * running checks (said once in the log). */
static int
curl_begin(struct checker *c)
{
	const char *why = "out of memory";
	CURLM *m = NULL;
	if (dynlib_curl(&why) != 0 || (m = curl_multi_init()) == NULL ||
	    (c->headers = curl_slist_append(NULL, "Accept: text/plain, text/*, */*")) == NULL) {
		if (m != NULL)
			curl_multi_cleanup(m);
		log_err("health checks are not run: cannot load libcurl: %s", why);
		return -ELIBACC;
	}
	pthread_mutex_lock(&c->mu);
	c->multi = m;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

/* Until there is a check to run: scan when asked, sleep on cv in
 * between. True once curl runs; false to stop. */
static bool
wait_for_checks(struct checker *c)
{
	while (!take_messages(c)) {
		if (c->scan_wanted && clock_mono_ms() >= c->next_scan_ms)
			scan(c);
		if (c->tab.n > 0 && !c->no_curl) {
			if (curl_begin(c) == 0)
				return true;
			c->no_curl = true;
		}
		pthread_mutex_lock(&c->mu);
		while (!c->stop && !c->changed && c->next_rt == NULL && c->notes == NULL) {
			if (!c->scan_wanted) {
				pthread_cond_wait(&c->cv, &c->mu);
				continue;
			}
			uint64_t at = c->next_scan_ms;
			struct timespec ts = { (time_t)(at / 1000), (long)(at % 1000) * 1000000L };
			if (clock_mono_ms() >= at ||
			    pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT)
				break;
		}
		pthread_mutex_unlock(&c->mu);
	}
	return false;
}

static void *
check_run(void *arg)
{
	struct checker *c = arg;
	if (!wait_for_checks(c))
		return NULL;
	while (!take_messages(c)) {
		int still;
		if (c->scan_wanted && clock_mono_ms() >= c->next_scan_ms)
			scan(c);
		curl_multi_perform(c->multi, &still);
		collect(c);
		int wait = due(c);
		curl_multi_poll(c->multi, NULL, 0, wait, NULL);
	}
	for (size_t i = 0; i < c->tab.n; i++)
		probe_cancel(c, c->tab.all[i]);
	return NULL;
}

/* ---- the interface ---- */

int
check_start(const struct check_setup *s, struct checker **out)
{
	struct checker *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;
	if (c == NULL)
		return -ENOMEM;
	c->store = s->store;
	c->ctx = s->ctx;
	c->submit = s->submit;
	c->stats = s->stats;
	use_runtime(c, runtime_hold(s->rt));
	if (getrandom(&c->rand, sizeof(c->rand), 0) != sizeof(c->rand) || c->rand == 0)
		c->rand = clock_mono_ms() | 1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* (clock_mono_ms's clock) */
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (table_init(&c->tab, c->max_checks) != 0 ||
	    pthread_create(&c->thread, NULL, check_run, c) != 0) {
		log_err("cannot start the health checker");
		check_free(c);
		return -ENOMEM;
	}
	c->started = true;
	*out = c;
	return 0;
}

void
check_catalog_changed(struct checker *c, uint64_t index)
{
	(void)index;
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	if (!c->changed)
		wake(c);
	c->changed = true;
	pthread_mutex_unlock(&c->mu);
}

void
check_set_runtime(struct checker *c, struct runtime *rt)
{
	pthread_mutex_lock(&c->mu);
	runtime_drop(c->next_rt);
	c->next_rt = runtime_hold(rt);
	wake(c);
	pthread_mutex_unlock(&c->mu);
}

void
check_stop(struct checker *c)
{
	if (c == NULL || !c->started)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	wake(c);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	c->started = false;
}

void
check_free(struct checker *c)
{
	if (c == NULL)
		return;
	check_stop(c);
	for (size_t i = 0; i < c->tab.n; i++)
		probe_cancel(c, c->tab.all[i]);
	table_free(&c->tab);
	for (struct note *n = c->notes, *next; n != NULL; n = next) {
		next = n->next;
		free(n);
	}
	/* (curl's functions are there only if it was loaded) */
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	if (c->headers != NULL)
		curl_slist_free_all(c->headers);
	runtime_drop(c->next_rt);
	runtime_drop(c->rt);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
