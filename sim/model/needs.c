/*
 * needs.c - what a scenario needs of a node implementation (adapter.h).
 *
 * Two levels. Running the scenario at all: its topology's tie-breaker
 * (fence needs fencing; ping needs ping_tiebreaker when a step splits the
 * nodes), nodes that differ in model or firmware (the compatibility checks
 * need firmware) and its steps (maintenance needs maintenance, a fault on a sync
 * port needs a sync link, ...): a gap there skips the whole scenario,
 * since its steps would not test what it says. Judging one expectation:
 * data invariants and metrics need replicated data, a fence record needs
 * fencing, a display state only some nodes have (maintenance, isolated,
 * disconnected) needs what makes it: a gap there skips that expectation
 * only, with the reason.
 */
#include "adapter.h"

#include <stdio.h>
#include <string.h>

/* Whether a port reference ("@active.LAN3", "node1.LAN3") is on the sync
 * bond of any node (the roles are not known before the run). */
static bool needs_sync_port(const struct hs_topology *topology, const char *reference)
{
	const char *dot = strrchr(reference, '.');
	const char *port = dot ? dot + 1 : reference;

	for (uint32_t n = 0; n < topology->node_count; n++) {
		const struct hs_interface *sync = &topology->nodes[n].interfaces[HS_NETWORK_SYNC];
		for (uint32_t p = 0; p < sync->port_count; p++)
			if (strcmp(sync->ports[p], port) == 0)
				return true;
	}
	return false;
}

/* What one step needs, and why (reason names the step). */
static uint32_t needs_step(const struct hs_topology *topology, const struct hs_step *step)
{
	switch (step->action) {
	case HS_ACTION_MAINTENANCE_ON:
	case HS_ACTION_MAINTENANCE_OFF:
		return HS_CAP_MAINTENANCE;
	case HS_ACTION_SWITCHOVER:
		return HS_CAP_SWITCHOVER;
	case HS_ACTION_DISCONNECT:
	case HS_ACTION_RECONNECT:
	case HS_ACTION_DISBAND:
		return HS_CAP_CLUSTER_ADMIN;
	case HS_ACTION_FIRMWARE_UPDATE:
		return HS_CAP_FIRMWARE;
	case HS_ACTION_RAID_FAIL:
	case HS_ACTION_RAID_RESTORE:
	case HS_ACTION_DISK_FAIL:
	case HS_ACTION_DISK_RESTORE:
		return HS_CAP_RAID_CHECK;
	case HS_ACTION_SERVICES_FAIL:
	case HS_ACTION_SERVICES_RESTORE:
		return HS_CAP_SERVICES_CHECK;
	case HS_ACTION_PARTITION:
		return strcmp(step->network, "sync") == 0 ? HS_CAP_SYNC_LINK : 0;
	case HS_ACTION_PULL:
	case HS_ACTION_PLUG:
	case HS_ACTION_IMPAIR:
		return needs_sync_port(topology, step->target) ? HS_CAP_SYNC_LINK : 0;
	default:
		return 0;
	}
}

/* Steps that split the two nodes, where the tie-breaker decides: a
 * partition, or a crashed daemon whose node keeps the cluster IP. (A failed
 * switch does not: every bond has a port on another switch.) */
static bool needs_split(const struct hs_scenario *scenario)
{
	for (uint32_t i = 0; i < scenario->step_count; i++)
		if (scenario->steps[i].action == HS_ACTION_PARTITION ||
		    scenario->steps[i].action == HS_ACTION_CRASH)
			return true;
	return false;
}

uint32_t hs_adapter_scenario_gap(const struct hs_scenario *scenario, uint32_t capabilities,
				 char *reason, size_t reason_size)
{
	const struct hs_topology *topology = &scenario->topology;

	if (strcmp(topology->tiebreaker, "fence") == 0 && !(capabilities & HS_CAP_FENCING)) {
		snprintf(reason, reason_size, "topology %s%s uses the fence tie-breaker",
			 topology->name,
			 scenario->overrides_line ? " (with the scenario's overrides)" : "");
		return HS_CAP_FENCING;
	}
	if (strcmp(topology->tiebreaker, "ping") == 0 && needs_split(scenario) &&
	    !(capabilities & HS_CAP_PING_TIEBREAKER)) {
		snprintf(reason, reason_size,
			 "topology %s%s uses the ping tie-breaker and a step splits the nodes",
			 topology->name,
			 scenario->overrides_line ? " (with the scenario's overrides)" : "");
		return HS_CAP_PING_TIEBREAKER;
	}
	if (topology->node_count == 2 && !(capabilities & HS_CAP_FIRMWARE) &&
	    (strcmp(topology->nodes[0].model, topology->nodes[1].model) != 0 ||
	     strcmp(topology->nodes[0].firmware, topology->nodes[1].firmware) != 0)) {
		snprintf(reason, reason_size,
			 "%s and %s differ in model or firmware (%s %s, %s %s)",
			 topology->nodes[0].name, topology->nodes[1].name, topology->nodes[0].model,
			 topology->nodes[0].firmware, topology->nodes[1].model,
			 topology->nodes[1].firmware);
		return HS_CAP_FIRMWARE;
	}
	for (uint32_t i = 0; i < scenario->step_count; i++) {
		const struct hs_step *step = &scenario->steps[i];
		uint32_t need = needs_step(topology, step);
		if (need & ~capabilities) {
			snprintf(reason, reason_size, "step '%s' (line %u) is %s%s%s", step->name,
				 step->line, hs_action_name(step->action),
				 step->target[0] ? " " : "", step->target);
			return need & ~capabilities;
		}
	}
	reason[0] = '\0';
	return 0;
}

static uint32_t needs_state(const char *state)
{
	if (strcmp(state, "maintenance") == 0)
		return HS_CAP_MAINTENANCE;
	if (strcmp(state, "isolated") == 0)
		return HS_CAP_PING_TIEBREAKER;
	if (strcmp(state, "disconnected") == 0 || strcmp(state, "standalone") == 0)
		return HS_CAP_CLUSTER_ADMIN;
	return 0;
}

static uint32_t needs_event(const char *event)
{
	if (strcmp(event, "fence") == 0)
		return HS_CAP_FENCING;
	if (strcmp(event, "sync") == 0 || strcmp(event, "split_brain") == 0 ||
	    strcmp(event, "split_brain_resolved") == 0)
		return HS_CAP_REPLICATED_DATA;
	if (strcmp(event, "refused") == 0)
		return HS_CAP_FIRMWARE;
	return 0;
}

uint32_t hs_expect_needs(const struct hs_expect *expect)
{
	uint32_t needs = needs_state(expect->from) | needs_state(expect->to);

	switch (expect->kind) {
	case HS_EXPECT_INVARIANT:
		if (expect->invariant == HS_INVARIANT_NO_LOST_WRITES ||
		    expect->invariant == HS_INVARIANT_NO_SILENT_LOSS)
			needs |= HS_CAP_REPLICATED_DATA;
		break;
	case HS_EXPECT_METRIC:
		if (expect->metric == HS_METRIC_LOST_WRITES ||
		    expect->metric == HS_METRIC_REPORTED_LOST_WRITES)
			needs |= HS_CAP_REPLICATED_DATA;
		break;
	case HS_EXPECT_COMPARE:
		needs |= HS_CAP_REPLICATED_DATA; /* lost_writes against reported */
		break;
	case HS_EXPECT_LOG:
		needs |= needs_event(expect->log_event);
		break;
	case HS_EXPECT_NOTIFY:
		needs |= HS_CAP_NOTIFY_HOOK;
		break;
	default:
		break;
	}
	for (uint32_t i = 0; i < expect->match_count; i++)
		needs |= (expect->matches[i].notify[0] ? HS_CAP_NOTIFY_HOOK : 0) |
			 needs_event(expect->matches[i].event) |
			 needs_state(expect->matches[i].from) | needs_state(expect->matches[i].to);
	return needs;
}
