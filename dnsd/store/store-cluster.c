/* store-cluster.c -- cluster mode's side of the store: the inputs a
 * scratch run changed, and the mirror's state in "meta"
 *
 * Inputs (store_track_inputs) are kept in a buffer of the transaction, as
 * records of this layout (integers big-endian):
 *
 *   input := op:u8 keylen:u16 key type:u16 ttl:u32 expire:u32 owner:u32
 *            flags:u8 len:u32 data
 *
 *   op    0 instance deleted, 1 instance written (data: its value,
 *         expire: its lease end; the other fields 0),
 *         2 record removed (type, data: its RDATA), 3 record added or
 *         changed (every field as it is now)
 *   key   the node key of the instance, or of the record's owner
 *
 *   e.g. A 10.0.0.5, TTL 60, expiring at 0x65000000, owner tag
 *   0x9a3c51e2, added at web.example.test in zone 7:
 *     03 00 08 00 00 00 07 77 65 62 00  00 01  00 00 00 3c  65 00 00 00
 *     op keylen key                     type   ttl          expire
 *     9a 3c 51 e2  01  00 00 00 04  0a 00 00 05
 *     owner        fl  len          rdata
 *
 * A child transaction's inputs join its parent's when it commits, as its
 * journal changes do.
 *
 * "meta" entries of the mirror (keys ASCII without a NUL):
 *
 *   "cluster-rev"            -> rev:u64 prefix{...}   the etcd revision last
 *                               applied, and the etcd prefix followed
 *   "cluster-zone" + apex    -> version:u64 serial_rev:u64
 *                               (apex: wire form, lower case)
 *
 *   e.g. 63 6c 75 73 74 65 72 2d 72 65 76 -> 00 00 00 00 00 00 04 d2 2f 64 6e 73 64 2f
 *        "cluster-rev"                       revision 1234            "/dnsd/"
 */
#include "config.h"

#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"
#include "wire/wire.h"

/* ---- inputs ----------------------------------------------------------------- */

#define INPUT_HDR 19 /* type ttl expire owner flags len */

void
store_track_inputs(struct store_txn *t)
{
	t->track_inputs = true;
}

size_t
store_inputs_mark(const struct store_txn *t)
{
	return t->in.len;
}

uint8_t *
store_inputs_take(struct store_txn *t, size_t *len)
{
	uint8_t *b = t->in.buf;
	*len = t->in.len;
	t->in.buf = NULL;
	t->in.len = t->in.cap = 0;
	return b;
}

static int
input_add(struct store_txn *t, uint8_t op, const struct store_key *k, uint16_t type,
    const struct node_rr *rr, const uint8_t *data, size_t len)
{
	uint8_t h[3], m[INPUT_HDR];
	h[0] = op;
	wire_put16(h + 1, k->len);
	wire_put16(m, type);
	wire_put32(m + 2, rr != NULL ? rr->ttl : 0);
	wire_put32(m + 6, rr != NULL ? rr->expire : 0);
	wire_put32(m + 10, rr != NULL ? rr->owner : 0);
	m[14] = rr != NULL ? rr->flags : 0;
	wire_put32(m + 15, (uint32_t)len);
	int rc = changes_append(&t->in, h, 3);
	if (rc == 0)
		rc = changes_append(&t->in, k->b, k->len);
	if (rc == 0)
		rc = changes_append(&t->in, m, INPUT_HDR);
	if (rc == 0 && len > 0)
		rc = changes_append(&t->in, data, len);
	return rc;
}

int
inputs_inst(struct store_txn *t, const struct store_key *k, const uint8_t *val, size_t len,
    uint32_t expire)
{
	struct node_rr lease = { .expire = expire };
	return input_add(t, val != NULL ? STORE_INPUT_INST_PUT : STORE_INPUT_INST_DEL, k, 0,
	    val != NULL ? &lease : NULL, val, val != NULL ? len : 0);
}

/* A record the model keeps in etcd: dynamic and not derived. */
static bool
is_input(const struct node_rr *rr)
{
	return (rr->flags & NODE_RR_DYNAMIC) && !(rr->flags & NODE_RR_VIEW);
}

static bool
is_static(const struct node_rr *rr)
{
	return !(rr->flags & NODE_RR_DYNAMIC);
}

/* The order of node values: type, RDATA bytes, RDATA length. */
static int
rec_order(uint16_t ta, const struct node_rr *a, uint16_t tb, const struct node_rr *b)
{
	if (ta != tb)
		return ta < tb ? -1 : 1;
	size_t n = a->rdlen < b->rdlen ? a->rdlen : b->rdlen;
	int c = memcmp(a->rdata, b->rdata, n);
	return c != 0 ? c : (int)a->rdlen - (int)b->rdlen;
}

/* A record that is in the old value only (a) or the new one only (b). */
static int
one_side(struct store_txn *t, const struct store_key *k, uint16_t type, const struct node_rr *rr,
    bool added)
{
	if (is_static(rr))
		return DNSD_EREFUSED;
	if (!is_input(rr))
		return 0;
	return added ? input_add(t, STORE_INPUT_REC_PUT, k, type, rr, rr->rdata, rr->rdlen)
	             : input_add(t, STORE_INPUT_REC_DEL, k, type, rr, rr->rdata, rr->rdlen);
}

/* The same record (type and RDATA) before and after. A zone-file
 * record whose TTL changed is no refusal: an RRset has one TTL, and the
 * records added to it (RFC 2181 section 5.2, update.c) or derived into it
 * (view.c) set it; every node does the same as it applies them. */
static int
both_sides(struct store_txn *t, const struct store_key *k, uint16_t type, const struct node_rr *a,
    const struct node_rr *b)
{
	if (is_static(a) || is_static(b))
		return is_static(a) && is_static(b) ? 0 : DNSD_EREFUSED;
	if (is_input(b) && (!is_input(a) || a->ttl != b->ttl || a->expire != b->expire ||
	        a->owner != b->owner || a->flags != b->flags))
		return input_add(t, STORE_INPUT_REC_PUT, k, type, b, b->rdata, b->rdlen);
	if (is_input(a) && !is_input(b))
		return input_add(t, STORE_INPUT_REC_DEL, k, type, a, a->rdata, a->rdlen);
	return 0;
}

int
inputs_diff(struct store_txn *t, const struct store_key *k, const uint8_t *oldv, size_t oldlen,
    const uint8_t *newv, size_t newlen)
{
	struct node_all_it a, b;
	struct node_rr ra, rb;
	uint16_t ta = 0, tb = 0;
	node_all_init(&a, oldv, oldlen);
	node_all_init(&b, newv, newlen);
	bool ha = node_all_next(&a, &ta, &ra), hb = node_all_next(&b, &tb, &rb);
	int rc = 0;
	while (rc == 0 && (ha || hb)) {
		int c = !ha ? 1 : !hb ? -1 : rec_order(ta, &ra, tb, &rb);
		if (c < 0) {
			rc = one_side(t, k, ta, &ra, false);
			ha = node_all_next(&a, &ta, &ra);
		} else if (c > 0) {
			rc = one_side(t, k, tb, &rb, true);
			hb = node_all_next(&b, &tb, &rb);
		} else {
			rc = both_sides(t, k, ta, &ra, &rb);
			ha = node_all_next(&a, &ta, &ra);
			hb = node_all_next(&b, &tb, &rb);
		}
	}
	return rc;
}

int
store_input_next(const uint8_t **p, const uint8_t *end, struct store_input *in)
{
	const uint8_t *q = *p;
	size_t left = (size_t)(end - q);
	if (left == 0)
		return 0;
	if (left < 3)
		return DNSD_EMALF;
	in->op = q[0];
	in->keylen = wire_get16(q + 1);
	if (in->op > STORE_INPUT_REC_PUT || in->keylen < 4 || in->keylen > STORE_KEY_MAX ||
	    left - 3 < in->keylen + INPUT_HDR)
		return DNSD_EMALF;
	in->key = q + 3;
	const uint8_t *m = in->key + in->keylen;
	in->type = wire_get16(m);
	in->ttl = wire_get32(m + 2);
	in->expire = wire_get32(m + 6);
	in->owner = wire_get32(m + 10);
	in->flags = m[14];
	in->len = wire_get32(m + 15);
	if (left - 3 - in->keylen - INPUT_HDR < in->len)
		return DNSD_EMALF;
	in->data = m + INPUT_HDR;
	*p = in->data + in->len;
	return 1;
}

/* ---- journal changes since a mark -------------------------------------------- */

size_t
store_changes_mark(const struct store_txn *t)
{
	return t->ch.len;
}

struct store_val
store_changes_since(const struct store_txn *t, size_t mark)
{
	if (mark > t->ch.len)
		mark = t->ch.len;
	return (struct store_val){ t->ch.buf + mark, t->ch.len - mark };
}

/* ---- the mirror's state --------------------------------------------------------- */

static void
put64(uint8_t *p, int64_t v)
{
	wire_put32(p, (uint32_t)((uint64_t)v >> 32));
	wire_put32(p + 4, (uint32_t)v);
}

static int64_t
get64(const uint8_t *p)
{
	return (int64_t)((uint64_t)wire_get32(p) << 32 | wire_get32(p + 4));
}

int
store_mirror_get(struct store_txn *t, int64_t *rev, char *prefix, size_t size)
{
	MDB_val k = { 11, "cluster-rev" }, v;
	int rc = mdb_get(t->txn, t->s->meta, &k, &v);
	*rev = 0;
	if (size > 0)
		prefix[0] = '\0';
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return map_err(rc, "mirror get");
	if (v.mv_size < 8)
		return DNSD_ESTORE;
	*rev = get64(v.mv_data);
	size_t n = v.mv_size - 8;
	if (size > 0) {
		if (n >= size)
			n = size - 1;
		memcpy(prefix, (const uint8_t *)v.mv_data + 8, n);
		prefix[n] = '\0';
	}
	return 0;
}

int
store_mirror_put(struct store_txn *t, int64_t rev, const char *prefix)
{
	uint8_t b[8 + STORE_MIRROR_PREFIX_MAX];
	size_t n = strlen(prefix);
	if (n > STORE_MIRROR_PREFIX_MAX)
		return DNSD_ETOOBIG;
	put64(b, rev);
	memcpy(b + 8, prefix, n);
	MDB_val k = { 11, "cluster-rev" }, v = { 8 + n, b };
	return map_err(mdb_put(t->txn, t->s->meta, &k, &v, 0), "mirror put");
}

static MDB_val
zone_key(const uint8_t *apex, uint8_t *b)
{
	size_t n = wire_name_len(apex);
	memcpy(b, "cluster-zone", 12);
	wire_name_lower(b + 12, apex, n);
	return (MDB_val){ 12 + n, b };
}

int
store_mirror_zone_get(struct store_txn *t, const uint8_t *apex, struct store_mirror_zone *z)
{
	uint8_t kb[12 + WIRE_NAME_MAX];
	MDB_val k = zone_key(apex, kb), v;
	int rc = mdb_get(t->txn, t->s->meta, &k, &v);
	memset(z, 0, sizeof(*z));
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return map_err(rc, "mirror zone get");
	if (v.mv_size != 16)
		return DNSD_ESTORE;
	z->version = get64(v.mv_data);
	z->serial_rev = get64((const uint8_t *)v.mv_data + 8);
	return 0;
}

int
store_mirror_zone_put(struct store_txn *t, const uint8_t *apex, const struct store_mirror_zone *z)
{
	uint8_t kb[12 + WIRE_NAME_MAX], vb[16];
	MDB_val k = zone_key(apex, kb), v = { 16, vb };
	put64(vb, z->version);
	put64(vb + 8, z->serial_rev);
	return map_err(mdb_put(t->txn, t->s->meta, &k, &v, 0), "mirror zone put");
}
