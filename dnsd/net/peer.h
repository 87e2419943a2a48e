/* peer.h -- where a reply goes, sending replies, and the hooks through
 * which the network threads hand requests to the rest of the server
 *
 * Low in the module order: the writer and the forwarder keep a reply_to
 * with each request and give replies back through a callback, without
 * knowing the UDP workers, the TCP loop or the server.
 */
#ifndef DNSD_NET_PEER_H
#define DNSD_NET_PEER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct conf;
struct conf_acl;
struct keyring_check;
struct query_info;
struct query_req;

/* Room for the control message that picks a UDP reply's source address,
 * aligned as control messages must be. */
union net_ctl {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

/* Where a reply goes: a UDP peer on a socket, or a TCP connection. */
struct reply_to {
	int fd;                     /* UDP socket, or -1 for TCP */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	uint64_t tcp_conn;          /* TCP connection id (when fd == -1) */
	/* On a socket bound to a wildcard address: an IP_PKTINFO or
	 * IPV6_PKTINFO control message so that the reply leaves from the
	 * address the request came to (ctl_len 0: none needed). */
	size_t ctl_len;
	union net_ctl ctl;
};

/* One reply to send. */
struct peer_msg {
	const struct reply_to *to;
	const uint8_t *msg;
	size_t len;
};

/* From a datagram received with IP_PKTINFO or IPV6_PKTINFO, write the
 * control message that sends the reply from the address it came to into
 * `out`. Returns its length, 0 if the datagram carried none. */
size_t net_reply_ctl(struct msghdr *in, union net_ctl *out);

/* The peer's address as text (no port) for log lines; `n` >= 46 holds
 * any. Returns `buf`. */
#define PEER_STR_MAX 46
const char *peer_str(const struct sockaddr_storage *peer, char *buf, size_t n);

/* Is the peer's address in the access list's addresses? */
bool peer_in_acl(const struct conf_acl *acl, const struct reply_to *to);

/*
 * Send replies: UDP ones that leave through the same socket in one
 * sendmmsg (a batch of the writer is often one per client), the TCP ones
 * through `tcp` (the TCP loop's queue). A peer that cannot be reached
 * does not stop the others.
 */
void peer_send(const struct peer_msg *m, size_t n,
    void (*tcp)(void *ctx, uint64_t conn, const uint8_t *msg, size_t len), void *ctx);

/*
 * What a network thread does with requests it does not answer itself.
 * Both calls copy what they need and never block.
 */
struct net_hooks {
	void *ctx;
	/* An UPDATE, with its TSIG checked in `sig`: to the writer. */
	void (*update)(void *ctx, const uint8_t *msg, size_t len, const struct query_req *req,
	    const struct keyring_check *sig, const struct reply_to *to);
	/* A query outside every zone while forwarding is on; `conf` is the
	 * configuration it was looked at under (for forward-allow). */
	void (*forward)(void *ctx, const struct conf *conf, const uint8_t *msg, size_t len,
	    const struct query_info *info, const struct reply_to *to);
	/* A thread cannot go on (logged): stop the server. */
	void (*fatal)(void *ctx);
};

#endif
