/*
 * fixture.h - two reference-node cores in virtual time over simulated links.
 *
 * The fixture owns two struct hn_node, a bounded queue of packets in flight
 * and a virtual clock. Every SEND_HEARTBEAT / SEND_DATA action is encoded and
 * authenticated with hn_proto_encode_* (proto.c), carried over the simulated
 * link (partition, carrier, delay, seeded random drop), and decoded with
 * hn_proto_decode (replay window per receiver) before it is fed to the other
 * core as an event. The clock jumps straight to the earliest of the nodes'
 * next deadlines and the next delivery (hn_node_next_deadline_ms is exact).
 *
 * After EVERY step the fixture checks invariants and stops at the first
 * violation (hn_fixture_failure() says which, at what time, with the seed):
 *   - never two active nodes when the tie-breaker is ping or fence;
 *   - a node whose data was outdated before a step is not active after it;
 *   - the core emitted no more actions than fit (actions_dropped == 0).
 * hn_fixture_check_writes() checks at the end that every write acknowledged
 * to a client is readable on the active node, unless a split brain under
 * `none` reported it lost (the loser's writes in its losing generation).
 *
 * The fixture also plays the daemon's part that the core leaves out: it
 * keeps each node's durable store from PERSIST / STORE_RESET (so a node can
 * be powered off and on again and restores what it persisted), answers
 * FENCE by powering the peer off, feeds HEALTH events whenever a node's
 * health changes (and every health_interval_ms if set), including
 * cluster_ip_answered (the other node is active, powered and its cluster IP
 * reachable), and gives every START a fresh boot nonce (seeded).
 *
 * Faults it injects besides links and power: one-way partitions, the Nth
 * storage action (PERSIST or STORE_RESET), IP_ADD or SERVICES_START of a
 * node failing - done the way hn_core.h asks of a host: a failed storage
 * action is not applied and the rest of its step is dropped, and the
 * failure is fed back (HN_EVENT_ACTION_FAILED) before anything else - and a
 * replay of packets recorded earlier (an attacker's capture).
 *
 * Durability is checked at once: a client's OK for a write the answering
 * node's disk does not hold, or an ACK from a node whose disk does not
 * reach the acknowledged seq, fails the run.
 *
 * Nothing here depends on refimpl/tests: hasim's deterministic simulator can
 * reuse it as is.
 */
#ifndef HN_FIXTURE_H
#define HN_FIXTURE_H

#include "hn_core.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define HN_FIXTURE_NODES       2
#define HN_FIXTURE_QUEUE_MAX   2048 /* packets in flight */
#define HN_FIXTURE_WRITES_MAX  8192 /* acknowledged client writes tracked */
#define HN_FIXTURE_LOGS_MAX    1024 /* cluster log records kept (oldest dropped) */
#define HN_FIXTURE_FAILURE_MAX 512
#define HN_FIXTURE_CAPTURE_MAX 512 /* packets recorded for a replay */

struct hn_fixture_options {
	enum hn_tiebreaker tiebreaker;
	uint64_t seed;				       /* random drop; 0 is allowed */
	struct hn_timers timers;		       /* all zero = hn_config_defaults() */
	struct hn_identity identity[HN_FIXTURE_NODES]; /* node_id 0 = defaults node1/node2 */
	FILE *trace;				       /* every step and action, or NULL */
	/* Health rounds: every node reports its health (an HN_EVENT_HEALTH,
	 * changed or not) every health_interval_ms, at health_phase_ms[node]
	 * plus multiples of it; 0 = only when it changes (and at once). */
	uint32_t health_interval_ms;
	uint32_t health_phase_ms[HN_FIXTURE_NODES];
	/* Called after every step of a node with its event and actions, or
	 * NULL (the golden-trace runner prints them). */
	void (*observe)(void *context, uint64_t now_ms, uint32_t node, const struct hn_event *event,
			const struct hn_actions *actions);
	void *observe_context;
};

/* One cluster log record as the node emitted it, with time and node. */
struct hn_fixture_log {
	uint64_t at_ms;
	uint32_t node; /* index 0 or 1 */
	struct hn_log_record record;
};

struct hn_fixture; /* opaque; allocated by hn_fixture_create */

/* Returns NULL (with a message naming the function in error) on failure. */
struct hn_fixture *hn_fixture_create(const struct hn_fixture_options *options, char *error,
				     size_t error_size);
void hn_fixture_free(struct hn_fixture *fixture); /* NULL is fine */

/* Power on (START at the current time; restores what the node persisted if
 * it ran before) and off (the node stops stepping; packets to it vanish). */
int hn_fixture_power_on(struct hn_fixture *fixture, uint32_t node);
void hn_fixture_power_off(struct hn_fixture *fixture, uint32_t node);
bool hn_fixture_powered(const struct hn_fixture *fixture, uint32_t node);

/* Links. A partition drops everything on the link in both directions (see
 * also the one-way partition below); a carrier change is an HN_EVENT_LINK
 * to the node (and a dead link). */
void hn_fixture_partition(struct hn_fixture *fixture, enum hn_link link, bool cut);
int hn_fixture_set_carrier(struct hn_fixture *fixture, uint32_t node, enum hn_link link, bool up);
void hn_fixture_set_drop_percent(struct hn_fixture *fixture, enum hn_link link, uint32_t percent);
void hn_fixture_set_delay_ms(struct hn_fixture *fixture, enum hn_link link, uint32_t delay_ms);
/* Whether clients (and the peer's cluster-IP probe) reach this node's
 * cluster IP; false models its external uplink being gone. */
void hn_fixture_set_cluster_ip_visible(struct hn_fixture *fixture, uint32_t node, bool visible);
/* Health as the node's own checks see it (cluster_ip_answered is computed). */
int hn_fixture_set_health(struct hn_fixture *fixture, uint32_t node,
			  const struct hn_health *health);
/* Health that the node's checks measure from now on, reported at its next
 * health round (options.health_interval_ms must be set): a switch dying
 * between two rounds. */
void hn_fixture_set_health_next_round(struct hn_fixture *fixture, uint32_t node,
				      const struct hn_health *health);
/* A new identity (e.g. updated firmware), effective at the next power on. */
void hn_fixture_set_identity(struct hn_fixture *fixture, uint32_t node,
			     const struct hn_identity *identity);
/* Make the next FENCE of a node fail (count times). */
void hn_fixture_fail_fences(struct hn_fixture *fixture, uint32_t node, uint32_t count);
/* One direction of a link: packets sent by `from` are dropped (cut) or
 * carried again. */
void hn_fixture_partition_oneway(struct hn_fixture *fixture, enum hn_link link, uint32_t from,
				 bool cut);
/* The nth action of this kind of the node from now on fails (1 = the next
 * one; 0 cancels): HN_FAILURE_STORAGE counts PERSIST and STORE_RESET,
 * HN_FAILURE_CLUSTER_IP IP_ADD, HN_FAILURE_SERVICES SERVICES_START. */
void hn_fixture_fail_action(struct hn_fixture *fixture, uint32_t node, enum hn_failure_kind kind,
			    uint32_t nth);
uint32_t hn_fixture_failed_actions(const struct hn_fixture *fixture); /* injected so far */
/* Record the packets node sends from now on (at most HN_FIXTURE_CAPTURE_MAX),
 * or stop; then inject them into `to` from now on with their original
 * spacing (no link impairs an attacker). The receiver's replay window
 * restarts with each power on, so after a restart it lets them through. */
void hn_fixture_capture(struct hn_fixture *fixture, uint32_t node, bool on);
int hn_fixture_replay(struct hn_fixture *fixture, uint32_t to);

/* Run the clock to until_ms (steps on the way), or for duration_ms. Returns
 * -1 as soon as an invariant fails. */
int hn_fixture_run_until(struct hn_fixture *fixture, uint64_t until_ms);
int hn_fixture_run_for(struct hn_fixture *fixture, uint64_t duration_ms);

/* Operator and client, at the current time. admin returns 1 if the reply
 * said ok, 0 if refused, -1 on an invariant failure; the reply text goes to
 * reply (may be NULL). write returns 0 if the request was handed to the
 * node (the answer may come later: see hn_fixture_write_answered). */
int hn_fixture_admin(struct hn_fixture *fixture, uint32_t node, enum hn_admin_command command,
		     const char *key, const char *value, char *reply, size_t reply_size);
int hn_fixture_write(struct hn_fixture *fixture, uint32_t node, const char *key, const char *value,
		     uint64_t *request_id);
/* 1 acknowledged ok, 0 answered with an error, -1 not answered yet. */
int hn_fixture_write_answered(const struct hn_fixture *fixture, uint64_t request_id);
/* Index of the node that serves clients (lowest if two), or -1. */
int hn_fixture_serving_node(const struct hn_fixture *fixture);

/* Reads. */
uint64_t hn_fixture_now_ms(const struct hn_fixture *fixture);
const struct hn_node *hn_fixture_node(const struct hn_fixture *fixture, uint32_t node);
void hn_fixture_status(const struct hn_fixture *fixture, uint32_t node, struct hn_status *status);
uint32_t hn_fixture_active_count(const struct hn_fixture *fixture);
/* Time of the first transition of node to display state `to` at or after
 * since_ms, or UINT64_MAX. */
uint64_t hn_fixture_transition_at(const struct hn_fixture *fixture, uint32_t node, const char *to,
				  uint64_t since_ms);
/* Number of kept log records of node with this event (e.g. "split_brain"). */
uint32_t hn_fixture_log_count(const struct hn_fixture *fixture, uint32_t node, const char *event);
const struct hn_fixture_log *hn_fixture_log_find(const struct hn_fixture *fixture, uint32_t node,
						 const char *event, uint32_t nth);
uint64_t hn_fixture_lost_writes(const struct hn_fixture *fixture); /* reported by split brains */
uint64_t hn_fixture_acked_writes(const struct hn_fixture *fixture);
/* The longest a client waited for an answer (an unanswered write counts
 * until now_ms). */
uint64_t hn_fixture_write_latency_max_ms(const struct hn_fixture *fixture, uint64_t now_ms);

/* End-of-run check of acknowledged writes (see the header). 0 or -1. */
int hn_fixture_check_writes(struct hn_fixture *fixture);
const char *hn_fixture_failure(const struct hn_fixture *fixture); /* "" if none */

#endif
