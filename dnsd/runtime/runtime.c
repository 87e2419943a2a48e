/* runtime.c -- a generation of configuration, zones and keys, shared by
 * reference */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "conf/conf.h"
#include "keyring/keyring.h"
#include "runtime/runtime.h"

int
runtime_new(struct conf *c, unsigned generation, struct runtime **out)
{
	struct runtime *rt = calloc(1, sizeof(*rt));
	int rc;
	if (rt == NULL) {
		conf_free(c);
		free(c);
		return -ENOMEM;
	}
	rt->conf = c;
	rt->generation = generation;
	rt->refs = 1;
	if ((rc = zonetab_build(&rt->zones, c)) != 0 || (rc = keyring_new(c, &rt->keys)) != 0) {
		runtime_drop(rt);
		return rc;
	}
	*out = rt;
	return 0;
}

struct runtime *
runtime_hold(struct runtime *rt)
{
	__atomic_add_fetch(&rt->refs, 1, __ATOMIC_RELAXED);
	return rt;
}

void
runtime_drop(struct runtime *rt)
{
	if (rt == NULL || __atomic_sub_fetch(&rt->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	keyring_free(rt->keys);
	zonetab_free(&rt->zones);
	conf_free(rt->conf);
	free(rt->conf);
	free(rt);
}
