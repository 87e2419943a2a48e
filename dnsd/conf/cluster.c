/* cluster.c -- the cluster block of dnsd.conf: its statement, its final
 * checks and defaults, and which of its changes take a restart (all) */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/internal.h"
#include "util/err.h"
#include "util/log.h"

static bool
differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* cluster { etcd URL ...; prefix P; node N; ... } (internal.h) */
int
conf_stmt_cluster(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf_cluster *cl = &x->conf->cluster;
	if (s->nargs != 0 || !s->has_block)
		return conf_bad(x->file, s, "expects: cluster { etcd URL ...; ... }");
	if (cl->on)
		return conf_bad(x->file, s, "only one cluster block");
	cl->on = true;
	struct conf_ctx cx = { .conf = x->conf, .obj = cl, .file = x->file };
	return conf_settings_apply_block(&cx, CONF_CLUSTER, s);
}

/* The cluster block is complete; defaults for what it leaves out
 * (internal.h). */
int
conf_cluster_finish(struct conf_cluster *cl)
{
	if (!cl->on)
		return 0;
	if (cl->netcd == 0) {
		log_err("cluster: no etcd members (etcd URL ...)");
		return DNSD_ECONF;
	}
	if ((cl->user == NULL) != (cl->password == NULL)) {
		log_err("cluster: user and password go together");
		return DNSD_ECONF;
	}
	if ((cl->cert_file == NULL) != (cl->key_file == NULL)) {
		log_err("cluster: cert-file and key-file go together");
		return DNSD_ECONF;
	}
	if (cl->prefix == NULL && (cl->prefix = strdup("/dnsd/")) == NULL)
		return -ENOMEM;
	if (cl->prefix[0] == '\0' || strlen(cl->prefix) > 200) {
		log_err("cluster: prefix must have 1 to 200 characters");
		return DNSD_ECONF;
	}
	if (cl->node == NULL) {
		char host[256] = "";
		if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
			strcpy(host, "dnsd");
		if ((cl->node = strdup(host)) == NULL)
			return -ENOMEM;
	}
	const char *files[] = { cl->ca_file, cl->cert_file, cl->key_file };
	for (size_t i = 0; i < 3; i++) {
		if (files[i] != NULL && access(files[i], R_OK) != 0) {
			log_err("cluster: cannot read %s: %s", files[i], strerror(errno));
			return DNSD_ECONF;
		}
	}
	return 0;
}

/* internal.h */
void
conf_cluster_free(struct conf_cluster *cl)
{
	for (size_t i = 0; i < cl->netcd; i++)
		free(cl->etcd[i]);
	free(cl->etcd);
	free(cl->prefix);
	free(cl->node);
	free(cl->user);
	free(cl->password);
	free(cl->ca_file);
	free(cl->cert_file);
	free(cl->key_file);
}

/* The cluster block: every setting of it takes a restart (internal.h). */
bool
conf_cluster_differs(const struct conf_cluster *a, const struct conf_cluster *b)
{
	if (a->on != b->on || a->netcd != b->netcd)
		return true;
	for (size_t i = 0; i < a->netcd; i++)
		if (strcmp(a->etcd[i], b->etcd[i]) != 0)
			return true;
	return differs(a->prefix, b->prefix) || differs(a->node, b->node) ||
	    differs(a->user, b->user) || differs(a->password, b->password) ||
	    differs(a->ca_file, b->ca_file) || differs(a->cert_file, b->cert_file) ||
	    differs(a->key_file, b->key_file);
}

/* The cluster block's TLS files, relative to the file they are written in. */
int
conf_set_ca_file(const struct conf_ctx *x, const struct stmt *s)
{
	return conf_set_path(x, s, &((struct conf_cluster *)x->obj)->ca_file);
}

int
conf_set_cert_file(const struct conf_ctx *x, const struct stmt *s)
{
	return conf_set_path(x, s, &((struct conf_cluster *)x->obj)->cert_file);
}

int
conf_set_key_file(const struct conf_ctx *x, const struct stmt *s)
{
	return conf_set_path(x, s, &((struct conf_cluster *)x->obj)->key_file);
}

/* etcd URL ...: the members of the cluster's etcd */
int
conf_set_etcd(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf_cluster *cl = x->obj;
	if (s->nargs == 0)
		return conf_bad(x->file, s, "needs at least one URL");
	for (size_t j = 0; j < s->nargs; j++) {
		const char *u = s->args[j];
		if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
			return conf_bad(x->file, s, "a URL starts with http:// or https://");
		char *d = strdup(u);
		if (d == NULL || conf_push((void **)&cl->etcd, &cl->netcd, sizeof(d), &d) != 0) {
			free(d);
			return -ENOMEM;
		}
	}
	return 0;
}
