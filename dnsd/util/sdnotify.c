/* sdnotify.c -- the service manager's notify protocol through libsystemd,
 * or nothing when dnsd is built without it */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "util/log.h"
#include "util/sdnotify.h"

#ifdef HAVE_LIBSYSTEMD
#include <stdlib.h>
#include <systemd/sd-daemon.h>

static void
send_state(const char *state)
{
	/* unset_environment 0: a reload may notify again. */
	int rc = sd_notify(0, state);
	if (rc < 0)
		log_warn("cannot notify the service manager: %s", state);
}

int
sdnotify_enabled(void)
{
	return getenv("NOTIFY_SOCKET") != NULL;
}
#else
static void
send_state(const char *state)
{
	(void)state;
}

int
sdnotify_enabled(void)
{
	return 0;
}
#endif

void
sdnotify_ready(const char *status)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status != NULL ? status : "serving");
	send_state(msg);
}

void
sdnotify_reloading(void)
{
	/* systemd 253 wants the time with RELOADING=1, to match it with the
	 * READY=1 that ends the reload; older ones ignore it. */
	struct timespec ts;
	char msg[128];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nSTATUS=reloading the configuration\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	send_state(msg);
}

void
sdnotify_stopping(void)
{
	send_state("STOPPING=1\nSTATUS=stopping");
}
