/* conf.c -- parse dnsd.conf and the command-line zone/listen specs */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/internal.h"
#include "tsig/tsig.h"
#include "util/err.h"
#include "util/log.h"

/* ---- values ---- */

/* Log "file:line: keyword: msg" (internal.h). */
int
conf_bad(const char *file, const struct stmt *s, const char *msg)
{
	log_err("%s:%u: %s: %s", file, s->line, s->word, msg);
	return DNSD_ECONF;
}

static int
want_args(const char *file, const struct stmt *s, size_t min, size_t max)
{
	if (s->nargs < min || s->nargs > max)
		return conf_bad(file, s, min == max && min == 1 ? "needs one value" : "wrong number of values");
	return 0;
}

/* What a number means: plain, a size (k, M, G) or a duration (s, m, h, d, w). */
enum unit { U_NONE, U_SIZE, U_TIME };

static int
parse_num(const char *file, const struct stmt *s, const char *v, enum unit unit, uint64_t max,
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

static int
parse_uint(const char *file, const struct stmt *s, const char *v, uint64_t max, uint64_t *out)
{
	return parse_num(file, s, v, U_NONE, max, out);
}

/* A duration in seconds (leases). */
static int
set_secs(const char *file, const struct stmt *s, uint32_t *out)
{
	uint64_t v;
	int rc = want_args(file, s, 1, 1);
	if (rc == 0 && (rc = parse_num(file, s, s->args[0], U_TIME, UINT32_MAX, &v)) == 0)
		*out = (uint32_t)v;
	return rc;
}

static int
set_u32(const char *file, const struct stmt *s, uint32_t *out)
{
	uint64_t v;
	int rc = want_args(file, s, 1, 1);
	if (rc == 0 && (rc = parse_uint(file, s, s->args[0], UINT32_MAX, &v)) == 0)
		*out = (uint32_t)v;
	return rc;
}

static int
set_str(const char *file, const struct stmt *s, char **out)
{
	int rc = want_args(file, s, 1, 1);
	if (rc != 0)
		return rc;
	free(*out);
	*out = strdup(s->args[0]);
	return *out ? 0 : -ENOMEM;
}

static int
parse_name(const char *file, const struct stmt *s, const char *v, uint8_t *out)
{
	size_t n = wire_name_from_str(v, out);
	if (n == 0)
		return conf_bad(file, s, "bad domain name");
	wire_name_lower(out, out, n);
	return 0;
}

/* ---- keys ---- */

static int
do_key(struct conf *c, const char *file, const struct stmt *s)
{
	struct conf_key k = { 0 };
	int rc;
	if (s->nargs != 1 || !s->has_block)
		return conf_bad(file, s, "expects: key NAME { algorithm ALG; secret \"BASE64\"; }");
	if ((rc = parse_name(file, s, s->args[0], k.name_wire)) != 0)
		return rc;
	k.name = strdup(s->args[0]);
	for (size_t i = 0; i < s->nkids && rc == 0; i++) {
		const struct stmt *kid = &s->kids[i];
		if (strcmp(kid->word, "algorithm") == 0)
			rc = set_str(file, kid, &k.algorithm);
		else if (strcmp(kid->word, "secret") == 0)
			rc = set_str(file, kid, &k.secret);
		else if (strcmp(kid->word, "min-lease") == 0)
			rc = set_secs(file, kid, &k.min_lease);
		else if (strcmp(kid->word, "max-lease") == 0)
			rc = set_secs(file, kid, &k.max_lease);
		else if (strcmp(kid->word, "max-records") == 0)
			rc = set_u32(file, kid, &k.max_records);
		else
			rc = conf_bad(file, kid, "unknown key setting");
	}
	if (rc == 0 && (k.algorithm == NULL || k.secret == NULL))
		rc = conf_bad(file, s, "needs both algorithm and secret");
	if (rc == 0 && conf_key_find(c, k.name_wire) != NULL)
		rc = conf_bad(file, s, "key defined twice");
	if (rc == 0)
		rc = conf_push((void **)&c->keys, &c->nkeys, sizeof(k), &k);
	if (rc != 0) {
		free(k.name);
		free(k.algorithm);
		free(k.secret);
	}
	return rc;
}

int
conf_add_key(struct conf *c, const char *name, const char *alg, const char *secret)
{
	struct conf_key k = { 0 };
	if (wire_name_from_str(name, k.name_wire) == 0) {
		log_err("key %s: bad key name", name);
		return DNSD_ECONF;
	}
	wire_name_lower(k.name_wire, k.name_wire, wire_name_len(k.name_wire));
	if (conf_key_find(c, k.name_wire) != NULL) {
		log_err("key %s: defined twice", name);
		return DNSD_ECONF;
	}
	k.name = strdup(name);
	k.algorithm = strdup(alg);
	k.secret = strdup(secret);
	if (k.name == NULL || k.algorithm == NULL || k.secret == NULL ||
	    conf_push((void **)&c->keys, &c->nkeys, sizeof(k), &k) != 0) {
		free(k.name);
		free(k.algorithm);
		free(k.secret);
		return -ENOMEM;
	}
	return 0;
}

const struct conf_key *
conf_key_find(const struct conf *c, const uint8_t *name)
{
	for (size_t i = 0; i < c->nkeys; i++)
		if (wire_name_equal(c->keys[i].name_wire, name))
			return &c->keys[i];
	return NULL;
}

/* ---- zones ---- */

static struct conf_zone *
zone_new(struct conf *c, const char *name, const uint8_t *apex)
{
	for (size_t i = 0; i < c->nzones; i++)
		if (wire_name_equal(c->zones[i].apex, apex))
			return NULL;
	struct conf_zone z = { 0 };
	z.name = strdup(name);
	memcpy(z.apex, apex, wire_name_len(apex));
	z.journal_max = 0; /* see do_zone */
	if (z.name == NULL || conf_push((void **)&c->zones, &c->nzones, sizeof(z), &z) != 0) {
		free(z.name);
		return NULL;
	}
	return &c->zones[c->nzones - 1];
}

static int
parse_grant(const char *file, const struct stmt *s, struct conf_zone *z)
{
	/* grant KEY|* (name|subdomain|wildcard|self-sub|zone) [NAME] [TYPE...] */
	struct conf_grant g = { 0 };
	size_t i = 0;
	if (s->nargs < 2)
		return conf_bad(file, s, "expects: grant KEY MATCH [NAME] [TYPE ...]");
	if (strcmp(s->args[0], "*") != 0)
		g.key = strdup(s->args[i]);
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
		if (i == s->nargs || parse_name(file, s, s->args[i++], g.name) != 0) {
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
	if (conf_push((void **)&z->grants, &z->ngrants, sizeof(g), &g) != 0) {
		free(g.key);
		return -ENOMEM;
	}
	return 0;
}

static int
do_zone(struct conf *c, const char *file, const struct stmt *s)
{
	uint8_t apex[WIRE_NAME_MAX];
	int rc;
	if (s->nargs != 1)
		return conf_bad(file, s, "expects: zone NAME { ... }");
	if ((rc = parse_name(file, s, s->args[0], apex)) != 0)
		return rc;
	struct conf_zone *z = zone_new(c, s->args[0], apex);
	bool journal_set = false;
	if (z == NULL)
		return conf_bad(file, s, "zone defined twice");
	for (size_t i = 0; i < s->nkids && rc == 0; i++) {
		const struct stmt *k = &s->kids[i];
		if (strcmp(k->word, "file") == 0)
			rc = set_str(file, k, &z->file);
		else if (strcmp(k->word, "default-lease") == 0)
			rc = set_secs(file, k, &z->default_lease);
		else if (strcmp(k->word, "min-lease") == 0)
			rc = set_secs(file, k, &z->min_lease);
		else if (strcmp(k->word, "max-lease") == 0)
			rc = set_secs(file, k, &z->max_lease);
		else if (strcmp(k->word, "allow-update-unsigned") == 0)
			rc = conf_acl_parse(file, k, &z->allow_update_unsigned);
		else if (strcmp(k->word, "grant") == 0)
			rc = parse_grant(file, k, z);
		else if (strcmp(k->word, "allow-transfer") == 0)
			rc = conf_acl_parse(file, k, &z->allow_transfer);
		else if (strcmp(k->word, "notify") == 0) {
			for (size_t j = 0; j < k->nargs && rc == 0; j++) {
				struct conf_addr a;
				if (strcmp(k->args[j], "key") == 0 && j + 1 < k->nargs) {
					free(z->notify_key);
					z->notify_key = strdup(k->args[++j]);
					continue;
				}
				if (conf_addr_parse(k->args[j], 53, &a) != 0)
					rc = conf_bad(file, k, "bad address");
				else
					rc = conf_push((void **)&z->notify, &z->nnotify, sizeof(a), &a);
			}
		} else if (strcmp(k->word, "journal-size") == 0) {
			rc = set_u32(file, k, &z->journal_max);
			journal_set = true;
		} else
			rc = conf_bad(file, k, "unknown zone setting");
	}
	if (rc == 0 && z->file != NULL && z->file[0] != '/' && strchr(file, '/') != NULL) {
		/* A relative zone file is relative to the configuration file. */
		const char *slash = strrchr(file, '/');
		size_t dl = (size_t)(slash - file + 1);
		char *p = malloc(dl + strlen(z->file) + 1);
		if (p == NULL)
			return -ENOMEM;
		memcpy(p, file, dl);
		strcpy(p + dl, z->file);
		free(z->file);
		z->file = p;
	}
	if (rc == 0 && z->max_lease != 0 && z->min_lease > z->max_lease)
		rc = conf_bad(file, s, "min-lease is above max-lease");
	/* The journal serves IXFR: by default a zone keeps one only if someone
	 * may transfer it. (Each commit's entry costs it a few page writes.) */
	if (rc == 0 && !journal_set &&
	    (z->allow_transfer.naddrs > 0 || z->allow_transfer.nkeys > 0))
		z->journal_max = CONF_JOURNAL_DEFAULT;
	return rc;
}

static int
interpret(struct conf *c, const char *file, const struct stmt *root);

static int
do_include(struct conf *c, const char *file, const struct stmt *s)
{
	static int depth; /* configuration is read by one thread, at start-up */
	if (s->nargs != 1)
		return conf_bad(file, s, "expects: include \"FILE\"");
	if (depth >= 8)
		return conf_bad(file, s, "included too deeply (a loop?)");
	char path[4096];
	const char *inc = s->args[0];
	const char *slash = strrchr(file, '/');
	if (inc[0] != '/' && slash != NULL)
		snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - file), file, inc);
	else
		snprintf(path, sizeof(path), "%s", inc);
	struct stmt root;
	depth++;
	int rc = conf_parse_file(path, &root);
	if (rc == 0)
		rc = interpret(c, path, &root);
	stmt_free(&root);
	depth--;
	return rc;
}

static int
interpret(struct conf *c, const char *file, const struct stmt *root)
{
	int rc = 0;
	for (size_t i = 0; i < root->nkids && rc == 0; i++) {
		const struct stmt *s = &root->kids[i];
		const char *w = s->word;
		uint64_t v;
		if (strcmp(w, "listen") == 0) {
			for (size_t j = 0; j < s->nargs && rc == 0; j++)
				if (conf_add_listen(c, s->args[j]) != 0)
					rc = conf_bad(file, s, "bad address (ADDR, ADDR@PORT or [V6]:PORT)");
		} else if (strcmp(w, "store") == 0) {
			rc = set_str(file, s, &c->store_dir);
		} else if (strcmp(w, "store-size") == 0) {
			if ((rc = want_args(file, s, 1, 1)) == 0 &&
			    (rc = parse_num(file, s, s->args[0], U_SIZE, UINT64_MAX, &v)) == 0)
				c->store_size = v;
		} else if (strcmp(w, "workers") == 0) {
			if ((rc = want_args(file, s, 1, 1)) == 0 &&
			    (rc = parse_uint(file, s, s->args[0], 256, &v)) == 0) {
				if (v == 0)
					rc = conf_bad(file, s, "must be 1 to 256");
				c->workers = (unsigned)v;
			}
		} else if (strcmp(w, "log-level") == 0) {
			if ((rc = want_args(file, s, 1, 1)) == 0 &&
			    (c->log_level = log_level_parse(s->args[0])) < 0)
				rc = conf_bad(file, s, "must be error, warning, info or debug");
		} else if (strcmp(w, "edns-max") == 0 || strcmp(w, "edns-buffer-size") == 0) {
			if ((rc = want_args(file, s, 1, 1)) == 0 &&
			    (rc = parse_uint(file, s, s->args[0], 65535, &v)) == 0) {
				if (v < 512)
					rc = conf_bad(file, s, "must be at least 512");
				c->edns_max = (uint16_t)v;
			}
		} else if (strcmp(w, "tcp-idle-timeout") == 0) {
			if ((rc = want_args(file, s, 1, 1)) == 0 &&
			    (rc = parse_num(file, s, s->args[0], U_TIME, 86400, &v)) == 0) {
				if (v == 0)
					rc = conf_bad(file, s, "must be at least 1 second");
				c->tcp_idle_ms = (unsigned)v * 1000;
			}
		} else if (strcmp(w, "tcp-max-connections") == 0) {
			if ((rc = want_args(file, s, 1, 1)) == 0 &&
			    (rc = parse_uint(file, s, s->args[0], 1000000, &v)) == 0) {
				if (v == 0)
					rc = conf_bad(file, s, "must be at least 1");
				c->tcp_max = (unsigned)v;
			}
		} else if (strcmp(w, "udp-coalesce") == 0) {
			if ((rc = want_args(file, s, 1, 2)) == 0 &&
			    (rc = parse_uint(file, s, s->args[0], 1000, &v)) == 0)
				c->udp_coalesce_us = (unsigned)v;
			if (rc == 0 && s->nargs == 2 &&
			    (rc = parse_uint(file, s, s->args[1], 100000000, &v)) == 0) {
				if (v == 0)
					rc = conf_bad(file, s, "the rate must be at least 1 query per second");
				c->udp_coalesce_rate = (unsigned)v;
			}
		} else if (strcmp(w, "answer-cache") == 0) {
			if ((rc = want_args(file, s, 1, 1)) == 0 &&
			    (rc = parse_num(file, s, s->args[0], U_SIZE, 1ULL << 40, &v)) == 0) {
				if (v != 0 && v < CONF_ANSWER_CACHE_MIN)
					rc = conf_bad(file, s, "must be 0 (off) or at least 4k");
				c->answer_cache = v;
			}
		} else if (strcmp(w, "zone-dir") == 0) {
			if ((rc = set_str(file, s, &c->zone_dir)) == 0)
				rc = conf_add_zone_dir(c, c->zone_dir);
		} else if (strcmp(w, "zone") == 0) {
			rc = do_zone(c, file, s);
		} else if (strcmp(w, "key") == 0) {
			rc = do_key(c, file, s);
		} else if (strcmp(w, "include") == 0 || strcmp(w, "keys-file") == 0) {
			rc = do_include(c, file, s);
		} else if (strcmp(w, "forward") == 0) {
			for (size_t j = 0; j < s->nargs && rc == 0; j++) {
				struct conf_addr a;
				if (conf_addr_parse(s->args[j], 53, &a) != 0)
					rc = conf_bad(file, s, "bad address");
				else
					rc = conf_push((void **)&c->forward, &c->nforward, sizeof(a), &a);
			}
		} else if (strcmp(w, "forward-allow") == 0) {
			conf_acl_free(&c->forward_allow);
			c->forward_allow_set = true;
			rc = conf_acl_parse(file, s, &c->forward_allow);
		} else if (strcmp(w, "user") == 0) {
			rc = set_str(file, s, &c->user);
		} else {
			rc = conf_bad(file, s, "unknown setting");
		}
	}
	return rc;
}

void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->log_level = LOG_LVL_INFO;
	c->edns_max = 1232;
	c->tcp_idle_ms = 10000;
	c->tcp_max = 512;
	c->udp_coalesce_us = 50;
	c->udp_coalesce_rate = 100000;
	c->answer_cache = CONF_ANSWER_CACHE_DEFAULT;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = n > 0 ? (unsigned)n : 1;
}

int
conf_load(struct conf *c, const char *path)
{
	struct stmt root;
	free(c->path);
	c->path = strdup(path);
	int rc = conf_parse_file(path, &root);
	if (rc == 0)
		rc = interpret(c, path, &root);
	stmt_free(&root);
	return rc;
}

int
conf_load_keys(struct conf *c, const char *path)
{
	struct stmt root;
	int rc = conf_parse_file(path, &root);
	for (size_t i = 0; rc == 0 && i < root.nkids; i++) {
		if (strcmp(root.kids[i].word, "key") != 0)
			rc = conf_bad(path, &root.kids[i], "only key statements belong in a key file");
		else
			rc = do_key(c, path, &root.kids[i]);
	}
	stmt_free(&root);
	return rc;
}

int
conf_add_listen(struct conf *c, const char *spec)
{
	struct conf_addr a;
	if (conf_addr_parse(spec, 53, &a) != 0 || a.prefix != (a.family == AF_INET ? 32u : 128u))
		return DNSD_ECONF;
	return conf_push((void **)&c->listen, &c->nlisten, sizeof(a), &a);
}

int
conf_add_zone(struct conf *c, const char *spec)
{
	char name[1024];
	const char *colon = strchr(spec, ':');
	size_t nl = colon ? (size_t)(colon - spec) : strlen(spec);
	uint8_t apex[WIRE_NAME_MAX];
	if (nl >= sizeof(name))
		return DNSD_ECONF;
	memcpy(name, spec, nl);
	name[nl] = '\0';
	size_t n = wire_name_from_str(name, apex);
	if (n == 0) {
		log_err("%s: bad zone name", name);
		return DNSD_ECONF;
	}
	wire_name_lower(apex, apex, n);
	struct conf_zone *z = zone_new(c, name, apex);
	if (z == NULL) {
		log_err("%s: zone given twice", name);
		return DNSD_ECONF;
	}
	if (colon != NULL && colon[1] != '\0' && (z->file = strdup(colon + 1)) == NULL)
		return -ENOMEM;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
conf_add_zone_dir(struct conf *c, const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		log_err("%s: %s", dir, strerror(errno));
		return DNSD_ECONF;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l <= 5 || strcmp(e->d_name + l - 5, ".zone") != 0 || e->d_name[0] == '.')
			continue;
		char *copy = strdup(e->d_name);
		if (copy == NULL || conf_push((void **)&names, &n, sizeof(copy), &copy) != 0) {
			free(copy);
			rc = -ENOMEM;
			break;
		}
	}
	closedir(d);
	if (n > 1) /* no names, no array: qsort(NULL) is undefined */
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		char spec[4096];
		if (rc == 0) {
			snprintf(spec, sizeof(spec), "%.*s:%s/%s", (int)(strlen(names[i]) - 5), names[i],
			    dir, names[i]);
			rc = conf_add_zone(c, spec);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* A path relative to the directory dnsd was started in, made absolute so
 * it still means the same after dnsd goes to the background. Frees `p`. */
static char *
absolute(char *p)
{
	char cwd[4096];
	if (p == NULL || p[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return p;
	char *a = malloc(strlen(cwd) + strlen(p) + 2);
	if (a != NULL)
		sprintf(a, "%s/%s", cwd, p);
	free(p);
	return a;
}

static bool
acl_keys_known(const struct conf *c, const struct conf_acl *acl, const char *zone)
{
	for (size_t i = 0; i < acl->nkeys; i++) {
		uint8_t kn[WIRE_NAME_MAX];
		if (wire_name_from_str(acl->keys[i], kn) == 0 || conf_key_find(c, kn) == NULL) {
			log_err("zone %s: access list names unknown key %s", zone, acl->keys[i]);
			return false;
		}
	}
	return true;
}

int
conf_finish(struct conf *c)
{
	if (c->nlisten == 0 && conf_add_listen(c, "127.0.0.1@53") != 0)
		return -ENOMEM;
	if (c->store_dir == NULL && (c->store_dir = strdup("/var/lib/dnsd")) == NULL)
		return -ENOMEM;
	if (c->nzones == 0) {
		log_err("no zones configured (use a zone statement, -z or --zone-dir)");
		return DNSD_ECONF;
	}
	if (c->forward_allow.nkeys > 0) {
		log_err("forward-allow takes addresses and networks, not keys");
		return DNSD_ECONF;
	}
	if (!c->forward_allow_set) {
		struct stmt s = { .word = "forward-allow", .nargs = 1, .args = (char *[]){ "localhost" } };
		conf_acl_parse("default", &s, &c->forward_allow);
	}
	for (size_t i = 0; i < c->nkeys; i++) {
		const struct conf_key *k = &c->keys[i];
		struct tsig_key tk;
		if (tsig_key_init(&tk, k->name, k->algorithm, k->secret) != 0) {
			log_err("key %s: unknown algorithm %s or secret not valid base64", k->name,
			    k->algorithm);
			return DNSD_ECONF;
		}
		memset(&tk, 0, sizeof(tk));
		if (k->max_lease != 0 && k->min_lease > k->max_lease) {
			log_err("key %s: min-lease is above max-lease", k->name);
			return DNSD_ECONF;
		}
	}
	if ((c->store_dir = absolute(c->store_dir)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->nzones; i++) {
		struct conf_zone *z = &c->zones[i];
		if (z->file != NULL && (z->file = absolute(z->file)) == NULL)
			return -ENOMEM;
		if (!acl_keys_known(c, &z->allow_transfer, z->name) ||
		    !acl_keys_known(c, &z->allow_update_unsigned, z->name))
			return DNSD_ECONF;
		if (z->notify_key != NULL) {
			uint8_t kn[WIRE_NAME_MAX];
			if (wire_name_from_str(z->notify_key, kn) == 0 || conf_key_find(c, kn) == NULL) {
				log_err("zone %s: notify names unknown key %s", z->name, z->notify_key);
				return DNSD_ECONF;
			}
		}
		if (z->file != NULL && access(z->file, R_OK) != 0) {
			log_err("zone %s: cannot read %s: %s", z->name, z->file, strerror(errno));
			return DNSD_ECONF;
		}
		for (size_t g = 0; g < z->ngrants; g++) {
			if (z->grants[g].key == NULL)
				continue;
			uint8_t kn[WIRE_NAME_MAX];
			if (wire_name_from_str(z->grants[g].key, kn) == 0 || conf_key_find(c, kn) == NULL) {
				log_err("zone %s: grant names unknown key %s", z->name, z->grants[g].key);
				return DNSD_ECONF;
			}
		}
	}
	return 0;
}

void
conf_free(struct conf *c)
{
	free(c->path);
	free(c->listen);
	free(c->store_dir);
	free(c->zone_dir);
	free(c->user);
	for (size_t i = 0; i < c->nzones; i++) {
		struct conf_zone *z = &c->zones[i];
		free(z->name);
		free(z->file);
		conf_acl_free(&z->allow_update_unsigned);
		conf_acl_free(&z->allow_transfer);
		for (size_t g = 0; g < z->ngrants; g++)
			free(z->grants[g].key);
		free(z->grants);
		free(z->notify);
		free(z->notify_key);
	}
	free(c->zones);
	for (size_t i = 0; i < c->nkeys; i++) {
		free(c->keys[i].name);
		free(c->keys[i].algorithm);
		free(c->keys[i].secret);
	}
	free(c->keys);
	free(c->forward);
	conf_acl_free(&c->forward_allow);
	memset(c, 0, sizeof(*c));
}
