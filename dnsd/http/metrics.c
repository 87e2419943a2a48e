/* metrics.c -- /metrics: the Prometheus text exposition (version 0.0.4)
 *
 * Counters come from the per-thread blocks of stats/ summed at the scrape
 * (nothing on the query path is shared); gauges are read at the scrape
 * from one store snapshot: live instances by zone, service and health,
 * the catalog index, zone serials, journal length and store size.
 * `promtool check metrics` accepts the output (t_http_metrics.sh).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "http/internal.h"
#include "runtime/runtime.h"
#include "stats/stats.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "util/clock.h"
#include "zone/zone.h"

static const char *const rcode_names[16] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	"NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
	"RCODE12", "RCODE13", "RCODE14", "RCODE15" };

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	head(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

/* Label values are zone and service names: escape what the format needs. */
static void
label(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* UPDATEs by the key that signed them and their result. */
static void
updates_by_key(FILE *f)
{
	static const char *const res[ST_RES_N] = { "ok", "refused", "failed" };
	struct stats_key_count *k = malloc(STATS_KEYS_MAX * sizeof(*k));
	if (k == NULL)
		return;
	size_t n = stats_keys(k, STATS_KEYS_MAX);
	head(f, "dnsd_updates_by_key_total", "counter",
	    "DNS UPDATEs answered, by signing key and result.");
	for (size_t i = 0; i < n && i < STATS_KEYS_MAX; i++)
		for (int r = 0; r < ST_RES_N; r++) {
			fputs("dnsd_updates_by_key_total{key=\"", f);
			label(f, k[i].name);
			fprintf(f, "\",result=\"%s\"} %llu\n", res[r], (unsigned long long)k[i].n[r]);
		}
	free(k);
}

/* The limits that bit (dnsd.conf(5), "Limits"), one series each. */
static void
limits(FILE *f, const struct stats_block *s)
{
	head(f, "dnsd_limit_hits_total", "counter",
	    "Requests and connections a limit refused, cut or dropped, by limit.");
	for (int c = ST_LIMITS_FIRST; c <= ST_LIMITS_LAST; c++)
		fprintf(f, "dnsd_limit_hits_total{limit=\"%s\"} %llu\n",
		    stats_counter_name((enum stats_counter)c), (unsigned long long)s->c[c]);
}

/* Live instances counted by zone, service and health. */
struct count {
	const char *zone;
	char service[WIRE_LABEL_MAX + 1];
	unsigned n[3];
};

struct counts {
	struct count *v;
	size_t n, cap;
	const char *zone;
	uint32_t now;
};

static int
count_one(void *arg, const struct svc_instance *in)
{
	struct counts *c = arg;
	char name[WIRE_LABEL_MAX + 1];
	if (!svc_live(in, c->now))
		return 0;
	http_service_of(in, name, sizeof(name));
	for (size_t i = c->n; i-- > 0 && c->v[i].zone == c->zone;)
		if (strcmp(c->v[i].service, name) == 0) {
			c->v[i].n[in->health <= SVC_CRITICAL ? in->health : SVC_CRITICAL]++;
			return 0;
		}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		struct count *v = realloc(c->v, cap * sizeof(*v));
		if (v == NULL)
			return 0;
		c->v = v;
		c->cap = cap;
	}
	struct count *e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	e->zone = c->zone;
	snprintf(e->service, sizeof(e->service), "%s", name);
	e->n[in->health <= SVC_CRITICAL ? in->health : SVC_CRITICAL]++;
	return 0;
}

static void
store_gauges(struct http *h, FILE *f)
{
	struct store_txn *t;
	struct store_stats st;
	struct counts c = { .now = clock_now() };
	uint64_t index = 0;
	if (store_read_begin(h->store, &t) != 0)
		return;
	head(f, "dnsd_zone_serial", "gauge", "The SOA serial of each zone.");
	for (size_t i = 0; i < h->rt->zones.n; i++) {
		uint32_t serial;
		if (zone_serial(t, &h->rt->zones.z[i], &serial) != 0)
			continue;
		fputs("dnsd_zone_serial{zone=\"", f);
		label(f, h->rt->zones.z[i].name);
		fprintf(f, "\"} %u\n", serial);
	}
	for (size_t i = 0; i < h->rt->zones.n; i++) {
		c.zone = h->rt->zones.z[i].name;
		svc_walk(t, &h->rt->zones.z[i], NULL, count_one, &c);
	}
	head(f, "dnsd_instances", "gauge", "Live service instances by zone, service and health.");
	for (size_t i = 0; i < c.n; i++)
		for (int k = 0; k < 3; k++) {
			fputs("dnsd_instances{zone=\"", f);
			label(f, c.v[i].zone);
			fputs("\",service=\"", f);
			label(f, c.v[i].service);
			fprintf(f, "\",health=\"%s\"} %u\n", svc_health_str((enum svc_health)k), c.v[i].n[k]);
		}
	free(c.v);
	if (store_catalog_index(t, &index) == 0) {
		head(f, "dnsd_catalog_index", "gauge",
		    "The catalog index (X-Consul-Index is this plus one).");
		fprintf(f, "dnsd_catalog_index %llu\n", (unsigned long long)index);
	}
	if (store_stats(t, &st) == 0) {
		head(f, "dnsd_journal_entries", "gauge", "Entries in the zones' change journals (IXFR).");
		fprintf(f, "dnsd_journal_entries %llu\n", (unsigned long long)st.journal_entries);
		head(f, "dnsd_store_used_bytes", "gauge", "Bytes of the store's map in use.");
		fprintf(f, "dnsd_store_used_bytes %llu\n", (unsigned long long)st.map_used);
		head(f, "dnsd_store_size_bytes", "gauge", "The store's map size (store-size), its limit.");
		fprintf(f, "dnsd_store_size_bytes %llu\n", (unsigned long long)st.map_size);
		head(f, "dnsd_store_nodes", "gauge", "Owner names in the store.");
		fprintf(f, "dnsd_store_nodes %llu\n", (unsigned long long)st.nodes);
		head(f, "dnsd_leases", "gauge", "Entries of the lease expiry index.");
		fprintf(f, "dnsd_leases %llu\n", (unsigned long long)st.expiry_entries);
	}
	store_abort(t);
}

void
http_metrics(struct http *h, struct http_reply *out)
{
	struct stats_block *s = malloc(sizeof(*s));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (s == NULL || f == NULL) {
		free(s);
		if (f != NULL)
			fclose(f);
		free(buf);
		http_reply_text(out, 500, "out of memory");
		return;
	}
	stats_sum(s);
	static const char *const transports[2] = { "udp", "tcp" };

	head(f, "dnsd_queries_total", "counter", "Queries answered, by transport and query type.");
	for (int tr = 0; tr < 2; tr++)
		for (int q = 0; q < ST_QT_N; q++)
			fprintf(f, "dnsd_queries_total{transport=\"%s\",type=\"%s\"} %llu\n", transports[tr],
			    stats_qtype_name((enum stats_qtype)q), (unsigned long long)s->qtype[tr][q]);
	head(f, "dnsd_responses_total", "counter", "Responses sent, by transport and RCODE.");
	for (int tr = 0; tr < 2; tr++)
		for (int r = 0; r < 16; r++)
			if (r <= 10 || s->rcode[tr][r] != 0)
				fprintf(f, "dnsd_responses_total{transport=\"%s\",rcode=\"%s\"} %llu\n",
				    transports[tr], rcode_names[r], (unsigned long long)s->rcode[tr][r]);
	head(f, "dnsd_answer_cache_lookups_total", "counter", "Answer cache lookups, by result.");
	fprintf(f, "dnsd_answer_cache_lookups_total{result=\"hit\"} %llu\n",
	    (unsigned long long)s->c[ST_CACHE_HITS]);
	fprintf(f, "dnsd_answer_cache_lookups_total{result=\"miss\"} %llu\n",
	    (unsigned long long)s->c[ST_CACHE_MISSES]);
	head(f, "dnsd_updates_total", "counter", "DNS UPDATEs answered, by result.");
	fprintf(f, "dnsd_updates_total{result=\"ok\"} %llu\n", (unsigned long long)s->c[ST_UPDATES_OK]);
	fprintf(f, "dnsd_updates_total{result=\"refused\"} %llu\n",
	    (unsigned long long)s->c[ST_UPDATES_REFUSED]);
	fprintf(f, "dnsd_updates_total{result=\"failed\"} %llu\n",
	    (unsigned long long)s->c[ST_UPDATES_FAILED]);
	updates_by_key(f);
	counter(f, "dnsd_registrations_total", "Service instances registered (new).",
	    s->c[ST_REGISTRATIONS]);
	counter(f, "dnsd_renewals_total", "Registrations of instances that were live already.",
	    s->c[ST_RENEWALS]);
	counter(f, "dnsd_deregistrations_total", "Service instances deregistered.",
	    s->c[ST_DEREGISTRATIONS]);
	counter(f, "dnsd_expirations_total", "Service instances whose lease ran out.",
	    s->c[ST_EXPIRATIONS]);

	head(f, "dnsd_commit_duration_seconds", "histogram",
	    "Write batches, from their first write to durable.");
	uint64_t cum = 0;
	for (int i = 0; i < STATS_COMMIT_BUCKETS; i++) {
		cum += s->commit_hist[i];
		fprintf(f, "dnsd_commit_duration_seconds_bucket{le=\"%g\"} %llu\n", stats_commit_bounds[i],
		    (unsigned long long)cum);
	}
	cum += s->commit_hist[STATS_COMMIT_BUCKETS];
	fprintf(f, "dnsd_commit_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	fprintf(f, "dnsd_commit_duration_seconds_sum %.6f\n", (double)s->commit_us_sum / 1e6);
	fprintf(f, "dnsd_commit_duration_seconds_count %llu\n", (unsigned long long)cum);

	counter(f, "dnsd_notify_sent_total", "NOTIFY messages sent to secondaries.",
	    s->c[ST_NOTIFY_SENT]);
	counter(f, "dnsd_notify_acked_total", "NOTIFY messages the secondaries answered.",
	    s->c[ST_NOTIFY_ACKED]);
	head(f, "dnsd_transfers_total", "counter", "Zone transfers served, by kind, and refused.");
	fprintf(f, "dnsd_transfers_total{type=\"axfr\"} %llu\n", (unsigned long long)s->c[ST_XFR_AXFR]);
	fprintf(f, "dnsd_transfers_total{type=\"ixfr\"} %llu\n", (unsigned long long)s->c[ST_XFR_IXFR]);
	fprintf(f, "dnsd_transfers_total{type=\"refused\"} %llu\n",
	    (unsigned long long)s->c[ST_XFR_REFUSED]);
	head(f, "dnsd_forwarded_total", "counter",
	    "Queries relayed to the forwarders, by result (failed: no upstream answered).");
	fprintf(f, "dnsd_forwarded_total{result=\"answered\"} %llu\n",
	    (unsigned long long)s->c[ST_FORWARDED]);
	fprintf(f, "dnsd_forwarded_total{result=\"failed\"} %llu\n",
	    (unsigned long long)s->c[ST_FORWARD_FAILED]);
	head(f, "dnsd_forwarders", "gauge", "Upstream resolvers configured (forward).");
	fprintf(f, "dnsd_forwarders %zu\n", h->rt->conf->nforward);
	counter(f, "dnsd_check_runs_total", "Health checks dnsd ran (HTTP, TCP).", s->c[ST_CHECKS_RUN]);
	head(f, "dnsd_check_results_total", "counter", "Results of the health checks dnsd ran.");
	fprintf(f, "dnsd_check_results_total{result=\"passing\"} %llu\n",
	    (unsigned long long)s->c[ST_CHECKS_PASSING]);
	fprintf(f, "dnsd_check_results_total{result=\"warning\"} %llu\n",
	    (unsigned long long)s->c[ST_CHECKS_WARNING]);
	fprintf(f, "dnsd_check_results_total{result=\"critical\"} %llu\n",
	    (unsigned long long)s->c[ST_CHECKS_CRITICAL]);
	counter(f, "dnsd_check_deregistrations_total",
	    "Instances deregistered after being critical for DeregisterCriticalServiceAfter.",
	    s->c[ST_CHECK_DEREGISTERED]);
	head(f, "dnsd_http_requests_total", "counter",
	    "HTTP requests answered, by result (ok: a status below 400).");
	uint64_t errs = s->c[ST_HTTP_4XX] + s->c[ST_HTTP_5XX];
	fprintf(f, "dnsd_http_requests_total{result=\"ok\"} %llu\n",
	    (unsigned long long)(s->c[ST_HTTP_REQUESTS] > errs ? s->c[ST_HTTP_REQUESTS] - errs : 0));
	fprintf(f, "dnsd_http_requests_total{result=\"client_error\"} %llu\n",
	    (unsigned long long)s->c[ST_HTTP_4XX]);
	fprintf(f, "dnsd_http_requests_total{result=\"server_error\"} %llu\n",
	    (unsigned long long)s->c[ST_HTTP_5XX]);
	limits(f, s);
	head(f, "dnsd_config_generation", "gauge", "The configuration generation served (1 + reloads).");
	fprintf(f, "dnsd_config_generation %u\n", h->rt->generation);
	store_gauges(h, f);
	free(s);
	fclose(f);
	out->status = 200;
	out->body = buf;
	out->len = len;
	out->type = "text/plain; version=0.0.4; charset=utf-8";
}
