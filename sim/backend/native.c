/*
 * native.c - the native backend: hanode processes in network namespaces.
 *
 * Each node is a network namespace "<run_id>-<node>" holding two TAP
 * devices that the fabric created and keeps open: "bond0" (external) and
 * "bond1" (sync). The host kernel has no bonding driver, so a bond is the
 * fabric's: one TAP with a cable per port (LAN1+LAN2, LAN3+LAN4),
 * active-backup. hanode runs inside the namespace with the config the
 * runner planned; its control socket and cluster log live on the host's
 * file system, reachable from both sides.
 *
 * Hardware, as the native backend fakes it:
 *   power off  = SIGKILL hanode + every cable of the node dead (carrier
 *                drops); power on = fresh interfaces (addresses flushed, so
 *                a stale cluster IP is gone, as after a reboot) + hanode
 *   port       = the cable's link in the fabric
 *   RAID       = the fake /proc/mdstat hanode reads shows md0 failed
 *   crash      = SIGKILL hanode, nothing else (the cluster IP stays, as it
 *                would after a real crash)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../fabric/fabric.h"
#include "../run/run.h"
#include "backend.h"

#define NATIVE_ARGS_MAX		  16
#define NATIVE_STOP_WAIT_MS	  3000
#define NATIVE_CONTROL_TIMEOUT_MS 3000

struct native_node {
	char netns[64];
	int daemon_pid;
};

struct native_state {
	struct native_node nodes[HS_NODES_MAX];
};

static const char *native_bond_name[HS_NETWORK_COUNT] = {"bond0", "bond1"};
static const char *native_network_name[HS_NETWORK_COUNT] = {"external", "sync"};

/* Run `ip ARGS...` without a shell; its stderr lands in error. */
static int native_ip(char *error, size_t error_size, const char *first, ...)
{
	const char *argv[NATIVE_ARGS_MAX + 2] = {"ip"};
	int pipe_fds[2], status = 0, argc = 1;
	va_list arguments;
	pid_t pid;

	va_start(arguments, first);
	for (const char *arg = first; arg && argc < NATIVE_ARGS_MAX;
	     arg = va_arg(arguments, const char *))
		argv[argc++] = arg;
	va_end(arguments);
	argv[argc] = NULL;
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipe_fds[1], STDERR_FILENO);
		dup2(pipe_fds[1], STDOUT_FILENO);
		execvp("ip", (char *const *)argv);
		_exit(127);
	}
	close(pipe_fds[1]);
	if (pid > 0) {
		char output[256] = "";
		ssize_t got = read(pipe_fds[0], output, sizeof(output) - 1);
		output[got > 0 ? got : 0] = '\0';
		output[strcspn(output, "\n")] = '\0';
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			close(pipe_fds[0]);
			return 0;
		}
		snprintf(error, error_size, "ip %s %s %s: %s", argv[1], argv[2] ? argv[2] : "",
			 argv[3] ? argv[3] : "", output[0] ? output : "failed");
	}
	close(pipe_fds[0]);
	return -1;
}

static struct native_node *native_node(struct hs_run *run, const char *name,
				       struct hs_node_runtime **runtime)
{
	struct native_state *state = run->backend_data;

	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		if (strcmp(run->nodes[i].model->name, name) == 0) {
			if (runtime)
				*runtime = &run->nodes[i];
			return state ? &state->nodes[i] : NULL;
		}
	return NULL;
}

/* ---------------------------------------------------------------- daemon */

static int native_daemon_start(struct hs_run *run, struct hs_node_runtime *node,
			       struct native_node *native, char *error, size_t error_size)
{
	char hanode[600], output[600];
	pid_t pid;

	snprintf(hanode, sizeof(hanode), "%s/hanode", run->bin_dir);
	snprintf(output, sizeof(output), "%s/nodes/%s/hanode.out", run->run_dir, node->model->name);
	pid = fork();
	if (pid < 0) {
		snprintf(error, error_size, "native_daemon_start %s: fork: %s", node->model->name,
			 strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char path[128];
		int netns_fd, out_fd;
		snprintf(path, sizeof(path), "/run/netns/%s", native->netns);
		netns_fd = open(path, O_RDONLY | O_CLOEXEC);
		out_fd = open(output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (netns_fd < 0 || setns(netns_fd, CLONE_NEWNET) < 0 || out_fd < 0)
			_exit(126);
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
		setpgid(0, 0);
		execl(hanode, "hanode", "-c", node->plan.config_path, "-f", (char *)NULL);
		_exit(127);
	}
	native->daemon_pid = pid;
	node->daemon_running = true;
	snprintf(node->display, sizeof(node->display), "starting");
	hs_run_pid_add(run, pid, "hanode");
	return 0;
}

/* Stop hanode: SIGKILL at once (crash, power loss) or SIGTERM first. */
static void native_daemon_stop(struct hs_node_runtime *node, struct native_node *native,
			       bool graceful)
{
	int status;

	if (native->daemon_pid <= 0)
		return;
	if (graceful) {
		kill(native->daemon_pid, SIGTERM);
		for (int waited_ms = 0; waited_ms < NATIVE_STOP_WAIT_MS; waited_ms += 10) {
			if (waitpid(native->daemon_pid, &status, WNOHANG) == native->daemon_pid)
				goto stopped;
			usleep(10000);
		}
	}
	kill(native->daemon_pid, SIGKILL);
	waitpid(native->daemon_pid, &status, 0);
stopped:
	native->daemon_pid = 0;
	node->daemon_running = false;
}

/* ------------------------------------------------------------ interfaces */

/* Give the node's bonds their own addresses only (after a power cycle). */
static int native_addresses_reset(struct native_node *native, struct hs_node_runtime *node,
				  bool flush, char *error, size_t error_size)
{
	for (int network = 0; network < HS_NETWORK_COUNT; network++) {
		const char *bond = native_bond_name[network];
		if (flush && native_ip(error, error_size, "-n", native->netns, "addr", "flush",
				       "dev", bond, NULL) < 0)
			return -1;
		if (native_ip(error, error_size, "-n", native->netns, "addr", "add",
			      node->model->interfaces[network].address, "dev", bond, NULL) < 0)
			return -1;
	}
	return 0;
}

static int native_node_up(struct hs_run *run, uint32_t index, char *error, size_t error_size)
{
	struct native_state *state = run->backend_data;
	struct native_node *native = &state->nodes[index];
	struct hs_node_runtime *node = &run->nodes[index];
	char tap[32], endpoint[HS_NAME_MAX * 2 + 2], cable[HS_NAME_MAX * 2 + 2];

	snprintf(native->netns, sizeof(native->netns), "%s-%s", run->run_id, node->model->name);
	if (native_ip(error, error_size, "netns", "add", native->netns, NULL) < 0 ||
	    native_ip(error, error_size, "-n", native->netns, "link", "set", "lo", "up", NULL) < 0)
		return -1;
	for (int network = 0; network < HS_NETWORK_COUNT; network++) {
		const struct hs_interface *interface = &node->model->interfaces[network];
		snprintf(tap, sizeof(tap), "%s%u%c", run->run_id, index + 1, network ? 's' : 'e');
		snprintf(endpoint, sizeof(endpoint), "%s.%s", node->model->name,
			 native_network_name[network]);
		if (hs_fabric_endpoint_add_tap(run->fabric, endpoint, tap) < 0)
			goto fabric_error;
		for (uint32_t p = 0; p < interface->port_count; p++) {
			const struct hs_port *port = NULL;
			for (int q = 0; q < HS_PORTS_MAX; q++)
				if (node->model->ports[q].used &&
				    strcmp(node->model->ports[q].name, interface->ports[p]) == 0)
					port = &node->model->ports[q];
			if (!port)
				continue;
			snprintf(cable, sizeof(cable), "%s.%s", node->model->name, port->name);
			if (hs_fabric_cable_add(run->fabric, cable, endpoint, port->switch_name) <
			    0)
				goto fabric_error;
		}
		if (native_ip(error, error_size, "link", "set", tap, "netns", native->netns, NULL) <
			0 ||
		    native_ip(error, error_size, "-n", native->netns, "link", "set", tap, "name",
			      native_bond_name[network], NULL) < 0 ||
		    native_ip(error, error_size, "-n", native->netns, "link", "set",
			      native_bond_name[network], "up", NULL) < 0)
			return -1;
	}
	if (native_addresses_reset(native, node, false, error, error_size) < 0)
		return -1;
	node->powered = true;
	return 0;
fabric_error:
	snprintf(error, error_size, "%s", hs_fabric_error(run->fabric));
	return -1;
}

/* ------------------------------------------------------------ operations */

static int native_up(struct hs_run *run, char *error, size_t error_size)
{
	run->backend_data = calloc(1, sizeof(struct native_state));
	if (!run->backend_data) {
		snprintf(error, error_size, "native_up: out of memory");
		return -1;
	}
	struct native_state *state = run->backend_data;

	/* Every network first, then every daemon: while up() runs, nobody turns
	 * the fabric, so a daemon started early would see a dead network. */
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		if (native_node_up(run, i, error, error_size) < 0)
			return -1;
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		if (native_daemon_start(run, &run->nodes[i], &state->nodes[i], error, error_size) <
		    0)
			return -1;
	return 0;
}

static void native_down(struct hs_run *run)
{
	struct native_state *state = run->backend_data;
	char error[256];

	if (!state)
		return;
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		struct native_node *native = &state->nodes[i];
		native_daemon_stop(&run->nodes[i], native, true);
		if (native->netns[0] &&
		    native_ip(error, sizeof(error), "netns", "del", native->netns, NULL) < 0)
			fprintf(stderr, "hasim: %s\n", error);
		native->netns[0] = '\0';
	}
	free(state);
	run->backend_data = NULL;
}

static int native_power(struct hs_run *run, const char *name, bool on, char *error,
			size_t error_size)
{
	struct hs_node_runtime *node;
	struct native_node *native = native_node(run, name, &node);

	if (!native) {
		snprintf(error, error_size, "power: unknown node '%s'", name);
		return -1;
	}
	if (on == node->powered)
		return 0;
	if (!on) {
		native_daemon_stop(node, native, false);
		node->powered = false;
		snprintf(node->display, sizeof(node->display), "off");
		return hs_run_cables_set(run, node, false, error, error_size);
	}
	if (native_addresses_reset(native, node, true, error, error_size) < 0)
		return -1;
	node->powered = true;
	if (hs_run_cables_set(run, node, true, error, error_size) < 0)
		return -1;
	return native_daemon_start(run, node, native, error, error_size);
}

static int native_port(struct hs_run *run, const char *name, const char *port, bool up, char *error,
		       size_t error_size)
{
	struct hs_node_runtime *node;
	char cable[HS_NAME_MAX * 2 + 2];

	if (!native_node(run, name, &node)) {
		snprintf(error, error_size, "port: unknown node '%s'", name);
		return -1;
	}
	for (int p = 0; p < HS_PORTS_MAX; p++) {
		if (!node->model->ports[p].used || strcmp(node->model->ports[p].name, port) != 0)
			continue;
		node->port_up[p] = up;
		if (!node->powered)
			return 0;
		snprintf(cable, sizeof(cable), "%s.%s", name, port);
		if (hs_fabric_cable_link_set(run->fabric, cable, HS_DIR_BOTH, up, hs_now_ms(),
					     up ? "port plugged" : "port pulled") < 0) {
			snprintf(error, error_size, "%s", hs_fabric_error(run->fabric));
			return -1;
		}
		return 0;
	}
	snprintf(error, error_size, "port: node '%s' has no port '%s'", name, port);
	return -1;
}

static int native_raid(struct hs_run *run, const char *name, bool ok, char *error,
		       size_t error_size)
{
	struct hs_node_runtime *node;

	if (!native_node(run, name, &node)) {
		snprintf(error, error_size, "raid: unknown node '%s'", name);
		return -1;
	}
	node->raid_ok = ok;
	if (hs_plan_write_mdstat(node, ok) < 0) {
		snprintf(error, error_size, "raid: cannot write %s: %s", node->plan.mdstat_path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int native_daemon(struct hs_run *run, const char *name, bool running, char *error,
			 size_t error_size)
{
	struct hs_node_runtime *node;
	struct native_node *native = native_node(run, name, &node);

	if (!native) {
		snprintf(error, error_size, "daemon: unknown node '%s'", name);
		return -1;
	}
	if (!node->powered) {
		snprintf(error, error_size, "daemon: node '%s' is powered off", name);
		return -1;
	}
	if (!running) {
		native_daemon_stop(node, native, false);
		snprintf(node->display, sizeof(node->display), "off");
		return 0;
	}
	if (native->daemon_pid > 0)
		return 0;
	return native_daemon_start(run, node, native, error, error_size);
}

static int native_firmware(struct hs_run *run, const char *name, const char *version, char *error,
			   size_t error_size)
{
	struct hs_node_runtime *node;
	struct native_node *native = native_node(run, name, &node);

	if (!native) {
		snprintf(error, error_size, "firmware: unknown node '%s'", name);
		return -1;
	}
	native_daemon_stop(node, native, true);
	snprintf(node->firmware, sizeof(node->firmware), "%s", version);
	if (hs_plan_write_config(run, node, error, error_size) < 0)
		return -1;
	return native_daemon_start(run, node, native, error, error_size);
}

static int native_control(struct hs_run *run, const char *name, const char *request, char *reply,
			  size_t reply_size, char *error, size_t error_size)
{
	struct hs_node_runtime *node;
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	struct timeval timeout = {.tv_sec = NATIVE_CONTROL_TIMEOUT_MS / 1000};
	size_t used = 0;
	int fd;

	if (!native_node(run, name, &node)) {
		snprintf(error, error_size, "control: unknown node '%s'", name);
		return -1;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", node->plan.control_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto failed;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    dprintf(fd, "%s\n", request) < 0)
		goto failed;
	while (used < reply_size - 1) {
		ssize_t got = recv(fd, reply + used, reply_size - 1 - used, 0);
		if (got <= 0)
			break;
		used += (size_t)got;
		if (memchr(reply, '\n', used))
			break;
	}
	reply[used] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	close(fd);
	if (used == 0) {
		snprintf(error, error_size, "control %s '%s': no reply", name, request);
		return -1;
	}
	return 0;
failed:
	snprintf(error, error_size, "control %s '%s': %s: %s", name, request, address.sun_path,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The first line hanode printed before it ended, for the error message. */
static void native_daemon_last_words(struct hs_run *run, struct hs_node_runtime *node, char *text,
				     size_t size)
{
	char path[600];
	FILE *file;

	snprintf(path, sizeof(path), "%s/nodes/%s/hanode.out", run->run_dir, node->model->name);
	text[0] = '\0';
	file = fopen(path, "r");
	if (!file)
		return;
	if (!fgets(text, (int)size, file))
		text[0] = '\0';
	text[strcspn(text, "\n")] = '\0';
	fclose(file);
}

static int native_watch(struct hs_run *run, char *error, size_t error_size)
{
	struct native_state *state = run->backend_data;
	int status;

	for (uint32_t i = 0; state && i < run->scenario.topology.node_count; i++) {
		struct native_node *native = &state->nodes[i];
		struct hs_node_runtime *node = &run->nodes[i];
		char words[300];
		if (native->daemon_pid <= 0 ||
		    waitpid(native->daemon_pid, &status, WNOHANG) != native->daemon_pid)
			continue;
		native->daemon_pid = 0;
		node->daemon_running = false;
		snprintf(node->display, sizeof(node->display), "off");
		native_daemon_last_words(run, node, words, sizeof(words));
		snprintf(error, error_size, "hanode of %s ended by itself (%s %d)%s%s",
			 node->model->name, WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			 words[0] ? ": " : "", words);
		return -1;
	}
	return 0;
}

static int native_endpoints(struct hs_run *run, const char *name, int network, char names[][32],
			    int max)
{
	(void)run;
	if (max < 1 || network < 0 || network >= HS_NETWORK_COUNT)
		return 0;
	snprintf(names[0], 32, "%s.%s", name, native_network_name[network]);
	return 1;
}

const struct hs_backend_ops hs_backend_native = {
    .name = "native",
    .time_scale = 1.0,
    .up = native_up,
    .down = native_down,
    .power = native_power,
    .port = native_port,
    .raid = native_raid,
    .daemon = native_daemon,
    .firmware = native_firmware,
    .control = native_control,
    .watch = native_watch,
    .endpoints = native_endpoints,
    .gc = hs_backend_gc,
};
