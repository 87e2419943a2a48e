/* fuzz_text.h -- for harnesses whose input is a file (configuration, zone
 * file): each input is written to one memfd, read back through its
 * /proc/self/fd path, as dnsd reads a regular file; logging is off */
#ifndef DNSD_FUZZ_TEXT_H
#define DNSD_FUZZ_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Seeds of the deterministic driver (driver.c) for text harnesses. */
extern const char *const fuzz_text_seeds[];
extern const size_t fuzz_text_nseeds;

/* The path holding `data` (the same memfd each time). */
static const char *
fuzz_text_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		log_set_level(LOG_LVL_OFF);
	}
	if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

#endif
