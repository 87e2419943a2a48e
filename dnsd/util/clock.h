/* clock.h -- the one clock of dnsd, replaceable by tests */
#ifndef DNSD_UTIL_CLOCK_H
#define DNSD_UTIL_CLOCK_H

#include <stdint.h>

/*
 * Wall-clock time in seconds since the epoch. Leases and TSIG use this;
 * tests install their own source with clock_set_source().
 */
uint32_t clock_now(void);
/* Monotonic time in milliseconds, for timeouts and deadlines. */
uint64_t clock_mono_ms(void);
/* Replace the wall clock (NULL restores the system clock). */
void clock_set_source(uint32_t (*fn)(void));

#endif
