/* catalog.c -- service instances in the store: read, write, expire, and
 * derive their views at the end of each group of changes */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"
#include "svc/catalog.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

void
svc_ctx_init(struct svc_ctx *x, struct store_txn *t, const struct zonetab *zones, uint32_t now)
{
	memset(x, 0, sizeof(*x));
	x->t = t;
	x->zones = zones;
	x->now = now;
}

int
svc_get(struct store_txn *t, const struct zone *z, const uint8_t *name, struct svc_instance *in)
{
	struct store_key k;
	struct store_val v;
	int rc = store_key_make(&k, z->id, name, z->labels);
	if (rc == 0)
		rc = store_inst_get(t, &k, &v);
	return rc != 0 ? rc : svc_decode(v.data, v.len, name, in);
}

/* The zone of a store key (its first four bytes), in `zones`. */
static const struct zone *
zone_of_key(const struct zonetab *zones, const uint8_t *key)
{
	uint32_t id = wire_get32(key);
	for (size_t i = 0; i < zones->n; i++)
		if (zones->z[i].id == id)
			return &zones->z[i];
	return NULL;
}

int
svc_get_by_id(struct store_txn *t, const struct zonetab *zones, const char *id,
    struct svc_instance *in, const struct zone **zone)
{
	struct store_key k;
	struct store_val v;
	uint8_t name[WIRE_NAME_MAX];
	int rc = store_inst_id_get(t, id, &k);
	if (rc != 0)
		return rc;
	const struct zone *z = zone_of_key(zones, k.b);
	if (z == NULL || store_key_to_name(k.b, k.len, z->apex, name) == 0)
		return DNSD_ENOTFOUND; /* a zone no longer served */
	if ((rc = store_inst_get(t, &k, &v)) != 0 || (rc = svc_decode(v.data, v.len, name, in)) != 0)
		return rc;
	*zone = z;
	return 0;
}

struct walk_arg {
	const struct zone *z;
	unsigned depth; /* 0: any instance of the zone */
	int (*fn)(void *arg, const struct svc_instance *in);
	void *arg;
};

static int
walk_one(void *arg, struct store_val key, struct store_val val)
{
	struct walk_arg *w = arg;
	struct store_key k;
	uint8_t name[WIRE_NAME_MAX];
	struct svc_instance in;
	const uint8_t *service;
	if (store_key_parse(&k, key.data, key.len) != 0 || (w->depth != 0 && k.depth != w->depth) ||
	    store_key_to_name(key.data, key.len, w->z->apex, name) == 0 ||
	    !svc_is_instance_name(name, w->z->apex, &service) ||
	    svc_decode(val.data, val.len, name, &in) != 0)
		return 0;
	return w->fn(w->arg, &in);
}

int
svc_walk(struct store_txn *t, const struct zone *z, const uint8_t *service,
    int (*fn)(void *arg, const struct svc_instance *in), void *arg)
{
	struct walk_arg w = { .z = z, .fn = fn, .arg = arg };
	struct store_key k;
	int rc = store_key_make(&k, z->id, service != NULL ? service : z->apex, z->labels);
	if (rc != 0)
		return rc;
	if (service != NULL)
		w.depth = k.depth + 1u;
	return store_inst_walk(t, k.b, k.len, walk_one, &w);
}

/* Remember that a service's views must be derived again. */
static int
touch(struct svc_ctx *x, const struct zone *z, const uint8_t *service)
{
	x->changed = true;
	for (size_t i = 0; i < x->ntouched; i++)
		if (x->touched[i].zone == z && wire_name_equal(x->touched[i].name, service))
			return 0;
	if (x->ntouched == x->captouched) {
		size_t cap = x->captouched ? x->captouched * 2 : 8;
		struct svc_touched *v = realloc(x->touched, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		x->touched = v;
		x->captouched = cap;
	}
	x->touched[x->ntouched].zone = z;
	memcpy(x->touched[x->ntouched++].name, service, wire_name_len(service));
	return 0;
}

/* The instance's ID; without one, its name relative to the zone
 * ("web-1._web._tcp"), which is unique there. */
static void
id_of(const struct zone *z, const struct svc_instance *in, char *out)
{
	if (in->id[0] != '\0') {
		strcpy(out, in->id);
		return;
	}
	char full[WIRE_NAME_MAX * 4 + 1];
	wire_name_to_str(in->name, full, sizeof(full));
	size_t n = strlen(full), zl = strlen(z->name);
	if (n > zl && strcasecmp(full + n - zl, z->name) == 0 && full[n - zl - 1] == '.')
		n -= zl + 1;
	else if (n > 0 && full[n - 1] == '.')
		n--;
	if (n >= SVC_ID_MAX)
		n = SVC_ID_MAX - 1;
	memcpy(out, full, n);
	out[n] = '\0';
}

int
svc_put(struct svc_ctx *x, const struct zone *z, struct svc_instance *in)
{
	const uint8_t *service;
	struct store_key k;
	struct svc_instance old;
	uint8_t buf[SVC_VALUE_MAX];
	char id[SVC_ID_MAX], oldid[SVC_ID_MAX];
	if (!svc_is_instance_name(in->name, z->apex, &service))
		return DNSD_EMALF;
	int rc = store_key_make(&k, z->id, in->name, z->labels);
	if (rc != 0)
		return rc;
	rc = svc_get(x->t, z, in->name, &old);
	if (rc != 0 && rc != DNSD_ENOTFOUND)
		return rc;
	bool existed = rc == 0 && svc_live(&old, x->now);
	id_of(z, in, id);
	snprintf(in->id, sizeof(in->id), "%s", id);
	if (rc == 0) {
		id_of(z, &old, oldid);
		if (strcmp(oldid, id) != 0 && (rc = store_inst_id_del(x->t, oldid)) != 0)
			return rc;
	}
	size_t len = svc_encode(in, buf);
	if ((rc = store_inst_put(x->t, &k, buf, len, in->expire)) != 0 ||
	    (rc = store_inst_id_put(x->t, id, &k)) != 0 ||
	    (rc = svc_view_instance(x->t, z, in, x->now)) != 0)
		return rc;
	if (existed) {
		x->renewed++;
	} else {
		char name[WIRE_NAME_MAX * 4 + 1];
		x->registered++;
		wire_name_to_str(in->name, name, sizeof(name));
		/* One line per registration, at most one a second under load. */
		log_limited(LOG_LVL_INFO, "svc: registered", 1, "registered %s (id %s, %s:%u, %s)",
		    name, id, in->naddrs > 0 ? "own address" : "host", in->port,
		    in->expire ? "leased" : "permanent");
	}
	return touch(x, z, service);
}

int
svc_del(struct svc_ctx *x, const struct zone *z, const uint8_t *name)
{
	const uint8_t *service;
	struct store_key k;
	struct svc_instance old;
	char id[SVC_ID_MAX];
	if (!svc_is_instance_name(name, z->apex, &service))
		return DNSD_ENOTFOUND;
	int rc = svc_get(x->t, z, name, &old);
	if (rc != 0)
		return rc;
	id_of(z, &old, id);
	struct store_key idk;
	/* The ID may have moved to another instance since. */
	if (store_inst_id_get(x->t, id, &idk) == 0 && store_key_make(&k, z->id, name, z->labels) == 0 &&
	    idk.len == k.len && memcmp(idk.b, k.b, k.len) == 0 &&
	    (rc = store_inst_id_del(x->t, id)) != 0)
		return rc;
	if ((rc = store_key_make(&k, z->id, name, z->labels)) != 0 ||
	    (rc = store_inst_del(x->t, &k)) != 0 ||
	    (rc = svc_view_clear_instance(x->t, z, name)) != 0)
		return rc;
	x->deregistered++;
	char text[WIRE_NAME_MAX * 4 + 1];
	wire_name_to_str(name, text, sizeof(text));
	log_limited(LOG_LVL_INFO, "svc: deregistered", 1, "deregistered %s (id %s)", text, id);
	return touch(x, z, service);
}

int
svc_expire(struct svc_ctx *x, const struct store_key *k)
{
	const struct zone *z = zone_of_key(x->zones, k->b);
	uint8_t name[WIRE_NAME_MAX];
	struct store_val v;
	struct svc_instance in;
	if (z == NULL || store_key_to_name(k->b, k->len, z->apex, name) == 0)
		return 0;
	int rc = store_inst_get(x->t, k, &v);
	if (rc == DNSD_ENOTFOUND)
		return 0;
	if (rc != 0 || (rc = svc_decode(v.data, v.len, name, &in)) != 0)
		return rc;
	if (svc_live(&in, x->now))
		return 0; /* renewed since: a stale entry */
	if ((rc = svc_del(x, z, name)) != 0)
		return rc;
	x->deregistered--;
	x->expired++;
	return 0;
}

int
svc_refresh(struct svc_ctx *x)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < x->ntouched; i++)
		rc = svc_view_derive(x->t, x->touched[i].zone, x->touched[i].name, x->now);
	return rc;
}

int
svc_flush(struct svc_ctx *x)
{
	int rc = svc_refresh(x);
	svc_ctx_free(x);
	return rc;
}

void
svc_ctx_free(struct svc_ctx *x)
{
	free(x->touched);
	x->touched = NULL;
	x->ntouched = x->captouched = 0;
}

struct tags_arg {
	char (*tags)[SVC_TAG_MAX];
	size_t *ntags;
};

static int
add_tags(void *arg, const struct svc_instance *in)
{
	struct tags_arg *a = arg;
	for (size_t i = 0; i < in->ntags; i++) {
		bool seen = false;
		for (size_t j = 0; j < *a->ntags && !seen; j++)
			seen = strcmp(a->tags[j], in->tags[i]) == 0;
		if (!seen && *a->ntags < SVC_TAGS_MAX)
			strcpy(a->tags[(*a->ntags)++], in->tags[i]);
	}
	return 0;
}

int
svc_service_tags(struct store_txn *t, const struct zone *z, const uint8_t *service,
    char (*tags)[SVC_TAG_MAX], size_t *ntags)
{
	struct tags_arg a = { tags, ntags };
	*ntags = 0;
	return svc_walk(t, z, service, add_tags, &a);
}

/* The zone named `apex` in the context's table. */
static const struct zone *
zone_named(const struct zonetab *zones, const uint8_t *apex)
{
	for (size_t i = 0; zones != NULL && i < zones->n; i++)
		if (wire_name_equal(zones->z[i].apex, apex))
			return &zones->z[i];
	return NULL;
}

/* The worst health of the instance's checks. */
static enum svc_health
worst_check(const struct svc_instance *in)
{
	enum svc_health h = SVC_PASSING;
	for (size_t i = 0; i < in->nchecks; i++)
		if (in->checks[i].status > h)
			h = in->checks[i].status;
	return h;
}

static int
apply_health(struct svc_ctx *x, const struct svc_op *op)
{
	struct svc_instance in;
	const struct zone *z;
	int rc = svc_get_by_id(x->t, x->zones, op->id, &in, &z);
	if (rc != 0)
		return rc;
	enum svc_health before = in.health;
	if (op->check[0] == '\0') {
		in.health = op->health;
		snprintf(in.note, sizeof(in.note), "%s", op->output);
	} else {
		struct svc_check *c = NULL;
		for (size_t i = 0; i < in.nchecks && c == NULL; i++)
			if (strcmp(in.checks[i].id, op->check) == 0)
				c = &in.checks[i];
		if (c == NULL)
			return DNSD_ENOTFOUND;
		if (c->status != op->health)
			c->since = x->now;
		c->status = op->health;
		snprintf(c->output, sizeof(c->output), "%s", op->output);
		in.health = worst_check(&in);
		snprintf(in.note, sizeof(in.note), "%s", op->output);
		/* A TTL check is the instance's lease: each report renews it. */
		if (c->kind == SVC_CHECK_TTL && c->ttl_ms > 0 && op->health != SVC_CRITICAL)
			in.expire = x->now + (c->ttl_ms + 999) / 1000 + 1;
	}
	if (in.health != before)
		in.health_since = x->now;
	return svc_put(x, z, &in);
}

int
svc_apply(struct svc_ctx *x, const struct svc_op *op)
{
	switch (op->kind) {
	case SVC_OP_REGISTER: {
		const struct zone *z = zone_named(x->zones, op->zone);
		struct svc_instance old;
		const struct zone *oz;
		if (z == NULL)
			return DNSD_ENOTFOUND;
		/* The same ID under another name: the new registration replaces it. */
		if (op->inst.id[0] != '\0' &&
		    svc_get_by_id(x->t, x->zones, op->inst.id, &old, &oz) == 0 &&
		    (oz != z || !wire_name_equal(old.name, op->inst.name))) {
			int rc = svc_del(x, oz, old.name);
			if (rc != 0)
				return rc;
			x->deregistered--;
		}
		struct svc_instance in = op->inst;
		int rc = svc_put(x, z, &in);
		uint32_t n;
		if (rc == 0 && op->max_records != 0 && (rc = svc_refresh(x)) == 0 &&
		    (rc = store_owner_count(x->t, z->id, in.owner, &n)) == 0 && n > op->max_records)
			rc = DNSD_EQUOTA;
		return rc;
	}
	case SVC_OP_DEREGISTER: {
		struct svc_instance in;
		const struct zone *z;
		int rc = svc_get_by_id(x->t, x->zones, op->id, &in, &z);
		return rc != 0 ? rc : svc_del(x, z, in.name);
	}
	case SVC_OP_HEALTH:
		return apply_health(x, op);
	}
	return DNSD_EMALF;
}
