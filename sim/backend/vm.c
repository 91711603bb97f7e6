/*
 * vm.c - the libvirt backend: every node is a QEMU guest (sim/guest).
 *
 * Each node is a libvirt domain "<run_id>-<node>" made from the guest's
 * kernel and initramfs (make guest), shaped and sized by its model (the
 * model table, refimpl/core/hn_models.h; vm_node_spec): vCPUs and memory
 * scaled down for the lab (libvirt_domain.h), its disks (a rack: two raw
 * disks that md mirrors, RAID1; a virt1: one disk, ext2 on it, no RAID)
 * and a NIC per LAN port it has (a rack LAN1..LAN4, a virt1 LAN1 and
 * LAN3; the kernel command line's halab.lans tells the guest which NIC is
 * which port), each a UDP tunnel into the run's fabric,
 * so network faults happen in the same place as for the native backend
 * (QEMU's ends of the tunnels: tunnel_port.h). When the run ends, libvirt's
 * log of the guest's QEMU moves into the run folder (nodes/NODE/qemu.log).
 * The node's hanode.conf and the cluster key reach the guest through
 * fw_cfg; its addresses through the kernel command line. A virtio-serial
 * channel connects hasim to the guest's agent (hnagent, vm_agent.c):
 * control requests, daemon crash/restart, firmware updates, and the
 * cluster log, which the agent streams line by line.
 *
 * Nothing waits for a guest: libvirt's calls (power, disks, NIC links) go
 * to a worker thread (vm_worker.h) and agent requests into a queue per
 * guest (vm_agent.c); both report their outcome to the runner, which owns
 * the nodes' state and cables (sim/run/hardware.c).
 *
 * Hardware, as real as libvirt makes it:
 *   power     virDomainDestroy / virDomainCreate of the domain (with
 *             AUTODESTROY: a guest ends with hasim's connection, also when
 *             hasim is killed, unless the run keeps its nodes on failure)
 *   port      the runner's fabric cable dies; the carrier change it reports
 *             sets the guest NIC's link down through libvirt (as a switch
 *             port would)
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
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../fabric/fabric.h"
#include "hn_models.h"
#include "vm.h"

/* Every guest disk is 64 MiB whatever the model's disk_gb (480 GB for a
 * rack1): the guest's data is hanode's store, a few MB, and mke2fs of a
 * larger disk under TCG costs boot time. run.json says so (vm_settings). */
#define VM_DISK_MIB   64u
#define VM_DISK_BYTES ((unsigned long long)VM_DISK_MIB << 20)

/* The guest kernel's command line before the halab.* parameters (boot time
 * under TCG; each was measured with sim/guest/bench_vm.py):
 *   loglevel=5          no boot messages on the emulated serial port (each
 *                       character is an emulated port write) but warnings
 *                       and errors (clocksource trouble shows up)
 *   clocksource=hpet    the guest's clock from QEMU's HPET, which follows the
 *                       host's clock: the TSC's boot-time calibration is
 *                       wrong when the host is loaded (seen here: a guest
 *                       whose CLOCK_MONOTONIC ran ~8x fast, so its hanode
 *                       declared the peer silent every 100 host ms)
 *   init_on_alloc=0     no zeroing of every allocated page (Debian's default
 *                       hardening; costly in TCG, useless in a lab guest)
 *   mitigations=off     no CPU-bug mitigations (none apply to an emulated CPU)
 *   cryptomgr.notests   no crypto self-tests at boot
 *   nowatchdog          no soft-lockup watchdog timer (idle wakeups; TCG
 *                       starved by a loaded host would trip it anyway)
 * Not pci=noacpi: it spares ~0.8 CPU s of AML per boot, but without ACPI
 * the guest never ejects a hot-unplugged disk (raid_fail then does nothing:
 * active-raid-loss failed with it). */
#define HS_VM_KERNEL_CMDLINE                                                                       \
	"console=ttyS0 loglevel=5 clocksource=hpet init_on_alloc=0 mitigations=off "               \
	"cryptomgr.notests nowatchdog"

static const char *vm_port_names[HS_DOMAIN_NICS] = {"LAN1", "LAN2", "LAN3", "LAN4"};

static struct vm_node *vm_node_at(struct hs_run *run, uint32_t index)
{
	struct vm_state *state = run->backend_data;

	return state && index < run->scenario.topology.node_count ? &state->nodes[index] : NULL;
}

static void vm_report(struct hs_run *run, uint32_t node, uint64_t op, bool ok, const char *text)
{
	struct hs_report report = {
	    .kind = HS_REPORT_DONE, .node = node, .op = op, .ok = ok, .text = text};
	hs_run_report(run, &report);
}

/* A runner error the verdict names; the run goes on. */
static void vm_report_error(struct hs_run *run, const char *text)
{
	struct hs_report report = {.kind = HS_REPORT_ERROR, .text = text};
	hs_run_report(run, &report);
}

/* A job for the worker; -1 with a sentence when its queue is full. */
static int vm_submit(struct hs_run *run, struct vm_node *vm, enum hs_vm_job_kind kind, int device,
		     bool on, uint64_t tag, char *error, size_t error_size)
{
	struct vm_state *state = run->backend_data;
	struct hs_vm_job job = {.kind = kind,
				.spec = &vm->spec,
				.device = device,
				.on = on,
				.autodestroy = !run->keep_on_failure,
				.tag = tag};

	if (hs_vm_worker_submit(state->worker, &job) == 0)
		return 0;
	snprintf(error, error_size, "%s: %d libvirt calls wait already", vm->spec.name,
		 HS_VM_WORKER_QUEUE_MAX);
	return -1;
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

/* The shape of a node's model: which LAN ports (bit n = LANn+1) and how
 * many disks (the model table; a rack's, for a model it does not know). */
static void vm_model_shape(const struct hs_node_model *model, uint32_t *port_mask, uint32_t *disks)
{
	const struct hn_model_spec *shape = hn_model_spec_find(model->model);

	*port_mask = shape ? shape->lan_port_mask : 0xfu;
	*disks = shape ? shape->disk_count : HS_DOMAIN_DISKS;
	if (*disks > HS_DOMAIN_DISKS)
		*disks = HS_DOMAIN_DISKS;
}

static int vm_node_spec(struct hs_run *run, uint32_t index, char *error, size_t error_size)
{
	struct vm_state *state = run->backend_data;
	struct vm_node *vm = &state->nodes[index];
	struct hs_node_runtime *node = &run->nodes[index];
	const struct hs_node_model *model = node->model;
	char name[HS_DOMAIN_NAME_MAX], endpoint[HS_NAME_MAX * 2 + 2], lans[16] = "";
	const char *build = getenv("HALAB_BUILD") ? getenv("HALAB_BUILD") : "build";
	uint32_t port_mask, disks;
	size_t used = 0;

	snprintf(name, sizeof(name), "%s-%s", run->run_id, model->name);
	hs_domain_spec_defaults(&vm->spec, name, index + 1);
	hs_domain_spec_size(&vm->spec, model->cpu_count, model->memory_mb); /* by its model */
	vm->spec.session_user = strstr(state->conn.uri, ":///session") != NULL;
	vm->agent_fd = -1;
	/* vmlinux: the kernel's ELF, started through its PVH entry without
	 * decompressing in the guest (sim/guest/pvh-kernel.py); vmlinuz when
	 * the image was built without it. */
	snprintf(vm->spec.kernel_path, sizeof(vm->spec.kernel_path), "%s/guest/vmlinux", build);
	if (access(vm->spec.kernel_path, R_OK) != 0)
		snprintf(vm->spec.kernel_path, sizeof(vm->spec.kernel_path), "%s/guest/vmlinuz",
			 build);
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
	vm_model_shape(model, &port_mask, &disks);
	for (int n = 0; n < HS_DOMAIN_NICS; n++)
		if (port_mask & (1u << n))
			used += (size_t)snprintf(lans + used, sizeof(lans) - used, "%s%d",
						 used ? "," : "", n + 1);
	/* halab.lans: the LAN port of each NIC in order (eth0, eth1, ...);
	 * halab.raid: md RAID1 over the disks only for a model with one.
	 * no_timer_check: under TCG on a loaded host the kernel's check of the
	 * IO-APIC timer fails ("IO-APIC + timer doesn't work!": a panic, or a
	 * guest stuck after "8254 timer not connected to IO-APIC"; seen with 4
	 * guests booting at load 12), as on any slow hypervisor. */
	snprintf(vm->spec.cmdline, sizeof(vm->spec.cmdline),
		 "%s no_timer_check halab.hostname=%s halab.bond0=%s halab.bond1=%s "
		 "halab.lans=%s halab.raid=%d",
		 HS_VM_KERNEL_CMDLINE, model->name, model->interfaces[HS_NETWORK_EXTERNAL].address,
		 model->interfaces[HS_NETWORK_SYNC].address, lans, node->plan.raid ? 1 : 0);
	for (int d = 0; d < (int)disks; d++) {
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
	if (vm_guest_config(run, node, vm->spec.config_path, error, error_size) < 0 ||
	    vm_adapter_spec(run, node, &vm->spec, build, error, error_size) < 0)
		return -1;
	for (int n = 0; n < HS_DOMAIN_NICS; n++) {
		uint16_t fabric_port = 0;
		if (!(port_mask & (1u << n))) {
			vm->spec.nics[n].absent = true; /* the model has no such port */
			continue;
		}
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

/* One domain's start, on a thread of its own (vm_up). */
struct vm_start {
	virConnectPtr connection;
	struct vm_node *vm;
	int result;
	char error[512];
	pthread_t thread;
	bool started;
};

static void *vm_start_one(void *data)
{
	struct vm_start *start = data;

	start->result =
	    hs_domain_up(start->connection, &start->vm->spec, start->error, sizeof(start->error));
	return NULL;
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
		state->nodes[i].index = i;
		state->nodes[i].agent_fd = -1;
		for (int n = 0; n < HS_DOMAIN_NICS; n++)
			state->nodes[i].tunnel_ports[n].fd = -1;
	}
	hs_libvirt_errors_silence();
	if (hs_libvirt_conn_open(&state->conn, NULL, error, error_size) < 0)
		return -1;
	if (state->conn.libvirtd_pid > 0)
		hs_run_pid_add(run, state->conn.libvirtd_pid, "libvirtd");
	if (state->conn.virtlogd_pid > 0)
		hs_run_pid_add(run, state->conn.virtlogd_pid, "virtlogd");
	uint32_t count = run->scenario.topology.node_count;
	struct vm_start starts[HS_NODES_MAX] = {0};
	for (uint32_t i = 0; i < count; i++) {
		struct vm_node *vm = &state->nodes[i];
		if (vm_node_spec(run, i, error, error_size) < 0)
			return -1;
		if (i == 0 && vm_accel_choose(run, state, &vm->spec, error, error_size) < 0)
			return -1;
		vm->spec.accel_kvm = state->accel_kvm;
		vm->spec.autodestroy = !run->keep_on_failure;
		vm->log = fopen(run->nodes[i].plan.log_path, "a");
		vm_tunnel_ports_release(vm);
	}
	/* All domains at once: starting one QEMU through libvirt takes ~1 s
	 * (more on a loaded host), and the cluster forms when the last is up. */
	for (uint32_t i = 0; i < count; i++) {
		starts[i] = (struct vm_start){
		    .connection = state->conn.connection, .vm = &state->nodes[i], .result = -1};
		starts[i].started =
		    pthread_create(&starts[i].thread, NULL, vm_start_one, &starts[i]) == 0;
		if (!starts[i].started)
			vm_start_one(&starts[i]);
	}
	int failed = -1;
	for (uint32_t i = 0; i < count; i++) {
		if (starts[i].started)
			pthread_join(starts[i].thread, NULL);
		if (starts[i].result == 0)
			state->nodes[i].defined = true;
		else if (failed < 0)
			failed = (int)i;
	}
	if (failed >= 0) {
		snprintf(error, error_size, "%s", starts[failed].error);
		return -1;
	}
	/* From here on libvirt is called by the worker only. */
	return hs_vm_worker_start(&state->worker, state->conn.connection, error, error_size);
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
	hs_vm_worker_stop(state->worker); /* its jobs end first: one caller of libvirt */
	state->worker = NULL;
	/* A connection that broke (libvirtd restarted) is opened again: the
	 * domains must go whatever happened. */
	if (state->conn.connection && virConnectIsAlive(state->conn.connection) != 1) {
		virConnectClose(state->conn.connection);
		state->conn.connection = NULL;
		lost = hs_libvirt_conn_open(&state->conn, NULL, error, sizeof(error)) < 0;
	}
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		struct vm_node *vm = &state->nodes[i];
		vm_agent_close(run, vm, "the run ended");
		vm_agent_fail_all(run, vm, "the run ended");
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
		hs_backend_gc_run(run->run_id, false);
}

/* --------------------------------------------------------- operations */

/* The runner lights the cables before a power-on and darkens them as soon
 * as this returns (the network sees the cut at once, while destroying the
 * guest takes a second); the worker destroys or starts the domain, and
 * its outcome is the operation's. */
static int vm_power(struct hs_run *run, uint32_t index, bool on, uint64_t op, char *error,
		    size_t error_size)
{
	struct vm_node *vm = vm_node_at(run, index);

	if (!on) {
		vm_agent_close(run, vm, "the node lost power");
		vm_agent_fail_all(run, vm, "the node lost power");
	}
	if (vm_submit(run, vm, HS_VM_JOB_POWER, 0, on, op, error, error_size) < 0)
		return -1;
	return HS_BACKEND_PENDING;
}

/* Both disks go (md fails the array) or come back: the worker hot-plugs
 * them, then (restore) the agent puts them back into md0. */
static int vm_raid(struct hs_run *run, uint32_t index, bool ok, uint64_t op, char *error,
		   size_t error_size)
{
	struct vm_node *vm = vm_node_at(run, index);

	if (vm->raid_stage != 0) {
		snprintf(error, error_size, "raid: %s: a RAID change is still under way",
			 vm->spec.name);
		return -1;
	}
	for (int d = 0; d < HS_DOMAIN_DISKS; d++)
		if (vm_submit(run, vm, HS_VM_JOB_DISK, d, ok, op, error, error_size) < 0)
			return -1; /* the ones queued still end; their outcome is dropped */
	vm->raid_op = op;
	vm->raid_ok = ok;
	vm->raid_stage = 1;
	vm->raid_left = HS_DOMAIN_DISKS;
	vm->raid_error[0] = '\0';
	return HS_BACKEND_PENDING;
}

/* One step of the RAID change ended (a disk job, or the agent's DISK
 * RESTORE); the last one reports. */
static void vm_raid_progress(struct hs_run *run, struct vm_node *vm, bool ok, const char *text)
{
	char request[64];

	if (vm->raid_stage == 0)
		return;
	if (!ok && !vm->raid_error[0])
		snprintf(vm->raid_error, sizeof(vm->raid_error), "%s", text);
	if (--vm->raid_left > 0)
		return;
	if (vm->raid_stage == 1 && vm->raid_ok && !vm->raid_error[0]) {
		vm->raid_stage = 2;
		vm->raid_left = HS_DOMAIN_DISKS;
		for (int d = 0; d < HS_DOMAIN_DISKS; d++) {
			snprintf(request, sizeof(request), "DISK RESTORE vd%c", 'a' + d);
			if (vm_agent_submit(run, vm, VM_AGENT_RAID, 0, request, vm->raid_error,
					    sizeof(vm->raid_error)) < 0)
				vm->raid_left--;
		}
		if (vm->raid_left > 0)
			return;
	}
	vm->raid_stage = 0;
	vm_report(run, vm->index, vm->raid_op, vm->raid_error[0] == '\0', vm->raid_error);
}

void vm_raid_step_done(struct hs_run *run, struct vm_node *vm, bool ok, const char *text)
{
	vm_raid_progress(run, vm, ok, text);
}

static int vm_agent_ask(struct hs_run *run, uint32_t index, uint64_t op, const char *line,
			char *error, size_t error_size)
{
	struct vm_node *vm = vm_node_at(run, index);

	if (vm_agent_submit(run, vm, VM_AGENT_REPORT, op, line, error, error_size) < 0)
		return -1;
	return HS_BACKEND_PENDING;
}

static int vm_daemon(struct hs_run *run, uint32_t index, bool running, uint64_t op, char *error,
		     size_t error_size)
{
	return vm_agent_ask(run, index, op, running ? "START" : "KILL", error, error_size);
}

/* The agent restarts hanode with the firmware the runner now books. */
static int vm_firmware(struct hs_run *run, uint32_t index, uint64_t op, char *error,
		       size_t error_size)
{
	char request[96];

	snprintf(request, sizeof(request), "RESTART %s", run->nodes[index].firmware);
	return vm_agent_ask(run, index, op, request, error, error_size);
}

static int vm_control(struct hs_run *run, uint32_t index, const char *request, uint64_t op,
		      char *error, size_t error_size)
{
	char line[VM_AGENT_REQUEST_MAX];

	if (run->adapter.name[0] && !run->adapter.control_socket) {
		if (vm_adapter_request(run, request, line, sizeof(line), &run->nodes[index], error,
				       error_size) < 0)
			return -1;
	} else {
		snprintf(line, sizeof(line), "CONTROL %s", request);
	}
	return vm_agent_ask(run, index, op, line, error, error_size);
}

static int vm_endpoints(struct hs_run *run, uint32_t index, int network, char names[][32], int max)
{
	const struct hs_node_model *model;
	int count = 0;

	if (index >= run->scenario.topology.node_count || network < 0 ||
	    network >= HS_NETWORK_COUNT)
		return 0;
	model = &run->scenario.topology.nodes[index];
	for (uint32_t p = 0; p < model->interfaces[network].port_count && count < max; p++)
		snprintf(names[count++], 32, "%s.%s", model->name,
			 model->interfaces[network].ports[p]);
	return count;
}

/* ------------------------------------------------------- in the loop */

static int vm_pollfds(struct hs_run *run, struct pollfd *fds, int cap, int *timeout_ms)
{
	struct vm_state *state = run->backend_data;
	int64_t now_ms = hs_now_ms();
	int count = 0;

	if (!state || cap < 1)
		return 0;
	fds[count++] = (struct pollfd){.fd = hs_vm_worker_fd(state->worker), .events = POLLIN};
	for (uint32_t i = 0; i < run->scenario.topology.node_count && count < cap; i++)
		count += vm_agent_pollfds(run, &state->nodes[i], &fds[count], cap - count, now_ms,
					  timeout_ms);
	return count;
}

/* Mirror the fabric's carrier onto the guests' NICs (through the worker). */
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
				if (vm->spec.nics[n].absent ||
				    strcmp(endpoint, event.endpoint) != 0 ||
				    vm->link_up[n] == event.up || !run->nodes[i].powered)
					continue;
				if (vm_submit(run, vm, HS_VM_JOB_NIC, n, event.up, 0, error,
					      sizeof(error)) < 0)
					vm_report_error(run, error);
				else
					vm->link_up[n] = event.up;
			}
}

/* What the worker finished: a power operation's outcome, a RAID step, a
 * NIC link that could not be set. */
static void vm_jobs_done(struct hs_run *run)
{
	struct vm_state *state = run->backend_data;
	struct hs_vm_job job;

	while (hs_vm_worker_take(state->worker, &job) == 1) {
		struct vm_node *vm = NULL;
		for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
			if (job.spec == &state->nodes[i].spec)
				vm = &state->nodes[i];
		if (!vm)
			continue;
		if (job.kind == HS_VM_JOB_POWER)
			vm_report(run, vm->index, job.tag, job.result == 0, job.error);
		else if (job.kind == HS_VM_JOB_DISK && vm->raid_stage == 1 &&
			 job.tag == vm->raid_op)
			vm_raid_progress(run, vm, job.result == 0, job.error);
		else if (job.kind == HS_VM_JOB_NIC && job.result < 0)
			vm_report_error(run, job.error);
	}
}

/* A guest's hanode asked to fence its peer (fence_command = hnagent -F, a
 * FENCE line on the agent's channel): the runner's fence device powers the
 * peer off (sim/run/hardware.c), then the guest is answered; it takes the
 * fence as done only on FENCED OK. */
static void vm_fence_requests(struct hs_run *run, int64_t now_ms)
{
	struct vm_state *state = run->backend_data;

	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		struct vm_node *vm = &state->nodes[i];
		char peer[HS_NAME_MAX], failure[256] = "", request[320], ignored[256];
		int result;

		if (vm->fence_peer[0] == '\0')
			continue;
		snprintf(peer, sizeof(peer), "%s", vm->fence_peer);
		vm->fence_peer[0] = '\0';
		result = hs_fence_power_off(run, peer, now_ms, failure, sizeof(failure));
		snprintf(request, sizeof(request), result == 0 ? "FENCED OK" : "FENCED ERR %s",
			 failure);
		if (vm_agent_submit(run, vm, VM_AGENT_QUIET, 0, request, ignored, sizeof(ignored)) <
		    0) {
			snprintf(request, sizeof(request), "fence: could not answer %s: %.200s",
				 vm->spec.name, ignored);
			vm_report_error(run, request);
		}
	}
}

static void vm_handle(struct hs_run *run, const struct pollfd *fds, int count, int64_t now_ms)
{
	struct vm_state *state = run->backend_data;

	if (!state)
		return;
	vm_jobs_done(run);
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		vm_agent_handle(run, &state->nodes[i], fds, count, now_ms);
	vm_fence_requests(run, now_ms);
	vm_carrier_events(run);
}

/* run.json's backend_settings: libvirt's URI (qemu:///system or a user's
 * qemu:///session), what each guest was given against what its model
 * declares, and the lab's scale factors (libvirt_domain.h). */
static void vm_settings(struct hs_run *run, char *json, size_t size)
{
	struct vm_state *state = run->backend_data;
	char uri[HS_LIBVIRT_URI_MAX];
	size_t used = 0;

	/* $HALAB_LIBVIRT_URI is the user's text: nothing in it may end the
	 * JSON string. */
	snprintf(uri, sizeof(uri), "%s", state->conn.uri);
	for (char *c = uri; *c; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
			*c = '?';
	used += (size_t)snprintf(
	    json, size,
	    "{\"uri\":\"%s\",\"kvm\":%s,\"scale\":{\"memory_divisor\":%u,\"memory_mib_min\":%u,"
	    "\"memory_mib_max\":%u,\"cpu_divisor\":%u,\"vcpus_max\":%u,\"disk_mib\":%u},"
	    "\"guests\":{",
	    uri, state->accel_kvm ? "true" : "false", HS_GUEST_MEMORY_SCALE, HS_GUEST_MEMORY_MIN,
	    HS_GUEST_MEMORY_MAX, HS_GUEST_CPU_SCALE, HS_GUEST_VCPUS_MAX, VM_DISK_MIB);
	for (uint32_t i = 0; i < run->scenario.topology.node_count && used < size; i++) {
		const struct hs_domain_spec *spec = &state->nodes[i].spec;
		int disks = 0, nics = 0;

		for (int d = 0; d < HS_DOMAIN_DISKS; d++)
			disks += spec->disk_paths[d][0] ? 1 : 0;
		used += (size_t)snprintf(
		    json + used, size - used,
		    "%s\"%s\":{\"memory_mib\":%u,\"vcpus\":%u,\"disks\":%d,\"raid\":%s,"
		    "\"nics\":[",
		    i ? "," : "", run->nodes[i].model->name, spec->memory_mib, spec->vcpus, disks,
		    run->nodes[i].plan.raid ? "\"md0 RAID1\"" : "null");
		for (int n = 0; n < HS_DOMAIN_NICS && used < size; n++)
			if (!spec->nics[n].absent)
				used += (size_t)snprintf(json + used, size - used, "%s\"%s\"",
							 nics++ ? "," : "", vm_port_names[n]);
		if (used < size)
			used += (size_t)snprintf(
			    json + used, size - used,
			    "],\"model\":\"%s\",\"model_cpu_count\":%u,\"model_memory_mb\":%u,"
			    "\"model_disk_gb\":%u}",
			    run->nodes[i].model->model, run->nodes[i].model->cpu_count,
			    run->nodes[i].model->memory_mb, run->nodes[i].model->disk_gb);
	}
	if (used < size)
		snprintf(json + used, size - used, "}}");
}

const struct hs_backend_ops hs_backend_libvirt = {
    .name = "libvirt",
    .time_scale = 3.0,
    .up = vm_up,
    .down = vm_down,
    .power = vm_power,
    .raid = vm_raid,
    .daemon = vm_daemon,
    .firmware = vm_firmware,
    .control = vm_control,
    .pollfds = vm_pollfds,
    .handle = vm_handle,
    .endpoints = vm_endpoints,
    .gc = hs_backend_gc,
    .settings = vm_settings,
};
