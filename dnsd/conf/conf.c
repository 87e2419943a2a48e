/* conf.c -- loading dnsd.conf: files, includes, zones and keys, and the final checks */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/internal.h"
#include "tsig/tsig.h"
#include "util/err.h"
#include "util/log.h"

/* ---- keys ---- */

/* key NAME { algorithm ALG; secret "BASE64"; ... } (internal.h) */
int
conf_stmt_key(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf *c = x->conf;
	const char *file = x->file;
	struct conf_key k = { 0 };
	int rc;
	if (s->nargs != 1 || !s->has_block)
		return conf_bad(file, s, "expects: key NAME { algorithm ALG; secret \"BASE64\"; }");
	if ((rc = conf_parse_name(file, s, s->args[0], k.name_wire)) != 0)
		return rc;
	if ((k.name = strdup(s->args[0])) == NULL)
		return -ENOMEM;
	struct conf_ctx kx = { .conf = c, .obj = &k, .file = file };
	rc = conf_settings_apply_block(&kx, CONF_KEY, s);
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

/* Add a TSIG key given on the command line (conf.h). */
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

/* Find a key by its wire name (conf.h). */
const struct conf_key *
conf_key_find(const struct conf *c, const uint8_t *name)
{
	for (size_t i = 0; i < c->nkeys; i++)
		if (wire_name_equal(c->keys[i].name_wire, name))
			return &c->keys[i];
	return NULL;
}

/* ---- zones ---- */

/* A new zone with default settings; NULL if `apex` is taken (or no memory). */
static struct conf_zone *
zone_new(struct conf *c, const char *name, const uint8_t *apex)
{
	for (size_t i = 0; i < c->nzones; i++)
		if (wire_name_equal(c->zones[i].apex, apex))
			return NULL;
	struct conf_zone z = { 0 };
	z.name = strdup(name);
	memcpy(z.apex, apex, wire_name_len(apex));
	z.journal_max = 0; /* see conf_stmt_zone */
	if (z.name == NULL || conf_push((void **)&c->zones, &c->nzones, sizeof(z), &z) != 0) {
		free(z.name);
		return NULL;
	}
	return &c->zones[c->nzones - 1];
}

/* zone NAME [{ ... }] (internal.h) */
int
conf_stmt_zone(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf *c = x->conf;
	const char *file = x->file;
	uint8_t apex[WIRE_NAME_MAX];
	int rc;
	if (s->nargs != 1)
		return conf_bad(file, s, "expects: zone NAME { ... }");
	if ((rc = conf_parse_name(file, s, s->args[0], apex)) != 0)
		return rc;
	struct conf_zone *z = zone_new(c, s->args[0], apex);
	if (z == NULL)
		return conf_bad(file, s, "zone defined twice");
	struct conf_ctx zx = { .conf = c, .obj = z, .file = file };
	rc = conf_settings_apply_block(&zx, CONF_ZONE, s);
	bool journal_set = false;
	for (size_t i = 0; i < s->nkids; i++)
		journal_set |= strcmp(s->kids[i].word, "journal-size") == 0;
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

/* ---- files ---- */

/* Give each top-level statement of a file its meaning. */
static int
interpret(struct conf *c, const char *file, const struct stmt *root)
{
	struct conf_ctx x = { .conf = c, .obj = c, .file = file };
	return conf_settings_apply_block(&x, CONF_TOP, root);
}

/* include "FILE" and keys-file "FILE" (internal.h) */
int
conf_stmt_include(const struct conf_ctx *x, const struct stmt *s)
{
	static int depth; /* configuration is read by one thread, at start-up */
	const char *file = x->file;
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
		rc = interpret(x->conf, path, &root);
	stmt_free(&root);
	depth--;
	return rc;
}

/* Defaults for every setting (conf.h). */
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

/* Read a configuration file (conf.h). */
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

/* Read a file of key statements only (conf.h). */
int
conf_load_keys(struct conf *c, const char *path)
{
	struct stmt root;
	struct conf_ctx x = { .conf = c, .obj = c, .file = path };
	int rc = conf_parse_file(path, &root);
	for (size_t i = 0; rc == 0 && i < root.nkids; i++) {
		if (strcmp(root.kids[i].word, "key") != 0)
			rc = conf_bad(path, &root.kids[i], "only key statements belong in a key file");
		else
			rc = conf_stmt_key(&x, &root.kids[i]);
	}
	stmt_free(&root);
	return rc;
}

/* Add a listen address from the command line (conf.h). */
int
conf_add_listen(struct conf *c, const char *spec)
{
	struct conf_addr a;
	if (conf_addr_parse(spec, 53, &a) != 0 || a.prefix != (a.family == AF_INET ? 32u : 128u))
		return DNSD_ECONF;
	return conf_push((void **)&c->listen, &c->nlisten, sizeof(a), &a);
}

/* Add a zone "origin[:file]" from the command line (conf.h). */
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

/* Add a zone per "<origin>.zone" file of a folder, in name order (conf.h). */
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

/* Fill in defaults and check the whole configuration (conf.h). */
/*
 * Each zone's consul-domain: the zone its Consul-style names go to, made
 * (with a generated SOA and NS) when no zone of that name is configured.
 * Two zones cannot share one.
 */
static int
consul_zones(struct conf *c)
{
	size_t n = c->nzones;
	for (size_t i = 0; i < n; i++) {
		struct conf_zone *z = &c->zones[i];
		if (!z->consul)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (c->zones[j].consul && wire_name_equal(c->zones[j].consul_apex, z->consul_apex)) {
				log_err("zone %s: consul-domain is already zone %s's", z->name,
				    c->zones[j].name);
				return DNSD_ECONF;
			}
		}
		bool known = false;
		for (size_t j = 0; j < c->nzones && !known; j++)
			known = wire_name_equal(c->zones[j].apex, z->consul_apex);
		if (known)
			continue;
		uint32_t limit = z->a_record_limit;
		char name[WIRE_NAME_MAX * 4 + 1];
		wire_name_to_str(z->consul_apex, name, sizeof(name));
		uint8_t apex[WIRE_NAME_MAX];
		memcpy(apex, z->consul_apex, wire_name_len(z->consul_apex));
		struct conf_zone *cz = zone_new(c, name, apex);
		if (cz == NULL)
			return -ENOMEM;
		cz->implicit = true;
		cz->a_record_limit = limit; /* answers there are drawn by it */
	}
	return 0;
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
	int rc = consul_zones(c);
	if (rc != 0)
		return rc;
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

/* Free the configuration (conf.h). */
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
