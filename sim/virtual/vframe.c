/*
 * vframe.c - building and parsing the virtual network's frames (see
 * vframe.h): Ethernet headers, ARP, the vnet header, and the reassembly of
 * fragmented datagrams.
 */
#include "vframe.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t hs_vframe_broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void hs_vframe_put16(uint8_t *out, uint16_t value)
{
	out[0] = (uint8_t)(value >> 8);
	out[1] = (uint8_t)value;
}

void hs_vframe_put32(uint8_t *out, uint32_t value)
{
	hs_vframe_put16(out, (uint16_t)(value >> 16));
	hs_vframe_put16(out + 2, (uint16_t)value);
}

uint16_t hs_vframe_get16(const uint8_t *in)
{
	return (uint16_t)((in[0] << 8) | in[1]);
}

uint32_t hs_vframe_get32(const uint8_t *in)
{
	return ((uint32_t)hs_vframe_get16(in) << 16) | hs_vframe_get16(in + 2);
}

/* --------------------------------------------------------------- Ethernet */

void hs_vframe_eth_write(uint8_t *frame, const uint8_t destination[6], const uint8_t source[6],
			 uint16_t ethertype)
{
	memcpy(frame, destination, 6);
	memcpy(frame + 6, source, 6);
	hs_vframe_put16(frame + 12, ethertype);
}

uint16_t hs_vframe_ethertype(const uint8_t *frame, size_t length)
{
	return length < HS_VFRAME_ETH_BYTES ? 0 : hs_vframe_get16(frame + 12);
}

bool hs_vframe_mac_is(const uint8_t *frame, const uint8_t mac[6])
{
	return memcmp(frame, mac, 6) == 0;
}

bool hs_vframe_mac_group(const uint8_t *frame)
{
	return (frame[0] & 1) != 0;
}

/* -------------------------------------------------------------------- ARP */

size_t hs_vframe_arp_build(uint8_t *frame, const uint8_t destination[6], const struct hs_varp *arp)
{
	uint8_t *payload = frame + HS_VFRAME_ETH_BYTES;

	hs_vframe_eth_write(frame, destination, arp->sender_mac, HS_VFRAME_ETHERTYPE_ARP);
	hs_vframe_put16(payload, 1);	      /* Ethernet */
	hs_vframe_put16(payload + 2, 0x0800); /* IPv4 */
	payload[4] = 6;
	payload[5] = 4;
	hs_vframe_put16(payload + 6, arp->operation);
	memcpy(payload + 8, arp->sender_mac, 6);
	hs_vframe_put32(payload + 14, arp->sender_ip);
	memcpy(payload + 18, arp->target_mac, 6);
	hs_vframe_put32(payload + 24, arp->target_ip);
	return HS_VFRAME_ETH_BYTES + HS_VFRAME_ARP_BYTES;
}

int hs_vframe_arp_parse(const uint8_t *frame, size_t length, struct hs_varp *arp)
{
	const uint8_t *payload = frame + HS_VFRAME_ETH_BYTES;

	if (hs_vframe_ethertype(frame, length) != HS_VFRAME_ETHERTYPE_ARP ||
	    length < HS_VFRAME_ETH_BYTES + HS_VFRAME_ARP_BYTES || hs_vframe_get16(payload) != 1 ||
	    hs_vframe_get16(payload + 2) != 0x0800 || payload[4] != 6 || payload[5] != 4)
		return -1;
	arp->operation = hs_vframe_get16(payload + 6);
	memcpy(arp->sender_mac, payload + 8, 6);
	arp->sender_ip = hs_vframe_get32(payload + 14);
	memcpy(arp->target_mac, payload + 18, 6);
	arp->target_ip = hs_vframe_get32(payload + 24);
	return arp->operation == HS_VARP_REQUEST || arp->operation == HS_VARP_REPLY ? 0 : -1;
}

/* ------------------------------------------------------------------- vnet */

size_t hs_vframe_packet_build(uint8_t *frame, const uint8_t destination[6], const uint8_t source[6],
			      const struct hs_vpacket *packet)
{
	uint8_t *header = frame + HS_VFRAME_ETH_BYTES;
	size_t length =
	    packet->length > HS_VFRAME_FRAGMENT_MAX ? HS_VFRAME_FRAGMENT_MAX : packet->length;

	hs_vframe_eth_write(frame, destination, source, HS_VFRAME_ETHERTYPE_VNET);
	memset(header, 0, HS_VFRAME_HEADER_BYTES);
	header[0] = 1;
	header[1] = packet->protocol;
	hs_vframe_put16(header + 2, (uint16_t)(HS_VFRAME_HEADER_BYTES + length));
	hs_vframe_put16(header + 4, packet->id);
	hs_vframe_put16(header + 6, (uint16_t)((packet->offset & 0x7fff) |
					       (packet->more_fragments ? 0x8000 : 0)));
	hs_vframe_put32(header + 8, packet->source);
	hs_vframe_put32(header + 12, packet->destination);
	memcpy(header + HS_VFRAME_HEADER_BYTES, packet->data, length);
	return HS_VFRAME_ETH_BYTES + HS_VFRAME_HEADER_BYTES + length;
}

int hs_vframe_packet_parse(const uint8_t *frame, size_t length, struct hs_vpacket *packet)
{
	const uint8_t *header = frame + HS_VFRAME_ETH_BYTES;
	uint16_t total, offset;

	if (hs_vframe_ethertype(frame, length) != HS_VFRAME_ETHERTYPE_VNET ||
	    length < HS_VFRAME_ETH_BYTES + HS_VFRAME_HEADER_BYTES || header[0] != 1)
		return -1;
	total = hs_vframe_get16(header + 2);
	if (total < HS_VFRAME_HEADER_BYTES || total > length - HS_VFRAME_ETH_BYTES)
		return -1;
	offset = hs_vframe_get16(header + 6);
	packet->protocol = header[1];
	packet->id = hs_vframe_get16(header + 4);
	packet->offset = offset & 0x7fff;
	packet->more_fragments = (offset & 0x8000) != 0;
	packet->source = hs_vframe_get32(header + 8);
	packet->destination = hs_vframe_get32(header + 12);
	packet->data = header + HS_VFRAME_HEADER_BYTES;
	packet->length = total - HS_VFRAME_HEADER_BYTES;
	return 0;
}

int hs_vframe_ip_parse(const char *text, uint32_t *address, uint32_t *prefix)
{
	char copy[32], *slash;
	struct in_addr parsed;

	if (!text || strlen(text) >= sizeof(copy))
		return -1;
	snprintf(copy, sizeof(copy), "%s", text);
	*prefix = 32;
	slash = strchr(copy, '/');
	if (slash) {
		char *end = NULL;
		unsigned long value = strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end || value > 32)
			return -1;
		*prefix = (uint32_t)value;
		*slash = '\0';
	}
	if (inet_pton(AF_INET, copy, &parsed) != 1)
		return -1;
	*address = ntohl(parsed.s_addr);
	return 0;
}

uint32_t hs_vframe_mask(uint32_t prefix)
{
	return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

/* ------------------------------------------------------------ reassembly */

void hs_vreassembly_clear(struct hs_vreassembly *reassembly)
{
	for (int i = 0; i < HS_VFRAME_REASSEMBLY_SLOTS; i++)
		reassembly->slots[i].used = false;
}

static struct hs_vreassembly_slot *reassembly_slot(struct hs_vreassembly *reassembly,
						   const struct hs_vpacket *packet, int64_t now_us)
{
	struct hs_vreassembly_slot *free_slot = NULL, *oldest = NULL;

	for (int i = 0; i < HS_VFRAME_REASSEMBLY_SLOTS; i++) {
		struct hs_vreassembly_slot *slot = &reassembly->slots[i];
		if (slot->used && now_us - slot->started_us >= HS_VFRAME_REASSEMBLY_US)
			slot->used = false; /* timed out */
		if (slot->used && slot->source == packet->source && slot->id == packet->id &&
		    slot->protocol == packet->protocol)
			return slot;
		if (!slot->used && !free_slot)
			free_slot = slot;
		if (slot->used && (!oldest || slot->started_us < oldest->started_us))
			oldest = slot;
	}
	if (!free_slot)
		free_slot = oldest;
	memset(free_slot, 0, offsetof(struct hs_vreassembly_slot, data));
	free_slot->used = true;
	free_slot->source = packet->source;
	free_slot->id = packet->id;
	free_slot->protocol = packet->protocol;
	free_slot->started_us = now_us;
	return free_slot;
}

int hs_vreassembly_add(struct hs_vreassembly *reassembly, const struct hs_vpacket *packet,
		       int64_t now_us, const uint8_t **data, size_t *length)
{
	struct hs_vreassembly_slot *slot;
	uint32_t fragment = packet->offset / HS_VFRAME_FRAGMENT_MAX;

	if (packet->offset == 0 && !packet->more_fragments) {
		*data = packet->data;
		*length = packet->length;
		return 1;
	}
	if (packet->offset % HS_VFRAME_FRAGMENT_MAX != 0 ||
	    packet->offset + packet->length > HS_VFRAME_DATAGRAM_MAX || fragment >= 32 ||
	    (packet->more_fragments && packet->length != HS_VFRAME_FRAGMENT_MAX))
		return -1;
	slot = reassembly_slot(reassembly, packet, now_us);
	if (slot->received & (1u << fragment))
		return 0; /* a duplicate */
	slot->received |= 1u << fragment;
	memcpy(slot->data + packet->offset, packet->data, packet->length);
	if (!packet->more_fragments)
		slot->total = packet->offset + packet->length;
	if (slot->total == 0)
		return 0;
	for (uint32_t i = 0; i * HS_VFRAME_FRAGMENT_MAX < slot->total; i++)
		if (!(slot->received & (1u << i)))
			return 0;
	slot->used = false;
	*data = slot->data;
	*length = slot->total;
	return 1;
}
