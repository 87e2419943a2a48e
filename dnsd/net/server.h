/* server.h -- the server: the one place that knows every module */
#ifndef DNSD_NET_SERVER_H
#define DNSD_NET_SERVER_H

struct conf;

/*
 * Run the server until SIGTERM/SIGINT: open the store and the zones, bind
 * the sockets, start the writer, the notifier, the forwarder, the TCP loop
 * and the UDP workers, and wire them to each other; SIGHUP re-imports
 * changed zone files. Takes over `c` (heap-allocated, loaded and checked
 * with conf_finish). Returns the process exit status.
 */
int server_main(struct conf *c);

#endif
