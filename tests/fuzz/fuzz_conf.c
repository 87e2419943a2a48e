/* fuzz_conf.c -- the configuration parser (lexer, settings table, access
 * lists, keys, includes) and its final checks on arbitrary text */
#include "config.h"

#include <stdint.h>

#include "conf/conf.h"
#include "fuzz_text.h"

/* Seeds for the deterministic driver (driver.c). */
const char *const fuzz_text_seeds[] = {
	"listen 127.0.0.1@5353\nworkers 2\nstore-size 64M\ntcp-client-limit 8 24 56\n"
	"key \"k\" { algorithm hmac-sha256; secret \"c2VjcmV0c2VjcmV0\"; allow-truncation yes; }\n"
	"zone \"svc.example.test\" { default-lease 1h; min-lease 60; max-lease 1d;\n"
	"  allow-update-unsigned 127.0.0.1 ::1/128; grant k subdomain _tcp SRV TXT;\n"
	"  allow-transfer key k; notify 127.0.0.2@53 key k; journal-size 100; }\n",
	"# comment\n/* block */ forward 192.0.2.1 [2001:db8::1]:53; forward-allow localhost;\n"
	"udp-coalesce 50 1000; answer-cache 4k; update-queue 10; update-queue-size 64k;\n"
	"transfer-max 2; transfer-timeout 1m; store-high-water 80; log-level debug\n",
	"include \"/dev/null\"; zone a.test { file \"/nonexistent\"; }\n",
};
const size_t fuzz_text_nseeds = sizeof(fuzz_text_seeds) / sizeof(fuzz_text_seeds[0]);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_text_file(data, size);
	struct conf c;
	conf_init(&c);
	if (conf_load(&c, path) == 0)
		(void)conf_finish(&c);
	conf_free(&c);
	return 0;
}
