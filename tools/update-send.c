/* update-send.c -- one UPDATE or query end to end: build and sign the
 * message (ldns), send it through update-net.c, and check the response:
 * its RCODE, its TSIG (RFC 8945) and the lease granted (RFC 9664); and
 * the zone of a name, found by asking for its SOA (RFC 2136 section 4).
 *
 * Every failure becomes one line in err that says what went wrong and
 * where ("REFUSED (TSIG error BADKEY; zone z., server 127.0.0.1@53)"). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "update.h"

/* EDNS0 buffer size we advertise (DNS flag day 2020). */
#define EDNS_BUFSIZE 1232
/* Fudge for TSIG time checks, RFC 8945 section 10. */
#define TSIG_FUDGE 300
/* RFC 9664: the Update Lease EDNS option. */
#define EDNS_UPDATE_LEASE 2

const char *
upd_rcode_name(unsigned rcode, char *buf, size_t len)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE", "DSOTYPENI",
	};

	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	if (rcode == 16)
		return "BADVERS";
	snprintf(buf, len, "RCODE%u", rcode);
	return buf;
}

/* Name of a TSIG error (RFC 8945 section 5.3.2, RFC 7873). */
static const char *
tsig_error_name(unsigned e, char *buf, size_t len)
{
	static const char *const names[] = {
		"BADSIG", "BADKEY", "BADTIME", "BADMODE", "BADNAME",
		"BADALG", "BADTRUNC", "BADCOOKIE",
	};

	if (e >= 16 && e < 16 + sizeof(names) / sizeof(names[0]))
		return names[e - 16];
	return upd_rcode_name(e, buf, len);
}

/* Appends one EDNS option to list; false (nothing added) if out of memory. */
static bool
push_option(ldns_edns_option_list *list, uint16_t code, size_t len,
    const uint8_t *data)
{
	ldns_edns_option *opt = ldns_edns_new_from_data(code, len, data);

	if (!opt || !ldns_edns_option_list_push(list, opt)) {
		ldns_edns_deep_free(opt);
		return false;
	}
	return true;
}

/* Adds the OPT record with what the client sends: the Update Lease
 * option, 4-byte LEASE or LEASE and KEY-LEASE (RFC 9664 section 4), and
 * DNSD-HEALTH (update-health.c). The packet owns the list afterwards. */
static bool
add_options(ldns_pkt *p, const struct upd_client *c)
{
	ldns_edns_option_list *list;
	uint8_t data[1 + UPD_HEALTH_TEXT_MAX];
	bool ok = true;

	if (!c->lease_set && !c->health_set)
		return true;
	if (!(list = ldns_edns_option_list_new()))
		return false;
	if (c->lease_set) {
		ldns_write_uint32(data, c->lease);
		ldns_write_uint32(data + 4, c->key_lease);
		ok = push_option(list, EDNS_UPDATE_LEASE,
		    c->key_lease_set ? 8 : 4, data);
	}
	if (ok && c->health_set)
		ok = push_option(list, UPD_EDNS_HEALTH,
		    upd_health_option(data, c->health, c->health_text), data);
	if (!ok) {
		ldns_edns_option_list_deep_free(list);
		return false;
	}
	ldns_pkt_set_edns_udp_size(p, EDNS_BUFSIZE);
	ldns_pkt_set_edns_option_list(p, list);
	return true;
}

/* Reads the Update Lease option from a response, if there is one. */
static void
read_lease_option(ldns_pkt *resp, struct upd_result *res)
{
	ldns_edns_option_list *list = ldns_pkt_edns_get_option_list(resp);
	size_t n = list ? ldns_edns_option_list_get_count(list) : 0;

	for (size_t i = 0; i < n; i++) {
		ldns_edns_option *o = ldns_edns_option_list_get_option(list, i);
		size_t len = ldns_edns_get_size(o);
		const uint8_t *d = ldns_edns_get_data(o);

		if (ldns_edns_get_code(o) != EDNS_UPDATE_LEASE ||
		    (len != 4 && len != 8))
			continue;
		res->lease_granted = true;
		res->lease = ldns_read_uint32(d);
		if (len == 8) {
			res->key_lease_granted = true;
			res->key_lease = ldns_read_uint32(d + 4);
		}
	}
}

/* The RCODE of a response, with the extended bits from its OPT record
 * (RFC 6891 section 6.1.3). */
static unsigned
response_rcode(const ldns_pkt *p)
{
	return (unsigned)ldns_pkt_get_rcode(p) |
	    ((unsigned)ldns_pkt_edns_extended_rcode(p) << 4);
}

int
upd_build_update(const struct upd_client *c, const ldns_rdf *zone,
    const ldns_rr_list *prereq, const ldns_rr_list *updates,
    struct upd_msg *m, char *err)
{
	ldns_rr_list *empty = NULL;
	ldns_pkt *p;
	int r = UPD_EDNS;

	memset(m, 0, sizeof(*m));
	if (!updates)
		updates = empty = ldns_rr_list_new();
	/* ldns_update_pkt_new() takes zone and clones the lists. */
	p = ldns_update_pkt_new(ldns_rdf_clone(zone), LDNS_RR_CLASS_IN,
	    prereq, updates, NULL);
	ldns_rr_list_free(empty);
	if (!p)
		goto nomem;
	ldns_pkt_set_rd(p, false); /* RFC 2136 section 2.2: flags are zero */
	ldns_pkt_set_random_id(p);
	if (!add_options(p, c))
		goto nomem;
	if (c->key.name) {
		ldns_status s = ldns_pkt_tsig_sign(p, c->key.name,
		    c->key.secret, TSIG_FUDGE, c->key.alg, NULL);
		if (s != LDNS_STATUS_OK) {
			snprintf(err, UPD_ERRLEN, "cannot sign with key %s: %s",
			    c->key.name, ldns_get_errorstr_by_id(s));
			goto out;
		}
		if (!(m->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3))))
			goto nomem;
	}
	if (ldns_pkt2wire(&m->wire, p, &m->len) != LDNS_STATUS_OK)
		goto nomem;
	r = UPD_OK;
	goto out;
nomem:
	snprintf(err, UPD_ERRLEN, "out of memory building the UPDATE");
out:
	ldns_pkt_free(p);
	if (r != UPD_OK)
		upd_msg_clear(m);
	return r;
}

void
upd_msg_clear(struct upd_msg *m)
{
	free(m->wire);
	ldns_rdf_deep_free(m->mac);
	memset(m, 0, sizeof(*m));
}

int
upd_check_response(const struct upd_client *c, const struct upd_msg *m,
    const uint8_t *rwire, size_t rlen, const char *where,
    struct upd_result *res, char *err)
{
	ldns_pkt *resp = NULL;
	ldns_rr *tsig;
	char b1[16], b2[16];
	unsigned rcode, tsig_err = 0;
	bool signed_ok = false;
	int r = UPD_EDNS;

	if (ldns_wire2pkt(&resp, rwire, rlen) != LDNS_STATUS_OK ||
	    ldns_pkt_get_opcode(resp) != LDNS_PACKET_UPDATE) {
		snprintf(err, UPD_ERRLEN, "malformed response (%s)", where);
		goto out;
	}
	rcode = response_rcode(resp);
	if (c->key.name && (tsig = ldns_pkt_tsig(resp)) != NULL) {
		ldns_rdf *e = ldns_rr_rdf(tsig, 5);
		tsig_err = e ? ldns_rdf2native_int16(e) : 0;
		/* RFC 8945 section 5.3.2: a BADKEY or BADSIG answer comes
		 * unsigned; only a response with a MAC can verify. */
		signed_ok = ldns_pkt_tsig_verify(resp, rwire, rlen,
		    c->key.name, c->key.secret, m->mac);
	}
	if (rcode != LDNS_RCODE_NOERROR || tsig_err) {
		if (tsig_err)
			snprintf(err, UPD_ERRLEN, "%s (TSIG error %s; %s)",
			    upd_rcode_name(rcode, b1, sizeof(b1)),
			    tsig_error_name(tsig_err, b2, sizeof(b2)), where);
		else if (rcode == LDNS_RCODE_NOTAUTH && !c->key.name)
			snprintf(err, UPD_ERRLEN, "NOTAUTH (no TSIG key given: "
			    "use -k FILE or -y NAME:SECRET; %s)", where);
		else
			snprintf(err, UPD_ERRLEN, "%s (%s)",
			    upd_rcode_name(rcode, b1, sizeof(b1)), where);
		goto out;
	}
	if (c->key.name && !signed_ok) {
		snprintf(err, UPD_ERRLEN, "the response's TSIG %s %s (%s)",
		    ldns_pkt_tsig(resp) ? "does not verify with key" :
		    "is missing for key", c->key.name, where);
		goto out;
	}
	if (res)
		read_lease_option(resp, res);
	r = UPD_OK;
out:
	ldns_pkt_free(resp);
	return r;
}

int
upd_send_update(const struct upd_client *c, const ldns_rdf *zone,
    const ldns_rr_list *prereq, const ldns_rr_list *updates,
    struct upd_result *res, char *err)
{
	struct upd_msg m;
	uint8_t *rwire = NULL;
	size_t rlen = 0;
	char where[400];
	uint64_t t0, lat;
	int r;

	{
		char *z = ldns_rdf2str(zone);
		snprintf(where, sizeof(where), "zone %s, server %s",
		    z ? z : "?", c->server);
		free(z);
	}
	if ((r = upd_build_update(c, zone, prereq, updates, &m, err)) != UPD_OK)
		return r;
	t0 = upd_now_us();
	r = upd_exchange(c, m.wire, m.len, &rwire, &rlen, err);
	lat = upd_now_us() - t0;
	if (r != UPD_OK) {
		size_t n = strlen(err);
		snprintf(err + n, UPD_ERRLEN - n, " (%s)", where);
	} else {
		if (res)
			memset(res, 0, sizeof(*res));
		r = upd_check_response(c, &m, rwire, rlen, where, res, err);
		if (res)
			res->latency_us = lat;
	}
	upd_msg_clear(&m);
	free(rwire);
	return r;
}

int
upd_query(const struct upd_client *c, const ldns_rdf *name,
    ldns_rr_type type, ldns_pkt **resp, char *err)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_rdf_clone(name), type,
	    LDNS_RR_CLASS_IN, 0);
	uint8_t *wire = NULL, *rwire = NULL;
	size_t wlen = 0, rlen = 0;
	int r = UPD_EDNS;

	*resp = NULL;
	if (!q) {
		snprintf(err, UPD_ERRLEN, "out of memory");
		return UPD_EDNS;
	}
	ldns_pkt_set_random_id(q);
	ldns_pkt_set_edns_udp_size(q, EDNS_BUFSIZE);
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK) {
		snprintf(err, UPD_ERRLEN, "out of memory");
		goto out;
	}
	if (upd_exchange(c, wire, wlen, &rwire, &rlen, err) != UPD_OK) {
		size_t n = strlen(err);
		snprintf(err + n, UPD_ERRLEN - n, " (server %s)", c->server);
		goto out;
	}
	if (ldns_wire2pkt(resp, rwire, rlen) != LDNS_STATUS_OK) {
		*resp = NULL;
		snprintf(err, UPD_ERRLEN, "malformed response from %s",
		    c->server);
		goto out;
	}
	r = UPD_OK;
out:
	ldns_pkt_free(q);
	free(wire);
	free(rwire);
	return r;
}

/* The owner of the first SOA RR in list, cloned; NULL if there is none. */
static ldns_rdf *
soa_owner(const ldns_rr_list *list)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			return ldns_rdf_clone(ldns_rr_owner(rr));
	}
	return NULL;
}

int
upd_find_zone(const struct upd_client *c, const ldns_rdf *name,
    ldns_rdf **zone, char *err)
{
	ldns_pkt *resp = NULL;
	char *s = ldns_rdf2str(name), b[16];
	unsigned rcode;
	int r;

	*zone = NULL;
	r = upd_query(c, name, LDNS_RR_TYPE_SOA, &resp, err);
	if (r != UPD_OK) {
		char why[UPD_ERRLEN];

		memcpy(why, err, sizeof(why));
		snprintf(err, UPD_ERRLEN, "cannot find the zone of %.200s: %.250s",
		    s ? s : "?", why);
		goto out;
	}
	rcode = response_rcode(resp);
	if (rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN) {
		*zone = soa_owner(ldns_pkt_answer(resp));
		if (!*zone)
			*zone = soa_owner(ldns_pkt_authority(resp));
	}
	if (!*zone) {
		snprintf(err, UPD_ERRLEN, "cannot find the zone of %s: %s "
		    "answered %s without an SOA; give -z ZONE", s ? s : "?",
		    c->server, upd_rcode_name(rcode, b, sizeof(b)));
		r = UPD_EDNS;
	} else if (c->verbose) {
		char *z = ldns_rdf2str(*zone);
		fprintf(stderr, "dnsd-update: zone of %s is %s\n", s, z);
		free(z);
	}
out:
	ldns_pkt_free(resp);
	free(s);
	return r;
}
