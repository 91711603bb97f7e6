/*
 * faults.c - what the lab did to the cluster, replayed from a run folder.
 *
 * The properties need to know when the nodes could not hear each other (a
 * cut: under tie-breaker none SPEC lets both be active then) and when the
 * last fault was repaired (liveness is judged after that). Both follow from
 * the steps the runner carried out (steps.jsonl, ok=true) and the fences
 * of the lab's fence device, replayed in time order into a small model:
 * per node powered, hanode running, RAID, pulled ports, firmware; per
 * switch its power; partitions and impairments until `heal`.
 *
 * A network is degraded while any partition covers it, any impairment
 * with loss, latency or jitter sits on one of its ports, any of its ports
 * is pulled on either node, or (for a network that runs over switches) any
 * switch is down: conservative on purpose, since a property must not fire
 * on what SPEC allows. A cut is a stretch in which both the external and
 * the sync network are degraded. A node that is off or crashed is no cut:
 * it cannot be active, and when it comes back it must see its peer.
 */
#include <stdio.h>
#include <string.h>

#include "swarm_int.h"

struct fault_model {
	bool powered[HS_NODES_MAX];
	bool running[HS_NODES_MAX];
	bool raid_failed[HS_NODES_MAX];
	bool pulled[HS_NODES_MAX][HS_PORTS_MAX];
	bool switch_down[HS_SWITCHES_MAX];
	bool partitioned[HS_NETWORK_COUNT];
	bool impaired[HS_NETWORK_COUNT];
	uint32_t impair_delay_ms; /* largest latency + jitter since the last heal */
	bool firmware_incompatible[HS_NODES_MAX];
};

static int node_index(const struct hs_check_result *result, const char *node)
{
	for (uint32_t i = 0; i < result->node_count && i < HS_NODES_MAX; i++)
		if (strcmp(result->nodes[i], node) == 0)
			return (int)i;
	return -1;
}

static int port_index(const struct hs_node_model *node, const char *port)
{
	for (int p = 0; p < HS_PORTS_MAX; p++)
		if (node->ports[p].used && strcmp(node->ports[p].name, port) == 0)
			return p;
	return -1;
}

/* The network a node's port belongs to, or -1. */
static int port_network(const struct hs_node_model *node, const char *port)
{
	for (int network = 0; network < HS_NETWORK_COUNT; network++)
		for (uint32_t i = 0; i < node->interfaces[network].port_count && i < 2; i++)
			if (strcmp(node->interfaces[network].ports[i], port) == 0)
				return network;
	return -1;
}

/* Whether a network's ports plug into powered switches (not a direct cable). */
static bool network_switched(const struct hs_topology *topology, int network)
{
	for (uint32_t n = 0; n < topology->node_count; n++) {
		const struct hs_node_model *node = &topology->nodes[n];
		for (uint32_t i = 0; i < node->interfaces[network].port_count && i < 2; i++) {
			int p = port_index(node, node->interfaces[network].ports[i]);
			for (uint32_t s = 0; p >= 0 && s < topology->switch_count; s++)
				if (strcmp(topology->switches[s].name,
					   node->ports[p].switch_name) == 0 &&
				    topology->switches[s].kind == HS_SWITCH_SWITCH)
					return true;
		}
	}
	return false;
}

static bool network_degraded(const struct hs_topology *topology, const struct fault_model *model,
			     uint32_t node_count, int network)
{
	if (model->partitioned[network] || model->impaired[network])
		return true;
	for (uint32_t n = 0; n < node_count; n++)
		for (uint32_t i = 0; i < topology->nodes[n].interfaces[network].port_count && i < 2;
		     i++) {
			int p = port_index(&topology->nodes[n],
					   topology->nodes[n].interfaces[network].ports[i]);
			if (p >= 0 && model->pulled[n][p])
				return true;
		}
	for (uint32_t s = 0; s < topology->switch_count; s++)
		if (model->switch_down[s] && network_switched(topology, network))
			return true;
	return false;
}

static bool model_cut(const struct hs_topology *topology, const struct fault_model *model,
		      uint32_t node_count)
{
	return network_degraded(topology, model, node_count, HS_NETWORK_EXTERNAL) &&
	       network_degraded(topology, model, node_count, HS_NETWORK_SYNC);
}

static bool model_healthy(const struct hs_topology *topology, const struct fault_model *model,
			  uint32_t node_count)
{
	for (uint32_t n = 0; n < node_count; n++) {
		if (!model->powered[n] || !model->running[n] || model->raid_failed[n] ||
		    model->firmware_incompatible[n])
			return false;
		for (int p = 0; p < HS_PORTS_MAX; p++)
			if (model->pulled[n][p])
				return false;
	}
	for (uint32_t s = 0; s < topology->switch_count; s++)
		if (model->switch_down[s])
			return false;
	return !model->partitioned[0] && !model->partitioned[1] && !model->impaired[0] &&
	       !model->impaired[1];
}

/* ---------------------------------------------------------- one event */

static void apply_power(const struct hs_topology *topology, const struct hs_check_result *result,
			struct fault_model *model, const char *target, bool on)
{
	int node = node_index(result, target);

	if (node >= 0) {
		model->powered[node] = model->running[node] = on;
		return;
	}
	for (uint32_t p = 0; p < topology->power_count; p++) {
		if (strcmp(topology->power[p].name, target) != 0)
			continue;
		for (uint32_t f = 0; f < topology->power[p].feed_count; f++) {
			int fed = node_index(result, topology->power[p].feeds[f]);
			if (fed >= 0)
				model->powered[fed] = model->running[fed] = on;
			for (uint32_t s = 0; s < topology->switch_count; s++)
				if (strcmp(topology->switches[s].name,
					   topology->power[p].feeds[f]) == 0)
					model->switch_down[s] = !on;
		}
	}
}

static void apply_network(const struct hs_scenario *scenario, const struct hs_check_result *result,
			  struct fault_model *model, const struct hs_step *step, int node)
{
	const struct hs_topology *topology = &scenario->topology;

	if (step->action == HS_ACTION_HEAL) {
		memset(model->partitioned, 0, sizeof(model->partitioned));
		memset(model->impaired, 0, sizeof(model->impaired));
		model->impair_delay_ms = 0;
	} else if (step->action == HS_ACTION_PARTITION) {
		for (int network = 0; network < HS_NETWORK_COUNT; network++)
			if (strcmp(step->network, "all") == 0 || step->network[0] == '\0' ||
			    strcmp(step->network, network == 0 ? "external" : "sync") == 0)
				model->partitioned[network] = true;
	} else if (step->action == HS_ACTION_IMPAIR && node >= 0) {
		const char *dot = strrchr(step->target, '.');
		int network = dot ? port_network(&topology->nodes[node], dot + 1) : -1;
		if (network >= 0 && (step->loss_pct || step->delay_ms || step->jitter_ms))
			model->impaired[network] = true;
		if (step->delay_ms + step->jitter_ms > model->impair_delay_ms)
			model->impair_delay_ms = step->delay_ms + step->jitter_ms;
	}
	(void)result;
}

static bool firmware_compatible(const char *a, const char *b)
{
	const char *a_dot = strchr(a, '.'), *b_dot = strchr(b, '.');

	a_dot = a_dot ? strchr(a_dot + 1, '.') : NULL;
	b_dot = b_dot ? strchr(b_dot + 1, '.') : NULL;
	return a_dot && b_dot && a_dot - a == b_dot - b && strncmp(a, b, (size_t)(a_dot - a)) == 0;
}

static void apply_node(const struct hs_scenario *scenario, struct fault_model *model,
		       const struct hs_step *step, int node, const char *port)
{
	const struct hs_topology *topology = &scenario->topology;
	int p;

	switch (step->action) {
	case HS_ACTION_PULL:
	case HS_ACTION_PLUG:
		p = port_index(&topology->nodes[node], port);
		if (p >= 0)
			model->pulled[node][p] = step->action == HS_ACTION_PULL;
		return;
	case HS_ACTION_RAID_FAIL:
	case HS_ACTION_RAID_RESTORE:
		model->raid_failed[node] = step->action == HS_ACTION_RAID_FAIL;
		return;
	case HS_ACTION_CRASH:
	case HS_ACTION_RESTART:
		if (model->powered[node])
			model->running[node] = step->action == HS_ACTION_RESTART;
		return;
	case HS_ACTION_FIRMWARE_UPDATE:
		model->running[node] = model->powered[node];
		model->firmware_incompatible[node] = false;
		for (uint32_t n = 0; n < topology->node_count; n++)
			if (!firmware_compatible(step->version, topology->nodes[n].firmware))
				model->firmware_incompatible[node] = true;
		return;
	default:
		return;
	}
}

/* ------------------------------------------------------------- replay */

static void window_close(struct hs_swarm_faults *faults, int64_t at_ms, uint32_t delay_ms)
{
	struct hs_swarm_window *window;

	if (faults->window_count == 0)
		return;
	window = &faults->windows[faults->window_count - 1];
	if (window->end_ms != INT64_MAX)
		return;
	window->end_ms = at_ms;
	if (delay_ms > window->delay_ms)
		window->delay_ms = delay_ms;
}

static void window_open(struct hs_swarm_faults *faults, int64_t at_ms)
{
	if (faults->window_count > 0 &&
	    faults->windows[faults->window_count - 1].end_ms == INT64_MAX)
		return;
	if (faults->window_count >= HS_SWARM_WINDOWS_MAX) {
		faults->windows[HS_SWARM_WINDOWS_MAX - 1].end_ms = INT64_MAX; /* reopen the last */
		return;
	}
	faults->windows[faults->window_count++] =
	    (struct hs_swarm_window){.start_ms = at_ms, .end_ms = INT64_MAX};
}

void hs_swarm_faults_replay(const struct hs_scenario *scenario,
			    const struct hs_check_result *result, struct hs_swarm_faults *faults)
{
	const struct hs_timeline *timeline = result->timeline;
	const struct hs_topology *topology = &scenario->topology;
	uint32_t node_count = result->node_count < HS_NODES_MAX ? result->node_count : HS_NODES_MAX;
	struct fault_model model;

	memset(faults, 0, sizeof(*faults));
	memset(&model, 0, sizeof(model));
	faults->healed_ms = 0;
	for (uint32_t n = 0; n < node_count; n++)
		model.powered[n] = model.running[n] = true;
	for (uint32_t i = 0; timeline && i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		bool fence = strcmp(event->kind, "fence") == 0;
		if (event->source_kind != HS_SOURCE_RUNNER || event->t_ms > result->ended_ms ||
		    (!fence && strcmp(event->kind, "step") != 0))
			continue;
		if (!event->ok) {
			int failed = hs_scenario_step_index(scenario, event->name);
			if (failed >= 0 && failed < 64)
				faults->failed_steps |= 1ull << failed;
			faults->steps_failed++;
			if (faults->first_step_error[0] == '\0')
				snprintf(faults->first_step_error, sizeof(faults->first_step_error),
					 "step '%s' (%s %s) failed: %s", event->name, event->action,
					 event->target, event->detail);
			continue;
		}
		int step_index = fence ? -1 : hs_scenario_step_index(scenario, event->name);
		const struct hs_step *step = step_index >= 0 ? &scenario->steps[step_index] : NULL;
		int node = node_index(result, event->node);
		const char *dot = strrchr(event->target, '.');
		if (fence || (step && (step->action == HS_ACTION_POWER_OFF ||
				       step->action == HS_ACTION_POWER_ON)))
			apply_power(topology, result, &model, event->target,
				    !fence && step->action == HS_ACTION_POWER_ON);
		else if (step && step->action == HS_ACTION_DISBAND)
			faults->disbanded = true;
		else if (step)
			apply_network(scenario, result, &model, step, node);
		if (step && node >= 0)
			apply_node(scenario, &model, step, node, dot ? dot + 1 : "");
		if (step && (step->action == HS_ACTION_SWITCH_FAIL ||
			     step->action == HS_ACTION_SWITCH_RESTORE))
			for (uint32_t s = 0; s < topology->switch_count; s++)
				if (strcmp(topology->switches[s].name, event->target) == 0)
					model.switch_down[s] =
					    step->action == HS_ACTION_SWITCH_FAIL;
		if (step && step->action == HS_ACTION_FIRMWARE_UPDATE)
			faults->firmware_changed = true;
		faults->healed_ms = event->t_ms;
		if (model_cut(topology, &model, node_count))
			window_open(faults, event->t_ms);
		else
			window_close(faults, event->t_ms, model.impair_delay_ms);
		if (model.impair_delay_ms > faults->max_delay_ms)
			faults->max_delay_ms = model.impair_delay_ms;
	}
	faults->healthy_at_end = model_healthy(topology, &model, node_count);
	if (faults->window_count > 0 &&
	    faults->windows[faults->window_count - 1].end_ms == INT64_MAX)
		faults->windows[faults->window_count - 1].delay_ms = model.impair_delay_ms;
}
