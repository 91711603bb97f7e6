/*
 * fsm_admin.c - operator commands (HN_EVENT_ADMIN): maintenance on/off,
 * switchover, disconnect/reconnect, disband, force start and cluster-wide
 * settings.
 *
 * Every command is answered with exactly one HN_ACTION_ADMIN_REPLY and
 * logged as an "admin" record, both after the actions the command itself
 * caused; what the rules do next in the same step (e.g. the transition to
 * active after a force start or maintenance off) follows the reply. A command that
 * cannot be carried out changes nothing and says why in the reply
 * (ok=false); the texts are meant for the operator and are stable (tests
 * compare them). A setting is a replicated write of key "setting/<key>": its
 * reply comes from store.c once the standby has it (or the peer is gone).
 */
#include "fsm.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------- shared with fsm_checks.c */

void hn_fsm_disconnect(struct hn_node *node, bool origin, struct hn_actions *actions,
		       const char *reason)
{
	node->disconnect_origin = origin;
	node->yielding = false;
	node->switchover_requested = false;
	hn_set_role_state(node, node->role, HN_STATE_DISCONNECTED, actions, reason);
}

void hn_fsm_reconnect(struct hn_node *node, struct hn_actions *actions, const char *reason)
{
	node->disconnect_origin = false;
	hn_set_role_state(node, node->role, HN_STATE_NORMAL, actions, reason);
}

void hn_fsm_disband(struct hn_node *node, struct hn_actions *actions, const char *reason)
{
	node->disconnect_origin = false;
	node->yielding = false;
	node->switchover_requested = false;
	node->fence_phase = HN_FENCE_IDLE;
	hn_set_role_state(node, node->role, HN_STATE_STANDALONE, actions, reason);
}

/* Why the peer cannot take the role now, or NULL (both normal, peer alive
 * and healthy, data in sync). */
static const char *hn_switchover_refusal(const struct hn_node *node)
{
	const struct hn_heartbeat *peer = &node->peer.last;
	if (!hn_peer_alive(node))
		return "the peer is not alive";
	if (peer->state != HN_STATE_NORMAL)
		return "the peer is not in state normal";
	if ((peer->flags & HN_HB_OUTDATED) || !hn_health_ok(&peer->health) ||
	    !hn_ping_ok(&peer->health))
		return "the peer is not eligible (outdated or failing checks)";
	return NULL;
}

const char *hn_fsm_switchover_release(struct hn_node *node, struct hn_actions *actions,
				      const char *reason)
{
	if (node->role != HN_ROLE_ACTIVE || node->state != HN_STATE_NORMAL)
		return "this node is not active in state normal";
	const char *refusal = hn_switchover_refusal(node);
	if (refusal != NULL)
		return refusal;
	if (node->peer.last.role != HN_ROLE_STANDBY)
		return "the peer is not standby";
	if (!node->store.peer_in_sync || node->store.pending_count > 0)
		return "data is not in sync";
	node->yielding = true;
	node->yield_until_ms = node->now_ms + 2ull * node->config.timers.dead_time_ms;
	hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_NORMAL, actions, reason);
	return NULL;
}

/* ----------------------------------------------------------- commands */

/* Each command returns NULL when done, or the refusal; *text gets the
 * operator's confirmation on success. */
typedef const char *hn_admin_handler(struct hn_node *node, const struct hn_event *event,
				     struct hn_actions *actions, const char **text);

static const char *hn_admin_maintenance_on(struct hn_node *node, const struct hn_event *event,
					   struct hn_actions *actions, const char **text)
{
	(void)event;
	if (node->state == HN_STATE_STANDALONE || node->state == HN_STATE_DISCONNECTED)
		return "maintenance needs a connected cluster node";
	if (node->state == HN_STATE_MAINTENANCE)
		return "already in maintenance";
	node->yielding = false;
	node->switchover_requested = false;
	hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_MAINTENANCE, actions,
			  "maintenance set by the operator");
	*text = "maintenance on";
	return NULL;
}

static const char *hn_admin_maintenance_off(struct hn_node *node, const struct hn_event *event,
					    struct hn_actions *actions, const char **text)
{
	(void)event;
	if (node->state != HN_STATE_MAINTENANCE)
		return "not in maintenance";
	hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_NORMAL, actions,
			  "maintenance cleared by the operator");
	*text = "maintenance off";
	return NULL;
}

static const char *hn_admin_switchover(struct hn_node *node, const struct hn_event *event,
				       struct hn_actions *actions, const char **text)
{
	(void)event;
	if (node->role == HN_ROLE_ACTIVE) {
		*text = "switchover started";
		return hn_fsm_switchover_release(node, actions, "switchover by the operator");
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
				       struct hn_actions *actions, const char **text)
{
	(void)event;
	if (node->state != HN_STATE_NORMAL)
		return "disconnect needs state normal";
	hn_fsm_disconnect(node, true, actions, "cluster link disconnected by the operator");
	*text = "disconnected";
	return NULL;
}

static const char *hn_admin_reconnect(struct hn_node *node, const struct hn_event *event,
				      struct hn_actions *actions, const char **text)
{
	(void)event;
	if (node->state != HN_STATE_DISCONNECTED)
		return "not disconnected";
	hn_fsm_reconnect(node, actions, "cluster link reconnected by the operator");
	*text = "reconnected";
	return NULL;
}

static const char *hn_admin_disband(struct hn_node *node, const struct hn_event *event,
				    struct hn_actions *actions, const char **text)
{
	(void)event;
	if (node->state == HN_STATE_STANDALONE)
		return "already standalone";
	hn_fsm_disband(node, actions, "cluster disbanded by the operator");
	*text = "disbanded";
	return NULL;
}

static const char *hn_admin_force_start(struct hn_node *node, const struct hn_event *event,
					struct hn_actions *actions, const char **text)
{
	(void)event;
	(void)actions;
	if (node->state != HN_STATE_STARTING)
		return "not starting";
	if (node->store.outdated)
		return "data is outdated; an outdated node never becomes active alone";
	node->wait_over = true; /* hn_fsm_check_start acts on it in this step */
	*text = "start forced";
	return NULL;
}

/* The reply of an accepted setting comes from store.c (after replication). */
static const char *hn_admin_setting_set(struct hn_node *node, const struct hn_event *event,
					struct hn_actions *actions, const char **text)
{
	char key[HN_KEY_MAX + 8];
	if (node->role != HN_ROLE_ACTIVE)
		return node->state == HN_STATE_NORMAL ? HN_SETTINGS_LOCKED_TEXT
						      : "settings are edited on the active node";
	if (memchr(event->u.admin.key, '\0', HN_KEY_MAX) == NULL ||
	    memchr(event->u.admin.value, '\0', HN_VALUE_MAX) == NULL)
		return "setting key or value too long";
	int length = snprintf(key, sizeof(key), "setting/%s", event->u.admin.key);
	if (length >= HN_KEY_MAX || event->u.admin.key[0] == '\0' ||
	    event->u.admin.value[0] == '\0')
		return "setting key must have 1..55 characters and the value 1..255";
	hn_store_client_write(node, event->u.admin.request_id, key, event->u.admin.value, true,
			      actions);
	*text = NULL;
	return NULL;
}

static const struct {
	enum hn_admin_command command;
	const char *name;
	hn_admin_handler *handler;
} hn_admin_table[] = {
    {HN_ADMIN_MAINTENANCE_ON, "maintenance on", hn_admin_maintenance_on},
    {HN_ADMIN_MAINTENANCE_OFF, "maintenance off", hn_admin_maintenance_off},
    {HN_ADMIN_SWITCHOVER, "switchover", hn_admin_switchover},
    {HN_ADMIN_DISCONNECT, "disconnect", hn_admin_disconnect},
    {HN_ADMIN_RECONNECT, "reconnect", hn_admin_reconnect},
    {HN_ADMIN_DISBAND, "disband", hn_admin_disband},
    {HN_ADMIN_FORCE_START, "force start", hn_admin_force_start},
    {HN_ADMIN_SETTING_SET, "setting set", hn_admin_setting_set},
};

void hn_fsm_on_admin(struct hn_node *node, const struct hn_event *event, struct hn_actions *actions)
{
	char record[HN_REASON_MAX];
	uint64_t request_id = event->u.admin.request_id;
	for (size_t i = 0; i < sizeof(hn_admin_table) / sizeof(hn_admin_table[0]); i++) {
		if (hn_admin_table[i].command != event->u.admin.command)
			continue;
		const char *text = "done";
		const char *refusal = hn_admin_table[i].handler(node, event, actions, &text);
		snprintf(record, sizeof(record), "%s: %s", hn_admin_table[i].name,
			 refusal != NULL ? refusal
			 : text != NULL	 ? text
					 : "replicating");
		hn_emit_log(node, actions, "admin", record, 0);
		if (refusal != NULL)
			hn_emit_admin_reply(node, actions, request_id, false, refusal);
		else if (text != NULL)
			hn_emit_admin_reply(node, actions, request_id, true, text);
		return;
	}
	hn_emit_log(node, actions, "admin", "unknown admin command, ignored", 0);
	hn_emit_admin_reply(node, actions, request_id, false, "unknown admin command");
}
