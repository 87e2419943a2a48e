/* wire.h -- DNS wire format: a bounds-checked reader, a writer with name
 * compression, and helpers on uncompressed wire names.
 *
 * This module is the protocol library: it never includes server code and
 * never allocates. A wire name here is always uncompressed wire form
 * (length-prefixed labels ending in the root label), at most 255 bytes.
 */
#ifndef DNSD_WIRE_WIRE_H
#define DNSD_WIRE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_NAME_MAX 255
#define WIRE_LABEL_MAX 63
#define WIRE_HDR_LEN 12

/* RR types dnsd cares about by name. */
enum {
	RR_A = 1, RR_NS = 2, RR_CNAME = 5, RR_SOA = 6, RR_PTR = 12,
	RR_HINFO = 13, RR_MX = 15, RR_TXT = 16, RR_AAAA = 28, RR_SRV = 33,
	RR_NAPTR = 35, RR_DNAME = 39, RR_OPT = 41, RR_DS = 43, RR_RRSIG = 46,
	RR_NSEC = 47, RR_DNSKEY = 48, RR_TSIG = 250, RR_IXFR = 251,
	RR_AXFR = 252, RR_ANY = 255,
};
enum { CLASS_IN = 1, CLASS_CH = 3, CLASS_NONE = 254, CLASS_ANY = 255 };
enum { OPCODE_QUERY = 0, OPCODE_NOTIFY = 4, OPCODE_UPDATE = 5 };
enum {
	RCODE_NOERROR = 0, RCODE_FORMERR = 1, RCODE_SERVFAIL = 2,
	RCODE_NXDOMAIN = 3, RCODE_NOTIMP = 4, RCODE_REFUSED = 5,
	RCODE_YXDOMAIN = 6, RCODE_YXRRSET = 7, RCODE_NXRRSET = 8,
	RCODE_NOTAUTH = 9, RCODE_NOTZONE = 10,
	RCODE_BADVERS = 16, /* extended RCODE: only in an OPT record (RFC 6891) */
};
/* TSIG errors (BADSIG, BADKEY, BADTIME) are not RCODEs: see tsig.h. */
/* Header flag bits (in the 16-bit flags word). */
#define WIRE_QR 0x8000
#define WIRE_AA 0x0400
#define WIRE_TC 0x0200
#define WIRE_RD 0x0100
#define WIRE_RA 0x0080
#define WIRE_AD 0x0020
#define WIRE_CD 0x0010
#define WIRE_OPCODE(f) (((f) >> 11) & 0xf)
#define WIRE_RCODE(f) ((f) & 0xf)

/* EDNS0 option codes. EDNS_OPT_HEALTH is dnsd's own (from the range for
 * local use, RFC 6891 section 9): in an UPDATE, the health of the
 * instances it registers: state:u8 (0 passing, 1 warning, 2 critical),
 * then up to 255 bytes of text (a check's output). */
enum { EDNS_OPT_UL = 2, EDNS_OPT_COOKIE = 10, EDNS_OPT_HEALTH = 65401 };

/* Big-endian loads and stores on raw memory. */
static inline uint16_t wire_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t wire_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void wire_put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static inline void wire_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (v >> 16) & 0xff; p[2] = (v >> 8) & 0xff; p[3] = v & 0xff;
}

/*
 * RFC 1982 section 3.2 serial number arithmetic (SERIAL_BITS 32): is `a`
 * after `b`? True when a != b and a is less than 2^31 ahead of b, counting
 * around the wrap (so 0 is after 0xffffffff). When a - b is exactly 2^31
 * the RFC leaves the comparison undefined; here it is false both ways:
 * neither serial is after the other, and callers treat the pair as "not
 * newer" (the zone's serial is counted on from its own, an IXFR client
 * gets the whole zone).
 */
static inline bool
wire_serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/*
 * Reader over a whole message. The error is sticky: after the first
 * overrun or malformed name every read returns zero and copies nothing, so
 * callers check `err` once after a run of reads.
 */
struct wire_cur {
	const uint8_t *pkt; /* start of the whole message (for pointers) */
	size_t len;
	size_t pos;
	int err; /* 0 or DNSD_EMALF */
};

/* Start a reader at offset `pos` of a message of `len` bytes. */
void wire_cur_init(struct wire_cur *c, const uint8_t *pkt, size_t len, size_t pos);
uint8_t wire_read_u8(struct wire_cur *c);
uint16_t wire_read_u16(struct wire_cur *c);
uint32_t wire_read_u32(struct wire_cur *c);
/* Return a pointer to the next n bytes and advance; NULL on overrun. */
const uint8_t *wire_read_bytes(struct wire_cur *c, size_t n);
void wire_skip(struct wire_cur *c, size_t n);
/* Bytes left after the cursor (0 after an error). */
size_t wire_remaining(const struct wire_cur *c);

/*
 * Read a possibly compressed name at the cursor into `out` (at least
 * WIRE_NAME_MAX bytes) as uncompressed wire form; returns its length, or 0
 * and sets the sticky error for: labels over 63, names over 255, extended
 * label types, pointers that do not point strictly backwards (this rules
 * out loops), and overruns.
 */
size_t wire_read_name(struct wire_cur *c, uint8_t *out);

/* Skip over a possibly compressed name, validating it as wire_read_name. */
void wire_skip_name(struct wire_cur *c);

/* Length of a validated uncompressed wire name (including the root). */
size_t wire_name_len(const uint8_t *name);
/* Number of labels, not counting the root. */
unsigned wire_name_labels(const uint8_t *name);
/* Lower-case (ASCII) copy of the first `len` bytes of a name (never more);
 * `out` may equal `name`. */
void wire_name_lower(uint8_t *out, const uint8_t *name, size_t len);
/* Case-insensitive equality of two uncompressed names. */
bool wire_name_equal(const uint8_t *a, const uint8_t *b);
/* Pointer to the suffix of `name` after skipping `n` labels. */
const uint8_t *wire_name_skip_labels(const uint8_t *name, unsigned n);
/* True if `name` equals `apex` or lies below it (case-insensitive). */
bool wire_name_is_subdomain(const uint8_t *name, const uint8_t *apex);
/*
 * Validate an uncompressed name stored in [p, p+len): well-formed labels,
 * ends with the root within len, total at most 255. Returns its length or 0.
 */
size_t wire_name_check(const uint8_t *p, size_t len);

/* Presentation form of a wire name, for logs and tools ("a.b."). */
void wire_name_to_str(const uint8_t *name, char *out, size_t outlen);
/* Parse a presentation-form name ("a.b" or "a.b.", "\." and "\DDD"
 * escapes); returns the wire length or 0 if invalid. */
size_t wire_name_from_str(const char *s, uint8_t *out);

/*
 * Writer into a caller-owned buffer, with a small table of earlier name
 * positions for compression (RFC 1035 section 4.1.4). `limit` is the size
 * the message may reach; writes past it set the sticky error DNSD_ESPACE and
 * write nothing. Truncation logic saves `len` before a record and restores
 * it when the record did not fit (wire_buf_rollback).
 */
#define WIRE_COMP_MAX 96
struct wire_buf {
	uint8_t *data;
	size_t len;
	size_t limit;
	int err;
	unsigned ncomp;
	uint16_t comp[WIRE_COMP_MAX]; /* offsets of names usable as pointer targets */
	uint8_t comp_labels[WIRE_COMP_MAX]; /* labels of the name at comp[i] */
};

void wire_buf_init(struct wire_buf *w, uint8_t *data, size_t limit);
void wire_buf_u8(struct wire_buf *w, uint8_t v);
void wire_buf_u16(struct wire_buf *w, uint16_t v);
void wire_buf_u32(struct wire_buf *w, uint32_t v);
void wire_buf_bytes(struct wire_buf *w, const void *p, size_t n);
/* Write a name, compressing against names written before (and recording
 * its labels as targets for later names). */
void wire_buf_name(struct wire_buf *w, const uint8_t *name);
/* Write a name uncompressed but still record it as a compression target. */
void wire_buf_name_nocomp(struct wire_buf *w, const uint8_t *name);
/* Record the name at `off` (already in the buffer) as a compression target. */
void wire_buf_comp_add(struct wire_buf *w, uint16_t off);

/* A saved writer position: length, compression table size, error. */
struct wire_mark { size_t len; unsigned ncomp; };
static inline struct wire_mark wire_buf_mark(const struct wire_buf *w)
{
	struct wire_mark m = { w->len, w->ncomp };
	return m;
}
/* Undo everything written after `m` and clear the error. */
void wire_buf_rollback(struct wire_buf *w, struct wire_mark m);

/*
 * Whether the RDATA of this type contains compressible names at known
 * places (RFC 3597 section 4: only the RFC 1035 types). Used to decompress
 * incoming RDATA; the store keeps RDATA uncompressed, and answers compress
 * the names of NS, CNAME, PTR, MX and SOA only.
 */
bool wire_type_has_names(uint16_t type);

/*
 * Copy RDATA of `type` from a message into `out` (capacity `outmax`),
 * expanding compressed names in the RFC 1035 types (NS, CNAME, SOA, PTR,
 * MX, ...), and validating names of SRV/NAPTR-like types. Returns the
 * uncompressed length or a negative dnsd_err.
 */
int wire_rdata_decompress(struct wire_cur *c, uint16_t type, uint16_t rdlen,
    uint8_t *out, size_t outmax);

#endif
