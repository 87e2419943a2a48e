/* msg.h -- etcd's JSON gateway messages: requests built, responses and the
 * watch stream read; no network, so unit tests drive all of it */
#ifndef DNSD_ETCD_MSG_H
#define DNSD_ETCD_MSG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd/etcd.h"

/* ---- base64 (RFC 4648 section 4, padded), through OpenSSL ------------------ */

/* Length of the encoding of n bytes (no NUL). */
size_t etcd_b64_len(size_t n);
/* Encode; `out` needs etcd_b64_len(n) + 1 bytes (NUL-terminated). */
void etcd_b64_encode(const void *in, size_t n, char *out);
/* Decode `in_len` characters into `out` (room for in_len / 4 * 3 bytes);
 * *out_len gets the length. DNSD_EMALF unless valid padded base64. */
int etcd_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t *out_len);

/* The end of the range of keys starting with `key`: the key with its last
 * byte below 0xff incremented and what follows cut; a single 0 byte ("to
 * the end of the keyspace") if there is none. `end` needs room for
 * max(len, 1) bytes; returns its length. */
size_t etcd_range_end(const uint8_t *key, size_t len, uint8_t *end);

/* ---- requests: each gets keys relative to `prefix` ------------------------- */

/* /v3/kv/put. DNSD_ETOOBIG if it would exceed `max` bytes. */
int etcd_msg_put(const char *prefix, const void *key, size_t key_len, const void *value,
    size_t value_len, int64_t lease, size_t max, json_t **out);
/* /v3/kv/range of `key` (or of the keys starting with it), beginning at
 * `from` (a relative key, NULL: at `key`), at revision `rev` (0: latest),
 * at most `limit` keys (0: all). */
int etcd_msg_range(const char *prefix, const void *key, size_t key_len, bool is_prefix,
    const void *from, size_t from_len, int64_t rev, int64_t limit, bool serializable,
    json_t **out);
/* /v3/kv/deleterange. */
int etcd_msg_delete(const char *prefix, const void *key, size_t key_len, bool is_prefix,
    json_t **out);
/* /v3/kv/txn. DNSD_ETOOBIG if it would exceed `max` bytes. */
int etcd_msg_txn(const char *prefix, const struct etcd_cmp *cmps, size_t ncmps,
    const struct etcd_op *then, size_t nthen, const struct etcd_op *otherwise,
    size_t notherwise, size_t max, json_t **out);
/* The first message of a /v3/watch stream: watch the keys starting with
 * `key` from revision `start` (0: now), with progress notifications. */
int etcd_msg_watch_create(const char *prefix, const void *key, size_t key_len, int64_t start,
    json_t **out);
/* {"ID": id}, with "TTL" when ttl > 0: the body of the lease requests
 * (NULL: no memory). */
json_t *etcd_msg_lease(int64_t id, int64_t ttl);

/* ---- responses ------------------------------------------------------------- */

/* An int64 field of `o`, which the gateway writes as a decimal string (a
 * JSON number is accepted too). Absent or null: 0 (proto3 omits zeros).
 * DNSD_EMALF for anything else. */
int etcd_msg_int(const json_t *o, const char *name, int64_t *v);
/* header.revision of a response. */
int etcd_msg_revision(const json_t *resp, int64_t *rev);
/* True if `resp` is an error: {"error": "...", "code": N, "message": "..."}
 * (a plain call) or {"error": {"grpc_code": N, "message": "..."}} (in a
 * stream); *code gets the gRPC code, *message the text (valid while resp
 * lives). */
bool etcd_msg_error(const json_t *resp, int *code, const char **message);
/* The dnsd_err for a gRPC status code and etcd's message. */
int etcd_err_from_grpc(int code, const char *message);

/* Memory for decoded keys and values, reused from one key to the next. */
struct etcd_kvbuf {
	uint8_t *p;
	size_t cap;
};
void etcd_kvbuf_free(struct etcd_kvbuf *b);
/* Decode one "kvs" entry (or an event's "kv") into *kv, its bytes in `b`
 * (valid until b's next use). DNSD_EMALF if its key does not start with
 * `prefix`. */
int etcd_msg_kv(const json_t *o, const char *prefix, struct etcd_kvbuf *b, struct etcd_kv *kv);

/* One message of a watch stream. */
struct etcd_wresp {
	int64_t watch_id;          /* -1: an answer to a progress request */
	int64_t revision;          /* of the header */
	int64_t compact_revision;  /* > 0 if the start revision was compacted */
	bool created;
	bool canceled;
	const char *cancel_reason; /* "" if none; valid while the message lives */
	struct etcd_event *events; /* one allocation with their bytes */
	size_t nevents;
};
/*
 * Read a stream message: {"result": {...}}. An error message ({"error":
 * ...}) returns its dnsd_err and sets *code and *message (as
 * etcd_msg_error); DNSD_EMALF for anything else. Free with
 * etcd_wresp_free even on error.
 */
int etcd_msg_watch(const json_t *msg, const char *prefix, struct etcd_wresp *w, int *code,
    const char **message);
void etcd_wresp_free(struct etcd_wresp *w);

/* ---- the watch stream: newline-separated JSON messages ---------------------- */

/* Called with each complete message (without its newline); a non-zero
 * return stops etcd_split_feed, which returns it. */
typedef int (*etcd_split_fn)(void *ctx, const char *msg, size_t len);

/* Keeps only the message in progress, never more than `max` bytes. */
struct etcd_split {
	char *buf;
	size_t len;
	size_t cap;
	size_t max;
};
void etcd_split_init(struct etcd_split *s, size_t max);
/* Drop a message in progress (a new stream begins). */
void etcd_split_reset(struct etcd_split *s);
void etcd_split_free(struct etcd_split *s);
/*
 * Take the next bytes of the stream: call fn for every message they
 * complete, keep the unfinished rest. DNSD_ETOOBIG (before copying
 * anything) if a message is longer than `max`, -ENOMEM, or fn's value.
 */
int etcd_split_feed(struct etcd_split *s, const char *data, size_t n, etcd_split_fn fn,
    void *ctx);

#endif
