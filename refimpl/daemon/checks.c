/*
 * checks.c - hanode's health checks (see checks.h): the mdstat parser, the
 * ICMP echo rounds, and the check round that ties RAID, services, ping and
 * the cluster IP probe together into one hn_health.
 *
 * mdstat: an array's block is its "mdN : state level members..." line and
 * the indented lines under it, where "[n/m] [UU_]" gives the members
 * configured, working, and which. The verdict follows what md itself can
 * survive: raid1 (and linear/raid0/unknown levels, which have no "[n/m]")
 * needs one working member, raid4/5 may miss one, raid6 two, raid10 half.
 *
 * Ping: one raw ICMP socket with a kernel filter that passes only echo
 * replies; the echo identifier tells our packets from other pingers', and
 * the sequence number encodes round and target (round * TARGETS_MAX + i),
 * so a late reply of an earlier round never counts. The resends of a round
 * carry the same sequence as its first echo: any of their replies counts.
 *
 * Rounds: a round normally ends by itself, when its commands have reported
 * and its ping and probe are done (answered or timed out). One that is
 * still running when the next is due is ended by checks_round_end(): what
 * has not answered by then counts as failed, exactly as a timeout would,
 * and its commands are killed, so that a hanging check neither keeps the
 * core from ever hearing a verdict nor piles up children in the runner.
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

#define CHECKS_MDSTAT_BYTES_MAX		  (64 * 1024)
#define CHECKS_COMMAND_TIMEOUT_DEFAULT_MS 5000
#define CHECKS_PING_TIMEOUT_DEFAULT_MS	  500
#define CHECKS_PING_ATTEMPTS_DEFAULT	  3
#define CHECKS_PROBE_TIMEOUT_DEFAULT_MS	  300
#define CHECKS_PROBE_INTERVAL_MS	  100
#define CHECKS_PING_PAYLOAD		  "halab-hanode-png"

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
	ping->in_round = false;
	ping->opened = false;
}

static void checks_ping_send(struct hn_checks_ping *ping, uint32_t index)
{
	uint8_t packet[sizeof(struct icmphdr) + sizeof(CHECKS_PING_PAYLOAD) - 1];
	struct icmphdr header = {.type = ICMP_ECHO, .code = 0};
	header.un.echo.id = htons(ping->identifier);
	header.un.echo.sequence =
	    htons((uint16_t)(ping->round * HN_CHECKS_PING_TARGETS_MAX + index));
	memcpy(packet, &header, sizeof(header));
	memcpy(packet + sizeof(header), CHECKS_PING_PAYLOAD, sizeof(CHECKS_PING_PAYLOAD) - 1);
	uint16_t checksum = checks_icmp_checksum(packet, sizeof(packet));
	memcpy(packet + offsetof(struct icmphdr, checksum), &checksum, sizeof(checksum));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = ping->targets[index]};
	/* An unreachable target (no route, no ARP answer) simply does not answer. */
	sendto(ping->fd, packet, sizeof(packet), 0, (struct sockaddr *)&to, sizeof(to));
	ping->echoes_sent++;
}

/* One echo to every target that has not answered in this round. */
static void checks_ping_send_unanswered(struct hn_checks_ping *ping)
{
	for (uint32_t i = 0; i < ping->target_count; i++)
		if (!ping->answered[i])
			checks_ping_send(ping, i);
}

int hn_checks_ping_round_start(struct hn_checks_ping *ping, uint32_t timeout_ms, uint32_t attempts,
			       uint64_t now_ms, char *error, size_t error_size)
{
	if (ping->fd < 0) {
		snprintf(error, error_size, "hn_checks_ping_round_start: socket not open");
		return -1;
	}
	attempts = attempts > 0 ? attempts : 1;
	ping->round++;
	memset(ping->answered, 0, sizeof(ping->answered));
	ping->in_round = ping->target_count > 0;
	ping->deadline_ms = now_ms + timeout_ms;
	ping->echoes_sent = 0;
	ping->attempts_left = attempts - 1;
	ping->resend_interval_ms = timeout_ms / attempts;
	ping->resend_ms = now_ms + ping->resend_interval_ms;
	checks_ping_send_unanswered(ping);
	return 0;
}

/* Mark the target an echo reply (IP header + ICMP) belongs to, if any. */
static void checks_ping_match(struct hn_checks_ping *ping, const uint8_t *packet, size_t length)
{
	if (length < 20)
		return;
	size_t header_length = (size_t)(packet[0] & 0x0f) * 4;
	struct icmphdr icmp;
	if (length < header_length + sizeof(icmp))
		return;
	memcpy(&icmp, packet + header_length, sizeof(icmp));
	if (icmp.type != ICMP_ECHOREPLY || ntohs(icmp.un.echo.id) != ping->identifier)
		return;
	uint16_t index = (uint16_t)(ntohs(icmp.un.echo.sequence) -
				    (uint16_t)(ping->round * HN_CHECKS_PING_TARGETS_MAX));
	if (index < ping->target_count)
		ping->answered[index] = true;
}

int hn_checks_ping_on_readable(struct hn_checks_ping *ping)
{
	uint8_t packet[1500];
	/* Bounded drain: the loop comes back if more is queued. */
	for (int i = 0; i < 64; i++) {
		ssize_t length = recv(ping->fd, packet, sizeof(packet), 0);
		if (length < 0)
			break;
		if (ping->in_round)
			checks_ping_match(ping, packet, (size_t)length);
	}
	if (ping->in_round && hn_checks_ping_reachable(ping) == ping->target_count)
		ping->in_round = false;
	return 0;
}

uint64_t hn_checks_ping_next_deadline_ms(const struct hn_checks_ping *ping)
{
	if (!ping->in_round)
		return UINT64_MAX;
	if (ping->attempts_left > 0 && ping->resend_ms < ping->deadline_ms)
		return ping->resend_ms;
	return ping->deadline_ms;
}

void hn_checks_ping_on_deadline(struct hn_checks_ping *ping, uint64_t now_ms)
{
	if (ping->in_round && now_ms >= ping->deadline_ms) {
		ping->in_round = false;
		return;
	}
	if (ping->in_round && ping->attempts_left > 0 && now_ms >= ping->resend_ms) {
		checks_ping_send_unanswered(ping);
		ping->attempts_left--;
		ping->resend_ms += ping->resend_interval_ms;
	}
}

uint32_t hn_checks_ping_reachable(const struct hn_checks_ping *ping)
{
	uint32_t count = 0;
	for (uint32_t i = 0; i < ping->target_count; i++)
		count += ping->answered[i] ? 1 : 0;
	return count;
}

/* ------------------------------------------------------------ check rounds */

int hn_checks_open(struct hn_checks *checks, const struct hn_checks_config *config, char *error,
		   size_t error_size)
{
	const char *targets[HN_CHECKS_PING_TARGETS_MAX];
	memset(checks, 0, sizeof(*checks));
	checks->ping.fd = -1;
	checks->probe.fd = -1;
	checks->config = *config;
	if (config->ping_target_count > HN_CHECKS_PING_TARGETS_MAX) {
		snprintf(error, error_size, "hn_checks_open: %u ping targets, at most %d",
			 config->ping_target_count, HN_CHECKS_PING_TARGETS_MAX);
		return -1;
	}
	if (config->ping_target_count == 0)
		return 0;
	for (uint32_t i = 0; i < config->ping_target_count; i++)
		targets[i] = checks->config.ping_targets[i];
	return hn_checks_ping_open(&checks->ping, targets, config->ping_target_count, error,
				   error_size);
}

void hn_checks_close(struct hn_checks *checks)
{
	if (checks == NULL)
		return;
	hn_checks_ping_close(&checks->ping);
	hn_netif_arp_probe_close(&checks->probe);
	checks->in_round = false;
}

/* A round is over when no command, ping or probe is outstanding. */
static void checks_round_update(struct hn_checks *checks)
{
	checks->in_round = !hn_checks_round_done(checks);
}

static uint64_t checks_command_start(struct hn_checks *checks, struct hn_runner *runner,
				     const char *command, const char *what, uint64_t now_ms,
				     bool *ok, char *reason, size_t reason_size)
{
	char error[HN_REASON_MAX];
	uint64_t id = 0;
	uint32_t timeout_ms = checks->config.command_timeout_ms > 0
				  ? checks->config.command_timeout_ms
				  : CHECKS_COMMAND_TIMEOUT_DEFAULT_MS;
	if (hn_runner_start(runner, command, NULL, NULL, timeout_ms, now_ms, &id, error,
			    sizeof(error)) < 0) {
		*ok = false;
		snprintf(reason, reason_size, "%s command not started: %.100s", what, error);
		return 0;
	}
	return id;
}

static void checks_probe_start(struct hn_checks *checks, uint64_t now_ms)
{
	char error[HN_REASON_MAX];
	const struct hn_checks_config *config = &checks->config;
	hn_netif_arp_probe_close(&checks->probe);
	if (config->probe_ifname[0] == '\0')
		return;
	/* Without a timeout of its own the probe shares the ping timeout: the
	 * round's network checks then end together, ping_timeout_ms after the
	 * start, which config.c keeps shorter than the health interval. So a
	 * round normally ends by itself, and its verdict does not wait for the
	 * next round to cut it short. */
	uint32_t timeout_ms = config->probe_timeout_ms > 0  ? config->probe_timeout_ms
			      : config->ping_timeout_ms > 0 ? config->ping_timeout_ms
							    : CHECKS_PROBE_TIMEOUT_DEFAULT_MS;
	/* A probe that cannot start (interface down) finds nobody: answered stays false. */
	hn_netif_arp_probe_start(&checks->probe, config->probe_ifname, config->probe_ip, timeout_ms,
				 CHECKS_PROBE_INTERVAL_MS, now_ms, error, sizeof(error));
}

/* A command of the round that has not reported: killed, and failed. */
static void checks_command_end(struct hn_runner *runner, uint64_t *run_id, const char *what,
			       bool *ok, char *reason, size_t reason_size)
{
	if (*run_id == 0)
		return;
	hn_runner_kill(runner, *run_id);
	*run_id = 0;
	*ok = false;
	snprintf(reason, reason_size, "%s command still running when the next round was due", what);
}

/* End the running round now with what it has (see the top of this file). */
static void checks_round_end(struct hn_checks *checks, struct hn_runner *runner)
{
	struct hn_checks_result *result = &checks->result;
	checks_command_end(runner, &checks->raid_run_id, "RAID", &result->raid_ok,
			   result->raid_reason, sizeof(result->raid_reason));
	checks_command_end(runner, &checks->services_run_id, "services", &result->services_ok,
			   result->services_reason, sizeof(result->services_reason));
	checks->ping.in_round = false;
	hn_netif_arp_probe_close(&checks->probe); /* keeps answered as it is */
	result->ping_reachable = hn_checks_ping_reachable(&checks->ping);
	result->cluster_ip_answered = checks->probe.answered;
	checks_round_update(checks);
}

int hn_checks_round_start(struct hn_checks *checks, struct hn_runner *runner, uint64_t now_ms,
			  struct hn_health *ended)
{
	const struct hn_checks_config *config = &checks->config;
	struct hn_checks_result *result = &checks->result;
	int ended_count = 0;
	if (checks->in_round) {
		checks_round_end(checks, runner);
		hn_checks_health(checks, ended);
		ended_count = 1;
	}
	memset(result, 0, sizeof(*result));
	result->raid_ok = true;
	result->services_ok = true;
	snprintf(result->raid_reason, sizeof(result->raid_reason), "no RAID check");
	snprintf(result->services_reason, sizeof(result->services_reason), "no services check");
	result->ping_total = config->ping_target_count;
	checks->raid_run_id = 0;
	checks->services_run_id = 0;
	checks->in_round = true;
	if (config->raid_array[0] != '\0')
		hn_checks_mdstat_file(config->raid_mdstat_path[0] != '\0' ? config->raid_mdstat_path
									  : "/proc/mdstat",
				      config->raid_array, &result->raid_ok, result->raid_reason,
				      sizeof(result->raid_reason));
	else if (config->raid_command[0] != '\0')
		checks->raid_run_id = checks_command_start(
		    checks, runner, config->raid_command, "RAID", now_ms, &result->raid_ok,
		    result->raid_reason, sizeof(result->raid_reason));
	if (config->services_command[0] != '\0')
		checks->services_run_id = checks_command_start(
		    checks, runner, config->services_command, "services", now_ms,
		    &result->services_ok, result->services_reason, sizeof(result->services_reason));
	if (config->ping_target_count > 0) {
		char error[HN_REASON_MAX];
		uint32_t timeout_ms = config->ping_timeout_ms > 0 ? config->ping_timeout_ms
								  : CHECKS_PING_TIMEOUT_DEFAULT_MS;
		uint32_t attempts = config->ping_attempts > 0 ? config->ping_attempts
							      : CHECKS_PING_ATTEMPTS_DEFAULT;
		hn_checks_ping_round_start(&checks->ping, timeout_ms, attempts, now_ms, error,
					   sizeof(error));
	}
	checks_probe_start(checks, now_ms);
	checks_round_update(checks);
	return ended_count;
}

size_t hn_checks_fds(const struct hn_checks *checks, int *fds, size_t fds_max)
{
	size_t count = 0;
	int probe_fd = hn_netif_arp_probe_fd(&checks->probe);
	if (checks->ping.opened && checks->ping.fd >= 0 && count < fds_max)
		fds[count++] = checks->ping.fd;
	if (probe_fd >= 0 && count < fds_max)
		fds[count++] = probe_fd;
	return count;
}

void hn_checks_on_readable(struct hn_checks *checks, int fd)
{
	char error[HN_REASON_MAX];
	if (checks->ping.opened && fd == checks->ping.fd && fd >= 0)
		hn_checks_ping_on_readable(&checks->ping);
	else if (fd == hn_netif_arp_probe_fd(&checks->probe) && fd >= 0)
		hn_netif_arp_probe_on_readable(&checks->probe, error, sizeof(error));
	checks->result.ping_reachable = hn_checks_ping_reachable(&checks->ping);
	checks->result.cluster_ip_answered = checks->probe.answered;
	checks_round_update(checks);
}

uint64_t hn_checks_next_deadline_ms(const struct hn_checks *checks)
{
	uint64_t next_ms = hn_checks_ping_next_deadline_ms(&checks->ping);
	uint64_t probe_ms = hn_netif_arp_probe_next_deadline_ms(&checks->probe);
	return probe_ms < next_ms ? probe_ms : next_ms;
}

void hn_checks_on_deadline(struct hn_checks *checks, uint64_t now_ms)
{
	char error[HN_REASON_MAX];
	hn_checks_ping_on_deadline(&checks->ping, now_ms);
	hn_netif_arp_probe_on_deadline(&checks->probe, now_ms, error, sizeof(error));
	checks->result.ping_reachable = hn_checks_ping_reachable(&checks->ping);
	checks->result.cluster_ip_answered = checks->probe.answered;
	checks_round_update(checks);
}

static void checks_command_judge(const struct hn_runner_result *run, const char *what, bool *ok,
				 char *reason, size_t reason_size)
{
	*ok = run->exit_status == 0 && !run->timed_out;
	if (run->timed_out)
		snprintf(reason, reason_size, "%s command timed out", what);
	else if (run->exit_status != 0)
		snprintf(reason, reason_size, "%s command exited with status %d", what,
			 run->exit_status);
	else
		snprintf(reason, reason_size, "%s command ok", what);
}

bool hn_checks_on_runner_result(struct hn_checks *checks, const struct hn_runner_result *result)
{
	struct hn_checks_result *out = &checks->result;
	if (result->id != 0 && result->id == checks->raid_run_id) {
		checks_command_judge(result, "RAID", &out->raid_ok, out->raid_reason,
				     sizeof(out->raid_reason));
		checks->raid_run_id = 0;
		checks_round_update(checks);
		return true;
	}
	if (result->id != 0 && result->id == checks->services_run_id) {
		checks_command_judge(result, "services", &out->services_ok, out->services_reason,
				     sizeof(out->services_reason));
		checks->services_run_id = 0;
		checks_round_update(checks);
		return true;
	}
	return false;
}

bool hn_checks_round_done(const struct hn_checks *checks)
{
	bool probing = hn_netif_arp_probe_fd(&checks->probe) >= 0;
	return checks->raid_run_id == 0 && checks->services_run_id == 0 && !checks->ping.in_round &&
	       !probing;
}

const struct hn_checks_result *hn_checks_result(const struct hn_checks *checks)
{
	return &checks->result;
}

void hn_checks_health(const struct hn_checks *checks, struct hn_health *health)
{
	memset(health, 0, sizeof(*health));
	health->raid_ok = checks->result.raid_ok;
	health->services_ok = checks->result.services_ok;
	health->ping_reachable = checks->result.ping_reachable;
	health->ping_total = checks->result.ping_total;
	health->cluster_ip_answered = checks->result.cluster_ip_answered;
}
