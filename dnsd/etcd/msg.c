/* msg.c -- etcd's JSON gateway messages: requests built, responses and the
 * watch stream read
 *
 * The gateway maps etcd's protobuf messages to JSON the proto3 way: bytes
 * (keys, values) are base64, int64 fields are decimal strings, and fields
 * at their zero value are left out: a PUT event has no "type", a failed
 * transaction no "succeeded", the first watch of a stream no "watch_id",
 * an expired lease no "TTL". As etcd 3.4 sends them:
 *
 *   POST /v3/kv/range {"key":"L2Ruc2QvYQ==","range_end":"L2Ruc2Qvag=="}
 *   {"header":{"cluster_id":"1511...","member_id":"1366...","revision":"4",
 *    "raft_term":"2"},"kvs":[{"key":"L2Ruc2QvYQ==","create_revision":"2",
 *    "mod_revision":"4","version":"2","value":"eA=="}],"count":"1"}
 *   {"error":"etcdserver: mvcc: required revision has been compacted",
 *    "message":"etcdserver: mvcc: required revision has been compacted",
 *    "code":11}
 *
 * A watch (and a lease keepalive) answers with a stream of messages, one
 * per line, each wrapped in "result" (or "error" in the stream's form):
 *
 *   {"result":{"header":{...,"revision":"3"},"created":true}}
 *   {"result":{"header":{...,"revision":"4"},"events":[{"type":"DELETE",
 *    "kv":{"key":"L2Ruc2QvYQ==","mod_revision":"4"}}]}}
 *   {"result":{"header":{...},"watch_id":"-1"}}          (progress asked)
 *   {"result":{"header":{...},"canceled":true,"compact_revision":"3"}}
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd/msg.h"
#include "util/err.h"

/* ---- base64 ------------------------------------------------------------------ */

/* EVP_EncodeBlock and EVP_DecodeBlock take int lengths: work in pieces. */
enum { B64_STEP = 3 << 20 };

size_t
etcd_b64_len(size_t n)
{
	return (n / 3 + (n % 3 != 0)) * 4;
}

void
etcd_b64_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	*out = '\0';
	while (n > 0) {
		size_t k = n > B64_STEP ? B64_STEP : n;
		out += EVP_EncodeBlock((unsigned char *)out, p, (int)k);
		p += k;
		n -= k;
	}
}

static bool
b64_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/';
}

int
etcd_b64_decode(const char *in, size_t n, uint8_t *out, size_t *out_len)
{
	size_t pad = 0, total = 0;

	*out_len = 0;
	if (n % 4 != 0)
		return DNSD_EMALF;
	while (pad < 2 && pad < n && in[n - 1 - pad] == '=')
		pad++;
	/* OpenSSL skips blanks and takes '=' anywhere: be strict first. */
	for (size_t i = 0; i < n - pad; i++)
		if (!b64_alpha((unsigned char)in[i]))
			return DNSD_EMALF;
	while (n > 0) {
		size_t k = n > B64_STEP / 3 * 4 ? B64_STEP / 3 * 4 : n;
		int r = EVP_DecodeBlock(out + total, (const unsigned char *)in, (int)k);
		if (r < 0)
			return DNSD_EMALF;
		total += (size_t)r;
		in += k;
		n -= k;
	}
	*out_len = total - pad;
	return 0;
}

size_t
etcd_range_end(const uint8_t *key, size_t len, uint8_t *end)
{
	for (size_t i = len; i > 0; i--) {
		if (key[i - 1] != 0xff) {
			memcpy(end, key, i);
			end[i - 1] = (uint8_t)(key[i - 1] + 1);
			return i;
		}
	}
	end[0] = 0;
	return 1;
}

/* ---- building ------------------------------------------------------------------ */

static json_t *
jint(int64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRId64, v);
	return json_string(b);
}

static json_t *
jbytes(const void *p, size_t n)
{
	char *s = malloc(etcd_b64_len(n) + 1);
	if (s == NULL)
		return NULL;
	etcd_b64_encode(p, n, s);
	json_t *j = json_string_nocheck(s);
	free(s);
	return j;
}

/* prefix + key, base64; with `end`, the end of the range of keys starting
 * with it instead. */
static json_t *
jkey(const char *prefix, const void *key, size_t len, bool end)
{
	size_t plen = strlen(prefix), n = plen + len;
	uint8_t *full = malloc(n + 1), *e = NULL;
	json_t *j = NULL;

	if (full == NULL)
		return NULL;
	memcpy(full, prefix, plen);
	if (len > 0)
		memcpy(full + plen, key, len);
	if (!end) {
		j = jbytes(full, n);
	} else if ((e = malloc(n + 1)) != NULL) {
		j = jbytes(e, etcd_range_end(full, n, e));
		free(e);
	}
	free(full);
	return j;
}

/* Set o[k] = v (taken); a NULL v or a failure marks *bad. */
static void
set(json_t *o, const char *k, json_t *v, bool *bad)
{
	if (v == NULL || json_object_set_new(o, k, v) != 0)
		*bad = true;
}

/* An object or NULL: frees it when *bad. */
static json_t *
finish(json_t *o, bool bad)
{
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The bytes a key (with prefix, and its range end) and a value take in a
 * request, plus room for the field names; SIZE_MAX past `max`. */
static size_t
cost(size_t plen, size_t klen, bool prefix, size_t vlen, size_t max)
{
	if (klen > max || vlen > max)
		return SIZE_MAX;
	return etcd_b64_len(plen + klen) * (prefix ? 2 : 1) + etcd_b64_len(vlen) + 128;
}

int
etcd_msg_put(const char *prefix, const void *key, size_t key_len, const void *value,
    size_t value_len, int64_t lease, size_t max, json_t **out)
{
	bool bad = false;
	json_t *o;

	*out = NULL;
	if (cost(strlen(prefix), key_len, false, value_len, max) > max)
		return DNSD_ETOOBIG;
	if ((o = json_object()) == NULL)
		return -ENOMEM;
	set(o, "key", jkey(prefix, key, key_len, false), &bad);
	set(o, "value", jbytes(value, value_len), &bad);
	if (lease != 0)
		set(o, "lease", jint(lease), &bad);
	*out = finish(o, bad);
	return *out ? 0 : -ENOMEM;
}

int
etcd_msg_range(const char *prefix, const void *key, size_t key_len, bool is_prefix,
    const void *from, size_t from_len, int64_t rev, int64_t limit, bool serializable,
    json_t **out)
{
	bool bad = false;
	json_t *o;

	if ((*out = o = json_object()) == NULL)
		return -ENOMEM;
	if (from != NULL)
		set(o, "key", jkey(prefix, from, from_len, false), &bad);
	else
		set(o, "key", jkey(prefix, key, key_len, false), &bad);
	if (is_prefix)
		set(o, "range_end", jkey(prefix, key, key_len, true), &bad);
	if (rev > 0)
		set(o, "revision", jint(rev), &bad);
	if (limit > 0)
		set(o, "limit", jint(limit), &bad);
	if (serializable)
		set(o, "serializable", json_true(), &bad);
	*out = finish(o, bad);
	return *out ? 0 : -ENOMEM;
}

int
etcd_msg_delete(const char *prefix, const void *key, size_t key_len, bool is_prefix,
    json_t **out)
{
	bool bad = false;
	json_t *o;

	if ((*out = o = json_object()) == NULL)
		return -ENOMEM;
	set(o, "key", jkey(prefix, key, key_len, false), &bad);
	if (is_prefix)
		set(o, "range_end", jkey(prefix, key, key_len, true), &bad);
	*out = finish(o, bad);
	return *out ? 0 : -ENOMEM;
}

/* The names of etcd's Compare.CompareTarget and CompareResult, and the
 * field that carries each target's operand. */
static const char *const cmp_targets[] = { "VERSION", "CREATE", "MOD", "VALUE", "LEASE" };
static const char *const cmp_fields[] = {
	"version", "create_revision", "mod_revision", "value", "lease"
};
static const char *const cmp_results[] = { "EQUAL", "NOT_EQUAL", "GREATER", "LESS" };

static json_t *
jcmp(const char *prefix, const struct etcd_cmp *c)
{
	bool bad = false;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	set(o, "key", jkey(prefix, c->key, c->key_len, false), &bad);
	if (c->prefix)
		set(o, "range_end", jkey(prefix, c->key, c->key_len, true), &bad);
	set(o, "target", json_string(cmp_targets[c->target]), &bad);
	set(o, "result", json_string(cmp_results[c->op]), &bad);
	if (c->target == ETCD_CMP_VALUE)
		set(o, cmp_fields[c->target], jbytes(c->value, c->value_len), &bad);
	else
		set(o, cmp_fields[c->target], jint(c->number), &bad);
	return finish(o, bad);
}

static json_t *
jop(const char *prefix, const struct etcd_op *op)
{
	bool bad = false;
	json_t *in = json_object(), *o = json_object();

	if (in == NULL || o == NULL) {
		json_decref(in);
		json_decref(o);
		return NULL;
	}
	set(in, "key", jkey(prefix, op->key, op->key_len, false), &bad);
	if (op->type == ETCD_OP_PUT) {
		set(in, "value", jbytes(op->value, op->value_len), &bad);
		if (op->lease != 0)
			set(in, "lease", jint(op->lease), &bad);
		set(o, "request_put", in, &bad);
	} else {
		if (op->type == ETCD_OP_DELETE_PREFIX)
			set(in, "range_end", jkey(prefix, op->key, op->key_len, true), &bad);
		set(o, "request_delete_range", in, &bad);
	}
	return finish(o, bad);
}

static json_t *
jops(const char *prefix, const struct etcd_op *ops, size_t n)
{
	bool bad = false;
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n && !bad; i++) {
		json_t *op = jop(prefix, &ops[i]);
		if (op == NULL || json_array_append_new(a, op) != 0)
			bad = true;
	}
	return a ? finish(a, bad) : NULL;
}

/* Valid enums, and the request's size within `max`. */
static int
txn_check(size_t plen, const struct etcd_cmp *cmps, size_t ncmps, const struct etcd_op *then,
    size_t nthen, const struct etcd_op *otherwise, size_t notherwise, size_t max)
{
	size_t total = 64;

	for (size_t i = 0; i < ncmps; i++) {
		const struct etcd_cmp *c = &cmps[i];
		if ((unsigned)c->target > ETCD_CMP_LEASE || (unsigned)c->op > ETCD_LESS)
			return -EINVAL;
		size_t v = c->target == ETCD_CMP_VALUE ? c->value_len : 0;
		size_t k = cost(plen, c->key_len, c->prefix, v, max);
		if (k > max || (total += k) > max)
			return DNSD_ETOOBIG;
	}
	for (size_t i = 0; i < nthen + notherwise; i++) {
		const struct etcd_op *op = i < nthen ? &then[i] : &otherwise[i - nthen];
		if ((unsigned)op->type > ETCD_OP_DELETE_PREFIX)
			return -EINVAL;
		size_t v = op->type == ETCD_OP_PUT ? op->value_len : 0;
		size_t k = cost(plen, op->key_len, op->type == ETCD_OP_DELETE_PREFIX, v, max);
		if (k > max || (total += k) > max)
			return DNSD_ETOOBIG;
	}
	return 0;
}

int
etcd_msg_txn(const char *prefix, const struct etcd_cmp *cmps, size_t ncmps,
    const struct etcd_op *then, size_t nthen, const struct etcd_op *otherwise,
    size_t notherwise, size_t max, json_t **out)
{
	bool bad = false;
	json_t *o, *a;
	int r;

	*out = NULL;
	r = txn_check(strlen(prefix), cmps, ncmps, then, nthen, otherwise, notherwise, max);
	if (r != 0)
		return r;
	if ((o = json_object()) == NULL || (a = json_array()) == NULL) {
		json_decref(o);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ncmps && !bad; i++) {
		json_t *c = jcmp(prefix, &cmps[i]);
		if (c == NULL || json_array_append_new(a, c) != 0)
			bad = true;
	}
	set(o, "compare", a, &bad);
	set(o, "success", jops(prefix, then, nthen), &bad);
	set(o, "failure", jops(prefix, otherwise, notherwise), &bad);
	*out = finish(o, bad);
	return *out ? 0 : -ENOMEM;
}

int
etcd_msg_watch_create(const char *prefix, const void *key, size_t key_len, int64_t start,
    json_t **out)
{
	bool bad = false;
	json_t *in = json_object(), *o = json_object();

	*out = NULL;
	if (in == NULL || o == NULL) {
		json_decref(in);
		json_decref(o);
		return -ENOMEM;
	}
	set(in, "key", jkey(prefix, key, key_len, false), &bad);
	set(in, "range_end", jkey(prefix, key, key_len, true), &bad);
	if (start > 0)
		set(in, "start_revision", jint(start), &bad);
	set(in, "progress_notify", json_true(), &bad);
	set(o, "create_request", in, &bad);
	*out = finish(o, bad);
	return *out ? 0 : -ENOMEM;
}

json_t *
etcd_msg_lease(int64_t id, int64_t ttl)
{
	bool bad = false;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	set(o, "ID", jint(id), &bad);
	if (ttl > 0)
		set(o, "TTL", jint(ttl), &bad);
	return finish(o, bad);
}

/* ---- reading ------------------------------------------------------------------- */

int
etcd_msg_int(const json_t *o, const char *name, int64_t *v)
{
	const json_t *j = json_object_get(o, name);
	const char *s;
	char *end;
	size_t n;
	long long x;

	*v = 0;
	if (j == NULL || json_is_null(j))
		return 0;
	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return DNSD_EMALF;
	s = json_string_value(j);
	n = json_string_length(j);
	if (n == 0 || n > 20 || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return DNSD_EMALF;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno != 0 || end != s + n)
		return DNSD_EMALF;
	*v = x;
	return 0;
}

int
etcd_msg_revision(const json_t *resp, int64_t *rev)
{
	const json_t *h = json_object_get(resp, "header");

	*rev = 0;
	if (!json_is_object(h))
		return DNSD_EMALF;
	return etcd_msg_int(h, "revision", rev);
}

bool
etcd_msg_error(const json_t *resp, int *code, const char **message)
{
	const json_t *e = json_object_get(resp, "error"), *src, *c, *m;

	if (e == NULL)
		return false;
	src = json_is_object(e) ? e : resp;
	c = json_object_get(src, json_is_object(e) ? "grpc_code" : "code");
	m = json_object_get(src, "message");
	*code = json_is_integer(c) ? (int)json_integer_value(c) : 2; /* UNKNOWN */
	if (json_is_string(m))
		*message = json_string_value(m);
	else
		*message = json_is_string(e) ? json_string_value(e) : "";
	return true;
}

int
etcd_err_from_grpc(int code, const char *message)
{
	switch (code) {
	case 5: /* NOT_FOUND: a lease */
		return DNSD_ENOTFOUND;
	case 7: /* PERMISSION_DENIED */
	case 16: /* UNAUTHENTICATED: a token etcd no longer knows */
		return -EACCES;
	case 11: /* OUT_OF_RANGE: compacted, or a future revision */
		return strstr(message, "compacted") ? DNSD_ECOMPACTED : DNSD_EETCD;
	case 1: /* CANCELLED */
	case 4: /* DEADLINE_EXCEEDED */
	case 14: /* UNAVAILABLE: no leader, request timed out, stopping */
		return DNSD_EUNAVAIL;
	case 3: /* INVALID_ARGUMENT */
		if (strstr(message, "too large") || strstr(message, "too many operations"))
			return DNSD_ETOOBIG;
		if (strstr(message, "authentication failed") || strstr(message, "user name is empty"))
			return -EACCES;
		return DNSD_EETCD;
	case 8: /* RESOURCE_EXHAUSTED: "too many requests" passes, no space stays */
		return strstr(message, "too many requests") ? DNSD_EUNAVAIL : DNSD_EETCD;
	default:
		return DNSD_EETCD;
	}
}

void
etcd_kvbuf_free(struct etcd_kvbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->cap = 0;
}

/* A base64 field of `o` ("" if absent). */
static int
b64_field(const json_t *o, const char *name, const char **s, size_t *n)
{
	const json_t *j = json_object_get(o, name);

	*s = "";
	*n = 0;
	if (j == NULL || json_is_null(j))
		return 0;
	if (!json_is_string(j))
		return DNSD_EMALF;
	*s = json_string_value(j);
	*n = json_string_length(j);
	return 0;
}

/* Room the decoded key and value of a kv object need at most. */
static int
kv_room(const json_t *o, size_t *room)
{
	const char *k, *v;
	size_t kn, vn;

	if (!json_is_object(o) || b64_field(o, "key", &k, &kn) != 0 ||
	    b64_field(o, "value", &v, &vn) != 0)
		return DNSD_EMALF;
	*room = kn / 4 * 3 + vn / 4 * 3;
	return 0;
}

/* Decode a kv object into `area` (room from kv_room); *used gets the
 * bytes taken. */
static int
kv_decode(const json_t *o, const char *prefix, uint8_t *area, size_t *used, struct etcd_kv *kv)
{
	const char *k, *v;
	size_t kn, vn, klen, vlen, plen = strlen(prefix);

	memset(kv, 0, sizeof(*kv));
	if (b64_field(o, "key", &k, &kn) != 0 || b64_field(o, "value", &v, &vn) != 0 ||
	    etcd_b64_decode(k, kn, area, &klen) != 0 ||
	    etcd_b64_decode(v, vn, area + klen, &vlen) != 0)
		return DNSD_EMALF;
	if (klen < plen || memcmp(area, prefix, plen) != 0)
		return DNSD_EMALF;
	kv->key = area + plen;
	kv->key_len = klen - plen;
	kv->value = area + klen;
	kv->value_len = vlen;
	*used = klen + vlen;
	if (etcd_msg_int(o, "create_revision", &kv->create_revision) != 0 ||
	    etcd_msg_int(o, "mod_revision", &kv->mod_revision) != 0 ||
	    etcd_msg_int(o, "version", &kv->version) != 0 ||
	    etcd_msg_int(o, "lease", &kv->lease) != 0)
		return DNSD_EMALF;
	return 0;
}

int
etcd_msg_kv(const json_t *o, const char *prefix, struct etcd_kvbuf *b, struct etcd_kv *kv)
{
	size_t room, used;
	int r = kv_room(o, &room);

	if (r != 0)
		return r;
	if (room + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < room + 1)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (p == NULL)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	return kv_decode(o, prefix, b->p, &used, kv);
}

void
etcd_wresp_free(struct etcd_wresp *w)
{
	free(w->events);
	w->events = NULL;
	w->nevents = 0;
}

/* The events of a watch message, in one allocation. */
static int
watch_events(const json_t *evs, const char *prefix, struct etcd_wresp *w)
{
	size_t n = json_array_size(evs), room = 0, used, off = 0;
	uint8_t *area;

	for (size_t i = 0; i < n; i++) {
		const json_t *ev = json_array_get(evs, i), *type;
		size_t r;
		if (!json_is_object(ev) || kv_room(json_object_get(ev, "kv"), &r) != 0)
			return DNSD_EMALF;
		type = json_object_get(ev, "type");
		if (type != NULL && !(json_is_string(type) &&
		    (strcmp(json_string_value(type), "PUT") == 0 ||
		     strcmp(json_string_value(type), "DELETE") == 0)))
			return DNSD_EMALF;
		room += r;
	}
	if (n == 0)
		return 0;
	w->events = malloc(n * sizeof(*w->events) + room + 1);
	if (w->events == NULL)
		return -ENOMEM;
	area = (uint8_t *)(w->events + n);
	for (size_t i = 0; i < n; i++) {
		const json_t *ev = json_array_get(evs, i);
		const json_t *type = json_object_get(ev, "type");
		struct etcd_event *e = &w->events[i];
		e->deleted = type != NULL && strcmp(json_string_value(type), "DELETE") == 0;
		if (kv_decode(json_object_get(ev, "kv"), prefix, area + off, &used, &e->kv) != 0)
			return DNSD_EMALF;
		off += used;
		w->nevents++;
	}
	return 0;
}

int
etcd_msg_watch(const json_t *msg, const char *prefix, struct etcd_wresp *w, int *code,
    const char **message)
{
	const json_t *r, *evs, *reason;

	memset(w, 0, sizeof(*w));
	w->cancel_reason = "";
	*code = 0;
	*message = "";
	if (etcd_msg_error(msg, code, message))
		return etcd_err_from_grpc(*code, *message);
	r = json_object_get(msg, "result");
	if (!json_is_object(r) || etcd_msg_revision(r, &w->revision) != 0 ||
	    etcd_msg_int(r, "watch_id", &w->watch_id) != 0 ||
	    etcd_msg_int(r, "compact_revision", &w->compact_revision) != 0)
		return DNSD_EMALF;
	w->created = json_is_true(json_object_get(r, "created"));
	w->canceled = json_is_true(json_object_get(r, "canceled"));
	reason = json_object_get(r, "cancel_reason");
	if (json_is_string(reason))
		w->cancel_reason = json_string_value(reason);
	evs = json_object_get(r, "events");
	if (evs == NULL)
		return 0;
	if (!json_is_array(evs))
		return DNSD_EMALF;
	return watch_events(evs, prefix, w);
}

/* ---- the stream splitter ---------------------------------------------------------- */

void
etcd_split_init(struct etcd_split *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
}

void
etcd_split_reset(struct etcd_split *s)
{
	s->len = 0;
}

void
etcd_split_free(struct etcd_split *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

/* Append to the message in progress (the caller checked the bound). */
static int
split_keep(struct etcd_split *s, const char *p, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n)
			cap *= 2;
		if (cap > s->max)
			cap = s->max;
		char *b = realloc(s->buf, cap);
		if (b == NULL)
			return -ENOMEM;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

int
etcd_split_feed(struct etcd_split *s, const char *data, size_t n, etcd_split_fn fn, void *ctx)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n), *msg;
		size_t seg = nl ? (size_t)(nl - data) : n, len;
		int r;

		if (seg > s->max || s->len > s->max - seg)
			return DNSD_ETOOBIG;
		if (nl == NULL)
			return split_keep(s, data, n);
		if (s->len == 0) {
			msg = data; /* whole in this piece: no copy */
			len = seg;
		} else {
			if ((r = split_keep(s, data, seg)) != 0)
				return r;
			msg = s->buf;
			len = s->len;
		}
		while (len > 0 && (msg[len - 1] == '\r' || msg[len - 1] == ' '))
			len--;
		r = len > 0 ? fn(ctx, msg, len) : 0;
		s->len = 0;
		if (r != 0)
			return r;
		data += seg + 1;
		n -= seg + 1;
	}
	return 0;
}
