/* layout.h -- cluster mode's data in etcd: its keys and values
 *
 * etcd holds the inputs of the service model, per zone, and nothing that
 * a node derives (the views of svc/view.c): every node derives those
 * itself while it applies the inputs, so their answers are the same.
 * Keys, after the configured prefix (e.g. "/dnsd/"):
 *
 *   z/<zone>/i/<instance>               a service instance; value: svc.h's
 *                                       encoding (it carries the lease end)
 *   z/<zone>/r/<owner>/<type>/<hash>    one dynamic record that is not a
 *                                       view; value below
 *   z/<zone>/version                    put by every write to the zone
 *                                       (value: the writing node's name);
 *                                       writes compare its mod_revision
 *   z/<zone>/serial                     a serial floor: a revision, in
 *                                       decimal, that the zone's serial
 *                                       must have reached (written after
 *                                       a node resynchronised)
 *
 * Names are absolute, in presentation form, lower case, with '/' written
 * \047 so that '/' only separates; <type> is the record type in decimal;
 * <hash> is the first 16 bytes of the SHA-256 of the RDATA as stored, in
 * lower-case hex. Records and instances with a lease are attached to an
 * etcd lease that ends after it, so etcd deletes them when it has run
 * out, whether or not a node is up.
 *
 * A record's value (integers big-endian):
 *
 *   version:u8 (1)  ttl:u32  expire:u32  owner:u32  flags:u8  rdata
 *
 * e.g. z/svc.example.test./r/host1.svc.example.test./1/8c5f...  (A 10.0.0.5,
 * TTL 60, lease until 0x65000000, owner tag 0x9a3c51e2, dynamic):
 *   01  00 00 00 3c  65 00 00 00  9a 3c 51 e2  01  0a 00 00 05
 *
 * Pure code: no etcd, no store.
 */
#ifndef DNSD_CLUSTER_LAYOUT_H
#define DNSD_CLUSTER_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

/* The longest name in presentation form (every byte as \DDD) plus a NUL. */
#define LAYOUT_NAME_MAX (WIRE_NAME_MAX * 4 + 1)
/* The longest key: two names, a type and a hash. */
#define LAYOUT_KEY_MAX (2 * LAYOUT_NAME_MAX + 64)
#define LAYOUT_HASH_LEN 16
/* A record value's fixed part. */
#define LAYOUT_REC_HDR 14

enum layout_kind {
	LAYOUT_OTHER,     /* not ours (a newer version's, or garbage) */
	LAYOUT_INSTANCE,
	LAYOUT_RECORD,
	LAYOUT_VERSION,
	LAYOUT_SERIAL,
};

/* A key, parsed. */
struct layout_key {
	enum layout_kind kind;
	uint8_t zone[WIRE_NAME_MAX];   /* the zone's apex (wire form) */
	uint8_t name[WIRE_NAME_MAX];   /* the instance, or the record's owner */
	uint16_t type;                 /* a record's type */
	uint8_t hash[LAYOUT_HASH_LEN]; /* a record's RDATA hash */
};

/* A record's value, decoded; rdata points into the value. */
struct layout_rec {
	uint32_t ttl, expire, owner;
	uint8_t flags;
	const uint8_t *rdata;
	uint16_t rdlen;
};

/* A name as keys write it (lower case, '/' escaped) into `out`
 * (LAYOUT_NAME_MAX bytes); returns its length. */
size_t layout_name(const uint8_t *name, char *out);

/* Keys, into `out` (LAYOUT_KEY_MAX bytes); each returns the length. */
size_t layout_key_zone(char *out, const uint8_t *zone); /* "z/<zone>/": the zone's prefix */
size_t layout_key_instance(char *out, const uint8_t *zone, const uint8_t *name);
size_t layout_key_record(char *out, const uint8_t *zone, const uint8_t *owner, uint16_t type,
    const uint8_t *rdata, uint16_t rdlen);
size_t layout_key_version(char *out, const uint8_t *zone);
size_t layout_key_serial(char *out, const uint8_t *zone);

/* Read a key (without the prefix). Returns 0, with k->kind LAYOUT_OTHER
 * for a key that is not one of the above. */
int layout_parse(const uint8_t *key, size_t len, struct layout_key *k);

/* The hash of an RDATA, as record keys carry it. */
void layout_rdata_hash(const uint8_t *rdata, uint16_t rdlen, uint8_t out[LAYOUT_HASH_LEN]);

/* A record's value into `out` (LAYOUT_REC_HDR + rdlen bytes); returns the
 * length. */
size_t layout_rec_encode(const struct layout_rec *r, uint8_t *out);
/* Decode a record's value; DNSD_EMALF if it is not one. */
int layout_rec_decode(const uint8_t *val, size_t len, struct layout_rec *r);

#endif
