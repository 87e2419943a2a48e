/* notify.h -- NOTIFY (RFC 1996) to secondaries after serial changes */
#ifndef DNSD_NOTIFY_NOTIFY_H
#define DNSD_NOTIFY_NOTIFY_H

#include <stdint.h>

struct notifier;
struct runtime;
struct store;

/* What the notifier needs. */
struct notify_setup {
	struct store *store;    /* read for the zones' current SOA */
	struct runtime *rt;     /* zones, their notify lists and keys (held) */
};

/* Attempts per NOTIFY before giving up on a secondary. */
#define NOTIFY_ATTEMPTS 6

/*
 * How long to wait for an answer to attempt number `attempt` (0 for the
 * first send) before sending the next one, or giving up after the last:
 * 1, 2, 4, 8, 16 and 32 seconds, in milliseconds; 0 past the last attempt.
 */
uint64_t notify_retry_delay_ms(unsigned attempt);

/*
 * Start the notifier thread. After notify_zone() it sends a NOTIFY for the
 * zone to each address in the zone's `notify` list (TSIG-signed with the
 * zone's notify key, if any), and retries on notify_retry_delay_ms's
 * schedule until each secondary acknowledges. Changes that arrive while a
 * NOTIFY is pending are coalesced into it.
 */
int notify_start(const struct notify_setup *s, struct notifier **out);
/* The serial of the zone with store id `zone_id` changed (committed).
 * Thread-safe; never blocks on the network. */
void notify_zone(struct notifier *n, uint32_t zone_id);
/* Serve another generation of the configuration from now on (the
 * notifier takes its own reference). */
void notify_set_runtime(struct notifier *n, struct runtime *rt);
/* Stop the thread and free everything (NULL is fine). */
void notify_stop(struct notifier *n);

#endif
