/* tcp.c -- DNS over TCP (RFC 7766): one epoll loop for every connection,
 * pipelined queries answered in order, idle timeout, connection cap. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "conf/conf.h"
#include "net/net.h"
#include "query/query.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "tsig/tsig.h"
#include "xfr/xfr.h"

#define TCP_IN_MAX (2 + 65535)
#define TCP_OUT_HIGH (256 * 1024) /* stop reading while this much waits */

struct tcp_conn {
	uint64_t id;
	int fd;
	bool listener;
	uint8_t *in;
	size_t inlen;
	uint8_t *out;
	size_t outlen, outoff, outcap;
	uint64_t last_ms;
	unsigned pending; /* updates waiting for the writer */
	bool want_out;    /* EPOLLOUT armed */
	bool eof;         /* the peer closed its side */
	bool dead;        /* closed; freed at the end of the loop iteration */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct xfr *xfr;  /* a zone transfer in progress */
};

struct queued {
	struct queued *next;
	uint64_t conn;
	size_t len;
	uint8_t msg[];
};

struct tcp_loop {
	struct server *srv;
	int ep, evfd;
	struct tcp_conn *listeners;
	size_t nconns, capconns;
	struct tcp_conn **conns;
	uint64_t next_id;
	struct query_ctx q;
	uint8_t *abuf;
	pthread_mutex_t mu;
	struct queued *queue;
	bool closing;
};

int
tcp_loop_new(struct server *s, struct tcp_loop **out)
{
	struct tcp_loop *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->srv = s;
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	t->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	t->abuf = malloc(65535 + 2);
	t->listeners = calloc(s->ntcp ? s->ntcp : 1, sizeof(*t->listeners));
	pthread_mutex_init(&t->mu, NULL);
	if (t->ep < 0 || t->evfd < 0 || t->abuf == NULL || t->listeners == NULL) {
		tcp_loop_free(t);
		return -ENOMEM;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(t->ep, EPOLL_CTL_ADD, t->evfd, &ev);
	for (size_t i = 0; i < s->ntcp; i++) {
		t->listeners[i].fd = s->tcp_fds[i];
		t->listeners[i].listener = true;
		ev.events = EPOLLIN;
		ev.data.ptr = &t->listeners[i];
		epoll_ctl(t->ep, EPOLL_CTL_ADD, s->tcp_fds[i], &ev);
	}
	t->q.zones = &s->zones;
	t->q.edns_max = s->conf->edns_max;
	t->q.forward = s->conf->nforward > 0;
	t->q.keys = s->keys;
	t->q.nkeys = s->conf->nkeys;
	*out = t;
	return 0;
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
conn_sweep(struct tcp_loop *t)
{
	for (size_t i = t->nconns; i-- > 0;) {
		struct tcp_conn *c = t->conns[i];
		if (!c->dead)
			continue;
		t->conns[i] = t->conns[--t->nconns];
		xfr_free(c->xfr);
		free(c->in);
		free(c->out);
		free(c);
	}
}

void
tcp_loop_free(struct tcp_loop *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nconns; i++)
		conn_close(t, t->conns[i]);
	conn_sweep(t);
	free(t->conns);
	for (struct queued *q = t->queue, *n; q != NULL; q = n) {
		n = q->next;
		free(q);
	}
	if (t->ep >= 0)
		close(t->ep);
	if (t->evfd >= 0)
		close(t->evfd);
	pthread_mutex_destroy(&t->mu);
	free(t->listeners);
	free(t->abuf);
	free(t);
}

void
tcp_loop_wake(struct tcp_loop *t)
{
	uint64_t one = 1;
	ssize_t r = write(t->evfd, &one, sizeof(one));
	(void)r;
}

void
tcp_loop_send(struct tcp_loop *t, uint64_t conn, const uint8_t *msg, size_t len)
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
	tcp_loop_wake(t);
}

static void
conn_arm(struct tcp_loop *t, struct tcp_conn *c)
{
	bool want = c->outlen > c->outoff || c->xfr != NULL;
	bool reading = c->outlen - c->outoff < TCP_OUT_HIGH && !c->eof;
	struct epoll_event ev = { .events = (reading ? EPOLLIN : 0) | (want ? EPOLLOUT : 0),
		.data.ptr = c };
	epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = want;
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

/* Is the peer allowed to transfer zone z (by address or by TSIG key)? */
static bool
xfr_allowed(const struct tcp_conn *c, const struct conf_acl *acl, const struct conf_key *key)
{
	if (key != NULL)
		for (size_t i = 0; i < acl->nkeys; i++) {
			uint8_t kn[WIRE_NAME_MAX];
			if (wire_name_from_str(acl->keys[i], kn) != 0 &&
			    wire_name_equal(kn, key->name_wire))
				return true;
		}
	if (c->peer.ss_family == AF_INET)
		return conf_acl_match_addr(acl, AF_INET,
		    (const uint8_t *)&((const struct sockaddr_in *)&c->peer)->sin_addr);
	if (c->peer.ss_family == AF_INET6)
		return conf_acl_match_addr(acl, AF_INET6,
		    (const uint8_t *)&((const struct sockaddr_in6 *)&c->peer)->sin6_addr);
	return false;
}

/* Start a transfer on the connection, or queue the error that refuses it. */
static void
xfr_begin(struct tcp_loop *t, struct tcp_conn *c, const uint8_t *msg, size_t mlen,
    const struct query_info *info, uint32_t now)
{
	struct tsig_rr rr;
	const struct tsig_key *key;
	const struct conf_key *ckey;
	uint16_t terr;
	uint16_t rcode = RCODE_REFUSED;
	int sig = server_tsig_check(t->srv, msg, mlen, now, &rr, &key, &ckey, &terr);
	size_t len;

	if (sig < 0) {
		if (terr == TSIG_NOERROR) {
			len = query_error_reply(&info->req, t->abuf, 65535, RCODE_FORMERR, t->q.edns_max);
		} else {
			len = query_error_reply(&info->req, t->abuf, 65535, RCODE_NOTAUTH, t->q.edns_max);
			if (len > 0 && tsig_sign_response(t->abuf, &len, 65535, &rr, key, terr, now) != 0)
				len = 0;
		}
		if (len > 0)
			conn_queue(c, t->abuf, len);
		return;
	}
	if (xfr_allowed(c, &info->zone->conf->allow_transfer, sig == 1 ? ckey : NULL)) {
		int rc = xfr_start(t->srv->store, info->zone, msg, mlen, &info->req,
		    sig == 1 ? key : NULL, sig == 1 ? &rr : NULL, &c->xfr);
		if (rc == 0) {
			log_info("zone %s: %s to client started", info->zone->name,
			    info->req.qtype == RR_AXFR ? "AXFR" : "IXFR");
			return;
		}
		log_err("zone %s: transfer failed: %s", info->zone->name, dnsd_strerror(rc));
		rcode = RCODE_SERVFAIL;
	} else {
		log_info("zone %s: transfer refused", info->zone->name);
	}
	len = query_error_reply(&info->req, t->abuf, 65535, rcode, t->q.edns_max);
	if (len > 0 && sig == 1 && tsig_sign_response(t->abuf, &len, 65535, &rr, key, 0, now) != 0)
		len = 0;
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
	}
}

/* Answer every complete message in the input buffer, in order. */
static void
conn_process(struct tcp_loop *t, struct tcp_conn *c, uint32_t now, bool *txn_open)
{
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
			struct reply_to to = { .fd = -1, .tcp_conn = c->id, .peerlen = c->peerlen };
			memcpy(&to.peer, &c->peer, c->peerlen);
			c->pending++;
			server_submit_update(t->srv, msg, mlen, &info.req, &to);
			continue;
		}
		if (info.action == QUERY_FORWARD) {
			struct reply_to to = { .fd = -1, .tcp_conn = c->id, .peerlen = c->peerlen };
			memcpy(&to.peer, &c->peer, c->peerlen);
			c->pending++;
			server_forward(t->srv, msg, mlen, &info, &to);
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
accept_all(struct tcp_loop *t, struct tcp_conn *l)
{
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &peerlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (t->nconns >= t->srv->conf->tcp_max) {
			close(fd); /* over the cap: refuse rather than starve others */
			continue;
		}
		struct tcp_conn *c = calloc(1, sizeof(*c));
		if (c != NULL)
			c->in = malloc(TCP_IN_MAX);
		if (c == NULL || c->in == NULL ||
		    (t->nconns == t->capconns &&
		        !(t->conns = realloc(t->conns, (t->capconns = t->capconns * 2 + 16) *
		                                           sizeof(*t->conns))))) {
			if (c)
				free(c->in);
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->peer = peer;
		c->peerlen = peerlen;
		c->id = ++t->next_id;
		c->last_ms = clock_mono_ms();
		t->conns[t->nconns++] = c;
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

static void
deliver_queued(struct tcp_loop *t)
{
	uint64_t v;
	ssize_t r = read(t->evfd, &v, sizeof(v));
	(void)r;
	pthread_mutex_lock(&t->mu);
	struct queued *q = t->queue;
	t->queue = NULL;
	pthread_mutex_unlock(&t->mu);
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
		for (size_t i = 0; i < t->nconns; i++) {
			struct tcp_conn *c = t->conns[i];
			if (c->id != q->conn || c->dead)
				continue;
			if (c->pending > 0)
				c->pending--;
			conn_queue(c, q->msg, q->len);
			conn_settle(t, c);
			break;
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
	c->last_ms = clock_mono_ms();
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

void
tcp_loop_drain(struct tcp_loop *t)
{
	if (t == NULL)
		return;
	deliver_queued(t);
	for (size_t i = 0; i < t->nconns; i++) {
		struct tcp_conn *c = t->conns[i];
		if (c->dead || c->outlen == c->outoff)
			continue;
		struct timeval tv = { 1, 0 };
		int fl = fcntl(c->fd, F_GETFL);
		if (fl >= 0)
			fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		conn_flush(c);
	}
}

void *
tcp_loop_run(void *arg)
{
	struct tcp_loop *t = arg;
	struct server *s = t->srv;
	struct epoll_event evs[64];

	if (store_read_begin(s->store, &t->q.txn) != 0) {
		log_err("tcp: cannot open a read transaction");
		s->stop = 1;
		return NULL;
	}
	store_read_reset(t->q.txn);
	while (!s->stop) {
		int n = epoll_wait(t->ep, evs, 64, 1000);
		uint32_t now = clock_now();
		bool txn_open = false;
		for (int i = 0; i < n; i++) {
			struct tcp_conn *c = evs[i].data.ptr;
			if (c == NULL)
				deliver_queued(t);
			else if (c->listener)
				accept_all(t, c);
			else
				conn_event(t, c, evs[i].events, now, &txn_open);
		}
		if (txn_open)
			store_read_reset(t->q.txn);
		/* Close idle connections (RFC 7766 section 6.2.3). */
		uint64_t ms = clock_mono_ms();
		for (size_t i = t->nconns; i-- > 0;) {
			struct tcp_conn *c = t->conns[i];
			if (c->pending == 0 && c->xfr == NULL && ms - c->last_ms > s->conf->tcp_idle_ms)
				conn_close(t, c);
		}
		conn_sweep(t);
	}
	store_abort(t->q.txn);
	t->q.txn = NULL;
	return NULL;
}
