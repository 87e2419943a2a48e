/* svc.h -- the service model: an instance with its health, tags, weights
 * and lease, and the byte format the store keeps it in
 *
 * A service instance is what users think in: instance `web-3` of service
 * `_web._tcp` in zone Z, at host:port, with priority and weights, tags,
 * metadata (its TXT), health, a lease and the key that registered it. It
 * is kept once, in the store's "instances" database, under the node key
 * of its DNS-SD name `web-3._web._tcp.Z`. Every view of it is derived by
 * the server in the commit that changes it (svc_views, view.h): the
 * DNS-SD records (browse PTR, SRV, TXT, subtype PTRs, the
 * _services._dns-sd._udp PTR), the RFC 2782 SRV set of the service, the
 * Consul-style names and the HTTP catalog. Pure code: no LMDB, no clock.
 *
 * Value format (integers big-endian): a version byte (1), then fields
 *
 *   field := tag:u8 len:u16 data{len}
 *
 * in any order; a reader skips tags it does not know, so a field can be
 * added without a new store format. Repeated tags (TAG, ADDR, CHECK) are
 * kept in order.
 *
 *   1 TARGET   wire name of the host (SRV target)
 *   2 SRV      priority:u16 weight:u16 port:u16 weight_warning:u16
 *   3 TTL      ttl:u32 (of every record derived from the instance)
 *   4 LEASE    expire:u32 (0 = permanent) owner:u32 (key tag, 0 = none)
 *   5 HEALTH   state:u8 since:u32 (when it entered that state)
 *   6 ORIGIN   origin:u8
 *   7 ID       the Consul ID, UTF-8 (default: the instance label)
 *   8 TAG      one tag, UTF-8 (a DNS-SD subtype `_TAG._sub`)
 *   9 TXT      the RDATA of its TXT record (character-strings)
 *  10 ADDR     4 or 16 bytes: an address of the instance itself (Consul's
 *              ServiceAddress); without any, the target's A/AAAA are used
 *  11 CHECK    a check that dnsd runs or expects (struct svc_check):
 *              kind:u8 status:u8 interval_ms:u32 timeout_ms:u32
 *              ttl_ms:u32 deregister_s:u32 since:u32 idlen:u8 id
 *              namelen:u8 name targetlen:u16 target outlen:u16 output
 *  12 NOTE     a health output line (last check output, for the catalog)
 *  13 SOURCE   where a permanent definition came from (a file path)
 *  14 NAME     the instance's name with the case it was registered in (the
 *              key holds it in lower case)
 *
 * Example: web-3 at web-3.Z:8080, priority 10 weight 5, TTL 30, lease until
 * 0x65000000, passing:
 *   01  01 00 0f 05 77 65 62 2d 33 01 5a 00 ...   02 00 08 00 0a 00 05 1f 90 00 05
 *   ver TARGET len=15 "web-3.Z"                  SRV  len=8 prio 10 w 5 port 8080 ww 5
 */
#ifndef DNSD_SVC_SVC_H
#define DNSD_SVC_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

/* Health, as Consul has it: warning instances stay in answers (unless a
 * zone says only-passing), critical ones never. */
enum svc_health { SVC_PASSING = 0, SVC_WARNING = 1, SVC_CRITICAL = 2 };

/* Who made the instance. */
enum svc_origin {
	SVC_FROM_UPDATE = 0, /* a DNS UPDATE (nsupdate, dnsd-update, SRP) */
	SVC_FROM_HTTP = 1,   /* PUT /v1/agent/service/register */
	SVC_FROM_FILE = 2,   /* a services-dir definition (permanent) */
	SVC_FROM_ZONE = 3,   /* a zone file's SRV at an instance name (permanent) */
};

enum svc_check_kind { SVC_CHECK_TTL = 1, SVC_CHECK_HTTP = 2, SVC_CHECK_TCP = 3 };

#define SVC_ID_MAX 128
#define SVC_TAG_MAX 64
#define SVC_TAGS_MAX 32
#define SVC_ADDRS_MAX 8
#define SVC_CHECKS_MAX 4
#define SVC_TXT_MAX 1024
#define SVC_TARGET_URL_MAX 512
#define SVC_OUTPUT_MAX 256
#define SVC_SOURCE_MAX 256
/* The most one encoded instance may take (all fields full). */
#define SVC_VALUE_MAX 16384

struct svc_check {
	enum svc_check_kind kind;
	enum svc_health status;
	uint32_t interval_ms, timeout_ms;
	uint32_t ttl_ms;        /* TTL checks: how long a pass lasts */
	uint32_t deregister_s;  /* DeregisterCriticalServiceAfter; 0 = never */
	uint32_t since;         /* when status last changed (seconds) */
	char id[SVC_ID_MAX];
	char name[SVC_ID_MAX];
	char target[SVC_TARGET_URL_MAX]; /* HTTP: URL; TCP: host:port */
	char output[SVC_OUTPUT_MAX];
};

struct svc_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

struct svc_instance {
	uint8_t name[WIRE_NAME_MAX];   /* inst._svc._proto.Z, as given */
	uint8_t target[WIRE_NAME_MAX];
	uint16_t priority, weight, port;
	uint16_t weight_warning;       /* Consul's Weights.Warning */
	uint32_t ttl;
	uint32_t expire;               /* lease end (records live while now < expire); 0 = permanent */
	uint32_t owner;                /* tag of the key that registered it (node_owner_tag) */
	enum svc_health health;
	uint32_t health_since;
	enum svc_origin origin;
	char id[SVC_ID_MAX];
	size_t ntags;
	char tags[SVC_TAGS_MAX][SVC_TAG_MAX];
	uint16_t txt_len;
	uint8_t txt[SVC_TXT_MAX];      /* TXT RDATA; 0 bytes: none */
	size_t naddrs;
	struct svc_addr addrs[SVC_ADDRS_MAX];
	size_t nchecks;
	struct svc_check checks[SVC_CHECKS_MAX];
	char note[SVC_OUTPUT_MAX];
	char source[SVC_SOURCE_MAX];
};

/* A fresh instance: everything zero, health passing, weights 1. */
void svc_instance_init(struct svc_instance *in);

/* Encode into `out` (room for SVC_VALUE_MAX bytes); returns the length. */
size_t svc_encode(const struct svc_instance *in, uint8_t *out);
/* Decode a stored value; DNSD_EMALF if it is not one. `name` is the
 * instance's DNS name (from its key), copied into in->name. */
int svc_decode(const uint8_t *val, size_t len, const uint8_t *name, struct svc_instance *in);

/*
 * What the views of a service need of each of its instances, read fast
 * (no TXT, checks or notes, nothing cleared that is not used): a service
 * of thousands of instances is read whole whenever its views are derived.
 * Tags go to the caller's `tags` buffer (tags_cap bytes, from *tags_len
 * on), as NUL-terminated strings; `first_tag` is the offset of the first.
 */
struct svc_brief {
	uint8_t name[WIRE_NAME_MAX];
	uint8_t target[WIRE_NAME_MAX];
	uint16_t priority, weight, port, weight_warning;
	uint32_t ttl, expire, owner;
	enum svc_health health;
	bool own_addrs;
	uint8_t ntags;
	size_t first_tag;
};
int svc_decode_brief(const uint8_t *val, size_t len, const uint8_t *name, struct svc_brief *b,
    char *tags, size_t tags_cap, size_t *tags_len);

/* Is the instance live at `now` (its lease has not run out)? */
static inline bool
svc_live(const struct svc_instance *in, uint32_t now)
{
	return in->expire == 0 || in->expire > now;
}

/* Does the instance appear in DNS answers: live, not critical, and not
 * warning when the zone asks for only passing ones? */
static inline bool
svc_visible(const struct svc_instance *in, uint32_t now, bool only_passing)
{
	return svc_live(in, now) && in->health != SVC_CRITICAL &&
	    !(only_passing && in->health == SVC_WARNING);
}

/*
 * Is `name` an instance name `inst._svc._proto.D` with D at or below the
 * apex `apex` (the instance label does not start with '_', the next two
 * do, the protocol is _tcp or _udp)? Then *service points at `_svc._proto.D`
 * inside `name`.
 */
bool svc_is_instance_name(const uint8_t *name, const uint8_t *apex, const uint8_t **service);
/* Is `name` a service name `_svc._proto.D`, D at or below `apex`? */
bool svc_is_service_name(const uint8_t *name, const uint8_t *apex);

/* Names for health states, as Consul writes them ("passing", ...). */
const char *svc_health_str(enum svc_health h);
/* Parse "passing", "warning", "critical"; -1 if none of them. */
int svc_health_parse(const char *s);

#endif
