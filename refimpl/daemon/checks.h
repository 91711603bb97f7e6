/*
 * checks.h - hanode's health checks: RAID, ping targets, services status,
 * and (for the ping tie-breaker) whether someone else answers the cluster IP.
 *
 *   RAID      either parse an mdstat-format file (default /proc/mdstat; a
 *             simulator points raid_mdstat_path at a fake file) for one
 *             array, or run raid_command (exit 0 = ok). An array is ok when
 *             it is active and has at least one working member: "[UU]" ok,
 *             "[U_]" degraded but ok; "[__]", "inactive" or a missing array
 *             are not ok. Every verdict carries a reason.
 *   ping      ICMP echo to up to HN_CHECKS_PING_TARGETS_MAX targets over one
 *             raw socket (root); replies are matched by identifier and
 *             sequence; the round's result is how many answered in time.
 *             A target that has not answered is asked again, ping_attempts
 *             echoes in all spread evenly over ping_timeout_ms, so that one
 *             lost packet (a bond moving to its other port) is not a lost
 *             network: a target counts as reachable if any echo came back.
 *   services  services_command, exit 0 = ok (through the runner).
 *   cluster IP probe_ifname + probe_ip: ARP probe (netif.h).
 *
 * One round per health interval: hn_checks_round_start() starts every
 * configured check; the loop then polls hn_checks_fds(), calls
 * hn_checks_on_readable()/hn_checks_on_deadline(), and hands each runner
 * result to hn_checks_on_runner_result() (the runner is the daemon's,
 * shared with hooks). When hn_checks_round_done() is true,
 * hn_checks_health() gives the hn_health for HN_EVENT_HEALTH.
 *
 * Every round ends with a result, also one that is still running when the
 * next is due: hn_checks_round_start() first ends it with what it has - a
 * command still running (killed), a ping target that has not answered and
 * an ARP probe without an answer count as they would at their timeout -
 * and hands back its hn_health, which the caller delivers like any round
 * end before the new round's.
 */
#ifndef HN_CHECKS_H
#define HN_CHECKS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"
#include "netif.h"
#include "runner.h"

#define HN_CHECKS_PING_TARGETS_MAX 8
#define HN_CHECKS_PATH_MAX	   256
#define HN_CHECKS_FDS_MAX	   2 /* ping socket + ARP probe socket */

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
	uint16_t round;
	uint32_t target_count;
	struct in_addr targets[HN_CHECKS_PING_TARGETS_MAX];
	bool answered[HN_CHECKS_PING_TARGETS_MAX];
	bool in_round;
	uint64_t deadline_ms;
	uint32_t attempts_left;	     /* echoes still to send to targets not answered */
	uint32_t resend_interval_ms; /* timeout / attempts */
	uint64_t resend_ms;	     /* when the next of them goes out */
	uint32_t echoes_sent;	     /* in this round, all targets together */
};

/* Opens the raw ICMP socket; targets are dotted IPv4 addresses. */
int hn_checks_ping_open(struct hn_checks_ping *ping, const char *const *targets,
			uint32_t target_count, char *error, size_t error_size);
void hn_checks_ping_close(struct hn_checks_ping *ping);
/* Send one echo request to every target, and attempts - 1 more to those
 * that have not answered, every timeout / attempts ms (attempts 0 = 1);
 * the round ends at now + timeout. */
int hn_checks_ping_round_start(struct hn_checks_ping *ping, uint32_t timeout_ms, uint32_t attempts,
			       uint64_t now_ms, char *error, size_t error_size);
int hn_checks_ping_on_readable(struct hn_checks_ping *ping);
/* The next resend or the end of the round; UINT64_MAX outside a round. */
uint64_t hn_checks_ping_next_deadline_ms(const struct hn_checks_ping *ping);
/* Resends when due; ends the round when the deadline passed (it also ends
 * early once all answered). */
void hn_checks_ping_on_deadline(struct hn_checks_ping *ping, uint64_t now_ms);
uint32_t hn_checks_ping_reachable(const struct hn_checks_ping *ping);

/* ------------------------------------------------------------ check rounds */

struct hn_checks_config {
	/* RAID: raid_array set -> mdstat; else raid_command set -> command; else none (ok). */
	char raid_array[32];
	char raid_mdstat_path[HN_CHECKS_PATH_MAX]; /* "" = /proc/mdstat */
	char raid_command[HN_RUNNER_COMMAND_MAX];
	char services_command[HN_RUNNER_COMMAND_MAX]; /* "" = always ok */
	uint32_t command_timeout_ms;		      /* 0 = 5000 */
	uint32_t ping_target_count;
	char ping_targets[HN_CHECKS_PING_TARGETS_MAX][INET_ADDRSTRLEN];
	uint32_t ping_timeout_ms;	/* 0 = 500 */
	uint32_t ping_attempts;		/* echoes per target and round; 0 = 3 */
	char probe_ifname[IF_NAMESIZE]; /* "" = no cluster IP probe */
	char probe_ip[INET_ADDRSTRLEN];
	uint32_t probe_timeout_ms; /* 0 = 300 */
};

struct hn_checks_result {
	bool raid_ok;
	char raid_reason[HN_REASON_MAX];
	bool services_ok;
	char services_reason[HN_REASON_MAX];
	uint32_t ping_reachable;
	uint32_t ping_total;
	bool cluster_ip_answered;
};

struct hn_checks {
	struct hn_checks_config config;
	struct hn_checks_ping ping;
	struct hn_netif_arp_probe probe;
	bool in_round;			/* started and not yet done */
	uint64_t raid_run_id;		/* 0 = not waiting */
	uint64_t services_run_id;	/* 0 = not waiting */
	struct hn_checks_result result; /* of the round in progress or the last one */
};

int hn_checks_open(struct hn_checks *checks, const struct hn_checks_config *config, char *error,
		   size_t error_size);
void hn_checks_close(struct hn_checks *checks);
/* Start a round. A round still running is ended first (see the top of this
 * file): then its health is stored in *ended and 1 returned, and the caller
 * delivers *ended before anything of the new round; otherwise 0. Failures
 * to start one check mark that check not ok with a reason; the round still
 * runs. The round may be done at once (mdstat only, or nothing
 * configured): check hn_checks_round_done() right after. The ARP probe's
 * socket changes from round to round: re-read hn_checks_fds() after every
 * call. */
int hn_checks_round_start(struct hn_checks *checks, struct hn_runner *runner, uint64_t now_ms,
			  struct hn_health *ended);
/* Fills fds with the sockets to poll for POLLIN; returns their count. */
size_t hn_checks_fds(const struct hn_checks *checks, int *fds, size_t fds_max);
void hn_checks_on_readable(struct hn_checks *checks, int fd);
uint64_t hn_checks_next_deadline_ms(const struct hn_checks *checks);
void hn_checks_on_deadline(struct hn_checks *checks, uint64_t now_ms);
/* Returns true if the result belonged to this round's RAID or services
 * command (consumed). The result of a command killed because its round
 * ended early returns false: the round already counted it as failed, and
 * the caller drops it. */
bool hn_checks_on_runner_result(struct hn_checks *checks, const struct hn_runner_result *result);
bool hn_checks_round_done(const struct hn_checks *checks);
const struct hn_checks_result *hn_checks_result(const struct hn_checks *checks);
void hn_checks_health(const struct hn_checks *checks, struct hn_health *health);

#endif
