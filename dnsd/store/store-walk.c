/* store-walk.c -- the node iterator: the nodes of one zone in key order
 * (AXFR, reload, dnsdctl)
 *
 * No database is owned here, so no format is documented here.
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

struct store_iter {
	MDB_cursor *cur;
	uint8_t prefix[4];
	bool started;
};

int
store_iter_zone(struct store_txn *t, uint32_t zone_id, struct store_iter **out)
{
	struct store_iter *it = calloc(1, sizeof(*it));
	if (it == NULL)
		return -ENOMEM;
	int rc = mdb_cursor_open(t->txn, t->s->nodes, &it->cur);
	if (rc != 0) {
		free(it);
		return map_err(rc, "cursor");
	}
	wire_put32(it->prefix, zone_id);
	*out = it;
	return 0;
}

int
store_iter_next(struct store_iter *it, struct store_val *key, struct store_val *val)
{
	MDB_val mk = { 4, it->prefix }, mv;
	int rc = mdb_cursor_get(it->cur, &mk, &mv, it->started ? MDB_NEXT : MDB_SET_RANGE);
	it->started = true;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return map_err(rc, "iter");
	if (mk.mv_size < 4 || memcmp(mk.mv_data, it->prefix, 4) != 0)
		return 0;
	key->data = mk.mv_data;
	key->len = mk.mv_size;
	val->data = mv.mv_data;
	val->len = mv.mv_size;
	return 1;
}

void
store_iter_free(struct store_iter *it)
{
	if (it == NULL)
		return;
	mdb_cursor_close(it->cur);
	free(it);
}
