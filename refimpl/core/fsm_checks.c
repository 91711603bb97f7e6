/*
 * fsm_checks.c - the rules that move a node between roles and states: the
 * end of wait-for-all, failover checks (health, network), takeover with the
 * tie-breakers (none, ping, fence), split-brain resolution and the edges of
 * the peer's heartbeat flags (disconnect, disband, yield, switchover).
 *
 * Each check is called after every event by hn_fsm_evaluate (fsm.c), reads
 * what the node knows at now_ms and, if its rule holds, changes role/state
 * through hn_set_role_state with a reason that names the numbers behind the
 * decision. The takeover rule is the one of fsm.c's header:
 *   (a) peer dead                        -> tie-breaker decides
 *   (b) peer alive standby, not eligible -> take over (graceful hand-over)
 *       or yielding (switchover)
 *   (c) both eligible standbys           -> newer data, then lower node id
 */
#include "fsm.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

static const char *hn_peer_name(const struct hn_node *node)
{
	return node->peer.heard ? node->peer.last.sender.name : "the peer";
}

/* The reason a dead peer is dead, with its numbers. */
static void hn_peer_dead_reason(const struct hn_node *node, char *reason, size_t reason_size)
{
	if (!node->peer.heard)
		snprintf(reason, reason_size, "peer not seen on sync and external links");
	else
		snprintf(reason, reason_size, "peer silent on sync and external links for %u ms",
			 node->config.timers.dead_time_ms);
}

/* A refused peer blocks us while it is active or has the lower id, so that
 * two nodes refusing each other do not both go active alone. */
static bool hn_refused_peer_blocks(const struct hn_node *node)
{
	const struct hn_peer *peer = &node->peer;
	return peer->refused_alive && (peer->refused_role == HN_ROLE_ACTIVE ||
				       peer->refused_node_id < node->config.self.node_id);
}

static bool hn_self_eligible(const struct hn_node *node)
{
	return node->state == HN_STATE_NORMAL && node->role == HN_ROLE_STANDBY &&
	       !node->store.outdated && hn_health_ok(&node->health) && hn_ping_ok(&node->health) &&
	       !hn_refused_peer_blocks(node);
}

/* Why the peer (per its last heartbeat) may not be active, or NULL. */
static const char *hn_peer_ineligible(const struct hn_heartbeat *peer)
{
	if (peer->state != HN_STATE_NORMAL && peer->state != HN_STATE_STARTING)
		return hn_state_name(peer->state);
	if (peer->flags & HN_HB_OUTDATED)
		return "outdated";
	if (!hn_health_ok(&peer->health))
		return "failing its checks";
	if (!hn_ping_ok(&peer->health))
		return "reaching no ping target";
	return NULL;
}

enum hn_alone_verdict { HN_ALONE_ALLOW, HN_ALONE_WAIT, HN_ALONE_FENCE };

/* May we become active while the peer is dead? (SPEC tie-breakers) */
static enum hn_alone_verdict hn_alone_verdict(const struct hn_node *node, char *why,
					      size_t why_size)
{
	const struct hn_health *health = &node->health;
	switch (node->config.tiebreaker) {
	case HN_TIEBREAKER_PING:
		if (health->ping_reachable == 0) {
			snprintf(why, why_size, "ping tie-breaker: %u of %u ping targets reachable",
				 health->ping_reachable, health->ping_total);
			return HN_ALONE_WAIT;
		}
		if (health->cluster_ip_answered) {
			snprintf(why, why_size, "ping tie-breaker: the cluster IP still answers");
			return HN_ALONE_WAIT;
		}
		return HN_ALONE_ALLOW;
	case HN_TIEBREAKER_FENCE:
		return HN_ALONE_FENCE;
	default:
		return HN_ALONE_ALLOW;
	}
}

static void hn_log_wait_once(struct hn_node *node, struct hn_actions *actions, const char *why)
{
	if (node->ping_wait_logged)
		return;
	node->ping_wait_logged = true;
	hn_emit_log(node, actions, "health", why, 0);
}

/* ------------------------------------------------- peer death, fencing */

static void hn_fence_emit(struct hn_node *node, struct hn_actions *actions, const char *why)
{
	char reason[HN_REASON_MAX];
	snprintf(reason, sizeof(reason), "fencing %s: %s", hn_peer_name(node), why);
	hn_emit_log(node, actions, "fence", reason, 0);
	hn_actions_push(node, actions, HN_ACTION_FENCE);
	node->fence_phase = HN_FENCE_PENDING;
}

/* The active fences a dead standby at once (no delay), so the incumbent
 * wins a fence race; a standby's fence is driven by the takeover rule. */
void hn_fsm_check_peer_death(struct hn_node *node, struct hn_actions *actions)
{
	if (hn_peer_alive(node)) {
		if (node->fence_phase != HN_FENCE_PENDING)
			node->fence_phase = HN_FENCE_IDLE;
		node->ping_wait_logged = false;
		return;
	}
	if (node->config.tiebreaker != HN_TIEBREAKER_FENCE || node->role != HN_ROLE_ACTIVE ||
	    !node->peer.heard || node->fence_phase != HN_FENCE_IDLE)
		return;
	char why[HN_REASON_MAX];
	hn_peer_dead_reason(node, why, sizeof(why));
	hn_fence_emit(node, actions, why);
}

void hn_fsm_on_fence_result(struct hn_node *node, bool fence_ok, struct hn_actions *actions)
{
	char reason[HN_REASON_MAX];
	if (node->fence_phase != HN_FENCE_PENDING) {
		hn_emit_log(node, actions, "ignored", "fence result without a pending fence", 0);
		return;
	}
	if (node->role == HN_ROLE_ACTIVE) {
		node->fence_phase = HN_FENCE_DONE;
		snprintf(reason, sizeof(reason),
			 fence_ok ? "fenced %s" : "fencing %s failed; staying active",
			 hn_peer_name(node));
		hn_emit_log(node, actions, "fence", reason, 0);
		return;
	}
	if (!fence_ok) {
		node->fence_phase = HN_FENCE_RETRY;
		node->fence_at_ms = node->now_ms + node->config.timers.dead_time_ms;
		snprintf(reason, sizeof(reason), "fencing %s failed; retrying in %u ms",
			 hn_peer_name(node), node->config.timers.dead_time_ms);
		hn_emit_log(node, actions, "fence", reason, 0);
		return;
	}
	node->fence_phase = HN_FENCE_IDLE;
	snprintf(reason, sizeof(reason), "fenced %s", hn_peer_name(node));
	hn_emit_log(node, actions, "fence", reason, 0);
	if (!hn_self_eligible(node))
		return;
	char dead[96];
	hn_peer_dead_reason(node, dead, sizeof(dead));
	snprintf(reason, sizeof(reason), "%s; %.31s fenced", dead, hn_peer_name(node));
	hn_become_active(node, actions, true, true, reason);
	node->fence_phase = HN_FENCE_DONE; /* the peer is off: do not fence it again */
}

/* Standby, peer dead, fence tie-breaker: wait fence_delay_ms after the dead
 * time (the incumbent fences at once and wins), fence, take over on ok. */
static void hn_takeover_by_fence(struct hn_node *node, struct hn_actions *actions)
{
	if (node->fence_phase == HN_FENCE_IDLE) {
		uint64_t dead_at_ms = node->now_ms;
		if (node->peer.heard)
			dead_at_ms = node->peer.last_heard_ms + node->config.timers.dead_time_ms;
		node->fence_phase = HN_FENCE_DELAY;
		node->fence_at_ms = dead_at_ms + node->config.timers.fence_delay_ms;
	}
	if ((node->fence_phase == HN_FENCE_DELAY || node->fence_phase == HN_FENCE_RETRY) &&
	    node->now_ms >= node->fence_at_ms) {
		char why[HN_REASON_MAX];
		hn_peer_dead_reason(node, why, sizeof(why));
		hn_fence_emit(node, actions, why);
	}
}

/* ------------------------------------------------------- wait-for-all */

void hn_fsm_check_start(struct hn_node *node, struct hn_actions *actions)
{
	char reason[HN_REASON_MAX];
	if (node->state != HN_STATE_STARTING)
		return;
	if (hn_peer_alive(node)) {
		const struct hn_heartbeat *peer = &node->peer.last;
		snprintf(reason, sizeof(reason), "peer %s seen (%s)", peer->sender.name,
			 hn_display_state(peer->role, peer->state));
		hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_NORMAL, actions, reason);
		return;
	}
	if (!node->wait_over &&
	    node->now_ms >= node->start_ms + node->config.timers.wait_for_peer_ms)
		node->wait_over = true;
	if (!node->wait_over || hn_refused_peer_blocks(node))
		return;
	if (node->store.outdated) {
		if (!node->outdated_wait_logged)
			hn_emit_log(node, actions, "start",
				    "data is outdated: waiting for the peer, never active alone",
				    0);
		node->outdated_wait_logged = true;
		return;
	}
	if (!hn_health_ok(&node->health) || !hn_ping_ok(&node->health)) {
		/* hn_fsm_check_health moves a normal standby to fault/isolated */
		hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_NORMAL, actions,
				  "wait for the peer over, but local checks fail");
		return;
	}
	char why[HN_REASON_MAX];
	switch (hn_alone_verdict(node, why, sizeof(why))) {
	case HN_ALONE_WAIT:
		hn_log_wait_once(node, actions, why);
		return;
	case HN_ALONE_FENCE:
		hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_NORMAL, actions,
				  "wait for the peer over; fencing it before becoming active");
		return;
	default:
		break;
	}
	if (node->now_ms >= node->start_ms + node->config.timers.wait_for_peer_ms)
		snprintf(reason, sizeof(reason), "peer not seen within %u ms of start",
			 node->config.timers.wait_for_peer_ms);
	else
		snprintf(reason, sizeof(reason), "start forced by the operator after %llu ms",
			 (unsigned long long)(node->now_ms - node->start_ms));
	hn_become_active(node, actions, true, false, reason);
}

/* ------------------------------------------------------------- health */

static void hn_health_reason(const struct hn_health *health, char *reason, size_t reason_size)
{
	if (!health->raid_ok)
		snprintf(reason, reason_size, "RAID check failed: storage array not accessible");
	else if (!health->services_ok)
		snprintf(reason, reason_size,
			 "cluster status check failed: services report an error");
	else
		snprintf(reason, reason_size,
			 "network check failed: %u of %u ping targets reachable",
			 health->ping_reachable, health->ping_total);
}

/* Network failover of an active node: it gives up only if the peer reaches
 * a ping target (or, with the ping tie-breaker, if the peer is dead). */
static bool hn_active_should_isolate(const struct hn_node *node)
{
	if (hn_peer_alive(node))
		return node->peer.last.health.ping_reachable >= 1;
	return node->config.tiebreaker == HN_TIEBREAKER_PING;
}

void hn_fsm_check_health(struct hn_node *node, struct hn_actions *actions)
{
	char reason[HN_REASON_MAX];
	const struct hn_health *health = &node->health;
	hn_health_reason(health, reason, sizeof(reason));
	if (node->state == HN_STATE_NORMAL) {
		if (!hn_health_ok(health)) {
			bool was_active = node->role == HN_ROLE_ACTIVE;
			hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_FAULT, actions, reason);
			if (was_active)
				hn_emit_notify(node, actions, HN_NOTIFY_FAULT, reason);
		} else if (!hn_ping_ok(health) &&
			   (node->role == HN_ROLE_STANDBY || hn_active_should_isolate(node))) {
			hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_ISOLATED, actions,
					  reason);
		}
		return;
	}
	if (node->state != HN_STATE_FAULT && node->state != HN_STATE_ISOLATED)
		return;
	if (hn_health_ok(health) && hn_ping_ok(health))
		hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_NORMAL, actions,
				  "local checks pass again");
	else if (node->state == HN_STATE_FAULT && hn_health_ok(health))
		hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_ISOLATED, actions, reason);
	else if (node->state == HN_STATE_ISOLATED && !hn_health_ok(health))
		hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_FAULT, actions, reason);
}

/* -------------------------------------------------------- split brain */

/* The judge's rule (lower node id judges): the loser made no writes, else
 * took over during the split, else has the younger active period, else has
 * the higher node id. Returns the loser's id and why in reason. */
static uint32_t hn_split_brain_judge(const struct hn_node *node, char *why, size_t why_size)
{
	const struct hn_heartbeat *peer = &node->peer.last;
	uint32_t self_id = node->config.self.node_id, peer_id = peer->sender.node_id;
	uint64_t own_writes = hn_store_writes_in_generation(&node->store);
	uint64_t peer_writes = peer->writes_in_generation;
	if ((own_writes == 0) != (peer_writes == 0)) {
		snprintf(why, why_size, "made no writes during the split");
		return own_writes == 0 ? self_id : peer_id;
	}
	bool own_took_over = node->took_over;
	bool peer_took_over = (peer->flags & HN_HB_TOOK_OVER) != 0;
	if (own_took_over != peer_took_over) {
		snprintf(why, why_size, "took over during the split");
		return own_took_over ? self_id : peer_id;
	}
	uint64_t own_active_ms = node->now_ms - node->active_since_ms;
	if (own_active_ms != peer->active_for_ms) {
		snprintf(why, why_size, "younger active period");
		return own_active_ms < peer->active_for_ms ? self_id : peer_id;
	}
	snprintf(why, why_size, "higher node id on a tie");
	return self_id > peer_id ? self_id : peer_id;
}

static void hn_split_brain_lose(struct hn_node *node, struct hn_actions *actions, const char *why)
{
	char reason[HN_REASON_MAX];
	uint64_t lost_writes = hn_store_writes_in_generation(&node->store);
	snprintf(reason, sizeof(reason),
		 "split brain with %s: this node lost (%s), drops %llu writes and resyncs",
		 hn_peer_name(node), why, (unsigned long long)lost_writes);
	hn_set_role_state(node, HN_ROLE_STANDBY, HN_STATE_NORMAL, actions, reason);
	hn_emit_log(node, actions, "split_brain", reason, lost_writes);
	hn_emit_notify(node, actions, HN_NOTIFY_SPLIT_BRAIN, reason);
	node->lost_writes_total += lost_writes;
	node->split_brain_active_peer = false;
	hn_store_reset_for_resync(node, actions);
}

void hn_fsm_check_split_brain(struct hn_node *node, struct hn_actions *actions)
{
	if (node->role != HN_ROLE_ACTIVE || !hn_peer_alive(node))
		return;
	const struct hn_heartbeat *peer = &node->peer.last;
	if (peer->role != HN_ROLE_ACTIVE) {
		node->split_brain_loser = 0;
		/* The loser released the cluster IP, but the network still sends
		 * to the MAC it announced last: announce ours again. */
		if (node->split_brain_active_peer) {
			node->split_brain_active_peer = false;
			hn_actions_push(node, actions, HN_ACTION_IP_ADD);
			hn_emit_log(node, actions, "split_brain_resolved",
				    "split brain resolved: the peer stepped down, cluster IP "
				    "announced again",
				    0);
		}
		return;
	}
	node->split_brain_active_peer = true;
	uint32_t self_id = node->config.self.node_id;
	if (self_id > peer->sender.node_id) {
		if (peer->split_brain_loser == self_id)
			hn_split_brain_lose(node, actions, "judged by the peer");
		return;
	}
	char why[HN_REASON_MAX];
	uint32_t loser = hn_split_brain_judge(node, why, sizeof(why));
	if (loser == self_id) {
		hn_split_brain_lose(node, actions, why);
	} else if (node->split_brain_loser != loser) {
		node->split_brain_loser = loser;
		hn_emit_heartbeats(node, actions);
	}
}

/* ----------------------------------------------------------- takeover */

/* (c): both eligible standbys; newer data wins, then the lower node id. */
static bool hn_wins_tie(const struct hn_node *node, char *reason, size_t reason_size)
{
	const struct hn_heartbeat *peer = &node->peer.last;
	const struct hn_store *store = &node->store;
	if (store->generation.id != peer->generation.id) {
		snprintf(reason, reason_size, "both standby: newer data generation (%llu vs %llu)",
			 (unsigned long long)store->generation.id,
			 (unsigned long long)peer->generation.id);
		return store->generation.id > peer->generation.id;
	}
	if (store->last_seq != peer->last_seq) {
		snprintf(reason, reason_size, "both standby: newer data (seq %llu vs %llu)",
			 (unsigned long long)store->last_seq, (unsigned long long)peer->last_seq);
		return store->last_seq > peer->last_seq;
	}
	snprintf(reason, reason_size, "both standby with the same data: lower node id (%u vs %u)",
		 node->config.self.node_id, peer->sender.node_id);
	return node->config.self.node_id < peer->sender.node_id;
}

static void hn_takeover_peer_dead(struct hn_node *node, struct hn_actions *actions)
{
	char why[HN_REASON_MAX];
	switch (hn_alone_verdict(node, why, sizeof(why))) {
	case HN_ALONE_WAIT:
		hn_log_wait_once(node, actions, why);
		return;
	case HN_ALONE_FENCE:
		hn_takeover_by_fence(node, actions);
		return;
	default:
		break;
	}
	hn_peer_dead_reason(node, why, sizeof(why));
	hn_become_active(node, actions, true, true, why);
}

void hn_fsm_check_takeover(struct hn_node *node, struct hn_actions *actions)
{
	if (!hn_self_eligible(node))
		return;
	if (!hn_peer_alive(node)) {
		hn_takeover_peer_dead(node, actions);
		return;
	}
	char reason[HN_REASON_MAX];
	const struct hn_heartbeat *peer = &node->peer.last;
	if (peer->role == HN_ROLE_ACTIVE)
		return;
	if (peer->flags & HN_HB_YIELD) {
		snprintf(reason, sizeof(reason), "switchover: %s yields the active role",
			 peer->sender.name);
		hn_become_active(node, actions, false, true, reason);
		return;
	}
	if (node->yielding)
		return; /* we handed the role over: only a dead peer brings it back */
	const char *ineligible = hn_peer_ineligible(peer);
	/* (b) and (c) wait one heartbeat interval after our own last change:
	 * had the peer changed at the same time (two operators clearing
	 * maintenance at once, or the peer taking over by (a) just as we come
	 * up), its immediate heartbeat arrives first and we see it. The interval
	 * ends with our next regular heartbeat, which is a deadline. Under the
	 * ping tie-breaker neither acts while someone answers the cluster IP. */
	bool settled = node->now_ms >= node->changed_ms + node->config.timers.heartbeat_interval_ms;
	bool cluster_ip_taken =
	    node->config.tiebreaker == HN_TIEBREAKER_PING && node->health.cluster_ip_answered;
	if (!settled || cluster_ip_taken)
		return;
	if (ineligible != NULL) {
		snprintf(reason, sizeof(reason), "peer %s is %s and may not be active",
			 peer->sender.name, ineligible);
		hn_become_active(node, actions, false, true, reason);
		return;
	}
	if (ineligible == NULL && hn_wins_tie(node, reason, sizeof(reason)))
		hn_become_active(node, actions, false, false, reason);
}

/* ---------------------------------------------- edges of peer's flags */

void hn_fsm_check_peer_flags(struct hn_node *node, struct hn_actions *actions)
{
	char reason[HN_REASON_MAX];
	const struct hn_heartbeat *peer = &node->peer.last;
	uint32_t rising = peer->flags & ~node->peer.previous_flags;
	uint32_t falling = node->peer.previous_flags & ~peer->flags;
	if (peer->flags & HN_HB_DISBAND) {
		snprintf(reason, sizeof(reason), "%s disbanded the cluster", peer->sender.name);
		hn_fsm_disband(node, actions, reason);
		return;
	}
	if ((rising & HN_HB_DISCONNECT) && node->state == HN_STATE_NORMAL) {
		snprintf(reason, sizeof(reason), "%s disconnected the cluster link",
			 peer->sender.name);
		hn_fsm_disconnect(node, false, actions, reason);
	} else if (node->state == HN_STATE_DISCONNECTED &&
		   ((falling & HN_HB_DISCONNECT) ||
		    (node->disconnect_origin &&
		     node->peer.previous_state == HN_STATE_DISCONNECTED &&
		     peer->state != HN_STATE_DISCONNECTED))) {
		snprintf(reason, sizeof(reason), "%s reconnected the cluster link",
			 peer->sender.name);
		hn_fsm_reconnect(node, actions, reason);
	}
	if (node->yielding && peer->role == HN_ROLE_ACTIVE)
		node->yielding = false;
	if (node->switchover_requested && peer->role != HN_ROLE_ACTIVE)
		node->switchover_requested = false;
	if ((peer->flags & HN_HB_SWITCHOVER_REQUEST) && node->role == HN_ROLE_ACTIVE &&
	    node->state == HN_STATE_NORMAL && !node->yielding) {
		snprintf(reason, sizeof(reason), "switchover requested on %s", peer->sender.name);
		const char *refused = hn_fsm_switchover_release(node, actions, reason);
		if (refused != NULL && !(node->peer.previous_flags & HN_HB_SWITCHOVER_REQUEST)) {
			snprintf(reason, sizeof(reason), "switchover requested on %s refused: %s",
				 peer->sender.name, refused);
			hn_emit_log(node, actions, "admin", reason, 0);
		}
	}
}
