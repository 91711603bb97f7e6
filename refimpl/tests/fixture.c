/*
 * fixture.c - two reference-node cores in virtual time (see fixture.h).
 *
 * The run loop: answer local events (fence results, health changes) at the
 * current time; then jump the clock to the earliest of both nodes' next
 * deadlines and the earliest packet in flight; deliver every packet due
 * (one step each) and TICK every node whose deadline has come. A node whose
 * deadline does not move after its TICK would stall a simulator, so more
 * than HN_FIXTURE_SAME_TIME_STEPS_MAX steps at one time fail the run.
 *
 * Packets are really encoded and authenticated (proto.c, fixture_net.c)
 * with a fixed cluster key; the receiver's replay window restarts when it
 * powers on, while the sender's packet counter keeps growing across
 * restarts (as a daemon that persists it must).
 *
 * An injected action failure (hn_fixture_fail_action) is handled like the
 * host must (hn_core.h): the failed action is not carried out, after a
 * storage action the rest of the step is dropped, and the failure is fed
 * back before anything else happens.
 */
#include "fixture_private.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void hn_fixture_local_push(struct hn_fixture *fixture, uint32_t node,
				  const struct hn_event *event)
{
	if (fixture->local_count == HN_FIXTURE_LOCAL_EVENTS_MAX) {
		hn_fixture_fail(fixture, "hn_fixture_local_push: local event queue full");
		return;
	}
	fixture->local[fixture->local_count].node = node;
	fixture->local[fixture->local_count].event = *event;
	fixture->local_count++;
}

/* ---------------------------------------------------- the durable disk */

static void hn_fixture_disk_persist(struct hn_fixture_disk *disk, const struct hn_entry *entry)
{
	if (entry->seq > disk->max_seq)
		disk->max_seq = entry->seq;
	for (uint32_t i = 0; i < disk->entry_count; i++) {
		if (strcmp(disk->entries[i].key, entry->key) == 0) {
			disk->entries[i] = *entry;
			return;
		}
	}
	if (disk->entry_count < HN_STORE_ENTRIES_MAX)
		disk->entries[disk->entry_count++] = *entry;
}

static const struct hn_entry *hn_fixture_disk_find(const struct hn_fixture_disk *disk,
						   const char *key)
{
	for (uint32_t i = 0; i < disk->entry_count; i++) {
		if (strcmp(disk->entries[i].key, key) == 0)
			return &disk->entries[i];
	}
	return NULL;
}

/* ------------------------------------------------- actions, invariants */

static struct hn_fixture_write *hn_fixture_write_find(struct hn_fixture *fixture,
						      uint64_t request_id)
{
	for (uint32_t i = fixture->write_count; i > 0; i--) {
		if (fixture->writes[i - 1].request_id == request_id)
			return &fixture->writes[i - 1];
	}
	return NULL;
}

static void hn_fixture_on_client_reply(struct hn_fixture *fixture, uint32_t node,
				       const struct hn_action *action)
{
	struct hn_fixture_write *write = hn_fixture_write_find(fixture, action->u.reply.request_id);
	if (write == NULL || write->answer != -1) {
		hn_fixture_fail(fixture, "%s answered unknown or answered request %" PRIu64,
				hn_fixture_name(fixture, node), action->u.reply.request_id);
		return;
	}
	write->answer = action->u.reply.ok ? 1 : 0;
	write->node = node;
	write->answered_ms = fixture->now_ms;
	if (!action->u.reply.ok)
		return;
	write->seq = strtoull(action->u.reply.text, NULL, 10);
	const struct hn_entry *entry = hn_fixture_disk_find(&fixture->disks[node], write->key);
	if (entry == NULL || entry->seq < write->seq)
		hn_fixture_fail(
		    fixture,
		    "%s acknowledged write %s=%s (seq %" PRIu64 ") that its disk does not hold",
		    hn_fixture_name(fixture, node), write->key, write->value, write->seq);
}

/* An ACK says that everything up to its seq is durable on the sender. */
static void hn_fixture_on_data_sent(struct hn_fixture *fixture, uint32_t node,
				    const struct hn_action *action)
{
	const struct hn_data_message *data = &action->u.data;
	if (data->kind == HN_DATA_ACK && data->seq > fixture->disks[node].max_seq)
		hn_fixture_fail(
		    fixture,
		    "%s acknowledged seq %" PRIu64 " to its peer, its disk holds up to %" PRIu64,
		    hn_fixture_name(fixture, node), data->seq, fixture->disks[node].max_seq);
}

/* Whether this action is the one an injected failure hits: then the
 * failure goes back to the node (before anything else), and the action is
 * not carried out. */
static bool hn_fixture_inject_failure(struct hn_fixture *fixture, uint32_t node,
				      const struct hn_action *action)
{
	enum hn_failure_kind kind;
	if (action->kind == HN_ACTION_PERSIST || action->kind == HN_ACTION_STORE_RESET)
		kind = HN_FAILURE_STORAGE;
	else if (action->kind == HN_ACTION_IP_ADD)
		kind = HN_FAILURE_CLUSTER_IP;
	else if (action->kind == HN_ACTION_SERVICES_START)
		kind = HN_FAILURE_SERVICES;
	else
		return false;
	uint32_t *countdown = &fixture->fail_countdown[node][kind];
	if (*countdown == 0 || --*countdown > 0)
		return false;
	struct hn_event event = {.kind = HN_EVENT_ACTION_FAILED};
	event.u.failure.kind = kind;
	snprintf(event.u.failure.reason, sizeof(event.u.failure.reason), "%s",
		 kind == HN_FAILURE_STORAGE	 ? "store.log: Input/output error (injected)"
		 : kind == HN_FAILURE_CLUSTER_IP ? "RTNETLINK: File exists (injected)"
						 : "services start exited with 1 (injected)");
	fixture->failed_actions++;
	hn_fixture_trace(fixture, "%s: action %d fails", hn_fixture_name(fixture, node),
			 action->kind);
	/* first in line: before any event that was waiting */
	if (fixture->local_count == HN_FIXTURE_LOCAL_EVENTS_MAX) {
		hn_fixture_fail(fixture, "hn_fixture_inject_failure: local event queue full");
		return true;
	}
	memmove(&fixture->local[1], &fixture->local[0],
		sizeof(fixture->local[0]) * fixture->local_count);
	fixture->local[0].node = node;
	fixture->local[0].event = event;
	fixture->local_count++;
	return true;
}

/* A reported split brain excuses the loser's acknowledged writes of its
 * losing generation (seq after its fork, up to its last seq). */
static void hn_fixture_on_split_brain(struct hn_fixture *fixture, uint32_t node,
				      const struct hn_status *before, uint64_t lost_writes)
{
	uint64_t excused = 0;
	fixture->lost_writes += lost_writes;
	for (uint32_t i = 0; i < fixture->write_count; i++) {
		struct hn_fixture_write *write = &fixture->writes[i];
		if (write->node == node && write->answer == 1 && !write->excused &&
		    write->seq > before->generation.fork_seq && write->seq <= before->last_seq) {
			write->excused = true;
			excused++;
		}
	}
	if (excused > lost_writes)
		hn_fixture_fail(fixture,
				"%s reported %" PRIu64 " lost writes but %" PRIu64
				" acknowledged writes of its generation are gone",
				hn_fixture_name(fixture, node), lost_writes, excused);
}

static void hn_fixture_on_log(struct hn_fixture *fixture, uint32_t node,
			      const struct hn_action *action, const struct hn_status *before)
{
	if (fixture->log_count == HN_FIXTURE_LOGS_MAX) {
		memmove(&fixture->logs[0], &fixture->logs[1],
			sizeof(fixture->logs[0]) * (HN_FIXTURE_LOGS_MAX - 1));
		fixture->log_count--;
	}
	struct hn_fixture_log *log = &fixture->logs[fixture->log_count++];
	log->at_ms = fixture->now_ms;
	log->node = node;
	log->record = action->u.log;
	hn_fixture_trace(fixture, "%s log %s %s->%s: %s", hn_fixture_name(fixture, node),
			 log->record.event, log->record.from, log->record.to, log->record.reason);
	if (strcmp(log->record.event, "split_brain") == 0)
		hn_fixture_on_split_brain(fixture, node, before, log->record.lost_writes);
}

static void hn_fixture_on_fence(struct hn_fixture *fixture, uint32_t node)
{
	struct hn_event event = {.kind = HN_EVENT_FENCE_RESULT};
	uint32_t peer = 1 - node;
	if (fixture->fence_failures[node] > 0) {
		fixture->fence_failures[node]--;
		event.u.fence_ok = false;
	} else {
		hn_fixture_power_off(fixture, peer);
		event.u.fence_ok = true;
	}
	hn_fixture_trace(fixture, "%s fences %s: %s", hn_fixture_name(fixture, node),
			 hn_fixture_name(fixture, peer), event.u.fence_ok ? "ok" : "failed");
	hn_fixture_local_push(fixture, node, &event);
}

/* Carries out one action; returns false when the rest of the step must be
 * dropped (a storage action failed). */
static bool hn_fixture_process_action(struct hn_fixture *fixture, uint32_t node,
				      const struct hn_action *action,
				      const struct hn_status *before)
{
	if (hn_fixture_inject_failure(fixture, node, action))
		return action->kind != HN_ACTION_PERSIST && action->kind != HN_ACTION_STORE_RESET;
	switch (action->kind) {
	case HN_ACTION_SEND_HEARTBEAT:
		hn_fixture_send(fixture, node, action);
		break;
	case HN_ACTION_SEND_DATA:
		hn_fixture_on_data_sent(fixture, node, action);
		hn_fixture_send(fixture, node, action);
		break;
	case HN_ACTION_PERSIST:
		hn_fixture_disk_persist(&fixture->disks[node], &action->u.entry);
		break;
	case HN_ACTION_STORE_RESET:
		fixture->disks[node].entry_count = 0;
		fixture->disks[node].max_seq = 0;
		break;
	case HN_ACTION_LOG:
		hn_fixture_on_log(fixture, node, action, before);
		break;
	case HN_ACTION_FENCE:
		hn_fixture_on_fence(fixture, node);
		break;
	case HN_ACTION_CLIENT_REPLY:
		hn_fixture_on_client_reply(fixture, node, action);
		break;
	case HN_ACTION_ADMIN_REPLY:
		if (action->u.reply.request_id == fixture->admin_request_id) {
			fixture->admin_answered = true;
			fixture->admin_ok = action->u.reply.ok;
			snprintf(fixture->admin_text, sizeof(fixture->admin_text), "%s",
				 action->u.reply.text);
		}
		break;
	default: /* IP, services, notify: nothing to simulate */
		break;
	}
	return true;
}

static void hn_fixture_check_invariants(struct hn_fixture *fixture, uint32_t node,
					const struct hn_status *before)
{
	struct hn_status after;
	hn_node_status(fixture->nodes[node], fixture->now_ms, &after);
	if (fixture->actions.count == HN_ACTIONS_MAX)
		hn_fixture_fail(fixture, "%s filled all %d action slots in one step",
				hn_fixture_name(fixture, node), HN_ACTIONS_MAX);
	if (before->outdated && before->role != HN_ROLE_ACTIVE && after.role == HN_ROLE_ACTIVE)
		hn_fixture_fail(fixture, "%s became active with outdated data",
				hn_fixture_name(fixture, node));
	if (fixture->options.tiebreaker != HN_TIEBREAKER_NONE &&
	    hn_fixture_active_count(fixture) > 1)
		hn_fixture_fail(fixture, "two active nodes under the %s tie-breaker",
				hn_tiebreaker_name(fixture->options.tiebreaker));
	struct hn_fixture_disk *disk = &fixture->disks[node];
	disk->generation = after.generation;
	disk->outdated = after.outdated;
}

/* One step of one node, its actions and the invariants. */
int hn_fixture_step(struct hn_fixture *fixture, uint32_t node, const struct hn_event *event)
{
	if (!fixture->powered[node])
		return 0;
	if (fixture->same_time_at_ms != fixture->now_ms) {
		fixture->same_time_at_ms = fixture->now_ms;
		fixture->same_time_steps = 0;
	}
	if (++fixture->same_time_steps > HN_FIXTURE_SAME_TIME_STEPS_MAX) {
		hn_fixture_fail(fixture, "more than %d steps at one time: a deadline does not move",
				HN_FIXTURE_SAME_TIME_STEPS_MAX);
		return -1;
	}
	struct hn_status before;
	hn_node_status(fixture->nodes[node], fixture->now_ms, &before);
	if (hn_node_step(fixture->nodes[node], event, fixture->now_ms, &fixture->actions) != 0)
		hn_fixture_fail(fixture, "%s rejected a %d event as malformed: %s",
				hn_fixture_name(fixture, node), event->kind,
				fixture->actions.count > 0 ? fixture->actions.items[0].u.log.reason
							   : "");
	if (fixture->options.observe != NULL)
		fixture->options.observe(fixture->options.observe_context, fixture->now_ms, node,
					 event, &fixture->actions);
	for (size_t i = 0; i < fixture->actions.count; i++) {
		if (!hn_fixture_process_action(fixture, node, &fixture->actions.items[i], &before))
			break;
	}
	hn_fixture_check_invariants(fixture, node, &before);
	return fixture->failure[0] != '\0' ? -1 : 0;
}

/* ------------------------------------------------------- the run loop */

/* cluster_ip_answered: the other node is powered, active and visible. */
static void hn_fixture_sync_health(struct hn_fixture *fixture)
{
	for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
		if (!fixture->powered[node])
			continue;
		uint32_t peer = 1 - node;
		struct hn_status peer_status;
		struct hn_health health = fixture->health[node];
		health.cluster_ip_answered = false;
		if (fixture->powered[peer] && fixture->cluster_ip_visible[peer]) {
			hn_node_status(fixture->nodes[peer], fixture->now_ms, &peer_status);
			health.cluster_ip_answered = peer_status.role == HN_ROLE_ACTIVE;
		}
		if (memcmp(&health, &fixture->health_sent[node], sizeof(health)) == 0)
			continue;
		fixture->health_sent[node] = health;
		struct hn_event event = {.kind = HN_EVENT_HEALTH};
		event.u.health = health;
		hn_fixture_local_push(fixture, node, &event);
	}
}

/* A health round of every node whose round is due: its health is reported
 * again, changed or not. Returns whether one was due. */
static bool hn_fixture_health_rounds(struct hn_fixture *fixture)
{
	bool due = false;
	uint32_t interval_ms = fixture->options.health_interval_ms;
	for (uint32_t node = 0; interval_ms > 0 && node < HN_FIXTURE_NODES; node++) {
		if (!fixture->powered[node] || fixture->next_round_ms[node] > fixture->now_ms)
			continue;
		due = true;
		if (fixture->measured[node]) {
			fixture->health[node] = fixture->measured_health[node];
			fixture->measured[node] = false;
		}
		memset(&fixture->health_sent[node], 0xff, sizeof(fixture->health_sent[node]));
		fixture->next_round_ms[node] += interval_ms;
	}
	return due;
}

/* The first round after now_ms at the node's phase. */
static uint64_t hn_fixture_first_round_ms(const struct hn_fixture *fixture, uint32_t node)
{
	uint64_t interval_ms = fixture->options.health_interval_ms;
	uint64_t phase_ms =
	    fixture->options.health_phase_ms[node] % (interval_ms ? interval_ms : 1);
	uint64_t round_ms = fixture->now_ms - fixture->now_ms % (interval_ms ? interval_ms : 1);
	round_ms += phase_ms;
	return round_ms > fixture->now_ms ? round_ms : round_ms + interval_ms;
}

/* splitmix64 of the seed, the node and its power count: a boot nonce that
 * differs per start and is reproducible from the seed (never 0). */
static uint64_t hn_fixture_boot_nonce(const struct hn_fixture *fixture, uint32_t node)
{
	uint64_t x = fixture->options.seed * 0x9E3779B97F4A7C15ULL +
		     (node + 1) * 0xBF58476D1CE4E5B9ULL +
		     fixture->power_count[node] * 0x94D049BB133111EBULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	x ^= x >> 31;
	return x != 0 ? x : 1;
}

/* Answer local events until none is left. */
static int hn_fixture_run_local(struct hn_fixture *fixture)
{
	for (;;) {
		hn_fixture_sync_health(fixture);
		if (fixture->local_count == 0)
			return fixture->failure[0] != '\0' ? -1 : 0;
		struct hn_fixture_local_event local = fixture->local[0];
		memmove(&fixture->local[0], &fixture->local[1],
			sizeof(fixture->local[0]) * (fixture->local_count - 1));
		fixture->local_count--;
		if (hn_fixture_step(fixture, local.node, &local.event) != 0)
			return -1;
	}
}

static int hn_fixture_deliver(struct hn_fixture *fixture, uint32_t index)
{
	struct hn_fixture_packet *packet = &fixture->queue[index];
	uint32_t to = packet->to;
	struct hn_event event = {.link = packet->link};
	int kind =
	    hn_proto_decode(packet->bytes, packet->length, fixture->key, &fixture->windows[to],
			    &fixture->counters[to], &event.u.heartbeat, &event.u.data);
	event.seq = hn_proto_packet_seq(packet->bytes, packet->length);
	hn_fixture_queue_remove(fixture, index);
	if (kind < 0)
		return 0; /* replayed after a restart of the sender, say: dropped and counted */
	event.kind = kind == HN_PACKET_HEARTBEAT ? HN_EVENT_HEARTBEAT : HN_EVENT_DATA;
	return hn_fixture_step(fixture, to, &event);
}

int hn_fixture_run_until(struct hn_fixture *fixture, uint64_t until_ms)
{
	for (;;) {
		if (hn_fixture_run_local(fixture) != 0)
			return -1;
		uint64_t next_ms = UINT64_MAX;
		for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
			uint64_t deadline = hn_node_next_deadline_ms(fixture->nodes[node]);
			if (fixture->powered[node] && deadline < next_ms)
				next_ms = deadline;
		}
		int packet = hn_fixture_next_packet(fixture);
		if (packet >= 0 && fixture->queue[packet].deliver_at_ms < next_ms)
			next_ms = fixture->queue[packet].deliver_at_ms;
		for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
			if (fixture->powered[node] && fixture->options.health_interval_ms > 0 &&
			    fixture->next_round_ms[node] < next_ms)
				next_ms = fixture->next_round_ms[node];
		}
		if (next_ms > until_ms) {
			fixture->now_ms = until_ms > fixture->now_ms ? until_ms : fixture->now_ms;
			return 0;
		}
		if (next_ms > fixture->now_ms)
			fixture->now_ms = next_ms;
		if (packet >= 0 && fixture->queue[packet].deliver_at_ms <= fixture->now_ms) {
			if (hn_fixture_deliver(fixture, (uint32_t)packet) != 0)
				return -1;
			continue;
		}
		if (hn_fixture_health_rounds(fixture))
			continue;
		for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
			struct hn_event tick = {.kind = HN_EVENT_TICK};
			if (fixture->powered[node] &&
			    hn_node_next_deadline_ms(fixture->nodes[node]) <= fixture->now_ms &&
			    hn_fixture_step(fixture, node, &tick) != 0)
				return -1;
		}
	}
}

int hn_fixture_run_for(struct hn_fixture *fixture, uint64_t duration_ms)
{
	return hn_fixture_run_until(fixture, fixture->now_ms + duration_ms);
}

/* --------------------------------------------------- create, power */

static void hn_fixture_configure(struct hn_fixture *fixture, uint32_t node)
{
	struct hn_config *config = &fixture->configs[node];
	hn_config_defaults(config);
	const struct hn_identity *identity = &fixture->options.identity[node];
	if (identity->node_id != 0) {
		config->self = *identity;
	} else {
		config->self.node_id = node + 1;
		snprintf(config->self.name, sizeof(config->self.name), "node%u", node + 1);
	}
	if (fixture->options.timers.dead_time_ms != 0)
		config->timers = fixture->options.timers;
	config->tiebreaker = fixture->options.tiebreaker;
}

struct hn_fixture *hn_fixture_create(const struct hn_fixture_options *options, char *error,
				     size_t error_size)
{
	struct hn_fixture *fixture = calloc(1, sizeof(*fixture));
	if (fixture == NULL)
		goto cleanup;
	fixture->options = *options;
	fixture->random_state = options->seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
	fixture->queue = calloc(HN_FIXTURE_QUEUE_MAX, sizeof(*fixture->queue));
	fixture->writes = calloc(HN_FIXTURE_WRITES_MAX, sizeof(*fixture->writes));
	fixture->capture = calloc(HN_FIXTURE_CAPTURE_MAX, sizeof(*fixture->capture));
	if (fixture->queue == NULL || fixture->writes == NULL || fixture->capture == NULL)
		goto cleanup;
	memset(fixture->key, 0x5a, sizeof(fixture->key));
	for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
		hn_fixture_configure(fixture, node);
		fixture->nodes[node] = calloc(1, hn_node_size());
		if (fixture->nodes[node] == NULL ||
		    hn_node_init(fixture->nodes[node], &fixture->configs[node], error,
				 error_size) != 0) {
			hn_fixture_free(fixture);
			return NULL;
		}
		fixture->health[node] = (struct hn_health){true, true, 1, 1, false};
		fixture->cluster_ip_visible[node] = true;
		for (int link = 0; link < HN_LINKS; link++)
			fixture->carrier[node][link] = true;
	}
	for (int link = 0; link < HN_LINKS; link++)
		fixture->delay_ms[link] = HN_FIXTURE_DEFAULT_DELAY_MS;
	return fixture;
cleanup:
	if (error != NULL && error_size > 0)
		snprintf(error, error_size, "hn_fixture_create: out of memory");
	hn_fixture_free(fixture);
	return NULL;
}

void hn_fixture_free(struct hn_fixture *fixture)
{
	if (fixture == NULL)
		return;
	for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++)
		free(fixture->nodes[node]);
	free(fixture->queue);
	free(fixture->capture);
	free(fixture->writes);
	free(fixture);
}

/* Re-initialise from what the node persisted, as a restarted daemon does. */
static int hn_fixture_restore(struct hn_fixture *fixture, uint32_t node)
{
	char error[HN_REASON_MAX];
	struct hn_fixture_disk *disk = &fixture->disks[node];
	if (hn_node_init(fixture->nodes[node], &fixture->configs[node], error, sizeof(error)) !=
	    0) {
		hn_fixture_fail(fixture, "%s", error);
		return -1;
	}
	for (uint32_t i = 0; i < disk->entry_count; i++) {
		if (hn_node_restore_entry(fixture->nodes[node], &disk->entries[i]) != 0) {
			hn_fixture_fail(fixture, "hn_fixture_restore: %s: entry %s not restored",
					hn_fixture_name(fixture, node), disk->entries[i].key);
			return -1;
		}
	}
	hn_node_restore_generation(fixture->nodes[node], &disk->generation, disk->outdated);
	return 0;
}

int hn_fixture_power_on(struct hn_fixture *fixture, uint32_t node)
{
	if (node >= HN_FIXTURE_NODES || fixture->powered[node])
		return -1;
	if (fixture->ever_powered[node] && hn_fixture_restore(fixture, node) != 0)
		return -1;
	fixture->powered[node] = true;
	fixture->ever_powered[node] = true;
	fixture->windows[node] = (struct hn_replay_window){0};
	memset(&fixture->health_sent[node], 0xff, sizeof(fixture->health_sent[node]));
	fixture->next_round_ms[node] = hn_fixture_first_round_ms(fixture, node);
	fixture->power_count[node]++;
	hn_fixture_trace(fixture, "%s powered on", hn_fixture_name(fixture, node));
	struct hn_event event = {.kind = HN_EVENT_START};
	event.u.start.boot_nonce = hn_fixture_boot_nonce(fixture, node);
	if (hn_fixture_step(fixture, node, &event) != 0)
		return -1;
	for (int link = 0; link < HN_LINKS; link++) {
		if (fixture->carrier[node][link])
			continue;
		struct hn_event down = {.kind = HN_EVENT_LINK, .link = (enum hn_link)link};
		if (hn_fixture_step(fixture, node, &down) != 0)
			return -1;
	}
	return hn_fixture_run_local(fixture);
}

void hn_fixture_power_off(struct hn_fixture *fixture, uint32_t node)
{
	if (node >= HN_FIXTURE_NODES || !fixture->powered[node])
		return;
	fixture->powered[node] = false;
	for (uint32_t i = fixture->queue_count; i > 0; i--) {
		if (fixture->queue[i - 1].to == node)
			hn_fixture_queue_remove(fixture, i - 1);
	}
	hn_fixture_trace(fixture, "%s powered off", hn_fixture_name(fixture, node));
}

bool hn_fixture_powered(const struct hn_fixture *fixture, uint32_t node)
{
	return node < HN_FIXTURE_NODES && fixture->powered[node];
}

/* ---------------------------------------------------- links, health */

int hn_fixture_set_carrier(struct hn_fixture *fixture, uint32_t node, enum hn_link link, bool up)
{
	fixture->carrier[node][link] = up;
	if (!fixture->powered[node])
		return 0;
	struct hn_event event = {.kind = HN_EVENT_LINK, .link = link};
	event.u.carrier_up = up;
	if (hn_fixture_step(fixture, node, &event) != 0)
		return -1;
	return hn_fixture_run_local(fixture);
}

void hn_fixture_set_cluster_ip_visible(struct hn_fixture *fixture, uint32_t node, bool visible)
{
	fixture->cluster_ip_visible[node] = visible;
}

int hn_fixture_set_health(struct hn_fixture *fixture, uint32_t node, const struct hn_health *health)
{
	fixture->health[node] = *health;
	return hn_fixture_run_local(fixture);
}

void hn_fixture_set_health_next_round(struct hn_fixture *fixture, uint32_t node,
				      const struct hn_health *health)
{
	fixture->measured[node] = true;
	fixture->measured_health[node] = *health;
}

void hn_fixture_set_identity(struct hn_fixture *fixture, uint32_t node,
			     const struct hn_identity *identity)
{
	fixture->configs[node].self = *identity;
}

void hn_fixture_fail_fences(struct hn_fixture *fixture, uint32_t node, uint32_t count)
{
	fixture->fence_failures[node] = count;
}

void hn_fixture_fail_action(struct hn_fixture *fixture, uint32_t node, enum hn_failure_kind kind,
			    uint32_t nth)
{
	if (node < HN_FIXTURE_NODES && (unsigned)kind < HN_FIXTURE_FAILURE_KINDS)
		fixture->fail_countdown[node][kind] = nth;
}

uint32_t hn_fixture_failed_actions(const struct hn_fixture *fixture)
{
	return fixture->failed_actions;
}

/* ---------------------------------------------------- admin, clients */

int hn_fixture_admin(struct hn_fixture *fixture, uint32_t node, enum hn_admin_command command,
		     const char *key, const char *value, char *reply, size_t reply_size)
{
	struct hn_event event = {.kind = HN_EVENT_ADMIN};
	event.u.admin.command = command;
	event.u.admin.request_id = ++fixture->next_request_id;
	snprintf(event.u.admin.key, sizeof(event.u.admin.key), "%s", key != NULL ? key : "");
	snprintf(event.u.admin.value, sizeof(event.u.admin.value), "%s",
		 value != NULL ? value : "");
	fixture->admin_request_id = event.u.admin.request_id;
	fixture->admin_answered = false;
	fixture->admin_text[0] = '\0';
	if (hn_fixture_step(fixture, node, &event) != 0 || hn_fixture_run_local(fixture) != 0)
		return -1;
	if (reply != NULL && reply_size > 0)
		snprintf(reply, reply_size, "%s", fixture->admin_text);
	if (!fixture->admin_answered)
		return 2; /* answered later (a replicated setting) */
	return fixture->admin_ok ? 1 : 0;
}

int hn_fixture_write(struct hn_fixture *fixture, uint32_t node, const char *key, const char *value,
		     uint64_t *request_id)
{
	if (fixture->write_count == HN_FIXTURE_WRITES_MAX) {
		hn_fixture_fail(fixture, "hn_fixture_write: more than %d writes",
				HN_FIXTURE_WRITES_MAX);
		return -1;
	}
	struct hn_fixture_write *write = &fixture->writes[fixture->write_count++];
	memset(write, 0, sizeof(*write));
	write->request_id = ++fixture->next_request_id;
	write->node = node;
	write->sent_ms = fixture->now_ms;
	write->answer = -1;
	snprintf(write->key, sizeof(write->key), "%s", key);
	snprintf(write->value, sizeof(write->value), "%s", value);
	if (request_id != NULL)
		*request_id = write->request_id;
	struct hn_event event = {.kind = HN_EVENT_CLIENT_WRITE};
	event.u.write.request_id = write->request_id;
	snprintf(event.u.write.key, sizeof(event.u.write.key), "%s", key);
	snprintf(event.u.write.value, sizeof(event.u.write.value), "%s", value);
	if (hn_fixture_step(fixture, node, &event) != 0)
		return -1;
	return hn_fixture_run_local(fixture);
}

int hn_fixture_write_answered(const struct hn_fixture *fixture, uint64_t request_id)
{
	for (uint32_t i = 0; i < fixture->write_count; i++) {
		if (fixture->writes[i].request_id == request_id)
			return fixture->writes[i].answer;
	}
	return -1;
}

int hn_fixture_serving_node(const struct hn_fixture *fixture)
{
	for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
		if (fixture->powered[node] && hn_node_serves_clients(fixture->nodes[node]))
			return (int)node;
	}
	return -1;
}

/* -------------------------------------------------------------- reads */

uint64_t hn_fixture_now_ms(const struct hn_fixture *fixture)
{
	return fixture->now_ms;
}

const struct hn_node *hn_fixture_node(const struct hn_fixture *fixture, uint32_t node)
{
	return fixture->nodes[node];
}

void hn_fixture_status(const struct hn_fixture *fixture, uint32_t node, struct hn_status *status)
{
	hn_node_status(fixture->nodes[node], fixture->now_ms, status);
}

uint32_t hn_fixture_active_count(const struct hn_fixture *fixture)
{
	uint32_t count = 0;
	struct hn_status status;
	for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
		if (!fixture->powered[node])
			continue;
		hn_node_status(fixture->nodes[node], fixture->now_ms, &status);
		count += status.role == HN_ROLE_ACTIVE;
	}
	return count;
}

uint64_t hn_fixture_transition_at(const struct hn_fixture *fixture, uint32_t node, const char *to,
				  uint64_t since_ms)
{
	for (uint32_t i = 0; i < fixture->log_count; i++) {
		const struct hn_fixture_log *log = &fixture->logs[i];
		if (log->node == node && log->at_ms >= since_ms &&
		    strcmp(log->record.event, "transition") == 0 && strcmp(log->record.to, to) == 0)
			return log->at_ms;
	}
	return UINT64_MAX;
}

const struct hn_fixture_log *hn_fixture_log_find(const struct hn_fixture *fixture, uint32_t node,
						 const char *event, uint32_t nth)
{
	for (uint32_t i = 0; i < fixture->log_count; i++) {
		const struct hn_fixture_log *log = &fixture->logs[i];
		if (log->node == node && strcmp(log->record.event, event) == 0 && nth-- == 0)
			return log;
	}
	return NULL;
}

uint32_t hn_fixture_log_count(const struct hn_fixture *fixture, uint32_t node, const char *event)
{
	uint32_t count = 0;
	while (hn_fixture_log_find(fixture, node, event, count) != NULL)
		count++;
	return count;
}

uint64_t hn_fixture_lost_writes(const struct hn_fixture *fixture)
{
	return fixture->lost_writes;
}

uint64_t hn_fixture_write_latency_max_ms(const struct hn_fixture *fixture, uint64_t now_ms)
{
	uint64_t latency_ms = 0;
	for (uint32_t i = 0; i < fixture->write_count; i++) {
		const struct hn_fixture_write *write = &fixture->writes[i];
		uint64_t end_ms = write->answer >= 0 ? write->answered_ms : now_ms;
		if (end_ms - write->sent_ms > latency_ms)
			latency_ms = end_ms - write->sent_ms;
	}
	return latency_ms;
}

uint64_t hn_fixture_acked_writes(const struct hn_fixture *fixture)
{
	uint64_t count = 0;
	for (uint32_t i = 0; i < fixture->write_count; i++)
		count += fixture->writes[i].answer == 1;
	return count;
}

int hn_fixture_check_writes(struct hn_fixture *fixture)
{
	int active = -1;
	struct hn_status status;
	for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
		hn_node_status(fixture->nodes[node], fixture->now_ms, &status);
		if (!fixture->powered[node] || status.role != HN_ROLE_ACTIVE)
			continue;
		if (active >= 0) {
			hn_fixture_fail(fixture, "write check: both nodes are active at the end");
			return -1;
		}
		active = (int)node;
	}
	if (active < 0) {
		hn_fixture_fail(fixture, "write check: no node is active at the end");
		return -1;
	}
	for (uint32_t i = 0; i < fixture->write_count; i++) {
		const struct hn_fixture_write *write = &fixture->writes[i];
		if (write->answer != 1 || write->excused)
			continue;
		const struct hn_entry *entry = hn_node_get(fixture->nodes[active], write->key);
		const struct hn_entry *durable =
		    hn_fixture_disk_find(&fixture->disks[active], write->key);
		if (entry == NULL || strcmp(entry->value, write->value) != 0 || durable == NULL ||
		    strcmp(durable->value, write->value) != 0) {
			hn_fixture_fail(fixture,
					"acknowledged write %s=%s (seq %" PRIu64 " on %s) "
					"missing on the active %s",
					write->key, write->value, write->seq,
					hn_fixture_name(fixture, write->node),
					hn_fixture_name(fixture, (uint32_t)active));
			return -1;
		}
	}
	return 0;
}

const char *hn_fixture_failure(const struct hn_fixture *fixture)
{
	return fixture->failure;
}
