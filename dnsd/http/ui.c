/* ui.c -- /ui: a status page, rendered on the server
 *
 * Plain HTML and a little CSS, no JavaScript: the zones with their
 * serials and secondaries, then each service with its instances (ID,
 * address and port, tags, health, lease left, where it came from). Wide
 * screens get tables; below 40em each row becomes a card, so it reads on
 * a phone. Instances are walked in store order, where a service's
 * instances are next to each other, so the page streams without sorting.
 * A zone's secondaries are those it notifies and those that transferred
 * it lately (the TCP loop keeps the last transfer of each, stats.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "http/internal.h"
#include "runtime/runtime.h"
#include "stats/stats.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "util/clock.h"
#include "zone/zone.h"

static const char css[] =
    "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:0;color:#1d2330;"
    "background:#f4f6f9}"
    "header{background:#233049;color:#fff;padding:.8em 1.2em}"
    "header h1{font-size:1.3em;margin:0}header p{margin:.3em 0 0;opacity:.8;font-size:.9em}"
    "main{padding:.8em 1.2em;max-width:70em}"
    "h2{font-size:1.1em;margin:1.4em 0 .5em}h2 small{font-weight:normal;color:#5a6478}"
    "table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0002}"
    "th,td{text-align:left;padding:.45em .7em;border-bottom:1px solid #e3e7ee;vertical-align:top;"
    "word-break:break-word}"
    "th{background:#eef1f6;font-size:.85em;text-transform:uppercase;letter-spacing:.03em}"
    ".tag{display:inline-block;background:#e8edf7;border-radius:.8em;padding:0 .55em;"
    "margin:0 .2em .2em 0;font-size:.85em}"
    ".h{font-weight:600;border-radius:.3em;padding:.05em .45em}"
    ".passing{background:#d6f5df;color:#14612c}.warning{background:#fff1c7;color:#7a5600}"
    ".critical{background:#fde0dd;color:#9c1c10}"
    ".none{color:#5a6478}"
    "@media (max-width:40em){table,tbody,tr,td{display:block;width:auto}thead{display:none}"
    "tr{margin:0 0 .7em;box-shadow:0 1px 2px #0002;background:#fff}"
    "td{border:none;padding:.25em .7em}td::before{content:attr(data-label) ': ';"
    "font-weight:600;color:#5a6478}table{box-shadow:none;background:none}}";

/* Write `s` with HTML's special characters escaped. */
static void
esc(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* The transfers of zone `z` among `x`: client, type, serial, how long ago. */
static void
transfers(FILE *f, const struct zone *z, const struct stats_xfr *x, size_t n, uint32_t now)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(x[i].zone, z->name) != 0)
			continue;
		fputs(any ? "<br>" : "", f);
		esc(f, x[i].client);
		fprintf(f, ": %s of serial %u, %us ago", x[i].qtype == RR_AXFR ? "AXFR" : "IXFR",
		    x[i].serial, now > x[i].when ? now - x[i].when : 0);
		any = true;
	}
	if (!any)
		fputs("<span class=\"none\">none yet</span>", f);
}

static void
zones(struct http *h, struct store_txn *t, FILE *f)
{
	struct stats_xfr *x = malloc(STATS_XFRS_MAX * sizeof(*x));
	size_t nx = x != NULL ? stats_xfrs(x, STATS_XFRS_MAX) : 0;
	uint32_t now = clock_now();
	fputs("<h2>Zones</h2><table><thead><tr><th>Zone</th><th>Serial</th><th>Notified"
	      "</th><th>Last transfers</th></tr></thead><tbody>",
	    f);
	for (size_t i = 0; i < h->rt->zones.n; i++) {
		const struct zone *z = &h->rt->zones.z[i];
		uint32_t serial = 0;
		zone_serial(t, z, &serial);
		fputs("<tr><td data-label=\"Zone\">", f);
		esc(f, z->name);
		if (z->conf->consul)
			fputs(" <span class=\"tag\">consul-domain</span>", f);
		fprintf(f, "</td><td data-label=\"Serial\">%u</td><td data-label=\"Notified\">", serial);
		if (z->conf->nnotify == 0)
			fputs("<span class=\"none\">none</span>", f);
		for (size_t k = 0; k < z->conf->nnotify; k++) {
			char a[INET6_ADDRSTRLEN];
			inet_ntop(z->conf->notify[k].family, z->conf->notify[k].addr, a, sizeof(a));
			fprintf(f, "%s%s@%u", k ? ", " : "", a, z->conf->notify[k].port);
		}
		fputs("</td><td data-label=\"Last transfers\">", f);
		transfers(f, z, x, nx, now);
		fputs("</td></tr>", f);
	}
	fputs("</tbody></table>", f);
	free(x);
}

struct page {
	FILE *f;
	const struct zone *z;
	char current[WIRE_NAME_MAX * 4 + 1]; /* the service whose table is open */
	uint32_t now;
	unsigned services, instances;
};

static const char *const origins[] = { "DNS UPDATE", "HTTP", "file", "zone file" };

static int
row(void *arg, const struct svc_instance *in)
{
	struct page *p = arg;
	FILE *f = p->f;
	char service[WIRE_NAME_MAX * 4 + 1], name[WIRE_LABEL_MAX + 1], addr[WIRE_NAME_MAX * 4 + 1];
	if (!svc_live(in, p->now))
		return 0;
	wire_name_to_str(in->name + 1 + in->name[0], service, sizeof(service));
	if (strcmp(service, p->current) != 0) {
		if (p->current[0] != '\0')
			fputs("</tbody></table>", f);
		snprintf(p->current, sizeof(p->current), "%s", service);
		http_service_of(in, name, sizeof(name));
		fputs("<h2>", f);
		esc(f, name);
		fputs(" <small>", f);
		esc(f, service);
		fputs("</small></h2><table><thead><tr><th>Instance</th><th>Address</th><th>Tags</th>"
		      "<th>Health</th><th>Lease left</th><th>From</th></tr></thead><tbody>",
		    f);
		p->services++;
	}
	p->instances++;
	if (in->naddrs > 0)
		inet_ntop(in->addrs[0].family, in->addrs[0].addr, addr, sizeof(addr));
	else
		wire_name_to_str(in->target, addr, sizeof(addr));
	fputs("<tr><td data-label=\"Instance\">", f);
	esc(f, in->id);
	fputs("</td><td data-label=\"Address\">", f);
	esc(f, addr);
	fprintf(f, ":%u</td><td data-label=\"Tags\">", in->port);
	if (in->ntags == 0)
		fputs("<span class=\"none\">none</span>", f);
	for (size_t i = 0; i < in->ntags; i++) {
		fputs("<span class=\"tag\">", f);
		esc(f, in->tags[i]);
		fputs("</span>", f);
	}
	const char *health = svc_health_str(in->health);
	fprintf(f, "</td><td data-label=\"Health\"><span class=\"h %s\">%s</span>", health, health);
	if (in->note[0] != '\0') {
		fputs(" ", f);
		esc(f, in->note);
	}
	fputs("</td><td data-label=\"Lease left\">", f);
	if (in->expire == 0) {
		fputs("permanent", f);
	} else {
		uint32_t left = in->expire - p->now;
		if (left >= 3600)
			fprintf(f, "%uh %02um", left / 3600, left / 60 % 60);
		else if (left >= 60)
			fprintf(f, "%um %02us", left / 60, left % 60);
		else
			fprintf(f, "%us", left);
	}
	fprintf(f, "</td><td data-label=\"From\">%s",
	    in->origin <= SVC_FROM_ZONE ? origins[in->origin] : "?");
	if (in->origin == SVC_FROM_FILE && in->source[0] != '\0') {
		const char *base = strrchr(in->source, '/');
		fputs(" ", f);
		esc(f, base != NULL ? base + 1 : in->source);
	}
	fputs("</td></tr>", f);
	return 0;
}

void
http_ui(struct http *h, struct http_reply *out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct store_txn *t;
	uint64_t index = 0;
	if (f == NULL || store_read_begin(h->store, &t) != 0) {
		if (f != NULL)
			fclose(f);
		free(buf);
		http_reply_text(out, 500, "cannot read the store");
		return;
	}
	store_catalog_index(t, &index);
	fputs("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	      "<title>dnsd: ",
	    f);
	esc(f, h->node);
	fprintf(f, "</title><style>%s</style></head><body><header><h1>dnsd on ", css);
	esc(f, h->node);
	fprintf(f, "</h1><p>configuration generation %u &middot; catalog index %llu</p></header><main>",
	    h->rt->generation, (unsigned long long)index + 1);
	zones(h, t, f);
	struct page p = { .f = f, .now = clock_now() };
	fputs("<h2 id=\"services\">Services</h2>", f);
	for (size_t i = 0; i < h->rt->zones.n; i++) {
		p.z = &h->rt->zones.z[i];
		svc_walk(t, p.z, NULL, row, &p);
	}
	if (p.current[0] != '\0')
		fputs("</tbody></table>", f);
	if (p.services == 0)
		fputs("<p class=\"none\">No service instance is registered.</p>", f);
	fprintf(f, "<p class=\"none\">%u service%s, %u instance%s.</p></main></body></html>\n",
	    p.services, p.services == 1 ? "" : "s", p.instances, p.instances == 1 ? "" : "s");
	store_abort(t);
	fclose(f);
	out->status = 200;
	out->body = buf;
	out->len = len;
	out->type = "text/html; charset=utf-8";
}
