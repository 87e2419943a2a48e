/* main.c -- dnsd command line: read the configuration and run the server
 *
 * The configuration is the file (-c, or the default one) with the command
 * line on top of it. It is built by one function, load(), at start and
 * again for every reload (SIGHUP), so a reload sees the same command-line
 * settings as the start did. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "net/server.h"
#include "util/err.h"
#include "util/log.h"
#include "wire/wire.h"
#include "zone/zone.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dnsd [-fnhV] [-c file] [-l addr[@port]] [-s dir] [-z origin[:file]] [-u user]\n"
	    "            [--zone-dir dir] [-w workers] [-k keyfile] [-y [alg:]name:secret]\n"
	    "            [-v level]\n"
	    "  -c, --config FILE     configuration file, dnsd.conf(5); default\n"
	    "                        %s, unless -z or --zone-dir give the zones\n"
	    "  -l, --listen ADDR@PORT  address to serve on, UDP and TCP (repeatable)\n"
	    "  -s, --store DIR       LMDB store folder\n"
	    "  -z, --zone ORIGIN[:FILE]  serve a zone, optionally from a zone file\n"
	    "      --zone-dir DIR    serve every ORIGIN.zone file in DIR\n"
	    "  -w, --workers N       UDP worker threads (default: number of CPUs)\n"
	    "  -k, --keys FILE       TSIG keys in BIND key-file format\n"
	    "  -y, --key [ALG:]NAME:SECRET  a TSIG key (default algorithm hmac-sha256)\n"
	    "  -f, --foreground      stay in the foreground and log to stderr\n"
	    "  -u, --user USER       run as USER after binding the sockets\n"
	    "  -v, --log-level L     error, warning, info (default) or debug\n"
	    "  -n, --check           check the configuration and zone files, then exit\n"
	    "  -h, --help            this help\n"
	    "  -V, --version         print the version\n",
	    conf_default_path());
}

/* What the command line says; paths are absolute (made so before dnsd
 * leaves its starting folder), so that a reload reads the same. */
struct opts {
	char *config;           /* NULL: no file */
	char *store;
	const char *level, *user;
	char **listens, **zones, **zdirs, **keyfiles;
	const char **keys;
	size_t nl, nz, nd, nkf, nk;
	long workers;
};

static void
opts_free(struct opts *o)
{
	free(o->config);
	free(o->store);
	for (size_t i = 0; i < o->nz; i++)
		free(o->zones[i]);
	for (size_t i = 0; i < o->nd; i++)
		free(o->zdirs[i]);
	for (size_t i = 0; i < o->nkf; i++)
		free(o->keyfiles[i]);
	free(o->listens);
	free(o->zones);
	free(o->zdirs);
	free(o->keyfiles);
	free(o->keys);
}

/* "-y [alg:]name:secret", as nsupdate takes it. */
static int
add_key_arg(struct conf *c, const char *arg)
{
	char buf[1024];
	const char *alg = "hmac-sha256";
	char *name, *secret;
	if (strlen(arg) >= sizeof(buf))
		return DNSD_ECONF;
	strcpy(buf, arg);
	char *c1 = strchr(buf, ':');
	if (c1 == NULL)
		return DNSD_ECONF;
	char *c2 = strchr(c1 + 1, ':');
	*c1 = '\0';
	if (c2 != NULL) {
		*c2 = '\0';
		alg = buf;
		name = c1 + 1;
		secret = c2 + 1;
	} else {
		name = buf;
		secret = c1 + 1;
	}
	return conf_add_key(c, name, alg, secret);
}

/* "origin[:file]" with the file made absolute. */
static char *
zone_arg(const char *spec)
{
	const char *colon = strchr(spec, ':');
	if (colon == NULL || colon[1] == '\0' || colon[1] == '/')
		return strdup(spec);
	char *file = conf_abspath(colon + 1), *out = NULL;
	if (file != NULL && asprintf(&out, "%.*s:%s", (int)(colon - spec), spec, file) < 0)
		out = NULL;
	free(file);
	return out;
}

/* Build the whole configuration: the file, then the command line on top,
 * then the checks. At start and at each reload. */
static int
load(void *arg, struct conf **out)
{
	const struct opts *o = arg;
	struct conf *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	conf_init(c);
	int rc = 0;
	if (o->config != NULL && (rc = conf_load(c, o->config)) != 0) {
		if (rc < 0 && o->config != NULL && strcmp(o->config, conf_default_path()) == 0)
			log_err("no configuration: give one with -c FILE, or zones with -z or --zone-dir");
		goto fail;
	}
	if (o->level != NULL)
		c->log_level = log_level_parse(o->level);
	if (o->nl > 0) {
		free(c->listen);
		c->listen = NULL;
		c->nlisten = 0;
	}
	for (size_t i = 0; i < o->nl; i++) {
		if (conf_add_listen(c, o->listens[i]) != 0) {
			log_err("-l %s: expected ADDR, ADDR@PORT or [V6]:PORT", o->listens[i]);
			rc = DNSD_ECONF;
			goto fail;
		}
	}
	if (o->store != NULL) {
		free(c->store_dir);
		if ((c->store_dir = strdup(o->store)) == NULL)
			goto nomem;
	}
	if (o->workers > 0)
		c->workers = (unsigned)o->workers;
	if (o->user != NULL) {
		free(c->user);
		if ((c->user = strdup(o->user)) == NULL)
			goto nomem;
	}
	for (size_t i = 0; i < o->nkf; i++)
		if ((rc = conf_load_keys(c, o->keyfiles[i])) != 0)
			goto fail;
	for (size_t i = 0; i < o->nk; i++) {
		if ((rc = add_key_arg(c, o->keys[i])) != 0) {
			if (rc == DNSD_ECONF && strchr(o->keys[i], ':') == NULL)
				log_err("-y: expected [ALG:]NAME:SECRET");
			goto fail;
		}
	}
	for (size_t i = 0; i < o->nz; i++)
		if ((rc = conf_add_zone(c, o->zones[i])) != 0)
			goto fail;
	for (size_t i = 0; i < o->nd; i++)
		if ((rc = conf_add_zone_dir(c, o->zdirs[i])) != 0)
			goto fail;
	if ((rc = conf_finish(c)) != 0)
		goto fail;
	*out = c;
	return 0;
nomem:
	rc = -ENOMEM;
fail:
	conf_free(c);
	free(c);
	return rc != 0 ? rc : DNSD_ECONF;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "store", required_argument, NULL, 's' },
		{ "zone", required_argument, NULL, 'z' },
		{ "zone-dir", required_argument, NULL, 'D' },
		{ "workers", required_argument, NULL, 'w' },
		{ "keys", required_argument, NULL, 'k' },
		{ "key", required_argument, NULL, 'y' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "user", required_argument, NULL, 'u' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	struct conf *c = NULL;
	const char *config = NULL;
	bool foreground = false, check = false;
	int opt, status = 2;

	o.listens = calloc((size_t)argc, sizeof(char *));
	o.zones = calloc((size_t)argc, sizeof(char *));
	o.zdirs = calloc((size_t)argc, sizeof(char *));
	o.keyfiles = calloc((size_t)argc, sizeof(char *));
	o.keys = calloc((size_t)argc, sizeof(char *));
	if (!o.listens || !o.zones || !o.zdirs || !o.keyfiles || !o.keys) {
		fprintf(stderr, "dnsd: out of memory\n");
		opts_free(&o);
		return 1;
	}
	while ((opt = getopt_long(argc, argv, "c:l:s:z:w:k:y:fu:v:nhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'l': o.listens[o.nl++] = optarg; break;
		case 's':
			free(o.store);
			o.store = conf_abspath(optarg);
			break;
		case 'z': o.zones[o.nz++] = zone_arg(optarg); break;
		case 'D': o.zdirs[o.nd++] = conf_abspath(optarg); break;
		case 'w': {
			char *end;
			o.workers = strtol(optarg, &end, 10);
			if (*end != '\0' || o.workers < 1 || o.workers > 256) {
				fprintf(stderr, "dnsd: -w: workers must be 1 to 256\n");
				goto out;
			}
			break;
		}
		case 'k': o.keyfiles[o.nkf++] = conf_abspath(optarg); break;
		case 'y': o.keys[o.nk++] = optarg; break;
		case 'f': foreground = true; break;
		case 'u': o.user = optarg; break;
		case 'v': o.level = optarg; break;
		case 'n': check = true; foreground = true; break;
		case 'h': usage(stdout); status = 0; goto out;
		case 'V': printf("dnsd %s\n", PACKAGE_VERSION); status = 0; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "dnsd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		goto out;
	}
	int lvl = o.level ? log_level_parse(o.level) : LOG_LVL_INFO;
	if (lvl < 0) {
		fprintf(stderr, "dnsd: -v: level must be error, warning, info or debug\n");
		goto out;
	}
	log_init(true, (enum log_level)lvl);
	status = 1;
	for (size_t i = 0; i < o.nz; i++)
		if (o.zones[i] == NULL)
			goto nomem;
	for (size_t i = 0; i < o.nd; i++)
		if (o.zdirs[i] == NULL)
			goto nomem;
	for (size_t i = 0; i < o.nkf; i++)
		if (o.keyfiles[i] == NULL)
			goto nomem;
	/* No -c: the default file, unless the command line gives the zones. */
	if (config == NULL && o.nz == 0 && o.nd == 0)
		config = conf_default_path();
	if (config != NULL && (o.config = conf_abspath(config)) == NULL)
		goto nomem;

	if (load(&o, &c) != 0)
		goto out;
	log_set_level((enum log_level)c->log_level);

	if (check) {
		status = 0;
		for (size_t i = 0; i < c->nzones; i++)
			if (c->zones[i].file != NULL && zone_check_file(c->zones[i].file, c->zones[i].apex) != 0)
				status = 1;
		if (status == 0)
			log_info("configuration OK: %zu zone%s", c->nzones, c->nzones == 1 ? "" : "s");
		conf_free(c);
		free(c);
		goto out;
	}
	if (!foreground) {
		if (daemon(0, 0) != 0) {
			log_err("cannot go to the background");
			conf_free(c);
			free(c);
			goto out;
		}
		log_init(false, (enum log_level)c->log_level);
	}
	struct server_setup ss = { .conf = c, .reload = load, .arg = &o };
	status = server_main(&ss); /* takes c */
	goto out;
nomem:
	fprintf(stderr, "dnsd: out of memory\n");
	status = 1;
out:
	opts_free(&o);
	return status;
}
