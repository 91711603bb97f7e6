/*
 * scenario.c - load a scenario file (scenarios/README.md): its header
 * (name, description, run bounds), the topology it runs on (by name from
 * the scenario's ../topologies or a search path, by a path relative to the
 * scenario, or replaced by the caller's --topology), the overrides it
 * applies to that topology, the client workload, and then the steps
 * (step.c) and the expectations (expect.c).
 *
 * The topology is loaded first because everything after it refers to its
 * nodes, ports, switches and power domains. Errors inside the topology
 * file name the topology file; errors in overrides name the scenario.
 */
#include "yaml_walk.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void scenario_defaults(struct hs_scenario *scenario)
{
	memset(scenario, 0, sizeof(*scenario));
	scenario->settle_ms = 3000;
	scenario->timeout_ms = 120000;
	scenario->client.rate_per_s = 20;
	scenario->client.resolution_ms = 10;
	scenario->client.timeout_ms = 500;
	snprintf(scenario->client.start, sizeof(scenario->client.start), "formed");
}

/* A reference with a '/' or ending in ".yaml" is a path; anything else is
 * a name. */
static bool topology_is_path(const char *reference)
{
	size_t length = strlen(reference);

	return strchr(reference, '/') ||
	       (length > 5 && strcmp(reference + length - 5, ".yaml") == 0);
}

/* folder/../topologies, spelled short: "scenarios" gives "topologies",
 * "lib/scenarios" "lib/topologies", "." "../topologies". */
static void scenario_side_folder(const char *folder, char *out, size_t out_size)
{
	char copy[HS_PATH_MAX];
	const char *last = strrchr(folder, '/');
	const char *tail = last ? last + 1 : folder;

	if (strcmp(tail, ".") == 0 || strcmp(tail, "..") == 0) {
		snprintf(out, out_size, "%s/../topologies", folder);
		return;
	}
	snprintf(copy, sizeof(copy), "%s", folder);
	if (strcmp(dirname(copy), ".") == 0 && folder[0] != '.')
		snprintf(out, out_size, "topologies");
	else
		snprintf(out, out_size, "%s/topologies", copy);
}

/* Whether folder is one of the ", "-separated folders of list. */
static bool folder_listed(const char *list, const char *folder)
{
	size_t length = strlen(folder);

	for (const char *at = strstr(list, folder); at; at = strstr(at + 1, folder))
		if ((at == list || (at >= list + 2 && at[-2] == ',' && at[-1] == ' ')) &&
		    (at[length] == '\0' || at[length] == ','))
			return true;
	return false;
}

/* A bare name is looked up, in order, in the scenario's folder/../topologies
 * (a library keeps scenarios/ and topologies/ side by side), then in each
 * folder of search_path (separated by ':'). Into out the first NAME.yaml
 * that is readable; -1 with the folders tried, comma-separated, in tried. */
static int topology_search(const char *reference, const char *folder, const char *search_path,
			   char *out, size_t out_size, char *tried, size_t tried_size)
{
	char candidate[HS_PATH_MAX], directory[HS_PATH_MAX];
	const char *next = search_path, *colon;
	size_t used = 0, length;
	int written;

	tried[0] = '\0';
	scenario_side_folder(folder, directory, sizeof(directory));
	for (;;) {
		written =
		    snprintf(candidate, sizeof(candidate), "%s/%s.yaml", directory, reference);
		if (written > 0 && (size_t)written < sizeof(candidate) &&
		    access(candidate, R_OK) == 0) {
			snprintf(out, out_size, "%s", candidate);
			return 0;
		}
		written = folder_listed(tried, directory)
			      ? 0
			      : snprintf(tried + used, tried_size - used, "%s%s", used ? ", " : "",
					 directory);
		if (written > 0)
			used = used + (size_t)written < tried_size ? used + (size_t)written
								   : tried_size - 1;
		while (next && *next == ':')
			next++;
		if (!next || !*next)
			return -1;
		colon = strchr(next, ':');
		length = colon ? (size_t)(colon - next) : strlen(next);
		snprintf(directory, sizeof(directory), "%.*s", (int)length, next);
		next = colon ? colon + 1 : NULL;
	}
}

/* The scenario's `topology:`, or options->topology when it replaces it.
 * A path in the scenario is relative to the scenario's folder; a path
 * given as --topology is relative to the current folder. */
static int topology_path(struct hs_yaml *yaml, yaml_node_t *value,
			 const struct hs_load_options *options, struct hs_scenario *scenario)
{
	char reference[HS_PATH_MAX], copy[HS_PATH_MAX], folder[HS_PATH_MAX], tried[1024];
	const char *override = options ? options->topology : NULL;
	const char *search_path = options ? options->search_path : NULL;
	int written;

	if (hs_yaml_string(yaml, value, "topology", reference, sizeof(reference)) < 0)
		return -1;
	/* dirname() may modify its argument and return a pointer into it. */
	snprintf(copy, sizeof(copy), "%s", scenario->path);
	snprintf(folder, sizeof(folder), "%s", dirname(copy));
	if (override && override[0]) {
		snprintf(scenario->topology_override, sizeof(scenario->topology_override), "%s",
			 override);
		if (topology_is_path(override)) {
			written = snprintf(scenario->topology_path, HS_PATH_MAX, "%s", override);
			if (written < 0 || written >= HS_PATH_MAX || access(override, R_OK) != 0) {
				snprintf(yaml->error, yaml->error_size,
					 "--topology %s: no such topology file (%s)", override,
					 written >= HS_PATH_MAX ? "path too long"
								: strerror(errno));
				return -1;
			}
			return 0;
		}
		if (topology_search(override, folder, search_path, scenario->topology_path,
				    HS_PATH_MAX, tried, sizeof(tried)) < 0) {
			snprintf(yaml->error, yaml->error_size,
				 "--topology %s: no topology '%s' (looked for %s.yaml in: %s; "
				 "--topology-dir DIR and HALAB_TOPOLOGY_PATH add folders)",
				 override, override, override, tried);
			return -1;
		}
		return 0;
	}
	if (topology_is_path(reference)) {
		written = reference[0] == '/'
			      ? snprintf(scenario->topology_path, HS_PATH_MAX, "%s", reference)
			      : snprintf(scenario->topology_path, HS_PATH_MAX, "%s/%s", folder,
					 reference);
		if (written < 0 || written >= HS_PATH_MAX)
			return hs_yaml_fail(yaml, value, "topology", "path of '%s' is too long",
					    reference);
		if (access(scenario->topology_path, R_OK) != 0)
			return hs_yaml_fail(yaml, value, "topology",
					    "no topology '%s' (%s not readable)", reference,
					    scenario->topology_path);
		return 0;
	}
	if (topology_search(reference, folder, search_path, scenario->topology_path, HS_PATH_MAX,
			    tried, sizeof(tried)) < 0)
		return hs_yaml_fail(yaml, value, "topology",
				    "no topology '%s' (looked for %s.yaml in: %s; --topology-dir "
				    "DIR and HALAB_TOPOLOGY_PATH add folders)",
				    reference, reference, tried);
	return 0;
}

/* ------------------------------------------------------------ overrides */

static int node_override_parse(struct hs_yaml *yaml, yaml_node_t *key, yaml_node_t *value,
			       struct hs_topology *topology)
{
	static const char *const keys[] = {"model",	"firmware", "cpu",
					   "memory_mb", "disk_gb",  NULL};
	static const uint32_t max[] = {1024, 16777216, 1048576};
	char name[HS_NAME_MAX], field[HS_FIELD_MAX], path[HS_FIELD_MAX], known[HS_TEXT_MAX];
	struct hs_node_model *node;
	yaml_node_t *item;
	uint32_t model;

	HS_FIELD(field, "overrides.nodes");
	if (hs_yaml_name(yaml, key, field, name, sizeof(name)) < 0)
		return -1;
	node = (struct hs_node_model *)hs_topology_node(topology, name);
	if (!node) {
		hs_topology_node_list(topology, known, sizeof(known));
		return hs_yaml_fail(yaml, key, field, "unknown node '%s' (known: %s)", name, known);
	}
	HS_FIELD(field, "overrides.nodes.%s", name);
	if (hs_yaml_mapping(yaml, value, field, keys) < 0)
		return -1;
	node->override_line = hs_yaml_line(key);
	item = hs_yaml_get(yaml, value, "model");
	HS_FIELD(path, "%s.model", field);
	if (item && hs_yaml_enum(yaml, item, path, hs_model_names(), &model) < 0)
		return -1;
	if (item)
		snprintf(node->model, sizeof(node->model), "%s", hs_model_names()[model]);
	item = hs_yaml_get(yaml, value, "firmware");
	HS_FIELD(path, "%s.firmware", field);
	if (item && hs_yaml_string(yaml, item, path, node->firmware, HS_NAME_MAX) < 0)
		return -1;
	if (item && !hs_version_valid(node->firmware))
		return hs_yaml_fail(yaml, item, path, "'%s' is not a version major.minor.patch",
				    node->firmware);
	uint32_t *sizes[] = {&node->cpu_count, &node->memory_mb, &node->disk_gb};
	for (size_t i = 0; i < 3; i++) {
		item = hs_yaml_get(yaml, value, keys[i + 2]);
		HS_FIELD(path, "%s.%s", field, keys[i + 2]);
		if (item && hs_yaml_uint(yaml, item, path, 1, max[i], sizes[i]) < 0)
			return -1;
	}
	return 0;
}

static int overrides_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_topology *topology)
{
	static const char *const keys[] = {"tiebreaker", "ping_targets", "timers", "nodes", NULL};
	static const char *const tiebreakers[] = {"none", "ping", "fence", NULL};
	yaml_node_t *value, *key, *item;
	uint32_t index;

	if (hs_yaml_mapping(yaml, node, "overrides", keys) < 0)
		return -1;
	value = hs_yaml_get(yaml, node, "tiebreaker");
	if (value) {
		if (hs_yaml_enum(yaml, value, "overrides.tiebreaker", tiebreakers, &index) < 0)
			return -1;
		snprintf(topology->tiebreaker, sizeof(topology->tiebreaker), "%s",
			 tiebreakers[index]);
	}
	value = hs_yaml_get(yaml, node, "ping_targets");
	if (value && hs_ping_targets_parse(yaml, value, "overrides.ping_targets", topology) < 0)
		return -1;
	value = hs_yaml_get(yaml, node, "timers");
	if (value && hs_timers_parse(yaml, value, "overrides.timers", &topology->timers) < 0)
		return -1;
	value = hs_yaml_get(yaml, node, "nodes");
	if (!value)
		return 0;
	if (hs_yaml_mapping(yaml, value, "overrides.nodes", NULL) < 0)
		return -1;
	for (uint32_t i = 0; i < hs_yaml_pair_count(value); i++) {
		hs_yaml_pair(yaml, value, i, &key, &item);
		if (node_override_parse(yaml, key, item, topology) < 0)
			return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- client */

static int client_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_scenario *scenario)
{
	static const char *const keys[] = {"enabled",	 "rate_per_s", "resolution_ms",
					   "timeout_ms", "start",      NULL};
	yaml_node_t *value;

	if (hs_yaml_mapping(yaml, node, "client", keys) < 0)
		return -1;
	scenario->client.enabled = true;
	value = hs_yaml_get(yaml, node, "enabled");
	if (value && hs_yaml_bool(yaml, value, "client.enabled", &scenario->client.enabled) < 0)
		return -1;
	value = hs_yaml_get(yaml, node, "rate_per_s");
	if (value && hs_yaml_uint(yaml, value, "client.rate_per_s", 1, 1000,
				  &scenario->client.rate_per_s) < 0)
		return -1;
	value = hs_yaml_get(yaml, node, "resolution_ms");
	if (value && hs_yaml_uint(yaml, value, "client.resolution_ms", 1, 1000,
				  &scenario->client.resolution_ms) < 0)
		return -1;
	value = hs_yaml_get(yaml, node, "timeout_ms");
	if (value && hs_yaml_uint(yaml, value, "client.timeout_ms", 10, 10000,
				  &scenario->client.timeout_ms) < 0)
		return -1;
	value = hs_yaml_get(yaml, node, "start");
	if (value && hs_anchor_check(yaml, value, "client.start", scenario, scenario->step_count,
				     scenario->client.start) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------- the file */

static int header_parse(struct hs_yaml *yaml, yaml_node_t *root, struct hs_scenario *scenario)
{
	yaml_node_t *value;

	if (hs_yaml_require(yaml, root, "scenario", "name", &value) < 0 ||
	    hs_yaml_name(yaml, value, "name", scenario->name, sizeof(scenario->name)) < 0)
		return -1;
	value = hs_yaml_get(yaml, root, "description");
	if (value && hs_yaml_string(yaml, value, "description", scenario->description,
				    sizeof(scenario->description)) < 0)
		return -1;
	value = hs_yaml_get(yaml, root, "settle_ms");
	if (value && hs_yaml_uint(yaml, value, "settle_ms", 0, 600000, &scenario->settle_ms) < 0)
		return -1;
	value = hs_yaml_get(yaml, root, "timeout_ms");
	if (value &&
	    hs_yaml_uint(yaml, value, "timeout_ms", 1000, 3600000, &scenario->timeout_ms) < 0)
		return -1;
	return 0;
}

static int scenario_parse(struct hs_yaml *yaml, const struct hs_load_options *options,
			  struct hs_scenario *scenario)
{
	static const char *const keys[] = {"name",	"description", "topology",   "requires",
					   "overrides", "settle_ms",   "timeout_ms", "client",
					   "steps",	"expect",      NULL};
	yaml_node_t *root = hs_yaml_root(yaml), *value, *heartbeat;
	int met;

	if (hs_yaml_mapping(yaml, root, "scenario", keys) < 0 ||
	    header_parse(yaml, root, scenario) < 0 ||
	    hs_yaml_require(yaml, root, "scenario", "topology", &value) < 0 ||
	    topology_path(yaml, value, options, scenario) < 0 ||
	    hs_topology_load(scenario->topology_path, &scenario->topology, yaml->error,
			     yaml->error_size) < 0)
		return -1;
	/* On the topology as loaded (before the overrides, which may stage
	 * another model), and before the steps: they may name ports the
	 * topology lacks. */
	value = hs_yaml_get(yaml, root, "requires");
	if (value && (met = hs_requires_parse(yaml, value, scenario)) != 0)
		return met;
	value = hs_yaml_get(yaml, root, "overrides");
	if (value && overrides_parse(yaml, value, &scenario->topology) < 0)
		return -1;
	scenario->overrides_line = hs_yaml_line(value);
	/* An override of dead_time_ms alone may undercut the topology's
	 * heartbeat: check the merged timers again, at the override. */
	heartbeat = hs_yaml_get(yaml, value, "timers");
	if (value && hs_timers_check(yaml, heartbeat ? heartbeat : value, "overrides.timers",
				     &scenario->topology.timers) < 0)
		return -1;
	if (hs_yaml_require(yaml, root, "scenario", "steps", &value) < 0 ||
	    hs_steps_parse(yaml, value, scenario) < 0)
		return -1;
	value = hs_yaml_get(yaml, root, "client");
	if (value && client_parse(yaml, value, scenario) < 0)
		return -1;
	if (hs_yaml_require(yaml, root, "scenario", "expect", &value) < 0)
		return -1;
	return hs_expects_parse(yaml, value, scenario);
}

int hs_scenario_load_with(const char *path, const struct hs_load_options *options,
			  struct hs_scenario *scenario, char *error, size_t error_size)
{
	struct hs_yaml yaml;
	int result = -1;

	scenario_defaults(scenario);
	snprintf(scenario->path, sizeof(scenario->path), "%s", path);
	if (hs_yaml_open(&yaml, path, error, error_size) < 0)
		goto cleanup;
	result = scenario_parse(&yaml, options, scenario);
cleanup:
	hs_yaml_close(&yaml);
	return result;
}

int hs_scenario_load(const char *path, const char *topology_dir, struct hs_scenario *scenario,
		     char *error, size_t error_size)
{
	struct hs_load_options options = {.search_path = topology_dir};

	return hs_scenario_load_with(path, &options, scenario, error, error_size);
}

int hs_scenario_load_buffer(const char *path, const void *data, size_t size,
			    const char *topology_dir, struct hs_scenario *scenario, char *error,
			    size_t error_size)
{
	struct hs_load_options options = {.search_path = topology_dir};
	struct hs_yaml yaml;
	int result = -1;

	scenario_defaults(scenario);
	snprintf(scenario->path, sizeof(scenario->path), "%s", path);
	if (hs_yaml_open_buffer(&yaml, path, data, size, error, error_size) < 0)
		goto cleanup;
	result = scenario_parse(&yaml, &options, scenario);
cleanup:
	hs_yaml_close(&yaml);
	return result;
}

/* ------------------------------------------------------------ file kind */

/* A scenario names its topology and has steps and expectations; a topology
 * has the cluster, switches and nodes. Decided on the loaded document, so
 * flow style ({name: x, topology: y, ...}), comments and key order do not
 * matter. */
int hs_model_file_kind(const char *path, enum hs_file_kind *kind, char *error, size_t error_size)
{
	static const char *const scenario_keys[] = {"topology", "steps", "expect", NULL};
	static const char *const topology_keys[] = {"cluster", "switches", "nodes", NULL};
	struct hs_yaml yaml;
	yaml_node_t *root;
	int result = -1;

	*kind = HS_FILE_UNKNOWN;
	if (hs_yaml_open(&yaml, path, error, error_size) < 0)
		goto cleanup;
	root = hs_yaml_root(&yaml);
	for (size_t i = 0; scenario_keys[i] && *kind == HS_FILE_UNKNOWN; i++)
		if (hs_yaml_get(&yaml, root, scenario_keys[i]))
			*kind = HS_FILE_SCENARIO;
	for (size_t i = 0; topology_keys[i] && *kind == HS_FILE_UNKNOWN; i++)
		if (hs_yaml_get(&yaml, root, topology_keys[i]))
			*kind = HS_FILE_TOPOLOGY;
	if (*kind == HS_FILE_UNKNOWN) {
		hs_yaml_fail(&yaml, root, "file",
			     "neither a scenario (with topology, steps, expect) nor a topology "
			     "(with cluster, switches, nodes)");
		goto cleanup;
	}
	result = 0;
cleanup:
	hs_yaml_close(&yaml);
	return result;
}
