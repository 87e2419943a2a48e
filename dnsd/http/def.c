/* def.c -- a Consul service definition (JSON) read into a service instance
 *
 * The same reader serves PUT /v1/agent/service/register and the files of
 * services-dir. Field names are matched as Consul's decoder matches them:
 * case-insensitively, and with or without underscores (so "Name", "name",
 * "deregister_critical_service_after" all work), and the catalog's
 * spellings that users paste on the agent endpoint (ServiceName,
 * ServiceID, ServiceAddress, ServicePort, ServiceTags, ServiceMeta) are
 * taken too. Unknown fields are ignored, as Consul ignores them.
 *
 * The instance is `<ID>._<Name>._tcp.<zone>`: the ID (default: the Name)
 * is one DNS label, the Name another. Address: an IP becomes the
 * instance's own address (A/AAAA at its name, where its SRV points); a
 * host name becomes the SRV target; none means the client's address (the
 * agent's address, in Consul's words). Meta becomes the TXT record, one
 * "key=value" string per entry. Checks keep Consul's defaults: IDs
 * "service:<ID>" (or "service:<ID>:<n>" for several), a check starts
 * critical unless its Status says otherwise, and the instance is as
 * healthy as its worst check.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "http/internal.h"
#include "wire/wire.h"
#include "zone/zone.h"

/* ---- fields ---- */

/* Do two field names match as Consul's decoder has it (case and '_' aside)? */
static bool
name_match(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_')
			a++;
		while (*b == '_')
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
}

/* The reader's state: where it is, for messages. */
struct rd {
	const struct http_def_src *src;
	const json_t *at; /* the object being read (its line, for files) */
	char *err;
	size_t errlen;
	char key[128];    /* the field last found in it (its line, from HCL) */
};

/* The value of the first of `names` present in `obj`; NULL if none. */
static const json_t *
field(struct rd *r, const json_t *obj, const char *const *names)
{
	const char *k;
	const json_t *v;
	for (; *names != NULL; names++)
		json_object_foreach((json_t *)obj, k, v)
			if (name_match(k, *names)) {
				snprintf(r->key, sizeof(r->key), "%s", k);
				return v;
			}
	return NULL;
}
#define FIELD(obj, ...) field(r, (obj), (const char *const[]){ __VA_ARGS__, NULL })

__attribute__((format(printf, 2, 3))) static int
bad(struct rd *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->src->file == NULL) {
		snprintf(r->err, r->errlen, "%s", msg);
		return -1;
	}
	char lk[sizeof(r->key) + sizeof(HTTP_LINE_KEY) + 1];
	snprintf(lk, sizeof(lk), "%s:%s", HTTP_LINE_KEY, r->key);
	const json_t *line = r->at != NULL ? json_object_get(r->at, lk) : NULL;
	if (!json_is_integer(line) && r->at != NULL)
		line = json_object_get(r->at, HTTP_LINE_KEY);
	if (json_is_integer(line))
		snprintf(r->err, r->errlen, "%s:%lld: %s", r->src->file,
		    (long long)json_integer_value(line), msg);
	else
		snprintf(r->err, r->errlen, "%s: %s", r->src->file, msg);
	return -1;
}

/* A string field (NULL: absent); -1 (reported) if present and not a string. */
static int
str_field(struct rd *r, const json_t *v, const char *what, const char **out)
{
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(r, "Request decode failed: %s must be a string", what);
	*out = json_string_value(v);
	return 0;
}

/* An integer field in [0, max]; absent leaves *out. */
static int
int_field(struct rd *r, const json_t *v, const char *what, long long max, long long *out)
{
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return bad(r, "Request decode failed: %s must be an integer from 0 to %lld", what, max);
	*out = json_integer_value(v);
	return 0;
}

/* ---- Go durations ---- */

int
http_duration_ms(const char *s, uint64_t *ms)
{
	static const struct { const char *u; double ms; } units[] = {
		{ "ns", 1e-6 }, { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 }, { "ms", 1 }, { "s", 1e3 },
		{ "m", 6e4 }, { "h", 3.6e6 },
	};
	double total = 0;
	if (*s == '\0')
		return -1;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*s != '\0') {
		char *end;
		if (!isdigit((unsigned char)*s) && *s != '.')
			return -1;
		double v = strtod(s, &end);
		if (end == s)
			return -1;
		s = end;
		size_t best = 0, bl = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].u);
			if (strncmp(s, units[i].u, l) == 0 && l > bl) {
				best = i;
				bl = l;
			}
		}
		if (bl == 0)
			return -1;
		total += v * units[best].ms;
		s += bl;
	}
	if (total > 4e12)
		return -1;
	*ms = (uint64_t)(total + 0.5);
	return 0;
}

static int
dur_field(struct rd *r, const json_t *v, const char *what, uint64_t max_ms, uint64_t *out)
{
	const char *s;
	*out = 0;
	if (str_field(r, v, what, &s) != 0)
		return -1;
	if (s == NULL)
		return 0;
	if (http_duration_ms(s, out) != 0 || *out > max_ms)
		return bad(r, "Request decode failed: %s: not a duration (such as \"10s\" or \"1m30s\"): %s",
		    what, s);
	return 0;
}

/* ---- labels and names ---- */

/* Is `s` usable as one DNS label of an instance name? */
static bool
label_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n > 0 && n <= max && strchr(s, '.') == NULL && s[0] != '_';
}

/* out = id . _name . _tcp . apex */
static bool
instance_name(const char *id, const char *name, const uint8_t *apex, uint8_t *out)
{
	size_t il = strlen(id), nl = strlen(name), al = wire_name_len(apex);
	if (il > WIRE_LABEL_MAX || nl + 1 > WIRE_LABEL_MAX || il + nl + 8 + al > WIRE_NAME_MAX)
		return false;
	uint8_t *p = out;
	*p++ = (uint8_t)il;
	memcpy(p, id, il);
	p += il;
	*p++ = (uint8_t)(nl + 1);
	*p++ = '_';
	memcpy(p, name, nl);
	p += nl;
	memcpy(p, "\x04_tcp", 5);
	p += 5;
	memcpy(p, apex, al);
	return true;
}

void
http_service_of(const struct svc_instance *in, char *out, size_t size)
{
	const uint8_t *s = in->name + 1 + in->name[0];
	size_t n = s[0] > 0 && s[1] == '_' ? s[0] - 1u : s[0];
	const uint8_t *p = s[0] > 0 && s[1] == '_' ? s + 2 : s + 1;
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

json_t *
http_meta_json(const struct svc_instance *in)
{
	json_t *m = json_object();
	for (size_t i = 0; m != NULL && i < in->txt_len;) {
		size_t l = in->txt[i++];
		if (l == 0 || i + l > in->txt_len) {
			i += l;
			continue;
		}
		char kv[256];
		memcpy(kv, in->txt + i, l);
		kv[l] = '\0';
		i += l;
		char *eq = strchr(kv, '=');
		if (eq != NULL)
			*eq = '\0';
		json_object_set_new(m, kv, json_string(eq != NULL ? eq + 1 : ""));
	}
	return m;
}

/* ---- the parts of a definition ---- */

static int
read_address(struct rd *r, const json_t *obj, struct svc_instance *in)
{
	const char *a;
	if (str_field(r, FIELD(obj, "Address", "ServiceAddress"), "Address", &a) != 0)
		return -1;
	if (a == NULL || *a == '\0') {
		if (r->src->peer == NULL)
			return bad(r, "the service needs an address");
		in->addrs[0] = *r->src->peer;
		in->naddrs = 1;
		memcpy(in->target, in->name, wire_name_len(in->name));
		return 0;
	}
	uint8_t ip[16];
	int fam = strchr(a, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(fam, a, ip) == 1) {
		static const uint8_t zero[16];
		if (memcmp(ip, zero, fam == AF_INET ? 4 : 16) == 0)
			return bad(r, "Invalid service address");
		in->addrs[0].family = fam;
		memcpy(in->addrs[0].addr, ip, fam == AF_INET ? 4 : 16);
		in->naddrs = 1;
		memcpy(in->target, in->name, wire_name_len(in->name));
		return 0;
	}
	size_t n = wire_name_from_str(a, in->target);
	if (n == 0 || strchr(a, ' ') != NULL)
		return bad(r, "Invalid service address %s: neither an IP address nor a host name", a);
	return 0;
}

static int
read_tags(struct rd *r, const json_t *obj, struct svc_instance *in)
{
	const json_t *tags = FIELD(obj, "Tags", "ServiceTags"), *t;
	size_t i;
	if (tags == NULL || json_is_null(tags))
		return 0;
	if (!json_is_array(tags))
		return bad(r, "Request decode failed: Tags must be an array of strings");
	json_array_foreach((json_t *)tags, i, t) {
		const char *s = json_string_value(t);
		if (s == NULL || !label_ok(s, SVC_TAG_MAX - 2))
			return bad(r, "Invalid tag %s: a tag is a DNS label (at most %d bytes, no dot, not"
			              " starting with '_')", s != NULL ? s : "(not a string)", SVC_TAG_MAX - 2);
		bool seen = false;
		for (size_t j = 0; j < in->ntags && !seen; j++)
			seen = strcmp(in->tags[j], s) == 0;
		if (seen)
			continue;
		if (in->ntags == SVC_TAGS_MAX)
			return bad(r, "too many tags (at most %d)", SVC_TAGS_MAX);
		snprintf(in->tags[in->ntags++], SVC_TAG_MAX, "%s", s);
	}
	return 0;
}

/* Meta: one TXT character-string "key=value" per entry. */
static int
read_meta(struct rd *r, const json_t *obj, struct svc_instance *in)
{
	const json_t *meta = FIELD(obj, "Meta", "ServiceMeta"), *v;
	const char *k;
	if (meta == NULL || json_is_null(meta))
		return 0;
	if (!json_is_object(meta))
		return bad(r, "Request decode failed: Meta must be an object of strings");
	json_object_foreach((json_t *)meta, k, v) {
		const char *s = json_string_value(v);
		if (strncmp(k, HTTP_LINE_KEY, strlen(HTTP_LINE_KEY)) == 0)
			continue;
		if (s == NULL)
			return bad(r, "Invalid Meta: the value of %s must be a string", k);
		size_t kl = strlen(k), vl = strlen(s);
		if (kl == 0 || strchr(k, '=') != NULL)
			return bad(r, "Invalid Meta: key %s", k);
		if (kl + 1 + vl > 255)
			return bad(r, "Invalid Meta: %s=%s is over 255 bytes (one DNS TXT string)", k, s);
		if (in->txt_len + 2 + kl + vl > SVC_TXT_MAX)
			return bad(r, "Invalid Meta: over %d bytes in all", SVC_TXT_MAX);
		uint8_t *p = in->txt + in->txt_len;
		*p++ = (uint8_t)(kl + 1 + vl);
		memcpy(p, k, kl);
		p[kl] = '=';
		memcpy(p + kl + 1, s, vl);
		in->txt_len = (uint16_t)(in->txt_len + 2 + kl + vl);
	}
	return 0;
}

static int
read_weights(struct rd *r, const json_t *obj, struct svc_instance *in)
{
	const json_t *w = FIELD(obj, "Weights", "ServiceWeights");
	long long pass = 1, warn = 1;
	if (w == NULL || json_is_null(w))
		return 0;
	if (!json_is_object(w))
		return bad(r, "Request decode failed: Weights must be an object");
	if (int_field(r, FIELD(w, "Passing"), "Weights.Passing", 65535, &pass) != 0 ||
	    int_field(r, FIELD(w, "Warning"), "Weights.Warning", 65535, &warn) != 0)
		return -1;
	if (pass < 1)
		return bad(r, "Passing must be greater than 0");
	in->weight = (uint16_t)pass;
	in->weight_warning = (uint16_t)warn;
	return 0;
}

/* One check: TTL, or HTTP/TCP with an Interval. */
static int
read_check(struct rd *r, const json_t *c, const char *id, const char *name, size_t n,
    size_t of, struct http_def *d)
{
	struct svc_instance *in = &d->in;
	struct svc_check *k = &in->checks[in->nchecks];
	const char *cid, *cname, *http, *tcp, *status;
	uint64_t ttl, interval, timeout, dereg;
	static const char *const unsupported[] = { "Args", "ScriptArgs", "Script", "GRPC", "H2PING",
		"DockerContainerID", "AliasService", "AliasNode", "UDP", "OSService", NULL };
	if (!json_is_object(c))
		return bad(r, "Request decode failed: a check must be an object");
	r->at = c;
	for (size_t i = 0; unsupported[i] != NULL; i++)
		if (field(r, c, (const char *const[]){ unsupported[i], NULL }) != NULL)
			return bad(r, "%s checks are not supported (dnsd keeps TTL, HTTP and TCP checks)",
			    unsupported[i]);
	if (str_field(r, FIELD(c, "CheckID", "ID"), "CheckID", &cid) != 0 ||
	    str_field(r, FIELD(c, "Name"), "Name", &cname) != 0 ||
	    str_field(r, FIELD(c, "HTTP"), "HTTP", &http) != 0 ||
	    str_field(r, FIELD(c, "TCP"), "TCP", &tcp) != 0 ||
	    str_field(r, FIELD(c, "Status"), "Status", &status) != 0 ||
	    dur_field(r, FIELD(c, "TTL"), "TTL", UINT32_MAX, &ttl) != 0 ||
	    dur_field(r, FIELD(c, "Interval"), "Interval", UINT32_MAX, &interval) != 0 ||
	    dur_field(r, FIELD(c, "Timeout"), "Timeout", UINT32_MAX, &timeout) != 0 ||
	    dur_field(r, FIELD(c, "DeregisterCriticalServiceAfter"),
	        "DeregisterCriticalServiceAfter", (uint64_t)UINT32_MAX * 1000, &dereg) != 0)
		return -1;
	memset(k, 0, sizeof(*k));
	if (ttl > 0 && http == NULL && tcp == NULL) {
		k->kind = SVC_CHECK_TTL;
		k->ttl_ms = (uint32_t)ttl;
		uint32_t s = (uint32_t)((ttl + 999) / 1000);
		if (d->ttl == 0 || s < d->ttl)
			d->ttl = s;
	} else if (ttl == 0 && interval > 0 && (http != NULL) != (tcp != NULL)) {
		const char *target = http != NULL ? http : tcp;
		k->kind = http != NULL ? SVC_CHECK_HTTP : SVC_CHECK_TCP;
		if (strlen(target) >= sizeof(k->target))
			return bad(r, "the check's %s is too long", http != NULL ? "URL" : "address");
		snprintf(k->target, sizeof(k->target), "%s", target);
	} else {
		return bad(r, "Must provide TTL or HTTP/TCP and Interval");
	}
	k->interval_ms = (uint32_t)interval;
	k->timeout_ms = (uint32_t)timeout;
	k->deregister_s = (uint32_t)((dereg + 999) / 1000);
	int st = status != NULL ? svc_health_parse(status) : SVC_CRITICAL;
	if (st < 0)
		return bad(r, "Status for checks must 'passing', 'warning', 'critical'");
	k->status = (enum svc_health)st;
	k->since = r->src->now;
	if (cid != NULL && *cid != '\0')
		snprintf(k->id, sizeof(k->id), "%s", cid);
	else if (of == 1)
		snprintf(k->id, sizeof(k->id), "service:%s", id);
	else
		snprintf(k->id, sizeof(k->id), "service:%s:%zu", id, n + 1);
	for (size_t i = 0; i < in->nchecks; i++)
		if (strcmp(in->checks[i].id, k->id) == 0)
			return bad(r, "two checks with the ID %s", k->id);
	if (cname != NULL && *cname != '\0')
		snprintf(k->name, sizeof(k->name), "%s", cname);
	else
		snprintf(k->name, sizeof(k->name), "Service '%s' check", name);
	in->nchecks++;
	return 0;
}

static int
read_checks(struct rd *r, const json_t *obj, const char *id, const char *name, struct http_def *d)
{
	const json_t *one = FIELD(obj, "Check"), *many = FIELD(obj, "Checks"), *c;
	size_t n = 0, of = 0, i;
	if (one != NULL && !json_is_null(one))
		of++;
	if (many != NULL && !json_is_null(many)) {
		if (!json_is_array(many))
			return bad(r, "Request decode failed: Checks must be an array");
		of += json_array_size(many);
	}
	if (of > SVC_CHECKS_MAX)
		return bad(r, "too many checks (at most %d)", SVC_CHECKS_MAX);
	if (one != NULL && !json_is_null(one) && read_check(r, one, id, name, n++, of, d) != 0)
		return -1;
	if (many != NULL && !json_is_null(many))
		json_array_foreach((json_t *)many, i, c)
			if (read_check(r, c, id, name, n++, of, d) != 0)
				return -1;
	r->at = obj;
	return 0;
}

int
http_def_parse(const struct http_def_src *src, const json_t *obj, struct http_def *d, char *err,
    size_t errlen)
{
	struct rd rd = { src, obj, err, errlen, "" }, *r = &rd;
	struct svc_instance *in = &d->in;
	const char *name, *id;
	long long port = 0;
	memset(d, 0, sizeof(*d));
	svc_instance_init(in);
	if (!json_is_object(obj))
		return bad(r, "Request decode failed: a service definition must be an object");
	if (str_field(r, FIELD(obj, "Name", "ServiceName"), "Name", &name) != 0 ||
	    str_field(r, FIELD(obj, "ID", "ServiceID"), "ID", &id) != 0 ||
	    int_field(r, FIELD(obj, "Port", "ServicePort"), "Port", 65535, &port) != 0)
		return -1;
	if (name == NULL || *name == '\0')
		return bad(r, "Missing service name");
	if (!label_ok(name, WIRE_LABEL_MAX - 1))
		return bad(r, "Invalid service name %s: dnsd serves it as the DNS label _%s, so it has"
		               " at most 62 bytes, no dot and no leading '_'", name, name);
	if (id == NULL || *id == '\0')
		id = name;
	if (!label_ok(id, WIRE_LABEL_MAX))
		return bad(r, "Invalid service ID %s: dnsd names the instance <ID>._<Name>._tcp.<zone>,"
		               " so an ID is one DNS label (at most 63 bytes, no dot, no leading '_')", id);
	if (!instance_name(id, name, src->zone->apex, in->name))
		return bad(r, "the instance name %s._%s._tcp.%s is too long", id, name,
		    src->zone->name);
	snprintf(d->service, sizeof(d->service), "%s", name);
	snprintf(in->id, sizeof(in->id), "%s", id);
	in->port = (uint16_t)port;
	in->origin = src->file != NULL ? SVC_FROM_FILE : SVC_FROM_HTTP;
	if (src->file != NULL)
		snprintf(in->source, sizeof(in->source), "%s", src->file);
	in->ttl = 30;
	in->health_since = src->now;
	if (read_address(r, obj, in) != 0 || read_tags(r, obj, in) != 0 ||
	    read_meta(r, obj, in) != 0 || read_weights(r, obj, in) != 0 ||
	    read_checks(r, obj, id, name, d) != 0)
		return -1;
	for (size_t i = 0; i < in->nchecks; i++)
		if (in->checks[i].status > in->health)
			in->health = in->checks[i].status;
	return 0;
}
