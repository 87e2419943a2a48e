/* conn.h -- the transport under the etcd client: the copied setup, libcurl
 * handles, trying members in turn, authentication tokens */
#ifndef DNSD_ETCD_CONN_H
#define DNSD_ETCD_CONN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "etcd/etcd.h"
#include "util/dyncurl.h"
#include "util/log.h"

/* A warning about one member (the key: its URL) at most every 10 s: a
 * member that is down or has lost its leader fails every request. */
#define etcd_warn(member, ...) log_limited(LOG_LVL_WARN, (member), 10, __VA_ARGS__)

/* The setup with its strings copied and its defaults filled in. */
struct etcd_cfg {
	char **endpoints;     /* without a trailing slash */
	size_t nendpoints;
	char *user, *password;
	char *ca_file, *cert_file, *key_file;
	char *prefix;         /* "" if none */
	unsigned connect_ms, request_ms, progress_ms, stall_ms;
	size_t max_request, max_response, range_page;
};

/* The copied setup of a client (etcd.c owns struct etcd). */
const struct etcd_cfg *etcd_cfg_of(const struct etcd *e);

/* DNSD_ECONF for a setup that cannot work, -ENOMEM. */
int etcd_cfg_copy(struct etcd_cfg *c, const struct etcd_setup *s);
void etcd_cfg_free(struct etcd_cfg *c);

/* One easy handle and where it stands: the member to try first, the
 * authentication token. Used by one thread at a time. */
struct etcd_conn {
	const struct etcd_cfg *cfg;
	CURL *curl;
	size_t cur;
	char *token;          /* NULL: none yet (or no authentication) */
	char errbuf[CURL_ERROR_SIZE];
};

int etcd_conn_init(struct etcd_conn *c, const struct etcd_cfg *cfg);
void etcd_conn_free(struct etcd_conn *c);

/* Options every handle gets: TLS files, the connect timeout, HTTP/1.1,
 * no signals. */
void etcd_conn_setopts(const struct etcd_cfg *cfg, CURL *h, char *errbuf);

/* The headers of a request: JSON, the token if any, and etcd's
 * "require a leader" (a member without one refuses instead of waiting or
 * answering from a minority). NULL: no memory. */
struct curl_slist *etcd_conn_headers(const struct etcd_conn *c, bool leader);

/* Get a token from member `ep` (when the setup has a user). */
int etcd_conn_auth(struct etcd_conn *c, size_t ep);

/* How a call may be retried on another member. */
enum {
	ETCD_CALL_READ = 1u << 0,   /* idempotent: any failure moves on */
	ETCD_CALL_LEADER = 1u << 1, /* require a leader (writes, linearizable reads) */
};

/*
 * POST `req` to `path` ("/v3/kv/put"), trying members in turn; *resp
 * gets the answer (the caller decrefs it). Errors etcd answers are mapped
 * through etcd_err_from_grpc and logged.
 */
int etcd_conn_call(struct etcd_conn *c, const char *path, const json_t *req, unsigned flags,
    json_t **resp);

#endif
