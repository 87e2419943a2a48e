/* sdnotify.c -- the service manager's notify protocol (sd_notify(3)),
 * spoken directly: one datagram to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or an abstract name written with a leading
 * '@'). systemd documents the protocol as stable for other
 * implementations; linking libsystemd for it cost every start the
 * loading of libsystemd and the five libraries it needs. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sdnotify.h"

/* The socket's address from $NOTIFY_SOCKET: its length, or 0 if there is
 * none or it is not an AF_UNIX name (systemd 254's vsock: is not
 * spoken here). */
static socklen_t
notify_addr(struct sockaddr_un *sa)
{
	const char *p = getenv("NOTIFY_SOCKET");
	size_t n = p != NULL ? strlen(p) : 0;
	if (n < 2 || (p[0] != '/' && p[0] != '@') || n >= sizeof(sa->sun_path))
		return 0;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, p, n);
	if (sa->sun_path[0] == '@')
		sa->sun_path[0] = '\0'; /* abstract: the length says where it ends */
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (p[0] == '/'));
}

static void
send_state(const char *state)
{
	struct sockaddr_un sa;
	socklen_t len = notify_addr(&sa);
	if (len == 0)
		return;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		log_warn("cannot notify the service manager at %s: %s", getenv("NOTIFY_SOCKET"),
		    strerror(errno));
	if (fd >= 0)
		close(fd);
}

int
sdnotify_enabled(void)
{
	struct sockaddr_un sa;
	return notify_addr(&sa) != 0;
}

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
