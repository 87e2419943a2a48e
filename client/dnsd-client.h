/* dnsd-client.h -- resolve services registered in DNS (SRV, DNS-SD) with c-ares */
#ifndef DNSD_CLIENT_H
#define DNSD_CLIENT_H

/*
 * libdnsd-client turns a service name into an ordered list of endpoints
 * (address and port) the way RFC 2782 asks clients to: SRV records sorted
 * by priority, shuffled by weight within a priority, each target followed
 * to its AAAA and A records; a name without SRV falls back to its own
 * A/AAAA records. It also lists DNS-SD service instances (RFC 6763: PTR,
 * then SRV and TXT of each instance).
 *
 * All lookups are asynchronous on a c-ares channel. A context
 * (struct dnsd_client) owns the channel, or borrows one the application
 * already drives. The blocking calls dnsd_resolve() and dnsd_browse() run
 * the context's own event loop until their answer is in.
 *
 * Service names come in three forms:
 *
 *   "web"                     a bare service: the SRV name _web._tcp (or
 *                             _web._udp with DNSD_RESOLVE_UDP) is tried in
 *                             each search domain in turn; the fallback
 *                             host name is web.<domain>.
 *   "_web._tcp"               a relative name whose labels all start with
 *                             '_': tried in each search domain.
 *   "_web._tcp.example.test", "web.example.test", "host.example.test."
 *                             any other name is absolute (a final dot is
 *                             optional); SRV is asked at that very name.
 *
 * Search domains come from the system resolver configuration
 * (/etc/resolv.conf "search"/"domain", the LOCALDOMAIN variable) unless
 * the context options give their own.
 *
 * Errors: every fallible function returns an int, 0 on success, a negative
 * errno value (-ENOMEM, -EINVAL) or one of enum dnsd_client_err; turn any
 * of them into a message with dnsd_client_strerror().
 *
 * Threads: a context and its requests belong to one thread at a time.
 * Distinct contexts may be used in parallel.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/select.h>         /* fd_set, which ares.h uses */
#include <sys/socket.h>
#include <netinet/in.h>

#include <ares.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Project error codes (all <= -2000, apart from negative errno values). */
enum dnsd_client_err {
	DNSD_CLIENT_OK = 0,
	DNSD_CLIENT_ENXDOMAIN = -2000,    /* no such name (NXDOMAIN) */
	DNSD_CLIENT_ENODATA = -2001,      /* the name exists, no record of the type */
	DNSD_CLIENT_ETIMEOUT = -2002,     /* no server answered in time */
	DNSD_CLIENT_EREFUSED = -2003,     /* server refused (REFUSED) */
	DNSD_CLIENT_ESERVFAIL = -2004,    /* server failure (SERVFAIL) */
	DNSD_CLIENT_EBADRESP = -2005,     /* malformed or unexpected response */
	DNSD_CLIENT_ECONNREFUSED = -2006, /* no server reachable (connection
	                                     refused); with several servers
	                                     c-ares 1.18 also says this when
	                                     all refused or failed */
	DNSD_CLIENT_ENOADDR = -2007,      /* SRV targets have no addresses */
	DNSD_CLIENT_ENOSERVICE = -2008,   /* SRV target "." (RFC 2782: not here) */
	DNSD_CLIENT_EBADNAME = -2009,     /* name not valid in DNS */
	DNSD_CLIENT_ESERVERS = -2010,     /* bad server list */
	DNSD_CLIENT_ECANCELLED = -2011,   /* context freed before the answer */
	DNSD_CLIENT_ENODOMAIN = -2012,    /* relative name but no search domain */
	DNSD_CLIENT_ERESOLVER = -2013     /* any other c-ares failure */
};

/*
 * Return a static one-line message for a dnsd_client_err or a negative
 * errno value, e.g. "no such name (NXDOMAIN)", "no answer", "timed out",
 * "server refused".
 */
const char *dnsd_client_strerror(int err);

/* ---------------------------------------------------------------------
 * SRV ordering (RFC 2782), pure: no c-ares, no I/O.
 */

/* One SRV record. target is not owned by the library. */
struct dnsd_srv {
	uint16_t priority;
	uint16_t weight;
	uint16_t port;
	const char *target;
	void *data;        /* caller's, carried along */
};

/*
 * A random source: return 32 uniformly distributed random bits. arg is the
 * pointer given together with the function.
 */
typedef uint32_t (*dnsd_rand_fn)(void *arg);

/*
 * Put v[0..n) into the order in which a client should contact the
 * targets, implementing the selection algorithm of RFC 2782 ("Usage
 * rules"): records sorted by ascending priority; within one priority,
 * the records are arranged in random order with all weight-0 records
 * first, and then repeatedly one record is selected whose running weight
 * sum is the first >= a uniform random number in [0, sum] (inclusive).
 * So a weight-0 record is chosen only when the number is 0 (a small
 * chance, 1 in sum + 1) unless all weights are 0, in which case the order
 * is uniformly random. The order of records with equal priority is
 * otherwise a weighted random permutation.
 *
 * rnd supplies the randomness (unit tests pass a seeded generator); NULL
 * uses the library's generator (seeded from getentropy(), one state per
 * thread). The function allocates nothing and cannot fail; O(n^2) per
 * priority, which is fine for the record counts DNS carries.
 */
void dnsd_srv_order(struct dnsd_srv *v, size_t n, dnsd_rand_fn rnd, void *arg);

/* ---------------------------------------------------------------------
 * Context.
 */

struct dnsd_client;

/* Context flags. */
enum dnsd_client_flag {
	DNSD_CLIENT_DNS_TCP = 1 << 0  /* talk to the DNS servers over TCP */
};

/*
 * Options for dnsd_client_new(). Zero-initialise and set what you need;
 * a NULL options pointer means all defaults.
 */
struct dnsd_client_options {
	/*
	 * Use this existing c-ares channel instead of creating one. It is
	 * borrowed: dnsd_client_free() leaves it alive, and the application
	 * keeps driving it (or calls dnsd_client_process()). servers,
	 * domains, query_timeout_ms, tries and flags are then ignored.
	 */
	ares_channel channel;
	/*
	 * Servers as a comma-separated list, each "ADDR", "ADDR:PORT" or
	 * "[IPV6]:PORT" (the syntax of ares_set_servers_ports_csv()).
	 * NULL: the system resolver configuration (ares_init()).
	 */
	const char *servers;
	/* Search domains, comma-separated; NULL: the system's. */
	const char *domains;
	/*
	 * Overall limit for one resolve or browse request, in milliseconds,
	 * enforced by dnsd_client_process() and the blocking calls: after
	 * it the request completes with DNSD_CLIENT_ETIMEOUT. 0: no limit
	 * beyond c-ares' own retries.
	 */
	int timeout_ms;
	/* c-ares' first per-try timeout (ARES_OPT_TIMEOUTMS); 0: default. */
	int query_timeout_ms;
	/* c-ares' tries per server (ARES_OPT_TRIES); 0: default. */
	int tries;
	/* enum dnsd_client_flag bits. */
	unsigned flags;
	/* Random source for SRV ordering; NULL: the library's generator. */
	dnsd_rand_fn rnd;
	void *rnd_arg;
};

/*
 * Create a context in *out. Without opt->channel it initialises c-ares
 * (ares_library_init(), ares_init_options()) from the system resolver
 * configuration and applies opt->servers and opt->domains. With exactly
 * one server it sets ARES_FLAG_NOCHECKRESP, so that REFUSED and SERVFAIL
 * answers come through as DNSD_CLIENT_EREFUSED and DNSD_CLIENT_ESERVFAIL
 * (c-ares 1.18 would report them as "connection refused"); with several,
 * c-ares keeps failing over to the next server. Returns 0,
 * -ENOMEM, -EINVAL, DNSD_CLIENT_ESERVERS (unparsable server list) or
 * DNSD_CLIENT_ERESOLVER. The caller frees the context with
 * dnsd_client_free().
 */
int dnsd_client_new(struct dnsd_client **out,
    const struct dnsd_client_options *opt);

/*
 * Free a context (NULL is fine). Requests still pending complete first,
 * with DNSD_CLIENT_ECANCELLED. An owned channel is destroyed; a borrowed
 * one is left to the application. Never call this from a callback.
 */
void dnsd_client_free(struct dnsd_client *c);

/*
 * The context's c-ares channel, e.g. to poll its sockets with
 * ares_getsock() in the application's own event loop. Owned by the
 * context (or the application, when borrowed).
 */
ares_channel dnsd_client_channel(struct dnsd_client *c);

/*
 * One round of the event loop: wait up to wait_ms milliseconds (-1: until
 * the next c-ares or request deadline; 0: do not wait) for the channel's
 * sockets, process what arrived and what timed out, and complete requests
 * whose timeout_ms has passed. Callbacks run from here. Returns the
 * number of requests of this context still pending (>= 0), or -errno if
 * poll() failed.
 */
int dnsd_client_process(struct dnsd_client *c, int wait_ms);

/* Run dnsd_client_process() until no request of c is pending. */
int dnsd_client_run(struct dnsd_client *c);

/* ---------------------------------------------------------------------
 * Resolving a service to endpoints.
 */

/* Flags for dnsd_resolve() and dnsd_browse(). */
enum dnsd_resolve_flag {
	DNSD_RESOLVE_UDP = 1 << 0,         /* bare names use _udp, not _tcp */
	DNSD_RESOLVE_NO_FALLBACK = 1 << 1, /* no A/AAAA fallback without SRV */
	DNSD_RESOLVE_NAMES = 1 << 2,       /* do not look up SRV targets'
	                                      addresses: one endpoint per
	                                      record, family AF_UNSPEC (the
	                                      fallback still checks that the
	                                      host has an address) */
	DNSD_RESOLVE_IPV4 = 1 << 3,        /* IPv4 only (with IPV6: both) */
	DNSD_RESOLVE_IPV6 = 1 << 4         /* IPv6 only (with IPV4: both) */
};

/* One endpoint, in the order a client should try them. */
struct dnsd_endpoint {
	char *target;       /* SRV target, or the host name on fallback;
	                       presentation form, no final dot */
	uint16_t port;      /* SRV port, or the caller's port on fallback */
	uint16_t priority;  /* SRV priority; 0 on fallback */
	uint16_t weight;    /* SRV weight; 0 on fallback */
	int family;         /* AF_INET6, AF_INET, or AF_UNSPEC (no address:
	                       DNSD_RESOLVE_NAMES) */
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} addr;             /* address with the port set, ready for connect() */
	socklen_t addrlen;  /* 0 when family is AF_UNSPEC */
};

/* The answer to a resolve request. */
struct dnsd_endpoints {
	struct dnsd_endpoint *v;
	size_t n;           /* >= 1 */
	char *name;         /* the name that answered: the SRV owner, or the
	                       host name on fallback */
	int srv;            /* 1: from SRV records; 0: A/AAAA fallback */
};

/* Free a result (NULL is fine). */
void dnsd_endpoints_free(struct dnsd_endpoints *e);

/*
 * Format e as "address:port", "[ipv6]:port" or, without an address,
 * "target:port"; a port of 0 is left out ("address" alone). Writes at
 * most len bytes including the NUL; returns the length snprintf() would
 * have produced.
 */
int dnsd_endpoint_format(const struct dnsd_endpoint *e, char *buf,
    size_t len);

/*
 * Completion of a resolve request: err is 0 and res the endpoints (the
 * callee owns them: free with dnsd_endpoints_free()), or err is an error
 * and res NULL.
 */
typedef void (*dnsd_resolve_cb)(void *arg, int err,
    struct dnsd_endpoints *res);

/*
 * Start resolving service (see the forms at the top) on c. Steps:
 *   1. SRV at the service name (RFC 2782). Records are ordered with
 *      dnsd_srv_order(); the addresses of each target come from the
 *      additional section of the SRV response when it has any for that
 *      target, otherwise from AAAA and A queries. A target's AAAA
 *      addresses come before its A addresses. Targets without any
 *      address are skipped; a lone target "." gives
 *      DNSD_CLIENT_ENOSERVICE.
 *   2. No SRV at the name (NXDOMAIN or no SRV records) and no
 *      DNSD_RESOLVE_NO_FALLBACK: AAAA and A of the host name, each
 *      endpoint carrying port (which may be 0: unknown).
 *   3. A relative name moves on to the next search domain while both
 *      steps found no such name or no data.
 * Returns 0 when the request is under way: cb is then called exactly
 * once, from dnsd_client_process() (or from the application's c-ares
 * processing on a borrowed channel). On an error return (-EINVAL,
 * -ENOMEM, DNSD_CLIENT_EBADNAME, DNSD_CLIENT_ENODOMAIN, or a failure
 * to send) cb is never called.
 */
int dnsd_resolve_start(struct dnsd_client *c, const char *service,
    unsigned flags, uint16_t port, dnsd_resolve_cb cb, void *arg);

/*
 * Blocking form of dnsd_resolve_start(): runs the context's event loop
 * (other requests of c progress too) until the answer is in, and stores
 * it in *out (free with dnsd_endpoints_free()). Returns 0 or an error;
 * *out is NULL on error. Not to be called from a callback.
 */
int dnsd_resolve(struct dnsd_client *c, const char *service, unsigned flags,
    uint16_t port, struct dnsd_endpoints **out);

/* ---------------------------------------------------------------------
 * DNS-SD browsing (RFC 6763).
 */

/* One character-string of a TXT record, normally "key=value". */
struct dnsd_txt {
	char *data;         /* len bytes, plus a NUL for convenience */
	size_t len;
};

/* One service instance. */
struct dnsd_instance {
	char *name;         /* instance name in c-ares' presentation form:
	                       special characters escaped (\. \\ \" ...),
	                       other non-printable octets as \DDD, spaces
	                       kept ("Front Page._http._tcp.example.test") */
	char *label;        /* first label unescaped ("Front Page"), raw bytes
	                       (UTF-8 as registered) */
	char *target;       /* SRV target of the instance; NULL when it has no
	                       SRV record. With several SRV records, the first
	                       in dnsd_srv_order() order. */
	uint16_t port, priority, weight;
	struct dnsd_txt *txt; /* strings of its TXT record, in wire order */
	size_t ntxt;
};

/* The answer to a browse request, sorted by label. */
struct dnsd_instances {
	struct dnsd_instance *v;
	size_t n;           /* >= 1 */
	char *name;         /* the service type name that answered */
};

/* Free a result (NULL is fine). */
void dnsd_instances_free(struct dnsd_instances *in);

/* Completion of a browse request; like dnsd_resolve_cb. */
typedef void (*dnsd_browse_cb)(void *arg, int err,
    struct dnsd_instances *res);

/*
 * Start listing the instances of a DNS-SD service type, e.g.
 * "_http._tcp.example.test" (absolute), "_http._tcp" or "http" (search
 * domains; "http" becomes _http._tcp, or _http._udp with
 * DNSD_RESOLVE_UDP). Queries PTR at the type name, then SRV and TXT of
 * each instance (RFC 6763 sections 4 and 6). An instance whose SRV or TXT
 * lookup fails is still listed, without target or strings. The return
 * value and callback contract are those of dnsd_resolve_start().
 */
int dnsd_browse_start(struct dnsd_client *c, const char *type,
    unsigned flags, dnsd_browse_cb cb, void *arg);

/* Blocking form of dnsd_browse_start(), like dnsd_resolve(). */
int dnsd_browse(struct dnsd_client *c, const char *type, unsigned flags,
    struct dnsd_instances **out);

#ifdef __cplusplus
}
#endif

#endif
