/*
 * expect.c - judge a scenario's expectations against a run's timeline.
 *
 * Anchors: "up" is t0, "formed" is run.json's formed_mono_ms, anything else
 * names a step and means the time steps.jsonl recorded for it; an anchor
 * that never happened fails the expectation. Nodes may be names, role
 * aliases from run.json ("@active") or "any" (also ""). The upper ends of
 * time windows and the upper bounds of *_ms metrics are multiplied by
 * run.json's time_scale, because a slow backend (TCG guests) makes things
 * happen later; lower ends and no-transition spans stay as written: a slow
 * backend never makes a timer fire early, nor makes "nothing moves" shorter.
 *
 * TRANSITION expectations of one node must match in the scenario's order:
 * each one only considers transitions after the one its predecessor (for
 * the same node, or for "any") matched. This is what makes "active ->
 * maintenance, then maintenance -> standby" fail when the node did it the
 * other way round.
 *
 * Every message is one sentence that starts with what was expected and
 * ends with what was seen, so that a CI log line is enough to act on.
 * Descriptions keep the scenario's text as written ("@standby", windows
 * before scaling), so they name the same test case in every run; messages
 * end with what this run resolved ("@standby is node2", the scaled
 * window). An expectation with nothing to judge is skipped (check.h).
 */
#include "expect.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define HS_EXPECT_LISTED_MAX 8 /* transitions listed in a "never saw it" message */

/* ------------------------------------------------------------- helpers */

static bool anchor_time(const struct hs_check_result *result, const char *anchor, int64_t *t_ms)
{
	if (anchor[0] == '\0' || strcmp(anchor, "up") == 0) {
		*t_ms = 0;
		return true;
	}
	if (strcmp(anchor, "formed") == 0) {
		*t_ms = result->formed_ms;
		return result->formed;
	}
	const struct hs_timeline_event *step = hs_timeline_find_step(result->timeline, anchor);
	if (step)
		*t_ms = step->t_ms;
	return step != NULL;
}

void hs_expect_window(const struct hs_check_result *result, struct hs_check_expect_result *out,
		      int node, int64_t start_ms, int64_t end_ms)
{
	out->has_window = true;
	out->window_start_ms = start_ms;
	out->window_end_ms = end_ms;
	snprintf(out->window_node, sizeof(out->window_node), "%s",
		 node >= 0 ? result->nodes[node] : "");
}

const char *hs_expect_anchor_label(const char *anchor)
{
	return anchor[0] ? anchor : "up";
}

/* The index of the node an expectation names, HS_NODE_ANY or
 * HS_NODE_UNKNOWN; label gets the name to print. */
int hs_expect_node(const struct hs_check_result *result, const char *name, char *label,
		   size_t label_size)
{
	if (name[0] == '\0' || strcmp(name, "any") == 0) {
		snprintf(label, label_size, "any node");
		return HS_NODE_ANY;
	}
	char node[HS_NAME_MAX * 2];
	hs_timeline_resolve_node(result, name, node, sizeof(node));
	snprintf(label, label_size, "%s", node);
	int index = hs_timeline_node_index(result, node);
	return index >= 0 ? index : HS_NODE_UNKNOWN;
}

/* The node as the scenario writes it, for descriptions. */
const char *hs_expect_written_node(const char *name)
{
	return name[0] == '\0' || strcmp(name, "any") == 0 ? "any node" : name;
}

int64_t hs_expect_scaled_ms(const struct hs_check_result *result, int64_t ms)
{
	return (int64_t)llround((double)ms * result->time_scale);
}

static bool is_transition_of(const struct hs_check_result *result,
			     const struct hs_timeline_event *event, int node)
{
	return event->source_kind == HS_SOURCE_NODE && strcmp(event->kind, "transition") == 0 &&
	       !hs_timeline_after_end(result, event) &&
	       (node == HS_NODE_ANY || strcmp(event->node, result->nodes[node]) == 0);
}

static bool transition_matches(const struct hs_expect *expect,
			       const struct hs_timeline_event *event)
{
	return (expect->from[0] == '\0' || strcmp(expect->from, event->from) == 0) &&
	       strcmp(expect->to, event->to) == 0;
}

/* "standby->fault at 120 ms, fault->active at 300 ms" or "none". */
static void list_transitions(const struct hs_check_result *result, int node, int64_t anchor_ms,
			     char *out, size_t out_size)
{
	const struct hs_timeline *timeline = result->timeline;
	size_t used = 0;
	uint32_t listed = 0;
	out[0] = '\0';
	for (uint32_t i = 0; i < timeline->event_count && used < out_size; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (!is_transition_of(result, event, node) || event->t_ms < anchor_ms)
			continue;
		if (listed == HS_EXPECT_LISTED_MAX) {
			snprintf(out + used, out_size - used, ", ...");
			return;
		}
		int written =
		    snprintf(out + used, out_size - used, "%s%s%s%s->%s at %" PRId64 " ms",
			     listed ? ", " : "", node == HS_NODE_ANY ? event->node : "",
			     node == HS_NODE_ANY ? " " : "", event->from, event->to,
			     event->t_ms - anchor_ms);
		used += written > 0 ? (size_t)written : 0;
		listed++;
	}
	if (listed == 0)
		snprintf(out, out_size, "none");
}

/* The run's failure list gets the message once its notes are added
 * (hs_expect_judge_all). */
void hs_expect_fail(struct hs_expect_context *context, struct hs_check_expect_result *out,
		    const char *format, ...)
{
	va_list arguments;
	(void)context;
	va_start(arguments, format);
	vsnprintf(out->message, sizeof(out->message), format, arguments);
	va_end(arguments);
	out->passed = false;
}

void hs_expect_skip(struct hs_check_expect_result *out, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(out->message, sizeof(out->message), format, arguments);
	va_end(arguments);
	out->passed = false;
	out->skipped = true;
}

void hs_expect_pass(struct hs_check_expect_result *out, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(out->message, sizeof(out->message), format, arguments);
	va_end(arguments);
	out->passed = true;
}

/* A role alias is only known once the cluster formed; say so rather than
 * calling it an unknown node. */
void hs_expect_unknown_node_fail(struct hs_expect_context *context,
				 struct hs_check_expect_result *out, const char *node_label)
{
	if (node_label[0] == '@')
		hs_expect_fail(
		    context, out,
		    "expected %s, but alias '%s' was never resolved (the cluster did not form)",
		    out->description, node_label);
	else
		hs_expect_fail(context, out, "expected %s, but the run has no node '%s'",
			       out->description, node_label);
}

/* The time of the expectation's anchor; false, and the expectation failed,
 * if the anchor never happened. */
bool hs_expect_anchor_time(struct hs_expect_context *context, const struct hs_expect *expect,
			   struct hs_check_expect_result *out, int64_t *anchor_ms)
{
	if (anchor_time(context->result, expect->anchor, anchor_ms))
		return true;
	hs_expect_fail(context, out, "expected %s, but anchor '%s' never happened",
		       out->description, expect->anchor);
	return false;
}

/* Whether an expectation about `node` after its anchor can be judged: the
 * node is known and the anchor happened (at *anchor_ms). If not, the
 * expectation has failed saying which. */
bool hs_expect_node_and_anchor_known(struct hs_expect_context *context,
				     const struct hs_expect *expect, int node,
				     const char *node_label, struct hs_check_expect_result *out,
				     int64_t *anchor_ms)
{
	if (node == HS_NODE_UNKNOWN) {
		hs_expect_unknown_node_fail(context, out, node_label);
		return false;
	}
	return hs_expect_anchor_time(context, expect, out, anchor_ms);
}

/* ------------------------------------------------------------- transitions */

static void describe_transition(const struct hs_expect *expect, struct hs_check_expect_result *out)
{
	snprintf(out->description, sizeof(out->description),
		 "%s %s->%s within [%" PRId64 ", %" PRId64 "] ms after '%s'",
		 hs_expect_written_node(expect->node), expect->from[0] ? expect->from : "any",
		 expect->to, (int64_t)expect->within_min_ms, (int64_t)expect->within_max_ms,
		 hs_expect_anchor_label(expect->anchor));
}

/* No transition in the window after the cursor: say the nearest thing that
 * was seen instead. */
static void transition_missed(struct hs_expect_context *context, int node, const char *node_label,
			      int64_t anchor_ms, const struct hs_timeline_event *outside,
			      const struct hs_timeline_event *consumed,
			      const struct hs_expect *expect, struct hs_check_expect_result *out)
{
	const struct hs_check_result *result = context->result;
	if (outside) {
		hs_expect_fail(context, out, "expected %s, saw it at %" PRId64 " ms",
			       out->description, outside->t_ms - anchor_ms);
		return;
	}
	if (consumed) {
		int64_t cursor = context->cursors[node == HS_NODE_ANY ? HS_NODES_MAX : node];
		const struct hs_timeline_event *previous = &result->timeline->events[cursor];
		hs_expect_fail(context, out,
			       "expected %s, saw it at %" PRId64
			       " ms, but before %s %s->%s at %" PRId64
			       " ms, which an earlier expectation matched",
			       out->description, consumed->t_ms - anchor_ms, previous->node,
			       previous->from, previous->to, previous->t_ms - anchor_ms);
		return;
	}
	char seen[HS_CHECK_MESSAGE_MAX / 2];
	list_transitions(result, node, anchor_ms, seen, sizeof(seen));
	hs_expect_fail(context, out, "expected %s, never saw it; %s's transitions after '%s': %s",
		       out->description, node_label, hs_expect_anchor_label(expect->anchor), seen);
}

static void judge_transition(struct hs_expect_context *context, const struct hs_expect *expect,
			     struct hs_check_expect_result *out)
{
	struct hs_check_result *result = context->result;
	char node_label[HS_NAME_MAX * 2];
	int node = hs_expect_node(result, expect->node, node_label, sizeof(node_label));
	describe_transition(expect, out);
	int64_t anchor_ms;
	if (!hs_expect_node_and_anchor_known(context, expect, node, node_label, out, &anchor_ms))
		return;
	int64_t low_ms = anchor_ms + (int64_t)expect->within_min_ms;
	int64_t high_ms = anchor_ms + hs_expect_scaled_ms(result, expect->within_max_ms);
	hs_expect_window(result, out, node, low_ms, high_ms);
	int64_t *cursor = &context->cursors[node == HS_NODE_ANY ? HS_NODES_MAX : node];
	const struct hs_timeline_event *outside = NULL, *consumed = NULL;
	const struct hs_timeline *timeline = result->timeline;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (!is_transition_of(result, event, node) || !transition_matches(expect, event) ||
		    event->t_ms < anchor_ms)
			continue;
		bool inside = event->t_ms >= low_ms && event->t_ms <= high_ms;
		bool later = (int64_t)i > *cursor;
		if (later && inside) {
			*cursor = i;
			hs_expect_pass(out, "saw it at %" PRId64 " ms", event->t_ms - anchor_ms);
			return;
		}
		if (later && !outside)
			outside = event;
		if (!later && inside && !consumed)
			consumed = event;
	}
	transition_missed(context, node, node_label, anchor_ms, outside, consumed, expect, out);
}

static void judge_no_transition(struct hs_expect_context *context, const struct hs_expect *expect,
				struct hs_check_expect_result *out)
{
	struct hs_check_result *result = context->result;
	char node_label[HS_NAME_MAX * 2];
	int node = hs_expect_node(result, expect->node, node_label, sizeof(node_label));
	int64_t for_ms = expect->for_ms, anchor_ms;
	snprintf(out->description, sizeof(out->description),
		 "no transition of %s for %" PRId64 " ms after '%s'",
		 hs_expect_written_node(expect->node), for_ms,
		 hs_expect_anchor_label(expect->anchor));
	if (!hs_expect_node_and_anchor_known(context, expect, node, node_label, out, &anchor_ms))
		return;
	hs_expect_window(result, out, node, anchor_ms, anchor_ms + for_ms);
	if (anchor_ms > result->ended_ms) {
		hs_expect_skip(out,
			       "the run ended at %" PRId64
			       " ms, before the quiet period after '%s' "
			       "began at %" PRId64 " ms",
			       result->ended_ms, hs_expect_anchor_label(expect->anchor), anchor_ms);
		return;
	}
	const struct hs_timeline *timeline = result->timeline;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (!is_transition_of(result, event, node) || event->t_ms < anchor_ms ||
		    event->t_ms > anchor_ms + for_ms)
			continue;
		hs_expect_fail(context, out, "expected %s, saw %s%s%s->%s at %" PRId64 " ms",
			       out->description, node == HS_NODE_ANY ? event->node : "",
			       node == HS_NODE_ANY ? " " : "", event->from, event->to,
			       event->t_ms - anchor_ms);
		return;
	}
	if (anchor_ms + for_ms > result->ended_ms) {
		hs_expect_pass(out, "saw none in the %" PRId64 " ms the run lasted of the %" PRId64,
			       result->ended_ms - anchor_ms, for_ms);
		hs_check_warn(result, "%s: judged only the first %" PRId64 " ms (the run ended)",
			      out->description, result->ended_ms - anchor_ms);
		return;
	}
	hs_expect_pass(out, "saw none");
}

/* ------------------------------------------------------------- final, log */

static void judge_final(struct hs_expect_context *context, const struct hs_expect *expect,
			struct hs_check_expect_result *out)
{
	struct hs_check_result *result = context->result;
	char node_label[HS_NAME_MAX * 2];
	int node = hs_expect_node(result, expect->node, node_label, sizeof(node_label));
	snprintf(out->description, sizeof(out->description), "%s ends %s",
		 hs_expect_written_node(expect->node), expect->to);
	if (node == HS_NODE_UNKNOWN) {
		hs_expect_unknown_node_fail(context, out, node_label);
		return;
	}
	if (node >= 0) {
		if (strcmp(result->final_display[node], expect->to) == 0)
			hs_expect_pass(out, "ended %s", expect->to);
		else
			hs_expect_fail(context, out, "expected %s to end %s, it ended %s",
				       node_label, expect->to, result->final_display[node]);
		return;
	}
	char ended[HS_TEXT_MAX] = "";
	size_t used = 0;
	for (uint32_t i = 0; i < result->node_count; i++) {
		if (strcmp(result->final_display[i], expect->to) == 0) {
			hs_expect_pass(out, "%s ended %s", result->nodes[i], expect->to);
			return;
		}
		int written = snprintf(ended + used, sizeof(ended) - used, "%s%s %s", i ? ", " : "",
				       result->nodes[i], result->final_display[i]);
		used += written > 0 && (size_t)written < sizeof(ended) - used ? (size_t)written : 0;
	}
	hs_expect_fail(context, out, "expected a node to end %s, they ended %s", expect->to, ended);
}

/* log and notify: "a 'fence' record ...", "a 'fault' notification ...". */
static void describe_log(const struct hs_expect *expect, struct hs_check_expect_result *out)
{
	bool notify = expect->kind == HS_EXPECT_NOTIFY;
	char text[HS_TEXT_MAX + 32] = "", anchor[HS_NAME_MAX + 16] = "";
	if (expect->log_text[0])
		snprintf(text, sizeof(text), " whose %s contains '%s'", notify ? "text" : "reason",
			 expect->log_text);
	if (expect->anchor[0])
		snprintf(anchor, sizeof(anchor), " after '%s'", expect->anchor);
	snprintf(out->description, sizeof(out->description), "a '%s' %s%s from %s%s",
		 expect->log_event, notify ? "notification" : "record", text,
		 hs_expect_written_node(expect->node), anchor);
}

/* log: a node's cluster-log record; notify: a call of its notify hook
 * (nodes/NODE/notify.jsonl). */
static void judge_log(struct hs_expect_context *context, const struct hs_expect *expect,
		      struct hs_check_expect_result *out)
{
	struct hs_check_result *result = context->result;
	bool notify = expect->kind == HS_EXPECT_NOTIFY;
	enum hs_source source = notify ? HS_SOURCE_NOTIFY : HS_SOURCE_NODE;
	char node_label[HS_NAME_MAX * 2];
	int node = hs_expect_node(result, expect->node, node_label, sizeof(node_label));
	describe_log(expect, out);
	int64_t anchor_ms = INT64_MIN;
	if (node == HS_NODE_UNKNOWN) {
		hs_expect_unknown_node_fail(context, out, node_label);
		return;
	}
	if (expect->anchor[0] && !hs_expect_anchor_time(context, expect, out, &anchor_ms))
		return;
	uint32_t same_kind = 0;
	const struct hs_timeline *timeline = result->timeline;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind != source || event->t_ms < anchor_ms ||
		    strcmp(event->kind, expect->log_event) != 0 ||
		    (node >= 0 && strcmp(event->node, result->nodes[node]) != 0))
			continue;
		same_kind++;
		if (strstr(event->detail, expect->log_text)) {
			hs_expect_pass(out, "%s %s it at %" PRId64 " ms", event->node,
				       notify ? "notified" : "logged", event->t_ms);
			return;
		}
	}
	if (same_kind == 0)
		hs_expect_fail(context, out, "expected %s, saw none", out->description);
	else
		hs_expect_fail(context, out,
			       "expected %s, saw %u '%s' %s%s, none whose %s contains '%s'",
			       out->description, same_kind, expect->log_event,
			       notify ? "notification" : "record", same_kind == 1 ? "" : "s",
			       notify ? "text" : "reason", expect->log_text);
}

/* ------------------------------------------------------------- metrics */

static bool metric_is_time(enum hs_metric metric)
{
	return metric == HS_METRIC_FAILOVER_MS || metric == HS_METRIC_OUTAGE_MS ||
	       metric == HS_METRIC_DUAL_ACTIVE_MS;
}

static void describe_metric(const struct hs_expect *expect, int64_t min, int64_t max,
			    struct hs_check_expect_result *out)
{
	char anchor[HS_NAME_MAX + 16] = "", bounds[96];
	if (expect->metric == HS_METRIC_FAILOVER_MS && expect->anchor[0])
		snprintf(anchor, sizeof(anchor), " after '%s'", expect->anchor);
	if (expect->min != INT64_MIN && expect->max != INT64_MAX)
		snprintf(bounds, sizeof(bounds), "within [%" PRId64 ", %" PRId64 "]", min, max);
	else if (expect->max != INT64_MAX)
		snprintf(bounds, sizeof(bounds), "<= %" PRId64, max);
	else if (expect->min != INT64_MIN)
		snprintf(bounds, sizeof(bounds), ">= %" PRId64, min);
	else
		snprintf(bounds, sizeof(bounds), "known");
	snprintf(out->description, sizeof(out->description), "%s%s %s",
		 hs_check_metric_name(expect->metric), anchor, bounds);
}

bool hs_expect_metric_value(struct hs_expect_context *context, const struct hs_expect *expect,
			    enum hs_metric metric, struct hs_check_expect_result *out,
			    struct hs_check_metric *value)
{
	const struct hs_check_result *result = context->result;
	*value = result->metrics[metric];
	if (metric == HS_METRIC_FAILOVER_MS && expect->anchor[0]) {
		int64_t anchor_ms;
		if (!hs_expect_anchor_time(context, expect, out, &anchor_ms))
			return false;
		hs_metrics_failover(result, anchor_ms, expect->anchor, value);
	}
	return true;
}

static void judge_metric(struct hs_expect_context *context, const struct hs_expect *expect,
			 struct hs_check_expect_result *out)
{
	struct hs_check_result *result = context->result;
	bool time = metric_is_time(expect->metric);
	int64_t min = expect->min;
	int64_t max = expect->max != INT64_MAX && time ? hs_expect_scaled_ms(result, expect->max)
						       : expect->max;
	describe_metric(expect, min, expect->max, out);
	if (expect->metric < HS_METRIC_FAILOVER_MS || expect->metric >= HS_METRIC_COUNT) {
		hs_expect_fail(context, out, "expected %s, but metric %d is unknown",
			       out->description, (int)expect->metric);
		return;
	}
	struct hs_check_metric value;
	if (!hs_expect_metric_value(context, expect, expect->metric, out, &value))
		return;
	if (value.nothing_measured)
		hs_expect_skip(out, "nothing to measure: %s", value.note);
	else if (!value.known)
		hs_expect_fail(context, out, "expected %s, could not compute it: %s",
			       out->description, value.note);
	else if (value.value < min || value.lower > max)
		hs_expect_fail(context, out, "expected %s, got %" PRId64, out->description,
			       value.value);
	else if (value.lower < min || value.value > max)
		/* Only outage_ms has lower < value: the runner's loop stood
		 * still during the gap, and the bound lies between. */
		hs_expect_skip(
		    out,
		    "got %" PRId64 ", but the runner's loop stood still for part of it: "
		    "the cluster's own outage lies in [%" PRId64 ", %" PRId64
		    "], across the bound; the lab fell behind (steps.jsonl's loop_stall)",
		    value.value, value.lower, value.value);
	else
		hs_expect_pass(out, "got %" PRId64, value.value);
}

/* ------------------------------------------------------------- invariants */

/* The first moment both nodes were active, for the message. */
static int64_t first_dual_active_ms(const struct hs_timeline *timeline)
{
	int64_t first_ms = INT64_MAX;
	for (uint32_t i = 0; i < timeline->span_count[0]; i++) {
		const struct hs_display_span *left = &timeline->spans[0][i];
		for (uint32_t j = 0; j < timeline->span_count[1]; j++) {
			int64_t start, end;
			if (hs_spans_both_active(left, &timeline->spans[1][j], &start, &end) &&
			    start < first_ms)
				first_ms = start;
		}
	}
	return first_ms;
}

static bool any_node_record(const struct hs_timeline *timeline)
{
	for (uint32_t i = 0; i < timeline->event_count; i++)
		if (timeline->events[i].source_kind == HS_SOURCE_NODE)
			return true;
	return false;
}

static void invariant_single_active(struct hs_expect_context *context,
				    struct hs_check_expect_result *out)
{
	const struct hs_check_metric *dual = &context->result->metrics[HS_METRIC_DUAL_ACTIVE_MS];
	if (!any_node_record(context->result->timeline)) {
		hs_expect_skip(out, "no node wrote a cluster-log record: nothing to judge");
		return;
	}
	if (dual->value == 0) {
		char wire[HS_CHECK_MESSAGE_MAX];
		if (!hs_observe_single_active(context->result, wire, sizeof(wire)))
			hs_expect_fail(context, out, "%s", wire);
		else
			hs_expect_pass(out, "never two active nodes");
		return;
	}
	hs_expect_fail(context, out,
		       "invariant single_active failed: both nodes were active for %" PRId64
		       " ms in total, first at %" PRId64 " ms",
		       dual->value, first_dual_active_ms(context->result->timeline));
}

/* single_active in [anchor + min, anchor + max] only (the max scaled by the
 * backend's time scale, as a transition's window is). */
static void invariant_single_active_window(struct hs_expect_context *context,
					   const struct hs_expect *expect,
					   struct hs_check_expect_result *out)
{
	const struct hs_timeline *timeline = context->result->timeline;
	int64_t anchor_ms, dual_ms = 0, first_ms = INT64_MAX;

	snprintf(out->description, sizeof(out->description),
		 "single_active within [%" PRIu32 ", %" PRIu32 "] ms after '%s'",
		 expect->within_min_ms, expect->within_max_ms,
		 hs_expect_anchor_label(expect->anchor));
	if (!any_node_record(timeline)) {
		hs_expect_skip(out, "no node wrote a cluster-log record: nothing to judge");
		return;
	}
	if (!hs_expect_anchor_time(context, expect, out, &anchor_ms))
		return;
	int64_t low_ms = anchor_ms + (int64_t)expect->within_min_ms;
	int64_t high_ms = anchor_ms + hs_expect_scaled_ms(context->result, expect->within_max_ms);
	hs_expect_window(context->result, out, -1, low_ms, high_ms);
	for (uint32_t i = 0; context->result->node_count == 2 && i < timeline->span_count[0]; i++)
		for (uint32_t j = 0; j < timeline->span_count[1]; j++) {
			int64_t start, end;
			if (!hs_spans_both_active(&timeline->spans[0][i], &timeline->spans[1][j],
						  &start, &end))
				continue;
			start = start > low_ms ? start : low_ms;
			end = end < high_ms ? end : high_ms;
			if (end <= start)
				continue;
			dual_ms += end - start;
			first_ms = start < first_ms ? start : first_ms;
		}
	if (dual_ms == 0)
		hs_expect_pass(out, "never two active nodes in [%" PRId64 ", %" PRId64 "] ms",
			       low_ms, high_ms);
	else
		hs_expect_fail(context, out,
			       "invariant single_active failed in [%" PRId64 ", %" PRId64
			       "] ms: both nodes were active for %" PRId64
			       " ms there, first at %" PRId64 " ms",
			       low_ms, high_ms, dual_ms, first_ms);
}

static void invariant_cluster_ip_unique(struct hs_expect_context *context,
					struct hs_check_expect_result *out)
{
	const struct hs_check_result *result = context->result;
	if (!result->timeline->final_loaded) {
		hs_expect_fail(
		    context, out,
		    "invariant cluster_ip_unique failed: final.json is missing or lists no nodes");
		return;
	}
	char holders[HS_TEXT_MAX] = "";
	uint32_t count = 0;
	for (uint32_t i = 0; i < result->node_count; i++) {
		if (!result->timeline->final_nodes[i].holds_cluster_ip)
			continue;
		size_t used = strlen(holders);
		snprintf(holders + used, sizeof(holders) - used, "%s%s", count ? ", " : "",
			 result->nodes[i]);
		count++;
	}
	char wire[HS_CHECK_MESSAGE_MAX];
	if (count == 1 && !hs_observe_cluster_ip_unique(result, wire, sizeof(wire)))
		hs_expect_fail(context, out, "%s", wire);
	else if (count == 1)
		hs_expect_pass(out, "%s holds the cluster IP", holders);
	else if (count == 0)
		hs_expect_fail(
		    context, out,
		    "invariant cluster_ip_unique failed: no node holds the cluster IP at the end");
	else
		hs_expect_fail(
		    context, out,
		    "invariant cluster_ip_unique failed: %u nodes hold the cluster IP at "
		    "the end (%s)",
		    count, holders);
}

static void lost_keys(const struct hs_timeline *timeline, char *out, size_t out_size)
{
	uint32_t listed = 0;
	out[0] = '\0';
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind != HS_SOURCE_CLIENT || strcmp(event->kind, "verify") != 0 ||
		    event->ok)
			continue;
		size_t used = strlen(out);
		if (listed == HS_EXPECT_LISTED_MAX) {
			snprintf(out + used, out_size - used, ", ...");
			return;
		}
		snprintf(out + used, out_size - used, "%s%s", listed ? ", " : "", event->name);
		listed++;
	}
}

static void invariant_no_lost_writes(struct hs_expect_context *context,
				     struct hs_check_expect_result *out)
{
	const struct hs_check_metric *lost = &context->result->metrics[HS_METRIC_LOST_WRITES];
	char keys[HS_TEXT_MAX];
	if (lost->nothing_measured) {
		hs_expect_skip(out, "nothing to judge: %s", lost->note);
	} else if (!lost->known) {
		hs_expect_fail(context, out,
			       "invariant no_lost_writes failed: could not compute lost_writes: %s",
			       lost->note);
	} else if (lost->value == 0) {
		hs_expect_pass(out, "every acknowledged write was read back");
	} else {
		lost_keys(context->result->timeline, keys, sizeof(keys));
		hs_expect_fail(context, out,
			       "invariant no_lost_writes failed: %" PRId64
			       " acknowledged write%s lost: %s",
			       lost->value, lost->value == 1 ? " was" : "s were", keys);
	}
}

static void invariant_no_silent_loss(struct hs_expect_context *context,
				     struct hs_check_expect_result *out)
{
	const struct hs_check_metric *lost = &context->result->metrics[HS_METRIC_LOST_WRITES];
	const struct hs_check_metric *reported =
	    &context->result->metrics[HS_METRIC_REPORTED_LOST_WRITES];
	if (lost->nothing_measured)
		hs_expect_skip(out, "nothing to judge: %s", lost->note);
	else if (!lost->known)
		hs_expect_fail(context, out,
			       "invariant no_silent_loss failed: could not compute lost_writes: %s",
			       lost->note);
	else if (lost->value <= reported->value)
		hs_expect_pass(out, "%" PRId64 " lost, %" PRId64 " reported", lost->value,
			       reported->value);
	else
		hs_expect_fail(context, out,
			       "invariant no_silent_loss failed: %" PRId64
			       " acknowledged write%s lost but the nodes reported only %" PRId64,
			       lost->value, lost->value == 1 ? " was" : "s were", reported->value);
}

typedef void hs_invariant_judge(struct hs_expect_context *context,
				struct hs_check_expect_result *out);

/* One check per enum hs_invariant (which starts at 1). */
static hs_invariant_judge *const invariant_judges[HS_INVARIANT_COUNT] = {
    [HS_INVARIANT_SINGLE_ACTIVE] = invariant_single_active,
    [HS_INVARIANT_CLUSTER_IP_UNIQUE] = invariant_cluster_ip_unique,
    [HS_INVARIANT_NO_LOST_WRITES] = invariant_no_lost_writes,
    [HS_INVARIANT_NO_SILENT_LOSS] = invariant_no_silent_loss,
};

static void judge_invariant(struct hs_expect_context *context, const struct hs_expect *expect,
			    struct hs_check_expect_result *out)
{
	snprintf(out->description, sizeof(out->description), "%s",
		 hs_check_invariant_name(expect->invariant));
	if (expect->invariant == HS_INVARIANT_SINGLE_ACTIVE && expect->within_max_ms > 0) {
		invariant_single_active_window(context, expect, out);
		return;
	}
	if ((unsigned)expect->invariant < HS_INVARIANT_COUNT &&
	    invariant_judges[expect->invariant] != NULL)
		invariant_judges[expect->invariant](context, out);
	else
		hs_expect_fail(context, out, "invariant %d is unknown", (int)expect->invariant);
}

/* ------------------------------------------------------------- all */

typedef void hs_expect_judge(struct hs_expect_context *context, const struct hs_expect *expect,
			     struct hs_check_expect_result *out);

/* One judge per enum hs_expect_kind (which starts at 1); the record kinds
 * are in expect_records.c. */
#define HS_EXPECT_KINDS (HS_EXPECT_NOTIFY + 1)
static hs_expect_judge *const expect_judges[HS_EXPECT_KINDS] = {
    [HS_EXPECT_TRANSITION] = judge_transition,
    [HS_EXPECT_NO_TRANSITION] = judge_no_transition,
    [HS_EXPECT_FINAL] = judge_final,
    [HS_EXPECT_LOG] = judge_log,
    [HS_EXPECT_METRIC] = judge_metric,
    [HS_EXPECT_INVARIANT] = judge_invariant,
    [HS_EXPECT_ORDER] = hs_expect_judge_order,
    [HS_EXPECT_COUNT] = hs_expect_judge_count,
    [HS_EXPECT_NEVER] = hs_expect_judge_never,
    [HS_EXPECT_COMPARE] = hs_expect_judge_compare,
    [HS_EXPECT_NOTIFY] = judge_log,
};

/* What this run made of the text as written, appended to the message:
 * the node an alias named, and a window or bound scaled by the backend. */
static void append_notes(const struct hs_check_result *result, const struct hs_expect *expect,
			 struct hs_check_expect_result *out)
{
	char notes[HS_TEXT_MAX] = "", node[HS_NAME_MAX * 2];
	size_t used = 0, length = strlen(out->message);
	bool scaled_window = expect->kind == HS_EXPECT_TRANSITION ||
			     (expect->kind == HS_EXPECT_INVARIANT && expect->within_max_ms > 0);
	bool scaled_bound = expect->kind == HS_EXPECT_METRIC && expect->max != INT64_MAX &&
			    metric_is_time(expect->metric);

	/* Each alias once, whether the expectation or one of its records names it. */
	for (uint32_t i = 0; i <= expect->match_count && i <= HS_EXPECT_MATCHES_MAX; i++) {
		const char *alias = i == 0 ? expect->node : expect->matches[i - 1].node;
		char head[HS_NAME_MAX + 4];
		snprintf(head, sizeof(head), "%.*s is ", (int)strcspn(alias, "."), alias);
		if (alias[0] != '@' || strstr(notes, head) || used >= sizeof(notes))
			continue;
		hs_timeline_resolve_node(result, alias, node, sizeof(node));
		if (node[0] != '@')
			used += (size_t)snprintf(notes + used, sizeof(notes) - used, "%s%s%s",
						 used ? "; " : "", head, node);
	}
	if (result->time_scale != 1.0 && scaled_window && used < sizeof(notes))
		used +=
		    (size_t)snprintf(notes + used, sizeof(notes) - used,
				     "%stime scale %g: window [%" PRIu32 ", %" PRId64 "] ms",
				     used ? "; " : "", result->time_scale, expect->within_min_ms,
				     hs_expect_scaled_ms(result, expect->within_max_ms));
	else if (result->time_scale != 1.0 && scaled_bound && used < sizeof(notes))
		used += (size_t)snprintf(
		    notes + used, sizeof(notes) - used, "%stime scale %g: at most %" PRId64,
		    used ? "; " : "", result->time_scale, hs_expect_scaled_ms(result, expect->max));
	if (used && length + 4 < sizeof(out->message))
		snprintf(out->message + length, sizeof(out->message) - length, " (%s)", notes);
}

void hs_expect_judge_all(const struct hs_scenario *scenario, struct hs_check_result *result)
{
	struct hs_expect_context context = {.scenario = scenario, .result = result};
	for (uint32_t i = 0; i <= HS_NODES_MAX; i++)
		context.cursors[i] = -1;
	uint32_t count =
	    scenario->expect_count < HS_EXPECTS_MAX ? scenario->expect_count : HS_EXPECTS_MAX;
	for (uint32_t i = 0; i < count; i++) {
		const struct hs_expect *expect = &scenario->expects[i];
		struct hs_check_expect_result *out = &result->expects[result->expect_count++];
		out->index = i;
		out->line = expect->line;
		out->kind = expect->kind;
		if ((unsigned)expect->kind < HS_EXPECT_KINDS &&
		    expect_judges[expect->kind] != NULL) {
			expect_judges[expect->kind](&context, expect, out);
			if (!hs_check_capability_skip(expect, result, out))
				append_notes(result, expect, out);
		} else {
			snprintf(out->description, sizeof(out->description), "expectation %u", i);
			hs_expect_fail(&context, out, "expectation %u has unknown kind %d", i,
				       (int)expect->kind);
		}
		if (out->skipped)
			hs_check_warn(result, "expectation [%u] %s: judged nothing: %s", i,
				      out->description, out->message);
		else if (!out->passed)
			hs_check_fail(result, "%s", out->message);
	}
}
