/*
 * vsched.h - the virtual backend's event queue and its jitter.
 *
 * Everything that happens to a virtual node between two of the runner's
 * instants is an event here: a frame reaching a NIC, a carrier change, the
 * end of a command (fence, notify hook), a boot or a daemon start. Events
 * are ordered by their time in microseconds and, at equal times, by the
 * order they were queued, so a run is a pure function of its seed.
 *
 * Real processes never act at exactly the same microsecond: a frame takes
 * some time through a NIC and a kernel, a timer fires a little late. The
 * backend draws these delays from the queue's own seeded generator
 * (splitmix64; a stream separate from the fabric's, so that jitter never
 * shifts which frames an impairment drops): hs_vsched_jitter_us(bound)
 * gives 0..bound. The queue is bounded (HS_VSCHED_EVENTS_MAX); a push into
 * a full queue fails and the caller counts the loss.
 */
#ifndef HS_VSCHED_H
#define HS_VSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vframe.h"

#define HS_VSCHED_EVENTS_MAX 4096
#define HS_VSCHED_DATA_MAX   1536 /* a frame (HS_FABRIC_FRAME_MAX) or a short text */

enum hs_vevent_kind {
	HS_VEVENT_FRAME = 1, /* data reaches fabric endpoint `target` */
	HS_VEVENT_CARRIER,   /* endpoint `target`'s carrier is now `code` (0/1) */
	HS_VEVENT_CALL,	     /* the backend's own: node `target`, what `code`, `value` */
};

struct hs_vevent {
	int64_t due_us;
	uint64_t order;
	enum hs_vevent_kind kind;
	int target;
	int code;
	uint64_t value;
	uint64_t epoch; /* the target's life when queued; stale ones are dropped */
	uint16_t length;
	uint8_t data[HS_VSCHED_DATA_MAX];
};

struct hs_vsched;

struct hs_vsched *hs_vsched_new(uint64_t seed);
void hs_vsched_free(struct hs_vsched *sched); /* NULL-safe */

/* A new event due at due_us, to fill in (kind, target, ...); NULL when the
 * queue is full. It is queued at once: fill it before the next call. */
struct hs_vevent *hs_vsched_push(struct hs_vsched *sched, int64_t due_us);
/* The time of the first event, or -1. */
int64_t hs_vsched_next_us(const struct hs_vsched *sched);
/* The first event if it is due at or before now_us, else NULL. The event
 * stays valid (new pushes do not reuse it) until hs_vsched_release. */
struct hs_vevent *hs_vsched_pop_due(struct hs_vsched *sched, int64_t now_us);
void hs_vsched_release(struct hs_vsched *sched, struct hs_vevent *event);
size_t hs_vsched_count(const struct hs_vsched *sched);

/* Uniform in 0..bound_us, from the queue's seeded generator. */
int64_t hs_vsched_jitter_us(struct hs_vsched *sched, uint32_t bound_us);

#endif
