/* update-batch.c -- dnsd-update's stdin mode: nsupdate-like command lines
 * collected into UPDATEs (RFC 2136) and sent on `send` or at end of input.
 *
 *   server ADDR[@PORT] | server ADDR PORT
 *   zone ZONE
 *   key [ALG:]NAME SECRET
 *   ttl SECONDS                      default TTL of add lines without one
 *   lease SECONDS [KEY-LEASE]        0 turns the Update Lease option off
 *   [update] add NAME [TTL] [IN] TYPE RDATA...
 *   [update] del[ete] NAME [TTL] [IN|ANY] [TYPE [RDATA...]]
 *   prereq nxdomain NAME | yxdomain NAME
 *   prereq nxrrset NAME [IN] TYPE | yxrrset NAME [IN] TYPE [RDATA...]
 *   send | show | quit
 *
 * Blank lines and lines starting with ';' or '#' are skipped. Names are
 * absolute, with or without the final dot, in the owner and in RDATA, as
 * nsupdate reads them (`zone` only names the zone to update), so that
 * nsupdate input means the same here; "@" is the zone. Unlike nsupdate, a
 * blank line does not send. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "update.h"

struct batch {
	struct upd_client *c;
	ldns_rdf *zone;           /* owned; NULL: found from the first name */
	ldns_rr_list *prereq;     /* pending sections */
	ldns_rr_list *updates;
	uint32_t ttl;
	const char *fname;
	unsigned line;
};

/* Splits off the next blank-separated word of *p (NUL-terminating it) and
 * advances *p past the blanks after it. NULL at the end of the line. */
static char *
next_word(char **p)
{
	char *w = *p, *e;

	while (isspace((unsigned char)*w))
		w++;
	if (*w == '\0') {
		*p = w;
		return NULL;
	}
	for (e = w; *e && !isspace((unsigned char)*e); e++)
		;
	if (*e)
		*e++ = '\0';
	while (isspace((unsigned char)*e))
		e++;
	*p = e;
	return w;
}

static bool
is_number(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int
syntax(const struct batch *b, const char *msg, const char *arg)
{
	fprintf(stderr, "dnsd-update: %s:%u: ", b->fname, b->line);
	fprintf(stderr, msg, arg ? arg : "");
	fputc('\n', stderr);
	return UPD_EUSAGE;
}

/* A name from a command line: absolute, as in nsupdate ("api" is "api.",
 * never api.ZONE); "@" is the zone. */
static ldns_rdf *
batch_name(const struct batch *b, const char *s)
{
	char *full = NULL;
	ldns_rdf *r;

	if (strcmp(s, "@") == 0)
		return b->zone ? ldns_rdf_clone(b->zone) : NULL;
	if (s[strlen(s) - 1] == '.')
		return ldns_dname_new_frm_str(s);
	if (asprintf(&full, "%s.", s) < 0)
		return NULL;
	r = ldns_dname_new_frm_str(full);
	free(full);
	return r;
}

/* An RR from "NAME TTL CLASS TYPE RDATA" parts, by ldns's zone-file
 * parser (names in RDATA absolute too: the origin is the root). */
static ldns_rr *
parse_rr(const struct batch *b, const char *name, uint32_t ttl,
    const char *type, const char *rdata)
{
	ldns_rr *rr = NULL;
	ldns_rdf *owner = batch_name(b, name), *root = ldns_dname_new_frm_str(".");
	char *text = NULL, *o = owner ? ldns_rdf2str(owner) : NULL;
	ldns_status s;

	if (o && root && asprintf(&text, "%s %lu IN %s %s", o, (unsigned long)ttl,
	    type, rdata) >= 0) {
		s = ldns_rr_new_frm_str(&rr, text, ttl, root, NULL);
		if (s != LDNS_STATUS_OK) {
			fprintf(stderr, "dnsd-update: %s:%u: %s: %s\n",
			    b->fname, b->line, ldns_get_errorstr_by_id(s),
			    text);
			rr = NULL;
		}
	}
	free(text);
	free(o);
	ldns_rdf_deep_free(owner);
	ldns_rdf_deep_free(root);
	return rr;
}

/* An RR without RDATA (RFC 2136 sections 2.4 and 2.5 meta-RRs). */
static ldns_rr *
meta_rr(const struct batch *b, const char *name, ldns_rr_class cls,
    ldns_rr_type type)
{
	ldns_rdf *owner = batch_name(b, name);
	ldns_rr *rr;

	if (!owner)
		return NULL;
	if (!(rr = ldns_rr_new())) {
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_ttl(rr, 0);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_type(rr, type);
	return rr;
}

static int
push(struct batch *b, ldns_rr_list *list, ldns_rr *rr, const char *what)
{
	if (!rr)
		return syntax(b, "bad %s", what);
	if (!ldns_rr_list_push_rr(list, rr)) {
		ldns_rr_free(rr);
		return syntax(b, "%s", "out of memory");
	}
	return UPD_OK;
}

/* Skips an optional class word; only IN (and for deletes ANY) mean
 * anything here, other classes are refused. */
static int
skip_class(const struct batch *b, char **w, char **p, bool any_ok)
{
	if (*w && (strcasecmp(*w, "IN") == 0 ||
	    (any_ok && strcasecmp(*w, "ANY") == 0))) {
		*w = next_word(p);
		return UPD_OK;
	}
	if (*w && (strcasecmp(*w, "CH") == 0 || strcasecmp(*w, "HS") == 0 ||
	    strcasecmp(*w, "NONE") == 0 || strcasecmp(*w, "ANY") == 0))
		return syntax(b, "class %s is not supported here", *w);
	return UPD_OK;
}

static ldns_rr_type
rr_type(const char *s)
{
	return s ? ldns_get_rr_type_by_name(s) : 0;
}

/* add NAME [TTL] [IN] TYPE RDATA... (RFC 2136 section 2.5.1) */
static int
cmd_add(struct batch *b, char *p)
{
	char *name = next_word(&p), *w = next_word(&p);
	uint32_t ttl = b->ttl;
	int r;

	if (is_number(w)) {
		ttl = (uint32_t)strtoul(w, NULL, 10);
		w = next_word(&p);
	}
	if ((r = skip_class(b, &w, &p, false)) != UPD_OK)
		return r;
	if (!name || !w || !*p)
		return syntax(b, "%s", "expected: add NAME [TTL] TYPE RDATA");
	return push(b, b->updates, parse_rr(b, name, ttl, w, p), "record");
}

/* del NAME [TTL] [CLASS] [TYPE [RDATA...]] (RFC 2136 sections 2.5.2-4) */
static int
cmd_del(struct batch *b, char *p)
{
	char *name = next_word(&p), *w = next_word(&p);
	ldns_rr *rr;
	int r;

	if (!name)
		return syntax(b, "%s", "expected: del NAME [TYPE [RDATA]]");
	if (is_number(w))
		w = next_word(&p);
	if ((r = skip_class(b, &w, &p, true)) != UPD_OK)
		return r;
	if (!w) /* every RRset at the name */
		return push(b, b->updates, meta_rr(b, name, LDNS_RR_CLASS_ANY,
		    LDNS_RR_TYPE_ANY), "name");
	if (!rr_type(w))
		return syntax(b, "unknown type '%s'", w);
	if (!*p) /* one RRset */
		return push(b, b->updates, meta_rr(b, name, LDNS_RR_CLASS_ANY,
		    rr_type(w)), "name");
	/* one RR */
	if ((rr = parse_rr(b, name, 0, w, p)) != NULL) {
		ldns_rr_set_class(rr, LDNS_RR_CLASS_NONE);
		ldns_rr_set_ttl(rr, 0);
	}
	return push(b, b->updates, rr, "record");
}

/* prereq KIND NAME ... (RFC 2136 section 2.4) */
static int
cmd_prereq(struct batch *b, char *p)
{
	char *kind = next_word(&p), *name = next_word(&p), *w;
	ldns_rr *rr;
	int r;

	if (!kind || !name)
		return syntax(b, "%s", "expected: prereq nxdomain|yxdomain|"
		    "nxrrset|yxrrset NAME ...");
	if (strcasecmp(kind, "nxdomain") == 0) /* 2.4.5 */
		return push(b, b->prereq, meta_rr(b, name, LDNS_RR_CLASS_NONE,
		    LDNS_RR_TYPE_ANY), "name");
	if (strcasecmp(kind, "yxdomain") == 0) /* 2.4.4 */
		return push(b, b->prereq, meta_rr(b, name, LDNS_RR_CLASS_ANY,
		    LDNS_RR_TYPE_ANY), "name");
	if (strcasecmp(kind, "nxrrset") != 0 &&
	    strcasecmp(kind, "yxrrset") != 0)
		return syntax(b, "unknown prerequisite '%s'", kind);
	w = next_word(&p);
	if ((r = skip_class(b, &w, &p, false)) != UPD_OK)
		return r;
	if (!rr_type(w))
		return syntax(b, "expected a type after %s NAME", kind);
	if (strcasecmp(kind, "nxrrset") == 0) { /* 2.4.3 */
		if (*p)
			return syntax(b, "%s", "nxrrset takes no RDATA");
		return push(b, b->prereq, meta_rr(b, name, LDNS_RR_CLASS_NONE,
		    rr_type(w)), "name");
	}
	if (!*p) /* 2.4.1: value independent */
		return push(b, b->prereq, meta_rr(b, name, LDNS_RR_CLASS_ANY,
		    rr_type(w)), "name");
	/* 2.4.2: value dependent, class IN and TTL 0 */
	rr = parse_rr(b, name, 0, w, p);
	if (rr)
		ldns_rr_set_ttl(rr, 0);
	return push(b, b->prereq, rr, "record");
}

/* Sends what is pending; an empty batch sends nothing. */
static int
cmd_send(struct batch *b)
{
	struct upd_result res;
	char err[UPD_ERRLEN];
	ldns_rdf *zone = b->zone;
	int r;

	if (ldns_rr_list_rr_count(b->updates) == 0 &&
	    ldns_rr_list_rr_count(b->prereq) == 0) {
		if (b->c->verbose)
			fprintf(stderr, "dnsd-update: %s:%u: nothing to send\n",
			    b->fname, b->line);
		return UPD_OK;
	}
	if (!zone) {
		/* As nsupdate: the zone of the first name. */
		const ldns_rr_list *l = ldns_rr_list_rr_count(b->updates) ?
		    b->updates : b->prereq;
		const ldns_rdf *first = ldns_rr_owner(ldns_rr_list_rr(l, 0));

		if (upd_find_zone(b->c, first, &zone, err) != UPD_OK) {
			fprintf(stderr, "dnsd-update: %s\n", err);
			return UPD_EDNS;
		}
	}
	if (b->c->verbose) {
		fprintf(stderr, "dnsd-update: sending %zu prerequisites and "
		    "%zu updates\n", ldns_rr_list_rr_count(b->prereq),
		    ldns_rr_list_rr_count(b->updates));
	}
	r = upd_send_update(b->c, zone, b->prereq, b->updates, &res, err);
	if (zone != b->zone)
		ldns_rdf_deep_free(zone);
	if (r != UPD_OK) {
		fprintf(stderr, "dnsd-update: update failed: %s\n", err);
		return r;
	}
	if (b->c->lease_set && res.lease_granted)
		printf("lease granted: %lus\n", (unsigned long)res.lease);
	else if (b->c->lease_set && b->c->verbose)
		fprintf(stderr, "dnsd-update: the server returned no lease\n");
	ldns_rr_list_deep_free(b->prereq);
	ldns_rr_list_deep_free(b->updates);
	b->prereq = ldns_rr_list_new();
	b->updates = ldns_rr_list_new();
	if (!b->prereq || !b->updates)
		return syntax(b, "%s", "out of memory");
	return UPD_OK;
}

/* Runs one line; returns UPD_OK, an error status, or -1 for quit. */
static int
run_line(struct batch *b, char *line)
{
	char *p = line, *cmd = next_word(&p), *w, err[UPD_ERRLEN];
	unsigned long v;

	if (!cmd || cmd[0] == ';' || cmd[0] == '#')
		return UPD_OK;
	if (strcasecmp(cmd, "update") == 0) {
		if (!(cmd = next_word(&p)))
			return syntax(b, "%s", "expected: update add|delete ...");
		if (strcasecmp(cmd, "add") != 0 && strcasecmp(cmd, "del") != 0 &&
		    strcasecmp(cmd, "delete") != 0)
			return syntax(b, "unknown update '%s'", cmd);
	}
	if (strcasecmp(cmd, "add") == 0)
		return cmd_add(b, p);
	if (strcasecmp(cmd, "del") == 0 || strcasecmp(cmd, "delete") == 0)
		return cmd_del(b, p);
	if (strcasecmp(cmd, "prereq") == 0)
		return cmd_prereq(b, p);
	if (strcasecmp(cmd, "send") == 0)
		return cmd_send(b);
	if (strcasecmp(cmd, "quit") == 0)
		return -1;
	if (strcasecmp(cmd, "show") == 0) {
		printf(";; zone: ");
		if (b->zone)
			ldns_rdf_print(stdout, b->zone);
		printf("\n;; prerequisites:\n");
		ldns_rr_list_print(stdout, b->prereq);
		printf(";; updates:\n");
		ldns_rr_list_print(stdout, b->updates);
		return UPD_OK;
	}
	if (strcasecmp(cmd, "server") == 0) {
		char spec[300];
		char *addr = next_word(&p), *port = next_word(&p);

		if (!addr)
			return syntax(b, "%s", "expected: server ADDR[@PORT]");
		snprintf(spec, sizeof(spec), "%s%s%s", addr, port ? "@" : "",
		    port ? port : "");
		if (upd_server_parse(b->c, spec, err) != UPD_OK)
			return syntax(b, "%s", err);
		return UPD_OK;
	}
	if (strcasecmp(cmd, "zone") == 0) {
		ldns_rdf *z;

		if (!(w = next_word(&p)) || !(z = ldns_dname_new_frm_str(w)))
			return syntax(b, "%s", "expected: zone NAME");
		ldns_rdf_deep_free(b->zone);
		b->zone = z;
		return UPD_OK;
	}
	if (strcasecmp(cmd, "key") == 0) {
		char *name = next_word(&p), *secret = next_word(&p);

		if (!name || !secret)
			return syntax(b, "%s", "expected: key [ALG:]NAME SECRET");
		if (upd_key_parse(&b->c->key, name, secret, err) != UPD_OK)
			return syntax(b, "%s", err);
		return UPD_OK;
	}
	if (strcasecmp(cmd, "ttl") == 0) {
		w = next_word(&p);
		if (!is_number(w) || (v = strtoul(w, NULL, 10)) > INT32_MAX)
			return syntax(b, "%s", "expected: ttl SECONDS");
		b->ttl = (uint32_t)v;
		return UPD_OK;
	}
	if (strcasecmp(cmd, "lease") == 0) {
		char *k;

		w = next_word(&p);
		k = next_word(&p);
		if (!is_number(w) || (v = strtoul(w, NULL, 10)) > UINT32_MAX ||
		    (k && (!is_number(k) || strtoul(k, NULL, 10) > UINT32_MAX)))
			return syntax(b, "%s", "expected: lease SECONDS "
			    "[KEY-LEASE] (0: no lease)");
		b->c->lease_set = v > 0;
		b->c->lease = (uint32_t)v;
		b->c->key_lease_set = v > 0 && k;
		b->c->key_lease = k ? (uint32_t)strtoul(k, NULL, 10) : 0;
		return UPD_OK;
	}
	return syntax(b, "unknown command '%s'", cmd);
}

int
upd_batch_run(struct upd_client *c, const ldns_rdf *zone, FILE *f,
    const char *fname)
{
	struct batch b = { .c = c, .fname = fname, .ttl = 30 };
	char *line = NULL;
	size_t cap = 0;
	int r = UPD_OK;

	b.zone = zone ? ldns_rdf_clone(zone) : NULL;
	b.prereq = ldns_rr_list_new();
	b.updates = ldns_rr_list_new();
	if (!b.prereq || !b.updates) {
		r = syntax(&b, "%s", "out of memory");
		goto out;
	}
	while (getline(&line, &cap, f) >= 0) {
		b.line++;
		r = run_line(&b, line);
		if (r != UPD_OK)
			break;
	}
	/* End of input (or quit) sends what is left, as nsupdate does. */
	if (r == UPD_OK || r == -1)
		r = cmd_send(&b);
out:
	free(line);
	ldns_rr_list_deep_free(b.prereq);
	ldns_rr_list_deep_free(b.updates);
	ldns_rdf_deep_free(b.zone);
	return r;
}
