/*
 * host_fake.c - the recording fake platform of the host's CUnit tests
 * (host_fake.h): each node's platform records every call it gets as one
 * line of text with the test's virtual time, keeps the packets the host
 * sends in an outbox, models a disk (what persist made durable), and fails
 * what a test tells it to. deliver() and run_until() move two nodes
 * through virtual time.
 */
#include "host_fake.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t test_key[HN_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
uint64_t test_now_ms;
struct fake fakes[2];
struct fake_cluster fake_cluster;
static uint64_t test_nonce; /* each start gets the next: a fresh boot nonce */

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
int fake_find(const struct fake *fake, const char *prefix, size_t nth)
{
	for (size_t i = 0; i < fake->call_count; i++)
		if (strncmp(fake->calls[i], prefix, strlen(prefix)) == 0 && nth-- == 0)
			return (int)i;
	return -1;
}

size_t fake_count(const struct fake *fake, const char *prefix)
{
	size_t count = 0;
	while (fake_find(fake, prefix, count) >= 0)
		count++;
	return count;
}

const char *fake_line(const struct fake *fake, const char *prefix, size_t nth)
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
	if (add && ++fake_cluster.ip_adds == fake_cluster.fail_ip_at) {
		snprintf(error, error_size, "fake: cluster IP: File exists on another interface");
		return -1;
	}
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
	static const char *const names[] = {"",		  "raid",	 "services",
					    "disk usage", "time offset", "service health"};
	const int modes[] = {0,
			     fake->raid_mode,
			     fake->services_mode,
			     fake->disk_mode,
			     fake->time_mode,
			     fake->health_mode};
	int mode = modes[check];
	const char *what = names[check];
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
	if (command == HN_HOST_COMMAND_SERVICES_START &&
	    ++fake_cluster.services_starts == fake_cluster.fail_services_at) {
		snprintf(error, error_size,
			 "fake: services_start: Resource temporarily unavailable");
		return -1;
	}
	*command_id = ++fake->next_command_id;
	if (command == HN_HOST_COMMAND_SERVICES_START)
		fake->services_start_id = *command_id;
	return 0;
}

static void fake_command_kill(void *context, uint64_t command_id)
{
	fake_call(context, "kill %llu@%llu", (unsigned long long)command_id,
		  (unsigned long long)test_now_ms);
}

const struct hn_entry *fake_disk_get(const struct fake *fake, const char *key)
{
	for (size_t i = 0; i < fake->disk_count; i++)
		if (strcmp(fake->disk[i].key, key) == 0)
			return &fake->disk[i];
	return NULL;
}

/* What a persist that succeeded leaves on the disk. */
static void fake_disk_write(struct fake *fake, const struct hn_entry *entry)
{
	struct hn_entry *slot = (struct hn_entry *)fake_disk_get(fake, entry->key);
	if (!slot && fake->disk_count < HN_STORE_ENTRIES_MAX)
		slot = &fake->disk[fake->disk_count++];
	if (slot)
		*slot = *entry;
}

static int fake_persist(void *context, const struct hn_entry *entry, char *error, size_t error_size)
{
	struct fake *fake = context;
	if (entry)
		fake_call(fake, "persist %s=%s seq %llu@%llu", entry->key, entry->value,
			  (unsigned long long)entry->seq, (unsigned long long)test_now_ms);
	else
		fake_call(fake, "persist reset@%llu", (unsigned long long)test_now_ms);
	if (fake->fail_persist || ++fake->persist_calls == fake->fail_persist_at) {
		snprintf(error, error_size, "fake: store.log: No space left on device");
		return -1;
	}
	if (entry)
		fake_disk_write(fake, entry);
	else
		fake->disk_count = 0;
	return 0;
}

static int fake_persist_generation(void *context, const struct hn_generation *generation,
				   bool outdated, char *error, size_t error_size)
{
	struct fake *fake = context;
	(void)error;
	(void)error_size;
	fake->generation = *generation;
	fake->outdated = outdated;
	fake->generation_known = true;
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

/* An answer to a write of fake_put: an OK must be on this node's disk,
 * and on its peer's unless the peer is marked outdated (SPEC: protocol C,
 * or the peer is gone and marked outdated). */
void fake_check_answer(struct fake *fake, uint64_t request_id, const char *answer)
{
	struct hn_host_status status;
	const struct hn_entry *request = NULL;
	for (size_t i = 0; i < fake_cluster.request_count; i++)
		if (fake_cluster.requests[i].seq == request_id)
			request = &fake_cluster.requests[i];
	if (!request)
		return;
	if (strncmp(answer, "OK ", 3) != 0) {
		fake_cluster.errors++;
		return;
	}
	fake_cluster.oks++;
	fake_cluster.acknowledged[request - fake_cluster.requests] = true;
	uint64_t seq = strtoull(answer + 3, NULL, 10);
	const struct hn_entry *mine = fake_disk_get(fake, request->key);
	const struct hn_entry *peers = fake_disk_get(fake->peer, request->key);
	hn_host_status(fake->host, test_now_ms, &status);
	const char *missing = NULL;
	if (!mine || strcmp(mine->value, request->value) != 0 || mine->seq != seq)
		missing = "its own disk";
	else if (!status.core.peer_outdated &&
		 (!peers || strcmp(peers->value, request->value) != 0 || peers->seq != seq))
		missing = "the disk of its peer (not marked outdated)";
	if (!missing)
		return;
	if (fake_cluster.violations++ == 0)
		snprintf(fake_cluster.violation, sizeof(fake_cluster.violation),
			 "node%d answered '%s' to PUT %s %s at %llu ms, not on %s",
			 fake == &fakes[0] ? 1 : 2, answer, request->key, request->value,
			 (unsigned long long)test_now_ms, missing);
}

int fake_put(struct fake *fake, uint64_t request_id, const char *key, const char *value,
	     char *answer, size_t answer_size)
{
	if (fake_cluster.request_count < FAKE_REQUESTS_MAX) {
		struct hn_entry *request = &fake_cluster.requests[fake_cluster.request_count++];
		snprintf(request->key, sizeof(request->key), "%s", key);
		snprintf(request->value, sizeof(request->value), "%s", value);
		request->seq = request_id;
	}
	int later = hn_host_client_put(fake->host, request_id, key, value, test_now_ms, answer,
				       answer_size);
	if (!later)
		fake_check_answer(fake, request_id, answer);
	return later;
}

static void fake_client_reply(void *context, uint64_t request_id, const char *answer)
{
	struct fake *fake = context;
	fake_check_answer(fake, request_id, answer);
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

struct hn_host_config test_config(uint32_t node_id, enum hn_tiebreaker tiebreaker)
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

struct hn_host_platform test_platform(struct fake *fake)
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
struct fake *test_node(int index, const struct hn_host_config *config)
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

struct fake *test_restart(int index, const struct hn_host_config *config)
{
	static struct fake saved; /* large: not on the stack */
	struct fake *fake = &fakes[index];
	char error[HN_HOST_ERROR_MAX];
	saved = *fake;
	free(fake->host);
	fake->host = calloc(1, hn_host_size());
	CU_ASSERT_FATAL(fake->host != NULL);
	struct hn_host_platform platform = test_platform(fake);
	CU_ASSERT_FATAL(hn_host_init(fake->host, config, test_key, &platform, 1u << 30, error,
				     sizeof(error)) == 0);
	for (size_t i = 0; i < saved.disk_count; i++)
		CU_ASSERT(hn_host_restore_entry(fake->host, &saved.disk[i]) == 0);
	if (saved.generation_known)
		hn_host_restore_generation(fake->host, &saved.generation, saved.outdated);
	fake->out_count = 0;
	hn_host_carrier(fake->host, HN_LINK_SYNC, true, test_now_ms);
	hn_host_carrier(fake->host, HN_LINK_EXTERNAL, true, test_now_ms);
	return fake;
}

/* hn_host_start with a fresh boot nonce, as hanode draws one. */
void test_start(struct hn_host *host, uint64_t now_ms)
{
	hn_host_start(host, ++test_nonce, now_ms);
}

void test_setup_nodes(void)
{
	test_now_ms = 0;
	test_nonce = 0x5eed0000;
	memset(fakes, 0, sizeof(fakes));
	memset(&fake_cluster, 0, sizeof(fake_cluster));
	fake_cluster.capture_of = -1;
}

void test_teardown_nodes(void)
{
	/* HOST_TEST_DUMP=1 prints every call of both nodes (debugging a test). */
	for (int i = 0; getenv("HOST_TEST_DUMP") && i < 2; i++)
		for (size_t c = 0; c < fakes[i].call_count; c++)
			printf("node%d %s\n", i + 1, fakes[i].calls[c]);
	for (int i = 0; i < 2; i++) {
		free(fakes[i].host);
		fakes[i].host = NULL;
	}
	free(fake_cluster.capture);
	fake_cluster.capture = NULL;
}

/* A packet on its way: a copy for the capture, if this node's are kept. */
static void fake_capture(int index, const struct fake_packet *packet)
{
	if (fake_cluster.capture_of != index || !fake_cluster.capture ||
	    fake_cluster.capture_count >= fake_cluster.capture_max)
		return;
	fake_cluster.capture[fake_cluster.capture_count++] = *packet;
}

/* Hands every queued packet to the other node (lost when either is cut). */
void deliver(void)
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
				fake_capture(i, &queue[p]);
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

/* The fake's services_start commands end: with exit 1 if services_fail_later. */
static void fake_commands_end(void)
{
	for (int i = 0; i < 2; i++) {
		struct fake *fake = &fakes[i];
		uint64_t id = fake->services_start_id;
		if (id == 0 || !fake->host)
			continue;
		fake->services_start_id = 0;
		hn_host_command_done(fake->host, id, fake->services_fail_later ? 1 : 0, false,
				     test_now_ms);
	}
}

/* Virtual time up to until_ms: packets delivered, hosts ticked at their deadlines. */
void run_until(uint64_t until_ms)
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
		fake_commands_end();
		deliver();
	}
	test_now_ms = until_ms;
}

void test_status(const struct fake *fake, struct hn_host_status *status)
{
	hn_host_status(fake->host, test_now_ms, status);
}

const char *test_display(const struct fake *fake)
{
	struct hn_host_status status;
	test_status(fake, &status);
	return status.core.state == HN_STATE_NORMAL ? hn_role_name(status.core.role)
						    : hn_state_name(status.core.state);
}

/* Both nodes started at 0 without checks: node1 wins the tie by its lower
 * id and is active, node2 standby and in sync, by 1000. */
void test_form_pair(enum hn_tiebreaker tiebreaker)
{
	struct hn_host_config config1 = test_config(1, tiebreaker);
	struct hn_host_config config2 = test_config(2, tiebreaker);
	test_node(0, &config1);
	test_node(1, &config2);
	test_start(fakes[0].host, 0);
	test_start(fakes[1].host, 0);
	run_until(1000);
	CU_ASSERT_STRING_EQUAL(test_display(&fakes[0]), "active");
	CU_ASSERT_STRING_EQUAL(test_display(&fakes[1]), "standby");
}
