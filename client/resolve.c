/* resolve.c -- service name to ordered endpoints: SRV (RFC 2782), then A/AAAA */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>

#include "client-internal.h"

enum { ADDRTTL_MAX = 64 };      /* addresses kept per name and family */

struct raddr {
	int family;
	uint8_t a[16];
};

/* One distinct SRV target, or the fallback host name. */
struct rhost {
	char *name;
	struct raddr *addr;
	size_t naddr, cap;
	int glue;               /* addresses came from the additional section */
	int err;                /* merged error of its address queries */
};

enum rphase {
	R_NEXT,                 /* try the next candidate name */
	R_SRV,                  /* SRV query sent */
	R_ADDR,                 /* address queries for SRV targets sent */
	R_FALLBACK,             /* address queries for the host name sent */
};

struct resolve {
	unsigned flags;
	uint16_t port;
	char *base;             /* SRV name, relative when rel */
	char *host;             /* fallback host name, relative when rel */
	int rel;
	size_t di;              /* candidates tried so far */
	enum rphase phase;
	char *qname, *hname;    /* current candidate, absolute */
	int err;                /* outcome of the current SRV query */
	int search_err;         /* "not found" errors over the candidates */
	struct dnsd_srv *srv;
	size_t nsrv;
	struct rhost *hosts;
	size_t nhosts;
	struct dnsd_endpoints *res;
};

static int
want4(unsigned flags)
{
	return !(flags & DNSD_RESOLVE_IPV6) || (flags & DNSD_RESOLVE_IPV4);
}

static int
want6(unsigned flags)
{
	return !(flags & DNSD_RESOLVE_IPV4) || (flags & DNSD_RESOLVE_IPV6);
}

static void
hosts_clear(struct resolve *s)
{
	size_t i;

	for (i = 0; i < s->nhosts; i++) {
		free(s->hosts[i].name);
		free(s->hosts[i].addr);
	}
	free(s->hosts);
	s->hosts = NULL;
	s->nhosts = 0;
	free(s->srv);
	s->srv = NULL;
	s->nsrv = 0;
}

static int
host_add_addr(struct rhost *h, int family, const void *a)
{
	size_t i, alen = family == AF_INET ? 4 : 16;

	for (i = 0; i < h->naddr; i++)
		if (h->addr[i].family == family && !memcmp(h->addr[i].a, a, alen))
			return 0;       /* duplicate */
	if (h->naddr == h->cap) {
		size_t ncap = h->cap ? 2 * h->cap : 4;
		struct raddr *na = realloc(h->addr, ncap * sizeof(*na));

		if (!na)
			return -ENOMEM;
		h->addr = na;
		h->cap = ncap;
	}
	memset(&h->addr[h->naddr], 0, sizeof(h->addr[0]));
	h->addr[h->naddr].family = family;
	memcpy(h->addr[h->naddr].a, a, alen);
	h->naddr++;
	return 0;
}

static struct rhost *
host_find(struct resolve *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nhosts; i++)
		if (strcasecmp(s->hosts[i].name, name) == 0)
			return &s->hosts[i];
	return NULL;
}

static int
is_root(const char *name)
{
	return name[0] == '\0' || strcmp(name, ".") == 0;
}

static int
glue_add(void *arg, const char *owner, int family, const uint8_t *addr)
{
	struct resolve *s = arg;
	struct rhost *h = host_find(s, owner);

	if (!h)
		return 0;
	if ((family == AF_INET && !want4(s->flags)) ||
	    (family == AF_INET6 && !want6(s->flags)))
		return 0;
	h->glue = 1;
	return host_add_addr(h, family, addr);
}

/* Take the SRV records of a response: hosts, records, glue, order. */
static int
srv_take(struct client_req *r, struct resolve *s, const uint8_t *msg,
    size_t len)
{
	struct ares_srv_reply *list = NULL, *p;
	size_t n = 0, i;
	int rc;

	rc = ares_parse_srv_reply(msg, (int)len, &list);
	if (rc != ARES_SUCCESS)
		return rc == ARES_ENODATA ? DNSD_CLIENT_ENODATA :
		    rc == ARES_ENOMEM ? -ENOMEM : DNSD_CLIENT_EBADRESP;
	for (p = list; p; p = p->next)
		n++;
	s->hosts = calloc(n, sizeof(*s->hosts));
	s->srv = calloc(n, sizeof(*s->srv));
	if (!s->hosts || !s->srv) {
		ares_free_data(list);
		return -ENOMEM;
	}
	for (p = list; p; p = p->next) {
		struct rhost *h = host_find(s, p->host);

		if (!h) {
			h = &s->hosts[s->nhosts];
			if (!(h->name = strdup(p->host))) {
				ares_free_data(list);
				return -ENOMEM;
			}
			s->nhosts++;
		}
		s->srv[s->nsrv].priority = p->priority;
		s->srv[s->nsrv].weight = p->weight;
		s->srv[s->nsrv].port = p->port;
		s->srv[s->nsrv].target = h->name;
		s->srv[s->nsrv].data = h;
		s->nsrv++;
	}
	ares_free_data(list);
	/* a damaged additional section only costs us the glue */
	if (!(s->flags & DNSD_RESOLVE_NAMES)) {
		rc = client_glue_parse(msg, len, glue_add, s);
		if (rc == -ENOMEM)
			return rc;
	}
	dnsd_srv_order(s->srv, s->nsrv, r->rnd, r->rnd_arg);
	for (i = 0; i < s->nsrv; i++)
		if (!is_root(s->srv[i].target))
			return 0;
	/* RFC 2782: a Target of "." means the service is decidedly not
	 * available at this domain */
	return DNSD_CLIENT_ENOSERVICE;
}

static int
addr_take(struct rhost *h, int type, const uint8_t *msg, size_t len)
{
	int n = ADDRTTL_MAX, i, rc;

	if (type == CLIENT_T_A) {
		struct ares_addrttl at[ADDRTTL_MAX];

		rc = ares_parse_a_reply(msg, (int)len, NULL, at, &n);
		for (i = 0; rc == ARES_SUCCESS && i < n; i++)
			if (host_add_addr(h, AF_INET, &at[i].ipaddr) < 0)
				return -ENOMEM;
	} else {
		struct ares_addr6ttl at[ADDRTTL_MAX];

		rc = ares_parse_aaaa_reply(msg, (int)len, NULL, at, &n);
		for (i = 0; rc == ARES_SUCCESS && i < n; i++)
			if (host_add_addr(h, AF_INET6, &at[i].ip6addr) < 0)
				return -ENOMEM;
	}
	if (rc == ARES_SUCCESS && n == 0)
		return DNSD_CLIENT_ENODATA;
	return client_status_err(rc, msg, len);
}

static void
resolve_answer(struct client_req *r, int type, size_t idx, int err,
    const uint8_t *msg, size_t len)
{
	struct resolve *s = r->state;

	if (type == CLIENT_T_SRV) {
		s->err = err ? err : srv_take(r, s, msg, len);
		return;
	}
	if (idx >= s->nhosts)
		return;
	if (err == 0)
		err = addr_take(&s->hosts[idx], type, msg, len);
	if (err)
		s->hosts[idx].err = client_err_merge(s->hosts[idx].err, err);
}

/* Send the AAAA and A queries of one host. */
static void
host_query(struct client_req *r, struct resolve *s, size_t i)
{
	if (want6(s->flags))
		client_req_query(r, s->hosts[i].name, CLIENT_T_AAAA, i);
	if (want4(s->flags))
		client_req_query(r, s->hosts[i].name, CLIENT_T_A, i);
}

static int
ep_add(struct dnsd_endpoints *e, const char *target, uint16_t port,
    const struct dnsd_srv *srv, const struct raddr *a)
{
	struct dnsd_endpoint *ep = &e->v[e->n];

	memset(ep, 0, sizeof(*ep));
	if (!(ep->target = strdup(target)))
		return -ENOMEM;
	ep->port = port;
	if (srv) {
		ep->priority = srv->priority;
		ep->weight = srv->weight;
	}
	ep->family = a ? a->family : AF_UNSPEC;
	if (a && a->family == AF_INET) {
		ep->addr.sin.sin_family = AF_INET;
		ep->addr.sin.sin_port = htons(port);
		memcpy(&ep->addr.sin.sin_addr, a->a, 4);
		ep->addrlen = sizeof(ep->addr.sin);
	} else if (a) {
		ep->addr.sin6.sin6_family = AF_INET6;
		ep->addr.sin6.sin6_port = htons(port);
		memcpy(&ep->addr.sin6.sin6_addr, a->a, 16);
		ep->addrlen = sizeof(ep->addr.sin6);
	}
	e->n++;
	return 0;
}

/* Add the endpoints of host h, IPv6 first (RFC 6724's default policy). */
static int
ep_add_host(struct resolve *s, struct dnsd_endpoints *e,
    const struct rhost *h, uint16_t port, const struct dnsd_srv *srv)
{
	static const int fam[2] = { AF_INET6, AF_INET };
	size_t f, i;
	int rc;

	if (s->flags & DNSD_RESOLVE_NAMES)
		return ep_add(e, h->name, port, srv, NULL);
	for (f = 0; f < 2; f++)
		for (i = 0; i < h->naddr; i++)
			if (h->addr[i].family == fam[f] &&
			    (rc = ep_add(e, h->name, port, srv, &h->addr[i])))
				return rc;
	return 0;
}

/* Build the result from the ordered SRV records (srv) or the host. */
static int
resolve_build(struct resolve *s, int srv)
{
	struct dnsd_endpoints *e;
	size_t i, cap = 0;
	int rc = 0;

	for (i = 0; i < s->nhosts; i++)
		cap += s->hosts[i].naddr;
	cap = cap * (s->nsrv ? s->nsrv : 1) + s->nsrv + 1;
	if (!(e = calloc(1, sizeof(*e))) ||
	    !(e->v = calloc(cap, sizeof(*e->v))) ||
	    !(e->name = strdup(srv ? s->qname : s->hname))) {
		dnsd_endpoints_free(e);
		return -ENOMEM;
	}
	e->srv = srv;
	if (srv) {
		for (i = 0; i < s->nsrv && rc == 0; i++)
			if (!is_root(s->srv[i].target))
				rc = ep_add_host(s, e, s->srv[i].data,
				    s->srv[i].port, &s->srv[i]);
	} else {
		rc = ep_add_host(s, e, &s->hosts[0], s->port, NULL);
	}
	if (rc == 0 && e->n == 0)
		rc = DNSD_CLIENT_ENOADDR;
	if (rc) {
		dnsd_endpoints_free(e);
		return rc;
	}
	s->res = e;
	return 0;
}

static int
is_notfound(int err)
{
	return err == DNSD_CLIENT_ENXDOMAIN || err == DNSD_CLIENT_ENODATA;
}

/* Set up the next candidate name; 0, or the error that ends the search. */
static int
resolve_next(struct client_req *r, struct resolve *s)
{
	char *const *dom;

	hosts_clear(s);
	free(s->qname);
	free(s->hname);
	s->qname = s->hname = NULL;
	s->err = 0;
	if (!s->rel) {
		if (s->di++ > 0)
			return s->search_err;
		s->qname = strdup(s->base);
		s->hname = strdup(s->host);
	} else {
		dom = client_domains(r->c);
		if (!dom[s->di])
			return s->di == 0 ? DNSD_CLIENT_ENODOMAIN : s->search_err;
		s->qname = client_name_join(s->base, dom[s->di]);
		s->hname = client_name_join(s->host, dom[s->di]);
		s->di++;
	}
	return (s->qname && s->hname) ? 0 : -ENOMEM;
}

static void
resolve_step(struct client_req *r)
{
	struct resolve *s = r->state;
	size_t i;
	int err;

	switch (s->phase) {
	case R_NEXT:
		if ((err = resolve_next(r, s)) != 0) {
			client_req_finish(r, err);
			return;
		}
		s->phase = R_SRV;
		client_req_query(r, s->qname, CLIENT_T_SRV, 0);
		return;

	case R_SRV:
		if (s->err == 0) {
			if (s->flags & DNSD_RESOLVE_NAMES) {
				client_req_finish(r, resolve_build(s, 1));
				return;
			}
			s->phase = R_ADDR;
			for (i = 0; i < s->nhosts; i++)
				if (!s->hosts[i].glue &&
				    !is_root(s->hosts[i].name))
					host_query(r, s, i);
			return;
		}
		if (!is_notfound(s->err)) {
			client_req_finish(r, s->err);
			return;
		}
		s->search_err = client_err_merge(s->search_err, s->err);
		s->phase = R_NEXT;
		/* no SRV: fall back to the host's addresses, unless that is
		 * the same name and it does not exist at all */
		if ((s->flags & DNSD_RESOLVE_NO_FALLBACK) ||
		    (s->err == DNSD_CLIENT_ENXDOMAIN &&
		    strcasecmp(s->qname, s->hname) == 0))
			return;
		hosts_clear(s);
		if (!(s->hosts = calloc(1, sizeof(*s->hosts))) ||
		    !(s->hosts[0].name = strdup(s->hname))) {
			client_req_finish(r, -ENOMEM);
			return;
		}
		s->nhosts = 1;
		s->phase = R_FALLBACK;
		host_query(r, s, 0);
		return;

	case R_ADDR:
		err = resolve_build(s, 1);
		if (err == DNSD_CLIENT_ENOADDR) {
			/* report why, if a server failed us */
			for (i = 0; i < s->nhosts; i++)
				if (!is_notfound(s->hosts[i].err) &&
				    s->hosts[i].err != 0)
					err = s->hosts[i].err;
		}
		client_req_finish(r, err);
		return;

	case R_FALLBACK:
		if (s->hosts[0].naddr > 0) {
			client_req_finish(r, resolve_build(s, 0));
			return;
		}
		err = s->hosts[0].err ? s->hosts[0].err : DNSD_CLIENT_ENODATA;
		if (!is_notfound(err)) {
			client_req_finish(r, err);
			return;
		}
		s->search_err = client_err_merge(s->search_err, err);
		s->phase = R_NEXT;
		return;
	}
}

static void
resolve_deliver(struct client_req *r, int err)
{
	struct resolve *s = r->state;
	struct dnsd_endpoints *res = err ? NULL : s->res;

	s->res = NULL;
	r->cb.resolve(r->cb_arg, err, res);
}

static void
resolve_cleanup(struct client_req *r)
{
	struct resolve *s = r->state;

	hosts_clear(s);
	dnsd_endpoints_free(s->res);
	free(s->base);
	free(s->host);
	free(s->qname);
	free(s->hname);
	free(s);
}

static const struct client_req_ops resolve_ops = {
	resolve_step, resolve_answer, resolve_deliver, resolve_cleanup,
};

static int
resolve_begin(struct dnsd_client *c, const char *service, unsigned flags,
    uint16_t port, dnsd_resolve_cb cb, void *arg, struct client_req **rp)
{
	struct resolve *s;
	struct client_req *r;
	int rc;

	if (rp)
		*rp = NULL;
	if (!c || !service || !cb)
		return -EINVAL;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->flags = flags;
	s->port = port;
	rc = client_name_split(service, flags, &s->base, &s->host, &s->rel);
	if (rc) {
		free(s);
		return rc;
	}
	if (!(r = client_req_new(c, &resolve_ops, s))) {
		free(s->base);
		free(s->host);
		free(s);
		return -ENOMEM;
	}
	r->cb.resolve = cb;
	r->cb_arg = arg;
	return client_req_launch(r, rp);
}

int
dnsd_resolve_start(struct dnsd_client *c, const char *service,
    unsigned flags, uint16_t port, dnsd_resolve_cb cb, void *arg)
{
	return resolve_begin(c, service, flags, port, cb, arg, NULL);
}

struct resolve_wait {
	int done;
	int err;
	struct dnsd_endpoints *res;
};

static void
resolve_wait_cb(void *arg, int err, struct dnsd_endpoints *res)
{
	struct resolve_wait *w = arg;

	w->done = 1;
	w->err = err;
	w->res = res;
}

int
dnsd_resolve(struct dnsd_client *c, const char *service, unsigned flags,
    uint16_t port, struct dnsd_endpoints **out)
{
	struct resolve_wait w = { 0, 0, NULL };
	struct client_req *r;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	rc = resolve_begin(c, service, flags, port, resolve_wait_cb, &w, &r);
	if (rc)
		return rc;
	if (r)
		client_wait(c, r, &w.done);
	*out = w.res;
	return w.err;
}

void
dnsd_endpoints_free(struct dnsd_endpoints *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; e->v && i < e->n; i++)
		free(e->v[i].target);
	free(e->v);
	free(e->name);
	free(e);
}

int
dnsd_endpoint_format(const struct dnsd_endpoint *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	const char *host = e->target;
	int v6 = 0;

	if (e->family == AF_INET) {
		inet_ntop(AF_INET, &e->addr.sin.sin_addr, a, sizeof(a));
		host = a;
	} else if (e->family == AF_INET6) {
		inet_ntop(AF_INET6, &e->addr.sin6.sin6_addr, a, sizeof(a));
		host = a;
		v6 = 1;
	}
	if (e->port == 0)
		return snprintf(buf, len, "%s", host);
	return snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", host,
	    (unsigned)e->port);
}
