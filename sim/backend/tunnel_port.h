/*
 * tunnel_port.h - loopback UDP ports for QEMU's end of a fabric tunnel
 * (`<interface type='udp'>`, `<local port=...>`).
 *
 * QEMU binds the port itself when the domain starts (and again at every
 * power-on), so hasim can only name it. A port found by binding port 0 and
 * closing is an ephemeral port: the kernel may hand it out again at once,
 * to the fabric's own end of the tunnel or to any process, and QEMU then
 * fails with "Address already in use" (seen: the fabric got the port just
 * freed for QEMU's LAN3). So the ports are chosen outside the kernel's
 * ephemeral range (net.ipv4.ip_local_port_range), where nothing is given
 * out on its own, tried by binding, and held until QEMU is about to bind.
 */
#ifndef HS_TUNNEL_PORT_H
#define HS_TUNNEL_PORT_H

#include <stddef.h>
#include <stdint.h>

/* Ports are picked in [HS_TUNNEL_PORT_MIN, ephemeral low - 1], or above the
 * ephemeral range when that leaves too few below. */
#define HS_TUNNEL_PORT_MIN   10000
#define HS_TUNNEL_PORT_SPAN  1024 /* fewest ports a range must have to be used */
#define HS_TUNNEL_PORT_TRIES 64

struct hs_tunnel_port {
	uint16_t port;
	int fd; /* the bound socket that holds the port; -1 once released */
};

/* The range tunnel ports come from, given the ephemeral range [low, high].
 * Pure. Returns 0, or -1 when neither side has HS_TUNNEL_PORT_SPAN ports. */
int hs_tunnel_port_range(uint32_t ephemeral_low, uint32_t ephemeral_high, uint16_t *first,
			 uint16_t *last);

/* Read the ephemeral range from /proc/sys/net/ipv4/ip_local_port_range
 * (Linux's default 32768..60999 when it cannot be read). */
void hs_tunnel_port_ephemeral(uint32_t *low, uint32_t *high);

/* Find and hold a free port of that range on 127.0.0.1. Returns 0, or -1
 * with error filled. */
int hs_tunnel_port_reserve(struct hs_tunnel_port *reserved, char *error, size_t error_size);

/* Let go of the port, for QEMU to bind it. Safe to call twice. */
void hs_tunnel_port_release(struct hs_tunnel_port *reserved);

#endif
