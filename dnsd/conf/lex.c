/* lex.c -- the dnsd.conf lexer and statement tree (syntax only, no keywords) */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/lex.h"
#include "util/err.h"
#include "util/log.h"

#define CONF_FILE_MAX (16 << 20) /* a configuration, an include, a key file */

struct lexer {
	const char *file;
	const char *p;
	unsigned line;
	int err;
};

/* Free a statement's word, arguments and block (lex.h). */
void
stmt_free(struct stmt *s)
{
	free(s->word);
	for (size_t i = 0; i < s->nargs; i++)
		free(s->args[i]);
	free(s->args);
	for (size_t i = 0; i < s->nkids; i++)
		stmt_free(&s->kids[i]);
	free(s->kids);
}

enum tok { T_EOF, T_WORD, T_LBRACE, T_RBRACE, T_END, T_ERR };

static enum tok
lex(struct lexer *lx, char **word)
{
	const char *p = lx->p;
	for (;;) {
		/* Every blank but the newline that ends a statement: a vertical
		 * tab or form feed left here made an empty word and no progress
		 * (found by fuzz_conf: a hang, then out of memory). */
		while (*p != '\n' && isspace((unsigned char)*p))
			p++;
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			unsigned start = lx->line; /* report where it opened */
			p += 2;
			while (*p != '\0' && !(p[0] == '*' && p[1] == '/')) {
				if (*p == '\n')
					lx->line++;
				p++;
			}
			if (*p == '\0') {
				log_err("%s:%u: unterminated /* comment", lx->file, start);
				lx->err = DNSD_ECONF;
				lx->p = p;
				return T_ERR;
			}
			p += 2;
			continue;
		}
		break;
	}
	lx->p = p;
	switch (*p) {
	case '\0':
		return T_EOF;
	case '\n':
		lx->p++;
		lx->line++;
		return T_END;
	case ';':
		lx->p++;
		return T_END;
	case '{':
		lx->p++;
		return T_LBRACE;
	case '}':
		lx->p++;
		return T_RBRACE;
	case '"': {
		const char *e = ++p;
		while (*e != '\0' && *e != '"' && *e != '\n')
			e++;
		if (*e != '"') {
			log_err("%s:%u: unterminated string", lx->file, lx->line);
			return T_ERR;
		}
		*word = strndup(p, (size_t)(e - p));
		lx->p = e + 1;
		return *word ? T_WORD : T_ERR;
	}
	default: {
		const char *e = p;
		while (*e != '\0' && !isspace((unsigned char)*e) && *e != ';' && *e != '{' &&
		    *e != '}' && *e != '"' && *e != '#')
			e++;
		*word = strndup(p, (size_t)(e - p));
		lx->p = e;
		return *word ? T_WORD : T_ERR;
	}
	}
}

/* Grow an array by one item (lex.h). */
int
conf_push(void **arr, size_t *n, size_t size, const void *item)
{
	void *a = realloc(*arr, (*n + 1) * size);
	if (a == NULL)
		return -ENOMEM;
	memcpy((char *)a + *n * size, item, size);
	*arr = a;
	(*n)++;
	return 0;
}

/* Parse statements until EOF (top level) or '}' (inside a block). */
static int
parse_block(struct lexer *lx, struct stmt *parent, bool inner)
{
	for (;;) {
		char *w = NULL;
		enum tok t = lex(lx, &w);
		if (t == T_ERR)
			return DNSD_ECONF;
		if (t == T_END)
			continue;
		if (t == T_EOF) {
			if (inner) {
				log_err("%s:%u: missing '}'", lx->file, lx->line);
				return DNSD_ECONF;
			}
			return 0;
		}
		if (t == T_RBRACE) {
			if (!inner) {
				log_err("%s:%u: unexpected '}'", lx->file, lx->line);
				return DNSD_ECONF;
			}
			return 0;
		}
		if (t == T_LBRACE) {
			log_err("%s:%u: unexpected '{'", lx->file, lx->line);
			return DNSD_ECONF;
		}
		struct stmt s = { .word = w, .line = lx->line };
		for (;;) {
			char *a = NULL;
			t = lex(lx, &a);
			if (t == T_WORD) {
				if (conf_push((void **)&s.args, &s.nargs, sizeof(char *), &a) != 0) {
					free(a);
					stmt_free(&s);
					return -ENOMEM;
				}
				continue;
			}
			if (t == T_LBRACE) {
				s.has_block = true;
				int rc = parse_block(lx, &s, true);
				if (rc != 0) {
					stmt_free(&s);
					return rc;
				}
				break;
			}
			if (t == T_RBRACE) {
				/* "a b }" closes the enclosing block: push back. */
				lx->p--;
				break;
			}
			if (t == T_ERR) {
				stmt_free(&s);
				return DNSD_ECONF;
			}
			if (t == T_END && lx->p[-1] == '\n' && s.nargs > 0) {
				/* BIND style allows the '{' on the next line. */
				struct lexer save = *lx;
				char *dummy = NULL;
				enum tok n;
				while ((n = lex(lx, &dummy)) == T_END)
					;
				if (n == T_LBRACE) {
					lx->p--;
					continue;
				}
				if (n == T_WORD)
					free(dummy);
				*lx = save;
			}
			break; /* T_END or T_EOF */
		}
		if (conf_push((void **)&parent->kids, &parent->nkids, sizeof(s), &s) != 0) {
			stmt_free(&s);
			return -ENOMEM;
		}
		if (t == T_EOF && !inner)
			return 0;
	}
}

/* Read a whole file and parse it into a tree (lex.h). */
int
conf_parse_file(const char *path, struct stmt *root)
{
	/* Callers free the tree whatever happens: start it empty. */
	memset(root, 0, sizeof(*root));
	/* Only a regular file of a sane size: not /dev/zero, a FIFO or a
	 * terminal, which would read for ever or block. */
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno; /* logging may change errno */
		log_err("%s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONF_FILE_MAX) {
		log_err("%s: %s", path, !S_ISREG(st.st_mode) ? "not a regular file"
		                                              : "larger than 16 MiB: not a configuration");
		close(fd);
		return DNSD_ECONF;
	}
	fcntl(fd, F_SETFL, O_RDONLY);
	FILE *f = fdopen(fd, "r");
	if (f == NULL) {
		int e = errno;
		close(fd);
		return -e;
	}
	char *buf = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0 || len > CONF_FILE_MAX)
			break; /* (it grew while read: what was read is parsed) */
	}
	fclose(f);
	buf[len] = '\0';
	struct lexer lx = { .file = path, .p = buf, .line = 1 };
	memset(root, 0, sizeof(*root));
	int rc = parse_block(&lx, root, false);
	free(buf);
	return rc;
}
