/* nullresp.c -- the benchmark's null responder: the ceiling of a UDP DNS
 * server on this machine, with the kernel's costs and none of the DNS work
 *
 *   nullresp [-s SIZE] [-w MICROSECONDS] [-t THREADS] ADDR PORT
 *
 * Each thread has its own SO_REUSEPORT socket on ADDR:PORT and loops:
 * recvmmsg a batch of up to 64 datagrams (blocking for the first, as
 * dnsd's workers do with MSG_WAITFORONE), turn each into a reply, and
 * sendmmsg the batch. A reply is the request's header and question with
 * QR set, no records but, when the request is shorter than SIZE bytes, an
 * OPT record whose Padding option (RFC 7830) brings the reply to SIZE
 * bytes: the size of the mix's average answer, so that the kernel copies
 * as many bytes as for a real server's answers. No DNS logic beyond that:
 * no lookup, no name parsing past the question, no answer cache.
 *
 * -w: after a batch that did not fill, wait this long before reading
 * again (dnsd's udp-coalesce does so under load), so that the next batch
 * is fuller and the per-call costs are shared by more datagrams.
 *
 * Built by tools/bench/run with gcc; not part of dnsd. Stops on SIGTERM
 * or SIGINT (the process ends; nothing to clean up).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXMSG 4096

static struct sockaddr_in addr;
static size_t pad_to;
static long wait_us;

/* Length of the question section starting at off, or 0 if malformed. */
static size_t
question_end(const uint8_t *m, size_t len)
{
	size_t off = 12;
	if (len < 12 || (m[4] << 8 | m[5]) != 1)
		return 12; /* no question: header only */
	while (off < len && m[off] != 0) {
		if ((m[off] & 0xc0) != 0)
			return 0;
		off += (size_t)m[off] + 1;
	}
	off += 1 + 4;
	return off <= len ? off : 0;
}

/* The reply to the request in buf (len bytes), in place; its length. */
static size_t
make_reply(uint8_t *buf, size_t len)
{
	size_t end = question_end(buf, len);
	if (end == 0)
		return 0;
	buf[2] |= 0x80;                          /* QR */
	buf[6] = buf[7] = buf[8] = buf[9] = 0;   /* no answer, no authority */
	buf[10] = buf[11] = 0;
	if (pad_to < end + 15 || pad_to > MAXMSG)
		return end;
	/* OPT: root, type 41, payload 1232, TTL 0, one Padding option */
	size_t padlen = pad_to - end - 15;
	uint8_t *p = buf + end;
	p[0] = 0;
	p[1] = 0; p[2] = 41;
	p[3] = 1232 >> 8; p[4] = 1232 & 0xff;
	p[5] = p[6] = p[7] = p[8] = 0;
	p[9] = (uint8_t)((padlen + 4) >> 8); p[10] = (uint8_t)(padlen + 4);
	p[11] = 0; p[12] = 12;                   /* Padding */
	p[13] = (uint8_t)(padlen >> 8); p[14] = (uint8_t)padlen;
	memset(p + 15, 0, padlen);
	buf[11] = 1;
	return pad_to;
}

static void *
run(void *arg)
{
	(void)arg;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror("nullresp: socket");
		exit(1);
	}
	static __thread uint8_t bufs[BATCH][MAXMSG];
	static __thread struct sockaddr_storage peers[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iin[BATCH], iout[BATCH];
	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			iin[i] = (struct iovec){ bufs[i], MAXMSG };
			in[i].msg_hdr = (struct msghdr){ .msg_name = &peers[i],
				.msg_namelen = sizeof(peers[i]), .msg_iov = &iin[i], .msg_iovlen = 1 };
		}
		int n = recvmmsg(fd, in, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EINTR)
				perror("nullresp: recvmmsg");
			continue;
		}
		int k = 0;
		for (int i = 0; i < n; i++) {
			size_t len = make_reply(bufs[i], in[i].msg_len);
			if (len == 0)
				continue;
			iout[k] = (struct iovec){ bufs[i], len };
			out[k].msg_hdr = (struct msghdr){ .msg_name = &peers[i],
				.msg_namelen = in[i].msg_hdr.msg_namelen, .msg_iov = &iout[k],
				.msg_iovlen = 1 };
			k++;
		}
		for (int sent = 0; sent < k;) {
			int r = sendmmsg(fd, out + sent, (unsigned)(k - sent), 0);
			if (r < 0) {
				if (errno != EINTR)
					sent++;
				continue;
			}
			sent += r;
		}
		if (wait_us > 0 && n < BATCH) {
			struct timespec ts = { 0, wait_us * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	int ch, threads = 1;
	while ((ch = getopt(argc, argv, "s:w:t:")) != -1) {
		switch (ch) {
		case 's': pad_to = strtoul(optarg, NULL, 10); break;
		case 'w': wait_us = strtol(optarg, NULL, 10); break;
		case 't': threads = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: nullresp [-s SIZE] [-w US] [-t THREADS] ADDR PORT\n");
			return 2;
		}
	}
	if (argc - optind != 2 || threads < 1 || threads > 64 || wait_us < 0 || wait_us > 100000) {
		fprintf(stderr, "usage: nullresp [-s SIZE] [-w US] [-t THREADS] ADDR PORT\n");
		return 2;
	}
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	if (inet_pton(AF_INET, argv[optind], &addr.sin_addr) != 1) {
		fprintf(stderr, "nullresp: bad address %s\n", argv[optind]);
		return 2;
	}
	pthread_t t[64];
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, run, NULL) != 0) {
			fprintf(stderr, "nullresp: cannot start threads\n");
			return 1;
		}
	pthread_join(t[0], NULL);
	return 0;
}
