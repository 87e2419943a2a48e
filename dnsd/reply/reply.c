/* reply.c -- append OPT and TSIG to a response (see reply.h) */
#include "config.h"

#include <string.h>

#include "keyring/keyring.h"
#include "reply/reply.h"
#include "tsig/tsig.h"
#include "wire/wire.h"

#define OPT_FIXED 11 /* root owner, type, class, TTL, RDLENGTH */

static size_t
opt_len(const struct reply_opt *o)
{
	if (!o->edns)
		return 0;
	return OPT_FIXED + (o->lease ? 4 + (o->lease_8 ? 8 : 4) : 0) +
	       (o->cookie != NULL ? 4 + (size_t)o->cookie_len : 0) +
	       (o->nsid != NULL ? 4 + (size_t)o->nsid_len : 0);
}

/* One option (code, length, value) at p; returns the bytes written. */
static size_t
put_option(uint8_t *p, uint16_t code, const uint8_t *v, uint16_t len)
{
	wire_put16(p, code);
	wire_put16(p + 2, len);
	memcpy(p + 4, v, len);
	return 4 + (size_t)len;
}

/* Does the reply carry a TSIG record? */
static bool
wants_tsig(const struct keyring_check *sig)
{
	return sig != NULL && (sig->status == KEYRING_VALID ||
	                          (sig->status == KEYRING_INVALID && sig->tsig_error != TSIG_NOERROR));
}

size_t
reply_room(const struct reply_opt *o, const struct keyring_check *sig)
{
	size_t n = opt_len(o);
	if (wants_tsig(sig))
		n += sig->rr.key_name_len + sig->rr.alg_name_len + TSIG_MAC_MAX + 32;
	return n;
}

size_t
reply_finish(uint8_t *msg, size_t len, size_t max, uint16_t rcode, const struct reply_opt *o,
    const struct keyring_check *sig, uint32_t now)
{
	if (len < WIRE_HDR_LEN)
		return 0;
	if (o != NULL && o->edns) {
		size_t need = opt_len(o);
		if (max - len < need)
			return 0;
		uint8_t *p = msg + len;
		p[0] = 0; /* root */
		wire_put16(p + 1, RR_OPT);
		wire_put16(p + 3, o->payload);
		wire_put32(p + 5, (uint32_t)(rcode >> 4) << 24 | (o->do_bit ? 0x8000u : 0));
		wire_put16(p + 9, (uint16_t)(need - OPT_FIXED));
		p += OPT_FIXED;
		if (o->lease) {
			uint8_t v[8];
			wire_put32(v, o->lease_secs);
			wire_put32(v + 4, o->key_lease);
			p += put_option(p, EDNS_OPT_UL, v, o->lease_8 ? 8 : 4);
		}
		if (o->nsid != NULL)
			p += put_option(p, REPLY_OPT_NSID, o->nsid, o->nsid_len);
		if (o->cookie != NULL)
			p += put_option(p, EDNS_OPT_COOKIE, o->cookie, o->cookie_len);
		len += need;
		wire_put16(msg + 10, (uint16_t)(wire_get16(msg + 10) + 1));
	}
	if (wants_tsig(sig)) {
		const struct tsig_key *k = sig->key != NULL ? &sig->key->tsig : NULL;
		uint16_t err = sig->status == KEYRING_VALID ? TSIG_NOERROR : sig->tsig_error;
		if (tsig_sign_response(msg, &len, max, &sig->rr, k, err, now) != 0)
			return 0;
	}
	return len;
}
