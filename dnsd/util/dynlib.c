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

/* The functions' names, in the tables' order. */
#define DYN_NAME(f) #f,
static const char *const curl_names[] = { DYN_CURL_FUNCS(DYN_NAME) };
static const char *const mhd_names[] = { DYN_MHD_FUNCS(DYN_NAME) };
#define NAMES(a) (sizeof(a) / sizeof((a)[0]))
/* A table is its pointers one after the other, with no padding. */
_Static_assert(sizeof(struct dyn_curl) == NAMES(curl_names) * sizeof(void *), "dyn_curl");
_Static_assert(sizeof(struct dyn_mhd) == NAMES(mhd_names) * sizeof(void *), "dyn_mhd");

/* dlopen SONAME and resolve NAMES[0..n) into the n pointers of TABLE;
 * the handle is never closed (the pointers live as long as the
 * process). POSIX lets the void * dlsym gives hold a function. */
static int
load(struct lib *l, const char *soname, const char *const *names, size_t n, void *table)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(l->why, sizeof(l->why), "%s", dlerror());
		return -ELIBACC;
	}
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(h, names[i]);
		if (f == NULL) {
			snprintf(l->why, sizeof(l->why), "%s: no %s", soname, names[i]);
			return -ELIBACC;
		}
		memcpy((char *)table + i * sizeof(void *), &f, sizeof(void *));
	}
	return 0;
}

static void
curl_load(void)
{
	if (load(&curl_lib, CURL_SONAME, curl_names, NAMES(curl_names), &dyn_curl) != 0)
		return;
	if (dyn_curl.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curl_lib.why, sizeof(curl_lib.why), "%s: curl_global_init failed", CURL_SONAME);
		return;
	}
	curl_lib.rc = 0;
}

static void
mhd_load(void)
{
	if (load(&mhd_lib, MHD_SONAME, mhd_names, NAMES(mhd_names), &dyn_mhd) == 0)
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
