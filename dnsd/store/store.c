/* store.c -- the store's environment: open/close, transactions, the one
 * LMDB error map, grow-ahead and stats
 *
 * One LMDB environment (a directory holding data.mdb and lock.mdb) with
 * seven named databases. Integers are big-endian so keys sort
 * numerically. Each database is documented byte by byte at the top of the
 * file that owns it:
 *
 *   "meta"     here
 *   "zones"    store-zone.c  (apex name -> zone id, file signature, includes)
 *   "nodes"    store-node.c  (node key, see store-key.c -> node value, node.h)
 *   "cuts"     store-node.c  (delegation points)
 *   "expiry"   store-node.c  (earliest lease end of each node)
 *   "owners"   store-node.c  (dynamic records per TSIG key and zone)
 *   "journal"  store-journal.c (changes of serial, for IXFR)
 *
 * "meta" holds these entries; the keys are ASCII without a terminating NUL:
 *
 *   "version"  (76 65 72 73 69 6f 6e)      -> u32 format version
 *   "zone-id"  (7a 6f 6e 65 2d 69 64)      -> u32 last zone id handed out
 *                                             (written by store-zone.c)
 *   "catalog-index"                        -> u64 (store-svc.c)
 *   "cluster-rev", "cluster-zone" + apex   cluster mode's mirror (store-cluster.c)
 *
 *   e.g. 76 65 72 73 69 6f 6e -> 00 00 00 02    (STORE_VERSION 2)
 *        7a 6f 6e 65 2d 69 64 -> 00 00 00 07    (zones 1..7 were created)
 *
 * A store whose "version" is not STORE_VERSION is refused, read-write or
 * read-only; a new store gets it stamped when it is first opened.
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

#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"

#define STORE_DEFAULT_MAP (4ULL << 30)

/* A write met MDB_MAP_FULL since the last commit measured the store (there
 * is one store per process: LMDB allows one open of an environment). */
static int map_full_seen;

/* Map every LMDB error to a dnsd_err in one place (see store-int.h). */
int
map_err_full(int rc, const char *what)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return DNSD_ENOTFOUND;
	case MDB_MAP_FULL:
		/* Every update and every retry of the reaper meets it while the
		 * store is full: one line a minute, with the count. */
		__atomic_store_n(&map_full_seen, 1, __ATOMIC_RELAXED);
		log_limited(LOG_LVL_ERR, "store-map-full", 60, "store: %s: %s (store-size reached)",
		    what, mdb_strerror(rc));
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

static void level_measure(struct store *s);

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
		"journal", "instances", "ids", "services" };
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
	s->high_permille = 900;
	MDB_dbi *dbis[] = { &s->meta, &s->zones, &s->nodes, &s->cuts, &s->expiry, &s->owners,
		&s->journal, &s->instances, &s->ids, &s->services };
	if ((rc = mdb_env_create(&s->env)) != 0)
		goto fail;
	mdb_env_set_maxdbs(s->env, 16);
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
	if (!readonly)
		level_measure(s);
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

int
store_open_readonly(struct store **out, const char *dir)
{
	return open_env(out, dir, 0, true);
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
	t->track_inputs = parent->track_inputs;
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

/*
 * Fullness. LMDB's last page only grows (freed pages are reused, never
 * given back), so the pages in use are the last page less the pages on
 * the free list (some of which may still be held by an old reader: the
 * estimate errs on the side of "room"). Walking the free list costs one
 * read per free-list record; it is done only once the last page is past
 * the high-water mark, at most once per write commit.
 */
static uint64_t
freelist_pages(MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t n = 0;
	if (mdb_cursor_open(txn, 0 /* FREE_DBI */, &c) != 0)
		return 0;
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0)
		if (v.mv_size >= sizeof(size_t))
			n += *(const size_t *)v.mv_data; /* an IDL: its count first */
	mdb_cursor_close(c);
	return n;
}

static void
level_measure(struct store *s)
{
	MDB_envinfo info;
	MDB_stat st;
	MDB_txn *txn;
	if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0 ||
	    st.ms_psize == 0)
		return;
	uint64_t pages = info.me_mapsize / st.ms_psize;
	uint64_t used = (uint64_t)info.me_last_pgno + 1;
	if (pages == 0)
		return;
	unsigned mark = s->level != STORE_OK && s->high_permille > 50 ? s->high_permille - 50
	                                                              : s->high_permille;
	if (used * 1000 >= pages * mark &&
	    mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) == 0) {
		uint64_t fr = freelist_pages(txn);
		mdb_txn_abort(txn);
		used = fr < used ? used - fr : 0;
	}
	unsigned fill = (unsigned)(used * 1000 / pages);
	/* Past the mark, stay there until 5 points below it: a delete or two
	 * must not let adds in and out again at every commit. */
	unsigned low = s->high_permille > 50 ? s->high_permille - 50 : 0;
	int was = __atomic_load_n(&s->level, __ATOMIC_RELAXED);
	int level = fill >= s->high_permille || (was != STORE_OK && fill >= low) ? STORE_HIGH
	                                                                        : STORE_OK;
	/* Full (a commit found no room, e.g. for a large value that needs
	 * contiguous pages) lasts until 5 points below where it happened. */
	if (was == STORE_FULL && fill + 50 > s->full_fill)
		level = STORE_FULL;
	__atomic_store_n(&s->level, level, __ATOMIC_RELAXED);
	__atomic_store_n(&s->fill, fill, __ATOMIC_RELAXED);
	__atomic_store_n(&map_full_seen, 0, __ATOMIC_RELAXED);
	if (was != level && level == STORE_HIGH && was == STORE_OK)
		log_limited(LOG_LVL_WARN, "store-level high", 60,
		    "store: %u.%u%% of store-size in use, at the high-water mark: updates that add "
		    "records are refused, deletes and expiry go on", fill / 10, fill % 10);
	else if (was != level && level == STORE_OK)
		log_limited(LOG_LVL_INFO, "store-level ok", 60,
		    "store: %u.%u%% of store-size in use: below the high-water mark again", fill / 10,
		    fill % 10);
}

/* A write failed for want of room: FULL until a commit measures again. */
static void
level_full(struct store *s)
{
	if (__atomic_exchange_n(&map_full_seen, 0, __ATOMIC_RELAXED) != 0 &&
	    __atomic_exchange_n(&s->level, STORE_FULL, __ATOMIC_RELAXED) != STORE_FULL) {
		s->full_fill = __atomic_load_n(&s->fill, __ATOMIC_RELAXED);
		log_limited(LOG_LVL_WARN, "store-level full", 60,
		    "store: full (store-size reached): adds refused, journals dropped; deletes and "
		    "expiry go on");
	}
}

enum store_level
store_level(const struct store *s)
{
	return (enum store_level)__atomic_load_n(&s->level, __ATOMIC_RELAXED);
}

unsigned
store_fill_permille(const struct store *s)
{
	return __atomic_load_n(&s->fill, __ATOMIC_RELAXED);
}

void
store_set_high_water(struct store *s, unsigned percent)
{
	if (percent >= 1 && percent <= 100)
		s->high_permille = percent * 10;
	level_measure(s);
}

int
store_commit(struct store_txn *t)
{
	int rc = 0;
	/* A child's changes become the parent's. */
	if (t->parent != NULL && t->ch.len > 0)
		rc = changes_append(&t->parent->ch, t->ch.buf, t->ch.len);
	if (rc == 0 && t->parent != NULL && t->in.len > 0)
		rc = changes_append(&t->parent->in, t->in.buf, t->in.len);
	if (rc == 0)
		rc = map_err(mdb_txn_commit(t->txn), "commit");
	else
		mdb_txn_abort(t->txn);
	if (t->write && t->parent == NULL) {
		if (rc == 0)
			level_measure(t->s);
		else
			level_full(t->s);
	}
	free(t->ch.buf);
	free(t->in.buf);
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
	if (t->write && t->parent == NULL)
		level_full(t->s);
	free(t->ch.buf);
	free(t->in.buf);
	free(t);
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
