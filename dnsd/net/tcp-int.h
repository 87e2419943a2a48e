/* tcp-int.h -- what tcp.c (the loop, connections, limits) and tcp-xfr.c
 * (zone transfers on connections) share; no other file includes it */
#ifndef DNSD_NET_TCP_INT_H
#define DNSD_NET_TCP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/peer.h"
#include "net/tcp.h"
#include "query/query.h"

struct query_info;

#define TCP_IN_MAX (2 + 65535)
#define TCP_OUT_HIGH (256 * 1024) /* stop reading while this much waits */
#define CLIENT_SLOTS 4096         /* per-client connection counters */
#define ACCEPT_PAUSE_MS 250       /* listeners unwatched after EMFILE */
#define SPOOL_STEP (1u << 20)     /* transfer bytes made ahead per round */

struct tcp_conn {
	struct tcp_conn *prev, *next; /* by last activity, oldest first */
	uint64_t id;
	int fd;
	uint8_t *in;
	size_t inlen;
	uint8_t *out;
	size_t outlen, outoff, outcap;
	uint64_t last_ms;
	unsigned pending; /* updates and forwarded queries owed an answer */
	bool eof;         /* the peer closed its side */
	bool dead;        /* closed; freed at the end of the loop iteration */
	struct reply_to to;
	struct xfr *xfr;  /* a zone transfer in progress ... */
	struct runtime *xfr_rt; /* ... and the generation whose zone it reads */
	unsigned slot;    /* the client's counter in tcp_loop.clients */
	/* A message begun and not complete: in the `partial` list, oldest
	 * first, since msg_ms. */
	struct tcp_conn *pprev, *pnext;
	bool in_partial;
	uint64_t msg_ms;
	/* A transfer: in the `xfrs` list, since xfr_ms; the client last
	 * took bytes at sent_ms. */
	struct tcp_conn *xprev, *xnext;
	bool in_xfrs;
	uint64_t xfr_ms, sent_ms;
};

struct queued {
	struct queued *next;
	uint64_t conn;
	size_t len;
	uint8_t msg[];
};

/* A listening socket in the epoll set (data.ptr); the eventfd is NULL. */
struct listener {
	int fd;
};

struct tcp_loop {
	struct store *store;
	struct runtime *rt;
	struct net_hooks hooks;
	pthread_t thread;
	bool started;
	volatile bool stop;
	int ep, evfd;
	size_t nlisteners;
	struct listener *listeners;
	struct tcp_conn *head, *tail; /* every live connection */
	size_t nconns;
	uint64_t next_id;
	struct query_ctx q;
	struct cookie_gen *cookies; /* this thread's, for q.cookies */
	uint8_t *abuf;
	pthread_mutex_t mu;           /* guards queue and next_rt */
	struct queued *queue;
	struct runtime *next_rt;
	struct tcp_conn *partial, *partial_tail; /* by first byte, oldest first */
	struct tcp_conn *xfrs;        /* running transfers */
	size_t nxfrs;
	unsigned clients[CLIENT_SLOTS];
	uint32_t seed;
	uint64_t accept_resume_ms;    /* listeners paused until then (0: not) */
	const char *spool_dir;
	struct stats_block *st;
};

/* tcp.c */
/* Log a limit that bit for a client (c's peer, or `peer`): one line per
 * client and reason a minute. */
void tcp_limit_log(const struct tcp_conn *c, const struct sockaddr_storage *peer,
    const char *reason, const char *extra);
/* Append one message with its 2-byte length prefix to c's output. */
int tcp_conn_queue(struct tcp_conn *c, const uint8_t *msg, size_t len);
/* Close a connection now (freed at the end of the round). */
void tcp_conn_close(struct tcp_loop *t, struct tcp_conn *c);

/* tcp-xfr.c */
/* Start a transfer on the connection, or queue the error that refuses it
 * (ACL, TSIG, transfer-max, transfer-client-limit). */
void tcp_xfr_begin(struct tcp_loop *t, struct tcp_conn *c, const uint8_t *msg, size_t mlen,
    const struct query_info *info, uint32_t now);
/* Queue transfer messages until the output buffer is full or it ends. */
void tcp_xfr_pump(struct tcp_loop *t, struct tcp_conn *c, uint32_t now);
/* Take the connection out of the list of running transfers (if in it). */
void tcp_xfr_unlink(struct tcp_loop *t, struct tcp_conn *c);
/* End the connection's transfer (complete or cut). */
void tcp_xfr_end(struct tcp_loop *t, struct tcp_conn *c);
/* Cut transfers past transfer-timeout, transfer-send-timeout or
 * transfer-snapshot-timeout; the next such deadline (0: none). */
uint64_t tcp_xfr_expire(struct tcp_loop *t, uint64_t ms);
/* Make ahead what transfers have still to make; true if some have more. */
bool tcp_xfr_spool(struct tcp_loop *t);

#endif
