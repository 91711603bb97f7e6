/*
 * timeline.h - one run folder as one timeline (internal to sim/check).
 *
 * timeline.c reads run.json into the result's run fields, then every line
 * of steps.jsonl, fabric.jsonl, client.jsonl, nodes/<name>/cluster.log and
 * nodes/<name>/notify.jsonl into events, and sorts them by time; events at
 * the same millisecond keep the order runner, fabric, nodes (in run.json
 * order), client, notifications (in run.json order), and within a
 * source their file order. metrics.c then derives each node's display
 * state over time as spans. The timeline is bounded: HS_TIMELINE_EVENTS_MAX
 * events, HS_TIMELINE_SPANS_MAX spans per node.
 */
#ifndef HS_TIMELINE_H
#define HS_TIMELINE_H

#include "check.h"

#define HS_TIMELINE_EVENTS_MAX 200000
#define HS_TIMELINE_SPANS_MAX  1024
#define HS_TIMELINE_LINE_MAX   65536

enum hs_source {
	HS_SOURCE_RUNNER = 0, /* steps.jsonl */
	HS_SOURCE_FABRIC,     /* fabric.jsonl */
	HS_SOURCE_NODE,	      /* nodes/<name>/cluster.log */
	HS_SOURCE_CLIENT,     /* client.jsonl */
	HS_SOURCE_NOTIFY,     /* nodes/<name>/notify.jsonl: the notify hook's calls */
};

struct hs_timeline_event {
	int64_t t_ms; /* relative to t0 */
	enum hs_source source_kind;
	uint32_t source_order;	  /* node index for HS_SOURCE_NODE, else 0 */
	uint32_t sequence;	  /* reading order: keeps the sort stable */
	char source[HS_NAME_MAX]; /* "runner", "fabric", "client" or the node name */
	char kind[HS_NAME_MAX];	  /* step, transition, split_brain, link_down, put, verify ...;
				     a notification's event (fault, health ...) */
	char node[HS_NAME_MAX];	  /* node concerned, aliases resolved; "" = none */
	char from[HS_NAME_MAX];
	char to[HS_NAME_MAX];
	char name[HS_NAME_MAX];	      /* step name; client key */
	char action[HS_NAME_MAX];     /* step action ("power_off") */
	char target[HS_NAME_MAX * 2]; /* step target / fabric cable, as written */
	char detail[HS_TEXT_MAX];     /* reason, error, or a summary */
	bool ok;		      /* steps and client requests */
	int64_t lost_writes;	      /* split_brain */
	int64_t wall_ms;	      /* node records: the wall clock, 0 = absent */
	/* Client requests: when the request was sent (relative to t0; the
	 * line's sent_ms, else its time minus latency_ms) and how long it took;
	 * latency_ms < 0 when the line does not say. A loop_stall (runner):
	 * latency_ms is how long the loop stood still, up to t_ms. */
	int64_t sent_ms;
	int64_t latency_ms;
};

/* A stretch without a successful client request: from the last success
 * before a failure to the first success after it (or the end of the run),
 * as outage_ms measures it. */
#define HS_TIMELINE_OUTAGES_MAX 64
struct hs_outage {
	int64_t start_ms;
	int64_t end_ms;
	uint32_t failures;
	int64_t stalled_ms; /* of it, the runner's loop stood still (said, still counted) */
	bool to_the_end;    /* no success after it */
};

/* An outage's length as outage_ms counts it: end - start. */
int64_t hs_outage_ms(const struct hs_outage *outage);

struct hs_display_span {
	int64_t start_ms;
	int64_t end_ms;
	char state[HS_NAME_MAX];
};

/* True when both spans are `active` and overlap; [*start_ms, *end_ms) is
 * the overlap (timeline.c). */
bool hs_spans_both_active(const struct hs_display_span *left, const struct hs_display_span *right,
			  int64_t *start_ms, int64_t *end_ms);

struct hs_final_node {
	bool known;
	char display[HS_NAME_MAX];
	bool holds_cluster_ip;
	bool reachable;
};

struct hs_timeline {
	uint32_t event_count;
	uint32_t event_capacity;
	struct hs_timeline_event *events;
	uint32_t span_count[HS_NODES_MAX];
	struct hs_display_span spans[HS_NODES_MAX][HS_TIMELINE_SPANS_MAX];
	bool final_loaded; /* final.json was read */
	bool ended_given;  /* run.json said when the run ended (else: its last event) */
	struct hs_final_node final_nodes[HS_NODES_MAX];
	/* The client's outages in time order (the first HS_TIMELINE_OUTAGES_MAX;
	 * outage_total counts all) and the index of the longest (outage_ms),
	 * -1 when there was none. */
	uint32_t outage_count, outage_total;
	struct hs_outage outages[HS_TIMELINE_OUTAGES_MAX];
	int32_t longest_outage;
	int64_t outage_lower_ms; /* the largest outage less its loop stalls */
};

/* check.c: record a failure sentence (runner errors, failed steps,
 * failed expectations). */
void hs_check_fail(struct hs_check_result *result, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* timeline.c */
int hs_timeline_load(const struct hs_scenario *scenario, const char *run_dir,
		     struct hs_check_result *result, char *error, size_t error_size);
void hs_timeline_free(struct hs_timeline *timeline);
/* One line of a run-folder file into result->timeline (allocated, with
 * run.json's fields set), as reading the folder does: source says which
 * file (node_index: which node's cluster.log); a bad line is a warning.
 * -1 only when the timeline is full or memory runs out. Then
 * hs_timeline_finish sorts the events and sets ended_ms (ended_mono_ms, or
 * INT64_MIN: the last event's time). The fuzz target (fuzz/) goes in here. */
int hs_timeline_add_line(struct hs_check_result *result, enum hs_source source, uint32_t node_index,
			 uint32_t line_number, const char *line, size_t length, char *error,
			 size_t error_size);
void hs_timeline_finish(struct hs_check_result *result, int64_t ended_mono_ms);
/* "@active" -> "node1", "@active.LAN1" -> "node1"; anything else is copied
 * up to its first '.'. */
void hs_timeline_resolve_node(const struct hs_check_result *result, const char *name, char *node,
			      size_t node_size);
int hs_timeline_node_index(const struct hs_check_result *result, const char *node);

/* metrics.c */
int hs_timeline_build_spans(const struct hs_scenario *scenario, struct hs_check_result *result,
			    char *error, size_t error_size);
void hs_metrics_compute(struct hs_check_result *result);
/* Whether event came after the run ended: what happens then (reading
 * writes back, tearing down) is not the nodes' behaviour under test. A
 * node's record at the very millisecond run.json says the run ended came
 * after it: the runner stops the nodes once it has ended, and in virtual
 * time that takes no time (regression: every final state of a virtual run
 * read "maintenance", hanode's stop on SIGTERM). */
bool hs_timeline_after_end(const struct hs_check_result *result,
			   const struct hs_timeline_event *event);
/* failover_ms from a given anchor time; fills metric (known or note). */
void hs_metrics_failover(const struct hs_check_result *result, int64_t anchor_ms,
			 const char *anchor_name, struct hs_check_metric *metric);
/* The first step event, or NULL. */
const struct hs_timeline_event *hs_timeline_first_step(const struct hs_timeline *timeline);
/* A step event by name, or NULL. */
const struct hs_timeline_event *hs_timeline_find_step(const struct hs_timeline *timeline,
						      const char *name);

/* expect.c: judge every expectation of the scenario into result->expects
 * and add a failure for each that fails. */
void hs_expect_judge_all(const struct hs_scenario *scenario, struct hs_check_result *result);

/* capability.c: run.json's node_adapter and skipped into result; whether
 * an expectation (judged already: out has its description) is skipped
 * for a capability the adapter lacks, or because the run was not carried
 * out (then out says why). */
struct json_t;
void hs_check_read_adapter(const struct json_t *root, struct hs_check_result *result);
bool hs_check_capability_skip(const struct hs_expect *expect, struct hs_check_result *result,
			      struct hs_check_expect_result *out);

/* observe.c: the invariants as the fabric saw the cluster IP answer
 * (cluster_ip_seen lines); false, with the failure in message, when the
 * wire contradicts them. A folder without sightings passes. */
bool hs_observe_cluster_ip_unique(const struct hs_check_result *result, char *message,
				  size_t message_size);
bool hs_observe_single_active(const struct hs_check_result *result, char *message,
			      size_t message_size);

#endif
