/* err.h -- the one error enum of dnsd and its messages */
#ifndef DNSD_UTIL_ERR_H
#define DNSD_UTIL_ERR_H

/*
 * Every fallible function returns an int: 0 on success, a negative errno
 * value for system errors, or one of the project codes below (all <= -1000).
 * A function that can also succeed in more than one way says so (an
 * iterator returns 1 for "one more", 0 for "the end"). RFC logic that
 * must answer with a specific RCODE returns DNSD_ERCODE and writes the
 * RCODE through an out-parameter.
 */
enum dnsd_err {
	DNSD_OK = 0,
	DNSD_EMALF = -1000,     /* malformed wire data */
	DNSD_ESPACE = -1001,    /* output buffer too small */
	DNSD_ENOTFOUND = -1002, /* no such name, zone or record */
	DNSD_ESTORE = -1003,    /* LMDB failure (details logged) */
	DNSD_ECONF = -1004,     /* configuration error (details logged) */
	DNSD_EZONE = -1005,     /* zone file error (details logged) */
	DNSD_ETOOBIG = -1006,   /* value would exceed a hard limit */
	DNSD_EFULL = -1007,     /* store map is full */
	DNSD_ETSIG = -1008,     /* TSIG failure (see the TSIG error) */
	DNSD_ERCODE = -1010,    /* RFC logic decided an RCODE (out-parameter) */
	DNSD_EVERSION = -1011,  /* store written by an incompatible version */
	DNSD_EUNAVAIL = -1012,  /* etcd unreachable or without quorum; a write
	                         * that fails so may still have been applied */
	DNSD_ECOMPACTED = -1013, /* etcd compacted the revision asked for */
	DNSD_EETCD = -1014,     /* etcd refused the request (details logged) */
	DNSD_EQUOTA = -1015,    /* over a key's max-records */
	DNSD_EREFUSED = -1016,  /* refused by policy (a grant) */
};

/* Return a static, human-readable message for any dnsd_err or -errno. */
const char *dnsd_strerror(int err);

#endif
