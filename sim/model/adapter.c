/*
 * adapter.c - nodes/<name>/adapter.yaml into a struct hs_adapter (adapter.h).
 *
 * The file is checked like a topology (yaml_walk.c: unknown keys, types and
 * sizes, each error "FILE:LINE: FIELD: reason"); templates are only named
 * here and must exist; binaries are looked up when a run starts (a lint of
 * the adapter needs none installed). The format, with an example per
 * field, is in nodes/README.md.
 */
#include "adapter.h"
#include "yaml_walk.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const capability_names[HS_CAP_COUNT + 1] = {
    "replicated_data", "maintenance",	 "switchover",	"fencing",
    "ping_tiebreaker", "sync_link",	 "firmware",	"cluster_admin",
    "raid_check",      "services_check", "notify_hook", NULL};

const char *hs_capability_name(uint32_t capability)
{
	for (int i = 0; i < HS_CAP_COUNT; i++)
		if (capability == (1u << i))
			return capability_names[i];
	return NULL;
}

uint32_t hs_capability_parse(const char *name)
{
	for (int i = 0; i < HS_CAP_COUNT; i++)
		if (strcmp(capability_names[i], name) == 0)
			return 1u << i;
	return 0;
}

void hs_capability_list(uint32_t capabilities, char *out, size_t out_size)
{
	size_t used = 0;

	if (out_size == 0)
		return;
	out[0] = '\0';
	for (int i = 0; i < HS_CAP_COUNT && used < out_size; i++)
		if (capabilities & (1u << i))
			used += (size_t)snprintf(out + used, out_size - used, "%s%s",
						 used ? "," : "", capability_names[i]);
}

/* ------------------------------------------------------------- parsing */

static int adapter_files(struct hs_yaml *yaml, yaml_node_t *node, struct hs_adapter *adapter)
{
	static const char *const keys[] = {"template", "name", "executable", NULL};
	char field[HS_FIELD_MAX], template_name[HS_NAME_MAX * 2];
	uint32_t count;

	if (hs_yaml_sequence(yaml, node, "files", 0, HS_ADAPTER_FILES_MAX, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *item = hs_yaml_item(yaml, node, i), *value;
		struct hs_adapter_file *file = &adapter->files[i];
		HS_FIELD(field, "files[%u]", i);
		if (hs_yaml_mapping(yaml, item, field, keys) < 0 ||
		    hs_yaml_require(yaml, item, field, "template", &value) < 0 ||
		    hs_yaml_name(yaml, value, field, template_name, sizeof(template_name)) < 0)
			return -1;
		snprintf(file->template_path, sizeof(file->template_path), "%s/%s", adapter->dir,
			 template_name);
		if (access(file->template_path, R_OK) < 0)
			return hs_yaml_fail(yaml, value, field, "template %s cannot be read",
					    file->template_path);
		snprintf(file->name, sizeof(file->name), "%s", template_name);
		value = hs_yaml_get(yaml, item, "name");
		if (value && hs_yaml_name(yaml, value, field, file->name, sizeof(file->name)) < 0)
			return -1;
		value = hs_yaml_get(yaml, item, "executable");
		if (value && hs_yaml_bool(yaml, value, field, &file->executable) < 0)
			return -1;
	}
	adapter->file_count = count;
	return 0;
}

static int adapter_admin(struct hs_yaml *yaml, yaml_node_t *node, struct hs_adapter *adapter)
{
	char field[HS_FIELD_MAX];
	uint32_t count = node ? hs_yaml_pair_count(node) : 0;

	if (!node)
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return hs_yaml_fail(yaml, node, "admin", "must be a mapping of request: command");
	if (count > HS_ADAPTER_ADMIN_MAX)
		return hs_yaml_fail(yaml, node, "admin", "at most %d requests",
				    HS_ADAPTER_ADMIN_MAX);
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *key, *value;
		struct hs_adapter_admin *admin = &adapter->admin[i];
		hs_yaml_pair(yaml, node, i, &key, &value);
		if (hs_yaml_string(yaml, key, "admin", admin->request, sizeof(admin->request)) < 0)
			return -1;
		HS_FIELD(field, "admin.%s", admin->request);
		if (hs_yaml_string(yaml, value, field, admin->command, sizeof(admin->command)) < 0)
			return -1;
	}
	adapter->admin_count = count;
	return 0;
}

/* A list of capability names into *capabilities (bits); where names the
 * field ("capabilities", "profiles[2].capabilities"). */
static int adapter_capabilities(struct hs_yaml *yaml, yaml_node_t *node, const char *where,
				uint32_t *capabilities)
{
	char field[HS_FIELD_MAX], name[HS_NAME_MAX], known[256];
	uint32_t count;

	if (hs_yaml_sequence(yaml, node, where, 0, HS_CAP_COUNT, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *item = hs_yaml_item(yaml, node, i);
		uint32_t bit;
		HS_FIELD(field, "%s[%u]", where, i);
		if (hs_yaml_name(yaml, item, field, name, sizeof(name)) < 0)
			return -1;
		bit = hs_capability_parse(name);
		if (!bit) {
			hs_capability_list(HS_CAP_ALL, known, sizeof(known));
			return hs_yaml_fail(yaml, item, field,
					    "unknown capability '%s' (known: %s)", name, known);
		}
		if (*capabilities & bit)
			return hs_yaml_fail(yaml, item, field, "'%s' listed twice", name);
		*capabilities |= bit;
	}
	return 0;
}

static const char *const backend_names[] = {"native", "libvirt", "virtual", NULL};

static int adapter_backends(struct hs_yaml *yaml, yaml_node_t *node, struct hs_adapter *adapter)
{
	char field[HS_FIELD_MAX];
	uint32_t count, index;

	if (hs_yaml_sequence(yaml, node, "backends", 1, 3, &count) < 0)
		return -1;
	adapter->backends = 0;
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *item = hs_yaml_item(yaml, node, i);
		HS_FIELD(field, "backends[%u]", i);
		if (hs_yaml_enum(yaml, item, field, backend_names, &index) < 0)
			return -1;
		if (adapter->backends & (1u << index))
			return hs_yaml_fail(yaml, item, field, "'%s' listed twice",
					    backend_names[index]);
		adapter->backends |= 1u << index;
	}
	return 0;
}

bool hs_adapter_runs_on(const struct hs_adapter *adapter, const char *backend)
{
	for (int i = 0; backend_names[i]; i++)
		if (strcmp(backend_names[i], backend) == 0)
			return (adapter->backends & (1u << i)) != 0;
	return false;
}

bool hs_adapter_skip_reason(const struct hs_scenario *scenario, const struct hs_adapter *adapter,
			    const char *backend, char *reason, size_t reason_size)
{
	char why[HS_ERROR_MAX], names[256], runs_on[64] = "";
	uint32_t gap;

	reason[0] = '\0';
	if (!hs_adapter_runs_on(adapter, backend)) {
		uint32_t listed = 0, count = 0;

		for (int i = 0; backend_names[i]; i++)
			count += (adapter->backends >> i) & 1u;
		for (int i = 0; backend_names[i]; i++)
			if (adapter->backends & (1u << i)) {
				listed++;
				snprintf(runs_on + strlen(runs_on),
					 sizeof(runs_on) - strlen(runs_on), "%s%s",
					 listed == 1	   ? ""
					 : listed == count ? " and "
							   : ", ",
					 backend_names[i]);
			}
		snprintf(reason, reason_size,
			 "node adapter %s runs on the %s backend%s only, not %s", adapter->name,
			 runs_on, count > 1 ? "s" : "", backend);
		return true;
	}
	gap = hs_adapter_scenario_gap(scenario, adapter->capabilities, why, sizeof(why));
	if (!gap)
		return false;
	hs_capability_list(gap, names, sizeof(names));
	snprintf(reason, reason_size, "node adapter %s lacks %s: %s", adapter->name, names, why);
	return true;
}

static int adapter_profiles(struct hs_yaml *yaml, yaml_node_t *node, struct hs_adapter *adapter)
{
	static const char *const keys[] = {"name", "vars", "capabilities", NULL};
	char field[HS_FIELD_MAX];
	uint32_t count;

	if (hs_yaml_sequence(yaml, node, "profiles", 1, HS_ADAPTER_PROFILES_MAX, &count) < 0)
		return -1;
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *item = hs_yaml_item(yaml, node, i), *value, *vars;
		struct hs_adapter_profile *profile = &adapter->profiles[i];
		HS_FIELD(field, "profiles[%u]", i);
		if (hs_yaml_mapping(yaml, item, field, keys) < 0 ||
		    hs_yaml_require(yaml, item, field, "name", &value) < 0 ||
		    hs_yaml_name(yaml, value, field, profile->name, sizeof(profile->name)) < 0 ||
		    hs_yaml_require(yaml, item, field, "vars", &vars) < 0)
			return -1;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(adapter->profiles[j].name, profile->name) == 0)
				return hs_yaml_fail(yaml, value, field, "profile '%s' twice",
						    profile->name);
		if (vars->type != YAML_MAPPING_NODE ||
		    hs_yaml_pair_count(vars) > HS_ADAPTER_PROFILE_VARS_MAX)
			return hs_yaml_fail(yaml, vars, field,
					    "vars must be a mapping of at most %d names",
					    HS_ADAPTER_PROFILE_VARS_MAX);
		value = hs_yaml_get(yaml, item, "capabilities");
		HS_FIELD(field, "profiles[%u].capabilities", i);
		if (value && adapter_capabilities(yaml, value, field, &profile->capabilities) < 0)
			return -1;
		profile->var_count = hs_yaml_pair_count(vars);
		for (uint32_t v = 0; v < profile->var_count; v++) {
			yaml_node_t *key, *text;
			hs_yaml_pair(yaml, vars, v, &key, &text);
			HS_FIELD(field, "profiles[%u].vars", i);
			if (hs_yaml_name(yaml, key, field, profile->var_names[v], HS_NAME_MAX) <
				0 ||
			    hs_yaml_string(yaml, text, field, profile->var_values[v], HS_TEXT_MAX) <
				0)
				return -1;
		}
	}
	adapter->profile_count = count;
	return 0;
}

static int adapter_parse(struct hs_yaml *yaml, struct hs_adapter *adapter, const char *profile)
{
	static const char *const keys[] = {"name",     "description", "install", "binaries",
					   "files",    "start",	      "service", "stop_signal",
					   "control",  "admin",	      "records", "capabilities",
					   "profiles", "backends",    NULL};
	static const char *const controls[] = {"socket", "commands", NULL};
	static const char *const records[] = {"node", "notify", NULL};
	static const char *const signals[] = {"TERM", "INT", "QUIT", "HUP", NULL};
	static const int signal_numbers[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP};
	yaml_node_t *root = hs_yaml_root(yaml), *value;
	char field[HS_FIELD_MAX];
	uint32_t count, index;

	if (hs_yaml_mapping(yaml, root, "adapter", keys) < 0 ||
	    hs_yaml_require(yaml, root, "", "name", &value) < 0 ||
	    hs_yaml_name(yaml, value, "name", adapter->name, sizeof(adapter->name)) < 0 ||
	    hs_yaml_require(yaml, root, "", "start", &value) < 0 ||
	    hs_yaml_string(yaml, value, "start", adapter->start, sizeof(adapter->start)) < 0 ||
	    hs_yaml_require(yaml, root, "", "records", &value) < 0 ||
	    hs_yaml_enum(yaml, value, "records", records, &index) < 0)
		return -1;
	snprintf(adapter->records, sizeof(adapter->records), "%s", records[index]);
	if ((value = hs_yaml_get(yaml, root, "description")) &&
	    hs_yaml_string(yaml, value, "description", adapter->description,
			   sizeof(adapter->description)) < 0)
		return -1;
	if ((value = hs_yaml_get(yaml, root, "install")) &&
	    hs_yaml_string(yaml, value, "install", adapter->install, sizeof(adapter->install)) < 0)
		return -1;
	if ((value = hs_yaml_get(yaml, root, "service")) &&
	    hs_yaml_string(yaml, value, "service", adapter->service, sizeof(adapter->service)) < 0)
		return -1;
	adapter->stop_signal = SIGTERM;
	if ((value = hs_yaml_get(yaml, root, "stop_signal"))) {
		if (hs_yaml_enum(yaml, value, "stop_signal", signals, &index) < 0)
			return -1;
		adapter->stop_signal = signal_numbers[index];
	}
	if ((value = hs_yaml_get(yaml, root, "control"))) {
		if (hs_yaml_enum(yaml, value, "control", controls, &index) < 0)
			return -1;
		adapter->control_socket = index == 0;
	}
	if ((value = hs_yaml_get(yaml, root, "binaries"))) {
		if (hs_yaml_sequence(yaml, value, "binaries", 0, HS_ADAPTER_BINARIES_MAX, &count) <
		    0)
			return -1;
		for (uint32_t i = 0; i < count; i++) {
			HS_FIELD(field, "binaries[%u]", i);
			if (hs_yaml_name(yaml, hs_yaml_item(yaml, value, i), field,
					 adapter->binaries[i], HS_NAME_MAX) < 0)
				return -1;
		}
		adapter->binary_count = count;
	}
	if ((value = hs_yaml_get(yaml, root, "files")) && adapter_files(yaml, value, adapter) < 0)
		return -1;
	if (adapter_admin(yaml, hs_yaml_get(yaml, root, "admin"), adapter) < 0)
		return -1;
	if (adapter->control_socket && adapter->admin_count)
		return hs_yaml_fail(yaml, hs_yaml_get(yaml, root, "admin"), "admin",
				    "control: socket takes every request; admin commands are for "
				    "control: commands");
	if ((value = hs_yaml_get(yaml, root, "capabilities")) &&
	    adapter_capabilities(yaml, value, "capabilities", &adapter->capabilities) < 0)
		return -1;
	adapter->backends = HS_ADAPTER_NATIVE;
	if ((value = hs_yaml_get(yaml, root, "backends")) &&
	    adapter_backends(yaml, value, adapter) < 0)
		return -1;
	if ((value = hs_yaml_get(yaml, root, "profiles")) &&
	    adapter_profiles(yaml, value, adapter) < 0)
		return -1;
	if (adapter->profile_count)
		adapter->profile = &adapter->profiles[0];
	if (profile && profile[0]) {
		adapter->profile = NULL;
		for (uint32_t i = 0; i < adapter->profile_count; i++)
			if (strcmp(adapter->profiles[i].name, profile) == 0)
				adapter->profile = &adapter->profiles[i];
		if (!adapter->profile)
			return hs_yaml_fail(yaml, hs_yaml_get(yaml, root, "profiles"), "profiles",
					    "no profile '%s' in adapter %s", profile,
					    adapter->name);
	}
	/* A profile may add capabilities (Pacemaker's fence profile: fencing). */
	if (adapter->profile)
		adapter->capabilities |= adapter->profile->capabilities;
	return 0;
}

int hs_adapter_load(const char *nodes_dir, const char *name, const char *profile,
		    struct hs_adapter *adapter, char *error, size_t error_size)
{
	struct hs_yaml yaml;
	int result = -1;
	char *slash, real[PATH_MAX];

	memset(adapter, 0, sizeof(*adapter));
	if (strchr(name, '/')) {
		size_t length = strlen(name);
		if (length > 5 && strcmp(name + length - 5, ".yaml") == 0)
			snprintf(adapter->path, sizeof(adapter->path), "%s", name);
		else
			snprintf(adapter->path, sizeof(adapter->path), "%s/adapter.yaml", name);
	} else {
		snprintf(adapter->path, sizeof(adapter->path), "%s/%s/adapter.yaml", nodes_dir,
			 name);
	}
	snprintf(adapter->dir, sizeof(adapter->dir), "%s", adapter->path);
	slash = strrchr(adapter->dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(adapter->dir, sizeof(adapter->dir), ".");
	if (access(adapter->path, R_OK) < 0) {
		snprintf(error, error_size, "%s: no such adapter (nodes/<name>/adapter.yaml)",
			 adapter->path);
		return -1;
	}
	/* Commands run in the node with the adapter's folder: make it absolute. */
	if (realpath(adapter->dir, real))
		snprintf(adapter->dir, sizeof(adapter->dir), "%s", real);
	if (hs_yaml_open(&yaml, adapter->path, error, error_size) < 0)
		goto cleanup;
	result = adapter_parse(&yaml, adapter, profile);
cleanup:
	hs_yaml_close(&yaml);
	return result;
}
