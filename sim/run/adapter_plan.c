/*
 * adapter_plan.c - an adapter's files and commands for one node of a run.
 *
 * hasim provides the variables below to every template and command of an
 * adapter (nodes/README.md lists them with examples); a profile of the
 * adapter adds its own (advert_int = 0.1), and a profile's variable may
 * not shadow one of hasim's. Files are rendered into the node's state
 * folder (<state_dir>/<node>/<name>, {{config_dir}}) at plan time and
 * again before a firmware update; commands are rendered when they run.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

struct adapter_vars {
	const struct hs_run *run;
	const struct hs_node_runtime *node;
	char buffer[HS_PATH_MAX * 2];
	char profile_value[HS_TEXT_MAX * 2];
};

static void vars_address(const char *cidr, char *out, size_t size, bool prefix)
{
	const char *slash = strchr(cidr, '/');
	if (prefix)
		snprintf(out, size, "%s", slash ? slash + 1 : "32");
	else
		snprintf(out, size, "%.*s", slash ? (int)(slash - cidr) : (int)strlen(cidr), cidr);
}

static const struct hs_node_model *vars_peer(const struct hs_run *run,
					     const struct hs_node_model *self)
{
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		if (&run->scenario.topology.nodes[i] != self)
			return &run->scenario.topology.nodes[i];
	return self;
}

/* On guests (the libvirt backend) the paths are the guest's own
 * (sim/guest/init): the adapter's files in /etc/halab/node, the cluster log
 * that hnagent streams to the host, the real /proc/mdstat of md0, and the
 * fence request through the agent. NULL: not a path that differs. */
static const char *vars_guest(const char *name, const struct hs_node_model *peer, char *out,
			      size_t size)
{
	static const char *const paths[][2] = {
	    {"bin_dir", "/usr/sbin"},
	    {"state_dir", "/etc/halab"},
	    {"config_dir", "/etc/halab/node"},
	    {"data_dir", "/data/node"},
	    {"key_file", "/etc/halab/cluster.key"},
	    {"log", "/var/log/halab/cluster.log"},
	    {"control_socket", "/run/hanode/control.sock"},
	    {"mdstat", "/proc/mdstat"},
	    {"notify_file", "/var/log/halab/notify.jsonl"},
	    {"run_dir", "/var/log/halab"},
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strcmp(name, paths[i][0]) == 0)
			return paths[i][1];
	if (strcmp(name, "fence_command") == 0) {
		snprintf(out, size, "/sbin/hnagent -F %s", peer->name);
		return out;
	}
	return NULL;
}

/* The value of one of hasim's variables, or NULL. */
static const char *vars_hasim(struct adapter_vars *vars, const char *name)
{
	const struct hs_run *run = vars->run;
	const struct hs_topology *topology = &run->scenario.topology;
	const struct hs_node_model *self = vars->node->model, *peer = vars_peer(run, self);
	const struct hs_timers_model *timers = &topology->timers;
	char *out = vars->buffer;
	size_t size = sizeof(vars->buffer);
	const char *state_dir = run->state_dir[0] ? run->state_dir : "/run/halab/virtual";
	const char *guest = run->backend && strcmp(run->backend->name, "libvirt") == 0
				? vars_guest(name, peer, out, size)
				: NULL;

	if (guest)
		return guest;

#define VAR_TEXT(key, value)                                                                       \
	if (strcmp(name, key) == 0) {                                                              \
		snprintf(out, size, "%s", value);                                                  \
		return out;                                                                        \
	}
#define VAR_UINT(key, value)                                                                       \
	if (strcmp(name, key) == 0) {                                                              \
		snprintf(out, size, "%u", (unsigned)(value));                                      \
		return out;                                                                        \
	}
	VAR_TEXT("run_id", run->run_id);
	VAR_TEXT("run_dir", run->run_dir);
	VAR_TEXT("bin_dir", run->bin_dir);
	VAR_TEXT("hasim", run->self_path);
	VAR_TEXT("adapter_dir", run->adapter.dir);
	VAR_TEXT("node", self->name);
	VAR_UINT("node_id", self->id);
	VAR_UINT("node_number", (uint32_t)(self - topology->nodes) + 1);
	VAR_TEXT("peer", peer->name);
	VAR_UINT("peer_id", peer->id);
	VAR_TEXT("model", self->model);
	VAR_UINT("cpu_count", self->cpu_count);
	VAR_UINT("memory_mb", self->memory_mb);
	VAR_UINT("disk_gb", self->disk_gb);
	VAR_TEXT("firmware", vars->node->firmware);
	VAR_TEXT("external_interface", "bond0");
	VAR_TEXT("sync_interface", "bond1");
	if (strcmp(name, "external_address") == 0 || strcmp(name, "external_peer") == 0 ||
	    strcmp(name, "sync_address") == 0 || strcmp(name, "sync_peer") == 0) {
		const struct hs_node_model *who = strstr(name, "peer") ? peer : self;
		int network = strncmp(name, "sync", 4) == 0 ? HS_NETWORK_SYNC : HS_NETWORK_EXTERNAL;
		vars_address(who->interfaces[network].address, out, size, false);
		return out;
	}
	if (strcmp(name, "cluster_ip") == 0 || strcmp(name, "cluster_prefix") == 0) {
		vars_address(topology->cluster_ip, out, size, name[8] == 'p');
		return out;
	}
	VAR_TEXT("cluster_ip_cidr", topology->cluster_ip);
	if (strcmp(name, "heartbeat_interval_s") == 0 || strcmp(name, "dead_time_s") == 0 ||
	    strcmp(name, "dead_time_third_s") == 0) {
		uint32_t ms = name[0] == 'h'	? timers->heartbeat_interval_ms
			      : name[10] == 't' ? timers->dead_time_ms / 3
						: timers->dead_time_ms;
		snprintf(out, size, "%u.%03u", ms / 1000, ms % 1000);
		return out;
	}
	VAR_UINT("heartbeat_interval_ms", timers->heartbeat_interval_ms);
	VAR_UINT("dead_time_ms", timers->dead_time_ms);
	VAR_UINT("wait_for_peer_ms", timers->wait_for_peer_ms);
	VAR_UINT("fence_delay_ms", timers->fence_delay_ms);
	VAR_UINT("health_interval_ms", timers->health_interval_ms);
	VAR_UINT("ping_timeout_ms", timers->health_interval_ms / 2);
	VAR_TEXT("tiebreaker", topology->tiebreaker);
	if (strcmp(name, "ping_targets") == 0) {
		size_t used = 0;
		out[0] = '\0';
		for (uint32_t i = 0; i < topology->ping_target_count && used < size; i++)
			used += (size_t)snprintf(out + used, size - used, "%s%s", i ? " " : "",
						 topology->ping_targets[i]);
		return out;
	}
	VAR_TEXT("ping_target", topology->ping_target_count ? topology->ping_targets[0] : "");
	VAR_TEXT("gateway", topology->gateway);
	VAR_TEXT("state_dir", state_dir);
	if (strcmp(name, "config_dir") == 0) {
		snprintf(out, size, "%s/%s", state_dir, self->name);
		return out;
	}
	if (strcmp(name, "data_dir") == 0) {
		snprintf(out, size, "%s/%s/data", state_dir, self->name);
		return out;
	}
	if (strcmp(name, "key_file") == 0) {
		snprintf(out, size, "%s/cluster.key", state_dir);
		return out;
	}
	VAR_TEXT("log", vars->node->plan.log_path);
	VAR_TEXT("control_socket", vars->node->plan.control_path);
	VAR_TEXT("mdstat", vars->node->plan.mdstat_path);
	VAR_TEXT("raid_array", vars->node->plan.raid ? "md0" : ""); /* "": the model has none */
	if (strcmp(name, "services_status") == 0) {
		hs_plan_services_command(run, vars->node, out, size);
		return out;
	}
	if (strcmp(name, "notify_file") == 0) {
		snprintf(out, size, "%s/nodes/%s/notify.jsonl", run->run_dir, self->name);
		return out;
	}
	if (strcmp(name, "fence_command") == 0) {
		char program[HS_PATH_MAX + 16];

		/* The same command hanode's own config gets (plan.c). */
		hs_plan_fence_command(run, program, sizeof(program));
		snprintf(out, size, "%s --socket %s/hasim.sock %s", program, state_dir, peer->name);
		return out;
	}
	VAR_UINT("store_port", 7000);
#undef VAR_TEXT
#undef VAR_UINT
	return NULL;
}

static const char *vars_hasim_lookup(void *context, const char *name)
{
	return vars_hasim(context, name);
}

/* hasim's variables, then the profile's; a profile's value may use
 * hasim's ({{dead_time_third_s}}), not another profile variable. */
static const char *vars_lookup(void *context, const char *name)
{
	struct adapter_vars *vars = context;
	const struct hs_adapter_profile *profile = vars->run->adapter.profile;
	const char *value = vars_hasim(vars, name);
	char error[HS_TEXT_MAX];

	if (value)
		return value;
	for (uint32_t i = 0; profile && i < profile->var_count; i++)
		if (strcmp(profile->var_names[i], name) == 0) {
			if (hs_template_render(vars->run->adapter.path, profile->var_values[i],
					       vars_hasim_lookup, vars, vars->profile_value,
					       sizeof(vars->profile_value), error,
					       sizeof(error)) < 0)
				return NULL; /* named as unknown, with the template's line */
			return vars->profile_value;
		}
	if (strcmp(name, "profile") == 0)
		return profile ? profile->name : "";
	return NULL;
}

int hs_adapter_render(const struct hs_run *run, const struct hs_node_runtime *node,
		      const char *what, const char *text, char *out, size_t out_size, char *error,
		      size_t error_size)
{
	struct adapter_vars vars = {.run = run, .node = node};
	return hs_template_render(what, text, vars_lookup, &vars, out, out_size, error, error_size);
}

/* Read a template whole (they are small: HS_ADAPTER_TEXT_MAX). */
static int adapter_read(const char *path, char *text, size_t size, char *error, size_t error_size)
{
	FILE *file = fopen(path, "r");
	size_t length;

	if (!file) {
		snprintf(error, error_size, "adapter template %s: %s", path, strerror(errno));
		return -1;
	}
	length = fread(text, 1, size - 1, file);
	text[length] = '\0';
	if (!feof(file)) {
		fclose(file);
		snprintf(error, error_size, "adapter template %s: longer than %zu bytes", path,
			 size - 1);
		return -1;
	}
	fclose(file);
	return 0;
}

int hs_adapter_write_files(struct hs_run *run, struct hs_node_runtime *node, char *error,
			   size_t error_size)
{
	static char text[HS_ADAPTER_TEXT_MAX], rendered[HS_ADAPTER_TEXT_MAX];
	char path[HS_PATH_MAX * 2];

	for (uint32_t i = 0; i < run->adapter.file_count; i++) {
		const struct hs_adapter_file *file = &run->adapter.files[i];
		FILE *out;
		int failed;
		if (adapter_read(file->template_path, text, sizeof(text), error, error_size) < 0 ||
		    hs_adapter_render(run, node, file->template_path, text, rendered,
				      sizeof(rendered), error, error_size) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s/%s/%s", run->state_dir, node->model->name,
			 file->name);
		out = fopen(path, "w");
		failed = !out || fputs(rendered, out) < 0;
		if ((out && fclose(out) != 0) || failed ||
		    chmod(path, file->executable ? 0755 : 0644) < 0) {
			snprintf(error, error_size, "hs_adapter_write_files: %s: %s", path,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

const struct hs_adapter_admin *hs_adapter_admin_find(const struct hs_adapter *adapter,
						     const char *request)
{
	for (uint32_t i = 0; i < adapter->admin_count; i++)
		if (strcmp(adapter->admin[i].request, request) == 0)
			return &adapter->admin[i];
	return NULL;
}

/* run.json's node_adapter (capability.c in sim/check reads it). */
void hs_adapter_summary(const struct hs_run *run, json_t *summary)
{
	json_t *adapter, *capabilities;

	if (!run->adapter.name[0])
		return;
	adapter = json_object();
	capabilities = json_array();
	for (int i = 0; i < HS_CAP_COUNT; i++)
		if (run->adapter.capabilities & (1u << i))
			json_array_append_new(capabilities,
					      json_string(hs_capability_name(1u << i)));
	json_object_set_new(adapter, "name", json_string(run->adapter.name));
	json_object_set_new(adapter, "profile",
			    json_string(run->adapter.profile ? run->adapter.profile->name : ""));
	json_object_set_new(adapter, "path", json_string(run->adapter.path));
	json_object_set_new(adapter, "capabilities", capabilities);
	json_object_set_new(summary, "node_adapter", adapter);
}

/* A binary the adapter needs, in bin_dir or on PATH. */
static bool adapter_binary_found(const struct hs_run *run, const char *name)
{
	char path[HS_PATH_MAX * 2], search[4096];
	char *saveptr = NULL;

	snprintf(path, sizeof(path), "%s/%s", run->bin_dir, name);
	if (access(path, X_OK) == 0)
		return true;
	snprintf(search, sizeof(search), "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	for (char *dir = strtok_r(search, ":", &saveptr); dir;
	     dir = strtok_r(NULL, ":", &saveptr)) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

int hs_adapter_check_binaries(const struct hs_run *run, char *error, size_t error_size)
{
	for (uint32_t i = 0; i < run->adapter.binary_count; i++)
		if (!adapter_binary_found(run, run->adapter.binaries[i])) {
			snprintf(error, error_size,
				 "%s: binaries: '%s' is neither in %s nor on PATH%s%s",
				 run->adapter.path, run->adapter.binaries[i], run->bin_dir,
				 run->adapter.install[0] ? "; install: " : "",
				 run->adapter.install);
			return -1;
		}
	return 0;
}

/* A run not carried out (the scenario needs what the adapter lacks): a run
 * folder with run.json only, whose "skipped" the checker turns into a
 * skipped verdict. */
int hs_adapter_write_skipped(const struct hs_run *run, const char *reason, char *error,
			     size_t error_size)
{
	json_t *summary = json_object(), *nodes = json_array();
	char path[HS_PATH_MAX + 16];
	int status;

	mkdir(run->run_dir, 0755);
	json_object_set_new(summary, "scenario", json_string(run->scenario.name));
	json_object_set_new(summary, "scenario_path", json_string(run->scenario.path));
	json_object_set_new(summary, "topology", json_string(run->scenario.topology.name));
	json_object_set_new(summary, "backend", json_string(run->backend->name));
	json_object_set_new(summary, "seed", json_integer((json_int_t)run->seed));
	json_object_set_new(summary, "t0_mono_ms", json_integer(0));
	json_object_set_new(summary, "ended_mono_ms", json_integer(0));
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		json_array_append_new(nodes, json_string(run->scenario.topology.nodes[i].name));
	json_object_set_new(summary, "nodes", nodes);
	json_object_set_new(summary, "runner_errors", json_array());
	json_object_set_new(summary, "skipped", json_string(reason));
	hs_adapter_summary(run, summary);
	snprintf(path, sizeof(path), "%s/run.json", run->run_dir);
	status = json_dump_file(summary, path, JSON_INDENT(2));
	json_decref(summary);
	if (status < 0)
		snprintf(error, error_size, "hs_adapter_write_skipped: cannot write %s", path);
	return status < 0 ? -1 : 0;
}
