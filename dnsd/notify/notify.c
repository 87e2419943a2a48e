/* notify.c -- send NOTIFY (RFC 1996) with retries and backoff
 *
 * One thread, one unconnected UDP socket per address family. Each (zone,
 * secondary) pair is a tiny state machine: idle, or pending with a next
 * send time and an attempt count. An acknowledgement (a NOTIFY response
 * with our id from that address) makes it idle again. The thread sleeps
 * until the earliest next send time, or until it is told of a change.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "node/node.h"
#include "notify/notify.h"
#include "runtime/runtime.h"
#include "stats/stats.h"
#include "store/store.h"
#include "tsig/tsig.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

struct target {
	const struct zone *zone;   /* in n->rt */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool pending;
	unsigned attempts;
	uint64_t next_ms;
	uint16_t id;
};

struct notifier {
	struct store *store;
	struct runtime *rt;        /* owned by the thread */
	pthread_t thread;
	int evfd;
	int fd4, fd6;
	pthread_mutex_t mu;        /* guards dirty, next_rt and stop */
	uint32_t *dirty;           /* zone ids changed since the thread looked */
	size_t ndirty, capdirty;
	struct runtime *next_rt;   /* a generation to switch to */
	bool stop;
	size_t ntargets;
	struct target *targets;
	struct stats_block *st;    /* the thread's */
};

uint64_t
notify_retry_delay_ms(unsigned attempt)
{
	return attempt < NOTIFY_ATTEMPTS ? 1000ULL << attempt : 0;
}

static void
wake(struct notifier *n)
{
	uint64_t one = 1;
	ssize_t r = write(n->evfd, &one, sizeof(one));
	(void)r;
}

void
notify_zone(struct notifier *n, uint32_t zone_id)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	bool known = false;
	for (size_t i = 0; i < n->ndirty && !known; i++)
		known = n->dirty[i] == zone_id;
	bool first = n->ndirty == 0;
	if (!known && n->ndirty == n->capdirty) {
		size_t cap = n->capdirty ? n->capdirty * 2 : 16;
		uint32_t *d = realloc(n->dirty, cap * sizeof(*d));
		if (d != NULL) {
			n->dirty = d;
			n->capdirty = cap;
		}
	}
	if (!known && n->ndirty < n->capdirty)
		n->dirty[n->ndirty++] = zone_id;
	pthread_mutex_unlock(&n->mu);
	/* Already told and not yet seen: no second wake-up (the writer calls
	 * this after every commit). */
	if (!known && first)
		wake(n);
}

void
notify_set_runtime(struct notifier *n, struct runtime *rt)
{
	pthread_mutex_lock(&n->mu);
	runtime_drop(n->next_rt);
	n->next_rt = runtime_hold(rt);
	pthread_mutex_unlock(&n->mu);
	wake(n);
}

/* Build and send one NOTIFY: the zone's SOA as question and answer. */
static void
send_notify(struct notifier *n, struct target *tg)
{
	const struct zone *z = tg->zone;
	struct store_txn *t;
	struct store_soa soa;
	uint8_t buf[1024];
	struct wire_buf w;

	if (store_read_begin(n->store, &t) != 0)
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
		uint8_t mac[TSIG_MAC_MAX];
		uint16_t maclen;
		const struct keyring_key *k = keyring_find_str(n->rt->keys, kname);
		if (k == NULL || tsig_sign_request(buf, &len, sizeof(buf), &k->tsig, clock_now(), 300,
		                     mac, &maclen) != 0) {
			log_err("zone %s: cannot sign NOTIFY with key %s", z->name, kname);
			return;
		}
	}
	int fd = tg->addr.ss_family == AF_INET6 ? n->fd6 : n->fd4;
	if (fd >= 0 && sendto(fd, buf, len, 0, (struct sockaddr *)&tg->addr, tg->addrlen) >= 0)
		stats_add(n->st, ST_NOTIFY_SENT, 1);
}

/* "ADDR@PORT" of a secondary, for log lines. */
static const char *
target_str(const struct target *tg, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (tg->addr.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&tg->addr;
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		port = ntohs(sin->sin_port);
	} else if (tg->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&tg->addr;
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(buf, n, "%s@%u", a, port);
	return buf;
}

/* What a secondary's answer to our NOTIFY means, in words. */
static const char *
answer_str(unsigned rcode)
{
	switch (rcode) {
	case RCODE_NOERROR: return "NOERROR: acknowledged";
	case RCODE_FORMERR: return "FORMERR: it found the message malformed";
	case RCODE_SERVFAIL: return "SERVFAIL: it failed to handle it";
	case RCODE_NOTIMP: return "NOTIMP: it does not take NOTIFY";
	case RCODE_REFUSED: return "REFUSED: it does not take NOTIFY for this zone from this server"
	                           " (its allow-notify, or the key it wants)";
	case RCODE_NOTAUTH: return "NOTAUTH: it is not a secondary for this zone, or does not accept"
	                           " the signature (an unknown key, another secret)";
	default: return "an unexpected rcode";
	}
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
				/* Any answer ends the retries: one that refuses
				 * will refuse again. */
				unsigned rcode = WIRE_RCODE(wire_get16(buf + 2));
				const char *key = tg->zone->conf->notify_key;
				char who[INET6_ADDRSTRLEN + 8], lkey[80];
				tg->pending = false;
				target_str(tg, who, sizeof(who));
				stats_add(n->st, ST_NOTIFY_ACKED, 1);
				if (rcode == RCODE_NOERROR) {
					log_debug("zone %s: NOTIFY to %s acknowledged", tg->zone->name, who);
					continue;
				}
				snprintf(lkey, sizeof(lkey), "notify-answer %s", who);
				log_limited(LOG_LVL_WARN, lkey, 60,
				    "zone %s: NOTIFY to %s (%s%s) answered %s (rcode %u)", tg->zone->name,
				    who, key != NULL ? "key " : "unsigned", key != NULL ? key : "",
				    answer_str(rcode), rcode);
			}
		}
	}
}

/* A socket of the family, opened on first use. */
static int
family_socket(struct notifier *n, int family)
{
	int *fd = family == AF_INET6 ? &n->fd6 : &n->fd4;
	if (*fd < 0)
		*fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return *fd;
}

/* The targets of a runtime: every (zone, notify address) pair. A pair
 * that was pending under the old runtime stays pending. */
static int
targets_build(struct notifier *n, struct runtime *rt)
{
	size_t count = 0;
	for (size_t i = 0; i < rt->zones.n; i++)
		count += rt->zones.z[i].conf->nnotify;
	struct target *tv = calloc(count + 1, sizeof(*tv));
	if (tv == NULL)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < rt->zones.n; i++) {
		const struct zone *z = &rt->zones.z[i];
		for (size_t j = 0; j < z->conf->nnotify; j++) {
			struct target *tg = &tv[k++];
			const struct conf_addr *a = &z->conf->notify[j];
			tg->zone = z;
			if (a->family == AF_INET) {
				struct sockaddr_in *sin = (struct sockaddr_in *)&tg->addr;
				sin->sin_family = AF_INET;
				sin->sin_port = htons(a->port);
				memcpy(&sin->sin_addr, a->addr, 4);
				tg->addrlen = sizeof(*sin);
			} else {
				struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&tg->addr;
				sin6->sin6_family = AF_INET6;
				sin6->sin6_port = htons(a->port);
				memcpy(&sin6->sin6_addr, a->addr, 16);
				tg->addrlen = sizeof(*sin6);
			}
			family_socket(n, a->family);
			for (size_t o = 0; o < n->ntargets; o++) {
				const struct target *old = &n->targets[o];
				if (old->pending && old->zone->id == z->id && same_addr(&old->addr, &tg->addr)) {
					tg->pending = true;
					tg->attempts = old->attempts;
					tg->next_ms = old->next_ms;
					tg->id = old->id;
				}
			}
		}
	}
	free(n->targets);
	n->targets = tv;
	n->ntargets = k;
	runtime_drop(n->rt);
	n->rt = runtime_hold(rt);
	return 0;
}

/* Take what other threads left: a new runtime, changed zones, stop. */
static bool
take_messages(struct notifier *n, uint64_t now)
{
	pthread_mutex_lock(&n->mu);
	struct runtime *rt = n->next_rt;
	n->next_rt = NULL;
	bool stop = n->stop;
	if (rt != NULL && targets_build(n, rt) != 0)
		log_err("notify: no memory for the new configuration's targets");
	runtime_drop(rt);
	for (size_t d = 0; d < n->ndirty; d++) {
		for (size_t i = 0; i < n->ntargets; i++) {
			struct target *tg = &n->targets[i];
			if (tg->zone->id != n->dirty[d])
				continue;
			/* Coalesce: one NOTIFY carries the newest serial. */
			tg->pending = true;
			tg->attempts = 0;
			tg->next_ms = now;
		}
	}
	n->ndirty = 0;
	pthread_mutex_unlock(&n->mu);
	return stop;
}

static void *
notify_run(void *arg)
{
	struct notifier *n = arg;
	n->st = stats_block_new();
	for (;;) {
		uint64_t now = clock_mono_ms(), wake_at = UINT64_MAX;
		if (take_messages(n, now))
			break;
		for (size_t i = 0; i < n->ntargets; i++) {
			struct target *tg = &n->targets[i];
			if (!tg->pending)
				continue;
			if (tg->next_ms <= now) {
				if (tg->attempts == NOTIFY_ATTEMPTS) {
					char who[INET6_ADDRSTRLEN + 8];
					log_warn("zone %s: NOTIFY to %s not answered after %u tries, "
					         "giving up until the next change",
					    tg->zone->name, target_str(tg, who, sizeof(who)),
					    NOTIFY_ATTEMPTS);
					tg->pending = false;
					continue;
				}
				send_notify(n, tg);
				tg->next_ms = now + notify_retry_delay_ms(tg->attempts);
				tg->attempts++;
			}
			if (tg->next_ms < wake_at)
				wake_at = tg->next_ms;
		}
		struct pollfd pfd[3] = { { n->evfd, POLLIN, 0 }, { n->fd4, POLLIN, 0 },
			{ n->fd6, POLLIN, 0 } };
		int timeout = wake_at == UINT64_MAX ? -1 : wake_at > now ? (int)(wake_at - now) : 0;
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
notify_start(const struct notify_setup *s, struct notifier **out)
{
	struct notifier *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->store = s->store;
	n->fd4 = n->fd6 = -1;
	n->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->evfd < 0 || targets_build(n, s->rt) != 0)
		goto fail;
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
	runtime_drop(n->rt);
	free(n->targets);
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
	wake(n);
	pthread_join(n->thread, NULL);
	pthread_mutex_destroy(&n->mu);
	close(n->evfd);
	if (n->fd4 >= 0)
		close(n->fd4);
	if (n->fd6 >= 0)
		close(n->fd6);
	runtime_drop(n->next_rt);
	runtime_drop(n->rt);
	free(n->targets);
	free(n->dirty);
	free(n);
}
