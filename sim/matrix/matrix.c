/*
 * matrix.c - `hasim matrix` and `hasim matrix merge`: options, the
 * sequence plan -> (list | exec) -> report, and the merge of matrix
 * folders made on several machines (shards) into one report.
 *
 * Exit codes: 0 every run that applies passed (and at least one ran), 1
 * some failed or could not run, 2 bad input, 130 interrupted (the runs
 * done so far are still reported).
 */
#include "matrix.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2

static int usage_error(const char *format, const char *value)
{
	fprintf(stderr, "hasim matrix: ");
	fprintf(stderr, format, value);
	fprintf(stderr, "\nusage: hasim " HS_MATRIX_USAGE);
	return EXIT_USAGE;
}

static bool number_parse(const char *text, uint64_t *value)
{
	return hs_decimal_parse(text, UINT64_MAX, value);
}

/* "A..B" */
static bool seeds_parse(const char *text, uint64_t *first, uint64_t *last)
{
	const char *dots = strstr(text, "..");
	char left[32];

	if (!dots || (size_t)(dots - text) >= sizeof(left))
		return false;
	snprintf(left, sizeof(left), "%.*s", (int)(dots - text), text);
	return number_parse(left, first) && number_parse(dots + 2, last) && *first <= *last &&
	       *last - *first < 100000;
}

/* "I/N", 1 <= I <= N */
static bool shard_parse(const char *text, uint32_t *index, uint32_t *count)
{
	uint64_t i, n;
	const char *slash = strchr(text, '/');
	char left[32];

	if (!slash || (size_t)(slash - text) >= sizeof(left))
		return false;
	snprintf(left, sizeof(left), "%.*s", (int)(slash - text), text);
	if (!number_parse(left, &i) || !number_parse(slash + 1, &n) || i < 1 || i > n || n > 100000)
		return false;
	*index = (uint32_t)i;
	*count = (uint32_t)n;
	return true;
}

static bool folder_has_files(const char *path)
{
	char file[HS_PATH_MAX + 16];

	snprintf(file, sizeof(file), "%s/matrix.json", path);
	return access(file, F_OK) == 0;
}

static int options_parse(int argc, char **argv, struct hs_matrix_options *options)
{
	static const struct option long_options[] = {{"topologies", required_argument, NULL, 'T'},
						     {"scenarios", required_argument, NULL, 'S'},
						     {"repeat", required_argument, NULL, 'r'},
						     {"seeds", required_argument, NULL, 's'},
						     {"backend", required_argument, NULL, 'b'},
						     {"jobs", required_argument, NULL, 'j'},
						     {"shard", required_argument, NULL, 'x'},
						     {"out", required_argument, NULL, 'o'},
						     {"topology-dir", required_argument, NULL, 't'},
						     {"models", required_argument, NULL, 'm'},
						     {"certify", no_argument, NULL, 'c'},
						     {"nodes", required_argument, NULL, 'n'},
						     {"list", no_argument, NULL, 'l'},
						     {"quiet", no_argument, NULL, 'q'},
						     {"help", no_argument, NULL, 'h'},
						     {NULL, 0, NULL, 0}};
	bool repeat_given = false, seeds_given = false;
	uint64_t value;
	int option;

	opterr = 0;
	optind = 1;
	while ((option = getopt_long(argc, argv, ":T:S:r:s:b:j:x:o:t:m:n:clqh", long_options,
				     NULL)) != -1) {
		switch (option) {
		case 'T':
			snprintf(options->topologies, sizeof(options->topologies), "%s", optarg);
			break;
		case 'S':
			if (options->scenario_count >= 256)
				return usage_error("too many --scenarios (at most %s)", "256");
			options->scenarios[options->scenario_count++] = optarg;
			break;
		case 'r':
			if (!number_parse(optarg, &value) || value < 1 || value > 10000)
				return usage_error("--repeat takes 1..10000, not '%s'", optarg);
			options->seed_first = 1;
			options->seed_last = value;
			repeat_given = true;
			break;
		case 's':
			if (!seeds_parse(optarg, &options->seed_first, &options->seed_last))
				return usage_error("--seeds takes A..B (A <= B, at most 100000 "
						   "seeds), not '%s'",
						   optarg);
			seeds_given = true;
			break;
		case 'b':
			if (strcmp(optarg, "virtual") && strcmp(optarg, "native") &&
			    strcmp(optarg, "libvirt"))
				return usage_error(
				    "--backend takes virtual, native or libvirt, not "
				    "'%s'",
				    optarg);
			options->backend = optarg;
			break;
		case 'j':
			if (!number_parse(optarg, &value) || value < 1 || value > 64)
				return usage_error("--jobs takes 1..64, not '%s'", optarg);
			options->jobs = (uint32_t)value;
			break;
		case 'x':
			if (!shard_parse(optarg, &options->shard_index, &options->shard_count))
				return usage_error("--shard takes I/N with 1 <= I <= N, not '%s'",
						   optarg);
			break;
		case 'o':
			if (!optarg[0])
				return usage_error("--out needs a folder%s", "");
			snprintf(options->out, sizeof(options->out), "%s", optarg);
			break;
		case 't':
			hs_search_path_add(options->search_path, sizeof(options->search_path),
					   optarg);
			break;
		case 'm':
			snprintf(options->models, sizeof(options->models), "%s", optarg);
			break;
		case 'c':
			options->certify = true;
			break;
		case 'n':
			if (!optarg[0] || strlen(optarg) >= sizeof(options->nodes))
				return usage_error("--nodes takes NAME[:PROFILE],... (at most 1023 "
						   "characters), not '%s'",
						   optarg);
			snprintf(options->nodes, sizeof(options->nodes), "%s", optarg);
			break;
		case 'l':
			options->list = true;
			break;
		case 'q':
			options->quiet = true;
			break;
		case 'h':
			printf("usage: hasim " HS_MATRIX_USAGE);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s' (scenarios go after --scenarios)",
				   argv[optind]);
	if (repeat_given && seeds_given)
		return usage_error("--repeat and --seeds exclude each other%s", "");
	/* --certify: at least 5 repeats of every cell. */
	if (options->certify && options->seed_last - options->seed_first + 1 < 5)
		options->seed_last = options->seed_first + 4;
	hs_search_path_defaults(options->search_path, sizeof(options->search_path));
	if (!options->out[0]) {
		char stamp[32];
		time_t now = time(NULL);

		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
		snprintf(options->out, sizeof(options->out), "reports/matrix-%s", stamp);
		mkdir("reports", 0755);
	}
	return -1; /* go on */
}

static void list_runs(json_t *runs)
{
	json_t *run;
	size_t index;

	json_array_foreach(runs, index, run)
	{
		const char *status = json_string_value(json_object_get(run, "status"));
		char name[HS_PATH_MAX];

		hs_matrix_run_name(run, name, sizeof(name));
		if (strcmp(status, "pending") == 0)
			printf("%s\n", name);
		else
			fprintf(stderr, "%s %s: %s\n", status, name,
				json_string_value(json_object_get(run, "reason")));
	}
}

static int verdict(json_t *document, const char *out)
{
	json_t *totals = json_object_get(document, "totals");
	bool passed = json_is_true(json_object_get(document, "passed"));

	printf("%s: %" JSON_INTEGER_FORMAT " runs, %" JSON_INTEGER_FORMAT
	       " passed, %" JSON_INTEGER_FORMAT " failed, %" JSON_INTEGER_FORMAT
	       " errors, %" JSON_INTEGER_FORMAT " skipped\n  report: %s/report.html\n",
	       passed ? "PASS" : "FAIL", json_integer_value(json_object_get(totals, "runs")),
	       json_integer_value(json_object_get(totals, "pass")),
	       json_integer_value(json_object_get(totals, "fail")),
	       json_integer_value(json_object_get(totals, "error")),
	       json_integer_value(json_object_get(totals, "skip")), out);
	return passed ? 0 : 1;
}

/* ---------------------------------------------------------------- merge */

/* The path of target relative to folder (both made absolute). */
static void relative_to(const char *folder, const char *target, char *out, size_t size)
{
	char from[PATH_MAX], to[PATH_MAX];
	size_t common = 0, used = 0;

	if (!realpath(folder, from) || !realpath(target, to)) {
		snprintf(out, size, "%s", target);
		return;
	}
	for (size_t i = 0; from[i] && from[i] == to[i]; i++)
		if (from[i + 1] == '/' || from[i + 1] == '\0')
			common = i + 1;
	if (to[common] != '/' && to[common] != '\0')
		common = 0;
	out[0] = '\0';
	for (const char *c = from + common; *c; c++)
		if (*c == '/' && used < size)
			used += (size_t)snprintf(out + used, size - used, "../");
	snprintf(out + used, used < size ? size - used : 0, "%s",
		 to[common] == '/' ? to + common + 1 : to + common);
}

/* The canonical order: nodes as first given (order["node:NAME"]), then
 * topologies (order["NAME"]), scenarios, seeds. */
static json_int_t node_rank(json_t *order, json_t *run)
{
	char key[HS_PATH_MAX + 8];
	const char *node = json_string_value(json_object_get(run, "node"));

	snprintf(key, sizeof(key), "node:%s", node ? node : "");
	return json_integer_value(json_object_get(order, key));
}

static int run_compare(const void *a, const void *b, void *order)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t nx = node_rank(order, x), ny = node_rank(order, y);
	json_int_t tx = json_integer_value(
		       json_object_get(order, json_string_value(json_object_get(x, "topology")))),
		   ty = json_integer_value(
		       json_object_get(order, json_string_value(json_object_get(y, "topology"))));
	int scenario = strcmp(json_string_value(json_object_get(x, "scenario")),
			      json_string_value(json_object_get(y, "scenario")));
	json_int_t sx = json_integer_value(json_object_get(x, "seed")),
		   sy = json_integer_value(json_object_get(y, "seed"));

	if (nx != ny)
		return nx < ny ? -1 : 1;
	if (tx != ty)
		return tx < ty ? -1 : 1;
	if (scenario)
		return scenario;
	return sx < sy ? -1 : sx > sy;
}

static int command_merge(int argc, char **argv, const char *halab_version)
{
	json_t *topologies = json_array(), *runs = json_array(), *seen = json_object(),
	       *order = json_object(), *document = NULL, *nodes = json_array();
	const char *out, *backend = NULL;
	json_t **items = NULL;
	int exit_code = EXIT_USAGE;
	size_t count;

	if (argc < 3) {
		fprintf(stderr, "hasim matrix merge: needs OUT and at least one matrix folder\n"
				"usage: hasim " HS_MATRIX_USAGE);
		goto cleanup;
	}
	out = argv[1];
	if (folder_has_files(out)) {
		fprintf(stderr, "hasim matrix merge: %s holds a matrix already; choose another\n",
			out);
		goto cleanup;
	}
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "hasim matrix merge: %s: %s\n", out, strerror(errno));
		goto cleanup;
	}
	for (int i = 2; i < argc; i++) {
		char path[HS_PATH_MAX + 16];
		json_error_t error;
		json_t *shard, *value;
		size_t index;

		snprintf(path, sizeof(path), "%s/matrix.json", argv[i]);
		shard = json_load_file(path, 0, &error);
		if (!shard || strcmp(json_string_value(json_object_get(shard, "format")) ?: "",
				     HS_MATRIX_FORMAT) != 0) {
			fprintf(stderr, "hasim matrix merge: %s: %s\n", path,
				shard ? "not a " HS_MATRIX_FORMAT " file" : error.text);
			json_decref(shard);
			goto cleanup;
		}
		if (!backend)
			backend = json_string_value(json_object_get(shard, "backend"));
		json_array_foreach(json_object_get(shard, "topologies"), index, value)
		{
			const char *name = json_string_value(json_object_get(value, "name"));
			if (!json_object_get(order, name)) {
				json_object_set_new(
				    order, name,
				    json_integer((json_int_t)json_array_size(topologies)));
				json_array_append(topologies, value);
			}
		}
		json_array_foreach(json_object_get(shard, "nodes"), index, value)
		{
			char key[HS_PATH_MAX + 8];

			snprintf(key, sizeof(key), "node:%s",
				 json_string_value(json_object_get(value, "node")));
			if (!json_object_get(order, key)) {
				json_object_set_new(
				    order, key, json_integer((json_int_t)json_array_size(nodes)));
				/* Without the totals of one shard: computed again below. */
				json_array_append_new(
				    nodes,
				    json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "node",
					      json_object_get(value, "node"), "adapter",
					      json_object_get(value, "adapter"), "profile",
					      json_object_get(value, "profile"), "description",
					      json_object_get(value, "description"), "capabilities",
					      json_object_get(value, "capabilities"), "backends",
					      json_object_get(value, "backends")));
			}
		}
		json_array_foreach(json_object_get(shard, "runs"), index, value)
		{
			char key[HS_PATH_MAX], relative[PATH_MAX], target[PATH_MAX];
			json_t *run = json_deep_copy(value);

			hs_matrix_run_name(run, key, sizeof(key));
			if (json_object_get(seen, key)) {
				fprintf(stderr,
					"hasim matrix merge: run %s is in both %s and %s: merge "
					"shards of one matrix, each once\n",
					key, json_string_value(json_object_get(seen, key)),
					argv[i]);
				json_decref(run);
				json_decref(shard);
				goto cleanup;
			}
			json_object_set_new(seen, key, json_string(argv[i]));
			if (json_is_string(json_object_get(run, "run_dir"))) {
				snprintf(target, sizeof(target), "%s/%s", argv[i],
					 json_string_value(json_object_get(run, "run_dir")));
				relative_to(out, target, relative, sizeof(relative));
				json_object_set_new(run, "run_dir", json_string(relative));
			}
			json_array_append_new(runs, run);
		}
		json_decref(shard);
	}
	count = json_array_size(runs);
	items = calloc(count ? count : 1, sizeof(*items));
	for (size_t i = 0; i < count; i++)
		items[i] = json_incref(json_array_get(runs, i));
	qsort_r(items, count, sizeof(*items), run_compare, order);
	json_array_clear(runs);
	for (size_t i = 0; i < count; i++)
		json_array_append_new(runs, items[i]);
	document = hs_matrix_document(halab_version, backend ? backend : "unknown", "merged",
				      topologies, runs);
	if (json_array_size(nodes))
		hs_matrix_document_nodes(document, nodes);
	if (hs_matrix_write(out, document) < 0) {
		exit_code = 3;
		goto cleanup;
	}
	exit_code = verdict(document, out);
cleanup:
	free(items);
	json_decref(document);
	json_decref(topologies);
	json_decref(runs);
	json_decref(seen);
	json_decref(order);
	json_decref(nodes);
	return exit_code;
}

/* ----------------------------------------------------------------- main */

int hs_matrix_main(int argc, char **argv, const char *self, const char *halab_version)
{
	struct hs_matrix_options *options;
	json_t *topologies = NULL, *runs = NULL, *document = NULL, *nodes = NULL;
	char shard[32];
	int exit_code, executed = 0;

	if (argc >= 2 && strcmp(argv[1], "merge") == 0)
		return command_merge(argc - 1, argv + 1, halab_version);
	options = calloc(1, sizeof(*options));
	if (!options)
		return 3;
	*options = (struct hs_matrix_options){.backend = "virtual",
					      .jobs = 1,
					      .seed_first = 1,
					      .seed_last = 1,
					      .shard_index = 1,
					      .shard_count = 1};
	snprintf(options->self, sizeof(options->self), "%s", self);
	snprintf(options->halab_version, sizeof(options->halab_version), "%s", halab_version);
	exit_code = options_parse(argc, argv, options);
	if (exit_code >= 0)
		goto cleanup;
	exit_code = EXIT_USAGE;
	if (hs_matrix_plan(options, &topologies, &runs) < 0)
		goto cleanup;
	if (options->list) {
		list_runs(runs);
		exit_code = 0;
		goto cleanup;
	}
	if (folder_has_files(options->out)) {
		fprintf(stderr,
			"hasim matrix: %s holds a matrix already; remove it or choose "
			"another --out\n",
			options->out);
		goto cleanup;
	}
	if (mkdir(options->out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "hasim matrix: %s: %s\n", options->out, strerror(errno));
		goto cleanup;
	}
	executed = hs_matrix_exec(options, runs);
	snprintf(shard, sizeof(shard), "%" PRIu32 "/%" PRIu32, options->shard_index,
		 options->shard_count);
	document = hs_matrix_document(halab_version, options->backend, shard, topologies, runs);
	if (options->nodes[0] && hs_matrix_plan_nodes(options, &nodes) == 0)
		hs_matrix_document_nodes(document, nodes);
	if (hs_matrix_write(options->out, document) < 0) {
		exit_code = 3;
		goto cleanup;
	}
	exit_code = executed < 0 ? 130 : verdict(document, options->out);
cleanup:
	json_decref(document);
	json_decref(topologies);
	json_decref(runs);
	json_decref(nodes);
	free(options);
	return exit_code;
}
