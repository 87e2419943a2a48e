/* etcd.c -- the etcd client's calls: keys, transactions, leases
 *
 * Each call builds its request (msg.c), sends it through the client's one
 * connection under the client's mutex (conn.c), and reads the answer.
 * Paths are etcd 3.4's gateway: /v3/kv/{put,range,deleterange,txn},
 * /v3/lease/{grant,keepalive,revoke,timetolive}.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "etcd/conn.h"
#include "etcd/etcd.h"
#include "etcd/msg.h"
#include "util/err.h"

struct etcd {
	struct etcd_cfg cfg;
	pthread_mutex_t mu; /* guards conn */
	struct etcd_conn conn;
};

const struct etcd_cfg *
etcd_cfg_of(const struct etcd *e)
{
	return &e->cfg;
}

int
etcd_new(const struct etcd_setup *s, struct etcd **out)
{
	struct etcd *e;
	const char *why;
	int r;

	*out = NULL;
	if ((r = dynlib_curl(&why)) != 0) {
		log_err("the etcd client needs libcurl: %s", why);
		return r;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	if ((r = etcd_cfg_copy(&e->cfg, s)) != 0) {
		free(e);
		return r;
	}
	if ((r = etcd_conn_init(&e->conn, &e->cfg)) != 0) {
		etcd_cfg_free(&e->cfg);
		free(e);
		return r;
	}
	pthread_mutex_init(&e->mu, NULL);
	*out = e;
	return 0;
}

void
etcd_free(struct etcd *e)
{
	if (e == NULL)
		return;
	etcd_conn_free(&e->conn);
	etcd_cfg_free(&e->cfg);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

/* Send `req` (taken; NULL: the builder ran out of memory) and read the
 * header's revision from the answer, or from its "result" (a stream's
 * single message). */
static int
call(struct etcd *e, const char *path, json_t *req, unsigned flags, json_t **resp, int64_t *rev)
{
	const json_t *body;
	int64_t v = 0;
	int r;

	*resp = NULL;
	if (rev != NULL)
		*rev = 0;
	if (req == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&e->mu);
	r = etcd_conn_call(&e->conn, path, req, flags, resp);
	pthread_mutex_unlock(&e->mu);
	json_decref(req);
	if (r != 0)
		return r;
	body = json_object_get(*resp, "result");
	if (etcd_msg_revision(body ? body : *resp, &v) != 0) {
		json_decref(*resp);
		*resp = NULL;
		return DNSD_EMALF;
	}
	if (rev != NULL)
		*rev = v;
	return 0;
}

/* Flags of a read. */
static unsigned
read_flags(unsigned flags)
{
	return ETCD_CALL_READ | (flags & ETCD_SERIALIZABLE ? 0 : ETCD_CALL_LEADER);
}

/* ---- keys ------------------------------------------------------------------------ */

int
etcd_put(struct etcd *e, const void *key, size_t key_len, const void *value,
    size_t value_len, int64_t lease, int64_t *rev)
{
	json_t *req, *resp;
	int r;

	if (rev != NULL)
		*rev = 0;
	r = etcd_msg_put(e->cfg.prefix, key, key_len, value, value_len, lease, e->cfg.max_request,
	    &req);
	if (r != 0)
		return r;
	r = call(e, "/v3/kv/put", req, ETCD_CALL_LEADER, &resp, rev);
	json_decref(resp);
	return r;
}

int
etcd_get(struct etcd *e, const void *key, size_t key_len, unsigned flags,
    struct etcd_kv **out, int64_t *rev)
{
	struct etcd_kvbuf b = { 0 };
	struct etcd_kv kv;
	json_t *req, *resp;
	const json_t *kvs;
	int r;

	*out = NULL;
	r = etcd_msg_range(e->cfg.prefix, key, key_len, false, NULL, 0, 0, 0,
	    flags & ETCD_SERIALIZABLE, &req);
	if (r != 0)
		return r;
	if ((r = call(e, "/v3/kv/range", req, read_flags(flags), &resp, rev)) != 0)
		return r;
	kvs = json_object_get(resp, "kvs");
	if (json_array_size(kvs) == 0) {
		r = DNSD_ENOTFOUND;
	} else if ((r = etcd_msg_kv(json_array_get(kvs, 0), e->cfg.prefix, &b, &kv)) == 0) {
		struct etcd_kv *c = malloc(sizeof(*c) + kv.key_len + kv.value_len + 1);
		if (c == NULL) {
			r = -ENOMEM;
		} else {
			uint8_t *p = (uint8_t *)(c + 1);
			*c = kv;
			memcpy(p, kv.key, kv.key_len);
			memcpy(p + kv.key_len, kv.value, kv.value_len);
			p[kv.key_len + kv.value_len] = '\0';
			c->key = p;
			c->value = p + kv.key_len;
			*out = c;
		}
	}
	etcd_kvbuf_free(&b);
	json_decref(resp);
	return r;
}

void
etcd_kv_free(struct etcd_kv *kv)
{
	free(kv);
}

/* Give each key of one page to fn; *last (malloc'ed) gets the last key
 * plus a 0 byte: where the next page starts. */
static int
range_page(const json_t *resp, const char *prefix, etcd_kv_fn fn, void *ctx, uint8_t **last,
    size_t *last_len)
{
	const json_t *kvs = json_object_get(resp, "kvs");
	struct etcd_kvbuf b = { 0 };
	struct etcd_kv kv;
	int r = 0;

	if (kvs != NULL && !json_is_array(kvs))
		return DNSD_EMALF;
	for (size_t i = 0; i < json_array_size(kvs) && r == 0; i++) {
		if ((r = etcd_msg_kv(json_array_get(kvs, i), prefix, &b, &kv)) != 0)
			break;
		if ((r = fn(ctx, &kv)) != 0)
			break;
		if (i + 1 == json_array_size(kvs)) {
			free(*last);
			if ((*last = malloc(kv.key_len + 1)) == NULL) {
				r = -ENOMEM;
				break;
			}
			memcpy(*last, kv.key, kv.key_len);
			(*last)[kv.key_len] = 0;
			*last_len = kv.key_len + 1;
		}
	}
	etcd_kvbuf_free(&b);
	return r;
}

int
etcd_range(struct etcd *e, const void *prefix, size_t prefix_len, int64_t at,
    unsigned flags, etcd_kv_fn fn, void *ctx, int64_t *rev)
{
	size_t page = e->cfg.range_page, last_len = 0;
	uint8_t *last = NULL;
	int64_t hrev;
	bool more = true;
	int r = 0;

	if (rev != NULL)
		*rev = 0;
	while (more) {
		json_t *req, *resp;
		r = etcd_msg_range(e->cfg.prefix, prefix, prefix_len, true, last, last_len, at,
		    (int64_t)page, flags & ETCD_SERIALIZABLE, &req);
		if (r != 0)
			break;
		r = call(e, "/v3/kv/range", req, read_flags(flags), &resp, &hrev);
		if (r == DNSD_ETOOBIG && page > 1) {
			page /= 2; /* a page too large for max_response: smaller pages */
			continue;
		}
		if (r != 0)
			break;
		if (at == 0) /* every later page reads at the first one's revision */
			at = hrev;
		if (rev != NULL)
			*rev = at;
		more = json_is_true(json_object_get(resp, "more"));
		r = range_page(resp, e->cfg.prefix, fn, ctx, &last, &last_len);
		json_decref(resp);
		if (r != 0)
			break;
		if (more && last == NULL)
			r = DNSD_EMALF; /* "more" without a key */
		if (r != 0)
			break;
	}
	free(last);
	return r;
}

int
etcd_delete(struct etcd *e, const void *key, size_t key_len, bool prefix,
    int64_t *deleted, int64_t *rev)
{
	json_t *req, *resp;
	int64_t n = 0;
	int r;

	if (deleted != NULL)
		*deleted = 0;
	if ((r = etcd_msg_delete(e->cfg.prefix, key, key_len, prefix, &req)) != 0)
		return r;
	if ((r = call(e, "/v3/kv/deleterange", req, ETCD_CALL_LEADER, &resp, rev)) != 0)
		return r;
	r = etcd_msg_int(resp, "deleted", &n);
	if (deleted != NULL)
		*deleted = n;
	json_decref(resp);
	return r;
}

/* ---- transactions ------------------------------------------------------------------- */

int
etcd_txn(struct etcd *e, const struct etcd_cmp *cmps, size_t ncmps,
    const struct etcd_op *then, size_t nthen, const struct etcd_op *otherwise,
    size_t notherwise, bool *succeeded, int64_t *rev)
{
	json_t *req, *resp;
	int r;

	*succeeded = false;
	if (rev != NULL)
		*rev = 0;
	r = etcd_msg_txn(e->cfg.prefix, cmps, ncmps, then, nthen, otherwise, notherwise,
	    e->cfg.max_request, &req);
	if (r != 0)
		return r;
	if ((r = call(e, "/v3/kv/txn", req, ETCD_CALL_LEADER, &resp, rev)) != 0)
		return r;
	*succeeded = json_is_true(json_object_get(resp, "succeeded"));
	json_decref(resp);
	return 0;
}

/* ---- leases ------------------------------------------------------------------------- */

int
etcd_lease_grant(struct etcd *e, int64_t ttl, int64_t id, int64_t *out_id,
    int64_t *out_ttl, int64_t *rev)
{
	json_t *resp;
	int64_t got_id, got_ttl;
	int r;

	*out_id = 0;
	if (out_ttl != NULL)
		*out_ttl = 0;
	if (ttl <= 0)
		return -EINVAL;
	r = call(e, "/v3/lease/grant", etcd_msg_lease(id, ttl), ETCD_CALL_LEADER, &resp, rev);
	if (r != 0)
		return r;
	if (etcd_msg_int(resp, "ID", &got_id) != 0 || etcd_msg_int(resp, "TTL", &got_ttl) != 0 ||
	    got_id == 0)
		r = DNSD_EMALF;
	json_decref(resp);
	if (r != 0)
		return r;
	*out_id = got_id;
	if (out_ttl != NULL)
		*out_ttl = got_ttl;
	return 0;
}

int
etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl, int64_t *rev)
{
	json_t *resp;
	int64_t left = 0;
	int r;

	*ttl = 0;
	r = call(e, "/v3/lease/keepalive", etcd_msg_lease(id, 0), ETCD_CALL_READ | ETCD_CALL_LEADER,
	    &resp, rev);
	if (r != 0)
		return r;
	/* One message of the keepalive stream; an unknown lease gets no TTL. */
	r = etcd_msg_int(json_object_get(resp, "result"), "TTL", &left);
	json_decref(resp);
	if (r != 0)
		return r;
	if (left <= 0)
		return DNSD_ENOTFOUND;
	*ttl = left;
	return 0;
}

int
etcd_lease_revoke(struct etcd *e, int64_t id, int64_t *rev)
{
	json_t *resp;
	int r;

	r = call(e, "/v3/lease/revoke", etcd_msg_lease(id, 0), ETCD_CALL_LEADER, &resp, rev);
	json_decref(resp);
	return r;
}

int
etcd_lease_ttl(struct etcd *e, int64_t id, int64_t *ttl, int64_t *granted, int64_t *rev)
{
	json_t *resp;
	int64_t left, full;
	int r;

	*ttl = 0;
	if (granted != NULL)
		*granted = 0;
	r = call(e, "/v3/lease/timetolive", etcd_msg_lease(id, 0), ETCD_CALL_READ | ETCD_CALL_LEADER,
	    &resp, rev);
	if (r != 0)
		return r;
	if (etcd_msg_int(resp, "TTL", &left) != 0 || etcd_msg_int(resp, "grantedTTL", &full) != 0)
		r = DNSD_EMALF;
	json_decref(resp);
	if (r != 0)
		return r;
	if (left < 0) /* -1: expired or never granted */
		return DNSD_ENOTFOUND;
	*ttl = left;
	if (granted != NULL)
		*granted = full;
	return 0;
}
