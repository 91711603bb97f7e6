/*
 * test_virtual_loop.c - CUnit tests of the runner's virtual clock
 * (sim/run/clock.c): hs_run_execute with a scripted virtual-time backend.
 *
 * The backend here has no node: it writes the two nodes' cluster-log
 * lines at the virtual times a test scripts (so the runner sees the
 * cluster form), answers the client's requests after a fixed delay or not
 * at all, and records what the runner asked of it. Every time in the run
 * folder is then exact: the cluster formed at t0 + 300 ms, a step after
 * formed + 2000 ms fires at t0 + 2300 ms, a request nobody answers times
 * out 500 ms after it started, the run ends at the settle time after the
 * last step. Run from the repository's root (make test-unit does).
 */
#include "fabric/fabric.h"
#include "run/run.h"
#include "test_main.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOOP_T0_US	 ((int64_t)HS_VIRTUAL_T0_MS * 1000)
#define LOOP_PENDING_MAX 128

/* What the scripted backend does and saw. */
struct loop_script {
	int64_t formed_at_ms;	 /* relative to t0; the two transitions */
	int64_t answer_after_us; /* client replies this long after the request */
	int64_t silent_from_ms;	 /* from then on (relative to t0) nobody answers */
	int64_t silent_until_ms; /* ... until then (-1: to the end) */
	bool stall;		 /* next_us never moves: a stalled backend */
	bool formed_written;
	/* Requests to answer (serial 0 = free slot), in any order. */
	struct {
		uint64_t serial;
		int64_t due_us;
		char reply[32];
	} pending[LOOP_PENDING_MAX];
	uint32_t requests, probes, sessions, aborts, powers;
	/* The runner's books each disk and services call saw, in order. */
	uint32_t disk_calls, services_calls;
	uint32_t disks_failed_seen[8];
	bool raid_ok_seen[8], services_failed_seen[8];
};

static struct loop_script loop_script;

static void loop_log_transition(struct hs_run *run, uint32_t node, const char *to, int64_t now_ms)
{
	FILE *log = fopen(run->nodes[node].plan.log_path, "a");

	CU_ASSERT_FATAL(log != NULL);
	fprintf(log,
		"{\"mono_ms\":%lld,\"wall_ms\":0,\"node\":\"%s\",\"event\":\"transition\","
		"\"from\":\"starting\",\"to\":\"%s\",\"role\":\"%s\",\"reason\":\"scripted\","
		"\"lost_writes\":0}\n",
		(long long)now_ms, run->nodes[node].model->name, to, to);
	fclose(log);
	run->logs_dirty = true;
}

static int64_t loop_next_us(struct hs_run *run)
{
	int64_t formed_us = LOOP_T0_US + loop_script.formed_at_ms * 1000;

	if (loop_script.stall)
		return run->virtual_now_us;
	int64_t next_us = -1;

	if (!loop_script.formed_written)
		return formed_us;
	for (int i = 0; i < LOOP_PENDING_MAX; i++)
		if (loop_script.pending[i].serial &&
		    (next_us < 0 || loop_script.pending[i].due_us < next_us))
			next_us = loop_script.pending[i].due_us;
	return next_us;
}

static void loop_run_due(struct hs_run *run, int64_t now_us)
{
	if (!loop_script.formed_written && now_us >= LOOP_T0_US + loop_script.formed_at_ms * 1000) {
		loop_script.formed_written = true;
		loop_log_transition(run, 0, "active", now_us / 1000);
		loop_log_transition(run, 1, "standby", now_us / 1000);
	}
	for (int i = 0; i < LOOP_PENDING_MAX; i++)
		if (loop_script.pending[i].serial && now_us >= loop_script.pending[i].due_us) {
			uint64_t serial = loop_script.pending[i].serial;
			loop_script.pending[i].serial = 0;
			hs_client_reply(run, serial, loop_script.pending[i].reply, now_us / 1000);
		}
}

static void loop_client_send(struct hs_run *run, uint64_t serial, const char *line, bool session,
			     int64_t now_ms)
{
	const char *reply = strncmp(line, "PUT", 3) == 0     ? "OK 1"
			    : strncmp(line, "GET k", 5) == 0 ? "VALUE v1"
							     : "NOTFOUND";

	loop_script.requests++;
	loop_script.probes += strcmp(line, "GET probe\n") == 0;
	loop_script.sessions += session;
	if (loop_script.silent_from_ms >= 0 && now_ms - run->t0_ms >= loop_script.silent_from_ms &&
	    (loop_script.silent_until_ms < 0 || now_ms - run->t0_ms < loop_script.silent_until_ms))
		return;
	for (int i = 0; i < LOOP_PENDING_MAX; i++)
		if (loop_script.pending[i].serial == 0) {
			loop_script.pending[i].serial = serial;
			loop_script.pending[i].due_us =
			    run->virtual_now_us + loop_script.answer_after_us;
			snprintf(loop_script.pending[i].reply, sizeof(loop_script.pending[i].reply),
				 "%s", reply);
			return;
		}
	CU_FAIL("more requests in flight than the script holds");
}

static void loop_client_abort(struct hs_run *run, uint64_t serial, int64_t now_ms)
{
	(void)run;
	(void)now_ms;
	loop_script.aborts++;
	for (int i = 0; i < LOOP_PENDING_MAX; i++)
		if (loop_script.pending[i].serial == serial)
			loop_script.pending[i].serial = 0;
}

static void loop_deliver(void *context, int endpoint, const uint8_t *frame, size_t length,
			 int64_t now_ms)
{
	(void)context;
	(void)endpoint;
	(void)frame;
	(void)length;
	(void)now_ms;
}

/* Every port of every node cabled to its switch (an endpoint each): the
 * runner switches the cables of a node it powers. */
static int loop_up(struct hs_run *run, char *error, size_t error_size)
{
	struct hs_fabric_memory_ops ops = {loop_deliver, NULL, NULL};
	char name[HS_NAME_MAX * 2 + 2];

	(void)error;
	(void)error_size;
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		for (int p = 0; p < HS_PORTS_MAX; p++) {
			const struct hs_port *port = &run->nodes[i].model->ports[p];
			if (!port->used)
				continue;
			snprintf(name, sizeof(name), "%s.%s", run->nodes[i].model->name,
				 port->name);
			CU_ASSERT_FATAL(hs_fabric_endpoint_add_memory(run->fabric, name, &ops) >=
					0);
			CU_ASSERT_FATAL(
			    hs_fabric_cable_add(run->fabric, name, name, port->switch_name) == 0);
		}
	return 0;
}

static void loop_down(struct hs_run *run)
{
	(void)run;
}

/* The backend only acts: the runner books the power (hardware.c). */
static int loop_power(struct hs_run *run, uint32_t node, bool on, uint64_t op, char *error,
		      size_t error_size)
{
	(void)error;
	(void)error_size;
	(void)op;
	CU_ASSERT_EQUAL(run->nodes[node].powered, on);
	loop_script.powers++;
	return 0;
}

static int loop_control(struct hs_run *run, uint32_t node, const char *request, uint64_t op,
			char *error, size_t error_size)
{
	(void)run;
	(void)node;
	(void)request;
	(void)op;
	snprintf(error, error_size, "no control");
	return -1;
}

/* One disk or the services: the runner has booked the change already. */
static int loop_disk(struct hs_run *run, uint32_t node, uint32_t disk, bool ok, uint64_t op,
		     char *error, size_t error_size)
{
	(void)op;
	(void)error;
	(void)error_size;
	CU_ASSERT_EQUAL((run->nodes[node].disks_failed >> disk & 1u) != 0, !ok);
	if (loop_script.disk_calls < 8) {
		loop_script.disks_failed_seen[loop_script.disk_calls] =
		    run->nodes[node].disks_failed;
		loop_script.raid_ok_seen[loop_script.disk_calls] = run->nodes[node].raid_ok;
	}
	loop_script.disk_calls++;
	return 0;
}

static int loop_services(struct hs_run *run, uint32_t node, bool ok, uint64_t op, char *error,
			 size_t error_size)
{
	(void)op;
	(void)error;
	(void)error_size;
	if (loop_script.services_calls < 8)
		loop_script.services_failed_seen[loop_script.services_calls] =
		    run->nodes[node].services_failed;
	CU_ASSERT_EQUAL(run->nodes[node].services_failed, !ok);
	loop_script.services_calls++;
	return 0;
}

static const struct hs_backend_virtual_time loop_virtual_time = {
    loop_next_us, loop_run_due, loop_client_send, loop_client_abort};

static const struct hs_backend_ops loop_backend = {
    .name = "virtual",
    .time_scale = 1.0,
    .virtual_time = &loop_virtual_time,
    .up = loop_up,
    .down = loop_down,
    .power = loop_power,
    .disk = loop_disk,
    .services = loop_services,
    .control = loop_control,
};

/* The same without the optional disk and services operations. */
static const struct hs_backend_ops loop_backend_plain = {
    .name = "plain",
    .time_scale = 1.0,
    .virtual_time = &loop_virtual_time,
    .up = loop_up,
    .down = loop_down,
    .power = loop_power,
    .control = loop_control,
};

/* ------------------------------------------------------------- helpers */

struct loop_run {
	struct hs_run *run;
	char dir[64];
	int result;
	char error[512];
};

static void loop_execute_on(struct loop_run *loop, const char *scenario_text,
			    const struct hs_backend_ops *backend)
{
	char path[128], error[HS_ERROR_MAX];
	FILE *file;

	snprintf(loop->dir, sizeof(loop->dir), "/tmp/hsv%d-loop.XXXXXX", (int)getpid());
	CU_ASSERT_FATAL(mkdtemp(loop->dir) != NULL);
	snprintf(path, sizeof(path), "%s/scenario.yaml", loop->dir);
	file = fopen(path, "w");
	CU_ASSERT_FATAL(file != NULL);
	fputs(scenario_text, file);
	fclose(file);
	loop->run = calloc(1, sizeof(*loop->run));
	CU_ASSERT_FATAL(loop->run != NULL);
	if (hs_scenario_load(path, "topologies", &loop->run->scenario, error, sizeof(error)) < 0)
		fprintf(stderr, "%s (run the test from the repository's root)\n", error);
	CU_ASSERT_FATAL(loop->run->scenario.step_count > 0);
	loop->run->backend = backend;
	loop->run->seed = 1;
	snprintf(loop->run->run_id, sizeof(loop->run->run_id), "hs00loop");
	snprintf(loop->run->run_dir, sizeof(loop->run->run_dir), "%s/run", loop->dir);
	loop->result = hs_run_execute(loop->run, loop->error, sizeof(loop->error));
}

static void loop_execute(struct loop_run *loop, const char *scenario_text)
{
	loop_execute_on(loop, scenario_text, &loop_backend);
}

static void loop_cleanup(struct loop_run *loop)
{
	char command[128];

	snprintf(command, sizeof(command), "rm -rf -- '%s'", loop->dir);
	CU_ASSERT(system(command) == 0);
	free(loop->run);
}

/* Field `field` (an integer) of the nth line of run_dir/name whose `key` is
 * `value`; -1 if there is none. */
static int64_t loop_line_field(const struct loop_run *loop, const char *name, const char *key,
			       const char *value, int nth, const char *field)
{
	char path[160], line[1024];
	FILE *file;
	int64_t found = -1;

	snprintf(path, sizeof(path), "%s/run/%s", loop->dir, name);
	file = fopen(path, "r");
	if (!file)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), file)) {
		json_t *record = json_loads(line, 0, NULL);
		const char *got = json_string_value(json_object_get(record, key));
		if (got && strcmp(got, value) == 0 && nth-- == 0)
			found = json_integer_value(json_object_get(record, field));
		json_decref(record);
	}
	fclose(file);
	return found;
}

static int64_t loop_line_ms(const struct loop_run *loop, const char *name, const char *key,
			    const char *value, int nth)
{
	return loop_line_field(loop, name, key, value, nth, "mono_ms");
}

/* How many lines of run_dir/name have `key` equal to `value`. */
static int loop_line_count(const struct loop_run *loop, const char *name, const char *key,
			   const char *value)
{
	int count = 0;

	while (loop_line_ms(loop, name, key, value, count) >= 0)
		count++;
	return count;
}

/* ------------------------------------------------------------------ tests */

static const char *loop_scenario =
    "name: loop\n"
    "topology: rack1-pair\n"
    "timeout_ms: 60000\n"
    "settle_ms: 1500\n"
    "client: {rate_per_s: 20}\n"
    "steps:\n"
    "  - {name: cut, after: formed, delay_ms: 2000, action: power_off, node: \"@active\"}\n"
    "expect:\n"
    "  - {invariant: single_active}\n";

static void test_loop_exact_times(void)
{
	struct loop_run loop;

	memset(&loop_script, 0, sizeof(loop_script));
	loop_script.formed_at_ms = 300;
	loop_script.answer_after_us = 2500;
	loop_script.silent_from_ms = 1000;
	loop_script.silent_until_ms = -1;
	loop_execute(&loop, loop_scenario);
	CU_ASSERT_EQUAL(loop.result, 0);
	CU_ASSERT_EQUAL(loop.run->t0_ms, HS_VIRTUAL_T0_MS);
	CU_ASSERT_EQUAL(loop.run->formed_ms, HS_VIRTUAL_T0_MS + 300);
	CU_ASSERT_STRING_EQUAL(loop.run->alias_active, "node1");
	CU_ASSERT_EQUAL(loop_line_ms(&loop, "steps.jsonl", "name", "cut", 0),
			HS_VIRTUAL_T0_MS + 2300);
	CU_ASSERT_EQUAL(loop_script.powers, 1);
	/* The end: the settle time after the last step, to the ms. */
	CU_ASSERT_EQUAL(loop.run->ended_ms, HS_VIRTUAL_T0_MS + 2300 + 1500);
	CU_ASSERT_EQUAL(loop_line_ms(&loop, "steps.jsonl", "event", "end", 0),
			HS_VIRTUAL_T0_MS + 3800);
	/* The client starts when the cluster formed; an answer 2.5 ms later is
	 * logged in the ms it came; 20 requests per second. */
	CU_ASSERT_EQUAL(loop_line_ms(&loop, "client.jsonl", "key", "k1", 0),
			HS_VIRTUAL_T0_MS + 302);
	CU_ASSERT_EQUAL(loop_line_ms(&loop, "client.jsonl", "key", "k2", 0),
			HS_VIRTUAL_T0_MS + 352);
	/* From t0 + 1000 nobody answers: the request started at 1000 times out
	 * at exactly 1500, the next one starts at once. */
	CU_ASSERT_EQUAL(loop_line_ms(&loop, "client.jsonl", "key", "k15", 0),
			HS_VIRTUAL_T0_MS + 1500);
	CU_ASSERT_EQUAL(loop_line_ms(&loop, "client.jsonl", "key", "k16", 0),
			HS_VIRTUAL_T0_MS + 2000);
	CU_ASSERT(loop_script.aborts >= 5);
	loop_cleanup(&loop);
}

/* The probes: one every resolution_ms (10) from the client's start,
 * whatever the earlier ones do, each line with its send time and latency,
 * each failing after HS_CLIENT_PROBE_WINDOW * 10 ms (shorter than
 * timeout_ms, so none is skipped). Nobody answers in [1000, 1500): the
 * probes of [1000, 1190] time out from 1200 on; from then until one
 * answers they go every HS_CLIENT_SEARCH_MS (1200, 1250, ... 1500), the one
 * of 1500 answers, and from 1550 they go every 10 ms again. So the last
 * success before the gap is 10 ms from its start, the first after it
 * 50 ms at most from its end, never a request timeout. The session
 * answered, went silent past its deadline (broken once) and was opened
 * again. */
static void test_loop_probes_and_session(void)
{
	struct loop_run loop;
	int probes, failed = 0;
	int64_t last_ok_ms = -1, first_ok_ms = -1;

	memset(&loop_script, 0, sizeof(loop_script));
	loop_script.formed_at_ms = 300;
	loop_script.answer_after_us = 2500;
	loop_script.silent_from_ms = 1000;
	loop_script.silent_until_ms = 1500;
	loop_execute(&loop, loop_scenario);
	CU_ASSERT_EQUAL(loop.result, 0);
	/* Sent: 300..1190 every 10 ms (90), 1200..1500 every 50 ms (7),
	 * 1550..3800 every 10 ms (226); the one of 3800 is in flight at the end
	 * and not logged. */
	probes = loop_line_count(&loop, "client.jsonl", "op", "probe");
	CU_ASSERT_EQUAL(loop_script.probes, 90 + 7 + 226);
	CU_ASSERT_EQUAL(probes, 90 + 7 + 226 - 1);
	CU_ASSERT_EQUAL(loop.run->client.probes_skipped, 0);
	CU_ASSERT_EQUAL(loop_line_field(&loop, "client.jsonl", "op", "probe", 1, "sent_ms"),
			HS_VIRTUAL_T0_MS + 310);
	CU_ASSERT_EQUAL(loop_line_field(&loop, "client.jsonl", "op", "probe", 1, "mono_ms"),
			HS_VIRTUAL_T0_MS + 312);
	CU_ASSERT_EQUAL(loop_line_field(&loop, "client.jsonl", "op", "probe", 1, "latency_ms"), 2);
	for (int i = 0; i < probes; i++) {
		int64_t sent_ms =
		    loop_line_field(&loop, "client.jsonl", "op", "probe", i, "sent_ms") -
		    HS_VIRTUAL_T0_MS;
		int64_t latency_ms =
		    loop_line_field(&loop, "client.jsonl", "op", "probe", i, "latency_ms");
		if (latency_ms >= 200) { /* a probe's deadline: 20 * 10 ms */
			CU_ASSERT_EQUAL(latency_ms, 200);
			failed++;
			CU_ASSERT(sent_ms >= 1000 && sent_ms < 1500);
			continue;
		}
		if (sent_ms < 1000)
			last_ok_ms = sent_ms;
		else if (first_ok_ms < 0)
			first_ok_ms = sent_ms;
	}
	CU_ASSERT_EQUAL(failed, 20 + 6);
	CU_ASSERT_EQUAL(last_ok_ms, 990);
	CU_ASSERT_EQUAL(first_ok_ms, 1500);
	/* The session: a request every 100 ms from 300; opened at 302, silent
	 * from 1000 (its request at 1000 times out at 1500: broken), open again
	 * with the request sent then. */
	CU_ASSERT_EQUAL(loop.run->client.session.broken, 1);
	CU_ASSERT_EQUAL(loop.run->client.session.opened, 2);
	CU_ASSERT_EQUAL(loop_line_ms(&loop, "sessions.jsonl", "event", "open", 0),
			HS_VIRTUAL_T0_MS + 302);
	CU_ASSERT_EQUAL(loop_line_ms(&loop, "sessions.jsonl", "event", "broken", 0),
			HS_VIRTUAL_T0_MS + 1500);
	CU_ASSERT_EQUAL(loop_line_ms(&loop, "sessions.jsonl", "event", "open", 1),
			HS_VIRTUAL_T0_MS + 1502);
	CU_ASSERT(loop_script.sessions >= 30);
	loop_cleanup(&loop);
}

static void test_loop_stall_is_an_error(void)
{
	struct loop_run loop;
	char path[160], text[4096] = "";
	FILE *file;

	memset(&loop_script, 0, sizeof(loop_script));
	loop_script.stall = true;
	loop_script.silent_from_ms = -1;
	loop_script.silent_until_ms = -1;
	loop_execute(&loop, loop_scenario);
	CU_ASSERT_EQUAL(loop.result, 0); /* judged: the error is in run.json */
	/* The scenario's loop stalls, and so does the read-back after it. */
	CU_ASSERT_EQUAL(loop.run->runner_error_count, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(loop.run->runner_errors[0], "virtual time stalled at 0 ms"));
	snprintf(path, sizeof(path), "%s/run/run.json", loop.dir);
	file = fopen(path, "r");
	CU_ASSERT_FATAL(file != NULL);
	CU_ASSERT(fread(text, 1, sizeof(text) - 1, file) > 0);
	fclose(file);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "virtual time stalled"));
	loop_cleanup(&loop);
}

/* ---------------------------------------------------- disks, services */

static const char *loop_disk_scenario =
    "name: loop\n"
    "topology: rack1-pair\n"
    "timeout_ms: 60000\n"
    "settle_ms: 500\n"
    "steps:\n"
    "  - {name: d0, after: formed, delay_ms: 100, action: disk_fail, node: \"@active\", disk: 0}\n"
    "  - {name: d1, action: disk_fail, node: \"@active\", disk: 1, delay_ms: 100}\n"
    "  - {name: r0, action: disk_restore, node: \"@active\", disk: 0, delay_ms: 100}\n"
    "  - {name: sf, action: services_fail, node: \"@standby\", delay_ms: 100}\n"
    "  - {name: sr, action: services_restore, node: \"@standby\", delay_ms: 100}\n"
    "expect:\n"
    "  - {invariant: single_active}\n";

/* One disk lost: degraded (raid_ok); both: failed; one back: degraded
 * again. Each step's line is ok. */
static void test_loop_disks_and_services(void)
{
	struct loop_run loop;

	memset(&loop_script, 0, sizeof(loop_script));
	loop_script.formed_at_ms = 300;
	loop_script.silent_from_ms = -1;
	loop_execute(&loop, loop_disk_scenario);
	CU_ASSERT_EQUAL(loop.result, 0);
	CU_ASSERT_EQUAL_FATAL(loop_script.disk_calls, 3);
	CU_ASSERT_EQUAL(loop_script.disks_failed_seen[0], 1);
	CU_ASSERT_TRUE(loop_script.raid_ok_seen[0]);
	CU_ASSERT_EQUAL(loop_script.disks_failed_seen[1], 3);
	CU_ASSERT_FALSE(loop_script.raid_ok_seen[1]);
	CU_ASSERT_EQUAL(loop_script.disks_failed_seen[2], 2);
	CU_ASSERT_TRUE(loop_script.raid_ok_seen[2]);
	CU_ASSERT_EQUAL_FATAL(loop_script.services_calls, 2);
	CU_ASSERT_TRUE(loop_script.services_failed_seen[0]);
	CU_ASSERT_FALSE(loop_script.services_failed_seen[1]);
	CU_ASSERT_EQUAL(loop_line_ms(&loop, "steps.jsonl", "name", "d1", 0),
			HS_VIRTUAL_T0_MS + 500);
	CU_ASSERT_EQUAL(loop_line_count(&loop, "steps.jsonl", "action", "disk_fail"), 2);
	CU_ASSERT_EQUAL(loop_line_count(&loop, "steps.jsonl", "action", "services_restore"), 1);
	CU_ASSERT_EQUAL(loop.run->runner_error_count, 0);
	loop_cleanup(&loop);
}

/* A backend without disk and services: nothing runs, run.json says why. */
static void test_loop_disks_refused(void)
{
	struct loop_run loop;
	char path[160], expected[400];
	json_t *summary;

	memset(&loop_script, 0, sizeof(loop_script));
	loop_script.formed_at_ms = 300;
	loop_script.silent_from_ms = -1;
	loop_execute_on(&loop, loop_disk_scenario, &loop_backend_plain);
	CU_ASSERT_EQUAL(loop.result, 0);
	CU_ASSERT_EQUAL(loop_script.disk_calls + loop_script.powers, 0);
	snprintf(path, sizeof(path), "%s/run/run.json", loop.dir);
	summary = json_load_file(path, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(summary);
	snprintf(expected, sizeof(expected),
		 "the plain backend cannot fail or restore one disk of a RAID1 (step 'd0', "
		 "%s/scenario.yaml:6); run it on the native or virtual backend",
		 loop.dir);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(summary, "skipped")), expected);
	json_decref(summary);
	CU_ASSERT_EQUAL(loop_line_count(&loop, "steps.jsonl", "event", "up"), 0);
	loop_cleanup(&loop);
}

int main(void)
{
	static const struct hn_test_case tests[] = {
	    {"steps, client and end at exact virtual times", test_loop_exact_times},
	    {"probes every resolution_ms, a session broken once", test_loop_probes_and_session},
	    {"a backend that never moves is a runner error", test_loop_stall_is_an_error},
	    {"disks and services: the runner's books, in order", test_loop_disks_and_services},
	    {"a backend without them: not run, skipped with the reason", test_loop_disks_refused},
	    {NULL, NULL},
	};
	return hn_test_run_suite("virtual loop", tests, NULL, NULL);
}
