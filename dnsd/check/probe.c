/* probe.c -- one run of an HTTP or TCP check on a curl easy handle, and
 * how its result is judged (Consul's rules)
 *
 * HTTP: GET the URL, as Consul does (not HEAD), with Consul's Accept
 * header; the body is read up to CHECK_BODY_MAX bytes and dropped (past
 * that the transfer stops and the status code decides). Redirects are
 * not followed and only http and https are allowed: a registration names
 * the URL, and a file:// or gopher:// URL must not make dnsd read or send
 * anything else. No proxy from the environment either: the check goes
 * where the registration says. Every run opens a new connection (none is
 * reused), so a check proves that the instance accepts connections.
 *
 * TCP: curl's CONNECT_ONLY on http://host:port/: curl resolves the name
 * and connects (IPv4 and IPv6, happy eyeballs) within the timeout, and
 * sends nothing.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "check/internal.h"
#include "util/err.h"

#define CHECK_TIMEOUT_MAX_MS 300000u /* 5 minutes */

enum svc_health
check_http_health(long status)
{
	if (status >= 200 && status <= 299)
		return SVC_PASSING;
	if (status == 429)
		return SVC_WARNING;
	return SVC_CRITICAL;
}

uint32_t
check_interval_ms(const struct svc_check *k)
{
	if (k->interval_ms == 0)
		return CHECK_INTERVAL_DEFAULT_MS;
	return k->interval_ms < CHECK_INTERVAL_MIN_MS ? CHECK_INTERVAL_MIN_MS : k->interval_ms;
}

uint32_t
check_timeout_ms(const struct svc_check *k)
{
	if (k->timeout_ms == 0)
		return CHECK_TIMEOUT_DEFAULT_MS;
	return k->timeout_ms > CHECK_TIMEOUT_MAX_MS ? CHECK_TIMEOUT_MAX_MS : k->timeout_ms;
}

/* A host name or IPv4 literal: letters, digits, '-', '.', '_'. */
static bool
host_ok(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
			return false;
	return true;
}

/* The inside of [...]: hex digits, ':' and '.' (an IPv4 tail). */
static bool
v6_ok(const char *h, size_t n)
{
	if (n < 2 || n > 45)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
			return false;
	return true;
}

int
check_tcp_url(const char *target, char *url, size_t size)
{
	const char *port;
	size_t hlen;
	if (target[0] == '[') {
		const char *close = strchr(target, ']');
		if (close == NULL || close[1] != ':' || !v6_ok(target + 1, (size_t)(close - target - 1)))
			return DNSD_EMALF;
		hlen = (size_t)(close + 1 - target);
		port = close + 2;
	} else {
		const char *colon = strrchr(target, ':');
		if (colon == NULL || !host_ok(target, (size_t)(colon - target)))
			return DNSD_EMALF;
		hlen = (size_t)(colon - target);
		port = colon + 1;
	}
	size_t plen = strlen(port);
	unsigned long p = 0;
	if (plen == 0 || plen > 5)
		return DNSD_EMALF;
	for (size_t i = 0; i < plen; i++) {
		if (!isdigit((unsigned char)port[i]))
			return DNSD_EMALF;
		p = p * 10 + (unsigned long)(port[i] - '0');
	}
	if (p == 0 || p > 65535)
		return DNSD_EMALF;
	int n = snprintf(url, size, "http://%.*s:%lu/", (int)hlen, target, p);
	return n < 0 || (size_t)n >= size ? DNSD_ESPACE : 0;
}

/* The body: counted, dropped, and cut off past CHECK_BODY_MAX (returning
 * less than was given stops the transfer). */
static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	struct probe *p = arg;
	(void)data;
	if (p->body + size * n > CHECK_BODY_MAX)
		return 0;
	p->body += size * n;
	return size * n;
}

struct probe *
probe_new(enum svc_check_kind kind, const char *target, uint32_t timeout_ms,
    struct curl_slist *headers, int *why)
{
	struct probe *p = calloc(1, sizeof(*p));
	int rc = 0;
	if (p == NULL || (p->easy = curl_easy_init()) == NULL) {
		free(p);
		*why = -ENOMEM;
		return NULL;
	}
	p->kind = kind;
	if (kind == SVC_CHECK_TCP)
		rc = check_tcp_url(target, p->url, sizeof(p->url));
	else if (snprintf(p->url, sizeof(p->url), "%s", target) >= (int)sizeof(p->url))
		rc = DNSD_ESPACE;
	if (rc != 0) {
		probe_free(p);
		*why = rc;
		return NULL;
	}
	CURL *h = p->easy;
	CURLcode c = CURLE_OK;
	c |= curl_easy_setopt(h, CURLOPT_URL, p->url);
	c |= curl_easy_setopt(h, CURLOPT_PRIVATE, p);
	c |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, p->err);
	c |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	c |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	c |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	c |= curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	c |= curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	c |= curl_easy_setopt(h, CURLOPT_PROXY, "");
	c |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	c |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	c |= curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (kind == SVC_CHECK_TCP) {
		c |= curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	} else {
		c |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		c |= curl_easy_setopt(h, CURLOPT_USERAGENT, "dnsd health check");
		c |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		c |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
		c |= curl_easy_setopt(h, CURLOPT_WRITEDATA, p);
	}
	if (c != CURLE_OK) {
		probe_free(p);
		*why = -EINVAL;
		return NULL;
	}
	return p;
}

enum svc_health
probe_result(const struct probe *p, CURLcode rc, const char *target, char *out, size_t size)
{
	const char *err = p->err[0] != '\0' ? p->err : curl_easy_strerror(rc);
	if (p->kind == SVC_CHECK_TCP) {
		if (rc == CURLE_OK) {
			snprintf(out, size, "TCP connect %s: Success", target);
			return SVC_PASSING;
		}
		snprintf(out, size, "TCP connect %s: %s", target, err);
		return SVC_CRITICAL;
	}
	/* Once the status line is in, it decides (as with Consul, a body
	 * cut short does not matter). */
	long status = 0;
	if (curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	if (status > 0) {
		snprintf(out, size, "HTTP GET %s: %ld", p->url, status);
		return check_http_health(status);
	}
	snprintf(out, size, "HTTP GET %s: %s", p->url, err);
	return SVC_CRITICAL;
}

void
probe_free(struct probe *p)
{
	if (p == NULL)
		return;
	if (p->easy != NULL)
		curl_easy_cleanup(p->easy);
	free(p);
}
