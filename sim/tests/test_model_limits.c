/*
 * test_model_limits.c - CUnit tests of the limits every input file of
 * sim/model meets (yaml_read.c, model.h HS_FILE_BYTES_MAX and
 * HS_YAML_*_MAX), of the strict scalars (integers, NUL bytes, control
 * characters), of loading from memory and of telling a scenario from a
 * topology. Run from the top of the tree (make model-test runs it too).
 *
 * Big inputs are generated here, never checked in: each case builds its
 * text from the shipped topologies/rack1-pair.yaml or from scratch, loads
 * it, and compares the whole message. A limit is tested at its value
 * (accepted) and one past it (refused), so an off-by-one shows.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "test_main.h"

#define RACK1_PAIR   "topologies/rack1-pair.yaml"
#define TOPOLOGY_DIR "topologies"

static struct hs_topology topology;
static struct hs_scenario scenario;
static char folder[64]; /* a temporary folder for the file cases */

/* ------------------------------------------------------------- helpers */

struct text {
	char *data;
	size_t length, size;
};

static void text_add(struct text *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void text_add(struct text *text, const char *format, ...)
{
	va_list args;
	int needed;

	va_start(args, format);
	needed = vsnprintf(NULL, 0, format, args);
	va_end(args);
	if (text->length + (size_t)needed + 1 > text->size) {
		text->size = (text->length + (size_t)needed + 1) * 2;
		text->data = realloc(text->data, text->size);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text->data);
	}
	va_start(args, format);
	vsnprintf(text->data + text->length, text->size - text->length, format, args);
	va_end(args);
	text->length += (size_t)needed;
}

static char *file_text(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	char *data = calloc(1, HS_FILE_BYTES_MAX + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	*length = fread(data, 1, HS_FILE_BYTES_MAX, file);
	fclose(file);
	return data;
}

/* rack1-pair.yaml with the first occurrence of `from` replaced by `to`. */
static struct text rack1_pair_with(const char *from, const char *to)
{
	size_t length;
	char *original = file_text(RACK1_PAIR, &length);
	char *at = strstr(original, from);
	struct text text = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	text_add(&text, "%.*s%s%s", (int)(at - original), original, to, at + strlen(from));
	free(original);
	return text;
}

static void topology_refused(const void *data, size_t length, const char *expected)
{
	char error[HS_ERROR_MAX] = "";
	int result =
	    hs_topology_load_buffer("mem.yaml", data, length, &topology, error, sizeof(error));

	if (result != -1 || strcmp(error, expected) != 0)
		fprintf(stderr, "\n  expected %s\n  got      %s\n", expected, error);
	CU_ASSERT_EQUAL(result, -1);
	CU_ASSERT_STRING_EQUAL(error, expected);
}

static void replaced_refused(const char *from, const char *to, const char *expected)
{
	struct text text = rack1_pair_with(from, to);

	topology_refused(text.data, text.length, expected);
	free(text.data);
}

static void file_write(const char *path, const void *data, size_t length)
{
	FILE *file = fopen(path, "wb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT_EQUAL(fwrite(data, 1, length, file), length);
	fclose(file);
}

static void file_refused(const char *name, const void *data, size_t length, const char *reason)
{
	char path[128], expected[HS_ERROR_MAX], error[HS_ERROR_MAX] = "";

	snprintf(path, sizeof(path), "%s/%s", folder, name);
	snprintf(expected, sizeof(expected), "%s%s", path, reason);
	file_write(path, data, length);
	CU_ASSERT_EQUAL(hs_topology_load(path, &topology, error, sizeof(error)), -1);
	if (strcmp(error, expected) != 0)
		fprintf(stderr, "\n  expected %s\n  got      %s\n", expected, error);
	CU_ASSERT_STRING_EQUAL(error, expected);
	unlink(path);
}

/* --------------------------------------------------------------- bytes */

static void test_file_size(void)
{
	struct text text = rack1_pair_with("name: rack1-pair", "name: rack1-pair");
	char path[128], error[HS_ERROR_MAX] = "";

	/* Exactly the limit loads... */
	while (text.length + 60 < HS_FILE_BYTES_MAX)
		text_add(&text, "# padding padding padding padding padding padding padding\n");
	while (text.length < HS_FILE_BYTES_MAX - 1)
		text_add(&text, "#");
	text_add(&text, "\n");
	CU_ASSERT_EQUAL_FATAL(text.length, HS_FILE_BYTES_MAX);
	snprintf(path, sizeof(path), "%s/at-limit.yaml", folder);
	file_write(path, text.data, text.length);
	CU_ASSERT_EQUAL(hs_topology_load(path, &topology, error, sizeof(error)), 0);
	CU_ASSERT_STRING_EQUAL(topology.name, "rack1-pair");
	unlink(path);
	/* ... one byte more does not, from a file or from memory. */
	text_add(&text, "\n");
	file_refused("over-limit.yaml", text.data, text.length,
		     ":1: file: larger than 262144 bytes (the limit of a file)");
	topology_refused(text.data, text.length,
			 "mem.yaml:1: file: larger than 262144 bytes (the limit of a file)");
	free(text.data);
}

static void test_empty_and_encodings(void)
{
	static const char utf16_le[] = "\xff\xfen\0a\0m\0e\0:\0 \0x\0\n\0";
	static const char utf16_be[] = "\xfe\xff\0n\0a\0m\0e\0:\0 \0x\0\n";
	static const char utf16_bare[] = "n\0a\0m\0e\0:\0 \0x\0\n\0";
	static const char utf32_le[] = "\xff\xfe\0\0n\0\0\0";

	file_refused("empty.yaml", "", 0,
		     ":1: file: no YAML document (the file is empty or holds only comments)");
	file_refused("comments.yaml", "# nothing\n\n# here\n", 18,
		     ":1: file: no YAML document (the file is empty or holds only comments)");
	file_refused("utf16le.yaml", utf16_le, sizeof(utf16_le) - 1,
		     ":1: file: UTF-16 text (byte-order mark FF FE); halab reads UTF-8: save it "
		     "as UTF-8");
	file_refused("utf16be.yaml", utf16_be, sizeof(utf16_be) - 1,
		     ":1: file: UTF-16 text (byte-order mark FE FF); halab reads UTF-8: save it "
		     "as UTF-8");
	file_refused(
	    "utf32.yaml", utf32_le, sizeof(utf32_le) - 1,
	    ":1: file: UTF-32 text (byte-order mark); halab reads UTF-8: save it as UTF-8");
	file_refused("utf16bare.yaml", utf16_bare, sizeof(utf16_bare) - 1,
		     ":1: file: a NUL byte at column 2; halab reads UTF-8 text (is it UTF-16 "
		     "without a byte-order mark, or not text at all?)");
	file_refused("nul.yaml", "name: x\ncluster: {ip: 1\0}\n", 25,
		     ":2: file: a NUL byte at column 16; halab reads UTF-8 text (is it UTF-16 "
		     "without a byte-order mark, or not text at all?)");
	file_refused("two.yaml", "name: a\n---\nname: b\n", 20,
		     ":2: file: more than one YAML document");
}

/* ------------------------------------------------------------ structure */

static void test_nesting_depth(void)
{
	struct text text = {0};
	char expected[HS_ERROR_MAX];

	/* 16 levels load (as far as the structure goes: the content is then
	 * wrong); 17 do not. A flow of 100000 '[' once kept libyaml busy for
	 * minutes: it is refused at the 17th. */
	text_add(&text, "name: x\ncluster: ");
	for (int i = 0; i < 15; i++)
		text_add(&text, "[");
	for (int i = 0; i < 15; i++)
		text_add(&text, "]");
	text_add(&text, "\n");
	topology_refused(text.data, text.length,
			 "mem.yaml:2: cluster: expected a mapping, got a list");
	text.length = 0;
	text_add(&text, "name: x\ncluster: ");
	for (int i = 0; i < 100000; i++)
		text_add(&text, "[");
	snprintf(expected, sizeof(expected),
		 "mem.yaml:2: cluster[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested "
		 "deeper than %d levels",
		 HS_YAML_DEPTH_MAX);
	topology_refused(text.data, text.length, expected);
	/* Block style nests through indentation alike. */
	text.length = 0;
	text_add(&text, "name: x\n");
	for (int i = 0; i < 40; i++)
		text_add(&text, "%*sk%d:\n", 2 * i, "", i);
	topology_refused(
	    text.data, text.length,
	    "mem.yaml:18: k0.k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12.k13.k14.k15: nested "
	    "deeper than 16 levels");
	free(text.data);
}

static void test_collection_sizes(void)
{
	struct text text = {0};

	text_add(&text, "name: x\nswitches: [");
	for (int i = 0; i < HS_YAML_ITEMS_MAX; i++)
		text_add(&text, "%s1", i ? ", " : "");
	text_add(&text, "]\n");
	/* 256 items pass the file's limit and meet the field's (1..8). */
	topology_refused(text.data, text.length,
			 "mem.yaml:1: topology: missing required key 'cluster'");
	text.length -= 2;
	text_add(&text, ", 1]\n");
	topology_refused(text.data, text.length,
			 "mem.yaml:2: switches: more than 256 items (the limit of any list)");
	text.length = 0;
	text_add(&text, "name: x\ncluster:\n  timers:\n");
	for (int i = 0; i <= HS_YAML_ITEMS_MAX; i++)
		text_add(&text, "    k%d: 1\n", i);
	topology_refused(text.data, text.length,
			 "mem.yaml:260: cluster.timers: more than 256 keys (the limit of any "
			 "mapping)");
	/* Many small lists: the document's node count. */
	text.length = 0;
	text_add(&text, "name: x\nnodes:\n");
	for (int list = 0; list < 80; list++) {
		text_add(&text, "  - [");
		for (int i = 0; i < 250; i++)
			text_add(&text, "%s1", i ? "," : "");
		text_add(&text, "]\n");
	}
	topology_refused(text.data, text.length, "mem.yaml:68: file: more than 16384 YAML nodes");
	free(text.data);
}

static void test_scalar_length(void)
{
	struct text text = {0};

	text_add(&text, "name: x\ndescription: ");
	for (int i = 0; i < HS_YAML_SCALAR_MAX; i++)
		text_add(&text, "a");
	text_add(&text, "\n");
	/* At the file's limit, the field's own (a description is one line of
	 * at most 255 bytes) speaks. */
	topology_refused(text.data, text.length,
			 "mem.yaml:2: description: longer than 255 characters");
	text.length -= 1;
	text_add(&text, "a\n");
	topology_refused(text.data, text.length,
			 "mem.yaml:2: description: a value of 1025 bytes (at most 1024)");
	free(text.data);
}

/* Duplicate keys are found in one pass (a hash table): the duplicate at
 * the end of 256 keys, and keys whose hashes collide, all named. */
static void test_duplicate_keys(void)
{
	struct text text = {0};
	char error[HS_ERROR_MAX] = "";

	/* overrides.nodes takes any key (then checks it names a node), so the
	 * duplicate check meets all 256. */
	text_add(&text, "name: x\ntopology: rack1-pair\noverrides:\n  nodes:\n");
	for (int i = 0; i < HS_YAML_ITEMS_MAX - 1; i++)
		text_add(&text, "    k%d: {}\n", i);
	text_add(&text, "    k17: {}\n");
	CU_ASSERT_EQUAL(hs_scenario_load_buffer("mem.yaml", text.data, text.length, TOPOLOGY_DIR,
						&scenario, error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "mem.yaml:260: overrides.nodes: duplicate key 'k17'");
	free(text.data);
	replaced_refused("name: rack1-pair", "name: rack1-pair\nname: again",
			 "mem.yaml:9: topology: duplicate key 'name'");
}

/* ------------------------------------------------------------- scalars */

static void test_strict_integers(void)
{
	static const struct {
		const char *value, *reason;
	} cases[] = {
	    {"\"4\"", "'4' is quoted: write an integer without quotes"},
	    {"\" 4\"", "' 4' is quoted: write an integer without quotes"},
	    {"'+4'", "'+4' is quoted: write an integer without quotes"},
	    {"+4", "'+4' is not an integer"},
	    {"04", "'04' is not an integer"},
	    {"4.0", "'4.0' is not an integer"},
	    {"0x4", "'0x4' is not an integer"},
	    {"4_000", "'4_000' is not an integer"},
	    {"-4", "-4 is out of range 1..1024"},
	    {"99999999999999999999", "'99999999999999999999' is out of range"},
	};
	char to[64], expected[HS_ERROR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(to, sizeof(to), "cpu: %s", cases[i].value);
		snprintf(expected, sizeof(expected), "mem.yaml:31: nodes[0].cpu: %s",
			 cases[i].reason);
		replaced_refused("cpu: 4", to, expected);
	}
}

static void test_strings(void)
{
	replaced_refused("  - name: node1", "  - name: \"node1\\0x\"",
			 "mem.yaml:27: nodes[0].name: contains a NUL byte");
	replaced_refused("firmware: 2.3.1", "firmware: \"2.3.1\\0\"",
			 "mem.yaml:30: nodes[0].firmware: contains a NUL byte");
	replaced_refused("tiebreaker: ping", "tiebreaker: \"ping\\0\"",
			 "mem.yaml:12: cluster.tiebreaker: contains a NUL byte");
	replaced_refused("description: two", "description: \"a\\nb\" # two",
			 "mem.yaml:9: description: control character 0x0a at byte 2 (one line of "
			 "text expected)");
	replaced_refused("description: two", "description: \"\\e[31mred\" # two",
			 "mem.yaml:9: description: control character 0x1b at byte 1 (one line of "
			 "text expected)");
	replaced_refused("cluster:", "\"clu\\0ster\": 1\ncluster:",
			 "mem.yaml:10: topology: a key contains a NUL byte");
}

/* ---------------------------------------------------- memory, file kind */

static void test_from_memory(void)
{
	char error[HS_ERROR_MAX] = "";
	size_t length;
	char *data = file_text("sim/tests/model_fixtures/s-valid.yaml", &length);

	CU_ASSERT_EQUAL(hs_scenario_load_buffer("sim/tests/model_fixtures/s-valid.yaml", data,
						length, TOPOLOGY_DIR, &scenario, error,
						sizeof(error)),
			0);
	CU_ASSERT_STRING_EQUAL(scenario.name, "fixture");
	CU_ASSERT_EQUAL(scenario.step_count, 3);
	CU_ASSERT_STRING_EQUAL(scenario.topology.name, "rack1-pair");
	free(data);
	CU_ASSERT_EQUAL(hs_scenario_load_buffer("x/mem.yaml", "name: [", 7, TOPOLOGY_DIR, &scenario,
						error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "x/mem.yaml:2: yaml: did not find expected node content "
				      "while parsing a flow node");
}

static void kind_check(const char *name, const char *text, int result, enum hs_file_kind kind,
		       const char *reason)
{
	char path[128], expected[HS_ERROR_MAX], error[HS_ERROR_MAX] = "";
	enum hs_file_kind got;

	snprintf(path, sizeof(path), "%s/%s", folder, name);
	file_write(path, text, strlen(text));
	CU_ASSERT_EQUAL(hs_model_file_kind(path, &got, error, sizeof(error)), result);
	CU_ASSERT_EQUAL(got, kind);
	snprintf(expected, sizeof(expected), "%s%s", reason ? path : "", reason ? reason : "");
	if (reason)
		CU_ASSERT_STRING_EQUAL(error, expected);
	unlink(path);
}

/* hasim lint decides on the parsed document: a flow-style scenario is a
 * scenario, whatever its first line. */
static void test_file_kind(void)
{
	char error[HS_ERROR_MAX];
	enum hs_file_kind kind;

	CU_ASSERT_EQUAL(hs_model_file_kind(RACK1_PAIR, &kind, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(kind, HS_FILE_TOPOLOGY);
	CU_ASSERT_EQUAL(
	    hs_model_file_kind("scenarios/active-power-loss.yaml", &kind, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(kind, HS_FILE_SCENARIO);
	kind_check("flow.yaml",
		   "{name: f, topology: rack1-pair, steps: [], expect: [{invariant: "
		   "single_active}]}\n",
		   0, HS_FILE_SCENARIO, NULL);
	kind_check("late.yaml", "# a comment\nname: f\nexpect: []\n", 0, HS_FILE_SCENARIO, NULL);
	kind_check("neither.yaml", "name: f\ncolour: blue\n", -1, HS_FILE_UNKNOWN,
		   ":1: file: neither a scenario (with topology, steps, expect) nor a topology "
		   "(with cluster, switches, nodes)");
	kind_check("list.yaml", "- topology\n", -1, HS_FILE_UNKNOWN,
		   ":1: file: neither a scenario (with topology, steps, expect) nor a topology "
		   "(with cluster, switches, nodes)");
}

/* ---------------------------------------------------------------- main */

int main(void)
{
	static const struct hn_test_case tests[] = {
	    {"file size", test_file_size},
	    {"empty files and encodings", test_empty_and_encodings},
	    {"nesting depth", test_nesting_depth},
	    {"list and mapping sizes, node count", test_collection_sizes},
	    {"scalar length", test_scalar_length},
	    {"duplicate keys", test_duplicate_keys},
	    {"strict integers", test_strict_integers},
	    {"strings: NUL and control characters", test_strings},
	    {"loading from memory", test_from_memory},
	    {"scenario or topology", test_file_kind},
	    {NULL, NULL},
	};
	int status;

	snprintf(folder, sizeof(folder), "/tmp/hs-model-limits-XXXXXX");
	if (!mkdtemp(folder)) {
		perror("mkdtemp");
		return 1;
	}
	status = hn_test_run_suite("model limits", tests, NULL, NULL);
	if (rmdir(folder) != 0) /* each case removed its files */
		perror(folder);
	return status;
}
