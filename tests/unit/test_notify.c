/* test_notify.c -- the NOTIFY retry schedule (notify_retry_delay_ms) */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <cmocka.h>

#include "notify/notify.h"

static void
test_retry_doubles(void **state)
{
	(void)state;
	/* The wait after each attempt: 1 s, then twice the one before. */
	static const uint64_t want[] = { 1000, 2000, 4000, 8000, 16000, 32000 };
	assert_int_equal(sizeof(want) / sizeof(want[0]), NOTIFY_ATTEMPTS);
	for (unsigned a = 0; a < NOTIFY_ATTEMPTS; a++)
		assert_int_equal(notify_retry_delay_ms(a), want[a]);
}

static void
test_retry_gives_up(void **state)
{
	(void)state;
	/* After the last attempt nothing more is sent, however far the
	 * count goes (no shift past 64 bits either). */
	assert_int_equal(notify_retry_delay_ms(NOTIFY_ATTEMPTS), 0);
	assert_int_equal(notify_retry_delay_ms(NOTIFY_ATTEMPTS + 1), 0);
	assert_int_equal(notify_retry_delay_ms(64), 0);
	assert_int_equal(notify_retry_delay_ms(~0u), 0);
}

static void
test_retry_timeline(void **state)
{
	(void)state;
	/* Followed the way the notifier does (send, wait, send, ...): NOTIFYs
	 * go out at 0, 1, 3, 7, 15 and 31 s, and it gives up at 63 s. */
	static const uint64_t sent_at[] = { 0, 1000, 3000, 7000, 15000, 31000 };
	uint64_t t = 0;
	unsigned a = 0, sends = 0;
	for (;;) {
		uint64_t wait = notify_retry_delay_ms(a);
		if (wait == 0)
			break;
		assert_true(sends < NOTIFY_ATTEMPTS);
		assert_int_equal(t, sent_at[sends]);
		sends++;
		t += wait;
		a++;
	}
	assert_int_equal(sends, NOTIFY_ATTEMPTS);
	assert_int_equal(t, 63000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_doubles),
		cmocka_unit_test(test_retry_gives_up),
		cmocka_unit_test(test_retry_timeline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
