/*
 * admin.c - operator commands (HN_EVENT_ADMIN): maintenance on/off,
 * switchover, disconnect/reconnect, disband, force start and cluster-wide
 * settings. Part of the fourth layer of the core (node.h): a command is
 * checked here, and the change it makes is a row of the transition table
 * (rules.c) run by the command's trigger, so that every role or state
 * change is in the table and the diagram.
 *
 * Every command is answered with exactly one HN_ACTION_ADMIN_REPLY and
 * logged as an "admin" record, both after the actions the command itself
 * caused; what the rules do next in the same step (e.g. the transition to
 * active after a force start or maintenance off) follows the reply. A
 * command that cannot be carried out changes nothing and says why in the
 * reply (ok=false); the texts are meant for the operator and are stable
 * (tests compare them). A setting is a replicated write of key
 * "setting/<key>": its reply comes from store.c once the standby has it (or
 * the peer is gone). Names of the commands: names.c.
 */
#include "rules.h"

#include <stdio.h>
#include <string.h>

/* Runs the command's rows; a command that admin.c accepted always has one
 * that fires (test_fsm checks every command). */
static const char *hn_admin_run(struct hn_node *node, enum hn_trigger trigger,
				struct hn_actions *actions)
{
	if (hn_rules_run(node, trigger, actions) == 0)
		return "no rule of the transition table applies";
	return NULL;
}

/* ----------------------------------------------------------- commands */

/* Each command returns NULL when done, or the refusal; *text gets the
 * operator's confirmation on success, or (*deferred) what the admin record
 * says while the reply comes later (a replicated setting, a switchover
 * waiting for writes in flight). */
typedef const char *hn_admin_handler(struct hn_node *node, const struct hn_event *event,
				     struct hn_actions *actions, const char **text, bool *deferred);

static const char *hn_admin_maintenance_on(struct hn_node *node, const struct hn_event *event,
					   struct hn_actions *actions, const char **text,
					   bool *deferred)
{
	(void)deferred;
	(void)event;
	if (node->state == HN_STATE_STANDALONE || node->state == HN_STATE_DISCONNECTED)
		return "maintenance needs a connected cluster node";
	if (node->state == HN_STATE_MAINTENANCE)
		return "already in maintenance";
	*text = "maintenance on";
	return hn_admin_run(node, HN_ON_MAINTENANCE_ON, actions);
}

static const char *hn_admin_maintenance_off(struct hn_node *node, const struct hn_event *event,
					    struct hn_actions *actions, const char **text,
					    bool *deferred)
{
	(void)deferred;
	(void)event;
	if (node->state != HN_STATE_MAINTENANCE)
		return "not in maintenance";
	*text = "maintenance off";
	return hn_admin_run(node, HN_ON_MAINTENANCE_OFF, actions);
}

/* On the active node: hand over now, or wait (at most dead_time_ms) for
 * the writes in flight; the rows of rules.c finish a waiting switchover
 * and send the reply. On the standby: ask the active (SWITCHOVER_REQUEST in
 * our heartbeats for 2 x dead_time_ms). */
static const char *hn_admin_switchover(struct hn_node *node, const struct hn_event *event,
				       struct hn_actions *actions, const char **text,
				       bool *deferred)
{
	if (node->role == HN_ROLE_ACTIVE) {
		const char *refusal;
		enum hn_switchover verdict = hn_rules_switchover(node, &refusal);
		if (node->switchover_waiting)
			return "a switchover is already waiting";
		if (verdict == HN_SWITCHOVER_REFUSED)
			return refusal;
		if (verdict == HN_SWITCHOVER_IN_FLIGHT) {
			node->switchover_waiting = true;
			node->switchover_by_peer = false;
			node->switchover_reply = true;
			node->switchover_request_id = event->u.admin.request_id;
			node->switchover_until_wait_ms =
			    node->now_ms + node->config.timers.dead_time_ms;
			*deferred = true;
			*text = "waiting for the writes in flight";
			return NULL;
		}
		*text = "switchover started";
		return hn_admin_run(node, HN_ON_SWITCHOVER, actions);
	}
	if (node->state != HN_STATE_NORMAL || node->store.outdated)
		return "this node is not an eligible standby";
	if (!hn_peer_alive(node) || node->peer.last.role != HN_ROLE_ACTIVE ||
	    node->peer.last.state != HN_STATE_NORMAL)
		return "the peer is not active in state normal";
	if (!node->store.in_sync)
		return "data is not in sync";
	node->switchover_requested = true;
	node->switchover_until_ms = node->now_ms + 2ull * node->config.timers.dead_time_ms;
	hn_emit_heartbeats(node, actions);
	*text = "switchover requested from the active node";
	return NULL;
}

static const char *hn_admin_disconnect(struct hn_node *node, const struct hn_event *event,
				       struct hn_actions *actions, const char **text,
				       bool *deferred)
{
	(void)deferred;
	(void)event;
	if (node->state != HN_STATE_NORMAL)
		return "disconnect needs state normal";
	*text = "disconnected";
	return hn_admin_run(node, HN_ON_DISCONNECT, actions);
}

static const char *hn_admin_reconnect(struct hn_node *node, const struct hn_event *event,
				      struct hn_actions *actions, const char **text, bool *deferred)
{
	(void)deferred;
	(void)event;
	if (node->state != HN_STATE_DISCONNECTED)
		return "not disconnected";
	*text = "reconnected";
	return hn_admin_run(node, HN_ON_RECONNECT, actions);
}

static const char *hn_admin_disband(struct hn_node *node, const struct hn_event *event,
				    struct hn_actions *actions, const char **text, bool *deferred)
{
	(void)deferred;
	(void)event;
	if (node->state == HN_STATE_STANDALONE)
		return "already standalone";
	*text = "disbanded";
	return hn_admin_run(node, HN_ON_DISBAND, actions);
}

static const char *hn_admin_force_start(struct hn_node *node, const struct hn_event *event,
					struct hn_actions *actions, const char **text,
					bool *deferred)
{
	(void)deferred;
	(void)event;
	(void)actions;
	if (node->state != HN_STATE_STARTING)
		return "not starting";
	if (node->store.outdated)
		return "data is outdated; an outdated node never becomes active alone";
	node->wait_over = true; /* the start rows act on it in this step */
	*text = "start forced";
	return NULL;
}

/* The reply of an accepted setting comes from store.c (after replication). */
static const char *hn_admin_setting_set(struct hn_node *node, const struct hn_event *event,
					struct hn_actions *actions, const char **text,
					bool *deferred)
{
	(void)deferred;
	char key[HN_KEY_MAX + 8];
	if (node->role != HN_ROLE_ACTIVE)
		return node->state == HN_STATE_NORMAL ? HN_SETTINGS_LOCKED_TEXT
						      : "settings are edited on the active node";
	if (node->switchover_waiting)
		return HN_SWITCHOVER_IN_PROGRESS_TEXT;
	if (memchr(event->u.admin.key, '\0', HN_KEY_MAX) == NULL ||
	    memchr(event->u.admin.value, '\0', HN_VALUE_MAX) == NULL)
		return "setting key or value too long";
	int length = snprintf(key, sizeof(key), "setting/%s", event->u.admin.key);
	if (length >= HN_KEY_MAX || event->u.admin.key[0] == '\0' ||
	    event->u.admin.value[0] == '\0')
		return "setting key must have 1..55 characters and the value 1..255";
	hn_store_client_write(node, event->u.admin.request_id, key, event->u.admin.value, true,
			      actions);
	*text = "replicating";
	*deferred = true;
	return NULL;
}

/* hanode stops: hand over like maintenance (rules.c), never refused. */
static const char *hn_admin_shutdown(struct hn_node *node, const struct hn_event *event,
				     struct hn_actions *actions, const char **text, bool *deferred)
{
	(void)deferred;
	if (memchr(event->u.admin.value, '\0', HN_VALUE_MAX) == NULL)
		return "shutdown reason too long";
	snprintf(node->cause, sizeof(node->cause), "%s",
		 event->u.admin.value[0] != '\0' ? event->u.admin.value : "no reason given");
	hn_rules_run(node, HN_ON_SHUTDOWN, actions); /* no row where nothing is to release */
	*text = "stopping";
	return NULL;
}

static const struct {
	enum hn_admin_command command;
	hn_admin_handler *handler;
} hn_admin_table[] = {
    {HN_ADMIN_MAINTENANCE_ON, hn_admin_maintenance_on},
    {HN_ADMIN_MAINTENANCE_OFF, hn_admin_maintenance_off},
    {HN_ADMIN_SWITCHOVER, hn_admin_switchover},
    {HN_ADMIN_DISCONNECT, hn_admin_disconnect},
    {HN_ADMIN_RECONNECT, hn_admin_reconnect},
    {HN_ADMIN_DISBAND, hn_admin_disband},
    {HN_ADMIN_FORCE_START, hn_admin_force_start},
    {HN_ADMIN_SETTING_SET, hn_admin_setting_set},
    {HN_ADMIN_SHUTDOWN, hn_admin_shutdown},
};

void hn_admin_on_event(struct hn_node *node, const struct hn_event *event,
		       struct hn_actions *actions)
{
	char record[HN_REASON_MAX];
	uint64_t request_id = event->u.admin.request_id;
	for (size_t i = 0; i < sizeof(hn_admin_table) / sizeof(hn_admin_table[0]); i++) {
		if (hn_admin_table[i].command != event->u.admin.command)
			continue;
		const char *text = "done";
		bool deferred = false;
		const char *refusal =
		    hn_admin_table[i].handler(node, event, actions, &text, &deferred);
		snprintf(record, sizeof(record), "%s: %s",
			 hn_admin_command_name(hn_admin_table[i].command),
			 refusal != NULL ? refusal : text);
		hn_emit_log(node, actions, "admin", record, 0);
		if (refusal != NULL)
			hn_emit_admin_reply(node, actions, request_id, false, refusal);
		else if (!deferred)
			hn_emit_admin_reply(node, actions, request_id, true, text);
		return;
	}
	hn_emit_log(node, actions, "admin", "unknown admin command, ignored", 0);
	hn_emit_admin_reply(node, actions, request_id, false, "unknown admin command");
}
