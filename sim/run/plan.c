/*
 * plan.c - what every node of a run gets: paths, the cluster key and its
 * hanode.conf.
 *
 * The config is generated from the topology (identity, addresses, timers,
 * tie-breaker, ping targets) plus the run's own plumbing: the fake mdstat
 * file the native RAID check reads (only for a model whose row in the model
 * table, refimpl/core/hn_models.h, has a hardware RAID does hanode check
 * it: a virt1's hanode has no array to check, so its config has no raid_*
 * keys; the file is there for every node, for adapters that read it), the
 * fence command that asks this hasim to power the peer off, the
 * notification hook that appends to the run folder, a services check when
 * a step makes services fail, and the paths of the cluster log and control
 * socket. Inside the node the external bond is "bond0" and the sync bond
 * "bond1", as on the appliances.
 *
 * The store lets the lab's client keep as many connections as it has
 * slots (store_clients_per_source = 32, hanode's maximum): every request
 * of the client comes from one address (libslirp's, as many customers
 * behind one NAT would), and its probes of the cluster IP must not evict
 * its own session (client.c).
 *
 * A virtual run has no state folder: its nodes get the same config text,
 * naming the paths a native run would use (nothing reads them), and no
 * file is written outside the run folder.
 *
 * The fence command is hsfence from hanode's folder (libc only: it starts
 * in a few ms, where hasim's ~60 shared libraries took 100..360 ms with load
 * 5 on 2 cores, all of it inside the fenced take-over a scenario times),
 * or `hasim fence` where that folder has no hsfence.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

static void plan_address_only(const char *cidr, char *address, size_t size)
{
	snprintf(address, size, "%s", cidr);
	char *slash = strchr(address, '/');
	if (slash)
		*slash = '\0';
}

static const struct hs_node_model *plan_peer(const struct hs_run *run,
					     const struct hs_node_model *node)
{
	const struct hs_topology *topology = &run->scenario.topology;

	for (uint32_t i = 0; i < topology->node_count; i++)
		if (&topology->nodes[i] != node)
			return &topology->nodes[i];
	return node;
}

/* The state folder the config names: the run's, or for a virtual run the
 * one a native run would have. */
static const char *plan_state_dir(const struct hs_run *run)
{
	static char nominal[sizeof(run->state_dir)];

	if (run->state_dir[0])
		return run->state_dir;
	snprintf(nominal, sizeof(nominal), "/run/halab/%s", run->run_id);
	return nominal;
}

int hs_plan_nodes(struct hs_run *run, char *error, size_t error_size)
{
	const struct hs_topology *topology = &run->scenario.topology;
	const char *state_dir = plan_state_dir(run);
	char path[600];

	for (uint32_t i = 0; i < topology->node_count; i++) {
		struct hs_node_runtime *node = &run->nodes[i];
		node->model = &topology->nodes[i];
		snprintf(node->display, sizeof(node->display), "off");
		snprintf(node->firmware, sizeof(node->firmware), "%s", node->model->firmware);
		node->raid_ok = true;
		node->disks_failed = 0;
		node->services_failed = false;
		for (int p = 0; p < HS_PORTS_MAX; p++)
			node->port_up[p] = true;
		snprintf(path, sizeof(path), "%s/nodes/%s", run->run_dir, node->model->name);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			goto mkdir_failed;
		snprintf(path, sizeof(path), "%s/%s", state_dir, node->model->name);
		if (run->state_dir[0] && mkdir(path, 0755) < 0 && errno != EEXIST)
			goto mkdir_failed;
		snprintf(node->plan.config_path, sizeof(node->plan.config_path),
			 "%s/%s/hanode.conf", state_dir, node->model->name);
		snprintf(node->plan.log_path, sizeof(node->plan.log_path),
			 "%s/nodes/%s/cluster.log", run->run_dir, node->model->name);
		snprintf(node->plan.control_path, sizeof(node->plan.control_path), "%s/%s.sock",
			 state_dir, node->model->name);
		snprintf(node->plan.mdstat_path, sizeof(node->plan.mdstat_path), "%s/%s/mdstat",
			 state_dir, node->model->name);
		node->plan.model = node->model;
		node->plan.raid = hs_model_has_raid(node->model->model);
		if (run->state_dir[0] && hs_plan_write_mdstat(node, 0) < 0) {
			snprintf(error, error_size, "hs_plan_nodes: %s: %s", node->plan.mdstat_path,
				 strerror(errno));
			return -1;
		}
		if (hs_plan_write_config(run, node, error, error_size) < 0)
			return -1;
	}
	return 0;
mkdir_failed:
	snprintf(error, error_size, "hs_plan_nodes: mkdir %s: %s", path, strerror(errno));
	return -1;
}

/* The md array as /proc/mdstat shows it: a RAID1 of vda (disk 0, role 0)
 * and vdb (disk 1, role 1), each lost one marked (F) and "_" in the map:
 * healthy [2/2] [UU], degraded [2/1] [U_] or [_U], failed [2/0] [__]. */
void hs_plan_mdstat_text(uint32_t disks_failed, char *text, size_t size)
{
	bool lost[HS_RAID_DISKS] = {(disks_failed & 1u) != 0, (disks_failed & 2u) != 0};
	int working = !lost[0] + !lost[1];

	snprintf(text, size,
		 "Personalities : [raid1]\nmd0 : active raid1 vdb[1]%s vda[0]%s\n"
		 "      1046528 blocks super 1.0 [2/%d] [%c%c]\n\nunused devices: <none>\n",
		 lost[1] ? "(F)" : "", lost[0] ? "(F)" : "", working, lost[0] ? '_' : 'U',
		 lost[1] ? '_' : 'U');
}

int hs_plan_write_mdstat(const struct hs_node_runtime *node, uint32_t disks_failed)
{
	char temporary[600], text[256];
	FILE *file;

	snprintf(temporary, sizeof(temporary), "%s.tmp", node->plan.mdstat_path);
	file = fopen(temporary, "w");
	if (!file)
		return -1;
	hs_plan_mdstat_text(disks_failed, text, sizeof(text));
	fputs(text, file);
	if (fclose(file) != 0)
		return -1;
	return rename(temporary, node->plan.mdstat_path);
}

void hs_plan_services_flag(const struct hs_run *run, const struct hs_node_runtime *node, char *path,
			   size_t size)
{
	snprintf(path, size, "%s/%s/services-failed", plan_state_dir(run), node->model->name);
}

/* Only a scenario that makes services fail gets a services check: every
 * other run keeps the node as it was (no command forked each health round,
 * which under load could time out and hand over for nothing). The check
 * is a shell builtin on a file the runner creates and removes (native);
 * the virtual node answers it from its model without running anything. */
void hs_plan_services_command(const struct hs_run *run, const struct hs_node_runtime *node,
			      char *text, size_t size)
{
	char flag[600];

	text[0] = '\0';
	for (uint32_t i = 0; i < run->scenario.step_count; i++)
		if (run->scenario.steps[i].action == HS_ACTION_SERVICES_FAIL) {
			hs_plan_services_flag(run, node, flag, sizeof(flag));
			snprintf(text, size, "test ! -e %s", flag);
			return;
		}
}

/* What the node runs to fence its peer (hasim's fence device, hardware.c). */
void hs_plan_fence_command(const struct hs_run *run, char *text, size_t size)
{
	char hsfence[sizeof(run->bin_dir) + 16];

	snprintf(hsfence, sizeof(hsfence), "%s/hsfence", run->bin_dir);
	if (run->bin_dir[0] && access(hsfence, X_OK) == 0)
		snprintf(text, size, "%s", hsfence);
	else
		snprintf(text, size, "%s fence", run->self_path);
}

static void plan_config_text(const struct hs_run *run, const struct hs_node_runtime *node,
			     char *text, size_t size)
{
	const struct hs_topology *topology = &run->scenario.topology;
	const struct hs_node_model *self = node->model, *peer = plan_peer(run, self);
	char external[HS_ADDRESS_MAX], external_peer[HS_ADDRESS_MAX];
	char fence[sizeof(run->bin_dir) + sizeof(run->self_path) + 16];
	char sync[HS_ADDRESS_MAX], sync_peer[HS_ADDRESS_MAX], pings[256] = "";
	char services[700];
	size_t used = 0;

	plan_address_only(self->interfaces[HS_NETWORK_EXTERNAL].address, external,
			  sizeof(external));
	plan_address_only(peer->interfaces[HS_NETWORK_EXTERNAL].address, external_peer,
			  sizeof(external_peer));
	plan_address_only(self->interfaces[HS_NETWORK_SYNC].address, sync, sizeof(sync));
	plan_address_only(peer->interfaces[HS_NETWORK_SYNC].address, sync_peer, sizeof(sync_peer));
	hs_plan_fence_command(run, fence, sizeof(fence));
	hs_plan_services_command(run, node, services, sizeof(services));
	for (uint32_t i = 0; i < topology->ping_target_count; i++)
		used += (size_t)snprintf(pings + used, sizeof(pings) - used, "%s%s", i ? " " : "",
					 topology->ping_targets[i]);
	snprintf(text, size,
		 "# generated by hasim for run %s\n"
		 "node_id = %u\nname = %s\nmodel = %s\ncpu_count = %u\nmemory_mb = %u\n"
		 "disk_gb = %u\nfirmware = %s\n"
		 "external_interface = bond0\nexternal_address = %s\nexternal_peer = %s\n"
		 "sync_interface = bond1\nsync_address = %s\nsync_peer = %s\n"
		 "key_file = %s/cluster.key\n"
		 "cluster_ip = %s\ncluster_ip_interface = bond0\n"
		 "heartbeat_interval_ms = %u\ndead_time_ms = %u\nwait_for_peer_ms = %u\n"
		 "fence_delay_ms = %u\nhealth_interval_ms = %u\nping_timeout_ms = %u\n"
		 "tiebreaker = %s\nstore_clients_per_source = 32\n"
		 "%s%s%s"
		 "%s%s%s"
		 "%s%s%s"
		 "notify_command = cat >> %s/nodes/%s/notify.jsonl\n"
		 "fence_command = %s --socket %s/hasim.sock %s\n"
		 "log_file = %s\ncontrol_socket = %s\ndata_dir = %s/%s/data\n",
		 run->run_id, self->id, self->name, self->model, self->cpu_count, self->memory_mb,
		 self->disk_gb, node->firmware, external, external_peer, sync, sync_peer,
		 plan_state_dir(run), topology->cluster_ip, topology->timers.heartbeat_interval_ms,
		 topology->timers.dead_time_ms, topology->timers.wait_for_peer_ms,
		 topology->timers.fence_delay_ms, topology->timers.health_interval_ms,
		 topology->timers.health_interval_ms / 2, topology->tiebreaker,
		 pings[0] ? "ping_targets = " : "", pings, pings[0] ? "\n" : "",
		 node->plan.raid ? "raid_mdstat = " : "",
		 node->plan.raid ? node->plan.mdstat_path : "",
		 node->plan.raid ? "\nraid_array = md0\n" : "",
		 services[0] ? "services_status = " : "", services, services[0] ? "\n" : "",
		 run->run_dir, self->name, fence, plan_state_dir(run), peer->name,
		 node->plan.log_path, node->plan.control_path, plan_state_dir(run), self->name);
}

int hs_plan_write_config(struct hs_run *run, struct hs_node_runtime *node, char *error,
			 size_t error_size)
{
	FILE *file;

	plan_config_text(run, node, node->plan.config_text, sizeof(node->plan.config_text));
	if (!run->state_dir[0])
		return 0; /* a virtual node reads config_text */
	if (run->adapter.name[0])
		return hs_adapter_write_files(run, node, error, error_size);
	file = fopen(node->plan.config_path, "w");
	if (!file || fputs(node->plan.config_text, file) < 0) {
		snprintf(error, error_size, "hs_plan_write_config: %s: %s", node->plan.config_path,
			 strerror(errno));
		if (file)
			fclose(file);
		return -1;
	}
	if (fclose(file) != 0) {
		snprintf(error, error_size, "hs_plan_write_config: %s: %s", node->plan.config_path,
			 strerror(errno));
		return -1;
	}
	return 0;
}
