/* tcp.c -- DNS over TCP (RFC 7766): one epoll loop for every connection,
 * pipelined queries answered in order, an idle timeout, a connection cap.
 *
 * Connections are kept in a list ordered by their last activity, oldest
 * first, so the next idle deadline is the first one's: the loop sleeps
 * until it (or until an event), never on a fixed tick.
 *
 * Limits an outsider meets (dnsd.conf(5)), each logged with log_limited
 * and counted:
 *  - a message must arrive whole within tcp-message-timeout of its first
 *    byte (a second list, ordered by that first byte, gives the next such
 *    deadline): a client that sends a byte a second is cut, not kept;
 *  - at most tcp-client-limit connections per client (an IPv4 or IPv6
 *    prefix), counted in a fixed table of hashed slots, and
 *    tcp-max-connections in all;
 *  - when accept fails for want of file descriptors (EMFILE, ENFILE) the
 *    listeners are left unwatched for ACCEPT_PAUSE_MS instead of waking
 *    the level-triggered loop at once, again and again;
 *  - transfers: transfer-max at once and transfer-client-limit per
 *    client; each is cut after transfer-timeout, when its client has read
 *    nothing for transfer-send-timeout, or when it could not be made
 *    within transfer-snapshot-timeout (see xfr.c on snapshots). Their
 *    deadlines are looked up in the short list of running transfers.
 *    Transfers on connections are tcp-xfr.c's; tcp-int.h is what the two
 *    files share.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "net/tcp-int.h"
#include "net/tcp.h"
#include "query/query.h"
#include "runtime/runtime.h"
#include "stats/stats.h"
#include "store/store.h"
#include "tsig/tsig.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "xfr/xfr.h"

/* A connection is recognised in epoll events by its first member not
 * being a listener: listeners are told apart by address range. */
static bool
is_listener(const struct tcp_loop *t, const void *p)
{
	return (const char *)p >= (const char *)t->listeners &&
	    (const char *)p < (const char *)(t->listeners + t->nlisteners);
}

static void
list_unlink(struct tcp_loop *t, struct tcp_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	c->prev = c->next = NULL;
}

static void
list_append(struct tcp_loop *t, struct tcp_conn *c)
{
	c->prev = t->tail;
	c->next = NULL;
	if (t->tail != NULL)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
}

static void
partial_unlink(struct tcp_loop *t, struct tcp_conn *c)
{
	if (!c->in_partial)
		return;
	if (c->pprev != NULL)
		c->pprev->pnext = c->pnext;
	else
		t->partial = c->pnext;
	if (c->pnext != NULL)
		c->pnext->pprev = c->pprev;
	else
		t->partial_tail = c->pprev;
	c->pprev = c->pnext = NULL;
	c->in_partial = false;
}

static void
partial_append(struct tcp_loop *t, struct tcp_conn *c, uint64_t ms)
{
	c->msg_ms = ms;
	c->pprev = t->partial_tail;
	c->pnext = NULL;
	if (t->partial_tail != NULL)
		t->partial_tail->pnext = c;
	else
		t->partial = c;
	t->partial_tail = c;
	c->in_partial = true;
}

/* The counter slot of a client: a hash of its address cut to the prefix
 * that tcp-client-limit names (by default /32 and /64). */
static unsigned
client_slot(const struct tcp_loop *t, const struct sockaddr_storage *peer)
{
	uint8_t a[16] = { 0 };
	unsigned bits = 0;
	const struct conf *cf = t->rt->conf;
	if (peer->ss_family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		bits = cf->tcp_client_v4;
	} else if (peer->ss_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
		bits = cf->tcp_client_v6;
	}
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
		a[i] &= (uint8_t)(0xff00u >> keep);
	}
	uint32_t h = 2166136261u ^ t->seed ^ peer->ss_family;
	for (unsigned i = 0; i < 16; i++) {
		h ^= a[i];
		h *= 16777619u;
	}
	return h & (CLIENT_SLOTS - 1);
}

/* Log a limit that bit for a client: one line per client and reason a
 * minute. */
void
tcp_limit_log(const struct tcp_conn *c, const struct sockaddr_storage *peer, const char *reason,
    const char *fmt_extra)
{
	char addr[PEER_STR_MAX], key[96];
	peer_str(c != NULL ? &c->to.peer : peer, addr, sizeof(addr));
	snprintf(key, sizeof(key), "tcp %s %s", addr, reason);
	log_limited(LOG_LVL_WARN, key, 60, "TCP client %s: %s%s", addr, reason,
	    fmt_extra != NULL ? fmt_extra : "");
}

/* Activity on a connection: its idle deadline moves to the back. */
static void
conn_touch(struct tcp_loop *t, struct tcp_conn *c, uint64_t ms)
{
	c->last_ms = ms;
	if (t->tail != c) {
		list_unlink(t, c);
		list_append(t, c);
	}
}

static void
wake(struct tcp_loop *t)
{
	uint64_t one = 1;
	ssize_t r = write(t->evfd, &one, sizeof(one));
	(void)r;
}

static void
use_runtime(struct tcp_loop *t, struct runtime *rt)
{
	runtime_drop(t->rt);
	t->rt = rt;
	query_ctx_configure(&t->q, rt->conf);
	t->q.zones = &rt->zones;
	t->q.keys = rt->keys;
	query_cookies_configure(&t->cookies, rt->conf, "tcp");
	t->q.cookies = t->cookies;
}

void
tcp_set_runtime(struct tcp_loop *t, struct runtime *rt)
{
	pthread_mutex_lock(&t->mu);
	runtime_drop(t->next_rt);
	t->next_rt = runtime_hold(rt);
	pthread_mutex_unlock(&t->mu);
	wake(t);
}

/* Close a connection now; its memory is freed by conn_sweep, so events
 * for it later in the same epoll batch are still safe to look at. */
void
tcp_conn_close(struct tcp_loop *t, struct tcp_conn *c)
{
	if (c->dead)
		return;
	epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->dead = true;
	partial_unlink(t, c);
	tcp_xfr_unlink(t, c);
	if (t->clients[c->slot] > 0)
		t->clients[c->slot]--;
}

static void
conn_free(struct tcp_conn *c)
{
	xfr_free(c->xfr);
	runtime_drop(c->xfr_rt);
	free(c->in);
	free(c->out);
	free(c);
}

static void
conn_sweep(struct tcp_loop *t)
{
	for (struct tcp_conn *c = t->head, *next; c != NULL; c = next) {
		next = c->next;
		if (!c->dead)
			continue;
		list_unlink(t, c);
		t->nconns--;
		conn_free(c);
	}
}

void
tcp_send(struct tcp_loop *t, uint64_t conn, const uint8_t *msg, size_t len)
{
	struct queued *q = malloc(sizeof(*q) + len);
	if (q == NULL)
		return;
	q->conn = conn;
	q->len = len;
	memcpy(q->msg, msg, len);
	pthread_mutex_lock(&t->mu);
	q->next = t->queue;
	t->queue = q;
	pthread_mutex_unlock(&t->mu);
	wake(t);
}

static void
conn_arm(struct tcp_loop *t, struct tcp_conn *c)
{
	bool want = c->outlen > c->outoff || c->xfr != NULL;
	bool reading = c->outlen - c->outoff < TCP_OUT_HIGH && !c->eof;
	struct epoll_event ev = { .events = (reading ? EPOLLIN : 0) | (want ? EPOLLOUT : 0),
		.data.ptr = c };
	epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Append one message with its 2-byte length prefix. */
int
tcp_conn_queue(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + len + 2 > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap < c->outlen + len + 2)
			cap *= 2;
		uint8_t *n = realloc(c->out, cap);
		if (n == NULL)
			return -ENOMEM;
		c->out = n;
		c->outcap = cap;
	}
	wire_put16(c->out + c->outlen, (uint16_t)len);
	memcpy(c->out + c->outlen + 2, msg, len);
	c->outlen += len + 2;
	return 0;
}

/* Write what we can; false if the connection failed. */
static bool
conn_flush(struct tcp_conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		c->outoff += (size_t)w;
		if (w > 0)
			c->sent_ms = clock_mono_ms();
	}
	c->outoff = c->outlen = 0;
	return true;
}

/* Answer every complete message in the input buffer, in order. */
static void
conn_process(struct tcp_loop *t, struct tcp_conn *c, uint32_t now, bool *txn_open)
{
	const struct net_hooks *h = &t->hooks;
	size_t off = 0;
	/* While a transfer streams, later pipelined queries wait their turn. */
	while (c->xfr == NULL && c->inlen - off >= 2 && c->outlen - c->outoff < TCP_OUT_HIGH) {
		size_t mlen = wire_get16(c->in + off);
		if (c->inlen - off < 2 + mlen)
			break;
		const uint8_t *msg = c->in + off + 2;
		off += 2 + mlen;
		if (!*txn_open) {
			if (store_read_renew(t->q.txn) != 0)
				continue;
			*txn_open = true;
		}
		struct query_info info;
		size_t len = query_answer_from(&t->q, (const struct sockaddr *)&c->to.peer, msg, mlen,
		    t->abuf, 65535, true, now, &info);
		if (info.action == QUERY_UPDATE) {
			struct keyring_check sig;
			keyring_verify(t->q.keys, msg, mlen, now, &sig);
			c->pending++;
			h->update(h->ctx, msg, mlen, &info.req, &sig, &c->to);
			continue;
		}
		if (info.action == QUERY_FORWARD) {
			c->pending++;
			h->forward(h->ctx, t->rt->conf, msg, mlen, &info, &c->to);
			continue;
		}
		if (info.action == QUERY_XFR) {
			tcp_xfr_begin(t, c, msg, mlen, &info, now);
			tcp_xfr_pump(t, c, now);
			continue;
		}
		if (len > 0) {
			stats_query(t->st, 1, info.req.qtype, t->abuf[3] & 15);
			tcp_conn_queue(c, t->abuf, len);
		}
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
		partial_unlink(t, c); /* what is left is a new message */
	}
}

/* Watch the listeners for connections, or stop watching them. */
static void
listeners_watch(struct tcp_loop *t, bool on)
{
	for (size_t i = 0; i < t->nlisteners; i++) {
		struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.ptr = &t->listeners[i] };
		epoll_ctl(t->ep, EPOLL_CTL_MOD, t->listeners[i].fd, &ev);
	}
}

static void
accept_all(struct tcp_loop *t, struct listener *l)
{
	const struct conf *cf = t->rt->conf;
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &peerlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPERM ||
			    errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* The connection stays in the backlog, so a
				 * level-triggered loop would wake at once, again
				 * and again: stop watching for a while. */
				log_limited(LOG_LVL_ERR, "tcp-accept", 60,
				    "TCP: cannot accept: %s (%zu connections): pausing %d ms",
				    strerror(errno), t->nconns, ACCEPT_PAUSE_MS);
				stats_add(t->st, ST_TCP_ACCEPT_BACKOFF, 1);
				listeners_watch(t, false);
				t->accept_resume_ms = clock_mono_ms() + ACCEPT_PAUSE_MS;
			}
			return;
		}
		if (t->nconns >= cf->tcp_max) {
			/* over the cap: refuse rather than starve others */
			tcp_limit_log(NULL, &peer, "tcp-max-connections reached", NULL);
			stats_add(t->st, ST_TCP_OVER_CAP, 1);
			close(fd);
			continue;
		}
		unsigned slot = client_slot(t, &peer);
		if (cf->tcp_client_max != 0 && t->clients[slot] >= cf->tcp_client_max) {
			tcp_limit_log(NULL, &peer, "tcp-client-limit reached", NULL);
			stats_add(t->st, ST_TCP_CLIENT_LIMIT, 1);
			close(fd);
			continue;
		}
		struct tcp_conn *c = calloc(1, sizeof(*c));
		if (c != NULL && (c->in = malloc(TCP_IN_MAX)) == NULL) {
			free(c);
			c = NULL;
		}
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->slot = slot;
		t->clients[slot]++;
		c->to = (struct reply_to){ .fd = -1, .peer = peer, .peerlen = peerlen };
		c->id = c->to.tcp_conn = ++t->next_id;
		c->last_ms = clock_mono_ms();
		list_append(t, c);
		t->nconns++;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* After any work on a connection: write what is queued, close it when the
 * peer is done and nothing is owed (a reply, an update, a transfer), else
 * wait for what comes next. */
static void
conn_settle(struct tcp_loop *t, struct tcp_conn *c)
{
	if (!conn_flush(c) ||
	    (c->eof && c->outlen == c->outoff && c->pending == 0 && c->xfr == NULL)) {
		tcp_conn_close(t, c);
		return;
	}
	conn_arm(t, c);
}

static struct tcp_conn *
conn_find(struct tcp_loop *t, uint64_t id)
{
	for (struct tcp_conn *c = t->head; c != NULL; c = c->next)
		if (c->id == id && !c->dead)
			return c;
	return NULL;
}

/* Replies from other threads, and a newer runtime. */
static void
take_messages(struct tcp_loop *t)
{
	uint64_t v;
	ssize_t r = read(t->evfd, &v, sizeof(v));
	(void)r;
	pthread_mutex_lock(&t->mu);
	struct queued *q = t->queue;
	struct runtime *rt = t->next_rt;
	t->queue = NULL;
	t->next_rt = NULL;
	pthread_mutex_unlock(&t->mu);
	if (rt != NULL)
		use_runtime(t, rt);
	/* Reverse to restore submission order. */
	struct queued *rev = NULL;
	while (q != NULL) {
		struct queued *n = q->next;
		q->next = rev;
		rev = q;
		q = n;
	}
	for (q = rev; q != NULL; q = rev) {
		rev = q->next;
		struct tcp_conn *c = conn_find(t, q->conn);
		if (c != NULL) {
			if (c->pending > 0)
				c->pending--;
			tcp_conn_queue(c, q->msg, q->len);
			conn_settle(t, c);
		}
		free(q);
	}
}

/*
 * A message the client has begun and not finished starts its clock
 * (tcp-message-timeout) at its first byte, whatever arrives after; a
 * complete one waiting for its turn (a transfer, a full output buffer)
 * waits for us, not the client, and has no clock.
 */
static void
partial_track(struct tcp_loop *t, struct tcp_conn *c)
{
	bool partial = c->inlen > 0 && (c->inlen < 2 || c->inlen < 2 + (size_t)wire_get16(c->in));
	if (!partial) {
		partial_unlink(t, c);
		return;
	}
	/* (conn_process untracks the connection when it consumes a message,
	 * so what is left starts a clock of its own.) */
	if (!c->in_partial)
		partial_append(t, c, clock_mono_ms());
}

static void
conn_event(struct tcp_loop *t, struct tcp_conn *c, uint32_t events, uint32_t now,
    bool *txn_open)
{
	if (c->dead)
		return;
	conn_touch(t, c, clock_mono_ms());
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			if (c->inlen == TCP_IN_MAX)
				break;
			ssize_t r = recv(c->fd, c->in + c->inlen, TCP_IN_MAX - c->inlen, 0);
			if (r > 0) {
				c->inlen += (size_t)r;
				continue;
			}
			if (r == 0)
				c->eof = true;
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				tcp_conn_close(t, c);
				return;
			}
			break;
		}
	}
	tcp_xfr_pump(t, c, now);
	conn_process(t, c, now, txn_open);
	partial_track(t, c);
	conn_settle(t, c);
}

/*
 * Close the connections idle for longer than tcp-idle-timeout (RFC 7766
 * section 6.2.3) and return the milliseconds until the next one would be
 * (-1: no connection). A connection that is owed an answer or streams a
 * transfer is busy, not idle: its deadline moves on.
 */
static int
expire_idle(struct tcp_loop *t, uint64_t ms)
{
	uint64_t idle = t->rt->conf->tcp_idle_ms;
	while (t->head != NULL && t->head->last_ms + idle <= ms) {
		struct tcp_conn *c = t->head;
		if (c->dead)
			break; /* swept at the end of this round */
		if (c->pending > 0 || c->xfr != NULL)
			conn_touch(t, c, ms);
		else
			tcp_conn_close(t, c);
		if (c->dead) {
			list_unlink(t, c);
			t->nconns--;
			conn_free(c);
		}
	}
	if (t->head == NULL)
		return -1;
	uint64_t due = t->head->last_ms + idle;
	return due > ms ? (int)(due - ms) : 0;
}

/* The earlier of a deadline (0: none) and `due`. */
static uint64_t
earliest(uint64_t a, uint64_t due)
{
	return a == 0 || due < a ? due : a;
}

/*
 * Cut what ran past its deadline: messages not finished within
 * tcp-message-timeout, transfers past their limits; resume accepting after
 * a pause. Returns the next such deadline (0: none).
 */
static uint64_t
expire_limits(struct tcp_loop *t, uint64_t ms)
{
	const struct conf *cf = t->rt->conf;
	uint64_t next = 0;
	char why[96];

	if (t->accept_resume_ms != 0 && t->accept_resume_ms <= ms) {
		t->accept_resume_ms = 0;
		listeners_watch(t, true);
	}
	if (t->accept_resume_ms != 0)
		next = t->accept_resume_ms;
	while (t->partial != NULL && t->partial->msg_ms + cf->tcp_msg_ms <= ms) {
		struct tcp_conn *c = t->partial;
		snprintf(why, sizeof(why), " (%zu bytes in %u ms): closed", c->inlen, cf->tcp_msg_ms);
		tcp_limit_log(c, NULL, "message not complete within tcp-message-timeout", why);
		stats_add(t->st, ST_TCP_SLOW_CUT, 1);
		tcp_conn_close(t, c); /* unlinks it */
	}
	if (t->partial != NULL)
		next = earliest(next, t->partial->msg_ms + cf->tcp_msg_ms);
	uint64_t x = tcp_xfr_expire(t, ms);
	if (x != 0)
		next = earliest(next, x);
	return next;
}

static void *
tcp_loop_run(void *arg)
{
	struct tcp_loop *t = arg;
	struct epoll_event evs[64];
	int timeout = -1;

	t->st = stats_block_new();
	while (!t->stop) {
		int n = epoll_wait(t->ep, evs, 64, timeout);
		uint32_t now = clock_now();
		bool txn_open = false;
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == NULL)
				take_messages(t);
			else if (is_listener(t, p))
				accept_all(t, p);
			else
				conn_event(t, p, evs[i].events, now, &txn_open);
		}
		if (txn_open)
			store_read_reset(t->q.txn);
		bool spooling = tcp_xfr_spool(t);
		uint64_t ms = clock_mono_ms();
		uint64_t due = expire_limits(t, ms);
		conn_sweep(t);
		timeout = expire_idle(t, ms);
		if (due != 0 && (timeout < 0 || due - ms < (uint64_t)timeout))
			timeout = due > ms ? (int)(due - ms) : 0;
		if (spooling)
			timeout = 0;
	}
	return NULL;
}

int
tcp_start(const struct tcp_setup *s, struct tcp_loop **out)
{
	struct tcp_loop *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->store = s->store;
	t->hooks = s->hooks;
	t->spool_dir = s->spool_dir;
	t->seed = (uint32_t)(uintptr_t)t ^ (uint32_t)clock_mono_ms();
	use_runtime(t, runtime_hold(s->rt));
	pthread_mutex_init(&t->mu, NULL);
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	t->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	t->abuf = malloc(65535 + 2);
	t->nlisteners = s->nfds;
	t->listeners = calloc(s->nfds ? s->nfds : 1, sizeof(*t->listeners));
	if (t->ep < 0 || t->evfd < 0 || t->abuf == NULL || t->listeners == NULL ||
	    store_read_begin(s->store, &t->q.txn) != 0) {
		tcp_free(t);
		return -ENOMEM;
	}
	store_read_reset(t->q.txn);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(t->ep, EPOLL_CTL_ADD, t->evfd, &ev);
	for (size_t i = 0; i < s->nfds; i++) {
		t->listeners[i].fd = s->fds[i];
		ev.data.ptr = &t->listeners[i];
		epoll_ctl(t->ep, EPOLL_CTL_ADD, s->fds[i], &ev);
	}
	if (pthread_create(&t->thread, NULL, tcp_loop_run, t) != 0) {
		tcp_free(t);
		return -EAGAIN;
	}
	t->started = true;
	*out = t;
	return 0;
}

void
tcp_stop(struct tcp_loop *t)
{
	if (t == NULL || !t->started)
		return;
	t->stop = true;
	wake(t);
	pthread_join(t->thread, NULL);
	t->started = false;
}

void
tcp_free(struct tcp_loop *t)
{
	if (t == NULL)
		return;
	tcp_stop(t);
	if (t->evfd >= 0)
		take_messages(t);
	/* The answers owed to clients (updates committed at shutdown). */
	for (struct tcp_conn *c = t->head; c != NULL; c = c->next) {
		if (c->dead || c->outlen == c->outoff)
			continue;
		struct timeval tv = { 1, 0 };
		int fl = fcntl(c->fd, F_GETFL);
		if (fl >= 0)
			fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		conn_flush(c);
	}
	for (struct tcp_conn *c = t->head; c != NULL; c = c->next)
		tcp_conn_close(t, c);
	conn_sweep(t);
	for (struct queued *q = t->queue, *n; q != NULL; q = n) {
		n = q->next;
		free(q);
	}
	if (t->q.txn != NULL)
		store_abort(t->q.txn);
	if (t->ep >= 0)
		close(t->ep);
	if (t->evfd >= 0)
		close(t->evfd);
	pthread_mutex_destroy(&t->mu);
	runtime_drop(t->next_rt);
	runtime_drop(t->rt);
	cookie_gen_free(t->cookies);
	free(t->listeners);
	free(t->abuf);
	free(t);
}
