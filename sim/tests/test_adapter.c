/*
 * test_adapter.c - CUnit tests of node adapters (sim/model/adapter.c,
 * needs.c, template.c, sim/run/adapter_plan.c): the shipped adapters load,
 * a bad adapter.yaml is refused with FILE:LINE: FIELD, templates render
 * and fail with file:line, scenarios need what their steps and
 * expectations say, and nodes/hanode renders, for every topology of the
 * library, exactly the hanode.conf the runner gives the virtual and
 * libvirt backends' nodes (plan.c). Run from the repository's root (make
 * test-unit does).
 */
#include "run/run.h"
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char adapter_dir[64];

/* Write adapter.yaml (and an empty template t.tmpl) into a fresh folder;
 * load it; the error text (or "" when it loaded). */
static int adapter_try(const char *yaml, char *error, size_t error_size)
{
	struct hs_adapter *adapter = calloc(1, sizeof(*adapter));
	char path[128];
	FILE *file;
	int status;

	snprintf(adapter_dir, sizeof(adapter_dir), "/tmp/hs-adapter-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(adapter_dir) != NULL);
	snprintf(path, sizeof(path), "%s/adapter.yaml", adapter_dir);
	file = fopen(path, "w");
	CU_ASSERT_FATAL(file != NULL);
	fputs(yaml, file);
	fclose(file);
	snprintf(path, sizeof(path), "%s/t.tmpl", adapter_dir);
	file = fopen(path, "w");
	CU_ASSERT_FATAL(file != NULL);
	fclose(file);
	error[0] = '\0';
	status = hs_adapter_load("nodes", adapter_dir, NULL, adapter, error, error_size);
	free(adapter);
	snprintf(path, sizeof(path), "%s/adapter.yaml", adapter_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.tmpl", adapter_dir);
	unlink(path);
	rmdir(adapter_dir);
	return status;
}

/* The error names the file's line and the field, and says reason. */
static void assert_refused(const char *yaml, const char *line_field, const char *reason)
{
	char error[512], expected[128];

	CU_ASSERT_EQUAL(adapter_try(yaml, error, sizeof(error)), -1);
	snprintf(expected, sizeof(expected), "%s/adapter.yaml:%s", adapter_dir, line_field);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, expected));
	CU_ASSERT_PTR_NOT_NULL(strstr(error, reason));
	if (!strstr(error, expected) || !strstr(error, reason))
		fprintf(stderr, "\n  got: %s\n  expected: %s ... %s\n", error, expected, reason);
}

static void test_shipped_adapters_load(void)
{
	struct hs_adapter *adapter = calloc(1, sizeof(*adapter));
	char error[512] = "";

	CU_ASSERT_EQUAL_FATAL(
	    hs_adapter_load("nodes", "hanode", NULL, adapter, error, sizeof(error)), 0);
	CU_ASSERT_STRING_EQUAL(adapter->name, "hanode");
	CU_ASSERT_TRUE(adapter->control_socket);
	CU_ASSERT_EQUAL(adapter->capabilities, HS_CAP_ALL);
	CU_ASSERT_EQUAL(adapter->file_count, 1);
	CU_ASSERT_EQUAL_FATAL(
	    hs_adapter_load("nodes", "keepalived", "fast", adapter, error, sizeof(error)), 0);
	CU_ASSERT_FALSE(adapter->control_socket);
	CU_ASSERT_EQUAL(adapter->capabilities, HS_CAP_RAID_CHECK | HS_CAP_MAINTENANCE);
	CU_ASSERT_STRING_EQUAL(adapter->profile->name, "fast");
	CU_ASSERT_PTR_NOT_NULL(hs_adapter_admin_find(adapter, "status"));
	CU_ASSERT_PTR_NOT_NULL(hs_adapter_admin_find(adapter, "maintenance on"));
	CU_ASSERT_PTR_NULL(hs_adapter_admin_find(adapter, "switchover"));
	CU_ASSERT_EQUAL(
	    hs_adapter_load("nodes", "keepalived", "slow", adapter, error, sizeof(error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "nodes/keepalived/adapter.yaml:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "no profile 'slow' in adapter keepalived"));
	/* backends: listed, or native only; a profile adds capabilities. */
	CU_ASSERT_TRUE(hs_adapter_runs_on(adapter, "libvirt"));
	CU_ASSERT_FALSE(hs_adapter_runs_on(adapter, "virtual"));
	CU_ASSERT_EQUAL_FATAL(
	    hs_adapter_load("nodes", "pacemaker", NULL, adapter, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(adapter->capabilities, HS_CAP_SYNC_LINK);
	CU_ASSERT_TRUE(hs_adapter_runs_on(adapter, "native"));
	CU_ASSERT_FALSE(hs_adapter_runs_on(adapter, "libvirt"));
	CU_ASSERT_EQUAL_FATAL(
	    hs_adapter_load("nodes", "pacemaker", "fence", adapter, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(adapter->capabilities, HS_CAP_SYNC_LINK | HS_CAP_FENCING);
	CU_ASSERT_EQUAL(hs_adapter_load("nodes", "nosuch", NULL, adapter, error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(
	    error, "nodes/nosuch/adapter.yaml: no such adapter (nodes/<name>/adapter.yaml)");
	free(adapter);
}

static void test_bad_adapters_are_refused_with_file_line_field(void)
{
	char error[512];

	CU_ASSERT_EQUAL(adapter_try("name: x\nstart: run\nrecords: node\n", error, sizeof(error)),
			0);
	assert_refused("name: x\nstart: run\n", "1: ", "records");
	assert_refused("name: x\nstart: run\nrecords: node\nstrat: 1\n", "4: ", "strat");
	assert_refused("name: x\nstart: run\nrecords: syslog\n", "3: records", "syslog");
	assert_refused("name: x\nstart: run\nrecords: node\ncapabilities: [fencing, flying]\n",
		       "4: capabilities[1]", "unknown capability 'flying'");
	assert_refused("name: x\nstart: run\nrecords: node\ncapabilities: [fencing, fencing]\n",
		       "4: capabilities[1]", "'fencing' listed twice");
	assert_refused("name: x\nstart: run\nrecords: node\nfiles:\n  - {template: gone.tmpl}\n",
		       "5: files[0]", "gone.tmpl cannot be read");
	assert_refused("name: x\nstart: run\nrecords: node\ncontrol: socket\nadmin: {status: s}\n",
		       "5: admin", "control: socket takes every request");
	assert_refused("name: x\nstart: run\nrecords: node\nstop_signal: KILL\n", "4: stop_signal",
		       "KILL");
	assert_refused("name: x\nstart: run\nrecords: node\nprofiles:\n  - {name: a, vars: {}}\n"
		       "  - {name: a, vars: {}}\n",
		       "6: profiles[1]", "profile 'a' twice");
	assert_refused("name: x\nstart: run\nrecords: node\nbackends: [native, qemu]\n",
		       "4: backends[1]", "qemu");
	assert_refused("name: x\nstart: run\nrecords: node\nbackends: [native, native]\n",
		       "4: backends[1]", "'native' listed twice");
	assert_refused("name: x\nstart: run\nrecords: node\nprofiles:\n"
		       "  - {name: a, vars: {v: 1}, capabilities: [flying]}\n",
		       "5: profiles[0].capabilities[0]", "unknown capability 'flying'");
}

static const char *test_lookup(void *context, const char *name)
{
	(void)context;
	if (strcmp(name, "node") == 0)
		return "node1";
	if (strcmp(name, "empty") == 0)
		return "";
	return NULL;
}

static void test_templates(void)
{
	char out[128], error[256];

	CU_ASSERT_EQUAL(hs_template_render("t",
					   "a {{node}} b\n{{#node}}x={{node}}\n{{/node}}"
					   "{{#empty}}gone\n{{/empty}}end",
					   test_lookup, NULL, out, sizeof(out), error,
					   sizeof(error)),
			0);
	CU_ASSERT_STRING_EQUAL(out, "a node1 b\nx=node1\nend");
	CU_ASSERT_EQUAL(hs_template_render("t.tmpl", "one\ntwo {{nope}}", test_lookup, NULL, out,
					   sizeof(out), error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "t.tmpl:2: unknown variable 'nope'");
	CU_ASSERT_EQUAL(hs_template_render("t.tmpl", "{{node", test_lookup, NULL, out, sizeof(out),
					   error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "t.tmpl:1: '{{' without a name and '}}'");
	CU_ASSERT_EQUAL(hs_template_render("t.tmpl", "\n{{#node}}x", test_lookup, NULL, out,
					   sizeof(out), error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "t.tmpl:2: section 'node' never closed");
	CU_ASSERT_EQUAL(hs_template_render("t.tmpl", "{{node}}{{node}}", test_lookup, NULL, out, 8,
					   error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "t.tmpl: renders to more than 7 bytes");
}

static void test_scenario_needs(void)
{
	struct hs_scenario *scenario = calloc(1, sizeof(*scenario));
	char error[HS_ERROR_MAX], reason[256];
	uint32_t keepalived = HS_CAP_RAID_CHECK;

	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/maintenance-active.yaml", "topologies",
					       scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(hs_adapter_scenario_gap(scenario, keepalived, reason, sizeof(reason)),
			HS_CAP_MAINTENANCE);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "is maintenance_on @active"));
	CU_ASSERT_EQUAL(hs_adapter_scenario_gap(scenario, HS_CAP_ALL, reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/active-crash.yaml", "topologies",
					       scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(hs_adapter_scenario_gap(scenario, keepalived, reason, sizeof(reason)),
			HS_CAP_FENCING);
	CU_ASSERT_STRING_EQUAL(reason,
			       "topology rack1-pair (with the scenario's overrides) uses the "
			       "fence tie-breaker");
	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/bond-port-pulled.yaml", "topologies",
					       scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(hs_adapter_scenario_gap(scenario, keepalived, reason, sizeof(reason)),
			HS_CAP_SYNC_LINK);
	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/incompatible-firmware.yaml", "topologies",
					       scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(hs_adapter_scenario_gap(scenario, keepalived, reason, sizeof(reason)),
			HS_CAP_FIRMWARE);
	CU_ASSERT_STRING_EQUAL(reason, "node1 and node2 differ in model or firmware (rack1 2.3.1, "
				       "rack1 2.4.0)");
	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/active-power-loss.yaml", "topologies",
					       scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(hs_adapter_scenario_gap(scenario, keepalived, reason, sizeof(reason)), 0);
	/* Its expectations: only no_lost_writes (the last) needs replicated data. */
	for (uint32_t i = 0; i < scenario->expect_count; i++)
		CU_ASSERT_EQUAL(hs_expect_needs(&scenario->expects[i]),
				i == scenario->expect_count - 1 ? HS_CAP_REPLICATED_DATA : 0);
	free(scenario);
}

/* nodes/hanode renders what plan.c writes for the other backends. */
static void hanode_config_matches(const char *scenario_path)
{
	struct hs_run *run = calloc(1, sizeof(*run));
	char error[HS_ERROR_MAX], path[700], text[4096], command[700];
	FILE *file;
	size_t length;

	CU_ASSERT_FATAL(run != NULL);
	CU_ASSERT_EQUAL_FATAL(
	    hs_scenario_load(scenario_path, "topologies", &run->scenario, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL_FATAL(
	    hs_adapter_load("nodes", "hanode", NULL, &run->adapter, error, sizeof(error)), 0);
	snprintf(run->run_dir, sizeof(run->run_dir), "/tmp/hs-adapter-run-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(run->run_dir) != NULL);
	snprintf(run->state_dir, sizeof(run->state_dir), "/tmp/hs-adapter-state-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(run->state_dir) != NULL);
	snprintf(path, sizeof(path), "%s/nodes", run->run_dir);
	mkdir(path, 0755);
	snprintf(run->run_id, sizeof(run->run_id), "hs0a0b0c");
	snprintf(run->bin_dir, sizeof(run->bin_dir), "/opt/halab/bin");
	snprintf(run->self_path, sizeof(run->self_path), "/opt/halab/bin/hasim");
	CU_ASSERT_EQUAL_FATAL(hs_plan_nodes(run, error, sizeof(error)), 0);
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		snprintf(path, sizeof(path), "%s/%s/hanode.conf", run->state_dir,
			 run->nodes[i].model->name);
		file = fopen(path, "r");
		CU_ASSERT_FATAL(file != NULL);
		length = fread(text, 1, sizeof(text) - 1, file);
		text[length] = '\0';
		fclose(file);
		CU_ASSERT_STRING_EQUAL(text, run->nodes[i].plan.config_text);
		/* A services check only where a step makes services fail. */
		CU_ASSERT_EQUAL(strstr(text, "\nservices_status = test ! -e ") != NULL,
				strstr(scenario_path, "services-fail") != NULL);
	}
	snprintf(command, sizeof(command), "rm -rf %s %s", run->run_dir, run->state_dir);
	CU_ASSERT_EQUAL(system(command), 0);
	free(run);
}

static void test_hanode_adapter_renders_the_planned_config(void)
{
	hanode_config_matches("scenarios/active-power-loss.yaml");	 /* ping */
	hanode_config_matches("scenarios/active-crash.yaml");		 /* fence */
	hanode_config_matches("scenarios/split-brain-none.yaml");	 /* none */
	hanode_config_matches("scenarios/failed-node-returns.yaml");	 /* timer overrides */
	hanode_config_matches("scenarios/rolling-firmware-update.yaml"); /* firmware */
	hanode_config_matches("scenarios/services-fail-active.yaml");	 /* services_status */
}

int main(void)
{
	static const struct hn_test_case tests[] = {
	    {"nodes/hanode and nodes/keepalived load", test_shipped_adapters_load},
	    {"a bad adapter.yaml is refused with FILE:LINE: FIELD",
	     test_bad_adapters_are_refused_with_file_line_field},
	    {"templates: variables, sections, errors with file:line", test_templates},
	    {"scenarios need what their steps, topology and expectations say", test_scenario_needs},
	    {"nodes/hanode renders the hanode.conf plan.c gives other backends",
	     test_hanode_adapter_renders_the_planned_config},
	    {NULL, NULL},
	};
	return hn_test_run_suite("node adapters", tests, NULL, NULL);
}
