/*
 * fsm.c - hn_node_step(), the top layer of the core (node.h): one event in,
 * its handler, then the transition table (rules.c) and the store at the
 * step's time, then heartbeats; also init, status and the next deadline.
 *
 * The core is pure (see hn_core.h): hn_node_step() takes one event and the
 * time, updates what the node knows (the event table below picks the
 * handler per state; an unexpected event is logged and ignored), then runs
 * the rules at that time. Rules are level-triggered: a standby that should
 * be active becomes active at the first step at which the rule holds,
 * whichever event caused it, and hn_node_next_deadline_ms() names the exact
 * time at which a rule can start to hold because of time alone (a link
 * dies, the wait-for-all ends, a fence delay ends, a heartbeat or a
 * retransmission is due). A simulator can therefore jump from deadline to
 * deadline.
 *
 * Every role or state change is a row of the transition table in rules.c,
 * applied by hn_transition() (transition.c); the diagram of the table is
 * refimpl/core/transitions.txt, generated from it (make core-diagram).
 *
 * Decisions (SPEC plus the refinements documented here; README.md in this
 * folder has them with their bounds and what the host must do):
 * - Heartbeats every heartbeat_interval_ms on each link whose carrier is up,
 *   and at once on every role/state change, on a change of our external
 *   carrier and on a change of the peer's (HN_HB_EXTERNAL_UP, rules.c; both
 *   only without ping targets). A link is alive while a
 *   heartbeat came on it within dead_time_ms (carrier down kills it at
 *   once); the peer is dead when no link is alive. A heartbeat older than
 *   one already taken (by the packet sequence, which counts over both
 *   links) is stale: it came by the other, slower link, or late. It keeps
 *   its link alive but says nothing of the peer, whose newer word its flags
 *   and state would undo (seen: a heartbeat sent just before a disconnect
 *   came after it by the other link, and the peer looked reconnected).
 * - Freshness: every START brings a boot nonce; a heartbeat is news only if
 *   it echoes ours (so a capture of an earlier boot never is), a data
 *   message is applied only if it does. A heartbeat that is not news still
 *   names the peer's nonce, which we echo (answered at once when new), so a
 *   restarted pair is joined within three packet delays. Heartbeats also
 *   say how long ago the sender heard us (echo_age_ms: the one-way rules)
 *   and how old its health verdict is (health_age_ms: network failover).
 * - Takeover (rules.c): a standby in state normal, not outdated, with
 *   healthy checks takes over when (a) the peer is dead (tie-breaker), (b)
 *   the alive peer is a non-eligible standby or yields, (c) both are
 *   eligible standbys and we have newer data or the lower node id. (b) and
 *   (c) require the peer's last heartbeat to say standby, and wait one
 *   heartbeat interval after our own last change, so that a peer that
 *   changed at the same moment (took over by (a), left maintenance) is seen
 *   first; under the ping tie-breaker they never act while the cluster IP
 *   answers (unless that answer came before the peer said it released);
 *   they also need the peer to hear us. Two nodes starting together
 *   therefore settle the tie 200 ms after they see each other.
 * - Network failover: the active hands over only when an eligible standby
 *   reached a ping target in a health round between two failed rounds of
 *   its own (bounds included); if neither reaches one, nothing moves (SPEC).
 *   Under ping also when the peer is silent for two heartbeat intervals
 *   and its last verdict reached a target (it may be cut off and take
 *   over at its dead time).
 * - One-way link: an active that keeps hearing its peer but, per the
 *   peer's echo, is not heard for dead_time - heartbeat_interval hands over
 *   before the peer declares it dead (never to a peer it marked outdated);
 *   both active and not heard: it loses the split brain.
 *   Needs dead_time >= 4 x heartbeat_interval (else these rules are off).
 * - A failed action (HN_EVENT_ACTION_FAILED) is a fault: storage (the host
 *   dropped the rest of the step), cluster IP, services; it lasts until the
 *   next health verdict. A FENCE without result counts as failed after
 *   fence_timeout_ms.
 * - A node answers a peer that comes back (dead -> alive) with heartbeats at
 *   once, so a returning node joins within two packet delays.
 * - Under the fence tie-breaker, a node whose wait-for-all ends without a
 *   peer becomes a normal standby and goes through the standby's fencing
 *   (delay, FENCE, active on success) instead of becoming active directly.
 * - Data safety (store.c): a write that is not replicated is answered only
 *   when the peer confirmed it is outdated, or is dead (and fenced under
 *   fence); a standby that sees newer data on its peer marks itself
 *   outdated; a resynced standby stays outdated until the active's
 *   heartbeat confirms. What no two-node cluster without a witness can do is
 *   left as it is: after a full partition the active (none/ping) answers
 *   alone, so if it then fails the standby takes over without those writes,
 *   and a restarted node that sees no peer becomes active alone after
 *   wait-for-all (SPEC) even if its data is old.
 * - Becoming active always starts a new data generation (fork_seq = our
 *   last_seq): whatever the old active may have written without us can then
 *   be detected from generations alone (see store.c).
 * - A refused (incompatible) peer is not part of the cluster: its
 *   heartbeats do not keep it alive. It still blocks us from becoming active
 *   while it is active or has the lower node id, so two refusing nodes that
 *   start together do not both go active alone. A node advertises
 *   HN_HB_INCOMPATIBLE only when its own check refuses the peer; a peer that
 *   says so is refused without reflecting the flag, so the refusal ends once
 *   neither side's own check refuses (a firmware rolled back).
 * - Disconnect propagation uses edges: the admin's node (origin) sets
 *   DISCONNECT; a peer freezes on the rising edge of that flag. Reconnect on
 *   the origin clears the flag (falling edge resumes the peer); reconnect on
 *   the follower changes its state to normal, and the origin resumes when
 *   it sees its peer leave the disconnected state.
 * - A switchover asked on the standby sets SWITCHOVER_REQUEST in its
 *   heartbeats for 2 x dead_time_ms; the active treats it as its own admin
 *   switchover (same checks). With writes in flight a switchover waits up
 *   to dead_time_ms for them (new writes refused meanwhile).
 * - Shutdown (HN_ADMIN_SHUTDOWN) hands over like maintenance, with the
 *   caller's reason; notify-only checks never move a role.
 * - The time before the first HN_EVENT_HEALTH counts as healthy with no
 *   ping targets.
 */
#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------ event handlers */

static void hn_fsm_on_start(struct hn_node *node, const struct hn_event *event,
			    struct hn_actions *actions)
{
	char reason[HN_REASON_MAX];
	node->boot_nonce = event->u.start.boot_nonce;
	node->started = true;
	node->start_ms = node->now_ms;
	node->state = HN_STATE_STARTING;
	node->role = HN_ROLE_STANDBY;
	snprintf(reason, sizeof(reason), "%s starting, waiting up to %u ms for the peer",
		 node->config.self.name, node->config.timers.wait_for_peer_ms);
	hn_emit_log(node, actions, "start", reason, 0);
	hn_emit_heartbeats(node, actions);
}

static void hn_fsm_on_nothing(struct hn_node *node, const struct hn_event *event,
			      struct hn_actions *actions)
{
	/* Time passed (TICK), or a standalone node hears its former peer: the
	 * rules are re-evaluated after every event anyway. */
	(void)node;
	(void)event;
	(void)actions;
}

static void hn_fsm_on_link(struct hn_node *node, const struct hn_event *event,
			   struct hn_actions *actions)
{
	enum hn_link link = event->link;
	bool up = event->u.carrier_up;
	if (node->carrier[link] == up)
		return;
	node->carrier[link] = up;
	if (!up) {
		node->peer.link_heard[link] = false; /* carrier loss kills the link at once */
		if (link == HN_LINK_SYNC)
			node->peer.sync_data_heard = false;
	}
	char reason[HN_REASON_MAX];
	snprintf(reason, sizeof(reason), "carrier of the %s link is %s",
		 link == HN_LINK_SYNC ? "sync" : "external", up ? "up" : "down");
	hn_emit_log(node, actions, "health", reason, 0);
	if (link != HN_LINK_EXTERNAL)
		return;
	if (!up) {
		node->heard_since_external_down = false;
		node->external_down_ms = node->now_ms;
	}
	/* the peer learns our external side at once (HN_HB_EXTERNAL_UP): it
	 * answers at once, and the carrier rule (rules.c, only without ping
	 * targets) acts on its answer */
	if (node->health.ping_total == 0)
		hn_emit_heartbeats(node, actions);
	if (up)
		hn_rules_run(node, HN_ON_EXTERNAL_UP, actions);
}

/* The host's notify-only checks that changed: each is logged and notified
 * (never a role change); the core's own data-sync lag check is in store.c. */
static void hn_fsm_notify_checks(struct hn_node *node, const struct hn_event *event,
				 struct hn_actions *actions)
{
	static const enum hn_notify_check checks[] = {HN_CHECK_DISK_USAGE, HN_CHECK_TIME_OFFSET,
						      HN_CHECK_SERVICE_HEALTH};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		bool failing = (event->checks.failing & checks[i]) != 0;
		if (failing != ((node->notify_failing & checks[i]) != 0))
			hn_emit_check(node, actions, checks[i], failing, event->checks.text);
	}
}

/* A health round's verdict. The network failover of the active needs a
 * verdict of its peer that reached a ping target between two of its own
 * failed ones (rules.c), so the time of our verdicts goes into our
 * heartbeats (health_age_ms) and a verdict that matters to the peer is sent
 * at once: one that changed, and every one while the active peer reports
 * no ping target. */
static void hn_fsm_on_health(struct hn_node *node, const struct hn_event *event,
			     struct hn_actions *actions)
{
	const struct hn_health *health = &event->u.health;
	bool changed = hn_health_ok(&node->health) != hn_health_ok(health) ||
		       hn_ping_ok(&node->health) != hn_ping_ok(health);
	if (!hn_ping_ok(health)) {
		/* the previous failed verdict, for the network failover rule */
		node->ping_failed_prev_ms = node->ping_failing ? node->health_at_ms : 0;
		node->ping_fail_count = node->ping_failing ? node->ping_fail_count + 1 : 1;
		node->ping_failing = true;
	} else {
		node->ping_failing = false;
		node->ping_fail_count = 0;
	}
	hn_fsm_notify_checks(node, event, actions);
	node->health = *health;
	node->health_seen = true;
	node->health_at_ms = node->now_ms;
	if (node->action_fault) {
		node->action_fault = false; /* the rules decide from this verdict on */
		if (health->raid_ok)
			node->storage_failed = false;
	}
	const struct hn_heartbeat *peer = &node->peer.last;
	bool peer_waits =
	    hn_peer_alive(node) && peer->role == HN_ROLE_ACTIVE && !hn_ping_ok(&peer->health);
	if (changed || peer_waits)
		node->heartbeat_now = true; /* at the end of the step, once */
}

/* A refused peer is remembered apart from the cluster peer: it blocks us
 * from becoming active (see the header) but never keeps the peer alive. */
static void hn_fsm_note_refused(struct hn_node *node, const struct hn_heartbeat *heartbeat,
				const char *reason, struct hn_actions *actions)
{
	struct hn_peer *peer = &node->peer;
	peer->refused = true;
	snprintf(peer->refusal, sizeof(peer->refusal), "%s", reason);
	peer->refused_alive = true;
	peer->refused_heard_ms = node->now_ms;
	peer->refused_role = heartbeat->role;
	peer->refused_node_id = heartbeat->sender.node_id;
	peer->refused_active_for_ms = heartbeat->active_for_ms;
	if (peer->refusal_logged)
		return;
	peer->refusal_logged = true;
	char text[HN_REASON_MAX];
	snprintf(text, sizeof(text), "%.31s refused: %.100s", heartbeat->sender.name, reason);
	hn_emit_log(node, actions, "refused", text, 0);
	hn_emit_notify(node, actions, HN_NOTIFY_JOIN_REFUSED, text);
}

/* Returns true if the heartbeat comes from a peer we may form a cluster with. */
static bool hn_fsm_check_compat(struct hn_node *node, const struct hn_heartbeat *heartbeat,
				struct hn_actions *actions)
{
	char reason[HN_REASON_MAX];
	struct hn_peer *peer = &node->peer;
	enum hn_compat_verdict verdict =
	    hn_compat_check(&node->config.self, &heartbeat->sender, node->config.protocol_version,
			    heartbeat->protocol_version, reason, sizeof(reason));
	/* A peer that refuses us is refused too, but only our own check's
	 * refusal is advertised (HN_HB_INCOMPATIBLE, emit.c): a reflected one
	 * would be reflected back forever, also after a rollback to a
	 * compatible firmware (swarm's firmware-rollback-refusal-loop). */
	peer->refuses_peer = verdict == HN_COMPAT_REFUSED;
	if (verdict != HN_COMPAT_REFUSED && (heartbeat->flags & HN_HB_INCOMPATIBLE)) {
		snprintf(reason, sizeof(reason), "%s refuses this node", heartbeat->sender.name);
		verdict = HN_COMPAT_REFUSED;
	}
	if (verdict == HN_COMPAT_REFUSED) {
		hn_fsm_note_refused(node, heartbeat, reason, actions);
		return false;
	}
	if (peer->refused) {
		peer->refused = false;
		peer->refusal_logged = false;
		peer->refused_alive = false;
		peer->refusal[0] = '\0';
	}
	if (verdict == HN_COMPAT_WARN && !peer->warning_logged) {
		peer->warning_logged = true;
		hn_emit_log(node, actions, "health", reason, 0);
	}
	return true;
}

/* The peer's boot as its heartbeats tell it, news or not: the newest (by
 * packet sequence) names the nonce we echo; every one of that boot counts
 * as hearing it (echo_age_ms). Returns true if the nonce is new to us. */
static bool hn_fsm_note_boot(struct hn_node *node, const struct hn_event *event)
{
	struct hn_peer *peer = &node->peer;
	const struct hn_heartbeat *heartbeat = &event->u.heartbeat;
	bool newest = event->seq == 0 || event->seq >= peer->nonce_seq;
	bool changed = newest && (!peer->nonce_known || heartbeat->nonce != peer->nonce);
	if (changed) {
		peer->nonce_known = true;
		peer->nonce = heartbeat->nonce;
	}
	if (newest)
		peer->nonce_seq = event->seq;
	if (heartbeat->nonce == peer->nonce)
		peer->nonce_heard_ms = node->now_ms;
	return changed;
}

/* What a heartbeat taken as news tells about freshness: since when the
 * peer has not heard us (its echo; not before we started hearing it
 * again) and since when it says so without a pause in its heartbeats (a
 * peer whose loop stalled sends one heartbeat with an old echo before it
 * reads what we sent meanwhile: that alone is no one-way link), when its
 * last health verdict came, when it last said active. */
static void hn_fsm_note_freshness(struct hn_node *node, const struct hn_heartbeat *heartbeat,
				  bool was_alive, uint64_t previous_heard_ms)
{
	struct hn_peer *peer = &node->peer;
	uint64_t now_ms = node->now_ms;
	uint64_t interval_ms = node->config.timers.heartbeat_interval_ms;
	if (!was_alive)
		peer->alive_since_ms = now_ms;
	uint64_t heard_us_ms = 0;
	if (heartbeat->echo_age_ms != HN_AGE_NEVER)
		heard_us_ms = now_ms > heartbeat->echo_age_ms ? now_ms - heartbeat->echo_age_ms : 0;
	uint64_t silence_start_ms =
	    heard_us_ms > peer->alive_since_ms ? heard_us_ms : peer->alive_since_ms;
	bool same_silence = was_alive && now_ms <= previous_heard_ms + 2 * interval_ms &&
			    silence_start_ms <= peer->silence_start_ms + interval_ms / 2;
	if (!same_silence)
		peer->silence_reported_ms = now_ms;
	peer->silence_start_ms = silence_start_ms;
	peer->health_round_known = heartbeat->health_age_ms != HN_AGE_NEVER;
	if (peer->health_round_known)
		peer->health_round_ms =
		    now_ms > heartbeat->health_age_ms ? now_ms - heartbeat->health_age_ms : 0;
	if (heartbeat->role == HN_ROLE_ACTIVE)
		peer->active_heard_ms = now_ms;
}

static void hn_fsm_on_heartbeat(struct hn_node *node, const struct hn_event *event,
				struct hn_actions *actions)
{
	const struct hn_heartbeat *heartbeat = &event->u.heartbeat;
	struct hn_peer *peer = &node->peer;
	if (heartbeat->protocol_version != node->config.protocol_version) {
		/* an older or newer peer knows no freshness handshake: refused
		 * with its reason (compat.c), never news */
		hn_fsm_check_compat(node, heartbeat, actions);
		return;
	}
	bool new_boot = hn_fsm_note_boot(node, event);
	if (heartbeat->echo_nonce != node->boot_nonce) {
		/* it has not heard this boot of ours yet, or it is a capture of
		 * an earlier one: not news; tell the peer who we are */
		if (new_boot)
			hn_emit_heartbeats(node, actions);
		return;
	}
	if (event->seq != 0 && event->seq < peer->newest_seq) {
		if (peer->heard && !peer->refused && node->carrier[event->link]) {
			peer->link_heard[event->link] = true;
			peer->link_heard_ms[event->link] = node->now_ms;
		}
		return;
	}
	if (event->seq != 0)
		peer->newest_seq = event->seq;
	if (!hn_fsm_check_compat(node, heartbeat, actions))
		return;
	bool was_alive = hn_peer_alive(node);
	uint64_t previous_heard_ms = peer->last_heard_ms;
	peer->previous_flags = peer->heard ? peer->last.flags : 0;
	peer->previous_state = peer->heard ? peer->last.state : HN_STATE_STARTING;
	peer->last = *heartbeat;
	peer->heard = true;
	peer->last_heard_ms = node->now_ms;
	node->heard_since_external_down = true;
	if (node->carrier[event->link]) {
		peer->link_heard[event->link] = true;
		peer->link_heard_ms[event->link] = node->now_ms;
	}
	hn_fsm_note_freshness(node, heartbeat, was_alive, previous_heard_ms);
	hn_store_note_peer_generation(node, &heartbeat->generation);
	if (node->yielding && heartbeat->role == HN_ROLE_ACTIVE)
		node->yielding = false;
	if (node->switchover_requested && heartbeat->role != HN_ROLE_ACTIVE)
		node->switchover_requested = false;
	hn_rules_run(node, HN_ON_PEER_HEARTBEAT, actions);
	/* The peer's external carrier changed: answer at once, so that an
	 * active that lost its own learns our external state (rules.c's
	 * carrier rule) one packet delay later, not a heartbeat interval. */
	if (was_alive && node->health.ping_total == 0 &&
	    ((peer->previous_flags ^ heartbeat->flags) & HN_HB_EXTERNAL_UP))
		hn_emit_heartbeats(node, actions);
}

/* A data message that does not echo this boot's nonce was sent to an
 * earlier boot (or is a capture of one): never applied. One that does,
 * on the sync link, keeps replication going (hn_store_peer_reachable):
 * under loss that silences five heartbeats in a row the REPLICATEs and
 * ACKs still pass, and the pair does not fork a generation for nothing.
 * Only heartbeats keep the peer alive (roles do not move on data). */
static void hn_fsm_on_data(struct hn_node *node, const struct hn_event *event,
			   struct hn_actions *actions)
{
	struct hn_peer *peer = &node->peer;
	if (peer->refused || event->u.data.echo_nonce != node->boot_nonce)
		return;
	if (event->link == HN_LINK_SYNC && node->carrier[HN_LINK_SYNC]) {
		peer->sync_data_heard = true;
		peer->sync_data_heard_ms = node->now_ms;
	}
	hn_store_on_data(node, &event->u.data, actions);
}

static void hn_fsm_on_action_failed(struct hn_node *node, const struct hn_event *event,
				    struct hn_actions *actions)
{
	node->failure_kind = event->u.failure.kind;
	snprintf(node->cause, sizeof(node->cause), "%s", event->u.failure.reason);
	hn_rules_run(node, HN_ON_ACTION_FAILED, actions);
}

static bool hn_key_valid(const char *key)
{
	size_t length = strnlen(key, HN_KEY_MAX);
	if (length == 0 || length >= HN_KEY_MAX)
		return false;
	return strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-") ==
	       length;
}

static bool hn_value_valid(const char *value)
{
	size_t length = strnlen(value, HN_VALUE_MAX);
	if (length == 0 || length >= HN_VALUE_MAX)
		return false;
	for (size_t i = 0; i < length; i++) {
		if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] == 0x7f)
			return false;
	}
	return true;
}

static void hn_client_reply(struct hn_node *node, struct hn_actions *actions, uint64_t request_id,
			    const char *text)
{
	struct hn_action *action = hn_actions_push(node, actions, HN_ACTION_CLIENT_REPLY);
	if (action == NULL)
		return;
	action->u.reply.request_id = request_id;
	action->u.reply.ok = false;
	snprintf(action->u.reply.text, sizeof(action->u.reply.text), "%s", text);
}

static void hn_fsm_on_client_write(struct hn_node *node, const struct hn_event *event,
				   struct hn_actions *actions)
{
	uint64_t request_id = event->u.write.request_id;
	if (!hn_key_valid(event->u.write.key)) {
		hn_client_reply(node, actions, request_id, "bad key");
		return;
	}
	if (!hn_value_valid(event->u.write.value)) {
		hn_client_reply(node, actions, request_id, "bad value");
		return;
	}
	if (!hn_node_serves_clients(node)) {
		hn_client_reply(node, actions, request_id, "standby");
		return;
	}
	if (node->switchover_waiting) {
		hn_client_reply(node, actions, request_id, HN_SWITCHOVER_IN_PROGRESS_TEXT);
		return;
	}
	hn_store_client_write(node, request_id, event->u.write.key, event->u.write.value, false,
			      actions);
}

static void hn_fsm_on_admin_event(struct hn_node *node, const struct hn_event *event,
				  struct hn_actions *actions)
{
	hn_admin_on_event(node, event, actions);
}

static void hn_fsm_on_fence_event(struct hn_node *node, const struct hn_event *event,
				  struct hn_actions *actions)
{
	hn_rules_on_fence_result(node, event->u.fence_ok, actions);
}

/* --------------------------------------------------- transition table */

typedef void hn_fsm_handler(struct hn_node *node, const struct hn_event *event,
			    struct hn_actions *actions);

#define HN_S(state)    (1u << (state))
#define HN_S_UNSTARTED (1u << HN_STATE_COUNT) /* before HN_EVENT_START */
#define HN_S_STARTED   ((1u << HN_STATE_COUNT) - 1)
#define HN_S_ANY       (HN_S_STARTED | HN_S_UNSTARTED)
#define HN_S_CLUSTER   (HN_S_STARTED & ~HN_S(HN_STATE_STANDALONE))

/* {states, event, handler}: the first row whose state set holds the
 * node's state handles the event. What the event leads to (the next role
 * and state) is decided by the rules of rules.c that run after every
 * event, because most transitions depend on several facts at once (peer
 * silent AND not outdated AND tie-breaker allows). An event without a row is
 * logged and ignored. */
static const struct {
	uint32_t states;
	enum hn_event_kind kind;
	hn_fsm_handler *handler;
} hn_fsm_table[] = {
    {HN_S_UNSTARTED, HN_EVENT_START, hn_fsm_on_start},
    {HN_S_ANY, HN_EVENT_TICK, hn_fsm_on_nothing},
    {HN_S_ANY, HN_EVENT_LINK, hn_fsm_on_link},
    {HN_S_ANY, HN_EVENT_HEALTH, hn_fsm_on_health},
    {HN_S_CLUSTER, HN_EVENT_HEARTBEAT, hn_fsm_on_heartbeat},
    {HN_S(HN_STATE_STANDALONE), HN_EVENT_HEARTBEAT, hn_fsm_on_nothing},
    {HN_S_CLUSTER, HN_EVENT_DATA, hn_fsm_on_data},
    {HN_S(HN_STATE_STANDALONE), HN_EVENT_DATA, hn_fsm_on_nothing},
    {HN_S_STARTED, HN_EVENT_ADMIN, hn_fsm_on_admin_event},
    {HN_S_STARTED, HN_EVENT_CLIENT_WRITE, hn_fsm_on_client_write},
    {HN_S_STARTED, HN_EVENT_FENCE_RESULT, hn_fsm_on_fence_event},
    {HN_S_STARTED, HN_EVENT_ACTION_FAILED, hn_fsm_on_action_failed},
};

static const char *hn_event_name(enum hn_event_kind kind)
{
	static const char *const names[] = {
	    [HN_EVENT_START] = "start",
	    [HN_EVENT_TICK] = "tick",
	    [HN_EVENT_HEARTBEAT] = "heartbeat",
	    [HN_EVENT_LINK] = "link",
	    [HN_EVENT_HEALTH] = "health",
	    [HN_EVENT_ADMIN] = "admin",
	    [HN_EVENT_DATA] = "data",
	    [HN_EVENT_CLIENT_WRITE] = "client write",
	    [HN_EVENT_FENCE_RESULT] = "fence result",
	    [HN_EVENT_ACTION_FAILED] = "action failed",
	};
	return names[kind];
}

static hn_fsm_handler *hn_fsm_lookup(const struct hn_node *node, enum hn_event_kind kind)
{
	uint32_t state_bit = node->started ? HN_S(node->state) : HN_S_UNSTARTED;
	for (size_t i = 0; i < sizeof(hn_fsm_table) / sizeof(hn_fsm_table[0]); i++) {
		if (hn_fsm_table[i].kind == kind && (hn_fsm_table[i].states & state_bit))
			return hn_fsm_table[i].handler;
	}
	return NULL;
}

/* ------------------------------------------------------------ the step */

static bool hn_string_terminated(const char *text, size_t size)
{
	return memchr(text, '\0', size) != NULL;
}

/* Why an event cannot be used, or NULL if it can. */
static const char *hn_event_malformed(const struct hn_node *node, const struct hn_event *event,
				      uint64_t now_ms)
{
	if (now_ms < node->now_ms)
		return "time went backwards";
	if (event->kind < HN_EVENT_START || event->kind > HN_EVENT_ACTION_FAILED)
		return "unknown event kind";
	if ((unsigned)event->link >= HN_LINKS)
		return "unknown link";
	const struct hn_heartbeat *heartbeat = &event->u.heartbeat;
	switch (event->kind) {
	case HN_EVENT_HEARTBEAT:
		if ((unsigned)heartbeat->role > HN_ROLE_ACTIVE ||
		    (unsigned)heartbeat->state >= HN_STATE_COUNT ||
		    !hn_string_terminated(heartbeat->sender.name, HN_NAME_MAX))
			return "heartbeat with a field out of range";
		if (heartbeat->sender.node_id == node->config.self.node_id)
			return "heartbeat carries this node's own id";
		return NULL;
	case HN_EVENT_HEALTH:
		if (event->u.health.ping_reachable > event->u.health.ping_total)
			return "health reports more ping targets reachable than configured";
		if (!hn_string_terminated(event->checks.text, HN_NOTIFY_TEXT_MAX))
			return "health with an unterminated notify text";
		return NULL;
	case HN_EVENT_ACTION_FAILED:
		if (event->u.failure.kind < HN_FAILURE_STORAGE ||
		    event->u.failure.kind > HN_FAILURE_SERVICES ||
		    !hn_string_terminated(event->u.failure.reason, HN_REASON_MAX))
			return "action failure with a field out of range";
		return NULL;
	case HN_EVENT_DATA:
		if (event->u.data.kind < HN_DATA_REPLICATE ||
		    event->u.data.kind > HN_DATA_SYNC_BATCH ||
		    event->u.data.entry_count > HN_SYNC_BATCH_MAX)
			return "data message with a field out of range";
		return NULL;
	case HN_EVENT_CLIENT_WRITE:
		if (!hn_string_terminated(event->u.write.key, HN_KEY_MAX) ||
		    !hn_string_terminated(event->u.write.value, HN_VALUE_MAX))
			return "client write with an unterminated key or value";
		return NULL;
	default:
		return NULL;
	}
}

static void hn_fsm_expire(struct hn_node *node)
{
	uint64_t dead_time_ms = node->config.timers.dead_time_ms;
	for (int link = 0; link < HN_LINKS; link++) {
		if (node->peer.link_heard[link] &&
		    node->now_ms >= node->peer.link_heard_ms[link] + dead_time_ms)
			node->peer.link_heard[link] = false;
	}
	if (node->peer.sync_data_heard &&
	    node->now_ms >= node->peer.sync_data_heard_ms + dead_time_ms)
		node->peer.sync_data_heard = false;
	if (node->peer.refused_alive && node->now_ms >= node->peer.refused_heard_ms + dead_time_ms)
		node->peer.refused_alive = false;
	if (node->switchover_requested && node->now_ms >= node->switchover_until_ms)
		node->switchover_requested = false;
	if (node->yielding && node->now_ms >= node->yield_until_ms)
		node->yielding = false;
}

/* Re-evaluate every rule at now_ms; see the header for why this is
 * level-triggered. */
static void hn_fsm_evaluate(struct hn_node *node, struct hn_actions *actions)
{
	if (!node->started)
		return;
	hn_fsm_expire(node);
	if (node->state != HN_STATE_STANDALONE)
		hn_rules_step(node, actions);
	hn_store_evaluate(node, actions);
	bool alive = hn_peer_alive(node);
	/* a peer that comes back hears from us at once, so it joins without
	 * waiting for our next regular heartbeat */
	bool sent =
	    node->next_heartbeat_ms == node->now_ms + node->config.timers.heartbeat_interval_ms;
	if (node->now_ms >= node->next_heartbeat_ms || (alive && !node->peer.was_alive) ||
	    (node->heartbeat_now && !sent))
		hn_emit_heartbeats(node, actions);
	node->heartbeat_now = false;
	node->peer.was_alive = alive;
	node->peer.refused_was_alive = node->peer.refused_alive;
}

int hn_node_step(struct hn_node *node, const struct hn_event *event, uint64_t now_ms,
		 struct hn_actions *actions)
{
	actions->count = 0;
	const char *malformed = hn_event_malformed(node, event, now_ms);
	if (malformed != NULL) {
		char reason[HN_REASON_MAX];
		snprintf(reason, sizeof(reason), "hn_node_step: %s: event ignored: %s",
			 node->config.self.name, malformed);
		hn_emit_log(node, actions, "ignored", reason, 0);
		return -1;
	}
	node->now_ms = now_ms;
	hn_fsm_handler *handler = hn_fsm_lookup(node, event->kind);
	if (handler == NULL) {
		char reason[HN_REASON_MAX];
		snprintf(reason, sizeof(reason), "unexpected %s event in state %s, ignored",
			 hn_event_name(event->kind),
			 node->started ? hn_state_name(node->state) : "not started");
		hn_emit_log(node, actions, "ignored", reason, 0);
	} else {
		handler(node, event, actions);
	}
	hn_fsm_evaluate(node, actions);
	return 0;
}

/* ------------------------------------------------------ init and reads */

void hn_config_defaults(struct hn_config *config)
{
	memset(config, 0, sizeof(*config));
	config->self.node_id = 1;
	snprintf(config->self.name, sizeof(config->self.name), "node1");
	config->self.model = HN_MODEL_RACK1;
	config->self.cpu_count = 4;
	config->self.memory_mb = 8192;
	config->self.disk_gb = 500;
	config->self.firmware = (struct hn_version){1, 0, 0};
	config->timers.heartbeat_interval_ms = 200;
	config->timers.dead_time_ms = 1000;
	config->timers.wait_for_peer_ms = 10000;
	config->timers.fence_delay_ms = 500;
	config->timers.retransmit_ms = 100;
	config->tiebreaker = HN_TIEBREAKER_NONE;
	config->protocol_version = HN_PROTOCOL_VERSION;
}

size_t hn_node_size(void)
{
	return sizeof(struct hn_node);
}

static const char *hn_config_invalid(const struct hn_config *config)
{
	const struct hn_timers *timers = &config->timers;
	if (config->self.node_id == 0)
		return "node_id must not be 0";
	if (!hn_string_terminated(config->self.name, HN_NAME_MAX) || config->self.name[0] == '\0')
		return "name must have 1..31 characters";
	if ((unsigned)config->self.model >= HN_MODEL_COUNT)
		return "unknown model";
	if ((unsigned)config->tiebreaker > HN_TIEBREAKER_FENCE)
		return "unknown tie-breaker";
	if (timers->heartbeat_interval_ms == 0 || timers->retransmit_ms == 0)
		return "heartbeat_interval_ms and retransmit_ms must not be 0";
	if (timers->dead_time_ms <= timers->heartbeat_interval_ms)
		return "dead_time_ms must exceed heartbeat_interval_ms";
	if (config->protocol_version == 0)
		return "protocol_version must not be 0";
	return NULL;
}

int hn_node_init(struct hn_node *node, const struct hn_config *config, char *error,
		 size_t error_size)
{
	const char *invalid = hn_config_invalid(config);
	if (invalid != NULL) {
		if (error != NULL && error_size > 0)
			snprintf(error, error_size, "hn_node_init: node %u: %s",
				 config->self.node_id, invalid);
		return -1;
	}
	memset(node, 0, sizeof(*node));
	node->config = *config;
	node->role = HN_ROLE_STANDBY;
	node->state = HN_STATE_STARTING;
	node->health = (struct hn_health){.raid_ok = true, .services_ok = true};
	node->carrier[HN_LINK_SYNC] = true;
	node->carrier[HN_LINK_EXTERNAL] = true;
	hn_store_init(&node->store);
	return 0;
}

int hn_node_restore_entry(struct hn_node *node, const struct hn_entry *entry)
{
	if (node->started)
		return -1;
	return hn_store_restore_entry(&node->store, entry);
}

void hn_node_restore_generation(struct hn_node *node, const struct hn_generation *generation,
				bool outdated)
{
	node->store.generation = *generation;
	if (generation->id > node->store.highest_generation_id)
		node->store.highest_generation_id = generation->id;
	node->store.outdated = outdated;
}

static uint64_t hn_min_ms(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t hn_node_next_deadline_ms(const struct hn_node *node)
{
	if (!node->started)
		return UINT64_MAX;
	uint64_t dead_time_ms = node->config.timers.dead_time_ms;
	uint64_t deadline = node->next_heartbeat_ms;
	for (int link = 0; link < HN_LINKS; link++) {
		if (node->peer.link_heard[link])
			deadline =
			    hn_min_ms(deadline, node->peer.link_heard_ms[link] + dead_time_ms);
	}
	if (node->peer.sync_data_heard)
		deadline = hn_min_ms(deadline, node->peer.sync_data_heard_ms + dead_time_ms);
	if (node->peer.refused_alive)
		deadline = hn_min_ms(deadline, node->peer.refused_heard_ms + dead_time_ms);
	if (node->state == HN_STATE_STARTING && !node->wait_over)
		deadline =
		    hn_min_ms(deadline, node->start_ms + node->config.timers.wait_for_peer_ms);
	if (node->fence_phase == HN_FENCE_DELAY || node->fence_phase == HN_FENCE_RETRY)
		deadline = hn_min_ms(deadline, node->fence_at_ms);
	if (node->switchover_requested)
		deadline = hn_min_ms(deadline, node->switchover_until_ms);
	if (node->yielding)
		deadline = hn_min_ms(deadline, node->yield_until_ms);
	deadline = hn_min_ms(deadline, hn_rules_next_deadline_ms(node));
	return hn_min_ms(deadline, hn_store_next_deadline_ms(node));
}

void hn_node_status(const struct hn_node *node, uint64_t now_ms, struct hn_status *status)
{
	(void)now_ms; /* facts are as of the last step; now_ms kept for the API */
	memset(status, 0, sizeof(*status));
	status->role = node->role;
	status->state = node->state;
	status->outdated = node->store.outdated;
	status->peer_outdated = node->store.peer_outdated;
	status->peer_seen = hn_peer_alive(node);
	for (int link = 0; link < HN_LINKS; link++) {
		status->link_alive[link] = hn_link_alive(node, (enum hn_link)link);
		status->link_carrier[link] = node->carrier[link];
	}
	status->in_sync =
	    node->role == HN_ROLE_ACTIVE ? node->store.peer_in_sync : node->store.in_sync;
	status->resyncing = node->store.resyncing;
	if (node->peer.heard) {
		status->peer = node->peer.last.sender;
		status->peer_role = node->peer.last.role;
		status->peer_state = node->peer.last.state;
	}
	status->health = node->health;
	status->generation = node->store.generation;
	status->last_seq = node->store.last_seq;
	status->lost_writes_total = node->lost_writes_total;
	status->transition_count = node->transition_count;
	memcpy(status->transitions, node->transitions, sizeof(status->transitions));
	if (node->peer.refused)
		snprintf(status->refusal, sizeof(status->refusal), "%s", node->peer.refusal);
	status->notify_failing = node->notify_failing;
	status->storage_failed = node->storage_failed;
	status->switchover_waiting = node->switchover_waiting;
}

const struct hn_entry *hn_node_get(const struct hn_node *node, const char *key)
{
	return hn_store_find(&node->store, key);
}

bool hn_node_serves_clients(const struct hn_node *node)
{
	return node->started && node->role == HN_ROLE_ACTIVE;
}
