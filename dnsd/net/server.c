/* server.c -- the only file that knows every module: it opens the store
 * and the zones, binds the sockets, starts the thread modules (writer,
 * notifier, forwarder, health checker, TCP loop, UDP workers, HTTP
 * listener, and in cluster mode the follower), wires their callbacks to
 * each other and takes the signals until SIGTERM/SIGINT: SIGHUP reloads
 * the configuration (reload() below).
 *
 * Module order (each may use only those before it; t_lint.sh checks):
 *   util < wire < tsig, node < conf, store < keyring < reply, zone
 *   < query < update, xfr < runtime < net/peer, net/sock
 *   < writer, notify, forward, check, cluster/follower, net/admit
 *   < net/udp, net/tcp, http < net/server
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check.h"
#include "cluster/follower.h"
#include "conf/conf.h"
#include "forward/forward.h"
#include "http/http.h"
#include "keyring/keyring.h"
#include "net/admit.h"
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
#include "util/sdnotify.h"
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
	int *http_fds;          /* per http-listen address (the listener takes them) */
	size_t nhttp;
	struct writer *writer;
	struct notifier *notifier;
	struct forwarder *forwarder;
	struct tcp_loop *tcp;
	struct udp_pool *udp;
	struct checker *checker; /* atomic: the writer's thread reads it */
	struct http *http;      /* atomic: the writer's thread reads it */
	struct follower *follower; /* cluster mode only */
	char *pid_file;         /* the one written at start, removed at exit */
	/* writer_set_runtime's answer, for the main thread that waits */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool switch_done;
	int switch_rc;
	struct admit *admit;    /* updates in flight per client */
	/* The generation admission checks updates against (publish swaps
	 * it; network threads take a reference under admit_mu). */
	pthread_mutex_t admit_mu;
	struct runtime *admit_rt;
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

/* The writer's replies: each ends an update in flight for its client. */
static void
send_writer_replies(void *ctx, const struct peer_msg *m, size_t n)
{
	struct server *s = ctx;
	for (size_t i = 0; i < n; i++)
		admit_release(s->admit, m[i].to);
	peer_send(m, n, send_tcp, ctx);
}

/*
 * An UPDATE, its TSIG checked by the network thread: admitted to the
 * writer's queue, or answered (or, unsigned over UDP when the queue or
 * the client's limit is full, dropped) at once without taking memory.
 */
static void
update_admit(struct server *s, const struct runtime *rt, const uint8_t *msg, size_t len,
    const struct query_req *req, const struct keyring_check *sig, const struct reply_to *to)
{
	struct stats_block *st = stats_thread();
	/* A replay of a signed update: over UDP most likely the client's own
	 * retransmission, whose original is answered anyway: no answer;
	 * over TCP, NOTAUTH (BADTIME). */
	struct keyring_check rsig;
	if (sig->status == KEYRING_VALID) {
		rsig = *sig;
		if (keyring_replayed(&rsig)) {
			if (to->fd >= 0)
				return;
			sig = &rsig;
		}
	}
	bool store_high = store_level(s->store) != STORE_OK;
	struct admit_req ar = { &rt->zones, store_high, msg, len, req, sig, to };
	uint16_t rcode = RCODE_SERVFAIL;
	const char *why = NULL;
	enum stats_counter counted = ST_UPDATES_ADMIT_REFUSED;

	if (admit_update(s->admit, &ar, &rcode, &why) == ADMIT_QUEUE) {
		if (!admit_take(s->admit, to)) {
			why = "too many updates in flight from this client (update-client-limit)";
			counted = ST_UPDATES_CLIENT_LIMIT;
		} else if (writer_submit(s->writer, msg, len, req, sig, to) == 0) {
			return;
		} else {
			admit_release(s->admit, to);
			why = "the update queue is full (update-queue)";
			counted = ST_UPDATES_QUEUE_FULL;
		}
		rcode = RCODE_SERVFAIL;
		/* An unsigned flood over UDP costs nothing more: no answer. */
		if (sig->status == KEYRING_UNSIGNED && to->fd >= 0)
			counted = ST_UPDATES_DROPPED;
	} else if (store_high && rcode == RCODE_REFUSED && sig->status != KEYRING_UNSIGNED) {
		counted = ST_UPDATES_STORE_HIGH;
	}
	stats_add(st, counted, 1);
	char addr[PEER_STR_MAX], key[128];
	const char *kname = sig->status == KEYRING_UNSIGNED ? "(unsigned)"
	    : sig->key != NULL                              ? sig->key->conf->name
	                                                    : "(unknown key)";
	peer_str(&to->peer, addr, sizeof(addr));
	snprintf(key, sizeof(key), "update %s %d", addr, (int)counted);
	log_limited(LOG_LVL_WARN, key, 60, "update from %s, key %s: %s: %s", addr, kname,
	    counted == ST_UPDATES_DROPPED ? "dropped" : "refused", why);
	if (counted == ST_UPDATES_DROPPED)
		return;
	uint8_t out[1024];
	size_t n = query_error_reply(req, out, sizeof(out), rcode, rt->conf->edns_max,
	    sig->status == KEYRING_UNSIGNED ? NULL : sig, clock_now());
	struct peer_msg m = { to, out, n };
	send_replies(s, &m, 1);
}

/* The network threads' hook for UPDATEs: update_admit under a reference
 * to the current generation (a reload may replace it meanwhile). */
static void
hand_update(void *ctx, const uint8_t *msg, size_t len, const struct query_req *req,
    const struct keyring_check *sig, const struct reply_to *to)
{
	struct server *s = ctx;
	pthread_mutex_lock(&s->admit_mu);
	struct runtime *rt = runtime_hold(s->admit_rt);
	pthread_mutex_unlock(&s->admit_mu);
	update_admit(s, rt, msg, len, req, sig, to);
	runtime_drop(rt);
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

/* Cluster mode: etcd's changes, from the follower to the writer. */
static void
mirror_deliver(void *ctx, struct mirror_batch *b)
{
	struct server *s = ctx;
	writer_submit_mirror(s->writer, b);
}

static void
zone_changed(void *ctx, const struct zone *z)
{
	struct server *s = ctx;
	notify_zone(s->notifier, z->id);
}

/* The catalog changed in a durable commit: every module that follows it
 * (the HTTP API's blocking queries wait for it). */
static void
catalog_changed(void *ctx, uint64_t index)
{
	struct server *s = ctx;
	check_catalog_changed(__atomic_load_n(&s->checker, __ATOMIC_ACQUIRE), index);
	http_catalog_changed(__atomic_load_n(&s->http, __ATOMIC_ACQUIRE), index);
}

/* The health checker's and the HTTP listener's changes go through the
 * writer like any other. */
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

/* From the writer: a new generation's zones are in the store; the other
 * modules switch to it, each at a point of its own choosing. */
static void
publish(void *ctx, struct runtime *rt)
{
	struct server *s = ctx;
	pthread_mutex_lock(&s->admit_mu);
	struct runtime *old = s->admit_rt;
	s->admit_rt = runtime_hold(rt);
	pthread_mutex_unlock(&s->admit_mu);
	runtime_drop(old);
	udp_set_runtime(s->udp, rt);
	tcp_set_runtime(s->tcp, rt);
	notify_set_runtime(s->notifier, rt);
	follower_set_runtime(s->follower, rt);
	struct checker *ck = __atomic_load_n(&s->checker, __ATOMIC_ACQUIRE);
	if (ck != NULL)
		check_set_runtime(ck, rt);
	http_set_runtime(__atomic_load_n(&s->http, __ATOMIC_ACQUIRE), rt);
}

/* From the writer: the switch is over; wake the main thread. */
static void
switched(void *ctx, struct runtime *rt, int rc)
{
	struct server *s = ctx;
	(void)rt;
	pthread_mutex_lock(&s->mu);
	s->switch_rc = rc;
	s->switch_done = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
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
	if ((s->http_fds = calloc(c->nhttp_listen + 1, sizeof(int))) == NULL)
		return -ENOMEM;
	s->nhttp = c->nhttp_listen;
	for (size_t l = 0; l < c->nhttp_listen; l++)
		s->http_fds[l] = -1;
	for (size_t l = 0; l < c->nhttp_listen; l++)
		if ((s->http_fds[l] = sock_open_tcp(&c->http_listen[l])) < 0)
			return s->http_fds[l];
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
	for (size_t i = 0; s->http_fds != NULL && i < s->nhttp; i++)
		if (s->http_fds[i] >= 0)
			close(s->http_fds[i]);
	free(s->http_fds);
	free(s->udp_fds);
	free(s->tcp_fds);
	free(s->pktinfo);
}

/* The pid file (dnsdctl reload reads it): "PID\n". A failure is only a
 * warning: dnsd serves without it. */
static void
pid_file_write(struct server *s, const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		log_warn("pid file %s: %s (dnsdctl reload will not find dnsd)", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	s->pid_file = strdup(path);
}

/* Remove the pid file if it is still ours. */
static void
pid_file_remove(struct server *s)
{
	char buf[32];
	FILE *f = s->pid_file != NULL ? fopen(s->pid_file, "r") : NULL;
	if (f != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL && atol(buf) == (long)getpid())
			unlink(s->pid_file);
		fclose(f);
	}
	free(s->pid_file);
	s->pid_file = NULL;
}

/*
 * Make the limits fit what the process may have (issue 17: with the fd
 * limit below tcp-max-connections, accept failed with EMFILE for every
 * connection over it):
 *  - file descriptors: one per TCP connection and per transfer spool, the
 *    sockets, the store and a margin. Raise the soft limit if the hard one
 *    allows, else lower tcp-max-connections and say so;
 *  - LMDB reader slots (STORE_READERS): one per UDP worker, the TCP loop,
 *    the writer, the notifier, a transfer while it is being made, and a
 *    reserve for dnsdctl and other readers. transfer-max is lowered to fit.
 */
#define FD_MARGIN 64
#define STORE_READERS 256
#define READERS_RESERVE 32
static void
fit_limits(struct conf *c)
{
	struct rlimit rl;
	uint64_t socks = (uint64_t)c->workers * c->nlisten + c->nlisten;
	uint64_t need = c->tcp_max + 2ULL * c->xfr_max + socks + FD_MARGIN;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < need) {
		rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		rlim_t old = rl.rlim_cur;
		rl.rlim_cur = want;
		if (want > old && setrlimit(RLIMIT_NOFILE, &rl) == 0)
			log_info("file descriptor limit raised from %llu to %llu",
			    (unsigned long long)old, (unsigned long long)want);
		else
			rl.rlim_cur = old;
		if (rl.rlim_cur < need) {
			uint64_t room = rl.rlim_cur > socks + FD_MARGIN + 2ULL * c->xfr_max
			    ? rl.rlim_cur - socks - FD_MARGIN - 2ULL * c->xfr_max : 1;
			log_warn("tcp-max-connections %u does not fit the file descriptor limit %llu "
			         "(hard limit %llu): lowered to %llu",
			    c->tcp_max, (unsigned long long)rl.rlim_cur,
			    (unsigned long long)rl.rlim_max, (unsigned long long)room);
			c->tcp_max = (unsigned)room;
		}
	}
	uint64_t fixed = (uint64_t)c->workers + 4 + READERS_RESERVE;
	if (c->xfr_max + fixed > STORE_READERS) {
		unsigned fit = fixed < STORE_READERS ? (unsigned)(STORE_READERS - fixed) : 1;
		log_warn("transfer-max %u would take the store's reader slots: lowered to %u",
		    c->xfr_max, fit);
		c->xfr_max = fit;
	}
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

/* The HTTP listener takes its sockets over, whether it starts or not. */
static int
start_http(struct server *s, const struct http_setup *hs)
{
	struct http *http = NULL;
	int rc = http_start(hs, &http);
	for (size_t i = 0; i < s->nhttp; i++)
		s->http_fds[i] = -1;
	__atomic_store_n(&s->http, http, __ATOMIC_RELEASE);
	return rc;
}

/* Cluster mode: follow etcd from where the writer's mirror stands. */
static int
follower_start_if(struct server *s, const struct conf *c)
{
	if (!c->cluster.on)
		return 0;
	struct follower_setup fs = { .conf = &c->cluster, .rt = s->rt,
		.start = writer_mirror_start(s->writer), .ctx = s, .deliver = mirror_deliver };
	return follower_start(&fs, &s->follower);
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
		.send = send_writer_replies, .zone_changed = zone_changed,
		.catalog_changed = catalog_changed, .publish = publish, .switched = switched,
		.queue_max = c->update_queue, .queue_bytes_max = c->update_queue_bytes,
		.cluster = c->cluster.on ? &c->cluster : NULL };
	struct http_setup hs = { .store = s->store, .rt = s->rt, .fds = s->http_fds,
		.nfds = c->nhttp_listen, .ctx = s, .submit = submit_op };
	struct tcp_setup ts = { .store = s->store, .rt = s->rt, .fds = s->tcp_fds,
		.nfds = s->nlisten, .spool_dir = c->store_dir, .hooks = hooks };
	struct udp_setup us = { .store = s->store, .rt = s->rt, .workers = s->workers,
		.nsocks = s->nlisten, .fds = s->udp_fds, .pktinfo = s->pktinfo,
		.answer_cache = c->answer_cache, .coalesce_us = c->udp_coalesce_us,
		.coalesce_rate = c->udp_coalesce_rate, .hooks = hooks };
	int rc;
	if ((s->admit = admit_new(c->update_client_max)) == NULL)
		return -ENOMEM;
	s->admit_rt = runtime_hold(s->rt);
	if ((rc = forward_start(&fs, &s->forwarder)) != 0 ||
	    (rc = notify_start(&ns, &s->notifier)) != 0 ||
	    (rc = writer_start(&ws, &s->writer)) != 0 ||
	    (rc = checker_start(s)) != 0 ||
	    (rc = follower_start_if(s, c)) != 0 ||
	    (rc = start_http(s, &hs)) != 0 ||
	    (rc = tcp_start(&ts, &s->tcp)) != 0 ||
	    (rc = udp_start(&us, &s->udp)) != 0)
		log_err("cannot start the server's threads: %s", dnsd_strerror(rc));
	return rc;
}

/* At the end: what the limits cut, if anything (the same counters feed the
 * metrics). */
static void
limits_report(void)
{
	struct stats_block sum;
	char line[1024];
	size_t n = 0;
	stats_sum(&sum);
	line[0] = '\0';
	for (int c = ST_LIMITS_FIRST; c <= ST_LIMITS_LAST && n < sizeof(line); c++)
		if (sum.c[c] != 0)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%llu",
			    stats_counter_name((enum stats_counter)c), (unsigned long long)sum.c[c]);
	if (n > 0)
		log_info("limits that bit:%s", line);
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
	http_stop(__atomic_exchange_n(&s->http, NULL, __ATOMIC_ACQ_REL)); /* before the writer:
	                                   * it waits for the writes it queued */
	follower_stop(s->follower);
	writer_stop(s->writer);
	notify_stop(s->notifier);
	forward_stop(s->forwarder);
	tcp_free(s->tcp);
	s->tcp = NULL;
	check_free(s->checker);
	s->checker = NULL;
	admit_free(s->admit);
	s->admit = NULL;
	runtime_drop(s->admit_rt);
	s->admit_rt = NULL;
	limits_report();
}

/* ---- reload ---- */

/* Is a zone with this apex in the table? */
static bool
zonetab_has(const struct zonetab *t, const uint8_t *apex)
{
	const struct zone *z = zonetab_find(t, apex);
	return z != NULL && wire_name_equal(z->apex, apex);
}

/* The zone files of zones new to the configuration parse (file:line
 * otherwise), so that a broken one refuses the reload before anything is
 * written. Files of the zones already served are re-imported by the
 * writer, which keeps a zone's previous data if its file is broken. */
static int
new_zone_files_ok(const struct runtime *cur, const struct conf *c)
{
	int rc = 0;
	for (size_t i = 0; i < c->nzones; i++) {
		const struct conf_zone *z = &c->zones[i];
		if (z->file != NULL && !zonetab_has(&cur->zones, z->apex) &&
		    zone_check_file(z->file, z->apex) != 0)
			rc = DNSD_ECONF;
	}
	return rc;
}

/* Say what a reload changes: zones and keys added and removed, and the
 * settings that only a restart applies. */
static void
reload_report(const struct runtime *cur, const struct runtime *next)
{
	const struct conf *a = cur->conf, *b = next->conf;
	const char *names[16];
	size_t n = conf_restart_changes(a, b, names, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		log_warn("reload: %s changed; it takes a restart, the running server keeps the old"
		         " value", names[i]);
	for (size_t i = 0; i < next->zones.n; i++)
		if (!zonetab_has(&cur->zones, next->zones.z[i].apex))
			log_info("reload: zone %s added", next->zones.z[i].name);
	for (size_t i = 0; i < cur->zones.n; i++)
		if (!zonetab_has(&next->zones, cur->zones.z[i].apex))
			log_info("reload: zone %s removed (no longer served; its data stays in the store)",
			    cur->zones.z[i].name);
	for (size_t i = 0; i < b->nkeys; i++) {
		const struct conf_key *old = conf_key_find(a, b->keys[i].name_wire);
		if (old == NULL)
			log_info("reload: key %s added", b->keys[i].name);
		else if (strcmp(old->secret, b->keys[i].secret) != 0 ||
		    tsig_alg_from_str(old->algorithm) != tsig_alg_from_str(b->keys[i].algorithm))
			log_info("reload: key %s changed", b->keys[i].name);
	}
	for (size_t i = 0; i < a->nkeys; i++)
		if (conf_key_find(b, a->keys[i].name_wire) == NULL)
			log_info("reload: key %s removed", a->keys[i].name);
}

/*
 * SIGHUP: build the configuration again and switch every module to it.
 * What a generation holds changes at once for new requests: keys, grants
 * and lease limits, zones added or removed, access lists, notify lists,
 * edns-max, TCP limits, forward-allow, the log level. (Later, also: HTTP
 * tokens and the services folder -- a new part of struct conf, built and
 * checked here like the rest, reaches its module through publish().)
 * Sockets, workers and the store stay as they are (reload_report names
 * what changed among them). A configuration that fails to load, a new
 * zone whose file is broken, or a generation the writer cannot open, is
 * refused, and the running one stays.
 */
static void
reload(struct server *s, const struct server_setup *setup)
{
	struct conf *c = NULL;
	struct runtime *rt = NULL;
	char status[128];
	int rc;

	sdnotify_reloading();
	if (setup->reload == NULL) {
		log_info("SIGHUP: re-importing changed zone files and services-dir");
		writer_request_reload(s->writer);
		http_services_reload(s->http);
		sdnotify_ready("serving");
		return;
	}
	log_info("SIGHUP: reading the configuration again");
	if ((rc = setup->reload(setup->arg, &c)) == 0)
		fit_limits(c); /* as at the start: the fd limit and the reader slots */
	if (rc == 0 && (rc = new_zone_files_ok(s->rt, c)) != 0) {
		conf_free(c);
		free(c);
	}
	if (rc == 0 && (rc = runtime_new(c, s->rt->generation + 1, &rt)) == 0) {
		reload_report(s->rt, rt);
		pthread_mutex_lock(&s->mu);
		s->switch_done = false;
		pthread_mutex_unlock(&s->mu);
		writer_set_runtime(s->writer, rt);
		pthread_mutex_lock(&s->mu);
		while (!s->switch_done)
			pthread_cond_wait(&s->cv, &s->mu);
		rc = s->switch_rc;
		pthread_mutex_unlock(&s->mu);
	}
	if (rc == 0) {
		runtime_drop(s->rt);
		s->rt = rt; /* our reference */
		log_set_level((enum log_level)rt->conf->log_level);
		log_info("reload: configuration generation %u: %zu zone%s, %zu key%s", rt->generation,
		    rt->zones.n, rt->zones.n == 1 ? "" : "s", rt->conf->nkeys,
		    rt->conf->nkeys == 1 ? "" : "s");
	} else {
		runtime_drop(rt);
		log_err("reload refused: still serving configuration generation %u", s->rt->generation);
	}
	/* The definition files, with the services-dir of the generation now
	 * served (the listener took it over in publish()). */
	http_services_reload(s->http);
	snprintf(status, sizeof(status), "serving %zu zone%s (configuration generation %u)",
	    s->rt->zones.n, s->rt->zones.n == 1 ? "" : "s", s->rt->generation);
	sdnotify_ready(status);
}

int
server_main(const struct server_setup *setup)
{
	struct server s = { 0 };
	struct conf *c = setup->conf;
	sigset_t sigs;
	char status[128];
	int rc, status_code = 1;

	pthread_mutex_init(&s.mu, NULL);
	pthread_mutex_init(&s.admit_mu, NULL);
	pthread_cond_init(&s.cv, NULL);
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
		goto out;
	}
	store_set_high_water(s.store, c->store_high_water);
	fit_limits(c);
	if ((rc = runtime_new(c, 1, &s.rt)) != 0)
		goto out;
	c = s.rt->conf;
	if ((rc = zone_open_all(s.store, &s.rt->zones, false, clock_now())) != 0) {
		log_err("not starting: a zone could not be loaded");
		goto out;
	}
	if ((rc = sockets_open(&s, c)) != 0 || (rc = drop_privileges(c->user)) != 0)
		goto out;
	pid_file_write(&s, c->pid_file);
	if ((rc = modules_start(&s)) != 0)
		goto stop;
	snprintf(status, sizeof(status), "serving %zu zone%s on %zu address%s with %u worker%s",
	    s.rt->zones.n, s.rt->zones.n == 1 ? "" : "s", c->nlisten, c->nlisten == 1 ? "" : "es",
	    c->workers, c->workers == 1 ? "" : "s");
	log_info("%s", status);
	sdnotify_ready(status);

	for (;;) {
		int sig = sigwaitinfo(&sigs, NULL);
		if (sig == SIGINT || sig == SIGTERM) {
			log_info("signal %d: shutting down", sig);
			sdnotify_stopping();
			break;
		}
		if (sig == SIGHUP)
			reload(&s, setup);
	}
	status_code = 0;
stop:
	modules_stop(&s);
out:
	sockets_close(&s);
	pid_file_remove(&s);
	runtime_drop(s.rt);
	store_close(s.store);
	pthread_mutex_destroy(&s.mu);
	pthread_mutex_destroy(&s.admit_mu);
	pthread_cond_destroy(&s.cv);
	return status_code;
}
