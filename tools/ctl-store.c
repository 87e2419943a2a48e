/* ctl-store.c -- dnsdctl commands over the store: zones, dump, stats,
 * leases, journal
 *
 * Everything here reads one snapshot (ctl-db.c) and prints; nothing
 * writes. Records print in the store's order, which is DNSSEC canonical
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

int
ctl_zone_lookup(struct ctl_db *db, const char *name, struct ctl_zone *z)
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
	if ((rc = ctl_db_zones(db, &zs, &n)) != 0) {
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
apex_soa(struct ctl_db *db, const struct ctl_zone *z, struct node_rr *soa)
{
	uint8_t key[4];
	const uint8_t *v;
	size_t len;
	struct node_rrset set;
	struct node_rr_it it;

	wire_put32(key, z->id);
	if (ctl_db_node_get(db, key, 4, &v, &len) != 0 || !node_rrset_find(v, len, RR_SOA, &set))
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
	struct node_it it;
	struct node_rrset set;

	t->nodes++;
	node_it_init(&it, val, len);
	while (node_it_next(&it, &set)) {
		struct node_rr_it ri;
		struct node_rr rr;
		node_rr_it_init(&ri, &set);
		while (node_rr_next(&ri, &rr)) {
			t->records++;
			if (rr.flags & NODE_RR_DYNAMIC) {
				t->dynamic++;
				if (!node_rr_live(&rr, t->now))
					t->expired++;
			}
			if (rr.expire != 0 && (t->next == 0 || rr.expire < t->next))
				t->next = rr.expire;
		}
	}
	if (it.err != 0)
		t->corrupt = true;
	return 0;
}

int
ctl_cmd_zones(struct ctl_db *db, const struct ctl_opts *o)
{
	struct ctl_zone *zs;
	size_t n, w = 4;
	int rc;

	if ((rc = ctl_db_zones(db, &zs, &n)) != 0) {
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
		if ((rc = ctl_db_nodes(db, zs[i].id, tally_node, &t)) != 0) {
			ctl_err("zone %s: %s", zs[i].name, dnsd_strerror(rc));
			free(zs);
			return CTL_FAIL;
		}
		if (apex_soa(db, &zs[i], &soa))
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
ctl_cmd_dump(struct ctl_db *db, const struct ctl_opts *o, const char *zone)
{
	struct ctl_zone z;
	struct dump d = { .o = o, .z = &z };
	struct node_rr soa;
	int rc;

	if ((rc = ctl_zone_lookup(db, zone, &z)) != 0)
		return rc;
	if (o->mode != DUMP_DYNAMIC) {
		if (!apex_soa(db, &z, &soa)) {
			ctl_err("zone %s: no SOA record in the store", z.name);
			return CTL_FAIL;
		}
		if (ctl_rr_print(stdout, z.apex, RR_SOA, soa.ttl, soa.rdata, soa.rdlen, NULL) != 0)
			goto write_err;
	}
	rc = ctl_db_nodes(db, z.id, dump_node, &d);
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
ctl_cmd_stats(struct ctl_db *db, const struct ctl_opts *o)
{
	struct ctl_stats st;
	int rc = ctl_db_stats(db, &st);
	if (rc != 0) {
		ctl_err("store: %s", dnsd_strerror(rc));
		return CTL_FAIL;
	}
	printf("%-16s %llu\n", "zones", (unsigned long long)st.zones);
	printf("%-16s %llu\n", "nodes", (unsigned long long)st.nodes);
	printf("%-16s %llu\n", "delegations", (unsigned long long)st.cuts);
	printf("%-16s %llu\n", "expiry-entries", (unsigned long long)st.expiry);
	printf("%-16s %llu\n", "key-owners", (unsigned long long)st.owners);
	printf("%-16s %llu\n", "journal-entries", (unsigned long long)st.journal);
	printf("%-16s %llu (%.1f%%)\n", "map-used", (unsigned long long)st.map_used,
	    st.map_size ? 100.0 * (double)st.map_used / (double)st.map_size : 0.0);
	printf("%-16s %llu\n", "map-size", (unsigned long long)st.map_size);
	printf("%-16s %llu\n", "page-size", (unsigned long long)st.page_size);
	printf("%-16s %u of %u\n", "readers", st.readers, st.max_readers);
	return CTL_OK;
}

/* ---- leases ------------------------------------------------------------------ */

struct leases {
	struct ctl_db *db;
	const struct ctl_opts *o;
	struct ctl_zone *zs;
	size_t nz;
	const struct ctl_zone *only; /* filter, or NULL */
	uint64_t shown;
};

static int
lease_entry(void *arg, uint32_t expire, const uint8_t *key, size_t keylen)
{
	struct leases *l = arg;
	const struct ctl_zone *z = NULL;
	uint32_t zid = wire_get32(key);
	uint8_t owner[WIRE_NAME_MAX];
	char name[WIRE_NAME_MAX * 4 + 1], when[32], in[32];
	const char *note = "";
	const uint8_t *v;
	size_t vlen;

	if (l->only != NULL && l->only->id != zid)
		return 0;
	for (size_t i = 0; i < l->nz && z == NULL; i++)
		if (l->zs[i].id == zid)
			z = &l->zs[i];
	if (z != NULL && store_key_to_name(key, keylen, z->apex, owner) != 0)
		wire_name_to_str(owner, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "(zone id %u, unknown)", zid);
	/* The index keeps the earliest expiry a node had when written; the
	 * reaper re-checks nodes, and so do we. */
	if (ctl_db_node_get(l->db, key, keylen, &v, &vlen) != 0)
		note = "stale: node gone";
	else if (node_min_expire(v, vlen) != expire)
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
ctl_cmd_leases(struct ctl_db *db, const struct ctl_opts *o, const char *zone)
{
	struct leases l = { .db = db, .o = o };
	struct ctl_zone only;
	int rc;

	if (zone != NULL) {
		if ((rc = ctl_zone_lookup(db, zone, &only)) != 0)
			return rc;
		l.only = &only;
	}
	if ((rc = ctl_db_zones(db, &l.zs, &l.nz)) != 0) {
		ctl_err("store: %s", dnsd_strerror(rc));
		return CTL_FAIL;
	}
	printf("%-20s  %8s  %s\n", "DEADLINE", "IN", "OWNER");
	rc = ctl_db_expiry(db, lease_entry, &l);
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
journal_entry(void *arg, uint64_t seq, const uint8_t *e, size_t len)
{
	struct journal *j = arg;
	uint64_t removed = 0, added = 0;
	size_t off = 8;

	if (len < 8) {
		j->bad = true;
		return 0;
	}
	/* from:u32 to:u32, then the old and new SOA: ttl:u32 rdlen:u16 rdata */
	for (int i = 0; i < 2; i++) {
		if (off + 6 > len || off + 6 + wire_get16(e + off + 4) > len) {
			j->bad = true;
			return 0;
		}
		off += 6 + wire_get16(e + off + 4);
	}
	size_t changes = off;
	/* change: op:u8 keylen:u16 key type:u16 ttl:u32 rdlen:u16 rdata */
	for (size_t p = changes; p < len;) {
		if (p + 3 > len || p + 3 + wire_get16(e + p + 1) + 8 > len) {
			j->bad = true;
			break;
		}
		size_t kl = wire_get16(e + p + 1);
		const uint8_t *mid = e + p + 3 + kl;
		uint16_t rdlen = wire_get16(mid + 6);
		if (p + 3 + kl + 8 + rdlen > len) {
			j->bad = true;
			break;
		}
		if (e[p] == 0)
			removed++;
		else
			added++;
		p += 3 + kl + 8 + rdlen;
	}
	printf("%6llu  %10u  %10u  %7llu  %7llu\n", (unsigned long long)seq, wire_get32(e),
	    wire_get32(e + 4), (unsigned long long)removed, (unsigned long long)added);
	if (!j->o->verbose)
		return 0;
	/* Removals, then additions, as IXFR orders them (RFC 1995). */
	for (int op = 0; op < 2; op++) {
		for (size_t p = changes; p < len;) {
			if (p + 3 > len || p + 3 + wire_get16(e + p + 1) + 8 > len)
				break;
			size_t kl = wire_get16(e + p + 1);
			const uint8_t *mid = e + p + 3 + kl;
			uint16_t rdlen = wire_get16(mid + 6);
			uint8_t owner[WIRE_NAME_MAX];
			if (p + 3 + kl + 8 + rdlen > len)
				break;
			if (e[p] == op && store_key_to_name(e + p + 3, kl, j->z->apex, owner) != 0) {
				fputs(op == 0 ? "  - " : "  + ", stdout);
				ctl_rr_print(stdout, owner, wire_get16(mid), wire_get32(mid + 2), mid + 8,
				    rdlen, NULL);
			}
			p += 3 + kl + 8 + rdlen;
		}
	}
	return 0;
}

int
ctl_cmd_journal(struct ctl_db *db, const struct ctl_opts *o, const char *zone)
{
	struct ctl_zone z;
	struct journal j = { .o = o, .z = &z };
	int rc;

	if ((rc = ctl_zone_lookup(db, zone, &z)) != 0)
		return rc;
	printf("%6s  %10s  %10s  %7s  %7s\n", "SEQ", "FROM", "TO", "REMOVED", "ADDED");
	if ((rc = ctl_db_journal(db, z.id, journal_entry, &j)) != 0) {
		ctl_err("zone %s: journal: %s", z.name, dnsd_strerror(rc));
		return CTL_FAIL;
	}
	if (j.bad) {
		ctl_err("zone %s: journal: an entry is malformed", z.name);
		return CTL_FAIL;
	}
	return CTL_OK;
}
