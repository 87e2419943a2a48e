/* watch.c -- an etcd watch on a thread of its own: one streaming POST to
 * /v3/watch, resumed on another member when it breaks or stalls
 *
 * The request body is the create request alone; etcd keeps the stream
 * open after the body ends and writes one JSON message per line (msg.c's
 * splitter, never more than max_response bytes held). The stream cannot
 * carry progress requests: etcd 3.4's HTTP/1.1 server holds back its
 * response until the request body has ended, so a body left open for
 * later requests gets no answer at all.
 *
 * Stalls: etcd's own progress notifications come every 10 minutes, so
 * after progress_ms without a message the thread probes the same member
 * (a serializable read of one key, requiring a leader) on a second
 * handle in the same curl multi. An answer counts as a sign of life; a
 * failure, or stall_ms without any sign of life, drops the stream for the
 * next member. A member that lost its leader also ends the stream itself
 * ("Grpc-Metadata-hasleader: true"), and TCP keepalive with
 * TCP_USER_TIMEOUT = stall_ms ends a connection whose peer vanished.
 *
 * Resuming: the thread keeps `next`, the revision after the last one
 * delivered, and a new stream starts there. Each message's events are
 * whole revisions, so nothing is lost or repeated; events below `next`
 * are dropped all the same. Progress notifications of the watch itself
 * (progress_notify) move `next` up; answers to progress requests (watch_id
 * -1, which only other clients send on a shared stream) do not: etcd 3.4
 * may send them before events it has not yet delivered (etcd issue 15220).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "etcd/conn.h"
#include "etcd/etcd.h"
#include "etcd/msg.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

/* Why a stream ended. */
enum state { S_RUN, S_RETRY, S_AUTH, S_COMPACTED, S_FAILED };

struct etcd_watch {
	const struct etcd_cfg *cfg;
	struct etcd_conn conn;     /* tokens, and which member is next */
	CURLM *multi;
	CURL *easy;                /* the stream */
	CURL *probe;               /* the liveness probe */
	pthread_t thread;
	atomic_bool stop;
	etcd_watch_fn fn;
	void *ctx;
	uint8_t *key;
	size_t key_len;
	int64_t next;              /* first revision not yet delivered (0: now) */
	struct etcd_split split;
	char *create;              /* the create request of this stream */
	char *probe_req;           /* the probe's request */
	char probe_body[4096];     /* the start of the probe's answer */
	size_t probe_len;
	char probe_err[CURL_ERROR_SIZE];
	/* the stream */
	size_t ep;
	uint64_t alive_ms;         /* the last sign of life */
	bool probing;
	bool heard;                /* a message that is not an error came on this
	                            * stream (errors alone back off) */
	enum state state;
	int err;
};

static void
deliver(struct etcd_watch *w, enum etcd_watch_kind kind, int64_t rev, int err,
    const struct etcd_event *ev, size_t n)
{
	struct etcd_watch_msg m = {
		.kind = kind, .revision = rev, .err = err, .events = ev, .nevents = n,
		.endpoint = w->cfg->endpoints[w->ep],
	};
	w->fn(w->ctx, &m);
}

static void
end_stream(struct etcd_watch *w, enum state s, int err)
{
	if (w->state == S_RUN) {
		w->state = s;
		w->err = err;
	}
}

/* A canceled watch: compacted, refused, or to be tried again. */
static void
on_cancel(struct etcd_watch *w, const struct etcd_wresp *wr)
{
	const char *why = wr->cancel_reason;

	if (wr->compact_revision > 0) {
		deliver(w, ETCD_WATCH_COMPACTED, wr->compact_revision, DNSD_ECOMPACTED, NULL, 0);
		end_stream(w, S_COMPACTED, DNSD_ECOMPACTED);
	} else if (strstr(why, "auth token") != NULL) {
		end_stream(w, S_AUTH, -EACCES);
	} else if (strstr(why, "permission denied") != NULL) {
		log_err("etcd: watch refused: %s", why);
		end_stream(w, S_FAILED, -EACCES);
	} else {
		etcd_warn(w->cfg->endpoints[w->ep], "etcd: %s: watch canceled: %s",
		    w->cfg->endpoints[w->ep], why);
		end_stream(w, S_RETRY, DNSD_EETCD);
	}
}

/* The events of a message, less any already delivered. */
static void
on_events(struct etcd_watch *w, const struct etcd_wresp *wr)
{
	size_t i = 0;

	while (i < wr->nevents && wr->events[i].kv.mod_revision < w->next)
		i++;
	if (i == wr->nevents)
		return;
	deliver(w, ETCD_WATCH_EVENTS, wr->revision, 0, wr->events + i, wr->nevents - i);
	w->next = wr->events[wr->nevents - 1].kv.mod_revision + 1;
}

/* One message of the stream (the splitter's callback); non-zero ends the
 * stream. */
static int
on_message(void *ctx, const char *line, size_t len)
{
	struct etcd_watch *w = ctx;
	struct etcd_wresp wr;
	json_error_t jerr;
	const char *msg;
	json_t *j;
	int code, r;

	if ((j = json_loadb(line, len, 0, &jerr)) == NULL) {
		etcd_warn(w->cfg->endpoints[w->ep], "etcd: %s: watch message not JSON: %s",
		    w->cfg->endpoints[w->ep], jerr.text);
		end_stream(w, S_RETRY, DNSD_EMALF);
		return 1;
	}
	r = etcd_msg_watch(j, w->cfg->prefix, &wr, &code, &msg);
	if (r != 0 && code == 16) {
		end_stream(w, S_AUTH, r);
	} else if (r != 0) {
		etcd_warn(w->cfg->endpoints[w->ep], "etcd: %s: watch: %s", w->cfg->endpoints[w->ep],
		    code ? msg : dnsd_strerror(r));
		end_stream(w, r == -EACCES ? S_FAILED : S_RETRY, r);
	} else if (wr.canceled) {
		on_cancel(w, &wr);
	} else if (wr.created) {
		/* A watch "from now" is from the revision after this one: a
		 * stream that breaks before the first event resumes there. */
		if (w->next == 0)
			w->next = wr.revision + 1;
		w->heard = true;
		deliver(w, ETCD_WATCH_CONNECTED, wr.revision, 0, NULL, 0);
	} else if (wr.nevents > 0) {
		w->heard = true;
		on_events(w, &wr);
	} else if (wr.watch_id != -1 && wr.revision > 0 && wr.revision >= w->next) {
		/* etcd's own progress notification for this watch */
		w->next = wr.revision + 1;
		w->heard = true;
		deliver(w, ETCD_WATCH_PROGRESS, wr.revision, 0, NULL, 0);
	}
	etcd_wresp_free(&wr);
	json_decref(j);
	return w->state != S_RUN;
}

static size_t
stream_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct etcd_watch *w = ud;
	size_t n = size * nmemb;
	int r;

	w->alive_ms = clock_mono_ms();
	r = etcd_split_feed(&w->split, data, n, on_message, w);
	if (r < 0) {
		if (r == DNSD_ETOOBIG)
			log_err("etcd: watch message over %zu bytes", w->cfg->max_response);
		end_stream(w, r == DNSD_ETOOBIG ? S_FAILED : S_RETRY, r);
	}
	return w->state == S_RUN ? n : 0;
}

/* TCP keepalive after progress_ms of silence, and a connection whose
 * probes (or data) go unacknowledged for stall_ms is closed. */
static int
stream_sockopt(void *ud, curl_socket_t fd, curlsocktype purpose)
{
	struct etcd_watch *w = ud;
	unsigned t = w->cfg->stall_ms;

	if (purpose == CURLSOCKTYPE_IPCXN)
		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &t, sizeof(t));
	return CURL_SOCKOPT_OK;
}

/* Set up the stream's request on member w->ep. */
static int
stream_open(struct etcd_watch *w, struct curl_slist **hdrs)
{
	char url[2048];
	json_t *req;
	int r;

	if ((r = etcd_msg_watch_create(w->cfg->prefix, w->key, w->key_len, w->next, &req)) != 0)
		return r;
	free(w->create);
	w->create = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (w->create == NULL)
		return -ENOMEM;
	if ((*hdrs = etcd_conn_headers(&w->conn, true)) == NULL)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s/v3/watch", w->cfg->endpoints[w->ep]);
	curl_easy_setopt(w->easy, CURLOPT_URL, url);
	curl_easy_setopt(w->easy, CURLOPT_POSTFIELDS, w->create);
	curl_easy_setopt(w->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(w->create));
	curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->easy, CURLOPT_TCP_KEEPIDLE, (long)(w->cfg->progress_ms + 999) / 1000);
	curl_easy_setopt(w->easy, CURLOPT_TCP_KEEPINTVL, 1L);
	curl_easy_setopt(w->easy, CURLOPT_SOCKOPTFUNCTION, stream_sockopt);
	curl_easy_setopt(w->easy, CURLOPT_SOCKOPTDATA, w);
	/* the probe: the same member, the same headers */
	snprintf(url, sizeof(url), "%s/v3/kv/range", w->cfg->endpoints[w->ep]);
	curl_easy_setopt(w->probe, CURLOPT_URL, url);
	curl_easy_setopt(w->probe, CURLOPT_HTTPHEADER, *hdrs);
	etcd_split_reset(&w->split);
	return 0;
}

/* The stream's end as curl saw it. */
static void
stream_done(struct etcd_watch *w, CURLcode cc)
{
	long status = 0;

	if (w->state != S_RUN)
		return; /* ended by a message: said so already */
	/* An answer that is not a stream (an error) may lack its newline. */
	if (cc == CURLE_OK && w->split.len > 0)
		etcd_split_feed(&w->split, "\n", 1, on_message, w);
	if (w->state != S_RUN)
		return;
	curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		etcd_warn(w->cfg->endpoints[w->ep], "etcd: %s: watch: %s", w->cfg->endpoints[w->ep],
		    w->conn.errbuf[0] ? w->conn.errbuf : curl_easy_strerror(cc));
	else
		etcd_warn(w->cfg->endpoints[w->ep], "etcd: %s: watch stream ended (HTTP %ld)",
		    w->cfg->endpoints[w->ep], status);
	end_stream(w, S_RETRY, DNSD_EUNAVAIL);
}

static size_t
probe_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct etcd_watch *w = ud;
	size_t n = size * nmemb, room = sizeof(w->probe_body) - 1 - w->probe_len;

	memcpy(w->probe_body + w->probe_len, data, n < room ? n : room);
	w->probe_len += n < room ? n : room;
	return n; /* the rest is not needed */
}

/* Ask the stream's member whether it is alive and has a leader. */
static void
probe_start(struct etcd_watch *w)
{
	const struct etcd_cfg *cfg = w->cfg;

	w->probe_len = 0;
	w->probe_err[0] = '\0';
	curl_easy_setopt(w->probe, CURLOPT_POSTFIELDS, w->probe_req);
	curl_easy_setopt(w->probe, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(w->probe_req));
	curl_easy_setopt(w->probe, CURLOPT_WRITEFUNCTION, probe_write);
	curl_easy_setopt(w->probe, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->probe, CURLOPT_TIMEOUT_MS, (long)(cfg->stall_ms - cfg->progress_ms));
	curl_multi_add_handle(w->multi, w->probe);
	w->probing = true;
}

/* The probe's answer: a sign of life, or the end of the stream. */
static void
probe_done(struct etcd_watch *w, CURLcode cc)
{
	const char *ep = w->cfg->endpoints[w->ep], *msg = "";
	long status = 0;
	json_t *j;
	int code = 0;

	curl_multi_remove_handle(w->multi, w->probe);
	w->probing = false;
	curl_easy_getinfo(w->probe, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && status == 200) {
		w->alive_ms = clock_mono_ms();
		return;
	}
	if (cc != CURLE_OK) {
		etcd_warn(ep, "etcd: %s: watch probe: %s", ep,
		    w->probe_err[0] ? w->probe_err : curl_easy_strerror(cc));
		end_stream(w, S_RETRY, DNSD_EUNAVAIL);
		return;
	}
	w->probe_body[w->probe_len] = '\0';
	if ((j = json_loads(w->probe_body, 0, NULL)) != NULL)
		etcd_msg_error(j, &code, &msg);
	etcd_warn(ep, "etcd: %s: watch probe: HTTP %ld %s", ep, status, msg);
	end_stream(w, code == 16 ? S_AUTH : S_RETRY, code ? etcd_err_from_grpc(code, msg) : DNSD_EUNAVAIL);
	json_decref(j);
}

/* Run one stream on member w->ep until it ends or the watch stops. */
static void
stream_run(struct etcd_watch *w)
{
	struct curl_slist *hdrs = NULL;
	const struct etcd_cfg *cfg = w->cfg;
	int r, running;

	w->state = S_RUN;
	w->err = 0;
	w->heard = false;
	w->probing = false;
	if (cfg->user != NULL && w->conn.token == NULL &&
	    (r = etcd_conn_auth(&w->conn, w->ep)) != 0) {
		end_stream(w, r == -EACCES ? S_FAILED : S_RETRY, r);
		return;
	}
	if ((r = stream_open(w, &hdrs)) != 0) {
		curl_slist_free_all(hdrs);
		end_stream(w, S_RETRY, r);
		return;
	}
	w->conn.errbuf[0] = '\0';
	curl_multi_add_handle(w->multi, w->easy);
	w->alive_ms = clock_mono_ms();
	while (w->state == S_RUN && !atomic_load(&w->stop)) {
		CURLMsg *m;
		int left;
		curl_multi_perform(w->multi, &running);
		while ((m = curl_multi_info_read(w->multi, &left)) != NULL) {
			if (m->msg == CURLMSG_DONE && m->easy_handle == w->probe)
				probe_done(w, m->data.result);
			else if (m->msg == CURLMSG_DONE)
				stream_done(w, m->data.result);
		}
		if (w->state != S_RUN)
			break;
		uint64_t now = clock_mono_ms(), due;
		if (now >= w->alive_ms + cfg->stall_ms) {
			log_warn("etcd: %s: watch without a sign of life for %u ms: reconnecting",
			    cfg->endpoints[w->ep], cfg->stall_ms);
			end_stream(w, S_RETRY, DNSD_EUNAVAIL);
			break;
		}
		if (!w->probing && now >= w->alive_ms + cfg->progress_ms)
			probe_start(w);
		due = w->alive_ms + (w->probing ? cfg->stall_ms : cfg->progress_ms);
		curl_multi_poll(w->multi, NULL, 0, (int)(due > now ? due - now : 1), NULL);
	}
	if (w->probing)
		curl_multi_remove_handle(w->multi, w->probe);
	curl_multi_remove_handle(w->multi, w->easy);
	curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(w->probe, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
}

/* Wait `ms` or until stopped. */
static void
pause_ms(struct etcd_watch *w, unsigned ms)
{
	uint64_t until = clock_mono_ms() + ms, now;

	while (!atomic_load(&w->stop) && (now = clock_mono_ms()) < until)
		curl_multi_poll(w->multi, NULL, 0, (int)(until - now), NULL);
}

static void *
watch_main(void *arg)
{
	struct etcd_watch *w = arg;
	size_t n = w->cfg->nendpoints;
	unsigned fails = 0;

	while (!atomic_load(&w->stop)) {
		w->ep = w->conn.cur;
		stream_run(w);
		if (atomic_load(&w->stop))
			break;
		if (w->state == S_COMPACTED)
			break; /* delivered already */
		if (w->state == S_FAILED) {
			deliver(w, ETCD_WATCH_FAILED, w->next, w->err, NULL, 0);
			break;
		}
		fails = w->heard ? 0 : fails + 1;
		deliver(w, ETCD_WATCH_RETRY, w->next, w->err, NULL, 0);
		if (w->state == S_AUTH) {
			free(w->conn.token); /* the same member, with a new token */
			w->conn.token = NULL;
		} else {
			w->conn.cur = (w->ep + 1) % n;
		}
		/* Each member once at once; then back off, up to 2 s. */
		if (fails >= n)
			pause_ms(w, fails - n < 5 ? 100u << (fails - n) : 2000);
	}
	return NULL;
}

/* The probe's request: a serializable read of the prefix key alone (a
 * point lookup, however many keys the prefix has), keys only. */
static int
probe_request(struct etcd_watch *w)
{
	json_t *req;
	int r = etcd_msg_range(w->cfg->prefix, w->key, w->key_len, false, NULL, 0, 0, 1, true, &req);

	if (r != 0)
		return r;
	if (json_object_set_new(req, "keys_only", json_true()) != 0 ||
	    (w->probe_req = json_dumps(req, JSON_COMPACT)) == NULL)
		r = -ENOMEM;
	json_decref(req);
	return r;
}

int
etcd_watch_start(struct etcd *e, const void *prefix, size_t prefix_len, int64_t start,
    etcd_watch_fn fn, void *ctx, struct etcd_watch **out)
{
	struct etcd_watch *w;
	int r;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->cfg = etcd_cfg_of(e);
	w->fn = fn;
	w->ctx = ctx;
	w->next = start;
	atomic_init(&w->stop, false);
	etcd_split_init(&w->split, w->cfg->max_response);
	w->key = malloc(prefix_len + 1);
	r = w->key ? etcd_conn_init(&w->conn, w->cfg) : -ENOMEM;
	if (r == 0 && ((w->multi = curl_multi_init()) == NULL || (w->easy = curl_easy_init()) == NULL ||
	    (w->probe = curl_easy_init()) == NULL))
		r = -ENOMEM;
	if (r == 0) {
		if (prefix_len > 0)
			memcpy(w->key, prefix, prefix_len);
		w->key_len = prefix_len;
		etcd_conn_setopts(w->cfg, w->easy, w->conn.errbuf);
		etcd_conn_setopts(w->cfg, w->probe, w->probe_err);
		r = probe_request(w);
	}
	if (r == 0)
		r = -pthread_create(&w->thread, NULL, watch_main, w);
	if (r != 0) {
		if (w->easy != NULL)
			curl_easy_cleanup(w->easy);
		if (w->probe != NULL)
			curl_easy_cleanup(w->probe);
		free(w->probe_req);
		if (w->multi != NULL)
			curl_multi_cleanup(w->multi);
		etcd_conn_free(&w->conn);
		free(w->key);
		free(w);
		return r;
	}
	*out = w;
	return 0;
}

void
etcd_watch_stop(struct etcd_watch *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stop, true);
	curl_multi_wakeup(w->multi);
	pthread_join(w->thread, NULL);
	curl_easy_cleanup(w->easy);
	curl_easy_cleanup(w->probe);
	curl_multi_cleanup(w->multi);
	etcd_conn_free(&w->conn);
	etcd_split_free(&w->split);
	free(w->create);
	free(w->probe_req);
	free(w->key);
	free(w);
}
