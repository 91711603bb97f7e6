/*
 * clock.c - the two logs on one timeline (hasim replay).
 *
 * Each node's records carry its monotonic clock (which restarts when the
 * node boots) and its wall clock (which may be off by seconds or hours
 * from the other node's). Within one boot a node's time is its mono_ms;
 * boots are joined by the wall clock (each boot's first record places it),
 * so a node's records are on its own wall-clock frame. The two frames
 * differ by an offset that the wall clocks cannot be trusted for, so it is
 * estimated from pairs: a record on one node that must follow one on the
 * other within known bounds:
 *   a hand-over (maintenance, fault, isolated) -> the peer's "peer X is
 *     maintenance and may not be active" take-over    [0, heartbeat]
 *   a switchover, disconnect, reconnect or disband by the operator -> the
 *     peer's record of it                             [0, heartbeat]
 *   the loser's split-brain record -> the winner's "resolved" [0, 2 heartbeats]
 *   "X in sync at seq N" <-> "in sync with Y at seq N"  [-heartbeat, heartbeat]
 *   X's start -> the peer's "peer X seen"              [0, unbounded)
 * Each pair bounds the offset to an interval; their intersection is the
 * estimate (its middle, ± half its width). Pairs are matched to the nearest
 * cause under a first guess (the median of the pairs matched in order), so
 * repeated events pair with their own. Pairs that contradict each other
 * (missing lines, a clock stepped mid-incident) leave the median and a
 * note; no pair at all leaves the wall clocks, taken as synchronized, and
 * says so.
 *
 * Then: every record's t_ms (on the first log's frame), the daemons' stop
 * at the end of the logs (teardown: a log's last record is a stop and the
 * other log has nothing much later; the collection ended, not part of the
 * incident), when the first node started (up), when the cluster formed
 * (one node active, the other standby), whether both were ever active at
 * once, and the end of the incident.
 */
#include "replay.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HS_CLOCK_MATCH_MS   30000 /* a cause this far from its effect is not its cause */
#define HS_CLOCK_UNBOUNDED  INT64_MAX
#define HS_TEARDOWN_SPAN_MS 2000 /* both logs end within this: the collection ended */
#define HS_TEARDOWN_STOP_MS 100	 /* a stop's own records come this close before it */
#define HS_CLOCK_CANDIDATES 64

/* ------------------------------------------------------------- local time */

/* Each record's time on its node's wall-clock frame (in t_ms for now). */
static void local_times(struct hs_replay_incident *incident, uint32_t index)
{
	struct hs_replay_log *log = &incident->logs[index];
	int64_t base = 0, last = 0, last_mono = 0;
	uint32_t boot = UINT32_MAX;

	for (uint32_t i = 0; i < log->record_count; i++) {
		struct hs_replay_record *record = &log->records[i];
		/* A monotonic clock that goes back within a boot is no monotonic
		 * clock (a log stitched together, a broken writer): start over
		 * there, as at a boot, and say so. */
		bool back = record->boot == boot && record->mono_ms < last_mono;
		if (back)
			hs_replay_note(incident, index, record->line,
				       "mono_ms goes back by %" PRId64 " ms within one boot: the "
				       "records from here are placed by their wall clock",
				       last_mono - record->mono_ms);
		if (record->boot != boot || back) {
			boot = record->boot;
			/* A boot without a wall clock continues where the last ended. */
			base = record->wall_ms > 0 ? record->wall_ms - record->mono_ms
			       : i == 0		   ? 0
						   : last - record->mono_ms;
		}
		record->t_ms = record->mono_ms + base;
		last = record->t_ms;
		last_mono = record->mono_ms;
	}
}

/* ------------------------------------------------------------- pairs */

struct pair_kind {
	const char *what;
	int64_t min_ms, max_ms; /* max HS_CLOCK_UNBOUNDED: one-sided */
};

/* Whether cause (on its node) and effect (on the other) are a pair of some
 * kind; *kind gets it. The effect names the cause's node as its peer. */
static bool pair_of(const struct hs_replay_record *cause, const struct hs_replay_record *effect,
		    int64_t heartbeat_ms, struct pair_kind *kind)
{
	bool names_cause = strcmp(effect->peer, cause->node) == 0;
	enum hs_replay_cause c = cause->cause, e = effect->cause;

	*kind = (struct pair_kind){.what = NULL, .min_ms = 0, .max_ms = heartbeat_ms};
	if (e == HS_CAUSE_PEER_UNAVAILABLE && names_cause && cause->transition &&
	    strcmp(cause->to, effect->peer_state) == 0)
		kind->what = "hand-over -> take-over";
	else if ((c == HS_CAUSE_SWITCHOVER && e == HS_CAUSE_PEER_YIELDS) ||
		 (c == HS_CAUSE_DISCONNECT && e == HS_CAUSE_PEER_DISCONNECT) ||
		 (c == HS_CAUSE_RECONNECT && e == HS_CAUSE_PEER_RECONNECT) ||
		 (c == HS_CAUSE_DISBAND && e == HS_CAUSE_PEER_DISBAND))
		kind->what = names_cause ? "command -> the peer's record of it" : NULL;
	else if (c == HS_CAUSE_SPLIT_BRAIN && e == HS_CAUSE_SPLIT_RESOLVED &&
		 strcmp(cause->peer, effect->node) == 0) {
		kind->what = "split brain lost -> won";
		kind->max_ms = 2 * heartbeat_ms;
	} else if (c == HS_CAUSE_SYNC_RESUMED && e == HS_CAUSE_SYNC_RESUMED && cause->seq >= 0 &&
		   cause->seq == effect->seq && strstr(cause->reason, " in sync at seq ") &&
		   strncmp(effect->reason, "in sync with ", 13) == 0 && names_cause &&
		   strcmp(cause->peer, effect->node) == 0) {
		kind->what = "in sync at the same seq";
		kind->min_ms = -heartbeat_ms;
	} else if (c == HS_CAUSE_START && e == HS_CAUSE_PEER_SEEN && names_cause) {
		kind->what = "start -> peer seen";
		kind->max_ms = HS_CLOCK_UNBOUNDED;
	}
	return kind->what != NULL;
}

/* The offset interval a pair allows (offset = clock of log 1 - log 0). */
static void pair_bounds(const struct hs_replay_pair *pair, int64_t cause_ms, int64_t effect_ms,
			int64_t *low, int64_t *high)
{
	bool unbounded = pair->max_ms == HS_CLOCK_UNBOUNDED;
	if (pair->cause_log == 0) { /* o in [e - c - max, e - c - min] */
		*low = unbounded ? INT64_MIN : effect_ms - cause_ms - pair->max_ms;
		*high = effect_ms - cause_ms - pair->min_ms;
	} else { /* o in [c - e + min, c - e + max] */
		*low = cause_ms - effect_ms + pair->min_ms;
		*high = unbounded ? INT64_MAX : cause_ms - effect_ms + pair->max_ms;
	}
}

/* For effect (in effect_log), the cause in the other log of a pairing kind
 * nearest to where guess puts it; -1 if none within HS_CLOCK_MATCH_MS. */
static int64_t nearest_cause(const struct hs_replay_incident *incident, uint32_t effect_log,
			     const struct hs_replay_record *effect, int64_t guess,
			     struct pair_kind *kind)
{
	uint32_t cause_log = 1 - effect_log;
	const struct hs_replay_log *log = &incident->logs[cause_log];
	/* The effect's time on the cause's frame. */
	int64_t at = effect_log == 1 ? effect->t_ms - guess : effect->t_ms + guess;
	int64_t best = -1, best_distance = HS_CLOCK_MATCH_MS;
	struct pair_kind found;

	for (uint32_t i = 0; i < log->record_count; i++) {
		if (!pair_of(&log->records[i], effect, incident->heartbeat_ms, &found))
			continue;
		int64_t middle = found.max_ms == HS_CLOCK_UNBOUNDED
				     ? found.min_ms
				     : (found.min_ms + found.max_ms) / 2;
		int64_t distance = llabs(at - (log->records[i].t_ms + middle));
		/* One-sided pairs only match a cause before the effect, give or
		 * take a heartbeat: the guess is no closer than that. */
		if (found.max_ms == HS_CLOCK_UNBOUNDED &&
		    log->records[i].t_ms > at + (int64_t)incident->heartbeat_ms)
			continue;
		if (distance <= best_distance) {
			best = i;
			best_distance = distance;
			*kind = found;
		}
	}
	return best;
}

static int compare_int64(const void *left, const void *right)
{
	int64_t a = *(const int64_t *)left, b = *(const int64_t *)right;
	return a < b ? -1 : a > b;
}

/* A first guess: the median offset of bounded pairs matched in order (the
 * k-th effect of a kind with the k-th cause), or 0 (the wall clocks). */
static int64_t offset_guess(const struct hs_replay_incident *incident)
{
	int64_t values[HS_CLOCK_CANDIDATES];
	uint32_t count = 0;
	struct pair_kind kind;

	for (uint32_t effect_log = 0; effect_log < HS_REPLAY_LOGS; effect_log++) {
		const struct hs_replay_log *effects = &incident->logs[effect_log];
		const struct hs_replay_log *causes = &incident->logs[1 - effect_log];
		for (uint32_t i = 0; i < effects->record_count && count < HS_CLOCK_CANDIDATES;
		     i++) {
			for (uint32_t j = 0; j < causes->record_count; j++) {
				if (!pair_of(&causes->records[j], &effects->records[i],
					     incident->heartbeat_ms, &kind) ||
				    kind.max_ms == HS_CLOCK_UNBOUNDED)
					continue;
				int64_t delay = (kind.min_ms + kind.max_ms) / 2;
				int64_t difference =
				    effects->records[i].t_ms - causes->records[j].t_ms - delay;
				values[count++] = effect_log == 1 ? difference : -difference;
				break;
			}
		}
	}
	if (count == 0)
		return 0;
	qsort(values, count, sizeof(values[0]), compare_int64);
	return values[count / 2];
}

/* The pairs under guess, and the offset they allow. */
static void offset_estimate(struct hs_replay_incident *incident, int64_t guess)
{
	int64_t low = INT64_MIN, high = INT64_MAX, middles[HS_REPLAY_PAIRS_MAX];
	uint32_t middle_count = 0;
	struct pair_kind kind;

	incident->pair_count = 0;
	for (uint32_t effect_log = 0; effect_log < HS_REPLAY_LOGS; effect_log++) {
		const struct hs_replay_log *log = &incident->logs[effect_log];
		for (uint32_t i = 0; i < log->record_count; i++) {
			int64_t cause =
			    nearest_cause(incident, effect_log, &log->records[i], guess, &kind);
			if (cause < 0 || incident->pair_count == HS_REPLAY_PAIRS_MAX)
				continue;
			struct hs_replay_pair *pair = &incident->pairs[incident->pair_count++];
			int64_t pair_low, pair_high;
			*pair = (struct hs_replay_pair){.cause_log = 1 - effect_log,
							.cause_index = (uint32_t)cause,
							.effect_log = effect_log,
							.effect_index = i,
							.min_ms = kind.min_ms,
							.max_ms = kind.max_ms};
			snprintf(pair->what, sizeof(pair->what), "%s", kind.what);
			pair_bounds(pair, incident->logs[1 - effect_log].records[cause].t_ms,
				    log->records[i].t_ms, &pair_low, &pair_high);
			low = pair_low > low ? pair_low : low;
			high = pair_high < high ? pair_high : high;
			if (pair_low != INT64_MIN && pair_high != INT64_MAX)
				middles[middle_count++] = pair_low / 2 + pair_high / 2;
		}
	}
	incident->offset_from_pairs = incident->pair_count > 0;
	if (!incident->offset_from_pairs) {
		incident->offset_ms = 0;
		return;
	}
	if (low <= high && low != INT64_MIN && high != INT64_MAX) {
		incident->offset_ms = low / 2 + high / 2;
		incident->offset_error_ms = (high - low + 1) / 2;
	} else if (low <= high) { /* one-sided only: the bound that exists */
		incident->offset_ms = low != INT64_MIN ? low : high;
		incident->offset_error_ms = -1;
	} else {
		incident->offset_conflict = true;
		qsort(middles, middle_count, sizeof(middles[0]), compare_int64);
		incident->offset_ms = middle_count ? middles[middle_count / 2] : guess;
		incident->offset_error_ms = -1;
	}
}

/* ------------------------------------------------------------- the incident */

/* The daemons' stop at the end of both logs, and the records it brings
 * (hanode hands over to maintenance when it stops): the collection ended. */
static void mark_teardown(struct hs_replay_incident *incident)
{
	int64_t ends[HS_REPLAY_LOGS];
	for (uint32_t i = 0; i < HS_REPLAY_LOGS; i++) {
		const struct hs_replay_log *log = &incident->logs[i];
		const struct hs_replay_record *last = &log->records[log->record_count - 1];
		ends[i] = last->cause == HS_CAUSE_STOP ? last->t_ms : INT64_MIN;
	}
	for (uint32_t i = 0; i < HS_REPLAY_LOGS; i++) {
		struct hs_replay_log *log = &incident->logs[i];
		const struct hs_replay_log *other = &incident->logs[1 - i];
		int64_t other_end = other->records[other->record_count - 1].t_ms;
		/* The other node logs on well after it: hanode was stopped during
		 * the incident (infer.c stages that), not at its end. */
		if (ends[i] == INT64_MIN || other_end - ends[i] > HS_TEARDOWN_SPAN_MS)
			continue;
		hs_replay_note(incident, i, log->records[log->record_count - 1].line,
			       "%s's log ends with hanode stopped: taken as the end of the "
			       "collection, not replayed",
			       log->node);
		for (uint32_t j = log->record_count; j-- > 0;) {
			struct hs_replay_record *record = &log->records[j];
			bool own = record->cause == HS_CAUSE_STOP ||
				   record->cause == HS_CAUSE_MAINTENANCE_ON ||
				   (record->cause == HS_CAUSE_ADMIN &&
				    (strcmp(record->admin, "maintenance on") == 0 ||
				     strcmp(record->admin, "shutdown") == 0));
			if (!own || ends[i] - record->t_ms > HS_TEARDOWN_STOP_MS)
				break;
			record->teardown = record->explained = true;
		}
	}
}

/* One record after another in time, both logs merged: the next index. */
static bool merged_next(const struct hs_replay_incident *incident, uint32_t cursor[2],
			uint32_t *log)
{
	const struct hs_replay_log *a = &incident->logs[0], *b = &incident->logs[1];
	bool more_a = cursor[0] < a->record_count, more_b = cursor[1] < b->record_count;
	if (!more_a && !more_b)
		return false;
	*log =
	    !more_b || (more_a && a->records[cursor[0]].t_ms <= b->records[cursor[1]].t_ms) ? 0 : 1;
	return true;
}

/* The node of log shows itself still active after t_ms (a later record of
 * the same boot from the active state): it did not just go silent. */
static bool still_active(const struct hs_replay_incident *incident, uint32_t log, int64_t t_ms)
{
	const struct hs_replay_log *records = &incident->logs[log];
	uint32_t boot = 0;
	for (uint32_t i = 0; i < records->record_count; i++) {
		const struct hs_replay_record *record = &records->records[i];
		if (record->t_ms < t_ms) {
			boot = record->boot;
			continue;
		}
		if (record->boot != boot || record->teardown)
			return false;
		if (strcmp(record->from, "active") == 0)
			return true;
	}
	return false;
}

static void find_formation(struct hs_replay_incident *incident)
{
	char state[HS_REPLAY_LOGS][HS_NAME_MAX] = {"", ""};
	uint32_t cursor[2] = {0, 0}, log;

	incident->formed_active = -1;
	incident->up_ms = INT64_MAX;
	incident->end_ms = INT64_MIN;
	while (merged_next(incident, cursor, &log)) {
		const struct hs_replay_record *record = &incident->logs[log].records[cursor[log]++];
		if (incident->up_ms == INT64_MAX)
			incident->up_ms = record->t_ms;
		if (!record->teardown && record->t_ms > incident->end_ms)
			incident->end_ms = record->t_ms;
		if (record->to[0])
			snprintf(state[log], sizeof(state[log]), "%s", record->to);
		if (record->cause == HS_CAUSE_STOP)
			state[log][0] = '\0';
		bool active0 = strcmp(state[0], "active") == 0,
		     active1 = strcmp(state[1], "active") == 0;
		incident->dual_active =
		    incident->dual_active ||
		    (active0 && active1 && still_active(incident, 1 - log, record->t_ms));
		if (incident->formed)
			continue;
		if ((active0 && strcmp(state[1], "standby") == 0) ||
		    (active1 && strcmp(state[0], "standby") == 0)) {
			incident->formed = true;
			incident->formed_ms = record->t_ms;
			incident->formed_active = active0 ? 0 : 1;
		}
	}
}

void hs_replay_clock(struct hs_replay_incident *incident)
{
	/* The pairs' bounds are in heartbeats: the topology's default until
	 * the caller knows better. */
	if (incident->heartbeat_ms == 0)
		incident->heartbeat_ms = HS_REPLAY_HEARTBEAT_MS;
	for (uint32_t i = 0; i < HS_REPLAY_LOGS; i++)
		local_times(incident, i);
	offset_estimate(incident, offset_guess(incident));
	for (uint32_t i = 0; i < incident->logs[1].record_count; i++)
		incident->logs[1].records[i].t_ms -= incident->offset_ms;
	mark_teardown(incident);
	find_formation(incident);
}
