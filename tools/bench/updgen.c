/* updgen.c -- benchmark load generator for RFC 2136 UPDATE (TSIG-signed).
 *
 * Stand-in for `dnsd-update bench` until that exists: same options, same
 * output line.  Each update adds one SRV and one A record for a new name:
 *
 *   PFX-T-K._bench._tcp.ZONE. 120 IN SRV 0 0 9000 PFX-T-K-h.ZONE.
 *   PFX-T-K-h.ZONE.           120 IN A   10.200.x.y
 *
 * (T = client thread, K = sequence number), signed with TSIG, sent over
 * UDP, one thread per client, each blocking on its answer before sending
 * the next.  A timed-out update is re-sent (same bytes) up to 3 times.
 *
 *   updgen -n N -c C -s ADDR@PORT -y hmac-sha256:name:secret -z ZONE
 *          [-p PREFIX] [-V] [-L LEASE] [-t TIMEOUT_MS]
 *
 *   -V        after each acknowledged update, query the SRV name (plain
 *             query, same server) until it is answered, and report the
 *             time from the acknowledgement to the first answer showing it
 *   -L LEASE  add an EDNS(0) UPDATE-LEASE option (code 2, RFC 9664) of
 *             LEASE seconds
 *
 * Prints one line:
 *   updates/s: X p50_ms: Y p99_ms: Z failed: F [vis_p50_ms: A vis_p99_ms: B vis_max_ms: C vis_missed: M]
 * Exit status 0 if every update was acknowledged with NOERROR.
 *
 * Build: gcc -O2 -pthread -o updgen updgen.c -lldns
 * Only ever talks to the address it is given (the harness gives 127.0.0.1).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#define MAXTRIES 3
#define VIS_LIMIT_MS 5000.0

static struct {
	long n;
	int c;
	struct sockaddr_in addr;
	char keyname[256];
	char alg[64];
	char secret[256];
	char zone[256];
	char prefix[64];
	int visibility;
	long lease;
	int timeout_ms;
} opt = { .n = 1000, .c = 1, .prefix = "u", .timeout_ms = 2000 };

struct worker {
	pthread_t tid;
	int idx;
	long first, count;
	double *lat;      /* per-update ack latency, ms */
	double *vis;      /* per-update visibility delay, ms (-V) */
	long ok, failed, vis_missed, nvis;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *msg)
{
	fprintf(stderr, "updgen: %s\n", msg);
	exit(2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const double *v, long n, double p)
{
	if (n <= 0)
		return 0;
	long i = (long)(p / 100.0 * (double)(n - 1) + 0.5);
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* Send buf and wait for an answer with the same id; returns the answer's
 * length, or -1 on timeout. */
static ssize_t exchange(int fd, const uint8_t *buf, size_t len, uint16_t id,
                        uint8_t *ans, size_t anslen, int timeout_ms)
{
	if (send(fd, buf, len, 0) < 0)
		return -1;
	double deadline = now_ms() + timeout_ms;
	for (int guard = 0; guard < 1000; guard++) {
		int left = (int)(deadline - now_ms());
		if (left <= 0)
			return -1;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, left);
		if (r <= 0)
			continue;
		ssize_t n = recv(fd, ans, anslen, 0);
		if (n < 12)
			continue;
		if (((ans[0] << 8) | ans[1]) == id)
			return n;
		/* a late answer to an earlier try: ignore it */
	}
	return -1;
}

static uint8_t *make_update(struct worker *w, long k, uint16_t id, size_t *len,
                            char *srvname, size_t srvname_len)
{
	char host[512], line[2048];
	snprintf(srvname, srvname_len, "%s-%d-%ld._bench._tcp.%s.", opt.prefix, w->idx, k, opt.zone);
	snprintf(host, sizeof host, "%s-%d-%ld-h.%s.", opt.prefix, w->idx, k, opt.zone);

	ldns_rr_list *up = ldns_rr_list_new();
	ldns_rr *rr = NULL;
	snprintf(line, sizeof line, "%s 120 IN SRV 0 0 9000 %s", srvname, host);
	if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK)
		die("bad SRV record text");
	ldns_rr_list_push_rr(up, rr);
	unsigned long a = (unsigned long)w->idx * 1000003UL + (unsigned long)k;
	snprintf(line, sizeof line, "%s 120 IN A 10.200.%lu.%lu", host, (a >> 8) & 255, a & 255);
	rr = NULL;
	if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK)
		die("bad A record text");
	ldns_rr_list_push_rr(up, rr);

	char zdot[300];
	snprintf(zdot, sizeof zdot, "%s.", opt.zone);
	ldns_rdf *zrdf = ldns_dname_new_frm_str(zdot);
	if (!zrdf)
		die("bad zone name");
	ldns_pkt *p = ldns_update_pkt_new(zrdf, LDNS_RR_CLASS_IN, NULL, up, NULL);
	ldns_rr_list_deep_free(up);
	if (!p)
		die("ldns_update_pkt_new failed");
	ldns_pkt_set_rd(p, false);
	ldns_pkt_set_id(p, id);
	if (opt.lease > 0) {
		uint8_t o[8] = { 0, 2, 0, 4, (uint8_t)(opt.lease >> 24), (uint8_t)(opt.lease >> 16),
		                 (uint8_t)(opt.lease >> 8), (uint8_t)opt.lease };
		ldns_pkt_set_edns_udp_size(p, 1232);
		ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, sizeof o, o));
	}
	if (opt.keyname[0]) {
		ldns_status s = ldns_pkt_tsig_sign(p, opt.keyname, opt.secret, 300, opt.alg, NULL);
		if (s != LDNS_STATUS_OK) {
			fprintf(stderr, "updgen: TSIG signing failed: %s\n", ldns_get_errorstr_by_id(s));
			exit(2);
		}
	}
	uint8_t *wire = NULL;
	if (ldns_pkt2wire(&wire, p, len) != LDNS_STATUS_OK)
		die("ldns_pkt2wire failed");
	ldns_pkt_free(p);
	return wire;
}

static uint8_t *make_query(const char *name, uint16_t id, size_t *len)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	ldns_pkt *q = ldns_pkt_query_new(d, LDNS_RR_TYPE_SRV, LDNS_RR_CLASS_IN, 0);
	if (!q)
		die("ldns_pkt_query_new failed");
	ldns_pkt_set_id(q, id);
	uint8_t *wire = NULL;
	if (ldns_pkt2wire(&wire, q, len) != LDNS_STATUS_OK)
		die("ldns_pkt2wire failed");
	ldns_pkt_free(q);
	return wire;
}

static const char *rcode_name(int rcode)
{
	static const char *names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
	                               "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
	                               "NOTZONE" };
	if (rcode >= 0 && rcode < (int)(sizeof names / sizeof names[0]))
		return names[rcode];
	return "RCODE?";
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&opt.addr, sizeof opt.addr) < 0)
		die("cannot open UDP socket");
	uint8_t ans[65536];
	unsigned seed = (unsigned)(time(NULL) ^ (w->idx * 7919));
	for (long j = 0; j < w->count; j++) {
		long k = w->first + j;
		uint16_t id = (uint16_t)rand_r(&seed);
		char srvname[512];
		size_t len = 0;
		uint8_t *wire = make_update(w, k, id, &len, srvname, sizeof srvname);
		double t0 = now_ms();
		ssize_t n = -1;
		for (int t = 0; t < MAXTRIES && n < 0; t++)
			n = exchange(fd, wire, len, id, ans, sizeof ans, opt.timeout_ms);
		double t1 = now_ms();
		free(wire);
		int rcode = n >= 12 ? (ans[3] & 0x0f) : -1;
		if (rcode != 0) {
			if (w->failed < 5)
				fprintf(stderr, "updgen: update %s: %s\n", srvname,
				        rcode < 0 ? "no answer" : rcode_name(rcode));
			w->failed++;
			continue;
		}
		w->lat[w->ok] = t1 - t0;
		if (opt.visibility) {
			double seen = -1;
			for (int guard = 0; guard < 100000 && now_ms() - t1 < VIS_LIMIT_MS; guard++) {
				uint16_t qid = (uint16_t)rand_r(&seed);
				size_t ql = 0;
				uint8_t *q = make_query(srvname, qid, &ql);
				ssize_t m = exchange(fd, q, ql, qid, ans, sizeof ans, 1000);
				free(q);
				if (m >= 12 && (ans[3] & 0x0f) == 0 && ((ans[6] << 8) | ans[7]) > 0) {
					seen = now_ms() - t1;
					break;
				}
			}
			if (seen < 0)
				w->vis_missed++;
			else
				w->vis[w->nvis++] = seen;
		}
		w->ok++;
	}
	close(fd);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: updgen -n N -c C -s ADDR@PORT -y hmac-sha256:name:secret -z ZONE\n"
	                "              [-p PREFIX] [-V] [-L LEASE] [-t TIMEOUT_MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int ch;
	char server[128] = "";
	while ((ch = getopt(argc, argv, "n:c:s:y:z:p:VL:t:h")) != -1) {
		switch (ch) {
		case 'n': opt.n = atol(optarg); break;
		case 'c': opt.c = atoi(optarg); break;
		case 's': snprintf(server, sizeof server, "%s", optarg); break;
		case 'y': {
			/* alg:name:secret (alg optional, as nsupdate -y) */
			char buf[600];
			snprintf(buf, sizeof buf, "%s", optarg);
			char *a = buf, *b = strchr(a, ':');
			if (!b)
				usage();
			*b++ = 0;
			char *c = strchr(b, ':');
			if (c) {
				*c++ = 0;
				snprintf(opt.alg, sizeof opt.alg, "%.60s.", a);
				snprintf(opt.keyname, sizeof opt.keyname, "%.250s", b);
				snprintf(opt.secret, sizeof opt.secret, "%.250s", c);
			} else {
				snprintf(opt.alg, sizeof opt.alg, "hmac-md5.sig-alg.reg.int.");
				snprintf(opt.keyname, sizeof opt.keyname, "%.250s", a);
				snprintf(opt.secret, sizeof opt.secret, "%.250s", b);
			}
			break;
		}
		case 'z': snprintf(opt.zone, sizeof opt.zone, "%s", optarg); break;
		case 'p': snprintf(opt.prefix, sizeof opt.prefix, "%s", optarg); break;
		case 'V': opt.visibility = 1; break;
		case 'L': opt.lease = atol(optarg); break;
		case 't': opt.timeout_ms = atoi(optarg); break;
		default: usage();
		}
	}
	size_t zl = strlen(opt.zone);
	if (zl && opt.zone[zl - 1] == '.')
		opt.zone[zl - 1] = 0;
	if (!server[0] || !opt.zone[0] || opt.n <= 0 || opt.c <= 0 || opt.c > 1024)
		usage();
	char *at = strchr(server, '@');
	int port = 53;
	if (at) {
		*at = 0;
		port = atoi(at + 1);
	}
	opt.addr.sin_family = AF_INET;
	opt.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, server, &opt.addr.sin_addr) != 1)
		die("server must be an IPv4 address");

	struct worker *ws = calloc((size_t)opt.c, sizeof *ws);
	long base = opt.n / opt.c, extra = opt.n % opt.c, first = 0;
	for (int i = 0; i < opt.c; i++) {
		ws[i].idx = i;
		ws[i].first = first;
		ws[i].count = base + (i < extra);
		first += ws[i].count;
		ws[i].lat = calloc((size_t)ws[i].count + 1, sizeof(double));
		ws[i].vis = calloc((size_t)ws[i].count + 1, sizeof(double));
	}
	double t0 = now_ms();
	for (int i = 0; i < opt.c; i++)
		if (pthread_create(&ws[i].tid, NULL, run_worker, &ws[i]) != 0)
			die("pthread_create failed");
	for (int i = 0; i < opt.c; i++)
		pthread_join(ws[i].tid, NULL);
	double elapsed = now_ms() - t0;

	long ok = 0, failed = 0, missed = 0, nvis = 0;
	for (int i = 0; i < opt.c; i++) {
		ok += ws[i].ok;
		failed += ws[i].failed;
		missed += ws[i].vis_missed;
	}
	double *lat = calloc((size_t)ok + 1, sizeof(double));
	double *vis = calloc((size_t)ok + 1, sizeof(double));
	long li = 0;
	for (int i = 0; i < opt.c; i++) {
		memcpy(lat + li, ws[i].lat, (size_t)ws[i].ok * sizeof(double));
		li += ws[i].ok;
		memcpy(vis + nvis, ws[i].vis, (size_t)ws[i].nvis * sizeof(double));
		nvis += ws[i].nvis;
	}
	qsort(lat, (size_t)ok, sizeof(double), cmp_double);
	printf("updates/s: %.1f p50_ms: %.3f p99_ms: %.3f failed: %ld",
	       elapsed > 0 ? ok / (elapsed / 1e3) : 0.0, pct(lat, ok, 50), pct(lat, ok, 99), failed);
	if (opt.visibility) {
		qsort(vis, (size_t)nvis, sizeof(double), cmp_double);
		printf(" vis_p50_ms: %.3f vis_p99_ms: %.3f vis_max_ms: %.3f vis_missed: %ld",
		       pct(vis, nvis, 50), pct(vis, nvis, 99), nvis ? vis[nvis - 1] : 0.0, missed);
	}
	printf("\n");
	return failed ? 1 : 0;
}
