/* store-journal.c -- change tracking and the journal: what each write
 * removes and adds, and the "journal" database that IXFR reads
 *
 * While a write transaction tracks changes (store_track_changes), every
 * store_node_put appends to it (track_diff) one change record per record
 * removed or added, in the layout of the change records below; at the end
 * of a batch store_journal_add moves one zone's records into an entry.
 *
 * "journal"  key:   zone id:u32 + seq:u64
 *            value: from:u32 to:u32                         the serials
 *                   old SOA: ttl:u32 rdlen:u16 rdata        (RFC 1995
 *                   new SOA: ttl:u32 rdlen:u16 rdata         framing)
 *                   change*: op:u8 keylen:u16 key           node key
 *                            type:u16 ttl:u32 rdlen:u16 rdata
 *
 *   op is 0 (removed, STORE_JCHANGE_DEL) or 1 (added, STORE_JCHANGE_ADD).
 *   SOA records never appear among the changes: the two SOAs frame them
 *   as IXFR wants. A TTL change is a removal plus an addition; a lease
 *   renewal is no change. seq grows by one per entry (from 0 in an empty
 *   journal); an entry's `from` is the `to` of the one before it
 *   (store_journal_get checks the chain). The oldest entries beyond
 *   journal-size are dropped once an eighth of journal-size has piled up
 *   beyond it.
 *
 *   e.g. zone 7, entry 42, serial 2026113001 -> 2026113002, SOA TTL 3600
 *   (rdata of 40 bytes, elided), one A 10.0.0.5 TTL 60 added at
 *   web.example.test:
 *     00 00 00 07 00 00 00 00 00 00 00 2a
 *     -> 78 c4 07 e9 78 c4 07 ea                     from, to
 *        00 00 0e 10 00 28 <40 bytes>                old SOA
 *        00 00 0e 10 00 28 <40 bytes>                new SOA
 *        01 00 08 00 00 00 07 77 65 62 00            added, key
 *        00 01 00 00 00 3c 00 04 0a 00 00 05         A, TTL 60, rdata
 */
#include "config.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"
#include "wire/wire.h"

/* ---- change tracking ------------------------------------------------------ */

int
changes_append(struct changes *c, const void *p, size_t n)
{
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		while (cap < c->len + n)
			cap *= 2;
		uint8_t *b = realloc(c->buf, cap);
		if (b == NULL)
			return -ENOMEM;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	return 0;
}

/* Same order as node_edit_encode: type, RDATA bytes, RDATA length. */
static int
rr_order(uint16_t ta, const struct node_rr *a, uint16_t tb, const struct node_rr *b)
{
	if (ta != tb)
		return ta < tb ? -1 : 1;
	size_t n = a->rdlen < b->rdlen ? a->rdlen : b->rdlen;
	int c = memcmp(a->rdata, b->rdata, n);
	if (c != 0)
		return c;
	return (int)a->rdlen - (int)b->rdlen;
}

static int
track_one(struct store_txn *t, const struct store_key *k, uint8_t op, uint16_t type,
    const struct node_rr *rr)
{
	uint8_t hdr[3], mid[8];
	if (type == RR_SOA)
		return 0; /* the journal frames changes with the SOAs itself */
	hdr[0] = op;
	wire_put16(hdr + 1, k->len);
	wire_put16(mid, type);
	wire_put32(mid + 2, rr->ttl);
	wire_put16(mid + 6, rr->rdlen);
	int rc = changes_append(&t->ch, hdr, 3);
	if (rc == 0)
		rc = changes_append(&t->ch, k->b, k->len);
	if (rc == 0)
		rc = changes_append(&t->ch, mid, 8);
	if (rc == 0)
		rc = changes_append(&t->ch, rr->rdata, rr->rdlen);
	return rc;
}

/* Record what a node write removes and adds (a merge of two sorted
 * values; a TTL change is a removal plus an addition, a lease renewal is
 * no change at all). */
int
track_diff(struct store_txn *t, const struct store_key *k, const uint8_t *oldv, size_t oldlen,
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
		int c = !ha ? 1 : !hb ? -1 : rr_order(ta, &ra, tb, &rb);
		if (c < 0) {
			rc = track_one(t, k, 0, ta, &ra);
			ha = node_all_next(&a, &ta, &ra);
		} else if (c > 0) {
			rc = track_one(t, k, 1, tb, &rb);
			hb = node_all_next(&b, &tb, &rb);
		} else {
			if (ra.ttl != rb.ttl) {
				rc = track_one(t, k, 0, ta, &ra);
				if (rc == 0)
					rc = track_one(t, k, 1, tb, &rb);
			}
			ha = node_all_next(&a, &ta, &ra);
			hb = node_all_next(&b, &tb, &rb);
		}
	}
	return rc;
}

void
store_track_changes(struct store_txn *t)
{
	t->track = true;
}

/* Walk the tracked changes: returns the size of the record at `off`. */
static size_t
change_size(const uint8_t *p, size_t left)
{
	if (left < 3)
		return 0;
	size_t kl = wire_get16(p + 1);
	if (left < 3 + kl + 8)
		return 0;
	size_t rdl = wire_get16(p + 3 + kl + 6);
	if (left < 3 + kl + 8 + rdl)
		return 0;
	return 3 + kl + 8 + rdl;
}

bool
store_changes_pending(struct store_txn *t, uint32_t zone_id)
{
	uint8_t zid[4];
	wire_put32(zid, zone_id);
	for (size_t o = 0; o < t->ch.len;) {
		size_t n = change_size(t->ch.buf + o, t->ch.len - o);
		if (n == 0)
			break;
		if (memcmp(t->ch.buf + o + 3, zid, 4) == 0)
			return true;
		o += n;
	}
	return false;
}

/* ---- the journal ---------------------------------------------------------- */

/* The key of entry `seq` of a zone's journal. */
static void
journal_key(uint8_t *kb, uint32_t zone_id, uint64_t seq)
{
	wire_put32(kb, zone_id);
	wire_put32(kb + 4, (uint32_t)(seq >> 32));
	wire_put32(kb + 8, (uint32_t)seq);
}

/* The sequence number of a journal key (12 bytes). */
static uint64_t
journal_seq(const uint8_t *kb)
{
	return (uint64_t)wire_get32(kb + 4) << 32 | wire_get32(kb + 8);
}

/* The number of the zone's newest entry, if it has any (*any). */
static int
journal_last_seq(struct store_txn *t, uint32_t zone_id, uint64_t *seq, bool *any)
{
	MDB_cursor *cur;
	uint8_t kb[12];
	MDB_val k = { 12, kb }, v;
	wire_put32(kb, zone_id + 1);
	memset(kb + 4, 0, 8);
	*any = false;
	int rc = mdb_cursor_open(t->txn, t->s->journal, &cur);
	if (rc != 0)
		return map_err(rc, "cursor");
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 12 && wire_get32(k.mv_data) == zone_id) {
		*any = true;
		*seq = journal_seq(k.mv_data);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : map_err(rc, "journal last");
}

/* Drop the zone's journal entries numbered up to `last`, but only once
 * there are at least `batch` of them. */
static int
journal_trim(struct store_txn *t, uint32_t zone_id, uint64_t last, uint64_t batch)
{
	struct walk w;
	uint8_t zid[4];
	bool first = true;

	wire_put32(zid, zone_id);
	walk_foreach(&w, t, t->s->journal, zid, 4) {
		if (w.key.mv_size != 12)
			break;
		uint64_t seq = journal_seq(w.key.mv_data);
		if (seq > last || (first && last - seq + 1 < batch))
			break;
		first = false; /* trimming now: down to `last` */
		if (!walk_del(&w))
			break;
	}
	return walk_end(&w, "journal trim");
}

int
store_journal_add(struct store_txn *t, uint32_t zone_id, uint32_t from, uint32_t to,
    const struct store_soa *old_soa, const struct store_soa *new_soa, unsigned max_entries)
{
	struct changes e = { 0 };
	uint8_t hdr[8], zid[4];
	uint64_t seq = 0;
	bool any;
	int rc;

	wire_put32(zid, zone_id);
	wire_put32(hdr, from);
	wire_put32(hdr + 4, to);
	rc = changes_append(&e, hdr, 8);
	const struct store_soa *soas[2] = { old_soa, new_soa };
	for (int i = 0; rc == 0 && i < 2; i++) {
		uint8_t sh[6];
		wire_put32(sh, soas[i]->ttl);
		wire_put16(sh + 4, soas[i]->rdlen);
		rc = changes_append(&e, sh, 6);
		if (rc == 0)
			rc = changes_append(&e, soas[i]->rdata, soas[i]->rdlen);
	}
	/* Move this zone's tracked changes into the entry. */
	size_t keep = 0;
	for (size_t o = 0; rc == 0 && o < t->ch.len;) {
		size_t n = change_size(t->ch.buf + o, t->ch.len - o);
		if (n == 0)
			break;
		if (memcmp(t->ch.buf + o + 3, zid, 4) == 0) {
			rc = changes_append(&e, t->ch.buf + o, n);
		} else {
			memmove(t->ch.buf + keep, t->ch.buf + o, n);
			keep += n;
		}
		o += n;
	}
	if (rc == 0)
		t->ch.len = keep;
	if (rc == 0)
		rc = journal_last_seq(t, zone_id, &seq, &any);
	/* No journal kept: drop what an earlier one left, so that a journal
	 * started later never has a gap. */
	if (rc == 0 && max_entries == 0 && any)
		rc = store_journal_clear(t, zone_id);
	/* A full store (a commit found no room): no journal at all until it
	 * has room again, so that a commit of deletions (the reaper's) always
	 * makes room instead of taking more. IXFR falls back to AXFR. */
	if (rc == 0 && max_entries > 0 && store_level(t->s) == STORE_FULL) {
		if (any)
			rc = store_journal_clear(t, zone_id);
		max_entries = 0;
	}
	if (rc == 0 && max_entries > 0) {
		uint8_t kb[12];
		if (any)
			seq++;
		journal_key(kb, zone_id, seq);
		MDB_val k = { 12, kb }, v = { e.len, e.buf };
		rc = map_err(mdb_put(t->txn, t->s->journal, &k, &v, 0), "journal put");
		/* Drop what falls beyond journal-size once an eighth of it has
		 * piled up, all at once: dropping one entry per commit rewrote
		 * the journal's first leaf and branch pages in every commit. */
		/* Past the store's high-water mark the journal keeps a
		 * sixteenth of its depth and is trimmed at every commit: its
		 * pages are the reserve that deletes and the reaper need (a
		 * secondary that falls behind gets an AXFR instead). */
		uint64_t batch = max_entries / 8 + 1;
		if (store_level(t->s) != STORE_OK) {
			max_entries = max_entries / 16 + 1;
			batch = 1;
		}
		if (rc == 0 && seq >= max_entries)
			rc = journal_trim(t, zone_id, seq - max_entries, batch);
	}
	free(e.buf);
	return rc;
}

int
store_journal_clear(struct store_txn *t, uint32_t zone_id)
{
	struct walk w;
	uint8_t zid[4];

	wire_put32(zid, zone_id);
	walk_foreach(&w, t, t->s->journal, zid, 4) {
		if (w.key.mv_size != 12 || !walk_del(&w))
			break;
	}
	return walk_end(&w, "journal clear");
}

int
store_journal_get(struct store_txn *t, uint32_t zone_id, uint32_t from, struct store_val *entries,
    size_t max, size_t *n)
{
	struct walk w;
	uint8_t zid[4];
	bool found = false, corrupt = false;
	uint32_t next = from; /* each entry must start where the last one ended */

	*n = 0;
	wire_put32(zid, zone_id);
	walk_foreach(&w, t, t->s->journal, zid, 4) {
		if (w.key.mv_size != 12)
			break;
		if (w.val.mv_size < 8) {
			corrupt = true;
			break;
		}
		uint32_t ef = wire_get32(w.val.mv_data);
		if (!found && ef == from)
			found = true;
		if (found) {
			if (*n == max || ef != next) {
				/* too long a chain, or a broken one: the caller sends AXFR */
				found = false;
				break;
			}
			entries[(*n)++] = (struct store_val){ w.val.mv_data, w.val.mv_size };
			next = wire_get32((const uint8_t *)w.val.mv_data + 4);
		}
	}
	int rc = walk_end(&w, "journal get");
	if (rc == 0 && corrupt)
		rc = map_err(MDB_CORRUPTED, "journal get");
	if (rc != 0)
		return rc;
	return found ? 0 : DNSD_ENOTFOUND;
}

int
store_journal_iter(struct store_txn *t, uint32_t zone_id,
    int (*fn)(void *arg, uint64_t seq, struct store_val entry), void *arg)
{
	struct walk w;
	uint8_t zid[4];
	int r = 0;

	wire_put32(zid, zone_id);
	walk_foreach(&w, t, t->s->journal, zid, 4) {
		if (w.key.mv_size != 12)
			break;
		struct store_val e = { w.val.mv_data, w.val.mv_size };
		if ((r = fn(arg, journal_seq(w.key.mv_data), e)) != 0)
			break;
	}
	int rc = walk_end(&w, "journal iter");
	return r != 0 ? r : rc;
}

/* ---- reading an entry ----------------------------------------------------- */

/* One SOA of an entry's header at *p: ttl:u32 rdlen:u16 rdata. */
static bool
jsoa_parse(const uint8_t **p, const uint8_t *end, struct store_jsoa *soa)
{
	if (end - *p < 6)
		return false;
	soa->ttl = wire_get32(*p);
	soa->rdlen = wire_get16(*p + 4);
	if ((size_t)(end - *p) - 6 < soa->rdlen)
		return false;
	soa->rdata = *p + 6;
	*p += 6 + soa->rdlen;
	return true;
}

int
store_jentry_parse(struct store_val e, struct store_jentry *out)
{
	const uint8_t *p = e.data, *end = e.data + e.len;
	if (e.len < 8)
		return DNSD_EMALF;
	out->from = wire_get32(p);
	out->to = wire_get32(p + 4);
	p += 8;
	if (!jsoa_parse(&p, end, &out->old_soa) || !jsoa_parse(&p, end, &out->new_soa))
		return DNSD_EMALF;
	out->changes = p;
	out->changes_len = (size_t)(end - p);
	return 0;
}

int
store_jchange_next(const uint8_t **p, const uint8_t *end, struct store_jchange *c)
{
	const uint8_t *q = *p;
	size_t left = (size_t)(end - q);
	if (left == 0)
		return 0;
	/* op:u8 keylen:u16 key type:u16 ttl:u32 rdlen:u16 rdata */
	if (left < 3)
		return DNSD_EMALF;
	c->op = q[0];
	c->keylen = wire_get16(q + 1);
	if (c->op > STORE_JCHANGE_ADD || c->keylen < 4 || c->keylen > STORE_KEY_MAX ||
	    left - 3 < c->keylen + 8)
		return DNSD_EMALF;
	c->key = q + 3;
	const uint8_t *mid = c->key + c->keylen;
	c->type = wire_get16(mid);
	c->ttl = wire_get32(mid + 2);
	c->rdlen = wire_get16(mid + 6);
	if (left - 3 - c->keylen - 8 < c->rdlen)
		return DNSD_EMALF;
	c->rdata = mid + 8;
	*p = c->rdata + c->rdlen;
	return 1;
}

