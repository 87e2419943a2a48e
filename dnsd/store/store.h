/* store.h -- the LMDB store: zones, nodes, the expiry index, delegation
 * points and the change journal.
 *
 * Only the files of dnsd/store/ include <lmdb.h> (store-int.h says which
 * file owns what); no LMDB type appears here. Data returned by a read
 * (struct store_val) points into the memory map and is valid until the
 * transaction that read it ends or is reset.
 */
#ifndef DNSD_STORE_STORE_H
#define DNSD_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* LMDB's maximum key size is 511 bytes: 4 bytes of zone id and up to 507
 * bytes of encoded labels. */
#define STORE_KEY_MAX 511

struct store;
struct store_txn;
struct node_edit;

/* Bytes read from the store; valid until the transaction ends or resets. */
struct store_val {
	const uint8_t *data;
	size_t len;
};

/*
 * A node key (byte by byte at the top of store-key.c): the zone id (u32,
 * big-endian) followed by the owner's labels *below the zone apex*, from
 * the one nearest the apex to the leftmost, each label lower-cased and
 * followed by a 0x00 separator. Inside labels 0x00 is written 0x01 0x01
 * and 0x01 is written 0x01 0x02, so keys sort in DNSSEC canonical order
 * (RFC 4034 section 6.1), a name's key is a prefix of every descendant's
 * key, and a zone is one contiguous key range.
 *
 * Example: zone id 7, apex example.test, owner www.Svc.example.test:
 *
 *   00 00 00 07  73 76 63 00  77 77 77 00
 *   zone id      "svc" sep    "www" sep
 *
 * The apex is the 4-byte key of the zone id alone.
 */
struct store_key {
	uint16_t len;                /* bytes used in b */
	uint8_t depth;               /* labels below the apex */
	uint16_t ends[128];          /* ends[i]: key length of the ancestor at depth i+1 */
	uint8_t b[STORE_KEY_MAX];
};

/*
 * Build the key of `name` (uncompressed wire form) in the zone with id
 * `zone_id` whose apex has `apex_labels` labels. `name` must be at or below
 * the apex. Returns 0 or DNSD_ETOOBIG.
 */
int store_key_make(struct store_key *k, uint32_t zone_id, const uint8_t *name,
    unsigned apex_labels);
/* Shorten a key in place to the ancestor at `depth` (0 = apex). */
void store_key_truncate(struct store_key *k, unsigned depth);
/* Rebuild the owner name from a raw key and the zone apex; returns the
 * name length, or 0 if the key is malformed. */
size_t store_key_to_name(const uint8_t *key, size_t keylen, const uint8_t *apex,
    uint8_t *out);
/* Parse raw key bytes (as returned by the iterators) into a struct key. */
int store_key_parse(struct store_key *k, const uint8_t *key, size_t keylen);

/* Open (creating if needed) the store in directory `dir` with a map of
 * `mapsize` bytes (0: default, 4 GiB). */
int store_open(struct store **out, const char *dir, uint64_t mapsize);
/* Open an existing store in `dir` read-only, for tools (dnsdctl) next to
 * a running dnsd: LMDB lets other processes read. Nothing is created: a
 * missing folder, data file or database is an error, as is another format
 * version; every failure is logged. Only read transactions work on it.
 * LMDB allows one open of a store per process, by either function. */
int store_open_readonly(struct store **out, const char *dir);
void store_close(struct store *s);

/* Transactions. A read transaction can be reset (releasing its snapshot)
 * and renewed (taking a fresh one) many times; workers reuse one per batch.
 * store_commit makes a write durable before it returns; commit and abort
 * free the transaction. */
int store_read_begin(struct store *s, struct store_txn **out);
void store_read_reset(struct store_txn *t);
int store_read_renew(struct store_txn *t);
/* The snapshot a read transaction sees: the id of the last write committed
 * before it was begun or renewed. Two snapshots with the same id hold the
 * same data. */
uint64_t store_read_snapshot(const struct store_txn *t);
int store_write_begin(struct store *s, struct store_txn **out);
int store_commit(struct store_txn *t);
/* Keep room written ahead of the data the store uses, so that commits do
 * not have to grow the file (see store_grow_ahead in store.c). Call it
 * from the thread that writes, outside a write transaction; it rarely
 * does anything. */
void store_grow_ahead(struct store *s);
void store_abort(struct store_txn *t);
/*
 * How full the store is, as the last write commit left it: the pages in
 * use (the last page less those free) of the map. At
 * STORE_HIGH (store-high-water, dnsd.conf(5)) updates that add records are
 * refused and journals are trimmed hard, so that the rest of the map stays
 * a reserve for deletes and the reaper; STORE_FULL: a commit found no
 * room (the map was full) since the last one that did. Thread-safe.
 */
enum store_level { STORE_OK = 0, STORE_HIGH = 1, STORE_FULL = 2 };
enum store_level store_level(const struct store *s);
/* The high-water mark in percent of the map (default 90; 1 to 100). */
void store_set_high_water(struct store *s, unsigned percent);
/* The used fraction in per mille (as measured by the last commit). */
unsigned store_fill_permille(const struct store *s);
/* A child of a write transaction: its changes join the parent's on
 * commit and vanish on abort (one UPDATE inside a group commit). */
int store_write_nested(struct store_txn *parent, struct store_txn **out);

/* Per-zone metadata kept in the store. */
#define STORE_ZONE_INCLUDES_MAX 2048
struct store_zone {
	uint32_t id;       /* key prefix of the zone's nodes */
	uint64_t file_sig; /* signature of the zone file(s) last imported; 0 = none */
	/* Files pulled in by $INCLUDE at the last import, NUL-separated, so a
	 * restart can tell whether anything changed without parsing. */
	size_t includes_len;
	char includes[STORE_ZONE_INCLUDES_MAX];
};
/* Look up a zone by apex; DNSD_ENOTFOUND if it was never created. */
int store_zone_get(struct store_txn *t, const uint8_t *apex, struct store_zone *z);
/* Create a zone with a fresh id (z->id is set). */
int store_zone_create(struct store_txn *t, const uint8_t *apex, struct store_zone *z);
/* Rewrite a zone's metadata. */
int store_zone_put(struct store_txn *t, const uint8_t *apex, const struct store_zone *z);
/* Call fn for every zone of the store, in apex key order; `apex` (wire
 * form, lower case) is valid until the transaction ends, `z` only during
 * the call. Records that are not a valid zone entry are skipped. A
 * non-zero return from fn stops the walk and is returned. */
int store_zone_iter(struct store_txn *t,
    int (*fn)(void *arg, const uint8_t *apex, const struct store_zone *z), void *arg);

/* Read the node stored under `k`; DNSD_ENOTFOUND if there is none. */
int store_node_get(struct store_txn *t, const struct store_key *k, struct store_val *v);

/* Where a name sits in its zone (see store_node_find). */
struct store_find {
	bool found;        /* a node exists at the name itself (v is set) */
	bool ent;          /* no node, but descendants exist: empty non-terminal */
	unsigned ce_depth; /* depth of the closest encloser (ancestor with data or
	                    * descendants); the name's own depth if found or ent */
	struct store_val v;
};
/* One ordered lookup that decides answer / NODATA (ENT) / NXDOMAIN and
 * finds the closest encloser for wildcards (RFC 4592). */
int store_node_find(struct store_txn *t, const struct store_key *k, struct store_find *f);
/* The same lookup as if no node were stored at `k` itself (all of its
 * records expired): ENT if it has descendants, else the closest encloser
 * among the other nodes. f->found is always false. */
int store_node_find_absent(struct store_txn *t, const struct store_key *k,
    struct store_find *f);

/*
 * Write the node under `k` (len 0 deletes it). Keeps the delegation-point
 * index (a node below the apex with NS) and the expiry index (the node's
 * earliest dynamic expiry) in step with the value.
 */
int store_node_put(struct store_txn *t, const struct store_key *k, const uint8_t *val,
    size_t len);

/*
 * Load / edit / save. store_node_load replaces the contents of `e` (which
 * the caller has node_edit_init'ed and frees) with the node stored under
 * `k`; a missing node loads empty. Records whose lease has ended at `now`
 * (expire != 0 && expire <= now) are left out, so an editor never sees,
 * keeps or re-saves a record that is no longer served; `now` 0 keeps every
 * record, expired or not (zone import, serial edits: the reaper removes
 * expired records and journals their removal). `e` owns copies: it stays
 * valid after the transaction ends. On an error `e` may hold part of the
 * node; it can still be freed.
 *
 * store_node_save encodes `e` (sorting its records) and writes it with
 * store_node_put, so every index follows; an empty `e` deletes the node.
 * `e` is left as it was (apart from the order of its records).
 */
int store_node_load(struct store_txn *t, const struct store_key *k, uint32_t now,
    struct node_edit *e);
int store_node_save(struct store_txn *t, const struct store_key *k, struct node_edit *e);

/* How many dynamic records the key with owner tag `tag` (node_owner_tag)
 * owns in zone `zone_id`. */
int store_owner_count(struct store_txn *t, uint32_t zone_id, uint32_t tag, uint32_t *count);

/* The shallowest delegation point at or above `k` (below the apex), as a
 * depth; 0 if the name is not at or below a zone cut. */
int store_cut_find(struct store_txn *t, const struct store_key *k, unsigned *depth);

/* Iterate the nodes of one zone in canonical order (AXFR, reload). */
struct store_iter;
int store_iter_zone(struct store_txn *t, uint32_t zone_id, struct store_iter **out);
/* Next node; returns 1 with key and value set, 0 at the end, or an error. */
int store_iter_next(struct store_iter *it, struct store_val *key, struct store_val *val);
void store_iter_free(struct store_iter *it);

/*
 * Expiry index. Entries are (expire, node key); an entry may be stale (the
 * node was renewed or deleted since), and whoever consumes it re-checks the
 * node. store_expiry_first returns the earliest entry (DNSD_ENOTFOUND when
 * empty); store_expiry_del removes one entry.
 */
int store_expiry_first(struct store_txn *t, uint32_t *expire, struct store_key *k);
int store_expiry_del(struct store_txn *t, uint32_t expire, const struct store_key *k);
/* Call fn for every entry of the expiry index, earliest first (stale ones
 * included; entries whose key does not parse are skipped). `k` is valid
 * only during the call. A non-zero return from fn stops the walk and is
 * returned. */
int store_expiry_iter(struct store_txn *t,
    int (*fn)(void *arg, uint32_t expire, const struct store_key *k), void *arg);

/*
 * Change journal (IXFR). store_track_changes makes every store_node_put
 * in the write transaction `t` (and its children) remember the records it
 * removes and adds. store_changes_pending tells whether a zone changed;
 * store_journal_add writes that zone's changes as one entry from serial
 * `from` to `to`, framed by the old and new SOA, and drops the oldest
 * entries beyond `max_entries` (0: keep no journal) once an eighth of
 * `max_entries` has piled up beyond it, all together.
 */
struct store_soa {
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t rdata[2 * 255 + 20];
};
void store_track_changes(struct store_txn *t);
bool store_changes_pending(struct store_txn *t, uint32_t zone_id);
int store_journal_add(struct store_txn *t, uint32_t zone_id, uint32_t from, uint32_t to,
    const struct store_soa *old_soa, const struct store_soa *new_soa, unsigned max_entries);
/* Forget a zone's journal (after a change that is not journaled). */
int store_journal_clear(struct store_txn *t, uint32_t zone_id);
/*
 * The chain of journal entries starting at serial `from` up to the newest
 * (at most `max`), as raw entry values valid until the transaction ends.
 * DNSD_ENOTFOUND if the journal does not reach back to `from`.
 */
int store_journal_get(struct store_txn *t, uint32_t zone_id, uint32_t from,
    struct store_val *entries, size_t max, size_t *n);
/* Call fn for every journal entry of a zone, oldest first, with its
 * sequence number and raw value (valid until the transaction ends). A
 * non-zero return from fn stops the walk and is returned. */
int store_journal_iter(struct store_txn *t, uint32_t zone_id,
    int (*fn)(void *arg, uint64_t seq, struct store_val entry), void *arg);

/* One journal entry, parsed (layout at the top of store-journal.c); every
 * pointer points into the entry's value. */
struct store_jsoa {
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
};
struct store_jentry {
	uint32_t from, to;                  /* serials */
	struct store_jsoa old_soa, new_soa; /* the frame (RFC 1995 section 4) */
	const uint8_t *changes;             /* the change records */
	size_t changes_len;
};
enum { STORE_JCHANGE_DEL = 0, STORE_JCHANGE_ADD = 1 };
/* One change record: a record removed from or added to a node. */
struct store_jchange {
	uint8_t op;          /* STORE_JCHANGE_DEL or STORE_JCHANGE_ADD */
	const uint8_t *key;  /* the node key (struct store_key layout) */
	size_t keylen;
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
};
/* Split an entry into its header and change records; DNSD_EMALF if the
 * header does not fit. */
int store_jentry_parse(struct store_val e, struct store_jentry *out);
/* The change record at *p (before `end`), advancing *p past it: 1 with c
 * set, 0 when *p == end, DNSD_EMALF if the record is malformed. Walk an
 * entry with p = je.changes, end = je.changes + je.changes_len. */
int store_jchange_next(const uint8_t **p, const uint8_t *end, struct store_jchange *c);

/*
 * The service model's databases (store-svc.c; the values' format is
 * svc.h's). An instance is kept under the node key of its DNS-SD name;
 * a service's instances are the keys under its name's key.
 */
int store_inst_get(struct store_txn *t, const struct store_key *k, struct store_val *v);
/* Write an instance; with a lease (`expire` not 0) also the expiry entry
 * the reaper finds it by. */
int store_inst_put(struct store_txn *t, const struct store_key *k, const uint8_t *val,
    size_t len, uint32_t expire);
int store_inst_del(struct store_txn *t, const struct store_key *k);
/* Call fn for every instance whose key starts with `prefix` (plen 4: a
 * zone; a service's name key: its instances and anything deeper). A
 * non-zero return from fn stops the walk and is returned. */
int store_inst_walk(struct store_txn *t, const uint8_t *prefix, size_t plen,
    int (*fn)(void *arg, struct store_val key, struct store_val val), void *arg);
/* The Consul ID index: ID -> instance key. */
int store_inst_id_get(struct store_txn *t, const char *id, struct store_key *k);
int store_inst_id_put(struct store_txn *t, const char *id, const struct store_key *k);
int store_inst_id_del(struct store_txn *t, const char *id);
/* A service's summary under its name's key (len 0 deletes it). */
int store_svc_get(struct store_txn *t, const struct store_key *k, struct store_val *v);
int store_svc_put(struct store_txn *t, const struct store_key *k, const uint8_t *val,
    size_t len);
int store_svc_walk(struct store_txn *t, const uint8_t *prefix, size_t plen,
    int (*fn)(void *arg, struct store_val key, struct store_val val), void *arg);
/* The catalog index: raised by one for each commit that changes the model
 * (store_catalog_bump returns the new value). */
int store_catalog_index(struct store_txn *t, uint64_t *index);
int store_catalog_bump(struct store_txn *t, uint64_t *index);

/*
 * Cluster mode (store-cluster.c). A scratch run of the writer tracks the
 * model's inputs it changed: every instance written or deleted, and every
 * dynamic record that is not a view (NODE_RR_VIEW) a node write removed,
 * added or changed (its TTL, lease, owner or flags). etcd holds exactly
 * these; each node derives the views itself. While inputs are tracked,
 * a node write that would remove or add a zone-file record fails with
 * DNSD_EREFUSED: zone files are the same on every node and are not in
 * etcd (a zone-file record's TTL may change: the records added to its
 * RRset set it, on every node alike). The inputs are read back with store_input_next, in the order
 * they happened (a later one of the same key wins).
 */
enum store_input_op {
	STORE_INPUT_INST_DEL = 0, /* key: the instance's node key */
	STORE_INPUT_INST_PUT = 1, /* data: the instance's value (svc.h); expire: its lease end */
	STORE_INPUT_REC_DEL = 2,  /* key: the owner's node key; type, data: the RDATA */
	STORE_INPUT_REC_PUT = 3,  /* the record as it is now */
};
struct store_input {
	uint8_t op;
	const uint8_t *key;   /* a node key (store_key layout) */
	size_t keylen;
	uint16_t type;
	uint32_t ttl, expire, owner;
	uint8_t flags;
	const uint8_t *data;  /* instance value or RDATA */
	size_t len;
};
void store_track_inputs(struct store_txn *t);
/* The inputs tracked so far, as a length: inputs up to a mark came first. */
size_t store_inputs_mark(const struct store_txn *t);
/* Take the tracked inputs out of `t` (the caller frees the buffer); *len
 * gets their length. NULL with *len 0 when there are none. */
uint8_t *store_inputs_take(struct store_txn *t, size_t *len);
/* The input at *p (before `end`), advancing *p: 1 with `in` set, 0 at
 * the end, DNSD_EMALF if malformed. Pointers point into the buffer. */
int store_input_next(const uint8_t **p, const uint8_t *end, struct store_input *in);

/* Where the tracked journal changes (store_track_changes) stand now, and
 * those made since such a mark: change records as in a journal entry
 * (walk them with store_jchange_next), valid until the next write. A
 * store_journal_add in between invalidates marks. */
size_t store_changes_mark(const struct store_txn *t);
struct store_val store_changes_since(const struct store_txn *t, size_t mark);

/*
 * The mirror's state in "meta": the etcd revision it last applied, with
 * the etcd prefix it followed (its identity: another prefix is another
 * cluster), and per zone the mod_revision of the zone's version key and
 * the revision its serial is derived from. A missing entry reads as 0.
 */
#define STORE_MIRROR_PREFIX_MAX 256
int store_mirror_get(struct store_txn *t, int64_t *rev, char *prefix, size_t size);
int store_mirror_put(struct store_txn *t, int64_t rev, const char *prefix);
struct store_mirror_zone {
	int64_t version;     /* mod_revision of <prefix>z/<zone>/version */
	int64_t serial_rev;  /* the serial is the zone file's + this */
};
int store_mirror_zone_get(struct store_txn *t, const uint8_t *apex, struct store_mirror_zone *z);
int store_mirror_zone_put(struct store_txn *t, const uint8_t *apex,
    const struct store_mirror_zone *z);

/* Store-wide counters for dnsdctl and tests. */
struct store_stats {
	uint64_t nodes, expiry_entries, map_used, map_size;
	/* entries of the other databases, the page size, and the reader
	 * slots in use (any process) of the most there can be */
	uint64_t zones, cuts, owners, journal_entries, page_size;
	unsigned readers, max_readers;
};
int store_stats(struct store_txn *t, struct store_stats *st);

#endif
