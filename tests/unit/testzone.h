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
 * Write each zone text to a file in a fresh temporary folder, configure
 * the zones with conf_add_zone("origin:file"), build the zone table, open
 * a store there, import with zone_open_all (at time `now`) and begin a
 * read transaction. Returns 0 or the first error.
 */
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
