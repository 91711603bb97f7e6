/*
 * timecheck.c - the SNTP client of hanode's time offset check (see
 * timecheck.h). NTP timestamps are 64-bit fixed point, seconds since 1900
 * in the high 32 bits; this file converts them to and from microseconds
 * since 1970.
 */
#include "timecheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HN_NTP_UNIX_OFFSET_S 2208988800ull /* 1900-01-01 to 1970-01-01 */
#define HN_NTP_READS_MAX     16

static uint64_t hn_timecheck_wall_us(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

static void hn_ntp_put(uint8_t *out, uint64_t wall_us)
{
	uint64_t seconds = wall_us / 1000000u + HN_NTP_UNIX_OFFSET_S;
	uint64_t fraction = ((wall_us % 1000000u) << 32) / 1000000u;
	for (int i = 0; i < 4; i++) {
		out[i] = (uint8_t)(seconds >> (24 - 8 * i));
		out[4 + i] = (uint8_t)(fraction >> (24 - 8 * i));
	}
}

static int64_t hn_ntp_get_us(const uint8_t *in)
{
	uint64_t seconds = 0, fraction = 0;
	for (int i = 0; i < 4; i++) {
		seconds = seconds << 8 | in[i];
		fraction = fraction << 8 | in[4 + i];
	}
	return (int64_t)((seconds - HN_NTP_UNIX_OFFSET_S) * 1000000u +
			 ((fraction * 1000000u) >> 32));
}

int hn_timecheck_open(struct hn_timecheck *check, const char (*servers)[INET_ADDRSTRLEN],
		      uint32_t server_count, uint16_t port, uint32_t offset_max_ms, char *error,
		      size_t error_size)
{
	memset(check, 0, sizeof(*check));
	check->fd = -1;
	for (uint32_t i = 0; i < server_count && i < HN_CONFIG_TIME_SERVERS_MAX; i++) {
		check->servers[i].sin_family = AF_INET;
		check->servers[i].sin_port = htons(port);
		if (inet_pton(AF_INET, servers[i], &check->servers[i].sin_addr) != 1) {
			snprintf(error, error_size,
				 "hn_timecheck_open: '%s' is not an IPv4 address", servers[i]);
			return -1;
		}
		check->server_count++;
	}
	check->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (check->fd < 0) {
		snprintf(error, error_size, "hn_timecheck_open: socket: %s", strerror(errno));
		return -1;
	}
	check->opened = true;
	check->offset_max_ms = offset_max_ms;
	return 0;
}

void hn_timecheck_close(struct hn_timecheck *check)
{
	if (!check || !check->opened)
		return;
	if (check->fd >= 0)
		close(check->fd);
	check->fd = -1;
	check->opened = false;
}

int hn_timecheck_start(struct hn_timecheck *check, uint64_t id, uint64_t now_ms,
		       uint32_t timeout_ms, char *error, size_t error_size)
{
	uint8_t request[HN_TIMECHECK_PACKET];
	uint32_t sent = 0;
	memset(request, 0, sizeof(request));
	request[0] = 0x23; /* LI 0, version 4, mode 3 (client) */
	check->sent_wall_us = hn_timecheck_wall_us();
	hn_ntp_put(request + 40, check->sent_wall_us);
	memcpy(check->transmit, request + 40, sizeof(check->transmit));
	for (uint32_t i = 0; i < check->server_count; i++)
		if (sendto(check->fd, request, sizeof(request), MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)&check->servers[i],
			   sizeof(check->servers[i])) == (ssize_t)sizeof(request))
			sent++;
	check->id = id;
	check->timeout_ms = timeout_ms;
	check->deadline_ms = now_ms + timeout_ms;
	if (sent > 0)
		return 0;
	snprintf(error, error_size, "time servers: sendto: %s", strerror(errno));
	check->id = 0;
	return -1;
}

/* The verdict of one answer from server: true if it counts. */
static bool hn_timecheck_answer(struct hn_timecheck *check, const uint8_t *answer, ssize_t length,
				const struct sockaddr_in *from, bool *ok, char *reason,
				size_t reason_size)
{
	char address[INET_ADDRSTRLEN];
	uint64_t received_wall_us = hn_timecheck_wall_us();
	if (length < HN_TIMECHECK_PACKET || (answer[0] & 7) != 4 || answer[1] == 0 ||
	    answer[1] > 15 || memcmp(answer + 24, check->transmit, sizeof(check->transmit)) != 0)
		return false;
	int64_t t1 = (int64_t)check->sent_wall_us, t4 = (int64_t)received_wall_us;
	int64_t t2 = hn_ntp_get_us(answer + 32), t3 = hn_ntp_get_us(answer + 40);
	int64_t offset_ms = ((t2 - t1) + (t3 - t4)) / 2 / 1000;
	uint64_t magnitude_ms = (uint64_t)(offset_ms < 0 ? -offset_ms : offset_ms);
	inet_ntop(AF_INET, &from->sin_addr, address, sizeof(address));
	*ok = magnitude_ms <= check->offset_max_ms;
	if (*ok)
		snprintf(reason, reason_size, "time offset %lld ms against %s",
			 (long long)offset_ms, address);
	else
		snprintf(reason, reason_size, "time offset %lld ms against %s (at most %u ms)",
			 (long long)offset_ms, address, check->offset_max_ms);
	return true;
}

bool hn_timecheck_read(struct hn_timecheck *check, uint64_t *id, bool *ok, char *reason,
		       size_t reason_size)
{
	uint8_t answer[HN_TIMECHECK_PACKET + 64];
	for (int reads = 0; check->opened && reads < HN_NTP_READS_MAX; reads++) {
		struct sockaddr_in from;
		socklen_t from_length = sizeof(from);
		ssize_t length = recvfrom(check->fd, answer, sizeof(answer), MSG_DONTWAIT,
					  (struct sockaddr *)&from, &from_length);
		if (length < 0)
			break;
		if (check->id == 0 ||
		    !hn_timecheck_answer(check, answer, length, &from, ok, reason, reason_size))
			continue;
		*id = check->id;
		check->id = 0;
		return true;
	}
	return false;
}

bool hn_timecheck_expire(struct hn_timecheck *check, uint64_t now_ms, uint64_t *id, char *reason,
			 size_t reason_size)
{
	char address[INET_ADDRSTRLEN] = "";
	if (check->id == 0 || now_ms < check->deadline_ms)
		return false;
	if (check->server_count > 0)
		inet_ntop(AF_INET, &check->servers[0].sin_addr, address, sizeof(address));
	snprintf(reason, reason_size, "no time server answered within %u ms (%s%s)",
		 check->timeout_ms, address, check->server_count > 1 ? ", ..." : "");
	*id = check->id;
	check->id = 0;
	return true;
}

uint64_t hn_timecheck_next_deadline_ms(const struct hn_timecheck *check)
{
	return check->id ? check->deadline_ms : UINT64_MAX;
}
