/* log.h -- logging to stderr (foreground, each line stamped with its ISO
 * 8601 time) or syslog, and a rate-limited form for what outsiders cause */
#ifndef DNSD_UTIL_LOG_H
#define DNSD_UTIL_LOG_H

#include <stdbool.h>

/* LOG_LVL_OFF as a level to log at: nothing is written (fuzzers). */
enum log_level { LOG_LVL_OFF = -1, LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Configure logging: to stderr when foreground, else to syslog under the
 * ident (default "dnsd"). */
void log_init(bool foreground, enum log_level level);
/* Name the program in messages (stderr and the syslog ident); call before
 * log_init. `name` must stay valid. */
void log_set_ident(const char *name);
/* Command-line tools: write stderr lines as "name: message" for errors and
 * "name: warning: message" (info, debug likewise) instead of the daemon's
 * "name[level]: message". */
void log_set_plain(bool plain);
/* Parse "error", "warning", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *s);
/* Change the level at run time. */
void log_set_level(enum log_level level);
/* True if messages at this level are emitted (to skip costly formatting). */
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Log a line that an outsider can cause at will (a refused update, a
 * rate limit biting, a transfer cut): at most one line per `key` (the
 * client address and the reason, say) per `interval` seconds; lines
 * suppressed in between are counted and the next line that gets through
 * says how many. Keys are kept in a small table (the oldest is reused), so
 * the logger itself cannot be made to grow. Thread-safe.
 */
void log_limited(enum log_level level, const char *key, unsigned interval, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { if (log_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
