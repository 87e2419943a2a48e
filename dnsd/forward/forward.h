/* forward.h -- relay queries for names outside every zone to upstream
 * resolvers with c-ares, without ever blocking a worker. */
#ifndef DNSD_FORWARD_FORWARD_H
#define DNSD_FORWARD_FORWARD_H

#include <stddef.h>
#include <stdint.h>

struct conf_addr;
struct forwarder;
struct peer_msg;
struct reply_to;

/* What the forwarder needs, and how it gives answers back. */
struct forward_setup {
	const struct conf_addr *servers; /* tried in order; copied */
	size_t nservers;
	uint16_t edns_max;               /* for the error replies it makes */
	void *ctx;
	void (*send)(void *ctx, const struct peer_msg *m, size_t n);
};

/*
 * Start the forwarder thread with the upstream servers (tried in order: on
 * a timeout, SERVFAIL or REFUSED from one, c-ares asks the next). Returns
 * 0 with *out NULL when there are none.
 */
int forward_start(const struct forward_setup *s, struct forwarder **out);
/*
 * Queue a query (copied) to be relayed; the answer goes back through
 * `to` with the client's ID, cut to `limit` bytes with TC=1 if larger.
 * Thread-safe and never blocks.
 */
void forward_submit(struct forwarder *f, const uint8_t *msg, size_t len, size_t limit,
    const struct reply_to *to);
void forward_stop(struct forwarder *f);

#endif
