/*
 * fuzz_model.c - libFuzzer targets of the YAML loaders (sim/model), from
 * memory: fuzz_topology (hs_topology_load_buffer, then both lint APIs) and,
 * compiled with -DFUZZ_SCENARIO, fuzz_scenario (hs_scenario_load_buffer
 * against the shipped topologies/, then every anchor resolved and the
 * scenario's lint findings). Run from the top of the tree.
 *
 * Besides the sanitizers, the target aborts when a promise of model.h
 * breaks: an error is "PATH..." with a terminated message, counts stay
 * within their arrays, every anchor of a loaded scenario resolves and
 * every name is a terminated string.
 */
#include "model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_PATH "fuzz/input.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void error_check(const char *error, size_t size)
{
	if (strnlen(error, size) == size || strncmp(error, "fuzz/", 5) != 0)
		abort();
}

static void topology_check(const struct hs_topology *topology)
{
	static struct hs_lint_finding findings[HS_LINT_FINDINGS_MAX];
	static char text[512];
	uint32_t count;

	if (topology->node_count != HS_NODES_MAX || topology->switch_count > HS_SWITCHES_MAX ||
	    topology->power_count > HS_POWER_MAX ||
	    topology->switch_link_count > HS_SWITCH_LINKS_MAX)
		abort();
	for (uint32_t i = 0; i < topology->node_count; i++)
		if (strnlen(topology->nodes[i].name, HS_NAME_MAX) == HS_NAME_MAX)
			abort();
	int errors = hs_topology_lint_findings(topology, findings, HS_LINT_FINDINGS_MAX, &count);
	if (count > HS_LINT_FINDINGS_MAX ||
	    hs_topology_lint(topology, text, sizeof(text)) != errors)
		abort();
}

#ifdef FUZZ_SCENARIO
static void scenario_check(const struct hs_scenario *scenario)
{
	static struct hs_lint_finding findings[HS_LINT_FINDINGS_MAX];
	char error[HS_ERROR_MAX];
	const char *base;
	uint64_t offset_ms;
	uint32_t count;

	if (scenario->step_count > HS_STEPS_MAX || scenario->expect_count > HS_EXPECTS_MAX)
		abort();
	topology_check(&scenario->topology);
	for (uint32_t i = 0; i < scenario->step_count; i++)
		if (hs_scenario_anchor_time(scenario, scenario->steps[i].name, &base, &offset_ms) <
		    0)
			abort();
	for (uint32_t i = 0; i < scenario->expect_count; i++)
		if (hs_scenario_anchor_time(
			scenario,
			scenario->expects[i].anchor[0] ? scenario->expects[i].anchor : "up", &base,
			&offset_ms) < 0)
			abort();
	if (hs_scenario_lint_findings(scenario, findings, HS_LINT_FINDINGS_MAX, &count, error,
				      sizeof(error)) < 0 &&
	    strnlen(error, sizeof(error)) == sizeof(error))
		abort();
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char error[HS_ERROR_MAX] = "";
#ifdef FUZZ_SCENARIO
	static struct hs_scenario scenario;

	if (hs_scenario_load_buffer(FUZZ_PATH, data, size, "topologies", &scenario, error,
				    sizeof(error)) == 0)
		scenario_check(&scenario);
	else if (strncmp(error, "topologies/", 11) != 0 && error[0] != '/')
		error_check(error, sizeof(error)); /* else an error of the named topology file */
#else
	static struct hs_topology topology;

	if (hs_topology_load_buffer(FUZZ_PATH, data, size, &topology, error, sizeof(error)) == 0)
		topology_check(&topology);
	else
		error_check(error, sizeof(error));
#endif
	return 0;
}
