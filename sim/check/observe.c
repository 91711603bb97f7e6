/*
 * observe.c - the fabric's view of who held the cluster IP, against the
 * nodes' own claims.
 *
 * The fabric logs "cluster_ip_seen" for a node's endpoint at most every
 * HS_OBSERVE_SAMPLE_MS while frames from the node speak for the cluster IP
 * (ARP replies, gratuitous ARP, IPv4 from it: sim/fabric/observe.c). Here
 * those become spans per node: a sighting covers HS_OBSERVE_SAMPLE_MS after
 * it, sightings closer than HS_OBSERVE_GAP_MS join. The invariants then
 * hold on the wire too (expect.c asks once the logs' verdict passed):
 *   cluster_ip_unique  no two nodes were seen answering at the same time
 *                      for more than HS_OBSERVE_SLACK_MS in total, unless
 *                      both logs said active then (a declared split brain,
 *                      for single_active and dual_active_ms to judge);
 *   single_active      no node answered while its log said it was not
 *                      active and the other's said active, for more than
 *                      HS_OBSERVE_SLACK_MS in total
 *                      (a take-over logs its line a few ms after the
 *                      address moved; a handover's last replies trail
 *                      it), and no node's log said it was
 *                      active while the client's requests found it silent,
 *                      for more than HS_OBSERVE_SLACK_MS in total, before
 *                      the network's first fault (after one, an active
 *                      node cut off may not know it yet).
 * A run folder whose fabric did not watch (no "cluster_ip_watch" line, no
 * sightings: older runs) is judged from the logs only.
 */
#include "expect.h"
#include "timeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define HS_OBSERVE_SAMPLE_MS 100 /* as sim/fabric/fabric.h */
#define HS_OBSERVE_GAP_MS    300
#define HS_OBSERVE_SLACK_MS  500
#define HS_OBSERVE_SPANS_MAX 256

struct observe_span {
	int64_t start_ms, end_ms;
};

struct observe_node {
	uint32_t count;
	struct observe_span spans[HS_OBSERVE_SPANS_MAX];
};

/* The spans per node; false when the fabric did not watch the cluster IP
 * (no "cluster_ip_watch" line: an older run folder) and saw no one. */
static bool observe_spans(const struct hs_check_result *result,
			  struct observe_node nodes[HS_NODES_MAX])
{
	const struct hs_timeline *timeline = result->timeline;
	bool any = false;

	memset(nodes, 0, sizeof(struct observe_node) * HS_NODES_MAX);
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		int node;
		struct observe_node *observed;
		if (event->source_kind == HS_SOURCE_FABRIC &&
		    strcmp(event->kind, "cluster_ip_watch") == 0)
			any = true;
		if (event->source_kind != HS_SOURCE_FABRIC ||
		    strcmp(event->kind, "cluster_ip_seen") != 0 ||
		    hs_timeline_after_end(result, event))
			continue;
		node = hs_timeline_node_index(result, event->node);
		if (node < 0 || node >= HS_NODES_MAX)
			continue;
		any = true;
		observed = &nodes[node];
		if (observed->count > 0 &&
		    event->t_ms <=
			observed->spans[observed->count - 1].end_ms + HS_OBSERVE_GAP_MS) {
			observed->spans[observed->count - 1].end_ms =
			    event->t_ms + HS_OBSERVE_SAMPLE_MS;
		} else if (observed->count < HS_OBSERVE_SPANS_MAX) {
			observed->spans[observed->count++] =
			    (struct observe_span){event->t_ms, event->t_ms + HS_OBSERVE_SAMPLE_MS};
		}
	}
	return any;
}

static int64_t overlap_ms(int64_t a_start, int64_t a_end, int64_t b_start, int64_t b_end,
			  int64_t *first_ms)
{
	int64_t start = a_start > b_start ? a_start : b_start;
	int64_t end = a_end < b_end ? a_end : b_end;
	if (end <= start)
		return 0;
	if (start < *first_ms)
		*first_ms = start;
	return end - start;
}

/* How long node was seen answering while its log said a state other than
 * active and the other node's log said active (and the state, the first
 * time). A node that answers while the other is not active is no second
 * holder: a crashed daemon's node keeps its address until it is fenced. */
static int64_t observe_unclaimed_ms(const struct hs_timeline *timeline,
				    const struct observe_node *observed, int node,
				    int64_t *first_ms, char *state, size_t state_size)
{
	int64_t total = 0;
	for (uint32_t s = 0; s < observed->count; s++)
		for (uint32_t d = 0; d < timeline->span_count[node]; d++) {
			const struct hs_display_span *span = &timeline->spans[node][d];
			if (strcmp(span->state, "active") == 0)
				continue;
			for (uint32_t o = 0; o < timeline->span_count[1 - node]; o++) {
				const struct hs_display_span *other = &timeline->spans[1 - node][o];
				int64_t before = *first_ms, ignored = INT64_MAX;
				int64_t start = span->start_ms > other->start_ms ? span->start_ms
										 : other->start_ms;
				int64_t end =
				    span->end_ms < other->end_ms ? span->end_ms : other->end_ms;
				if (strcmp(other->state, "active") != 0 || end <= start ||
				    !overlap_ms(start, end, start, end, &ignored))
					continue;
				total +=
				    overlap_ms(observed->spans[s].start_ms,
					       observed->spans[s].end_ms, start, end, first_ms);
				if (*first_ms != before)
					snprintf(state, state_size, "%s", span->state);
			}
		}
	return total;
}

static bool observe_covered(const struct observe_node *observed, int64_t t_ms)
{
	for (uint32_t s = 0; s < observed->count; s++)
		if (t_ms >= observed->spans[s].start_ms - HS_OBSERVE_GAP_MS &&
		    t_ms <= observed->spans[s].end_ms + HS_OBSERVE_GAP_MS)
			return true;
	return false;
}

/* When the run's network was first broken (a link down, a partition, an
 * impairment, a switch off): from then on a silent active node may just
 * not know yet that it was cut off. INT64_MAX when never. */
static int64_t observe_first_fault_ms(const struct hs_timeline *timeline)
{
	static const char *const benign[] = {"cluster_ip_watch", "cluster_ip_seen", "carrier_up",
					     "link_up",		 "switch_power_on", NULL};
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		bool is_benign = false;
		if (event->source_kind != HS_SOURCE_FABRIC)
			continue;
		for (int b = 0; benign[b]; b++)
			is_benign = is_benign || strcmp(event->kind, benign[b]) == 0;
		if (!is_benign)
			return event->t_ms;
	}
	return INT64_MAX;
}

/* How long node's log said active while the client's requests found the
 * node silent for the cluster IP: stretches between the first and the
 * last request sent (inside a log-active span, after HS_OBSERVE_SLACK_MS
 * of it, before the network's first fault) that no sighting of the node
 * covers. */
static int64_t observe_claimed_ms(const struct hs_check_result *result,
				  const struct observe_node *self, int node, int64_t *first_ms)
{
	const struct hs_timeline *timeline = result->timeline;
	int64_t total = 0, fault_ms = observe_first_fault_ms(timeline);
	for (uint32_t d = 0; d < timeline->span_count[node]; d++) {
		const struct hs_display_span *span = &timeline->spans[node][d];
		int64_t stretch_start = -1, stretch_end = -1;
		if (strcmp(span->state, "active") != 0)
			continue;
		for (uint32_t i = 0; i <= timeline->event_count; i++) {
			const struct hs_timeline_event *event =
			    i < timeline->event_count ? &timeline->events[i] : NULL;
			bool unheard;
			if (event && (event->source_kind != HS_SOURCE_CLIENT ||
				      event->sent_ms < span->start_ms + HS_OBSERVE_SLACK_MS ||
				      event->sent_ms > span->end_ms || event->sent_ms >= fault_ms))
				continue;
			unheard = event && !observe_covered(self, event->sent_ms);
			if (unheard) {
				if (stretch_start < 0)
					stretch_start = event->sent_ms;
				stretch_end = event->sent_ms;
				continue;
			}
			if (stretch_start >= 0) {
				total += stretch_end - stretch_start;
				if (stretch_start < *first_ms)
					*first_ms = stretch_start;
			}
			stretch_start = -1;
		}
	}
	return total;
}

/* How much of [start_ms, end_ms) both nodes' logs said active: a split
 * brain the nodes declare, which single_active and dual_active_ms judge;
 * two holders there are no lie. */
static int64_t log_both_active_ms(const struct hs_timeline *timeline, int64_t start_ms,
				  int64_t end_ms)
{
	int64_t total = 0, ignored = INT64_MAX;
	for (uint32_t i = 0; i < timeline->span_count[0]; i++)
		for (uint32_t j = 0; j < timeline->span_count[1]; j++) {
			int64_t start, end;
			if (!hs_spans_both_active(&timeline->spans[0][i], &timeline->spans[1][j],
						  &start, &end))
				continue;
			total += overlap_ms(start, end, start_ms, end_ms, &ignored);
		}
	return total;
}

bool hs_observe_cluster_ip_unique(const struct hs_check_result *result, char *message,
				  size_t message_size)
{
	struct observe_node nodes[HS_NODES_MAX];
	int64_t total = 0, first_ms = INT64_MAX;

	if (result->node_count != 2 || !observe_spans(result, nodes))
		return true;
	for (uint32_t a = 0; a < nodes[0].count; a++)
		for (uint32_t b = 0; b < nodes[1].count; b++) {
			int64_t start = INT64_MAX, both;
			both = overlap_ms(nodes[0].spans[a].start_ms, nodes[0].spans[a].end_ms,
					  nodes[1].spans[b].start_ms, nodes[1].spans[b].end_ms,
					  &start);
			both -=
			    both ? log_both_active_ms(result->timeline, start, start + both) : 0;
			if (both > 0 && start < first_ms)
				first_ms = start;
			total += both;
		}
	if (total <= HS_OBSERVE_SLACK_MS)
		return true;
	snprintf(message, message_size,
		 "invariant cluster_ip_unique failed: the fabric saw %s and %s both answer for "
		 "the cluster IP for %" PRId64 " ms in total, first at %" PRId64 " ms",
		 result->nodes[0], result->nodes[1], total, first_ms);
	return false;
}

bool hs_observe_single_active(const struct hs_check_result *result, char *message,
			      size_t message_size)
{
	const struct hs_timeline *timeline = result->timeline;
	struct observe_node nodes[HS_NODES_MAX];
	char state[HS_NAME_MAX] = "";

	if (result->node_count != 2 || !observe_spans(result, nodes))
		return true;
	for (int node = 0; node < 2; node++) {
		int64_t first_ms = INT64_MAX;
		int64_t unclaimed = observe_unclaimed_ms(timeline, &nodes[node], node, &first_ms,
							 state, sizeof(state));
		if (unclaimed > HS_OBSERVE_SLACK_MS) {
			snprintf(message, message_size,
				 "invariant single_active failed: the fabric saw %s answer for the "
				 "cluster IP for %" PRId64 " ms while its log said %s and %s's "
				 "said active (first at %" PRId64 " ms)",
				 result->nodes[node], unclaimed, state, result->nodes[1 - node],
				 first_ms);
			return false;
		}
	}
	for (int node = 0; node < 2; node++) {
		int64_t first_ms = INT64_MAX;
		int64_t claimed = observe_claimed_ms(result, &nodes[node], node, &first_ms);
		if (claimed > HS_OBSERVE_SLACK_MS) {
			snprintf(
			    message, message_size,
			    "invariant single_active failed: %s's log said active, but for %" PRId64
			    " ms of client requests the fabric saw it not answer for the cluster "
			    "IP, first at %" PRId64 " ms%s",
			    result->nodes[node], claimed, first_ms,
			    nodes[1 - node].count ? " (the other node answered)" : "");
			return false;
		}
	}
	return true;
}
