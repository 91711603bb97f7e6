/*
 * checks.c - hanode's raw ICMP echo socket for the ping check (see
 * checks.h); the mdstat parser is mdstat.c (in libhnnode.a). The rounds
 * that use them, with their attempts, timeouts and verdicts, are the
 * host's (refimpl/host/health.c).
 *
 * Ping: one raw ICMP socket with a kernel filter that passes only echo
 * replies; the echo identifier tells our packets from other pingers'. The
 * sequence is the host's (it encodes round and target), returned as is.
 */
#include "checks.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECKS_PING_PAYLOAD "halab-hanode-png"

/* --------------------------------------------------------------------- ping */

static uint16_t checks_icmp_checksum(const uint8_t *data, size_t length)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < length; i += 2)
		sum += (uint32_t)(data[i] << 8 | data[i + 1]);
	if (length & 1)
		sum += (uint32_t)data[length - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

int hn_checks_ping_open(struct hn_checks_ping *ping, const char *const *targets,
			uint32_t target_count, char *error, size_t error_size)
{
	memset(ping, 0, sizeof(*ping));
	ping->fd = -1;
	ping->opened = true;
	if (target_count > HN_CHECKS_PING_TARGETS_MAX) {
		snprintf(error, error_size, "hn_checks_ping_open: %u targets, at most %d",
			 target_count, HN_CHECKS_PING_TARGETS_MAX);
		return -1;
	}
	for (uint32_t i = 0; i < target_count; i++) {
		if (inet_pton(AF_INET, targets[i], &ping->targets[i]) != 1) {
			snprintf(error, error_size, "hn_checks_ping_open: bad target address %s",
				 targets[i]);
			return -1;
		}
	}
	ping->target_count = target_count;
	ping->fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (ping->fd < 0) {
		snprintf(error, error_size, "hn_checks_ping_open: raw ICMP socket: %s",
			 strerror(errno));
		return -1;
	}
	struct icmp_filter filter = {.data = ~(1u << ICMP_ECHOREPLY)};
	setsockopt(ping->fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter));
	/* Distinct per process and per object, so two pingers never match each other's replies. */
	ping->identifier = (uint16_t)(getpid() ^ ((uintptr_t)ping >> 4));
	return 0;
}

void hn_checks_ping_close(struct hn_checks_ping *ping)
{
	if (ping == NULL || !ping->opened)
		return;
	if (ping->fd >= 0)
		close(ping->fd);
	ping->fd = -1;
	ping->opened = false;
}

int hn_checks_ping_send(struct hn_checks_ping *ping, uint32_t target, uint16_t sequence,
			char *error, size_t error_size)
{
	uint8_t packet[sizeof(struct icmphdr) + sizeof(CHECKS_PING_PAYLOAD) - 1];
	struct icmphdr header = {.type = ICMP_ECHO, .code = 0};
	if (!ping->opened || ping->fd < 0 || target >= ping->target_count) {
		snprintf(error, error_size, "hn_checks_ping_send: no socket or no target %u",
			 target);
		return -1;
	}
	header.un.echo.id = htons(ping->identifier);
	header.un.echo.sequence = htons(sequence);
	memcpy(packet, &header, sizeof(header));
	memcpy(packet + sizeof(header), CHECKS_PING_PAYLOAD, sizeof(CHECKS_PING_PAYLOAD) - 1);
	uint16_t checksum = checks_icmp_checksum(packet, sizeof(packet));
	memcpy(packet + offsetof(struct icmphdr, checksum), &checksum, sizeof(checksum));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = ping->targets[target]};
	if (sendto(ping->fd, packet, sizeof(packet), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		/* An unreachable target (no route, no ARP answer) simply does not answer. */
		snprintf(error, error_size, "hn_checks_ping_send: %s: %s", inet_ntoa(to.sin_addr),
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The sequence of an echo reply (IP header + ICMP) of ours, or -1. */
static int checks_ping_match(const struct hn_checks_ping *ping, const uint8_t *packet,
			     size_t length)
{
	if (length < 20)
		return -1;
	size_t header_length = (size_t)(packet[0] & 0x0f) * 4;
	struct icmphdr icmp;
	if (length < header_length + sizeof(icmp))
		return -1;
	memcpy(&icmp, packet + header_length, sizeof(icmp));
	if (icmp.type != ICMP_ECHOREPLY || ntohs(icmp.un.echo.id) != ping->identifier)
		return -1;
	return ntohs(icmp.un.echo.sequence);
}

size_t hn_checks_ping_read(struct hn_checks_ping *ping, uint16_t *sequences, size_t sequences_max)
{
	uint8_t packet[1500];
	size_t count = 0;
	if (!ping->opened || ping->fd < 0)
		return 0;
	/* Bounded drain: the loop comes back if more is queued. */
	while (count < sequences_max) {
		ssize_t length = recv(ping->fd, packet, sizeof(packet), MSG_DONTWAIT);
		if (length < 0)
			break;
		int sequence = checks_ping_match(ping, packet, (size_t)length);
		if (sequence >= 0)
			sequences[count++] = (uint16_t)sequence;
	}
	return count;
}
