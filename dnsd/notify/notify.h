/* notify.h -- NOTIFY (RFC 1996) to secondaries after serial changes */
#ifndef DNSD_NOTIFY_NOTIFY_H
#define DNSD_NOTIFY_NOTIFY_H

struct server;
struct zone;
struct notifier;

/*
 * Start the notifier thread. After notify_zone() it sends a NOTIFY for the
 * zone to each address in the zone's `notify` list (TSIG-signed with the
 * zone's notify key, if any), and retries with doubling intervals (1, 2,
 * 4, 8, 16 s) until each secondary acknowledges. Changes that arrive while
 * a NOTIFY is pending are coalesced into it.
 */
int notify_start(struct server *s, struct notifier **out);
/* The zone's serial changed (committed). Thread-safe; never blocks. */
void notify_zone(struct notifier *n, const struct zone *z);
/* Stop the thread and free everything (NULL is fine). */
void notify_stop(struct notifier *n);

#endif
