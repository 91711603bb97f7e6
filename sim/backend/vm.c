/*
 * vm.c - the libvirt backend: every node is a QEMU guest (sim/guest).
 *
 * Each node is a libvirt domain "<run_id>-<node>" made from the guest's
 * kernel and initramfs (make guest), with two raw disks that md mirrors
 * (RAID1) and four NICs LAN1..LAN4, each a UDP tunnel into the run's fabric,
 * so network faults happen in the same place as for the native backend
 * (QEMU's ends of the tunnels: tunnel_port.h). When the run ends, libvirt's
 * log of the guest's QEMU moves into the run folder (nodes/NODE/qemu.log).
 * The node's hanode.conf and the cluster key reach the guest through
 * fw_cfg; its addresses through the kernel command line. A virtio-serial
 * channel connects hasim to the guest's agent (hnagent): control requests,
 * daemon crash/restart, firmware updates, and the cluster log, which the
 * agent streams line by line. Each line's guest time is mapped onto the
 * host's monotonic clock (guest_clock.h, from SYNC samples every
 * VM_CLOCK_SYNC_MS; the guest's own time is kept as guest_mono_ms and the
 * arrival as arrived_ms, the mapping's uncertainty as clock_error_ms), so
 * one clock orders every event of the run by when it happened, not by when
 * its line crossed its channel.
 *
 * Hardware, as real as libvirt makes it:
 *   power     virDomainDestroy / virDomainCreate of the domain
 *   port      the fabric cable dies; the carrier change it reports sets the
 *             guest NIC's link down through libvirt (as a switch port would)
 *   RAID      both disks hot-unplugged through libvirt: md fails the array
 *   crash     SIGKILL of hanode by the agent
 *   fence     the guest's fence_command (hnagent -F) asks over the agent's
 *             channel; hasim powers the peer off and answers FENCED OK
 * Guests run under TCG by default (--accel kvm|auto: KVM hangs on this
 * machine), hence time_scale 3: the upper bounds of time windows stretch,
 * the lower bounds stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../fabric/fabric.h"
#include "../run/run.h"
#include "backend.h"
#include "guest_clock.h"
#include "libvirt_conn.h"
#include "libvirt_domain.h"
#include "tunnel_port.h"

#define VM_DISK_BYTES	    (64ull << 20)
#define VM_LINE_MAX	    8192
#define VM_REPLY_TIMEOUT_MS 8000
#define VM_CONNECT_RETRY_MS 200
#define VM_CLOCK_SYNC_MS    250 /* a clock sample from each guest's agent */

static const char *vm_port_names[HS_DOMAIN_NICS] = {"LAN1", "LAN2", "LAN3", "LAN4"};

struct vm_node {
	struct hs_domain_spec spec;
	bool defined;
	int agent_fd;
	int64_t next_connect_ms;
	char line[VM_LINE_MAX];
	size_t line_length;
	FILE *log;
	bool link_up[HS_DOMAIN_NICS];
	char fence_peer[HS_NAME_MAX]; /* a FENCE request from the guest, not yet served */
	struct hs_guest_clock clock;  /* of the guest's current boot */
	int64_t next_sync_ms;
	struct hs_tunnel_port tunnel_ports[HS_DOMAIN_NICS]; /* held until QEMU binds them */
};

struct vm_state {
	struct hs_libvirt_conn conn;
	bool accel_kvm;
	struct vm_node nodes[HS_NODES_MAX];
};

static struct vm_node *vm_node(struct hs_run *run, const char *name,
			       struct hs_node_runtime **runtime)
{
	struct vm_state *state = run->backend_data;

	for (uint32_t i = 0; state && i < run->scenario.topology.node_count; i++)
		if (strcmp(run->nodes[i].model->name, name) == 0) {
			if (runtime)
				*runtime = &run->nodes[i];
			return &state->nodes[i];
		}
	return NULL;
}

/* ---------------------------------------------------------- the agent */

static void vm_agent_close(struct vm_node *vm)
{
	if (vm->agent_fd >= 0)
		close(vm->agent_fd);
	vm->agent_fd = -1;
	vm->line_length = 0;
	hs_guest_clock_reset(&vm->clock); /* a new connection may be a new boot */
	vm->next_sync_ms = 0;
}

static void vm_agent_connect(struct vm_node *vm, int64_t now_ms)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};

	if (vm->agent_fd >= 0 || now_ms < vm->next_connect_ms)
		return;
	vm->next_connect_ms = now_ms + VM_CONNECT_RETRY_MS;
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", vm->spec.agent_socket_path);
	vm->agent_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (vm->agent_fd >= 0 &&
	    connect(vm->agent_fd, (struct sockaddr *)&address, sizeof(address)) < 0)
		vm_agent_close(vm);
}

/* A cluster-log line from the guest: its time mapped onto the host's clock. */
static void vm_log_line(struct vm_node *vm, const char *text, int64_t now_ms)
{
	json_t *record = json_loads(text, 0, NULL);
	json_t *guest_mono;
	char *dumped;

	if (!vm->log)
		return;
	if (!record) {
		fprintf(vm->log, "%s\n", text); /* the checker reports it with file:line */
		fflush(vm->log);
		return;
	}
	guest_mono = json_object_get(record, "mono_ms");
	json_object_set(record, "guest_mono_ms", guest_mono);
	json_object_set_new(
	    record, "mono_ms",
	    json_integer(
		json_is_integer(guest_mono)
		    ? hs_guest_clock_map(&vm->clock, json_integer_value(guest_mono), now_ms)
		    : now_ms));
	json_object_set_new(record, "arrived_ms", json_integer(now_ms));
	if (vm->clock.valid) /* the mapped time is known to +- this */
		json_object_set_new(record, "clock_error_ms",
				    json_integer((vm->clock.round_trip_ms + 1) / 2));
	dumped = json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (dumped) {
		fprintf(vm->log, "%s\n", dumped);
		fflush(vm->log);
		free(dumped);
	}
	json_decref(record);
}

/* Read what the agent sent; LOG lines go to the log, the others are handed
 * to reply (when not NULL) one by one. Returns 1 when a line was handed. */
static int vm_agent_read_line(struct vm_node *vm, char *reply, size_t reply_size, int64_t now_ms)
{
	for (;;) {
		char *newline = memchr(vm->line, '\n', vm->line_length);
		if (newline) {
			size_t length = (size_t)(newline - vm->line);
			*newline = '\0';
			int handed = 0;
			long long sent_ms, guest_ms;
			if (strncmp(vm->line, "LOG ", 4) == 0)
				vm_log_line(vm, vm->line + 4, now_ms);
			else if (sscanf(vm->line, "SYNC %lld mono_ms=%lld", &sent_ms, &guest_ms) ==
				 2)
				hs_guest_clock_sample(&vm->clock, sent_ms, guest_ms, hs_now_ms());
			else if (strncmp(vm->line, "FENCE ", 6) == 0)
				snprintf(vm->fence_peer, sizeof(vm->fence_peer), "%s",
					 vm->line + 6);
			else if (reply) {
				snprintf(reply, reply_size, "%s", vm->line);
				handed = 1;
			}
			memmove(vm->line, newline + 1, vm->line_length - length - 1);
			vm->line_length -= length + 1;
			if (handed)
				return 1;
			continue;
		}
		if (vm->line_length == sizeof(vm->line))
			vm->line_length = 0; /* an endless line: drop it, bounded */
		ssize_t got = recv(vm->agent_fd, vm->line + vm->line_length,
				   sizeof(vm->line) - vm->line_length, MSG_DONTWAIT);
		if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
			vm_agent_close(vm);
			return -1;
		}
		if (got < 0)
			return 0;
		vm->line_length += (size_t)got;
	}
}

/* One request; the reply is "OK ..."/"ERR ..." or OUT lines up to "END n".
 * out gets the OUT lines joined by newlines (or the OK/ERR line). */
static int vm_agent_exchange(struct hs_run *run, struct vm_node *vm, const char *request, char *out,
			     size_t out_size, char *error, size_t error_size)
{
	int64_t deadline_ms = hs_now_ms() + VM_REPLY_TIMEOUT_MS;
	char line[VM_LINE_MAX];
	size_t used = 0;

	(void)run;
	out[0] = '\0';
	while (vm->agent_fd < 0 && hs_now_ms() < deadline_ms) {
		vm->next_connect_ms = 0;
		vm_agent_connect(vm, hs_now_ms());
		if (vm->agent_fd < 0)
			usleep(100000);
	}
	if (vm->agent_fd < 0 || dprintf(vm->agent_fd, "%s\n", request) < 0) {
		snprintf(error, error_size, "agent of %s: not reachable for '%s'", vm->spec.name,
			 request);
		return -1;
	}
	while (hs_now_ms() < deadline_ms) {
		struct pollfd fd = {.fd = vm->agent_fd, .events = POLLIN};
		int got = vm_agent_read_line(vm, line, sizeof(line), hs_now_ms());
		if (got < 0)
			break;
		if (got == 0) {
			poll(&fd, 1, 50);
			continue;
		}
		if (strncmp(line, "OUT ", 4) == 0) {
			used += (size_t)snprintf(out + used, out_size > used ? out_size - used : 0,
						 "%s%s", used ? "\n" : "", line + 4);
			if (used >= out_size)
				used = out_size - 1;
			continue;
		}
		if (strncmp(line, "END ", 4) == 0)
			return atoi(line + 4) == 0
				   ? 0
				   : (snprintf(error, error_size, "agent of %s: '%s' ended %s: %s",
					       vm->spec.name, request, line + 4, out),
				      -1);
		snprintf(out, out_size, "%s", line);
		if (strncmp(line, "OK", 2) == 0)
			return 0;
		snprintf(error, error_size, "agent of %s: '%s': %s", vm->spec.name, request, line);
		return -1;
	}
	snprintf(error, error_size, "agent of %s: no answer to '%s' within %d ms", vm->spec.name,
		 request, VM_REPLY_TIMEOUT_MS);
	return -1;
}

/* A request, then whatever the agent sent behind its reply (LOG lines must
 * reach the log now, not at the next request). */
static int vm_agent_request(struct hs_run *run, struct vm_node *vm, const char *request, char *out,
			    size_t out_size, char *error, size_t error_size)
{
	int result = vm_agent_exchange(run, vm, request, out, out_size, error, error_size);

	if (vm->agent_fd >= 0)
		vm_agent_read_line(vm, NULL, 0, hs_now_ms());
	return result;
}

/* ---------------------------------------------------------- bring-up */

static int vm_disk_create(const char *path, char *error, size_t error_size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || ftruncate(fd, (off_t)VM_DISK_BYTES) < 0) {
		snprintf(error, error_size, "vm_disk_create: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* QEMU is about to bind its ends of the tunnels (tunnel_port.h). */
static void vm_tunnel_ports_release(struct vm_node *vm)
{
	for (int n = 0; n < HS_DOMAIN_NICS; n++)
		hs_tunnel_port_release(&vm->tunnel_ports[n]);
}

/* The hanode.conf the guest gets: the run's plan without host paths (the
 * guest's init fills data_dir, log_file, control_socket, key_file and
 * raid_array=md0 with the guest's own). */
static int vm_guest_config(struct hs_run *run, struct hs_node_runtime *node, const char *path,
			   char *error, size_t error_size)
{
	static const char *host_keys[] = {"key_file",	    "raid_mdstat",   "raid_array",
					  "notify_command", "fence_command", "log_file",
					  "control_socket", "data_dir",	     NULL};
	const char *text = node->plan.config_text;
	FILE *file = fopen(path, "w");

	if (!file) {
		snprintf(error, error_size, "vm_guest_config: %s: %s", path, strerror(errno));
		return -1;
	}
	while (*text) {
		const char *end = strchr(text, '\n');
		size_t length = end ? (size_t)(end - text) : strlen(text);
		bool host_only = false;
		for (const char **key = host_keys; *key; key++)
			if (strncmp(text, *key, strlen(*key)) == 0 && text[strlen(*key)] == ' ')
				host_only = true;
		if (!host_only)
			fprintf(file, "%.*s\n", (int)length, text);
		text += length + (end ? 1 : 0);
	}
	(void)run; /* the guest's init adds fence_command = /sbin/hnagent -F */
	return fclose(file) == 0 ? 0 : -1;
}

static int vm_node_spec(struct hs_run *run, uint32_t index, char *error, size_t error_size)
{
	struct vm_state *state = run->backend_data;
	struct vm_node *vm = &state->nodes[index];
	struct hs_node_runtime *node = &run->nodes[index];
	const struct hs_node_model *model = node->model;
	char name[HS_DOMAIN_NAME_MAX], endpoint[HS_NAME_MAX * 2 + 2];
	const char *build = getenv("HALAB_BUILD") ? getenv("HALAB_BUILD") : "build";

	snprintf(name, sizeof(name), "%s-%s", run->run_id, model->name);
	hs_domain_spec_defaults(&vm->spec, name, index + 1);
	vm->agent_fd = -1;
	snprintf(vm->spec.kernel_path, sizeof(vm->spec.kernel_path), "%s/guest/vmlinuz", build);
	snprintf(vm->spec.initrd_path, sizeof(vm->spec.initrd_path), "%s/guest/initramfs.cpio.gz",
		 build);
	char kernel[PATH_MAX], initrd[PATH_MAX];
	if (realpath(vm->spec.kernel_path, kernel) == NULL ||
	    realpath(vm->spec.initrd_path, initrd) == NULL) {
		snprintf(error, error_size,
			 "libvirt backend: no guest image in %s/guest (run `make "
			 "guest` first)",
			 build);
		return -1;
	}
	snprintf(vm->spec.kernel_path, sizeof(vm->spec.kernel_path), "%s", kernel);
	snprintf(vm->spec.initrd_path, sizeof(vm->spec.initrd_path), "%s", initrd);
	snprintf(vm->spec.cmdline, sizeof(vm->spec.cmdline),
		 "console=ttyS0 quiet halab.hostname=%s halab.bond0=%s halab.bond1=%s", model->name,
		 model->interfaces[HS_NETWORK_EXTERNAL].address,
		 model->interfaces[HS_NETWORK_SYNC].address);
	for (int d = 0; d < HS_DOMAIN_DISKS; d++) {
		snprintf(vm->spec.disk_paths[d], sizeof(vm->spec.disk_paths[d]), "%s/%s/disk%d.raw",
			 run->state_dir, model->name, d);
		if (vm_disk_create(vm->spec.disk_paths[d], error, error_size) < 0)
			return -1;
	}
	snprintf(vm->spec.agent_socket_path, sizeof(vm->spec.agent_socket_path), "%s/%s.agent",
		 run->state_dir, model->name);
	snprintf(vm->spec.console_path, sizeof(vm->spec.console_path), "%s/nodes/%s/console.log",
		 run->run_dir, model->name);
	if (vm->spec.console_path[0] != '/') {
		char cwd[256];
		if (getcwd(cwd, sizeof(cwd)))
			snprintf(vm->spec.console_path, sizeof(vm->spec.console_path),
				 "%s/%s/nodes/%s/console.log", cwd, run->run_dir, model->name);
	}
	snprintf(vm->spec.config_path, sizeof(vm->spec.config_path), "%s/%s/guest.conf",
		 run->state_dir, model->name);
	snprintf(vm->spec.key_path, sizeof(vm->spec.key_path), "%s/cluster.key", run->state_dir);
	if (vm_guest_config(run, node, vm->spec.config_path, error, error_size) < 0)
		return -1;
	for (int n = 0; n < HS_DOMAIN_NICS; n++) {
		uint16_t fabric_port = 0;
		if (hs_tunnel_port_reserve(&vm->tunnel_ports[n], error, error_size) < 0)
			return -1;
		vm->spec.nics[n].local_port = vm->tunnel_ports[n].port;
		snprintf(endpoint, sizeof(endpoint), "%s.%s", model->name, vm_port_names[n]);
		if (hs_fabric_endpoint_add_udp(run->fabric, endpoint, 0,
					       vm->spec.nics[n].local_port, &fabric_port) < 0)
			goto fabric_error;
		vm->spec.nics[n].remote_port = fabric_port;
		vm->link_up[n] = true;
		for (int p = 0; p < HS_PORTS_MAX; p++)
			if (model->ports[p].used &&
			    strcmp(model->ports[p].name, vm_port_names[n]) == 0 &&
			    hs_fabric_cable_add(run->fabric, endpoint, endpoint,
						model->ports[p].switch_name) < 0)
				goto fabric_error;
	}
	return 0;
fabric_error:
	snprintf(error, error_size, "%s", hs_fabric_error(run->fabric));
	return -1;
}

#define VM_KVM_PROBE_TIMEOUT_MS 20000

/* --accel: tcg (default), kvm, or auto = boot the guest once under KVM and
 * use it only if init got as far as "halab-init: ready" in time (on this
 * machine /dev/kvm opens but guests hang in the firmware). */
static int vm_accel_choose(struct hs_run *run, struct vm_state *state,
			   const struct hs_domain_spec *spec, char *error, size_t error_size)
{
	bool kvm_ok = false;
	char probe_error[256] = "";

	state->accel_kvm = strcmp(run->accel, "kvm") == 0;
	if (strcmp(run->accel, "auto") != 0)
		return 0;
	if (hs_domain_accel_probe(state->conn.connection, spec, "halab-init: ready",
				  VM_KVM_PROBE_TIMEOUT_MS, &kvm_ok, probe_error,
				  sizeof(probe_error)) < 0) {
		snprintf(error, error_size, "--accel auto: %s", probe_error);
		return -1;
	}
	state->accel_kvm = kvm_ok;
	fprintf(stderr, "hasim: --accel auto: %s%s%s\n",
		kvm_ok ? "KVM boots, using it" : "KVM does not boot the guest, using TCG",
		probe_error[0] ? ": " : "", probe_error);
	return 0;
}

static int vm_up(struct hs_run *run, char *error, size_t error_size)
{
	struct vm_state *state = calloc(1, sizeof(*state));

	run->backend_data = state;
	if (!state) {
		snprintf(error, error_size, "vm_up: out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < HS_NODES_MAX; i++) {
		state->nodes[i].agent_fd = -1;
		for (int n = 0; n < HS_DOMAIN_NICS; n++)
			state->nodes[i].tunnel_ports[n].fd = -1;
	}
	hs_libvirt_errors_silence();
	if (hs_libvirt_conn_open(&state->conn, getenv("HALAB_LIBVIRT_URI"), error, error_size) < 0)
		return -1;
	if (state->conn.libvirtd_pid > 0)
		hs_run_pid_add(run, state->conn.libvirtd_pid, "libvirtd");
	if (state->conn.virtlogd_pid > 0)
		hs_run_pid_add(run, state->conn.virtlogd_pid, "virtlogd");
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		struct vm_node *vm = &state->nodes[i];
		if (vm_node_spec(run, i, error, error_size) < 0)
			return -1;
		if (i == 0 && vm_accel_choose(run, state, &vm->spec, error, error_size) < 0)
			return -1;
		vm->spec.accel_kvm = state->accel_kvm;
		vm->log = fopen(run->nodes[i].plan.log_path, "a");
		vm_tunnel_ports_release(vm);
		if (hs_domain_up(state->conn.connection, &vm->spec, error, error_size) < 0)
			return -1;
		vm->defined = true;
		run->nodes[i].powered = true;
		run->nodes[i].daemon_running = true;
		snprintf(run->nodes[i].display, sizeof(run->nodes[i].display), "starting");
	}
	return 0;
}

/* libvirt's log of a domain's QEMU (its command line, and why it stopped
 * or did not start: "Address already in use") moves into the run folder as
 * nodes/NODE/qemu.log, so the run keeps it and libvirt's folder does not
 * grow by two files a run. qemu:///system and a private daemon log to the
 * first folder, qemu:///session to the second. */
static void vm_qemu_log_move(struct hs_run *run, const struct vm_node *vm, const char *node_name)
{
	const char *home = getenv("HOME");
	char from[2][600], to[600], buffer[8192];
	ssize_t length;

	snprintf(from[0], sizeof(from[0]), "%s/%s.log", HS_BACKEND_QEMU_LOG_DIR, vm->spec.name);
	snprintf(from[1], sizeof(from[1]), "%s/.cache/libvirt/qemu/log/%s.log", home ? home : "/",
		 vm->spec.name);
	snprintf(to, sizeof(to), "%s/nodes/%s/qemu.log", run->run_dir, node_name);
	for (int i = 0; i < 2; i++) {
		int in = open(from[i], O_RDONLY | O_CLOEXEC);
		int out = in >= 0 ? open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
		bool copied = out >= 0;

		while (copied && (length = read(in, buffer, sizeof(buffer))) != 0)
			copied = length > 0 && write(out, buffer, (size_t)length) == length;
		if (out >= 0 && close(out) < 0)
			copied = false;
		if (in >= 0)
			close(in);
		if (copied)
			unlink(from[i]);
		else if (in >= 0)
			fprintf(stderr, "hasim: could not copy %s to %s: %s\n", from[i], to,
				strerror(errno));
	}
}

static void vm_down(struct hs_run *run)
{
	struct vm_state *state = run->backend_data;
	char error[512];
	bool lost = false;

	if (!state)
		return;
	/* A connection that broke (libvirtd restarted) is opened again: the
	 * domains must go whatever happened. */
	if (state->conn.connection && virConnectIsAlive(state->conn.connection) != 1) {
		virConnectClose(state->conn.connection);
		state->conn.connection = NULL;
		lost = hs_libvirt_conn_open(&state->conn, getenv("HALAB_LIBVIRT_URI"), error,
					    sizeof(error)) < 0;
	}
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		struct vm_node *vm = &state->nodes[i];
		vm_agent_close(vm);
		vm_tunnel_ports_release(vm);
		if (vm->defined && state->conn.connection &&
		    hs_domain_down(state->conn.connection, vm->spec.name, error, sizeof(error)) <
			0) {
			fprintf(stderr, "hasim: %s\n", error);
			lost = true;
		} else if (vm->spec.name[0] != '\0') { /* also a guest that did not start */
			vm_qemu_log_move(run, vm, run->nodes[i].model->name);
		}
		vm->defined = false;
		if (vm->log)
			fclose(vm->log);
		vm->log = NULL;

		for (int d = 0; d < HS_DOMAIN_DISKS; d++)
			if (vm->spec.disk_paths[d][0])
				unlink(vm->spec.disk_paths[d]);
	}
	hs_libvirt_conn_close(&state->conn);
	free(state);
	run->backend_data = NULL;
	if (lost) /* last resort: end this run's QEMU processes by PID */
		hs_backend_gc(error, sizeof(error));
}

/* --------------------------------------------------------- operations */

static int vm_power(struct hs_run *run, const char *name, bool on, char *error, size_t error_size)
{
	struct vm_state *state = run->backend_data;
	struct hs_node_runtime *node;
	struct vm_node *vm = vm_node(run, name, &node);

	if (!vm) {
		snprintf(error, error_size, "power: unknown node '%s'", name);
		return -1;
	}
	if (on == node->powered)
		return 0;
	if (!on)
		vm_agent_close(vm);
	/* Cables first: the network sees the power cut at once; QEMU goes (or
	 * comes) in a thread, without stalling the runner's loop for seconds. */
	node->powered = on;
	node->daemon_running = on;
	snprintf(node->display, sizeof(node->display), on ? "starting" : "off");
	if (hs_run_cables_set(run, node, on, error, error_size) < 0)
		return -1;
	return hs_domain_power_set_async(state->conn.connection, vm->spec.name, on, error,
					 error_size);
}

static int vm_port(struct hs_run *run, const char *name, const char *port, bool up, char *error,
		   size_t error_size)
{
	char cable[HS_NAME_MAX * 2 + 2];
	struct hs_node_runtime *node;

	if (!vm_node(run, name, &node)) {
		snprintf(error, error_size, "port: unknown node '%s'", name);
		return -1;
	}
	for (int p = 0; p < HS_PORTS_MAX; p++)
		if (node->model->ports[p].used && strcmp(node->model->ports[p].name, port) == 0)
			node->port_up[p] = up;
	/* The fabric's carrier event sets the guest NIC's link (vm_handle). */
	snprintf(cable, sizeof(cable), "%s.%s", name, port);
	if (hs_fabric_cable_link_set(run->fabric, cable, HS_DIR_BOTH, up, hs_now_ms(),
				     up ? "port plugged" : "port pulled") < 0) {
		snprintf(error, error_size, "%s", hs_fabric_error(run->fabric));
		return -1;
	}
	return 0;
}

static int vm_raid(struct hs_run *run, const char *name, bool ok, char *error, size_t error_size)
{
	struct vm_state *state = run->backend_data;
	struct hs_node_runtime *node;
	struct vm_node *vm = vm_node(run, name, &node);
	char out[1024], request[64];

	if (!vm) {
		snprintf(error, error_size, "raid: unknown node '%s'", name);
		return -1;
	}
	for (int d = 0; d < HS_DOMAIN_DISKS; d++) {
		if (hs_domain_disk_set(state->conn.connection, &vm->spec, d, ok, error,
				       error_size) < 0)
			return -1;
		if (!ok)
			continue;
		snprintf(request, sizeof(request), "DISK RESTORE vd%c", 'a' + d);
		if (vm_agent_request(run, vm, request, out, sizeof(out), error, error_size) < 0)
			return -1;
	}
	node->raid_ok = ok;
	return 0;
}

static int vm_daemon(struct hs_run *run, const char *name, bool running, char *error,
		     size_t error_size)
{
	struct hs_node_runtime *node;
	struct vm_node *vm = vm_node(run, name, &node);
	char out[256];

	if (!vm) {
		snprintf(error, error_size, "daemon: unknown node '%s'", name);
		return -1;
	}
	if (vm_agent_request(run, vm, running ? "START" : "KILL", out, sizeof(out), error,
			     error_size) < 0)
		return -1;
	node->daemon_running = running;
	snprintf(node->display, sizeof(node->display), running ? "starting" : "off");
	return 0;
}

static int vm_firmware(struct hs_run *run, const char *name, const char *version, char *error,
		       size_t error_size)
{
	struct hs_node_runtime *node;
	struct vm_node *vm = vm_node(run, name, &node);
	char out[256], request[96];

	if (!vm) {
		snprintf(error, error_size, "firmware: unknown node '%s'", name);
		return -1;
	}
	snprintf(request, sizeof(request), "RESTART %s", version);
	if (vm_agent_request(run, vm, request, out, sizeof(out), error, error_size) < 0)
		return -1;
	snprintf(node->firmware, sizeof(node->firmware), "%s", version);
	return 0;
}

static int vm_control(struct hs_run *run, const char *name, const char *request, char *reply,
		      size_t reply_size, char *error, size_t error_size)
{
	char line[1100];
	struct vm_node *vm = vm_node(run, name, NULL);

	if (!vm) {
		snprintf(error, error_size, "control: unknown node '%s'", name);
		return -1;
	}
	snprintf(line, sizeof(line), "CONTROL %s", request);
	return vm_agent_request(run, vm, line, reply, reply_size, error, error_size);
}

static int vm_endpoints(struct hs_run *run, const char *name, int network, char names[][32],
			int max)
{
	struct hs_node_runtime *node;
	int count = 0;

	if (!vm_node(run, name, &node) || network < 0 || network >= HS_NETWORK_COUNT)
		return 0;
	for (uint32_t p = 0; p < node->model->interfaces[network].port_count && count < max; p++)
		snprintf(names[count++], 32, "%s.%s", name,
			 node->model->interfaces[network].ports[p]);
	return count;
}

/* ------------------------------------------------------- in the loop */

static int vm_pollfds(struct hs_run *run, struct pollfd *fds, int cap, int *timeout_ms)
{
	struct vm_state *state = run->backend_data;
	int64_t now_ms = hs_now_ms();
	int count = 0;

	for (uint32_t i = 0; state && i < run->scenario.topology.node_count && count < cap; i++) {
		struct vm_node *vm = &state->nodes[i];
		if (!run->nodes[i].powered)
			continue;
		vm_agent_connect(vm, now_ms);
		if (vm->agent_fd < 0) {
			if (*timeout_ms < 0 || *timeout_ms > VM_CONNECT_RETRY_MS)
				*timeout_ms = VM_CONNECT_RETRY_MS;
			continue;
		}
		/* A clock sample: the answer comes back as a SYNC line. */
		if (now_ms >= vm->next_sync_ms) {
			vm->next_sync_ms = now_ms + VM_CLOCK_SYNC_MS;
			dprintf(vm->agent_fd, "SYNC %lld\n", (long long)hs_now_ms());
		}
		if (*timeout_ms < 0 || *timeout_ms > vm->next_sync_ms - now_ms)
			*timeout_ms = (int)(vm->next_sync_ms - now_ms);
		fds[count++] = (struct pollfd){.fd = vm->agent_fd, .events = POLLIN};
	}
	return count;
}

/* Mirror the fabric's carrier onto the guests' NICs. */
static void vm_carrier_events(struct hs_run *run)
{
	struct vm_state *state = run->backend_data;
	struct hs_carrier_event event;
	char error[256];

	while (hs_fabric_carrier_event_pop(run->fabric, &event) == 1)
		for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
			for (int n = 0; n < HS_DOMAIN_NICS; n++) {
				struct vm_node *vm = &state->nodes[i];
				char endpoint[HS_NAME_MAX * 2 + 2];
				snprintf(endpoint, sizeof(endpoint), "%s.%s",
					 run->nodes[i].model->name, vm_port_names[n]);
				if (strcmp(endpoint, event.endpoint) != 0 ||
				    vm->link_up[n] == event.up || !run->nodes[i].powered)
					continue;
				if (hs_domain_nic_link_set(state->conn.connection, &vm->spec, n,
							   event.up, error, sizeof(error)) < 0)
					hs_run_error_add(run, "%s", error);
				else
					vm->link_up[n] = event.up;
			}
}

static void vm_handle(struct hs_run *run, const struct pollfd *fds, int count, int64_t now_ms)
{
	struct vm_state *state = run->backend_data;

	for (int f = 0; f < count; f++) {
		if (!fds[f].revents)
			continue;
		for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
			if (state->nodes[i].agent_fd == fds[f].fd)
				vm_agent_read_line(&state->nodes[i], NULL, 0, now_ms);
	}
	vm_carrier_events(run);
}

/* A guest's hanode asked to fence its peer (fence_command = hnagent -F, a
 * FENCE line on the agent's channel): the runner's fence device powers the
 * peer off (sim/run/hardware.c), then answer the guest, which takes the
 * fence as done only on FENCED OK. Served here, between requests. */
static int vm_watch(struct hs_run *run, char *error, size_t error_size)
{
	struct vm_state *state = run->backend_data;

	(void)error;
	(void)error_size;
	for (uint32_t i = 0; state && i < run->scenario.topology.node_count; i++) {
		struct vm_node *vm = &state->nodes[i];
		char peer[HS_NAME_MAX], failure[256] = "", request[320], out[128], ignored[256];
		int result;

		if (vm->fence_peer[0] == '\0')
			continue;
		snprintf(peer, sizeof(peer), "%s", vm->fence_peer);
		vm->fence_peer[0] = '\0';
		result = hs_fence_power_off(run, peer, hs_now_ms(), failure, sizeof(failure));
		snprintf(request, sizeof(request), result == 0 ? "FENCED OK" : "FENCED ERR %s",
			 failure);
		vm_agent_request(run, vm, request, out, sizeof(out), ignored, sizeof(ignored));
	}
	return 0;
}

const struct hs_backend_ops hs_backend_libvirt = {
    .name = "libvirt",
    .time_scale = 3.0,
    .up = vm_up,
    .down = vm_down,
    .power = vm_power,
    .port = vm_port,
    .raid = vm_raid,
    .daemon = vm_daemon,
    .firmware = vm_firmware,
    .control = vm_control,
    .pollfds = vm_pollfds,
    .handle = vm_handle,
    .watch = vm_watch,
    .endpoints = vm_endpoints,
    .gc = hs_backend_gc,
};
