/*
 * command.c - `hasim check RUN_DIR [SCENARIO] [--out DIR]`: judge a run
 * folder again without touching it, and the command-line helpers shared by
 * the commands that live outside hasim.c.
 *
 * A run folder holds the verdict it was given when it ran (result.json,
 * junit.xml, timeline.html); a CI system or a colleague may rely on it, so
 * judging again never overwrites it. Without --out the verdict is printed
 * (each expectation, the metrics, the summary); with --out DIR the three
 * reports are written into DIR, which must be new or empty. The scenario
 * is the one given, else the copy the runner keeps in the folder
 * (RUN_DIR/scenario.yaml, its topology looked up in RUN_DIR/topologies when
 * that exists), else the file run.json names (scenario_path, relative to
 * the current folder), which may have changed since the run: the command
 * says which it used.
 */
#include "command.h"
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_TOPOLOGY_DIR "topologies"

/* ------------------------------------------------------------- helpers */

int hs_command_usage_error(const char *command, const char *usage, const char *format, ...)
{
	va_list arguments;

	fprintf(stderr, "hasim %s: ", command);
	va_start(arguments, format);
	vfprintf(stderr, format, arguments);
	va_end(arguments);
	fprintf(stderr, "\nusage: hasim %s", usage);
	return HS_EXIT_USAGE;
}

int hs_command_option_error(const char *command, const char *usage, int option, char **argv)
{
	const char *written = argv[optind - 1];

	if (option == ':')
		return hs_command_usage_error(command, usage, "option '%s' needs a value", written);
	if (optopt && strncmp(written, "--", 2) != 0)
		return hs_command_usage_error(command, usage, "unknown option '-%c'", optopt);
	return hs_command_usage_error(command, usage, "unknown option '%s'", written);
}

int hs_command_new_folder(const char *path, char *error, size_t error_size)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	bool empty = true;

	if (!dir && errno == ENOENT) {
		if (mkdir(path, 0755) == 0)
			return 0;
		snprintf(error, error_size, "cannot make folder %s: %s", path, strerror(errno));
		return -1;
	}
	if (!dir) {
		snprintf(error, error_size, "cannot open folder %s: %s", path, strerror(errno));
		return -1;
	}
	while (empty && (entry = readdir(dir)))
		empty = strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0;
	closedir(dir);
	if (empty)
		return 0;
	snprintf(error, error_size, "folder %s is not empty; choose a new one", path);
	return -1;
}

static bool is_folder(const char *path)
{
	struct stat info;
	return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

/* ------------------------------------------------------------- scenario */

/* run.json's scenario_path into path ("" when it has none). */
static void run_scenario_path(const char *run_dir, char *path, size_t path_size)
{
	char file[HS_PATH_MAX + 32];
	json_error_t json_error;
	json_t *root;

	path[0] = '\0';
	snprintf(file, sizeof(file), "%s/run.json", run_dir);
	root = json_load_file(file, 0, &json_error);
	if (json_is_string(json_object_get(root, "scenario_path")))
		snprintf(path, path_size, "%s",
			 json_string_value(json_object_get(root, "scenario_path")));
	json_decref(root);
}

/* A run made with --topology: its run.json's topology_override, and the
 * run folder's copy of that topology into path; "" otherwise. */
static void run_topology_override(const char *run_dir, char *path, size_t path_size)
{
	char file[HS_PATH_MAX + 32];
	const char *topology, *base;
	json_error_t json_error;
	json_t *root;

	path[0] = '\0';
	snprintf(file, sizeof(file), "%s/run.json", run_dir);
	root = json_load_file(file, 0, &json_error);
	topology = json_string_value(json_object_get(root, "topology_path"));
	if (json_is_string(json_object_get(root, "topology_override")) && topology) {
		base = strrchr(topology, '/');
		snprintf(path, path_size, "%s/topologies/%s", run_dir, base ? base + 1 : topology);
	}
	json_decref(root);
}

/* The scenario to judge with (see the top of the file); prints where it
 * came from when it was not given, and the loader's error when it does not
 * load. */
static int scenario_find(const char *run_dir, const char *given, const char *topology_dir,
			 struct hs_scenario *scenario)
{
	char path[HS_PATH_MAX + 32], topologies[HS_PATH_MAX + 32], error[HS_ERROR_MAX];
	char override[HS_PATH_MAX + 64];
	struct hs_load_options load = {.search_path = topologies};
	struct stat info;

	snprintf(path, sizeof(path), "%s", given ? given : "");
	snprintf(topologies, sizeof(topologies), "%s", topology_dir);
	if (!given) {
		snprintf(path, sizeof(path), "%s/scenario.yaml", run_dir);
		snprintf(topologies, sizeof(topologies), "%s/topologies", run_dir);
		if (!is_folder(topologies))
			snprintf(topologies, sizeof(topologies), "%s", topology_dir);
		if (stat(path, &info) == 0) {
			fprintf(stderr, "hasim check: judging against %s (the scenario as run)\n",
				path);
		} else {
			run_scenario_path(run_dir, path, sizeof(path));
			snprintf(topologies, sizeof(topologies), "%s", topology_dir);
			if (!path[0]) {
				fprintf(stderr,
					"hasim check: %s has no scenario.yaml and its run.json no "
					"scenario_path: name the scenario (hasim check RUN_DIR "
					"SCENARIO)\n",
					run_dir);
				return -1;
			}
			fprintf(stderr,
				"hasim check: judging against %s (run.json's scenario_path; it may "
				"have changed since the run)\n",
				path);
		}
	}
	/* A run on another topology than its scenario's (--topology) is
	 * judged on the topology it ran on. */
	run_topology_override(run_dir, override, sizeof(override));
	load.topology = override[0] ? override : NULL;
	if (hs_scenario_load_with(path, &load, scenario, error, sizeof(error)) < 0) {
		fprintf(stderr, "%s\n", error);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- verdict */

static void print_metrics(const struct hs_check_result *result)
{
	printf("metrics:");
	for (int metric = HS_METRIC_FAILOVER_MS; metric < HS_METRIC_COUNT; metric++) {
		const struct hs_check_metric *value = &result->metrics[metric];
		printf("%s %s ", metric == HS_METRIC_FAILOVER_MS ? "" : ",",
		       hs_check_metric_name(metric));
		if (value->known)
			printf("%" PRId64, value->value);
		else
			printf("unknown (%s)", value->note);
		if (metric == HS_METRIC_OUTAGE_MS && result->resolution_ms > 0)
			printf(" (the client's resolution: %" PRId64 " ms)", result->resolution_ms);
	}
	putchar('\n');
}

static void print_verdict(const struct hs_check_result *result, const char *run_dir,
			  const char *out_dir)
{
	static const char *const verdicts[] = {"FAIL", "PASS", "SKIP"};
	char reproduce[HS_PATH_MAX + 96];

	for (uint32_t i = 0; i < result->expect_count; i++) {
		const struct hs_check_expect_result *expect = &result->expects[i];
		printf("%s [%u] %s: %s: %s\n", verdicts[expect->skipped ? 2 : expect->passed],
		       expect->index, hs_check_expect_kind_name(expect->kind), expect->description,
		       expect->message);
	}
	print_metrics(result);
	for (uint32_t i = 0; i < result->failure_count; i++)
		fprintf(stderr, "FAIL: %s\n", result->failures[i]);
	printf("%s %s (%s backend, seed %" PRIu64 "): %s\n", result->passed ? "PASS" : "FAIL",
	       result->scenario, result->backend, result->seed,
	       result->passed ? "every expectation held" : "see failures above");
	if (out_dir)
		printf("  report: %s/result.json (%s untouched)\n", out_dir, run_dir);
	else
		printf("  judged %s; nothing written (--out DIR writes the reports)\n", run_dir);
	hs_check_reproducer(result, reproduce, sizeof(reproduce));
	if (!result->passed)
		printf("  reproduce: %s\n", reproduce);
}

/* ------------------------------------------------------------- command */

struct check_options {
	const char *topology_dir, *out, *run_dir, *scenario;
};

static int options_parse(int argc, char **argv, struct check_options *options, int *exit_code)
{
	static const struct option long_options[] = {{"topology-dir", required_argument, NULL, 't'},
						     {"out", required_argument, NULL, 'o'},
						     {"help", no_argument, NULL, 'h'},
						     {NULL, 0, NULL, 0}};
	int option;

	while ((option = getopt_long(argc, argv, ":t:o:h", long_options, NULL)) != -1) {
		if (option == 't') {
			options->topology_dir = optarg;
		} else if (option == 'o') {
			options->out = optarg;
		} else if (option == 'h') {
			printf("usage: hasim %s", HS_CHECK_USAGE);
			*exit_code = HS_EXIT_PASSED;
			return -1;
		} else {
			*exit_code = hs_command_option_error("check", HS_CHECK_USAGE, option, argv);
			return -1;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		*exit_code =
		    argc - optind < 1
			? hs_command_usage_error("check", HS_CHECK_USAGE, "missing argument")
			: hs_command_usage_error("check", HS_CHECK_USAGE,
						 "unexpected argument '%s'", argv[optind + 2]);
		return -1;
	}
	if (options->out && !options->out[0]) {
		*exit_code =
		    hs_command_usage_error("check", HS_CHECK_USAGE, "--out needs a folder");
		return -1;
	}
	options->run_dir = argv[optind];
	options->scenario = argc - optind == 2 ? argv[optind + 1] : NULL;
	return 0;
}

int hs_check_command(int argc, char **argv)
{
	struct check_options options = {.topology_dir = DEFAULT_TOPOLOGY_DIR};
	struct hs_scenario *scenario = calloc(1, sizeof(*scenario));
	struct hs_check_result *result = calloc(1, sizeof(*result));
	char error[HS_ERROR_MAX];
	int exit_code = HS_EXIT_INFRA;

	if (!scenario || !result)
		goto cleanup;
	if (options_parse(argc, argv, &options, &exit_code) < 0)
		goto cleanup;
	exit_code = HS_EXIT_USAGE;
	if (!is_folder(options.run_dir)) {
		fprintf(stderr, "hasim check: %s is not a run folder\n", options.run_dir);
		goto cleanup;
	}
	if (scenario_find(options.run_dir, options.scenario, options.topology_dir, scenario) < 0)
		goto cleanup;
	if (options.out && hs_command_new_folder(options.out, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim check: --out: %s\n", error);
		goto cleanup;
	}
	exit_code = HS_EXIT_INFRA;
	if (hs_check_run(scenario, options.run_dir, result, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim check: cannot judge %s: %s\n", options.run_dir, error);
		goto cleanup;
	}
	if (options.out && hs_report_write(result, options.out, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim check: %s\n", error);
		goto cleanup;
	}
	print_verdict(result, options.run_dir, options.out);
	exit_code = result->passed ? HS_EXIT_PASSED : HS_EXIT_FAILED;
cleanup:
	hs_check_result_release(result);
	free(result);
	free(scenario);
	return exit_code;
}
