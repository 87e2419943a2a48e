/* driver.c -- run a fuzz harness without libFuzzer: over the files named
 * on the command line, then over N deterministic mutations of a few seed
 * messages. `make check` runs every harness this way (a smoke test); build
 * with --enable-fuzzers (clang) for real coverage-guided fuzzing. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* Seeds: a query, an UPDATE, an EDNS query, an IXFR query, an EDNS query
 * with a client cookie, NSID and DO, one with a client and a server
 * cookie. */
static const uint8_t seeds[][80] = {
	{ 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'w', 'e', 'b', '-', '1', 3, 's',
	  'v', 'c', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 },
	{ 0x12, 0x35, 0x28, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 3, 's', 'v', 'c', 7, 'e', 'x', 'a', 'm',
	  'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 6, 0, 1, 3, 'n', 'e', 'w', 0xc0, 12, 0, 1, 0,
	  1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 9 },
	{ 0x12, 0x36, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, 3, 'w', 'w', 'w', 3, 's', 'v', 'c', 7,
	  'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 255, 0, 1, 0, 0, 41,
	  4, 0, 0, 0, 0, 0, 0, 0 },
	{ 0x12, 0x37, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'x', 4, 'w', 'i', 'l', 'd', 3, 's',
	  'v', 'c', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 33, 0, 1 },
	{ 0x12, 0x38, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, 5, '_', 'H', 't', 'T', 'p', 4, '_', 't',
	  'c', 'p', 3, 's', 'v', 'c', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't',
	  0, 0, 12, 0, 1, 0, 0, 41, 4, 0xd0, 0, 0, 0x80, 0, 0, 16, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6,
	  7, 8, 0, 3, 0, 0 },
	{ 0x12, 0x39, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 1, 5, 'w', 'e', 'b', '-', '1', 3, 's', 'v',
	  'c', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1, 0, 0,
	  41, 2, 0, 0, 0, 0, 0, 0, 28, 0, 10, 0, 24, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 0, 0, 0, 0, 3,
	  0xe8, 9, 9, 9, 9, 9, 9, 9, 9 },
};
static const size_t seed_len[] = { 40, 54, 49, 41, 72, 79 };

/* A harness whose input is text (a configuration, a zone file) names its
 * own seeds; the others take the DNS messages above. */
extern const char *const fuzz_text_seeds[] __attribute__((weak));
extern const size_t fuzz_text_nseeds __attribute__((weak));

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

int
main(int argc, char **argv)
{
	long rounds = 20000;
	int files = 0;
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-runs=", 6) == 0) {
			rounds = atol(argv[i] + 6);
			continue;
		}
		FILE *f = fopen(argv[i], "rb");
		if (f == NULL)
			continue;
		static uint8_t buf[65536];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		files++;
	}
	static uint8_t m[4096];
	const char *save = getenv("FUZZ_SAVE");
	bool text = &fuzz_text_nseeds != NULL && fuzz_text_nseeds > 0;
	size_t nseeds = text ? fuzz_text_nseeds : sizeof(seeds) / sizeof(seeds[0]);
	for (long r = 0; r < rounds; r++) {
		size_t s = next() % nseeds;
		size_t len = text ? strlen(fuzz_text_seeds[s]) : seed_len[s];
		if (len > sizeof(m))
			len = sizeof(m);
		memcpy(m, text ? (const uint8_t *)fuzz_text_seeds[s] : seeds[s], len);
		/* flip, overwrite, truncate or extend */
		unsigned edits = 1 + next() % 4;
		for (unsigned e = 0; e < edits; e++) {
			switch (next() % (text ? 5 : 4)) {
			case 0: m[next() % len] ^= (uint8_t)(1u << (next() % 8)); break;
			case 1: m[next() % len] = (uint8_t)next(); break;
			case 2: len = 1 + next() % len; break;
			case 3:
				while (len < sizeof(m) && next() % 4 != 0)
					m[len++] = (uint8_t)next();
				break;
			case 4: { /* text: a piece of the grammar somewhere */
				static const char *const tok[] = { "{", "}", ";", "\"", "\n", "(",
					")", "\\", "$INCLUDE ", "include ", "#", "/*", "*/", " 4294967296",
					"@", ".", "\\# 65535 ", "$ORIGIN .\n", "zone x {" };
				const char *t = tok[next() % (sizeof(tok) / sizeof(tok[0]))];
				size_t tl = strlen(t), at = next() % (len + 1);
				if (len + tl <= sizeof(m)) {
					memmove(m + at + tl, m + at, len - at);
					memcpy(m + at, t, tl);
					len += tl;
				}
				break;
			}
			}
		}
		if (save != NULL) { /* FUZZ_SAVE=FILE: the input under test, for a hang */
			FILE *f = fopen(save, "wb");
			if (f != NULL) {
				fwrite(m, 1, len, f);
				fclose(f);
			}
		}
		LLVMFuzzerTestOneInput(m, len);
	}
	printf("%d files, %ld mutated inputs: no crash\n", files, rounds);
	return 0;
}
