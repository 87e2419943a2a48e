/* mirror.h -- cluster mode's mirror: what etcd says, applied to a node's
 * store the same way on every node
 *
 * Each node keeps its own LMDB store as a mirror of etcd (layout.h), and
 * answers from it. The follower hands the changes it watches to the
 * writer in batches; the writer applies them here in one transaction:
 * instance events through svc_put and svc_del (so each node derives the
 * views itself, as in single-node mode), record events as node edits.
 * Every node applies the same events to the same state, so every node
 * ends with the same data. Views are derived as of time 0 (every stored
 * instance counts as live): what is served at a given moment still
 * follows the clock (records whose lease ended are never served), but
 * what is stored, and so the serial, depends on the events alone.
 *
 * The serial. A zone's serial is its base (the zone file's SOA serial,
 * or 1 without a file) plus its "serial revision": the etcd revision of
 * the last event that changed what the zone serves (not a renewal that
 * only moves leases), or a serial floor written to etcd (layout.h) if
 * that is higher. Followers of the event stream agree on it. A node that
 * had to resynchronise from a full read (first start, compaction) cannot
 * know when deleted keys went, so it takes the read's revision S as its
 * serial revision and writes S as the floor of every zone (the follower
 * does): every node then moves to the same serial.
 */
#ifndef DNSD_CLUSTER_MIRROR_H
#define DNSD_CLUSTER_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_txn;
struct zonetab;

/* One key as etcd reported it (key without the prefix). */
struct mirror_event {
	bool deleted;
	int64_t rev;              /* its mod_revision (of the delete, for one) */
	uint8_t *key;             /* owned by the batch */
	size_t key_len;
	uint8_t *value;           /* key and value share one allocation */
	size_t value_len;
};

/* Changes in revision order, or (snapshot) every key at one revision. */
struct mirror_batch {
	struct mirror_batch *next;
	bool snapshot;
	int64_t rev;              /* the revision the mirror reaches with it */
	size_t n, cap;
	struct mirror_event *ev;
};

/* An empty batch; NULL without memory. */
struct mirror_batch *mirror_batch_new(bool snapshot);
/* Append a copy of one key. Returns 0 or -ENOMEM. */
int mirror_batch_add(struct mirror_batch *b, bool deleted, int64_t rev, const void *key,
    size_t key_len, const void *value, size_t value_len);
/* Free one batch (not the ones after it; NULL is fine). */
void mirror_batch_free(struct mirror_batch *b);

/* The serial of a zone with base `base` at serial revision `rev`. */
uint32_t mirror_serial(uint32_t base, int64_t rev);

/*
 * Apply `batches` (a list, in order) in transaction `t`, which must track
 * changes (store_track_changes): events, views, each touched zone's serial
 * (from base[i], per zone index) with its journal entry, the mirror's
 * state in "meta" (prefix: the etcd prefix followed) and the catalog
 * index. Drops expiry entries due at `now` (nothing reaps in cluster
 * mode: etcd's leases do). changed[i] (per zone index) tells whose serial
 * moved; *catalog whether an instance changed, *index the catalog index
 * then. A key that does not parse or decode is logged and skipped; an
 * error of the store fails the whole call (abort `t`).
 */
int mirror_apply(struct store_txn *t, const struct zonetab *zones, const uint32_t *base,
    const char *prefix, const struct mirror_batch *batches, uint32_t now, bool *changed,
    bool *catalog, uint64_t *index);

/*
 * Give each zone the serial cluster mode derives (base[i] + its serial
 * revision), with a journal entry from the serial it had (after a zone
 * file was imported or reloaded); changed[i] tells whose moved.
 */
int mirror_fix_serials(struct store_txn *t, const struct zonetab *zones, const uint32_t *base,
    bool *changed);

#endif
