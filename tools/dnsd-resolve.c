/* dnsd-resolve.c -- command-line front end of libdnsd-client: resolve or browse a service */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd-client.h"

#define PROG "dnsd-resolve"

enum { EXIT_LOOKUP = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
"usage: " PROG " [options] SERVICE\n"
"       " PROG " [options] --browse TYPE\n"
"\n"
"Resolve SERVICE through its SRV records (RFC 2782) and print the endpoints\n"
"in the order a client should try them, one address:port per line\n"
"([address]:port for IPv6). Without SRV records, the A/AAAA records of the\n"
"name itself are used. SERVICE is \"web\" (_web._tcp in the search domains),\n"
"\"_web._tcp.example.test\", or any full name.\n"
"\n"
"  -s, --server ADDR[@PORT]  DNS server to ask (repeatable; default: the\n"
"                            system resolver configuration)\n"
"  -d, --domain DOMAIN       search domain for relative names (repeatable)\n"
"  -t, --timeout SECONDS     give up after SECONDS (default 5)\n"
"  -u, --udp                 SERVICE \"web\" means _web._udp, not _web._tcp\n"
"  -p, --port PORT           port for endpoints found by the A/AAAA fallback\n"
"  -F, --no-fallback         require SRV records, no A/AAAA fallback\n"
"  -4, --ipv4                IPv4 addresses only\n"
"  -6, --ipv6                IPv6 addresses only\n"
"  -T, --tcp                 query the DNS servers over TCP\n"
"  -1, --one                 print only the first endpoint\n"
"  -n, --names               print target:port, do not look up addresses\n"
"  -j, --json                print JSON\n"
"  -b, --browse TYPE         list the DNS-SD instances of TYPE\n"
"                            (e.g. _http._tcp.example.test) with their\n"
"                            SRV target and TXT strings\n"
"  -h, --help                show this help\n"
"\n"
"Exit status: 0 found, 1 lookup failed, 2 usage error.\n";

static const struct option longopts[] = {
	{ "server", required_argument, NULL, 's' },
	{ "domain", required_argument, NULL, 'd' },
	{ "timeout", required_argument, NULL, 't' },
	{ "udp", no_argument, NULL, 'u' },
	{ "port", required_argument, NULL, 'p' },
	{ "no-fallback", no_argument, NULL, 'F' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "tcp", no_argument, NULL, 'T' },
	{ "one", no_argument, NULL, '1' },
	{ "names", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "browse", required_argument, NULL, 'b' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	char servers[4096];     /* csv for ares_set_servers_ports_csv() */
	int nservers;
	char domains[4096];
	double timeout;
	unsigned flags;
	unsigned long port;
	int tcp, one, json;
	const char *browse;
	const char *name;
};

static void
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	exit(EXIT_USAGE);
}

static int
append(char *buf, size_t cap, const char *item)
{
	size_t len = strlen(buf);
	int n = snprintf(buf + len, cap - len, "%s%s", len ? "," : "", item);

	return n < 0 || (size_t)n >= cap - len ? -1 : 0;
}

static unsigned long
parse_port(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 65535)
		usage_error("%s: not a port number", what);
	return v;
}

/* "ADDR[@PORT]" (also "A.B.C.D:PORT" and "[V6]:PORT") to c-ares' form. */
static void
add_server(struct opts *o, const char *arg)
{
	char addr[INET6_ADDRSTRLEN + 16], item[2 * INET6_ADDRSTRLEN + 32];
	unsigned char bin[16];
	unsigned long port = 53;
	const char *at = strchr(arg, '@');
	size_t alen = at ? (size_t)(at - arg) : strlen(arg);

	if (alen == 0 || alen >= sizeof(addr))
		usage_error("%s: not an IP address", arg);
	memcpy(addr, arg, alen);
	addr[alen] = '\0';
	if (at)
		port = parse_port(at + 1, arg);
	if (!at && addr[0] == '[') {
		/* [V6]:PORT */
		char *close = strchr(addr, ']');

		if (!close || (close[1] && close[1] != ':'))
			usage_error("%s: not an IP address", arg);
		if (close[1] == ':')
			port = parse_port(close + 2, arg);
		*close = '\0';
		memmove(addr, addr + 1, strlen(addr));
	} else if (!at && strchr(addr, ':') == strrchr(addr, ':') &&
	    strchr(addr, ':')) {
		/* A.B.C.D:PORT */
		char *colon = strchr(addr, ':');

		port = parse_port(colon + 1, arg);
		*colon = '\0';
	}
	if (inet_pton(AF_INET, addr, bin) == 1)
		snprintf(item, sizeof(item), "%s:%lu", addr, port);
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		snprintf(item, sizeof(item), "[%s]:%lu", addr, port);
	else
		usage_error("%s: not an IP address", arg);
	if (append(o->servers, sizeof(o->servers), item) < 0)
		usage_error("%s: too many servers", arg);
	o->nservers++;
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	int ch;
	char *end;

	memset(o, 0, sizeof(*o));
	o->timeout = 5;
	while ((ch = getopt_long(argc, argv, "s:d:t:up:F46T1njb:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			add_server(o, optarg);
			break;
		case 'd':
			if (append(o->domains, sizeof(o->domains), optarg) < 0)
				usage_error("%s: too many domains", optarg);
			break;
		case 't':
			errno = 0;
			o->timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->timeout > 0) ||
			    o->timeout > 3600)
				usage_error("%s: not a timeout in seconds "
				    "(0 < t <= 3600)", optarg);
			break;
		case 'u':
			o->flags |= DNSD_RESOLVE_UDP;
			break;
		case 'p':
			o->port = parse_port(optarg, optarg);
			break;
		case 'F':
			o->flags |= DNSD_RESOLVE_NO_FALLBACK;
			break;
		case '4':
			o->flags |= DNSD_RESOLVE_IPV4;
			break;
		case '6':
			o->flags |= DNSD_RESOLVE_IPV6;
			break;
		case 'T':
			o->tcp = 1;
			break;
		case '1':
			o->one = 1;
			break;
		case 'n':
			o->flags |= DNSD_RESOLVE_NAMES;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'b':
			o->browse = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			exit(EXIT_USAGE);
		}
	}
	if (o->browse) {
		if (optind != argc)
			usage_error("%s: --browse takes no SERVICE", argv[optind]);
		o->name = o->browse;
	} else {
		if (optind + 1 != argc)
			usage_error("%s", optind < argc ?
			    "exactly one SERVICE expected" : "SERVICE missing");
		o->name = argv[optind];
	}
}

/* ---- output ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* A JSON string; bytes that are not UTF-8 become \u00XX (Latin-1). */
static void
json_str(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	putchar('"');
	while (i < n) {
		unsigned c = p[i];

		if (c == '"' || c == '\\') {
			printf("\\%c", c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			printf("\\u%04x", c);
			i++;
		} else if ((k = utf8_len(p + i, n - i)) == 0) {
			printf("\\u%04x", c);
			i++;
		} else {
			fwrite(p + i, 1, k, stdout);
			i += k;
		}
	}
	putchar('"');
}

/* Text output: control characters and backslash as \DDD / \\. */
static void
text_str(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\%03u", c);
		else
			putchar(c);
	}
}

static void
print_endpoints(const struct opts *o, const struct dnsd_endpoints *e)
{
	size_t i, n = o->one ? 1 : e->n;
	char buf[INET6_ADDRSTRLEN + 16];

	if (!o->json) {
		for (i = 0; i < n; i++) {
			const struct dnsd_endpoint *ep = &e->v[i];

			if (ep->family == AF_UNSPEC) {
				text_str(ep->target, strlen(ep->target));
				if (ep->port)
					printf(":%u", (unsigned)ep->port);
				putchar('\n');
			} else {
				dnsd_endpoint_format(ep, buf, sizeof(buf));
				printf("%s\n", buf);
			}
		}
		return;
	}
	printf("{\"name\":");
	json_str(e->name, strlen(e->name));
	printf(",\"srv\":%s,\"endpoints\":[", e->srv ? "true" : "false");
	for (i = 0; i < n; i++) {
		const struct dnsd_endpoint *ep = &e->v[i];

		printf("%s{\"target\":", i ? "," : "");
		json_str(ep->target, strlen(ep->target));
		printf(",\"port\":%u,\"priority\":%u,\"weight\":%u",
		    (unsigned)ep->port, (unsigned)ep->priority,
		    (unsigned)ep->weight);
		if (ep->family != AF_UNSPEC) {
			inet_ntop(ep->family, ep->family == AF_INET ?
			    (const void *)&ep->addr.sin.sin_addr :
			    (const void *)&ep->addr.sin6.sin6_addr, buf,
			    sizeof(buf));
			printf(",\"family\":%d,\"address\":\"%s\"",
			    ep->family == AF_INET ? 4 : 6, buf);
		}
		putchar('}');
	}
	printf("]}\n");
}

static void
print_instances(const struct opts *o, const struct dnsd_instances *in)
{
	size_t i, j, n = o->one ? 1 : in->n;

	for (i = 0; i < n; i++) {
		const struct dnsd_instance *x = &in->v[i];

		if (o->json) {
			printf("%s", i ? "," : "{\"name\":");
			if (i == 0) {
				json_str(in->name, strlen(in->name));
				printf(",\"instances\":[");
			}
			printf("{\"instance\":");
			json_str(x->label, strlen(x->label));
			printf(",\"name\":");
			json_str(x->name, strlen(x->name));
			if (x->target) {
				printf(",\"target\":");
				json_str(x->target, strlen(x->target));
				printf(",\"port\":%u,\"priority\":%u,"
				    "\"weight\":%u", (unsigned)x->port,
				    (unsigned)x->priority,
				    (unsigned)x->weight);
			}
			printf(",\"txt\":[");
			for (j = 0; j < x->ntxt; j++) {
				if (j)
					putchar(',');
				json_str(x->txt[j].data, x->txt[j].len);
			}
			printf("]}");
			continue;
		}
		/* INSTANCE <TAB> target:port (or -) [<TAB> TXT string]... */
		text_str(x->label, strlen(x->label));
		putchar('\t');
		if (x->target) {
			text_str(x->target, strlen(x->target));
			printf(":%u", (unsigned)x->port);
		} else {
			putchar('-');
		}
		for (j = 0; j < x->ntxt; j++) {
			putchar('\t');
			text_str(x->txt[j].data, x->txt[j].len);
		}
		putchar('\n');
	}
	if (o->json)
		printf("]}\n");
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct dnsd_client_options co;
	struct dnsd_client *c = NULL;
	int rc, status = 0;

	parse_args(&o, argc, argv);

	memset(&co, 0, sizeof(co));
	co.servers = o.nservers ? o.servers : NULL;
	co.domains = o.domains[0] ? o.domains : NULL;
	co.timeout_ms = (int)(o.timeout * 1000);
	/* c-ares doubles the timeout on each round over the servers: two
	 * rounds of t/3 and 2t/3 fit in the overall limit */
	co.tries = 2;
	co.query_timeout_ms = co.timeout_ms / (3 * (o.nservers ? o.nservers : 1));
	if (co.query_timeout_ms < 50)
		co.query_timeout_ms = 50;
	co.flags = o.tcp ? DNSD_CLIENT_DNS_TCP : 0;

	rc = dnsd_client_new(&c, &co);
	if (rc) {
		fprintf(stderr, PROG ": %s\n", dnsd_client_strerror(rc));
		return rc == DNSD_CLIENT_ESERVERS ? EXIT_USAGE : EXIT_LOOKUP;
	}
	if (o.browse) {
		struct dnsd_instances *in = NULL;

		rc = dnsd_browse(c, o.name, o.flags, &in);
		if (rc == 0)
			print_instances(&o, in);
		dnsd_instances_free(in);
	} else {
		struct dnsd_endpoints *e = NULL;

		rc = dnsd_resolve(c, o.name, o.flags, (uint16_t)o.port, &e);
		if (rc == 0)
			print_endpoints(&o, e);
		dnsd_endpoints_free(e);
	}
	if (rc) {
		fprintf(stderr, PROG ": %s: %s\n", o.name,
		    dnsd_client_strerror(rc));
		status = rc == DNSD_CLIENT_EBADNAME ? EXIT_USAGE : EXIT_LOOKUP;
	}
	dnsd_client_free(c);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": write error: %s\n", strerror(errno));
		status = EXIT_LOOKUP;
	}
	return status;
}
