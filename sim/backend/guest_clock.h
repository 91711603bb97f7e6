/*
 * guest_clock.h - a guest's monotonic clock mapped onto hasim's, so that
 * the cluster log lines of two guests are ordered by when they happened
 * and not by when their lines crossed the agent channels (under TCG that
 * differs by tens of ms, enough to show two actives that never were).
 *
 * hasim asks the guest's agent for its clock now and then (SYNC); one
 * sample says the guest read guest_ms somewhere between sent_ms and
 * received_ms on hasim's clock, so offset = midpoint - guest_ms, within
 * half the round trip. The sample with the shortest round trip is kept
 * (NTP's minimum-delay filter); a kept sample ages by
 * HS_GUEST_CLOCK_AGING_MS_PER_S of round trip per second, so that newer
 * samples replace it as the two clocks drift apart. Pure: no I/O.
 */
#ifndef HS_GUEST_CLOCK_H
#define HS_GUEST_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define HS_GUEST_CLOCK_AGING_MS_PER_S 1

struct hs_guest_clock {
	bool valid;
	int64_t offset_ms;     /* hasim's time = guest's time + offset_ms */
	int64_t round_trip_ms; /* of the sample kept: the offset is known to +-half of it */
	int64_t sampled_ms;    /* when that sample came back */
};

/* Forget every sample (the guest rebooted: its clock started again). */
void hs_guest_clock_reset(struct hs_guest_clock *clock);

/* One sample: asked at sent_ms, the guest answered guest_ms, back at
 * received_ms (both on hasim's clock). Returns true if it was kept. */
bool hs_guest_clock_sample(struct hs_guest_clock *clock, int64_t sent_ms, int64_t guest_ms,
			   int64_t received_ms);

/* The time on hasim's clock of what the guest stamped guest_ms and hasim
 * received at arrived_ms: never later than arrived_ms (nothing happens
 * after it was heard of); arrived_ms itself while there is no sample. */
int64_t hs_guest_clock_map(const struct hs_guest_clock *clock, int64_t guest_ms,
			   int64_t arrived_ms);

#endif
