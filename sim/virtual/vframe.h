/*
 * vframe.h - the Ethernet frames of the virtual backend's network.
 *
 * Virtual nodes and the virtual uplink exchange real Ethernet frames
 * through the fabric (sim/fabric), whose switches only read MACs. Two
 * EtherTypes are used:
 *
 *   0x0806  ARP, exactly as RFC 826 (28-byte payload for Ethernet/IPv4):
 *           gratuitous announcements of the cluster IP, the ping
 *           tie-breaker's probe (sender IP 0.0.0.0), the resolution of a
 *           neighbour by a node's kernel and by the uplink.
 *   0x88b5  (IEEE 802 local experimental) "vnet", a small IPv4 stand-in
 *           carrying what matters between the lab's hosts, in a 20-byte
 *           header shaped like IPv4's:
 *
 *     0  u8   version (1)
 *     1  u8   protocol: 1 ICMP echo, 6 TCP (the store), 17 UDP (hanode)
 *     2  u16  length of this fragment (header + data), big-endian
 *     4  u16  datagram id
 *     6  u16  fragment offset in bytes | 0x8000 when more fragments follow
 *     8  u32  source IPv4 address
 *     12 u32  destination IPv4 address
 *     16 u32  reserved (0)
 *
 *   followed by the datagram's data (a fragment of it). A datagram longer
 *   than HS_VFRAME_MTU - 20 bytes is fragmented like IPv4 over a 1500-byte
 *   MTU, and lost when any fragment is lost. The data is:
 *     UDP   u16 source port, u16 destination port, u16 length, u16 0,
 *           then the payload (hanode's authenticated packets, proto.c)
 *     ICMP  u8 type (8 request, 0 reply), u8 0, u16 0, u16 id, u16
 *           sequence, then a 16-byte payload (as hanode's echoes)
 *     TCP   u16 source port, u16 destination port, u32 connection id,
 *           u8 flags (SYN 0x02, ACK 0x10, PSH 0x08, RST 0x04, FIN 0x01),
 *           u8 0, then the segment's bytes (one request or reply line)
 *
 * Addresses are IPv4 in host byte order in the structs below.
 */
#ifndef HS_VFRAME_H
#define HS_VFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_VFRAME_ETHERTYPE_ARP	 0x0806
#define HS_VFRAME_ETHERTYPE_VNET 0x88b5
#define HS_VFRAME_ETH_BYTES	 14
#define HS_VFRAME_ARP_BYTES	 28
#define HS_VFRAME_HEADER_BYTES	 20
#define HS_VFRAME_MTU		 1500
#define HS_VFRAME_FRAGMENT_MAX	 (HS_VFRAME_MTU - HS_VFRAME_HEADER_BYTES) /* data per frame */
#define HS_VFRAME_BYTES_MAX	 (HS_VFRAME_ETH_BYTES + HS_VFRAME_MTU)
#define HS_VFRAME_DATAGRAM_MAX	 8192 /* largest datagram (hanode's are <= 4096 + 8) */
#define HS_VFRAME_UDP_BYTES	 8
#define HS_VFRAME_ICMP_BYTES	 8
#define HS_VFRAME_ICMP_PAYLOAD	 16
#define HS_VFRAME_TCP_BYTES	 10

enum hs_vframe_protocol {
	HS_VFRAME_ICMP = 1,
	HS_VFRAME_TCP = 6,
	HS_VFRAME_UDP = 17,
};

enum hs_vframe_tcp_flag {
	HS_VTCP_FIN = 0x01,
	HS_VTCP_SYN = 0x02,
	HS_VTCP_RST = 0x04,
	HS_VTCP_PSH = 0x08,
	HS_VTCP_ACK = 0x10,
};

enum hs_vframe_arp_op { HS_VARP_REQUEST = 1, HS_VARP_REPLY = 2 };

extern const uint8_t hs_vframe_broadcast[6];

struct hs_varp {
	uint16_t operation;
	uint8_t sender_mac[6];
	uint32_t sender_ip;
	uint8_t target_mac[6];
	uint32_t target_ip;
};

/* One vnet frame as parsed: data points into the frame. */
struct hs_vpacket {
	uint8_t protocol;
	uint16_t id;
	uint16_t offset;
	bool more_fragments;
	uint32_t source;
	uint32_t destination;
	const uint8_t *data;
	size_t length;
};

/* The Ethernet header: destination, source, EtherType at frame[0..13]. */
void hs_vframe_eth_write(uint8_t *frame, const uint8_t destination[6], const uint8_t source[6],
			 uint16_t ethertype);
uint16_t hs_vframe_ethertype(const uint8_t *frame, size_t length); /* 0 if too short */
bool hs_vframe_mac_is(const uint8_t *frame, const uint8_t mac[6]); /* destination */
bool hs_vframe_mac_group(const uint8_t *frame);			   /* broadcast/multicast */

/* ARP frames: build one (returns its length) or parse one (-1 if it is no
 * Ethernet/IPv4 ARP). */
size_t hs_vframe_arp_build(uint8_t *frame, const uint8_t destination[6], const struct hs_varp *arp);
int hs_vframe_arp_parse(const uint8_t *frame, size_t length, struct hs_varp *arp);

/* One vnet frame carrying data[offset .. offset + length) of datagram id;
 * returns the frame's length. length <= HS_VFRAME_FRAGMENT_MAX. */
size_t hs_vframe_packet_build(uint8_t *frame, const uint8_t destination[6], const uint8_t source[6],
			      const struct hs_vpacket *packet);
int hs_vframe_packet_parse(const uint8_t *frame, size_t length, struct hs_vpacket *packet);

/* Big-endian helpers for the protocol headers. */
void hs_vframe_put16(uint8_t *out, uint16_t value);
void hs_vframe_put32(uint8_t *out, uint32_t value);
uint16_t hs_vframe_get16(const uint8_t *in);
uint32_t hs_vframe_get32(const uint8_t *in);

/* "192.0.2.10" or "192.0.2.10/24" -> address (and prefix, 32 if none); -1 if malformed. */
int hs_vframe_ip_parse(const char *text, uint32_t *address, uint32_t *prefix);
uint32_t hs_vframe_mask(uint32_t prefix);

/* ------------------------------------------------- datagram reassembly */

#define HS_VFRAME_REASSEMBLY_SLOTS 8
#define HS_VFRAME_REASSEMBLY_US	   (30LL * 1000000) /* Linux's ipfrag_time */

struct hs_vreassembly_slot {
	bool used;
	uint32_t source;
	uint16_t id;
	uint8_t protocol;
	int64_t started_us;
	uint32_t received; /* bitmap of the fragments received */
	size_t total;	   /* known once the last fragment came, else 0 */
	uint8_t data[HS_VFRAME_DATAGRAM_MAX];
};

struct hs_vreassembly {
	struct hs_vreassembly_slot slots[HS_VFRAME_REASSEMBLY_SLOTS];
};

/* Take one fragment. Returns 1 with the whole datagram in *data and *length
 * (valid until the next call) once complete, 0 while parts are missing,
 * -1 for a fragment that cannot belong to anything (dropped). A datagram
 * that stays incomplete for HS_VFRAME_REASSEMBLY_US is dropped; when every
 * slot is busy the oldest makes room. Fragments are assumed not to
 * overlap (the senders here never resend a fragment). */
int hs_vreassembly_add(struct hs_vreassembly *reassembly, const struct hs_vpacket *packet,
		       int64_t now_us, const uint8_t **data, size_t *length);
void hs_vreassembly_clear(struct hs_vreassembly *reassembly);

#endif
