/*
 * node.h - the inside of struct hn_node, and the bottom layer of the pure
 * core. Nothing outside refimpl/core should include it: the daemon, the
 * simulator and the tests use hn_core.h and treat struct hn_node as opaque
 * (hn_node_size()); only the core's own tests look inside.
 *
 * The core is built in layers; a file calls only into its own layer and
 * the layers below it, never up (test_fsm's "layers" test checks the
 * includes):
 *   1. emit.c        actions (push, log, notify, replies, heartbeats) and
 *                    facts (link/peer alive, health) - node.h
 *   2. store.c       the replicated store - store.h
 *   3. transition.c  the one function that changes role or state, with
 *                    its side effects - transition.h
 *   4. rules.c       the transition table and its predicates, evaluated in
 *                    order; diagram.c draws it; admin.c the operator's
 *                    commands - rules.h
 *   5. fsm.c         hn_node_step: events in, the table run, status
 * names.c, compat.c and proto.c stand apart (hn_core.h only).
 *
 * The node keeps only what it has been told: the last heartbeat of the peer
 * per link, its own health, timers as absolute virtual times. Every timer
 * that matters is visible to hn_node_next_deadline_ms(), and every timer is
 * cleared (or moved into the future) by the step that handles it, so the
 * next deadline is always later than the last step.
 */
#ifndef HN_NODE_H
#define HN_NODE_H

#include "hn_core.h"
#include "store.h"

/* Reason strings of admin replies that other parts show to operators. */
#define HN_SETTINGS_LOCKED_TEXT "settings are locked on the standby; edit them on the active node"
/* A client's write while a switchover waits for the writes in flight. */
#define HN_SWITCHOVER_IN_PROGRESS_TEXT "switchover in progress"

struct hn_peer {
	bool heard; /* any heartbeat since init */
	struct hn_heartbeat last;
	uint64_t last_heard_ms;
	bool link_heard[HN_LINKS]; /* heard within the dead time on this link */
	uint64_t link_heard_ms[HN_LINKS];
	/* a data message (REPLICATE, ACK, SYNC_*) of its current boot heard on
	 * the sync link within the dead time: replication goes on while the
	 * peer is alive, even if loss silenced the sync link's heartbeats */
	bool sync_data_heard;
	uint64_t sync_data_heard_ms;
	uint64_t newest_seq;	 /* packet sequence of the newest heartbeat (stale ones) */
	uint32_t previous_flags; /* flags of the heartbeat before last (edges) */
	enum hn_state previous_state;
	bool was_alive; /* peer alive at the end of the last step */
	/* compatibility */
	bool refused;
	bool refuses_peer; /* refused by our own check, not only its flag: advertised */
	bool refusal_logged;
	bool warning_logged;
	char refusal[HN_REASON_MAX];
	bool refused_alive; /* a refused peer spoke within the dead time */
	uint64_t refused_heard_ms;
	enum hn_role refused_role;
	uint32_t refused_node_id;
	uint64_t refused_active_for_ms; /* its active period when last heard */
	bool refused_active_seen;	/* saw it active while active ourselves */
	bool refused_was_alive;		/* refused_alive at the end of the last step */
	/* freshness (fsm.c's header) */
	bool nonce_known;	      /* heard a heartbeat of the peer's current boot */
	uint64_t nonce;		      /* its boot nonce, echoed in our heartbeats */
	uint64_t nonce_seq;	      /* packet sequence of the heartbeat that named it */
	uint64_t nonce_heard_ms;      /* when we last heard that boot (echo_age_ms) */
	uint64_t alive_since_ms;      /* start of the current period the peer is alive */
	uint64_t silence_start_ms;    /* since when the peer has not heard us, per its echo */
	uint64_t silence_reported_ms; /* since when it says so without a pause */
	bool health_round_known;      /* its health verdict's age is known */
	uint64_t health_round_ms;     /* when its last health verdict came, in our time */
	uint64_t active_heard_ms;     /* last heartbeat that said active */
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
	/* a heartbeat of the peer taken as news since our external carrier
	 * last went down (the carrier rule, rules.c) */
	bool heard_since_external_down;
	uint64_t external_down_ms; /* when our external carrier last went down */
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
	uint64_t boot_nonce; /* from HN_EVENT_START */
	/* health rounds (network failover waits for a verdict of the peer
	 * newer than our own failure) */
	bool heartbeat_now; /* send heartbeats at the end of this step (if none went yet) */
	bool health_seen;
	uint64_t health_at_ms;
	bool ping_failing;
	uint32_t ping_fail_count;     /* failed ping verdicts in a row */
	uint64_t ping_failed_prev_ms; /* the one before the latest (health_at_ms) */
	/* a failed action's fault lasts until the next health verdict */
	bool action_fault;
	bool storage_failed; /* ignore data, no resync, NO_STORAGE in heartbeats */
	/* a switchover waiting for in-flight replication (bounded) */
	bool switchover_waiting;
	bool switchover_by_peer; /* asked on the standby, not by an admin command */
	bool switchover_reply;	 /* an ADMIN_REPLY is owed */
	uint64_t switchover_request_id;
	uint64_t switchover_until_wait_ms;
	/* notify-only checks that fail now (enum hn_notify_check) */
	uint32_t notify_failing;
	/* what the event being handled brought: a failed action's kind, and
	 * its text or the reason of a shutdown (for the rules' reasons) */
	enum hn_failure_kind failure_kind;
	char cause[HN_REASON_MAX];
	struct hn_peer peer;
	struct hn_store store;
	uint64_t lost_writes_total;
	uint64_t actions_dropped; /* actions that did not fit (tests assert 0) */
	uint32_t transition_count;
	struct hn_transition_record transitions[HN_TRANSITIONS_KEPT];
};

/* ------------------------------------------- emit.c: actions and facts */

struct hn_action *hn_actions_push(struct hn_node *node, struct hn_actions *actions,
				  enum hn_action_kind kind);
void hn_emit_log(struct hn_node *node, struct hn_actions *actions, const char *event,
		 const char *reason, uint64_t lost_writes);
void hn_emit_notify(struct hn_node *node, struct hn_actions *actions, enum hn_notify_kind kind,
		    const char *text);
/* Heartbeats on every link whose carrier is up; restarts the interval. */
void hn_emit_heartbeats(struct hn_node *node, struct hn_actions *actions);
void hn_emit_admin_reply(struct hn_node *node, struct hn_actions *actions, uint64_t request_id,
			 bool ok, const char *text);
/* "active"/"standby" in state normal, otherwise the state's name. */
const char *hn_display_state(enum hn_role role, enum hn_state state);
/* The peer's name from its last heartbeat, or "the peer". */
const char *hn_peer_name(const struct hn_node *node);
bool hn_peer_alive(const struct hn_node *node);
bool hn_link_alive(const struct hn_node *node, enum hn_link link);
bool hn_health_ok(const struct hn_health *health);
bool hn_ping_ok(const struct hn_health *health);
/* Timers whose 0 means their default (hn_core.h). */
uint32_t hn_fence_timeout_ms(const struct hn_node *node);
uint32_t hn_sync_lag_ms(const struct hn_node *node);
/* A notify-only check changed (failing or recovered): a "health" record
 * and an HN_NOTIFY_HEALTH, never a role change. */
void hn_emit_check(struct hn_node *node, struct hn_actions *actions, enum hn_notify_check check,
		   bool failing, const char *text);

#endif
