/*
 * virtual_node.c - one node of the virtual backend: the real node code in
 * virtual time on modelled hardware.
 *
 * hanode's host (refimpl/host) runs around the real core, configured from
 * the same hanode.conf text the runner writes for native nodes (parsed by
 * hanode's own parser, refimpl/daemon/config.c), so timers, checks and
 * tie-breaker are identical across backends. This file is its platform
 * (struct hn_host_platform) and the hardware under it:
 *   packets       UDP on the peer's address of the link, through the
 *                 node's kernel model (sim/virtual/vkernel) and the fabric
 *   cluster IP    held by the kernel: it answers ARP and the client's
 *                 requests for it, also while hanode is down (crash)
 *   GARP, probe   ARP frames; ping: ICMP echo frames to the targets
 *   RAID check    the verdict of hanode's mdstat parser on the text the
 *                 native backend writes, from the disk model's state
 *                 and the members lost (disk_fail: degraded, still ok)
 *   services      services_status answered from the model: failing from
 *                 services_fail to services_restore (the native node
 *                 runs `test ! -e FILE`)
 *   commands      notify hook: the event line appended to
 *                 nodes/NODE/notify.jsonl; fence: the runner's fence
 *                 device powers off the node that hanode.conf's
 *                 fence_command names (as native's); both end after a
 *                 modelled delay (virtual.h)
 *   persistence   the disk model (sim/virtual/vdisk): survives power
 *                 loss and crashes, memory does not
 *   cluster log   nodes/NODE/cluster.log written by hanode's own writer
 *                 (clusterlog.c): mono_ms is virtual time, wall_ms
 *                 HS_VIRTUAL_WALL_AT_T0_MS + (mono_ms - HS_VIRTUAL_T0_MS)
 *   store         the kernel's TCP on the cluster IP, lines parsed by
 *                 hanode's parser (kvline.c)
 *   control       status rendered by hanode's renderer (status.c), admin
 *                 commands through the host
 * Power off stops everything at once (the host's memory is dropped, the
 * disk kept); power on boots for VIRTUAL_BOOT_MS, then hanode starts:
 * hn_host_init, what the disk holds restored, the links' carrier, start.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../fabric/fabric.h"
#include "../run/run.h"
#include "checks.h"
#include "kvline.h"
#include "status.h"
#include "text.h"
#include "virtual.h"

#define VIRTUAL_STATUS_JSON_MAX 16384

static const char *const virtual_link_names[HN_LINKS] = {"sync", "external"};

static int64_t node_now_us(const struct virtual_node *node)
{
	return node->virtual->run->virtual_now_us;
}

static uint64_t node_now_ms(const struct virtual_node *node)
{
	return (uint64_t)(node_now_us(node) / 1000);
}

static uint64_t virtual_wall_ms(uint64_t mono_ms)
{
	return (uint64_t)(HS_VIRTUAL_WALL_AT_T0_MS + ((int64_t)mono_ms - HS_VIRTUAL_T0_MS));
}

static struct hs_vevent *node_call(struct virtual_node *node, int64_t due_us,
				   enum virtual_call call)
{
	struct hs_vevent *event = hs_vnet_call(node->virtual->vnet, due_us);

	if (!event) {
		char text[96];
		snprintf(text, sizeof(text), "virtual backend: the event queue is full (%d events)",
			 HS_VSCHED_EVENTS_MAX);
		hs_run_report(node->virtual->run,
			      &(struct hs_report){.kind = HS_REPORT_FAILURE, .text = text});
		return NULL;
	}
	event->target = (int)node->index;
	event->code = call;
	event->epoch = node->life;
	return event;
}

/* ------------------------------------------------------------- platform */

static int platform_send(void *context, enum hn_link link, const uint8_t *packet, size_t length,
			 char *error, size_t error_size)
{
	struct virtual_node *node = context;
	return hs_vkernel_udp_send(&node->kernel, node->peer_addresses[link], packet, length,
				   node_now_us(node), error, error_size);
}

static int platform_cluster_ip(void *context, bool add, char *error, size_t error_size)
{
	struct virtual_node *node = context;
	(void)error;
	(void)error_size;
	hs_vkernel_cluster_ip(&node->kernel, add);
	return 0;
}

static int platform_garp(void *context, char *error, size_t error_size)
{
	struct virtual_node *node = context;
	(void)error;
	(void)error_size;
	hs_vkernel_garp(&node->kernel, node_now_us(node));
	return 0;
}

static int platform_ping(void *context, uint32_t target, uint16_t sequence, char *error,
			 size_t error_size)
{
	struct virtual_node *node = context;

	if (target >= node->host_config.ping_target_count) {
		snprintf(error, error_size, "ping: no target %u", target);
		return -1;
	}
	return hs_vkernel_ping(&node->kernel, node->ping_addresses[target],
			       (uint16_t)node->host_config.core.self.node_id, sequence,
			       node_now_us(node), error, error_size);
}

static int platform_probe(void *context, char *error, size_t error_size)
{
	struct virtual_node *node = context;
	(void)error;
	(void)error_size;
	hs_vkernel_probe(&node->kernel, node_now_us(node));
	return 0;
}

static int platform_check(void *context, enum hn_host_check check, bool *done, bool *ok,
			  char *reason, size_t reason_size, uint64_t *command_id, char *error,
			  size_t error_size)
{
	struct virtual_node *node = context;
	char mdstat[256];

	(void)command_id;
	*done = true;
	*ok = true;
	if (check == HN_HOST_CHECK_SERVICES && node->services_failed) {
		/* what `test ! -e .../services-failed` says on a native node */
		*ok = false;
		snprintf(reason, reason_size, "services command exited with status 1");
		return 0;
	}
	if (check != HN_HOST_CHECK_RAID) {
		/* healthy services and the notify-only checks: modelled as healthy */
		snprintf(reason, reason_size, "%s ok",
			 check == HN_HOST_CHECK_SERVICES      ? "services"
			 : check == HN_HOST_CHECK_DISK_USAGE  ? "disk usage"
			 : check == HN_HOST_CHECK_TIME_OFFSET ? "time offset"
							      : "service health");
		return 0;
	}
	hs_plan_mdstat_text(node->disk.raid_ok ? node->disks_failed : (1u << HS_RAID_DISKS) - 1,
			    mdstat, sizeof(mdstat));
	if (hn_checks_mdstat_parse(mdstat, node->daemon_config.raid_array, ok, reason,
				   reason_size) < 0) {
		snprintf(error, error_size, "RAID check: %s", reason);
		return -1;
	}
	return 0;
}

/* The notify hook's line goes where `cat >> nodes/NODE/notify.jsonl` puts it. */
static void platform_notify(struct virtual_node *node, const char *input)
{
	char path[700];
	FILE *file;

	snprintf(path, sizeof(path), "%s/nodes/%s/notify.jsonl", node->virtual->run->run_dir,
		 node->runtime->model->name);
	file = fopen(path, "a");
	if (!file)
		return;
	fputs(input ? input : "", file);
	fclose(file);
}

/* The node a fence powers off: the run's other node, as the runner writes
 * it into native's fence_command (sim/run/plan.c), not what the host heard
 * (HANODE_PEER is empty for a peer never heard since the start). */
static int fence_target(const struct virtual_node *node, char *peer, size_t peer_size, char *error,
			size_t error_size)
{
	const struct hs_virtual *virtual = node->virtual;
	const char *name;

	if (virtual->node_count != 2) {
		snprintf(error, error_size, "fence: a run of %u nodes has no single peer",
			 virtual->node_count);
		return -1;
	}
	name = virtual->nodes[1 - node->index].runtime->model->name;
	if (strlen(name) >= peer_size || strlen(name) >= HS_VSCHED_DATA_MAX) {
		snprintf(error, error_size, "fence: peer name '%s' too long", name);
		return -1;
	}
	snprintf(peer, peer_size, "%s", name);
	return 0;
}

static int platform_command(void *context, enum hn_host_command command, const char *input,
			    const char *const *environment, uint64_t *command_id, char *error,
			    size_t error_size)
{
	struct virtual_node *node = context;
	int64_t now_us = node_now_us(node);
	char peer[HS_NAME_MAX];
	struct hs_vevent *event;

	(void)environment;
	*command_id = ++node->next_command_id;
	if (command == HN_HOST_COMMAND_FENCE) {
		if (fence_target(node, peer, sizeof(peer), error, error_size) < 0)
			return -1;
		event = node_call(node, now_us + VIRTUAL_FENCE_MS * 1000, VIRTUAL_CALL_FENCE);
		if (!event)
			goto full;
		event->value = *command_id;
		event->length = (uint16_t)strlen(peer);
		memcpy(event->data, peer, event->length);
		return 0;
	}
	if (command == HN_HOST_COMMAND_NOTIFY)
		platform_notify(node, input);
	event = node_call(node, now_us + VIRTUAL_NOTIFY_MS * 1000, VIRTUAL_CALL_COMMAND_DONE);
	if (!event)
		goto full;
	event->value = *command_id;
	return 0;
full:
	snprintf(error, error_size, "command: the virtual event queue is full");
	return -1;
}

static void platform_command_kill(void *context, uint64_t command_id)
{
	(void)context;
	(void)command_id; /* its end is still reported; the host ignores it */
}

static int platform_persist(void *context, const struct hn_entry *entry, char *error,
			    size_t error_size)
{
	struct virtual_node *node = context;
	return hs_vdisk_persist(&node->disk, entry, error, error_size);
}

static int platform_persist_generation(void *context, const struct hn_generation *generation,
				       bool outdated, char *error, size_t error_size)
{
	struct virtual_node *node = context;
	(void)error;
	(void)error_size;
	hs_vdisk_generation(&node->disk, generation, outdated);
	return 0;
}

static int platform_persist_maintenance(void *context, bool on, char *error, size_t error_size)
{
	struct virtual_node *node = context;
	(void)error;
	(void)error_size;
	node->disk.maintenance = on;
	return 0;
}

static int platform_persist_packet_seq(void *context, uint64_t limit, char *error,
				       size_t error_size)
{
	struct virtual_node *node = context;
	(void)error;
	(void)error_size;
	node->disk.packet_seq_limit = limit;
	return 0;
}

static void platform_log(void *context, uint64_t now_ms, const struct hn_log_record *record,
			 const char *role)
{
	struct virtual_node *node = context;

	hn_clusterlog_write(&node->log, now_ms, virtual_wall_ms(now_ms), record, role);
	node->virtual->run->logs_dirty = true;
}

static void platform_client_reply(void *context, uint64_t request_id, const char *answer)
{
	struct virtual_node *node = context;
	hs_vkernel_store_reply(&node->kernel, (uint32_t)request_id, answer, node_now_us(node));
}

/* hanode's control answer to an admin command (status.c renders both). */
static void platform_admin_reply(void *context, uint64_t request_id, bool ok, const char *text)
{
	struct virtual_node *node = context;

	(void)request_id;
	hn_control_answer_render(ok, text, node->admin_reply, sizeof(node->admin_reply));
	node->admin_answered = true;
}

static uint64_t platform_wall_ms(void *context, uint64_t now_ms)
{
	(void)context;
	return virtual_wall_ms(now_ms);
}

static const struct hn_host_platform virtual_platform = {
    .send = platform_send,
    .cluster_ip = platform_cluster_ip,
    .garp = platform_garp,
    .ping = platform_ping,
    .probe = platform_probe,
    .check = platform_check,
    .command = platform_command,
    .command_kill = platform_command_kill,
    .persist = platform_persist,
    .persist_generation = platform_persist_generation,
    .persist_maintenance = platform_persist_maintenance,
    .persist_packet_seq = platform_persist_packet_seq,
    .log = platform_log,
    .client_reply = platform_client_reply,
    .admin_reply = platform_admin_reply,
    .wall_ms = platform_wall_ms,
};

/* ------------------------------------------------------- kernel -> hanode */

static void kernel_output(void *context, int iface, const uint8_t *frame, size_t length,
			  int64_t now_us)
{
	struct virtual_node *node = context;
	hs_vnet_send(node->virtual->vnet, node->ports[iface], frame, length, now_us);
}

static void kernel_udp(void *context, int iface, const uint8_t *payload, size_t length,
		       int64_t now_us)
{
	struct virtual_node *node = context;
	if (node->hanode)
		hn_host_packet(node->host, (enum hn_link)iface, payload, length,
			       (uint64_t)(now_us / 1000));
}

static void kernel_echo_reply(void *context, uint16_t sequence, int64_t now_us)
{
	struct virtual_node *node = context;
	if (node->hanode)
		hn_host_ping_reply(node->host, sequence, (uint64_t)(now_us / 1000));
}

/* hanode's probe socket: an ARP frame from another host holding the IP. */
static void kernel_arp(void *context, const struct hs_varp *arp, int64_t now_us)
{
	struct virtual_node *node = context;

	if (node->hanode && arp->sender_ip == node->kernel.config.cluster_ip &&
	    memcmp(arp->sender_mac, node->kernel.config.mac[HN_LINK_EXTERNAL], 6) != 0)
		hn_host_probe_answered(node->host, (uint64_t)(now_us / 1000));
}

static void kernel_store(void *context, uint32_t connection, const char *line, int64_t now_us)
{
	struct virtual_node *node = context;
	struct hn_kv_request request;
	char reason[HN_REASON_MAX], answer[HN_REASON_MAX + 16];

	if (!node->hanode)
		return;
	if (hn_kv_parse(line, strlen(line), &request, reason, sizeof(reason)) < 0) {
		snprintf(answer, sizeof(answer), "ERR %s", reason);
	} else if (request.kind == HN_KV_GET) {
		hn_host_client_get(node->host, request.key, answer, sizeof(answer));
	} else if (hn_host_client_put(node->host, connection, request.key, request.value,
				      (uint64_t)(now_us / 1000), answer, sizeof(answer)) == 1) {
		return; /* the answer comes with platform_client_reply */
	}
	hs_vkernel_store_reply(&node->kernel, connection, answer, now_us);
}

/* ------------------------------------------------------------ the ports */

static void node_frame(struct virtual_node *node, enum hn_link link, const uint8_t *frame,
		       size_t length, int64_t now_us)
{
	if (node->booted)
		hs_vkernel_input(&node->kernel, (int)link, frame, length, now_us);
}

static void port_frame_sync(void *context, const uint8_t *frame, size_t length, int64_t now_us)
{
	node_frame(context, HN_LINK_SYNC, frame, length, now_us);
}

static void port_frame_external(void *context, const uint8_t *frame, size_t length, int64_t now_us)
{
	node_frame(context, HN_LINK_EXTERNAL, frame, length, now_us);
}

static void node_carrier(struct virtual_node *node, enum hn_link link, bool up, int64_t now_us)
{
	if (!node->booted)
		return;
	hs_vkernel_carrier(&node->kernel, (int)link, up);
	if (node->hanode)
		hn_host_carrier(node->host, link, up, (uint64_t)(now_us / 1000));
}

static void port_carrier_sync(void *context, bool up, int64_t now_us)
{
	node_carrier(context, HN_LINK_SYNC, up, now_us);
}

static void port_carrier_external(void *context, bool up, int64_t now_us)
{
	node_carrier(context, HN_LINK_EXTERNAL, up, now_us);
}

/* ------------------------------------------------------------- timers */

/* The host's next deadline, fired a little late (drawn once per deadline),
 * and never before now: a deadline already past (the host was fed a later
 * event before its deadline's tick ran) runs at once. Drawn at its own
 * past time, the core refused it ("time went backwards"), the deadline
 * stayed, and a tick drawn again with a new jitter ran at another past
 * time, without end (sim/tests/findings/README.md, S3). */
static int64_t node_tick_next_us(void *context)
{
	struct virtual_node *node = context;
	int64_t now_us = node_now_us(node);
	uint64_t deadline_ms;

	if (!node->hanode)
		return -1;
	deadline_ms = hn_host_next_deadline_ms(node->host);
	if (deadline_ms == UINT64_MAX)
		return -1;
	if (deadline_ms != node->tick_deadline_ms || node->tick_us < 0) {
		node->tick_deadline_ms = deadline_ms;
		node->tick_us = (int64_t)deadline_ms * 1000 +
				hs_vnet_jitter_us(node->virtual->vnet, VIRTUAL_TIMER_LATENESS_US);
	}
	if (node->tick_us < now_us)
		node->tick_us = now_us;
	return node->tick_us;
}

static void node_tick_run(void *context, int64_t now_us)
{
	struct virtual_node *node = context;

	node->tick_us = -1;
	if (node->hanode)
		hn_host_tick(node->host, (uint64_t)(now_us / 1000));
}

static int64_t node_kernel_next_us(void *context)
{
	struct virtual_node *node = context;
	return node->booted ? hs_vkernel_next_us(&node->kernel) : -1;
}

static void node_kernel_run(void *context, int64_t now_us)
{
	struct virtual_node *node = context;
	hs_vkernel_timers(&node->kernel, now_us);
}

/* ---------------------------------------------------------- life cycle */

static void node_lost_hanode(struct virtual_node *node, int64_t now_us)
{
	node->hanode = false;
	node->tick_us = -1;
	node->life++;
	hs_vkernel_hanode(&node->kernel, false, now_us);
}

/* A boot nonce as hanode draws one at every start, but from the run's seed
 * (splitmix64 of seed, node and life): the same run gives the same nonces,
 * and the seeded jitter's stream is left as it was. Never 0 (that turns
 * the freshness check off). */
static uint64_t node_boot_nonce(const struct virtual_node *node)
{
	uint64_t z = node->virtual->run->seed + 0x9e3779b97f4a7c15ull * (node->index + 1) +
		     (node->life << 32);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}

/* hanode starts: the host around a fresh core, what the disk holds, the
 * links' carrier, then the first health round. */
static void node_start(struct virtual_node *node, int64_t now_us)
{
	uint64_t now_ms = (uint64_t)(now_us / 1000);
	struct hn_host_platform platform = virtual_platform;
	char error[HN_HOST_ERROR_MAX];
	/* As hanode: the reservation on disk, or once from the wall clock. */
	uint64_t first = node->disk.packet_seq_limit > 0 ? node->disk.packet_seq_limit
							 : virtual_wall_ms(now_ms) * 1000u + 1;

	platform.context = node;
	memset(node->host, 0, hn_host_size());
	if (hn_host_init(node->host, &node->host_config, node->virtual->run->cluster_key, &platform,
			 first, error, sizeof(error)) < 0) {
		char text[HN_HOST_ERROR_MAX + 64];
		snprintf(text, sizeof(text), "hanode of %s ended by itself: %s",
			 node->runtime->model->name, error);
		hs_run_report(node->virtual->run,
			      &(struct hs_report){.kind = HS_REPORT_DAEMON_ENDED,
						  .node = node->index,
						  .text = text});
		return;
	}
	for (uint32_t i = 0; i < node->disk.entry_count; i++)
		hn_host_restore_entry(node->host, &node->disk.entries[i]);
	if (node->disk.generation_known)
		hn_host_restore_generation(node->host, &node->disk.generation, node->disk.outdated);
	hn_host_restore_maintenance(node->host, node->disk.maintenance);
	node->hanode = true;
	node->tick_us = -1;
	hs_vkernel_hanode(&node->kernel, true, now_us);
	for (int link = 0; link < HN_LINKS; link++)
		if (node->daemon_config.links[link].interface[0])
			hn_host_carrier(node->host, (enum hn_link)link,
					node->kernel.ifaces[link].carrier, now_ms);
	hn_host_release_leftover_ip(node->host);
	hn_host_start(node->host, node_boot_nonce(node), now_ms);
}

/* The kernel comes up (with the links' carrier as the fabric has it), and
 * hanode with it (the end of a boot, unless a crash during the boot killed
 * it: then a restart starts it) or a moment later (the lab's start). */
static void node_boot(struct virtual_node *node, int64_t now_us, bool start_now)
{
	struct hs_fabric *fabric = node->virtual->run->fabric;

	node->booted = true;
	hs_vkernel_power(&node->kernel, true);
	for (int link = 0; link < HN_LINKS; link++) {
		bool up = false;
		hs_fabric_endpoint_carrier_get(fabric, node->endpoints[link], &up);
		hs_vkernel_carrier(&node->kernel, link, up);
	}
	if (!start_now)
		virtual_node_start_later(node, now_us);
	else if (node->daemon_wanted)
		node_start(node, now_us);
}

/* A boot belongs to a power epoch, not to a life of hanode: a crash during
 * the boot does not end the boot (sim/tests/findings/README.md, S4: it
 * did, and the node never booted, for good). */
void virtual_node_power(struct virtual_node *node, bool on, bool booted, int64_t now_us)
{
	struct hs_vevent *event;

	node->power_epoch++;
	node->daemon_wanted = on;
	if (!on) {
		node_lost_hanode(node, now_us);
		node->booted = false;
		hs_vkernel_power(&node->kernel, false);
		return;
	}
	node->life++;
	if (booted) {
		node_boot(node, now_us, false);
		return;
	}
	event = node_call(node, now_us + VIRTUAL_BOOT_MS * 1000, VIRTUAL_CALL_BOOTED);
	if (event)
		event->epoch = node->power_epoch;
}

void virtual_node_crash(struct virtual_node *node, int64_t now_us)
{
	node->daemon_wanted = false;
	node_lost_hanode(node, now_us);
}

void virtual_node_stop(struct virtual_node *node, int64_t now_us)
{
	node->daemon_wanted = false;
	if (node->hanode)
		hn_host_stop(node->host, VIRTUAL_STOP_REASON, (uint64_t)(now_us / 1000));
	node_lost_hanode(node, now_us);
}

/* hanode starts after VIRTUAL_DAEMON_START_MS; on a node still booting,
 * when the boot ends. */
void virtual_node_start_later(struct virtual_node *node, int64_t now_us)
{
	int64_t exec_us = hs_vnet_jitter_us(node->virtual->vnet, VIRTUAL_DAEMON_START_JITTER_US);

	node->daemon_wanted = true;

	node_call(node, now_us + VIRTUAL_DAEMON_START_MS * 1000 + exec_us,
		  VIRTUAL_CALL_DAEMON_START);
}

/* The end of a fence: the fencing command asked the runner's fence device. */
static void node_fence(struct virtual_node *node, const struct hs_vevent *event, int64_t now_us)
{
	struct hs_run *run = node->virtual->run;
	char peer[HS_NAME_MAX], error[256];
	int result;
	struct hs_vevent *done;

	snprintf(peer, sizeof(peer), "%.*s", (int)event->length, (const char *)event->data);
	result = hs_fence_power_off(run, peer, now_us / 1000, error, sizeof(error));
	done = node_call(node, now_us + VIRTUAL_FENCE_REPLY_MS * 1000, VIRTUAL_CALL_COMMAND_DONE);
	if (done) {
		done->value = event->value;
		done->epoch = event->epoch;
		done->data[0] = result == 0 ? 0 : 1; /* the exit status */
		done->length = 1;
	}
}

/* A call for a power epoch or a life of the node that has ended drops; a
 * fence command outlives its hanode (it dies with the power: below). */
static bool call_stale(const struct virtual_node *node, const struct hs_vevent *event)
{
	if (event->code == VIRTUAL_CALL_BOOTED)
		return event->epoch != node->power_epoch;
	return event->code != VIRTUAL_CALL_FENCE && event->epoch != node->life;
}

void virtual_node_call(struct virtual_node *node, const struct hs_vevent *event, int64_t now_us)
{
	if (call_stale(node, event))
		return;
	switch ((enum virtual_call)event->code) {
	case VIRTUAL_CALL_BOOTED:
		node_boot(node, now_us, true);
		break;
	case VIRTUAL_CALL_DAEMON_START:
		if (node->booted && !node->hanode)
			node_start(node, now_us);
		break;
	case VIRTUAL_CALL_COMMAND_DONE:
		if (node->hanode)
			hn_host_command_done(node->host, event->value,
					     event->length > 0 ? event->data[0] : 0, false,
					     (uint64_t)(now_us / 1000));
		break;
	case VIRTUAL_CALL_FENCE:
		if (node->booted) /* a fence command dies with its node's power */
			node_fence(node, event, now_us);
		break;
	}
}

/* ------------------------------------------------------------- control */

static int node_status(struct virtual_node *node, char *reply, size_t reply_size, char *error,
		       size_t error_size)
{
	static struct hn_host_status status;
	static char json[VIRTUAL_STATUS_JSON_MAX];
	struct hn_control_status_view view = {
	    .paired = true,
	    .now_ms = node_now_ms(node),
	    .self = &node->daemon_config.core.self,
	    .link_configs = node->daemon_config.links,
	    .host = &status,
	};

	hn_host_status(node->host, view.now_ms, &status);
	if (hn_control_status_render(&view, json, sizeof(json)) != 0 ||
	    strlen(json) >= reply_size) {
		snprintf(error, error_size, "control %s 'status': the answer does not fit",
			 node->runtime->model->name);
		return -1;
	}
	snprintf(reply, reply_size, "%s", json);
	return 0;
}

int virtual_node_control(struct virtual_node *node, const char *request, char *reply,
			 size_t reply_size, char *error, size_t error_size)
{
	if (!node->hanode) {
		snprintf(error, error_size, "control %s '%s': hanode is not running",
			 node->runtime->model->name, request);
		return -1;
	}
	if (strcmp(request, "status") == 0 || strcmp(request, "status --json") == 0)
		return node_status(node, reply, reply_size, error, error_size);
	/* The admin commands by the core's one table of names, as hanode's. */
	enum hn_admin_command command;
	if (hn_admin_command_parse(request, &command) != 0 || command == HN_ADMIN_SETTING_SET ||
	    command == HN_ADMIN_SHUTDOWN) {
		hn_control_answer_render(false, "unknown request", reply, reply_size);
		return 0;
	}
	node->admin_answered = false;
	hn_host_admin(node->host, ++node->next_admin_id, command, "", "", node_now_ms(node));
	if (!node->admin_answered)
		hn_control_answer_render(false, "no answer from the node's core in time", reply,
					 reply_size);
	else
		snprintf(reply, reply_size, "%s", node->admin_reply);
	return 0;
}

/* --------------------------------------------------------------- setup */

/* hanode.conf as the runner wrote it, through hanode's parser. */
int virtual_node_reconfigure(struct virtual_node *node, char *error, size_t error_size)
{
	struct hn_daemon_config *config = &node->daemon_config;
	const char *text = node->runtime->plan.config_text;
	uint32_t prefix;

	if (hn_daemon_config_parse_text(config, node->runtime->plan.config_path, text, strlen(text),
					error, error_size) < 0)
		return -1;
	hn_daemon_config_to_host(config, &node->host_config);
	for (uint32_t i = 0; i < config->ping_target_count && i < HN_HOST_PING_TARGETS_MAX; i++)
		if (hs_vframe_ip_parse(config->ping_targets[i], &node->ping_addresses[i], &prefix) <
		    0)
			goto bad_address;
	for (int link = 0; link < HN_LINKS; link++)
		if (config->links[link].interface[0] &&
		    hs_vframe_ip_parse(config->links[link].peer, &node->peer_addresses[link],
				       &prefix) < 0)
			goto bad_address;
	return 0;
bad_address:
	snprintf(error, error_size, "%s: an address the virtual network cannot parse",
		 node->runtime->plan.config_path);
	return -1;
}

static int node_kernel_setup(struct virtual_node *node, char *error, size_t error_size)
{
	const struct hs_node_model *model = node->runtime->model;
	const struct hs_topology *topology = &node->virtual->run->scenario.topology;
	struct hs_vkernel_ops ops = {node,	 kernel_output, kernel_udp, kernel_echo_reply,
				     kernel_arp, kernel_store};
	struct hs_vkernel_config config;
	uint32_t prefix;

	memset(&config, 0, sizeof(config));
	for (int link = 0; link < HN_LINKS; link++) {
		int network = link == HN_LINK_SYNC ? HS_NETWORK_SYNC : HS_NETWORK_EXTERNAL;
		uint8_t mac[6] = {0x02, 0x48, 0x53, 0, (uint8_t)model->id, (uint8_t)(link + 1)};
		memcpy(config.mac[link], mac, 6);
		if (hs_vframe_ip_parse(model->interfaces[network].address, &config.address[link],
				       &config.prefix[link]) < 0)
			goto bad_address;
	}
	if (topology->cluster_ip[0] &&
	    hs_vframe_ip_parse(topology->cluster_ip, &config.cluster_ip, &prefix) < 0)
		goto bad_address;
	hs_vkernel_init(&node->kernel, &config, &ops);
	return 0;
bad_address:
	snprintf(error, error_size, "virtual_node_setup: %s: a bad address", model->name);
	return -1;
}

/* The node's two bonds on the fabric: endpoints "<node>.sync" and
 * "<node>.external" (as native's), a cable "<node>.<port>" per port. */
static int node_ports_setup(struct virtual_node *node, char *error, size_t error_size)
{
	struct hs_virtual *virtual = node->virtual;
	const struct hs_node_model *model = node->runtime->model;
	struct hs_vnet_receiver receivers[HN_LINKS] = {
	    {port_frame_sync, port_carrier_sync, node},
	    {port_frame_external, port_carrier_external, node}};
	char cable[HS_NAME_MAX * 2 + 2];

	for (int link = 0; link < HN_LINKS; link++) {
		const struct hs_interface *interface =
		    &model
			 ->interfaces[link == HN_LINK_SYNC ? HS_NETWORK_SYNC : HS_NETWORK_EXTERNAL];
		snprintf(node->endpoints[link], sizeof(node->endpoints[link]), "%s.%s", model->name,
			 virtual_link_names[link]);
		node->ports[link] = hs_vnet_port_add(virtual->vnet, node->endpoints[link],
						     &receivers[link], error, error_size);
		if (node->ports[link] < 0)
			return -1;
		for (uint32_t p = 0; p < interface->port_count; p++)
			for (int q = 0; q < HS_PORTS_MAX; q++) {
				const struct hs_port *port = &model->ports[q];
				if (!port->used || strcmp(port->name, interface->ports[p]) != 0)
					continue;
				snprintf(cable, sizeof(cable), "%s.%s", model->name, port->name);
				if (hs_fabric_cable_add(virtual->run->fabric, cable,
							node->endpoints[link],
							port->switch_name) < 0) {
					snprintf(error, error_size, "%s",
						 hs_fabric_error(virtual->run->fabric));
					return -1;
				}
			}
	}
	return 0;
}

int virtual_node_setup(struct hs_virtual *virtual, uint32_t index, char *error, size_t error_size)
{
	struct virtual_node *node = &virtual->nodes[index];
	struct hs_vnet_timer tick = {node_tick_next_us, node_tick_run, node, node->timer_names[0]};
	struct hs_vnet_timer kernel = {node_kernel_next_us, node_kernel_run, node,
				       node->timer_names[1]};

	node->virtual = virtual;
	node->index = index;
	node->runtime = &virtual->run->nodes[index];
	snprintf(node->timer_names[0], sizeof(node->timer_names[0]), "%s's host deadline",
		 node->runtime->model->name);
	snprintf(node->timer_names[1], sizeof(node->timer_names[1]), "%s's kernel timer",
		 node->runtime->model->name);
	node->tick_us = -1;
	node->log.fd = -1;
	hs_vdisk_init(&node->disk);
	node->host = calloc(1, hn_host_size());
	if (!node->host) {
		snprintf(error, error_size, "virtual_node_setup: out of memory");
		return -1;
	}
	if (virtual_node_reconfigure(node, error, error_size) < 0 ||
	    node_kernel_setup(node, error, error_size) < 0 ||
	    node_ports_setup(node, error, error_size) < 0)
		return -1;
	if (hs_vnet_timer_add(virtual->vnet, &tick) < 0 ||
	    hs_vnet_timer_add(virtual->vnet, &kernel) < 0) {
		snprintf(error, error_size, "virtual_node_setup: too many timers");
		return -1;
	}
	return hn_clusterlog_open(&node->log, node->runtime->plan.log_path,
				  node->runtime->model->name, false, error, error_size);
}

void virtual_node_teardown(struct virtual_node *node)
{
	hn_clusterlog_close(&node->log);
	free(node->host);
	node->host = NULL;
	node->hanode = false;
}
