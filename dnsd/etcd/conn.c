/* conn.c -- the transport under the etcd client: members tried in turn,
 * responses bounded, authentication tokens
 *
 * One call is one HTTP/1.1 POST of a JSON body to one member at a time,
 * starting with the member that answered last. What happens on failure
 * depends on whether the request may have been applied:
 *
 *   - not sent (connect refused or timed out, TLS handshake failed), or
 *     refused before it was proposed ("etcdserver: no leader", which a
 *     member answers at once when asked to require a leader): the next
 *     member, for any request;
 *   - sent, then no answer in time, or etcd said UNAVAILABLE: the next
 *     member for a read (ETCD_CALL_READ); for a write DNSD_EUNAVAIL at
 *     once, so that a transaction is never applied twice;
 *   - "invalid auth token" (an expired token): a new token, once;
 *   - any other answer: mapped to a dnsd_err and returned.
 *
 * A response is read into memory only while it stays within
 * max_response (curl checks a Content-Length before reading; the write
 * callback checks each piece before copying it).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd/conn.h"
#include "etcd/msg.h"
#include "util/err.h"
#include "util/log.h"

enum {
	DEF_CONNECT_MS = 1000,
	DEF_REQUEST_MS = 5000,
	DEF_PROGRESS_MS = 2000,
	DEF_RANGE_PAGE = 1000,
};
#define DEF_MAX_REQUEST ((size_t)2 << 20)   /* etcd's 1.5 MiB, in base64 */
#define DEF_MAX_RESPONSE ((size_t)64 << 20)

/* ---- the setup ------------------------------------------------------------------ */

static char *
dup_opt(const char *s, bool *bad)
{
	char *d;
	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*bad = true;
	return d;
}

static bool
is_url(const char *s)
{
	return s != NULL && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0);
}

int
etcd_cfg_copy(struct etcd_cfg *c, const struct etcd_setup *s)
{
	bool bad = false;

	memset(c, 0, sizeof(*c));
	if (s->nendpoints == 0 || s->endpoints == NULL) {
		log_err("etcd: no endpoint");
		return DNSD_ECONF;
	}
	for (size_t i = 0; i < s->nendpoints; i++) {
		if (!is_url(s->endpoints[i])) {
			log_err("etcd: endpoint '%s' is not an http:// or https:// URL",
			    s->endpoints[i] ? s->endpoints[i] : "(null)");
			return DNSD_ECONF;
		}
	}
	if ((s->user == NULL) != (s->password == NULL) ||
	    (s->cert_file == NULL) != (s->key_file == NULL)) {
		log_err("etcd: a user needs a password, a certificate its key");
		return DNSD_ECONF;
	}
	c->endpoints = calloc(s->nendpoints, sizeof(*c->endpoints));
	if (c->endpoints == NULL)
		return -ENOMEM;
	c->nendpoints = s->nendpoints;
	for (size_t i = 0; i < s->nendpoints; i++) {
		char *u = dup_opt(s->endpoints[i], &bad);
		size_t n = u ? strlen(u) : 0;
		while (n > 0 && u[n - 1] == '/')
			u[--n] = '\0';
		c->endpoints[i] = u;
	}
	c->user = dup_opt(s->user, &bad);
	c->password = dup_opt(s->password, &bad);
	c->ca_file = dup_opt(s->ca_file, &bad);
	c->cert_file = dup_opt(s->cert_file, &bad);
	c->key_file = dup_opt(s->key_file, &bad);
	c->prefix = dup_opt(s->prefix ? s->prefix : "", &bad);
	c->connect_ms = s->connect_timeout_ms ? s->connect_timeout_ms : DEF_CONNECT_MS;
	c->request_ms = s->request_timeout_ms ? s->request_timeout_ms : DEF_REQUEST_MS;
	c->progress_ms = s->watch_progress_ms ? s->watch_progress_ms : DEF_PROGRESS_MS;
	c->stall_ms = s->watch_stall_ms ? s->watch_stall_ms : 3 * c->progress_ms;
	c->max_request = s->max_request ? s->max_request : DEF_MAX_REQUEST;
	c->max_response = s->max_response ? s->max_response : DEF_MAX_RESPONSE;
	c->range_page = s->range_page ? s->range_page : DEF_RANGE_PAGE;
	if (bad) {
		etcd_cfg_free(c);
		return -ENOMEM;
	}
	return 0;
}

void
etcd_cfg_free(struct etcd_cfg *c)
{
	for (size_t i = 0; i < c->nendpoints; i++)
		free(c->endpoints[i]);
	free(c->endpoints);
	free(c->user);
	if (c->password != NULL)
		memset(c->password, 0, strlen(c->password));
	free(c->password);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->prefix);
	memset(c, 0, sizeof(*c));
}

/* ---- handles ------------------------------------------------------------------------ */

void
etcd_conn_setopts(const struct etcd_cfg *cfg, CURL *h, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_ms);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never through an HTTP proxy */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (cfg->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->cert_file != NULL) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, cfg->cert_file);
		curl_easy_setopt(h, CURLOPT_SSLKEY, cfg->key_file);
	}
}

int
etcd_conn_init(struct etcd_conn *c, const struct etcd_cfg *cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	if ((c->curl = curl_easy_init()) == NULL)
		return -ENOMEM;
	etcd_conn_setopts(cfg, c->curl, c->errbuf);
	return 0;
}

void
etcd_conn_free(struct etcd_conn *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->token);
	memset(c, 0, sizeof(*c));
}

struct curl_slist *
etcd_conn_headers(const struct etcd_conn *c, bool leader)
{
	struct curl_slist *l = NULL, *n;
	char *auth = NULL;
	const char *add[4];
	size_t k = 0;

	add[k++] = "Content-Type: application/json";
	add[k++] = "Expect:"; /* no 100-continue round trip */
	if (leader)
		add[k++] = "Grpc-Metadata-hasleader: true";
	if (c->token != NULL) {
		size_t len = strlen(c->token) + sizeof("Authorization: ");
		if ((auth = malloc(len)) == NULL)
			return NULL;
		snprintf(auth, len, "Authorization: %s", c->token);
		add[k++] = auth;
	}
	for (size_t i = 0; i < k; i++) {
		if ((n = curl_slist_append(l, add[i])) == NULL) {
			curl_slist_free_all(l);
			l = NULL;
			break;
		}
		l = n;
	}
	free(auth); /* curl copied it */
	return l;
}

/* ---- one POST ---------------------------------------------------------------------- */

struct body {
	char *p;
	size_t len, cap, max;
	bool over;
};

static size_t
body_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;

	if (n > b->max - b->len) {
		b->over = true;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/*
 * POST to member `ep`; *resp gets the JSON answer whatever its status.
 * DNSD_EUNAVAIL when no answer came (*sent says whether the request may
 * have reached etcd), DNSD_ETOOBIG, DNSD_EMALF for an answer that is not
 * JSON.
 */
static int
post(struct etcd_conn *c, size_t ep, const char *path, const char *req, size_t len,
    bool leader, json_t **resp, long *status, bool *sent)
{
	const struct etcd_cfg *cfg = c->cfg;
	struct body b = { .max = cfg->max_response };
	struct curl_slist *h = etcd_conn_headers(c, leader);
	char url[2048];
	long reqsize = 0;
	json_error_t jerr;
	CURLcode cc;
	int r = 0;

	*resp = NULL;
	*status = 0;
	*sent = false;
	if (h == NULL)
		return -ENOMEM;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", cfg->endpoints[ep], path) >= sizeof(url)) {
		curl_slist_free_all(h);
		return DNSD_ECONF;
	}
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)cfg->request_ms);
	curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_response);
	cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &reqsize);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (b.over || cc == CURLE_FILESIZE_EXCEEDED) {
		log_warn("etcd: %s: response over %zu bytes", url, cfg->max_response);
		r = DNSD_ETOOBIG;
	} else if (cc != CURLE_OK) {
		*sent = reqsize > 0;
		etcd_warn(url, "etcd: %s: %s", url, c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
		r = DNSD_EUNAVAIL;
	} else if ((*resp = json_loadb(b.p ? b.p : "", b.len, 0, &jerr)) == NULL) {
		*sent = true;
		etcd_warn(url, "etcd: %s: HTTP %ld, not JSON: %s", url, *status, jerr.text);
		r = *status >= 500 ? DNSD_EUNAVAIL : DNSD_EMALF;
	}
	free(b.p);
	return r;
}

int
etcd_conn_auth(struct etcd_conn *c, size_t ep)
{
	const struct etcd_cfg *cfg = c->cfg;
	json_t *req, *resp = NULL, *tok;
	const char *msg;
	char *body;
	long status;
	bool sent;
	int code, r;

	free(c->token);
	c->token = NULL;
	req = json_pack("{s:s, s:s}", "name", cfg->user, "password", cfg->password);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (body == NULL)
		return -ENOMEM;
	r = post(c, ep, "/v3/auth/authenticate", body, strlen(body), false, &resp, &status, &sent);
	memset(body, 0, strlen(body));
	free(body);
	if (r != 0)
		return r;
	if (etcd_msg_error(resp, &code, &msg)) {
		r = etcd_err_from_grpc(code, msg);
		log_err("etcd: %s: authenticate as %s: %s", cfg->endpoints[ep], cfg->user, msg);
	} else if (!json_is_string(tok = json_object_get(resp, "token"))) {
		r = DNSD_EMALF;
	} else if ((c->token = strdup(json_string_value(tok))) == NULL) {
		r = -ENOMEM;
	}
	json_decref(resp);
	return r;
}

/* ---- a call: members in turn ---------------------------------------------------------- */

enum verdict { V_DONE, V_NEXT, V_AUTH };

/* One member: the answer, or what to do next. */
static int
call_one(struct etcd_conn *c, size_t ep, const char *path, const char *req, size_t len,
    unsigned flags, json_t **resp, enum verdict *v)
{
	bool read = flags & ETCD_CALL_READ, sent;
	const char *msg;
	long status;
	int code, r;

	*v = V_DONE;
	if (c->cfg->user != NULL && c->token == NULL) {
		r = etcd_conn_auth(c, ep);
		if (r == DNSD_EUNAVAIL)
			*v = V_NEXT;
		if (r != 0)
			return r;
	}
	r = post(c, ep, path, req, len, flags & ETCD_CALL_LEADER, resp, &status, &sent);
	if (r == DNSD_EUNAVAIL) {
		*v = read || !sent ? V_NEXT : V_DONE;
		return r;
	}
	if (r != 0)
		return r;
	if (!etcd_msg_error(*resp, &code, &msg)) {
		if (status == 200)
			return 0;
		etcd_warn(c->cfg->endpoints[ep], "etcd: %s%s: HTTP %ld", c->cfg->endpoints[ep], path,
		    status);
		r = status >= 500 ? DNSD_EUNAVAIL : DNSD_EETCD;
	} else if (code == 16 && c->cfg->user != NULL) { /* UNAUTHENTICATED */
		*v = V_AUTH;
		r = -EACCES;
	} else {
		r = etcd_err_from_grpc(code, msg);
		if (r == DNSD_EUNAVAIL && (read || strstr(msg, "no leader") != NULL))
			*v = V_NEXT;
		if (r != DNSD_ENOTFOUND && r != DNSD_ECOMPACTED)
			etcd_warn(c->cfg->endpoints[ep], "etcd: %s%s: %s (code %d)", c->cfg->endpoints[ep],
			    path, msg, code);
	}
	json_decref(*resp);
	*resp = NULL;
	return r;
}

int
etcd_conn_call(struct etcd_conn *c, const char *path, const json_t *req, unsigned flags,
    json_t **resp)
{
	size_t n = c->cfg->nendpoints, tried = 0, len;
	bool reauth = false;
	char *body;
	int r = DNSD_EUNAVAIL;

	*resp = NULL;
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		return -ENOMEM;
	len = strlen(body);
	if (len > c->cfg->max_request) {
		free(body);
		return DNSD_ETOOBIG;
	}
	while (tried < n) {
		size_t ep = (c->cur + tried) % n;
		enum verdict v;
		r = call_one(c, ep, path, body, len, flags, resp, &v);
		if (v == V_AUTH && !reauth) {
			reauth = true; /* the same member again, with a new token */
			free(c->token);
			c->token = NULL;
			continue;
		}
		if (v != V_NEXT) {
			if (r != DNSD_EUNAVAIL)
				c->cur = ep;
			else
				c->cur = (ep + 1) % n; /* start elsewhere next time */
			break;
		}
		tried++;
	}
	free(body);
	return r;
}
