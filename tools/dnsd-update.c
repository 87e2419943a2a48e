/* dnsd-update.c -- register service instances with signed DNS UPDATEs:
 * main(), which hands each subcommand to the file that does it.
 *
 * Where things are:
 *   update-args.c      command line, --help text, SERVICE INSTANCE ADDRESS
 *                      PORT and the reg-options turned into an instance
 *   update-register.c  register, renew, deregister, and what they print
 *   update-loop.c      keepalive and run: renewal before the lease ends,
 *                      signals, the wrapped command
 *   update-batch.c     the nsupdate-like stdin mode
 *   update-bench.c     the load generator (bench)
 *   update-msg.c       which records an instance is (no sockets)
 *   update-send.c      one UPDATE or query: build, sign, check the
 *                      response (RCODE, TSIG, lease); zone discovery
 *   update-net.c       the sockets: UDP, TCP fallback, one deadline
 *   update-key.c       TSIG key files and -y
 *   update.h           what these share
 *
 * This tool links ldns only, never libdnsd: it is a plain RFC 2136 client
 * and works against any server (Knot, BIND, dnsd). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "update.h"

int
main(int argc, char **argv)
{
	struct upd_opts o = { 0 };
	struct upd_instance in = { 0 };
	ldns_rdf *zone = NULL;
	int r;

	r = upd_args_parse(&o, argc, argv);
	if (r != UPD_OK) {
		upd_opts_free(&o);
		return r < 0 ? 0 : r;
	}
	/* Not every server signs an unsigned request's answer: say so early. */
	if (!o.c.key.name && o.c.verbose)
		fprintf(stderr, "dnsd-update: no TSIG key: sending unsigned\n");

	switch (o.cmd) {
	case UPD_CMD_BATCH:
		if (o.npos) {
			r = upd_usage_error("unexpected argument '%s'",
			    o.pos[0]);
			break;
		}
		if (o.zone && !(zone = ldns_dname_new_frm_str(o.zone))) {
			r = upd_usage_error("bad zone name '%s'", o.zone);
			break;
		}
		r = upd_batch_run(&o.c, zone, stdin, "stdin");
		break;
	case UPD_CMD_BENCH: {
		const char *svc = o.npos ? o.pos[0] : "bench";
		char *fake[4] = { (char *)svc, "b", "10.0.0.1", "1" };
		struct upd_opts bo = o;

		if (o.npos > 1) {
			r = upd_usage_error("unexpected argument '%s'",
			    o.pos[1]);
			break;
		}
		bo.pos = fake;
		bo.npos = 4;
		r = upd_instance_from_args(&bo, &in, &zone, true);
		if (r != UPD_OK)
			break;
		r = upd_bench_run(&o.c, zone, &in, o.bench_n,
		    (unsigned)o.bench_c);
		break;
	}
	case UPD_CMD_REGISTER:
	case UPD_CMD_RENEW: {
		struct upd_result res;

		r = upd_instance_from_args(&o, &in, &zone, true);
		if (r != UPD_OK)
			break;
		r = upd_register(&o.c, &in, zone, &res, stdout);
		break;
	}
	case UPD_CMD_DEREGISTER:
		r = upd_instance_from_args(&o, &in, &zone, false);
		if (r != UPD_OK)
			break;
		r = upd_deregister(&o.c, &in, zone);
		break;
	case UPD_CMD_KEEPALIVE:
		r = upd_instance_from_args(&o, &in, &zone, true);
		if (r != UPD_OK)
			break;
		r = upd_keepalive(&o, &in, zone);
		break;
	case UPD_CMD_RUN:
		r = upd_instance_from_args(&o, &in, &zone, true);
		if (r != UPD_OK)
			break;
		r = upd_run(&o, &in, zone);
		break;
	}
	upd_instance_free(&in);
	ldns_rdf_deep_free(zone);
	upd_opts_free(&o);
	return r;
}
