/*
 * expect.c - a scenario's `expect:` list. Each entry has exactly one kind
 * key (transition, no_transition, final, log, metric, invariant, order,
 * count, never, compare, notify) and the modifiers that kind takes (after,
 * within_ms, for_ms, min, max); a modifier another kind would take is an
 * error naming the kind, so a misplaced `within_ms` on a final state cannot
 * pass unnoticed. The one invariant with modifiers is single_active:
 * `after` + `within_ms` judge it in that window only (hasim swarm states
 * "two active only during a cut" under tie-breaker none that way). order
 * and count describe records with the same mapping (record_parse: a
 * cluster-log `event`, a step's `action` or a `notify` hook call, narrowed
 * by node, from, to, text); notify is log's twin for the notify hook;
 * compare is one line of text, "LEFT OP RIGHT".
 */
#include "yaml_walk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_keys[] = {"transition", "no_transition", "final",	 "log",
					"metric",     "invariant",     "order",	 "count",
					"never",      "compare",       "notify", NULL};
#define KIND_COUNT 11
/* Modifiers per kind (index = enum hs_expect_kind - 1). */
static const char *const kind_modifiers[KIND_COUNT][5] = {
    {"after", "within_ms", NULL},
    {"after", "for_ms", NULL},
    {NULL},
    {"after", NULL},
    {"after", "min", "max", NULL},
    {"after", "within_ms", NULL},
    {"after", NULL},
    {"after", "for_ms", "min", "max", NULL},
    {"after", "for_ms", NULL},
    {"after", NULL},
    {"after", NULL},
};
static const char *const log_events[] = {"transition", "split_brain", "split_brain_resolved",
					 "sync",       "refused",     "fence",
					 "ignored",    "admin",	      "health",
					 "start",      "stop",	      NULL};
/* What hanode's notify hook gets (HANODE_EVENT, the line's "event"). */
static const char *const notify_events[] = {
    "failover",	     "fault",	     "split_brain", "sync_lost",
    "sync_restored", "join_refused", "health",	    NULL};
static const char *const compare_ops[] = {"==", "!=", "<", "<=", ">", ">=", NULL};
#define COUNT_BOUND_MAX 100000

static const char *const expect_keys[] = {
    "transition", "no_transition", "final", "log",     "metric", "invariant",
    "order",	  "count",	   "never", "compare", "notify", "after",
    "within_ms",  "for_ms",	   "min",   "max",     NULL};

static int state_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field, char *out)
{
	if (hs_yaml_string(yaml, node, field, out, HS_NAME_MAX) < 0)
		return -1;
	if (!hs_display_state_valid(out))
		return hs_yaml_fail(yaml, node, field,
				    "'%s' is not a display state (active, standby, starting, "
				    "maintenance, fault, isolated, disconnected, standalone)",
				    out);
	return 0;
}

/* A state a node can be in at the end or at any time: a display state or
 * "off" (powered off or crashed, which no node logs; the checker takes it
 * from the steps). Transitions never lead to "off", so state_check stays
 * for them. */
static int held_state_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field, char *out)
{
	if (hs_yaml_string(yaml, node, field, out, HS_NAME_MAX) < 0)
		return -1;
	if (!hs_display_state_valid(out) && strcmp(out, "off") != 0)
		return hs_yaml_fail(
		    yaml, node, field,
		    "'%s' is not a display state (active, standby, starting, "
		    "maintenance, fault, isolated, disconnected, standalone) or off",
		    out);
	return 0;
}

/* Opens the body of an entry's kind key: a mapping with `keys` and the key
 * `required`, whose node goes to *value; field gets the body's field path
 * ("expect[2].final"). */
static int body_open(struct hs_yaml *yaml, yaml_node_t *body, const char *base, const char *kind,
		     const char *const *keys, const char *required, char field[HS_FIELD_MAX],
		     yaml_node_t **value)
{
	hs_field(field, HS_FIELD_MAX, "%s.%s", base, kind);
	if (hs_yaml_mapping(yaml, body, field, keys) < 0 ||
	    hs_yaml_require(yaml, body, field, required, value) < 0)
		return -1;
	return 0;
}

/* The `node` of the body at field: a node name, an alias or "any" (NULL:
 * not given, nothing to check). */
static int body_node(struct hs_yaml *yaml, yaml_node_t *value, const char *field,
		     const struct hs_scenario *scenario, struct hs_expect *expect)
{
	char path[HS_FIELD_MAX];

	if (!value)
		return 0;
	HS_FIELD(path, "%s.node", field);
	return hs_node_ref_check(yaml, value, path, &scenario->topology, true, expect->node);
}

/* within_ms: [min, max] or max (ms after the anchor). */
static int window_parse(struct hs_yaml *yaml, yaml_node_t *window, const char *path,
			struct hs_expect *expect)
{
	uint32_t count;

	if (window->type == YAML_SCALAR_NODE)
		return hs_yaml_uint(yaml, window, path, 0, 3600000, &expect->within_max_ms);
	if (hs_yaml_sequence(yaml, window, path, 2, 2, &count) < 0 ||
	    hs_yaml_uint(yaml, hs_yaml_item(yaml, window, 0), path, 0, 3600000,
			 &expect->within_min_ms) < 0 ||
	    hs_yaml_uint(yaml, hs_yaml_item(yaml, window, 1), path, 0, 3600000,
			 &expect->within_max_ms) < 0)
		return -1;
	if (expect->within_min_ms > expect->within_max_ms)
		return hs_yaml_fail(yaml, window, path,
				    "window [%" PRIu32 ", %" PRIu32 "] is empty",
				    expect->within_min_ms, expect->within_max_ms);
	return 0;
}

/* transition: {node, from?, to} + after + within_ms: [min, max] | max */
static int transition_parse(struct hs_yaml *yaml, yaml_node_t *item, yaml_node_t *body,
			    const char *base, const struct hs_scenario *scenario,
			    struct hs_expect *expect)
{
	static const char *const keys[] = {"node", "from", "to", NULL};
	char field[HS_FIELD_MAX], path[HS_FIELD_MAX];
	yaml_node_t *value, *window;

	if (body_open(yaml, body, base, "transition", keys, "node", field, &value) < 0 ||
	    body_node(yaml, value, field, scenario, expect) < 0)
		return -1;
	value = hs_yaml_get(yaml, body, "from");
	HS_FIELD(path, "%s.from", field);
	if (value && state_check(yaml, value, path, expect->from) < 0)
		return -1;
	HS_FIELD(path, "%s.to", field);
	if (hs_yaml_require(yaml, body, field, "to", &value) < 0 ||
	    state_check(yaml, value, path, expect->to) < 0)
		return -1;
	HS_FIELD(path, "%s.within_ms", base);
	if (hs_yaml_require(yaml, item, base, "within_ms", &window) < 0)
		return -1;
	return window_parse(yaml, window, path, expect);
}

/* invariant: NAME, and for single_active optionally after + within_ms */
static int invariant_parse(struct hs_yaml *yaml, yaml_node_t *item, yaml_node_t *body,
			   const char *base, struct hs_expect *expect)
{
	yaml_node_t *after = hs_yaml_get(yaml, item, "after"),
		    *window = hs_yaml_get(yaml, item, "within_ms");
	char path[HS_FIELD_MAX];
	uint32_t invariant;

	HS_FIELD(path, "%s.invariant", base);
	if (hs_yaml_enum(yaml, body, path, hs_invariant_names + 1, &invariant) < 0)
		return -1;
	expect->invariant = (enum hs_invariant)(invariant + 1);
	if (!after && !window)
		return 0;
	if (expect->invariant != HS_INVARIANT_SINGLE_ACTIVE)
		return hs_yaml_fail(yaml, after ? after : window, base,
				    "'%s' applies to invariant single_active only",
				    after ? "after" : "within_ms");
	if (!after || !window)
		return hs_yaml_fail(yaml, item, base,
				    "invariant single_active in a window needs both 'after' and "
				    "'within_ms'");
	HS_FIELD(path, "%s.within_ms", base);
	if (window_parse(yaml, window, path, expect) < 0)
		return -1;
	if (expect->within_max_ms == 0)
		return hs_yaml_fail(yaml, window, path, "window [0, 0] is empty");
	return 0;
}

/* final: {node, state} */
static int final_parse(struct hs_yaml *yaml, yaml_node_t *body, const char *base,
		       const struct hs_scenario *scenario, struct hs_expect *expect)
{
	static const char *const keys[] = {"node", "state", NULL};
	char field[HS_FIELD_MAX], path[HS_FIELD_MAX];
	yaml_node_t *value;

	if (body_open(yaml, body, base, "final", keys, "node", field, &value) < 0 ||
	    body_node(yaml, value, field, scenario, expect) < 0)
		return -1;
	HS_FIELD(path, "%s.state", field);
	if (hs_yaml_require(yaml, body, field, "state", &value) < 0)
		return -1;
	return held_state_check(yaml, value, path, expect->to);
}

/* log: {event, node?, text?}; notify: the same, with a notification's
 * event (events: log_events or notify_events). */
static int log_parse(struct hs_yaml *yaml, yaml_node_t *body, const char *base, const char *kind,
		     const char *const *events, const struct hs_scenario *scenario,
		     struct hs_expect *expect)
{
	static const char *const keys[] = {"event", "node", "text", NULL};
	char field[HS_FIELD_MAX], path[HS_FIELD_MAX];
	yaml_node_t *value;
	uint32_t index;

	if (body_open(yaml, body, base, kind, keys, "event", field, &value) < 0)
		return -1;
	HS_FIELD(path, "%s.event", field);
	if (hs_yaml_enum(yaml, value, path, events, &index) < 0)
		return -1;
	snprintf(expect->log_event, sizeof(expect->log_event), "%s", events[index]);
	snprintf(expect->node, sizeof(expect->node), "any");
	if (body_node(yaml, hs_yaml_get(yaml, body, "node"), field, scenario, expect) < 0)
		return -1;
	value = hs_yaml_get(yaml, body, "text");
	HS_FIELD(path, "%s.text", field);
	if (value &&
	    hs_yaml_string(yaml, value, path, expect->log_text, sizeof(expect->log_text)) < 0)
		return -1;
	return 0;
}

/* metric: NAME + min? max? (at least one) + after (failover_ms needs it) */
static int metric_parse(struct hs_yaml *yaml, yaml_node_t *item, yaml_node_t *body,
			const char *base, struct hs_expect *expect)
{
	yaml_node_t *min = hs_yaml_get(yaml, item, "min"), *max = hs_yaml_get(yaml, item, "max");
	char path[HS_FIELD_MAX];
	uint32_t index;

	HS_FIELD(path, "%s.metric", base);
	if (hs_yaml_enum(yaml, body, path, hs_metric_names + 1, &index) < 0)
		return -1;
	expect->metric = (enum hs_metric)(index + 1);
	if (expect->metric == HS_METRIC_FAILOVER_MS && !hs_yaml_get(yaml, item, "after"))
		return hs_yaml_fail(yaml, item, base, "metric failover_ms needs 'after'");
	if (!min && !max)
		return hs_yaml_fail(yaml, item, base, "metric needs min or max");
	expect->min = INT64_MIN;
	expect->max = INT64_MAX;
	HS_FIELD(path, "%s.min", base);
	if (min && hs_yaml_int64(yaml, min, path, &expect->min) < 0)
		return -1;
	HS_FIELD(path, "%s.max", base);
	if (max && hs_yaml_int64(yaml, max, path, &expect->max) < 0)
		return -1;
	if (expect->min > expect->max)
		return hs_yaml_fail(yaml, max, path, "max %" PRId64 " is below min %" PRId64,
				    expect->max, expect->min);
	return 0;
}

/* The one kind key of an entry, checked against the modifiers present. */
static int kind_find(struct hs_yaml *yaml, yaml_node_t *item, const char *base,
		     enum hs_expect_kind *kind)
{
	char path[HS_FIELD_MAX];
	int found = -1;

	for (int i = 0; kind_keys[i]; i++) {
		if (!hs_yaml_get(yaml, item, kind_keys[i]))
			continue;
		if (found >= 0)
			return hs_yaml_fail(yaml, hs_yaml_get(yaml, item, kind_keys[i]), base,
					    "both '%s' and '%s': one expectation per entry",
					    kind_keys[found], kind_keys[i]);
		found = i;
	}
	if (found < 0)
		return hs_yaml_fail(yaml, item, base,
				    "needs one of transition, no_transition, final, log, metric, "
				    "invariant, order, count, never, compare, notify");
	*kind = (enum hs_expect_kind)(found + 1);
	for (int m = KIND_COUNT; expect_keys[m]; m++) {
		yaml_node_t *value = hs_yaml_get(yaml, item, expect_keys[m]);
		bool allowed = false;

		for (int i = 0; kind_modifiers[found][i]; i++)
			allowed = allowed || strcmp(kind_modifiers[found][i], expect_keys[m]) == 0;
		HS_FIELD(path, "%s.%s", base, expect_keys[m]);
		if (value && !allowed)
			return hs_yaml_fail(yaml, value, path, "'%s' does not apply to %s",
					    expect_keys[m], kind_keys[found]);
	}
	return 0;
}

/* ------------------------------------------------------ order, count */

/* A record: {event | action | notify, node?, from?, to?, text?}; from and
 * to only with event transition. */
static int record_parse(struct hs_yaml *yaml, yaml_node_t *body, const char *field,
			const struct hs_scenario *scenario, struct hs_record_match *match)
{
	static const char *const keys[] = {"event", "action", "notify", "node",
					   "from",  "to",     "text",	NULL};
	yaml_node_t *event, *action, *notify, *value;
	char path[HS_FIELD_MAX];
	uint32_t index;

	memset(match, 0, sizeof(*match));
	if (hs_yaml_mapping(yaml, body, field, keys) < 0)
		return -1;
	event = hs_yaml_get(yaml, body, "event");
	action = hs_yaml_get(yaml, body, "action");
	notify = hs_yaml_get(yaml, body, "notify");
	if ((event != NULL) + (action != NULL) + (notify != NULL) != 1)
		return hs_yaml_fail(yaml, body, field,
				    "a record needs exactly one of 'event' (a cluster-log record), "
				    "'action' (a step's record) and 'notify' (a notification)");
	HS_FIELD(path, "%s.%s", field, event ? "event" : action ? "action" : "notify");
	if (notify && hs_yaml_enum(yaml, notify, path, notify_events, &index) < 0)
		return -1;
	if (notify)
		snprintf(match->notify, sizeof(match->notify), "%s", notify_events[index]);
	if (event && hs_yaml_enum(yaml, event, path, log_events, &index) < 0)
		return -1;
	if (event)
		snprintf(match->event, sizeof(match->event), "%s", log_events[index]);
	if (action && hs_yaml_enum(yaml, action, path, hs_action_names + 1, &index) < 0)
		return -1;
	if (action)
		snprintf(match->action, sizeof(match->action), "%s", hs_action_names[index + 1]);
	snprintf(match->node, sizeof(match->node), "any");
	value = hs_yaml_get(yaml, body, "node");
	HS_FIELD(path, "%s.node", field);
	if (value &&
	    hs_node_ref_check(yaml, value, path, &scenario->topology, true, match->node) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		const char *key = i ? "to" : "from";
		value = hs_yaml_get(yaml, body, key);
		HS_FIELD(path, "%s.%s", field, key);
		if (value && strcmp(match->event, "transition") != 0)
			return hs_yaml_fail(yaml, value, path,
					    "'%s' applies only to event transition", key);
		if (value && state_check(yaml, value, path, i ? match->to : match->from) < 0)
			return -1;
	}
	value = hs_yaml_get(yaml, body, "text");
	HS_FIELD(path, "%s.text", field);
	if (value && hs_yaml_string(yaml, value, path, match->text, sizeof(match->text)) < 0)
		return -1;
	return 0;
}

/* order: [RECORD, RECORD, ...] (2..HS_EXPECT_MATCHES_MAX) */
static int order_parse(struct hs_yaml *yaml, yaml_node_t *body, const char *base,
		       const struct hs_scenario *scenario, struct hs_expect *expect)
{
	char field[HS_FIELD_MAX];
	uint32_t count;

	HS_FIELD(field, "%s.order", base);
	if (hs_yaml_sequence(yaml, body, field, 2, HS_EXPECT_MATCHES_MAX, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		HS_FIELD(field, "%s.order[%" PRIu32 "]", base, i);
		if (record_parse(yaml, hs_yaml_item(yaml, body, i), field, scenario,
				 &expect->matches[i]) < 0)
			return -1;
		expect->match_count = i + 1;
	}
	return 0;
}

/* A count's bound: 0..COUNT_BOUND_MAX. */
static int count_bound(struct hs_yaml *yaml, yaml_node_t *node, const char *field, int64_t *out)
{
	uint32_t value;

	if (hs_yaml_uint(yaml, node, field, 0, COUNT_BOUND_MAX, &value) < 0)
		return -1;
	*out = value;
	return 0;
}

/* count: RECORD + min? max? (at least one) + after? for_ms? */
static int count_parse(struct hs_yaml *yaml, yaml_node_t *item, yaml_node_t *body, const char *base,
		       const struct hs_scenario *scenario, struct hs_expect *expect)
{
	yaml_node_t *min = hs_yaml_get(yaml, item, "min"), *max = hs_yaml_get(yaml, item, "max");
	yaml_node_t *span = hs_yaml_get(yaml, item, "for_ms");
	char field[HS_FIELD_MAX];

	HS_FIELD(field, "%s.count", base);
	if (record_parse(yaml, body, field, scenario, &expect->matches[0]) < 0)
		return -1;
	expect->match_count = 1;
	if (!min && !max)
		return hs_yaml_fail(yaml, item, base, "count needs min or max");
	expect->min = INT64_MIN;
	expect->max = INT64_MAX;
	HS_FIELD(field, "%s.min", base);
	if (min && count_bound(yaml, min, field, &expect->min) < 0)
		return -1;
	HS_FIELD(field, "%s.max", base);
	if (max && count_bound(yaml, max, field, &expect->max) < 0)
		return -1;
	if (expect->min > expect->max)
		return hs_yaml_fail(yaml, max, field, "max %" PRId64 " is below min %" PRId64,
				    expect->max, expect->min);
	HS_FIELD(field, "%s.for_ms", base);
	return span ? hs_yaml_uint(yaml, span, field, 1, 3600000, &expect->for_ms) : 0;
}

/* never: {node, state} + after? for_ms? */
static int never_parse(struct hs_yaml *yaml, yaml_node_t *item, yaml_node_t *body, const char *base,
		       const struct hs_scenario *scenario, struct hs_expect *expect)
{
	static const char *const keys[] = {"node", "state", NULL};
	char field[HS_FIELD_MAX], path[HS_FIELD_MAX];
	yaml_node_t *value, *span = hs_yaml_get(yaml, item, "for_ms");

	if (body_open(yaml, body, base, "never", keys, "node", field, &value) < 0 ||
	    body_node(yaml, value, field, scenario, expect) < 0)
		return -1;
	HS_FIELD(path, "%s.state", field);
	if (hs_yaml_require(yaml, body, field, "state", &value) < 0 ||
	    held_state_check(yaml, value, path, expect->to) < 0)
		return -1;
	HS_FIELD(path, "%s.for_ms", base);
	return span ? hs_yaml_uint(yaml, span, path, 1, 3600000, &expect->for_ms) : 0;
}

/* ------------------------------------------------------------ compare */

/* One side: a metric name or a plain integer ("0", "-3"). */
static bool operand_parse(const char *text, struct hs_compare_operand *operand)
{
	char *end = NULL;
	long long value;

	for (int i = HS_METRIC_FAILOVER_MS; i < HS_METRIC_COUNT; i++) {
		if (strcmp(text, hs_metric_names[i]) == 0) {
			operand->metric = (enum hs_metric)i;
			return true;
		}
	}
	const char *digits = text[0] == '-' ? text + 1 : text;
	/* Plain decimal, as every integer of a scenario: no '+', no leading 0. */
	if (!digits[0] || strspn(digits, "0123456789") != strlen(digits) ||
	    (digits[0] == '0' && digits[1]))
		return false;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || *end)
		return false;
	operand->metric = (enum hs_metric)0;
	operand->value = value;
	return true;
}

/* compare: "LEFT OP RIGHT", each side a metric or an integer; failover_ms
 * needs `after`. */
static int compare_parse(struct hs_yaml *yaml, yaml_node_t *item, yaml_node_t *body,
			 const char *base, struct hs_expect *expect)
{
	char field[HS_FIELD_MAX], left[HS_NAME_MAX + 1], op[4], right[HS_NAME_MAX + 1], extra[2];
	int found = -1;

	HS_FIELD(field, "%s.compare", base);
	if (hs_yaml_string(yaml, body, field, expect->compare_text, sizeof(expect->compare_text)) <
	    0)
		return -1;
	if (sscanf(expect->compare_text, "%32s %3s %32s %1s", left, op, right, extra) != 3)
		return hs_yaml_fail(yaml, body, field,
				    "'%s' is not LEFT OP RIGHT (e.g. 'lost_writes <= "
				    "reported_lost_writes')",
				    expect->compare_text);
	for (int i = 0; compare_ops[i]; i++)
		found = strcmp(compare_ops[i], op) == 0 ? i : found;
	if (found < 0)
		return hs_yaml_fail(yaml, body, field,
				    "'%s' is not an operator (==, !=, <, <=, >, >=)", op);
	expect->compare_op = (enum hs_compare_op)(found + 1);
	for (int i = 0; i < 2; i++) {
		const char *side = i ? right : left;
		struct hs_compare_operand *operand = i ? &expect->right : &expect->left;

		if (!operand_parse(side, operand))
			return hs_yaml_fail(yaml, body, field,
					    "'%s' is neither a metric (failover_ms, outage_ms, "
					    "dual_active_ms, lost_writes, reported_lost_writes) "
					    "nor an integer",
					    side);
		if (operand->metric == HS_METRIC_FAILOVER_MS && !hs_yaml_get(yaml, item, "after"))
			return hs_yaml_fail(yaml, body, field, "failover_ms needs 'after'");
	}
	if (!expect->left.metric && !expect->right.metric)
		return hs_yaml_fail(yaml, body, field,
				    "'%s' compares two integers; name a metric on one side",
				    expect->compare_text);
	return 0;
}

static int expect_parse(struct hs_yaml *yaml, yaml_node_t *item, uint32_t index,
			struct hs_scenario *scenario)
{
	struct hs_expect *expect = &scenario->expects[index];
	char base[HS_FIELD_MAX], path[HS_FIELD_MAX];
	yaml_node_t *body, *value;

	memset(expect, 0, sizeof(*expect));
	HS_FIELD(base, "expect[%" PRIu32 "]", index);
	if (hs_yaml_mapping(yaml, item, base, expect_keys) < 0 ||
	    kind_find(yaml, item, base, &expect->kind) < 0)
		return -1;
	expect->line = hs_yaml_line(item);
	body = hs_yaml_get(yaml, item, kind_keys[expect->kind - 1]);
	snprintf(expect->anchor, sizeof(expect->anchor), "up");
	value = hs_yaml_get(yaml, item, "after");
	HS_FIELD(path, "%s.after", base);
	if (value &&
	    hs_anchor_check(yaml, value, path, scenario, scenario->step_count, expect->anchor) < 0)
		return -1;
	HS_FIELD(path, "%s.%s", base, kind_keys[expect->kind - 1]);
	switch (expect->kind) {
	case HS_EXPECT_TRANSITION:
		if (!value)
			return hs_yaml_fail(yaml, item, base, "transition needs 'after'");
		return transition_parse(yaml, item, body, base, scenario, expect);
	case HS_EXPECT_NO_TRANSITION:
		if (!value)
			return hs_yaml_fail(yaml, item, base, "no_transition needs 'after'");
		if (hs_node_ref_check(yaml, body, path, &scenario->topology, true, expect->node) <
			0 ||
		    hs_yaml_require(yaml, item, base, "for_ms", &value) < 0)
			return -1;
		HS_FIELD(path, "%s.for_ms", base);
		return hs_yaml_uint(yaml, value, path, 1, 3600000, &expect->for_ms);
	case HS_EXPECT_FINAL:
		return final_parse(yaml, body, base, scenario, expect);
	case HS_EXPECT_LOG:
		return log_parse(yaml, body, base, "log", log_events, scenario, expect);
	case HS_EXPECT_NOTIFY:
		return log_parse(yaml, body, base, "notify", notify_events, scenario, expect);
	case HS_EXPECT_METRIC:
		return metric_parse(yaml, item, body, base, expect);
	case HS_EXPECT_INVARIANT:
		return invariant_parse(yaml, item, body, base, expect);
	case HS_EXPECT_ORDER:
		return order_parse(yaml, body, base, scenario, expect);
	case HS_EXPECT_COUNT:
		return count_parse(yaml, item, body, base, scenario, expect);
	case HS_EXPECT_NEVER:
		return never_parse(yaml, item, body, base, scenario, expect);
	case HS_EXPECT_COMPARE:
		return compare_parse(yaml, item, body, base, expect);
	}
	return -1;
}

int hs_expects_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_scenario *scenario)
{
	uint32_t count;

	if (hs_yaml_sequence(yaml, node, "expect", 1, HS_EXPECTS_MAX, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		if (expect_parse(yaml, hs_yaml_item(yaml, node, i), i, scenario) < 0)
			return -1;
		scenario->expect_count = i + 1;
	}
	return 0;
}
