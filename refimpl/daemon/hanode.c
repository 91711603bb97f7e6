/*
 * hanode.c - the reference failover node: main, the event loop's glue, and
 * the execution of the core's actions.
 *
 * hanode reads its configuration, opens its sockets and platform modules,
 * and then runs one thread around poll(). Everything that happens - a
 * heartbeat, a carrier change, a health round, an operator command, a
 * client's PUT, a timer - becomes one hn_event for the pure core
 * (refimpl/core), fed with the monotonic time; the core answers with an
 * ordered list of actions, which this file carries out in order: send via
 * links.c, cluster IP via netif, hooks via the runner, durable writes via
 * persist, records via clusterlog, answers via control.c and kvserver.c.
 * The core never calls back, so an action never runs inside a step; events
 * that an action itself produces (a fence that cannot start) are queued
 * and fed after the current list.
 *
 * A node without a cluster key ("unpaired") runs its control socket only,
 * until `hactl create` (draws a key) or `hactl join` (fetches one) pairs
 * it; then the core starts.
 *
 * Signal handlers only set flags. SIGTERM/SIGINT stop cleanly: the node
 * first hands over like an operator's maintenance (so the peer takes over
 * at once instead of after the dead time), then releases the cluster IP,
 * stops the services and logs "stop".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.h"
#include "clusterlog.h"
#include "config.h"
#include "control.h"
#include "hn_core.h"
#include "kvserver.h"
#include "links.h"
#include "loop.h"
#include "netif.h"
#include "pairing.h"
#include "persist.h"
#include "runner.h"

#define HN_ADMIN_PENDING_MAX 8
#define HN_ADMIN_TIMEOUT_MS  5000
#define HN_DEFERRED_MAX	     4
#define HN_STATUS_JSON_MAX   16384
#define HN_STOP_WAIT_MS	     3000
#define HN_CHECK_FDS_MAX     HN_CHECKS_FDS_MAX
#define HN_ERROR_MAX	     512

static volatile sig_atomic_t hn_stop_requested;

struct hn_admin_pending {
	bool used;
	enum hn_admin_command command;
	uint64_t request_id;
	struct hn_control_ticket ticket;
	uint64_t deadline_ms;
};

struct hn_daemon {
	struct hn_daemon_config config;
	struct hn_node *node;
	bool paired; /* has the cluster key; the core runs */
	bool stopping;
	struct hn_loop loop;
	struct hn_links links;
	struct hn_control control;
	struct hn_kvserver kvserver;
	struct hn_clusterlog log;
	struct hn_persist persist;
	struct hn_runner runner;
	struct hn_checks checks;
	bool checks_open;
	int check_fds[HN_CHECK_FDS_MAX];
	size_t check_fd_count;
	uint64_t next_health_ms;
	struct hn_netif_monitor monitor;
	struct hn_netif_garp garp;
	struct hn_pairing_server pairing;
	struct hn_pairing_secret secret;
	int core_timer;
	int house_timer;
	bool ip_held;
	uint64_t fence_run_id;
	bool peer_heard;
	struct hn_heartbeat peer_heartbeat; /* the last one received */
	struct hn_generation generation_written;
	bool outdated_written;
	bool generation_known;
	struct hn_admin_pending admin_pending[HN_ADMIN_PENDING_MAX];
	uint64_t next_admin_id;
	uint64_t kv_current_id; /* PUT being fed to the core right now */
	bool kv_current_answered;
	char kv_current_answer[HN_REASON_MAX + 16];
	size_t deferred_count;
	struct hn_event deferred[HN_DEFERRED_MAX];
	struct hn_event event;	   /* scratch: large, so not on the stack */
	struct hn_actions actions; /* scratch of the current step */
	struct hn_status status;   /* scratch */
};

static void hn_daemon_step(struct hn_daemon *daemon, const struct hn_event *event);
static void hn_daemon_reply_error(struct hn_daemon *daemon, struct hn_control_ticket ticket,
				  const char *message);

/* --------------------------------------------------------------- logging */

static void hn_daemon_log(struct hn_daemon *daemon, const char *event, const char *from,
			  const char *to, const char *reason)
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

static void hn_daemon_ip(struct hn_daemon *daemon, bool add)
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

/* The operator's maintenance survives a restart (a firmware update is one):
 * only an operator clears it (SPEC). The mark lives in data_dir. */
static void hn_daemon_maintenance_remember(struct hn_daemon *daemon, bool on)
{
	char path[HN_CONFIG_PATH_MAX + 16];
	FILE *mark;

	snprintf(path, sizeof(path), "%s/maintenance", daemon->config.data_dir);
	if (!on) {
		unlink(path);
		return;
	}
	mark = fopen(path, "w");
	if (!mark) {
		hn_daemon_log(daemon, "health", "", "", "cannot remember maintenance in data_dir");
		return;
	}
	fputs("maintenance set by the operator\n", mark);
	fclose(mark);
}

static bool hn_daemon_maintenance_remembered(const struct hn_daemon *daemon)
{
	char path[HN_CONFIG_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/maintenance", daemon->config.data_dir);
	return access(path, F_OK) == 0;
}

static void hn_daemon_admin_reply(struct hn_daemon *daemon, const struct hn_action *action)
{
	char message[HN_REASON_MAX + 48], text[2 * sizeof(message)], json[sizeof(text) + 32];
	for (size_t i = 0; i < HN_ADMIN_PENDING_MAX; i++) {
		struct hn_admin_pending *pending = &daemon->admin_pending[i];
		if (!pending->used || pending->request_id != action->u.reply.request_id)
			continue;
		if (action->u.reply.ok && (pending->command == HN_ADMIN_MAINTENANCE_ON ||
					   pending->command == HN_ADMIN_MAINTENANCE_OFF))
			hn_daemon_maintenance_remember(daemon,
						       pending->command == HN_ADMIN_MAINTENANCE_ON);
		/* A stored setting's reply text is its seq (store.c). */
		if (pending->command == HN_ADMIN_SETTING_SET && action->u.reply.ok)
			snprintf(message, sizeof(message), "setting saved on both nodes (seq %s)",
				 action->u.reply.text);
		else
			snprintf(message, sizeof(message), "%s", action->u.reply.text);
		hn_json_escape(message, text, sizeof(text));
		snprintf(json, sizeof(json), "{\"ok\":%s,\"%s\":\"%s\"}",
			 action->u.reply.ok ? "true" : "false",
			 action->u.reply.ok ? "message" : "error", text);
		hn_control_reply(&daemon->control, pending->ticket, json);
		pending->used = false;
	}
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

static void hn_daemon_step(struct hn_daemon *daemon, const struct hn_event *event)
{
	if (!daemon->paired)
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

static void hn_daemon_step_simple(struct hn_daemon *daemon, enum hn_event_kind kind)
{
	memset(&daemon->event, 0, sizeof(daemon->event));
	daemon->event.kind = kind;
	hn_daemon_step(daemon, &daemon->event);
}

/* ------------------------------------------------------ inputs: sockets */

static void hn_daemon_on_link(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	(void)revents;
	for (int link = 0; link < HN_LINKS; link++) {
		if (daemon->links.sockets[link].fd != fd)
			continue;
		for (int burst = 0; burst < HN_LINKS_RECEIVE_BURST; burst++) {
			struct hn_event *event = &daemon->event;
			memset(event, 0, sizeof(*event));
			int kind = hn_links_receive(&daemon->links, (enum hn_link)link,
						    &event->u.heartbeat, &event->u.data);
			if (kind < 0)
				break;
			if (kind == 0)
				continue;
			event->link = (enum hn_link)link;
			event->kind =
			    kind == HN_PACKET_HEARTBEAT ? HN_EVENT_HEARTBEAT : HN_EVENT_DATA;
			if (kind == HN_PACKET_HEARTBEAT) {
				daemon->peer_heartbeat = event->u.heartbeat;
				daemon->peer_heard = true;
			}
			hn_daemon_step(daemon, event);
		}
	}
}

static int hn_daemon_link_of(const struct hn_daemon *daemon, const char *ifname)
{
	for (int link = 0; link < HN_LINKS; link++)
		if (strcmp(daemon->config.links[link].interface, ifname) == 0)
			return link;
	return -1;
}

static void hn_daemon_carrier(struct hn_daemon *daemon, int link, bool carrier_up)
{
	memset(&daemon->event, 0, sizeof(daemon->event));
	daemon->event.kind = HN_EVENT_LINK;
	daemon->event.link = (enum hn_link)link;
	daemon->event.u.carrier_up = carrier_up;
	hn_daemon_step(daemon, &daemon->event);
}

static void hn_daemon_on_monitor(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	struct hn_netif_carrier_change changes[HN_NETIF_CHANGES_MAX];
	char error[HN_ERROR_MAX];
	(void)fd;
	(void)revents;
	int count = hn_netif_monitor_read(&daemon->monitor, changes, HN_NETIF_CHANGES_MAX, error,
					  sizeof(error));
	for (int i = 0; i < count; i++) {
		int link = hn_daemon_link_of(daemon, changes[i].ifname);
		if (link >= 0)
			hn_daemon_carrier(daemon, link, changes[i].carrier_up);
	}
}

/* -------------------------------------------- inputs: runner and checks */

static void hn_daemon_checks_sync_fds(struct hn_daemon *daemon);

static void hn_daemon_health_done(struct hn_daemon *daemon)
{
	memset(&daemon->event, 0, sizeof(daemon->event));
	daemon->event.kind = HN_EVENT_HEALTH;
	hn_checks_health(&daemon->checks, &daemon->event.u.health);
	hn_daemon_step(daemon, &daemon->event);
}

static void hn_daemon_on_runner(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	struct hn_runner_result results[HN_RUNNER_CHILDREN_MAX];
	(void)fd;
	(void)revents;
	int count = hn_runner_reap(&daemon->runner, results, HN_RUNNER_CHILDREN_MAX);
	for (int i = 0; i < count; i++) {
		if (daemon->checks_open && daemon->checks.in_round &&
		    hn_checks_on_runner_result(&daemon->checks, &results[i])) {
			if (hn_checks_round_done(&daemon->checks))
				hn_daemon_health_done(daemon);
			continue;
		}
		if (results[i].id == daemon->fence_run_id) {
			daemon->fence_run_id = 0;
			memset(&daemon->event, 0, sizeof(daemon->event));
			daemon->event.kind = HN_EVENT_FENCE_RESULT;
			daemon->event.u.fence_ok =
			    results[i].exit_status == 0 && !results[i].timed_out;
			hn_daemon_step(daemon, &daemon->event);
		}
	}
}

static void hn_daemon_on_check_fd(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	(void)revents;
	bool was_done = hn_checks_round_done(&daemon->checks);
	hn_checks_on_readable(&daemon->checks, fd);
	if (!was_done && hn_checks_round_done(&daemon->checks))
		hn_daemon_health_done(daemon);
	hn_daemon_checks_sync_fds(daemon);
}

/* The checks' sockets change from round to round (the ARP probe); keep the
 * loop's watches equal to what hn_checks_fds() reports. */
static void hn_daemon_checks_sync_fds(struct hn_daemon *daemon)
{
	int fds[HN_CHECK_FDS_MAX];
	char error[HN_ERROR_MAX];
	size_t count =
	    daemon->checks_open ? hn_checks_fds(&daemon->checks, fds, HN_CHECK_FDS_MAX) : 0;
	for (size_t i = 0; i < daemon->check_fd_count; i++)
		hn_loop_watch_remove(&daemon->loop, daemon->check_fds[i]);
	daemon->check_fd_count = 0;
	for (size_t i = 0; i < count; i++)
		if (hn_loop_watch_add(&daemon->loop, fds[i], POLLIN, hn_daemon_on_check_fd, daemon,
				      error, sizeof(error)) == 0)
			daemon->check_fds[daemon->check_fd_count++] = fds[i];
}

/* ------------------------------------------------------------- timers */

static void hn_daemon_on_core_timer(void *arg, uint64_t now_ms)
{
	struct hn_daemon *daemon = arg;
	(void)now_ms;
	hn_daemon_step_simple(daemon, HN_EVENT_TICK);
}

static void hn_daemon_admin_expire(struct hn_daemon *daemon, uint64_t now_ms)
{
	for (size_t i = 0; i < HN_ADMIN_PENDING_MAX; i++) {
		struct hn_admin_pending *pending = &daemon->admin_pending[i];
		if (!pending->used || pending->deadline_ms > now_ms)
			continue;
		hn_control_reply(
		    &daemon->control, pending->ticket,
		    "{\"ok\":false,\"error\":\"no answer from the node's core in time\"}");
		pending->used = false;
	}
}

static void hn_daemon_on_house_timer(void *arg, uint64_t now_ms)
{
	struct hn_daemon *daemon = arg;
	char error[HN_ERROR_MAX];
	hn_runner_on_deadline(&daemon->runner, now_ms);
	if (hn_netif_garp_next_deadline_ms(&daemon->garp) <= now_ms)
		hn_netif_garp_on_deadline(&daemon->garp, now_ms, error, sizeof(error));
	hn_daemon_admin_expire(daemon, now_ms);
	if (daemon->secret.valid && !hn_pairing_secret_usable(&daemon->secret, now_ms)) {
		daemon->secret.valid = false;
		hn_loop_watch_remove(&daemon->loop, daemon->pairing.client_fd);
		hn_loop_watch_remove(&daemon->loop, daemon->pairing.listen_fd);
		hn_pairing_server_close(&daemon->pairing);
	}
	if (!daemon->checks_open || !daemon->paired)
		return;
	if (hn_checks_next_deadline_ms(&daemon->checks) <= now_ms) {
		bool was_done = hn_checks_round_done(&daemon->checks);
		hn_checks_on_deadline(&daemon->checks, now_ms);
		if (!was_done && hn_checks_round_done(&daemon->checks))
			hn_daemon_health_done(daemon);
	}
	if (now_ms >= daemon->next_health_ms) {
		daemon->next_health_ms = now_ms + daemon->config.health_interval_ms;
		hn_checks_round_start(&daemon->checks, &daemon->runner, now_ms);
		if (hn_checks_round_done(&daemon->checks))
			hn_daemon_health_done(daemon);
	}
	hn_daemon_checks_sync_fds(daemon);
}

static uint64_t hn_min_ms(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void hn_daemon_arm_timers(struct hn_daemon *daemon)
{
	uint64_t house = hn_min_ms(hn_runner_next_deadline_ms(&daemon->runner),
				   hn_netif_garp_next_deadline_ms(&daemon->garp));
	for (size_t i = 0; i < HN_ADMIN_PENDING_MAX; i++)
		if (daemon->admin_pending[i].used)
			house = hn_min_ms(house, daemon->admin_pending[i].deadline_ms);
	if (daemon->secret.valid)
		house = hn_min_ms(house, daemon->secret.expires_ms);
	if (daemon->paired && daemon->checks_open) {
		house = hn_min_ms(house, hn_checks_next_deadline_ms(&daemon->checks));
		house = hn_min_ms(house, daemon->next_health_ms);
	}
	hn_loop_timer_arm(&daemon->loop, daemon->house_timer, house);
	hn_loop_timer_arm(&daemon->loop, daemon->core_timer,
			  daemon->paired ? hn_node_next_deadline_ms(daemon->node) : HN_LOOP_NEVER);
}
/* ------------------------------------------------------------- status */

static void hn_daemon_status(struct hn_daemon *daemon, struct hn_control_ticket ticket)
{
	static char json[HN_STATUS_JSON_MAX];
	if (daemon->paired)
		hn_node_status(daemon->node, hn_loop_now_ms(), &daemon->status);
	else
		memset(&daemon->status, 0, sizeof(daemon->status));
	struct hn_control_status_view view = {
	    .paired = daemon->paired,
	    .now_ms = hn_loop_now_ms(),
	    .status = &daemon->status,
	    .self = &daemon->config.core.self,
	    .link_configs = daemon->config.links,
	    .peer = daemon->peer_heard ? &daemon->peer_heartbeat : NULL,
	    .checks = daemon->checks_open ? hn_checks_result(&daemon->checks) : NULL,
	    .links = &daemon->links,
	    .ip_held = daemon->ip_held,
	};
	if (hn_control_status_render(&view, json, sizeof(json)) != 0)
		hn_daemon_reply_error(daemon, ticket, "status does not fit the answer buffer");
	else
		hn_control_reply(&daemon->control, ticket, json);
}

/* ---------------------------------------------------- operator commands */

static void hn_daemon_reply_error(struct hn_daemon *daemon, struct hn_control_ticket ticket,
				  const char *message)
{
	char escaped[2 * HN_REASON_MAX], json[2 * HN_REASON_MAX + 32];
	hn_json_escape(message, escaped, sizeof(escaped));
	snprintf(json, sizeof(json), "{\"ok\":false,\"error\":\"%s\"}", escaped);
	hn_control_reply(&daemon->control, ticket, json);
}

/* Feed an admin command; the answer comes with the core's ADMIN_REPLY. */
static void hn_daemon_admin(struct hn_daemon *daemon, struct hn_control_ticket ticket,
			    enum hn_admin_command command, const char *key, const char *value)
{
	if (!daemon->paired) {
		hn_daemon_reply_error(daemon, ticket,
				      "not in a cluster: run hactl create or hactl join first");
		return;
	}
	struct hn_admin_pending *pending = NULL;
	for (size_t i = 0; i < HN_ADMIN_PENDING_MAX && !pending; i++)
		if (!daemon->admin_pending[i].used)
			pending = &daemon->admin_pending[i];
	if (!pending) {
		hn_daemon_reply_error(daemon, ticket, "busy: too many commands in progress");
		return;
	}
	*pending = (struct hn_admin_pending){true, command, ++daemon->next_admin_id, ticket,
					     hn_loop_now_ms() + HN_ADMIN_TIMEOUT_MS};
	struct hn_event *event = &daemon->event;
	memset(event, 0, sizeof(*event));
	event->kind = HN_EVENT_ADMIN;
	event->u.admin.command = command;
	event->u.admin.request_id = pending->request_id;
	snprintf(event->u.admin.key, sizeof(event->u.admin.key), "%s", key);
	snprintf(event->u.admin.value, sizeof(event->u.admin.value), "%s", value);
	hn_daemon_step(daemon, event);
}

static void hn_daemon_log_lines(struct hn_daemon *daemon, struct hn_control_ticket ticket,
				const char *count_text)
{
	static char json_buffer[HN_CLUSTERLOG_KEPT * (HN_CLUSTERLOG_LINE_MAX + 4) + 64];
	const char *lines[HN_CLUSTERLOG_KEPT];
	char *end = NULL;
	unsigned long count = count_text ? strtoul(count_text, &end, 10) : 20;
	if (count_text && (*end || count == 0)) {
		hn_daemon_reply_error(daemon, ticket, "log: N must be a positive integer");
		return;
	}
	size_t found = hn_clusterlog_recent(&daemon->log, count, lines);
	struct hn_text json = {json_buffer, sizeof(json_buffer), 0};
	hn_text_add(&json, "{\"ok\":true,\"lines\":[");
	for (size_t i = 0; i < found; i++)
		hn_text_add(&json, "%s%s", i ? "," : "", lines[i]);
	hn_text_add(&json, "]}");
	hn_control_reply(&daemon->control, ticket, json_buffer);
}

static void hn_daemon_setting_get(struct hn_daemon *daemon, struct hn_control_ticket ticket,
				  const char *key)
{
	char json[3 * HN_VALUE_MAX], escaped[2 * HN_VALUE_MAX];
	char stored_key[HN_KEY_MAX + 16];
	/* fsm_admin.c stores a setting as the replicated key "setting/<key>". */
	snprintf(stored_key, sizeof(stored_key), "setting/%s", key);
	const struct hn_entry *entry = daemon->paired && strlen(stored_key) < HN_KEY_MAX
					   ? hn_node_get(daemon->node, stored_key)
					   : NULL;
	if (!entry) {
		hn_daemon_reply_error(daemon, ticket, "setting not set");
		return;
	}
	hn_json_escape(entry->value, escaped, sizeof(escaped));
	snprintf(json, sizeof(json), "{\"ok\":true,\"value\":\"%s\"}", escaped);
	hn_control_reply(&daemon->control, ticket, json);
}

static void hn_daemon_pairing_secret(struct hn_daemon *daemon, struct hn_control_ticket ticket);
static void hn_daemon_join_request(struct hn_daemon *daemon, struct hn_control_ticket ticket);
static void hn_daemon_join_data(struct hn_daemon *daemon, struct hn_control_ticket ticket,
				const char *words);

struct hn_admin_word {
	const char *request;
	enum hn_admin_command command;
};

static const struct hn_admin_word hn_admin_words[] = {
    {"maintenance on", HN_ADMIN_MAINTENANCE_ON}, {"maintenance off", HN_ADMIN_MAINTENANCE_OFF},
    {"switchover", HN_ADMIN_SWITCHOVER},	 {"disconnect", HN_ADMIN_DISCONNECT},
    {"reconnect", HN_ADMIN_RECONNECT},		 {"disband", HN_ADMIN_DISBAND},
    {"force-start", HN_ADMIN_FORCE_START},
};

static void hn_daemon_on_control(void *arg, struct hn_control *control,
				 struct hn_control_ticket ticket, char *line)
{
	struct hn_daemon *daemon = arg;
	char key[HN_KEY_MAX + 1] = "", value[HN_VALUE_MAX + 1] = "";
	int consumed = 0;
	(void)control;
	for (size_t i = 0; i < sizeof(hn_admin_words) / sizeof(hn_admin_words[0]); i++) {
		if (strcmp(line, hn_admin_words[i].request) == 0) {
			hn_daemon_admin(daemon, ticket, hn_admin_words[i].command, "", "");
			return;
		}
	}
	if (strcmp(line, "status") == 0 || strcmp(line, "status --json") == 0) {
		hn_daemon_status(daemon, ticket);
	} else if (strcmp(line, "log") == 0 || strncmp(line, "log ", 4) == 0) {
		hn_daemon_log_lines(daemon, ticket, line[3] ? line + 4 : NULL);
	} else if (sscanf(line, "setting get %64s%n", key, &consumed) == 1 && !line[consumed]) {
		hn_daemon_setting_get(daemon, ticket, key);
	} else if (sscanf(line, "setting set %64s %n", key, &consumed) == 1 && consumed &&
		   line[consumed]) {
		snprintf(value, sizeof(value), "%s", line + consumed);
		if (strlen(key) >= HN_KEY_MAX || strlen(line + consumed) >= HN_VALUE_MAX)
			hn_daemon_reply_error(daemon, ticket, "setting: key or value too long");
		else
			hn_daemon_admin(daemon, ticket, HN_ADMIN_SETTING_SET, key, value);
	} else if (strcmp(line, "pairing-secret") == 0) {
		hn_daemon_pairing_secret(daemon, ticket);
	} else if (strcmp(line, "join-request") == 0) {
		hn_daemon_join_request(daemon, ticket);
	} else if (strncmp(line, "join-data ", 10) == 0) {
		hn_daemon_join_data(daemon, ticket, line + 10);
	} else {
		hn_daemon_reply_error(daemon, ticket, "unknown request");
	}
}

/* ------------------------------------------------------- store clients */

static int hn_daemon_on_kv(void *arg, const struct hn_kv_request *request, char *answer,
			   size_t answer_size)
{
	struct hn_daemon *daemon = arg;
	if (!daemon->paired || !hn_node_serves_clients(daemon->node)) {
		snprintf(answer, answer_size, "ERR standby");
		return 0;
	}
	if (request->kind == HN_KV_GET) {
		const struct hn_entry *entry = hn_node_get(daemon->node, request->key);
		if (entry)
			snprintf(answer, answer_size, "VALUE %s", entry->value);
		else
			snprintf(answer, answer_size, "NOTFOUND");
		return 0;
	}
	struct hn_event *event = &daemon->event;
	memset(event, 0, sizeof(*event));
	event->kind = HN_EVENT_CLIENT_WRITE;
	event->u.write.request_id = request->request_id;
	memcpy(event->u.write.key, request->key, sizeof(event->u.write.key));
	memcpy(event->u.write.value, request->value, sizeof(event->u.write.value));
	daemon->kv_current_id = request->request_id;
	daemon->kv_current_answered = false;
	hn_daemon_step(daemon, event);
	daemon->kv_current_id = 0;
	if (!daemon->kv_current_answered)
		return 1;
	snprintf(answer, answer_size, "%s", daemon->kv_current_answer);
	return 0;
}

/* ------------------------------------------------------------ the core */

static int hn_daemon_core_start(struct hn_daemon *daemon, const uint8_t key[HN_KEY_BYTES],
				char *error, size_t error_size)
{
	if (hn_node_init(daemon->node, &daemon->config.core, error, error_size) != 0)
		return -1;
	size_t count = 0;
	const struct hn_entry *entries = hn_persist_entries(&daemon->persist, &count);
	for (size_t i = 0; i < count; i++)
		hn_node_restore_entry(daemon->node, &entries[i]);
	struct hn_generation generation;
	bool outdated = false;
	if (hn_persist_generation_read(&daemon->persist, &generation, &outdated, error,
				       error_size) == 1) {
		hn_node_restore_generation(daemon->node, &generation, outdated);
		daemon->generation_written = generation;
		daemon->outdated_written = outdated;
		daemon->generation_known = true;
	}
	hn_links_set_key(&daemon->links, key);
	daemon->paired = true;
	daemon->next_health_ms = hn_loop_now_ms();
	hn_daemon_step_simple(daemon, HN_EVENT_START);
	if (hn_daemon_maintenance_remembered(daemon)) {
		struct hn_event *event = &daemon->event;
		memset(event, 0, sizeof(*event));
		event->kind = HN_EVENT_ADMIN;
		event->u.admin.command = HN_ADMIN_MAINTENANCE_ON;
		hn_daemon_step(daemon, event);
	}
	for (int link = 0; link < HN_LINKS; link++) {
		bool carrier_up = false;
		if (!daemon->config.links[link].interface[0])
			continue;
		if (hn_netif_carrier_get(daemon->config.links[link].interface, &carrier_up, error,
					 error_size) != 0)
			carrier_up = false;
		hn_daemon_carrier(daemon, link, carrier_up);
	}
	return 0;
}

/* ------------------------------------------------------ create and join */

static void hn_daemon_on_pairing_client(void *arg, int fd, short revents);

static void hn_daemon_on_pairing_listen(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	char error[HN_ERROR_MAX];
	(void)fd;
	(void)revents;
	if (daemon->pairing.client_fd >= 0)
		hn_loop_watch_remove(&daemon->loop, daemon->pairing.client_fd);
	int client_fd = hn_pairing_server_accept(&daemon->pairing);
	if (client_fd >= 0 &&
	    hn_loop_watch_add(&daemon->loop, client_fd, POLLIN, hn_daemon_on_pairing_client, daemon,
			      error, sizeof(error)) != 0)
		hn_pairing_server_close(&daemon->pairing);
}

/* The first node's side of a join: answer, log, and use the secret up. */
static void hn_daemon_pairing_answer(struct hn_daemon *daemon, const char *request, char *answer,
				     size_t answer_size)
{
	struct hn_identity joiner;
	char settings[512], note[HN_REASON_MAX + 64];
	hn_daemon_config_cluster_text(&daemon->config, settings, sizeof(settings));
	if (hn_pairing_answer(&daemon->config.core.self, daemon->config.core.protocol_version,
			      daemon->links.key, settings, request, &joiner, answer,
			      answer_size) != 0) {
		hn_pairing_word(answer, "reason", note, sizeof(note));
		hn_daemon_log(daemon, "refused", "", "", note);
		return;
	}
	daemon->secret.valid = false; /* used once */
	snprintf(note, sizeof(note), "node %s (id %u) joined with the pairing secret", joiner.name,
		 joiner.node_id);
	hn_daemon_log(daemon, "admin", "", "", note);
}

static void hn_daemon_on_pairing_client(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	char request[HN_PAIRING_TEXT_MAX], answer[HN_PAIRING_TEXT_MAX];
	uint8_t wire[HN_PAIRING_WIRE_MAX];
	(void)revents;
	int state = hn_pairing_server_read(&daemon->pairing);
	if (state == 0)
		return;
	hn_loop_watch_remove(&daemon->loop, fd);
	if (state < 0)
		return;
	if (!hn_pairing_secret_usable(&daemon->secret, hn_loop_now_ms()) ||
	    hn_pairing_open(daemon->secret.secret, daemon->pairing.buffer, daemon->pairing.used,
			    request, sizeof(request)) != 0) {
		/* Not the secret's holder: no answer at all, and count it. */
		daemon->secret.failures++;
		hn_pairing_server_answer(&daemon->pairing, wire, 0);
		return;
	}
	hn_daemon_pairing_answer(daemon, request, answer, sizeof(answer));
	int length = hn_pairing_seal(daemon->secret.secret, answer, wire, sizeof(wire));
	hn_pairing_server_answer(&daemon->pairing, wire, length > 0 ? (size_t)length : 0);
	if (!daemon->secret.valid) {
		hn_loop_watch_remove(&daemon->loop, daemon->pairing.listen_fd);
		hn_pairing_server_close(&daemon->pairing);
	}
}

/* hactl create: a node without a key draws one and starts alone. */
static void hn_daemon_pairing_secret(struct hn_daemon *daemon, struct hn_control_ticket ticket)
{
	char error[HN_ERROR_MAX], hex[HN_PAIRING_SECRET_HEX], json[256];
	const struct hn_link_config *sync = &daemon->config.links[HN_LINK_SYNC];
	if (!daemon->paired) {
		uint8_t key[HN_KEY_BYTES];
		randombytes_buf(key, sizeof(key));
		if (hn_pairing_key_write(daemon->config.key_file, key, error, sizeof(error)) != 0 ||
		    hn_daemon_core_start(daemon, key, error, sizeof(error)) != 0) {
			hn_daemon_reply_error(daemon, ticket, error);
			return;
		}
		hn_daemon_log(daemon, "admin", "", "", "cluster created: new cluster key");
	}
	/* A second create draws a new secret on the same listening socket. */
	bool listening = daemon->pairing.listen_fd >= 0;
	if (hn_pairing_server_listen(&daemon->pairing, sync->address, daemon->config.pairing_port,
				     sync->interface, error, sizeof(error)) != 0 ||
	    (!listening &&
	     hn_loop_watch_add(&daemon->loop, daemon->pairing.listen_fd, POLLIN,
			       hn_daemon_on_pairing_listen, daemon, error, sizeof(error)) != 0)) {
		hn_daemon_reply_error(daemon, ticket, error);
		return;
	}
	hn_pairing_secret_new(&daemon->secret, hn_loop_now_ms(), hex);
	snprintf(json, sizeof(json),
		 "{\"ok\":true,\"secret\":\"%s\",\"valid_ms\":%u,\"peer\":\"%s\",\"port\":%u}", hex,
		 HN_PAIRING_VALID_MS, sync->address, daemon->config.pairing_port);
	hn_control_reply(&daemon->control, ticket, json);
}

static void hn_daemon_join_request(struct hn_daemon *daemon, struct hn_control_ticket ticket)
{
	char request[HN_PAIRING_TEXT_MAX], json[HN_PAIRING_TEXT_MAX + 64];
	if (daemon->paired) {
		hn_daemon_reply_error(daemon, ticket,
				      "this node already has a cluster key; remove key_file and "
				      "data_dir before joining another cluster");
		return;
	}
	hn_pairing_request(&daemon->config.core.self, daemon->config.core.protocol_version, request,
			   sizeof(request));
	snprintf(json, sizeof(json), "{\"ok\":true,\"request\":\"%s\",\"pairing_port\":%u}",
		 request, daemon->config.pairing_port);
	hn_control_reply(&daemon->control, ticket, json);
}

/* Writes the cluster-wide words of the first node into cluster.conf. */
static int hn_daemon_write_cluster_conf(struct hn_daemon *daemon, const char *words, char *error,
					size_t error_size)
{
	char path[HN_CONFIG_PATH_MAX + 16], copy[HN_PAIRING_TEXT_MAX];
	snprintf(path, sizeof(path), "%s/cluster.conf", daemon->config.data_dir);
	snprintf(copy, sizeof(copy), "%s", words);
	FILE *file = fopen(path, "w");
	if (!file) {
		snprintf(error, error_size, "hn_daemon_join: %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(file, "# written by hactl join: the cluster's settings, received from the peer\n");
	char *save = NULL;
	for (char *word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		char *equals = strchr(word, '=');
		if (!equals)
			continue;
		*equals = '\0';
		if (hn_daemon_config_is_cluster_key(word))
			fprintf(file, "%s = %s\n", word, equals + 1);
	}
	bool ok = fflush(file) == 0 && fsync(fileno(file)) == 0;
	fclose(file);
	if (!ok) {
		snprintf(error, error_size, "hn_daemon_join: %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* hactl join: the answer of the first node, passed on by hactl. The local
 * store is dropped: the first node's data overwrites it (resync). */
static void hn_daemon_join_data(struct hn_daemon *daemon, struct hn_control_ticket ticket,
				const char *words)
{
	static struct hn_daemon_config joined;
	char error[HN_ERROR_MAX], key_hex[2 * HN_KEY_BYTES + 2];
	uint8_t key[HN_KEY_BYTES];
	if (daemon->paired) {
		hn_daemon_reply_error(daemon, ticket, "this node already has a cluster key");
		return;
	}
	hn_pairing_word(words, "key", key_hex, sizeof(key_hex));
	if (hn_pairing_key_parse(key_hex, key) != 0) {
		hn_daemon_reply_error(daemon, ticket, "join-data: key=<64 hex digits> missing");
		return;
	}
	if (hn_daemon_write_cluster_conf(daemon, words, error, sizeof(error)) != 0 ||
	    hn_daemon_config_load(&joined, daemon->config.path, error, sizeof(error)) != 0)
		goto fail;
	daemon->config.core = joined.core;
	snprintf(daemon->config.cluster_ip, sizeof(daemon->config.cluster_ip), "%s",
		 joined.cluster_ip);
	snprintf(daemon->config.cluster_ip_interface, sizeof(daemon->config.cluster_ip_interface),
		 "%s", joined.cluster_ip_interface);
	if (hn_persist_reset(&daemon->persist, error, sizeof(error)) != 0 ||
	    hn_pairing_key_write(daemon->config.key_file, key, error, sizeof(error)) != 0 ||
	    hn_daemon_core_start(daemon, key, error, sizeof(error)) != 0)
		goto fail;
	sodium_memzero(key, sizeof(key));
	hn_daemon_log(daemon, "admin", "", "", "joined the cluster: local data dropped for resync");
	hn_control_reply(
	    &daemon->control, ticket,
	    "{\"ok\":true,\"message\":\"joined the cluster; data resyncs from the peer\"}");
	return;
fail:
	sodium_memzero(key, sizeof(key));
	hn_daemon_reply_error(daemon, ticket, error);
}

/* ------------------------------------------------------ start and stop */

static void hn_on_stop_signal(int signal_number)
{
	(void)signal_number;
	hn_stop_requested = 1;
}

static int hn_daemon_signals(struct hn_daemon *daemon, char *error, size_t error_size)
{
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = hn_on_stop_signal;
	sigemptyset(&action.sa_mask);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	action.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &action, NULL);
	sigaction(SIGHUP, &action, NULL);
	sigset_t handled;
	sigemptyset(&handled);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGINT);
	return hn_loop_init(&daemon->loop, &handled, error, error_size);
}

static int hn_daemon_watch_links(struct hn_daemon *daemon, char *error, size_t error_size)
{
	for (int link = 0; link < HN_LINKS; link++) {
		const char *ifname = daemon->config.links[link].interface;
		bool carrier_up;
		if (!ifname[0])
			continue;
		if (hn_loop_watch_add(&daemon->loop, daemon->links.sockets[link].fd, POLLIN,
				      hn_daemon_on_link, daemon, error, error_size) != 0 ||
		    hn_netif_monitor_watch(&daemon->monitor, ifname, &carrier_up, error,
					   error_size) != 0)
			return -1;
	}
	return hn_loop_watch_add(&daemon->loop, hn_netif_monitor_fd(&daemon->monitor), POLLIN,
				 hn_daemon_on_monitor, daemon, error, error_size);
}

static int hn_daemon_open_checks(struct hn_daemon *daemon, char *error, size_t error_size)
{
	struct hn_checks_config checks = daemon->config.checks;
	if (daemon->config.core.tiebreaker == HN_TIEBREAKER_PING && daemon->config.cluster_ip[0]) {
		snprintf(checks.probe_ifname, sizeof(checks.probe_ifname), "%s",
			 daemon->config.cluster_ip_interface);
		hn_daemon_config_cluster_ip_address(&daemon->config, checks.probe_ip,
						    sizeof(checks.probe_ip));
	}
	if (hn_checks_open(&daemon->checks, &checks, error, error_size) != 0)
		return -1;
	daemon->checks_open = true;
	return 0;
}

/* Opens everything in order; on failure main closes what was opened. */
static int hn_daemon_open(struct hn_daemon *daemon, char *error, size_t error_size)
{
	const struct hn_daemon_config *config = &daemon->config;
	char leftover[HN_ERROR_MAX];
	mkdir(config->data_dir, 0700);
	if (hn_daemon_signals(daemon, error, error_size) != 0 ||
	    hn_clusterlog_open(&daemon->log, config->log_file, config->core.self.name,
			       config->syslog, error, error_size) != 0 ||
	    hn_persist_open(&daemon->persist, config->data_dir, 0, error, error_size) != 0 ||
	    hn_runner_open(&daemon->runner, error, error_size) != 0 ||
	    hn_loop_watch_add(&daemon->loop, hn_runner_fd(&daemon->runner), POLLIN,
			      hn_daemon_on_runner, daemon, error, error_size) != 0 ||
	    hn_links_open(&daemon->links, config, error, error_size) != 0 ||
	    hn_netif_monitor_open(&daemon->monitor, error, error_size) != 0 ||
	    hn_daemon_watch_links(daemon, error, error_size) != 0 ||
	    hn_daemon_open_checks(daemon, error, error_size) != 0 ||
	    hn_control_open(&daemon->control, &daemon->loop, config->control_socket,
			    hn_daemon_on_control, daemon, error, error_size) != 0 ||
	    hn_kvserver_open(&daemon->kvserver, &daemon->loop, config->store_port, hn_daemon_on_kv,
			     daemon, error, error_size) != 0)
		return -1;
	daemon->core_timer = hn_loop_timer_add(&daemon->loop, hn_daemon_on_core_timer, daemon);
	daemon->house_timer = hn_loop_timer_add(&daemon->loop, hn_daemon_on_house_timer, daemon);
	/* A cluster IP left behind by a crash must not answer for a standby. */
	if (config->cluster_ip[0])
		hn_netif_address_remove(config->cluster_ip_interface, config->cluster_ip, leftover,
					sizeof(leftover));
	return 0;
}

/* Hand over like maintenance, wait briefly for the services to stop, drop
 * the cluster IP whatever the core did. */
static void hn_daemon_stop(struct hn_daemon *daemon)
{
	daemon->stopping = true;
	if (daemon->paired) {
		struct hn_event *event = &daemon->event;
		memset(event, 0, sizeof(*event));
		event->kind = HN_EVENT_ADMIN;
		event->u.admin.command = HN_ADMIN_MAINTENANCE_ON;
		hn_daemon_step(daemon, event);
	}
	uint64_t until_ms = hn_loop_now_ms() + HN_STOP_WAIT_MS;
	while (hn_runner_running(&daemon->runner) && hn_loop_now_ms() < until_ms) {
		struct pollfd wait = {hn_runner_fd(&daemon->runner), POLLIN, 0};
		poll(&wait, 1, 50);
		struct hn_runner_result results[HN_RUNNER_CHILDREN_MAX];
		hn_runner_reap(&daemon->runner, results, HN_RUNNER_CHILDREN_MAX);
	}
	if (daemon->ip_held)
		hn_daemon_ip(daemon, false);
	hn_daemon_log(daemon, "stop", "", "", "hanode stopped by signal");
}

static void hn_daemon_close(struct hn_daemon *daemon)
{
	hn_kvserver_close(&daemon->kvserver);
	hn_control_close(&daemon->control);
	hn_pairing_server_close(&daemon->pairing);
	if (daemon->checks_open)
		hn_checks_close(&daemon->checks);
	hn_netif_garp_close(&daemon->garp);
	hn_netif_monitor_close(&daemon->monitor);
	hn_links_close(&daemon->links);
	hn_runner_close(&daemon->runner);
	hn_persist_close(&daemon->persist);
	hn_clusterlog_close(&daemon->log);
}

/* Every descriptor starts at -1 so that closing a half-opened daemon
 * closes exactly what was opened. */
static void hn_daemon_prepare(struct hn_daemon *daemon)
{
	daemon->log.fd = -1;
	daemon->persist.dir_fd = daemon->persist.log_fd = -1;
	daemon->runner.epoll_fd = -1;
	for (int link = 0; link < HN_LINKS; link++)
		daemon->links.sockets[link].fd = -1;
	daemon->monitor.fd = -1;
	daemon->garp.fd = -1;
	daemon->control.listen_fd = -1;
	daemon->kvserver.listen_fd = -1;
	daemon->core_timer = daemon->house_timer = -1;
	hn_pairing_server_init(&daemon->pairing);
}

static void hn_usage(FILE *out)
{
	fprintf(out, "usage: hanode -c FILE [-f] [--check-config]\n"
		     "  -c FILE          configuration (see hanode.conf.example)\n"
		     "  -f               stay in the foreground\n"
		     "  --check-config   validate the configuration and the key file, then exit\n");
}

struct hn_options {
	const char *config_path;
	bool foreground;
	bool check_only;
};

static int hn_options_parse(int argc, char **argv, struct hn_options *options)
{
	static const struct option long_options[] = {{"check-config", no_argument, NULL, 'k'},
						     {"help", no_argument, NULL, 'h'},
						     {NULL, 0, NULL, 0}};
	int option;
	memset(options, 0, sizeof(*options));
	while ((option = getopt_long(argc, argv, "c:fh", long_options, NULL)) != -1) {
		switch (option) {
		case 'c':
			options->config_path = optarg;
			break;
		case 'f':
			options->foreground = true;
			break;
		case 'k':
			options->check_only = true;
			break;
		case 'h':
			hn_usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	return options->config_path && optind == argc ? 0 : -1;
}

static int hn_daemon_main(struct hn_daemon *daemon, const uint8_t *key)
{
	char error[HN_ERROR_MAX];
	int status = 1;
	hn_daemon_prepare(daemon);
	if (hn_daemon_open(daemon, error, sizeof(error)) != 0) {
		fprintf(stderr, "hanode: %s\n", error);
		goto cleanup;
	}
	/* With a key, the core logs "start" itself at HN_EVENT_START. */
	if (!key)
		hn_daemon_log(daemon, "start", "", "",
			      "hanode started without a cluster key: waiting for create or join");
	if (key && hn_daemon_core_start(daemon, key, error, sizeof(error)) != 0) {
		fprintf(stderr, "hanode: %s\n", error);
		goto cleanup;
	}
	while (!hn_stop_requested) {
		hn_daemon_arm_timers(daemon);
		if (hn_loop_run_once(&daemon->loop, error, sizeof(error)) != 0) {
			fprintf(stderr, "hanode: %s\n", error);
			goto cleanup;
		}
	}
	hn_daemon_stop(daemon);
	status = 0;
cleanup:
	hn_daemon_close(daemon);
	return status;
}

int main(int argc, char **argv)
{
	struct hn_options options;
	char error[HN_ERROR_MAX];
	uint8_t key[HN_KEY_BYTES];
	if (hn_options_parse(argc, argv, &options) != 0) {
		hn_usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "hanode: sodium_init failed\n");
		return 1;
	}
	struct hn_daemon *instance = calloc(1, sizeof(*instance));
	if (!instance)
		return 1;
	int status = 2, have_key = 0;
	if (hn_daemon_config_load(&instance->config, options.config_path, error, sizeof(error)) !=
		0 ||
	    (have_key = hn_pairing_key_read(instance->config.key_file, key, error, sizeof(error))) <
		0) {
		fprintf(stderr, "hanode: %s\n", error);
		goto cleanup;
	}
	if (options.check_only) {
		printf("%s: ok%s\n", options.config_path,
		       have_key ? "" : " (no key_file yet: unpaired)");
		status = 0;
		goto cleanup;
	}
	instance->node = calloc(1, hn_node_size());
	status = 1;
	if (!instance->node || (!options.foreground && daemon(0, 0) != 0)) {
		fprintf(stderr, "hanode: cannot start: %s\n", strerror(errno));
		goto cleanup;
	}
	status = hn_daemon_main(instance, have_key ? key : NULL);
cleanup:
	sodium_memzero(key, sizeof(key));
	if (instance)
		free(instance->node);
	free(instance);
	return status;
}
