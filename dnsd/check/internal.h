/* internal.h -- inside the checker: one check run on one curl easy handle
 * (probe.c), for the thread (check.c) to drive in its curl multi; the
 * checks it follows and their deadlines (table.c) */
#ifndef DNSD_CHECK_INTERNAL_H
#define DNSD_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svc/svc.h"
#include "util/dyncurl.h"

/* One run of one check: made by probe_new, added to the multi by the
 * caller, judged by probe_result once curl says it is done. */
struct probe {
	CURL *easy;
	void *owner;                      /* the caller's: whose check it runs */
	enum svc_check_kind kind;
	size_t body;                      /* body bytes read (and dropped) */
	char err[CURL_ERROR_SIZE];
	char url[SVC_TARGET_URL_MAX + 16];
};

/*
 * A run of a check of `kind` (HTTP or TCP) against `target` (a URL; or
 * host:port) that gives up after `timeout_ms`, sending `headers` (HTTP;
 * kept by the caller until the run ends). NULL with *why set when it
 * cannot even start: DNSD_EMALF for a target that is not host:port,
 * -ENOMEM, -EINVAL when curl refuses an option.
 */
struct probe *probe_new(enum svc_check_kind kind, const char *target, uint32_t timeout_ms,
    struct curl_slist *headers, int *why);
/*
 * Judge a finished run: curl's result `rc` and, for HTTP, the status
 * (check_http_health). Writes an output line into out (size `size`), as
 * "HTTP GET URL: 200" or "TCP connect HOST:PORT: Success" or the error.
 */
enum svc_health probe_result(const struct probe *p, CURLcode rc, const char *target, char *out,
    size_t size);
/* Free a run (its easy handle must be out of any multi); NULL is fine. */
void probe_free(struct probe *p);

/* ---- table.c: the checks followed, and their deadlines ---- */

enum { H_DUE, H_DEREG, H_N }; /* the heaps: next run; deregistration */
#define TABLE_NOT_IN ((size_t)-1)

/* One check the thread follows (check.c fills everything after `id`). */
struct entry {
	struct entry *hnext;         /* hash chain */
	size_t pos;                  /* in table.all */
	size_t hidx[H_N];            /* in table.heap[h], or TABLE_NOT_IN */
	uint64_t hkey[H_N];          /* its deadline there (monotonic ms) */
	char inst[SVC_ID_MAX];       /* the instance's ID */
	char id[SVC_ID_MAX];         /* the check's ID */
	enum svc_check_kind kind;
	uint32_t interval_ms, timeout_ms, deregister_s;
	char target[SVC_TARGET_URL_MAX];
	enum svc_health reported;    /* in the store, or in the op on its way */
	uint64_t crit_ms;            /* wall ms: when `reported` became critical */
	bool ran;                    /* `last` holds a result */
	enum svc_health last;
	char output[SVC_OUTPUT_MAX]; /* of `last` */
	bool op_pending;             /* a HEALTH op is in flight */
	bool dereg_pending;          /* a DEREGISTER op was sent */
	bool seen;                   /* by the scan going on */
	struct probe *probe;         /* the run going on */
};

struct table {
	struct entry **buckets;
	size_t nbuckets;
	struct entry **all;          /* every entry, in no order */
	size_t n, cap;
	struct entry **heap[H_N];
	size_t hn[H_N];
};

/* An empty table, its hash sized for about `expect` entries. */
int table_init(struct table *t, size_t expect);
/* Free every entry (their probes must be gone) and the table. */
void table_free(struct table *t);
/* The entry of check `id` of instance `inst`; NULL if none. */
struct entry *table_lookup(const struct table *t, const char *inst, const char *id);
/* A new zeroed entry for (inst, id), in no heap; NULL without memory. */
struct entry *table_add(struct table *t, const char *inst, const char *id);
/* Take an entry out of everything and free it (its probe must be gone). */
void table_remove(struct table *t, struct entry *e);
/* Give e the deadline `at` in heap h (in it already or not), or take it out. */
void table_set(struct table *t, int h, struct entry *e, uint64_t at);
void table_unset(struct table *t, int h, struct entry *e);
/* The entry with the earliest deadline in heap h; NULL if it is empty. */
struct entry *table_first(const struct table *t, int h);

#endif
