/* server.h -- the server: the one place that knows every module */
#ifndef DNSD_NET_SERVER_H
#define DNSD_NET_SERVER_H

struct conf;

/* What server_main runs with. */
struct server_setup {
	struct conf *conf; /* the first configuration (heap-allocated, checked
	                    * with conf_finish); server_main takes it over */
	/* SIGHUP: build the configuration again, as at start (the file and
	 * the command line), into a new heap-allocated, finished conf; or
	 * fail with the errors logged (file:line). NULL: SIGHUP re-imports
	 * changed zone files only. */
	int (*reload)(void *arg, struct conf **out);
	void *arg;
};

/*
 * Run the server until SIGTERM/SIGINT: open the store and the zones, bind
 * the sockets, write the pid file, start the writer, the notifier, the
 * forwarder, the TCP loop and the UDP workers, wire them to each other and
 * tell the service manager (sd_notify) that dnsd is ready. SIGHUP reloads
 * the configuration (dnsd(8), RELOAD): a new generation of keys, zones,
 * access lists and notify lists replaces the running one without a
 * query going unanswered, or is refused and the running one stays.
 * Returns the process exit status.
 */
int server_main(const struct server_setup *setup);

#endif
