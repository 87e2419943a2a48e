/* internal.h -- what the files of dnsd/conf/ share; no other module includes it
 *
 * lex.c reads a file into a statement tree; acl.c reads addresses and
 * access lists; conf.c gives each keyword its meaning.
 */
#ifndef DNSD_CONF_INTERNAL_H
#define DNSD_CONF_INTERNAL_H

#include "conf/conf.h"
#include "conf/lex.h"

/* Log "file:line: keyword: msg" for statement `s`; returns DNSD_ECONF. */
int conf_bad(const char *file, const struct stmt *s, const char *msg);

/* Add the entries of an access-list statement (addresses, networks, any,
 * localhost, none, "key NAME") to `acl`. Errors name file:line. */
int conf_acl_parse(const char *file, const struct stmt *s, struct conf_acl *acl);
/* Free what an access list holds and empty it. */
void conf_acl_free(struct conf_acl *acl);

#endif
