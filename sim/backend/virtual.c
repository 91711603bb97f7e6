/*
 * virtual.c - the virtual backend: both nodes are the real node code
 * (refimpl/host around refimpl/core) on modelled hardware, in virtual
 * time, as an ordinary user: no process, no namespace, no root, no file
 * outside the run folder.
 *
 * The runner drives it like the others (steps, aliases, the client, the
 * fence device, the cluster logs, the checker), with its virtual clock
 * (sim/run/clock.c): between two of the runner's instants this backend
 * runs its own events in time order (sim/virtual/vnet): frames reaching a
 * NIC, carrier changes, the nodes' timers, boots, commands. The network
 * is the fabric, as for every backend: the nodes' bonds and the uplink are
 * in-memory endpoints on the same switches, cables and bonds, so pulls,
 * partitions, impairments and switch power act exactly where they act on
 * native, and fabric.jsonl and fabric-counters.json come out the same.
 *
 * The uplink (endpoint and cable "uplink" on the topology's uplink switch)
 * is the libslirp model (sim/virtual/vgateway): gateway and ping target,
 * ARP cache for the cluster IP, the client's point of attachment. One node
 * is virtual_node.c. The cluster key is derived from the seed, so the same
 * seed gives the same bytes on every link.
 *
 * The runner owns the nodes' state and cables (sim/run/hardware.c): this
 * backend only acts on its models, and reports what the runner must know
 * (a hanode that could not start, a full event queue) with hs_run_report.
 *
 * Hardware, as modelled:
 *   power off  = the node stops at once: memory (the host) gone, disk kept,
 *                every cable dark; power on = cables live, VIRTUAL_BOOT_MS
 *                of boot, then hanode starts
 *   port       = the cable's link in the fabric
 *   RAID       = the disk model's array fails (the RAID check's verdict)
 *   crash      = hanode's memory gone, nothing else (the kernel keeps the
 *                cluster IP and refuses the store's connections)
 *   restart    = hanode starts again after VIRTUAL_DAEMON_START_MS
 *   firmware   = hanode stops gracefully and starts with the new version
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fabric/fabric.h"
#include "../run/run.h"
#include "virtual.h"

static struct hs_virtual *virtual_of(struct hs_run *run)
{
	return run->backend_data;
}

static struct virtual_node *virtual_node_at(struct hs_run *run, uint32_t index)
{
	struct hs_virtual *virtual = virtual_of(run);

	return virtual && index < virtual->node_count ? &virtual->nodes[index] : NULL;
}

/* ------------------------------------------------------------- the uplink */

static void gateway_output(void *context, const uint8_t *frame, size_t length, int64_t now_us)
{
	struct hs_virtual *virtual = context;
	hs_vnet_send(virtual->vnet, virtual->gateway_port, frame, length, now_us);
}

static void gateway_reply(void *context, uint64_t serial, const char *line, int64_t now_us)
{
	struct hs_virtual *virtual = context;
	hs_client_reply(virtual->run, serial, line, now_us / 1000);
}

static void gateway_closed(void *context, uint64_t serial, const char *detail, int64_t now_us)
{
	struct hs_virtual *virtual = context;
	hs_client_closed(virtual->run, serial, detail, now_us / 1000);
}

static void gateway_frame(void *context, const uint8_t *frame, size_t length, int64_t now_us)
{
	struct hs_virtual *virtual = context;
	hs_vgateway_input(&virtual->gateway, frame, length, now_us);
}

static int64_t gateway_next_us(void *context)
{
	struct hs_virtual *virtual = context;
	return hs_vgateway_next_us(&virtual->gateway);
}

static void gateway_timers(void *context, int64_t now_us)
{
	struct hs_virtual *virtual = context;
	hs_vgateway_timers(&virtual->gateway, now_us);
}

static int virtual_uplink_up(struct hs_virtual *virtual, char *error, size_t error_size)
{
	const struct hs_topology *topology = &virtual->run->scenario.topology;
	struct hs_vgateway_ops ops = {virtual, gateway_output, gateway_reply, gateway_closed};
	struct hs_vnet_receiver receiver = {gateway_frame, NULL, virtual};
	struct hs_vnet_timer timer = {gateway_next_us, gateway_timers, virtual, "the uplink"};
	struct hs_vgateway_config config = {0};
	uint32_t prefix = 32;

	virtual->gateway_port = -1;
	if (topology->uplink_switch[0] == '\0')
		return 0;
	if (hs_vframe_ip_parse(topology->gateway, &config.address, &prefix) < 0 ||
	    hs_vframe_ip_parse(topology->cluster_ip, &config.cluster_ip, &config.prefix) < 0) {
		snprintf(error, error_size, "virtual_up: the uplink: bad gateway '%s' or IP '%s'",
			 topology->gateway, topology->cluster_ip);
		return -1;
	}
	hs_vgateway_init(&virtual->gateway, &config, &ops);
	virtual->gateway_port = hs_vnet_port_add(virtual->vnet, "uplink", &receiver, error,
						 error_size);
	if (virtual->gateway_port < 0)
		return -1;
	if (hs_fabric_cable_add(virtual->run->fabric, "uplink", "uplink", topology->uplink_switch) <
	    0) {
		snprintf(error, error_size, "%s", hs_fabric_error(virtual->run->fabric));
		return -1;
	}
	return hs_vnet_timer_add(virtual->vnet, &timer);
}

/* ------------------------------------------------------------ operations */

static void virtual_call(void *context, const struct hs_vevent *event, int64_t now_us)
{
	struct hs_virtual *virtual = context;

	if (event->target >= 0 && (uint32_t)event->target < virtual->node_count)
		virtual_node_call(&virtual->nodes[event->target], event, now_us);
}

static int virtual_up(struct hs_run *run, char *error, size_t error_size)
{
	struct hs_virtual *virtual = calloc(1, sizeof(*virtual));
	int64_t now_us = run->virtual_now_us;

	run->backend_data = virtual;
	if (!virtual) {
		snprintf(error, error_size, "virtual_up: out of memory");
		return -1;
	}
	virtual->run = run;
	virtual->vnet = hs_vnet_new(run->fabric, run->seed, virtual_call, virtual);
	if (!virtual->vnet) {
		snprintf(error, error_size, "virtual_up: out of memory");
		return -1;
	}
	if (virtual_uplink_up(virtual, error, error_size) < 0)
		return -1;
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		if (virtual_node_setup(virtual, i, error, error_size) < 0)
			return -1;
		virtual->node_count++;
	}
	/* The lab starts with its nodes booted; hanode is started on each. */
	for (uint32_t i = 0; i < virtual->node_count; i++)
		virtual_node_power(&virtual->nodes[i], true, true, now_us);
	return 0;
}

static void virtual_down(struct hs_run *run)
{
	struct hs_virtual *virtual = virtual_of(run);

	if (!virtual)
		return;
	/* As native's teardown: hanode stops on SIGTERM, one node after the
	 * other, each as an operator's hand-over (its last records). */
	for (uint32_t i = 0; i < virtual->node_count; i++)
		virtual_node_stop(&virtual->nodes[i], run->virtual_now_us);
	for (uint32_t i = 0; i < virtual->node_count; i++)
		virtual_node_teardown(&virtual->nodes[i]);
	hs_vnet_free(virtual->vnet);
	free(virtual);
	run->backend_data = NULL;
}

/* The runner lights the cables before a power-on and darkens them right
 * after a power-off (hardware.c). */
static int virtual_power(struct hs_run *run, uint32_t index, bool on, uint64_t op, char *error,
			 size_t error_size)
{
	struct virtual_node *node = virtual_node_at(run, index);

	(void)op;
	if (!node) {
		snprintf(error, error_size, "power: no virtual node %u", index);
		return -1;
	}
	virtual_node_power(node, on, false, run->virtual_now_us);
	return 0;
}

static int virtual_raid(struct hs_run *run, uint32_t index, bool ok, uint64_t op, char *error,
			size_t error_size)
{
	struct virtual_node *node = virtual_node_at(run, index);

	(void)op;
	if (!node) {
		snprintf(error, error_size, "raid: no virtual node %u", index);
		return -1;
	}
	node->disk.raid_ok = ok;
	node->disks_failed = run->nodes[index].disks_failed;
	return 0;
}

static int virtual_disk(struct hs_run *run, uint32_t index, uint32_t disk, bool ok, uint64_t op,
			char *error, size_t error_size)
{
	struct virtual_node *node = virtual_node_at(run, index);

	(void)op;
	(void)disk;
	(void)ok;
	if (!node) {
		snprintf(error, error_size, "disk: no virtual node %u", index);
		return -1;
	}
	node->disks_failed = run->nodes[index].disks_failed;
	node->disk.raid_ok = run->nodes[index].raid_ok;
	return 0;
}

static int virtual_services(struct hs_run *run, uint32_t index, bool ok, uint64_t op, char *error,
			    size_t error_size)
{
	struct virtual_node *node = virtual_node_at(run, index);

	(void)op;
	if (!node) {
		snprintf(error, error_size, "services: no virtual node %u", index);
		return -1;
	}
	node->services_failed = !ok;
	return 0;
}

static int virtual_daemon(struct hs_run *run, uint32_t index, bool running, uint64_t op,
			  char *error, size_t error_size)
{
	struct virtual_node *node = virtual_node_at(run, index);

	(void)op;
	if (!node) {
		snprintf(error, error_size, "daemon: no virtual node %u", index);
		return -1;
	}
	if (running)
		virtual_node_start_later(node, run->virtual_now_us);
	else
		virtual_node_crash(node, run->virtual_now_us);
	return 0;
}

/* The runner regenerated the node's hanode.conf text with its new firmware. */
static int virtual_firmware(struct hs_run *run, uint32_t index, uint64_t op, char *error,
			    size_t error_size)
{
	struct virtual_node *node = virtual_node_at(run, index);

	(void)op;
	if (!node) {
		snprintf(error, error_size, "firmware: no virtual node %u", index);
		return -1;
	}
	if (!run->nodes[index].powered) { /* the runner refuses it first (hardware.c) */
		snprintf(error, error_size, "firmware: node '%s' is powered off",
			 run->nodes[index].model->name);
		return -1;
	}
	virtual_node_stop(node, run->virtual_now_us);
	if (virtual_node_reconfigure(node, error, error_size) < 0)
		return -1;
	virtual_node_start_later(node, run->virtual_now_us);
	return 0;
}

/* hanode's control socket answers at once (in the same virtual instant). */
static int virtual_control(struct hs_run *run, uint32_t index, const char *request, uint64_t op,
			   char *error, size_t error_size)
{
	struct virtual_node *node = virtual_node_at(run, index);
	static char reply[HS_REPORT_TEXT_MAX];
	struct hs_report report = {.kind = HS_REPORT_DONE, .node = index, .op = op};

	if (!node) {
		snprintf(error, error_size, "control: no virtual node %u", index);
		return -1;
	}
	report.ok =
	    virtual_node_control(node, request, reply, sizeof(reply), error, error_size) == 0;
	report.text = report.ok ? reply : error;
	hs_run_report(run, &report);
	return HS_BACKEND_PENDING;
}

static int virtual_endpoints(struct hs_run *run, uint32_t index, int network, char names[][32],
			     int max)
{
	if (max < 1 || network < 0 || network >= HS_NETWORK_COUNT ||
	    index >= run->scenario.topology.node_count)
		return 0;
	snprintf(names[0], 32, "%s.%s", run->scenario.topology.nodes[index].name,
		 network == HS_NETWORK_SYNC ? "sync" : "external");
	return 1;
}

/* A virtual run leaves nothing behind. */
static int virtual_gc(char *error, size_t error_size)
{
	(void)error;
	(void)error_size;
	return 0;
}

/* ----------------------------------------------------------- virtual time */

/* After a stall the lab stands still: nothing of it runs again (the run
 * ends with the report; the read-back and the final status see the lab as
 * the stall left it). */
static int64_t virtual_next_us(struct hs_run *run)
{
	struct hs_virtual *virtual = virtual_of(run);
	return virtual && !virtual->stalled ? hs_vnet_next_us(virtual->vnet) : -1;
}

static void virtual_run_due(struct hs_run *run, int64_t now_us)
{
	struct hs_virtual *virtual = virtual_of(run);
	char error[256], text[HS_REPORT_TEXT_MAX];

	if (!virtual || virtual->stalled ||
	    hs_vnet_run_due(virtual->vnet, now_us, error, sizeof(error)) == 0)
		return;
	virtual->stalled = true;
	/* "virtual time stalled": swarm's time_advances, as the clock's own. */
	snprintf(text, sizeof(text), "virtual time stalled at %lld ms in the virtual lab: %s",
		 (long long)(now_us / 1000 - run->t0_ms), error);
	hs_run_report(run, &(struct hs_report){.kind = HS_REPORT_FAILURE, .text = text});
}

static void virtual_client_send(struct hs_run *run, uint64_t serial, const char *line, bool session,
				int64_t now_ms)
{
	struct hs_virtual *virtual = virtual_of(run);

	if (!virtual || virtual->gateway_port < 0) {
		hs_client_closed(run, serial, "connect failed", now_ms);
		return;
	}
	hs_vgateway_client_send(&virtual->gateway, serial, line, session, run->virtual_now_us);
}

static void virtual_client_abort(struct hs_run *run, uint64_t serial, int64_t now_ms)
{
	struct hs_virtual *virtual = virtual_of(run);

	(void)now_ms;
	if (virtual && virtual->gateway_port >= 0)
		hs_vgateway_client_abort(&virtual->gateway, serial, run->virtual_now_us);
}

static const struct hs_backend_virtual_time virtual_time = {
    .next_us = virtual_next_us,
    .run_due = virtual_run_due,
    .client_send = virtual_client_send,
    .client_abort = virtual_client_abort,
};

const struct hs_backend_ops hs_backend_virtual = {
    .name = "virtual",
    .time_scale = 1.0,
    .notify_hook = true,
    .virtual_time = &virtual_time,
    .up = virtual_up,
    .down = virtual_down,
    .power = virtual_power,
    .raid = virtual_raid,
    .disk = virtual_disk,
    .services = virtual_services,
    .daemon = virtual_daemon,
    .firmware = virtual_firmware,
    .control = virtual_control,
    .endpoints = virtual_endpoints,
    .gc = virtual_gc,
};
