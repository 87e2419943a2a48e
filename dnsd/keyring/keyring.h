/* keyring.h -- the TSIG keys of one configuration: lookup, verify, sign
 *
 * The one owner of decoded TSIG keys. Every request that may carry a TSIG
 * (query, UPDATE, transfer, NOTIFY sent by us) goes through keyring_verify
 * or keyring_find, and every signed reply through reply_finish() with the
 * keyring_check that verified its request, so the rules of RFC 8945 live
 * in one place. A keyring is immutable once built (a reload builds a new
 * one), but for one thing: each key remembers the MACs of the requests it
 * recently verified, to refuse a replay, behind a lock of its own.
 *
 * Policy on top of RFC 8945's checks (keyring_verify):
 *  - a MAC shorter than the algorithm's full length is refused with
 *    BADTRUNC (section 5.2.4) unless the key says allow-truncation yes
 *    (then section 5.2.2.1's floor, half and at least 10 bytes, applies);
 *  - the fudge a client sends counts for at most TSIG_FUDGE_MAX (300 s,
 *    our own): a client cannot widen the window to hours (BADTIME);
 *  - an UPDATE or a transfer request whose MAC the key verified before,
 *    within the window, is a replay and is refused (keyring_replayed).
 *    Each key keeps the last KEYRING_REPLAY_SLOTS MACs; when that is full
 *    the oldest is forgotten and every request signed no later than it is
 *    refused too, so memory stays bounded and no replay slips through.
 *    Queries are not checked: a replayed query learns nothing its
 *    original's answer did not show, and a client that retransmits a
 *    signed query over UDP sends the very same bytes.
 */
#ifndef DNSD_KEYRING_KEYRING_H
#define DNSD_KEYRING_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsig/tsig.h"

struct conf;
struct conf_key;
struct keyring;

/* A key: its decoded secret and the policy configured with it (name,
 * lease bounds, record quota). */
struct keyring_replay;
struct keyring_key {
	struct tsig_key tsig;
	const struct conf_key *conf;
	struct keyring_replay *replay; /* recent MACs (keyring.c) */
};

#define KEYRING_REPLAY_SLOTS 8192 /* MACs remembered per key */

/* How a request's TSIG checked out (RFC 8945 section 5.2). */
enum keyring_status {
	KEYRING_UNSIGNED = 0, /* no TSIG */
	KEYRING_VALID = 1,    /* signed by `key`: sign the reply with it */
	KEYRING_INVALID = -1, /* tsig_error BADKEY/BADSIG/BADTIME: NOTAUTH;
	                       * TSIG_NOERROR: a malformed TSIG, FORMERR */
};

struct keyring_check {
	enum keyring_status status;
	uint16_t tsig_error;
	struct tsig_rr rr;               /* the request's TSIG (signed requests) */
	const struct keyring_key *key;   /* the key named, when known */
};

/*
 * Decode every key of the configuration. An unusable key (unknown
 * algorithm, secret not base64) is logged with its name and fails the
 * whole ring. The ring points at `c`'s keys, so `c` must outlive it.
 */
int keyring_new(const struct conf *c, struct keyring **out);
/* Free the ring and wipe its secrets (NULL is fine). */
void keyring_free(struct keyring *kr);

/* The key named `name` (wire form, any case); NULL if none. */
const struct keyring_key *keyring_find(const struct keyring *kr, const uint8_t *name);
/* The same by presentation name ("registrar" or "registrar."). */
const struct keyring_key *keyring_find_str(const struct keyring *kr, const char *name);

/*
 * Check the TSIG of a request at time `now` and fill `out`. An unknown key
 * name, or a known name with another algorithm, is BADKEY; a truncated
 * MAC the key does not allow is BADTRUNC; a time outside the fudge (at
 * most TSIG_FUDGE_MAX) is BADTIME (see the top). Thread-safe.
 */
void keyring_verify(const struct keyring *kr, const uint8_t *msg, size_t len, uint32_t now,
    struct keyring_check *out);

/*
 * For a request `chk` found valid that changes or copies data (UPDATE,
 * AXFR, IXFR): has its key verified this request before? If so it is a
 * replay: `chk` becomes INVALID with BADTIME and true is returned (the
 * caller drops a UDP retransmission, answers NOTAUTH otherwise). If not,
 * it is remembered. Call once per arrival. Thread-safe.
 */
bool keyring_replayed(struct keyring_check *chk);

/* Is the request signed by a key named in `names` (presentation form)? */
bool keyring_check_key_in(const struct keyring_check *chk, char *const *names, size_t n);

/*
 * How a request's TSIG checked out, in words, for log lines: "unsigned",
 * "signed with key registrar", "BADSIG: the MAC does not match for key
 * registrar", "BADKEY: no key registrar with algorithm hmac-sha256 is
 * configured", "BADTIME: signed 400 s from our clock, fudge 300 s, by key
 * registrar" (or, within the fudge, "a request signed with key registrar
 * that was seen before (a replay)"), "BADTRUNC: ...", "a malformed TSIG
 * record". `now` is the time the request was checked at. Writes at most
 * `n` bytes to `buf` and returns it.
 */
const char *keyring_check_str(const struct keyring_check *chk, uint32_t now, char *buf,
    size_t n);

#endif
