/*
 * host_fake.h - the recording fake platform of the host's CUnit tests
 * (test_host.c, test_host_failures.c) and the two-node driver around it.
 *
 * Each node's platform is a fake that records every call it gets as one
 * line of text ("ip add@500", "ping 0 seq 8@100", "persist k1=v1 seq 1",
 * "log transition standby->active role active: ...") with the test's
 * virtual time, keeps the packets the host sends in an outbox, keeps a
 * disk (the entries persist made durable), and fails what a test tells it
 * to (a store write, the Nth of them, the Nth cluster IP add or services
 * start of the pair, the fence command, the packet counter's reservation).
 * A test asserts on those lines, in order.
 *
 * Two nodes form a cluster through their outboxes: deliver() hands each
 * node's packets to the other host (never from inside a platform call, so
 * no host is re-entered), run_until() moves the virtual clock from deadline
 * to deadline. Times are exact virtual milliseconds. Writes given with
 * fake_put() are checked when they are answered: an OK must be on the
 * acknowledging node's disk and on its peer's unless the peer is marked
 * outdated (fake_cluster.violations counts what was not).
 */
#ifndef HN_HOST_FAKE_H
#define HN_HOST_FAKE_H

#include "host.h"
#include "test_main.h"

#define FAKE_CALLS_MAX	 2048
#define FAKE_CALL_LENGTH 200
#define FAKE_OUTBOX_MAX	 64

struct fake_packet {
	enum hn_link link;
	size_t length;
	uint8_t bytes[HN_PACKET_MAX];
};

struct fake {
	struct hn_host *host;
	struct fake *peer;
	size_t call_count;
	char calls[FAKE_CALLS_MAX][FAKE_CALL_LENGTH];
	size_t out_count;
	struct fake_packet outbox[FAKE_OUTBOX_MAX];
	uint64_t sent[HN_LINKS];
	/* behaviour */
	bool cut; /* packets to and from this node are lost */
	bool fail_persist, fail_fence, fail_reserve, fail_ip;
	uint32_t fail_persist_at; /* the Nth persist call fails (0 = none) */
	uint32_t persist_calls;
	bool services_fail_later; /* services_start starts, then exits with 1 */
	uint64_t services_start_id;
	/* notify-only checks: 0 known ok, 1 known failed, 2 a command */
	int disk_mode, time_mode, health_mode;
	int raid_mode;	   /* 0 known ok, 1 known failed, 2 a command */
	int services_mode; /* the same */
	uint64_t next_command_id;
	char last_client_reply[HN_REASON_MAX + 16];
	char last_admin_reply[HN_REASON_MAX + 64];
	/* the disk: what persist made durable (latest per key) */
	size_t disk_count;
	struct hn_entry disk[HN_STORE_ENTRIES_MAX];
	bool generation_known, outdated;
	struct hn_generation generation;
};

/* Over both nodes: the Nth IP add or services start fails (0 = none);
 * writes the test asked for, by request id (fake_put); what the checks of
 * the OK answers found. */
#define FAKE_REQUESTS_MAX 256
struct fake_cluster {
	uint32_t ip_adds, fail_ip_at;
	uint32_t services_starts, fail_services_at;
	size_t request_count;
	struct hn_entry requests[FAKE_REQUESTS_MAX]; /* seq = request id */
	bool acknowledged[FAKE_REQUESTS_MAX];	     /* answered OK */
	uint32_t oks, errors;
	uint32_t violations;
	char violation[256]; /* the first */
	/* packets of a node captured on their way (deliver), if capture_of >= 0 */
	int capture_of;
	size_t capture_count, capture_max;
	struct fake_packet *capture;
};

extern const uint8_t test_key[HN_KEY_BYTES];
extern uint64_t test_now_ms;
extern struct fake fakes[2];
extern struct fake_cluster fake_cluster;

/* Index of the nth call starting with prefix, or -1; how many; the line. */
int fake_find(const struct fake *fake, const char *prefix, size_t nth);
size_t fake_count(const struct fake *fake, const char *prefix);
const char *fake_line(const struct fake *fake, const char *prefix, size_t nth);
/* The entry of key on the fake's disk, or NULL. */
const struct hn_entry *fake_disk_get(const struct fake *fake, const char *key);
/* A client's PUT on fake's host, remembered and checked when answered. */
int fake_put(struct fake *fake, uint64_t request_id, const char *key, const char *value,
	     char *answer, size_t answer_size);
void fake_check_answer(struct fake *fake, uint64_t request_id, const char *answer);

/* The test cluster's timers (heartbeat 100, dead time 300, wait 500 ms,
 * health every 1000 ms, no checks), every command configured. */
struct hn_host_config test_config(uint32_t node_id, enum hn_tiebreaker tiebreaker);
struct hn_host_platform test_platform(struct fake *fake);
/* Node index 0 or 1 (node1, node2) with config; its fake is reset. */
struct fake *test_node(int index, const struct hn_host_config *config);
/* hn_host_start with a fresh boot nonce, as hanode draws one. */
void test_start(struct hn_host *host, uint64_t now_ms);
void test_setup_nodes(void);
void test_teardown_nodes(void);
/* Hands every queued packet to the other node (lost when either is cut). */
void deliver(void);
/* Virtual time up to until_ms: packets delivered, hosts ticked at their
 * deadlines, the fake's services_start commands ended. */
void run_until(uint64_t until_ms);
void test_status(const struct fake *fake, struct hn_host_status *status);
/* "active", "standby" or the state's name. */
const char *test_display(const struct fake *fake);
/* Starts node index again on what its fake's disk holds (a restart). */
struct fake *test_restart(int index, const struct hn_host_config *config);
/* Both nodes started at 0 without checks: node1 wins the tie by its lower
 * id and is active, node2 standby and in sync, by 1000. */
void test_form_pair(enum hn_tiebreaker tiebreaker);

#endif
