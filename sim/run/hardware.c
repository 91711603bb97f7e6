/*
 * hardware.c - what the runner does around a node's hardware, the same for
 * every backend: the cables of a node that loses or regains power, and the
 * fence device.
 *
 * A backend only powers its node (a process, a QEMU guest); that the node's
 * cables then go dark in the fabric, and that a fence request powers the
 * peer off and is written to steps.jsonl, is the runner's business and
 * lives here once. The fence device has two doors: the Unix socket
 * <state_dir>/hasim.sock that `hasim fence` (the native nodes'
 * fence_command) talks to, and the backends' own channels (a guest's agent
 * sends FENCE, a virtual node's fence command), which call
 * hs_fence_power_off directly.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../fabric/fabric.h"
#include "run.h"

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
	int result = -1;

	if (hs_run_node(run, node))
		result = run->backend->power(run, node, false, error, error_size);
	else
		snprintf(error, error_size, "fence: unknown node '%s'", node);
	hs_steps_log(run, now_ms, "fence", "fence", "power_off", node, result == 0,
		     result == 0 ? "" : error);
	if (run->verbose || run->live)
		fprintf(stderr, "[%6lld ms] fence %s: %s\n", (long long)(now_ms - run->t0_ms), node,
			result == 0 ? "powered off" : error);
	return result;
}

/* A node's fence_command asked to power its peer off ("fence node2\n"). */
void hs_fence_accept(struct hs_run *run, int64_t now_ms)
{
	struct timeval timeout = {.tv_sec = 1};
	char request[128] = "", node[HS_NAME_MAX] = "", error[256] = "";
	int fd = accept4(run->fence_listen_fd, NULL, NULL, SOCK_CLOEXEC);
	ssize_t got;
	int result;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	got = recv(fd, request, sizeof(request) - 1, 0);
	if (got > 0 && sscanf(request, "fence %31s", node) == 1) {
		result = hs_fence_power_off(run, node, now_ms, error, sizeof(error));
	} else {
		snprintf(error, sizeof(error), "bad fence request");
		hs_steps_log(run, now_ms, "fence", "fence", "power_off", "", false, error);
		result = -1;
	}
	dprintf(fd, result == 0 ? "ok\n" : "error %s\n", error);
	close(fd);
}
