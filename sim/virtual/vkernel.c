/*
 * vkernel.c - a virtual node's network stack (see vkernel.h): ARP answers
 * and resolution, IP output with fragmentation, what reaches hanode, and
 * the store's TCP on the cluster IP.
 */
#include "vkernel.h"

#include <stdio.h>
#include <string.h>

#define VKERNEL_ECHO_PAYLOAD "halab-hanode-png"

void hs_vkernel_init(struct hs_vkernel *kernel, const struct hs_vkernel_config *config,
		     const struct hs_vkernel_ops *ops)
{
	memset(kernel, 0, sizeof(*kernel));
	kernel->config = *config;
	kernel->ops = *ops;
}

static void vkernel_forget(struct hs_vkernel *kernel, int iface)
{
	struct hs_vkernel_iface *interface = &kernel->ifaces[iface];

	memset(interface->neighbours, 0, sizeof(interface->neighbours));
	for (int i = 0; i < HS_VKERNEL_PENDING_MAX; i++)
		interface->pending[i].used = false;
	hs_vreassembly_clear(&interface->reassembly);
}

void hs_vkernel_power(struct hs_vkernel *kernel, bool up)
{
	kernel->up = up;
	kernel->hanode = false;
	kernel->cluster_ip_held = false;
	for (int iface = 0; iface < HS_VKERNEL_IFACES; iface++)
		vkernel_forget(kernel, iface);
	memset(kernel->connections, 0, sizeof(kernel->connections));
}

void hs_vkernel_carrier(struct hs_vkernel *kernel, int iface, bool up)
{
	if (iface < 0 || iface >= HS_VKERNEL_IFACES)
		return;
	kernel->ifaces[iface].carrier = up;
	if (!up)
		vkernel_forget(kernel, iface);
}

void hs_vkernel_cluster_ip(struct hs_vkernel *kernel, bool held)
{
	kernel->cluster_ip_held = held && kernel->config.cluster_ip != 0;
}

/* ------------------------------------------------------------------ ARP */

static void vkernel_arp_send(struct hs_vkernel *kernel, int iface, uint16_t operation,
			     const uint8_t destination[6], uint32_t sender_ip,
			     const uint8_t target_mac[6], uint32_t target_ip, int64_t now_us)
{
	uint8_t frame[HS_VFRAME_ETH_BYTES + HS_VFRAME_ARP_BYTES];
	struct hs_varp arp = {
	    .operation = operation, .sender_ip = sender_ip, .target_ip = target_ip};

	if (!kernel->ifaces[iface].carrier) {
		kernel->dropped_no_carrier++;
		return;
	}
	memcpy(arp.sender_mac, kernel->config.mac[iface], 6);
	if (target_mac)
		memcpy(arp.target_mac, target_mac, 6);
	kernel->ops.output(kernel->ops.context, iface, frame,
			   hs_vframe_arp_build(frame, destination, &arp), now_us);
}

/* Whether ip is ours on iface: the address, or the cluster IP while held. */
static bool vkernel_owns(const struct hs_vkernel *kernel, int iface, uint32_t ip)
{
	return ip == kernel->config.address[iface] ||
	       (iface == 1 && kernel->cluster_ip_held && ip == kernel->config.cluster_ip);
}

static struct hs_vneighbour *vkernel_neighbour_find(struct hs_vkernel *kernel, int iface,
						    uint32_t ip)
{
	for (int i = 0; i < HS_VKERNEL_NEIGHBOURS; i++)
		if (kernel->ifaces[iface].neighbours[i].used &&
		    kernel->ifaces[iface].neighbours[i].ip == ip)
			return &kernel->ifaces[iface].neighbours[i];
	return NULL;
}

static void vkernel_flush_pending(struct hs_vkernel *kernel, int iface,
				  const struct hs_vneighbour *neighbour, int64_t now_us);

/* A neighbour's MAC learnt: create (create = true) or update an entry. */
static void vkernel_learn(struct hs_vkernel *kernel, int iface, uint32_t ip, const uint8_t mac[6],
			  bool create, int64_t now_us)
{
	struct hs_vneighbour *neighbour = vkernel_neighbour_find(kernel, iface, ip);

	if (!neighbour && !create)
		return;
	for (int i = 0; !neighbour && i < HS_VKERNEL_NEIGHBOURS; i++)
		if (!kernel->ifaces[iface].neighbours[i].used)
			neighbour = &kernel->ifaces[iface].neighbours[i];
	if (!neighbour)
		neighbour = &kernel->ifaces[iface].neighbours[0]; /* full: the first goes */
	neighbour->used = true;
	neighbour->resolved = true;
	neighbour->ip = ip;
	neighbour->tries = 0;
	memcpy(neighbour->mac, mac, 6);
	vkernel_flush_pending(kernel, iface, neighbour, now_us);
}

static void vkernel_arp_input(struct hs_vkernel *kernel, int iface, const uint8_t *frame,
			      size_t length, int64_t now_us)
{
	struct hs_varp arp;
	bool for_us;

	if (hs_vframe_arp_parse(frame, length, &arp) < 0)
		return;
	if (iface == 1 && kernel->hanode && kernel->ops.arp)
		kernel->ops.arp(kernel->ops.context, &arp, now_us);
	for_us = vkernel_owns(kernel, iface, arp.target_ip);
	if (arp.operation == HS_VARP_REQUEST && arp.sender_ip == arp.target_ip) {
		/* A gratuitous announcement updates an entry we have (arp_accept 0). */
		vkernel_learn(kernel, iface, arp.sender_ip, arp.sender_mac, false, now_us);
		return;
	}
	/* Any ARP from a known neighbour updates it; a request for one of our
	 * addresses also creates the asker's entry (Linux, arp_accept 0). */
	if (arp.sender_ip != 0)
		vkernel_learn(kernel, iface, arp.sender_ip, arp.sender_mac,
			      for_us && arp.operation == HS_VARP_REQUEST, now_us);
	if (arp.operation == HS_VARP_REQUEST && for_us)
		vkernel_arp_send(kernel, iface, HS_VARP_REPLY, arp.sender_mac, arp.target_ip,
				 arp.sender_mac, arp.sender_ip, now_us);
}

void hs_vkernel_garp(struct hs_vkernel *kernel, int64_t now_us)
{
	if (kernel->config.cluster_ip != 0)
		vkernel_arp_send(kernel, 1, HS_VARP_REQUEST, hs_vframe_broadcast,
				 kernel->config.cluster_ip, NULL, kernel->config.cluster_ip,
				 now_us);
}

void hs_vkernel_probe(struct hs_vkernel *kernel, int64_t now_us)
{
	if (kernel->config.cluster_ip != 0)
		vkernel_arp_send(kernel, 1, HS_VARP_REQUEST, hs_vframe_broadcast, 0, NULL,
				 kernel->config.cluster_ip, now_us);
}

/* ------------------------------------------------------------- IP output */

static void vkernel_frames_out(struct hs_vkernel *kernel, int iface, const uint8_t mac[6],
			       uint8_t protocol, uint32_t destination, const uint8_t *data,
			       size_t length, int64_t now_us)
{
	uint8_t frame[HS_VFRAME_BYTES_MAX];
	struct hs_vpacket packet = {.protocol = protocol,
				    .id = kernel->next_id++,
				    .source = kernel->config.address[iface],
				    .destination = destination};
	size_t offset = 0;

	/* The store answers from the address it was asked on: the cluster IP. */
	if (protocol == HS_VFRAME_TCP && iface == 1 && kernel->cluster_ip_held)
		packet.source = kernel->config.cluster_ip;
	do {
		size_t part = length - offset > HS_VFRAME_FRAGMENT_MAX ? HS_VFRAME_FRAGMENT_MAX
								       : length - offset;
		packet.offset = (uint16_t)offset;
		packet.more_fragments = offset + part < length;
		packet.data = data + offset;
		packet.length = part;
		kernel->ops.output(
		    kernel->ops.context, iface, frame,
		    hs_vframe_packet_build(frame, mac, kernel->config.mac[iface], &packet), now_us);
		offset += part;
	} while (offset < length);
}

static void vkernel_flush_pending(struct hs_vkernel *kernel, int iface,
				  const struct hs_vneighbour *neighbour, int64_t now_us)
{
	for (int i = 0; i < HS_VKERNEL_PENDING_MAX; i++) {
		struct hs_vpending *pending = &kernel->ifaces[iface].pending[i];
		if (!pending->used || pending->next_hop != neighbour->ip)
			continue;
		pending->used = false;
		vkernel_frames_out(kernel, iface, neighbour->mac, pending->protocol,
				   pending->destination, pending->data, pending->length, now_us);
	}
}

static int vkernel_route(const struct hs_vkernel *kernel, uint32_t destination)
{
	for (int iface = 0; iface < HS_VKERNEL_IFACES; iface++) {
		uint32_t mask = hs_vframe_mask(kernel->config.prefix[iface]);
		if (kernel->config.address[iface] != 0 &&
		    (destination & mask) == (kernel->config.address[iface] & mask))
			return iface;
	}
	return -1;
}

/* Start (or restart) resolving ip on iface and hold the datagram. */
static void vkernel_resolve(struct hs_vkernel *kernel, int iface, uint32_t ip, uint8_t protocol,
			    const uint8_t *data, size_t length, int64_t now_us)
{
	struct hs_vkernel_iface *interface = &kernel->ifaces[iface];
	struct hs_vneighbour *neighbour = vkernel_neighbour_find(kernel, iface, ip);
	struct hs_vpending *slot = NULL;

	for (int i = 0; i < HS_VKERNEL_PENDING_MAX && !slot; i++)
		if (!interface->pending[i].used)
			slot = &interface->pending[i];
	if (!slot) {
		kernel->dropped_pending_full++;
	} else {
		slot->used = true;
		slot->next_hop = ip;
		slot->protocol = protocol;
		slot->destination = ip;
		slot->length = (uint16_t)length;
		memcpy(slot->data, data, length);
	}
	if (neighbour && neighbour->tries > 0)
		return; /* a resolution is under way */
	for (int i = 0; !neighbour && i < HS_VKERNEL_NEIGHBOURS; i++)
		if (!interface->neighbours[i].used)
			neighbour = &interface->neighbours[i];
	if (!neighbour)
		neighbour = &interface->neighbours[0];
	memset(neighbour, 0, sizeof(*neighbour));
	neighbour->used = true;
	neighbour->ip = ip;
	neighbour->tries = 1;
	neighbour->next_try_us = now_us + HS_VKERNEL_ARP_RETRANSMIT_US;
	vkernel_arp_send(kernel, iface, HS_VARP_REQUEST, hs_vframe_broadcast,
			 kernel->config.address[iface], NULL, ip, now_us);
}

/* One datagram to destination (directly connected) out of its interface. */
static int vkernel_ip_output(struct hs_vkernel *kernel, uint8_t protocol, uint32_t destination,
			     const uint8_t *data, size_t length, int64_t now_us, char *error,
			     size_t error_size)
{
	int iface = vkernel_route(kernel, destination);
	const struct hs_vneighbour *neighbour;

	if (iface < 0) {
		snprintf(error, error_size, "send to %u.%u.%u.%u: Network is unreachable",
			 destination >> 24, (destination >> 16) & 255, (destination >> 8) & 255,
			 destination & 255);
		return -1;
	}
	if (!kernel->ifaces[iface].carrier) {
		kernel->dropped_no_carrier++;
		return 0;
	}
	neighbour = vkernel_neighbour_find(kernel, iface, destination);
	if (neighbour && neighbour->resolved)
		vkernel_frames_out(kernel, iface, neighbour->mac, protocol, destination, data,
				   length, now_us);
	else
		vkernel_resolve(kernel, iface, destination, protocol, data, length, now_us);
	return 0;
}

int64_t hs_vkernel_next_us(const struct hs_vkernel *kernel)
{
	int64_t next_us = -1;

	for (int iface = 0; iface < HS_VKERNEL_IFACES; iface++)
		for (int i = 0; i < HS_VKERNEL_NEIGHBOURS; i++) {
			const struct hs_vneighbour *neighbour =
			    &kernel->ifaces[iface].neighbours[i];
			if (neighbour->used && !neighbour->resolved && neighbour->tries > 0 &&
			    (next_us < 0 || neighbour->next_try_us < next_us))
				next_us = neighbour->next_try_us;
		}
	return next_us;
}

void hs_vkernel_timers(struct hs_vkernel *kernel, int64_t now_us)
{
	for (int iface = 0; iface < HS_VKERNEL_IFACES; iface++)
		for (int i = 0; i < HS_VKERNEL_NEIGHBOURS; i++) {
			struct hs_vneighbour *neighbour = &kernel->ifaces[iface].neighbours[i];
			if (!neighbour->used || neighbour->resolved || neighbour->tries == 0 ||
			    neighbour->next_try_us > now_us)
				continue;
			if (neighbour->tries >= HS_VKERNEL_ARP_TRIES) {
				/* Failed: what waited is dropped; the next send starts over. */
				for (int p = 0; p < HS_VKERNEL_PENDING_MAX; p++) {
					struct hs_vpending *pending =
					    &kernel->ifaces[iface].pending[p];
					if (pending->used && pending->next_hop == neighbour->ip) {
						pending->used = false;
						kernel->dropped_unresolved++;
					}
				}
				neighbour->used = false;
				continue;
			}
			neighbour->tries++;
			neighbour->next_try_us = now_us + HS_VKERNEL_ARP_RETRANSMIT_US;
			vkernel_arp_send(kernel, iface, HS_VARP_REQUEST, hs_vframe_broadcast,
					 kernel->config.address[iface], NULL, neighbour->ip,
					 now_us);
		}
}

/* ------------------------------------------------------- what hanode sends */

int hs_vkernel_udp_send(struct hs_vkernel *kernel, uint32_t destination, const uint8_t *payload,
			size_t length, int64_t now_us, char *error, size_t error_size)
{
	uint8_t datagram[HS_VFRAME_DATAGRAM_MAX];

	if (length + HS_VFRAME_UDP_BYTES > sizeof(datagram)) {
		snprintf(error, error_size, "send: %zu bytes: Message too long", length);
		return -1;
	}
	hs_vframe_put16(datagram, HS_VKERNEL_HANODE_PORT);
	hs_vframe_put16(datagram + 2, HS_VKERNEL_HANODE_PORT);
	hs_vframe_put16(datagram + 4, (uint16_t)(length + HS_VFRAME_UDP_BYTES));
	hs_vframe_put16(datagram + 6, 0);
	memcpy(datagram + HS_VFRAME_UDP_BYTES, payload, length);
	return vkernel_ip_output(kernel, HS_VFRAME_UDP, destination, datagram,
				 length + HS_VFRAME_UDP_BYTES, now_us, error, error_size);
}

int hs_vkernel_ping(struct hs_vkernel *kernel, uint32_t destination, uint16_t id, uint16_t sequence,
		    int64_t now_us, char *error, size_t error_size)
{
	uint8_t echo[HS_VFRAME_ICMP_BYTES + HS_VFRAME_ICMP_PAYLOAD] = {8, 0, 0, 0};

	hs_vframe_put16(echo + 4, id);
	hs_vframe_put16(echo + 6, sequence);
	memcpy(echo + HS_VFRAME_ICMP_BYTES, VKERNEL_ECHO_PAYLOAD, HS_VFRAME_ICMP_PAYLOAD);
	return vkernel_ip_output(kernel, HS_VFRAME_ICMP, destination, echo, sizeof(echo), now_us,
				 error, error_size);
}

/* -------------------------------------------------------------- the store */

static void vkernel_tcp_send(struct hs_vkernel *kernel, const struct hs_vconnection *connection,
			     uint8_t flags, const char *text, int64_t now_us)
{
	uint8_t segment[HS_VFRAME_TCP_BYTES + HS_VKERNEL_LINE_MAX];
	size_t length = text ? strlen(text) : 0;
	char error[128];

	if (length > HS_VKERNEL_LINE_MAX)
		length = HS_VKERNEL_LINE_MAX;
	hs_vframe_put16(segment, HS_VKERNEL_STORE_PORT);
	hs_vframe_put16(segment + 2, connection->peer_port);
	hs_vframe_put32(segment + 4, connection->id);
	segment[8] = flags;
	segment[9] = 0;
	memcpy(segment + HS_VFRAME_TCP_BYTES, text ? text : "", length);
	vkernel_ip_output(kernel, HS_VFRAME_TCP, connection->peer, segment,
			  HS_VFRAME_TCP_BYTES + length, now_us, error, sizeof(error));
}

static struct hs_vconnection *vkernel_connection(struct hs_vkernel *kernel, uint32_t peer,
						 uint32_t id)
{
	for (int i = 0; i < HS_VKERNEL_CONNECTIONS; i++)
		if (kernel->connections[i].used && kernel->connections[i].id == id &&
		    kernel->connections[i].peer == peer)
			return &kernel->connections[i];
	return NULL;
}

/* A segment for the store: open, feed the request line, close. */
static void vkernel_tcp_input(struct hs_vkernel *kernel, const struct hs_vpacket *packet,
			      const uint8_t *data, size_t length, int64_t now_us)
{
	struct hs_vconnection probe = {.peer = packet->source};
	struct hs_vconnection *connection;
	uint8_t flags;

	if (length < HS_VFRAME_TCP_BYTES || hs_vframe_get16(data + 2) != HS_VKERNEL_STORE_PORT)
		return;
	probe.peer_port = hs_vframe_get16(data);
	probe.id = hs_vframe_get32(data + 4);
	flags = data[8];
	connection = vkernel_connection(kernel, probe.peer, probe.id);
	if (flags & (HS_VTCP_RST | HS_VTCP_FIN)) {
		if (connection)
			connection->used = false;
		return;
	}
	if (flags & HS_VTCP_SYN) {
		if (!kernel->hanode) {
			vkernel_tcp_send(kernel, &probe, HS_VTCP_RST | HS_VTCP_ACK, NULL, now_us);
			return;
		}
		for (int i = 0; !connection && i < HS_VKERNEL_CONNECTIONS; i++)
			if (!kernel->connections[i].used)
				connection = &kernel->connections[i];
		if (!connection)
			return; /* the backlog is full: the SYN is dropped */
		*connection = probe;
		connection->used = true;
		vkernel_tcp_send(kernel, connection, HS_VTCP_SYN | HS_VTCP_ACK, NULL, now_us);
		return;
	}
	if (!connection) {
		vkernel_tcp_send(kernel, &probe, HS_VTCP_RST, NULL, now_us);
		return;
	}
	for (size_t i = HS_VFRAME_TCP_BYTES; i < length; i++) {
		char c = (char)data[i];
		if (c != '\n') {
			if (connection->line_length < HS_VKERNEL_LINE_MAX - 1)
				connection->line[connection->line_length++] = c;
			continue;
		}
		connection->line[connection->line_length] = '\0';
		connection->line_length = 0;
		kernel->ops.store(kernel->ops.context, connection->id, connection->line, now_us);
	}
}

void hs_vkernel_store_reply(struct hs_vkernel *kernel, uint32_t connection_id, const char *line,
			    int64_t now_us)
{
	char text[HS_VKERNEL_LINE_MAX];

	for (int i = 0; i < HS_VKERNEL_CONNECTIONS; i++) {
		struct hs_vconnection *connection = &kernel->connections[i];
		if (!connection->used || connection->id != connection_id)
			continue;
		snprintf(text, sizeof(text), "%s\n", line);
		vkernel_tcp_send(kernel, connection, HS_VTCP_ACK | HS_VTCP_PSH, text, now_us);
		return;
	}
}

void hs_vkernel_hanode(struct hs_vkernel *kernel, bool running, int64_t now_us)
{
	kernel->hanode = running;
	if (running)
		return;
	/* The process ended: the kernel closes its connections. */
	for (int i = 0; i < HS_VKERNEL_CONNECTIONS; i++) {
		struct hs_vconnection *connection = &kernel->connections[i];
		if (!connection->used)
			continue;
		vkernel_tcp_send(kernel, connection, HS_VTCP_FIN | HS_VTCP_ACK, NULL, now_us);
		connection->used = false;
	}
}

/* -------------------------------------------------------------- IP input */

static void vkernel_datagram(struct hs_vkernel *kernel, int iface, const struct hs_vpacket *packet,
			     const uint8_t *data, size_t length, int64_t now_us)
{
	switch (packet->protocol) {
	case HS_VFRAME_UDP:
		if (kernel->hanode && length >= HS_VFRAME_UDP_BYTES &&
		    hs_vframe_get16(data + 2) == HS_VKERNEL_HANODE_PORT)
			kernel->ops.udp(kernel->ops.context, iface, data + HS_VFRAME_UDP_BYTES,
					length - HS_VFRAME_UDP_BYTES, now_us);
		break;
	case HS_VFRAME_ICMP:
		if (kernel->hanode && length >= HS_VFRAME_ICMP_BYTES && data[0] == 0)
			kernel->ops.echo_reply(kernel->ops.context, hs_vframe_get16(data + 6),
					       now_us);
		break;
	case HS_VFRAME_TCP:
		if (iface == 1 && kernel->cluster_ip_held &&
		    packet->destination == kernel->config.cluster_ip)
			vkernel_tcp_input(kernel, packet, data, length, now_us);
		break;
	default:
		break;
	}
}

void hs_vkernel_input(struct hs_vkernel *kernel, int iface, const uint8_t *frame, size_t length,
		      int64_t now_us)
{
	struct hs_vpacket packet;
	const uint8_t *data;
	size_t data_length;

	if (!kernel->up || iface < 0 || iface >= HS_VKERNEL_IFACES)
		return;
	if (!hs_vframe_mac_group(frame) && !hs_vframe_mac_is(frame, kernel->config.mac[iface]))
		return; /* for another host: no promiscuous mode */
	if (hs_vframe_ethertype(frame, length) == HS_VFRAME_ETHERTYPE_ARP) {
		vkernel_arp_input(kernel, iface, frame, length, now_us);
		return;
	}
	if (hs_vframe_packet_parse(frame, length, &packet) < 0 ||
	    !vkernel_owns(kernel, iface, packet.destination))
		return;
	if (hs_vreassembly_add(&kernel->ifaces[iface].reassembly, &packet, now_us, &data,
			       &data_length) == 1)
		vkernel_datagram(kernel, iface, &packet, data, data_length, now_us);
}
