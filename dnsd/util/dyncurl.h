/* dyncurl.h -- libcurl's API through the pointers dynlib_curl() resolves
 * (util/dynlib.h says why)
 *
 * Include this instead of <curl/curl.h>, and call dynlib_curl() before
 * the first curl function. curl's compile-time option type checks
 * (typecheck-gcc.h) are off: they are macros over the names replaced
 * here.
 */
#ifndef DNSD_UTIL_DYNCURL_H
#define DNSD_UTIL_DYNCURL_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "util/dynlib.h"

/* Every libcurl function dnsd calls. */
#define DYN_CURL_FUNCS(X) \
	X(curl_global_init) \
	X(curl_easy_init) \
	X(curl_easy_setopt) \
	X(curl_easy_getinfo) \
	X(curl_easy_perform) \
	X(curl_easy_cleanup) \
	X(curl_easy_strerror) \
	X(curl_multi_init) \
	X(curl_multi_add_handle) \
	X(curl_multi_remove_handle) \
	X(curl_multi_perform) \
	X(curl_multi_poll) \
	X(curl_multi_wakeup) \
	X(curl_multi_info_read) \
	X(curl_multi_cleanup) \
	X(curl_slist_append) \
	X(curl_slist_free_all)

/* One pointer per function, typed from curl's own prototype. */
struct dyn_curl {
#define DYN_MEMBER(f) __typeof__(&f) f;
	DYN_CURL_FUNCS(DYN_MEMBER)
#undef DYN_MEMBER
};
extern struct dyn_curl dyn_curl;

/* Each name a call through its pointer (dynlib.c fills them in, and sees
 * the names as they are). */
#ifndef DYNLIB_IMPL
#define curl_global_init (*dyn_curl.curl_global_init)
#define curl_easy_init (*dyn_curl.curl_easy_init)
/* (curl.h makes these two macros that insist on three arguments) */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_setopt(h, opt, arg) ((*dyn_curl.curl_easy_setopt)(h, opt, arg))
#define curl_easy_getinfo(h, info, arg) ((*dyn_curl.curl_easy_getinfo)(h, info, arg))
#define curl_easy_perform (*dyn_curl.curl_easy_perform)
#define curl_easy_cleanup (*dyn_curl.curl_easy_cleanup)
#define curl_easy_strerror (*dyn_curl.curl_easy_strerror)
#define curl_multi_init (*dyn_curl.curl_multi_init)
#define curl_multi_add_handle (*dyn_curl.curl_multi_add_handle)
#define curl_multi_remove_handle (*dyn_curl.curl_multi_remove_handle)
#define curl_multi_perform (*dyn_curl.curl_multi_perform)
#define curl_multi_poll (*dyn_curl.curl_multi_poll)
#define curl_multi_wakeup (*dyn_curl.curl_multi_wakeup)
#define curl_multi_info_read (*dyn_curl.curl_multi_info_read)
#define curl_multi_cleanup (*dyn_curl.curl_multi_cleanup)
#define curl_slist_append (*dyn_curl.curl_slist_append)
#define curl_slist_free_all (*dyn_curl.curl_slist_free_all)
#endif

#endif
