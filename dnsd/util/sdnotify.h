/* sdnotify.h -- telling the service manager how dnsd is doing (systemd's
 * notify protocol, sd_notify(3))
 *
 * Each call sends one message to $NOTIFY_SOCKET when dnsd runs under a
 * unit of Type=notify; otherwise it does nothing. The messages follow systemd's reload
 * protocol (systemd.service(5), Type=notify-reload): READY=1 once the
 * server answers, RELOADING=1 with MONOTONIC_USEC= when a reload begins
 * and READY=1 when it is over, STOPPING=1 when a stop begins. STATUS=
 * carries one line for `systemctl status`.
 */
#ifndef DNSD_UTIL_SDNOTIFY_H
#define DNSD_UTIL_SDNOTIFY_H

/* The sockets are bound and the store is open: queries are answered. */
void sdnotify_ready(const char *status);
/* A reload begins (RELOADING=1, MONOTONIC_USEC=now). */
void sdnotify_reloading(void);
/* dnsd is stopping. */
void sdnotify_stopping(void);
/* Is a service manager listening ($NOTIFY_SOCKET names a socket)? */
int sdnotify_enabled(void);

#endif
