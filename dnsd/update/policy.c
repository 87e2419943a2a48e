/* policy.c -- which names and types an update's key may change: the
 * zone's grant statements (dnsd.conf(5), "grant") */
#include "config.h"

#include <string.h>

#include "conf/conf.h"
#include "update/update.h"
#include "wire/wire.h"
#include "zone/zone.h"

/* A grant name or the key's own name, made absolute within the zone. */
static void
absolute_in_zone(const uint8_t *name, const struct zone *z, uint8_t *out)
{
	size_t n = wire_name_len(name);
	if (wire_name_is_subdomain(name, z->apex) || n + z->apex_len - 1 > WIRE_NAME_MAX) {
		memcpy(out, name, n);
		return;
	}
	memcpy(out, name, n - 1);
	memcpy(out + n - 1, z->apex, z->apex_len);
}

static bool
grant_matches_name(const struct conf_grant *g, const struct update_req *u, const uint8_t *name)
{
	uint8_t target[WIRE_NAME_MAX];
	switch (g->match) {
	case MATCH_ZONE:
		return true;
	case MATCH_NAME:
		absolute_in_zone(g->name, u->zone, target);
		return wire_name_equal(name, target);
	case MATCH_SUBDOMAIN:
		absolute_in_zone(g->name, u->zone, target);
		return wire_name_is_subdomain(name, target);
	case MATCH_WILDCARD: {
		absolute_in_zone(g->name, u->zone, target);
		/* "*.x" matches names strictly below x */
		const uint8_t *base = target;
		if (target[0] == 1 && target[1] == '*')
			base = target + 2;
		return wire_name_is_subdomain(name, base) && !wire_name_equal(name, base);
	}
	case MATCH_SELF_SUB:
		if (u->key == NULL)
			return false;
		absolute_in_zone(u->key->name_wire, u->zone, target);
		return wire_name_is_subdomain(name, target);
	}
	return false;
}

static bool
grant_matches_type(const struct conf_grant *g, uint16_t type)
{
	if (g->ntypes == 0)
		return type != RR_SOA && type != RR_NS;
	for (size_t i = 0; i < g->ntypes; i++)
		if (g->types[i] == type || g->types[i] == RR_ANY)
			return true;
	return false;
}

/* (update.h) RFC 2136 3.3 leaves the policy to the server: no grants
 * means any configured key may change the zone; unsigned updates get here
 * only from allow-update-unsigned addresses. */
bool
update_grants_allow(const struct update_req *u, const uint8_t *name, uint16_t type)
{
	const struct conf_zone *cz = u->zone->conf;
	if (cz->ngrants == 0 || u->key == NULL)
		return true;
	for (size_t i = 0; i < cz->ngrants; i++) {
		const struct conf_grant *g = &cz->grants[i];
		if (g->key != NULL) {
			uint8_t kn[WIRE_NAME_MAX];
			if (wire_name_from_str(g->key, kn) == 0 || !wire_name_equal(kn, u->key->name_wire))
				continue;
		}
		if (grant_matches_name(g, u, name) &&
		    (type == RR_ANY || grant_matches_type(g, type)))
			return true;
	}
	return false;
}

bool
update_policy_allows(const struct zone *z, const struct conf_key *key, const uint8_t *name,
    uint16_t type)
{
	struct update_req u = { .zone = z, .key = key };
	return wire_name_is_subdomain(name, z->apex) && update_grants_allow(&u, name, type);
}
