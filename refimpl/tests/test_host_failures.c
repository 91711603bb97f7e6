/*
 * test_host_failures.c - CUnit tests of what the host (refimpl/host/host.h)
 * owes its core when things fail (refimpl/core/README.md, "What the host
 * must do"), on the recording fake platform of host_fake.c:
 *
 *   - failed actions go back to the core (HN_EVENT_ACTION_FAILED) before
 *     any other event; after a failed store write the rest of the step is
 *     dropped and the requests it would have answered get an error;
 *   - the SQLite way: the Nth store write of either node, and the Nth
 *     cluster IP add or services start of the pair, fails for N = 1, 2,
 *     3, ... until the run no longer reaches N; no client ever gets OK for
 *     a write that the acknowledging node's disk (and its peer's, unless
 *     marked outdated) does not hold;
 *   - a stop hands over as a shutdown, not as the operator's maintenance;
 *   - every start carries a fresh boot nonce, so 15 s of a dead active's
 *     heartbeats, replayed to a restarted survivor, are not news to it;
 *   - notify-only checks notify and move no role;
 *   - client keys and settings have room of their own in the store.
 */
#include "host_fake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The index of the node that serves clients (active, normal), or -1. */
static int test_serving(void)
{
	for (int i = 0; i < 2; i++) {
		struct hn_host_status status;
		if (!fakes[i].host)
			continue;
		test_status(&fakes[i], &status);
		if (status.core.role == HN_ROLE_ACTIVE && status.core.state == HN_STATE_NORMAL)
			return i;
	}
	return -1;
}

/* writes PUTs of unique keys, one every 200 ms from test_now_ms, to the
 * node that serves at the time (none: that write is skipped). */
static void test_write_series(uint64_t first_id, int writes)
{
	char key[32], value[32], answer[HN_REASON_MAX + 16];
	for (int i = 0; i < writes; i++) {
		int serving = test_serving();
		if (serving >= 0) {
			snprintf(key, sizeof(key), "key/%llu", (unsigned long long)first_id + i);
			snprintf(value, sizeof(value), "value-%llu",
				 (unsigned long long)first_id + i);
			fake_put(&fakes[serving], first_id + i, key, value, answer, sizeof(answer));
		}
		run_until(test_now_ms + 200);
	}
}

/* Every write answered OK is on the disk of the node that serves now. */
static int test_acknowledged_missing(void)
{
	int serving = test_serving();
	int missing = 0;
	for (size_t i = 0; i < fake_cluster.request_count && serving >= 0; i++) {
		const struct hn_entry *request = &fake_cluster.requests[i];
		const struct hn_entry *held = fake_disk_get(&fakes[serving], request->key);
		if (fake_cluster.acknowledged[i] &&
		    (!held || strcmp(held->value, request->value) != 0))
			missing++;
	}
	return missing;
}

/* ------------------------------------------------------- failed actions */

/* The active's store write fails: its REPLICATE (after the PERSIST in the
 * same step) is never sent, the client hears the failure at once (while
 * the node still holds the cluster IP it came through), then the node goes
 * to fault (the failure is fed at the next entry point, before anything
 * else) and the standby, which has every acknowledged write, takes over. */
static void test_storage_failure_drops_the_rest(void)
{
	char answer[HN_REASON_MAX + 16];
	test_form_pair(HN_TIEBREAKER_NONE);
	struct fake *node1 = &fakes[0], *node2 = &fakes[1];
	run_until(2000);
	CU_ASSERT_EQUAL(fake_put(node1, 1, "a", "1", answer, sizeof(answer)), 1);
	run_until(2100);
	CU_ASSERT_STRING_EQUAL(node1->last_client_reply, "OK 1");
	node1->fail_persist = true;
	size_t sent_before = fake_count(node1, "send data kind 1");
	CU_ASSERT_EQUAL(fake_put(node1, 2, "b", "2", answer, sizeof(answer)), 0);
	CU_ASSERT_STRING_EQUAL(answer,
			       "ERR storage failed: fake: store.log: No space left on device");
	CU_ASSERT_EQUAL(fake_count(node1, "send data kind 1"), sent_before);
	CU_ASSERT_EQUAL(fake_count(node1, "ip remove"), 0);
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node1->host), 2100);
	hn_host_tick(node1->host, 2100);
	int fault = fake_find(node1,
			      "log transition active->fault role standby: storage failed: fake: "
			      "store.log: No space left on device@2100",
			      0);
	CU_ASSERT(fault > fake_find(node1, "persist b=2", 0));
	/* The hand-over's actions come before its record (hn_core.h). */
	CU_ASSERT(fake_find(node1, "ip remove@2100", 0) > fake_find(node1, "persist b=2", 0));
	CU_ASSERT(fake_find(node1, "command notify HANODE_EVENT=fault", 0) > fault);
	run_until(2200);
	CU_ASSERT_STRING_EQUAL(test_display(node2), "active");
	CU_ASSERT_PTR_NULL(fake_disk_get(node2, "b"));
	CU_ASSERT_PTR_NOT_NULL(fake_disk_get(node2, "a"));
	CU_ASSERT_EQUAL(fake_cluster.violations, 0);
}

/* The standby's store write fails: it sends no ACK for it (nor anything
 * else of that step), so the active answers only once it has marked the
 * standby outdated. */
static void test_standby_storage_failure_is_not_acknowledged(void)
{
	char answer[HN_REASON_MAX + 16];
	struct hn_host_status status;
	test_form_pair(HN_TIEBREAKER_NONE);
	struct fake *node1 = &fakes[0], *node2 = &fakes[1];
	run_until(2000);
	node2->fail_persist = true;
	size_t acks = fake_count(node2, "send data kind 2");
	CU_ASSERT_EQUAL(fake_put(node1, 1, "a", "1", answer, sizeof(answer)), 1);
	run_until(2100);
	node2->fail_persist = false; /* the disk works again */
	CU_ASSERT_EQUAL(fake_count(node2, "send data kind 2"), acks);
	CU_ASSERT_STRING_EQUAL(test_display(node2), "fault");
	CU_ASSERT(fake_find(node2,
			    "log transition standby->fault role standby: storage failed: fake: "
			    "store.log: No space left on device@2000",
			    0) >= 0);
	/* Its heartbeat says NO_STORAGE: the active marks it outdated (a new
	 * generation) and answers alone. */
	test_status(node1, &status);
	CU_ASSERT_TRUE(status.core.peer_outdated);
	CU_ASSERT_STRING_EQUAL(node1->last_client_reply, "OK 1");
	CU_ASSERT_EQUAL(fake_cluster.violations, 0);
	/* Its next health verdict ends the fault: a full resync. */
	run_until(4000);
	test_status(node1, &status);
	CU_ASSERT_FALSE(status.core.peer_outdated);
	CU_ASSERT_PTR_NOT_NULL(fake_disk_get(node2, "a"));
	test_status(node2, &status);
	CU_ASSERT_EQUAL(status.actions_failed[HN_FAILURE_STORAGE], 1);
}

/* A services start that exits non-zero is a services failure of the core. */
static void test_services_start_exit_status(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	node->services_fail_later = true;
	test_start(node->host, 0);
	run_until(600);
	CU_ASSERT_STRING_EQUAL(test_display(node), "fault");
	int fault = fake_find(node,
			      "log transition active->fault role standby: services could not be "
			      "started: services_start exited with status 1@500",
			      0);
	CU_ASSERT(fault > fake_find(node, "command services_start", 0));
	CU_ASSERT(fake_find(node, "ip remove@500", 0) >
		  fake_find(node, "command services_start", 0));
	/* The fault lasts until the next health verdict; the next start works. */
	node->services_fail_later = false;
	run_until(1600);
	CU_ASSERT_STRING_EQUAL(test_display(node), "active");
}

/* --------------------------------------------- countdown fault injection */

/* Fails the Nth store write of node `index`, N = 1, 2, ... while the run
 * still reaches N; returns how many runs failed a write. */
static int test_countdown_persist_of(int index)
{
	int runs = 0;
	for (uint32_t nth = 1; nth < 100; nth++) {
		test_teardown_nodes();
		test_setup_nodes();
		test_form_pair(HN_TIEBREAKER_NONE);
		fakes[index].fail_persist_at = nth;
		test_write_series(1, 12);
		run_until(test_now_ms + 3000);
		test_write_series(100, 4);
		run_until(test_now_ms + 3000);
		if (fakes[index].persist_calls < nth)
			break; /* this run never got to a failed write */
		runs++;
		if (fake_cluster.violations)
			printf("\n  node%d, write %u failed: %s\n", index + 1, nth,
			       fake_cluster.violation);
		CU_ASSERT_EQUAL(fake_cluster.violations, 0);
		CU_ASSERT(fake_cluster.oks >= 10);
		CU_ASSERT_EQUAL(test_acknowledged_missing(), 0);
		CU_ASSERT(test_serving() >= 0);
	}
	return runs;
}

static void test_countdown_store_writes(void)
{
	int active_runs = test_countdown_persist_of(0);
	int standby_runs = test_countdown_persist_of(1);
	printf("(%d + %d runs) ", active_runs, standby_runs);
	CU_ASSERT(active_runs >= 16);
	CU_ASSERT(standby_runs >= 12);
}

/* test_form_pair without its assertions: a countdown may fail the start. */
static void test_form_pair_loose(void)
{
	struct hn_host_config config1 = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_config config2 = test_config(2, HN_TIEBREAKER_NONE);
	test_node(0, &config1);
	test_node(1, &config2);
	test_start(fakes[0].host, 0);
	test_start(fakes[1].host, 0);
	run_until(1000);
}

/* Moves the active role twice while writing: three cluster IP adds and
 * services starts in all, plus those of faults. */
static void test_roles_moving(void)
{
	test_write_series(1, 3);
	int serving = test_serving();
	if (serving >= 0)
		hn_host_admin(fakes[serving].host, 1, HN_ADMIN_SWITCHOVER, "", "", test_now_ms);
	test_write_series(10, 8);
	serving = test_serving();
	if (serving >= 0)
		hn_host_admin(fakes[serving].host, 2, HN_ADMIN_SWITCHOVER, "", "", test_now_ms);
	test_write_series(20, 8);
	run_until(test_now_ms + 3000);
}

/* The one node left serving holds the cluster IP; the other does not. */
static void test_one_holds_the_ip(void)
{
	struct hn_host_status status[2];
	int serving = test_serving();
	CU_ASSERT(serving >= 0);
	test_status(&fakes[0], &status[0]);
	test_status(&fakes[1], &status[1]);
	CU_ASSERT(serving < 0 || status[serving].ip_held);
	CU_ASSERT(serving < 0 || !status[1 - serving].ip_held);
}

static void test_countdown_ip_and_services(void)
{
	int runs[2] = {0, 0};
	for (int kind = 0; kind < 2; kind++) {
		for (uint32_t nth = 1; nth < 50; nth++) {
			test_teardown_nodes();
			test_setup_nodes();
			if (kind == 0)
				fake_cluster.fail_ip_at = nth;
			else
				fake_cluster.fail_services_at = nth;
			test_form_pair_loose();
			test_roles_moving();
			uint32_t reached =
			    kind == 0 ? fake_cluster.ip_adds : fake_cluster.services_starts;
			if (reached < nth)
				break;
			runs[kind]++;
			const char *reason =
			    kind == 0 ? "cluster IP could not be added: fake: cluster IP: File "
					"exists on another interface"
				      : "services could not be started: services_start not "
					"started: fake: services_start: Resource temporarily "
					"unavailable";
			int logged = 0;
			for (int i = 0; i < 2; i++)
				for (size_t n = 0; fake_find(&fakes[i], "log transition", n) >= 0;
				     n++)
					logged += strstr(fake_line(&fakes[i], "log transition", n),
							 reason) != NULL;
			CU_ASSERT_EQUAL(logged, 1);
			CU_ASSERT_EQUAL(fake_cluster.violations, 0);
			CU_ASSERT_EQUAL(test_acknowledged_missing(), 0);
			test_one_holds_the_ip();
		}
	}
	printf("(%d + %d runs) ", runs[0], runs[1]);
	CU_ASSERT(runs[0] >= 3);
	CU_ASSERT(runs[1] >= 3);
}

/* ------------------------------------------------------------ shutdown */

/* A stop hands over as a shutdown: the log says why, the peer takes over
 * at once, and no maintenance mark is written. */
static void test_stop_is_a_shutdown(void)
{
	test_form_pair(HN_TIEBREAKER_NONE);
	struct fake *node1 = &fakes[0], *node2 = &fakes[1];
	run_until(2000);
	hn_host_stop(node1->host, "hanode stopped by SIGTERM", 2000);
	int stopping = fake_find(node1,
				 "log transition active->maintenance role standby: hanode "
				 "stopping: hanode stopped by SIGTERM@2000",
				 0);
	CU_ASSERT(stopping >= 0);
	CU_ASSERT(fake_find(node1, "ip remove@2000", 0) >= 0);
	CU_ASSERT(fake_find(node1, "command services_stop@2000", 0) >= 0);
	CU_ASSERT_STRING_EQUAL(fake_line(node1, "log stop", 0),
			       "log stop -> role standby: hanode stopped by SIGTERM@2000");
	CU_ASSERT_EQUAL(fake_count(node1, "maintenance"), 0);
	CU_ASSERT_EQUAL(fake_count(node1, "log transition active->maintenance role standby: "
					  "maintenance set by the operator"),
			0);
	deliver(); /* the hand-over heartbeat: one packet delay, no dead time */
	CU_ASSERT_STRING_EQUAL(test_display(node2), "active");
}

/* ----------------------------------------------------------- boot nonce */

/* The nonce given to hn_host_start is the one the core's heartbeats carry. */
static void test_boot_nonce_in_heartbeats(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	static struct hn_heartbeat heartbeat;
	static struct hn_data_message data;
	hn_host_start(node->host, 0x0123456789abcdefull, 0);
	CU_ASSERT_FATAL(node->out_count > 0);
	CU_ASSERT_EQUAL(hn_proto_decode(node->outbox[0].bytes, node->outbox[0].length, test_key,
					&window, &counters, &heartbeat, &data),
			HN_PACKET_HEARTBEAT);
	CU_ASSERT_EQUAL(heartbeat.nonce, 0x0123456789abcdefull);
}

/* Regression (issue 11): 15 s of recorded heartbeats of a dead active made
 * the restarted survivor do a full resync, empty its store, mark itself
 * outdated and stay standby. With a fresh boot nonce per start they are
 * never news: the survivor becomes active alone with its data. */
static void test_replayed_capture_after_a_restart(void)
{
	char answer[HN_REASON_MAX + 16];
	struct hn_host_status status;
	test_form_pair(HN_TIEBREAKER_NONE);
	struct fake *node1 = &fakes[0], *node2 = &fakes[1];
	fake_cluster.capture_max = 400;
	fake_cluster.capture = calloc(fake_cluster.capture_max, sizeof(struct fake_packet));
	CU_ASSERT_FATAL(fake_cluster.capture != NULL);
	fake_cluster.capture_of = 0;
	for (int i = 0; i < 3; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		fake_put(node1, (uint64_t)i + 1, key, "v", answer, sizeof(answer));
		run_until(test_now_ms + 100);
	}
	run_until(16000); /* 15 s of node1's packets */
	fake_cluster.capture_of = -1;
	CU_ASSERT(fake_cluster.capture_count > 250);
	CU_ASSERT_EQUAL(fake_cluster.oks, 3);
	/* node1 dies; node2 restarts on its disk and hears the capture. */
	free(node1->host);
	node1->host = NULL;
	struct hn_host_config config2 = test_config(2, HN_TIEBREAKER_NONE);
	test_restart(1, &config2);
	size_t calls_before = node2->call_count;
	test_start(node2->host, 16000);
	for (size_t i = 0; i < fake_cluster.capture_count; i++) {
		const struct fake_packet *packet = &fake_cluster.capture[i];
		run_until(16000 + i * 40);
		hn_host_packet(node2->host, packet->link, packet->bytes, packet->length,
			       test_now_ms);
	}
	run_until(test_now_ms + 1000);
	test_status(node2, &status);
	CU_ASSERT_STRING_EQUAL(test_display(node2), "active");
	CU_ASSERT_FALSE(status.core.outdated);
	CU_ASSERT_FALSE(status.core.peer_seen);
	CU_ASSERT_EQUAL(status.core.last_seq, 3);
	CU_ASSERT_EQUAL(node2->disk_count, 3);
	for (size_t c = calls_before; c < node2->call_count; c++) {
		CU_ASSERT(strncmp(node2->calls[c], "persist reset", 13) != 0);
		CU_ASSERT(strncmp(node2->calls[c], "log sync", 8) != 0 ||
			  strstr(node2->calls[c], "resync") == NULL);
	}
	CU_ASSERT(fake_find(node2,
			    "log transition starting->active role active: peer not seen within "
			    "500 ms of start@16500",
			    0) >= 0);
}

/* ----------------------------------------------------- notify-only checks */

/* The id of the newest time offset check the fake started. */
static uint64_t test_time_check_id(const struct fake *fake)
{
	size_t count = fake_count(fake, "check time offset id ");
	const char *line = fake_line(fake, "check time offset id ", count - 1);
	return strtoull(line + strlen("check time offset id "), NULL, 10);
}

/* A failing notify-only check is one "health" record and one notification,
 * its recovery another; the roles never move. A check that ends later
 * (hn_host_check_done) carries its own reason. */
static void test_notify_only_checks(void)
{
	struct hn_host_config config1 = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_config config2 = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config1.disk_usage_check = config1.time_offset_check = config1.service_health_check = true;
	struct fake *node1 = test_node(0, &config1);
	test_node(1, &config2);
	node1->time_mode = 2;
	test_start(node1->host, 0);
	test_start(fakes[1].host, 0);
	hn_host_check_done(node1->host, test_time_check_id(node1), true,
			   "time offset 3 ms against 192.0.2.1", 0);
	run_until(1001);
	hn_host_check_done(node1->host, test_time_check_id(node1), true,
			   "time offset 3 ms against 192.0.2.1", 1001);
	run_until(1500);
	CU_ASSERT_STRING_EQUAL(test_display(node1), "active");
	CU_ASSERT_EQUAL(fake_count(node1, "log health"), 0);
	node1->disk_mode = 1;
	run_until(2001);
	hn_host_check_done(node1->host, test_time_check_id(node1), false,
			   "time offset 2300 ms against 192.0.2.1 (at most 500 ms)", 2001);
	CU_ASSERT_STRING_EQUAL(fake_line(node1, "log health", 0),
			       "log health active->active role active: disk usage check failing: "
			       "fake disk usage failed; time offset 2300 ms against 192.0.2.1 (at "
			       "most 500 ms)@2001");
	CU_ASSERT_STRING_EQUAL(fake_line(node1, "log health", 1),
			       "log health active->active role active: time offset check failing: "
			       "fake disk usage failed; time offset 2300 ms against 192.0.2.1 (at "
			       "most 500 ms)@2001");
	CU_ASSERT_EQUAL(fake_count(node1, "command notify HANODE_EVENT=health"), 2);
	CU_ASSERT(strstr(fake_line(node1, "command notify HANODE_EVENT=health", 0),
			 "{\"event\":\"health\",\"node\":\"node1\",\"text\":\"disk usage check "
			 "failing: ") != NULL);
	test_status(node1, &status);
	CU_ASSERT_EQUAL(status.checks_failing, HN_CHECK_DISK_USAGE | HN_CHECK_TIME_OFFSET);
	CU_ASSERT_STRING_EQUAL(status.check_reasons[0], "fake disk usage failed");
	CU_ASSERT_STRING_EQUAL(status.check_reasons[1],
			       "time offset 2300 ms against 192.0.2.1 (at most 500 ms)");
	CU_ASSERT_STRING_EQUAL(status.check_reasons[2], "fake service health ok");
	node1->disk_mode = 0;
	run_until(3001);
	hn_host_check_done(node1->host, test_time_check_id(node1), true,
			   "time offset 3 ms against 192.0.2.1", 3001);
	CU_ASSERT_STRING_EQUAL(fake_line(node1, "log health", 2),
			       "log health active->active role active: disk usage check "
			       "recovered@3001");
	CU_ASSERT_STRING_EQUAL(fake_line(node1, "log health", 3),
			       "log health active->active role active: time offset check "
			       "recovered@3001");
	CU_ASSERT_STRING_EQUAL(test_display(node1), "active");
	CU_ASSERT_STRING_EQUAL(test_display(&fakes[1]), "standby");
	CU_ASSERT_EQUAL(fake_count(node1, "log transition"), 2); /* forming only */
}

/* ----------------------------------------------------------- key bounds */

/* Regression (issue 11): client data filling the 1,024 keys blocked `hactl
 * setting set`. Clients get HN_HOST_CLIENT_KEYS_MAX keys, settings
 * HN_HOST_SETTINGS_MAX; GET of a setting/ key is the operator's too. */
static void test_store_key_bounds(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	char key[HN_KEY_MAX], answer[HN_REASON_MAX + 16];
	struct fake *node = test_node(1, &config);
	test_start(node->host, 0);
	run_until(1000);
	for (int i = 0; i < HN_HOST_CLIENT_KEYS_MAX; i++) {
		snprintf(key, sizeof(key), "fill/%d", i);
		hn_host_client_put(node->host, 10 + (uint64_t)i, key, "v", 1000, answer,
				   sizeof(answer));
		CU_ASSERT(strncmp(answer, "OK ", 3) == 0);
	}
	hn_host_client_put(node->host, 5000, "one/more", "v", 1000, answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "ERR store full: it holds 960 keys; a new key is refused, "
				       "existing keys can be written");
	hn_host_client_put(node->host, 5001, "fill/7", "again", 1000, answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "OK 961");
	for (int i = 0; i < HN_HOST_SETTINGS_MAX; i++) {
		snprintf(key, sizeof(key), "s%d", i);
		hn_host_admin(node->host, 6000 + (uint64_t)i, HN_ADMIN_SETTING_SET, key, "x", 1000);
		CU_ASSERT(strncmp(node->last_admin_reply, "ok setting saved", 16) == 0);
	}
	hn_host_admin(node->host, 7000, HN_ADMIN_SETTING_SET, "s64", "x", 1000);
	CU_ASSERT_STRING_EQUAL(node->last_admin_reply,
			       "refused setting: 64 settings are stored; a new one is refused, "
			       "existing ones can be changed");
	hn_host_admin(node->host, 7001, HN_ADMIN_SETTING_SET, "s3", "changed", 1000);
	CU_ASSERT(strncmp(node->last_admin_reply, "ok setting saved", 16) == 0);
	hn_host_client_get(node->host, "setting/s3", answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer,
			       "ERR setting/ keys are the operator's: use hactl setting get");
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.client_keys, HN_HOST_CLIENT_KEYS_MAX);
	CU_ASSERT_EQUAL(status.setting_keys, HN_HOST_SETTINGS_MAX);
	/* A restart counts what the disk holds. */
	test_restart(1, &config);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.client_keys, HN_HOST_CLIENT_KEYS_MAX);
	CU_ASSERT_EQUAL(status.setting_keys, HN_HOST_SETTINGS_MAX);
}

/* ------------------------------------------------------------------ main */

int main(void)
{
	static const struct hn_test_case cases[] = {
	    {"storage failure drops the rest", test_storage_failure_drops_the_rest},
	    {"standby storage failure is not acknowledged",
	     test_standby_storage_failure_is_not_acknowledged},
	    {"services start exit status", test_services_start_exit_status},
	    {"countdown: store writes", test_countdown_store_writes},
	    {"countdown: cluster IP and services", test_countdown_ip_and_services},
	    {"stop is a shutdown", test_stop_is_a_shutdown},
	    {"boot nonce in heartbeats", test_boot_nonce_in_heartbeats},
	    {"replayed capture after a restart", test_replayed_capture_after_a_restart},
	    {"notify-only checks", test_notify_only_checks},
	    {"store key bounds", test_store_key_bounds},
	    {NULL, NULL},
	};
	if (sodium_init() < 0)
		return 1;
	return hn_test_run_suite("host failures", cases, test_setup_nodes, test_teardown_nodes);
}
