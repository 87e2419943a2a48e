/* update-msg.c -- the records dnsd-update registers and deletes for a
 * service instance: DNS-SD (RFC 6763) and RFC 2782 naming. No sockets.
 *
 * For service "web", instance "web-1", protocol _tcp, port 8080, address
 * 10.0.0.5 and domain D, register adds (RFC 2136 section 2.5.1):
 *
 *   _web._tcp.D                 PTR  web-1._web._tcp.D   DNS-SD browse
 *   web-1._web._tcp.D           SRV  0 0 8080 web-1.D    DNS-SD resolve
 *   web-1._web._tcp.D           TXT  "path=/api"         ("" if no --txt)
 *   _web._tcp.D                 SRV  0 0 8080 web-1.D    RFC 2782 clients
 *   web-1.D                     A    10.0.0.5            the host
 *   _v2._sub._web._tcp.D        PTR  web-1._web._tcp.D   per --subtype
 *   _services._dns-sd._udp.D    PTR  _web._tcp.D         service types
 *
 * (A becomes AAAA for an IPv6 address.) dnsd keeps the instance as one
 * object and derives the PTRs and the RFC 2782 SRV set from it, absorbing
 * what an UPDATE adds there; other servers (Knot, BIND) store them as
 * sent, so that they serve complete DNS-SD data too.
 *
 * Not written: an address at the service name (web.D A). It collided
 * with hosts of that name (re-adding 10.0.0.5 at a zone-file host `web`
 * gave that RRset the registration's TTL, and deregistering deleted the
 * host's address); dnsd answers service-name address queries under
 * web.service.<domain> instead.
 *
 * Deregister deletes everything at web-1._web._tcp.D and web-1.D, and the
 * RRs above at the shared names that point at this instance; then, in a
 * second UPDATE, the _services PTR on condition that no browse PTR is
 * left (upd_deregister_type_rrs). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "update.h"

bool
upd_label_ok(const char *s, bool underscore)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' ||
		    (underscore && *s == '_')))
			return false;
	return true;
}

/* "labels.D" as a name; labels are checked by the caller (no dots in a
 * label, no escapes), D is any absolute name, the root included. */
static ldns_rdf *
name_under(const char *labels, const ldns_rdf *domain)
{
	char *d = ldns_rdf2str(domain), *s = NULL;
	ldns_rdf *r = NULL;

	if (d && asprintf(&s, "%s%s%s", labels, strcmp(d, ".") ? "." : "",
	    d) >= 0)
		r = ldns_dname_new_frm_str(s);
	free(s);
	free(d);
	return r;
}

/* "_web._tcp" or "_web._udp" */
static void
service_labels(const struct upd_instance *in, char *buf, size_t len)
{
	snprintf(buf, len, "_%s.%s", in->service, in->udp ? "_udp" : "_tcp");
}

ldns_rdf *
upd_name_service(const struct upd_instance *in)
{
	char l[80];

	service_labels(in, l, sizeof(l));
	return name_under(l, in->domain);
}

ldns_rdf *
upd_name_instance(const struct upd_instance *in)
{
	char l[160];

	snprintf(l, sizeof(l), "%s._%s.%s", in->instance, in->service,
	    in->udp ? "_udp" : "_tcp");
	return name_under(l, in->domain);
}

ldns_rdf *
upd_name_host(const struct upd_instance *in)
{
	return name_under(in->instance, in->domain);
}

/* A new RR without RDATA; takes owner. NULL (owner freed) on failure. */
static ldns_rr *
rr_make(ldns_rdf *owner, uint32_t ttl, ldns_rr_class cls, ldns_rr_type type)
{
	ldns_rr *rr;

	if (!owner)
		return NULL;
	if (!(rr = ldns_rr_new())) {
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_type(rr, type);
	return rr;
}

/* Appends rdf to rr; on failure frees both and returns NULL. */
static ldns_rr *
rr_add(ldns_rr *rr, ldns_rdf *rdf)
{
	if (!rr || !rdf || !ldns_rr_push_rdf(rr, rdf)) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(rdf);
		return NULL;
	}
	return rr;
}

/* Appends rr to list; on failure frees rr. Returns false on failure so
 * that callers can chain `ok = ok && push(...)`. */
static bool
push(ldns_rr_list *list, ldns_rr *rr)
{
	if (rr && ldns_rr_list_push_rr(list, rr))
		return true;
	ldns_rr_free(rr);
	return false;
}

static ldns_rr *
rr_ptr(ldns_rdf *owner, uint32_t ttl, ldns_rr_class cls, ldns_rdf *target)
{
	return rr_add(rr_make(owner, ttl, cls, LDNS_RR_TYPE_PTR), target);
}

static ldns_rr *
rr_srv(ldns_rdf *owner, uint32_t ttl, ldns_rr_class cls, uint16_t prio,
    uint16_t weight, uint16_t port, ldns_rdf *target)
{
	ldns_rr *rr = rr_make(owner, ttl, cls, LDNS_RR_TYPE_SRV);

	rr = rr_add(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, prio));
	rr = rr_add(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, weight));
	rr = rr_add(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, port));
	return rr_add(rr, target);
}

/* An A or AAAA RR, by the type of the address rdf. */
static ldns_rr *
rr_addr(ldns_rdf *owner, uint32_t ttl, ldns_rr_class cls, const ldns_rdf *a)
{
	ldns_rr_type t = ldns_rdf_get_type(a) == LDNS_RDF_TYPE_AAAA ?
	    LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A;

	return rr_add(rr_make(owner, ttl, cls, t), ldns_rdf_clone(a));
}

/* One TXT RR with each string of the instance (RFC 6763 section 6.1: a
 * TXT record always exists, holding a single empty string if need be). */
static ldns_rr *
rr_txt(ldns_rdf *owner, uint32_t ttl, const struct upd_instance *in)
{
	ldns_rr *rr = rr_make(owner, ttl, LDNS_RR_CLASS_IN, LDNS_RR_TYPE_TXT);
	uint8_t buf[256];

	if (in->ntxt == 0) {
		buf[0] = 0;
		return rr_add(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, 1,
		    buf));
	}
	for (size_t i = 0; i < in->ntxt && rr; i++) {
		size_t n = strlen(in->txt[i]);

		if (n > 255) { /* checked by the caller */
			ldns_rr_free(rr);
			return NULL;
		}
		buf[0] = (uint8_t)n;
		memcpy(buf + 1, in->txt[i], n);
		rr = rr_add(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1,
		    buf));
	}
	return rr;
}

static ldns_rdf *
subtype_name(const struct upd_instance *in, const char *sub)
{
	char l[200];

	snprintf(l, sizeof(l), "_%s._sub._%s.%s", sub, in->service,
	    in->udp ? "_udp" : "_tcp");
	return name_under(l, in->domain);
}

/* The PTR that lists the service type (RFC 6763 section 9). */
static ldns_rr *
rr_services_ptr(const struct upd_instance *in, uint32_t ttl, ldns_rr_class cls)
{
	char svc[80];

	service_labels(in, svc, sizeof(svc));
	return rr_ptr(name_under("_services._dns-sd._udp", in->domain), ttl,
	    cls, name_under(svc, in->domain));
}

ldns_rr_list *
upd_register_rrs(const struct upd_instance *in)
{
	ldns_rr_list *l = ldns_rr_list_new();
	const ldns_rr_class IN = LDNS_RR_CLASS_IN;
	uint32_t ttl = in->ttl;
	bool ok = l != NULL;

	ok = ok && push(l, rr_ptr(upd_name_service(in), ttl, IN,
	    upd_name_instance(in)));
	ok = ok && push(l, rr_srv(upd_name_instance(in), ttl, IN,
	    in->priority, in->weight, in->port, upd_name_host(in)));
	ok = ok && push(l, rr_txt(upd_name_instance(in), ttl, in));
	ok = ok && push(l, rr_srv(upd_name_service(in), ttl, IN,
	    in->priority, in->weight, in->port, upd_name_host(in)));
	for (size_t i = 0; ok && i < in->naddrs; i++)
		ok = ok && push(l, rr_addr(upd_name_host(in), ttl, IN,
		    in->addrs[i]));
	for (size_t i = 0; ok && i < in->nsubtypes; i++)
		ok = ok && push(l, rr_ptr(subtype_name(in, in->subtypes[i]),
		    ttl, IN, upd_name_instance(in)));
	ok = ok && push(l, rr_services_ptr(in, ttl, IN));
	if (!ok) {
		ldns_rr_list_deep_free(l);
		return NULL;
	}
	return l;
}

/* RFC 2136 section 2.5.2/2.5.3: "delete an RRset" is class ANY with the
 * type, "delete all RRsets from a name" class ANY type ANY; TTL 0 and no
 * RDATA in both. */
static ldns_rr *
rr_delete_all(ldns_rdf *owner)
{
	return rr_make(owner, 0, LDNS_RR_CLASS_ANY, LDNS_RR_TYPE_ANY);
}

ldns_rr_list *
upd_deregister_rrs(const struct upd_instance *in, const ldns_rr_list *srvs)
{
	ldns_rr_list *l = ldns_rr_list_new();
	const ldns_rr_class NONE = LDNS_RR_CLASS_NONE; /* 2.5.4: one RR */
	bool ok = l != NULL;

	ok = ok && push(l, rr_delete_all(upd_name_instance(in)));
	ok = ok && push(l, rr_delete_all(upd_name_host(in)));
	ok = ok && push(l, rr_ptr(upd_name_service(in), 0, NONE,
	    upd_name_instance(in)));
	for (size_t i = 0; ok && i < in->nsubtypes; i++)
		ok = ok && push(l, rr_ptr(subtype_name(in, in->subtypes[i]),
		    0, NONE, upd_name_instance(in)));
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(srvs); i++) {
		const ldns_rr *s = ldns_rr_list_rr(srvs, i);
		ldns_rr *d;

		if (ldns_rr_get_type(s) != LDNS_RR_TYPE_SRV ||
		    ldns_rr_rd_count(s) != 4)
			continue;
		/* The same RDATA at the shared RFC 2782 name. */
		d = ldns_rr_clone(s);
		if (d) {
			ldns_rdf_deep_free(ldns_rr_owner(d));
			ldns_rr_set_owner(d, upd_name_service(in));
			ldns_rr_set_ttl(d, 0);
			ldns_rr_set_class(d, NONE);
			if (!ldns_rr_owner(d)) {
				ldns_rr_free(d);
				d = NULL;
			}
		}
		ok = ok && push(l, d);
	}
	if (!ok) {
		ldns_rr_list_deep_free(l);
		return NULL;
	}
	return l;
}

int
upd_deregister_type_rrs(const struct upd_instance *in, ldns_rr_list **prereq,
    ldns_rr_list **updates)
{
	ldns_rr *nx;

	*prereq = ldns_rr_list_new();
	*updates = ldns_rr_list_new();
	/* RFC 2136 section 2.4.3: "RRset does not exist" is class NONE,
	 * TTL 0, no RDATA. */
	nx = rr_make(upd_name_service(in), 0, LDNS_RR_CLASS_NONE,
	    LDNS_RR_TYPE_PTR);
	if (!*prereq || !*updates || !push(*prereq, nx) ||
	    !push(*updates, rr_services_ptr(in, 0, LDNS_RR_CLASS_NONE))) {
		if (!*prereq)
			ldns_rr_free(nx);
		ldns_rr_list_deep_free(*prereq);
		ldns_rr_list_deep_free(*updates);
		*prereq = *updates = NULL;
		return -1;
	}
	return 0;
}
