/*
 * checks.c - hanode's hands for the health checks (see checks.h): the
 * mdstat parser and the raw ICMP echo socket. The rounds that use them,
 * with their attempts, timeouts and verdicts, are the host's
 * (refimpl/host/health.c).
 *
 * mdstat: an array's block is its "mdN : state level members..." line and
 * the indented lines under it, where "[n/m] [UU_]" gives the members
 * configured, working, and which. The verdict follows what md itself can
 * survive: raid1 (and linear/raid0/unknown levels, which have no "[n/m]")
 * needs one working member, raid4/5 may miss one, raid6 two, raid10 half.
 *
 * Ping: one raw ICMP socket with a kernel filter that passes only echo
 * replies; the echo identifier tells our packets from other pingers'. The
 * sequence is the host's (it encodes round and target), returned as is.
 */
#include "checks.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECKS_MDSTAT_BYTES_MAX (64 * 1024)
#define CHECKS_PING_PAYLOAD	"halab-hanode-png"

/* ------------------------------------------------------------------- mdstat */

struct checks_md {
	bool active;
	char level[16];
	int members_total; /* -1: no "[n/m]" line (raid0, linear) */
	int members_working;
	char map[32];	  /* "UU_" */
	int failed_marks; /* members tagged (F) */
};

/* Find "array : " at the start of a line; returns the line or NULL. */
static const char *checks_md_find(const char *text, const char *array)
{
	size_t length = strlen(array);
	for (const char *line = text; line != NULL && *line != '\0';) {
		if (strncmp(line, array, length) == 0 && strncmp(line + length, " :", 2) == 0)
			return line;
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return NULL;
}

/* Parse the array's first line: "md0 : active (auto-read-only) raid1 sdb1[1](F) sda1[0]". */
static void checks_md_parse_head(const char *line, struct checks_md *md)
{
	const char *end = strchr(line, '\n');
	size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
	char head[512];
	snprintf(head, sizeof(head), "%.*s",
		 (int)(length < sizeof(head) ? length : sizeof(head) - 1), line);
	char *save = NULL;
	strtok_r(head, " \t", &save); /* name */
	strtok_r(NULL, " \t", &save); /* ":" */
	for (char *word = strtok_r(NULL, " \t", &save); word != NULL;
	     word = strtok_r(NULL, " \t", &save)) {
		if (strcmp(word, "active") == 0)
			md->active = true;
		else if (strncmp(word, "raid", 4) == 0 || strcmp(word, "linear") == 0)
			snprintf(md->level, sizeof(md->level), "%s", word);
		else if (strstr(word, "(F)") != NULL)
			md->failed_marks++;
	}
}

/* Parse the indented lines under the head for "[n/m] [UU_]". */
static void checks_md_parse_status(const char *line, struct checks_md *md)
{
	for (line = strchr(line, '\n'); line != NULL && line[1] == ' ';
	     line = strchr(line + 1, '\n')) {
		const char *bracket = strchr(line + 1, '[');
		const char *end = strchr(line + 1, '\n');
		while (bracket != NULL && (end == NULL || bracket < end)) {
			int total = 0, working = 0;
			char map[32];
			if (sscanf(bracket, "[%d/%d]", &total, &working) == 2) {
				md->members_total = total;
				md->members_working = working;
			} else if (sscanf(bracket, "[%31[U_]]", map) == 1) {
				snprintf(md->map, sizeof(md->map), "%s", map);
			}
			bracket = strchr(bracket + 1, '[');
		}
	}
}

/* Can the array still serve with members_working of members_total? */
static bool checks_md_survives(const struct checks_md *md)
{
	int missing = md->members_total - md->members_working;
	if (md->members_total < 0)
		return md->failed_marks == 0; /* raid0, linear: every member is needed */
	if (md->members_working <= 0)
		return false;
	if (strcmp(md->level, "raid4") == 0 || strcmp(md->level, "raid5") == 0)
		return missing <= 1;
	if (strcmp(md->level, "raid6") == 0)
		return missing <= 2;
	if (strcmp(md->level, "raid10") == 0)
		return md->members_working * 2 >= md->members_total;
	return true;
}

int hn_checks_mdstat_parse(const char *text, const char *array, bool *ok, char *reason,
			   size_t reason_size)
{
	struct checks_md md = {.members_total = -1};
	*ok = false;
	if (strncmp(array, "/dev/", 5) == 0)
		array += 5;
	if (strncmp(text, "Personalities", 13) != 0 && strstr(text, "\nPersonalities") == NULL) {
		snprintf(reason, reason_size, "%s: not an mdstat text", array);
		return -1;
	}
	const char *line = checks_md_find(text, array);
	if (line == NULL) {
		snprintf(reason, reason_size, "%s: array not found", array);
		return 0;
	}
	checks_md_parse_head(line, &md);
	if (!md.active) {
		snprintf(reason, reason_size, "%s: inactive", array);
		return 0;
	}
	checks_md_parse_status(line, &md);
	*ok = checks_md_survives(&md);
	if (md.members_total < 0)
		snprintf(reason, reason_size, "%s: active %s, %d failed member(s)%s", array,
			 md.level, md.failed_marks, *ok ? "" : ": failed");
	else
		snprintf(reason, reason_size, "%s: active %s [%d/%d] [%s]%s", array, md.level,
			 md.members_total, md.members_working, md.map,
			 !*ok					 ? ": failed"
			 : md.members_working < md.members_total ? ": degraded"
								 : "");
	return 0;
}

int hn_checks_mdstat_file(const char *path, const char *array, bool *ok, char *reason,
			  size_t reason_size)
{
	char *text = malloc(CHECKS_MDSTAT_BYTES_MAX + 1);
	size_t length = 0;
	int result = -1;
	*ok = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || text == NULL) {
		snprintf(reason, reason_size, "%s: cannot read %s: %s", array, path,
			 strerror(errno));
		goto cleanup;
	}
	/* /proc files come in several reads; loop until EOF or the bound. */
	while (length < CHECKS_MDSTAT_BYTES_MAX) {
		ssize_t got = read(fd, text + length, CHECKS_MDSTAT_BYTES_MAX - length);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(reason, reason_size, "%s: cannot read %s: %s", array, path,
				 strerror(errno));
			goto cleanup;
		}
		if (got == 0)
			break;
		length += (size_t)got;
	}
	text[length] = '\0';
	result = hn_checks_mdstat_parse(text, array, ok, reason, reason_size);
cleanup:
	if (fd >= 0)
		close(fd);
	free(text);
	return result;
}

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
