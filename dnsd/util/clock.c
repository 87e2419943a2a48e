/* clock.c -- the one clock of dnsd */
#include "config.h"

#include <time.h>

#include "util/clock.h"

uint32_t
clock_now(void)
{
	return (uint32_t)time(NULL);
}

uint64_t
clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
