/* conf.h -- dnsd.conf: parsing and the settings it yields (see dnsd.conf(5))
 *
 * The syntax is a sequence of statements: a keyword, arguments (words or
 * "quoted strings"), and either a block in braces or the end of the
 * statement (';' or end of line). '#' and '//' start comments. This makes
 * BIND key files (key "name" { algorithm ...; secret "..."; };) valid input.
 *
 * lex.c reads the syntax, settings.c holds the table of keywords (a new
 * setting is a row there), acl.c addresses and access lists, conf.c the
 * loading, zones, keys and the final checks.
 */
#ifndef DNSD_CONF_CONF_H
#define DNSD_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

struct sockaddr;

/* journal-size of a zone that allows transfers and does not set it. */
#define CONF_JOURNAL_DEFAULT 1000
/* answer-cache: bytes per UDP worker (qcache.h); the least that is not 0
 * holds a few entries. */
#define CONF_ANSWER_CACHE_DEFAULT (16ULL << 20)
#define CONF_ANSWER_CACHE_MIN 4096
/* check-max and check-max-concurrent (check/check.h) when not set (0). */
#define CONF_CHECK_MAX_DEFAULT 10000
#define CONF_CHECK_CONCURRENT_DEFAULT 256

/* Rate limiting (rate-limit, rrl.h): responses a second per network,
 * class and name; one in SLIP of the rest is sent truncated; the table's
 * buckets. On by default at a rate no normal client reaches. */
#define CONF_RRL_RATE_DEFAULT 1000
#define CONF_RRL_SLIP_DEFAULT 2
#define CONF_RRL_SIZE_DEFAULT 65536
#define CONF_RRL_EXEMPT_MAX 32
/* DNS cookies: the secret changes every day by default (cookie.h). */
#define CONF_COOKIE_ROTATION_DEFAULT 86400
#define CONF_NSID_MAX 128
#define CONF_CHAOS_TEXT_MAX 256

/* require-cookie: which UDP requests must bring a valid server cookie. */
enum conf_require_cookie {
	CONF_COOKIE_OPTIONAL = 0, /* none: cookies are checked and sent only */
	CONF_COOKIE_LARGE,        /* those whose answer is over 3x their size */
	CONF_COOKIE_ALWAYS,       /* every one */
};

/* An address or network: for listen, notify and access lists. */
struct conf_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix; /* for networks; 32/128 for hosts */
	uint16_t port;
};

/* A TSIG key. */
struct conf_key {
	char *name;
	uint8_t name_wire[WIRE_NAME_MAX];
	char *algorithm; /* "hmac-sha256", ... */
	char *secret;    /* base64 */
	uint32_t min_lease, max_lease; /* 0 = zone's */
	unsigned max_records;         /* 0 = no cap */
	char *where;     /* "file:line" of its statement, or "-y NAME" */
	bool allow_truncation;        /* accept MACs truncated to half (RFC 8945 5.2.2.1) */
};

/* One rule of an update policy: which key may change which names and types. */
enum conf_match { MATCH_NAME, MATCH_SUBDOMAIN, MATCH_WILDCARD, MATCH_SELF_SUB, MATCH_ZONE };
struct conf_grant {
	char *key; /* key name, or NULL for "any key" */
	enum conf_match match;
	uint8_t name[WIRE_NAME_MAX]; /* lower-case wire; outside the zone: relative to it */
	size_t ntypes;
	uint16_t types[32]; /* empty = every type but SOA and NS */
	char *where; /* "file:line" of the statement, for messages */
};

/* An access list. Each entry is one way in: a request is allowed if its
 * address matches any address entry, or if it is signed with any key
 * entry ("either", never "both"; dnsd.conf(5)). */
struct conf_acl {
	size_t naddrs;
	struct conf_addr *addrs;
	size_t nkeys;
	char **keys;
	char **key_where; /* per key: "file:line" of the statement naming it */
};

struct conf_zone {
	char *name;
	uint8_t apex[WIRE_NAME_MAX];
	char *file;           /* NULL: no zone file */
	uint32_t default_lease; /* 0 = permanent */
	uint32_t min_lease, max_lease;
	struct conf_acl allow_update_unsigned; /* addresses allowed without TSIG */
	size_t ngrants;
	struct conf_grant *grants; /* update policy; none = any configured key */
	struct conf_acl allow_transfer;
	size_t nnotify;
	struct conf_addr *notify;
	char *notify_key;
	char *notify_where;   /* "file:line" of the notify statement naming the key */
	unsigned journal_max; /* journal depth in entries (0: none) */
	/* The service model (svc/catalog.h): */
	bool only_passing;      /* answers leave out warning instances too */
	bool consul;            /* consul-domain is set: ... */
	uint8_t consul_apex[WIRE_NAME_MAX]; /* ... Consul-style names go there */
	uint32_t consul_ttl;    /* their TTL (Consul's service_ttl; default 0) */
	uint32_t a_record_limit; /* addresses in a service-name answer; 0 = all */
	bool implicit;          /* made for another zone's consul-domain */
};

/* An HTTP API token: token NAME { secret "..."; key KEY; } (http/http.h). */
struct conf_token {
	char *name;
	char *secret;   /* what clients send in X-Consul-Token */
	char *key;      /* the key whose grants, lease bounds and max-records apply;
	                 * NULL: the token may read, not write */
};

/* http-max-body, http-max-connections, http-timeout when not set. */
#define CONF_HTTP_MAX_BODY_DEFAULT (64ULL << 10)
#define CONF_HTTP_MAX_CONN_DEFAULT 256
#define CONF_HTTP_TIMEOUT_DEFAULT_MS 10000

/* Cluster mode (dnsd(8) "Cluster mode"): etcd holds the dynamic data. */
struct conf_cluster {
	bool on;              /* a cluster block was given */
	size_t netcd;
	char **etcd;          /* client URLs of the etcd members */
	char *prefix;         /* before every key (default "/dnsd/") */
	char *node;           /* this node's name (default: the host name) */
	char *user, *password;
	char *ca_file, *cert_file, *key_file;
};

struct conf {
	char *path;
	size_t nlisten;
	struct conf_addr *listen;
	char *store_dir;
	uint64_t store_size;
	unsigned workers;
	int log_level;
	uint16_t edns_max;
	unsigned tcp_idle_ms;
	unsigned tcp_max;
	unsigned tcp_msg_ms;        /* a message must arrive whole within this */
	unsigned tcp_client_max;    /* connections per client (prefix); 0 = none */
	unsigned tcp_client_v4, tcp_client_v6; /* the prefix lengths of a client */
	unsigned xfr_max;           /* concurrent transfers; 0 = none served */
	unsigned xfr_client_max;    /* ... per client address */
	unsigned xfr_timeout_ms;    /* total time of one transfer */
	unsigned xfr_send_ms;       /* longest wait for the client to read */
	unsigned xfr_snapshot_ms;   /* longest hold of a read snapshot */
	unsigned update_queue;      /* UPDATEs waiting for the writer */
	uint64_t update_queue_bytes;
	unsigned update_client_max; /* UPDATEs in flight per client; 0 = none */
	unsigned store_high_water;  /* percent of store-size: adds refused above */
	unsigned udp_coalesce_us; /* wait under heavy UDP load; 0 = never */
	unsigned udp_coalesce_rate; /* queries/s per worker that is heavy */
	uint64_t answer_cache;      /* bytes per UDP worker; 0 = none */
	char *zone_dir;
	size_t nzones;
	struct conf_zone *zones;
	size_t nkeys;
	struct conf_key *keys;
	size_t nforward;
	struct conf_addr *forward;
	struct conf_acl forward_allow;
	bool forward_allow_set;
	char *user;
	/* The health checker (check/check.h); 0: the default above. */
	unsigned check_max;            /* checks followed at most */
	unsigned check_max_concurrent; /* checks running at once */
	char *pid_file;             /* conf_finish: default STORE/dnsd.pid */
	/* The HTTP listener: Consul's API, /metrics and /ui (http/http.h). */
	size_t nhttp_listen;
	struct conf_addr *http_listen;
	char *http_zone;                    /* where HTTP registrations go; NULL:
	                                     * the first zone with consul-domain,
	                                     * else the first zone */
	struct conf_acl http_allow_read;    /* who may read without a token */
	bool http_allow_read_set;
	struct conf_acl http_allow_anonymous; /* who may write without a token */
	uint64_t http_max_body;             /* bytes */
	unsigned http_max_connections;
	unsigned http_timeout_ms;           /* a request must arrive whole in this */
	char *services_dir;                 /* service definition files */
	size_t ntokens;
	struct conf_token *tokens;
	struct conf_cluster cluster;
	/* The settings below keep their values in the struct itself (no
	 * allocation), and a zero means "not set": the conf_* functions
	 * after this struct give the value in force. */
	uint8_t nsid[CONF_NSID_MAX];          /* RFC 5001 identifier */
	uint16_t nsid_len;                    /* 0: no NSID */
	char version[CONF_CHAOS_TEXT_MAX];    /* version.bind; "": REFUSED */
	char identity[CONF_CHAOS_TEXT_MAX];   /* id.server; "": REFUSED */
	uint8_t cookie_secret[16];            /* cookie-secret */
	bool cookie_secret_set;               /* false: a random one */
	uint32_t cookie_rotation;             /* seconds; 0: the default */
	uint8_t require_cookie;               /* enum conf_require_cookie */
	unsigned rrl_rate;                    /* rate-limit */
	bool rrl_rate_set;
	unsigned rrl_slip;                    /* rate-limit-slip */
	bool rrl_slip_set;
	unsigned rrl_size;                    /* rate-limit-size; 0: default */
	struct conf_addr rrl_exempt[CONF_RRL_EXEMPT_MAX]; /* rate-limit-exempt */
	size_t nrrl_exempt;
	bool rrl_exempt_set;                  /* false: loopback only (no one
	                                       * can spoof it from the network) */
};

/*
 * Paths. A relative path in a configuration file (store, file, include,
 * keys-file, zone-dir, pid-file) is relative to the folder of the file it
 * is written in; one given on a command line is relative to the current
 * folder. conf_finish makes them all absolute, so they keep their meaning
 * after dnsd goes to the background, and dnsd and dnsdctl read the same
 * configuration the same way wherever they start.
 */
/* Hex digits `v` (an even number of them) into at most `max` bytes at
 * `out`: the byte count, or -1 if `v` is not hex or too long. */
int conf_hex(const char *v, uint8_t *out, size_t max);
/* The configuration file read when none is given: $sysconfdir/dnsd/dnsd.conf. */
const char *conf_default_path(void);
/* The store folder when the configuration names none: $STATE_DIRECTORY
 * (set by systemd's StateDirectory=; its first entry) if set, else
 * $localstatedir/lib/dnsd. */
const char *conf_default_store(void);
/* `p` made absolute against the current folder (a copy; NULL: no memory). */
char *conf_abspath(const char *p);

/* The values in force of the settings whose zero means "not set". */
static inline unsigned
conf_rrl_rate(const struct conf *c)
{
	return c->rrl_rate_set ? c->rrl_rate : CONF_RRL_RATE_DEFAULT;
}
static inline unsigned
conf_rrl_slip(const struct conf *c)
{
	return c->rrl_slip_set ? c->rrl_slip : CONF_RRL_SLIP_DEFAULT;
}
static inline unsigned
conf_rrl_size(const struct conf *c)
{
	return c->rrl_size != 0 ? c->rrl_size : CONF_RRL_SIZE_DEFAULT;
}
static inline uint32_t
conf_cookie_rotation(const struct conf *c)
{
	return c->cookie_rotation != 0 ? c->cookie_rotation : CONF_COOKIE_ROTATION_DEFAULT;
}

/* Defaults for every setting (no zones, no listeners). */
void conf_init(struct conf *c);
/* Read a configuration file into `c` (which holds defaults or command-line
 * values). Errors are logged as "file:line: message". */
int conf_load(struct conf *c, const char *path);
/* Read a file of BIND-style key statements (also valid inside dnsd.conf). */
int conf_load_keys(struct conf *c, const char *path);
/* Add a TSIG key (from the command line). */
int conf_add_key(struct conf *c, const char *name, const char *alg, const char *secret);
/* Add a zone (from the command line): "origin" or "origin:file". */
int conf_add_zone(struct conf *c, const char *spec);
/* Add every "<origin>.zone" in a folder as a zone. */
int conf_add_zone_dir(struct conf *c, const char *dir);
/* Add a listen address "ADDR", "ADDR@PORT" or "[v6]:PORT" (default port 53). */
int conf_add_listen(struct conf *c, const char *spec);
/* Parse "ADDR[@PORT]" or "ADDR/PREFIX" into `a`. */
int conf_addr_parse(const char *spec, uint16_t default_port, struct conf_addr *a);
/* Is the address (4 bytes for AF_INET, 16 for AF_INET6) inside the list?
 * Only entries of the same family count. Key entries never match. */
bool conf_acl_match_addr(const struct conf_acl *acl, int family, const uint8_t *addr);
/* Is the peer of a socket inside the list? `peer` is what recvfrom,
 * recvmsg or accept filled in (say a struct sockaddr_storage, cast);
 * AF_INET and AF_INET6 are matched, any other family or NULL matches
 * nothing. Only addresses count: "key NAME" entries are for the caller.
 *
 * Each family matches its own entries: an IPv4-mapped IPv6 peer
 * (::ffff:a.b.c.d) matches IPv6 entries only, never the IPv4 ones, as in
 * conf_acl_match_addr. On purpose: an IPv6 socket, IPV6_V6ONLY or not,
 * receives UDP whose IPv6 source is ::ffff:127.0.0.1 from anyone who can
 * reach it over IPv6 (Linux refuses such sources for TCP connections
 * only), and "localhost" must not let them in. A listener whose IPv4
 * clients should meet the IPv4 entries listens on an IPv4 socket, as
 * dnsd's DNS listeners do, not on a dual-stack one. */
bool conf_acl_match_sockaddr(const struct conf_acl *acl, const struct sockaddr *peer);
/* Find an HTTP token by its secret, comparing every configured secret in
 * constant time (CRYPTO_memcmp); NULL if none matches. */
const struct conf_token *conf_token_find(const struct conf *c, const char *secret, size_t len);
/* The zone HTTP registrations and service definition files go to
 * (http-zone, else the first zone with consul-domain, else the first
 * zone); NULL if there is no zone. */
const struct conf_zone *conf_http_zone(const struct conf *c);
/* Find a key by name (wire form, case-insensitive); NULL if none. */
const struct conf_key *conf_key_find(const struct conf *c, const uint8_t *name);
/* Check settings after loading (zones exist, files readable, ...). */
int conf_finish(struct conf *c);
/* Free everything `c` holds; it can be conf_init'ed again. */
void conf_free(struct conf *c);

/*
 * The settings that a running server cannot take from a reloaded
 * configuration (listen, workers, store, store-size, user, answer-cache,
 * udp-coalesce, forward, pid-file, cluster): fill `names` with the keywords of
 * those that differ between `old` and `new` (both finished), at most
 * `max`, and return how many differ.
 */
size_t conf_restart_changes(const struct conf *old, const struct conf *new, const char **names,
    size_t max);

/* Call fn for each row of the settings table, in table order: every
 * keyword dnsd.conf knows, once per level it may appear at. `level` is
 * "top", or the keyword of the block it belongs in ("zone", "key"); `man`
 * names the page that documents it, as "dnsd.conf(5)". Returns the first
 * non-zero value fn returns (and stops there), else 0. For tests and tools. */
int conf_settings_foreach(
    int (*fn)(const char *keyword, const char *level, const char *man, void *arg), void *arg);

#endif
