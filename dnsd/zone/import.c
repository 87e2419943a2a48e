/* import.c -- zone files (parsed by ldns) into the store
 *
 * A zone is imported in one write transaction, so a zone file error leaves
 * the stored zone exactly as it was. Records from the file are "static";
 * records added by UPDATE are "dynamic" and survive every re-import.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "node/node.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"
#include "zone/zone.h"

/* One record read from a zone file. */
struct irec {
	uint8_t *key; /* store key bytes (owned, shares the block with rdata) */
	uint16_t keylen;
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	uint8_t *rdata;
	const char *file;
	int line;
};

struct import {
	const struct zone *z;
	struct irec *recs;
	size_t n, cap;
	uint64_t sig;          /* FNV-1a over the stat of every file read */
	char includes[STORE_ZONE_INCLUDES_MAX];
	size_t includes_len;
	bool includes_overflow;
	int soa_count;
	uint32_t soa_serial;
	char *files[16];       /* file names referenced by irec.file */
	size_t nfiles;
	int depth;
	uint64_t bytes;        /* read so far, includes too (ZONE_BYTES_MAX) */
};

/*
 * Input limits (dnsd.conf(5), "Zone files"): only regular files are read
 * (not /dev/zero, a FIFO or a terminal); a zone's file and its includes
 * together hold at most ZONE_BYTES_MAX bytes; a line, and a record with
 * the lines its parentheses join, at most ZONE_LINE_MAX, which is what
 * ldns reads of one record (it cut longer ones silently).
 */
#define ZONE_BYTES_MAX (1ULL << 30)
#define ZONE_LINE_MAX 65535

/* Open a zone file or include for reading if it is a regular file within
 * the size left; errors are logged as `where: path: reason`. */
static FILE *
open_regular(struct import *im, const char *path, const char *where)
{
	struct stat st;
	const char *why = NULL;
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		log_err("%s%s%s: %s", where, *where ? ": " : "", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if ((uint64_t)st.st_size > ZONE_BYTES_MAX - im->bytes)
		why = "the zone's files would be larger than 1 GiB together";
	FILE *f = why == NULL ? fdopen(fd, "r") : NULL;
	if (f == NULL) {
		log_err("%s%s%s: %s", where, *where ? ": " : "", path,
		    why != NULL ? why : strerror(errno));
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, O_RDONLY); /* blocking reads from here on */
	im->bytes += (uint64_t)st.st_size;
	return f;
}

static void
sig_mix(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= 0x100000001b3ULL;
	}
}

/* Signature of one file: device, inode, size and modification time. */
static int
sig_file(uint64_t *h, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -errno;
	uint64_t v[5] = { st.st_dev, st.st_ino, (uint64_t)st.st_size,
		(uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec };
	sig_mix(h, v, sizeof(v));
	return 0;
}

static void
import_free(struct import *im)
{
	for (size_t i = 0; i < im->n; i++)
		free(im->recs[i].key);
	free(im->recs);
	for (size_t i = 0; i < im->nfiles; i++)
		free(im->files[i]);
}

static int
add_rec(struct import *im, const ldns_rr *rr, const char *file, int line)
{
	const struct zone *z = im->z;
	ldns_rdf *owner = ldns_rr_owner(rr);
	const uint8_t *name = ldns_rdf_data(owner);
	char where[600];

	snprintf(where, sizeof(where), "%s:%d", file, line);
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		log_err("%s: only class IN is served", where);
		return DNSD_EZONE;
	}
	if (!wire_name_is_subdomain(name, z->apex)) {
		char s[1024];
		wire_name_to_str(name, s, sizeof(s));
		log_err("%s: %s is outside zone %s", where, s, z->name);
		return DNSD_EZONE;
	}
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	if (type == RR_SOA) {
		if (!wire_name_equal(name, z->apex)) {
			log_err("%s: SOA must be at the zone apex", where);
			return DNSD_EZONE;
		}
		if (++im->soa_count > 1) {
			log_err("%s: more than one SOA record", where);
			return DNSD_EZONE;
		}
		im->soa_serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
	}
	if (type == RR_OPT || type == RR_TSIG || type == RR_ANY || type == RR_AXFR ||
	    type == RR_IXFR) {
		log_err("%s: record type %u cannot be stored", where, type);
		return DNSD_EZONE;
	}

	ldns_buffer *buf = ldns_buffer_new(512);
	if (buf == NULL)
		return -ENOMEM;
	if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK ||
	    ldns_buffer_position(buf) > 65535) {
		ldns_buffer_free(buf);
		log_err("%s: cannot encode record data", where);
		return DNSD_EZONE;
	}
	size_t rdlen = ldns_buffer_position(buf);
	struct store_key k;
	if (store_key_make(&k, z->id, name, z->labels) != 0) {
		ldns_buffer_free(buf);
		log_err("%s: owner name too long to store", where);
		return DNSD_EZONE;
	}
	if (im->n == im->cap) {
		size_t cap = im->cap ? im->cap * 2 : 256;
		struct irec *r = realloc(im->recs, cap * sizeof(*r));
		if (r == NULL) {
			ldns_buffer_free(buf);
			return -ENOMEM;
		}
		im->recs = r;
		im->cap = cap;
	}
	uint8_t *block = malloc(k.len + rdlen + 1);
	if (block == NULL) {
		ldns_buffer_free(buf);
		return -ENOMEM;
	}
	memcpy(block, k.b, k.len);
	memcpy(block + k.len, ldns_buffer_begin(buf), rdlen);
	ldns_buffer_free(buf);
	im->recs[im->n++] = (struct irec){ block, k.len, type, ldns_rr_ttl(rr),
		(uint16_t)rdlen, block + k.len, file, line };
	return 0;
}

static int parse_file(struct import *im, const char *path, ldns_rdf *origin,
    uint32_t *default_ttl, const char *where);

/* "$INCLUDE file [origin]" at the start of a line (RFC 1035 section 5.1). */
static int
do_include(struct import *im, const char *line, const char *from, int line_nr,
    ldns_rdf *origin, uint32_t default_ttl)
{
	char file[1024], org[1024], path[2048];
	int n = sscanf(line + 8, " %1023s %1023s", file, org);
	if (n < 1) {
		log_err("%s:%d: $INCLUDE needs a file name", from, line_nr);
		return DNSD_EZONE;
	}
	if (file[0] != '/' && strrchr(from, '/') != NULL)
		snprintf(path, sizeof(path), "%.*s/%s", (int)(strrchr(from, '/') - from), from, file);
	else
		snprintf(path, sizeof(path), "%s", file);
	ldns_rdf *o = NULL;
	if (n == 2) {
		if (ldns_str2rdf_dname(&o, org) != LDNS_STATUS_OK) {
			log_err("%s:%d: bad $INCLUDE origin %s", from, line_nr, org);
			return DNSD_EZONE;
		}
		if (!ldns_dname_str_absolute(org) && ldns_dname_cat(o, origin) != LDNS_STATUS_OK) {
			ldns_rdf_deep_free(o);
			return DNSD_EZONE;
		}
	} else {
		o = ldns_rdf_clone(origin);
	}
	size_t pl = strlen(path) + 1;
	if (im->includes_len + pl <= sizeof(im->includes)) {
		memcpy(im->includes + im->includes_len, path, pl);
		im->includes_len += pl;
	} else {
		im->includes_overflow = true;
	}
	uint32_t ttl = default_ttl;
	char where[1100];
	snprintf(where, sizeof(where), "%s:%d: $INCLUDE", from, line_nr);
	int rc = parse_file(im, path, o, &ttl, where);
	ldns_rdf_deep_free(o);
	return rc;
}

static int
parse_file(struct import *im, const char *path, ldns_rdf *origin, uint32_t *default_ttl,
    const char *where)
{
	if (im->depth >= 8 || im->nfiles == 16) {
		log_err("%s: $INCLUDE nested too deeply", path);
		return DNSD_EZONE;
	}
	FILE *f = open_regular(im, path, where);
	if (f == NULL)
		return DNSD_EZONE;
	char *name = strdup(path);
	if (name == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	im->files[im->nfiles++] = name;
	sig_file(&im->sig, path);
	im->depth++;

	ldns_rdf *org = ldns_rdf_clone(origin), *prev = NULL;
	int line_nr = 1, rc = 0;
	char *peek = NULL;
	size_t peekcap = 0;
	for (;;) {
		/* Look at the next physical line for $INCLUDE, which ldns does not
		 * follow; otherwise rewind and let ldns read one record. */
		long pos = ftell(f);
		ssize_t got = getline(&peek, &peekcap, f);
		if (got < 0)
			break;
		if (got > ZONE_LINE_MAX) {
			log_err("%s:%d: line longer than %d bytes", name, line_nr, ZONE_LINE_MAX);
			rc = DNSD_EZONE;
			break;
		}
		if (strncasecmp(peek, "$INCLUDE", 8) == 0 && (peek[8] == ' ' || peek[8] == '\t')) {
			if ((rc = do_include(im, peek, name, line_nr, org, *default_ttl)) != 0)
				break;
			line_nr++;
			continue;
		}
		fseek(f, pos, SEEK_SET);
		ldns_rr *rr = NULL;
		int start = line_nr;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, default_ttl, &org, &prev, &line_nr);
		if (ftell(f) - pos >= ZONE_LINE_MAX) {
			/* ldns keeps the first 64 KiB of a record and drops the
			 * rest without a word: refuse instead. */
			log_err("%s:%d: record longer than %d bytes (its lines together)", name, start,
			    ZONE_LINE_MAX - 1);
			if (rr != NULL)
				ldns_rr_free(rr);
			rc = DNSD_EZONE;
			break;
		}
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN) {
			if (rr != NULL)
				ldns_rr_free(rr);
			if (feof(f))
				break;
			continue;
		}
		if (st != LDNS_STATUS_OK) {
			log_err("%s:%d: %s", name, start, ldns_get_errorstr_by_id(st));
			rc = DNSD_EZONE;
			break;
		}
		rc = add_rec(im, rr, name, start);
		ldns_rr_free(rr);
		if (rc != 0)
			break;
	}
	free(peek);
	ldns_rdf_deep_free(org);
	if (prev != NULL)
		ldns_rdf_deep_free(prev);
	fclose(f);
	im->depth--;
	return rc;
}

static int
irec_cmp(const void *a, const void *b)
{
	const struct irec *x = a, *y = b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->key, y->key, n);
	if (c != 0)
		return c;
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	return (int)x->type - (int)y->type;
}

/*
 * ldns mallocs and frees about 250 KiB of buffers for every record it
 * reads. A fresh process has glibc's first thresholds (mmap from 128 KiB,
 * trim the top of the heap past 128 KiB), so each record's frees handed
 * the memory back to the kernel and the next record took it again: on a
 * million records, half of the parse (5 of 10 s) was brk and page
 * faults. glibc raises both thresholds when it frees a block it had
 * mmapped (to its size, and trims only past twice that: mallopt(3),
 * M_MMAP_THRESHOLD); freeing one such block before a parse puts the
 * process where its own first large free would, and the buffers then
 * stay in the heap. (Setting the thresholds with mallopt instead turns
 * that adjustment off for good, which slowed later updates into large
 * services by a fifth.)
 */
#define HEAP_WARM (4 << 20)

static void
heap_warm(void)
{
	void *volatile p = malloc(HEAP_WARM); /* (volatile: not optimised away) */
	free(p);
}

/* Parse the whole zone file, checking what RFC 1034/1035 require. */
static int
import_parse(struct import *im, const char *file)
{
	ldns_rdf *origin = ldns_dname_new_frm_data((uint16_t)im->z->apex_len, im->z->apex);
	uint32_t ttl = 3600;
	if (origin == NULL)
		return -ENOMEM;
	im->sig = 0xcbf29ce484222325ULL;
	heap_warm();
	int rc = parse_file(im, file, origin, &ttl, "");
	ldns_rdf_deep_free(origin);
	if (rc != 0)
		return rc;
	if (im->soa_count == 0) {
		log_err("%s: zone %s has no SOA record", file, im->z->name);
		return DNSD_EZONE;
	}
	qsort(im->recs, im->n, sizeof(*im->recs), irec_cmp);
	/* CNAME and other data never share a name (RFC 1034 section 3.6.2). */
	for (size_t i = 0; i < im->n;) {
		size_t j = i;
		bool cname = false, other = false;
		const struct irec *at = NULL;
		while (j < im->n && im->recs[j].keylen == im->recs[i].keylen &&
		    memcmp(im->recs[j].key, im->recs[i].key, im->recs[i].keylen) == 0) {
			if (im->recs[j].type == RR_CNAME) {
				cname = true;
				at = &im->recs[j];
			} else if (im->recs[j].type != RR_RRSIG && im->recs[j].type != RR_NSEC) {
				other = true;
			}
			j++;
		}
		if (cname && other) {
			log_err("%s:%d: CNAME and other data at the same name", at->file, at->line);
			return DNSD_EZONE;
		}
		i = j;
	}
	return 0;
}

/* Strip every static record from the stored zone, keeping dynamic ones. */
static int
strip_static(struct store_txn *t, const struct zone *z)
{
	struct store_iter *it;
	struct store_val k, v;
	struct store_key *keys = NULL;
	size_t n = 0, cap = 0;
	int rc = store_iter_zone(t, z->id, &it);
	if (rc != 0)
		return rc;
	while ((rc = store_iter_next(it, &k, &v)) == 1) {
		struct node_all_it a;
		struct node_rr rr;
		uint16_t type;
		bool has_static = false;
		node_all_init(&a, v.data, v.len);
		while (!has_static && node_all_next(&a, &type, &rr))
			has_static = !(rr.flags & NODE_RR_DYNAMIC);
		if (!has_static)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct store_key *nk = realloc(keys, cap * sizeof(*keys));
			if (nk == NULL) {
				rc = -ENOMEM;
				break;
			}
			keys = nk;
		}
		if ((rc = store_key_parse(&keys[n++], k.data, k.len)) != 0)
			break;
	}
	store_iter_free(it);
	if (rc < 0)
		goto out;
	rc = 0;
	struct node_edit e;
	node_edit_init(&e);
	for (size_t i = 0; i < n && rc == 0; i++) {
		/* now 0: expired dynamic records stay for the reaper */
		if ((rc = store_node_load(t, &keys[i], 0, &e)) != 0)
			break;
		for (size_t r = e.n; r-- > 0;)
			if (!(e.recs[r].flags & NODE_RR_DYNAMIC))
				node_edit_remove(&e, r);
		rc = store_node_save(t, &keys[i], &e);
	}
	node_edit_free(&e);
out:
	free(keys);
	return rc;
}

/* Write the parsed records, merging with the dynamic records in place. */
static int
write_static(struct store_txn *t, struct import *im)
{
	struct node_edit e;
	int rc = 0;
	node_edit_init(&e);
	for (size_t i = 0; i < im->n && rc == 0;) {
		struct store_key k;
		if ((rc = store_key_parse(&k, im->recs[i].key, im->recs[i].keylen)) != 0)
			break;
		/* now 0: dynamic records, expired or not, stay as they are */
		rc = store_node_load(t, &k, 0, &e);
		size_t j = i;
		for (; rc == 0 && j < im->n && im->recs[j].keylen == k.len &&
		     memcmp(im->recs[j].key, k.b, k.len) == 0; j++) {
			const struct irec *r = &im->recs[j];
			int a = node_edit_add(&e, r->type, r->ttl, 0, 0, 0, r->rdata, r->rdlen);
			if (a < 0)
				rc = a;
		}
		/* One TTL per RRset (RFC 2181 section 5.2): the smallest the
		 * file gives it (records sort by type, so a type is a run). */
		for (size_t a = i, b; rc == 0 && a < j; a = b) {
			uint32_t ttl = im->recs[a].ttl;
			for (b = a; b < j && im->recs[b].type == im->recs[a].type; b++)
				if (im->recs[b].ttl < ttl)
					ttl = im->recs[b].ttl;
			if (node_edit_set_ttl(&e, im->recs[a].type, ttl) && b - a > 1)
				log_debug("%s:%d: TTLs differ within an RRset, using %u", im->recs[a].file,
				    im->recs[a].line, ttl);
		}
		i = j;
		if (rc != 0)
			break;
		rc = store_node_save(t, &k, &e);
	}
	node_edit_free(&e);
	return rc;
}

/* Signature of the files of the last import, from their current stats. */
static uint64_t
current_sig(const char *file, const struct store_zone *sz)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	if (sig_file(&h, file) != 0)
		return 0;
	for (size_t o = 0; o < sz->includes_len;) {
		const char *p = sz->includes + o;
		size_t l = strnlen(p, sz->includes_len - o);
		if (sig_file(&h, p) != 0)
			return 0;
		o += l + 1;
	}
	return h;
}

/* Give a zone without a SOA a generated SOA and NS (apex "ns" host). */
static int
ensure_soa(struct store_txn *t, const struct zone *z, uint32_t now)
{
	struct store_key k;
	struct node_edit e;
	int rc = store_key_make(&k, z->id, z->apex, z->labels);
	if (rc != 0)
		return rc;
	node_edit_init(&e);
	/* now 0: the apex keeps every record it has */
	if ((rc = store_node_load(t, &k, 0, &e)) != 0)
		goto out;
	for (size_t i = 0; i < e.n; i++)
		if (e.recs[i].type == RR_SOA)
			goto out; /* rc 0: it has one */
	uint8_t rd[2 * WIRE_NAME_MAX + 24], ns[WIRE_NAME_MAX + 4];
	size_t o = 0;
	if (z->apex_len + 11 > WIRE_NAME_MAX) {
		rc = DNSD_ETOOBIG;
		goto out;
	}
	ns[0] = 2;
	memcpy(ns + 1, "ns", 2);
	memcpy(ns + 3, z->apex, z->apex_len);
	size_t nslen = 3 + z->apex_len;
	memcpy(rd, ns, nslen);
	o = nslen;
	rd[o] = 10;
	memcpy(rd + o + 1, "hostmaster", 10);
	memcpy(rd + o + 11, z->apex, z->apex_len);
	o += 11 + z->apex_len;
	/* serial refresh retry expire minimum (RFC 1912-ish, short negative TTL
	 * because service discovery wants to see new names quickly) */
	uint32_t vals[5] = { now, 3600, 600, 1209600, 60 };
	for (int i = 0; i < 5; i++, o += 4)
		wire_put32(rd + o, vals[i]);
	if ((rc = node_edit_add(&e, RR_SOA, 3600, 0, 0, 0, rd, (uint16_t)o)) < 0)
		goto out;
	bool has_ns = false;
	for (size_t i = 0; i < e.n; i++)
		has_ns |= e.recs[i].type == RR_NS;
	if (!has_ns && (rc = node_edit_add(&e, RR_NS, 3600, 0, 0, 0, ns, (uint16_t)nslen)) < 0)
		goto out;
	rc = store_node_save(t, &k, &e);
	if (rc == 0)
		log_info("zone %s: no zone file, generated SOA and NS", z->name);
out:
	node_edit_free(&e);
	return rc;
}

/*
 * After re-importing a zone that was served before: record the change in
 * the journal (IXFR) and make sure the serial moved forward. A file whose
 * serial is ahead of ours sets it; otherwise we count on from ours, so
 * secondaries notice.
 */
static int
journal_reload(struct store_txn *t, const struct zone *z, const struct store_soa *old,
    uint32_t file_serial)
{
	uint32_t old_serial = node_soa_serial(old->rdata, old->rdlen), serial;
	bool changed = store_changes_pending(t, z->id);
	if (wire_serial_gt(file_serial, old_serial)) {
		struct store_soa now;
		int rc = zone_soa(t, z, &now);
		if (rc != 0)
			return rc;
		return store_journal_add(t, z->id, old_serial, file_serial, old, &now,
		    z->conf->journal_max);
	}
	if (!changed) {
		/* Same records: if the SOA is the same but for the serial, keep
		 * serving the serial we had (no change, no journal entry). */
		struct store_soa now;
		int rc = zone_soa(t, z, &now);
		if (rc != 0)
			return rc;
		node_soa_set_serial(now.rdata, now.rdlen, old_serial);
		if (now.ttl == old->ttl && now.rdlen == old->rdlen &&
		    memcmp(now.rdata, old->rdata, now.rdlen) == 0)
			return zone_set_serial(t, z, old_serial);
	}
	return zone_journal_change(t, z, old, &serial);
}

/* Open one zone: create, import if changed, ensure SOA; one transaction. */
static int
zone_open_one(struct store *s, struct zone *z, bool force, uint32_t now, bool reload)
{
	const struct conf_zone *cz = z->conf;
	struct store_txn *t;
	struct store_zone sz;
	struct import im = { .z = z };
	int rc;

	if ((rc = store_write_begin(s, &t)) != 0)
		return rc;
	rc = store_zone_get(t, z->apex, &sz);
	bool created = false;
	if (rc == DNSD_ENOTFOUND) {
		rc = store_zone_create(t, z->apex, &sz);
		created = true;
	}
	if (rc != 0)
		goto fail;
	z->id = sz.id;

	if (cz->file != NULL) {
		uint64_t cur = current_sig(cz->file, &sz);
		if (!force && !created && sz.file_sig != 0 && cur == sz.file_sig) {
			log_debug("zone %s: %s unchanged, not re-read", z->name, cz->file);
		} else {
			struct store_soa old;
			bool had_soa = !created && zone_soa(t, z, &old) == 0;
			if (had_soa)
				store_track_changes(t);
			if ((rc = import_parse(&im, cz->file)) != 0)
				goto fail;
			if ((rc = strip_static(t, z)) != 0 || (rc = write_static(t, &im)) != 0)
				goto fail;
			if (had_soa && (rc = journal_reload(t, z, &old, im.soa_serial)) != 0)
				goto fail;
			sz.file_sig = im.includes_overflow ? 0 : im.sig;
			sz.includes_len = im.includes_len;
			memcpy(sz.includes, im.includes, im.includes_len);
			if ((rc = store_zone_put(t, z->apex, &sz)) != 0)
				goto fail;
			log_info("zone %s: %s %zu records from %s", z->name,
			    reload ? "reloaded" : "imported", im.n, cz->file);
		}
	}
	if ((rc = ensure_soa(t, z, now)) != 0)
		goto fail;
	import_free(&im);
	rc = store_commit(t);
	if (rc != 0)
		log_err("zone %s: commit failed: %s", z->name, dnsd_strerror(rc));
	return rc;
fail:
	import_free(&im);
	store_abort(t);
	log_err("zone %s: not loaded: %s", z->name, dnsd_strerror(rc));
	return rc;
}

/* Fill the in-memory description of a configured zone. */
static void
zone_describe(struct zone *z, const struct conf_zone *cz)
{
	memset(z, 0, sizeof(*z));
	z->apex_len = wire_name_len(cz->apex);
	wire_name_lower(z->apex, cz->apex, z->apex_len);
	z->labels = wire_name_labels(z->apex);
	wire_name_to_str(z->apex, z->name, sizeof(z->name));
	z->conf = cz;
}

int
zone_open_all(struct store *s, struct zonetab *t, bool force, uint32_t now)
{
	for (size_t i = 0; i < t->n; i++) {
		int rc = zone_open_one(s, &t->z[i], force, now, false);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
zone_reload_all(struct store *s, struct zonetab *t, uint32_t now)
{
	int first = 0;
	for (size_t i = 0; i < t->n; i++) {
		int rc = zone_open_one(s, &t->z[i], false, now, true);
		if (rc != 0 && first == 0)
			first = rc; /* keep serving the old data of that zone */
	}
	return first;
}

int
zonetab_build(struct zonetab *t, const struct conf *c)
{
	t->n = c->nzones;
	t->z = calloc(c->nzones ? c->nzones : 1, sizeof(*t->z));
	if (t->z == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->nzones; i++)
		zone_describe(&t->z[i], &c->zones[i]);
	/* Where each zone's Consul-style names go (conf_finish made sure the
	 * zone exists). */
	for (size_t i = 0; i < c->nzones; i++)
		for (size_t j = 0; c->zones[i].consul && j < c->nzones; j++)
			if (wire_name_equal(t->z[j].apex, c->zones[i].consul_apex))
				t->z[i].consul = &t->z[j];
	return 0;
}

void
zonetab_free(struct zonetab *t)
{
	free(t->z);
	t->z = NULL;
	t->n = 0;
}

int
zone_check_file(const char *file, const uint8_t *apex)
{
	struct conf_zone cz = { .file = (char *)file };
	struct zone z;
	memcpy(cz.apex, apex, wire_name_len(apex));
	zone_describe(&z, &cz);
	struct import im = { .z = &z };
	int rc = import_parse(&im, file);
	if (rc == 0)
		log_info("zone %s: %s: %zu records, serial %u", z.name, file, im.n, im.soa_serial);
	import_free(&im);
	return rc;
}

/* The SOA serial at the top of a zone file: records are read until the
 * SOA (normally the first); a file whose SOA comes later, or from an
 * $INCLUDE, is parsed whole. */
int
zone_file_serial(const char *file, const uint8_t *apex, uint32_t *serial)
{
	FILE *f = fopen(file, "r");
	if (f == NULL) {
		log_err("%s: %s", file, strerror(errno));
		return DNSD_EZONE;
	}
	ldns_rdf *org = ldns_dname_new_frm_data((uint16_t)wire_name_len(apex), apex), *prev = NULL;
	uint32_t ttl = 3600;
	int line_nr = 1, rc = DNSD_ENOTFOUND;
	for (int n = 0; org != NULL && n < 64 && rc == DNSD_ENOTFOUND && !feof(f); n++) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &org, &prev, &line_nr);
		if (st == LDNS_STATUS_OK && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_rd_count(rr) >= 3) {
			*serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
			rc = 0;
		}
		if (rr != NULL)
			ldns_rr_free(rr);
		if (st != LDNS_STATUS_OK && st != LDNS_STATUS_SYNTAX_EMPTY &&
		    st != LDNS_STATUS_SYNTAX_TTL && st != LDNS_STATUS_SYNTAX_ORIGIN)
			break;
	}
	if (org != NULL)
		ldns_rdf_deep_free(org);
	if (prev != NULL)
		ldns_rdf_deep_free(prev);
	fclose(f);
	if (rc == 0)
		return 0;
	struct conf_zone cz = { .file = (char *)file };
	struct zone z;
	memcpy(cz.apex, apex, wire_name_len(apex));
	zone_describe(&z, &cz);
	struct import im = { .z = &z };
	if ((rc = import_parse(&im, file)) == 0)
		*serial = im.soa_serial;
	import_free(&im);
	return rc;
}
