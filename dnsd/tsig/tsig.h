/* tsig.h -- TSIG (RFC 8945): verify requests, sign responses, including
 * the multi-message form used by AXFR/IXFR.
 *
 * Pure protocol code: no sockets, no clock of its own (time is passed in),
 * never includes server modules. HMAC comes from OpenSSL (libcrypto).
 */
#ifndef DNSD_TSIG_TSIG_H
#define DNSD_TSIG_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#define TSIG_MAC_MAX 64
#define TSIG_SECRET_MAX 256

/* TSIG error values (RFC 8945 section 3). */
enum { TSIG_NOERROR = 0, TSIG_BADSIG = 16, TSIG_BADKEY = 17, TSIG_BADTIME = 18,
       TSIG_BADTRUNC = 22 };

enum tsig_alg {
	TSIG_HMAC_MD5 = 1, TSIG_HMAC_SHA1, TSIG_HMAC_SHA224, TSIG_HMAC_SHA256,
	TSIG_HMAC_SHA384, TSIG_HMAC_SHA512,
};

/* A key: name, algorithm and decoded secret. */
struct tsig_key {
	uint8_t name[WIRE_NAME_MAX]; /* lower-case wire form */
	size_t name_len;
	enum tsig_alg alg;
	uint8_t secret[TSIG_SECRET_MAX];
	size_t secret_len;
};

/*
 * Fill a key from its presentation form: name ("registrar" or
 * "registrar."), algorithm ("hmac-sha256", also BIND's "hmac-md5.sig-alg.reg.int"),
 * and base64 secret. Returns 0 or DNSD_ECONF.
 */
int tsig_key_init(struct tsig_key *k, const char *name, const char *alg,
    const char *secret_b64);

/* Algorithm by name (case-insensitive) or by wire name; 0 if unknown. */
enum tsig_alg tsig_alg_from_str(const char *s);
enum tsig_alg tsig_alg_from_wire(const uint8_t *name);
/* The algorithm's full MAC length in bytes (0 if unknown). */
size_t tsig_alg_mac_len(enum tsig_alg alg);
/* The fudge dnsd signs with, and the most it accepts from a client. */
#define TSIG_FUDGE_MAX 300
/* The algorithm's wire name (e.g. "hmac-sha256." in wire form). */
const uint8_t *tsig_alg_wire(enum tsig_alg alg);

/* A TSIG record as found in a message, copied out of it; both names are
 * lower-cased (their canonical form for the MAC). */
struct tsig_rr {
	size_t offset;          /* where the TSIG RR starts in the message */
	uint8_t key_name[WIRE_NAME_MAX];
	size_t key_name_len;
	uint8_t alg_name[WIRE_NAME_MAX];
	size_t alg_name_len;
	uint64_t time_signed;   /* 48 bits */
	uint16_t fudge;
	uint16_t mac_len;
	uint8_t mac[TSIG_MAC_MAX];
	uint16_t orig_id;
	uint16_t error;
	uint16_t other_len;
	uint8_t other[6];       /* first 6 bytes only (BADTIME's 48-bit time) */
};

/*
 * Find and parse the TSIG RR, which must be the last record of the
 * additional section. Returns 1 if found (rr filled), 0 if the message has
 * no TSIG, or DNSD_EMALF (TSIG not last, class not ANY, TTL not 0, bad
 * RDATA, bytes after the TSIG, or a message that does not parse).
 */
int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *rr);

/*
 * Verify a signed request (RFC 8945 section 5.2) against `key` (NULL if
 * the key name is unknown) at time `now`; `rr` is what tsig_find returned
 * for this message. Returns 0 if valid; otherwise DNSD_ETSIG with
 * *tsig_error set to TSIG_BADKEY, TSIG_BADSIG or TSIG_BADTIME (the RCODE
 * to answer is NOTAUTH). A MAC truncated to no less than max(10, half its
 * length) is accepted (section 5.2.2.1); any other MAC size is BADSIG.
 */
int tsig_verify(const uint8_t *msg, size_t len, const struct tsig_rr *rr,
    const struct tsig_key *key, uint32_t now, uint16_t *tsig_error);

/*
 * Sign a response in place: `buf` holds a complete response of *len bytes
 * (capacity `max`) without TSIG; append a TSIG RR and increment ARCOUNT.
 * `req` is the request's TSIG (its MAC is prepended per RFC 8945 section
 * 5.3); `tsig_error` is TSIG_NOERROR or the error to report. For BADKEY and
 * BADSIG (or a NULL key) the response is unsigned (empty MAC), as the RFC
 * requires; a BADTIME response carries the request's time signed and the
 * server's time `now` in Other Data (section 5.2.3). Returns 0, DNSD_ESPACE
 * (buf and *len unchanged), or a negative errno (bad arguments, libcrypto).
 */
int tsig_sign_response(uint8_t *buf, size_t *len, size_t max, const struct tsig_rr *req,
    const struct tsig_key *key, uint16_t tsig_error, uint32_t now);

/*
 * Multi-message signing for zone transfers (RFC 8945 section 5.3.1). Start
 * with the request's TSIG; each call signs one message, chaining the
 * previous MAC. (Signing every message is allowed and is what dnsd does.)
 */
struct tsig_stream {
	const struct tsig_key *key;
	uint8_t prev_mac[TSIG_MAC_MAX];
	uint16_t prev_mac_len;
	uint16_t orig_id;
	bool first;
};
void tsig_stream_init(struct tsig_stream *s, const struct tsig_rr *req,
    const struct tsig_key *key);
int tsig_stream_sign(struct tsig_stream *s, uint8_t *buf, size_t *len, size_t max,
    uint32_t now);

/*
 * Client side (NOTIFY from dnsd, tools): sign a request in place; the MAC
 * is returned in `mac` (room for TSIG_MAC_MAX bytes) so a signed response
 * can be verified with tsig_verify_response, which returns 0 if the
 * response is signed by `key` over `req_mac`, in time, without error;
 * otherwise DNSD_ETSIG with *tsig_error (BADSIG also for an unsigned
 * response; a server's BADKEY, BADSIG or BADTIME is passed on), or
 * DNSD_EMALF. Signing returns as tsig_sign_response.
 */
int tsig_sign_request(uint8_t *buf, size_t *len, size_t max, const struct tsig_key *key,
    uint32_t now, uint16_t fudge, uint8_t *mac, uint16_t *mac_len);
int tsig_verify_response(const uint8_t *msg, size_t len, const struct tsig_key *key,
    const uint8_t *req_mac, uint16_t req_mac_len, uint32_t now, uint16_t *tsig_error);

#endif
