/* ops.c -- a scratch run's inputs as the operations of one etcd
 * transaction (ops.h) */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/layout.h"
#include "cluster/ops.h"
#include "conf/conf.h"
#include "store/store.h"
#include "util/err.h"
#include "zone/zone.h"

void
cops_etcd_setup(const struct conf_cluster *cc, struct etcd_setup *s)
{
	memset(s, 0, sizeof(*s));
	s->endpoints = (const char *const *)cc->etcd;
	s->nendpoints = cc->netcd;
	s->user = cc->user;
	s->password = cc->password;
	s->ca_file = cc->ca_file;
	s->cert_file = cc->cert_file;
	s->key_file = cc->key_file;
	s->prefix = cc->prefix;
}

int
cops_init(struct cops *c, const struct zonetab *zones)
{
	memset(c, 0, sizeof(*c));
	c->zones = zones;
	c->touched = calloc(zones->n + 1, sizeof(bool));
	return c->touched != NULL ? 0 : -ENOMEM;
}

void
cops_clear(struct cops *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->items[i].key);
	c->n = 0;
	c->bytes = 0;
	memset(c->touched, 0, c->zones->n * sizeof(bool));
	c->ntouched = 0;
}

void
cops_free(struct cops *c)
{
	if (c->touched == NULL)
		return;
	cops_clear(c);
	free(c->items);
	free(c->touched);
	free(c->cmps);
	free(c->ops);
	free(c->vkeys);
	memset(c, 0, sizeof(*c));
}

static long
zone_of(const struct zonetab *zones, const uint8_t *key)
{
	uint32_t id = wire_get32(key);
	for (size_t i = 0; i < zones->n; i++)
		if (zones->z[i].id == id)
			return (long)i;
	return -1;
}

/* The item of `key`: an existing one (its value is replaced), or a new one. */
static struct cops_item *
item_for(struct cops *c, const char *key, size_t len)
{
	for (size_t i = 0; i < c->n; i++) {
		struct cops_item *it = &c->items[i];
		if (it->key_len == len && memcmp(it->key, key, len) == 0) {
			c->bytes -= it->key_len + it->value_len;
			free(it->key);
			return it;
		}
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct cops_item *v = realloc(c->items, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		c->items = v;
		c->cap = cap;
	}
	return &c->items[c->n++];
}

static int
add_one(struct cops *c, const struct store_input *in)
{
	long zi = zone_of(c->zones, in->key);
	if (zi < 0)
		return 0;
	const struct zone *z = &c->zones->z[zi];
	uint8_t name[WIRE_NAME_MAX];
	char key[LAYOUT_KEY_MAX];
	size_t klen, vlen = 0;
	if (store_key_to_name(in->key, in->keylen, z->apex, name) == 0)
		return DNSD_EMALF;
	bool inst = in->op == STORE_INPUT_INST_PUT || in->op == STORE_INPUT_INST_DEL;
	bool del = in->op == STORE_INPUT_INST_DEL || in->op == STORE_INPUT_REC_DEL;
	if (inst) {
		klen = layout_key_instance(key, z->apex, name);
		vlen = del ? 0 : in->len;
	} else {
		if (in->len > 65535)
			return DNSD_EMALF;
		klen = layout_key_record(key, z->apex, name, in->type, in->data, (uint16_t)in->len);
		vlen = del ? 0 : LAYOUT_REC_HDR + in->len;
	}
	char *m = malloc(klen + vlen + 1);
	if (m == NULL)
		return -ENOMEM;
	struct cops_item *it = item_for(c, key, klen);
	if (it == NULL) {
		free(m);
		return -ENOMEM;
	}
	memcpy(m, key, klen);
	*it = (struct cops_item){ .key = m, .key_len = klen, .value = (uint8_t *)m + klen,
		.value_len = vlen, .del = del, .zone = (size_t)zi };
	if (!del && inst)
		memcpy(it->value, in->data, in->len);
	if (!del && !inst) {
		struct layout_rec r = { in->ttl, in->expire, in->owner, in->flags, in->data,
			(uint16_t)in->len };
		layout_rec_encode(&r, it->value);
	}
	it->expire = del ? 0 : in->expire;
	c->bytes += klen + vlen;
	if (!c->touched[zi]) {
		c->touched[zi] = true;
		c->ntouched++;
	}
	return 0;
}

int
cops_add(struct cops *c, const uint8_t *p, const uint8_t *end)
{
	struct store_input in;
	int rc;
	while ((rc = store_input_next(&p, end, &in)) == 1)
		if ((rc = add_one(c, &in)) != 0)
			return rc;
	return rc;
}

size_t
cops_count(const struct cops *c)
{
	return c->n + c->ntouched;
}

size_t
cops_bound(const struct cops *c, const uint8_t *p, const uint8_t *end)
{
	struct store_input in;
	size_t n = cops_count(c);
	bool *seen = calloc(c->zones->n + 1, sizeof(bool));
	while (store_input_next(&p, end, &in) == 1) {
		long zi = zone_of(c->zones, in.key);
		n++;
		if (zi >= 0 && !c->touched[zi] && seen != NULL && !seen[zi]) {
			seen[zi] = true;
			n++;
		} else if (seen == NULL) {
			n++;
		}
	}
	free(seen);
	return n;
}

int
cops_txn(struct cops *c, const int64_t *version, const char *node, cops_lease_fn lease, void *ctx)
{
	size_t nz = c->ntouched, nops = c->n + nz;
	free(c->cmps);
	free(c->ops);
	free(c->vkeys);
	c->cmps = calloc(nz + 1, sizeof(*c->cmps));
	c->ops = calloc(nops + 1, sizeof(*c->ops));
	c->vkeys = malloc((nz + 1) * LAYOUT_KEY_MAX);
	c->nops = 0;
	if (c->cmps == NULL || c->ops == NULL || c->vkeys == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->n; i++) {
		const struct cops_item *it = &c->items[i];
		struct etcd_op *o = &c->ops[c->nops++];
		o->type = it->del ? ETCD_OP_DELETE : ETCD_OP_PUT;
		o->key = it->key;
		o->key_len = it->key_len;
		o->value = it->value;
		o->value_len = it->value_len;
		if (!it->del && it->expire != 0) {
			int rc = lease(ctx, it->expire, &o->lease);
			if (rc != 0)
				return rc;
		}
	}
	size_t k = 0;
	for (size_t zi = 0; zi < c->zones->n; zi++) {
		if (!c->touched[zi])
			continue;
		char *vk = c->vkeys + k * LAYOUT_KEY_MAX;
		size_t vl = layout_key_version(vk, c->zones->z[zi].apex);
		c->cmps[k] = (struct etcd_cmp){ .key = vk, .key_len = vl, .target = ETCD_CMP_MOD,
			.op = ETCD_EQUAL, .number = version[zi] };
		c->ops[c->nops++] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = vk, .key_len = vl,
			.value = node, .value_len = strlen(node) };
		k++;
	}
	return 0;
}
