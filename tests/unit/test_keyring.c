/* test_keyring.c -- keyring_verify's policy over RFC 8945: truncated MACs
 * only where a key allows them (BADTRUNC), the fudge capped at our own,
 * replays refused, and the replay memory bounded */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "tsig/tsig.h"
#include "util/err.h"
#include "wire/wire.h"

#define SECRET "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define T0 1700000000u

struct fix {
	struct conf c;
	struct keyring *kr;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	conf_init(&f->c);
	assert_int_equal(conf_add_key(&f->c, "strict", "hmac-sha256", SECRET), 0);
	assert_int_equal(conf_add_key(&f->c, "lenient", "hmac-sha256", SECRET), 0);
	f->c.keys[1].allow_truncation = true;
	assert_int_equal(keyring_new(&f->c, &f->kr), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	keyring_free(f->kr);
	conf_free(&f->c);
	free(f);
	return 0;
}

/* A query for a.example. (id `id`) signed at `at` with `fudge`. */
static size_t
signed_query(const struct keyring *kr, const char *key, uint16_t id, uint32_t at,
    uint16_t fudge, uint8_t *buf, size_t max)
{
	static const uint8_t q[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 7, 'e', 'x', 'a',
		'm', 'p', 'l', 'e', 0, 0, 1, 0, 1 };
	uint8_t mac[TSIG_MAC_MAX];
	uint16_t mac_len;
	size_t n = sizeof(q);
	memcpy(buf, q, n);
	wire_put16(buf, id);
	const struct keyring_key *k = keyring_find_str(kr, key);
	assert_non_null(k);
	assert_int_equal(tsig_sign_request(buf, &n, max, &k->tsig, at, fudge, mac, &mac_len), 0);
	return n;
}

/* Cut the MAC of the TSIG ending `buf` to `keep` bytes (what a client
 * truncating per RFC 8945 5.2.2.1 sends: the MAC's first bytes). */
static size_t
truncate_mac(uint8_t *buf, size_t len, uint16_t keep)
{
	struct tsig_rr rr;
	assert_int_equal(tsig_find(buf, len, &rr), 1);
	/* owner, type, class, ttl, rdlength, algorithm, time 6, fudge 2 */
	size_t p = rr.offset + rr.key_name_len + 8;
	size_t rdlen_at = p;
	p += 2 + rr.alg_name_len + 8;
	assert_int_equal(wire_get16(buf + p), rr.mac_len);
	wire_put16(buf + p, keep);
	size_t mac_at = p + 2;
	memmove(buf + mac_at + keep, buf + mac_at + rr.mac_len, len - (mac_at + rr.mac_len));
	wire_put16(buf + rdlen_at, (uint16_t)(wire_get16(buf + rdlen_at) - (rr.mac_len - keep)));
	return len - (rr.mac_len - keep);
}

static void
test_valid_then_replay(void **state)
{
	struct fix *f = *state;
	uint8_t buf[512];
	struct keyring_check chk;
	size_t n = signed_query(f->kr, "strict", 1, T0, 300, buf, sizeof(buf));
	keyring_verify(f->kr, buf, n, T0, &chk);
	assert_int_equal(chk.status, KEYRING_VALID);
	assert_false(keyring_replayed(&chk));
	assert_int_equal(chk.status, KEYRING_VALID);
	/* The very same bytes again: valid as TSIG, but a replay. */
	keyring_verify(f->kr, buf, n, T0 + 1, &chk);
	assert_int_equal(chk.status, KEYRING_VALID);
	assert_true(keyring_replayed(&chk));
	assert_int_equal(chk.status, KEYRING_INVALID);
	assert_int_equal(chk.tsig_error, TSIG_BADTIME);
	/* A fresh signature of the same query is fine. */
	n = signed_query(f->kr, "strict", 2, T0 + 1, 300, buf, sizeof(buf));
	keyring_verify(f->kr, buf, n, T0 + 1, &chk);
	assert_int_equal(chk.status, KEYRING_VALID);
	assert_false(keyring_replayed(&chk));
}

static void
test_fudge_capped(void **state)
{
	struct fix *f = *state;
	uint8_t buf[512];
	struct keyring_check chk;
	/* Signed 18 hours ago with the largest fudge a client can send: the
	 * MAC is right, RFC 8945 alone would take it, our cap does not. */
	size_t n = signed_query(f->kr, "strict", 3, T0 - 18 * 3600, 65535, buf, sizeof(buf));
	keyring_verify(f->kr, buf, n, T0, &chk);
	assert_int_equal(chk.status, KEYRING_INVALID);
	assert_int_equal(chk.tsig_error, TSIG_BADTIME);
	/* Within our own fudge it is fine, whatever the client's. */
	n = signed_query(f->kr, "strict", 4, T0 - 299, 65535, buf, sizeof(buf));
	keyring_verify(f->kr, buf, n, T0, &chk);
	assert_int_equal(chk.status, KEYRING_VALID);
	n = signed_query(f->kr, "strict", 5, T0 - 301, 65535, buf, sizeof(buf));
	keyring_verify(f->kr, buf, n, T0, &chk);
	assert_int_equal(chk.tsig_error, TSIG_BADTIME);
}

static void
test_truncation(void **state)
{
	struct fix *f = *state;
	uint8_t buf[512];
	struct keyring_check chk;
	/* 16 of 32 bytes: refused for a key that does not allow it ... */
	size_t n = signed_query(f->kr, "strict", 6, T0, 300, buf, sizeof(buf));
	n = truncate_mac(buf, n, 16);
	keyring_verify(f->kr, buf, n, T0, &chk);
	assert_int_equal(chk.status, KEYRING_INVALID);
	assert_int_equal(chk.tsig_error, TSIG_BADTRUNC);
	assert_non_null(chk.key); /* known: the BADTRUNC answer is signed */
	/* ... accepted for one that does (allow-truncation yes) ... */
	n = signed_query(f->kr, "lenient", 7, T0, 300, buf, sizeof(buf));
	n = truncate_mac(buf, n, 16);
	keyring_verify(f->kr, buf, n, T0, &chk);
	assert_int_equal(chk.status, KEYRING_VALID);
	/* ... but never below half (RFC 8945 5.2.2.1). */
	n = signed_query(f->kr, "lenient", 8, T0, 300, buf, sizeof(buf));
	n = truncate_mac(buf, n, 15);
	keyring_verify(f->kr, buf, n, T0, &chk);
	assert_int_equal(chk.status, KEYRING_INVALID);
	assert_int_equal(chk.tsig_error, TSIG_BADSIG);
}

/* More requests than the memory holds: the oldest are forgotten, and a
 * replay of one of them is still refused (through the floor). */
static void
test_replay_memory_bounded(void **state)
{
	struct fix *f = *state;
	static uint8_t first[512];
	uint8_t buf[512];
	struct keyring_check chk;
	size_t n0 = signed_query(f->kr, "strict", 9, T0 - 100, 300, first, sizeof(first));
	keyring_verify(f->kr, first, n0, T0, &chk);
	assert_false(keyring_replayed(&chk));
	/* A thousand a second (the memory holds about 8 s of them). */
	uint32_t at = T0;
	for (unsigned i = 0; i < KEYRING_REPLAY_SLOTS + 10; i++) {
		at = T0 + i / 1000;
		size_t n = signed_query(f->kr, "strict", (uint16_t)(100 + i), at, 300, buf, sizeof(buf));
		keyring_verify(f->kr, buf, n, at, &chk);
		assert_false(keyring_replayed(&chk));
	}
	keyring_verify(f->kr, first, n0, at, &chk);
	assert_true(keyring_replayed(&chk));
	assert_int_equal(chk.status, KEYRING_INVALID);
	assert_int_equal(chk.tsig_error, TSIG_BADTIME);
	/* New requests signed now still pass. */
	size_t n = signed_query(f->kr, "strict", 60000, at, 300, buf, sizeof(buf));
	keyring_verify(f->kr, buf, n, at, &chk);
	assert_false(keyring_replayed(&chk));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid_then_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fudge_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_memory_bounded, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
