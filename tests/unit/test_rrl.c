/* test_rrl.c -- response rate limiting: the rate per second and network,
 * slip, the classes and names counted apart, IPv4 /24 and IPv6 /56, and
 * a flood of T seconds getting at most rate x T answers */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "testaddr.h"

#include "rrl/rrl.h"
#include "util/log.h"

#define NOW 1700000000u

/* How many of n responses pass, drop, slip. */
struct tally {
	unsigned pass, drop, slip;
};

static struct tally
send_n(struct rrl *t, const struct sockaddr *p, enum rrl_class c, uint64_t name, uint32_t now,
    unsigned n, unsigned rate, unsigned slip)
{
	struct tally x = { 0, 0, 0 };
	for (unsigned i = 0; i < n; i++) {
		switch (rrl_account(t, p, c, name, now, rate, slip)) {
		case RRL_PASS: x.pass++; break;
		case RRL_DROP: x.drop++; break;
		case RRL_SLIP: x.slip++; break;
		}
	}
	return x;
}

static void
test_rate_and_slip(void **state)
{
	(void)state;
	struct rrl *t = rrl_new(4096);
	struct sockaddr_storage a = test_addr("192.0.2.10");
	assert_non_null(t);
	struct tally x = send_n(t, SA(a), RRL_ANSWER, 7, NOW, 100, 20, 2);
	assert_int_equal(x.pass, 20);
	assert_int_equal(x.slip, 40); /* every second one of the 80 held back */
	assert_int_equal(x.drop, 40);
	/* The next second starts afresh. */
	x = send_n(t, SA(a), RRL_ANSWER, 7, NOW + 1, 30, 20, 0);
	assert_int_equal(x.pass, 20);
	assert_int_equal(x.drop, 10); /* slip 0: drop them all */
	x = send_n(t, SA(a), RRL_ANSWER, 7, NOW + 2, 30, 20, 1);
	assert_int_equal(x.slip, 10); /* slip 1: truncate them all */
	/* rate 0: no limit. */
	x = send_n(t, SA(a), RRL_ANSWER, 7, NOW + 2, 1000, 0, 2);
	assert_int_equal(x.pass, 1000);
	rrl_free(t);
}

/* A network, a class and a name make one count. */
static void
test_what_is_counted_apart(void **state)
{
	(void)state;
	struct rrl *t = rrl_new(1 << 16);
	struct sockaddr_storage a = test_addr("192.0.2.10"), same24 = test_addr("192.0.2.200"),
				other24 = test_addr("192.0.3.10"), v6 = test_addr("2001:db8:1:2::1"),
				same56 = test_addr("2001:db8:1:ff::99"), other56 = test_addr("2001:db8:1:100::1");
	assert_non_null(t);
	assert_int_equal(send_n(t, SA(a), RRL_ANSWER, 7, NOW, 10, 10, 0).pass, 10);
	/* The same /24: the same count, already used up. */
	assert_int_equal(send_n(t, SA(same24), RRL_ANSWER, 7, NOW, 5, 10, 0).pass, 0);
	/* Another network, class or name: counts of their own. */
	assert_int_equal(send_n(t, SA(other24), RRL_ANSWER, 7, NOW, 10, 10, 0).pass, 10);
	assert_int_equal(send_n(t, SA(a), RRL_NXDOMAIN, 7, NOW, 10, 10, 0).pass, 10);
	assert_int_equal(send_n(t, SA(a), RRL_ERROR, 7, NOW, 10, 10, 0).pass, 10);
	assert_int_equal(send_n(t, SA(a), RRL_ANSWER, 8, NOW, 10, 10, 0).pass, 10);
	/* IPv6 by /56. */
	assert_int_equal(send_n(t, SA(v6), RRL_ANSWER, 7, NOW, 10, 10, 0).pass, 10);
	assert_int_equal(send_n(t, SA(same56), RRL_ANSWER, 7, NOW, 5, 10, 0).pass, 0);
	assert_int_equal(send_n(t, SA(other56), RRL_ANSWER, 7, NOW, 10, 10, 0).pass, 10);
	/* Not IP: never limited. */
	struct sockaddr_storage u;
	memset(&u, 0, sizeof(u));
	u.ss_family = AF_UNIX;
	assert_int_equal(send_n(t, SA(u), RRL_ANSWER, 7, NOW, 50, 10, 0).pass, 50);
	assert_string_equal(rrl_class_name(RRL_REFERRAL), "referral");
	rrl_free(t);
}

/* A flood of one query from one source for T whole seconds at 20 times
 * the rate: rate x T full answers, no more; the held-back ones go out
 * truncated one in `slip`. */
static void
test_flood(void **state)
{
	(void)state;
	struct rrl *t = rrl_new(1024);
	struct sockaddr_storage a = test_addr("198.51.100.1");
	unsigned rate = 50, T = 10, full = 0, tc = 0;
	assert_non_null(t);
	for (unsigned s = 0; s < T; s++) {
		struct tally x = send_n(t, SA(a), RRL_ANSWER, 42, NOW + s, rate * 20, rate, 2);
		full += x.pass;
		tc += x.slip;
	}
	assert_int_equal(full, rate * T);
	assert_int_equal(tc, (rate * 20 - rate) / 2 * T);
	rrl_free(t);
}

int
main(void)
{
	log_set_level(LOG_LVL_ERR); /* the limits log at info */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_and_slip),
		cmocka_unit_test(test_what_is_counted_apart),
		cmocka_unit_test(test_flood),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
