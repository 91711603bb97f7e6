/*
 * clock.c - the runner's virtual clock: one round of the virtual loop.
 *
 * A real-time backend (native, libvirt) runs under CLOCK_MONOTONIC and
 * poll() (run.c). A virtual-time backend has no fd to wait for: a round
 * jumps the clock straight to the earliest deadline of
 *   - the steps (hs_steps_next_ms),
 *   - the client (next request, or the timeout of the one in flight),
 *   - the fabric (a delayed frame),
 *   - the backend (a frame reaching a node, a node's timer),
 *   - an operation's deadline (a backend that never reported),
 *   - the round's limit (the end of the run, the scenario's timeout),
 * and runs what is due there, always in this order: the fabric's delayed
 * frames, the backend's events, the backend's reports, the client, the
 * nodes' cluster logs (when a node wrote), the steps (and the reports of
 * what they asked). Nothing sleeps, so a run takes as long as its
 * computation; the same seed gives the same order, hence the same files.
 *
 * The clock counts microseconds (run->virtual_now_us): the backend spreads
 * its events over the millisecond with a seeded jitter so that two events
 * never tie by accident, while the runner, the fabric and every file see
 * whole milliseconds (now_us / 1000).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../fabric/fabric.h"
#include "run.h"

static int64_t clock_earliest(int64_t a_us, int64_t b_us)
{
	if (a_us < 0)
		return b_us;
	if (b_us < 0)
		return a_us;
	return a_us < b_us ? a_us : b_us;
}

/* The time of the next thing due, never later than limit_ms. */
static int64_t clock_next_us(struct hs_run *run, int64_t limit_ms)
{
	int64_t step_ms = hs_steps_next_ms(run), client_ms = hs_client_next_ms(run);
	int64_t fabric_ms = hs_fabric_deadline_ms(run->fabric), op_ms = hs_run_ops_next_ms(run);
	int64_t next_us = limit_ms * 1000;

	next_us = clock_earliest(next_us, step_ms >= 0 ? step_ms * 1000 : -1);
	next_us = clock_earliest(next_us, client_ms >= 0 ? client_ms * 1000 : -1);
	next_us = clock_earliest(next_us, fabric_ms >= 0 ? fabric_ms * 1000 : -1);
	next_us = clock_earliest(next_us, op_ms >= 0 ? op_ms * 1000 : -1);
	next_us = clock_earliest(next_us, run->backend->virtual_time->next_us(run));
	return next_us;
}

int hs_run_virtual_round(struct hs_run *run, int64_t limit_ms, char *error, size_t error_size)
{
	int64_t next_us = clock_next_us(run, limit_ms), now_ms;

	if (next_us > run->virtual_now_us) {
		run->virtual_now_us = next_us;
		run->virtual_rounds_same_time = 0;
	} else if (++run->virtual_rounds_same_time > HS_VIRTUAL_SAME_TIME_ROUNDS_MAX) {
		snprintf(error, error_size,
			 "virtual time stalled at %lld ms: something stays due (step %lld, client "
			 "%lld, fabric %lld, backend %lld us)",
			 (long long)(run->virtual_now_us / 1000 - run->t0_ms),
			 (long long)hs_steps_next_ms(run), (long long)hs_client_next_ms(run),
			 (long long)hs_fabric_deadline_ms(run->fabric),
			 (long long)run->backend->virtual_time->next_us(run));
		return -1;
	}
	now_ms = run->virtual_now_us / 1000;
	hs_fabric_timers_run(run->fabric, now_ms);
	run->backend->virtual_time->run_due(run, run->virtual_now_us);
	hs_run_reports_take(run, now_ms);
	hs_client_due(run, now_ms);
	if (run->logs_dirty) {
		run->logs_dirty = false;
		hs_nodelog_follow(run, now_ms);
	}
	hs_steps_fire_due(run, now_ms);
	hs_run_reports_take(run, now_ms);
	return 0;
}

/* BLAKE2b of a fixed label and the seed: the same seed, the same key, and
 * so the same authenticated bytes on every run. */
void hs_run_virtual_key(uint64_t seed, uint8_t key[32])
{
	char label[64];
	int length = snprintf(label, sizeof(label), "halab virtual cluster key, seed %llu",
			      (unsigned long long)seed);

	crypto_generichash(key, 32, (const unsigned char *)label, (size_t)length, NULL, 0);
}
