/* check.h -- the health checker: the HTTP and TCP checks that dnsd runs
 * itself, for instances that cannot run a wrapper
 *
 * A registration may define checks (svc_check, svc/svc.h). The checker
 * thread finds the instances that carry HTTP or TCP checks (a scan of the
 * store at start and after catalog changes), runs each check every
 * interval with its timeout, and reports a change of a check's state (not
 * every result) as a HEALTH op through the writer; an instance whose check
 * stays critical longer than its deregister-critical-after is deregistered
 * (a DEREGISTER op). It never writes the store itself.
 *
 *   HTTP  a GET of the URL (libcurl's multi interface: one thread drives
 *         every transfer): 2xx passing, 429 warning, anything else or no
 *         answer critical, as Consul. The body is read up to
 *         CHECK_BODY_MAX bytes and discarded; redirects are not followed;
 *         only http and https; no proxy.
 *   TCP   a connect to host:port: connected is passing, anything else
 *         critical.
 *   TTL   not run (the registrant reports them); followed only for
 *         deregister-critical-after.
 *
 * Bounds: at most check-max checks are followed (the rest are ignored,
 * with a log line), at most check-max-concurrent run at once, an interval
 * is at least CHECK_INTERVAL_MIN_MS, and a scan is at most a tenth of the
 * thread's time however often the catalog changes.
 */
#ifndef DNSD_CHECK_CHECK_H
#define DNSD_CHECK_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "svc/svc.h"

struct checker;
struct runtime;
struct stats_block;
struct store;
struct svc_op;

/* Consul's bounds and defaults: an interval is at least 1 s (Consul's
 * MinInterval), a check without a timeout gets 10 s. */
#define CHECK_INTERVAL_MIN_MS 1000u
#define CHECK_INTERVAL_DEFAULT_MS 10000u
#define CHECK_TIMEOUT_DEFAULT_MS 10000u
/* The most of a response body an HTTP check reads (then it stops: the
 * status code decides). */
#define CHECK_BODY_MAX 65536

/* How the writer says an op is durable (rc 0) or failed: writer_op_done. */
typedef void (*check_op_done)(void *arg, int rc, uint64_t index);

/* What the checker needs, and how it talks back to its parent. */
struct check_setup {
	struct store *store;       /* read: the instances and their checks */
	struct runtime *rt;        /* zones and the check-* settings (the checker holds it) */
	void *ctx;
	/* Queue a change to the model (writer_submit_op): `op` is copied;
	 * `done` runs later, in any thread, with `arg`. */
	void (*submit)(void *ctx, const struct svc_op *op, check_op_done done, void *arg);
	struct stats_block *stats; /* the thread's counters (NULL: none) */
};

/*
 * Start the checker thread. It scans the store at once; its first runs
 * are spread over up to a second (or the interval, if shorter).
 */
int check_start(const struct check_setup *s, struct checker **out);
/* The catalog changed in a durable commit (writer_setup.catalog_changed):
 * look for added, changed or removed checks. Thread-safe, never blocks on
 * the network; NULL is fine. */
void check_catalog_changed(struct checker *c, uint64_t index);
/* Serve another generation of the configuration from now on (the checker
 * takes its own reference). */
void check_set_runtime(struct checker *c, struct runtime *rt);
/* Stop the thread: no check runs and no op is submitted after it returns.
 * The `done` of ops already submitted may still come (NULL is fine). */
void check_stop(struct checker *c);
/* Free everything, once nothing can call back any more (after the writer
 * stopped). NULL is fine. */
void check_free(struct checker *c);

/* ---- the pure parts, for tests ---- */

/* The health an HTTP status gives, as Consul: 2xx passing, 429 warning,
 * anything else (0: no answer) critical. */
enum svc_health check_http_health(long status);
/*
 * The URL a TCP check connects through: "host:port" or "[v6]:port" to
 * "http://host:port/" (the host a name, IPv4 or bracketed IPv6 literal;
 * the port 1 to 65535). DNSD_EMALF if `target` is not such a pair,
 * DNSD_ESPACE if `url` (size `size`) is too small.
 */
int check_tcp_url(const char *target, char *url, size_t size);
/* The interval and timeout a check runs with, in ms: defaults for 0, the
 * interval at least CHECK_INTERVAL_MIN_MS. */
uint32_t check_interval_ms(const struct svc_check *k);
uint32_t check_timeout_ms(const struct svc_check *k);

#endif
