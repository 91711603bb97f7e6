/*
 * guest_clock.c - the minimum-delay filter of guest_clock.h: keep the
 * sample with the shortest round trip, aged by its age, and map guest
 * times through its offset.
 */
#include "guest_clock.h"

#include <string.h>

void hs_guest_clock_reset(struct hs_guest_clock *clock)
{
	memset(clock, 0, sizeof(*clock));
}

bool hs_guest_clock_sample(struct hs_guest_clock *clock, int64_t sent_ms, int64_t guest_ms,
			   int64_t received_ms)
{
	int64_t round_trip_ms = received_ms - sent_ms;
	int64_t kept_ms;

	if (round_trip_ms < 0)
		return false; /* not an answer to anything we sent */
	if (clock->valid) {
		kept_ms = clock->round_trip_ms +
			  (received_ms - clock->sampled_ms) * HS_GUEST_CLOCK_AGING_MS_PER_S / 1000;
		if (round_trip_ms > kept_ms)
			return false;
	}
	clock->valid = true;
	clock->offset_ms = sent_ms + round_trip_ms / 2 - guest_ms;
	clock->round_trip_ms = round_trip_ms;
	clock->sampled_ms = received_ms;
	return true;
}

int64_t hs_guest_clock_map(const struct hs_guest_clock *clock, int64_t guest_ms, int64_t arrived_ms)
{
	int64_t mapped_ms;

	if (!clock->valid)
		return arrived_ms;
	mapped_ms = guest_ms + clock->offset_ms;
	return mapped_ms < arrived_ms ? mapped_ms : arrived_ms;
}
