/* services.c -- an UPDATE read as changes to service instances
 *
 * The server keeps each service instance as one object (svc/) and derives
 * its DNS records; an UPDATE is the standard way to change it. So the RRs
 * that describe an instance change the instance, and the derived names
 * take no records of their own:
 *
 *   add SRV at inst._svc._proto.D     register the instance, or renew it
 *                                     (this update's lease, key, health)
 *   add SRV at _svc._proto.D          the same, RFC 2782 style: the
 *                                     instance is named after the target's
 *                                     first label
 *   add TXT at an instance            its TXT (metadata)
 *   add PTR at _tag._sub._svc...      a tag of the instance it names
 *   add PTR at _svc._proto.D or at    nothing: the server derives these
 *     _services._dns-sd._udp.D        (an SRP client sends them too)
 *   delete the SRV (RRset or record)  deregister
 *     at an instance, or its record
 *     at _svc._proto.D, or its PTR
 *   delete the TXT of an instance     its TXT goes
 *   delete a subtype PTR              the tag goes
 *   delete a name (class ANY, ANY)    deregister what lives there, and the
 *                                     name's other records as usual
 *
 * Everything else is a record like any other. The views follow at the end
 * of the update (svc_flush), so the next update's prerequisites see them. A DNSD-HEALTH option (EDNS 65401) in the update sets
 * the health of every instance it registers or renews.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "query/query.h"
#include "svc/catalog.h"
#include "update/services.h"
#include "update/update.h"
#include "util/err.h"
#include "zone/zone.h"

/* Is `name` _tag._sub.S for a service name S? Then *tag (a label) and
 * *service point into it. */
static bool
subtype_name(const uint8_t *name, const uint8_t *apex, const uint8_t **tag,
    const uint8_t **service)
{
	if (name[0] < 2 || name[1] != '_')
		return false;
	const uint8_t *sub = name + 1 + name[0];
	if (sub[0] != 4 || memcmp(sub + 1, "_sub", 4) != 0)
		return false;
	const uint8_t *s = sub + 5;
	if (!svc_is_service_name(s, apex))
		return false;
	*tag = name;
	*service = s;
	return true;
}

/* Is `name` _services._dns-sd._udp.D, D in the zone? */
static bool
services_meta_name(const uint8_t *name, const uint8_t *apex)
{
	static const uint8_t meta[] = "\x09_services\x07_dns-sd\x04_udp";
	const size_t n = sizeof(meta) - 1;
	if (wire_name_len(name) < n + 1)
		return false;
	/* Byte by byte, without case (the length bytes are no letters). */
	for (size_t i = 0; i < n; i++)
		if (tolower(name[i]) != meta[i])
			return false;
	return wire_name_is_subdomain(name + n, apex);
}

/* The instance named by the first label of `target` under `service`. */
static bool
instance_for_target(const uint8_t *target, const uint8_t *service, uint8_t *out)
{
	size_t sl = wire_name_len(service);
	if (target[0] == 0 || target[1] == '_' || 1u + target[0] + sl > WIRE_NAME_MAX)
		return false;
	memcpy(out, target, 1u + target[0]);
	memcpy(out + 1 + target[0], service, sl);
	return true;
}

/* The DNSD-HEALTH option's health, if the update carries one. */
static void
apply_health(const struct update_req *u, struct svc_instance *in, uint32_t now)
{
	const struct query_req *q = u->req;
	if (!q->has_health)
		return;
	if (in->health != q->health)
		in->health_since = now;
	in->health = (enum svc_health)q->health;
	size_t n = q->health_text_len < sizeof(in->note) - 1 ? q->health_text_len
	                                                       : sizeof(in->note) - 1;
	memcpy(in->note, u->msg + q->health_text_off, n);
	in->note[n] = '\0';
}

/* add SRV: register or renew the instance `name`. */
static int
register_srv(struct svc_ctx *x, const struct update_req *u, const uint8_t *name,
    const struct update_rr *r, uint32_t expire, uint32_t owner)
{
	struct svc_instance in;
	if (r->rdlen < 7)
		return DNSD_EMALF;
	int rc = svc_get(x->t, u->zone, name, &in);
	if (rc == DNSD_ENOTFOUND) {
		svc_instance_init(&in);
		memcpy(in.name, name, wire_name_len(name));
		in.health_since = x->now;
		in.origin = SVC_FROM_UPDATE;
	} else if (rc != 0) {
		return rc;
	}
	in.priority = wire_get16(r->rdata);
	in.weight = in.weight_warning = wire_get16(r->rdata + 2);
	in.port = wire_get16(r->rdata + 4);
	memcpy(in.target, r->rdata + 6, r->rdlen - 6u);
	in.naddrs = 0; /* its addresses are its host's */
	in.ttl = r->ttl;
	in.expire = expire;
	in.owner = owner;
	apply_health(u, &in, x->now);
	return svc_put(x, u->zone, &in);
}

/* Change one field of an existing instance with `fn`; nothing if none. */
static int
modify(struct svc_ctx *x, const struct update_req *u, const uint8_t *name,
    void (*fn)(struct svc_instance *in, const struct update_rr *r), const struct update_rr *r)
{
	struct svc_instance in;
	const uint8_t *service;
	if (!svc_is_instance_name(name, u->zone->apex, &service))
		return 0;
	int rc = svc_get(x->t, u->zone, name, &in);
	if (rc != 0)
		return rc == DNSD_ENOTFOUND ? 0 : rc;
	fn(&in, r);
	return svc_put(x, u->zone, &in);
}

static void
set_txt(struct svc_instance *in, const struct update_rr *r)
{
	in->txt_len = r->rdlen <= SVC_TXT_MAX ? r->rdlen : 0;
	memcpy(in->txt, r->rdata, in->txt_len);
}

static void
clear_txt(struct svc_instance *in, const struct update_rr *r)
{
	(void)r;
	in->txt_len = 0;
}

/* r->name is _tag._sub.S: its first label without '_' is the tag. */
static void
tag_of(const struct update_rr *r, char *tag)
{
	size_t n = r->name[0] - 1u < SVC_TAG_MAX - 1 ? r->name[0] - 1u : SVC_TAG_MAX - 1;
	memcpy(tag, r->name + 2, n);
	tag[n] = '\0';
}

static void
add_tag(struct svc_instance *in, const struct update_rr *r)
{
	char tag[SVC_TAG_MAX];
	tag_of(r, tag);
	for (size_t i = 0; i < in->ntags; i++)
		if (strcmp(in->tags[i], tag) == 0)
			return;
	if (in->ntags < SVC_TAGS_MAX)
		strcpy(in->tags[in->ntags++], tag);
}

static void
remove_tag(struct svc_instance *in, const struct update_rr *r)
{
	char tag[SVC_TAG_MAX];
	tag_of(r, tag);
	for (size_t i = in->ntags; i-- > 0;)
		if (strcmp(in->tags[i], tag) == 0)
			memmove(in->tags[i], in->tags[i + 1], (--in->ntags - i) * sizeof(in->tags[0]));
}

/* What to do with each instance of a service (deletions at shared names). */
enum each { EACH_DELETE, EACH_UNTAG };

struct each_arg {
	struct svc_ctx *x;
	const struct update_req *u;
	const struct update_rr *r; /* a record to match (NULL: every instance) */
	char tag[SVC_TAG_MAX];     /* EACH_UNTAG: only instances with this tag */
	enum each what;
	size_t n;
	uint8_t names[64][WIRE_NAME_MAX]; /* matched, acted on after the walk */
	bool more;
};

/* Does the instance's derived SRV (or PTR to it) equal r's RDATA? */
static bool
matches(const struct svc_instance *in, const struct update_rr *r)
{
	if (r->type == RR_PTR)
		return r->rdlen == wire_name_len(in->name) && wire_name_equal(r->rdata, in->name);
	if (r->rdlen < 7 || wire_get16(r->rdata) != in->priority ||
	    wire_get16(r->rdata + 4) != in->port)
		return false;
	const uint8_t *target = in->naddrs > 0 ? in->name : in->target;
	return wire_name_equal(r->rdata + 6, target);
}

static int
each_collect(void *arg, const struct svc_instance *in)
{
	struct each_arg *a = arg;
	if (a->r != NULL && !matches(in, a->r))
		return 0;
	bool tagged = a->what != EACH_UNTAG;
	for (size_t i = 0; !tagged && i < in->ntags; i++)
		tagged = strcmp(in->tags[i], a->tag) == 0;
	if (!tagged)
		return 0;
	if (a->n == 64) {
		a->more = true;
		return 1;
	}
	memcpy(a->names[a->n++], in->name, wire_name_len(in->name));
	return 0;
}

/* Delete (or untag) the instances of `service` matching r (every one
 * when r is NULL), in rounds of 64. */
static int
for_each(struct svc_ctx *x, const struct update_req *u, const uint8_t *service,
    const struct update_rr *match, const struct update_rr *r, enum each what)
{
	struct each_arg a = { .x = x, .u = u, .r = match, .what = what };
	int rc;
	if (what == EACH_UNTAG)
		tag_of(r, a.tag);
	do {
		a.n = 0;
		a.more = false;
		rc = svc_walk(x->t, u->zone, service, each_collect, &a);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < a.n; i++) {
			rc = what == EACH_DELETE ? svc_del(x, u->zone, a.names[i])
			                         : modify(x, u, a.names[i], remove_tag, r);
			if (rc != 0 && rc != DNSD_ENOTFOUND)
				return rc;
		}
	} while (a.more); /* each round removes what it matched: it ends */
	return 0;
}

bool
update_service_name(const struct update_req *u, const uint8_t *name)
{
	const uint8_t *apex = u->zone->apex, *service, *tag;
	return svc_is_instance_name(name, apex, &service) || svc_is_service_name(name, apex) ||
	       subtype_name(name, apex, &tag, &service) || services_meta_name(name, apex);
}

int
update_service_rr(struct svc_ctx *x, const struct update_req *u, const struct update_rr *r,
    uint32_t expire, uint32_t owner, bool *absorbed)
{
	const uint8_t *apex = u->zone->apex, *service, *tag;
	uint8_t name[WIRE_NAME_MAX];
	bool add = r->klass == CLASS_IN;
	bool node = r->klass == CLASS_ANY && r->type == RR_ANY;
	bool rrset = r->klass == CLASS_ANY && r->type != RR_ANY;
	int rc = 0;

	*absorbed = false;
	if (svc_is_instance_name(r->name, apex, &service)) {
		struct svc_instance in;
		switch (r->type) {
		case RR_SRV:
			*absorbed = true;
			if (add)
				return register_srv(x, u, r->name, r, expire, owner);
			rc = svc_get(x->t, u->zone, r->name, &in);
			if (rc == 0 && (rrset || matches(&in, r)))
				rc = svc_del(x, u->zone, r->name);
			return rc == DNSD_ENOTFOUND ? 0 : rc;
		case RR_TXT:
			rc = svc_get(x->t, u->zone, r->name, &in);
			if (rc == DNSD_ENOTFOUND)
				return 0; /* no instance: a TXT like any other */
			*absorbed = true;
			return rc != 0 ? rc : modify(x, u, r->name, add ? set_txt : clear_txt, r);
		case RR_ANY:
			if (node) /* the name's other records go too: not absorbed */
				rc = svc_del(x, u->zone, r->name);
			return rc == DNSD_ENOTFOUND ? 0 : rc;
		default:
			return 0;
		}
	}
	if (svc_is_service_name(r->name, apex)) {
		if (r->type == RR_SRV && add) {
			*absorbed = true;
			if (r->rdlen < 7 || !instance_for_target(r->rdata + 6, r->name, name))
				return 0; /* "." : the service is not offered; no instance */
			return register_srv(x, u, name, r, expire, owner);
		}
		if (r->type == RR_PTR || r->type == RR_SRV || node) {
			*absorbed = !node;
			if (add)
				return 0; /* the browse PTR is derived */
			return for_each(x, u, r->name, rrset || node ? NULL : r, r, EACH_DELETE);
		}
		return 0;
	}
	if (subtype_name(r->name, apex, &tag, &service) && (r->type == RR_PTR || node)) {
		*absorbed = !node;
		if (add)
			return wire_name_check(r->rdata, r->rdlen) == r->rdlen
			           ? modify(x, u, r->rdata, add_tag, r) : 0;
		if (r->klass == CLASS_NONE)
			return modify(x, u, r->rdata, remove_tag, r);
		return for_each(x, u, service, NULL, r, EACH_UNTAG);
	}
	if (services_meta_name(r->name, apex) && r->type == RR_PTR) {
		*absorbed = true; /* derived */
		return 0;
	}
	return 0;
}
