/* test_http.c -- the HTTP module's pure parts: Go durations, the HCL
 * subset, and Consul service definitions read into instances */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "http/internal.h"
#include "wire/wire.h"
#include "zone/zone.h"

static void
test_durations(void **state)
{
	(void)state;
	static const struct { const char *s; uint64_t ms; } good[] = {
		{ "10s", 10000 }, { "1m30s", 90000 }, { "250ms", 250 }, { "1h", 3600000 },
		{ "1.5s", 1500 }, { "0", 0 }, { "2h45m", 9900000 }, { "500us", 1 }, { "90m", 5400000 },
	};
	static const char *const bad[] = { "", "10", "s", "10 s", "-1s", "1x", "1m3", "abc" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t ms = 7;
		assert_int_equal(http_duration_ms(good[i].s, &ms), 0);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t ms;
		assert_int_not_equal(http_duration_ms(bad[i], &ms), 0);
	}
}

static json_t *
hcl(const char *text, char *err)
{
	return http_hcl_parse(text, strlen(text), err, 256);
}

static void
test_hcl(void **state)
{
	char err[256];
	(void)state;
	json_t *j = hcl("# a comment\nservice {\n  name = \"service-a\"\n  tags = [\"api\", \"v2\",]\n"
	                "  address = \"127.0.0.1\"\n  port = 8080\n  meta = { a = \"b\" }\n"
	                "  check { ttl = \"10s\" }\n  enable = true // inline\n}\n",
	    err);
	assert_non_null(j);
	json_t *s = json_object_get(j, "service");
	assert_true(json_is_object(s));
	assert_string_equal(json_string_value(json_object_get(s, "name")), "service-a");
	assert_int_equal(json_array_size(json_object_get(s, "tags")), 2);
	assert_int_equal(json_integer_value(json_object_get(s, "port")), 8080);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "meta"), "a")), "b");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(s, "check"), "ttl")), "10s");
	assert_true(json_is_true(json_object_get(s, "enable")));
	/* the line of the block and of a key */
	assert_int_equal(json_integer_value(json_object_get(s, HTTP_LINE_KEY)), 2);
	assert_int_equal(json_integer_value(json_object_get(s, HTTP_LINE_KEY ":port")), 6);
	json_decref(j);

	/* two blocks of one name: an array */
	j = hcl("service { name = \"a\" }\nservice { name = \"b\" }\n", err);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "service")), 2);
	json_decref(j);

	static const struct { const char *text, *err; } bad[] = {
		{ "service {\n  name = \"a\"\n", "1: '{' not closed with '}'" },
		{ "service {\n  port = 80s\n}\n", "2: not a number (a duration is a string: \"10s\")" },
		{ "service {\n  name = a\n}\n", "2: expected a value, found a (strings are quoted)" },
		{ "service {\n  name = \"a\"\n  name = \"b\"\n}\n", "3: name given twice" },
		{ "service \"x\" {\n}\n", "1: labelled blocks (service \"...\" { }) are not supported" },
		{ "service {\n  name = \"${var.x}\"\n}\n", "2: interpolation (${...}) is not supported" },
		{ "service {\n  x = <<EOF\nhi\nEOF\n}\n", "2: heredocs (<<) are not supported" },
		{ "/* open\nservice {}\n", "1: comment not closed" },
		{ "service {\n}\nbogus\n", "3: expected '=' or '{' after bogus" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = hcl(bad[i].text, err);
		assert_null(j);
		assert_string_equal(err, bad[i].err);
	}
}

static struct zone zone;

static int
setup(void **state)
{
	(void)state;
	memset(&zone, 0, sizeof(zone));
	zone.apex_len = wire_name_from_str("svc.example.test", zone.apex);
	zone.labels = 3;
	strcpy(zone.name, "svc.example.test.");
	return 0;
}

static int
parse(const char *json, struct http_def *d, char *err, const char *file)
{
	json_error_t jerr;
	struct svc_addr peer = { .family = AF_INET, .addr = { 10, 0, 0, 9 } };
	struct http_def_src src = { .file = file, .zone = &zone, .peer = &peer, .now = 1000 };
	json_t *j = json_loads(json, 0, &jerr);
	assert_non_null(j);
	int rc = http_def_parse(&src, j, d, err, 384);
	json_decref(j);
	return rc;
}

static void
test_definitions(void **state)
{
	static struct http_def d;
	char err[384], name[WIRE_NAME_MAX * 4 + 1];
	(void)state;

	/* the catalog's spellings, as users paste them */
	assert_int_equal(parse("{\"ServiceName\":\"service-a\",\"ServiceAddress\":\"127.0.0.1\","
	                       "\"ServicePort\":8080}", &d, err, NULL), 0);
	wire_name_to_str(d.in.name, name, sizeof(name));
	assert_string_equal(name, "service-a._service-a._tcp.svc.example.test.");
	assert_string_equal(d.in.id, "service-a");
	assert_int_equal(d.in.port, 8080);
	assert_int_equal(d.in.naddrs, 1);
	assert_memory_equal(d.in.addrs[0].addr, "\x7f\x00\x00\x01", 4);
	assert_int_equal(d.in.origin, SVC_FROM_HTTP);
	assert_int_equal(d.in.health, SVC_PASSING);

	/* the agent's, with a host name, meta, weights and two checks */
	assert_int_equal(parse("{\"name\":\"web\",\"ID\":\"web-1\",\"tags\":[\"v2\",\"v2\"],"
	                       "\"Address\":\"host.example.\",\"Meta\":{\"k\":\"v\"},"
	                       "\"Weights\":{\"Passing\":10,\"Warning\":1},\"Checks\":["
	                       "{\"TTL\":\"15s\"},{\"HTTP\":\"http://h/\",\"Interval\":\"10s\","
	                       "\"deregister_critical_service_after\":\"1m\",\"Status\":\"passing\"}]}",
	                     &d, err, NULL), 0);
	assert_int_equal(d.in.ntags, 1);
	assert_int_equal(d.in.naddrs, 0);
	wire_name_to_str(d.in.target, name, sizeof(name));
	assert_string_equal(name, "host.example.");
	assert_int_equal(d.in.txt_len, 4);
	assert_memory_equal(d.in.txt, "\x03k=v", 4);
	assert_int_equal(d.in.weight, 10);
	assert_int_equal(d.in.weight_warning, 1);
	assert_int_equal(d.in.nchecks, 2);
	assert_string_equal(d.in.checks[0].id, "service:web-1:1");
	assert_string_equal(d.in.checks[1].id, "service:web-1:2");
	assert_int_equal(d.in.checks[0].kind, SVC_CHECK_TTL);
	assert_int_equal(d.in.checks[0].ttl_ms, 15000);
	assert_int_equal(d.in.checks[0].status, SVC_CRITICAL); /* Consul's default */
	assert_int_equal(d.in.checks[1].kind, SVC_CHECK_HTTP);
	assert_string_equal(d.in.checks[1].target, "http://h/");
	assert_int_equal(d.in.checks[1].deregister_s, 60);
	assert_int_equal(d.in.health, SVC_CRITICAL);
	assert_int_equal(d.ttl, 15);

	/* no address: the client's */
	assert_int_equal(parse("{\"Name\":\"x\"}", &d, err, NULL), 0);
	assert_memory_equal(d.in.addrs[0].addr, "\x0a\x00\x00\x09", 4);

	static const struct { const char *json, *err; } bad[] = {
		{ "{\"Port\":1}", "Missing service name" },
		{ "{\"Name\":\"a.b\"}", "Invalid service name a.b" },
		{ "{\"Name\":\"a\",\"ID\":\"_x\"}", "Invalid service ID _x" },
		{ "{\"Name\":\"a\",\"Port\":70000}", "Request decode failed: Port must be an integer" },
		{ "{\"Name\":\"a\",\"Address\":\"::\"}", "Invalid service address" },
		{ "{\"Name\":\"a\",\"Check\":{\"Interval\":\"10s\"}}", "Must provide TTL or HTTP/TCP" },
		{ "{\"Name\":\"a\",\"Check\":{\"TTL\":\"10\"}}", "Request decode failed: TTL: not a duration" },
		{ "{\"Name\":\"a\",\"Check\":{\"Args\":[\"x\"]}}", "Args checks are not supported" },
		{ "{\"Name\":\"a\",\"Weights\":{\"Passing\":0}}", "Passing must be greater than 0" },
		{ "{\"Name\":\"a\",\"Check\":{\"TTL\":\"1s\",\"Status\":\"ok\"}}",
		    "Status for checks must 'passing', 'warning', 'critical'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(parse(bad[i].json, &d, err, NULL), 0);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("%s: got \"%s\", want \"%s...\"", bad[i].json, err, bad[i].err);
	}

	/* from a file: origin FILE, the source, and the file named in errors */
	assert_int_equal(parse("{\"name\":\"f\",\"port\":1}", &d, err, "/etc/s/f.json"), 0);
	assert_int_equal(d.in.origin, SVC_FROM_FILE);
	assert_string_equal(d.in.source, "/etc/s/f.json");
	assert_int_not_equal(parse("{\"port\":1}", &d, err, "/etc/s/f.json"), 0);
	assert_string_equal(err, "/etc/s/f.json: Missing service name");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_hcl),
		cmocka_unit_test_setup(test_definitions, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
