/* svc.c -- service instances: encoding, decoding and their names */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "svc/svc.h"
#include "util/err.h"

enum {
	F_TARGET = 1, F_SRV = 2, F_TTL = 3, F_LEASE = 4, F_HEALTH = 5, F_ORIGIN = 6, F_ID = 7,
	F_TAG = 8, F_TXT = 9, F_ADDR = 10, F_CHECK = 11, F_NOTE = 12, F_SOURCE = 13, F_NAME = 14,
};

#define SVC_FORMAT 1

void
svc_instance_init(struct svc_instance *in)
{
	memset(in, 0, sizeof(*in));
	in->weight = in->weight_warning = 1;
	in->health = SVC_PASSING;
}

/* ---- encoding: a cursor that cannot overrun (SVC_VALUE_MAX bounds all) ---- */

struct enc {
	uint8_t *p;
	size_t len;
};

static void
put_bytes(struct enc *e, const void *b, size_t n)
{
	memcpy(e->p + e->len, b, n);
	e->len += n;
}

static void
put_u8(struct enc *e, uint8_t v)
{
	e->p[e->len++] = v;
}

static void
put_u16(struct enc *e, uint16_t v)
{
	wire_put16(e->p + e->len, v);
	e->len += 2;
}

static void
put_u32(struct enc *e, uint32_t v)
{
	wire_put32(e->p + e->len, v);
	e->len += 4;
}

/* Start a field; returns where its length goes. */
static size_t
field(struct enc *e, uint8_t tag)
{
	put_u8(e, tag);
	put_u16(e, 0);
	return e->len;
}

static void
field_end(struct enc *e, size_t start)
{
	wire_put16(e->p + start - 2, (uint16_t)(e->len - start));
}

/* A string field, cut to `max` - 1 bytes (what the struct holds). */
static void
put_str_field(struct enc *e, uint8_t tag, const char *s, size_t max)
{
	size_t n = strnlen(s, max - 1);
	if (n == 0)
		return;
	size_t f = field(e, tag);
	put_bytes(e, s, n);
	field_end(e, f);
}

static void
put_short_str(struct enc *e, const char *s, size_t max)
{
	size_t n = strnlen(s, max - 1);
	if (n > 255)
		n = 255;
	put_u8(e, (uint8_t)n);
	put_bytes(e, s, n);
}

static void
put_long_str(struct enc *e, const char *s, size_t max)
{
	size_t n = strnlen(s, max - 1);
	put_u16(e, (uint16_t)n);
	put_bytes(e, s, n);
}

size_t
svc_encode(const struct svc_instance *in, uint8_t *out)
{
	struct enc e = { out, 0 };
	size_t f;
	put_u8(&e, SVC_FORMAT);
	f = field(&e, F_TARGET);
	put_bytes(&e, in->target, wire_name_len(in->target));
	field_end(&e, f);
	f = field(&e, F_SRV);
	put_u16(&e, in->priority);
	put_u16(&e, in->weight);
	put_u16(&e, in->port);
	put_u16(&e, in->weight_warning);
	field_end(&e, f);
	f = field(&e, F_TTL);
	put_u32(&e, in->ttl);
	field_end(&e, f);
	f = field(&e, F_LEASE);
	put_u32(&e, in->expire);
	put_u32(&e, in->owner);
	field_end(&e, f);
	f = field(&e, F_HEALTH);
	put_u8(&e, (uint8_t)in->health);
	put_u32(&e, in->health_since);
	field_end(&e, f);
	f = field(&e, F_ORIGIN);
	put_u8(&e, (uint8_t)in->origin);
	field_end(&e, f);
	put_str_field(&e, F_ID, in->id, sizeof(in->id));
	for (size_t i = 0; i < in->ntags && i < SVC_TAGS_MAX; i++)
		put_str_field(&e, F_TAG, in->tags[i], sizeof(in->tags[i]));
	if (in->txt_len > 0) {
		f = field(&e, F_TXT);
		put_bytes(&e, in->txt, in->txt_len < SVC_TXT_MAX ? in->txt_len : SVC_TXT_MAX);
		field_end(&e, f);
	}
	for (size_t i = 0; i < in->naddrs && i < SVC_ADDRS_MAX; i++) {
		f = field(&e, F_ADDR);
		put_bytes(&e, in->addrs[i].addr, in->addrs[i].family == AF_INET ? 4 : 16);
		field_end(&e, f);
	}
	for (size_t i = 0; i < in->nchecks && i < SVC_CHECKS_MAX; i++) {
		const struct svc_check *c = &in->checks[i];
		f = field(&e, F_CHECK);
		put_u8(&e, (uint8_t)c->kind);
		put_u8(&e, (uint8_t)c->status);
		put_u32(&e, c->interval_ms);
		put_u32(&e, c->timeout_ms);
		put_u32(&e, c->ttl_ms);
		put_u32(&e, c->deregister_s);
		put_u32(&e, c->since);
		put_short_str(&e, c->id, sizeof(c->id));
		put_short_str(&e, c->name, sizeof(c->name));
		put_long_str(&e, c->target, sizeof(c->target));
		put_long_str(&e, c->output, sizeof(c->output));
		field_end(&e, f);
	}
	put_str_field(&e, F_NOTE, in->note, sizeof(in->note));
	put_str_field(&e, F_SOURCE, in->source, sizeof(in->source));
	/* The name as registered: the key keeps it in lower case. */
	f = field(&e, F_NAME);
	put_bytes(&e, in->name, wire_name_len(in->name));
	field_end(&e, f);
	return e.len;
}

/* ---- decoding: the project's sticky-error cursor ---- */

/* Copy a string of `n` bytes at the cursor into `out` (size `max`). */
static void
get_str(struct wire_cur *c, size_t n, char *out, size_t max)
{
	const uint8_t *b = wire_read_bytes(c, n);
	if (b == NULL)
		return;
	if (n >= max)
		n = max - 1;
	memcpy(out, b, n);
	out[n] = '\0';
}

static void
get_check(struct wire_cur *c, struct svc_check *k)
{
	k->kind = (enum svc_check_kind)wire_read_u8(c);
	k->status = (enum svc_health)wire_read_u8(c);
	k->interval_ms = wire_read_u32(c);
	k->timeout_ms = wire_read_u32(c);
	k->ttl_ms = wire_read_u32(c);
	k->deregister_s = wire_read_u32(c);
	k->since = wire_read_u32(c);
	get_str(c, wire_read_u8(c), k->id, sizeof(k->id));
	get_str(c, wire_read_u8(c), k->name, sizeof(k->name));
	get_str(c, wire_read_u16(c), k->target, sizeof(k->target));
	get_str(c, wire_read_u16(c), k->output, sizeof(k->output));
}

int
svc_decode(const uint8_t *val, size_t len, const uint8_t *name, struct svc_instance *in)
{
	struct wire_cur c;
	svc_instance_init(in);
	memcpy(in->name, name, wire_name_len(name));
	if (len < 1 || val[0] != SVC_FORMAT)
		return DNSD_EMALF;
	wire_cur_init(&c, val, len, 1);
	while (c.err == 0 && wire_remaining(&c) > 0) {
		uint8_t tag = wire_read_u8(&c);
		uint16_t flen = wire_read_u16(&c);
		const uint8_t *d = wire_read_bytes(&c, flen);
		if (d == NULL)
			break;
		struct wire_cur f;
		wire_cur_init(&f, d, flen, 0);
		switch (tag) {
		case F_TARGET:
			if (flen > WIRE_NAME_MAX || wire_name_check(d, flen) != flen)
				return DNSD_EMALF;
			memcpy(in->target, d, flen);
			break;
		case F_SRV:
			in->priority = wire_read_u16(&f);
			in->weight = wire_read_u16(&f);
			in->port = wire_read_u16(&f);
			in->weight_warning = wire_read_u16(&f);
			break;
		case F_TTL:
			in->ttl = wire_read_u32(&f);
			break;
		case F_LEASE:
			in->expire = wire_read_u32(&f);
			in->owner = wire_read_u32(&f);
			break;
		case F_HEALTH:
			in->health = (enum svc_health)wire_read_u8(&f);
			in->health_since = wire_read_u32(&f);
			if (in->health > SVC_CRITICAL)
				return DNSD_EMALF;
			break;
		case F_ORIGIN:
			in->origin = (enum svc_origin)wire_read_u8(&f);
			break;
		case F_ID:
			get_str(&f, flen, in->id, sizeof(in->id));
			break;
		case F_TAG:
			if (in->ntags < SVC_TAGS_MAX)
				get_str(&f, flen, in->tags[in->ntags++], SVC_TAG_MAX);
			break;
		case F_TXT:
			if (flen > SVC_TXT_MAX)
				return DNSD_EMALF;
			memcpy(in->txt, d, flen);
			in->txt_len = flen;
			break;
		case F_ADDR:
			if ((flen != 4 && flen != 16) || in->naddrs == SVC_ADDRS_MAX)
				break;
			in->addrs[in->naddrs].family = flen == 4 ? AF_INET : AF_INET6;
			memcpy(in->addrs[in->naddrs++].addr, d, flen);
			break;
		case F_CHECK:
			if (in->nchecks < SVC_CHECKS_MAX)
				get_check(&f, &in->checks[in->nchecks++]);
			break;
		case F_NOTE:
			get_str(&f, flen, in->note, sizeof(in->note));
			break;
		case F_SOURCE:
			get_str(&f, flen, in->source, sizeof(in->source));
			break;
		case F_NAME:
			/* Its case, if it is the name of the key. */
			if (flen <= WIRE_NAME_MAX && wire_name_check(d, flen) == flen &&
			    wire_name_equal(d, in->name))
				memcpy(in->name, d, flen);
			break;
		default:
			break; /* a field of a newer version */
		}
		if (f.err != 0)
			return DNSD_EMALF;
	}
	return c.err != 0 ? DNSD_EMALF : 0;
}

int
svc_decode_brief(const uint8_t *val, size_t len, const uint8_t *name, struct svc_brief *b,
    char *tags, size_t tags_cap, size_t *tags_len)
{
	struct wire_cur c;
	memcpy(b->name, name, wire_name_len(name));
	b->target[0] = 0;
	b->priority = b->port = 0;
	b->weight = b->weight_warning = 1;
	b->ttl = b->expire = b->owner = 0;
	b->health = SVC_PASSING;
	b->own_addrs = false;
	b->ntags = 0;
	b->first_tag = *tags_len;
	if (len < 1 || val[0] != SVC_FORMAT)
		return DNSD_EMALF;
	wire_cur_init(&c, val, len, 1);
	while (c.err == 0 && wire_remaining(&c) > 0) {
		uint8_t tag = wire_read_u8(&c);
		uint16_t flen = wire_read_u16(&c);
		const uint8_t *d = wire_read_bytes(&c, flen);
		if (d == NULL)
			break;
		switch (tag) {
		case F_TARGET:
			if (flen > WIRE_NAME_MAX || wire_name_check(d, flen) != flen)
				return DNSD_EMALF;
			memcpy(b->target, d, flen);
			break;
		case F_SRV:
			if (flen >= 8) {
				b->priority = wire_get16(d);
				b->weight = wire_get16(d + 2);
				b->port = wire_get16(d + 4);
				b->weight_warning = wire_get16(d + 6);
			}
			break;
		case F_TTL:
			if (flen >= 4)
				b->ttl = wire_get32(d);
			break;
		case F_LEASE:
			if (flen >= 8) {
				b->expire = wire_get32(d);
				b->owner = wire_get32(d + 4);
			}
			break;
		case F_HEALTH:
			if (flen >= 1 && d[0] <= SVC_CRITICAL)
				b->health = (enum svc_health)d[0];
			break;
		case F_TAG:
			if (b->ntags < SVC_TAGS_MAX && flen < SVC_TAG_MAX && *tags_len + flen + 1 <= tags_cap) {
				memcpy(tags + *tags_len, d, flen);
				tags[*tags_len + flen] = '\0';
				*tags_len += flen + 1u;
				b->ntags++;
			}
			break;
		case F_ADDR:
			b->own_addrs = true;
			break;
		case F_NAME:
			if (flen <= WIRE_NAME_MAX && wire_name_check(d, flen) == flen &&
			    wire_name_equal(d, b->name))
				memcpy(b->name, d, flen);
			break;
		default:
			break;
		}
	}
	return c.err != 0 ? DNSD_EMALF : 0;
}

/* ---- names ---- */

static bool
underscore(const uint8_t *label)
{
	return label[0] > 0 && label[1] == '_';
}

/* `_tcp` or `_udp`, in any case. */
static bool
is_proto(const uint8_t *label)
{
	if (label[0] != 4 || label[1] != '_')
		return false;
	char p[3] = { (char)(label[2] | 0x20), (char)(label[3] | 0x20), (char)(label[4] | 0x20) };
	return memcmp(p, "tcp", 3) == 0 || memcmp(p, "udp", 3) == 0;
}

bool
svc_is_service_name(const uint8_t *name, const uint8_t *apex)
{
	if (name[0] == 0 || !underscore(name))
		return false;
	const uint8_t *proto = name + 1 + name[0];
	if (proto[0] == 0 || !is_proto(proto))
		return false;
	/* `_sub` is a subtype marker, not a service */
	if (name[0] == 4 && memcmp(name + 1, "_sub", 4) == 0)
		return false;
	return wire_name_is_subdomain(proto + 1 + proto[0], apex);
}

bool
svc_is_instance_name(const uint8_t *name, const uint8_t *apex, const uint8_t **service)
{
	if (name[0] == 0 || underscore(name))
		return false;
	const uint8_t *s = name + 1 + name[0];
	if (!svc_is_service_name(s, apex))
		return false;
	*service = s;
	return true;
}

const char *
svc_health_str(enum svc_health h)
{
	switch (h) {
	case SVC_PASSING: return "passing";
	case SVC_WARNING: return "warning";
	case SVC_CRITICAL: return "critical";
	}
	return "unknown";
}

int
svc_health_parse(const char *s)
{
	if (strcmp(s, "passing") == 0)
		return SVC_PASSING;
	if (strcmp(s, "warning") == 0)
		return SVC_WARNING;
	if (strcmp(s, "critical") == 0)
		return SVC_CRITICAL;
	return -1;
}
