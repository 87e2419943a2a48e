/* update-loop.c -- keepalive and run: register, check, renew before the
 * lease runs out, report health, deregister at the end.
 *
 * keepalive renews until SIGTERM, SIGINT or SIGHUP; run starts a command
 * once the instance is registered, passes signals on to it, and
 * deregisters when it exits, with its exit status. The command dies with
 * us (PR_SET_PDEATHSIG), so a killed wrapper never leaves an
 * unregistered instance running.
 *
 * Health. With --check-* (and always for run, whose command is checked
 * too), rounds of checks (update-check.c) run every --check-interval and
 * every UPDATE carries the state in DNSD-HEALTH. The machine in
 * update-health.c decides what happens:
 *
 *   a round's result differs from the last  -> renew at once (a report)
 *   renewal due, critical <= grace           -> renew (reporting critical)
 *   renewal due, critical  > grace           -> stop renewing: the lease
 *                                               runs out
 *   not critical while renewals are stopped -> register again at once
 *
 * run also learns at once that its command was stopped or continued
 * (SIGCHLD with WUNTRACED / WCONTINUED): stopped is critical straight
 * away, continued starts a round. keepalive with checks registers after
 * the first round, with its state; run registers before its command
 * starts (critical until a --check-* passes; passing without one).
 *
 * One loop waits on a self-pipe of signals and the checks' descriptors,
 * with the next renewal or round as its deadline (nothing polls on a
 * tick). */
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
#include <sys/prctl.h>
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

/* No deadline. */
#define NEVER UINT64_MAX

/* Everything keepalive and run keep between wake-ups. */
struct loop {
	struct upd_client *c;      /* health_* set before each UPDATE */
	struct upd_instance *in;
	const ldns_rdf *zone;
	struct upd_checks *cs;     /* NULL: keepalive without checks */
	struct upd_hm hm;
	char text[UPD_HEALTH_TEXT_MAX + 1]; /* output of the last result */
	uint64_t interval_ms;
	bool registered;           /* the first registration went through */
	uint64_t next_renew;       /* NEVER: not registered, or stopped */
	uint64_t next_round;
	struct upd_result res;
	pid_t child;               /* run's command, 0 for keepalive */
	bool child_stopped;        /* by a signal, not continued since */
	int child_status;          /* its wait status, once it ended */
	bool done;
};

/* Sends the registration with the current health. first: the first one,
 * whose lease is printed. */
static int
send_registration(struct loop *l, bool first)
{
	int r;

	if (l->cs) {
		l->c->health_set = true;
		l->c->health = l->hm.state;
		memcpy(l->c->health_text, l->text, sizeof(l->text));
	}
	r = upd_register(l->c, l->in, l->zone, &l->res, first ? stderr : NULL);
	if (r == UPD_OK) {
		l->registered = true;
		l->next_renew = now_ms() + renew_after_ms(l->c, &l->res);
		if (l->c->verbose && !first)
			fprintf(stderr, "dnsd-update: renewed (%s)\n",
			    l->cs ? upd_health_name(l->hm.state) : "no checks");
	} else {
		l->next_renew = now_ms() + retry_after_ms(l->c);
	}
	return r;
}

/* A result (a round's, or run's command stopped): the machine says
 * whether to report it now. */
static int
on_result(struct loop *l, enum upd_health h, const char *text, uint64_t now)
{
	bool was_known = l->hm.known, was_suspended = l->hm.suspended;
	enum upd_health old = l->hm.state;
	enum upd_hm_action a = upd_hm_result(&l->hm, h, now);

	snprintf(l->text, sizeof(l->text), "%s", text);
	if (was_known && old != h)
		fprintf(stderr, "dnsd-update: health %s -> %s: %s\n",
		    upd_health_name(old), upd_health_name(h), text);
	else if (l->c->verbose || (!was_known && h != UPD_PASSING))
		fprintf(stderr, "dnsd-update: health %s: %s\n",
		    upd_health_name(h), text);
	if (a != UPD_HM_RENEW)
		return UPD_OK;
	if (was_suspended)
		fprintf(stderr, "dnsd-update: %s again: registering\n",
		    upd_health_name(h));
	return send_registration(l, !l->registered);
}

/* A renewal is due: renew, or stop renewing if critical past the grace. */
static void
renewal_due(struct loop *l, uint64_t now)
{
	if (l->cs && upd_hm_renewal_due(&l->hm, now) == UPD_HM_SUSPEND) {
		fprintf(stderr, "dnsd-update: critical for %llu s (grace %llu "
		    "s): no longer renewing; the lease runs out\n",
		    (unsigned long long)((now - l->hm.critical_since) / 1000),
		    (unsigned long long)(l->hm.grace_ms / 1000));
		l->next_renew = NEVER;
		return;
	}
	send_registration(l, false);
}

/* run: what became of the command (SIGCHLD). */
static void
child_changed(struct loop *l)
{
	char text[128];
	pid_t r;
	int st;

	while ((r = waitpid(l->child, &st, WNOHANG | WUNTRACED |
	    WCONTINUED)) == l->child) {
		if (WIFSTOPPED(st)) {
			l->child_stopped = true;
			upd_child_health(l->child, text, sizeof(text));
			if (l->c->verbose)
				fprintf(stderr, "dnsd-update: %ld stopped by "
				    "signal %d\n", (long)l->child,
				    WSTOPSIG(st));
			on_result(l, UPD_CRITICAL, text, now_ms());
		} else if (WIFCONTINUED(st)) {
			/* A fresh round says whether it is well again. */
			l->child_stopped = false;
			l->next_round = now_ms();
		} else {
			l->child_status = st;
			l->done = true;
			return;
		}
	}
}

static void
read_signals(struct loop *l)
{
	unsigned char b;

	while (read(sig_pipe[0], &b, 1) == 1) {
		int sig = b & ~SIG_FROM_TTY;

		if (sig == SIGCHLD) {
			if (l->child > 0)
				child_changed(l);
			/* exec checks: upd_checks_wait() reaps them */
		} else if (l->child <= 0) {
			l->done = true; /* keepalive: time to go */
		} else if (!(b & SIG_FROM_TTY)) {
			/* run: the command decides; we deregister when it
			 * exits. */
			if (l->c->verbose)
				fprintf(stderr, "dnsd-update: passing signal %d "
				    "to %ld\n", sig, (long)l->child);
			kill(l->child, sig);
			/* A stopped command would keep SIGTERM pending, and
			 * us waiting, until someone continues it. */
			if (l->child_stopped && sig != SIGHUP)
				kill(l->child, SIGCONT);
		}
	}
}

/* Runs until a signal (keepalive) or the command's end (run), then
 * deregisters. Returns the deregistration's status. */
static int
loop_run(struct loop *l)
{
	struct upd_check_outcome oc;

	if (l->c->verbose && l->registered)
		fprintf(stderr, "dnsd-update: renewing every %llu ms\n",
		    (unsigned long long)renew_after_ms(l->c, &l->res));
	while (!l->done) {
		struct pollfd pfd = { .fd = sig_pipe[0], .events = POLLIN };
		uint64_t now = now_ms(), deadline = l->next_renew;
		int pr;

		if (l->cs && upd_checks_done(l->cs, &oc)) {
			if (on_result(l, oc.state, oc.text, now) != UPD_OK &&
			    !l->registered && l->child <= 0)
				return UPD_EDNS; /* keepalive's first one */
			continue;
		}
		if (l->cs && !upd_checks_running(l->cs) &&
		    now >= l->next_round) {
			upd_checks_start(l->cs, now);
			l->next_round = now + upd_hm_check_every(&l->hm,
			    l->interval_ms);
			continue;
		}
		if (l->registered && now >= l->next_renew) {
			renewal_due(l, now);
			continue;
		}
		if (l->cs && !upd_checks_running(l->cs) &&
		    l->next_round < deadline)
			deadline = l->next_round;
		if (l->cs) {
			pr = upd_checks_wait(l->cs, &pfd, 1, deadline);
		} else {
			uint64_t ms = deadline > now ? deadline - now : 0;
			pr = poll(&pfd, 1, (int)(ms > INT_MAX ? INT_MAX : ms));
		}
		if (pr > 0 && (pfd.revents & POLLIN))
			read_signals(l);
	}
	if (!l->registered)
		return UPD_OK; /* keepalive stopped before its first round */
	return upd_deregister(l->c, l->in, l->zone);
}

/* keepalive and run need the lease they renew; checks their interval,
 * timeout and grace. */
static void
loop_defaults(struct upd_opts *o, struct upd_instance *in)
{
	if (!o->c.lease_set) {
		o->c.lease_set = true;
		o->c.lease = DEFAULT_LOOP_LEASE;
		if (in->ttl > o->c.lease)
			in->ttl = o->c.lease;
	}
	if (!o->grace_set)
		o->grace_ms = (uint64_t)o->c.lease * 1000;
}

/* keepalive and run: defaults, signal handling, the checks (child: run's
 * command is checked too). */
static int
loop_init(struct loop *l, struct upd_opts *o, struct upd_instance *in,
    const ldns_rdf *zone, bool child)
{
	struct upd_check_spec *specs;
	char err[UPD_ERRLEN];
	int r;

	memset(l, 0, sizeof(*l));
	loop_defaults(o, in);
	l->c = &o->c;
	l->in = in;
	l->zone = zone;
	l->interval_ms = o->check_interval_ms;
	l->next_renew = NEVER;
	upd_hm_init(&l->hm, o->grace_ms);
	if (o->nchecks || child) {
		specs = calloc(o->nchecks + 1, sizeof(*specs));
		if (!specs) {
			fprintf(stderr, "dnsd-update: out of memory\n");
			return UPD_EDNS;
		}
		memcpy(specs, o->checks, o->nchecks * sizeof(*specs));
		if (child)
			specs[o->nchecks].kind = UPD_CHECK_CHILD;
		r = upd_checks_new(&l->cs, specs, o->nchecks + (child ? 1 : 0),
		    o->check_timeout_ms, err);
		free(specs);
		if (r != UPD_OK)
			return upd_usage_error("%s", err);
	}
	if (signals_setup() < 0) {
		perror("dnsd-update: signals");
		upd_checks_free(l->cs);
		l->cs = NULL;
		return UPD_EDNS;
	}
	return UPD_OK;
}

int
upd_keepalive(struct upd_opts *o, struct upd_instance *in, const ldns_rdf *zone)
{
	struct loop l;
	int r;

	if ((r = loop_init(&l, o, in, zone, false)) != UPD_OK)
		return r;
	if (!l.cs) {
		/* No checks: register now, as always. */
		r = send_registration(&l, true);
		if (r != UPD_OK)
			return r;
	} else {
		/* Register with what the first round says. */
		l.next_round = now_ms();
	}
	r = loop_run(&l);
	upd_checks_free(l.cs);
	return r;
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

/* In the forked child: become command, dying with the parent. Never
 * returns. */
static void
exec_command(char **command, pid_t parent)
{
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	sigset_t empty;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	/* SIGTERM when dnsd-update dies, SIGKILL included: the records
	 * expire with the lease, and the command must not outlive them
	 * unannounced. If the parent died before the prctl, nobody would
	 * send it: check, and act as if it had come. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) {
		raise(SIGTERM);
		_exit(128 + SIGTERM);
	}
	execvp(command[0], command);
	fprintf(stderr, "dnsd-update: cannot run %s: %s\n", command[0],
	    strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int
upd_run(struct upd_opts *o, struct upd_instance *in, const ldns_rdf *zone)
{
	struct loop l;
	pid_t parent = getpid();
	int r;

	if ((r = loop_init(&l, o, in, zone, true)) != UPD_OK)
		return r;
	/* Registered before the command starts: never run unannounced.
	 * Critical until a --check-* passes; without one, its state is the
	 * command's, and it is about to run. */
	if (o->nchecks)
		upd_hm_result(&l.hm, UPD_CRITICAL, now_ms());
	else
		upd_hm_result(&l.hm, UPD_PASSING, now_ms());
	snprintf(l.text, sizeof(l.text), "starting %.200s", o->command[0]);
	if ((r = send_registration(&l, true)) != UPD_OK) {
		upd_checks_free(l.cs);
		return r;
	}
	fflush(NULL);
	l.child = fork();
	if (l.child < 0) {
		perror("dnsd-update: fork");
		upd_deregister(&o->c, in, zone);
		upd_checks_free(l.cs);
		return UPD_EDNS;
	}
	if (l.child == 0)
		exec_command(o->command, parent);
	if (o->c.verbose)
		fprintf(stderr, "dnsd-update: started %s as %ld\n",
		    o->command[0], (long)l.child);
	upd_checks_set_child(l.cs, l.child);
	l.next_round = now_ms();
	loop_run(&l);
	upd_checks_free(l.cs);
	return exit_code(l.child_status);
}
