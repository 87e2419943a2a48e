/* internal.h -- what the files of dnsd/conf/ share; no other module includes it
 *
 * lex.c reads a file into a statement tree; settings.c gives each keyword
 * its meaning through the settings table; acl.c reads addresses and access
 * lists; conf.c loads files, owns zones and keys and checks the result;
 * cluster.c does the same for the cluster block; answers.c reads the
 * settings of NSID, CHAOS, cookies and rate limits.
 */
#ifndef DNSD_CONF_INTERNAL_H
#define DNSD_CONF_INTERNAL_H

#include "conf/conf.h"
#include "conf/lex.h"

/* The levels a setting may appear at: the top of the file, or the block of
 * a zone or key statement. A new kind of block is a new level. */
enum conf_level { CONF_TOP, CONF_ZONE, CONF_KEY, CONF_TOKEN, CONF_CLUSTER, CONF_NLEVELS };

/* What a setting's parser works on. */
struct conf_ctx {
	struct conf *conf; /* the whole configuration */
	void *obj;         /* what the level's settings fill: struct conf at
	                    * CONF_TOP, struct conf_zone, struct conf_key,
	                    * struct conf_token, struct conf_cluster */
	const char *file;  /* the file being read: messages, relative paths */
};

/* Log "file:line: keyword: msg" for statement `s`; returns DNSD_ECONF.
 * While conf_quiet > 0 (an included or key file is read) a word that is
 * not a keyword is not shown. */
int conf_bad(const char *file, const struct stmt *s, const char *msg);
/* The same with a printf format. */
int conf_badf(const char *file, const struct stmt *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "file:line" of statement `s`, malloc'ed (NULL: no memory), kept with
 * what the statement configures so that later checks (conf_finish) can
 * name where it was written. */
char *conf_where(const char *file, const struct stmt *s);
/* The path `v`, written in `file`: as it is if absolute, else relative to
 * the folder of `file` (conf.h, "Paths"). malloc'ed; NULL: no memory. */
char *conf_path_in(const char *file, const char *v);
extern unsigned conf_quiet;

/* Give statement `s`, found at `level`, its meaning: look the keyword up in
 * the settings table and run the row's parser on x->obj. A keyword that is
 * not a setting of that level is an error ("unknown setting", "unknown zone
 * setting", "unknown key setting"). */
int conf_settings_apply(const struct conf_ctx *x, enum conf_level level, const struct stmt *s);
/* conf_settings_apply each statement of the block of `s` (the kids of a
 * zone, key or file root) at `level`, stopping at the first error. */
int conf_settings_apply_block(const struct conf_ctx *x, enum conf_level level,
    const struct stmt *s);

/* Statement `s` has from `min` to `max` values, else an error naming it. */
int conf_want_args(const char *file, const struct stmt *s, size_t min, size_t max);
/* What a number means: plain, a size (k, M, G) or a duration (s, m, h, d, w). */
enum conf_unit { U_NONE, U_SIZE, U_TIME };
/* The number `v` of statement `s`, with its unit's suffix, at most `max`,
 * into *out; an error naming the statement otherwise. */
int conf_parse_num(const char *file, const struct stmt *s, const char *v, enum conf_unit unit,
    uint64_t max, uint64_t *out);
/* A path setting: its one value, relative to the file it is written in
 * (conf_path_in), replaces the string *out. */
int conf_set_path(const struct conf_ctx *x, const struct stmt *s, char **out);

/* Parse a domain name `v` of statement `s` into lower-case wire form. */
int conf_parse_name(const char *file, const struct stmt *s, const char *v, uint8_t *out);

/* Block and file statements, in conf.c, that the settings table points to.
 * Each reads statement `s` of x->file into x->conf. */
int conf_stmt_zone(const struct conf_ctx *x, const struct stmt *s);
int conf_stmt_key(const struct conf_ctx *x, const struct stmt *s);
int conf_stmt_cluster(const struct conf_ctx *x, const struct stmt *s);
/* cluster.c: the cluster block after the whole configuration is read
 * (checks, defaults); free it; do two differ (a reload cannot take it)? */
int conf_cluster_finish(struct conf_cluster *cl);
void conf_cluster_free(struct conf_cluster *cl);
bool conf_cluster_differs(const struct conf_cluster *a, const struct conf_cluster *b);
/* cluster.c: the cluster block's settings: etcd URL ...; ca-file,
 * cert-file, key-file (paths). */
int conf_set_etcd(const struct conf_ctx *x, const struct stmt *s);
int conf_set_ca_file(const struct conf_ctx *x, const struct stmt *s);
int conf_set_cert_file(const struct conf_ctx *x, const struct stmt *s);
int conf_set_key_file(const struct conf_ctx *x, const struct stmt *s);
/* answers.c: nsid TEXT|0xHEX; version TEXT; identity TEXT; cookie-secret
 * HEX; require-cookie no|large|yes; rate-limit N; rate-limit-slip N;
 * rate-limit-exempt ADDR... | none. Each fills its fields of x->conf. */
int conf_set_nsid(const struct conf_ctx *x, const struct stmt *s);
int conf_set_version(const struct conf_ctx *x, const struct stmt *s);
int conf_set_identity(const struct conf_ctx *x, const struct stmt *s);
int conf_set_cookie_secret(const struct conf_ctx *x, const struct stmt *s);
int conf_set_require_cookie(const struct conf_ctx *x, const struct stmt *s);
int conf_set_rrl_rate(const struct conf_ctx *x, const struct stmt *s);
int conf_set_rrl_slip(const struct conf_ctx *x, const struct stmt *s);
int conf_set_rrl_exempt(const struct conf_ctx *x, const struct stmt *s);
int conf_stmt_include(const struct conf_ctx *x, const struct stmt *s);
int conf_stmt_token(const struct conf_ctx *x, const struct stmt *s);

/* Add the entries of an access-list statement (addresses, networks, any,
 * localhost, none, "key NAME") to `acl`. Errors name file:line. */
int conf_acl_parse(const char *file, const struct stmt *s, struct conf_acl *acl);
/* Free what an access list holds and empty it. */
void conf_acl_free(struct conf_acl *acl);

#endif
