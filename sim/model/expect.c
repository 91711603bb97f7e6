/*
 * expect.c - a scenario's `expect:` list. Each entry has exactly one kind
 * key (transition, no_transition, final, log, metric, invariant) and the
 * modifiers that kind takes (after, within_ms, for_ms, min, max); a
 * modifier another kind would take is an error naming the kind, so a
 * misplaced `within_ms` on a final state cannot pass unnoticed. The one
 * invariant with modifiers is single_active: `after` + `within_ms` judge it
 * in that window only (hasim swarm states "two active only during a cut"
 * under tie-breaker none that way).
 */
#include "yaml_walk.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_keys[] = {"transition", "no_transition", "final", "log",
					"metric",     "invariant",     NULL};
static const char *const expect_keys[] = {"transition", "no_transition", "final", "log",
					  "metric",	"invariant",	 "after", "within_ms",
					  "for_ms",	"min",		 "max",	  NULL};
/* Modifiers per kind (index = enum hs_expect_kind - 1). */
static const char *const kind_modifiers[6][4] = {
    {"after", "within_ms", NULL},  {"after", "for_ms", NULL},	 {NULL}, {"after", NULL},
    {"after", "min", "max", NULL}, {"after", "within_ms", NULL},
};
static const char *const log_events[] = {"transition", "split_brain", "split_brain_resolved",
					 "sync",       "refused",     "fence",
					 "ignored",    "admin",	      "health",
					 "start",      "stop",	      NULL};

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
	return state_check(yaml, value, path, expect->to);
}

/* log: {event, node?, text?} */
static int log_parse(struct hs_yaml *yaml, yaml_node_t *body, const char *base,
		     const struct hs_scenario *scenario, struct hs_expect *expect)
{
	static const char *const keys[] = {"event", "node", "text", NULL};
	char field[HS_FIELD_MAX], path[HS_FIELD_MAX];
	yaml_node_t *value;
	uint32_t index;

	if (body_open(yaml, body, base, "log", keys, "event", field, &value) < 0)
		return -1;
	HS_FIELD(path, "%s.event", field);
	if (hs_yaml_enum(yaml, value, path, log_events, &index) < 0)
		return -1;
	snprintf(expect->log_event, sizeof(expect->log_event), "%s", log_events[index]);
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
				    "needs one of transition, no_transition, "
				    "final, log, metric, invariant");
	*kind = (enum hs_expect_kind)(found + 1);
	for (int m = 6; expect_keys[m]; m++) {
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
		return log_parse(yaml, body, base, scenario, expect);
	case HS_EXPECT_METRIC:
		return metric_parse(yaml, item, body, base, expect);
	case HS_EXPECT_INVARIANT:
		return invariant_parse(yaml, item, body, base, expect);
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
