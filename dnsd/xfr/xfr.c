/* xfr.c -- AXFR and IXFR streams
 *
 * A transfer is a small state machine that yields one record at a time
 * (the SOA, every node's records, the SOA again; or for IXFR the journal's
 * SOA-framed deletions and additions), and a packer that fills each
 * message with as many records as fit. Records are copied as stored;
 * a whole-zone transfer sends the records live when it started (the
 * reaper removes expired ones, with a journal entry, before their second
 * begins, so a snapshot and its serial agree).
 *
 * Snapshots and slow clients. A transfer reads one LMDB snapshot, and
 * while a reader holds a snapshot LMDB cannot reuse the pages freed
 * since: a client that stops reading would pin the store until it fills
 * (a 64 MiB store filled after 1,186 updates), and 256 of them would take
 * every reader slot. Restarting the read transaction at a node boundary
 * would bound the hold, but then an AXFR could mix two versions of the
 * zone under one SOA serial, which RFC 5936 forbids. So the transfer
 * stays one snapshot and its hold is bounded by our speed, not the
 * client's: while the client keeps up, messages are made as it reads;
 * when it falls behind, the TCP loop has the rest made ahead into a
 * spool (xfr_spool: unsigned messages, each with its length, in an
 * unlinked temporary file in the store's folder), and the snapshot is
 * released as soon as the last message is made. The client then reads
 * from the spool, however slowly (the TCP loop's send timeout and total
 * time cut it). Messages are signed (TSIG) as they are sent, so their
 * time is the time they leave. A zone too large to spool within
 * transfer-snapshot-timeout is cut rather than held (dnsd.conf(5)).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/node.h"
#include "query/query.h"
#include "store/store.h"
#include "tsig/tsig.h"
#include "util/err.h"
#include "wire/wire.h"
#include "xfr/xfr.h"
#include "zone/zone.h"

#define XFR_MSG_TARGET 16384 /* fill messages to about this size */
#define XFR_JOURNAL_MAX 4096 /* longest IXFR chain served from the journal */

enum phase { PH_SOA_FIRST, PH_NODES, PH_JOURNAL, PH_SOA_LAST, PH_DONE };

/* One record to send; points into the snapshot or into xfr.soa. */
struct item {
	const uint8_t *owner;
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
};

struct xfr {
	struct store_txn *txn;
	const struct zone *z;
	uint16_t id;
	uint16_t qtype;
	uint8_t qname[WIRE_NAME_MAX];
	size_t qname_len;
	bool first_msg;
	enum phase ph;
	struct store_soa soa; /* current SOA */
	/* AXFR: node iteration */
	struct store_iter *it;
	uint8_t owner[WIRE_NAME_MAX];
	struct node_it nit;
	struct node_rrset set;
	struct node_live_it rit;
	uint32_t now;         /* what is live is decided at the start */
	bool in_node, in_set;
	/* IXFR: journal entries and position */
	struct store_val *entries;
	size_t nentries, ei;
	int esub;          /* 0 old SOA, 1 deletions, 2 new SOA, 3 additions */
	const uint8_t *epos; /* next change record of the entry */
	uint8_t jsoa_owner[WIRE_NAME_MAX];
	/* TSIG */
	bool sign;
	struct tsig_stream ts;
	/* the pending item that did not fit in the last message */
	bool have_pending;
	struct item pending;
	/* made ahead (see the top): spool_r..spool_w are messages not sent */
	int spool_fd;
	uint8_t *spool_buf;   /* one message on its way into the spool */
	uint64_t spool_r, spool_w;
	bool made;          /* every message made: the snapshot is released */
};

bool
xfr_ixfr_serial(const uint8_t *msg, size_t len, const struct query_req *req, uint32_t *serial)
{
	struct wire_cur c;
	if (req->nscount < 1)
		return false;
	wire_cur_init(&c, msg, len, req->question_end);
	for (unsigned i = 0; i < req->ancount; i++) {
		wire_skip_name(&c);
		wire_skip(&c, 8);
		wire_skip(&c, wire_read_u16(&c));
	}
	wire_skip_name(&c);
	uint16_t type = wire_read_u16(&c);
	wire_skip(&c, 6);
	uint16_t rdlen = wire_read_u16(&c);
	size_t start = c.pos;
	wire_skip_name(&c);
	wire_skip_name(&c);
	uint32_t s = wire_read_u32(&c);
	if (c.err != 0 || type != RR_SOA || c.pos + 16 != start + rdlen)
		return false;
	*serial = s;
	return true;
}

int
xfr_start(struct store *s, const struct zone *z, const uint8_t *msg, size_t len,
    const struct query_req *req, const struct tsig_key *key, const struct tsig_rr *trr,
    uint32_t now, struct xfr **out)
{
	struct xfr *x = calloc(1, sizeof(*x));
	int rc;
	if (x == NULL)
		return -ENOMEM;
	x->z = z;
	x->now = now;
	x->spool_fd = -1;
	x->id = req->id;
	x->qtype = req->qtype;
	memcpy(x->qname, req->qname, req->qname_len);
	x->qname_len = req->qname_len;
	x->first_msg = true;
	if (key != NULL && trr != NULL) {
		x->sign = true;
		tsig_stream_init(&x->ts, trr, key);
	}
	if ((rc = store_read_begin(s, &x->txn)) != 0 || (rc = zone_soa(x->txn, z, &x->soa)) != 0)
		goto fail;

	x->ph = PH_SOA_FIRST;
	uint32_t cur = node_soa_serial(x->soa.rdata, x->soa.rdlen), client;
	if (req->qtype == RR_IXFR && xfr_ixfr_serial(msg, len, req, &client)) {
		if (client == cur || wire_serial_gt(client, cur)) {
			x->ph = PH_SOA_LAST; /* up to date: the SOA alone */
		} else {
			x->entries = calloc(XFR_JOURNAL_MAX, sizeof(*x->entries));
			if (x->entries == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			rc = store_journal_get(x->txn, z->id, client, x->entries, XFR_JOURNAL_MAX,
			    &x->nentries);
			/* Use the journal only if its chain ends at what we serve. */
			if (rc == 0 && x->nentries > 0 &&
			    wire_get32(x->entries[x->nentries - 1].data + 4) == cur) {
				x->ph = PH_SOA_FIRST;
				x->esub = 0;
			} else {
				x->nentries = 0; /* the whole zone instead */
			}
			rc = 0;
		}
	}
	if (x->nentries == 0 && x->ph == PH_SOA_FIRST &&
	    (rc = store_iter_zone(x->txn, z->id, &x->it)) != 0)
		goto fail;
	*out = x;
	return 0;
fail:
	xfr_free(x);
	return rc;
}

void
xfr_free(struct xfr *x)
{
	if (x == NULL)
		return;
	store_iter_free(x->it);
	store_abort(x->txn);
	free(x->entries);
	if (x->spool_fd >= 0)
		close(x->spool_fd);
	free(x->spool_buf);
	free(x);
}

/* Every message is made: let the snapshot go. */
static void
release_snapshot(struct xfr *x)
{
	store_iter_free(x->it);
	x->it = NULL;
	store_abort(x->txn);
	x->txn = NULL;
	free(x->entries);
	x->entries = NULL;
	x->made = true;
}

bool
xfr_holds_snapshot(const struct xfr *x)
{
	return x != NULL && !x->made;
}

const struct zone *
xfr_zone(const struct xfr *x, uint16_t *qtype, uint32_t *serial)
{
	*qtype = x->qtype;
	*serial = node_soa_serial(x->soa.rdata, x->soa.rdlen);
	return x->z;
}

static void
soa_item(struct xfr *x, struct item *it, const uint8_t *rd, uint16_t rdlen, uint32_t ttl)
{
	it->owner = x->z->apex;
	it->type = RR_SOA;
	it->ttl = ttl;
	it->rdata = rd;
	it->rdlen = rdlen;
}

/* Next record of the zone, SOA excluded (it frames the transfer). */
static int
next_node_item(struct xfr *x, struct item *it)
{
	for (;;) {
		struct node_rr rr;
		if (x->in_set && node_live_next(&x->rit, &rr)) {
			it->owner = x->owner;
			it->type = x->set.type;
			it->ttl = rr.ttl;
			it->rdlen = rr.rdlen;
			it->rdata = rr.rdata;
			return 1;
		}
		x->in_set = false;
		if (x->in_node && node_it_next(&x->nit, &x->set)) {
			if (x->set.type == RR_SOA && wire_name_equal(x->owner, x->z->apex))
				continue;
			node_live_init(&x->rit, &x->set, x->now);
			x->in_set = true;
			continue;
		}
		x->in_node = false;
		struct store_val k, v;
		int rc = store_iter_next(x->it, &k, &v);
		if (rc <= 0)
			return rc;
		if (store_key_to_name(k.data, k.len, x->z->apex, x->owner) == 0)
			return DNSD_ESTORE;
		node_it_init(&x->nit, v.data, v.len);
		x->in_node = true;
	}
}

/* Next record of the IXFR body: per entry, old SOA, deletions, new SOA,
 * additions (RFC 1995 section 4). */
static int
next_journal_item(struct xfr *x, struct item *it)
{
	while (x->ei < x->nentries) {
		struct store_jentry je;
		struct store_jchange c;
		int rc;
		if (store_jentry_parse(x->entries[x->ei], &je) != 0)
			return DNSD_ESTORE;
		const uint8_t *end = je.changes + je.changes_len;
		switch (x->esub) {
		case 0:
			soa_item(x, it, je.old_soa.rdata, je.old_soa.rdlen, je.old_soa.ttl);
			x->esub = 1;
			x->epos = je.changes;
			return 1;
		case 2:
			soa_item(x, it, je.new_soa.rdata, je.new_soa.rdlen, je.new_soa.ttl);
			x->esub = 3;
			x->epos = je.changes;
			return 1;
		}
		/* esub 1 (deletions) or 3 (additions) */
		uint8_t want = x->esub == 1 ? STORE_JCHANGE_DEL : STORE_JCHANGE_ADD;
		while ((rc = store_jchange_next(&x->epos, end, &c)) == 1) {
			if (c.op != want)
				continue;
			if (store_key_to_name(c.key, c.keylen, x->z->apex, x->jsoa_owner) == 0)
				return DNSD_ESTORE;
			it->owner = x->jsoa_owner;
			it->type = c.type;
			it->ttl = c.ttl;
			it->rdlen = c.rdlen;
			it->rdata = c.rdata;
			return 1;
		}
		if (rc != 0)
			return DNSD_ESTORE;
		if (x->esub == 1) {
			x->esub = 2;
		} else {
			x->esub = 0;
			x->ei++;
		}
	}
	return 0;
}

/* The next record of the whole transfer, or 0 at the end. */
static int
next_item(struct xfr *x, struct item *it)
{
	int rc;
	switch (x->ph) {
	case PH_SOA_FIRST:
		soa_item(x, it, x->soa.rdata, x->soa.rdlen, x->soa.ttl);
		x->ph = x->nentries > 0 ? PH_JOURNAL : PH_NODES;
		return 1;
	case PH_NODES:
		if ((rc = next_node_item(x, it)) != 0)
			return rc;
		x->ph = PH_SOA_LAST;
		return next_item(x, it);
	case PH_JOURNAL:
		if ((rc = next_journal_item(x, it)) != 0)
			return rc;
		x->ph = PH_SOA_LAST;
		return next_item(x, it);
	case PH_SOA_LAST:
		soa_item(x, it, x->soa.rdata, x->soa.rdlen, x->soa.ttl);
		x->ph = PH_DONE;
		return 1;
	case PH_DONE:
		return 0;
	}
	return 0;
}

static void
put_item(struct wire_buf *w, const struct item *it)
{
	wire_buf_name(w, it->owner);
	wire_buf_u16(w, it->type);
	wire_buf_u16(w, CLASS_IN);
	wire_buf_u32(w, it->ttl);
	wire_buf_u16(w, it->rdlen);
	wire_buf_bytes(w, it->rdata, it->rdlen);
}

/* Make the next message, unsigned, leaving room for the TSIG record
 * (RFC 8945: every message is signed). 1, 0 at the end, or an error. */
static int
make_message(struct xfr *x, uint8_t *out, size_t room, size_t *len)
{
	struct wire_buf w;
	uint16_t an = 0;

	if (!x->have_pending && x->ph == PH_DONE) {
		if (!x->made)
			release_snapshot(x);
		return 0;
	}
	wire_buf_init(&w, out, x->sign ? room - 256 : room);
	uint8_t hdr[WIRE_HDR_LEN] = { 0 };
	wire_put16(hdr, x->id);
	wire_put16(hdr + 2, WIRE_QR | WIRE_AA);
	wire_buf_bytes(&w, hdr, sizeof(hdr));
	if (x->first_msg) {
		wire_put16(out + 4, 1);
		wire_buf_name(&w, x->qname);
		wire_buf_u16(&w, x->qtype);
		wire_buf_u16(&w, CLASS_IN);
	}
	for (;;) {
		struct item it;
		if (x->have_pending) {
			it = x->pending;
			x->have_pending = false;
		} else {
			int rc = next_item(x, &it);
			if (rc < 0)
				return rc;
			if (rc == 0)
				break;
		}
		struct wire_mark m = wire_buf_mark(&w);
		put_item(&w, &it);
		if (w.err != 0 || (an > 0 && w.len > XFR_MSG_TARGET)) {
			wire_buf_rollback(&w, m);
			if (an == 0)
				return DNSD_ETOOBIG; /* one record larger than a message */
			x->pending = it;
			x->have_pending = true;
			break;
		}
		an++;
		/* Pending items point into storage that stays valid: the
		 * snapshot, or this struct. */
	}
	wire_put16(out + 6, an);
	x->first_msg = false;
	*len = w.len;
	return 1;
}

static int
spool_open(struct xfr *x, const char *dir)
{
	const char *d = dir != NULL ? dir : "/tmp";
	x->spool_fd = open(d, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (x->spool_fd < 0) {
		/* A file system without O_TMPFILE: a named file, unlinked. */
		char path[4096];
		snprintf(path, sizeof(path), "%s/.xfr-spool-XXXXXX", d);
		x->spool_fd = mkostemp(path, O_CLOEXEC);
		if (x->spool_fd < 0)
			return -errno;
		unlink(path);
	}
	return 0;
}

int
xfr_spool(struct xfr *x, const char *dir, size_t budget)
{
	size_t done = 0;
	if (x->made)
		return 0;
	if (x->spool_buf == NULL && (x->spool_buf = malloc(2 + 65535)) == NULL)
		return -ENOMEM;
	if (x->spool_fd < 0) {
		int rc = spool_open(x, dir);
		if (rc != 0)
			return rc;
	}
	uint8_t *buf = x->spool_buf;
	while (done < budget) {
		size_t len = 0;
		int rc = make_message(x, buf + 2, 65535, &len);
		if (rc <= 0)
			return rc;
		wire_put16(buf, (uint16_t)len);
		for (size_t off = 0; off < len + 2;) {
			ssize_t n = pwrite(x->spool_fd, buf + off, len + 2 - off,
			    (off_t)(x->spool_w + off));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 ? -errno : -ENOSPC;
			off += (size_t)n;
		}
		x->spool_w += len + 2;
		done += len + 2;
	}
	return 1;
}

/* The next spooled message into `out`: 1, or an error. */
static int
spool_read(struct xfr *x, uint8_t *out, size_t room, size_t *len)
{
	uint8_t l[2];
	if (pread(x->spool_fd, l, 2, (off_t)x->spool_r) != 2)
		return DNSD_ESTORE;
	size_t n = wire_get16(l);
	if (n > room || pread(x->spool_fd, out, n, (off_t)(x->spool_r + 2)) != (ssize_t)n)
		return DNSD_ESTORE;
	x->spool_r += n + 2;
	*len = n;
	return 1;
}

int
xfr_next(struct xfr *x, uint8_t *out, size_t max, uint32_t now, size_t *len)
{
	size_t room = max > 65535 ? 65535 : max;
	int rc;
	/* What was made ahead goes first; made now only once it is sent. */
	if (x->spool_r < x->spool_w)
		rc = spool_read(x, out, room, len);
	else
		rc = make_message(x, out, room, len);
	if (rc != 1)
		return rc;
	if (x->sign && (rc = tsig_stream_sign(&x->ts, out, len, room, now)) != 0)
		return rc;
	return 1;
}
