/* ctl-print.c -- records in presentation format for dnsdctl (through ldns)
 *
 * A stored record (owner, type, TTL, uncompressed RDATA) is framed as one
 * wire-format RR and handed to ldns, so dnsdctl prints every type exactly
 * as ldns-read-zone, drill and (after normalising) dig do. RDATA that ldns
 * will not parse is printed in the RFC 3597 generic form instead.
 */
#include "config.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "util/err.h"
#include "wire/wire.h"

void
ctl_time_str(uint32_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "%u", t);
}

/* RFC 3597: "TYPE65280 \# 3 abcdef" style, for what ldns rejects. */
static void
print_generic(FILE *f, const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
    uint16_t rdlen)
{
	char name[WIRE_NAME_MAX * 4 + 1];
	wire_name_to_str(owner, name, sizeof(name));
	fprintf(f, "%s\t%u\tIN\tTYPE%u\t\\# %u", name, ttl, type, rdlen);
	if (rdlen > 0)
		fputc(' ', f);
	for (uint16_t i = 0; i < rdlen; i++)
		fprintf(f, "%02x", rdata[i]);
}

int
ctl_rr_print(FILE *f, const uint8_t *owner, uint16_t type, uint32_t ttl,
    const uint8_t *rdata, uint16_t rdlen, const char *comment)
{
	static uint8_t buf[WIRE_NAME_MAX + 10 + 65535];
	size_t ol = wire_name_len(owner), pos = 0;
	ldns_rr *rr = NULL;
	char *s = NULL;

	memcpy(buf, owner, ol);
	wire_put16(buf + ol, type);
	wire_put16(buf + ol + 2, CLASS_IN);
	wire_put32(buf + ol + 4, ttl);
	wire_put16(buf + ol + 8, rdlen);
	memcpy(buf + ol + 10, rdata, rdlen);
	if (ldns_wire2rr(&rr, buf, ol + 10 + rdlen, &pos, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK)
		s = ldns_rr2str_fmt(ldns_output_format_nocomments, rr);
	if (s != NULL) {
		size_t n = strlen(s);
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
			s[--n] = '\0';
		fputs(s, f);
	} else {
		print_generic(f, owner, type, ttl, rdata, rdlen);
	}
	if (comment != NULL)
		fprintf(f, "\t; %s", comment);
	fputc('\n', f);
	free(s);
	ldns_rr_free(rr);
	return ferror(f) ? -EIO : 0;
}
