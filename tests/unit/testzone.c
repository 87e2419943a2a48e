/* testzone.c -- temporary zones in a temporary store (see testzone.h) */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
testzone_open(struct testzone *tz, const struct testzone_src *src, size_t n, uint32_t now)
{
	int rc;

	memset(tz, 0, sizeof(*tz));
	conf_init(&tz->conf);
	log_set_level(LOG_LVL_WARN);
	if (testdir_make(tz->dir, sizeof(tz->dir), "dnsd-testzone") != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char path[256], spec[512];
		if (src[i].text != NULL) {
			snprintf(path, sizeof(path), "%s/zone%zu", tz->dir, i);
			if (testfile_write(path, src[i].text) != 0)
				return -1;
			snprintf(spec, sizeof(spec), "%s:%s", src[i].origin, path);
		} else {
			snprintf(spec, sizeof(spec), "%s", src[i].origin);
		}
		if ((rc = conf_add_zone(&tz->conf, spec)) != 0)
			return rc;
	}
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

int
testzone_add(struct testzone *tz, const char *owner, uint16_t type, uint32_t ttl,
    uint32_t expire, bool dynamic, const void *rdata, uint16_t rdlen)
{
	uint8_t name[WIRE_NAME_MAX];
	struct store_key k;
	struct store_val v;
	struct store_txn *t;
	struct node_edit e;
	int rc;

	if (wire_name_from_str(owner, name) == 0)
		return DNSD_EMALF;
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
		rc = node_edit_add(&e, type, ttl, expire, 0, dynamic ? NODE_RR_DYNAMIC : 0,
		    rdata, rdlen);
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
