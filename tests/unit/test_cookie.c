/* test_cookie.c -- DNS cookies: SipHash-2-4 against its paper and
 * OpenSSL, RFC 9018's examples, the life of a cookie (fresh, echoed,
 * renewed, too old, from the future, for another address, tampered with)
 * and the secret's rotation */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "testaddr.h"

#include "cookie/cookie.h"
#include "wire/wire.h"

#define T 1559731985u /* RFC 9018 A.1's clock */

static const uint8_t master[COOKIE_SECRET_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
	14, 15, 16 };
static const uint8_t client[COOKIE_CLIENT_LEN] = { 0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9,
	0x57 };

static void
hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* SipHash-2-4: the reference vectors (key 00..0f, message 00..len-1)
 * for both output sizes, then every length from 0 to 80 under random
 * keys against OpenSSL's "SIPHASH", which dnsd used before. */
static void
openssl_siphash(const uint8_t *key, const uint8_t *msg, size_t len, uint8_t *out, size_t outlen)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM p[] = { OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outlen),
		OSSL_PARAM_construct_end() };
	size_t n = 0;
	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, key, 16, p), 1);
	assert_int_equal(EVP_MAC_update(ctx, msg, len), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &n, outlen), 1);
	assert_int_equal(n, outlen);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

static void
test_siphash(void **state)
{
	(void)state;
	uint8_t key[16], msg[80], got[16], want[16];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	/* vectors.h of the reference code: vectors_sip64[0], [15];
	 * vectors_sip128[0] */
	cookie_siphash(key, msg, 0, got, 8);
	hex("310e0edd47db6f72", want, 8);
	assert_memory_equal(got, want, 8);
	cookie_siphash(key, msg, 15, got, 8);
	hex("e545be4961ca29a1", want, 8);
	assert_memory_equal(got, want, 8);
	cookie_siphash(key, msg, 0, got, 16);
	hex("a3817f04ba25a8e66df67214c7550293", want, 16);
	assert_memory_equal(got, want, 16);

	uint32_t x = 2463534242u; /* xorshift32: any keys will do */
	for (size_t len = 0; len <= sizeof(msg); len++) {
		for (size_t i = 0; i < 16; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			key[i] = (uint8_t)x;
		}
		for (size_t outlen = 8; outlen <= 16; outlen += 8) {
			cookie_siphash(key, msg, len, got, outlen);
			openssl_siphash(key, msg, len, want, outlen);
			assert_memory_equal(got, want, outlen);
		}
	}
}

/* RFC 9018 appendix A.1 and A.2: the server cookies a server with that
 * secret makes, byte for byte, so any other implementation of RFC 9018
 * behind the same address accepts ours and we theirs. */
static void
test_rfc9018_examples(void **state)
{
	(void)state;
	struct cookie_gen *g;
	uint8_t secret[16], want[16], got[16];
	struct sockaddr_storage peer = test_addr("198.51.100.100");
	assert_int_equal(cookie_gen_new(master, 86400, &g), 0);
	hex("e5e973e5a6b2a43f48e7dc849e37bfcf", secret, 16);
	assert_true(cookie_make(secret, client, 1559731985, SA(peer), got));
	hex("010000005cf79f111f8130c3eee29480", want, 16);
	assert_memory_equal(got, want, 16);
	assert_true(cookie_make(secret, client, 1559734385, SA(peer), got));
	hex("010000005cf7a871d4a564a1442aca77", want, 16);
	assert_memory_equal(got, want, 16);
	struct sockaddr_storage unix_peer;
	memset(&unix_peer, 0, sizeof(unix_peer));
	unix_peer.ss_family = AF_UNIX;
	assert_false(cookie_make(secret, client, T, SA(unix_peer), got));
	cookie_gen_free(g);
}

/* From first contact to a cookie too old to take. */
static void
test_life_of_a_cookie(void **state)
{
	(void)state;
	struct cookie_gen *g;
	uint8_t opt[40], reply[24], again[24];
	struct sockaddr_storage peer = test_addr("192.0.2.7"), other = test_addr("192.0.2.8"),
				peer6 = test_addr("2001:db8::7");
	assert_int_equal(cookie_gen_new(master, 86400, &g), 0);

	/* A client cookie alone: ours comes back, made now; asked again a
	 * moment later, the same one (young cookies are reused). */
	assert_int_equal(cookie_check(g, client, 8, SA(peer), T, reply), COOKIE_CLIENT);
	assert_memory_equal(reply, client, 8);
	assert_int_equal(reply[8], 1);
	assert_int_equal(wire_get32(reply + 12), T);
	assert_int_equal(cookie_check(g, client, 8, SA(peer), T + 20, again), COOKIE_CLIENT);
	assert_memory_equal(again, reply, 24);

	/* Sent back, it is valid, and echoed as it is while young. */
	memcpy(opt, reply, 24);
	assert_int_equal(cookie_check(g, opt, 24, SA(peer), T + 600, again), COOKIE_VALID);
	assert_memory_equal(again, opt, 24);
	/* Past half an hour it is still valid but renewed. */
	assert_int_equal(cookie_check(g, opt, 24, SA(peer), T + 1801, again), COOKIE_VALID);
	assert_int_equal(wire_get32(again + 12), T + 1801);
	/* Past an hour it is not; the young one made at T + 1801 comes back. */
	assert_int_equal(cookie_check(g, opt, 24, SA(peer), T + 3601, again), COOKIE_BAD);
	assert_int_equal(wire_get32(again + 12), T + 1801);
	/* And past half an hour after that, a new one. */
	assert_int_equal(cookie_check(g, opt, 24, SA(peer), T + 3602, again), COOKIE_BAD);
	assert_int_equal(wire_get32(again + 12), T + 3602);
	/* Five minutes in the future is the limit. */
	assert_int_equal(cookie_check(g, opt, 24, SA(peer), T - 300, again), COOKIE_VALID);
	assert_int_equal(cookie_check(g, opt, 24, SA(peer), T - 301, again), COOKIE_BAD);

	/* It was made for one address. */
	assert_int_equal(cookie_check(g, opt, 24, SA(other), T + 1, again), COOKIE_BAD);
	assert_int_equal(cookie_check(g, opt, 24, SA(peer6), T + 1, again), COOKIE_BAD);
	/* And for one client cookie, with this hash and version. */
	opt[0] ^= 1;
	assert_int_equal(cookie_check(g, opt, 24, SA(peer), T + 1, again), COOKIE_BAD);
	opt[0] ^= 1;
	opt[23] ^= 0x80;
	assert_int_equal(cookie_check(g, opt, 24, SA(peer), T + 1, again), COOKIE_BAD);
	opt[23] ^= 0x80;
	opt[8] = 2;
	assert_int_equal(cookie_check(g, opt, 24, SA(peer), T + 1, again), COOKIE_BAD);
	opt[8] = 1;
	/* Another server's cookie of another length is not ours. */
	assert_int_equal(cookie_check(g, opt, 16, SA(peer), T + 1, again), COOKIE_BAD);
	assert_int_equal(cookie_check(g, opt, 24, SA(peer), T + 1, again), COOKIE_VALID);

	/* IPv6 clients get cookies too. */
	assert_int_equal(cookie_check(g, client, 8, SA(peer6), T, reply), COOKIE_CLIENT);
	assert_int_equal(cookie_check(g, reply, 24, SA(peer6), T + 5, again), COOKIE_VALID);
	/* Another master secret takes none of these. */
	struct cookie_gen *g2;
	static const uint8_t other_master[16] = { 9 };
	assert_int_equal(cookie_gen_new(other_master, 86400, &g2), 0);
	assert_int_equal(cookie_check(g2, reply, 24, SA(peer6), T + 5, again), COOKIE_BAD);
	/* The same master does, in another generator (another worker). */
	struct cookie_gen *g3;
	assert_int_equal(cookie_gen_new(master, 86400, &g3), 0);
	assert_int_equal(cookie_check(g3, reply, 24, SA(peer6), T + 5, again), COOKIE_VALID);
	assert_true(cookie_gen_same(g3, master, 86400));
	assert_false(cookie_gen_same(g3, master, 3600));
	assert_false(cookie_gen_same(g3, other_master, 86400));
	cookie_gen_free(g3);
	cookie_gen_free(g2);
	cookie_gen_free(g);
}

/* The secret changes every period; a cookie of the period before is
 * still taken (and renewed with the new secret), one older is not. */
static void
test_rotation(void **state)
{
	(void)state;
	struct cookie_gen *g;
	uint8_t made[24], again[24], renewed[24];
	struct sockaddr_storage peer = test_addr("192.0.2.7");
	uint32_t start = 600 * 2000000; /* the start of a 600-second period */
	assert_int_equal(cookie_gen_new(master, 600, &g), 0);
	assert_int_equal(cookie_check(g, client, 8, SA(peer), start + 590, made), COOKIE_CLIENT);
	/* In the next period: valid, renewed although young. */
	assert_int_equal(cookie_check(g, made, 24, SA(peer), start + 610, renewed), COOKIE_VALID);
	assert_memory_not_equal(renewed + 8, made + 8, 16);
	assert_int_equal(wire_get32(renewed + 12), start + 610);
	/* Two periods on: the secret it was made with is gone. */
	assert_int_equal(cookie_check(g, made, 24, SA(peer), start + 1210, again), COOKIE_BAD);
	assert_int_equal(cookie_check(g, renewed, 24, SA(peer), start + 1210, again), COOKIE_VALID);
	/* A generator that starts late knows the period before too. */
	struct cookie_gen *late;
	assert_int_equal(cookie_gen_new(master, 600, &late), 0);
	assert_int_equal(cookie_check(late, renewed, 24, SA(peer), start + 1210, again), COOKIE_VALID);
	/* And a period is never shorter than a minute. */
	struct cookie_gen *fast;
	assert_int_equal(cookie_gen_new(master, 1, &fast), 0);
	assert_true(cookie_gen_same(fast, master, 60));
	cookie_gen_free(fast);
	cookie_gen_free(late);
	cookie_gen_free(g);
}

static void
test_master_random(void **state)
{
	(void)state;
	uint8_t a[16], b[16], zero[16] = { 0 };
	assert_int_equal(cookie_master_random(a), 0);
	assert_int_equal(cookie_master_random(b), 0);
	assert_memory_equal(a, b, 16); /* one per process */
	assert_memory_not_equal(a, zero, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash),
		cmocka_unit_test(test_rfc9018_examples),
		cmocka_unit_test(test_life_of_a_cookie),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_master_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
