/*
 * infer.c - what the records say happened (hasim replay): the operator's
 * commands, restarts and firmware updates, refusals, the timers and the
 * tie-breaker the logs show, whether a client was writing, and each node's
 * state at the end. infer_links.c adds the faults of links and nodes.
 *
 * Every inference is a step on the incident's timeline with the records
 * that are its evidence, which it marks explained; write.c prints both.
 * The rules, in the order they run:
 *   - an operator's command (an admin record, or the transition it caused)
 *     is that command, at that moment; except the maintenance mark hanode
 *     sets itself when it stops (SIGTERM) and restores when it starts;
 *   - a stop followed by a start of the same node is a firmware update
 *     (the only step that stops hanode gracefully and starts it again); its
 *     version is the one a refusal after it names, else unknown (the
 *     node's own is kept);
 *   - a start after silence is a power-on (a boot of about a second before
 *     it); if nothing powered the node off before, it went down right
 *     after its last record;
 *   - a stop at the end of one log only (the other goes on) is hanode
 *     stopped mid-incident: maintenance on and a power off;
 *   - a refusal in a node's first boot sets the firmware or model of both
 *     nodes as the refusal names them;
 *   - what follows from a step (the peer's take-over after a hand-over,
 *     its record of a switchover) is explained by it.
 */
#include "replay.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HS_COMMAND_SPAN_MS 100	/* a command's records come this close together */
#define HS_STOP_SPAN_MS	   5000 /* hanode stopping on a signal takes at most this */
#define HS_FOLLOW_SPAN_MS  2000 /* an effect of a step comes within this */
#define HS_BOOT_MS	   1000 /* what a power-on takes before the start record */
#define HS_DEFAULT_DEAD	   1000
#define HS_DEFAULT_WAIT	   10000
#define HS_DEFAULT_HEALTH  500

/* ------------------------------------------------------------- steps */

struct hs_replay_step *hs_replay_step_add(struct hs_replay_incident *incident, int64_t t_ms,
					  enum hs_action action, uint32_t log)
{
	if (incident->step_count == HS_REPLAY_STEPS_MAX) {
		hs_replay_note(incident, log, 0,
			       "more than %d steps: the %s at %" PRId64
			       " ms and later are left out",
			       HS_REPLAY_STEPS_MAX, hs_action_name(action), t_ms - incident->up_ms);
		return NULL;
	}
	struct hs_replay_step *step = &incident->steps[incident->step_count++];
	memset(step, 0, sizeof(*step));
	step->t_ms = t_ms;
	step->action = action;
	memcpy(step->node, incident->logs[log].node, sizeof(step->node));
	return step;
}

void hs_replay_step_evidence(struct hs_replay_step *step, uint32_t log, uint32_t index)
{
	if (step->evidence_count < HS_REPLAY_EVIDENCE_MAX)
		step->evidence[step->evidence_count++] = (struct hs_replay_evidence){log, index};
}

static int step_compare(const void *left, const void *right)
{
	const struct hs_replay_step *a = left, *b = right;
	if (a->t_ms != b->t_ms)
		return a->t_ms < b->t_ms ? -1 : 1;
	return 0;
}

/* ------------------------------------------------------------- settings */

/* Timers the records state, the tie-breaker they show (fence records:
 * fence; a split brain or two actives at once: none), the client. */
static void infer_settings(struct hs_replay_incident *incident)
{
	bool fence = false, none = false;

	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		const struct hs_replay_log *records = &incident->logs[log];
		for (uint32_t i = 0; i < records->record_count; i++) {
			const struct hs_replay_record *record = &records->records[i];
			if (record->cause == HS_CAUSE_START && record->number > 0) {
				incident->wait_for_peer_ms = (uint32_t)record->number;
				incident->timers_seen[1] = true;
			}
			if ((record->cause == HS_CAUSE_PEER_SILENT ||
			     record->cause == HS_CAUSE_FENCING) &&
			    record->number > 0) {
				incident->dead_time_ms = (uint32_t)record->number;
				incident->timers_seen[0] = true;
			}
			/* hanode hands over on carrier only without ping targets
			 * (refimpl/core/README.md, the carrier rule). */
			if (strncmp(record->reason, "carrier lost on the external link", 33) == 0)
				incident->no_ping_targets = true;
			fence = fence || record->cause == HS_CAUSE_FENCING ||
				record->cause == HS_CAUSE_FENCED ||
				record->cause == HS_CAUSE_FENCE_FAILED;
			none = none || record->cause == HS_CAUSE_SPLIT_BRAIN ||
			       record->cause == HS_CAUSE_SPLIT_RESOLVED;
			if (record->seq > incident->highest_seq)
				incident->highest_seq = record->seq;
			incident->client = incident->client || record->lost_writes > 0;
		}
	}
	incident->client = incident->client || incident->highest_seq > 0;
	/* Two actives at once: only the tie-breaker none lets that happen. */
	none = none || incident->dual_active;
	snprintf(incident->tiebreaker, sizeof(incident->tiebreaker), "%s",
		 fence	? "fence"
		 : none ? "none"
			: "");
}

/* ------------------------------------------------------------- commands */

struct command {
	enum hs_replay_cause cause; /* the transition it causes */
	const char *admin;	    /* its admin record */
	enum hs_action action;
};

static const struct command commands[] = {
    {HS_CAUSE_MAINTENANCE_ON, "maintenance on", HS_ACTION_MAINTENANCE_ON},
    {HS_CAUSE_MAINTENANCE_OFF, "maintenance off", HS_ACTION_MAINTENANCE_OFF},
    {HS_CAUSE_SWITCHOVER, "switchover", HS_ACTION_SWITCHOVER},
    {HS_CAUSE_DISCONNECT, "disconnect", HS_ACTION_DISCONNECT},
    {HS_CAUSE_RECONNECT, "reconnect", HS_ACTION_RECONNECT},
    {HS_CAUSE_DISBAND, "disband", HS_ACTION_DISBAND},
};
#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static const struct command *command_of(const struct hs_replay_record *record)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if ((record->cause == HS_CAUSE_ADMIN &&
		     strcmp(record->admin, commands[i].admin) == 0) ||
		    (record->transition && record->cause == commands[i].cause))
			return &commands[i];
	return NULL;
}

/* hanode's own maintenance mark: set when it stops on a signal (its mark
 * and answer come together, then its stop, however long stopping took) and
 * restored when it starts (right after a start record). */
static bool own_mark(const struct hs_replay_log *log, uint32_t index)
{
	int64_t previous_ms = log->records[index].t_ms;
	for (uint32_t i = index + 1; i < log->record_count; i++) {
		const struct hs_replay_record *next = &log->records[i];
		if (next->cause == HS_CAUSE_STOP)
			return next->t_ms - previous_ms <= HS_STOP_SPAN_MS;
		if ((next->cause != HS_CAUSE_ADMIN && next->cause != HS_CAUSE_MAINTENANCE_ON) ||
		    next->t_ms - previous_ms > HS_COMMAND_SPAN_MS)
			break;
		previous_ms = next->t_ms;
	}
	for (uint32_t i = index; i-- > 0;) {
		const struct hs_replay_record *before = &log->records[i];
		if (log->records[index].t_ms - before->t_ms > HS_STOP_SPAN_MS)
			break;
		if (before->cause == HS_CAUSE_START)
			return true;
		if (before->cause != HS_CAUSE_ADMIN && before->cause != HS_CAUSE_MAINTENANCE_ON)
			break;
	}
	return false;
}

/* A command the node refused or that changed nothing ("already in
 * maintenance"): staging it would only make the run's step fail. */
static bool command_refused(const struct hs_replay_record *record)
{
	const char *answer = strchr(record->reason, ':');
	return record->cause == HS_CAUSE_ADMIN && answer &&
	       (strstr(answer, "already") || strstr(answer, "refused") ||
		strncmp(answer, ": not ", 6) == 0 || strstr(answer, "needs "));
}

static void infer_commands(struct hs_replay_incident *incident)
{
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		struct hs_replay_log *records = &incident->logs[log];
		for (uint32_t i = 0; i < records->record_count; i++) {
			struct hs_replay_record *record = &records->records[i];
			const struct command *command = command_of(record);
			if (!command || record->explained)
				continue;
			if ((command->action == HS_ACTION_MAINTENANCE_ON && own_mark(records, i)) ||
			    command_refused(record)) {
				record->explained = true; /* the stop's, the start's, a no-op */
				continue;
			}
			struct hs_replay_step *step =
			    hs_replay_step_add(incident, record->t_ms, command->action, log);
			if (!step)
				return;
			snprintf(step->why, sizeof(step->why), "the operator's '%s' on %s",
				 command->admin, records->node);
			/* The command's other record (its transition or its answer). */
			for (uint32_t j = i; j < records->record_count; j++) {
				struct hs_replay_record *other = &records->records[j];
				if (other->t_ms - record->t_ms > HS_COMMAND_SPAN_MS)
					break;
				if (command_of(other) == command && !other->explained) {
					other->explained = true;
					hs_replay_step_evidence(step, log, j);
				}
			}
		}
	}
}

/* ------------------------------------------------------------- restarts */

/* The version a refusal after index names for the node of log. */
static bool refused_version(const struct hs_replay_incident *incident, uint32_t log,
			    int64_t after_ms, char *version, size_t version_size)
{
	for (uint32_t which = 0; which < HS_REPLAY_LOGS; which++) {
		const struct hs_replay_log *records = &incident->logs[which];
		for (uint32_t i = 0; i < records->record_count; i++) {
			const struct hs_replay_record *record = &records->records[i];
			if (record->cause != HS_CAUSE_REFUSED_FIRMWARE || record->t_ms < after_ms)
				continue;
			snprintf(version, version_size, "%s",
				 record->versions[which == log ? 0 : 1]);
			return true;
		}
	}
	return false;
}

/* A stop, then a start: a firmware update. The stop's own records (its
 * maintenance mark) and the start's go with it. */
static void infer_update(struct hs_replay_incident *incident, uint32_t log, uint32_t stop,
			 uint32_t start)
{
	struct hs_replay_log *records = &incident->logs[log];
	struct hs_replay_step *step = hs_replay_step_add(incident, records->records[stop].t_ms,
							 HS_ACTION_FIRMWARE_UPDATE, log);
	if (!step)
		return;
	hs_replay_step_evidence(step, log, stop);
	hs_replay_step_evidence(step, log, start);
	records->records[stop].explained = records->records[start].explained = true;
	if (refused_version(incident, log, records->records[start].t_ms, step->version,
			    sizeof(step->version)))
		snprintf(step->why, sizeof(step->why),
			 "hanode on %s stopped and started again: a firmware update, to %s (the "
			 "refusal after it names it)",
			 records->node, step->version);
	else
		snprintf(step->why, sizeof(step->why),
			 "hanode on %s stopped and started again: a firmware update (the logs do "
			 "not say to which version: staged with its own)",
			 records->node);
	step->settle_ms = HS_BOOT_MS;
}

/* A start after silence: the node was off. */
static void infer_power_on(struct hs_replay_incident *incident, uint32_t log, uint32_t start)
{
	struct hs_replay_log *records = &incident->logs[log];
	const struct hs_replay_record *record = &records->records[start];
	int64_t last_ms = start > 0 ? records->records[start - 1].t_ms : incident->up_ms;
	bool off = false;

	for (uint32_t i = 0; i < incident->step_count; i++) {
		const struct hs_replay_step *step = &incident->steps[i];
		off = off || (step->action == HS_ACTION_POWER_OFF &&
			      strcmp(step->node, records->node) == 0 &&
			      step->t_ms >= last_ms - 1000 && step->t_ms <= record->t_ms);
	}
	if (!off) {
		struct hs_replay_step *down =
		    hs_replay_step_add(incident, last_ms + 1, HS_ACTION_POWER_OFF, log);
		if (!down)
			return;
		hs_replay_step_evidence(down, log, start - 1);
		snprintf(down->why, sizeof(down->why),
			 "%s's log stops and starts again: it went down (power loss or crash; "
			 "nothing tells when: staged right after its last record)",
			 records->node);
		down->uncertainty_ms = record->t_ms - last_ms;
	}
	int64_t on_ms =
	    record->t_ms - HS_BOOT_MS > last_ms + 2 ? record->t_ms - HS_BOOT_MS : last_ms + 2;
	struct hs_replay_step *step = hs_replay_step_add(incident, on_ms, HS_ACTION_POWER_ON, log);
	if (!step)
		return;
	hs_replay_step_evidence(step, log, start);
	records->records[start].explained = true;
	snprintf(step->why, sizeof(step->why),
		 "%s started again after its silence: powered on (a boot of about %d ms before "
		 "its start record)",
		 records->node, HS_BOOT_MS);
	/* Boots take from tens of ms (native) to seconds (guests): what follows
	 * may come that much earlier or later than in the field. */
	step->uncertainty_ms = HS_BOOT_MS;
	step->settle_ms = 3 * HS_BOOT_MS;
}

/* A stop at the end of one log while the other goes on. */
static void infer_stopped(struct hs_replay_incident *incident, uint32_t log, uint32_t stop)
{
	struct hs_replay_log *records = &incident->logs[log];
	int64_t t_ms = records->records[stop].t_ms;
	struct hs_replay_step *mark =
	    hs_replay_step_add(incident, t_ms, HS_ACTION_MAINTENANCE_ON, log);
	struct hs_replay_step *off =
	    mark ? hs_replay_step_add(incident, t_ms + 1, HS_ACTION_POWER_OFF, log) : NULL;
	if (!off)
		return;
	hs_replay_step_evidence(mark, log, stop);
	hs_replay_step_evidence(off, log, stop);
	records->records[stop].explained = true;
	snprintf(mark->why, sizeof(mark->why),
		 "hanode on %s stopped while %s went on: staged as what hanode does when it "
		 "stops (maintenance on, the peer takes over)",
		 records->node, incident->logs[1 - log].node);
	snprintf(off->why, sizeof(off->why), "and the stopped node gone (powered off)");
}

static void infer_restarts(struct hs_replay_incident *incident)
{
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		struct hs_replay_log *records = &incident->logs[log];
		for (uint32_t i = 0; i < records->record_count; i++) {
			const struct hs_replay_record *record = &records->records[i];
			if (record->cause == HS_CAUSE_START && i == 0) {
				records->records[i].explained = true;
			} else if (record->cause == HS_CAUSE_START) {
				if (records->records[i - 1].cause == HS_CAUSE_STOP)
					infer_update(incident, log, i - 1, i);
				else
					infer_power_on(incident, log, i);
			} else if (record->cause == HS_CAUSE_STOP && !record->teardown &&
				   i + 1 == records->record_count) {
				infer_stopped(incident, log, i);
			}
		}
	}
}

/* ------------------------------------------------------------- refusals */

/* The boot the node of log was in at t_ms (0 before its first record). */
static uint32_t boot_at(const struct hs_replay_incident *incident, uint32_t log, int64_t t_ms)
{
	const struct hs_replay_log *records = &incident->logs[log];
	uint32_t boot = 0;
	for (uint32_t i = 0; i < records->record_count && records->records[i].t_ms <= t_ms; i++)
		boot = records->records[i].boot;
	return boot;
}

static void infer_refusals(struct hs_replay_incident *incident)
{
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		struct hs_replay_log *records = &incident->logs[log];
		for (uint32_t i = 0; i < records->record_count; i++) {
			struct hs_replay_record *record = &records->records[i];
			bool firmware = record->cause == HS_CAUSE_REFUSED_FIRMWARE;
			if (!firmware && record->cause != HS_CAUSE_REFUSED_MODEL)
				continue;
			/* A refusal after an update is the update's (infer_update). */
			record->explained = true;
			if (boot_at(incident, log, record->t_ms) > 0 ||
			    boot_at(incident, 1 - log, record->t_ms) > 0)
				continue;
			char(*names)[HS_NAME_MAX] = firmware ? incident->firmware : incident->model;
			if (!names[log][0])
				snprintf(names[log], HS_NAME_MAX, "%s", record->versions[0]);
			if (!names[1 - log][0])
				snprintf(names[1 - log], HS_NAME_MAX, "%s", record->versions[1]);
		}
	}
}

/* ------------------------------------------------------------- follow-ups */

/* A step of action on the node of log within HS_FOLLOW_SPAN_MS before t. */
static bool step_before(const struct hs_replay_incident *incident, uint32_t log,
			enum hs_action action, int64_t t_ms)
{
	for (uint32_t i = 0; i < incident->step_count; i++) {
		const struct hs_replay_step *step = &incident->steps[i];
		if (step->action == action && strcmp(step->node, incident->logs[log].node) == 0 &&
		    step->t_ms <= t_ms + 1 && t_ms - step->t_ms <= HS_FOLLOW_SPAN_MS)
			return true;
	}
	return false;
}

/* The node of log went to state within HS_FOLLOW_SPAN_MS before t. */
static bool went_to(const struct hs_replay_incident *incident, uint32_t log, const char *state,
		    int64_t t_ms)
{
	const struct hs_replay_log *records = &incident->logs[log];
	for (uint32_t i = 0; i < records->record_count; i++) {
		const struct hs_replay_record *record = &records->records[i];
		if (record->transition && strcmp(record->to, state) == 0 &&
		    record->t_ms <= t_ms + 1 && t_ms - record->t_ms <= HS_FOLLOW_SPAN_MS)
			return true;
	}
	return false;
}

/* What a node does because of the other's step or state. */
static bool follows(const struct hs_replay_incident *incident, uint32_t log,
		    const struct hs_replay_record *record)
{
	uint32_t peer = 1 - log;
	switch (record->cause) {
	case HS_CAUSE_PEER_SEEN:
	case HS_CAUSE_ELECTED:
	case HS_CAUSE_SYNC_RESUMED:
	case HS_CAUSE_INFO:
		return true;
	case HS_CAUSE_PEER_UNAVAILABLE:
		return went_to(incident, peer, record->peer_state, record->t_ms);
	case HS_CAUSE_PEER_YIELDS:
		return step_before(incident, peer, HS_ACTION_SWITCHOVER, record->t_ms);
	case HS_CAUSE_PEER_DISCONNECT:
		return step_before(incident, peer, HS_ACTION_DISCONNECT, record->t_ms);
	case HS_CAUSE_PEER_RECONNECT:
		return step_before(incident, peer, HS_ACTION_RECONNECT, record->t_ms);
	case HS_CAUSE_PEER_DISBAND:
		return step_before(incident, peer, HS_ACTION_DISBAND, record->t_ms);
	case HS_CAUSE_ALONE:
		return incident->firmware[log][0] || incident->model[log][0] ||
		       incident->logs[peer].records[0].t_ms > record->t_ms - record->number;
	default:
		return false;
	}
}

/* ------------------------------------------------------------- the end */

/* Each node's state at the end: its last record's, or off when a step
 * powered it off after its last record. */
static void infer_finals(struct hs_replay_incident *incident)
{
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		const struct hs_replay_log *records = &incident->logs[log];
		int64_t last_ms = INT64_MIN;
		incident->final_state[log][0] = '\0';
		for (uint32_t i = 0; i < records->record_count; i++) {
			const struct hs_replay_record *record = &records->records[i];
			if (record->teardown || !record->to[0])
				continue;
			snprintf(incident->final_state[log], HS_NAME_MAX, "%s", record->to);
			last_ms = record->t_ms;
		}
		for (uint32_t i = 0; i < incident->step_count; i++) {
			const struct hs_replay_step *step = &incident->steps[i];
			if (strcmp(step->node, records->node) != 0 || step->t_ms < last_ms)
				continue;
			if (step->action == HS_ACTION_POWER_OFF)
				snprintf(incident->final_state[log], HS_NAME_MAX, "off");
			else if (step->action == HS_ACTION_POWER_ON)
				incident->final_state[log][0] = '\0';
		}
	}
}

void hs_replay_infer(struct hs_replay_incident *incident)
{
	incident->heartbeat_ms =
	    incident->heartbeat_ms ? incident->heartbeat_ms : HS_REPLAY_HEARTBEAT_MS;
	incident->dead_time_ms = HS_DEFAULT_DEAD;
	incident->wait_for_peer_ms = HS_DEFAULT_WAIT;
	incident->health_interval_ms = HS_DEFAULT_HEALTH;
	infer_settings(incident);
	infer_refusals(incident);
	infer_commands(incident);
	hs_replay_infer_links(incident);
	infer_restarts(incident);
	qsort(incident->steps, incident->step_count, sizeof(incident->steps[0]), step_compare);
	for (uint32_t i = 0; i < incident->step_count; i++) {
		struct hs_replay_step *step = &incident->steps[i];
		int written = snprintf(step->name, sizeof(step->name), "s%u-%s", i + 1,
				       hs_action_name(step->action));
		for (int c = 0; c < written && step->name[c]; c++)
			step->name[c] = step->name[c] == '_' ? '-' : step->name[c];
	}
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		struct hs_replay_log *records = &incident->logs[log];
		for (uint32_t i = 0; i < records->record_count; i++)
			if (!records->records[i].explained &&
			    follows(incident, log, &records->records[i]))
				records->records[i].explained = true;
	}
	infer_finals(incident);
}
