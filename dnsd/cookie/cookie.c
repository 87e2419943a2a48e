/* cookie.c -- DNS cookies: RFC 7873 checks, RFC 9018 server cookies (see cookie.h) */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cookie/cookie.h"
#include "wire/wire.h"

#define COOKIE_VERSION 1
#define COOKIE_MAX_AGE 3600   /* RFC 9018 section 4.3: older is invalid */
#define COOKIE_MAX_AHEAD 300  /* ... and so is one from the future */
#define COOKIE_RENEW_AGE 1800 /* ... and one older than this is renewed */
#define COOKIE_ROTATION_MIN 60
#define COOKIE_MEMO 1024      /* cookies a generator remembers (a power of 2) */

/*
 * A cookie this generator made: for the client cookie and address, the
 * server cookie, made with the secret of `period`. A resolver sends the
 * same client cookie to a server for a long time: a client cookie alone
 * gets the cookie made for it a moment ago again (young, as it would be
 * echoed), and that cookie sent back is ours without computing its MAC.
 * Only what SipHash gave is kept, so nothing is taken that SipHash would
 * refuse.
 */
struct cookie_memo {
	uint8_t client[COOKIE_CLIENT_LEN];
	uint8_t addr[16];
	uint8_t alen;   /* 0: empty */
	uint32_t period;
	uint8_t server[COOKIE_SERVER_LEN];
};

struct cookie_gen {
	uint8_t master[COOKIE_SECRET_LEN];
	uint32_t rotation;
	bool keyed;
	uint32_t period;                      /* of key[0] */
	uint8_t key[2][COOKIE_SECRET_LEN];    /* this period's secret, the last one's */
	struct cookie_memo memo[COOKIE_MEMO];
};

static uint8_t master_secret[COOKIE_SECRET_LEN];
static int master_rc;
static pthread_once_t master_once = PTHREAD_ONCE_INIT;

static void
master_draw(void)
{
	size_t got = 0;
	while (got < sizeof(master_secret)) {
		ssize_t n = getrandom(master_secret + got, sizeof(master_secret) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			master_rc = -errno;
			return;
		}
		got += (size_t)n;
	}
}

int
cookie_master_random(uint8_t out[COOKIE_SECRET_LEN])
{
	pthread_once(&master_once, master_draw);
	if (master_rc != 0)
		return master_rc;
	memcpy(out, master_secret, COOKIE_SECRET_LEN);
	return 0;
}

/* ---- SipHash-2-4 (Aumasson and Bernstein), as RFC 9018 names it ----
 *
 * Written out rather than taken from OpenSSL's EVP_MAC: the first fetch
 * of a MAC initialises OpenSSL (reading openssl.cnf, 1.4 ms of every
 * start, since a generator is made before the first answer), and each
 * EVP_MAC init/update/final with its parameters cost more than the hash
 * of a 24-byte cookie input itself. test_cookie checks this against the
 * paper's vectors and against OpenSSL for both output sizes. */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND \
	do { \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void
cookie_siphash(const uint8_t key[COOKIE_SECRET_LEN], const uint8_t *msg, size_t len,
    uint8_t *out, size_t outlen)
{
	uint64_t k0 = get_le64(key), k1 = get_le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, whole = len - len % 8;
	if (outlen == 16)
		v1 ^= 0xee;
	for (i = 0; i < whole; i += 8) {
		m = get_le64(msg + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t k = 0; i + k < len; k++)
		b |= (uint64_t)msg[i + k] << (8 * k);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= outlen == 16 ? 0xee : 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	put_le64(out, v0 ^ v1 ^ v2 ^ v3);
	if (outlen != 16)
		return;
	v1 ^= 0xdd;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	put_le64(out + 8, v0 ^ v1 ^ v2 ^ v3);
}

/* The secret of `period` (see cookie.h). */
static void
derive(const struct cookie_gen *g, uint32_t period, uint8_t out[COOKIE_SECRET_LEN])
{
	static const char label[] = "dnsd cookie secret";
	uint8_t msg[sizeof(label) - 1 + 4];
	memcpy(msg, label, sizeof(label) - 1);
	wire_put32(msg + sizeof(label) - 1, period);
	cookie_siphash(g->master, msg, sizeof(msg), out, COOKIE_SECRET_LEN);
}

/* Key the generator for the period of `now`, if it is not yet. */
static void
rekey(struct cookie_gen *g, uint32_t now)
{
	uint32_t period = now / g->rotation;
	if (g->keyed && period == g->period)
		return;
	if (g->keyed && period == g->period + 1)
		memcpy(g->key[1], g->key[0], COOKIE_SECRET_LEN);
	else
		derive(g, period - 1, g->key[1]);
	derive(g, period, g->key[0]);
	g->period = period;
	g->keyed = true;
}

int
cookie_gen_new(const uint8_t master[COOKIE_SECRET_LEN], uint32_t rotation, struct cookie_gen **out)
{
	struct cookie_gen *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	memcpy(g->master, master, COOKIE_SECRET_LEN);
	g->rotation = rotation < COOKIE_ROTATION_MIN ? COOKIE_ROTATION_MIN : rotation;
	*out = g;
	return 0;
}

void
cookie_gen_free(struct cookie_gen *g)
{
	if (g == NULL)
		return;
	memset(g->master, 0, sizeof(g->master));
	memset(g->key, 0, sizeof(g->key));
	free(g);
}

bool
cookie_gen_same(const struct cookie_gen *g, const uint8_t master[COOKIE_SECRET_LEN],
    uint32_t rotation)
{
	if (rotation < COOKIE_ROTATION_MIN)
		rotation = COOKIE_ROTATION_MIN;
	return g != NULL && g->rotation == rotation &&
	       memcmp(g->master, master, COOKIE_SECRET_LEN) == 0;
}

/* The client's address as the hash input takes it: 4 or 16 bytes. */
static size_t
peer_bytes(const struct sockaddr *peer, uint8_t out[16])
{
	if (peer == NULL)
		return 0;
	if (peer->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)(const void *)peer)->sin_addr, 4);
		return 4;
	}
	if (peer->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr, 16);
		return 16;
	}
	return 0;
}

/* The hash of a server cookie: over the client cookie, the cookie's first
 * eight bytes (version, reserved, timestamp) and the address. */
static void
cookie_hash(const uint8_t key[COOKIE_SECRET_LEN], const uint8_t *client, const uint8_t *head,
    const uint8_t *addr, size_t alen, uint8_t out[8])
{
	uint8_t msg[COOKIE_CLIENT_LEN + 8 + 16];
	memcpy(msg, client, COOKIE_CLIENT_LEN);
	memcpy(msg + COOKIE_CLIENT_LEN, head, 8);
	memcpy(msg + COOKIE_CLIENT_LEN + 8, addr, alen);
	cookie_siphash(key, msg, COOKIE_CLIENT_LEN + 8 + alen, out, 8);
}

/* Does the server cookie in `opt` (client cookie, then the 16 bytes)
 * carry the hash `key` gives it for this address? Compared in constant
 * time. */
static bool
hash_matches(const uint8_t key[COOKIE_SECRET_LEN], const uint8_t *opt, const uint8_t *addr,
    size_t alen)
{
	uint8_t h[8], d = 0;
	cookie_hash(key, opt, opt + COOKIE_CLIENT_LEN, addr, alen, h);
	for (int i = 0; i < 8; i++)
		d |= h[i] ^ opt[COOKIE_CLIENT_LEN + 8 + i];
	return d == 0;
}

bool
cookie_make(const uint8_t secret[COOKIE_SECRET_LEN],
    const uint8_t client[COOKIE_CLIENT_LEN], uint32_t ts, const struct sockaddr *peer,
    uint8_t out[COOKIE_SERVER_LEN])
{
	uint8_t addr[16];
	size_t alen = peer_bytes(peer, addr);
	out[0] = COOKIE_VERSION;
	out[1] = out[2] = out[3] = 0;
	wire_put32(out + 4, ts);
	if (alen == 0)
		return false;
	cookie_hash(secret, client, out, addr, alen, out + 8);
	return true;
}

/* The memo slot of a client cookie and address, and whether it holds a
 * cookie of this period made for them. */
static struct cookie_memo *
memo_slot(struct cookie_gen *g, const uint8_t *client, const uint8_t *addr, size_t alen,
    bool *held)
{
	uint64_t c, a0 = 0, a1 = 0;
	memcpy(&c, client, 8);
	memcpy(&a0, addr, alen < 8 ? alen : 8);
	if (alen > 8)
		memcpy(&a1, addr + 8, 8);
	uint64_t h = (c ^ a0 * 0x9e3779b97f4a7c15u ^ a1 * 0xc2b2ae3d27d4eb4fu) * 0xff51afd7ed558ccdu;
	struct cookie_memo *m = &g->memo[(h >> 40) & (COOKIE_MEMO - 1)];
	*held = m->alen == alen && m->period == g->period && memcmp(m->client, client, 8) == 0 &&
	        memcmp(m->addr, addr, alen) == 0;
	return m;
}

/* Is `ts` a time a cookie may carry at `now`, and at most `max` old? */
static bool
age_ok(uint32_t ts, uint32_t now, int32_t max)
{
	int32_t age = (int32_t)(now - ts);
	return age <= max && age >= -COOKIE_MAX_AHEAD;
}

enum cookie_state
cookie_check(struct cookie_gen *g, const uint8_t *opt, size_t len, const struct sockaddr *peer,
    uint32_t now, uint8_t reply[COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN])
{
	uint8_t addr[16];
	size_t alen = peer_bytes(peer, addr);
	enum cookie_state st = len == COOKIE_CLIENT_LEN ? COOKIE_CLIENT : COOKIE_BAD;
	bool held;

	memcpy(reply, opt, COOKIE_CLIENT_LEN);
	uint8_t *server = reply + COOKIE_CLIENT_LEN;
	if (alen == 0)
		return COOKIE_NONE; /* no cookie can be made: answer without */
	rekey(g, now);
	struct cookie_memo *m = memo_slot(g, opt, addr, alen, &held);
	if (len == COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN && opt[8] == COOKIE_VERSION &&
	    opt[9] == 0 && opt[10] == 0 && opt[11] == 0) {
		uint32_t ts = wire_get32(opt + 12);
		uint32_t period = ts / g->rotation;
		int k = period == g->period ? 0 : period == g->period - 1 ? 1 : -1;
		bool ours = held && memcmp(m->server, opt + 8, COOKIE_SERVER_LEN) == 0;
		if (age_ok(ts, now, COOKIE_MAX_AGE) && k >= 0 &&
		    (ours || hash_matches(g->key[k], opt, addr, alen))) {
			st = COOKIE_VALID;
			if (k == 0 && age_ok(ts, now, COOKIE_RENEW_AGE)) {
				memcpy(server, opt + 8, COOKIE_SERVER_LEN);
				return st;
			}
		}
	}
	/* A cookie made for this client a moment ago, or a new one. */
	if (held && age_ok(wire_get32(m->server + 4), now, COOKIE_RENEW_AGE)) {
		memcpy(server, m->server, COOKIE_SERVER_LEN);
		return st;
	}
	if (!cookie_make(g->key[0], opt, now, peer, server))
		return COOKIE_NONE;
	memcpy(m->client, opt, COOKIE_CLIENT_LEN);
	memcpy(m->addr, addr, alen);
	m->alen = (uint8_t)alen;
	m->period = g->period;
	memcpy(m->server, server, COOKIE_SERVER_LEN);
	return st;
}
