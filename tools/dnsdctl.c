/* dnsdctl.c -- the local admin tool: command line, configuration, dispatch
 *
 * dnsdctl reads the store of a running (or stopped) dnsd without changing
 * it, checks configurations as dnsd -n does, tells a running dnsd to
 * reload, and helps wire dnsd into the system resolver. The commands live
 * in ctl-store.c (store views) and ctl-resolver.c (resolver snippets,
 * doctor); see dnsdctl(8). It reads the same configuration file as dnsd
 * (-c, else the default one) and resolves its paths the same way.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "ctl.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "zone/zone.h"

void
ctl_err(const char *fmt, ...)
{
	va_list ap;
	fputs("dnsdctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dnsdctl [-c file] [-s dir] command [arguments]\n"
	    "commands:\n"
	    "  zones                   zones in the store: id, serial, nodes, dynamic\n"
	    "                          records, earliest lease deadline\n"
	    "  dump [--dynamic | --static | --axfr] [--all] ZONE\n"
	    "                          the zone's records in presentation format, SOA\n"
	    "                          first, in canonical order; --axfr: exactly what\n"
	    "                          AXFR sends (expired leases included)\n"
	    "  stats                   store-wide counts and map usage\n"
	    "  leases [ZONE]           the expiry index in deadline order\n"
	    "  services [-j] [ZONE]    the service catalog: services, instances, tags,\n"
	    "                          health and lease left (-j: as JSON)\n"
	    "  journal [-v] ZONE       journal entries: serial from -> to, records\n"
	    "                          removed and added (-v: the records too)\n"
	    "  check                   check the configuration and zone files (dnsd -n)\n"
	    "  reload                  check the configuration, then make the running\n"
	    "                          dnsd reload it (SIGHUP to the pid in its pid file)\n"
	    "  resolver resolv.conf|systemd-resolved|dnsmasq [--zone Z]... [--server A@P]\n"
	    "                          print a snippet that sends the zones to dnsd\n"
	    "  doctor NAME [--zone Z]... [--server A@P] [--resolv-conf FILE]\n"
	    "                          check that getaddrinfo finds NAME through dnsd\n"
	    "options:\n"
	    "  -c, --config FILE       dnsd.conf(5): store, zones, listen addresses, keys\n"
	    "                          (default %s, if it exists)\n"
	    "  -s, --store DIR         LMDB store folder (default: from the configuration,\n"
	    "                          else %s)\n"
	    "      --dynamic           dump: only records added by UPDATE, with leases\n"
	    "      --static            dump: only zone-file records\n"
	    "      --all               dump: also expired records not yet reaped\n"
	    "      --axfr              dump: every stored record, as AXFR sends them\n"
	    "  -v, --verbose           journal: print the removed and added records\n"
	    "  -j, --json              services: print JSON\n"
	    "  -z, --zone ZONE         resolver, doctor: zone (default: the first of -c)\n"
	    "      --server ADDR@PORT  resolver, doctor: dnsd's address (default: the\n"
	    "                          first listen address of -c, else 127.0.0.1@53)\n"
	    "      --resolv-conf FILE  doctor: read FILE instead of /etc/resolv.conf\n"
	    "  -h, --help              this help\n"
	    "  -V, --version           print the version\n"
	    "exit status: 0 ok, 1 error or problem found, 2 usage error\n",
	    conf_default_path(), conf_default_store());
}

enum {
	OPT_DYNAMIC = 1 << 0,
	OPT_STATIC = 1 << 1,
	OPT_ALL = 1 << 2,
	OPT_AXFR = 1 << 3,
	OPT_VERBOSE = 1 << 4,
	OPT_ZONE = 1 << 5,
	OPT_SERVER = 1 << 6,
	OPT_RESOLV = 1 << 7,
	OPT_JSON = 1 << 8,
};

static const struct {
	const char *name;
	int minargs, maxargs;
	unsigned opts;    /* command options it accepts */
	bool store;       /* reads the store */
} commands[] = {
	{ "zones", 0, 0, 0, true },
	{ "dump", 1, 1, OPT_DYNAMIC | OPT_STATIC | OPT_ALL | OPT_AXFR, true },
	{ "stats", 0, 0, 0, true },
	{ "leases", 0, 1, 0, true },
	{ "services", 0, 1, OPT_JSON, true },
	{ "journal", 1, 1, OPT_VERBOSE, true },
	{ "check", 0, 0, 0, false },
	{ "reload", 0, 0, 0, false },
	{ "resolver", 1, 1, OPT_ZONE | OPT_SERVER, false },
	{ "doctor", 1, 1, OPT_ZONE | OPT_SERVER | OPT_RESOLV, false },
};

static const char *const opt_names[] = {
	"--dynamic", "--static", "--all", "--axfr", "--verbose", "--zone", "--server",
	"--resolv-conf", "--json",
};

/* dnsd -n: the configuration and every zone file. */
static int
cmd_check(struct conf *c, const char *path)
{
	int status = CTL_OK;
	if (conf_finish(c) != 0)
		return CTL_FAIL;
	for (size_t i = 0; i < c->nzones; i++)
		if (c->zones[i].file != NULL &&
		    zone_check_file(c->zones[i].file, c->zones[i].apex) != 0)
			status = CTL_FAIL;
	if (status == CTL_OK)
		printf("%s: configuration OK: %zu zone%s\n", path, c->nzones,
		    c->nzones == 1 ? "" : "s");
	return status;
}

/* Is process `pid` a dnsd? A pid file that outlived its dnsd may name
 * another program by now: that one must not get the signal. */
static bool
is_dnsd(long pid)
{
	char path[64], comm[64] = "";
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool ok = fgets(comm, sizeof(comm), f) != NULL && strcmp(comm, "dnsd\n") == 0;
	fclose(f);
	return ok;
}

/* The configuration must be good (as dnsd -n says, zone files included:
 * a zone added with a broken file makes dnsd refuse the reload), then
 * SIGHUP to the dnsd of its pid file. Whether dnsd applied it, its log
 * says ("reload: configuration generation N" or "reload refused"). */
static int
cmd_reload(struct conf *c, const char *path)
{
	if (cmd_check(c, path) != CTL_OK)
		return CTL_FAIL;
	FILE *f = fopen(c->pid_file, "r");
	long pid = 0;
	if (f == NULL) {
		ctl_err("reload: %s: %s (is dnsd running with this configuration?)", c->pid_file,
		    strerror(errno));
		return CTL_FAIL;
	}
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1)
		pid = 0;
	fclose(f);
	if (pid == 0 || !is_dnsd(pid)) {
		ctl_err("reload: %s names no running dnsd (a stale pid file?)", c->pid_file);
		return CTL_FAIL;
	}
	if (kill((pid_t)pid, SIGHUP) != 0) {
		ctl_err("reload: cannot signal dnsd (pid %ld): %s", pid, strerror(errno));
		return CTL_FAIL;
	}
	printf("dnsd (pid %ld) is reloading %s; its log says when it is done\n", pid, path);
	return CTL_OK;
}

/* Open the store read-only and run one command on one read transaction. */
static int
run_store_cmd(const char *cmd, const char *dir, const struct ctl_opts *o, char **args)
{
	struct store *s;
	struct store_txn *t;
	int rc;

	if (store_open_readonly(&s, dir) != 0)
		return CTL_FAIL; /* the store said why */
	if ((rc = store_read_begin(s, &t)) != 0) {
		ctl_err("store %s: %s", dir, dnsd_strerror(rc));
		store_close(s);
		return CTL_FAIL;
	}
	if (strcmp(cmd, "zones") == 0)
		rc = ctl_cmd_zones(t, o);
	else if (strcmp(cmd, "dump") == 0)
		rc = ctl_cmd_dump(t, o, args[0]);
	else if (strcmp(cmd, "stats") == 0)
		rc = ctl_cmd_stats(t, o);
	else if (strcmp(cmd, "leases") == 0)
		rc = ctl_cmd_leases(t, o, args[0]);
	else if (strcmp(cmd, "services") == 0)
		rc = ctl_cmd_services(t, o, args[0]);
	else
		rc = ctl_cmd_journal(t, o, args[0]);
	store_abort(t);
	store_close(s);
	if (rc == CTL_OK && fflush(stdout) != 0) {
		ctl_err("write error on standard output");
		rc = CTL_FAIL;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "dynamic", no_argument, NULL, 'D' },
		{ "static", no_argument, NULL, 'S' },
		{ "all", no_argument, NULL, 'A' },
		{ "axfr", no_argument, NULL, 'X' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "zone", required_argument, NULL, 'z' },
		{ "server", required_argument, NULL, 'R' },
		{ "resolv-conf", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o = { .mode = DUMP_LIVE };
	struct conf c;
	unsigned given = 0;
	int opt, status = CTL_USAGE;
	size_t ci;

	/* Messages of the modules (configuration, zone files, store) read
	 * "dnsdctl: file:line: message", as ctl_err's do. */
	log_set_ident("dnsdctl");
	log_set_plain(true);
	if ((o.zones = calloc((size_t)argc, sizeof(char *))) == NULL) {
		ctl_err("out of memory");
		return CTL_FAIL;
	}
	conf_init(&c);
	while ((opt = getopt_long(argc, argv, "c:s:vjz:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o.config = optarg; break;
		case 's': o.store = optarg; break;
		case 'D': given |= OPT_DYNAMIC; o.mode = DUMP_DYNAMIC; break;
		case 'S': given |= OPT_STATIC; o.mode = DUMP_STATIC; break;
		case 'A': given |= OPT_ALL; o.all = true; break;
		case 'X': given |= OPT_AXFR; o.mode = DUMP_AXFR; break;
		case 'v': given |= OPT_VERBOSE; o.verbose = true; break;
		case 'z': given |= OPT_ZONE; o.zones[o.nzones++] = optarg; break;
		case 'R': given |= OPT_SERVER; o.server = optarg; break;
		case 'r': given |= OPT_RESOLV; o.resolv_conf = optarg; break;
		case 'j': given |= OPT_JSON; o.json = true; break;
		case 'h': usage(stdout); status = CTL_OK; goto out;
		case 'V': printf("dnsdctl %s\n", PACKAGE_VERSION); status = CTL_OK; goto out;
		default: ctl_err("usage: see dnsdctl -h"); goto out;
		}
	}
	if (optind == argc) {
		ctl_err("no command given (try dnsdctl -h)");
		goto out;
	}
	const char *cmd = argv[optind];
	char **args = argv + optind + 1;
	int nargs = argc - optind - 1;
	for (ci = 0; ci < sizeof(commands) / sizeof(commands[0]); ci++)
		if (strcmp(commands[ci].name, cmd) == 0)
			break;
	if (ci == sizeof(commands) / sizeof(commands[0])) {
		ctl_err("unknown command '%s' (try dnsdctl -h)", cmd);
		goto out;
	}
	if (nargs < commands[ci].minargs || nargs > commands[ci].maxargs) {
		ctl_err("%s: %s (try dnsdctl -h)", cmd,
		    nargs < commands[ci].minargs ? "missing argument" : "too many arguments");
		goto out;
	}
	for (unsigned b = 0; b < sizeof(opt_names) / sizeof(opt_names[0]); b++) {
		if ((given & (1u << b)) && !(commands[ci].opts & (1u << b))) {
			ctl_err("%s: option %s does not apply", cmd, opt_names[b]);
			goto out;
		}
	}
	if (__builtin_popcount(given & (OPT_DYNAMIC | OPT_STATIC | OPT_AXFR)) > 1 ||
	    (given & OPT_AXFR && given & OPT_ALL)) {
		ctl_err("dump: --dynamic, --static and --axfr exclude each other (and --axfr "
		        "already includes expired records)");
		goto out;
	}
	/* Without -c, the file dnsd reads without -c: required by check and
	 * reload, used by the others when it is there. */
	bool needs_conf = strcmp(cmd, "check") == 0 || strcmp(cmd, "reload") == 0;
	if (o.config == NULL && (needs_conf || access(conf_default_path(), R_OK) == 0))
		o.config = conf_default_path();

	log_init(true, LOG_LVL_WARN);
	o.now = clock_now();
	status = CTL_FAIL;
	if (o.config != NULL) {
		if (conf_load(&c, o.config) != 0)
			goto out;
		o.conf = &c;
	}
	if (o.store != NULL) {
		/* -s wins, as with dnsd; conf_finish makes it absolute */
		free(c.store_dir);
		if ((c.store_dir = strdup(o.store)) == NULL)
			goto out;
	}
	if (strcmp(cmd, "check") == 0) {
		status = cmd_check(&c, o.config);
	} else if (strcmp(cmd, "reload") == 0) {
		status = cmd_reload(&c, o.config);
	} else if (commands[ci].store) {
		const char *dir = c.store_dir ? c.store_dir : conf_default_store();
		status = run_store_cmd(cmd, dir, &o, args);
	} else if (strcmp(cmd, "resolver") == 0) {
		status = ctl_cmd_resolver(&o, args[0]);
	} else {
		status = ctl_cmd_doctor(&o, args[0]);
	}
out:
	conf_free(&c);
	free(o.zones);
	return status;
}
