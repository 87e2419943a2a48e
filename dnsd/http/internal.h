/* internal.h -- what the files of dnsd/http/ share; no other module includes it
 *
 * http.c runs the thread: the libmicrohttpd daemons driven by one event
 * loop, limits, tokens and access lists, blocking queries and the writes
 * that wait for the writer. consul.c answers Consul's API; def.c reads a
 * Consul service definition (JSON, or HCL through hcl.c) into an instance;
 * files.c keeps the instances of services-dir in step with its files;
 * metrics.c writes /metrics, ui.c the /ui page.
 */
#ifndef DNSD_HTTP_INTERNAL_H
#define DNSD_HTTP_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "svc/svc.h"

struct MHD_Connection;
struct MHD_Daemon;
struct conf;
struct conf_key;
struct conf_token;
struct stats_block;
struct store_txn;
struct zone;

#define HTTP_LISTEN_MAX 16

/* One connection (libmicrohttpd's socket context). */
struct http_conn {
	struct http_conn *prev, *next;
	int fd;
	uint64_t deadline;      /* monotonic ms by which the request must have
	                         * arrived whole; 0 while we hold it (a request
	                         * being answered, a blocking query) */
	bool over;              /* accepted over http-max-connections: 503 */
};

/* What a request is waiting for. */
enum http_wait { W_NONE, W_WRITE, W_INDEX };

/* One request (libmicrohttpd's per-request context). */
struct http_req {
	struct http *h;
	struct MHD_Connection *mc;
	struct http_conn *conn;
	struct http_req *next;     /* in a list of the loop (done, waiters) */
	char *body;
	size_t len, cap;
	unsigned err;              /* an error found while the body came (413, 408) */
	enum http_wait wait;
	bool waited;               /* it was a blocking query already */
	bool done;                 /* W_WRITE: the writer answered */
	int write_rc;
	uint64_t write_index;
	char what[SVC_ID_MAX + 32]; /* W_WRITE: the ID, for error messages */
	int write_kind;            /* W_WRITE: what was written (consul.c) */
	uint64_t wait_index;       /* W_INDEX: wake when the index passes it */
	uint64_t wait_until;       /* W_INDEX: monotonic ms */
};

/* Who is asking: decided from the token and the client's address. */
struct http_who {
	const struct conf_token *token;  /* a valid token, or NULL */
	const struct conf_key *key;      /* its key (the policy), or NULL */
	bool read, write;                /* what it may do */
	bool anonymous;                  /* writes without a token (http-allow-anonymous) */
	char denied[160];                /* why not, for the 403 */
};

/* A response being built. */
struct http_reply {
	unsigned status;
	char *body;                /* malloc'ed (NULL: empty) */
	size_t len;
	const char *type;          /* Content-Type */
	bool index;                /* send X-Consul-Index */
	const char *allow;         /* 405: the Allow header */
};

struct http {
	struct store *store;
	struct runtime *rt;        /* the generation this thread serves with */
	struct runtime *next;      /* atomic: a newer one, from http_set_runtime */
	void *ctx;
	void (*submit)(void *ctx, const struct svc_op *op,
	    void (*done)(void *arg, int rc, uint64_t index), void *arg);
	struct MHD_Daemon *d[HTTP_LISTEN_MAX];
	size_t nd;
	int epfd, evfd;
	pthread_t thread;
	bool running;
	uint64_t index;            /* atomic: the catalog index (store's) */
	uint64_t woken;            /* the index the waiters were last woken for */
	bool stop, reload;         /* atomic */
	pthread_mutex_t mu;        /* guards `done` and `outstanding` */
	struct http_req *done;     /* writes the writer answered */
	unsigned outstanding;      /* changes handed to the writer, not yet answered */
	struct http_req *waiters;  /* blocking queries (loop thread only) */
	struct http_conn *conns;
	unsigned nconns;
	struct stats_block *stats;
	char node[64];             /* the node name clients see */
	char node_addr[64];
};

/* ---- http.c ---- */
/* The zone HTTP registrations go to, in the current generation. */
const struct zone *http_zone(const struct http *h);
/* Queue a change to the model for request `r` (suspended until the writer
 * answers; then consul.c's http_write_done makes the reply). */
void http_submit(struct http *h, struct http_req *r, const struct svc_op *op);
/* Queue a change with a callback of its own (files.c); the listener does
 * not stop before `done` has run. */
void http_submit_op(struct http *h, const struct svc_op *op,
    void (*done)(void *arg, int rc, uint64_t index), void *arg);
/* Call from a `done` given to http_submit_op, at its end. */
void http_op_finished(struct http *h);
/* Set a reply: status and a copy of `text` as text/plain. */
void http_reply_text(struct http_reply *out, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set a 200 reply with `j` as JSON (takes the reference); pretty for ?pretty. */
void http_reply_json(struct http_reply *out, json_t *j, bool pretty);
/* The value of query argument `key` (NULL if absent); *present tells
 * whether it was given at all (?passing has no value). */
const char *http_arg(struct MHD_Connection *mc, const char *key, bool *present);

/* ---- consul.c ---- */
/* Answer a request under /v1/. Returns true with `out` filled, or false
 * when the request was suspended (a write, a blocking query). */
bool http_consul(struct http_req *r, const char *method, const char *url,
    const struct http_who *who, struct http_reply *out);
/* The reply to a write the writer has answered. */
void http_write_done(struct http_req *r, struct http_reply *out);

/* ---- def.c ---- */
/* Where a definition comes from, for messages and defaults. */
struct http_def_src {
	const char *file;              /* NULL: an HTTP request */
	const struct zone *zone;       /* where the instance goes */
	const struct svc_addr *peer;   /* the default address (the client's), or NULL */
	uint32_t now;
};
/* What a definition asks for beyond the instance itself. */
struct http_def {
	struct svc_instance in;        /* name, id, target/addrs, port, tags, TXT, checks */
	char service[WIRE_LABEL_MAX];  /* Consul's Name */
	uint32_t ttl;                  /* the shortest TTL check, seconds (0: none) */
};
/* Read one service definition (Consul's agent/service/register body, or
 * one service of a definition file) into `d`. Returns 0, or -1 with a
 * message in `err` (that names the file and line when it can). */
int http_def_parse(const struct http_def_src *src, const json_t *obj, struct http_def *d,
    char *err, size_t errlen);
/* A Go duration ("10s", "1m30s", "250ms") in milliseconds; -1 if not one. */
int http_duration_ms(const char *s, uint64_t *ms);
/* The Consul name of an instance's service ("web" for x._web._tcp.Z). */
void http_service_of(const struct svc_instance *in, char *out, size_t size);
/* The metadata (TXT "key=value" strings) as a JSON object. */
json_t *http_meta_json(const struct svc_instance *in);

/* ---- hcl.c ---- */
/* Read the HCL subset of service definitions into JSON (blocks become
 * objects; a block name given twice, an array). Each object it makes
 * carries its line under the key HTTP_LINE_KEY, for messages. On error
 * returns NULL with "N: message" in `err` (N the line). */
#define HTTP_LINE_KEY "\001line"
json_t *http_hcl_parse(const char *text, size_t len, char *err, size_t errlen);

/* ---- files.c ---- */
/* Make the instances of services-dir match its files (at start, and on
 * http_services_reload). */
void http_files_sync(struct http *h);

/* ---- metrics.c, ui.c ---- */
void http_metrics(struct http *h, struct http_reply *out);
void http_ui(struct http *h, struct http_reply *out);

#endif
