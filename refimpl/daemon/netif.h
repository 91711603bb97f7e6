/*
 * netif.h - hanode's hands on the network interfaces.
 *
 *   address   add/remove an IPv4 address (CIDR) through rtnetlink. Both are
 *             idempotent: adding a present address or removing a missing
 *             one succeeds. One synchronous request/ack with the kernel.
 *   garp      one gratuitous ARP announcement of an address (the host
 *             schedules the burst after taking the cluster IP).
 *   monitor   carrier of the watched interfaces, from an RTMGRP_LINK
 *             netlink subscription (one fd to poll) and from a poll of the
 *             driver's own carrier on the daemon's timer; a carrier is up
 *             when the interface is IFF_UP and its driver has a link
 *             (ETHTOOL_GLINK, IFLA_CARRIER). The poll is needed because
 *             the kernel's linkwatch delays the netlink message of a
 *             carrier LOSS on a plain device (not a bond port, not a
 *             stacked device: a physical NIC without bonding, a TAP) until
 *             one second after the host's previous link event of any
 *             interface - measured on a TAP: 0.4-0.96 s -, while the
 *             driver's carrier bit changes at once.
 *   neighbours drop the unresolved IPv4 neighbour entries of an interface
 *             (INCOMPLETE, FAILED) when its carrier comes back: a
 *             resolution begun while it was down (its ARP requests went
 *             nowhere) retries only after retrans_time (1 s), and every
 *             packet to that neighbour - the ping check's echoes - waits
 *             in its queue until then.
 *   arp probe "does someone else answer IP X on this interface": one ARP
 *             who-has per send (sender IP 0.0.0.0, as RFC 5227 probes do,
 *             so no neighbour cache is touched); reads tell whether a frame
 *             from another MAC claimed the address. The host decides when
 *             to send and how long an answer counts.
 *
 * Everything is non-blocking except the address requests; each object is a
 * struct the caller owns and exposes its fd (or -1). The close functions
 * accept a zeroed struct (never started), a failed start and a second
 * close, and never close fd 0 of a struct that was only zeroed. All need
 * CAP_NET_ADMIN / CAP_NET_RAW (root).
 */
#ifndef HN_NETIF_H
#define HN_NETIF_H

#include <netinet/in.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HN_NETIF_WATCH_MAX   8	/* interfaces one monitor follows */
#define HN_NETIF_CHANGES_MAX 16 /* carrier changes returned by one read */

/* ------------------------------------------------------------ addresses */

/* cidr is "192.0.2.10/24" (no prefix means /32). */
int hn_netif_address_add(const char *ifname, const char *cidr, char *error, size_t error_size);
int hn_netif_address_remove(const char *ifname, const char *cidr, char *error, size_t error_size);
/* 1 if the interface holds the address (prefix ignored), 0 if not, -1 on error. */
int hn_netif_address_present(const char *ifname, const char *cidr, char *error, size_t error_size);

/* ----------------------------------------------------------- gratuitous ARP */

/* One announcement of ip ("192.0.2.10", a prefix is ignored) on ifname. */
int hn_netif_garp_send(const char *ifname, const char *ip, char *error, size_t error_size);

/* ---------------------------------------------------------- carrier monitor */

struct hn_netif_carrier_change {
	char ifname[IF_NAMESIZE];
	bool carrier_up;
};

struct hn_netif_monitor {
	bool opened;
	int fd;	      /* the netlink subscription */
	int ioctl_fd; /* for the poll's carrier reads */
	size_t watch_count;
	struct {
		char ifname[IF_NAMESIZE];
		int ifindex; /* 0 while the interface does not exist */
		bool carrier_up;
	} watched[HN_NETIF_WATCH_MAX];
};

int hn_netif_monitor_open(struct hn_netif_monitor *monitor, char *error, size_t error_size);
void hn_netif_monitor_close(struct hn_netif_monitor *monitor);
/* Follow ifname (which need not exist yet: a missing interface is down).
 * Stores its present carrier in *carrier_up. */
int hn_netif_monitor_watch(struct hn_netif_monitor *monitor, const char *ifname, bool *carrier_up,
			   char *error, size_t error_size);
int hn_netif_monitor_fd(const struct hn_netif_monitor *monitor);
/* Drain the netlink socket; store the carrier changes of watched interfaces
 * (only real changes, in order). Returns their count, -1 on error. If the
 * kernel dropped messages (ENOBUFS) every watched carrier is re-read. */
int hn_netif_monitor_read(struct hn_netif_monitor *monitor, struct hn_netif_carrier_change *changes,
			  size_t changes_max, char *error, size_t error_size);
/* Read every watched interface's carrier now (hn_netif_carrier_get) and
 * store the real changes, as hn_netif_monitor_read does; an interface that
 * does not exist or cannot be read is left to the netlink messages. Returns
 * their count. No wakeup of its own: the daemon calls it on its timer. */
int hn_netif_monitor_poll(struct hn_netif_monitor *monitor, struct hn_netif_carrier_change *changes,
			  size_t changes_max);
/* One-shot read of a carrier: IFF_UP (SIOCGIFFLAGS) and the driver's link
 * (ETHTOOL_GLINK; IFF_RUNNING for a driver without it). */
int hn_netif_carrier_get(const char *ifname, bool *carrier_up, char *error, size_t error_size);

/* ---------------------------------------------------------------- neighbours */

/* Delete ifname's IPv4 neighbour entries that are INCOMPLETE or FAILED (at
 * most 64 per call), so that the next packet to one resolves it at once.
 * Returns how many were deleted, or -1 with a message. */
int hn_netif_neighbours_flush_unresolved(const char *ifname, char *error, size_t error_size);

/* ----------------------------------------------------------------- ARP probe */

struct hn_netif_arp_probe {
	bool opened; /* false in a zeroed or closed probe: it holds no socket */
	int fd;
	int ifindex;
	uint8_t mac[6];
	struct in_addr target;
};

/* A socket for probing ip ("192.0.2.10", a prefix is ignored) on ifname:
 * it receives every ARP frame there until closed. */
int hn_netif_arp_probe_open(struct hn_netif_arp_probe *probe, const char *ifname, const char *ip,
			    char *error, size_t error_size);
int hn_netif_arp_probe_fd(const struct hn_netif_arp_probe *probe);
/* One who-has for the target. */
int hn_netif_arp_probe_send(struct hn_netif_arp_probe *probe, char *error, size_t error_size);
/* Drains the pending frames (bounded); true if one of them came from
 * another host holding the target (its MAC in answer_mac, may be NULL). */
bool hn_netif_arp_probe_read(struct hn_netif_arp_probe *probe, uint8_t answer_mac[6]);
void hn_netif_arp_probe_close(struct hn_netif_arp_probe *probe);

#endif
