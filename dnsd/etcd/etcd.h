/* etcd.h -- a client of etcd's v3 API through its JSON gateway: keys,
 * transactions, leases and watches, for cluster mode */
#ifndef DNSD_ETCD_ETCD_H
#define DNSD_ETCD_ETCD_H

/*
 * Speaks the documented gateway of etcd 3.4 (POST /v3/kv/range, ...; keys
 * and values base64 in JSON) with libcurl and jansson. Every key given to
 * or returned by these functions is relative to the setup's prefix: with
 * prefix "/dnsd/", key "a" is "/dnsd/a" in etcd. Keys and values are
 * bytes (pointer and length), not strings.
 *
 * Errors (util/err.h): DNSD_EUNAVAIL when no endpoint answered in time or
 * etcd has no quorum (a write that fails so may still have been applied:
 * read back to know), DNSD_ECOMPACTED for a compacted revision,
 * DNSD_ENOTFOUND for a missing key or lease, DNSD_ETOOBIG when a request
 * or response exceeds the setup's limits (checked before the memory is
 * taken), -EACCES when etcd refuses the user, DNSD_EETCD for any other
 * refusal (logged). Every call returns the revision of the store it saw
 * (the response header's) through `rev` when `rev` is not NULL.
 *
 * Endpoints are tried in turn, starting with the last one that answered:
 * a member that refuses connections costs nothing, one that hangs costs
 * one request timeout. Reads and lease refreshes move on to the next
 * member after any failure; a write moves on only when it surely was not
 * applied (the connection failed, or the member said it has no leader),
 * so a transaction is never sent twice.
 *
 * Calls on one struct etcd are serialised (one mutex, one connection per
 * member): threads that need their own pace use their own struct etcd.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct etcd;
struct etcd_watch;

/* What etcd_new needs. Strings are copied. Zero limits take the defaults. */
struct etcd_setup {
	const char *const *endpoints;  /* "http://127.0.0.1:2379", "https://..." */
	size_t nendpoints;
	const char *user;              /* NULL: no authentication */
	const char *password;
	const char *ca_file;           /* https: CA bundle (NULL: the system's) */
	const char *cert_file;         /* https: client certificate (or NULL) */
	const char *key_file;          /* and its private key */
	const char *prefix;            /* before every key, e.g. "/dnsd/" (or NULL) */
	unsigned connect_timeout_ms;   /* per connection attempt; 0: 1000 */
	unsigned request_timeout_ms;   /* per request and member; 0: 5000 */
	size_t max_request;            /* request body bytes; 0: 2 MiB (etcd's own
	                                * limit, 1.5 MiB, in base64) */
	size_t max_response;           /* response (or watch message) bytes; 0: 64 MiB */
	size_t range_page;             /* keys per range request; 0: 1000 */
	unsigned watch_progress_ms;    /* watch silent this long: probe its member;
	                                * 0: 2000 */
	unsigned watch_stall_ms;       /* no sign of life this long: next member;
	                                * 0: 3 x progress */
};

/* One key as etcd stores it. Pointers are valid as the call documents. */
struct etcd_kv {
	const uint8_t *key;            /* without the setup prefix */
	size_t key_len;
	const uint8_t *value;
	size_t value_len;
	int64_t create_revision;       /* 0 in a delete event */
	int64_t mod_revision;          /* of the put, or of the delete event */
	int64_t version;               /* puts since creation; 0 when deleted */
	int64_t lease;                 /* 0: none */
};

/* Flags of reads. */
enum {
	/* Answer from the member's own copy without asking the leader: works
	 * without quorum, may be stale. Default: linearizable. */
	ETCD_SERIALIZABLE = 1u << 0,
};

/*
 * Create a client (no connection is made yet). Fails with DNSD_ECONF on
 * a setup without endpoints or with a user and no password, -ENOMEM.
 */
int etcd_new(const struct etcd_setup *s, struct etcd **out);
/* Free a client (NULL is fine). Stop its watches first. */
void etcd_free(struct etcd *e);

/* ---- keys ---------------------------------------------------------------- */

/* Store `value` at `key`, attached to `lease` (0: none). */
int etcd_put(struct etcd *e, const void *key, size_t key_len, const void *value,
    size_t value_len, int64_t lease, int64_t *rev);
/*
 * Read one key into *out (one allocation, freed with etcd_kv_free), or
 * DNSD_ENOTFOUND (with *rev still set). `flags`: ETCD_SERIALIZABLE.
 */
int etcd_get(struct etcd *e, const void *key, size_t key_len, unsigned flags,
    struct etcd_kv **out, int64_t *rev);
void etcd_kv_free(struct etcd_kv *kv);

/*
 * Called once per key of a range, in key order; `kv` is valid during the
 * call. A non-zero return stops the range, which returns that value.
 */
typedef int (*etcd_kv_fn)(void *ctx, const struct etcd_kv *kv);
/*
 * Every key that starts with `prefix` (an empty prefix: every key under
 * the setup prefix), as of revision `at` (0: the latest). Read in pages of
 * range_page keys, all at the revision of the first page, so the caller
 * sees one consistent snapshot; *rev is that revision: a watch from
 * *rev + 1 misses nothing. DNSD_ECOMPACTED if `at` was compacted.
 */
int etcd_range(struct etcd *e, const void *prefix, size_t prefix_len, int64_t at,
    unsigned flags, etcd_kv_fn fn, void *ctx, int64_t *rev);
/* Delete `key`, or every key starting with it when `prefix` is true;
 * *deleted (if not NULL) gets the count. Deleting nothing is no error. */
int etcd_delete(struct etcd *e, const void *key, size_t key_len, bool prefix,
    int64_t *deleted, int64_t *rev);

/* ---- transactions ---------------------------------------------------------- */

enum etcd_cmp_target {
	ETCD_CMP_VERSION,  /* puts since creation (0: absent) */
	ETCD_CMP_CREATE,   /* create_revision (0: absent) */
	ETCD_CMP_MOD,      /* mod_revision */
	ETCD_CMP_VALUE,    /* the value, compared bytewise */
	ETCD_CMP_LEASE,    /* the lease id */
};
enum etcd_cmp_op { ETCD_EQUAL, ETCD_NOT_EQUAL, ETCD_GREATER, ETCD_LESS };

/* One comparison: key's target op number (or value). With `prefix`, it
 * holds for every key starting with `key`. "The key does not exist" is
 * ETCD_CMP_CREATE ETCD_EQUAL 0. */
struct etcd_cmp {
	const void *key;
	size_t key_len;
	bool prefix;
	enum etcd_cmp_target target;
	enum etcd_cmp_op op;
	int64_t number;       /* version, revision or lease */
	const void *value;    /* ETCD_CMP_VALUE */
	size_t value_len;
};

enum etcd_op_type {
	ETCD_OP_PUT,           /* key = value, with lease (0: none) */
	ETCD_OP_DELETE,        /* the key */
	ETCD_OP_DELETE_PREFIX, /* every key starting with key */
};
struct etcd_op {
	enum etcd_op_type type;
	const void *key;
	size_t key_len;
	const void *value;
	size_t value_len;
	int64_t lease;
};

/*
 * One atomic transaction: if every comparison holds, apply `then` (in
 * order), else `otherwise`; *succeeded says which. A key may be written
 * at most once per branch (etcd refuses duplicates: DNSD_EETCD). At most
 * 128 comparisons and operations per branch (etcd's --max-txn-ops).
 */
int etcd_txn(struct etcd *e, const struct etcd_cmp *cmps, size_t ncmps,
    const struct etcd_op *then, size_t nthen, const struct etcd_op *otherwise,
    size_t notherwise, bool *succeeded, int64_t *rev);

/* ---- leases -------------------------------------------------------------- */

/*
 * Grant a lease of `ttl` seconds (etcd may raise a short TTL to its
 * minimum); `id` 0 lets etcd choose. *out_id gets the lease, *out_ttl (if
 * not NULL) the TTL granted.
 */
int etcd_lease_grant(struct etcd *e, int64_t ttl, int64_t id, int64_t *out_id,
    int64_t *out_ttl, int64_t *rev);
/* Refresh a lease once to its full TTL; *ttl gets it. DNSD_ENOTFOUND if
 * the lease has expired or was revoked. */
int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl, int64_t *rev);
/* Revoke a lease: its keys are deleted. DNSD_ENOTFOUND if unknown. */
int etcd_lease_revoke(struct etcd *e, int64_t id, int64_t *rev);
/* Seconds left (*ttl) and granted (*granted, if not NULL), or
 * DNSD_ENOTFOUND. */
int etcd_lease_ttl(struct etcd *e, int64_t id, int64_t *ttl, int64_t *granted, int64_t *rev);

/* ---- watch ----------------------------------------------------------------- */

enum etcd_watch_kind {
	ETCD_WATCH_EVENTS,    /* events, in revision order */
	ETCD_WATCH_PROGRESS,  /* every change up to `revision` has been delivered
	                       * (etcd sends these every 10 minutes only) */
	ETCD_WATCH_CONNECTED, /* the stream is up on `endpoint`; `revision`: etcd's */
	ETCD_WATCH_RETRY,     /* the stream broke (`err`); reconnecting, resuming
	                       * after the last revision delivered */
	ETCD_WATCH_COMPACTED, /* the revision to resume from was compacted (up to
	                       * `revision`): the watch has ended; read the data
	                       * again with etcd_range and watch from its rev + 1 */
	ETCD_WATCH_FAILED,    /* the watch has ended for good (`err`): -EACCES,
	                       * DNSD_ETOOBIG (a message over max_response) */
};

struct etcd_event {
	bool deleted;         /* a delete (kv has key and mod_revision only) */
	struct etcd_kv kv;
};

struct etcd_watch_msg {
	enum etcd_watch_kind kind;
	int64_t revision;
	int err;
	const struct etcd_event *events;
	size_t nevents;
	const char *endpoint;
};

/* Called on the watch's own thread; `m` is valid during the call. */
typedef void (*etcd_watch_fn)(void *ctx, const struct etcd_watch_msg *m);

/*
 * Watch every key starting with `prefix` from revision `start` (0: from
 * now) on a thread of its own, with its own connections: each change is
 * delivered once and in order, across reconnections to any member. After
 * watch_progress_ms without a message the thread asks the stream's member
 * whether it is alive and has a leader; without a sign of life for
 * watch_stall_ms, or when the member loses its leader, the stream moves
 * to the next member. `e` must outlive the watch; `e` itself stays free
 * for other calls.
 */
int etcd_watch_start(struct etcd *e, const void *prefix, size_t prefix_len, int64_t start,
    etcd_watch_fn fn, void *ctx, struct etcd_watch **out);
/* Stop the thread, wait for it, free the watch (NULL is fine). The
 * callback is not called once this returns. */
void etcd_watch_stop(struct etcd_watch *w);

#endif
