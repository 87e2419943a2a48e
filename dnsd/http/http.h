/* http.h -- the HTTP listener: Consul's agent, catalog, health and status
 * API over the service model, service definition files, /metrics and /ui
 *
 * One thread drives a libmicrohttpd daemon per http-listen address from
 * one event loop that sleeps until its next deadline. Reads are answered
 * from LMDB snapshots in that thread; every write (a registration, a
 * deregistration, a health report, a definition file's instances) is a
 * svc_op handed to the writer, and its request waits, suspended, until
 * the writer says it is durable. Blocking queries (?index=N) wait the same
 * way and are woken once per commit that changes the catalog. The UDP and
 * TCP workers never wait for any of it.
 */
#ifndef DNSD_HTTP_HTTP_H
#define DNSD_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct http;
struct runtime;
struct store;
struct svc_op;

/* What the listener needs, and how it reaches the writer. */
struct http_setup {
	struct store *store;
	struct runtime *rt;     /* the listener takes its own reference */
	const int *fds;         /* listening TCP sockets, one per http-listen
	                         * address: the listener takes them over (and
	                         * closes them, also when it fails to start) */
	size_t nfds;
	void *ctx;
	/* Queue a change to the model (writer_submit_op); `done` runs in the
	 * writer's thread once it is durable or has failed. */
	void (*submit)(void *ctx, const struct svc_op *op,
	    void (*done)(void *arg, int rc, uint64_t index), void *arg);
};

/*
 * Start the listener thread: serve the API on the sockets, and load the
 * definition files of services-dir (if set). Returns 0 with *out NULL when
 * there is nothing to do (no http-listen, no services-dir).
 */
int http_start(const struct http_setup *s, struct http **out);
/* The catalog changed in a durable commit (writer_setup.catalog_changed):
 * wake the blocking queries waiting for an index below `index`.
 * Thread-safe, never blocks; NULL is fine. */
void http_catalog_changed(struct http *h, uint64_t index);
/* Serve another generation of the configuration (tokens, access lists,
 * zones, limits) from the next request on; the listener takes its own
 * reference. The sockets stay as they are. NULL is fine. */
void http_set_runtime(struct http *h, struct runtime *rt);
/*
 * Read services-dir again (SIGHUP): a new or changed file registers its
 * instances, a removed file deregisters them, and a file with an error is
 * logged with its line and keeps the instances it had. Runs in the
 * listener's thread, after any runtime handed over before it, and returns
 * at once. NULL is fine.
 */
void http_services_reload(struct http *h);
/* Stop the thread and free everything (NULL is fine). Requests still
 * waiting for the writer are answered 503. */
void http_stop(struct http *h);

#endif
