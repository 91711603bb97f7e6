/*
 * checks.h - hanode's hands for the health checks that the host's rounds
 * ask for (refimpl/host/health.c decides when and what they mean):
 *
 *   RAID      parse an mdstat-format file (default /proc/mdstat; a
 *             simulator points raid_mdstat at a fake file) for one array.
 *             An array is ok when it is active and has at least one
 *             working member: "[UU]" ok, "[U_]" degraded but ok; "[__]",
 *             "inactive" or a missing array are not ok. Every verdict
 *             carries a reason. (A raid_command and the services check are
 *             commands, run by the runner.)
 *   ping      ICMP echoes over one raw socket (root): one echo to a target
 *             with the sequence the host chose, and the sequences of the
 *             replies that carry this socket's identifier.
 */
#ifndef HN_CHECKS_H
#define HN_CHECKS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"

#define HN_CHECKS_PING_TARGETS_MAX 8
#define HN_CHECKS_PATH_MAX	   256
#define HN_CHECKS_REPLIES_MAX	   64 /* replies returned by one read */

/* --------------------------------------------------------------- RAID (pure) */

/* Judge array (e.g. "md0") in mdstat text. Returns 0 and sets *ok and
 * reason ("md0 active raid1 [2/1] [U_] degraded"), or -1 if the text is
 * not mdstat (no "Personalities" line): *ok is then false with a reason. */
int hn_checks_mdstat_parse(const char *text, const char *array, bool *ok, char *reason,
			   size_t reason_size);
/* Read path (bounded to 64 KB) and parse it; an unreadable file is not ok. */
int hn_checks_mdstat_file(const char *path, const char *array, bool *ok, char *reason,
			  size_t reason_size);

/* ------------------------------------------------------------------- ping */

struct hn_checks_ping {
	bool opened; /* false in a zeroed struct: close does nothing */
	int fd;
	uint16_t identifier;
	uint32_t target_count;
	struct in_addr targets[HN_CHECKS_PING_TARGETS_MAX];
};

/* Opens the raw ICMP socket; targets are dotted IPv4 addresses. */
int hn_checks_ping_open(struct hn_checks_ping *ping, const char *const *targets,
			uint32_t target_count, char *error, size_t error_size);
void hn_checks_ping_close(struct hn_checks_ping *ping);
/* One echo request to target index carrying sequence. */
int hn_checks_ping_send(struct hn_checks_ping *ping, uint32_t target, uint16_t sequence,
			char *error, size_t error_size);
/* Reads the pending echo replies (bounded) and stores the sequences of
 * those with this socket's identifier; returns their count. */
size_t hn_checks_ping_read(struct hn_checks_ping *ping, uint16_t *sequences, size_t sequences_max);

#endif
