/* browse.c -- DNS-SD browsing (RFC 6763): PTR instances, then their SRV and TXT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>

#include "client-internal.h"

enum bphase {
	B_NEXT,                 /* try the next candidate type name */
	B_PTR,                  /* PTR query sent */
	B_INST,                 /* SRV and TXT queries of the instances sent */
};

struct browse {
	unsigned flags;
	char *base;             /* type name, relative when rel */
	int rel;
	size_t di;              /* candidates tried so far */
	enum bphase phase;
	char *qname;            /* current candidate, absolute */
	int err;                /* outcome of the PTR query */
	int search_err;
	char **names;           /* PTR targets */
	size_t nnames;
	struct dnsd_instances *res;
};

static void
names_clear(struct browse *s)
{
	size_t i;

	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	s->names = NULL;
	s->nnames = 0;
}

static void
inst_clear(struct dnsd_instance *in)
{
	size_t i;

	for (i = 0; i < in->ntxt; i++)
		free(in->txt[i].data);
	free(in->txt);
	free(in->name);
	free(in->label);
	free(in->target);
}

void
dnsd_instances_free(struct dnsd_instances *in)
{
	size_t i;

	if (!in)
		return;
	for (i = 0; in->v && i < in->n; i++)
		inst_clear(&in->v[i]);
	free(in->v);
	free(in->name);
	free(in);
}

/* The instance's SRV: the first record in RFC 2782 order. */
static void
inst_srv(struct client_req *r, struct dnsd_instance *in, const uint8_t *msg,
    size_t len)
{
	struct ares_srv_reply *list = NULL, *p;
	struct dnsd_srv *v;
	size_t n = 0, i;

	if (ares_parse_srv_reply(msg, (int)len, &list) != ARES_SUCCESS)
		return;
	for (p = list; p; p = p->next)
		n++;
	if ((v = calloc(n, sizeof(*v))) != NULL) {
		for (n = 0, p = list; p; p = p->next, n++) {
			v[n].priority = p->priority;
			v[n].weight = p->weight;
			v[n].port = p->port;
			v[n].target = p->host;
		}
		dnsd_srv_order(v, n, r->rnd, r->rnd_arg);
		for (i = 0; i < n; i++) {
			if (v[i].target[0] == '\0')
				continue;       /* "." : not available */
			in->target = strdup(v[i].target);
			in->port = v[i].port;
			in->priority = v[i].priority;
			in->weight = v[i].weight;
			break;
		}
		free(v);
	}
	ares_free_data(list);
}

/* The strings of the instance's (first) TXT record. */
static void
inst_txt(struct dnsd_instance *in, const uint8_t *msg, size_t len)
{
	struct ares_txt_ext *list = NULL, *p;
	size_t n = 0;

	if (ares_parse_txt_reply_ext(msg, (int)len, &list) != ARES_SUCCESS)
		return;
	for (p = list; p; p = p->next) {
		if (p != list && p->record_start)
			break;
		n++;
	}
	/* RFC 6763 section 6.1: a TXT record with one empty string means
	 * "no keys" */
	if (n == 1 && list->length == 0)
		n = 0;
	if (n > 0 && (in->txt = calloc(n, sizeof(*in->txt))) != NULL) {
		for (p = list; p && in->ntxt < n; p = p->next) {
			struct dnsd_txt *t = &in->txt[in->ntxt];

			if (!(t->data = malloc(p->length + 1)))
				break;
			memcpy(t->data, p->txt, p->length);
			t->data[p->length] = '\0';
			t->len = p->length;
			in->ntxt++;
		}
	}
	ares_free_data(list);
}

static void
browse_answer(struct client_req *r, int type, size_t idx, int err,
    const uint8_t *msg, size_t len)
{
	struct browse *s = r->state;

	if (type == CLIENT_T_PTR) {
		s->err = err ? err :
		    client_ptr_parse(msg, len, &s->names, &s->nnames);
		return;
	}
	if (err || !s->res || idx >= s->res->n)
		return;
	if (type == CLIENT_T_SRV)
		inst_srv(r, &s->res->v[idx], msg, len);
	else if (type == CLIENT_T_TXT)
		inst_txt(&s->res->v[idx], msg, len);
}

static int
inst_cmp(const void *a, const void *b)
{
	const struct dnsd_instance *x = a, *y = b;
	int c = strcasecmp(x->label, y->label);

	return c ? c : strcmp(x->name, y->name);
}

/* Turn the PTR targets into instances. */
static int
browse_instances(struct browse *s)
{
	struct dnsd_instances *res;
	size_t i;

	if (!(res = calloc(1, sizeof(*res))) ||
	    !(res->v = calloc(s->nnames, sizeof(*res->v))) ||
	    !(res->name = strdup(s->qname))) {
		dnsd_instances_free(res);
		return -ENOMEM;
	}
	s->res = res;
	for (i = 0; i < s->nnames; i++) {
		struct dnsd_instance *in = &res->v[res->n];
		size_t cap = strlen(s->names[i]) + 1;

		if (!(in->label = malloc(cap)))
			return -ENOMEM;
		if (client_label_unescape(s->names[i], in->label, cap) < 0) {
			free(in->label);
			in->label = NULL;
			continue;
		}
		in->name = s->names[i];
		s->names[i] = NULL;
		res->n++;
	}
	return res->n ? 0 : DNSD_CLIENT_EBADRESP;
}

/* Set up the next candidate name; 0, or the error that ends the search. */
static int
browse_next(struct client_req *r, struct browse *s)
{
	char *const *dom;

	names_clear(s);
	free(s->qname);
	s->qname = NULL;
	s->err = 0;
	if (!s->rel) {
		if (s->di++ > 0)
			return s->search_err;
		s->qname = strdup(s->base);
	} else {
		dom = client_domains(r->c);
		if (!dom[s->di])
			return s->di == 0 ? DNSD_CLIENT_ENODOMAIN : s->search_err;
		s->qname = client_name_join(s->base, dom[s->di]);
		s->di++;
	}
	return s->qname ? 0 : -ENOMEM;
}

static void
browse_step(struct client_req *r)
{
	struct browse *s = r->state;
	size_t i;
	int err;

	switch (s->phase) {
	case B_NEXT:
		if ((err = browse_next(r, s)) != 0) {
			client_req_finish(r, err);
			return;
		}
		s->phase = B_PTR;
		client_req_query(r, s->qname, CLIENT_T_PTR, 0);
		return;

	case B_PTR:
		if (s->err == DNSD_CLIENT_ENXDOMAIN ||
		    s->err == DNSD_CLIENT_ENODATA) {
			s->search_err = client_err_merge(s->search_err, s->err);
			s->phase = B_NEXT;
			return;
		}
		err = s->err ? s->err : browse_instances(s);
		if (err) {
			client_req_finish(r, err);
			return;
		}
		s->phase = B_INST;
		for (i = 0; i < s->res->n; i++) {
			client_req_query(r, s->res->v[i].name, CLIENT_T_SRV, i);
			client_req_query(r, s->res->v[i].name, CLIENT_T_TXT, i);
		}
		return;

	case B_INST:
		qsort(s->res->v, s->res->n, sizeof(s->res->v[0]), inst_cmp);
		client_req_finish(r, 0);
		return;
	}
}

static void
browse_deliver(struct client_req *r, int err)
{
	struct browse *s = r->state;
	struct dnsd_instances *res = err ? NULL : s->res;

	if (!err)
		s->res = NULL;
	r->cb.browse(r->cb_arg, err, res);
}

static void
browse_cleanup(struct client_req *r)
{
	struct browse *s = r->state;

	names_clear(s);
	dnsd_instances_free(s->res);
	free(s->base);
	free(s->qname);
	free(s);
}

static const struct client_req_ops browse_ops = {
	browse_step, browse_answer, browse_deliver, browse_cleanup,
};

static int
browse_begin(struct dnsd_client *c, const char *type, unsigned flags,
    dnsd_browse_cb cb, void *arg, struct client_req **rp)
{
	struct browse *s;
	struct client_req *r;
	char *host = NULL;
	int rc;

	if (rp)
		*rp = NULL;
	if (!c || !type || !cb)
		return -EINVAL;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->flags = flags;
	rc = client_name_split(type, flags, &s->base, &host, &s->rel);
	free(host);
	if (rc) {
		free(s);
		return rc;
	}
	if (!(r = client_req_new(c, &browse_ops, s))) {
		free(s->base);
		free(s);
		return -ENOMEM;
	}
	r->cb.browse = cb;
	r->cb_arg = arg;
	return client_req_launch(r, rp);
}

int
dnsd_browse_start(struct dnsd_client *c, const char *type, unsigned flags,
    dnsd_browse_cb cb, void *arg)
{
	return browse_begin(c, type, flags, cb, arg, NULL);
}

struct browse_wait {
	int done;
	int err;
	struct dnsd_instances *res;
};

static void
browse_wait_cb(void *arg, int err, struct dnsd_instances *res)
{
	struct browse_wait *w = arg;

	w->done = 1;
	w->err = err;
	w->res = res;
}

int
dnsd_browse(struct dnsd_client *c, const char *type, unsigned flags,
    struct dnsd_instances **out)
{
	struct browse_wait w = { 0, 0, NULL };
	struct client_req *r;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	rc = browse_begin(c, type, flags, browse_wait_cb, &w, &r);
	if (rc)
		return rc;
	if (r)
		client_wait(c, r, &w.done);
	*out = w.res;
	return w.err;
}
