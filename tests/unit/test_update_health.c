/* test_update_health.c -- dnsd-update's pure health parts: the DNSD-HEALTH
 * option, check results mapped to states, durations, HOST:PORT, and the
 * machine that decides when keepalive and run renew, report and stop */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "update.h"

static void
test_http_mapping(void **state)
{
	(void)state;
	assert_int_equal(upd_health_from_http(200), UPD_PASSING);
	assert_int_equal(upd_health_from_http(204), UPD_PASSING);
	assert_int_equal(upd_health_from_http(299), UPD_PASSING);
	assert_int_equal(upd_health_from_http(429), UPD_WARNING);
	assert_int_equal(upd_health_from_http(199), UPD_CRITICAL);
	assert_int_equal(upd_health_from_http(300), UPD_CRITICAL);
	assert_int_equal(upd_health_from_http(301), UPD_CRITICAL);
	assert_int_equal(upd_health_from_http(404), UPD_CRITICAL);
	assert_int_equal(upd_health_from_http(428), UPD_CRITICAL);
	assert_int_equal(upd_health_from_http(500), UPD_CRITICAL);
	assert_int_equal(upd_health_from_http(503), UPD_CRITICAL);
	assert_int_equal(upd_health_from_http(0), UPD_CRITICAL); /* no answer */
}

static void
test_exit_mapping(void **state)
{
	(void)state;
	assert_int_equal(upd_health_from_exit(true, 0), UPD_PASSING);
	assert_int_equal(upd_health_from_exit(true, 1), UPD_WARNING);
	assert_int_equal(upd_health_from_exit(true, 2), UPD_CRITICAL);
	assert_int_equal(upd_health_from_exit(true, 127), UPD_CRITICAL);
	assert_int_equal(upd_health_from_exit(true, 255), UPD_CRITICAL);
	assert_int_equal(upd_health_from_exit(false, 0), UPD_CRITICAL);
}

static void
test_proc_state(void **state)
{
	const char *run = "1234 (sleep) S 1 1234 1234 0 -1 4194560 100";
	const char *odd = "77 (a) b) (c T) T 1 2 3";
	const char *stopped = "99 (my server) T 1 99 99 0";
	char trunc[] = "5 (x)";

	(void)state;
	assert_int_equal(upd_proc_stat_state(run, strlen(run)), 'S');
	/* comm with ") " inside: the state follows the last ')' */
	assert_int_equal(upd_proc_stat_state(odd, strlen(odd)), 'T');
	assert_int_equal(upd_proc_stat_state(stopped, strlen(stopped)), 'T');
	assert_int_equal(upd_proc_stat_state(trunc, strlen(trunc)), -1);
	assert_int_equal(upd_proc_stat_state("garbage", 7), -1);
	assert_int_equal(upd_proc_stat_state("", 0), -1);

	assert_int_equal(upd_health_from_proc_state('R'), UPD_PASSING);
	assert_int_equal(upd_health_from_proc_state('S'), UPD_PASSING);
	assert_int_equal(upd_health_from_proc_state('D'), UPD_PASSING);
	assert_int_equal(upd_health_from_proc_state('I'), UPD_PASSING);
	assert_int_equal(upd_health_from_proc_state('T'), UPD_CRITICAL);
	assert_int_equal(upd_health_from_proc_state('t'), UPD_CRITICAL);
	assert_int_equal(upd_health_from_proc_state('Z'), UPD_CRITICAL);
	assert_int_equal(upd_health_from_proc_state('X'), UPD_CRITICAL);
	assert_int_equal(upd_health_from_proc_state(-1), UPD_CRITICAL);
}

static void
test_worst_and_names(void **state)
{
	(void)state;
	assert_int_equal(upd_health_worst(UPD_PASSING, UPD_WARNING), UPD_WARNING);
	assert_int_equal(upd_health_worst(UPD_CRITICAL, UPD_WARNING),
	    UPD_CRITICAL);
	assert_int_equal(upd_health_worst(UPD_PASSING, UPD_PASSING), UPD_PASSING);
	assert_string_equal(upd_health_name(UPD_PASSING), "passing");
	assert_string_equal(upd_health_name(UPD_WARNING), "warning");
	assert_string_equal(upd_health_name(UPD_CRITICAL), "critical");
}

/* The option data, byte by byte (the example at the top of
 * update-health.c). */
static void
test_option_encoding(void **state)
{
	uint8_t buf[1 + UPD_HEALTH_TEXT_MAX];
	const uint8_t want[] = { 2, 'H', 'T', 'T', 'P', ' ', '5', '0', '0' };
	char text[UPD_HEALTH_TEXT_MAX + 1];
	char big[400];
	size_t n;

	(void)state;
	n = upd_health_option(buf, UPD_CRITICAL, "HTTP 500");
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	/* No text: the state byte alone. */
	assert_int_equal(upd_health_option(buf, UPD_WARNING, ""), 1);
	assert_int_equal(buf[0], 1);
	assert_int_equal(upd_health_option(buf, UPD_PASSING, NULL), 1);
	assert_int_equal(buf[0], 0);

	/* The longest text fits exactly; anything longer is cut to it. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = upd_health_text(text, sizeof(text), big, strlen(big));
	assert_int_equal(n, UPD_HEALTH_TEXT_MAX);
	assert_int_equal(upd_health_option(buf, UPD_PASSING, text),
	    1 + UPD_HEALTH_TEXT_MAX);
	assert_int_equal(buf[UPD_HEALTH_TEXT_MAX], 'a');
}

static void
test_text_cleaning(void **state)
{
	char t[UPD_HEALTH_TEXT_MAX + 1], small[8];
	char src[300];
	size_t n;

	(void)state;
	/* One line, no surrounding blanks. */
	n = upd_health_text(t, sizeof(t), "\n  disk 91%\nload 3\t\n",
	    strlen("\n  disk 91%\nload 3\t\n"));
	assert_string_equal(t, "disk 91% load 3");
	assert_int_equal(n, strlen(t));

	/* Not UTF-8: one '?' per bad byte; good UTF-8 kept. */
	upd_health_text(t, sizeof(t), "ok \xff\xfe caf\xc3\xa9", 11);
	assert_string_equal(t, "ok ?? caf\xc3\xa9");
	/* An overlong form and a lone surrogate are not UTF-8. */
	upd_health_text(t, sizeof(t), "\xc0\xaf|\xed\xa0\x80", 6);
	assert_string_equal(t, "??|???");
	/* A sequence cut by the end of the input. */
	upd_health_text(t, sizeof(t), "x\xe2\x82", 3);
	assert_string_equal(t, "x??");

	/* A multibyte character that would straddle 255 bytes is left
	 * out whole. */
	memset(src, 'a', 254);
	memcpy(src + 254, "\xe2\x82\xac", 3); /* EURO SIGN */
	n = upd_health_text(t, sizeof(t), src, 257);
	assert_int_equal(n, 254);
	assert_int_equal(t[253], 'a');
	memset(src, 'a', 252);
	memcpy(src + 252, "\xe2\x82\xac", 3);
	n = upd_health_text(t, sizeof(t), src, 255);
	assert_int_equal(n, 255);
	assert_memory_equal(t + 252, "\xe2\x82\xac", 3);

	/* A smaller buffer is the limit. */
	n = upd_health_text(small, sizeof(small), "abcdefghij", 10);
	assert_int_equal(n, 7);
	assert_string_equal(small, "abcdefg");
	assert_int_equal(upd_health_text(t, sizeof(t), "   ", 3), 0);
	assert_string_equal(t, "");
	/* An embedded NUL is a control character, not the end. */
	upd_health_text(t, sizeof(t), "a\0b", 3);
	assert_string_equal(t, "a b");
}

static void
test_durations(void **state)
{
	static const struct {
		const char *s;
		uint64_t ms;
	} good[] = {
		{ "10s", 10000 }, { "500ms", 500 }, { "1m", 60000 },
		{ "2h", 7200000 }, { "1m30s", 90000 }, { "1.5s", 1500 },
		{ "30", 30000 }, { "0", 0 }, { "0s", 0 }, { ".5s", 500 },
		{ "1h1m1s1ms", 3661001 }, { "2.25m", 135000 },
		{ "1.0005s", 1000 },
	};
	static const char *const bad[] = {
		"", "s", "10x", "10 s", "-1s", "1.5", "1s2", "ms", "1sm",
		"10S", "1..5s", "99999999999999999999s", "1e3s", "+5s",
	};
	uint64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = 12345;
		assert_int_equal(upd_duration_parse(good[i].s, &ms), 0);
		if (ms != good[i].ms)
			fail_msg("'%s': %llu ms, want %llu", good[i].s,
			    (unsigned long long)ms,
			    (unsigned long long)good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (upd_duration_parse(bad[i], &ms) == 0)
			fail_msg("'%s' accepted as %llu ms", bad[i],
			    (unsigned long long)ms);
	assert_int_equal(upd_duration_parse(NULL, &ms), -1);
}

static void
test_hostport(void **state)
{
	char h[64], p[8];

	(void)state;
	assert_int_equal(upd_hostport_split("127.0.0.1:8080", h, sizeof(h), p,
	    sizeof(p)), 0);
	assert_string_equal(h, "127.0.0.1");
	assert_string_equal(p, "8080");
	assert_int_equal(upd_hostport_split("[::1]:53", h, sizeof(h), p,
	    sizeof(p)), 0);
	assert_string_equal(h, "::1");
	assert_string_equal(p, "53");
	assert_int_equal(upd_hostport_split("localhost:1", h, sizeof(h), p,
	    sizeof(p)), 0);
	assert_string_equal(h, "localhost");
	assert_int_equal(upd_hostport_split("::1:53", h, sizeof(h), p,
	    sizeof(p)), -1); /* IPv6 needs brackets */
	assert_int_equal(upd_hostport_split("host", h, sizeof(h), p,
	    sizeof(p)), -1);
	assert_int_equal(upd_hostport_split("host:", h, sizeof(h), p,
	    sizeof(p)), -1);
	assert_int_equal(upd_hostport_split(":80", h, sizeof(h), p,
	    sizeof(p)), -1);
	assert_int_equal(upd_hostport_split("h:0", h, sizeof(h), p,
	    sizeof(p)), -1);
	assert_int_equal(upd_hostport_split("h:65536", h, sizeof(h), p,
	    sizeof(p)), -1);
	assert_int_equal(upd_hostport_split("h:8o", h, sizeof(h), p,
	    sizeof(p)), -1);
	assert_int_equal(upd_hostport_split("[::1]53", h, sizeof(h), p,
	    sizeof(p)), -1);
	assert_int_equal(upd_hostport_split("averyveryverylonghostname:1", h,
	    8, p, sizeof(p)), -1);
}

/* The machine, driven through a story with a fake clock (ms). */
static void
test_machine_story(void **state)
{
	struct upd_hm m;
	const uint64_t grace = 30000;

	(void)state;
	upd_hm_init(&m, grace);
	assert_false(m.known);
	assert_int_equal(upd_hm_check_every(&m, 10000), UPD_HM_START_EVERY_MS);

	/* The first result is always sent (it registers). */
	assert_int_equal(upd_hm_result(&m, UPD_PASSING, 0), UPD_HM_RENEW);
	assert_int_equal(upd_hm_check_every(&m, 10000), 10000);
	/* The same again: the schedule decides. */
	assert_int_equal(upd_hm_result(&m, UPD_PASSING, 10000), UPD_HM_NONE);
	assert_int_equal(upd_hm_renewal_due(&m, 24000), UPD_HM_RENEW);

	/* Warning: a change, reported at once; it stays renewed. */
	assert_int_equal(upd_hm_result(&m, UPD_WARNING, 30000), UPD_HM_RENEW);
	assert_int_equal(upd_hm_renewal_due(&m, 48000), UPD_HM_RENEW);

	/* Critical at 50 s: reported at once, renewed within the grace
	 * (a renewal exactly at the end of the grace still goes). */
	assert_int_equal(upd_hm_result(&m, UPD_CRITICAL, 50000), UPD_HM_RENEW);
	assert_int_equal(m.critical_since, 50000);
	assert_int_equal(upd_hm_result(&m, UPD_CRITICAL, 60000), UPD_HM_NONE);
	assert_int_equal(m.critical_since, 50000); /* still since 50 s */
	assert_int_equal(upd_hm_renewal_due(&m, 72000), UPD_HM_RENEW);
	assert_int_equal(upd_hm_renewal_due(&m, 80000), UPD_HM_RENEW);
	/* Past the grace: stop, once; then nothing to do. */
	assert_int_equal(upd_hm_renewal_due(&m, 80001), UPD_HM_SUSPEND);
	assert_true(m.suspended);
	assert_int_equal(upd_hm_renewal_due(&m, 96000), UPD_HM_NONE);
	assert_int_equal(upd_hm_result(&m, UPD_CRITICAL, 100000), UPD_HM_NONE);
	assert_true(m.suspended);

	/* Passing again: register at once, renew as before. */
	assert_int_equal(upd_hm_result(&m, UPD_PASSING, 110000), UPD_HM_RENEW);
	assert_false(m.suspended);
	assert_int_equal(upd_hm_renewal_due(&m, 134000), UPD_HM_RENEW);

	/* Critical again: the grace starts over. */
	assert_int_equal(upd_hm_result(&m, UPD_CRITICAL, 200000), UPD_HM_RENEW);
	assert_int_equal(upd_hm_renewal_due(&m, 229000), UPD_HM_RENEW);
	assert_int_equal(upd_hm_renewal_due(&m, 230001), UPD_HM_SUSPEND);
	/* Warning ends a suspension too (warning instances stay). */
	assert_int_equal(upd_hm_result(&m, UPD_WARNING, 231000), UPD_HM_RENEW);
	assert_false(m.suspended);
}

static void
test_machine_zero_grace_and_start(void **state)
{
	struct upd_hm m;

	(void)state;
	/* Grace 0: the change is still reported, and the next scheduled
	 * renewal is the one that stops. */
	upd_hm_init(&m, 0);
	assert_int_equal(upd_hm_result(&m, UPD_PASSING, 0), UPD_HM_RENEW);
	assert_int_equal(upd_hm_result(&m, UPD_CRITICAL, 5000), UPD_HM_RENEW);
	assert_int_equal(upd_hm_renewal_due(&m, 5000), UPD_HM_RENEW);
	assert_int_equal(upd_hm_renewal_due(&m, 5001), UPD_HM_SUSPEND);

	/* A service that starts critical: checks every second (or every
	 * interval, if shorter) until one passes. */
	upd_hm_init(&m, 10000);
	assert_int_equal(upd_hm_result(&m, UPD_CRITICAL, 0), UPD_HM_RENEW);
	assert_int_equal(upd_hm_check_every(&m, 10000), 1000);
	assert_int_equal(upd_hm_check_every(&m, 300), 300);
	assert_int_equal(upd_hm_result(&m, UPD_CRITICAL, 1000), UPD_HM_NONE);
	assert_int_equal(upd_hm_check_every(&m, 10000), 1000);
	assert_int_equal(upd_hm_result(&m, UPD_WARNING, 2000), UPD_HM_RENEW);
	assert_int_equal(upd_hm_check_every(&m, 10000), 10000);
	/* Once it has passed, a later critical keeps the interval. */
	assert_int_equal(upd_hm_result(&m, UPD_CRITICAL, 3000), UPD_HM_RENEW);
	assert_int_equal(upd_hm_check_every(&m, 10000), 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_mapping),
		cmocka_unit_test(test_exit_mapping),
		cmocka_unit_test(test_proc_state),
		cmocka_unit_test(test_worst_and_names),
		cmocka_unit_test(test_option_encoding),
		cmocka_unit_test(test_text_cleaning),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_machine_story),
		cmocka_unit_test(test_machine_zero_grace_and_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
