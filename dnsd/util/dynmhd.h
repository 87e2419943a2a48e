/* dynmhd.h -- libmicrohttpd's API through the pointers dynlib_mhd()
 * resolves (util/dynlib.h says why)
 *
 * Include this instead of <microhttpd.h>, and call dynlib_mhd() before
 * the first MHD function.
 */
#ifndef DNSD_UTIL_DYNMHD_H
#define DNSD_UTIL_DYNMHD_H

#include <microhttpd.h>

#include "util/dynlib.h"

/* Every libmicrohttpd function dnsd calls. */
#define DYN_MHD_FUNCS(X) \
	X(MHD_start_daemon) \
	X(MHD_stop_daemon) \
	X(MHD_run) \
	X(MHD_get_timeout) \
	X(MHD_get_daemon_info) \
	X(MHD_get_connection_info) \
	X(MHD_get_connection_values) \
	X(MHD_lookup_connection_value) \
	X(MHD_suspend_connection) \
	X(MHD_resume_connection) \
	X(MHD_create_response_from_buffer) \
	X(MHD_add_response_header) \
	X(MHD_queue_response) \
	X(MHD_destroy_response)

/* One pointer per function, typed from libmicrohttpd's own prototype. */
struct dyn_mhd {
#define DYN_MEMBER(f) __typeof__(&f) f;
	DYN_MHD_FUNCS(DYN_MEMBER)
#undef DYN_MEMBER
};
extern struct dyn_mhd dyn_mhd;

#ifndef DYNLIB_IMPL
#define MHD_start_daemon (*dyn_mhd.MHD_start_daemon)
#define MHD_stop_daemon (*dyn_mhd.MHD_stop_daemon)
#define MHD_run (*dyn_mhd.MHD_run)
#define MHD_get_timeout (*dyn_mhd.MHD_get_timeout)
#define MHD_get_daemon_info (*dyn_mhd.MHD_get_daemon_info)
#define MHD_get_connection_info (*dyn_mhd.MHD_get_connection_info)
#define MHD_get_connection_values (*dyn_mhd.MHD_get_connection_values)
#define MHD_lookup_connection_value (*dyn_mhd.MHD_lookup_connection_value)
#define MHD_suspend_connection (*dyn_mhd.MHD_suspend_connection)
#define MHD_resume_connection (*dyn_mhd.MHD_resume_connection)
#define MHD_create_response_from_buffer (*dyn_mhd.MHD_create_response_from_buffer)
#define MHD_add_response_header (*dyn_mhd.MHD_add_response_header)
#define MHD_queue_response (*dyn_mhd.MHD_queue_response)
#define MHD_destroy_response (*dyn_mhd.MHD_destroy_response)
#endif

#endif
