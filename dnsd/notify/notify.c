/* notify.c -- send NOTIFY (RFC 1996) with retries and backoff
 *
 * One thread, one unconnected UDP socket per address family. Each (zone,
 * secondary) pair is a tiny state machine: idle, or pending with a next
 * send time and an attempt count. An acknowledgement (a NOTIFY response
 * with our id from that address) makes it idle again.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "conf/conf.h"
#include "net/net.h"
#include "node/node.h"
#include "notify/notify.h"
#include "store/store.h"
#include "tsig/tsig.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

#define NOTIFY_ATTEMPTS 6

struct target {
	size_t zone;               /* index in the zone table */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool pending;
	unsigned attempts;
	uint64_t next_ms;
	uint16_t id;
};

struct notifier {
	struct server *srv;
	pthread_t thread;
	int evfd;
	int fd4, fd6;
	pthread_mutex_t mu;
	bool *dirty;               /* per zone, set by notify_zone */
	bool stop;
	size_t ntargets;
	struct target *targets;
};

void
notify_zone(struct notifier *n, const struct zone *z)
{
	/* Nothing to tell, or already told and not yet seen: no wake-up (the
	 * writer calls this after every commit). */
	if (n == NULL || z->conf->nnotify == 0)
		return;
	pthread_mutex_lock(&n->mu);
	bool was = n->dirty[z - n->srv->zones.z];
	n->dirty[z - n->srv->zones.z] = true;
	pthread_mutex_unlock(&n->mu);
	if (!was) {
		uint64_t one = 1;
		ssize_t r = write(n->evfd, &one, sizeof(one));
		(void)r;
	}
}

/* Build and send one NOTIFY: the zone's SOA as question and answer. */
static void
send_notify(struct notifier *n, struct target *tg)
{
	struct server *s = n->srv;
	const struct zone *z = &s->zones.z[tg->zone];
	struct store_txn *t;
	struct store_soa soa;
	uint8_t buf[1024];
	struct wire_buf w;

	if (store_read_begin(s->store, &t) != 0)
		return;
	int rc = zone_soa(t, z, &soa);
	store_abort(t);
	if (rc != 0)
		return;
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)clock_mono_ms();
	tg->id = id;
	wire_buf_init(&w, buf, sizeof(buf));
	uint8_t hdr[WIRE_HDR_LEN] = { 0 };
	wire_put16(hdr, id);
	wire_put16(hdr + 2, (OPCODE_NOTIFY << 11) | WIRE_AA);
	wire_put16(hdr + 4, 1);
	wire_put16(hdr + 6, 1);
	wire_buf_bytes(&w, hdr, sizeof(hdr));
	wire_buf_name(&w, z->apex);
	wire_buf_u16(&w, RR_SOA);
	wire_buf_u16(&w, CLASS_IN);
	wire_buf_name(&w, z->apex);
	wire_buf_u16(&w, RR_SOA);
	wire_buf_u16(&w, CLASS_IN);
	wire_buf_u32(&w, soa.ttl);
	wire_buf_u16(&w, soa.rdlen);
	wire_buf_bytes(&w, soa.rdata, soa.rdlen);
	if (w.err != 0)
		return;
	size_t len = w.len;
	const char *kname = z->conf->notify_key;
	if (kname != NULL) {
		uint8_t kn[WIRE_NAME_MAX], mac[TSIG_MAC_MAX];
		uint16_t maclen;
		const struct conf_key *ck =
		    wire_name_from_str(kname, kn) ? conf_key_find(s->conf, kn) : NULL;
		if (ck == NULL || tsig_sign_request(buf, &len, sizeof(buf), &s->keys[ck - s->conf->keys],
		                      clock_now(), 300, mac, &maclen) != 0) {
			log_err("zone %s: cannot sign NOTIFY with key %s", z->name, kname);
			return;
		}
	}
	int fd = tg->addr.ss_family == AF_INET6 ? n->fd6 : n->fd4;
	if (fd >= 0)
		sendto(fd, buf, len, 0, (struct sockaddr *)&tg->addr, tg->addrlen);
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

/* A response from a secondary: acknowledge the matching pending NOTIFY. */
static void
receive(struct notifier *n, int fd)
{
	uint8_t buf[2048];
	struct sockaddr_storage from;
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (r < 0)
			return;
		if (r < WIRE_HDR_LEN || !(wire_get16(buf + 2) & WIRE_QR) ||
		    WIRE_OPCODE(wire_get16(buf + 2)) != OPCODE_NOTIFY)
			continue;
		uint16_t id = wire_get16(buf);
		for (size_t i = 0; i < n->ntargets; i++) {
			struct target *tg = &n->targets[i];
			if (tg->pending && tg->id == id && same_addr(&tg->addr, &from)) {
				tg->pending = false;
				log_debug("zone %s: NOTIFY acknowledged (rcode %u)",
				    n->srv->zones.z[tg->zone].name, WIRE_RCODE(wire_get16(buf + 2)));
			}
		}
	}
}

static void *
notify_run(void *arg)
{
	struct notifier *n = arg;
	struct pollfd pfd[3] = { { n->evfd, POLLIN, 0 }, { n->fd4, POLLIN, 0 }, { n->fd6, POLLIN, 0 } };
	for (;;) {
		uint64_t now = clock_mono_ms(), wake = now + 1000;
		pthread_mutex_lock(&n->mu);
		bool stop = n->stop;
		for (size_t i = 0; i < n->ntargets; i++) {
			struct target *tg = &n->targets[i];
			if (n->dirty[tg->zone]) {
				/* Coalesce: one NOTIFY carries the newest serial. */
				tg->pending = true;
				tg->attempts = 0;
				tg->next_ms = now;
			}
		}
		memset(n->dirty, 0, n->srv->zones.n * sizeof(bool));
		pthread_mutex_unlock(&n->mu);
		if (stop)
			break;
		for (size_t i = 0; i < n->ntargets; i++) {
			struct target *tg = &n->targets[i];
			if (!tg->pending)
				continue;
			if (tg->next_ms <= now) {
				if (tg->attempts == NOTIFY_ATTEMPTS) {
					log_warn("zone %s: NOTIFY not acknowledged, giving up",
					    n->srv->zones.z[tg->zone].name);
					tg->pending = false;
					continue;
				}
				send_notify(n, tg);
				tg->next_ms = now + (1000ULL << tg->attempts);
				tg->attempts++;
			}
			if (tg->next_ms < wake)
				wake = tg->next_ms;
		}
		int timeout = wake > now ? (int)(wake - now) : 0;
		if (poll(pfd, 3, timeout) > 0) {
			if (pfd[0].revents & POLLIN) {
				uint64_t v;
				ssize_t r = read(n->evfd, &v, sizeof(v));
				(void)r;
			}
			if (n->fd4 >= 0 && (pfd[1].revents & POLLIN))
				receive(n, n->fd4);
			if (n->fd6 >= 0 && (pfd[2].revents & POLLIN))
				receive(n, n->fd6);
		}
	}
	return NULL;
}

int
notify_start(struct server *s, struct notifier **out)
{
	struct notifier *n = calloc(1, sizeof(*n));
	size_t count = 0;
	if (n == NULL)
		return -ENOMEM;
	n->srv = s;
	n->fd4 = n->fd6 = -1;
	for (size_t i = 0; i < s->zones.n; i++)
		count += s->zones.z[i].conf->nnotify;
	n->targets = calloc(count + 1, sizeof(*n->targets));
	n->dirty = calloc(s->zones.n + 1, sizeof(bool));
	n->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->targets == NULL || n->dirty == NULL || n->evfd < 0)
		goto fail;
	for (size_t i = 0; i < s->zones.n; i++) {
		const struct conf_zone *cz = s->zones.z[i].conf;
		for (size_t j = 0; j < cz->nnotify; j++) {
			struct target *tg = &n->targets[n->ntargets++];
			const struct conf_addr *a = &cz->notify[j];
			tg->zone = i;
			if (a->family == AF_INET) {
				struct sockaddr_in *sin = (struct sockaddr_in *)&tg->addr;
				sin->sin_family = AF_INET;
				sin->sin_port = htons(a->port);
				memcpy(&sin->sin_addr, a->addr, 4);
				tg->addrlen = sizeof(*sin);
				if (n->fd4 < 0)
					n->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			} else {
				struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&tg->addr;
				sin6->sin6_family = AF_INET6;
				sin6->sin6_port = htons(a->port);
				memcpy(&sin6->sin6_addr, a->addr, 16);
				tg->addrlen = sizeof(*sin6);
				if (n->fd6 < 0)
					n->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			}
		}
	}
	pthread_mutex_init(&n->mu, NULL);
	if (pthread_create(&n->thread, NULL, notify_run, n) != 0) {
		pthread_mutex_destroy(&n->mu);
		goto fail;
	}
	*out = n;
	return 0;
fail:
	if (n->evfd >= 0)
		close(n->evfd);
	free(n->targets);
	free(n->dirty);
	free(n);
	return -ENOMEM;
}

void
notify_stop(struct notifier *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_mutex_unlock(&n->mu);
	uint64_t one = 1;
	ssize_t r = write(n->evfd, &one, sizeof(one));
	(void)r;
	pthread_join(n->thread, NULL);
	pthread_mutex_destroy(&n->mu);
	close(n->evfd);
	if (n->fd4 >= 0)
		close(n->fd4);
	if (n->fd6 >= 0)
		close(n->fd6);
	free(n->targets);
	free(n->dirty);
	free(n);
}
