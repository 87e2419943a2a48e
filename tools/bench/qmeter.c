/* qmeter.c -- the query path in-process: query_answer() over a query file,
 * to be counted in instructions per query under callgrind or perf.
 *
 *   qmeter [-E] [-D] [-c HEX] [-b SIZE] [-t] [-r ROUNDS] [-u [-W] [-C SIZE]]
 *          [-B] ZONEFILE ORIGIN QUERIES
 *
 * It imports ZONEFILE as zone ORIGIN into a fresh store in a temporary
 * folder, with the configuration and import code dnsd itself uses
 * (conf_add_zone, zonetab_build, zone_open_all, as net/server.c does),
 * turns each "NAME TYPE" line of QUERIES (dnsperf's input format) into a
 * query message (RD set, as dnsperf sends it), then calls query_answer()
 * for every message, ROUNDS times, from one read transaction, and prints
 *
 *   queries answered: 40000 of 40000 (2 rounds of 20000)
 *   average answer size: 139.2 bytes
 *   rcodes: NOERROR 36000, NXDOMAIN 4000
 *
 * Options: -E no EDNS (plain DNS; EDNS is on by default, UDP size 1232 or
 * -b SIZE); -D set the DO bit; -c HEX add a DNS cookie option (RFC 7873)
 * with these bytes (8 for a client cookie, 16-40 with a server cookie);
 * -t answer as over TCP (no UDP size limit). -B: QUERIES is a dnsperf -B
 * file (each message after its 2-byte length), sent as it is (the options
 * above do not apply). Exit 0, 1 on an error, 2 on bad arguments.
 *
 * What it measures is the query path alone: parsing, the LMDB look-up,
 * the answer plan and its encoding, without sockets and without the
 * threads. -u answers as a UDP worker does instead (respond.h): the
 * request's cookie checked (with a server cookie of its own), the answer
 * cache asked first (-C SIZE, default 16M, 0 none), the rate limit
 * counted (the client is 192.0.2.1, not exempt; rate 10^6 a second, so
 * that no answer is held back); -W answers the file once before the
 * measured rounds, so that they find the cache warm. The loop is
 * meter_run(): `valgrind --tool=callgrind --toggle-collect=meter_run`
 * counts only it (tools/bench/qpath does). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include "conf/conf.h"
#include "cookie/cookie.h"
#include "query/query.h"
#include "query/respond.h"
#include "rrl/rrl.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"
#include "zone/zone.h"

#define QMETER_MSG_MAX 512      /* header, question, OPT with a cookie */
#define QMETER_OUT_MAX 65535
#define QMETER_EDNS_SIZE 1232
#define QMETER_COOKIE_MAX 40    /* RFC 7873 section 4: 8 + 8..32 */

/* How the query messages are built. */
struct qmeter_opts {
	bool edns;
	bool edns_do;
	uint16_t udp_size;
	uint8_t cookie[QMETER_COOKIE_MAX];
	size_t cookie_len;  /* 0: no cookie option */
	bool tcp;
	unsigned long rounds;
	bool udp;          /* -u: through respond.h */
	bool warm;         /* -W */
	bool binary;       /* -B */
	size_t cache;      /* -C */
};

/* The query messages, one after the other in one buffer. */
struct qmeter_msgs {
	uint8_t *buf;
	size_t *off, *len;
	size_t n, cap, used, bufcap;
};

/* What meter_run() counted. */
struct qmeter_tally {
	unsigned long long sent, answered, bytes, other;
	unsigned long long rcode[16];
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: qmeter [-E] [-D] [-c HEX] [-b SIZE] [-t] [-r ROUNDS] "
	    "[-u [-W] [-C SIZE]] [-B] ZONEFILE ORIGIN QUERIES\n"
	    "  -E       no EDNS (default: EDNS, UDP size 1232)\n"
	    "  -D       set the DO bit (EDNS)\n"
	    "  -c HEX   add a DNS cookie option with these bytes (8-40)\n"
	    "  -b SIZE  EDNS UDP size (512-65535)\n"
	    "  -t       answer as over TCP\n"
	    "  -r N     answer the whole query file N times (default 1)\n"
	    "  -u       answer as a UDP worker: cookies, answer cache, rate limit\n"
	    "  -W       with -u: answer the file once before measuring (warm cache)\n"
	    "  -C SIZE  with -u: answer cache bytes (default 16777216; 0: none)\n"
	    "  -B       QUERIES is a dnsperf -B binary file\n");
}

/* The cookie option's bytes from hex; false if not 8 or 16-40 bytes. */
static bool
parse_cookie(const char *s, struct qmeter_opts *o)
{
	int n = conf_hex(s, o->cookie, QMETER_COOKIE_MAX);
	if (n < 0)
		return false;
	o->cookie_len = (size_t)n;
	return o->cookie_len == 8 || o->cookie_len >= 16;
}

/* One query message for name/type into out (QMETER_MSG_MAX bytes):
 * header with RD, the question, and the OPT record unless -E. Returns its
 * length, or 0 if the name is not valid. */
static size_t
build_query(const struct qmeter_opts *o, uint16_t id, const char *name,
    uint16_t type, uint8_t *out)
{
	uint8_t qname[WIRE_NAME_MAX];
	size_t qlen = wire_name_from_str(name, qname), n = 0;

	if (qlen == 0)
		return 0;
	wire_put16(out, id);
	wire_put16(out + 2, 0x0100); /* RD, as dnsperf sends */
	wire_put16(out + 4, 1);
	wire_put16(out + 6, 0);
	wire_put16(out + 8, 0);
	wire_put16(out + 10, o->edns ? 1 : 0);
	n = 12;
	memcpy(out + n, qname, qlen);
	n += qlen;
	wire_put16(out + n, type);
	wire_put16(out + n + 2, 1); /* IN */
	n += 4;
	if (o->edns) {
		uint16_t rdlen = o->cookie_len ? (uint16_t)(4 + o->cookie_len) : 0;

		out[n++] = 0;                       /* root owner */
		wire_put16(out + n, 41);            /* OPT */
		wire_put16(out + n + 2, o->udp_size);
		out[n + 4] = 0;                     /* extended RCODE */
		out[n + 5] = 0;                     /* version */
		wire_put16(out + n + 6, o->edns_do ? 0x8000 : 0);
		wire_put16(out + n + 8, rdlen);
		n += 10;
		if (o->cookie_len) {
			wire_put16(out + n, EDNS_OPT_COOKIE);
			wire_put16(out + n + 2, (uint16_t)o->cookie_len);
			memcpy(out + n + 4, o->cookie, o->cookie_len);
			n += 4 + o->cookie_len;
		}
	}
	return n;
}

static int
msgs_add(struct qmeter_msgs *m, const uint8_t *msg, size_t len)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4096;
		size_t *off = realloc(m->off, cap * sizeof(*off));
		if (off == NULL)
			return -ENOMEM;
		m->off = off;
		size_t *l = realloc(m->len, cap * sizeof(*l));
		if (l == NULL)
			return -ENOMEM;
		m->len = l;
		m->cap = cap;
	}
	if (m->used + len > m->bufcap) {
		size_t cap = m->bufcap ? m->bufcap * 2 : 1 << 20;
		uint8_t *b = realloc(m->buf, cap);
		if (b == NULL)
			return -ENOMEM;
		m->buf = b;
		m->bufcap = cap;
	}
	memcpy(m->buf + m->used, msg, len);
	m->off[m->n] = m->used;
	m->len[m->n] = len;
	m->used += len;
	m->n++;
	return 0;
}

/* Reads a dnsperf -B file: each message after its 2-byte length. */
static int
read_binary(const char *path, struct qmeter_msgs *m)
{
	FILE *f = fopen(path, "rb");
	uint8_t len[2], msg[65535];
	if (f == NULL) {
		fprintf(stderr, "qmeter: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fread(len, 1, 2, f) == 2) {
		size_t n = (size_t)len[0] << 8 | len[1];
		if (fread(msg, 1, n, f) != n || msgs_add(m, msg, n) != 0) {
			fprintf(stderr, "qmeter: %s: truncated, or out of memory\n", path);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (m->n == 0) {
		fprintf(stderr, "qmeter: %s: no queries\n", path);
		return -1;
	}
	return 0;
}

/* Reads "NAME TYPE" lines (blank lines and ';' comments skipped) and
 * builds a message for each. Returns 0, or -1 with the error printed. */
static int
read_queries(const char *path, const struct qmeter_opts *o,
    struct qmeter_msgs *m)
{
	FILE *f = fopen(path, "r");
	char line[1024], name[1024], type[64];
	uint8_t msg[QMETER_MSG_MAX];
	unsigned long lineno = 0;

	if (f == NULL) {
		fprintf(stderr, "qmeter: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		ldns_rr_type t;
		size_t len;

		lineno++;
		if (sscanf(line, "%1023s %63s", name, type) != 2 || name[0] == ';') {
			if (sscanf(line, "%1023s", name) == 1 && name[0] != ';') {
				fprintf(stderr, "qmeter: %s:%lu: expected NAME TYPE\n",
				    path, lineno);
				fclose(f);
				return -1;
			}
			continue;
		}
		t = ldns_get_rr_type_by_name(type);
		len = t == 0 ? 0 :
		    build_query(o, (uint16_t)m->n, name, (uint16_t)t, msg);
		if (len == 0) {
			fprintf(stderr, "qmeter: %s:%lu: bad name or type '%s %s'\n",
			    path, lineno, name, type);
			fclose(f);
			return -1;
		}
		if (msgs_add(m, msg, len) != 0) {
			fprintf(stderr, "qmeter: out of memory\n");
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (m->n == 0) {
		fprintf(stderr, "qmeter: %s: no queries\n", path);
		return -1;
	}
	return 0;
}

/*
 * The measured loop: every message, `rounds` times, through
 * query_answer(). Kept out of line under this name so that callgrind's
 * --toggle-collect=meter_run counts it and nothing else.
 */
__attribute__((noinline)) void meter_run(struct respond *resp,
    const struct qmeter_msgs *m, const struct qmeter_opts *o, unsigned long rounds,
    uint32_t now, uint8_t *out, struct qmeter_tally *t);

/* The client of -u. */
static struct sockaddr_in peer4;

/* The loop itself; meter_run() is the measured call of it, -W's warm-up
 * round an unmeasured one. */
static __attribute__((noinline)) void
meter_loop(struct respond *resp, const struct qmeter_msgs *m,
    const struct qmeter_opts *o, unsigned long rounds, uint32_t now, uint8_t *out,
    struct qmeter_tally *t)
{
	struct query_info info;
	struct respond_req rq;
	const struct sockaddr *peer = (const struct sockaddr *)&peer4;

	for (unsigned long r = 0; r < rounds; r++) {
		for (size_t i = 0; i < m->n; i++) {
			const uint8_t *in = m->buf + m->off[i];
			size_t n;
			if (o->udp) {
				respond_prepare(resp, &rq, peer, in, m->len[i], now);
				n = respond_answer(resp, &rq, peer, in, m->len[i], out,
				    QMETER_OUT_MAX, now);
				info.action = n > 0 ? QUERY_REPLY : rq.info.action;
			} else {
				n = query_answer(&resp->q, in, m->len[i], out,
				    QMETER_OUT_MAX, o->tcp, now, &info);
			}

			t->sent++;
			if (info.action != QUERY_REPLY || n < WIRE_HDR_LEN) {
				t->other++;
				continue;
			}
			t->answered++;
			t->bytes += n;
			t->rcode[out[3] & 0x0f]++;
		}
	}
}

void
meter_run(struct respond *resp, const struct qmeter_msgs *m, const struct qmeter_opts *o,
    unsigned long rounds, uint32_t now, uint8_t *out, struct qmeter_tally *t)
{
	meter_loop(resp, m, o, rounds, now, out, t);
}

static void
print_tally(const struct qmeter_tally *t, const struct qmeter_msgs *m,
    const struct qmeter_opts *o)
{
	static const char *const names[16] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
	};
	const char *sep = "";

	printf("queries answered: %llu of %llu (%lu round%s of %zu)\n",
	    t->answered, t->sent, o->rounds, o->rounds == 1 ? "" : "s", m->n);
	printf("average answer size: %.1f bytes\n",
	    t->answered ? (double)t->bytes / (double)t->answered : 0.0);
	printf("rcodes:");
	for (int i = 0; i < 16; i++) {
		if (t->rcode[i] == 0)
			continue;
		if (names[i])
			printf("%s %s %llu", sep, names[i], t->rcode[i]);
		else
			printf("%s RCODE%d %llu", sep, i, t->rcode[i]);
		sep = ",";
	}
	printf("\n");
	if (t->other)
		printf("not answered (dropped, or not a query): %llu\n", t->other);
}

/* Removes the temporary store: its two LMDB files and the folders. */
static void
remove_tmp(const char *dir)
{
	static const char *const files[] = { "store/data.mdb", "store/lock.mdb" };
	char p[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/store", dir);
	rmdir(p);
	rmdir(dir);
}

int
main(int argc, char **argv)
{
	struct qmeter_opts o = { .edns = true, .udp_size = QMETER_EDNS_SIZE,
	    .rounds = 1 };
	struct qmeter_msgs m = { 0 };
	struct qmeter_tally t = { 0 };
	struct conf conf;
	struct zonetab zones = { 0 };
	struct store *store = NULL;
	struct store_txn *txn = NULL;
	struct respond resp = { 0 };
	struct qmeter_tally warm = { 0 };
	struct cookie_gen *cookies = NULL;
	uint8_t master[COOKIE_SECRET_LEN] = { 0 };
	char tmp[] = "/tmp/qmeter.XXXXXX", storedir[64], spec[4096];
	uint8_t *out = NULL;
	uint32_t now;
	char *end;
	bool have_tmp = false;
	int ch, rc, status = 1;

	o.cache = 16 << 20;
	while ((ch = getopt(argc, argv, "EDc:b:tr:uWC:Bh")) != -1) {
		switch (ch) {
		case 'u': o.udp = true; break;
		case 'W': o.warm = true; break;
		case 'B': o.binary = true; break;
		case 'C':
			errno = 0;
			o.cache = strtoul(optarg, &end, 10);
			if (errno || *end) {
				fprintf(stderr, "qmeter: -C takes a size in bytes\n");
				return 2;
			}
			break;
		case 'E': o.edns = false; break;
		case 'D': o.edns_do = true; break;
		case 'c':
			if (!parse_cookie(optarg, &o)) {
				fprintf(stderr, "qmeter: -c takes 8 or 16-40 bytes "
				    "in hex\n");
				return 2;
			}
			break;
		case 'b':
			errno = 0;
			o.udp_size = (uint16_t)strtoul(optarg, &end, 10);
			if (errno || *end || o.udp_size < 512) {
				fprintf(stderr, "qmeter: -b takes 512-65535\n");
				return 2;
			}
			break;
		case 't': o.tcp = true; break;
		case 'r':
			errno = 0;
			o.rounds = strtoul(optarg, &end, 10);
			if (errno || *end || o.rounds == 0) {
				fprintf(stderr, "qmeter: -r takes a count above 0\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 3) {
		usage(stderr);
		return 2;
	}
	if (!o.edns && (o.edns_do || o.cookie_len)) {
		fprintf(stderr, "qmeter: -D and -c need EDNS (no -E)\n");
		return 2;
	}
	if (o.tcp && o.udp) {
		fprintf(stderr, "qmeter: -t and -u exclude each other\n");
		return 2;
	}
	if ((o.binary ? read_binary(argv[optind + 2], &m) : read_queries(argv[optind + 2], &o, &m)) != 0)
		return 1;

	log_set_level(LOG_LVL_WARN);
	conf_init(&conf);
	if (mkdtemp(tmp) == NULL) {
		fprintf(stderr, "qmeter: mkdtemp: %s\n", strerror(errno));
		goto out;
	}
	have_tmp = true;
	snprintf(storedir, sizeof(storedir), "%s/store", tmp);
	snprintf(spec, sizeof(spec), "%s:%s", argv[optind + 1], argv[optind]);
	now = clock_now();
	if ((rc = conf_add_zone(&conf, spec)) != 0 ||
	    (rc = zonetab_build(&zones, &conf)) != 0 ||
	    (rc = store_open(&store, storedir, 0)) != 0 ||
	    (rc = zone_open_all(store, &zones, false, now)) != 0 ||
	    (rc = store_read_begin(store, &txn)) != 0) {
		fprintf(stderr, "qmeter: cannot load zone %s from %s: %s\n",
		    argv[optind + 1], argv[optind], dnsd_strerror(rc));
		goto out;
	}
	if ((out = malloc(QMETER_OUT_MAX)) == NULL) {
		fprintf(stderr, "qmeter: out of memory\n");
		goto out;
	}
	query_ctx_configure(&resp.q, &conf);
	resp.q.txn = txn;
	resp.q.zones = &zones;
	if (o.udp) {
		conf.rrl_rate = 1000000;
		conf.rrl_rate_set = true;
		resp.conf = &conf;
		peer4.sin_family = AF_INET;
		peer4.sin_port = htons(5353);
		inet_pton(AF_INET, "192.0.2.1", &peer4.sin_addr);
		if (cookie_gen_new(master, conf_cookie_rotation(&conf), &cookies) != 0 ||
		    (o.cache > 0 && (resp.cache = qcache_new(o.cache)) == NULL) ||
		    (resp.rrl = rrl_new(conf_rrl_size(&conf))) == NULL) {
			fprintf(stderr, "qmeter: cannot set up the UDP path\n");
			goto out;
		}
		resp.q.cookies = cookies;
		resp.snap = respond_snapshot(store_read_snapshot(txn), 1);
	}
	if (o.warm)
		meter_loop(&resp, &m, &o, 1, now, out, &warm);
	meter_run(&resp, &m, &o, o.rounds, now, out, &t);
	print_tally(&t, &m, &o);
	status = 0;
out:
	free(out);
	qcache_free(resp.cache);
	rrl_free(resp.rrl);
	cookie_gen_free(cookies);
	if (txn != NULL)
		store_abort(txn);
	store_close(store);
	zonetab_free(&zones);
	conf_free(&conf);
	if (have_tmp)
		remove_tmp(tmp);
	free(m.buf);
	free(m.off);
	free(m.len);
	return status;
}
