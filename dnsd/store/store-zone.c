/* store-zone.c -- the zone table: the "zones" database and zone ids
 *
 * "zones"  key:   the apex name, uncompressed wire form, lower-cased
 *          value: id:u32  file_sig:u64  includes
 *
 *   id        the zone's key prefix in "nodes", "cuts", "owners" and
 *             "journal"; handed out by store_zone_create from the u32
 *             counter "zone-id" in "meta" (see store.c), never reused
 *   file_sig  signature of the zone file(s) last imported; 0 = none or
 *             unknown (forces a re-import)
 *   includes  the files $INCLUDE pulled in at that import, each path
 *             followed by a NUL; empty when there were none. A value longer
 *             than 12 + STORE_ZONE_INCLUDES_MAX reads as file_sig 0.
 *
 * Example: zone example.test, id 7, signature 0x0123456789abcdef, one
 * include "/z/a":
 *
 *   07 65 78 61 6d 70 6c 65 04 74 65 73 74 00
 *   -> 00 00 00 07  01 23 45 67 89 ab cd ef  2f 7a 2f 61 00
 *      id           file_sig                 "/z/a" NUL
 */
#include "config.h"

#include <lmdb.h>
#include <string.h>

#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"
#include "wire/wire.h"

static MDB_val
apex_key(const uint8_t *apex, uint8_t *buf)
{
	size_t n = wire_name_len(apex);
	wire_name_lower(buf, apex, n);
	return (MDB_val){ n, buf };
}

/* Decode a "zones" value (id, file signature, include list). */
static int
zone_decode(const MDB_val *v, struct store_zone *z)
{
	const uint8_t *p = v->mv_data;
	if (v->mv_size < 12)
		return DNSD_ESTORE;
	z->id = wire_get32(p);
	z->file_sig = (uint64_t)wire_get32(p + 4) << 32 | wire_get32(p + 8);
	z->includes_len = v->mv_size - 12;
	if (z->includes_len > sizeof(z->includes)) {
		z->includes_len = 0;
		z->file_sig = 0; /* unknown: forces a re-import */
	}
	memcpy(z->includes, p + 12, z->includes_len);
	return 0;
}

int
store_zone_get(struct store_txn *t, const uint8_t *apex, struct store_zone *z)
{
	uint8_t buf[WIRE_NAME_MAX];
	MDB_val k = apex_key(apex, buf), v;
	int rc = map_err(mdb_get(t->txn, t->s->zones, &k, &v), "zone get");
	return rc != 0 ? rc : zone_decode(&v, z);
}

int
store_zone_put(struct store_txn *t, const uint8_t *apex, const struct store_zone *z)
{
	uint8_t buf[WIRE_NAME_MAX], val[12 + STORE_ZONE_INCLUDES_MAX];
	size_t il = z->includes_len < STORE_ZONE_INCLUDES_MAX ? z->includes_len : 0;
	MDB_val k = apex_key(apex, buf), v = { 12 + il, val };
	memcpy(val + 12, z->includes, il);
	wire_put32(val, z->id);
	wire_put32(val + 4, (uint32_t)(z->file_sig >> 32));
	wire_put32(val + 8, (uint32_t)z->file_sig);
	return map_err(mdb_put(t->txn, t->s->zones, &k, &v, 0), "zone put");
}

int
store_zone_create(struct store_txn *t, const uint8_t *apex, struct store_zone *z)
{
	MDB_val k = { 7, "zone-id" }, v;
	uint8_t idb[4];
	uint32_t id = 0;
	int rc = mdb_get(t->txn, t->s->meta, &k, &v);
	if (rc == 0 && v.mv_size == 4)
		id = wire_get32(v.mv_data);
	else if (rc != MDB_NOTFOUND)
		return map_err(rc, "zone-id");
	id++;
	wire_put32(idb, id);
	v.mv_size = 4;
	v.mv_data = idb;
	if ((rc = map_err(mdb_put(t->txn, t->s->meta, &k, &v, 0), "zone-id")) != 0)
		return rc;
	z->id = id;
	z->file_sig = 0;
	z->includes_len = 0;
	return store_zone_put(t, apex, z);
}

int
store_zone_iter(struct store_txn *t,
    int (*fn)(void *arg, const uint8_t *apex, const struct store_zone *z), void *arg)
{
	struct walk w;
	struct store_zone z;
	int r = 0;

	walk_foreach(&w, t, t->s->zones, NULL, 0) {
		if (w.key.mv_size > WIRE_NAME_MAX ||
		    wire_name_check(w.key.mv_data, w.key.mv_size) != w.key.mv_size ||
		    zone_decode(&w.val, &z) != 0)
			continue;
		if ((r = fn(arg, w.key.mv_data, &z)) != 0)
			break;
	}
	int rc = walk_end(&w, "zone iter");
	return r != 0 ? r : rc;
}
