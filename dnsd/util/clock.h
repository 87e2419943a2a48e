/* clock.h -- the one clock of dnsd */
#ifndef DNSD_UTIL_CLOCK_H
#define DNSD_UTIL_CLOCK_H

#include <stdint.h>

/*
 * Wall-clock time in seconds since the epoch: what leases, TSIG and
 * expiry go by. Code below the threads never reads it: it takes the time
 * as a parameter, so tests choose it.
 */
uint32_t clock_now(void);
/* The same clock in milliseconds. */
uint64_t clock_now_ms(void);
/* Monotonic time in milliseconds, for timeouts and deadlines. */
uint64_t clock_mono_ms(void);

#endif
