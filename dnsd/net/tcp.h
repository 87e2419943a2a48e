/* tcp.h -- DNS over TCP (RFC 7766): one thread and one epoll loop for
 * every connection, zone transfers included */
#ifndef DNSD_NET_TCP_H
#define DNSD_NET_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "net/peer.h"

struct runtime;
struct store;
struct tcp_loop;

struct tcp_setup {
	struct store *store;
	struct runtime *rt;     /* the loop takes its own reference */
	const int *fds;         /* listening sockets (non-blocking) */
	size_t nfds;
	const char *spool_dir;  /* transfers made ahead for slow clients (xfr.h) */
	struct net_hooks hooks;
};

/* Start the loop thread. */
int tcp_start(const struct tcp_setup *s, struct tcp_loop **out);
/* Serve with a newer runtime from the next round on (a reference is
 * taken). Transfers already running finish with the zone they began. */
void tcp_set_runtime(struct tcp_loop *t, struct runtime *rt);
/* Queue a complete reply for a connection (from another thread); copies
 * the bytes. Dropped silently if the connection has gone. */
void tcp_send(struct tcp_loop *t, uint64_t conn, const uint8_t *msg, size_t len);
/* Stop the thread; connections stay open for tcp_free. */
void tcp_stop(struct tcp_loop *t);
/* Send the replies still owed to clients (waiting at most a second per
 * connection), close every connection and free the loop. NULL is fine. */
void tcp_free(struct tcp_loop *t);

#endif
