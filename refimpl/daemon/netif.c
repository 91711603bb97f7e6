/*
 * netif.c - cluster IP, gratuitous ARP, carrier monitor and ARP probe (see netif.h).
 *
 * Addresses go through rtnetlink (RTM_NEWADDR/RTM_DELADDR with an ack), not
 * through `ip`, so the daemon does not fork for its most time-critical
 * action and gets the kernel's own error. ARP frames go through AF_PACKET
 * SOCK_DGRAM sockets: the kernel builds the Ethernet header from the
 * sockaddr_ll, we build the 28-byte ARP payload. The carrier monitor is an
 * rtnetlink socket subscribed to RTMGRP_LINK; link messages name the
 * interface, so a watched interface that is deleted and re-created (a veth
 * pair rebuilt by a test or a simulator) is still followed. A carrier loss
 * can reach it late (linkwatch, netif.h): the daemon also polls the
 * drivers' carrier on its timer (hn_netif_monitor_poll).
 */
#include "netif.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NETIF_NETLINK_BUFFER_BYTES 16384
#define NETIF_NETLINK_TIMEOUT_MS   1000
#define NETIF_NETLINK_MESSAGES_MAX 256 /* bound of one drain or dump */
#define NETIF_ARP_BYTES		   28
#define NETIF_ADDRESS_COPIES_MAX   8 /* same address with different prefixes */

/* ARP payload for Ethernet + IPv4 (RFC 826). */
struct netif_arp {
	uint16_t hardware_type;
	uint16_t protocol_type;
	uint8_t hardware_length;
	uint8_t protocol_length;
	uint16_t operation;
	uint8_t sender_mac[6];
	uint8_t sender_ip[4];
	uint8_t target_mac[6];
	uint8_t target_ip[4];
} __attribute__((packed));

/* ------------------------------------------------------------- helpers */

static int netif_cidr_parse(const char *cidr, struct in_addr *address, int *prefix_length)
{
	char text[INET_ADDRSTRLEN + 4];
	if (strlen(cidr) >= sizeof(text))
		return -1;
	snprintf(text, sizeof(text), "%s", cidr);
	*prefix_length = 32;
	char *slash = strchr(text, '/');
	if (slash != NULL) {
		char *end = NULL;
		long value = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || value < 0 || value > 32)
			return -1;
		*prefix_length = (int)value;
		*slash = '\0';
	}
	return inet_pton(AF_INET, text, address) == 1 ? 0 : -1;
}

/* Interface index and MAC address of ifname. */
static int netif_link_info(const char *ifname, int *ifindex, uint8_t mac[6], char *error,
			   size_t error_size, const char *caller)
{
	struct ifreq request;
	int result = -1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || strlen(ifname) >= IF_NAMESIZE) {
		snprintf(error, error_size, "%s: %s: bad name or no socket", caller, ifname);
		goto cleanup;
	}
	memset(&request, 0, sizeof(request));
	snprintf(request.ifr_name, sizeof(request.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &request) < 0) {
		snprintf(error, error_size, "%s: %s: %s", caller, ifname, strerror(errno));
		goto cleanup;
	}
	*ifindex = request.ifr_ifindex;
	if (mac != NULL) {
		if (ioctl(fd, SIOCGIFHWADDR, &request) < 0) {
			snprintf(error, error_size, "%s: %s: hardware address: %s", caller, ifname,
				 strerror(errno));
			goto cleanup;
		}
		memcpy(mac, request.ifr_hwaddr.sa_data, 6);
	}
	result = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	return result;
}

static int netif_netlink_open(uint32_t groups, int flags)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	struct sockaddr_nl local = {.nl_family = AF_NETLINK, .nl_groups = groups};
	struct timeval timeout = {.tv_sec = NETIF_NETLINK_TIMEOUT_MS / 1000};
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void netif_attribute_add(struct nlmsghdr *message, size_t capacity, uint16_t type,
				const void *data, size_t length)
{
	struct rtattr *attribute =
	    (struct rtattr *)((char *)message + NLMSG_ALIGN(message->nlmsg_len));
	size_t total = RTA_LENGTH(length);
	if (NLMSG_ALIGN(message->nlmsg_len) + RTA_ALIGN(total) > capacity)
		return; /* cannot happen with the fixed requests below */
	attribute->rta_type = type;
	attribute->rta_len = (unsigned short)total;
	memcpy(RTA_DATA(attribute), data, length);
	message->nlmsg_len = (uint32_t)(NLMSG_ALIGN(message->nlmsg_len) + RTA_ALIGN(total));
}

/* Send one request and wait (bounded by SO_RCVTIMEO) for its ack.
 * Returns 0 or the kernel's negative errno. */
static int netif_netlink_transact(struct nlmsghdr *request)
{
	char buffer[NETIF_NETLINK_BUFFER_BYTES] __attribute__((aligned(4)));
	int fd = netif_netlink_open(0, 0);
	int result = -EIO;
	if (fd < 0)
		return -errno;
	request->nlmsg_seq = 1;
	if (send(fd, request, request->nlmsg_len, 0) < 0) {
		result = -errno;
		goto cleanup;
	}
	for (int i = 0; i < NETIF_NETLINK_MESSAGES_MAX; i++) {
		ssize_t length = recv(fd, buffer, sizeof(buffer), 0);
		if (length < 0) {
			result = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto cleanup;
		}
		for (struct nlmsghdr *reply = (struct nlmsghdr *)buffer; NLMSG_OK(reply, length);
		     reply = NLMSG_NEXT(reply, length)) {
			if (reply->nlmsg_type == NLMSG_ERROR && reply->nlmsg_seq == 1) {
				result = ((struct nlmsgerr *)NLMSG_DATA(reply))->error;
				goto cleanup;
			}
		}
	}
cleanup:
	close(fd);
	return result;
}

/* ----------------------------------------------------------- addresses */

struct netif_address_request {
	struct nlmsghdr header;
	struct ifaddrmsg message;
	char attributes[64];
};

static int netif_address_change(const char *ifname, const char *cidr, bool add, char *error,
				size_t error_size)
{
	const char *caller = add ? "hn_netif_address_add" : "hn_netif_address_remove";
	struct netif_address_request request;
	struct in_addr address;
	int prefix_length = 0;
	int ifindex = 0;
	if (netif_cidr_parse(cidr, &address, &prefix_length) < 0) {
		snprintf(error, error_size, "%s: %s: not an IPv4 address/prefix", caller, cidr);
		return -1;
	}
	if (netif_link_info(ifname, &ifindex, NULL, error, error_size, caller) < 0)
		return -1;
	memset(&request, 0, sizeof(request));
	request.header.nlmsg_len = NLMSG_LENGTH(sizeof(request.message));
	request.header.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (add)
		request.header.nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	request.message.ifa_family = AF_INET;
	request.message.ifa_prefixlen = (uint8_t)prefix_length;
	request.message.ifa_scope = RT_SCOPE_UNIVERSE;
	request.message.ifa_index = (uint32_t)ifindex;
	/* Removal names only IFA_LOCAL, so the kernel removes the address whatever its prefix. */
	netif_attribute_add(&request.header, sizeof(request), IFA_LOCAL, &address, 4);
	if (add) {
		netif_attribute_add(&request.header, sizeof(request), IFA_ADDRESS, &address, 4);
		if (prefix_length < 31) {
			uint32_t mask = prefix_length == 0 ? 0 : ~0u << (32 - prefix_length);
			struct in_addr broadcast = {.s_addr = address.s_addr | htonl(~mask)};
			netif_attribute_add(&request.header, sizeof(request), IFA_BROADCAST,
					    &broadcast, 4);
		}
	}
	int status = netif_netlink_transact(&request.header);
	/* The kernel keeps one address per (address, prefix): the same address
	 * may be there twice with different prefixes, and a removal takes one
	 * at a time. Repeat until none is left (bounded). */
	for (int i = 0; !add && status == 0 && i < NETIF_ADDRESS_COPIES_MAX; i++)
		status = netif_netlink_transact(&request.header);
	if ((add && (status == 0 || status == -EEXIST)) || (!add && status == -EADDRNOTAVAIL))
		return 0;
	snprintf(error, error_size, "%s: %s on %s: %s", caller, cidr, ifname, strerror(-status));
	return -1;
}

int hn_netif_address_add(const char *ifname, const char *cidr, char *error, size_t error_size)
{
	return netif_address_change(ifname, cidr, true, error, error_size);
}

int hn_netif_address_remove(const char *ifname, const char *cidr, char *error, size_t error_size)
{
	return netif_address_change(ifname, cidr, false, error, error_size);
}

/* Whether one RTM_NEWADDR of a dump is address on ifindex. */
static bool netif_address_matches(struct nlmsghdr *message, int ifindex, struct in_addr address)
{
	struct ifaddrmsg *info = NLMSG_DATA(message);
	if (message->nlmsg_type != RTM_NEWADDR || info->ifa_family != AF_INET ||
	    (int)info->ifa_index != ifindex)
		return false;
	int length = (int)IFA_PAYLOAD(message);
	for (struct rtattr *attribute = IFA_RTA(info); RTA_OK(attribute, length);
	     attribute = RTA_NEXT(attribute, length))
		if (attribute->rta_type == IFA_LOCAL &&
		    memcmp(RTA_DATA(attribute), &address, 4) == 0)
			return true;
	return false;
}

/* Read a RTM_GETADDR dump to its end: 1 if address is on ifindex, 0 if
 * not, -1 on a socket error (errno set). */
static int netif_address_dump_find(int fd, int ifindex, struct in_addr address)
{
	char buffer[NETIF_NETLINK_BUFFER_BYTES] __attribute__((aligned(4)));
	int found = 0;
	for (int i = 0; i < NETIF_NETLINK_MESSAGES_MAX; i++) {
		ssize_t length = recv(fd, buffer, sizeof(buffer), 0);
		if (length < 0)
			return -1;
		for (struct nlmsghdr *reply = (struct nlmsghdr *)buffer; NLMSG_OK(reply, length);
		     reply = NLMSG_NEXT(reply, length)) {
			if (reply->nlmsg_type == NLMSG_DONE || reply->nlmsg_type == NLMSG_ERROR)
				return found;
			if (netif_address_matches(reply, ifindex, address))
				found = 1;
		}
	}
	return found;
}

/* A netlink socket that has sent a dump request of type for the family
 * message (size bytes: an ifaddrmsg, an ndmsg); -1 with errno set if it
 * cannot. The caller reads the dump to NLMSG_DONE and closes it. */
static int netif_dump_start(uint16_t type, const void *message, size_t size)
{
	struct {
		struct nlmsghdr header;
		char message[32];
	} request;
	if (size > sizeof(request.message)) {
		errno = EINVAL;
		return -1;
	}
	memset(&request, 0, sizeof(request));
	request.header.nlmsg_len = NLMSG_LENGTH(size);
	request.header.nlmsg_type = type;
	request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	request.header.nlmsg_seq = 1;
	memcpy(request.message, message, size);
	int fd = netif_netlink_open(0, 0);
	if (fd >= 0 && send(fd, &request, request.header.nlmsg_len, 0) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int hn_netif_address_present(const char *ifname, const char *cidr, char *error, size_t error_size)
{
	struct in_addr address;
	int prefix_length = 0, ifindex = 0, result = -1;
	if (netif_cidr_parse(cidr, &address, &prefix_length) < 0) {
		snprintf(error, error_size, "hn_netif_address_present: %s: not an IPv4 address",
			 cidr);
		return -1;
	}
	if (netif_link_info(ifname, &ifindex, NULL, error, error_size, "hn_netif_address_present") <
	    0)
		return -1;
	struct ifaddrmsg family = {.ifa_family = AF_INET};
	int fd = netif_dump_start(RTM_GETADDR, &family, sizeof(family));
	if (fd >= 0)
		result = netif_address_dump_find(fd, ifindex, address);
	if (result < 0)
		snprintf(error, error_size, "hn_netif_address_present: %s: netlink: %s", ifname,
			 strerror(errno));
	if (fd >= 0)
		close(fd);
	return result;
}

/* ----------------------------------------------------------- neighbours */

#define NETIF_NEIGHBOURS_FLUSH_MAX 64 /* unresolved entries dropped per call */

/* The IPv4 address of an RTM_NEWNEIGH of a dump if it is an unresolved
 * entry (INCOMPLETE or FAILED) on ifindex. */
static bool netif_neighbour_unresolved(struct nlmsghdr *message, int ifindex,
				       struct in_addr *address)
{
	struct ndmsg *info = NLMSG_DATA(message);
	if (message->nlmsg_type != RTM_NEWNEIGH || info->ndm_family != AF_INET ||
	    info->ndm_ifindex != ifindex || !(info->ndm_state & (NUD_INCOMPLETE | NUD_FAILED)))
		return false;
	int length = (int)RTM_PAYLOAD(message);
	for (struct rtattr *attribute =
		 (struct rtattr *)((char *)info + NLMSG_ALIGN(sizeof(*info)));
	     RTA_OK(attribute, length); attribute = RTA_NEXT(attribute, length))
		if (attribute->rta_type == NDA_DST && RTA_PAYLOAD(attribute) == 4) {
			memcpy(address, RTA_DATA(attribute), 4);
			return true;
		}
	return false;
}

/* Read a RTM_GETNEIGH dump to its end, keeping up to max unresolved
 * addresses of ifindex; their count, or -1 on a socket error. */
static int netif_neighbour_dump(int fd, int ifindex, struct in_addr *addresses, int max)
{
	char buffer[NETIF_NETLINK_BUFFER_BYTES] __attribute__((aligned(4)));
	int count = 0;
	for (int i = 0; i < NETIF_NETLINK_MESSAGES_MAX; i++) {
		ssize_t length = recv(fd, buffer, sizeof(buffer), 0);
		if (length < 0)
			return -1;
		for (struct nlmsghdr *reply = (struct nlmsghdr *)buffer; NLMSG_OK(reply, length);
		     reply = NLMSG_NEXT(reply, length)) {
			if (reply->nlmsg_type == NLMSG_DONE || reply->nlmsg_type == NLMSG_ERROR)
				return count;
			if (count < max &&
			    netif_neighbour_unresolved(reply, ifindex, &addresses[count]))
				count++;
		}
	}
	return count;
}

int hn_netif_neighbours_flush_unresolved(const char *ifname, char *error, size_t error_size)
{
	const char *caller = "hn_netif_neighbours_flush_unresolved";
	struct in_addr addresses[NETIF_NEIGHBOURS_FLUSH_MAX];
	int ifindex = 0, count = -1;
	if (netif_link_info(ifname, &ifindex, NULL, error, error_size, caller) < 0)
		return -1;
	struct ndmsg family = {.ndm_family = AF_INET};
	int fd = netif_dump_start(RTM_GETNEIGH, &family, sizeof(family));
	if (fd >= 0)
		count = netif_neighbour_dump(fd, ifindex, addresses, NETIF_NEIGHBOURS_FLUSH_MAX);
	if (count < 0)
		snprintf(error, error_size, "%s: %s: netlink: %s", caller, ifname, strerror(errno));
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < count; i++) {
		struct {
			struct nlmsghdr header;
			struct ndmsg message;
			char attributes[16];
		} request;
		memset(&request, 0, sizeof(request));
		request.header.nlmsg_len = NLMSG_LENGTH(sizeof(request.message));
		request.header.nlmsg_type = RTM_DELNEIGH;
		request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		request.message.ndm_family = AF_INET;
		request.message.ndm_ifindex = ifindex;
		netif_attribute_add(&request.header, sizeof(request), NDA_DST, &addresses[i], 4);
		int status = netif_netlink_transact(&request.header);
		if (status != 0 && status != -ENOENT) { /* ENOENT: resolved or gone meanwhile */
			char text[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &addresses[i], text, sizeof(text));
			snprintf(error, error_size, "%s: %s on %s: %s", caller, text, ifname,
				 strerror(-status));
			return -1;
		}
	}
	return count;
}

/* ------------------------------------------------------------------ ARP */

/* A socket that sends ARP on ifindex and, if receive is set, gets every ARP
 * frame arriving there. A send-only socket uses protocol 0, so the kernel
 * queues nothing on it that nobody would read. */
static int netif_arp_socket(int ifindex, bool receive, char *error, size_t error_size,
			    const char *caller)
{
	uint16_t protocol = receive ? htons(ETH_P_ARP) : 0;
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
	struct sockaddr_ll local = {
	    .sll_family = AF_PACKET, .sll_protocol = protocol, .sll_ifindex = ifindex};
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		snprintf(error, error_size, "%s: packet socket: %s", caller, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Broadcast one ARP request: sender (mac, sender_ip), asking for target_ip. */
static int netif_arp_send(int fd, int ifindex, const uint8_t mac[6], struct in_addr sender_ip,
			  struct in_addr target_ip)
{
	struct netif_arp arp = {.hardware_type = htons(ARPHRD_ETHER),
				.protocol_type = htons(ETH_P_IP),
				.hardware_length = 6,
				.protocol_length = 4,
				.operation = htons(ARPOP_REQUEST)};
	memcpy(arp.sender_mac, mac, 6);
	memcpy(arp.sender_ip, &sender_ip, 4);
	memcpy(arp.target_ip, &target_ip, 4);
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ARP),
				 .sll_ifindex = ifindex,
				 .sll_halen = 6};
	memset(to.sll_addr, 0xff, 6);
	ssize_t sent = sendto(fd, &arp, sizeof(arp), 0, (struct sockaddr *)&to, sizeof(to));
	return sent == (ssize_t)sizeof(arp) ? 0 : -1;
}

/* Announcement: sender and target are both the IP (RFC 5227 section 3). */
int hn_netif_garp_send(const char *ifname, const char *ip, char *error, size_t error_size)
{
	struct in_addr address;
	uint8_t mac[6];
	int ifindex = 0, prefix_length = 0;
	if (netif_cidr_parse(ip, &address, &prefix_length) < 0) {
		snprintf(error, error_size, "hn_netif_garp_send: %s: not an IPv4 address", ip);
		return -1;
	}
	if (netif_link_info(ifname, &ifindex, mac, error, error_size, "hn_netif_garp_send") < 0)
		return -1;
	int fd = netif_arp_socket(ifindex, false, error, error_size, "hn_netif_garp_send");
	if (fd < 0)
		return -1;
	int result = netif_arp_send(fd, ifindex, mac, address, address);
	if (result < 0)
		snprintf(error, error_size, "hn_netif_garp_send: %s: %s", ifname, strerror(errno));
	close(fd);
	return result;
}

/* ----------------------------------------------------------- carrier monitor */

/* The carrier of ifname through fd (an AF_INET datagram socket). */
static int netif_carrier_read(int fd, const char *ifname, bool *carrier_up, char *error,
			      size_t error_size)
{
	struct ifreq request;
	*carrier_up = false;
	if (fd < 0 || strlen(ifname) >= IF_NAMESIZE) {
		snprintf(error, error_size, "hn_netif_carrier_get: %s: bad name or no socket",
			 ifname);
		return -1;
	}
	memset(&request, 0, sizeof(request));
	snprintf(request.ifr_name, sizeof(request.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &request) < 0) {
		snprintf(error, error_size, "hn_netif_carrier_get: %s: %s", ifname,
			 strerror(errno));
		return -1;
	}
	bool up = request.ifr_flags & IFF_UP;
	bool running = request.ifr_flags & IFF_RUNNING;
	/* The driver's carrier bit, not IFF_RUNNING: the operational state
	 * behind IFF_RUNNING follows a carrier loss only through linkwatch's
	 * delay (netif.h). */
	struct ethtool_value link = {.cmd = ETHTOOL_GLINK};
	request.ifr_data = (char *)&link;
	if (ioctl(fd, SIOCETHTOOL, &request) == 0)
		*carrier_up = up && link.data != 0;
	else
		*carrier_up = up && running;
	return 0;
}

int hn_netif_carrier_get(const char *ifname, bool *carrier_up, char *error, size_t error_size)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int result = netif_carrier_read(fd, ifname, carrier_up, error, error_size);
	if (fd >= 0)
		close(fd);
	return result;
}

int hn_netif_monitor_open(struct hn_netif_monitor *monitor, char *error, size_t error_size)
{
	memset(monitor, 0, sizeof(*monitor));
	monitor->opened = true;
	monitor->fd = netif_netlink_open(RTMGRP_LINK, SOCK_NONBLOCK);
	monitor->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (monitor->fd < 0 || monitor->ioctl_fd < 0) {
		snprintf(error, error_size, "hn_netif_monitor_open: %s: %s",
			 monitor->fd < 0 ? "netlink" : "socket", strerror(errno));
		return -1;
	}
	return 0;
}

void hn_netif_monitor_close(struct hn_netif_monitor *monitor)
{
	if (monitor == NULL || !monitor->opened)
		return;
	if (monitor->fd >= 0)
		close(monitor->fd);
	if (monitor->ioctl_fd >= 0)
		close(monitor->ioctl_fd);
	monitor->fd = monitor->ioctl_fd = -1;
	monitor->watch_count = 0;
	monitor->opened = false;
}

int hn_netif_monitor_watch(struct hn_netif_monitor *monitor, const char *ifname, bool *carrier_up,
			   char *error, size_t error_size)
{
	if (monitor->watch_count >= HN_NETIF_WATCH_MAX || strlen(ifname) >= IF_NAMESIZE) {
		snprintf(error, error_size,
			 "hn_netif_monitor_watch: %s: name too long or %d watched", ifname,
			 HN_NETIF_WATCH_MAX);
		return -1;
	}
	char ignored[128];
	size_t index = monitor->watch_count++;
	snprintf(monitor->watched[index].ifname, IF_NAMESIZE, "%s", ifname);
	/* Subscribed before this read, so no change after it is missed. */
	hn_netif_carrier_get(ifname, &monitor->watched[index].carrier_up, ignored, sizeof(ignored));
	monitor->watched[index].ifindex = (int)if_nametoindex(ifname);
	*carrier_up = monitor->watched[index].carrier_up;
	return 0;
}

int hn_netif_monitor_fd(const struct hn_netif_monitor *monitor)
{
	return monitor->opened ? monitor->fd : -1;
}

/* Record a carrier state of watched interface index; append a change. */
static void netif_monitor_update(struct hn_netif_monitor *monitor, size_t index, bool carrier_up,
				 struct hn_netif_carrier_change *changes, size_t changes_max,
				 size_t *count)
{
	if (monitor->watched[index].carrier_up == carrier_up || *count >= changes_max)
		return; /* a change that does not fit is reported by the next read */
	monitor->watched[index].carrier_up = carrier_up;
	snprintf(changes[*count].ifname, IF_NAMESIZE, "%s", monitor->watched[index].ifname);
	changes[*count].carrier_up = carrier_up;
	(*count)++;
}

static void netif_monitor_message(struct hn_netif_monitor *monitor, struct nlmsghdr *message,
				  struct hn_netif_carrier_change *changes, size_t changes_max,
				  size_t *count)
{
	if (message->nlmsg_type != RTM_NEWLINK && message->nlmsg_type != RTM_DELLINK)
		return;
	struct ifinfomsg *info = NLMSG_DATA(message);
	const char *name = NULL;
	int carrier = -1; /* IFLA_CARRIER: the driver's carrier when the message was made */
	int length = (int)IFLA_PAYLOAD(message);
	for (struct rtattr *attribute = IFLA_RTA(info); RTA_OK(attribute, length);
	     attribute = RTA_NEXT(attribute, length)) {
		if (attribute->rta_type == IFLA_IFNAME)
			name = RTA_DATA(attribute);
		else if (attribute->rta_type == IFLA_CARRIER &&
			 RTA_PAYLOAD(attribute) >= sizeof(uint8_t))
			carrier = *(uint8_t *)RTA_DATA(attribute);
	}
	/* IFF_RUNNING may still say up in a message made while linkwatch
	 * holds back a carrier loss (netif.h); IFLA_CARRIER does not. */
	bool link = carrier >= 0 ? carrier != 0 : (info->ifi_flags & IFF_RUNNING) != 0;
	bool carrier_up = message->nlmsg_type == RTM_NEWLINK && (info->ifi_flags & IFF_UP) && link;
	for (size_t i = 0; i < monitor->watch_count; i++) {
		bool same_name = name != NULL && strcmp(name, monitor->watched[i].ifname) == 0;
		if (!same_name && info->ifi_index != monitor->watched[i].ifindex)
			continue;
		if (!same_name) {
			/* Renamed away from the watched name: for us it is gone. */
			carrier_up = false;
			monitor->watched[i].ifindex = 0;
		} else {
			monitor->watched[i].ifindex =
			    message->nlmsg_type == RTM_NEWLINK ? info->ifi_index : 0;
		}
		netif_monitor_update(monitor, i, carrier_up, changes, changes_max, count);
	}
}

/* After ENOBUFS the kernel dropped messages: re-read every carrier. */
static void netif_monitor_resync(struct hn_netif_monitor *monitor,
				 struct hn_netif_carrier_change *changes, size_t changes_max,
				 size_t *count)
{
	char ignored[128];
	for (size_t i = 0; i < monitor->watch_count; i++) {
		bool carrier_up = false;
		hn_netif_carrier_get(monitor->watched[i].ifname, &carrier_up, ignored,
				     sizeof(ignored));
		monitor->watched[i].ifindex = (int)if_nametoindex(monitor->watched[i].ifname);
		netif_monitor_update(monitor, i, carrier_up, changes, changes_max, count);
	}
}

int hn_netif_monitor_poll(struct hn_netif_monitor *monitor, struct hn_netif_carrier_change *changes,
			  size_t changes_max)
{
	char ignored[128];
	size_t count = 0;
	for (size_t i = 0; monitor->opened && i < monitor->watch_count; i++) {
		bool carrier_up = false;
		if (monitor->watched[i].ifindex == 0 ||
		    netif_carrier_read(monitor->ioctl_fd, monitor->watched[i].ifname, &carrier_up,
				       ignored, sizeof(ignored)) != 0)
			continue;
		netif_monitor_update(monitor, i, carrier_up, changes, changes_max, &count);
	}
	return (int)count;
}

int hn_netif_monitor_read(struct hn_netif_monitor *monitor, struct hn_netif_carrier_change *changes,
			  size_t changes_max, char *error, size_t error_size)
{
	char buffer[NETIF_NETLINK_BUFFER_BYTES] __attribute__((aligned(4)));
	size_t count = 0;
	for (int i = 0; i < NETIF_NETLINK_MESSAGES_MAX; i++) {
		ssize_t length = recv(monitor->fd, buffer, sizeof(buffer), MSG_DONTWAIT);
		if (length < 0 && errno == ENOBUFS) {
			netif_monitor_resync(monitor, changes, changes_max, &count);
			continue;
		}
		if (length < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (length < 0) {
			snprintf(error, error_size, "hn_netif_monitor_read: netlink: %s",
				 strerror(errno));
			return -1;
		}
		for (struct nlmsghdr *message = (struct nlmsghdr *)buffer;
		     NLMSG_OK(message, length); message = NLMSG_NEXT(message, length))
			netif_monitor_message(monitor, message, changes, changes_max, &count);
	}
	return (int)count;
}

/* ----------------------------------------------------------------- ARP probe */

int hn_netif_arp_probe_open(struct hn_netif_arp_probe *probe, const char *ifname, const char *ip,
			    char *error, size_t error_size)
{
	int prefix_length = 0;
	memset(probe, 0, sizeof(*probe));
	probe->fd = -1;
	probe->opened = true;
	if (netif_cidr_parse(ip, &probe->target, &prefix_length) < 0) {
		snprintf(error, error_size, "hn_netif_arp_probe_open: %s: not an IPv4 address", ip);
		return -1;
	}
	if (netif_link_info(ifname, &probe->ifindex, probe->mac, error, error_size,
			    "hn_netif_arp_probe_open") < 0)
		return -1;
	probe->fd =
	    netif_arp_socket(probe->ifindex, true, error, error_size, "hn_netif_arp_probe_open");
	return probe->fd < 0 ? -1 : 0;
}

int hn_netif_arp_probe_fd(const struct hn_netif_arp_probe *probe)
{
	return probe->opened ? probe->fd : -1;
}

int hn_netif_arp_probe_send(struct hn_netif_arp_probe *probe, char *error, size_t error_size)
{
	struct in_addr unspecified = {.s_addr = 0};
	if (!probe->opened || probe->fd < 0) {
		snprintf(error, error_size, "hn_netif_arp_probe_send: not open");
		return -1;
	}
	if (netif_arp_send(probe->fd, probe->ifindex, probe->mac, unspecified, probe->target) < 0) {
		snprintf(error, error_size, "hn_netif_arp_probe_send: %s: %s",
			 inet_ntoa(probe->target), strerror(errno));
		return -1;
	}
	return 0;
}

/* Whether an ARP frame says another host holds the target: its reply, or
 * its own request/announcement sent from the target address. */
static bool netif_arp_probe_match(const struct hn_netif_arp_probe *probe,
				  const struct netif_arp *arp)
{
	return arp->hardware_type == htons(ARPHRD_ETHER) && arp->protocol_type == htons(ETH_P_IP) &&
	       arp->hardware_length == 6 && arp->protocol_length == 4 &&
	       (arp->operation == htons(ARPOP_REPLY) || arp->operation == htons(ARPOP_REQUEST)) &&
	       memcmp(arp->sender_ip, &probe->target, 4) == 0 &&
	       memcmp(arp->sender_mac, probe->mac, 6) != 0;
}

bool hn_netif_arp_probe_read(struct hn_netif_arp_probe *probe, uint8_t answer_mac[6])
{
	bool answered = false;
	if (!probe->opened || probe->fd < 0)
		return false;
	for (int i = 0; i < NETIF_NETLINK_MESSAGES_MAX; i++) {
		struct netif_arp arp;
		struct sockaddr_ll from;
		socklen_t from_length = sizeof(from);
		ssize_t length = recvfrom(probe->fd, &arp, sizeof(arp), MSG_DONTWAIT,
					  (struct sockaddr *)&from, &from_length);
		if (length < 0)
			break;
		if (length < NETIF_ARP_BYTES || from.sll_pkttype == PACKET_OUTGOING ||
		    !netif_arp_probe_match(probe, &arp))
			continue;
		if (!answered && answer_mac)
			memcpy(answer_mac, arp.sender_mac, 6);
		answered = true;
	}
	return answered;
}

void hn_netif_arp_probe_close(struct hn_netif_arp_probe *probe)
{
	if (probe == NULL)
		return;
	if (probe->opened && probe->fd >= 0)
		close(probe->fd);
	probe->fd = -1;
	probe->opened = false;
}
