/*
 * shrink.c - a failing schedule -> a small one that fails the same way.
 *
 * Delta debugging (Zeller and Hildebrandt, "Simplifying and isolating
 * failure-inducing input", TSE 2002) with the schedule's seed fixed, and
 * "fails" meaning: the run violates the same property. Passes, in order:
 *
 *   0. the steps that failed in the run (a command the node refused) go
 *      first: a reproducer should fail only on its property, and a refused
 *      command changed nothing (if the failure needs one, it stays and the
 *      rest of the shrink may keep refused steps);
 *   1. ddmin over the steps: try each of n chunks alone, then each
 *      complement, doubling n up to one step per chunk;
 *   2. the delays: each gap between a step and the one before it (the
 *      first: since `formed`) shrinks by halving, moving the later steps
 *      with it, so the schedule gets shorter without changing its order;
 *   3. the impairment values: each of loss, latency, jitter and duplicate
 *      of an impair step towards zero (at least one stays non-zero).
 *
 * Every candidate is a complete schedule run from the start; steps keep
 * their names, so a shrunk reproducer still says which step of the
 * original it is. The budget bounds the runs; what is left when it runs
 * out is still a failing schedule, just not a minimal one.
 */
#include <string.h>

#include "swarm.h"

struct shrink_state {
	struct hs_swarm_runner *runner;
	enum hs_swarm_property property;
	const char *topology_dir;
	uint32_t max_runs;
	bool require_clean; /* candidates must have no failed step */
	struct hs_swarm_shrink_stats *stats;
	struct hs_swarm_schedule candidate;
};

/* Whether schedule fails the property (and, if required, no step of it
 * failed). Counts against the budget; false once it is spent. */
static bool shrink_test(struct shrink_state *state, const struct hs_swarm_schedule *schedule)
{
	struct hs_swarm_verdict verdict;
	char error[512];

	if (state->stats->runs >= state->max_runs) {
		state->stats->budget_exhausted = true;
		return false;
	}
	state->stats->runs++;
	if (hs_swarm_run_schedule(state->runner, schedule, state->topology_dir, &verdict, error,
				  sizeof(error)) < 0)
		return false;
	return verdict.violations[state->property].violated &&
	       (!state->require_clean || verdict.failed_steps == 0);
}

/* candidate = schedule with only the steps whose bit is set in keep. */
static void schedule_subset(const struct hs_swarm_schedule *schedule, uint64_t keep,
			    struct hs_swarm_schedule *candidate)
{
	uint32_t count = 0;

	*candidate = *schedule;
	for (uint32_t i = 0; i < schedule->step_count; i++)
		if (keep & (1ull << i))
			candidate->steps[count++] = schedule->steps[i];
	candidate->step_count = count;
}

static uint64_t all_steps(uint32_t count)
{
	return count >= 64 ? ~0ull : (1ull << count) - 1;
}

/* The steps of chunk `index` of `chunks` (as a mask over step_count). */
static uint64_t chunk_mask(uint32_t step_count, uint32_t chunks, uint32_t index)
{
	uint32_t start = step_count * index / chunks, end = step_count * (index + 1) / chunks;
	uint64_t mask = 0;

	for (uint32_t i = start; i < end; i++)
		mask |= 1ull << i;
	return mask;
}

static bool try_keep(struct shrink_state *state, struct hs_swarm_schedule *schedule, uint64_t keep)
{
	schedule_subset(schedule, keep, &state->candidate);
	if (!shrink_test(state, &state->candidate))
		return false;
	*schedule = state->candidate;
	return true;
}

static void ddmin_steps(struct shrink_state *state, struct hs_swarm_schedule *schedule)
{
	uint32_t chunks = 2;

	if (schedule->step_count > 0 && try_keep(state, schedule, 0))
		return;
	while (schedule->step_count >= 2 && !state->stats->budget_exhausted) {
		uint32_t count = schedule->step_count;
		bool reduced = false;
		if (chunks > count)
			chunks = count;
		for (uint32_t i = 0; i < chunks && !reduced; i++)
			reduced = try_keep(state, schedule, chunk_mask(count, chunks, i));
		for (uint32_t i = 0; i < chunks && !reduced && chunks > 2; i++)
			reduced = try_keep(state, schedule,
					   all_steps(count) & ~chunk_mask(count, chunks, i));
		if (reduced) {
			chunks = chunks > 2 ? chunks - 1 : 2;
			continue;
		}
		if (chunks >= count)
			break;
		chunks = chunks * 2 < count ? chunks * 2 : count;
	}
	/* One step left: perhaps none is needed at all (tried above). */
}

/* The gap before step index shrinks by delta: it and every later step
 * move earlier. */
static void gap_shrink(const struct hs_swarm_schedule *schedule, uint32_t index, uint32_t delta,
		       struct hs_swarm_schedule *candidate)
{
	*candidate = *schedule;
	for (uint32_t i = index; i < candidate->step_count; i++)
		candidate->steps[i].when.delay_ms -= delta;
}

static void shrink_delays(struct shrink_state *state, struct hs_swarm_schedule *schedule)
{
	for (uint32_t i = 0; i < schedule->step_count && !state->stats->budget_exhausted; i++) {
		uint32_t previous = i > 0 ? schedule->steps[i - 1].when.delay_ms : 0;
		uint32_t gap = schedule->steps[i].when.delay_ms - previous;
		/* Binary search for the smallest gap that still fails. */
		uint32_t low = 0, high = gap;
		while (low < high && !state->stats->budget_exhausted) {
			uint32_t middle = low + (high - low) / 2;
			gap_shrink(schedule, i, gap - middle, &state->candidate);
			if (shrink_test(state, &state->candidate))
				high = middle;
			else
				low = middle + 1;
			if (high - low < 50) /* whole 50 ms are enough for a reader */
				break;
		}
		if (high < gap) {
			gap_shrink(schedule, i, gap - high, &state->candidate);
			*schedule = state->candidate;
		}
	}
}

static uint32_t *impair_value(struct hs_step *step, int which)
{
	switch (which) {
	case 0:
		return &step->loss_pct;
	case 1:
		return &step->delay_ms;
	case 2:
		return &step->jitter_ms;
	default:
		return &step->duplicate_pct;
	}
}

static bool impair_valid(const struct hs_step *step)
{
	return step->loss_pct || step->delay_ms || step->duplicate_pct;
}

static void shrink_impairments(struct shrink_state *state, struct hs_swarm_schedule *schedule)
{
	for (uint32_t i = 0; i < schedule->step_count && !state->stats->budget_exhausted; i++) {
		if (schedule->steps[i].action != HS_ACTION_IMPAIR)
			continue;
		for (int which = 0; which < 4; which++) {
			/* Zero first, then halves, while it still fails. */
			for (int attempt = 0; attempt < 6 && !state->stats->budget_exhausted;
			     attempt++) {
				uint32_t value = *impair_value(&schedule->steps[i], which);
				if (value == 0)
					break;
				state->candidate = *schedule;
				*impair_value(&state->candidate.steps[i], which) =
				    attempt == 0 ? 0 : value / 2;
				if (!impair_valid(&state->candidate.steps[i]) ||
				    !shrink_test(state, &state->candidate)) {
					if (attempt > 0)
						break;
					continue;
				}
				*schedule = state->candidate;
			}
		}
	}
}

int hs_swarm_shrink(struct hs_swarm_runner *runner, struct hs_swarm_schedule *schedule,
		    enum hs_swarm_property property, const char *topology_dir, uint32_t max_runs,
		    struct hs_swarm_shrink_stats *stats)
{
	struct shrink_state state = {.runner = runner,
				     .property = property,
				     .topology_dir = topology_dir,
				     .max_runs = max_runs,
				     .stats = stats};
	struct hs_swarm_verdict verdict;
	char error[512];

	memset(stats, 0, sizeof(*stats));
	stats->steps_before = schedule->step_count;
	stats->runs++;
	if (hs_swarm_run_schedule(runner, schedule, topology_dir, &verdict, error, sizeof(error)) <
		0 ||
	    !verdict.violations[property].violated)
		return -1; /* it does not fail (any more): nothing to shrink */
	if (verdict.failed_steps != 0) {
		state.require_clean = true;
		if (!try_keep(&state, schedule,
			      all_steps(schedule->step_count) & ~verdict.failed_steps))
			state.require_clean = false;
	} else {
		state.require_clean = true;
	}
	ddmin_steps(&state, schedule);
	shrink_delays(&state, schedule);
	shrink_impairments(&state, schedule);
	stats->steps_after = schedule->step_count;
	return 0;
}
