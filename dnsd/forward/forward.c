/* forward.c -- the forwarder thread: a c-ares channel fed from a queue
 *
 * Workers hand over the query bytes; this thread sends them upstream with
 * ares_send (which picks its own ID and fails over between servers), and
 * the callback restores the client's ID and replies. A slow upstream only
 * ever delays its own clients.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "conf/conf.h"
#include "forward/forward.h"
#include "net/peer.h"
#include "query/query.h"
#include "stats/stats.h"
#include "util/log.h"

#define FORWARD_PENDING_MAX 10000 /* beyond this, queries get SERVFAIL */
#define FORWARD_QUEUE_MAX 10000   /* handed over, not sent yet; beyond: dropped */

struct fjob {
	struct fjob *next;
	struct forwarder *f;
	struct reply_to to;
	uint16_t id;
	size_t limit;
	size_t len;
	uint8_t msg[];
};

struct forwarder {
	uint16_t edns_max;
	void *ctx;
	void (*send)(void *ctx, const struct peer_msg *m, size_t n);
	ares_channel ch;
	pthread_t thread;
	pthread_mutex_t mu;
	struct fjob *queue;
	unsigned queued;           /* jobs in queue (mu) */
	unsigned pending;
	struct stats_block *st;    /* the forwarder thread's */
	int evfd;
	bool stop;
};

static void
reply(struct forwarder *f, struct fjob *j, const uint8_t *msg, size_t len)
{
	struct peer_msg m = { &j->to, msg, len };
	f->send(f->ctx, &m, 1);
}

static void
reply_servfail(struct forwarder *f, struct fjob *j)
{
	struct query_req r;
	uint8_t out[512];
	if (query_parse(j->msg, j->len, &r, NULL) != 0)
		return;
	size_t n = query_error_reply(&r, out, sizeof(out), RCODE_SERVFAIL, f->edns_max, NULL, 0);
	if (n > 0)
		reply(f, j, out, n);
}

static void
answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct fjob *j = arg;
	struct forwarder *f = j->f;
	(void)timeouts;
	f->pending--;
	if (status != ARES_SUCCESS || abuf == NULL || alen < WIRE_HDR_LEN) {
		if (status != ARES_EDESTRUCTION) {
			stats_add(f->st, ST_FORWARD_FAILED, 1);
			reply_servfail(f, j);
		}
		free(j);
		return;
	}
	stats_add(f->st, ST_FORWARDED, 1);
	wire_put16(abuf, j->id);
	if ((size_t)alen > j->limit) {
		/* Too big for the client's UDP buffer: header and question
		 * with TC=1, so it retries over TCP. */
		struct query_req r;
		uint8_t out[512];
		if (query_parse(j->msg, j->len, &r, NULL) == 0) {
			size_t n = query_error_reply(&r, out, sizeof(out), WIRE_RCODE(wire_get16(abuf + 2)),
			    f->edns_max, NULL, 0);
			if (n > 0) {
				out[2] |= (WIRE_TC | WIRE_RA) >> 8;
				out[3] |= WIRE_RA & 0xff;
				reply(f, j, out, n);
			}
		}
	} else {
		reply(f, j, abuf, (size_t)alen);
	}
	free(j);
}

void
forward_submit(struct forwarder *f, const uint8_t *msg, size_t len, size_t limit,
    const struct reply_to *to)
{
	/* Bounded before memory is taken: a flood the thread cannot keep up
	 * with is dropped here (the clients retry). Workers that check at
	 * once may each add one more. */
	pthread_mutex_lock(&f->mu);
	bool full = f->queued >= FORWARD_QUEUE_MAX;
	pthread_mutex_unlock(&f->mu);
	struct fjob *j = full ? NULL : malloc(sizeof(*j) + len);
	if (j == NULL) {
		stats_add(stats_thread(), ST_FORWARD_FAILED, 1);
		return;
	}
	j->f = f;
	j->to = *to;
	j->id = wire_get16(msg);
	j->limit = limit;
	j->len = len;
	memcpy(j->msg, msg, len);
	pthread_mutex_lock(&f->mu);
	j->next = f->queue;
	f->queue = j;
	f->queued++;
	pthread_mutex_unlock(&f->mu);
	uint64_t one = 1;
	ssize_t r = write(f->evfd, &one, sizeof(one));
	(void)r;
}

static void *
forward_run(void *arg)
{
	struct forwarder *f = arg;
	f->st = stats_block_new();
	for (;;) {
		pthread_mutex_lock(&f->mu);
		struct fjob *q = f->queue;
		bool stop = f->stop;
		f->queue = NULL;
		f->queued = 0;
		pthread_mutex_unlock(&f->mu);
		if (stop) {
			while (q != NULL) {
				struct fjob *n = q->next;
				free(q);
				q = n;
			}
			break;
		}
		while (q != NULL) {
			struct fjob *n = q->next;
			if (f->pending >= FORWARD_PENDING_MAX) {
				stats_add(f->st, ST_FORWARD_FAILED, 1);
				reply_servfail(f, q);
				free(q);
			} else {
				f->pending++;
				ares_send(f->ch, q->msg, (int)q->len, answered, q);
			}
			q = n;
		}

		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pfd[ARES_GETSOCK_MAXNUM + 1];
		int bits = ares_getsock(f->ch, socks, ARES_GETSOCK_MAXNUM), n = 0;
		pfd[n++] = (struct pollfd){ f->evfd, POLLIN, 0 };
		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			/* (c-ares' own macros shift a signed 1 into the sign bit) */
			unsigned ubits = (unsigned)bits;
			short ev = 0;
			if (ubits & (1u << i))
				ev |= POLLIN;
			if (ubits & (1u << (i + ARES_GETSOCK_MAXNUM)))
				ev |= POLLOUT;
			if (ev)
				pfd[n++] = (struct pollfd){ socks[i], ev, 0 };
		}
		/* Sleep until c-ares' next timeout, or until woken (NULL: no
		 * query is waiting for an answer). */
		struct timeval tv, *tvp = ares_timeout(f->ch, NULL, &tv);
		int ms = tvp == NULL ? -1 : (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
		int r = poll(pfd, (nfds_t)n, ms);
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			uint64_t v;
			ssize_t rr = read(f->evfd, &v, sizeof(v));
			(void)rr;
		}
		for (int i = 1; i < n; i++) {
			ares_socket_t rs = (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD;
			ares_socket_t ws = (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD;
			if (rs != ARES_SOCKET_BAD || ws != ARES_SOCKET_BAD)
				ares_process_fd(f->ch, rs, ws);
		}
		ares_process_fd(f->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
	}
	return NULL;
}

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;

static void
ares_init_once(void)
{
	ares_library_init(ARES_LIB_INIT_ALL);
}

int
forward_start(const struct forward_setup *s, struct forwarder **out)
{
	*out = NULL;
	if (s->nservers == 0)
		return 0;
	struct forwarder *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	f->edns_max = s->edns_max;
	f->ctx = s->ctx;
	f->send = s->send;
	pthread_once(&ares_once, ares_init_once);

	struct ares_options o = { 0 };
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.timeout = 1000; /* ms per try with ARES_OPT_TIMEOUTMS */
	o.tries = 2;
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	if (ares_init_options(&f->ch, &o, mask) != ARES_SUCCESS) {
		free(f);
		return -ENOMEM;
	}
	char csv[4096] = "";
	size_t o2 = 0;
	for (size_t i = 0; i < s->nservers; i++) {
		const struct conf_addr *sv = &s->servers[i];
		char a[INET6_ADDRSTRLEN];
		inet_ntop(sv->family, sv->addr, a, sizeof(a));
		o2 += (size_t)snprintf(csv + o2, sizeof(csv) - o2, "%s%s%s%s:%u", i ? "," : "",
		    sv->family == AF_INET6 ? "[" : "", a, sv->family == AF_INET6 ? "]" : "", sv->port);
		if (o2 >= sizeof(csv))
			break;
	}
	if (ares_set_servers_ports_csv(f->ch, csv) != ARES_SUCCESS) {
		log_err("forward: bad server list %s", csv);
		ares_destroy(f->ch);
		free(f);
		return -EINVAL;
	}
	/* Servers are tried in the order given, not rotated. */
	f->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&f->mu, NULL);
	if (f->evfd < 0 || pthread_create(&f->thread, NULL, forward_run, f) != 0) {
		if (f->evfd >= 0)
			close(f->evfd);
		ares_destroy(f->ch);
		pthread_mutex_destroy(&f->mu);
		free(f);
		return -EAGAIN;
	}
	log_info("forwarding names outside the zones to %s", csv);
	*out = f;
	return 0;
}

void
forward_stop(struct forwarder *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_mutex_unlock(&f->mu);
	uint64_t one = 1;
	ssize_t r = write(f->evfd, &one, sizeof(one));
	(void)r;
	pthread_join(f->thread, NULL);
	ares_destroy(f->ch); /* callbacks run with ARES_EDESTRUCTION and free their jobs */
	close(f->evfd);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
