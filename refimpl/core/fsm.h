/*
 * fsm.h - the inside of struct hn_node, shared by the files of the pure core
 * (fsm.c, fsm_checks.c, fsm_admin.c, store.c). Nothing outside refimpl/core
 * should include it: the daemon, the tests and the simulator use hn_core.h
 * and treat struct hn_node as opaque (hn_node_size()).
 *
 * The node keeps only what it has been told: the last heartbeat of the peer
 * per link, its own health, timers as absolute virtual times. Every timer
 * that matters is visible to hn_node_next_deadline_ms(), and every timer is
 * cleared (or moved into the future) by the step that handles it, so the
 * next deadline is always later than the last step.
 */
#ifndef HN_FSM_H
#define HN_FSM_H

#include "hn_core.h"
#include "store.h"

/* Reason strings of admin replies that other parts show to operators. */
#define HN_SETTINGS_LOCKED_TEXT "settings are locked on the standby; edit them on the active node"

struct hn_peer {
	bool heard; /* any heartbeat since init */
	struct hn_heartbeat last;
	uint64_t last_heard_ms;
	bool link_heard[HN_LINKS]; /* heard within the dead time on this link */
	uint64_t link_heard_ms[HN_LINKS];
	uint64_t newest_seq;	 /* packet sequence of the newest heartbeat (stale ones) */
	uint32_t previous_flags; /* flags of the heartbeat before last (edges) */
	enum hn_state previous_state;
	bool was_alive; /* peer alive at the end of the last step */
	/* compatibility */
	bool refused;
	bool refusal_logged;
	bool warning_logged;
	char refusal[HN_REASON_MAX];
	bool refused_alive; /* a refused peer spoke within the dead time */
	uint64_t refused_heard_ms;
	enum hn_role refused_role;
	uint32_t refused_node_id;
};

enum hn_fence_phase {
	HN_FENCE_IDLE = 0,
	HN_FENCE_DELAY,	  /* standby: waiting fence_delay_ms after the dead time */
	HN_FENCE_PENDING, /* FENCE emitted, waiting for FENCE_RESULT */
	HN_FENCE_RETRY,	  /* standby: fence failed, retry at fence_at_ms */
	HN_FENCE_DONE,	  /* active: fenced (or tried) the dead standby */
};

struct hn_node {
	struct hn_config config;
	uint64_t now_ms; /* time of the last step */
	bool started;
	uint64_t start_ms;
	bool wait_over; /* wait-for-all expired or forced */
	bool outdated_wait_logged;
	enum hn_role role;
	enum hn_state state;
	struct hn_health health;
	bool carrier[HN_LINKS];
	uint64_t next_heartbeat_ms;
	uint64_t active_since_ms;
	uint64_t changed_ms;	   /* time of our last role/state change */
	bool took_over;		   /* became active without the peer, this generation */
	bool yielding;		   /* switchover: YIELD until the peer is active */
	uint64_t yield_until_ms;   /* give up yielding if the peer never takes over */
	bool switchover_requested; /* standby asked the active to yield */
	uint64_t switchover_until_ms;
	bool disconnect_origin;	      /* admin disconnected here: DISCONNECT flag */
	uint32_t split_brain_loser;   /* judge's verdict advertised in heartbeats */
	bool split_brain_active_peer; /* saw the peer active while active ourselves */
	enum hn_fence_phase fence_phase;
	uint64_t fence_at_ms;
	bool ping_wait_logged;
	struct hn_peer peer;
	struct hn_store store;
	uint64_t lost_writes_total;
	uint64_t actions_dropped; /* actions that did not fit (tests assert 0) */
	uint32_t transition_count;
	struct hn_transition_record transitions[HN_TRANSITIONS_KEPT];
};

/* ------------------------------------------------------ fsm.c: helpers */

struct hn_action *hn_actions_push(struct hn_node *node, struct hn_actions *actions,
				  enum hn_action_kind kind);
void hn_emit_log(struct hn_node *node, struct hn_actions *actions, const char *event,
		 const char *reason, uint64_t lost_writes);
void hn_emit_notify(struct hn_node *node, struct hn_actions *actions, enum hn_notify_kind kind,
		    const char *text);
void hn_emit_heartbeats(struct hn_node *node, struct hn_actions *actions);
void hn_emit_admin_reply(struct hn_node *node, struct hn_actions *actions, uint64_t request_id,
			 bool ok, const char *text);
const char *hn_display_state(enum hn_role role, enum hn_state state);
/* The one function that changes role or state: resources, log, heartbeats. */
void hn_set_role_state(struct hn_node *node, enum hn_role role, enum hn_state state,
		       struct hn_actions *actions, const char *reason);
void hn_become_active(struct hn_node *node, struct hn_actions *actions, bool peer_dead, bool notify,
		      const char *reason);
bool hn_peer_alive(const struct hn_node *node);
bool hn_link_alive(const struct hn_node *node, enum hn_link link);
bool hn_health_ok(const struct hn_health *health);
bool hn_ping_ok(const struct hn_health *health);

/* ------------------------------------------------ fsm_checks.c: checks */

void hn_fsm_check_peer_death(struct hn_node *node, struct hn_actions *actions);
void hn_fsm_check_start(struct hn_node *node, struct hn_actions *actions);
void hn_fsm_check_health(struct hn_node *node, struct hn_actions *actions);
void hn_fsm_check_split_brain(struct hn_node *node, struct hn_actions *actions);
void hn_fsm_check_takeover(struct hn_node *node, struct hn_actions *actions);
void hn_fsm_check_peer_flags(struct hn_node *node, struct hn_actions *actions);
void hn_fsm_on_fence_result(struct hn_node *node, bool fence_ok, struct hn_actions *actions);

/* --------------------------------------------- fsm_admin.c: commands */

void hn_fsm_on_admin(struct hn_node *node, const struct hn_event *event,
		     struct hn_actions *actions);
/* Start a switchover on the active node: NULL, or why it is refused. */
const char *hn_fsm_switchover_release(struct hn_node *node, struct hn_actions *actions,
				      const char *reason);
void hn_fsm_disconnect(struct hn_node *node, bool origin, struct hn_actions *actions,
		       const char *reason);
void hn_fsm_reconnect(struct hn_node *node, struct hn_actions *actions, const char *reason);
void hn_fsm_disband(struct hn_node *node, struct hn_actions *actions, const char *reason);

#endif
