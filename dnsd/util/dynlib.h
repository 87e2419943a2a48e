/* dynlib.h -- libcurl and libmicrohttpd, loaded when a feature first needs
 * them instead of at every start
 *
 * The two libraries bring about 35 others with them (GnuTLS, Kerberos,
 * LDAP, nghttp2, ...): linked into dnsd, the dynamic loader maps and
 * relocates them all before main(), about 6 ms of every start, although
 * most servers run no HTTP check, no etcd cluster and no HTTP listener.
 * So dnsd is not linked with them. The first user of a library calls
 * dynlib_curl or dynlib_mhd, which dlopen()s it once (by the soname
 * configure found), resolves the functions dnsd calls, and for libcurl
 * runs curl_global_init. The callers' code is unchanged: they include
 * util/dyncurl.h or util/dynmhd.h instead of the library's header, and
 * those turn each call into a call through the resolved pointer (as
 * systemd does for its optional libraries). A function used without its
 * header is an undefined symbol at link time, so none is missed.
 *
 * Both are thread-safe (pthread_once) and keep the library loaded until
 * the process ends.
 */
#ifndef DNSD_UTIL_DYNLIB_H
#define DNSD_UTIL_DYNLIB_H

/* Load libcurl and run curl_global_init, once: 0, or -ELIBACC with
 * *why (if why is not NULL) saying why: the soname and dlerror()'s words. */
int dynlib_curl(const char **why);
/* Load libmicrohttpd, once: the same. */
int dynlib_mhd(const char **why);

#endif
