/* svcput.c -- test helper: write a service instance with checks straight
 * into the store (while dnsd is NOT running), or read one back
 *
 * Until the HTTP API can register instances with checks, t_checks.sh
 * makes them with this. It writes as the writer does: one transaction,
 * svc_put and svc_flush (the views), the serial and journal of the zone,
 * the catalog index.
 *
 *   svcput -c CONF put NAME --id ID --host HOST --port N [--addr IPV4]
 *          [--check KIND,INTERVAL_MS,TIMEOUT_MS,DEREG_S,STATUS,ID,TARGET]...
 *   svcput -c CONF get ID   (read-only; dnsd may run)
 *
 * KIND is http, tcp or ttl; STATUS passing, warning or critical; TARGET
 * (last, it may hold commas) a URL or host:port. `get` prints
 * "health STATUS" and one "check ID STATUS OUTPUT" line per check; exit
 * 0, 1 if there is no such instance, 2 on errors.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

static int
usage(void)
{
	fprintf(stderr, "usage: svcput -c CONF put NAME --id ID --host HOST --port N [--addr A]"
	                " [--check KIND,INTERVAL_MS,TIMEOUT_MS,DEREG_S,STATUS,ID,TARGET]...\n"
	                "       svcput -c CONF get ID\n");
	return 2;
}

/* KIND,INTERVAL_MS,TIMEOUT_MS,DEREG_S,STATUS,ID,TARGET */
static int
parse_check(const char *spec, struct svc_check *k)
{
	char kind[16], status[16];
	int off = 0;
	memset(k, 0, sizeof(*k));
	if (sscanf(spec, "%15[^,],%u,%u,%u,%15[^,],%127[^,],%n", kind, &k->interval_ms,
	        &k->timeout_ms, &k->deregister_s, status, k->id, &off) != 6 || off == 0)
		return -1;
	snprintf(k->target, sizeof(k->target), "%s", spec + off);
	if (strcmp(kind, "http") == 0)
		k->kind = SVC_CHECK_HTTP;
	else if (strcmp(kind, "tcp") == 0)
		k->kind = SVC_CHECK_TCP;
	else if (strcmp(kind, "ttl") == 0)
		k->kind = SVC_CHECK_TTL;
	else
		return -1;
	int h = svc_health_parse(status);
	if (h < 0)
		return -1;
	k->status = (enum svc_health)h;
	k->since = clock_now();
	snprintf(k->name, sizeof(k->name), "%s check", kind);
	return 0;
}

static int
put(struct runtime *rt, int argc, char **argv)
{
	static struct svc_instance in; /* large */
	uint8_t host[WIRE_NAME_MAX];
	svc_instance_init(&in);
	if (argc < 1 || wire_name_from_str(argv[0], in.name) == 0)
		return usage();
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			return usage();
		i++;
		if (strcmp(o, "--id") == 0) {
			snprintf(in.id, sizeof(in.id), "%s", v);
		} else if (strcmp(o, "--host") == 0) {
			if (wire_name_from_str(v, host) == 0)
				return usage();
			memcpy(in.target, host, sizeof(host));
		} else if (strcmp(o, "--port") == 0) {
			in.port = (uint16_t)atoi(v);
		} else if (strcmp(o, "--addr") == 0 && in.naddrs < SVC_ADDRS_MAX) {
			in.addrs[in.naddrs].family = AF_INET;
			if (inet_pton(AF_INET, v, in.addrs[in.naddrs++].addr) != 1)
				return usage();
		} else if (strcmp(o, "--check") == 0 && in.nchecks < SVC_CHECKS_MAX) {
			if (parse_check(v, &in.checks[in.nchecks++]) != 0)
				return usage();
		} else {
			return usage();
		}
	}
	uint32_t now = clock_now();
	in.ttl = 1;
	in.origin = SVC_FROM_HTTP;
	in.health = SVC_PASSING;
	for (size_t i = 0; i < in.nchecks; i++)
		if (in.checks[i].status > in.health)
			in.health = in.checks[i].status;
	in.health_since = now;
	const struct zone *z = zonetab_find(&rt->zones, in.name);
	if (z == NULL) {
		fprintf(stderr, "svcput: %s is in no zone of the configuration\n", argv[0]);
		return 2;
	}
	struct store *s;
	struct store_txn *t;
	struct svc_ctx x;
	int rc = store_open(&s, rt->conf->store_dir, rt->conf->store_size);
	if (rc != 0) {
		fprintf(stderr, "svcput: store: %s\n", dnsd_strerror(rc));
		return 2;
	}
	if ((rc = zone_open_all(s, &rt->zones, false, now)) != 0 ||
	    (rc = store_write_begin(s, &t)) != 0) {
		store_close(s);
		fprintf(stderr, "svcput: %s\n", dnsd_strerror(rc));
		return 2;
	}
	store_track_changes(t);
	svc_ctx_init(&x, t, &rt->zones, now);
	struct store_soa old;
	uint32_t serial;
	uint64_t index;
	if ((rc = zone_soa(t, z, &old)) != 0 || (rc = svc_put(&x, z, &in)) != 0 ||
	    (rc = svc_flush(&x)) != 0 || (rc = store_catalog_bump(t, &index)) != 0 ||
	    (store_changes_pending(t, z->id) && (rc = zone_journal_change(t, z, &old, &serial)) != 0)) {
		store_abort(t);
		store_close(s);
		fprintf(stderr, "svcput: %s\n", dnsd_strerror(rc));
		return 2;
	}
	rc = store_commit(t);
	store_close(s);
	if (rc != 0) {
		fprintf(stderr, "svcput: commit: %s\n", dnsd_strerror(rc));
		return 2;
	}
	return 0;
}

static int
get(struct runtime *rt, const char *id)
{
	static struct svc_instance in;
	const struct zone *z;
	struct store *s;
	struct store_txn *t;
	int rc = store_open_readonly(&s, rt->conf->store_dir);
	if (rc != 0 || (rc = store_read_begin(s, &t)) != 0) {
		fprintf(stderr, "svcput: store: %s\n", dnsd_strerror(rc));
		return 2;
	}
	/* The zones' ids, as the store has them (nothing is created here). */
	for (size_t i = 0; i < rt->zones.n; i++) {
		struct store_zone sz;
		if (store_zone_get(t, rt->zones.z[i].apex, &sz) == 0)
			rt->zones.z[i].id = sz.id;
	}
	rc = svc_get_by_id(t, &rt->zones, id, &in, &z);
	if (rc == 0) {
		printf("health %s\n", svc_health_str(in.health));
		for (size_t i = 0; i < in.nchecks; i++)
			printf("check %s %s %s\n", in.checks[i].id,
			    svc_health_str(in.checks[i].status), in.checks[i].output);
	}
	store_abort(t);
	store_close(s);
	return rc == 0 ? 0 : rc == DNSD_ENOTFOUND ? 1 : 2;
}

int
main(int argc, char **argv)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct runtime *rt;
	if (c == NULL || argc < 4 || strcmp(argv[1], "-c") != 0)
		return usage();
	log_init(true, LOG_LVL_WARN);
	conf_init(c);
	if (conf_load(c, argv[2]) != 0 || conf_finish(c) != 0 || runtime_new(c, 1, &rt) != 0)
		return 2;
	int rc;
	if (strcmp(argv[3], "put") == 0)
		rc = put(rt, argc - 4, argv + 4);
	else if (strcmp(argv[3], "get") == 0 && argc == 5)
		rc = get(rt, argv[4]);
	else
		rc = usage();
	runtime_drop(rt);
	return rc;
}
