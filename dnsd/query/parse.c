/* parse.c -- reading a request: the header, the one question, and the
 * additional section's OPT (with the options dnsd acts on: Update Lease,
 * DNSD-HEALTH, COOKIE, NSID) and TSIG (RFC 1035 4.1, RFC 6891 6.1,
 * RFC 8945 5.1; see query_parse in query.h)
 *
 * Two readers: parse() takes any message, with the sticky-error cursor of
 * wire.h; parse_fast() takes only the request nearly every client sends
 * and reads it with a few direct loads. The fuzzer checks that they agree
 * on every input the short one accepts.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "query/query.h"
#include "reply/reply.h"
#include "util/err.h"

/* The options of an OPT record's RDATA (`p`, `n` bytes, in message
 * `in`) into r; false for a malformed one (FORMERR): an option that runs
 * past the RDATA, a lease of a wrong size, a health option out of range,
 * a cookie of a wrong length or a second cookie (RFC 7873 section 5.2.2:
 * a client cookie of 8 bytes, with a server cookie of 8 to 32). An empty
 * NSID option asks for ours (RFC 5001 section 2.3). */
static bool
read_options(const uint8_t *in, const uint8_t *p, size_t n, struct query_req *r)
{
	while (n > 0) {
		if (n < 4)
			return false;
		uint16_t code = wire_get16(p), olen = wire_get16(p + 2);
		if ((size_t)olen > n - 4)
			return false;
		const uint8_t *od = p + 4;
		if (code == EDNS_OPT_UL) {
			if (olen != 4 && olen != 8)
				return false;
			r->has_lease = true;
			r->lease = wire_get32(od);
			r->lease_8 = olen == 8;
			r->key_lease = olen == 8 ? wire_get32(od + 4) : 0;
		} else if (code == EDNS_OPT_HEALTH) {
			if (olen < 1 || olen > 256 || od[0] > 2)
				return false;
			r->has_health = true;
			r->health = od[0];
			r->health_text_off = (uint16_t)(od + 1 - in);
			r->health_text_len = (uint16_t)(olen - 1);
		} else if (code == EDNS_OPT_COOKIE) {
			if (r->cookie_len != 0 || olen < COOKIE_CLIENT_LEN ||
			    (olen > COOKIE_CLIENT_LEN && olen < 16) || olen > COOKIE_MAX_LEN)
				return false;
			r->cookie_len = (uint8_t)olen;
			memcpy(r->cookie, od, olen);
		} else if (code == REPLY_OPT_NSID) {
			r->nsid = true;
		}
		p += 4 + (size_t)olen;
		n -= 4 + (size_t)olen;
	}
	return true;
}

/* The body of query_parse: 0, an RCODE to answer with, or -1 to drop. */
static int
parse(const uint8_t *in, size_t len, struct query_req *r)
{
	struct wire_cur c;

	memset(r, 0, offsetof(struct query_req, qname));
	if (len < WIRE_HDR_LEN)
		return -1;
	r->id = wire_get16(in);
	r->flags = wire_get16(in + 2);
	if (r->flags & WIRE_QR)
		return -1; /* never answer a response */
	r->qdcount = wire_get16(in + 4);
	r->ancount = wire_get16(in + 6);
	r->nscount = wire_get16(in + 8);
	r->arcount = wire_get16(in + 10);
	wire_cur_init(&c, in, len, WIRE_HDR_LEN);
	if (r->qdcount > 1)
		return RCODE_FORMERR;
	if (r->qdcount == 1) {
		size_t start = c.pos;
		r->qname_len = wire_read_name(&c, r->qname);
		/* A pointer, or a name that cannot be read (maybe because of
		 * where a pointer led): other bytes decided it. */
		r->compressed = r->qname_len == 0 || c.pos - start != r->qname_len;
		r->qtype = wire_read_u16(&c);
		r->qclass = wire_read_u16(&c);
		if (c.err != 0)
			return RCODE_FORMERR;
	}
	r->question_end = c.pos;

	/* Walk every record; OPT and TSIG are only allowed in the additional
	 * section, TSIG only last (RFC 8945 section 5.1). */
	unsigned total = (unsigned)r->ancount + r->nscount + r->arcount;
	for (unsigned i = 0; i < total; i++) {
		size_t start = c.pos;
		uint8_t owner[WIRE_NAME_MAX];
		size_t olen = wire_read_name(&c, owner);
		if (olen == 0 || c.pos - start != olen)
			r->compressed = true;
		uint16_t type = wire_read_u16(&c);
		uint16_t klass = wire_read_u16(&c);
		uint32_t ttl = wire_read_u32(&c);
		uint16_t rdlen = wire_read_u16(&c);
		const uint8_t *rd = wire_read_bytes(&c, rdlen);
		if (c.err != 0 || olen == 0)
			return RCODE_FORMERR;
		bool additional = i >= (unsigned)r->ancount + r->nscount;
		if (type == RR_TSIG) {
			if (!additional || i != total - 1)
				return RCODE_FORMERR;
			r->has_tsig = true;
			r->tsig_offset = start;
			continue;
		}
		r->records_end = c.pos;
		if (type != RR_OPT)
			continue;
		if (!additional || r->edns || olen != 1)
			return RCODE_FORMERR;
		r->edns = true;
		r->udp_size = klass < 512 ? 512 : klass;
		r->edns_version = (uint8_t)(ttl >> 16);
		r->edns_do = (ttl & 0x8000) != 0;
		if (!read_options(in, rd, rdlen, r))
			return RCODE_FORMERR;
	}
	if (!r->has_tsig)
		r->records_end = c.pos;
	if (c.err != 0 || c.pos != len)
		return RCODE_FORMERR; /* trailing garbage */
	return 0;
}

/*
 * The short path of query_parse, for the request nearly every client
 * sends: a header with one question and nothing else but maybe an OPT,
 * the question's name uncompressed, the OPT's owner the root. True with
 * `r` filled exactly as parse() fills it for such a request (and parse
 * returns 0); false, with `r` in any state, for everything else, which
 * parse() reads.
 */
static bool
parse_fast(const uint8_t *in, size_t len, struct query_req *r)
{
	if (len < WIRE_HDR_LEN + 5)
		return false;
	uint16_t flags = wire_get16(in + 2), ar = wire_get16(in + 10);
	if ((flags & WIRE_QR) || wire_get16(in + 4) != 1 || wire_get16(in + 6) != 0 ||
	    wire_get16(in + 8) != 0 || ar > 1)
		return false;
	/* The name: labels of at most 63 bytes, 255 in all, no pointer. */
	size_t pos = WIRE_HDR_LEN, end = len - 4;
	while (pos < end && in[pos] != 0) {
		if (in[pos] > WIRE_LABEL_MAX)
			return false;
		pos += (size_t)in[pos] + 1;
	}
	size_t nlen = pos + 1 - WIRE_HDR_LEN;
	if (pos >= end || nlen > WIRE_NAME_MAX)
		return false;
	memset(r, 0, offsetof(struct query_req, qname));
	r->id = wire_get16(in);
	r->flags = flags;
	r->qdcount = 1;
	r->arcount = ar;
	memcpy(r->qname, in + WIRE_HDR_LEN, nlen);
	r->qname_len = nlen;
	pos++;
	r->qtype = wire_get16(in + pos);
	r->qclass = wire_get16(in + pos + 2);
	pos += 4;
	r->question_end = pos;
	r->records_end = len;
	if (ar == 0)
		return pos == len;
	/* The OPT: root owner, type, class (payload), TTL, RDLENGTH. */
	if (len - pos < 11 || in[pos] != 0 || wire_get16(in + pos + 1) != RR_OPT)
		return false;
	uint16_t klass = wire_get16(in + pos + 3), rdlen = wire_get16(in + pos + 9);
	if ((size_t)rdlen != len - pos - 11)
		return false;
	r->edns = true;
	r->udp_size = klass < 512 ? 512 : klass;
	r->edns_version = in[pos + 6]; /* TTL: extended RCODE, version, flags */
	r->edns_do = (in[pos + 7] & 0x80) != 0;
	return read_options(in, in + pos + 11, rdlen, r);
}

int
query_parse_general(const uint8_t *in, size_t len, struct query_req *r, uint8_t *rcode)
{
	int rc = parse(in, len, r);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return DNSD_EMALF;
	if (rcode != NULL)
		*rcode = (uint8_t)rc;
	return DNSD_ERCODE;
}

int
query_parse(const uint8_t *in, size_t len, struct query_req *r, uint8_t *rcode)
{
	return parse_fast(in, len, r) ? 0 : query_parse_general(in, len, r, rcode);
}

