/* lex.h -- the statement tree of dnsd.conf; private to dnsd/conf/
 *
 * Reading a file yields a tree of statements: each has a keyword, its
 * arguments and, if it had a block in braces, the statements of the block.
 * The tree knows no keyword; settings.c gives them meaning.
 */
#ifndef DNSD_CONF_LEX_H
#define DNSD_CONF_LEX_H

#include <stdbool.h>
#include <stddef.h>

struct stmt {
	char *word;      /* the keyword */
	size_t nargs;
	char **args;
	size_t nkids;    /* statements of its block */
	struct stmt *kids;
	bool has_block;  /* a block was given, even an empty one */
	unsigned line;   /* where the statement ends: for messages */
};

/* Read the file at `path` into `root`, whose kids are its top-level
 * statements. `root` is valid for stmt_free whatever happens. Errors are
 * logged as "file:line: message"; a file that cannot be read returns
 * -errno, a syntax error DNSD_ECONF. */
int conf_parse_file(const char *path, struct stmt *root);
/* Free what a statement owns (not the statement itself). */
void stmt_free(struct stmt *s);
/* Append `item` (`size` bytes) to the array *arr of *n items: 0 or -ENOMEM,
 * in which case the array is unchanged. */
int conf_push(void **arr, size_t *n, size_t size, const void *item);

#endif
