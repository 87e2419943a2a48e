/* zone.h -- the served zones (fixed at start-up) and zone-file import */
#ifndef DNSD_ZONE_ZONE_H
#define DNSD_ZONE_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

struct store;
struct store_txn;
struct conf_zone;

/* One served zone. The table of zones is built at start-up from the
 * configuration and never changes while serving. */
struct zone {
	uint8_t apex[WIRE_NAME_MAX]; /* lower-case wire form */
	size_t apex_len;
	unsigned labels;
	char name[WIRE_NAME_MAX * 4 + 1]; /* presentation form, for logs */
	uint32_t id;                       /* key prefix in the store */
	const struct conf_zone *conf;
	const struct zone *consul;         /* where its Consul-style names go (NULL: none) */
};

struct zonetab {
	size_t n;
	struct zone *z;
};

/* Build the table from the configuration (ids are filled by zone_open_all). */
struct conf;
int zonetab_build(struct zonetab *t, const struct conf *c);
void zonetab_free(struct zonetab *t);

/* The zone with the longest apex that `name` is at or below; NULL if none. */
const struct zone *zonetab_find(const struct zonetab *t, const uint8_t *name);

/*
 * Open every configured zone in the store: create it (with a fresh id) if
 * it is new, import its zone file when the file changed since the last
 * import (or always with `force`), and give a zone without any SOA a
 * generated SOA and NS. On error nothing of the failing zone is changed and
 * the error names the file and line. `now` stamps generated serials.
 */
int zone_open_all(struct store *s, struct zonetab *t, bool force, uint32_t now);

/* Re-import the zone files that changed (SIGHUP). Each zone is replaced in
 * one transaction: static records from the file replace the old ones,
 * records added by UPDATE stay. */
int zone_reload_all(struct store *s, struct zonetab *t, uint32_t now);

/* The SOA serial of a zone file for `apex` (cluster mode: the base its
 * serials count from), read without touching any store. */
int zone_file_serial(const char *file, const uint8_t *apex, uint32_t *serial);

/* Parse a zone file for `apex` without touching any store (dnsd -n). */
int zone_check_file(const char *file, const uint8_t *apex);

/*
 * Set a new SOA serial in the apex node after a change: old + 1 in serial
 * arithmetic (RFC 1982), or `floor` if that is ahead. Returns the new serial
 * through *serial. Runs inside the caller's write transaction.
 */
int zone_bump_serial(struct store_txn *t, const struct zone *z, uint32_t floor,
    uint32_t *serial);

/* Set the SOA serial to exactly `serial` (inside the caller's transaction). */
int zone_set_serial(struct store_txn *t, const struct zone *z, uint32_t serial);

/* The zone's SOA record (TTL and RDATA). */
struct store_soa;
int zone_soa(struct store_txn *t, const struct zone *z, struct store_soa *soa);

/*
 * Close a change to the zone in a tracking transaction: bump the serial
 * and write the tracked changes to the journal framed by `old` (the SOA
 * before the change) and the new SOA. The new serial goes to *serial.
 */
int zone_journal_change(struct store_txn *t, const struct zone *z, const struct store_soa *old,
    uint32_t *serial);

/* The current SOA serial of a zone. */
int zone_serial(struct store_txn *t, const struct zone *z, uint32_t *serial);

/*
 * The current serial of every zone of `t`, found in the store by apex (so
 * the table's ids need not be filled in yet: a reload's new table before
 * zone_open_all), into serials[0..t->n-1]; 0 for a zone the store does
 * not have or that has no SOA. Returns how many zones the store does not
 * have, or a negative error.
 */
int zone_serials(struct store *s, const struct zonetab *t, uint32_t *serials);

/*
 * Commit a write that changes nothing any reader sees (the metadata of
 * zone `z`, rewritten as it is), so that the next snapshot differs from
 * the last: whoever keys what it remembers by snapshot (the UDP workers'
 * answer caches) starts afresh, as after any commit. A configuration
 * reload that removes a zone, or changes how its answers are made, needs
 * that, since it changes no record.
 */
int zone_touch(struct store *s, const struct zone *z);

#endif
