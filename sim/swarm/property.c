/*
 * property.c - what must hold on every swarm schedule: one table, each row
 * with the SPEC line it stands on (rendered in sim/swarm/README.md), and
 * one judge per row.
 *
 * A judge reads the checker's result of the run (each node's display state
 * over time as spans, the client's writes and their read-back, the cluster
 * logs' records), the lab's faults replayed from steps.jsonl (faults.c),
 * and final.json's node statuses; it never reads a backend. Each judge
 * first decides whether SPEC promises anything for this run (a judge that
 * cannot tell stays silent rather than fire on what SPEC allows) and then
 * fills one violation with a sentence and what a reproducer needs to state
 * it (an anchor step and a window, a node and a state).
 *
 * The liveness bound (hs_swarm_liveness_bound_ms) is counted from the last
 * step or fence that changed the lab: boot and start (1050 ms virtual),
 * wait for the peer (wait_for_peer_ms), a dead peer (dead_time_ms), two
 * health verdicts (2 x health_interval_ms), a fence (fence_delay_ms), the
 * tie rule (2 x heartbeat_interval_ms), + 1000 ms for resync, the cluster
 * IP and the log. With the defaults: 1050 + 10000 + 1000 + 1000 + 500 +
 * 400 + 1000 = 14950 ms.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "swarm_int.h"

#define CUT_GRACE_EXTRA_MS 1000

static const struct hs_swarm_property_info properties[HS_SWARM_PROPERTY_COUNT] = {
    [HS_SWARM_PROP_SINGLE_ACTIVE] =
	{"single_active", "fence ping",
	 "\"ping: ... if both reach one, the incumbent keeps it and the standby waits "
	 "(incumbent bias), so there is at most one active\"; \"fence: ... At most one active, "
	 "always.\"; fault table, both inter-node links cut: \"ping/fence: never two active\"",
	 "at no time are both nodes active (display states from the cluster logs, off while "
	 "powered off or crashed)",
	 "{invariant: single_active}"},
    [HS_SWARM_PROP_SINGLE_ACTIVE_CONNECTED] =
	{"single_active_connected", "none",
	 "\"Exactly one node is active\"; \"none: both may become active; on reconnect the "
	 "split brain is detected and logged, the node whose active period was younger ... is "
	 "demoted\"",
	 "both nodes are active only during a cut (both the external and the sync network "
	 "degraded: a partition, an impairment, a pulled port, a switch down) or up to 2 x "
	 "dead_time_ms + the cut's largest impairment latency + jitter + 1000 ms after it",
	 "{invariant: single_active} if the schedule has no cut, else {invariant: "
	 "single_active, after: STEP, within_ms: [A, B]} over the connected stretch"},
    [HS_SWARM_PROP_NO_SILENT_LOSS] =
	{"no_silent_loss", "all",
	 "\"A write is acknowledged to a client only when both nodes have it durably\"; "
	 "\"the writes it loses are reported by count. Nothing is silently merged.\"",
	 "acknowledged writes that the read-back at the end misses <= the lost_writes of the "
	 "split_brain records (judged once every fault is repaired and the liveness bound has "
	 "passed, so that both nodes met again, when exactly one node ends active and the "
	 "read-back reached it)",
	 "{invariant: no_silent_loss}"},
    [HS_SWARM_PROP_CLUSTER_IP] =
	{"cluster_ip_unique", "all", "\"Exactly one node is active (M): it holds the cluster IP\"",
	 "at the end at most one node holds the cluster IP, and an active node is the one "
	 "that holds it (final.json: each node's status, asked by the lab; before any disband)",
	 "{invariant: cluster_ip_unique}"},
    [HS_SWARM_PROP_LIVENESS] =
	{"liveness", "all",
	 "failover checks, peer alive: \"standby takes over\"; \"a node "
	 "leaving maintenance ... becomes active if the peer is in maintenance or gone and its "
	 "data is not outdated\"; \"waits up to 10 s at start for its peer ... before it may "
	 "become active alone\"",
	 "once every fault is repaired and the liveness bound has passed, a node is active (or "
	 "disconnected with its role active: it keeps serving) if any node runs, is not in "
	 "maintenance, disconnected or standalone, and is not outdated",
	 "{final: {node: any, state: active}}"},
    [HS_SWARM_PROP_CLIENT_SERVED] =
	{"client_served", "all",
	 "\"Exactly one node is active (shown as M, main): it holds the cluster IP, runs the "
	 "services\"; fault table, failed node returns: \"no outage\"",
	 "once every fault is repaired, the liveness bound has passed and a node is active, the "
	 "client reaches it at the cluster IP: a request of the last 2 s before the end "
	 "succeeds (if it made any) and the read-back at the end reaches the cluster (the lab's "
	 "own observation of the cluster IP)",
	 "{invariant: no_silent_loss} (the read-back fails: every acknowledged write counts as "
	 "lost and none was reported)"},
    [HS_SWARM_PROP_NO_STUCK_STATE] =
	{"no_stuck_state", "all",
	 "states: \"starting (boot, waiting to see the peer)\", \"fault (a local failover check "
	 "failed)\", \"isolated (no ping target reachable)\"; fault table, sync link cut "
	 "only: \"standby marked outdated; resync on repair\"",
	 "once every fault is repaired and the liveness bound has passed, no running node is "
	 "starting, fault or isolated, and a standby beside an active node is not outdated",
	 "{final: {node: NODE, state: standby}} (the checker has no expectation on the outdated "
	 "flag: an outdated standby keeps the run's other expectations)"},
    [HS_SWARM_PROP_TIME_ADVANCES] =
	{"time_advances", "all",
	 "\"heartbeat every 200 ms per link\": a node's timers keep firing as time goes on",
	 "the virtual loop never stays at one instant (the runner's stall detection: "
	 "a deadline that stays due; the virtual lab's: a source due again and again without "
	 "virtual time moving on, \"virtual time stalled ... in the virtual lab: node2's host "
	 "deadline stays due\")",
	 "none needed: the runner's error fails the run"},
    [HS_SWARM_PROP_RUN_COMPLETES] =
	{"run_completes", "all",
	 "\"Packet sizes and all queues are bounded\"; the cluster forms (\"starting (boot, "
	 "waiting to see the peer)\")",
	 "the run ends as scheduled: no node's hanode ends by itself, no event queue overflows, "
	 "the cluster forms, the scenario does not time out, and every node the lab powered "
	 "and started answers its status request at the end",
	 "none needed: the runner's error fails the run"},
};

const struct hs_swarm_property_info *hs_swarm_property_info(enum hs_swarm_property property)
{
	return (unsigned)property < HS_SWARM_PROPERTY_COUNT ? &properties[property] : NULL;
}

int hs_swarm_property_find(const char *name)
{
	for (int i = 0; i < HS_SWARM_PROPERTY_COUNT; i++)
		if (strcmp(properties[i].name, name) == 0)
			return i;
	return -1;
}

int hs_swarm_plant_parse(const char *text, struct hs_swarm_plant *plant)
{
	char name[64];
	const char *colon = strchr(text, ':');

	plant->property = -1;
	if (!colon || (size_t)(colon - text) >= sizeof(name))
		return -1;
	snprintf(name, sizeof(name), "%.*s", (int)(colon - text), text);
	for (int action = 1; action < HS_ACTION_COUNT; action++)
		if (strcmp(hs_action_name((enum hs_action)action), colon + 1) == 0) {
			plant->property = hs_swarm_property_find(name);
			plant->action = (enum hs_action)action;
			return plant->property >= 0 ? 0 : -1;
		}
	return -1;
}

/* ------------------------------------------------------------- context */

struct judge_context {
	const struct hs_scenario *scenario;
	const struct hs_check_result *result;
	const struct hs_swarm_facts *facts;
	struct hs_swarm_faults faults;
	uint32_t bound_ms;
	/* At the end: what each node's status said (final.json), else the
	 * display from its cluster log. */
	char end_display[HS_NODES_MAX][HS_NAME_MAX];
	uint32_t end_active; /* nodes ending active */
	int end_active_node; /* the one, or -1 */
};

static void violate(struct hs_swarm_verdict *verdict, enum hs_swarm_property property, int64_t t_ms,
		    const char *format, ...) __attribute__((format(printf, 4, 5)));

static void violate(struct hs_swarm_verdict *verdict, enum hs_swarm_property property, int64_t t_ms,
		    const char *format, ...)
{
	struct hs_swarm_violation *violation = &verdict->violations[property];
	va_list arguments;

	if (violation->violated)
		return;
	violation->violated = true;
	violation->t_ms = t_ms;
	va_start(arguments, format);
	vsnprintf(violation->message, sizeof(violation->message), format, arguments);
	va_end(arguments);
	verdict->violated_count++;
}

static bool tiebreaker_is(const struct judge_context *context, const char *name)
{
	return strcmp(context->scenario->topology.tiebreaker, name) == 0;
}

/* The role alias of a node ("@active"), or its name. */
static const char *node_alias(const struct hs_check_result *result, uint32_t node)
{
	for (uint32_t i = 0; i < result->alias_count; i++)
		if (strcmp(result->aliases[i].node, result->nodes[node]) == 0 &&
		    result->aliases[i].alias[0] == '@')
			return result->aliases[i].alias;
	return result->nodes[node];
}

static void end_states(struct judge_context *context)
{
	const struct hs_check_result *result = context->result;

	context->end_active = 0;
	context->end_active_node = -1;
	for (uint32_t n = 0; n < result->node_count && n < HS_NODES_MAX; n++) {
		const struct hs_swarm_final_node *final = &context->facts->final[n];
		snprintf(context->end_display[n], HS_NAME_MAX, "%s",
			 final->known ? final->display : result->final_display[n]);
		if (strcmp(context->end_display[n], "active") == 0) {
			context->end_active++;
			context->end_active_node = (int)n;
		}
	}
}

/* Whether liveness and stuck states can be judged: every fault repaired,
 * the cluster not disbanded, and the bound passed before the end. */
static bool settled(const struct judge_context *context)
{
	return context->faults.healthy_at_end && !context->faults.disbanded &&
	       context->result->ended_ms - context->faults.healed_ms >= context->bound_ms;
}

/* ------------------------------------------------------- single active */

/* Both nodes active from *start_ms to *end_ms, the first such stretch at
 * or after from_ms; false if none. */
static bool dual_active_next(const struct hs_check_result *result, int64_t from_ms,
			     int64_t *start_ms, int64_t *end_ms)
{
	const struct hs_timeline *timeline = result->timeline;
	bool found = false;

	if (result->node_count != 2)
		return false;
	for (uint32_t i = 0; i < timeline->span_count[0]; i++) {
		const struct hs_display_span *left = &timeline->spans[0][i];
		if (strcmp(left->state, "active") != 0)
			continue;
		for (uint32_t j = 0; j < timeline->span_count[1]; j++) {
			const struct hs_display_span *right = &timeline->spans[1][j];
			int64_t start =
			    left->start_ms > right->start_ms ? left->start_ms : right->start_ms;
			int64_t end = left->end_ms < right->end_ms ? left->end_ms : right->end_ms;
			if (start < from_ms)
				start = from_ms;
			if (strcmp(right->state, "active") != 0 || end <= start)
				continue;
			if (!found || start < *start_ms) {
				*start_ms = start;
				*end_ms = end;
				found = true;
			}
		}
	}
	return found;
}

static void judge_single_active(struct judge_context *context, struct hs_swarm_verdict *verdict)
{
	int64_t start_ms, end_ms;

	if (!tiebreaker_is(context, "fence") && !tiebreaker_is(context, "ping"))
		return;
	if (!dual_active_next(context->result, INT64_MIN, &start_ms, &end_ms))
		return;
	violate(verdict, HS_SWARM_PROP_SINGLE_ACTIVE, start_ms,
		"%s and %s both active from %" PRId64 " to %" PRId64
		" ms (tie-breaker %s: never two active)",
		context->result->nodes[0], context->result->nodes[1], start_ms, end_ms,
		context->scenario->topology.tiebreaker);
}

/* The end of the allowance of window (its end + grace). */
static int64_t window_allowed_end(const struct judge_context *context,
				  const struct hs_swarm_window *window)
{
	if (window->end_ms == INT64_MAX)
		return INT64_MAX;
	return window->end_ms + 2 * (int64_t)context->scenario->topology.timers.dead_time_ms +
	       window->delay_ms + CUT_GRACE_EXTRA_MS;
}

/* The first instant in [start_ms, end_ms) outside every allowed window, or
 * INT64_MAX; *after_ms gets the end of the allowance before it (or 0). */
static int64_t outside_cuts(const struct judge_context *context, int64_t start_ms, int64_t end_ms,
			    int64_t *after_ms)
{
	int64_t at_ms = start_ms;
	bool moved = true;

	*after_ms = 0;
	while (moved && at_ms < end_ms) {
		moved = false;
		for (uint32_t w = 0; w < context->faults.window_count; w++) {
			const struct hs_swarm_window *window = &context->faults.windows[w];
			int64_t allowed_end = window_allowed_end(context, window);
			if (window->start_ms <= at_ms && at_ms < allowed_end) {
				at_ms = allowed_end;
				*after_ms = allowed_end;
				moved = true;
			}
		}
	}
	return at_ms < end_ms ? at_ms : INT64_MAX;
}

/* The last step carried out at or before t_ms (the anchor of a window),
 * or NULL. */
static const struct hs_timeline_event *step_before(const struct hs_check_result *result,
						   int64_t t_ms)
{
	const struct hs_timeline_event *last = NULL;

	for (uint32_t i = 0; i < result->timeline->event_count; i++) {
		const struct hs_timeline_event *event = &result->timeline->events[i];
		if (event->t_ms > t_ms)
			break;
		if (event->source_kind == HS_SOURCE_RUNNER && strcmp(event->kind, "step") == 0)
			last = event;
	}
	return last;
}

/* The start of the next cut after t_ms, or the end of the run. */
static int64_t next_cut_ms(const struct judge_context *context, int64_t t_ms)
{
	int64_t next_ms = context->result->ended_ms;

	for (uint32_t w = 0; w < context->faults.window_count; w++)
		if (context->faults.windows[w].start_ms > t_ms &&
		    context->faults.windows[w].start_ms < next_ms)
			next_ms = context->faults.windows[w].start_ms;
	return next_ms;
}

/* The reproducer's window: from the end of the allowance before the
 * violation to the next cut, after the last step before it. */
static void connected_window(const struct judge_context *context, int64_t allowed_from_ms,
			     int64_t violation_ms, struct hs_swarm_violation *violation)
{
	const struct hs_timeline_event *anchor = step_before(context->result, allowed_from_ms);
	int64_t anchor_ms = anchor ? anchor->t_ms : context->result->formed_ms;
	int64_t until_ms = next_cut_ms(context, violation_ms);

	snprintf(violation->anchor, sizeof(violation->anchor), "%s",
		 anchor ? anchor->name : "formed");
	violation->within_min_ms =
	    (uint32_t)(allowed_from_ms > anchor_ms ? allowed_from_ms - anchor_ms : 0);
	violation->within_max_ms =
	    (uint32_t)(until_ms > anchor_ms ? until_ms - anchor_ms : violation->within_min_ms);
	if (violation->within_max_ms < violation->within_min_ms)
		violation->within_max_ms = violation->within_min_ms;
}

static void judge_single_active_connected(struct judge_context *context,
					  struct hs_swarm_verdict *verdict)
{
	int64_t start_ms, end_ms, from_ms = INT64_MIN, after_ms;

	if (!tiebreaker_is(context, "none"))
		return;
	while (dual_active_next(context->result, from_ms, &start_ms, &end_ms)) {
		int64_t outside_ms = outside_cuts(context, start_ms, end_ms, &after_ms);
		from_ms = end_ms;
		if (outside_ms == INT64_MAX)
			continue;
		violate(verdict, HS_SWARM_PROP_SINGLE_ACTIVE_CONNECTED, outside_ms,
			"%s and %s both active at %" PRId64 " ms (until %" PRId64
			" ms) while the nodes could hear each other (tie-breaker none allows two "
			"active only during a cut%s)",
			context->result->nodes[0], context->result->nodes[1], outside_ms, end_ms,
			after_ms ? " and its grace, which ended here" : "; there was none before");
		if (context->faults.window_count > 0)
			connected_window(
			    context, after_ms ? after_ms : context->result->formed_ms, outside_ms,
			    &verdict->violations[HS_SWARM_PROP_SINGLE_ACTIVE_CONNECTED]);
		return;
	}
}

/* ----------------------------------------------------- writes, the IP */

static void lost_keys(const struct hs_check_result *result, char *out, size_t size)
{
	size_t used = 0;
	uint32_t listed = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < result->timeline->event_count && used < size; i++) {
		const struct hs_timeline_event *event = &result->timeline->events[i];
		if (event->source_kind != HS_SOURCE_CLIENT || strcmp(event->kind, "verify") != 0 ||
		    event->ok)
			continue;
		if (listed++ == 6) {
			snprintf(out + used, size - used, ", ...");
			return;
		}
		used += (size_t)snprintf(out + used, size - used, "%s%s (%s)",
					 listed > 1 ? ", " : "", event->name, event->detail);
	}
}

/* Read-backs that never reached the cluster (the client gave up). */
static uint32_t verify_unreachable(const struct hs_check_result *result)
{
	uint32_t count = 0;

	for (uint32_t i = 0; i < result->timeline->event_count; i++) {
		const struct hs_timeline_event *event = &result->timeline->events[i];
		if (event->source_kind == HS_SOURCE_CLIENT && strcmp(event->kind, "verify") == 0 &&
		    !event->ok && strstr(event->detail, "got '(cluster unreachable)'"))
			count++;
	}
	return count;
}

static void judge_no_silent_loss(struct judge_context *context, struct hs_swarm_verdict *verdict)
{
	const struct hs_check_metric *lost = &context->result->metrics[HS_METRIC_LOST_WRITES];
	const struct hs_check_metric *reported =
	    &context->result->metrics[HS_METRIC_REPORTED_LOST_WRITES];
	char keys[HS_SWARM_MESSAGE_MAX / 2];

	/* Only once both nodes met again after every repair: a loser that is
	 * still off or cut off cannot have reported its split brain yet. */
	if (!settled(context) || context->end_active != 1 || !lost->known ||
	    lost->nothing_measured || lost->value <= reported->value ||
	    verify_unreachable(context->result) > 0)
		return;
	lost_keys(context->result, keys, sizeof(keys));
	violate(verdict, HS_SWARM_PROP_NO_SILENT_LOSS, context->result->ended_ms,
		"%" PRId64 " acknowledged write%s missing at the end, %" PRId64
		" reported by split_brain records: %s",
		lost->value, lost->value == 1 ? "" : "s", reported->value, keys);
}

static bool end_in_cut(const struct judge_context *context)
{
	int64_t after_ms;

	return tiebreaker_is(context, "none") &&
	       outside_cuts(context, context->result->ended_ms, context->result->ended_ms + 1,
			    &after_ms) == INT64_MAX;
}

static void judge_cluster_ip(struct judge_context *context, struct hs_swarm_verdict *verdict)
{
	const struct hs_check_result *result = context->result;
	uint32_t holders = 0, known = 0;
	int holder = -1;

	if (context->faults.disbanded || end_in_cut(context))
		return;
	for (uint32_t n = 0; n < result->node_count && n < HS_NODES_MAX; n++) {
		known += context->facts->final[n].known;
		if (context->facts->final[n].holds_cluster_ip) {
			holders++;
			holder = (int)n;
		}
	}
	if (known != result->node_count)
		return;
	if (holders > 1)
		violate(verdict, HS_SWARM_PROP_CLUSTER_IP, result->ended_ms,
			"%s and %s both hold the cluster IP at the end (%s, %s)", result->nodes[0],
			result->nodes[1], context->end_display[0], context->end_display[1]);
	else if (context->end_active == 1 && holder != context->end_active_node)
		violate(verdict, HS_SWARM_PROP_CLUSTER_IP, result->ended_ms,
			"%s is active at the end but %s", result->nodes[context->end_active_node],
			holder < 0 ? "no node holds the cluster IP"
				   : "the other node holds the cluster IP");
}

/* ------------------------------------------------ liveness, stuck states */

static bool node_eligible(const struct judge_context *context, uint32_t node)
{
	const struct hs_swarm_final_node *final = &context->facts->final[node];
	const char *display = context->end_display[node];

	return final->known && final->reachable && !final->outdated &&
	       strcmp(display, "maintenance") != 0 && strcmp(display, "disconnected") != 0 &&
	       strcmp(display, "standalone") != 0 && strcmp(display, "off") != 0;
}

static void judge_liveness(struct judge_context *context, struct hs_swarm_verdict *verdict)
{
	const struct hs_check_result *result = context->result;
	bool eligible = false;

	if (!settled(context) || context->end_active > 0)
		return;
	/* SPEC, disconnect: "the active keeps serving" with its role frozen. */
	for (uint32_t n = 0; n < result->node_count && n < HS_NODES_MAX; n++)
		if (strcmp(context->end_display[n], "disconnected") == 0 &&
		    context->facts->final[n].role_active)
			return;
	for (uint32_t n = 0; n < result->node_count && n < HS_NODES_MAX; n++)
		eligible = eligible || node_eligible(context, n);
	if (!eligible)
		return;
	violate(verdict, HS_SWARM_PROP_LIVENESS, result->ended_ms,
		"no node active %" PRId64 " ms after the last repair at %" PRId64
		" ms (bound %u ms): %s %s%s, %s %s%s",
		result->ended_ms - context->faults.healed_ms, context->faults.healed_ms,
		context->bound_ms, result->nodes[0], context->end_display[0],
		context->facts->final[0].outdated ? " (outdated)" : "", result->nodes[1],
		context->end_display[1], context->facts->final[1].outdated ? " (outdated)" : "");
	snprintf(verdict->violations[HS_SWARM_PROP_LIVENESS].node, HS_NAME_MAX, "any");
	snprintf(verdict->violations[HS_SWARM_PROP_LIVENESS].state, HS_NAME_MAX, "active");
}

#define CLIENT_LAST_MS 2000

static void judge_client_served(struct judge_context *context, struct hs_swarm_verdict *verdict)
{
	const struct hs_check_result *result = context->result;
	uint32_t unreachable, requests = 0, served = 0;

	if (!settled(context) || context->end_active != 1)
		return;
	for (uint32_t i = 0; i < result->timeline->event_count; i++) {
		const struct hs_timeline_event *event = &result->timeline->events[i];
		if (event->source_kind != HS_SOURCE_CLIENT || strcmp(event->kind, "verify") == 0 ||
		    event->t_ms < result->ended_ms - CLIENT_LAST_MS ||
		    event->t_ms > result->ended_ms)
			continue;
		requests++;
		served += event->ok;
	}
	unreachable = verify_unreachable(result);
	if (requests > 0 && served == 0)
		violate(verdict, HS_SWARM_PROP_CLIENT_SERVED, result->ended_ms - CLIENT_LAST_MS,
			"%s is active but none of the client's %u requests of the last %d ms "
			"succeeded (%" PRId64 " ms after the last repair)%s",
			result->nodes[context->end_active_node], requests, CLIENT_LAST_MS,
			result->ended_ms - context->faults.healed_ms,
			unreachable ? "; the read-back did not reach the cluster either" : "");
	else if (unreachable > 0)
		violate(
		    verdict, HS_SWARM_PROP_CLIENT_SERVED, result->ended_ms,
		    "%s is active but the read-back of %u acknowledged writes did not reach the "
		    "cluster IP",
		    result->nodes[context->end_active_node], unreachable);
}

static void judge_no_stuck_state(struct judge_context *context, struct hs_swarm_verdict *verdict)
{
	const struct hs_check_result *result = context->result;
	struct hs_swarm_violation *violation = &verdict->violations[HS_SWARM_PROP_NO_STUCK_STATE];

	if (!settled(context))
		return;
	for (uint32_t n = 0; n < result->node_count && n < HS_NODES_MAX; n++) {
		const char *display = context->end_display[n];
		if (!context->facts->final[n].reachable)
			continue; /* run_completes says so */
		bool stuck = strcmp(display, "starting") == 0 || strcmp(display, "fault") == 0 ||
			     strcmp(display, "isolated") == 0;
		bool outdated = strcmp(display, "standby") == 0 &&
				context->facts->final[n].outdated && context->end_active == 1 &&
				context->end_active_node != (int)n;
		if (!stuck && !outdated)
			continue;
		violate(verdict, HS_SWARM_PROP_NO_STUCK_STATE, result->ended_ms,
			"%s still %s%s %" PRId64 " ms after the last repair at %" PRId64
			" ms (bound %u ms)%s",
			result->nodes[n], display, outdated ? " and outdated" : "",
			result->ended_ms - context->faults.healed_ms, context->faults.healed_ms,
			context->bound_ms,
			outdated ? " beside an active peer: no resync on repair" : "");
		snprintf(violation->node, sizeof(violation->node), "%s", node_alias(result, n));
		snprintf(violation->state, sizeof(violation->state), "%s",
			 context->end_active > 0 ? "standby" : "active");
		if (context->end_active == 0)
			snprintf(violation->node, sizeof(violation->node), "any");
		return;
	}
}

/* --------------------------------------------------------- the run itself */

static void judge_runner(struct judge_context *context, struct hs_swarm_verdict *verdict)
{
	const struct hs_check_result *result = context->result;
	bool stalled = false;

	for (uint32_t i = 0; i < context->facts->runner_error_count; i++)
		stalled =
		    stalled || strstr(context->facts->runner_errors[i], "virtual time stalled");
	/* A node the lab powered and whose hanode it started must answer;
	 * after a stall the lab stood still (README-virtual.md), so a node
	 * that does not answer is the stall's consequence, not a finding. */
	for (uint32_t n = 0; !stalled && n < result->node_count && n < HS_NODES_MAX; n++) {
		const struct hs_swarm_final_node *final = &context->facts->final[n];
		if (final->known && !final->reachable && strcmp(final->display, "off") != 0)
			violate(verdict, HS_SWARM_PROP_RUN_COMPLETES, result->ended_ms,
				"%s does not answer the lab's status request at the end, though it "
				"is powered and its hanode was started (display '%s')",
				result->nodes[n], final->display);
	}
	for (uint32_t i = 0; i < context->facts->runner_error_count; i++) {
		const char *error = context->facts->runner_errors[i];
		if (strncmp(error, "step '", 6) == 0)
			continue; /* a refused command: counted, not a finding */
		if (strstr(error, "virtual time stalled"))
			violate(verdict, HS_SWARM_PROP_TIME_ADVANCES, context->result->ended_ms,
				"%s", error);
		else
			violate(verdict, HS_SWARM_PROP_RUN_COMPLETES, context->result->ended_ms,
				"%s", error);
	}
}

static void judge_plant(const struct judge_context *context, const struct hs_swarm_plant *plant,
			struct hs_swarm_verdict *verdict)
{
	const struct hs_timeline *timeline = context->result->timeline;

	if (!plant || plant->property < 0 || plant->property >= HS_SWARM_PROPERTY_COUNT)
		return;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind != HS_SOURCE_RUNNER || strcmp(event->kind, "step") != 0 ||
		    !event->ok || strcmp(event->action, hs_action_name(plant->action)) != 0)
			continue;
		violate(
		    verdict, (enum hs_swarm_property)plant->property, event->t_ms,
		    "planted failure (test switch HALAB_SWARM_PLANT): step '%s' (%s) was carried "
		    "out",
		    event->name, event->action);
		return;
	}
}

/* ------------------------------------------------------------- judge all */

void hs_swarm_properties_judge(const struct hs_scenario *scenario,
			       const struct hs_check_result *result,
			       const struct hs_swarm_facts *facts,
			       const struct hs_swarm_plant *plant, struct hs_swarm_verdict *verdict)
{
	struct judge_context context = {.scenario = scenario, .result = result, .facts = facts};

	memset(verdict, 0, sizeof(*verdict));
	verdict->ended_ms = result->ended_ms;
	verdict->healed_ms = -1;
	if (!result->timeline)
		return;
	verdict->judged = true;
	hs_swarm_faults_replay(scenario, result, &context.faults);
	context.bound_ms = hs_swarm_liveness_bound_ms(&scenario->topology.timers);
	verdict->healed_ms = context.faults.healed_ms;
	verdict->steps_failed = context.faults.steps_failed;
	verdict->failed_steps = context.faults.failed_steps;
	snprintf(verdict->first_step_error, sizeof(verdict->first_step_error), "%s",
		 context.faults.first_step_error);
	end_states(&context);
	judge_plant(&context, plant, verdict);
	judge_single_active(&context, verdict);
	judge_single_active_connected(&context, verdict);
	judge_no_silent_loss(&context, verdict);
	judge_cluster_ip(&context, verdict);
	judge_liveness(&context, verdict);
	judge_client_served(&context, verdict);
	judge_no_stuck_state(&context, verdict);
	judge_runner(&context, verdict);
}

int hs_swarm_verdict_first(const struct hs_swarm_verdict *verdict)
{
	for (int i = 0; i < HS_SWARM_PROPERTY_COUNT; i++)
		if (verdict->violations[i].violated)
			return i;
	return -1;
}

/* ------------------------------------------------------------ rendering */

static struct hs_expect *expect_add(struct hs_swarm_schedule *out, enum hs_expect_kind kind)
{
	struct hs_expect *expect;

	if (out->expect_count >= sizeof(out->expects) / sizeof(out->expects[0]))
		return NULL;
	expect = &out->expects[out->expect_count++];
	memset(expect, 0, sizeof(*expect));
	expect->kind = kind;
	expect->min = INT64_MIN;
	expect->max = INT64_MAX;
	return expect;
}

static void expect_invariant(struct hs_swarm_schedule *out, enum hs_invariant invariant)
{
	struct hs_expect *expect = expect_add(out, HS_EXPECT_INVARIANT);

	if (expect)
		expect->invariant = invariant;
}

static void expect_final(struct hs_swarm_schedule *out, const char *node, const char *state)
{
	struct hs_expect *expect = expect_add(out, HS_EXPECT_FINAL);

	if (!expect)
		return;
	snprintf(expect->node, sizeof(expect->node), "%s", node[0] ? node : "any");
	snprintf(expect->to, sizeof(expect->to), "%s", state[0] ? state : "active");
}

void hs_swarm_property_expects(enum hs_swarm_property property,
			       const struct hs_swarm_schedule *schedule,
			       const struct hs_swarm_verdict *verdict,
			       struct hs_swarm_schedule *out)
{
	const struct hs_swarm_violation *violation = &verdict->violations[property];
	struct hs_expect *expect;

	if (out != schedule)
		*out = *schedule;
	out->expect_count = 0;
	switch (property) {
	case HS_SWARM_PROP_SINGLE_ACTIVE:
		expect_invariant(out, HS_INVARIANT_SINGLE_ACTIVE);
		break;
	case HS_SWARM_PROP_SINGLE_ACTIVE_CONNECTED:
		expect = expect_add(out, HS_EXPECT_INVARIANT);
		if (!expect)
			break;
		expect->invariant = HS_INVARIANT_SINGLE_ACTIVE;
		if (violation->anchor[0]) {
			snprintf(expect->anchor, sizeof(expect->anchor), "%s", violation->anchor);
			expect->within_min_ms = violation->within_min_ms;
			expect->within_max_ms = violation->within_max_ms;
		}
		break;
	case HS_SWARM_PROP_NO_SILENT_LOSS:
	case HS_SWARM_PROP_CLIENT_SERVED:
		expect_invariant(out, HS_INVARIANT_NO_SILENT_LOSS);
		break;
	case HS_SWARM_PROP_CLUSTER_IP:
		expect_invariant(out, HS_INVARIANT_CLUSTER_IP_UNIQUE);
		break;
	case HS_SWARM_PROP_LIVENESS:
	case HS_SWARM_PROP_NO_STUCK_STATE:
		expect_final(out, violation->node, violation->state);
		break;
	default:
		break;
	}
	if (out->expect_count == 0)
		expect_invariant(out, HS_INVARIANT_NO_SILENT_LOSS);
}
