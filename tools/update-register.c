/* update-register.c -- register, renew and deregister: one signed UPDATE
 * each (update-msg.c says which records), and what the tool prints about
 * it: the granted lease on stdout, errors and -v details on stderr.
 *
 * deregister without ADDRESS PORT first looks up the instance's SRV and
 * its host's addresses, so that it deletes exactly what is there. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "update.h"

/* Reports a finished UPDATE: the error line, or the granted lease. */
static int
report(const struct upd_client *c, int r, const struct upd_result *res,
    const char *err, FILE *out)
{
	if (r != UPD_OK) {
		fprintf(stderr, "dnsd-update: update failed: %s\n", err);
		return r;
	}
	/* Renewals (out == NULL) report the lease only when verbose. */
	if (!out)
		out = c->verbose ? stderr : NULL;
	if (c->lease_set && res->lease_granted && out) {
		fprintf(out, "lease granted: %lus", (unsigned long)res->lease);
		if (res->key_lease_granted)
			fprintf(out, ", key lease granted: %lus",
			    (unsigned long)res->key_lease);
		fprintf(out, "\n");
		fflush(out);
	} else if (c->lease_set && c->verbose) {
		fprintf(stderr, "dnsd-update: the server returned no lease "
		    "(asked for %lus)\n", (unsigned long)c->lease);
	}
	if (c->verbose)
		fprintf(stderr, "dnsd-update: update done in %.1f ms\n",
		    (double)res->latency_us / 1000);
	return UPD_OK;
}

int
upd_register(const struct upd_client *c, const struct upd_instance *in,
    const ldns_rdf *zone, struct upd_result *res, FILE *out)
{
	ldns_rr_list *rrs = upd_register_rrs(in);
	char err[UPD_ERRLEN];
	int r;

	if (!rrs) {
		fprintf(stderr, "dnsd-update: out of memory or name too long\n");
		return UPD_EDNS;
	}
	if (c->verbose) {
		fprintf(stderr, "dnsd-update: adding %zu records:\n",
		    ldns_rr_list_rr_count(rrs));
		ldns_rr_list_print(stderr, rrs);
	}
	r = upd_send_update(c, zone, NULL, rrs, res, err);
	ldns_rr_list_deep_free(rrs);
	return report(c, r, res, err, out);
}

/* Appends to list the RRs of the answer section of a type-t query for
 * name. NXDOMAIN and NODATA add nothing. */
static int
lookup(const struct upd_client *c, const ldns_rdf *name, ldns_rr_type t,
    ldns_rr_list *list)
{
	ldns_pkt *resp = NULL;
	char err[UPD_ERRLEN], b[16];
	int r = upd_query(c, name, t, &resp, err);
	unsigned rcode;

	if (r != UPD_OK) {
		fprintf(stderr, "dnsd-update: look-up failed: %s\n", err);
		return r;
	}
	rcode = ldns_pkt_get_rcode(resp);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		char *s = ldns_rdf2str(name);
		fprintf(stderr, "dnsd-update: look-up of %s failed: %s (server "
		    "%s)\n", s, upd_rcode_name(rcode, b, sizeof(b)), c->server);
		free(s);
		ldns_pkt_free(resp);
		return UPD_EDNS;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(resp));
	    i++) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(resp), i);
		if (ldns_rr_get_type(rr) == t &&
		    ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
			ldns_rr_list_push_rr(list, ldns_rr_clone(rr));
	}
	ldns_pkt_free(resp);
	return UPD_OK;
}

/* After a deregistration: the _services PTR goes with the service's last
 * instance (upd_deregister_type_rrs). YXRRSET means other instances are
 * left, the usual case; the PTR expires with its lease anyway, so any
 * failure here is only said with -v and leaves the exit status alone. */
static void
deregister_type(const struct upd_client *c, const struct upd_instance *in,
    const ldns_rdf *zone)
{
	struct upd_client dc = *c;
	ldns_rr_list *prereq, *rrs;
	char err[UPD_ERRLEN];
	int r;

	if (upd_deregister_type_rrs(in, &prereq, &rrs) < 0)
		return;
	dc.lease_set = dc.key_lease_set = false; /* a deletion has no lease */
	dc.health_set = false;
	r = upd_send_update(&dc, zone, prereq, rrs, NULL, err);
	if (c->verbose) {
		if (r == UPD_OK)
			fprintf(stderr, "dnsd-update: last instance: service "
			    "type removed from _services._dns-sd._udp\n");
		else if (strncmp(err, "YXRRSET", 7) == 0)
			fprintf(stderr, "dnsd-update: other instances left: "
			    "_services._dns-sd._udp PTR kept\n");
		else
			fprintf(stderr, "dnsd-update: _services._dns-sd._udp "
			    "PTR not removed: %s\n", err);
	}
	ldns_rr_list_deep_free(prereq);
	ldns_rr_list_deep_free(rrs);
}

int
upd_deregister(const struct upd_client *cl, struct upd_instance *in,
    const ldns_rdf *zone)
{
	struct upd_client dc = *cl; /* a deletion reports no health */
	const struct upd_client *c = &dc;
	ldns_rr_list *srvs = ldns_rr_list_new(), *rrs = NULL;
	ldns_rdf *iname = upd_name_instance(in), *host = upd_name_host(in);
	struct upd_result res;
	char err[UPD_ERRLEN];
	int r = UPD_EDNS;

	dc.health_set = false;
	if (!srvs || !iname || !host) {
		fprintf(stderr, "dnsd-update: out of memory\n");
		goto out;
	}
	if (in->naddrs == 0) {
		/* Look the instance up. */
		ldns_rr_list *addrs = ldns_rr_list_new();
		ldns_rdf **a;
		size_t n;

		if (!addrs)
			goto out;
		if ((r = lookup(c, iname, LDNS_RR_TYPE_SRV, srvs)) != UPD_OK ||
		    (r = lookup(c, host, LDNS_RR_TYPE_A, addrs)) != UPD_OK ||
		    (r = lookup(c, host, LDNS_RR_TYPE_AAAA, addrs)) != UPD_OK) {
			ldns_rr_list_deep_free(addrs);
			goto out;
		}
		n = ldns_rr_list_rr_count(addrs);
		a = realloc(in->addrs, (n + 1) * sizeof(*a));
		if (!a) {
			ldns_rr_list_deep_free(addrs);
			r = UPD_EDNS;
			goto out;
		}
		in->addrs = a;
		for (size_t i = 0; i < n; i++) {
			ldns_rdf *rd = ldns_rr_rdf(ldns_rr_list_rr(addrs, i), 0);
			if (rd)
				in->addrs[in->naddrs++] = ldns_rdf_clone(rd);
		}
		ldns_rr_list_deep_free(addrs);
		if (c->verbose)
			fprintf(stderr, "dnsd-update: found %zu SRV and %zu "
			    "address records\n", ldns_rr_list_rr_count(srvs),
			    in->naddrs);
	} else {
		/* The SRV register would have added. */
		ldns_rr *s = ldns_rr_new_frm_type(LDNS_RR_TYPE_SRV);
		if (!s) {
			r = UPD_EDNS;
			goto out;
		}
		ldns_rr_set_owner(s, ldns_rdf_clone(iname));
		ldns_rr_set_rdf(s, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
		    in->priority), 0);
		ldns_rr_set_rdf(s, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
		    in->weight), 1);
		ldns_rr_set_rdf(s, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
		    in->port), 2);
		ldns_rr_set_rdf(s, ldns_rdf_clone(host), 3);
		ldns_rr_list_push_rr(srvs, s);
	}
	if (!(rrs = upd_deregister_rrs(in, srvs))) {
		fprintf(stderr, "dnsd-update: out of memory\n");
		r = UPD_EDNS;
		goto out;
	}
	if (c->verbose) {
		fprintf(stderr, "dnsd-update: deleting:\n");
		ldns_rr_list_print(stderr, rrs);
	}
	r = upd_send_update(c, zone, NULL, rrs, &res, err);
	if (r != UPD_OK)
		fprintf(stderr, "dnsd-update: update failed: %s\n", err);
	else if (c->verbose)
		fprintf(stderr, "dnsd-update: deregistered in %.1f ms\n",
		    (double)res.latency_us / 1000);
	if (r == UPD_OK)
		deregister_type(c, in, zone);
out:
	ldns_rr_list_deep_free(srvs);
	ldns_rr_list_deep_free(rrs);
	ldns_rdf_deep_free(iname);
	ldns_rdf_deep_free(host);
	return r;
}
