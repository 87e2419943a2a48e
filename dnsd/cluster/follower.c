/* follower.c -- the etcd watch that feeds the mirror, and its
 * resynchronisations (follower.h)
 *
 * Two threads: etcd's watch thread calls on_watch with each message and
 * delivers events at once; the follower's own thread starts the watch,
 * restarts it after a compaction (resynchronising) or a failure, and
 * writes the serial floors of a resynchronisation, retrying while etcd
 * is unavailable. It sleeps until told or until its next retry.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/follower.h"
#include "cluster/layout.h"
#include "cluster/mirror.h"
#include "cluster/ops.h"
#include "conf/conf.h"
#include "etcd/etcd.h"
#include "runtime/runtime.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 5000

struct follower {
	struct etcd *etcd;
	struct runtime *rt;     /* the follower thread's; whose zones get floors */
	void *ctx;
	void (*deliver)(void *ctx, struct mirror_batch *b);
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	bool stop;
	bool compacted, failed; /* the watch ended: resynchronise / restart */
	int64_t next;           /* the revision the watch resumes at */
	struct runtime *next_rt; /* follower_set_runtime: switch to this */
	/* the follower thread's own */
	struct etcd_watch *watch;
	bool resync;            /* read everything before watching */
	bool checked;           /* etcd is not younger than the mirror */
	int64_t floor;          /* serial floors still to write (0: none) */
	unsigned backoff_ms;
};

/* ---- the watch thread ------------------------------------------------------------- */

static void
on_watch(void *ctx, const struct etcd_watch_msg *m)
{
	struct follower *f = ctx;
	switch (m->kind) {
	case ETCD_WATCH_EVENTS: {
		struct mirror_batch *b = mirror_batch_new(false);
		for (size_t i = 0; b != NULL && i < m->nevents; i++) {
			const struct etcd_event *e = &m->events[i];
			if (mirror_batch_add(b, e->deleted, e->kv.mod_revision, e->kv.key, e->kv.key_len,
			        e->kv.value, e->kv.value_len) != 0) {
				mirror_batch_free(b);
				b = NULL;
			}
		}
		pthread_mutex_lock(&f->mu);
		if (b == NULL) {
			/* never skip a change: watch again from before these */
			log_err("cluster: out of memory for etcd's changes; watching again");
			f->failed = true;
			pthread_cond_signal(&f->cv);
		} else if (!f->failed && !f->compacted) {
			f->next = b->rev + 1;
			f->deliver(f->ctx, b);
			b = NULL;
		}
		pthread_mutex_unlock(&f->mu);
		mirror_batch_free(b);
		break;
	}
	case ETCD_WATCH_CONNECTED:
		log_info("cluster: following etcd at %s (revision %lld)", m->endpoint,
		    (long long)m->revision);
		break;
	case ETCD_WATCH_RETRY:
		log_limited(LOG_LVL_WARN, "cluster: watch", 10,
		    "cluster: the etcd watch broke (%s); resuming on another member",
		    dnsd_strerror(m->err));
		break;
	case ETCD_WATCH_COMPACTED:
	case ETCD_WATCH_FAILED:
		pthread_mutex_lock(&f->mu);
		if (m->kind == ETCD_WATCH_COMPACTED)
			f->compacted = true;
		else
			f->failed = true;
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
		if (m->kind == ETCD_WATCH_COMPACTED)
			log_warn("cluster: etcd compacted the revisions the mirror needs (up to %lld): "
			         "resynchronising", (long long)m->revision);
		else
			log_err("cluster: the etcd watch failed: %s", dnsd_strerror(m->err));
		break;
	case ETCD_WATCH_PROGRESS:
		break;
	}
}

/* ---- the follower thread ------------------------------------------------------------ */

static int
collect(void *ctx, const struct etcd_kv *kv)
{
	return mirror_batch_add(ctx, false, kv->mod_revision, kv->key, kv->key_len, kv->value,
	    kv->value_len);
}

/* One read of every key, handed over as a snapshot. */
static int
resync(struct follower *f)
{
	struct mirror_batch *b = mirror_batch_new(true);
	int64_t rev = 0;
	if (b == NULL)
		return -ENOMEM;
	int rc = etcd_range(f->etcd, "z/", 2, 0, 0, collect, b, &rev);
	if (rc != 0) {
		mirror_batch_free(b);
		return rc;
	}
	size_t n = b->n;
	b->rev = rev;
	pthread_mutex_lock(&f->mu);
	f->next = rev + 1;
	f->deliver(f->ctx, b);
	pthread_mutex_unlock(&f->mu);
	f->floor = rev;
	f->checked = true;
	log_info("cluster: resynchronised from etcd at revision %lld (%zu keys)", (long long)rev, n);
	return 0;
}

/* Is etcd at least as old as the mirror? A younger one (restored from a
 * backup, or another etcd) would never send the revisions we wait for. */
static int
check_age(struct follower *f, int64_t next)
{
	struct etcd_kv *kv = NULL;
	int64_t rev = 0;
	int rc = etcd_get(f->etcd, "z/", 2, ETCD_SERIALIZABLE, &kv, &rev);
	etcd_kv_free(kv);
	if (rc != 0 && rc != DNSD_ENOTFOUND)
		return rc;
	if (rev < next - 1) {
		log_warn("cluster: etcd is at revision %lld, behind the mirror's %lld (a restored "
		         "or another etcd): resynchronising", (long long)rev, (long long)(next - 1));
		f->resync = true;
	}
	f->checked = true;
	return 0;
}

/* Write the serial floors of a resynchronisation at f->floor. */
static int
write_floors(struct follower *f)
{
	char key[LAYOUT_KEY_MAX], val[24];
	int n = snprintf(val, sizeof(val), "%lld", (long long)f->floor);
	const struct zonetab *zones = &f->rt->zones;
	for (size_t i = 0; i < zones->n; i++) {
		size_t kl = layout_key_serial(key, zones->z[i].apex);
		int rc = etcd_put(f->etcd, key, kl, val, (size_t)n, 0, NULL);
		if (rc != 0)
			return rc;
	}
	f->floor = 0;
	return 0;
}

/* Start watching (after whatever must come first). */
static int
begin(struct follower *f)
{
	int rc = 0;
	pthread_mutex_lock(&f->mu);
	int64_t next = f->next;
	pthread_mutex_unlock(&f->mu);
	if (!f->resync && !f->checked)
		rc = check_age(f, next);
	if (rc == 0 && f->resync && (rc = resync(f)) == 0)
		f->resync = false;
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&f->mu);
	next = f->next;
	f->compacted = f->failed = false;
	pthread_mutex_unlock(&f->mu);
	return etcd_watch_start(f->etcd, "z/", 2, next, on_watch, f, &f->watch);
}

/* Wait (f->mu held) until told, or `ms` milliseconds (0: until told). */
static void
wait_ms(struct follower *f, unsigned ms)
{
	if (ms == 0) {
		pthread_cond_wait(&f->cv, &f->mu);
		return;
	}
	uint64_t at = clock_mono_ms() + ms;
	struct timespec ts = { (time_t)(at / 1000), (long)(at % 1000) * 1000000 };
	pthread_cond_clockwait(&f->cv, &f->mu, CLOCK_MONOTONIC, &ts);
}

static unsigned
backoff(struct follower *f)
{
	f->backoff_ms = f->backoff_ms == 0 ? RETRY_MIN_MS : f->backoff_ms * 2;
	if (f->backoff_ms > RETRY_MAX_MS)
		f->backoff_ms = RETRY_MAX_MS;
	return f->backoff_ms;
}

/* Take the generation follower_set_runtime left (f->mu held). Returns
 * whether it serves a zone the previous one did not (then f->resync). */
static bool
switch_runtime(struct follower *f)
{
	struct runtime *old = f->rt, *rt = f->next_rt;
	bool added = false;
	f->next_rt = NULL;
	for (size_t i = 0; i < rt->zones.n && !added; i++) {
		added = true;
		for (size_t j = 0; j < old->zones.n && added; j++)
			added = !wire_name_equal(rt->zones.z[i].apex, old->zones.z[j].apex);
	}
	f->rt = rt;
	runtime_drop(old);
	if (added) {
		log_info("cluster: a zone was added: resynchronising");
		f->resync = true;
	}
	return added;
}

void
follower_set_runtime(struct follower *f, struct runtime *rt)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	runtime_drop(f->next_rt);
	f->next_rt = runtime_hold(rt);
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void *
follower_run(void *arg)
{
	struct follower *f = arg;
	pthread_mutex_lock(&f->mu);
	while (!f->stop) {
		unsigned sleep_ms = 0;
		if (f->next_rt != NULL && switch_runtime(f) && f->watch != NULL)
			f->failed = true; /* a new zone: read everything again */
		if (f->watch == NULL) {
			pthread_mutex_unlock(&f->mu);
			int rc = begin(f);
			pthread_mutex_lock(&f->mu);
			if (rc != 0) {
				log_limited(LOG_LVL_WARN, "cluster: follow", 10,
				    "cluster: cannot follow etcd yet: %s (trying again)", dnsd_strerror(rc));
				wait_ms(f, backoff(f));
				continue;
			}
			f->backoff_ms = 0;
		}
		if (f->floor != 0) {
			pthread_mutex_unlock(&f->mu);
			int rc = write_floors(f);
			pthread_mutex_lock(&f->mu);
			if (rc != 0) {
				log_limited(LOG_LVL_WARN, "cluster: floors", 10,
				    "cluster: cannot write the serial floors yet: %s", dnsd_strerror(rc));
				sleep_ms = RETRY_MAX_MS;
			}
		}
		if (!f->stop && !f->compacted && !f->failed && f->next_rt == NULL)
			wait_ms(f, sleep_ms);
		if (f->compacted || f->failed) {
			struct etcd_watch *w = f->watch;
			f->watch = NULL;
			f->resync |= f->compacted;
			pthread_mutex_unlock(&f->mu);
			etcd_watch_stop(w);
			pthread_mutex_lock(&f->mu);
			if (!f->resync)
				wait_ms(f, backoff(f));
		}
	}
	pthread_mutex_unlock(&f->mu);
	etcd_watch_stop(f->watch);
	f->watch = NULL;
	return NULL;
}

int
follower_start(const struct follower_setup *s, struct follower **out)
{
	struct follower *f = calloc(1, sizeof(*f));
	struct etcd_setup es;
	int rc;
	*out = NULL;
	if (f == NULL)
		return -ENOMEM;
	cops_etcd_setup(s->conf, &es);
	if ((rc = etcd_new(&es, &f->etcd)) != 0) {
		free(f);
		return rc;
	}
	f->rt = runtime_hold(s->rt);
	f->ctx = s->ctx;
	f->deliver = s->deliver;
	f->next = s->start;
	f->resync = s->start == 0;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (pthread_create(&f->thread, NULL, follower_run, f) != 0) {
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		runtime_drop(f->rt);
		etcd_free(f->etcd);
		free(f);
		return -EAGAIN;
	}
	*out = f;
	return 0;
}

void
follower_stop(struct follower *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	runtime_drop(f->next_rt);
	runtime_drop(f->rt);
	etcd_free(f->etcd);
	free(f);
}
