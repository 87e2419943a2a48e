/* ctl-services.c -- dnsdctl services: the service catalog as the store
 * holds it, like `consul catalog services -tags` and `consul catalog nodes
 * -service` together; -j prints the same as JSON (jansson). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "util/err.h"
#include "zone/zone.h"

/* What one service of one zone holds, gathered from its instances. */
struct svc_row {
	char service[WIRE_NAME_MAX * 4 + 1];
	size_t n, cap;
	struct svc_instance *in;
};

struct gather {
	size_t n, cap;
	struct svc_row *rows;
	int err;
};

static struct svc_row *
row_for(struct gather *g, const char *service)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->rows[i].service, service) == 0)
			return &g->rows[i];
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct svc_row *r = realloc(g->rows, cap * sizeof(*r));
		if (r == NULL)
			return NULL;
		g->rows = r;
		g->cap = cap;
	}
	struct svc_row *r = &g->rows[g->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->service, sizeof(r->service), "%s", service);
	return r;
}

static int
gather_one(void *arg, const struct svc_instance *in)
{
	struct gather *g = arg;
	char service[WIRE_NAME_MAX * 4 + 1];
	wire_name_to_str(in->name + 1 + in->name[0], service, sizeof(service));
	struct svc_row *r = row_for(g, service);
	if (r == NULL)
		return g->err = -ENOMEM;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		struct svc_instance *v = realloc(r->in, cap * sizeof(*v));
		if (v == NULL)
			return g->err = -ENOMEM;
		r->in = v;
		r->cap = cap;
	}
	r->in[r->n++] = *in;
	return 0;
}

static const char *
origin_str(enum svc_origin o)
{
	switch (o) {
	case SVC_FROM_UPDATE: return "update";
	case SVC_FROM_HTTP: return "http";
	case SVC_FROM_FILE: return "file";
	case SVC_FROM_ZONE: return "zone";
	}
	return "?";
}

/* The instance's TXT strings, joined by spaces into `out`. */
static void
txt_str(const struct svc_instance *in, char *out, size_t max)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < in->txt_len && o + 1 < max;) {
		size_t n = in->txt[i++];
		if (i + n > in->txt_len)
			break;
		if (n > 0)
			o += (size_t)snprintf(out + o, max - o, "%s%.*s", o ? " " : "", (int)n,
			    (const char *)in->txt + i);
		i += n;
		if (o >= max)
			o = max - 1;
	}
}

/* "27s", "permanent", "expired" */
static void
lease_str(const struct svc_instance *in, uint32_t now, char *out, size_t max)
{
	if (in->expire == 0)
		snprintf(out, max, "permanent");
	else if (!svc_live(in, now))
		snprintf(out, max, "expired");
	else
		snprintf(out, max, "%us", in->expire - now - 1);
}

static void
addr_str(const struct svc_addr *a, char *out, size_t max)
{
	if (inet_ntop(a->family, a->addr, out, (socklen_t)max) == NULL)
		snprintf(out, max, "?");
}

static json_t *
instance_json(const struct svc_instance *in, uint32_t now)
{
	char name[WIRE_NAME_MAX * 4 + 1], target[WIRE_NAME_MAX * 4 + 1], txt[SVC_TXT_MAX * 2];
	json_t *o = json_object(), *tags = json_array(), *addrs = json_array();
	wire_name_to_str(in->name, name, sizeof(name));
	wire_name_to_str(in->target, target, sizeof(target));
	txt_str(in, txt, sizeof(txt));
	for (size_t i = 0; i < in->ntags; i++)
		json_array_append_new(tags, json_string(in->tags[i]));
	for (size_t i = 0; i < in->naddrs; i++) {
		char a[INET6_ADDRSTRLEN];
		addr_str(&in->addrs[i], a, sizeof(a));
		json_array_append_new(addrs, json_string(a));
	}
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "id", json_string(in->id));
	json_object_set_new(o, "target", json_string(target));
	json_object_set_new(o, "port", json_integer(in->port));
	json_object_set_new(o, "priority", json_integer(in->priority));
	json_object_set_new(o, "weight", json_integer(in->weight));
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "addresses", addrs);
	json_object_set_new(o, "txt", json_string(txt));
	json_object_set_new(o, "health", json_string(svc_health_str(in->health)));
	json_object_set_new(o, "note", json_string(in->note));
	json_object_set_new(o, "origin", json_string(origin_str(in->origin)));
	json_object_set_new(o, "live", json_boolean(svc_live(in, now)));
	if (in->expire != 0)
		json_object_set_new(o, "lease_left",
		    json_integer(svc_live(in, now) ? (json_int_t)(in->expire - now - 1) : 0));
	else
		json_object_set_new(o, "lease_left", json_null());
	return o;
}

static void
print_instance(const struct svc_instance *in, uint32_t now)
{
	char target[WIRE_NAME_MAX * 4 + 1], lease[32], txt[SVC_TXT_MAX * 2];
	wire_name_to_str(in->target, target, sizeof(target));
	lease_str(in, now, lease, sizeof(lease));
	txt_str(in, txt, sizeof(txt));
	printf("  %-24s %s:%u", in->id, in->naddrs > 0 ? "" : target, in->port);
	for (size_t i = 0; i < in->naddrs; i++) {
		char a[INET6_ADDRSTRLEN];
		addr_str(&in->addrs[i], a, sizeof(a));
		printf("%s%s", i ? "," : " ", a);
	}
	printf("  prio %u weight %u  %s  lease %s  %s", in->priority, in->weight,
	    svc_health_str(in->health), lease, origin_str(in->origin));
	if (in->ntags > 0) {
		printf("  tags");
		for (size_t i = 0; i < in->ntags; i++)
			printf("%s%s", i ? "," : " ", in->tags[i]);
	}
	if (txt[0] != '\0')
		printf("  txt %s", txt);
	if (in->note[0] != '\0')
		printf("  note \"%s\"", in->note);
	printf("\n");
}

int
ctl_cmd_services(struct store_txn *t, const struct ctl_opts *o, const char *zone)
{
	struct ctl_zone *zs;
	size_t nz;
	int rc = ctl_zones(t, &zs, &nz);
	json_t *out = o->json ? json_array() : NULL;
	int status = CTL_OK;
	if (rc != 0) {
		ctl_err("store: %s", dnsd_strerror(rc));
		return CTL_FAIL;
	}
	if (zone != NULL) {
		struct ctl_zone one;
		if ((status = ctl_zone_lookup(t, zone, &one)) != 0) {
			free(zs);
			return status;
		}
		zs[0] = one;
		nz = 1;
	}
	for (size_t i = 0; i < nz; i++) {
		struct zone z = { .apex_len = zs[i].apex_len, .labels = zs[i].labels, .id = zs[i].id };
		struct gather g = { 0 };
		memcpy(z.apex, zs[i].apex, zs[i].apex_len);
		snprintf(z.name, sizeof(z.name), "%s", zs[i].name);
		rc = svc_walk(t, &z, NULL, gather_one, &g);
		if (rc != 0 || g.err != 0) {
			ctl_err("zone %s: %s", zs[i].name, dnsd_strerror(rc != 0 ? rc : g.err));
			status = CTL_FAIL;
		}
		for (size_t r = 0; r < g.n; r++) {
			struct svc_row *row = &g.rows[r];
			unsigned crit = 0, live = 0;
			for (size_t k = 0; k < row->n; k++) {
				crit += row->in[k].health == SVC_CRITICAL;
				live += svc_live(&row->in[k], o->now);
			}
			if (out != NULL) {
				json_t *s = json_object(), *insts = json_array();
				json_object_set_new(s, "service", json_string(row->service));
				json_object_set_new(s, "zone", json_string(zs[i].name));
				for (size_t k = 0; k < row->n; k++)
					json_array_append_new(insts, instance_json(&row->in[k], o->now));
				json_object_set_new(s, "instances", insts);
				json_array_append_new(out, s);
			} else {
				printf("%s  %u instance%s (%u live, %u critical)\n", row->service,
				    (unsigned)row->n, row->n == 1 ? "" : "s", live, crit);
				for (size_t k = 0; k < row->n; k++)
					print_instance(&row->in[k], o->now);
			}
			free(row->in);
		}
		free(g.rows);
	}
	free(zs);
	if (out != NULL) {
		char *s = json_dumps(out, JSON_INDENT(2));
		if (s == NULL || puts(s) == EOF)
			status = CTL_FAIL;
		free(s);
		json_decref(out);
	}
	return status;
}
