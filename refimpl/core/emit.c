/*
 * emit.c - the bottom layer of the core (node.h): appending actions to a
 * step's list (cluster-log records, notifications, admin replies,
 * heartbeats) and the facts every rule reads (is a link alive, is the peer
 * alive, do the health checks pass). Nothing here decides anything.
 *
 * A step has room for HN_ACTIONS_MAX actions; an action that does not fit is
 * counted in node->actions_dropped (the fixture fails on it) instead of
 * overflowing. Heartbeats carry the node's role, state, flags, health, data
 * generation and the split-brain verdict; a heartbeat emitted for a change
 * also restarts the heartbeat interval, so a change is followed by a
 * regular beat one interval later.
 */
#include "node.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ actions */

struct hn_action *hn_actions_push(struct hn_node *node, struct hn_actions *actions,
				  enum hn_action_kind kind)
{
	if (actions->count >= HN_ACTIONS_MAX) {
		node->actions_dropped++;
		return NULL;
	}
	struct hn_action *action = &actions->items[actions->count++];
	memset(action, 0, sizeof(*action));
	action->kind = kind;
	action->link = HN_LINK_SYNC;
	return action;
}

const char *hn_display_state(enum hn_role role, enum hn_state state)
{
	if (state == HN_STATE_NORMAL)
		return hn_role_name(role);
	return hn_state_name(state);
}

void hn_emit_log(struct hn_node *node, struct hn_actions *actions, const char *event,
		 const char *reason, uint64_t lost_writes)
{
	struct hn_action *action = hn_actions_push(node, actions, HN_ACTION_LOG);
	if (action == NULL)
		return;
	const char *display = hn_display_state(node->role, node->state);
	snprintf(action->u.log.event, sizeof(action->u.log.event), "%s", event);
	snprintf(action->u.log.from, sizeof(action->u.log.from), "%s", display);
	snprintf(action->u.log.to, sizeof(action->u.log.to), "%s", display);
	snprintf(action->u.log.reason, sizeof(action->u.log.reason), "%s", reason);
	action->u.log.lost_writes = lost_writes;
}

void hn_emit_notify(struct hn_node *node, struct hn_actions *actions, enum hn_notify_kind kind,
		    const char *text)
{
	struct hn_action *action = hn_actions_push(node, actions, HN_ACTION_NOTIFY);
	if (action == NULL)
		return;
	action->u.notify.kind = kind;
	snprintf(action->u.notify.text, sizeof(action->u.notify.text), "%s", text);
}

void hn_emit_admin_reply(struct hn_node *node, struct hn_actions *actions, uint64_t request_id,
			 bool ok, const char *text)
{
	struct hn_action *action = hn_actions_push(node, actions, HN_ACTION_ADMIN_REPLY);
	if (action == NULL)
		return;
	action->u.reply.request_id = request_id;
	action->u.reply.ok = ok;
	snprintf(action->u.reply.text, sizeof(action->u.reply.text), "%s", text);
}

/* --------------------------------------------------------- heartbeats */

static uint32_t hn_heartbeat_flags(const struct hn_node *node)
{
	uint32_t flags = 0;
	if (node->state == HN_STATE_MAINTENANCE)
		flags |= HN_HB_MAINTENANCE;
	if (node->store.outdated)
		flags |= HN_HB_OUTDATED;
	if (node->store.peer_outdated && node->role == HN_ROLE_ACTIVE)
		flags |= HN_HB_PEER_OUTDATED;
	if (node->yielding)
		flags |= HN_HB_YIELD;
	if (node->disconnect_origin)
		flags |= HN_HB_DISCONNECT;
	if (node->state == HN_STATE_STANDALONE)
		flags |= HN_HB_DISBAND;
	if (node->took_over && node->role == HN_ROLE_ACTIVE)
		flags |= HN_HB_TOOK_OVER;
	if (node->peer.refused && node->peer.refuses_peer)
		flags |= HN_HB_INCOMPATIBLE; /* our own verdict only, never reflected */
	if (node->switchover_requested)
		flags |= HN_HB_SWITCHOVER_REQUEST;
	if (node->storage_failed)
		flags |= HN_HB_NO_STORAGE;
	if (node->carrier[HN_LINK_EXTERNAL])
		flags |= HN_HB_EXTERNAL_UP;
	return flags;
}

/* A duration for the wire: capped below HN_AGE_NEVER. */
static uint32_t hn_age_ms(uint64_t now_ms, uint64_t since_ms)
{
	uint64_t age_ms = now_ms - since_ms;
	return age_ms >= HN_AGE_NEVER ? HN_AGE_NEVER - 1 : (uint32_t)age_ms;
}

static void hn_heartbeat_fill(const struct hn_node *node, struct hn_heartbeat *heartbeat)
{
	memset(heartbeat, 0, sizeof(*heartbeat));
	heartbeat->protocol_version = node->config.protocol_version;
	heartbeat->sender = node->config.self;
	heartbeat->role = node->role;
	heartbeat->state = node->state;
	heartbeat->flags = hn_heartbeat_flags(node);
	heartbeat->health = node->health;
	heartbeat->generation = node->store.generation;
	heartbeat->last_seq = node->store.last_seq;
	heartbeat->writes_in_generation = hn_store_writes_in_generation(&node->store);
	if (node->role == HN_ROLE_ACTIVE)
		heartbeat->active_for_ms = node->now_ms - node->active_since_ms;
	heartbeat->split_brain_loser = node->split_brain_loser;
	heartbeat->nonce = node->boot_nonce;
	heartbeat->echo_nonce = node->peer.nonce_known ? node->peer.nonce : 0;
	heartbeat->echo_age_ms = node->peer.nonce_known
				     ? hn_age_ms(node->now_ms, node->peer.nonce_heard_ms)
				     : HN_AGE_NEVER;
	heartbeat->health_age_ms =
	    node->health_seen ? hn_age_ms(node->now_ms, node->health_at_ms) : HN_AGE_NEVER;
}

void hn_emit_heartbeats(struct hn_node *node, struct hn_actions *actions)
{
	for (int link = 0; link < HN_LINKS; link++) {
		if (!node->carrier[link])
			continue;
		struct hn_action *action = hn_actions_push(node, actions, HN_ACTION_SEND_HEARTBEAT);
		if (action == NULL)
			return;
		action->link = (enum hn_link)link;
		hn_heartbeat_fill(node, &action->u.heartbeat);
	}
	node->next_heartbeat_ms = node->now_ms + node->config.timers.heartbeat_interval_ms;
}

/* -------------------------------------------------------------- facts */

const char *hn_peer_name(const struct hn_node *node)
{
	return node->peer.heard ? node->peer.last.sender.name : "the peer";
}

bool hn_link_alive(const struct hn_node *node, enum hn_link link)
{
	return node->carrier[link] && node->peer.link_heard[link] &&
	       node->now_ms < node->peer.link_heard_ms[link] + node->config.timers.dead_time_ms;
}

bool hn_peer_alive(const struct hn_node *node)
{
	return hn_link_alive(node, HN_LINK_SYNC) || hn_link_alive(node, HN_LINK_EXTERNAL);
}

bool hn_ping_ok(const struct hn_health *health)
{
	return health->ping_total == 0 || health->ping_reachable > 0;
}

bool hn_health_ok(const struct hn_health *health)
{
	return health->raid_ok && health->services_ok;
}

uint32_t hn_fence_timeout_ms(const struct hn_node *node)
{
	uint32_t timeout_ms = node->config.timers.fence_timeout_ms;
	return timeout_ms != 0 ? timeout_ms : HN_FENCE_TIMEOUT_DEFAULT_MS;
}

uint32_t hn_sync_lag_ms(const struct hn_node *node)
{
	uint32_t lag_ms = node->config.timers.sync_lag_ms;
	return lag_ms != 0 ? lag_ms : HN_SYNC_LAG_DEFAULT_MS;
}

/* ------------------------------------------------- notify-only checks */

static const char *hn_check_name(enum hn_notify_check check)
{
	switch (check) {
	case HN_CHECK_DISK_USAGE:
		return "disk usage";
	case HN_CHECK_TIME_OFFSET:
		return "time offset";
	case HN_CHECK_SERVICE_HEALTH:
		return "service health";
	case HN_CHECK_SYNC_LAG:
		return "data-sync lag";
	}
	return "unknown";
}

void hn_emit_check(struct hn_node *node, struct hn_actions *actions, enum hn_notify_check check,
		   bool failing, const char *text)
{
	char reason[HN_REASON_MAX];
	if (failing && text != NULL && text[0] != '\0')
		snprintf(reason, sizeof(reason), "%s check failing: %s", hn_check_name(check),
			 text);
	else
		snprintf(reason, sizeof(reason), "%s check %s", hn_check_name(check),
			 failing ? "failing" : "recovered");
	if (failing)
		node->notify_failing |= check;
	else
		node->notify_failing &= ~(uint32_t)check;
	hn_emit_log(node, actions, "health", reason, 0);
	hn_emit_notify(node, actions, HN_NOTIFY_HEALTH, reason);
}
