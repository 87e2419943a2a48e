/* writer.h -- the one thread that writes: group commit of UPDATEs, the
 * lease reaper and zone reloads. */
#ifndef DNSD_WRITER_WRITER_H
#define DNSD_WRITER_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct server;
struct reply_to;
struct writer;

/*
 * Start the writer thread. It verifies TSIG, applies UPDATEs (RFC 2136)
 * collected since its last commit in one LMDB transaction, commits durably
 * and only then sends every response; between batches it removes expired
 * records (one serial bump per zone per batch) and reloads zones on request.
 */
int writer_start(struct server *s, struct writer **out);
/* Finish queued work, stop the thread and free everything (NULL is ok). */
void writer_stop(struct writer *w);
/* Queue an UPDATE (copied, with `req`, what query_parse() made of it) to
 * be answered through `to`. Thread-safe. */
struct query_req;
void writer_submit(struct writer *w, const uint8_t *msg, size_t len, const struct query_req *req,
    const struct reply_to *to);
/* Ask for the changed zone files to be re-imported (SIGHUP). */
void writer_request_reload(struct writer *w);

/* Counters, for tests and dnsdctl. */
struct writer_stats {
	uint64_t updates, commits, reaped;
};
void writer_get_stats(struct writer *w, struct writer_stats *st);

#endif
