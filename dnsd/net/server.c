/* server.c -- the only file that knows every module: it opens the store
 * and the zones, binds the sockets, starts the thread modules (writer,
 * notifier, forwarder, health checker, TCP loop, UDP workers), wires
 * their callbacks to each other and takes the signals until SIGTERM/SIGINT.
 *
 * Module order (each may use only those before it; t_lint.sh checks):
 *   util < wire < tsig, node < conf, store < keyring < reply, zone
 *   < query < update, xfr < runtime < net/peer, net/sock
 *   < writer, notify, forward, check < net/udp, net/tcp < net/server
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check.h"
#include "conf/conf.h"
#include "forward/forward.h"
#include "net/peer.h"
#include "net/server.h"
#include "net/sock.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "notify/notify.h"
#include "query/query.h"
#include "runtime/runtime.h"
#include "stats/stats.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "writer/writer.h"
#include "zone/zone.h"

/* Private: the threads see only their setup structs and callbacks. */
struct server {
	struct store *store;
	struct runtime *rt;     /* the current generation */
	size_t nlisten;
	unsigned workers;
	int *udp_fds;           /* workers x nlisten */
	bool *pktinfo;          /* per listen address */
	int *tcp_fds;           /* per listen address */
	struct writer *writer;
	struct notifier *notifier;
	struct forwarder *forwarder;
	struct tcp_loop *tcp;
	struct udp_pool *udp;
	struct checker *checker; /* atomic: the writer's thread reads it */
};

/* ---- callbacks: how the modules reach each other ---- */

static void
send_tcp(void *ctx, uint64_t conn, const uint8_t *msg, size_t len)
{
	struct server *s = ctx;
	if (s->tcp != NULL)
		tcp_send(s->tcp, conn, msg, len);
}

/* Replies from the writer and the forwarder. */
static void
send_replies(void *ctx, const struct peer_msg *m, size_t n)
{
	peer_send(m, n, send_tcp, ctx);
}

static void
hand_update(void *ctx, const uint8_t *msg, size_t len, const struct query_req *req,
    const struct keyring_check *sig, const struct reply_to *to)
{
	struct server *s = ctx;
	writer_submit(s->writer, msg, len, req, sig, to);
}

/* Relay a query for a name outside the zones if the client may use the
 * forwarder (forward-allow); otherwise answer REFUSED. */
static void
hand_forward(void *ctx, const struct conf *c, const uint8_t *msg, size_t len,
    const struct query_info *info, const struct reply_to *to)
{
	struct server *s = ctx;
	if (s->forwarder != NULL && peer_in_acl(&c->forward_allow, to)) {
		forward_submit(s->forwarder, msg, len, info->limit, to);
		return;
	}
	uint8_t out[512];
	size_t n = query_error_reply(&info->req, out, sizeof(out), RCODE_REFUSED, c->edns_max, NULL, 0);
	struct peer_msg m = { to, out, n };
	send_replies(s, &m, 1);
}

/* A thread cannot go on: stop as SIGTERM would (the main thread takes it). */
static void
fail(void *ctx)
{
	(void)ctx;
	kill(getpid(), SIGTERM);
}

static void
zone_changed(void *ctx, const struct zone *z)
{
	struct server *s = ctx;
	notify_zone(s->notifier, z->id);
}

/* The catalog changed in a durable commit: every module that follows it. */
static void
catalog_changed(void *ctx, uint64_t index)
{
	struct server *s = ctx;
	check_catalog_changed(__atomic_load_n(&s->checker, __ATOMIC_ACQUIRE), index);
}

/* The health checker's changes go through the writer like any other. */
static void
submit_op(void *ctx, const struct svc_op *op, check_op_done done, void *arg)
{
	struct server *s = ctx;
	writer_submit_op(s->writer, op, done, arg);
}

static int
checker_start(struct server *s)
{
	struct check_setup cs = { .store = s->store, .rt = s->rt, .ctx = s, .submit = submit_op,
		.stats = stats_block_new() };
	struct checker *c;
	int rc = check_start(&cs, &c);
	if (rc == 0)
		__atomic_store_n(&s->checker, c, __ATOMIC_RELEASE);
	return rc;
}

/* ---- start-up ---- */

static int
sockets_open(struct server *s, const struct conf *c)
{
	s->nlisten = c->nlisten;
	s->workers = c->workers;
	s->udp_fds = calloc((size_t)c->workers * c->nlisten + 1, sizeof(int));
	s->tcp_fds = calloc(c->nlisten + 1, sizeof(int));
	s->pktinfo = calloc(c->nlisten + 1, sizeof(bool));
	if (s->udp_fds == NULL || s->tcp_fds == NULL || s->pktinfo == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < (size_t)c->workers * c->nlisten; i++)
		s->udp_fds[i] = -1;
	for (size_t l = 0; l < c->nlisten; l++) {
		s->tcp_fds[l] = -1;
		s->pktinfo[l] = sock_addr_wildcard(&c->listen[l]);
	}
	for (unsigned w = 0; w < c->workers; w++) {
		for (size_t l = 0; l < c->nlisten; l++) {
			int fd = sock_open_udp(&c->listen[l]);
			if (fd < 0)
				return fd;
			s->udp_fds[w * c->nlisten + l] = fd;
		}
	}
	for (size_t l = 0; l < c->nlisten; l++) {
		int fd = sock_open_tcp(&c->listen[l]);
		if (fd < 0)
			return fd;
		s->tcp_fds[l] = fd;
	}
	return 0;
}

static void
sockets_close(struct server *s)
{
	for (size_t i = 0; s->udp_fds != NULL && i < (size_t)s->workers * s->nlisten; i++)
		if (s->udp_fds[i] >= 0)
			close(s->udp_fds[i]);
	for (size_t i = 0; s->tcp_fds != NULL && i < s->nlisten; i++)
		if (s->tcp_fds[i] >= 0)
			close(s->tcp_fds[i]);
	free(s->udp_fds);
	free(s->tcp_fds);
	free(s->pktinfo);
}

/* After binding (port 53 needs root) and opening the store: run as `user`. */
static int
drop_privileges(const char *user)
{
	if (user == NULL)
		return 0;
	if (geteuid() != 0) {
		log_warn("user %s: not started as root, staying who we are", user);
		return 0;
	}
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		log_err("user %s: no such user", user);
		return DNSD_ECONF;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		log_err("cannot switch to user %s: %s", user, strerror(errno));
		return -errno;
	}
	log_info("running as user %s", user);
	return 0;
}

/* Start every thread module, each with what it needs and no more. */
static int
modules_start(struct server *s)
{
	const struct conf *c = s->rt->conf;
	struct net_hooks hooks = { .ctx = s, .update = hand_update, .forward = hand_forward,
		.fatal = fail };
	struct forward_setup fs = { .servers = c->forward, .nservers = c->nforward,
		.edns_max = c->edns_max, .ctx = s, .send = send_replies };
	struct notify_setup ns = { .store = s->store, .rt = s->rt };
	struct writer_setup ws = { .store = s->store, .rt = s->rt, .ctx = s,
		.send = send_replies, .zone_changed = zone_changed,
		.catalog_changed = catalog_changed };
	struct tcp_setup ts = { .store = s->store, .rt = s->rt, .fds = s->tcp_fds,
		.nfds = s->nlisten, .hooks = hooks };
	struct udp_setup us = { .store = s->store, .rt = s->rt, .workers = s->workers,
		.nsocks = s->nlisten, .fds = s->udp_fds, .pktinfo = s->pktinfo,
		.answer_cache = c->answer_cache, .coalesce_us = c->udp_coalesce_us,
		.coalesce_rate = c->udp_coalesce_rate, .hooks = hooks };
	int rc;
	if ((rc = forward_start(&fs, &s->forwarder)) != 0 ||
	    (rc = notify_start(&ns, &s->notifier)) != 0 ||
	    (rc = writer_start(&ws, &s->writer)) != 0 ||
	    (rc = checker_start(s)) != 0 ||
	    (rc = tcp_start(&ts, &s->tcp)) != 0 ||
	    (rc = udp_start(&us, &s->udp)) != 0)
		log_err("cannot start the server's threads: %s", dnsd_strerror(rc));
	return rc;
}

/* Stop in an order that loses nothing: no thread takes requests any more,
 * then queued updates are committed and answered, and the answers owed to
 * TCP clients are sent, before the exit. */
static void
modules_stop(struct server *s)
{
	udp_stop(s->udp);
	tcp_stop(s->tcp);
	check_stop(s->checker); /* no more ops; the writer still calls back */
	writer_stop(s->writer);
	notify_stop(s->notifier);
	forward_stop(s->forwarder);
	tcp_free(s->tcp);
	s->tcp = NULL;
	check_free(s->checker);
	s->checker = NULL;
}

int
server_main(struct conf *c)
{
	struct server s = { 0 };
	sigset_t sigs;
	int rc, status = 1;

	/* Threads inherit this mask; only the main thread takes signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((rc = store_open(&s.store, c->store_dir, c->store_size)) != 0) {
		log_err("cannot open the store in %s: %s", c->store_dir, dnsd_strerror(rc));
		conf_free(c);
		free(c);
		return 1;
	}
	if ((rc = runtime_new(c, 1, &s.rt)) != 0)
		goto out;
	c = s.rt->conf;
	if ((rc = zone_open_all(s.store, &s.rt->zones, false, clock_now())) != 0) {
		log_err("not starting: a zone could not be loaded");
		goto out;
	}
	if ((rc = sockets_open(&s, c)) != 0 || (rc = drop_privileges(c->user)) != 0)
		goto out;
	if ((rc = modules_start(&s)) != 0)
		goto stop;
	log_info("serving %zu zone%s on %zu address%s with %u worker%s", s.rt->zones.n,
	    s.rt->zones.n == 1 ? "" : "s", c->nlisten, c->nlisten == 1 ? "" : "es", c->workers,
	    c->workers == 1 ? "" : "s");

	for (;;) {
		int sig = sigwaitinfo(&sigs, NULL);
		if (sig == SIGINT || sig == SIGTERM) {
			log_info("signal %d: shutting down", sig);
			break;
		}
		if (sig == SIGHUP) {
			log_info("SIGHUP: reloading changed zone files");
			writer_request_reload(s.writer);
		}
	}
	status = 0;
stop:
	modules_stop(&s);
out:
	sockets_close(&s);
	runtime_drop(s.rt);
	store_close(s.store);
	return status;
}
