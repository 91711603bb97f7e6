/*
 * test_compat.c - CUnit suite "compat": every model pair and firmware rule
 * of SPEC "Compatibility" with the exact reason strings, the symmetry of
 * the verdict, and the names/parsers of names.c.
 */
#include "test_main.h"

#include <stdio.h>
#include <string.h>

struct hn_compat_case {
	const char *model_a, *model_b;
	uint32_t cpu_b, memory_b, disk_b; /* b's resources; a has the defaults 4/8192/500 */
	const char *firmware_a, *firmware_b;
	uint32_t protocol_b;
	enum hn_compat_verdict verdict;
	const char *reason;
};

static const struct hn_compat_case hn_compat_cases[] = {
    {"rack1", "rack1", 4, 8192, 500, "1.0.0", "1.0.0", 1, HN_COMPAT_OK, ""},
    {"rack4", "rack4", 4, 8192, 500, "1.0.0", "1.0.0", 1, HN_COMPAT_OK, ""},
    {"rack1", "rack4", 4, 8192, 500, "1.0.0", "1.0.0", 1, HN_COMPAT_REFUSED,
     "models rack1 and rack4 cannot form a cluster"},
    {"rack4", "rack1", 4, 8192, 500, "1.0.0", "1.0.0", 1, HN_COMPAT_REFUSED,
     "models rack4 and rack1 cannot form a cluster"},
    {"rack1", "virt1", 4, 8192, 500, "1.0.0", "1.0.0", 1, HN_COMPAT_OK, ""},
    {"rack4", "virt1", 8, 16384, 1000, "1.0.0", "1.0.0", 1, HN_COMPAT_OK, ""},
    {"rack1", "virt1", 2, 8192, 500, "1.0.0", "1.0.0", 1, HN_COMPAT_REFUSED,
     "virt1 has 2 CPUs, fewer than the rack1's 4"},
    {"rack4", "virt1", 3, 8192, 500, "1.0.0", "1.0.0", 1, HN_COMPAT_REFUSED,
     "virt1 has 3 CPUs, fewer than the rack4's 4"},
    {"rack1", "virt1", 4, 4096, 500, "1.0.0", "1.0.0", 1, HN_COMPAT_REFUSED,
     "virt1 has 4096 MB memory, less than the rack1's 8192 MB"},
    {"rack1", "virt1", 4, 8192, 100, "1.0.0", "1.0.0", 1, HN_COMPAT_REFUSED,
     "virt1 has 100 GB disk, less than the rack1's 500 GB"},
    {"virt1", "virt1", 1, 1024, 10, "1.0.0", "1.0.0", 1, HN_COMPAT_WARN,
     "virt1+virt1 is not supported in production"},
    {"rack1", "rack1", 4, 8192, 500, "1.3.0", "1.3.7", 1, HN_COMPAT_OK, ""},
    {"rack1", "rack1", 4, 8192, 500, "1.3.0", "1.4.2", 1, HN_COMPAT_REFUSED,
     "firmware 1.3.0 and 1.4.2 differ in major.minor"},
    {"rack1", "rack1", 4, 8192, 500, "2.3.0", "1.3.0", 1, HN_COMPAT_REFUSED,
     "firmware 2.3.0 and 1.3.0 differ in major.minor"},
    {"rack1", "rack4", 4, 8192, 500, "1.3.0", "1.4.0", 1, HN_COMPAT_REFUSED,
     "firmware 1.3.0 and 1.4.0 differ in major.minor"},
    {"rack1", "rack1", 4, 8192, 500, "1.0.0", "1.0.0", 2, HN_COMPAT_REFUSED,
     "protocol versions 1 and 2 differ"},
    {NULL, NULL, 0, 0, 0, NULL, NULL, 0, HN_COMPAT_OK, NULL},
};

static void hn_compat_identity(struct hn_identity *identity, uint32_t node_id, const char *model,
			       const char *firmware)
{
	struct hn_config config;
	hn_config_defaults(&config);
	*identity = config.self;
	identity->node_id = node_id;
	CU_ASSERT_FATAL(hn_model_parse(model, &identity->model) == 0);
	CU_ASSERT_FATAL(hn_version_parse(firmware, &identity->firmware) == 0);
}

static void test_compat_table(void)
{
	for (const struct hn_compat_case *c = hn_compat_cases; c->model_a != NULL; c++) {
		struct hn_identity a, b;
		char reason[HN_REASON_MAX], reverse_reason[HN_REASON_MAX];
		hn_compat_identity(&a, 1, c->model_a, c->firmware_a);
		hn_compat_identity(&b, 2, c->model_b, c->firmware_b);
		b.cpu_count = c->cpu_b;
		b.memory_mb = c->memory_b;
		b.disk_gb = c->disk_b;
		enum hn_compat_verdict verdict =
		    hn_compat_check(&a, &b, 1, c->protocol_b, reason, sizeof(reason));
		CU_ASSERT_EQUAL(verdict, c->verdict);
		CU_ASSERT_STRING_EQUAL(reason, c->reason);
		if (verdict != c->verdict || strcmp(reason, c->reason) != 0)
			fprintf(stderr, "\n  case %s+%s %s/%s: got %d \"%s\"\n", c->model_a,
				c->model_b, c->firmware_a, c->firmware_b, verdict, reason);
		/* symmetric verdict: both nodes refuse each other alike */
		CU_ASSERT_EQUAL(hn_compat_check(&b, &a, c->protocol_b, 1, reverse_reason,
						sizeof(reverse_reason)),
				c->verdict);
	}
}

static void test_compat_unknown_model_and_null_reason(void)
{
	struct hn_identity a, b;
	char reason[HN_REASON_MAX];
	hn_compat_identity(&a, 1, "rack1", "1.0.0");
	hn_compat_identity(&b, 2, "rack1", "1.0.0");
	b.model = (enum hn_model)99;
	CU_ASSERT_EQUAL(hn_compat_check(&a, &b, 1, 1, reason, sizeof(reason)), HN_COMPAT_REFUSED);
	CU_ASSERT_STRING_EQUAL(reason, "unknown model");
	CU_ASSERT_EQUAL(hn_compat_check(&a, &b, 1, 1, NULL, 0), HN_COMPAT_REFUSED);
}

static void test_names_roundtrip(void)
{
	enum hn_model model;
	enum hn_tiebreaker tiebreaker;
	for (int i = 0; i < HN_MODEL_COUNT; i++) {
		CU_ASSERT(hn_model_parse(hn_model_name((enum hn_model)i), &model) == 0);
		CU_ASSERT_EQUAL(model, i);
	}
	for (int i = HN_TIEBREAKER_NONE; i <= HN_TIEBREAKER_FENCE; i++) {
		CU_ASSERT(hn_tiebreaker_parse(hn_tiebreaker_name((enum hn_tiebreaker)i),
					      &tiebreaker) == 0);
		CU_ASSERT_EQUAL(tiebreaker, i);
	}
	CU_ASSERT(hn_model_parse("rack2", &model) == -1);
	CU_ASSERT(hn_model_parse(NULL, &model) == -1);
	CU_ASSERT(hn_tiebreaker_parse("Ping", &tiebreaker) == -1);
	CU_ASSERT_STRING_EQUAL(hn_model_name((enum hn_model)7), "unknown");
	CU_ASSERT_STRING_EQUAL(hn_tiebreaker_name((enum hn_tiebreaker)7), "unknown");
	CU_ASSERT_STRING_EQUAL(hn_role_name(HN_ROLE_ACTIVE), "active");
	CU_ASSERT_STRING_EQUAL(hn_role_name(HN_ROLE_STANDBY), "standby");
	CU_ASSERT_STRING_EQUAL(hn_role_name((enum hn_role)5), "unknown");
	const char *states[] = {"starting", "normal",	    "maintenance", "fault",
				"isolated", "disconnected", "standalone"};
	for (int i = 0; i < HN_STATE_COUNT; i++)
		CU_ASSERT_STRING_EQUAL(hn_state_name((enum hn_state)i), states[i]);
	CU_ASSERT_STRING_EQUAL(hn_state_name(HN_STATE_COUNT), "unknown");
}

/* One table of admin command names: every command round-trips, and both
 * spellings of force start are the same command. */
static void test_admin_command_names(void)
{
	static const struct {
		enum hn_admin_command command;
		const char *name;
	} cases[] = {
	    {HN_ADMIN_MAINTENANCE_ON, "maintenance on"},
	    {HN_ADMIN_MAINTENANCE_OFF, "maintenance off"},
	    {HN_ADMIN_SWITCHOVER, "switchover"},
	    {HN_ADMIN_DISCONNECT, "disconnect"},
	    {HN_ADMIN_RECONNECT, "reconnect"},
	    {HN_ADMIN_DISBAND, "disband"},
	    {HN_ADMIN_FORCE_START, "force start"},
	    {HN_ADMIN_SETTING_SET, "setting set"},
	};
	enum hn_admin_command command;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_STRING_EQUAL(hn_admin_command_name(cases[i].command), cases[i].name);
		CU_ASSERT(hn_admin_command_parse(cases[i].name, &command) == 0);
		CU_ASSERT_EQUAL(command, cases[i].command);
	}
	CU_ASSERT(hn_admin_command_parse("force-start", &command) == 0);
	CU_ASSERT_EQUAL(command, HN_ADMIN_FORCE_START);
	CU_ASSERT(hn_admin_command_parse("maintenance-on", &command) == -1);
	CU_ASSERT(hn_admin_command_parse("", &command) == -1);
	CU_ASSERT(hn_admin_command_parse(NULL, &command) == -1);
	CU_ASSERT_PTR_NULL(hn_admin_command_name((enum hn_admin_command)99));
}

static void test_version_parse(void)
{
	struct hn_version version = {9, 9, 9};
	CU_ASSERT(hn_version_parse("1.4.2", &version) == 0);
	CU_ASSERT(version.major == 1 && version.minor == 4 && version.patch == 2);
	CU_ASSERT(hn_version_parse("0.0.0", &version) == 0);
	CU_ASSERT(hn_version_parse("65535.0.1", &version) == 0);
	CU_ASSERT_EQUAL(version.major, 65535);
	const char *bad[] = {"",       "1",	     "1.2",    "1.2.3.4", "1.2.x",
			     "01.2.3", "65536.0.0",  "-1.2.3", "1..3",	  " 1.2.3",
			     "1.2.3 ", "123456.1.1", NULL};
	for (int i = 0; bad[i] != NULL; i++) {
		CU_ASSERT(hn_version_parse(bad[i], &version) == -1);
	}
	CU_ASSERT(hn_version_parse(NULL, &version) == -1);
	CU_ASSERT(version.major == 65535 && version.minor == 0 && version.patch == 1);
}

int hn_test_register_compat(void)
{
	static const struct hn_test_case cases[] = {
	    {"model and firmware table", test_compat_table},
	    {"unknown model, NULL reason", test_compat_unknown_model_and_null_reason},
	    {"names round trip", test_names_roundtrip},
	    {"version parser", test_version_parse},
	    {"admin command names", test_admin_command_names},
	    {NULL, NULL},
	};
	return hn_test_add_suite("compat", cases);
}
