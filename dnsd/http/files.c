/* files.c -- services-dir: the instances its definition files define,
 * kept in step with the files
 *
 * Every *.json (Consul's {"service": {...}} or {"services": [...]}) and
 * *.hcl (service { ... } blocks, hcl.c) file of the folder defines
 * instances of origin FILE whose source is the file; they go to the zone
 * of HTTP registrations and are permanent (a TTL check still makes a
 * lease, as over HTTP). A sync compares the files with the FILE instances
 * in the store: a new or changed definition is registered, one no longer
 * in its file, or whose file is gone, is deregistered, and one that did
 * not change is left alone (no commit, no wake-up of blocking queries). A
 * file with an error is logged with its line and keeps the instances it
 * had; so does every file while the folder cannot be read. Health that
 * checks reported survives a sync that does not change the definition.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "http/internal.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "svc/catalog.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

#define FILE_MAX (1 << 20)     /* bytes in one definition file */
#define FILES_MAX 4096         /* files in the folder */

/* The FILE instances in the store. */
struct stored {
	struct svc_instance *v;
	size_t n, cap;
	bool *keep;            /* per instance: its file still defines it */
};

static int
collect(void *arg, const struct svc_instance *in)
{
	struct stored *s = arg;
	if (in->origin != SVC_FROM_FILE)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct svc_instance *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *in;
	return 0;
}

static struct svc_instance *
stored_find(struct stored *s, const char *id, size_t *at)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].id, id) == 0) {
			*at = i;
			return &s->v[i];
		}
	return NULL;
}

/* ---- reading a file ---- */

static char *
read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *buf = NULL;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path, FILE_MAX);
	} else if ((buf = malloc((size_t)st.st_size + 1)) != NULL) {
		ssize_t n = read(fd, buf, (size_t)st.st_size);
		if (n != st.st_size) {
			snprintf(err, errlen, "%s: cannot read it", path);
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

/* The definitions of one file (an array of objects, owned by the caller). */
static json_t *
definitions(const char *path, bool hcl, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = read_file(path, &len, err, errlen);
	json_t *root, *defs = NULL;
	json_error_t jerr;
	char herr[256];
	if (text == NULL)
		return NULL;
	root = hcl ? http_hcl_parse(text, len, herr, sizeof(herr)) : json_loadb(text, len, 0, &jerr);
	free(text);
	if (root == NULL) {
		if (hcl)
			snprintf(err, errlen, "%s:%s", path, herr);
		else
			snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	json_t *one = json_object_get(root, "service"), *many = json_object_get(root, "services");
	if (!json_is_object(root) || (one == NULL && many == NULL)) {
		snprintf(err, errlen, "%s: no \"service\" or \"services\" in it", path);
	} else if ((one != NULL && !json_is_object(one) && !json_is_array(one)) ||
	    (many != NULL && !json_is_array(many))) {
		snprintf(err, errlen, "%s: \"service\" must be an object, \"services\" an array", path);
	} else {
		defs = json_array();
		if (json_is_object(one))
			json_array_append(defs, one);
		else if (one != NULL)
			json_array_extend(defs, one);
		if (many != NULL)
			json_array_extend(defs, many);
	}
	json_decref(root);
	return defs;
}

/* ---- comparing and writing ---- */

/* Is the definition `in` the stored `old` (what checks and the clock
 * changed aside)? Copies what it keeps from `old` into `in` either way. */
static bool
unchanged(struct svc_instance *in, const struct svc_instance *old)
{
	static uint8_t a[SVC_VALUE_MAX], b[SVC_VALUE_MAX]; /* the listener's thread only */
	for (size_t i = 0; i < in->nchecks; i++)
		for (size_t k = 0; k < old->nchecks; k++)
			if (strcmp(in->checks[i].id, old->checks[k].id) == 0 &&
			    in->checks[i].kind == old->checks[k].kind) {
				in->checks[i].status = old->checks[k].status;
				in->checks[i].since = old->checks[k].since;
				memcpy(in->checks[i].output, old->checks[k].output, sizeof(in->checks[i].output));
			}
	in->health = SVC_PASSING;
	for (size_t i = 0; i < in->nchecks; i++)
		if (in->checks[i].status > in->health)
			in->health = in->checks[i].status;
	if (in->nchecks == 0 && old->nchecks == 0)
		in->health = old->health;
	if (in->health == old->health)
		in->health_since = old->health_since;
	memcpy(in->note, old->note, sizeof(in->note));
	uint32_t expire = in->expire;
	in->expire = old->expire;
	size_t la = svc_encode(in, a), lb = svc_encode(old, b);
	bool same = la == lb && memcmp(a, b, la) == 0;
	in->expire = expire;
	return same;
}

struct file_op {
	struct http *h;
	char id[SVC_ID_MAX];
	char what[16];
};

static void
op_done(void *arg, int rc, uint64_t index)
{
	struct file_op *f = arg;
	(void)index;
	if (rc != 0 && !(rc == DNSD_ENOTFOUND && f->what[0] == 'd'))
		log_err("services-dir: cannot %s %s: %s", f->what, f->id, dnsd_strerror(rc));
	struct http *h = f->h;
	free(f);
	http_op_finished(h);
}

static void
submit(struct http *h, const struct svc_op *op, const char *what)
{
	struct file_op *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		log_err("services-dir: out of memory");
		return;
	}
	f->h = h;
	snprintf(f->id, sizeof(f->id), "%s", op->kind == SVC_OP_REGISTER ? op->inst.id : op->id);
	snprintf(f->what, sizeof(f->what), "%s", what);
	http_submit_op(h, op, op_done, f);
}

/* Register the definitions of one good file. */
static void
apply_file(struct http *h, const struct zone *z, struct stored *s, struct http_def *defs,
    size_t n, const char *path)
{
	struct svc_op *op = calloc(1, sizeof(*op));
	unsigned changed = 0;
	if (op == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		struct svc_instance *in = &defs[i].in;
		size_t at;
		const struct svc_instance *old = stored_find(s, in->id, &at);
		in->expire = defs[i].ttl != 0 ? clock_now() + defs[i].ttl + 1 : 0;
		if (defs[i].ttl != 0 && in->ttl > defs[i].ttl)
			in->ttl = defs[i].ttl;
		if (old != NULL) {
			s->keep[at] = true;
			if (unchanged(in, old))
				continue;
		}
		memset(op, 0, sizeof(*op));
		op->kind = SVC_OP_REGISTER;
		memcpy(op->zone, z->apex, wire_name_len(z->apex));
		op->inst = *in;
		submit(h, op, "register");
		changed++;
	}
	free(op);
	log_info("services-dir: %s: %zu instance%s (%u new or changed)", path, n, n == 1 ? "" : "s",
	    changed);
}

/* Read one file; false (logged) if it has an error. */
static bool
read_defs(struct http *h, const struct zone *z, const char *path, bool hcl,
    struct http_def **out, size_t *nout)
{
	char err[512];
	struct svc_addr node = { .family = AF_INET };
	struct http_def_src src = { .file = path, .zone = z, .peer = &node, .now = clock_now() };
	json_t *defs = definitions(path, hcl, err, sizeof(err)), *d;
	size_t i;
	inet_pton(AF_INET, h->node_addr, node.addr);
	*out = NULL;
	*nout = 0;
	if (defs == NULL) {
		log_err("services-dir: %s (the file's instances stay as they were)", err);
		return false;
	}
	struct http_def *v = calloc(json_array_size(defs) + 1, sizeof(*v));
	bool ok = v != NULL;
	json_array_foreach(defs, i, d) {
		if (!ok || http_def_parse(&src, d, &v[i], err, sizeof(err)) != 0) {
			if (ok)
				log_err("services-dir: %s (the file's instances stay as they were)", err);
			ok = false;
			break;
		}
		for (size_t k = 0; k < i && ok; k++)
			if (strcmp(v[k].in.id, v[i].in.id) == 0) {
				log_err("services-dir: %s: service ID %s defined twice (the file's instances"
				        " stay as they were)", path, v[i].in.id);
				ok = false;
			}
	}
	*nout = json_array_size(defs);
	json_decref(defs);
	if (!ok) {
		free(v);
		return false;
	}
	*out = v;
	return true;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json and *.hcl files of `dir`, sorted; -1 if it cannot be read. */
static int
list_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	*names = NULL;
	*n = 0;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && *n < FILES_MAX) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 5 || (strcmp(e->d_name + l - 4, ".hcl") != 0 &&
		                                     strcmp(e->d_name + l - 5, ".json") != 0))
			continue;
		char **v = realloc(*names, (*n + 1) * sizeof(char *));
		if (v == NULL)
			break;
		*names = v;
		if (asprintf(&v[*n], "%s/%s", dir, e->d_name) < 0)
			break;
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof(char *), name_cmp);
	return 0;
}

void
http_files_sync(struct http *h)
{
	const char *dir = h->rt->conf->services_dir;
	const struct zone *z = http_zone(h);
	struct stored s = { 0 };
	struct store_txn *t;
	char **names = NULL, **bad = NULL;
	struct http_def **all = NULL;
	size_t nnames = 0, nbad = 0, nall = 0;
	int rc = store_read_begin(h->store, &t);
	for (size_t i = 0; rc == 0 && i < h->rt->zones.n; i++)
		rc = svc_walk(t, &h->rt->zones.z[i], NULL, collect, &s);
	if (t != NULL && (rc == 0 || rc == DNSD_ENOTFOUND))
		store_abort(t);
	if ((rc != 0 && rc != DNSD_ENOTFOUND) || (dir == NULL && s.n == 0) || z == NULL) {
		if (rc != 0 && rc != DNSD_ENOTFOUND)
			log_err("services-dir: cannot read the store: %s", dnsd_strerror(rc));
		free(s.v);
		return;
	}
	s.keep = calloc(s.n + 1, sizeof(bool));
	if (dir != NULL && list_dir(dir, &names, &nnames) != 0) {
		log_err("services-dir: %s: %s (its instances stay as they were)", dir, strerror(errno));
		free(s.v);
		free(s.keep);
		return;
	}
	/* The IDs of every good file, to find one defined by two files. */
	struct { const char *id, *file; } *ids = NULL;
	size_t nids = 0;
	for (size_t f = 0; f < nnames && s.keep != NULL; f++) {
		struct http_def *defs;
		size_t n;
		bool hcl = strcmp(names[f] + strlen(names[f]) - 4, ".hcl") == 0;
		bool ok = read_defs(h, z, names[f], hcl, &defs, &n);
		for (size_t i = 0; ok && i < n; i++)
			for (size_t k = 0; k < nids && ok; k++)
				if (strcmp(ids[k].id, defs[i].in.id) == 0) {
					log_err("services-dir: %s: service ID %s is already defined in %s (the"
					        " file's instances stay as they were)", names[f], defs[i].in.id,
					    ids[k].file);
					ok = false;
				}
		if (!ok) {
			free(defs);
			char **v = realloc(bad, (nbad + 1) * sizeof(char *));
			if (v != NULL)
				(bad = v)[nbad++] = names[f];
			continue;
		}
		void *v = realloc(ids, (nids + n) * sizeof(*ids));
		if (v != NULL) {
			ids = v;
			for (size_t i = 0; i < n; i++)
				ids[nids++] = (typeof(*ids)){ defs[i].in.id, names[f] };
		}
		apply_file(h, z, &s, defs, n, names[f]);
		/* ids point into defs: keep them until the end */
		void *keep = realloc(all, (nall + 1) * sizeof(*all));
		if (keep == NULL) {
			free(defs);
			break;
		}
		(all = keep)[nall++] = defs;
	}
	/* What no good file defines any more goes, unless its file is bad. */
	for (size_t i = 0; s.keep != NULL && i < s.n; i++) {
		bool kept = s.keep[i];
		for (size_t b = 0; b < nbad && !kept; b++)
			kept = strcmp(bad[b], s.v[i].source) == 0;
		if (kept)
			continue;
		struct svc_op op = { .kind = SVC_OP_DEREGISTER };
		snprintf(op.id, sizeof(op.id), "%s", s.v[i].id);
		log_info("services-dir: %s: no longer defined, deregistering %s", s.v[i].source,
		    s.v[i].id);
		submit(h, &op, "deregister");
	}
	free(ids);
	for (size_t i = 0; i < nall; i++)
		free(all[i]);
	free(all);
	free(bad);
	for (size_t f = 0; f < nnames; f++)
		free(names[f]);
	free(names);
	free(s.v);
	free(s.keep);
}
