/*
 * fence_client.c - one fence request to hasim's fence device (see
 * fence_client.h and sim/run/hardware.c, which serves it).
 */
#include "fence_client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int hs_fence_request(const char *socket_path, const char *node, char *error, size_t error_size)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	struct timeval timeout = {.tv_sec = HS_FENCE_CLIENT_TIMEOUT_MS / 1000,
				  .tv_usec = HS_FENCE_CLIENT_TIMEOUT_MS % 1000 * 1000};
	char reply[256] = "";
	ssize_t got;
	int fd;

	if (strlen(socket_path) >= sizeof(address.sun_path)) {
		snprintf(error, error_size, "%s: longer than %zu bytes", socket_path,
			 sizeof(address.sun_path) - 1);
		return -1;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) < 0 ||
	    connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    dprintf(fd, "fence %s\n", node) < 0) {
		snprintf(error, error_size, "%s: %s", socket_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	got = recv(fd, reply, sizeof(reply) - 1, 0);
	if (got < 0)
		snprintf(error, error_size, "%s: no answer: %s", socket_path, strerror(errno));
	close(fd);
	if (got < 0)
		return -1;
	reply[got] = '\0';
	if (strncmp(reply, "ok", 2) == 0)
		return 0;
	reply[strcspn(reply, "\n")] = '\0';
	snprintf(error, error_size, "%s", reply[0] ? reply : "no answer");
	return -1;
}
