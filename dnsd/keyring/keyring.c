/* keyring.c -- decoded TSIG keys, looked up by name, verifying requests
 * with our policy on truncation, fudge and replays (see keyring.h)
 *
 * The replay memory of a key: a ring of the last KEYRING_REPLAY_SLOTS
 * verified requests in arrival order (their time signed and the first 8
 * bytes of their MAC, which nobody without the key can choose), chained
 * into hash buckets for the lookup. Allocated when the key first verifies
 * a request (about 200 KiB), so keys that are never used cost nothing.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "stats/stats.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"

#define NIL UINT32_MAX
#define BUCKETS KEYRING_REPLAY_SLOTS /* a power of two */

struct replay_entry {
	uint64_t mac8;
	uint64_t signed_at;
	uint32_t next;  /* in its bucket */
};

struct keyring_replay {
	pthread_mutex_t mu;
	struct replay_entry *e;  /* ring of KEYRING_REPLAY_SLOTS */
	uint32_t *bucket;
	uint32_t head, count;    /* oldest entry, entries in use */
	uint64_t floor;          /* latest time signed forgotten */
};

struct keyring {
	size_t n;
	struct keyring_key keys[];
};

static uint32_t
bucket_of(uint64_t mac8, uint64_t at)
{
	uint64_t h = (mac8 ^ at) * 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(h >> 40) & (BUCKETS - 1);
}

/* Forget the oldest entry; every request signed no later is refused. */
static void
replay_evict(struct keyring_replay *r)
{
	uint32_t i = r->head;
	struct replay_entry *x = &r->e[i];
	uint32_t *p = &r->bucket[bucket_of(x->mac8, x->signed_at)];
	while (*p != NIL && *p != i)
		p = &r->e[*p].next;
	if (*p == i)
		*p = x->next;
	if (x->signed_at > r->floor)
		r->floor = x->signed_at;
	r->head = (r->head + 1) % KEYRING_REPLAY_SLOTS;
	r->count--;
}

/*
 * Was this request verified before (or can that no longer be told)? If
 * not, remember it. -ENOMEM if the memory could not be had (then the
 * request is refused: better than a replay getting in).
 */
static int
replay_seen(struct keyring_key *k, const struct tsig_rr *rr, bool *seen)
{
	uint64_t mac8 = 0;
	memcpy(&mac8, rr->mac, rr->mac_len < 8 ? rr->mac_len : 8);
	mac8 ^= (uint64_t)rr->mac_len << 56;
	struct keyring_replay *r = __atomic_load_n(&k->replay, __ATOMIC_ACQUIRE);
	if (r == NULL) {
		struct keyring_replay *n = calloc(1, sizeof(*n));
		if (n != NULL) {
			n->e = calloc(KEYRING_REPLAY_SLOTS, sizeof(*n->e));
			n->bucket = malloc(BUCKETS * sizeof(*n->bucket));
		}
		if (n == NULL || n->e == NULL || n->bucket == NULL) {
			if (n != NULL) {
				free(n->e);
				free(n->bucket);
			}
			free(n);
			return -ENOMEM;
		}
		memset(n->bucket, 0xff, BUCKETS * sizeof(*n->bucket));
		pthread_mutex_init(&n->mu, NULL);
		if (__atomic_compare_exchange_n(&k->replay, &r, n, false, __ATOMIC_ACQ_REL,
		        __ATOMIC_ACQUIRE)) {
			r = n;
		} else {
			pthread_mutex_destroy(&n->mu);
			free(n->e);
			free(n->bucket);
			free(n);
		}
	}
	pthread_mutex_lock(&r->mu);
	*seen = rr->time_signed <= r->floor;
	uint32_t b = bucket_of(mac8, rr->time_signed);
	for (uint32_t i = r->bucket[b]; !*seen && i != NIL; i = r->e[i].next)
		*seen = r->e[i].mac8 == mac8 && r->e[i].signed_at == rr->time_signed;
	if (!*seen) {
		if (r->count == KEYRING_REPLAY_SLOTS)
			replay_evict(r);
		uint32_t i = (r->head + r->count) % KEYRING_REPLAY_SLOTS;
		r->e[i] = (struct replay_entry){ mac8, rr->time_signed, r->bucket[b] };
		r->bucket[b] = i;
		r->count++;
	}
	pthread_mutex_unlock(&r->mu);
	return 0;
}

static void
replay_free(struct keyring_replay *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->mu);
	free(r->e);
	free(r->bucket);
	free(r);
}

int
keyring_new(const struct conf *c, struct keyring **out)
{
	struct keyring *kr = calloc(1, sizeof(*kr) + (c->nkeys + 1) * sizeof(kr->keys[0]));
	if (kr == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->nkeys; i++) {
		const struct conf_key *k = &c->keys[i];
		if (tsig_key_init(&kr->keys[i].tsig, k->name, k->algorithm, k->secret) != 0) {
			log_err("key %s: unusable (algorithm %s, or secret not base64)", k->name,
			    k->algorithm);
			keyring_free(kr);
			return DNSD_ECONF;
		}
		kr->keys[i].conf = k;
		kr->n++;
	}
	*out = kr;
	return 0;
}

void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	for (size_t i = 0; i < kr->n; i++)
		replay_free(kr->keys[i].replay);
	/* explicit_bzero: the compiler may not drop it before free. */
	explicit_bzero(kr->keys, kr->n * sizeof(kr->keys[0]));
	free(kr);
}

const struct keyring_key *
keyring_find(const struct keyring *kr, const uint8_t *name)
{
	size_t len = wire_name_len(name);
	for (size_t i = 0; kr != NULL && i < kr->n; i++) {
		const struct tsig_key *k = &kr->keys[i].tsig;
		if (k->name_len == len && wire_name_equal(k->name, name))
			return &kr->keys[i];
	}
	return NULL;
}

const struct keyring_key *
keyring_find_str(const struct keyring *kr, const char *name)
{
	uint8_t w[WIRE_NAME_MAX];
	if (name == NULL || wire_name_from_str(name, w) == 0)
		return NULL;
	return keyring_find(kr, w);
}

void
keyring_verify(const struct keyring *kr, const uint8_t *msg, size_t len, uint32_t now,
    struct keyring_check *out)
{
	out->status = KEYRING_UNSIGNED;
	out->tsig_error = TSIG_NOERROR;
	out->key = NULL;
	int found = tsig_find(msg, len, &out->rr);
	if (found == 0)
		return;
	out->status = KEYRING_INVALID;
	if (found < 0)
		return; /* malformed: FORMERR */
	const struct keyring_key *k = keyring_find(kr, out->rr.key_name);
	if (k != NULL && k->tsig.alg != tsig_alg_from_wire(out->rr.alg_name))
		k = NULL; /* the same name with another algorithm: BADKEY */
	out->key = k;
	if (tsig_verify(msg, len, &out->rr, k != NULL ? &k->tsig : NULL, now, &out->tsig_error) != 0)
		return;
	/* The MAC verified; now our policy (keyring.h). Time first, as
	 * RFC 8945 5.2.3 comes before 5.2.4. */
	uint64_t at = out->rr.time_signed;
	uint64_t skew = at > now ? at - now : now - at;
	if (skew > TSIG_FUDGE_MAX) {
		out->tsig_error = TSIG_BADTIME;
		return;
	}
	if (out->rr.mac_len < tsig_alg_mac_len(k->tsig.alg) && !k->conf->allow_truncation) {
		out->tsig_error = TSIG_BADTRUNC;
		stats_add(stats_thread(), ST_TSIG_BADTRUNC, 1);
		return;
	}
	out->status = KEYRING_VALID;
}

bool
keyring_replayed(struct keyring_check *chk)
{
	if (chk->status != KEYRING_VALID || chk->key == NULL)
		return false;
	const struct keyring_key *k = chk->key;
	bool seen = false;
	/* The ring is the one mutable part of a shared key (see keyring.h). */
	if (replay_seen((struct keyring_key *)k, &chk->rr, &seen) != 0 || seen) {
		char lk[80];
		snprintf(lk, sizeof(lk), "tsig-replay %.60s", k->conf->name);
		log_limited(LOG_LVL_WARN, lk, 60,
		    "key %s: a request verified before (or older than what is remembered): "
		    "refused as a replay", k->conf->name);
		stats_add(stats_thread(), ST_TSIG_REPLAY, 1);
		chk->status = KEYRING_INVALID;
		chk->tsig_error = TSIG_BADTIME;
		return true;
	}
	return false;
}

bool
keyring_check_key_in(const struct keyring_check *chk, char *const *names, size_t n)
{
	if (chk->status != KEYRING_VALID)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t w[WIRE_NAME_MAX];
		if (wire_name_from_str(names[i], w) != 0 &&
		    wire_name_equal(w, chk->key->tsig.name))
			return true;
	}
	return false;
}

const char *
keyring_check_str(const struct keyring_check *chk, uint32_t now, char *buf, size_t n)
{
	char key[WIRE_NAME_MAX * 4 + 1], alg[WIRE_NAME_MAX * 4 + 1];
	const struct tsig_rr *rr = &chk->rr;
	if (n == 0)
		return buf;
	if (chk->status == KEYRING_UNSIGNED) {
		snprintf(buf, n, "unsigned");
		return buf;
	}
	if (chk->status == KEYRING_INVALID && chk->tsig_error == TSIG_NOERROR) {
		snprintf(buf, n, "a malformed TSIG record");
		return buf;
	}
	wire_name_to_str(rr->key_name, key, sizeof(key));
	wire_name_to_str(rr->alg_name, alg, sizeof(alg));
	/* Names read as configured: without the final dot. */
	size_t kl = strlen(key), al = strlen(alg);
	if (kl > 1 && key[kl - 1] == '.')
		key[kl - 1] = '\0';
	if (al > 1 && alg[al - 1] == '.')
		alg[al - 1] = '\0';
	if (chk->status == KEYRING_VALID) {
		snprintf(buf, n, "signed with key %s", key);
		return buf;
	}
	long long skew = (long long)rr->time_signed - (long long)now;
	switch (chk->tsig_error) {
	case TSIG_BADKEY:
		snprintf(buf, n, "BADKEY: no key %s with algorithm %s is configured", key, alg);
		break;
	case TSIG_BADSIG:
		snprintf(buf, n, "BADSIG: the MAC does not match for key %s", key);
		break;
	case TSIG_BADTIME:
		if (skew > rr->fudge || -skew > rr->fudge)
			snprintf(buf, n, "BADTIME: signed %lld s %s our clock, beyond the fudge of %u s, "
			                 "by key %s",
			    skew < 0 ? -skew : skew, skew < 0 ? "behind" : "ahead of", rr->fudge, key);
		else
			snprintf(buf, n, "BADTIME: a request signed with key %s that was seen before "
			                 "(a replay), or a fudge beyond what dnsd accepts",
			    key);
		break;
	case TSIG_BADTRUNC:
		snprintf(buf, n, "BADTRUNC: the MAC is truncated to %u bytes, which key %s does not allow",
		    rr->mac_len, key);
		break;
	default:
		snprintf(buf, n, "TSIG error %u for key %s", chk->tsig_error, key);
		break;
	}
	return buf;
}
