/* net.h -- sockets and threads: UDP workers, the TCP loop, the server */
#ifndef DNSD_NET_NET_H
#define DNSD_NET_NET_H

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "zone/zone.h"

struct conf;
struct conf_key;
struct query_req;
struct store;
struct tsig_key;
struct writer;

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

/* Is the listen address the wildcard (0.0.0.0 or ::)? Such UDP sockets
 * ask for each datagram's destination address (IP_PKTINFO). */
bool net_addr_wildcard(const struct conf_addr *a);

/* From a datagram received with IP_PKTINFO or IPV6_PKTINFO, write the
 * control message that sends the reply from the address it came to into
 * `out`. Returns its length, 0 if the datagram carried none. */
size_t net_reply_ctl(struct msghdr *in, union net_ctl *out);

/* Everything the threads share. Fixed after start-up except the flags. */
struct server {
	struct conf *conf;
	struct store *store;
	struct zonetab zones;
	struct writer *writer;      /* NULL until the writer runs */
	struct tsig_key *keys;      /* decoded TSIG keys, parallel to conf->keys */
	struct notifier *notifier;
	struct forwarder *forwarder; /* NULL without `forward` */
	volatile sig_atomic_t stop;
	size_t nudp;                /* UDP sockets: nworkers x nlisten */
	int *udp_fds;
	size_t ntcp;
	int *tcp_fds;               /* listening TCP sockets */
	struct tcp_loop *tcp;
};

/*
 * Open every listening socket: per listen address one SO_REUSEPORT UDP
 * socket per worker, and one TCP listener. Logs and returns an error if
 * an address cannot be bound.
 */
int net_open(struct server *s);
void net_close(struct server *s);

/* UDP worker thread body; `arg` is a struct udp_worker. */
struct udp_worker {
	struct server *srv;
	unsigned index;
	pthread_t thread;
};
void *udp_worker_run(void *arg);

/* The TCP event loop (RFC 7766): one thread serving every connection. */
struct tcp_loop;
int tcp_loop_new(struct server *s, struct tcp_loop **out);
void *tcp_loop_run(void *arg);
/* Wake the loop (after stop is set, or when a reply is queued). */
void tcp_loop_wake(struct tcp_loop *t);
/* Queue a complete reply for a TCP connection (from another thread);
 * copies the bytes. Dropped silently if the connection has gone. */
void tcp_loop_send(struct tcp_loop *t, uint64_t conn, const uint8_t *msg, size_t len);
/* After the loop thread has stopped: send the replies still queued for
 * TCP clients (waiting at most a second per connection). NULL is fine. */
void tcp_loop_drain(struct tcp_loop *t);
void tcp_loop_free(struct tcp_loop *t);

/*
 * Run the server until SIGTERM/SIGINT: open the store and zones, start
 * the writer, the UDP workers and the TCP loop; SIGHUP re-imports changed
 * zone files. Returns the process exit status.
 */
int server_main(struct conf *c);

/*
 * Hand an UPDATE to the writer (from a worker or the TCP loop); the writer
 * answers through `to` once the change is durable. `msg` and `req` (what
 * query_answer() parsed of it) are copied.
 */
void server_submit_update(struct server *s, const uint8_t *msg, size_t len,
    const struct query_req *req, const struct reply_to *to);

/* A zone's serial changed (committed): send NOTIFY to its secondaries. */
void server_zone_changed(struct server *s, const struct zone *z);

/*
 * Authenticate a request's TSIG against the configured keys. Returns 1
 * if signed and valid (*key and *rr set), 0 if unsigned, or -1 if the
 * signature is bad (*tsig_error set; the answer is NOTAUTH) or malformed.
 */
struct tsig_rr;
int server_tsig_check(struct server *s, const uint8_t *msg, size_t len, uint32_t now,
    struct tsig_rr *rr, const struct tsig_key **key, const struct conf_key **ckey,
    uint16_t *tsig_error);

/*
 * Relay a query for a name outside the zones (QUERY_FORWARD), if the client
 * may use the forwarder (forward-allow); otherwise answer REFUSED.
 */
struct query_info;
void server_forward(struct server *s, const uint8_t *msg, size_t len,
    const struct query_info *info, const struct reply_to *to);

/* Send a reply to where a request came from (UDP sendto or TCP queue). */
void server_reply(struct server *s, const struct reply_to *to, const uint8_t *msg, size_t len);

#endif
