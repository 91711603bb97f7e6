/*
 * timecheck.h - hanode's hands for the notify-only time offset check: one
 * SNTP request (RFC 4330, client mode, version 4) to each configured time
 * server per health round, over one non-blocking UDP socket. The first
 * valid answer gives the verdict: the offset of this node's wall clock
 * against that server, ((T2 - T1) + (T3 - T4)) / 2, within
 * time_offset_max_ms or not. No answer within the timeout is a failed
 * check too ("no time server answered within 400 ms (192.0.2.1)"). The
 * round that asks and what its verdict means are the host's
 * (refimpl/host/health.c, hn_host_check_done).
 *
 * An answer counts only if it is a server answer (mode 4) with a valid
 * stratum (1..15) that echoes our transmit timestamp as its originate
 * timestamp (so a late answer to an earlier round, or a forged one
 * without that value, does not).
 */
#ifndef HN_TIMECHECK_H
#define HN_TIMECHECK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define HN_TIMECHECK_PACKET 48

struct hn_timecheck {
	bool opened; /* false in a zeroed struct: close does nothing */
	int fd;
	uint32_t server_count;
	struct sockaddr_in servers[HN_CONFIG_TIME_SERVERS_MAX];
	uint32_t offset_max_ms;
	/* the check in progress: id 0 = none */
	uint64_t id;
	uint64_t deadline_ms; /* monotonic */
	uint32_t timeout_ms;
	uint8_t transmit[8]; /* our transmit timestamp, echoed by a server */
	uint64_t sent_wall_us;
};

/* Opens the socket for the servers (dotted IPv4) on UDP port `port` (123). */
int hn_timecheck_open(struct hn_timecheck *check, const char (*servers)[INET_ADDRSTRLEN],
		      uint32_t server_count, uint16_t port, uint32_t offset_max_ms, char *error,
		      size_t error_size);
void hn_timecheck_close(struct hn_timecheck *check);
/* Asks every server now; a check still in progress is replaced. */
int hn_timecheck_start(struct hn_timecheck *check, uint64_t id, uint64_t now_ms,
		       uint32_t timeout_ms, char *error, size_t error_size);
/* Reads the answers waiting (bounded): true when one decided the check in
 * progress, with *id, *ok and the reason; the check is then over. */
bool hn_timecheck_read(struct hn_timecheck *check, uint64_t *id, bool *ok, char *reason,
		       size_t reason_size);
/* The check in progress at its deadline: over, failed, with the reason. */
bool hn_timecheck_expire(struct hn_timecheck *check, uint64_t now_ms, uint64_t *id, char *reason,
			 size_t reason_size);
/* Its deadline, UINT64_MAX without a check in progress. */
uint64_t hn_timecheck_next_deadline_ms(const struct hn_timecheck *check);

#endif
