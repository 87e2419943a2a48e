/* fuzz_update.c -- update_apply() (RFC 2136) on arbitrary UPDATE messages,
 * each in a transaction that is thrown away afterwards */
#include "config.h"

#include <stdlib.h>

#include "fuzz_common.h"
#include "testzone.h"
#include "update/update.h"

static struct testzone tz;
static int ready;

static void
teardown(void)
{
	testzone_close(&tz);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		struct testzone_src src = { "svc.example.test", fuzz_zone };
		if (testzone_open(&tz, &src, 1, 1000) != 0)
			abort();
		atexit(teardown);
		ready = 1;
	}
	struct query_req r;
	if (query_parse(data, size, &r, NULL) != 0)
		return 0;
	const struct zone *z = r.qdcount == 1 ? zonetab_find(&tz.zones, r.qname) : NULL;
	struct update_req u = { data, r.has_tsig ? r.tsig_offset : size, &r, z, NULL, 1000 };
	struct update_result res;
	struct store_txn *t;
	if (store_write_begin(tz.store, &t) != 0)
		abort();
	store_track_changes(t);
	(void)update_apply(t, &u, &res);
	store_abort(t);
	return 0;
}
