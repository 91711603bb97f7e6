/*
 * vgateway.c - the virtual uplink (see vgateway.h): libslirp's ARP table
 * and answers, its echo replies, its IP output, and the client's requests
 * as its TCP port forward carries them.
 */
#include "vgateway.h"

#include <string.h>

void hs_vgateway_init(struct hs_vgateway *gateway, const struct hs_vgateway_config *config,
		      const struct hs_vgateway_ops *ops)
{
	memset(gateway, 0, sizeof(*gateway));
	gateway->config = *config;
	gateway->ops = *ops;
	gateway->mac[0] = 0x52;
	gateway->mac[1] = 0x55;
	hs_vframe_put32(gateway->mac + 2, config->address);
}

/* ------------------------------------------------------------------ ARP */

bool hs_vgateway_arp_lookup(const struct hs_vgateway *gateway, uint32_t ip, uint8_t mac[6])
{
	for (int i = 0; i < HS_VGATEWAY_ARP_TABLE; i++)
		if (gateway->arp_table[i].ip == ip && ip != 0) {
			memcpy(mac, gateway->arp_table[i].mac, 6);
			return true;
		}
	return false;
}

static void vgateway_send_pending(struct hs_vgateway *gateway, int64_t now_us);

/* libslirp's arp_table_add: update the entry of ip, or take the next slot. */
static void vgateway_arp_add(struct hs_vgateway *gateway, uint32_t ip, const uint8_t mac[6],
			     int64_t now_us)
{
	uint32_t mask = hs_vframe_mask(gateway->config.prefix);
	uint32_t broadcast = (gateway->config.address & mask) | ~mask;
	struct hs_varp_entry *entry = NULL;

	if (ip == 0 || ip == 0xffffffffu || ip == broadcast)
		return;
	for (int i = 0; i < HS_VGATEWAY_ARP_TABLE && !entry; i++)
		if (gateway->arp_table[i].ip == ip)
			entry = &gateway->arp_table[i];
	if (!entry) {
		entry = &gateway->arp_table[gateway->arp_next_victim];
		gateway->arp_next_victim = (gateway->arp_next_victim + 1) % HS_VGATEWAY_ARP_TABLE;
	}
	entry->ip = ip;
	memcpy(entry->mac, mac, 6);
	vgateway_send_pending(gateway, now_us);
}

static void vgateway_arp_input(struct hs_vgateway *gateway, const uint8_t *frame, size_t length,
			       int64_t now_us)
{
	uint8_t reply[HS_VFRAME_ETH_BYTES + HS_VFRAME_ARP_BYTES];
	uint32_t mask = hs_vframe_mask(gateway->config.prefix);
	struct hs_varp arp, answer = {.operation = HS_VARP_REPLY};

	if (hs_vframe_arp_parse(frame, length, &arp) < 0)
		return;
	if (arp.operation == HS_VARP_REPLY) {
		vgateway_arp_add(gateway, arp.sender_ip, arp.sender_mac, now_us);
		return;
	}
	if (arp.target_ip == arp.sender_ip) { /* gratuitous */
		vgateway_arp_add(gateway, arp.sender_ip, arp.sender_mac, now_us);
		return;
	}
	if ((arp.target_ip & mask) != (gateway->config.address & mask) ||
	    arp.target_ip != gateway->config.address)
		return;
	vgateway_arp_add(gateway, arp.sender_ip, arp.sender_mac, now_us);
	memcpy(answer.sender_mac, gateway->mac, 6);
	answer.sender_ip = gateway->config.address;
	memcpy(answer.target_mac, arp.sender_mac, 6);
	answer.target_ip = arp.sender_ip;
	gateway->ops.output(gateway->ops.context, reply,
			    hs_vframe_arp_build(reply, arp.sender_mac, &answer), now_us);
}

/* ------------------------------------------------------------- IP output */

static void vgateway_frame_out(struct hs_vgateway *gateway, const uint8_t mac[6], uint8_t protocol,
			       uint32_t destination, const uint8_t *data, size_t length,
			       int64_t now_us)
{
	uint8_t frame[HS_VFRAME_BYTES_MAX];
	struct hs_vpacket packet = {.protocol = protocol,
				    .id = gateway->next_id++,
				    .source = gateway->config.address,
				    .destination = destination,
				    .data = data,
				    .length = length};

	gateway->ops.output(gateway->ops.context, frame,
			    hs_vframe_packet_build(frame, mac, gateway->mac, &packet), now_us);
}

static void vgateway_ip_output(struct hs_vgateway *gateway, uint8_t protocol, uint32_t destination,
			       const uint8_t *data, size_t length, int64_t now_us)
{
	uint8_t mac[6], request[HS_VFRAME_ETH_BYTES + HS_VFRAME_ARP_BYTES];
	struct hs_varp arp = {.operation = HS_VARP_REQUEST,
			      .sender_ip = gateway->config.address,
			      .target_ip = destination};
	struct hs_vgateway_pending *slot = NULL;

	if (hs_vgateway_arp_lookup(gateway, destination, mac)) {
		vgateway_frame_out(gateway, mac, protocol, destination, data, length, now_us);
		return;
	}
	for (int i = 0; i < HS_VGATEWAY_PENDING_MAX && !slot; i++)
		if (!gateway->pending[i].used)
			slot = &gateway->pending[i];
	if (!slot || length > sizeof(slot->data)) {
		gateway->dropped_unresolved++;
		return;
	}
	slot->used = true;
	slot->expires_us = now_us + HS_VGATEWAY_ARP_WAIT_US;
	slot->protocol = protocol;
	slot->destination = destination;
	slot->length = (uint16_t)length;
	memcpy(slot->data, data, length);
	memcpy(arp.sender_mac, gateway->mac, 6);
	gateway->ops.output(gateway->ops.context, request,
			    hs_vframe_arp_build(request, hs_vframe_broadcast, &arp), now_us);
}

static void vgateway_send_pending(struct hs_vgateway *gateway, int64_t now_us)
{
	uint8_t mac[6];

	for (int i = 0; i < HS_VGATEWAY_PENDING_MAX; i++) {
		struct hs_vgateway_pending *pending = &gateway->pending[i];
		if (!pending->used || !hs_vgateway_arp_lookup(gateway, pending->destination, mac))
			continue;
		pending->used = false;
		vgateway_frame_out(gateway, mac, pending->protocol, pending->destination,
				   pending->data, pending->length, now_us);
	}
}

int64_t hs_vgateway_next_us(const struct hs_vgateway *gateway)
{
	int64_t next_us = -1;

	for (int i = 0; i < HS_VGATEWAY_PENDING_MAX; i++)
		if (gateway->pending[i].used &&
		    (next_us < 0 || gateway->pending[i].expires_us < next_us))
			next_us = gateway->pending[i].expires_us;
	return next_us;
}

void hs_vgateway_timers(struct hs_vgateway *gateway, int64_t now_us)
{
	for (int i = 0; i < HS_VGATEWAY_PENDING_MAX; i++)
		if (gateway->pending[i].used && gateway->pending[i].expires_us <= now_us) {
			gateway->pending[i].used = false;
			gateway->dropped_unresolved++;
		}
}

/* ------------------------------------------------------------- the client */

static void vgateway_tcp_send(struct hs_vgateway *gateway, uint32_t connection, uint8_t flags,
			      const char *text, int64_t now_us)
{
	uint8_t segment[HS_VFRAME_TCP_BYTES + HS_VGATEWAY_LINE_MAX];
	size_t length = text ? strnlen(text, HS_VGATEWAY_LINE_MAX) : 0;

	hs_vframe_put16(segment, (uint16_t)(HS_VGATEWAY_CLIENT_PORT_LO + connection % 20000));
	hs_vframe_put16(segment + 2, HS_VGATEWAY_STORE_PORT);
	hs_vframe_put32(segment + 4, connection);
	segment[8] = flags;
	segment[9] = 0;
	memcpy(segment + HS_VFRAME_TCP_BYTES, text ? text : "", length);
	vgateway_ip_output(gateway, HS_VFRAME_TCP, gateway->config.cluster_ip, segment,
			   HS_VFRAME_TCP_BYTES + length, now_us);
}

static struct hs_vgateway_client *vgateway_client_by_serial(struct hs_vgateway *gateway,
							    uint64_t serial)
{
	for (int i = 0; i < HS_VGATEWAY_CLIENTS_MAX; i++)
		if (gateway->clients[i].state != HS_VGW_IDLE &&
		    gateway->clients[i].serial == serial)
			return &gateway->clients[i];
	return NULL;
}

static struct hs_vgateway_client *vgateway_client_session(struct hs_vgateway *gateway)
{
	for (int i = 0; i < HS_VGATEWAY_CLIENTS_MAX; i++)
		if (gateway->clients[i].state != HS_VGW_IDLE && gateway->clients[i].session)
			return &gateway->clients[i];
	return NULL;
}

void hs_vgateway_client_send(struct hs_vgateway *gateway, uint64_t serial, const char *line,
			     bool session, int64_t now_us)
{
	struct hs_vgateway_client *client = session ? vgateway_client_session(gateway) : NULL;

	if (client && client->state == HS_VGW_ESTABLISHED && !client->busy) {
		client->serial = serial;
		client->busy = true;
		client->reply_length = 0;
		strncpy(client->request, line, sizeof(client->request) - 1);
		vgateway_tcp_send(gateway, client->connection, HS_VTCP_ACK | HS_VTCP_PSH,
				  client->request, now_us);
		return;
	}
	if (client) /* a session still opening or busy: the client gave up on it */
		hs_vgateway_client_abort(gateway, client->serial, now_us);
	for (int i = 0; !client && i < HS_VGATEWAY_CLIENTS_MAX; i++)
		if (gateway->clients[i].state == HS_VGW_IDLE)
			client = &gateway->clients[i];
	if (!client) {
		gateway->ops.client_closed(gateway->ops.context, serial, "connect failed", now_us);
		return;
	}
	memset(client, 0, sizeof(*client));
	client->state = HS_VGW_SYN_SENT;
	client->session = session;
	client->busy = true;
	client->serial = serial;
	client->connection = ++gateway->next_connection;
	strncpy(client->request, line, sizeof(client->request) - 1);
	vgateway_tcp_send(gateway, client->connection, HS_VTCP_SYN, NULL, now_us);
}

void hs_vgateway_client_abort(struct hs_vgateway *gateway, uint64_t serial, int64_t now_us)
{
	struct hs_vgateway_client *client = vgateway_client_by_serial(gateway, serial);

	if (!client)
		return;
	if (client->state == HS_VGW_ESTABLISHED)
		vgateway_tcp_send(gateway, client->connection, HS_VTCP_FIN | HS_VTCP_ACK, NULL,
				  now_us);
	client->state = HS_VGW_IDLE;
}

/* The connection ended: its request (or the idle session) is told. */
static void vgateway_client_closed(struct hs_vgateway *gateway, struct hs_vgateway_client *client,
				   int64_t now_us)
{
	client->state = HS_VGW_IDLE;
	gateway->ops.client_closed(gateway->ops.context, client->serial, "connection closed",
				   now_us);
}

static struct hs_vgateway_client *vgateway_client_by_connection(struct hs_vgateway *gateway,
								uint32_t connection)
{
	for (int i = 0; i < HS_VGATEWAY_CLIENTS_MAX; i++)
		if (gateway->clients[i].state != HS_VGW_IDLE &&
		    gateway->clients[i].connection == connection)
			return &gateway->clients[i];
	return NULL;
}

/* Reply bytes of an established connection; a full line is the answer. */
static void vgateway_client_data(struct hs_vgateway *gateway, struct hs_vgateway_client *client,
				 const uint8_t *data, size_t length, int64_t now_us)
{
	for (size_t i = 0; i < length; i++) {
		if (data[i] != '\n') {
			if (client->reply_length < HS_VGATEWAY_LINE_MAX - 1)
				client->reply[client->reply_length++] = (char)data[i];
			continue;
		}
		client->reply[client->reply_length] = '\0';
		client->reply_length = 0;
		if (!client->busy)
			continue; /* nobody asked: dropped, as a client not reading */
		client->busy = false;
		if (!client->session) {
			client->state = HS_VGW_IDLE;
			vgateway_tcp_send(gateway, client->connection, HS_VTCP_FIN | HS_VTCP_ACK,
					  NULL, now_us);
		}
		gateway->ops.client_reply(gateway->ops.context, client->serial, client->reply,
					  now_us);
		return;
	}
}

static void vgateway_tcp_input(struct hs_vgateway *gateway, const uint8_t *data, size_t length,
			       int64_t now_us)
{
	struct hs_vgateway_client *client;
	uint8_t flags;

	if (length < HS_VFRAME_TCP_BYTES)
		return;
	flags = data[8];
	client = vgateway_client_by_connection(gateway, hs_vframe_get32(data + 4));
	if (!client) {
		/* A connection libslirp has closed: a real stack resets it. */
		if (!(flags & HS_VTCP_RST))
			vgateway_tcp_send(gateway, hs_vframe_get32(data + 4), HS_VTCP_RST, NULL,
					  now_us);
		return;
	}
	if (flags & HS_VTCP_RST) {
		vgateway_client_closed(gateway, client, now_us);
		return;
	}
	if (client->state == HS_VGW_SYN_SENT) {
		if ((flags & (HS_VTCP_SYN | HS_VTCP_ACK)) != (HS_VTCP_SYN | HS_VTCP_ACK))
			return;
		client->state = HS_VGW_ESTABLISHED;
		vgateway_tcp_send(gateway, client->connection, HS_VTCP_ACK | HS_VTCP_PSH,
				  client->request, now_us);
		return;
	}
	vgateway_client_data(gateway, client, data + HS_VFRAME_TCP_BYTES,
			     length - HS_VFRAME_TCP_BYTES, now_us);
	if ((flags & HS_VTCP_FIN) && client->state != HS_VGW_IDLE)
		vgateway_client_closed(gateway, client, now_us);
}

/* -------------------------------------------------------------- IP input */

static void vgateway_echo(struct hs_vgateway *gateway, const struct hs_vpacket *packet,
			  int64_t now_us)
{
	uint8_t reply[HS_VFRAME_ICMP_BYTES + HS_VFRAME_ICMP_PAYLOAD];
	size_t length = packet->length < sizeof(reply) ? packet->length : sizeof(reply);

	if (packet->length < HS_VFRAME_ICMP_BYTES || packet->data[0] != 8)
		return;
	memcpy(reply, packet->data, length);
	reply[0] = 0; /* echo reply */
	gateway->echo_replies++;
	vgateway_ip_output(gateway, HS_VFRAME_ICMP, packet->source, reply, length, now_us);
}

void hs_vgateway_input(struct hs_vgateway *gateway, const uint8_t *frame, size_t length,
		       int64_t now_us)
{
	struct hs_vpacket packet;

	if (hs_vframe_ethertype(frame, length) == HS_VFRAME_ETHERTYPE_ARP) {
		vgateway_arp_input(gateway, frame, length, now_us);
		return;
	}
	/* Restricted: only what is addressed to the gateway itself; libslirp
	 * does not reassemble what nobody here sends it in fragments. */
	if (hs_vframe_packet_parse(frame, length, &packet) < 0 ||
	    packet.destination != gateway->config.address || packet.offset != 0 ||
	    packet.more_fragments)
		return;
	if (packet.protocol == HS_VFRAME_ICMP)
		vgateway_echo(gateway, &packet, now_us);
	else if (packet.protocol == HS_VFRAME_TCP)
		vgateway_tcp_input(gateway, packet.data, packet.length, now_us);
}
