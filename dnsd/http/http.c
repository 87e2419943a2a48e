/* http.c -- the listener's thread: libmicrohttpd driven by one event loop,
 * limits, tokens, blocking queries and writes that wait for the writer
 *
 * The loop sleeps in epoll_wait on the daemons' epoll descriptors and an
 * eventfd until the earliest deadline: libmicrohttpd's own timeouts, the
 * end of a blocking query's wait, a connection's request deadline. The
 * eventfd is written by other threads (the writer's callbacks, the
 * catalog index, a reload); everything that touches libmicrohttpd happens
 * in this thread.
 *
 * Limits, each checked before the memory it guards is taken:
 *   http-max-body      a Content-Length above it is answered 413 before
 *                      any body is read; a chunked body is cut there
 *   http-max-connections  the connection past it is answered 503 and
 *                      closed (libmicrohttpd refuses outright a few more on)
 *   http-timeout       a request must arrive whole within it: one that is
 *                      whole later is answered 408 (libmicrohttpd takes a
 *                      reply only once the body is in), one still not whole
 *                      at twice the time is cut
 * A request that fails a check is answered before anything is applied.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/conf.h"
#include "http/internal.h"
#include "runtime/runtime.h"
#include "stats/stats.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/dynmhd.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

/* libmicrohttpd refuses connections beyond http-max-connections plus this
 * many outright; up to there, each is answered 503. */
#define CONN_SLACK 16
/* Memory libmicrohttpd gives each connection for its headers. */
#define CONN_MEMORY (32 * 1024)

/* ---- small helpers ---- */

static void
wake(struct http *h)
{
	uint64_t one = 1;
	if (write(h->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("http: cannot wake the listener: %s", strerror(errno));
}

void
http_reply_text(struct http_reply *out, unsigned status, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	out->status = status;
	out->body = n >= 0 ? s : NULL;
	out->len = n >= 0 ? (size_t)n : 0;
	out->type = "text/plain; charset=utf-8";
}

void
http_reply_json(struct http_reply *out, json_t *j, bool pretty)
{
	char *s = j != NULL ? json_dumps(j, JSON_ENCODE_ANY | (pretty ? JSON_INDENT(4) : JSON_COMPACT)) : NULL;
	json_decref(j);
	if (s == NULL) {
		http_reply_text(out, 500, "out of memory");
		return;
	}
	out->status = 200;
	out->body = s;
	out->len = strlen(s);
	out->type = "application/json";
}

struct arg_find {
	const char *key, *value;
	bool present;
};

static enum MHD_Result
arg_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct arg_find *a = cls;
	(void)kind;
	if (strcmp(key, a->key) == 0 && !a->present) {
		a->present = true;
		a->value = value;
	}
	return MHD_YES;
}

const char *
http_arg(struct MHD_Connection *mc, const char *key, bool *present)
{
	struct arg_find a = { key, NULL, false };
	MHD_get_connection_values(mc, MHD_GET_ARGUMENT_KIND, arg_cb, &a);
	if (present != NULL)
		*present = a.present;
	return a.value;
}

const struct zone *
http_zone(const struct http *h)
{
	const struct conf_zone *cz = conf_http_zone(h->rt->conf);
	for (size_t i = 0; cz != NULL && i < h->rt->zones.n; i++)
		if (h->rt->zones.z[i].conf == cz)
			return &h->rt->zones.z[i];
	return NULL;
}

/* ---- who is asking ---- */

/* The token of a request: X-Consul-Token, Authorization: Bearer, or
 * ?token= (as Consul accepts them); NULL if none. */
static const char *
token_of(struct MHD_Connection *mc)
{
	const char *t = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "X-Consul-Token");
	if (t != NULL && *t != '\0')
		return t;
	t = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization");
	if (t != NULL && strncasecmp(t, "Bearer ", 7) == 0) {
		for (t += 7; *t == ' '; t++)
			;
		if (*t != '\0')
			return t;
	}
	t = http_arg(mc, "token", NULL);
	return t != NULL && *t != '\0' ? t : NULL;
}

/*
 * Decide what the request may do. A valid token may read, and write if it
 * names a key (then that key's grants, lease bounds and max-records
 * apply). Without a token, reads need an address in http-allow-read and
 * writes one in http-allow-anonymous (then no grant limits them, as an
 * unsigned UPDATE from allow-update-unsigned). A token that matches none
 * is refused outright ("ACL not found", as Consul says). Returns false
 * when the request must be refused whatever it asks.
 */
static bool
who_is(struct http *h, struct MHD_Connection *mc, struct http_who *w)
{
	const struct conf *c = h->rt->conf;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *peer = ci != NULL ? ci->client_addr : NULL;
	const char *t = token_of(mc);
	memset(w, 0, sizeof(*w));
	if (t != NULL) {
		w->token = conf_token_find(c, t, strlen(t));
		if (w->token == NULL) {
			snprintf(w->denied, sizeof(w->denied), "ACL not found");
			return false;
		}
		w->read = true;
		if (w->token->key != NULL) {
			uint8_t kn[WIRE_NAME_MAX];
			if (wire_name_from_str(w->token->key, kn) != 0)
				w->key = conf_key_find(c, kn);
		}
		w->write = w->key != NULL;
		if (!w->write)
			snprintf(w->denied, sizeof(w->denied),
			    "Permission denied: token %s names no key, so it may only read", w->token->name);
		return true;
	}
	w->read = conf_acl_match_sockaddr(&c->http_allow_read, peer);
	w->anonymous = w->write = conf_acl_match_sockaddr(&c->http_allow_anonymous, peer);
	w->read |= w->write;
	snprintf(w->denied, sizeof(w->denied), "Permission denied: %s need a token (X-Consul-Token)",
	    w->read ? "writes" : "requests from this address");
	return true;
}

/* ---- responses ---- */

static enum MHD_Result
send_reply(struct http_req *r, struct http_reply *rep)
{
	struct http *h = r->h;
	struct MHD_Response *resp = MHD_create_response_from_buffer(rep->len,
	    rep->body != NULL ? rep->body : (void *)"", rep->body != NULL ? MHD_RESPMEM_MUST_FREE
	                                                              : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(rep->body);
		return MHD_NO;
	}
	if (rep->type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->type);
	if (rep->index) {
		/* Never 0 (Consul's clients treat 0 as "no index"): the store's
		 * catalog index plus one. */
		char v[32];
		snprintf(v, sizeof(v), "%llu",
		    (unsigned long long)__atomic_load_n(&h->index, __ATOMIC_ACQUIRE) + 1);
		MHD_add_response_header(resp, "X-Consul-Index", v);
		MHD_add_response_header(resp, "X-Consul-KnownLeader", "true");
		MHD_add_response_header(resp, "X-Consul-LastContact", "0");
	}
	if (rep->allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
	if (rep->status == 503 || rep->status == 408 || rep->status == 413)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	stats_add(h->stats, ST_HTTP_REQUESTS, 1);
	if (rep->status >= 400)
		stats_add(h->stats, rep->status >= 500 ? ST_HTTP_5XX : ST_HTTP_4XX, 1);
	enum MHD_Result res = MHD_queue_response(r->mc, rep->status, resp);
	MHD_destroy_response(resp);
	return res;
}

static enum MHD_Result
send_text(struct http_req *r, unsigned status, const char *text)
{
	struct http_reply rep = { 0 };
	http_reply_text(&rep, status, "%s", text);
	return send_reply(r, &rep);
}

/* ---- writes and blocking queries ---- */

/* From the writer's thread: a write is durable (or failed). */
static void
write_done(void *arg, int rc, uint64_t index)
{
	struct http_req *r = arg;
	struct http *h = r->h;
	pthread_mutex_lock(&h->mu);
	r->write_rc = rc;
	r->write_index = index;
	r->done = true;
	r->next = h->done;
	h->done = r;
	h->outstanding--;
	pthread_mutex_unlock(&h->mu);
	wake(h);
}

void
http_submit(struct http *h, struct http_req *r, const struct svc_op *op)
{
	r->wait = W_WRITE;
	r->done = false;
	MHD_suspend_connection(r->mc);
	pthread_mutex_lock(&h->mu);
	h->outstanding++;
	pthread_mutex_unlock(&h->mu);
	h->submit(h->ctx, op, write_done, r);
}

void
http_submit_op(struct http *h, const struct svc_op *op,
    void (*done)(void *arg, int rc, uint64_t index), void *arg)
{
	pthread_mutex_lock(&h->mu);
	h->outstanding++;
	pthread_mutex_unlock(&h->mu);
	h->submit(h->ctx, op, done, arg);
}

void
http_op_finished(struct http *h)
{
	pthread_mutex_lock(&h->mu);
	h->outstanding--;
	pthread_mutex_unlock(&h->mu);
	wake(h);
}

/* Changes handed to the writer and not answered yet. */
static unsigned
outstanding(struct http *h)
{
	pthread_mutex_lock(&h->mu);
	unsigned n = h->outstanding;
	pthread_mutex_unlock(&h->mu);
	return n;
}

/* Answer the writes the writer has finished (resumed; the handler,
 * called again, replies). */
static void
resume_done(struct http *h)
{
	pthread_mutex_lock(&h->mu);
	struct http_req *r = h->done;
	h->done = NULL;
	pthread_mutex_unlock(&h->mu);
	for (struct http_req *next; r != NULL; r = next) {
		next = r->next;
		r->next = NULL;
		MHD_resume_connection(r->mc);
	}
}

/* Wake the blocking queries whose index has passed, or whose wait is over;
 * returns the earliest wait still running (0: none). */
static uint64_t
resume_waiters(struct http *h, uint64_t now)
{
	uint64_t index = __atomic_load_n(&h->index, __ATOMIC_ACQUIRE) + 1, next = 0;
	for (struct http_req **p = &h->waiters; *p != NULL;) {
		struct http_req *r = *p;
		if (index > r->wait_index || now >= r->wait_until || h->stop) {
			*p = r->next;
			r->next = NULL;
			r->wait = W_NONE;
			MHD_resume_connection(r->mc);
			continue;
		}
		if (next == 0 || r->wait_until < next)
			next = r->wait_until;
		p = &r->next;
	}
	return next;
}

/* Hold a blocking query until the catalog index passes `index` or `wait`
 * milliseconds go by. Returns false if it need not wait. */
static bool
block(struct http_req *r, uint64_t index, uint64_t wait)
{
	struct http *h = r->h;
	if (__atomic_load_n(&h->index, __ATOMIC_ACQUIRE) + 1 > index || wait == 0)
		return false;
	r->wait = W_INDEX;
	r->waited = true;
	r->wait_index = index;
	r->wait_until = clock_mono_ms() + wait;
	r->next = h->waiters;
	h->waiters = r;
	MHD_suspend_connection(r->mc);
	return true;
}

/* ?index=N&wait=D on a read: true if the request now waits. Consul's
 * rules: wait defaults to 5 minutes and is capped at 10, plus up to a
 * sixteenth at random so that watchers do not all come back at once. */
static bool
blocking_query(struct http_req *r, struct http_reply *out)
{
	const char *iv = http_arg(r->mc, "index", NULL), *wv = http_arg(r->mc, "wait", NULL);
	uint64_t index, wait = 5 * 60 * 1000;
	char *end;
	if (iv == NULL || r->waited)
		return false;
	errno = 0;
	index = strtoull(iv, &end, 10);
	if (errno != 0 || end == iv || *end != '\0') {
		http_reply_text(out, 400, "Invalid index: %s", iv);
		return false;
	}
	if (wv != NULL && http_duration_ms(wv, &wait) != 0) {
		http_reply_text(out, 400, "Invalid wait time");
		return false;
	}
	if (wait > 10 * 60 * 1000)
		wait = 10 * 60 * 1000;
	wait += wait / 16 > 0 ? (uint64_t)random() % (wait / 16) : 0;
	return block(r, index, wait);
}

/* ---- the request handler ---- */

static enum MHD_Result
route(struct http_req *r, const char *method, const char *url)
{
	struct http *h = r->h;
	struct http_reply rep = { 0 };
	struct http_who who;
	bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	if (r->wait == W_WRITE) {
		r->wait = W_NONE;
		http_write_done(r, &rep);
		return send_reply(r, &rep);
	}
	if (!who_is(h, r->mc, &who))
		return send_text(r, 403, who.denied);
	if (strcmp(url, "/") == 0 || strcmp(url, "/ui/") == 0) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/ui");
		enum MHD_Result res = MHD_queue_response(r->mc, 301, resp);
		MHD_destroy_response(resp);
		return res;
	}
	if (strcmp(url, "/metrics") == 0 || strcmp(url, "/ui") == 0) {
		if (!is_get) {
			rep.allow = "GET, HEAD";
			http_reply_text(&rep, 405, "method %s not allowed", method);
		} else if (!who.read) {
			http_reply_text(&rep, 403, "%s", who.denied);
		} else if (url[1] == 'm') {
			http_metrics(h, &rep);
		} else {
			http_ui(h, &rep);
		}
		return send_reply(r, &rep);
	}
	if (strncmp(url, "/v1/", 4) != 0)
		return send_text(r, 404, "404 page not found");
	if (is_get && strncmp(url, "/v1/status/", 11) != 0 && who.read &&
	    (blocking_query(r, &rep) || rep.status != 0)) {
		if (rep.status != 0)
			return send_reply(r, &rep);
		return MHD_YES; /* suspended until the index moves */
	}
	if (!http_consul(r, method, url, &who, &rep))
		return MHD_YES; /* suspended: a write */
	return send_reply(r, &rep);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
    const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct http *h = cls;
	struct http_req *r = *con_cls;
	(void)version;
	if (r == NULL) {
		/* The headers are in: decide on the limits before any body. */
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		r->h = h;
		r->mc = mc;
		r->conn = ci != NULL ? ci->socket_context : NULL;
		*con_cls = r;
		if (r->conn != NULL && r->conn->over) {
			log_limited(LOG_LVL_WARN, "http: connections", 10,
			    "http: over http-max-connections (%u): answered 503",
			    h->rt->conf->http_max_connections);
			return send_text(r, 503, "Too many connections (http-max-connections)");
		}
		const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > h->rt->conf->http_max_body) {
			char msg[96];
			snprintf(msg, sizeof(msg), "Request body too large (http-max-body is %llu bytes)",
			    (unsigned long long)h->rt->conf->http_max_body);
			return send_text(r, 413, msg);
		}
		return MHD_YES;
	}
	if (*data_size > 0) {
		size_t n = *data_size;
		*data_size = 0;
		if (r->err == 0 && r->len + n > h->rt->conf->http_max_body)
			r->err = 413;
		if (r->err == 0 && r->conn != NULL && r->conn->deadline != 0 &&
		    clock_mono_ms() > r->conn->deadline)
			r->err = 408;
		if (r->err != 0) {
			/* libmicrohttpd takes no reply while a body comes in: the
			 * rest is read and dropped, and the reply goes when it ends
			 * (or the connection is cut at twice http-timeout). */
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
			return MHD_YES;
		}
		if (r->len + n + 1 > r->cap) {
			size_t cap = r->cap ? r->cap : 1024;
			while (cap < r->len + n + 1)
				cap *= 2;
			char *b = realloc(r->body, cap);
			if (b == NULL)
				return MHD_NO;
			r->body = b;
			r->cap = cap;
		}
		memcpy(r->body + r->len, data, n);
		r->len += n;
		r->body[r->len] = '\0';
		return MHD_YES;
	}
	/* The request is whole: no deadline while we answer it. */
	if (r->conn != NULL)
		r->conn->deadline = 0;
	if (r->err == 413)
		return send_text(r, 413, "Request body too large (http-max-body)");
	if (r->err == 408)
		return send_text(r, 408, "Request timeout: the request did not arrive whole within"
		                         " http-timeout");
	return route(r, method, url);
}

/* The request is over (answered, or the connection went). */
static void
on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
    enum MHD_RequestTerminationCode code)
{
	struct http *h = cls;
	struct http_req *r = *con_cls;
	(void)mc;
	(void)code;
	if (r == NULL)
		return;
	if (r->conn != NULL)
		r->conn->deadline = clock_mono_ms() + h->rt->conf->http_timeout_ms;
	for (struct http_req **p = &h->waiters; *p != NULL; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void
on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct http_conn *c = calloc(1, sizeof(*c));
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (c == NULL)
			return;
		c->fd = ci != NULL ? ci->connect_fd : -1;
		c->deadline = clock_mono_ms() + h->rt->conf->http_timeout_ms;
		c->over = h->nconns >= h->rt->conf->http_max_connections;
		c->next = h->conns;
		if (h->conns != NULL)
			h->conns->prev = c;
		h->conns = c;
		h->nconns++;
		*socket_context = c;
		return;
	}
	struct http_conn *c = *socket_context;
	if (c == NULL)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	h->nconns--;
	free(c);
	*socket_context = NULL;
}

/* Cut the connections whose request is not whole at twice its deadline
 * (one that ends between the two is answered 408); returns the earliest
 * deadline left (0: none). */
static uint64_t
cut_slow(struct http *h, uint64_t now)
{
	uint64_t next = 0, timeout = h->rt->conf->http_timeout_ms;
	for (struct http_conn *c = h->conns; c != NULL; c = c->next) {
		if (c->deadline == 0 || c->fd < 0)
			continue;
		if (now >= c->deadline + timeout) {
			log_limited(LOG_LVL_INFO, "http: slow", 10,
			    "http: a client did not send its request within http-timeout: cut");
			shutdown(c->fd, SHUT_RDWR);
			c->deadline = 0;
			continue;
		}
		if (next == 0 || c->deadline + timeout < next)
			next = c->deadline + timeout;
	}
	return next;
}

/* ---- the loop ---- */

static void
take_runtime(struct http *h)
{
	struct runtime *rt = __atomic_exchange_n(&h->next, NULL, __ATOMIC_ACQ_REL);
	if (rt != NULL) {
		runtime_drop(h->rt);
		h->rt = rt;
	}
}

static void *
http_run(void *arg)
{
	struct http *h = arg;
	h->stats = stats_block_new();
	http_files_sync(h);
	for (;;) {
		uint64_t now = clock_mono_ms(), until = 0, t;
		take_runtime(h);
		if (__atomic_exchange_n(&h->reload, false, __ATOMIC_ACQ_REL))
			http_files_sync(h);
		resume_done(h);
		until = resume_waiters(h, now);
		if ((t = cut_slow(h, now)) != 0 && (until == 0 || t < until))
			until = t;
		for (size_t i = 0; i < h->nd; i++)
			MHD_run(h->d[i]);
		/* Stop once nothing waits for the writer: its callbacks hold
		 * pointers into our requests. */
		if (__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE) && outstanding(h) == 0)
			break;
		int timeout = -1;
		for (size_t i = 0; i < h->nd; i++) {
			MHD_UNSIGNED_LONG_LONG mt;
			if (MHD_get_timeout(h->d[i], &mt) == MHD_YES &&
			    (until == 0 || now + mt < until))
				until = now + mt;
		}
		if (until != 0)
			timeout = until > now ? (int)(until - now < 60000 ? until - now : 60000) : 0;
		struct epoll_event ev[8];
		int n = epoll_wait(h->epfd, ev, 8, timeout);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == h->evfd) {
				uint64_t v;
				if (read(h->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					log_warn("http: eventfd: %s", strerror(errno));
			}
		}
	}
	return NULL;
}

/* ---- start, stop, hand-overs ---- */

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];
	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_limited(LOG_LVL_INFO, "http: libmicrohttpd", 10, "http: %s", buf);
}

static struct MHD_Daemon *
daemon_open(struct http *h, int fd)
{
	const struct conf *c = h->rt->conf;
	return MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL,
	    NULL, on_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(c->http_max_connections + CONN_SLACK),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)((c->http_timeout_ms + 999) / 1000),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
	    MHD_OPTION_END);
}

static void
http_free(struct http *h)
{
	for (size_t i = 0; i < h->nd; i++)
		MHD_stop_daemon(h->d[i]);
	if (h->epfd >= 0)
		close(h->epfd);
	if (h->evfd >= 0)
		close(h->evfd);
	runtime_drop(__atomic_exchange_n(&h->next, NULL, __ATOMIC_ACQ_REL));
	runtime_drop(h->rt);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

int
http_start(const struct http_setup *s, struct http **out)
{
	const struct conf *c = s->rt->conf;
	struct store_txn *t;
	*out = NULL;
	if (s->nfds == 0 && c->services_dir == NULL)
		return 0;
	if (s->nfds > HTTP_LISTEN_MAX) {
		log_err("http: at most %d http-listen addresses", HTTP_LISTEN_MAX);
		return DNSD_ECONF;
	}
	const char *why;
	if (s->nfds > 0 && dynlib_mhd(&why) != 0) {
		log_err("http-listen needs libmicrohttpd: %s", why);
		return -ELIBACC;
	}
	struct http *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->store = s->store;
	h->rt = runtime_hold(s->rt);
	h->ctx = s->ctx;
	h->submit = s->submit;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	h->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&h->mu, NULL);
	if (gethostname(h->node, sizeof(h->node)) != 0 || h->node[0] == '\0')
		snprintf(h->node, sizeof(h->node), "dnsd");
	h->node[sizeof(h->node) - 1] = '\0';
	snprintf(h->node_addr, sizeof(h->node_addr), "127.0.0.1");
	if (store_read_begin(h->store, &t) == 0) {
		store_catalog_index(t, &h->index);
		store_abort(t);
	}
	h->woken = h->index;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = h->evfd };
	int rc = h->epfd < 0 || h->evfd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->evfd, &ev) != 0
	    ? -errno : 0;
	for (size_t i = 0; rc == 0 && i < s->nfds; i++) {
		const union MHD_DaemonInfo *di;
		if ((h->d[i] = daemon_open(h, s->fds[i])) == NULL ||
		    (di = MHD_get_daemon_info(h->d[i], MHD_DAEMON_INFO_EPOLL_FD)) == NULL) {
			log_err("http: cannot start libmicrohttpd on http-listen address %zu", i + 1);
			rc = DNSD_ECONF;
			break;
		}
		h->nd++;
		struct epoll_event dev = { .events = EPOLLIN, .data.fd = di->epoll_fd };
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, di->epoll_fd, &dev) != 0)
			rc = -errno;
	}
	if (rc == 0 && c->nhttp_listen > 0 && c->http_listen[0].family == AF_INET)
		snprintf(h->node_addr, sizeof(h->node_addr), "%u.%u.%u.%u", c->http_listen[0].addr[0],
		    c->http_listen[0].addr[1], c->http_listen[0].addr[2], c->http_listen[0].addr[3]);
	if (rc == 0 && pthread_create(&h->thread, NULL, http_run, h) != 0)
		rc = -EAGAIN;
	if (rc != 0) {
		log_err("http: cannot start the listener: %s", dnsd_strerror(rc));
		for (size_t i = h->nd; i < s->nfds; i++)
			close(s->fds[i]); /* the started daemons close theirs */
		http_free(h);
		return rc;
	}
	h->running = true;
	*out = h;
	return 0;
}

void
http_catalog_changed(struct http *h, uint64_t index)
{
	if (h == NULL)
		return;
	__atomic_store_n(&h->index, index, __ATOMIC_RELEASE);
	wake(h);
}

void
http_set_runtime(struct http *h, struct runtime *rt)
{
	if (h == NULL)
		return;
	runtime_drop(__atomic_exchange_n(&h->next, runtime_hold(rt), __ATOMIC_ACQ_REL));
	wake(h);
}

void
http_services_reload(struct http *h)
{
	if (h == NULL)
		return;
	__atomic_store_n(&h->reload, true, __ATOMIC_RELEASE);
	wake(h);
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	__atomic_store_n(&h->stop, true, __ATOMIC_RELEASE);
	wake(h);
	pthread_join(h->thread, NULL);
	http_free(h);
}
