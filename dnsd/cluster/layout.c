/* layout.c -- cluster mode's keys and values in etcd (layout.h) */
#include "config.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "cluster/layout.h"
#include "util/err.h"
#include "wire/wire.h"

size_t
layout_name(const uint8_t *name, char *out)
{
	uint8_t low[WIRE_NAME_MAX];
	char text[LAYOUT_NAME_MAX];
	size_t n = wire_name_len(name), o = 0;
	wire_name_lower(low, name, n);
	wire_name_to_str(low, text, sizeof(text));
	for (const char *p = text; *p != '\0' && o + 5 < LAYOUT_NAME_MAX; p++) {
		if (*p == '/') {
			memcpy(out + o, "\\047", 4);
			o += 4;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return o;
}

size_t
layout_key_zone(char *out, const uint8_t *zone)
{
	size_t n = 2;
	memcpy(out, "z/", 2);
	n += layout_name(zone, out + n);
	out[n++] = '/';
	out[n] = '\0';
	return n;
}

size_t
layout_key_instance(char *out, const uint8_t *zone, const uint8_t *name)
{
	size_t n = layout_key_zone(out, zone);
	memcpy(out + n, "i/", 2);
	n += 2;
	return n + layout_name(name, out + n);
}

size_t
layout_key_record(char *out, const uint8_t *zone, const uint8_t *owner, uint16_t type,
    const uint8_t *rdata, uint16_t rdlen)
{
	uint8_t h[LAYOUT_HASH_LEN];
	size_t n = layout_key_zone(out, zone);
	memcpy(out + n, "r/", 2);
	n += 2;
	n += layout_name(owner, out + n);
	n += (size_t)snprintf(out + n, 8, "/%u/", type);
	layout_rdata_hash(rdata, rdlen, h);
	for (size_t i = 0; i < LAYOUT_HASH_LEN; i++)
		n += (size_t)snprintf(out + n, 3, "%02x", h[i]);
	return n;
}

size_t
layout_key_version(char *out, const uint8_t *zone)
{
	size_t n = layout_key_zone(out, zone);
	memcpy(out + n, "version", 8);
	return n + 7;
}

size_t
layout_key_serial(char *out, const uint8_t *zone)
{
	size_t n = layout_key_zone(out, zone);
	memcpy(out + n, "serial", 7);
	return n + 6;
}

void
layout_rdata_hash(const uint8_t *rdata, uint16_t rdlen, uint8_t out[LAYOUT_HASH_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (EVP_Digest(rdata, rdlen, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < LAYOUT_HASH_LEN) {
		memset(out, 0, LAYOUT_HASH_LEN); /* cannot happen with a working libcrypto */
		return;
	}
	memcpy(out, md, LAYOUT_HASH_LEN);
}

/* A name from key text [p, end) (NUL-terminated copy, then parsed). */
static bool
parse_name(const uint8_t *p, const uint8_t *end, uint8_t *out)
{
	char text[LAYOUT_NAME_MAX];
	size_t n = (size_t)(end - p);
	if (n == 0 || n >= sizeof(text) || memchr(p, '\0', n) != NULL)
		return false;
	memcpy(text, p, n);
	text[n] = '\0';
	return wire_name_from_str(text, out) != 0;
}

static int
hexval(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "r/" is behind: <owner>/<type>/<hash> in [p, end). */
static bool
parse_record(const uint8_t *p, const uint8_t *end, struct layout_key *k)
{
	const uint8_t *h = end;
	while (h > p && h[-1] != '/')
		h--;
	const uint8_t *t = h > p ? h - 1 : p;
	while (t > p && t[-1] != '/')
		t--;
	if (t == p || end - h != 2 * LAYOUT_HASH_LEN || h - 1 - t < 1 || h - 1 - t > 5)
		return false;
	unsigned type = 0;
	for (const uint8_t *q = t; q < h - 1; q++) {
		if (*q < '0' || *q > '9')
			return false;
		type = type * 10 + (unsigned)(*q - '0');
	}
	if (type == 0 || type > 65535)
		return false;
	for (size_t i = 0; i < LAYOUT_HASH_LEN; i++) {
		int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);
		if (a < 0 || b < 0)
			return false;
		k->hash[i] = (uint8_t)(a << 4 | b);
	}
	k->type = (uint16_t)type;
	return parse_name(p, t - 1, k->name);
}

int
layout_parse(const uint8_t *key, size_t len, struct layout_key *k)
{
	const uint8_t *p = key, *end = key + len;
	memset(k, 0, sizeof(*k));
	k->kind = LAYOUT_OTHER;
	if (len < 3 || memcmp(p, "z/", 2) != 0)
		return 0;
	p += 2;
	const uint8_t *slash = memchr(p, '/', (size_t)(end - p));
	if (slash == NULL || !parse_name(p, slash, k->zone))
		return 0;
	p = slash + 1;
	size_t rest = (size_t)(end - p);
	if (rest > 2 && memcmp(p, "i/", 2) == 0) {
		if (parse_name(p + 2, end, k->name) && wire_name_is_subdomain(k->name, k->zone))
			k->kind = LAYOUT_INSTANCE;
	} else if (rest > 2 && memcmp(p, "r/", 2) == 0) {
		if (parse_record(p + 2, end, k) && wire_name_is_subdomain(k->name, k->zone))
			k->kind = LAYOUT_RECORD;
	} else if (rest == 7 && memcmp(p, "version", 7) == 0) {
		k->kind = LAYOUT_VERSION;
	} else if (rest == 6 && memcmp(p, "serial", 6) == 0) {
		k->kind = LAYOUT_SERIAL;
	}
	return 0;
}

size_t
layout_rec_encode(const struct layout_rec *r, uint8_t *out)
{
	out[0] = 1;
	wire_put32(out + 1, r->ttl);
	wire_put32(out + 5, r->expire);
	wire_put32(out + 9, r->owner);
	out[13] = r->flags;
	memcpy(out + LAYOUT_REC_HDR, r->rdata, r->rdlen);
	return LAYOUT_REC_HDR + (size_t)r->rdlen;
}

int
layout_rec_decode(const uint8_t *val, size_t len, struct layout_rec *r)
{
	if (len < LAYOUT_REC_HDR || val[0] != 1 || len - LAYOUT_REC_HDR > 65535)
		return DNSD_EMALF;
	r->ttl = wire_get32(val + 1);
	r->expire = wire_get32(val + 5);
	r->owner = wire_get32(val + 9);
	r->flags = val[13];
	r->rdata = val + LAYOUT_REC_HDR;
	r->rdlen = (uint16_t)(len - LAYOUT_REC_HDR);
	return 0;
}
