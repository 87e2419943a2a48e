/* ctl.h -- dnsdctl internals: record printing and the commands (one
 * ctl_cmd_* per subcommand).
 *
 * dnsdctl never writes the store. It opens it with store_open_readonly()
 * next to a running dnsd (LMDB allows other processes to read) and takes
 * one read transaction for the whole command, so what it prints is
 * consistent. Like every module but store/, it never sees LMDB itself.
 */
#ifndef DNSD_TOOLS_CTL_H
#define DNSD_TOOLS_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wire/wire.h"

struct conf;
struct store_txn;

/* Exit statuses: 0 ok, 1 runtime error or problem found, 2 usage error. */
enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

/* ---- ctl-store.c: the store, read-only ----------------------------------- */

/* A zone as recorded in the store's "zones" database. */
struct ctl_zone {
	uint32_t id;
	uint8_t apex[WIRE_NAME_MAX]; /* lower-case wire form */
	size_t apex_len;
	unsigned labels;
	char name[WIRE_NAME_MAX * 4 + 1]; /* presentation form, with the final dot */
};

/* Every zone in the store, ordered by id; *zones is malloc'ed (free it). */
int ctl_zones(struct store_txn *t, struct ctl_zone **zones, size_t *n);

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
	bool json;          /* -j: services as JSON */
	uint32_t now;
};

/* The store commands read the one transaction `t`. */
int ctl_cmd_zones(struct store_txn *t, const struct ctl_opts *o);
int ctl_cmd_dump(struct store_txn *t, const struct ctl_opts *o, const char *zone);
int ctl_cmd_stats(struct store_txn *t, const struct ctl_opts *o);
int ctl_cmd_leases(struct store_txn *t, const struct ctl_opts *o, const char *zone);
int ctl_cmd_journal(struct store_txn *t, const struct ctl_opts *o, const char *zone);
/* ctl-services.c: the service catalog (every zone, or ZONE). */
int ctl_cmd_services(struct store_txn *t, const struct ctl_opts *o, const char *zone);
int ctl_cmd_resolver(const struct ctl_opts *o, const char *kind);
int ctl_cmd_doctor(const struct ctl_opts *o, const char *name);

/* Find a zone of the store by presentation name; prints the error and
 * returns non-zero if it is not there. */
int ctl_zone_lookup(struct store_txn *t, const char *name, struct ctl_zone *z);

/* Print "dnsdctl: ..." on stderr (the form log messages take in dnsdctl). */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
