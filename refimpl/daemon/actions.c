/*
 * actions.c - hanode's side of the pure core: one event in, the core's
 * ordered actions out and carried out in order - send via links.c, cluster
 * IP via netif, hooks via the runner, durable writes via persist, records
 * via clusterlog, answers via control.c (admin.c) and kvserver.c. The core
 * never calls back, so an action never runs inside a step; events that an
 * action itself produces (a fence that cannot start) are queued and fed
 * after the current list. After every step the generation file follows
 * the core's generation and outdated flag.
 */
#include <stdio.h>
#include <string.h>

#include "hanode.h"

/* --------------------------------------------------------------- logging */

void hn_daemon_log(struct hn_daemon *daemon, const char *event, const char *from, const char *to,
		   const char *reason)
{
	struct hn_log_record record;
	memset(&record, 0, sizeof(record));
	snprintf(record.event, sizeof(record.event), "%s", event);
	snprintf(record.from, sizeof(record.from), "%s", from);
	snprintf(record.to, sizeof(record.to), "%s", to);
	snprintf(record.reason, sizeof(record.reason), "%s", reason);
	const char *role = "standby";
	if (daemon->paired) {
		hn_node_status(daemon->node, hn_loop_now_ms(), &daemon->status);
		role = hn_role_name(daemon->status.role);
	}
	hn_clusterlog_write(&daemon->log, hn_loop_now_ms(), hn_loop_wall_ms(), &record, role);
}

/* ------------------------------------------------------------- actions */

/* The role after a record. One step may log several transitions (starting
 * -> standby -> active), so a record that names a role keeps it; any other
 * record gets the role after the whole step. */
static const char *hn_record_role(const struct hn_daemon *daemon,
				  const struct hn_log_record *record)
{
	if (strcmp(record->to, "active") == 0 || strcmp(record->to, "standby") == 0)
		return record->to;
	return hn_role_name(daemon->status.role);
}

static void hn_daemon_defer(struct hn_daemon *daemon, const struct hn_event *event)
{
	if (daemon->deferred_count < HN_DEFERRED_MAX)
		daemon->deferred[daemon->deferred_count++] = *event;
}

void hn_daemon_ip(struct hn_daemon *daemon, bool add)
{
	char error[HN_ERROR_MAX], address[INET_ADDRSTRLEN];
	const struct hn_daemon_config *config = &daemon->config;
	if (!config->cluster_ip[0])
		return;
	hn_daemon_config_cluster_ip_address(config, address, sizeof(address));
	int result = add ? hn_netif_address_add(config->cluster_ip_interface, config->cluster_ip,
						error, sizeof(error))
			 : hn_netif_address_remove(config->cluster_ip_interface, config->cluster_ip,
						   error, sizeof(error));
	if (result != 0) {
		hn_daemon_log(daemon, "health", "", "", error);
		return;
	}
	daemon->ip_held = add;
	hn_netif_garp_close(&daemon->garp);
	if (add && hn_netif_garp_start(&daemon->garp, config->cluster_ip_interface, address, 3, 100,
				       hn_loop_now_ms(), error, sizeof(error)) != 0)
		hn_daemon_log(daemon, "health", "", "", error);
}

static uint64_t hn_daemon_run(struct hn_daemon *daemon, const char *command, const char *input,
			      const char *const *env)
{
	char error[HN_ERROR_MAX];
	uint64_t id = 0;
	if (!command[0])
		return 0;
	if (hn_runner_start(&daemon->runner, command, input, env, daemon->config.command_timeout_ms,
			    hn_loop_now_ms(), &id, error, sizeof(error)) != 0) {
		hn_daemon_log(daemon, "health", "", "", error);
		return 0;
	}
	return id;
}

static void hn_daemon_notify(struct hn_daemon *daemon, const struct hn_action *action)
{
	static const char *const names[] = {
	    "",		 "failover",	  "fault",	  "split_brain",
	    "sync_lost", "sync_restored", "join_refused", "health"};
	unsigned kind = (unsigned)action->u.notify.kind;
	const char *name = kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
	char text[2 * HN_REASON_MAX], node[2 * HN_NAME_MAX], input[1024], env_event[64];
	hn_json_escape(action->u.notify.text, text, sizeof(text));
	hn_json_escape(daemon->config.core.self.name, node, sizeof(node));
	snprintf(input, sizeof(input),
		 "{\"event\":\"%s\",\"node\":\"%s\",\"text\":\"%s\",\"mono_ms\":%llu,\"wall_ms\":%"
		 "llu}\n",
		 name, node, text, (unsigned long long)hn_loop_now_ms(),
		 (unsigned long long)hn_loop_wall_ms());
	snprintf(env_event, sizeof(env_event), "HANODE_EVENT=%s", name);
	const char *env[] = {env_event, NULL};
	hn_daemon_run(daemon, daemon->config.notify_command, input, env);
}

static void hn_daemon_fence(struct hn_daemon *daemon)
{
	char peer_name[HN_NAME_MAX + 16], peer_id[32];
	snprintf(peer_name, sizeof(peer_name), "HANODE_PEER=%s",
		 daemon->peer_heartbeat.sender.name);
	snprintf(peer_id, sizeof(peer_id), "HANODE_PEER_ID=%u",
		 daemon->peer_heartbeat.sender.node_id);
	const char *env[] = {peer_name, peer_id, NULL};
	daemon->fence_run_id = hn_daemon_run(daemon, daemon->config.fence_command, NULL, env);
	if (!daemon->fence_run_id) {
		struct hn_event result = {.kind = HN_EVENT_FENCE_RESULT};
		result.u.fence_ok = false;
		hn_daemon_defer(daemon, &result);
	}
}

static void hn_daemon_persist(struct hn_daemon *daemon, const struct hn_action *action)
{
	char error[HN_ERROR_MAX];
	int result =
	    action->kind == HN_ACTION_PERSIST
		? hn_persist_append(&daemon->persist, &action->u.entry, error, sizeof(error))
		: hn_persist_reset(&daemon->persist, error, sizeof(error));
	if (result != 0)
		hn_daemon_log(daemon, "health", "", "", error);
}

static void hn_daemon_client_reply(struct hn_daemon *daemon, const struct hn_action *action)
{
	char answer[HN_REASON_MAX + 16];
	const char *text = action->u.reply.text;
	if (action->u.reply.ok)
		snprintf(answer, sizeof(answer), text[0] ? "OK %s" : "OK", text);
	else
		snprintf(answer, sizeof(answer), "ERR %s", text[0] ? text : "write failed");
	if (action->u.reply.request_id == daemon->kv_current_id) {
		/* Answered within the step that fed the PUT: the server has not
		 * registered the request as waiting yet, so hand it back directly. */
		memcpy(daemon->kv_current_answer, answer, sizeof(answer));
		daemon->kv_current_answered = true;
		return;
	}
	hn_kvserver_reply(&daemon->kvserver, action->u.reply.request_id, answer);
}

static void hn_daemon_execute(struct hn_daemon *daemon, const struct hn_action *action)
{
	switch (action->kind) {
	case HN_ACTION_SEND_HEARTBEAT:
		hn_links_send_heartbeat(&daemon->links, action->link, &action->u.heartbeat);
		break;
	case HN_ACTION_SEND_DATA:
		hn_links_send_data(&daemon->links, action->link, &action->u.data);
		break;
	case HN_ACTION_IP_ADD:
	case HN_ACTION_IP_REMOVE:
		hn_daemon_ip(daemon, action->kind == HN_ACTION_IP_ADD);
		break;
	case HN_ACTION_SERVICES_START:
		hn_daemon_run(daemon, daemon->config.services_start, NULL, NULL);
		break;
	case HN_ACTION_SERVICES_STOP:
		hn_daemon_run(daemon, daemon->config.services_stop, NULL, NULL);
		break;
	case HN_ACTION_LOG:
		hn_clusterlog_write(&daemon->log, hn_loop_now_ms(), hn_loop_wall_ms(),
				    &action->u.log, hn_record_role(daemon, &action->u.log));
		break;
	case HN_ACTION_NOTIFY:
		hn_daemon_notify(daemon, action);
		break;
	case HN_ACTION_FENCE:
		hn_daemon_fence(daemon);
		break;
	case HN_ACTION_PERSIST:
	case HN_ACTION_STORE_RESET:
		hn_daemon_persist(daemon, action);
		break;
	case HN_ACTION_CLIENT_REPLY:
		hn_daemon_client_reply(daemon, action);
		break;
	case HN_ACTION_ADMIN_REPLY:
		hn_daemon_admin_reply(daemon, action);
		break;
	}
}

/* The generation file follows the core's generation and outdated flag. */
static void hn_daemon_generation_sync(struct hn_daemon *daemon)
{
	const struct hn_status *status = &daemon->status;
	if (daemon->generation_known &&
	    memcmp(&status->generation, &daemon->generation_written, sizeof(status->generation)) ==
		0 &&
	    status->outdated == daemon->outdated_written)
		return;
	char error[HN_ERROR_MAX];
	if (hn_persist_generation_write(&daemon->persist, &status->generation, status->outdated,
					error, sizeof(error)) != 0) {
		hn_daemon_log(daemon, "health", "", "", error);
		return;
	}
	daemon->generation_written = status->generation;
	daemon->outdated_written = status->outdated;
	daemon->generation_known = true;
}

static void hn_daemon_step_once(struct hn_daemon *daemon, const struct hn_event *event)
{
	uint64_t now_ms = hn_loop_now_ms();
	hn_node_step(daemon->node, event, now_ms, &daemon->actions);
	/* LOG records carry the role after the step. */
	hn_node_status(daemon->node, now_ms, &daemon->status);
	for (size_t i = 0; i < daemon->actions.count; i++)
		hn_daemon_execute(daemon, &daemon->actions.items[i]);
	hn_daemon_generation_sync(daemon);
}

void hn_daemon_step(struct hn_daemon *daemon, const struct hn_event *event)
{
	if (!daemon->paired)
		return;
	/* Before the core's start (the first health round), the peer's
	 * heartbeats and data wait: it sends them again. */
	if (daemon->start_pending &&
	    (event->kind == HN_EVENT_HEARTBEAT || event->kind == HN_EVENT_DATA))
		return;
	hn_daemon_step_once(daemon, event);
	for (size_t round = 0; daemon->deferred_count && round < HN_DEFERRED_MAX; round++) {
		struct hn_event deferred = daemon->deferred[0];
		daemon->deferred_count--;
		memmove(daemon->deferred, daemon->deferred + 1,
			daemon->deferred_count * sizeof(daemon->deferred[0]));
		hn_daemon_step_once(daemon, &deferred);
	}
}

void hn_daemon_step_simple(struct hn_daemon *daemon, enum hn_event_kind kind)
{
	memset(&daemon->event, 0, sizeof(daemon->event));
	daemon->event.kind = kind;
	hn_daemon_step(daemon, &daemon->event);
}
