/*
 * hasim.c - the simulator's command line: run, lint, check, gc, fence.
 *
 *   hasim run SCENARIO [--backend native|libvirt|virtual] [--seed N] [--out DIR]
 *       [--quiet] bring the scenario's topology up, run it, judge it, tear
 *       it down; exit 0 only if the scenario passed (1 failed, 2 bad input,
 *       3 could not run). Ctrl-C tears down too. The virtual backend runs
 *       in virtual time as an ordinary user (sim/backend/virtual.c).
 *   hasim lint FILE...      validate topologies/scenarios, report SPOFs
 *   hasim check RUN_DIR SCENARIO   judge a run folder again (offline)
 *   hasim parity FILE... [--backends virtual,native] [--seed N] [--out DIR]
 *       run each scenario on two or three backends and print each node's
 *       transitions and the metrics side by side; exit 1 when the
 *       transition sequences differ (sim/run/parity.c)
 *   hasim gc                remove what killed runs left behind
 *   hasim console [--log] RUN_DIR NODE   a terminal on a kept guest's serial
 *       console (Ctrl-] leaves); --log, or a guest that no longer runs: what
 *       its console printed
 *   hasim fence --socket PATH NODE   (used by a node's fence_command)
 *
 * Parsing and judging live in sim/model and sim/check, bring-up in
 * sim/run and sim/backend; this file only wires them to argv.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "backend/backend.h"
#include "backend/libvirt_console.h"
#include "check/check.h"
#include "model/model.h"
#include "run/run.h"

#define EXIT_PASSED 0
#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define EXIT_INFRA  3

extern volatile sig_atomic_t hs_run_stop_requested;

static void usage(FILE *out)
{
	fputs("usage: hasim run SCENARIO [--backend native|libvirt|virtual] [--seed N] [--out DIR] "
	      "[--quiet] [--verbose] [--accel tcg|kvm|auto] [--keep-on-failure]\n"
	      "       hasim console [--log] RUN_DIR NODE\n"
	      "       hasim lint FILE...\n"
	      "       hasim check RUN_DIR SCENARIO\n"
	      "       hasim parity FILE... [--backends virtual,native] [--seed N] [--out DIR]\n"
	      "       hasim gc\n"
	      "       hasim fence --socket PATH NODE\n",
	      out);
}

static void on_signal(int signal_number)
{
	(void)signal_number;
	hs_run_stop_requested = 1;
}

const struct hs_backend_ops *hs_backend_find(const char *name)
{
	if (strcmp(name, "native") == 0)
		return &hs_backend_native;
	if (strcmp(name, "libvirt") == 0)
		return &hs_backend_libvirt;
	if (strcmp(name, "virtual") == 0)
		return &hs_backend_virtual;
	return NULL;
}

/* The folder of this executable: hanode and hactl are expected beside it
 * unless $HALAB_BIN says otherwise. */
static void find_bin_dir(char *bin_dir, size_t size, char *self, size_t self_size)
{
	char path[400];
	ssize_t got = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	path[got > 0 ? got : 0] = '\0';
	snprintf(self, self_size, "%s", path);
	slash = strrchr(path, '/');
	if (slash)
		*slash = '\0';
	if (getenv("HALAB_BIN") && getenv("HALAB_BIN")[0])
		snprintf(bin_dir, size, "%.400s", getenv("HALAB_BIN"));
	else
		snprintf(bin_dir, size, "%s", path);
}

static int judge(const struct hs_scenario *scenario, const char *run_dir, bool quiet)
{
	struct hs_check_result *result = calloc(1, sizeof(*result));
	char error[512];
	int exit_code = EXIT_INFRA;

	if (!result)
		return EXIT_INFRA;
	if (hs_check_run(scenario, run_dir, result, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim: cannot judge %s: %s\n", run_dir, error);
		goto cleanup;
	}
	if (hs_report_write(result, run_dir, error, sizeof(error)) < 0)
		fprintf(stderr, "hasim: %s\n", error);
	for (uint32_t i = 0; i < result->failure_count; i++)
		fprintf(stderr, "FAIL: %s\n", result->failures[i]);
	if (!quiet || !result->passed)
		printf("%s %s (%s backend, seed %llu): %s\n  report: %s/result.json\n",
		       result->passed ? "PASS" : "FAIL", scenario->name, result->backend,
		       (unsigned long long)result->seed,
		       result->passed ? "every expectation held" : "see failures above", run_dir);
	exit_code = result->passed ? EXIT_PASSED : EXIT_FAILED;
cleanup:
	hs_check_result_release(result);
	free(result);
	return exit_code;
}

static int load_scenario(const char *path, struct hs_scenario *scenario)
{
	char error[HS_ERROR_MAX];

	if (hs_scenario_load(path, "topologies", scenario, error, sizeof(error)) < 0) {
		fprintf(stderr, "%s\n", error);
		return -1;
	}
	return 0;
}

static void make_run_dir(struct hs_run *run, const char *out)
{
	char stamp[32];
	time_t now = time(NULL);

	if (out) {
		snprintf(run->run_dir, sizeof(run->run_dir), "%s", out);
		return;
	}
	mkdir("reports", 0755);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
	snprintf(run->run_dir, sizeof(run->run_dir), "reports/%s-%s-%s", run->scenario.name, stamp,
		 run->run_id);
}

static void make_run_id(struct hs_run *run)
{
	unsigned int random_bits = 0;
	FILE *urandom = fopen("/dev/urandom", "r");

	if (!urandom || fread(&random_bits, sizeof(random_bits), 1, urandom) != 1)
		random_bits = (unsigned int)getpid() ^ (unsigned int)time(NULL);
	if (urandom)
		fclose(urandom);
	snprintf(run->run_id, sizeof(run->run_id), "hs%06x", random_bits & 0xffffff);
	snprintf(run->state_dir, sizeof(run->state_dir), "/run/halab/%s", run->run_id);
}

/* --keep-on-failure: judge the run folder before teardown. */
static bool run_passed(struct hs_run *run)
{
	struct hs_check_result *result = calloc(1, sizeof(*result));
	char error[512];
	bool passed = false;

	if (result && hs_check_run(&run->scenario, run->run_dir, result, error, sizeof(error)) == 0)
		passed = result->passed;
	hs_check_result_release(result);
	free(result);
	return passed;
}

static int command_run(int argc, char **argv)
{
	static const struct option options[] = {
	    {"backend", required_argument, NULL, 'b'},	 {"seed", required_argument, NULL, 's'},
	    {"out", required_argument, NULL, 'o'},	 {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},	 {"accel", required_argument, NULL, 'a'},
	    {"keep-on-failure", no_argument, NULL, 'k'}, {NULL, 0, NULL, 0}};
	const char *backend = "native", *out = NULL;
	struct hs_run *run = calloc(1, sizeof(*run));
	char error[1024] = "";
	bool quiet = false;
	int option, exit_code = EXIT_USAGE;

	if (!run)
		return EXIT_INFRA;
	run->seed = 1;
	snprintf(run->accel, sizeof(run->accel), "tcg");
	while ((option = getopt_long(argc, argv, "b:s:o:qva:k", options, NULL)) != -1) {
		switch (option) {
		case 'b':
			backend = optarg;
			break;
		case 's':
			run->seed = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			out = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'v':
			run->verbose = true;
			break;
		case 'a':
			if (strcmp(optarg, "tcg") != 0 && strcmp(optarg, "kvm") != 0 &&
			    strcmp(optarg, "auto") != 0) {
				fprintf(stderr, "hasim: --accel takes tcg, kvm or auto, not '%s'\n",
					optarg);
				goto cleanup;
			}
			snprintf(run->accel, sizeof(run->accel), "%s", optarg);
			break;
		case 'k':
			run->keep_on_failure = true;
			run->passed = run_passed;
			break;
		default:
			usage(stderr);
			goto cleanup;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		goto cleanup;
	}
	run->backend = hs_backend_find(backend);
	if (!run->backend) {
		fprintf(stderr, "hasim: unknown backend '%s' (known: native, libvirt, virtual)\n",
			backend);
		goto cleanup;
	}
	if (load_scenario(argv[optind], &run->scenario) < 0)
		goto cleanup;
	run->live = !quiet && isatty(STDERR_FILENO);
	run->verbose = run->verbose || !quiet;
	make_run_id(run);
	make_run_dir(run, out);
	if (access(run->run_dir, F_OK) == 0) {
		fprintf(stderr,
			"hasim: run folder %s exists already; remove it or choose another\n",
			run->run_dir);
		goto cleanup;
	}
	find_bin_dir(run->bin_dir, sizeof(run->bin_dir), run->self_path, sizeof(run->self_path));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (!quiet)
		fprintf(stderr, "hasim: %s on %s (%s backend, seed %llu) -> %s\n",
			run->scenario.name, run->scenario.topology.name, run->backend->name,
			(unsigned long long)run->seed, run->run_dir);
	if (hs_run_execute(run, error, sizeof(error)) < 0) {
		/* hs_run_execute printed the error and wrote it into run.json. */
		if (hs_run_stop_requested) {
			fprintf(stderr, "hasim: run failed: %s\n", error);
			exit_code = 130;
			goto cleanup;
		}
		judge(&run->scenario, run->run_dir, quiet); /* the reports, naming the error */
		exit_code = EXIT_INFRA;
		goto cleanup;
	}
	exit_code = judge(&run->scenario, run->run_dir, quiet);
cleanup:
	free(run);
	return exit_code;
}

static bool is_scenario_file(const char *path)
{
	char line[256];
	bool scenario = false;
	FILE *file = fopen(path, "r");

	while (file && !scenario && fgets(line, sizeof(line), file))
		scenario = strncmp(line, "topology:", 9) == 0 || strncmp(line, "steps:", 6) == 0;
	if (file)
		fclose(file);
	return scenario;
}

static int command_lint(int argc, char **argv)
{
	int exit_code = EXIT_PASSED;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		struct hs_scenario *scenario = calloc(1, sizeof(*scenario));
		char error[HS_ERROR_MAX], findings[8192] = "";
		const struct hs_topology *topology;
		int errors;

		if (!scenario)
			return EXIT_INFRA;
		/* A file is a scenario if it names a topology, else a topology. */
		int loaded =
		    is_scenario_file(argv[i])
			? hs_scenario_load(argv[i], "topologies", scenario, error, sizeof(error))
			: hs_topology_load(argv[i], &scenario->topology, error, sizeof(error));
		topology = &scenario->topology;
		if (loaded < 0) {
			fprintf(stderr, "%s\n", error);
			free(scenario);
			exit_code = EXIT_USAGE;
			continue;
		}
		errors = hs_topology_lint(topology, findings, sizeof(findings));
		printf("%s: %s%s", argv[i], findings[0] ? "\n" : "ok\n", findings);
		if (errors > 0)
			exit_code = EXIT_USAGE;
		free(scenario);
	}
	return exit_code;
}

static int command_check(int argc, char **argv)
{
	struct hs_scenario *scenario;
	int exit_code;

	if (argc != 3) {
		usage(stderr);
		return EXIT_USAGE;
	}
	scenario = calloc(1, sizeof(*scenario));
	if (!scenario)
		return EXIT_INFRA;
	exit_code =
	    load_scenario(argv[2], scenario) < 0 ? EXIT_USAGE : judge(scenario, argv[1], false);
	free(scenario);
	return exit_code;
}

static int command_gc(void)
{
	char error[256] = "";
	int removed = hs_backend_native.gc(error, sizeof(error));

	if (removed < 0) {
		fprintf(stderr, "hasim gc: %s\n", error);
		return EXIT_INFRA;
	}
	printf("gc: %d object%s removed\n", removed, removed == 1 ? "" : "s");
	return EXIT_PASSED;
}

/* The run id of a libvirt run folder (its domains are "<run_id>-<node>"),
 * from its run.json; an error naming the field for a run of another
 * backend or a node the run did not have. */
static int console_run_id(const char *run_dir, const char *node, char *run_id, size_t run_id_size)
{
	char path[1024];
	json_error_t json_error;
	json_t *summary, *id, *backend, *nodes, *name;
	bool node_known = false;
	size_t index;
	int result = -1;

	snprintf(path, sizeof(path), "%s/run.json", run_dir);
	summary = json_load_file(path, 0, &json_error);
	if (!summary) {
		fprintf(stderr, "hasim console: %s: %s\n", path, json_error.text);
		return -1;
	}
	id = json_object_get(summary, "run_id");
	backend = json_object_get(summary, "backend");
	nodes = json_object_get(summary, "nodes");
	json_array_foreach(nodes, index, name)
	{
		if (json_is_string(name) && strcmp(json_string_value(name), node) == 0)
			node_known = true;
	}
	if (!json_is_string(id))
		fprintf(stderr, "hasim console: %s: run_id: missing\n", path);
	else if (!json_is_string(backend) || strcmp(json_string_value(backend), "libvirt") != 0)
		fprintf(stderr,
			"hasim console: %s: backend: %s; only guests of the libvirt backend have "
			"a console\n",
			path, json_is_string(backend) ? json_string_value(backend) : "missing");
	else if (!node_known)
		fprintf(stderr, "hasim console: %s: nodes: no node '%s' in this run\n", path, node);
	else {
		snprintf(run_id, run_id_size, "%s", json_string_value(id));
		result = 0;
	}
	json_decref(summary);
	return result;
}

static int console_print_log(const char *path)
{
	char buffer[4096];
	size_t got;
	FILE *log = fopen(path, "r");

	if (!log) {
		fprintf(
		    stderr,
		    "hasim console: %s: %s (only guests of the libvirt backend have a console)\n",
		    path, strerror(errno));
		return EXIT_USAGE;
	}
	while ((got = fread(buffer, 1, sizeof(buffer), log)) > 0)
		fwrite(buffer, 1, got, stdout);
	fclose(log);
	return EXIT_PASSED;
}

/* A terminal on a node's serial console (a root shell in the guest) while
 * its guest runs (a run kept by --keep-on-failure); otherwise, or with
 * --log, what the console printed (nodes/NODE/console.log). */
static int command_console(int argc, char **argv)
{
	char path[1024], run_id[64], domain[160], error[512] = "";
	bool log_only = argc == 4 && strcmp(argv[1], "--log") == 0;
	const char *run_dir, *node, *uri = getenv("HALAB_LIBVIRT_URI");
	int attached;

	if (argc != 3 && !log_only) {
		usage(stderr);
		return EXIT_USAGE;
	}
	run_dir = argv[argc - 2];
	node = argv[argc - 1];
	snprintf(path, sizeof(path), "%s/nodes/%s/console.log", run_dir, node);
	if (log_only)
		return console_print_log(path);
	if (console_run_id(run_dir, node, run_id, sizeof(run_id)) < 0)
		return EXIT_USAGE;
	snprintf(domain, sizeof(domain), "%s-%s", run_id, node);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	attached = hs_console_attach(uri, domain, STDIN_FILENO, stdout, &hs_run_stop_requested,
				     error, sizeof(error));
	if (attached < 0) {
		fprintf(stderr, "hasim console: %s\n", error);
		return EXIT_INFRA;
	}
	if (attached == 0)
		return EXIT_PASSED;
	fprintf(stderr, "hasim console: %s; what its console printed follows\n", error);
	return console_print_log(path);
}

/* Ask the running hasim to power a node off; used as a node's fence_command. */
static int command_fence(int argc, char **argv)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	char reply[256] = "";
	ssize_t got;
	int fd;

	if (argc != 4 || strcmp(argv[1], "--socket") != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", argv[2]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    dprintf(fd, "fence %s\n", argv[3]) < 0) {
		fprintf(stderr, "hasim fence: %s: %s\n", argv[2], strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_FAILED;
	}
	got = recv(fd, reply, sizeof(reply) - 1, 0);
	close(fd);
	reply[got > 0 ? got : 0] = '\0';
	if (strncmp(reply, "ok", 2) != 0) {
		fprintf(stderr, "hasim fence %s: %s", argv[3], reply[0] ? reply : "no reply\n");
		return EXIT_FAILED;
	}
	return EXIT_PASSED;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "run") == 0)
		return command_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "lint") == 0)
		return command_lint(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return command_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "gc") == 0)
		return command_gc();
	if (strcmp(argv[1], "parity") == 0) {
		char bin_dir[512], self[512];
		find_bin_dir(bin_dir, sizeof(bin_dir), self, sizeof(self));
		return hs_parity_main(argc - 1, argv + 1, self);
	}
	if (strcmp(argv[1], "fence") == 0)
		return command_fence(argc - 1, argv + 1);
	if (strcmp(argv[1], "console") == 0)
		return command_console(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_PASSED;
	}
	fprintf(stderr, "hasim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
