/*
 * links.c - UDP sockets of the sync and external links (see links.h).
 *
 * Sockets are non-blocking: a full send buffer drops the heartbeat (the
 * next one follows within the interval; data messages are retransmitted
 * by the core), which is what a heartbeat protocol wants rather than
 * stalling the loop. IP_FREEBIND lets a link start even while its address
 * is not configured yet (cable unplugged at boot).
 */
#include "links.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int hn_link_socket_open(struct hn_link_socket *socket_state,
			       const struct hn_link_config *link, uint32_t port, char *error,
			       size_t error_size)
{
	int one = 1;
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, link->address, &local.sin_addr);
	socket_state->peer =
	    (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, link->peer, &socket_state->peer.sin_addr);
	snprintf(socket_state->interface, sizeof(socket_state->interface), "%s", link->interface);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, link->interface,
		       (socklen_t)strlen(link->interface)) != 0 ||
	    setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0)
		goto fail;
	socket_state->fd = fd;
	return 0;
fail:
	snprintf(error, error_size, "hn_links_open: %s %s:%u: %s", link->interface, link->address,
		 port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int hn_links_open(struct hn_links *links, const struct hn_daemon_config *config, char *error,
		  size_t error_size)
{
	memset(links, 0, sizeof(*links));
	for (int i = 0; i < HN_LINKS; i++)
		links->sockets[i].fd = -1;
	for (int i = 0; i < HN_LINKS; i++) {
		if (!config->links[i].interface[0])
			continue;
		if (hn_link_socket_open(&links->sockets[i], &config->links[i], config->port, error,
					error_size) != 0) {
			hn_links_close(links);
			return -1;
		}
	}
	return 0;
}

void hn_links_close(struct hn_links *links)
{
	if (!links)
		return;
	for (int i = 0; i < HN_LINKS; i++) {
		if (links->sockets[i].fd >= 0)
			close(links->sockets[i].fd);
		links->sockets[i].fd = -1;
	}
}

int hn_links_send(struct hn_links *links, enum hn_link link, const uint8_t *packet, size_t length,
		  char *error, size_t error_size)
{
	if ((unsigned)link >= HN_LINKS || links->sockets[link].fd < 0) {
		snprintf(error, error_size, "hn_links_send: link %d not configured", (int)link);
		return -1;
	}
	struct hn_link_socket *socket_state = &links->sockets[link];
	ssize_t sent =
	    sendto(socket_state->fd, packet, length, MSG_DONTWAIT,
		   (const struct sockaddr *)&socket_state->peer, sizeof(socket_state->peer));
	if (sent != (ssize_t)length) {
		snprintf(error, error_size, "hn_links_send: %s: %s", socket_state->interface,
			 sent < 0 ? strerror(errno) : "short send");
		return -1;
	}
	return 0;
}

ssize_t hn_links_receive(struct hn_links *links, enum hn_link link, uint8_t *buffer,
			 size_t buffer_size)
{
	if ((unsigned)link >= HN_LINKS || links->sockets[link].fd < 0)
		return -1;
	ssize_t length =
	    recv(links->sockets[link].fd, buffer, buffer_size, MSG_DONTWAIT | MSG_TRUNC);
	if (length < 0)
		return -1;
	return (size_t)length > buffer_size ? (ssize_t)buffer_size : length;
}
