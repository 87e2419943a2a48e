/* qpath_bench.c -- the query path in process: query_answer() over a fixed
 * list of queries, for instruction counts (callgrind) and timings
 *
 * Not a test and not run by `make check`: it is a noinst program. It
 * imports two zones (copies of the two zone files in zones/, plus a
 * leased and an expired dynamic record) into a temporary store with the
 * unit-test fixture
 * (testzone.c), then answers the same QUERIES queries ROUNDS times,
 * renewing the read transaction once per round as a worker does once per
 * batch. Only qpath_run() answers queries, so
 *
 *   valgrind --tool=callgrind --toggle-collect=qpath_run \
 *       tests/unit/qpath_bench 2000
 *
 * counts the instructions of the query path alone: Ir / (rounds * QUERIES)
 * is the cost of one query. Without valgrind it prints the time per query.
 * The checksum of every answer is printed too: two builds that answer the
 * same bytes print the same checksum.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query/query.h"
#include "store/store.h"
#include "testzone.h"
#include "wire/wire.h"

#define NOW 1700000000u

static const char svc_zone[] =
	"$ORIGIN svc.example.test.\n"
	"$TTL 300\n"
	"@ IN SOA ns1.svc.example.test. hostmaster.example.test. 2026113001 3600 600 1209600 60\n"
	"            IN NS   ns1\n"
	"ns1         IN A    127.0.0.1\n"
	"web-1       IN A    10.0.0.5\n"
	"            IN AAAA 2001:db8::5\n"
	"web-2       IN A    10.0.0.6\n"
	"            IN AAAA 2001:db8::6\n"
	"api-1       IN A    10.0.1.10\n"
	"db-1        IN A    10.0.2.20\n"
	"_http._tcp  IN SRV  10 60 8080 web-1\n"
	"            IN SRV  10 40 8080 web-2\n"
	"_api._tcp   IN SRV  0 0 9000 api-1\n"
	"_postgresql._tcp IN SRV 0 0 5432 db-1\n"
	"_services._dns-sd._udp IN PTR _http._tcp\n"
	"                       IN PTR _api._tcp\n"
	"_http._tcp  IN PTR  web-1._http._tcp\n"
	"            IN PTR  web-2._http._tcp\n"
	"web-1._http._tcp IN SRV 0 0 8080 web-1\n"
	"                 IN TXT \"path=/\" \"version=2\"\n"
	"web-2._http._tcp IN SRV 0 0 8080 web-2\n"
	"                 IN TXT \"path=/\" \"version=2\"\n"
	"_api._tcp   IN PTR  api-1._api._tcp\n"
	"api-1._api._tcp IN SRV 0 0 9000 api-1\n"
	"                IN TXT \"path=/v1\"\n"
	"_v2._sub._http._tcp IN PTR web-1._http._tcp\n"
	"web         IN A    10.0.0.5\n"
	"            IN A    10.0.0.6\n"
	"www         IN CNAME web\n";

static const char example_zone[] =
	"$ORIGIN example.test.\n"
	"$TTL 3600\n"
	"@       IN SOA  ns1.example.test. hostmaster.example.test. 2026113001 3600 600 1209600 300\n"
	"        IN NS   ns1\n"
	"        IN MX   10 mail\n"
	"        IN TXT  \"v=spf1 -all\"\n"
	"ns1     IN A    127.0.0.1\n"
	"mail    IN A    192.0.2.25\n"
	"*.apps  IN A    192.0.2.80\n"
	"lab     IN NS   ns.lab\n"
	"ns.lab  IN A    192.0.2.53\n"
	"opaque  IN TYPE65280 \\# 4 0a000001\n";

/* The queries: every kind of answer the query path gives. */
static const struct {
	const char *name;
	uint16_t type;
} queries[] = {
	{ "web-1.svc.example.test.", 1 },                    /* answer */
	{ "web-1.svc.example.test.", 28 },                   /* AAAA */
	{ "_http._tcp.svc.example.test.", 33 },              /* SRV + additionals */
	{ "_http._tcp.svc.example.test.", 12 },              /* DNS-SD browse */
	{ "_services._dns-sd._udp.svc.example.test.", 12 },  /* service types */
	{ "web-1._http._tcp.svc.example.test.", 16 },        /* TXT */
	{ "www.svc.example.test.", 1 },                      /* CNAME */
	{ "nothere.svc.example.test.", 1 },                  /* NXDOMAIN */
	{ "web-1.svc.example.test.", 15 },                   /* NODATA */
	{ "_tcp.svc.example.test.", 1 },                     /* empty non-terminal */
	{ "svc.example.test.", 6 },                          /* SOA at the apex */
	{ "dyn.svc.example.test.", 1 },                      /* leased record */
	{ "gone.svc.example.test.", 1 },                     /* expired: NXDOMAIN */
	{ "x.apps.example.test.", 1 },                       /* wildcard */
	{ "www.lab.example.test.", 1 },                      /* referral */
	{ "mail.example.test.", 1 },                         /* answer, other zone */
	{ "example.org.", 1 },                               /* REFUSED */
};
#define QUERIES (sizeof(queries) / sizeof(queries[0]))

struct msg {
	uint8_t b[512];
	size_t len;
};

/* A query with EDNS (1232 bytes, no options) and RD clear. */
static size_t
make_query(uint8_t *b, uint16_t id, const char *name, uint16_t type)
{
	uint8_t qname[WIRE_NAME_MAX];
	size_t n = wire_name_from_str(name, qname);
	if (n == 0)
		return 0;
	memset(b, 0, 12);
	wire_put16(b, id);
	wire_put16(b + 4, 1);  /* QDCOUNT */
	wire_put16(b + 10, 1); /* ARCOUNT */
	memcpy(b + 12, qname, n);
	size_t o = 12 + n;
	wire_put16(b + o, type);
	wire_put16(b + o + 2, 1);
	o += 4;
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	memcpy(b + o, opt, sizeof(opt));
	return o + sizeof(opt);
}

/* The measured part: `rounds` times every query, one read snapshot per
 * round. Returns a checksum of the answers. */
__attribute__((noinline)) static uint64_t
qpath_run(struct testzone *tz, const struct msg *q, unsigned rounds)
{
	uint8_t out[1232];
	struct query_info info;
	uint64_t sum = 0;
	for (unsigned r = 0; r < rounds; r++) {
		store_read_reset(tz->txn);
		if (store_read_renew(tz->txn) != 0)
			return 0;
		for (size_t i = 0; i < QUERIES; i++) {
			size_t n = query_answer(&tz->ctx, q[i].b, q[i].len, out, sizeof(out), false,
			    NOW, &info);
			for (size_t j = 0; j < n; j++)
				sum = sum * 31 + out[j];
			sum += n;
		}
	}
	return sum;
}

int
main(int argc, char **argv)
{
	static const uint8_t dyn_a[4] = { 10, 7, 0, 1 }, gone_a[4] = { 10, 7, 0, 2 };
	struct testzone_src src[] = {
		{ "svc.example.test", svc_zone },
		{ "example.test", example_zone },
	};
	struct testzone tz;
	struct msg q[QUERIES];
	unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 2000;
	/* qpath_bench [ROUNDS [-v]]: -v first prints what each query gets. */
	int rc;

	if (rounds == 0) {
		fprintf(stderr, "usage: qpath_bench [ROUNDS [-v]]\n");
		return 2;
	}
	for (size_t i = 0; i < QUERIES; i++) {
		if ((q[i].len = make_query(q[i].b, (uint16_t)(0x1000 + i), queries[i].name,
		    queries[i].type)) == 0) {
			fprintf(stderr, "qpath_bench: bad name %s\n", queries[i].name);
			return 1;
		}
	}
	if ((rc = testzone_open(&tz, src, 2, NOW)) != 0 ||
	    (rc = testzone_add(&tz, "dyn.svc.example.test.", 1, 60, NOW + 3600, true, dyn_a, 4)) != 0 ||
	    (rc = testzone_add(&tz, "gone.svc.example.test.", 1, 60, NOW - 10, true, gone_a, 4)) != 0) {
		fprintf(stderr, "qpath_bench: setup failed (%d)\n", rc);
		testzone_close(&tz);
		return 1;
	}
	if (argc > 2 && strcmp(argv[2], "-v") == 0) {
		/* What each query gets: RCODE and section counts. */
		uint8_t out[1232];
		struct query_info info;
		for (size_t i = 0; i < QUERIES; i++) {
			size_t n = query_answer(&tz.ctx, q[i].b, q[i].len, out, sizeof(out), false, NOW,
			    &info);
			printf("%-42s %5u  rcode %u an %u ns %u ar %u  %zu bytes\n", queries[i].name,
			    queries[i].type, n >= 12 ? out[3] & 15u : 99u, n >= 12 ? wire_get16(out + 6) : 0,
			    n >= 12 ? wire_get16(out + 8) : 0, n >= 12 ? wire_get16(out + 10) : 0, n);
		}
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t sum = qpath_run(&tz, q, rounds);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("queries %lu  checksum %016llx  %.1f ns/query\n", (unsigned long)(rounds * QUERIES),
	    (unsigned long long)sum, ns / ((double)rounds * QUERIES));
	testzone_close(&tz);
	return sum == 0;
}
