/*
 * hnagent.c - the halab guest's management agent (static, runs under /init).
 *
 * It does two jobs. It supervises hanode: it starts it at boot (unless -n),
 * keeps it as its own child and records how it ended, and never restarts it
 * by itself, so a daemon killed by a scenario stays dead until the host asks
 * for it again. And it serves the host on a virtio-serial port (the domain's
 * <channel> with target name org.halab.agent.0, a unix socket on the host)
 * with a line protocol, one request at a time:
 *
 *   PING                   -> OK pong
 *   CLOCK                  -> OK mono_ms=N  (the guest's CLOCK_MONOTONIC)
 *   SYNC TOKEN             -> SYNC TOKEN mono_ms=N  (the same, tagged, so the
 *                             host can ask without waiting: it sends its own
 *                             time as TOKEN and maps cluster log times onto
 *                             its clock; sim/backend/guest_clock.h)
 *   STATUS                 -> OK running pid=N | OK missing | OK stopped
 *                             signal=N | exit=N | never-started
 *   HACTL ARG...           -> OUT <line>... END <exit>   (/usr/sbin/hactl ARG...,
 *                             HANODE_SOCKET = control_socket of hanode.conf)
 *   SH COMMAND             -> OUT <line>... END <exit>   (/bin/sh -c COMMAND; a
 *                             root shell: this is a lab guest)
 *   CONTROL REQUEST        -> OUT <reply> END 0          (one line to hanode's
 *                             control socket, its one-line reply)
 *   KILL                   -> OK killed pid=N            (SIGKILL: a daemon crash)
 *   STOP                   -> as STATUS                  (SIGTERM, SIGKILL after 5 s)
 *   START [FIRMWARE]       -> OK started pid=N           (firmware = FIRMWARE first)
 *   RESTART FIRMWARE       -> OK started pid=N           (STOP, set firmware, START)
 *   DISK FAIL|RESTORE vdX  -> OUT <line>... END <exit>   (md0 member faulty/back)
 *   LOG ON|OFF             -> OK log on|off
 *   LOG STATUS             -> OK log on|off offset=N size=N queued=N path=P
 *   FENCED OK|ERR REASON   -> OK fence answered | ERR no fence pending
 *   anything else          -> ERR <reason>
 * Unsolicited lines (between replies): "LOG <record>" and "FENCE <peer>";
 * SYNC answers too are not replies: they come whenever they are ready.
 *
 * While LOG is on (the default) every complete line appended to hanode's
 * log_file is sent as "LOG <line>" as soon as it is written. Lines are only
 * consumed from the file once queued, and the queue keeps them while no host
 * is connected, so a host that connects late still gets the log from its
 * first line. Everything is bounded: request lines (HN_AGENT_LINE_MAX), reply
 * lines (HN_AGENT_REPLY_LINE_MAX, then cut), command output
 * (HN_AGENT_OUTPUT_MAX, then "OUT ...truncated"), command time
 * (HN_AGENT_COMMAND_TIMEOUT_MS, then SIGKILL and END 124) and the output
 * queue (HN_AGENT_QUEUE_MAX; a reply that does not fit is cut).
 *
 * Fencing: hanode's fence_command in the guest is `hnagent -F` (init sets
 * it), which asks the agent over HN_AGENT_FENCE_SOCKET; the agent sends the
 * host "FENCE <peer>" (HANODE_PEER) and the host, once it has powered the
 * peer off (or failed to), answers with the request FENCED OK or FENCED ERR
 * <reason>; `hnagent -F` then exits 0 or 1. One fence request waits at a
 * time; hanode's command timeout bounds it.
 *
 * RAID: like udev's hot-remove rule on a real system, a member disk of md0
 * that vanishes (the host unplugged it) is marked faulty at once.
 *
 * Usage: hnagent -p PORT_NAME -c HANODE_CONF [-n] [-d DEVICE] [-e SCRIPT]
 *   -n  do not start hanode at boot;  -d  use DEVICE instead of the port
 *   -e  run `/bin/sh SCRIPT` as the node's daemon instead of hanode (another
 *       node implementation: its adapter's files and start command, written
 *       by the host, nodes/README.md "On guests"); firmware is not passed.
 * The daemon runs in a session of its own, and a signal to it goes to its
 * whole process group (a crash kills its helpers too, as on native).
 *        hnagent -F [PEER]   (fence client; PEER defaults to $HANODE_PEER)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HN_AGENT_LINE_MAX	    1024  /* a request line */
#define HN_AGENT_REPLY_LINE_MAX	    16384 /* a reply line (hactl status --json is long) */
#define HN_AGENT_ARGS_MAX	    32
#define HN_AGENT_OUTPUT_MAX	    32768
#define HN_AGENT_QUEUE_MAX	    131072
#define HN_AGENT_COMMAND_TIMEOUT_MS 10000
#define HN_AGENT_STOP_TIMEOUT_MS    5000
#define HN_AGENT_CONTROL_TIMEOUT_MS 5000
#define HN_AGENT_FENCE_SOCKET	    "/run/hnagent-fence.sock"
#define HN_AGENT_POLL_MS	    50
#define HN_AGENT_MD_WATCH_MS	    200
#define HN_AGENT_PATH_MAX	    256
#define HN_AGENT_HANODE		    "/usr/sbin/hanode"
#define HN_AGENT_HACTL		    "/usr/sbin/hactl"
/* hanode's own output (config errors, say) goes to the console, which the
 * host keeps as a file: the one place to look when a guest misbehaves. */
#define HN_AGENT_HANODE_OUT "/dev/console"

struct hn_agent {
	const char *port_name;
	const char *device_path;
	const char *config_path;
	char log_path[HN_AGENT_PATH_MAX];
	int port_fd;
	pid_t hanode_pid;  /* 0 = not running */
	int hanode_status; /* wait status of the last hanode that ended */
	bool hanode_ended; /* hanode_status is meaningful */
	bool hanode_start_at_boot;
	const char *daemon_script; /* -e: /bin/sh SCRIPT instead of hanode */
	bool log_stream;
	off_t log_offset; /* first byte of the log not yet queued */
	char in[HN_AGENT_LINE_MAX];
	size_t in_length;
	bool in_overflow; /* discarding the rest of an over-long line */
	char queue[HN_AGENT_QUEUE_MAX];
	size_t queue_length;
	int fence_listen_fd; /* HN_AGENT_FENCE_SOCKET, for `hnagent -F` */
	int fence_client_fd; /* the one fence request waiting for the host */
};

/* -------------------------------------------------------------- helpers */

static long hn_agent_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void hn_agent_sleep_ms(long duration_ms)
{
	struct timespec pause = {duration_ms / 1000, (duration_ms % 1000) * 1000000};

	nanosleep(&pause, NULL);
}

/* Queue one line (a newline is added). A line that does not fit is cut to
 * what fits, so a reply is never half of two lines. Returns -1 if nothing fit. */
static int hn_agent_queue_line(struct hn_agent *agent, const char *format, ...)
{
	static char line[HN_AGENT_REPLY_LINE_MAX];
	va_list args;
	size_t length;

	va_start(args, format);
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	length = strcspn(line, "\n");
	line[length] = '\0';
	if (agent->queue_length + 2 > sizeof(agent->queue))
		return -1;
	if (length > sizeof(agent->queue) - agent->queue_length - 1)
		length = sizeof(agent->queue) - agent->queue_length - 1;
	memcpy(agent->queue + agent->queue_length, line, length);
	agent->queue_length += length;
	agent->queue[agent->queue_length++] = '\n';
	return 0;
}

/* Write what the port takes without blocking. EAGAIN means the host is not
 * connected (or slow): the queue keeps the data for later. */
static void hn_agent_queue_flush(struct hn_agent *agent)
{
	ssize_t written;

	if (agent->port_fd < 0 || agent->queue_length == 0)
		return;
	written = write(agent->port_fd, agent->queue, agent->queue_length);
	if (written <= 0)
		return;
	memmove(agent->queue, agent->queue + written, agent->queue_length - (size_t)written);
	agent->queue_length -= (size_t)written;
}

/* Find the virtio-serial port by name in sysfs: /dev has no udev links. */
static int hn_agent_port_open(struct hn_agent *agent)
{
	char path[HN_AGENT_PATH_MAX + 64], name[128];
	struct dirent *entry;
	DIR *ports;
	FILE *file;
	int fd = -1;

	if (agent->device_path != NULL) {
		agent->port_fd = open(agent->device_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		return agent->port_fd < 0 ? -1 : 0;
	}
	ports = opendir("/sys/class/virtio-ports");
	if (ports == NULL)
		return -1;
	while (fd < 0 && (entry = readdir(ports)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%.64s/name", entry->d_name);
		file = fopen(path, "r");
		if (file == NULL)
			continue;
		if (fgets(name, sizeof(name), file) != NULL) {
			name[strcspn(name, "\n")] = '\0';
			if (strcmp(name, agent->port_name) == 0) {
				snprintf(path, sizeof(path), "/dev/%.64s", entry->d_name);
				fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
			}
		}
		fclose(file);
	}
	closedir(ports);
	agent->port_fd = fd;
	return fd < 0 ? -1 : 0;
}

/* ------------------------------------------------------- configuration */

/* Read "key = value" from hanode.conf into value; "" when absent. */
static void hn_agent_config_get(const char *path, const char *key, char *value, size_t size)
{
	char line[HN_AGENT_LINE_MAX];
	size_t key_length = strlen(key);
	FILE *file = fopen(path, "r");

	value[0] = '\0';
	if (file == NULL)
		return;
	while (fgets(line, sizeof(line), file) != NULL) {
		char *rest = line + key_length;

		if (strncmp(line, key, key_length) != 0 || (*rest != ' ' && *rest != '='))
			continue;
		rest += strspn(rest, " \t");
		if (*rest != '=')
			continue;
		rest++;
		rest += strspn(rest, " \t");
		rest[strcspn(rest, "\r\n")] = '\0';
		snprintf(value, size, "%s", rest);
	}
	fclose(file);
}

/* Replace (or add) "firmware = VERSION" in hanode.conf, through a temporary
 * file and rename so that a crash never leaves half a config. */
static int hn_agent_config_set_firmware(const char *path, const char *version)
{
	char temporary[HN_AGENT_PATH_MAX + 8], line[HN_AGENT_LINE_MAX];
	FILE *input = NULL, *output = NULL;
	int result = -1;

	snprintf(temporary, sizeof(temporary), "%s.new", path);
	input = fopen(path, "r");
	output = fopen(temporary, "w");
	if (input == NULL || output == NULL) {
		fprintf(stderr, "hn_agent_config_set_firmware: %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	while (fgets(line, sizeof(line), input) != NULL) {
		if (strncmp(line, "firmware", 8) == 0 && strchr(" =\t", line[8]) != NULL)
			continue;
		fputs(line, output);
	}
	fprintf(output, "firmware = %s\n", version);
	if (fclose(output) != 0 || rename(temporary, path) != 0) {
		output = NULL;
		fprintf(stderr, "hn_agent_config_set_firmware: %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	output = NULL;
	result = 0;
cleanup:
	if (input != NULL)
		fclose(input);
	if (output != NULL)
		fclose(output);
	return result;
}

/* ---------------------------------------------------------- supervision */

static void hn_agent_children_reap(struct hn_agent *agent)
{
	pid_t pid;
	int status;

	/* We are a child subreaper, so orphans land here too: reap them all. */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == agent->hanode_pid) {
			agent->hanode_pid = 0;
			agent->hanode_status = status;
			agent->hanode_ended = true;
			fprintf(stderr, "hnagent: hanode ended with status %d\n", status);
		}
	}
}

static int hn_agent_hanode_start(struct hn_agent *agent)
{
	pid_t pid;

	if (!agent->daemon_script && access(HN_AGENT_HANODE, X_OK) != 0) {
		fprintf(stderr, "hn_agent_hanode_start: %s missing\n", HN_AGENT_HANODE);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "hn_agent_hanode_start: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int fd = open(HN_AGENT_HANODE_OUT, O_WRONLY | O_NOCTTY | O_APPEND);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		signal(SIGPIPE, SIG_DFL);
		setsid();
		if (agent->daemon_script)
			execl("/bin/sh", "sh", agent->daemon_script, (char *)NULL);
		else
			execl(HN_AGENT_HANODE, "hanode", "-f", "-c", agent->config_path,
			      (char *)NULL);
		exit(127);
	}
	agent->hanode_pid = pid;
	fprintf(stderr, "hnagent: hanode started, pid %d\n", (int)pid);
	return 0;
}

/* Send signal to hanode and wait up to timeout_ms for it to end. Returns 0
 * when it ended (or was not running). */
static int hn_agent_hanode_signal(struct hn_agent *agent, int signal_number, long timeout_ms)
{
	long deadline_ms = hn_agent_now_ms() + timeout_ms;

	if (agent->hanode_pid == 0)
		return 0;
	kill(-agent->hanode_pid, signal_number); /* its group: setsid() at start */
	while (agent->hanode_pid != 0 && hn_agent_now_ms() < deadline_ms) {
		hn_agent_sleep_ms(10);
		hn_agent_children_reap(agent);
	}
	return agent->hanode_pid == 0 ? 0 : -1;
}

static void hn_agent_hanode_stop(struct hn_agent *agent)
{
	if (hn_agent_hanode_signal(agent, SIGTERM, HN_AGENT_STOP_TIMEOUT_MS) != 0)
		hn_agent_hanode_signal(agent, SIGKILL, HN_AGENT_STOP_TIMEOUT_MS);
}

static void hn_agent_reply_status(struct hn_agent *agent)
{
	if (agent->hanode_pid != 0)
		hn_agent_queue_line(agent, "OK running pid=%d", (int)agent->hanode_pid);
	else if (access(HN_AGENT_HANODE, X_OK) != 0)
		hn_agent_queue_line(agent, "OK missing");
	else if (agent->hanode_ended && WIFSIGNALED(agent->hanode_status))
		hn_agent_queue_line(agent, "OK stopped signal=%d", WTERMSIG(agent->hanode_status));
	else if (agent->hanode_ended)
		hn_agent_queue_line(agent, "OK stopped exit=%d", WEXITSTATUS(agent->hanode_status));
	else
		hn_agent_queue_line(agent, "OK stopped never-started");
}

/* ------------------------------------------------------------ md watch */

/* What udev's "mdadm --incremental --fail" rule does on a real system, which
 * has udev and we do not: a member disk that disappears (the host
 * hot-unplugged it) is marked faulty at once, instead of when the next I/O
 * happens to hit it. init sets fail_last_dev, so losing both disks really
 * fails the array ([__] in /proc/mdstat), which is what hanode's RAID check
 * must see. A member that comes back is removed and re-added. */
static void hn_agent_md_watch(void)
{
	char path[HN_AGENT_PATH_MAX + 64], state[64];
	struct dirent *entry;
	DIR *members = opendir("/sys/block/md0/md");

	if (members == NULL)
		return;
	while ((entry = readdir(members)) != NULL) {
		const char *disk = entry->d_name + 4;
		bool present, faulty;
		FILE *file;

		if (strncmp(entry->d_name, "dev-", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%.64s", disk);
		present = access(path, F_OK) == 0;
		snprintf(path, sizeof(path), "/sys/block/md0/md/%.64s/state", entry->d_name);
		file = fopen(path, "r+");
		if (file == NULL)
			continue;
		faulty =
		    fgets(state, sizeof(state), file) != NULL && strstr(state, "faulty") != NULL;
		if (!present && !faulty) {
			fprintf(stderr, "hnagent: md0 member %s vanished: marking it faulty\n",
				disk);
			rewind(file);
			fputs("faulty", file);
		}
		fclose(file);
	}
	closedir(members);
}

/* ------------------------------------------------------------ commands */

/* Queue the output of the command's pipe as OUT lines; bounded in size. */
static void hn_agent_output_queue(struct hn_agent *agent, const char *output, size_t length,
				  bool truncated)
{
	size_t start = 0;

	while (start < length) {
		size_t end = start;

		while (end < length && output[end] != '\n')
			end++;
		hn_agent_queue_line(agent, "OUT %.*s", (int)(end - start), output + start);
		start = end + 1;
	}
	if (truncated)
		hn_agent_queue_line(agent, "OUT ...truncated");
}

/* Run argv, collect stdout+stderr (bounded, with a timeout), queue OUT
 * lines and END <exit status> (124 on timeout, 127 if it cannot run). */
static void hn_agent_command_run(struct hn_agent *agent, char *const argv[])
{
	static char output[HN_AGENT_OUTPUT_MAX];
	long deadline_ms = hn_agent_now_ms() + HN_AGENT_COMMAND_TIMEOUT_MS;
	size_t length = 0;
	bool truncated = false, timed_out = false;
	int pipe_fds[2], status = 0;
	pid_t pid;

	if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
		hn_agent_queue_line(agent, "ERR pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* Ignored signals survive exec: give children the default
		 * SIGPIPE, or `yes | head` would never end. */
		signal(SIGPIPE, SIG_DFL);
		dup2(pipe_fds[1], STDOUT_FILENO);
		dup2(pipe_fds[1], STDERR_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
		exit(127);
	}
	close(pipe_fds[1]);
	while (pid > 0) {
		struct pollfd readable = {pipe_fds[0], POLLIN, 0};
		long left_ms = deadline_ms - hn_agent_now_ms();
		char chunk[4096];
		ssize_t got;

		if (left_ms <= 0) {
			timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&readable, 1, (int)left_ms) <= 0)
			continue;
		got = read(pipe_fds[0], chunk, sizeof(chunk));
		if (got <= 0)
			break;
		if ((size_t)got > sizeof(output) - length) {
			got = (ssize_t)(sizeof(output) - length);
			truncated = true;
		}
		memcpy(output + length, chunk, (size_t)got);
		length += (size_t)got;
	}
	close(pipe_fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		hn_agent_queue_line(agent, "ERR fork: %s", strerror(errno));
		return;
	}
	hn_agent_output_queue(agent, output, length, truncated);
	if (timed_out)
		hn_agent_queue_line(agent, "END 124");
	else
		hn_agent_queue_line(agent, "END %d",
				    WIFEXITED(status) ? WEXITSTATUS(status)
						      : 128 + WTERMSIG(status));
}

/* CONTROL: one request line to hanode's control socket, one reply line. */
static void hn_agent_control_request(struct hn_agent *agent, const char *request)
{
	static char reply[HN_AGENT_REPLY_LINE_MAX];
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	struct timeval timeout = {HN_AGENT_CONTROL_TIMEOUT_MS / 1000, 0};
	const char *socket_path = getenv("HANODE_SOCKET");
	size_t used = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(address.sun_path, sizeof(address.sun_path), "%s",
		 socket_path != NULL ? socket_path : "/run/hanode/control.sock");
	if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
		hn_agent_queue_line(agent, "ERR control %s: %s", address.sun_path, strerror(errno));
		goto cleanup;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	if (dprintf(fd, "%s\n", request) < 0) {
		hn_agent_queue_line(agent, "ERR control %s: %s", address.sun_path, strerror(errno));
		goto cleanup;
	}
	while (used < sizeof(reply) - 1 && memchr(reply, '\n', used) == NULL) {
		ssize_t got = recv(fd, reply + used, sizeof(reply) - 1 - used, 0);

		if (got <= 0)
			break;
		used += (size_t)got;
	}
	reply[used] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	if (used == 0)
		hn_agent_queue_line(agent, "ERR control %s: no reply", address.sun_path);
	else {
		hn_agent_queue_line(agent, "OUT %s", reply);
		hn_agent_queue_line(agent, "END 0");
	}
cleanup:
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------ fencing */

static void hn_agent_fence_listen(struct hn_agent *agent)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(address.sun_path, sizeof(address.sun_path), "%s", HN_AGENT_FENCE_SOCKET);
	unlink(HN_AGENT_FENCE_SOCKET);
	if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof(address)) != 0 ||
	    listen(fd, 4) != 0) {
		fprintf(stderr, "hn_agent_fence_listen: %s: %s\n", HN_AGENT_FENCE_SOCKET,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	agent->fence_listen_fd = fd;
}

/* A fence client connected: read its "FENCE <peer>" (it writes at once)
 * and pass it on to the host; a second request while one waits is refused. */
static void hn_agent_fence_accept(struct hn_agent *agent)
{
	char request[128] = "";
	int fd = accept4(agent->fence_listen_fd, NULL, NULL, SOCK_CLOEXEC);
	struct pollfd readable = {fd, POLLIN, 0};
	ssize_t got = 0;

	if (fd < 0)
		return;
	if (poll(&readable, 1, 1000) == 1)
		got = read(fd, request, sizeof(request) - 1);
	request[got > 0 ? got : 0] = '\0';
	request[strcspn(request, "\r\n")] = '\0';
	if (agent->fence_client_fd >= 0 || strncmp(request, "FENCE ", 6) != 0) {
		dprintf(fd, "ERR %s\n", agent->fence_client_fd >= 0 ? "busy" : "bad request");
		close(fd);
		return;
	}
	agent->fence_client_fd = fd;
	hn_agent_queue_line(agent, "%.100s", request);
}

/* FENCED OK | FENCED ERR <reason>: the host's answer to our FENCE line. */
static void hn_agent_fenced_request(struct hn_agent *agent, const char *answer)
{
	if (agent->fence_client_fd < 0) {
		hn_agent_queue_line(agent, "ERR no fence pending");
		return;
	}
	dprintf(agent->fence_client_fd, "%s\n", answer);
	close(agent->fence_client_fd);
	agent->fence_client_fd = -1;
	hn_agent_queue_line(agent, "OK fence answered");
}

/* `hnagent -F [PEER]`: hanode's fence_command. Exit 0 = the peer is off. */
static int hn_agent_fence_client(const char *peer)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	char answer[256] = "";
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FILE *reply;

	if (peer == NULL || peer[0] == '\0') {
		fprintf(stderr, "hnagent -F: no peer (argument or HANODE_PEER)\n");
		return 1;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", HN_AGENT_FENCE_SOCKET);
	if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0 ||
	    dprintf(fd, "FENCE %s\n", peer) < 0) {
		fprintf(stderr, "hnagent -F: %s: %s\n", HN_AGENT_FENCE_SOCKET, strerror(errno));
		return 1;
	}
	reply = fdopen(fd, "r");
	if (reply == NULL || fgets(answer, sizeof(answer), reply) == NULL)
		strcpy(answer, "ERR agent closed the request\n");
	if (reply != NULL)
		fclose(reply);
	if (strncmp(answer, "OK", 2) == 0)
		return 0;
	fprintf(stderr, "hnagent -F %s: %s", peer, answer);
	return 1;
}

/* Split line into at most HN_AGENT_ARGS_MAX - 1 words (in place). */
static int hn_agent_words_split(char *line, char *words[], int words_max)
{
	int count = 0;
	char *save = NULL, *word;

	for (word = strtok_r(line, " \t", &save); word != NULL && count < words_max - 1;
	     word = strtok_r(NULL, " \t", &save))
		words[count++] = word;
	words[count] = NULL;
	return count;
}

static bool hn_agent_disk_name_valid(const char *name)
{
	size_t length = strlen(name);

	return length >= 3 && length <= 4 && strncmp(name, "vd", 2) == 0 &&
	       strspn(name + 2, "abcdefghijklmnopqrstuvwxyz") == length - 2;
}

/* DISK FAIL|RESTORE vdX. FAIL marks the member faulty through sysfs with
 * fail_last_dev set, because md (and mdadm --fail) otherwise refuses to fail
 * the last working member, and the point is that losing both disks is a
 * real RAID loss: /proc/mdstat then shows [__]. Failing the last member
 * makes the sysfs write return EBUSY although the member is marked faulty
 * (md sets MD_BROKEN), so success is judged by the (F) flag in mdstat.
 * RESTORE removes the member and adds it back; with no working member left
 * md cannot rebuild it (the array comes back at the next boot, assembled
 * from the superblocks). */
static void hn_agent_disk_request(struct hn_agent *agent, char *arguments)
{
	char *words[4], script[512];
	char *argv[] = {"/bin/sh", "-c", script, NULL};

	if (hn_agent_words_split(arguments, words, 4) != 2 || !hn_agent_disk_name_valid(words[1])) {
		hn_agent_queue_line(agent, "ERR usage: DISK FAIL|RESTORE vdX");
		return;
	}
	if (strcmp(words[0], "FAIL") == 0)
		snprintf(
		    script, sizeof(script),
		    "echo 1 > /sys/block/md0/md/fail_last_dev && "
		    "{ echo faulty > /sys/block/md0/md/dev-%s/state; } 2>/dev/null; "
		    "grep -A1 '^md0' /proc/mdstat && grep -q ' %s\\[[0-9]*\\](F)' /proc/mdstat",
		    words[1], words[1]);
	else if (strcmp(words[0], "RESTORE") == 0)
		snprintf(script, sizeof(script),
			 "mdadm /dev/md0 --remove /dev/%s; "
			 "mdadm /dev/md0 --re-add /dev/%s || mdadm /dev/md0 --add /dev/%s; "
			 "grep -A1 '^md0' /proc/mdstat",
			 words[1], words[1], words[1]);
	else {
		hn_agent_queue_line(agent, "ERR usage: DISK FAIL|RESTORE vdX");
		return;
	}
	hn_agent_command_run(agent, argv);
}

/* START/RESTART with an optional firmware version. */
static void hn_agent_start_request(struct hn_agent *agent, char *arguments, bool restart)
{
	char *words[3];
	int count = hn_agent_words_split(arguments, words, 3);

	if (count > 1 || (restart && count != 1)) {
		hn_agent_queue_line(agent, restart ? "ERR usage: RESTART FIRMWARE"
						   : "ERR usage: START [FIRMWARE]");
		return;
	}
	if (restart)
		hn_agent_hanode_stop(agent);
	else if (agent->hanode_pid != 0) {
		hn_agent_queue_line(agent, "ERR hanode running pid=%d", (int)agent->hanode_pid);
		return;
	}
	if (count == 1 && hn_agent_config_set_firmware(agent->config_path, words[0]) != 0) {
		hn_agent_queue_line(agent, "ERR cannot set firmware in %s", agent->config_path);
		return;
	}
	if (hn_agent_hanode_start(agent) != 0) {
		hn_agent_queue_line(agent, "ERR cannot start %s", HN_AGENT_HANODE);
		return;
	}
	hn_agent_queue_line(agent, "OK started pid=%d", (int)agent->hanode_pid);
}

static void hn_agent_hactl_request(struct hn_agent *agent, char *arguments)
{
	char *argv[HN_AGENT_ARGS_MAX + 1];

	argv[0] = HN_AGENT_HACTL;
	hn_agent_words_split(arguments, argv + 1, HN_AGENT_ARGS_MAX);
	hn_agent_command_run(agent, argv);
}

static void hn_agent_request_handle(struct hn_agent *agent, char *line)
{
	char *arguments = line + strcspn(line, " ");
	char *sh_argv[] = {"/bin/sh", "-c", NULL, NULL};

	if (*arguments != '\0')
		*arguments++ = '\0';
	if (strcmp(line, "PING") == 0)
		hn_agent_queue_line(agent, "OK pong");
	else if (strcmp(line, "CLOCK") == 0)
		hn_agent_queue_line(agent, "OK mono_ms=%ld", hn_agent_now_ms());
	else if (strcmp(line, "SYNC") == 0 && arguments[0] != '\0' &&
		 strspn(arguments, "0123456789") == strlen(arguments) && strlen(arguments) <= 20)
		hn_agent_queue_line(agent, "SYNC %s mono_ms=%ld", arguments, hn_agent_now_ms());
	else if (strcmp(line, "STATUS") == 0)
		hn_agent_reply_status(agent);
	else if (strcmp(line, "HACTL") == 0)
		hn_agent_hactl_request(agent, arguments);
	else if (strcmp(line, "SH") == 0) {
		sh_argv[2] = arguments;
		hn_agent_command_run(agent, sh_argv);
	} else if (strcmp(line, "CONTROL") == 0)
		hn_agent_control_request(agent, arguments);
	else if (strcmp(line, "FENCED") == 0 &&
		 (strcmp(arguments, "OK") == 0 || strncmp(arguments, "ERR", 3) == 0))
		hn_agent_fenced_request(agent, arguments);
	else if (strcmp(line, "KILL") == 0) {
		pid_t pid = agent->hanode_pid;

		if (pid == 0)
			hn_agent_queue_line(agent, "ERR hanode not running");
		else if (hn_agent_hanode_signal(agent, SIGKILL, HN_AGENT_STOP_TIMEOUT_MS) == 0)
			hn_agent_queue_line(agent, "OK killed pid=%d", (int)pid);
		else
			hn_agent_queue_line(agent, "ERR hanode pid=%d survived SIGKILL", (int)pid);
	} else if (strcmp(line, "STOP") == 0) {
		hn_agent_hanode_stop(agent);
		hn_agent_reply_status(agent);
	} else if (strcmp(line, "START") == 0)
		hn_agent_start_request(agent, arguments, false);
	else if (strcmp(line, "RESTART") == 0)
		hn_agent_start_request(agent, arguments, true);
	else if (strcmp(line, "DISK") == 0)
		hn_agent_disk_request(agent, arguments);
	else if (strcmp(line, "LOG") == 0 && strcmp(arguments, "STATUS") == 0) {
		struct stat log_stat = {0};

		stat(agent->log_path, &log_stat);
		hn_agent_queue_line(agent, "OK log %s offset=%lld size=%lld queued=%zu path=%s",
				    agent->log_stream ? "on" : "off", (long long)agent->log_offset,
				    (long long)log_stat.st_size, agent->queue_length,
				    agent->log_path);
	} else if (strcmp(line, "LOG") == 0 &&
		   (strcmp(arguments, "ON") == 0 || strcmp(arguments, "OFF") == 0)) {
		agent->log_stream = strcmp(arguments, "ON") == 0;
		hn_agent_queue_line(agent, "OK log %s", agent->log_stream ? "on" : "off");
	} else
		hn_agent_queue_line(agent, "ERR unknown request '%.64s'", line);
}

/* ---------------------------------------------------------- the channel */

/* Take what the host sent; hand each complete line to the request handler.
 * Returns -1 when the host is gone (the caller then waits before polling
 * again, because virtio-serial reports POLLHUP until a host connects). */
static int hn_agent_input_read(struct hn_agent *agent)
{
	char chunk[512];
	ssize_t got = read(agent->port_fd, chunk, sizeof(chunk));

	if (got <= 0)
		return got < 0 && errno == EAGAIN ? 0 : -1;
	for (ssize_t i = 0; i < got; i++) {
		if (chunk[i] == '\r')
			continue;
		if (chunk[i] != '\n') {
			if (agent->in_length + 1 < sizeof(agent->in))
				agent->in[agent->in_length++] = chunk[i];
			else
				agent->in_overflow = true;
			continue;
		}
		agent->in[agent->in_length] = '\0';
		if (agent->in_overflow)
			hn_agent_queue_line(agent, "ERR line longer than %d bytes",
					    HN_AGENT_LINE_MAX - 1);
		else if (agent->in_length > 0)
			hn_agent_request_handle(agent, agent->in);
		agent->in_length = 0;
		agent->in_overflow = false;
	}
	return 0;
}

/* Queue complete new lines of the cluster log as LOG lines, as far as the
 * queue has room; a partial last line waits for its newline. */
static void hn_agent_log_pump(struct hn_agent *agent)
{
	char chunk[4096];
	ssize_t got;
	int fd;

	if (!agent->log_stream || agent->log_path[0] == '\0' ||
	    agent->queue_length + sizeof(chunk) + 16 > sizeof(agent->queue))
		return;
	fd = open(agent->log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	got = pread(fd, chunk, sizeof(chunk), agent->log_offset);
	close(fd);
	for (ssize_t start = 0, end = 0; end < got; end++) {
		if (chunk[end] != '\n')
			continue;
		hn_agent_queue_line(agent, "LOG %.*s", (int)(end - start), chunk + start);
		agent->log_offset += end - start + 1;
		start = end + 1;
	}
	/* A line longer than the chunk would block the stream forever: cut it. */
	if (got == (ssize_t)sizeof(chunk) && memchr(chunk, '\n', sizeof(chunk)) == NULL) {
		hn_agent_queue_line(agent, "LOG %.*s", (int)sizeof(chunk), chunk);
		agent->log_offset += got;
	}
}

static int hn_agent_arguments_parse(struct hn_agent *agent, int argc, char **argv)
{
	int option;

	while ((option = getopt(argc, argv, "p:c:d:ne:")) != -1) {
		switch (option) {
		case 'p':
			agent->port_name = optarg;
			break;
		case 'c':
			agent->config_path = optarg;
			break;
		case 'd':
			agent->device_path = optarg;
			break;
		case 'n':
			agent->hanode_start_at_boot = false;
			break;
		case 'e':
			agent->daemon_script = optarg;
			break;
		default:
			return -1;
		}
	}
	return agent->config_path != NULL && (agent->port_name || agent->device_path) ? 0 : -1;
}

/* One round of the loop: poll the port and the fence sockets. */
static void hn_agent_poll_round(struct hn_agent *agent)
{
	struct pollfd fds[2] = {{agent->port_fd, POLLIN, 0}, {agent->fence_listen_fd, POLLIN, 0}};
	struct pollfd *port = &fds[0];

	if (agent->queue_length > 0)
		port->events |= POLLOUT;
	if (poll(fds, 2, HN_AGENT_POLL_MS) <= 0)
		return;
	if (fds[1].revents & POLLIN)
		hn_agent_fence_accept(agent);
	if ((port->revents & POLLIN) && hn_agent_input_read(agent) != 0)
		port->revents |= POLLHUP;
	if (port->revents & POLLOUT)
		hn_agent_queue_flush(agent);
	if ((port->revents & POLLHUP) && !(port->revents & POLLIN)) {
		/* No host on the other side: forget a half-read line and do
		 * not spin on the permanent POLLHUP. */
		agent->in_length = 0;
		hn_agent_sleep_ms(HN_AGENT_POLL_MS);
	}
}

int main(int argc, char **argv)
{
	static struct hn_agent agent = {.port_fd = -1,
					.log_stream = true,
					.hanode_start_at_boot = true,
					.fence_client_fd = -1,
					.port_name = "org.halab.agent.0"};
	char socket_path[HN_AGENT_PATH_MAX];
	long next_open_ms = 0, next_md_watch_ms = 0;

	if (argc >= 2 && strcmp(argv[1], "-F") == 0)
		return hn_agent_fence_client(argc >= 3 ? argv[2] : getenv("HANODE_PEER"));
	if (hn_agent_arguments_parse(&agent, argc, argv) != 0) {
		fprintf(stderr,
			"usage: hnagent -p PORT_NAME|-d DEVICE -c HANODE_CONF [-n] [-e SCRIPT]\n"
			"       hnagent -F [PEER]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	hn_agent_config_get(agent.config_path, "log_file", agent.log_path, sizeof(agent.log_path));
	hn_agent_config_get(agent.config_path, "control_socket", socket_path, sizeof(socket_path));
	/* hactl finds the node's socket through the environment we pass on. */
	if (socket_path[0] != '\0')
		setenv("HANODE_SOCKET", socket_path, 1);
	hn_agent_fence_listen(&agent);
	if (agent.hanode_start_at_boot)
		hn_agent_hanode_start(&agent);
	for (;;) {
		hn_agent_children_reap(&agent);
		if (agent.port_fd < 0 && hn_agent_now_ms() >= next_open_ms) {
			if (hn_agent_port_open(&agent) != 0)
				next_open_ms = hn_agent_now_ms() + 500;
			else
				fprintf(stderr, "hnagent: serving %s\n", agent.port_name);
		}
		hn_agent_log_pump(&agent);
		if (hn_agent_now_ms() >= next_md_watch_ms) {
			hn_agent_md_watch();
			next_md_watch_ms = hn_agent_now_ms() + HN_AGENT_MD_WATCH_MS;
		}
		hn_agent_poll_round(&agent);
	}
	return 0;
}
