/* update-args.c -- dnsd-update's command line: options, the subcommand
 * and its arguments, --help and --version; and SERVICE INSTANCE [ADDRESS
 * PORT] with the reg-options turned into the instance to register and
 * its zone.
 *
 * Nothing here sends a message except the SOA look-up that finds the zone
 * when neither -z nor a qualified SERVICE names it. Every error is a usage
 * error (exit 2) with one line on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "update.h"

#ifndef UPDATE_VERSION
#define UPDATE_VERSION "0.1.0"
#endif

#define DEFAULT_SERVER "127.0.0.1@53"
#define DEFAULT_TIMEOUT_S 5
#define DEFAULT_TTL 30
/* Checks (keepalive, run): as Consul's defaults for an agent's checks. */
#define DEFAULT_INTERVAL_MS 10000
#define DEFAULT_CHECK_TIMEOUT_MS 5000
#define MIN_INTERVAL_MS 100
#define MAX_INTERVAL_MS (24 * 3600 * 1000ULL)
#define MIN_CHECK_TIMEOUT_MS 10
/* Checks per instance (each is a descriptor in one poll). */
#define MAX_CHECKS 16

static const char usage_text[] =
"usage: dnsd-update [options] register   SERVICE INSTANCE ADDRESS PORT [reg-options]\n"
"       dnsd-update [options] renew      SERVICE INSTANCE ADDRESS PORT [reg-options]\n"
"       dnsd-update [options] deregister SERVICE INSTANCE [ADDRESS PORT] [reg-options]\n"
"       dnsd-update [options] keepalive  SERVICE INSTANCE ADDRESS PORT [reg-options] [check-options]\n"
"       dnsd-update [options] run        SERVICE INSTANCE ADDRESS PORT [reg-options] [check-options]\n"
"                                        -- COMMAND [ARG...]\n"
"       dnsd-update [options] bench      [-n COUNT] [-c CLIENTS] [SERVICE]\n"
"       dnsd-update [options] < COMMANDS      (nsupdate-like: add, del, prereq, send)\n"
"\n"
"SERVICE is a label (web) or a qualified name (web.example.com) whose\n"
"domain holds the records; INSTANCE names the instance and its host.\n"
"\n"
"options:\n"
"  -s, --server ADDR[@PORT]     server to send to (default " DEFAULT_SERVER ");\n"
"                               also ADDR:PORT and [V6]:PORT\n"
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
"check-options (keepalive, run; each reported to the server in DNSD-HEALTH):\n"
"      --check-http URL         GET URL: 2xx passing, 429 warning, else critical\n"
"      --check-tcp HOST:PORT    connect: passing if it succeeds\n"
"      --check-exec CMD         sh -c CMD: exit 0 passing, 1 warning, else critical\n"
"      --check-interval DURATION  between checks (default 10s; run checks its\n"
"                               command at this interval too)\n"
"      --check-timeout DURATION   per check, less than the interval (default 5s)\n"
"      --critical-grace DURATION  stop renewing once critical this long\n"
"                               (default: the lease)\n"
"bench options:\n"
"  -n COUNT                     updates to send (default 1000)\n"
"  -c CLIENTS                   concurrent clients (default 4)\n"
"\n"
"Exit status: 0 done, 1 the server refused or did not answer, 2 usage error.\n"
"See dnsd-update(1).\n";

int
upd_usage_error(const char *fmt, const char *arg)
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
	OPT_AAAA, OPT_UDP, OPT_PRIORITY, OPT_WEIGHT, OPT_CHECK_HTTP,
	OPT_CHECK_TCP, OPT_CHECK_EXEC, OPT_CHECK_INTERVAL, OPT_CHECK_TIMEOUT,
	OPT_GRACE,
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
	{ "check-http", required_argument, NULL, OPT_CHECK_HTTP },
	{ "check-tcp", required_argument, NULL, OPT_CHECK_TCP },
	{ "check-exec", required_argument, NULL, OPT_CHECK_EXEC },
	{ "check-interval", required_argument, NULL, OPT_CHECK_INTERVAL },
	{ "check-timeout", required_argument, NULL, OPT_CHECK_TIMEOUT },
	{ "critical-grace", required_argument, NULL, OPT_GRACE },
	{ NULL, 0, NULL, 0 },
};

/* The check-options: for keepalive and run only; interval, timeout and
 * grace need a check to apply to (run always checks its command). */
static int
check_opts(struct upd_opts *o)
{
	bool loop = o->cmd == UPD_CMD_KEEPALIVE || o->cmd == UPD_CMD_RUN;
	bool tuned = o->interval_set || o->timeout_set || o->grace_set;

	if (!loop && (o->nchecks || tuned))
		return upd_usage_error("%s", "--check-* and --critical-grace "
		    "are for keepalive and run");
	if (o->cmd == UPD_CMD_KEEPALIVE && tuned && !o->nchecks)
		return upd_usage_error("%s", "--check-interval, --check-timeout "
		    "and --critical-grace need --check-http, --check-tcp or "
		    "--check-exec");
	if (!o->timeout_set) {
		/* 5 s, or half the interval if that is shorter. */
		o->check_timeout_ms = DEFAULT_CHECK_TIMEOUT_MS;
		if (o->check_timeout_ms > o->check_interval_ms / 2)
			o->check_timeout_ms = o->check_interval_ms / 2;
	} else if (o->check_timeout_ms >= o->check_interval_ms) {
		return upd_usage_error("%s", "--check-timeout must be shorter "
		    "than --check-interval");
	}
	return UPD_OK;
}

int
upd_args_parse(struct upd_opts *o, int argc, char **argv)
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
	o->pos = o->pos_alloc = calloc((size_t)argc + 1, sizeof(*o->pos));
	o->checks = calloc((size_t)argc, sizeof(*o->checks));
	if (!o->txt || !o->subtypes || !o->aaaa || !o->pos || !o->checks)
		return upd_usage_error("%s", "out of memory");
	o->c.timeout_ms = DEFAULT_TIMEOUT_S * 1000;
	o->ttl = DEFAULT_TTL;
	o->bench_n = 1000;
	o->bench_c = 4;
	o->check_interval_ms = DEFAULT_INTERVAL_MS;

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
				return upd_usage_error("bad timeout '%s' "
				    "(seconds, 1-3600)", optarg);
			o->c.timeout_ms = (int)v * 1000;
			break;
		case 'v': o->c.verbose++; break;
		case 'd': o->c.debug++; break;
		case 'h': fputs(usage_text, stdout); return -1;
		case 'V': printf("dnsd-update " UPDATE_VERSION "\n"); return -1;
		case 'n':
			if (!parse_ulong(optarg, 1, 100000000, &o->bench_n))
				return upd_usage_error("bad count '%s'",
				    optarg);
			o->bench_opts = true;
			break;
		case 'c':
			if (!parse_ulong(optarg, 1, 1024, &o->bench_c))
				return upd_usage_error("bad client count '%s' "
				    "(1-1024)", optarg);
			o->bench_opts = true;
			break;
		case OPT_TCP: o->c.tcp = true; break;
		case OPT_LEASE:
			if (!parse_ulong(optarg, 1, UINT32_MAX, &v))
				return upd_usage_error("bad lease '%s' "
				    "(seconds, 1-4294967295)", optarg);
			o->c.lease_set = true;
			o->c.lease = (uint32_t)v;
			break;
		case OPT_KEY_LEASE:
			if (!parse_ulong(optarg, 1, UINT32_MAX, &v))
				return upd_usage_error("bad key lease '%s' "
				    "(seconds)", optarg);
			o->c.key_lease_set = true;
			o->c.key_lease = (uint32_t)v;
			break;
		case OPT_TTL:
			if (!parse_ulong(optarg, 0, INT32_MAX, &o->ttl))
				return upd_usage_error("bad TTL '%s' (seconds)",
				    optarg);
			o->ttl_set = true;
			break;
		case OPT_TXT:
			if (strlen(optarg) > 255)
				return upd_usage_error("TXT string longer "
				    "than 255 bytes: '%s'", optarg);
			o->txt[o->ntxt++] = optarg;
			break;
		case OPT_SUBTYPE:
			if (!upd_label_ok(optarg, true))
				return upd_usage_error("bad subtype '%s' "
				    "(letters, digits, '-', '_')", optarg);
			o->subtypes[o->nsubtypes++] = optarg;
			break;
		case OPT_AAAA:
			o->aaaa[o->naaaa++] = optarg;
			break;
		case OPT_UDP: o->udp = true; break;
		case OPT_PRIORITY:
			if (!parse_ulong(optarg, 0, 65535, &o->priority))
				return upd_usage_error("bad priority '%s' "
				    "(0-65535)", optarg);
			break;
		case OPT_WEIGHT:
			if (!parse_ulong(optarg, 0, 65535, &o->weight))
				return upd_usage_error("bad weight '%s' "
				    "(0-65535)", optarg);
			break;
		case OPT_CHECK_HTTP:
		case OPT_CHECK_TCP:
		case OPT_CHECK_EXEC:
			if (!*optarg)
				return upd_usage_error("%s needs an argument",
				    argv[optind - 1]);
			if (o->nchecks == MAX_CHECKS)
				return upd_usage_error("%s",
				    "at most 16 checks");
			o->checks[o->nchecks].kind = ch == OPT_CHECK_HTTP ?
			    UPD_CHECK_HTTP : ch == OPT_CHECK_TCP ?
			    UPD_CHECK_TCP : UPD_CHECK_EXEC;
			o->checks[o->nchecks++].target = optarg;
			break;
		case OPT_CHECK_INTERVAL:
			if (upd_duration_parse(optarg, &o->check_interval_ms) < 0 ||
			    o->check_interval_ms < MIN_INTERVAL_MS ||
			    o->check_interval_ms > MAX_INTERVAL_MS)
				return upd_usage_error("bad check interval '%s' "
				    "(a duration such as 10s, 500ms, 1m; 100ms-24h)",
				    optarg);
			o->interval_set = true;
			break;
		case OPT_CHECK_TIMEOUT:
			if (upd_duration_parse(optarg, &o->check_timeout_ms) < 0 ||
			    o->check_timeout_ms < MIN_CHECK_TIMEOUT_MS)
				return upd_usage_error("bad check timeout '%s' "
				    "(a duration such as 5s or 500ms; at least "
				    "10ms)", optarg);
			o->timeout_set = true;
			break;
		case OPT_GRACE:
			if (upd_duration_parse(optarg, &o->grace_ms) < 0)
				return upd_usage_error("bad critical grace '%s' "
				    "(a duration such as 30s, 5m)", optarg);
			o->grace_set = true;
			break;
		case ':':
			return upd_usage_error("option %s needs an argument",
			    argv[optind - 1]);
		default:
			return upd_usage_error("unknown option '%s'",
			    argv[optind - 1]);
		}
	}

	/* The subcommand and its arguments. */
	for (int i = optind; i < dashdash; i++)
		o->pos[o->npos++] = argv[i];
	if (o->npos > 0) {
		static const struct {
			const char *name;
			enum upd_cmd cmd;
		} cmds[] = {
			{ "register", UPD_CMD_REGISTER },
			{ "renew", UPD_CMD_RENEW },
			{ "deregister", UPD_CMD_DEREGISTER },
			{ "keepalive", UPD_CMD_KEEPALIVE },
			{ "run", UPD_CMD_RUN },
			{ "bench", UPD_CMD_BENCH },
		};
		size_t i;

		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (strcmp(o->pos[0], cmds[i].name) == 0)
				break;
		if (i == sizeof(cmds) / sizeof(cmds[0]))
			return upd_usage_error("unknown command '%s' "
			    "(register, renew, deregister, keepalive, run, "
			    "bench; none reads commands from stdin)",
			    o->pos[0]);
		o->cmd = cmds[i].cmd;
		o->pos++;
		o->npos--;
	}
	if (o->cmd == UPD_CMD_RUN) {
		if (dashdash + 1 >= argc)
			return upd_usage_error("%s",
			    "run needs -- COMMAND [ARG...]");
		o->command = argv + dashdash + 1;
	} else {
		for (int i = dashdash + 1; i < argc; i++)
			o->pos[o->npos++] = argv[i];
	}
	if (o->bench_opts && o->cmd != UPD_CMD_BENCH)
		return upd_usage_error("%s", "-n and -c are for bench only");
	if (o->c.tcp && o->cmd == UPD_CMD_BENCH)
		return upd_usage_error("%s",
		    "bench sends over UDP only (no --tcp)");
	if (o->c.key_lease_set && !o->c.lease_set)
		return upd_usage_error("%s", "--key-lease needs --lease");
	if ((r = check_opts(o)) != UPD_OK)
		return r;

	if ((r = upd_server_parse(&o->c, server, err)) != UPD_OK)
		return upd_usage_error("%s", err);
	if (keyfile && keyarg)
		return upd_usage_error("%s", "give -k or -y, not both");
	if (keyfile && upd_key_read_file(&o->c.key, keyfile, err) != UPD_OK)
		return upd_usage_error("%s", err);
	if (keyarg) {
		/* [alg:]name:secret -- base64 has no colon. */
		char *copy = strdup(keyarg), *colon;

		if (!copy)
			return upd_usage_error("%s", "out of memory");
		if (!(colon = strrchr(copy, ':'))) {
			free(copy);
			return upd_usage_error("%s", "bad -y argument "
			    "(expected [ALG:]NAME:SECRET)");
		}
		*colon = '\0';
		r = upd_key_parse(&o->c.key, copy, colon + 1, err);
		free(copy);
		if (r != UPD_OK)
			return upd_usage_error("%s", err);
	}
	return UPD_OK;
}

void
upd_opts_free(struct upd_opts *o)
{
	free(o->txt);
	free(o->subtypes);
	free(o->aaaa);
	free(o->pos_alloc);
	free(o->checks);
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

void
upd_instance_free(struct upd_instance *in)
{
	for (size_t i = 0; i < in->naddrs; i++)
		ldns_rdf_deep_free(in->addrs[i]);
	free(in->addrs);
	ldns_rdf_deep_free(in->domain);
	free((char *)in->service);
	memset(in, 0, sizeof(*in));
}

int
upd_instance_from_args(const struct upd_opts *o, struct upd_instance *in,
    ldns_rdf **zone, bool addr_needed)
{
	const char *svc_arg, *dot;
	char err[UPD_ERRLEN];
	unsigned long port;
	int want = addr_needed ? 4 : 2;

	memset(in, 0, sizeof(*in));
	*zone = NULL;
	if (o->npos != want && !(!addr_needed && o->npos == 4))
		return upd_usage_error("%s", addr_needed ?
		    "expected SERVICE INSTANCE ADDRESS PORT" :
		    "expected SERVICE INSTANCE [ADDRESS PORT]");
	svc_arg = o->pos[0];
	dot = strchr(svc_arg, '.');
	in->service = dot ? strndup(svc_arg, (size_t)(dot - svc_arg)) :
	    strdup(svc_arg);
	if (!in->service)
		return upd_usage_error("%s", "out of memory");
	if (!upd_label_ok(in->service, false)) {
		upd_usage_error("bad service name '%s' (a label of letters, "
		    "digits and '-', optionally followed by .DOMAIN)", svc_arg);
		goto fail;
	}
	in->instance = o->pos[1];
	if (!upd_label_ok(in->instance, false)) {
		upd_usage_error("bad instance name '%s' (it is also the host "
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
		upd_usage_error("%s", "out of memory");
		goto fail;
	}
	if (o->npos == 4) {
		if (!(in->addrs[in->naddrs++] = addr_rdf(o->pos[2]))) {
			in->naddrs--;
			upd_usage_error("bad address '%s' (IPv4 or IPv6)",
			    o->pos[2]);
			goto fail;
		}
		if (!parse_ulong(o->pos[3], 1, 65535, &port)) {
			upd_usage_error("bad port '%s' (1-65535)", o->pos[3]);
			goto fail;
		}
		in->port = (uint16_t)port;
	}
	for (size_t i = 0; i < o->naaaa; i++) {
		ldns_rdf *a = addr_rdf(o->aaaa[i]);
		if (!a || ldns_rdf_get_type(a) != LDNS_RDF_TYPE_AAAA) {
			ldns_rdf_deep_free(a);
			upd_usage_error("bad --aaaa address '%s' (IPv6)",
			    o->aaaa[i]);
			goto fail;
		}
		in->addrs[in->naddrs++] = a;
	}

	if (o->zone && !(*zone = ldns_dname_new_frm_str(o->zone))) {
		upd_usage_error("bad zone name '%s'", o->zone);
		goto fail;
	}
	if (dot && !(in->domain = ldns_dname_new_frm_str(dot + 1))) {
		upd_usage_error("bad domain in '%s'", svc_arg);
		goto fail;
	}
	if (!in->domain && !*zone) {
		upd_usage_error("no zone for '%s': give -z ZONE or a qualified "
		    "service name (web.example.com)", svc_arg);
		goto fail;
	}
	if (!in->domain)
		in->domain = ldns_rdf_clone(*zone);
	if (*zone && ldns_dname_compare(in->domain, *zone) != 0 &&
	    !ldns_dname_is_subdomain(in->domain, *zone)) {
		upd_usage_error("domain of '%s' is not inside the -z zone",
		    svc_arg);
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
			upd_instance_free(in);
			return UPD_EDNS;
		}
	}
	return UPD_OK;
fail:
	upd_instance_free(in);
	ldns_rdf_deep_free(*zone);
	*zone = NULL;
	return UPD_EUSAGE;
}
