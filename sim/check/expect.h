/*
 * expect.h - what the judges of expectations share (internal to sim/check).
 *
 * expect.c judges the kinds about transitions, final states, log records,
 * metrics and invariants; expect_records.c those about records in order,
 * counted, states never held, and metrics compared. Both write into one
 * struct hs_check_expect_result through the helpers below, so every
 * message has the same shape: "expected <description>, <what was seen>".
 */
#ifndef HS_EXPECT_H
#define HS_EXPECT_H

#include "timeline.h"

#define HS_NODE_ANY	(-1)
#define HS_NODE_UNKNOWN (-2)

struct hs_expect_context {
	const struct hs_scenario *scenario;
	struct hs_check_result *result;
	/* Index of the last event a TRANSITION expectation matched, per node;
	 * the slot HS_NODES_MAX is for "any". -1 = none yet. */
	int64_t cursors[HS_NODES_MAX + 1];
};

/* The verdict of one expectation, with its message. */
void hs_expect_fail(struct hs_expect_context *context, struct hs_check_expect_result *out,
		    const char *format, ...) __attribute__((format(printf, 3, 4)));
void hs_expect_skip(struct hs_check_expect_result *out, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void hs_expect_pass(struct hs_check_expect_result *out, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* The index of the node an expectation names, HS_NODE_ANY or
 * HS_NODE_UNKNOWN; label gets the name to print. */
int hs_expect_node(const struct hs_check_result *result, const char *name, char *label,
		   size_t label_size);
/* The node as the scenario writes it ("any node" for any), and an anchor. */
const char *hs_expect_written_node(const char *name);
const char *hs_expect_anchor_label(const char *anchor);
int64_t hs_expect_scaled_ms(const struct hs_check_result *result, int64_t ms);
void hs_expect_unknown_node_fail(struct hs_expect_context *context,
				 struct hs_check_expect_result *out, const char *node_label);
/* The span an expectation is about, for the HTML report: node is the
 * node's index or HS_NODE_ANY. */
void hs_expect_window(const struct hs_check_result *result, struct hs_check_expect_result *out,
		      int node, int64_t start_ms, int64_t end_ms);
/* The time of the expectation's anchor; false, and the expectation failed,
 * if the anchor never happened. */
bool hs_expect_anchor_time(struct hs_expect_context *context, const struct hs_expect *expect,
			   struct hs_check_expect_result *out, int64_t *anchor_ms);
bool hs_expect_node_and_anchor_known(struct hs_expect_context *context,
				     const struct hs_expect *expect, int node,
				     const char *node_label, struct hs_check_expect_result *out,
				     int64_t *anchor_ms);
/* A metric's value for this expectation (failover_ms from its anchor);
 * false, and the expectation failed, if the anchor never happened. */
bool hs_expect_metric_value(struct hs_expect_context *context, const struct hs_expect *expect,
			    enum hs_metric metric, struct hs_check_expect_result *out,
			    struct hs_check_metric *value);

/* expect_records.c */
void hs_expect_judge_order(struct hs_expect_context *context, const struct hs_expect *expect,
			   struct hs_check_expect_result *out);
void hs_expect_judge_count(struct hs_expect_context *context, const struct hs_expect *expect,
			   struct hs_check_expect_result *out);
void hs_expect_judge_never(struct hs_expect_context *context, const struct hs_expect *expect,
			   struct hs_check_expect_result *out);
void hs_expect_judge_compare(struct hs_expect_context *context, const struct hs_expect *expect,
			     struct hs_check_expect_result *out);

#endif
