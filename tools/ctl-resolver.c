/* ctl-resolver.c -- dnsdctl resolver (system resolver snippets) and doctor
 * (does getaddrinfo reach dnsd?)
 *
 * glibc's stub resolver reads /etc/resolv.conf: up to three "nameserver"
 * addresses, always port 53, asked in order (the next one only on a
 * timeout, SERVFAIL, NOTIMP or REFUSED; an NXDOMAIN is final); a search
 * list ("search", or "domain", the last one wins; LOCALDOMAIN overrides);
 * and "options ndots:N" (RES_OPTIONS overrides): a name with fewer than N
 * dots is tried with each search domain before it is tried as is. doctor
 * follows those rules to explain why getaddrinfo and a direct query to
 * dnsd disagree.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <ldns/ldns.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "ctl.h"
#include "wire/wire.h"

#define GLIBC_MAXNS 3
#define MAX_ITEMS 16

/* A zone name as "a.b" (no final dot), or false if it is not a name. */
static bool
zone_norm(const char *in, char *out, size_t outlen)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t len = wire_name_from_str(in, w);
	if (len == 0)
		return false;
	wire_name_lower(w, w, len);
	wire_name_to_str(w, out, outlen);
	size_t n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
	return true;
}

/* The zones to route: --zone, else the first zone of -c. */
static int
pick_zones(const struct ctl_opts *o, char zones[][WIRE_NAME_MAX * 4 + 1], size_t max, size_t *n,
    bool all_conf)
{
	*n = 0;
	for (size_t i = 0; i < o->nzones && *n < max; i++) {
		if (!zone_norm(o->zones[i], zones[*n], sizeof(zones[0]))) {
			ctl_err("--zone %s: not a valid domain name", o->zones[i]);
			return CTL_USAGE;
		}
		(*n)++;
	}
	if (*n == 0 && o->conf != NULL) {
		size_t take = all_conf ? o->conf->nzones : o->conf->nzones > 0;
		for (size_t i = 0; i < take && *n < max; i++)
			if (zone_norm(o->conf->zones[i].name, zones[*n], sizeof(zones[0])))
				(*n)++;
	}
	return 0;
}

/* dnsd's address: --server, else the first listen address of -c, else
 * 127.0.0.1@53 (dnsd's default). A wildcard address becomes loopback. */
static int
pick_server(const struct ctl_opts *o, struct conf_addr *a, const char **from)
{
	static const uint8_t any[16];
	if (o->server != NULL) {
		if (conf_addr_parse(o->server, 53, a) != 0 || a->prefix != (a->family == AF_INET ? 32u : 128u)) {
			ctl_err("--server %s: expected ADDR, ADDR@PORT or [V6]:PORT", o->server);
			return CTL_USAGE;
		}
		*from = "--server";
	} else if (o->conf != NULL && o->conf->nlisten > 0) {
		*a = o->conf->listen[0];
		*from = o->config;
	} else {
		conf_addr_parse("127.0.0.1@53", 53, a);
		*from = "dnsd's default";
	}
	if (a->family == AF_INET && memcmp(a->addr, any, 4) == 0)
		inet_pton(AF_INET, "127.0.0.1", a->addr);
	else if (a->family == AF_INET6 && memcmp(a->addr, any, 16) == 0)
		inet_pton(AF_INET6, "::1", a->addr);
	return 0;
}

static void
addr_str(const struct conf_addr *a, char *out, size_t outlen)
{
	if (inet_ntop(a->family, a->addr, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

/* ---- resolver ------------------------------------------------------------------ */

int
ctl_cmd_resolver(const struct ctl_opts *o, const char *kind)
{
	char zones[MAX_ITEMS][WIRE_NAME_MAX * 4 + 1], host[INET6_ADDRSTRLEN];
	struct conf_addr a;
	const char *from;
	size_t nz;
	int rc;

	if (strcmp(kind, "resolv.conf") != 0 && strcmp(kind, "systemd-resolved") != 0 &&
	    strcmp(kind, "dnsmasq") != 0) {
		ctl_err("resolver: unknown kind '%s' (resolv.conf, systemd-resolved or dnsmasq)", kind);
		return CTL_USAGE;
	}
	if ((rc = pick_zones(o, zones, MAX_ITEMS, &nz, false)) != 0 ||
	    (rc = pick_server(o, &a, &from)) != 0)
		return rc;
	if (nz == 0) {
		ctl_err("resolver: no zone: give --zone ZONE or -c with a zone");
		return CTL_USAGE;
	}
	addr_str(&a, host, sizeof(host));

	if (strcmp(kind, "resolv.conf") == 0) {
		printf("# /etc/resolv.conf -- ask dnsd at %s first\n", host);
		if (a.port != 53) {
			printf("# NOTE: glibc only talks to port 53, but dnsd listens on port %u.\n"
			       "# Make dnsd listen on %s@53 (listen in dnsd.conf, or -l), or route\n"
			       "# the zone through systemd-resolved or dnsmasq instead (dnsdctl\n"
			       "# resolver systemd-resolved|dnsmasq).\n",
			    a.port, host);
		}
		if (o->conf == NULL || o->conf->nforward == 0)
			printf("# dnsd answers REFUSED outside its zones (no forward configured):\n"
			       "# keep your other nameservers on the lines after this one; glibc\n"
			       "# moves on to the next nameserver after REFUSED.\n");
		printf("nameserver %s\n", host);
		printf("search");
		for (size_t i = 0; i < nz; i++)
			printf(" %s", zones[i]);
		printf("\noptions ndots:1\n");
	} else if (strcmp(kind, "systemd-resolved") == 0) {
		printf("# /etc/systemd/resolved.conf.d/dnsd.conf -- send these zones to dnsd\n"
		       "# (a port in DNS= needs systemd 246 or later); then run\n"
		       "#   systemctl restart systemd-resolved\n"
		       "[Resolve]\n");
		if (a.family == AF_INET6)
			printf(a.port == 53 ? "DNS=%s\n" : "DNS=[%s]:%u\n", host, a.port);
		else
			printf(a.port == 53 ? "DNS=%s\n" : "DNS=%s:%u\n", host, a.port);
		printf("Domains=");
		for (size_t i = 0; i < nz; i++)
			printf("%s~%s", i ? " " : "", zones[i]);
		printf("\n");
	} else {
		printf("# /etc/dnsmasq.d/dnsd.conf -- send these zones to dnsd; then restart dnsmasq\n");
		for (size_t i = 0; i < nz; i++) {
			if (a.port == 53)
				printf("server=/%s/%s\n", zones[i], host);
			else
				printf("server=/%s/%s#%u\n", zones[i], host, a.port);
		}
	}
	return fflush(stdout) == 0 ? CTL_OK : CTL_FAIL;
}

/* ---- doctor --------------------------------------------------------------------- */

struct rconf {
	const char *path;
	bool read;
	size_t nns;
	char ns[MAX_ITEMS][INET6_ADDRSTRLEN + 16];
	size_t nsearch;
	char search[8][WIRE_NAME_MAX * 4 + 1];
	unsigned ndots;
	bool search_env, ndots_env;
	int err; /* errno of a failed open */
};

static void
set_search(struct rconf *r, char *words)
{
	char *save = NULL;
	r->nsearch = 0;
	for (char *w = strtok_r(words, " \t\r\n", &save); w != NULL && r->nsearch < 8;
	     w = strtok_r(NULL, " \t\r\n", &save))
		if (zone_norm(w, r->search[r->nsearch], sizeof(r->search[0])))
			r->nsearch++;
}

static void
set_options(struct rconf *r, char *words, bool env)
{
	char *save = NULL;
	for (char *w = strtok_r(words, " \t\r\n", &save); w != NULL;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (strncmp(w, "ndots:", 6) == 0) {
			long v = strtol(w + 6, NULL, 10);
			r->ndots = v < 0 ? 0 : v > 15 ? 15 : (unsigned)v; /* glibc's RES_MAXNDOTS */
			r->ndots_env = env;
		}
	}
}

/* Read resolv.conf the way glibc does (the parts that matter here). */
static void
rconf_read(struct rconf *r, const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->ndots = 1;
	if (f == NULL)
		r->err = errno;
	if (f != NULL) {
		r->read = true;
		while (fgets(line, sizeof(line), f) != NULL) {
			char *p = line, *save = NULL;
			if (*p == '#' || *p == ';')
				continue;
			char *kw = strtok_r(p, " \t\r\n", &save);
			char *rest = save;
			if (kw == NULL)
				continue;
			if (strcmp(kw, "nameserver") == 0) {
				char *a = strtok_r(NULL, " \t\r\n", &save);
				if (a != NULL && r->nns < MAX_ITEMS)
					snprintf(r->ns[r->nns++], sizeof(r->ns[0]), "%s", a);
			} else if (strcmp(kw, "search") == 0 || strcmp(kw, "domain") == 0) {
				set_search(r, rest);
			} else if (strcmp(kw, "options") == 0) {
				set_options(r, rest, false);
			}
		}
		fclose(f);
	}
	char buf[1024];
	const char *env = getenv("LOCALDOMAIN");
	if (env != NULL) {
		snprintf(buf, sizeof(buf), "%s", env);
		set_search(r, buf);
		r->search_env = true;
	}
	if ((env = getenv("RES_OPTIONS")) != NULL) {
		snprintf(buf, sizeof(buf), "%s", env);
		set_options(r, buf, true);
	}
}

/* Is `ns` (a resolv.conf address) one that dnsd listens on? Sets *port. */
static bool
ns_is_dnsd(const char *ns, const struct conf_addr *listen, size_t nlisten, uint16_t *port)
{
	uint8_t addr[16];
	char host[INET6_ADDRSTRLEN + 16];
	int fam;
	snprintf(host, sizeof(host), "%s", ns);
	char *pct = strchr(host, '%');
	if (pct != NULL)
		*pct = '\0';
	if (inet_pton(AF_INET, host, addr) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		fam = AF_INET6;
	else
		return false;
	size_t alen = fam == AF_INET ? 4 : 16;
	for (size_t i = 0; i < nlisten; i++) {
		static const uint8_t any[16];
		const struct conf_addr *l = &listen[i];
		if (l->family != fam)
			continue;
		if (memcmp(l->addr, addr, alen) == 0) {
			*port = l->port;
			return true;
		}
		if (memcmp(l->addr, any, alen) != 0)
			continue;
		/* A wildcard listener: any address of this host. */
		struct ifaddrs *ifs, *ifa;
		bool local = false;
		if (fam == AF_INET && addr[0] == 127)
			local = true;
		else if (getifaddrs(&ifs) == 0) {
			for (ifa = ifs; ifa != NULL && !local; ifa = ifa->ifa_next) {
				if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != fam)
					continue;
				const void *p = fam == AF_INET ?
				    (const void *)&((struct sockaddr_in *)ifa->ifa_addr)->sin_addr :
				    (const void *)&((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
				local = memcmp(p, addr, alen) == 0;
			}
			freeifaddrs(ifs);
		}
		if (local) {
			*port = l->port;
			return true;
		}
	}
	return false;
}

/* A set of addresses as sorted, distinct strings. */
struct addrs {
	size_t n;
	char a[MAX_ITEMS * 2][INET6_ADDRSTRLEN];
};

static void
addrs_add(struct addrs *s, const char *a)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->a[i], a) == 0)
			return;
	if (s->n < sizeof(s->a) / sizeof(s->a[0]))
		snprintf(s->a[s->n++], sizeof(s->a[0]), "%s", a);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
addrs_str(struct addrs *s, char *out, size_t outlen)
{
	size_t o = 0;
	qsort(s->a, s->n, sizeof(s->a[0]), str_cmp);
	out[0] = '\0';
	for (size_t i = 0; i < s->n && o < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? " " : "", s->a[i]);
}

/* Ask dnsd directly for A and AAAA. Returns 0 with the addresses (and the
 * RCODE text), or -1 with `why` if the server did not answer. */
static int
direct_query(const struct conf_addr *srv, const char *name, struct addrs *out, char *rcode,
    size_t rlen, char *why, size_t wlen)
{
	char host[INET6_ADDRSTRLEN];
	ldns_resolver *r = ldns_resolver_new();
	ldns_rdf *ns = NULL, *qname = NULL;
	int rc = -1;
	bool answered = false;

	snprintf(rcode, rlen, "NOERROR");
	addr_str(srv, host, sizeof(host));
	if (r == NULL ||
	    (ns = ldns_rdf_new_frm_str(srv->family == AF_INET ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
	         host)) == NULL ||
	    (qname = ldns_dname_new_frm_str(name)) == NULL ||
	    ldns_resolver_push_nameserver(r, ns) != LDNS_STATUS_OK) {
		snprintf(why, wlen, "cannot set up the query (ldns)");
		goto out;
	}
	ldns_resolver_set_port(r, srv->port);
	ldns_resolver_set_recursive(r, false);
	ldns_resolver_set_retry(r, 2);
	ldns_resolver_set_timeout(r, (struct timeval){ 2, 0 });
	ldns_resolver_set_fallback(r, true); /* TCP after TC=1 */
	ldns_resolver_set_dnssec(r, false);
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	for (size_t t = 0; t < 2; t++) {
		ldns_pkt *p = NULL;
		ldns_status st = ldns_resolver_send(&p, r, qname, types[t], LDNS_RR_CLASS_IN, 0);
		if (st != LDNS_STATUS_OK || p == NULL) {
			/* ldns says "no valid nameservers" when every try timed out. */
			snprintf(why, wlen, "%s", st == LDNS_STATUS_RES_NO_NS ?
			    "no reply within 2 s, twice" : ldns_get_errorstr_by_id(st));
			ldns_pkt_free(p);
			break;
		}
		answered = true;
		if (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR) {
			char *s = ldns_pkt_rcode2str(ldns_pkt_get_rcode(p));
			snprintf(rcode, rlen, "%s", s ? s : "?");
			free(s);
		}
		ldns_rr_list *an = ldns_pkt_answer(p);
		for (size_t i = 0; an != NULL && i < ldns_rr_list_rr_count(an); i++) {
			ldns_rr *rr = ldns_rr_list_rr(an, i);
			if (ldns_rr_get_type(rr) != types[t] || ldns_rr_rd_count(rr) < 1)
				continue;
			char *s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			if (s != NULL)
				addrs_add(out, s);
			free(s);
		}
		ldns_pkt_free(p);
	}
	rc = answered ? 0 : -1;
out:
	ldns_rdf_deep_free(qname);
	ldns_resolver_deep_free(r); /* frees the pushed nameserver copy */
	ldns_rdf_deep_free(ns);
	return rc;
}

/* What glibc does with getaddrinfo(name): AF_UNSPEC, A and AAAA. */
static int
system_lookup(const char *name, struct addrs *out, char *why, size_t wlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *res, *ai;
	int rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(why, wlen, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		char h[INET6_ADDRSTRLEN];
		const void *p = ai->ai_family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr :
		    (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    inet_ntop(ai->ai_family, p, h, sizeof(h)) != NULL)
			addrs_add(out, h);
	}
	freeaddrinfo(res);
	return 0;
}

/* Findings about the configuration: problems if the system path fails,
 * notes if it works anyway (a forwarder may bridge the gap). */
struct findings {
	size_t n;
	char line[MAX_ITEMS][512];
};

static void
find(struct findings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
find(struct findings *f, const char *fmt, ...)
{
	va_list ap;
	if (f->n == MAX_ITEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(f->line[f->n++], sizeof(f->line[0]), fmt, ap);
	va_end(ap);
}

/* Is the presentation name `n` (no final dot) at or below a served zone? */
static bool
in_zones(const char *n, char zones[][WIRE_NAME_MAX * 4 + 1], size_t nz)
{
	uint8_t w[WIRE_NAME_MAX], z[WIRE_NAME_MAX];
	if (wire_name_from_str(n, w) == 0)
		return false;
	for (size_t i = 0; i < nz; i++)
		if (wire_name_from_str(zones[i], z) != 0 && wire_name_is_subdomain(w, z))
			return true;
	return false;
}

static unsigned
count_dots(const char *s)
{
	unsigned n = 0;
	for (; *s; s++)
		if (*s == '.' && s[1] != '\0')
			n++;
	return n;
}

int
ctl_cmd_doctor(const struct ctl_opts *o, const char *name)
{
	char zones[MAX_ITEMS][WIRE_NAME_MAX * 4 + 1], host[INET6_ADDRSTRLEN];
	char cand[10][WIRE_NAME_MAX * 4 + 8], target[WIRE_NAME_MAX * 4 + 8];
	char rcode[32], why[256] = "", gwhy[256] = "", buf[1024];
	struct conf_addr srv, deflisten;
	const struct conf_addr *listen;
	struct findings f = { 0 };
	struct addrs direct = { 0 }, sys = { 0 };
	struct rconf rc;
	const char *from;
	size_t nz, nlisten, ncand = 0;
	int r;

	if ((r = pick_zones(o, zones, MAX_ITEMS, &nz, true)) != 0 ||
	    (r = pick_server(o, &srv, &from)) != 0)
		return r;
	uint8_t w[WIRE_NAME_MAX];
	if (wire_name_from_str(name, w) == 0 || strcmp(name, ".") == 0) {
		ctl_err("doctor: %s: not a valid host name", name);
		return CTL_USAGE;
	}
	/* Addresses dnsd listens on. */
	if (o->server != NULL || o->conf == NULL || o->conf->nlisten == 0) {
		deflisten = srv;
		listen = &deflisten;
		nlisten = 1;
	} else {
		listen = o->conf->listen;
		nlisten = o->conf->nlisten;
	}
	addr_str(&srv, host, sizeof(host));
	rconf_read(&rc, o->resolv_conf ? o->resolv_conf : "/etc/resolv.conf");

	/* The names glibc tries, in order (res_search). */
	size_t nl = strlen(name);
	bool absolute = nl > 0 && name[nl - 1] == '.';
	char bare[WIRE_NAME_MAX * 4 + 1];
	snprintf(bare, sizeof(bare), "%.*s", (int)(absolute ? nl - 1 : nl), name);
	unsigned dots = count_dots(bare);
	if (!absolute && dots >= rc.ndots)
		snprintf(cand[ncand++], sizeof(cand[0]), "%s", bare);
	for (size_t i = 0; !absolute && i < rc.nsearch && ncand < 9; i++)
		snprintf(cand[ncand++], sizeof(cand[0]), "%s.%s", bare, rc.search[i]);
	if (absolute || dots < rc.ndots)
		snprintf(cand[ncand++], sizeof(cand[0]), "%s", bare);

	/* Which of them reaches a served zone first. */
	size_t ti = ncand;
	for (size_t i = 0; nz > 0 && i < ncand && ti == ncand; i++)
		if (in_zones(cand[i], zones, nz))
			ti = i;
	if (nz == 0) {
		snprintf(target, sizeof(target), "%s", bare);
	} else if (ti == ncand) {
		char zl[512];
		size_t o2 = 0, o3 = 0;
		buf[0] = zl[0] = '\0';
		for (size_t i = 0; i < rc.nsearch && o2 < sizeof(buf); i++)
			o2 += (size_t)snprintf(buf + o2, sizeof(buf) - o2, "%s%s", i ? " " : "",
			    rc.search[i]);
		for (size_t i = 0; i < nz && o3 < sizeof(zl); i++)
			o3 += (size_t)snprintf(zl + o3, sizeof(zl) - o3, "%s%s", i ? " " : "", zones[i]);
		find(&f, "%s is not in a served zone (%s) and no search domain (%s) puts it in one",
		    bare, zl, rc.nsearch ? buf : "none");
		snprintf(target, sizeof(target), "%s", bare);
	} else {
		snprintf(target, sizeof(target), "%s", cand[ti]);
		if (ti > 0)
			find(&f, "glibc asks for %s before %s (%s has %u dot%s, ndots is %u): if that "
			    "name exists elsewhere, it hides %s", cand[0], target, bare, dots,
			    dots == 1 ? "" : "s", rc.ndots, target);
	}

	/* resolv.conf against dnsd's addresses. */
	if (!rc.read)
		find(&f, "cannot read %s: %s (glibc then asks 127.0.0.1 port 53)", rc.path,
		    strerror(rc.err));
	if (rc.nns == 0)
		snprintf(rc.ns[rc.nns++], sizeof(rc.ns[0]), "127.0.0.1"); /* glibc's default */
	size_t di = rc.nns;
	uint16_t dport = 0;
	for (size_t i = 0; i < rc.nns && di == rc.nns; i++)
		if (ns_is_dnsd(rc.ns[i], listen, nlisten, &dport))
			di = i;
	if (di == rc.nns) {
		size_t o2 = 0;
		for (size_t i = 0; i < rc.nns && o2 < sizeof(buf); i++)
			o2 += (size_t)snprintf(buf + o2, sizeof(buf) - o2, "%s%s", i ? " " : "", rc.ns[i]);
		if (strncmp(rc.ns[0], "127.0.0.53", 10) == 0)
			find(&f, "%s names systemd-resolved (%s), not dnsd: it must route the zone to "
			    "dnsd (dnsdctl resolver systemd-resolved)", rc.path, rc.ns[0]);
		else
			find(&f, "no nameserver in %s (%s) is an address dnsd listens on (%s port %u)",
			    rc.path, buf, host, srv.port);
	} else {
		if (di >= GLIBC_MAXNS)
			find(&f, "dnsd's address %s is nameserver number %zu in %s, but glibc uses "
			    "only the first %d", rc.ns[di], di + 1, rc.path, GLIBC_MAXNS);
		else if (di > 0)
			find(&f, "nameserver %s is listed before dnsd (%s) in %s: glibc asks it first, "
			    "and its NXDOMAIN is final", rc.ns[0], rc.ns[di], rc.path);
		if (dport != 53)
			find(&f, "%s names %s, but dnsd listens there on port %u and glibc only talks "
			    "to port 53", rc.path, rc.ns[di], dport);
	}

	/* The two answers. */
	int dr = direct_query(&srv, target, &direct, rcode, sizeof(rcode), why, sizeof(why));
	int sr = system_lookup(name, &sys, gwhy, sizeof(gwhy));
	char dstr[1024], sstr[1024];
	addrs_str(&direct, dstr, sizeof(dstr));
	addrs_str(&sys, sstr, sizeof(sstr));

	printf("name:         %s\n", name);
	printf("dnsd:         %s port %u (%s)\n", host, srv.port, from);
	printf("%-13s ", "resolv.conf:");
	for (size_t i = 0; i < rc.nns; i++)
		printf("nameserver %s; ", rc.ns[i]);
	printf("search");
	for (size_t i = 0; i < rc.nsearch; i++)
		printf(" %s", rc.search[i]);
	printf("%s; ndots %u%s\n", rc.nsearch ? "" : " (none)", rc.ndots,
	    rc.ndots_env ? " (RES_OPTIONS)" : "");
	if (dr != 0)
		printf("direct:       %s -> no reply (%s)\n", target, why);
	else
		printf("direct:       %s -> %s%s%s\n", target, direct.n ? dstr : rcode,
		    direct.n ? "" : " (no address)", "");
	printf("getaddrinfo:  %s -> %s\n", name, sr != 0 ? gwhy : sys.n ? sstr : "(no address)");

	bool works = dr == 0 && direct.n > 0 && sr == 0 && strcmp(dstr, sstr) == 0;
	if (works) {
		for (size_t i = 0; i < f.n; i++)
			printf("note: %s\n", f.line[i]);
		printf("ok: getaddrinfo(%s) returns what dnsd serves for %s\n", name, target);
		return CTL_OK;
	}
	for (size_t i = 0; i < f.n; i++)
		printf("problem: %s\n", f.line[i]);
	if (dr != 0)
		printf("problem: dnsd at %s port %u does not answer (%s)\n", host, srv.port, why);
	else if (direct.n == 0)
		printf("problem: dnsd has no A or AAAA record for %s (%s)\n", target, rcode);
	else if (sr != 0)
		printf("problem: getaddrinfo(%s) fails (%s) but dnsd answers %s\n", name, gwhy, dstr);
	else
		printf("problem: getaddrinfo(%s) returns %s but dnsd answers %s\n", name,
		    sys.n ? sstr : "no address", dstr);
	return CTL_FAIL;
}
