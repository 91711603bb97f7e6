/*
 * test_model.c - CUnit tests of sim/model: topology and scenario files.
 *
 * Run from the top of the tree (make model-test does): the tests read the
 * shipped topologies/ and scenarios/ and the fixtures in
 * sim/tests/model_fixtures/. They check that
 *   - every shipped topology and scenario loads (each file in the folders,
 *     so a new file is covered without touching this test), and the shipped
 *     topologies lint without errors except spof-shared-switch;
 *   - each kind of error gives its exact message: file, line and field
 *     (one bad fixture per error, table error_cases);
 *   - lint findings are exact for the SPOF and incompatible fixtures;
 *   - defaults, overrides, role aliases and anchors resolve as documented
 *     in scenarios/README.md.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hn_models.h"
#include "model.h"
#include "test_main.h"

#define FIX	     "sim/tests/model_fixtures/"
#define TOPOLOGY_DIR "topologies"
#define LINT_MAX     4096

/* Large: one per test file, not on the stack. */
static struct hs_scenario scenario;
static struct hs_topology topology;

static bool has_suffix(const char *name, const char *suffix)
{
	size_t length = strlen(name), suffix_length = strlen(suffix);

	return length > suffix_length && strcmp(name + length - suffix_length, suffix) == 0;
}

/* Calls check(path, basename without ".yaml") for each *.yaml in folder,
 * in no particular order; returns how many. */
static int folder_each(const char *folder, void (*check)(const char *, const char *))
{
	char path[HS_PATH_MAX], base[HS_NAME_MAX * 2];
	struct dirent *entry;
	DIR *dir = opendir(folder);
	int count = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	while ((entry = readdir(dir))) {
		if (!has_suffix(entry->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", folder, entry->d_name);
		snprintf(base, sizeof(base), "%.*s", (int)(strlen(entry->d_name) - 5),
			 entry->d_name);
		check(path, base);
		count++;
	}
	closedir(dir);
	return count;
}

/* ------------------------------------------------------- shipped files */

static void shipped_topology_check(const char *path, const char *base)
{
	char error[HS_ERROR_MAX] = "", lint[LINT_MAX];
	int errors;

	if (hs_topology_load(path, &topology, error, sizeof(error)) != 0)
		fprintf(stderr, "\n%s\n", error);
	CU_ASSERT_EQUAL_FATAL(hs_topology_load(path, &topology, error, sizeof(error)), 0);
	CU_ASSERT_STRING_EQUAL(topology.name, base);
	errors = hs_topology_lint(&topology, lint, sizeof(lint));
	if (strcmp(base, "spof-shared-switch") == 0 || strcmp(base, "rack4-virt1-small") == 0) {
		CU_ASSERT_EQUAL(errors, 2);
	} else if (strcmp(base, "rack1-rack4") == 0) {
		CU_ASSERT_EQUAL(errors, 1); /* refused by SPEC: the model pair */
	} else {
		if (errors != 0)
			fprintf(stderr, "\n%s: %s", path, lint);
		CU_ASSERT_EQUAL(errors, 0);
	}
}

static void test_shipped_topologies(void)
{
	static const char *const required[] = {
	    "rack1-pair",  "rack4-pair",  "virt1-pair",	       "rack1-virt1",
	    "rack4-virt1", "rack1-rack4", "rack4-virt1-small", "spof-shared-switch"};
	char path[HS_PATH_MAX], error[HS_ERROR_MAX];

	CU_ASSERT_EQUAL(folder_each(TOPOLOGY_DIR, shipped_topology_check), 10);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.yaml", TOPOLOGY_DIR, required[i]);
		CU_ASSERT_EQUAL(hs_topology_load(path, &topology, error, sizeof(error)), 0);
	}
}

/* Every target resolves whichever node wins the first election, every
 * anchor leads back to "up" or "formed", and the timeline fits the run. */
static void shipped_scenario_resolve_check(const struct hs_scenario *loaded)
{
	static const char *const actives[] = {"node1", "node2"};
	char out[HS_NAME_MAX * 2];
	const char *base;
	uint64_t offset_ms, last_ms = 0;

	for (uint32_t i = 0; i < loaded->step_count; i++) {
		const struct hs_step *step = &loaded->steps[i];
		bool named = step->action == HS_ACTION_SWITCH_FAIL ||
			     step->action == HS_ACTION_SWITCH_RESTORE || step->target[0] == '\0';

		for (size_t a = 0; a < 2 && !named; a++) {
			int result =
			    step->target_power
				? hs_scenario_resolve_power(&loaded->topology, step->target,
							    actives[a], out, sizeof(out))
				: hs_scenario_resolve(&loaded->topology, step->target, actives[a],
						      out, sizeof(out));
			CU_ASSERT_EQUAL(result, 0);
		}
		CU_ASSERT_EQUAL(hs_scenario_anchor_time(loaded, step->name, &base, &offset_ms), 0);
		last_ms = offset_ms > last_ms ? offset_ms : last_ms;
	}
	for (uint32_t i = 0; i < loaded->expect_count; i++) {
		const struct hs_expect *expect = &loaded->expects[i];

		CU_ASSERT_EQUAL(hs_scenario_anchor_time(loaded, expect->anchor, &base, &offset_ms),
				0);
		/* A quiet period must end before the run does (steps of the
		 * shipped scenarios all count from "formed"). */
		if (expect->kind == HS_EXPECT_NO_TRANSITION && strcmp(base, "formed") == 0)
			CU_ASSERT(offset_ms + expect->for_ms <= last_ms + loaded->settle_ms);
	}
	/* Short runs: the last step plus the settle time stays under 20 s. */
	CU_ASSERT(last_ms + loaded->settle_ms <= 20000);
	CU_ASSERT(last_ms + loaded->settle_ms < loaded->timeout_ms);
}

static void shipped_scenario_check(const char *path, const char *base)
{
	char error[HS_ERROR_MAX] = "";
	int result = hs_scenario_load(path, TOPOLOGY_DIR, &scenario, error, sizeof(error));

	if (result != 0)
		fprintf(stderr, "\n%s\n", error);
	CU_ASSERT_EQUAL_FATAL(result, 0);
	CU_ASSERT_STRING_EQUAL(scenario.name, base);
	CU_ASSERT(scenario.expect_count > 0);
	shipped_scenario_resolve_check(&scenario);
}

static void test_shipped_scenarios(void)
{
	CU_ASSERT_EQUAL(folder_each("scenarios", shipped_scenario_check), 32);
}

/* ------------------------------------------------------------- errors */

struct error_case {
	const char *file;     /* in FIX; "t-" topology, "s-" scenario */
	const char *expected; /* the exact message */
};

/* One line per message, so that a grep for a message finds its case. */
/* clang-format off */
static const struct error_case error_cases[] = {
	{"s-action.yaml",
	 FIX "s-action.yaml:8: steps[2].action: 'raid_explode' is not one of power_off, power_on, pull, plug, switch_fail, switch_restore, impair, partition, heal, raid_fail, raid_restore, crash, restart, maintenance_on, maintenance_off, switchover, disconnect, reconnect, disband, firmware_update, client_start, client_stop, services_fail, services_restore, disk_fail, disk_restore"},
	{"s-disk-missing.yaml",
	 FIX "s-disk-missing.yaml:5: steps[0]: missing required key 'disk'"},
	{"s-disk-range.yaml",
	 FIX "s-disk-range.yaml:6: steps[1].disk: 2 is out of range 0..1"},
	{"s-disk-services.yaml",
	 FIX "s-disk-services.yaml:5: steps[0].disk: action 'services_fail' takes no disk"},
	{"s-alias.yaml",
	 FIX "s-alias.yaml:6: steps[0].node: unknown node '@primary' (known: node1, node2, @active, @standby)"},
	{"s-anchor-later.yaml",
	 FIX "s-anchor-later.yaml:7: steps[1].after: step 'raid' is not earlier (an anchor is up, formed or an earlier step)"},
	{"s-anchor-self.yaml",
	 FIX "s-anchor-self.yaml:8: steps[2].after: step 'raid' is not earlier (an anchor is up, formed or an earlier step)"},
	{"s-anchor-unknown.yaml",
	 FIX "s-anchor-unknown.yaml:8: steps[2].after: unknown anchor 'pul' (an anchor is up, formed or an earlier step)"},
	{"s-at-and-after.yaml",
	 FIX "s-at-and-after.yaml:8: steps[2].at_ms: at_ms excludes after and delay_ms"},
	{"s-duplicate-step.yaml",
	 FIX "s-duplicate-step.yaml:8: steps[2].name: duplicate step 'cut'"},
	{"s-expect-node.yaml",
	 FIX "s-expect-node.yaml:10: expect[0].transition.node: unknown node 'node9' (known: node1, node2, @active, @standby, any)"},
	{"s-failover-after.yaml",
	 FIX "s-failover-after.yaml:12: expect[2]: metric failover_ms needs 'after'"},
	{"s-invariant.yaml",
	 FIX "s-invariant.yaml:13: expect[3].invariant: 'nothing_bad' is not one of single_active, cluster_ip_unique, no_lost_writes, no_silent_loss"},
	{"s-invariant-window.yaml",
	 FIX "s-invariant-window.yaml:13: expect[3]: 'after' applies to invariant single_active only"},
	{"s-invariant-window-half.yaml",
	 FIX "s-invariant-window-half.yaml:13: expect[3]: invariant single_active in a window needs both 'after' and 'within_ms'"},
	{"s-metric.yaml",
	 FIX "s-metric.yaml:12: expect[2].metric: 'outage_s' is not one of failover_ms, outage_ms, dual_active_ms, lost_writes, reported_lost_writes"},
	{"s-modifier.yaml",
	 FIX "s-modifier.yaml:11: expect[1].within_ms: 'within_ms' does not apply to final"},
	{"s-node-and-pdu.yaml",
	 FIX "s-node-and-pdu.yaml:6: steps[0]: action 'power_off' needs exactly one of node or pdu"},
	{"s-override-node.yaml",
	 FIX "s-override-node.yaml:6: overrides.nodes: unknown node 'node7' (known: node1, node2)"},
	{"s-override-timers.yaml",
	 FIX "s-override-timers.yaml:5: overrides.timers.dead_time_ms: 100 must be greater than heartbeat_interval_ms 200"},
	{"s-param.yaml",
	 FIX "s-param.yaml:7: steps[1].loss_pct: action 'pull' takes no loss_pct"},
	{"s-pct.yaml",
	 FIX "s-pct.yaml:7: steps[1].loss_pct: 150 is out of range 0..100"},
	{"s-pdu.yaml",
	 FIX "s-pdu.yaml:6: steps[0].pdu: unknown power domain 'pdu-z'"},
	{"s-port-node.yaml",
	 FIX "s-port-node.yaml:7: steps[1].port: unknown node 'node3' in port 'node3.LAN1' (known: node1, node2, @active, @standby)"},
	{"s-port.yaml",
	 FIX "s-port.yaml:7: steps[1].port: unknown port 'LAN9' of 'node1'"},
	{"s-reserved-step.yaml",
	 FIX "s-reserved-step.yaml:8: steps[2].name: 'formed' is reserved for an anchor"},
	{"s-state.yaml",
	 FIX "s-state.yaml:11: expect[1].final.state: 'primary' is not a display state (active, standby, starting, maintenance, fault, isolated, disconnected, standalone) or off"},
	{"s-target-missing.yaml",
	 FIX "s-target-missing.yaml:8: steps[2]: action 'raid_fail' needs a node"},
	{"s-topology-error.yaml",
	 FIX "t-port-switch.yaml:40: nodes[1].ports.LAN3: unknown switch 'nowhere'"},
	{"s-topology-missing.yaml",
	 FIX "s-topology-missing.yaml:3: topology: no topology 'nosuch' (looked for nosuch.yaml in: "
	     "sim/tests/topologies, topologies; --topology-dir DIR and HALAB_TOPOLOGY_PATH add "
	     "folders)"},
	{"s-two-kinds.yaml",
	 FIX "s-two-kinds.yaml:13: expect[3]: both 'metric' and 'invariant': one expectation per entry"},
	{"s-unknown-key.yaml",
	 FIX "s-unknown-key.yaml:5: scenario: unknown key 'clients' (known: name, description, topology, requires, overrides, settle_ms, timeout_ms, client, steps, expect)"},
	{"s-unknown-node.yaml",
	 FIX "s-unknown-node.yaml:8: steps[2].node: unknown node 'node3' (known: node1, node2, @active, @standby)"},
	{"s-window.yaml",
	 FIX "s-window.yaml:10: expect[0].within_ms: window [1600, 700] is empty"},
	{"t-bad-cidr.yaml",
	 FIX "t-bad-cidr.yaml:5: cluster.ip: '192.0.2.300/24' is not an IPv4 CIDR address (a.b.c.d/n)"},
	{"t-bond-port.yaml",
	 FIX "t-bond-port.yaml:30: nodes[0].external.bond[1]: unknown port 'LAN5' of 'node1'"},
	{"t-bond-twice.yaml",
	 FIX "t-bond-twice.yaml:31: nodes[0].sync.bond[0]: port 'LAN2' is already in the external bond"},
	{"t-direct-uplink.yaml",
	 FIX "t-direct-uplink.yaml:10: uplink.switch: 'sync-cable' is a direct cable, not a switch"},
	{"t-duplicate-key.yaml",
	 FIX "t-duplicate-key.yaml:25: nodes[0]: duplicate key 'firmware'"},
	{"t-duplicate-switch.yaml",
	 FIX "t-duplicate-switch.yaml:14: switches[2].name: duplicate switch 'ext-a'"},
	{"t-empty.yaml",
	 FIX "t-empty.yaml:1: file: no YAML document (the file is empty or holds only comments)"},
	{"t-enum.yaml",
	 FIX "t-enum.yaml:23: nodes[0].model: 'rack9' is not one of rack1, rack4, virt1"},
	{"t-external-subnet.yaml",
	 FIX "t-external-subnet.yaml:41: nodes[1].external.address: 203.0.113.12/24 is not in the cluster network of 192.0.2.10/24"},
	{"t-fence.yaml",
	 FIX "t-fence.yaml:28: nodes[0].fence: power domain 'pdu-b' does not feed 'node1'"},
	{"t-virt1-bond.yaml",
	 FIX "t-virt1-bond.yaml:41: nodes[1].external.bond: a virt1 bonds at most 1 port per network, "
	     "not 2 (refimpl/core/hn_models.h)"},
	{"t-virt1-ports.yaml",
	 FIX "t-virt1-ports.yaml:40: nodes[1].ports.LAN2: a virt1 has no LAN2 (its 2 LAN ports: LAN1, "
	     "LAN3; refimpl/core/hn_models.h)"},
	{"t-missing-key.yaml",
	 FIX "t-missing-key.yaml:21: nodes[0]: missing required key 'external'"},
	{"t-one-node.yaml",
	 FIX "t-one-node.yaml:21: nodes: 1 items, expected exactly 2"},
	{"t-port-name.yaml",
	 FIX "t-port-name.yaml:29: nodes[0].ports: unknown key 'LAN5' (known: LAN1, LAN2, LAN3, LAN4)"},
	{"t-port-switch.yaml",
	 FIX "t-port-switch.yaml:40: nodes[1].ports.LAN3: unknown switch 'nowhere'"},
	{"t-power-feed.yaml",
	 FIX "t-power-feed.yaml:19: power[1].feeds[2]: unknown node or switch 'ext-c'"},
	{"t-range.yaml",
	 FIX "t-range.yaml:26: nodes[0].memory_mb: 0 is out of range 1..16777216"},
	{"t-sync-subnet.yaml",
	 FIX "t-sync-subnet.yaml:42: nodes[1].sync.address: 198.51.101.2/24 is not in the sync network of 'node1' (198.51.100.1/24)"},
	{"t-tiebreaker.yaml",
	 FIX "t-tiebreaker.yaml:6: cluster.tiebreaker: 'coin' is not one of none, ping, fence"},
	{"t-timer-zero.yaml",
	 FIX "t-timer-zero.yaml:9: cluster.timers.fence_delay_ms: 0 is out of range 1..3600000"},
	{"t-timers.yaml",
	 FIX "t-timers.yaml:8: cluster.timers.heartbeat_interval_ms: 1000 must be less than dead_time_ms 1000"},
	{"t-type.yaml",
	 FIX "t-type.yaml:25: nodes[0].cpu: 'four' is not an integer"},
	{"t-unknown-key.yaml",
	 FIX "t-unknown-key.yaml:26: nodes[0]: unknown key 'colour' (known: name, id, model, firmware, cpu, memory_mb, disk_gb, fence, ports, external, sync)"},
	{"t-version.yaml",
	 FIX "t-version.yaml:24: nodes[0].firmware: '2.3' is not a version major.minor.patch"},
	{"t-yaml-syntax.yaml",
	 FIX "t-yaml-syntax.yaml:4: yaml: did not find expected ',' or '}' while parsing a flow mapping"},
};
/* clang-format on */

static void test_error_messages(void)
{
	char path[HS_PATH_MAX], error[HS_ERROR_MAX];
	int result;

	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];

		snprintf(path, sizeof(path), FIX "%s", c->file);
		memset(error, 0, sizeof(error));
		if (c->file[0] == 't')
			result = hs_topology_load(path, &topology, error, sizeof(error));
		else
			result =
			    hs_scenario_load(path, TOPOLOGY_DIR, &scenario, error, sizeof(error));
		if (result != -1 || strcmp(error, c->expected) != 0)
			fprintf(stderr, "\n%s:\n  expected %s\n  got      %s\n", c->file,
				c->expected, error);
		CU_ASSERT_EQUAL(result, -1);
		CU_ASSERT_STRING_EQUAL(error, c->expected);
	}
}

static void test_error_missing_file(void)
{
	char error[HS_ERROR_MAX];

	CU_ASSERT_EQUAL(hs_topology_load(FIX "no-such-file.yaml", &topology, error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, FIX
			       "no-such-file.yaml: file: cannot open: No such file or directory");
	/* A short buffer is cut, never overrun. */
	char tiny[8];
	CU_ASSERT_EQUAL(hs_topology_load(FIX "t-bad-cidr.yaml", &topology, tiny, sizeof(tiny)), -1);
	CU_ASSERT_STRING_EQUAL(tiny, "sim/tes");
}

/* --------------------------------------------------------------- lint */

static void lint_check(const char *path, int errors, const char *expected)
{
	char error[HS_ERROR_MAX], lint[LINT_MAX];

	CU_ASSERT_EQUAL_FATAL(hs_topology_load(path, &topology, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(hs_topology_lint(&topology, lint, sizeof(lint)), errors);
	if (strcmp(lint, expected) != 0)
		fprintf(stderr, "\n%s:\n--- expected\n%s--- got\n%s", path, expected, lint);
	CU_ASSERT_STRING_EQUAL(lint, expected);
}

#define UPLINK_WARNING                                                                             \
	"warning: uplink switch 'core' is the only path from 'node1' and 'node2' to the ping "     \
	"targets: its loss isolates both\n"

static void test_lint_spof(void)
{
	lint_check(
	    TOPOLOGY_DIR "/spof-shared-switch.yaml", 2,
	    "error: power domain 'pdu' feeds both 'node1' and 'node2': its loss stops the cluster\n"
	    "error: switch 'core' carries both links between 'node1' and 'node2': its loss cuts "
	    "them both (split brain)\n"
	    "warning: 'node1' external bond (LAN1, LAN2): both ports on switch 'core'\n"
	    "warning: 'node1' sync bond (LAN3, LAN4): both ports on switch 'core'\n"
	    "warning: 'node2' external bond (LAN1, LAN2): both ports on switch 'core'\n"
	    "warning: 'node2' sync bond (LAN3, LAN4): both ports on switch 'core'\n"
	    "warning: switch 'core' carries every external port of 'node1' and 'node2': its loss "
	    "cuts the external network of both\n"
	    "warning: switch 'core' carries both the external and the sync "
	    "network\n" UPLINK_WARNING);
	lint_check(FIX "lint-switch-power.yaml", 1,
		   "error: power domain 'pdu-net' feeds switches whose loss cuts both links "
		   "between 'node1' and 'node2' (split brain)\n"
		   "warning: 'node1' sync bond (LAN3, LAN4): both ports on switch 'sync-a'\n"
		   "warning: 'node2' sync bond (LAN3, LAN4): both ports on switch "
		   "'sync-a'\n" UPLINK_WARNING);
	lint_check(FIX "lint-loop.yaml", 1,
		   "error: switch link [ext-a, ext-b] closes a loop (the fabric needs a tree of "
		   "switches)\n" UPLINK_WARNING);
}

static void test_lint_compatibility(void)
{
	lint_check(FIX "lint-incompatible.yaml", 2,
		   "error: models rack1 ('node1') and rack4 ('node2') cannot form a cluster "
		   "(allowed: rack1+rack1, rack4+rack4, rack1/rack4+virt1, virt1+virt1)\n"
		   "error: firmware 2.3.1 of 'node1' and 2.4.0 of 'node2' differ in "
		   "major.minor\n" UPLINK_WARNING);
	lint_check(FIX "lint-virt1-small.yaml", 2,
		   "error: virt1 'node2' has 2 CPUs, fewer than rack1 'node1' (4)\n"
		   "error: virt1 'node2' has a 100 GB disk, smaller than rack1 'node1' (480 "
		   "GB)\n" UPLINK_WARNING);
	lint_check(TOPOLOGY_DIR "/virt1-pair.yaml", 0,
		   "warning: virt1+virt1 ('node1', 'node2') is not supported in "
		   "production\n" UPLINK_WARNING);
	lint_check(TOPOLOGY_DIR "/rack1-virt1.yaml", 0, UPLINK_WARNING);
	lint_check(TOPOLOGY_DIR "/rack1-pair.yaml", 0, UPLINK_WARNING);
}

static void test_lint_tiebreaker(void)
{
	lint_check(FIX "lint-fence.yaml", 1,
		   "error: node 'node2' has no fence device (tiebreaker fence)\n" UPLINK_WARNING);
	lint_check(FIX "lint-no-targets.yaml", 1, "error: tiebreaker ping without ping targets\n");
}

static void test_lint_bounded_output(void)
{
	char error[HS_ERROR_MAX], lint[40];

	CU_ASSERT_EQUAL_FATAL(hs_topology_load(TOPOLOGY_DIR "/spof-shared-switch.yaml", &topology,
					       error, sizeof(error)),
			      0);
	/* The count stays right when the text does not fit. */
	CU_ASSERT_EQUAL(hs_topology_lint(&topology, lint, sizeof(lint)), 2);
	CU_ASSERT_EQUAL(strlen(lint), sizeof(lint) - 1);
	CU_ASSERT_EQUAL(hs_topology_lint(&topology, NULL, 0), 2);
}

/* Findings as values: the object's line and field; a scenario's overrides
 * that stage an incompatibility give a warning at the override. */
static void test_lint_findings(void)
{
	static struct hs_lint_finding findings[HS_LINT_FINDINGS_MAX];
	char error[HS_ERROR_MAX];
	uint32_t count;

	CU_ASSERT_EQUAL_FATAL(hs_topology_load(TOPOLOGY_DIR "/spof-shared-switch.yaml", &topology,
					       error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(
	    hs_topology_lint_findings(&topology, findings, HS_LINT_FINDINGS_MAX, &count), 2);
	CU_ASSERT_EQUAL_FATAL(count, 9);
	CU_ASSERT(findings[0].error);
	CU_ASSERT_STRING_EQUAL(findings[0].path, TOPOLOGY_DIR "/spof-shared-switch.yaml");
	CU_ASSERT_EQUAL(findings[0].line, 14);
	CU_ASSERT_STRING_EQUAL(findings[0].field, "power[0]");
	CU_ASSERT_EQUAL(findings[2].line, 16);
	CU_ASSERT_STRING_EQUAL(findings[2].field, "nodes[0].external");
	CU_ASSERT_FALSE(findings[2].error);
	/* A short array keeps the count of errors right. */
	CU_ASSERT_EQUAL(hs_topology_lint_findings(&topology, findings, 1, &count), 2);
	CU_ASSERT_EQUAL(count, 1);

	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/incompatible-firmware.yaml", TOPOLOGY_DIR,
					       &scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(hs_scenario_lint_findings(&scenario, findings, HS_LINT_FINDINGS_MAX, &count,
						  error, sizeof(error)),
			0);
	CU_ASSERT_EQUAL_FATAL(count, 2);
	CU_ASSERT_STRING_EQUAL(findings[0].path, TOPOLOGY_DIR "/rack1-pair.yaml");
	CU_ASSERT_STRING_EQUAL(findings[0].field, "uplink");
	CU_ASSERT_STRING_EQUAL(findings[1].path, "scenarios/incompatible-firmware.yaml");
	CU_ASSERT_EQUAL(findings[1].line, 15);
	CU_ASSERT_STRING_EQUAL(findings[1].field, "overrides.nodes.node2");
	CU_ASSERT_FALSE(findings[1].error);
	CU_ASSERT_STRING_EQUAL(
	    findings[1].text,
	    "firmware 2.3.1 of 'node1' and 2.4.0 of 'node2' differ in major.minor "
	    "(staged by the scenario's overrides: a refused join is what it tests)");
	/* An error the overrides add that is no compatibility stays an error. */
	CU_ASSERT_EQUAL_FATAL(
	    hs_scenario_load(FIX "s-valid.yaml", TOPOLOGY_DIR, &scenario, error, sizeof(error)), 0);
	scenario.overrides_line = 4;
	scenario.topology.ping_target_count = 0;
	CU_ASSERT_EQUAL(hs_scenario_lint_findings(&scenario, findings, HS_LINT_FINDINGS_MAX, &count,
						  error, sizeof(error)),
			1);
	CU_ASSERT_EQUAL_FATAL(count, 2);
	CU_ASSERT_STRING_EQUAL(findings[1].text, "tiebreaker ping without ping targets");
	CU_ASSERT_STRING_EQUAL(findings[1].field, "overrides");
	CU_ASSERT_EQUAL(findings[1].line, 4);
	CU_ASSERT(findings[1].error);
}

/* ---------------------------------------------- defaults and overrides */

static void test_topology_defaults(void)
{
	char error[HS_ERROR_MAX];
	const struct hs_node_model *node;

	/* rack1-virt1 states no timers, no switch kinds and no node ids. */
	CU_ASSERT_EQUAL_FATAL(
	    hs_topology_load(TOPOLOGY_DIR "/rack1-virt1.yaml", &topology, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(topology.timers.heartbeat_interval_ms, 200);
	CU_ASSERT_EQUAL(topology.timers.dead_time_ms, 1000);
	CU_ASSERT_EQUAL(topology.timers.wait_for_peer_ms, 10000);
	CU_ASSERT_EQUAL(topology.timers.fence_delay_ms, 500);
	CU_ASSERT_EQUAL(topology.timers.health_interval_ms, 500);
	CU_ASSERT_STRING_EQUAL(topology.tiebreaker, "ping");
	CU_ASSERT_EQUAL(topology.switches[0].kind, HS_SWITCH_SWITCH);
	CU_ASSERT_STRING_EQUAL(topology.uplink_switch, "core");
	CU_ASSERT_STRING_EQUAL(topology.gateway, "192.0.2.1");
	CU_ASSERT_EQUAL(topology.switch_link_count, 3);
	CU_ASSERT_EQUAL(topology.power_count, 2);
	node = hs_topology_node(&topology, "node2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(node);
	CU_ASSERT_EQUAL(node->id, 2);
	CU_ASSERT_STRING_EQUAL(node->model, "virt1");
	CU_ASSERT_EQUAL(node->memory_mb, 16384);
	/* A single port: no bond; ports are stored at their LAN number. */
	CU_ASSERT_EQUAL(node->interfaces[HS_NETWORK_EXTERNAL].port_count, 1);
	CU_ASSERT_STRING_EQUAL(node->interfaces[HS_NETWORK_EXTERNAL].ports[0], "LAN1");
	CU_ASSERT_TRUE(node->ports[0].used);
	CU_ASSERT_FALSE(node->ports[1].used);
	CU_ASSERT_STRING_EQUAL(node->ports[2].switch_name, "sync-b");
	CU_ASSERT_PTR_NULL(hs_topology_node(&topology, "node3"));
	/* Sizes default per model when a node does not state them. */
	CU_ASSERT_EQUAL_FATAL(hs_topology_load(TOPOLOGY_DIR "/spof-shared-switch.yaml", &topology,
					       error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(topology.nodes[0].cpu_count, 4);
	CU_ASSERT_EQUAL(topology.nodes[0].memory_mb, 8192);
	CU_ASSERT_EQUAL(topology.nodes[0].disk_gb, 480);
	CU_ASSERT_EQUAL(topology.switches[0].kind, HS_SWITCH_SWITCH);
}

static void test_scenario_defaults(void)
{
	char error[HS_ERROR_MAX];
	const struct hs_step *steps = scenario.steps;
	const struct hs_expect *expects = scenario.expects;

	CU_ASSERT_EQUAL_FATAL(
	    hs_scenario_load(FIX "s-timing.yaml", TOPOLOGY_DIR, &scenario, error, sizeof(error)),
	    0);
	/* Relative topology paths are relative to the scenario's folder. */
	CU_ASSERT_STRING_EQUAL(scenario.topology_path, FIX "../../../topologies/rack1-pair.yaml");
	CU_ASSERT_EQUAL(scenario.settle_ms, 3000);
	CU_ASSERT_EQUAL(scenario.timeout_ms, 120000);
	CU_ASSERT_FALSE(scenario.client.enabled);
	CU_ASSERT_EQUAL(scenario.step_count, 6);
	/* Unnamed steps are step<index>; the first follows "formed", the next
	 * ones the previous step; at_ms counts from "up". */
	CU_ASSERT_STRING_EQUAL(steps[0].name, "step0");
	CU_ASSERT_STRING_EQUAL(steps[0].when.anchor, "formed");
	CU_ASSERT_EQUAL(steps[0].when.delay_ms, 0);
	CU_ASSERT_EQUAL(steps[0].line, 6);
	CU_ASSERT_EQUAL(steps[0].action, HS_ACTION_HEAL);
	CU_ASSERT_STRING_EQUAL(steps[0].target, "");
	CU_ASSERT_STRING_EQUAL(steps[1].when.anchor, "up");
	CU_ASSERT_EQUAL(steps[1].when.delay_ms, 5000);
	CU_ASSERT_STRING_EQUAL(steps[1].target, "@active"); /* switchover default */
	CU_ASSERT_STRING_EQUAL(steps[2].when.anchor, "step1");
	CU_ASSERT_EQUAL(steps[2].when.delay_ms, 100);
	CU_ASSERT_STRING_EQUAL(steps[2].network, "all");
	CU_ASSERT_FALSE(steps[2].oneway);
	CU_ASSERT_STRING_EQUAL(steps[3].network, "sync");
	CU_ASSERT_TRUE(steps[3].oneway);
	CU_ASSERT_STRING_EQUAL(steps[3].target, "@standby");
	CU_ASSERT_STRING_EQUAL(steps[4].target, "node2.LAN2");
	CU_ASSERT_EQUAL(steps[4].direction, HS_DIRECTION_IN);
	CU_ASSERT_EQUAL(steps[4].loss_pct, 5);
	CU_ASSERT_EQUAL(steps[4].delay_ms, 0);
	CU_ASSERT_STRING_EQUAL(steps[5].version, "2.3.9");
	CU_ASSERT_STRING_EQUAL(steps[5].when.anchor, "up");
	/* Expectations: anchor "up" unless given, log node "any", open bounds. */
	CU_ASSERT_EQUAL(expects[0].kind, HS_EXPECT_LOG);
	CU_ASSERT_STRING_EQUAL(expects[0].anchor, "up");
	CU_ASSERT_STRING_EQUAL(expects[0].node, "any");
	CU_ASSERT_STRING_EQUAL(expects[0].log_event, "sync");
	CU_ASSERT_STRING_EQUAL(expects[0].log_text, "");
	CU_ASSERT_EQUAL(expects[1].metric, HS_METRIC_LOST_WRITES);
	CU_ASSERT_EQUAL(expects[1].min, INT64_MIN);
	CU_ASSERT_EQUAL(expects[1].max, 0);
	CU_ASSERT_EQUAL(expects[2].kind, HS_EXPECT_NO_TRANSITION);
	CU_ASSERT_STRING_EQUAL(expects[2].node, "any");
	CU_ASSERT_STRING_EQUAL(expects[2].anchor, "last");
	CU_ASSERT_EQUAL(expects[2].for_ms, 10);
}

static void test_scenario_fields(void)
{
	char error[HS_ERROR_MAX];
	const struct hs_expect *expects = scenario.expects;

	CU_ASSERT_EQUAL_FATAL(
	    hs_scenario_load(FIX "s-valid.yaml", TOPOLOGY_DIR, &scenario, error, sizeof(error)), 0);
	CU_ASSERT_STRING_EQUAL(scenario.topology_path, TOPOLOGY_DIR "/rack1-pair.yaml");
	CU_ASSERT_TRUE(scenario.client.enabled);
	CU_ASSERT_EQUAL(scenario.client.rate_per_s, 20);
	CU_ASSERT_STRING_EQUAL(scenario.client.start, "formed");
	CU_ASSERT_EQUAL(scenario.step_count, 3);
	CU_ASSERT_EQUAL(scenario.steps[0].action, HS_ACTION_POWER_OFF);
	CU_ASSERT_STRING_EQUAL(scenario.steps[0].target, "@active");
	CU_ASSERT_FALSE(scenario.steps[0].target_power);
	CU_ASSERT_STRING_EQUAL(scenario.steps[1].target, "@standby.LAN1");
	CU_ASSERT_EQUAL(scenario.expect_count, 4);
	CU_ASSERT_EQUAL(expects[0].kind, HS_EXPECT_TRANSITION);
	CU_ASSERT_STRING_EQUAL(expects[0].node, "@standby");
	CU_ASSERT_STRING_EQUAL(expects[0].from, "standby");
	CU_ASSERT_STRING_EQUAL(expects[0].to, "active");
	CU_ASSERT_STRING_EQUAL(expects[0].anchor, "cut");
	CU_ASSERT_EQUAL(expects[0].within_min_ms, 700);
	CU_ASSERT_EQUAL(expects[0].within_max_ms, 1600);
	CU_ASSERT_EQUAL(expects[0].line, 10);
	CU_ASSERT_EQUAL(expects[1].kind, HS_EXPECT_FINAL);
	CU_ASSERT_STRING_EQUAL(expects[1].to, "active");
	CU_ASSERT_EQUAL(expects[2].metric, HS_METRIC_OUTAGE_MS);
	CU_ASSERT_EQUAL(expects[2].max, 1500);
	CU_ASSERT_EQUAL(expects[3].invariant, HS_INVARIANT_SINGLE_ACTIVE);
}

/* single_active judged in a window (hasim swarm's rendering of "two active
 * only during a cut"): after + within_ms, both required. */
static void test_invariant_window(void)
{
	static const char text[] =
	    "name: window\ntopology: rack1-pair\nsteps:\n"
	    "  - {name: heal, after: formed, delay_ms: 2000, action: heal}\n"
	    "expect:\n  - {invariant: single_active, after: heal, within_ms: [3000, 9000]}\n"
	    "  - {invariant: single_active}\n";
	char error[HS_ERROR_MAX];

	CU_ASSERT_EQUAL_FATAL(hs_scenario_load_buffer("window.yaml", text, sizeof(text) - 1,
						      TOPOLOGY_DIR, &scenario, error,
						      sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(scenario.expects[0].invariant, HS_INVARIANT_SINGLE_ACTIVE);
	CU_ASSERT_STRING_EQUAL(scenario.expects[0].anchor, "heal");
	CU_ASSERT_EQUAL(scenario.expects[0].within_min_ms, 3000);
	CU_ASSERT_EQUAL(scenario.expects[0].within_max_ms, 9000);
	CU_ASSERT_EQUAL(scenario.expects[1].within_max_ms, 0); /* the whole run */
}

static void test_scenario_overrides(void)
{
	char error[HS_ERROR_MAX];
	const struct hs_node_model *node;

	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/incompatible-model.yaml", TOPOLOGY_DIR,
					       &scenario, error, sizeof(error)),
			      0);
	node = hs_topology_node(&scenario.topology, "node2");
	CU_ASSERT_STRING_EQUAL(node->model, "rack4");
	CU_ASSERT_EQUAL(node->cpu_count, 16);
	CU_ASSERT_STRING_EQUAL(node->firmware, "2.3.1");
	CU_ASSERT_STRING_EQUAL(hs_topology_node(&scenario.topology, "node1")->model, "rack1");
	/* Timers merge key by key. */
	CU_ASSERT_EQUAL(scenario.topology.timers.wait_for_peer_ms, 3000);
	CU_ASSERT_EQUAL(scenario.topology.timers.dead_time_ms, 1000);
	CU_ASSERT_EQUAL(scenario.step_count, 0);
	CU_ASSERT_FALSE(scenario.client.enabled);
	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/incompatible-firmware.yaml", TOPOLOGY_DIR,
					       &scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_STRING_EQUAL(hs_topology_node(&scenario.topology, "node2")->firmware, "2.4.0");
	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/split-brain-none.yaml", TOPOLOGY_DIR,
					       &scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_STRING_EQUAL(scenario.topology.tiebreaker, "none");
	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/split-brain-ping-isolated.yaml",
					       TOPOLOGY_DIR, &scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(scenario.topology.timers.health_interval_ms, 200);
	CU_ASSERT_EQUAL(scenario.topology.timers.heartbeat_interval_ms, 200);
}

/* ----------------------------------------------- aliases and anchors */

static void test_aliases(void)
{
	const struct hs_topology *t = &scenario.topology;
	char error[HS_ERROR_MAX], out[HS_NAME_MAX * 2], tiny[6];

	CU_ASSERT_EQUAL_FATAL(
	    hs_scenario_load(FIX "s-valid.yaml", TOPOLOGY_DIR, &scenario, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "@active", "node2", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "node2");
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "@standby", "node2", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "node1");
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "@standby", "node1", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "node2");
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "@active.LAN1", "node2", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "node2.LAN1");
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "@standby.LAN3", "node2", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "node1.LAN3");
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "node1", NULL, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "node1");
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "node2.LAN4", NULL, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "node2.LAN4");
	/* Unknown things and aliases without a formed cluster fail. */
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "@active", NULL, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "@active", "node9", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "@primary", "node1", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "node3", NULL, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "@active.LAN9", "node1", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(hs_scenario_resolve(t, "@active.LAN1", "node1", tiny, sizeof(tiny)), -1);
	/* Power domains: by name, or the domain feeding the (aliased) node. */
	CU_ASSERT_EQUAL(hs_scenario_resolve_power(t, "@active", "node1", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "pdu-a");
	CU_ASSERT_EQUAL(hs_scenario_resolve_power(t, "@standby", "node1", out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "pdu-b");
	CU_ASSERT_EQUAL(hs_scenario_resolve_power(t, "pdu-b", NULL, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "pdu-b");
	CU_ASSERT_EQUAL(hs_scenario_resolve_power(t, "pdu-z", NULL, out, sizeof(out)), -1);
	/* pdu: marks the target as a power domain. */
	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/pdu-loss.yaml", TOPOLOGY_DIR, &scenario,
					       error, sizeof(error)),
			      0);
	CU_ASSERT_TRUE(scenario.steps[0].target_power);
	CU_ASSERT_STRING_EQUAL(scenario.steps[0].target, "@active");
}

static void test_anchors(void)
{
	char error[HS_ERROR_MAX];
	const char *base = NULL;
	uint64_t offset_ms = 0;

	CU_ASSERT_EQUAL_FATAL(
	    hs_scenario_load(FIX "s-valid.yaml", TOPOLOGY_DIR, &scenario, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(hs_scenario_step_index(&scenario, "pull"), 1);
	CU_ASSERT_EQUAL(hs_scenario_step_index(&scenario, "nosuch"), -1);
	/* cut = formed + 2000, pull = cut + 0, raid = pull + 500. */
	CU_ASSERT_EQUAL(hs_scenario_anchor_time(&scenario, "raid", &base, &offset_ms), 0);
	CU_ASSERT_STRING_EQUAL(base, "formed");
	CU_ASSERT_EQUAL(offset_ms, 2500);
	CU_ASSERT_EQUAL(hs_scenario_anchor_time(&scenario, "cut", &base, &offset_ms), 0);
	CU_ASSERT_EQUAL(offset_ms, 2000);
	CU_ASSERT_EQUAL(hs_scenario_anchor_time(&scenario, "up", &base, &offset_ms), 0);
	CU_ASSERT_STRING_EQUAL(base, "up");
	CU_ASSERT_EQUAL(offset_ms, 0);
	CU_ASSERT_EQUAL(hs_scenario_anchor_time(&scenario, "nosuch", &base, &offset_ms), -1);
	CU_ASSERT_EQUAL_FATAL(
	    hs_scenario_load(FIX "s-timing.yaml", TOPOLOGY_DIR, &scenario, error, sizeof(error)),
	    0);
	/* last = step1 (up + 5000) + 250; step4 follows last. */
	CU_ASSERT_EQUAL(hs_scenario_anchor_time(&scenario, "step4", &base, &offset_ms), 0);
	CU_ASSERT_STRING_EQUAL(base, "up");
	CU_ASSERT_EQUAL(offset_ms, 5250);
	CU_ASSERT_EQUAL(hs_scenario_anchor_time(&scenario, "step2", &base, &offset_ms), 0);
	CU_ASSERT_EQUAL(offset_ms, 5100);
	CU_ASSERT_EQUAL(hs_scenario_anchor_time(&scenario, "step0", &base, &offset_ms), 0);
	CU_ASSERT_STRING_EQUAL(base, "formed");
	CU_ASSERT_EQUAL(offset_ms, 0);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(hs_action_name(HS_ACTION_POWER_OFF), "power_off");
	CU_ASSERT_STRING_EQUAL(hs_action_name(HS_ACTION_CLIENT_STOP), "client_stop");
	CU_ASSERT_STRING_EQUAL(hs_action_name(HS_ACTION_COUNT), "unknown");
	CU_ASSERT_STRING_EQUAL(hs_action_name((enum hs_action)0), "unknown");
	CU_ASSERT_STRING_EQUAL(hs_metric_name(HS_METRIC_REPORTED_LOST_WRITES),
			       "reported_lost_writes");
	CU_ASSERT_STRING_EQUAL(hs_metric_name(HS_METRIC_COUNT), "unknown");
	CU_ASSERT_STRING_EQUAL(hs_invariant_name(HS_INVARIANT_NO_SILENT_LOSS), "no_silent_loss");
	CU_ASSERT_STRING_EQUAL(hs_invariant_name((enum hs_invariant)0), "unknown");
}

/* ------------------------------------- topology override, requires, roles */

static void test_topology_override_and_requires(void)
{
	struct hs_load_options load = {.search_path = TOPOLOGY_DIR, .topology = "virt1-pair"};
	char error[HS_ERROR_MAX];

	/* The override replaces the topology; the tie-breaker override stays. */
	CU_ASSERT_EQUAL_FATAL(hs_scenario_load_with("scenarios/fence-active-power-loss.yaml", &load,
						    &scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_STRING_EQUAL(scenario.topology.name, "virt1-pair");
	CU_ASSERT_STRING_EQUAL(scenario.topology.tiebreaker, "fence");
	CU_ASSERT_STRING_EQUAL(scenario.topology_override, "virt1-pair");
	/* A requirement the topology does not meet: not applicable, with why. */
	CU_ASSERT_EQUAL(hs_scenario_load_with("scenarios/bond-port-pulled.yaml", &load, &scenario,
					      error, sizeof(error)),
			HS_LOAD_NOT_APPLICABLE);
	CU_ASSERT_STRING_EQUAL(scenario.not_applicable,
			       "needs >= 4 LAN ports per node; 'node1' (virt1) has 2");
	/* Met on its own topology; port roles became LAN ports. */
	CU_ASSERT_EQUAL_FATAL(hs_scenario_load("scenarios/bond-port-pulled.yaml", TOPOLOGY_DIR,
					       &scenario, error, sizeof(error)),
			      0);
	CU_ASSERT_STRING_EQUAL(scenario.not_applicable, "");
	CU_ASSERT_STRING_EQUAL(scenario.steps[0].target, "@active.LAN1");
	CU_ASSERT_STRING_EQUAL(scenario.steps[1].target, "@standby.LAN3");
	load.topology = "nosuch";
	CU_ASSERT_EQUAL(hs_scenario_load_with("scenarios/active-power-loss.yaml", &load, &scenario,
					      error, sizeof(error)),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "--topology nosuch: no topology 'nosuch'"));
}

/* The loader's defaults are the model table's (refimpl/core/hn_models.h). */
static void test_model_table(void)
{
	const struct hn_model_spec *rack1 = hn_model_spec_find("rack1");
	char error[HS_ERROR_MAX];

	CU_ASSERT_PTR_NOT_NULL_FATAL(rack1);
	CU_ASSERT_PTR_NULL(hn_model_spec_find("rack9"));
	CU_ASSERT_PTR_NULL(hn_model_spec_at(HN_MODEL_ROWS));
	/* spof-shared-switch states no sizes: its nodes get rack1's row. */
	CU_ASSERT_EQUAL_FATAL(hs_topology_load(TOPOLOGY_DIR "/spof-shared-switch.yaml", &topology,
					       error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(topology.nodes[0].cpu_count, rack1->cpu_count);
	CU_ASSERT_EQUAL(topology.nodes[0].memory_mb, rack1->memory_mb);
	CU_ASSERT_EQUAL(topology.nodes[0].disk_gb, rack1->disk_gb);
	/* A port the model does not have is refused. */
	CU_ASSERT_EQUAL(hs_topology_load(FIX "t-virt1-ports.yaml", &topology, error, sizeof(error)),
			-1);
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct hn_test_case tests[] = {
	    {"shipped topologies load and lint", test_shipped_topologies},
	    {"shipped scenarios load", test_shipped_scenarios},
	    {"error messages name file, line, field", test_error_messages},
	    {"missing file, short error buffer", test_error_missing_file},
	    {"lint: single points of failure", test_lint_spof},
	    {"lint: compatibility", test_lint_compatibility},
	    {"lint: tie-breaker settings", test_lint_tiebreaker},
	    {"lint: bounded output", test_lint_bounded_output},
	    {"lint: findings with lines, staged overrides", test_lint_findings},
	    {"topology defaults", test_topology_defaults},
	    {"scenario defaults", test_scenario_defaults},
	    {"invariant single_active in a window", test_invariant_window},
	    {"scenario fields", test_scenario_fields},
	    {"scenario overrides", test_scenario_overrides},
	    {"role aliases", test_aliases},
	    {"anchors", test_anchors},
	    {"enum names", test_names},
	    {"topology override, requires, port roles", test_topology_override_and_requires},
	    {"the model table", test_model_table},
	    {NULL, NULL},
	};
	return hn_test_run_suite("model", tests, NULL, NULL);
}
