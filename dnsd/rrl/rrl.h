/* rrl.h -- response rate limiting, in the style of NSD, Knot and BIND
 *
 * Responses are counted per second in buckets. A bucket is the client's
 * network (IPv4 /24, IPv6 /56: a spoofed flood names a victim by its
 * address, and nearby addresses are usually the same victim), the class
 * of the response, and a name: the question and its type for answers and
 * NODATA, the zone for NXDOMAIN and referrals (a flood of random names
 * under one zone is one bucket), none for errors. Up to `rate` responses
 * a second go out in full; beyond that, one in `slip` is sent truncated
 * (TC, header and question only, so a real client behind the address
 * retries over TCP) and the others are dropped. slip 0 drops them all,
 * slip 1 truncates every one. Counting restarts with each second of the
 * clock, so a flood that lasts T whole seconds gets at most rate x T full
 * answers (and up to rate more when it straddles a second more).
 *
 * The table has a fixed number of buckets, allocated once: the memory an
 * attacker can make it use is what it already uses. Buckets are 8 bytes,
 * claimed by whichever key last hashed to them (the hash is keyed with a
 * random seed, so an outsider cannot aim at another's bucket), and
 * updated with one compare-and-swap: one table serves every UDP worker, so
 * a flood spread over the workers by source port is counted once.
 */
#ifndef DNSD_RRL_RRL_H
#define DNSD_RRL_RRL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Classes of responses, each counted apart. */
enum rrl_class {
	RRL_ANSWER,   /* records in the answer section */
	RRL_NODATA,   /* NOERROR without an answer (and not a referral) */
	RRL_NXDOMAIN,
	RRL_REFERRAL, /* a delegation: NS in authority, no AA */
	RRL_ERROR,    /* FORMERR, SERVFAIL, REFUSED, NOTIMP, ... */
	RRL_NCLASSES
};

enum rrl_verdict { RRL_PASS, RRL_DROP, RRL_SLIP };

struct rrl;

/* A table of `buckets` buckets (rounded up to a power of two, at least
 * 1024). Returns NULL when memory or randomness is short. */
struct rrl *rrl_new(size_t buckets);
void rrl_free(struct rrl *t);

/*
 * Count one response of class `cls` to `peer` (AF_INET or AF_INET6; any
 * other passes) for the name whose hash is `name_hash` (0 for none) at
 * second `now`, and say what to do with it: send it (RRL_PASS), drop it,
 * or send it truncated (RRL_SLIP). `rate` 0 passes everything. The first
 * response a bucket limits in a second is logged (log_limited, once a
 * minute per network and class). Thread-safe.
 */
enum rrl_verdict rrl_account(struct rrl *t, const struct sockaddr *peer, enum rrl_class cls,
    uint64_t name_hash, uint32_t now, unsigned rate, unsigned slip);

/* "answer", "nodata", "nxdomain", "referral", "error". */
const char *rrl_class_name(enum rrl_class cls);

#endif
