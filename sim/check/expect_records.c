/*
 * expect_records.c - judge the expectations about records and comparisons:
 * order (records in this order after the anchor), count (how many records
 * of a kind in a span), never (a state a node is never in) and compare (a
 * metric against another or an integer).
 *
 * A record is a node's cluster-log record (`event`), a runner's step
 * record (`action`, steps.jsonl: the steps and the fences the runner
 * carried out for a node) or a call of a node's notify hook (`notify`,
 * nodes/NODE/notify.jsonl); model.h's struct hs_record_match says what
 * narrows it. Records are taken in the timeline's order (time, then the
 * source order of timeline.h), so "a fence before the take-over" holds
 * when the fence record comes first even within one millisecond.
 *
 * `never` reads the display-state spans (metrics.c), which know "off"
 * from the steps: a node that is in the state at the anchor, or enters it
 * later in the span, fails. Spans and counts are not scaled by the time
 * scale: a slow backend never makes a span shorter (as no_transition).
 * compare evaluates exactly; a side with nothing measured skips it.
 */
#include "expect.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define HS_RECORDS_LISTED_MAX 8 /* times listed in a count's message */

/* ------------------------------------------------------------- records */

/* "node2 standby->active", "a 'fence' record from @standby", "step
 * power_off on @active", with " whose reason contains 'x'". */
static void describe_match(const struct hs_record_match *match, char *out, size_t out_size)
{
	char text[HS_TEXT_MAX + 32] = "";
	const char *node = hs_expect_written_node(match->node);

	if (match->text[0])
		snprintf(text, sizeof(text), " whose %s contains '%s'",
			 match->action[0]   ? "detail"
			 : match->notify[0] ? "text"
					    : "reason",
			 match->text);
	if (match->notify[0])
		snprintf(out, out_size, "a '%s' notification from %s%s", match->notify, node, text);
	else if (match->action[0])
		snprintf(out, out_size, "step %s%s%s%s", match->action,
			 strcmp(node, "any node") ? " on " : "",
			 strcmp(node, "any node") ? node : "", text);
	else if (strcmp(match->event, "transition") == 0)
		snprintf(out, out_size, "%s %s->%s%s", node, match->from[0] ? match->from : "any",
			 match->to[0] ? match->to : "any", text);
	else
		snprintf(out, out_size, "a '%s' record from %s%s", match->event, node, text);
}

static bool match_event(const struct hs_check_result *result, const struct hs_record_match *match,
			int node, const struct hs_timeline_event *event)
{
	if (node >= 0 && strcmp(event->node, result->nodes[node]) != 0)
		return false;
	if (match->text[0] && !strstr(event->detail, match->text))
		return false;
	if (match->action[0])
		return event->source_kind == HS_SOURCE_RUNNER &&
		       strcmp(event->action, match->action) == 0;
	if (match->notify[0])
		return event->source_kind == HS_SOURCE_NOTIFY &&
		       strcmp(event->kind, match->notify) == 0;
	return event->source_kind == HS_SOURCE_NODE && strcmp(event->kind, match->event) == 0 &&
	       (!match->from[0] || strcmp(match->from, event->from) == 0) &&
	       (!match->to[0] || strcmp(match->to, event->to) == 0);
}

/* The node of each record resolved; false, and the expectation failed,
 * when one names a node the run does not have. */
static bool match_nodes(struct hs_expect_context *context, const struct hs_expect *expect,
			struct hs_check_expect_result *out, int nodes[HS_EXPECT_MATCHES_MAX])
{
	char label[HS_NAME_MAX * 2];

	for (uint32_t i = 0; i < expect->match_count && i < HS_EXPECT_MATCHES_MAX; i++) {
		nodes[i] =
		    hs_expect_node(context->result, expect->matches[i].node, label, sizeof(label));
		if (nodes[i] == HS_NODE_UNKNOWN) {
			hs_expect_unknown_node_fail(context, out, label);
			return false;
		}
	}
	return true;
}

/* The index of the first event from index `from` on that matches, at or
 * after anchor_ms and at or before until_ms; -1 if none. */
static int64_t find_match(const struct hs_check_result *result, const struct hs_record_match *match,
			  int node, uint32_t from, int64_t anchor_ms, int64_t until_ms)
{
	const struct hs_timeline *timeline = result->timeline;

	for (uint32_t i = from; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->t_ms > until_ms)
			break;
		if (event->t_ms >= anchor_ms && match_event(result, match, node, event))
			return i;
	}
	return -1;
}

static void describe_after(const struct hs_expect *expect, char *out, size_t out_size)
{
	out[0] = '\0';
	if (expect->anchor[0] && strcmp(expect->anchor, "up") != 0)
		snprintf(out, out_size, " after '%s'", expect->anchor);
}

/* ------------------------------------------------------------- order */

void hs_expect_judge_order(struct hs_expect_context *context, const struct hs_expect *expect,
			   struct hs_check_expect_result *out)
{
	const struct hs_check_result *result = context->result;
	char after[HS_NAME_MAX + 16], names[HS_EXPECT_MATCHES_MAX][HS_TEXT_MAX + 64];
	int nodes[HS_EXPECT_MATCHES_MAX];
	size_t used;
	int64_t anchor_ms, found = -1;

	describe_after(expect, after, sizeof(after));
	used = (size_t)snprintf(out->description, sizeof(out->description), "in order%s: ", after);
	for (uint32_t i = 0; i < expect->match_count && i < HS_EXPECT_MATCHES_MAX; i++) {
		describe_match(&expect->matches[i], names[i], sizeof(names[i]));
		if (used < sizeof(out->description))
			used += (size_t)snprintf(out->description + used,
						 sizeof(out->description) - used, "%s%s",
						 i ? ", then " : "", names[i]);
	}
	if (!match_nodes(context, expect, out, nodes) ||
	    !hs_expect_anchor_time(context, expect, out, &anchor_ms))
		return;
	for (uint32_t i = 0; i < expect->match_count && i < HS_EXPECT_MATCHES_MAX; i++) {
		int64_t previous = found;
		found = find_match(result, &expect->matches[i], nodes[i], (uint32_t)(previous + 1),
				   anchor_ms, INT64_MAX);
		if (found >= 0)
			continue;
		int64_t anywhere =
		    find_match(result, &expect->matches[i], nodes[i], 0, anchor_ms, INT64_MAX);
		if (i == 0 || anywhere < 0)
			hs_expect_fail(context, out, "expected %s, never saw %s%s",
				       out->description, names[i], after);
		else
			hs_expect_fail(context, out,
				       "expected %s, saw %s at %" PRId64
				       " ms, before %s at %" PRId64 " ms, and none after it",
				       out->description, names[i],
				       result->timeline->events[anywhere].t_ms - anchor_ms,
				       names[i - 1],
				       result->timeline->events[previous].t_ms - anchor_ms);
		return;
	}
	hs_expect_pass(out, "saw the last at %" PRId64 " ms",
		       result->timeline->events[found].t_ms - anchor_ms);
}

/* ------------------------------------------------------------- count */

static void describe_bounds(int64_t min, int64_t max, char *out, size_t out_size)
{
	if (min != INT64_MIN && max != INT64_MAX && min == max)
		snprintf(out, out_size, "exactly %" PRId64, min);
	else if (min != INT64_MIN && max != INT64_MAX)
		snprintf(out, out_size, "%" PRId64 "..%" PRId64, min, max);
	else if (max != INT64_MAX)
		snprintf(out, out_size, "at most %" PRId64, max);
	else
		snprintf(out, out_size, "at least %" PRId64, min);
}

/* The span [anchor, anchor + for_ms] (to the end of the run when for_ms is
 * 0) as " after 'x' for N ms" or " after 'x'". */
static void describe_span(const struct hs_expect *expect, char *out, size_t out_size)
{
	char after[HS_NAME_MAX + 16];

	describe_after(expect, after, sizeof(after));
	if (expect->for_ms)
		snprintf(out, out_size, "%s for %" PRIu32 " ms", after, expect->for_ms);
	else
		snprintf(out, out_size, "%s", after);
}

void hs_expect_judge_count(struct hs_expect_context *context, const struct hs_expect *expect,
			   struct hs_check_expect_result *out)
{
	const struct hs_check_result *result = context->result;
	char name[HS_TEXT_MAX + 64], span[HS_NAME_MAX + 48], bounds[64], times[HS_TEXT_MAX] = "";
	int nodes[HS_EXPECT_MATCHES_MAX];
	int64_t anchor_ms, until_ms, count = 0, index = -1;
	size_t used = 0;

	describe_match(&expect->matches[0], name, sizeof(name));
	describe_span(expect, span, sizeof(span));
	describe_bounds(expect->min, expect->max, bounds, sizeof(bounds));
	/* "at most 1 time", "at least 2 times": the number printed last decides. */
	int64_t shown = expect->max != INT64_MAX ? expect->max : expect->min;
	snprintf(out->description, sizeof(out->description), "%s %s time%s%s", name, bounds,
		 shown == 1 ? "" : "s", span);
	if (!match_nodes(context, expect, out, nodes) ||
	    !hs_expect_anchor_time(context, expect, out, &anchor_ms))
		return;
	until_ms = expect->for_ms ? anchor_ms + expect->for_ms : INT64_MAX;
	hs_expect_window(result, out, nodes[0], anchor_ms,
			 expect->for_ms ? until_ms : result->ended_ms);
	while ((index = find_match(result, &expect->matches[0], nodes[0], (uint32_t)(index + 1),
				   anchor_ms, until_ms)) >= 0) {
		if (count < HS_RECORDS_LISTED_MAX && used < sizeof(times))
			used += (size_t)snprintf(times + used, sizeof(times) - used,
						 "%s%" PRId64 " ms", count ? ", " : " at ",
						 result->timeline->events[index].t_ms - anchor_ms);
		else if (count == HS_RECORDS_LISTED_MAX && used < sizeof(times))
			used += (size_t)snprintf(times + used, sizeof(times) - used, ", ...");
		count++;
	}
	if (count >= expect->min && count <= expect->max)
		hs_expect_pass(out, "saw %" PRId64 "%s", count, times);
	else
		hs_expect_fail(context, out, "expected %s, saw %" PRId64 "%s", out->description,
			       count, times);
}

/* ------------------------------------------------------------- never */

/* The first span of node in state during [from_ms, until_ms]; a span that
 * ends at from_ms was left at the anchor and does not count. */
static const struct hs_display_span *state_span(const struct hs_check_result *result, uint32_t node,
						const char *state, int64_t from_ms,
						int64_t until_ms)
{
	const struct hs_timeline *timeline = result->timeline;

	for (uint32_t i = 0; i < timeline->span_count[node]; i++) {
		const struct hs_display_span *span = &timeline->spans[node][i];
		bool left_at_anchor = span->end_ms == from_ms && span->end_ms > span->start_ms;
		if (strcmp(span->state, state) == 0 && span->start_ms <= until_ms &&
		    span->end_ms >= from_ms && !left_at_anchor)
			return span;
	}
	return NULL;
}

void hs_expect_judge_never(struct hs_expect_context *context, const struct hs_expect *expect,
			   struct hs_check_expect_result *out)
{
	const struct hs_check_result *result = context->result;
	char label[HS_NAME_MAX * 2], span_text[HS_NAME_MAX + 48];
	int node = hs_expect_node(result, expect->node, label, sizeof(label));
	int64_t anchor_ms, until_ms;

	describe_span(expect, span_text, sizeof(span_text));
	snprintf(out->description, sizeof(out->description), "%s never %s%s",
		 hs_expect_written_node(expect->node), expect->to, span_text);
	if (!hs_expect_node_and_anchor_known(context, expect, node, label, out, &anchor_ms))
		return;
	if (anchor_ms > result->ended_ms) {
		hs_expect_skip(out,
			       "the run ended at %" PRId64 " ms, before '%s' at %" PRId64 " ms",
			       result->ended_ms, hs_expect_anchor_label(expect->anchor), anchor_ms);
		return;
	}
	until_ms = expect->for_ms ? anchor_ms + expect->for_ms : result->ended_ms;
	hs_expect_window(result, out, node, anchor_ms, until_ms);
	for (uint32_t i = 0; i < result->node_count; i++) {
		if (node >= 0 && (uint32_t)node != i)
			continue;
		const struct hs_display_span *span =
		    state_span(result, i, expect->to, anchor_ms, until_ms);
		if (!span)
			continue;
		hs_expect_fail(context, out,
			       "expected %s, %s was %s from %" PRId64 " to %" PRId64 " ms",
			       out->description, result->nodes[i], expect->to,
			       span->start_ms - anchor_ms, span->end_ms - anchor_ms);
		return;
	}
	hs_expect_pass(out, "%s never %s", node >= 0 ? label : "no node was", expect->to);
}

/* ------------------------------------------------------------- compare */

static bool compare_holds(enum hs_compare_op op, int64_t left, int64_t right)
{
	switch (op) {
	case HS_COMPARE_EQ:
		return left == right;
	case HS_COMPARE_NE:
		return left != right;
	case HS_COMPARE_LT:
		return left < right;
	case HS_COMPARE_LE:
		return left <= right;
	case HS_COMPARE_GT:
		return left > right;
	case HS_COMPARE_GE:
		return left >= right;
	}
	return false;
}

/* One side's value into *value and its text ("lost_writes 3", "0");
 * false when it cannot be judged (the expectation is then failed or
 * skipped with the reason). */
static bool operand_value(struct hs_expect_context *context, const struct hs_expect *expect,
			  const struct hs_compare_operand *operand,
			  struct hs_check_expect_result *out, int64_t *value, char *text,
			  size_t text_size)
{
	struct hs_check_metric metric;
	const char *name = hs_check_metric_name(operand->metric);

	if (!operand->metric) {
		*value = operand->value;
		snprintf(text, text_size, "%" PRId64, operand->value);
		return true;
	}
	if (!hs_expect_metric_value(context, expect, operand->metric, out, &metric))
		return false;
	if (metric.nothing_measured) {
		hs_expect_skip(out, "nothing to measure for %s: %s", name, metric.note);
		return false;
	}
	if (!metric.known) {
		hs_expect_fail(context, out, "expected %s, could not compute %s: %s",
			       out->description, name, metric.note);
		return false;
	}
	*value = metric.value;
	snprintf(text, text_size, "%s %" PRId64, name, metric.value);
	return true;
}

void hs_expect_judge_compare(struct hs_expect_context *context, const struct hs_expect *expect,
			     struct hs_check_expect_result *out)
{
	char after[HS_NAME_MAX + 16], left_text[HS_NAME_MAX + 32], right_text[HS_NAME_MAX + 32];
	int64_t left, right;
	bool anchored = expect->left.metric == HS_METRIC_FAILOVER_MS ||
			expect->right.metric == HS_METRIC_FAILOVER_MS;

	describe_after(expect, after, sizeof(after));
	snprintf(out->description, sizeof(out->description), "%s%s", expect->compare_text,
		 anchored ? after : "");
	if (!operand_value(context, expect, &expect->left, out, &left, left_text,
			   sizeof(left_text)) ||
	    !operand_value(context, expect, &expect->right, out, &right, right_text,
			   sizeof(right_text)))
		return;
	if (compare_holds(expect->compare_op, left, right))
		hs_expect_pass(out, "got %s, %s", left_text, right_text);
	else
		hs_expect_fail(context, out, "expected %s, got %s, %s", out->description, left_text,
			       right_text);
}
