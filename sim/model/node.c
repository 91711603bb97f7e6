/*
 * node.c - one entry of a topology's `nodes:` list: identity (name, id,
 * model, firmware, size), fence device, ports and the two interfaces
 * (external and sync) with their bonds.
 *
 * Checks made here because they need the line of the value: names unique
 * among nodes, switches and power domains (power feeds name both kinds);
 * ports LAN1..LAN4 plugged into known switches; each bond made of the
 * node's own ports, no port in two bonds; the external address inside the
 * cluster network, the sync addresses in one network of their own; a fence
 * device that feeds the node. Power domains are parsed before the nodes, so
 * the fence can be checked at once.
 */
#include "yaml_walk.h"

#include "hn_models.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const node_keys[] = {"name",	 "id",	      "model",	 "firmware",
					"cpu",	 "memory_mb", "disk_gb", "fence",
					"ports", "external",  "sync",	 NULL};
static const char *const network_keys[] = {"external", "sync"};

const struct hs_port *hs_node_port(const struct hs_node_model *node, const char *name)
{
	for (uint32_t i = 0; i < HS_PORTS_MAX; i++)
		if (node->ports[i].used && strcmp(node->ports[i].name, name) == 0)
			return &node->ports[i];
	return NULL;
}

static int identity_parse(struct hs_yaml *yaml, yaml_node_t *item, const char *base, uint32_t index,
			  struct hs_topology *topology)
{
	struct hs_node_model *node = &topology->nodes[index];
	char path[HS_FIELD_MAX];
	yaml_node_t *value;
	uint32_t model;

	HS_FIELD(path, "%s.name", base);
	if (hs_yaml_require(yaml, item, base, "name", &value) < 0 ||
	    hs_yaml_name(yaml, value, path, node->name, sizeof(node->name)) < 0)
		return -1;
	if (strcmp(node->name, "any") == 0)
		return hs_yaml_fail(yaml, value, path, "'any' is reserved for expectations");
	for (uint32_t i = 0; i < index; i++)
		if (strcmp(topology->nodes[i].name, node->name) == 0)
			return hs_yaml_fail(yaml, value, path, "duplicate node '%s'", node->name);
	if (hs_switch_index(topology, node->name) >= 0 || hs_power_index(topology, node->name) >= 0)
		return hs_yaml_fail(yaml, value, path,
				    "'%s' is already the name of a switch or power domain",
				    node->name);
	node->id = index + 1;
	value = hs_yaml_get(yaml, item, "id");
	HS_FIELD(path, "%s.id", base);
	if (value && hs_yaml_uint(yaml, value, path, 1, 255, &node->id) < 0)
		return -1;
	for (uint32_t i = 0; i < index; i++)
		if (topology->nodes[i].id == node->id)
			return hs_yaml_fail(yaml, value ? value : item, path,
					    "id %" PRIu32 " is already used by '%s'", node->id,
					    topology->nodes[i].name);
	HS_FIELD(path, "%s.model", base);
	if (hs_yaml_require(yaml, item, base, "model", &value) < 0 ||
	    hs_yaml_enum(yaml, value, path, hs_model_names(), &model) < 0)
		return -1;
	snprintf(node->model, sizeof(node->model), "%s", hs_model_names()[model]);
	hs_model_identity_defaults(model, node);
	HS_FIELD(path, "%s.firmware", base);
	if (hs_yaml_require(yaml, item, base, "firmware", &value) < 0 ||
	    hs_yaml_string(yaml, value, path, node->firmware, sizeof(node->firmware)) < 0)
		return -1;
	if (!hs_version_valid(node->firmware))
		return hs_yaml_fail(yaml, value, path, "'%s' is not a version major.minor.patch",
				    node->firmware);
	return 0;
}

static int size_parse(struct hs_yaml *yaml, yaml_node_t *item, const char *base,
		      struct hs_node_model *node)
{
	static const char *const keys[] = {"cpu", "memory_mb", "disk_gb"};
	static const uint32_t max[] = {1024, 16777216, 1048576};
	uint32_t *values[] = {&node->cpu_count, &node->memory_mb, &node->disk_gb};
	char path[HS_FIELD_MAX];

	for (size_t i = 0; i < 3; i++) {
		yaml_node_t *value = hs_yaml_get(yaml, item, keys[i]);

		HS_FIELD(path, "%s.%s", base, keys[i]);
		if (value && hs_yaml_uint(yaml, value, path, 1, max[i], values[i]) < 0)
			return -1;
	}
	return 0;
}

static int fence_parse(struct hs_yaml *yaml, yaml_node_t *item, const char *base,
		       const struct hs_topology *topology, struct hs_node_model *node)
{
	yaml_node_t *value = hs_yaml_get(yaml, item, "fence");
	const struct hs_power_model *power;
	char path[HS_FIELD_MAX];
	int index;

	if (!value)
		return 0;
	HS_FIELD(path, "%s.fence", base);
	if (hs_yaml_name(yaml, value, path, node->fence, sizeof(node->fence)) < 0)
		return -1;
	index = hs_power_index(topology, node->fence);
	if (index < 0)
		return hs_yaml_fail(yaml, value, path, "unknown power domain '%s'", node->fence);
	power = &topology->power[index];
	for (uint32_t i = 0; i < power->feed_count; i++)
		if (strcmp(power->feeds[i], node->name) == 0)
			return 0;
	return hs_yaml_fail(yaml, value, path, "power domain '%s' does not feed '%s'", node->fence,
			    node->name);
}

/* "LAN1, LAN3": the LAN ports of a model. */
static const char *model_ports(const struct hn_model_spec *spec, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned int i = 0; i < HS_PORTS_MAX; i++)
		if (spec->lan_port_mask & (1u << i) && used < size)
			used += (size_t)snprintf(out + used, size - used, "%sLAN%u",
						 used ? ", " : "", i + 1);
	return out;
}

static int ports_parse(struct hs_yaml *yaml, yaml_node_t *item, const char *base,
		       const struct hs_topology *topology, struct hs_node_model *node)
{
	static const char *const port_names[] = {"LAN1", "LAN2", "LAN3", "LAN4", NULL};
	const struct hn_model_spec *spec = hn_model_spec_find(node->model);
	char path[HS_FIELD_MAX], ports_text[32];
	yaml_node_t *ports;
	uint32_t index;

	HS_FIELD(path, "%s.ports", base);
	if (hs_yaml_require(yaml, item, base, "ports", &ports) < 0 ||
	    hs_yaml_mapping(yaml, ports, path, port_names) < 0)
		return -1;
	if (hs_yaml_pair_count(ports) == 0)
		return hs_yaml_fail(yaml, ports, path, "no ports");
	for (uint32_t i = 0; i < hs_yaml_pair_count(ports); i++) {
		yaml_node_t *key, *value;
		struct hs_port *port;

		hs_yaml_pair(yaml, ports, i, &key, &value);
		hs_yaml_enum(yaml, key, path, port_names, &index);
		port = &node->ports[index];
		snprintf(port->name, sizeof(port->name), "%s", port_names[index]);
		HS_FIELD(path, "%s.ports.%s", base, port->name);
		if (hs_yaml_name(yaml, value, path, port->switch_name, sizeof(port->switch_name)) <
		    0)
			return -1;
		if (hs_switch_index(topology, port->switch_name) < 0)
			return hs_yaml_fail(yaml, value, path, "unknown switch '%s'",
					    port->switch_name);
		if (spec && !(spec->lan_port_mask & (1u << index)))
			return hs_yaml_fail(yaml, key, path,
					    "a %s has no %s (its %u LAN ports: %s; "
					    "refimpl/core/hn_models.h)",
					    spec->name, port->name, spec->lan_ports,
					    model_ports(spec, ports_text, sizeof(ports_text)));
		port->used = true;
	}
	return 0;
}

static int bond_port_add(struct hs_yaml *yaml, yaml_node_t *value, const char *path,
			 struct hs_node_model *node, struct hs_interface *interface)
{
	char *name = interface->ports[interface->port_count];

	if (hs_yaml_name(yaml, value, path, name, HS_NAME_MAX) < 0)
		return -1;
	if (!hs_node_port(node, name))
		return hs_yaml_fail(yaml, value, path, "unknown port '%s' of '%s'", name,
				    node->name);
	for (int n = 0; n < HS_NETWORK_COUNT; n++) {
		const struct hs_interface *other = &node->interfaces[n];
		uint32_t count = other == interface ? interface->port_count : other->port_count;

		for (uint32_t i = 0; i < count; i++)
			if (strcmp(other->ports[i], name) == 0)
				return hs_yaml_fail(yaml, value, path,
						    "port '%s' is already in the %s bond", name,
						    network_keys[n]);
	}
	interface->port_count++;
	return 0;
}

/* {address: CIDR, bond: [LANx, LANy]} or {address: CIDR, port: LANx}. */
static int interface_parse(struct hs_yaml *yaml, yaml_node_t *item, const char *base,
			   enum hs_network network, struct hs_node_model *node)
{
	static const char *const keys[] = {"address", "bond", "port", NULL};
	struct hs_interface *interface = &node->interfaces[network];
	char field[HS_FIELD_MAX], path[HS_FIELD_MAX];
	yaml_node_t *section, *value, *bond, *port;
	const struct hn_model_spec *spec;
	uint32_t count;

	HS_FIELD(field, "%s.%s", base, network_keys[network]);
	if (hs_yaml_require(yaml, item, base, network_keys[network], &section) < 0 ||
	    hs_yaml_mapping(yaml, section, field, keys) < 0 ||
	    hs_yaml_require(yaml, section, field, "address", &value) < 0)
		return -1;
	HS_FIELD(path, "%s.address", field);
	if (hs_yaml_string(yaml, value, path, interface->address, HS_ADDRESS_MAX) < 0)
		return -1;
	if (!hs_address_valid(interface->address, true))
		return hs_yaml_fail(yaml, value, path,
				    "'%s' is not an IPv4 CIDR address (a.b.c.d/n)",
				    interface->address);
	bond = hs_yaml_get(yaml, section, "bond");
	port = hs_yaml_get(yaml, section, "port");
	if (!bond == !port)
		return hs_yaml_fail(yaml, section, field, "needs exactly one of 'bond' or 'port'");
	if (port) {
		HS_FIELD(path, "%s.port", field);
		return bond_port_add(yaml, port, path, node, interface);
	}
	HS_FIELD(path, "%s.bond", field);
	if (hs_yaml_sequence(yaml, bond, path, 1, 2, &count) < 0)
		return -1;
	spec = hn_model_spec_find(node->model);
	if (spec && count > spec->ports_per_bond)
		return hs_yaml_fail(yaml, bond, path,
				    "a %s bonds at most %u port%s per network, not %" PRIu32
				    " (refimpl/core/hn_models.h)",
				    spec->name, spec->ports_per_bond,
				    spec->ports_per_bond == 1 ? "" : "s", count);
	for (uint32_t i = 0; i < count; i++) {
		HS_FIELD(path, "%s.bond[%" PRIu32 "]", field, i);
		if (bond_port_add(yaml, hs_yaml_item(yaml, bond, i), path, node, interface) < 0)
			return -1;
	}
	return 0;
}

/* Addresses: external inside the cluster network and not the cluster IP;
 * sync outside it and in the same network as the peer's sync address. */
static int addresses_check(struct hs_yaml *yaml, yaml_node_t *item, const char *base,
			   const struct hs_topology *topology, uint32_t index)
{
	const struct hs_node_model *node = &topology->nodes[index];
	const char *external = node->interfaces[HS_NETWORK_EXTERNAL].address;
	const char *sync = node->interfaces[HS_NETWORK_SYNC].address;
	char path[HS_FIELD_MAX];
	yaml_node_t *where;

	where = hs_yaml_get(yaml, hs_yaml_get(yaml, item, "external"), "address");
	HS_FIELD(path, "%s.external.address", base);
	if (!hs_same_subnet(topology->cluster_ip, external))
		return hs_yaml_fail(yaml, where, path, "%s is not in the cluster network of %s",
				    external, topology->cluster_ip);
	if (strncmp(external, topology->cluster_ip, strcspn(external, "/")) == 0 &&
	    strcspn(external, "/") == strcspn(topology->cluster_ip, "/"))
		return hs_yaml_fail(yaml, where, path, "%s is the cluster IP", external);
	where = hs_yaml_get(yaml, hs_yaml_get(yaml, item, "sync"), "address");
	HS_FIELD(path, "%s.sync.address", base);
	if (hs_same_subnet(topology->cluster_ip, sync))
		return hs_yaml_fail(yaml, where, path,
				    "%s is in the external network; the sync link needs its own",
				    sync);
	for (uint32_t i = 0; i < index; i++) {
		const struct hs_node_model *other = &topology->nodes[i];

		if (strcmp(other->interfaces[HS_NETWORK_SYNC].address, sync) == 0 ||
		    strcmp(other->interfaces[HS_NETWORK_EXTERNAL].address, sync) == 0)
			return hs_yaml_fail(yaml, where, path, "%s is already used by '%s'", sync,
					    other->name);
		if (!hs_same_subnet(other->interfaces[HS_NETWORK_SYNC].address, sync))
			return hs_yaml_fail(
			    yaml, where, path, "%s is not in the sync network of '%s' (%s)", sync,
			    other->name, other->interfaces[HS_NETWORK_SYNC].address);
		if (strcmp(other->interfaces[HS_NETWORK_EXTERNAL].address, external) == 0) {
			HS_FIELD(path, "%s.external.address", base);
			where = hs_yaml_get(yaml, hs_yaml_get(yaml, item, "external"), "address");
			return hs_yaml_fail(yaml, where, path, "%s is already used by '%s'",
					    external, other->name);
		}
	}
	return 0;
}

int hs_node_parse(struct hs_yaml *yaml, yaml_node_t *item, uint32_t index,
		  struct hs_topology *topology)
{
	struct hs_node_model *node = &topology->nodes[index];
	char base[HS_FIELD_MAX];

	memset(node, 0, sizeof(*node));
	HS_FIELD(base, "nodes[%" PRIu32 "]", index);
	if (hs_yaml_mapping(yaml, item, base, node_keys) < 0)
		return -1;
	node->line = hs_yaml_line(item);
	if (identity_parse(yaml, item, base, index, topology) < 0 ||
	    size_parse(yaml, item, base, node) < 0 ||
	    fence_parse(yaml, item, base, topology, node) < 0 ||
	    ports_parse(yaml, item, base, topology, node) < 0 ||
	    interface_parse(yaml, item, base, HS_NETWORK_EXTERNAL, node) < 0 ||
	    interface_parse(yaml, item, base, HS_NETWORK_SYNC, node) < 0)
		return -1;
	return addresses_check(yaml, item, base, topology, index);
}
