/* test_wire.c -- the wire reader (malformed names, pointers, the sticky
 * error), RDATA decompression, presentation-form names and the
 * compressing writer, serial arithmetic */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/err.h"
#include "wire/wire.h"

/* Wire form of a presentation name; fails the test if it does not parse. */
static size_t
wname(const char *s, uint8_t *out)
{
	size_t n = wire_name_from_str(s, out);
	assert_true(n > 0);
	return n;
}

/* A message buffer: a 12-byte zero header followed by what tests append. */
struct msg {
	uint8_t b[2048];
	size_t len;
};

static void
msg_init(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	m->len = WIRE_HDR_LEN;
}

static size_t
msg_put(struct msg *m, const void *p, size_t n)
{
	size_t at = m->len;
	memcpy(m->b + m->len, p, n);
	m->len += n;
	return at;
}

/* Append a label of `len` copies of `ch`. */
static void
msg_label(struct msg *m, size_t len, uint8_t ch)
{
	m->b[m->len++] = (uint8_t)len;
	memset(m->b + m->len, ch, len);
	m->len += len;
}

static void
msg_ptr(struct msg *m, size_t to)
{
	m->b[m->len++] = (uint8_t)(0xc0 | (to >> 8));
	m->b[m->len++] = (uint8_t)(to & 0xff);
}

/* Read the name at `pos`; returns its length (0 on error) and checks that
 * a failure sets the sticky error and a success leaves it clear. */
static size_t
read_at(const struct msg *m, size_t pos, uint8_t *out, size_t *endpos)
{
	struct wire_cur c;
	wire_cur_init(&c, m->b, m->len, pos);
	size_t n = wire_read_name(&c, out);
	if (n == 0)
		assert_int_equal(c.err, DNSD_EMALF);
	else
		assert_int_equal(c.err, 0);
	if (endpos != NULL)
		*endpos = c.pos;
	return n;
}

/* ---- the reader ---- */

static void
test_read_integers(void **state)
{
	(void)state;
	const uint8_t b[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde };
	struct wire_cur c;
	wire_cur_init(&c, b, sizeof(b), 0);
	assert_int_equal(wire_read_u8(&c), 0x12);
	assert_int_equal(wire_read_u16(&c), 0x3456);
	assert_int_equal(wire_read_u32(&c), 0x789abcde);
	assert_int_equal(c.err, 0);
	assert_int_equal(wire_remaining(&c), 0);
	assert_int_equal(c.pos, 7);
}

static void
test_truncated_header(void **state)
{
	(void)state;
	/* 11 bytes: the sixth u16 of a header is cut in half. */
	const uint8_t b[11] = { 0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0 };
	struct wire_cur c;
	wire_cur_init(&c, b, sizeof(b), 0);
	uint16_t v[6];
	for (int i = 0; i < 6; i++)
		v[i] = wire_read_u16(&c);
	assert_int_equal(c.err, DNSD_EMALF);
	assert_int_equal(v[0], 0xabcd);
	assert_int_equal(v[5], 0); /* the failed read returns 0 */
	assert_int_equal(c.pos, 10); /* and does not move */
}

static void
test_sticky_error(void **state)
{
	(void)state;
	const uint8_t b[] = { 1, 2, 3, 4, 5, 6, 0 };
	struct wire_cur c;
	uint8_t name[WIRE_NAME_MAX];

	wire_cur_init(&c, b, sizeof(b), 4);
	assert_int_equal(wire_read_u32(&c), 0); /* only 3 bytes left */
	assert_int_equal(c.err, DNSD_EMALF);
	assert_int_equal(c.pos, 4);
	/* Everything after the overrun is a no-op returning zero, even reads
	 * that would fit. */
	assert_int_equal(wire_read_u8(&c), 0);
	assert_int_equal(wire_read_u16(&c), 0);
	assert_null(wire_read_bytes(&c, 1));
	assert_int_equal(wire_read_name(&c, name), 0);
	wire_skip(&c, 1);
	wire_skip_name(&c);
	assert_int_equal(wire_remaining(&c), 0);
	assert_int_equal(c.pos, 4);
	assert_int_equal(c.err, DNSD_EMALF);
}

static void
test_read_bytes_and_skip(void **state)
{
	(void)state;
	const uint8_t b[] = { 1, 2, 3, 4, 5 };
	struct wire_cur c;
	wire_cur_init(&c, b, sizeof(b), 1);
	const uint8_t *p = wire_read_bytes(&c, 2);
	assert_ptr_equal(p, b + 1);
	wire_skip(&c, 1);
	assert_int_equal(wire_remaining(&c), 1);
	wire_skip(&c, 2); /* overrun */
	assert_int_equal(c.err, DNSD_EMALF);
	assert_null(wire_read_bytes(&c, 0));
}

static void
test_cur_init_past_end(void **state)
{
	(void)state;
	const uint8_t b[4] = { 0 };
	struct wire_cur c;
	wire_cur_init(&c, b, sizeof(b), 5);
	assert_int_equal(c.err, DNSD_EMALF);
	assert_int_equal(wire_read_u8(&c), 0);
	wire_cur_init(&c, b, sizeof(b), 4); /* at the end is fine */
	assert_int_equal(c.err, 0);
	assert_int_equal(wire_remaining(&c), 0);
}

static void
test_name_plain(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[WIRE_NAME_MAX], want[WIRE_NAME_MAX];
	size_t end, wl = wname("www.Example.com", want);

	msg_init(&m);
	msg_put(&m, want, wl);
	msg_put(&m, "\x00\x01", 2);
	assert_int_equal(read_at(&m, 12, out, &end), wl);
	assert_memory_equal(out, want, wl); /* case kept */
	assert_int_equal(end, 12 + wl);

	/* The root name alone. */
	msg_init(&m);
	m.b[m.len++] = 0;
	assert_int_equal(read_at(&m, 12, out, &end), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(end, 13);
}

static void
test_name_compressed(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[WIRE_NAME_MAX], want[WIRE_NAME_MAX], tmp[WIRE_NAME_MAX];
	size_t end;

	msg_init(&m);
	size_t n1 = msg_put(&m, tmp, wname("www.example.com", tmp)); /* 12 */
	/* mail + pointer to "example.com" inside the first name (offset 16) */
	size_t n2 = m.len;
	msg_label(&m, 4, 'm');
	memcpy(m.b + n2 + 1, "mail", 4);
	msg_ptr(&m, n1 + 4);
	msg_put(&m, "\xaa\xbb", 2); /* what follows the name */
	/* a pointer to a pointer: "x" + pointer to the "mail" name */
	size_t n3 = m.len;
	msg_label(&m, 1, 'x');
	msg_ptr(&m, n2);
	/* a name that is only a pointer */
	size_t n4 = m.len;
	msg_ptr(&m, n3);

	size_t wl = wname("mail.example.com", want);
	assert_int_equal(read_at(&m, n2, out, &end), wl);
	assert_memory_equal(out, want, wl);
	assert_int_equal(end, n2 + 7); /* the cursor stops after the first pointer */

	wl = wname("x.mail.example.com", want);
	assert_int_equal(read_at(&m, n3, out, &end), wl);
	assert_memory_equal(out, want, wl);
	assert_int_equal(end, n3 + 4);

	assert_int_equal(read_at(&m, n4, out, &end), wl);
	assert_memory_equal(out, want, wl);
	assert_int_equal(end, n4 + 2);

	/* wire_skip_name moves the same way without copying. */
	struct wire_cur c;
	wire_cur_init(&c, m.b, m.len, n2);
	wire_skip_name(&c);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.pos, n2 + 7);
	assert_int_equal(wire_read_u16(&c), 0xaabb);
}

static void
test_name_truncated(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[WIRE_NAME_MAX];

	/* A label longer than the bytes left. */
	msg_init(&m);
	msg_put(&m, "\x05" "ab", 3);
	assert_int_equal(read_at(&m, 12, out, NULL), 0);

	/* Labels but no root label before the end. */
	msg_init(&m);
	msg_put(&m, "\x03" "abc" "\x02" "de", 7);
	assert_int_equal(read_at(&m, 12, out, NULL), 0);

	/* A pointer cut after its first byte. */
	msg_init(&m);
	msg_put(&m, "\x01" "a" "\xc0", 3);
	assert_int_equal(read_at(&m, 12, out, NULL), 0);

	/* Nothing at all. */
	msg_init(&m);
	assert_int_equal(read_at(&m, 12, out, NULL), 0);
}

static void
test_name_extended_labels(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[WIRE_NAME_MAX];

	/* 0x40 (a "label" of 64, the extended type 01) and 0x80 (type 10) */
	const uint8_t bad[] = { 0x40, 0x41, 0x7f, 0x80, 0xbf };
	for (size_t i = 0; i < sizeof(bad); i++) {
		msg_init(&m);
		m.b[m.len++] = 1;
		m.b[m.len++] = 'a';
		m.b[m.len++] = bad[i];
		memset(m.b + m.len, 'x', 200);
		m.len += 200;
		m.b[m.len++] = 0;
		assert_int_equal(read_at(&m, 12, out, NULL), 0);
	}
	/* 63 is the longest label there is. */
	msg_init(&m);
	msg_label(&m, 63, 'y');
	m.b[m.len++] = 0;
	assert_int_equal(read_at(&m, 12, out, NULL), 65);
}

static void
test_name_too_long(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[WIRE_NAME_MAX + 16];

	/* Uncompressed: 3 x 63 + 61 is exactly 255 bytes with the root... */
	msg_init(&m);
	for (int i = 0; i < 3; i++)
		msg_label(&m, 63, 'a');
	msg_label(&m, 61, 'b');
	m.b[m.len++] = 0;
	assert_int_equal(read_at(&m, 12, out, NULL), 255);
	assert_int_equal(wire_name_len(out), 255);

	/* ...and one byte more is too long. */
	msg_init(&m);
	for (int i = 0; i < 3; i++)
		msg_label(&m, 63, 'a');
	msg_label(&m, 62, 'b');
	m.b[m.len++] = 0;
	assert_int_equal(read_at(&m, 12, out, NULL), 0);

	/* Compressed: each part is short, the whole is not. A 193-byte base
	 * name, then names that point at it. */
	msg_init(&m);
	for (int i = 0; i < 3; i++)
		msg_label(&m, 63, 'c');
	m.b[m.len++] = 0;
	size_t ok = m.len;
	msg_label(&m, 61, 'd'); /* 62 + 193 = 255 */
	msg_ptr(&m, 12);
	size_t over = m.len;
	msg_label(&m, 62, 'e'); /* 63 + 193 = 256 */
	msg_ptr(&m, 12);
	size_t way_over = m.len;
	msg_label(&m, 63, 'f');
	msg_label(&m, 63, 'f');
	msg_ptr(&m, 12);
	assert_int_equal(read_at(&m, ok, out, NULL), 255);
	assert_int_equal(read_at(&m, over, out, NULL), 0);
	assert_int_equal(read_at(&m, way_over, out, NULL), 0);

	/* Many pointer hops adding one label each also hit the limit. */
	msg_init(&m);
	m.b[m.len++] = 0;
	size_t prev = 12;
	for (int i = 0; i < 130; i++) {
		size_t here = m.len;
		msg_label(&m, 1, 'h');
		msg_ptr(&m, prev);
		prev = here;
	}
	assert_int_equal(read_at(&m, prev, out, NULL), 0);
}

static void
test_pointer_loops(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[WIRE_NAME_MAX];

	/* A pointer to itself. */
	msg_init(&m);
	msg_ptr(&m, 12);
	assert_int_equal(read_at(&m, 12, out, NULL), 0);

	/* A label and then a pointer back to that label. */
	msg_init(&m);
	msg_label(&m, 1, 'a');
	msg_ptr(&m, 12);
	assert_int_equal(read_at(&m, 12, out, NULL), 0);

	/* Two pointers pointing at each other, entered from either side. */
	msg_init(&m);
	msg_ptr(&m, 14);
	msg_ptr(&m, 12);
	assert_int_equal(read_at(&m, 12, out, NULL), 0);
	assert_int_equal(read_at(&m, 14, out, NULL), 0);

	/* A longer cycle through labels: 12 "a" -> 17 "b" -> 12. */
	msg_init(&m);
	msg_label(&m, 1, 'a');
	msg_ptr(&m, 16);
	msg_label(&m, 1, 'b'); /* at 16 */
	msg_ptr(&m, 12);
	assert_int_equal(read_at(&m, 16, out, NULL), 0);
	assert_int_equal(read_at(&m, 12, out, NULL), 0);
}

static void
test_pointer_forward(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[WIRE_NAME_MAX];

	/* "a" + pointer to a perfectly good name further on. */
	msg_init(&m);
	msg_label(&m, 1, 'a');
	msg_ptr(&m, 16);
	msg_label(&m, 1, 'b'); /* at 16 */
	m.b[m.len++] = 0;
	assert_int_equal(read_at(&m, 12, out, NULL), 0);
	assert_int_equal(read_at(&m, 16, out, NULL), 3);

	/* A pointer past the end of the message. */
	msg_init(&m);
	msg_ptr(&m, 0x3fff);
	assert_int_equal(read_at(&m, 12, out, NULL), 0);
}

static void
test_pointer_into_middle(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[WIRE_NAME_MAX];

	/* Into the middle of the name that holds the pointer. */
	msg_init(&m);
	msg_put(&m, "\x03" "abc", 4);
	msg_ptr(&m, 13);
	assert_int_equal(read_at(&m, 12, out, NULL), 0);

	/* Into the middle of an earlier label: 'a' (0x61) reads as an
	 * extended label type. */
	msg_init(&m);
	msg_put(&m, "\x03" "abc" "\x00", 5);
	size_t at = m.len;
	msg_ptr(&m, 13);
	assert_int_equal(read_at(&m, at, out, NULL), 0);

	/* Into an earlier label whose byte reads as a length running past the
	 * end of the message. */
	msg_init(&m);
	msg_put(&m, "\x03" "\x30" "bc" "\x00", 5);
	at = m.len;
	msg_ptr(&m, 13);
	assert_int_equal(read_at(&m, at, out, NULL), 0);

	/* Into the last byte of a pointer (between its two bytes). */
	msg_init(&m);
	msg_put(&m, "\x00", 1);
	msg_put(&m, "\x01" "a", 2);
	msg_ptr(&m, 12); /* at 15 */
	at = m.len;
	msg_ptr(&m, 16); /* the 0x0c byte: a label of 12 that overruns */
	assert_int_equal(read_at(&m, at, out, NULL), 0);
}

/* ---- RDATA decompression ---- */

static void
test_rdata_decompress_names(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[512], tmp[WIRE_NAME_MAX], want[512];
	struct wire_cur c;
	int n;

	msg_init(&m);
	msg_put(&m, tmp, wname("example.com", tmp)); /* 12 */
	/* NS: "ns1" + pointer */
	size_t ns = m.len;
	msg_put(&m, "\x03" "ns1", 4);
	msg_ptr(&m, 12);
	wire_cur_init(&c, m.b, m.len, ns);
	n = wire_rdata_decompress(&c, RR_NS, 6, out, sizeof(out));
	size_t wl = wname("ns1.example.com", want);
	assert_int_equal(n, (int)wl);
	assert_memory_equal(out, want, wl);
	assert_int_equal(c.pos, ns + 6);

	/* MX: preference + a bare pointer */
	size_t mx = m.len;
	msg_put(&m, "\x00\x0a", 2);
	msg_ptr(&m, ns);
	wire_cur_init(&c, m.b, m.len, mx);
	n = wire_rdata_decompress(&c, RR_MX, 4, out, sizeof(out));
	assert_int_equal(n, (int)(2 + wl));
	assert_memory_equal(out, "\x00\x0a", 2);
	assert_memory_equal(out + 2, want, wl);

	/* SOA: two compressed names and 20 fixed bytes */
	size_t soa = m.len;
	msg_ptr(&m, ns);
	msg_put(&m, "\x0a" "hostmaster", 11);
	msg_ptr(&m, 12);
	uint8_t fixed[20];
	for (int i = 0; i < 20; i++)
		fixed[i] = (uint8_t)(i + 1);
	msg_put(&m, fixed, 20);
	wire_cur_init(&c, m.b, m.len, soa);
	n = wire_rdata_decompress(&c, RR_SOA, (uint16_t)(m.len - soa), out, sizeof(out));
	size_t rl = wname("hostmaster.example.com", tmp);
	assert_int_equal(n, (int)(wl + rl + 20));
	assert_memory_equal(out, want, wl);
	assert_memory_equal(out + wl, tmp, rl);
	assert_memory_equal(out + wl + rl, fixed, 20);
	assert_int_equal(c.pos, m.len);
}

static void
test_rdata_bad_rdlength(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[512], tmp[WIRE_NAME_MAX];
	struct wire_cur c;

	msg_init(&m);
	msg_put(&m, tmp, wname("example.com", tmp)); /* 12 */
	size_t ns = m.len;
	msg_put(&m, "\x03" "ns1", 4);
	msg_ptr(&m, 12); /* 6 bytes of NS RDATA */
	msg_put(&m, "\x00\x00\x00\x00", 4);

	/* RDLENGTH shorter than the name in it. */
	wire_cur_init(&c, m.b, m.len, ns);
	assert_int_equal(wire_rdata_decompress(&c, RR_NS, 5, out, sizeof(out)), DNSD_EMALF);
	/* RDLENGTH longer than the name: junk after it. */
	wire_cur_init(&c, m.b, m.len, ns);
	assert_int_equal(wire_rdata_decompress(&c, RR_NS, 8, out, sizeof(out)), DNSD_EMALF);
	/* RDLENGTH past the end of the message. */
	wire_cur_init(&c, m.b, m.len, ns);
	assert_int_equal(wire_rdata_decompress(&c, RR_A, 11, out, sizeof(out)), DNSD_EMALF);
	wire_cur_init(&c, m.b, m.len, ns);
	assert_int_equal(wire_rdata_decompress(&c, 65280, 0xffff, out, sizeof(out)), DNSD_EMALF);
	/* SOA too short for its 20 fixed bytes. */
	wire_cur_init(&c, m.b, m.len, ns);
	assert_int_equal(wire_rdata_decompress(&c, RR_SOA, 10, out, sizeof(out)), DNSD_EMALF);
	/* MX shorter than its preference. */
	wire_cur_init(&c, m.b, m.len, ns);
	assert_int_equal(wire_rdata_decompress(&c, RR_MX, 1, out, sizeof(out)), DNSD_EMALF);
	/* The output buffer is too small for the expanded name. */
	wire_cur_init(&c, m.b, m.len, ns);
	assert_int_equal(wire_rdata_decompress(&c, RR_NS, 6, out, 10), DNSD_EMALF);
	/* Opaque data is copied as is, exactly RDLENGTH bytes. */
	wire_cur_init(&c, m.b, m.len, ns);
	assert_int_equal(wire_rdata_decompress(&c, 65280, 8, out, sizeof(out)), 8);
	assert_memory_equal(out, m.b + ns, 8);
	assert_int_equal(c.pos, ns + 8);
	/* A cursor already in error. */
	wire_cur_init(&c, m.b, m.len, ns);
	wire_skip(&c, 4096);
	assert_int_equal(wire_rdata_decompress(&c, RR_A, 4, out, sizeof(out)), DNSD_EMALF);
}

static void
test_rdata_srv(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[512], tmp[WIRE_NAME_MAX];
	struct wire_cur c;

	msg_init(&m);
	msg_put(&m, tmp, wname("example.com", tmp)); /* 12 */
	size_t srv = m.len;
	msg_put(&m, "\x00\x01\x00\x02\x1f\x90", 6);
	size_t tl = wname("web.example.com", tmp);
	msg_put(&m, tmp, tl);
	wire_cur_init(&c, m.b, m.len, srv);
	assert_int_equal(wire_rdata_decompress(&c, RR_SRV, (uint16_t)(6 + tl), out, sizeof(out)),
	    (int)(6 + tl));
	assert_memory_equal(out + 6, tmp, tl);

	/* A compressed target (which RFC 2782 forbids senders to write) is
	 * expanded, as RFC 3597 section 4 asks of receivers. */
	size_t csrv = m.len;
	msg_put(&m, "\x00\x01\x00\x02\x1f\x90", 6);
	msg_put(&m, "\x03" "web", 4);
	msg_ptr(&m, 12);
	wire_cur_init(&c, m.b, m.len, csrv);
	assert_int_equal(wire_rdata_decompress(&c, RR_SRV, 12, out, sizeof(out)), (int)(6 + tl));
	assert_memory_equal(out + 6, tmp, tl);

	/* The target runs past RDLENGTH. */
	wire_cur_init(&c, m.b, m.len, srv);
	assert_int_equal(wire_rdata_decompress(&c, RR_SRV, (uint16_t)(5 + tl), out, sizeof(out)),
	    DNSD_EMALF);
	/* RDLENGTH shorter than the fixed part. */
	wire_cur_init(&c, m.b, m.len, srv);
	assert_int_equal(wire_rdata_decompress(&c, RR_SRV, 4, out, sizeof(out)), DNSD_EMALF);
}

static void
test_rdata_bad_name(void **state)
{
	(void)state;
	struct msg m;
	uint8_t out[512];
	struct wire_cur c;

	/* A CNAME whose name points at itself. */
	msg_init(&m);
	msg_ptr(&m, 12);
	wire_cur_init(&c, m.b, m.len, 12);
	assert_int_equal(wire_rdata_decompress(&c, RR_CNAME, 2, out, sizeof(out)), DNSD_EMALF);
	/* A PTR with an extended label type. */
	msg_init(&m);
	msg_put(&m, "\x41" "a", 2);
	wire_cur_init(&c, m.b, m.len, 12);
	assert_int_equal(wire_rdata_decompress(&c, RR_PTR, 2, out, sizeof(out)), DNSD_EMALF);
}

static void
test_type_has_names(void **state)
{
	(void)state;
	assert_true(wire_type_has_names(RR_NS));
	assert_true(wire_type_has_names(RR_CNAME));
	assert_true(wire_type_has_names(RR_SOA));
	assert_true(wire_type_has_names(RR_PTR));
	assert_true(wire_type_has_names(RR_MX));
	assert_false(wire_type_has_names(RR_SRV)); /* RFC 3597 section 4 */
	assert_false(wire_type_has_names(RR_A));
	assert_false(wire_type_has_names(RR_TXT));
	assert_false(wire_type_has_names(RR_NAPTR));
}

/* ---- name helpers ---- */

static void
test_name_helpers(void **state)
{
	(void)state;
	uint8_t a[WIRE_NAME_MAX], b[WIRE_NAME_MAX], c[WIRE_NAME_MAX];
	size_t al = wname("Www.Example.COM", a);
	wname("www.example.com.", b);
	wname("xexample.com", c);

	assert_int_equal(wire_name_len(a), al);
	assert_int_equal(wire_name_labels(a), 3);
	assert_int_equal(wire_name_labels((const uint8_t *)""), 0);
	assert_true(wire_name_equal(a, b));
	assert_false(wire_name_equal(a, c));
	uint8_t apex[WIRE_NAME_MAX];
	wname("example.com", apex);
	assert_true(wire_name_is_subdomain(a, apex));
	assert_true(wire_name_is_subdomain(apex, apex));
	assert_false(wire_name_is_subdomain(c, apex)); /* not at a label boundary */
	assert_false(wire_name_is_subdomain(apex, a));
	assert_true(wire_name_is_subdomain(apex, (const uint8_t *)""));
	assert_true(wire_name_equal(wire_name_skip_labels(a, 1), apex));
	assert_int_equal(*wire_name_skip_labels(a, 9), 0);

	uint8_t low[WIRE_NAME_MAX];
	wire_name_lower(low, a, al);
	assert_memory_equal(low, b, al);
	wire_name_lower(a, a, al); /* in place */
	assert_memory_equal(a, b, al);
	/* Only ASCII letters change; label lengths never do. */
	uint8_t odd[] = { 3, 'A', 0xc4, '[', 0 };
	wire_name_lower(odd, odd, sizeof(odd));
	assert_memory_equal(odd, "\x03" "a\xc4[", 5);
	/* A prefix of `len` bytes is all that is written, even when it ends
	 * inside a label (a 3-byte buffer, guarded, for a 6-letter label). */
	uint8_t pre[5] = { 0, 0, 0, 0xee, 0xee };
	wire_name_lower(pre, (const uint8_t *)"\x06" "ABCDEF" "\x00", 3);
	assert_memory_equal(pre, "\x06" "ab" "\xee\xee", 5);
}

static void
test_name_check(void **state)
{
	(void)state;
	uint8_t n[300];
	size_t l = wname("a.bc", n);
	assert_int_equal(wire_name_check(n, l), l);
	assert_int_equal(wire_name_check(n, l + 10), l); /* stops at the root */
	assert_int_equal(wire_name_check(n, l - 1), 0);  /* no root within len */
	assert_int_equal(wire_name_check(n, 0), 0);
	const uint8_t ptr[] = { 1, 'a', 0xc0, 0x0c };
	assert_int_equal(wire_name_check(ptr, sizeof(ptr)), 0);
	const uint8_t ext[] = { 0x40, 'a', 0 };
	assert_int_equal(wire_name_check(ext, sizeof(ext)), 0);
	/* 256 bytes is one too many. */
	memset(n, 0, sizeof(n));
	size_t o = 0;
	for (int i = 0; i < 3; i++, o += 64) {
		n[o] = 63;
		memset(n + o + 1, 'a', 63);
	}
	n[o] = 62;
	memset(n + o + 1, 'a', 62);
	n[o + 63] = 0;
	assert_int_equal(wire_name_check(n, sizeof(n)), 0);
	n[o] = 61;
	n[o + 62] = 0;
	assert_int_equal(wire_name_check(n, sizeof(n)), 255);
}

static void
test_name_from_str(void **state)
{
	(void)state;
	uint8_t n[WIRE_NAME_MAX + 8];

	assert_int_equal(wire_name_from_str(".", n), 1);
	assert_int_equal(n[0], 0);
	assert_int_equal(wire_name_from_str("a.bc", n), 6);
	assert_memory_equal(n, "\x01" "a" "\x02" "bc", 6);
	assert_int_equal(wire_name_from_str("a.bc.", n), 6);
	assert_memory_equal(n, "\x01" "a" "\x02" "bc", 6);
	/* Escapes: "\." is a dot inside a label, \DDD a decimal byte. */
	assert_int_equal(wire_name_from_str("a\\.b.c", n), 7);
	assert_memory_equal(n, "\x03" "a.b" "\x01" "c", 7);
	assert_int_equal(wire_name_from_str("\\065\\000\\255.x", n), 7);
	assert_memory_equal(n, "\x03" "A\x00\xff" "\x01" "x", 7);
	assert_int_equal(wire_name_from_str("\\\\", n), 3);
	assert_memory_equal(n, "\x01\\", 3);

	/* Invalid. */
	assert_int_equal(wire_name_from_str("", n), 0);
	assert_int_equal(wire_name_from_str("..", n), 0);
	assert_int_equal(wire_name_from_str(".a", n), 0);
	assert_int_equal(wire_name_from_str("a..b", n), 0);
	assert_int_equal(wire_name_from_str("a\\256", n), 0);
	assert_int_equal(wire_name_from_str("a\\", n), 0);

	/* Labels up to 63, names up to 255 bytes. */
	char s[600];
	memset(s, 'x', 63);
	s[63] = '\0';
	assert_int_equal(wire_name_from_str(s, n), 65);
	memset(s, 'x', 64);
	s[64] = '\0';
	assert_int_equal(wire_name_from_str(s, n), 0);
	/* 3 x 63 + 61 = 255 bytes in wire form. */
	size_t o = 0;
	for (int i = 0; i < 3; i++) {
		memset(s + o, 'y', 63);
		o += 63;
		s[o++] = '.';
	}
	memset(s + o, 'z', 61);
	s[o + 61] = '\0';
	assert_int_equal(wire_name_from_str(s, n), 255);
	s[o + 61] = '.';
	s[o + 62] = '\0';
	assert_int_equal(wire_name_from_str(s, n), 255);
	s[o + 61] = 'z';
	s[o + 62] = '\0';
	assert_int_equal(wire_name_from_str(s, n), 0);
	/* A dot at the limit followed by more labels. */
	memset(s + o, 'z', 60);
	strcpy(s + o + 60, ".q");
	assert_int_equal(wire_name_from_str(s, n), 0);
}

static void
test_name_to_str(void **state)
{
	(void)state;
	uint8_t n[WIRE_NAME_MAX];
	char s[1100];

	wire_name_to_str((const uint8_t *)"", s, sizeof(s));
	assert_string_equal(s, ".");
	wname("Www.example.com", n);
	wire_name_to_str(n, s, sizeof(s));
	assert_string_equal(s, "Www.example.com.");
	const uint8_t odd[] = { 5, 'a', '.', ' ', 0x00, '\\', 3, 0xff, ';', '"', 0 };
	wire_name_to_str(odd, s, sizeof(s));
	assert_string_equal(s, "a\\.\\032\\000\\\\.\\255\\;\\\".");
	/* A short buffer truncates at a whole character, NUL-terminated. */
	memset(s, '#', sizeof(s));
	wire_name_to_str(n, s, 6);
	assert_true(strlen(s) < 6);
	assert_memory_equal(s, "Www.", strlen(s) < 4 ? strlen(s) : 4);
	wire_name_to_str(odd, s, 4);
	assert_true(strlen(s) < 4);
}

static void
test_name_str_round_trip(void **state)
{
	(void)state;
	/* Every byte value, 50 to a label, survives to_str and from_str. */
	uint8_t n[WIRE_NAME_MAX], back[WIRE_NAME_MAX];
	char s[1100];
	for (int start = 0; start < 256; start += 150) {
		size_t o = 0;
		int v = start;
		for (int l = 0; l < 3 && v < 256; l++) {
			size_t lab = o++;
			n[lab] = 0;
			for (int i = 0; i < 50 && v < 256; i++, v++) {
				n[o++] = (uint8_t)v;
				n[lab]++;
			}
		}
		n[o++] = 0;
		wire_name_to_str(n, s, sizeof(s));
		size_t bl = wire_name_from_str(s, back);
		assert_int_equal(bl, o);
		assert_memory_equal(back, n, o);
	}
	const char *names[] = { "a\\.b.c.", "\\000.x.", "sp\\032ace.", "_http._tcp.svc.example.test." };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t l = wire_name_from_str(names[i], n);
		assert_true(l > 0);
		wire_name_to_str(n, s, sizeof(s));
		assert_string_equal(s, names[i]);
	}
}

/* ---- the writer ---- */

static void
test_buf_basic(void **state)
{
	(void)state;
	uint8_t b[16];
	struct wire_buf w;
	wire_buf_init(&w, b, sizeof(b));
	wire_buf_u8(&w, 0x01);
	wire_buf_u16(&w, 0x0203);
	wire_buf_u32(&w, 0x04050607);
	wire_buf_bytes(&w, "\x08\x09", 2);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 9);
	assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9);
}

static void
test_buf_space(void **state)
{
	(void)state;
	uint8_t b[32];
	struct wire_buf w;

	memset(b, 0xee, sizeof(b));
	wire_buf_init(&w, b, 8);
	wire_buf_u32(&w, 1);
	wire_buf_u32(&w, 2); /* exactly at the limit */
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 8);
	wire_buf_u8(&w, 3);
	assert_int_equal(w.err, DNSD_ESPACE);
	assert_int_equal(w.len, 8);
	assert_int_equal(b[8], 0xee); /* nothing written past the limit */

	/* Sticky: nothing else is written either. */
	memset(b, 0xee, sizeof(b));
	wire_buf_init(&w, b, 8);
	wire_buf_u16(&w, 1);
	wire_buf_bytes(&w, "123456789", 7); /* does not fit */
	assert_int_equal(w.err, DNSD_ESPACE);
	wire_buf_u8(&w, 9); /* would fit, but the error is sticky */
	wire_buf_u16(&w, 9);
	wire_buf_u32(&w, 9);
	assert_int_equal(w.len, 2);
	assert_int_equal(b[2], 0xee);

	/* A name that does not fit writes nothing and leaves no targets. */
	uint8_t n[WIRE_NAME_MAX];
	wname("www.example.com", n);
	wire_buf_init(&w, b, 10);
	wire_buf_name(&w, n);
	assert_int_equal(w.err, DNSD_ESPACE);
	assert_int_equal(w.ncomp, 0);

	/* Rollback clears the error. */
	wire_buf_init(&w, b, 8);
	struct wire_mark m = wire_buf_mark(&w);
	wire_buf_bytes(&w, "0123456789", 10);
	assert_int_equal(w.err, DNSD_ESPACE);
	wire_buf_rollback(&w, m);
	assert_int_equal(w.err, 0);
	wire_buf_u32(&w, 0x11223344);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 4);
}

static void
test_buf_compression(void **state)
{
	(void)state;
	uint8_t b[512], n1[WIRE_NAME_MAX], n2[WIRE_NAME_MAX], n3[WIRE_NAME_MAX];
	struct wire_buf w;
	size_t l1 = wname("www.example.com", n1);
	wname("mail.example.com", n2);
	wname("WWW.EXAMPLE.COM", n3);

	wire_buf_init(&w, b, sizeof(b));
	wire_buf_bytes(&w, "0123456789ab", 12); /* a header */
	wire_buf_name(&w, n1);
	assert_int_equal(w.len, 12 + l1);
	assert_memory_equal(b + 12, n1, l1); /* first time in full */

	/* The same name again: one pointer to offset 12. */
	size_t at = w.len;
	wire_buf_name(&w, n1);
	assert_int_equal(w.len, at + 2);
	assert_memory_equal(b + at, "\xc0\x0c", 2);

	/* Case-insensitive match. */
	at = w.len;
	wire_buf_name(&w, n3);
	assert_int_equal(w.len, at + 2);
	assert_memory_equal(b + at, "\xc0\x0c", 2);

	/* A shared suffix: "mail" + pointer to "example.com" at 16. */
	at = w.len;
	wire_buf_name(&w, n2);
	assert_int_equal(w.len, at + 7);
	assert_memory_equal(b + at, "\x04" "mail" "\xc0\x10", 7);

	/* The new label is a target too: "x.mail.example.com" -> x + ptr. */
	uint8_t n4[WIRE_NAME_MAX];
	wname("x.mail.example.com", n4);
	size_t mail_at = at;
	at = w.len;
	wire_buf_name(&w, n4);
	assert_int_equal(w.len, at + 4);
	assert_int_equal(b[at], 1);
	assert_int_equal(b[at + 2], 0xc0);
	assert_int_equal(b[at + 3], mail_at);

	/* The root name is one zero byte, never a pointer. */
	at = w.len;
	wire_buf_name(&w, (const uint8_t *)"");
	assert_int_equal(w.len, at + 1);
	assert_int_equal(b[at], 0);

	/* What we wrote reads back as the same names. */
	struct wire_cur c;
	uint8_t out[WIRE_NAME_MAX];
	wire_cur_init(&c, b, w.len, 12);
	for (int i = 0; i < 5; i++) {
		size_t n = wire_read_name(&c, out);
		const uint8_t *want = i == 0 || i == 1 ? n1 : i == 2 ? n3 : i == 3 ? n2 : n4;
		assert_int_equal(n, wire_name_len(want));
		assert_true(wire_name_equal(out, want));
	}
	assert_int_equal(c.err, 0);
}

static void
test_buf_nocomp(void **state)
{
	(void)state;
	uint8_t b[512], n1[WIRE_NAME_MAX], n2[WIRE_NAME_MAX];
	struct wire_buf w;
	size_t l1 = wname("srv.example.com", n1);
	wname("x.srv.example.com", n2);

	wire_buf_init(&w, b, sizeof(b));
	wire_buf_bytes(&w, "0123456789ab", 12);
	wire_buf_name(&w, n1);
	size_t at = w.len;
	wire_buf_name_nocomp(&w, n1); /* written in full despite the earlier copy */
	assert_int_equal(w.len, at + l1);
	assert_memory_equal(b + at, n1, l1);
	/* ...and still usable as a target (either copy will do). */
	size_t at2 = w.len;
	wire_buf_name(&w, n2);
	assert_int_equal(w.len, at2 + 4);
	assert_int_equal(b[at2 + 2] & 0xc0, 0xc0);
	size_t target = (size_t)(b[at2 + 2] & 0x3f) << 8 | b[at2 + 3];
	assert_true(target == 12 || target == at);

	/* A name written only with nocomp is a target for later names. */
	wire_buf_init(&w, b, sizeof(b));
	wire_buf_bytes(&w, "0123456789ab", 12);
	wire_buf_name_nocomp(&w, n1);
	at = w.len;
	wire_buf_name(&w, n1);
	assert_int_equal(w.len, at + 2);
	assert_memory_equal(b + at, "\xc0\x0c", 2);
}

static void
test_buf_rollback(void **state)
{
	(void)state;
	uint8_t b[512], n1[WIRE_NAME_MAX], n2[WIRE_NAME_MAX];
	struct wire_buf w;
	size_t l2 = wname("other.test", n2);
	wname("www.example.com", n1);

	wire_buf_init(&w, b, sizeof(b));
	wire_buf_bytes(&w, "0123456789ab", 12);
	struct wire_mark m = wire_buf_mark(&w);
	wire_buf_name(&w, n2);
	wire_buf_u32(&w, 7);
	assert_true(w.ncomp > 0);
	wire_buf_rollback(&w, m);
	assert_int_equal(w.len, 12);
	assert_int_equal(w.ncomp, 0);
	/* Overwrite the rolled-back area with something else, then write the
	 * rolled-back name again: it must not point into the stale bytes. */
	wire_buf_name(&w, n1);
	size_t at = w.len;
	wire_buf_name(&w, n2);
	assert_int_equal(w.len, at + l2);
	assert_memory_equal(b + at, n2, l2);
}

static void
test_buf_comp_limits(void **state)
{
	(void)state;
	/* Offsets above 0x3fff cannot be pointer targets. */
	static uint8_t big[20000], zero[0x4000];
	uint8_t n[WIRE_NAME_MAX];
	size_t l = wname("far.example", n);
	struct wire_buf w;
	wire_buf_init(&w, big, sizeof(big));
	wire_buf_bytes(&w, zero, sizeof(zero));
	wire_buf_name(&w, n);
	size_t at = w.len;
	wire_buf_name(&w, n);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, at + l); /* in full: no pointer could reach it */
	assert_memory_equal(big + at, n, l);

	/* More names than the table holds: no overflow, later ones in full. */
	uint8_t b[8192];
	wire_buf_init(&w, b, sizeof(b));
	char s[32];
	for (int i = 0; i < WIRE_COMP_MAX + 20; i++) {
		snprintf(s, sizeof(s), "n%d", i);
		wname(s, n);
		wire_buf_name(&w, n);
	}
	assert_int_equal(w.err, 0);
	assert_int_equal(w.ncomp, WIRE_COMP_MAX);
	/* Adding past the end is ignored, too. */
	wire_buf_comp_add(&w, 1);
	assert_int_equal(w.ncomp, WIRE_COMP_MAX);
}

/* ---- RFC 1982 serial arithmetic ---- */

static void
test_serial_gt(void **state)
{
	(void)state;
	/* Plain order, and never after itself. */
	assert_true(wire_serial_gt(2, 1));
	assert_false(wire_serial_gt(1, 2));
	assert_false(wire_serial_gt(7, 7));
	assert_false(wire_serial_gt(0, 0));
	assert_false(wire_serial_gt(0xffffffffu, 0xffffffffu));
	/* Around the wrap: 0 comes after 0xffffffff, 5 after 0xfffffff0. */
	assert_true(wire_serial_gt(0, 0xffffffffu));
	assert_false(wire_serial_gt(0xffffffffu, 0));
	assert_true(wire_serial_gt(5, 0xfffffff0u));
	assert_false(wire_serial_gt(0xfffffff0u, 5));
	/* The largest step forward is 2^31 - 1 ... */
	assert_true(wire_serial_gt(0x7fffffffu, 0));
	assert_false(wire_serial_gt(0, 0x7fffffffu));
	assert_true(wire_serial_gt(0x7fffffffu + 100u, 100));
	/* ... one more and the comparison is undefined (RFC 1982 section
	 * 3.2): neither is after the other ... */
	assert_false(wire_serial_gt(0x80000000u, 0));
	assert_false(wire_serial_gt(0, 0x80000000u));
	assert_false(wire_serial_gt(100, 0x80000000u + 100u));
	assert_false(wire_serial_gt(0x80000000u + 100u, 100));
	/* ... and beyond it the other one is ahead. */
	assert_false(wire_serial_gt(0x80000001u, 0));
	assert_true(wire_serial_gt(0, 0x80000001u));
	/* Two steps of the largest size bring a serial round to 2 before
	 * where it started: it now compares as older than its start. */
	uint32_t s = 0xfffffff0u, mid = s + 0x7fffffffu, end = mid + 0x7fffffffu;
	assert_true(wire_serial_gt(mid, s));
	assert_true(wire_serial_gt(end, mid));
	assert_false(wire_serial_gt(end, s));
	assert_true(wire_serial_gt(s, end));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_integers),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_sticky_error),
		cmocka_unit_test(test_read_bytes_and_skip),
		cmocka_unit_test(test_cur_init_past_end),
		cmocka_unit_test(test_name_plain),
		cmocka_unit_test(test_name_compressed),
		cmocka_unit_test(test_name_truncated),
		cmocka_unit_test(test_name_extended_labels),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_pointer_loops),
		cmocka_unit_test(test_pointer_forward),
		cmocka_unit_test(test_pointer_into_middle),
		cmocka_unit_test(test_rdata_decompress_names),
		cmocka_unit_test(test_rdata_bad_rdlength),
		cmocka_unit_test(test_rdata_srv),
		cmocka_unit_test(test_rdata_bad_name),
		cmocka_unit_test(test_type_has_names),
		cmocka_unit_test(test_name_helpers),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_name_from_str),
		cmocka_unit_test(test_name_to_str),
		cmocka_unit_test(test_name_str_round_trip),
		cmocka_unit_test(test_buf_basic),
		cmocka_unit_test(test_buf_space),
		cmocka_unit_test(test_buf_compression),
		cmocka_unit_test(test_buf_nocomp),
		cmocka_unit_test(test_buf_rollback),
		cmocka_unit_test(test_buf_comp_limits),
		cmocka_unit_test(test_serial_gt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
