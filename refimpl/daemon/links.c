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
#include <time.h>
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
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	links->packet_seq = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
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
	memset(links->key, 0, sizeof(links->key));
	links->keyed = false;
}

void hn_links_set_key(struct hn_links *links, const uint8_t key[HN_KEY_BYTES])
{
	memcpy(links->key, key, HN_KEY_BYTES);
	links->keyed = true;
}

static int hn_links_send_packet(struct hn_links *links, enum hn_link link, const uint8_t *packet,
				int length)
{
	struct hn_link_socket *socket_state = &links->sockets[link];
	if (length < 0) {
		links->oversize++;
		return -1;
	}
	ssize_t sent =
	    sendto(socket_state->fd, packet, (size_t)length, MSG_DONTWAIT,
		   (const struct sockaddr *)&socket_state->peer, sizeof(socket_state->peer));
	if (sent != length) {
		socket_state->send_errors++;
		return -1;
	}
	socket_state->sent++;
	return 0;
}

int hn_links_send_heartbeat(struct hn_links *links, enum hn_link link,
			    const struct hn_heartbeat *heartbeat)
{
	if ((unsigned)link >= HN_LINKS || links->sockets[link].fd < 0 || !links->keyed)
		return -1;
	uint8_t packet[HN_PACKET_MAX];
	int length = hn_proto_encode_heartbeat(heartbeat, ++links->packet_seq, links->key, packet,
					       sizeof(packet));
	return hn_links_send_packet(links, link, packet, length);
}

/* A SYNC_BATCH whose entries do not fit is sent as two smaller batches:
 * the first ends at its last entry's seq and is not complete. */
static int hn_links_send_split(struct hn_links *links, enum hn_link link,
			       const struct hn_data_message *data, uint32_t depth)
{
	uint8_t packet[HN_PACKET_MAX];
	int length =
	    hn_proto_encode_data(data, ++links->packet_seq, links->key, packet, sizeof(packet));
	if (length >= 0 || data->kind != HN_DATA_SYNC_BATCH || data->entry_count < 2 || depth > 4)
		return hn_links_send_packet(links, link, packet, length);
	struct hn_data_message half = *data;
	half.entry_count = data->entry_count / 2;
	half.upto_seq = data->entries[half.entry_count - 1].seq;
	half.complete = false;
	int result = hn_links_send_split(links, link, &half, depth + 1);
	half = *data;
	half.entry_count = data->entry_count - data->entry_count / 2;
	memmove(half.entries, data->entries + data->entry_count / 2,
		half.entry_count * sizeof(half.entries[0]));
	return hn_links_send_split(links, link, &half, depth + 1) | result;
}

int hn_links_send_data(struct hn_links *links, enum hn_link link,
		       const struct hn_data_message *data)
{
	if ((unsigned)link >= HN_LINKS || links->sockets[link].fd < 0 || !links->keyed)
		return -1;
	return hn_links_send_split(links, link, data, 0);
}

int hn_links_receive(struct hn_links *links, enum hn_link link, uint64_t *packet_seq,
		     struct hn_heartbeat *heartbeat, struct hn_data_message *data)
{
	struct hn_link_socket *socket_state = &links->sockets[link];
	uint8_t packet[HN_PACKET_MAX + 1];
	ssize_t length = recv(socket_state->fd, packet, sizeof(packet), MSG_DONTWAIT | MSG_TRUNC);
	if (length < 0)
		return -1;
	socket_state->received++;
	if (!links->keyed)
		return 0;
	size_t size = (size_t)length > sizeof(packet) ? sizeof(packet) : (size_t)length;
	int kind = hn_proto_decode(packet, size, links->key, &links->window, &links->counters,
				   heartbeat, data);
	if (kind < 0)
		return 0;
	*packet_seq = hn_proto_packet_seq(packet, size);
	return kind;
}
