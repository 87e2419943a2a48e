/* dnsd-update.c -- register service instances with signed DNS UPDATEs:
 * command line, subcommands, and the renewal loop of keepalive and run.
 *
 * The other parts: update-msg.c (which records; no sockets), update-net.c
 * (sending, TSIG, RCODEs), update-key.c (key files), update-batch.c (the
 * nsupdate-like stdin mode), update-bench.c (the load generator). This
 * tool links ldns only, never libdnsd: it is a plain RFC 2136 client and
 * works against any server (Knot, BIND, dnsd). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/wait.h>

#include "update.h"

#ifndef UPDATE_VERSION
#define UPDATE_VERSION "0.1.0"
#endif

#define DEFAULT_SERVER "127.0.0.1@53"
#define DEFAULT_TIMEOUT_S 5
#define DEFAULT_TTL 30
/* keepalive and run need a lease to renew; this one unless --lease. */
#define DEFAULT_LOOP_LEASE 30
/* Renew at this fraction of the lease, in percent. */
#define RENEW_PERCENT 80

static const char usage_text[] =
"usage: dnsd-update [options] register   SERVICE INSTANCE ADDRESS PORT [reg-options]\n"
"       dnsd-update [options] renew      SERVICE INSTANCE ADDRESS PORT [reg-options]\n"
"       dnsd-update [options] deregister SERVICE INSTANCE [ADDRESS PORT] [reg-options]\n"
"       dnsd-update [options] keepalive  SERVICE INSTANCE ADDRESS PORT [reg-options]\n"
"       dnsd-update [options] run        SERVICE INSTANCE ADDRESS PORT [reg-options] -- COMMAND [ARG...]\n"
"       dnsd-update [options] bench      [-n COUNT] [-c CLIENTS] [SERVICE]\n"
"       dnsd-update [options] < COMMANDS      (nsupdate-like: add, del, prereq, send)\n"
"\n"
"SERVICE is a label (web) or a qualified name (web.example.com) whose\n"
"domain holds the records; INSTANCE names the instance and its host.\n"
"\n"
"options:\n"
"  -s, --server ADDR[@PORT]     server to send to (default " DEFAULT_SERVER ")\n"
"  -z, --zone ZONE              zone to update (default: ask the server for the\n"
"                               SOA of a qualified SERVICE's name)\n"
"  -k, --keyfile FILE           TSIG key in BIND syntax: key \"n\" { algorithm a; secret \"s\"; };\n"
"  -y, --key [ALG:]NAME:SECRET  TSIG key (ALG default hmac-sha256)\n"
"  -t, --timeout SECONDS        time allowed per message, retries included (default 5)\n"
"      --tcp                    use TCP only (default: UDP, TCP when truncated)\n"
"      --lease SECONDS          request this lease (EDNS Update Lease, RFC 9664)\n"
"      --key-lease SECONDS      also send KEY-LEASE (8-byte option; needs --lease)\n"
"  -v, --verbose                say what is sent and granted\n"
"  -d, --debug                  dump every message sent and received\n"
"  -h, --help                   this text\n"
"  -V, --version                version\n"
"reg-options:\n"
"      --ttl SECONDS            TTL of the records (default 30, at most the lease)\n"
"      --txt STRING             TXT string, e.g. path=/api (repeatable)\n"
"      --subtype NAME           DNS-SD subtype, _NAME._sub (repeatable)\n"
"      --aaaa ADDRESS           an IPv6 address too (repeatable)\n"
"      --udp                    protocol _udp instead of _tcp\n"
"      --priority N, --weight N SRV priority and weight (default 0 0)\n"
"bench options:\n"
"  -n COUNT                     updates to send (default 1000)\n"
"  -c CLIENTS                   concurrent clients (default 4)\n"
"\n"
"Exit status: 0 done, 1 the server refused or did not answer, 2 usage error.\n"
"See dnsd-update(1).\n";

enum cmd { CMD_BATCH, CMD_REGISTER, CMD_RENEW, CMD_DEREGISTER, CMD_KEEPALIVE,
	CMD_RUN, CMD_BENCH };

struct opts {
	struct upd_client c;
	enum cmd cmd;
	const char *zone;
	unsigned long ttl;
	bool ttl_set;
	bool udp;
	unsigned long priority, weight;
	const char **txt, **subtypes, **aaaa;
	size_t ntxt, nsubtypes, naaaa;
	unsigned long bench_n, bench_c;
	bool bench_opts;
	char **pos;       /* positional arguments after the subcommand */
	int npos;
	char **command;   /* run: the command after -- */
};

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "dnsd-update: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'dnsd-update --help' for more information.\n");
	return UPD_EUSAGE;
}

/* Strict decimal: all digits, no sign, within [min, max]. */
static bool
parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

enum {
	OPT_TCP = 256, OPT_LEASE, OPT_KEY_LEASE, OPT_TTL, OPT_TXT, OPT_SUBTYPE,
	OPT_AAAA, OPT_UDP, OPT_PRIORITY, OPT_WEIGHT,
};

static const struct option long_opts[] = {
	{ "server", required_argument, NULL, 's' },
	{ "zone", required_argument, NULL, 'z' },
	{ "keyfile", required_argument, NULL, 'k' },
	{ "key", required_argument, NULL, 'y' },
	{ "timeout", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "tcp", no_argument, NULL, OPT_TCP },
	{ "lease", required_argument, NULL, OPT_LEASE },
	{ "key-lease", required_argument, NULL, OPT_KEY_LEASE },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "txt", required_argument, NULL, OPT_TXT },
	{ "subtype", required_argument, NULL, OPT_SUBTYPE },
	{ "aaaa", required_argument, NULL, OPT_AAAA },
	{ "udp", no_argument, NULL, OPT_UDP },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "weight", required_argument, NULL, OPT_WEIGHT },
	{ NULL, 0, NULL, 0 },
};

/* Parses argv into o. Options may come before or after the subcommand's
 * arguments; for run, everything after the first "--" is the command.
 * Returns UPD_OK, UPD_EUSAGE, or -1 when --help/--version was handled. */
static int
parse_args(struct opts *o, int argc, char **argv)
{
	const char *server = DEFAULT_SERVER, *keyfile = NULL, *keyarg = NULL;
	char err[UPD_ERRLEN];
	unsigned long v;
	int dashdash = argc, ch, r;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashdash = i;
			break;
		}
	o->txt = calloc((size_t)argc, sizeof(*o->txt));
	o->subtypes = calloc((size_t)argc, sizeof(*o->subtypes));
	o->aaaa = calloc((size_t)argc, sizeof(*o->aaaa));
	o->pos = calloc((size_t)argc + 1, sizeof(*o->pos));
	if (!o->txt || !o->subtypes || !o->aaaa || !o->pos)
		return usage_error("%s", "out of memory");
	o->c.timeout_ms = DEFAULT_TIMEOUT_S * 1000;
	o->ttl = DEFAULT_TTL;
	o->bench_n = 1000;
	o->bench_c = 4;

	opterr = 0;
	while ((ch = getopt_long(dashdash, argv, ":s:z:k:y:t:vdhVn:c:",
	    long_opts, NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'z': o->zone = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'y': keyarg = optarg; break;
		case 't':
			if (!parse_ulong(optarg, 1, 3600, &v))
				return usage_error("bad timeout '%s' (seconds, "
				    "1-3600)", optarg);
			o->c.timeout_ms = (int)v * 1000;
			break;
		case 'v': o->c.verbose++; break;
		case 'd': o->c.debug++; break;
		case 'h': fputs(usage_text, stdout); return -1;
		case 'V': printf("dnsd-update " UPDATE_VERSION "\n"); return -1;
		case 'n':
			if (!parse_ulong(optarg, 1, 100000000, &o->bench_n))
				return usage_error("bad count '%s'", optarg);
			o->bench_opts = true;
			break;
		case 'c':
			if (!parse_ulong(optarg, 1, 1024, &o->bench_c))
				return usage_error("bad client count '%s' "
				    "(1-1024)", optarg);
			o->bench_opts = true;
			break;
		case OPT_TCP: o->c.tcp = true; break;
		case OPT_LEASE:
			if (!parse_ulong(optarg, 1, UINT32_MAX, &v))
				return usage_error("bad lease '%s' (seconds, "
				    "1-4294967295)", optarg);
			o->c.lease_set = true;
			o->c.lease = (uint32_t)v;
			break;
		case OPT_KEY_LEASE:
			if (!parse_ulong(optarg, 1, UINT32_MAX, &v))
				return usage_error("bad key lease '%s' "
				    "(seconds)", optarg);
			o->c.key_lease_set = true;
			o->c.key_lease = (uint32_t)v;
			break;
		case OPT_TTL:
			if (!parse_ulong(optarg, 0, INT32_MAX, &o->ttl))
				return usage_error("bad TTL '%s' (seconds)",
				    optarg);
			o->ttl_set = true;
			break;
		case OPT_TXT:
			if (strlen(optarg) > 255)
				return usage_error("TXT string longer than 255 "
				    "bytes: '%s'", optarg);
			o->txt[o->ntxt++] = optarg;
			break;
		case OPT_SUBTYPE:
			if (!upd_label_ok(optarg, true))
				return usage_error("bad subtype '%s' (letters, "
				    "digits, '-', '_')", optarg);
			o->subtypes[o->nsubtypes++] = optarg;
			break;
		case OPT_AAAA:
			o->aaaa[o->naaaa++] = optarg;
			break;
		case OPT_UDP: o->udp = true; break;
		case OPT_PRIORITY:
			if (!parse_ulong(optarg, 0, 65535, &o->priority))
				return usage_error("bad priority '%s' (0-65535)",
				    optarg);
			break;
		case OPT_WEIGHT:
			if (!parse_ulong(optarg, 0, 65535, &o->weight))
				return usage_error("bad weight '%s' (0-65535)",
				    optarg);
			break;
		case ':':
			return usage_error("option %s needs an argument",
			    argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
			    argv[optind - 1]);
		}
	}

	/* The subcommand and its arguments. */
	for (int i = optind; i < dashdash; i++)
		o->pos[o->npos++] = argv[i];
	if (o->npos > 0) {
		static const struct { const char *name; enum cmd cmd; } cmds[] = {
			{ "register", CMD_REGISTER }, { "renew", CMD_RENEW },
			{ "deregister", CMD_DEREGISTER },
			{ "keepalive", CMD_KEEPALIVE }, { "run", CMD_RUN },
			{ "bench", CMD_BENCH },
		};
		size_t i;

		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (strcmp(o->pos[0], cmds[i].name) == 0)
				break;
		if (i == sizeof(cmds) / sizeof(cmds[0]))
			return usage_error("unknown command '%s' (register, "
			    "renew, deregister, keepalive, run, bench; none "
			    "reads commands from stdin)", o->pos[0]);
		o->cmd = cmds[i].cmd;
		o->pos++;
		o->npos--;
	}
	if (o->cmd == CMD_RUN) {
		if (dashdash + 1 >= argc)
			return usage_error("%s", "run needs -- COMMAND [ARG...]");
		o->command = argv + dashdash + 1;
	} else {
		for (int i = dashdash + 1; i < argc; i++)
			o->pos[o->npos++] = argv[i];
	}
	if (o->bench_opts && o->cmd != CMD_BENCH)
		return usage_error("%s", "-n and -c are for bench only");
	if (o->c.tcp && o->cmd == CMD_BENCH)
		return usage_error("%s", "bench sends over UDP only (no --tcp)");
	if (o->c.key_lease_set && !o->c.lease_set)
		return usage_error("%s", "--key-lease needs --lease");

	if ((r = upd_server_parse(&o->c, server, err)) != UPD_OK)
		return usage_error("%s", err);
	if (keyfile && keyarg)
		return usage_error("%s", "give -k or -y, not both");
	if (keyfile && upd_key_read_file(&o->c.key, keyfile, err) != UPD_OK)
		return usage_error("%s", err);
	if (keyarg) {
		/* [alg:]name:secret -- base64 has no colon. */
		char *copy = strdup(keyarg), *colon;

		if (!copy)
			return usage_error("%s", "out of memory");
		if (!(colon = strrchr(copy, ':'))) {
			free(copy);
			return usage_error("%s", "bad -y argument (expected "
			    "[ALG:]NAME:SECRET)");
		}
		*colon = '\0';
		r = upd_key_parse(&o->c.key, copy, colon + 1, err);
		free(copy);
		if (r != UPD_OK)
			return usage_error("%s", err);
	}
	return UPD_OK;
}

static void
opts_free(struct opts *o, char **pos_base)
{
	free(o->txt);
	free(o->subtypes);
	free(o->aaaa);
	free(pos_base);
	upd_key_clear(&o->c.key);
}

/* An A or AAAA rdf for a textual address; NULL if it is neither. */
static ldns_rdf *
addr_rdf(const char *s)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1)
		return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, buf);
	if (inet_pton(AF_INET6, s, buf) == 1)
		return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, buf);
	return NULL;
}

static void
instance_free(struct upd_instance *in)
{
	for (size_t i = 0; i < in->naddrs; i++)
		ldns_rdf_deep_free(in->addrs[i]);
	free(in->addrs);
	ldns_rdf_deep_free(in->domain);
	free((char *)in->service);
	memset(in, 0, sizeof(*in));
}

/* Fills in from SERVICE INSTANCE [ADDRESS PORT] (addr_needed: the last two
 * are required) and the reg-options, and finds the zone: -z, else the SOA
 * of the qualified service's name. */
static int
instance_from_args(const struct opts *o, struct upd_instance *in,
    ldns_rdf **zone, bool addr_needed)
{
	const char *svc_arg, *dot;
	char err[UPD_ERRLEN];
	unsigned long port;
	int want = addr_needed ? 4 : 2;

	memset(in, 0, sizeof(*in));
	*zone = NULL;
	if (o->npos != want && !(!addr_needed && o->npos == 4))
		return usage_error("%s", addr_needed ?
		    "expected SERVICE INSTANCE ADDRESS PORT" :
		    "expected SERVICE INSTANCE [ADDRESS PORT]");
	svc_arg = o->pos[0];
	dot = strchr(svc_arg, '.');
	in->service = dot ? strndup(svc_arg, (size_t)(dot - svc_arg)) :
	    strdup(svc_arg);
	if (!in->service)
		return usage_error("%s", "out of memory");
	if (!upd_label_ok(in->service, false)) {
		usage_error("bad service name '%s' (a label of letters, "
		    "digits and '-', optionally followed by .DOMAIN)", svc_arg);
		goto fail;
	}
	in->instance = o->pos[1];
	if (!upd_label_ok(in->instance, false)) {
		usage_error("bad instance name '%s' (it is also the host "
		    "label: letters, digits and '-')", in->instance);
		goto fail;
	}
	in->udp = o->udp;
	in->priority = (uint16_t)o->priority;
	in->weight = (uint16_t)o->weight;
	in->txt = o->txt;
	in->ntxt = o->ntxt;
	in->subtypes = o->subtypes;
	in->nsubtypes = o->nsubtypes;
	in->ttl = (uint32_t)o->ttl;
	if (o->c.lease_set && in->ttl > o->c.lease)
		in->ttl = o->c.lease; /* caches must not outlive the lease */

	in->addrs = calloc(o->naaaa + 1, sizeof(*in->addrs));
	if (!in->addrs) {
		usage_error("%s", "out of memory");
		goto fail;
	}
	if (o->npos == 4) {
		if (!(in->addrs[in->naddrs++] = addr_rdf(o->pos[2]))) {
			in->naddrs--;
			usage_error("bad address '%s' (IPv4 or IPv6)", o->pos[2]);
			goto fail;
		}
		if (!parse_ulong(o->pos[3], 1, 65535, &port)) {
			usage_error("bad port '%s' (1-65535)", o->pos[3]);
			goto fail;
		}
		in->port = (uint16_t)port;
	}
	for (size_t i = 0; i < o->naaaa; i++) {
		ldns_rdf *a = addr_rdf(o->aaaa[i]);
		if (!a || ldns_rdf_get_type(a) != LDNS_RDF_TYPE_AAAA) {
			ldns_rdf_deep_free(a);
			usage_error("bad --aaaa address '%s' (IPv6)", o->aaaa[i]);
			goto fail;
		}
		in->addrs[in->naddrs++] = a;
	}

	if (o->zone && !(*zone = ldns_dname_new_frm_str(o->zone))) {
		usage_error("bad zone name '%s'", o->zone);
		goto fail;
	}
	if (dot && !(in->domain = ldns_dname_new_frm_str(dot + 1))) {
		usage_error("bad domain in '%s'", svc_arg);
		goto fail;
	}
	if (!in->domain && !*zone) {
		usage_error("no zone for '%s': give -z ZONE or a qualified "
		    "service name (web.example.com)", svc_arg);
		goto fail;
	}
	if (!in->domain)
		in->domain = ldns_rdf_clone(*zone);
	if (*zone && ldns_dname_compare(in->domain, *zone) != 0 &&
	    !ldns_dname_is_subdomain(in->domain, *zone)) {
		usage_error("domain of '%s' is not inside the -z zone", svc_arg);
		goto fail;
	}
	if (!*zone) {
		ldns_rdf *name = upd_name_service(in);
		int r = name ? upd_find_zone(&o->c, name, zone, err) : UPD_EDNS;

		if (!name)
			snprintf(err, sizeof(err), "name too long");
		ldns_rdf_deep_free(name);
		if (r != UPD_OK) {
			fprintf(stderr, "dnsd-update: %s\n", err);
			instance_free(in);
			return UPD_EDNS;
		}
	}
	return UPD_OK;
fail:
	instance_free(in);
	ldns_rdf_deep_free(*zone);
	*zone = NULL;
	return UPD_EUSAGE;
}

/* Reports a finished UPDATE: the error line, or the granted lease. */
static int
report(const struct upd_client *c, int r, const struct upd_result *res,
    const char *err, FILE *out)
{
	if (r != UPD_OK) {
		fprintf(stderr, "dnsd-update: update failed: %s\n", err);
		return r;
	}
	/* Renewals (out == NULL) report the lease only when verbose. */
	if (!out)
		out = c->verbose ? stderr : NULL;
	if (c->lease_set && res->lease_granted && out) {
		fprintf(out, "lease granted: %lus", (unsigned long)res->lease);
		if (res->key_lease_granted)
			fprintf(out, ", key lease granted: %lus",
			    (unsigned long)res->key_lease);
		fprintf(out, "\n");
		fflush(out);
	} else if (c->lease_set && c->verbose) {
		fprintf(stderr, "dnsd-update: the server returned no lease "
		    "(asked for %lus)\n", (unsigned long)c->lease);
	}
	if (c->verbose)
		fprintf(stderr, "dnsd-update: update done in %.1f ms\n",
		    (double)res->latency_us / 1000);
	return UPD_OK;
}

static int
do_register(const struct upd_client *c, const struct upd_instance *in,
    const ldns_rdf *zone, struct upd_result *res, FILE *out)
{
	ldns_rr_list *rrs = upd_register_rrs(in);
	char err[UPD_ERRLEN];
	int r;

	if (!rrs) {
		fprintf(stderr, "dnsd-update: out of memory or name too long\n");
		return UPD_EDNS;
	}
	if (c->verbose) {
		fprintf(stderr, "dnsd-update: adding %zu records:\n",
		    ldns_rr_list_rr_count(rrs));
		ldns_rr_list_print(stderr, rrs);
	}
	r = upd_send_update(c, zone, NULL, rrs, res, err);
	ldns_rr_list_deep_free(rrs);
	return report(c, r, res, err, out);
}

/* Appends to list the RRs of the answer section of a type-t query for
 * name. NXDOMAIN and NODATA add nothing. */
static int
lookup(const struct upd_client *c, const ldns_rdf *name, ldns_rr_type t,
    ldns_rr_list *list)
{
	ldns_pkt *resp = NULL;
	char err[UPD_ERRLEN], b[16];
	int r = upd_query(c, name, t, &resp, err);
	unsigned rcode;

	if (r != UPD_OK) {
		fprintf(stderr, "dnsd-update: look-up failed: %s\n", err);
		return r;
	}
	rcode = ldns_pkt_get_rcode(resp);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		char *s = ldns_rdf2str(name);
		fprintf(stderr, "dnsd-update: look-up of %s failed: %s (server "
		    "%s)\n", s, upd_rcode_name(rcode, b, sizeof(b)), c->server);
		free(s);
		ldns_pkt_free(resp);
		return UPD_EDNS;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(resp));
	    i++) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(resp), i);
		if (ldns_rr_get_type(rr) == t &&
		    ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
			ldns_rr_list_push_rr(list, ldns_rr_clone(rr));
	}
	ldns_pkt_free(resp);
	return UPD_OK;
}

/* deregister: with ADDRESS PORT, deletes exactly what register with the
 * same arguments added; without, first reads the instance's SRV and its
 * host's A and AAAA from the server. */
static int
do_deregister(const struct upd_client *c, struct upd_instance *in,
    const ldns_rdf *zone)
{
	ldns_rr_list *srvs = ldns_rr_list_new(), *rrs = NULL;
	ldns_rdf *iname = upd_name_instance(in), *host = upd_name_host(in);
	struct upd_result res;
	char err[UPD_ERRLEN];
	int r = UPD_EDNS;

	if (!srvs || !iname || !host) {
		fprintf(stderr, "dnsd-update: out of memory\n");
		goto out;
	}
	if (in->naddrs == 0) {
		/* Look the instance up. */
		ldns_rr_list *addrs = ldns_rr_list_new();
		ldns_rdf **a;
		size_t n;

		if (!addrs)
			goto out;
		if ((r = lookup(c, iname, LDNS_RR_TYPE_SRV, srvs)) != UPD_OK ||
		    (r = lookup(c, host, LDNS_RR_TYPE_A, addrs)) != UPD_OK ||
		    (r = lookup(c, host, LDNS_RR_TYPE_AAAA, addrs)) != UPD_OK) {
			ldns_rr_list_deep_free(addrs);
			goto out;
		}
		n = ldns_rr_list_rr_count(addrs);
		a = realloc(in->addrs, (n + 1) * sizeof(*a));
		if (!a) {
			ldns_rr_list_deep_free(addrs);
			r = UPD_EDNS;
			goto out;
		}
		in->addrs = a;
		for (size_t i = 0; i < n; i++) {
			ldns_rdf *rd = ldns_rr_rdf(ldns_rr_list_rr(addrs, i), 0);
			if (rd)
				in->addrs[in->naddrs++] = ldns_rdf_clone(rd);
		}
		ldns_rr_list_deep_free(addrs);
		if (c->verbose)
			fprintf(stderr, "dnsd-update: found %zu SRV and %zu "
			    "address records\n", ldns_rr_list_rr_count(srvs),
			    in->naddrs);
	} else {
		/* The SRV register would have added. */
		ldns_rr *s = ldns_rr_new_frm_type(LDNS_RR_TYPE_SRV);
		if (!s) {
			r = UPD_EDNS;
			goto out;
		}
		ldns_rr_set_owner(s, ldns_rdf_clone(iname));
		ldns_rr_set_rdf(s, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
		    in->priority), 0);
		ldns_rr_set_rdf(s, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
		    in->weight), 1);
		ldns_rr_set_rdf(s, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
		    in->port), 2);
		ldns_rr_set_rdf(s, ldns_rdf_clone(host), 3);
		ldns_rr_list_push_rr(srvs, s);
	}
	if (!(rrs = upd_deregister_rrs(in, srvs))) {
		fprintf(stderr, "dnsd-update: out of memory\n");
		r = UPD_EDNS;
		goto out;
	}
	if (c->verbose) {
		fprintf(stderr, "dnsd-update: deleting:\n");
		ldns_rr_list_print(stderr, rrs);
	}
	r = upd_send_update(c, zone, NULL, rrs, &res, err);
	if (r != UPD_OK)
		fprintf(stderr, "dnsd-update: update failed: %s\n", err);
	else if (c->verbose)
		fprintf(stderr, "dnsd-update: deregistered in %.1f ms\n",
		    (double)res.latency_us / 1000);
out:
	ldns_rr_list_deep_free(srvs);
	ldns_rr_list_deep_free(rrs);
	ldns_rdf_deep_free(iname);
	ldns_rdf_deep_free(host);
	return r;
}

static uint64_t
now_ms(void)
{
	return upd_now_us() / 1000;
}

/* keepalive and run: signals arrive through a self-pipe so that the loop
 * waits on one descriptor with the renewal deadline as its timeout. Each
 * byte is a signal number, with SIG_FROM_TTY set when the kernel sent it
 * (Ctrl-C at a terminal): the command, in our process group, has it too
 * and must not get it twice. */
#define SIG_FROM_TTY 0x80
static int sig_pipe[2] = { -1, -1 };

static void
on_signal(int sig, siginfo_t *info, void *ctx)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	(void)ctx;
	if (info && info->si_code == SI_KERNEL)
		b |= SIG_FROM_TTY;
	(void)!write(sig_pipe[1], &b, 1);
	errno = saved;
}

static int
signals_setup(void)
{
	struct sigaction sa;
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

/* Milliseconds until the next renewal: RENEW_PERCENT of the lease the
 * server granted (or the one we asked for), at least one second. */
static uint64_t
renew_after_ms(const struct upd_client *c, const struct upd_result *res)
{
	uint64_t lease = res->lease_granted && res->lease ? res->lease :
	    c->lease;
	uint64_t ms = lease * 1000 * RENEW_PERCENT / 100;

	return ms < 1000 ? 1000 : ms;
}

/* After a failed renewal, try again sooner: a tenth of the lease, 1-5 s. */
static uint64_t
retry_after_ms(const struct upd_client *c)
{
	uint64_t ms = (uint64_t)c->lease * 100;

	return ms < 1000 ? 1000 : ms > 5000 ? 5000 : ms;
}

/* After the first registration (its result in first), renews until a
 * signal (keepalive) or until child exits (run), then deregisters.
 * *child_status gets the child's wait status. */
static int
renew_loop(const struct upd_client *c, struct upd_instance *in,
    const ldns_rdf *zone, const struct upd_result *first, pid_t child,
    int *child_status)
{
	struct upd_result res = *first;
	uint64_t next;
	bool done = false;

	next = now_ms() + renew_after_ms(c, &res);
	if (c->verbose)
		fprintf(stderr, "dnsd-update: renewing every %llu ms\n",
		    (unsigned long long)renew_after_ms(c, &res));
	while (!done) {
		struct pollfd pfd = { .fd = sig_pipe[0], .events = POLLIN };
		uint64_t now = now_ms();
		int pr;

		if (now >= next) {
			if (do_register(c, in, zone, &res, NULL) == UPD_OK) {
				next = now_ms() + renew_after_ms(c, &res);
				if (c->verbose)
					fprintf(stderr, "dnsd-update: renewed\n");
			} else {
				next = now_ms() + retry_after_ms(c);
			}
			continue;
		}
		pr = poll(&pfd, 1, (int)(next - now > INT_MAX ? INT_MAX :
		    next - now));
		if (pr <= 0)
			continue; /* timeout or EINTR: the clock decides */
		for (;;) {
			unsigned char b;
			int sig;

			if (read(sig_pipe[0], &b, 1) != 1)
				break;
			sig = b & ~SIG_FROM_TTY;
			if (sig == SIGCHLD) {
				int st;
				if (child > 0 &&
				    waitpid(child, &st, WNOHANG) == child) {
					*child_status = st;
					done = true;
				}
			} else if (child <= 0) {
				done = true; /* keepalive: time to go */
			} else if (!(b & SIG_FROM_TTY)) {
				/* run: the command decides; we deregister
				 * when it exits. */
				if (c->verbose)
					fprintf(stderr, "dnsd-update: passing "
					    "signal %d to %ld\n", sig,
					    (long)child);
				kill(child, sig);
			}
		}
	}
	return do_deregister(c, in, zone);
}

/* keepalive and run need the lease they renew. */
static void
loop_defaults(struct opts *o, struct upd_instance *in)
{
	if (!o->c.lease_set) {
		o->c.lease_set = true;
		o->c.lease = DEFAULT_LOOP_LEASE;
		if (in->ttl > o->c.lease)
			in->ttl = o->c.lease;
	}
}

/* keepalive and run: lease defaults, signal handling, first registration. */
static int
loop_start(struct opts *o, struct upd_instance *in, const ldns_rdf *zone,
    struct upd_result *res)
{
	loop_defaults(o, in);
	if (signals_setup() < 0) {
		perror("dnsd-update: signals");
		return UPD_EDNS;
	}
	return do_register(&o->c, in, zone, res, stderr);
}

static int
do_keepalive(struct opts *o, struct upd_instance *in, const ldns_rdf *zone)
{
	struct upd_result res;
	int st = 0, r;

	if ((r = loop_start(o, in, zone, &res)) != UPD_OK)
		return r;
	return renew_loop(&o->c, in, zone, &res, -1, &st);
}

/* The exit status of a shell for a wait status: the code, or 128+signal. */
static int
exit_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

static int
do_run(struct opts *o, struct upd_instance *in, const ldns_rdf *zone)
{
	struct upd_result res;
	sigset_t empty;
	pid_t pid;
	int st = 0, r;

	/* Registered before the command starts: never run unannounced. */
	if ((r = loop_start(o, in, zone, &res)) != UPD_OK)
		return r;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("dnsd-update: fork");
		do_deregister(&o->c, in, zone);
		return UPD_EDNS;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigemptyset(&empty);
		sigprocmask(SIG_SETMASK, &empty, NULL);
		execvp(o->command[0], o->command);
		fprintf(stderr, "dnsd-update: cannot run %s: %s\n",
		    o->command[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (o->c.verbose)
		fprintf(stderr, "dnsd-update: started %s as %ld\n",
		    o->command[0], (long)pid);
	renew_loop(&o->c, in, zone, &res, pid, &st);
	return exit_code(st);
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct upd_instance in = { 0 };
	ldns_rdf *zone = NULL;
	char **pos_base;
	int r;

	r = parse_args(&o, argc, argv);
	pos_base = o.pos - (o.cmd != CMD_BATCH);
	if (r != UPD_OK) {
		opts_free(&o, pos_base);
		return r < 0 ? 0 : r;
	}
	/* Not every server signs an unsigned request's answer: say so early. */
	if (!o.c.key.name && o.c.verbose)
		fprintf(stderr, "dnsd-update: no TSIG key: sending unsigned\n");

	switch (o.cmd) {
	case CMD_BATCH:
		if (o.npos) {
			r = usage_error("unexpected argument '%s'", o.pos[0]);
			break;
		}
		if (o.zone && !(zone = ldns_dname_new_frm_str(o.zone))) {
			r = usage_error("bad zone name '%s'", o.zone);
			break;
		}
		r = upd_batch_run(&o.c, zone, stdin, "stdin");
		break;
	case CMD_BENCH: {
		const char *svc = o.npos ? o.pos[0] : "bench";
		char *fake[4] = { (char *)svc, "b", "10.0.0.1", "1" };
		struct opts bo = o;

		if (o.npos > 1) {
			r = usage_error("unexpected argument '%s'", o.pos[1]);
			break;
		}
		bo.pos = fake;
		bo.npos = 4;
		if ((r = instance_from_args(&bo, &in, &zone, true)) != UPD_OK)
			break;
		r = upd_bench_run(&o.c, zone, &in, o.bench_n,
		    (unsigned)o.bench_c);
		break;
	}
	case CMD_REGISTER:
	case CMD_RENEW: {
		struct upd_result res;

		if ((r = instance_from_args(&o, &in, &zone, true)) != UPD_OK)
			break;
		r = do_register(&o.c, &in, zone, &res, stdout);
		break;
	}
	case CMD_DEREGISTER:
		if ((r = instance_from_args(&o, &in, &zone, false)) != UPD_OK)
			break;
		r = do_deregister(&o.c, &in, zone);
		break;
	case CMD_KEEPALIVE:
		if ((r = instance_from_args(&o, &in, &zone, true)) != UPD_OK)
			break;
		r = do_keepalive(&o, &in, zone);
		break;
	case CMD_RUN:
		if ((r = instance_from_args(&o, &in, &zone, true)) != UPD_OK)
			break;
		r = do_run(&o, &in, zone);
		break;
	}
	instance_free(&in);
	ldns_rdf_deep_free(zone);
	opts_free(&o, pos_base);
	return r;
}
