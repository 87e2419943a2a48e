/* table.c -- the checks the checker follows: entries found by (instance
 * ID, check ID), and two heaps of deadlines over them (internal.h)
 *
 * An entry is in the hash (chained, a power of two of buckets, FNV-1a), in
 * `all` (for the scan's sweep; removal swaps the last one in) and in
 * either heap or not. The heaps are binary min-heaps of monotonic ms; each
 * entry knows its place in each, so a deadline moves or goes in O(log n).
 * The arrays grow together, so putting an entry in a heap never fails.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/internal.h"

int
table_init(struct table *t, size_t expect)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = 64;
	while (t->nbuckets < expect && t->nbuckets < (1u << 20))
		t->nbuckets *= 2;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets != NULL ? 0 : -ENOMEM;
}

void
table_free(struct table *t)
{
	while (t->n > 0)
		table_remove(t, t->all[t->n - 1]);
	free(t->buckets);
	free(t->all);
	for (int h = 0; h < H_N; h++)
		free(t->heap[h]);
	memset(t, 0, sizeof(*t));
}

static size_t
bucket(const struct table *t, const char *inst, const char *id)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const char *p = inst; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;   /* a byte no ID holds */
	for (const char *p = id; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	return (size_t)h & (t->nbuckets - 1);
}

struct entry *
table_lookup(const struct table *t, const char *inst, const char *id)
{
	struct entry *e = t->buckets[bucket(t, inst, id)];
	while (e != NULL && (strcmp(e->inst, inst) != 0 || strcmp(e->id, id) != 0))
		e = e->hnext;
	return e;
}

static int
grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct entry **all = realloc(t->all, cap * sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	t->all = all;
	for (int h = 0; h < H_N; h++) {
		struct entry **v = realloc(t->heap[h], cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		t->heap[h] = v;
	}
	t->cap = cap;
	return 0;
}

struct entry *
table_add(struct table *t, const char *inst, const char *id)
{
	struct entry *e;
	if ((t->n == t->cap && grow(t) != 0) || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	snprintf(e->inst, sizeof(e->inst), "%s", inst);
	snprintf(e->id, sizeof(e->id), "%s", id);
	for (int h = 0; h < H_N; h++)
		e->hidx[h] = TABLE_NOT_IN;
	size_t b = bucket(t, e->inst, e->id);
	e->hnext = t->buckets[b];
	t->buckets[b] = e;
	e->pos = t->n;
	t->all[t->n++] = e;
	return e;
}

void
table_remove(struct table *t, struct entry *e)
{
	for (int h = 0; h < H_N; h++)
		table_unset(t, h, e);
	struct entry **p = &t->buckets[bucket(t, e->inst, e->id)];
	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	t->all[e->pos] = t->all[--t->n];
	t->all[e->pos]->pos = e->pos;
	free(e);
}

/* ---- the heaps ---- */

static void
place(struct table *t, int h, size_t i, struct entry *e)
{
	t->heap[h][i] = e;
	e->hidx[h] = i;
}

static void
sift_up(struct table *t, int h, size_t i)
{
	struct entry *e = t->heap[h][i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (t->heap[h][parent]->hkey[h] <= e->hkey[h])
			break;
		place(t, h, i, t->heap[h][parent]);
		i = parent;
	}
	place(t, h, i, e);
}

static void
sift_down(struct table *t, int h, size_t i)
{
	struct entry *e = t->heap[h][i];
	size_t n = t->hn[h];
	for (;;) {
		size_t k = 2 * i + 1;
		if (k >= n)
			break;
		if (k + 1 < n && t->heap[h][k + 1]->hkey[h] < t->heap[h][k]->hkey[h])
			k++;
		if (e->hkey[h] <= t->heap[h][k]->hkey[h])
			break;
		place(t, h, i, t->heap[h][k]);
		i = k;
	}
	place(t, h, i, e);
}

void
table_set(struct table *t, int h, struct entry *e, uint64_t at)
{
	e->hkey[h] = at;
	if (e->hidx[h] == TABLE_NOT_IN) {
		place(t, h, t->hn[h]++, e);
		sift_up(t, h, e->hidx[h]);
		return;
	}
	sift_up(t, h, e->hidx[h]);
	sift_down(t, h, e->hidx[h]);
}

void
table_unset(struct table *t, int h, struct entry *e)
{
	size_t i = e->hidx[h];
	if (i == TABLE_NOT_IN)
		return;
	e->hidx[h] = TABLE_NOT_IN;
	struct entry *last = t->heap[h][--t->hn[h]];
	if (last == e)
		return;
	place(t, h, i, last);
	sift_up(t, h, i);
	sift_down(t, h, last->hidx[h]);
}

struct entry *
table_first(const struct table *t, int h)
{
	return t->hn[h] > 0 ? t->heap[h][0] : NULL;
}
