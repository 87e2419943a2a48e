/* consul.c -- Consul's agent, catalog, health and status API over the
 * service model
 *
 * Paths, methods, field names, status codes and error bodies follow
 * Consul's HTTP API. dnsd is one node (named after the host) in one
 * datacenter ("dc1"); every instance of every zone is in the catalog and
 * "on the agent", whoever registered it (HTTP, a definition file, DNS
 * UPDATE). Reads see live instances only (a lapsed lease is gone even
 * before the reaper runs). Writes become svc_ops for the writer, allowed
 * by the caller's token: its key's grants (SRV and TXT at the instance
 * name, PTR at each tag's subtype name, A/AAAA there for own addresses),
 * lease bounds and max-records, as a signed UPDATE of the same instance
 * would be. An instance without checks shows its own health as one check,
 * "service:<ID>", which pass/warn/fail set.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "http/internal.h"
#include "node/node.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "update/update.h"
#include "util/clock.h"
#include "util/dynmhd.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

enum { WK_REGISTER = 1, WK_DEREGISTER, WK_CHECK };

/* ---- JSON of the model ---- */

/* A Go duration for a number of milliseconds ("1m30s", "250ms", "0s"). */
static json_t *
duration_json(uint64_t ms)
{
	char b[48];
	size_t n = 0;
	if (ms == 0)
		return json_string("0s");
	if (ms < 1000)
		return snprintf(b, sizeof(b), "%llums", (unsigned long long)ms), json_string(b);
	if (ms >= 3600000)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%lluh", (unsigned long long)(ms / 3600000));
	if (ms >= 60000)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%llum",
		    (unsigned long long)(ms / 60000 % 60));
	if (ms % 1000 != 0)
		snprintf(b + n, sizeof(b) - n, "%llu.%03llus", (unsigned long long)(ms / 1000 % 60),
		    (unsigned long long)(ms % 1000));
	else
		snprintf(b + n, sizeof(b) - n, "%llus", (unsigned long long)(ms / 1000 % 60));
	return json_string(b);
}

static void
address_of(const struct svc_instance *in, char *out, size_t size)
{
	if (in->naddrs > 0) {
		inet_ntop(in->addrs[0].family, in->addrs[0].addr, out, (socklen_t)size);
		return;
	}
	wire_name_to_str(in->target, out, size);
	size_t n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
}

static json_t *
tags_json(const struct svc_instance *in)
{
	json_t *a = json_array();
	for (size_t i = 0; i < in->ntags; i++)
		json_array_append_new(a, json_string(in->tags[i]));
	return a;
}

/* The agent's form of a service (GET /v1/agent/services, health). */
static json_t *
service_json(const struct svc_instance *in)
{
	char name[WIRE_LABEL_MAX + 1], addr[WIRE_NAME_MAX * 4 + 1];
	http_service_of(in, name, sizeof(name));
	address_of(in, addr, sizeof(addr));
	return json_pack("{s:s, s:s, s:o, s:o, s:i, s:s, s:{s:i, s:i}, s:b, s:s}", "ID", in->id,
	    "Service", name, "Tags", tags_json(in), "Meta", http_meta_json(in), "Port",
	    (int)in->port, "Address", addr, "Weights", "Passing", (int)in->weight, "Warning",
	    (int)in->weight_warning, "EnableTagOverride", 0, "Datacenter", "dc1");
}

static const char *
check_type(enum svc_check_kind k)
{
	return k == SVC_CHECK_TTL ? "ttl" : k == SVC_CHECK_HTTP ? "http" : "tcp";
}

/* The checks of an instance, as Consul lists them (at least one: its own
 * health when it has no checks). */
static json_t *
checks_json(const struct http *h, const struct svc_instance *in)
{
	char name[WIRE_LABEL_MAX + 1], own[SVC_ID_MAX + 16], cname[WIRE_LABEL_MAX + 32];
	json_t *a = json_array();
	http_service_of(in, name, sizeof(name));
	for (size_t i = 0; i < in->nchecks; i++) {
		const struct svc_check *c = &in->checks[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s,"
		                                   " s:{s:o, s:o, s:o, s:o, s:s, s:s}, s:i, s:i}",
		    "Node", h->node, "CheckID", c->id, "Name", c->name, "Status",
		    svc_health_str(c->status), "Notes", "", "Output", c->output, "ServiceID", in->id,
		    "ServiceName", name, "ServiceTags", tags_json(in), "Type", check_type(c->kind),
		    "Definition", "Interval", duration_json(c->interval_ms), "Timeout",
		    duration_json(c->timeout_ms), "TTL", duration_json(c->ttl_ms),
		    "DeregisterCriticalServiceAfter", duration_json((uint64_t)c->deregister_s * 1000),
		    "HTTP", c->kind == SVC_CHECK_HTTP ? c->target : "", "TCP",
		    c->kind == SVC_CHECK_TCP ? c->target : "", "CreateIndex", 0, "ModifyIndex", 0));
	}
	if (in->nchecks == 0) {
		snprintf(own, sizeof(own), "service:%s", in->id);
		snprintf(cname, sizeof(cname), "Service '%s' health", name);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s,"
		                                   " s:i, s:i}",
		    "Node", h->node, "CheckID", own, "Name", cname, "Status", svc_health_str(in->health),
		    "Notes", "", "Output", in->note, "ServiceID", in->id, "ServiceName", name,
		    "ServiceTags", tags_json(in), "Type", "", "CreateIndex", 0, "ModifyIndex", 0));
	}
	return a;
}

static json_t *
node_json(const struct http *h)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{}}", "ID", "", "Node", h->node,
	    "Address", h->node_addr, "Datacenter", "dc1", "TaggedAddresses", "lan", h->node_addr,
	    "wan", h->node_addr, "Meta");
}

/* The catalog's form (GET /v1/catalog/service/:name). */
static json_t *
catalog_json(const struct http *h, const struct svc_instance *in)
{
	char name[WIRE_LABEL_MAX + 1], addr[WIRE_NAME_MAX * 4 + 1];
	http_service_of(in, name, sizeof(name));
	address_of(in, addr, sizeof(addr));
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{}, s:s, s:s, s:s, s:o, s:s, s:o,"
	                 " s:i, s:{s:i, s:i}, s:b, s:i, s:i}",
	    "ID", "", "Node", h->node, "Address", h->node_addr, "Datacenter", "dc1",
	    "TaggedAddresses", "lan", h->node_addr, "wan", h->node_addr, "NodeMeta", "ServiceKind",
	    "", "ServiceID", in->id, "ServiceName", name, "ServiceTags", tags_json(in),
	    "ServiceAddress", addr, "ServiceMeta", http_meta_json(in), "ServicePort", (int)in->port,
	    "ServiceWeights", "Passing", (int)in->weight, "Warning", (int)in->weight_warning,
	    "ServiceEnableTagOverride", 0, "CreateIndex", 0, "ModifyIndex", 0);
}

/* ---- walking the instances ---- */

enum view { V_AGENT_SERVICES, V_AGENT_CHECKS, V_CATALOG_SERVICES, V_CATALOG, V_HEALTH };

struct walk {
	const struct http *h;
	enum view view;
	const char *service;     /* only this one (NULL: all) */
	const char *tags[8];     /* ... having all of these */
	size_t ntags;
	bool passing;            /* ... and passing */
	uint32_t now;
	json_t *out;
};

static bool
has_tag(const struct svc_instance *in, const char *t)
{
	for (size_t i = 0; i < in->ntags; i++)
		if (strcmp(in->tags[i], t) == 0)
			return true;
	return false;
}

static int
walk_one(void *arg, const struct svc_instance *in)
{
	struct walk *w = arg;
	char name[WIRE_LABEL_MAX + 1];
	if (!svc_live(in, w->now))
		return 0;
	http_service_of(in, name, sizeof(name));
	if (w->service != NULL && strcasecmp(name, w->service) != 0)
		return 0;
	for (size_t i = 0; i < w->ntags; i++)
		if (!has_tag(in, w->tags[i]))
			return 0;
	if (w->passing && in->health != SVC_PASSING)
		return 0;
	switch (w->view) {
	case V_AGENT_SERVICES:
		json_object_set_new(w->out, in->id, service_json(in));
		break;
	case V_AGENT_CHECKS: {
		json_t *a = checks_json(w->h, in), *c;
		size_t i;
		json_array_foreach(a, i, c)
			json_object_set(w->out, json_string_value(json_object_get(c, "CheckID")), c);
		json_decref(a);
		break;
	}
	case V_CATALOG_SERVICES: {
		json_t *tags = json_object_get(w->out, name);
		if (tags == NULL)
			json_object_set_new(w->out, name, tags = json_array());
		for (size_t i = 0; i < in->ntags; i++) {
			bool seen = false;
			for (size_t j = 0; j < json_array_size(tags) && !seen; j++)
				seen = strcmp(json_string_value(json_array_get(tags, j)), in->tags[i]) == 0;
			if (!seen)
				json_array_append_new(tags, json_string(in->tags[i]));
		}
		break;
	}
	case V_CATALOG:
		json_array_append_new(w->out, catalog_json(w->h, in));
		break;
	case V_HEALTH:
		json_array_append_new(w->out, json_pack("{s:o, s:o, s:o}", "Node", node_json(w->h),
		    "Service", service_json(in), "Checks", checks_json(w->h, in)));
		break;
	}
	return 0;
}

struct tag_arg {
	struct walk *w;
};

static enum MHD_Result
tag_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct walk *w = cls;
	(void)kind;
	if (strcmp(key, "tag") == 0 && value != NULL && w->ntags < 8)
		w->tags[w->ntags++] = value;
	return MHD_YES;
}

/* Answer a read by walking every zone's instances into `w->out`. */
static void
walk_reply(struct http_req *r, struct walk *w, json_t *out, struct http_reply *rep)
{
	const struct http *h = r->h;
	struct store_txn *t;
	bool pretty;
	int rc = store_read_begin(h->store, &t);
	w->h = h;
	w->out = out;
	w->now = clock_now();
	http_arg(r->mc, "pretty", &pretty);
	for (size_t i = 0; rc == 0 && i < h->rt->zones.n; i++)
		if (!h->rt->zones.z[i].conf->implicit)
			rc = svc_walk(t, &h->rt->zones.z[i], NULL, walk_one, w);
	if (rc == 0 || rc == DNSD_ENOTFOUND) {
		store_abort(t);
		http_reply_json(rep, out, pretty);
	} else {
		if (t != NULL)
			store_abort(t);
		json_decref(out);
		http_reply_text(rep, 500, "store: %s", dnsd_strerror(rc));
	}
	rep->index = true;
}

/* ---- policy ---- */

/* May `who` change the instance `in` of zone `z` (as a signed UPDATE of
 * the same records would)? */
static bool
allowed(const struct http_who *who, const struct zone *z, const struct svc_instance *in,
    bool whole)
{
	if (who->anonymous && who->token == NULL)
		return true;
	if (!update_policy_allows(z, who->key, in->name, RR_SRV) ||
	    !update_policy_allows(z, who->key, in->name, RR_TXT))
		return false;
	if (!whole)
		return true;
	for (size_t i = 0; i < in->naddrs; i++)
		if (!update_policy_allows(z, who->key, in->name,
		        in->addrs[i].family == AF_INET ? RR_A : RR_AAAA))
			return false;
	const uint8_t *service = in->name + 1 + in->name[0];
	for (size_t i = 0; i < in->ntags; i++) {
		uint8_t sub[WIRE_NAME_MAX];
		size_t tl = strlen(in->tags[i]), sl = wire_name_len(service);
		if (tl + 2 + 5 + sl > WIRE_NAME_MAX)
			return false;
		sub[0] = (uint8_t)(tl + 1);
		sub[1] = '_';
		memcpy(sub + 2, in->tags[i], tl);
		memcpy(sub + 2 + tl, "\x04_sub", 5);
		memcpy(sub + 7 + tl, service, sl);
		if (!update_policy_allows(z, who->key, sub, RR_PTR))
			return false;
	}
	return true;
}

static void
refuse(struct http_reply *out, const struct http_who *who, const struct svc_instance *in,
    const struct zone *z)
{
	char name[WIRE_NAME_MAX * 4 + 1];
	wire_name_to_str(in->name, name, sizeof(name));
	log_limited(LOG_LVL_INFO, "http: refused", 1, "http: refused: key %s may not change %s",
	    who->key != NULL ? who->key->name : "-", name);
	http_reply_text(out, 403, "Permission denied: token %s (key %s) may not change %s (the"
	                          " grants of zone %s)", who->token != NULL ? who->token->name : "-",
	    who->key != NULL ? who->key->name : "-", name, z->name);
}

/* The client's address, as an instance's own address. */
static bool
peer_addr(struct MHD_Connection *mc, struct svc_addr *a)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
	if (sa != NULL && sa->sa_family == AF_INET) {
		a->family = AF_INET;
		memcpy(a->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return true;
	}
	if (sa != NULL && sa->sa_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		bool v4 = memcmp(b, mapped, 12) == 0;
		a->family = v4 ? AF_INET : AF_INET6;
		memcpy(a->addr, v4 ? b + 12 : b, v4 ? 4 : 16);
		return true;
	}
	return false;
}

/* ---- writes ---- */

static bool
do_register(struct http_req *r, const struct http_who *who, struct http_reply *out)
{
	struct http *h = r->h;
	const struct zone *z = http_zone(h);
	struct svc_addr peer;
	struct svc_op *op;
	json_error_t jerr;
	char err[384];
	if (z == NULL) {
		http_reply_text(out, 500, "no zone for HTTP registrations (http-zone)");
		return true;
	}
	json_t *j = r->len > 0 ? json_loadb(r->body, r->len, 0, &jerr) : NULL;
	if (j == NULL) {
		if (r->len == 0)
			http_reply_text(out, 400, "Request decode failed: EOF");
		else
			http_reply_text(out, 400, "Request decode failed: %s (line %d, column %d)",
			    jerr.text, jerr.line, jerr.column);
		return true;
	}
	struct http_def_src src = { .zone = z, .now = clock_now() };
	if (peer_addr(r->mc, &peer))
		src.peer = &peer;
	struct http_def *d = malloc(sizeof(*d));
	if (d == NULL || (op = calloc(1, sizeof(*op))) == NULL) {
		free(d);
		json_decref(j);
		http_reply_text(out, 500, "out of memory");
		return true;
	}
	int rc = http_def_parse(&src, j, d, err, sizeof(err));
	json_decref(j);
	if (rc != 0) {
		http_reply_text(out, 400, "%s", err);
		free(d);
		free(op);
		return true;
	}
	struct svc_instance *in = &d->in;
	/* The same ID elsewhere is replaced: the caller must be allowed there too. */
	struct store_txn *t;
	struct svc_instance *old = malloc(sizeof(*old));
	const struct zone *oz = NULL;
	bool ok = allowed(who, z, in, true);
	if (ok && old != NULL && store_read_begin(h->store, &t) == 0) {
		if (svc_get_by_id(t, &h->rt->zones, in->id, old, &oz) == 0) {
			if (oz != z || !wire_name_equal(old->name, in->name))
				ok = allowed(who, oz, old, false);
			/* A check that stays keeps its state (Consul keeps it too). */
			for (size_t i = 0; ok && i < in->nchecks; i++)
				for (size_t k = 0; k < old->nchecks; k++)
					if (strcmp(old->checks[k].id, in->checks[i].id) == 0 &&
					    old->checks[k].kind == in->checks[i].kind) {
						in->checks[i].status = old->checks[k].status;
						in->checks[i].since = old->checks[k].since;
						memcpy(in->checks[i].output, old->checks[k].output,
						    sizeof(in->checks[i].output));
					}
		}
		store_abort(t);
	}
	if (!ok) {
		refuse(out, who, oz != NULL && !allowed(who, oz, old, false) ? old : in,
		    oz != NULL ? oz : z);
		free(old);
		free(d);
		free(op);
		return true;
	}
	free(old);
	in->health = SVC_PASSING;
	for (size_t i = 0; i < in->nchecks; i++)
		if (in->checks[i].status > in->health)
			in->health = in->checks[i].status;
	/* The lease: a TTL check's, else as long as the key or zone allows
	 * (forever without a max-lease), clamped as an UPDATE's is. */
	struct update_req u = { .zone = z, .key = who->key };
	uint32_t lease = update_grant_lease(&u, d->ttl, true);
	for (size_t i = 0; i < in->nchecks; i++) {
		struct svc_check *c = &in->checks[i];
		uint32_t g = c->kind == SVC_CHECK_TTL
		    ? update_grant_lease(&u, (c->ttl_ms + 999) / 1000, true) : 0;
		if (g != 0 && (uint64_t)g * 1000 != c->ttl_ms)
			c->ttl_ms = g * 1000;
	}
	in->expire = lease != 0 ? src.now + lease + 1 : 0;
	if (lease != 0 && in->ttl > lease)
		in->ttl = lease;
	in->owner = who->key != NULL ? node_owner_tag(who->key->name_wire) : 0;
	op->kind = SVC_OP_REGISTER;
	memcpy(op->zone, z->apex, wire_name_len(z->apex));
	op->inst = *in;
	op->max_records = who->key != NULL ? who->key->max_records : 0;
	snprintf(r->what, sizeof(r->what), "%s", in->id);
	r->write_kind = WK_REGISTER;
	free(d);
	http_submit(h, r, op);
	free(op);
	return false;
}

/* Find the instance a check ID belongs to: "service:<ID>[:<n>]" first,
 * then every instance's checks. *check is the check's ID, or "" for an
 * instance's own health. */
struct find_check {
	const char *id;
	struct svc_instance *in;
	bool found;
};

static int
find_check_cb(void *arg, const struct svc_instance *in)
{
	struct find_check *f = arg;
	for (size_t i = 0; i < in->nchecks; i++)
		if (strcmp(in->checks[i].id, f->id) == 0) {
			*f->in = *in;
			f->found = true;
			return 1;
		}
	return 0;
}

static int
find_check(const struct http *h, struct store_txn *t, const char *cid, struct svc_instance *in,
    const struct zone **z, const struct svc_check **check)
{
	char id[SVC_ID_MAX];
	*check = NULL;
	if (strncmp(cid, "service:", 8) == 0) {
		snprintf(id, sizeof(id), "%s", cid + 8);
		for (int pass = 0; pass < 2; pass++) {
			if (svc_get_by_id(t, &h->rt->zones, id, in, z) == 0) {
				for (size_t i = 0; i < in->nchecks; i++)
					if (strcmp(in->checks[i].id, cid) == 0)
						*check = &in->checks[i];
				if (*check != NULL || (in->nchecks == 0 && pass == 0))
					return 0;
			}
			char *colon = strrchr(id, ':');
			if (colon == NULL)
				break;
			*colon = '\0';
		}
	}
	struct find_check f = { cid, in, false };
	for (size_t i = 0; i < h->rt->zones.n && !f.found; i++) {
		*z = &h->rt->zones.z[i];
		svc_walk(t, *z, NULL, find_check_cb, &f);
	}
	if (!f.found)
		return DNSD_ENOTFOUND;
	for (size_t i = 0; i < in->nchecks; i++)
		if (strcmp(in->checks[i].id, cid) == 0)
			*check = &in->checks[i];
	return 0;
}

/* pass|warn|fail/:check_id (?note=) and update/:check_id ({Status, Output}) */
static bool
do_check(struct http_req *r, const struct http_who *who, const char *verb, const char *cid,
    struct http_reply *out)
{
	struct http *h = r->h;
	struct svc_op op = { .kind = SVC_OP_HEALTH };
	const char *output = NULL;
	json_t *j = NULL;
	int health;
	if (strcmp(verb, "update") == 0) {
		json_error_t jerr;
		const char *st;
		j = json_loadb(r->body != NULL ? r->body : "", r->len, 0, &jerr);
		if (j == NULL) {
			http_reply_text(out, 400, "Request decode failed: %s", r->len ? jerr.text : "EOF");
			return true;
		}
		st = json_string_value(json_object_get(j, "Status"));
		output = json_string_value(json_object_get(j, "Output"));
		if (st == NULL || (health = svc_health_parse(st)) < 0) {
			http_reply_text(out, 400, "Invalid check status: '%s'", st != NULL ? st : "");
			json_decref(j);
			return true;
		}
	} else {
		health = verb[0] == 'p' ? SVC_PASSING : verb[0] == 'w' ? SVC_WARNING : SVC_CRITICAL;
		output = http_arg(r->mc, "note", NULL);
	}
	snprintf(op.output, sizeof(op.output), "%s", output != NULL ? output : "");
	json_decref(j);
	op.health = (enum svc_health)health;

	struct svc_instance *in = malloc(sizeof(*in));
	const struct svc_check *c = NULL;
	const struct zone *z = NULL;
	struct store_txn *t;
	int rc = in == NULL ? -ENOMEM : store_read_begin(h->store, &t);
	if (rc == 0) {
		rc = find_check(h, t, cid, in, &z, &c);
		store_abort(t);
	}
	if (rc == 0 && !svc_live(in, clock_now()))
		rc = DNSD_ENOTFOUND;
	if (rc == DNSD_ENOTFOUND)
		http_reply_text(out, 404, "Unknown check ID \"%s\". Ensure that the check ID is passed,"
		                          " not the check name.", cid);
	else if (rc != 0)
		http_reply_text(out, 500, "store: %s", dnsd_strerror(rc));
	else if (c != NULL && c->kind != SVC_CHECK_TTL && strcmp(verb, "update") != 0)
		http_reply_text(out, 500, "CheckID \"%s\" does not have associated TTL", cid);
	else if (!allowed(who, z, in, false))
		refuse(out, who, in, z);
	if (rc != 0 || out->status != 0) {
		free(in);
		return true;
	}
	snprintf(op.id, sizeof(op.id), "%s", in->id);
	snprintf(op.check, sizeof(op.check), "%s", c != NULL ? c->id : "");
	free(in);
	snprintf(r->what, sizeof(r->what), "%s", cid);
	r->write_kind = WK_CHECK;
	http_submit(h, r, &op);
	return false;
}

static bool
do_deregister(struct http_req *r, const struct http_who *who, const char *id,
    struct http_reply *out)
{
	struct http *h = r->h;
	struct svc_op op = { .kind = SVC_OP_DEREGISTER };
	struct svc_instance *in = malloc(sizeof(*in));
	const struct zone *z = NULL;
	struct store_txn *t;
	int rc = in == NULL ? -ENOMEM : store_read_begin(h->store, &t);
	if (rc == 0) {
		rc = svc_get_by_id(t, &h->rt->zones, id, in, &z);
		store_abort(t);
	}
	if (rc == DNSD_ENOTFOUND)
		http_reply_text(out, 404, "Unknown service ID \"%s\". Ensure that the service ID is"
		                          " passed, not the service name.", id);
	else if (rc != 0)
		http_reply_text(out, 500, "store: %s", dnsd_strerror(rc));
	else if (!allowed(who, z, in, false))
		refuse(out, who, in, z);
	free(in);
	if (out->status != 0)
		return true;
	snprintf(op.id, sizeof(op.id), "%s", id);
	snprintf(r->what, sizeof(r->what), "%s", id);
	r->write_kind = WK_DEREGISTER;
	http_submit(h, r, &op);
	return false;
}

void
http_write_done(struct http_req *r, struct http_reply *out)
{
	switch (r->write_rc) {
	case 0:
		out->status = 200;
		return;
	case DNSD_ENOTFOUND:
		if (r->write_kind == WK_CHECK)
			http_reply_text(out, 404, "Unknown check ID \"%s\". Ensure that the check ID is"
			                          " passed, not the check name.", r->what);
		else if (r->write_kind == WK_DEREGISTER)
			http_reply_text(out, 404, "Unknown service ID \"%s\". Ensure that the service ID"
			                          " is passed, not the service name.", r->what);
		else
			http_reply_text(out, 500, "the zone of HTTP registrations is not served");
		return;
	case DNSD_EQUOTA:
		http_reply_text(out, 403, "Permission denied: the token's key owns its max-records"
		                          " already (%s not registered)", r->what);
		return;
	case DNSD_EREFUSED:
		http_reply_text(out, 403, "Permission denied");
		return;
	case -EAGAIN:
	case -ENOMEM:
	case DNSD_EFULL:
		/* Overload or a full store: the client may try again later. */
		http_reply_text(out, 503, "dnsd cannot take the write now: %s",
		    dnsd_strerror(r->write_rc));
		return;
	default:
		log_limited(LOG_LVL_ERR, "http: write", 1, "http: a write of %s failed: %s", r->what,
		    dnsd_strerror(r->write_rc));
		http_reply_text(out, 500, "the write failed: %s", dnsd_strerror(r->write_rc));
	}
}

/* ---- routing ---- */

static bool
method_is(const char *m, const char *a, const char *b)
{
	return strcmp(m, a) == 0 || (b != NULL && strcmp(m, b) == 0);
}

/* `url` is prefix + a non-empty rest: *rest points at it. */
static bool
under(const char *url, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);
	if (strncmp(url, prefix, n) != 0 || url[n] == '\0')
		return false;
	*rest = url + n;
	return true;
}

static void
not_allowed(struct http_reply *out, const char *method, const char *allow)
{
	http_reply_text(out, 405, "method %s not allowed", method);
	out->allow = allow;
}

bool
http_consul(struct http_req *r, const char *method, const char *url, const struct http_who *who,
    struct http_reply *out)
{
	const char *rest = NULL;
	bool get = method_is(method, "GET", "HEAD"), put = method_is(method, "PUT", NULL);
	struct walk w = { 0 };
	bool pretty;

	/* Writes: PUT, as Consul documents; GET too where old clients (Debian's
	 * python3-consul) send it. */
	if (strcmp(url, "/v1/agent/service/register") == 0) {
		if (!put)
			return not_allowed(out, method, "PUT"), true;
		if (!who->write)
			return http_reply_text(out, 403, "%s", who->denied), true;
		return do_register(r, who, out);
	}
	if (under(url, "/v1/agent/service/deregister/", &rest)) {
		if (!put && !get)
			return not_allowed(out, method, "PUT"), true;
		if (!who->write)
			return http_reply_text(out, 403, "%s", who->denied), true;
		return do_deregister(r, who, rest, out);
	}
	static const char *const verbs[] = { "pass", "warn", "fail", "update" };
	for (size_t i = 0; i < 4; i++) {
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "/v1/agent/check/%s/", verbs[i]);
		if (!under(url, prefix, &rest))
			continue;
		if (!put && !(get && i < 3))
			return not_allowed(out, method, "PUT"), true;
		if (!who->write)
			return http_reply_text(out, 403, "%s", who->denied), true;
		return do_check(r, who, verbs[i], rest, out);
	}

	/* Reads. */
	bool known = strcmp(url, "/v1/agent/services") == 0 || strcmp(url, "/v1/agent/checks") == 0 ||
	    strcmp(url, "/v1/catalog/services") == 0 || under(url, "/v1/agent/service/", &rest) ||
	    under(url, "/v1/catalog/service/", &rest) || under(url, "/v1/health/service/", &rest) ||
	    strcmp(url, "/v1/status/leader") == 0 || strcmp(url, "/v1/status/peers") == 0;
	if (!known)
		return http_reply_text(out, 404, "404 page not found"), true;
	if (!get)
		return not_allowed(out, method, "GET"), true;
	if (!who->read)
		return http_reply_text(out, 403, "%s", who->denied), true;
	http_arg(r->mc, "pretty", &pretty);
	if (strncmp(url, "/v1/status/", 11) == 0) {
		char leader[80];
		snprintf(leader, sizeof(leader), "%s:8300", r->h->node_addr);
		http_reply_json(out, url[11] == 'l' ? json_string(leader) : json_pack("[s]", leader),
		    pretty);
		return true;
	}
	if (strcmp(url, "/v1/agent/services") == 0) {
		w.view = V_AGENT_SERVICES;
		walk_reply(r, &w, json_object(), out);
	} else if (strcmp(url, "/v1/agent/checks") == 0) {
		w.view = V_AGENT_CHECKS;
		walk_reply(r, &w, json_object(), out);
	} else if (strcmp(url, "/v1/catalog/services") == 0) {
		w.view = V_CATALOG_SERVICES;
		walk_reply(r, &w, json_object(), out);
	} else if (under(url, "/v1/agent/service/", &rest)) {
		struct svc_instance *in = malloc(sizeof(*in));
		const struct zone *z;
		struct store_txn *t;
		int rc = in == NULL ? -ENOMEM : store_read_begin(r->h->store, &t);
		if (rc == 0) {
			rc = svc_get_by_id(t, &r->h->rt->zones, rest, in, &z);
			store_abort(t);
		}
		if (rc == 0 && !svc_live(in, clock_now()))
			rc = DNSD_ENOTFOUND;
		if (rc == 0)
			http_reply_json(out, service_json(in), pretty);
		else if (rc == DNSD_ENOTFOUND)
			http_reply_text(out, 404, "unknown service ID: %s", rest);
		else
			http_reply_text(out, 500, "store: %s", dnsd_strerror(rc));
		out->index = true;
		free(in);
	} else {
		bool passing = false;
		w.view = strncmp(url, "/v1/catalog/", 12) == 0 ? V_CATALOG : V_HEALTH;
		w.service = rest;
		MHD_get_connection_values(r->mc, MHD_GET_ARGUMENT_KIND, tag_cb, &w);
		const char *pv = http_arg(r->mc, "passing", &passing);
		w.passing = w.view == V_HEALTH && passing && (pv == NULL || (strcmp(pv, "false") != 0 &&
		                                                            strcmp(pv, "0") != 0));
		walk_reply(r, &w, json_array(), out);
	}
	return true;
}
