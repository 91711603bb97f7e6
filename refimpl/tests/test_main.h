/*
 * test_main.h - shared helpers of the core's CUnit binary (test_core) and
 * the runner of the one-suite CUnit binaries.
 *
 * A struct hn_test_node drives ONE core by hand: the test plays the peer
 * (builds its heartbeats and data messages) and the clock, and inspects the
 * actions of the last step. Two-node behaviour is tested through the
 * fixture (fixture.h). Each test file registers its suite with one
 * hn_test_register_* function called from test_core_main.c.
 *
 * The end of this file is also the runner of the one-suite CUnit binaries
 * (test_proto, and sim/tests' test_fabric, test_model and test_check,
 * compiled with -Irefimpl/tests -Irefimpl/core by sim/sim.mk): their
 * main() lists its tests in a struct hn_test_case table and returns
 * hn_test_run_suite(), a static inline function that needs only CUnit, so
 * they link nothing of test_core_main.c.
 */
#ifndef HN_TEST_MAIN_H
#define HN_TEST_MAIN_H

#include "hn_core.h"

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

struct hn_test_node {
	struct hn_node *node;
	struct hn_config config;
	struct hn_actions actions;
	uint64_t now_ms;
};

/* Node `node_id` ("node<id>") with default config and the tie-breaker. */
void hn_test_node_create(struct hn_test_node *test, uint32_t node_id,
			 enum hn_tiebreaker tiebreaker);
void hn_test_node_free(struct hn_test_node *test);
int hn_test_step(struct hn_test_node *test, const struct hn_event *event, uint64_t now_ms);
void hn_test_start(struct hn_test_node *test, uint64_t now_ms);
void hn_test_tick(struct hn_test_node *test, uint64_t now_ms);
/* Tick at every deadline up to and including until_ms. */
void hn_test_run_until(struct hn_test_node *test, uint64_t until_ms);
void hn_test_health(struct hn_test_node *test, const struct hn_health *health, uint64_t now_ms);
void hn_test_admin(struct hn_test_node *test, enum hn_admin_command command, uint64_t now_ms);
void hn_test_data(struct hn_test_node *test, const struct hn_data_message *data, uint64_t now_ms);
void hn_test_write(struct hn_test_node *test, uint64_t request_id, const char *key,
		   const char *value, uint64_t now_ms);

/* A healthy heartbeat of the peer (id, "node<id>", defaults' identity). */
void hn_test_peer_heartbeat(struct hn_heartbeat *heartbeat, uint32_t node_id, enum hn_role role,
			    enum hn_state state);
/* The same heartbeat on both links at now_ms. */
void hn_test_heartbeat_both(struct hn_test_node *test, const struct hn_heartbeat *heartbeat,
			    uint64_t now_ms);

size_t hn_test_count(const struct hn_actions *actions, enum hn_action_kind kind);
/* Index of the nth action of this kind, or -1. */
int hn_test_find(const struct hn_actions *actions, enum hn_action_kind kind, size_t nth);
/* The first LOG action with this event, or NULL. */
const struct hn_log_record *hn_test_find_log(const struct hn_actions *actions, const char *event);
/* The reason of the first LOG with this event, or "(no log)": safe to compare. */
const char *hn_test_log_reason(const struct hn_actions *actions, const char *event);
/* The reason of the node's newest transition (status), or "". */
const char *hn_test_last_transition(const struct hn_test_node *test);
/* The reply (client or admin) of the last step, or NULL. */
const struct hn_action *hn_test_find_reply(const struct hn_actions *actions,
					   enum hn_action_kind kind);
/* The nth SEND_DATA message of the last step, or NULL. */
const struct hn_data_message *hn_test_find_data(const struct hn_actions *actions, size_t nth);
void hn_test_status(const struct hn_test_node *test, struct hn_status *status);
enum hn_role hn_test_role(const struct hn_test_node *test);
enum hn_state hn_test_state(const struct hn_test_node *test);

int hn_test_register_fsm(void);
int hn_test_register_store(void);
int hn_test_register_compat(void);
int hn_test_register_fixture(void);
int hn_test_register_rules(void);
int hn_test_register_defects(void);
int hn_test_register_events(void);

/* Add a suite from a NULL-terminated table; returns -1 on a CUnit error. */
struct hn_test_case {
	const char *name;
	void (*function)(void);
};
int hn_test_add_suite(const char *name, const struct hn_test_case *cases);

/* Runs one suite `name` of the NULL-terminated `cases` (setup and teardown
 * around each test, either may be NULL) with CUnit's verbose report; 0 if
 * every assertion passed, 1 if one failed or CUnit itself failed. */
static inline int hn_test_run_suite(const char *name, const struct hn_test_case *cases,
				    CU_SetUpFunc setup, CU_TearDownFunc teardown)
{
	int status = 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite suite = CU_add_suite_with_setup_and_teardown(name, NULL, NULL, setup, teardown);
	if (suite == NULL)
		goto cleanup;
	for (const struct hn_test_case *test = cases; test->name != NULL; test++) {
		if (CU_add_test(suite, test->name, test->function) == NULL)
			goto cleanup;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	if (CU_get_error() == CUE_SUCCESS && CU_get_number_of_failures() == 0 &&
	    CU_get_number_of_tests_failed() == 0)
		status = 0;
cleanup:
	CU_cleanup_registry();
	return status;
}

#endif
