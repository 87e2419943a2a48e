/* testaddr.h -- a socket address from text, for the unit tests of code
 * that keys on the client's address (cookies, rate limits) */
#ifndef DNSD_TEST_TESTADDR_H
#define DNSD_TEST_TESTADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* "192.0.2.1" or "2001:db8::1" as a sockaddr_storage (port 0). */
static inline struct sockaddr_storage
test_addr(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(a, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, a, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, a, &s4->sin_addr);
	}
	return ss;
}

#define SA(x) ((const struct sockaddr *)&(x))

#endif
