/*
 * links.h - hanode's two cluster links: UDP heartbeats and data messages.
 *
 * One UDP socket per link, bound to the link's local address and port
 * (7400) and to its device (SO_BINDTODEVICE), so a heartbeat received on
 * the sync socket really crossed the sync cable. Every packet of this node
 * carries the next value of one packet_seq counter shared by both links;
 * the counter starts at the wall clock in microseconds, so a restarted
 * daemon never falls behind the peer's replay window. Received packets go
 * through hn_proto_decode() with one replay window for the peer; rejected
 * packets are counted in counters (shown by `hactl status --json`).
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
	uint64_t sent;
	uint64_t send_errors;
	uint64_t received;
};

struct hn_links {
	struct hn_link_socket sockets[HN_LINKS];
	uint8_t key[HN_KEY_BYTES];
	bool keyed;
	uint64_t packet_seq;
	uint64_t oversize; /* messages that could not be encoded */
	struct hn_replay_window window;
	struct hn_proto_counters counters;
};

int hn_links_open(struct hn_links *links, const struct hn_daemon_config *config, char *error,
		  size_t error_size);
void hn_links_close(struct hn_links *links);
void hn_links_set_key(struct hn_links *links, const uint8_t key[HN_KEY_BYTES]);

int hn_links_send_heartbeat(struct hn_links *links, enum hn_link link,
			    const struct hn_heartbeat *heartbeat);
/* A sync batch too large for one packet is split into several batches. */
int hn_links_send_data(struct hn_links *links, enum hn_link link,
		       const struct hn_data_message *data);

/* Read one datagram of link. Returns HN_PACKET_HEARTBEAT or HN_PACKET_DATA
 * with the output and *packet_seq filled, 0 if a packet was read and
 * dropped, -1 if there is nothing more to read. */
int hn_links_receive(struct hn_links *links, enum hn_link link, uint64_t *packet_seq,
		     struct hn_heartbeat *heartbeat, struct hn_data_message *data);

#endif
