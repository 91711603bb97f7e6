/*
 * health.c - the host's health rounds (host.h): every health_interval_ms a
 * round asks for a RAID verdict and a services verdict (platform->check:
 * known at once, or a command whose end comes later), the notify-only
 * checks that are configured (disk usage, time offset, service health: the
 * same way), ICMP echoes to every ping target and, under the ping
 * tie-breaker, ARP probes of the cluster IP; its verdict is one
 * HN_EVENT_HEALTH. The notify-only checks go into its checks member (the
 * failing ones as bits, their reasons joined by "; " as its text): the core
 * notifies on them and never moves a role for them.
 *
 * Ping: a round sends one echo to every target, then ping_attempts - 1 more
 * to those that have not answered, every ping_timeout_ms / ping_attempts
 * ms, so that one lost packet (a bond moving to its other port) is not a
 * lost network: a target is reachable if any echo came back within
 * ping_timeout_ms. All echoes of a round to target i carry the sequence
 * number * HN_HOST_PING_TARGETS_MAX + i (16 bits, wrapping), so a late
 * reply of an earlier round never counts for this one. The ping part ends
 * early once every target answered.
 *
 * Probe: one ARP request now and every probe_interval_ms until an answer
 * (someone else holds the cluster IP) or probe_timeout_ms; without a
 * timeout of its own it shares the ping timeout, so a round's network
 * parts end together.
 *
 * A round ends by itself when its checks have reported and its ping and
 * probe parts are over. One still running when the next is due ends first
 * with what it has: a command that has not reported is killed and counts
 * as failed, a silent target as unreachable, an unanswered probe as no
 * answer - exactly what their timeouts would have said - so that a hanging
 * check neither keeps the core from hearing a verdict nor piles up
 * commands. Its verdict is delivered before anything of the new round.
 *
 * The external carrier coming back during a round (hn_host_carrier) asks
 * the targets that have not answered again at once, and gives them (and an
 * unanswered cluster-IP probe) a full timeout from then, within the
 * round's interval: echoes sent while the carrier was down went nowhere,
 * and a verdict made of them alone said "no network" after the network
 * was back (native external-switches-lost-together under load: the
 * active's round failed after a 544 ms outage of both switches and it
 * handed over to a peer whose round had already recovered; SPEC: if
 * neither reaches a target, nothing moves). No round is started or cut
 * for it: an extra round during the outage is an extra failed one (the
 * attempt reverted in 179cbe2).
 */
#include <stdio.h>
#include <string.h>

#include "host_state.h"

#define HN_HOST_PROBE_TIMEOUT_DEFAULT_MS 300

/* ------------------------------------------------------------- checks */

/* The checks platform->check answers, by part: what status and the cluster
 * log call them, and the notify-only check bit (0: a failover check). */
static const struct {
	enum hn_host_check check;
	const char *what;
	uint32_t notify;
} health_parts[HN_HOST_PARTS] = {
    [HN_HOST_PART_RAID] = {HN_HOST_CHECK_RAID, "RAID", 0},
    [HN_HOST_PART_SERVICES] = {HN_HOST_CHECK_SERVICES, "services", 0},
    [HN_HOST_PART_DISK_USAGE] = {HN_HOST_CHECK_DISK_USAGE, "disk usage", HN_CHECK_DISK_USAGE},
    [HN_HOST_PART_TIME_OFFSET] = {HN_HOST_CHECK_TIME_OFFSET, "time offset", HN_CHECK_TIME_OFFSET},
    [HN_HOST_PART_SERVICE_HEALTH] = {HN_HOST_CHECK_SERVICE_HEALTH, "service health",
				     HN_CHECK_SERVICE_HEALTH},
};

static bool health_part_configured(const struct hn_host_config *config, enum hn_host_part part)
{
	switch (part) {
	case HN_HOST_PART_RAID:
		return config->raid_check;
	case HN_HOST_PART_SERVICES:
		return config->services_check;
	case HN_HOST_PART_DISK_USAGE:
		return config->disk_usage_check;
	case HN_HOST_PART_TIME_OFFSET:
		return config->time_offset_check;
	default: /* HN_HOST_PART_SERVICE_HEALTH */
		return config->service_health_check;
	}
}

static void health_check_start(struct hn_host *host, enum hn_host_part index)
{
	const struct hn_host_platform *platform = &host->platform;
	struct hn_host_part_state *part = &host->round.parts[index];
	const char *what = health_parts[index].what;
	char error[HN_HOST_ERROR_MAX];
	bool done = true;
	part->ok = false;
	part->reason[0] = '\0';
	part->command_id = 0;
	if (platform->check(platform->context, health_parts[index].check, &done, &part->ok,
			    part->reason, HN_REASON_MAX, &part->command_id, error,
			    sizeof(error)) != 0) {
		part->ok = false;
		part->command_id = 0;
		snprintf(part->reason, HN_REASON_MAX, "%s command not started: %.100s", what,
			 error);
		return;
	}
	if (done)
		part->command_id = 0;
	else if (part->command_id == 0) {
		part->ok = false;
		snprintf(part->reason, HN_REASON_MAX, "%s check started without a command id",
			 what);
	}
}

static void health_check_judge(int exit_status, bool timed_out, const char *what,
			       struct hn_host_part_state *part)
{
	part->ok = exit_status == 0 && !timed_out;
	if (timed_out)
		snprintf(part->reason, HN_REASON_MAX, "%s command timed out", what);
	else if (exit_status != 0)
		snprintf(part->reason, HN_REASON_MAX, "%s command exited with status %d", what,
			 exit_status);
	else
		snprintf(part->reason, HN_REASON_MAX, "%s command ok", what);
}

/* A check that has not reported when its round is cut: killed, failed. */
static void health_check_cut(struct hn_host *host, enum hn_host_part index)
{
	struct hn_host_part_state *part = &host->round.parts[index];
	if (part->command_id == 0)
		return;
	if (host->platform.command_kill)
		host->platform.command_kill(host->platform.context, part->command_id);
	part->command_id = 0;
	part->ok = false;
	snprintf(part->reason, HN_REASON_MAX,
		 "%s command still running when the next round was due", health_parts[index].what);
}

static void health_checks_cut(struct hn_host *host)
{
	for (int index = 0; index < HN_HOST_PARTS; index++)
		health_check_cut(host, (enum hn_host_part)index);
}

/* --------------------------------------------------------------- ping */

static uint16_t health_ping_sequence(const struct hn_host_round *round, uint32_t target)
{
	return (uint16_t)(round->number * HN_HOST_PING_TARGETS_MAX + target);
}

static void health_ping_send_unanswered(struct hn_host *host)
{
	const struct hn_host_platform *platform = &host->platform;
	struct hn_host_round *round = &host->round;
	char error[HN_HOST_ERROR_MAX];
	for (uint32_t i = 0; i < host->config.ping_target_count; i++)
		if (!round->answered[i])
			/* An unreachable target (no route, no ARP answer) just does not answer. */
			platform->ping(platform->context, i, health_ping_sequence(round, i), error,
				       sizeof(error));
}

static uint32_t health_ping_reachable(const struct hn_host *host)
{
	uint32_t count = 0;
	for (uint32_t i = 0; i < host->config.ping_target_count; i++)
		count += host->round.answered[i] ? 1 : 0;
	return count;
}

static void health_ping_start(struct hn_host *host, uint64_t now_ms)
{
	struct hn_host_round *round = &host->round;
	uint32_t attempts = host->config.ping_attempts > 0 ? host->config.ping_attempts : 1;
	uint32_t timeout_ms = host->config.ping_timeout_ms;
	round->ping_running = host->config.ping_target_count > 0;
	if (!round->ping_running)
		return;
	round->ping_deadline_ms = now_ms + timeout_ms;
	round->attempts_left = attempts - 1;
	round->resend_interval_ms = timeout_ms / attempts;
	round->resend_ms = now_ms + round->resend_interval_ms;
	health_ping_send_unanswered(host);
}

static void health_ping_tick(struct hn_host *host, uint64_t now_ms)
{
	struct hn_host_round *round = &host->round;
	if (!round->ping_running)
		return;
	if (now_ms >= round->ping_deadline_ms) {
		round->ping_running = false;
		return;
	}
	if (round->attempts_left > 0 && now_ms >= round->resend_ms) {
		health_ping_send_unanswered(host);
		round->attempts_left--;
		round->resend_ms += round->resend_interval_ms;
	}
}

/* -------------------------------------------------------------- probe */

static void health_probe_send(struct hn_host *host)
{
	char error[HN_HOST_ERROR_MAX];
	/* A probe that cannot go out (interface down) finds nobody. */
	host->platform.probe(host->platform.context, error, sizeof(error));
}

static void health_probe_start(struct hn_host *host, uint64_t now_ms)
{
	const struct hn_host_config *config = &host->config;
	struct hn_host_round *round = &host->round;
	round->probe_running =
	    config->cluster_ip_probe && config->has_cluster_ip && host->platform.probe != NULL;
	round->probe_answered = false;
	if (!round->probe_running)
		return;
	uint32_t timeout_ms = config->probe_timeout_ms > 0  ? config->probe_timeout_ms
			      : config->ping_timeout_ms > 0 ? config->ping_timeout_ms
							    : HN_HOST_PROBE_TIMEOUT_DEFAULT_MS;
	round->probe_interval_ms =
	    config->probe_interval_ms > 0 ? config->probe_interval_ms : timeout_ms;
	round->probe_asked = true;
	round->probe_timeout_ms = timeout_ms;
	round->probe_deadline_ms = now_ms + timeout_ms;
	round->probe_next_ms = now_ms + round->probe_interval_ms;
	health_probe_send(host);
}

static void health_probe_tick(struct hn_host *host, uint64_t now_ms)
{
	struct hn_host_round *round = &host->round;
	if (!round->probe_running)
		return;
	if (now_ms >= round->probe_deadline_ms) {
		round->probe_running = false;
		return;
	}
	if (now_ms >= round->probe_next_ms) {
		round->probe_next_ms = now_ms + round->probe_interval_ms;
		health_probe_send(host);
	}
}

/* -------------------------------------------------------------- round */

static uint64_t health_max_ms(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static bool health_round_over(const struct hn_host_round *round)
{
	for (int index = 0; index < HN_HOST_PARTS; index++)
		if (round->parts[index].command_id != 0)
			return false;
	return !round->ping_running && !round->probe_running;
}

/* Appends reason to text ("; " between), bounded. */
static void health_text_join(char *text, size_t text_size, const char *reason)
{
	size_t used = strlen(text);
	if (used + 3 < text_size)
		snprintf(text + used, text_size - used, "%s%s", used ? "; " : "", reason);
}

/* The notify-only checks of the round: failing bits and every check's
 * reason; the core's one text names the checks that start failing in this
 * round (the core logs each changed check with it), or else those failing. */
static void health_round_notify(const struct hn_host *host, struct hn_host_verdict *verdict)
{
	const struct hn_host_round *round = &host->round;
	for (int index = HN_HOST_PART_DISK_USAGE; index < HN_HOST_PARTS; index++) {
		const struct hn_host_part_state *part = &round->parts[index];
		snprintf(verdict->check_reasons[index - HN_HOST_PART_DISK_USAGE], HN_REASON_MAX,
			 "%s", part->reason);
		if (!part->ok)
			verdict->checks_failing |= health_parts[index].notify;
	}
	uint32_t newly = verdict->checks_failing & ~host->verdict.checks_failing;
	for (int index = HN_HOST_PART_DISK_USAGE; index < HN_HOST_PARTS; index++)
		if (health_parts[index].notify & (newly ? newly : verdict->checks_failing))
			health_text_join(verdict->checks_text, sizeof(verdict->checks_text),
					 round->parts[index].reason);
}

static void health_round_deliver(struct hn_host *host, uint64_t now_ms)
{
	struct hn_host_round *round = &host->round;
	struct hn_host_verdict verdict;
	memset(&verdict, 0, sizeof(verdict));
	verdict.health.raid_ok = round->parts[HN_HOST_PART_RAID].ok;
	verdict.health.services_ok = round->parts[HN_HOST_PART_SERVICES].ok;
	verdict.health.ping_reachable = health_ping_reachable(host);
	verdict.health.ping_total = host->config.ping_target_count;
	verdict.health.cluster_ip_answered = round->probe_answered;
	snprintf(verdict.raid_reason, sizeof(verdict.raid_reason), "%s",
		 round->parts[HN_HOST_PART_RAID].reason);
	snprintf(verdict.services_reason, sizeof(verdict.services_reason), "%s",
		 round->parts[HN_HOST_PART_SERVICES].reason);
	health_round_notify(host, &verdict);
	round->running = false;
	hn_host_verdict(host, &verdict, now_ms);
}

/* Delivers the round's verdict if it just ended by itself. */
static void health_round_check(struct hn_host *host, uint64_t now_ms)
{
	if (host->round.running && health_round_over(&host->round))
		health_round_deliver(host, now_ms);
}

/* End the running round now with what it has (see the top of this file). */
static void health_round_cut(struct hn_host *host, uint64_t now_ms)
{
	struct hn_host_round *round = &host->round;
	health_checks_cut(host);
	round->ping_running = false;
	round->probe_running = false;
	health_round_deliver(host, now_ms);
}

static void health_round_start(struct hn_host *host, uint64_t now_ms)
{
	const struct hn_host_config *config = &host->config;
	struct hn_host_round *round = &host->round;
	uint16_t number = (uint16_t)(round->number + 1);
	memset(round, 0, sizeof(*round));
	round->number = number;
	round->running = true;
	for (int index = 0; index < HN_HOST_PARTS; index++) {
		struct hn_host_part_state *part = &round->parts[index];
		part->ok = true;
		snprintf(part->reason, sizeof(part->reason), "no %s check",
			 health_parts[index].what);
		if (health_part_configured(config, (enum hn_host_part)index))
			health_check_start(host, (enum hn_host_part)index);
	}
	health_ping_start(host, now_ms);
	health_probe_start(host, now_ms);
	health_round_check(host, now_ms);
}

/* ------------------------------------------------------------- public */

void hn_host_health_carrier_up(struct hn_host *host, uint64_t now_ms)
{
	struct hn_host_round *round = &host->round;
	const struct hn_host_config *config = &host->config;
	if (!round->running)
		return;
	if (config->ping_target_count > 0 &&
	    health_ping_reachable(host) < config->ping_target_count) {
		uint32_t attempts = config->ping_attempts > 0 ? config->ping_attempts : 1;
		round->ping_running = true;
		round->ping_deadline_ms =
		    health_max_ms(round->ping_deadline_ms, now_ms + config->ping_timeout_ms);
		round->attempts_left = attempts - 1;
		round->resend_ms = now_ms + round->resend_interval_ms;
		health_ping_send_unanswered(host);
	}
	if (round->probe_asked && !round->probe_answered) {
		round->probe_running = true;
		round->probe_deadline_ms =
		    health_max_ms(round->probe_deadline_ms, now_ms + round->probe_timeout_ms);
		round->probe_next_ms = now_ms + round->probe_interval_ms;
		health_probe_send(host);
	}
}

void hn_host_health_tick(struct hn_host *host, uint64_t now_ms)
{
	if (host->round.running) {
		health_ping_tick(host, now_ms);
		health_probe_tick(host, now_ms);
		health_round_check(host, now_ms);
	}
	if (now_ms < host->next_round_ms)
		return;
	host->next_round_ms = now_ms + host->config.health_interval_ms;
	if (host->round.running)
		health_round_cut(host, now_ms);
	health_round_start(host, now_ms);
}

static uint64_t health_min_ms(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t hn_host_health_next_deadline_ms(const struct hn_host *host)
{
	const struct hn_host_round *round = &host->round;
	uint64_t next_ms = host->next_round_ms;
	if (round->ping_running) {
		uint64_t ping_ms = round->ping_deadline_ms;
		if (round->attempts_left > 0 && round->resend_ms < ping_ms)
			ping_ms = round->resend_ms;
		next_ms = health_min_ms(next_ms, ping_ms);
	}
	if (round->probe_running)
		next_ms = health_min_ms(
		    next_ms, health_min_ms(round->probe_next_ms, round->probe_deadline_ms));
	return next_ms;
}

/* The part of the running round waiting for id, or NULL. */
static struct hn_host_part_state *health_part_of(struct hn_host *host, uint64_t id,
						 enum hn_host_part *index)
{
	if (id == 0 || !host->round.running)
		return NULL;
	for (int i = 0; i < HN_HOST_PARTS; i++) {
		if (host->round.parts[i].command_id == id) {
			*index = (enum hn_host_part)i;
			return &host->round.parts[i];
		}
	}
	return NULL;
}

bool hn_host_health_command_done(struct hn_host *host, uint64_t command_id, int exit_status,
				 bool timed_out, uint64_t now_ms)
{
	enum hn_host_part index;
	struct hn_host_part_state *part = health_part_of(host, command_id, &index);
	if (!part)
		return false;
	health_check_judge(exit_status, timed_out, health_parts[index].what, part);
	part->command_id = 0;
	health_round_check(host, now_ms);
	return true;
}

bool hn_host_health_check_done(struct hn_host *host, uint64_t check_id, bool ok, const char *reason,
			       uint64_t now_ms)
{
	enum hn_host_part index;
	struct hn_host_part_state *part = health_part_of(host, check_id, &index);
	if (!part)
		return false;
	part->ok = ok;
	snprintf(part->reason, sizeof(part->reason), "%s", reason);
	part->command_id = 0;
	health_round_check(host, now_ms);
	return true;
}

void hn_host_health_ping_reply(struct hn_host *host, uint16_t sequence, uint64_t now_ms)
{
	struct hn_host_round *round = &host->round;
	if (!round->running || !round->ping_running)
		return;
	uint16_t index = (uint16_t)(sequence - health_ping_sequence(round, 0));
	if (index >= host->config.ping_target_count)
		return; /* another round's, or nobody's */
	round->answered[index] = true;
	if (health_ping_reachable(host) == host->config.ping_target_count)
		round->ping_running = false;
	health_round_check(host, now_ms);
}

void hn_host_health_probe_answered(struct hn_host *host, uint64_t now_ms)
{
	struct hn_host_round *round = &host->round;
	if (!round->running || !round->probe_running)
		return;
	round->probe_answered = true;
	round->probe_running = false;
	health_round_check(host, now_ms);
}

void hn_host_health_abandon(struct hn_host *host)
{
	struct hn_host_round *round = &host->round;
	health_checks_cut(host);
	round->running = round->ping_running = round->probe_running = false;
}
