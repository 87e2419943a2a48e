/* fuzz_query.c -- query_answer() on arbitrary bytes, over "UDP" and "TCP" */
#include "config.h"

#include <stdlib.h>

#include "fuzz_common.h"
#include "testzone.h"

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
	static uint8_t out[65535];
	if (!ready) {
		struct testzone_src src = { "svc.example.test", fuzz_zone };
		if (testzone_open(&tz, &src, 1, 1000) != 0)
			abort();
		atexit(teardown);
		ready = 1;
	}
	struct query_info info;
	/* The last byte picks the transport and the buffer size. */
	int tcp = size > 0 && (data[size - 1] & 1);
	size_t max = tcp ? sizeof(out) : 512 + (size > 0 ? (size_t)data[size - 1] * 4 : 0);
	size_t n = query_answer(&tz.ctx, data, size, out, max, tcp, 1000 + (size & 7), &info);
	if (n > max)
		abort();
	if (n > 0 && (n < 12 || out[0] != data[0] || out[1] != data[1]))
		abort(); /* every answer echoes the ID */
	return 0;
}
