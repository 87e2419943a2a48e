/* tcp-xfr.c -- zone transfers on TCP connections: who may start one (the
 * zone's allow-transfer, transfer-max, transfer-client-limit), pumping
 * messages into a connection, making them ahead for slow clients (xfr.c),
 * and cutting those past their deadlines. Every refusal and cut is logged
 * with the client's address and counted. */
#include "config.h"

#include <stdio.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "net/tcp-int.h"
#include "runtime/runtime.h"
#include "stats/stats.h"
#include "tsig/tsig.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "xfr/xfr.h"
#include "zone/zone.h"

void
tcp_xfr_unlink(struct tcp_loop *t, struct tcp_conn *c)
{
	if (!c->in_xfrs)
		return;
	if (c->xprev != NULL)
		c->xprev->xnext = c->xnext;
	else
		t->xfrs = c->xnext;
	if (c->xnext != NULL)
		c->xnext->xprev = c->xprev;
	c->xprev = c->xnext = NULL;
	c->in_xfrs = false;
	t->nxfrs--;
}

static void
xfrs_add(struct tcp_loop *t, struct tcp_conn *c, uint64_t ms)
{
	c->xprev = NULL;
	c->xnext = t->xfrs;
	if (t->xfrs != NULL)
		t->xfrs->xprev = c;
	t->xfrs = c;
	c->in_xfrs = true;
	c->xfr_ms = c->sent_ms = ms;
	t->nxfrs++;
}

/* May this transfer go ahead: the client's address is allowed, or it
 * signed with a key the zone names (either suffices)? */
static bool
xfr_allowed(const struct tcp_conn *c, const struct conf_acl *acl, const struct keyring_check *sig)
{
	return keyring_check_key_in(sig, acl->keys, acl->nkeys) || peer_in_acl(acl, &c->to);
}

/* Start a transfer on the connection, or queue the error that refuses it. */
void
tcp_xfr_begin(struct tcp_loop *t, struct tcp_conn *c, const uint8_t *msg, size_t mlen,
    const struct query_info *info, uint32_t now)
{
	const struct zone *z = info->zone;
	const struct conf *cf = t->rt->conf;
	struct keyring_check sig;
	uint16_t rcode = RCODE_REFUSED;
	size_t mine = 0;

	for (const struct tcp_conn *o = t->xfrs; o != NULL; o = o->xnext)
		mine += o->slot == c->slot;
	/* One line per transfer: the client, its key, and why not, in words
	 * (refusals are an outsider's doing: rate-limited per client and
	 * reason). */
	char addr[PEER_STR_MAX], how[320], lkey[64];
	const char *what = info->req.qtype == RR_AXFR ? "AXFR" : "IXFR";
	keyring_verify(t->q.keys, msg, mlen, now, &sig);
	keyring_replayed(&sig); /* a signed transfer request sent again */
	peer_str(&c->to.peer, addr, sizeof(addr));
	keyring_check_str(&sig, now, how, sizeof(how));
	snprintf(lkey, sizeof(lkey), "xfr %s %d/%u", addr, (int)sig.status, sig.tsig_error);
	if (sig.status == KEYRING_INVALID) {
		rcode = sig.tsig_error == TSIG_NOERROR ? RCODE_FORMERR : RCODE_NOTAUTH;
		log_limited(LOG_LVL_WARN, lkey, 10, "zone %s: %s refused to %s: %s", z->name, what, addr,
		    how);
		stats_add(t->st, ST_XFR_REFUSED, 1);
	} else if (!xfr_allowed(c, &z->conf->allow_transfer, &sig)) {
		log_limited(LOG_LVL_WARN, lkey, 10, "zone %s: %s refused to %s (%s): %s", z->name, what,
		    addr, how,
		    sig.status == KEYRING_VALID
		        ? "allow-transfer lists neither this key nor this address"
		        : "allow-transfer does not list this address, and the request is not signed"
		          " with a key it lists");
		stats_add(t->st, ST_XFR_REFUSED, 1);
	} else if (t->nxfrs >= cf->xfr_max || mine >= cf->xfr_client_max) {
		/* Busy, not forbidden: SERVFAIL, and the secondary retries. */
		log_limited(LOG_LVL_WARN, lkey, 60, "zone %s: %s refused to %s (%s): %s (%zu running, "
		    "%zu for this client)", z->name, what, addr, how,
		    t->nxfrs >= cf->xfr_max ? "transfer-max reached" : "transfer-client-limit reached",
		    t->nxfrs, mine);
		stats_add(t->st, ST_XFR_LIMIT, 1);
		rcode = RCODE_SERVFAIL;
	} else {
		bool sign = sig.status == KEYRING_VALID;
		int rc = xfr_start(t->store, z, msg, mlen, &info->req, sign ? &sig.key->tsig : NULL,
		    sign ? &sig.rr : NULL, now, &c->xfr);
		if (rc == 0) {
			c->xfr_rt = runtime_hold(t->rt);
			xfrs_add(t, c, clock_mono_ms());
			stats_add(t->st, info->req.qtype == RR_AXFR ? ST_XFR_AXFR : ST_XFR_IXFR, 1);
			log_info("zone %s: %s to client %s started (%s)", z->name, what, addr, how);
			return;
		}
		log_err("zone %s: %s to client %s failed: %s", z->name, what, addr, dnsd_strerror(rc));
		rcode = RCODE_SERVFAIL;
	}
	size_t len = query_error_reply(&info->req, t->abuf, 65535, rcode, t->q.edns_max, &sig, now);
	if (len > 0)
		tcp_conn_queue(c, t->abuf, len);
}

void
tcp_xfr_end(struct tcp_loop *t, struct tcp_conn *c)
{
	tcp_xfr_unlink(t, c);
	xfr_free(c->xfr);
	c->xfr = NULL;
	runtime_drop(c->xfr_rt);
	c->xfr_rt = NULL;
}

/* Queue transfer messages until the output buffer is full or it ends. */
void
tcp_xfr_pump(struct tcp_loop *t, struct tcp_conn *c, uint32_t now)
{
	while (c->xfr != NULL && c->outlen - c->outoff < TCP_OUT_HIGH) {
		size_t len = 0;
		int rc = xfr_next(c->xfr, t->abuf, 65535, now, &len);
		if (rc == 1) {
			tcp_conn_queue(c, t->abuf, len);
			continue;
		}
		if (rc < 0) {
			log_err("transfer aborted: %s", dnsd_strerror(rc));
			c->eof = true; /* a broken transfer must not look complete */
		} else {
			char addr[PEER_STR_MAX];
			uint16_t qtype;
			uint32_t serial;
			const struct zone *z = xfr_zone(c->xfr, &qtype, &serial);
			stats_xfr_done(z->name, peer_str(&c->to.peer, addr, sizeof(addr)), qtype, serial,
			    now);
		}
		tcp_xfr_end(t, c);
	}
}

uint64_t
tcp_xfr_expire(struct tcp_loop *t, uint64_t ms)
{
	const struct conf *cf = t->rt->conf;
	uint64_t next = 0;
	char why[96];

	for (struct tcp_conn *c = t->xfrs, *n; c != NULL; c = n) {
		n = c->xnext;
		uint64_t end = c->xfr_ms + cf->xfr_timeout_ms;
		/* (A running transfer always has bytes for the client: in our
		 * buffer, the kernel's, or still to be made.) */
		uint64_t stall = c->sent_ms + cf->xfr_send_ms;
		uint64_t snap = xfr_holds_snapshot(c->xfr) ? c->xfr_ms + cf->xfr_snapshot_ms : 0;
		const char *reason = end <= ms            ? "transfer cut: transfer-timeout"
		    : stall <= ms                          ? "transfer cut: transfer-send-timeout"
		    : snap != 0 && snap <= ms              ? "transfer cut: transfer-snapshot-timeout"
		                                           : NULL;
		if (reason != NULL) {
			snprintf(why, sizeof(why), " after %llu ms",
			    (unsigned long long)(ms - c->xfr_ms));
			tcp_limit_log(c, NULL, reason, why);
			stats_add(t->st, ST_XFR_CUT, 1);
			tcp_xfr_end(t, c);
			tcp_conn_close(t, c);
			continue;
		}
		next = next == 0 || end < next ? end : next;
		next = stall < next ? stall : next;
		if (snap != 0 && snap < next)
			next = snap;
	}
	return next;
}

/* Make ahead what transfers have still to make, a step per round, so that
 * their snapshots go however slowly their clients read (xfr.c): a client
 * that keeps up takes messages made as it reads and from the spool alike.
 * True if some have more to make. */
bool
tcp_xfr_spool(struct tcp_loop *t)
{
	bool more = false;
	for (struct tcp_conn *c = t->xfrs, *n; c != NULL; c = n) {
		n = c->xnext;
		if (!xfr_holds_snapshot(c->xfr))
			continue;
		int rc = xfr_spool(c->xfr, t->spool_dir, SPOOL_STEP);
		if (rc < 0) {
			log_err("transfer: cannot spool for a slow client (%s): cut",
			    dnsd_strerror(rc));
			stats_add(t->st, ST_XFR_CUT, 1);
			tcp_xfr_end(t, c);
			tcp_conn_close(t, c);
			continue;
		}
		more |= rc > 0;
	}
	return more;
}

