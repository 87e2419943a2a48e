/* parse.c -- read a request: the header, the one question, and the
 * additional section's OPT (with the options dnsd acts on) and TSIG
 * (RFC 1035 4.1, RFC 6891 6.1, RFC 8945 5.1) */
#include "config.h"

#include <string.h>

#include "query/query.h"
#include "util/err.h"

/* The body of query_parse: 0, an RCODE to answer with, or -1 to drop. */
static int
parse(const uint8_t *in, size_t len, struct query_req *r)
{
	struct wire_cur c;

	memset(r, 0, sizeof(*r));
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
		struct wire_cur oc;
		wire_cur_init(&oc, rd, rdlen, 0);
		while (wire_remaining(&oc) > 0) {
			uint16_t code = wire_read_u16(&oc), olen2 = wire_read_u16(&oc);
			const uint8_t *od = wire_read_bytes(&oc, olen2);
			if (oc.err != 0)
				return RCODE_FORMERR;
			if (code == EDNS_OPT_UL) {
				if (olen2 != 4 && olen2 != 8)
					return RCODE_FORMERR;
				r->has_lease = true;
				r->lease = wire_get32(od);
				r->lease_8 = olen2 == 8;
				r->key_lease = olen2 == 8 ? wire_get32(od + 4) : 0;
			} else if (code == EDNS_OPT_HEALTH) {
				if (olen2 < 1 || olen2 > 256 || od[0] > 2)
					return RCODE_FORMERR;
				r->has_health = true;
				r->health = od[0];
				r->health_text_off = (uint16_t)(od + 1 - in);
				r->health_text_len = (uint16_t)(olen2 - 1);
			}
		}
		if (oc.err != 0)
			return RCODE_FORMERR;
	}
	if (!r->has_tsig)
		r->records_end = c.pos;
	if (c.err != 0 || c.pos != len)
		return RCODE_FORMERR; /* trailing garbage */
	return 0;
}

int
query_parse(const uint8_t *in, size_t len, struct query_req *r, uint8_t *rcode)
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

