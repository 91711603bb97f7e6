/*
 * check.c - hs_check_run(): judge one run folder, and the result's helpers.
 *
 * The order of work: read the folder into a timeline (timeline.c), derive
 * display-state spans and metrics (metrics.c), judge the scenario's
 * expectations (expect.c). The run fails when the runner reported an error,
 * when a step could not be carried out (the scenario then did not test what
 * it says), or when an expectation fails; each failure is one sentence in
 * result->failures, in that order.
 */
#include "timeline.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- names */

const char *hs_check_metric_name(enum hs_metric metric)
{
	switch (metric) {
	case HS_METRIC_FAILOVER_MS:
		return "failover_ms";
	case HS_METRIC_OUTAGE_MS:
		return "outage_ms";
	case HS_METRIC_DUAL_ACTIVE_MS:
		return "dual_active_ms";
	case HS_METRIC_LOST_WRITES:
		return "lost_writes";
	case HS_METRIC_REPORTED_LOST_WRITES:
		return "reported_lost_writes";
	case HS_METRIC_COUNT:
		break;
	}
	return "unknown_metric";
}

const char *hs_check_invariant_name(enum hs_invariant invariant)
{
	switch (invariant) {
	case HS_INVARIANT_SINGLE_ACTIVE:
		return "single_active";
	case HS_INVARIANT_CLUSTER_IP_UNIQUE:
		return "cluster_ip_unique";
	case HS_INVARIANT_NO_LOST_WRITES:
		return "no_lost_writes";
	case HS_INVARIANT_NO_SILENT_LOSS:
		return "no_silent_loss";
	case HS_INVARIANT_COUNT:
		break;
	}
	return "unknown_invariant";
}

const char *hs_check_expect_kind_name(enum hs_expect_kind kind)
{
	switch (kind) {
	case HS_EXPECT_TRANSITION:
		return "transition";
	case HS_EXPECT_NO_TRANSITION:
		return "no_transition";
	case HS_EXPECT_FINAL:
		return "final";
	case HS_EXPECT_LOG:
		return "log";
	case HS_EXPECT_METRIC:
		return "metric";
	case HS_EXPECT_INVARIANT:
		return "invariant";
	case HS_EXPECT_ORDER:
		return "order";
	case HS_EXPECT_COUNT:
		return "count";
	case HS_EXPECT_NEVER:
		return "never";
	case HS_EXPECT_COMPARE:
		return "compare";
	case HS_EXPECT_NOTIFY:
		return "notify";
	}
	return "unknown";
}

/* ------------------------------------------------------------- messages */

void hs_check_warn(struct hs_check_result *result, const char *format, ...)
{
	if (result->warning_total < HS_CHECK_WARNINGS_MAX) {
		va_list arguments;
		va_start(arguments, format);
		vsnprintf(result->warnings[result->warning_total], HS_TEXT_MAX, format, arguments);
		va_end(arguments);
	}
	result->warning_total++;
}

/* Failures beyond HS_CHECK_FAILURES_MAX are dropped but the last slot says
 * so, and the count stays non-zero, so the verdict is never lost. */
void hs_check_fail(struct hs_check_result *result, const char *format, ...)
{
	if (result->failure_count == HS_CHECK_FAILURES_MAX) {
		snprintf(result->failures[HS_CHECK_FAILURES_MAX - 1], HS_CHECK_MESSAGE_MAX,
			 "more failures than %d; see expectations", HS_CHECK_FAILURES_MAX);
		return;
	}
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(result->failures[result->failure_count++], HS_CHECK_MESSAGE_MAX, format,
		  arguments);
	va_end(arguments);
}

/* ------------------------------------------------------------- summary */

/* A path as one shell word: as it is when it holds only safe characters,
 * else in single quotes. */
static void shell_word(const char *text, char *out, size_t out_size)
{
	size_t used = 0;

	if (text[0] && strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789_./+-=:,@") == strlen(text)) {
		snprintf(out, out_size, "%s", text);
		return;
	}
	for (const char *c = text; *c && used + 6 < out_size; c++) {
		if (c == text)
			out[used++] = '\'';
		if (*c == '\'') {
			memcpy(out + used, "'\\''", 4);
			used += 4;
		} else {
			out[used++] = *c;
		}
	}
	if (used == 0)
		out[used++] = '\'';
	out[used++] = '\'';
	out[used] = '\0';
}

void hs_check_reproducer(const struct hs_check_result *result, char *out, size_t out_size)
{
	char file[HS_PATH_MAX + 64];

	shell_word(result->scenario_path[0] ? result->scenario_path : result->scenario, file,
		   sizeof(file));
	snprintf(out, out_size, "hasim run %s --seed %" PRIu64 " --backend %s", file, result->seed,
		 result->backend[0] ? result->backend : "native");
}

uint32_t hs_check_failed_count(const struct hs_check_result *result)
{
	uint32_t count = 0;
	for (uint32_t i = 0; i < result->expect_count; i++)
		count += !result->expects[i].passed && !result->expects[i].skipped ? 1 : 0;
	return count;
}

uint32_t hs_check_skipped_count(const struct hs_check_result *result)
{
	uint32_t count = 0;
	for (uint32_t i = 0; i < result->expect_count; i++)
		count += result->expects[i].skipped ? 1 : 0;
	return count;
}

/* ------------------------------------------------------------- the run */

/* Only the scenario's own steps count: the runner also logs "up", "formed"
 * and "fence" (a node's fence request it carried out), and a failed fence
 * is the node's outcome under test, not a broken run. */
static void check_failed_steps(struct hs_check_result *result)
{
	const struct hs_timeline *timeline = result->timeline;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind == HS_SOURCE_RUNNER && !event->ok &&
		    strcmp(event->kind, "step") == 0)
			hs_check_fail(result, "step '%s' did not happen: %s", event->name,
				      event->detail);
	}
}

static void collect_transitions(struct hs_check_result *result)
{
	const struct hs_timeline *timeline = result->timeline;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind != HS_SOURCE_NODE || strcmp(event->kind, "transition") != 0)
			continue;
		if (result->transition_count == HS_CHECK_TRANSITIONS_MAX) {
			result->transitions_truncated = true;
			return;
		}
		struct hs_check_transition *transition =
		    &result->transitions[result->transition_count++];
		transition->t_ms = event->t_ms;
		snprintf(transition->node, sizeof(transition->node), "%s", event->node);
		snprintf(transition->from, sizeof(transition->from), "%s", event->from);
		snprintf(transition->to, sizeof(transition->to), "%s", event->to);
		snprintf(transition->reason, sizeof(transition->reason), "%s", event->detail);
	}
}

/* The runner's view at the end and the logs' should agree; when they do
 * not, the logs decide (they are what the node did) but the reader is told. */
static void compare_final(struct hs_check_result *result)
{
	const struct hs_timeline *timeline = result->timeline;
	for (uint32_t i = 0; i < result->node_count; i++) {
		const struct hs_final_node *final = &timeline->final_nodes[i];
		if (final->known && final->display[0] &&
		    strcmp(final->display, result->final_display[i]) != 0)
			hs_check_warn(result,
				      "final.json shows %s as %s, but its log and the steps end %s",
				      result->nodes[i], final->display, result->final_display[i]);
	}
}

int hs_check_run(const struct hs_scenario *scenario, const char *run_dir,
		 struct hs_check_result *result, char *error, size_t error_size)
{
	memset(result, 0, sizeof(*result));
	result->time_scale = 1.0;
	if (hs_timeline_load(scenario, run_dir, result, error, error_size) < 0)
		return -1;
	if (hs_timeline_build_spans(scenario, result, error, error_size) < 0)
		return -1;
	if (!result->skipped)
		check_failed_steps(result);
	collect_transitions(result);
	compare_final(result);
	hs_metrics_compute(result);
	hs_expect_judge_all(scenario, result);
	result->passed = result->failure_count == 0 && !result->skipped;
	return 0;
}

void hs_check_result_release(struct hs_check_result *result)
{
	if (!result)
		return;
	hs_timeline_free(result->timeline);
	result->timeline = NULL;
}
