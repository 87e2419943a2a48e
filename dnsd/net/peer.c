/* peer.c -- reply addresses, access lists on them, and sending replies */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "net/peer.h"

size_t
net_reply_ctl(struct msghdr *in, union net_ctl *out)
{
	struct cmsghdr *h = &out->align;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c != NULL; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo got, send = { 0 };
			memcpy(&got, CMSG_DATA(c), sizeof(got));
			send.ipi_spec_dst = got.ipi_addr; /* the source; any interface */
			h->cmsg_level = IPPROTO_IP;
			h->cmsg_type = IP_PKTINFO;
			h->cmsg_len = CMSG_LEN(sizeof(send));
			memcpy(CMSG_DATA(h), &send, sizeof(send));
			return CMSG_SPACE(sizeof(send));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			/* Address and interface as received (link-local needs both). */
			h->cmsg_level = IPPROTO_IPV6;
			h->cmsg_type = IPV6_PKTINFO;
			h->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(h), CMSG_DATA(c), sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

bool
peer_in_acl(const struct conf_acl *acl, const struct reply_to *to)
{
	return conf_acl_match_sockaddr(acl, (const struct sockaddr *)&to->peer);
}

/* sendmmsg until all are sent, skipping a peer that fails. */
static void
send_all(int fd, struct mmsghdr *mm, unsigned n)
{
	for (unsigned sent = 0; sent < n;) {
		int r = sendmmsg(fd, mm + sent, n - sent, 0);
		if (r < 0 && errno == EINTR)
			continue;
		sent += r > 0 ? (unsigned)r : 1;
	}
}

void
peer_send(const struct peer_msg *m, size_t n,
    void (*tcp)(void *ctx, uint64_t conn, const uint8_t *msg, size_t len), void *ctx)
{
	struct mmsghdr mm[64];
	struct iovec iov[64];
	unsigned k = 0;
	int fd = -1;
	for (size_t i = 0; i < n; i++) {
		const struct reply_to *to = m[i].to;
		if (m[i].len == 0)
			continue;
		if (to->fd < 0) {
			if (tcp != NULL)
				tcp(ctx, to->tcp_conn, m[i].msg, m[i].len);
			continue;
		}
		if (k == 64 || (k > 0 && to->fd != fd)) {
			send_all(fd, mm, k);
			k = 0;
		}
		fd = to->fd;
		iov[k] = (struct iovec){ (void *)m[i].msg, m[i].len };
		memset(&mm[k], 0, sizeof(mm[k]));
		mm[k].msg_hdr.msg_name = (void *)&to->peer;
		mm[k].msg_hdr.msg_namelen = to->peerlen;
		mm[k].msg_hdr.msg_iov = &iov[k];
		mm[k].msg_hdr.msg_iovlen = 1;
		if (to->ctl_len > 0) {
			mm[k].msg_hdr.msg_control = (void *)to->ctl.buf;
			mm[k].msg_hdr.msg_controllen = to->ctl_len;
		}
		k++;
	}
	if (k > 0)
		send_all(fd, mm, k);
}

const char *
peer_str(const struct sockaddr_storage *peer, char *buf, size_t n)
{
	const void *a = NULL;
	if (peer->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)peer)->sin_addr;
	else if (peer->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)peer)->sin6_addr;
	if (n == 0)
		return buf;
	if (a == NULL || inet_ntop(peer->ss_family, a, buf, (socklen_t)n) == NULL)
		snprintf(buf, n, "(unknown)");
	return buf;
}
