/* cookie.h -- DNS cookies (RFC 7873) with interoperable server cookies
 * (RFC 9018): checking the COOKIE option of a request, making ours
 *
 * A server cookie is 16 bytes: version 1, three reserved zero bytes, the
 * time it was made (seconds, RFC 1982 serial arithmetic) and an 8-byte
 * SipHash-2-4 (cookie_siphash) over the client cookie, those
 * first eight bytes and the client's address, keyed with the server's
 * secret (RFC 9018 section 4).
 *
 * Secrets. One 16-byte master secret per server (cookie_master_random()
 * draws one per process from getrandom, or the configuration gives one so
 * that several servers share it, RFC 9018 section 5). Time is cut into
 * periods of `rotation` seconds; the secret of period N is SipHash-2-4
 * (128-bit output) of the text "dnsd cookie secret" and N under the
 * master. A cookie made with the secret of the current period or of the
 * one before it is valid, so rotating never turns away a client whose
 * cookie is still fresh, and no thread has to coordinate the change: each
 * derives the same secrets from the clock.
 *
 * One struct cookie_gen per thread: it keeps the period's secrets and
 * the cookies it made lately. It takes the time as a parameter and reads
 * no clock.
 */
#ifndef DNSD_COOKIE_COOKIE_H
#define DNSD_COOKIE_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define COOKIE_CLIENT_LEN 8
#define COOKIE_SERVER_LEN 16 /* ours (RFC 9018); others' may be 8 to 32 */
#define COOKIE_MAX_LEN 40    /* client and server cookie (RFC 7873 section 4) */
#define COOKIE_SECRET_LEN 16

/* What a request's COOKIE option says about its sender. */
enum cookie_state {
	COOKIE_NONE,   /* no COOKIE option */
	COOKIE_CLIENT, /* a client cookie alone: first contact */
	COOKIE_BAD,    /* a server cookie that is not a valid one of ours */
	COOKIE_VALID,  /* our server cookie, fresh and made for this client:
	                * the address is not spoofed (RFC 7873 section 5.2.5) */
};

struct cookie_gen;

/* SipHash-2-4 of msg[0..len) under the 16-byte `key`: `outlen` bytes (8,
 * or 16 for the 128-bit variant) into out, as the reference code and
 * OpenSSL's "SIPHASH" give them. */
void cookie_siphash(const uint8_t key[COOKIE_SECRET_LEN], const uint8_t *msg, size_t len,
    uint8_t *out, size_t outlen);

/* The process's random master secret, drawn once from getrandom (the
 * same for every caller). Returns 0, or -errno if none can be drawn. */
int cookie_master_random(uint8_t out[COOKIE_SECRET_LEN]);

/* A generator for one thread, keyed with `master`, rotating its secret
 * every `rotation` seconds (at least 60). Returns 0 or -ENOMEM. */
int cookie_gen_new(const uint8_t master[COOKIE_SECRET_LEN], uint32_t rotation,
    struct cookie_gen **out);
void cookie_gen_free(struct cookie_gen *g);

/* Is `g` keyed with this master and rotation (after a reload)? */
bool cookie_gen_same(const struct cookie_gen *g, const uint8_t master[COOKIE_SECRET_LEN],
    uint32_t rotation);

/*
 * The server cookie of RFC 9018 section 4 for client cookie `client` from
 * `peer`, made at `ts` with `secret`, into `out`: version 1, reserved,
 * timestamp, SipHash-2-4. cookie_check makes its cookies so with the
 * period's secret; this form is for checks against the RFC's examples.
 * False if `peer` is neither IPv4 nor IPv6.
 */
bool cookie_make(const uint8_t secret[COOKIE_SECRET_LEN],
    const uint8_t client[COOKIE_CLIENT_LEN], uint32_t ts, const struct sockaddr *peer,
    uint8_t out[COOKIE_SERVER_LEN]);

/*
 * Check the COOKIE option value `opt` (`len` bytes: 8, or 16 to 40; the
 * parser answers FORMERR for other lengths) of a request from `peer` at
 * second `now`, and write into `reply` the option value to answer with:
 * the client cookie and a server cookie of ours (24 bytes). A valid cookie
 * younger than half an hour is echoed as it is; any other gets a new one
 * (RFC 9018 section 4.3); a client cookie alone gets the cookie made for
 * it last, if that is still young. Returns what the option says; COOKIE_NONE
 * when no cookie can be made (a peer that is neither IPv4 nor IPv6, or
 * OpenSSL failed): then answer without one.
 */
enum cookie_state cookie_check(struct cookie_gen *g, const uint8_t *opt, size_t len,
    const struct sockaddr *peer, uint32_t now, uint8_t reply[COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN]);

#endif
