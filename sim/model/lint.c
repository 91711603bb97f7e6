/*
 * lint.c - hs_topology_lint: what a loaded topology gets wrong that is not
 * a syntax error. Two families of findings, one line each:
 *
 *   compatibility (SPEC "Compatibility"): the model pair, the size of a
 *     virt1 against the rack it pairs with, firmware major.minor;
 *   single points of failure: one power domain feeding both nodes, one
 *     switch (or a power domain feeding only switches) whose loss cuts both
 *     links between the nodes, the uplink as the only way to the ping
 *     targets, bonds on one switch, both nodes' external ports on one
 *     switch, one switch carrying external and sync traffic, and tie-breaker
 *     settings that cannot work (fence without fence devices, ping without
 *     targets); and a loop of switch links, which the fabric cannot carry.
 *
 * Link reachability is computed on the graph of switches (vertices) and
 * switch links (edges) with the failed switches removed: a link between
 * the nodes survives when some port of node 1's bond and some port of node
 * 2's bond sit on switches still connected. Direct cables never fail.
 */
#include "yaml_walk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lint_out {
	char *text; /* hs_topology_lint: one line per finding */
	size_t size, used;
	struct hs_lint_finding *findings; /* hs_topology_lint_findings */
	uint32_t max, count;
	int errors;
};

/* Where a finding points: the object's line in the topology file and its
 * field path. */
struct where {
	uint32_t line;
	char field[HS_LINT_FIELD_MAX];
};

static struct where at(uint32_t line, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static struct where at(uint32_t line, const char *format, ...)
{
	struct where where = {.line = line};
	va_list args;

	va_start(args, format);
	vsnprintf(where.field, sizeof(where.field), format, args);
	va_end(args);
	return where;
}

static void text_append(struct lint_out *out, const struct hs_lint_finding *finding)
{
	int written;

	if (!out->text || out->used + 1 >= out->size)
		return;
	written = snprintf(out->text + out->used, out->size - out->used, "%s: %s\n",
			   finding->error ? "error" : "warning", finding->text);
	out->used += written > 0 ? (size_t)written : 0;
	if (out->used + 1 >= out->size)
		out->used = out->size - 1; /* cut: snprintf ended it where it had to */
}

static void finding(struct lint_out *out, bool error, bool compatibility, struct where where,
		    const char *format, ...) __attribute__((format(printf, 5, 6)));

static void finding(struct lint_out *out, bool error, bool compatibility, struct where where,
		    const char *format, ...)
{
	struct hs_lint_finding finding = {.error = error, .compatibility = compatibility};
	va_list args;

	if (error)
		out->errors++;
	finding.line = where.line;
	snprintf(finding.field, sizeof(finding.field), "%s", where.field);
	va_start(args, format);
	vsnprintf(finding.text, sizeof(finding.text), format, args);
	va_end(args);
	text_append(out, &finding);
	if (out->findings && out->count < out->max)
		out->findings[out->count++] = finding;
}

/* ------------------------------------------------------- compatibility */

static void version_major_minor(const char *text, unsigned int *major, unsigned int *minor)
{
	*major = *minor = 0;
	sscanf(text, "%u.%u", major, minor);
}

static void sizes_check(struct lint_out *out, const struct hs_node_model *rack,
			const struct hs_node_model *virt, uint32_t virt_index)
{
	struct where where = at(virt->line, "nodes[%u]", virt_index);

	if (virt->cpu_count < rack->cpu_count)
		finding(out, true, true, where, "virt1 '%s' has %u CPUs, fewer than %s '%s' (%u)",
			virt->name, virt->cpu_count, rack->model, rack->name, rack->cpu_count);
	if (virt->memory_mb < rack->memory_mb)
		finding(out, true, true, where,
			"virt1 '%s' has %u MB of memory, less than %s '%s' (%u MB)", virt->name,
			virt->memory_mb, rack->model, rack->name, rack->memory_mb);
	if (virt->disk_gb < rack->disk_gb)
		finding(out, true, true, where,
			"virt1 '%s' has a %u GB disk, smaller than %s '%s' (%u GB)", virt->name,
			virt->disk_gb, rack->model, rack->name, rack->disk_gb);
}

static void compat_check(struct lint_out *out, const struct hs_topology *topology)
{
	const struct hs_node_model *a = &topology->nodes[0], *b = &topology->nodes[1];
	bool a_virt = strcmp(a->model, "virt1") == 0, b_virt = strcmp(b->model, "virt1") == 0;
	unsigned int a_major, a_minor, b_major, b_minor;
	struct where where = at(b->line, "nodes[1]");

	if (a_virt && b_virt)
		finding(out, false, true, where,
			"virt1+virt1 ('%s', '%s') is not supported in production", a->name,
			b->name);
	else if (a_virt || b_virt)
		sizes_check(out, a_virt ? b : a, a_virt ? a : b, a_virt ? 0 : 1);
	else if (strcmp(a->model, b->model) != 0)
		finding(out, true, true, where,
			"models %s ('%s') and %s ('%s') cannot form a cluster "
			"(allowed: rack1+rack1, rack4+rack4, rack1/rack4+virt1, virt1+virt1)",
			a->model, a->name, b->model, b->name);
	version_major_minor(a->firmware, &a_major, &a_minor);
	version_major_minor(b->firmware, &b_major, &b_minor);
	if (a_major != b_major || a_minor != b_minor)
		finding(out, true, true, where,
			"firmware %s of '%s' and %s of '%s' differ in major.minor", a->firmware,
			a->name, b->firmware, b->name);
}

/* ------------------------------------------------------ tie-breakers */

static void tiebreaker_check(struct lint_out *out, const struct hs_topology *topology)
{
	if (strcmp(topology->tiebreaker, "ping") == 0 && topology->ping_target_count == 0)
		finding(out, true, false, at(topology->cluster_line, "cluster.tiebreaker"),
			"tiebreaker ping without ping targets");
	if (topology->ping_target_count > 0 && topology->uplink_switch[0] == '\0')
		finding(out, true, false, at(topology->cluster_line, "cluster.ping_targets"),
			"ping targets set but no uplink: no node can reach them");
	for (uint32_t i = 0; i < topology->node_count; i++)
		if (strcmp(topology->tiebreaker, "fence") == 0 &&
		    topology->nodes[i].fence[0] == '\0')
			finding(out, true, false, at(topology->nodes[i].line, "nodes[%u]", i),
				"node '%s' has no fence device (tiebreaker fence)",
				topology->nodes[i].name);
}

/* ----------------------------------------------------------- power */

static bool power_feeds(const struct hs_power_model *power, const char *name)
{
	for (uint32_t i = 0; i < power->feed_count; i++)
		if (strcmp(power->feeds[i], name) == 0)
			return true;
	return false;
}

static void power_check(struct lint_out *out, const struct hs_topology *topology)
{
	for (uint32_t i = 0; i < topology->power_count; i++) {
		const struct hs_power_model *power = &topology->power[i];

		if (power_feeds(power, topology->nodes[0].name) &&
		    power_feeds(power, topology->nodes[1].name))
			finding(out, true, false, at(power->line, "power[%u]", i),
				"power domain '%s' feeds both '%s' and '%s': its loss "
				"stops the cluster",
				power->name, topology->nodes[0].name, topology->nodes[1].name);
	}
}

/* -------------------------------------------------------- switches */

static int port_switch(const struct hs_topology *topology, const struct hs_node_model *node,
		       const char *port)
{
	const struct hs_port *model = hs_node_port(node, port);

	return model ? hs_switch_index(topology, model->switch_name) : -1;
}

static bool switches_connected(const struct hs_topology *topology, const bool *failed, int from,
			       int to)
{
	bool seen[HS_SWITCHES_MAX] = {false};
	int queue[HS_SWITCHES_MAX], head = 0, tail = 0;

	if (from < 0 || to < 0 || failed[from] || failed[to])
		return false;
	seen[from] = true;
	queue[tail++] = from;
	while (head < tail) {
		int current = queue[head++];

		if (current == to)
			return true;
		for (uint32_t l = 0; l < topology->switch_link_count; l++) {
			for (int end = 0; end < 2; end++) {
				int a = hs_switch_index(topology, topology->switch_links[l][end]);
				int b = hs_switch_index(topology, topology->switch_links[l][!end]);

				if (a == current && b >= 0 && !seen[b] && !failed[b]) {
					seen[b] = true;
					queue[tail++] = b;
				}
			}
		}
	}
	return false;
}

static bool link_survives(const struct hs_topology *topology, enum hs_network network,
			  const bool *failed)
{
	const struct hs_node_model *a = &topology->nodes[0], *b = &topology->nodes[1];
	const struct hs_interface *ia = &a->interfaces[network], *ib = &b->interfaces[network];

	for (uint32_t i = 0; i < ia->port_count; i++)
		for (uint32_t j = 0; j < ib->port_count; j++)
			if (switches_connected(topology, failed,
					       port_switch(topology, a, ia->ports[i]),
					       port_switch(topology, b, ib->ports[j])))
				return true;
	return false;
}

static bool reaches_uplink(const struct hs_topology *topology, const struct hs_node_model *node,
			   const bool *failed)
{
	const struct hs_interface *external = &node->interfaces[HS_NETWORK_EXTERNAL];
	int uplink = hs_switch_index(topology, topology->uplink_switch);

	for (uint32_t i = 0; i < external->port_count; i++)
		if (switches_connected(topology, failed,
				       port_switch(topology, node, external->ports[i]), uplink))
			return true;
	return false;
}

static const char *const network_names[] = {"external", "sync"};

static void paths_check(struct lint_out *out, const struct hs_topology *topology)
{
	const char *a = topology->nodes[0].name, *b = topology->nodes[1].name;
	bool failed[HS_SWITCHES_MAX] = {false};

	for (int n = 0; n < HS_NETWORK_COUNT; n++)
		if (!link_survives(topology, (enum hs_network)n, failed))
			finding(out, true, false, at(topology->nodes[0].line, "nodes"),
				"no %s link between '%s' and '%s': their %s ports share "
				"no switch path",
				network_names[n], a, b, network_names[n]);
	for (uint32_t i = 0; topology->uplink_switch[0] && i < topology->node_count; i++)
		if (!reaches_uplink(topology, &topology->nodes[i], failed))
			finding(out, true, false, at(topology->nodes[i].line, "nodes[%u]", i),
				"node '%s' has no path from its external ports to the "
				"uplink switch '%s'",
				topology->nodes[i].name, topology->uplink_switch);
	for (uint32_t s = 0; s < topology->switch_count; s++) {
		if (topology->switches[s].kind == HS_SWITCH_DIRECT)
			continue;
		failed[s] = true;
		if (!link_survives(topology, HS_NETWORK_EXTERNAL, failed) &&
		    !link_survives(topology, HS_NETWORK_SYNC, failed))
			finding(out, true, false, at(topology->switches[s].line, "switches[%u]", s),
				"switch '%s' carries both links between '%s' and '%s': "
				"its loss cuts them both (split brain)",
				topology->switches[s].name, a, b);
		failed[s] = false;
	}
}

/* The fabric's switches run no spanning tree: a loop of switch links
 * would circulate broadcast frames forever. */
static void loops_check(struct lint_out *out, const struct hs_topology *topology)
{
	bool failed[HS_SWITCHES_MAX] = {false};
	struct hs_topology partial = *topology;

	for (uint32_t l = 0; l < topology->switch_link_count; l++) {
		const char *a = topology->switch_links[l][0], *b = topology->switch_links[l][1];

		partial.switch_link_count = l;
		if (switches_connected(&partial, failed, hs_switch_index(topology, a),
				       hs_switch_index(topology, b)))
			finding(out, true, false,
				at(topology->switch_link_lines[l], "switch_links[%u]", l),
				"switch link [%s, %s] closes a loop (the fabric needs a "
				"tree of switches)",
				a, b);
	}
}

/* A power domain that feeds no node but switches: its loss must not cut
 * both links (a domain that feeds a node stops that node instead). */
static void power_paths_check(struct lint_out *out, const struct hs_topology *topology)
{
	for (uint32_t p = 0; p < topology->power_count; p++) {
		const struct hs_power_model *power = &topology->power[p];
		bool failed[HS_SWITCHES_MAX] = {false};

		if (power_feeds(power, topology->nodes[0].name) ||
		    power_feeds(power, topology->nodes[1].name))
			continue;
		for (uint32_t s = 0; s < topology->switch_count; s++)
			failed[s] = power_feeds(power, topology->switches[s].name);
		if (!link_survives(topology, HS_NETWORK_EXTERNAL, failed) &&
		    !link_survives(topology, HS_NETWORK_SYNC, failed))
			finding(out, true, false, at(power->line, "power[%u]", p),
				"power domain '%s' feeds switches whose loss cuts both "
				"links between '%s' and '%s' (split brain)",
				power->name, topology->nodes[0].name, topology->nodes[1].name);
	}
}

static void bonds_check(struct lint_out *out, const struct hs_topology *topology)
{
	for (uint32_t i = 0; i < topology->node_count; i++) {
		const struct hs_node_model *node = &topology->nodes[i];

		for (int n = 0; n < HS_NETWORK_COUNT; n++) {
			const struct hs_interface *interface = &node->interfaces[n];
			int first, second;

			if (interface->port_count != 2)
				continue;
			first = port_switch(topology, node, interface->ports[0]);
			second = port_switch(topology, node, interface->ports[1]);
			if (first >= 0 && first == second &&
			    topology->switches[first].kind != HS_SWITCH_DIRECT)
				finding(out, false, false,
					at(node->line, "nodes[%u].%s", i, network_names[n]),
					"'%s' %s bond (%s, %s): both ports on switch '%s'",
					node->name, network_names[n], interface->ports[0],
					interface->ports[1], topology->switches[first].name);
		}
	}
}

/* Whether every port of network n (both nodes) sits on switch s, and
 * whether any does. */
static void switch_usage(const struct hs_topology *topology, int s, enum hs_network network,
			 bool *all, bool *any)
{
	*all = true;
	*any = false;
	for (uint32_t i = 0; i < topology->node_count; i++) {
		const struct hs_node_model *node = &topology->nodes[i];
		const struct hs_interface *interface = &node->interfaces[network];

		for (uint32_t p = 0; p < interface->port_count; p++) {
			bool here = port_switch(topology, node, interface->ports[p]) == s;

			*all = *all && here;
			*any = *any || here;
		}
	}
}

static void sharing_check(struct lint_out *out, const struct hs_topology *topology)
{
	for (uint32_t s = 0; s < topology->switch_count; s++) {
		bool external_all, external_any, sync_all, sync_any;

		if (topology->switches[s].kind == HS_SWITCH_DIRECT)
			continue;
		switch_usage(topology, (int)s, HS_NETWORK_EXTERNAL, &external_all, &external_any);
		switch_usage(topology, (int)s, HS_NETWORK_SYNC, &sync_all, &sync_any);
		if (external_all)
			finding(out, false, false,
				at(topology->switches[s].line, "switches[%u]", s),
				"switch '%s' carries every external port of '%s' and "
				"'%s': its loss cuts the external network of both",
				topology->switches[s].name, topology->nodes[0].name,
				topology->nodes[1].name);
		if (external_any && sync_any)
			finding(out, false, false,
				at(topology->switches[s].line, "switches[%u]", s),
				"switch '%s' carries both the external and the sync "
				"network",
				topology->switches[s].name);
	}
	if (topology->uplink_switch[0] && topology->ping_target_count > 0)
		finding(out, false, false, at(topology->uplink_line, "uplink"),
			"uplink switch '%s' is the only path from '%s' and '%s' to the "
			"ping targets: its loss isolates both",
			topology->uplink_switch, topology->nodes[0].name, topology->nodes[1].name);
}

static int lint_all(const struct hs_topology *topology, struct lint_out *lint)
{
	if (topology->node_count != HS_NODES_MAX) {
		finding(lint, true, false, at(0, "nodes"), "%u nodes: a cluster is a pair",
			topology->node_count);
		return lint->errors;
	}
	compat_check(lint, topology);
	tiebreaker_check(lint, topology);
	power_check(lint, topology);
	paths_check(lint, topology);
	power_paths_check(lint, topology);
	loops_check(lint, topology);
	bonds_check(lint, topology);
	sharing_check(lint, topology);
	return lint->errors;
}

int hs_topology_lint(const struct hs_topology *topology, char *out, size_t out_size)
{
	struct lint_out lint = {.text = out, .size = out_size};

	if (out && out_size > 0)
		out[0] = '\0';
	return lint_all(topology, &lint);
}

int hs_topology_lint_findings(const struct hs_topology *topology, struct hs_lint_finding *findings,
			      uint32_t max, uint32_t *count)
{
	struct lint_out lint = {.findings = findings, .max = max};
	int errors = lint_all(topology, &lint);

	*count = lint.count;
	for (uint32_t i = 0; i < lint.count; i++)
		snprintf(findings[i].path, sizeof(findings[i].path), "%s", topology->path);
	return errors;
}

/* ------------------------------------------------------- scenarios */

static bool finding_in(const struct hs_lint_finding *list, uint32_t count,
		       const struct hs_lint_finding *finding)
{
	for (uint32_t i = 0; i < count; i++)
		if (list[i].error == finding->error && strcmp(list[i].text, finding->text) == 0)
			return true;
	return false;
}

/* A finding the overrides added: it points at the scenario's overrides; a
 * compatibility error there is the scenario's subject, not a mistake. */
static void override_finding(const struct hs_scenario *scenario, struct hs_lint_finding *finding)
{
	const struct hs_node_model *node = NULL;
	unsigned int index;

	snprintf(finding->path, sizeof(finding->path), "%s", scenario->path);
	finding->line = scenario->overrides_line;
	if (sscanf(finding->field, "nodes[%u]", &index) == 1 && index < HS_NODES_MAX)
		node = &scenario->topology.nodes[index];
	/* A finding about a node the overrides changed points at that change. */
	if (node && node->override_line) {
		finding->line = node->override_line;
		snprintf(finding->field, sizeof(finding->field), "overrides.nodes.%s", node->name);
	} else {
		snprintf(finding->field, sizeof(finding->field), "overrides");
	}
	if (finding->error && finding->compatibility) {
		size_t length = strlen(finding->text);

		finding->error = false;
		snprintf(finding->text + length, sizeof(finding->text) - length,
			 " (staged by the scenario's overrides: a refused join is what it tests)");
	}
}

int hs_scenario_lint_findings(const struct hs_scenario *scenario, struct hs_lint_finding *findings,
			      uint32_t max, uint32_t *count, char *error, size_t error_size)
{
	struct hs_topology *base = malloc(sizeof(*base));
	struct hs_lint_finding *merged = calloc(HS_LINT_FINDINGS_MAX, sizeof(*merged));
	uint32_t merged_count = 0;
	int errors = -1;

	*count = 0;
	if (!base || !merged) {
		snprintf(error, error_size, "hs_scenario_lint_findings: out of memory");
		goto cleanup;
	}
	if (hs_topology_load(scenario->topology_path, base, error, error_size) < 0)
		goto cleanup;
	hs_topology_lint_findings(base, findings, max, count);
	hs_topology_lint_findings(&scenario->topology, merged, HS_LINT_FINDINGS_MAX, &merged_count);
	for (uint32_t i = 0; i < merged_count && *count < max; i++) {
		if (finding_in(findings, *count, &merged[i]))
			continue;
		findings[*count] = merged[i];
		override_finding(scenario, &findings[(*count)++]);
	}
	errors = 0;
	for (uint32_t i = 0; i < *count; i++)
		errors += findings[i].error ? 1 : 0;
cleanup:
	free(base);
	free(merged);
	return errors;
}
