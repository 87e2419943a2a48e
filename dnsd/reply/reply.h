/* reply.h -- the one finishing step of every response: OPT, then TSIG
 *
 * As NSD's query_add_optional, this is the only place that appends the
 * OPT record (RFC 6891, with every EDNS option the server sends) and the
 * TSIG record (RFC 8945) to a response, whoever built its body: the query
 * path, the writer's UPDATE replies, error replies, transfers' first
 * message. A new EDNS option is one change here.
 */
#ifndef DNSD_REPLY_REPLY_H
#define DNSD_REPLY_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keyring_check;

/* The NSID option code (RFC 5001), which wire.h does not name. */
#define REPLY_OPT_NSID 3

/* What the response's OPT record says. */
struct reply_opt {
	bool edns;          /* the request had an OPT, so the response gets one */
	uint16_t payload;   /* our UDP payload size (edns-max) */
	bool do_bit;        /* the request's DO bit, copied (RFC 3225 section 3) */
	bool lease;         /* an Update Lease option (RFC 9664 section 4) */
	bool lease_8;       /* its 8-byte form, with KEY-LEASE */
	uint32_t lease_secs, key_lease;
	const uint8_t *cookie; /* a COOKIE option (RFC 7873): client and
	                        * server cookie; NULL: none */
	uint8_t cookie_len;
	const uint8_t *nsid; /* an NSID option (RFC 5001); NULL: none */
	uint16_t nsid_len;
};

/* Bytes the finishing step may append for `o` and `sig` (NULL: none):
 * reserve them before writing records. */
size_t reply_room(const struct reply_opt *o, const struct keyring_check *sig);

/*
 * Append the OPT record described by `o` (with the upper bits of `rcode`
 * as its extended RCODE) and then, when `sig` asks for it, the TSIG:
 * a reply to a validly signed request is signed with its key; a reply
 * reporting BADTIME is signed, BADKEY and BADSIG carry an empty MAC
 * (RFC 8945 section 5.2); an unsigned or malformed one gets none. The
 * header's lower RCODE bits are the caller's. `msg` holds `len` bytes of
 * capacity `max`. Returns the new length, or 0 if it does not fit.
 */
size_t reply_finish(uint8_t *msg, size_t len, size_t max, uint16_t rcode,
    const struct reply_opt *o, const struct keyring_check *sig, uint32_t now);

#endif
