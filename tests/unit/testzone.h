/* testzone.h -- unit-test fixture: a temporary store with zones imported
 * from zone texts through the real configuration and import code, and a
 * read transaction ready for query_answer() */
#ifndef DNSD_TESTS_TESTZONE_H
#define DNSD_TESTS_TESTZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "query/query.h"
#include "store/store.h"
#include "zone/zone.h"

/* One zone to serve: its origin and zone-file text (NULL: no file, the
 * zone gets a generated SOA and NS). */
struct testzone_src {
	const char *origin;
	const char *text;
};

struct testzone {
	char dir[64];         /* mkdtemp folder: zone files and the store */
	char store_dir[96];
	struct conf conf;
	struct zonetab zones;
	struct store *store;
	struct store_txn *txn; /* read transaction for queries */
	struct query_ctx ctx;  /* txn, zones and edns_max 1232 */
};

/*
 * Write each zone text to a file in a fresh temporary folder, and a
 * dnsd.conf with `conf` (top-level statements such as keys; NULL: none)
 * and a zone block per zone: its file and `settings[i]` (statements of a
 * zone block, e.g. "max-lease 1h; grant k1 zone A"; `settings` or an
 * entry NULL: none). Load it with conf_load, build the zone table, open a
 * store there, import with zone_open_all (at time `now`) and begin a read
 * transaction. Returns 0 or the first error.
 */
int testzone_open_conf(struct testzone *tz, const char *conf, const char *const *settings,
    const struct testzone_src *src, size_t n, uint32_t now);
/* The same without top-level settings. */
int testzone_open(struct testzone *tz, const struct testzone_src *src, size_t n, uint32_t now);

/* End the transaction, close the store, free everything and remove the
 * temporary folder. Safe on a fixture that failed to open. */
void testzone_close(struct testzone *tz);

/* Take a fresh read snapshot (after a write). */
int testzone_refresh(struct testzone *tz);

/*
 * Add one record to the node of `owner` (presentation form) in its zone,
 * in its own write transaction, merging with what is stored (node_edit),
 * then refresh the read snapshot. `expire` 0 with `dynamic` false makes a
 * static record. Returns 0 or an error.
 */
int testzone_add(struct testzone *tz, const char *owner, uint16_t type, uint32_t ttl,
    uint32_t expire, bool dynamic, const void *rdata, uint16_t rdlen);

/*
 * The same for one record in presentation form, "name ttl [class] type
 * rdata" with names relative to `origin` (parsed by ldns), added as a
 * dynamic record that expires at `expire` (0: never) and is owned by the
 * key with owner tag `owner` (node_owner_tag; 0: no key).
 */
int testzone_add_text(struct testzone *tz, const char *origin, const char *rr,
    uint32_t expire, uint32_t owner);

/*
 * A canonical dump of the zone `origin` as transaction `t` sees it (NULL:
 * the fixture's read transaction): one line per record live at `now`,
 * "name ttl TYPE rdata\n", the name relative to the origin ("@" for the
 * apex), RDATA as ldns prints it, and " ; expires +N" after a record
 * whose lease ends N seconds after `now`; lines sorted (strcmp). Returns
 * a string to free, or NULL on error.
 */
char *testzone_dump(struct testzone *tz, struct store_txn *t, const char *origin, uint32_t now);

/* A copy of `text` with its lines sorted (strcmp), each ending in a
 * newline: the form testzone_dump() returns. Free it. */
char *testzone_sort_lines(const char *text);

/* ---- temporary folders, for any unit test ---- */

/*
 * Make a fresh folder "/tmp/PREFIX.XXXXXX" (mkdtemp) and put its path in
 * dir (size bytes). Returns 0, or -1 with dir set to "".
 */
int testdir_make(char *dir, size_t size, const char *prefix);

/* Remove a folder with its files and subfolders (a few levels deep;
 * symbolic links are removed, not followed). "" or a missing folder is a
 * no-op. */
void testdir_remove(const char *dir);

/* Write text to path (created or truncated). Returns 0 or -1. */
int testfile_write(const char *path, const char *text);

#endif
