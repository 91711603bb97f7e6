/*
 * test_core_main.c - main() of the core's CUnit binary test_core, and the
 * single-node helpers of test_main.h.
 *
 * Runs the suites fsm, store, compat, rules, fixture, defects and events; exits 1 if any
 * assertion failed (or CUnit itself failed), 0 otherwise. An optional
 * argument runs only the suite of that name (e.g. `test_core fixture`);
 * `test_core --diagram` prints the transition table's diagram instead
 * (make core-diagram writes it to refimpl/core/transitions.txt).
 */
#include "rules.h"
#include "test_main.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------- one node */

void hn_test_node_create(struct hn_test_node *test, uint32_t node_id, enum hn_tiebreaker tiebreaker)
{
	char error[HN_REASON_MAX];
	memset(test, 0, sizeof(*test));
	hn_config_defaults(&test->config);
	test->config.self.node_id = node_id;
	snprintf(test->config.self.name, sizeof(test->config.self.name), "node%u", node_id);
	test->config.tiebreaker = tiebreaker;
	test->node = calloc(1, hn_node_size());
	CU_ASSERT_FATAL(test->node != NULL);
	CU_ASSERT_FATAL(hn_node_init(test->node, &test->config, error, sizeof(error)) == 0);
}

void hn_test_node_free(struct hn_test_node *test)
{
	free(test->node);
	test->node = NULL;
}

int hn_test_step(struct hn_test_node *test, const struct hn_event *event, uint64_t now_ms)
{
	test->now_ms = now_ms;
	int result = hn_node_step(test->node, event, now_ms, &test->actions);
	CU_ASSERT(test->actions.count < HN_ACTIONS_MAX);
	return result;
}

void hn_test_start(struct hn_test_node *test, uint64_t now_ms)
{
	struct hn_event event = {.kind = HN_EVENT_START};
	CU_ASSERT(hn_test_step(test, &event, now_ms) == 0);
}

void hn_test_tick(struct hn_test_node *test, uint64_t now_ms)
{
	struct hn_event event = {.kind = HN_EVENT_TICK};
	CU_ASSERT(hn_test_step(test, &event, now_ms) == 0);
}

void hn_test_run_until(struct hn_test_node *test, uint64_t until_ms)
{
	for (int steps = 0; steps < 100000; steps++) {
		uint64_t deadline = hn_node_next_deadline_ms(test->node);
		if (deadline > until_ms)
			return;
		hn_test_tick(test, deadline);
	}
	CU_FAIL("hn_test_run_until: deadline does not move");
}

void hn_test_health(struct hn_test_node *test, const struct hn_health *health, uint64_t now_ms)
{
	struct hn_event event = {.kind = HN_EVENT_HEALTH};
	event.u.health = *health;
	CU_ASSERT(hn_test_step(test, &event, now_ms) == 0);
}

void hn_test_admin(struct hn_test_node *test, enum hn_admin_command command, uint64_t now_ms)
{
	struct hn_event event = {.kind = HN_EVENT_ADMIN};
	event.u.admin.command = command;
	event.u.admin.request_id = 77;
	CU_ASSERT(hn_test_step(test, &event, now_ms) == 0);
}

void hn_test_data(struct hn_test_node *test, const struct hn_data_message *data, uint64_t now_ms)
{
	struct hn_event event = {.kind = HN_EVENT_DATA, .link = HN_LINK_SYNC};
	event.u.data = *data;
	CU_ASSERT(hn_test_step(test, &event, now_ms) == 0);
}

void hn_test_write(struct hn_test_node *test, uint64_t request_id, const char *key,
		   const char *value, uint64_t now_ms)
{
	struct hn_event event = {.kind = HN_EVENT_CLIENT_WRITE};
	event.u.write.request_id = request_id;
	snprintf(event.u.write.key, sizeof(event.u.write.key), "%s", key);
	snprintf(event.u.write.value, sizeof(event.u.write.value), "%s", value);
	CU_ASSERT(hn_test_step(test, &event, now_ms) == 0);
}

void hn_test_peer_heartbeat(struct hn_heartbeat *heartbeat, uint32_t node_id, enum hn_role role,
			    enum hn_state state)
{
	struct hn_config config;
	hn_config_defaults(&config);
	memset(heartbeat, 0, sizeof(*heartbeat));
	heartbeat->protocol_version = HN_PROTOCOL_VERSION;
	heartbeat->sender = config.self;
	heartbeat->sender.node_id = node_id;
	snprintf(heartbeat->sender.name, sizeof(heartbeat->sender.name), "node%u", node_id);
	heartbeat->role = role;
	heartbeat->state = state;
	heartbeat->health = (struct hn_health){true, true, 1, 1, false};
}

/* Two steps; test->actions holds the actions of both, in order. */
void hn_test_heartbeat_both(struct hn_test_node *test, const struct hn_heartbeat *heartbeat,
			    uint64_t now_ms)
{
	static struct hn_actions merged;
	merged.count = 0;
	for (int link = 0; link < HN_LINKS; link++) {
		struct hn_event event = {.kind = HN_EVENT_HEARTBEAT, .link = (enum hn_link)link};
		event.u.heartbeat = *heartbeat;
		CU_ASSERT(hn_test_step(test, &event, now_ms) == 0);
		for (size_t i = 0; i < test->actions.count && merged.count < HN_ACTIONS_MAX; i++)
			merged.items[merged.count++] = test->actions.items[i];
	}
	test->actions = merged;
}

/* --------------------------------------------------------- inspection */

size_t hn_test_count(const struct hn_actions *actions, enum hn_action_kind kind)
{
	size_t count = 0;
	for (size_t i = 0; i < actions->count; i++)
		count += actions->items[i].kind == kind;
	return count;
}

int hn_test_find(const struct hn_actions *actions, enum hn_action_kind kind, size_t nth)
{
	for (size_t i = 0; i < actions->count; i++) {
		if (actions->items[i].kind == kind && nth-- == 0)
			return (int)i;
	}
	return -1;
}

const struct hn_log_record *hn_test_find_log(const struct hn_actions *actions, const char *event)
{
	for (size_t i = 0; i < actions->count; i++) {
		if (actions->items[i].kind == HN_ACTION_LOG &&
		    strcmp(actions->items[i].u.log.event, event) == 0)
			return &actions->items[i].u.log;
	}
	return NULL;
}

const char *hn_test_log_reason(const struct hn_actions *actions, const char *event)
{
	const struct hn_log_record *log = hn_test_find_log(actions, event);
	return log != NULL ? log->reason : "(no log)";
}

const char *hn_test_last_transition(const struct hn_test_node *test)
{
	static struct hn_status status;
	hn_node_status(test->node, test->now_ms, &status);
	if (status.transition_count == 0)
		return "";
	return status.transitions[status.transition_count - 1].reason;
}

const struct hn_action *hn_test_find_reply(const struct hn_actions *actions,
					   enum hn_action_kind kind)
{
	int index = hn_test_find(actions, kind, 0);
	return index < 0 ? NULL : &actions->items[index];
}

const struct hn_data_message *hn_test_find_data(const struct hn_actions *actions, size_t nth)
{
	int index = hn_test_find(actions, HN_ACTION_SEND_DATA, nth);
	return index < 0 ? NULL : &actions->items[index].u.data;
}

void hn_test_status(const struct hn_test_node *test, struct hn_status *status)
{
	hn_node_status(test->node, test->now_ms, status);
}

enum hn_role hn_test_role(const struct hn_test_node *test)
{
	struct hn_status status;
	hn_test_status(test, &status);
	return status.role;
}

enum hn_state hn_test_state(const struct hn_test_node *test)
{
	struct hn_status status;
	hn_test_status(test, &status);
	return status.state;
}

/* -------------------------------------------------------------- main */

int hn_test_add_suite(const char *name, const struct hn_test_case *cases)
{
	CU_pSuite suite = CU_add_suite(name, NULL, NULL);
	if (suite == NULL)
		return -1;
	for (const struct hn_test_case *test = cases; test->name != NULL; test++) {
		if (CU_add_test(suite, test->name, test->function) == NULL)
			return -1;
	}
	return 0;
}

static int hn_test_print_diagram(void)
{
	static char text[256 * 1024];
	if (hn_rules_diagram(text, sizeof(text)) < 0) {
		fprintf(stderr, "test_core: the diagram does not fit %zu bytes\n", sizeof(text));
		return 1;
	}
	fputs(text, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	int status = 1;
	if (argc > 1 && strcmp(argv[1], "--diagram") == 0)
		return hn_test_print_diagram();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (hn_test_register_fsm() != 0 || hn_test_register_store() != 0 ||
	    hn_test_register_compat() != 0 || hn_test_register_rules() != 0 ||
	    hn_test_register_fixture() != 0 || hn_test_register_defects() != 0 ||
	    hn_test_register_events() != 0) {
		fprintf(stderr, "test_core: cannot register suites: %s\n", CU_get_error_msg());
		goto cleanup;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (argc > 1) {
		CU_pSuite suite = CU_get_suite(argv[1]);
		if (suite == NULL) {
			fprintf(stderr, "test_core: no suite %s\n", argv[1]);
			goto cleanup;
		}
		CU_basic_run_suite(suite);
	} else {
		CU_basic_run_tests();
	}
	status = CU_get_error() == CUE_SUCCESS && CU_get_number_of_failures() == 0 ? 0 : 1;
cleanup:
	CU_cleanup_registry();
	return status;
}
