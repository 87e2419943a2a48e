/* dynlib.c -- loading libcurl and libmicrohttpd on first use (dynlib.h)
 *
 * Each library is opened once, under pthread_once, by the soname that
 * configure read from the library it found (CURL_SONAME, MHD_SONAME), and
 * every function in the header's list is resolved; a missing one fails
 * the load as a whole, so no caller meets a NULL pointer. What a load
 * sets (pointers, result, reason) is written inside its pthread_once, so
 * every caller sees it complete.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define DYNLIB_IMPL 1
#include "util/dyncurl.h"
#include "util/dynlib.h"
#include "util/dynmhd.h"

struct dyn_curl dyn_curl;
struct dyn_mhd dyn_mhd;

/* One library's state. */
struct lib {
	pthread_once_t once;
	int rc;
	char why[256];
};
static struct lib curl_lib = { PTHREAD_ONCE_INIT, -ELIBACC, "" };
static struct lib mhd_lib = { PTHREAD_ONCE_INIT, -ELIBACC, "" };

/* dlopen SONAME and resolve NAMES[0..n) into GOT; the handle is never
 * closed (the pointers live as long as the process). */
static int
open_lib(struct lib *l, const char *soname, const char *const *names, void **got, size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(l->why, sizeof(l->why), "%s", dlerror());
		return -ELIBACC;
	}
	for (size_t i = 0; i < n; i++)
		if ((got[i] = dlsym(h, names[i])) == NULL) {
			snprintf(l->why, sizeof(l->why), "%s: no %s", soname, names[i]);
			return -ELIBACC;
		}
	return 0;
}

/* The name of each function, and the copy of what dlsym gave into its
 * typed pointer (POSIX lets a void * from dlsym hold a function). */
#define DYN_NAME(f) #f,
#define DYN_SET(tab, f) memcpy(&(tab).f, &got[i++], sizeof(void *));
#define DYN_SET_CURL(f) DYN_SET(dyn_curl, f)
#define DYN_SET_MHD(f) DYN_SET(dyn_mhd, f)

static void
curl_load(void)
{
	static const char *const names[] = { DYN_CURL_FUNCS(DYN_NAME) };
	void *got[sizeof(names) / sizeof(names[0])];
	size_t i = 0;
	if (open_lib(&curl_lib, CURL_SONAME, names, got, sizeof(got) / sizeof(got[0])) != 0)
		return;
	DYN_CURL_FUNCS(DYN_SET_CURL)
	if (dyn_curl.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curl_lib.why, sizeof(curl_lib.why), "%s: curl_global_init failed", CURL_SONAME);
		return;
	}
	curl_lib.rc = 0;
}

static void
mhd_load(void)
{
	static const char *const names[] = { DYN_MHD_FUNCS(DYN_NAME) };
	void *got[sizeof(names) / sizeof(names[0])];
	size_t i = 0;
	if (open_lib(&mhd_lib, MHD_SONAME, names, got, sizeof(got) / sizeof(got[0])) != 0)
		return;
	DYN_MHD_FUNCS(DYN_SET_MHD)
	mhd_lib.rc = 0;
}

static int
result(const struct lib *l, const char **why)
{
	if (l->rc != 0 && why != NULL)
		*why = l->why;
	return l->rc;
}

int
dynlib_curl(const char **why)
{
	pthread_once(&curl_lib.once, curl_load);
	return result(&curl_lib, why);
}

int
dynlib_mhd(const char **why)
{
	pthread_once(&mhd_lib.once, mhd_load);
	return result(&mhd_lib, why);
}
