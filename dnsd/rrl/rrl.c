/* rrl.c -- response rate limiting (see rrl.h)
 *
 * A bucket is one 64-bit word: the upper 20 bits a tag of the key (so a
 * bucket taken over by another key starts from zero), then the low 16
 * bits of the second it counts, then the count in that second (28 bits,
 * saturating). Example: 0x9c1f2 0b2e 0000003 is key tag 9c1f2, second
 * ...0b2e, three responses so far.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "rrl/rrl.h"
#include "util/log.h"

#define RRL_BUCKETS_MIN 1024
#define RRL_LOG_INTERVAL 60
#define COUNT_MAX 0xfffffffu

struct rrl {
	uint64_t *b;
	size_t mask;
	uint64_t seed;
};

struct rrl *
rrl_new(size_t buckets)
{
	size_t n = RRL_BUCKETS_MIN;
	while (n < buckets && n < ((size_t)1 << 40))
		n *= 2;
	struct rrl *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (getrandom(&t->seed, sizeof(t->seed), 0) != (ssize_t)sizeof(t->seed) ||
	    (t->b = calloc(n, sizeof(*t->b))) == NULL) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	return t;
}

void
rrl_free(struct rrl *t)
{
	if (t == NULL)
		return;
	free(t->b);
	free(t);
}

const char *
rrl_class_name(enum rrl_class cls)
{
	static const char *const names[RRL_NCLASSES] = { "answer", "nodata", "nxdomain",
		"referral", "error" };
	return cls < RRL_NCLASSES ? names[cls] : "?";
}

static inline uint64_t
mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15u;
	return h ^ (h >> 29);
}

/* The network of the peer (IPv4 /24, IPv6 /56) as a number and a family
 * tag; false for other families. */
static bool
network_of(const struct sockaddr *peer, uint64_t *net, uint64_t *fam)
{
	if (peer->sa_family == AF_INET) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)peer)->sin_addr;
		*net = (uint64_t)a[0] << 16 | (uint64_t)a[1] << 8 | a[2];
		*fam = 4;
		return true;
	}
	if (peer->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr.s6_addr;
		uint64_t v = 0;
		for (int i = 0; i < 7; i++)
			v = v << 8 | a[i];
		*net = v;
		*fam = 6;
		return true;
	}
	return false;
}

/* One line, at most once a minute per network and class, when a bucket
 * starts limiting. */
static void
log_start(const struct sockaddr *peer, enum rrl_class cls, unsigned rate, unsigned slip)
{
	char addr[INET6_ADDRSTRLEN] = "?", key[INET6_ADDRSTRLEN + 32];
	unsigned bits = 24;
	if (peer->sa_family == AF_INET) {
		struct in_addr a = ((const struct sockaddr_in *)(const void *)peer)->sin_addr;
		((uint8_t *)&a)[3] = 0;
		inet_ntop(AF_INET, &a, addr, sizeof(addr));
	} else {
		struct in6_addr a = ((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr;
		memset(a.s6_addr + 7, 0, 9);
		inet_ntop(AF_INET6, &a, addr, sizeof(addr));
		bits = 56;
	}
	snprintf(key, sizeof(key), "rrl %s %d", addr, (int)cls);
	if (slip == 0)
		log_limited(LOG_LVL_INFO, key, RRL_LOG_INTERVAL,
		    "rate limit: %s responses to %s/%u over %u a second: dropping the rest",
		    rrl_class_name(cls), addr, bits, rate);
	else
		log_limited(LOG_LVL_INFO, key, RRL_LOG_INTERVAL,
		    "rate limit: %s responses to %s/%u over %u a second: dropping the rest, "
		    "one in %u sent truncated", rrl_class_name(cls), addr, bits, rate, slip);
}

enum rrl_verdict
rrl_account(struct rrl *t, const struct sockaddr *peer, enum rrl_class cls, uint64_t name_hash,
    uint32_t now, unsigned rate, unsigned slip)
{
	uint64_t net, fam;
	if (t == NULL || rate == 0 || peer == NULL || !network_of(peer, &net, &fam))
		return RRL_PASS;
	uint64_t h = mix(mix(mix(t->seed, net), fam << 8 | (uint64_t)cls), name_hash);
	uint64_t *b = &t->b[h & t->mask];
	uint64_t tag = h >> 44, sec = now & 0xffff;
	uint64_t old = __atomic_load_n(b, __ATOMIC_RELAXED), next;
	uint32_t count;
	do {
		if (old >> 44 == tag && (old >> 28 & 0xffff) == sec)
			count = (uint32_t)(old & COUNT_MAX);
		else
			count = 0;
		if (count < COUNT_MAX)
			count++;
		next = tag << 44 | sec << 28 | count;
	} while (!__atomic_compare_exchange_n(b, &old, next, true, __ATOMIC_RELAXED,
	    __ATOMIC_RELAXED));
	if (count <= rate)
		return RRL_PASS;
	if (count == rate + 1)
		log_start(peer, cls, rate, slip);
	return slip != 0 && (count - rate) % slip == 0 ? RRL_SLIP : RRL_DROP;
}
