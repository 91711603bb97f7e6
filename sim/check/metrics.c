/*
 * metrics.c - display states over time, and the run's metrics.
 *
 * A node's display state starts as "starting" and changes with each of its
 * transition records (to = the new state). The hardware does not log, so the
 * runner's steps fill the gaps: power_off of the node, or of a power domain
 * that feeds it, and crash make it "off" until its next record; power_on,
 * restart and firmware_update make it "starting". A step that failed
 * (ok=false) changed nothing. The result is a list of spans per node, which
 * the dual-active metric, the FINAL expectations and the HTML lanes share.
 *
 * Metrics (names as in model.h):
 *   failover_ms          anchor -> first transition to active at or after it, any node
 *   outage_ms            longest gap: from the last successful client request before it
 *                        to the first success after it (to the end if none), on the
 *                        requests' completion times. A stretch between two successes is
 *                        a gap when a request in it failed, or when it lasted longer than
 *                        two of the client's probe intervals (run.json's resolution_ms):
 *                        requests that were only slow (held while the cluster IP moved)
 *                        are a gap too. Before the first success the gap starts with the
 *                        client's first request; a client_stop step ends the client's
 *                        stretch (its pause is no outage). How much of a gap the runner's
 *                        loop stood still (steps.jsonl's loop_stall: no frame moved, no
 *                        request went out) is kept with it and said, but still counted:
 *                        the lab did not look then, which is no proof that the cluster
 *                        answered, so the cluster's own outage lies between the gap less
 *                        its stalls and the gap, and a bound is judged on the gap. Every
 *                        gap is kept in the timeline (outages[]) for the HTML report
 *   dual_active_ms       total time both nodes' display states are active
 *   lost_writes          verify lines with ok=false
 *   reported_lost_writes sum of lost_writes in split_brain records
 * A metric that cannot be computed is unknown, with a note saying why.
 */
#include "timeline.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------- spans */

static bool power_domain_feeds(const struct hs_topology *topology, const char *domain,
			       const char *node)
{
	for (uint32_t i = 0; i < topology->power_count; i++) {
		const struct hs_power_model *power = &topology->power[i];
		if (strcmp(power->name, domain) != 0)
			continue;
		for (uint32_t feed = 0; feed < power->feed_count && feed < HS_FEEDS_MAX; feed++)
			if (strcmp(power->feeds[feed], node) == 0)
				return true;
	}
	return false;
}

/* The display state a step forces on node, or NULL if it forces none. */
static const char *step_forced_state(const struct hs_scenario *scenario,
				     const struct hs_timeline_event *event, const char *node)
{
	if (!event->ok)
		return NULL;
	bool on_node = strcmp(event->node, node) == 0 ||
		       (event->node[0] == '\0' &&
			power_domain_feeds(&scenario->topology, event->target, node));
	if (!on_node)
		return NULL;
	if (strcmp(event->action, "power_off") == 0 || strcmp(event->action, "crash") == 0)
		return "off";
	if (strcmp(event->action, "power_on") == 0 || strcmp(event->action, "restart") == 0 ||
	    strcmp(event->action, "firmware_update") == 0)
		return "starting";
	return NULL;
}

static const char *event_new_state(const struct hs_scenario *scenario,
				   const struct hs_timeline_event *event, const char *node)
{
	if (event->source_kind == HS_SOURCE_RUNNER)
		return step_forced_state(scenario, event, node);
	/* A start record ("starting" -> "starting") is a state too: after a
	 * graceful stop (a firmware update), whose last transition is to
	 * maintenance, it is the only record of the new start. */
	if (event->source_kind == HS_SOURCE_NODE && strcmp(event->node, node) == 0 &&
	    (strcmp(event->kind, "transition") == 0 || strcmp(event->kind, "start") == 0) &&
	    event->to[0])
		return event->to;
	return NULL;
}

bool hs_timeline_after_end(const struct hs_check_result *result,
			   const struct hs_timeline_event *event)
{
	return event->t_ms > result->ended_ms ||
	       (event->t_ms == result->ended_ms && event->source_kind == HS_SOURCE_NODE &&
		result->timeline->ended_given);
}

static int spans_build_node(const struct hs_scenario *scenario, struct hs_check_result *result,
			    uint32_t node_index, char *error, size_t error_size)
{
	const struct hs_timeline *timeline = result->timeline;
	struct hs_display_span *spans = result->timeline->spans[node_index];
	const char *node = result->nodes[node_index];
	uint32_t count = 1;
	int64_t start_ms = 0;
	if (timeline->event_count > 0 && timeline->events[0].t_ms < 0)
		start_ms = timeline->events[0].t_ms;
	spans[0] = (struct hs_display_span){.start_ms = start_ms, .end_ms = start_ms};
	snprintf(spans[0].state, sizeof(spans[0].state), "starting");
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		/* What happens after the scenario ended (reading writes back,
		 * tearing down) is not the nodes' behaviour under test. */
		if (hs_timeline_after_end(result, event))
			break;
		const char *state = event_new_state(scenario, event, node);
		struct hs_display_span *last = &spans[count - 1];
		if (!state || strcmp(state, last->state) == 0)
			continue;
		if (event->t_ms > last->start_ms) {
			if (count == HS_TIMELINE_SPANS_MAX) {
				snprintf(error, error_size,
					 "hs_check_run: %s changes state more than %d times", node,
					 HS_TIMELINE_SPANS_MAX);
				return -1;
			}
			last->end_ms = event->t_ms;
			last = &spans[count++];
			last->start_ms = event->t_ms;
		}
		/* Two changes in the same millisecond: the later one wins and no
		 * empty span is drawn. */
		snprintf(last->state, sizeof(last->state), "%s", state);
	}
	int64_t end_ms = result->ended_ms;
	if (end_ms < spans[count - 1].start_ms)
		end_ms = spans[count - 1].start_ms;
	spans[count - 1].end_ms = end_ms;
	result->timeline->span_count[node_index] = count;
	snprintf(result->final_display[node_index], HS_NAME_MAX, "%s", spans[count - 1].state);
	return 0;
}

int hs_timeline_build_spans(const struct hs_scenario *scenario, struct hs_check_result *result,
			    char *error, size_t error_size)
{
	for (uint32_t i = 0; i < result->node_count; i++)
		if (spans_build_node(scenario, result, i, error, error_size) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------- steps */

const struct hs_timeline_event *hs_timeline_first_step(const struct hs_timeline *timeline)
{
	for (uint32_t i = 0; i < timeline->event_count; i++)
		if (timeline->events[i].source_kind == HS_SOURCE_RUNNER &&
		    strcmp(timeline->events[i].kind, "step") == 0)
			return &timeline->events[i];
	return NULL;
}

const struct hs_timeline_event *hs_timeline_find_step(const struct hs_timeline *timeline,
						      const char *name)
{
	for (uint32_t i = 0; i < timeline->event_count; i++)
		if (timeline->events[i].source_kind == HS_SOURCE_RUNNER &&
		    strcmp(timeline->events[i].kind, "step") == 0 &&
		    strcmp(timeline->events[i].name, name) == 0)
			return &timeline->events[i];
	return NULL;
}

/* ------------------------------------------------------------- metrics */

static void metric_set(struct hs_check_metric *metric, int64_t value)
{
	metric->known = true;
	metric->nothing_measured = false;
	metric->value = value;
	metric->lower = value;
	metric->note[0] = '\0';
}

void hs_metrics_failover(const struct hs_check_result *result, int64_t anchor_ms,
			 const char *anchor_name, struct hs_check_metric *metric)
{
	const struct hs_timeline *timeline = result->timeline;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind == HS_SOURCE_NODE && event->t_ms >= anchor_ms &&
		    strcmp(event->kind, "transition") == 0 && strcmp(event->to, "active") == 0) {
			metric_set(metric, event->t_ms - anchor_ms);
			return;
		}
	}
	metric->known = false;
	snprintf(metric->note, sizeof(metric->note), "no transition to active after '%s'",
		 anchor_name);
}

static bool is_request(const struct hs_timeline_event *event)
{
	return event->source_kind == HS_SOURCE_CLIENT && strcmp(event->kind, "verify") != 0;
}

int64_t hs_outage_ms(const struct hs_outage *outage)
{
	return outage->end_ms - outage->start_ms;
}

/* Record one outage; the longest (the first of equal ones) is outage_ms. */
static void outage_add(struct hs_timeline *timeline, const struct hs_outage *outage,
		       int64_t *longest_ms)
{
	bool longest = hs_outage_ms(outage) > *longest_ms;
	if (hs_outage_ms(outage) - outage->stalled_ms > timeline->outage_lower_ms)
		timeline->outage_lower_ms = hs_outage_ms(outage) - outage->stalled_ms;
	if (longest)
		*longest_ms = hs_outage_ms(outage);
	timeline->outage_total++;
	if (timeline->outage_count == HS_TIMELINE_OUTAGES_MAX) {
		/* The list is full: the longest still gets the last slot. */
		if (!longest)
			return;
		timeline->outage_count--;
	}
	if (longest)
		timeline->longest_outage = (int32_t)timeline->outage_count;
	timeline->outages[timeline->outage_count++] = *outage;
}

/* A stretch of this many ms between two successes, none failed, is a
 * gap: the probes' cadence explains up to two intervals (one probe late);
 * 0 when run.json does not say (older run folders): then only failures
 * make a gap. */
static int64_t outage_quiet_limit_ms(const struct hs_check_result *result)
{
	return result->resolution_ms > 0 ? 2 * result->resolution_ms : 0;
}

static bool is_client_stop(const struct hs_timeline_event *event)
{
	return event->source_kind == HS_SOURCE_RUNNER && event->ok &&
	       strcmp(event->kind, "step") == 0 && strcmp(event->action, "client_stop") == 0;
}

static bool is_loop_stall(const struct hs_timeline_event *event)
{
	return event->source_kind == HS_SOURCE_RUNNER && strcmp(event->kind, "loop_stall") == 0;
}

/* The client's stretch since its last success (or its start). */
struct outage_scan {
	bool running; /* the client runs and made a request */
	struct hs_outage open;
};

static void outage_scan_success(struct hs_timeline *timeline, struct outage_scan *scan,
				int64_t t_ms, int64_t quiet_limit_ms, int64_t *longest_ms)
{
	scan->open.end_ms = t_ms;
	if (scan->open.failures > 0 ||
	    (quiet_limit_ms > 0 && hs_outage_ms(&scan->open) > quiet_limit_ms))
		outage_add(timeline, &scan->open, longest_ms);
	scan->open = (struct hs_outage){.start_ms = t_ms};
}

static void metric_outage(const struct hs_check_result *result, struct hs_check_metric *metric)
{
	struct hs_timeline *timeline = result->timeline;
	const int64_t quiet_limit_ms = outage_quiet_limit_ms(result);
	struct outage_scan scan = {0};
	bool any_request = false;
	int64_t longest_ms = 0;
	timeline->outage_count = timeline->outage_total = 0;
	timeline->outage_lower_ms = 0;
	timeline->longest_outage = -1;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (is_loop_stall(event) && scan.running) {
			/* The part of the stall [t - stalled, t] inside the stretch:
			 * no frame moved and no request went out. */
			int64_t from_ms = event->t_ms - event->latency_ms;
			if (from_ms < scan.open.start_ms)
				from_ms = scan.open.start_ms;
			if (event->t_ms > from_ms)
				scan.open.stalled_ms += event->t_ms - from_ms;
			continue;
		}
		if (is_client_stop(event)) {
			if (scan.running && scan.open.failures > 0) { /* cut short by the stop */
				scan.open.end_ms = event->t_ms;
				outage_add(timeline, &scan.open, &longest_ms);
			}
			scan.running = false;
			continue;
		}
		if (!is_request(event))
			continue;
		if (!scan.running) { /* no success yet: a gap begins with the client */
			scan.running = any_request = true;
			scan.open = (struct hs_outage){.start_ms = event->t_ms};
		}
		if (!event->ok)
			scan.open.failures++;
		else
			outage_scan_success(timeline, &scan, event->t_ms, quiet_limit_ms,
					    &longest_ms);
	}
	if (scan.running && scan.open.failures > 0) {
		scan.open.end_ms = result->ended_ms;
		scan.open.to_the_end = true;
		outage_add(timeline, &scan.open, &longest_ms);
	}
	if (!any_request) {
		metric->known = false;
		metric->nothing_measured = true;
		snprintf(metric->note, sizeof(metric->note), "the client made no request");
		return;
	}
	metric_set(metric, longest_ms);
	metric->lower = timeline->outage_lower_ms;
}

static void metric_lost_writes(const struct hs_check_result *result, struct hs_check_metric *lost,
			       struct hs_check_metric *reported)
{
	const struct hs_timeline *timeline = result->timeline;
	int64_t lost_count = 0, reported_count = 0;
	uint32_t verify_count = 0, acknowledged_count = 0;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind == HS_SOURCE_CLIENT && strcmp(event->kind, "verify") == 0) {
			verify_count++;
			lost_count += event->ok ? 0 : 1;
		} else if (event->source_kind == HS_SOURCE_CLIENT &&
			   strcmp(event->kind, "put") == 0 && event->ok) {
			acknowledged_count++;
		} else if (event->source_kind == HS_SOURCE_NODE &&
			   strcmp(event->kind, "split_brain") == 0) {
			reported_count += event->lost_writes;
		}
	}
	metric_set(reported, reported_count);
	/* Acknowledged writes that were never verified prove nothing either way. */
	if (verify_count == 0 && acknowledged_count > 0) {
		lost->known = false;
		snprintf(lost->note, sizeof(lost->note),
			 "%u writes were acknowledged but none was verified", acknowledged_count);
		return;
	}
	metric_set(lost, lost_count);
	/* No write to lose: 0, but nothing an expectation could judge. */
	if (verify_count == 0 && acknowledged_count == 0) {
		lost->nothing_measured = true;
		snprintf(lost->note, sizeof(lost->note),
			 "the client had no acknowledged write to read back");
	}
}

static int64_t overlap_ms(const struct hs_display_span *left, const struct hs_display_span *right)
{
	int64_t start = left->start_ms > right->start_ms ? left->start_ms : right->start_ms;
	int64_t end = left->end_ms < right->end_ms ? left->end_ms : right->end_ms;
	return end > start ? end - start : 0;
}

static void metric_dual_active(const struct hs_check_result *result, struct hs_check_metric *metric)
{
	const struct hs_timeline *timeline = result->timeline;
	int64_t total_ms = 0;
	if (result->node_count == 2) {
		for (uint32_t i = 0; i < timeline->span_count[0]; i++) {
			if (strcmp(timeline->spans[0][i].state, "active") != 0)
				continue;
			for (uint32_t j = 0; j < timeline->span_count[1]; j++)
				if (strcmp(timeline->spans[1][j].state, "active") == 0)
					total_ms += overlap_ms(&timeline->spans[0][i],
							       &timeline->spans[1][j]);
		}
	}
	metric_set(metric, total_ms);
}

void hs_metrics_compute(struct hs_check_result *result)
{
	struct hs_check_metric *metrics = result->metrics;
	const struct hs_timeline_event *first = hs_timeline_first_step(result->timeline);
	if (first) {
		hs_metrics_failover(result, first->t_ms, first->name,
				    &metrics[HS_METRIC_FAILOVER_MS]);
	} else {
		metrics[HS_METRIC_FAILOVER_MS].known = false;
		snprintf(metrics[HS_METRIC_FAILOVER_MS].note, HS_TEXT_MAX, "no step happened");
	}
	metric_outage(result, &metrics[HS_METRIC_OUTAGE_MS]);
	metric_dual_active(result, &metrics[HS_METRIC_DUAL_ACTIVE_MS]);
	metric_lost_writes(result, &metrics[HS_METRIC_LOST_WRITES],
			   &metrics[HS_METRIC_REPORTED_LOST_WRITES]);
}
