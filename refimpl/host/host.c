/*
 * host.c - the node's host (host.h): the step pipeline around the pure
 * core, the start gating, and the inputs that become events.
 *
 * One event goes into the core (hn_node_step); its actions are carried out
 * in the order given, each through the platform: packets (packets.c), the
 * cluster IP and its gratuitous ARP schedule, commands (services, notify
 * hook, fence), durable writes, cluster-log records, answers to clients
 * and operators (requests.c). The platform never calls back, so no action
 * runs inside another step; an event that an action itself produces (a
 * fence that cannot start, a failed action) waits in a small queue and is
 * fed right after the current list. After every step the generation and
 * outdated flag are made durable if they changed.
 *
 * Failed actions go back to the core (HN_EVENT_ACTION_FAILED), ahead of
 * every other queued event (hn_core.h): a PERSIST or STORE_RESET that
 * fails ends the step there - what follows may acknowledge what the disk
 * does not hold (a client's OK, an ACK to the peer), so it is dropped, and
 * the client and operator answers among it become errors naming the
 * failure; a failed generation write is a storage failure too (once, until
 * a write succeeds); a failed cluster IP add, and a services start command
 * that cannot start or ends with a non-zero status, are fed the same way
 * (the rest of their step is carried out). Other failures (a GARP, the IP's
 * removal, the notify hook) are only logged: the core decides nothing on
 * them.
 *
 * Start gating: hn_host_start begins the health rounds (health.c); the core
 * starts only when the first round's verdict is in: HN_EVENT_HEALTH, then
 * HN_EVENT_START (with the boot nonce), the operator's remembered
 * maintenance (or a force start), and the links' carrier as last reported.
 * Until then the peer's packets are decoded (the status shows the peer)
 * but not fed: it sends them again. So a node never settles a tie or takes
 * over on health it has not measured (regression: split-brain-fence on
 * guests, a node active at forming and isolated 60 ms later at its first
 * ping verdict).
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "host_state.h"
#include "text.h"

/* ---------------------------------------------------------------- logging */

static const char *host_role_now(struct hn_host *host, uint64_t now_ms)
{
	hn_node_status(host->node, now_ms, &host->status);
	return hn_role_name(host->status.role);
}

void hn_host_log(struct hn_host *host, uint64_t now_ms, const char *event, const char *reason)
{
	struct hn_log_record record;
	memset(&record, 0, sizeof(record));
	snprintf(record.event, sizeof(record.event), "%s", event);
	snprintf(record.reason, sizeof(record.reason), "%s", reason);
	host->platform.log(host->platform.context, now_ms, &record, host_role_now(host, now_ms));
}

/* A failure the core decides nothing on: a record, naming what failed. */
static void host_action_failed(struct hn_host *host, const char *error, uint64_t now_ms)
{
	hn_host_log(host, now_ms, "health", error);
}

/* An event produced by an action: after the step, failures first. */
static void host_defer(struct hn_host *host, const struct hn_event *event, bool failure)
{
	size_t at = failure ? host->deferred_failures : host->deferred_count;
	if (host->deferred_count == HN_HOST_DEFERRED_MAX) {
		if (!failure || host->deferred_failures == HN_HOST_DEFERRED_MAX)
			return;		/* bounded: 4 kinds per step at most in practice */
		host->deferred_count--; /* a failure outranks the newest other event */
	}
	memmove(host->deferred + at + 1, host->deferred + at,
		(host->deferred_count - at) * sizeof(host->deferred[0]));
	host->deferred[at] = *event;
	host->deferred_count++;
	if (failure)
		host->deferred_failures++;
}

void hn_host_failed(struct hn_host *host, enum hn_failure_kind kind, const char *reason, bool step,
		    uint64_t now_ms)
{
	struct hn_event failed;
	memset(&failed, 0, sizeof(failed));
	failed.kind = HN_EVENT_ACTION_FAILED;
	failed.u.failure.kind = kind;
	snprintf(failed.u.failure.reason, sizeof(failed.u.failure.reason), "%s", reason);
	if ((unsigned)kind <= HN_FAILURE_SERVICES)
		host->actions_failed[kind]++;
	if (step)
		host_defer(host, &failed, true);
	else if (host->started)
		hn_host_step(host, &failed, now_ms);
}

/* ------------------------------------------------------------ cluster IP */

static void host_garp_send(struct hn_host *host, uint64_t now_ms, bool first)
{
	char error[HN_HOST_ERROR_MAX];
	host->garp_left--;
	host->garp_next_ms = now_ms + host->config.garp_interval_ms;
	/* The first announcement's failure is worth a record; the rest of the
	 * same burst would only repeat it. */
	if (host->platform.garp(host->platform.context, error, sizeof(error)) != 0 && first)
		host_action_failed(host, error, now_ms);
}

static void host_garp_tick(struct hn_host *host, uint64_t now_ms)
{
	if (host->garp_left > 0 && now_ms >= host->garp_next_ms)
		host_garp_send(host, now_ms, false);
}

static void host_cluster_ip(struct hn_host *host, bool add, uint64_t now_ms)
{
	char error[HN_HOST_ERROR_MAX];
	/* An IP that is not held (its add failed) has nothing to remove. */
	if (!host->config.has_cluster_ip || (!add && !host->ip_held))
		return;
	if (host->platform.cluster_ip(host->platform.context, add, error, sizeof(error)) != 0) {
		if (add)
			hn_host_failed(host, HN_FAILURE_CLUSTER_IP, error, true, now_ms);
		else
			host_action_failed(host, error, now_ms);
		return;
	}
	host->ip_held = add;
	host->garp_left = 0;
	if (!add)
		return;
	host->garp_left = host->config.garp_count;
	host_garp_send(host, now_ms, true);
}

/* ------------------------------------------------------------- commands */

/* Starts a configured command; returns its id, or 0 if it did not start
 * (error says why; "" when it is not configured). */
static uint64_t host_command(struct hn_host *host, enum hn_host_command command, bool configured,
			     const char *input, const char *const *environment, char *error,
			     size_t error_size)
{
	uint64_t command_id = 0;
	error[0] = '\0';
	if (!configured)
		return 0;
	if (host->platform.command(host->platform.context, command, input, environment, &command_id,
				   error, error_size) != 0)
		return 0;
	return command_id;
}

/* A command whose start failing only deserves a record. */
static uint64_t host_command_logged(struct hn_host *host, enum hn_host_command command,
				    bool configured, const char *input,
				    const char *const *environment, uint64_t now_ms)
{
	char error[HN_HOST_ERROR_MAX];
	uint64_t command_id =
	    host_command(host, command, configured, input, environment, error, sizeof(error));
	if (command_id == 0 && error[0])
		host_action_failed(host, error, now_ms);
	return command_id;
}

/* SERVICES_START: a start that fails is fed to the core; its exit status
 * comes later (hn_host_command_done). */
static void host_services_start(struct hn_host *host, uint64_t now_ms)
{
	char error[HN_HOST_ERROR_MAX], reason[HN_REASON_MAX];
	host->services_start_id =
	    host_command(host, HN_HOST_COMMAND_SERVICES_START, host->config.has_services_start,
			 NULL, NULL, error, sizeof(error));
	if (host->services_start_id != 0 || !error[0])
		return;
	snprintf(reason, sizeof(reason), "services_start not started: %.120s", error);
	hn_host_failed(host, HN_FAILURE_SERVICES, reason, true, now_ms);
}

static const char *host_notify_name(enum hn_notify_kind kind)
{
	static const char *const names[] = {[HN_NOTIFY_FAILOVER] = "failover",
					    [HN_NOTIFY_FAULT] = "fault",
					    [HN_NOTIFY_SPLIT_BRAIN] = "split_brain",
					    [HN_NOTIFY_SYNC_LOST] = "sync_lost",
					    [HN_NOTIFY_SYNC_RESTORED] = "sync_restored",
					    [HN_NOTIFY_JOIN_REFUSED] = "join_refused",
					    [HN_NOTIFY_HEALTH] = "health"};
	unsigned index = (unsigned)kind;
	return index < sizeof(names) / sizeof(names[0]) && names[index] ? names[index] : "unknown";
}

/* The event as one JSON line on the hook's stdin, its name in HANODE_EVENT. */
static void host_notify(struct hn_host *host, const struct hn_action *action, uint64_t now_ms)
{
	const char *name = host_notify_name(action->u.notify.kind);
	char text[2 * HN_REASON_MAX], node[2 * HN_NAME_MAX], input[1024], wall[48] = "";
	char env_event[64];
	hn_json_escape(action->u.notify.text, text, sizeof(text));
	hn_json_escape(host->config.core.self.name, node, sizeof(node));
	if (host->platform.wall_ms)
		snprintf(
		    wall, sizeof(wall), ",\"wall_ms\":%llu",
		    (unsigned long long)host->platform.wall_ms(host->platform.context, now_ms));
	snprintf(input, sizeof(input),
		 "{\"event\":\"%s\",\"node\":\"%s\",\"text\":\"%s\",\"mono_ms\":%llu%s}\n", name,
		 node, text, (unsigned long long)now_ms, wall);
	snprintf(env_event, sizeof(env_event), "HANODE_EVENT=%s", name);
	const char *environment[] = {env_event, NULL};
	host_command_logged(host, HN_HOST_COMMAND_NOTIFY, host->config.has_notify, input,
			    environment, now_ms);
}

/* Power off the peer named by its newest heartbeat; a fence that cannot
 * start is a failed fence, fed after the current step. */
static void host_fence(struct hn_host *host, uint64_t now_ms)
{
	char peer_name[HN_NAME_MAX + 16], peer_id[32];
	snprintf(peer_name, sizeof(peer_name), "HANODE_PEER=%s", host->peer.sender.name);
	snprintf(peer_id, sizeof(peer_id), "HANODE_PEER_ID=%u", host->peer.sender.node_id);
	const char *environment[] = {peer_name, peer_id, NULL};
	host->fence_command_id = host_command_logged(
	    host, HN_HOST_COMMAND_FENCE, host->config.has_fence, NULL, environment, now_ms);
	if (host->fence_command_id == 0) {
		struct hn_event result = {.kind = HN_EVENT_FENCE_RESULT};
		result.u.fence_ok = false;
		host_defer(host, &result, false);
	}
}

/* ------------------------------------------------------------ durability */

/* A write of the store; one that fails ends the step (host_step_once). The
 * key set follows the core's memory, which has the write either way. */
static void host_persist(struct hn_host *host, const struct hn_action *action, uint64_t now_ms)
{
	char error[HN_HOST_ERROR_MAX];
	const struct hn_entry *entry = action->kind == HN_ACTION_PERSIST ? &action->u.entry : NULL;
	if (entry)
		hn_host_keys_add(&host->keys, entry->key);
	else
		hn_host_keys_clear(&host->keys);
	if (host->platform.persist(host->platform.context, entry, error, sizeof(error)) == 0)
		return;
	host->step_failed = true;
	snprintf(host->step_failure, sizeof(host->step_failure), "%s", error);
	if (host->put_current)
		snprintf(host->put_failure, sizeof(host->put_failure), "%s", error);
	hn_host_failed(host, HN_FAILURE_STORAGE, error, true, now_ms);
}

/* The generation file follows the core's generation and outdated flag. */
static void host_generation_sync(struct hn_host *host, uint64_t now_ms)
{
	const struct hn_status *status = &host->status;
	char error[HN_HOST_ERROR_MAX];
	if (host->generation_known &&
	    memcmp(&status->generation, &host->generation_written, sizeof(status->generation)) ==
		0 &&
	    status->outdated == host->outdated_written)
		return;
	if (host->platform.persist_generation(host->platform.context, &status->generation,
					      status->outdated, error, sizeof(error)) != 0) {
		/* A disk that cannot hold the generation cannot be trusted with
		 * data either; told once, so a dead disk is not a record a step. */
		if (!host->generation_failed)
			hn_host_failed(host, HN_FAILURE_STORAGE, error, true, now_ms);
		host->generation_failed = true;
		return;
	}
	host->generation_failed = false;
	host->generation_written = status->generation;
	host->outdated_written = status->outdated;
	host->generation_known = true;
}

/* --------------------------------------------------------------- the step */

/* The role after a record: one step may log several transitions (starting
 * -> standby -> active), so a record that names a role keeps it; any other
 * gets the role after the whole step. */
static const char *host_record_role(const struct hn_host *host, const struct hn_log_record *record)
{
	if (strcmp(record->to, "active") == 0 || strcmp(record->to, "standby") == 0)
		return record->to;
	return hn_role_name(host->status.role);
}

static void host_execute(struct hn_host *host, const struct hn_action *action, uint64_t now_ms)
{
	const struct hn_host_config *config = &host->config;
	switch (action->kind) {
	case HN_ACTION_SEND_HEARTBEAT:
		hn_host_send_heartbeat(host, action->link, &action->u.heartbeat, now_ms);
		break;
	case HN_ACTION_SEND_DATA:
		hn_host_send_data(host, action->link, &action->u.data, now_ms);
		break;
	case HN_ACTION_IP_ADD:
	case HN_ACTION_IP_REMOVE:
		host_cluster_ip(host, action->kind == HN_ACTION_IP_ADD, now_ms);
		break;
	case HN_ACTION_SERVICES_START:
		host_services_start(host, now_ms);
		break;
	case HN_ACTION_SERVICES_STOP:
		host->services_start_id = 0; /* its end no longer matters */
		host_command_logged(host, HN_HOST_COMMAND_SERVICES_STOP, config->has_services_stop,
				    NULL, NULL, now_ms);
		break;
	case HN_ACTION_LOG:
		host->platform.log(host->platform.context, now_ms, &action->u.log,
				   host_record_role(host, &action->u.log));
		break;
	case HN_ACTION_NOTIFY:
		host_notify(host, action, now_ms);
		break;
	case HN_ACTION_FENCE:
		host_fence(host, now_ms);
		break;
	case HN_ACTION_PERSIST:
	case HN_ACTION_STORE_RESET:
		host_persist(host, action, now_ms);
		break;
	case HN_ACTION_CLIENT_REPLY:
		hn_host_client_answer(host, action);
		break;
	case HN_ACTION_ADMIN_REPLY:
		hn_host_admin_answer(host, action, now_ms);
		break;
	}
}

/* An action after a failed store write: nothing of it is carried out, but
 * a client or operator waiting for it hears that the write failed. */
static void host_drop(struct hn_host *host, const struct hn_action *action, uint64_t now_ms)
{
	struct hn_action answer;
	if (action->kind != HN_ACTION_CLIENT_REPLY && action->kind != HN_ACTION_ADMIN_REPLY)
		return;
	answer = *action;
	answer.u.reply.ok = false;
	snprintf(answer.u.reply.text, sizeof(answer.u.reply.text), "storage failed: %.120s",
		 host->step_failure);
	if (action->kind == HN_ACTION_CLIENT_REPLY)
		hn_host_client_answer(host, &answer);
	else
		hn_host_admin_answer(host, &answer, now_ms);
}

void hn_host_step_once(struct hn_host *host, const struct hn_event *event, uint64_t now_ms)
{
	host->step_ms = now_ms;
	hn_node_step(host->node, event, now_ms, &host->actions);
	/* LOG records carry the role after the step. */
	hn_node_status(host->node, now_ms, &host->status);
	host->step_failed = false;
	for (size_t i = 0; i < host->actions.count; i++) {
		if (host->step_failed)
			host_drop(host, &host->actions.items[i], now_ms);
		else
			host_execute(host, &host->actions.items[i], now_ms);
	}
	host_generation_sync(host, now_ms);
}

void hn_host_drain(struct hn_host *host, uint64_t now_ms)
{
	/* Bounded: a deferred step may defer again (a storage failure feeds
	 * one failure event, the core's fault its own actions). */
	for (size_t round = 0; host->deferred_count > 0 && round < 2 * HN_HOST_DEFERRED_MAX;
	     round++) {
		struct hn_event deferred = host->deferred[0];
		host->deferred_count--;
		if (host->deferred_failures > 0)
			host->deferred_failures--;
		memmove(host->deferred, host->deferred + 1,
			host->deferred_count * sizeof(host->deferred[0]));
		hn_host_step_once(host, &deferred, now_ms);
	}
	host->deferred_count = host->deferred_failures = 0;
}

void hn_host_step(struct hn_host *host, const struct hn_event *event, uint64_t now_ms)
{
	hn_host_drain(host, now_ms); /* what an earlier step left comes first */
	hn_host_step_once(host, event, now_ms);
	hn_host_drain(host, now_ms);
}

static void host_step_kind(struct hn_host *host, enum hn_event_kind kind, uint64_t now_ms)
{
	memset(&host->event, 0, sizeof(host->event));
	host->event.kind = kind;
	hn_host_step(host, &host->event, now_ms);
}

static void host_step_link(struct hn_host *host, enum hn_link link, uint64_t now_ms)
{
	memset(&host->event, 0, sizeof(host->event));
	host->event.kind = HN_EVENT_LINK;
	host->event.link = link;
	host->event.u.carrier_up = host->carrier_up[link];
	hn_host_step(host, &host->event, now_ms);
}

/* An admin command of the host's own (request id 0: its answer goes nowhere). */
static void host_step_admin(struct hn_host *host, enum hn_admin_command command, const char *value,
			    uint64_t now_ms)
{
	memset(&host->event, 0, sizeof(host->event));
	host->event.kind = HN_EVENT_ADMIN;
	host->event.u.admin.command = command;
	snprintf(host->event.u.admin.value, sizeof(host->event.u.admin.value), "%s", value);
	hn_host_step(host, &host->event, now_ms);
}

/* ------------------------------------------------------------- lifecycle */

static size_t host_node_offset(void)
{
	size_t align = alignof(max_align_t);
	return (sizeof(struct hn_host) + align - 1) / align * align;
}

size_t hn_host_size(void)
{
	return host_node_offset() + hn_node_size();
}

/* Which platform member a configuration needs and lacks, or NULL. */
static const char *host_platform_missing(const struct hn_host_config *config,
					 const struct hn_host_platform *platform)
{
	bool commands = config->has_services_start || config->has_services_stop ||
			config->has_notify || config->has_fence;
	if (!platform->send || !platform->log || !platform->persist ||
	    !platform->persist_generation || !platform->persist_maintenance ||
	    !platform->client_reply || !platform->admin_reply)
		return "send, log, persist, persist_generation, persist_maintenance, client_reply "
		       "and admin_reply";
	if (config->has_cluster_ip && (!platform->cluster_ip || !platform->garp))
		return "cluster_ip and garp (has_cluster_ip)";
	if (config->ping_target_count > 0 && !platform->ping)
		return "ping (ping targets)";
	if ((config->raid_check || config->services_check) && !platform->check)
		return "check (raid_check or services_check)";
	if (commands && !platform->command)
		return "command (a configured command)";
	return NULL;
}

static int host_config_check(const struct hn_host_config *config,
			     const struct hn_host_platform *platform, uint64_t packet_seq_first,
			     char *error, size_t error_size)
{
	const char *missing = host_platform_missing(config, platform);
	if (config->health_interval_ms == 0)
		snprintf(error, error_size, "hn_host_init: health_interval_ms must be at least 1");
	else if (config->ping_target_count > HN_HOST_PING_TARGETS_MAX)
		snprintf(error, error_size, "hn_host_init: %u ping targets, at most %d",
			 config->ping_target_count, HN_HOST_PING_TARGETS_MAX);
	else if (config->ping_attempts > 10)
		snprintf(error, error_size, "hn_host_init: ping_attempts %u, at most 10",
			 config->ping_attempts);
	else if (config->has_cluster_ip && config->garp_count == 0)
		snprintf(error, error_size, "hn_host_init: garp_count must be at least 1");
	else if (packet_seq_first == 0)
		snprintf(error, error_size, "hn_host_init: packet_seq_first must be at least 1");
	else if (missing)
		snprintf(error, error_size, "hn_host_init: the platform lacks %s", missing);
	else
		return 0;
	return -1;
}

int hn_host_init(struct hn_host *host, const struct hn_host_config *config,
		 const uint8_t key[HN_KEY_BYTES], const struct hn_host_platform *platform,
		 uint64_t packet_seq_first, char *error, size_t error_size)
{
	memset(host, 0, sizeof(*host));
	if (host_config_check(config, platform, packet_seq_first, error, error_size) != 0)
		return -1;
	host->node = (struct hn_node *)((char *)host + host_node_offset());
	host->config = *config;
	host->platform = *platform;
	memcpy(host->key, key, HN_KEY_BYTES);
	host->packet_seq_next = packet_seq_first;
	host->packet_seq_limit = platform->persist_packet_seq ? packet_seq_first : 0;
	return hn_node_init(host->node, &config->core, error, error_size);
}

int hn_host_restore_entry(struct hn_host *host, const struct hn_entry *entry)
{
	if (hn_node_restore_entry(host->node, entry) != 0)
		return -1;
	hn_host_keys_add(&host->keys, entry->key);
	return 0;
}

void hn_host_restore_generation(struct hn_host *host, const struct hn_generation *generation,
				bool outdated)
{
	hn_node_restore_generation(host->node, generation, outdated);
	host->generation_written = *generation;
	host->outdated_written = outdated;
	host->generation_known = true;
}

void hn_host_restore_maintenance(struct hn_host *host, bool on)
{
	host->maintenance_remembered = on;
}

void hn_host_restore_force_start(struct hn_host *host)
{
	host->force_start = true;
}

void hn_host_release_leftover_ip(struct hn_host *host)
{
	char error[HN_HOST_ERROR_MAX];
	if (host->config.has_cluster_ip && !host->begun)
		(void)host->platform.cluster_ip(host->platform.context, false, error,
						sizeof(error));
}

void hn_host_start(struct hn_host *host, uint64_t boot_nonce, uint64_t now_ms)
{
	if (host->begun)
		return;
	host->begun = true;
	host->boot_nonce = boot_nonce;
	host->next_round_ms = now_ms;
	hn_host_health_tick(host, now_ms);
}

/* The core's start, once the first verdict is in (see the top of this file). */
static void host_core_start(struct hn_host *host, uint64_t now_ms)
{
	host->started = true;
	memset(&host->event, 0, sizeof(host->event));
	host->event.kind = HN_EVENT_START;
	host->event.u.start.boot_nonce = host->boot_nonce;
	hn_host_step(host, &host->event, now_ms);
	if (host->maintenance_remembered)
		host_step_admin(host, HN_ADMIN_MAINTENANCE_ON, "", now_ms);
	else if (host->force_start)
		host_step_admin(host, HN_ADMIN_FORCE_START, "", now_ms);
	for (int link = 0; link < HN_LINKS; link++)
		if (host->carrier_known[link])
			host_step_link(host, (enum hn_link)link, now_ms);
}

void hn_host_verdict(struct hn_host *host, const struct hn_host_verdict *verdict, uint64_t now_ms)
{
	host->verdict = *verdict;
	host->health_rounds++;
	memset(&host->event, 0, sizeof(host->event));
	host->event.kind = HN_EVENT_HEALTH;
	host->event.u.health = verdict->health;
	host->event.checks.failing = verdict->checks_failing;
	snprintf(host->event.checks.text, sizeof(host->event.checks.text), "%s",
		 verdict->checks_text);
	hn_host_step(host, &host->event, now_ms);
	if (!host->started)
		host_core_start(host, now_ms);
}

void hn_host_stop(struct hn_host *host, const char *reason, uint64_t now_ms)
{
	char error[HN_HOST_ERROR_MAX];
	if (host->stopped)
		return;
	/* The core hands over, logging "hanode stopping: <reason>"; nothing
	 * is remembered across the restart (not the operator's maintenance). */
	if (host->started)
		host_step_admin(host, HN_ADMIN_SHUTDOWN, reason, now_ms);
	hn_host_health_abandon(host);
	if (host->ip_held && host->config.has_cluster_ip) {
		if (host->platform.cluster_ip(host->platform.context, false, error,
					      sizeof(error)) == 0)
			host->ip_held = false;
		else
			host_action_failed(host, error, now_ms);
	}
	host->garp_left = 0;
	hn_host_log(host, now_ms, "stop", reason);
	host->stopped = true;
}

/* ---------------------------------------------------------------- inputs */

static bool host_running(const struct hn_host *host)
{
	return host->begun && !host->stopped;
}

void hn_host_packet(struct hn_host *host, enum hn_link link, const uint8_t *packet, size_t length,
		    uint64_t now_ms)
{
	if (host->stopped || hn_host_decode(host, link, packet, length) == 0)
		return;
	/* Before the core's start the peer's packets wait: it sends them again. */
	if (host->started)
		hn_host_step(host, &host->event, now_ms);
}

void hn_host_carrier(struct hn_host *host, enum hn_link link, bool up, uint64_t now_ms)
{
	if ((unsigned)link >= HN_LINKS || host->stopped)
		return;
	bool came_up = host->carrier_known[link] && !host->carrier_up[link] && up;
	host->carrier_known[link] = true;
	host->carrier_up[link] = up;
	if (host->started)
		host_step_link(host, link, now_ms);
	if (came_up && link == HN_LINK_EXTERNAL && host_running(host))
		hn_host_health_carrier_up(host, now_ms);
}

void hn_host_ping_reply(struct hn_host *host, uint16_t sequence, uint64_t now_ms)
{
	if (host_running(host))
		hn_host_health_ping_reply(host, sequence, now_ms);
}

void hn_host_probe_answered(struct hn_host *host, uint64_t now_ms)
{
	if (host_running(host))
		hn_host_health_probe_answered(host, now_ms);
}

/* The end of the services start command: a failure goes to the core. */
static void host_services_started(struct hn_host *host, int exit_status, bool timed_out,
				  uint64_t now_ms)
{
	char reason[HN_REASON_MAX];
	if (exit_status == 0 && !timed_out)
		return;
	if (timed_out)
		snprintf(reason, sizeof(reason), "services_start timed out");
	else
		snprintf(reason, sizeof(reason), "services_start exited with status %d",
			 exit_status);
	hn_host_failed(host, HN_FAILURE_SERVICES, reason, false, now_ms);
}

void hn_host_check_done(struct hn_host *host, uint64_t check_id, bool ok, const char *reason,
			uint64_t now_ms)
{
	if (host_running(host) && check_id != 0)
		hn_host_health_check_done(host, check_id, ok, reason ? reason : "", now_ms);
}

void hn_host_command_done(struct hn_host *host, uint64_t command_id, int exit_status,
			  bool timed_out, uint64_t now_ms)
{
	if (!host_running(host) || command_id == 0)
		return;
	if (hn_host_health_command_done(host, command_id, exit_status, timed_out, now_ms))
		return;
	if (command_id == host->services_start_id) {
		host->services_start_id = 0;
		host_services_started(host, exit_status, timed_out, now_ms);
		return;
	}
	if (command_id != host->fence_command_id)
		return; /* services_stop, notify: nothing waits for them */
	host->fence_command_id = 0;
	memset(&host->event, 0, sizeof(host->event));
	host->event.kind = HN_EVENT_FENCE_RESULT;
	host->event.u.fence_ok = exit_status == 0 && !timed_out;
	if (host->started)
		hn_host_step(host, &host->event, now_ms);
}

void hn_host_tick(struct hn_host *host, uint64_t now_ms)
{
	if (!host_running(host))
		return;
	hn_host_drain(host, now_ms);
	if (host->started && now_ms >= hn_node_next_deadline_ms(host->node))
		host_step_kind(host, HN_EVENT_TICK, now_ms);
	host_garp_tick(host, now_ms);
	hn_host_health_tick(host, now_ms);
}

static uint64_t host_min_ms(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t hn_host_next_deadline_ms(const struct hn_host *host)
{
	if (!host_running(host))
		return UINT64_MAX;
	if (host->deferred_count > 0)
		return host->step_ms; /* a failure a PUT's answer went ahead of: at once */
	uint64_t next_ms = hn_host_health_next_deadline_ms(host);
	if (host->started)
		next_ms = host_min_ms(next_ms, hn_node_next_deadline_ms(host->node));
	if (host->garp_left > 0)
		next_ms = host_min_ms(next_ms, host->garp_next_ms);
	return next_ms;
}

const struct hn_node *hn_host_node(const struct hn_host *host)
{
	return host->node;
}
