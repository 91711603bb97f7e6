/*
 * test_events.c - CUnit suite "events": one core driven by hand through
 * what issue 11 added: failed actions (HN_EVENT_ACTION_FAILED) in every
 * place, the bounded fence, the shutdown command, a switchover waiting for
 * writes in flight, the notify-only checks (the host's and the data-sync
 * lag), the boot nonce handshake, the one-way link rules, an older
 * protocol, and the stale cluster-IP probe. Reasons are asserted letter for
 * letter; times are exact.
 */
#include "test_main.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

/* node1 active since 200 with node2 in sync (its heartbeat at 200). */
static void hn_active_in_sync(struct hn_test_node *test, enum hn_tiebreaker tiebreaker,
			      struct hn_heartbeat *peer)
{
	struct hn_status status;
	hn_test_node_create(test, 1, tiebreaker);
	hn_test_start(test, 0);
	hn_test_peer_heartbeat(peer, 2, HN_ROLE_STANDBY, HN_STATE_NORMAL);
	hn_test_heartbeat_both(test, peer, 0);
	hn_test_run_until(test, 200);
	hn_test_status(test, &status);
	peer->generation = status.generation;
	hn_test_heartbeat_both(test, peer, 200);
	hn_test_status(test, &status);
	CU_ASSERT_EQUAL(status.role, HN_ROLE_ACTIVE);
	CU_ASSERT(status.in_sync);
}

/* node2 standby of active node1 (heard at 0). */
static void hn_standby(struct hn_test_node *test, enum hn_tiebreaker tiebreaker,
		       struct hn_heartbeat *peer)
{
	hn_test_node_create(test, 2, tiebreaker);
	hn_test_start(test, 0);
	hn_test_peer_heartbeat(peer, 1, HN_ROLE_ACTIVE, HN_STATE_NORMAL);
	hn_test_heartbeat_both(test, peer, 0);
	CU_ASSERT_EQUAL(hn_test_role(test), HN_ROLE_STANDBY);
}

static void hn_fail(struct hn_test_node *test, enum hn_failure_kind kind, const char *reason,
		    uint64_t now_ms)
{
	struct hn_event event = {.kind = HN_EVENT_ACTION_FAILED};
	event.u.failure.kind = kind;
	snprintf(event.u.failure.reason, sizeof(event.u.failure.reason), "%s", reason);
	CU_ASSERT(hn_test_step(test, &event, now_ms) == 0);
}

static const struct hn_action *hn_reply(const struct hn_test_node *test, enum hn_action_kind kind)
{
	const struct hn_action *reply = hn_test_find_reply(&test->actions, kind);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reply);
	return reply;
}

static bool hn_notified(const struct hn_actions *actions, enum hn_notify_kind kind,
			const char *text)
{
	for (size_t i = 0; i < actions->count; i++) {
		const struct hn_action *action = &actions->items[i];
		if (action->kind == HN_ACTION_NOTIFY && action->u.notify.kind == kind &&
		    (text == NULL || strcmp(action->u.notify.text, text) == 0))
			return true;
	}
	return false;
}

static uint32_t hn_sent_flags(const struct hn_test_node *test)
{
	int beat = hn_test_find(&test->actions, HN_ACTION_SEND_HEARTBEAT, 0);
	CU_ASSERT_FATAL(beat >= 0);
	return test->actions.items[beat].u.heartbeat.flags;
}

/* ------------------------------------------------------ failed actions */

/* The active's storage fails: fault, released, notified; no data handled
 * until a health round passes; NO_STORAGE in its heartbeats. */
static void test_events_storage_fails_on_active(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	hn_active_in_sync(&test, HN_TIEBREAKER_NONE, &peer);
	hn_test_write(&test, 7, "k", "v", 300);
	hn_fail(&test, HN_FAILURE_STORAGE, "store.log: No space left on device", 300);
	static const char reason[] = "storage failed: store.log: No space left on device";
	CU_ASSERT_EQUAL(hn_test_state(&test), HN_STATE_FAULT);
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_STANDBY);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "transition"), reason);
	CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_FAULT, reason));
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_IP_REMOVE), 1);
	const struct hn_action *reply = hn_reply(&test, HN_ACTION_CLIENT_REPLY);
	CU_ASSERT_FALSE(reply->u.reply.ok); /* the write in flight is never acknowledged */
	CU_ASSERT(hn_sent_flags(&test) & HN_HB_NO_STORAGE);
	struct hn_status status;
	hn_test_status(&test, &status);
	CU_ASSERT(status.storage_failed);
	CU_ASSERT_FALSE(status.outdated); /* its disk has every acknowledged write */
	/* checks pass at the next round: standby again, no failback */
	struct hn_health healthy = {true, true, 1, 1, false};
	hn_test_health(&test, &healthy, 1000);
	CU_ASSERT_EQUAL(hn_test_state(&test), HN_STATE_NORMAL);
	hn_test_status(&test, &status);
	CU_ASSERT_FALSE(status.storage_failed);
	hn_test_node_free(&test);
}

/* The standby's storage fails on a REPLICATE: no ACK ever for it, data
 * ignored, and the next resync is full (memory may hold what the disk
 * lacks). */
static void test_events_storage_fails_on_standby(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	hn_standby(&test, HN_TIEBREAKER_NONE, &peer);
	struct hn_data_message data = {.kind = HN_DATA_REPLICATE, .sender_id = 1, .seq = 1};
	data.entry_count = 1;
	snprintf(data.entries[0].key, sizeof(data.entries[0].key), "k");
	snprintf(data.entries[0].value, sizeof(data.entries[0].value), "v");
	data.entries[0].seq = 1;
	hn_test_data(&test, &data, 10);
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_PERSIST), 1);
	hn_fail(&test, HN_FAILURE_STORAGE, "store.log: Input/output error", 10);
	CU_ASSERT_EQUAL(hn_test_state(&test), HN_STATE_FAULT);
	CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_FAULT,
			      "storage failed: store.log: Input/output error"));
	hn_test_data(&test, &data, 20); /* the retransmission: no ACK now */
	CU_ASSERT_EQUAL(test.actions.count, 0);
	/* a second failure while in fault: logged, stays */
	hn_fail(&test, HN_FAILURE_STORAGE, "again", 30);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "health"),
			       "storage failed: again");
	/* recovered: the active (same generation, ahead) gets a full resync */
	struct hn_health healthy = {true, true, 1, 1, false};
	hn_test_health(&test, &healthy, 500);
	peer.last_seq = 2;
	hn_test_heartbeat_both(&test, &peer, 501);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "sync"),
			       "full resync from node1 since seq 0");
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_STORE_RESET), 1);
	hn_test_node_free(&test);
}

/* IP_ADD or SERVICES_START fails on the new active: fault, hand over;
 * the fault lasts until the next health round. */
static void test_events_resource_fails(void)
{
	static const struct {
		enum hn_failure_kind kind;
		const char *reason;
	} cases[] = {
	    {HN_FAILURE_CLUSTER_IP, "cluster IP could not be added: RTNETLINK: File exists"},
	    {HN_FAILURE_SERVICES, "services could not be started: RTNETLINK: File exists"},
	};
	for (size_t i = 0; i < 2; i++) {
		struct hn_test_node test;
		struct hn_heartbeat peer;
		hn_active_in_sync(&test, HN_TIEBREAKER_NONE, &peer);
		hn_fail(&test, cases[i].kind, "RTNETLINK: File exists", 201);
		CU_ASSERT_EQUAL(hn_test_state(&test), HN_STATE_FAULT);
		CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "transition"),
				       cases[i].reason);
		CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_FAULT, cases[i].reason));
		hn_test_run_until(&test, 5000); /* no health round: stays in fault */
		CU_ASSERT_EQUAL(hn_test_state(&test), HN_STATE_FAULT);
		struct hn_health healthy = {true, true, 1, 1, false};
		hn_test_health(&test, &healthy, 5001);
		CU_ASSERT_EQUAL(hn_test_state(&test), HN_STATE_NORMAL);
		CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "transition"),
				       "local checks pass again");
		hn_test_node_free(&test);
	}
	/* a late failure on a standby only logs; on a disbanded active it
	 * releases, keeping the state */
	struct hn_test_node test;
	struct hn_heartbeat peer;
	hn_standby(&test, HN_TIEBREAKER_NONE, &peer);
	hn_fail(&test, HN_FAILURE_SERVICES, "exit 3", 10);
	CU_ASSERT_EQUAL(hn_test_state(&test), HN_STATE_NORMAL);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "health"),
			       "services could not be started: exit 3");
	hn_test_node_free(&test);
	hn_active_in_sync(&test, HN_TIEBREAKER_NONE, &peer);
	hn_test_admin(&test, HN_ADMIN_DISBAND, 300);
	hn_fail(&test, HN_FAILURE_CLUSTER_IP, "gone", 301);
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_STANDBY);
	CU_ASSERT_EQUAL(hn_test_state(&test), HN_STATE_STANDALONE);
	hn_fail(&test, HN_FAILURE_STORAGE, "gone", 302);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "health"), "storage failed: gone");
	hn_test_node_free(&test);
	/* a malformed failure is refused */
	hn_standby(&test, HN_TIEBREAKER_NONE, &peer);
	struct hn_event bad = {.kind = HN_EVENT_ACTION_FAILED};
	bad.u.failure.kind = (enum hn_failure_kind)9;
	CU_ASSERT(hn_test_step(&test, &bad, 20) == -1);
	CU_ASSERT_STRING_EQUAL(
	    hn_test_log_reason(&test.actions, "ignored"),
	    "hn_node_step: node2: event ignored: action failure with a field out "
	    "of range");
	hn_test_node_free(&test);
}

/* A FENCE without a result counts as failed after fence_timeout_ms. */
static void test_events_fence_timeout(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	hn_standby(&test, HN_TIEBREAKER_FENCE, &peer);
	hn_test_run_until(&test, 1500);
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_FENCE), 1);
	CU_ASSERT_EQUAL(hn_node_next_deadline_ms(test.node), 1600); /* heartbeats go on */
	hn_test_run_until(&test, 11499);
	CU_ASSERT_PTR_NULL(hn_test_find_log(&test.actions, "fence"));
	hn_test_tick(&test, 11500);
	CU_ASSERT_STRING_EQUAL(
	    hn_test_log_reason(&test.actions, "fence"),
	    "no result of the fence of node1 within 10000 ms: counted as failed");
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_LOG), 2); /* and the retry */
	hn_test_run_until(&test, 12500);
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_FENCE), 1); /* retried */
	hn_test_node_free(&test);
}

/* ------------------------------------------------------------ shutdown */

static void test_events_shutdown(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	struct hn_event event = {.kind = HN_EVENT_ADMIN};
	event.u.admin.command = HN_ADMIN_SHUTDOWN;
	event.u.admin.request_id = 5;
	snprintf(event.u.admin.value, sizeof(event.u.admin.value), "stopped by SIGTERM");
	hn_active_in_sync(&test, HN_TIEBREAKER_NONE, &peer);
	CU_ASSERT(hn_test_step(&test, &event, 300) == 0);
	CU_ASSERT_EQUAL(hn_test_state(&test), HN_STATE_MAINTENANCE);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "transition"),
			       "hanode stopping: stopped by SIGTERM");
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "admin"), "shutdown: stopping");
	CU_ASSERT(hn_reply(&test, HN_ACTION_ADMIN_REPLY)->u.reply.ok);
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_IP_REMOVE), 1);
	CU_ASSERT(hn_test_step(&test, &event, 301) == 0); /* again: nothing to release */
	CU_ASSERT_PTR_NULL(hn_test_find_log(&test.actions, "transition"));
	CU_ASSERT(hn_reply(&test, HN_ACTION_ADMIN_REPLY)->u.reply.ok);
	hn_test_node_free(&test);
	/* disconnected active: released, still disconnected; no reason given */
	hn_active_in_sync(&test, HN_TIEBREAKER_NONE, &peer);
	hn_test_admin(&test, HN_ADMIN_DISCONNECT, 300);
	event.u.admin.value[0] = '\0';
	CU_ASSERT(hn_test_step(&test, &event, 301) == 0);
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_STANDBY);
	CU_ASSERT_EQUAL(hn_test_state(&test), HN_STATE_DISCONNECTED);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "transition"),
			       "hanode stopping: no reason given");
	memset(event.u.admin.value, 'x', sizeof(event.u.admin.value));
	CU_ASSERT(hn_test_step(&test, &event, 302) == 0);
	CU_ASSERT_STRING_EQUAL(hn_reply(&test, HN_ACTION_ADMIN_REPLY)->u.reply.text,
			       "shutdown reason too long");
	hn_test_node_free(&test);
}

/* ---------------------------------------------------------- switchover */

static void test_events_switchover_waits(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	hn_active_in_sync(&test, HN_TIEBREAKER_NONE, &peer);
	hn_test_write(&test, 1, "k", "v", 300);
	hn_test_admin(&test, HN_ADMIN_SWITCHOVER, 301);
	CU_ASSERT_PTR_NULL(hn_test_find_reply(&test.actions, HN_ACTION_ADMIN_REPLY));
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "admin"),
			       "switchover: waiting for the writes in flight");
	hn_test_admin(&test, HN_ADMIN_SWITCHOVER, 302);
	CU_ASSERT_STRING_EQUAL(hn_reply(&test, HN_ACTION_ADMIN_REPLY)->u.reply.text,
			       "a switchover is already waiting");
	hn_test_write(&test, 2, "k2", "v", 303);
	CU_ASSERT_STRING_EQUAL(hn_reply(&test, HN_ACTION_CLIENT_REPLY)->u.reply.text,
			       "switchover in progress");
	hn_test_admin(&test, HN_ADMIN_SETTING_SET, 304);
	CU_ASSERT_STRING_EQUAL(hn_reply(&test, HN_ACTION_ADMIN_REPLY)->u.reply.text,
			       "switchover in progress");
	struct hn_status status;
	hn_test_status(&test, &status);
	CU_ASSERT(status.switchover_waiting);
	/* no ACK within dead_time_ms (the peer alive): out of sync, refused */
	CU_ASSERT_EQUAL(hn_node_next_deadline_ms(test.node), 400);
	for (uint64_t t = 400; t <= 1200; t += 200) {
		hn_test_run_until(&test, t);
		hn_test_heartbeat_both(&test, &peer, t);
	}
	hn_test_run_until(&test, 1299);
	CU_ASSERT_PTR_NULL(hn_test_find_reply(&test.actions, HN_ACTION_ADMIN_REPLY));
	hn_test_tick(&test, 1300);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "sync"),
			       "sync with node2 lost (a write unacknowledged for 1000 ms): "
			       "peer marked outdated, new generation 513 from seq 0");
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_ACTIVE);
	hn_test_tick(&test, 1301); /* the switchover's bound: refused, data out of sync */
	const struct hn_action *reply = hn_reply(&test, HN_ACTION_ADMIN_REPLY);
	CU_ASSERT_FALSE(reply->u.reply.ok);
	CU_ASSERT_STRING_EQUAL(reply->u.reply.text, "data is not in sync");
	CU_ASSERT_EQUAL(reply->u.reply.request_id, 77);
	hn_test_node_free(&test);

	/* the ACK comes: handed over, the reply follows */
	hn_active_in_sync(&test, HN_TIEBREAKER_NONE, &peer);
	hn_test_write(&test, 1, "k", "v", 300);
	hn_test_admin(&test, HN_ADMIN_SWITCHOVER, 301);
	struct hn_data_message ack = {.kind = HN_DATA_ACK, .sender_id = 2, .seq = 1};
	hn_test_status(&test, &status);
	ack.generation = status.generation;
	hn_test_data(&test, &ack, 305);
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_STANDBY);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "transition"),
			       "switchover by the operator");
	reply = hn_reply(&test, HN_ACTION_ADMIN_REPLY);
	CU_ASSERT(reply->u.reply.ok);
	CU_ASSERT_STRING_EQUAL(reply->u.reply.text, "switchover started");
	CU_ASSERT(hn_sent_flags(&test) & HN_HB_YIELD);
	hn_test_node_free(&test);

	/* a fault while waiting: refused with why */
	hn_active_in_sync(&test, HN_TIEBREAKER_NONE, &peer);
	hn_test_write(&test, 1, "k", "v", 300);
	hn_test_admin(&test, HN_ADMIN_SWITCHOVER, 301);
	struct hn_health broken = {false, true, 1, 1, false};
	hn_test_health(&test, &broken, 302);
	reply = hn_reply(&test, HN_ACTION_ADMIN_REPLY);
	CU_ASSERT_FALSE(reply->u.reply.ok);
	CU_ASSERT_STRING_EQUAL(reply->u.reply.text, "this node is not active in state normal");
	hn_test_node_free(&test);
}

/* The standby asks with a write in flight: the active waits, then yields. */
static void test_events_switchover_request_waits(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	hn_active_in_sync(&test, HN_TIEBREAKER_NONE, &peer);
	hn_test_write(&test, 1, "k", "v", 300);
	peer.flags = HN_HB_SWITCHOVER_REQUEST;
	hn_test_heartbeat_both(&test, &peer, 310);
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_ACTIVE);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "admin"),
			       "switchover requested on node2: waiting for 1 writes in flight");
	struct hn_status status;
	hn_test_status(&test, &status);
	struct hn_data_message ack = {.kind = HN_DATA_ACK, .sender_id = 2, .seq = 1};
	ack.generation = status.generation;
	hn_test_data(&test, &ack, 311);
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_STANDBY);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "transition"),
			       "switchover requested on node2");
	CU_ASSERT_PTR_NULL(hn_test_find_reply(&test.actions, HN_ACTION_ADMIN_REPLY));
	hn_test_node_free(&test);
}

/* -------------------------------------------------- notify-only checks */

static void test_events_notify_checks(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	hn_standby(&test, HN_TIEBREAKER_NONE, &peer);
	struct hn_event event = {.kind = HN_EVENT_HEALTH};
	event.u.health = (struct hn_health){true, true, 1, 1, false};
	event.checks.failing = HN_CHECK_DISK_USAGE | HN_CHECK_TIME_OFFSET;
	snprintf(event.checks.text, sizeof(event.checks.text), "disk 91 %% full");
	CU_ASSERT(hn_test_step(&test, &event, 100) == 0);
	CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_HEALTH,
			      "disk usage check failing: disk 91 % full"));
	CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_HEALTH,
			      "time offset check failing: disk 91 % full"));
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_NOTIFY), 2);
	CU_ASSERT_PTR_NULL(hn_test_find_log(&test.actions, "transition")); /* no role moves */
	CU_ASSERT(hn_test_step(&test, &event, 200) == 0);		   /* unchanged: quiet */
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_NOTIFY), 0);
	event.checks.failing = HN_CHECK_SERVICE_HEALTH;
	event.checks.text[0] = '\0';
	CU_ASSERT(hn_test_step(&test, &event, 300) == 0);
	CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_HEALTH, "disk usage check recovered"));
	CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_HEALTH, "time offset check recovered"));
	CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_HEALTH, "service health check failing"));
	struct hn_status status;
	hn_test_status(&test, &status);
	CU_ASSERT_EQUAL(status.notify_failing, HN_CHECK_SERVICE_HEALTH);
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_STANDBY);
	memset(event.checks.text, 'x', sizeof(event.checks.text));
	CU_ASSERT(hn_test_step(&test, &event, 400) == -1);
	hn_test_node_free(&test);
}

/* The oldest unacknowledged write older than sync_lag_ms (2000): notified,
 * and again when it is acknowledged; no role moves. */
static void test_events_sync_lag(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	hn_active_in_sync(&test, HN_TIEBREAKER_NONE, &peer);
	test.config.timers.sync_lag_ms = 500; /* below the dead time, to see it */
	hn_test_node_free(&test);
	hn_test_node_create(&test, 1, HN_TIEBREAKER_NONE);
	test.config.timers.sync_lag_ms = 500;
	CU_ASSERT_FATAL(hn_node_init(test.node, &test.config, NULL, 0) == 0);
	hn_test_start(&test, 0);
	hn_test_peer_heartbeat(&peer, 2, HN_ROLE_STANDBY, HN_STATE_NORMAL);
	hn_test_heartbeat_both(&test, &peer, 0);
	hn_test_run_until(&test, 200);
	struct hn_status status;
	hn_test_status(&test, &status);
	peer.generation = status.generation;
	hn_test_heartbeat_both(&test, &peer, 200);
	hn_test_write(&test, 1, "k", "v", 300);
	hn_test_run_until(&test, 799);
	CU_ASSERT_PTR_NULL(hn_test_find_log(&test.actions, "health"));
	CU_ASSERT_EQUAL(hn_node_next_deadline_ms(test.node), 800);
	hn_test_tick(&test, 800);
	CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_HEALTH,
			      "data-sync lag check failing: oldest unacknowledged write is 500 ms "
			      "old"));
	struct hn_data_message ack = {.kind = HN_DATA_ACK, .sender_id = 2, .seq = 1};
	ack.generation = status.generation;
	hn_test_data(&test, &ack, 900);
	CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_HEALTH, "data-sync lag check recovered"));
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_ACTIVE);
	hn_test_node_free(&test);
}

/* A standby that fails its checks is a fault too: notified. */
static void test_events_fault_notified_on_standby(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	hn_standby(&test, HN_TIEBREAKER_NONE, &peer);
	struct hn_health broken = {false, true, 1, 1, false};
	hn_test_health(&test, &broken, 100);
	CU_ASSERT(hn_notified(&test.actions, HN_NOTIFY_FAULT,
			      "RAID check failed: storage array not accessible"));
	hn_test_node_free(&test);
}

int hn_test_register_events(void)
{
	static const struct hn_test_case cases[] = {
	    {"storage fails on the active", test_events_storage_fails_on_active},
	    {"storage fails on the standby", test_events_storage_fails_on_standby},
	    {"IP_ADD and SERVICES_START fail", test_events_resource_fails},
	    {"a fence without result times out", test_events_fence_timeout},
	    {"shutdown hands over with its reason", test_events_shutdown},
	    {"switchover waits for writes in flight", test_events_switchover_waits},
	    {"the standby's switchover request waits", test_events_switchover_request_waits},
	    {"notify-only checks", test_events_notify_checks},
	    {"data-sync lag check", test_events_sync_lag},
	    {"fault notified on a standby", test_events_fault_notified_on_standby},
	    {NULL, NULL},
	};
	return hn_test_add_suite("events", cases);
}
