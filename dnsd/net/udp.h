/* udp.h -- the UDP workers: one thread per worker, each with its own
 * SO_REUSEPORT socket per listen address */
#ifndef DNSD_NET_UDP_H
#define DNSD_NET_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/peer.h"

struct runtime;
struct store;
struct udp_pool;

struct udp_setup {
	struct store *store;
	struct runtime *rt;        /* each worker takes its own reference */
	unsigned workers;
	size_t nsocks;             /* sockets per worker (listen addresses) */
	const int *fds;            /* workers x nsocks, worker by worker */
	const bool *pktinfo;       /* per listen address: a wildcard, whose
	                            * replies must leave from the address
	                            * each query came to */
	uint64_t answer_cache;     /* bytes per worker; 0: none */
	unsigned coalesce_us, coalesce_rate;
	struct net_hooks hooks;
};

/* Start the workers. */
int udp_start(const struct udp_setup *s, struct udp_pool **out);
/* Hand every worker a reference to a newer runtime; each switches to it
 * before its next batch. */
void udp_set_runtime(struct udp_pool *p, struct runtime *rt);
/* Stop the workers (waking those that wait for datagrams by shutting
 * their sockets down for reading), join them and free everything. The
 * sockets stay open: the caller closes them. NULL is fine. */
void udp_stop(struct udp_pool *p);

#endif
