/*
 * swarm_int.h - what swarm's files share beyond swarm.h: the lab's faults
 * replayed from a run (faults.c) for the properties (property.c).
 */
#ifndef HS_SWARM_INT_H
#define HS_SWARM_INT_H

#include "check.h"
#include "swarm.h"
#include "timeline.h"

#define HS_SWARM_WINDOWS_MAX 32

/* A stretch in which the nodes could not hear each other (both networks
 * degraded); end_ms INT64_MAX while it lasts to the end. */
struct hs_swarm_window {
	int64_t start_ms, end_ms;
	uint32_t delay_ms; /* largest impairment latency + jitter in it */
};

struct hs_swarm_faults {
	uint32_t window_count;
	struct hs_swarm_window windows[HS_SWARM_WINDOWS_MAX];
	int64_t healed_ms;   /* the last step or fence that changed the lab (0: none) */
	bool healthy_at_end; /* every node powered and running, nothing broken */
	bool disbanded;	     /* a disband step was carried out */
	bool firmware_changed;
	uint32_t max_delay_ms;
	uint32_t steps_failed;
	uint64_t failed_steps; /* bit per scenario step index */
	char first_step_error[HS_SWARM_MESSAGE_MAX];
};

void hs_swarm_faults_replay(const struct hs_scenario *scenario,
			    const struct hs_check_result *result, struct hs_swarm_faults *faults);

#endif
