/*
 * tunnel_port.c - loopback UDP ports for QEMU's end of a fabric tunnel,
 * outside the kernel's ephemeral range and held until QEMU binds them
 * (see tunnel_port.h for why).
 *
 * The candidates are random (getrandom, not the run's seeded generator:
 * ports are not part of what a seed replays), so that concurrent runs
 * rarely try the same one; a port some other process holds fails the
 * bind and the next candidate is tried.
 */
#include "tunnel_port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define EPHEMERAL_PATH	       "/proc/sys/net/ipv4/ip_local_port_range"
#define EPHEMERAL_DEFAULT_LOW  32768
#define EPHEMERAL_DEFAULT_HIGH 60999

int hs_tunnel_port_range(uint32_t ephemeral_low, uint32_t ephemeral_high, uint16_t *first,
			 uint16_t *last)
{
	if (ephemeral_low > ephemeral_high || ephemeral_high > 65535)
		return -1;
	if (ephemeral_low >= HS_TUNNEL_PORT_MIN + HS_TUNNEL_PORT_SPAN) {
		*first = HS_TUNNEL_PORT_MIN;
		*last = (uint16_t)(ephemeral_low - 1);
		return 0;
	}
	if (65535 - ephemeral_high >= HS_TUNNEL_PORT_SPAN) {
		*first = (uint16_t)(ephemeral_high + 1);
		*last = 65535;
		return 0;
	}
	return -1;
}

void hs_tunnel_port_ephemeral(uint32_t *low, uint32_t *high)
{
	FILE *file = fopen(EPHEMERAL_PATH, "r");
	unsigned read_low, read_high;

	*low = EPHEMERAL_DEFAULT_LOW;
	*high = EPHEMERAL_DEFAULT_HIGH;
	if (file && fscanf(file, "%u %u", &read_low, &read_high) == 2) {
		*low = read_low;
		*high = read_high;
	}
	if (file)
		fclose(file);
}

static uint32_t tunnel_port_random(void)
{
	uint32_t value = 0;
	if (getrandom(&value, sizeof(value), 0) != (ssize_t)sizeof(value))
		value = (uint32_t)getpid() * 2654435761u ^ (uint32_t)value;
	return value;
}

int hs_tunnel_port_reserve(struct hs_tunnel_port *reserved, char *error, size_t error_size)
{
	uint32_t low, high;
	uint16_t first, last;
	int saved = 0;

	reserved->port = 0;
	reserved->fd = -1;
	hs_tunnel_port_ephemeral(&low, &high);
	if (hs_tunnel_port_range(low, high, &first, &last) < 0) {
		snprintf(
		    error, error_size,
		    "tunnel port: the ephemeral range %u..%u (%s) leaves no %d ports outside it",
		    low, high, EPHEMERAL_PATH, HS_TUNNEL_PORT_SPAN);
		return -1;
	}
	for (int try = 0; try < HS_TUNNEL_PORT_TRIES; try++) {
		uint16_t port =
		    (uint16_t)(first + tunnel_port_random() % ((uint32_t)last - first + 1));
		struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			saved = errno;
			break;
		}
		address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&address, sizeof(address)) == 0) {
			reserved->port = port;
			reserved->fd = fd;
			return 0;
		}
		saved = errno;
		close(fd);
	}
	snprintf(error, error_size, "tunnel port: no free UDP port on 127.0.0.1 in %u..%u: %s",
		 first, last, strerror(saved));
	return -1;
}

void hs_tunnel_port_release(struct hs_tunnel_port *reserved)
{
	if (reserved->fd >= 0)
		close(reserved->fd);
	reserved->fd = -1;
}
