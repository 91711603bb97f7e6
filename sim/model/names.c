/*
 * names.c - the names of the model's enums as written in scenario files
 * (one table each, indexed by the enum), node lookup, and the resolution
 * of what a scenario refers to at run time: role aliases ("@active",
 * "@standby", "@active.LAN1") and step anchors ("up", "formed", a step).
 *
 * The tables are the single source of truth: the parser accepts exactly
 * these words and the runner and checker print them back.
 */
#include "yaml_walk.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *const hs_action_names[HS_ACTION_COUNT + 1] = {
    [HS_ACTION_POWER_OFF] = "power_off",
    [HS_ACTION_POWER_ON] = "power_on",
    [HS_ACTION_PULL] = "pull",
    [HS_ACTION_PLUG] = "plug",
    [HS_ACTION_SWITCH_FAIL] = "switch_fail",
    [HS_ACTION_SWITCH_RESTORE] = "switch_restore",
    [HS_ACTION_IMPAIR] = "impair",
    [HS_ACTION_PARTITION] = "partition",
    [HS_ACTION_HEAL] = "heal",
    [HS_ACTION_RAID_FAIL] = "raid_fail",
    [HS_ACTION_RAID_RESTORE] = "raid_restore",
    [HS_ACTION_CRASH] = "crash",
    [HS_ACTION_RESTART] = "restart",
    [HS_ACTION_MAINTENANCE_ON] = "maintenance_on",
    [HS_ACTION_MAINTENANCE_OFF] = "maintenance_off",
    [HS_ACTION_SWITCHOVER] = "switchover",
    [HS_ACTION_DISCONNECT] = "disconnect",
    [HS_ACTION_RECONNECT] = "reconnect",
    [HS_ACTION_DISBAND] = "disband",
    [HS_ACTION_FIRMWARE_UPDATE] = "firmware_update",
    [HS_ACTION_CLIENT_START] = "client_start",
    [HS_ACTION_CLIENT_STOP] = "client_stop",
    [HS_ACTION_SERVICES_FAIL] = "services_fail",
    [HS_ACTION_SERVICES_RESTORE] = "services_restore",
    [HS_ACTION_DISK_FAIL] = "disk_fail",
    [HS_ACTION_DISK_RESTORE] = "disk_restore",
};

const char *const hs_metric_names[HS_METRIC_COUNT + 1] = {
    [HS_METRIC_FAILOVER_MS] = "failover_ms",
    [HS_METRIC_OUTAGE_MS] = "outage_ms",
    [HS_METRIC_DUAL_ACTIVE_MS] = "dual_active_ms",
    [HS_METRIC_LOST_WRITES] = "lost_writes",
    [HS_METRIC_REPORTED_LOST_WRITES] = "reported_lost_writes",
};

const char *const hs_invariant_names[HS_INVARIANT_COUNT + 1] = {
    [HS_INVARIANT_SINGLE_ACTIVE] = "single_active",
    [HS_INVARIANT_CLUSTER_IP_UNIQUE] = "cluster_ip_unique",
    [HS_INVARIANT_NO_LOST_WRITES] = "no_lost_writes",
    [HS_INVARIANT_NO_SILENT_LOSS] = "no_silent_loss",
};

const char *hs_action_name(enum hs_action action)
{
	if ((int)action <= 0 || action >= HS_ACTION_COUNT)
		return "unknown";
	return hs_action_names[action];
}

const char *hs_metric_name(enum hs_metric metric)
{
	if ((int)metric <= 0 || metric >= HS_METRIC_COUNT)
		return "unknown";
	return hs_metric_names[metric];
}

const char *hs_invariant_name(enum hs_invariant invariant)
{
	if ((int)invariant <= 0 || invariant >= HS_INVARIANT_COUNT)
		return "unknown";
	return hs_invariant_names[invariant];
}

const struct hs_node_model *hs_topology_node(const struct hs_topology *topology, const char *name)
{
	for (uint32_t i = 0; i < topology->node_count; i++)
		if (strcmp(topology->nodes[i].name, name) == 0)
			return &topology->nodes[i];
	return NULL;
}

/* ------------------------------------------------------------ run time */

int hs_scenario_resolve(const struct hs_topology *topology, const char *reference,
			const char *active_node, char *out, size_t out_size)
{
	char node[HS_NAME_MAX];
	const char *dot, *resolved = NULL;
	const struct hs_node_model *active;
	size_t length;

	if (!reference || !out || out_size == 0)
		return -1;
	dot = strchr(reference, '.');
	length = dot ? (size_t)(dot - reference) : strlen(reference);
	if (length >= sizeof(node))
		return -1;
	memcpy(node, reference, length);
	node[length] = '\0';
	if (node[0] != '@') {
		resolved = hs_topology_node(topology, node) ? node : NULL;
	} else {
		active = active_node ? hs_topology_node(topology, active_node) : NULL;
		if (!active || topology->node_count != HS_NODES_MAX)
			return -1;
		if (strcmp(node, "@active") == 0)
			resolved = active->name;
		else if (strcmp(node, "@standby") == 0)
			resolved = topology->nodes[active == &topology->nodes[0] ? 1 : 0].name;
	}
	if (!resolved)
		return -1;
	if ((size_t)snprintf(out, out_size, "%s%s", resolved, dot ? dot : "") >= out_size)
		return -1;
	if (dot && !hs_node_port(hs_topology_node(topology, resolved), dot + 1))
		return -1;
	return 0;
}

int hs_scenario_resolve_power(const struct hs_topology *topology, const char *reference,
			      const char *active_node, char *out, size_t out_size)
{
	char node[HS_NAME_MAX];

	if (!reference || !out || out_size == 0)
		return -1;
	for (uint32_t i = 0; i < topology->power_count; i++)
		if (strcmp(topology->power[i].name, reference) == 0)
			return snprintf(out, out_size, "%s", reference) < (int)out_size ? 0 : -1;
	/* Not a domain: a node reference, resolved to the domain feeding it. */
	if (hs_scenario_resolve(topology, reference, active_node, node, sizeof(node)) < 0 ||
	    strchr(node, '.'))
		return -1;
	for (uint32_t i = 0; i < topology->power_count; i++)
		for (uint32_t f = 0; f < topology->power[i].feed_count; f++)
			if (strcmp(topology->power[i].feeds[f], node) == 0)
				return snprintf(out, out_size, "%s", topology->power[i].name) <
					       (int)out_size
					   ? 0
					   : -1;
	return -1;
}

int hs_scenario_step_index(const struct hs_scenario *scenario, const char *name)
{
	for (uint32_t i = 0; i < scenario->step_count; i++)
		if (strcmp(scenario->steps[i].name, name) == 0)
			return (int)i;
	return -1;
}

int hs_scenario_anchor_time(const struct hs_scenario *scenario, const char *anchor,
			    const char **base, uint64_t *offset_ms)
{
	uint64_t total_ms = 0;
	int index;

	/* Anchors point only to earlier steps, so the walk ends within
	 * step_count hops; the bound guards a hand-made struct. */
	for (uint32_t hops = 0; hops <= HS_STEPS_MAX; hops++) {
		if (strcmp(anchor, "up") == 0 || strcmp(anchor, "formed") == 0) {
			*base = strcmp(anchor, "up") == 0 ? "up" : "formed";
			*offset_ms = total_ms;
			return 0;
		}
		index = hs_scenario_step_index(scenario, anchor);
		if (index < 0)
			return -1;
		total_ms += scenario->steps[index].when.delay_ms;
		anchor = scenario->steps[index].when.anchor;
	}
	return -1;
}
