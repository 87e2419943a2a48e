/* err.c -- messages for enum dnsd_err */
#include "config.h"

#include <string.h>

#include "util/err.h"

const char *
dnsd_strerror(int err)
{
	switch (err) {
	case DNSD_OK: return "success";
	case DNSD_EMALF: return "malformed DNS data";
	case DNSD_ESPACE: return "no space left in the buffer";
	case DNSD_ENOTFOUND: return "not found";
	case DNSD_ESTORE: return "store (LMDB) failure";
	case DNSD_ECONF: return "configuration error";
	case DNSD_EZONE: return "zone file error";
	case DNSD_ETOOBIG: return "value exceeds a limit";
	case DNSD_EFULL: return "store is full (raise store-size)";
	case DNSD_ETSIG: return "TSIG verification failed";
	case DNSD_ERCODE: return "request answered with an error RCODE";
	case DNSD_EVERSION: return "store was written by an incompatible version";
	case DNSD_EUNAVAIL: return "etcd is unreachable or has no quorum";
	case DNSD_ECOMPACTED: return "etcd revision has been compacted";
	case DNSD_EETCD: return "etcd refused the request";
	case DNSD_EQUOTA: return "over the key's max-records";
	case DNSD_EREFUSED: return "refused by policy";
	}
	if (err < 0 && err > -1000)
		return strerror(-err);
	return "unknown error";
}
