/* update-loop.c -- keepalive and run: register, renew before the lease
 * runs out, deregister at the end.
 *
 * keepalive renews until SIGTERM, SIGINT or SIGHUP; run starts a command
 * once the instance is registered, passes signals on to it, and
 * deregisters when it exits, with its exit status. One loop waits on a
 * self-pipe of signals with the next renewal as its deadline (nothing
 * polls on a tick). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "update.h"

/* keepalive and run need a lease to renew; this one unless --lease. */
#define DEFAULT_LOOP_LEASE 30
/* Renew at this fraction of the lease, in percent. */
#define RENEW_PERCENT 80

static uint64_t
now_ms(void)
{
	return upd_now_us() / 1000;
}

/* keepalive and run: signals arrive through a self-pipe so that the loop
 * waits on one descriptor with the renewal deadline as its timeout. Each
 * byte is a signal number, with SIG_FROM_TTY set when the kernel sent it
 * (Ctrl-C at a terminal): the command, in our process group, has it too
 * and must not get it twice. */
#define SIG_FROM_TTY 0x80
static int sig_pipe[2] = { -1, -1 };

static void
on_signal(int sig, siginfo_t *info, void *ctx)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	(void)ctx;
	if (info && info->si_code == SI_KERNEL)
		b |= SIG_FROM_TTY;
	(void)!write(sig_pipe[1], &b, 1);
	errno = saved;
}

static int
signals_setup(void)
{
	struct sigaction sa;
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

/* Milliseconds until the next renewal: RENEW_PERCENT of the lease the
 * server granted (or the one we asked for), at least one second. */
static uint64_t
renew_after_ms(const struct upd_client *c, const struct upd_result *res)
{
	uint64_t lease = res->lease_granted && res->lease ? res->lease :
	    c->lease;
	uint64_t ms = lease * 1000 * RENEW_PERCENT / 100;

	return ms < 1000 ? 1000 : ms;
}

/* After a failed renewal, try again sooner: a tenth of the lease, 1-5 s. */
static uint64_t
retry_after_ms(const struct upd_client *c)
{
	uint64_t ms = (uint64_t)c->lease * 100;

	return ms < 1000 ? 1000 : ms > 5000 ? 5000 : ms;
}

/* After the first registration (its result in first), renews until a
 * signal (keepalive) or until child exits (run), then deregisters.
 * *child_status gets the child's wait status. */
static int
renew_loop(const struct upd_client *c, struct upd_instance *in,
    const ldns_rdf *zone, const struct upd_result *first, pid_t child,
    int *child_status)
{
	struct upd_result res = *first;
	uint64_t next;
	bool done = false;

	next = now_ms() + renew_after_ms(c, &res);
	if (c->verbose)
		fprintf(stderr, "dnsd-update: renewing every %llu ms\n",
		    (unsigned long long)renew_after_ms(c, &res));
	while (!done) {
		struct pollfd pfd = { .fd = sig_pipe[0], .events = POLLIN };
		uint64_t now = now_ms();
		int pr;

		if (now >= next) {
			if (upd_register(c, in, zone, &res, NULL) == UPD_OK) {
				next = now_ms() + renew_after_ms(c, &res);
				if (c->verbose)
					fprintf(stderr, "dnsd-update: renewed\n");
			} else {
				next = now_ms() + retry_after_ms(c);
			}
			continue;
		}
		pr = poll(&pfd, 1, (int)(next - now > INT_MAX ? INT_MAX :
		    next - now));
		if (pr <= 0)
			continue; /* timeout or EINTR: the clock decides */
		for (;;) {
			unsigned char b;
			int sig;

			if (read(sig_pipe[0], &b, 1) != 1)
				break;
			sig = b & ~SIG_FROM_TTY;
			if (sig == SIGCHLD) {
				int st;
				if (child > 0 &&
				    waitpid(child, &st, WNOHANG) == child) {
					*child_status = st;
					done = true;
				}
			} else if (child <= 0) {
				done = true; /* keepalive: time to go */
			} else if (!(b & SIG_FROM_TTY)) {
				/* run: the command decides; we deregister
				 * when it exits. */
				if (c->verbose)
					fprintf(stderr, "dnsd-update: passing "
					    "signal %d to %ld\n", sig,
					    (long)child);
				kill(child, sig);
			}
		}
	}
	return upd_deregister(c, in, zone);
}

/* keepalive and run need the lease they renew. */
static void
loop_defaults(struct upd_opts *o, struct upd_instance *in)
{
	if (!o->c.lease_set) {
		o->c.lease_set = true;
		o->c.lease = DEFAULT_LOOP_LEASE;
		if (in->ttl > o->c.lease)
			in->ttl = o->c.lease;
	}
}

/* keepalive and run: lease defaults, signal handling, first registration. */
static int
loop_start(struct upd_opts *o, struct upd_instance *in, const ldns_rdf *zone,
    struct upd_result *res)
{
	loop_defaults(o, in);
	if (signals_setup() < 0) {
		perror("dnsd-update: signals");
		return UPD_EDNS;
	}
	return upd_register(&o->c, in, zone, res, stderr);
}

int
upd_keepalive(struct upd_opts *o, struct upd_instance *in, const ldns_rdf *zone)
{
	struct upd_result res;
	int st = 0, r;

	if ((r = loop_start(o, in, zone, &res)) != UPD_OK)
		return r;
	return renew_loop(&o->c, in, zone, &res, -1, &st);
}

/* The exit status of a shell for a wait status: the code, or 128+signal. */
static int
exit_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

int
upd_run(struct upd_opts *o, struct upd_instance *in, const ldns_rdf *zone)
{
	struct upd_result res;
	sigset_t empty;
	pid_t pid;
	int st = 0, r;

	/* Registered before the command starts: never run unannounced. */
	if ((r = loop_start(o, in, zone, &res)) != UPD_OK)
		return r;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("dnsd-update: fork");
		upd_deregister(&o->c, in, zone);
		return UPD_EDNS;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigemptyset(&empty);
		sigprocmask(SIG_SETMASK, &empty, NULL);
		execvp(o->command[0], o->command);
		fprintf(stderr, "dnsd-update: cannot run %s: %s\n",
		    o->command[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (o->c.verbose)
		fprintf(stderr, "dnsd-update: started %s as %ld\n",
		    o->command[0], (long)pid);
	renew_loop(&o->c, in, zone, &res, pid, &st);
	return exit_code(st);
}
