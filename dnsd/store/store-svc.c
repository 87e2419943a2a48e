/* store-svc.c -- the service model's databases: instances, their Consul
 * IDs, and a summary per service
 *
 *   "instances" key:   the node key (store-key.c) of the instance's DNS-SD
 *                      name inst._svc._proto.D, so a service's instances
 *                      are the keys under its own name's key
 *               value: the instance (svc.h, byte by byte there)
 *               A lease puts the entry (expire, key) in the expiry index
 *               (store-node.c), which the reaper shares with the nodes.
 *               e.g. web-3._web._tcp.example.test in zone 7:
 *                 00 00 00 07 5f 74 63 70 00 5f 77 65 62 00 77 65 62 2d 33 00
 *                 -> 01 01 00 0f ... (svc.h)
 *
 *   "ids"       key:   a Consul service ID, UTF-8, as given
 *               value: the instance key (as above)
 *               e.g. "web-3" -> 00 00 00 07 5f 74 63 70 00 ...
 *
 *   "services"  key:   the node key of the service name _svc._proto.D
 *               value: the service's summary (svc/catalog.c): what its
 *                      views looked like when last derived
 *
 *   "meta"      "catalog-index" -> u64, raised by every commit that changes
 *               an instance (the X-Consul-Index of blocking queries)
 */
#include "config.h"

#include <lmdb.h>
#include <string.h>

#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"
#include "wire/wire.h"

static MDB_val
key_val(const struct store_key *k)
{
	return (MDB_val){ k->len, (void *)k->b };
}

int
store_inst_get(struct store_txn *t, const struct store_key *k, struct store_val *v)
{
	MDB_val mk = key_val(k), mv;
	int rc = mdb_get(t->txn, t->s->instances, &mk, &mv);
	if (rc != 0)
		return map_err(rc, "instance get");
	v->data = mv.mv_data;
	v->len = mv.mv_size;
	return 0;
}

int
store_inst_put(struct store_txn *t, const struct store_key *k, const uint8_t *val, size_t len,
    uint32_t expire)
{
	MDB_val mk = key_val(k), mv = { len, (void *)val };
	int rc = map_err(mdb_put(t->txn, t->s->instances, &mk, &mv, 0), "instance put");
	if (rc == 0 && expire != 0)
		rc = expiry_put(t, expire, k);
	if (rc == 0 && t->track_inputs)
		rc = inputs_inst(t, k, val, len, expire);
	return rc;
}

int
store_inst_del(struct store_txn *t, const struct store_key *k)
{
	MDB_val mk = key_val(k);
	int rc = mdb_del(t->txn, t->s->instances, &mk, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return map_err(rc, "instance del");
	return t->track_inputs ? inputs_inst(t, k, NULL, 0, 0) : 0;
}

/* A walk over `dbi` under a prefix, calling fn for each entry. */
static int
walk_fn(struct store_txn *t, MDB_dbi dbi, const uint8_t *prefix, size_t plen,
    int (*fn)(void *arg, struct store_val key, struct store_val val), void *arg,
    const char *what)
{
	struct walk w;
	int r = 0;
	walk_foreach(&w, t, dbi, prefix, plen) {
		struct store_val k = { w.key.mv_data, w.key.mv_size }, v = { w.val.mv_data, w.val.mv_size };
		if ((r = fn(arg, k, v)) != 0)
			break;
	}
	int rc = walk_end(&w, what);
	return r != 0 ? r : rc;
}

int
store_inst_walk(struct store_txn *t, const uint8_t *prefix, size_t plen,
    int (*fn)(void *arg, struct store_val key, struct store_val val), void *arg)
{
	return walk_fn(t, t->s->instances, prefix, plen, fn, arg, "instance walk");
}

int
store_inst_id_get(struct store_txn *t, const char *id, struct store_key *k)
{
	MDB_val mk = { strlen(id), (void *)id }, mv;
	if (mk.mv_size == 0 || mk.mv_size > STORE_KEY_MAX)
		return DNSD_ENOTFOUND;
	int rc = mdb_get(t->txn, t->s->ids, &mk, &mv);
	if (rc != 0)
		return map_err(rc, "id get");
	return store_key_parse(k, mv.mv_data, mv.mv_size);
}

int
store_inst_id_put(struct store_txn *t, const char *id, const struct store_key *k)
{
	MDB_val mk = { strlen(id), (void *)id }, mv = key_val(k);
	if (mk.mv_size == 0 || mk.mv_size > STORE_KEY_MAX)
		return DNSD_ETOOBIG;
	return map_err(mdb_put(t->txn, t->s->ids, &mk, &mv, 0), "id put");
}

int
store_inst_id_del(struct store_txn *t, const char *id)
{
	MDB_val mk = { strlen(id), (void *)id };
	if (mk.mv_size == 0 || mk.mv_size > STORE_KEY_MAX)
		return 0;
	int rc = mdb_del(t->txn, t->s->ids, &mk, NULL);
	return rc == MDB_NOTFOUND ? 0 : map_err(rc, "id del");
}

int
store_svc_get(struct store_txn *t, const struct store_key *k, struct store_val *v)
{
	MDB_val mk = key_val(k), mv;
	int rc = mdb_get(t->txn, t->s->services, &mk, &mv);
	if (rc != 0)
		return map_err(rc, "service get");
	v->data = mv.mv_data;
	v->len = mv.mv_size;
	return 0;
}

int
store_svc_put(struct store_txn *t, const struct store_key *k, const uint8_t *val, size_t len)
{
	MDB_val mk = key_val(k), mv = { len, (void *)val };
	if (len == 0) {
		int rc = mdb_del(t->txn, t->s->services, &mk, NULL);
		return rc == MDB_NOTFOUND ? 0 : map_err(rc, "service del");
	}
	return map_err(mdb_put(t->txn, t->s->services, &mk, &mv, 0), "service put");
}

int
store_svc_walk(struct store_txn *t, const uint8_t *prefix, size_t plen,
    int (*fn)(void *arg, struct store_val key, struct store_val val), void *arg)
{
	return walk_fn(t, t->s->services, prefix, plen, fn, arg, "service walk");
}

int
store_catalog_index(struct store_txn *t, uint64_t *index)
{
	MDB_val mk = { 13, "catalog-index" }, mv;
	int rc = mdb_get(t->txn, t->s->meta, &mk, &mv);
	*index = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return map_err(rc, "catalog index");
	if (mv.mv_size == 8)
		*index = (uint64_t)wire_get32(mv.mv_data) << 32 | wire_get32((uint8_t *)mv.mv_data + 4);
	return 0;
}

int
store_catalog_bump(struct store_txn *t, uint64_t *index)
{
	uint8_t b[8];
	int rc = store_catalog_index(t, index);
	if (rc != 0)
		return rc;
	(*index)++;
	wire_put32(b, (uint32_t)(*index >> 32));
	wire_put32(b + 4, (uint32_t)*index);
	MDB_val mk = { 13, "catalog-index" }, mv = { 8, b };
	return map_err(mdb_put(t->txn, t->s->meta, &mk, &mv, 0), "catalog index");
}
