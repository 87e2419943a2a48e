/* main.c -- dnsd command line: read the configuration and run the server */
#include "config.h"

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
	    "  -c, --config FILE     configuration file (dnsd.conf(5))\n"
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
	    "  -V, --version         print the version\n");
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
	struct conf *c = calloc(1, sizeof(*c));
	const char *config = NULL, *store = NULL, *level = NULL, *user = NULL;
	const char **listens = calloc((size_t)argc, sizeof(char *));
	const char **zones = calloc((size_t)argc, sizeof(char *));
	const char **zdirs = calloc((size_t)argc, sizeof(char *));
	const char **keyfiles = calloc((size_t)argc, sizeof(char *));
	const char **keys = calloc((size_t)argc, sizeof(char *));
	size_t nl = 0, nz = 0, nd = 0, nkf = 0, nk = 0;
	long workers = 0;
	bool foreground = false, check = false;
	int opt, status = 2;

	if (!c || !listens || !zones || !zdirs || !keyfiles || !keys) {
		fprintf(stderr, "dnsd: out of memory\n");
		return 1;
	}
	while ((opt = getopt_long(argc, argv, "c:l:s:z:w:k:y:fu:v:nhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'l': listens[nl++] = optarg; break;
		case 's': store = optarg; break;
		case 'z': zones[nz++] = optarg; break;
		case 'D': zdirs[nd++] = optarg; break;
		case 'w': {
			char *end;
			workers = strtol(optarg, &end, 10);
			if (*end != '\0' || workers < 1 || workers > 256) {
				fprintf(stderr, "dnsd: -w: workers must be 1 to 256\n");
				goto out;
			}
			break;
		}
		case 'k': keyfiles[nkf++] = optarg; break;
		case 'y': keys[nk++] = optarg; break;
		case 'f': foreground = true; break;
		case 'u': user = optarg; break;
		case 'v': level = optarg; break;
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
	int lvl = level ? log_level_parse(level) : LOG_LVL_INFO;
	if (lvl < 0) {
		fprintf(stderr, "dnsd: -v: level must be error, warning, info or debug\n");
		goto out;
	}
	log_init(true, (enum log_level)lvl);

	conf_init(c);
	status = 1;
	if (config != NULL && conf_load(c, config) != 0)
		goto fail;
	if (level != NULL)
		c->log_level = lvl;
	log_set_level((enum log_level)c->log_level);
	if (nl > 0) {
		free(c->listen);
		c->listen = NULL;
		c->nlisten = 0;
	}
	for (size_t i = 0; i < nl; i++) {
		if (conf_add_listen(c, listens[i]) != 0) {
			log_err("-l %s: expected ADDR, ADDR@PORT or [V6]:PORT", listens[i]);
			goto fail;
		}
	}
	if (store != NULL) {
		free(c->store_dir);
		c->store_dir = strdup(store);
	}
	if (workers > 0)
		c->workers = (unsigned)workers;
	if (user != NULL) {
		free(c->user);
		c->user = strdup(user);
	}
	for (size_t i = 0; i < nkf; i++)
		if (conf_load_keys(c, keyfiles[i]) != 0)
			goto fail;
	for (size_t i = 0; i < nk; i++) {
		if (add_key_arg(c, keys[i]) != 0) {
			log_err("-y: expected [ALG:]NAME:SECRET");
			goto fail;
		}
	}
	for (size_t i = 0; i < nz; i++)
		if (conf_add_zone(c, zones[i]) != 0)
			goto fail;
	for (size_t i = 0; i < nd; i++)
		if (conf_add_zone_dir(c, zdirs[i]) != 0)
			goto fail;
	if (conf_finish(c) != 0)
		goto fail;

	if (check) {
		status = 0;
		for (size_t i = 0; i < c->nzones; i++)
			if (c->zones[i].file != NULL && zone_check_file(c->zones[i].file, c->zones[i].apex) != 0)
				status = 1;
		if (status == 0)
			log_info("configuration OK: %zu zone%s", c->nzones, c->nzones == 1 ? "" : "s");
		conf_free(c);
		goto out;
	}
	if (!foreground) {
		if (daemon(0, 0) != 0) {
			log_err("cannot go to the background");
			goto fail;
		}
		log_init(false, (enum log_level)c->log_level);
	}
	status = server_main(c); /* takes c */
	c = NULL;
	goto out;
fail:
	conf_free(c);
	status = 1;
out:
	free(c);
	free(listens);
	free(zones);
	free(zdirs);
	free(keyfiles);
	free(keys);
	return status;
}
