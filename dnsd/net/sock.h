/* sock.h -- opening the listening sockets */
#ifndef DNSD_NET_SOCK_H
#define DNSD_NET_SOCK_H

#include <stdbool.h>

struct conf_addr;

/* Is the listen address the wildcard (0.0.0.0 or ::)? Such UDP sockets
 * ask for each datagram's destination address (IP_PKTINFO). */
bool sock_addr_wildcard(const struct conf_addr *a);

/*
 * Open and bind a socket for a listen address: UDP (SO_REUSEPORT, so each
 * worker has its own; large buffers; no path MTU discovery; destination
 * addresses on a wildcard) or TCP (non-blocking, listening). Returns the
 * descriptor, or a negative errno after logging why.
 */
int sock_open_udp(const struct conf_addr *a);
int sock_open_tcp(const struct conf_addr *a);

#endif
