/* client-internal.h -- shared by the files of libdnsd-client; not installed */
#ifndef DNSD_CLIENT_INTERNAL_H
#define DNSD_CLIENT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dnsd-client.h"

/* DNS constants used here (RFC 1035, RFC 3596, RFC 2782). */
enum {
	CLIENT_T_A = 1,
	CLIENT_T_PTR = 12,
	CLIENT_T_TXT = 16,
	CLIENT_T_AAAA = 28,
	CLIENT_T_SRV = 33,
	CLIENT_C_IN = 1,
	CLIENT_NAME_MAX = 255,          /* wire octets */
	CLIENT_PRES_MAX = 4 * 255 + 1,  /* presentation, every octet \DDD */
	CLIENT_QUERY_MAX = 12 + 255 + 4,
};

/* ---- wire.c: pure DNS message helpers (no I/O) ---- */

/*
 * Encode a presentation-form name (RFC 1035 section 5.1 escapes \X and
 * \DDD; final dot optional) into uncompressed wire form in out. Returns
 * the wire length or DNSD_CLIENT_EBADNAME (empty label, label over 63
 * octets, name over 255 octets, bad escape, out too small).
 */
int client_name_to_wire(const char *name, uint8_t *out, size_t cap);

/*
 * Copy the first label of a presentation-form name into out unescaped,
 * NUL-terminated. Returns the label length or DNSD_CLIENT_EBADNAME.
 */
int client_label_unescape(const char *name, char *out, size_t cap);

/*
 * Write a standard query (ID 0, RD set, one question of class IN) for
 * name and type into out. Returns its length or DNSD_CLIENT_EBADNAME.
 * c-ares' ares_send() assigns the real ID.
 */
int client_query_build(const char *name, int type, uint8_t *out,
    size_t cap);

/* Sections of a message, as passed to a client_rr_fn. */
enum client_section { CLIENT_AN = 1, CLIENT_NS = 2, CLIENT_AR = 3 };

/* One resource record seen by client_rr_walk(). */
struct client_rr {
	enum client_section section;
	const char *owner;      /* presentation form (ares_expand_name()) */
	uint16_t type, cls;
	uint32_t ttl;
	const uint8_t *rdata;   /* points into the message */
	uint16_t rdlen;
	size_t rdoff;           /* offset of rdata in the message */
};

/* Visit one record; return 0 to go on, non-zero to stop the walk. */
typedef int (*client_rr_fn)(void *arg, const struct client_rr *rr,
    const uint8_t *msg, size_t len);

/*
 * Walk all records of a DNS message: skip the questions, then call fn for
 * each record of the answer, authority and additional sections. Returns 0,
 * fn's non-zero value, DNSD_CLIENT_EBADRESP when the message is cut short
 * or malformed (records before the damage have been visited), or -ENOMEM.
 */
int client_rr_walk(const uint8_t *msg, size_t len, client_rr_fn fn,
    void *arg);

/* An address found by client_glue_parse(). */
typedef int (*client_glue_fn)(void *arg, const char *owner, int family,
    const uint8_t *addr);

/*
 * Call fn for every class-IN A and AAAA record of the additional section
 * (RFC 2782: servers should put the targets' addresses there). Returns as
 * client_rr_walk().
 */
int client_glue_parse(const uint8_t *msg, size_t len, client_glue_fn fn,
    void *arg);

/*
 * Collect the targets of the class-IN PTR records of the answer section
 * (DNS-SD instance names may hold any octet, which ares_parse_ptr_reply()
 * rejects). On success *names is a malloc'd array of *n malloc'd
 * presentation-form names. Returns 0, DNSD_CLIENT_ENODATA (no PTR),
 * DNSD_CLIENT_EBADRESP or -ENOMEM.
 */
int client_ptr_parse(const uint8_t *msg, size_t len, char ***names,
    size_t *n);

/*
 * Map a c-ares completion (status, and the response when status is
 * ARES_SUCCESS) to 0 or a dnsd_client_err: RCODE NXDOMAIN, SERVFAIL,
 * REFUSED; NOERROR with an empty answer section is DNSD_CLIENT_ENODATA.
 */
int client_status_err(int status, const uint8_t *msg, size_t len);

/*
 * Pick the error to report from two failures of one lookup: a server
 * problem beats "no data", which beats "no such name".
 */
int client_err_merge(int a, int b);

/* ---- srv.c ---- */

/* The library's random source: per-thread state seeded by getentropy(). */
uint32_t client_rand(void *arg);

/* ---- client.c: requests on a context ---- */

struct client_req;

/* Per-kind behaviour of a request. */
struct client_req_ops {
	/* Advance: send the next queries or finish. Called when none is
	 * outstanding and the request is not done. */
	void (*step)(struct client_req *r);
	/* Handle one response (err from client_status_err()). */
	void (*answer)(struct client_req *r, int type, size_t idx, int err,
	    const uint8_t *msg, size_t len);
	/* Hand the result or the error to the caller's callback. */
	void (*deliver)(struct client_req *r, int err);
	/* Free kind-specific state. */
	void (*cleanup)(struct client_req *r);
};

struct client_req {
	struct dnsd_client *c;     /* NULL once done (detached) */
	ares_channel ch;
	const struct client_req_ops *ops;
	union {
		dnsd_resolve_cb resolve;
		dnsd_browse_cb browse;
	} cb;                      /* set by the kind's start function */
	void *cb_arg;
	void *state;               /* kind-specific */
	dnsd_rand_fn rnd;
	void *rnd_arg;
	int64_t deadline;          /* monotonic ms; 0: none */
	int pending;               /* queries sent and not yet answered */
	int done;                  /* finished: deliver() was (or is) due */
	int err;                   /* final error, set by client_req_finish */
	int busy;                  /* inside client_req_settle() */
	int in_start;              /* inside dnsd_*_start() */
	struct client_req *prev, *next;
};

/*
 * Create a request on c with its ops and kind-specific state (owned by
 * the request from now on: ops->cleanup frees it); links it into c's
 * list. The caller sets r->cb and r->cb_arg. Returns NULL when out of
 * memory.
 */
struct client_req *client_req_new(struct dnsd_client *c,
    const struct client_req_ops *ops, void *state);

/*
 * Run the first step and return what dnsd_*_start() should return: 0 when
 * the request is under way (or already delivered), or the error of a
 * request that failed at once (its callback is then not called). When rp
 * is not NULL, *rp is r if it is still under way (valid until its
 * callback has run), else NULL.
 */
int client_req_launch(struct client_req *r, struct client_req **rp);

/* Send one query (presentation-form name). A failure to build or send it
 * comes back through ops->answer like any response. */
void client_req_query(struct client_req *r, const char *name, int type,
    size_t idx);

/* Mark r finished with err (0: success); delivery follows. */
void client_req_finish(struct client_req *r, int err);

/*
 * Run a request to completion on its own context (blocking calls): loops
 * dnsd_client_process() until *flag is set by r's callback. Should the
 * loop itself fail, r is finished with that error.
 */
int client_wait(struct dnsd_client *c, struct client_req *r,
    const int *flag);


/* The search domains of c (NULL-terminated array owned by c, maybe empty). */
char *const *client_domains(struct dnsd_client *c);

/*
 * Split a user-supplied name into the candidates to try.
 * For a bare service ("web"): relative "_web._tcp", host "web".
 * For a relative '_' name: that name, host the same.
 * Otherwise: absolute, final dot removed.
 * On success *rel is 1 for relative names, *base and *host are malloc'd.
 */
int client_name_split(const char *in, unsigned flags, char **base,
    char **host, int *rel);

/* Join "label.domain" into a new string (NULL when out of memory). */
char *client_name_join(const char *a, const char *domain);

#endif
