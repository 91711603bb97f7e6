/*
 * libvirt_conn.c - connect to libvirt; for qemu:///system start virtlogd and
 * libvirtd ourselves when no daemon answers, and stop only those we started.
 * An unprivileged user gets qemu:///session, whose daemon libvirt's client
 * starts as that user (no root, no /run, no namespaces: the guests' NICs
 * are UDP sockets on the loopback into hasim's fabric).
 *
 * Why we may have to start the daemons: halab runs in containers without
 * systemd, where nothing starts libvirtd (see /work/shared/VM-NOTES.md). The
 * daemons run in the foreground as our children (not with -d), in their own
 * session so that a Ctrl-C aimed at hasim does not kill libvirtd before the
 * backend's down() has destroyed its domains. Their output goes to
 * /var/log/libvirt/halab-<daemon>.log. Closing stops them: destroy the
 * domains first, because QEMU processes outlive a stopped libvirtd.
 */
#include "libvirt_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#define HS_LIBVIRT_RETRY_MS 100

const char *hs_libvirt_error_text(void)
{
	virErrorPtr last = virGetLastError();

	return last != NULL && last->message != NULL ? last->message : "no error";
}

/* libvirt prints every error to stderr by default; we report them ourselves
 * (a failed first connect is expected, not an error). */
static void hs_libvirt_error_ignore(void *data, virErrorPtr error)
{
	(void)data;
	(void)error;
}

void hs_libvirt_errors_silence(void)
{
	virSetErrorFunc(NULL, hs_libvirt_error_ignore);
}

static long hs_libvirt_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void hs_libvirt_sleep_ms(long duration_ms)
{
	struct timespec pause = {duration_ms / 1000, (duration_ms % 1000) * 1000000};

	nanosleep(&pause, NULL);
}

/* Start program (found on PATH) in the foreground as our child, in its own
 * session, output appended to /var/log/libvirt/halab-<program>.log. */
static pid_t hs_libvirt_daemon_spawn(const char *program, char *error, size_t error_size)
{
	char log_path[128];
	pid_t pid;

	snprintf(log_path, sizeof(log_path), "/var/log/libvirt/halab-%s.log", program);
	pid = fork();
	if (pid < 0) {
		snprintf(error, error_size, "hs_libvirt_daemon_spawn: %s: fork: %s", program,
			 strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		setsid();
		execlp(program, program, (char *)NULL);
		fprintf(stderr, "%s: %s\n", program, strerror(errno));
		exit(127);
	}
	return pid;
}

/* SIGTERM, wait up to HS_LIBVIRT_STOP_TIMEOUT_MS, then SIGKILL. */
static void hs_libvirt_daemon_stop(pid_t *pid)
{
	long deadline_ms = hs_libvirt_now_ms() + HS_LIBVIRT_STOP_TIMEOUT_MS;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	while (waitpid(*pid, NULL, WNOHANG) == 0) {
		if (hs_libvirt_now_ms() >= deadline_ms) {
			kill(*pid, SIGKILL);
			waitpid(*pid, NULL, 0);
			break;
		}
		hs_libvirt_sleep_ms(20);
	}
	*pid = 0;
}

/* Start virtlogd and libvirtd, then connect with retries until the bound. */
static int hs_libvirt_daemons_start(struct hs_libvirt_conn *conn, char *error, size_t error_size)
{
	long deadline_ms;

	mkdir("/var/log/libvirt", 0755);
	mkdir("/var/run/libvirt", 0755);
	conn->virtlogd_pid = hs_libvirt_daemon_spawn("virtlogd", error, error_size);
	if (conn->virtlogd_pid < 0)
		goto fail;
	conn->libvirtd_pid = hs_libvirt_daemon_spawn("libvirtd", error, error_size);
	if (conn->libvirtd_pid < 0)
		goto fail;
	deadline_ms = hs_libvirt_now_ms() + HS_LIBVIRT_START_TIMEOUT_MS;
	while (hs_libvirt_now_ms() < deadline_ms) {
		if (waitpid(conn->libvirtd_pid, NULL, WNOHANG) == conn->libvirtd_pid) {
			conn->libvirtd_pid = 0;
			snprintf(error, error_size,
				 "hs_libvirt_conn_open: libvirtd exited at start (see "
				 "/var/log/libvirt/halab-libvirtd.log)");
			goto fail;
		}
		conn->connection = virConnectOpen(conn->uri);
		if (conn->connection != NULL)
			return 0;
		hs_libvirt_sleep_ms(HS_LIBVIRT_RETRY_MS);
	}
	snprintf(error, error_size,
		 "hs_libvirt_conn_open: %s: libvirtd started but did not answer in %d ms: %s",
		 conn->uri, HS_LIBVIRT_START_TIMEOUT_MS, hs_libvirt_error_text());
fail:
	if (conn->libvirtd_pid < 0)
		conn->libvirtd_pid = 0;
	if (conn->virtlogd_pid < 0)
		conn->virtlogd_pid = 0;
	hs_libvirt_daemon_stop(&conn->libvirtd_pid);
	hs_libvirt_daemon_stop(&conn->virtlogd_pid);
	return -1;
}

const char *hs_libvirt_uri(void)
{
	const char *uri = getenv("HALAB_LIBVIRT_URI");

	if (uri != NULL && uri[0] != '\0')
		return uri;
	return geteuid() == 0 ? HS_LIBVIRT_SYSTEM_URI : HS_LIBVIRT_SESSION_URI;
}

int hs_libvirt_conn_open(struct hs_libvirt_conn *conn, const char *uri, char *error,
			 size_t error_size)
{
	memset(conn, 0, sizeof(*conn));
	if (uri == NULL || uri[0] == '\0')
		uri = hs_libvirt_uri();
	if (snprintf(conn->uri, sizeof(conn->uri), "%s", uri) >= (int)sizeof(conn->uri)) {
		snprintf(error, error_size, "hs_libvirt_conn_open: URI '%.32s...' too long", uri);
		return -1;
	}
	hs_libvirt_errors_silence();
	conn->connection = virConnectOpen(uri);
	if (conn->connection != NULL)
		return 0;
	if (strcmp(uri, HS_LIBVIRT_SYSTEM_URI) != 0) {
		snprintf(error, error_size, "hs_libvirt_conn_open: %s: %s", uri,
			 hs_libvirt_error_text());
		return -1;
	}
	return hs_libvirt_daemons_start(conn, error, error_size);
}

void hs_libvirt_conn_close(struct hs_libvirt_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->connection != NULL) {
		virConnectClose(conn->connection);
		conn->connection = NULL;
	}
	hs_libvirt_daemon_stop(&conn->libvirtd_pid);
	hs_libvirt_daemon_stop(&conn->virtlogd_pid);
}
