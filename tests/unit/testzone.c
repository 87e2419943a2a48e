/* testzone.c -- temporary zones in a temporary store (see testzone.h) */
#include "config.h"

#include <dirent.h>
#include <stdarg.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/node.h"
#include "testzone.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"

/* Remove dir, its files and subfolders down to `depth` levels. */
static void
rm_tree(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		struct stat st;
		if (depth > 0 && lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p, depth - 1);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

int
testdir_make(char *dir, size_t size, const char *prefix)
{
	int n = snprintf(dir, size, "/tmp/%s.XXXXXX", prefix);
	if (n < 0 || (size_t)n >= size || mkdtemp(dir) == NULL) {
		if (size > 0)
			dir[0] = '\0';
		return -1;
	}
	return 0;
}

void
testdir_remove(const char *dir)
{
	if (dir[0] != '\0')
		rm_tree(dir, 4);
}

int
testfile_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	size_t n = strlen(text);
	int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* Append printf output to a growing string; false when out of memory. */
static bool
str_add(char **s, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool
str_add(char **s, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(*s ? *s + *len : NULL, *s ? *cap - *len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return false;
		if (*s != NULL && *len + (size_t)n < *cap) {
			*len += (size_t)n;
			return true;
		}
		size_t want = (*cap ? *cap : 256) * 2 + (size_t)n;
		char *p = realloc(*s, want);
		if (p == NULL)
			return false;
		if (*s == NULL)
			p[0] = '\0';
		*s = p;
		*cap = want;
	}
}

int
testzone_open_conf(struct testzone *tz, const char *conf, const char *const *settings,
    const struct testzone_src *src, size_t n, uint32_t now)
{
	char *text = NULL, path[256];
	size_t len = 0, cap = 0;
	int rc;

	memset(tz, 0, sizeof(*tz));
	conf_init(&tz->conf);
	log_set_level(LOG_LVL_WARN);
	if (testdir_make(tz->dir, sizeof(tz->dir), "dnsd-testzone") != 0)
		return -1;
	if (!str_add(&text, &len, &cap, "%s\n", conf ? conf : ""))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!str_add(&text, &len, &cap, "zone \"%s\" {\n", src[i].origin))
			goto fail;
		if (src[i].text != NULL) {
			snprintf(path, sizeof(path), "%s/zone%zu", tz->dir, i);
			if (testfile_write(path, src[i].text) != 0 ||
			    !str_add(&text, &len, &cap, "\tfile \"%s\"\n", path))
				goto fail;
		}
		if (!str_add(&text, &len, &cap, "\t%s\n}\n",
		        settings && settings[i] ? settings[i] : ""))
			goto fail;
	}
	snprintf(path, sizeof(path), "%s/dnsd.conf", tz->dir);
	if (testfile_write(path, text) != 0)
		goto fail;
	free(text);
	if ((rc = conf_load(&tz->conf, path)) != 0)
		return rc;
	if ((rc = zonetab_build(&tz->zones, &tz->conf)) != 0)
		return rc;
	snprintf(tz->store_dir, sizeof(tz->store_dir), "%s/store", tz->dir);
	if ((rc = store_open(&tz->store, tz->store_dir, 256ULL << 20)) != 0)
		return rc;
	if ((rc = zone_open_all(tz->store, &tz->zones, false, now)) != 0)
		return rc;
	if ((rc = store_read_begin(tz->store, &tz->txn)) != 0)
		return rc;
	tz->ctx.txn = tz->txn;
	tz->ctx.zones = &tz->zones;
	tz->ctx.edns_max = 1232;
	return 0;
fail:
	free(text);
	return -1;
}

int
testzone_open(struct testzone *tz, const struct testzone_src *src, size_t n, uint32_t now)
{
	return testzone_open_conf(tz, NULL, NULL, src, n, now);
}

void
testzone_close(struct testzone *tz)
{
	if (tz->txn != NULL)
		store_abort(tz->txn);
	tz->txn = NULL;
	store_close(tz->store);
	tz->store = NULL;
	zonetab_free(&tz->zones);
	conf_free(&tz->conf);
	testdir_remove(tz->dir);
	tz->dir[0] = '\0';
}

int
testzone_refresh(struct testzone *tz)
{
	store_read_reset(tz->txn);
	return store_read_renew(tz->txn);
}

/* Add one record to its node in a write transaction of its own (see
 * testzone_add). */
static int
add_record(struct testzone *tz, const uint8_t *name, uint16_t type, uint32_t ttl,
    uint32_t expire, uint8_t flags, uint32_t owner, const void *rdata, uint16_t rdlen)
{
	struct store_key k;
	struct store_val v;
	struct store_txn *t;
	struct node_edit e;
	int rc;

	const struct zone *z = zonetab_find(&tz->zones, name);
	if (z == NULL)
		return DNSD_ENOTFOUND;
	if ((rc = store_key_make(&k, z->id, name, z->labels)) != 0)
		return rc;
	if ((rc = store_write_begin(tz->store, &t)) != 0)
		return rc;
	node_edit_init(&e);
	rc = store_node_get(t, &k, &v);
	if (rc == 0)
		rc = node_edit_load(&e, v.data, v.len);
	else if (rc == DNSD_ENOTFOUND)
		rc = 0;
	if (rc == 0) {
		rc = node_edit_add(&e, type, ttl, expire, owner, flags, rdata, rdlen);
		rc = rc < 0 ? rc : 0;
	}
	if (rc == 0) {
		uint8_t *buf = malloc(node_edit_size(&e) + 1);
		if (buf == NULL) {
			rc = DNSD_ETOOBIG;
		} else {
			size_t len = node_edit_encode(&e, buf);
			rc = store_node_put(t, &k, buf, len);
			free(buf);
		}
	}
	node_edit_free(&e);
	if (rc != 0) {
		store_abort(t);
		return rc;
	}
	if ((rc = store_commit(t)) != 0)
		return rc;
	return testzone_refresh(tz);
}

int
testzone_add(struct testzone *tz, const char *owner, uint16_t type, uint32_t ttl,
    uint32_t expire, bool dynamic, const void *rdata, uint16_t rdlen)
{
	uint8_t name[WIRE_NAME_MAX];
	if (wire_name_from_str(owner, name) == 0)
		return DNSD_EMALF;
	return add_record(tz, name, type, ttl, expire, dynamic ? NODE_RR_DYNAMIC : 0, 0, rdata,
	    rdlen);
}

int
testzone_add_text(struct testzone *tz, const char *origin, const char *rr, uint32_t expire,
    uint32_t owner)
{
	ldns_rdf *org = ldns_dname_new_frm_str(origin);
	ldns_rr *r = NULL;
	ldns_buffer *b = ldns_buffer_new(512);
	int rc = DNSD_EMALF;

	if (org == NULL || b == NULL ||
	    ldns_rr_new_frm_str(&r, rr, 3600, org, NULL) != LDNS_STATUS_OK ||
	    ldns_rdf_size(ldns_rr_owner(r)) > WIRE_NAME_MAX ||
	    ldns_rr_rdata2buffer_wire(b, r) != LDNS_STATUS_OK || ldns_buffer_position(b) > 65535)
		goto out;
	uint8_t name[WIRE_NAME_MAX];
	memcpy(name, ldns_rdf_data(ldns_rr_owner(r)), ldns_rdf_size(ldns_rr_owner(r)));
	rc = add_record(tz, name, ldns_rr_get_type(r), ldns_rr_ttl(r), expire, NODE_RR_DYNAMIC,
	    owner, ldns_buffer_begin(b), (uint16_t)ldns_buffer_position(b));
out:
	ldns_rr_free(r);
	ldns_rdf_deep_free(org);
	ldns_buffer_free(b);
	return rc;
}

/* One dump line for a record (see testzone_dump). */
static bool
dump_rr(char **s, size_t *len, size_t *cap, const struct zone *z, const uint8_t *owner,
    uint16_t type, const struct node_rr *rr, uint32_t now)
{
	uint8_t wire[WIRE_NAME_MAX + 10 + 65535];
	size_t n = wire_name_len(owner), pos = 0;
	char name[WIRE_NAME_MAX * 4 + 2], apex[WIRE_NAME_MAX * 4 + 2];
	ldns_rr *r = NULL;
	bool ok = false;

	memcpy(wire, owner, n);
	wire_put16(wire + n, type);
	wire_put16(wire + n + 2, CLASS_IN);
	wire_put32(wire + n + 4, rr->ttl);
	wire_put16(wire + n + 8, rr->rdlen);
	memcpy(wire + n + 10, rr->rdata, rr->rdlen);
	if (ldns_wire2rr(&r, wire, n + 10 + rr->rdlen, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		return false;
	/* The owner relative to the origin. */
	wire_name_to_str(owner, name, sizeof(name));
	wire_name_to_str(z->apex, apex, sizeof(apex));
	size_t nl = strlen(name), al = strlen(apex);
	if (strcasecmp(name, apex) == 0)
		strcpy(name, "@");
	else if (nl > al && name[nl - al - 1] == '.' && strcasecmp(name + nl - al, apex) == 0)
		name[nl - al - 1] = '\0';
	char *t = ldns_rr_type2str(type);
	ok = t != NULL && str_add(s, len, cap, "%s %u %s", name, rr->ttl, t);
	free(t);
	for (size_t i = 0; ok && i < ldns_rr_rd_count(r); i++) {
		char *f = ldns_rdf2str(ldns_rr_rdf(r, i));
		ok = f != NULL && str_add(s, len, cap, " %s", f);
		free(f);
	}
	if (ok && rr->expire != 0)
		ok = str_add(s, len, cap, " ; expires +%u", rr->expire - now);
	if (ok)
		ok = str_add(s, len, cap, "\n");
	ldns_rr_free(r);
	return ok;
}

static int
line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
testzone_sort_lines(const char *text)
{
	size_t n = 0, len = 0, cap = 0;
	char *copy = strdup(text), *out = NULL, **lines, *save = NULL;
	if (copy == NULL)
		return NULL;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	lines = calloc(n + 2, sizeof(*lines));
	if (lines == NULL) {
		free(copy);
		return NULL;
	}
	n = 0;
	for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	qsort(lines, n, sizeof(*lines), line_cmp);
	bool ok = str_add(&out, &len, &cap, "%s", "");
	for (size_t i = 0; ok && i < n; i++)
		ok = str_add(&out, &len, &cap, "%s\n", lines[i]);
	free(lines);
	free(copy);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

char *
testzone_dump(struct testzone *tz, struct store_txn *t, const char *origin, uint32_t now)
{
	uint8_t apex[WIRE_NAME_MAX], owner[WIRE_NAME_MAX];
	struct store_iter *it = NULL;
	struct store_val k, v;
	char *s = NULL, *sorted = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (wire_name_from_str(origin, apex) == 0)
		return NULL;
	const struct zone *z = zonetab_find(&tz->zones, apex);
	if (z == NULL || !str_add(&s, &len, &cap, "%s", "") ||
	    store_iter_zone(t ? t : tz->txn, z->id, &it) != 0)
		goto out;
	while ((rc = store_iter_next(it, &k, &v)) == 1) {
		struct node_all_it a;
		struct node_rr rr;
		uint16_t type;
		if (store_key_to_name(k.data, k.len, z->apex, owner) == 0)
			goto out;
		node_all_init(&a, v.data, v.len);
		while (node_all_next(&a, &type, &rr))
			if (node_rr_live(&rr, now) && !dump_rr(&s, &len, &cap, z, owner, type, &rr, now))
				goto out;
		if (a.it.err != 0)
			goto out;
	}
	if (rc == 0)
		sorted = testzone_sort_lines(s);
out:
	store_iter_free(it);
	free(s);
	return sorted;
}
