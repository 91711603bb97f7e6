/*
 * requires.c - a scenario's `requires:`: what a topology must have for the
 * scenario to mean anything on it, so that one library runs on every
 * topology (`hasim run --topology`, `hasim matrix`) and what does not apply
 * is skipped with a reason instead of failing. Checked against the
 * topology as loaded, before the scenario's overrides (which may stage
 * another model on purpose) and before the steps (which may name ports
 * only some models have):
 *
 *   requires:
 *     ports: 4                # every node has >= 4 LAN ports (two bonds)
 *     models: [rack1, rack4]  # every node's model is one of these
 *     fence: true             # every node has a fence device
 *     raid: true              # every node's model has a hardware RAID
 *                             # (the model table, refimpl/core/hn_models.h)
 *
 * A malformed `requires` is an error like any other (FILE:LINE: FIELD:
 * reason, -1); one the topology does not meet returns HS_LOAD_NOT_APPLICABLE
 * with the reason, naming the requirement's line, the node and the
 * topology, and sets scenario->not_applicable.
 */
#include "hn_models.h"
#include "yaml_walk.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static uint32_t node_port_count(const struct hs_node_model *node)
{
	uint32_t count = 0;

	for (uint32_t i = 0; i < HS_PORTS_MAX; i++)
		count += node->ports[i].used ? 1 : 0;
	return count;
}

static int not_met(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		   struct hs_scenario *scenario, const char *format, ...)
    __attribute__((format(printf, 5, 6)));

static int not_met(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		   struct hs_scenario *scenario, const char *format, ...)
{
	char reason[HS_TEXT_MAX];
	va_list args;

	va_start(args, format);
	vsnprintf(reason, sizeof(reason), format, args);
	va_end(args);
	snprintf(scenario->not_applicable, sizeof(scenario->not_applicable), "%s", reason);
	hs_yaml_fail(yaml, node, field, "does not apply to topology '%s': %s",
		     scenario->topology.name, reason);
	return HS_LOAD_NOT_APPLICABLE;
}

static int models_check(struct hs_yaml *yaml, yaml_node_t *value, struct hs_scenario *scenario)
{
	char models[HS_NODES_MAX * 4][HS_NAME_MAX], list[HS_TEXT_MAX] = "";
	uint32_t count, index;
	size_t used = 0;

	if (hs_yaml_sequence(yaml, value, "requires.models", 1, HS_NODES_MAX * 4, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		char field[HS_FIELD_MAX];

		HS_FIELD(field, "requires.models[%" PRIu32 "]", i);
		if (hs_yaml_enum(yaml, hs_yaml_item(yaml, value, i), field, hs_model_names(),
				 &index) < 0)
			return -1;
		snprintf(models[i], sizeof(models[i]), "%s", hs_model_names()[index]);
		used += (size_t)snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0,
					 "%s%s", i ? ", " : "", models[i]);
	}
	for (uint32_t n = 0; n < scenario->topology.node_count; n++) {
		const struct hs_node_model *node = &scenario->topology.nodes[n];
		bool found = false;

		for (uint32_t i = 0; i < count && !found; i++)
			found = strcmp(node->model, models[i]) == 0;
		if (!found)
			return not_met(yaml, value, "requires.models", scenario,
				       "'%s' is a %s, not one of %s", node->name, node->model,
				       list);
	}
	return 0;
}

int hs_requires_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_scenario *scenario)
{
	static const char *const keys[] = {"ports", "models", "fence", "raid", NULL};
	yaml_node_t *value;
	uint32_t ports;
	bool fence, raid;

	if (hs_yaml_mapping(yaml, node, "requires", keys) < 0)
		return -1;
	value = hs_yaml_get(yaml, node, "ports");
	if (value) {
		if (hs_yaml_uint(yaml, value, "requires.ports", 1, HS_PORTS_MAX, &ports) < 0)
			return -1;
		for (uint32_t n = 0; n < scenario->topology.node_count; n++) {
			const struct hs_node_model *model = &scenario->topology.nodes[n];

			if (node_port_count(model) < ports)
				return not_met(yaml, value, "requires.ports", scenario,
					       "needs >= %" PRIu32 " LAN ports per node; '%s' (%s) "
					       "has %" PRIu32,
					       ports, model->name, model->model,
					       node_port_count(model));
		}
	}
	value = hs_yaml_get(yaml, node, "models");
	if (value && models_check(yaml, value, scenario) != 0)
		return scenario->not_applicable[0] ? HS_LOAD_NOT_APPLICABLE : -1;
	value = hs_yaml_get(yaml, node, "fence");
	if (value) {
		if (hs_yaml_bool(yaml, value, "requires.fence", &fence) < 0)
			return -1;
		for (uint32_t n = 0; fence && n < scenario->topology.node_count; n++)
			if (!scenario->topology.nodes[n].fence[0])
				return not_met(yaml, value, "requires.fence", scenario,
					       "'%s' has no fence device",
					       scenario->topology.nodes[n].name);
	}
	value = hs_yaml_get(yaml, node, "raid");
	if (value) {
		if (hs_yaml_bool(yaml, value, "requires.raid", &raid) < 0)
			return -1;
		for (uint32_t n = 0; raid && n < scenario->topology.node_count; n++) {
			const struct hs_node_model *model = &scenario->topology.nodes[n];
			const struct hn_model_spec *spec = hn_model_spec_find(model->model);

			if (spec && !spec->hardware_raid)
				return not_met(yaml, value, "requires.raid", scenario,
					       "'%s' is a %s, which has no hardware RAID (%u "
					       "virtual disk; refimpl/core/hn_models.h)",
					       model->name, model->model, spec->disk_count);
		}
	}
	return 0;
}
