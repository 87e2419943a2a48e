/* settings.c -- the settings table: every dnsd.conf keyword, where it goes, how it is read */

/*
 * One row per keyword and level (the top of the file, or inside a zone or
 * key block): the keyword, its level, how its statement is read, and the
 * man page that documents it. A row reads its statement either with a
 * typed setter, which checks the arguments and fills one field of the
 * level's struct (STR, NUM with a num_rule giving unit and range, ACL), or
 * with a function (FN) for anything else: several values, side effects, a
 * block. Reading a statement is a lookup of (level, keyword) and the row.
 *
 * A new setting: a field in conf.h, a row below, an entry in its man page
 * (t_conf_doc.sh fails until the page has it). A new kind of block: a level
 * in internal.h (with its name and "unknown" message below, and TYPE_ for
 * its struct), a top-level FN row that reads the block's name and runs
 * conf_settings_apply_block on it, and the block's rows.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "conf/internal.h"
#include "util/err.h"
#include "util/log.h"

/* ---- values ---- */

static bool keyword_known(const char *word);

/* Files read for another reason than being configuration (an include, a
 * key file): their words are not echoed (see conf_bad). */
unsigned conf_quiet;

/* Log "file:line: keyword: msg" (internal.h). The first word is shown
 * only if it is a keyword, or comes from the configuration file itself:
 * an `include` of a file that is not configuration (a password file, a
 * key) must not copy a line of it into the log. */
int
conf_bad(const char *file, const struct stmt *s, const char *msg)
{
	if (conf_quiet > 0 && !keyword_known(s->word))
		log_err("%s:%u: %s (the line is not shown: not a keyword, in an included file)",
		    file, s->line, msg);
	else
		log_err("%s:%u: %s: %s", file, s->line, s->word, msg);
	return DNSD_ECONF;
}

/* The same with a format (internal.h). */
int
conf_badf(const char *file, const struct stmt *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return conf_bad(file, s, msg);
}

/* "file:line" of a statement (internal.h). */
char *
conf_where(const char *file, const struct stmt *s)
{
	char *w;
	return asprintf(&w, "%s:%u", file, s->line) < 0 ? NULL : w;
}

/* (internal.h) */
int
conf_want_args(const char *file, const struct stmt *s, size_t min, size_t max)
{
	if (s->nargs < min || s->nargs > max)
		return conf_bad(file, s,
		    min == max && min == 1 ? "needs one value" : "wrong number of values");
	return 0;
}

/* (internal.h) */
int
conf_parse_num(const char *file, const struct stmt *s, const char *v, enum conf_unit unit, uint64_t max,
    uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	uint64_t mult = 1;
	if (end != v && *end != '\0' && end[1] == '\0' && unit != U_NONE) {
		switch (unit == U_SIZE ? *end | 0x100 : *end) {
		case 'k' | 0x100: case 'K' | 0x100: mult = 1024; break;
		case 'm' | 0x100: case 'M' | 0x100: mult = 1024 * 1024; break;
		case 'g' | 0x100: case 'G' | 0x100: mult = 1024ULL * 1024 * 1024; break;
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 7 * 86400; break;
		default: return conf_bad(file, s, unit == U_SIZE ? "not a size (use k, M or G)"
		                                              : "not a duration (use s, m, h, d or w)");
		}
		end++;
	}
	if (errno != 0 || end == v || *end != '\0' || *v == '-' || x > max / mult)
		return conf_bad(file, s, "not a number in range");
	*out = x * mult;
	return 0;
}

/* Replace the string *out with the statement's one value. */
static int
store_str(const char *file, const struct stmt *s, char **out)
{
	int rc = conf_want_args(file, s, 1, 1);
	if (rc != 0)
		return rc;
	free(*out);
	*out = strdup(s->args[0]);
	return *out ? 0 : -ENOMEM;
}

/* Parse a domain name into lower-case wire form (internal.h). */
int
conf_parse_name(const char *file, const struct stmt *s, const char *v, uint8_t *out)
{
	size_t n = wire_name_from_str(v, out);
	if (n == 0)
		return conf_bad(file, s, "bad domain name");
	wire_name_lower(out, out, n);
	return 0;
}

/* ---- the table's row ---- */

/* The range of a number setting, and how it is stored. */
struct num_rule {
	enum conf_unit unit;
	uint64_t max;       /* larger: "not a number in range" */
	uint64_t min;       /* smaller, unless 0 and zero_off: the message `low` */
	bool zero_off;      /* 0 is allowed below min: it turns the feature off */
	const char *low;
	unsigned scale;     /* the field holds value * scale (0: 1) */
};

/* How a row reads its statement: a function, or a typed setter that
 * writes the field at `off` (of `size` bytes) of the level's struct. */
enum kind {
	K_FN,  /* fn(ctx, statement) */
	K_STR, /* char *: one value, replaces */
	K_NUM, /* uint16_t, uint32_t/unsigned or uint64_t: one value by num_rule */
	K_ACL, /* struct conf_acl: adds entries */
	K_BOOL, /* bool: yes/no, true/false, on/off */
};

struct setting {
	const char *name;       /* the keyword */
	enum conf_level level;  /* where it may appear */
	enum kind kind;
	int (*fn)(const struct conf_ctx *x, const struct stmt *s); /* K_FN */
	size_t off, size;       /* typed setters: the field in x->obj */
	const struct num_rule *num; /* K_NUM */
	const char *man;        /* the page that documents it, as "dnsd.conf(5)" */
};

/* ---- typed setters ---- */

static void *
field(const struct setting *row, const struct conf_ctx *x)
{
	return (char *)x->obj + row->off;
}

static int
set_num(const struct setting *row, const struct conf_ctx *x, const struct stmt *s)
{
	const struct num_rule *r = row->num;
	uint64_t v;
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc == 0)
		rc = conf_parse_num(x->file, s, s->args[0], r->unit, r->max, &v);
	if (rc != 0)
		return rc;
	if (v < r->min && !(v == 0 && r->zero_off))
		return conf_bad(x->file, s, r->low);
	v *= r->scale != 0 ? r->scale : 1;
	/* A rule wider than its field would be a bug in the table: refuse
	 * rather than cut the value. */
	if (row->size < 8 && v >> (8 * row->size) != 0)
		return conf_bad(x->file, s, "not a number in range");
	void *f = field(row, x);
	switch (row->size) {
	case 2: *(uint16_t *)f = (uint16_t)v; break;
	case 4: *(uint32_t *)f = (uint32_t)v; break;
	case 8: *(uint64_t *)f = v; break;
	default: return conf_bad(x->file, s, "not a number in range");
	}
	return 0;
}

static int
set_bool(const struct setting *row, const struct conf_ctx *x, const struct stmt *s)
{
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc != 0)
		return rc;
	const char *v = s->args[0];
	bool *f = field(row, x);
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0)
		*f = true;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "off") == 0)
		*f = false;
	else
		return conf_bad(x->file, s, "must be yes or no");
	return 0;
}

/* ---- settings that need a function ---- */

static int
set_listen(const struct conf_ctx *x, const struct stmt *s)
{
	for (size_t j = 0; j < s->nargs; j++)
		if (conf_add_listen(x->conf, s->args[j]) != 0)
			return conf_bad(x->file, s, "bad address (ADDR, ADDR@PORT or [V6]:PORT)");
	return 0;
}

static int
set_log_level(const struct conf_ctx *x, const struct stmt *s)
{
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc != 0)
		return rc;
	int level = log_level_parse(s->args[0]);
	if (level < 0)
		return conf_bad(x->file, s, "must be error, warning, info or debug");
	x->conf->log_level = level;
	return 0;
}

/* udp-coalesce MICROSECONDS [RATE] */
static int
set_udp_coalesce(const struct conf_ctx *x, const struct stmt *s)
{
	uint64_t v;
	int rc = conf_want_args(x->file, s, 1, 2);
	if (rc == 0 && (rc = conf_parse_num(x->file, s, s->args[0], U_NONE, 1000, &v)) == 0)
		x->conf->udp_coalesce_us = (unsigned)v;
	if (rc == 0 && s->nargs == 2 &&
	    (rc = conf_parse_num(x->file, s, s->args[1], U_NONE, 100000000, &v)) == 0) {
		if (v == 0)
			return conf_bad(x->file, s, "the rate must be at least 1 query per second");
		x->conf->udp_coalesce_rate = (unsigned)v;
	}
	return rc;
}

/* A path setting (internal.h). */
int
conf_set_path(const struct conf_ctx *x, const struct stmt *s, char **out)
{
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc != 0)
		return rc;
	char *p = conf_path_in(x->file, s->args[0]);
	if (p == NULL)
		return -ENOMEM;
	free(*out);
	*out = p;
	return 0;
}

static int
set_store(const struct conf_ctx *x, const struct stmt *s)
{
	return conf_set_path(x, s, &x->conf->store_dir);
}

static int
set_pid_file(const struct conf_ctx *x, const struct stmt *s)
{
	return conf_set_path(x, s, &x->conf->pid_file);
}

static int
set_zone_dir(const struct conf_ctx *x, const struct stmt *s)
{
	int rc = conf_set_path(x, s, &x->conf->zone_dir);
	return rc != 0 ? rc : conf_add_zone_dir(x->conf, x->conf->zone_dir);
}

static int
set_forward(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf *c = x->conf;
	for (size_t j = 0; j < s->nargs; j++) {
		struct conf_addr a;
		if (conf_addr_parse(s->args[j], 53, &a) != 0)
			return conf_bad(x->file, s, "bad address");
		int rc = conf_push((void **)&c->forward, &c->nforward, sizeof(a), &a);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A later forward-allow replaces an earlier one (dnsd.conf(5)). */
static int
set_forward_allow(const struct conf_ctx *x, const struct stmt *s)
{
	conf_acl_free(&x->conf->forward_allow);
	x->conf->forward_allow_set = true;
	return conf_acl_parse(x->file, s, &x->conf->forward_allow);
}

/* grant KEY|* (name|subdomain|wildcard|self-sub|zone) [NAME] [TYPE...] */
static int
set_grant(const struct conf_ctx *x, const struct stmt *s)
{
	const char *file = x->file;
	struct conf_zone *z = x->obj;
	struct conf_grant g = { 0 };
	size_t i = 0;
	if (s->nargs < 2)
		return conf_bad(file, s, "expects: grant KEY MATCH [NAME] [TYPE ...]");
	if (strcmp(s->args[0], "*") != 0 && (g.key = strdup(s->args[0])) == NULL)
		return -ENOMEM;
	i = 1;
	const char *m = s->args[i++];
	if (strcmp(m, "name") == 0)
		g.match = MATCH_NAME;
	else if (strcmp(m, "subdomain") == 0)
		g.match = MATCH_SUBDOMAIN;
	else if (strcmp(m, "wildcard") == 0)
		g.match = MATCH_WILDCARD;
	else if (strcmp(m, "self-sub") == 0 || strcmp(m, "selfsub") == 0)
		g.match = MATCH_SELF_SUB;
	else if (strcmp(m, "zone") == 0)
		g.match = MATCH_ZONE;
	else {
		free(g.key);
		return conf_bad(file, s, "match must be name, subdomain, wildcard, self-sub or zone");
	}
	if (g.match == MATCH_NAME || g.match == MATCH_SUBDOMAIN || g.match == MATCH_WILDCARD) {
		if (i == s->nargs || conf_parse_name(file, s, s->args[i++], g.name) != 0) {
			free(g.key);
			return conf_bad(file, s, "needs a name");
		}
	}
	for (; i < s->nargs; i++) {
		int t = 0;
		if (g.ntypes == 32) {
			free(g.key);
			return conf_bad(file, s, "too many types");
		}
		static const struct { const char *n; int t; } names[] = {
			{ "A", RR_A }, { "AAAA", RR_AAAA }, { "SRV", RR_SRV }, { "TXT", RR_TXT },
			{ "PTR", RR_PTR }, { "CNAME", RR_CNAME }, { "MX", RR_MX }, { "NS", RR_NS },
			{ "SOA", RR_SOA }, { "HINFO", RR_HINFO }, { "NAPTR", RR_NAPTR },
			{ "ANY", RR_ANY },
		};
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			if (strcasecmp(names[j].n, s->args[i]) == 0)
				t = names[j].t;
		if (t == 0 && strncasecmp(s->args[i], "TYPE", 4) == 0)
			t = atoi(s->args[i] + 4);
		if (t <= 0 || t > 65535) {
			free(g.key);
			return conf_bad(file, s, "unknown record type");
		}
		g.types[g.ntypes++] = (uint16_t)t;
	}
	if ((g.where = conf_where(file, s)) == NULL ||
	    conf_push((void **)&z->grants, &z->ngrants, sizeof(g), &g) != 0) {
		free(g.key);
		free(g.where);
		return -ENOMEM;
	}
	return 0;
}

/* consul-domain NAME: Consul-style names of this zone's services under NAME */
static int
set_consul_domain(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf_zone *z = x->obj;
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc == 0 && (rc = conf_parse_name(x->file, s, s->args[0], z->consul_apex)) == 0)
		z->consul = true;
	return rc;
}

/* http-listen ADDR[@PORT] ... (default port 8500, as Consul's) */
static int
set_http_listen(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf *c = x->conf;
	if (s->nargs == 0)
		return conf_bad(x->file, s, "needs an address (ADDR or ADDR@PORT)");
	for (size_t j = 0; j < s->nargs; j++) {
		struct conf_addr a;
		if (conf_addr_parse(s->args[j], 8500, &a) != 0 ||
		    a.prefix != (a.family == AF_INET ? 32u : 128u))
			return conf_bad(x->file, s, "bad address (ADDR or ADDR@PORT)");
		int rc = conf_push((void **)&c->http_listen, &c->nhttp_listen, sizeof(a), &a);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A later http-allow-read replaces the default (localhost) and any earlier one. */
static int
set_http_allow_read(const struct conf_ctx *x, const struct stmt *s)
{
	conf_acl_free(&x->conf->http_allow_read);
	x->conf->http_allow_read_set = true;
	return conf_acl_parse(x->file, s, &x->conf->http_allow_read);
}

/* services-dir DIR: relative to the file that names it. */
static int
set_services_dir(const struct conf_ctx *x, const struct stmt *s)
{
	return conf_set_path(x, s, &x->conf->services_dir);
}

/* notify ADDR[@PORT] ... [key NAME] */
static int
set_notify(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf_zone *z = x->obj;
	for (size_t j = 0; j < s->nargs; j++) {
		struct conf_addr a;
		if (strcmp(s->args[j], "key") == 0 && j + 1 < s->nargs) {
			free(z->notify_key);
			free(z->notify_where);
			z->notify_where = conf_where(x->file, s);
			if ((z->notify_key = strdup(s->args[++j])) == NULL || z->notify_where == NULL)
				return -ENOMEM;
			continue;
		}
		if (conf_addr_parse(s->args[j], 53, &a) != 0)
			return conf_bad(x->file, s, "bad address");
		int rc = conf_push((void **)&z->notify, &z->nnotify, sizeof(a), &a);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* tcp-client-limit N [V4PREFIX [V6PREFIX]] */
static int
set_tcp_client_limit(const struct conf_ctx *x, const struct stmt *s)
{
	uint64_t v;
	int rc = conf_want_args(x->file, s, 1, 3);
	if (rc == 0 && (rc = conf_parse_num(x->file, s, s->args[0], U_NONE, 1000000, &v)) == 0)
		x->conf->tcp_client_max = (unsigned)v;
	if (rc == 0 && s->nargs >= 2 && (rc = conf_parse_num(x->file, s, s->args[1], U_NONE, 32, &v)) == 0)
		x->conf->tcp_client_v4 = (unsigned)v;
	if (rc == 0 && s->nargs >= 3 &&
	    (rc = conf_parse_num(x->file, s, s->args[2], U_NONE, 128, &v)) == 0)
		x->conf->tcp_client_v6 = (unsigned)v;
	return rc;
}

/* allow-truncation yes|no (a key's) */
static int
set_allow_truncation(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf_key *k = x->obj;
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc != 0)
		return rc;
	if (strcmp(s->args[0], "yes") == 0)
		k->allow_truncation = true;
	else if (strcmp(s->args[0], "no") == 0)
		k->allow_truncation = false;
	else
		return conf_bad(x->file, s, "must be yes or no");
	return 0;
}

/* ---- the table ---- */

/* Numbers, by what they mean. */
static const struct num_rule secs = { U_TIME, UINT32_MAX, 0, false, NULL, 0 };
static const struct num_rule u32 = { U_NONE, UINT32_MAX, 0, false, NULL, 0 };
static const struct num_rule store_size = { U_SIZE, UINT64_MAX, 0, false, NULL, 0 };
static const struct num_rule answer_cache = { U_SIZE, 1ULL << 40, CONF_ANSWER_CACHE_MIN, true,
	"must be 0 (off) or at least 4k", 0 };
static const struct num_rule workers = { U_NONE, 256, 1, false, "must be 1 to 256", 0 };
static const struct num_rule edns_max = { U_NONE, 65535, 512, false, "must be at least 512", 0 };
static const struct num_rule tcp_idle = { U_TIME, 86400, 1, false, "must be at least 1 second",
	1000 /* the field is in ms */ };
static const struct num_rule tcp_max = { U_NONE, 1000000, 1, false, "must be at least 1", 0 };
static const struct num_rule check_max = { U_NONE, 1000000, 1, false, "must be at least 1", 0 };
static const struct num_rule check_conc = { U_NONE, 65536, 1, false, "must be 1 to 65536", 0 };
static const struct num_rule ms_secs = { U_TIME, 86400 * 7, 1, false, "must be at least 1 second",
	1000 /* the field is in ms */ };
static const struct num_rule count0 = { U_NONE, 1000000, 0, false, NULL, 0 };
static const struct num_rule count1 = { U_NONE, 1000000, 1, false, "must be at least 1", 0 };
static const struct num_rule queue_bytes = { U_SIZE, 1ULL << 40, 65536, false,
	"must be at least 64k", 0 };
static const struct num_rule percent = { U_NONE, 100, 1, false, "must be 1 to 100", 0 };
static const struct num_rule http_body = { U_SIZE, 64ULL << 20, 1024, false,
	"must be at least 1k", 0 };
static const struct num_rule http_conn = { U_NONE, 100000, 1, false, "must be at least 1", 0 };
static const struct num_rule cookie_rotation = { U_TIME, 365 * 86400, 60, false,
	"must be at least 1 minute", 0 };
static const struct num_rule rrl_size = { U_NONE, 1u << 28, 1024, false,
	"must be at least 1024", 0 };

/* Rows are written with these: LEVEL is TOP, ZONE, KEY or CLUSTER, and picks both
 * the level and the struct whose FIELD a typed setter fills. */
#define MAN "dnsd.conf(5)"
#define TYPE_TOP struct conf
#define TYPE_ZONE struct conf_zone
#define TYPE_KEY struct conf_key
#define TYPE_TOKEN struct conf_token
#define TYPE_CLUSTER struct conf_cluster
#define AT(LEVEL, FIELD) .level = CONF_##LEVEL, .off = offsetof(TYPE_##LEVEL, FIELD), \
	.size = sizeof(((TYPE_##LEVEL *)0)->FIELD)
#define FN(LEVEL, NAME, F) { .name = NAME, .level = CONF_##LEVEL, .kind = K_FN, .fn = F, .man = MAN }
#define STR(LEVEL, NAME, FIELD) { .name = NAME, AT(LEVEL, FIELD), .kind = K_STR, .man = MAN }
#define NUM(LEVEL, NAME, FIELD, RULE) \
	{ .name = NAME, AT(LEVEL, FIELD), .kind = K_NUM, .num = &RULE, .man = MAN }
#define ACL(LEVEL, NAME, FIELD) { .name = NAME, AT(LEVEL, FIELD), .kind = K_ACL, .man = MAN }
#define BOOL(LEVEL, NAME, FIELD) { .name = NAME, AT(LEVEL, FIELD), .kind = K_BOOL, .man = MAN }

/* Every keyword, one row per keyword and level, in the order of the man
 * page. A new setting is a new row here, a field in conf.h and an entry in
 * the page the row names; t_conf_doc.sh checks that the last two agree. */
static const struct setting table[] = {
	/* the top level */
	NUM(TOP, "answer-cache", answer_cache, answer_cache),
	NUM(TOP, "check-max", check_max, check_max),
	NUM(TOP, "check-max-concurrent", check_max_concurrent, check_conc),
	FN(TOP, "cluster", conf_stmt_cluster),
	NUM(TOP, "edns-max", edns_max, edns_max),
	NUM(TOP, "edns-buffer-size", edns_max, edns_max),
	NUM(TOP, "cookie-rotation", cookie_rotation, cookie_rotation),
	FN(TOP, "cookie-secret", conf_set_cookie_secret),
	FN(TOP, "forward", set_forward),
	FN(TOP, "forward-allow", set_forward_allow),
	ACL(TOP, "http-allow-anonymous", http_allow_anonymous),
	FN(TOP, "http-allow-read", set_http_allow_read),
	FN(TOP, "http-listen", set_http_listen),
	NUM(TOP, "http-max-body", http_max_body, http_body),
	NUM(TOP, "http-max-connections", http_max_connections, http_conn),
	NUM(TOP, "http-timeout", http_timeout_ms, tcp_idle),
	STR(TOP, "http-zone", http_zone),
	FN(TOP, "identity", conf_set_identity),
	FN(TOP, "include", conf_stmt_include),
	FN(TOP, "key", conf_stmt_key),
	FN(TOP, "keys-file", conf_stmt_include),
	FN(TOP, "listen", set_listen),
	FN(TOP, "log-level", set_log_level),
	FN(TOP, "nsid", conf_set_nsid),
	FN(TOP, "pid-file", set_pid_file),
	FN(TOP, "rate-limit", conf_set_rrl_rate),
	FN(TOP, "rate-limit-exempt", conf_set_rrl_exempt),
	NUM(TOP, "rate-limit-size", rrl_size, rrl_size),
	FN(TOP, "rate-limit-slip", conf_set_rrl_slip),
	FN(TOP, "require-cookie", conf_set_require_cookie),
	FN(TOP, "services-dir", set_services_dir),
	FN(TOP, "store", set_store),
	NUM(TOP, "store-high-water", store_high_water, percent),
	NUM(TOP, "store-size", store_size, store_size),
	FN(TOP, "tcp-client-limit", set_tcp_client_limit),
	NUM(TOP, "tcp-idle-timeout", tcp_idle_ms, tcp_idle),
	NUM(TOP, "tcp-max-connections", tcp_max, tcp_max),
	NUM(TOP, "tcp-message-timeout", tcp_msg_ms, ms_secs),
	NUM(TOP, "transfer-client-limit", xfr_client_max, count1),
	NUM(TOP, "transfer-max", xfr_max, count0),
	NUM(TOP, "transfer-send-timeout", xfr_send_ms, ms_secs),
	NUM(TOP, "transfer-snapshot-timeout", xfr_snapshot_ms, ms_secs),
	NUM(TOP, "transfer-timeout", xfr_timeout_ms, ms_secs),
	FN(TOP, "token", conf_stmt_token),
	FN(TOP, "udp-coalesce", set_udp_coalesce),
	NUM(TOP, "update-client-limit", update_client_max, count0),
	NUM(TOP, "update-queue", update_queue, count1),
	NUM(TOP, "update-queue-size", update_queue_bytes, queue_bytes),
	STR(TOP, "user", user),
	FN(TOP, "version", conf_set_version),
	NUM(TOP, "workers", workers, workers),
	FN(TOP, "zone", conf_stmt_zone),
	FN(TOP, "zone-dir", set_zone_dir),
	/* key NAME { ... } */
	STR(KEY, "algorithm", algorithm),
	FN(KEY, "allow-truncation", set_allow_truncation),
	STR(KEY, "secret", secret),
	NUM(KEY, "min-lease", min_lease, secs),
	NUM(KEY, "max-lease", max_lease, secs),
	NUM(KEY, "max-records", max_records, u32),
	/* token NAME { ... } */
	STR(TOKEN, "key", key),
	STR(TOKEN, "secret", secret),
	/* zone NAME { ... } */
	NUM(ZONE, "a-record-limit", a_record_limit, u32),
	ACL(ZONE, "allow-transfer", allow_transfer),
	ACL(ZONE, "allow-update-unsigned", allow_update_unsigned),
	FN(ZONE, "consul-domain", set_consul_domain),
	NUM(ZONE, "consul-ttl", consul_ttl, secs),
	NUM(ZONE, "default-lease", default_lease, secs),
	STR(ZONE, "file", file),
	FN(ZONE, "grant", set_grant),
	NUM(ZONE, "journal-size", journal_max, u32),
	NUM(ZONE, "min-lease", min_lease, secs),
	NUM(ZONE, "max-lease", max_lease, secs),
	FN(ZONE, "notify", set_notify),
	BOOL(ZONE, "only-passing", only_passing),
	/* cluster { ... } */
	FN(CLUSTER, "ca-file", conf_set_ca_file),
	FN(CLUSTER, "cert-file", conf_set_cert_file),
	FN(CLUSTER, "etcd", conf_set_etcd),
	FN(CLUSTER, "key-file", conf_set_key_file),
	STR(CLUSTER, "node", node),
	STR(CLUSTER, "password", password),
	STR(CLUSTER, "prefix", prefix),
	STR(CLUSTER, "user", user),
};

static bool
keyword_known(const char *word)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, word) == 0)
			return true;
	return false;
}

/* The level names of conf_settings_foreach: a block's is its keyword. */
static const char *const level_name[CONF_NLEVELS] = {
	[CONF_TOP] = "top", [CONF_ZONE] = "zone", [CONF_KEY] = "key", [CONF_TOKEN] = "token",
	[CONF_CLUSTER] = "cluster",
};

/* ---- reading a statement ---- */

/* Look a statement up in the table and run its row (internal.h). */
int
conf_settings_apply(const struct conf_ctx *x, enum conf_level level, const struct stmt *s)
{
	static const char *const unknown[CONF_NLEVELS] = {
		[CONF_TOP] = "unknown setting",
		[CONF_ZONE] = "unknown zone setting",
		[CONF_KEY] = "unknown key setting",
		[CONF_TOKEN] = "unknown token setting",
		[CONF_CLUSTER] = "unknown cluster setting",
	};
	const struct setting *row = NULL;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]) && row == NULL; i++)
		if (table[i].level == level && strcmp(table[i].name, s->word) == 0)
			row = &table[i];
	if (row == NULL)
		return conf_bad(x->file, s, unknown[level]);
	switch (row->kind) {
	case K_FN:
		return row->fn(x, s);
	case K_STR:
		return store_str(x->file, s, field(row, x));
	case K_NUM:
		return set_num(row, x, s);
	case K_ACL:
		return conf_acl_parse(x->file, s, field(row, x));
	case K_BOOL:
		return set_bool(row, x, s);
	}
	return DNSD_ECONF;
}

/* Run each statement of a block through the table (internal.h). */
int
conf_settings_apply_block(const struct conf_ctx *x, enum conf_level level, const struct stmt *s)
{
	int rc = 0;
	for (size_t i = 0; i < s->nkids && rc == 0; i++)
		rc = conf_settings_apply(x, level, &s->kids[i]);
	return rc;
}

/* Walk the table for tools and tests (conf.h). */
int
conf_settings_foreach(
    int (*fn)(const char *keyword, const char *level, const char *man, void *arg), void *arg)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int rc = fn(table[i].name, level_name[table[i].level], table[i].man, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}
