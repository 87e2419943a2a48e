/* store.c -- the LMDB store (the only file that includes <lmdb.h>)
 *
 * One LMDB environment (a directory holding data.mdb and lock.mdb) with
 * these named databases. Integers are big-endian so keys sort numerically.
 *
 *   "meta"    "version"  -> u32 format version (STORE_VERSION)
 *             "zone-id"  -> u32 last zone id handed out
 *
 *   "zones"   apex name, uncompressed lower-case wire form
 *             -> id:u32 file_sig:u64 includes (NUL-separated paths, may be empty)
 *             e.g. 03 73 76 63 04 74 65 73 74 00 -> 00 00 00 07 <8 bytes sig>
 *
 *   "nodes"   node key (see struct store_key in store.h)
 *             -> node value (see node.h): every RRset of one owner name
 *
 *   "cuts"    node key of a delegation point (NS below the apex) -> empty
 *
 *   "expiry"  expire:u32 + node key -> empty
 *             the earliest expiry of a node's dynamic records; the reaper
 *             walks this from the front, so it never scans the zone
 *             e.g. 65 6f 2a 10 00 00 00 07 77 65 62 00 -> ""
 *
 *   "owners"  zone id:u32 + owner tag:u32 -> count:u32
 *             how many dynamic records each TSIG key owns in each zone
 *             (for the per-key cap); kept in step by store_node_put
 *
 *   "journal" zone id:u32 + seq:u64 -> one change of serial (IXFR)
 *             from:u32 to:u32
 *             old SOA: ttl:u32 rdlen:u16 rdata   new SOA: ttl:u32 rdlen:u16 rdata
 *             change*: op:u8 (0 removed, 1 added) keylen:u16 node key
 *                      type:u16 ttl:u32 rdlen:u16 rdata
 *             SOA records never appear among the changes; the two SOAs
 *             frame them as IXFR (RFC 1995) wants. seq grows by one per
 *             entry; the oldest entries beyond journal-size are dropped
 *             once an eighth of journal-size has piled up.
 *             e.g. 00 00 00 07 00..00 2a -> 78 b4 5e 01 78 b4 5e 02 ...
 *
 * data.mdb may end in zeros beyond LMDB's last page: room written ahead by
 * store_grow_ahead, which LMDB never reads.
 */
#include "config.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/node.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"

#define STORE_VERSION 2 /* 2: records carry an owner tag */
#define STORE_DEFAULT_MAP (4ULL << 30)

struct store {
	MDB_env *env;
	MDB_dbi meta, zones, nodes, cuts, expiry, owners, journal;
	off_t file_end;    /* data.mdb's size as last seen by store_grow_ahead */
	bool grow_failed;  /* stop trying after the first failure */
};

/* Changes seen by store_node_put while tracking (same layout as the
 * change records of a journal entry). */
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

enum { CUR_NODES, CUR_CUTS };

/* A cursor on `dbi` for one operation; release it with cursor_done. */
static int
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

static void
cursor_done(struct store_txn *t, MDB_cursor *cur)
{
	if (t->write)
		mdb_cursor_close(cur);
}

struct store_iter {
	MDB_cursor *cur;
	uint8_t prefix[4];
	bool started;
};

/* Map every LMDB error to a dnsd_err in one place. */
static int
map_err(int rc, const char *what)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return DNSD_ENOTFOUND;
	case MDB_MAP_FULL:
		log_err("store: %s: %s", what, mdb_strerror(rc));
		return DNSD_EFULL;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
		log_err("store: %s: %s", what, mdb_strerror(rc));
		return DNSD_EVERSION;
	default:
		if (rc > 0 && rc < 1000)
			return -rc; /* an errno */
		log_err("store: %s: %s", what, mdb_strerror(rc));
		return DNSD_ESTORE;
	}
}

int
store_key_make(struct store_key *k, uint32_t zone_id, const uint8_t *name,
    unsigned apex_labels)
{
	const uint8_t *labels[128];
	unsigned n = 0;

	for (const uint8_t *p = name; *p != 0; p += *p + 1) {
		if (n == 128)
			return DNSD_ETOOBIG;
		labels[n++] = p;
	}
	if (n < apex_labels)
		return DNSD_ETOOBIG;
	wire_put32(k->b, zone_id);
	size_t o = 4;
	k->depth = 0;
	for (unsigned i = n - apex_labels; i-- > 0;) {
		const uint8_t *l = labels[i];
		for (uint8_t j = 1; j <= l[0]; j++) {
			uint8_t c = l[j];
			if (o + 3 > STORE_KEY_MAX)
				return DNSD_ETOOBIG;
			if (c <= 1) {
				k->b[o++] = 1;
				k->b[o++] = (uint8_t)(c + 1);
			} else {
				k->b[o++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
			}
		}
		if (o + 1 > STORE_KEY_MAX)
			return DNSD_ETOOBIG;
		k->b[o++] = 0;
		k->ends[k->depth++] = (uint16_t)o;
	}
	k->len = (uint16_t)o;
	return 0;
}

void
store_key_truncate(struct store_key *k, unsigned depth)
{
	if (depth >= k->depth)
		return;
	k->depth = (uint8_t)depth;
	k->len = depth == 0 ? 4 : k->ends[depth - 1];
}

int
store_key_parse(struct store_key *k, const uint8_t *key, size_t keylen)
{
	if (keylen < 4 || keylen > STORE_KEY_MAX)
		return DNSD_EMALF;
	memcpy(k->b, key, keylen);
	k->len = (uint16_t)keylen;
	k->depth = 0;
	for (size_t i = 4; i < keylen; i++) {
		if (key[i] == 1) {
			i++;
			continue;
		}
		if (key[i] == 0) {
			if (k->depth == 128)
				return DNSD_EMALF;
			k->ends[k->depth++] = (uint16_t)(i + 1);
		}
	}
	if (keylen > 4 && key[keylen - 1] != 0)
		return DNSD_EMALF;
	return 0;
}

size_t
store_key_to_name(const uint8_t *key, size_t keylen, const uint8_t *apex, uint8_t *out)
{
	struct store_key k;
	uint8_t labels[WIRE_NAME_MAX];
	size_t n = 0, apexlen = wire_name_len(apex);

	if (store_key_parse(&k, key, keylen) != 0)
		return 0;
	/* Decode labels from the deepest (leftmost in the name) upwards. */
	for (unsigned d = k.depth; d-- > 0;) {
		size_t start = d == 0 ? 4 : k.ends[d - 1], end = k.ends[d] - 1;
		size_t lenpos = n++;
		uint8_t len = 0;
		for (size_t i = start; i < end; i++) {
			uint8_t c = key[i];
			if (c == 1)
				c = (uint8_t)(key[++i] - 1);
			if (n >= WIRE_NAME_MAX || len == WIRE_LABEL_MAX)
				return 0;
			labels[n++] = c;
			len++;
		}
		labels[lenpos] = len;
	}
	if (n + apexlen > WIRE_NAME_MAX)
		return 0;
	memcpy(out, labels, n);
	memcpy(out + n, apex, apexlen);
	return n + apexlen;
}

/* The dnsd_err of an LMDB error the caller has logged already. */
static int
quiet_err(int rc)
{
	if (rc == MDB_NOTFOUND)
		return DNSD_ENOTFOUND;
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
		return DNSD_EVERSION;
	return rc > 0 && rc < 1000 ? -rc : DNSD_ESTORE;
}

/*
 * Open the environment and its databases. Read-write creates what is
 * missing and stamps the format version; read-only (dnsdctl) creates
 * nothing and refuses a folder that holds no dnsd store.
 */
static int
open_env(struct store **out, const char *dir, uint64_t mapsize, bool readonly)
{
	static const char *names[] = { "meta", "zones", "nodes", "cuts", "expiry", "owners",
		"journal" };
	struct store *s;
	MDB_txn *txn = NULL;
	struct stat st;
	char path[4096];
	int rc;

	if (readonly) {
		/* LMDB would create lock.mdb before it finds no data.mdb. */
		snprintf(path, sizeof(path), "%s/data.mdb", dir);
		if (stat(dir, &st) != 0) {
			rc = -errno;
			log_err("store %s: %s", dir, strerror(errno));
			return rc;
		}
		if (stat(path, &st) != 0) {
			log_err("store %s: no data.mdb (not a dnsd store, or dnsd never ran)", dir);
			return DNSD_ENOTFOUND;
		}
	} else if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		rc = -errno;
		log_err("store: cannot create %s: %s", dir, strerror(errno));
		return rc;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	MDB_dbi *dbis[] = { &s->meta, &s->zones, &s->nodes, &s->cuts, &s->expiry, &s->owners,
		&s->journal };
	if ((rc = mdb_env_create(&s->env)) != 0)
		goto fail;
	mdb_env_set_maxdbs(s->env, 8);
	mdb_env_set_maxreaders(s->env, 256);
	if (!readonly)
		mdb_env_set_mapsize(s->env, mapsize ? mapsize : STORE_DEFAULT_MAP);
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS | (readonly ? MDB_RDONLY : 0), 0640)) != 0 ||
	    (rc = mdb_txn_begin(s->env, NULL, readonly ? MDB_RDONLY : 0, &txn)) != 0)
		goto fail;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = mdb_dbi_open(txn, names[i], readonly ? 0 : MDB_CREATE, dbis[i]);
		if (rc == MDB_NOTFOUND) {
			log_err("store %s: no \"%s\" database (not a dnsd store)", dir, names[i]);
			rc = DNSD_ENOTFOUND;
			goto fail_logged;
		}
		if (rc != 0)
			goto fail;
	}
	MDB_val k = { 7, "version" }, v;
	uint8_t ver[4];
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == MDB_NOTFOUND && !readonly) {
		wire_put32(ver, STORE_VERSION);
		v.mv_size = 4;
		v.mv_data = ver;
		if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) != 0)
			goto fail;
	} else if (rc != 0 || v.mv_size != 4 || wire_get32(v.mv_data) != STORE_VERSION) {
		log_err("store %s: written by another format version (this one reads %d)", dir,
		    STORE_VERSION);
		rc = DNSD_EVERSION;
		goto fail_logged;
	}
	/* Committing keeps the database handles for later transactions. */
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	log_err("store %s: %s", dir, mdb_strerror(rc));
	rc = quiet_err(rc);
fail_logged:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s);
	return rc;
}

int
store_open(struct store **out, const char *dir, uint64_t mapsize)
{
	return open_env(out, dir, mapsize, false);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	mdb_env_close(s->env);
	free(s);
}

static int
txn_begin(struct store *s, bool write, struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc != 0) {
		free(t);
		return map_err(rc, "txn_begin");
	}
	t->s = s;
	t->write = write;
	*out = t;
	return 0;
}

int
store_write_nested(struct store_txn *parent, struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	int rc = mdb_txn_begin(parent->s->env, parent->txn, 0, &t->txn);
	if (rc != 0) {
		free(t);
		return map_err(rc, "nested txn_begin");
	}
	t->s = parent->s;
	t->write = true;
	t->parent = parent;
	t->track = parent->track;
	*out = t;
	return 0;
}

int
store_read_begin(struct store *s, struct store_txn **out)
{
	return txn_begin(s, false, out);
}

void
store_read_reset(struct store_txn *t)
{
	mdb_txn_reset(t->txn);
	t->stale[0] = t->stale[1] = true;
	t->nocut_valid = t->apex_valid = false;
}

int
store_read_renew(struct store_txn *t)
{
	t->stale[0] = t->stale[1] = true;
	t->nocut_valid = t->apex_valid = false;
	return map_err(mdb_txn_renew(t->txn), "txn_renew");
}

uint64_t
store_read_snapshot(const struct store_txn *t)
{
	return mdb_txn_id(t->txn);
}

int
store_write_begin(struct store *s, struct store_txn **out)
{
	return txn_begin(s, true, out);
}

static int
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

/*
 * Keep written, synced zeros ahead of the last page LMDB uses. LMDB
 * extends data.mdb by writing past its end, and then every commit's
 * fdatasync also has to allocate the blocks and write the inode (the new
 * size) before it returns: measured here, that is about a sixth of a
 * commit while a store grows. With room written ahead, a commit only
 * writes its pages. LMDB never reads beyond its last page, so the zeros are
 * invisible to it. When less than an eighth of the used size (between 1
 * and 64 MiB) is left, it writes up to twice that, never past the map
 * size. One call writes at most GROW_STEP, a few milliseconds of disk
 * time, so that the batch after it is not held up long when a large store
 * (a big zone just imported) first makes room.
 */
#define GROW_MIN (1 << 20)
#define GROW_MAX (64 << 20)
#define GROW_STEP (4 << 20)
void
store_grow_ahead(struct store *s)
{
	MDB_envinfo info;
	MDB_stat st;
	int fd;
	if (s->grow_failed || mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0 ||
	    mdb_env_get_fd(s->env, &fd) != 0)
		return;
	off_t used = ((off_t)info.me_last_pgno + 1) * st.ms_psize;
	off_t room = used / 8 < GROW_MIN ? GROW_MIN : used / 8 > GROW_MAX ? GROW_MAX : used / 8;
	if (s->file_end >= used + room)
		return;
	struct stat fs;
	if (fstat(fd, &fs) != 0)
		return;
	s->file_end = fs.st_size;
	off_t target = used + 2 * room;
	if (target - s->file_end > GROW_STEP)
		target = s->file_end + GROW_STEP;
	if (target > (off_t)info.me_mapsize)
		target = (off_t)info.me_mapsize;
	if (s->file_end >= used + room || s->file_end >= target)
		return;
	static const uint8_t zeros[64 << 10];
	off_t at = s->file_end;
	errno = 0;
	while (at < target) {
		size_t n = target - at < (off_t)sizeof(zeros) ? (size_t)(target - at) : sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, n, at);
		if (w <= 0)
			break;
		at += w;
	}
	if (at < target || fdatasync(fd) != 0) {
		log_warn("store: cannot write ahead of data.mdb (%s); commits stay slower",
		    strerror(errno != 0 ? errno : ENOSPC));
		if (ftruncate(fd, s->file_end) != 0)
			log_warn("store: data.mdb keeps %lld bytes of zeros at its end",
			    (long long)(at - s->file_end));
		s->grow_failed = true;
		return;
	}
	s->file_end = at;
}

int
store_commit(struct store_txn *t)
{
	int rc = 0;
	/* A child's changes become the parent's. */
	if (t->parent != NULL && t->ch.len > 0)
		rc = changes_append(&t->parent->ch, t->ch.buf, t->ch.len);
	if (rc == 0)
		rc = map_err(mdb_txn_commit(t->txn), "commit");
	else
		mdb_txn_abort(t->txn);
	free(t->ch.buf);
	free(t);
	return rc;
}

void
store_abort(struct store_txn *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < 2; i++)
		if (t->rcur[i] != NULL)
			mdb_cursor_close(t->rcur[i]);
	mdb_txn_abort(t->txn);
	free(t->ch.buf);
	free(t);
}

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
store_node_get(struct store_txn *t, const struct store_key *k, struct store_val *v)
{
	MDB_val mk = { k->len, (void *)k->b }, mv;
	uint32_t zone = wire_get32(k->b);
	if (k->depth == 0 && t->apex_valid && t->apex_zone == zone) {
		v->data = t->apex_val.mv_data;
		v->len = t->apex_val.mv_size;
		return 0;
	}
	int rc = mdb_get(t->txn, t->s->nodes, &mk, &mv);
	if (rc != 0)
		return map_err(rc, "node get");
	if (k->depth == 0 && !t->write) {
		t->apex_valid = true;
		t->apex_zone = zone;
		t->apex_val = mv;
	}
	v->data = mv.mv_data;
	v->len = mv.mv_size;
	return 0;
}

/* Depth of the longest common ancestor of key k and raw key `o`, counting
 * only whole labels; both must share the 4-byte zone prefix. */
static unsigned
common_depth(const struct store_key *k, const uint8_t *o, size_t olen)
{
	if (olen < 4 || memcmp(k->b, o, 4) != 0)
		return 0;
	unsigned d = 0;
	while (d < k->depth) {
		size_t end = k->ends[d];
		if (olen < end || memcmp(k->b, o, end) != 0)
			break;
		d++;
	}
	return d;
}

/* store_node_find and store_node_find_absent: with `absent`, a node stored
 * at k itself is stepped over as if it were not there. */
static int
node_find(struct store_txn *t, const struct store_key *k, struct store_find *f, bool absent)
{
	MDB_cursor *cur;
	MDB_val mk = { k->len, (void *)k->b }, mv;
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = cursor_get(t, CUR_NODES, t->s->nodes, &cur)) != 0)
		return map_err(rc, "cursor");
	rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);
	bool self = rc == 0 && mk.mv_size == k->len && memcmp(mk.mv_data, k->b, k->len) == 0;
	if (self && !absent) {
		f->found = true;
		f->ce_depth = k->depth;
		f->v.data = mv.mv_data;
		f->v.len = mv.mv_size;
		goto out;
	}
	if (self)
		rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		rc = map_err(rc, "cursor get");
		goto done;
	}
	unsigned ce = 0;
	if (rc == 0) {
		/* The successor: a descendant of k makes k an empty non-terminal. */
		if (mk.mv_size > k->len && memcmp(mk.mv_data, k->b, k->len) == 0) {
			f->ent = true;
			f->ce_depth = k->depth;
			goto out;
		}
		ce = common_depth(k, mk.mv_data, mk.mv_size);
		rc = mdb_cursor_get(cur, &mk, &mv, MDB_PREV);
	} else {
		rc = mdb_cursor_get(cur, &mk, &mv, MDB_LAST);
	}
	if (rc == 0 && self) /* that was k itself: one more back */
		rc = mdb_cursor_get(cur, &mk, &mv, MDB_PREV);
	if (rc == 0) {
		unsigned d = common_depth(k, mk.mv_data, mk.mv_size);
		if (d > ce)
			ce = d;
	}
	f->ce_depth = ce;
out:
	rc = 0;
done:
	cursor_done(t, cur);
	return rc;
}

int
store_node_find(struct store_txn *t, const struct store_key *k, struct store_find *f)
{
	return node_find(t, k, f, false);
}

int
store_node_find_absent(struct store_txn *t, const struct store_key *k, struct store_find *f)
{
	return node_find(t, k, f, true);
}

static bool
node_expiry_min(const uint8_t *val, size_t len, uint32_t *min)
{
	struct node_all_it a;
	struct node_rr rr;
	uint16_t type;
	bool any = false;
	node_all_init(&a, val, len);
	while (node_all_next(&a, &type, &rr)) {
		if (rr.expire != 0 && (!any || rr.expire < *min)) {
			*min = rr.expire;
			any = true;
		}
	}
	return any;
}

/* Per-owner record counts of one node value: up to 16 distinct owners. */
struct owner_tally {
	unsigned n;
	uint32_t tag[16];
	int32_t count[16];
};

static void
tally(struct owner_tally *t, const uint8_t *val, size_t len, int sign)
{
	struct node_all_it a;
	struct node_rr rr;
	uint16_t type;
	node_all_init(&a, val, len);
	while (node_all_next(&a, &type, &rr)) {
		if (rr.owner == 0)
			continue;
		unsigned i = 0;
		while (i < t->n && t->tag[i] != rr.owner)
			i++;
		if (i == t->n) {
			if (t->n == 16)
				continue;
			t->tag[t->n] = rr.owner;
			t->count[t->n++] = 0;
		}
		t->count[i] += sign;
	}
}

/* Apply the change in owned-record counts between two node values. */
static int
owners_update(struct store_txn *t, const struct store_key *k, const uint8_t *oldv,
    size_t oldlen, const uint8_t *newv, size_t newlen)
{
	struct owner_tally d = { 0 };
	tally(&d, oldv, oldlen, -1);
	tally(&d, newv, newlen, +1);
	for (unsigned i = 0; i < d.n; i++) {
		if (d.count[i] == 0)
			continue;
		uint8_t kb[8], vb[4];
		memcpy(kb, k->b, 4);
		wire_put32(kb + 4, d.tag[i]);
		MDB_val ok = { 8, kb }, ov;
		int64_t n = 0;
		int rc = mdb_get(t->txn, t->s->owners, &ok, &ov);
		if (rc == 0 && ov.mv_size == 4)
			n = wire_get32(ov.mv_data);
		else if (rc != 0 && rc != MDB_NOTFOUND)
			return map_err(rc, "owners get");
		n += d.count[i];
		if (n <= 0) {
			rc = mdb_del(t->txn, t->s->owners, &ok, NULL);
			if (rc != 0 && rc != MDB_NOTFOUND)
				return map_err(rc, "owners del");
			continue;
		}
		wire_put32(vb, (uint32_t)n);
		ov.mv_size = 4;
		ov.mv_data = vb;
		if ((rc = mdb_put(t->txn, t->s->owners, &ok, &ov, 0)) != 0)
			return map_err(rc, "owners put");
	}
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
static int
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
		*seq = (uint64_t)wire_get32((uint8_t *)k.mv_data + 4) << 32 |
		    wire_get32((uint8_t *)k.mv_data + 8);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : map_err(rc, "journal last");
}

static void
journal_key(uint8_t *kb, uint32_t zone_id, uint64_t seq)
{
	wire_put32(kb, zone_id);
	wire_put32(kb + 4, (uint32_t)(seq >> 32));
	wire_put32(kb + 8, (uint32_t)seq);
}

/* Drop the zone's journal entries numbered up to `last`, but only once
 * there are at least `batch` of them. */
static int
journal_trim(struct store_txn *t, uint32_t zone_id, uint64_t last, uint64_t batch)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(t->txn, t->s->journal, &cur);
	if (rc != 0)
		return map_err(rc, "cursor");
	for (;;) {
		uint8_t sk[12];
		MDB_val ck = { 12, sk }, cv;
		journal_key(sk, zone_id, 0);
		if ((rc = mdb_cursor_get(cur, &ck, &cv, MDB_SET_RANGE)) != 0)
			break;
		if (ck.mv_size != 12 || wire_get32(ck.mv_data) != zone_id)
			break;
		const uint8_t *kb = ck.mv_data;
		uint64_t first = (uint64_t)wire_get32(kb + 4) << 32 | wire_get32(kb + 8);
		if (first > last || last - first + 1 < batch)
			break;
		batch = 1; /* trimming now: down to `last` */
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return map_err(rc == MDB_NOTFOUND ? 0 : rc, "journal trim");
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
		if (rc == 0 && seq >= max_entries)
			rc = journal_trim(t, zone_id, seq - max_entries, max_entries / 8 + 1);
	}
	free(e.buf);
	return rc;
}

int
store_journal_clear(struct store_txn *t, uint32_t zone_id)
{
	for (;;) {
		MDB_cursor *cur;
		uint8_t sk[12];
		MDB_val ck = { 12, sk }, cv;
		journal_key(sk, zone_id, 0);
		int rc = mdb_cursor_open(t->txn, t->s->journal, &cur);
		if (rc != 0)
			return map_err(rc, "cursor");
		rc = mdb_cursor_get(cur, &ck, &cv, MDB_SET_RANGE);
		bool drop = rc == 0 && ck.mv_size == 12 && wire_get32(ck.mv_data) == zone_id;
		if (drop)
			rc = mdb_cursor_del(cur, 0);
		mdb_cursor_close(cur);
		if (!drop)
			return 0;
		if (rc != 0)
			return map_err(rc, "journal clear");
	}
}

int
store_journal_get(struct store_txn *t, uint32_t zone_id, uint32_t from, struct store_val *entries,
    size_t max, size_t *n)
{
	MDB_cursor *cur;
	uint8_t sk[12];
	MDB_val ck = { 12, sk }, cv;
	bool found = false;
	uint32_t next = from; /* each entry must start where the last one ended */
	*n = 0;
	journal_key(sk, zone_id, 0);
	int rc = mdb_cursor_open(t->txn, t->s->journal, &cur);
	if (rc != 0)
		return map_err(rc, "cursor");
	rc = mdb_cursor_get(cur, &ck, &cv, MDB_SET_RANGE);
	while (rc == 0 && ck.mv_size == 12 && wire_get32(ck.mv_data) == zone_id) {
		if (cv.mv_size < 8) {
			rc = MDB_CORRUPTED;
			break;
		}
		uint32_t ef = wire_get32(cv.mv_data);
		if (!found && ef == from)
			found = true;
		if (found) {
			if (*n == max || ef != next) {
				/* too long a chain, or a broken one: the caller sends AXFR */
				rc = MDB_NOTFOUND;
				found = false;
				break;
			}
			entries[(*n)++] = (struct store_val){ cv.mv_data, cv.mv_size };
			next = wire_get32((const uint8_t *)cv.mv_data + 4);
		}
		rc = mdb_cursor_get(cur, &ck, &cv, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return map_err(rc, "journal get");
	return found ? 0 : DNSD_ENOTFOUND;
}

int
store_owner_count(struct store_txn *t, uint32_t zone_id, uint32_t tag, uint32_t *count)
{
	uint8_t kb[8];
	wire_put32(kb, zone_id);
	wire_put32(kb + 4, tag);
	MDB_val ok = { 8, kb }, ov;
	int rc = mdb_get(t->txn, t->s->owners, &ok, &ov);
	*count = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return map_err(rc, "owners get");
	if (ov.mv_size == 4)
		*count = wire_get32(ov.mv_data);
	return 0;
}

int
store_node_put(struct store_txn *t, const struct store_key *k, const uint8_t *val, size_t len)
{
	MDB_val mk = { k->len, (void *)k->b }, mv = { len, (void *)val }, empty = { 0, "" };
	MDB_val old;
	struct node_rrset ns;
	int rc;

	/* Owned-record counts follow every change of a node, whoever makes it
	 * (UPDATE, reaper, reload). The old value is read before the write
	 * invalidates it. */
	rc = mdb_get(t->txn, t->s->nodes, &mk, &old);
	if (rc == MDB_NOTFOUND) {
		old.mv_size = 0;
		old.mv_data = NULL;
	} else if (rc != 0) {
		return map_err(rc, "node get");
	}
	if ((rc = owners_update(t, k, old.mv_data, old.mv_size, val, len)) != 0)
		return rc;
	if (t->track && (rc = track_diff(t, k, old.mv_data, old.mv_size, val, len)) != 0)
		return rc;

	if (len == 0) {
		rc = mdb_del(t->txn, t->s->nodes, &mk, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return map_err(rc, "node del");
	} else if ((rc = mdb_put(t->txn, t->s->nodes, &mk, &mv, 0)) != 0) {
		return map_err(rc, "node put");
	}

	if (k->depth > 0) {
		if (len > 0 && node_rrset_find(val, len, RR_NS, &ns)) {
			rc = mdb_put(t->txn, t->s->cuts, &mk, &empty, 0);
		} else {
			rc = mdb_del(t->txn, t->s->cuts, &mk, NULL);
			if (rc == MDB_NOTFOUND)
				rc = 0;
		}
		if (rc != 0)
			return map_err(rc, "cut put");
	}

	uint32_t min = 0;
	if (len > 0 && node_expiry_min(val, len, &min)) {
		uint8_t ek[4 + STORE_KEY_MAX];
		wire_put32(ek, min);
		memcpy(ek + 4, k->b, k->len);
		MDB_val ekv = { 4 + (size_t)k->len, ek };
		if (ekv.mv_size > 511)
			return DNSD_ETOOBIG;
		if ((rc = mdb_put(t->txn, t->s->expiry, &ekv, &empty, 0)) != 0)
			return map_err(rc, "expiry put");
	}
	return 0;
}

int
store_cut_find(struct store_txn *t, const struct store_key *k, unsigned *depth)
{
	MDB_cursor *cur;
	MDB_val mk = { 4, (void *)k->b }, mv;
	int rc;

	*depth = 0;
	if (k->depth == 0)
		return 0;
	/* Fast path: most zones have no delegations at all, and a read
	 * snapshot remembers that for its zone. */
	uint32_t zone = wire_get32(k->b);
	if (t->nocut_valid && t->nocut_zone == zone)
		return 0;
	if ((rc = cursor_get(t, CUR_CUTS, t->s->cuts, &cur)) != 0)
		return map_err(rc, "cursor");
	rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);
	cursor_done(t, cur);
	if (rc == MDB_NOTFOUND || (rc == 0 && memcmp(mk.mv_data, k->b, 4) != 0)) {
		if (!t->write) {
			t->nocut_valid = true;
			t->nocut_zone = zone;
		}
		return 0;
	}
	if (rc != 0)
		return map_err(rc, "cut find");
	for (unsigned d = 1; d <= k->depth; d++) {
		MDB_val pk = { k->ends[d - 1], (void *)k->b };
		rc = mdb_get(t->txn, t->s->cuts, &pk, &mv);
		if (rc == 0) {
			*depth = d;
			return 0;
		}
		if (rc != MDB_NOTFOUND)
			return map_err(rc, "cut get");
	}
	return 0;
}

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

int
store_expiry_first(struct store_txn *t, uint32_t *expire, struct store_key *k)
{
	MDB_cursor *cur;
	MDB_val mk, mv;
	int rc = mdb_cursor_open(t->txn, t->s->expiry, &cur);
	if (rc != 0)
		return map_err(rc, "cursor");
	rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST);
	if (rc == 0) {
		if (mk.mv_size < 8) {
			rc = DNSD_ESTORE;
		} else {
			*expire = wire_get32(mk.mv_data);
			rc = store_key_parse(k, (const uint8_t *)mk.mv_data + 4, mk.mv_size - 4);
		}
	} else {
		rc = map_err(rc, "expiry first");
	}
	mdb_cursor_close(cur);
	return rc;
}

int
store_expiry_del(struct store_txn *t, uint32_t expire, const struct store_key *k)
{
	uint8_t ek[4 + STORE_KEY_MAX];
	wire_put32(ek, expire);
	memcpy(ek + 4, k->b, k->len);
	MDB_val mk = { 4 + (size_t)k->len, ek };
	int rc = mdb_del(t->txn, t->s->expiry, &mk, NULL);
	return rc == MDB_NOTFOUND ? 0 : map_err(rc, "expiry del");
}

int
store_stats(struct store_txn *t, struct store_stats *st)
{
	MDB_stat ms;
	MDB_envinfo ei;
	memset(st, 0, sizeof(*st));
	if (mdb_stat(t->txn, t->s->nodes, &ms) == 0)
		st->nodes = ms.ms_entries;
	if (mdb_stat(t->txn, t->s->expiry, &ms) == 0)
		st->expiry_entries = ms.ms_entries;
	if (mdb_stat(t->txn, t->s->zones, &ms) == 0)
		st->zones = ms.ms_entries;
	if (mdb_stat(t->txn, t->s->cuts, &ms) == 0)
		st->cuts = ms.ms_entries;
	if (mdb_stat(t->txn, t->s->owners, &ms) == 0)
		st->owners = ms.ms_entries;
	if (mdb_stat(t->txn, t->s->journal, &ms) == 0)
		st->journal_entries = ms.ms_entries;
	if (mdb_env_info(t->s->env, &ei) == 0) {
		mdb_env_stat(t->s->env, &ms);
		st->map_used = (uint64_t)(ei.me_last_pgno + 1) * ms.ms_psize;
		st->map_size = ei.me_mapsize;
		st->page_size = ms.ms_psize;
		st->readers = ei.me_numreaders;
		st->max_readers = ei.me_maxreaders;
	}
	return 0;
}

/* ---- read-only access and whole-database walks (dnsdctl) ----------------- */


int
store_open_readonly(struct store **out, const char *dir)
{
	return open_env(out, dir, 0, true);
}

int
store_zone_iter(struct store_txn *t,
    int (*fn)(void *arg, const uint8_t *apex, const struct store_zone *z), void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct store_zone z;
	int rc, r = 0;

	if ((rc = mdb_cursor_open(t->txn, t->s->zones, &cur)) != 0)
		return map_err(rc, "cursor");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size > WIRE_NAME_MAX || wire_name_check(k.mv_data, k.mv_size) != k.mv_size ||
		    zone_decode(&v, &z) != 0)
			continue;
		if ((r = fn(arg, k.mv_data, &z)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (r != 0)
		return r;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : map_err(rc, "zone iter");
}

int
store_expiry_iter(struct store_txn *t,
    int (*fn)(void *arg, uint32_t expire, const struct store_key *k), void *arg)
{
	MDB_cursor *cur;
	MDB_val mk, mv;
	struct store_key k;
	int rc, r = 0;

	if ((rc = mdb_cursor_open(t->txn, t->s->expiry, &cur)) != 0)
		return map_err(rc, "cursor");
	for (rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
		const uint8_t *p = mk.mv_data;
		if (mk.mv_size < 8 || store_key_parse(&k, p + 4, mk.mv_size - 4) != 0)
			continue;
		if ((r = fn(arg, wire_get32(p), &k)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (r != 0)
		return r;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : map_err(rc, "expiry iter");
}

int
store_journal_iter(struct store_txn *t, uint32_t zone_id,
    int (*fn)(void *arg, uint64_t seq, struct store_val entry), void *arg)
{
	MDB_cursor *cur;
	uint8_t kb[12];
	MDB_val k = { 12, kb }, v;
	int rc, r = 0;

	journal_key(kb, zone_id, 0);
	if ((rc = mdb_cursor_open(t->txn, t->s->journal, &cur)) != 0)
		return map_err(rc, "cursor");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		if (k.mv_size != 12 || wire_get32(p) != zone_id)
			break;
		uint64_t seq = (uint64_t)wire_get32(p + 4) << 32 | wire_get32(p + 8);
		if ((r = fn(arg, seq, (struct store_val){ v.mv_data, v.mv_size })) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (r != 0)
		return r;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : map_err(rc, "journal iter");
}

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
