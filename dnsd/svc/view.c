/* view.c -- the DNS views of a service, derived from its instances
 *
 * For service S = _web._tcp.D of zone Z with visible instances I (live,
 * not critical; not warning either with only-passing), in the commit that
 * changed one of them:
 *
 *   S                              PTR  I           DNS-SD browse (RFC 6763)
 *   S                              SRV  p w port T  RFC 2782 clients
 *   I                              SRV  p w port T  DNS-SD resolve
 *   I                              TXT  ...         (one empty string if none)
 *   I                              A/AAAA           its own addresses, if any
 *   _tag._sub.S                    PTR  I           per tag (RFC 6763 7.1)
 *   _tag._sub.S                    SRV  p w port T  per tag, for SRV clients
 *   _services._dns-sd._udp.D       PTR  S           while S has an instance
 * and with consul-domain C (Consul's DNS interface):
 *   web.service.C                  SRV  p w port T  (+ A/AAAA from T per query)
 *   tag.web.service.C              SRV  ...         per tag
 *   _web._tag.service.C            SRV  ...         per tag (RFC 2782 form)
 *   _web._tcp.service.C            SRV  ...         any tag
 *
 * T is the instance's host, or the instance's own name when it has its
 * own addresses (a Consul registration with an Address). Every record
 * carries the instance's lease and owner, and NODE_RR_VIEW: deriving again
 * replaces the view records of a name and leaves the rest (zone-file data,
 * records an UPDATE added) alone. The tags of the last derivation are kept
 * in the service's summary, so a tag nobody has any more loses its names.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "node/node.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "util/err.h"
#include "zone/zone.h"

#define VIEW_FLAGS (NODE_RR_DYNAMIC | NODE_RR_VIEW)

/* The instances of one service, as read for a derivation: what the views
 * need of each (svc_brief), their tags in one buffer. */
struct ilist {
	size_t n, cap;
	struct svc_brief *v;
	char *tags;
	size_t tags_len, tags_cap;
	const uint8_t *service;
	unsigned depth;       /* key depth of an instance under the service */
	int err;
};

/* The summary of a service: its tags when last derived. */
struct summary {
	size_t ntags;
	char tags[SVC_TAGS_MAX][SVC_TAG_MAX];
};

/* ---- names ---- */

/* out = label . base; false if it does not fit or the label is no label. */
static bool
name_prepend(uint8_t *out, const char *label, size_t llen, const uint8_t *base)
{
	size_t blen = wire_name_len(base);
	if (llen == 0 || llen > WIRE_LABEL_MAX || 1 + llen + blen > WIRE_NAME_MAX ||
	    memchr(label, '.', llen) != NULL)
		return false;
	out[0] = (uint8_t)llen;
	memcpy(out + 1, label, llen);
	memmove(out + 1 + llen, base, blen);
	return true;
}

/* "_" + s, as a label. */
static bool
name_prepend_u(uint8_t *out, const char *s, const uint8_t *base)
{
	char l[WIRE_LABEL_MAX + 1];
	size_t n = strlen(s);
	if (n + 1 > WIRE_LABEL_MAX)
		return false;
	l[0] = '_';
	memcpy(l + 1, s, n);
	return name_prepend(out, l, n + 1, base);
}

/* The service's name for Consul: its first label without the '_'. */
static void
consul_service(const uint8_t *service, char *out)
{
	size_t n = service[0] - 1u;
	memcpy(out, service + 2, n);
	out[n] = '\0';
}

/* ---- editing the view records of one name ---- */

struct vnode {
	struct store_key k;
	struct node_edit e;
	bool ok;
};

/* Load the node at `name` of zone `z` without its view records. */
static int
vnode_begin(struct vnode *v, struct store_txn *t, const struct zone *z, const uint8_t *name)
{
	node_edit_init(&v->e);
	v->ok = false;
	int rc = store_key_make(&v->k, z->id, name, z->labels);
	if (rc == 0)
		rc = store_node_load(t, &v->k, 0, &v->e);
	if (rc != 0)
		return rc;
	for (size_t i = v->e.n; i-- > 0;)
		if (v->e.recs[i].flags & NODE_RR_VIEW)
			node_edit_remove(&v->e, i);
	v->ok = true;
	return 0;
}

/* A view record; sets of many are built by appending, merged once at the
 * end (vnode_end). */
static int
vnode_add(struct vnode *v, uint16_t type, uint32_t ttl, uint32_t expire, uint32_t owner,
    uint8_t flags, const uint8_t *rdata, uint16_t rdlen)
{
	return node_edit_append(&v->e, type, ttl, expire, owner, VIEW_FLAGS | flags, rdata, rdlen);
}

/* One TTL per RRset (RFC 2181 section 5.2): the least of its records',
 * which is what queries serve, so that transfers carry the same and a
 * secondary that keeps one TTL per RRset agrees with us. */
static void
unify_ttls(struct node_edit *e)
{
	node_edit_merge(e); /* sorts: each type's records are a run */
	for (size_t i = 0, j; i < e->n; i = j) {
		uint32_t ttl = e->recs[i].ttl;
		for (j = i; j < e->n && e->recs[j].type == e->recs[i].type; j++)
			if (e->recs[j].ttl < ttl)
				ttl = e->recs[j].ttl;
		for (size_t k = i; k < j; k++)
			e->recs[k].ttl = ttl;
	}
	node_edit_touch(e);
}

/* Save the node (an empty one is deleted) and free the edit. */
static int
vnode_end(struct vnode *v, struct store_txn *t, int rc)
{
	if (rc == 0 && v->ok) {
		unify_ttls(&v->e);
		rc = store_node_save(t, &v->k, &v->e);
	}
	node_edit_free(&v->e);
	return rc;
}

/* ---- reading the instances ---- */

static int
collect(void *arg, struct store_val key, struct store_val val)
{
	struct ilist *l = arg;
	struct store_key k;
	uint8_t name[WIRE_NAME_MAX];
	if (store_key_parse(&k, key.data, key.len) != 0 || k.depth != l->depth)
		return 0; /* deeper: not an instance of this service */
	/* The instance's name: its label, then the service name. */
	size_t start = k.depth >= 2 ? k.ends[k.depth - 2] : 4;
	uint8_t label[WIRE_LABEL_MAX];
	size_t ll = 0;
	for (size_t i = start; i + 1 < k.ends[k.depth - 1] && ll < sizeof(label); i++) {
		uint8_t c = key.data[i];
		if (c == 1)
			c = (uint8_t)(key.data[++i] - 1);
		label[ll++] = c;
	}
	if (!name_prepend(name, (const char *)label, ll, l->service))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct svc_brief *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	/* Room for this instance's tags, whatever it has. */
	if (l->tags_cap - l->tags_len < (size_t)SVC_TAGS_MAX * SVC_TAG_MAX) {
		size_t cap = l->tags_cap * 2 + (size_t)SVC_TAGS_MAX * SVC_TAG_MAX;
		char *t = realloc(l->tags, cap);
		if (t == NULL)
			return -ENOMEM;
		l->tags = t;
		l->tags_cap = cap;
	}
	if (svc_decode_brief(val.data, val.len, name, &l->v[l->n], l->tags, l->tags_cap,
	        &l->tags_len) == 0)
		l->n++;
	return 0;
}

static int
summary_get(struct store_txn *t, const struct store_key *k, struct summary *s)
{
	struct store_val v;
	s->ntags = 0;
	int rc = store_svc_get(t, k, &v);
	if (rc == DNSD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	/* ntags:u8, then per tag len:u8 bytes */
	size_t o = 1;
	for (unsigned i = 0; v.len > 0 && i < v.data[0] && s->ntags < SVC_TAGS_MAX; i++) {
		if (o >= v.len || o + 1 + v.data[o] > v.len || v.data[o] >= SVC_TAG_MAX)
			break;
		memcpy(s->tags[s->ntags], v.data + o + 1, v.data[o]);
		s->tags[s->ntags++][v.data[o]] = '\0';
		o += 1 + v.data[o];
	}
	return 0;
}

static int
summary_put(struct store_txn *t, const struct store_key *k, const struct summary *s, bool any)
{
	uint8_t b[1 + SVC_TAGS_MAX * SVC_TAG_MAX];
	size_t o = 1;
	if (!any)
		return store_svc_put(t, k, NULL, 0);
	b[0] = (uint8_t)s->ntags;
	for (size_t i = 0; i < s->ntags; i++) {
		size_t n = strlen(s->tags[i]);
		b[o++] = (uint8_t)n;
		memcpy(b + o, s->tags[i], n);
		o += n;
	}
	return store_svc_put(t, k, b, o);
}

static bool
has_tag(const char (*tags)[SVC_TAG_MAX], size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tags[i], tag) == 0)
			return true;
	return false;
}

/* The i-th tag of an instance, in the list's tag buffer. */
static const char *
brief_tag(const struct ilist *l, const struct svc_brief *b, size_t i)
{
	const char *t = l->tags + b->first_tag;
	while (i-- > 0)
		t += strlen(t) + 1;
	return t;
}

static bool
brief_has_tag(const struct ilist *l, const struct svc_brief *b, const char *tag)
{
	const char *t = l->tags + b->first_tag;
	for (size_t i = 0; i < b->ntags; i++, t += strlen(t) + 1)
		if (strcmp(t, tag) == 0)
			return true;
	return false;
}

/* ---- the records of an instance ---- */

/* SRV RDATA of an instance, to its own name when it has addresses of its
 * own (or no host), else to its host; returns its length. A warning
 * instance has its warning weight (Consul's Weights.Warning). */
static uint16_t
srv_rdata(const uint8_t *name, const uint8_t *target, bool own_addrs, uint16_t priority,
    uint16_t weight, uint16_t weight_warning, uint16_t port, enum svc_health health,
    uint8_t *out)
{
	const uint8_t *to = own_addrs || target[0] == 0 ? name : target;
	size_t tl = wire_name_len(to);
	wire_put16(out, priority);
	wire_put16(out + 2, health == SVC_WARNING ? weight_warning : weight);
	wire_put16(out + 4, port);
	memcpy(out + 6, to, tl);
	return (uint16_t)(6 + tl);
}

static uint16_t
brief_srv(const struct svc_brief *b, uint8_t *out)
{
	return srv_rdata(b->name, b->target, b->own_addrs, b->priority, b->weight, b->weight_warning,
	    b->port, b->health, out);
}

int
svc_view_instance(struct store_txn *t, const struct zone *z, const struct svc_instance *in,
    uint32_t now)
{
	bool visible = svc_visible(in, now, z->conf->only_passing);
	struct vnode v;
	uint8_t rd[6 + WIRE_NAME_MAX];
	int rc = vnode_begin(&v, t, z, in->name);
	if (rc == 0 && visible) {
		static const uint8_t empty_txt[1] = { 0 };
		uint16_t n = srv_rdata(in->name, in->target, in->naddrs > 0, in->priority, in->weight,
		    in->weight_warning, in->port, in->health, rd);
		rc = vnode_add(&v, RR_SRV, in->ttl, in->expire, in->owner, 0, rd, n);
		if (rc == 0)
			rc = in->txt_len > 0
			         ? vnode_add(&v, RR_TXT, in->ttl, in->expire, in->owner, 0, in->txt, in->txt_len)
			         : vnode_add(&v, RR_TXT, in->ttl, in->expire, in->owner, 0, empty_txt, 1);
		for (size_t i = 0; rc == 0 && i < in->naddrs; i++) {
			const struct svc_addr *a = &in->addrs[i];
			rc = vnode_add(&v, a->family == AF_INET ? RR_A : RR_AAAA, in->ttl, in->expire,
			    in->owner, 0, a->addr, a->family == AF_INET ? 4 : 16);
		}
	}
	return vnode_end(&v, t, rc);
}

/* What a set of instances puts at a name. */
enum { SET_PTR = 1, SET_SRV = 2 };

/* One name whose view is a set drawn from the visible instances: a PTR to
 * each (SET_PTR) and/or the SRV of each (SET_SRV, with `flags`), those
 * with `tag` only when it is not NULL. */
static int
derive_set(struct store_txn *t, const struct zone *nz, const uint8_t *name,
    const struct ilist *l, const bool *vis, const char *tag, int what, uint32_t ttl_override,
    uint8_t flags)
{
	struct vnode v;
	uint8_t rd[6 + WIRE_NAME_MAX];
	int rc = vnode_begin(&v, t, nz, name);
	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		const struct svc_brief *in = &l->v[i];
		if (!vis[i] || (tag != NULL && !brief_has_tag(l, in, tag)))
			continue;
		uint32_t ttl = ttl_override != UINT32_MAX ? ttl_override : in->ttl;
		if (what & SET_PTR)
			rc = vnode_add(&v, RR_PTR, ttl, in->expire, in->owner, 0, in->name,
			    (uint16_t)wire_name_len(in->name));
		if (rc == 0 && (what & SET_SRV))
			rc = vnode_add(&v, RR_SRV, ttl, in->expire, in->owner, flags, rd, brief_srv(in, rd));
	}
	return vnode_end(&v, t, rc);
}

/* _services._dns-sd._udp.D PTR S while S has a visible instance; its lease
 * the longest of theirs. */
static int
derive_services_ptr(struct store_txn *t, const struct zone *z, const uint8_t *service,
    const struct ilist *l, const bool *vis)
{
	static const uint8_t meta[] = "\x09_services\x07_dns-sd\x04_udp";
	const uint8_t *domain = service + 1 + service[0];
	domain += 1 + domain[0];
	uint8_t name[WIRE_NAME_MAX];
	size_t dl = wire_name_len(domain);
	if (sizeof(meta) - 1 + dl > WIRE_NAME_MAX)
		return 0;
	memcpy(name, meta, sizeof(meta) - 1);
	memcpy(name + sizeof(meta) - 1, domain, dl);

	struct { uint32_t expire, ttl; } agg = { 0, 0 };
	bool any = false;
	for (size_t i = 0; i < l->n; i++) {
		if (!vis[i])
			continue;
		if (!any || l->v[i].expire == 0 || (agg.expire != 0 && l->v[i].expire > agg.expire))
			agg.expire = l->v[i].expire;
		if (!any || l->v[i].ttl < agg.ttl)
			agg.ttl = l->v[i].ttl;
		any = true;
	}
	struct store_key k;
	struct node_edit e;
	int rc = store_key_make(&k, z->id, name, z->labels);
	node_edit_init(&e);
	if (rc == 0)
		rc = store_node_load(t, &k, 0, &e);
	size_t slen = wire_name_len(service);
	for (size_t i = e.n; rc == 0 && i-- > 0;) {
		const struct node_erec *r = &e.recs[i];
		if ((r->flags & NODE_RR_VIEW) && r->type == RR_PTR &&
		    node_rdata_equal(RR_PTR, r->rdata, r->rdlen, service, (uint16_t)slen))
			node_edit_remove(&e, i);
	}
	if (rc == 0 && any) {
		int a = node_edit_add(&e, RR_PTR, agg.ttl, agg.expire, 0, VIEW_FLAGS, service,
		    (uint16_t)slen);
		rc = a < 0 ? a : 0;
	}
	if (rc == 0) {
		unify_ttls(&e);
		rc = store_node_save(t, &k, &e);
	}
	node_edit_free(&e);
	return rc;
}

/* The Consul-style names of the service in zone z->consul. */
static int
derive_consul(struct store_txn *t, const struct zone *z, const uint8_t *service,
    const struct ilist *l, const bool *vis, const struct summary *old, const struct summary *now)
{
	const struct zone *cz = z->consul;
	static const uint8_t svc_label[] = "\x07service";
	char svc[WIRE_LABEL_MAX];
	uint8_t base[WIRE_NAME_MAX], name[WIRE_NAME_MAX];
	uint32_t ttl = z->conf->consul_ttl;
	int rc = 0;

	consul_service(service, svc);
	size_t al = wire_name_len(cz->apex);
	if (sizeof(svc_label) - 1 + al > WIRE_NAME_MAX)
		return 0;
	memcpy(base, svc_label, sizeof(svc_label) - 1); /* service.C */
	memcpy(base + sizeof(svc_label) - 1, cz->apex, al);
	if (name_prepend(name, svc, strlen(svc), base))           /* web.service.C */
		rc = derive_set(t, cz, name, l, vis, NULL, SET_SRV, ttl, NODE_RR_ADDRS);
	uint8_t any[WIRE_NAME_MAX], tagged[WIRE_NAME_MAX];
	if (rc == 0 && name_prepend(any, "_tcp", 4, base) && name_prepend_u(name, svc, any))
		rc = derive_set(t, cz, name, l, vis, NULL, SET_SRV, ttl, 0); /* _web._tcp.service.C */
	/* Per tag, now and before (a tag that is gone loses its names). */
	for (int pass = 0; rc == 0 && pass < 2; pass++) {
		const struct summary *s = pass == 0 ? now : old;
		for (size_t i = 0; rc == 0 && i < s->ntags; i++) {
			const char *tag = s->tags[i];
			if (pass == 1 && has_tag((const char (*)[SVC_TAG_MAX])now->tags, now->ntags, tag))
				continue;
			uint8_t web[WIRE_NAME_MAX];
			if (name_prepend(web, svc, strlen(svc), base) &&
			    name_prepend(name, tag, strlen(tag), web))  /* v2.web.service.C */
				rc = derive_set(t, cz, name, l, vis, tag, SET_SRV, ttl, NODE_RR_ADDRS);
			if (rc == 0 && name_prepend_u(tagged, tag, base) &&
			    name_prepend_u(name, svc, tagged))          /* _web._v2.service.C */
				rc = derive_set(t, cz, name, l, vis, tag, SET_SRV, ttl, 0);
		}
	}
	return rc;
}

int
svc_view_derive(struct store_txn *t, const struct zone *z, const uint8_t *service, uint32_t now)
{
	struct ilist l = { .service = service };
	struct summary old, cur = { 0 };
	struct store_key sk;
	bool *vis = NULL;
	int rc = store_key_make(&sk, z->id, service, z->labels);
	if (rc != 0)
		return rc;
	l.depth = sk.depth + 1u;
	if ((rc = summary_get(t, &sk, &old)) != 0 ||
	    (rc = store_inst_walk(t, sk.b, sk.len, collect, &l)) != 0)
		goto out;
	vis = calloc(l.n + 1, sizeof(*vis));
	if (vis == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	bool any = false;
	for (size_t i = 0; i < l.n; i++) {
		const struct svc_brief *in = &l.v[i];
		vis[i] = (in->expire == 0 || in->expire > now) && in->health != SVC_CRITICAL &&
		    !(z->conf->only_passing && in->health == SVC_WARNING);
		any |= vis[i];
		for (size_t j = 0; vis[i] && j < in->ntags; j++) {
			const char *tag = brief_tag(&l, in, j);
			if (cur.ntags < SVC_TAGS_MAX &&
			    !has_tag((const char (*)[SVC_TAG_MAX])cur.tags, cur.ntags, tag))
				strcpy(cur.tags[cur.ntags++], tag);
		}
	}
	/* The service name: browse PTR, and the RFC 2782 SRV set. */
	struct vnode v;
	uint8_t rd[6 + WIRE_NAME_MAX];
	if ((rc = vnode_begin(&v, t, z, service)) == 0) {
		for (size_t i = 0; rc == 0 && i < l.n; i++) {
			const struct svc_brief *in = &l.v[i];
			if (!vis[i])
				continue;
			rc = vnode_add(&v, RR_PTR, in->ttl, in->expire, in->owner, 0, in->name,
			    (uint16_t)wire_name_len(in->name));
			if (rc == 0)
				rc = vnode_add(&v, RR_SRV, in->ttl, in->expire, in->owner, 0, rd,
				    brief_srv(in, rd));
		}
	}
	rc = vnode_end(&v, t, rc);
	/* (Each instance's own name follows it at svc_put and svc_del.) */
	/* Subtypes, now and before. */
	uint8_t sub[WIRE_NAME_MAX], name[WIRE_NAME_MAX];
	if (rc == 0 && name_prepend(sub, "_sub", 4, service)) {
		for (int pass = 0; rc == 0 && pass < 2; pass++) {
			const struct summary *s = pass == 0 ? &cur : &old;
			for (size_t i = 0; rc == 0 && i < s->ntags; i++) {
				if (pass == 1 &&
				    has_tag((const char (*)[SVC_TAG_MAX])cur.tags, cur.ntags, s->tags[i]))
					continue;
				if (name_prepend_u(name, s->tags[i], sub))
					rc = derive_set(t, z, name, &l, vis, s->tags[i], SET_PTR | SET_SRV,
					    UINT32_MAX, 0);
			}
		}
	}
	if (rc == 0)
		rc = derive_services_ptr(t, z, service, &l, vis);
	if (rc == 0 && z->consul != NULL)
		rc = derive_consul(t, z, service, &l, vis, &old, &cur);
	if (rc == 0)
		rc = summary_put(t, &sk, &cur, l.n > 0);
out:
	free(vis);
	free(l.v);
	free(l.tags);
	return rc;
}

int
svc_view_clear_instance(struct store_txn *t, const struct zone *z, const uint8_t *name)
{
	struct vnode v;
	int rc = vnode_begin(&v, t, z, name);
	return vnode_end(&v, t, rc);
}
