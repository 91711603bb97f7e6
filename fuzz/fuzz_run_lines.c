/*
 * fuzz_run_lines.c - libFuzzer target of the checker's run-folder readers
 * (sim/check/timeline.c) and of everything that judges what they read.
 *
 * The input is lines of a run folder: the first byte of each line picks
 * the file it belongs to (steps.jsonl, fabric.jsonl, client.jsonl, node1's
 * or node2's cluster.log), the rest is the line. They go through
 * hs_timeline_add_line as reading a folder would; then the events are
 * sorted, display states and metrics derived, the expectations of a
 * scenario that uses every kind judged, and the three reports written into
 * a scratch folder (which exercises the JSON, XML and HTML escaping of
 * whatever the lines held). Besides the sanitizers, the target aborts when
 * the result breaks a bound of check.h.
 */
#include "check.h"
#include "timeline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hs_scenario scenario;
static struct hs_check_result result;
static char folder[64];

static struct hs_expect *expect_add(enum hs_expect_kind kind, const char *node, const char *anchor)
{
	struct hs_expect *expect = &scenario.expects[scenario.expect_count++];

	memset(expect, 0, sizeof(*expect));
	expect->kind = kind;
	expect->min = INT64_MIN;
	expect->max = INT64_MAX;
	snprintf(expect->node, sizeof(expect->node), "%s", node);
	snprintf(expect->anchor, sizeof(expect->anchor), "%s", anchor);
	return expect;
}

/* Every kind of expectation, with aliases, a step anchor and bounds. */
static void scenario_build(void)
{
	struct hs_expect *expect;

	snprintf(scenario.name, sizeof(scenario.name), "fuzz");
	snprintf(scenario.path, sizeof(scenario.path), "fuzz/run lines.yaml");
	scenario.topology.node_count = 2;
	scenario.topology.power_count = 1;
	snprintf(scenario.topology.power[0].name, HS_NAME_MAX, "pdu-a");
	scenario.topology.power[0].feed_count = 1;
	snprintf(scenario.topology.power[0].feeds[0], HS_NAME_MAX, "node1");
	for (int i = 0; i < 2; i++)
		snprintf(scenario.topology.nodes[i].name, HS_NAME_MAX, "node%d", i + 1);
	scenario.client.enabled = true;
	scenario.step_count = 1;
	snprintf(scenario.steps[0].name, HS_NAME_MAX, "cut");
	expect = expect_add(HS_EXPECT_TRANSITION, "@standby", "cut");
	snprintf(expect->from, sizeof(expect->from), "standby");
	snprintf(expect->to, sizeof(expect->to), "active");
	expect->within_max_ms = 1600;
	expect = expect_add(HS_EXPECT_TRANSITION, "any", "formed");
	snprintf(expect->to, sizeof(expect->to), "fault");
	expect->within_max_ms = 5000;
	expect_add(HS_EXPECT_NO_TRANSITION, "node1", "formed")->for_ms = 2000;
	snprintf(expect_add(HS_EXPECT_FINAL, "@active", "")->to, HS_NAME_MAX, "active");
	expect = expect_add(HS_EXPECT_LOG, "any", "up");
	snprintf(expect->log_event, sizeof(expect->log_event), "split_brain");
	snprintf(expect->log_text, sizeof(expect->log_text), "lost");
	for (int metric = HS_METRIC_FAILOVER_MS; metric < HS_METRIC_COUNT; metric++) {
		expect =
		    expect_add(HS_EXPECT_METRIC, "", metric == HS_METRIC_FAILOVER_MS ? "cut" : "");
		expect->metric = (enum hs_metric)metric;
		expect->max = 1500;
	}
	for (int invariant = HS_INVARIANT_SINGLE_ACTIVE; invariant < HS_INVARIANT_COUNT;
	     invariant++)
		expect_add(HS_EXPECT_INVARIANT, "", "")->invariant = (enum hs_invariant)invariant;
}

/* The scratch folder goes when the fuzzer ends. */
static void folder_remove(void)
{
	static const char *const reports[] = {"result.json", "junit.xml", "timeline.html"};
	char path[128];

	for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", folder, reports[i]);
		unlink(path);
	}
	rmdir(folder);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	scenario_build();
	snprintf(folder, sizeof(folder), "/tmp/hs-fuzz-run-XXXXXX");
	if (!mkdtemp(folder))
		abort();
	atexit(folder_remove);
	return 0;
}

/* What run.json would have said. */
static void run_fields(void)
{
	memset(&result, 0, sizeof(result));
	snprintf(result.scenario, sizeof(result.scenario), "fuzz");
	snprintf(result.backend, sizeof(result.backend), "native");
	result.time_scale = 1.5;
	result.t0_mono_ms = 1000;
	result.formed = true;
	result.formed_ms = 2000;
	result.node_count = 2;
	result.alias_count = 2;
	for (int i = 0; i < 2; i++)
		snprintf(result.nodes[i], HS_NAME_MAX, "node%d", i + 1);
	snprintf(result.aliases[0].alias, HS_NAME_MAX, "@active");
	snprintf(result.aliases[0].node, HS_NAME_MAX, "node1");
	snprintf(result.aliases[1].alias, HS_NAME_MAX, "@standby");
	snprintf(result.aliases[1].node, HS_NAME_MAX, "node2");
}

static void bounds_check(void)
{
	if (result.expect_count != scenario.expect_count ||
	    result.failure_count > HS_CHECK_FAILURES_MAX ||
	    result.transition_count > HS_CHECK_TRANSITIONS_MAX)
		abort();
	for (uint32_t i = 0; i < result.expect_count; i++)
		if (result.expects[i].passed && result.expects[i].skipped)
			abort();
	for (uint32_t i = 0; i < result.node_count; i++)
		if (result.timeline->span_count[i] == 0 ||
		    result.timeline->span_count[i] > HS_TIMELINE_SPANS_MAX)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char error[HS_CHECK_MESSAGE_MAX];
	const uint8_t *end = data + size;
	uint32_t line_number = 0;
	bool ok = true;

	run_fields();
	result.timeline = calloc(1, sizeof(*result.timeline));
	if (!result.timeline)
		abort();
	while (ok && data < end) {
		const uint8_t *newline = memchr(data, '\n', (size_t)(end - data));
		size_t length = (size_t)((newline ? newline : end) - data);
		uint8_t selector = length ? data[0] : 0;
		enum hs_source source = (enum hs_source)(selector % 5 > 3 ? 2 : selector % 5);

		line_number++;
		if (length > 1)
			ok = hs_timeline_add_line(&result, source, selector % 5 == 4 ? 1 : 0,
						  line_number, (const char *)data + 1, length - 1,
						  error, sizeof(error)) == 0;
		data += length + (newline ? 1 : 0);
	}
	hs_timeline_finish(&result, INT64_MIN);
	if (ok && hs_timeline_build_spans(&scenario, &result, error, sizeof(error)) == 0) {
		hs_metrics_compute(&result);
		hs_expect_judge_all(&scenario, &result);
		result.passed = result.failure_count == 0;
		bounds_check();
		if (hs_report_write(&result, folder, error, sizeof(error)) < 0)
			abort();
	}
	hs_check_result_release(&result);
	return 0;
}
