/* etcdcheck.c -- drives the etcd client (dnsd/etcd) against real etcd
 * members for t_etcd.sh: one scenario per run, "ok - ..." per check
 *
 *   etcdcheck -e URL[,URL...] [-p PREFIX] [-u USER -P PASSWORD]
 *             [--ca F --cert F --key F] [-t REQUEST_MS] SCENARIO [ARGS]
 *
 * Exit 0 when every check held, 1 at the first that did not (with a
 * "FAIL:" line), 2 for a usage error. Scenarios that need the shell to do
 * something (kill a member, compact) print "WAIT <what>" and read one line
 * from stdin before going on. Every wait is bounded.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "etcd/etcd.h"
#include "util/err.h"
#include "util/log.h"

static struct etcd_setup setup;
static const char *eps[8];

/* ---- checks ---- */

static void
ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("ok - ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

static void __attribute__((noreturn))
fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
	exit(1);
}

#define REQUIRE(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)
/* r == want, or fail naming both */
#define EXPECT_RC(r, want, what) do { int r_ = (r); \
	if (r_ != (want)) fail("%s: got %d (%s), expected %s", what, r_, dnsd_strerror(r_), #want); \
	} while (0)

static uint64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* Tell the shell what to do and wait for its line. */
static void
wait_shell(const char *what)
{
	char line[64];
	printf("WAIT %s\n", what);
	fflush(stdout);
	REQUIRE(fgets(line, sizeof(line), stdin) != NULL, "no answer from the shell to %s", what);
}

static struct etcd *
client(void)
{
	struct etcd *e;
	EXPECT_RC(etcd_new(&setup, &e), 0, "etcd_new");
	return e;
}

static int
put_s(struct etcd *e, const char *k, const char *v, int64_t lease, int64_t *rev)
{
	return etcd_put(e, k, strlen(k), v, strlen(v), lease, rev);
}

/* The value of key k as a string ("" if absent), and the read's result. */
static int
get_s(struct etcd *e, const char *k, unsigned flags, char *val, size_t cap, int64_t *mod)
{
	struct etcd_kv *kv;
	int r = etcd_get(e, k, strlen(k), flags, &kv, NULL);
	val[0] = '\0';
	if (r == 0) {
		snprintf(val, cap, "%.*s", (int)kv->value_len, (const char *)kv->value);
		if (mod != NULL)
			*mod = kv->mod_revision;
		etcd_kv_free(kv);
	}
	return r;
}

/* ---- the watch's view ---- */

struct ev {
	bool deleted;
	char key[64];
	char val[64];
	int64_t mod;
	uint64_t at_us;
};

struct seen {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ev *ev;
	size_t n, cap;
	size_t connected, retries, compacted, failed, progress;
	int64_t compact_rev, progress_rev;
	int last_err;
	char endpoint[256];      /* of the last CONNECTED */
	char first_endpoint[256];
};

static void
seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
}

/* After the watch has stopped. */
static void
seen_free(struct seen *s)
{
	free(s->ev);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	memset(s, 0, sizeof(*s));
}

static void
on_watch(void *ctx, const struct etcd_watch_msg *m)
{
	struct seen *s = ctx;
	uint64_t t = now_us();

	pthread_mutex_lock(&s->mu);
	switch (m->kind) {
	case ETCD_WATCH_EVENTS:
		for (size_t i = 0; i < m->nevents; i++) {
			const struct etcd_kv *kv = &m->events[i].kv;
			if (s->n == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 256;
				s->ev = realloc(s->ev, s->cap * sizeof(*s->ev));
				if (s->ev == NULL)
					abort();
			}
			struct ev *e = &s->ev[s->n++];
			e->deleted = m->events[i].deleted;
			snprintf(e->key, sizeof(e->key), "%.*s", (int)kv->key_len, (const char *)kv->key);
			snprintf(e->val, sizeof(e->val), "%.*s", (int)kv->value_len,
			    (const char *)kv->value);
			e->mod = kv->mod_revision;
			e->at_us = t;
		}
		break;
	case ETCD_WATCH_PROGRESS:
		s->progress++;
		s->progress_rev = m->revision;
		break;
	case ETCD_WATCH_CONNECTED:
		if (s->connected++ == 0)
			snprintf(s->first_endpoint, sizeof(s->first_endpoint), "%s", m->endpoint);
		snprintf(s->endpoint, sizeof(s->endpoint), "%s", m->endpoint);
		break;
	case ETCD_WATCH_RETRY:
		s->retries++;
		s->last_err = m->err;
		break;
	case ETCD_WATCH_COMPACTED:
		s->compacted++;
		s->compact_rev = m->revision;
		break;
	case ETCD_WATCH_FAILED:
		s->failed++;
		s->last_err = m->err;
		break;
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Wait until *field >= min (a field of s), at most ms. */
static bool
wait_field(struct seen *s, const size_t *field, size_t min, unsigned ms)
{
	struct timespec ts;
	bool got;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->mu);
	while (*field < min && pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0)
		;
	got = *field >= min;
	pthread_mutex_unlock(&s->mu);
	return got;
}

/* The events seen are exactly "PUT k v" / "DELETE k" for keys
 * `fmt` % i, i in [from, to), each put followed by nothing else; with
 * strictly rising revisions. */
static void
check_puts(struct seen *s, size_t first_ev, const char *fmt, int from, int to, const char *what)
{
	char key[64];
	int64_t last = 0;

	pthread_mutex_lock(&s->mu);
	REQUIRE(s->n - first_ev == (size_t)(to - from), "%s: %zu events, expected %d", what,
	    s->n - first_ev, to - from);
	for (int i = from; i < to; i++) {
		const struct ev *e = &s->ev[first_ev + (size_t)(i - from)];
		snprintf(key, sizeof(key), fmt, i);
		REQUIRE(!e->deleted && strcmp(e->key, key) == 0, "%s: event %d is %s %s, expected PUT %s",
		    what, i, e->deleted ? "DELETE" : "PUT", e->key, key);
		REQUIRE(e->mod > last, "%s: revision %" PRId64 " after %" PRId64, what, e->mod, last);
		last = e->mod;
	}
	pthread_mutex_unlock(&s->mu);
}

static struct etcd_watch *
watch(struct etcd *e, struct seen *s, const char *prefix, int64_t from)
{
	struct etcd_watch *w;
	EXPECT_RC(etcd_watch_start(e, prefix, strlen(prefix), from, on_watch, s, &w), 0,
	    "etcd_watch_start");
	return w;
}

/* ---- scenarios ---- */

struct counter {
	int n;
	int64_t last_mod;
	char first[64], last[64];
	bool ordered;
};

static int
count_kv(void *ctx, const struct etcd_kv *kv)
{
	struct counter *c = ctx;
	char k[64];
	snprintf(k, sizeof(k), "%.*s", (int)kv->key_len, (const char *)kv->key);
	if (c->n == 0)
		snprintf(c->first, sizeof(c->first), "%s", k);
	else if (strcmp(k, c->last) <= 0)
		c->ordered = false;
	snprintf(c->last, sizeof(c->last), "%s", k);
	c->n++;
	return 0;
}

static int
stop_at_3(void *ctx, const struct etcd_kv *kv)
{
	(void)kv;
	return ++*(int *)ctx == 3 ? 42 : 0;
}

static void
scenario_kv(void)
{
	struct etcd *e = client();
	struct etcd_kv *kv;
	char val[64], key[32];
	int64_t rev, rev2, n;
	struct counter c = { .ordered = true };

	EXPECT_RC(put_s(e, "kv/a", "alpha", 0, &rev), 0, "put kv/a");
	REQUIRE(rev > 0, "put returns the revision (%" PRId64 ")", rev);
	EXPECT_RC(put_s(e, "kv/a", "beta", 0, &rev2), 0, "put kv/a again");
	REQUIRE(rev2 == rev + 1, "a second put is the next revision (%" PRId64 ")", rev2);
	EXPECT_RC(etcd_get(e, "kv/a", 4, 0, &kv, &rev), 0, "get kv/a");
	REQUIRE(kv->value_len == 4 && memcmp(kv->value, "beta", 4) == 0, "get gives the last value");
	REQUIRE(kv->mod_revision == rev2 && kv->create_revision == rev2 - 1 && kv->version == 2,
	    "get gives create %" PRId64 ", mod %" PRId64 ", version %" PRId64, kv->create_revision,
	    kv->mod_revision, kv->version);
	REQUIRE(kv->key_len == 4 && memcmp(kv->key, "kv/a", 4) == 0, "the key comes back without the prefix");
	REQUIRE(rev == rev2, "get's header revision is the store's");
	etcd_kv_free(kv);
	ok("put and get: value, revisions, version, key without the prefix");

	EXPECT_RC(etcd_get(e, "kv/none", 7, 0, &kv, &rev), DNSD_ENOTFOUND, "get a missing key");
	REQUIRE(kv == NULL && rev == rev2, "a miss still gives the revision");
	EXPECT_RC(get_s(e, "kv/a", ETCD_SERIALIZABLE, val, sizeof(val), NULL), 0, "serializable get");
	REQUIRE(strcmp(val, "beta") == 0, "serializable get gives '%s'", val);
	ok("a missing key is DNSD_ENOTFOUND with the revision; serializable reads work");

	/* binary key and value */
	static const uint8_t bk[] = { 'k', 'v', '/', 0, 0xff, '\n' }, bv[] = { 0, 1, 0xfe, '"' };
	EXPECT_RC(etcd_put(e, bk, sizeof(bk), bv, sizeof(bv), 0, NULL), 0, "put binary");
	EXPECT_RC(etcd_get(e, bk, sizeof(bk), 0, &kv, NULL), 0, "get binary");
	REQUIRE(kv->value_len == sizeof(bv) && memcmp(kv->value, bv, sizeof(bv)) == 0 &&
	    kv->key_len == sizeof(bk) && memcmp(kv->key, bk, sizeof(bk)) == 0, "binary round trip");
	etcd_kv_free(kv);
	ok("binary keys and values round-trip");

	/* a range over more keys than a page: one snapshot, in order */
	for (int i = 0; i < 250; i++) {
		snprintf(key, sizeof(key), "many/%04d", i);
		EXPECT_RC(put_s(e, key, "x", 0, NULL), 0, "put many/");
	}
	EXPECT_RC(put_s(e, "manx", "outside", 0, NULL), 0, "put manx");
	EXPECT_RC(etcd_range(e, "many/", 5, 0, 0, count_kv, &c, &rev), 0, "range many/");
	REQUIRE(c.n == 250 && c.ordered && strcmp(c.first, "many/0000") == 0 &&
	    strcmp(c.last, "many/0249") == 0, "range many/: %d keys, %s..%s, ordered %d", c.n, c.first,
	    c.last, c.ordered);
	ok("range over 250 keys in pages of %zu: every key once, in order, none outside", setup.range_page);
	int stopped = 0;
	EXPECT_RC(etcd_range(e, "many/", 5, 0, 0, stop_at_3, &stopped, NULL), 42, "range stopped");
	REQUIRE(stopped == 3, "the callback's value stops the range after 3 keys (%d)", stopped);
	ok("a range callback's non-zero value stops it and is returned");

	/* at an old revision: the snapshot then */
	int64_t before;
	EXPECT_RC(put_s(e, "snap/1", "a", 0, &before), 0, "put snap/1");
	EXPECT_RC(put_s(e, "snap/2", "b", 0, NULL), 0, "put snap/2");
	memset(&c, 0, sizeof(c));
	c.ordered = true;
	EXPECT_RC(etcd_range(e, "snap/", 5, before, 0, count_kv, &c, &rev), 0, "range at a revision");
	REQUIRE(c.n == 1 && rev == before, "range at revision %" PRId64 " sees %d key(s), rev %" PRId64,
	    before, c.n, rev);
	ok("a range at an older revision sees the data of then");

	/* deletes */
	EXPECT_RC(etcd_delete(e, "kv/a", 4, false, &n, &rev), 0, "delete kv/a");
	REQUIRE(n == 1, "delete counts 1 (%" PRId64 ")", n);
	EXPECT_RC(etcd_delete(e, "kv/a", 4, false, &n, NULL), 0, "delete kv/a again");
	REQUIRE(n == 0, "deleting nothing counts 0");
	EXPECT_RC(etcd_delete(e, "many/", 5, true, &n, NULL), 0, "delete many/");
	REQUIRE(n == 250, "delete many/ counts 250 (%" PRId64 ")", n);
	EXPECT_RC(get_s(e, "manx", 0, val, sizeof(val), NULL), 0, "manx survives");
	ok("delete of a key and of a prefix, with counts; a neighbour outside the prefix stays");

	/* limits */
	setup.max_request = 4096;
	struct etcd *small = client();
	static char big[8192];
	memset(big, 'v', sizeof(big));
	EXPECT_RC(etcd_put(small, "big", 3, big, sizeof(big), 0, NULL), DNSD_ETOOBIG, "put over max_request");
	etcd_free(small);
	setup.max_request = 0;
	setup.max_response = 2048;
	small = client();
	EXPECT_RC(etcd_put(small, "big", 3, big, 2000, 0, NULL), 0, "put 2000 bytes");
	EXPECT_RC(etcd_get(small, "big", 3, 0, &kv, NULL), DNSD_ETOOBIG, "get over max_response");
	/* a range whose pages are too large halves them until one fits */
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "mid/%02d", i);
		EXPECT_RC(etcd_put(small, key, strlen(key), big, 300, 0, NULL), 0, "put mid/");
	}
	memset(&c, 0, sizeof(c));
	c.ordered = true;
	EXPECT_RC(etcd_range(small, "mid/", 4, 0, 0, count_kv, &c, NULL), 0, "range with small pages");
	REQUIRE(c.n == 20 && c.ordered, "range mid/ gives %d keys", c.n);
	etcd_free(small);
	setup.max_response = 0;
	ok("limits: a request over max_request and a response over max_response are DNSD_ETOOBIG; "
	    "a range shrinks its pages to fit");
	etcd_free(e);
}

static void
scenario_txn(void)
{
	struct etcd *e = client();
	bool won;
	int64_t rev, mod;
	char val[64];

	etcd_delete(e, "txn/", 4, true, NULL, NULL);
	const struct etcd_cmp absent = { .key = "txn/a", .key_len = 5, .target = ETCD_CMP_CREATE,
		.op = ETCD_EQUAL, .number = 0 };
	const struct etcd_op put1 = { .type = ETCD_OP_PUT, .key = "txn/a", .key_len = 5,
		.value = "one", .value_len = 3 };
	const struct etcd_op put_other = { .type = ETCD_OP_PUT, .key = "txn/lost", .key_len = 8,
		.value = "else", .value_len = 4 };
	EXPECT_RC(etcd_txn(e, &absent, 1, &put1, 1, &put_other, 1, &won, &rev), 0, "txn create");
	REQUIRE(won && rev > 0, "create-if-absent succeeds on an absent key");
	EXPECT_RC(get_s(e, "txn/lost", 0, val, sizeof(val), NULL), DNSD_ENOTFOUND, "failure branch not run");
	EXPECT_RC(etcd_txn(e, &absent, 1, &put1, 1, &put_other, 1, &won, &rev), 0, "txn create again");
	REQUIRE(!won, "create-if-absent fails once the key exists");
	EXPECT_RC(get_s(e, "txn/lost", 0, val, sizeof(val), NULL), 0, "failure branch ran");
	ok("txn: create_revision == 0 (absent) holds once; the failure branch runs otherwise");

	EXPECT_RC(get_s(e, "txn/a", 0, val, sizeof(val), &mod), 0, "get txn/a");
	struct etcd_cmp at_mod = { .key = "txn/a", .key_len = 5, .target = ETCD_CMP_MOD,
		.op = ETCD_EQUAL, .number = mod };
	const struct etcd_op put2 = { .type = ETCD_OP_PUT, .key = "txn/a", .key_len = 5,
		.value = "two", .value_len = 3 };
	EXPECT_RC(etcd_txn(e, &at_mod, 1, &put2, 1, NULL, 0, &won, NULL), 0, "txn at mod");
	REQUIRE(won, "mod_revision == the one read holds");
	EXPECT_RC(etcd_txn(e, &at_mod, 1, &put2, 1, NULL, 0, &won, NULL), 0, "txn at stale mod");
	REQUIRE(!won, "a stale mod_revision fails");
	ok("txn: mod_revision equal holds for the revision read, not after a change");

	const struct etcd_cmp cmps[] = {
		{ .key = "txn/a", .key_len = 5, .target = ETCD_CMP_VALUE, .op = ETCD_EQUAL,
		  .value = "two", .value_len = 3 },
		{ .key = "txn/a", .key_len = 5, .target = ETCD_CMP_VERSION, .op = ETCD_GREATER, .number = 1 },
		{ .key = "txn/a", .key_len = 5, .target = ETCD_CMP_MOD, .op = ETCD_LESS, .number = mod + 100 },
		{ .key = "txn/", .key_len = 4, .prefix = true, .target = ETCD_CMP_CREATE,
		  .op = ETCD_GREATER, .number = 0 },
		{ .key = "txn/a", .key_len = 5, .target = ETCD_CMP_LEASE, .op = ETCD_EQUAL, .number = 0 },
	};
	const struct etcd_op ops[] = {
		{ .type = ETCD_OP_DELETE_PREFIX, .key = "txn/l", .key_len = 5 },
		{ .type = ETCD_OP_PUT, .key = "txn/b", .key_len = 5, .value = "bee", .value_len = 3 },
	};
	EXPECT_RC(etcd_txn(e, cmps, 5, ops, 2, NULL, 0, &won, NULL), 0, "txn of five compares");
	REQUIRE(won, "value ==, version >, mod <, a prefix's create > 0 and lease == 0 all hold");
	EXPECT_RC(get_s(e, "txn/lost", 0, val, sizeof(val), NULL), DNSD_ENOTFOUND, "prefix deleted in txn");
	EXPECT_RC(get_s(e, "txn/b", 0, val, sizeof(val), NULL), 0, "put in txn");
	struct etcd_cmp neq = cmps[0];
	neq.op = ETCD_NOT_EQUAL;
	EXPECT_RC(etcd_txn(e, &neq, 1, ops, 1, NULL, 0, &won, NULL), 0, "txn value !=");
	REQUIRE(!won, "value != fails for the same value");
	ok("txn: value, version, mod, prefix and lease comparisons; delete-prefix and put operations");

	/* a lease in a transaction's put */
	int64_t id;
	EXPECT_RC(etcd_lease_grant(e, 60, 0, &id, NULL, NULL), 0, "grant");
	const struct etcd_op lput = { .type = ETCD_OP_PUT, .key = "txn/leased", .key_len = 10,
		.value = "l", .value_len = 1, .lease = id };
	EXPECT_RC(etcd_txn(e, NULL, 0, &lput, 1, NULL, 0, &won, NULL), 0, "txn put with lease");
	struct etcd_kv *kv;
	EXPECT_RC(etcd_get(e, "txn/leased", 10, 0, &kv, NULL), 0, "get leased");
	REQUIRE(kv->lease == id, "the key carries the lease");
	etcd_kv_free(kv);
	EXPECT_RC(etcd_lease_revoke(e, id, NULL), 0, "revoke");
	ok("txn: a put with a lease");

	/* etcd refuses a key written twice in one branch */
	const struct etcd_op dup[] = { put1, put1 };
	EXPECT_RC(etcd_txn(e, NULL, 0, dup, 2, NULL, 0, &won, NULL), DNSD_EETCD, "duplicate key");
	ok("txn: a key written twice in a branch is DNSD_EETCD");
	etcd_free(e);
}

/* Two clients race to create the same keys: exactly one wins each. */
struct racer {
	int id;
	int rounds;
	int wins;
	pthread_barrier_t *bar;
};

static void *
race_main(void *arg)
{
	struct racer *r = arg;
	struct etcd *e = client();
	char key[32], mine[8];

	snprintf(mine, sizeof(mine), "r%d", r->id);
	for (int i = 0; i < r->rounds; i++) {
		snprintf(key, sizeof(key), "race/%d", i);
		struct etcd_cmp absent = { .key = key, .key_len = strlen(key), .target = ETCD_CMP_CREATE,
			.op = ETCD_EQUAL, .number = 0 };
		struct etcd_op put = { .type = ETCD_OP_PUT, .key = key, .key_len = strlen(key),
			.value = mine, .value_len = strlen(mine) };
		bool won;
		pthread_barrier_wait(r->bar);
		EXPECT_RC(etcd_txn(e, &absent, 1, &put, 1, NULL, 0, &won, NULL), 0, "race txn");
		r->wins += won;
	}
	etcd_free(e);
	return NULL;
}

static void
scenario_race(int rounds)
{
	struct etcd *e = client();
	pthread_barrier_t bar;
	pthread_t t[2];
	struct racer r[2];
	char val[16], key[32];

	etcd_delete(e, "race/", 5, true, NULL, NULL);
	pthread_barrier_init(&bar, NULL, 2);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct racer){ .id = i, .rounds = rounds, .bar = &bar };
		pthread_create(&t[i], NULL, race_main, &r[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	REQUIRE(r[0].wins + r[1].wins == rounds, "%d + %d wins in %d rounds", r[0].wins, r[1].wins, rounds);
	int by0 = 0;
	for (int i = 0; i < rounds; i++) {
		snprintf(key, sizeof(key), "race/%d", i);
		EXPECT_RC(get_s(e, key, 0, val, sizeof(val), NULL), 0, "get race key");
		by0 += strcmp(val, "r0") == 0;
	}
	REQUIRE(by0 == r[0].wins, "the stored values name the winners (%d vs %d)", by0, r[0].wins);
	ok("race: %d rounds of two concurrent create-if-absent txns on two connections: exactly one "
	    "wins each (%d/%d), and the value is the winner's", rounds, r[0].wins, r[1].wins);
	pthread_barrier_destroy(&bar);
	etcd_free(e);
}

static void
scenario_lease(int ttl)
{
	struct etcd *e = client();
	int64_t id, granted, left, full;
	char val[16];
	uint64_t t0;

	etcd_delete(e, "lease/", 6, true, NULL, NULL);
	EXPECT_RC(etcd_lease_grant(e, ttl, 0, &id, &granted, NULL), 0, "grant");
	REQUIRE(id != 0 && granted >= ttl, "lease %" PRId64 " granted for %" PRId64 " s", id, granted);
	EXPECT_RC(put_s(e, "lease/kept", "k", id, NULL), 0, "put with lease");
	EXPECT_RC(etcd_lease_ttl(e, id, &left, &full, NULL), 0, "ttl");
	REQUIRE(left <= full && full == granted && left >= granted - 1, "ttl %" PRId64 "/%" PRId64, left, full);
	ok("lease granted for %" PRId64 " s; timetolive reports it", granted);

	/* keepalive for twice the TTL keeps the key */
	t0 = now_us();
	while (now_us() - t0 < (uint64_t)granted * 2000000) {
		EXPECT_RC(etcd_lease_keepalive(e, id, &left, NULL), 0, "keepalive");
		REQUIRE(left == granted, "keepalive gives the full TTL (%" PRId64 ")", left);
		sleep_ms((unsigned)granted * 250);
	}
	EXPECT_RC(get_s(e, "lease/kept", 0, val, sizeof(val), NULL), 0, "key kept alive");
	ok("keepalive every TTL/4 for 2 x TTL keeps the key");

	/* without keepalive it goes, within TTL + 3 s */
	t0 = now_us();
	int r;
	while ((r = get_s(e, "lease/kept", 0, val, sizeof(val), NULL)) == 0 &&
	    now_us() - t0 < (uint64_t)(granted + 3) * 1000000)
		sleep_ms(100);
	EXPECT_RC(r, DNSD_ENOTFOUND, "key after the TTL");
	double gone = (double)(now_us() - t0) / 1e6;
	REQUIRE(gone >= (double)granted - 1.1, "the key went after %.1f s, before the TTL", gone);
	EXPECT_RC(etcd_lease_keepalive(e, id, &left, NULL), DNSD_ENOTFOUND, "keepalive of an expired lease");
	EXPECT_RC(etcd_lease_ttl(e, id, &left, NULL, NULL), DNSD_ENOTFOUND, "ttl of an expired lease");
	ok("without keepalive the key disappears after %.1f s (TTL %" PRId64 "); the lease is then "
	    "DNSD_ENOTFOUND to keepalive and timetolive", gone, granted);

	/* revoke: keys go at once */
	EXPECT_RC(etcd_lease_grant(e, 60, 0, &id, NULL, NULL), 0, "grant 60");
	EXPECT_RC(put_s(e, "lease/revoked", "r", id, NULL), 0, "put with lease");
	EXPECT_RC(etcd_lease_revoke(e, id, NULL), 0, "revoke");
	EXPECT_RC(get_s(e, "lease/revoked", 0, val, sizeof(val), NULL), DNSD_ENOTFOUND, "revoked key");
	EXPECT_RC(etcd_lease_revoke(e, id, NULL), DNSD_ENOTFOUND, "revoke again");
	EXPECT_RC(put_s(e, "lease/x", "x", id, NULL), DNSD_ENOTFOUND, "put with a revoked lease");
	ok("revoke deletes the lease's keys at once; a revoked lease is DNSD_ENOTFOUND");

	/* a chosen id */
	int64_t mine = 0x1234567, got;
	EXPECT_RC(etcd_lease_grant(e, 30, mine, &got, NULL, NULL), 0, "grant with id");
	REQUIRE(got == mine, "the lease has the id asked for");
	EXPECT_RC(etcd_lease_revoke(e, got, NULL), 0, "revoke it");
	ok("a lease id chosen by the caller");
	etcd_free(e);
}

/* Puts and deletes under a prefix, seen in order by a watch; a key
 * outside is not seen. */
static void
scenario_watch(void)
{
	struct etcd *e = client();
	struct seen s;
	struct etcd_watch *w;
	int64_t rev;
	char key[32], v[32];

	seen_init(&s);
	EXPECT_RC(put_s(e, "w/before", "old", 0, &rev), 0, "put before the watch");
	w = watch(e, &s, "w/", rev + 1);
	REQUIRE(wait_field(&s, &s.connected, 1, 5000), "the watch connects");
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "w/%02d", i);
		snprintf(v, sizeof(v), "v%d", i);
		EXPECT_RC(put_s(e, key, v, 0, NULL), 0, "put");
		EXPECT_RC(put_s(e, "wx/outside", v, 0, NULL), 0, "put outside");
		if (i % 5 == 4)
			EXPECT_RC(etcd_delete(e, key, strlen(key), false, NULL, NULL), 0, "delete");
	}
	REQUIRE(wait_field(&s, &s.n, 24, 5000), "24 events arrive (%zu)", s.n);
	sleep_ms(300);
	pthread_mutex_lock(&s.mu);
	REQUIRE(s.n == 24, "exactly 24 events, no more (%zu)", s.n);
	size_t k = 0;
	int64_t last = rev;
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "w/%02d", i);
		snprintf(v, sizeof(v), "v%d", i);
		REQUIRE(!s.ev[k].deleted && strcmp(s.ev[k].key, key) == 0 && strcmp(s.ev[k].val, v) == 0,
		    "event %zu: PUT %s %s (got %s %s)", k, key, v, s.ev[k].key, s.ev[k].val);
		REQUIRE(s.ev[k].mod > last, "revisions rise");
		last = s.ev[k++].mod;
		if (i % 5 == 4) {
			REQUIRE(s.ev[k].deleted && strcmp(s.ev[k].key, key) == 0, "event %zu: DELETE %s", k, key);
			REQUIRE(s.ev[k].mod > last, "revisions rise");
			last = s.ev[k++].mod;
		}
	}
	pthread_mutex_unlock(&s.mu);
	ok("watch from a revision: 20 puts and 4 deletes in order, keys outside the prefix unseen");

	/* a quiet stream stays up: progress requests keep it alive */
	size_t retries = s.retries;
	sleep_ms(setup.watch_stall_ms ? setup.watch_stall_ms * 2 : 12000);
	REQUIRE(s.retries == retries, "a quiet watch did not reconnect (%zu retries)", s.retries - retries);
	ok("a quiet watch stays connected past 2 x the stall time (its member answers the liveness probes)");
	etcd_watch_stop(w);
	seen_free(&s);

	/* from an older revision: the history since */
	seen_init(&s);
	w = watch(e, &s, "w/", rev);
	REQUIRE(wait_field(&s, &s.n, 25, 5000), "the history arrives (%zu)", s.n);
	REQUIRE(strcmp(s.ev[0].key, "w/before") == 0, "starting at the revision of w/before");
	etcd_watch_stop(w);
	seen_free(&s);
	ok("a watch from an older revision replays the history from there");
	etcd_free(e);
}

/* Puts fo/FROM..fo/TO-1 through e, each retried while a new leader is
 * elected or a stopped member times out. Each is a create-if-absent txn:
 * a request that timed out at a SIGSTOPped member is still in its socket
 * and runs when the member goes on, after the retry elsewhere did the
 * job; as a plain put it would then write the key a second time (an
 * event the watch rightly delivers), as a txn its compare fails. A retry
 * whose compare fails finds the key written by an earlier attempt. */
static void
put_range(struct etcd *e, int from, int to)
{
	char key[32];
	int r;

	for (int i = from; i < to; i++) {
		snprintf(key, sizeof(key), "fo/%03d", i);
		struct etcd_cmp absent = { .key = key, .key_len = strlen(key), .target = ETCD_CMP_CREATE,
			.op = ETCD_EQUAL, .number = 0 };
		struct etcd_op put = { .type = ETCD_OP_PUT, .key = key, .key_len = strlen(key),
			.value = "x", .value_len = 1 };
		bool won;
		for (int tries = 0; (r = etcd_txn(e, &absent, 1, &put, 1, NULL, 0, &won, NULL)) != 0 &&
		     tries < 40; tries++)
			sleep_ms(250);
		EXPECT_RC(r, 0, "put");
	}
}

/* A watch "from now" whose member the shell kills (or stops) before the
 * first event, then, with that member back, the one it moved to: every
 * put is delivered exactly once, in order, across both moves. */
static void
scenario_watch_failover(const char *how)
{
	struct etcd *e = client();
	struct seen s;
	struct etcd_watch *w;
	char what[320], first[256], second[256];
	uint64_t t0;

	seen_init(&s);
	etcd_delete(e, "fo/", 3, true, NULL, NULL);
	w = watch(e, &s, "fo/", 0);
	REQUIRE(wait_field(&s, &s.connected, 1, 5000), "the watch connects");
	snprintf(first, sizeof(first), "%s", s.endpoint);
	snprintf(what, sizeof(what), "%s %s", how, first);
	wait_shell(what);
	t0 = now_us();
	put_range(e, 0, 50);
	REQUIRE(wait_field(&s, &s.connected, 2, 30000), "the watch reconnects");
	REQUIRE(wait_field(&s, &s.n, 50, 15000), "50 events (%zu)", s.n);
	double t1 = (double)(now_us() - t0) / 1e6;
	pthread_mutex_lock(&s.mu);
	snprintf(second, sizeof(second), "%s", s.endpoint);
	pthread_mutex_unlock(&s.mu);
	REQUIRE(strcmp(second, first) != 0, "now on another member (%s)", second);
	check_puts(&s, 0, "fo/%03d", 0, 50, "first move");
	ok("watch from now, %s of its member %s before any event: on %s, the 50 puts made meanwhile "
	    "delivered once, in order (%.1f s)", how, first, second, t1);

	wait_shell("revive");
	snprintf(what, sizeof(what), "%s %s", how, second);
	wait_shell(what);
	t0 = now_us();
	put_range(e, 50, 100);
	REQUIRE(wait_field(&s, &s.connected, 3, 30000), "the watch reconnects again");
	REQUIRE(wait_field(&s, &s.n, 100, 15000), "100 events in all (%zu)", s.n);
	double t2 = (double)(now_us() - t0) / 1e6;
	sleep_ms(300);
	check_puts(&s, 0, "fo/%03d", 0, 100, "second move");
	pthread_mutex_lock(&s.mu);
	REQUIRE(strcmp(s.endpoint, second) != 0, "moved again (%s)", s.endpoint);
	ok("%s of the next member %s: resumed on %s after the last revision delivered, 100 puts in "
	    "all, each once, in order (%.1f s, %zu retries)", how, second, s.endpoint, t2, s.retries);
	pthread_mutex_unlock(&s.mu);
	wait_shell("revive");
	etcd_watch_stop(w);
	seen_free(&s);
	etcd_free(e);
}

/* The shell compacted at the revision this scenario printed. */
static void
scenario_compact(void)
{
	struct etcd *e = client();
	struct seen s;
	struct etcd_watch *w;
	int64_t first, last;
	char key[32], what[64];
	struct counter c = { .ordered = true };

	seen_init(&s);
	EXPECT_RC(put_s(e, "cmp/0", "x", 0, &first), 0, "put");
	for (int i = 1; i < 10; i++) {
		snprintf(key, sizeof(key), "cmp/%d", i);
		EXPECT_RC(put_s(e, key, "x", 0, &last), 0, "put");
	}
	snprintf(what, sizeof(what), "compact %" PRId64, last);
	wait_shell(what);
	EXPECT_RC(etcd_range(e, "cmp/", 4, first, 0, count_kv, &c, NULL), DNSD_ECOMPACTED,
	    "range at a compacted revision");
	EXPECT_RC(etcd_range(e, "cmp/", 4, last, 0, count_kv, &c, NULL), 0, "range at the compaction");
	REQUIRE(c.n == 10, "the compaction revision itself is readable (%d keys)", c.n);
	ok("range at a compacted revision: DNSD_ECOMPACTED; at the compaction revision: fine");
	w = watch(e, &s, "cmp/", first);
	REQUIRE(wait_field(&s, &s.compacted, 1, 5000), "the watch reports compaction");
	REQUIRE(s.compact_rev == last, "compacted up to %" PRId64 " (%" PRId64 ")", last, s.compact_rev);
	REQUIRE(s.n == 0 && s.retries == 0, "and delivers nothing");
	etcd_watch_stop(w);
	seen_free(&s);
	ok("a watch from a compacted revision reports ETCD_WATCH_COMPACTED with the compact revision");
	/* the resync: range, then watch from its revision + 1 */
	int64_t rev;
	memset(&c, 0, sizeof(c));
	c.ordered = true;
	EXPECT_RC(etcd_range(e, "cmp/", 4, 0, 0, count_kv, &c, &rev), 0, "range now");
	seen_init(&s);
	w = watch(e, &s, "cmp/", rev + 1);
	EXPECT_RC(put_s(e, "cmp/new", "y", 0, NULL), 0, "put after");
	REQUIRE(wait_field(&s, &s.n, 1, 5000) && strcmp(s.ev[0].key, "cmp/new") == 0,
	    "the resynchronised watch sees the next put only");
	etcd_watch_stop(w);
	seen_free(&s);
	ok("resync: a range, then a watch from its revision + 1, sees what follows and nothing twice");
	etcd_free(e);
}

/* Two of three members are killed by the shell; then restarted. */
static void
scenario_quorum(void)
{
	struct etcd *e = client();
	struct seen s;
	struct etcd_watch *w;
	char val[32];
	int64_t rev, id;
	uint64_t t0;
	double t;
	int r;
	bool won;

	seen_init(&s);
	int64_t lease, ttl;
	EXPECT_RC(etcd_lease_grant(e, 30, 0, &lease, NULL, NULL), 0, "grant with quorum");
	EXPECT_RC(put_s(e, "q/a", "before", 0, &rev), 0, "put with quorum");
	w = watch(e, &s, "q/", rev + 1);
	REQUIRE(wait_field(&s, &s.connected, 1, 5000), "the watch connects");
	wait_shell("kill2");
	sleep_ms(1500); /* the survivor notices (election timeout 1 s) */

	double limit = (double)(setup.request_timeout_ms ? setup.request_timeout_ms : 5000) / 1e3 + 1;
	/* Outside the watched prefix: a put that times out without quorum
	 * may still sit in the old leader's log and be committed once the
	 * members return (etcd's timeouts say "unknown", not "failed"), and
	 * the watch below must see the write after the restart alone. */
	t0 = now_us();
	r = put_s(e, "nq/a", "during", 0, NULL);
	t = (double)(now_us() - t0) / 1e6;
	EXPECT_RC(r, DNSD_EUNAVAIL, "put without quorum");
	REQUIRE(t <= limit, "put failed after %.2f s, within %.1f s", t, limit);
	ok("without quorum a put is DNSD_EUNAVAIL after %.2f s", t);
	const struct etcd_op op = { .type = ETCD_OP_PUT, .key = "nq/t", .key_len = 4, .value = "t",
		.value_len = 1 };
	t0 = now_us();
	EXPECT_RC(etcd_txn(e, NULL, 0, &op, 1, NULL, 0, &won, NULL), DNSD_EUNAVAIL, "txn without quorum");
	t = (double)(now_us() - t0) / 1e6;
	REQUIRE(t <= limit, "txn failed after %.2f s", t);
	t0 = now_us();
	EXPECT_RC(etcd_lease_grant(e, 10, 0, &id, NULL, NULL), DNSD_EUNAVAIL, "grant without quorum");
	double tg = (double)(now_us() - t0) / 1e6;
	t0 = now_us();
	EXPECT_RC(etcd_lease_keepalive(e, lease, &ttl, NULL), DNSD_EUNAVAIL, "keepalive without quorum");
	ok("without quorum a txn (%.2f s), a lease grant (%.2f s) and a keepalive (%.2f s) are "
	    "DNSD_EUNAVAIL", t, tg, (double)(now_us() - t0) / 1e6);
	t0 = now_us();
	r = get_s(e, "q/a", 0, val, sizeof(val), NULL);
	t = (double)(now_us() - t0) / 1e6;
	EXPECT_RC(r, DNSD_EUNAVAIL, "linearizable get without quorum");
	ok("without quorum a linearizable get is DNSD_EUNAVAIL after %.2f s", t);
	t0 = now_us();
	r = get_s(e, "q/a", ETCD_SERIALIZABLE, val, sizeof(val), NULL);
	t = (double)(now_us() - t0) / 1e6;
	EXPECT_RC(r, 0, "serializable get without quorum");
	REQUIRE(strcmp(val, "before") == 0, "serializable get gives '%s'", val);
	ok("without quorum a serializable get still answers from the survivor ('%s', %.2f s)", val, t);
	REQUIRE(wait_field(&s, &s.retries, 1, 15000), "the watch notices the loss of quorum");
	ok("the watch gives up its stream without quorum (%s)", dnsd_strerror(s.last_err));

	wait_shell("restart2");
	t0 = now_us();
	for (int tries = 0; (r = put_s(e, "q/a", "after", 0, NULL)) != 0 && tries < 60; tries++)
		sleep_ms(500);
	EXPECT_RC(r, 0, "put after the restart");
	t = (double)(now_us() - t0) / 1e6;
	EXPECT_RC(get_s(e, "q/a", 0, val, sizeof(val), NULL), 0, "get after the restart");
	REQUIRE(strcmp(val, "after") == 0, "the write after the restart is read back");
	REQUIRE(wait_field(&s, &s.n, 1, 20000), "the watch delivers the put after the restart");
	REQUIRE(strcmp(s.ev[0].val, "after") == 0, "and only that one ('%s')", s.ev[0].val);
	EXPECT_RC(etcd_lease_keepalive(e, lease, &ttl, NULL), 0, "keepalive after the restart");
	ok("after the restart writes work again (%.1f s), the lease granted before is kept alive, and "
	    "the watch resumes by itself", t);
	etcd_watch_stop(w);
	seen_free(&s);
	etcd_free(e);
}

/* Authentication: works, survives token expiry, refuses a bad password. */
static void
scenario_auth(const char *bad_user, const char *bad_password)
{
	struct etcd *e = client();
	struct seen s;
	struct etcd_watch *w;
	char val[32];
	int64_t rev;

	seen_init(&s);
	EXPECT_RC(put_s(e, "auth/a", "1", 0, &rev), 0, "put as the user");
	EXPECT_RC(get_s(e, "auth/a", 0, val, sizeof(val), NULL), 0, "get as the user");
	w = watch(e, &s, "auth/", rev + 1);
	REQUIRE(wait_field(&s, &s.connected, 1, 5000), "the watch connects with a token");
	ok("a user with a password: put, get, watch");
	sleep_ms(3500); /* the test's etcd has --auth-token-ttl 2 */
	EXPECT_RC(put_s(e, "auth/b", "2", 0, NULL), 0, "put after the token expired");
	REQUIRE(wait_field(&s, &s.n, 1, 10000), "the watch sees it");
	ok("after the token expired (--auth-token-ttl 2): a new one is fetched, the put works");
	etcd_watch_stop(w);
	seen_free(&s);
	etcd_free(e);

	const char *user = setup.user;
	setup.password = "wrong";
	e = client();
	EXPECT_RC(put_s(e, "auth/c", "3", 0, NULL), -EACCES, "put with a bad password");
	etcd_free(e);
	setup.user = bad_user;
	setup.password = bad_password;
	e = client();
	EXPECT_RC(put_s(e, "auth/c", "3", 0, NULL), -EACCES, "put without permission");
	etcd_free(e);
	setup.user = NULL;
	setup.password = NULL;
	e = client();
	EXPECT_RC(put_s(e, "auth/c", "3", 0, NULL), -EACCES, "put without a user");
	etcd_free(e);
	setup.user = user;
	ok("a bad password, a user without permission on the prefix, no user: -EACCES");
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* n puts, one at a time, each waiting for its watch event: the latency
 * of a put and of a put seen by a watch. */
static void
scenario_bench(int n)
{
	struct etcd *e = client();
	struct seen s;
	struct etcd_watch *w;
	uint64_t *put = calloc((size_t)n, sizeof(*put)), *seen = calloc((size_t)n, sizeof(*seen));
	char key[32];
	int64_t rev;

	REQUIRE(put != NULL && seen != NULL, "memory");
	seen_init(&s);
	etcd_delete(e, "bench/", 6, true, NULL, &rev);
	w = watch(e, &s, "bench/", rev + 1);
	REQUIRE(wait_field(&s, &s.connected, 1, 5000), "the watch connects");
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "bench/%d", i % 100);
		uint64_t t0 = now_us();
		EXPECT_RC(put_s(e, key, "x", 0, NULL), 0, "put");
		put[i] = now_us() - t0;
		REQUIRE(wait_field(&s, &s.n, (size_t)i + 1, 5000), "event %d seen", i);
		pthread_mutex_lock(&s.mu);
		seen[i] = s.ev[i].at_us - t0;
		pthread_mutex_unlock(&s.mu);
	}
	etcd_watch_stop(w);
	seen_free(&s);
	qsort(put, (size_t)n, sizeof(*put), cmp_u64);
	qsort(seen, (size_t)n, sizeof(*seen), cmp_u64);
	ok("bench: %d puts on loopback: put p50 %.2f ms p99 %.2f ms; put until seen by a watch "
	    "p50 %.2f ms p99 %.2f ms max %.2f ms", n, put[n / 2] / 1e3, put[n * 99 / 100] / 1e3,
	    seen[n / 2] / 1e3, seen[n * 99 / 100] / 1e3, seen[n - 1] / 1e3);
	free(put);
	free(seen);
	etcd_free(e);
}

static void
usage(void)
{
	fprintf(stderr, "usage: etcdcheck -e URL[,URL...] [-p PREFIX] [-u USER -P PASS] "
	    "[--ca F --cert F --key F] [-t MS] [-s STALL_MS]\n"
	    "  kv | txn | race N | lease TTL | watch | failover kill|stop | compact | quorum |\n"
	    "  auth BADUSER BADPASS | bench N\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static char eplist[1024];
	int i = 1;

	log_init(true, LOG_LVL_WARN);
	setup.prefix = "/dnsdtest/";
	setup.range_page = 64;
	for (; i < argc && argv[i][0] == '-'; i += 2) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			usage();
		if (strcmp(o, "-e") == 0) {
			snprintf(eplist, sizeof(eplist), "%s", v);
			for (char *save, *t = strtok_r(eplist, ",", &save); t && setup.nendpoints < 8;
			    t = strtok_r(NULL, ",", &save))
				eps[setup.nendpoints++] = t;
			setup.endpoints = eps;
		} else if (strcmp(o, "-p") == 0) {
			setup.prefix = v;
		} else if (strcmp(o, "-u") == 0) {
			setup.user = v;
		} else if (strcmp(o, "-P") == 0) {
			setup.password = v;
		} else if (strcmp(o, "--ca") == 0) {
			setup.ca_file = v;
		} else if (strcmp(o, "--cert") == 0) {
			setup.cert_file = v;
		} else if (strcmp(o, "--key") == 0) {
			setup.key_file = v;
		} else if (strcmp(o, "-t") == 0) {
			setup.request_timeout_ms = (unsigned)atoi(v);
		} else if (strcmp(o, "-s") == 0) {
			setup.watch_stall_ms = (unsigned)atoi(v);
			setup.watch_progress_ms = setup.watch_stall_ms / 3;
		} else {
			usage();
		}
	}
	if (i >= argc || setup.nendpoints == 0)
		usage();
	const char *sc = argv[i], *a1 = i + 1 < argc ? argv[i + 1] : NULL;
	const char *a2 = i + 2 < argc ? argv[i + 2] : NULL;
	if (strcmp(sc, "kv") == 0)
		scenario_kv();
	else if (strcmp(sc, "txn") == 0)
		scenario_txn();
	else if (strcmp(sc, "race") == 0 && a1)
		scenario_race(atoi(a1));
	else if (strcmp(sc, "lease") == 0 && a1)
		scenario_lease(atoi(a1));
	else if (strcmp(sc, "watch") == 0)
		scenario_watch();
	else if (strcmp(sc, "failover") == 0 && a1)
		scenario_watch_failover(a1);
	else if (strcmp(sc, "compact") == 0)
		scenario_compact();
	else if (strcmp(sc, "quorum") == 0)
		scenario_quorum();
	else if (strcmp(sc, "auth") == 0 && a1 && a2)
		scenario_auth(a1, a2);
	else if (strcmp(sc, "bench") == 0 && a1)
		scenario_bench(atoi(a1));
	else
		usage();
	return 0;
}
