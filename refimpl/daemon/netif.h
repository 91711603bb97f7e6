/*
 * netif.h - hanode's hands on the network interfaces.
 *
 *   address   add/remove an IPv4 address (CIDR) through rtnetlink. Both are
 *             idempotent: adding a present address or removing a missing
 *             one succeeds. One synchronous request/ack with the kernel.
 *   garp      gratuitous ARP after taking the cluster IP: a burst of a few
 *             announcements spaced by interval_ms, driven by deadlines.
 *   monitor   carrier of the watched interfaces, from an RTMGRP_LINK
 *             netlink subscription (one fd to poll); a carrier is up when
 *             the interface is IFF_UP and IFF_RUNNING.
 *   arp probe "does someone else answer IP X on this interface": sends ARP
 *             who-has (sender IP 0.0.0.0, as RFC 5227 probes do, so no
 *             neighbour cache is touched) every probe_interval and waits
 *             for a reply from another MAC until a deadline.
 *
 * Everything is non-blocking except the address requests; each object is a
 * struct the caller owns, exposes its fd (or -1) and a deadline
 * (UINT64_MAX = none). The close functions accept a zeroed struct (never
 * started), a failed start and a second close, and never close fd 0 of a
 * struct that was only zeroed. All need CAP_NET_ADMIN / CAP_NET_RAW (root).
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

struct hn_netif_garp {
	bool opened; /* false in a zeroed struct: close and deadlines do nothing */
	int fd;
	int ifindex;
	uint8_t mac[6];
	struct in_addr ip;
	uint32_t remaining;
	uint32_t interval_ms;
	uint64_t next_ms;
};

/* Sends the first announcement now and schedules count-1 more, interval_ms
 * apart (e.g. 3, 100). fd is -1 after hn_netif_garp_close or before start. */
int hn_netif_garp_start(struct hn_netif_garp *garp, const char *ifname, const char *ip,
			uint32_t count, uint32_t interval_ms, uint64_t now_ms, char *error,
			size_t error_size);
uint64_t hn_netif_garp_next_deadline_ms(const struct hn_netif_garp *garp);
/* Sends what is due; closes the socket after the last one. */
int hn_netif_garp_on_deadline(struct hn_netif_garp *garp, uint64_t now_ms, char *error,
			      size_t error_size);
void hn_netif_garp_close(struct hn_netif_garp *garp);

/* ---------------------------------------------------------- carrier monitor */

struct hn_netif_carrier_change {
	char ifname[IF_NAMESIZE];
	bool carrier_up;
};

struct hn_netif_monitor {
	bool opened;
	int fd;
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
/* One-shot read of a carrier (through SIOCGIFFLAGS). */
int hn_netif_carrier_get(const char *ifname, bool *carrier_up, char *error, size_t error_size);

/* ----------------------------------------------------------------- ARP probe */

struct hn_netif_arp_probe {
	bool opened; /* a zeroed or closed probe is done and holds no socket */
	int fd;
	int ifindex;
	uint8_t mac[6];
	struct in_addr target;
	uint32_t interval_ms;
	uint64_t next_send_ms;
	uint64_t deadline_ms;
	bool done;
	bool answered; /* someone else answered (valid once done) */
	uint8_t answer_mac[6];
};

/* Sends a who-has for ip now and every interval_ms until timeout_ms (e.g.
 * 300, 100). ifname must be up. */
int hn_netif_arp_probe_start(struct hn_netif_arp_probe *probe, const char *ifname, const char *ip,
			     uint32_t timeout_ms, uint32_t interval_ms, uint64_t now_ms,
			     char *error, size_t error_size);
int hn_netif_arp_probe_fd(const struct hn_netif_arp_probe *probe);
/* Reads pending ARP frames; sets done+answered on a reply from another MAC.
 * A probe that is done has closed its socket (fd -1): stop polling it. */
int hn_netif_arp_probe_on_readable(struct hn_netif_arp_probe *probe, char *error,
				   size_t error_size);
uint64_t hn_netif_arp_probe_next_deadline_ms(const struct hn_netif_arp_probe *probe);
/* Resends when due; sets done (answered false) and closes the socket when
 * the timeout passed. */
int hn_netif_arp_probe_on_deadline(struct hn_netif_arp_probe *probe, uint64_t now_ms, char *error,
				   size_t error_size);
void hn_netif_arp_probe_close(struct hn_netif_arp_probe *probe);

#endif
