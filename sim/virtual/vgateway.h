/*
 * vgateway.h - the virtual uplink: libslirp's side of the lab, modelled.
 *
 * On the native and libvirt backends the uplink is libslirp (fabric
 * uplink.c): the gateway and first ping target 192.0.2.1, restricted (it
 * reaches nothing outside), and the host port forward through which the
 * client reaches the cluster IP. This model does on an in-memory endpoint
 * what libslirp does there, as far as it decides outcomes:
 *   - ARP as libslirp's arp_input: it answers requests for its own address
 *     only, and fills its ARP table (16 entries, the oldest slot reused)
 *     from gratuitous announcements, from the requests it answers and from
 *     every reply, whoever it was meant for (libslirp reads frames whatever
 *     their destination MAC). Entries never age: the cluster IP's MAC
 *     changes only when a node announces it or answers a request, so after
 *     a split brain the client keeps reaching the node the last ARP named;
 *   - ICMP echo to its own address is answered; other ping targets never
 *     answer (restricted, and nobody answers their ARP);
 *   - IP output: a destination missing from the ARP table gets one ARP
 *     request per datagram, which waits at most 1 s for the answer and is
 *     then dropped (libslirp's if_encap: resolution_requested, expiration
 *     1 s); a datagram that can go goes at once;
 *   - the client's store requests, as libslirp's TCP forwards them: per
 *     request SYN to the cluster IP, then (SYN+ACK) the request line, then
 *     the reply line, then FIN; several requests at once, each on its own
 *     connection (the client's probes), and one long-lived connection (the
 *     client's session) that stays open after a reply and carries the next
 *     request. A RST or a FIN before the reply (or, on the session, at any
 *     time) ends the request as "connection closed" (the client's socket
 *     is closed by libslirp). Lost segments are not retransmitted:
 *     libslirp's and the node's retransmission timers (>= 200 ms, a SYN
 *     1 s) exceed what is left of the client's 500 ms request timeout.
 *
 * Pure: every call takes now_us; frames leave through ops->output, the
 * client's outcomes through ops->client_reply / client_closed.
 */
#ifndef HS_VGATEWAY_H
#define HS_VGATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vframe.h"

#define HS_VGATEWAY_ARP_TABLE	   16 /* libslirp's ARP_TABLE_SIZE */
#define HS_VGATEWAY_PENDING_MAX	   8
#define HS_VGATEWAY_ARP_WAIT_US	   1000000
#define HS_VGATEWAY_LINE_MAX	   512
#define HS_VGATEWAY_STORE_PORT	   7000
#define HS_VGATEWAY_CLIENT_PORT_LO 40000
#define HS_VGATEWAY_CLIENTS_MAX	   32 /* connections at once (the client's: 24 probes + 2) */

struct hs_vgateway_ops {
	void *context;
	void (*output)(void *context, const uint8_t *frame, size_t length, int64_t now_us);
	void (*client_reply)(void *context, uint64_t serial, const char *line, int64_t now_us);
	void (*client_closed)(void *context, uint64_t serial, const char *detail, int64_t now_us);
};

struct hs_vgateway_config {
	uint32_t address;    /* the gateway, 192.0.2.1 */
	uint32_t prefix;     /* of its network */
	uint32_t cluster_ip; /* where the client's requests go; 0 = no forward */
};

struct hs_varp_entry {
	uint32_t ip;
	uint8_t mac[6];
};

struct hs_vgateway_pending {
	bool used;
	int64_t expires_us;
	uint8_t protocol;
	uint32_t destination;
	uint16_t length;
	uint8_t data[HS_VGATEWAY_LINE_MAX + 64];
};

enum hs_vgateway_client_state { HS_VGW_IDLE = 0, HS_VGW_SYN_SENT, HS_VGW_ESTABLISHED };

struct hs_vgateway_client {
	enum hs_vgateway_client_state state;
	bool session; /* stays open after a reply */
	bool busy;    /* a request waits for its reply */
	uint64_t serial;
	uint32_t connection;
	char request[HS_VGATEWAY_LINE_MAX];
	char reply[HS_VGATEWAY_LINE_MAX];
	size_t reply_length;
};

struct hs_vgateway {
	struct hs_vgateway_config config;
	struct hs_vgateway_ops ops;
	uint8_t mac[6];
	struct hs_varp_entry arp_table[HS_VGATEWAY_ARP_TABLE];
	uint32_t arp_next_victim;
	struct hs_vgateway_pending pending[HS_VGATEWAY_PENDING_MAX];
	struct hs_vgateway_client clients[HS_VGATEWAY_CLIENTS_MAX];
	uint32_t next_connection;
	uint16_t next_id;
	uint64_t echo_replies, dropped_unresolved;
};

/* MAC 52:55 + the address (libslirp's special_ethaddr with its vhost). */
void hs_vgateway_init(struct hs_vgateway *gateway, const struct hs_vgateway_config *config,
		      const struct hs_vgateway_ops *ops);
void hs_vgateway_input(struct hs_vgateway *gateway, const uint8_t *frame, size_t length,
		       int64_t now_us);
int64_t hs_vgateway_next_us(const struct hs_vgateway *gateway); /* -1: none */
void hs_vgateway_timers(struct hs_vgateway *gateway, int64_t now_us);

/* The client's request `line` (with its newline); the outcome comes
 * through ops with this serial. A request of its own opens a connection;
 * a session's goes on the session's open connection, or opens one. With
 * every connection taken the request ends at once as "connect failed". */
void hs_vgateway_client_send(struct hs_vgateway *gateway, uint64_t serial, const char *line,
			     bool session, int64_t now_us);
void hs_vgateway_client_abort(struct hs_vgateway *gateway, uint64_t serial, int64_t now_us);

/* The MAC the ARP table names for ip; false if none. */
bool hs_vgateway_arp_lookup(const struct hs_vgateway *gateway, uint32_t ip, uint8_t mac[6]);

#endif
