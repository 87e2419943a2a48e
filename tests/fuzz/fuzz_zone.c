/* fuzz_zone.c -- zone-file import (ldns parsing, $INCLUDE, $ORIGIN, $TTL,
 * our checks and encoding) on arbitrary text, without a store */
#include "config.h"

#include <stdint.h>

#include "fuzz_text.h"
#include "wire/wire.h"
#include "zone/zone.h"

const char *const fuzz_text_seeds[] = {
	"$ORIGIN svc.example.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 1209600 60\n"
	"@ NS ns1\nns1 A 127.0.0.1\nweb-1 AAAA 2001:db8::5\n_http._tcp SRV 10 60 8080 web-1\n"
	"_http._tcp PTR web-1._http._tcp\nweb-1._http._tcp TXT \"path=/\" \"a=b\"\n"
	"www CNAME web-1\n*.wild A 10.9.9.9\nlab NS ns.lab\nmx MX 10 web-1\n",
	"@ 60 IN SOA ns h ( 1 2 3\n 4 5 )\n@ NS ns.svc.example.test.\nx TYPE65280 \\# 2 abcd\n"
	"$INCLUDE /dev/null\n$TTL 1h\ny HINFO \"cpu\" \"os\"\n",
	"$ORIGIN sub\n@ SOA a b 1 1 1 1 1\n@ NS a\n$INCLUDE /proc/self/fd/0 other.\n",
};
const size_t fuzz_text_nseeds = sizeof(fuzz_text_seeds) / sizeof(fuzz_text_seeds[0]);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t apex[WIRE_NAME_MAX];
	if (apex[0] == 0 && wire_name_from_str("svc.example.test", apex) == 0)
		abort();
	(void)zone_check_file(fuzz_text_file(data, size), apex);
	return 0;
}
