/* srv.c -- RFC 2782 target selection order, and the library's random source */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE         /* getentropy() */
#endif
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client-internal.h"

/*
 * splitmix64, one state per thread, seeded on first use from getentropy()
 * (falling back to the clock and the pid). Not for cryptography: SRV
 * ordering only spreads load.
 */
static _Thread_local uint64_t rand_state;
static _Thread_local int rand_seeded;

uint32_t
client_rand(void *arg)
{
	uint64_t z;

	(void)arg;
	if (!rand_seeded) {
		if (getentropy(&rand_state, sizeof(rand_state)) != 0) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			rand_state = (uint64_t)ts.tv_sec * 1000000007u ^
			    (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
		}
		rand_seeded = 1;
	}
	z = (rand_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/*
 * A uniform number in [0, bound] inclusive (bound < 2^32 - 1). Rejection
 * sampling removes the modulo bias; the loop is bounded so that a
 * degenerate source (a test stub returning a constant) still ends.
 */
static uint32_t
rand_upto(uint32_t bound, dnsd_rand_fn rnd, void *arg)
{
	uint32_t range = bound + 1;
	uint32_t limit = (uint32_t)(-range) % range; /* 2^32 mod range */
	uint32_t r = rnd(arg);
	int tries = 0;

	while (r < limit && ++tries < 64)
		r = rnd(arg);
	return r % range;
}

static void
srv_swap(struct dnsd_srv *a, struct dnsd_srv *b)
{
	struct dnsd_srv t = *a;

	*a = *b;
	*b = t;
}

/* Stable insertion sort by priority (record sets are small). */
static void
srv_sort_priority(struct dnsd_srv *v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct dnsd_srv t = v[i];

		for (j = i; j > 0 && v[j - 1].priority > t.priority; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

/* Move v[j] to v[k] (k <= j), shifting v[k..j) up by one: the rest keeps
 * its arrangement. */
static void
srv_move(struct dnsd_srv *v, size_t k, size_t j)
{
	struct dnsd_srv t = v[j];

	memmove(v + k + 1, v + k, (j - k) * sizeof(*v));
	v[k] = t;
}

/* Order one priority group v[0..n) by RFC 2782's weighted selection. */
static void
srv_order_group(struct dnsd_srv *v, size_t n, dnsd_rand_fn rnd, void *arg)
{
	size_t i, k, zeros = 0;

	/* "arrange all SRV RRs in any order": a random one (Fisher-Yates),
	 * so that equal weights, and all-zero sets, are not starved... */
	for (i = n; i > 1; i--)
		srv_swap(&v[i - 1], &v[rand_upto((uint32_t)(i - 1), rnd, arg)]);
	/* "...except that all those with weight 0 are placed at the
	 * beginning of the list" (a stable partition). */
	for (i = 0; i < n; i++)
		if (v[i].weight == 0)
			srv_move(v, zeros++, i);

	for (k = 0; k + 1 < n; k++) {
		uint64_t sum = 0, running = 0;
		uint32_t pick;
		size_t j;

		for (j = k; j < n; j++)
			sum += v[j].weight;
		if (sum >= UINT32_MAX)
			sum = UINT32_MAX - 1;   /* > 65535 records: clamp */
		pick = rand_upto((uint32_t)sum, rnd, arg);
		/* the first record whose running sum is >= the number */
		for (j = k; j < n; j++) {
			running += v[j].weight;
			if (running >= pick)
				break;
		}
		if (j == n)
			j = n - 1;
		srv_move(v, k, j);
	}
}

void
dnsd_srv_order(struct dnsd_srv *v, size_t n, dnsd_rand_fn rnd, void *arg)
{
	size_t lo, hi;

	if (!v || n < 2)
		return;
	if (!rnd) {
		rnd = client_rand;
		arg = NULL;
	}
	srv_sort_priority(v, n);
	for (lo = 0; lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && v[hi].priority == v[lo].priority;)
			hi++;
		if (hi - lo > 1)
			srv_order_group(v + lo, hi - lo, rnd, arg);
	}
}
