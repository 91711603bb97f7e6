/*
 * fixture_private.h - the inside of the two-node fixture (fixture.h),
 * shared by fixture.c (steps, invariants, the run loop, power, clients)
 * and fixture_net.c (packets, links, capture and replay). Only these two
 * files include it.
 */
#ifndef HN_FIXTURE_PRIVATE_H
#define HN_FIXTURE_PRIVATE_H

#include "fixture.h"

#define HN_FIXTURE_LOCAL_EVENTS_MAX    16
#define HN_FIXTURE_SAME_TIME_STEPS_MAX 20000
#define HN_FIXTURE_DEFAULT_DELAY_MS    1
#define HN_FIXTURE_FAILURE_KINDS       4 /* enum hn_failure_kind + 1 */

struct hn_fixture_packet {
	uint64_t deliver_at_ms;
	uint64_t order; /* FIFO among packets due at the same time */
	uint32_t to;
	enum hn_link link;
	size_t length;
	uint8_t bytes[HN_PACKET_MAX];
};

/* What a node has on disk: PERSIST / STORE_RESET, generation, outdated. */
struct hn_fixture_disk {
	struct hn_entry entries[HN_STORE_ENTRIES_MAX];
	uint32_t entry_count;
	uint64_t max_seq; /* the newest write persisted since the last reset */
	struct hn_generation generation;
	bool outdated;
};

struct hn_fixture_write {
	uint64_t request_id;
	uint32_t node;
	char key[HN_KEY_MAX];
	char value[HN_VALUE_MAX];
	int answer; /* -1 none yet, 0 error, 1 ok */
	uint64_t seq;
	bool excused; /* lost by a reported split brain */
	uint64_t sent_ms, answered_ms;
};

struct hn_fixture_local_event {
	uint32_t node;
	struct hn_event event;
};

struct hn_fixture {
	struct hn_fixture_options options;
	uint64_t now_ms;
	uint64_t random_state;
	struct hn_node *nodes[HN_FIXTURE_NODES];
	struct hn_config configs[HN_FIXTURE_NODES];
	bool powered[HN_FIXTURE_NODES];
	bool ever_powered[HN_FIXTURE_NODES];
	struct hn_fixture_disk disks[HN_FIXTURE_NODES];
	/* links */
	bool partitioned[HN_LINKS];
	bool oneway_cut[HN_LINKS][HN_FIXTURE_NODES]; /* [link][sender] */
	bool carrier[HN_FIXTURE_NODES][HN_LINKS];
	uint32_t drop_percent[HN_LINKS];
	uint32_t delay_ms[HN_LINKS];
	struct hn_fixture_packet *queue; /* HN_FIXTURE_QUEUE_MAX */
	uint32_t queue_count;
	uint64_t queue_order;
	uint8_t key[HN_KEY_BYTES];
	uint64_t packet_seq[HN_FIXTURE_NODES];
	struct hn_replay_window windows[HN_FIXTURE_NODES];
	struct hn_proto_counters counters[HN_FIXTURE_NODES];
	/* health, fencing */
	struct hn_health health[HN_FIXTURE_NODES];
	struct hn_health health_sent[HN_FIXTURE_NODES];
	bool cluster_ip_visible[HN_FIXTURE_NODES];
	uint32_t fence_failures[HN_FIXTURE_NODES];
	uint64_t next_round_ms[HN_FIXTURE_NODES]; /* health rounds (options.health_interval_ms) */
	bool measured[HN_FIXTURE_NODES];	  /* health to report at the next round */
	struct hn_health measured_health[HN_FIXTURE_NODES];
	uint64_t power_count[HN_FIXTURE_NODES]; /* boot nonces */
	/* failures injected: the nth action of a kind fails (0 = none) */
	uint32_t fail_countdown[HN_FIXTURE_NODES][HN_FIXTURE_FAILURE_KINDS];
	uint32_t failed_actions;
	/* capture and replay of one node's packets */
	bool capturing[HN_FIXTURE_NODES];
	struct hn_fixture_packet *capture; /* HN_FIXTURE_CAPTURE_MAX */
	uint64_t capture_sent_ms[HN_FIXTURE_CAPTURE_MAX];
	uint32_t capture_count;
	struct hn_fixture_local_event local[HN_FIXTURE_LOCAL_EVENTS_MAX];
	uint32_t local_count;
	/* observations */
	struct hn_actions actions;
	struct hn_fixture_write *writes; /* HN_FIXTURE_WRITES_MAX */
	uint32_t write_count;
	uint64_t next_request_id;
	bool admin_answered;
	bool admin_ok;
	char admin_text[HN_REASON_MAX];
	uint64_t admin_request_id;
	struct hn_fixture_log logs[HN_FIXTURE_LOGS_MAX];
	uint32_t log_count;
	uint64_t lost_writes;
	uint64_t same_time_steps;
	uint64_t same_time_at_ms;
	char failure[HN_FIXTURE_FAILURE_MAX];
};

/* fixture_net.c */
void hn_fixture_fail(struct hn_fixture *fixture, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
uint32_t hn_fixture_random_percent(struct hn_fixture *fixture);
const char *hn_fixture_name(const struct hn_fixture *fixture, uint32_t node);
void hn_fixture_trace(struct hn_fixture *fixture, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void hn_fixture_send(struct hn_fixture *fixture, uint32_t from, const struct hn_action *action);
/* Index of the packet to deliver next, or -1. */
int hn_fixture_next_packet(const struct hn_fixture *fixture);
void hn_fixture_queue_remove(struct hn_fixture *fixture, uint32_t index);
/* fixture.c */
int hn_fixture_step(struct hn_fixture *fixture, uint32_t node, const struct hn_event *event);

#endif
