/* client.c -- the client context: c-ares channel, event loop, request life cycle */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ares.h>

#include "client-internal.h"

struct dnsd_client {
	ares_channel ch;
	int own;                /* we created ch and destroy it */
	int timeout_ms;
	dnsd_rand_fn rnd;
	void *rnd_arg;
	char **domains;         /* NULL-terminated */
	struct client_req *reqs;/* pending requests */
	int nreqs;
};

static void req_settle(struct client_req *r);

const char *
dnsd_client_strerror(int err)
{
	switch (err) {
	case DNSD_CLIENT_OK: return "success";
	case DNSD_CLIENT_ENXDOMAIN: return "no such name (NXDOMAIN)";
	case DNSD_CLIENT_ENODATA: return "no answer";
	case DNSD_CLIENT_ETIMEOUT: return "timed out";
	case DNSD_CLIENT_EREFUSED: return "server refused";
	case DNSD_CLIENT_ESERVFAIL: return "server failure (SERVFAIL)";
	case DNSD_CLIENT_EBADRESP: return "malformed response";
	case DNSD_CLIENT_ECONNREFUSED:
		return "no server reachable (connection refused)";
	case DNSD_CLIENT_ENOADDR: return "no address for any SRV target";
	case DNSD_CLIENT_ENOSERVICE:
		return "service not available (SRV target \".\")";
	case DNSD_CLIENT_EBADNAME: return "invalid name";
	case DNSD_CLIENT_ESERVERS: return "invalid server list";
	case DNSD_CLIENT_ECANCELLED: return "cancelled";
	case DNSD_CLIENT_ENODOMAIN:
		return "no search domain for a relative name";
	case DNSD_CLIENT_ERESOLVER: return "resolver error";
	}
	if (err < 0 && err > -2000)
		return strerror(-err);
	return "unknown error";
}

/* The one clock of the library: monotonic milliseconds. */
static int64_t
client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
domains_free(char **d)
{
	size_t i;

	for (i = 0; d && d[i]; i++)
		free(d[i]);
	free(d);
}

/* Split a comma- or space-separated list into a NULL-terminated array. */
static char **
domains_split(const char *list)
{
	size_t n = 0, cap = 4;
	char **v = calloc(cap + 1, sizeof(*v));
	const char *p = list;

	if (!v)
		return NULL;
	while (*p) {
		size_t len = strcspn(p, ", \t");

		if (len > 0) {
			char *d;

			if (n == cap) {
				char **nv = realloc(v, (2 * cap + 1) *
				    sizeof(*v));

				if (!nv)
					goto fail;
				v = nv;
				cap *= 2;
			}
			if (!(d = strndup(p, len)))
				goto fail;
			/* a final dot adds nothing to a search domain */
			if (len > 1 && d[len - 1] == '.')
				d[len - 1] = '\0';
			v[n++] = d;
			v[n] = NULL;
		}
		p += len;
		if (*p)
			p++;
	}
	return v;
fail:
	domains_free(v);
	return NULL;
}

/* Copy the channel's search list (ares_save_options()). */
static char **
domains_from_channel(ares_channel ch)
{
	struct ares_options o;
	int mask = 0, i;
	char **v;

	memset(&o, 0, sizeof(o));
	if (ares_save_options(ch, &o, &mask) != ARES_SUCCESS)
		return calloc(1, sizeof(char *));
	v = calloc((size_t)(o.ndomains > 0 ? o.ndomains : 0) + 1, sizeof(*v));
	for (i = 0; v && i < o.ndomains; i++) {
		if (!(v[i] = strdup(o.domains[i]))) {
			domains_free(v);
			v = NULL;
		}
	}
	ares_destroy_options(&o);
	return v;
}

/* Number of servers in an ares_set_servers_ports_csv() list. */
static int
csv_count(const char *csv)
{
	int n = 0;
	const char *p;

	for (p = csv; *p; p++)
		if (*p == ',')
			n++;
	return n + (*csv != '\0');
}

/* Number of servers of the system configuration (a throwaway channel). */
static int
system_count(void)
{
	struct ares_addr_port_node *list = NULL, *p;
	ares_channel ch;
	int n = 0;

	if (ares_init(&ch) != ARES_SUCCESS)
		return 0;
	if (ares_get_servers_ports(ch, &list) == ARES_SUCCESS)
		for (p = list; p; p = p->next)
			n++;
	ares_free_data(list);
	ares_destroy(ch);
	return n;
}

int
dnsd_client_new(struct dnsd_client **out, const struct dnsd_client_options *opt)
{
	static const struct dnsd_client_options defaults;
	struct dnsd_client *c;
	struct ares_options ao;
	int mask = 0, rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!opt)
		opt = &defaults;
	if (opt->timeout_ms < 0 || opt->query_timeout_ms < 0 || opt->tries < 0)
		return -EINVAL;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->timeout_ms = opt->timeout_ms;
	c->rnd = opt->rnd ? opt->rnd : client_rand;
	c->rnd_arg = opt->rnd ? opt->rnd_arg : NULL;

	if (opt->channel) {
		c->ch = opt->channel;
	} else {
		if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
			free(c);
			return DNSD_CLIENT_ERESOLVER;
		}
		c->own = 1;
		memset(&ao, 0, sizeof(ao));
		if (opt->query_timeout_ms > 0) {
			ao.timeout = opt->query_timeout_ms;
			mask |= ARES_OPT_TIMEOUTMS;
		}
		if (opt->tries > 0) {
			ao.tries = opt->tries;
			mask |= ARES_OPT_TRIES;
		}
		if (opt->flags & DNSD_CLIENT_DNS_TCP)
			ao.flags |= ARES_FLAG_USEVC;
		/*
		 * c-ares 1.18 answers a query that every server refused or
		 * failed (REFUSED, SERVFAIL, NOTIMP) with ARES_ECONNREFUSED,
		 * as if nothing had been reachable. With one server there is
		 * nothing to fail over to, so let those responses through
		 * and tell the cases apart by their RCODE.
		 */
		if ((opt->servers ? csv_count(opt->servers) : system_count()) == 1)
			ao.flags |= ARES_FLAG_NOCHECKRESP;
		if (ao.flags)
			mask |= ARES_OPT_FLAGS;
		rc = ares_init_options(&c->ch, &ao, mask);
		if (rc != ARES_SUCCESS) {
			c->ch = NULL;
			dnsd_client_free(c);
			return rc == ARES_ENOMEM ? -ENOMEM : DNSD_CLIENT_ERESOLVER;
		}
		if (opt->servers) {
			rc = ares_set_servers_ports_csv(c->ch, opt->servers);
			if (rc != ARES_SUCCESS) {
				dnsd_client_free(c);
				return rc == ARES_ENOMEM ? -ENOMEM :
				    DNSD_CLIENT_ESERVERS;
			}
		}
	}
	c->domains = (opt->domains && !opt->channel) ?
	    domains_split(opt->domains) : domains_from_channel(c->ch);
	if (!c->domains) {
		dnsd_client_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void
dnsd_client_free(struct dnsd_client *c)
{
	if (!c)
		return;
	/* Pending requests end now; their queries still in c-ares come
	 * back (ARES_EDESTRUCTION on an owned channel) and free them. */
	while (c->reqs) {
		struct client_req *r = c->reqs;

		client_req_finish(r, DNSD_CLIENT_ECANCELLED);
		req_settle(r);
	}
	if (c->own) {
		if (c->ch)
			ares_destroy(c->ch);
		ares_library_cleanup();
	}
	domains_free(c->domains);
	free(c);
}

ares_channel
dnsd_client_channel(struct dnsd_client *c)
{
	return c ? c->ch : NULL;
}

char *const *
client_domains(struct dnsd_client *c)
{
	return c->domains;
}

/* Complete every request whose overall deadline has passed. */
static void
client_expire(struct dnsd_client *c, int64_t now)
{
	struct client_req *r, *next;

	for (r = c->reqs; r; r = next) {
		next = r->next;
		if (r->deadline && now >= r->deadline) {
			client_req_finish(r, DNSD_CLIENT_ETIMEOUT);
			req_settle(r);
		}
	}
}

int
dnsd_client_process(struct dnsd_client *c, int wait_ms)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval tv, *tvp;
	struct client_req *r;
	int64_t now = client_now_ms();
	unsigned bits;
	int i, n = 0, rc, timeout;

	if (!c)
		return -EINVAL;
	client_expire(c, now);

	/* wait: the caller's limit, c-ares' next timeout, our deadlines */
	timeout = wait_ms;
	tvp = ares_timeout(c->ch, NULL, &tv);
	if (tvp) {
		int64_t t = (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;

		if (timeout < 0 || t < timeout)
			timeout = (int)t;
	}
	for (r = c->reqs; r; r = r->next) {
		if (r->deadline) {
			int64_t t = r->deadline - now;

			if (t < 0)
				t = 0;
			if (timeout < 0 || t < timeout)
				timeout = (int)t;
		}
	}
	if (timeout < 0 && !c->reqs)
		timeout = 0;    /* nothing could ever wake us */

	/* (ARES_GETSOCK_WRITABLE() shifts a signed 1 into the sign bit) */
	bits = (unsigned)ares_getsock(c->ch, socks, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		int rd = (bits >> i) & 1;
		int wr = (bits >> (i + ARES_GETSOCK_MAXNUM)) & 1;

		if (!rd && !wr)
			continue;
		pfd[n].fd = socks[i];
		pfd[n].events = (short)((rd ? POLLIN : 0) | (wr ? POLLOUT : 0));
		pfd[n].revents = 0;
		n++;
	}
	rc = poll(pfd, (nfds_t)n, timeout);
	if (rc < 0 && errno != EINTR)
		return -errno;
	if (rc > 0) {
		for (i = 0; i < n; i++) {
			ares_socket_t rd = ARES_SOCKET_BAD, wr = ARES_SOCKET_BAD;

			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				rd = pfd[i].fd;
			if (pfd[i].revents & POLLOUT)
				wr = pfd[i].fd;
			if (rd != ARES_SOCKET_BAD || wr != ARES_SOCKET_BAD)
				ares_process_fd(c->ch, rd, wr);
		}
	}
	/* c-ares' own timeouts */
	ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	client_expire(c, client_now_ms());
	return c->nreqs;
}

int
dnsd_client_run(struct dnsd_client *c)
{
	int rc;

	if (!c)
		return -EINVAL;
	while ((rc = dnsd_client_process(c, -1)) > 0)
		;
	return rc < 0 ? rc : 0;
}

int
client_wait(struct dnsd_client *c, struct client_req *r, const int *flag)
{
	int rc;

	/* r stays valid while *flag is clear: it is freed only once done */
	while (!*flag) {
		rc = dnsd_client_process(c, -1);
		if (rc < 0 && !*flag) {
			client_req_finish(r, rc);
			req_settle(r);
		}
	}
	return 0;
}

/* ---- requests ---- */

struct client_req *
client_req_new(struct dnsd_client *c, const struct client_req_ops *ops,
    void *state)
{
	struct client_req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->c = c;
	r->ch = c->ch;
	r->ops = ops;
	r->state = state;
	r->rnd = c->rnd;
	r->rnd_arg = c->rnd_arg;
	if (c->timeout_ms > 0)
		r->deadline = client_now_ms() + c->timeout_ms;
	r->next = c->reqs;
	if (c->reqs)
		c->reqs->prev = r;
	c->reqs = r;
	c->nreqs++;
	return r;
}

static void
req_unlink(struct client_req *r)
{
	struct dnsd_client *c = r->c;

	if (!c)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		c->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	c->nreqs--;
	r->c = NULL;
}

static void
req_free(struct client_req *r)
{
	req_unlink(r);
	if (r->ops->cleanup)
		r->ops->cleanup(r);
	free(r);
}

/*
 * Advance r as far as it goes without waiting, and free it once it is
 * done and no query of it is left in c-ares. Re-entrant calls (a query
 * failing synchronously inside ares_send()) return at once; the outer
 * call's loop picks the work up.
 */
static void
req_settle(struct client_req *r)
{
	if (r->busy)
		return;
	r->busy = 1;
	while (r->pending == 0 && !r->done)
		r->ops->step(r);
	r->busy = 0;
	if (r->done && r->pending == 0 && !r->in_start)
		req_free(r);
}

void
client_req_finish(struct client_req *r, int err)
{
	if (r->done)
		return;
	r->done = 1;
	r->err = err;
	req_unlink(r);
	/* a request that fails inside its start call is reported through
	 * the return value instead */
	if (!(r->in_start && err != 0))
		r->ops->deliver(r, err);
}

int
client_req_launch(struct client_req *r, struct client_req **rp)
{
	int err;

	if (rp)
		*rp = NULL;
	r->in_start = 1;
	req_settle(r);
	r->in_start = 0;
	if (!r->done) {
		if (rp)
			*rp = r;
		return 0;
	}
	err = r->err;
	if (r->pending == 0)
		req_free(r);
	return err;
}

struct client_q {
	struct client_req *r;
	int type;
	size_t idx;
};

static void
q_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct client_q *q = arg;
	struct client_req *r = q->r;

	(void)timeouts;
	r->pending--;
	if (!r->done)
		r->ops->answer(r, q->type, q->idx,
		    client_status_err(status, abuf, alen > 0 ? (size_t)alen : 0),
		    abuf, alen > 0 ? (size_t)alen : 0);
	free(q);
	req_settle(r);
}

void
client_req_query(struct client_req *r, const char *name, int type,
    size_t idx)
{
	uint8_t buf[CLIENT_QUERY_MAX];
	struct client_q *q;
	int len;

	len = client_query_build(name, type, buf, sizeof(buf));
	if (len < 0) {
		r->ops->answer(r, type, idx, len, NULL, 0);
		return;
	}
	if (!(q = malloc(sizeof(*q)))) {
		r->ops->answer(r, type, idx, -ENOMEM, NULL, 0);
		return;
	}
	q->r = r;
	q->type = type;
	q->idx = idx;
	r->pending++;
	ares_send(r->ch, buf, len, q_done, q);
}

/* ---- names ---- */

/* Are all labels of a relative name service labels ("_web._tcp")? */
static int
name_all_underscore(const char *s)
{
	for (;;) {
		if (*s != '_')
			return 0;
		s = strchr(s, '.');
		if (!s)
			return 1;
		s++;
		if (*s == '\0')
			return 0;       /* final dot: absolute */
	}
}

int
client_name_split(const char *in, unsigned flags, char **base, char **host,
    int *rel)
{
	uint8_t wire[CLIENT_NAME_MAX + 1];
	size_t len;

	*base = *host = NULL;
	*rel = 0;
	if (!in || !*in)
		return DNSD_CLIENT_EBADNAME;
	len = strlen(in);
	if (client_name_to_wire(in, wire, sizeof(wire)) < 0 || len > 1024)
		return DNSD_CLIENT_EBADNAME;
	if (!strchr(in, '.') && in[0] != '_') {
		/* bare service: _web._tcp in each search domain */
		*base = malloc(len + 7);
		if (*base)
			snprintf(*base, len + 7, "_%s.%s", in,
			    flags & DNSD_RESOLVE_UDP ? "_udp" : "_tcp");
		*host = strdup(in);
		*rel = 1;
	} else {
		*rel = name_all_underscore(in);
		*base = strdup(in);
		if (*base && !*rel && len > 1 && (*base)[len - 1] == '.')
			(*base)[len - 1] = '\0';
		*host = *base ? strdup(*base) : NULL;
	}
	if (!*base || !*host) {
		free(*base);
		free(*host);
		*base = *host = NULL;
		return -ENOMEM;
	}
	return 0;
}

char *
client_name_join(const char *a, const char *domain)
{
	size_t n = strlen(a) + strlen(domain) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s.%s", a, domain);
	return s;
}
