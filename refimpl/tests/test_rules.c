/*
 * test_rules.c - CUnit suite "rules": the transition table itself
 * (refimpl/core/rules.c) and what is built from it.
 *
 * - the checked-in diagram (refimpl/core/transitions.txt) is exactly what
 *   hn_rules_diagram() draws from the table: a change of the table without
 *   `make core-diagram` fails here, and so does a hand edit of the diagram;
 * - every row is well formed: a non-empty from set, a condition and its
 *   name, a reason whose placeholders all exist, a target that is a real
 *   role/state (never an active node starting, in maintenance, fault or
 *   isolated), and a row that stays says what it does;
 * - the core's files include only the headers of their own layer and the
 *   layers below (node.h's list), so the call graph has no cycles.
 *
 * HN_SOURCE_DIR (set by core.mk) is the top of the repository.
 */
#include "rules.h"
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HN_SOURCE_DIR
#define HN_SOURCE_DIR "."
#endif

#define HN_TEST_DIAGRAM_MAX (256 * 1024)

/* Reads a whole file into a NUL-terminated buffer (caller frees), or NULL. */
static char *hn_read_file(const char *relative)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", HN_SOURCE_DIR, relative);
	FILE *file = fopen(path, "r");
	if (file == NULL)
		return NULL;
	char *text = calloc(1, HN_TEST_DIAGRAM_MAX);
	size_t length = text != NULL ? fread(text, 1, HN_TEST_DIAGRAM_MAX - 1, file) : 0;
	fclose(file);
	if (text != NULL)
		text[length] = '\0';
	return text;
}

static void test_rules_diagram_matches(void)
{
	char *expected = hn_read_file("refimpl/core/transitions.txt");
	char *drawn = calloc(1, HN_TEST_DIAGRAM_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(expected);
	CU_ASSERT_PTR_NOT_NULL_FATAL(drawn);
	CU_ASSERT(hn_rules_diagram(drawn, HN_TEST_DIAGRAM_MAX) > 0);
	if (strcmp(expected, drawn) != 0) {
		size_t line = 1, at = 0;
		while (expected[at] != '\0' && expected[at] == drawn[at])
			line += expected[at++] == '\n';
		fprintf(stderr,
			"\n  refimpl/core/transitions.txt differs from the table at line %zu;"
			" run make core-diagram\n",
			line);
		CU_FAIL("the diagram and the table disagree");
	}
	CU_ASSERT(hn_rules_diagram(drawn, 100) == -1); /* too small: refused, not cut */
	free(expected);
	free(drawn);
}

static void test_rules_rows_well_formed(void)
{
	struct hn_config config;
	struct hn_node *node = calloc(1, hn_node_size());
	CU_ASSERT_PTR_NOT_NULL_FATAL(node);
	hn_config_defaults(&config);
	CU_ASSERT_FATAL(hn_node_init(node, &config, NULL, 0) == 0);
	uint32_t impossible =
	    HN_AT(HN_ROLE_ACTIVE, HN_STATE_STARTING) | HN_AT(HN_ROLE_ACTIVE, HN_STATE_MAINTENANCE) |
	    HN_AT(HN_ROLE_ACTIVE, HN_STATE_FAULT) | HN_AT(HN_ROLE_ACTIVE, HN_STATE_ISOLATED);
	bool triggered[HN_ON_TRIGGER_COUNT] = {false};
	CU_ASSERT(hn_rules_count() > 20);
	for (size_t i = 0; i < hn_rules_count(); i++) {
		const struct hn_rule *rule = hn_rules_row(i);
		struct hn_reason_args args = {.ms = 1};
		char reason[HN_REASON_MAX];
		CU_ASSERT(rule->from != 0 && (rule->from & impossible) == 0);
		CU_ASSERT_PTR_NOT_NULL(rule->condition);
		CU_ASSERT(rule->condition_name != NULL && rule->condition_name[0] != '\0');
		CU_ASSERT((unsigned)rule->trigger < HN_ON_TRIGGER_COUNT);
		triggered[rule->trigger] = true;
		bool stays = rule->to_role == HN_KEEP && rule->to_state == HN_KEEP;
		CU_ASSERT(!stays || rule->effects != 0 || rule->log_event != NULL);
		CU_ASSERT(stays || rule->reason != NULL);
		if (rule->to_role == HN_ROLE_ACTIVE)
			CU_ASSERT(rule->to_state == HN_STATE_NORMAL);
		if (rule->reason != NULL) {
			hn_reason_expand(node, rule->reason, &args, reason, sizeof(reason));
			CU_ASSERT_PTR_NULL(strchr(reason, '{'));
			if (strchr(reason, '{') != NULL)
				fprintf(stderr, "\n  row %zu: unknown placeholder in \"%s\"\n",
					i + 1, rule->reason);
		}
		for (int bit = 0; bit < HN_FX_COUNT; bit++) {
			if (rule->effects & (1u << bit))
				CU_ASSERT_PTR_NOT_NULL(hn_effect_name(1u << bit));
		}
	}
	for (int trigger = 0; trigger < HN_ON_TRIGGER_COUNT; trigger++) {
		CU_ASSERT(triggered[trigger]);
		CU_ASSERT_STRING_NOT_EQUAL(hn_trigger_name((enum hn_trigger)trigger), "unknown");
	}
	CU_ASSERT_STRING_EQUAL(hn_trigger_name(HN_ON_TRIGGER_COUNT), "unknown");
	CU_ASSERT_PTR_NULL(hn_rules_row(hn_rules_count()));
	CU_ASSERT_PTR_NULL(hn_effect_name(3));
	free(node);
}

/* The includes of each core file: its own layer and the layers below. */
static void test_rules_layers(void)
{
	static const struct {
		const char *file;
		const char *allowed; /* space-separated headers it may include */
	} files[] = {
	    {"emit.c", "node.h"},
	    {"store.c", "node.h"},
	    {"transition.c", "transition.h"},
	    {"rules.c", "rules.h"},
	    {"diagram.c", "rules.h"},
	    {"admin.c", "rules.h"},
	    {"fsm.c", "rules.h"},
	    {"names.c", "hn_core.h hn_models.h"}, /* hn_models.h: the model table, no includes */
	    {"compat.c", "hn_core.h hn_models.h"},
	    {"proto.c", "hn_core.h"},
	    {"node.h", "hn_core.h store.h"},
	    {"store.h", "hn_core.h"},
	    {"transition.h", "node.h"},
	    {"rules.h", "transition.h"},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256];
		snprintf(path, sizeof(path), "refimpl/core/%s", files[i].file);
		char *text = hn_read_file(path);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		for (char *at = strstr(text, "#include \""); at != NULL;
		     at = strstr(at + 1, "#include \"")) {
			char header[64];
			if (sscanf(at, "#include \"%63[^\"]\"", header) != 1)
				continue;
			char needle[72];
			snprintf(needle, sizeof(needle), " %s ", header);
			char allowed[128];
			snprintf(allowed, sizeof(allowed), " %s ", files[i].allowed);
			if (strstr(allowed, needle) == NULL) {
				fprintf(stderr, "\n  %s includes %s, above its layer\n",
					files[i].file, header);
				CU_FAIL("a core file includes a header above its layer");
			}
		}
		free(text);
	}
}

int hn_test_register_rules(void)
{
	static const struct hn_test_case cases[] = {
	    {"diagram matches the table", test_rules_diagram_matches},
	    {"rows are well formed", test_rules_rows_well_formed},
	    {"layers: includes only go down", test_rules_layers},
	    {NULL, NULL},
	};
	return hn_test_add_suite("rules", cases);
}
