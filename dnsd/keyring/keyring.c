/* keyring.c -- decoded TSIG keys, looked up by name, verifying requests */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"

struct keyring {
	size_t n;
	struct keyring_key keys[];
};

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
	if (tsig_verify(msg, len, &out->rr, k != NULL ? &k->tsig : NULL, now, &out->tsig_error) == 0)
		out->status = KEYRING_VALID;
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
