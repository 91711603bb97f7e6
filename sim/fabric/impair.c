/*
 * impair.c - the fabric's seeded PRNG and its bounded delay queue.
 *
 * All random choices of a run come from one splitmix64 generator seeded at
 * creation, so a run with the same seed and the same traffic drops,
 * duplicates and jitters exactly the same frames. splitmix64 is tiny, has
 * no bad seeds (0 included) and passes BigCrush, which is plenty here.
 *
 * Frames that must wait (delayed on a cable, or deferred because libslirp
 * produced them while we were calling into it) sit in a min-heap ordered
 * by due time and then by insertion order, so equal due times stay FIFO.
 * The heap has a fixed capacity; a push into a full heap fails and the
 * caller counts the drop.
 */
#include "fabric_int.h"

#include <string.h>

uint64_t hs_prng_next(struct hs_fabric *fabric)
{
	uint64_t z = (fabric->prng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* True with probability pct percent. Draws only when 0 < pct < 100, so a
 * perfect cable consumes no randomness and does not shift other choices. */
bool hs_prng_chance(struct hs_fabric *fabric, double pct)
{
	double unit;

	if (pct <= 0)
		return false;
	if (pct >= 100)
		return true;
	unit = (double)(hs_prng_next(fabric) >> 11) * (1.0 / 9007199254740992.0);
	return unit * 100.0 < pct;
}

static bool hs_queue_before(const struct hs_queued_frame *a, const struct hs_queued_frame *b)
{
	return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void hs_queue_swap(struct hs_fabric *fabric, size_t i, size_t j)
{
	struct hs_queued_frame tmp;

	/* Only the used prefix of the data is moved: frames are mostly small. */
	memcpy(&tmp, &fabric->queue[i],
	       offsetof(struct hs_queued_frame, data) + fabric->queue[i].length);
	memcpy(&fabric->queue[i], &fabric->queue[j],
	       offsetof(struct hs_queued_frame, data) + fabric->queue[j].length);
	memcpy(&fabric->queue[j], &tmp, offsetof(struct hs_queued_frame, data) + tmp.length);
}

int hs_queue_push(struct hs_fabric *fabric, const struct hs_queued_frame *frame)
{
	size_t i = fabric->queue_count;

	if (fabric->queue_count >= fabric->config.delay_queue_max)
		return -1;
	memcpy(&fabric->queue[i], frame, offsetof(struct hs_queued_frame, data) + frame->length);
	fabric->queue[i].seq = fabric->queue_seq++;
	fabric->queue_count++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!hs_queue_before(&fabric->queue[i], &fabric->queue[parent]))
			break;
		hs_queue_swap(fabric, i, parent);
		i = parent;
	}
	return 0;
}

const struct hs_queued_frame *hs_queue_peek(const struct hs_fabric *fabric)
{
	return fabric->queue_count > 0 ? &fabric->queue[0] : NULL;
}

void hs_queue_pop(struct hs_fabric *fabric, struct hs_queued_frame *out)
{
	size_t i = 0;
	size_t last;

	memcpy(out, &fabric->queue[0],
	       offsetof(struct hs_queued_frame, data) + fabric->queue[0].length);
	last = --fabric->queue_count;
	if (last == 0)
		return;
	memcpy(&fabric->queue[0], &fabric->queue[last],
	       offsetof(struct hs_queued_frame, data) + fabric->queue[last].length);
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, best = i;

		if (left < last && hs_queue_before(&fabric->queue[left], &fabric->queue[best]))
			best = left;
		if (right < last && hs_queue_before(&fabric->queue[right], &fabric->queue[best]))
			best = right;
		if (best == i)
			break;
		hs_queue_swap(fabric, i, best);
		i = best;
	}
}
