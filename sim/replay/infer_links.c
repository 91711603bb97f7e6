/*
 * infer_links.c - the faults of links and nodes that explain the records
 * (hasim replay), in this order:
 *   - a carrier record is a cable: down -> the bond's ports pulled, up ->
 *     plugged, at that moment (a node notices its carrier at once);
 *   - a peer silent on every link (a take-over, a fence, "sync lost (peer
 *     silent)") means the silence began one dead time before, within a
 *     heartbeat: half a heartbeat is the estimate. If the silent node
 *     logged anything after that moment (without booting), it was alive:
 *     the links between the two were cut (what a pull does not already
 *     explain is partitioned), and healed when the two talk again (a
 *     resync, a split-brain record), half a heartbeat before that record.
 *     Otherwise it went down: power loss or crash, staged as a power off;
 *     the carrier its peer lost on the direct sync cable then follows from
 *     it and is no pull;
 *   - "sync lost (sync link silent)" alone is the sync link cut;
 *   - a RAID failure is the array failed half a health interval before
 *     (the check runs once an interval); its recovery the same way;
 *   - a failed network check without a carrier loss is the external
 *     network unreachable (the ports impaired with 100 % loss), healed when
 *     the checks pass again;
 *   - a services failure has no step in halab yet: it stays unexplained,
 *     saying so.
 */
#include "replay.h"

#include <inttypes.h>
#include <string.h>

#define HS_LINK_SPAN_MS 2000 /* faults this close belong together */

/* ------------------------------------------------------------- helpers */

static struct hs_replay_step *step_find(struct hs_replay_incident *incident, enum hs_action action,
					const char *node, const char *what, int64_t from_ms,
					int64_t to_ms)
{
	for (uint32_t i = 0; i < incident->step_count; i++) {
		struct hs_replay_step *step = &incident->steps[i];
		bool what_matches =
		    !what || strcmp(step->ports, what) == 0 || strcmp(step->network, what) == 0;
		if (step->action == action && (!node || strcmp(step->node, node) == 0) &&
		    what_matches && step->t_ms >= from_ms && step->t_ms <= to_ms)
			return step;
	}
	return NULL;
}

static void step_remove(struct hs_replay_incident *incident, struct hs_replay_step *step)
{
	uint32_t index = (uint32_t)(step - incident->steps);
	memmove(step, step + 1, (incident->step_count - index - 1) * sizeof(*step));
	incident->step_count--;
}

/* The node of log logged something after t_ms in the boot it was in then
 * (its stop counts: the process was running). */
static bool alive_after(const struct hs_replay_incident *incident, uint32_t log, int64_t t_ms)
{
	const struct hs_replay_log *records = &incident->logs[log];
	uint32_t boot = 0;
	for (uint32_t i = 0; i < records->record_count; i++) {
		const struct hs_replay_record *record = &records->records[i];
		if (record->t_ms <= t_ms) {
			boot = record->boot;
			continue;
		}
		return record->boot == boot && record->cause != HS_CAUSE_START;
	}
	return false;
}

/* ------------------------------------------------------------- carrier */

static void infer_carrier(struct hs_replay_incident *incident)
{
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		struct hs_replay_log *records = &incident->logs[log];
		for (uint32_t i = 0; i < records->record_count; i++) {
			struct hs_replay_record *record = &records->records[i];
			bool down = record->cause == HS_CAUSE_CARRIER_DOWN;
			if ((!down && record->cause != HS_CAUSE_CARRIER_UP) || record->teardown ||
			    (strcmp(record->link, "external") != 0 &&
			     strcmp(record->link, "sync") != 0))
				continue;
			struct hs_replay_step *step = hs_replay_step_add(
			    incident, record->t_ms, down ? HS_ACTION_PULL : HS_ACTION_PLUG, log);
			if (!step)
				return;
			snprintf(step->ports, sizeof(step->ports), "%s", record->link);
			hs_replay_step_evidence(step, log, i);
			record->explained = true;
			snprintf(step->why, sizeof(step->why),
				 "%s's %s carrier went %s: every port of its %s bond %s",
				 records->node, record->link, down ? "down" : "up", record->link,
				 down ? "pulled (or its switches lost)" : "back");
		}
	}
}

/* ------------------------------------------------------------- silence */

/* The first record after t_ms showing the two nodes talk again. */
static bool talk_again(const struct hs_replay_incident *incident, int64_t t_ms, uint32_t *log,
		       uint32_t *index)
{
	int64_t best = INT64_MAX;
	for (uint32_t which = 0; which < HS_REPLAY_LOGS; which++) {
		const struct hs_replay_log *records = &incident->logs[which];
		for (uint32_t i = 0; i < records->record_count; i++) {
			const struct hs_replay_record *record = &records->records[i];
			enum hs_replay_cause cause = record->cause;
			if (record->t_ms <= t_ms || record->t_ms >= best || record->teardown)
				continue;
			if (cause == HS_CAUSE_SYNC_RESUMED || cause == HS_CAUSE_SPLIT_BRAIN ||
			    cause == HS_CAUSE_SPLIT_RESOLVED || cause == HS_CAUSE_PEER_SEEN ||
			    cause == HS_CAUSE_PEER_UNAVAILABLE) {
				best = record->t_ms;
				*log = which;
				*index = i;
			}
		}
	}
	return best != INT64_MAX;
}

/* The links between the two nodes (all, or only sync) cut at s_ms, as far
 * as pulls do not already explain it; healed when they talk again after
 * the record at (log, index). */
static void links_cut(struct hs_replay_incident *incident, uint32_t log, uint32_t index,
		      int64_t s_ms, const char *peer, bool sync_only)
{
	int64_t t_ms = incident->logs[log].records[index].t_ms;
	int64_t from = s_ms - HS_LINK_SPAN_MS;
	bool external = sync_only ||
			step_find(incident, HS_ACTION_PULL, NULL, "external", from, t_ms) ||
			step_find(incident, HS_ACTION_PARTITION, NULL, "external", from, t_ms);
	bool sync = step_find(incident, HS_ACTION_PULL, NULL, "sync", from, t_ms) ||
		    step_find(incident, HS_ACTION_PARTITION, NULL, "sync", from, t_ms);
	const char *network = external && sync ? NULL
			      : external       ? "sync"
			      : sync	       ? "external"
					       : "all";
	uint32_t heal_log, heal_index;

	if (!network)
		return; /* pulls explain it */
	struct hs_replay_step *step = hs_replay_step_add(incident, s_ms, HS_ACTION_PARTITION, log);
	if (!step)
		return;
	snprintf(step->network, sizeof(step->network), "%s", network);
	step->uncertainty_ms = incident->heartbeat_ms / 2;
	hs_replay_step_evidence(step, log, index);
	if (sync_only)
		snprintf(step->why, sizeof(step->why),
			 "%s lost the sync link to %s while they still heard each other: the "
			 "sync link cut",
			 incident->logs[log].node, peer);
	else
		snprintf(step->why, sizeof(step->why),
			 "%s heard nothing from %s on any link, and %s went on logging: the %s "
			 "between them cut (%s)",
			 incident->logs[log].node, peer, peer,
			 strcmp(network, "all") == 0 ? "links" : "link",
			 strcmp(network, "all") == 0 ? "both links lost, both nodes alive"
						     : "the other one was already down");
	if (!talk_again(incident, t_ms, &heal_log, &heal_index))
		return;
	int64_t heal_ms =
	    incident->logs[heal_log].records[heal_index].t_ms - (int64_t)incident->heartbeat_ms / 2;
	struct hs_replay_step *heal = hs_replay_step_add(
	    incident, heal_ms > s_ms ? heal_ms : s_ms + 1, HS_ACTION_HEAL, heal_log);
	if (!heal)
		return;
	heal->uncertainty_ms = incident->heartbeat_ms / 2;
	hs_replay_step_evidence(heal, heal_log, heal_index);
	snprintf(heal->why, sizeof(heal->why),
		 "the two talk again: the links repaired half a heartbeat before");
}

/* The peer went down at s_ms: a power off. The carrier its peer lost on
 * the direct sync cable follows from it, and so does the carrier back. */
static void node_down(struct hs_replay_incident *incident, uint32_t log, uint32_t index,
		      int64_t s_ms, uint32_t peer_log)
{
	const char *peer = incident->logs[peer_log].node;
	const char *observer = incident->logs[log].node;
	struct hs_replay_step *step, *carrier;

	step = hs_replay_step_add(incident, s_ms, HS_ACTION_POWER_OFF, peer_log);
	if (!step)
		return;
	step->uncertainty_ms = incident->heartbeat_ms / 2;
	hs_replay_step_evidence(step, log, index);
	snprintf(step->why, sizeof(step->why),
		 "%s heard nothing from %s on any link for %" PRIu32 " ms, and %s logged nothing "
		 "after: power loss or crash of %s",
		 observer, peer, incident->dead_time_ms, peer, peer);
	carrier = step_find(incident, HS_ACTION_PULL, observer, "sync", s_ms - 1000,
			    incident->logs[log].records[index].t_ms);
	if (carrier) {
		hs_replay_step_evidence(step, carrier->evidence[0].log, carrier->evidence[0].index);
		step_remove(incident, carrier);
	}
}

/* A silence of the peer reported by the record at (log, index). */
static void infer_silence(struct hs_replay_incident *incident, uint32_t log, uint32_t index)
{
	struct hs_replay_record *record = &incident->logs[log].records[index];
	uint32_t peer_log = 1 - log;
	const char *peer = incident->logs[peer_log].node;
	int64_t dead_ms = record->number > 0 ? record->number : incident->dead_time_ms;
	int64_t s_ms = record->t_ms - dead_ms + (int64_t)incident->heartbeat_ms / 2;
	struct hs_replay_step *known;

	record->explained = true;
	/* One silence, several records (the fence, the take-over, sync lost). */
	known = step_find(incident, HS_ACTION_POWER_OFF, peer, NULL, s_ms - dead_ms, record->t_ms);
	if (!known)
		known = step_find(incident, HS_ACTION_PARTITION, NULL, NULL, s_ms - dead_ms,
				  record->t_ms);
	if (known) {
		hs_replay_step_evidence(known, log, index);
		return;
	}
	if (alive_after(incident, peer_log, record->t_ms - dead_ms))
		links_cut(incident, log, index, s_ms, peer, false);
	else
		node_down(incident, log, index, s_ms, peer_log);
}

/* A refusal of the two nodes near t_ms (an incompatible update drops
 * the sync link). */
static bool refused_near(const struct hs_replay_incident *incident, int64_t t_ms, int64_t span_ms)
{
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++)
		for (uint32_t i = 0; i < incident->logs[log].record_count; i++) {
			const struct hs_replay_record *record = &incident->logs[log].records[i];
			if ((record->cause == HS_CAUSE_REFUSED_FIRMWARE ||
			     record->cause == HS_CAUSE_REFUSED_MODEL ||
			     record->cause == HS_CAUSE_REFUSED_OTHER) &&
			    record->t_ms >= t_ms - span_ms && record->t_ms <= t_ms + span_ms)
				return true;
		}
	return false;
}

/* "sync lost (sync link silent)": the sync link alone, unless a pull, a
 * partition, the peer's death or a refusal explains it. */
static void infer_sync_lost(struct hs_replay_incident *incident, uint32_t log, uint32_t index)
{
	struct hs_replay_record *record = &incident->logs[log].records[index];
	const char *peer = incident->logs[1 - log].node;
	int64_t dead_ms = incident->dead_time_ms, t_ms = record->t_ms;
	int64_t s_ms = t_ms - dead_ms + (int64_t)incident->heartbeat_ms / 2;
	struct hs_replay_step *known =
	    step_find(incident, HS_ACTION_PULL, NULL, "sync", s_ms - HS_LINK_SPAN_MS, t_ms);

	record->explained = true;
	if (!known)
		known = step_find(incident, HS_ACTION_PARTITION, NULL, NULL, s_ms - dead_ms, t_ms);
	if (!known)
		known = step_find(incident, HS_ACTION_POWER_OFF, peer, NULL, s_ms - dead_ms, t_ms);
	if (known) {
		hs_replay_step_evidence(known, log, index);
		return;
	}
	if (refused_near(incident, t_ms, 2 * (int64_t)incident->heartbeat_ms))
		return;
	links_cut(incident, log, index, s_ms, peer, true);
}

/* ------------------------------------------------------------- checks */

/* Whether the local check that failed last before record index (of one
 * log) was the services check (else RAID: a fault's two local causes). */
static bool last_fault_was_services(const struct hs_replay_log *log, uint32_t index)
{
	while (index-- > 0) {
		if (log->records[index].cause == HS_CAUSE_SERVICES_FAILED)
			return true;
		if (log->records[index].cause == HS_CAUSE_RAID_FAILED)
			return false;
	}
	return false;
}

static void infer_check(struct hs_replay_incident *incident, uint32_t log, uint32_t index)
{
	struct hs_replay_record *record = &incident->logs[log].records[index];
	const char *node = incident->logs[log].node;
	int64_t half = (int64_t)incident->health_interval_ms / 2, t_ms = record->t_ms;
	enum hs_action action = 0;
	struct hs_replay_step *step;

	if (record->cause == HS_CAUSE_RAID_FAILED) {
		action = HS_ACTION_RAID_FAIL;
	} else if (record->cause == HS_CAUSE_NETWORK_FAILED) {
		if (step_find(incident, HS_ACTION_PULL, node, "external",
			      t_ms - 3 * HS_LINK_SPAN_MS, t_ms)) {
			record->explained = true;
			return;
		}
		action = HS_ACTION_IMPAIR;
	} else if (record->cause == HS_CAUSE_CHECKS_PASS) {
		if (step_find(incident, HS_ACTION_PLUG, node, NULL, t_ms - 3 * HS_LINK_SPAN_MS,
			      t_ms) ||
		    step_find(incident, HS_ACTION_HEAL, NULL, NULL, t_ms - 3 * HS_LINK_SPAN_MS,
			      t_ms)) {
			record->explained = true;
			return;
		}
		action = strcmp(record->from, "fault") != 0 ? HS_ACTION_HEAL
			 : last_fault_was_services(&incident->logs[log], index)
			     ? HS_ACTION_SERVICES_RESTORE
			     : HS_ACTION_RAID_RESTORE;
	} else if (record->cause == HS_CAUSE_SERVICES_FAILED) {
		action = HS_ACTION_SERVICES_FAIL;
	} else {
		return;
	}
	step = hs_replay_step_add(incident, t_ms - half, action, log);
	if (!step)
		return;
	record->explained = true;
	step->uncertainty_ms = half;
	hs_replay_step_evidence(step, log, index);
	snprintf(step->ports, sizeof(step->ports), "%s",
		 action == HS_ACTION_IMPAIR ? "external" : "");
	snprintf(step->why, sizeof(step->why), "%s: %s (the check runs every %" PRIu32 " ms)", node,
		 action == HS_ACTION_RAID_FAIL		? "its RAID check failed"
		 : action == HS_ACTION_SERVICES_FAIL	? "its services check failed"
		 : action == HS_ACTION_SERVICES_RESTORE ? "its services check passes again"
		 : action == HS_ACTION_IMPAIR	    ? "no ping target reachable while its external "
						      "carrier stayed up: the external network lost"
		 : action == HS_ACTION_RAID_RESTORE ? "its RAID check passes again"
						    : "its checks pass again: the network back",
		 incident->health_interval_ms);
}

/* ------------------------------------------------------------- all */

void hs_replay_infer_links(struct hs_replay_incident *incident)
{
	infer_carrier(incident);
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		struct hs_replay_log *records = &incident->logs[log];
		for (uint32_t i = 0; i < records->record_count; i++) {
			const struct hs_replay_record *record = &records->records[i];
			bool silence = record->cause == HS_CAUSE_PEER_SILENT ||
				       record->cause == HS_CAUSE_FENCING ||
				       (record->cause == HS_CAUSE_SYNC_LOST &&
					strcmp(record->link, "all") == 0);
			if (silence && !record->teardown)
				infer_silence(incident, log, i);
		}
	}
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		struct hs_replay_log *records = &incident->logs[log];
		for (uint32_t i = 0; i < records->record_count; i++) {
			struct hs_replay_record *record = &records->records[i];
			if (record->teardown)
				continue;
			if (record->cause == HS_CAUSE_SYNC_LOST &&
			    strcmp(record->link, "sync") == 0)
				infer_sync_lost(incident, log, i);
			else if (record->cause == HS_CAUSE_FENCED ||
				 record->cause == HS_CAUSE_FENCE_FAILED ||
				 record->cause == HS_CAUSE_SPLIT_BRAIN ||
				 record->cause == HS_CAUSE_SPLIT_RESOLVED)
				record->explained =
				    step_find(incident, HS_ACTION_POWER_OFF, NULL, NULL,
					      record->t_ms - 60000, record->t_ms) ||
				    step_find(incident, HS_ACTION_PARTITION, NULL, NULL,
					      record->t_ms - 600000, record->t_ms);
			else
				infer_check(incident, log, i);
		}
	}
}
