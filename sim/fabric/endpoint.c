/*
 * endpoint.c - the node-side NICs: TAP devices and UDP tunnels.
 *
 * A TAP endpoint holds the fd of a TAP device (IFF_TAP | IFF_NO_PI: one
 * read or write is one Ethernet frame). The device can be moved into a
 * node's namespace after creation; the fd stays attached. Its carrier is
 * set with TUNSETCARRIER so the node really sees NO-CARRIER when its cables
 * are pulled.
 *
 * A UDP endpoint speaks QEMU's udp netdev: each datagram on 127.0.0.1 is
 * one frame. It receives on its local port and sends to the remote port.
 * Its carrier is only reported (carrier events), the VM backend sets the
 * guest NIC's link through libvirt.
 *
 * An in-memory endpoint has no fd: the virtual backend injects its frames
 * with hs_fabric_endpoint_send and receives through callbacks, which only
 * queue (the fabric is never re-entered from them), so that the backend's
 * loop decides when and in which order its nodes see what arrived.
 *
 * Reads are non-blocking and bounded per wakeup so that one busy endpoint
 * cannot starve the others or hasim's own fds.
 */
#include "fabric_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define HS_ENDPOINT_READS_PER_WAKEUP 64

int hs_fabric_endpoint_add_tap(struct hs_fabric *fabric, const char *name, const char *ifname)
{
	struct ifreq ifr;
	int fd;

	if (ifname == NULL || strlen(ifname) == 0 || strlen(ifname) >= IFNAMSIZ)
		return hs_fabric_fail(
		    fabric, "hs_fabric_endpoint_add_tap: endpoint '%s': bad interface name",
		    name ? name : "(null)");
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return hs_fabric_fail(fabric,
				      "hs_fabric_endpoint_add_tap: endpoint '%s': /dev/net/tun: %s",
				      name ? name : "(null)", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int saved = errno;

		close(fd);
		return hs_fabric_fail(fabric,
				      "hs_fabric_endpoint_add_tap: endpoint '%s': TUNSETIFF %s: %s",
				      name ? name : "(null)", ifname, strerror(saved));
	}
	return hs_fabric_endpoint_add_tap_fd(fabric, name, fd);
}

int hs_fabric_endpoint_add_tap_fd(struct hs_fabric *fabric, const char *name, int fd)
{
	int flags = fcntl(fd, F_GETFL);
	int ep;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		return hs_fabric_fail(fabric,
				      "hs_fabric_endpoint_add_tap_fd: endpoint '%s': fd %d: %s",
				      name ? name : "(null)", fd, strerror(saved));
	}
	ep = hs_endpoint_slot_add(fabric, "hs_fabric_endpoint_add_tap_fd", name, HS_ENDPOINT_TAP,
				  fd);
	if (ep < 0)
		return -1;
	/* No cable yet, so no carrier: the node sees one when it is cabled. */
	hs_endpoint_carrier_apply(fabric, ep);
	return 0;
}

static int hs_udp_socket_open(struct hs_fabric *fabric, const char *name, uint16_t local_port,
			      uint16_t *bound_port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t length = sizeof(addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return hs_fabric_fail(fabric,
				      "hs_fabric_endpoint_add_udp: endpoint '%s': socket: %s", name,
				      strerror(errno));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons(local_port);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &length) < 0) {
		int saved = errno;

		close(fd);
		return hs_fabric_fail(
		    fabric, "hs_fabric_endpoint_add_udp: endpoint '%s': bind 127.0.0.1:%u: %s",
		    name, local_port, strerror(saved));
	}
	*bound_port = ntohs(addr.sin_port);
	return fd;
}

int hs_fabric_endpoint_add_udp(struct hs_fabric *fabric, const char *name, uint16_t local_port,
			       uint16_t remote_port, uint16_t *local_port_out)
{
	uint16_t bound_port = 0;
	int fd, ep;

	if (remote_port == 0)
		return hs_fabric_fail(fabric,
				      "hs_fabric_endpoint_add_udp: endpoint '%s': remote port 0",
				      name ? name : "(null)");
	fd = hs_udp_socket_open(fabric, name ? name : "(null)", local_port, &bound_port);
	if (fd < 0)
		return -1;
	ep = hs_endpoint_slot_add(fabric, "hs_fabric_endpoint_add_udp", name, HS_ENDPOINT_UDP, fd);
	if (ep < 0)
		return -1;
	fabric->endpoints[ep].remote_port = remote_port;
	if (local_port_out != NULL)
		*local_port_out = bound_port;
	return 0;
}

int hs_fabric_endpoint_add_memory(struct hs_fabric *fabric, const char *name,
				  const struct hs_fabric_memory_ops *ops)
{
	int ep;

	if (ops == NULL || ops->deliver == NULL)
		return hs_fabric_fail(fabric,
				      "hs_fabric_endpoint_add_memory: endpoint '%s': no deliver "
				      "callback",
				      name ? name : "(null)");
	ep = hs_endpoint_slot_add(fabric, "hs_fabric_endpoint_add_memory", name, HS_ENDPOINT_MEMORY,
				  -1);
	if (ep < 0)
		return -1;
	fabric->endpoints[ep].memory = *ops;
	return ep;
}

int hs_fabric_endpoint_send(struct hs_fabric *fabric, int endpoint, const uint8_t *frame,
			    size_t length, int64_t now_ms)
{
	if (endpoint < 0 || endpoint >= fabric->endpoint_count ||
	    fabric->endpoints[endpoint].kind != HS_ENDPOINT_MEMORY)
		return hs_fabric_fail(
		    fabric, "hs_fabric_endpoint_send: %d is not an in-memory endpoint", endpoint);
	hs_endpoint_input(fabric, endpoint, frame, length, now_ms);
	return 0;
}

void hs_endpoint_output(struct hs_fabric *fabric, int endpoint, const uint8_t *frame, size_t length,
			int64_t now_ms)
{
	struct hs_endpoint *ep = &fabric->endpoints[endpoint];
	struct sockaddr_in addr = {.sin_family = AF_INET};

	/* Write errors (a full TAP queue, nobody on the UDP port) are what a
	 * real wire does to a frame: it is gone. */
	switch (ep->kind) {
	case HS_ENDPOINT_TAP:
		if (write(ep->fd, frame, length) < 0) {
			/* dropped, as a NIC with a full ring drops */
		}
		break;
	case HS_ENDPOINT_UDP:
		addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		addr.sin_port = htons(ep->remote_port);
		if (sendto(ep->fd, frame, length, 0, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
			/* dropped */
		}
		break;
	case HS_ENDPOINT_UPLINK:
		hs_uplink_input(ep->uplink, frame, length);
		break;
	case HS_ENDPOINT_MEMORY:
		ep->memory.deliver(ep->memory.context, endpoint, frame, length, now_ms);
		break;
	}
}

/* A TAP whose device is gone (its namespace was deleted) reports an error
 * on every poll: close it rather than spin, and wait for a new fd. */
static void hs_endpoint_tap_lost(struct hs_fabric *fabric, int endpoint, int error)
{
	struct hs_endpoint *ep = &fabric->endpoints[endpoint];

	fprintf(stderr, "hs_endpoint_readable: endpoint '%s': TAP read: %s; closed\n", ep->name,
		strerror(error));
	close(ep->fd);
	ep->fd = -1;
}

void hs_endpoint_readable(struct hs_fabric *fabric, int endpoint, int64_t now_ms)
{
	struct hs_endpoint *ep = &fabric->endpoints[endpoint];

	for (int i = 0; i < HS_ENDPOINT_READS_PER_WAKEUP && ep->fd >= 0; i++) {
		ssize_t got;

		if (ep->kind == HS_ENDPOINT_TAP)
			got = read(ep->fd, fabric->scratch, sizeof(fabric->scratch));
		else
			got = recv(ep->fd, fabric->scratch, sizeof(fabric->scratch), MSG_TRUNC);
		if (got < 0 && ep->kind == HS_ENDPOINT_TAP && errno != EAGAIN && errno != EINTR)
			hs_endpoint_tap_lost(fabric, endpoint, errno);
		if (got < 0)
			return; /* EAGAIN: drained */
		/* A truncated datagram reports its real size and is dropped as oversize. */
		hs_endpoint_input(fabric, endpoint, fabric->scratch, (size_t)got, now_ms);
	}
}

int hs_fabric_endpoint_tap_fd_replace(struct hs_fabric *fabric, const char *name, int fd)
{
	int ep = hs_endpoint_find(fabric, name);
	int flags = fd < 0 ? -1 : fcntl(fd, F_GETFL);

	if (ep < 0 || fabric->endpoints[ep].kind != HS_ENDPOINT_TAP) {
		if (fd >= 0)
			close(fd);
		return hs_fabric_fail(
		    fabric, "hs_fabric_endpoint_tap_fd_replace: unknown TAP endpoint '%s'",
		    name ? name : "(null)");
	}
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		if (fd >= 0)
			close(fd);
		return hs_fabric_fail(fabric,
				      "hs_fabric_endpoint_tap_fd_replace: endpoint '%s': bad fd %d",
				      name, fd);
	}
	if (fabric->endpoints[ep].fd >= 0)
		close(fabric->endpoints[ep].fd);
	fabric->endpoints[ep].fd = fd;
	hs_endpoint_carrier_apply(fabric, ep);
	return 0;
}

void hs_endpoint_carrier_apply(struct hs_fabric *fabric, int endpoint)
{
	struct hs_endpoint *ep = &fabric->endpoints[endpoint];
	int on = ep->carrier ? 1 : 0;

	if (ep->kind != HS_ENDPOINT_TAP || ep->fd < 0)
		return;
	if (ioctl(ep->fd, TUNSETCARRIER, &on) < 0)
		fprintf(stderr, "hs_endpoint_carrier_apply: endpoint '%s': TUNSETCARRIER: %s\n",
			ep->name, strerror(errno));
}

void hs_endpoint_carrier_changed(struct hs_fabric *fabric, int endpoint, int64_t now_ms)
{
	struct hs_endpoint *ep = &fabric->endpoints[endpoint];

	if (ep->kind == HS_ENDPOINT_MEMORY) {
		if (ep->memory.carrier != NULL)
			ep->memory.carrier(ep->memory.context, endpoint, ep->carrier, now_ms);
		return;
	}
	hs_endpoint_carrier_apply(fabric, endpoint);
}
