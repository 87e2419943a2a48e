/* log.c -- logging to stderr (foreground) or syslog */
#include "config.h"

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

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *tag[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	if (log_stderr) {
		char line[1024];
		vsnprintf(line, sizeof(line), fmt, ap);
		if (!log_plain)
			fprintf(stderr, "%s[%s]: %s\n", log_ident, tag[level], line);
		else if (level == LOG_LVL_ERR)
			fprintf(stderr, "%s: %s\n", log_ident, line);
		else
			fprintf(stderr, "%s: %s: %s\n", log_ident, tag[level], line);
	} else {
		vsyslog(prio[level], fmt, ap);
	}
	va_end(ap);
}
