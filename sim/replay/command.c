/*
 * command.c - `hasim replay NODE1.log NODE2.log [--topology T] [--out FILE]
 * [--run] [--backend B] [--topology-dir DIR] [--run-dir DIR]`.
 *
 * Reads the two logs, reconstructs the incident (logread.c, clock.c,
 * infer*.c), loads the topology it is staged on (--topology, else
 * rack1-pair or its -fence/-none copy when the logs show that tie-breaker)
 * and writes the scenario (write.c) to --out FILE or stdout; then checks
 * that what it wrote loads, since a replay that cannot run is worth
 * nothing. --run runs it as a child process (`hasim run FILE --backend B
 * --out DIR --quiet`; B defaults to virtual when this hasim has that
 * backend, else native) and prints where the run diverges from the field
 * (diverge.c). The exit status: 0 written (and, with --run, reproduced),
 * 1 the run diverged, 2 bad input (a log that cannot be replayed, a bad
 * option), 3 the run could not be carried out.
 */
#include "replay.h"
#include "../check/command.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct replay_options {
	const char *logs[HS_REPLAY_LOGS];
	const char *topology, *out, *backend, *topology_dir, *run_dir;
	/* Where a bare topology name is looked up: --topology-dir, then
	 * $HALAB_TOPOLOGY_PATH and halab's shipped topologies (as for hasim
	 * run), never the current folder: logs sit wherever the engineer put
	 * them. */
	char search_path[HS_SEARCH_PATH_MAX];
	bool run;
};

static int options_parse(int argc, char **argv, struct replay_options *options, int *exit_code)
{
	static const struct option long_options[] = {{"topology", required_argument, NULL, 'T'},
						     {"out", required_argument, NULL, 'o'},
						     {"run", no_argument, NULL, 'r'},
						     {"backend", required_argument, NULL, 'b'},
						     {"topology-dir", required_argument, NULL, 't'},
						     {"run-dir", required_argument, NULL, 'd'},
						     {"help", no_argument, NULL, 'h'},
						     {NULL, 0, NULL, 0}};
	int option;

	while ((option = getopt_long(argc, argv, ":T:o:rb:t:d:h", long_options, NULL)) != -1) {
		switch (option) {
		case 'T':
			options->topology = optarg;
			break;
		case 'o':
			options->out = optarg;
			break;
		case 'r':
			options->run = true;
			break;
		case 'b':
			options->backend = optarg;
			break;
		case 't':
			options->topology_dir = optarg;
			break;
		case 'd':
			options->run_dir = optarg;
			break;
		case 'h':
			printf("usage: hasim %s", HS_REPLAY_USAGE);
			*exit_code = HS_EXIT_PASSED;
			return -1;
		default:
			*exit_code =
			    hs_command_option_error("replay", HS_REPLAY_USAGE, option, argv);
			return -1;
		}
	}
	if (argc - optind != HS_REPLAY_LOGS) {
		*exit_code = argc - optind < HS_REPLAY_LOGS
				 ? hs_command_usage_error("replay", HS_REPLAY_USAGE,
							  "needs two logs, one per node")
				 : hs_command_usage_error("replay", HS_REPLAY_USAGE,
							  "unexpected argument '%s'",
							  argv[optind + HS_REPLAY_LOGS]);
		return -1;
	}
	if ((options->backend || options->run_dir) && !options->run) {
		*exit_code = hs_command_usage_error("replay", HS_REPLAY_USAGE,
						    "--backend and --run-dir go with --run");
		return -1;
	}
	options->logs[0] = argv[optind];
	options->logs[1] = argv[optind + 1];
	return 0;
}

/* ------------------------------------------------------------- topology */

/* The first FOLDER/NAME.yaml along search_path ("A:B"); -1 if none. */
static int topology_find(const char *search_path, const char *name, char *path, size_t size)
{
	const char *folder = search_path;

	while (folder && *folder) {
		const char *end = strchr(folder, ':');
		int length = end ? (int)(end - folder) : (int)strlen(folder);
		if (length > 0) {
			snprintf(path, size, "%.*s/%s.yaml", length, folder, name);
			if (access(path, R_OK) == 0)
				return 0;
		}
		folder = end ? end + 1 : NULL;
	}
	return -1;
}

/* The topology as the scenario names it, and loaded. */
static int topology_choose(const struct hs_replay_incident *incident,
			   const struct replay_options *options, char *reference,
			   size_t reference_size, struct hs_topology *topology)
{
	char path[HS_PATH_MAX * 2], error[HS_ERROR_MAX];
	const char *chosen = options->topology;

	if (!chosen)
		chosen = strcmp(incident->tiebreaker, "fence") == 0  ? "rack1-pair-fence"
			 : strcmp(incident->tiebreaker, "none") == 0 ? "rack1-pair-none"
								     : "rack1-pair";
	if (strchr(chosen, '/') || strstr(chosen, ".yaml")) {
		char absolute[PATH_MAX];
		snprintf(path, sizeof(path), "%s", chosen);
		/* The scenario may be written elsewhere: name the file absolutely. */
		snprintf(reference, reference_size, "%s",
			 realpath(chosen, absolute) ? absolute : chosen);
	} else if (topology_find(options->search_path, chosen, path, sizeof(path)) < 0) {
		fprintf(stderr,
			"hasim replay: --topology: no topology '%s' in the search path (%s); "
			"name a file, or add its folder with --topology-dir\n",
			chosen, options->search_path[0] ? options->search_path : "empty");
		return -1;
	} else {
		snprintf(reference, reference_size, "%s", chosen);
	}
	if (hs_topology_load(path, topology, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim replay: --topology: %s\n", error);
		return -1;
	}
	if (topology->node_count != HS_REPLAY_LOGS) {
		fprintf(stderr, "hasim replay: %s has %u nodes; a replay needs a pair\n", path,
			topology->node_count);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- running */

/* argv as a child of this hasim; its exit status, or -1. out_text gets
 * what it printed on stdout (when not NULL; with both_streams, on stderr
 * too), as much as fits: the rest is read and dropped, so that a child
 * never waits on a full pipe. */
static int child_run(char *const argv[], char *out_text, size_t out_size, bool both_streams)
{
	int pipe_fds[2] = {-1, -1}, status;
	pid_t pid;

	if (out_text && pipe(pipe_fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out_text) {
			dup2(pipe_fds[1], STDOUT_FILENO);
			if (both_streams)
				dup2(pipe_fds[1], STDERR_FILENO);
			close(pipe_fds[0]);
			close(pipe_fds[1]);
		}
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (out_text) {
		size_t used = 0;
		ssize_t got;
		char dropped[4096];
		close(pipe_fds[1]);
		while ((got = used + 1 < out_size
				  ? read(pipe_fds[0], out_text + used, out_size - 1 - used)
				  : read(pipe_fds[0], dropped, sizeof(dropped))) > 0)
			if (used + 1 < out_size)
				used += (size_t)got;
		out_text[used] = '\0';
		close(pipe_fds[0]);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* virtual when this hasim's run knows it, else native. */
static const char *default_backend(void)
{
	char *argv[] = {"hasim", "run", "--help", NULL};
	char text[4096];
	return child_run(argv, text, sizeof(text), false) == 0 && strstr(text, "virtual")
		   ? "virtual"
		   : "native";
}

/* The run's reproducer (run.json's "reproduce"), to stage it again. */
static void reproducer_print(const char *run_dir)
{
	char path[HS_PATH_MAX + 16];
	json_error_t ignored;
	json_t *run;
	const char *line;

	snprintf(path, sizeof(path), "%s/run.json", run_dir);
	run = json_load_file(path, 0, &ignored);
	line = json_string_value(json_object_get(run, "reproduce"));
	if (line)
		printf("run it again: %s\n", line);
	json_decref(run);
}

static int replay_run(const struct hs_replay_incident *incident, const struct hs_topology *topology,
		      const struct replay_options *options, const char *scenario_path,
		      const char *run_dir)
{
	char error[HS_ERROR_MAX];
	const char *backend = options->backend ? options->backend : default_backend();
	/* hasim run looks along $HALAB_TOPOLOGY_PATH and the shipped folder
	 * itself; only a --topology-dir given here is passed on. */
	char *argv[] = {"hasim",
			"run",
			(char *)scenario_path,
			"--backend",
			(char *)backend,
			"--out",
			(char *)run_dir,
			"--quiet",
			options->topology_dir ? "--topology-dir" : NULL,
			(char *)options->topology_dir,
			NULL};
	static char child_output[65536];
	int status, divergences;

	fprintf(stderr, "hasim replay: running %s on the %s backend -> %s\n", scenario_path,
		backend, run_dir);
	fflush(NULL);
	/* What the run prints (its FAIL lines) is said again, in the field's
	 * terms, by the divergence report: it is shown only when the run
	 * could not be carried out. */
	status = child_run(argv, child_output, sizeof(child_output), true);
	if (status != 0 && status != 1) {
		fputs(child_output, stderr);
		fprintf(stderr,
			"hasim replay: the run could not be carried out (hasim run exited "
			"%d); see above\n",
			status);
		return HS_EXIT_INFRA;
	}
	divergences = hs_replay_diverge(incident, topology, run_dir, stdout, error, sizeof(error));
	if (divergences < 0) {
		fprintf(stderr, "hasim replay: %s\n", error);
		return HS_EXIT_INFRA;
	}
	if (divergences || status != 0)
		reproducer_print(run_dir);
	return divergences ? HS_EXIT_FAILED : HS_EXIT_PASSED;
}

/* ------------------------------------------------------------- command */

/* The scenario file: --out, else (for --run) beside the run folder. */
static void paths_choose(const struct replay_options *options, char *scenario, size_t scenario_size,
			 char *run_dir, size_t run_dir_size)
{
	char stamp[32];
	time_t now = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
	if (options->run_dir)
		snprintf(run_dir, run_dir_size, "%s", options->run_dir);
	else
		snprintf(run_dir, run_dir_size, "reports/replay-%s-%d", stamp, (int)getpid());
	if (options->out)
		snprintf(scenario, scenario_size, "%s", options->out);
	else
		snprintf(scenario, scenario_size, "%s.yaml", run_dir);
}

/* Write the scenario to path (stdout when NULL), after checking that it
 * loads: a replay that cannot run is a bug of the replay, not of the logs. */
static int scenario_emit(const struct hs_replay_incident *incident,
			 const struct hs_topology *topology, const char *reference,
			 const char *path, const struct replay_options *options)
{
	char error[HS_ERROR_MAX], *text = NULL;
	size_t size = 0;
	struct hs_scenario *check = calloc(1, sizeof(*check));
	FILE *memory = open_memstream(&text, &size), *out = NULL;
	int status = HS_EXIT_INFRA;

	if (!check || !memory)
		goto cleanup;
	if (hs_replay_write(incident, topology, reference, memory, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim replay: %s\n", error);
		goto cleanup;
	}
	fclose(memory);
	memory = NULL;
	if (hs_scenario_load_buffer(path ? path : "replay.yaml", text, size, options->search_path,
				    check, error, sizeof(error)) < 0) {
		fprintf(stderr,
			"hasim replay: the scenario written does not load (a bug of "
			"hasim replay): %s\n",
			error);
		goto cleanup;
	}
	out = path ? fopen(path, "w") : stdout;
	if (!out) { /* the path given: bad input */
		fprintf(stderr, "hasim replay: --out: %s: %s\n", path, strerror(errno));
		status = HS_EXIT_USAGE;
		goto cleanup;
	}
	if (fwrite(text, 1, size, out) != size || (path && fclose(out) != 0)) {
		fprintf(stderr, "hasim replay: %s: %s\n", path ? path : "stdout", strerror(errno));
		out = NULL;
		goto cleanup;
	}
	out = NULL;
	status = HS_EXIT_PASSED;
cleanup:
	if (memory)
		fclose(memory);
	if (out && out != stdout)
		fclose(out);
	free(text);
	free(check);
	return status;
}

int hs_replay_command(int argc, char **argv)
{
	struct replay_options options = {0};
	struct hs_replay_incident *incident = calloc(1, sizeof(*incident));
	struct hs_topology *topology = calloc(1, sizeof(*topology));
	char error[HS_ERROR_MAX * 2], reference[HS_PATH_MAX], scenario[HS_PATH_MAX],
	    run_dir[HS_PATH_MAX];
	int exit_code = HS_EXIT_INFRA;

	if (!incident || !topology)
		goto cleanup;
	if (options_parse(argc, argv, &options, &exit_code) < 0)
		goto cleanup;
	hs_search_path_add(options.search_path, sizeof(options.search_path), options.topology_dir);
	hs_search_path_defaults(options.search_path, sizeof(options.search_path));
	exit_code = HS_EXIT_USAGE;
	if (hs_replay_read(incident, options.logs, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim replay: %s\n", error);
		goto cleanup;
	}
	hs_replay_clock(incident);
	hs_replay_infer(incident);
	if (hs_replay_span_check(incident, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim replay: %s\n", error);
		goto cleanup;
	}
	if (topology_choose(incident, &options, reference, sizeof(reference), topology) < 0)
		goto cleanup;
	paths_choose(&options, scenario, sizeof(scenario), run_dir, sizeof(run_dir));
	if (options.run && !options.out)
		mkdir("reports", 0755);
	exit_code = scenario_emit(incident, topology, reference,
				  options.out || options.run ? scenario : NULL, &options);
	if (exit_code != HS_EXIT_PASSED)
		goto cleanup;
	if (options.out || options.run)
		fprintf(stderr, "hasim replay: wrote %s (%u steps)\n", scenario,
			incident->step_count);
	if (options.run)
		exit_code = replay_run(incident, topology, &options, scenario, run_dir);
cleanup:
	hs_replay_free(incident);
	free(incident);
	free(topology);
	return exit_code;
}
