/*
 * test_replay.c - CUnit tests of hasim replay's parts: the hanode adapter's
 * reading of every reason replay acts on, the clock (offsets between two
 * logs, a reboot that restarts the monotonic clock, pairs that disagree, no
 * pair at all), and the inferences that decide what is staged (a silent
 * peer that went on logging was cut off, one that did not went down; a
 * carrier is a cable; a stop and a start is a firmware update to the
 * version a refusal names; a trailing stop of both logs is the end of the
 * collection). Each test writes its two logs into a fresh folder under /tmp
 * (removed in the teardown, also after a failed test), with the records
 * hanode writes (docs/DEVELOPING.md), and asserts exact values.
 */
#include "replay.h"
#include "test_main.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct hs_replay_incident *g_incident;
static char g_dir[64];
static char g_paths[HS_REPLAY_LOGS][128];

static void test_setup(void)
{
	g_incident = calloc(1, sizeof(*g_incident));
	snprintf(g_dir, sizeof(g_dir), "/tmp/hsreplay-XXXXXX");
	if (!mkdtemp(g_dir))
		g_dir[0] = '\0';
	for (int i = 0; i < HS_REPLAY_LOGS; i++)
		snprintf(g_paths[i], sizeof(g_paths[i]), "%s/node%d.log", g_dir, i + 1);
}

static void test_teardown(void)
{
	hs_replay_free(g_incident);
	free(g_incident);
	g_incident = NULL;
	for (int i = 0; i < HS_REPLAY_LOGS; i++)
		unlink(g_paths[i]);
	if (g_dir[0])
		rmdir(g_dir);
}

/* ------------------------------------------------------------- logs */

/* One hanode record: "MONO WALL EVENT FROM TO REASON" fields. */
static void record(FILE *file, const char *node, long long mono, long long wall, const char *event,
		   const char *from, const char *to, const char *reason)
{
	fprintf(
	    file,
	    "{\"mono_ms\":%lld,\"wall_ms\":%lld,\"node\":\"%s\",\"event\":\"%s\",\"from\":\"%s\","
	    "\"to\":\"%s\",\"role\":\"standby\",\"reason\":\"%s\",\"lost_writes\":0}\n",
	    mono, wall, node, event, from, to, reason);
}

static FILE *log_open(int index)
{
	FILE *file = fopen(g_paths[index], "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	return file;
}

/* Both nodes start and form: node1 active at +200 (its clock), node2
 * standby. node2's clock is shift ms ahead (mono and wall alike). */
static void formation(FILE *one, FILE *two, long long shift)
{
	record(one, "node1", 1000, 5000, "start", "starting", "starting",
	       "node1 starting, waiting up to 10000 ms for the peer");
	record(two, "node2", 1002 + shift, 5002 + shift, "start", "starting", "starting",
	       "node2 starting, waiting up to 10000 ms for the peer");
	record(one, "node1", 1003, 5003, "transition", "starting", "standby",
	       "peer node2 seen (starting)");
	record(two, "node2", 1004 + shift, 5004 + shift, "transition", "starting", "standby",
	       "peer node1 seen (standby)");
	record(one, "node1", 1200, 5200, "transition", "standby", "active",
	       "both standby with the same data: lower node id (1 vs 2)");
	record(one, "node1", 1200, 5200, "sync", "active", "active", "node2 in sync at seq 0");
	record(two, "node2", 1205 + shift, 5205 + shift, "sync", "standby", "standby",
	       "in sync with node1 at seq 0");
}

static void replay(void)
{
	char error[HS_ERROR_MAX * 2];
	const char *paths[HS_REPLAY_LOGS] = {g_paths[0], g_paths[1]};
	int status = hs_replay_read(g_incident, paths, error, sizeof(error));
	if (status < 0)
		fprintf(stderr, "\n%s\n", error);
	CU_ASSERT_EQUAL_FATAL(status, 0);
	hs_replay_clock(g_incident);
	hs_replay_infer(g_incident);
}

static const struct hs_replay_step *step(uint32_t index)
{
	CU_ASSERT_FATAL(index < g_incident->step_count);
	return &g_incident->steps[index];
}

/* ------------------------------------------------------------- adapter */

static void classify(const char *event, const char *reason, struct hs_replay_record *out)
{
	char line[512], why[128];
	snprintf(line, sizeof(line),
		 "{\"mono_ms\":1,\"wall_ms\":2,\"node\":\"node1\",\"event\":\"%s\",\"from\":\"a\","
		 "\"to\":\"b\",\"reason\":\"%s\"}",
		 event, reason);
	memset(out, 0, sizeof(*out));
	CU_ASSERT_TRUE(hs_replay_adapter_hanode.probe(line, strlen(line)));
	CU_ASSERT_EQUAL(hs_replay_adapter_hanode.parse(line, strlen(line), out, why, sizeof(why)),
			0);
	hs_replay_adapter_hanode.classify(out);
}

static void test_adapter(void)
{
	struct hs_replay_record r;
	char why[128];

	classify("transition", "peer silent on sync and external links for 1000 ms", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_PEER_SILENT);
	CU_ASSERT_EQUAL(r.number, 1000);
	classify("transition", "peer node2 is maintenance and may not be active", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_PEER_UNAVAILABLE);
	CU_ASSERT_STRING_EQUAL(r.peer, "node2");
	CU_ASSERT_STRING_EQUAL(r.peer_state, "maintenance");
	classify("transition", "peer node1 seen (starting)", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_PEER_SEEN);
	CU_ASSERT_STRING_EQUAL(r.peer_state, "starting");
	classify("start", "node1 starting, waiting up to 3000 ms for the peer", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_START);
	CU_ASSERT_EQUAL(r.number, 3000);
	classify("transition", "network check failed: 0 of 1 ping targets reachable", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_NETWORK_FAILED);
	classify("health", "carrier of the sync link is down", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_CARRIER_DOWN);
	CU_ASSERT_STRING_EQUAL(r.link, "sync");
	classify("sync",
		 "sync with node2 lost (sync link silent): peer marked outdated, new generation "
		 "513 from seq 40",
		 &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_SYNC_LOST);
	CU_ASSERT_STRING_EQUAL(r.link, "sync");
	CU_ASSERT_EQUAL(r.seq, 40);
	classify("sync", "in sync with node1 at seq 118 after incremental resync", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_SYNC_RESUMED);
	CU_ASSERT_STRING_EQUAL(r.peer, "node1");
	CU_ASSERT_EQUAL(r.seq, 118);
	classify("refused", "node2 refused: firmware 2.3.1 and 2.4.0 differ in major.minor", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_REFUSED_FIRMWARE);
	CU_ASSERT_STRING_EQUAL(r.versions[0], "2.3.1");
	CU_ASSERT_STRING_EQUAL(r.versions[1], "2.4.0");
	classify("refused", "node2 refused: models rack1 and rack4 cannot form a cluster", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_REFUSED_MODEL);
	CU_ASSERT_STRING_EQUAL(r.versions[1], "rack4");
	classify("fence", "fencing node1: peer silent on sync and external links for 1000 ms", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_FENCING);
	CU_ASSERT_STRING_EQUAL(r.peer, "node1");
	classify("transition", "node1 disconnected the cluster link", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_PEER_DISCONNECT);
	CU_ASSERT_STRING_EQUAL(r.peer, "node1");
	classify("admin", "maintenance on: already in maintenance", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_ADMIN);
	CU_ASSERT_STRING_EQUAL(r.admin, "maintenance on");
	classify("transition",
		 "split brain with node1: this node lost (judged by the peer), drops 64 writes and "
		 "resyncs",
		 &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_SPLIT_BRAIN);
	classify("transition", "the moon is in the wrong phase", &r);
	CU_ASSERT_EQUAL(r.cause, HS_CAUSE_UNKNOWN);
	/* Not hanode's: no adapter takes it, and parse says why. */
	CU_ASSERT_FALSE(hs_replay_adapter_hanode.probe("Dec 1 keepalived: VRRP", 22));
	CU_ASSERT_PTR_NULL(hs_replay_adapter_find("Dec 1 keepalived: VRRP", 22));
	CU_ASSERT_EQUAL(hs_replay_adapter_hanode.parse("{\"mono_ms\":", 11, &r, why, sizeof(why)),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not JSON"));
}

/* ------------------------------------------------------------- clock */

/* node2's clock 3600000 ms ahead; the pairs find it within their bounds. */
static void test_clock_offset(void)
{
	FILE *one = log_open(0), *two = log_open(1);
	long long shift = 3600000;
	formation(one, two, shift);
	record(one, "node1", 3000, 7000, "transition", "active", "maintenance",
	       "maintenance set by the operator");
	record(two, "node2", 3004 + shift, 7004 + shift, "transition", "standby", "active",
	       "peer node1 is maintenance and may not be active");
	fclose(one);
	fclose(two);
	replay();
	CU_ASSERT_TRUE(g_incident->offset_from_pairs);
	CU_ASSERT_FALSE(g_incident->offset_conflict);
	/* start -> seen: o <= 1004 + s - 1000 and o >= 1002 + s - 1003; the
	 * hand-over: o in [3004 + s - 3000 - 200, 3004 + s - 3000]. */
	CU_ASSERT_EQUAL(g_incident->offset_ms, shift + 1);
	CU_ASSERT_EQUAL(g_incident->offset_error_ms, 3);
	CU_ASSERT_TRUE(g_incident->formed);
	CU_ASSERT_EQUAL(g_incident->formed_ms, 5200);
	CU_ASSERT_EQUAL(g_incident->formed_active, 0);
	/* The hand-over is the operator's maintenance, the take-over follows. */
	CU_ASSERT_EQUAL(g_incident->step_count, 1);
	CU_ASSERT_EQUAL(step(0)->action, HS_ACTION_MAINTENANCE_ON);
	CU_ASSERT_EQUAL(step(0)->t_ms, 7000);
	CU_ASSERT_TRUE(g_incident->logs[1].records[3].explained);
}

/* A node that reboots restarts its monotonic clock: the wall clock joins
 * the boots. No pair at all: the wall clocks are taken as synchronized. */
static void test_clock_reboot(void)
{
	FILE *one = log_open(0), *two = log_open(1);
	record(one, "node1", 9000, 50000, "start", "starting", "starting",
	       "node1 starting, waiting up to 10000 ms for the peer");
	record(one, "node1", 9100, 50100, "transition", "starting", "active",
	       "peer not seen within 10000 ms of start");
	record(one, "node1", 40, 90040, "start", "starting", "starting",
	       "node1 starting, waiting up to 10000 ms for the peer");
	record(two, "node2", 70000, 60000, "refused", "starting", "starting",
	       "node1 refused: firmware 2.4.0 and 2.3.1 differ in major.minor");
	fclose(one);
	fclose(two);
	replay();
	CU_ASSERT_FALSE(g_incident->offset_from_pairs);
	CU_ASSERT_EQUAL(g_incident->offset_ms, 0);
	CU_ASSERT_EQUAL(g_incident->logs[0].boot_count, 2);
	CU_ASSERT_EQUAL(g_incident->logs[0].records[2].t_ms, 90040);
	CU_ASSERT_EQUAL(g_incident->logs[0].records[2].boot, 1);
	CU_ASSERT_EQUAL(g_incident->logs[1].records[0].t_ms, 60000);
	CU_ASSERT_FALSE(g_incident->formed);
	CU_ASSERT_EQUAL(g_incident->up_ms, 50000);
	/* node1 went down after its last record and was powered on a boot
	 * before its start. */
	CU_ASSERT_EQUAL(g_incident->step_count, 2);
	CU_ASSERT_EQUAL(step(0)->action, HS_ACTION_POWER_OFF);
	CU_ASSERT_EQUAL(step(0)->t_ms, 50101);
	CU_ASSERT_EQUAL(step(1)->action, HS_ACTION_POWER_ON);
	CU_ASSERT_EQUAL(step(1)->t_ms, 89040);
	/* The refusal in node2's first boot names both firmwares. */
	CU_ASSERT_STRING_EQUAL(g_incident->firmware[1], "2.4.0");
	CU_ASSERT_STRING_EQUAL(g_incident->firmware[0], "2.3.1");
	CU_ASSERT_STRING_EQUAL(g_incident->logs[1].node, "node2");
}

/* ------------------------------------------------------------- inference */

/* The standby takes over because the active was silent; the active went
 * on logging (it went isolated): the links were cut, not the node. */
static void test_silent_but_alive(void)
{
	FILE *one = log_open(0), *two = log_open(1);
	formation(one, two, 0);
	record(two, "node2", 4000, 8000, "transition", "standby", "active",
	       "peer silent on sync and external links for 1000 ms");
	record(one, "node1", 4500, 8500, "transition", "active", "isolated",
	       "network check failed: 0 of 1 ping targets reachable");
	record(two, "node2", 9000, 13000, "sync", "active", "active",
	       "incremental resync from node1 since seq 4");
	fclose(one);
	fclose(two);
	replay();
	/* The formation's pairs put node2's clock 2 ms ahead (+/- 3). */
	CU_ASSERT_EQUAL(g_incident->offset_ms, 2);
	CU_ASSERT_EQUAL_FATAL(g_incident->step_count, 3);
	CU_ASSERT_EQUAL(step(0)->action, HS_ACTION_PARTITION);
	CU_ASSERT_STRING_EQUAL(step(0)->network, "all");
	/* The silence began a dead time before, half a heartbeat after. */
	CU_ASSERT_EQUAL(step(0)->t_ms, 8000 - 2 - 1000 + 100);
	CU_ASSERT_EQUAL(step(0)->uncertainty_ms, 100);
	/* node1 isolated without losing its carrier: the external network. */
	CU_ASSERT_EQUAL(step(1)->action, HS_ACTION_IMPAIR);
	CU_ASSERT_EQUAL(step(1)->t_ms, 8500 - 250);
	/* They talk again: healed half a heartbeat before. */
	CU_ASSERT_EQUAL(step(2)->action, HS_ACTION_HEAL);
	CU_ASSERT_EQUAL(step(2)->t_ms, 13000 - 2 - 100);
	CU_ASSERT_STRING_EQUAL(step(0)->name, "s1-partition");
}

/* Both active at once with no split-brain record (the logs end before the
 * links came back): only the tie-breaker none allows it. */
static void test_two_actives(void)
{
	FILE *one = log_open(0), *two = log_open(1);
	formation(one, two, 0);
	record(two, "node2", 4000, 8000, "transition", "standby", "active",
	       "peer silent on sync and external links for 1000 ms");
	record(one, "node1", 4001, 8001, "sync", "active", "active",
	       "sync with node2 lost (peer silent): peer marked outdated, new generation 513 from "
	       "seq 40");
	fclose(one);
	fclose(two);
	replay();
	CU_ASSERT_TRUE(g_incident->dual_active);
	CU_ASSERT_STRING_EQUAL(g_incident->tiebreaker, "none");
	CU_ASSERT_EQUAL_FATAL(g_incident->step_count, 1);
	CU_ASSERT_EQUAL(step(0)->action, HS_ACTION_PARTITION);
	CU_ASSERT_EQUAL(step(0)->evidence_count, 2);
}

/* The same take-over with a node that logs nothing after: it went down;
 * its peer's sync carrier on the direct cable went down with it. */
static void test_silent_and_gone(void)
{
	FILE *one = log_open(0), *two = log_open(1);
	formation(one, two, 0);
	record(two, "node2", 3100, 7100, "health", "standby", "standby",
	       "carrier of the sync link is down");
	record(two, "node2", 4000, 8000, "transition", "standby", "active",
	       "peer silent on sync and external links for 1000 ms");
	fclose(one);
	fclose(two);
	replay();
	CU_ASSERT_EQUAL_FATAL(g_incident->step_count, 1);
	CU_ASSERT_EQUAL(step(0)->action, HS_ACTION_POWER_OFF);
	CU_ASSERT_STRING_EQUAL(step(0)->node, "node1");
	CU_ASSERT_EQUAL(step(0)->t_ms, 8000 - 2 - 1000 + 100);
	CU_ASSERT_EQUAL(step(0)->evidence_count, 2);
	CU_ASSERT_STRING_EQUAL(g_incident->final_state[0], "off");
	CU_ASSERT_STRING_EQUAL(g_incident->final_state[1], "active");
}

/* A stop and a start: a firmware update, to the version the refusal after
 * it names; hanode's own maintenance marks are not commands; the stops at
 * the end of both logs are the end of the collection. */
static void test_update_and_teardown(void)
{
	FILE *one = log_open(0), *two = log_open(1);
	formation(one, two, 0);
	record(two, "node2", 3000, 7000, "transition", "standby", "maintenance",
	       "maintenance set by the operator");
	record(two, "node2", 3000, 7000, "admin", "maintenance", "maintenance",
	       "maintenance on: maintenance on");
	record(two, "node2", 4000, 8000, "admin", "maintenance", "maintenance",
	       "maintenance on: already in maintenance");
	record(two, "node2", 4000, 8000, "stop", "", "", "hanode stopped by SIGTERM");
	record(two, "node2", 4050, 8050, "start", "starting", "starting",
	       "node2 starting, waiting up to 10000 ms for the peer");
	record(two, "node2", 4050, 8050, "transition", "starting", "maintenance",
	       "maintenance set by the operator");
	record(one, "node1", 4051, 8051, "refused", "active", "active",
	       "node2 refused: firmware 2.3.1 and 2.4.0 differ in major.minor");
	record(one, "node1", 9000, 13000, "transition", "active", "maintenance",
	       "maintenance set by the operator");
	record(one, "node1", 9000, 13000, "stop", "", "", "hanode stopped by SIGTERM");
	record(two, "node2", 9001, 13001, "stop", "", "", "hanode stopped by SIGTERM");
	fclose(one);
	fclose(two);
	replay();
	CU_ASSERT_EQUAL_FATAL(g_incident->step_count, 2);
	CU_ASSERT_EQUAL(step(0)->action, HS_ACTION_MAINTENANCE_ON);
	CU_ASSERT_EQUAL(step(0)->evidence_count, 2);
	CU_ASSERT_EQUAL(step(1)->action, HS_ACTION_FIRMWARE_UPDATE);
	CU_ASSERT_STRING_EQUAL(step(1)->version, "2.4.0");
	CU_ASSERT_EQUAL(step(1)->t_ms, 8000 - 2);
	/* Not a firmware set at start: the refusal came after the update. */
	CU_ASSERT_STRING_EQUAL(g_incident->firmware[1], "");
	CU_ASSERT_FALSE(g_incident->logs[0].records[4].teardown);
	CU_ASSERT_TRUE(g_incident->logs[0].records[5].teardown);
	CU_ASSERT_TRUE(g_incident->logs[0].records[6].teardown);
	CU_ASSERT_TRUE(g_incident->logs[1].records[9].teardown);
	CU_ASSERT_EQUAL(g_incident->end_ms, 8051);
	CU_ASSERT_STRING_EQUAL(g_incident->final_state[0], "active");
	CU_ASSERT_STRING_EQUAL(g_incident->final_state[1], "maintenance");
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++)
		for (uint32_t i = 0; i < g_incident->logs[log].record_count; i++)
			CU_ASSERT_TRUE(g_incident->logs[log].records[i].explained);
}

/* ------------------------------------------------------------- flaws */

static void test_flaws(void)
{
	FILE *one = log_open(0), *two = log_open(1);
	char error[HS_ERROR_MAX * 2];
	const char *paths[HS_REPLAY_LOGS] = {g_paths[0], g_paths[1]};

	/* node1's log begins mid-incident, lacks a line, and holds a record of
	 * another node; node2's ends torn. */
	record(one, "node1", 1200, 5200, "sync", "active", "active", "node2 in sync at seq 0");
	record(one, "node3", 1201, 5201, "sync", "active", "active", "node2 in sync at seq 0");
	record(one, "node1", 3000, 7000, "transition", "maintenance", "standby",
	       "maintenance cleared by the operator");
	FILE *sink = fopen("/dev/null", "w"); /* node2's side of the formation only */
	CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
	formation(sink, two, 0);
	fclose(sink);
	fputs("{\"mono_ms\":1300,\"wall_ms\":53", two);
	fclose(one);
	fclose(two);
	CU_ASSERT_EQUAL_FATAL(hs_replay_read(g_incident, paths, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(g_incident->note_count, 4);
	CU_ASSERT_STRING_EQUAL(g_incident->notes[0].text,
			       "skipped a record of node 'node3' in node1's log");
	CU_ASSERT_EQUAL(g_incident->notes[0].line, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_incident->notes[1].text,
				      "the log begins mid-incident (its first record is a 'sync' "
				      "record with node1 active, not a start)"));
	CU_ASSERT_STRING_EQUAL(
	    g_incident->notes[2].text,
	    "the record comes from 'maintenance' but line 1 left node1 'active': "
	    "records are missing between lines 1 and 3");
	CU_ASSERT_EQUAL(g_incident->notes[2].line, 3);
	CU_ASSERT_EQUAL(g_incident->notes[3].log, 1);
	CU_ASSERT_EQUAL(g_incident->notes[3].line, 4);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(g_incident->notes[3].text,
		   "skipped a torn last line (the node stopped while writing it?): "
		   "not JSON"));
	CU_ASSERT_EQUAL(g_incident->logs[0].record_count, 2);
	CU_ASSERT_TRUE(g_incident->logs[0].begins_mid_incident);
}

int main(void)
{
	static const struct hn_test_case tests[] = {
	    {"the hanode adapter reads every reason replay acts on", test_adapter},
	    {"an offset between the clocks, from record pairs", test_clock_offset},
	    {"a reboot restarts mono; no pair: the wall clocks", test_clock_reboot},
	    {"a silent peer that went on logging: the links were cut", test_silent_but_alive},
	    {"two actives at once: the tie-breaker none", test_two_actives},
	    {"a silent peer that logged nothing more: it went down", test_silent_and_gone},
	    {"a stop and a start: a firmware update; stops at the end", test_update_and_teardown},
	    {"a torn, rotated, gapped log with a stranger's record", test_flaws},
	    {NULL, NULL},
	};
	return hn_test_run_suite("replay", tests, test_setup, test_teardown);
}
