/* wire.c -- DNS wire format reader, compressing writer and name helpers */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "wire/wire.h"

static inline uint8_t
lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

void
wire_cur_init(struct wire_cur *c, const uint8_t *pkt, size_t len, size_t pos)
{
	c->pkt = pkt;
	c->len = len;
	c->pos = pos;
	c->err = pos > len ? DNSD_EMALF : 0;
}

static inline bool
cur_need(struct wire_cur *c, size_t n)
{
	if (c->err != 0)
		return false;
	if (c->len - c->pos < n) {
		c->err = DNSD_EMALF;
		return false;
	}
	return true;
}

uint8_t
wire_read_u8(struct wire_cur *c)
{
	if (!cur_need(c, 1))
		return 0;
	return c->pkt[c->pos++];
}

uint16_t
wire_read_u16(struct wire_cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = wire_get16(c->pkt + c->pos);
	c->pos += 2;
	return v;
}

uint32_t
wire_read_u32(struct wire_cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = wire_get32(c->pkt + c->pos);
	c->pos += 4;
	return v;
}

const uint8_t *
wire_read_bytes(struct wire_cur *c, size_t n)
{
	if (!cur_need(c, n))
		return NULL;
	const uint8_t *p = c->pkt + c->pos;
	c->pos += n;
	return p;
}

void
wire_skip(struct wire_cur *c, size_t n)
{
	(void)wire_read_bytes(c, n);
}

size_t
wire_remaining(const struct wire_cur *c)
{
	return c->err != 0 ? 0 : c->len - c->pos;
}

/*
 * Walk a name starting at c->pos. Each pointer must point strictly before
 * the start of the label sequence that contains it, which makes loops
 * impossible. The cursor ends after the first pointer or the root label.
 */
size_t
wire_read_name(struct wire_cur *c, uint8_t *out)
{
	if (c->err != 0)
		return 0;
	const uint8_t *pkt = c->pkt;
	size_t pos = c->pos, seq_start = c->pos, end = 0, n = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= c->len)
			goto bad;
		uint8_t b = pkt[pos];
		if ((b & 0xc0) == 0xc0) {
			if (pos + 1 >= c->len)
				goto bad;
			size_t ptr = (size_t)(b & 0x3f) << 8 | pkt[pos + 1];
			if (ptr >= seq_start)
				goto bad;
			if (!jumped) {
				end = pos + 2;
				jumped = true;
			}
			pos = seq_start = ptr;
			continue;
		}
		if (b & 0xc0)
			goto bad; /* extended or binary labels */
		if (pos + 1 + b > c->len || n + 1 + b > WIRE_NAME_MAX)
			goto bad;
		if (out != NULL)
			memcpy(out + n, pkt + pos, 1 + (size_t)b);
		n += 1 + (size_t)b;
		pos += 1 + (size_t)b;
		if (b == 0)
			break;
	}
	c->pos = jumped ? end : pos;
	return n;
bad:
	c->err = DNSD_EMALF;
	return 0;
}

void
wire_skip_name(struct wire_cur *c)
{
	(void)wire_read_name(c, NULL);
}

size_t
wire_name_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p != 0)
		p += *p + 1;
	return (size_t)(p - name) + 1;
}

unsigned
wire_name_labels(const uint8_t *name)
{
	unsigned n = 0;
	for (const uint8_t *p = name; *p != 0; p += *p + 1)
		n++;
	return n;
}

void
wire_name_lower(uint8_t *out, const uint8_t *name, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t l = name[i];
		out[i] = l;
		/* Never past `len`, even inside a label: a caller may lower just
		 * a prefix into a buffer of that size (services.c did, and a
		 * name whose first label was longer overran it). */
		for (size_t j = 1; j <= l && i + j < len; j++)
			out[i + j] = lc(name[i + j]);
		i += (size_t)l + 1;
		if (l == 0)
			break;
	}
}

bool
wire_name_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		uint8_t l = *a;
		if (l == 0)
			return true;
		for (uint8_t i = 1; i <= l; i++)
			if (lc(a[i]) != lc(b[i]))
				return false;
		a += l + 1;
		b += l + 1;
	}
}

const uint8_t *
wire_name_skip_labels(const uint8_t *name, unsigned n)
{
	while (n-- > 0 && *name != 0)
		name += *name + 1;
	return name;
}

bool
wire_name_is_subdomain(const uint8_t *name, const uint8_t *apex)
{
	unsigned nl = wire_name_labels(name), al = wire_name_labels(apex);
	if (nl < al)
		return false;
	return wire_name_equal(wire_name_skip_labels(name, nl - al), apex);
}

size_t
wire_name_check(const uint8_t *p, size_t len)
{
	size_t n = 0;
	for (;;) {
		if (n >= len)
			return 0;
		uint8_t l = p[n];
		if (l > WIRE_LABEL_MAX || n + 1 + l > len || n + 1 + l > WIRE_NAME_MAX)
			return 0;
		n += 1 + (size_t)l;
		if (l == 0)
			return n;
	}
}

void
wire_name_to_str(const uint8_t *name, char *out, size_t outlen)
{
	size_t o = 0;
	if (outlen == 0)
		return;
	if (*name == 0) {
		snprintf(out, outlen, ".");
		return;
	}
	for (const uint8_t *p = name; *p != 0; p += *p + 1) {
		for (uint8_t i = 1; i <= *p; i++) {
			uint8_t ch = p[i];
			char tmp[5];
			if (ch == '.' || ch == '\\' || ch == '"' || ch == ';' || ch == '(' ||
			    ch == ')' || ch == '@' || ch == '$')
				snprintf(tmp, sizeof(tmp), "\\%c", ch);
			else if (ch <= 0x20 || ch >= 0x7f)
				snprintf(tmp, sizeof(tmp), "\\%03u", ch);
			else
				snprintf(tmp, sizeof(tmp), "%c", ch);
			size_t tl = strlen(tmp);
			if (o + tl + 2 > outlen)
				goto done;
			memcpy(out + o, tmp, tl);
			o += tl;
		}
		out[o++] = '.';
	}
done:
	out[o] = '\0';
}

size_t
wire_name_from_str(const char *s, uint8_t *out)
{
	size_t n = 1, lab = 0;

	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	if (*s == '\0' || *s == '.')
		return 0;
	out[0] = 0;
	while (*s != '\0') {
		uint8_t ch;
		if (*s == '.') {
			if (out[lab] == 0)
				return 0; /* empty label */
			if (*++s == '\0')
				break;
			lab = n;
			out[n++] = 0;
			continue;
		}
		if (*s == '\\') {
			s++;
			if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
			    isdigit((unsigned char)s[2])) {
				int v = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
				if (v > 255)
					return 0;
				ch = (uint8_t)v;
				s += 3;
			} else if (*s != '\0') {
				ch = (uint8_t)*s++;
			} else {
				return 0;
			}
		} else {
			ch = (uint8_t)*s++;
		}
		if (out[lab] == WIRE_LABEL_MAX || n >= WIRE_NAME_MAX - 1)
			return 0;
		out[n++] = ch;
		out[lab]++;
	}
	out[n++] = 0;
	return n;
}

void
wire_buf_init(struct wire_buf *w, uint8_t *data, size_t limit)
{
	w->data = data;
	w->len = 0;
	w->limit = limit;
	w->err = 0;
	w->ncomp = 0;
}

static inline bool
buf_need(struct wire_buf *w, size_t n)
{
	if (w->err != 0)
		return false;
	if (w->limit - w->len < n) {
		w->err = DNSD_ESPACE;
		return false;
	}
	return true;
}

void
wire_buf_u8(struct wire_buf *w, uint8_t v)
{
	if (buf_need(w, 1))
		w->data[w->len++] = v;
}

void
wire_buf_u16(struct wire_buf *w, uint16_t v)
{
	if (buf_need(w, 2)) {
		wire_put16(w->data + w->len, v);
		w->len += 2;
	}
}

void
wire_buf_u32(struct wire_buf *w, uint32_t v)
{
	if (buf_need(w, 4)) {
		wire_put32(w->data + w->len, v);
		w->len += 4;
	}
}

void
wire_buf_bytes(struct wire_buf *w, const void *p, size_t n)
{
	if (buf_need(w, n)) {
		memcpy(w->data + w->len, p, n);
		w->len += n;
	}
}

static void
comp_add(struct wire_buf *w, uint16_t off, unsigned labels)
{
	if (w->ncomp < WIRE_COMP_MAX && off <= 0x3fff) {
		w->comp[w->ncomp] = off;
		w->comp_labels[w->ncomp++] = (uint8_t)labels;
	}
}

void
wire_buf_comp_add(struct wire_buf *w, uint16_t off)
{
	/* Count the labels of the name there (it may end in a pointer). */
	unsigned labels = 0;
	size_t o = off;
	for (int hops = 0; o < w->len && hops < 128; hops++) {
		uint8_t b = w->data[o];
		if ((b & 0xc0) == 0xc0) {
			o = (size_t)(b & 0x3f) << 8 | w->data[o + 1];
			continue;
		}
		if (b == 0)
			break;
		labels++;
		o += (size_t)b + 1;
	}
	comp_add(w, off, labels);
}

/* Does the (possibly compressed) name at `off` in our own output equal the
 * uncompressed `name`, ignoring case? Our output only has backward pointers. */
static bool
buf_name_equal(const struct wire_buf *w, size_t off, const uint8_t *name)
{
	const uint8_t *d = w->data;
	for (int hops = 0; hops < 128; hops++) {
		uint8_t b = d[off];
		if ((b & 0xc0) == 0xc0) {
			off = (size_t)(b & 0x3f) << 8 | d[off + 1];
			continue;
		}
		if (b != *name)
			return false;
		if (b == 0)
			return true;
		/* Usually the same bytes; fold case only where they differ. */
		if (memcmp(d + off + 1, name + 1, b) != 0)
			for (uint8_t i = 1; i <= b; i++)
				if (lc(d[off + i]) != lc(name[i]))
					return false;
		off += (size_t)b + 1;
		name += b + 1;
	}
	return false;
}

static void
buf_name(struct wire_buf *w, const uint8_t *name, bool compress)
{
	if (w->err != 0)
		return;
	size_t start = w->len;
	const uint8_t *p = name;
	unsigned left = wire_name_labels(name), total = left;
	while (*p != 0) {
		if (compress) {
			/* Only a name with as many labels can equal this suffix. */
			for (unsigned i = 0; i < w->ncomp; i++) {
				if (w->comp_labels[i] == left && buf_name_equal(w, w->comp[i], p)) {
					wire_buf_u16(w, (uint16_t)(0xc000 | w->comp[i]));
					goto record;
				}
			}
		}
		wire_buf_bytes(w, p, (size_t)*p + 1);
		p += *p + 1;
		left--;
	}
	wire_buf_u8(w, 0);
record:
	if (w->err != 0)
		return;
	/* Every label we wrote literally can serve later names. */
	left = total;
	for (size_t off = start; off < w->len && (w->data[off] & 0xc0) == 0 && w->data[off] != 0;
	     off += w->data[off] + 1)
		comp_add(w, (uint16_t)off, left--);
}

void
wire_buf_name(struct wire_buf *w, const uint8_t *name)
{
	buf_name(w, name, true);
}

void
wire_buf_name_nocomp(struct wire_buf *w, const uint8_t *name)
{
	buf_name(w, name, false);
}

void
wire_buf_rollback(struct wire_buf *w, struct wire_mark m)
{
	w->len = m.len;
	w->ncomp = m.ncomp;
	w->err = 0;
}

bool
wire_type_has_names(uint16_t type)
{
	/* RFC 3597 section 4: the RFC 1035 types whose names may be compressed. */
	switch (type) {
	case RR_NS: case 3: case 4: case RR_CNAME: case RR_SOA: case 7: case 8: case 9:
	case RR_PTR: case 14: case RR_MX:
		return true;
	}
	return false;
}

/* Copy one name (compressed allowed) from c into out; returns length or 0. */
static size_t
rd_name(struct wire_cur *c, uint8_t *out, size_t *o, size_t outmax)
{
	uint8_t tmp[WIRE_NAME_MAX];
	size_t n = wire_read_name(c, tmp);
	if (n == 0 || *o + n > outmax)
		return 0;
	memcpy(out + *o, tmp, n);
	*o += n;
	return n;
}

static int
rd_fixed(struct wire_cur *c, uint8_t *out, size_t *o, size_t outmax, size_t n)
{
	const uint8_t *p = wire_read_bytes(c, n);
	if (p == NULL || *o + n > outmax)
		return DNSD_EMALF;
	memcpy(out + *o, p, n);
	*o += n;
	return 0;
}

int
wire_rdata_decompress(struct wire_cur *c, uint16_t type, uint16_t rdlen,
    uint8_t *out, size_t outmax)
{
	size_t end = c->pos + rdlen, o = 0;
	if (c->err != 0 || rdlen > c->len - c->pos)
		return DNSD_EMALF;

	switch (type) {
	case RR_NS: case 3: case 4: case RR_CNAME: case 7: case 8: case 9: case RR_PTR:
	case RR_DNAME:
		if (rd_name(c, out, &o, outmax) == 0)
			return DNSD_EMALF;
		break;
	case RR_SOA:
		if (rd_name(c, out, &o, outmax) == 0 || rd_name(c, out, &o, outmax) == 0 ||
		    rd_fixed(c, out, &o, outmax, 20) != 0)
			return DNSD_EMALF;
		break;
	case RR_MX: case 18: case 21: case 36: /* AFSDB, RT, KX: u16 + name */
		if (rd_fixed(c, out, &o, outmax, 2) != 0 || rd_name(c, out, &o, outmax) == 0)
			return DNSD_EMALF;
		break;
	case 14: /* MINFO */
	case 17: /* RP */
		if (rd_name(c, out, &o, outmax) == 0 || rd_name(c, out, &o, outmax) == 0)
			return DNSD_EMALF;
		break;
	case RR_SRV:
		/* RFC 2782 forbids compressing the target, but senders do it
		 * (dnspython); RFC 3597 section 4 asks receivers to expand it. */
		if (rd_fixed(c, out, &o, outmax, 6) != 0 || rd_name(c, out, &o, outmax) == 0)
			return DNSD_EMALF;
		break;
	default:
		if (rd_fixed(c, out, &o, outmax, rdlen) != 0)
			return DNSD_EMALF;
		break;
	}
	if (c->err != 0 || c->pos != end)
		return DNSD_EMALF;
	return (int)o;
}
