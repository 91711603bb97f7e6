/*
 * step.c - a scenario's `steps:` timeline: when each step fires (an
 * anchor plus a delay), its action, its target and the action's
 * parameters, and the references shared with expect.c (node references
 * with role aliases, anchors).
 *
 * Each action declares in one table row what it targets and which
 * parameters it takes, so a parameter that does not apply ("loss_pct" on a
 * pull) is an error naming the action, not silently ignored.
 */
#include "yaml_walk.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum target_kind {
	TARGET_NONE = 0,
	TARGET_NODE,	      /* node: required */
	TARGET_NODE_DEFAULT,  /* node: optional, default "@active" (admin commands) */
	TARGET_NODE_OPTIONAL, /* node: optional, no default (one-way partition) */
	TARGET_NODE_OR_PDU,   /* exactly one of node: / pdu: */
	TARGET_PORT,
	TARGET_SWITCH,
};

struct action_spec {
	enum target_kind target;
	const char *params[6]; /* parameter keys it accepts, NULL-terminated */
};

static const struct action_spec action_specs[HS_ACTION_COUNT] = {
    [HS_ACTION_POWER_OFF] = {TARGET_NODE_OR_PDU, {NULL}},
    [HS_ACTION_POWER_ON] = {TARGET_NODE_OR_PDU, {NULL}},
    [HS_ACTION_PULL] = {TARGET_PORT, {NULL}},
    [HS_ACTION_PLUG] = {TARGET_PORT, {NULL}},
    [HS_ACTION_SWITCH_FAIL] = {TARGET_SWITCH, {NULL}},
    [HS_ACTION_SWITCH_RESTORE] = {TARGET_SWITCH, {NULL}},
    [HS_ACTION_IMPAIR] = {TARGET_PORT,
			  {"direction", "loss_pct", "latency_ms", "jitter_ms", "duplicate_pct",
			   NULL}},
    [HS_ACTION_PARTITION] = {TARGET_NODE_OPTIONAL, {"network", "oneway", NULL}},
    [HS_ACTION_HEAL] = {TARGET_NONE, {NULL}},
    [HS_ACTION_RAID_FAIL] = {TARGET_NODE, {NULL}},
    [HS_ACTION_RAID_RESTORE] = {TARGET_NODE, {NULL}},
    [HS_ACTION_CRASH] = {TARGET_NODE, {NULL}},
    [HS_ACTION_RESTART] = {TARGET_NODE, {NULL}},
    [HS_ACTION_MAINTENANCE_ON] = {TARGET_NODE, {NULL}},
    [HS_ACTION_MAINTENANCE_OFF] = {TARGET_NODE, {NULL}},
    [HS_ACTION_SWITCHOVER] = {TARGET_NODE_DEFAULT, {NULL}},
    [HS_ACTION_DISCONNECT] = {TARGET_NODE_DEFAULT, {NULL}},
    [HS_ACTION_RECONNECT] = {TARGET_NODE_DEFAULT, {NULL}},
    [HS_ACTION_DISBAND] = {TARGET_NODE_DEFAULT, {NULL}},
    [HS_ACTION_FIRMWARE_UPDATE] = {TARGET_NODE, {"version", NULL}},
    [HS_ACTION_CLIENT_START] = {TARGET_NONE, {NULL}},
    [HS_ACTION_CLIENT_STOP] = {TARGET_NONE, {NULL}},
    [HS_ACTION_SERVICES_FAIL] = {TARGET_NODE, {NULL}},
    [HS_ACTION_SERVICES_RESTORE] = {TARGET_NODE, {NULL}},
    [HS_ACTION_DISK_FAIL] = {TARGET_NODE, {"disk", NULL}},
    [HS_ACTION_DISK_RESTORE] = {TARGET_NODE, {"disk", NULL}},
};

static const char *const step_keys[] = {
    "name",	 "at_ms",	  "after",   "delay_ms", "action",    "node",	  "port",
    "switch",	 "pdu",		  "network", "oneway",	 "direction", "loss_pct", "latency_ms",
    "jitter_ms", "duplicate_pct", "version", "disk",	 NULL};
static const char *const target_keys[] = {"node", "port", "switch", "pdu", NULL};
static const char *const param_keys[] = {"network",    "oneway",    "direction",     "loss_pct",
					 "latency_ms", "jitter_ms", "duplicate_pct", "version",
					 "disk",       NULL};

/* ---------------------------------------------------------- references */

int hs_node_ref_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		      const struct hs_topology *topology, bool allow_any, char *out)
{
	char known[HS_TEXT_MAX];

	if (hs_yaml_string(yaml, node, field, out, HS_NAME_MAX) < 0)
		return -1;
	if (strcmp(out, "@active") == 0 || strcmp(out, "@standby") == 0 ||
	    hs_topology_node(topology, out) || (allow_any && strcmp(out, "any") == 0))
		return 0;
	hs_topology_node_list(topology, known, sizeof(known));
	return hs_yaml_fail(yaml, node, field, "unknown node '%s' (known: %s, @active, @standby%s)",
			    out, known, allow_any ? ", any" : "");
}

/* A port role: "external1"/"external2" (the first/second port of the
 * node's external interface), "sync1"/"sync2" (of its sync interface).
 * The LAN port it stands for (or "" when the node's interface has no such
 * port) into lan. */
static bool port_role(const struct hs_node_model *model, const char *role, char *lan, size_t size)
{
	static const char *const roles[] = {"external1", "external2", "sync1", "sync2"};

	for (uint32_t r = 0; r < 4; r++) {
		const struct hs_interface *interface =
		    &model->interfaces[r < 2 ? HS_NETWORK_EXTERNAL : HS_NETWORK_SYNC];

		if (strcmp(role, roles[r]) != 0)
			continue;
		snprintf(lan, size, "%s",
			 r % 2 < interface->port_count ? interface->ports[r % 2] : "");
		return true;
	}
	return false;
}

/* "@active.sync1" becomes "@active.LAN3": the runner and the backends see
 * LAN ports only. With an alias the role must be the same LAN port on
 * every node (it is on every shipped topology: the model table keeps LAN1
 * external and LAN3 sync). */
static int port_role_rewrite(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
			     const struct hs_topology *topology, const char *name, bool alias,
			     char *out)
{
	const char *role = strchr(out, '.') + 1;
	char lan[HS_NAME_MAX], first[HS_NAME_MAX] = "";
	bool any = false;

	for (uint32_t i = 0; i < topology->node_count; i++) {
		const struct hs_node_model *model = &topology->nodes[i];

		if (!(alias || strcmp(model->name, name) == 0))
			continue;
		if (!port_role(model, role, lan, sizeof(lan)))
			return 0; /* a LAN name, checked by the caller */
		if (!lan[0])
			return hs_yaml_fail(
			    yaml, node, field,
			    "'%s' has no port %s (its %s interface has %" PRIu32 " port%s)",
			    model->name, role, role[0] == 'e' ? "external" : "sync",
			    model->interfaces[role[0] == 'e' ? 0 : 1].port_count,
			    model->interfaces[role[0] == 'e' ? 0 : 1].port_count == 1 ? "" : "s");
		if (any && strcmp(first, lan) != 0)
			return hs_yaml_fail(yaml, node, field,
					    "port role %s is %s on one node and %s on the other: "
					    "name the node instead of an alias",
					    role, first, lan);
		snprintf(first, sizeof(first), "%s", lan);
		any = true;
	}
	if (any)
		snprintf(strchr(out, '.') + 1, HS_NAME_MAX, "%s", first);
	return 0;
}

/* "<node>.<port>" (a LAN port or a port role); with an alias the port must exist on every node,
 * since either node may hold the role. */
static int port_ref_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
			  const struct hs_topology *topology, char *out)
{
	char known[HS_TEXT_MAX], name[HS_NAME_MAX];
	const char *dot;
	bool alias;

	if (hs_yaml_string(yaml, node, field, out, HS_NAME_MAX * 2) < 0)
		return -1;
	dot = strchr(out, '.');
	if (!dot || (size_t)(dot - out) >= sizeof(name))
		return hs_yaml_fail(yaml, node, field, "'%s' is not a port (node.LANn)", out);
	memcpy(name, out, (size_t)(dot - out));
	name[dot - out] = '\0';
	alias = strcmp(name, "@active") == 0 || strcmp(name, "@standby") == 0;
	if (!alias && !hs_topology_node(topology, name)) {
		hs_topology_node_list(topology, known, sizeof(known));
		return hs_yaml_fail(yaml, node, field,
				    "unknown node '%s' in port '%s' (known: %s, @active, @standby)",
				    name, out, known);
	}
	if (port_role_rewrite(yaml, node, field, topology, name, alias, out) < 0)
		return -1;
	dot = strchr(out, '.');
	for (uint32_t i = 0; i < topology->node_count; i++) {
		const struct hs_node_model *model = &topology->nodes[i];

		if ((alias || strcmp(model->name, name) == 0) && !hs_node_port(model, dot + 1))
			return hs_yaml_fail(yaml, node, field, "unknown port '%s' of '%s'", dot + 1,
					    model->name);
	}
	return 0;
}

/* A power domain by name, or "@active"/"@standby": the domain feeding
 * the node that held that role at formation (every node must be fed). */
static int pdu_ref_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
			 const struct hs_topology *topology, char *out)
{
	char resolved[HS_NAME_MAX];

	if (hs_yaml_string(yaml, node, field, out, HS_NAME_MAX) < 0)
		return -1;
	if (strcmp(out, "@active") == 0 || strcmp(out, "@standby") == 0) {
		for (uint32_t i = 0; i < topology->node_count; i++)
			if (hs_scenario_resolve_power(topology, topology->nodes[i].name, NULL,
						      resolved, sizeof(resolved)) < 0)
				return hs_yaml_fail(yaml, node, field,
						    "'%s' needs every node fed by a power domain; "
						    "'%s' is not",
						    out, topology->nodes[i].name);
		return 0;
	}
	if (hs_power_index(topology, out) < 0)
		return hs_yaml_fail(yaml, node, field, "unknown power domain '%s'", out);
	return 0;
}

int hs_anchor_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		    const struct hs_scenario *scenario, uint32_t step_limit, char *out)
{
	int index;

	if (hs_yaml_name(yaml, node, field, out, HS_NAME_MAX) < 0)
		return -1;
	if (strcmp(out, "up") == 0 || strcmp(out, "formed") == 0)
		return 0;
	index = hs_scenario_step_index(scenario, out);
	if (index >= 0 && (uint32_t)index < step_limit)
		return 0;
	/* Names of later steps are known from hs_steps_parse's first pass,
	 * so a forward reference gets its own message. */
	for (uint32_t i = step_limit; index < 0 && i < HS_STEPS_MAX; i++)
		if (strcmp(scenario->steps[i].name, out) == 0)
			index = (int)i;
	if (index >= 0)
		return hs_yaml_fail(yaml, node, field,
				    "step '%s' is not earlier (an anchor is up, formed or an "
				    "earlier step)",
				    out);
	return hs_yaml_fail(yaml, node, field,
			    "unknown anchor '%s' (an anchor is up, formed or an earlier step)",
			    out);
}

/* ------------------------------------------------------------- targets */

static int target_parse(struct hs_yaml *yaml, yaml_node_t *item, const char *base,
			const struct hs_scenario *scenario, struct hs_step *step)
{
	enum target_kind kind = action_specs[step->action].target;
	const struct hs_topology *topology = &scenario->topology;
	yaml_node_t *node = hs_yaml_get(yaml, item, "node"), *pdu = hs_yaml_get(yaml, item, "pdu");
	yaml_node_t *port = hs_yaml_get(yaml, item, "port"),
		    *sw = hs_yaml_get(yaml, item, "switch");
	bool wants[] = {kind == TARGET_NODE || kind == TARGET_NODE_DEFAULT ||
			    kind == TARGET_NODE_OPTIONAL || kind == TARGET_NODE_OR_PDU,
			kind == TARGET_PORT, kind == TARGET_SWITCH, kind == TARGET_NODE_OR_PDU};
	yaml_node_t *given[] = {node, port, sw, pdu};
	char path[HS_FIELD_MAX];

	for (size_t i = 0; i < 4; i++) {
		HS_FIELD(path, "%s.%s", base, target_keys[i]);
		if (given[i] && !wants[i])
			return hs_yaml_fail(yaml, given[i], path, "action '%s' takes no %s",
					    hs_action_name(step->action), target_keys[i]);
	}
	if (kind == TARGET_NODE_OR_PDU && !node == !pdu)
		return hs_yaml_fail(yaml, item, base,
				    "action '%s' needs exactly one of node or pdu",
				    hs_action_name(step->action));
	if ((kind == TARGET_NODE && !node) || (kind == TARGET_PORT && !port) ||
	    (kind == TARGET_SWITCH && !sw))
		return hs_yaml_fail(yaml, item, base, "action '%s' needs a %s",
				    hs_action_name(step->action),
				    kind == TARGET_NODE	  ? "node"
				    : kind == TARGET_PORT ? "port"
							  : "switch");
	if (kind == TARGET_NODE_DEFAULT)
		snprintf(step->target, sizeof(step->target), "@active");
	HS_FIELD(path, "%s.%s", base, node ? "node" : port ? "port" : sw ? "switch" : "pdu");
	if (node)
		return hs_node_ref_check(yaml, node, path, topology, false, step->target);
	if (port)
		return port_ref_check(yaml, port, path, topology, step->target);
	if (sw && hs_yaml_name(yaml, sw, path, step->target, HS_NAME_MAX) < 0)
		return -1;
	if (sw && hs_switch_index(topology, step->target) < 0)
		return hs_yaml_fail(yaml, sw, path, "unknown switch '%s'", step->target);
	step->target_power = pdu != NULL;
	if (pdu)
		return pdu_ref_check(yaml, pdu, path, topology, step->target);
	return 0;
}

/* ---------------------------------------------------------- parameters */

static bool param_allowed(enum hs_action action, const char *key)
{
	for (size_t i = 0; action_specs[action].params[i]; i++)
		if (strcmp(action_specs[action].params[i], key) == 0)
			return true;
	return false;
}

static int impair_parse(struct hs_yaml *yaml, yaml_node_t *item, const char *base,
			struct hs_step *step)
{
	static const char *const directions[] = {"both", "out", "in", NULL};
	static const char *const keys[] = {"loss_pct", "latency_ms", "jitter_ms", "duplicate_pct"};
	static const uint32_t max[] = {100, 60000, 60000, 100};
	uint32_t *values[] = {&step->loss_pct, &step->delay_ms, &step->jitter_ms,
			      &step->duplicate_pct};
	char path[HS_FIELD_MAX];
	yaml_node_t *value;
	uint32_t index;
	bool any = false;

	value = hs_yaml_get(yaml, item, "direction");
	HS_FIELD(path, "%s.direction", base);
	if (value && hs_yaml_enum(yaml, value, path, directions, &index) < 0)
		return -1;
	step->direction = value ? (enum hs_direction)index : HS_DIRECTION_BOTH;
	for (size_t i = 0; i < 4; i++) {
		value = hs_yaml_get(yaml, item, keys[i]);
		HS_FIELD(path, "%s.%s", base, keys[i]);
		if (value && hs_yaml_uint(yaml, value, path, 0, max[i], values[i]) < 0)
			return -1;
		any = any || (value && *values[i] > 0);
	}
	if (!any)
		return hs_yaml_fail(
		    yaml, item, base,
		    "impair needs loss_pct, latency_ms, jitter_ms or duplicate_pct");
	return 0;
}

static int params_parse(struct hs_yaml *yaml, yaml_node_t *item, const char *base,
			struct hs_step *step)
{
	static const char *const networks[] = {"external", "sync", "all", NULL};
	char path[HS_FIELD_MAX];
	yaml_node_t *value;
	uint32_t index;

	for (size_t i = 0; param_keys[i]; i++) {
		value = hs_yaml_get(yaml, item, param_keys[i]);
		HS_FIELD(path, "%s.%s", base, param_keys[i]);
		if (value && !param_allowed(step->action, param_keys[i]))
			return hs_yaml_fail(yaml, value, path, "action '%s' takes no %s",
					    hs_action_name(step->action), param_keys[i]);
	}
	if (step->action == HS_ACTION_IMPAIR)
		return impair_parse(yaml, item, base, step);
	if (step->action == HS_ACTION_PARTITION) {
		snprintf(step->network, sizeof(step->network), "all");
		value = hs_yaml_get(yaml, item, "network");
		HS_FIELD(path, "%s.network", base);
		if (value && hs_yaml_enum(yaml, value, path, networks, &index) < 0)
			return -1;
		if (value)
			snprintf(step->network, sizeof(step->network), "%s", networks[index]);
		value = hs_yaml_get(yaml, item, "oneway");
		HS_FIELD(path, "%s.oneway", base);
		if (value && hs_yaml_bool(yaml, value, path, &step->oneway) < 0)
			return -1;
		HS_FIELD(path, "%s.node", base);
		if (step->target[0] && !step->oneway)
			return hs_yaml_fail(yaml, hs_yaml_get(yaml, item, "node"), path,
					    "a node names the sender of a one-way partition; "
					    "add oneway: true");
	}
	if (step->action == HS_ACTION_DISK_FAIL || step->action == HS_ACTION_DISK_RESTORE) {
		HS_FIELD(path, "%s.disk", base);
		if (hs_yaml_require(yaml, item, base, "disk", &value) < 0 ||
		    hs_yaml_uint(yaml, value, path, 0, HS_RAID_DISKS - 1, &step->disk) < 0)
			return -1;
	}
	if (step->action == HS_ACTION_FIRMWARE_UPDATE) {
		HS_FIELD(path, "%s.version", base);
		if (hs_yaml_require(yaml, item, base, "version", &value) < 0 ||
		    hs_yaml_string(yaml, value, path, step->version, sizeof(step->version)) < 0)
			return -1;
		if (!hs_version_valid(step->version))
			return hs_yaml_fail(yaml, value, path,
					    "'%s' is not a version major.minor.patch",
					    step->version);
	}
	return 0;
}

/* ---------------------------------------------------------------- when */

/* at_ms: N (after "up"), or after: ANCHOR + delay_ms: N; neither: after
 * the previous step (the first: after "formed"). */
static int when_parse(struct hs_yaml *yaml, yaml_node_t *item, const char *base,
		      const struct hs_scenario *scenario, uint32_t index, struct hs_step *step)
{
	yaml_node_t *at = hs_yaml_get(yaml, item, "at_ms"),
		    *after = hs_yaml_get(yaml, item, "after");
	yaml_node_t *delay = hs_yaml_get(yaml, item, "delay_ms");
	char path[HS_FIELD_MAX];

	HS_FIELD(path, "%s.at_ms", base);
	if (at && (after || delay))
		return hs_yaml_fail(yaml, at, path, "at_ms excludes after and delay_ms");
	if (at)
		snprintf(step->when.anchor, sizeof(step->when.anchor), "up");
	if (at && hs_yaml_uint(yaml, at, path, 0, 3600000, &step->when.delay_ms) < 0)
		return -1;
	if (at)
		return 0;
	snprintf(step->when.anchor, sizeof(step->when.anchor), "%s",
		 index == 0 ? "formed" : scenario->steps[index - 1].name);
	HS_FIELD(path, "%s.after", base);
	if (after && hs_anchor_check(yaml, after, path, scenario, index, step->when.anchor) < 0)
		return -1;
	HS_FIELD(path, "%s.delay_ms", base);
	if (delay && hs_yaml_uint(yaml, delay, path, 0, 3600000, &step->when.delay_ms) < 0)
		return -1;
	return 0;
}

/* --------------------------------------------------------------- steps */

static int step_parse(struct hs_yaml *yaml, yaml_node_t *item, uint32_t index,
		      struct hs_scenario *scenario)
{
	struct hs_step *step = &scenario->steps[index];
	char base[HS_FIELD_MAX], path[HS_FIELD_MAX];
	yaml_node_t *value;
	uint32_t action;

	memset(step, 0, sizeof(*step));
	HS_FIELD(base, "steps[%" PRIu32 "]", index);
	if (hs_yaml_mapping(yaml, item, base, step_keys) < 0)
		return -1;
	step->line = hs_yaml_line(item);
	snprintf(step->name, sizeof(step->name), "step%" PRIu32, index);
	value = hs_yaml_get(yaml, item, "name");
	HS_FIELD(path, "%s.name", base);
	if (value && hs_yaml_name(yaml, value, path, step->name, sizeof(step->name)) < 0)
		return -1;
	if (strcmp(step->name, "up") == 0 || strcmp(step->name, "formed") == 0)
		return hs_yaml_fail(yaml, value, path, "'%s' is reserved for an anchor",
				    step->name);
	if (hs_scenario_step_index(scenario, step->name) >= 0)
		return hs_yaml_fail(yaml, value ? value : item, path, "duplicate step '%s'",
				    step->name);
	if (when_parse(yaml, item, base, scenario, index, step) < 0)
		return -1;
	HS_FIELD(path, "%s.action", base);
	if (hs_yaml_require(yaml, item, base, "action", &value) < 0 ||
	    hs_yaml_enum(yaml, value, path, hs_action_names + 1, &action) < 0)
		return -1;
	step->action = (enum hs_action)(action + 1);
	if (target_parse(yaml, item, base, scenario, step) < 0 ||
	    params_parse(yaml, item, base, step) < 0)
		return -1;
	return 0;
}

int hs_steps_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_scenario *scenario)
{
	uint32_t count;

	if (hs_yaml_sequence(yaml, node, "steps", 0, HS_STEPS_MAX, &count) < 0)
		return -1;
	/* First pass: every step's name, for the message of a forward anchor
	 * (the second pass validates the names and overwrites these). */
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *name = hs_yaml_get(yaml, hs_yaml_item(yaml, node, i), "name");

		if (name && name->type == YAML_SCALAR_NODE &&
		    name->data.scalar.length < HS_NAME_MAX)
			memcpy(scenario->steps[i].name, name->data.scalar.value,
			       name->data.scalar.length + 1);
	}
	for (uint32_t i = 0; i < count; i++) {
		/* step_count grows as we go, so lookups see earlier steps only. */
		if (step_parse(yaml, hs_yaml_item(yaml, node, i), i, scenario) < 0)
			return -1;
		scenario->step_count = i + 1;
	}
	return 0;
}
