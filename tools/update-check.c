/* update-check.c -- the checks keepalive and run perform next to the
 * instance, in rounds: every check of a round starts at once, and the
 * round ends when each has a result or has run out of time.
 *
 *   http   GET URL with libcurl (multi interface, so that the loop keeps
 *          waiting on its signals): 2xx passing, 429 warning, anything
 *          else or no answer critical
 *   tcp    non-blocking connect to HOST:PORT, each resolved address in
 *          turn: passing once one accepts
 *   exec   sh -c CMD in a process group of its own, stdout and stderr
 *          read as its output: exit 0 passing, 1 warning, else critical;
 *          at the timeout the group gets SIGKILL
 *   child  run's command, from /proc/PID/stat when the round ends:
 *          stopped (SIGSTOP) or exited is critical
 *
 * Nothing blocks: the loop in update-loop.c waits in upd_checks_wait()
 * on its signal pipe and every check's descriptor at once. An exec
 * check that outlives its SIGKILL (uninterruptible sleep) is reaped
 * later, and its next round reports it critical meanwhile. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <curl/curl.h>

#include "update.h"

#ifndef UPDATE_VERSION
#define UPDATE_VERSION "0.1.0"
#endif

/* Output kept per check before cleaning (the option holds 255 bytes). */
#define RAW_MAX 1024
/* curl has its own timeout; past it by this much, we stop the transfer. */
#define HTTP_SLACK_MS 1000
/* Most descriptors one wait watches: the caller's and ours. */
#define POLL_MAX 64

enum ck_state { CK_IDLE, CK_RUNNING, CK_DONE };

struct check {
	struct upd_check_spec spec;
	enum ck_state st;
	enum upd_health result;
	char msg[RAW_MAX];     /* the result, as a line */
	char raw[RAW_MAX];     /* exec output, HTTP body */
	size_t rawlen;
	uint64_t deadline;
	/* tcp */
	char host[256], port[8];
	struct addrinfo *ai, *cur;
	int fd;
	/* exec */
	pid_t pid;             /* running, or killed and not yet reaped */
	int outfd;
	/* http */
	CURL *easy;
	char errbuf[CURL_ERROR_SIZE];
};

struct upd_checks {
	struct check *v;
	size_t n;
	uint64_t timeout_ms;
	CURLM *multi;
	int transfers;         /* HTTP checks in flight */
	bool running;
	pid_t child;
};

static uint64_t
now_ms(void)
{
	return upd_now_us() / 1000;
}

static void
finish(struct check *ck, enum upd_health h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ck->msg, sizeof(ck->msg), fmt, ap);
	va_end(ap);
	ck->result = h;
	ck->st = CK_DONE;
}

/* ---- child ------------------------------------------------------------------ */

enum upd_health
upd_child_health(pid_t pid, char *text, size_t len)
{
	char path[64], buf[512];
	ssize_t n = -1;
	int fd, st;
	enum upd_health h;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	st = n > 0 ? upd_proc_stat_state(buf, (size_t)n) : -1;
	h = upd_health_from_proc_state(st);
	switch (st) {
	case -1:
		snprintf(text, len, "process %ld is gone", (long)pid);
		break;
	case 'T':
		snprintf(text, len, "process %ld is stopped (T)", (long)pid);
		break;
	case 't':
		snprintf(text, len, "process %ld is stopped by a debugger (t)",
		    (long)pid);
		break;
	case 'Z':
	case 'X':
	case 'x':
		snprintf(text, len, "process %ld has exited (%c)", (long)pid,
		    st);
		break;
	default:
		snprintf(text, len, "process %ld is running (%c)", (long)pid, st);
	}
	return h;
}

/* ---- tcp -------------------------------------------------------------------- */

/* Connects to ck->cur, or the next address after a failure. */
static void
tcp_try(struct check *ck)
{
	int err = 0;

	for (; ck->cur; ck->cur = ck->cur->ai_next) {
		ck->fd = socket(ck->cur->ai_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (ck->fd < 0) {
			err = errno;
			continue;
		}
		if (connect(ck->fd, ck->cur->ai_addr, ck->cur->ai_addrlen) == 0) {
			close(ck->fd);
			ck->fd = -1;
			finish(ck, UPD_PASSING, "TCP connect %s: Success",
			    ck->spec.target);
			return;
		}
		if (errno == EINPROGRESS)
			return; /* poll for POLLOUT */
		err = errno;
		close(ck->fd);
		ck->fd = -1;
	}
	finish(ck, UPD_CRITICAL, "TCP connect %s: %s", ck->spec.target,
	    strerror(err ? err : ECONNREFUSED));
}

static void
tcp_event(struct check *ck)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(ck->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	close(ck->fd);
	ck->fd = -1;
	if (err == 0) {
		finish(ck, UPD_PASSING, "TCP connect %s: Success",
		    ck->spec.target);
		return;
	}
	if (ck->cur->ai_next) {
		ck->cur = ck->cur->ai_next;
		tcp_try(ck);
		if (ck->st == CK_DONE && ck->result == UPD_CRITICAL)
			finish(ck, UPD_CRITICAL, "TCP connect %s: %s",
			    ck->spec.target, strerror(err));
		return;
	}
	finish(ck, UPD_CRITICAL, "TCP connect %s: %s", ck->spec.target,
	    strerror(err));
}

/* ---- exec -------------------------------------------------------------------- */

/* Reads what the command wrote; keeps the first RAW_MAX - 1 bytes and
 * discards the rest, so that a chatty check never blocks on a full pipe. */
static void
exec_read(struct check *ck)
{
	char buf[4096];
	ssize_t n;

	while (ck->outfd >= 0) {
		n = read(ck->outfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(ck->outfd);
			ck->outfd = -1;
			return;
		}
		if (ck->rawlen < sizeof(ck->raw) - 1) {
			size_t k = (size_t)n;
			if (k > sizeof(ck->raw) - 1 - ck->rawlen)
				k = sizeof(ck->raw) - 1 - ck->rawlen;
			memcpy(ck->raw + ck->rawlen, buf, k);
			ck->rawlen += k;
		}
	}
}

/* Reaps the command if it has ended; true if it has (or was gone). */
static bool
exec_reap(struct check *ck)
{
	int ws;
	pid_t r;

	if (ck->pid <= 0)
		return true;
	do
		r = waitpid(ck->pid, &ws, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return false;
	ck->pid = 0;
	if (ck->st != CK_RUNNING)
		return true; /* killed at its timeout: already judged */
	if (r < 0) {
		int e = errno;
		if (ck->outfd >= 0)
			close(ck->outfd);
		ck->outfd = -1;
		finish(ck, UPD_CRITICAL, "cannot wait for the check: %s",
		    strerror(e));
		return true;
	}
	exec_read(ck); /* what is left in the pipe */
	if (ck->outfd >= 0) {
		close(ck->outfd); /* a daemonized grandchild may hold it */
		ck->outfd = -1;
	}
	ck->raw[ck->rawlen] = '\0';
	if (WIFEXITED(ws)) {
		enum upd_health h = upd_health_from_exit(true, WEXITSTATUS(ws));
		if (ck->rawlen)
			finish(ck, h, "%s", ck->raw);
		else
			finish(ck, h, "exit status %d", WEXITSTATUS(ws));
	} else {
		finish(ck, UPD_CRITICAL, "killed by signal %d%s%s",
		    WTERMSIG(ws), ck->rawlen ? ": " : "", ck->raw);
	}
	return true;
}

static void
exec_kill(struct check *ck)
{
	if (ck->pid <= 0)
		return;
	kill(-ck->pid, SIGKILL);
	kill(ck->pid, SIGKILL); /* if setpgid lost a race */
}

static void
exec_start(struct check *ck)
{
	pid_t parent = getpid();
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0) {
		finish(ck, UPD_CRITICAL, "cannot run the check: %s",
		    strerror(errno));
		return;
	}
	fflush(NULL);
	ck->pid = fork();
	if (ck->pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		ck->pid = 0;
		finish(ck, UPD_CRITICAL, "cannot run the check: %s", strerror(e));
		return;
	}
	if (ck->pid == 0) {
		/* Only async-signal-safe calls until exec. Its own process
		 * group, so that a timeout kills what it started too, and a
		 * Ctrl-C meant for us does not reach it. */
		const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE };
		sigset_t none;
		int null;

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126); /* we died before the prctl */
		null = open("/dev/null", O_RDONLY);
		if (null > 0) {
			dup2(null, 0);
			close(null);
		}
		dup2(p[1], 1);
		dup2(p[1], 2);
		execl("/bin/sh", "sh", "-c", ck->spec.target, (char *)NULL);
		_exit(127);
	}
	setpgid(ck->pid, ck->pid); /* either of us may win; both is fine */
	close(p[1]);
	ck->outfd = p[0];
	fcntl(ck->outfd, F_SETFL, fcntl(ck->outfd, F_GETFL) | O_NONBLOCK);
	ck->rawlen = 0;
}

/* ---- http -------------------------------------------------------------------- */

static size_t
http_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct check *ck = arg;
	size_t n = size * nmemb, k = n;

	if (ck->rawlen < sizeof(ck->raw) - 1) {
		if (k > sizeof(ck->raw) - 1 - ck->rawlen)
			k = sizeof(ck->raw) - 1 - ck->rawlen;
		memcpy(ck->raw + ck->rawlen, data, k);
		ck->rawlen += k;
	}
	return n; /* the rest is read and dropped */
}

static int
http_setup(struct check *ck, uint64_t timeout_ms, char *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	bool ok;

	if (!u)
		goto nomem;
	ok = curl_url_set(u, CURLUPART_URL, ck->spec.target, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
	curl_free(scheme);
	curl_url_cleanup(u);
	if (!ok) {
		snprintf(err, UPD_ERRLEN, "bad --check-http URL '%s' (http:// or "
		    "https://)", ck->spec.target);
		return UPD_EUSAGE;
	}
	if (!(ck->easy = curl_easy_init()))
		goto nomem;
	curl_easy_setopt(ck->easy, CURLOPT_URL, ck->spec.target);
	curl_easy_setopt(ck->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ck->easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(ck->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(ck->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(ck->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(ck->easy, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(ck->easy, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* As Consul: follow redirects, a new connection each time (a server
	 * that stopped accepting must fail), and say who asks. */
	curl_easy_setopt(ck->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(ck->easy, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(ck->easy, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(ck->easy, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(ck->easy, CURLOPT_USERAGENT,
	    "dnsd-update/" UPDATE_VERSION " (health check)");
	curl_easy_setopt(ck->easy, CURLOPT_WRITEFUNCTION, http_body);
	curl_easy_setopt(ck->easy, CURLOPT_WRITEDATA, ck);
	curl_easy_setopt(ck->easy, CURLOPT_ERRORBUFFER, ck->errbuf);
	curl_easy_setopt(ck->easy, CURLOPT_PRIVATE, ck);
	return UPD_OK;
nomem:
	snprintf(err, UPD_ERRLEN, "out of memory");
	return UPD_EUSAGE;
}

static void
http_start(struct upd_checks *cs, struct check *ck)
{
	ck->rawlen = 0;
	ck->errbuf[0] = '\0';
	if (curl_multi_add_handle(cs->multi, ck->easy) != CURLM_OK) {
		finish(ck, UPD_CRITICAL, "HTTP GET %s: cannot start",
		    ck->spec.target);
		return;
	}
	cs->transfers++;
}

static void
http_stop(struct upd_checks *cs, struct check *ck)
{
	curl_multi_remove_handle(cs->multi, ck->easy);
	cs->transfers--;
}

/* Collects the transfers curl has finished. */
static void
http_collect(struct upd_checks *cs)
{
	CURLMsg *m;
	int left, running;

	curl_multi_perform(cs->multi, &running);
	while ((m = curl_multi_info_read(cs->multi, &left)) != NULL) {
		struct check *ck;
		char *priv = NULL;
		long status = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		ck = (struct check *)(void *)priv;
		if (!ck || ck->st != CK_RUNNING)
			continue;
		http_stop(cs, ck);
		ck->raw[ck->rawlen] = '\0';
		if (m->data.result != CURLE_OK) {
			finish(ck, UPD_CRITICAL, "HTTP GET %s: %s", ck->spec.target,
			    ck->errbuf[0] ? ck->errbuf :
			    curl_easy_strerror(m->data.result));
			continue;
		}
		curl_easy_getinfo(ck->easy, CURLINFO_RESPONSE_CODE, &status);
		finish(ck, upd_health_from_http(status), "HTTP GET %s: %ld%s%s",
		    ck->spec.target, status, ck->rawlen ? " Output: " : "",
		    ck->raw);
	}
}

/* ---- the set ------------------------------------------------------------------ */

int
upd_checks_new(struct upd_checks **out, const struct upd_check_spec *specs,
    size_t n, uint64_t timeout_ms, char *err)
{
	struct upd_checks *cs = calloc(1, sizeof(*cs));
	bool http = false;

	*out = NULL;
	if (!cs || !(cs->v = calloc(n ? n : 1, sizeof(*cs->v)))) {
		free(cs);
		snprintf(err, UPD_ERRLEN, "out of memory");
		return UPD_EUSAGE;
	}
	cs->timeout_ms = timeout_ms;
	for (size_t i = 0; i < n; i++)
		http = http || specs[i].kind == UPD_CHECK_HTTP;
	if (http) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
		    !(cs->multi = curl_multi_init())) {
			snprintf(err, UPD_ERRLEN, "cannot set up libcurl");
			if (!cs->multi)
				curl_global_cleanup();
			free(cs->v);
			free(cs);
			return UPD_EUSAGE;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct check *ck = &cs->v[cs->n++];
		int r;

		ck->spec = specs[i];
		ck->fd = ck->outfd = -1;
		if (ck->spec.kind == UPD_CHECK_HTTP &&
		    (r = http_setup(ck, timeout_ms, err)) != UPD_OK) {
			upd_checks_free(cs);
			return r;
		}
		if (ck->spec.kind == UPD_CHECK_TCP) {
			struct addrinfo hints = { 0 };

			if (upd_hostport_split(ck->spec.target, ck->host,
			    sizeof(ck->host), ck->port, sizeof(ck->port)) < 0) {
				snprintf(err, UPD_ERRLEN, "bad --check-tcp '%s' "
				    "(HOST:PORT, [IPV6]:PORT)", ck->spec.target);
				upd_checks_free(cs);
				return UPD_EUSAGE;
			}
			/* Resolved once, here: the loop never blocks on a
			 * resolver. */
			hints.ai_socktype = SOCK_STREAM;
			hints.ai_flags = AI_NUMERICSERV;
			if ((r = getaddrinfo(ck->host, ck->port, &hints,
			    &ck->ai)) != 0) {
				snprintf(err, UPD_ERRLEN, "--check-tcp %s: %s",
				    ck->spec.target, gai_strerror(r));
				ck->ai = NULL;
				upd_checks_free(cs);
				return UPD_EUSAGE;
			}
		}
	}
	*out = cs;
	return UPD_OK;
}

void
upd_checks_free(struct upd_checks *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < cs->n; i++) {
		struct check *ck = &cs->v[i];

		exec_kill(ck);
		/* SIGKILL is quick unless the process sleeps in the kernel:
		 * wait up to a second, then leave it to init. */
		for (int t = 0; ck->pid > 0 && t < 100; t++) {
			ck->st = CK_DONE;
			if (!exec_reap(ck))
				usleep(10000);
		}
		if (ck->outfd >= 0)
			close(ck->outfd);
		if (ck->fd >= 0)
			close(ck->fd);
		if (ck->ai)
			freeaddrinfo(ck->ai);
		if (ck->easy) {
			if (ck->st == CK_RUNNING)
				curl_multi_remove_handle(cs->multi, ck->easy);
			curl_easy_cleanup(ck->easy);
		}
	}
	if (cs->multi) {
		curl_multi_cleanup(cs->multi);
		curl_global_cleanup();
	}
	free(cs->v);
	free(cs);
}

void
upd_checks_set_child(struct upd_checks *cs, pid_t pid)
{
	cs->child = pid;
}

bool
upd_checks_running(const struct upd_checks *cs)
{
	return cs->running;
}

void
upd_checks_start(struct upd_checks *cs, uint64_t now)
{
	for (size_t i = 0; i < cs->n; i++) {
		struct check *ck = &cs->v[i];

		ck->st = CK_RUNNING;
		ck->deadline = now + cs->timeout_ms;
		ck->msg[0] = '\0';
		switch (ck->spec.kind) {
		case UPD_CHECK_HTTP:
			http_start(cs, ck);
			break;
		case UPD_CHECK_TCP:
			ck->cur = ck->ai;
			tcp_try(ck);
			break;
		case UPD_CHECK_EXEC:
			if (!exec_reap(ck)) {
				exec_kill(ck);
				finish(ck, UPD_CRITICAL, "the previous run "
				    "(process %ld) has not exited after "
				    "SIGKILL", (long)ck->pid);
				break;
			}
			exec_start(ck);
			break;
		case UPD_CHECK_CHILD:
			break; /* read when the round ends */
		}
	}
	cs->running = true;
}

/* Moves every running check on after a wait: fds[] holds the revents of
 * the descriptors upd_checks_wait() added for them, in check order. */
static void
step(struct upd_checks *cs, const struct pollfd *fds, size_t nfds,
    uint64_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < cs->n; i++) {
		struct check *ck = &cs->v[i];
		short rev = 0;

		if (ck->st != CK_RUNNING)
			continue;
		if (ck->spec.kind == UPD_CHECK_TCP && ck->fd >= 0) {
			rev = k < nfds ? fds[k++].revents : 0;
			if (rev)
				tcp_event(ck);
		} else if (ck->spec.kind == UPD_CHECK_EXEC && ck->outfd >= 0) {
			rev = k < nfds ? fds[k++].revents : 0;
			if (rev)
				exec_read(ck);
		}
	}
	if (cs->multi && cs->transfers > 0)
		http_collect(cs);
	for (size_t i = 0; i < cs->n; i++) {
		struct check *ck = &cs->v[i];

		if (ck->spec.kind == UPD_CHECK_EXEC)
			exec_reap(ck); /* also last round's, if killed */
		if (ck->st != CK_RUNNING)
			continue;
		switch (ck->spec.kind) {
		case UPD_CHECK_TCP:
			if (now >= ck->deadline) {
				if (ck->fd >= 0)
					close(ck->fd);
				ck->fd = -1;
				finish(ck, UPD_CRITICAL, "TCP connect %s: timed "
				    "out after %llu ms", ck->spec.target,
				    (unsigned long long)cs->timeout_ms);
			}
			break;
		case UPD_CHECK_EXEC:
			if (now >= ck->deadline) {
				exec_kill(ck);
				if (ck->outfd >= 0)
					close(ck->outfd);
				ck->outfd = -1;
				finish(ck, UPD_CRITICAL, "timed out after %llu ms "
				    "(process group %ld killed)",
				    (unsigned long long)cs->timeout_ms,
				    (long)ck->pid);
			}
			break;
		case UPD_CHECK_HTTP:
			if (now >= ck->deadline + HTTP_SLACK_MS) {
				http_stop(cs, ck);
				finish(ck, UPD_CRITICAL, "HTTP GET %s: timed out "
				    "after %llu ms", ck->spec.target,
				    (unsigned long long)cs->timeout_ms);
			}
			break;
		case UPD_CHECK_CHILD:
			break;
		}
	}
}

int
upd_checks_wait(struct upd_checks *cs, struct pollfd *extra, size_t nextra,
    uint64_t deadline)
{
	struct pollfd fds[POLL_MAX];
	struct curl_waitfd wfds[POLL_MAX];
	size_t n = 0;
	uint64_t now = now_ms(), wait;
	int r, numfds = 0;

	for (size_t i = 0; i < nextra && n < POLL_MAX; i++)
		fds[n++] = extra[i];
	if (cs->running)
		for (size_t i = 0; i < cs->n && n < POLL_MAX; i++) {
			struct check *ck = &cs->v[i];

			if (ck->st != CK_RUNNING)
				continue;
			if (ck->spec.kind == UPD_CHECK_TCP && ck->fd >= 0)
				fds[n++] = (struct pollfd){ ck->fd, POLLOUT, 0 };
			else if (ck->spec.kind == UPD_CHECK_EXEC &&
			    ck->outfd >= 0)
				fds[n++] = (struct pollfd){ ck->outfd, POLLIN, 0 };
			/* An exec check's end comes as SIGCHLD, through
			 * the caller's signal pipe among extra[]. */
			if (ck->spec.kind == UPD_CHECK_HTTP) {
				if (ck->deadline + HTTP_SLACK_MS < deadline)
					deadline = ck->deadline + HTTP_SLACK_MS;
			} else if (ck->deadline < deadline) {
				deadline = ck->deadline;
			}
		}
	wait = deadline > now ? deadline - now : 0;
	if (wait > INT_MAX)
		wait = INT_MAX;
	for (size_t i = 0; i < n; i++)
		fds[i].revents = 0;
	if (cs->multi && cs->transfers > 0) {
		/* curl's sockets and ours in one wait. */
		for (size_t i = 0; i < n; i++) {
			wfds[i].fd = fds[i].fd;
			wfds[i].events = (short)(((fds[i].events & POLLIN) ?
			    CURL_WAIT_POLLIN : 0) | ((fds[i].events & POLLOUT) ?
			    CURL_WAIT_POLLOUT : 0));
			wfds[i].revents = 0;
		}
		r = curl_multi_wait(cs->multi, wfds, (unsigned)n, (int)wait,
		    &numfds) == CURLM_OK ? 1 : -1;
		for (size_t i = 0; i < n; i++)
			fds[i].revents = (short)(((wfds[i].revents &
			    CURL_WAIT_POLLIN) ? POLLIN : 0) | ((wfds[i].revents &
			    CURL_WAIT_POLLOUT) ? POLLOUT : 0));
	} else {
		r = poll(fds, n, (int)wait);
	}
	for (size_t i = 0; i < nextra; i++)
		extra[i].revents = r > 0 ? fds[i].revents : 0;
	if (cs->running)
		step(cs, fds + nextra, n - nextra, now_ms());
	else
		for (size_t i = 0; i < cs->n; i++)
			exec_reap(&cs->v[i]); /* killed at a timeout */
	return r < 0 ? -1 : r > 0;
}

bool
upd_checks_done(struct upd_checks *cs, struct upd_check_outcome *o)
{
	const char *text = NULL;
	char child[128];

	if (!cs->running)
		return false;
	for (size_t i = 0; i < cs->n; i++)
		if (cs->v[i].st == CK_RUNNING &&
		    cs->v[i].spec.kind != UPD_CHECK_CHILD)
			return false;
	cs->running = false;
	o->state = UPD_PASSING;
	for (size_t i = 0; i < cs->n; i++) {
		struct check *ck = &cs->v[i];

		if (ck->spec.kind == UPD_CHECK_CHILD) {
			/* Now, not at the start: a command stopped while
			 * the round ran must not count as running. */
			if (cs->child > 0)
				finish(ck, upd_child_health(cs->child, child,
				    sizeof(child)), "%s", child);
			else
				finish(ck, UPD_PASSING, "starting");
		}
		if (!text || ck->result > o->state) {
			o->state = upd_health_worst(o->state, ck->result);
			text = ck->msg;
		}
		ck->st = CK_IDLE;
	}
	upd_health_text(o->text, sizeof(o->text), text ? text : "",
	    text ? strlen(text) : 0);
	return true;
}
