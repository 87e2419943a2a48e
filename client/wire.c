/* wire.c -- the few DNS message helpers c-ares 1.18 lacks: names, queries, record walk */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ares.h>

#include "client-internal.h"

/*
 * A bounds-checked read cursor with a sticky error: after the first
 * overrun every read returns 0 and moves nothing, and the caller checks
 * cur.err once.
 */
struct cur {
	const uint8_t *msg;     /* whole message, for compression pointers */
	size_t len;
	size_t off;
	int err;
};

static int
cur_need(struct cur *c, size_t n)
{
	if (c->err || n > c->len - c->off) {
		c->err = 1;
		return 0;
	}
	return 1;
}

static uint16_t
cur_u16(struct cur *c)
{
	uint16_t v;

	if (!cur_need(c, 2))
		return 0;
	v = (uint16_t)(c->msg[c->off] << 8 | c->msg[c->off + 1]);
	c->off += 2;
	return v;
}

static uint32_t
cur_u32(struct cur *c)
{
	uint32_t hi = cur_u16(c);

	return hi << 16 | cur_u16(c);
}

static void
cur_skip(struct cur *c, size_t n)
{
	if (cur_need(c, n))
		c->off += n;
}

/* Expand the (possibly compressed) name at the cursor into *out (malloc'd
 * by c-ares, NULL when out is NULL) and move past it. */
static void
cur_name(struct cur *c, char **out)
{
	char *s = NULL;
	long enclen = 0;

	if (out)
		*out = NULL;
	if (c->err || c->off >= c->len) {
		c->err = 1;
		return;
	}
	if (ares_expand_name(c->msg + c->off, c->msg, (int)c->len, &s,
	    &enclen) != ARES_SUCCESS) {
		c->err = 1;
		return;
	}
	if (out)
		*out = s;
	else
		ares_free_string(s);
	cur_skip(c, (size_t)enclen);
}

int
client_name_to_wire(const char *name, uint8_t *out, size_t cap)
{
	size_t o = 0;           /* next free octet of out */
	size_t lab = 0;         /* position of the current label's length */
	size_t llen = 0;
	const char *p = name;

	if (!name || cap < 1)
		return DNSD_CLIENT_EBADNAME;
	if (strcmp(name, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	if (*p == '\0' || *p == '.')
		return DNSD_CLIENT_EBADNAME;
	o = 1;
	while (*p) {
		int ch = (unsigned char)*p++;

		if (ch == '.') {
			if (llen == 0)
				return DNSD_CLIENT_EBADNAME;
			out[lab] = (uint8_t)llen;
			lab = o;
			llen = 0;
			if (*p == '\0')
				break;  /* final dot */
			if (o >= cap)
				return DNSD_CLIENT_EBADNAME;
			o++;
			continue;
		}
		if (ch == '\\') {
			if (isdigit((unsigned char)p[0])) {
				if (!isdigit((unsigned char)p[1]) ||
				    !isdigit((unsigned char)p[2]))
					return DNSD_CLIENT_EBADNAME;
				ch = (p[0] - '0') * 100 + (p[1] - '0') * 10 +
				    (p[2] - '0');
				if (ch > 255)
					return DNSD_CLIENT_EBADNAME;
				p += 3;
			} else if (*p) {
				ch = (unsigned char)*p++;
			} else {
				return DNSD_CLIENT_EBADNAME;
			}
		}
		if (++llen > 63 || o >= cap)
			return DNSD_CLIENT_EBADNAME;
		out[o++] = (uint8_t)ch;
	}
	if (llen > 0)
		out[lab] = (uint8_t)llen;
	else
		o = lab;        /* ended on the final dot: lab is the root's slot */
	if (o >= cap || o + 1 > CLIENT_NAME_MAX)
		return DNSD_CLIENT_EBADNAME;
	out[o++] = 0;
	return (int)o;
}

int
client_label_unescape(const char *name, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = name;

	if (!name || cap == 0)
		return DNSD_CLIENT_EBADNAME;
	while (*p && *p != '.') {
		int ch = (unsigned char)*p++;

		if (ch == '\\') {
			if (isdigit((unsigned char)p[0]) &&
			    isdigit((unsigned char)p[1]) &&
			    isdigit((unsigned char)p[2])) {
				ch = (p[0] - '0') * 100 + (p[1] - '0') * 10 +
				    (p[2] - '0');
				if (ch > 255)
					return DNSD_CLIENT_EBADNAME;
				p += 3;
			} else if (*p) {
				ch = (unsigned char)*p++;
			} else {
				return DNSD_CLIENT_EBADNAME;
			}
		}
		if (o + 1 >= cap)
			return DNSD_CLIENT_EBADNAME;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return (int)o;
}

int
client_query_build(const char *name, int type, uint8_t *out, size_t cap)
{
	int n;

	if (cap < 12 + 1 + 4)
		return DNSD_CLIENT_EBADNAME;
	memset(out, 0, 12);
	out[2] = 0x01;          /* RD */
	out[5] = 1;             /* QDCOUNT */
	n = client_name_to_wire(name, out + 12, cap - 12 - 4);
	if (n < 0)
		return n;
	out[12 + n] = (uint8_t)(type >> 8);
	out[12 + n + 1] = (uint8_t)type;
	out[12 + n + 2] = 0;
	out[12 + n + 3] = CLIENT_C_IN;
	return 12 + n + 4;
}

int
client_rr_walk(const uint8_t *msg, size_t len, client_rr_fn fn, void *arg)
{
	struct cur c = { msg, len, 0, 0 };
	unsigned count[4];
	unsigned i;
	int sec;

	cur_skip(&c, 4);        /* ID, flags */
	count[0] = cur_u16(&c);
	count[1] = cur_u16(&c);
	count[2] = cur_u16(&c);
	count[3] = cur_u16(&c);
	for (i = 0; i < count[0] && !c.err; i++) {
		cur_name(&c, NULL);
		cur_skip(&c, 4);
	}
	for (sec = 1; sec <= 3; sec++) {
		for (i = 0; i < count[sec] && !c.err; i++) {
			struct client_rr rr;
			char *owner;
			int rc;

			cur_name(&c, &owner);
			rr.section = (enum client_section)sec;
			rr.owner = owner;
			rr.type = cur_u16(&c);
			rr.cls = cur_u16(&c);
			rr.ttl = cur_u32(&c);
			rr.rdlen = cur_u16(&c);
			rr.rdoff = c.off;
			rr.rdata = msg + c.off;
			cur_skip(&c, rr.rdlen);
			if (c.err) {
				if (owner)
					ares_free_string(owner);
				break;
			}
			rc = fn(arg, &rr, msg, len);
			ares_free_string(owner);
			if (rc)
				return rc;
		}
	}
	return c.err ? DNSD_CLIENT_EBADRESP : 0;
}

struct glue_walk {
	client_glue_fn fn;
	void *arg;
};

static int
glue_one(void *arg, const struct client_rr *rr, const uint8_t *msg,
    size_t len)
{
	struct glue_walk *g = arg;

	(void)msg;
	(void)len;
	if (rr->section != CLIENT_AR || rr->cls != CLIENT_C_IN)
		return 0;
	if (rr->type == CLIENT_T_A && rr->rdlen == 4)
		return g->fn(g->arg, rr->owner, AF_INET, rr->rdata);
	if (rr->type == CLIENT_T_AAAA && rr->rdlen == 16)
		return g->fn(g->arg, rr->owner, AF_INET6, rr->rdata);
	return 0;
}

int
client_glue_parse(const uint8_t *msg, size_t len, client_glue_fn fn,
    void *arg)
{
	struct glue_walk g = { fn, arg };

	return client_rr_walk(msg, len, glue_one, &g);
}

struct ptr_walk {
	char **v;
	size_t n, cap;
	int err;
};

static int
ptr_one(void *arg, const struct client_rr *rr, const uint8_t *msg,
    size_t len)
{
	struct ptr_walk *w = arg;
	char *s = NULL;
	long enclen = 0;

	if (rr->section != CLIENT_AN || rr->type != CLIENT_T_PTR ||
	    rr->cls != CLIENT_C_IN)
		return 0;
	if (ares_expand_name(rr->rdata, msg, (int)len, &s, &enclen) !=
	    ARES_SUCCESS || enclen != rr->rdlen) {
		if (s)
			ares_free_string(s);
		return DNSD_CLIENT_EBADRESP;
	}
	if (w->n == w->cap) {
		size_t ncap = w->cap ? 2 * w->cap : 8;
		char **nv = realloc(w->v, ncap * sizeof(*nv));

		if (!nv) {
			ares_free_string(s);
			return -ENOMEM;
		}
		w->v = nv;
		w->cap = ncap;
	}
	w->v[w->n] = strdup(s);
	ares_free_string(s);
	if (!w->v[w->n])
		return -ENOMEM;
	w->n++;
	return 0;
}

int
client_ptr_parse(const uint8_t *msg, size_t len, char ***names, size_t *n)
{
	struct ptr_walk w = { NULL, 0, 0, 0 };
	int rc;
	size_t i;

	*names = NULL;
	*n = 0;
	rc = client_rr_walk(msg, len, ptr_one, &w);
	if (rc == 0 && w.n == 0)
		rc = DNSD_CLIENT_ENODATA;
	if (rc != 0) {
		for (i = 0; i < w.n; i++)
			free(w.v[i]);
		free(w.v);
		return rc;
	}
	*names = w.v;
	*n = w.n;
	return 0;
}

int
client_status_err(int status, const uint8_t *msg, size_t len)
{
	switch (status) {
	case ARES_SUCCESS:
		break;
	case ARES_ENOTFOUND: return DNSD_CLIENT_ENXDOMAIN;
	case ARES_ENODATA: return DNSD_CLIENT_ENODATA;
	case ARES_ETIMEOUT: return DNSD_CLIENT_ETIMEOUT;
	case ARES_EREFUSED: return DNSD_CLIENT_EREFUSED;
	case ARES_ESERVFAIL: return DNSD_CLIENT_ESERVFAIL;
	case ARES_ECONNREFUSED: return DNSD_CLIENT_ECONNREFUSED;
	case ARES_EBADRESP: return DNSD_CLIENT_EBADRESP;
	case ARES_EBADNAME: return DNSD_CLIENT_EBADNAME;
	case ARES_ENOMEM: return -ENOMEM;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION: return DNSD_CLIENT_ECANCELLED;
	default: return DNSD_CLIENT_ERESOLVER;
	}
	if (!msg || len < 12)
		return DNSD_CLIENT_EBADRESP;
	switch (msg[3] & 0x0f) {
	case 0: break;
	case 2: return DNSD_CLIENT_ESERVFAIL;
	case 3: return DNSD_CLIENT_ENXDOMAIN;
	case 5: return DNSD_CLIENT_EREFUSED;
	default: return DNSD_CLIENT_ERESOLVER;
	}
	if (msg[6] == 0 && msg[7] == 0)
		return DNSD_CLIENT_ENODATA;
	return 0;
}

/* Rank of an error for client_err_merge(): higher is reported. */
static int
err_rank(int e)
{
	switch (e) {
	case 0: return 0;
	case DNSD_CLIENT_ENXDOMAIN: return 1;
	case DNSD_CLIENT_ENODATA: return 2;
	case DNSD_CLIENT_ENOADDR: return 3;
	default: return 4;
	}
}

int
client_err_merge(int a, int b)
{
	return err_rank(b) > err_rank(a) ? b : a;
}
