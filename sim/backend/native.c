/*
 * native.c - the native backend: node processes in network namespaces.
 *
 * Each node is a network namespace "<run_id>-<node>" holding two TAP
 * devices that the fabric created and keeps open: "bond0" (external) and
 * "bond1" (sync). The host kernel has no bonding driver, so a bond is the
 * fabric's: one TAP with a cable per port (LAN1+LAN2, LAN3+LAN4),
 * active-backup. The node runs inside the namespace as its adapter says
 * (run->adapter, nodes/<name>/adapter.yaml): its start command through
 * /bin/sh, in a process group of its own, with the files the runner
 * rendered in its state folder; beside it the adapter's service, if any
 * (a store on the cluster IP for nodes without one). Its control socket
 * (hanode) or admin commands, and its cluster log, live on the host's file
 * system, reachable from both sides.
 *
 * Hardware, as the native backend fakes it (the runner switches the node's
 * cables in the fabric, hardware.c):
 *   power off  = SIGKILL the node's process group and its service, and
 *                what the node's memory held is gone: the cluster IP it
 *                may have added leaves bond0 (a netlink message into the
 *                node's namespace, before the cables are lit again, so the
 *                node never answers ARP for it after a cut); power on =
 *                the service, then the node
 *   RAID       = the fake /proc/mdstat the node reads shows md0 failed
 *                (only a model with a hardware RAID has one: the model
 *                table, refimpl/core/hn_models.h; a virt1's hanode has no
 *                RAID check)
 *   crash      = SIGKILL the node's process group, nothing else (the
 *                cluster IP and the service stay, as after a real crash)
 *   firmware   = the adapter's stop signal (SIGTERM), the node's own
 *                shutdown (up to NATIVE_STOP_WAIT_MS, then SIGKILL), then
 *                the node with its files rendered again
 *
 * Nothing here blocks the runner's loop: a daemon is started by one fork
 * whose child enters the namespace and executes the start command, while
 * the runner goes on; a killed daemon is reaped in a later round; a
 * graceful stop and a control request (the node's control socket,
 * non-blocking, or an admin command's output pipe) are followed through
 * handle(), which reports their outcome, and a daemon that ended by
 * itself. Nodes die with hasim (PR_SET_PDEATHSIG), unless the run keeps
 * its nodes on failure (then the run's guardian, sim/run/guard.c, removes
 * them if hasim is killed).
 *
 * The model table (refimpl/core/hn_models.h): native honours a model's LAN
 * ports and bond members (a cable per port the topology cables, which the
 * loader checked against the model's ports) and its disks and RAID (the
 * fake mdstat, or none). It cannot honour CPUs, memory and disk size:
 * every node is processes on the host. run.json's backend_settings says
 * both, per node, with the reason (native_settings).
 *
 * Data: each node's data folder (<state_dir>/<node>/data, hanode's store) is
 * a tmpfs of its own, mounted at the node's bring-up and detached at the
 * end (gc detaches what a killed run left: hs_backend_remove_tree). A
 * native power cut is a SIGKILL, which keeps the page cache anyway, so an
 * fsync to the host's disk proves nothing here and only adds the host
 * disk's latency to every write (a put held 389 ms under `make
 * test-load` while other work wrote to the disk); durability across a
 * real power cut is the guests' business (libvirt backend).
 *
 * Priority: the runner's loop is the lab's switches and cables (the
 * fabric forwards every frame) and its measuring instruments (the client,
 * the clock of every record), none of which a loaded host slows down in a
 * real rack. So hasim runs at nice NATIVE_RUNNER_NICE once the native lab
 * is up (needs root, as the backend does; if refused, the run goes on and
 * run.json says so), and every node process is started at nice 0: on a
 * busy host (a CI runner, `make test-load`) the nodes compete for the CPU
 * as they would on their own loaded hardware, the fabric does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../fabric/fabric.h"
#include "hn_models.h"
#include "../run/run.h"
#include "backend.h"

#define NATIVE_ARGS_MAX		  16
#define NATIVE_STOP_WAIT_MS	  3000
#define NATIVE_CONTROL_TIMEOUT_MS 3000
#define NATIVE_CONTROLS_MAX	  8 /* control requests in flight */
#define NATIVE_DYING_MAX	  8 /* killed daemons not reaped yet, per node */

struct native_node {
	char netns[64];
	int netlink_fd;		  /* NETLINK_ROUTE inside the node's namespace */
	unsigned bond0_index;	  /* bond0's ifindex there */
	int daemon_pid;		  /* the running node (its process group); 0 = none */
	int service_pid;	  /* the adapter's service; 0 = none */
	bool stopping;		  /* SIGTERM sent (firmware update), waiting */
	int64_t stop_deadline_ms; /* then SIGKILL */
	uint64_t stop_op;	  /* reported once the new daemon started */
	int dying[NATIVE_DYING_MAX];
	bool data_mounted;  /* its data folder's tmpfs (native_data_mount) */
	bool start_pending; /* a restart or power-on waits for the killed node to be gone */
	uint64_t start_op;  /* reported once it started */
};

struct native_control {
	bool used;
	int fd;
	int pid; /* an admin command's process (its reply is its output); 0 = socket */
	uint32_t node;
	uint64_t op;
	int64_t deadline_ms;
	char request[256];
	size_t length;
	char reply[HS_REPORT_TEXT_MAX];
};

/* The tmpfs of a node's data folder (see the top of this file). */
#define NATIVE_DATA_MOUNT_OPTIONS "size=256m,mode=0700"

/* hasim's nice value while a native lab runs (see the top of this file). */
#define NATIVE_RUNNER_NICE -10

struct native_state {
	struct native_node nodes[HS_NODES_MAX];
	struct native_control controls[NATIVE_CONTROLS_MAX];
	int runner_nice;	   /* what hasim runs at */
	char runner_nice_why[128]; /* why not NATIVE_RUNNER_NICE, "" if it is */
};

static const char *native_bond_name[HS_NETWORK_COUNT] = {"bond0", "bond1"};
static const char *native_network_name[HS_NETWORK_COUNT] = {"external", "sync"};

/* Run `ip ARGS...` without a shell; its output lands in output (when not
 * NULL, one line). Returns its exit status, or -1. Used while the runner
 * does not loop (up, down) and by a daemon's own child. */
static int native_run_ip(const char *const *argv, char *output, size_t output_size)
{
	int pipe_fds[2], status = 0;
	pid_t pid;

	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(pipe_fds[1], STDERR_FILENO);
		dup2(pipe_fds[1], STDOUT_FILENO);
		execvp("ip", (char *const *)argv);
		exit(127);
	}
	close(pipe_fds[1]);
	if (pid < 0) {
		close(pipe_fds[0]);
		return -1;
	}
	if (output && output_size > 0) {
		ssize_t got = read(pipe_fds[0], output, output_size - 1);
		output[got > 0 ? got : 0] = '\0';
		output[strcspn(output, "\n")] = '\0';
	}
	close(pipe_fds[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* `ip ARGS...` with its stderr in error. */
static int native_ip(char *error, size_t error_size, const char *first, ...)
{
	const char *argv[NATIVE_ARGS_MAX + 2] = {"ip"};
	char output[256] = "";
	va_list arguments;
	int argc = 1;

	va_start(arguments, first);
	for (const char *arg = first; arg && argc < NATIVE_ARGS_MAX;
	     arg = va_arg(arguments, const char *))
		argv[argc++] = arg;
	va_end(arguments);
	argv[argc] = NULL;
	if (native_run_ip(argv, output, sizeof(output)) == 0)
		return 0;
	snprintf(error, error_size, "ip %s %s %s: %s", argv[1], argv[2] ? argv[2] : "",
		 argv[3] ? argv[3] : "", output[0] ? output : "failed");
	return -1;
}

static struct native_node *native_node_at(struct hs_run *run, uint32_t index)
{
	struct native_state *state = run->backend_data;

	return state && index < run->scenario.topology.node_count ? &state->nodes[index] : NULL;
}

/* ---------------------------------------------------------------- daemon */

/* The forked child: into the node's namespace, output to out_name in the
 * node's run folder, then /bin/sh -c command (never returns). */
static void native_child(struct hs_run *run, struct hs_node_runtime *node,
			 struct native_node *native, pid_t parent, const char *command,
			 const char *out_name, int stdout_fd)
{
	char path[128], output[600];
	int netns_fd, out_fd;

	/* The node dies with hasim, unless a failed run keeps its nodes. */
	if (!run->keep_on_failure && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
		exit(126);
	snprintf(output, sizeof(output), "%s/nodes/%s/%s", run->run_dir, node->model->name,
		 out_name);
	snprintf(path, sizeof(path), "/run/netns/%s", native->netns);
	out_fd = open(output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out_fd < 0)
		exit(126);
	dup2(stdout_fd >= 0 ? stdout_fd : out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (netns_fd < 0 || setns(netns_fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "hasim: cannot enter %s: %s\n", path, strerror(errno));
		exit(126);
	}
	fflush(stdout);
	setpgid(0, 0);
	setpriority(PRIO_PROCESS, 0, 0); /* the node's own priority, not the runner's */
	execl("/bin/sh", "sh", "-c", command, (char *)NULL);
	fprintf(stderr, "hasim: cannot execute /bin/sh: %s\n", strerror(errno));
	exit(127);
}

/* The program a command ends up running, for the run's pids file (gc
 * checks a recorded PID still runs it): the word after its last "exec ",
 * without its folder ("sh" when it does not exec). */
static void native_program(const char *command, char *program, size_t size)
{
	const char *exec = NULL, *at = command, *base;
	char word[256];

	while ((at = strstr(at, "exec ")) != NULL) {
		if (at == command || at[-1] == ' ' || at[-1] == ';' || at[-1] == '&')
			exec = at;
		at += 5;
	}
	if (!exec) {
		snprintf(program, size, "sh");
		return;
	}
	exec += 5 + strspn(exec + 5, " ");
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(exec, " ;&|"), exec);
	base = strrchr(word, '/');
	snprintf(program, size, "%s", base ? base + 1 : word);
}

/* Fork a child running one of the adapter's commands (rendered for the
 * node) in the node's namespace; its pid, or -1. */
static int native_spawn(struct hs_run *run, uint32_t index, const char *what,
			const char *template_text, const char *out_name, int stdout_fd, char *error,
			size_t error_size)
{
	struct hs_node_runtime *node = &run->nodes[index];
	struct native_node *native = native_node_at(run, index);
	char command[HS_ADAPTER_COMMAND_MAX * 2], label[HS_NAME_MAX * 4];
	pid_t parent = getpid(), pid;

	snprintf(label, sizeof(label), "%s (%s)", run->adapter.path, what);
	if (hs_adapter_render(run, node, label, template_text, command, sizeof(command), error,
			      error_size) < 0)
		return -1;
	fflush(NULL); /* the child exits with exit(): nothing buffered twice */
	pid = fork();
	if (pid < 0) {
		snprintf(error, error_size, "native_spawn %s %s: fork: %s", node->model->name, what,
			 strerror(errno));
		return -1;
	}
	if (pid == 0)
		native_child(run, node, native, parent, command, out_name, stdout_fd);
	setpgid(pid, pid);   /* also here: a kill right after the fork finds the group */
	if (stdout_fd < 0) { /* a daemon or service (not a short admin command) */
		char program[64];
		native_program(command, program, sizeof(program));
		hs_run_pid_add(run, pid, program);
	}
	return pid;
}

/* Start the node (and its service, if not running); the runner does not
 * wait for them (see native_child). */
static int native_daemon_start(struct hs_run *run, uint32_t index, char *error, size_t error_size)
{
	struct native_node *native = native_node_at(run, index);
	char out_name[HS_NAME_MAX + 8];
	int pid;

	if (!run->adapter.name[0]) {
		snprintf(error, error_size, "native: no node adapter loaded (hasim run --node)");
		return -1;
	}
	if (run->adapter.service[0] && native->service_pid <= 0) {
		pid = native_spawn(run, index, "service", run->adapter.service, "service.out", -1,
				   error, error_size);
		if (pid < 0)
			return -1;
		native->service_pid = pid;
	}
	snprintf(out_name, sizeof(out_name), "%s.out", run->adapter.name);
	pid =
	    native_spawn(run, index, "start", run->adapter.start, out_name, -1, error, error_size);
	if (pid < 0)
		return -1;
	native->daemon_pid = pid;
	return 0;
}

/* SIGKILL a process group; its leader is reaped in a later round (native_reap). */
static void native_group_kill(struct native_node *native, int *pid)
{
	if (*pid <= 0)
		return;
	kill(-*pid, SIGKILL);
	kill(*pid, SIGKILL);
	for (int i = 0; i < NATIVE_DYING_MAX; i++)
		if (native->dying[i] == 0) {
			native->dying[i] = *pid;
			*pid = 0;
			return;
		}
	waitpid(*pid, NULL, 0); /* bounded: it was SIGKILLed */
	*pid = 0;
}

static void native_daemon_kill(struct native_node *native)
{
	native_group_kill(native, &native->daemon_pid);
}

/* Stop the node and wait (teardown only: the loop is over). */
static void native_daemon_stop_now(struct native_node *native, int stop_signal)
{
	int status, group = native->daemon_pid;

	if (native->daemon_pid > 0) {
		kill(native->daemon_pid, stop_signal);
		for (int waited_ms = 0; waited_ms < NATIVE_STOP_WAIT_MS; waited_ms += 10) {
			if (waitpid(native->daemon_pid, &status, WNOHANG) == native->daemon_pid) {
				native->daemon_pid = 0;
				break;
			}
			usleep(10000);
		}
	}
	native_daemon_kill(native);
	if (group > 0) /* what the node left running in its group goes too */
		kill(-group, SIGKILL);
	native_group_kill(native, &native->service_pid);
	for (int i = 0; i < NATIVE_DYING_MAX; i++)
		if (native->dying[i] > 0) {
			waitpid(native->dying[i], &status, 0);
			native->dying[i] = 0;
		}
}

/* ------------------------------------------------------------ interfaces */

/* A NETLINK_ROUTE socket inside the node's namespace, and bond0's index
 * there: hasim enters the namespace for a moment (it has one thread; the
 * loop does not run yet) and comes back; the socket stays where it was
 * made. */
static int native_netlink_open(struct native_node *native, char *error, size_t error_size)
{
	char path[128];
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), there;

	snprintf(path, sizeof(path), "/run/netns/%s", native->netns);
	there = open(path, O_RDONLY | O_CLOEXEC);
	if (home < 0 || there < 0 || setns(there, CLONE_NEWNET) < 0) {
		snprintf(error, error_size, "native: cannot enter %s: %s", path, strerror(errno));
		goto cleanup;
	}
	native->netlink_fd =
	    socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	native->bond0_index = if_nametoindex(native_bond_name[HS_NETWORK_EXTERNAL]);
	if (setns(home, CLONE_NEWNET) < 0) {
		/* Not back home: nothing of this run can go on. */
		fprintf(stderr, "hasim: cannot leave %s: %s\n", path, strerror(errno));
		abort();
	}
	if (native->netlink_fd < 0 || native->bond0_index == 0)
		snprintf(error, error_size, "native: %s: netlink or bond0: %s", native->netns,
			 strerror(errno));
cleanup:
	if (home >= 0)
		close(home);
	if (there >= 0)
		close(there);
	return native->netlink_fd >= 0 && native->bond0_index ? 0 : -1;
}

/* The cluster IP leaves bond0 (a power cut: the kernel's memory is gone).
 * One message, no answer awaited; what the kernel says (nothing held it)
 * is drained and ignored. */
static void native_cluster_ip_forget(struct hs_run *run, struct native_node *native)
{
	struct {
		struct nlmsghdr header;
		struct ifaddrmsg address;
		struct rtattr local;
		struct in_addr ip;
	} message = {0};
	char cluster_ip[HS_ADDRESS_MAX], drain[1024];

	snprintf(cluster_ip, sizeof(cluster_ip), "%s", run->scenario.topology.cluster_ip);
	cluster_ip[strcspn(cluster_ip, "/")] = '\0';
	if (native->netlink_fd < 0 || inet_pton(AF_INET, cluster_ip, &message.ip) != 1)
		return;
	while (recv(native->netlink_fd, drain, sizeof(drain), MSG_DONTWAIT) > 0)
		;
	message.header.nlmsg_len = sizeof(message);
	message.header.nlmsg_type = RTM_DELADDR;
	message.header.nlmsg_flags = NLM_F_REQUEST;
	message.address.ifa_family = AF_INET;
	message.address.ifa_index = native->bond0_index;
	message.local.rta_type = IFA_LOCAL;
	message.local.rta_len = RTA_LENGTH(sizeof(struct in_addr));
	if (send(native->netlink_fd, &message, sizeof(message), MSG_DONTWAIT) < 0)
		fprintf(stderr, "hasim: %s: cannot remove the cluster IP: %s\n", native->netns,
			strerror(errno));
}

/* <state_dir>/<node>/data, a tmpfs of its own (see the top of this file). */
static int native_data_mount(struct hs_run *run, const struct hs_node_runtime *node, char *error,
			     size_t error_size)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", run->state_dir, node->model->name);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		goto failed;
	snprintf(path, sizeof(path), "%s/%s/data", run->state_dir, node->model->name);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		goto failed;
	if (mount("halab-data", path, "tmpfs", MS_NOSUID | MS_NODEV, NATIVE_DATA_MOUNT_OPTIONS) < 0)
		goto failed;
	return 0;
failed:
	snprintf(error, error_size, "native: the data folder %s: %s", path, strerror(errno));
	return -1;
}

static void native_data_unmount(struct hs_run *run, const struct hs_node_runtime *node)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/data", run->state_dir, node->model->name);
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		fprintf(stderr, "hasim: could not detach %s: %s\n", path, strerror(errno));
}

static int native_node_up(struct hs_run *run, uint32_t index, char *error, size_t error_size)
{
	struct native_state *state = run->backend_data;
	struct native_node *native = &state->nodes[index];
	struct hs_node_runtime *node = &run->nodes[index];
	char tap[32], endpoint[HS_NAME_MAX * 2 + 2], cable[HS_NAME_MAX * 2 + 2];

	if (native_data_mount(run, node, error, error_size) < 0)
		return -1;
	native->data_mounted = true;
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
			      native_bond_name[network], "up", NULL) < 0 ||
		    native_ip(error, error_size, "-n", native->netns, "addr", "add",
			      interface->address, "dev", native_bond_name[network], NULL) < 0)
			return -1;
	}
	return native_netlink_open(native, error, error_size);
fabric_error:
	snprintf(error, error_size, "%s", hs_fabric_error(run->fabric));
	return -1;
}

/* ------------------------------------------------------------ operations */

/* hasim at NATIVE_RUNNER_NICE (see the top of this file); the threads and
 * processes it starts afterwards inherit it, the nodes drop it. */
static void native_runner_priority(struct native_state *state)
{
	errno = 0;
	if (setpriority(PRIO_PROCESS, 0, NATIVE_RUNNER_NICE) < 0)
		snprintf(state->runner_nice_why, sizeof(state->runner_nice_why), "setpriority: %s",
			 strerror(errno));
	errno = 0;
	state->runner_nice = getpriority(PRIO_PROCESS, 0);
}

static int native_up(struct hs_run *run, char *error, size_t error_size)
{
	struct native_state *state = calloc(1, sizeof(struct native_state));

	run->backend_data = state;
	if (!state) {
		snprintf(error, error_size, "native_up: out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < HS_NODES_MAX; i++)
		state->nodes[i].netlink_fd = -1;
	/* Every network with its addresses first, then every daemon: a daemon
	 * whose peer has no address yet would find its neighbour unresolved
	 * and back off (the loop is not running yet: waiting is allowed). */
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		if (native_node_up(run, i, error, error_size) < 0)
			return -1;
	native_runner_priority(state);
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		if (native_daemon_start(run, i, error, error_size) < 0)
			return -1;
	return 0;
}

static void native_control_end(struct hs_run *run, struct native_control *control)
{
	struct native_node *native = native_node_at(run, control->node);

	if (control->fd >= 0)
		close(control->fd);
	control->fd = -1;
	if (control->pid > 0 && native) /* an admin command: its group goes, reaped later */
		native_group_kill(native, &control->pid);
	control->pid = 0;
	control->used = false;
}

static void native_down(struct hs_run *run)
{
	struct native_state *state = run->backend_data;
	char error[256];

	if (!state)
		return;
	for (int c = 0; c < NATIVE_CONTROLS_MAX; c++)
		if (state->controls[c].used)
			native_control_end(run, &state->controls[c]);
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		struct native_node *native = &state->nodes[i];
		native_daemon_stop_now(native, run->adapter.stop_signal ? run->adapter.stop_signal
									: SIGTERM);
		if (native->netlink_fd >= 0)
			close(native->netlink_fd);
		native->netlink_fd = -1;
		if (native->netns[0] &&
		    native_ip(error, sizeof(error), "netns", "del", native->netns, NULL) < 0)
			fprintf(stderr, "hasim: %s\n", error);
		native->netns[0] = '\0';
		if (native->data_mounted)
			native_data_unmount(run, &run->nodes[i]);
		native->data_mounted = false;
	}
	free(state);
	run->backend_data = NULL;
}

static void native_report(struct hs_run *run, enum hs_report_kind kind, uint32_t node, uint64_t op,
			  bool ok, const char *text);

/* A firmware update's graceful stop, or a start waiting for the old node
 * to be gone, that another step overtook: it ends. */
static void native_stop_interrupted(struct hs_run *run, uint32_t index, const char *by)
{
	struct native_node *native = native_node_at(run, index);
	char text[160];

	if (native->start_pending) {
		native->start_pending = false;
		snprintf(text, sizeof(text), "start of %s: interrupted by %s",
			 run->nodes[index].model->name, by);
		native_report(run, HS_REPORT_DONE, index, native->start_op, false, text);
	}
	if (!native->stopping)
		return;
	native->stopping = false;
	snprintf(text, sizeof(text), "firmware update of %s: interrupted by %s",
		 run->nodes[index].model->name, by);
	native_report(run, HS_REPORT_DONE, index, native->stop_op, false, text);
}

/* Reap what of the node's killed processes has exited; whether any is
 * still dying. */
static bool native_dying_reap(struct native_node *native)
{
	bool dying = false;
	for (int i = 0; i < NATIVE_DYING_MAX; i++) {
		if (native->dying[i] > 0 && waitpid(native->dying[i], NULL, WNOHANG) != 0)
			native->dying[i] = 0;
		dying = dying || native->dying[i] > 0;
	}
	return dying;
}

/* Start the node once the processes of the one just killed are gone: a
 * SIGKILLed process still holds its sockets until it has exited (under
 * load that took longer than a restart 34 ms after a crash: the new hanode
 * failed with "Address already in use"), while a real machine's reboot
 * never overlaps the old run. Now if nothing is dying, else PENDING and
 * native_reap starts it and reports op. */
static int native_start_when_gone(struct hs_run *run, uint32_t index, uint64_t op, char *error,
				  size_t error_size)
{
	struct native_node *native = native_node_at(run, index);
	if (native_dying_reap(native)) {
		native->start_pending = true;
		native->start_op = op;
		return HS_BACKEND_PENDING;
	}
	return native_daemon_start(run, index, error, error_size);
}

static int native_power(struct hs_run *run, uint32_t index, bool on, uint64_t op, char *error,
			size_t error_size)
{
	struct native_node *native = native_node_at(run, index);

	(void)op;
	native_stop_interrupted(run, index, "a power step");
	native_daemon_kill(native);
	if (!on) {
		native_group_kill(native, &native->service_pid);
		native_cluster_ip_forget(run, native);
		return 0;
	}
	return native_start_when_gone(run, index, op, error, error_size);
}

/* The array as the runner booked it (raid: every disk or none; disk: one). */
static int native_raid(struct hs_run *run, uint32_t index, bool ok, uint64_t op, char *error,
		       size_t error_size)
{
	struct hs_node_runtime *node = &run->nodes[index];

	(void)op;
	(void)ok;
	if (hs_plan_write_mdstat(node, node->disks_failed) < 0) {
		snprintf(error, error_size, "raid: cannot write %s: %s", node->plan.mdstat_path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int native_disk(struct hs_run *run, uint32_t index, uint32_t disk, bool ok, uint64_t op,
		       char *error, size_t error_size)
{
	(void)disk;
	return native_raid(run, index, ok, op, error, error_size);
}

/* The node's services_status (plan.c) fails while the flag file exists. */
static int native_services(struct hs_run *run, uint32_t index, bool ok, uint64_t op, char *error,
			   size_t error_size)
{
	char flag[600];
	int fd;

	(void)op;
	hs_plan_services_flag(run, &run->nodes[index], flag, sizeof(flag));
	if (ok ? unlink(flag) < 0 && errno != ENOENT
	       : (fd = open(flag, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0 || close(fd) < 0) {
		snprintf(error, error_size, "services: cannot %s %s: %s", ok ? "remove" : "create",
			 flag, strerror(errno));
		return -1;
	}
	return 0;
}

static int native_daemon(struct hs_run *run, uint32_t index, bool running, uint64_t op, char *error,
			 size_t error_size)
{
	struct native_node *native = native_node_at(run, index);

	native_stop_interrupted(run, index, "a crash or restart step");
	native_daemon_kill(native);
	return running ? native_start_when_gone(run, index, op, error, error_size) : 0;
}

/* SIGTERM now; handle() starts the new daemon once the old one is gone. */
static int native_firmware(struct hs_run *run, uint32_t index, uint64_t op, char *error,
			   size_t error_size)
{
	struct native_node *native = native_node_at(run, index);

	if (native->daemon_pid <= 0)
		return native_daemon_start(run, index, error, error_size);
	kill(native->daemon_pid, run->adapter.stop_signal);
	native->stopping = true;
	native->stop_deadline_ms = hs_now_ms() + NATIVE_STOP_WAIT_MS;
	native->stop_op = op;
	return HS_BACKEND_PENDING;
}

/* An adapter without a control socket: the request's admin command, its
 * first output line the reply (read by handle() as a socket's). */
static int native_admin_command(struct hs_run *run, struct native_control *control, char *error,
				size_t error_size)
{
	const struct hs_adapter_admin *admin =
	    hs_adapter_admin_find(&run->adapter, control->request);
	int pipe_fds[2], pid;

	if (!admin) {
		snprintf(error, error_size,
			 "control %s '%s': adapter %s has no admin command for it (%s)",
			 run->nodes[control->node].model->name, control->request, run->adapter.name,
			 run->adapter.path);
		return -1;
	}
	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		snprintf(error, error_size, "control %s '%s': pipe: %s",
			 run->nodes[control->node].model->name, control->request, strerror(errno));
		return -1;
	}
	pid = native_spawn(run, control->node, control->request, admin->command, "admin.out",
			   pipe_fds[1], error, error_size);
	close(pipe_fds[1]);
	if (pid < 0) {
		close(pipe_fds[0]);
		return -1;
	}
	fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
	control->fd = pipe_fds[0];
	control->pid = pid;
	control->used = true;
	return HS_BACKEND_PENDING;
}

/* Connect and send at once (a Unix socket's connect does not wait); the
 * reply is read by handle(). */
static int native_control(struct hs_run *run, uint32_t index, const char *request, uint64_t op,
			  char *error, size_t error_size)
{
	struct native_state *state = run->backend_data;
	struct hs_node_runtime *node = &run->nodes[index];
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	struct native_control *control = NULL;
	int length;

	for (int c = 0; c < NATIVE_CONTROLS_MAX && !control; c++)
		if (!state->controls[c].used)
			control = &state->controls[c];
	if (!control) {
		snprintf(error, error_size, "control %s '%s': %d requests under way already",
			 node->model->name, request, NATIVE_CONTROLS_MAX);
		return -1;
	}
	memset(control, 0, sizeof(*control));
	control->node = index;
	control->op = op;
	control->deadline_ms = hs_now_ms() + NATIVE_CONTROL_TIMEOUT_MS;
	snprintf(control->request, sizeof(control->request), "%s", request);
	if (!run->adapter.control_socket)
		return native_admin_command(run, control, error, error_size);
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", node->plan.control_path);
	length = snprintf(control->reply, sizeof(control->reply), "%s\n", request);
	control->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (control->fd < 0 ||
	    connect(control->fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    send(control->fd, control->reply, (size_t)length, MSG_NOSIGNAL) != length) {
		snprintf(error, error_size, "control %s '%s': %s: %s", node->model->name, request,
			 address.sun_path, strerror(errno));
		native_control_end(run, control);
		return -1;
	}
	control->used = true;
	control->reply[0] = '\0';
	return HS_BACKEND_PENDING;
}

static int native_endpoints(struct hs_run *run, uint32_t index, int network, char names[][32],
			    int max)
{
	if (max < 1 || network < 0 || network >= HS_NETWORK_COUNT ||
	    index >= run->scenario.topology.node_count)
		return 0;
	snprintf(names[0], 32, "%s.%s", run->scenario.topology.nodes[index].name,
		 native_network_name[network]);
	return 1;
}

/* -------------------------------------------------------- in the loop */

static void native_report(struct hs_run *run, enum hs_report_kind kind, uint32_t node, uint64_t op,
			  bool ok, const char *text)
{
	struct hs_report report = {.kind = kind, .node = node, .op = op, .ok = ok, .text = text};
	hs_run_report(run, &report);
}

static int native_pollfds(struct hs_run *run, struct pollfd *fds, int cap, int *timeout_ms)
{
	struct native_state *state = run->backend_data;
	int64_t now_ms = hs_now_ms();
	int count = 0;

	for (int c = 0; state && c < NATIVE_CONTROLS_MAX && count < cap; c++) {
		struct native_control *control = &state->controls[c];
		int64_t wait_ms = control->deadline_ms - now_ms;
		if (!control->used)
			continue;
		fds[count++] = (struct pollfd){.fd = control->fd, .events = POLLIN};
		if (*timeout_ms < 0 || wait_ms < *timeout_ms)
			*timeout_ms = wait_ms > 0 ? (int)wait_ms : 0;
	}
	return count;
}

/* A control socket is readable (or its deadline passed). */
static void native_control_read(struct hs_run *run, struct native_control *control, int64_t now_ms)
{
	const char *name = run->nodes[control->node].model->name;
	char error[HS_TEXT_MAX * 2];

	while (control->length < sizeof(control->reply) - 1) {
		ssize_t got = read(control->fd, control->reply + control->length,
				   sizeof(control->reply) - 1 - control->length);
		if (got <= 0) {
			if (got < 0 && (errno == EAGAIN || errno == EINTR) &&
			    now_ms < control->deadline_ms)
				return; /* more later */
			break;
		}
		control->length += (size_t)got;
		control->reply[control->length] = '\0';
		if (memchr(control->reply, '\n', control->length))
			break;
	}
	control->reply[control->length] = '\0';
	control->reply[strcspn(control->reply, "\n")] = '\0';
	if (control->reply[0]) {
		native_report(run, HS_REPORT_DONE, control->node, control->op, true,
			      control->reply);
	} else {
		snprintf(error, sizeof(error), "control %s '%s': %s", name, control->request,
			 now_ms >= control->deadline_ms ? "no reply within 3000 ms" : "no reply");
		native_report(run, HS_REPORT_DONE, control->node, control->op, false, error);
	}
	native_control_end(run, control);
}

/* The first line the node printed before it ended, for the error message. */
static void native_daemon_last_words(struct hs_run *run, struct hs_node_runtime *node, char *text,
				     size_t size)
{
	char path[600];
	FILE *file;

	snprintf(path, sizeof(path), "%s/nodes/%s/%s.out", run->run_dir, node->model->name,
		 run->adapter.name);
	text[0] = '\0';
	file = fopen(path, "r");
	if (!file)
		return;
	if (!fgets(text, (int)size, file))
		text[0] = '\0';
	text[strcspn(text, "\n")] = '\0';
	fclose(file);
}

/* A graceful stop under way: once the node is gone (or its time is up, then
 * SIGKILL), the new daemon starts and the firmware update is done. */
static void native_stopping(struct hs_run *run, uint32_t index, int64_t now_ms)
{
	struct native_node *native = native_node_at(run, index);
	char error[256] = "";
	int status;

	if (waitpid(native->daemon_pid, &status, WNOHANG) != native->daemon_pid) {
		if (now_ms < native->stop_deadline_ms)
			return;
		native_daemon_kill(native);
	} else {
		kill(-native->daemon_pid, SIGKILL); /* what it left in its group */
	}
	native->daemon_pid = 0;
	native->stopping = false;
	if (native_daemon_start(run, index, error, sizeof(error)) < 0)
		native_report(run, HS_REPORT_DONE, index, native->stop_op, false, error);
	else
		native_report(run, HS_REPORT_DONE, index, native->stop_op, true, "");
}

/* Reap what was killed; a daemon that ended by itself is a finding. */
static void native_reap(struct hs_run *run, uint32_t index)
{
	struct native_node *native = native_node_at(run, index);
	struct hs_node_runtime *node = &run->nodes[index];
	char words[300], text[512];
	int status;

	native_dying_reap(native);
	if (native->start_pending) {
		char error[256] = "";
		int result =
		    native_start_when_gone(run, index, native->start_op, error, sizeof(error));
		if (result != HS_BACKEND_PENDING) {
			native->start_pending = false;
			native_report(run, HS_REPORT_DONE, index, native->start_op, result == 0,
				      error);
		}
	}
	if (native->stopping || native->daemon_pid <= 0 ||
	    waitpid(native->daemon_pid, &status, WNOHANG) != native->daemon_pid)
		return;
	kill(-native->daemon_pid, SIGKILL); /* what it left in its group */
	native->daemon_pid = 0;
	native_daemon_last_words(run, node, words, sizeof(words));
	snprintf(text, sizeof(text), "%s of %s ended by itself (%s %d)%s%s", run->adapter.name,
		 node->model->name, WIFEXITED(status) ? "exit status" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), words[0] ? ": " : "",
		 words);
	native_report(run, HS_REPORT_DAEMON_ENDED, index, 0, false, text);
}

static void native_handle(struct hs_run *run, const struct pollfd *fds, int count, int64_t now_ms)
{
	struct native_state *state = run->backend_data;

	if (!state)
		return;
	for (int c = 0; c < NATIVE_CONTROLS_MAX; c++) {
		struct native_control *control = &state->controls[c];
		bool ready = now_ms >= control->deadline_ms;
		for (int f = 0; f < count && control->used && !ready; f++)
			ready = fds[f].fd == control->fd && fds[f].revents;
		if (control->used && ready)
			native_control_read(run, control, now_ms);
	}
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		if (state->nodes[i].stopping)
			native_stopping(run, i, now_ms);
		native_reap(run, i);
	}
}

/* "LAN1","LAN2": a list of port names as JSON strings. */
static size_t native_ports_json(char *json, size_t size, const char names[][HS_NAME_MAX],
				uint32_t count)
{
	size_t used = 0;

	for (uint32_t p = 0; p < count && used < size; p++)
		used +=
		    (size_t)snprintf(json + used, size - used, "%s\"%s\"", p ? "," : "", names[p]);
	return used < size ? used : size;
}

/* run.json's backend_settings: the runner's nice value, and per node what
 * the model table declares and native applied (ports, bonds, disks, RAID),
 * and what it did not apply. */
static void native_settings(struct hs_run *run, char *json, size_t size)
{
	const struct native_state *state = run->backend_data;
	size_t used = 0;

	if (state == NULL) {
		json[0] = '\0';
		return;
	}
	/* The runner's nice value (and why not NATIVE_RUNNER_NICE, if it could
	 * not be had). */
	used += (size_t)snprintf(json, size, "{\"runner_nice\":%d%s%s%s,", state->runner_nice,
				 state->runner_nice_why[0] ? ",\"runner_nice_refused\":\"" : "",
				 state->runner_nice_why, state->runner_nice_why[0] ? "\"" : "");
	used += (size_t)snprintf(
	    json + used, size - used,
	    "\"not_applied_reason\":\"every native node is processes in a network namespace on "
	    "the host: it shares the host's CPUs, memory and disk (use --backend libvirt for "
	    "guests sized by model)\",\"nodes\":{");
	for (uint32_t i = 0; i < run->scenario.topology.node_count && used < size; i++) {
		const struct hs_node_model *model = run->nodes[i].model;
		const struct hn_model_spec *spec = hn_model_spec_find(model->model);
		char cabled[HS_PORTS_MAX][HS_NAME_MAX];
		uint32_t count = 0;

		for (int p = 0; p < HS_PORTS_MAX; p++)
			if (model->ports[p].used)
				snprintf(cabled[count++], HS_NAME_MAX, "%s", model->ports[p].name);
		used += (size_t)snprintf(json + used, size - used,
					 "%s\"%s\":{\"model\":\"%s\",\"applied\":{\"lan_ports\":%u,"
					 "\"cabled\":[",
					 i ? "," : "", model->name, model->model,
					 spec ? spec->lan_ports : 0);
		used += native_ports_json(json + used, size - used,
					  (const char(*)[HS_NAME_MAX])cabled, count);
		for (int n = 0; n < HS_NETWORK_COUNT && used < size; n++) {
			const struct hs_interface *interface = &model->interfaces[n];
			used += (size_t)snprintf(json + used, size - used, "],\"%s\":[",
						 native_bond_name[n]);
			used += native_ports_json(json + used, size - used, interface->ports,
						  interface->port_count);
		}
		if (used < size)
			used += (size_t)snprintf(
			    json + used, size - used,
			    "],\"disks\":%u,\"raid\":%s},\"not_applied\":{\"cpu_count\":%u,"
			    "\"memory_mb\":%u,\"disk_gb\":%u}}",
			    spec ? spec->disk_count : 0,
			    run->nodes[i].plan.raid ? "\"md0 RAID1 (the fake /proc/mdstat)\""
						    : "null",
			    model->cpu_count, model->memory_mb, model->disk_gb);
	}
	if (used < size)
		snprintf(json + used, size - used, "}}");
}

const struct hs_backend_ops hs_backend_native = {
    .name = "native",
    .time_scale = 1.0,
    .notify_hook = true,
    .up = native_up,
    .down = native_down,
    .power = native_power,
    .raid = native_raid,
    .disk = native_disk,
    .services = native_services,
    .daemon = native_daemon,
    .firmware = native_firmware,
    .control = native_control,
    .pollfds = native_pollfds,
    .handle = native_handle,
    .endpoints = native_endpoints,
    .gc = hs_backend_gc,
    .settings = native_settings,
};
