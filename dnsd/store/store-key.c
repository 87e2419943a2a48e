/* store-key.c -- node key encoding: store_key_make, truncate, parse, to_name
 *
 * A node key names one owner inside one zone; it is the key of "nodes",
 * "cuts" and (after the expiry time) "expiry", and it is carried in the
 * change records of the journal. Byte by byte:
 *
 *   zone id:u32 (big-endian)  then, for each label *below the zone apex*,
 *   from the one nearest the apex to the leftmost: the label's bytes,
 *   lower-cased (A-Z only), followed by a 0x00 separator. Inside a label
 *   0x00 is written 01 01 and 0x01 is written 01 02; every other byte is
 *   itself.
 *
 * So keys sort in DNSSEC canonical order (RFC 4034 section 6.1), a name's
 * key is a prefix of every descendant's key, and a zone is one contiguous
 * key range (AXFR is one cursor walk). The apex is the 4-byte zone id
 * alone. At most STORE_KEY_MAX (511, LMDB's key limit) bytes.
 *
 * Example: zone id 7, apex example.test, owner www.Svc.example.test:
 *
 *   00 00 00 07  73 76 63 00  77 77 77 00
 *   zone id      "svc" sep    "www" sep
 *
 * and a label holding the bytes 41 00 62 ("A\0b") under the apex of zone 7:
 *
 *   00 00 00 07  61 01 01 62 00
 *
 * Pure bytes: no LMDB here.
 */
#include "config.h"

#include <string.h>

#include "store/store.h"
#include "util/err.h"
#include "wire/wire.h"

int
store_key_make(struct store_key *k, uint32_t zone_id, const uint8_t *name,
    unsigned apex_labels)
{
	const uint8_t *labels[128];
	unsigned n = 0;

	for (const uint8_t *p = name; *p != 0; p += *p + 1) {
		if (n == 128)
			return DNSD_ETOOBIG;
		labels[n++] = p;
	}
	if (n < apex_labels)
		return DNSD_ETOOBIG;
	wire_put32(k->b, zone_id);
	size_t o = 4;
	k->depth = 0;
	for (unsigned i = n - apex_labels; i-- > 0;) {
		const uint8_t *l = labels[i];
		for (uint8_t j = 1; j <= l[0]; j++) {
			uint8_t c = l[j];
			if (o + 3 > STORE_KEY_MAX)
				return DNSD_ETOOBIG;
			if (c <= 1) {
				k->b[o++] = 1;
				k->b[o++] = (uint8_t)(c + 1);
			} else {
				k->b[o++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
			}
		}
		if (o + 1 > STORE_KEY_MAX)
			return DNSD_ETOOBIG;
		k->b[o++] = 0;
		k->ends[k->depth++] = (uint16_t)o;
	}
	k->len = (uint16_t)o;
	return 0;
}

void
store_key_truncate(struct store_key *k, unsigned depth)
{
	if (depth >= k->depth)
		return;
	k->depth = (uint8_t)depth;
	k->len = depth == 0 ? 4 : k->ends[depth - 1];
}

int
store_key_parse(struct store_key *k, const uint8_t *key, size_t keylen)
{
	if (keylen < 4 || keylen > STORE_KEY_MAX)
		return DNSD_EMALF;
	memcpy(k->b, key, keylen);
	k->len = (uint16_t)keylen;
	k->depth = 0;
	for (size_t i = 4; i < keylen; i++) {
		if (key[i] == 1) {
			i++;
			continue;
		}
		if (key[i] == 0) {
			if (k->depth == 128)
				return DNSD_EMALF;
			k->ends[k->depth++] = (uint16_t)(i + 1);
		}
	}
	if (keylen > 4 && key[keylen - 1] != 0)
		return DNSD_EMALF;
	return 0;
}

size_t
store_key_to_name(const uint8_t *key, size_t keylen, const uint8_t *apex, uint8_t *out)
{
	struct store_key k;
	uint8_t labels[WIRE_NAME_MAX];
	size_t n = 0, apexlen = wire_name_len(apex);

	if (store_key_parse(&k, key, keylen) != 0)
		return 0;
	/* Decode labels from the deepest (leftmost in the name) upwards. */
	for (unsigned d = k.depth; d-- > 0;) {
		size_t start = d == 0 ? 4 : k.ends[d - 1], end = k.ends[d] - 1;
		size_t lenpos = n++;
		uint8_t len = 0;
		for (size_t i = start; i < end; i++) {
			uint8_t c = key[i];
			if (c == 1)
				c = (uint8_t)(key[++i] - 1);
			if (n >= WIRE_NAME_MAX || len == WIRE_LABEL_MAX)
				return 0;
			labels[n++] = c;
			len++;
		}
		labels[lenpos] = len;
	}
	if (n + apexlen > WIRE_NAME_MAX)
		return 0;
	memcpy(out, labels, n);
	memcpy(out + n, apex, apexlen);
	return n + apexlen;
}
