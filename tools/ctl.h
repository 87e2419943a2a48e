/* ctl.h -- dnsdctl internals: a read-only view of the store, record
 * printing, and the commands (one ctl_cmd_* per subcommand).
 *
 * dnsdctl never writes the store. It opens the LMDB environment read-only
 * next to a running dnsd (LMDB allows other processes to read) and takes
 * one snapshot for the whole command, so what it prints is consistent.
 */
#ifndef DNSD_TOOLS_CTL_H
#define DNSD_TOOLS_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wire/wire.h"

struct conf;

/* Exit statuses: 0 ok, 1 runtime error or problem found, 2 usage error. */
enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

/* ---- ctl-db.c: the store, read-only --------------------------------------- */

struct ctl_db;

/* A zone as recorded in the store's "zones" database. */
struct ctl_zone {
	uint32_t id;
	uint8_t apex[WIRE_NAME_MAX]; /* lower-case wire form */
	size_t apex_len;
	unsigned labels;
	char name[WIRE_NAME_MAX * 4 + 1]; /* presentation form, with the final dot */
};

/* Open the store in `dir` read-only and begin the one snapshot every later
 * call reads. Fails (without creating anything) if `dir` holds no dnsd
 * store. On error a message for the user is in `err`. */
int ctl_db_open(struct ctl_db **out, const char *dir, char *err, size_t errlen);
void ctl_db_close(struct ctl_db *db);

/* Every zone in the store, ordered by id; *zones is malloc'ed (free it). */
int ctl_db_zones(struct ctl_db *db, struct ctl_zone **zones, size_t *n);

/* Visit the nodes of one zone in key (canonical) order. A callback that
 * returns non-zero stops the walk and its value is returned. */
typedef int (*ctl_node_fn)(void *arg, const uint8_t *key, size_t keylen, const uint8_t *val,
    size_t len);
int ctl_db_nodes(struct ctl_db *db, uint32_t zone_id, ctl_node_fn fn, void *arg);

/* The node value stored under a raw key; DNSD_ENOTFOUND if there is none. */
int ctl_db_node_get(struct ctl_db *db, const uint8_t *key, size_t keylen, const uint8_t **val,
    size_t *len);

/* Visit the expiry index in deadline order (entries may be stale). */
typedef int (*ctl_expiry_fn)(void *arg, uint32_t expire, const uint8_t *key, size_t keylen);
int ctl_db_expiry(struct ctl_db *db, ctl_expiry_fn fn, void *arg);

/* Visit one zone's journal entries, oldest first (see store.c for the
 * entry layout). */
typedef int (*ctl_journal_fn)(void *arg, uint64_t seq, const uint8_t *val, size_t len);
int ctl_db_journal(struct ctl_db *db, uint32_t zone_id, ctl_journal_fn fn, void *arg);

/* Entry counts of every database and the map usage. */
struct ctl_stats {
	uint64_t zones, nodes, cuts, expiry, owners, journal;
	uint64_t map_used, map_size, page_size;
	unsigned readers, max_readers;
};
int ctl_db_stats(struct ctl_db *db, struct ctl_stats *st);

/* ---- ctl-print.c: presentation format through ldns ------------------------- */

/* Print one record as one line of presentation format (ldns), followed by
 * "\t; comment" when `comment` is not NULL. */
int ctl_rr_print(FILE *f, const uint8_t *owner, uint16_t type, uint32_t ttl,
    const uint8_t *rdata, uint16_t rdlen, const char *comment);

/* "2026-01-01T12:00:00Z" */
void ctl_time_str(uint32_t t, char *out, size_t outlen);

/* ---- the commands ------------------------------------------------------------ */

/* Options shared by the commands (see usage() in dnsdctl.c). */
enum ctl_dump_mode { DUMP_LIVE, DUMP_DYNAMIC, DUMP_STATIC, DUMP_AXFR };
struct ctl_opts {
	const char *config; /* -c */
	const char *store;  /* -s */
	struct conf *conf;  /* loaded from -c, or NULL */
	enum ctl_dump_mode mode;
	bool all;
	bool verbose;
	size_t nzones;
	const char **zones; /* --zone, repeatable */
	const char *server; /* --server */
	const char *resolv_conf; /* --resolv-conf */
	uint32_t now;
};

int ctl_cmd_zones(struct ctl_db *db, const struct ctl_opts *o);
int ctl_cmd_dump(struct ctl_db *db, const struct ctl_opts *o, const char *zone);
int ctl_cmd_stats(struct ctl_db *db, const struct ctl_opts *o);
int ctl_cmd_leases(struct ctl_db *db, const struct ctl_opts *o, const char *zone);
int ctl_cmd_journal(struct ctl_db *db, const struct ctl_opts *o, const char *zone);
int ctl_cmd_resolver(const struct ctl_opts *o, const char *kind);
int ctl_cmd_doctor(const struct ctl_opts *o, const char *name);

/* Find a zone of the store by presentation name; prints the error and
 * returns non-zero if it is not there. */
int ctl_zone_lookup(struct ctl_db *db, const char *name, struct ctl_zone *z);

/* Print "dnsdctl: ..." on stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
