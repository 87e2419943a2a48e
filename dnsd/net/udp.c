/* udp.c -- UDP workers: recvmmsg a batch, answer it from one read
 * transaction (through respond.h: the worker's answer cache, cookies,
 * rate limits), sendmmsg the replies. No allocation per query. Under a
 * sustained high query rate the worker coalesces: see struct udp_pace. A
 * worker blocks in the kernel until datagrams come; stopping shuts its
 * sockets down for reading, which wakes it. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "net/udp.h"
#include "cookie/cookie.h"
#include "query/qcache.h"
#include "query/query.h"
#include "query/respond.h"
#include "rrl/rrl.h"
#include "runtime/runtime.h"
#include "stats/stats.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#define UDP_BATCH 64
#define UDP_MAX_IN 4096 /* anything larger is not a valid DNS/UDP query for us */
#define UDP_MAX_OUT 65535

struct udp_worker;

struct udp_pool {
	struct udp_setup setup;
	volatile bool stop;
	unsigned n;
	struct udp_worker *w;
	struct rrl *rrl; /* one rate-limit table for every worker */
};

struct udp_worker {
	struct udp_pool *pool;
	unsigned index;
	pthread_t thread;
	bool started;
	struct runtime *rt;   /* the generation this worker serves with */
	struct runtime *next; /* atomic: a newer one handed over by udp_set_runtime */
	struct respond resp;  /* resp.q: the query context */
	struct cookie_gen *cookies;
};

struct udp_batch {
	struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
	struct iovec iov_in[UDP_BATCH], iov_out[UDP_BATCH];
	struct sockaddr_storage peer[UDP_BATCH];
	union net_ctl ctl_in[UDP_BATCH], ctl_out[UDP_BATCH]; /* wildcard sockets */
	struct respond_req req[UDP_BATCH]; /* each request between the two steps */
	uint8_t buf_in[UDP_BATCH][UDP_MAX_IN];
	uint8_t buf_out[UDP_BATCH][UDP_MAX_OUT];
};

static void
batch_init(struct udp_batch *b)
{
	memset(b->in, 0, sizeof(b->in));
	for (int i = 0; i < UDP_BATCH; i++) {
		b->iov_in[i].iov_base = b->buf_in[i];
		b->iov_in[i].iov_len = UDP_MAX_IN;
		b->in[i].msg_hdr.msg_iov = &b->iov_in[i];
		b->in[i].msg_hdr.msg_iovlen = 1;
		b->in[i].msg_hdr.msg_name = &b->peer[i];
		b->in[i].msg_hdr.msg_namelen = sizeof(b->peer[i]);
	}
}

/*
 * Adaptive coalescing, as network cards moderate interrupts. Most of the
 * CPU a UDP query costs is spent in the kernel, and a good part of that is
 * paid per batch rather than per datagram: the two system calls, waking
 * the worker, waking the clients. Under a steady stream the worker is fast
 * enough to find only a few datagrams queued each time, so it pays those
 * costs often. When the rate over the last UDP_PACE_WINDOW_NS is at least
 * the `udp-coalesce` rate (100000 queries per second), the worker waits
 * `udp-coalesce` microseconds after emptying its queue, so the next batch
 * is fuller. Below that rate, where the wait would be a noticeable part of
 * the latency, each datagram is answered as soon as it arrives.
 */
#define UDP_PACE_WINDOW_NS 50000000u /* long enough to ignore short bursts */

struct udp_pace {
	long wait_us;      /* 0: never coalesce */
	uint64_t rate;     /* queries per second from which to coalesce */
	unsigned worker;   /* for the log */
	uint64_t start_ns; /* current window */
	uint64_t count;    /* datagrams read in it */
	uint64_t last_ns;  /* the previous batch */
	bool on;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Account `n` datagrams just served; `drained` says the socket had no
 * more. Waits when coalescing is on and the queue ran dry. */
static void
pace(struct udp_pace *p, int n, bool drained)
{
	if (p->wait_us == 0)
		return;
	uint64_t now = mono_ns();
	/* A whole window without a datagram (the worker slept in the
	 * kernel): the stream stopped, whatever the window's count says. */
	if (now - p->last_ns >= UDP_PACE_WINDOW_NS) {
		if (p->on)
			log_debug("udp worker %u: coalescing off after a pause", p->worker);
		p->on = false;
		p->start_ns = now;
		p->count = 0;
	}
	p->last_ns = now;
	p->count += (uint64_t)n;
	uint64_t span = now - p->start_ns;
	if (span >= UDP_PACE_WINDOW_NS) {
		uint64_t rate = p->count * 1000000000u / span;
		if (p->on != (rate >= p->rate))
			log_debug("udp worker %u: coalescing %s at %llu queries/s", p->worker,
			    p->on ? "off" : "on", (unsigned long long)rate);
		p->on = rate >= p->rate;
		p->start_ns = now;
		p->count = 0;
	}
	if (p->on && n > 0 && drained) {
		struct timespec ts = { 0, p->wait_us * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* The reply's address: the peer, and on a wildcard socket the source. */
static void
reply_to_fill(struct reply_to *to, struct udp_batch *b, int i, int fd)
{
	to->fd = fd;
	to->peerlen = b->in[i].msg_hdr.msg_namelen;
	memcpy(&to->peer, &b->peer[i], to->peerlen);
	to->ctl_len = b->in[i].msg_hdr.msg_control != NULL
	                  ? net_reply_ctl(&b->in[i].msg_hdr, &to->ctl) : 0;
}

/* Point the query context at the worker's runtime. */
static void
use_runtime(struct udp_worker *wk, struct runtime *rt)
{
	runtime_drop(wk->rt);
	wk->rt = rt;
	struct respond *r = &wk->resp;
	query_ctx_configure(&r->q, rt->conf);
	r->q.zones = &rt->zones;
	r->q.keys = rt->keys;
	r->conf = rt->conf;
	r->rrl = wk->pool->rrl;
	query_cookies_configure(&wk->cookies, rt->conf, "udp worker");
	r->q.cookies = wk->cookies;
}

/* A request the worker does not answer itself: to the writer (with its
 * TSIG checked here, so the writer does less) or the forwarder. */
static void
hand_over(struct udp_worker *wk, const uint8_t *msg, size_t len, const struct query_info *info,
    const struct reply_to *to, uint32_t now)
{
	const struct net_hooks *h = &wk->pool->setup.hooks;
	if (info->action == QUERY_UPDATE) {
		struct keyring_check sig;
		keyring_verify(wk->resp.q.keys, msg, len, now, &sig);
		h->update(h->ctx, msg, len, &info->req, &sig, to);
	} else {
		h->forward(h->ctx, wk->rt->conf, msg, len, info, to);
	}
}

/* Answer one batch read from `fd`; returns the number of messages read.
 * `pktinfo`: the socket reports each datagram's destination address. */
static int
serve_batch(struct udp_worker *wk, struct udp_batch *b, int fd, bool pktinfo, int flags)
{
	struct respond *r = &wk->resp;
	for (int i = 0; i < UDP_BATCH; i++) {
		b->in[i].msg_hdr.msg_namelen = sizeof(b->peer[i]);
		b->in[i].msg_hdr.msg_control = pktinfo ? b->ctl_in[i].buf : NULL;
		b->in[i].msg_hdr.msg_controllen = pktinfo ? sizeof(b->ctl_in[i]) : 0;
	}
	int n = recvmmsg(fd, b->in, UDP_BATCH, flags, NULL);
	if (n <= 0)
		return 0;
	struct runtime *next = __atomic_exchange_n(&wk->next, NULL, __ATOMIC_ACQUIRE);
	if (next != NULL)
		use_runtime(wk, next);
	uint32_t now = clock_now();
	bool txn_ok = store_read_renew(r->q.txn) == 0;
	r->snap = txn_ok ? respond_snapshot(store_read_snapshot(r->q.txn), wk->rt->generation) : 0;
	int nout = 0;
	/* Parse every request first and start loading their cache sets, so
	 * that the loads overlap. */
	for (int i = 0; txn_ok && i < n; i++)
		respond_prepare(r, &b->req[i], (const struct sockaddr *)&b->peer[i], b->buf_in[i],
		    b->in[i].msg_len, now);
	for (int i = 0; i < n; i++) {
		size_t len;
		if (b->in[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue; /* oversized: not a query we could parse */
		if (!txn_ok) {
			struct query_req q;
			if (query_parse(b->buf_in[i], b->in[i].msg_len, &q, NULL) != 0)
				continue;
			len = query_error_reply(&q, b->buf_out[nout], UDP_MAX_OUT, RCODE_SERVFAIL,
			    r->q.edns_max, NULL, now);
		} else {
			struct respond_req *rq = &b->req[i];
			len = respond_answer(r, rq, (const struct sockaddr *)&b->peer[i], b->buf_in[i],
			    b->in[i].msg_len, b->buf_out[nout], UDP_MAX_OUT, now);
			if (rq->info.action == QUERY_UPDATE || rq->info.action == QUERY_FORWARD) {
				struct reply_to to;
				reply_to_fill(&to, b, i, fd);
				hand_over(wk, b->buf_in[i], b->in[i].msg_len, &rq->info, &to, now);
				continue;
			}
		}
		if (len == 0)
			continue;
		memset(&b->out[nout], 0, sizeof(b->out[nout]));
		b->iov_out[nout].iov_base = b->buf_out[nout];
		b->iov_out[nout].iov_len = len;
		b->out[nout].msg_hdr.msg_iov = &b->iov_out[nout];
		b->out[nout].msg_hdr.msg_iovlen = 1;
		b->out[nout].msg_hdr.msg_name = &b->peer[i];
		b->out[nout].msg_hdr.msg_namelen = b->in[i].msg_hdr.msg_namelen;
		if (pktinfo) {
			size_t clen = net_reply_ctl(&b->in[i].msg_hdr, &b->ctl_out[nout]);
			b->out[nout].msg_hdr.msg_control = clen ? b->ctl_out[nout].buf : NULL;
			b->out[nout].msg_hdr.msg_controllen = clen;
		}
		nout++;
	}
	if (txn_ok)
		store_read_reset(r->q.txn);
	for (int sent = 0; sent < nout;) {
		int rc = sendmmsg(fd, b->out + sent, (unsigned)(nout - sent), 0);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			/* One bad peer address must not lose the rest of the batch. */
			sent++;
			continue;
		}
		sent += rc;
	}
	return n;
}

static void *
udp_worker_run(void *arg)
{
	struct udp_worker *wk = arg;
	struct udp_pool *pool = wk->pool;
	const struct udp_setup *su = &pool->setup;
	size_t nl = su->nsocks;
	struct pollfd pfd[64];
	bool pktinfo[64];
	struct udp_batch *b = calloc(1, sizeof(*b));
	struct respond *r = &wk->resp;
	struct udp_pace p = { .wait_us = (long)su->coalesce_us, .rate = su->coalesce_rate,
		.worker = wk->index, .start_ns = mono_ns() };

	if (b == NULL || store_read_begin(su->store, &r->q.txn) != 0) {
		log_err("udp worker %u: cannot start", wk->index);
		free(b);
		su->hooks.fatal(su->hooks.ctx);
		return NULL;
	}
	store_read_reset(r->q.txn);
	batch_init(b);
	r->stats = stats_block_new();
	if (su->answer_cache > 0 && (r->cache = qcache_new(su->answer_cache)) == NULL)
		log_warn("udp worker %u: no memory for the answer cache; answering without",
		    wk->index);
	if (nl > 64)
		nl = 64;
	for (size_t i = 0; i < nl; i++) {
		pfd[i].fd = su->fds[wk->index * su->nsocks + i];
		pfd[i].events = POLLIN;
		pktinfo[i] = su->pktinfo[i];
	}
	if (nl == 1) {
		/* One socket (the usual case): block in recvmmsg itself, which
		 * returns once a datagram is there with whatever else has queued
		 * (MSG_WAITFORONE), saving a poll() per batch. */
		while (!pool->stop) {
			int n = serve_batch(wk, b, pfd[0].fd, pktinfo[0], MSG_WAITFORONE);
			pace(&p, n, n < UDP_BATCH);
		}
	}
	while (!pool->stop) {
		int ready = poll(pfd, nl, -1);
		if (ready <= 0)
			continue;
		int total = 0;
		bool drained = true;
		for (size_t i = 0; i < nl; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			/* Drain the socket in batches before polling again. */
			int n = 0;
			for (int round = 0; round < 64 && !pool->stop; round++) {
				total += n = serve_batch(wk, b, pfd[i].fd, pktinfo[i], MSG_DONTWAIT);
				if (n < UDP_BATCH)
					break;
			}
			if (n == UDP_BATCH)
				drained = false;
		}
		pace(&p, total, drained);
	}
	if (r->cache != NULL) {
		uint64_t hits, misses;
		qcache_counts(r->cache, &hits, &misses);
		log_debug("udp worker %u: answer cache: %llu hits, %llu misses", wk->index,
		    (unsigned long long)hits, (unsigned long long)misses);
		qcache_free(r->cache);
		r->cache = NULL;
	}
	store_abort(r->q.txn);
	free(b);
	return NULL;
}

int
udp_start(const struct udp_setup *s, struct udp_pool **out)
{
	struct udp_pool *p = calloc(1, sizeof(*p));
	if (p == NULL || (p->w = calloc(s->workers, sizeof(*p->w))) == NULL) {
		free(p);
		return -ENOMEM;
	}
	p->setup = *s;
	p->n = s->workers;
	/* The rate-limit table, for every worker (a reload may turn limits
	 * on, so it is there whatever the first configuration says). */
	if ((p->rrl = rrl_new(conf_rrl_size(s->rt->conf))) == NULL)
		log_warn("no memory for the rate-limit table: responses are not rate-limited");
	for (unsigned i = 0; i < p->n; i++) {
		struct udp_worker *wk = &p->w[i];
		wk->pool = p;
		wk->index = i;
		use_runtime(wk, runtime_hold(s->rt));
		if (pthread_create(&wk->thread, NULL, udp_worker_run, wk) != 0) {
			log_err("cannot start UDP worker threads");
			udp_stop(p);
			return -EAGAIN;
		}
		wk->started = true;
	}
	*out = p;
	return 0;
}

void
udp_set_runtime(struct udp_pool *p, struct runtime *rt)
{
	for (unsigned i = 0; p != NULL && i < p->n; i++) {
		struct runtime *old =
		    __atomic_exchange_n(&p->w[i].next, runtime_hold(rt), __ATOMIC_ACQ_REL);
		runtime_drop(old); /* one the worker never took */
	}
}

void
udp_stop(struct udp_pool *p)
{
	if (p == NULL)
		return;
	p->stop = true;
	/* Wake the workers: a socket shut down for reading returns at once
	 * from recvmmsg and poll (the call itself fails with ENOTCONN on an
	 * unconnected socket, but marks it and wakes its readers). */
	for (size_t i = 0; i < (size_t)p->n * p->setup.nsocks; i++)
		shutdown(p->setup.fds[i], SHUT_RD);
	for (unsigned i = 0; i < p->n; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
		runtime_drop(p->w[i].next);
		runtime_drop(p->w[i].rt);
		cookie_gen_free(p->w[i].cookies);
	}
	rrl_free(p->rrl);
	free(p->w);
	free(p);
}
