/* store-walk.c -- the walk over a key prefix, and the node iterator
 *
 * Every loop over the entries of a database under a key prefix is a walk
 * (store-int.h): the zone table (store-zone.c), the expiry index
 * (store-node.c), the journal (store-journal.c) and the nodes of a zone
 * (store_iter_*, below, for AXFR, reload and dnsdctl). No database is
 * owned here, so no format is documented here.
 */
#include "config.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"
#include "wire/wire.h"

void
walk_begin(struct walk *w, struct store_txn *t, MDB_dbi dbi, const void *prefix, size_t plen)
{
	memset(w, 0, sizeof(*w));
	w->prefix = prefix;
	w->plen = plen;
	w->rc = mdb_cursor_open(t->txn, dbi, &w->cur);
	if (w->rc != 0)
		w->cur = NULL;
}

bool
walk_next(struct walk *w)
{
	MDB_cursor_op op = MDB_NEXT;
	if (w->rc != 0)
		return false;
	if (!w->started) {
		w->started = true;
		if (w->plen == 0) {
			op = MDB_FIRST;
		} else {
			op = MDB_SET_RANGE;
			w->key.mv_size = w->plen;
			w->key.mv_data = (void *)w->prefix;
		}
	}
	if ((w->rc = mdb_cursor_get(w->cur, &w->key, &w->val, op)) != 0)
		return false;
	if (w->plen > 0 &&
	    (w->key.mv_size < w->plen || memcmp(w->key.mv_data, w->prefix, w->plen) != 0)) {
		w->rc = MDB_NOTFOUND; /* past the prefix: the end */
		return false;
	}
	return true;
}

/* LMDB leaves a cursor on the entry after the one it deleted and flags
 * it, so that MDB_NEXT returns that entry rather than skipping it. */
bool
walk_del(struct walk *w)
{
	if (w->rc == 0)
		w->rc = mdb_cursor_del(w->cur, 0);
	return w->rc == 0;
}

int
walk_end(struct walk *w, const char *what)
{
	if (w->cur != NULL)
		mdb_cursor_close(w->cur);
	w->cur = NULL;
	return w->rc == MDB_NOTFOUND ? 0 : map_err(w->rc, what);
}

/* ---- the nodes of one zone ------------------------------------------------ */

struct store_iter {
	struct walk w;
	uint8_t prefix[4]; /* the zone id */
};

int
store_iter_zone(struct store_txn *t, uint32_t zone_id, struct store_iter **out)
{
	struct store_iter *it = calloc(1, sizeof(*it));
	if (it == NULL)
		return -ENOMEM;
	wire_put32(it->prefix, zone_id);
	walk_begin(&it->w, t, t->s->nodes, it->prefix, 4);
	if (it->w.rc != 0) {
		int rc = walk_end(&it->w, "cursor");
		free(it);
		return rc;
	}
	*out = it;
	return 0;
}

int
store_iter_next(struct store_iter *it, struct store_val *key, struct store_val *val)
{
	if (!walk_next(&it->w))
		return it->w.rc == MDB_NOTFOUND ? 0 : map_err(it->w.rc, "iter");
	key->data = it->w.key.mv_data;
	key->len = it->w.key.mv_size;
	val->data = it->w.val.mv_data;
	val->len = it->w.val.mv_size;
	return 1;
}

void
store_iter_free(struct store_iter *it)
{
	if (it == NULL)
		return;
	if (it->w.cur != NULL) /* an error was reported by store_iter_next */
		mdb_cursor_close(it->w.cur);
	free(it);
}
