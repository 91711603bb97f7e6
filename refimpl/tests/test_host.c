/*
 * test_host.c - CUnit tests of the node's host (refimpl/host/host.h).
 *
 * Each node's platform is a fake that records every call it gets as one
 * line of text ("ip add@500", "ping 0 seq 8@100", "persist k1=v1 seq 1",
 * "log transition standby->active role active: ...") with the test's
 * virtual time, keeps the packets the host sends in an outbox, and fails
 * what a test tells it to (a store write, the fence command, the packet
 * counter's reservation). A test asserts on those lines, in order.
 *
 * Two nodes form a cluster through their outboxes: deliver() hands each
 * node's packets to the other host (never from inside a platform call, so
 * no host is re-entered), run_until() moves the virtual clock from deadline
 * to deadline. Times are exact virtual milliseconds.
 */
#include "host.h"
#include "test_main.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	int raid_mode;	   /* 0 known ok, 1 known failed, 2 a command */
	int services_mode; /* the same */
	uint64_t next_command_id;
	char last_client_reply[64];
	char last_admin_reply[HN_REASON_MAX + 64];
};

static const uint8_t test_key[HN_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static uint64_t test_now_ms;
static struct fake fakes[2];

/* ------------------------------------------------------------ the fake */

__attribute__((format(printf, 2, 3))) static void fake_call(struct fake *fake, const char *format,
							    ...)
{
	va_list arguments;
	if (fake->call_count >= FAKE_CALLS_MAX)
		return;
	char *line = fake->calls[fake->call_count++];
	va_start(arguments, format);
	vsnprintf(line, FAKE_CALL_LENGTH, format, arguments);
	va_end(arguments);
}

/* Index of the nth call starting with prefix, or -1. */
static int fake_find(const struct fake *fake, const char *prefix, size_t nth)
{
	for (size_t i = 0; i < fake->call_count; i++)
		if (strncmp(fake->calls[i], prefix, strlen(prefix)) == 0 && nth-- == 0)
			return (int)i;
	return -1;
}

static size_t fake_count(const struct fake *fake, const char *prefix)
{
	size_t count = 0;
	while (fake_find(fake, prefix, count) >= 0)
		count++;
	return count;
}

static const char *fake_line(const struct fake *fake, const char *prefix, size_t nth)
{
	int index = fake_find(fake, prefix, nth);
	return index >= 0 ? fake->calls[index] : "(none)";
}

static int fake_send(void *context, enum hn_link link, const uint8_t *packet, size_t length,
		     char *error, size_t error_size)
{
	struct fake *fake = context;
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	static struct hn_heartbeat heartbeat;
	static struct hn_data_message data;
	(void)error;
	(void)error_size;
	fake->sent[link]++;
	/* Data messages are worth a line: a persist must come before its ack. */
	if (hn_proto_decode(packet, length, test_key, &window, &counters, &heartbeat, &data) ==
	    HN_PACKET_DATA)
		fake_call(fake, "send data kind %d seq %llu@%llu", data.kind,
			  (unsigned long long)data.seq, (unsigned long long)test_now_ms);
	if (fake->out_count < FAKE_OUTBOX_MAX) {
		struct fake_packet *out = &fake->outbox[fake->out_count++];
		out->link = link;
		out->length = length;
		memcpy(out->bytes, packet, length);
	}
	return 0;
}

static int fake_cluster_ip(void *context, bool add, char *error, size_t error_size)
{
	struct fake *fake = context;
	fake_call(fake, "ip %s@%llu", add ? "add" : "remove", (unsigned long long)test_now_ms);
	if (fake->fail_ip) {
		snprintf(error, error_size, "fake: cluster IP: Operation not permitted");
		return -1;
	}
	return 0;
}

static int fake_garp(void *context, char *error, size_t error_size)
{
	(void)error;
	(void)error_size;
	fake_call(context, "garp@%llu", (unsigned long long)test_now_ms);
	return 0;
}

static int fake_ping(void *context, uint32_t target, uint16_t sequence, char *error,
		     size_t error_size)
{
	(void)error;
	(void)error_size;
	fake_call(context, "ping %u seq %u@%llu", target, sequence,
		  (unsigned long long)test_now_ms);
	return 0;
}

static int fake_probe(void *context, char *error, size_t error_size)
{
	(void)error;
	(void)error_size;
	fake_call(context, "probe@%llu", (unsigned long long)test_now_ms);
	return 0;
}

static int fake_check(void *context, enum hn_host_check check, bool *done, bool *ok, char *reason,
		      size_t reason_size, uint64_t *command_id, char *error, size_t error_size)
{
	struct fake *fake = context;
	int mode = check == HN_HOST_CHECK_RAID ? fake->raid_mode : fake->services_mode;
	const char *what = check == HN_HOST_CHECK_RAID ? "raid" : "services";
	(void)error;
	(void)error_size;
	*done = mode != 2;
	*ok = mode == 0;
	snprintf(reason, reason_size, "fake %s %s", what, *ok ? "ok" : "failed");
	if (mode == 2)
		*command_id = ++fake->next_command_id;
	fake_call(fake, "check %s id %llu@%llu", what,
		  mode == 2 ? (unsigned long long)*command_id : 0, (unsigned long long)test_now_ms);
	return 0;
}

static const char *fake_command_name(enum hn_host_command command)
{
	static const char *const names[] = {"",	      "services_start", "services_stop",
					    "notify", "fence",		"check"};
	return names[command];
}

static int fake_command(void *context, enum hn_host_command command, const char *input,
			const char *const *environment, uint64_t *command_id, char *error,
			size_t error_size)
{
	struct fake *fake = context;
	char env[160] = "";
	for (size_t i = 0; environment && environment[i]; i++)
		snprintf(env + strlen(env), sizeof(env) - strlen(env), " %s", environment[i]);
	fake_call(fake, "command %s%s%s%s@%llu", fake_command_name(command), env,
		  input ? " stdin " : "", input ? input : "", (unsigned long long)test_now_ms);
	if (command == HN_HOST_COMMAND_FENCE && fake->fail_fence) {
		snprintf(error, error_size, "fake: fence command: No such file or directory");
		return -1;
	}
	*command_id = ++fake->next_command_id;
	return 0;
}

static void fake_command_kill(void *context, uint64_t command_id)
{
	fake_call(context, "kill %llu@%llu", (unsigned long long)command_id,
		  (unsigned long long)test_now_ms);
}

static int fake_persist(void *context, const struct hn_entry *entry, char *error, size_t error_size)
{
	struct fake *fake = context;
	if (entry)
		fake_call(fake, "persist %s=%s seq %llu@%llu", entry->key, entry->value,
			  (unsigned long long)entry->seq, (unsigned long long)test_now_ms);
	else
		fake_call(fake, "persist reset@%llu", (unsigned long long)test_now_ms);
	if (fake->fail_persist) {
		snprintf(error, error_size, "fake: store.log: No space left on device");
		return -1;
	}
	return 0;
}

static int fake_persist_generation(void *context, const struct hn_generation *generation,
				   bool outdated, char *error, size_t error_size)
{
	(void)error;
	(void)error_size;
	fake_call(context, "generation %llu outdated %d@%llu", (unsigned long long)generation->id,
		  outdated, (unsigned long long)test_now_ms);
	return 0;
}

static int fake_persist_maintenance(void *context, bool on, char *error, size_t error_size)
{
	(void)error;
	(void)error_size;
	fake_call(context, "maintenance %s@%llu", on ? "on" : "off",
		  (unsigned long long)test_now_ms);
	return 0;
}

static int fake_persist_packet_seq(void *context, uint64_t limit, char *error, size_t error_size)
{
	struct fake *fake = context;
	fake_call(fake, "reserve %llu%s", (unsigned long long)limit,
		  fake->fail_reserve ? " failed" : "");
	if (fake->fail_reserve) {
		snprintf(error, error_size, "fake: packet_seq: Input/output error");
		return -1;
	}
	return 0;
}

static void fake_log(void *context, uint64_t now_ms, const struct hn_log_record *record,
		     const char *role)
{
	fake_call(context, "log %s %s->%s role %s: %s@%llu", record->event, record->from,
		  record->to, role, record->reason, (unsigned long long)now_ms);
}

static void fake_client_reply(void *context, uint64_t request_id, const char *answer)
{
	struct fake *fake = context;
	fake_call(fake, "client_reply %llu %s@%llu", (unsigned long long)request_id, answer,
		  (unsigned long long)test_now_ms);
	snprintf(fake->last_client_reply, sizeof(fake->last_client_reply), "%s", answer);
}

static void fake_admin_reply(void *context, uint64_t request_id, bool ok, const char *text)
{
	struct fake *fake = context;
	fake_call(fake, "admin_reply %llu %s %s@%llu", (unsigned long long)request_id,
		  ok ? "ok" : "refused", text, (unsigned long long)test_now_ms);
	snprintf(fake->last_admin_reply, sizeof(fake->last_admin_reply), "%s %s",
		 ok ? "ok" : "refused", text);
}

static uint64_t fake_wall_ms(void *context, uint64_t now_ms)
{
	(void)context;
	return 1700000000000ull + now_ms;
}

/* ------------------------------------------------------------ the nodes */

static struct hn_host_config test_config(uint32_t node_id, enum hn_tiebreaker tiebreaker)
{
	struct hn_host_config config;
	memset(&config, 0, sizeof(config));
	hn_config_defaults(&config.core);
	config.core.self.node_id = node_id;
	snprintf(config.core.self.name, sizeof(config.core.self.name), "node%u", node_id);
	config.core.tiebreaker = tiebreaker;
	config.core.timers.heartbeat_interval_ms = 100;
	config.core.timers.dead_time_ms = 300;
	config.core.timers.wait_for_peer_ms = 500;
	config.core.timers.fence_delay_ms = 200;
	config.health_interval_ms = 1000;
	config.ping_timeout_ms = 300;
	config.ping_attempts = 3;
	config.has_cluster_ip = true;
	config.garp_count = 3;
	config.garp_interval_ms = 100;
	config.probe_timeout_ms = 300;
	config.probe_interval_ms = 100;
	config.has_services_start = config.has_services_stop = true;
	config.has_notify = config.has_fence = true;
	return config;
}

static struct hn_host_platform test_platform(struct fake *fake)
{
	struct hn_host_platform platform = {
	    .context = fake,
	    .send = fake_send,
	    .cluster_ip = fake_cluster_ip,
	    .garp = fake_garp,
	    .ping = fake_ping,
	    .probe = fake_probe,
	    .check = fake_check,
	    .command = fake_command,
	    .command_kill = fake_command_kill,
	    .persist = fake_persist,
	    .persist_generation = fake_persist_generation,
	    .persist_maintenance = fake_persist_maintenance,
	    .persist_packet_seq = fake_persist_packet_seq,
	    .log = fake_log,
	    .client_reply = fake_client_reply,
	    .admin_reply = fake_admin_reply,
	    .wall_ms = fake_wall_ms,
	};
	return platform;
}

/* Node index 0 or 1 (node1, node2) with config; its fake is reset. */
static struct fake *test_node(int index, const struct hn_host_config *config)
{
	struct fake *fake = &fakes[index];
	char error[HN_HOST_ERROR_MAX];
	free(fake->host);
	memset(fake, 0, sizeof(*fake));
	fake->peer = &fakes[1 - index];
	fake->host = calloc(1, hn_host_size());
	CU_ASSERT_FATAL(fake->host != NULL);
	struct hn_host_platform platform = test_platform(fake);
	CU_ASSERT_FATAL(
	    hn_host_init(fake->host, config, test_key, &platform, 1000, error, sizeof(error)) == 0);
	hn_host_carrier(fake->host, HN_LINK_SYNC, true, test_now_ms);
	hn_host_carrier(fake->host, HN_LINK_EXTERNAL, true, test_now_ms);
	return fake;
}

static void test_setup_nodes(void)
{
	test_now_ms = 0;
	memset(fakes, 0, sizeof(fakes));
}

static void test_teardown_nodes(void)
{
	/* HOST_TEST_DUMP=1 prints every call of both nodes (debugging a test). */
	for (int i = 0; getenv("HOST_TEST_DUMP") && i < 2; i++)
		for (size_t c = 0; c < fakes[i].call_count; c++)
			printf("node%d %s\n", i + 1, fakes[i].calls[c]);
	for (int i = 0; i < 2; i++) {
		free(fakes[i].host);
		fakes[i].host = NULL;
	}
}

/* Hands every queued packet to the other node (lost when either is cut). */
static void deliver(void)
{
	for (int rounds = 0; rounds < 100; rounds++) {
		bool moved = false;
		for (int i = 0; i < 2; i++) {
			struct fake *fake = &fakes[i];
			size_t count = fake->out_count;
			static struct fake_packet queue[FAKE_OUTBOX_MAX];
			memcpy(queue, fake->outbox, count * sizeof(queue[0]));
			fake->out_count = 0;
			for (size_t p = 0; p < count; p++) {
				if (fake->cut || fake->peer->cut || !fake->peer->host)
					continue;
				hn_host_packet(fake->peer->host, queue[p].link, queue[p].bytes,
					       queue[p].length, test_now_ms);
				moved = true;
			}
		}
		if (!moved)
			return;
	}
}

static uint64_t host_deadline(int index)
{
	return fakes[index].host ? hn_host_next_deadline_ms(fakes[index].host) : UINT64_MAX;
}

/* Virtual time up to until_ms: packets delivered, hosts ticked at their deadlines. */
static void run_until(uint64_t until_ms)
{
	deliver();
	for (int steps = 0; steps < 100000; steps++) {
		uint64_t next_ms =
		    host_deadline(0) < host_deadline(1) ? host_deadline(0) : host_deadline(1);
		if (next_ms > until_ms)
			break;
		if (next_ms > test_now_ms)
			test_now_ms = next_ms;
		for (int i = 0; i < 2; i++)
			if (fakes[i].host && host_deadline(i) <= test_now_ms)
				hn_host_tick(fakes[i].host, test_now_ms);
		deliver();
	}
	test_now_ms = until_ms;
}

static void test_status(const struct fake *fake, struct hn_host_status *status)
{
	hn_host_status(fake->host, test_now_ms, status);
}

static const char *test_display(const struct fake *fake)
{
	struct hn_host_status status;
	test_status(fake, &status);
	return status.core.state == HN_STATE_NORMAL ? hn_role_name(status.core.role)
						    : hn_state_name(status.core.state);
}

/* Both nodes started at 0 without checks: node1 wins the tie by its lower
 * id and is active, node2 standby and in sync, by 1000. */
static void test_form_pair(enum hn_tiebreaker tiebreaker)
{
	struct hn_host_config config1 = test_config(1, tiebreaker);
	struct hn_host_config config2 = test_config(2, tiebreaker);
	test_node(0, &config1);
	test_node(1, &config2);
	hn_host_start(fakes[0].host, 0);
	hn_host_start(fakes[1].host, 0);
	run_until(1000);
	CU_ASSERT_STRING_EQUAL(test_display(&fakes[0]), "active");
	CU_ASSERT_STRING_EQUAL(test_display(&fakes[1]), "standby");
}

/* ----------------------------------------------------------- start gating */

/* The core starts only with the first verdict; the peer's packets before
 * it are decoded (status shows the peer) but not fed. */
static void test_start_waits_for_the_first_verdict(void)
{
	struct hn_host_config config1 = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_config config2 = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config1.ping_target_count = 1;
	struct fake *node1 = test_node(0, &config1), *node2 = test_node(1, &config2);
	hn_host_start(node2->host, 0);
	hn_host_start(node1->host, 0);
	CU_ASSERT_EQUAL(fake_count(node2, "log start"), 1); /* no check: at once */
	CU_ASSERT_EQUAL(fake_count(node1, "log start"), 0);
	CU_ASSERT_STRING_EQUAL(fake_line(node1, "ping", 0), "ping 0 seq 8@0");
	/* A carrier change before the start is only noted. */
	hn_host_carrier(node1->host, HN_LINK_EXTERNAL, false, 30);
	run_until(50);
	test_status(node1, &status);
	CU_ASSERT_FALSE(status.started);
	CU_ASSERT_TRUE(status.peer_heard);	/* decoded ... */
	CU_ASSERT_FALSE(status.core.peer_seen); /* ... not fed */
	CU_ASSERT_EQUAL(status.health_rounds, 0);
	CU_ASSERT_EQUAL(fake_count(node1, "log"), 0);
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node1->host), 100); /* the resend */
	/* Admin before the start is refused at once, not left to time out. */
	hn_host_admin(node1->host, 4, HN_ADMIN_SWITCHOVER, "", "", 50);
	CU_ASSERT_STRING_EQUAL(node1->last_admin_reply,
			       "refused not started yet: waiting for the first health verdict");
	/* The verdict: HEALTH, START, then the carriers as last reported. */
	test_now_ms = 60;
	hn_host_ping_reply(node1->host, 8, 60);
	test_status(node1, &status);
	CU_ASSERT_TRUE(status.started);
	CU_ASSERT_EQUAL(status.core.health.ping_reachable, 1);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	int start = fake_find(node1, "log", 0);
	CU_ASSERT_STRING_EQUAL(node1->calls[start],
			       "log start starting->starting role standby: node1 starting, waiting "
			       "up to 500 ms for the peer@60");
	CU_ASSERT_EQUAL(fake_find(node1, "log health", 0), fake_find(node1, "log", 1));
	CU_ASSERT_STRING_EQUAL(fake_line(node1, "log health", 0),
			       "log health starting->starting role standby: carrier of the "
			       "external link is down@60");
	CU_ASSERT_FALSE(status.core.link_carrier[HN_LINK_EXTERNAL]);
	CU_ASSERT_TRUE(status.core.link_carrier[HN_LINK_SYNC]);
	/* node2's next heartbeat is fed: node1 wins the tie (lower id). */
	run_until(300);
	test_status(node1, &status);
	CU_ASSERT_TRUE(status.core.peer_seen);
	CU_ASSERT_STRING_EQUAL(test_display(node1), "active");
	CU_ASSERT_STRING_EQUAL(test_display(node2), "standby");
}

/* A remembered maintenance comes back at the start; its answer goes nowhere. */
static void test_remembered_maintenance(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	hn_host_restore_maintenance(node->host, true);
	hn_host_start(node->host, 0);
	run_until(2000);
	CU_ASSERT_STRING_EQUAL(test_display(node), "maintenance");
	CU_ASSERT_EQUAL(fake_count(node, "admin_reply"), 0);
	CU_ASSERT_EQUAL(fake_count(node, "maintenance"), 0); /* not written again */
	CU_ASSERT_EQUAL(fake_count(node, "ip add"), 0);
}

/* ------------------------------------------------------------ health rounds */

/* Every target answers: the round ends at the last answer, not at its timeout. */
static void test_round_answered(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config.ping_target_count = 2;
	config.raid_check = config.services_check = true;
	struct fake *node = test_node(0, &config);
	node->raid_mode = 0;
	node->services_mode = 1;
	hn_host_start(node->host, 0);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping", 0), "ping 0 seq 8@0");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping", 1), "ping 1 seq 9@0");
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node->host), 100); /* first resend */
	test_now_ms = 20;
	hn_host_ping_reply(node->host, 9, 20);
	hn_host_ping_reply(node->host, 9, 20); /* a duplicate changes nothing */
	test_now_ms = 40;
	hn_host_ping_reply(node->host, 8, 40);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_EQUAL(status.ping_reachable, 2);
	CU_ASSERT_EQUAL(status.ping_total, 2);
	CU_ASSERT_TRUE(status.raid_ok);
	CU_ASSERT_FALSE(status.services_ok);
	CU_ASSERT_STRING_EQUAL(status.raid_reason, "fake raid ok");
	CU_ASSERT_STRING_EQUAL(status.services_reason, "fake services failed");
	CU_ASSERT_EQUAL(fake_count(node, "ping"), 2); /* no resend */
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node->host) <= 1000, true);
}

/* A silent target is asked again every timeout / attempts ms (only it), and
 * the round ends at its timeout with what answered. */
static void test_round_timed_out_with_resends(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config.ping_target_count = 2;
	struct fake *node = test_node(0, &config);
	hn_host_start(node->host, 0);
	test_now_ms = 10;
	hn_host_ping_reply(node->host, 8, 10);
	run_until(299);
	CU_ASSERT_EQUAL(fake_count(node, "ping 0"), 1);
	CU_ASSERT_EQUAL(fake_count(node, "ping 1"), 3);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 1", 1), "ping 1 seq 9@100");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 1", 2), "ping 1 seq 9@200");
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 0);
	run_until(300);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_EQUAL(status.core.health.ping_reachable, 1);
	CU_ASSERT_EQUAL(status.core.health.ping_total, 2);
	/* The next round at 1000 numbers its echoes anew. */
	run_until(1000);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 0", 1), "ping 0 seq 16@1000");
}

/* A round still running when the next is due ends with what it has: the
 * hanging command is killed and failed, the silent target unreachable; its
 * verdict comes before the new round starts. Late answers of the old round
 * (its command's end, an echo reply with its sequence) are ignored. */
static void test_round_ended_by_the_next(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config.ping_target_count = 1;
	config.services_check = true;
	config.health_interval_ms = 200;
	config.ping_timeout_ms = 150;
	struct fake *node = test_node(0, &config);
	node->services_mode = 2;
	hn_host_start(node->host, 0);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "check services", 0), "check services id 1@0");
	run_until(199);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 0);
	run_until(200);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_FALSE(status.services_ok);
	CU_ASSERT_STRING_EQUAL(status.services_reason,
			       "services command still running when the next round was due");
	CU_ASSERT_EQUAL(status.ping_reachable, 0);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "kill", 0), "kill 1@200");
	/* The kill comes before the new round's check. */
	CU_ASSERT(fake_find(node, "kill 1", 0) < fake_find(node, "check services id 2", 0));
	CU_ASSERT(fake_find(node, "log start", 0) < fake_find(node, "check services id 2", 0));
	/* The killed command's end and round 1's echo reply change nothing. */
	test_now_ms = 210;
	hn_host_command_done(node->host, 1, 128 + 9, true, 210);
	hn_host_ping_reply(node->host, 8, 210);
	hn_host_command_done(node->host, 2, 0, false, 220);
	run_until(350);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 2);
	CU_ASSERT_EQUAL(status.ping_reachable, 0);
	CU_ASSERT_TRUE(status.services_ok);
	CU_ASSERT_STRING_EQUAL(status.services_reason, "services command ok");
}

static void test_round_command_verdicts(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config.raid_check = config.services_check = true;
	struct fake *node = test_node(0, &config);
	node->raid_mode = node->services_mode = 2;
	hn_host_start(node->host, 0);
	hn_host_command_done(node->host, 1, 3, false, 10);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 0);
	hn_host_command_done(node->host, 2, 0, true, 20);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_STRING_EQUAL(status.raid_reason, "RAID command exited with status 3");
	CU_ASSERT_STRING_EQUAL(status.services_reason, "services command timed out");
	CU_ASSERT_FALSE(status.core.health.raid_ok);
	CU_ASSERT_FALSE(status.core.health.services_ok);
}

/* Under the ping tie-breaker a round probes the cluster IP every interval
 * until someone else answers. */
static void test_round_probe(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_PING);
	struct hn_host_status status;
	config.ping_target_count = 1;
	config.cluster_ip_probe = true;
	struct fake *node = test_node(0, &config);
	hn_host_start(node->host, 0);
	test_now_ms = 5;
	hn_host_ping_reply(node->host, 8, 5);
	run_until(250);
	CU_ASSERT_EQUAL(fake_count(node, "probe"), 3);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "probe", 2), "probe@200");
	hn_host_probe_answered(node->host, 250);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_TRUE(status.cluster_ip_answered);
	/* Round 2 finds nobody: answered false at its timeout. */
	hn_host_probe_answered(node->host, 500); /* between rounds: ignored */
	run_until(1005);
	hn_host_ping_reply(node->host, 16, 1005);
	run_until(1300);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 2);
	CU_ASSERT_FALSE(status.cluster_ip_answered);
}

/* -------------------------------------------------------- the cluster IP */

static void test_garp_schedule(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	hn_host_start(node->host, 0);
	run_until(499);
	CU_ASSERT_EQUAL(fake_count(node, "ip add"), 0);
	run_until(650);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ip add", 0), "ip add@500");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "garp", 0), "garp@500");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "garp", 1), "garp@600");
	CU_ASSERT(fake_find(node, "ip add", 0) < fake_find(node, "command services_start", 0));
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node->host) <= 700, true);
	run_until(2000);
	CU_ASSERT_EQUAL(fake_count(node, "garp"), 3);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "garp", 2), "garp@700");
	/* Taken again: a new burst; dropped within it: the rest is cancelled. */
	hn_host_admin(node->host, 1, HN_ADMIN_MAINTENANCE_ON, "", "", 2000);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ip remove", 0), "ip remove@2000");
	hn_host_admin(node->host, 2, HN_ADMIN_MAINTENANCE_OFF, "", "", 2000);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ip add", 1), "ip add@2000");
	test_now_ms = 2050;
	hn_host_admin(node->host, 3, HN_ADMIN_MAINTENANCE_ON, "", "", 2050);
	run_until(3000);
	CU_ASSERT_EQUAL(fake_count(node, "garp"), 4);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "garp", 3), "garp@2000");
}

/* A failed IP add is logged and the IP is not held. */
static void test_cluster_ip_failure(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	struct fake *node = test_node(1, &config);
	node->fail_ip = true;
	hn_host_start(node->host, 0);
	run_until(600);
	test_status(node, &status);
	CU_ASSERT_FALSE(status.ip_held);
	CU_ASSERT_EQUAL(fake_count(node, "garp"), 0);
	CU_ASSERT(fake_find(node,
			    "log health -> role active: fake: cluster IP: Operation not "
			    "permitted@500",
			    0) >= 0);
}

/* -------------------------------------------------------------- commands */

/* A fence command that cannot start is a failed fence: FENCE_RESULT false,
 * fed after the step that asked for it. */
static void test_fence_command_failure(void)
{
	test_form_pair(HN_TIEBREAKER_FENCE);
	struct fake *node2 = &fakes[1];
	node2->fail_fence = true;
	fakes[0].cut = true;
	run_until(3000);
	int fence = fake_find(node2, "command fence", 0);
	CU_ASSERT(fence >= 0);
	CU_ASSERT(strstr(fake_line(node2, "command fence", 0),
			 " HANODE_PEER=node1 HANODE_PEER_ID=1@") != NULL);
	int failed = fake_find(node2, "log health -> role standby: fake: fence command", 0);
	CU_ASSERT(failed > fence);
	int result = -1;
	for (size_t nth = 0; fake_find(node2, "log fence", nth) >= 0 && result < 0; nth++)
		if (strstr(fake_line(node2, "log fence", nth), "failed"))
			result = fake_find(node2, "log fence", nth);
	CU_ASSERT(result > failed);
	CU_ASSERT_STRING_EQUAL(test_display(node2), "standby");
	CU_ASSERT_EQUAL(fake_count(node2, "ip add"), 0);
}

/* The notify hook gets the event as JSON on stdin, its name in the environment. */
static void test_notify_input(void)
{
	test_form_pair(HN_TIEBREAKER_NONE);
	fakes[0].cut = true;
	run_until(3000);
	const char *notify = fake_line(&fakes[1], "command notify HANODE_EVENT=failover", 0);
	CU_ASSERT(strstr(notify,
			 "command notify HANODE_EVENT=failover stdin "
			 "{\"event\":\"failover\",\"node\":\"node2\",\"text\":\"") == notify);
	CU_ASSERT(strstr(notify, "\"mono_ms\":") != NULL);
	CU_ASSERT(strstr(notify, "\"wall_ms\":17000000") != NULL);
	CU_ASSERT_STRING_EQUAL(test_display(&fakes[1]), "active");
}

/* ------------------------------------------------------------ durability */

/* A write is durable on both nodes before the client hears OK: the
 * active's persist, the standby's persist before its ack, then the answer. */
static void test_put_answered_later_after_persist(void)
{
	char answer[64];
	test_form_pair(HN_TIEBREAKER_NONE);
	struct fake *node2 = &fakes[0], *node1 = &fakes[1]; /* active, standby */
	run_until(2000);
	CU_ASSERT_EQUAL(
	    hn_host_client_put(node2->host, 7, "k1", "v1", 2000, answer, sizeof(answer)), 1);
	int persisted = fake_find(node2, "persist k1=v1", 0);
	CU_ASSERT(persisted >= 0);
	CU_ASSERT_EQUAL(fake_count(node2, "client_reply"), 0);
	run_until(2050);
	int standby_persist = fake_find(node1, "persist k1=v1", 0);
	int standby_ack = fake_find(node1, "send data kind 2 seq 1", 0); /* HN_DATA_ACK */
	CU_ASSERT(standby_persist >= 0);
	CU_ASSERT(standby_ack > standby_persist);
	CU_ASSERT(fake_find(node2, "client_reply 7 OK", 0) > persisted);
	CU_ASSERT(strncmp(node2->last_client_reply, "OK ", 3) == 0);
	/* GET is local on the active; a standby refuses both. */
	hn_host_client_get(node2->host, "k1", answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "VALUE v1");
	hn_host_client_get(node2->host, "k2", answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "NOTFOUND");
	hn_host_client_get(node1->host, "k1", answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "ERR standby");
	CU_ASSERT_EQUAL(hn_host_client_put(node1->host, 8, "k", "v", 2050, answer, sizeof(answer)),
			0);
	CU_ASSERT_STRING_EQUAL(answer, "ERR standby");
}

/* Alone, the active answers in the step itself, after the persist. */
static void test_put_answered_now(void)
{
	char answer[64];
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	hn_host_start(node->host, 0);
	run_until(1000);
	CU_ASSERT_EQUAL(hn_host_client_put(node->host, 3, "a", "b", 1000, answer, sizeof(answer)),
			0);
	CU_ASSERT_STRING_EQUAL(answer, "OK 1");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "persist", 0), "persist a=b seq 1@1000");
	CU_ASSERT_EQUAL(fake_count(node, "client_reply"), 0); /* given back, not sent */
	/* Refused before the core: settings, bad keys and values. */
	CU_ASSERT_EQUAL(
	    hn_host_client_put(node->host, 4, "setting/ntp", "x", 1000, answer, sizeof(answer)), 0);
	CU_ASSERT_STRING_EQUAL(answer,
			       "ERR setting/ keys are the operator's: use hactl setting set");
	hn_host_client_put(node->host, 5, "b@d", "x", 1000, answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "ERR bad key (1..63 of [A-Za-z0-9_./-])");
	hn_host_client_put(node->host, 6, "k", "tab\there", 1000, answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "ERR bad value (1..255 printable bytes)");
	CU_ASSERT_EQUAL(fake_count(node, "persist"), 1);
	/* A failed store write is logged, naming what failed. */
	node->fail_persist = true;
	hn_host_client_put(node->host, 9, "c", "d", 1000, answer, sizeof(answer));
	CU_ASSERT(fake_find(node,
			    "log health -> role active: fake: store.log: No space left on "
			    "device@1000",
			    0) > fake_find(node, "persist c=d", 0));
}

/* The generation file follows the core: written in the step that changed
 * it, not again while it stays. */
static void test_generation_written_after_a_step(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	struct hn_generation restored = {.id = 5, .parent = 0, .fork_seq = 0};
	hn_host_restore_generation(node->host, &restored, false);
	hn_host_start(node->host, 0);
	run_until(499);
	CU_ASSERT_EQUAL(fake_count(node, "generation"), 0);
	run_until(3000);
	CU_ASSERT_EQUAL(fake_count(node, "generation"), 1);
	const char *line = fake_line(node, "generation", 0);
	CU_ASSERT(strstr(line, " outdated 0@500") != NULL);
	CU_ASSERT(strncmp(line, "generation 5 ", 13) != 0); /* a new generation */
	/* In the step of the takeover: before the services start of the next action list. */
	CU_ASSERT(fake_find(node, "generation", 0) > fake_find(node, "ip add", 0));
}

/* The operator's maintenance is remembered when the core accepts it; the
 * hand-over of a stop is not. */
static void test_maintenance_mark_and_stop(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	struct fake *node = test_node(1, &config);
	hn_host_start(node->host, 0);
	run_until(1000);
	hn_host_admin(node->host, 11, HN_ADMIN_MAINTENANCE_ON, "", "", 1000);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "maintenance", 0), "maintenance on@1000");
	CU_ASSERT(fake_find(node, "admin_reply 11 ok", 0) > fake_find(node, "maintenance on", 0));
	hn_host_admin(node->host, 12, HN_ADMIN_MAINTENANCE_OFF, "", "", 1000);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "maintenance", 1), "maintenance off@1000");
	run_until(2000);
	CU_ASSERT_STRING_EQUAL(test_display(node), "active");
	size_t marks = fake_count(node, "maintenance");
	test_now_ms = 2000;
	hn_host_stop(node->host, "hanode stopped by SIGTERM", 2000);
	CU_ASSERT_EQUAL(fake_count(node, "maintenance"), marks);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ip remove", 1), "ip remove@2000");
	CU_ASSERT(fake_find(node, "command services_stop", 1) >= 0);
	int stop = fake_find(node, "log stop", 0);
	CU_ASSERT_EQUAL(stop, (int)node->call_count - 1);
	CU_ASSERT_STRING_EQUAL(node->calls[stop],
			       "log stop -> role standby: hanode stopped by SIGTERM@2000");
	test_status(node, &status);
	CU_ASSERT_FALSE(status.ip_held);
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node->host), UINT64_MAX);
}

/* ----------------------------------------------------------------- admin */

static void test_admin_replies(void)
{
	test_form_pair(HN_TIEBREAKER_NONE);
	struct fake *node1 = &fakes[1], *node2 = &fakes[0]; /* standby, active */
	run_until(2000);
	hn_host_admin(node1->host, 21, HN_ADMIN_SETTING_SET, "ntp", "192.0.2.1", 2000);
	CU_ASSERT(strstr(node1->last_admin_reply, "refused ") == node1->last_admin_reply);
	CU_ASSERT(strstr(node1->last_admin_reply, "locked") != NULL);
	hn_host_admin(node2->host, 22, HN_ADMIN_SETTING_SET, "ntp", "192.0.2.1", 2000);
	CU_ASSERT_EQUAL(fake_count(node2, "admin_reply 22"), 0); /* waits for the standby */
	run_until(2100);
	CU_ASSERT_STRING_EQUAL(node2->last_admin_reply, "ok setting saved on both nodes (seq 1)");
	char long_key[HN_KEY_MAX + 8];
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	hn_host_admin(node2->host, 23, HN_ADMIN_SETTING_SET, long_key, "x", 2100);
	CU_ASSERT_STRING_EQUAL(node2->last_admin_reply, "refused setting: key or value too long");
	hn_host_admin(node2->host, 24, HN_ADMIN_SWITCHOVER, "", "", 2100);
	CU_ASSERT(strncmp(node2->last_admin_reply, "ok ", 3) == 0);
	run_until(3000);
	CU_ASSERT_STRING_EQUAL(test_display(node1), "active");
	CU_ASSERT_STRING_EQUAL(test_display(node2), "standby");
}

/* --------------------------------------------------------- packet counter */

static void test_packet_counter_reserved(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	struct fake *node = test_node(1, &config);
	node->fail_reserve = true;
	hn_host_start(node->host, 0);
	run_until(450);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.packets_sent[HN_LINK_SYNC], 0);
	CU_ASSERT(status.send_errors > 0);
	CU_ASSERT_EQUAL(status.packet_seq_next, 1000);
	CU_ASSERT_EQUAL(fake_count(node, "log health -> role standby: packet counter not reserved"),
			1);
	node->fail_reserve = false;
	run_until(1000);
	test_status(node, &status);
	CU_ASSERT(status.packets_sent[HN_LINK_SYNC] > 0);
	CU_ASSERT_EQUAL(status.packet_seq_limit, 1000 + HN_HOST_PACKET_SEQ_BLOCK);
	CU_ASSERT_EQUAL(fake_count(node, "reserve 1049576"), fake_count(node, "reserve"));
	CU_ASSERT_EQUAL(fake_count(node, "reserve 1049576 failed"),
			fake_count(node, "reserve") - 1);
	CU_ASSERT_EQUAL(status.packet_seq_next, 1000 + status.packets_sent[HN_LINK_SYNC] +
						    status.packets_sent[HN_LINK_EXTERNAL]);
}

/* A link this node does not have gets nothing; an invalid setup is refused. */
static void test_absent_link_and_bad_config(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	char error[HN_HOST_ERROR_MAX];
	config.link_absent[HN_LINK_EXTERNAL] = true;
	struct fake *node = test_node(1, &config);
	hn_host_start(node->host, 0);
	run_until(1000);
	test_status(node, &status);
	CU_ASSERT(status.packets_sent[HN_LINK_SYNC] > 0);
	CU_ASSERT_EQUAL(status.packets_sent[HN_LINK_EXTERNAL], 0);
	CU_ASSERT_EQUAL(status.send_errors, 0);
	struct hn_host_platform platform = test_platform(node);
	platform.ping = NULL;
	config.ping_target_count = 1;
	struct hn_host *other = calloc(1, hn_host_size());
	CU_ASSERT_EQUAL(hn_host_init(other, &config, test_key, &platform, 1, error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "hn_host_init: the platform lacks ping (ping targets)");
	config.ping_target_count = 9;
	CU_ASSERT_EQUAL(hn_host_init(other, &config, test_key, &platform, 1, error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "hn_host_init: 9 ping targets, at most 8");
	free(other);
}

/* ------------------------------------------------------------------ main */

int main(void)
{
	static const struct hn_test_case cases[] = {
	    {"start waits for the first verdict", test_start_waits_for_the_first_verdict},
	    {"remembered maintenance", test_remembered_maintenance},
	    {"round answered", test_round_answered},
	    {"round timed out with resends", test_round_timed_out_with_resends},
	    {"round ended by the next", test_round_ended_by_the_next},
	    {"round command verdicts", test_round_command_verdicts},
	    {"round probe", test_round_probe},
	    {"garp schedule", test_garp_schedule},
	    {"cluster IP failure", test_cluster_ip_failure},
	    {"fence command failure", test_fence_command_failure},
	    {"notify input", test_notify_input},
	    {"put answered later after persist", test_put_answered_later_after_persist},
	    {"put answered now", test_put_answered_now},
	    {"generation written after a step", test_generation_written_after_a_step},
	    {"maintenance mark and stop", test_maintenance_mark_and_stop},
	    {"admin replies", test_admin_replies},
	    {"packet counter reserved", test_packet_counter_reserved},
	    {"absent link and bad config", test_absent_link_and_bad_config},
	    {NULL, NULL},
	};
	if (sodium_init() < 0)
		return 1;
	return hn_test_run_suite("host", cases, test_setup_nodes, test_teardown_nodes);
}
