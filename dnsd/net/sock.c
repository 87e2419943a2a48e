/* sock.c -- opening the listening sockets (UDP per worker, TCP) */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/conf.h"
#include "net/sock.h"
#include "util/log.h"

bool
sock_addr_wildcard(const struct conf_addr *a)
{
	static const uint8_t zero[16];
	return memcmp(a->addr, zero, a->family == AF_INET ? 4 : 16) == 0;
}

static int
open_socket(const struct conf_addr *a, int type, bool reuseport)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char txt[INET6_ADDRSTRLEN];
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->addr, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->addr, 16);
		sl = sizeof(*sin6);
	}
	inet_ntop(a->family, a->addr, txt, sizeof(txt));
	int fd = socket(a->family, type | SOCK_CLOEXEC | (type == SOCK_STREAM ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		log_err("socket for %s: %s", txt, strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (a->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		int sz = 4 * 1024 * 1024;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		/* No path MTU discovery for UDP answers (as NSD and Knot): a
		 * forged ICMP "fragmentation needed" must not make the kernel
		 * fragment answers to a victim, which helps spoofed fragments
		 * poison its cache. Answers fit edns-max, 1232 by default. */
#if defined(IP_MTU_DISCOVER) && defined(IP_PMTUDISC_OMIT)
		int omit = IP_PMTUDISC_OMIT;
		if (a->family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof(omit));
#endif
#if defined(IPV6_MTU_DISCOVER) && defined(IPV6_PMTUDISC_OMIT)
		int omit6 = IPV6_PMTUDISC_OMIT;
		if (a->family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit6, sizeof(omit6));
#endif
		/* Bound to every address: learn each query's destination, so
		 * that the answer leaves from it (else the routing table picks
		 * the source, and the client drops an answer from elsewhere). */
		if (sock_addr_wildcard(a) &&
		    (a->family == AF_INET
		            ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
		            : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))) != 0) {
			int e = errno;
			log_err("cannot ask for destination addresses on %s: %s", txt, strerror(e));
			close(fd);
			return -e;
		}
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		int e = errno;
		log_err("cannot bind %s %s port %u: %s", type == SOCK_DGRAM ? "UDP" : "TCP", txt,
		    a->port, strerror(e));
		close(fd);
		return -e;
	}
	if (type == SOCK_STREAM && listen(fd, 1024) != 0) {
		int e = errno;
		log_err("cannot listen on %s port %u: %s", txt, a->port, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int
sock_open_udp(const struct conf_addr *a)
{
	return open_socket(a, SOCK_DGRAM, true);
}

int
sock_open_tcp(const struct conf_addr *a)
{
	return open_socket(a, SOCK_STREAM, false);
}
