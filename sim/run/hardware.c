/*
 * hardware.c - the runner's side of a node's hardware, the same for every
 * backend: the node's state and cables, and the fence device.
 *
 * The runner owns what it knows of a node (powered, daemon running, RAID,
 * ports, firmware, display) and the node's cables in the fabric. Every
 * hardware step goes through one function here, which checks the node
 * once (unknown node, powered off, no such port), books the effect, and
 * asks the backend to act, with the cables switched around it (live
 * before a boot, dark right after a cut). A backend that finishes later
 * answers HS_BACKEND_PENDING and reports the outcome (ops.c); when that
 * outcome is a failure, hs_run_node_op_failed undoes the booking (a power-on
 * that failed leaves the node off). A pulled port is the cable alone: the
 * backend is not asked (the libvirt backend mirrors the fabric's carrier
 * onto its guest).
 *
 * The fence device has two doors: the Unix socket <state_dir>/hasim.sock
 * that `hasim fence` (the native nodes' fence_command) talks to, and the
 * backends' own channels (a guest's agent sends FENCE, a virtual node's
 * fence command), which call hs_fence_power_off directly. A fence counts
 * as done once the node's power is cut (its cables are dark): a backend
 * still finishing the cut reports a failure as a runner error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../fabric/fabric.h"
#include "run.h"

#define FENCE_REQUEST_TIMEOUT_MS 1000

/* ------------------------------------------------------------- lookups */

static int hw_node(struct hs_run *run, const char *name, const char *what, uint32_t *index,
		   char *error, size_t error_size)
{
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		if (strcmp(run->nodes[i].model->name, name) == 0) {
			*index = i;
			return 0;
		}
	snprintf(error, error_size, "%s: unknown node '%s'", what, name);
	return -1;
}

static int hw_powered(struct hs_run *run, uint32_t index, const char *what, char *error,
		      size_t error_size)
{
	if (run->nodes[index].powered)
		return 0;
	snprintf(error, error_size, "%s: node '%s' is powered off", what,
		 run->nodes[index].model->name);
	return -1;
}

static void hw_display(struct hs_node_runtime *node, const char *display)
{
	snprintf(node->display, sizeof(node->display), "%s", display);
}

/* An operation booked before the backend is asked (the backend gets its
 * id); 0 with a sentence in error when too many are under way. */
static uint64_t hw_op_begin(struct hs_run *run, struct hs_op_owner owner, enum hs_node_op what,
			    uint32_t index, const char *request, char *error, size_t error_size)
{
	uint64_t op = hs_run_op_begin(run, owner, what, index, request);

	if (!op)
		snprintf(error, error_size, "%s: more than %d operations under way",
			 run->nodes[index].model->name, HS_RUN_OPS_MAX);
	return op;
}

/* The backend answered: the booking stays only for an operation under way. */
static int hw_op_end(struct hs_run *run, uint64_t op, int result)
{
	if (result != HS_BACKEND_PENDING)
		hs_run_op_cancel(run, op);
	return result;
}

/* ------------------------------------------------------------ the node */

int hs_run_cables_set(struct hs_run *run, struct hs_node_runtime *node, bool powered, char *error,
		      size_t error_size)
{
	char cable[HS_NAME_MAX * 2 + 2];
	int64_t now_ms = hs_run_now_ms(run);

	for (int p = 0; p < HS_PORTS_MAX; p++) {
		const struct hs_port *port = &node->model->ports[p];
		if (!port->used)
			continue;
		snprintf(cable, sizeof(cable), "%s.%s", node->model->name, port->name);
		if (hs_fabric_cable_link_set(
			run->fabric, cable, HS_DIR_BOTH, powered && node->port_up[p], now_ms,
			powered ? "node powered on" : "node powered off") < 0) {
			snprintf(error, error_size, "%s", hs_fabric_error(run->fabric));
			return -1;
		}
	}
	return 0;
}

static void hw_book_power(struct hs_node_runtime *node, bool on)
{
	node->powered = on;
	node->daemon_running = on;
	hw_display(node, on ? "starting" : "off");
}

int hs_run_node_power(struct hs_run *run, const char *name, bool on, struct hs_op_owner owner,
		      char *error, size_t error_size)
{
	struct hs_node_runtime *node;
	uint32_t index;
	uint64_t op;
	int result;

	if (hw_node(run, name, "power", &index, error, error_size) < 0)
		return -1;
	node = &run->nodes[index];
	if (on == node->powered)
		return 0;
	/* On: lit first, then the boot. Off: the cut first, then dark (in the
	 * same round): a node that lived to see its carrier drop would act on
	 * it (fence its peer) where a real power cut leaves it no time. */
	hw_book_power(node, on);
	if (on && hs_run_cables_set(run, node, true, error, error_size) < 0)
		return -1;
	op = hw_op_begin(run, owner, on ? HS_NODE_OP_POWER_ON : HS_NODE_OP_POWER_OFF, index, "",
			 error, error_size);
	if (!op)
		return -1;
	result = hw_op_end(run, op, run->backend->power(run, index, on, op, error, error_size));
	if (!on && hs_run_cables_set(run, node, false, error, error_size) < 0)
		return -1;
	return result;
}

int hs_run_node_port(struct hs_run *run, const char *name, const char *port, bool up, char *error,
		     size_t error_size)
{
	char cable[HS_NAME_MAX * 2 + 2];
	struct hs_node_runtime *node;
	uint32_t index;

	if (hw_node(run, name, "port", &index, error, error_size) < 0)
		return -1;
	node = &run->nodes[index];
	for (int p = 0; p < HS_PORTS_MAX; p++) {
		if (!node->model->ports[p].used || strcmp(node->model->ports[p].name, port) != 0)
			continue;
		node->port_up[p] = up;
		if (!node->powered)
			return 0; /* the cable follows when the node is powered again */
		snprintf(cable, sizeof(cable), "%s.%s", name, port);
		if (hs_fabric_cable_link_set(run->fabric, cable, HS_DIR_BOTH, up,
					     hs_run_now_ms(run),
					     up ? "port plugged" : "port pulled") < 0) {
			snprintf(error, error_size, "%s", hs_fabric_error(run->fabric));
			return -1;
		}
		return 0;
	}
	snprintf(error, error_size, "port: node '%s' has no port '%s'", name, port);
	return -1;
}

int hs_run_node_raid(struct hs_run *run, const char *name, bool ok, struct hs_op_owner owner,
		     char *error, size_t error_size)
{
	uint32_t index;
	uint64_t op;

	if (hw_node(run, name, "raid", &index, error, error_size) < 0)
		return -1;
	if (!run->nodes[index].plan.raid) {
		snprintf(error, error_size,
			 "raid: node '%s' is a %s, which has no RAID (one virtual disk: "
			 "refimpl/core/hn_models.h); a scenario that fails a RAID says "
			 "`requires: {raid: true}`",
			 name, run->nodes[index].model->model);
		return -1;
	}
	run->nodes[index].raid_ok = ok;
	run->nodes[index].disks_failed = ok ? 0 : (1u << HS_RAID_DISKS) - 1;
	op = hw_op_begin(run, owner, HS_NODE_OP_RAID, index, "", error, error_size);
	if (!op)
		return -1;
	return hw_op_end(run, op, run->backend->raid(run, index, ok, op, error, error_size));
}

/* One member of the RAID1: lost, the array runs degraded on the other (the
 * node's RAID check still passes); both lost, the array has failed. Like
 * the RAID, a disk is not powered: it may fail while the node is off. */
int hs_run_node_disk(struct hs_run *run, const char *name, uint32_t disk, bool ok,
		     struct hs_op_owner owner, char *error, size_t error_size)
{
	struct hs_node_runtime *node;
	uint32_t index;
	uint64_t op;

	if (hw_node(run, name, "disk", &index, error, error_size) < 0)
		return -1;
	if (!run->nodes[index].plan.raid) {
		snprintf(error, error_size,
			 "disk: node '%s' is a %s, which has no RAID member to fail (one virtual "
			 "disk: refimpl/core/hn_models.h); a scenario that fails a disk says "
			 "`requires: {raid: true}`",
			 name, run->nodes[index].model->model);
		return -1;
	}
	if (disk >= HS_RAID_DISKS || !run->backend->disk) {
		snprintf(error, error_size,
			 disk >= HS_RAID_DISKS ? "disk: %s has no disk %u (0..%d)"
					       : "disk: the %s backend cannot fail one disk",
			 disk >= HS_RAID_DISKS ? name : run->backend->name, disk,
			 HS_RAID_DISKS - 1);
		return -1;
	}
	node = &run->nodes[index];
	if (ok)
		node->disks_failed &= ~(1u << disk);
	else
		node->disks_failed |= 1u << disk;
	node->raid_ok = node->disks_failed != (1u << HS_RAID_DISKS) - 1;
	op = hw_op_begin(run, owner, HS_NODE_OP_RAID, index, "", error, error_size);
	if (!op)
		return -1;
	return hw_op_end(run, op, run->backend->disk(run, index, disk, ok, op, error, error_size));
}

/* The node's services check fails until restored (hanode.conf's
 * services_status, plan.c); it may change while the node is off, as a
 * broken service stays broken across a reboot. */
int hs_run_node_services(struct hs_run *run, const char *name, bool ok, struct hs_op_owner owner,
			 char *error, size_t error_size)
{
	uint32_t index;
	uint64_t op;

	if (hw_node(run, name, "services", &index, error, error_size) < 0)
		return -1;
	if (!run->backend->services) {
		snprintf(error, error_size, "services: the %s backend cannot make services fail",
			 run->backend->name);
		return -1;
	}
	run->nodes[index].services_failed = !ok;
	op = hw_op_begin(run, owner, HS_NODE_OP_SERVICES, index, "", error, error_size);
	if (!op)
		return -1;
	return hw_op_end(run, op, run->backend->services(run, index, ok, op, error, error_size));
}

int hs_run_node_daemon(struct hs_run *run, const char *name, bool running, struct hs_op_owner owner,
		       char *error, size_t error_size)
{
	struct hs_node_runtime *node;
	uint32_t index;
	uint64_t op;

	if (hw_node(run, name, "daemon", &index, error, error_size) < 0 ||
	    hw_powered(run, index, "daemon", error, error_size) < 0)
		return -1;
	node = &run->nodes[index];
	if (running && node->daemon_running)
		return 0; /* restart of a daemon that runs: nothing to do */
	node->daemon_running = running;
	hw_display(node, running ? "starting" : "off");
	op = hw_op_begin(run, owner, running ? HS_NODE_OP_DAEMON_START : HS_NODE_OP_DAEMON_STOP,
			 index, "", error, error_size);
	if (!op)
		return -1;
	return hw_op_end(run, op, run->backend->daemon(run, index, running, op, error, error_size));
}

int hs_run_node_firmware(struct hs_run *run, const char *name, const char *version,
			 struct hs_op_owner owner, char *error, size_t error_size)
{
	struct hs_node_runtime *node;
	uint32_t index;
	uint64_t op;

	if (hw_node(run, name, "firmware", &index, error, error_size) < 0 ||
	    hw_powered(run, index, "firmware", error, error_size) < 0)
		return -1;
	node = &run->nodes[index];
	snprintf(node->firmware, sizeof(node->firmware), "%s", version);
	if (hs_plan_write_config(run, node, error, error_size) < 0)
		return -1;
	node->daemon_running = true;
	hw_display(node, "starting");
	op = hw_op_begin(run, owner, HS_NODE_OP_FIRMWARE, index, "", error, error_size);
	if (!op)
		return -1;
	return hw_op_end(run, op, run->backend->firmware(run, index, op, error, error_size));
}

int hs_run_node_control(struct hs_run *run, const char *name, const char *request,
			struct hs_op_owner owner, char *error, size_t error_size)
{
	uint32_t index;
	uint64_t op;
	int result;

	if (hw_node(run, name, "control", &index, error, error_size) < 0)
		return -1;
	if (!run->nodes[index].powered || !run->nodes[index].daemon_running) {
		snprintf(error, error_size, "control %s '%s': %s", name, request,
			 run->nodes[index].powered ? "hanode is not running"
						   : "the node is powered off");
		return -1;
	}
	op = hw_op_begin(run, owner, HS_NODE_OP_CONTROL, index, request, error, error_size);
	if (!op)
		return -1;
	result =
	    hw_op_end(run, op, run->backend->control(run, index, request, op, error, error_size));
	if (result == 0) { /* a control request always has a reply to wait for */
		snprintf(error, error_size, "control %s '%s': the backend gave no reply", name,
			 request);
		return -1;
	}
	return result;
}

void hs_run_node_op_failed(struct hs_run *run, const struct hs_run_op *op)
{
	struct hs_node_runtime *node = &run->nodes[op->node];
	char error[256];

	switch (op->what) {
	case HS_NODE_OP_POWER_ON: /* it did not come up: off, dark */
		hw_book_power(node, false);
		if (hs_run_cables_set(run, node, false, error, sizeof(error)) < 0)
			hs_run_error_add(run, "%s", error);
		break;
	case HS_NODE_OP_DAEMON_START:
	case HS_NODE_OP_FIRMWARE:
		node->daemon_running = false;
		hw_display(node, "off");
		break;
	default: /* a failed cut or crash: what the node does next tells */
		break;
	}
}

void hs_run_node_daemon_ended(struct hs_run *run, uint32_t index)
{
	run->nodes[index].daemon_running = false;
	hw_display(&run->nodes[index], "off");
}

/* ---------------------------------------------------------- fence device */

int hs_fence_listen(struct hs_run *run, char *error, size_t error_size)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};

	snprintf(address.sun_path, sizeof(address.sun_path), "%s/hasim.sock", run->state_dir);
	run->fence_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (run->fence_listen_fd < 0 ||
	    bind(run->fence_listen_fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    listen(run->fence_listen_fd, 8) < 0) {
		snprintf(error, error_size, "hs_fence_listen: %s: %s", address.sun_path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int hs_fence_power_off(struct hs_run *run, const char *node, int64_t now_ms, char *error,
		       size_t error_size)
{
	struct hs_op_owner owner = {.purpose = HS_OP_FENCE};
	int result = hs_run_node_power(run, node, false, owner, error, error_size);

	if (result == HS_BACKEND_PENDING)
		result = 0; /* cut: the backend reports if finishing it fails */
	hs_steps_log(run, now_ms, "fence", "fence", "power_off", node, result == 0,
		     result == 0 ? "" : error);
	if (run->verbose || run->live)
		fprintf(stderr, "[%6lld ms] fence %s: %s\n", (long long)(now_ms - run->t0_ms), node,
			result == 0 ? "powered off" : error);
	return result;
}

static void fence_client_close(struct hs_run *run, int slot)
{
	close(run->fence_clients[slot].fd);
	run->fence_clients[slot].fd = -1;
}

/* A node's fence_command asked to power its peer off ("fence node2\n"). */
static void fence_serve(struct hs_run *run, int slot, int64_t now_ms)
{
	char request[128] = "", node[HS_NAME_MAX] = "", error[256] = "";
	int fd = run->fence_clients[slot].fd, result;
	ssize_t got = recv(fd, request, sizeof(request) - 1, MSG_DONTWAIT);

	if (got < 0 && (errno == EAGAIN || errno == EINTR) &&
	    now_ms < run->fence_clients[slot].deadline_ms)
		return; /* not sent yet: wait in the loop */
	if (got > 0 && sscanf(request, "fence %31s", node) == 1) {
		result = hs_fence_power_off(run, node, now_ms, error, sizeof(error));
	} else {
		snprintf(error, sizeof(error),
			 got < 0 ? "no fence request within %d ms" : "bad fence request",
			 FENCE_REQUEST_TIMEOUT_MS);
		hs_steps_log(run, now_ms, "fence", "fence", "power_off", "", false, error);
		result = -1;
	}
	dprintf(fd, result == 0 ? "ok\n" : "error %s\n", error);
	fence_client_close(run, slot);
}

static void fence_accept(struct hs_run *run, int64_t now_ms)
{
	int fd = accept4(run->fence_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int slot = 0; slot < HS_FENCE_CLIENTS_MAX; slot++)
		if (run->fence_clients[slot].fd < 0) {
			run->fence_clients[slot].fd = fd;
			run->fence_clients[slot].deadline_ms = now_ms + FENCE_REQUEST_TIMEOUT_MS;
			fence_serve(run, slot, now_ms);
			return;
		}
	dprintf(fd, "error the fence device is busy\n");
	close(fd);
}

int hs_fence_pollfds(struct hs_run *run, struct pollfd *fds, int cap, int64_t now_ms,
		     int *timeout_ms)
{
	int count = 0;

	if (run->fence_listen_fd < 0 || cap < 1 + HS_FENCE_CLIENTS_MAX)
		return 0;
	fds[count++] = (struct pollfd){.fd = run->fence_listen_fd, .events = POLLIN};
	for (int slot = 0; slot < HS_FENCE_CLIENTS_MAX; slot++) {
		int64_t wait_ms = run->fence_clients[slot].deadline_ms - now_ms;
		fds[count++] = (struct pollfd){.fd = run->fence_clients[slot].fd, .events = POLLIN};
		if (run->fence_clients[slot].fd >= 0 && (*timeout_ms < 0 || wait_ms < *timeout_ms))
			*timeout_ms = wait_ms > 0 ? (int)wait_ms : 0;
	}
	return count;
}

void hs_fence_handle(struct hs_run *run, const struct pollfd *fds, int count, int64_t now_ms)
{
	if (count < 1 + HS_FENCE_CLIENTS_MAX)
		return;
	for (int slot = 0; slot < HS_FENCE_CLIENTS_MAX; slot++)
		if (run->fence_clients[slot].fd >= 0 &&
		    (fds[1 + slot].revents || now_ms >= run->fence_clients[slot].deadline_ms))
			fence_serve(run, slot, now_ms);
	if (fds[0].revents & POLLIN)
		fence_accept(run, now_ms);
}

void hs_fence_close(struct hs_run *run)
{
	for (int slot = 0; slot < HS_FENCE_CLIENTS_MAX; slot++)
		if (run->fence_clients[slot].fd >= 0)
			fence_client_close(run, slot);
	if (run->fence_listen_fd >= 0)
		close(run->fence_listen_fd);
	run->fence_listen_fd = -1;
}
