/* tcp.c -- DNS over TCP (RFC 7766): one epoll loop for every connection,
 * pipelined queries answered in order, an idle timeout, a connection cap.
 *
 * Connections are kept in a list ordered by their last activity, oldest
 * first, so the next idle deadline is the first one's: the loop sleeps
 * until it (or until an event), never on a fixed tick.
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
#include "net/tcp.h"
#include "query/query.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "tsig/tsig.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "xfr/xfr.h"

#define TCP_IN_MAX (2 + 65535)
#define TCP_OUT_HIGH (256 * 1024) /* stop reading while this much waits */

struct tcp_conn {
	struct tcp_conn *prev, *next; /* by last activity, oldest first */
	uint64_t id;
	int fd;
	uint8_t *in;
	size_t inlen;
	uint8_t *out;
	size_t outlen, outoff, outcap;
	uint64_t last_ms;
	unsigned pending; /* updates and forwarded queries owed an answer */
	bool eof;         /* the peer closed its side */
	bool dead;        /* closed; freed at the end of the loop iteration */
	struct reply_to to;
	struct xfr *xfr;  /* a zone transfer in progress ... */
	struct runtime *xfr_rt; /* ... and the generation whose zone it reads */
};

struct queued {
	struct queued *next;
	uint64_t conn;
	size_t len;
	uint8_t msg[];
};

/* A listening socket in the epoll set (data.ptr); the eventfd is NULL. */
struct listener {
	int fd;
};

struct tcp_loop {
	struct store *store;
	struct runtime *rt;
	struct net_hooks hooks;
	pthread_t thread;
	bool started;
	volatile bool stop;
	int ep, evfd;
	size_t nlisteners;
	struct listener *listeners;
	struct tcp_conn *head, *tail; /* every live connection */
	size_t nconns;
	uint64_t next_id;
	struct query_ctx q;
	uint8_t *abuf;
	pthread_mutex_t mu;           /* guards queue and next_rt */
	struct queued *queue;
	struct runtime *next_rt;
};

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
	t->q.zones = &rt->zones;
	t->q.keys = rt->keys;
	t->q.edns_max = rt->conf->edns_max;
	t->q.forward = rt->conf->nforward > 0;
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
static void
conn_close(struct tcp_loop *t, struct tcp_conn *c)
{
	if (c->dead)
		return;
	epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->dead = true;
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
static int
conn_queue(struct tcp_conn *c, const uint8_t *msg, size_t len)
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
	}
	c->outoff = c->outlen = 0;
	return true;
}

/* May this transfer go ahead: the client's address is allowed, or it
 * signed with a key the zone names (either suffices)? */
static bool
xfr_allowed(const struct tcp_conn *c, const struct conf_acl *acl, const struct keyring_check *sig)
{
	return keyring_check_key_in(sig, acl->keys, acl->nkeys) || peer_in_acl(acl, &c->to);
}

/* Start a transfer on the connection, or queue the error that refuses it. */
static void
xfr_begin(struct tcp_loop *t, struct tcp_conn *c, const uint8_t *msg, size_t mlen,
    const struct query_info *info, uint32_t now)
{
	const struct zone *z = info->zone;
	struct keyring_check sig;
	uint16_t rcode = RCODE_REFUSED;

	/* One line per transfer: the client, its key, and why not, in words
	 * (refusals are an outsider's doing: rate-limited per client and
	 * reason). */
	char addr[PEER_STR_MAX], how[320], lkey[64];
	const char *what = info->req.qtype == RR_AXFR ? "AXFR" : "IXFR";
	keyring_verify(t->q.keys, msg, mlen, now, &sig);
	peer_str(&c->to.peer, addr, sizeof(addr));
	keyring_check_str(&sig, now, how, sizeof(how));
	snprintf(lkey, sizeof(lkey), "xfr %s %d/%u", addr, (int)sig.status, sig.tsig_error);
	if (sig.status == KEYRING_INVALID) {
		rcode = sig.tsig_error == TSIG_NOERROR ? RCODE_FORMERR : RCODE_NOTAUTH;
		log_limited(LOG_LVL_WARN, lkey, 10, "zone %s: %s refused to %s: %s", z->name, what, addr,
		    how);
	} else if (xfr_allowed(c, &z->conf->allow_transfer, &sig)) {
		bool sign = sig.status == KEYRING_VALID;
		int rc = xfr_start(t->store, z, msg, mlen, &info->req, sign ? &sig.key->tsig : NULL,
		    sign ? &sig.rr : NULL, now, &c->xfr);
		if (rc == 0) {
			c->xfr_rt = runtime_hold(t->rt);
			log_info("zone %s: %s to client %s started (%s)", z->name, what, addr, how);
			return;
		}
		log_err("zone %s: %s to client %s failed: %s", z->name, what, addr, dnsd_strerror(rc));
		rcode = RCODE_SERVFAIL;
	} else {
		log_limited(LOG_LVL_WARN, lkey, 10, "zone %s: %s refused to %s (%s): %s", z->name, what,
		    addr, how,
		    sig.status == KEYRING_VALID
		        ? "allow-transfer lists neither this key nor this address"
		        : "allow-transfer does not list this address, and the request is not signed"
		          " with a key it lists");
	}
	size_t len = query_error_reply(&info->req, t->abuf, 65535, rcode, t->q.edns_max, &sig, now);
	if (len > 0)
		conn_queue(c, t->abuf, len);
}

/* Queue transfer messages until the output buffer is full or it ends. */
static void
xfr_pump(struct tcp_loop *t, struct tcp_conn *c, uint32_t now)
{
	while (c->xfr != NULL && c->outlen - c->outoff < TCP_OUT_HIGH) {
		size_t len = 0;
		int rc = xfr_next(c->xfr, t->abuf, 65535, now, &len);
		if (rc == 1) {
			conn_queue(c, t->abuf, len);
			continue;
		}
		if (rc < 0) {
			log_err("transfer aborted: %s", dnsd_strerror(rc));
			c->eof = true; /* a broken transfer must not look complete */
		}
		xfr_free(c->xfr);
		c->xfr = NULL;
		runtime_drop(c->xfr_rt);
		c->xfr_rt = NULL;
	}
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
		size_t len = query_answer(&t->q, msg, mlen, t->abuf, 65535, true, now, &info);
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
			xfr_begin(t, c, msg, mlen, &info, now);
			xfr_pump(t, c, now);
			continue;
		}
		if (len > 0)
			conn_queue(c, t->abuf, len);
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
}

static void
accept_all(struct tcp_loop *t, struct listener *l)
{
	unsigned cap = t->rt->conf->tcp_max;
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &peerlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (t->nconns >= cap) {
			close(fd); /* over the cap: refuse rather than starve others */
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
		conn_close(t, c);
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
			conn_queue(c, q->msg, q->len);
			conn_settle(t, c);
		}
		free(q);
	}
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
				conn_close(t, c);
				return;
			}
			break;
		}
	}
	xfr_pump(t, c, now);
	conn_process(t, c, now, txn_open);
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
			conn_close(t, c);
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

static void *
tcp_loop_run(void *arg)
{
	struct tcp_loop *t = arg;
	struct epoll_event evs[64];
	int timeout = -1;

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
		conn_sweep(t);
		timeout = expire_idle(t, clock_mono_ms());
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
		conn_close(t, c);
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
	free(t->listeners);
	free(t->abuf);
	free(t);
}
