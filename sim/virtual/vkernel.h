/*
 * vkernel.h - a virtual node's network stack: what the Linux kernel under
 * hanode does with frames, modelled as far as it decides outcomes.
 *
 * Two interfaces, as hanode sees them: the sync bond (index 0, HN_LINK_SYNC)
 * and the external bond (1, HN_LINK_EXTERNAL), each with its MAC and
 * address; the cluster IP on the external one while held. The kernel
 *   - answers ARP requests (and probes from 0.0.0.0) for its addresses,
 *     the cluster IP included while it is held - also while hanode is down,
 *     as a kernel keeps an address its process added;
 *   - resolves next hops by ARP: a datagram to an unknown neighbour waits
 *     (at most HS_VKERNEL_PENDING_MAX per interface) while a request goes
 *     out every second, up to three (Linux: retrans_time 1 s,
 *     mcast_solicit 3); unanswered, the waiting datagrams are dropped and
 *     the next send starts again. Entries learnt (a reply, or a request
 *     for one of our addresses) stay until the carrier drops (Linux flushes
 *     neighbours on carrier loss) or the node loses power: the lab's MACs
 *     never move, so Linux's reachability re-probes change nothing here;
 *   - delivers to hanode (only while it runs): UDP to port 7400 on either
 *     interface (reassembled), ICMP echo replies, every ARP frame on the
 *     external interface (hanode's probe socket), the store's requests;
 *   - plays TCP for the store on the cluster IP, port 7000: SYN -> SYN+ACK
 *     while hanode listens, RST while it is down; a request line, the
 *     reply hanode gives, FIN when hanode ends (crash) with a connection
 *     open. Frames to an address the node does not hold are dropped (no
 *     forwarding), and frames to another MAC are ignored (no promiscuous
 *     mode).
 * A NIC without carrier drops what is sent (a bond without an active port).
 *
 * Pure: no clock, no I/O; every call takes now_us, frames go out through
 * ops->output and what reaches hanode through the other callbacks, which
 * must not call back into the kernel.
 */
#ifndef HS_VKERNEL_H
#define HS_VKERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vframe.h"

#define HS_VKERNEL_IFACES	     2
#define HS_VKERNEL_NEIGHBOURS	     8
#define HS_VKERNEL_PENDING_MAX	     8
#define HS_VKERNEL_CONNECTIONS	     8
#define HS_VKERNEL_ARP_RETRANSMIT_US 1000000
#define HS_VKERNEL_ARP_TRIES	     3
#define HS_VKERNEL_HANODE_PORT	     7400
#define HS_VKERNEL_STORE_PORT	     7000
#define HS_VKERNEL_LINE_MAX	     512

struct hs_vkernel_ops {
	void *context;
	/* A frame leaves interface iface. */
	void (*output)(void *context, int iface, const uint8_t *frame, size_t length,
		       int64_t now_us);
	/* hanode's UDP socket got a datagram on interface iface. */
	void (*udp)(void *context, int iface, const uint8_t *payload, size_t length,
		    int64_t now_us);
	/* hanode's ICMP socket got an echo reply. */
	void (*echo_reply)(void *context, uint16_t sequence, int64_t now_us);
	/* An ARP frame arrived on the external interface (hanode's probe). */
	void (*arp)(void *context, const struct hs_varp *arp, int64_t now_us);
	/* A request line on store connection `connection` (answer it with
	 * hs_vkernel_store_reply, now or later). */
	void (*store)(void *context, uint32_t connection, const char *line, int64_t now_us);
};

struct hs_vkernel_config {
	uint8_t mac[HS_VKERNEL_IFACES][6];
	uint32_t address[HS_VKERNEL_IFACES];
	uint32_t prefix[HS_VKERNEL_IFACES];
	uint32_t cluster_ip; /* 0 = none */
};

struct hs_vneighbour {
	bool used;
	bool resolved;
	uint32_t ip;
	uint8_t mac[6];
	uint32_t tries;
	int64_t next_try_us;
};

struct hs_vpending {
	bool used;
	uint32_t next_hop;
	uint8_t protocol;
	uint32_t destination;
	uint16_t length;
	uint8_t data[HS_VFRAME_DATAGRAM_MAX];
};

struct hs_vconnection {
	bool used;
	uint32_t id;
	uint32_t peer;
	uint16_t peer_port;
	char line[HS_VKERNEL_LINE_MAX]; /* bytes of the request line so far */
	size_t line_length;
};

struct hs_vkernel_iface {
	bool carrier;
	struct hs_vneighbour neighbours[HS_VKERNEL_NEIGHBOURS];
	struct hs_vpending pending[HS_VKERNEL_PENDING_MAX];
	struct hs_vreassembly reassembly;
};

struct hs_vkernel {
	struct hs_vkernel_config config;
	struct hs_vkernel_ops ops;
	bool up;     /* booted: the stack answers */
	bool hanode; /* hanode runs: its sockets exist */
	bool cluster_ip_held;
	uint16_t next_id;
	struct hs_vkernel_iface ifaces[HS_VKERNEL_IFACES];
	struct hs_vconnection connections[HS_VKERNEL_CONNECTIONS];
	/* counters, for tests and debugging */
	uint64_t dropped_no_carrier, dropped_unresolved, dropped_pending_full;
};

void hs_vkernel_init(struct hs_vkernel *kernel, const struct hs_vkernel_config *config,
		     const struct hs_vkernel_ops *ops);
/* Boot (up: addresses configured, neighbours empty) or power loss (down:
 * everything volatile is gone: the cluster IP, neighbours, connections). */
void hs_vkernel_power(struct hs_vkernel *kernel, bool up);
/* hanode starts or ends (crash, stop): its sockets open or close; ending
 * closes the store's connections with FIN. */
void hs_vkernel_hanode(struct hs_vkernel *kernel, bool running, int64_t now_us);
void hs_vkernel_carrier(struct hs_vkernel *kernel, int iface, bool up);

/* A frame arrived on interface iface. */
void hs_vkernel_input(struct hs_vkernel *kernel, int iface, const uint8_t *frame, size_t length,
		      int64_t now_us);
/* ARP retransmissions and the end of unanswered resolutions. */
int64_t hs_vkernel_next_us(const struct hs_vkernel *kernel); /* -1: none */
void hs_vkernel_timers(struct hs_vkernel *kernel, int64_t now_us);

/* What hanode does. A send fails (-1, error) only where a real socket call
 * would: no route to the destination. */
int hs_vkernel_udp_send(struct hs_vkernel *kernel, uint32_t destination, const uint8_t *payload,
			size_t length, int64_t now_us, char *error, size_t error_size);
int hs_vkernel_ping(struct hs_vkernel *kernel, uint32_t destination, uint16_t id, uint16_t sequence,
		    int64_t now_us, char *error, size_t error_size);
void hs_vkernel_garp(struct hs_vkernel *kernel, int64_t now_us);
void hs_vkernel_probe(struct hs_vkernel *kernel, int64_t now_us);
void hs_vkernel_cluster_ip(struct hs_vkernel *kernel, bool held);
/* hanode's answer on a store connection; dropped if the connection is gone. */
void hs_vkernel_store_reply(struct hs_vkernel *kernel, uint32_t connection, const char *line,
			    int64_t now_us);

#endif
