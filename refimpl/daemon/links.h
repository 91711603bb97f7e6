/*
 * links.h - hanode's two cluster links: one UDP socket per link.
 *
 * Each socket is bound to the link's local address and port (7400) and to
 * its device (SO_BINDTODEVICE), so a heartbeat received on the sync socket
 * really crossed the sync cable. The sockets carry bytes only: the packet
 * counter, the encoding, the replay window and the counters are the
 * host's (refimpl/host/packets.c).
 */
#ifndef HN_LINKS_H
#define HN_LINKS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hn_core.h"

#define HN_LINKS_RECEIVE_BURST 32 /* datagrams read per wakeup and link */

struct hn_link_socket {
	int fd; /* -1 = link not configured */
	char interface[IF_NAMESIZE];
	struct sockaddr_in peer;
};

struct hn_links {
	struct hn_link_socket sockets[HN_LINKS];
};

int hn_links_open(struct hn_links *links, const struct hn_daemon_config *config, char *error,
		  size_t error_size);
void hn_links_close(struct hn_links *links);

/* Send one datagram to the peer on link (non-blocking: a full buffer is an error). */
int hn_links_send(struct hn_links *links, enum hn_link link, const uint8_t *packet, size_t length,
		  char *error, size_t error_size);
/* Read one datagram of link into buffer; returns its length (a longer one
 * is cut to buffer_size, which the decoder then refuses), or -1 if there
 * is nothing more to read. */
ssize_t hn_links_receive(struct hn_links *links, enum hn_link link, uint8_t *buffer,
			 size_t buffer_size);

#endif
