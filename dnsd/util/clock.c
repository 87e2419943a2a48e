/* clock.c -- the one clock of dnsd, replaceable by tests */
#include "config.h"

#include <stddef.h>
#include <time.h>

#include "util/clock.h"

static uint32_t (*clock_source)(void);

uint32_t
clock_now(void)
{
	if (clock_source != NULL)
		return clock_source();
	return (uint32_t)time(NULL);
}

uint64_t
clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
clock_set_source(uint32_t (*fn)(void))
{
	clock_source = fn;
}
