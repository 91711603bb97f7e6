/*
 * transition.h - the shape of a rule of the transition table (rules.c) and
 * the one function that applies a rule (transition.c), the third layer of
 * the core (node.h).
 *
 * A rule is a row {trigger, from, condition, to, effects, reason}: when the
 * trigger runs (every step, a peer's heartbeat, an admin command, a fence
 * result), the node's role/state is in the from set and the named condition
 * holds, the node goes to `to` with the effects, and the reason template
 * (with the numbers the condition filled in) lands in the cluster log. A
 * row whose `to` keeps role and state changes nothing but applies its
 * effects (fencing, announcing the cluster IP, a log line said once).
 */
#ifndef HN_TRANSITION_H
#define HN_TRANSITION_H

#include "node.h"

/* When a row is considered. */
enum hn_trigger {
	HN_ON_STEP = 0,	      /* after every event (level-triggered) */
	HN_ON_PEER_HEARTBEAT, /* a heartbeat of the peer was taken (edges of its flags) */
	HN_ON_FENCE_OK,	      /* the pending FENCE succeeded */
	HN_ON_MAINTENANCE_ON, /* the operator's commands, once accepted (admin.c) */
	HN_ON_MAINTENANCE_OFF,
	HN_ON_SWITCHOVER,
	HN_ON_DISCONNECT,
	HN_ON_RECONNECT,
	HN_ON_DISBAND,
	HN_ON_ACTION_FAILED, /* HN_EVENT_ACTION_FAILED (node->failure_kind, node->cause) */
	HN_ON_SHUTDOWN,	     /* admin shutdown (node->cause: the caller's reason) */
	HN_ON_EXTERNAL_UP,   /* the external link's carrier came back */
	HN_ON_TRIGGER_COUNT
};

/* A (role, state) pair as one bit; a rule's from set is an OR of these. */
#define HN_AT(role, state)   (1u << ((unsigned)(role)*HN_STATE_COUNT + (unsigned)(state)))
#define HN_ACTIVE	     HN_AT(HN_ROLE_ACTIVE, HN_STATE_NORMAL)
#define HN_STANDBY	     HN_AT(HN_ROLE_STANDBY, HN_STATE_NORMAL)
#define HN_STANDBY_IN(state) HN_AT(HN_ROLE_STANDBY, state)
#define HN_IN(state)	     (HN_AT(HN_ROLE_STANDBY, state) | HN_AT(HN_ROLE_ACTIVE, state))

/* to_role / to_state: keep the current one. */
#define HN_KEEP (-1)

/* Side effects of a rule, applied by hn_transition in the order listed in
 * transition.c: some before the change (so that the heartbeats sent for the
 * change carry them), some after it. */
enum hn_effect {
	HN_FX_TOOK_OVER = 1u << 0,	     /* became active without its peer (TOOK_OVER flag) */
	HN_FX_NOTIFY_FAILOVER = 1u << 1,     /* notification "failover" with the reason */
	HN_FX_NOTIFY_FAULT = 1u << 2,	     /* notification "fault" with the reason */
	HN_FX_FENCED = 1u << 3,		     /* the peer is off: do not fence it again */
	HN_FX_YIELD = 1u << 4,		     /* switchover: YIELD until the peer is active */
	HN_FX_CLEAR_REQUESTS = 1u << 5,	     /* stop yielding and asking for a switchover */
	HN_FX_DISCONNECT_ORIGIN = 1u << 6,   /* this node cut the link: DISCONNECT flag */
	HN_FX_CLEAR_ORIGIN = 1u << 7,	     /* drop the DISCONNECT flag */
	HN_FX_FENCE_IDLE = 1u << 8,	     /* forget any fencing */
	HN_FX_SPLIT_BRAIN_LOSS = 1u << 9,    /* log + notify split brain, drop data, resync */
	HN_FX_ANNOUNCE_IP = 1u << 10,	     /* announce the cluster IP again (IP_ADD) */
	HN_FX_VERDICT = 1u << 11,	     /* advertise the split-brain loser in heartbeats */
	HN_FX_FENCE_DELAY = 1u << 12,	     /* standby: fence after fence_delay_ms */
	HN_FX_FENCE = 1u << 13,		     /* emit FENCE, wait for its result */
	HN_FX_WAIT_LOGGED = 1u << 14,	     /* the tie-breaker's "wait" is logged once */
	HN_FX_OUTDATED_LOGGED = 1u << 15,    /* the outdated start's wait is logged once */
	HN_FX_STORAGE_FAILED = 1u << 16,     /* no data until the next health round; memory may
						hold more than the disk: the next resync is full */
	HN_FX_ACTION_FAULT = 1u << 17,	     /* fault until the next health round */
	HN_FX_SWITCHOVER_WAIT = 1u << 18,    /* the peer's switchover waits for replication */
	HN_FX_SWITCHOVER_DONE = 1u << 19,    /* the waiting switchover happens: reply ok */
	HN_FX_SWITCHOVER_GIVE_UP = 1u << 20, /* the waiting switchover is refused: reply */
	HN_FX_COUNT = 21
};

/* What a condition tells the reason template: {peer} {peer_state} {why}
 * {ms} {ours} {theirs} {reachable} {total} {count}. */
struct hn_reason_args {
	char why[HN_REASON_MAX];
	uint64_t ms, ours, theirs, reachable, total, count;
	uint32_t loser; /* HN_FX_VERDICT: the node id that lost */
};

/* A named predicate: does the rule hold now? Fills args for the reason. */
typedef bool hn_rule_condition(const struct hn_node *node, struct hn_reason_args *args);

struct hn_rule {
	enum hn_trigger trigger;
	uint32_t from; /* HN_AT bits */
	hn_rule_condition *condition;
	const char *condition_name; /* the condition in words, for the diagram */
	int to_role;		    /* enum hn_role or HN_KEEP */
	int to_state;		    /* enum hn_state or HN_KEEP */
	uint32_t effects;	    /* enum hn_effect bits */
	const char *log_event;	    /* a row that keeps role and state: its log record's event */
	const char *reason;	    /* template, see struct hn_reason_args */
};

/* Applies a rule whose condition held: effects before the change, the
 * change (resources, cluster-log record, status, heartbeats), effects after
 * it. The one place where role or state changes. */
void hn_transition(struct hn_node *node, const struct hn_rule *rule,
		   const struct hn_reason_args *args, struct hn_actions *actions);
/* The reason template with args filled in. */
void hn_reason_expand(const struct hn_node *node, const char *template,
		      const struct hn_reason_args *args, char *reason, size_t reason_size);
/* "notify failover", ... for the diagram; NULL for an unknown bit. */
const char *hn_effect_name(uint32_t effect);

#endif
