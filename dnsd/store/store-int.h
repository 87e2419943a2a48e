/* store-int.h -- what the files of dnsd/store/ share: the environment and
 * transaction structs, the one LMDB error map, cursor helpers and the walk
 *
 * Private to dnsd/store/ (it includes <lmdb.h>, which no other folder may
 * see). Who owns what:
 *
 *   store.c          the environment: open/close, transactions, map_err,
 *                    grow-ahead, stats; the "meta" database
 *   store-key.c      node key encoding (struct store_key)
 *   store-zone.c     the "zones" database and the zone-id counter
 *   store-node.c     nodes, delegation points, owner tallies and the
 *                    expiry index; node load/save (the query path)
 *   store-journal.c  change tracking and the "journal" database (IXFR)
 *   store-walk.c     the walk over a key prefix, and the node iterator
 *   store-cluster.c  cluster mode: the inputs a write changed (instances
 *                    and dynamic records, for etcd), the mirror's state
 *                    in "meta"
 *
 * Each file documents the databases it owns byte by byte at its top.
 */
#ifndef DNSD_STORE_STORE_INT_H
#define DNSD_STORE_STORE_INT_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/store.h"
#include "util/err.h"

/* The format version in "meta": a store written by another is refused. */
#define STORE_VERSION 2 /* 2: records carry an owner tag */

struct store {
	MDB_env *env;
	MDB_dbi meta, zones, nodes, cuts, expiry, owners, journal;
	MDB_dbi instances, ids, services; /* the service model (store-svc.c) */
	off_t file_end;    /* data.mdb's size as last seen by store_grow_ahead */
	bool grow_failed;  /* stop trying after the first failure */
	unsigned high_permille; /* store_set_high_water */
	int level;         /* enum store_level (atomic) */
	unsigned fill;     /* per mille used (atomic) */
	unsigned full_fill; /* the fill when the store was last found full */
};

/* Changes seen by store_node_put while tracking (same layout as the
 * change records of a journal entry, see store-journal.c). */
struct changes {
	uint8_t *buf;
	size_t len, cap;
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	struct store_txn *parent;
	bool write;
	bool track;
	struct changes ch;
	/* Cluster mode's scratch runs (store-cluster.c): the instances and
	 * the dynamic records (not views) the transaction changed. */
	bool track_inputs;
	struct changes in;
	/* Read transactions keep their cursors across reset/renew, so the
	 * query path never allocates (mdb_cursor_open does). */
	MDB_cursor *rcur[2];
	bool stale[2];
	/* Per snapshot (read transactions only): a zone known to have no
	 * delegations, and the last apex node read (every negative answer
	 * wants the SOA). Both are forgotten at reset and renew. */
	bool nocut_valid;
	uint32_t nocut_zone;
	bool apex_valid;
	uint32_t apex_zone;
	MDB_val apex_val;
};

/* ---- the one LMDB error map (store.c) ------------------------------------ */

/*
 * Map an LMDB return code to a dnsd_err: 0, DNSD_ENOTFOUND, DNSD_EFULL,
 * DNSD_EVERSION, an errno, else DNSD_ESTORE. Everything but success,
 * "not found" and errnos is logged with `what`. map_err_full is the whole
 * map; map_err answers the two codes of the query path without a call and
 * hands it every other one.
 */
int map_err_full(int rc, const char *what);

static inline int
map_err(int rc, const char *what)
{
	if (rc == MDB_SUCCESS)
		return 0;
	if (rc == MDB_NOTFOUND)
		return DNSD_ENOTFOUND;
	return map_err_full(rc, what);
}

/* ---- cursors -------------------------------------------------------------- */

/* The cursor slots a read transaction keeps for the query path. */
enum { CUR_NODES, CUR_CUTS };

/* A cursor on `dbi` for one operation; release it with cursor_done. A
 * read transaction reuses the cursor of `slot` (renewed once per
 * snapshot); a write transaction opens one. Returns an LMDB code. */
static inline int
cursor_get(struct store_txn *t, int slot, MDB_dbi dbi, MDB_cursor **out)
{
	int rc;
	if (t->write)
		return mdb_cursor_open(t->txn, dbi, out);
	if (t->rcur[slot] == NULL) {
		if ((rc = mdb_cursor_open(t->txn, dbi, &t->rcur[slot])) != 0)
			return rc;
	} else if (t->stale[slot]) {
		if ((rc = mdb_cursor_renew(t->txn, t->rcur[slot])) != 0)
			return rc;
	}
	t->stale[slot] = false;
	*out = t->rcur[slot];
	return 0;
}

static inline void
cursor_done(struct store_txn *t, MDB_cursor *cur)
{
	if (t->write)
		mdb_cursor_close(cur);
}

/* ---- the walk: every entry under a key prefix (store-walk.c) ------------- */

/*
 * The one loop over the entries of a database whose keys start with a
 * prefix, in key order, like Knot's knot_lmdb_foreach:
 *
 *	struct walk w;
 *	walk_foreach(&w, t, t->s->journal, zid, 4) {
 *		... w.key, w.val: the entry, valid until the transaction ends;
 *		    `break` leaves early; walk_del(&w) drops the entry ...
 *	}
 *	rc = walk_end(&w, "journal clear");
 *
 * Errors are sticky, as in wire_cur: a failed start or step ends the loop
 * and walk_end returns it. The prefix is not copied: it must stay valid
 * until walk_end.
 */
struct walk {
	MDB_cursor *cur;
	MDB_val key, val;      /* the current entry */
	const uint8_t *prefix;
	size_t plen;           /* 0: the whole database */
	int rc;                /* LMDB code: 0 while walking, MDB_NOTFOUND past
	                        * the end, else the error that stopped it */
	bool started;
};

/* Open a cursor for a walk over `dbi` under `prefix` (plen bytes). */
void walk_begin(struct walk *w, struct store_txn *t, MDB_dbi dbi, const void *prefix,
    size_t plen);
/* Step to the next entry under the prefix (the first one on the first
 * call): true with w->key and w->val set, false at the end or on error. */
bool walk_next(struct walk *w);
/* Delete the current entry (write transactions); the next walk_next
 * steps to the entry after it. False on error, which ends the walk. */
bool walk_del(struct walk *w);
/* Close the cursor: 0 if the walk ran to the end or was left early, else
 * the mapped error that stopped it (logged with `what`). */
int walk_end(struct walk *w, const char *what);

#define walk_foreach(w, t, dbi, prefix, plen) \
	for (walk_begin((w), (t), (dbi), (prefix), (plen)); walk_next(w);)

/* ---- shared between the files --------------------------------------------- */

/* store-node.c: add the entry (expire, k) to the expiry index. */
int expiry_put(struct store_txn *t, uint32_t expire, const struct store_key *k);

/* store-journal.c: append to a change buffer; remember the records a node
 * write removes and adds (called by store_node_put while tracking). */
int changes_append(struct changes *c, const void *p, size_t n);
int track_diff(struct store_txn *t, const struct store_key *k, const uint8_t *oldv,
    size_t oldlen, const uint8_t *newv, size_t newlen);

/* store-cluster.c: remember an instance written or deleted (val NULL),
 * and the input records a node write removes, adds or changes; a change
 * to a zone-file record is DNSD_EREFUSED (called while tracking inputs). */
int inputs_inst(struct store_txn *t, const struct store_key *k, const uint8_t *val, size_t len,
    uint32_t expire);
int inputs_diff(struct store_txn *t, const struct store_key *k, const uint8_t *oldv,
    size_t oldlen, const uint8_t *newv, size_t newlen);

#endif
