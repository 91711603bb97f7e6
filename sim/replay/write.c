/*
 * write.c - the replayed incident as an ordinary scenario (hasim replay).
 *
 * The file opens with a comment that a reader can check line by line: the
 * logs and their nodes, the clock offset and the record pairs it rests on,
 * the formation, each step with the records it was inferred from
 * (FILE:LINE), the timers and settings taken from the logs, the arithmetic
 * of the time windows, and every record nothing explains. Then the
 * scenario: the topology (with overrides for what the logs show: timers,
 * firmware, models, tie-breaker), a client when the logs show replicated
 * writes, the steps relative to formation, and as expectations the
 * transitions the field saw, each after the step that explains it, in
 * the field's order; each node's state at the end; and the fence,
 * split-brain and refusal records the field saw.
 *
 * Windows: a transition seen d ms after its step is expected within
 * [d - u - 100, d + u + 500 (+ the step's settle)], u the step's
 * uncertainty: 100 ms of tick granularity below (as the library's files),
 * 250 ms of scheduling and logging above plus 250 ms for a loaded host,
 * and a boot's time after a power-on. Transitions of the formation are
 * expected within the wait for the peer + 2000 ms of up.
 */
#include "replay.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HS_WINDOW_BELOW_MS    100
#define HS_WINDOW_ABOVE_MS    500
#define HS_FORMATION_SLACK_MS 2000
#define HS_UNEXPLAINED_LISTED 24
#define HS_EXPECT_ROOM	      (HS_EXPECTS_MAX - 8) /* transitions; the rest for finals, logs */

struct writer {
	const struct hs_replay_incident *incident;
	const struct hs_topology *topology;
	FILE *out;
};

/* ------------------------------------------------------------- names */

const char *hs_replay_node_name(const struct hs_replay_incident *incident,
				const struct hs_topology *topology, uint32_t log)
{
	const char *own = incident->logs[log].node, *other = incident->logs[1 - log].node;
	bool own_known = hs_topology_node(topology, own) != NULL;
	bool other_known = hs_topology_node(topology, other) != NULL;

	if (own_known)
		return own;
	if (other_known) /* the topology's other node */
		return strcmp(topology->nodes[0].name, other) == 0 ? topology->nodes[1].name
								   : topology->nodes[0].name;
	/* Neither known: the node the election made active (lower id) is the
	 * topology's first, so the replay's election agrees. */
	int first = 0;
	for (uint32_t i = 0; i < incident->logs[1].record_count; i++)
		if (incident->logs[1].records[i].cause == HS_CAUSE_ELECTED)
			first = 1;
	return topology->nodes[(uint32_t)first == log ? 0 : 1].name;
}

static const char *node_of(const struct writer *writer, const char *log_node)
{
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++)
		if (strcmp(writer->incident->logs[log].node, log_node) == 0)
			return hs_replay_node_name(writer->incident, writer->topology, log);
	return log_node;
}

/* One line of text for a comment: control characters become spaces. */
static void comment_text(FILE *out, const char *text)
{
	for (const char *c = text; *c; c++)
		fputc((unsigned char)*c < 0x20 || *c == 0x7f ? ' ' : *c, out);
}

static void where(const struct writer *writer, uint32_t log, uint32_t index, char *out,
		  size_t out_size)
{
	hs_replay_where(writer->incident, log, index, out, out_size);
}

/* Times in the header: relative to formation (or to up when the cluster
 * never formed). */
static int64_t relative(const struct hs_replay_incident *incident, int64_t t_ms)
{
	return t_ms - (incident->formed ? incident->formed_ms : incident->up_ms);
}

/* ------------------------------------------------------------- header */

static void header_logs(const struct writer *writer)
{
	const struct hs_replay_incident *incident = writer->incident;

	fprintf(writer->out, "# Replayed by hasim replay from two cluster logs of the field:\n");
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		const struct hs_replay_log *records = &incident->logs[log];
		fprintf(writer->out,
			"#   %s: %s's %s log, %u records in %u lines, %u boot%s%s; staged "
			"as %s\n",
			records->name, records->node, records->adapter->name, records->record_count,
			records->line_count, records->boot_count,
			records->boot_count == 1 ? "" : "s",
			records->begins_mid_incident ? ", begins mid-incident" : "",
			hs_replay_node_name(incident, writer->topology, log));
	}
}

static void header_clock(const struct writer *writer)
{
	const struct hs_replay_incident *incident = writer->incident;
	const char *first = incident->logs[0].name, *second = incident->logs[1].name;
	char cause[HS_PATH_MAX + 16], effect[HS_PATH_MAX + 16];

	fprintf(writer->out, "#\n# Clock: ");
	if (!incident->offset_from_pairs) {
		fprintf(writer->out,
			"no record of one log pairs with one of the other, so the wall clocks are "
			"taken as synchronized (offset 0).\n");
	} else {
		fprintf(writer->out, "%s's clock is %" PRId64 " ms %s %s's", second,
			(int64_t)llabs(incident->offset_ms),
			incident->offset_ms >= 0 ? "ahead of" : "behind", first);
		if (incident->offset_conflict)
			fprintf(writer->out, " (the median: the pairs below disagree; lines may be "
					     "missing or a clock was stepped)");
		else if (incident->offset_error_ms >= 0)
			fprintf(writer->out, " (+/- %" PRId64 " ms)", incident->offset_error_ms);
		fprintf(writer->out, ", from %u record pair%s (cause -> effect):\n",
			incident->pair_count, incident->pair_count == 1 ? "" : "s");
		for (uint32_t i = 0; i < incident->pair_count; i++) {
			const struct hs_replay_pair *pair = &incident->pairs[i];
			where(writer, pair->cause_log, pair->cause_index, cause, sizeof(cause));
			where(writer, pair->effect_log, pair->effect_index, effect, sizeof(effect));
			fprintf(writer->out, "#   %s -> %s: %s\n", cause, effect, pair->what);
		}
	}
	fprintf(writer->out, "# Times are ms on %s's clock, ", first);
	if (incident->formed)
		fprintf(writer->out,
			"from the formation at +0 (%s %s, %s %s): steps run after 'formed'.\n",
			incident->logs[incident->formed_active].node, "active",
			incident->logs[1 - incident->formed_active].node, "standby");
	else
		fprintf(writer->out,
			"from the first start: the cluster never formed (one node active, the "
			"other standby), so steps run at_ms after 'up'.\n");
}

static void header_steps(const struct writer *writer)
{
	const struct hs_replay_incident *incident = writer->incident;
	char at[HS_PATH_MAX + 16];

	fprintf(writer->out, "#\n# Inferences, each a step below (the records that show it):\n");
	if (incident->step_count == 0)
		fprintf(writer->out, "#   none: no fault and no command; the nodes only started\n");
	for (uint32_t i = 0; i < incident->step_count; i++) {
		const struct hs_replay_step *step = &incident->steps[i];
		fprintf(writer->out, "#   %s at %+" PRId64 " ms: %s %s", step->name,
			relative(incident, step->t_ms), hs_action_name(step->action),
			node_of(writer, step->node));
		if (step->uncertainty_ms)
			fprintf(writer->out, " (+/- %" PRId64 " ms)", step->uncertainty_ms);
		fprintf(writer->out, ". ");
		comment_text(writer->out, step->why);
		fprintf(writer->out, ". Evidence:");
		for (uint32_t e = 0; e < step->evidence_count; e++) {
			const struct hs_replay_evidence *evidence = &step->evidence[e];
			const struct hs_replay_record *record =
			    &incident->logs[evidence->log].records[evidence->index];
			where(writer, evidence->log, evidence->index, at, sizeof(at));
			fprintf(writer->out, "%s %s '", e ? ";" : "", at);
			comment_text(writer->out, record->reason);
			fprintf(writer->out, "'");
		}
		fprintf(writer->out, "\n");
	}
}

static void header_settings(const struct writer *writer)
{
	const struct hs_replay_incident *incident = writer->incident;

	fprintf(writer->out, "# From the logs: ");
	if (incident->timers_seen[0])
		fprintf(writer->out, "dead time %" PRIu32 " ms; ", incident->dead_time_ms);
	if (incident->timers_seen[1])
		fprintf(writer->out, "wait for the peer %" PRIu32 " ms; ",
			incident->wait_for_peer_ms);
	if (incident->tiebreaker[0])
		fprintf(writer->out, "tie-breaker %s (%s records); ", incident->tiebreaker,
			strcmp(incident->tiebreaker, "fence") == 0 ? "fence" : "split-brain");
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		if (incident->firmware[log][0])
			fprintf(writer->out, "%s firmware %s; ", incident->logs[log].node,
				incident->firmware[log]);
		if (incident->model[log][0])
			fprintf(writer->out, "%s model %s; ", incident->logs[log].node,
				incident->model[log]);
	}
	if (incident->client)
		fprintf(writer->out, "replicated writes (seq up to %" PRId64 "): a client writes",
			incident->highest_seq);
	else
		fprintf(writer->out, "no replicated write: no client");
	fprintf(writer->out,
		".\n# Windows: a transition the field saw d ms after the step that "
		"explains it is expected within\n#   [d - u - %d, d + u + %d] ms, u the "
		"step's uncertainty (+ a boot's time after a power-on); one\n#   of the "
		"formation within the wait for the peer + %d ms of 'up'.\n",
		HS_WINDOW_BELOW_MS, HS_WINDOW_ABOVE_MS, HS_FORMATION_SLACK_MS);
}

static void header_unexplained(const struct writer *writer)
{
	const struct hs_replay_incident *incident = writer->incident;
	uint32_t listed = 0, total = 0;
	char at[HS_PATH_MAX + 16];

	fprintf(writer->out, "#\n# Not explained (no inference accounts for these records):\n");
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		const struct hs_replay_log *records = &incident->logs[log];
		for (uint32_t i = 0; i < records->record_count; i++) {
			const struct hs_replay_record *record = &records->records[i];
			if (record->explained || record->teardown)
				continue;
			if (listed++ < HS_UNEXPLAINED_LISTED) {
				where(writer, log, i, at, sizeof(at));
				fprintf(writer->out, "#   %s (%s, %s): '", at, record->event,
					hs_replay_cause_name(record->cause));
				comment_text(writer->out, record->reason);
				fprintf(writer->out, "'\n");
			}
			total++;
		}
	}
	if (total > HS_UNEXPLAINED_LISTED)
		fprintf(writer->out, "#   ... %u more records\n", total - HS_UNEXPLAINED_LISTED);
	if (total == 0)
		fprintf(writer->out, "#   none\n");
	if (incident->note_total == 0)
		return;
	fprintf(writer->out, "# Notes on the logs:\n");
	for (uint32_t i = 0; i < incident->note_count; i++) {
		const struct hs_replay_note *note = &incident->notes[i];
		fprintf(writer->out, "#   %s:%u: ", incident->logs[note->log].name, note->line);
		comment_text(writer->out, note->text);
		fprintf(writer->out, "\n");
	}
	if (incident->note_total > incident->note_count)
		fprintf(writer->out, "#   ... %u more notes\n",
			incident->note_total - incident->note_count);
}

/* ------------------------------------------------------------- span */

int hs_replay_span_check(const struct hs_replay_incident *incident, char *error, size_t error_size)
{
	char at[HS_PATH_MAX + 16];
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		const struct hs_replay_log *records = &incident->logs[log];
		for (uint32_t i = 0; i < records->record_count; i++) {
			int64_t since_ms = records->records[i].t_ms - incident->up_ms;
			if (records->records[i].teardown || since_ms <= HS_REPLAY_SPAN_MAX_MS)
				continue;
			hs_replay_where(incident, log, i, at, sizeof(at));
			snprintf(error, error_size,
				 "%s: this record comes %" PRId64
				 " ms after the first start, and a "
				 "scenario stages at most %d ms: cut the logs to the incident",
				 at, since_ms, HS_REPLAY_SPAN_MAX_MS);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- anchors */

/* When a step runs: relative to formation, or to up when the cluster
 * never formed or the step comes before it. */
static void write_when(const struct writer *writer, int64_t t_ms)
{
	const struct hs_replay_incident *incident = writer->incident;
	if (incident->formed && t_ms >= incident->formed_ms)
		fprintf(writer->out, "after: formed, delay_ms: %" PRId64,
			t_ms - incident->formed_ms);
	else
		fprintf(writer->out, "at_ms: %" PRId64,
			t_ms > incident->up_ms ? t_ms - incident->up_ms : 0);
}

static const struct hs_node_model *model_of(const struct writer *writer, const char *log_node)
{
	return hs_topology_node(writer->topology, node_of(writer, log_node));
}

/* One step line per port of a bond (pull, plug, impair), else one. */
static void write_step(const struct writer *writer, const struct hs_replay_step *step)
{
	const struct hs_node_model *node = model_of(writer, step->node);
	bool ports = step->action == HS_ACTION_PULL || step->action == HS_ACTION_PLUG ||
		     step->action == HS_ACTION_IMPAIR;

	if (ports && node) {
		const struct hs_interface *bond =
		    &node->interfaces[strcmp(step->ports, "sync") == 0 ? HS_NETWORK_SYNC
								       : HS_NETWORK_EXTERNAL];
		for (uint32_t i = 0; i < bond->port_count && i < 2; i++) {
			fprintf(writer->out, "  - {name: %s%s, ", step->name, i ? "-2" : "");
			write_when(writer, step->t_ms);
			fprintf(writer->out, ", action: %s, port: %s.%s%s}\n",
				hs_action_name(step->action), node->name, bond->ports[i],
				step->action == HS_ACTION_IMPAIR ? ", loss_pct: 100" : "");
		}
		return;
	}
	fprintf(writer->out, "  - {name: %s, ", step->name);
	write_when(writer, step->t_ms);
	fprintf(writer->out, ", action: %s", hs_action_name(step->action));
	if (step->action == HS_ACTION_PARTITION)
		fprintf(writer->out, ", network: %s", step->network);
	else if (step->action != HS_ACTION_HEAL)
		fprintf(writer->out, ", node: %s", node_of(writer, step->node));
	if (step->action == HS_ACTION_FIRMWARE_UPDATE)
		fprintf(writer->out, ", version: %s",
			step->version[0] ? step->version
			: node		 ? node->firmware
					 : "2.3.1");
	fprintf(writer->out, "}\n");
}

/* The step that explains record (log, index): the one that names it as
 * evidence, else the latest before it; NULL when none comes before. */
static const struct hs_replay_step *anchor_of(const struct hs_replay_incident *incident,
					      uint32_t log, uint32_t index)
{
	const struct hs_replay_step *latest = NULL;
	int64_t t_ms = incident->logs[log].records[index].t_ms;

	for (uint32_t i = 0; i < incident->step_count; i++) {
		const struct hs_replay_step *step = &incident->steps[i];
		for (uint32_t e = 0; e < step->evidence_count; e++)
			if (step->evidence[e].log == log && step->evidence[e].index == index &&
			    step->t_ms <= t_ms)
				return step;
		if (step->t_ms <= t_ms)
			latest = step;
	}
	return latest;
}

/* ------------------------------------------------------------- body */

struct window {
	const char *anchor;
	int64_t low_ms, high_ms;
};

static struct window window_of(const struct writer *writer, uint32_t log, uint32_t index)
{
	const struct hs_replay_incident *incident = writer->incident;
	const struct hs_replay_record *record = &incident->logs[log].records[index];
	const struct hs_replay_step *step = anchor_of(incident, log, index);
	struct window window;
	int64_t d, u;

	if (!step && (!incident->formed || record->t_ms <= incident->formed_ms)) {
		window.anchor = "up";
		window.low_ms = 0;
		window.high_ms = record->t_ms - incident->up_ms + incident->wait_for_peer_ms +
				 HS_FORMATION_SLACK_MS;
		window.high_ms =
		    window.high_ms > HS_REPLAY_SPAN_MAX_MS ? HS_REPLAY_SPAN_MAX_MS : window.high_ms;
		return window;
	}
	window.anchor = step ? step->name : "formed";
	d = record->t_ms - (step ? step->t_ms : incident->formed_ms);
	u = step ? step->uncertainty_ms : incident->heartbeat_ms;
	window.low_ms = d - u - HS_WINDOW_BELOW_MS > 0 ? d - u - HS_WINDOW_BELOW_MS : 0;
	window.high_ms = (d > 0 ? d : 0) + u + HS_WINDOW_ABOVE_MS + (step ? step->settle_ms : 0);
	window.high_ms =
	    window.high_ms > HS_REPLAY_SPAN_MAX_MS ? HS_REPLAY_SPAN_MAX_MS : window.high_ms;
	window.low_ms = window.low_ms > window.high_ms ? window.high_ms : window.low_ms;
	return window;
}

static int64_t step_time_of(const struct hs_replay_incident *incident, const char *name)
{
	for (uint32_t i = 0; i < incident->step_count; i++)
		if (strcmp(incident->steps[i].name, name) == 0)
			return incident->steps[i].t_ms;
	return strcmp(name, "formed") == 0 ? incident->formed_ms : incident->up_ms;
}

/* Every transition the field saw, in its order; returns how many written
 * and the latest moment an expectation reaches into *reach_ms. */
static uint32_t write_transitions(const struct writer *writer, int64_t *reach_ms)
{
	const struct hs_replay_incident *incident = writer->incident;
	uint32_t cursor[2] = {0, 0}, written = 0, left_out = 0;

	*reach_ms = incident->formed ? incident->formed_ms : incident->up_ms;
	for (;;) {
		const struct hs_replay_log *a = &incident->logs[0], *b = &incident->logs[1];
		bool more_a = cursor[0] < a->record_count, more_b = cursor[1] < b->record_count;
		if (!more_a && !more_b)
			break;
		uint32_t log =
		    !more_b || (more_a && a->records[cursor[0]].t_ms <= b->records[cursor[1]].t_ms)
			? 0
			: 1;
		uint32_t index = cursor[log]++;
		const struct hs_replay_record *record = &incident->logs[log].records[index];
		if (!record->transition || record->teardown)
			continue;
		if (written == HS_EXPECT_ROOM) {
			left_out++;
			continue;
		}
		struct window window = window_of(writer, log, index);
		int64_t reach = step_time_of(incident, window.anchor) + window.high_ms;
		*reach_ms = reach > *reach_ms ? reach : *reach_ms;
		fprintf(
		    writer->out,
		    "  - {transition: {node: %s, from: %s, to: %s}, after: %s, within_ms: [%" PRId64
		    ", %" PRId64 "]}\n",
		    hs_replay_node_name(incident, writer->topology, log), record->from, record->to,
		    window.anchor, window.low_ms, window.high_ms);
		written++;
	}
	if (left_out)
		fprintf(writer->out, "  # %u more transitions left out (at most %d expectations)\n",
			left_out, HS_EXPECTS_MAX);
	return written;
}

/* The first record of each kind per node: fence, split brain, refusal. */
static void write_records(const struct writer *writer)
{
	static const struct {
		enum hs_replay_cause cause;
		const char *event;
	} kinds[] = {{HS_CAUSE_FENCING, "fence"},
		     {HS_CAUSE_SPLIT_BRAIN, "split_brain"},
		     {HS_CAUSE_REFUSED_FIRMWARE, "refused"},
		     {HS_CAUSE_REFUSED_MODEL, "refused"}};
	const struct hs_replay_incident *incident = writer->incident;

	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		bool refused = false;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			const struct hs_replay_log *records = &incident->logs[log];
			for (uint32_t i = 0; i < records->record_count; i++) {
				const struct hs_replay_record *record = &records->records[i];
				if (record->cause != kinds[k].cause ||
				    strcmp(record->event, kinds[k].event) != 0 ||
				    (refused && strcmp(kinds[k].event, "refused") == 0))
					continue;
				refused = refused || strcmp(kinds[k].event, "refused") == 0;
				const struct hs_replay_step *step = anchor_of(incident, log, i);
				fprintf(writer->out,
					"  - {log: {event: %s, node: %s}, after: %s}\n",
					kinds[k].event,
					hs_replay_node_name(incident, writer->topology, log),
					step ? step->name : "up");
				break;
			}
		}
	}
}

static void write_overrides(const struct writer *writer)
{
	const struct hs_replay_incident *incident = writer->incident;
	const struct hs_topology *topology = writer->topology;
	bool timers =
	    (incident->timers_seen[0] && incident->dead_time_ms != topology->timers.dead_time_ms &&
	     incident->dead_time_ms > topology->timers.heartbeat_interval_ms) ||
	    (incident->timers_seen[1] &&
	     incident->wait_for_peer_ms != topology->timers.wait_for_peer_ms);
	bool tiebreaker =
	    incident->tiebreaker[0] && strcmp(incident->tiebreaker, topology->tiebreaker) != 0;
	bool nodes = false, no_ping = incident->no_ping_targets && topology->ping_target_count > 0;

	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		const struct hs_node_model *node = model_of(writer, incident->logs[log].node);
		nodes = nodes ||
			(node && incident->firmware[log][0] &&
			 strcmp(node->firmware, incident->firmware[log]) != 0) ||
			(node && incident->model[log][0] &&
			 strcmp(node->model, incident->model[log]) != 0);
	}
	if (!timers && !tiebreaker && !nodes && !no_ping)
		return;
	fprintf(writer->out, "overrides:\n");
	if (tiebreaker)
		fprintf(writer->out, "  tiebreaker: %s\n", incident->tiebreaker);
	else if (no_ping && strcmp(topology->tiebreaker, "ping") == 0)
		fprintf(writer->out, "  tiebreaker: none\n"); /* ping needs targets */
	if (no_ping) /* the field's nodes handed over on carrier */
		fprintf(writer->out, "  ping_targets: []\n");
	if (timers) {
		fprintf(writer->out, "  timers: {");
		if (incident->timers_seen[0] &&
		    incident->dead_time_ms != topology->timers.dead_time_ms)
			fprintf(writer->out, "dead_time_ms: %" PRIu32 "%s", incident->dead_time_ms,
				incident->timers_seen[1] ? ", " : "");
		if (incident->timers_seen[1])
			fprintf(writer->out, "wait_for_peer_ms: %" PRIu32,
				incident->wait_for_peer_ms);
		fprintf(writer->out, "}\n");
	}
	if (!nodes)
		return;
	fprintf(writer->out, "  nodes:\n");
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		const struct hs_node_model *node = model_of(writer, incident->logs[log].node);
		bool firmware = node && incident->firmware[log][0] &&
				strcmp(node->firmware, incident->firmware[log]) != 0;
		bool model = node && incident->model[log][0] &&
			     strcmp(node->model, incident->model[log]) != 0;
		if (!firmware && !model)
			continue;
		fprintf(writer->out, "    %s: {", node->name);
		if (firmware)
			fprintf(writer->out, "firmware: %s%s", incident->firmware[log],
				model ? ", " : "");
		if (model)
			fprintf(writer->out, "model: %s", incident->model[log]);
		fprintf(writer->out, "}\n");
	}
}

static void write_body(const struct writer *writer, const char *topology_ref, int64_t reach_ms)
{
	const struct hs_replay_incident *incident = writer->incident;
	int64_t last_ms = incident->step_count
			      ? incident->steps[incident->step_count - 1].t_ms
			      : (incident->formed ? incident->formed_ms : incident->up_ms);
	int64_t settle_ms = incident->end_ms - last_ms + 1000;

	settle_ms = reach_ms - last_ms + 200 > settle_ms ? reach_ms - last_ms + 200 : settle_ms;
	settle_ms = settle_ms < 3000 ? 3000 : settle_ms > 600000 ? 600000 : settle_ms;
	fprintf(writer->out, "topology: %s\n", topology_ref);
	write_overrides(writer);
	fprintf(writer->out, "settle_ms: %" PRId64 "\ntimeout_ms: %" PRId64 "\n", settle_ms,
		(incident->end_ms - incident->up_ms) + settle_ms + 60000 > 3600000
		    ? 3600000
		    : (incident->end_ms - incident->up_ms) + settle_ms + 60000);
	if (incident->client)
		fprintf(writer->out, "client: {rate_per_s: 20}\n");
	fprintf(writer->out, "steps:%s\n", incident->step_count ? "" : " []");
	for (uint32_t i = 0; i < incident->step_count; i++)
		write_step(writer, &incident->steps[i]);
}

/* A scenario name from the two nodes: [A-Za-z0-9_.-], at most 31. */
static void scenario_name(const struct hs_replay_incident *incident, char *out, size_t out_size)
{
	snprintf(out, out_size, "replay-%.10s-%.10s", incident->logs[0].node,
		 incident->logs[1].node);
	for (char *c = out; *c; c++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-",
			    *c))
			*c = '-';
}

int hs_replay_write(const struct hs_replay_incident *incident, const struct hs_topology *topology,
		    const char *topology_ref, FILE *out, char *error, size_t error_size)
{
	struct writer writer = {.incident = incident, .topology = topology, .out = out};
	char name[HS_NAME_MAX], *expect_text = NULL;
	size_t expect_size = 0;
	int64_t reach_ms;
	FILE *expect;

	/* The expectations first, into memory: settle_ms must cover them. */
	expect = open_memstream(&expect_text, &expect_size);
	if (!expect) {
		snprintf(error, error_size, "hs_replay_write: out of memory");
		return -1;
	}
	writer.out = expect;
	write_transitions(&writer, &reach_ms);
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++)
		if (incident->final_state[log][0])
			fprintf(expect, "  - {final: {node: %s, state: %s}}\n",
				hs_replay_node_name(incident, topology, log),
				incident->final_state[log]);
	write_records(&writer);
	fclose(expect);
	writer.out = out;
	header_logs(&writer);
	header_clock(&writer);
	header_steps(&writer);
	header_settings(&writer);
	header_unexplained(&writer);
	scenario_name(incident, name, sizeof(name));
	fprintf(out,
		"name: %s\ndescription: a field incident replayed from the cluster logs of %s "
		"and %s\n",
		name, incident->logs[0].node, incident->logs[1].node);
	write_body(&writer, topology_ref, reach_ms);
	fprintf(out, "expect:\n%s", expect_text ? expect_text : "");
	free(expect_text);
	if (ferror(out)) {
		snprintf(error, error_size, "hs_replay_write: cannot write the scenario");
		return -1;
	}
	return 0;
}
