/* acl.c -- addresses, networks and access lists: parsing and matching */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h> /* sockaddr_in, sockaddr_in6 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/internal.h"
#include "util/err.h"

/* Parse an address, "ADDR@PORT", "[V6]:PORT" or a network (conf.h). */
int
conf_addr_parse(const char *spec, uint16_t default_port, struct conf_addr *a)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *port = NULL, *slash;
	size_t hl;

	memset(a, 0, sizeof(*a));
	a->port = default_port;
	if (spec[0] == '[') {
		const char *e = strchr(spec, ']');
		if (e == NULL)
			return DNSD_ECONF;
		hl = (size_t)(e - spec - 1);
		if (hl >= sizeof(host))
			return DNSD_ECONF;
		memcpy(host, spec + 1, hl);
		host[hl] = '\0';
		if (e[1] == ':' || e[1] == '@')
			port = e + 2;
		else if (e[1] != '\0')
			return DNSD_ECONF;
	} else {
		const char *at = strchr(spec, '@');
		hl = at ? (size_t)(at - spec) : strlen(spec);
		if (hl >= sizeof(host))
			return DNSD_ECONF;
		memcpy(host, spec, hl);
		host[hl] = '\0';
		if (at)
			port = at + 1;
	}
	slash = strchr(host, '/');
	if (slash != NULL) {
		char *end;
		long p = strtol(slash + 1, &end, 10);
		/* "10.0.0.0/" is a typo, not /0 (which would match everyone). */
		if (end == slash + 1 || *end != '\0' || p < 0)
			return DNSD_ECONF;
		host[slash - host] = '\0';
		a->prefix = (unsigned)p;
	}
	if (inet_pton(AF_INET, host, a->addr) == 1) {
		a->family = AF_INET;
		if (slash == NULL)
			a->prefix = 32;
		if (a->prefix > 32)
			return DNSD_ECONF;
	} else if (inet_pton(AF_INET6, host, a->addr) == 1) {
		a->family = AF_INET6;
		if (slash == NULL)
			a->prefix = 128;
		if (a->prefix > 128)
			return DNSD_ECONF;
	} else {
		return DNSD_ECONF;
	}
	if (port != NULL) {
		char *end;
		long p = strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0' || p <= 0 || p > 65535)
			return DNSD_ECONF;
		a->port = (uint16_t)p;
	}
	return 0;
}

/* Match address bytes against the list, family by family (conf.h). */
bool
conf_acl_match_addr(const struct conf_acl *acl, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < acl->naddrs; i++) {
		const struct conf_addr *a = &acl->addrs[i];
		if (a->family != family)
			continue;
		unsigned bits = a->prefix, full = bits / 8, rest = bits % 8;
		if (memcmp(a->addr, addr, full) != 0)
			continue;
		if (rest != 0) {
			uint8_t mask = (uint8_t)(0xff << (8 - rest));
			if ((a->addr[full] & mask) != (addr[full] & mask))
				continue;
		}
		return true;
	}
	return false;
}

/* Match a socket's peer against the list (conf.h): each family against its
 * own entries, as the byte-level matcher does. */
bool
conf_acl_match_sockaddr(const struct conf_acl *acl, const struct sockaddr *peer)
{
	if (peer == NULL)
		return false;
	/* Copies: no assumption on how the caller's storage is aligned. */
	if (peer->sa_family == AF_INET) {
		struct sockaddr_in s4;
		memcpy(&s4, peer, sizeof(s4));
		return conf_acl_match_addr(acl, AF_INET, (const uint8_t *)&s4.sin_addr);
	}
	if (peer->sa_family == AF_INET6) {
		struct sockaddr_in6 s6;
		memcpy(&s6, peer, sizeof(s6));
		return conf_acl_match_addr(acl, AF_INET6, s6.sin6_addr.s6_addr);
	}
	return false;
}

/* Read an access list: addresses/networks and "key NAME" entries (internal.h). */
int
conf_acl_parse(const char *file, const struct stmt *s, struct conf_acl *acl)
{
	for (size_t i = 0; i < s->nargs; i++) {
		const char *v = s->args[i];
		if (strcmp(v, "key") == 0) {
			if (++i == s->nargs)
				return conf_bad(file, s, "'key' needs a key name");
			/* key_where grows first, so that it always has an entry
			 * for every key. */
			size_t nw = acl->nkeys;
			char *k = strdup(s->args[i]), *w = conf_where(file, s);
			if (k == NULL || w == NULL ||
			    conf_push((void **)&acl->key_where, &nw, sizeof(w), &w) != 0) {
				free(k);
				free(w);
				return -ENOMEM;
			}
			if (conf_push((void **)&acl->keys, &acl->nkeys, sizeof(k), &k) != 0) {
				free(k);
				free(w); /* key_where[nkeys]: past the entries that count */
				return -ENOMEM;
			}
			continue;
		}
		if (strcmp(v, "none") == 0)
			continue;
		struct conf_addr a;
		if (strcmp(v, "any") == 0) {
			conf_addr_parse("0.0.0.0/0", 0, &a);
			if (conf_push((void **)&acl->addrs, &acl->naddrs, sizeof(a), &a) != 0)
				return -ENOMEM;
			conf_addr_parse("::/0", 0, &a);
		} else if (strcmp(v, "localhost") == 0) {
			conf_addr_parse("127.0.0.0/8", 0, &a);
			if (conf_push((void **)&acl->addrs, &acl->naddrs, sizeof(a), &a) != 0)
				return -ENOMEM;
			conf_addr_parse("::1", 0, &a);
		} else if (conf_addr_parse(v, 0, &a) != 0) {
			return conf_bad(file, s, "bad address or network");
		}
		if (conf_push((void **)&acl->addrs, &acl->naddrs, sizeof(a), &a) != 0)
			return -ENOMEM;
	}
	return 0;
}

/* Free an access list's entries (internal.h). */
void
conf_acl_free(struct conf_acl *acl)
{
	free(acl->addrs);
	for (size_t i = 0; i < acl->nkeys; i++) {
		free(acl->keys[i]);
		free(acl->key_where[i]);
	}
	free(acl->keys);
	free(acl->key_where);
	memset(acl, 0, sizeof(*acl));
}
