/* server.c -- start-up, threads and signals: the store and zones are
 * opened, sockets bound, then UDP workers, the TCP loop and the writer run
 * until SIGTERM/SIGINT. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "net/net.h"
#include "query/query.h"
#include "store/store.h"
#include "tsig/tsig.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "forward/forward.h"
#include "notify/notify.h"
#include "writer/writer.h"

bool
net_addr_wildcard(const struct conf_addr *a)
{
	static const uint8_t zero[16];
	return memcmp(a->addr, zero, a->family == AF_INET ? 4 : 16) == 0;
}

size_t
net_reply_ctl(struct msghdr *in, union net_ctl *out)
{
	struct cmsghdr *h = &out->align;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c != NULL; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo got, send = { 0 };
			memcpy(&got, CMSG_DATA(c), sizeof(got));
			send.ipi_spec_dst = got.ipi_addr; /* the source; any interface */
			h->cmsg_level = IPPROTO_IP;
			h->cmsg_type = IP_PKTINFO;
			h->cmsg_len = CMSG_LEN(sizeof(send));
			memcpy(CMSG_DATA(h), &send, sizeof(send));
			return CMSG_SPACE(sizeof(send));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			/* Address and interface as received (link-local needs both). */
			h->cmsg_level = IPPROTO_IPV6;
			h->cmsg_type = IPV6_PKTINFO;
			h->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(h), CMSG_DATA(c), sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

static int
open_socket(const struct conf_addr *a, int type, bool reuseport)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char txt[INET6_ADDRSTRLEN];
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->addr, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->addr, 16);
		sl = sizeof(*sin6);
	}
	inet_ntop(a->family, a->addr, txt, sizeof(txt));
	int fd = socket(a->family, type | SOCK_CLOEXEC | (type == SOCK_STREAM ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		log_err("socket for %s: %s", txt, strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (a->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		int sz = 4 * 1024 * 1024;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		/* No path MTU discovery for UDP answers (as NSD and Knot): a
		 * forged ICMP "fragmentation needed" must not make the kernel
		 * fragment answers to a victim, which helps spoofed fragments
		 * poison its cache. Answers fit edns-max, 1232 by default. */
#if defined(IP_MTU_DISCOVER) && defined(IP_PMTUDISC_OMIT)
		int omit = IP_PMTUDISC_OMIT;
		if (a->family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof(omit));
#endif
#if defined(IPV6_MTU_DISCOVER) && defined(IPV6_PMTUDISC_OMIT)
		int omit6 = IPV6_PMTUDISC_OMIT;
		if (a->family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit6, sizeof(omit6));
#endif
		/* Bound to every address: learn each query's destination, so
		 * that the answer leaves from it (else the routing table picks
		 * the source, and the client drops an answer from elsewhere). */
		if (net_addr_wildcard(a) &&
		    (a->family == AF_INET
		            ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
		            : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))) != 0) {
			int e = errno;
			log_err("cannot ask for destination addresses on %s: %s", txt, strerror(e));
			close(fd);
			return -e;
		}
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		int e = errno;
		log_err("cannot bind %s %s port %u: %s", type == SOCK_DGRAM ? "UDP" : "TCP", txt,
		    a->port, strerror(e));
		close(fd);
		return -e;
	}
	if (type == SOCK_STREAM && listen(fd, 1024) != 0) {
		int e = errno;
		log_err("cannot listen on %s port %u: %s", txt, a->port, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int
net_open(struct server *s)
{
	const struct conf *c = s->conf;
	s->nudp = (size_t)c->workers * c->nlisten;
	s->udp_fds = calloc(s->nudp, sizeof(int));
	s->ntcp = c->nlisten;
	s->tcp_fds = calloc(s->ntcp, sizeof(int));
	if (s->udp_fds == NULL || s->tcp_fds == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->nudp; i++)
		s->udp_fds[i] = -1;
	for (size_t i = 0; i < s->ntcp; i++)
		s->tcp_fds[i] = -1;
	for (unsigned w = 0; w < c->workers; w++) {
		for (size_t l = 0; l < c->nlisten; l++) {
			int fd = open_socket(&c->listen[l], SOCK_DGRAM, true);
			if (fd < 0)
				return fd;
			s->udp_fds[w * c->nlisten + l] = fd;
		}
	}
	for (size_t l = 0; l < c->nlisten; l++) {
		int fd = open_socket(&c->listen[l], SOCK_STREAM, false);
		if (fd < 0)
			return fd;
		s->tcp_fds[l] = fd;
	}
	return 0;
}

void
net_close(struct server *s)
{
	for (size_t i = 0; s->udp_fds != NULL && i < s->nudp; i++)
		if (s->udp_fds[i] >= 0)
			close(s->udp_fds[i]);
	for (size_t i = 0; s->tcp_fds != NULL && i < s->ntcp; i++)
		if (s->tcp_fds[i] >= 0)
			close(s->tcp_fds[i]);
	free(s->udp_fds);
	free(s->tcp_fds);
	s->udp_fds = s->tcp_fds = NULL;
}

void
server_reply(struct server *s, const struct reply_to *to, const uint8_t *msg, size_t len)
{
	if (to->fd >= 0) {
		struct iovec iov = { (void *)msg, len };
		struct msghdr m = { .msg_name = (void *)&to->peer, .msg_namelen = to->peerlen,
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = to->ctl_len ? (void *)to->ctl.buf : NULL,
			.msg_controllen = to->ctl_len };
		while (sendmsg(to->fd, &m, 0) < 0 && errno == EINTR)
			;
	} else if (s->tcp != NULL) {
		tcp_loop_send(s->tcp, to->tcp_conn, msg, len);
	}
}

int
server_tsig_check(struct server *s, const uint8_t *msg, size_t len, uint32_t now,
    struct tsig_rr *rr, const struct tsig_key **key, const struct conf_key **ckey,
    uint16_t *tsig_error)
{
	*key = NULL;
	*ckey = NULL;
	*tsig_error = TSIG_NOERROR;
	int found = tsig_find(msg, len, rr);
	if (found <= 0)
		return found == 0 ? 0 : -1;
	const struct conf_key *ck = conf_key_find(s->conf, rr->key_name);
	const struct tsig_key *k = ck ? &s->keys[ck - s->conf->keys] : NULL;
	if (k != NULL && k->alg != tsig_alg_from_wire(rr->alg_name))
		k = NULL; /* same name, other algorithm: BADKEY */
	*key = k;
	*ckey = ck;
	if (tsig_verify(msg, len, rr, k, now, tsig_error) != 0)
		return -1;
	return 1;
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

/* Decode every configured key once, for the writer and transfers. */
static int
keys_load(struct server *s)
{
	s->keys = calloc(s->conf->nkeys + 1, sizeof(*s->keys));
	if (s->keys == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->conf->nkeys; i++) {
		const struct conf_key *k = &s->conf->keys[i];
		if (tsig_key_init(&s->keys[i], k->name, k->algorithm, k->secret) != 0) {
			log_err("key %s: unusable (algorithm %s, or secret not base64)", k->name,
			    k->algorithm);
			return DNSD_ECONF;
		}
	}
	return 0;
}

/* Is this peer in the access list? */
static bool
peer_in(const struct conf_acl *acl, const struct reply_to *to)
{
	if (to->peer.ss_family == AF_INET)
		return conf_acl_match_addr(acl, AF_INET,
		    (const uint8_t *)&((const struct sockaddr_in *)&to->peer)->sin_addr);
	if (to->peer.ss_family == AF_INET6)
		return conf_acl_match_addr(acl, AF_INET6,
		    (const uint8_t *)&((const struct sockaddr_in6 *)&to->peer)->sin6_addr);
	return false;
}

void
server_forward(struct server *s, const uint8_t *msg, size_t len, const struct query_info *info,
    const struct reply_to *to)
{
	if (s->forwarder != NULL && peer_in(&s->conf->forward_allow, to)) {
		forward_submit(s->forwarder, msg, len, info->limit, to);
		return;
	}
	uint8_t out[512];
	size_t n = query_error_reply(&info->req, out, sizeof(out), RCODE_REFUSED, s->conf->edns_max);
	if (n > 0)
		server_reply(s, to, out, n);
}

void
server_zone_changed(struct server *s, const struct zone *z)
{
	notify_zone(s->notifier, z);
}

void
server_submit_update(struct server *s, const uint8_t *msg, size_t len,
    const struct query_req *req, const struct reply_to *to)
{
	writer_submit(s->writer, msg, len, req, to);
}

int
server_main(struct conf *c)
{
	struct server s = { .conf = c };
	struct udp_worker *workers = NULL;
	pthread_t tcp_thread;
	bool tcp_started = false;
	sigset_t sigs;
	int rc, status = 1;

	/* Workers inherit this mask; only the main thread takes signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if ((rc = store_open(&s.store, c->store_dir, c->store_size)) != 0) {
		log_err("cannot open the store in %s: %s", c->store_dir, dnsd_strerror(rc));
		return 1;
	}
	if ((rc = zonetab_build(&s.zones, c)) != 0 ||
	    (rc = zone_open_all(s.store, &s.zones, false, clock_now())) != 0) {
		log_err("not starting: a zone could not be loaded");
		goto out;
	}
	if ((rc = keys_load(&s)) != 0)
		goto out;
	if ((rc = net_open(&s)) != 0 || (rc = drop_privileges(c->user)) != 0)
		goto out;
	if ((rc = forward_start(&s, &s.forwarder)) != 0 ||
	    (rc = notify_start(&s, &s.notifier)) != 0 ||
	    (rc = writer_start(&s, &s.writer)) != 0)
		goto out;
	if ((rc = tcp_loop_new(&s, &s.tcp)) != 0)
		goto out;
	workers = calloc(c->workers, sizeof(*workers));
	if (workers == NULL)
		goto out;
	for (unsigned i = 0; i < c->workers; i++) {
		workers[i].srv = &s;
		workers[i].index = i;
		if (pthread_create(&workers[i].thread, NULL, udp_worker_run, &workers[i]) != 0) {
			log_err("cannot start worker threads");
			s.stop = 1;
			c->workers = i;
			goto join;
		}
	}
	if (pthread_create(&tcp_thread, NULL, tcp_loop_run, s.tcp) != 0) {
		log_err("cannot start the TCP thread");
		s.stop = 1;
		goto join;
	}
	tcp_started = true;
	log_info("serving %zu zone%s on %zu address%s with %u worker%s", s.zones.n,
	    s.zones.n == 1 ? "" : "s", c->nlisten, c->nlisten == 1 ? "" : "es", c->workers,
	    c->workers == 1 ? "" : "s");

	while (!s.stop) {
		struct timespec ts = { 1, 0 };
		int sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM) {
			log_info("signal %d: shutting down", sig);
			s.stop = 1;
		} else if (sig == SIGHUP) {
			log_info("SIGHUP: reloading changed zone files");
			writer_request_reload(s.writer);
		}
	}
	status = 0;
join:
	for (unsigned i = 0; i < c->workers; i++)
		if (workers[i].thread)
			pthread_join(workers[i].thread, NULL);
	if (tcp_started) {
		tcp_loop_wake(s.tcp);
		pthread_join(tcp_thread, NULL);
	}
out:
	/* No thread takes requests any more: queued updates are committed and
	 * answered, and the answers owed to TCP clients are sent, before the
	 * exit. */
	writer_stop(s.writer);
	notify_stop(s.notifier);
	forward_stop(s.forwarder);
	tcp_loop_drain(s.tcp);
	free(workers);
	tcp_loop_free(s.tcp);
	net_close(&s);
	zonetab_free(&s.zones);
	store_close(s.store);
	if (s.keys != NULL)
		memset(s.keys, 0, c->nkeys * sizeof(*s.keys));
	free(s.keys);
	return status;
}
