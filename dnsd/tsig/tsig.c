/* tsig.c -- TSIG (RFC 8945): find, verify and sign transaction signatures */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tsig/tsig.h"
#include "util/err.h"
#include "wire/wire.h"

/* Fudge of the TSIGs dnsd generates (RFC 8945 section 10 recommends 300 s). */
#define TSIG_FUDGE TSIG_FUDGE_MAX

/*
 * The algorithms (RFC 8945 section 6). `mac_len` is the full HMAC output;
 * a wire name is a string literal whose terminating NUL is the root label.
 */
struct alg_info {
	enum tsig_alg alg;
	const char *name;   /* presentation form without the final dot */
	const char *alias;  /* other accepted name, or NULL */
	const char *digest; /* OpenSSL digest name */
	uint16_t mac_len;
	const uint8_t *wire;
};

static const struct alg_info algs[] = {
	{ TSIG_HMAC_MD5, "hmac-md5.sig-alg.reg.int", "hmac-md5", "MD5", 16,
	  (const uint8_t *)"\x08" "hmac-md5" "\x07" "sig-alg" "\x03" "reg" "\x03" "int" },
	{ TSIG_HMAC_SHA1, "hmac-sha1", NULL, "SHA1", 20,
	  (const uint8_t *)"\x09" "hmac-sha1" },
	{ TSIG_HMAC_SHA224, "hmac-sha224", NULL, "SHA224", 28,
	  (const uint8_t *)"\x0b" "hmac-sha224" },
	{ TSIG_HMAC_SHA256, "hmac-sha256", NULL, "SHA256", 32,
	  (const uint8_t *)"\x0b" "hmac-sha256" },
	{ TSIG_HMAC_SHA384, "hmac-sha384", NULL, "SHA384", 48,
	  (const uint8_t *)"\x0b" "hmac-sha384" },
	{ TSIG_HMAC_SHA512, "hmac-sha512", NULL, "SHA512", 64,
	  (const uint8_t *)"\x0b" "hmac-sha512" },
};
#define NALGS (sizeof(algs) / sizeof(algs[0]))

static const struct alg_info *
alg_info(enum tsig_alg alg)
{
	for (size_t i = 0; i < NALGS; i++)
		if (algs[i].alg == alg)
			return &algs[i];
	return NULL;
}

/* Shortest truncated MAC RFC 8945 section 5.2.2.1 allows: max(10, L/2). */
static uint16_t
alg_min_mac(const struct alg_info *a)
{
	return a->mac_len / 2 > 10 ? a->mac_len / 2 : 10;
}

static bool
name_is(const char *s, size_t n, const char *name)
{
	return name != NULL && strlen(name) == n && strncasecmp(s, name, n) == 0;
}

enum tsig_alg
tsig_alg_from_str(const char *s)
{
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] == '.')
		n--;
	for (size_t i = 0; i < NALGS; i++)
		if (name_is(s, n, algs[i].name) || name_is(s, n, algs[i].alias))
			return algs[i].alg;
	return 0;
}

enum tsig_alg
tsig_alg_from_wire(const uint8_t *name)
{
	for (size_t i = 0; i < NALGS; i++)
		if (wire_name_equal(name, algs[i].wire))
			return algs[i].alg;
	return 0;
}

const uint8_t *
tsig_alg_wire(enum tsig_alg alg)
{
	const struct alg_info *a = alg_info(alg);
	return a != NULL ? a->wire : NULL;
}

size_t
tsig_alg_mac_len(enum tsig_alg alg)
{
	const struct alg_info *a = alg_info(alg);
	return a != NULL ? a->mac_len : 0;
}

static bool
b64_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
}

/*
 * Decode strict base64 (RFC 4648 section 4: padded, no whitespace).
 * EVP_DecodeBlock counts padding as zero bytes and accepts '=' anywhere, so
 * the alphabet and padding are checked here first.
 */
static int
b64_decode(const char *s, uint8_t *out, size_t outmax, size_t *outlen)
{
	uint8_t tmp[(TSIG_SECRET_MAX + 2) / 3 * 3];
	size_t n = strlen(s), pad = 0;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > sizeof(tmp))
		return DNSD_ECONF;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 >= n)
			pad++;
		else if (pad > 0 || !b64_char(s[i]))
			return DNSD_ECONF;
	}
	int r = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
	if (r < 0 || (size_t)r <= pad || (size_t)r - pad > outmax) {
		OPENSSL_cleanse(tmp, sizeof(tmp));
		return DNSD_ECONF;
	}
	*outlen = (size_t)r - pad;
	memcpy(out, tmp, *outlen);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}

int
tsig_key_init(struct tsig_key *k, const char *name, const char *alg,
    const char *secret_b64)
{
	memset(k, 0, sizeof(*k));
	k->name_len = wire_name_from_str(name, k->name);
	k->alg = tsig_alg_from_str(alg);
	if (k->name_len == 0 || k->alg == 0 ||
	    b64_decode(secret_b64, k->secret, sizeof(k->secret), &k->secret_len) != 0) {
		OPENSSL_cleanse(k, sizeof(*k));
		return DNSD_ECONF;
	}
	wire_name_lower(k->name, k->name, k->name_len);
	return 0;
}

/* Parse the TSIG RR at offset `start` of the message. */
static int
tsig_parse(const uint8_t *msg, size_t len, size_t start, struct tsig_rr *rr)
{
	struct wire_cur c;
	const uint8_t *p;

	memset(rr, 0, sizeof(*rr));
	rr->offset = start;
	wire_cur_init(&c, msg, len, start);
	rr->key_name_len = wire_read_name(&c, rr->key_name);
	wire_skip(&c, 2); /* type */
	uint16_t rclass = wire_read_u16(&c);
	uint32_t ttl = wire_read_u32(&c);
	uint16_t rdlen = wire_read_u16(&c);
	/* RFC 8945 section 4.2: class ANY, TTL 0; the RR also ends the message. */
	if (c.err != 0 || rclass != CLASS_ANY || ttl != 0 || rdlen != wire_remaining(&c))
		return DNSD_EMALF;

	rr->alg_name_len = wire_read_name(&c, rr->alg_name);
	uint16_t hi = wire_read_u16(&c);
	rr->time_signed = (uint64_t)hi << 32 | wire_read_u32(&c);
	rr->fudge = wire_read_u16(&c);
	rr->mac_len = wire_read_u16(&c);
	if (rr->mac_len > TSIG_MAC_MAX)
		return DNSD_EMALF;
	if ((p = wire_read_bytes(&c, rr->mac_len)) != NULL)
		memcpy(rr->mac, p, rr->mac_len);
	rr->orig_id = wire_read_u16(&c);
	rr->error = wire_read_u16(&c);
	rr->other_len = wire_read_u16(&c);
	if ((p = wire_read_bytes(&c, rr->other_len)) != NULL)
		memcpy(rr->other, p, rr->other_len < sizeof(rr->other) ? rr->other_len : sizeof(rr->other));
	if (c.err != 0 || wire_remaining(&c) != 0)
		return DNSD_EMALF;

	/* Both names enter the MAC in canonical (lower-case) form. */
	wire_name_lower(rr->key_name, rr->key_name, rr->key_name_len);
	wire_name_lower(rr->alg_name, rr->alg_name, rr->alg_name_len);
	return 1;
}

int
tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *rr)
{
	struct wire_cur c;

	if (len < WIRE_HDR_LEN)
		return DNSD_EMALF;
	unsigned qd = wire_get16(msg + 4), ar = wire_get16(msg + 10);
	unsigned nrr = wire_get16(msg + 6) + wire_get16(msg + 8) + ar;

	wire_cur_init(&c, msg, len, WIRE_HDR_LEN);
	for (unsigned i = 0; i < qd && c.err == 0; i++) {
		wire_skip_name(&c);
		wire_skip(&c, 4);
	}
	for (unsigned i = 0; i < nrr && c.err == 0; i++) {
		size_t start = c.pos;
		wire_skip_name(&c);
		if (wire_read_u16(&c) == RR_TSIG && c.err == 0) {
			/* RFC 8945 section 5.2: only as the last additional record. */
			if (ar == 0 || i != nrr - 1)
				return DNSD_EMALF;
			return tsig_parse(msg, len, start, rr);
		}
		wire_skip(&c, 6); /* class, TTL */
		wire_skip(&c, wire_read_u16(&c));
	}
	return c.err != 0 ? DNSD_EMALF : 0;
}

/* One piece of the MAC input. */
struct seg {
	const uint8_t *p;
	size_t n;
};

/* The digests, fetched once: looking one up by name takes OpenSSL's
 * provider locks, and did so twice per HMAC (EVP_MAC and its digest). */
static EVP_MD *digests[NALGS];
static pthread_once_t digests_once = PTHREAD_ONCE_INIT;

static void
fetch_digests(void)
{
	for (size_t i = 0; i < NALGS; i++)
		digests[i] = EVP_MD_fetch(NULL, algs[i].digest, NULL);
}

/* HMAC (RFC 2104) over the pieces into `out` (TSIG_MAC_MAX bytes); 0 or
 * -EIO. Built on the digest directly: about a third of what EVP_MAC costs
 * per call here, and every UPDATE takes two. */
static int
hmac(const struct tsig_key *key, const struct alg_info *a, const struct seg *segs,
    size_t nsegs, uint8_t *out)
{
	uint8_t pad[128], inner[EVP_MAX_MD_SIZE];
	unsigned int ilen = 0, olen = 0;

	pthread_once(&digests_once, fetch_digests);
	const EVP_MD *md = digests[a - algs];
	int bs = md != NULL ? EVP_MD_get_block_size(md) : 0;
	EVP_MD_CTX *ctx = md != NULL ? EVP_MD_CTX_new() : NULL;
	if (ctx == NULL || bs <= 0 || (size_t)bs > sizeof(pad)) {
		EVP_MD_CTX_free(ctx);
		return -EIO;
	}
	/* K0: the key, or its digest when longer than a block, zero-padded */
	memset(pad, 0, sizeof(pad));
	int ok = 1;
	if (key->secret_len > (size_t)bs)
		ok = EVP_Digest(key->secret, key->secret_len, pad, NULL, md, NULL);
	else
		memcpy(pad, key->secret, key->secret_len);
	for (int i = 0; i < bs; i++)
		pad[i] ^= 0x36;
	ok = ok && EVP_DigestInit_ex2(ctx, md, NULL) && EVP_DigestUpdate(ctx, pad, (size_t)bs);
	for (size_t i = 0; ok && i < nsegs; i++)
		if (segs[i].n > 0)
			ok = EVP_DigestUpdate(ctx, segs[i].p, segs[i].n);
	ok = ok && EVP_DigestFinal_ex(ctx, inner, &ilen);
	for (int i = 0; i < bs; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = ok && EVP_DigestInit_ex2(ctx, md, NULL) && EVP_DigestUpdate(ctx, pad, (size_t)bs) &&
	     EVP_DigestUpdate(ctx, inner, ilen) && EVP_DigestFinal_ex(ctx, out, &olen);
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(pad, sizeof(pad));
	return ok && olen == a->mac_len ? 0 : -EIO;
}

/*
 * The TSIG variables of RFC 8945 section 4.3.3 without Other Data: key
 * name, class ANY, TTL 0, algorithm name (names already canonical), time
 * signed, fudge, error, other len. With `timers_only` just time signed and
 * fudge (section 5.3.1, later messages of a stream).
 */
#define VARS_MAX (2 * WIRE_NAME_MAX + 18)
static size_t
vars_put(const struct tsig_rr *t, bool timers_only, uint8_t *out)
{
	struct wire_buf w;

	wire_buf_init(&w, out, VARS_MAX);
	if (!timers_only) {
		wire_buf_bytes(&w, t->key_name, t->key_name_len);
		wire_buf_u16(&w, CLASS_ANY);
		wire_buf_u32(&w, 0);
		wire_buf_bytes(&w, t->alg_name, t->alg_name_len);
	}
	wire_buf_u16(&w, (uint16_t)(t->time_signed >> 32));
	wire_buf_u32(&w, (uint32_t)t->time_signed);
	wire_buf_u16(&w, t->fudge);
	if (!timers_only) {
		wire_buf_u16(&w, t->error);
		wire_buf_u16(&w, t->other_len);
	}
	return w.len;
}

/*
 * MAC of one message (RFC 8945 sections 4.3 and 5.3): the prior MAC as
 * length + MAC when there is one (a response's request MAC, or the previous
 * MAC in a stream), then `msg` (msg_len bytes, TSIG already removed) with
 * its ID replaced by the original ID and ARCOUNT by `arcount`, then the
 * variables of `t` and `other` (t->other_len bytes).
 */
static int
mac_message(const struct tsig_key *key, const struct alg_info *a, const uint8_t *prior,
    uint16_t prior_len, const uint8_t *msg, size_t msg_len, uint16_t arcount,
    const struct tsig_rr *t, const uint8_t *other, bool timers_only, uint8_t *out)
{
	uint8_t plen[2], hdr[WIRE_HDR_LEN], vars[VARS_MAX];

	wire_put16(plen, prior_len);
	memcpy(hdr, msg, WIRE_HDR_LEN);
	wire_put16(hdr, t->orig_id);
	wire_put16(hdr + 10, arcount);
	struct seg segs[] = {
		{ plen, prior_len > 0 ? 2 : 0 },
		{ prior, prior_len },
		{ hdr, WIRE_HDR_LEN },
		{ msg + WIRE_HDR_LEN, msg_len - WIRE_HDR_LEN },
		{ vars, vars_put(t, timers_only, vars) },
		{ other, timers_only ? 0 : t->other_len },
	};
	return hmac(key, a, segs, sizeof(segs) / sizeof(segs[0]), out);
}

/* Append the TSIG RR `t` to the message and increment ARCOUNT. */
static int
tsig_append(uint8_t *buf, size_t *len, size_t max, const struct tsig_rr *t)
{
	struct wire_buf w;
	uint16_t ar = wire_get16(buf + 10);

	if (ar == UINT16_MAX)
		return DNSD_ESPACE;
	wire_buf_init(&w, buf + *len, max - *len);
	wire_buf_bytes(&w, t->key_name, t->key_name_len);
	wire_buf_u16(&w, RR_TSIG);
	wire_buf_u16(&w, CLASS_ANY);
	wire_buf_u32(&w, 0);
	wire_buf_u16(&w, (uint16_t)(t->alg_name_len + 16 + t->mac_len + t->other_len));
	wire_buf_bytes(&w, t->alg_name, t->alg_name_len);
	wire_buf_u16(&w, (uint16_t)(t->time_signed >> 32));
	wire_buf_u32(&w, (uint32_t)t->time_signed);
	wire_buf_u16(&w, t->fudge);
	wire_buf_u16(&w, t->mac_len);
	wire_buf_bytes(&w, t->mac, t->mac_len);
	wire_buf_u16(&w, t->orig_id);
	wire_buf_u16(&w, t->error);
	wire_buf_u16(&w, t->other_len);
	wire_buf_bytes(&w, t->other, t->other_len);
	if (w.err != 0)
		return DNSD_ESPACE;
	*len += w.len;
	wire_put16(buf + 10, (uint16_t)(ar + 1));
	return 0;
}

/* A TSIG to generate with `key` at `now`: no error, no other data. */
static void
tsig_out_init(struct tsig_rr *t, const struct tsig_key *key, const struct alg_info *a,
    uint32_t now, uint16_t orig_id)
{
	memset(t, 0, sizeof(*t));
	wire_name_lower(t->key_name, key->name, key->name_len);
	t->key_name_len = key->name_len;
	memcpy(t->alg_name, a->wire, wire_name_len(a->wire));
	t->alg_name_len = wire_name_len(a->wire);
	t->time_signed = now;
	t->fudge = TSIG_FUDGE;
	t->orig_id = orig_id;
}

/* MAC the message in `buf` (unless `a` is NULL: unsigned) and append `t`. */
static int
sign_append(uint8_t *buf, size_t *len, size_t max, const struct tsig_key *key,
    const struct alg_info *a, struct tsig_rr *t, const uint8_t *prior, uint16_t prior_len,
    bool timers_only)
{
	t->mac_len = 0;
	if (a != NULL) {
		int r = mac_message(key, a, prior, prior_len, buf, *len, wire_get16(buf + 10), t,
		    t->other, timers_only, t->mac);
		if (r != 0)
			return r;
		t->mac_len = a->mac_len;
	}
	return tsig_append(buf, len, max, t);
}

static bool
msg_ok(const uint8_t *buf, const size_t *len, size_t max)
{
	return buf != NULL && len != NULL && *len >= WIRE_HDR_LEN && *len <= max;
}

/* Does `rr` describe a TSIG RR ending message `msg` as tsig_find left it? */
static bool
rr_ok(const uint8_t *msg, size_t len, const struct tsig_rr *rr)
{
	return len >= WIRE_HDR_LEN && rr->offset >= WIRE_HDR_LEN && rr->offset < len &&
	    rr->other_len <= len - rr->offset && rr->mac_len <= TSIG_MAC_MAX &&
	    wire_get16(msg + 10) > 0;
}

static bool
time_ok(uint64_t signed_at, uint16_t fudge, uint32_t now)
{
	uint64_t diff = signed_at > now ? signed_at - now : now - signed_at;
	return diff <= fudge;
}

/*
 * Key and MAC checks shared by requests and responses (RFC 8945 sections
 * 5.2.1 and 5.2.2). The Other Data is read from the end of the message,
 * where tsig_find guarantees the TSIG RR ends.
 */
static int
check_mac(const uint8_t *msg, size_t len, const struct tsig_rr *rr, const struct tsig_key *key,
    const uint8_t *prior, uint16_t prior_len, uint16_t *tsig_error)
{
	const struct alg_info *a = key != NULL ? alg_info(key->alg) : NULL;
	uint8_t mac[TSIG_MAC_MAX];

	*tsig_error = TSIG_BADKEY;
	if (a == NULL || !wire_name_equal(rr->key_name, key->name) ||
	    !wire_name_equal(rr->alg_name, a->wire))
		return DNSD_ETSIG;
	/* Full length, or truncated no further than section 5.2.2.1 allows;
	 * anything else cannot verify. */
	*tsig_error = TSIG_BADSIG;
	if (rr->mac_len > a->mac_len || rr->mac_len < alg_min_mac(a))
		return DNSD_ETSIG;
	if (mac_message(key, a, prior, prior_len, msg, rr->offset,
	        (uint16_t)(wire_get16(msg + 10) - 1), rr, msg + len - rr->other_len, false, mac) != 0)
		return DNSD_ETSIG;
	if (CRYPTO_memcmp(mac, rr->mac, rr->mac_len) != 0)
		return DNSD_ETSIG;
	*tsig_error = TSIG_NOERROR;
	return 0;
}

int
tsig_verify(const uint8_t *msg, size_t len, const struct tsig_rr *rr,
    const struct tsig_key *key, uint32_t now, uint16_t *tsig_error)
{
	*tsig_error = TSIG_NOERROR;
	if (!rr_ok(msg, len, rr))
		return -EINVAL;
	int r = check_mac(msg, len, rr, key, NULL, 0, tsig_error);
	if (r != 0)
		return r;
	/* Section 5.2.3: the time is checked only once the MAC verified. */
	if (!time_ok(rr->time_signed, rr->fudge, now)) {
		*tsig_error = TSIG_BADTIME;
		return DNSD_ETSIG;
	}
	return 0;
}

int
tsig_sign_response(uint8_t *buf, size_t *len, size_t max, const struct tsig_rr *req,
    const struct tsig_key *key, uint16_t tsig_error, uint32_t now)
{
	const struct alg_info *a = key != NULL ? alg_info(key->alg) : NULL;
	struct tsig_rr t;

	if (!msg_ok(buf, len, max) || req == NULL)
		return -EINVAL;
	if (a == NULL || tsig_error == TSIG_BADKEY || tsig_error == TSIG_BADSIG) {
		/* Section 5.3.2: unsigned, naming the request's key and algorithm. */
		memset(&t, 0, sizeof(t));
		memcpy(t.key_name, req->key_name, req->key_name_len);
		t.key_name_len = req->key_name_len;
		memcpy(t.alg_name, req->alg_name, req->alg_name_len);
		t.alg_name_len = req->alg_name_len;
		t.time_signed = now;
		t.fudge = TSIG_FUDGE;
		t.orig_id = req->orig_id;
		t.error = tsig_error;
		return sign_append(buf, len, max, NULL, NULL, &t, NULL, 0, false);
	}
	tsig_out_init(&t, key, a, now, req->orig_id);
	t.error = tsig_error;
	if (tsig_error == TSIG_BADTIME) {
		/* Section 5.2.3: the request's time, and ours in Other Data. */
		t.time_signed = req->time_signed;
		t.other_len = 6;
		wire_put16(t.other, 0);
		wire_put32(t.other + 2, now);
	}
	return sign_append(buf, len, max, key, a, &t, req->mac, req->mac_len, false);
}

void
tsig_stream_init(struct tsig_stream *s, const struct tsig_rr *req,
    const struct tsig_key *key)
{
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->prev_mac_len = req->mac_len <= TSIG_MAC_MAX ? req->mac_len : 0;
	memcpy(s->prev_mac, req->mac, s->prev_mac_len);
	s->orig_id = req->orig_id;
	s->first = true;
}

int
tsig_stream_sign(struct tsig_stream *s, uint8_t *buf, size_t *len, size_t max,
    uint32_t now)
{
	const struct alg_info *a = s->key != NULL ? alg_info(s->key->alg) : NULL;
	struct tsig_rr t;

	if (!msg_ok(buf, len, max) || a == NULL)
		return -EINVAL;
	tsig_out_init(&t, s->key, a, now, s->orig_id);
	int r = sign_append(buf, len, max, s->key, a, &t, s->prev_mac, s->prev_mac_len, !s->first);
	if (r != 0)
		return r;
	memcpy(s->prev_mac, t.mac, t.mac_len);
	s->prev_mac_len = t.mac_len;
	s->first = false;
	return 0;
}

int
tsig_sign_request(uint8_t *buf, size_t *len, size_t max, const struct tsig_key *key,
    uint32_t now, uint16_t fudge, uint8_t *mac, uint16_t *mac_len)
{
	const struct alg_info *a = key != NULL ? alg_info(key->alg) : NULL;
	struct tsig_rr t;

	if (!msg_ok(buf, len, max) || a == NULL)
		return -EINVAL;
	tsig_out_init(&t, key, a, now, wire_get16(buf));
	t.fudge = fudge;
	int r = sign_append(buf, len, max, key, a, &t, NULL, 0, false);
	if (r != 0)
		return r;
	if (mac != NULL)
		memcpy(mac, t.mac, t.mac_len);
	if (mac_len != NULL)
		*mac_len = t.mac_len;
	return 0;
}

int
tsig_verify_response(const uint8_t *msg, size_t len, const struct tsig_key *key,
    const uint8_t *req_mac, uint16_t req_mac_len, uint32_t now, uint16_t *tsig_error)
{
	struct tsig_rr rr;

	*tsig_error = TSIG_NOERROR;
	int r = tsig_find(msg, len, &rr);
	if (r < 0)
		return r;
	if (r == 0 || (rr.mac_len == 0 && rr.error != TSIG_NOERROR)) {
		/* Unsigned: no TSIG at all, or the server's BADKEY/BADSIG. */
		*tsig_error = r == 0 ? TSIG_BADSIG : rr.error;
		return DNSD_ETSIG;
	}
	if ((r = check_mac(msg, len, &rr, key, req_mac, req_mac_len, tsig_error)) != 0)
		return r;
	if (!time_ok(rr.time_signed, rr.fudge, now)) {
		*tsig_error = TSIG_BADTIME;
		return DNSD_ETSIG;
	}
	/* A signed error (BADTIME, BADTRUNC) is authentic but still an error. */
	if (rr.error != TSIG_NOERROR) {
		*tsig_error = rr.error;
		return DNSD_ETSIG;
	}
	return 0;
}
