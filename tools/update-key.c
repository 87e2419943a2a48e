/* update-key.c -- TSIG keys for dnsd-update: BIND key files and -y strings */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "update.h"

/* Key files are small; anything bigger is not a key file. */
#define KEYFILE_MAX 65536

/* The algorithms ldns signs with, under the names BIND and Knot use, and
 * the spelling ldns_pkt_tsig_sign() expects (RFC 8945 section 6). */
static const struct {
	const char *name;
	const char *ldns;
} algs[] = {
	{ "hmac-md5", "hmac-md5.sig-alg.reg.int." },
	{ "hmac-md5.sig-alg.reg.int", "hmac-md5.sig-alg.reg.int." },
	{ "hmac-sha1", "hmac-sha1." },
	{ "hmac-sha224", "hmac-sha224." },
	{ "hmac-sha256", "hmac-sha256." },
	{ "hmac-sha384", "hmac-sha384." },
	{ "hmac-sha512", "hmac-sha512." },
};

static const char *
alg_lookup(const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strlen(algs[i].name) == n &&
		    strncasecmp(algs[i].name, name, n) == 0)
			return algs[i].ldns;
	return NULL;
}

void
upd_key_clear(struct upd_key *key)
{
	free(key->name);
	free(key->alg);
	free(key->secret);
	key->name = key->alg = key->secret = NULL;
}

/* Fills key from its three parts after checking each; on error key is
 * left untouched. */
static int
key_set(struct upd_key *key, const char *alg, const char *name,
    const char *secret, char *err)
{
	const char *lalg = alg_lookup(alg);
	ldns_rdf *dname;
	ldns_rdf *bin = NULL;

	if (!lalg) {
		snprintf(err, UPD_ERRLEN, "unknown TSIG algorithm '%s' "
		    "(use hmac-sha256, hmac-sha512, hmac-sha1, ...)", alg);
		return UPD_EUSAGE;
	}
	if (*name == '\0' || !(dname = ldns_dname_new_frm_str(name))) {
		snprintf(err, UPD_ERRLEN, "bad TSIG key name '%s'", name);
		return UPD_EUSAGE;
	}
	if (*secret == '\0' || ldns_str2rdf_b64(&bin, secret) !=
	    LDNS_STATUS_OK) {
		ldns_rdf_deep_free(dname);
		snprintf(err, UPD_ERRLEN, "TSIG secret of key '%.100s' is not "
		    "base64", name);
		return UPD_EUSAGE;
	}
	ldns_rdf_deep_free(bin);
	upd_key_clear(key);
	key->name = ldns_rdf2str(dname);
	ldns_rdf_deep_free(dname);
	key->alg = strdup(lalg);
	key->secret = strdup(secret);
	if (!key->name || !key->alg || !key->secret) {
		upd_key_clear(key);
		snprintf(err, UPD_ERRLEN, "out of memory");
		return UPD_EUSAGE;
	}
	return UPD_OK;
}

int
upd_key_parse(struct upd_key *key, const char *name_part, const char *secret,
    char *err)
{
	const char *colon = strchr(name_part, ':');
	char alg[64];

	if (!colon)
		return key_set(key, "hmac-sha256", name_part, secret, err);
	if ((size_t)(colon - name_part) >= sizeof(alg)) {
		snprintf(err, UPD_ERRLEN, "unknown TSIG algorithm in '%s'",
		    name_part);
		return UPD_EUSAGE;
	}
	memcpy(alg, name_part, (size_t)(colon - name_part));
	alg[colon - name_part] = '\0';
	return key_set(key, alg, colon + 1, secret, err);
}

/* A tokenizer for named.conf syntax, just enough for key statements:
 * words, "strings", the punctuation { } ; and the three comment styles
 * (# and // to the end of the line, C block comments). */
struct lexer {
	const char *p;
	unsigned line;
	char tok[1024];
	bool quoted;
};

/* Reads the next token into lx->tok. Returns 1, 0 at the end, -1 on a
 * syntax error. */
static int
lex_next(struct lexer *lx)
{
	size_t n = 0;

	for (;;) {
		while (isspace((unsigned char)*lx->p))
			if (*lx->p++ == '\n')
				lx->line++;
		if (*lx->p == '#' || (lx->p[0] == '/' && lx->p[1] == '/')) {
			while (*lx->p && *lx->p != '\n')
				lx->p++;
		} else if (lx->p[0] == '/' && lx->p[1] == '*') {
			const char *end = strstr(lx->p + 2, "*/");
			if (!end)
				return -1;
			for (; lx->p < end; lx->p++)
				if (*lx->p == '\n')
					lx->line++;
			lx->p = end + 2;
		} else
			break;
	}
	lx->quoted = false;
	if (*lx->p == '\0')
		return 0;
	if (strchr("{};", *lx->p)) {
		lx->tok[0] = *lx->p++;
		lx->tok[1] = '\0';
		return 1;
	}
	if (*lx->p == '"') {
		lx->quoted = true;
		for (lx->p++; *lx->p != '"'; lx->p++) {
			if (*lx->p == '\0' || *lx->p == '\n' ||
			    n + 1 >= sizeof(lx->tok))
				return -1;
			lx->tok[n++] = *lx->p;
		}
		lx->p++;
		lx->tok[n] = '\0';
		return 1;
	}
	while (*lx->p && !isspace((unsigned char)*lx->p) &&
	    !strchr("{};\"#", *lx->p)) {
		if (n + 1 >= sizeof(lx->tok))
			return -1;
		lx->tok[n++] = *lx->p++;
	}
	lx->tok[n] = '\0';
	return 1;
}

static bool
lex_is(const struct lexer *lx, const char *s)
{
	return !lx->quoted && strcmp(lx->tok, s) == 0;
}

/* Parses the first `key` statement of text:
 *   key "name" { algorithm hmac-sha256; secret "base64"; };
 * Other statements and unknown key options are skipped. */
static int
key_parse_text(struct upd_key *key, const char *text, const char *path,
    char *err)
{
	struct lexer lx = { .p = text, .line = 1 };
	char name[1024], alg[64] = "hmac-sha256", secret[1024] = "";
	int r, depth = 0;

	/* Skip to the first top-level `key` word. */
	while ((r = lex_next(&lx)) == 1) {
		if (depth == 0 && lex_is(&lx, "key"))
			break;
		if (lex_is(&lx, "{"))
			depth++;
		else if (lex_is(&lx, "}") && depth > 0)
			depth--;
	}
	if (r != 1)
		goto syntax;
	if (lex_next(&lx) != 1 || lex_is(&lx, "{") || lex_is(&lx, ";"))
		goto syntax;
	snprintf(name, sizeof(name), "%s", lx.tok);
	if (lex_next(&lx) != 1 || !lex_is(&lx, "{"))
		goto syntax;
	for (;;) {
		char word[64];

		if (lex_next(&lx) != 1)
			goto syntax;
		if (lex_is(&lx, "}"))
			break;
		snprintf(word, sizeof(word), "%.63s", lx.tok);
		if (lex_next(&lx) != 1 || lex_is(&lx, ";"))
			goto syntax;
		if (strcasecmp(word, "algorithm") == 0)
			snprintf(alg, sizeof(alg), "%.63s", lx.tok);
		else if (strcasecmp(word, "secret") == 0)
			snprintf(secret, sizeof(secret), "%s", lx.tok);
		while (!lex_is(&lx, ";"))
			if (lex_next(&lx) != 1 || lex_is(&lx, "}"))
				goto syntax;
	}
	if (secret[0] == '\0') {
		snprintf(err, UPD_ERRLEN, "%.100s: key '%.100s' has no secret", path,
		    name);
		return UPD_EUSAGE;
	}
	return key_set(key, alg, name, secret, err);
syntax:
	snprintf(err, UPD_ERRLEN, "%s:%u: expected "
	    "key \"NAME\" { algorithm ALG; secret \"BASE64\"; };", path,
	    lx.line);
	return UPD_EUSAGE;
}

int
upd_key_read_file(struct upd_key *key, const char *path, char *err)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;
	int r;

	if (!f) {
		snprintf(err, UPD_ERRLEN, "cannot read key file %s: %s", path,
		    strerror(errno));
		return UPD_EUSAGE;
	}
	text = malloc(KEYFILE_MAX + 1);
	if (!text) {
		fclose(f);
		snprintf(err, UPD_ERRLEN, "out of memory");
		return UPD_EUSAGE;
	}
	n = fread(text, 1, KEYFILE_MAX + 1, f);
	fclose(f);
	if (n > KEYFILE_MAX) {
		free(text);
		snprintf(err, UPD_ERRLEN, "%s: too big for a key file", path);
		return UPD_EUSAGE;
	}
	text[n] = '\0';
	r = key_parse_text(key, text, path, err);
	/* The secret was in this buffer: do not leave it in freed memory. */
	explicit_bzero(text, n);
	free(text);
	return r;
}
