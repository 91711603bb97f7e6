/*
 * topology.c - load a topology file (topologies/README.md) into a
 * struct hs_topology and validate it: unknown keys, types, ranges,
 * addresses, and every reference between objects (a port's switch, a
 * bond's ports, a power domain's feeds, a node's fence device).
 *
 * The file is read in dependency order (cluster, switches, switch links,
 * uplink, power, nodes) so that each reference can be checked where it is
 * written and its message can name that line; the power domains' feeds,
 * which name nodes defined further down, get a second pass at the end.
 * Single points of failure and model compatibility are not load errors:
 * they are lint findings (lint.c), so that spof-shared-switch still loads.
 */
#include "yaml_walk.h"

#include "hn_models.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const tiebreaker_names[] = {"none", "ping", "fence", NULL};

static void topology_defaults(struct hs_topology *topology)
{
	memset(topology, 0, sizeof(*topology));
	snprintf(topology->tiebreaker, sizeof(topology->tiebreaker), "ping");
	topology->timers.heartbeat_interval_ms = 200;
	topology->timers.dead_time_ms = 1000;
	topology->timers.wait_for_peer_ms = 10000;
	topology->timers.fence_delay_ms = 500;
	topology->timers.health_interval_ms = 500;
}

/* ------------------------------------------------------ cluster-wide */

int hs_timers_parse(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		    struct hs_timers_model *timers)
{
	static const char *const keys[] = {"heartbeat_interval_ms", "dead_time_ms",
					   "wait_for_peer_ms",	    "fence_delay_ms",
					   "health_interval_ms",    NULL};
	uint32_t *values[] = {&timers->heartbeat_interval_ms, &timers->dead_time_ms,
			      &timers->wait_for_peer_ms, &timers->fence_delay_ms,
			      &timers->health_interval_ms};
	char path[HS_FIELD_MAX];

	if (hs_yaml_mapping(yaml, node, field, keys) < 0)
		return -1;
	for (size_t i = 0; keys[i]; i++) {
		yaml_node_t *value = hs_yaml_get(yaml, node, keys[i]);

		HS_FIELD(path, "%s.%s", field, keys[i]);
		/* One hour bounds every timer: anything longer is a typo. */
		if (value && hs_yaml_uint(yaml, value, path, 1, 3600000, values[i]) < 0)
			return -1;
	}
	return hs_timers_check(yaml, node, field, timers);
}

int hs_timers_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		    const struct hs_timers_model *timers)
{
	yaml_node_t *heartbeat = hs_yaml_get(yaml, node, "heartbeat_interval_ms");
	yaml_node_t *dead = hs_yaml_get(yaml, node, "dead_time_ms");
	char path[HS_FIELD_MAX];

	if (timers->heartbeat_interval_ms < timers->dead_time_ms)
		return 0;
	/* Blame the key this mapping sets: an override may set only one. */
	if (!heartbeat && dead) {
		HS_FIELD(path, "%s.dead_time_ms", field);
		return hs_yaml_fail(yaml, dead, path,
				    "%" PRIu32
				    " must be greater than heartbeat_interval_ms %" PRIu32,
				    timers->dead_time_ms, timers->heartbeat_interval_ms);
	}
	HS_FIELD(path, "%s.heartbeat_interval_ms", field);
	return hs_yaml_fail(yaml, heartbeat ? heartbeat : node, path,
			    "%" PRIu32 " must be less than dead_time_ms %" PRIu32,
			    timers->heartbeat_interval_ms, timers->dead_time_ms);
}

int hs_ping_targets_parse(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
			  struct hs_topology *topology)
{
	char path[HS_FIELD_MAX];
	uint32_t count;

	if (hs_yaml_sequence(yaml, node, field, 0, HS_PING_TARGETS_MAX, &count) < 0)
		return -1;
	topology->ping_target_count = 0;
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *item = hs_yaml_item(yaml, node, i);
		char *target = topology->ping_targets[i];

		HS_FIELD(path, "%s[%" PRIu32 "]", field, i);
		if (hs_yaml_string(yaml, item, path, target, HS_ADDRESS_MAX) < 0)
			return -1;
		if (!hs_address_valid(target, false))
			return hs_yaml_fail(yaml, item, path,
					    "'%s' is not an IPv4 address (a.b.c.d)", target);
	}
	topology->ping_target_count = count;
	return 0;
}

static int cidr_parse(struct hs_yaml *yaml, yaml_node_t *node, const char *field, char *out)
{
	if (hs_yaml_string(yaml, node, field, out, HS_ADDRESS_MAX) < 0)
		return -1;
	if (!hs_address_valid(out, true))
		return hs_yaml_fail(yaml, node, field,
				    "'%s' is not an IPv4 CIDR address "
				    "(a.b.c.d/n)",
				    out);
	return 0;
}

static bool same_subnet(const char *a, const char *b)
{
	uint32_t address_a, prefix_a, address_b, prefix_b, mask;

	if (!hs_address_parse(a, &address_a, &prefix_a) ||
	    !hs_address_parse(b, &address_b, &prefix_b))
		return false;
	mask = prefix_a == 0 ? 0 : 0xffffffffu << (32 - prefix_a);
	return (address_a & mask) == (address_b & mask);
}

static int cluster_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_topology *topology)
{
	static const char *const keys[] = {"ip", "tiebreaker", "ping_targets", "timers", NULL};
	yaml_node_t *value;
	uint32_t index;

	if (hs_yaml_mapping(yaml, node, "cluster", keys) < 0)
		return -1;
	topology->cluster_line = hs_yaml_line(node);
	if (hs_yaml_require(yaml, node, "cluster", "ip", &value) < 0 ||
	    cidr_parse(yaml, value, "cluster.ip", topology->cluster_ip) < 0)
		return -1;
	value = hs_yaml_get(yaml, node, "tiebreaker");
	if (value) {
		if (hs_yaml_enum(yaml, value, "cluster.tiebreaker", tiebreaker_names, &index) < 0)
			return -1;
		snprintf(topology->tiebreaker, sizeof(topology->tiebreaker), "%s",
			 tiebreaker_names[index]);
	}
	value = hs_yaml_get(yaml, node, "ping_targets");
	if (value && hs_ping_targets_parse(yaml, value, "cluster.ping_targets", topology) < 0)
		return -1;
	value = hs_yaml_get(yaml, node, "timers");
	if (value && hs_timers_parse(yaml, value, "cluster.timers", &topology->timers) < 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------- switches, power */

static int switch_index(const struct hs_topology *topology, const char *name)
{
	for (uint32_t i = 0; i < topology->switch_count; i++)
		if (strcmp(topology->switches[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int power_index(const struct hs_topology *topology, const char *name)
{
	for (uint32_t i = 0; i < topology->power_count; i++)
		if (strcmp(topology->power[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Item i of the list `list` ("switches", "power"): a mapping with `keys`
 * whose required "name" is read into name (HS_NAME_MAX bytes). On return
 * *name_node is the name's node and path its field ("switches[1].name"),
 * for the caller's own checks of the name. */
static int list_item_parse(struct hs_yaml *yaml, yaml_node_t *item, const char *list, uint32_t i,
			   const char *const *keys, char *name, yaml_node_t **name_node,
			   char path[HS_FIELD_MAX])
{
	hs_field(path, HS_FIELD_MAX, "%s[%" PRIu32 "]", list, i);
	if (hs_yaml_mapping(yaml, item, path, keys) < 0 ||
	    hs_yaml_require(yaml, item, path, "name", name_node) < 0)
		return -1;
	hs_field(path, HS_FIELD_MAX, "%s[%" PRIu32 "].name", list, i);
	return hs_yaml_name(yaml, *name_node, path, name, HS_NAME_MAX);
}

static int switches_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_topology *topology)
{
	static const char *const keys[] = {"name", "kind", NULL};
	static const char *const kinds[] = {"switch", "direct", NULL};
	char path[HS_FIELD_MAX];
	uint32_t count, kind;

	if (hs_yaml_sequence(yaml, node, "switches", 1, HS_SWITCHES_MAX, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *item = hs_yaml_item(yaml, node, i), *value;
		struct hs_switch_model *model = &topology->switches[i];

		if (list_item_parse(yaml, item, "switches", i, keys, model->name, &value, path) < 0)
			return -1;
		if (switch_index(topology, model->name) >= 0)
			return hs_yaml_fail(yaml, value, path, "duplicate switch '%s'",
					    model->name);
		model->line = hs_yaml_line(item);
		value = hs_yaml_get(yaml, item, "kind");
		HS_FIELD(path, "switches[%" PRIu32 "].kind", i);
		if (value && hs_yaml_enum(yaml, value, path, kinds, &kind) < 0)
			return -1;
		model->kind = value && kind == 1 ? HS_SWITCH_DIRECT : HS_SWITCH_SWITCH;
		topology->switch_count = i + 1;
	}
	return 0;
}

/* A reference to a real switch (not a direct cable), for switch links and
 * the uplink, which need something that forwards frames. */
static int forwarding_switch_ref(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
				 const struct hs_topology *topology, char *out)
{
	int index;

	if (hs_yaml_name(yaml, node, field, out, HS_NAME_MAX) < 0)
		return -1;
	index = switch_index(topology, out);
	if (index < 0)
		return hs_yaml_fail(yaml, node, field, "unknown switch '%s'", out);
	if (topology->switches[index].kind == HS_SWITCH_DIRECT)
		return hs_yaml_fail(yaml, node, field, "'%s' is a direct cable, not a switch", out);
	return 0;
}

static int switch_links_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_topology *topology)
{
	char path[HS_FIELD_MAX];
	uint32_t count, ends;

	if (hs_yaml_sequence(yaml, node, "switch_links", 0, HS_SWITCH_LINKS_MAX, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *item = hs_yaml_item(yaml, node, i);
		char(*link)[HS_NAME_MAX] = topology->switch_links[i];

		HS_FIELD(path, "switch_links[%" PRIu32 "]", i);
		if (hs_yaml_sequence(yaml, item, path, 2, 2, &ends) < 0)
			return -1;
		for (uint32_t end = 0; end < 2; end++) {
			HS_FIELD(path, "switch_links[%" PRIu32 "][%" PRIu32 "]", i, end);
			if (forwarding_switch_ref(yaml, hs_yaml_item(yaml, item, end), path,
						  topology, link[end]) < 0)
				return -1;
		}
		HS_FIELD(path, "switch_links[%" PRIu32 "]", i);
		if (strcmp(link[0], link[1]) == 0)
			return hs_yaml_fail(yaml, item, path, "links switch '%s' to itself",
					    link[0]);
		topology->switch_link_lines[i] = hs_yaml_line(item);
		topology->switch_link_count = i + 1;
	}
	return 0;
}

static int uplink_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_topology *topology)
{
	static const char *const keys[] = {"switch", "gateway", NULL};
	yaml_node_t *value;

	if (hs_yaml_mapping(yaml, node, "uplink", keys) < 0 ||
	    hs_yaml_require(yaml, node, "uplink", "switch", &value) < 0 ||
	    forwarding_switch_ref(yaml, value, "uplink.switch", topology, topology->uplink_switch) <
		0 ||
	    hs_yaml_require(yaml, node, "uplink", "gateway", &value) < 0 ||
	    hs_yaml_string(yaml, value, "uplink.gateway", topology->gateway, HS_ADDRESS_MAX) < 0)
		return -1;
	if (!hs_address_valid(topology->gateway, false))
		return hs_yaml_fail(yaml, value, "uplink.gateway",
				    "'%s' is not an IPv4 address (a.b.c.d)", topology->gateway);
	if (!same_subnet(topology->cluster_ip, topology->gateway))
		return hs_yaml_fail(yaml, value, "uplink.gateway",
				    "%s is not in the cluster network of %s", topology->gateway,
				    topology->cluster_ip);
	topology->uplink_line = hs_yaml_line(node);
	return 0;
}

static int power_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_topology *topology)
{
	static const char *const keys[] = {"name", "feeds", NULL};
	char path[HS_FIELD_MAX];
	uint32_t count, feeds;

	if (hs_yaml_sequence(yaml, node, "power", 0, HS_POWER_MAX, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *item = hs_yaml_item(yaml, node, i), *value;
		struct hs_power_model *power = &topology->power[i];

		if (list_item_parse(yaml, item, "power", i, keys, power->name, &value, path) < 0)
			return -1;
		if (power_index(topology, power->name) >= 0 ||
		    switch_index(topology, power->name) >= 0)
			return hs_yaml_fail(yaml, value, path, "duplicate name '%s'", power->name);
		power->line = hs_yaml_line(item);
		HS_FIELD(path, "power[%" PRIu32 "]", i);
		if (hs_yaml_require(yaml, item, path, "feeds", &value) < 0)
			return -1;
		HS_FIELD(path, "power[%" PRIu32 "].feeds", i);
		if (hs_yaml_sequence(yaml, value, path, 1, HS_FEEDS_MAX, &feeds) < 0)
			return -1;
		for (uint32_t f = 0; f < feeds; f++) {
			HS_FIELD(path, "power[%" PRIu32 "].feeds[%" PRIu32 "]", i, f);
			if (hs_yaml_name(yaml, hs_yaml_item(yaml, value, f), path, power->feeds[f],
					 HS_NAME_MAX) < 0)
				return -1;
		}
		power->feed_count = feeds;
		topology->power_count = i + 1;
	}
	return 0;
}

/* Second pass over power: every feed names a node or a powered switch,
 * and nothing is fed by two domains (a backend cuts one outlet per
 * device, so a second feed would make power_off meaningless). */
static int power_feeds_check(struct hs_yaml *yaml, yaml_node_t *node,
			     const struct hs_topology *topology)
{
	char path[HS_FIELD_MAX];

	for (uint32_t i = 0; node && i < topology->power_count; i++) {
		const struct hs_power_model *power = &topology->power[i];
		yaml_node_t *feeds = hs_yaml_get(yaml, hs_yaml_item(yaml, node, i), "feeds");

		for (uint32_t f = 0; f < power->feed_count; f++) {
			const char *feed = power->feeds[f];
			yaml_node_t *where = hs_yaml_item(yaml, feeds, f);
			int sw = switch_index(topology, feed);

			HS_FIELD(path, "power[%" PRIu32 "].feeds[%" PRIu32 "]", i, f);
			if (sw < 0 && !hs_topology_node(topology, feed))
				return hs_yaml_fail(yaml, where, path,
						    "unknown node or switch '%s'", feed);
			if (sw >= 0 && topology->switches[sw].kind == HS_SWITCH_DIRECT)
				return hs_yaml_fail(yaml, where, path,
						    "'%s' is a direct cable and takes no power",
						    feed);
			for (uint32_t j = 0; j <= i; j++)
				for (uint32_t g = 0; g < topology->power[j].feed_count; g++)
					if ((j < i || g < f) &&
					    strcmp(topology->power[j].feeds[g], feed) == 0)
						return hs_yaml_fail(yaml, where, path,
								    "'%s' is already fed by '%s'",
								    feed, topology->power[j].name);
		}
	}
	return 0;
}

/* ---------------------------------------------------------- the file */

static int sections_parse(struct hs_yaml *yaml, yaml_node_t *root, struct hs_topology *topology)
{
	static const char *const keys[] = {"name",   "description", "cluster",
					   "uplink", "switches",    "switch_links",
					   "power",  "nodes",	    NULL};
	yaml_node_t *value, *power, *nodes;
	uint32_t count;

	if (hs_yaml_mapping(yaml, root, "topology", keys) < 0 ||
	    hs_yaml_require(yaml, root, "topology", "name", &value) < 0 ||
	    hs_yaml_name(yaml, value, "name", topology->name, sizeof(topology->name)) < 0)
		return -1;
	value = hs_yaml_get(yaml, root, "description");
	if (value && hs_yaml_string(yaml, value, "description", topology->description,
				    sizeof(topology->description)) < 0)
		return -1;
	if (hs_yaml_require(yaml, root, "topology", "cluster", &value) < 0 ||
	    cluster_parse(yaml, value, topology) < 0 ||
	    hs_yaml_require(yaml, root, "topology", "switches", &value) < 0 ||
	    switches_parse(yaml, value, topology) < 0)
		return -1;
	value = hs_yaml_get(yaml, root, "switch_links");
	if (value && switch_links_parse(yaml, value, topology) < 0)
		return -1;
	value = hs_yaml_get(yaml, root, "uplink");
	if (value && uplink_parse(yaml, value, topology) < 0)
		return -1;
	power = hs_yaml_get(yaml, root, "power");
	if (power && power_parse(yaml, power, topology) < 0)
		return -1;
	if (hs_yaml_require(yaml, root, "topology", "nodes", &nodes) < 0 ||
	    hs_yaml_sequence(yaml, nodes, "nodes", HS_NODES_MAX, HS_NODES_MAX, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		if (hs_node_parse(yaml, hs_yaml_item(yaml, nodes, i), i, topology) < 0)
			return -1;
		topology->node_count = i + 1;
	}
	return power_feeds_check(yaml, power, topology);
}

int hs_topology_parse(struct hs_yaml *yaml, struct hs_topology *topology)
{
	topology_defaults(topology);
	snprintf(topology->path, sizeof(topology->path), "%s", yaml->path);
	return sections_parse(yaml, hs_yaml_root(yaml), topology);
}

int hs_topology_load(const char *path, struct hs_topology *topology, char *error, size_t error_size)
{
	struct hs_yaml yaml;
	int result = -1;

	if (hs_yaml_open(&yaml, path, error, error_size) < 0)
		goto cleanup;
	result = hs_topology_parse(&yaml, topology);
cleanup:
	hs_yaml_close(&yaml);
	return result;
}

int hs_topology_load_buffer(const char *path, const void *data, size_t size,
			    struct hs_topology *topology, char *error, size_t error_size)
{
	struct hs_yaml yaml;
	int result = -1;

	if (hs_yaml_open_buffer(&yaml, path, data, size, error, error_size) < 0)
		goto cleanup;
	result = hs_topology_parse(&yaml, topology);
cleanup:
	hs_yaml_close(&yaml);
	return result;
}

/* The model's size when a node does not state one, for node.c: the
 * model table's (refimpl/core/hn_models.h). */
void hs_model_identity_defaults(uint32_t model_index, struct hs_node_model *node)
{
	const struct hn_model_spec *spec = hn_model_spec_at(model_index);

	node->cpu_count = spec->cpu_count;
	node->memory_mb = spec->memory_mb;
	node->disk_gb = spec->disk_gb;
}

bool hs_model_has_raid(const char *model)
{
	const struct hn_model_spec *spec = hn_model_spec_find(model);

	return spec ? spec->hardware_raid : true;
}

/* The model table's names, NULL-terminated, for hs_yaml_enum. */
const char *const *hs_model_names(void)
{
	static const char *names[HN_MODEL_ROWS + 1];

	for (unsigned int i = 0; i < HN_MODEL_ROWS; i++)
		names[i] = hn_model_spec_at(i)->name;
	return names;
}

int hs_power_index(const struct hs_topology *topology, const char *name)
{
	return power_index(topology, name);
}

int hs_switch_index(const struct hs_topology *topology, const char *name)
{
	return switch_index(topology, name);
}

bool hs_same_subnet(const char *a, const char *b)
{
	return same_subnet(a, b);
}
