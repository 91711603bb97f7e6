/*
 * transition.c - the one function that changes a node's role or state,
 * hn_transition(), with the side effects a rule names (transition.h).
 *
 * Order of what a transition does, chosen so that the peer and the host
 * see a consistent hand-over (hn_core.h: actions are carried out in order):
 *   1. effects before the change: stop yielding/asking, the DISCONNECT mark,
 *      fencing forgotten, YIELD set, the cluster IP announced again - so the
 *      heartbeats of the change carry them;
 *   2. becoming active: a new data generation (fork at our last write), the
 *      store's active side reset, TOOK_OVER when the peer was not there;
 *   3. the change: IP_ADD + SERVICES_START when becoming active, IP_REMOVE
 *      + SERVICES_STOP (and every held write answered) when leaving it;
 *      the "transition" log record; the status record; heartbeats at once,
 *      so the peer reacts without waiting for the dead time. A row that
 *      keeps role and state logs its own event instead (if it has a reason);
 *   4. effects after the change: notifications, fencing, the split-brain
 *      loss (its record, the dropped writes, the full resync).
 */
#include "transition.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------- reasons */

void hn_reason_expand(const struct hn_node *node, const char *template,
		      const struct hn_reason_args *args, char *reason, size_t reason_size)
{
	size_t used = 0;
	reason[0] = '\0';
	for (const char *at = template; *at != '\0' && used + 1 < reason_size;) {
		const char *close = at[0] == '{' ? strchr(at, '}') : NULL;
		if (close == NULL) {
			reason[used++] = *at++;
			reason[used] = '\0';
			continue;
		}
		char name[16], value[HN_REASON_MAX];
		snprintf(name, sizeof(name), "%.*s", (int)(close - at - 1), at + 1);
		const uint64_t *number = strcmp(name, "ms") == 0	  ? &args->ms
					 : strcmp(name, "ours") == 0	  ? &args->ours
					 : strcmp(name, "theirs") == 0	  ? &args->theirs
					 : strcmp(name, "reachable") == 0 ? &args->reachable
					 : strcmp(name, "total") == 0	  ? &args->total
					 : strcmp(name, "count") == 0	  ? &args->count
									  : NULL;
		if (number != NULL)
			snprintf(value, sizeof(value), "%" PRIu64, *number);
		else if (strcmp(name, "peer") == 0)
			snprintf(value, sizeof(value), "%s", hn_peer_name(node));
		else if (strcmp(name, "peer_state") == 0)
			snprintf(value, sizeof(value), "%s",
				 hn_display_state(node->peer.last.role, node->peer.last.state));
		else if (strcmp(name, "why") == 0)
			snprintf(value, sizeof(value), "%s", args->why);
		else
			snprintf(value, sizeof(value), "{%s}", name);
		used += (size_t)snprintf(reason + used, reason_size - used, "%s", value);
		if (used >= reason_size)
			used = reason_size - 1;
		at = close + 1;
	}
}

const char *hn_effect_name(uint32_t effect)
{
	static const char *const names[HN_FX_COUNT] = {
	    "took over",
	    "notify failover",
	    "notify fault",
	    "fenced",
	    "yield",
	    "clear requests",
	    "disconnect mark",
	    "clear disconnect mark",
	    "forget fencing",
	    "split-brain loss",
	    "announce IP",
	    "advertise verdict",
	    "fence delay",
	    "fence",
	    "wait logged",
	    "outdated logged",
	    "storage failed",
	    "action fault",
	    "switchover waits",
	    "switchover done",
	    "switchover given up",
	};
	for (int bit = 0; bit < HN_FX_COUNT; bit++) {
		if (effect == 1u << bit)
			return names[bit];
	}
	return NULL;
}

/* --------------------------------------------------------- the change */

static void hn_transition_record_add(struct hn_node *node, const char *from, const char *to,
				     const char *reason)
{
	if (node->transition_count == HN_TRANSITIONS_KEPT) {
		memmove(&node->transitions[0], &node->transitions[1],
			sizeof(node->transitions[0]) * (HN_TRANSITIONS_KEPT - 1));
		node->transition_count--;
	}
	struct hn_transition_record *record = &node->transitions[node->transition_count++];
	record->at_ms = node->now_ms;
	snprintf(record->from, sizeof(record->from), "%s", from);
	snprintf(record->to, sizeof(record->to), "%s", to);
	snprintf(record->reason, sizeof(record->reason), "%s", reason);
}

/* Step 3 of the header: resources, record, heartbeats. */
static void hn_change(struct hn_node *node, enum hn_role role, enum hn_state state,
		      const char *reason, struct hn_actions *actions)
{
	char from[24];
	snprintf(from, sizeof(from), "%s", hn_display_state(node->role, node->state));
	const char *to = hn_display_state(role, state);
	if (role == HN_ROLE_ACTIVE && node->role != HN_ROLE_ACTIVE) {
		hn_actions_push(node, actions, HN_ACTION_IP_ADD);
		hn_actions_push(node, actions, HN_ACTION_SERVICES_START);
		node->active_since_ms = node->now_ms;
	} else if (role != HN_ROLE_ACTIVE && node->role == HN_ROLE_ACTIVE) {
		hn_actions_push(node, actions, HN_ACTION_IP_REMOVE);
		hn_actions_push(node, actions, HN_ACTION_SERVICES_STOP);
		node->took_over = false;
		node->split_brain_loser = 0;
		node->split_brain_active_peer = false;
		hn_store_on_release(node, actions);
		if (node->switchover_waiting) {
			node->switchover_waiting = false;
			if (node->switchover_reply)
				hn_emit_admin_reply(node, actions, node->switchover_request_id,
						    false,
						    "this node is not active in state normal");
			node->switchover_reply = false;
		}
	}
	node->role = role;
	node->state = state;
	struct hn_action *action = hn_actions_push(node, actions, HN_ACTION_LOG);
	if (action != NULL) {
		snprintf(action->u.log.event, sizeof(action->u.log.event), "transition");
		snprintf(action->u.log.from, sizeof(action->u.log.from), "%s", from);
		snprintf(action->u.log.to, sizeof(action->u.log.to), "%s", to);
		snprintf(action->u.log.reason, sizeof(action->u.log.reason), "%s", reason);
	}
	hn_transition_record_add(node, from, to, reason);
	node->changed_ms = node->now_ms;
	hn_emit_heartbeats(node, actions);
}

/* Step 1 of the header. */
static void hn_effects_before(struct hn_node *node, uint32_t effects, struct hn_actions *actions)
{
	if (effects & HN_FX_CLEAR_REQUESTS) {
		node->yielding = false;
		node->switchover_requested = false;
	}
	if (effects & HN_FX_DISCONNECT_ORIGIN)
		node->disconnect_origin = true;
	if (effects & HN_FX_CLEAR_ORIGIN)
		node->disconnect_origin = false;
	if (effects & HN_FX_FENCE_IDLE)
		node->fence_phase = HN_FENCE_IDLE;
	if (effects & HN_FX_YIELD) {
		node->yielding = true;
		node->yield_until_ms = node->now_ms + 2ull * node->config.timers.dead_time_ms;
	}
	if (effects & HN_FX_ANNOUNCE_IP) {
		/* the loser released the cluster IP, but the network still sends
		 * to the MAC it announced last */
		node->split_brain_active_peer = false;
		node->peer.refused_active_seen = false;
		hn_actions_push(node, actions, HN_ACTION_IP_ADD);
	}
	if (effects & HN_FX_FENCE_DELAY) {
		uint64_t dead_at_ms = node->now_ms;
		if (node->peer.heard)
			dead_at_ms = node->peer.last_heard_ms + node->config.timers.dead_time_ms;
		node->fence_phase = HN_FENCE_DELAY;
		node->fence_at_ms = dead_at_ms + node->config.timers.fence_delay_ms;
	}
	if (effects & HN_FX_WAIT_LOGGED)
		node->ping_wait_logged = true;
	if (effects & HN_FX_OUTDATED_LOGGED)
		node->outdated_wait_logged = true;
	if (effects & (HN_FX_ACTION_FAULT | HN_FX_STORAGE_FAILED))
		node->action_fault = true;
	if (effects & HN_FX_STORAGE_FAILED) {
		node->storage_failed = true;
		hn_store_on_storage_failed(node);
	}
	if (effects & HN_FX_SWITCHOVER_WAIT) {
		node->switchover_waiting = true;
		node->switchover_by_peer = true;
		node->switchover_reply = false;
		node->switchover_until_wait_ms = node->now_ms + node->config.timers.dead_time_ms;
	}
	if (effects & (HN_FX_SWITCHOVER_DONE | HN_FX_SWITCHOVER_GIVE_UP))
		node->switchover_waiting = false; /* before the release, which would cancel it */
}

/* Step 4 of the header. */
static void hn_effects_after(struct hn_node *node, uint32_t effects,
			     const struct hn_reason_args *args, const char *reason,
			     struct hn_actions *actions)
{
	if (effects & HN_FX_NOTIFY_FAILOVER)
		hn_emit_notify(node, actions, HN_NOTIFY_FAILOVER, reason);
	if (effects & HN_FX_NOTIFY_FAULT)
		hn_emit_notify(node, actions, HN_NOTIFY_FAULT, reason);
	if (effects & HN_FX_FENCED)
		node->fence_phase = HN_FENCE_DONE;
	if (effects & HN_FX_FENCE) {
		hn_actions_push(node, actions, HN_ACTION_FENCE);
		node->fence_phase = HN_FENCE_PENDING;
		node->fence_at_ms = node->now_ms + hn_fence_timeout_ms(node);
	}
	if (effects & HN_FX_VERDICT) {
		node->split_brain_loser = args->loser;
		hn_emit_heartbeats(node, actions);
	}
	if ((effects & (HN_FX_SWITCHOVER_DONE | HN_FX_SWITCHOVER_GIVE_UP)) &&
	    node->switchover_reply) {
		bool done = (effects & HN_FX_SWITCHOVER_DONE) != 0;
		node->switchover_reply = false;
		hn_emit_admin_reply(node, actions, node->switchover_request_id, done,
				    done ? "switchover started" : args->why);
	}
	if (effects & HN_FX_SPLIT_BRAIN_LOSS) {
		hn_emit_log(node, actions, "split_brain", reason, args->count);
		hn_emit_notify(node, actions, HN_NOTIFY_SPLIT_BRAIN, reason);
		node->lost_writes_total += args->count;
		node->split_brain_active_peer = false;
		hn_store_reset_for_resync(node, actions);
	}
}

void hn_transition(struct hn_node *node, const struct hn_rule *rule,
		   const struct hn_reason_args *args, struct hn_actions *actions)
{
	char reason[HN_REASON_MAX];
	hn_reason_expand(node, rule->reason != NULL ? rule->reason : "", args, reason,
			 sizeof(reason));
	enum hn_role role = rule->to_role == HN_KEEP ? node->role : (enum hn_role)rule->to_role;
	enum hn_state state =
	    rule->to_state == HN_KEEP ? node->state : (enum hn_state)rule->to_state;
	hn_effects_before(node, rule->effects, actions);
	if (role == HN_ROLE_ACTIVE && node->role != HN_ROLE_ACTIVE) {
		hn_store_fork(node, node->store.last_seq);
		hn_store_on_become_active(node);
		node->took_over = (rule->effects & HN_FX_TOOK_OVER) != 0;
		node->yielding = false;
		node->switchover_requested = false;
		node->fence_phase = HN_FENCE_IDLE;
	}
	/* the active's fence (it answered writes alone) is not the standby's:
	 * a standby fences the dead peer itself before it takes over again,
	 * else a fenced peer left an active that stepped down (maintenance)
	 * standby for good (swarm's fenced-standby-takes-over-stale, native) */
	if (role != HN_ROLE_ACTIVE && node->role == HN_ROLE_ACTIVE &&
	    node->fence_phase == HN_FENCE_DONE)
		node->fence_phase = HN_FENCE_IDLE;
	if (role != node->role || state != node->state)
		hn_change(node, role, state, reason, actions);
	else if (rule->log_event != NULL)
		hn_emit_log(node, actions, rule->log_event, reason, 0);
	hn_effects_after(node, rule->effects, args, reason, actions);
}
