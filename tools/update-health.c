/* update-health.c -- what keepalive and run report about an instance's
 * health, without sockets, processes or a clock of its own: the
 * DNSD-HEALTH EDNS option, check results mapped to states, durations and
 * HOST:PORT on the command line, and the machine that decides when to
 * renew, when to report at once and when to stop renewing.
 *
 * DNSD-HEALTH (EDNS option code 65401, from the private-use range of
 * RFC 6891 section 9), in an UPDATE:
 *
 *   state:u8   0 passing, 1 warning, 2 critical
 *   text       0..255 bytes of UTF-8: the check's output (optional)
 *
 * It applies to every instance the UPDATE registers or renews. Example,
 * critical with output "HTTP 500":
 *
 *   ff 79  00 09  02  48 54 54 50 20 35 30 30
 *   code   len=9  st  "HTTP 500"
 *
 * Time comes in as a parameter (milliseconds on a monotonic clock), so
 * the unit tests drive the machine without sleeping. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "update.h"

const char *
upd_health_name(enum upd_health h)
{
	switch (h) {
	case UPD_PASSING: return "passing";
	case UPD_WARNING: return "warning";
	case UPD_CRITICAL: return "critical";
	}
	return "?";
}

enum upd_health
upd_health_worst(enum upd_health a, enum upd_health b)
{
	return a > b ? a : b;
}

/* ---- check results ----------------------------------------------------- */

enum upd_health
upd_health_from_http(long status)
{
	if (status >= 200 && status <= 299)
		return UPD_PASSING;
	if (status == 429)
		return UPD_WARNING;
	return UPD_CRITICAL;
}

enum upd_health
upd_health_from_exit(bool exited, int code)
{
	if (!exited)
		return UPD_CRITICAL; /* killed by a signal, or timed out */
	return code == 0 ? UPD_PASSING : code == 1 ? UPD_WARNING :
	    UPD_CRITICAL;
}

int
upd_proc_stat_state(const char *line, size_t len)
{
	const char *p = NULL;

	/* "pid (comm) S ...": comm may hold spaces and parentheses, so the
	 * state follows the last ')'. */
	for (size_t i = len; i > 0; i--)
		if (line[i - 1] == ')') {
			p = line + i;
			break;
		}
	if (!p || p + 2 > line + len || p[0] != ' ' || p[1] == '\0' ||
	    p[1] == ' ')
		return -1;
	return (unsigned char)p[1];
}

enum upd_health
upd_health_from_proc_state(int state)
{
	switch (state) {
	case 'T': /* stopped by a signal */
	case 't': /* stopped by a debugger */
	case 'Z': /* exited, not yet reaped */
	case 'X': /* dead */
	case 'x':
		return UPD_CRITICAL;
	case -1:
		return UPD_CRITICAL; /* gone, or unreadable */
	default:
		return UPD_PASSING; /* R, S, D, I, W, P ... */
	}
}

/* ---- the option ----------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it
 * is not one (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

size_t
upd_health_text(char *dst, size_t cap, const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, n = 0;

	if (cap == 0)
		return 0;
	if (cap > UPD_HEALTH_TEXT_MAX + 1)
		cap = UPD_HEALTH_TEXT_MAX + 1; /* what the option holds */
	/* Leading blanks and control characters carry nothing. */
	while (i < srclen && (s[i] <= ' ' || s[i] == 0x7f))
		i++;
	while (i < srclen) {
		size_t k = utf8_seq(s + i, srclen - i);

		if (k == 0) {
			/* Not UTF-8: one '?' per byte that is not. */
			if (n + 1 >= cap)
				break;
			dst[n++] = '?';
			i++;
			continue;
		}
		if (n + k >= cap)
			break; /* never cut a character in two */
		if (k == 1 && (s[i] < ' ' || s[i] == 0x7f))
			dst[n++] = ' '; /* newlines, tabs: one line */
		else
			memcpy(dst + n, s + i, k), n += k;
		i += k;
	}
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
	return n;
}

size_t
upd_health_option(uint8_t out[1 + UPD_HEALTH_TEXT_MAX], enum upd_health h,
    const char *text)
{
	size_t n = text ? strlen(text) : 0;

	if (n > UPD_HEALTH_TEXT_MAX)
		n = UPD_HEALTH_TEXT_MAX; /* upd_health_text() keeps it shorter */
	out[0] = (uint8_t)h;
	if (n)
		memcpy(out + 1, text, n);
	return 1 + n;
}

/* ---- the command line ------------------------------------------------------- */

int
upd_duration_parse(const char *s, uint64_t *ms)
{
	/* Go's time.ParseDuration, as Consul takes it, for the units that
	 * make sense here: "10s", "1m30s", "1.5s", "250ms", "2h"; a bare
	 * number is seconds, like --lease. */
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 } };
	const uint64_t max = (uint64_t)1 << 50; /* far beyond any use */
	uint64_t total = 0;
	bool bare = true;

	if (!s || !*s)
		return -1;
	while (*s) {
		uint64_t whole = 0, frac = 0, scale = 1, mult = 0;
		size_t nd = 0, nf = 0, i;

		for (; *s >= '0' && *s <= '9'; s++, nd++) {
			if (whole > max / 10)
				return -1;
			whole = whole * 10 + (uint64_t)(*s - '0');
		}
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++, nf++)
				if (scale < 1000000000) {
					frac = frac * 10 + (uint64_t)(*s - '0');
					scale *= 10;
				}
		}
		if (nd + nf == 0)
			return -1;
		if (*s == '\0' && bare && nf == 0) {
			mult = 1000; /* "30": seconds */
		} else {
			for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
				size_t ul = strlen(units[i].unit);

				/* "m" must not take the "m" of "ms" */
				if (strncmp(s, units[i].unit, ul) == 0 &&
				    !(ul == 1 && s[0] == 'm' && s[1] == 's')) {
					mult = units[i].ms;
					s += ul;
					break;
				}
			}
			if (!mult)
				return -1;
		}
		bare = false;
		if (whole > max / mult)
			return -1;
		total += whole * mult + frac * mult / scale;
		if (total > max)
			return -1;
	}
	*ms = total;
	return 0;
}

int
upd_hostport_split(const char *s, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon, *h = s;
	size_t hl;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -1; /* IPv6 needs brackets */
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= portlen)
		return -1;
	for (const char *p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	{
		unsigned long v = strtoul(port, NULL, 10);
		if (v < 1 || v > 65535)
			return -1;
	}
	return 0;
}

/* ---- the machine -------------------------------------------------------------- */

void
upd_hm_init(struct upd_hm *m, uint64_t grace_ms)
{
	memset(m, 0, sizeof(*m));
	m->grace_ms = grace_ms;
	m->state = UPD_PASSING;
}

enum upd_hm_action
upd_hm_result(struct upd_hm *m, enum upd_health h, uint64_t now)
{
	bool changed = !m->known || h != m->state;
	bool was_suspended = m->suspended;

	if (h == UPD_CRITICAL) {
		if (!m->known || m->state != UPD_CRITICAL)
			m->critical_since = now;
	} else {
		m->ever_ok = true;
		m->suspended = false;
	}
	m->known = true;
	m->state = h;
	if (was_suspended)
		return h == UPD_CRITICAL ? UPD_HM_NONE : UPD_HM_RENEW;
	return changed ? UPD_HM_RENEW : UPD_HM_NONE;
}

enum upd_hm_action
upd_hm_renewal_due(struct upd_hm *m, uint64_t now)
{
	if (m->suspended)
		return UPD_HM_NONE;
	if (m->known && m->state == UPD_CRITICAL &&
	    now - m->critical_since > m->grace_ms) {
		m->suspended = true;
		return UPD_HM_SUSPEND;
	}
	return UPD_HM_RENEW;
}

uint64_t
upd_hm_check_every(const struct upd_hm *m, uint64_t interval_ms)
{
	/* Until a check has passed once (a service still starting), look
	 * every second, so that it shows up soon after it is ready. */
	if (!m->ever_ok && interval_ms > UPD_HM_START_EVERY_MS)
		return UPD_HM_START_EVERY_MS;
	return interval_ms;
}
