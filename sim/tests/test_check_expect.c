/*
 * test_check_expect.c - CUnit tests of the expectations about records and
 * comparisons (order, count, never, compare, notify, and `off` as a
 * state), from
 * the scenario text to the verdict.
 *
 * Each test writes a scenario as YAML, loads it through sim/model (so the
 * parser's FILE:LINE: FIELD: reason errors are asserted letter for letter)
 * and judges the golden run folder sim/tests/check_fixtures/fence_records:
 * node1 (active) crashed at 5200 ms, node2 fenced it (its "fencing" record
 * at 6300 ms, the runner's fence at 6350, "fenced" at 6360) and took over at
 * 6400 and notified failover (its notify.jsonl; a health notification at
 * 7000); one acknowledged write was lost and none reported. Every kind has a
 * case that holds on that run and one that fails on it, with the exact
 * message. hs_check_run only reads the folder, so it is judged in place.
 * Run from the repository's root (make test-unit does): it reads
 * topologies/ and the fixture.
 */
#include "check.h"
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "sim/tests/check_fixtures/fence_records"

static struct hs_scenario *g_scenario;
static struct hs_check_result *g_result;
static char g_error[HS_ERROR_MAX];

static void test_setup(void)
{
	g_scenario = calloc(1, sizeof(*g_scenario));
	g_result = calloc(1, sizeof(*g_result));
	g_error[0] = '\0';
}

static void test_teardown(void)
{
	hs_check_result_release(g_result);
	free(g_result);
	free(g_scenario);
	g_result = NULL;
	g_scenario = NULL;
}

/* A scenario of the fixture's shape whose expect list is `expect` (YAML
 * lines, each "  - {...}\n"); the first expectation is on line 7. */
static int load(const char *expect)
{
	char text[4096];

	snprintf(
	    text, sizeof(text),
	    "name: records\n"
	    "topology: rack1-pair-fence\n"
	    "client: {rate_per_s: 10}\n"
	    "steps:\n"
	    "  - {name: kill, after: formed, delay_ms: 1900, action: crash, node: \"@active\"}\n"
	    "expect:\n"
	    "%s",
	    expect);
	return hs_scenario_load_buffer("t.yaml", text, strlen(text), "topologies", g_scenario,
				       g_error, sizeof(g_error));
}

/* Load and judge; the verdict of expectation 0 is in g_result->expects[0]. */
static void judge(const char *expect)
{
	char error[HS_CHECK_MESSAGE_MAX];

	CU_ASSERT_PTR_NOT_NULL_FATAL(g_scenario);
	CU_ASSERT_EQUAL_FATAL(load(expect), 0);
	CU_ASSERT_EQUAL_FATAL(hs_check_run(g_scenario, FIXTURE, g_result, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL_FATAL(g_result->expect_count, g_scenario->expect_count);
}

static void assert_verdict(uint32_t index, bool passed, const char *description,
			   const char *message)
{
	const struct hs_check_expect_result *out = &g_result->expects[index];

	CU_ASSERT_EQUAL(out->passed, passed);
	CU_ASSERT_FALSE(out->skipped);
	CU_ASSERT_STRING_EQUAL(out->description, description);
	CU_ASSERT_STRING_EQUAL(out->message, message);
	if (strcmp(out->message, message) != 0 || strcmp(out->description, description) != 0)
		fprintf(stderr, "\n[%u] %s | %s\n", index, out->description, out->message);
}

static void assert_load_error(const char *expect, const char *error)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_scenario);
	CU_ASSERT_EQUAL(load(expect), -1);
	CU_ASSERT_STRING_EQUAL(g_error, error);
	if (strcmp(g_error, error) != 0)
		fprintf(stderr, "\ngot: %s\n", g_error);
}

/* ------------------------------------------------------------- order */

static void test_order(void)
{
	judge("  - {order: [{event: fence, node: \"@standby\"}, {event: transition, node: "
	      "\"@standby\", to: active}], after: kill}\n"
	      "  - {order: [{event: transition, node: \"@standby\", from: standby, to: active}, "
	      "{event: fence, node: \"@standby\", text: fenced}]}\n"
	      "  - {order: [{action: crash, node: \"@active\"}, {action: power_off, text: node1}, "
	      "{event: transition, to: active, text: fenced}]}\n"
	      "  - {order: [{event: fence}, {event: split_brain}]}\n");
	CU_ASSERT_EQUAL(g_scenario->expects[0].kind, HS_EXPECT_ORDER);
	CU_ASSERT_EQUAL(g_scenario->expects[0].match_count, 2);
	CU_ASSERT_STRING_EQUAL(g_scenario->expects[0].matches[1].to, "active");
	assert_verdict(0, true,
		       "in order after 'kill': a 'fence' record from @standby, then @standby "
		       "any->active",
		       "saw the last at 1200 ms (@standby is node2)");
	assert_verdict(1, false,
		       "in order: @standby standby->active, then a 'fence' record from @standby "
		       "whose reason contains 'fenced'",
		       "expected in order: @standby standby->active, then a 'fence' record from "
		       "@standby whose reason contains 'fenced', saw a 'fence' record from "
		       "@standby whose reason contains 'fenced' at 6360 ms, before @standby "
		       "standby->active at 6400 ms, and none after it (@standby is node2)");
	assert_verdict(2, true,
		       "in order: step crash on @active, then step power_off whose detail "
		       "contains 'node1', then any node any->active whose reason contains 'fenced'",
		       "saw the last at 6400 ms (@active is node1)");
	assert_verdict(3, false,
		       "in order: a 'fence' record from any node, then a 'split_brain' "
		       "record from any node",
		       "expected in order: a 'fence' record from any node, then a 'split_brain' "
		       "record from any node, never saw a 'split_brain' record from any node");
	CU_ASSERT_FALSE(g_result->passed);
	CU_ASSERT_EQUAL(g_result->failure_count, 2);
}

/* ------------------------------------------------------------- count */

static void test_count(void)
{
	judge("  - {count: {event: transition, node: any, to: active}, after: kill, max: 1}\n"
	      "  - {count: {event: transition, to: active}, after: formed, for_ms: 1000, min: 1}\n"
	      "  - {count: {event: fence, node: node2}, min: 2, max: 2}\n"
	      "  - {count: {action: power_off}, min: 0, max: 0}\n");
	assert_verdict(0, true, "any node any->active at most 1 time after 'kill'",
		       "saw 1 at 1200 ms");
	assert_verdict(1, false, "any node any->active at least 1 time after 'formed' for 1000 ms",
		       "expected any node any->active at least 1 time after 'formed' for 1000 "
		       "ms, saw 0");
	assert_verdict(2, true, "a 'fence' record from node2 exactly 2 times",
		       "saw 2 at 6300 ms, 6360 ms");
	assert_verdict(3, false, "step power_off exactly 0 times",
		       "expected step power_off exactly 0 times, saw 1 at 6350 ms");
}

/* ------------------------------------------------------------- never, off */

static void test_never_and_off(void)
{
	judge("  - {never: {node: \"@standby\", state: off}}\n"
	      "  - {never: {node: \"@active\", state: off}, after: formed}\n"
	      "  - {never: {node: any, state: standby}, after: kill, for_ms: 500}\n"
	      "  - {never: {node: node2, state: active}, after: formed, for_ms: 2000}\n"
	      "  - {final: {node: \"@active\", state: off}}\n"
	      "  - {final: {node: node2, state: off}}\n");
	assert_verdict(0, true, "@standby never off", "node2 never off (@standby is node2)");
	assert_verdict(1, false, "@active never off after 'formed'",
		       "expected @active never off after 'formed', node1 was off from 1900 to "
		       "5700 ms (@active is node1)");
	assert_verdict(2, false, "any node never standby after 'kill' for 500 ms",
		       "expected any node never standby after 'kill' for 500 ms, node2 was "
		       "standby from -2050 to 1200 ms");
	assert_verdict(3, true, "node2 never active after 'formed' for 2000 ms",
		       "node2 never active");
	assert_verdict(4, true, "@active ends off", "ended off (@active is node1)");
	assert_verdict(5, false, "node2 ends off", "expected node2 to end off, it ended active");
}

/* ------------------------------------------------------------- compare */

static void test_compare(void)
{
	judge("  - {compare: \"lost_writes == reported_lost_writes\"}\n"
	      "  - {compare: \"lost_writes <= 1\"}\n"
	      "  - {compare: \"failover_ms < outage_ms\", after: kill}\n"
	      "  - {compare: \"-1 != reported_lost_writes\"}\n");
	CU_ASSERT_EQUAL(g_scenario->expects[0].compare_op, HS_COMPARE_EQ);
	CU_ASSERT_EQUAL(g_scenario->expects[1].right.metric, 0);
	CU_ASSERT_EQUAL(g_scenario->expects[1].right.value, 1);
	CU_ASSERT_EQUAL(g_scenario->expects[3].left.value, -1);
	assert_verdict(0, false, "lost_writes == reported_lost_writes",
		       "expected lost_writes == reported_lost_writes, got lost_writes 1, "
		       "reported_lost_writes 0");
	assert_verdict(1, true, "lost_writes <= 1", "got lost_writes 1, 1");
	assert_verdict(2, true, "failover_ms < outage_ms after 'kill'",
		       "got failover_ms 1200, outage_ms 1900");
	assert_verdict(3, true, "-1 != reported_lost_writes", "got -1, reported_lost_writes 0");
}

/* ------------------------------------------------------------- notify */

static void test_notify(void)
{
	judge(
	    "  - {notify: {event: failover, node: \"@standby\", text: fenced}, after: kill}\n"
	    "  - {notify: {event: fault}}\n"
	    "  - {notify: {event: health, text: time offset}}\n"
	    "  - {count: {notify: failover, node: \"@active\"}, max: 0}\n"
	    "  - {count: {notify: health}, max: 0}\n"
	    "  - {order: [{event: fence, node: \"@standby\", text: fenced}, {notify: failover}]}\n"
	    "  - {order: [{notify: failover}, {event: fence, node: \"@standby\"}], after: kill}\n"
	    "  - {count: {event: health}, max: 0}\n");
	CU_ASSERT_EQUAL(g_scenario->expects[0].kind, HS_EXPECT_NOTIFY);
	CU_ASSERT_STRING_EQUAL(g_scenario->expects[0].log_event, "failover");
	CU_ASSERT_STRING_EQUAL(g_scenario->expects[3].matches[0].notify, "failover");
	assert_verdict(0, true,
		       "a 'failover' notification whose text contains 'fenced' from @standby "
		       "after 'kill'",
		       "node2 notified it at 6400 ms (@standby is node2)");
	assert_verdict(1, false, "a 'fault' notification from any node after 'up'",
		       "expected a 'fault' notification from any node after 'up', saw none");
	assert_verdict(2, false,
		       "a 'health' notification whose text contains 'time offset' from any "
		       "node after 'up'",
		       "expected a 'health' notification whose text contains 'time offset' from "
		       "any node after 'up', saw 1 'health' notification, none whose text "
		       "contains 'time offset'");
	assert_verdict(3, true, "a 'failover' notification from @active at most 0 times",
		       "saw 0 (@active is node1)");
	assert_verdict(4, false, "a 'health' notification from any node at most 0 times",
		       "expected a 'health' notification from any node at most 0 times, saw 1 "
		       "at 7000 ms");
	assert_verdict(5, true,
		       "in order: a 'fence' record from @standby whose reason contains 'fenced', "
		       "then a 'failover' notification from any node",
		       "saw the last at 6400 ms (@standby is node2)");
	assert_verdict(6, false,
		       "in order after 'kill': a 'failover' notification from any node, then a "
		       "'fence' record from @standby",
		       "expected in order after 'kill': a 'failover' notification from any node, "
		       "then a 'fence' record from @standby, saw a 'fence' record from @standby "
		       "at 1100 ms, before a 'failover' notification from any node at 1200 ms, "
		       "and none after it (@standby is node2)");
	/* A notification is not a cluster-log record of the same name. */
	assert_verdict(7, true, "a 'health' record from any node at most 0 times", "saw 0");
}

/* ------------------------------------------------------------- parsing */

static void test_parse_errors(void)
{
	assert_load_error("  - {order: [{event: fence}]}\n",
			  "t.yaml:7: expect[0].order: 1 items, expected 2..4");
	assert_load_error("  - {order: [{event: fence}, {node: node1}]}\n",
			  "t.yaml:7: expect[0].order[1]: a record needs exactly one of 'event' (a "
			  "cluster-log record), 'action' (a step's record) and 'notify' (a "
			  "notification)");
	assert_load_error("  - {count: {event: fault, notify: fault}, max: 0}\n",
			  "t.yaml:7: expect[0].count: a record needs exactly one of 'event' (a "
			  "cluster-log record), 'action' (a step's record) and 'notify' (a "
			  "notification)");
	assert_load_error("  - {count: {notify: transition}, max: 0}\n",
			  "t.yaml:7: expect[0].count.notify: 'transition' is not one of failover, "
			  "fault, split_brain, sync_lost, sync_restored, join_refused, health");
	assert_load_error("  - {notify: {event: fence}}\n",
			  "t.yaml:7: expect[0].notify.event: 'fence' is not one of failover, "
			  "fault, split_brain, sync_lost, sync_restored, join_refused, health");
	assert_load_error("  - {notify: {event: fault, node: node3}}\n",
			  "t.yaml:7: expect[0].notify.node: unknown node 'node3' (known: node1, "
			  "node2, @active, @standby, any)");
	assert_load_error("  - {notify: {event: fault}, for_ms: 10}\n",
			  "t.yaml:7: expect[0].for_ms: 'for_ms' does not apply to notify");
	assert_load_error("  - {order: [{event: fence, from: active}, {event: fence}]}\n",
			  "t.yaml:7: expect[0].order[0].from: 'from' applies only to event "
			  "transition");
	assert_load_error("  - {order: [{action: unplug}, {event: fence}]}\n",
			  "t.yaml:7: expect[0].order[0].action: 'unplug' is not one of power_off, "
			  "power_on, pull, plug, switch_fail, switch_restore, impair, partition, "
			  "heal, raid_fail, raid_restore, crash, restart, maintenance_on, "
			  "maintenance_off, switchover, disconnect, reconnect, disband, "
			  "firmware_update, client_start, client_stop, services_fail, "
			  "services_restore, disk_fail, disk_restore");
	assert_load_error("  - {count: {event: transition, to: active}}\n",
			  "t.yaml:7: expect[0]: count needs min or max");
	assert_load_error("  - {count: {event: transition}, min: 2, max: 1}\n",
			  "t.yaml:7: expect[0].max: max 1 is below min 2");
	assert_load_error("  - {count: {event: transition}, max: -1}\n",
			  "t.yaml:7: expect[0].max: -1 is out of range 0..100000");
	assert_load_error("  - {never: {node: node3, state: active}}\n",
			  "t.yaml:7: expect[0].never.node: unknown node 'node3' (known: node1, "
			  "node2, @active, @standby, any)");
	assert_load_error("  - {never: {node: node1, state: dead}}\n",
			  "t.yaml:7: expect[0].never.state: 'dead' is not a display state (active, "
			  "standby, starting, maintenance, fault, isolated, disconnected, "
			  "standalone) or off");
	assert_load_error("  - {never: {node: node1, state: off}, within_ms: 5}\n",
			  "t.yaml:7: expect[0].within_ms: 'within_ms' does not apply to never");
	assert_load_error("  - {compare: \"lost_writes = 0\"}\n",
			  "t.yaml:7: expect[0].compare: '=' is not an operator (==, !=, <, <=, >, "
			  ">=)");
	assert_load_error(
	    "  - {compare: \"lost_writes <=\"}\n",
	    "t.yaml:7: expect[0].compare: 'lost_writes <=' is not LEFT OP RIGHT (e.g. "
	    "'lost_writes <= reported_lost_writes')");
	assert_load_error("  - {compare: \"lost_write <= 2\"}\n",
			  "t.yaml:7: expect[0].compare: 'lost_write' is neither a metric "
			  "(failover_ms, outage_ms, dual_active_ms, lost_writes, "
			  "reported_lost_writes) nor an integer");
	assert_load_error("  - {compare: \"failover_ms <= 2000\"}\n",
			  "t.yaml:7: expect[0].compare: failover_ms needs 'after'");
	assert_load_error("  - {compare: \"1 < 2\"}\n",
			  "t.yaml:7: expect[0].compare: '1 < 2' compares two integers; name a "
			  "metric on one side");
	assert_load_error("  - {compare: \"lost_writes < 007\"}\n",
			  "t.yaml:7: expect[0].compare: '007' is neither a metric (failover_ms, "
			  "outage_ms, dual_active_ms, lost_writes, reported_lost_writes) nor an "
			  "integer");
	/* A transition still never leads to off: no node logs it. */
	assert_load_error(
	    "  - {transition: {node: node1, to: off}, after: kill, within_ms: 10}\n",
	    "t.yaml:7: expect[0].transition.to: 'off' is not a display state (active, "
	    "standby, starting, maintenance, fault, isolated, disconnected, "
	    "standalone)");
}

int main(void)
{
	static const struct hn_test_case tests[] = {
	    {"order: records in order, and what came first", test_order},
	    {"count: at most, at least, exactly", test_count},
	    {"never and off", test_never_and_off},
	    {"compare: metrics and integers", test_compare},
	    {"notify: the notify hook's calls, alone and as records", test_notify},
	    {"parse errors name file, line and field", test_parse_errors},
	    {NULL, NULL},
	};
	return hn_test_run_suite("check-expect", tests, test_setup, test_teardown);
}
