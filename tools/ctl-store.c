/* ctl-store.c -- dnsdctl commands over the store: zones, dump, stats,
 * leases, journal
 *
 * Everything here reads one read transaction of the store (opened by
 * store_open_readonly) and prints; nothing writes. Records print in the store's order, which is DNSSEC canonical
 * order (RFC 4034 section 6.1) by owner, then by type, then by RDATA.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ctl.h"
#include "node/node.h"
#include "store/store.h"
#include "util/err.h"
#include "wire/wire.h"

/* ---- the store, read-only --------------------------------------------------- */

struct zone_list {
	struct ctl_zone *z;
	size_t n, cap;
};

static int
collect_zone(void *arg, const uint8_t *apex, const struct store_zone *sz)
{
	struct zone_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct ctl_zone *nz = realloc(l->z, cap * sizeof(*nz));
		if (nz == NULL)
			return -ENOMEM;
		l->z = nz;
		l->cap = cap;
	}
	struct ctl_zone *e = &l->z[l->n++];
	memset(e, 0, sizeof(*e));
	e->id = sz->id;
	e->apex_len = wire_name_len(apex);
	memcpy(e->apex, apex, e->apex_len);
	e->labels = wire_name_labels(e->apex);
	wire_name_to_str(e->apex, e->name, sizeof(e->name));
	return 0;
}

static int
zone_cmp(const void *a, const void *b)
{
	const struct ctl_zone *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int
ctl_zones(struct store_txn *t, struct ctl_zone **zones, size_t *n)
{
	struct zone_list l = { 0 };
	int rc = store_zone_iter(t, collect_zone, &l);

	*zones = NULL;
	*n = 0;
	if (rc != 0) {
		free(l.z);
		return rc;
	}
	if (l.n > 1)
		qsort(l.z, l.n, sizeof(*l.z), zone_cmp);
	*zones = l.z;
	*n = l.n;
	return 0;
}

/* Call fn for every node of a zone in key (canonical) order; a non-zero
 * return from fn stops the walk and is returned. */
static int
walk_nodes(struct store_txn *t, uint32_t zone_id,
    int (*fn)(void *arg, const uint8_t *key, size_t keylen, const uint8_t *val, size_t len),
    void *arg)
{
	struct store_iter *it;
	struct store_val k, v;
	int rc, r = 0;

	if ((rc = store_iter_zone(t, zone_id, &it)) != 0)
		return rc;
	while ((rc = store_iter_next(it, &k, &v)) == 1)
		if ((r = fn(arg, k.data, k.len, v.data, v.len)) != 0)
			break;
	store_iter_free(it);
	return r != 0 ? r : rc;
}

int
ctl_zone_lookup(struct store_txn *t, const char *name, struct ctl_zone *z)
{
	uint8_t apex[WIRE_NAME_MAX];
	struct ctl_zone *zs;
	size_t n, len = wire_name_from_str(name, apex);
	int rc;

	if (len == 0) {
		ctl_err("zone %s: not a valid domain name", name);
		return CTL_USAGE;
	}
	wire_name_lower(apex, apex, len);
	if ((rc = ctl_zones(t, &zs, &n)) != 0) {
		ctl_err("store: %s", dnsd_strerror(rc));
		return CTL_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		if (zs[i].apex_len == len && memcmp(zs[i].apex, apex, len) == 0) {
			*z = zs[i];
			free(zs);
			return 0;
		}
	}
	free(zs);
	ctl_err("zone %s: not in the store", name);
	return CTL_FAIL;
}

/* "27s", "-3s" */
static void
secs_str(int64_t s, char *out, size_t outlen)
{
	snprintf(out, outlen, "%llds", (long long)s);
}

/* The name of the configured key whose owner tag is `tag`, or NULL. */
static const char *
key_by_tag(const struct conf *c, uint32_t tag)
{
	if (c == NULL || tag == 0)
		return NULL;
	for (size_t i = 0; i < c->nkeys; i++)
		if (node_owner_tag(c->keys[i].name_wire) == tag)
			return c->keys[i].name;
	return NULL;
}

/* The SOA record of a zone's apex node. */
static bool
apex_soa(struct store_txn *t, const struct ctl_zone *z, struct node_rr *soa)
{
	struct store_key k;
	struct store_val v;
	struct node_rrset set;
	struct node_rr_it it;

	if (store_key_make(&k, z->id, z->apex, z->labels) != 0 || store_node_get(t, &k, &v) != 0 ||
	    !node_rrset_find(v.data, v.len, RR_SOA, &set))
		return false;
	node_rr_it_init(&it, &set);
	return node_rr_next(&it, soa);
}

/* Earliest expiry among the dynamic records of a node value (0: none). */
static uint32_t
node_min_expire(const uint8_t *val, size_t len)
{
	struct node_it it;
	struct node_rrset set;
	uint32_t min = 0;
	node_it_init(&it, val, len);
	while (node_it_next(&it, &set)) {
		struct node_rr_it ri;
		struct node_rr rr;
		node_rr_it_init(&ri, &set);
		while (node_rr_next(&ri, &rr))
			if (rr.expire != 0 && (min == 0 || rr.expire < min))
				min = rr.expire;
	}
	return min;
}

/* ---- zones ------------------------------------------------------------------- */

struct zone_tally {
	uint64_t nodes, records, dynamic, expired;
	uint32_t next; /* earliest lease deadline, 0 = none */
	uint32_t now;
	bool corrupt;
};

static int
tally_node(void *arg, const uint8_t *key, size_t keylen, const uint8_t *val, size_t len)
{
	struct zone_tally *t = arg;
	struct node_all_it a;
	struct node_rr rr;
	uint16_t type;

	t->nodes++;
	node_all_init(&a, val, len);
	while (node_all_next(&a, &type, &rr)) {
		t->records++;
		if (rr.flags & NODE_RR_DYNAMIC) {
			t->dynamic++;
			if (!node_rr_live(&rr, t->now))
				t->expired++;
		}
		if (rr.expire != 0 && (t->next == 0 || rr.expire < t->next))
			t->next = rr.expire;
	}
	if (a.it.err != 0)
		t->corrupt = true;
	return 0;
}

int
ctl_cmd_zones(struct store_txn *txn, const struct ctl_opts *o)
{
	struct ctl_zone *zs;
	size_t n, w = 4;
	int rc;

	if ((rc = ctl_zones(txn, &zs, &n)) != 0) {
		ctl_err("store: %s", dnsd_strerror(rc));
		return CTL_FAIL;
	}
	for (size_t i = 0; i < n; i++)
		if (strlen(zs[i].name) > w)
			w = strlen(zs[i].name);
	printf("%-*s  %5s  %10s  %7s  %7s  %-20s  %s\n", (int)w, "ZONE", "ID", "SERIAL", "NODES",
	    "DYNAMIC", "NEXT-LEASE", "IN");
	for (size_t i = 0; i < n; i++) {
		struct zone_tally t = { .now = o->now };
		struct node_rr soa;
		char serial[16] = "-", when[32] = "-", in[32] = "-";
		if ((rc = walk_nodes(txn, zs[i].id, tally_node, &t)) != 0) {
			ctl_err("zone %s: %s", zs[i].name, dnsd_strerror(rc));
			free(zs);
			return CTL_FAIL;
		}
		if (apex_soa(txn, &zs[i], &soa))
			snprintf(serial, sizeof(serial), "%u", node_soa_serial(soa.rdata, soa.rdlen));
		if (t.next != 0) {
			ctl_time_str(t.next, when, sizeof(when));
			secs_str((int64_t)t.next - o->now, in, sizeof(in));
		}
		printf("%-*s  %5u  %10s  %7llu  %7llu  %-20s  %s\n", (int)w, zs[i].name, zs[i].id,
		    serial, (unsigned long long)t.nodes, (unsigned long long)t.dynamic, when, in);
		if (t.corrupt)
			ctl_err("zone %s: a node value is corrupt", zs[i].name);
	}
	free(zs);
	return CTL_OK;
}

/* ---- dump -------------------------------------------------------------------- */

struct dump {
	const struct ctl_opts *o;
	const struct ctl_zone *z;
	uint8_t owner[WIRE_NAME_MAX];
	uint64_t printed, hidden;
	int err;
};

/* Decide whether one record is printed in this mode, and its comment. */
static bool
dump_pick(struct dump *d, const struct node_rr *rr, char *comment, size_t clen, bool *with)
{
	const struct ctl_opts *o = d->o;
	bool dyn = (rr->flags & NODE_RR_DYNAMIC) != 0;
	bool live = node_rr_live(rr, o->now);

	*with = false;
	switch (o->mode) {
	case DUMP_AXFR:
		return true; /* what AXFR sends: everything stored */
	case DUMP_STATIC:
		return !dyn;
	case DUMP_DYNAMIC:
		if (!dyn)
			return false;
		break;
	case DUMP_LIVE:
		break;
	}
	if (!live && !o->all) {
		d->hidden++;
		return false;
	}
	/* Comments only where the output is not meant to match AXFR. */
	if (o->mode == DUMP_DYNAMIC || o->all) {
		const char *key = dyn ? key_by_tag(o->conf, rr->owner) : NULL;
		char lease[48];
		if (!dyn)
			return true;
		if (!live)
			snprintf(lease, sizeof(lease), "expired");
		else if (rr->expire == 0)
			snprintf(lease, sizeof(lease), "no lease");
		else
			snprintf(lease, sizeof(lease), "lease %llds", (long long)rr->expire - o->now);
		if (key != NULL)
			snprintf(comment, clen, "%s, key %s", lease, key);
		else
			snprintf(comment, clen, "%s", lease);
		*with = true;
	}
	return true;
}

static int
dump_node(void *arg, const uint8_t *key, size_t keylen, const uint8_t *val, size_t len)
{
	struct dump *d = arg;
	struct node_it it;
	struct node_rrset set;
	bool apex = keylen == 4;

	if (store_key_to_name(key, keylen, d->z->apex, d->owner) == 0) {
		d->err = DNSD_ESTORE;
		return 1;
	}
	node_it_init(&it, val, len);
	while (node_it_next(&it, &set)) {
		struct node_rr_it ri;
		struct node_rr rr;
		if (apex && set.type == RR_SOA)
			continue; /* printed first */
		node_rr_it_init(&ri, &set);
		while (node_rr_next(&ri, &rr)) {
			char comment[600];
			bool with;
			if (!dump_pick(d, &rr, comment, sizeof(comment), &with))
				continue;
			if ((d->err = ctl_rr_print(stdout, d->owner, set.type, rr.ttl, rr.rdata,
			         rr.rdlen, with ? comment : NULL)) != 0)
				return 1;
			d->printed++;
		}
	}
	if (it.err != 0) {
		d->err = DNSD_ESTORE;
		return 1;
	}
	return 0;
}

int
ctl_cmd_dump(struct store_txn *t, const struct ctl_opts *o, const char *zone)
{
	struct ctl_zone z;
	struct dump d = { .o = o, .z = &z };
	struct node_rr soa;
	int rc;

	if ((rc = ctl_zone_lookup(t, zone, &z)) != 0)
		return rc;
	if (o->mode != DUMP_DYNAMIC) {
		if (!apex_soa(t, &z, &soa)) {
			ctl_err("zone %s: no SOA record in the store", z.name);
			return CTL_FAIL;
		}
		if (ctl_rr_print(stdout, z.apex, RR_SOA, soa.ttl, soa.rdata, soa.rdlen, NULL) != 0)
			goto write_err;
	}
	rc = walk_nodes(t, z.id, dump_node, &d);
	if (d.err != 0 && d.err != -EIO) {
		ctl_err("zone %s: %s", z.name, dnsd_strerror(d.err));
		return CTL_FAIL;
	}
	if (d.err == -EIO || fflush(stdout) != 0)
		goto write_err;
	if (rc != 0) {
		ctl_err("zone %s: %s", z.name, dnsd_strerror(rc));
		return CTL_FAIL;
	}
	return CTL_OK;
write_err:
	ctl_err("write error on standard output");
	return CTL_FAIL;
}

/* ---- stats ------------------------------------------------------------------- */

int
ctl_cmd_stats(struct store_txn *t, const struct ctl_opts *o)
{
	struct store_stats st;
	int rc = store_stats(t, &st);
	if (rc != 0) {
		ctl_err("store: %s", dnsd_strerror(rc));
		return CTL_FAIL;
	}
	printf("%-16s %llu\n", "zones", (unsigned long long)st.zones);
	printf("%-16s %llu\n", "nodes", (unsigned long long)st.nodes);
	printf("%-16s %llu\n", "delegations", (unsigned long long)st.cuts);
	printf("%-16s %llu\n", "expiry-entries", (unsigned long long)st.expiry_entries);
	printf("%-16s %llu\n", "key-owners", (unsigned long long)st.owners);
	printf("%-16s %llu\n", "journal-entries", (unsigned long long)st.journal_entries);
	printf("%-16s %llu (%.1f%%)\n", "map-used", (unsigned long long)st.map_used,
	    st.map_size ? 100.0 * (double)st.map_used / (double)st.map_size : 0.0);
	printf("%-16s %llu\n", "map-size", (unsigned long long)st.map_size);
	printf("%-16s %llu\n", "page-size", (unsigned long long)st.page_size);
	printf("%-16s %u of %u\n", "readers", st.readers, st.max_readers);
	return CTL_OK;
}

/* ---- leases ------------------------------------------------------------------ */

struct leases {
	struct store_txn *t;
	const struct ctl_opts *o;
	struct ctl_zone *zs;
	size_t nz;
	const struct ctl_zone *only; /* filter, or NULL */
	uint64_t shown;
};

static int
lease_entry(void *arg, uint32_t expire, const struct store_key *k)
{
	struct leases *l = arg;
	const struct ctl_zone *z = NULL;
	uint32_t zid = wire_get32(k->b);
	uint8_t owner[WIRE_NAME_MAX];
	char name[WIRE_NAME_MAX * 4 + 1], when[32], in[32];
	const char *note = "";
	struct store_val v;

	if (l->only != NULL && l->only->id != zid)
		return 0;
	for (size_t i = 0; i < l->nz && z == NULL; i++)
		if (l->zs[i].id == zid)
			z = &l->zs[i];
	if (z != NULL && store_key_to_name(k->b, k->len, z->apex, owner) != 0)
		wire_name_to_str(owner, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "(zone id %u, unknown)", zid);
	/* The index keeps the earliest expiry a node had when written; the
	 * reaper re-checks nodes, and so do we. */
	if (store_node_get(l->t, k, &v) != 0)
		note = "stale: node gone";
	else if (node_min_expire(v.data, v.len) != expire)
		note = "stale: renewed or removed";
	else if (expire <= l->o->now)
		note = "expired, awaiting the reaper";
	ctl_time_str(expire, when, sizeof(when));
	secs_str((int64_t)expire - l->o->now, in, sizeof(in));
	printf("%-20s  %8s  %s%s%s\n", when, in, name, *note ? "  ; " : "", note);
	l->shown++;
	return 0;
}

int
ctl_cmd_leases(struct store_txn *t, const struct ctl_opts *o, const char *zone)
{
	struct leases l = { .t = t, .o = o };
	struct ctl_zone only;
	int rc;

	if (zone != NULL) {
		if ((rc = ctl_zone_lookup(t, zone, &only)) != 0)
			return rc;
		l.only = &only;
	}
	if ((rc = ctl_zones(t, &l.zs, &l.nz)) != 0) {
		ctl_err("store: %s", dnsd_strerror(rc));
		return CTL_FAIL;
	}
	printf("%-20s  %8s  %s\n", "DEADLINE", "IN", "OWNER");
	rc = store_expiry_iter(t, lease_entry, &l);
	free(l.zs);
	if (rc != 0) {
		ctl_err("store: %s", dnsd_strerror(rc));
		return CTL_FAIL;
	}
	return CTL_OK;
}

/* ---- journal ----------------------------------------------------------------- */

struct journal {
	const struct ctl_opts *o;
	const struct ctl_zone *z;
	bool bad;
};

/* Walk one entry: count (and with -v print) its changes. */
static int
journal_entry(void *arg, uint64_t seq, struct store_val e)
{
	struct journal *j = arg;
	struct store_jentry je;
	struct store_jchange c;
	const uint8_t *p, *end;
	uint64_t removed = 0, added = 0;
	int rc;

	if (store_jentry_parse(e, &je) != 0) {
		j->bad = true;
		return 0;
	}
	end = je.changes + je.changes_len;
	for (p = je.changes; (rc = store_jchange_next(&p, end, &c)) == 1;) {
		if (c.op == STORE_JCHANGE_DEL)
			removed++;
		else
			added++;
	}
	if (rc != 0)
		j->bad = true;
	printf("%6llu  %10u  %10u  %7llu  %7llu\n", (unsigned long long)seq, je.from, je.to,
	    (unsigned long long)removed, (unsigned long long)added);
	if (!j->o->verbose)
		return 0;
	/* Removals, then additions, as IXFR orders them (RFC 1995). */
	for (int op = STORE_JCHANGE_DEL; op <= STORE_JCHANGE_ADD; op++) {
		for (p = je.changes; store_jchange_next(&p, end, &c) == 1;) {
			uint8_t owner[WIRE_NAME_MAX];
			if (c.op == op && store_key_to_name(c.key, c.keylen, j->z->apex, owner) != 0) {
				fputs(op == STORE_JCHANGE_DEL ? "  - " : "  + ", stdout);
				ctl_rr_print(stdout, owner, c.type, c.ttl, c.rdata, c.rdlen, NULL);
			}
		}
	}
	return 0;
}

int
ctl_cmd_journal(struct store_txn *t, const struct ctl_opts *o, const char *zone)
{
	struct ctl_zone z;
	struct journal j = { .o = o, .z = &z };
	int rc;

	if ((rc = ctl_zone_lookup(t, zone, &z)) != 0)
		return rc;
	printf("%6s  %10s  %10s  %7s  %7s\n", "SEQ", "FROM", "TO", "REMOVED", "ADDED");
	if ((rc = store_journal_iter(t, z.id, journal_entry, &j)) != 0) {
		ctl_err("zone %s: journal: %s", z.name, dnsd_strerror(rc));
		return CTL_FAIL;
	}
	if (j.bad) {
		ctl_err("zone %s: journal: an entry is malformed", z.name);
		return CTL_FAIL;
	}
	return CTL_OK;
}
