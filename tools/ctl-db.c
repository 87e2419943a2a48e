/* ctl-db.c -- dnsdctl's read-only view of the LMDB store
 *
 * The store's API (store.h) is made for the server: it opens the
 * environment read-write, creates it when missing, and has no walk over the
 * zones, the expiry index or a whole journal. dnsdctl needs exactly those
 * walks and must never create or change a store, so it opens the
 * environment itself with MDB_RDONLY and reads the databases laid out at
 * the top of dnsd/store/store.c (format version 1). Keys and node values
 * are decoded with the store's and node's pure helpers.
 *
 * LMDB forbids opening one environment twice in a process, so nothing in
 * dnsdctl may also call store_open(). This is the only file of dnsdctl
 * that includes <lmdb.h>.
 */
#include "config.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "ctl.h"
#include "util/err.h"
#include "wire/wire.h"

#define CTL_STORE_VERSION 1 /* STORE_VERSION in store.c */

struct ctl_db {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, zones, nodes, cuts, expiry, owners, journal;
};

/* LMDB errors as dnsd_err values. */
static int
db_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return DNSD_ENOTFOUND;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
		return DNSD_EVERSION;
	default:
		return rc > 0 && rc < 1000 ? -rc : DNSD_ESTORE;
	}
}

int
ctl_db_open(struct ctl_db **out, const char *dir, char *err, size_t errlen)
{
	struct ctl_db *db;
	struct stat st;
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "store %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "store %s: no data.mdb (not a dnsd store, or dnsd never ran)", dir);
		return DNSD_ENOTFOUND;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return -ENOMEM;
	if ((rc = mdb_env_create(&db->env)) != 0)
		goto fail;
	mdb_env_set_maxdbs(db->env, 8);
	mdb_env_set_maxreaders(db->env, 256);
	if ((rc = mdb_env_open(db->env, dir, MDB_RDONLY | MDB_NOTLS, 0640)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &db->txn)) != 0)
		goto fail;
	struct {
		const char *name;
		MDB_dbi *dbi;
	} dbs[] = {
		{ "meta", &db->meta }, { "zones", &db->zones }, { "nodes", &db->nodes },
		{ "cuts", &db->cuts }, { "expiry", &db->expiry }, { "owners", &db->owners },
		{ "journal", &db->journal },
	};
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		rc = mdb_dbi_open(db->txn, dbs[i].name, 0, dbs[i].dbi);
		if (rc == MDB_NOTFOUND) {
			snprintf(err, errlen, "store %s: no \"%s\" database (not a dnsd store)", dir,
			    dbs[i].name);
			goto fail_msg;
		}
		if (rc != 0)
			goto fail;
	}
	MDB_val k = { 7, "version" }, v;
	if ((rc = mdb_get(db->txn, db->meta, &k, &v)) != 0 || v.mv_size != 4 ||
	    wire_get32(v.mv_data) != CTL_STORE_VERSION) {
		snprintf(err, errlen, "store %s: written by another format version (dnsdctl reads %d)",
		    dir, CTL_STORE_VERSION);
		rc = DNSD_EVERSION;
		ctl_db_close(db);
		return rc;
	}
	*out = db;
	return 0;
fail:
	snprintf(err, errlen, "store %s: %s", dir, mdb_strerror(rc));
fail_msg:
	ctl_db_close(db);
	return db_err(rc);
}

void
ctl_db_close(struct ctl_db *db)
{
	if (db == NULL)
		return;
	if (db->txn != NULL)
		mdb_txn_abort(db->txn);
	if (db->env != NULL)
		mdb_env_close(db->env);
	free(db);
}

static int
zone_cmp(const void *a, const void *b)
{
	const struct ctl_zone *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int
ctl_db_zones(struct ctl_db *db, struct ctl_zone **zones, size_t *n)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct ctl_zone *z = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*zones = NULL;
	*n = 0;
	if ((rc = mdb_cursor_open(db->txn, db->zones, &cur)) != 0)
		return db_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		/* apex name -> id:u32 file_sig:u64 includes */
		if (v.mv_size < 12 || k.mv_size > WIRE_NAME_MAX ||
		    wire_name_check(k.mv_data, k.mv_size) != k.mv_size)
			continue; /* not a zone record this version knows */
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			struct ctl_zone *nz = realloc(z, cap * sizeof(*z));
			if (nz == NULL) {
				rc = ENOMEM;
				break;
			}
			z = nz;
		}
		struct ctl_zone *e = &z[cnt++];
		memset(e, 0, sizeof(*e));
		e->id = wire_get32(v.mv_data);
		memcpy(e->apex, k.mv_data, k.mv_size);
		e->apex_len = k.mv_size;
		e->labels = wire_name_labels(e->apex);
		wire_name_to_str(e->apex, e->name, sizeof(e->name));
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		free(z);
		return db_err(rc);
	}
	if (cnt > 1)
		qsort(z, cnt, sizeof(*z), zone_cmp);
	*zones = z;
	*n = cnt;
	return 0;
}

int
ctl_db_nodes(struct ctl_db *db, uint32_t zone_id, ctl_node_fn fn, void *arg)
{
	MDB_cursor *cur;
	uint8_t prefix[4];
	MDB_val k = { 4, prefix }, v;
	int rc, r = 0;

	wire_put32(prefix, zone_id);
	if ((rc = mdb_cursor_open(db->txn, db->nodes, &cur)) != 0)
		return db_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 4 || memcmp(k.mv_data, prefix, 4) != 0)
			break;
		if ((r = fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (r != 0)
		return r;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : db_err(rc);
}

int
ctl_db_node_get(struct ctl_db *db, const uint8_t *key, size_t keylen, const uint8_t **val,
    size_t *len)
{
	MDB_val k = { keylen, (void *)key }, v;
	int rc = mdb_get(db->txn, db->nodes, &k, &v);
	if (rc != 0)
		return db_err(rc);
	*val = v.mv_data;
	*len = v.mv_size;
	return 0;
}

int
ctl_db_expiry(struct ctl_db *db, ctl_expiry_fn fn, void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, r = 0;

	if ((rc = mdb_cursor_open(db->txn, db->expiry, &cur)) != 0)
		return db_err(rc);
	/* expire:u32 + node key -> "" */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 8)
			continue;
		const uint8_t *p = k.mv_data;
		if ((r = fn(arg, wire_get32(p), p + 4, k.mv_size - 4)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (r != 0)
		return r;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : db_err(rc);
}

int
ctl_db_journal(struct ctl_db *db, uint32_t zone_id, ctl_journal_fn fn, void *arg)
{
	MDB_cursor *cur;
	uint8_t kb[12];
	MDB_val k = { 12, kb }, v;
	int rc, r = 0;

	/* zone id:u32 + seq:u64 -> entry */
	wire_put32(kb, zone_id);
	memset(kb + 4, 0, 8);
	if ((rc = mdb_cursor_open(db->txn, db->journal, &cur)) != 0)
		return db_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		if (k.mv_size != 12 || wire_get32(p) != zone_id)
			break;
		uint64_t seq = (uint64_t)wire_get32(p + 4) << 32 | wire_get32(p + 8);
		if ((r = fn(arg, seq, v.mv_data, v.mv_size)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (r != 0)
		return r;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : db_err(rc);
}

int
ctl_db_stats(struct ctl_db *db, struct ctl_stats *st)
{
	MDB_stat ms;
	MDB_envinfo ei;
	struct {
		MDB_dbi dbi;
		uint64_t *count;
	} dbs[] = {
		{ db->zones, &st->zones }, { db->nodes, &st->nodes }, { db->cuts, &st->cuts },
		{ db->expiry, &st->expiry }, { db->owners, &st->owners },
		{ db->journal, &st->journal },
	};
	int rc;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		if ((rc = mdb_stat(db->txn, dbs[i].dbi, &ms)) != 0)
			return db_err(rc);
		*dbs[i].count = ms.ms_entries;
	}
	if ((rc = mdb_env_info(db->env, &ei)) != 0 || (rc = mdb_env_stat(db->env, &ms)) != 0)
		return db_err(rc);
	/* Pages in use as of our snapshot (me_last_pgno is the newest). */
	st->page_size = ms.ms_psize;
	st->map_used = (uint64_t)(ei.me_last_pgno + 1) * ms.ms_psize;
	st->map_size = ei.me_mapsize;
	st->readers = ei.me_numreaders;
	st->max_readers = ei.me_maxreaders;
	return 0;
}
