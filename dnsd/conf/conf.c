/* conf.c -- loading dnsd.conf: files, includes, zones and keys, and the final checks */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/internal.h"
#include "tsig/tsig.h"
#include "util/err.h"
#include "util/log.h"

/* ---- keys ---- */

/* Can `alg` and `secret` make a TSIG key? NULL if so, else why not in
 * words. */
static const char *
key_problem(const char *name, const char *alg, const char *secret)
{
	struct tsig_key tk;
	if (tsig_alg_from_str(alg) == 0)
		return "unknown algorithm (hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, "
		       "hmac-sha384 or hmac-sha512)";
	int rc = tsig_key_init(&tk, name, alg, secret);
	explicit_bzero(&tk, sizeof(tk));
	if (rc != 0)
		return "the secret is not valid base64, or longer than 256 bytes once decoded";
	return NULL;
}

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
	const char *why;
	if (rc == 0 && (k.algorithm == NULL || k.secret == NULL))
		rc = conf_bad(file, s, "needs both algorithm and secret");
	if (rc == 0 && (why = key_problem(k.name, k.algorithm, k.secret)) != NULL)
		rc = conf_badf(file, s, "%s: %s", k.name, why);
	if (rc == 0 && k.max_lease != 0 && k.min_lease > k.max_lease)
		rc = conf_badf(file, s, "%s: min-lease is above max-lease", k.name);
	if (rc == 0 && conf_key_find(c, k.name_wire) != NULL)
		rc = conf_bad(file, s, "key defined twice");
	if (rc == 0 && (k.where = conf_where(file, s)) == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		rc = conf_push((void **)&c->keys, &c->nkeys, sizeof(k), &k);
	if (rc != 0) {
		free(k.name);
		free(k.algorithm);
		free(k.secret);
		free(k.where);
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
		log_err("-y %s: key defined twice", name);
		return DNSD_ECONF;
	}
	const char *why = key_problem(name, alg, secret);
	if (why != NULL) {
		log_err("-y %s: %s", name, why);
		return DNSD_ECONF;
	}
	k.name = strdup(name);
	k.algorithm = strdup(alg);
	k.secret = strdup(secret);
	if (asprintf(&k.where, "-y %s", name) < 0)
		k.where = NULL;
	if (k.name == NULL || k.algorithm == NULL || k.secret == NULL || k.where == NULL ||
	    conf_push((void **)&c->keys, &c->nkeys, sizeof(k), &k) != 0) {
		free(k.name);
		free(k.algorithm);
		free(k.secret);
		free(k.where);
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

/* ---- HTTP tokens ---- */

/* token NAME { secret "..."; key KEY; } (internal.h) */
int
conf_stmt_token(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf *c = x->conf;
	struct conf_token t = { 0 };
	int rc;
	if (s->nargs != 1 || !s->has_block)
		return conf_bad(x->file, s, "expects: token NAME { secret \"SECRET\"; key KEY; }");
	for (size_t i = 0; i < c->ntokens; i++)
		if (strcmp(c->tokens[i].name, s->args[0]) == 0)
			return conf_bad(x->file, s, "token defined twice");
	if ((t.name = strdup(s->args[0])) == NULL)
		return -ENOMEM;
	struct conf_ctx tx = { .conf = c, .obj = &t, .file = x->file };
	rc = conf_settings_apply_block(&tx, CONF_TOKEN, s);
	if (rc == 0 && t.secret == NULL)
		rc = conf_bad(x->file, s, "needs a secret");
	/* A secret is guessed by trying: too short a one is no secret. */
	if (rc == 0 && strlen(t.secret) < 16)
		rc = conf_bad(x->file, s, "the secret must be at least 16 characters");
	for (size_t i = 0; rc == 0 && i < c->ntokens; i++)
		if (strcmp(c->tokens[i].secret, t.secret) == 0)
			rc = conf_bad(x->file, s, "another token has the same secret");
	if (rc == 0)
		rc = conf_push((void **)&c->tokens, &c->ntokens, sizeof(t), &t);
	if (rc != 0) {
		free(t.name);
		free(t.secret);
		free(t.key);
	}
	return rc;
}

/* Find a token by its secret in constant time (conf.h). Every secret is
 * compared, whatever matched before, and the time taken depends on the
 * secrets' lengths only, not on where the guess differs. */
const struct conf_token *
conf_token_find(const struct conf *c, const char *secret, size_t len)
{
	const struct conf_token *found = NULL;
	for (size_t i = 0; i < c->ntokens; i++) {
		const char *t = c->tokens[i].secret;
		size_t tl = strlen(t);
		/* Compare as many bytes as the token has, from a buffer as long. */
		int diff = tl != len;
		diff |= CRYPTO_memcmp(t, len >= tl ? secret : t, tl) != 0;
		if (!diff)
			found = &c->tokens[i];
	}
	return found;
}

/* The zone of HTTP registrations (conf.h). */
const struct conf_zone *
conf_http_zone(const struct conf *c)
{
	if (c->http_zone != NULL) {
		uint8_t apex[WIRE_NAME_MAX];
		size_t n = wire_name_from_str(c->http_zone, apex);
		if (n == 0)
			return NULL;
		wire_name_lower(apex, apex, n);
		for (size_t i = 0; i < c->nzones; i++)
			if (wire_name_equal(c->zones[i].apex, apex))
				return &c->zones[i];
		return NULL;
	}
	for (size_t i = 0; i < c->nzones; i++)
		if (c->zones[i].consul && !c->zones[i].implicit)
			return &c->zones[i];
	return c->nzones > 0 ? &c->zones[0] : NULL;
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
	if (rc == 0 && z->file != NULL) {
		/* A relative zone file is relative to the configuration file. */
		char *p = conf_path_in(file, z->file);
		if (p == NULL)
			return -ENOMEM;
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

/* ---- files and paths ---- */

#ifndef DNSD_CONF_FILE
#define DNSD_CONF_FILE "/etc/dnsd/dnsd.conf"
#endif
#ifndef DNSD_STATE_DIR
#define DNSD_STATE_DIR "/var/lib/dnsd"
#endif

/* The configuration file when none is given (conf.h). */
const char *
conf_default_path(void)
{
	return DNSD_CONF_FILE;
}

/* The store when none is configured (conf.h). */
const char *
conf_default_store(void)
{
	static __thread char first[4096];
	const char *sd = getenv("STATE_DIRECTORY");
	if (sd != NULL && sd[0] == '/') {
		/* "A colon-separated list" when StateDirectory= names several. */
		size_t n = strcspn(sd, ":");
		if (n < sizeof(first)) {
			memcpy(first, sd, n);
			first[n] = '\0';
			return first;
		}
	}
	return DNSD_STATE_DIR;
}

/* A path made absolute against the current folder (conf.h). */
char *
conf_abspath(const char *p)
{
	char cwd[4096];
	char *a;
	if (p[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return strdup(p);
	if (strcmp(p, ".") == 0)
		return strdup(cwd);
	if (strncmp(p, "./", 2) == 0)
		p += 2;
	return asprintf(&a, "%s/%s", cwd, p) < 0 ? NULL : a;
}

/* A path written in `file`, relative to the file's folder (internal.h). */
char *
conf_path_in(const char *file, const char *v)
{
	const char *slash = strrchr(file, '/');
	char *p;
	if (v[0] == '/' || slash == NULL)
		return strdup(v);
	return asprintf(&p, "%.*s/%s", (int)(slash - file), file, v) < 0 ? NULL : p;
}

/* Give each top-level statement of a file its meaning. */
static int
interpret(struct conf *c, const char *file, const struct stmt *root)
{
	struct conf_ctx x = { .conf = c, .obj = c, .file = file };
	return conf_settings_apply_block(&x, CONF_TOP, root);
}

#define CONF_INCLUDES_MAX 64

/* include "FILE" and keys-file "FILE" (internal.h) */
int
conf_stmt_include(const struct conf_ctx *x, const struct stmt *s)
{
	static int depth; /* configuration is read by one thread, at start-up */
	static unsigned total; /* files included by this load, at every depth */
	const char *file = x->file;
	if (depth == 0)
		total = 0;
	if (s->nargs != 1)
		return conf_bad(file, s, "expects: include \"FILE\"");
	if (depth >= 8)
		return conf_bad(file, s, "included too deeply (a loop?)");
	/* A file that includes itself twice would be read 2^8 times: bound
	 * the whole tree, not only its depth. */
	if (++total > CONF_INCLUDES_MAX)
		return conf_bad(file, s, "more than 64 files included (a loop?)");
	char *path = conf_path_in(file, s->args[0]);
	if (path == NULL)
		return -ENOMEM;
	if (access(path, R_OK) != 0) {
		int rc = conf_badf(file, s, "cannot read %s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	struct stmt root;
	depth++;
	conf_quiet++;
	int rc = conf_parse_file(path, &root);
	if (rc == 0)
		rc = interpret(x->conf, path, &root);
	stmt_free(&root);
	conf_quiet--;
	depth--;
	free(path);
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
	c->tcp_msg_ms = 5000;
	c->tcp_client_max = 64;
	c->tcp_client_v4 = 32;
	c->tcp_client_v6 = 64;
	c->xfr_max = 16;
	c->xfr_client_max = 4;
	c->xfr_timeout_ms = 3600 * 1000;
	c->xfr_send_ms = 30000;
	c->xfr_snapshot_ms = 10000;
	c->update_queue = 1024;
	c->update_queue_bytes = 8ULL << 20;
	c->update_client_max = 64;
	c->store_high_water = 90;
	c->udp_coalesce_us = 50;
	c->udp_coalesce_rate = 100000;
	c->answer_cache = CONF_ANSWER_CACHE_DEFAULT;
	c->http_max_body = CONF_HTTP_MAX_BODY_DEFAULT;
	c->http_max_connections = CONF_HTTP_MAX_CONN_DEFAULT;
	c->http_timeout_ms = CONF_HTTP_TIMEOUT_DEFAULT_MS;
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
	conf_quiet++;
	int rc = conf_parse_file(path, &root);
	for (size_t i = 0; rc == 0 && i < root.nkids; i++) {
		if (strcmp(root.kids[i].word, "key") != 0)
			rc = conf_bad(path, &root.kids[i], "only key statements belong in a key file");
		else
			rc = conf_stmt_key(&x, &root.kids[i]);
	}
	stmt_free(&root);
	conf_quiet--;
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
	if (p == NULL || p[0] == '/')
		return p;
	char *a = conf_abspath(p);
	free(p);
	return a;
}

/* Is `name` a key of the configuration? If not, say where it was named:
 * "file:line: WHAT: no key NAME is defined". */
static bool
key_known(const struct conf *c, const char *name, const char *where, const char *what,
    const char *zone)
{
	uint8_t kn[WIRE_NAME_MAX];
	if (wire_name_from_str(name, kn) != 0 && conf_key_find(c, kn) != NULL)
		return true;
	log_err("%s: %s: no key %s is defined (zone %s)", where ? where : "?", what, name, zone);
	return false;
}

static bool
acl_keys_known(const struct conf *c, const struct conf_acl *acl, const char *what,
    const char *zone)
{
	for (size_t i = 0; i < acl->nkeys; i++)
		if (!key_known(c, acl->keys[i], acl->key_where[i], what, zone))
			return false;
	return true;
}

/* The HTTP settings: defaults, tokens naming known keys, a known zone. */
static int
http_finish(struct conf *c)
{
	if (!c->http_allow_read_set) {
		struct stmt s = { .word = "http-allow-read", .nargs = 1, .args = (char *[]){ "localhost" } };
		conf_acl_parse("default", &s, &c->http_allow_read);
	}
	if (c->http_allow_read.nkeys > 0 || c->http_allow_anonymous.nkeys > 0) {
		log_err("http-allow-read and http-allow-anonymous take addresses and networks, not keys"
		        " (a token names its key)");
		return DNSD_ECONF;
	}
	for (size_t i = 0; i < c->ntokens; i++) {
		uint8_t kn[WIRE_NAME_MAX];
		const char *k = c->tokens[i].key;
		if (k != NULL && (wire_name_from_str(k, kn) == 0 || conf_key_find(c, kn) == NULL)) {
			log_err("token %s: names unknown key %s", c->tokens[i].name, k);
			return DNSD_ECONF;
		}
	}
	if (c->http_zone != NULL && conf_http_zone(c) == NULL) {
		log_err("http-zone %s: no such zone", c->http_zone);
		return DNSD_ECONF;
	}
	if (c->services_dir != NULL && (c->services_dir = absolute(c->services_dir)) == NULL)
		return -ENOMEM;
	return 0;
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
	if (c->store_dir == NULL && (c->store_dir = strdup(conf_default_store())) == NULL)
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
	/* Keys were checked as they were read (conf_stmt_key, conf_add_key). */
	if ((c->store_dir = absolute(c->store_dir)) == NULL)
		return -ENOMEM;
	if (c->pid_file == NULL && asprintf(&c->pid_file, "%s/dnsd.pid", c->store_dir) < 0) {
		c->pid_file = NULL;
		return -ENOMEM;
	}
	if ((c->pid_file = absolute(c->pid_file)) == NULL)
		return -ENOMEM;
	int rc = consul_zones(c);
	if (rc == 0)
		rc = conf_cluster_finish(&c->cluster);
	if (rc != 0 || (rc = http_finish(c)) != 0)
		return rc;
	for (size_t i = 0; i < c->nzones; i++) {
		struct conf_zone *z = &c->zones[i];
		if (z->file != NULL && (z->file = absolute(z->file)) == NULL)
			return -ENOMEM;
		if (!acl_keys_known(c, &z->allow_transfer, "allow-transfer", z->name) ||
		    !acl_keys_known(c, &z->allow_update_unsigned, "allow-update-unsigned", z->name))
			return DNSD_ECONF;
		if (z->notify_key != NULL &&
		    !key_known(c, z->notify_key, z->notify_where, "notify", z->name))
			return DNSD_ECONF;
		if (z->file != NULL && access(z->file, R_OK) != 0) {
			log_err("zone %s: cannot read %s: %s", z->name, z->file, strerror(errno));
			return DNSD_ECONF;
		}
		for (size_t g = 0; g < z->ngrants; g++)
			if (z->grants[g].key != NULL &&
			    !key_known(c, z->grants[g].key, z->grants[g].where, "grant", z->name))
				return DNSD_ECONF;
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
	free(c->pid_file);
	for (size_t i = 0; i < c->nzones; i++) {
		struct conf_zone *z = &c->zones[i];
		free(z->name);
		free(z->file);
		conf_acl_free(&z->allow_update_unsigned);
		conf_acl_free(&z->allow_transfer);
		for (size_t g = 0; g < z->ngrants; g++) {
			free(z->grants[g].key);
			free(z->grants[g].where);
		}
		free(z->grants);
		free(z->notify);
		free(z->notify_key);
		free(z->notify_where);
	}
	free(c->zones);
	for (size_t i = 0; i < c->nkeys; i++) {
		free(c->keys[i].name);
		free(c->keys[i].algorithm);
		free(c->keys[i].secret);
		free(c->keys[i].where);
	}
	free(c->keys);
	free(c->forward);
	conf_acl_free(&c->forward_allow);
	free(c->http_listen);
	free(c->http_zone);
	conf_acl_free(&c->http_allow_read);
	conf_acl_free(&c->http_allow_anonymous);
	free(c->services_dir);
	for (size_t i = 0; i < c->ntokens; i++) {
		free(c->tokens[i].name);
		free(c->tokens[i].secret);
		free(c->tokens[i].key);
	}
	free(c->tokens);
	conf_cluster_free(&c->cluster);
	memset(c, 0, sizeof(*c));
}

/* ---- reloads ---- */

static bool
str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

static bool
addrs_differ(const struct conf_addr *a, size_t na, const struct conf_addr *b, size_t nb)
{
	if (na != nb)
		return true;
	for (size_t i = 0; i < na; i++)
		if (a[i].family != b[i].family || a[i].port != b[i].port ||
		    a[i].prefix != b[i].prefix || memcmp(a[i].addr, b[i].addr, 16) != 0)
			return true;
	return false;
}

/* Which restart-only settings differ (conf.h). */
size_t
conf_restart_changes(const struct conf *old, const struct conf *new, const char **names,
    size_t max)
{
	const struct {
		const char *name;
		bool differs;
	} checks[] = {
		{ "listen", addrs_differ(old->listen, old->nlisten, new->listen, new->nlisten) },
		{ "workers", old->workers != new->workers },
		{ "store", str_differs(old->store_dir, new->store_dir) },
		{ "store-size", old->store_size != new->store_size },
		{ "user", str_differs(old->user, new->user) },
		{ "answer-cache", old->answer_cache != new->answer_cache },
		{ "rate-limit-size", conf_rrl_size(old) != conf_rrl_size(new) },
		{ "udp-coalesce", old->udp_coalesce_us != new->udp_coalesce_us ||
		                      old->udp_coalesce_rate != new->udp_coalesce_rate },
		{ "forward", addrs_differ(old->forward, old->nforward, new->forward, new->nforward) },
		{ "pid-file", str_differs(old->pid_file, new->pid_file) },
		{ "store-high-water", old->store_high_water != new->store_high_water },
		{ "update-queue", old->update_queue != new->update_queue },
		{ "update-queue-size", old->update_queue_bytes != new->update_queue_bytes },
		{ "update-client-limit", old->update_client_max != new->update_client_max },
		{ "http-listen", addrs_differ(old->http_listen, old->nhttp_listen, new->http_listen,
		                     new->nhttp_listen) },
		{ "cluster", conf_cluster_differs(&old->cluster, &new->cluster) },
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (!checks[i].differs)
			continue;
		if (n < max)
			names[n] = checks[i].name;
		n++;
	}
	return n;
}
