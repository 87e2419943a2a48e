/* answers.c -- the settings of what the server says of itself and how it
 * answers on UDP: nsid, version, identity, cookie-secret, require-cookie,
 * rate-limit, rate-limit-slip, rate-limit-exempt. They keep their values
 * in struct conf itself, no allocation (conf.h). The settings table in
 * settings.c points here; dnsd.conf(5) documents them. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "conf/internal.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* (conf.h) */
int
conf_hex(const char *v, uint8_t *out, size_t max)
{
	size_t n = strlen(v);
	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

/* nsid TEXT | 0xHEX */
int
conf_set_nsid(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf *c = x->conf;
	const char *v;
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc != 0)
		return rc;
	v = s->args[0];
	if (strncmp(v, "0x", 2) == 0 || strncmp(v, "0X", 2) == 0) {
		int n = conf_hex(v + 2, c->nsid, sizeof(c->nsid));
		if (n <= 0)
			return conf_bad(x->file, s, "must be text or 0x and up to 128 bytes in hex");
		c->nsid_len = (uint16_t)n;
		return 0;
	}
	size_t n = strlen(v);
	if (n > sizeof(c->nsid))
		return conf_bad(x->file, s, "longer than 128 bytes");
	memcpy(c->nsid, v, n);
	c->nsid_len = (uint16_t)n;
	return 0;
}

/* version TEXT, identity TEXT: a TXT string */
static int
set_chaos_text(const struct conf_ctx *x, const struct stmt *s, char *field)
{
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc != 0)
		return rc;
	if (strlen(s->args[0]) >= CONF_CHAOS_TEXT_MAX)
		return conf_bad(x->file, s, "longer than 255 characters");
	strcpy(field, s->args[0]);
	return 0;
}

int
conf_set_version(const struct conf_ctx *x, const struct stmt *s)
{
	return set_chaos_text(x, s, x->conf->version);
}

int
conf_set_identity(const struct conf_ctx *x, const struct stmt *s)
{
	return set_chaos_text(x, s, x->conf->identity);
}

/* cookie-secret HEX (16 bytes) */
int
conf_set_cookie_secret(const struct conf_ctx *x, const struct stmt *s)
{
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc != 0)
		return rc;
	if (conf_hex(s->args[0], x->conf->cookie_secret, sizeof(x->conf->cookie_secret)) !=
	    (int)sizeof(x->conf->cookie_secret))
		return conf_bad(x->file, s, "must be 32 hex digits (16 bytes)");
	x->conf->cookie_secret_set = true;
	return 0;
}

/* require-cookie no|large|yes */
int
conf_set_require_cookie(const struct conf_ctx *x, const struct stmt *s)
{
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc != 0)
		return rc;
	const char *v = s->args[0];
	if (strcmp(v, "no") == 0)
		x->conf->require_cookie = CONF_COOKIE_OPTIONAL;
	else if (strcmp(v, "large") == 0)
		x->conf->require_cookie = CONF_COOKIE_LARGE;
	else if (strcmp(v, "yes") == 0)
		x->conf->require_cookie = CONF_COOKIE_ALWAYS;
	else
		return conf_bad(x->file, s, "must be no, large or yes");
	return 0;
}

/* rate-limit RESPONSES-PER-SECOND (0: off) */
int
conf_set_rrl_rate(const struct conf_ctx *x, const struct stmt *s)
{
	uint64_t v;
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc == 0 && (rc = conf_parse_num(x->file, s, s->args[0], U_NONE, 1000000, &v)) == 0) {
		x->conf->rrl_rate = (unsigned)v;
		x->conf->rrl_rate_set = true;
	}
	return rc;
}

/* rate-limit-slip N (0: drop all) */
int
conf_set_rrl_slip(const struct conf_ctx *x, const struct stmt *s)
{
	uint64_t v;
	int rc = conf_want_args(x->file, s, 1, 1);
	if (rc == 0 && (rc = conf_parse_num(x->file, s, s->args[0], U_NONE, 100, &v)) == 0) {
		x->conf->rrl_slip = (unsigned)v;
		x->conf->rrl_slip_set = true;
	}
	return rc;
}

/* rate-limit-exempt ADDR[/PREFIX] ... | none; a later one replaces */
int
conf_set_rrl_exempt(const struct conf_ctx *x, const struct stmt *s)
{
	struct conf *c = x->conf;
	int rc = conf_want_args(x->file, s, 1, CONF_RRL_EXEMPT_MAX);
	if (rc != 0)
		return rc;
	c->nrrl_exempt = 0;
	c->rrl_exempt_set = true;
	if (s->nargs == 1 && strcmp(s->args[0], "none") == 0)
		return 0;
	for (size_t j = 0; j < s->nargs; j++) {
		if (conf_addr_parse(s->args[j], 0, &c->rrl_exempt[j]) != 0)
			return conf_bad(x->file, s, "bad address or network");
		c->nrrl_exempt++;
	}
	return 0;
}
