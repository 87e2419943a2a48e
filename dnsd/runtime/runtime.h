/* runtime.h -- one generation of what the threads serve with: the
 * configuration, the zone table built from it and its key ring
 *
 * A runtime is built whole from one configuration, never changes, and is
 * shared by reference: each thread module holds its own reference and
 * drops it when it switches to a newer generation (a configuration
 * reload) or stops. Nothing on the query path counts references: a module
 * takes a new generation at a point of its own choosing (a UDP worker
 * between batches), so readers never lock.
 */
#ifndef DNSD_RUNTIME_RUNTIME_H
#define DNSD_RUNTIME_RUNTIME_H

#include <stdint.h>

#include "zone/zone.h"

struct conf;
struct keyring;

struct runtime {
	struct conf *conf;      /* owned */
	struct zonetab zones;   /* zone ids are filled in when the zones are opened */
	struct keyring *keys;
	unsigned generation;    /* 1 for the first, counting reloads */
	unsigned refs;          /* atomic; see runtime_hold */
};

/*
 * Build a runtime from a loaded, checked configuration, which it takes
 * over (freed with the runtime, also on failure). The zones are not yet
 * opened in the store (zone_open_all does that, in the thread that
 * writes). Returns 0 with one reference held by the caller.
 */
int runtime_new(struct conf *c, unsigned generation, struct runtime **out);

/* Take another reference; returns `rt`. Thread-safe. */
struct runtime *runtime_hold(struct runtime *rt);
/* Drop a reference; the last frees everything (NULL is fine). */
void runtime_drop(struct runtime *rt);

#endif
