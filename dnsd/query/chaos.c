/* chaos.c -- the CHAOS-class TXT answers servers give about themselves:
 * version.bind and version.server (the `version` setting), id.server and
 * hostname.bind (`identity`, RFC 4892). Unset, or any other CHAOS
 * question: REFUSED, as for a name in no zone.
 */
#include "config.h"

#include <string.h>

#include "query/query.h"
#include "reply/reply.h"

/* Which setting answers `name` (a wire name, any case); NULL if none. */
static const char *
chaos_text(const struct query_ctx *q, const uint8_t *name)
{
	static const struct {
		const uint8_t *name;
		bool version;
	} names[] = {
		{ (const uint8_t *)"\7version\4bind", true },
		{ (const uint8_t *)"\7version\6server", true },
		{ (const uint8_t *)"\2id\6server", false },
		{ (const uint8_t *)"\10hostname\4bind", false },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (wire_name_equal(names[i].name, name))
			return names[i].version ? q->version : q->identity;
	return NULL;
}

size_t
query_chaos(struct query_ctx *q, const struct query_extra *x, uint8_t *out, size_t outmax,
    bool tcp, uint32_t now, struct query_info *info)
{
	const struct query_req *r = &info->req;
	const char *text = r->qtype == RR_TXT || r->qtype == RR_ANY ? chaos_text(q, r->qname) : NULL;
	uint16_t rcode = text != NULL ? RCODE_NOERROR : RCODE_REFUSED;
	struct reply_opt o;
	size_t limit = query_limit(q, r, tcp, outmax);
	size_t n = query_reply_start(r, out, limit, rcode);

	info->action = QUERY_REPLY;
	info->rcode = (uint8_t)rcode;
	query_reply_opt_ex(q, r, x, &o);
	if (n == 0) {
		info->action = QUERY_DROP;
		return 0;
	}
	size_t tlen = text != NULL ? strlen(text) : 0;
	if (tlen > 255)
		tlen = 255;
	/* The TXT record, owned by the question's name (a pointer to it). */
	size_t rec = 2 + 10 + 1 + tlen;
	if (text != NULL && n + rec + reply_room(&o, NULL) <= limit) {
		uint8_t *p = out + n;
		wire_put16(p, 0xc000 | WIRE_HDR_LEN);
		wire_put16(p + 2, RR_TXT);
		wire_put16(p + 4, CLASS_CH);
		wire_put32(p + 6, 0);
		wire_put16(p + 10, (uint16_t)(1 + tlen));
		p[12] = (uint8_t)tlen;
		memcpy(p + 13, text, tlen);
		n += rec;
		wire_put16(out + 6, 1);
		out[2] |= WIRE_AA >> 8;
	} else if (text != NULL) {
		out[2] |= WIRE_TC >> 8;
	}
	info->body_len = n;
	n = reply_finish(out, n, limit, rcode, &o, NULL, now);
	if (n == 0)
		info->action = QUERY_DROP;
	return n;
}
