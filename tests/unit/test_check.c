/* test_check.c -- the health checker: Consul's rules for a result, the
 * TCP target form, the interval and timeout bounds; and the thread itself
 * against sockets on loopback, with the writer replaced by a recorder */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check/check.h"
#include "runtime/runtime.h"
#include "svc/catalog.h"
#include "testzone.h"
#include "util/clock.h"
#include "util/err.h"

static void
test_http_health(void **state)
{
	(void)state;
	static const long passing[] = { 200, 201, 204, 299 };
	static const long critical[] = { 0, 100, 199, 300, 301, 304, 400, 404, 428, 430, 500, 503 };
	for (size_t i = 0; i < sizeof(passing) / sizeof(passing[0]); i++)
		assert_int_equal(check_http_health(passing[i]), SVC_PASSING);
	assert_int_equal(check_http_health(429), SVC_WARNING);
	for (size_t i = 0; i < sizeof(critical) / sizeof(critical[0]); i++)
		assert_int_equal(check_http_health(critical[i]), SVC_CRITICAL);
}

static void
test_tcp_url(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } good[] = {
		{ "127.0.0.1:80", "http://127.0.0.1:80/" },
		{ "[::1]:8080", "http://[::1]:8080/" },
		{ "[::ffff:192.0.2.1]:1", "http://[::ffff:192.0.2.1]:1/" },
		{ "db-1.example.test:5432", "http://db-1.example.test:5432/" },
		{ "localhost:65535", "http://localhost:65535/" },
	};
	/* Anything that could make the URL say more than host and port
	 * (a user, a path, a query) is refused, as are IPv6 literals without
	 * brackets and ports out of range. */
	static const char *const bad[] = { "", "host", "host:", ":80", "host:0", "host:65536",
		"host:123456", "host:80x", "host:-1", "::1:80", "[::1]80", "[::1]", "[zz]:80",
		"a/b:80", "user@host:80", "host?x:80", "host#:80", "ho st:80", "[::1]:80/x",
		"[::1%lo]:80" };
	char url[64];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(check_tcp_url(good[i].in, url, sizeof(url)), 0);
		assert_string_equal(url, good[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (check_tcp_url(bad[i], url, sizeof(url)) != DNSD_EMALF)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(check_tcp_url("127.0.0.1:80", url, 10), DNSD_ESPACE);
}

static void
test_bounds(void **state)
{
	(void)state;
	struct svc_check k = { 0 };
	assert_int_equal(check_interval_ms(&k), CHECK_INTERVAL_DEFAULT_MS);
	assert_int_equal(check_timeout_ms(&k), CHECK_TIMEOUT_DEFAULT_MS);
	k.interval_ms = 1;
	k.timeout_ms = 1;
	assert_int_equal(check_interval_ms(&k), CHECK_INTERVAL_MIN_MS); /* Consul's minimum */
	assert_int_equal(check_timeout_ms(&k), 1);
	k.interval_ms = 2500;
	k.timeout_ms = UINT32_MAX;
	assert_int_equal(check_interval_ms(&k), 2500);
	assert_true(check_timeout_ms(&k) <= 300000); /* a check cannot hold a slot for ever */
}

/* ---- the thread, with the writer replaced by a recorder ---- */

#define MAX_OPS 64

struct recorder {
	pthread_mutex_t mu;
	size_t n;
	struct {
		enum svc_op_kind kind;
		char id[SVC_ID_MAX], check[SVC_ID_MAX];
		enum svc_health health;
		char output[SVC_OUTPUT_MAX];
		uint64_t at_ms;
	} ops[MAX_OPS];
	bool hold;                  /* keep `done` instead of calling it */
	check_op_done held;
	void *held_arg;
};

/* The writer's part: record the op, and say it is durable at once (or
 * hold that back, to see what the checker does meanwhile). */
static void
record(void *ctx, const struct svc_op *op, check_op_done done, void *arg)
{
	struct recorder *r = ctx;
	bool call = true;
	pthread_mutex_lock(&r->mu);
	if (r->n < MAX_OPS) {
		r->ops[r->n].kind = op->kind;
		snprintf(r->ops[r->n].id, SVC_ID_MAX, "%s", op->id);
		snprintf(r->ops[r->n].check, SVC_ID_MAX, "%s", op->check);
		r->ops[r->n].health = op->health;
		snprintf(r->ops[r->n].output, SVC_OUTPUT_MAX, "%s", op->output);
		r->ops[r->n].at_ms = clock_mono_ms();
		r->n++;
	}
	if (r->hold && r->held == NULL) {
		r->held = done;
		r->held_arg = arg;
		call = false;
	}
	pthread_mutex_unlock(&r->mu);
	if (call)
		done(arg, 0, 1);
}

/* Ops recorded so far for (kind, check ID). */
static size_t
count(struct recorder *r, enum svc_op_kind kind, const char *check, size_t *first)
{
	size_t n = 0;
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++) {
		if (r->ops[i].kind != kind || strcmp(r->ops[i].check, check) != 0)
			continue;
		if (n++ == 0 && first != NULL)
			*first = i;
	}
	pthread_mutex_unlock(&r->mu);
	return n;
}

/* Wait up to `ms` for `want` such ops. */
static bool
wait_ops(struct recorder *r, enum svc_op_kind kind, const char *check, size_t want, unsigned ms)
{
	for (unsigned i = 0; i < ms / 20; i++) {
		if (count(r, kind, check, NULL) >= want)
			return true;
		usleep(20000);
	}
	return false;
}

/* A listening socket on 127.0.0.1 (its port in *port), and a port where
 * nothing listens (bound, then closed). */
static int
listener(uint16_t *port, bool keep)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	if (keep) {
		assert_int_equal(listen(fd, 128), 0); /* never full in this test */
		return fd;
	}
	close(fd);
	return -1;
}

static void
add_check(struct svc_instance *in, enum svc_check_kind kind, const char *id, const char *target,
    enum svc_health status, uint32_t deregister_s)
{
	struct svc_check *k = &in->checks[in->nchecks++];
	k->kind = kind;
	k->status = status;
	k->interval_ms = 1000;
	k->timeout_ms = 1000;
	k->deregister_s = deregister_s;
	k->since = clock_now();
	snprintf(k->id, sizeof(k->id), "%s", id);
	snprintf(k->target, sizeof(k->target), "%s", target);
}

static void
put_instance(struct testzone *tz, const struct svc_instance *tmpl)
{
	struct store_txn *t;
	struct svc_ctx x;
	struct svc_instance in = *tmpl;
	assert_int_equal(store_write_begin(tz->store, &t), 0);
	svc_ctx_init(&x, t, &tz->zones, clock_now());
	assert_int_equal(svc_put(&x, &tz->zones.z[0], &in), 0);
	assert_int_equal(svc_flush(&x), 0);
	assert_int_equal(store_commit(t), 0);
}

/* Accept (and close) what connected to a listener; how many. */
static unsigned
drain(int fd)
{
	unsigned n = 0;
	int c;
	while ((c = accept(fd, NULL, NULL)) >= 0 || errno == EINTR) {
		if (c >= 0) {
			close(c);
			n++;
		}
	}
	return n;
}

static struct svc_instance *
instance(const char *label, const char *id)
{
	static struct svc_instance in;
	char name[64];
	svc_instance_init(&in);
	snprintf(name, sizeof(name), "%s._db._tcp.t.test", label);
	wire_name_from_str(name, in.name);
	wire_name_from_str("db.t.test", in.target);
	in.port = 5432;
	snprintf(in.id, sizeof(in.id), "%s", id);
	return &in;
}

static void
test_thread(void **state)
{
	(void)state;
	static const struct testzone_src src[] = { { "t.test", NULL } };
	static struct testzone tz;
	static struct recorder r;
	uint16_t port1, port2, closed_port;
	char target[64];
	assert_int_equal(testzone_open(&tz, src, 1, clock_now()), 0);
	int lfd1 = listener(&port1, true), lfd2 = listener(&port2, true);
	listener(&closed_port, false);
	fcntl(lfd1, F_SETFL, O_NONBLOCK);

	struct svc_instance *in = instance("db-1", "db-1");
	snprintf(target, sizeof(target), "127.0.0.1:%u", port1);
	add_check(in, SVC_CHECK_TCP, "up", target, SVC_CRITICAL, 0);     /* will pass */
	snprintf(target, sizeof(target), "127.0.0.1:%u", closed_port);
	add_check(in, SVC_CHECK_TCP, "down", target, SVC_PASSING, 1);    /* will fail */
	add_check(in, SVC_CHECK_TCP, "bad", "no port here", SVC_PASSING, 0);
	add_check(in, SVC_CHECK_TTL, "ttl", "", SVC_PASSING, 0);        /* not followed */
	in->health = SVC_CRITICAL;
	put_instance(&tz, in);
	in = instance("db-2", "db-2");
	snprintf(target, sizeof(target), "127.0.0.1:%u", port2);
	add_check(in, SVC_CHECK_TCP, "flip", target, SVC_PASSING, 0);
	put_instance(&tz, in);

	/* The runtime the server would pass; one reference stays with the
	 * test, so the checker's drop frees nothing of the fixture. */
	struct runtime rt = { .conf = &tz.conf, .zones = tz.zones, .generation = 1, .refs = 1 };
	struct checker *c;
	pthread_mutex_init(&r.mu, NULL);
	struct check_setup cs = { .store = tz.store, .rt = &rt, .ctx = &r, .submit = record };
	assert_int_equal(check_start(&cs, &c), 0);

	/* A change of state is reported once (and only a change). */
	assert_true(wait_ops(&r, SVC_OP_HEALTH, "up", 1, 3000));
	assert_true(wait_ops(&r, SVC_OP_HEALTH, "down", 1, 3000));
	assert_true(wait_ops(&r, SVC_OP_HEALTH, "bad", 1, 3000));
	size_t up, down, bad;
	count(&r, SVC_OP_HEALTH, "up", &up);
	count(&r, SVC_OP_HEALTH, "down", &down);
	count(&r, SVC_OP_HEALTH, "bad", &bad);
	assert_string_equal(r.ops[up].id, "db-1");
	assert_int_equal(r.ops[up].health, SVC_PASSING);
	assert_non_null(strstr(r.ops[up].output, "TCP connect 127.0.0.1:"));
	assert_int_equal(r.ops[down].health, SVC_CRITICAL);
	assert_int_equal(r.ops[bad].health, SVC_CRITICAL);
	assert_non_null(strstr(r.ops[bad].output, "not HOST:PORT"));

	/* deregister-critical-after 1 s: one DEREGISTER, not before 1 s after
	 * the critical state was durable. */
	assert_true(wait_ops(&r, SVC_OP_DEREGISTER, "", 1, 4000));
	size_t dereg;
	count(&r, SVC_OP_DEREGISTER, "", &dereg);
	assert_string_equal(r.ops[dereg].id, "db-1");
	assert_true(r.ops[dereg].at_ms - r.ops[down].at_ms >= 1000);

	/* Two more intervals: the same results are not reported again. */
	usleep(2200000);
	assert_int_equal(count(&r, SVC_OP_HEALTH, "up", NULL), 1);
	assert_int_equal(count(&r, SVC_OP_HEALTH, "down", NULL), 1);
	assert_int_equal(count(&r, SVC_OP_HEALTH, "bad", NULL), 1);
	assert_int_equal(count(&r, SVC_OP_DEREGISTER, "", NULL), 1);
	assert_int_equal(count(&r, SVC_OP_HEALTH, "ttl", NULL), 0);
	assert_int_equal(count(&r, SVC_OP_HEALTH, "flip", NULL), 0);

	/* db-2's port closes: one op in flight per check. The writer holds
	 * back its `done`; results go on coming, nothing more is sent; once
	 * it is durable, the check settles with no further op. */
	pthread_mutex_lock(&r.mu);
	r.hold = true;
	pthread_mutex_unlock(&r.mu);
	close(lfd2);
	assert_true(wait_ops(&r, SVC_OP_HEALTH, "flip", 1, 3000));
	usleep(2200000);
	assert_int_equal(count(&r, SVC_OP_HEALTH, "flip", NULL), 1);
	pthread_mutex_lock(&r.mu);
	check_op_done done = r.held;
	void *arg = r.held_arg;
	r.held = NULL;
	r.hold = false;
	pthread_mutex_unlock(&r.mu);
	assert_non_null(done);
	done(arg, 0, 2);
	usleep(1500000);
	assert_int_equal(count(&r, SVC_OP_HEALTH, "flip", NULL), 1);

	/* db-1 is deleted, and the catalog change told: its checks stop
	 * (nothing connects to its port any more). */
	assert_true(drain(lfd1) > 0);
	struct store_txn *t;
	struct svc_ctx x;
	assert_int_equal(store_write_begin(tz.store, &t), 0);
	svc_ctx_init(&x, t, &tz.zones, clock_now());
	assert_int_equal(svc_del(&x, &tz.zones.z[0], instance("db-1", "db-1")->name), 0);
	assert_int_equal(svc_flush(&x), 0);
	assert_int_equal(store_commit(t), 0);
	check_catalog_changed(c, 3);
	usleep(500000); /* a run begun before the scan may still connect */
	drain(lfd1);
	usleep(2200000);
	assert_int_equal(drain(lfd1), 0);

	check_stop(c);
	check_free(c);
	assert_int_equal(rt.refs, 1);
	close(lfd1);
	pthread_mutex_destroy(&r.mu);
	testzone_close(&tz);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_health),
		cmocka_unit_test(test_tcp_url),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
