/* log.c -- logging to stderr (foreground) or syslog, plain or limited */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "util/log.h"

static bool log_stderr = true;
static enum log_level log_level = LOG_LVL_INFO;
static const char *log_ident = "dnsd";
static bool log_plain;

void
log_init(bool foreground, enum log_level level)
{
	log_stderr = foreground;
	log_level = level;
	if (!foreground)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_ident(const char *name)
{
	log_ident = name;
}

void
log_set_plain(bool plain)
{
	log_plain = plain;
}

int
log_level_parse(const char *s)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	if (strcmp(s, "warn") == 0)
		return LOG_LVL_WARN;
	return -1;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_level;
}

/* Write one line at `level` (already known to be enabled). */
static void
emit(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *tag[] = { "error", "warning", "info", "debug" };

	if (!log_stderr) {
		vsyslog(prio[level], fmt, ap);
		return;
	}
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_plain) {
		if (level == LOG_LVL_ERR)
			fprintf(stderr, "%s: %s\n", log_ident, line);
		else
			fprintf(stderr, "%s: %s: %s\n", log_ident, tag[level], line);
		return;
	}
	/* The daemon's lines carry the time, as journald or a terminal shows
	 * it: 2026-12-07T09:30:00.123Z (UTC, milliseconds). */
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%s]: %s\n", when, ts.tv_nsec / 1000000, log_ident, tag[level],
	    line);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	emit(level, fmt, ap);
	va_end(ap);
}

/* The rate limiter's table: a few recent keys, the oldest reused. */
#define LIMIT_SLOTS 256
#define LIMIT_KEY 96
static struct limit_slot {
	char key[LIMIT_KEY];
	time_t last;           /* when a line for this key was last written */
	unsigned long dropped; /* lines suppressed since */
} limit_slots[LIMIT_SLOTS];
static pthread_mutex_t limit_mu = PTHREAD_MUTEX_INITIALIZER;
#define LIMIT_BURST 20
static time_t budget_sec;
static unsigned budget;

void
log_limited(enum log_level level, const char *key, unsigned interval, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	time_t now = time(NULL);
	unsigned long dropped = 0;
	bool write = false;
	pthread_mutex_lock(&limit_mu);
	struct limit_slot *s = NULL, *oldest = &limit_slots[0];
	for (size_t i = 0; i < LIMIT_SLOTS && s == NULL; i++) {
		if (strncmp(limit_slots[i].key, key, LIMIT_KEY - 1) == 0 && limit_slots[i].key[0] != '\0')
			s = &limit_slots[i];
		else if (limit_slots[i].last < oldest->last)
			oldest = &limit_slots[i];
	}
	if (s == NULL) {
		s = oldest;
		snprintf(s->key, sizeof(s->key), "%s", key);
		s->last = 0;
		s->dropped = 0;
	}
	/* Keys from forged addresses are new at every packet: besides one
	 * line per key per interval, all keys together write at most
	 * LIMIT_BURST lines a second. */
	if (budget_sec != now) {
		budget_sec = now;
		budget = LIMIT_BURST;
	}
	if (now - s->last >= (time_t)interval && budget > 0) {
		budget--;
		write = true;
		dropped = s->dropped;
		s->dropped = 0;
		s->last = now;
	} else {
		s->dropped++;
	}
	pthread_mutex_unlock(&limit_mu);
	if (!write)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (dropped > 0)
		log_msg(level, "%s (and %lu more like it in the last %u s)", line, dropped, interval);
	else
		log_msg(level, "%s", line);
}
