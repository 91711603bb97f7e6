/*
 * vsched.c - the virtual backend's event queue (see vsched.h): a min-heap
 * of indexes into a fixed pool of events, ordered by (due_us, order), and
 * a free list; plus the seeded jitter.
 */
#include "vsched.h"

#include <stdlib.h>
#include <string.h>

struct hs_vsched {
	struct hs_vevent *pool;		     /* HS_VSCHED_EVENTS_MAX */
	uint32_t heap[HS_VSCHED_EVENTS_MAX]; /* pool indexes */
	size_t heap_count;
	uint32_t free_list[HS_VSCHED_EVENTS_MAX];
	size_t free_count;
	uint64_t next_order;
	uint64_t prng_state;
};

struct hs_vsched *hs_vsched_new(uint64_t seed)
{
	struct hs_vsched *sched = calloc(1, sizeof(*sched));

	if (!sched)
		return NULL;
	sched->pool = calloc(HS_VSCHED_EVENTS_MAX, sizeof(*sched->pool));
	if (!sched->pool) {
		free(sched);
		return NULL;
	}
	for (uint32_t i = 0; i < HS_VSCHED_EVENTS_MAX; i++)
		sched->free_list[i] = HS_VSCHED_EVENTS_MAX - 1 - i;
	sched->free_count = HS_VSCHED_EVENTS_MAX;
	/* A stream of its own: the seed mixed with a constant. */
	sched->prng_state = seed ^ 0x6a09e667f3bcc909ULL;
	return sched;
}

void hs_vsched_free(struct hs_vsched *sched)
{
	if (!sched)
		return;
	free(sched->pool);
	free(sched);
}

static bool vsched_before(const struct hs_vsched *sched, uint32_t a, uint32_t b)
{
	const struct hs_vevent *x = &sched->pool[a], *y = &sched->pool[b];

	return x->due_us < y->due_us || (x->due_us == y->due_us && x->order < y->order);
}

static void vsched_swap(struct hs_vsched *sched, size_t i, size_t j)
{
	uint32_t held = sched->heap[i];

	sched->heap[i] = sched->heap[j];
	sched->heap[j] = held;
}

struct hs_vevent *hs_vsched_push(struct hs_vsched *sched, int64_t due_us)
{
	struct hs_vevent *event;
	uint32_t index;
	size_t i;

	if (sched->free_count == 0)
		return NULL;
	index = sched->free_list[--sched->free_count];
	event = &sched->pool[index];
	event->due_us = due_us;
	event->order = sched->next_order++;
	event->kind = 0;
	event->target = event->code = 0;
	event->value = event->epoch = 0;
	event->length = 0;
	i = sched->heap_count++;
	sched->heap[i] = index;
	while (i > 0 && vsched_before(sched, sched->heap[i], sched->heap[(i - 1) / 2])) {
		vsched_swap(sched, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return event;
}

int64_t hs_vsched_next_us(const struct hs_vsched *sched)
{
	return sched->heap_count > 0 ? sched->pool[sched->heap[0]].due_us : -1;
}

struct hs_vevent *hs_vsched_pop_due(struct hs_vsched *sched, int64_t now_us)
{
	uint32_t first;
	size_t i = 0;

	if (sched->heap_count == 0 || sched->pool[sched->heap[0]].due_us > now_us)
		return NULL;
	first = sched->heap[0];
	sched->heap[0] = sched->heap[--sched->heap_count];
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, best = i;
		if (left < sched->heap_count &&
		    vsched_before(sched, sched->heap[left], sched->heap[best]))
			best = left;
		if (right < sched->heap_count &&
		    vsched_before(sched, sched->heap[right], sched->heap[best]))
			best = right;
		if (best == i)
			break;
		vsched_swap(sched, i, best);
		i = best;
	}
	return &sched->pool[first];
}

void hs_vsched_release(struct hs_vsched *sched, struct hs_vevent *event)
{
	sched->free_list[sched->free_count++] = (uint32_t)(event - sched->pool);
}

size_t hs_vsched_count(const struct hs_vsched *sched)
{
	return sched->heap_count;
}

/* splitmix64, as the fabric's generator. */
int64_t hs_vsched_jitter_us(struct hs_vsched *sched, uint32_t bound_us)
{
	uint64_t z = (sched->prng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return bound_us == 0 ? 0 : (int64_t)(z % ((uint64_t)bound_us + 1));
}
