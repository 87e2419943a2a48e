/* xfr.h -- outgoing zone transfers: AXFR (RFC 5936) and IXFR (RFC 1995)
 * as a stream of messages read from one LMDB snapshot, made ahead into a
 * spool for a slow client so that the snapshot is held only as long as
 * making them takes. */
#ifndef DNSD_XFR_XFR_H
#define DNSD_XFR_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct zone;
struct query_req;
struct tsig_key;
struct tsig_rr;
struct xfr;

/*
 * Start answering a transfer request (qtype AXFR or IXFR) for zone `z`.
 * The transfer reads one snapshot of the store taken now, so the copy is
 * consistent however long it takes while updates go on. For IXFR the
 * client's serial comes from the SOA in the request's authority section;
 * the answer is the journal's differences, the current SOA alone when the
 * client is current, or the whole zone when the journal does not reach
 * back: its records live at `now` (a record whose lease ran out is gone,
 * as for queries; the reaper removes it, journaled, before its second
 * begins). With `key` (the request's verified TSIG) every message is
 * signed.
 */
int xfr_start(struct store *s, const struct zone *z, const uint8_t *msg, size_t len,
    const struct query_req *req, const struct tsig_key *key, const struct tsig_rr *trr,
    uint32_t now, struct xfr **out);

/*
 * Write the next message of the transfer into `out` (capacity `max`,
 * at most 65535). Returns 1 with *len set, 0 when the transfer is complete,
 * or a negative dnsd_err.
 */
int xfr_next(struct xfr *x, uint8_t *out, size_t max, uint32_t now, size_t *len);

/*
 * Make up to `budget` more bytes of the transfer ahead, into a spool file
 * in folder `dir` (NULL: /tmp), for a client that reads slower than we
 * make (see the top of xfr.c). Returns 1 if there is more to make, 0 once
 * every message is made and the snapshot is released, or an error.
 */
int xfr_spool(struct xfr *x, const char *dir, size_t budget);
/* Does the transfer still hold its read snapshot (messages to make)? */
bool xfr_holds_snapshot(const struct xfr *x);

/* What the transfer sends: its zone, the type asked for (RR_AXFR or
 * RR_IXFR) and the serial it brings the client to. */
const struct zone *xfr_zone(const struct xfr *x, uint16_t *qtype, uint32_t *serial);

/* Release the snapshot and everything else (NULL is fine). */
void xfr_free(struct xfr *x);

/* The client's serial in an IXFR request, if present. */
bool xfr_ixfr_serial(const uint8_t *msg, size_t len, const struct query_req *req,
    uint32_t *serial);

#endif
