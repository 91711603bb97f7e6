/*
 * hasim.c - the simulator's command line: run, lint, list, check, gc,
 * console, fence, version, help.
 *
 *   hasim run SCENARIO [--backend native|libvirt|virtual] [--seed N] [--out DIR]
 *       [--quiet] [--node NAME[:PROFILE]] bring the scenario's topology up,
 *       run it, judge it, tear it down; exit 0 only if the scenario passed
 *       (1 failed, 2 bad input, 3 could not run, 4 skipped: the node adapter,
 *       nodes/NAME/adapter.yaml, lacks what its steps need). Ctrl-C tears
 *       down too. The virtual backend runs in virtual time as an ordinary
 *       user (sim/backend/virtual.c).
 *   hasim lint FILE...      validate topologies/scenarios, report SPOFs
 *   hasim list              the library's scenarios and topologies
 *   hasim check RUN_DIR [SCENARIO] [--out DIR]   judge a run folder again
 *       (offline), printing the verdict or writing it into a new folder
 *   hasim replay NODE1.log NODE2.log [--run] ...   a field incident from two
 *       cluster logs, as a scenario (sim/replay)
 *   hasim parity FILE... [--backends virtual,native] [--seed N] [--out DIR]
 *       run each scenario on two or three backends and print each node's
 *       transitions and the metrics side by side; exit 1 when the
 *       transition sequences differ (sim/run/parity.c)
 *   hasim swarm [--topology T] [--tiebreaker none|ping|fence] [--count N |
 *       --minutes M] [--seed S] [--jobs J] [--out DIR]   random fault
 *       schedules on the virtual backend, judged by properties, failing
 *       ones written as scenarios and shrunk (sim/swarm/)
 *   hasim matrix [--topologies A,B] [--scenarios F]... [--repeat N] [--jobs J]
 *       [--shard I/N] [--out DIR] ...   the library over many topologies, as
 *       a certification report; hasim matrix merge OUT DIR... (sim/matrix/)
 *   hasim gc                remove what killed runs left behind
 *   hasim console [--log] RUN_DIR NODE   a terminal on a kept guest's serial
 *       console (Ctrl-] leaves); --log, or a guest that no longer runs: what
 *       its console printed
 *   hasim fence --socket PATH NODE   (used by a node's fence_command)
 *   hasim version | --version;  hasim help [COMMAND] | COMMAND --help
 *
 * Conventions (every command): --help/-h prints the command's usage to
 * stdout and exits 0; an unknown option, a missing or stray argument or a
 * bad value prints one sentence and the usage to stderr and exits 2.
 * Parsing and judging live in sim/model and sim/check, bring-up in
 * sim/run and sim/backend; this file only wires them to argv.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
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
#include "check/command.h"
#include "fence/fence_client.h"
#include "replay/replay.h"
#include "model/model.h"
#include "run/run.h"
#include "swarm/swarm.h"
#include "matrix/matrix.h"

#define EXIT_PASSED  0
#define EXIT_FAILED  1
#define EXIT_USAGE   2
#define EXIT_INFRA   3
#define EXIT_SKIPPED 4 /* the node adapter lacks what the scenario needs */

/* make passes the halab version (git describe --always --dirty at build
 * time; ci/version.mk). */
#ifndef HALAB_VERSION
#define HALAB_VERSION "unknown"
#endif

#define DEFAULT_SCENARIO_DIR "scenarios"
#define DEFAULT_TOPOLOGY_DIR "topologies" /* what `hasim list` lists */
#define DEFAULT_NODES_DIR    "nodes"
#define LINT_FILES_MAX	     1024 /* topology files remembered, to print their findings once */

extern volatile sig_atomic_t hs_run_stop_requested;

/* --------------------------------------------------------------- usage */

struct command_usage {
	const char *name;
	const char *text; /* after "usage: hasim " */
};

static const struct command_usage command_usages[] = {
    {"run",
     "run SCENARIO [--backend native|libvirt|virtual] [--seed N] [--out DIR] [--quiet]\n"
     "           [--verbose] [--accel tcg|kvm|auto] [--keep-on-failure] [--topology-dir DIR]\n"
     "           [--topology NAME|PATH] [--node NAME[:PROFILE]] [--nodes-dir DIR]\n"
     "    run one scenario and judge it; exit 0 passed, 1 failed, 2 bad input, 3 could\n"
     "    not run (the native backend needs root: network namespaces, TAP devices;\n"
     "    virtual runs in virtual time as an ordinary user), 4 skipped (the node\n"
     "    adapter lacks what the scenario's steps or topology need).\n"
     "    --node: the node implementation, nodes/NAME/adapter.yaml or a folder with\n"
     "    one (default hanode; others on the native backend only)\n"
     "    --seed N: 0..18446744073709551615 (default 1); --out DIR: the run folder\n"
     "    (default reports/<scenario>-<time>-<run id>); --topology NAME|PATH: run on this\n"
     "    topology instead of the scenario's (its overrides still apply); a bare name is\n"
     "    looked up in the scenario's ../topologies, each --topology-dir DIR (repeatable,\n"
     "    DIR:DIR...), $HALAB_TOPOLOGY_PATH, then halab's shipped topologies\n"},
    {"lint", "lint [--topology-dir DIR]... FILE...\n"
	     "    load each topology or scenario and lint it (compatibility, single points of\n"
	     "    failure); one line per problem, FILE:LINE: FIELD: reason; exit 0 clean or\n"
	     "    warnings only, 1 lint errors, 2 a file that does not load\n"},
    {"list", "list [--scenario-dir DIR] [--topology-dir DIR]\n"
	     "    the scenarios and topologies of a library with their descriptions\n"
	     "    (default ./scenarios and ./topologies)\n"},
    {"check", HS_CHECK_USAGE},
    {"replay", HS_REPLAY_USAGE},
    {"parity", "parity FILE... [--backends virtual,native] [--seed N] [--out DIR]\n"
	       "    run each scenario on two or three backends, print each node's transitions\n"
	       "    and the metrics side by side; exit 1 when the transition sequences differ\n"},
    {"swarm", HS_SWARM_USAGE},
    {"matrix", HS_MATRIX_USAGE},
    {"gc", "gc\n    remove the namespaces, processes and state that killed runs left behind\n"},
    {"console", "console [--log] RUN_DIR NODE\n"
		"    a terminal on a kept guest's serial console (Ctrl-] leaves); --log: what it\n"
		"    printed\n"},
    {"fence", "fence --socket PATH NODE\n    ask a running hasim to fence NODE (a node's "
	      "fence_command)\n"},
    {"version", "version\n    print the halab version (also: hasim --version)\n"},
    {"help", "help [COMMAND]\n    this text, or one command's (also: hasim COMMAND --help)\n"},
};

#define COMMAND_COUNT (sizeof(command_usages) / sizeof(command_usages[0]))

static const struct command_usage *usage_find(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(command_usages[i].name, name) == 0)
			return &command_usages[i];
	return NULL;
}

/* Every command's usage (command NULL) or one's. */
static void usage(FILE *out, const char *command)
{
	const struct command_usage *one = command ? usage_find(command) : NULL;

	if (one) {
		fprintf(out, "usage: hasim %s", one->text);
		return;
	}
	fputs("usage: hasim COMMAND [OPTION]... [ARGUMENT]...\n", out);
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(out, "  hasim %s", command_usages[i].text);
}

/* A usage error: one sentence, then the command's usage, on stderr. */
static int usage_error(const char *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const char *command, const char *format, ...)
{
	va_list args;

	fprintf(stderr, "hasim %s: ", command);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	usage(stderr, command);
	return EXIT_USAGE;
}

/* getopt_long's '?' and ':' (opterr is 0, so it printed nothing): name the
 * option as written. */
static int option_error(const char *command, int option, char **argv)
{
	const char *written = argv[optind - 1];

	if (option == ':')
		return usage_error(command, "option '%s' needs a value", written);
	if (optopt && strncmp(written, "--", 2) != 0)
		return usage_error(command, "unknown option '-%c'", optopt);
	return usage_error(command, "unknown option '%s'", written);
}

#define HELP_OPTION                                                                                \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}

/* min..max arguments after the options (argv[optind...]). */
static bool argument_count_ok(const char *command, int argc, char **argv, int min, int max,
			      int *exit_code)
{
	int given = argc - optind;

	if (given < min)
		*exit_code = usage_error(command, "missing argument");
	else if (given > max)
		*exit_code = usage_error(command, "unexpected argument '%s'", argv[optind + max]);
	return given >= min && given <= max;
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

/* reproduce: the run's own line (run.json's, exact), or NULL for the
 * checker's. */
static int judge(const struct hs_scenario *scenario, const char *run_dir, bool quiet,
		 const char *reproduce_line)
{
	struct hs_check_result *result = calloc(1, sizeof(*result));
	char error[512], reproduce[HS_PATH_MAX + 96], verdict[96];
	int exit_code = EXIT_INFRA;
	uint32_t skipped;

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
	for (uint32_t i = 0; i < result->expect_count; i++)
		if (result->expects[i].skipped)
			fprintf(stderr, "SKIP: [%u] %s: %s\n", result->expects[i].index,
				result->expects[i].description, result->expects[i].message);
	skipped = hs_check_skipped_count(result);
	hs_check_reproducer(result, reproduce, sizeof(reproduce));
	if (reproduce_line && reproduce_line[0])
		snprintf(reproduce, sizeof(reproduce), "%s", reproduce_line);
	if (result->skipped)
		snprintf(verdict, sizeof(verdict), "skipped: %.80s", result->skip_reason);
	else if (!result->passed)
		snprintf(verdict, sizeof(verdict), "see failures above");
	else if (skipped)
		snprintf(verdict, sizeof(verdict),
			 "no expectation failed, %u judged nothing (SKIP above)", skipped);
	else
		snprintf(verdict, sizeof(verdict), "every expectation held");
	if (!quiet || !result->passed || skipped)
		printf("%s %s (%s backend, seed %llu): %s\n  report: %s/result.json\n",
		       result->skipped	? "SKIP"
		       : result->passed ? "PASS"
					: "FAIL",
		       scenario->name, result->backend, (unsigned long long)result->seed, verdict,
		       run_dir);
	if (!result->passed && !result->skipped)
		printf("  reproduce: %s\n", reproduce);
	exit_code = result->skipped ? EXIT_SKIPPED : result->passed ? EXIT_PASSED : EXIT_FAILED;
cleanup:
	hs_check_result_release(result);
	free(result);
	return exit_code;
}

static int load_scenario(const char *path, const struct hs_load_options *load,
			 struct hs_scenario *scenario)
{
	char error[HS_ERROR_MAX];

	if (hs_scenario_load_with(path, load, scenario, error, sizeof(error)) < 0) {
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
}

/* <state root>/<run_id> (hs_state_root: /run/halab for root,
 * $XDG_RUNTIME_DIR/halab for a user, or $HALAB_STATE_DIR); a virtual run
 * has none. -1 with the reason printed. */
static int make_state_dir(struct hs_run *run)
{
	char error[256];
	const char *root;

	if (run->backend->virtual_time)
		return 0;
	root = hs_state_root(error, sizeof(error));
	if (!root) {
		fprintf(stderr, "hasim run: %s\n", error);
		return -1;
	}
	snprintf(run->state_dir, sizeof(run->state_dir), "%s/%s", root, run->run_id);
	return 0;
}

/* A run folder that does not exist yet, or an empty one made beforehand
 * (the pytest suite claims a unique folder with mkdir, so parallel runs
 * never share one); one with files in it belongs to another run. */
static bool run_dir_usable(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	bool empty = true;

	if (!dir)
		return errno == ENOENT;
	while (empty && (entry = readdir(dir)))
		empty = strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0;
	closedir(dir);
	return empty;
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

/* The native backend builds network namespaces and TAP devices: without
 * CAP_NET_ADMIN and CAP_SYS_ADMIN (not root, or an unprivileged container)
 * every step would fail later with errors that blame the scenario. */
static bool native_privileges(void)
{
	char line[256];
	unsigned long long effective = 0;
	bool found = false;
	FILE *status = fopen("/proc/self/status", "r");

	while (status && !found && fgets(line, sizeof(line), status))
		found = sscanf(line, "CapEff: %llx", &effective) == 1;
	if (status)
		fclose(status);
	if (!found)
		return geteuid() == 0;
	return (effective & (1ull << 12)) && (effective & (1ull << 21)); /* NET_ADMIN, SYS_ADMIN */
}

struct run_options {
	const char *backend, *out, *topology, *node, *nodes_dir;
	char search_path[HS_SEARCH_PATH_MAX]; /* every --topology-dir, then the defaults */
	bool quiet;
};

/* Options of `hasim run` into run and options; -1 with *exit_code when the
 * command must stop (help, a usage error). */
static int run_options_parse(int argc, char **argv, struct hs_run *run, struct run_options *options,
			     int *exit_code)
{
	static const struct option long_options[] = {{"backend", required_argument, NULL, 'b'},
						     {"seed", required_argument, NULL, 's'},
						     {"out", required_argument, NULL, 'o'},
						     {"quiet", no_argument, NULL, 'q'},
						     {"verbose", no_argument, NULL, 'v'},
						     {"accel", required_argument, NULL, 'a'},
						     {"keep-on-failure", no_argument, NULL, 'k'},
						     {"topology-dir", required_argument, NULL, 't'},
						     {"topology", required_argument, NULL, 'T'},
						     {"node", required_argument, NULL, 'n'},
						     {"nodes-dir", required_argument, NULL, 'N'},
						     HELP_OPTION,
						     {NULL, 0, NULL, 0}};
	int option;

	while ((option = getopt_long(argc, argv, ":b:s:o:qva:kt:T:n:N:h", long_options, NULL)) !=
	       -1) {
		switch (option) {
		case 'b':
			options->backend = optarg;
			break;
		case 's':
			if (!hs_decimal_parse(optarg, UINT64_MAX, &run->seed)) {
				*exit_code = usage_error(
				    "run",
				    "--seed takes an integer 0..18446744073709551615, not '%s'",
				    optarg);
				return -1;
			}
			break;
		case 'o':
			options->out = optarg;
			break;
		case 'q':
			options->quiet = true;
			break;
		case 'v':
			run->verbose = true;
			break;
		case 'a':
			if (strcmp(optarg, "tcg") != 0 && strcmp(optarg, "kvm") != 0 &&
			    strcmp(optarg, "auto") != 0) {
				*exit_code = usage_error(
				    "run", "--accel takes tcg, kvm or auto, not '%s'", optarg);
				return -1;
			}
			snprintf(run->accel, sizeof(run->accel), "%s", optarg);
			break;
		case 'k':
			run->keep_on_failure = true;
			run->passed = run_passed;
			break;
		case 't':
			if (!optarg[0]) {
				*exit_code = usage_error("run", "--topology-dir needs a folder");
				return -1;
			}
			hs_search_path_add(options->search_path, sizeof(options->search_path),
					   optarg);
			break;
		case 'T':
			if (!optarg[0]) {
				*exit_code =
				    usage_error("run", "--topology needs a topology name or file");
				return -1;
			}
			options->topology = optarg;
			break;
		case 'n':
			options->node = optarg;
			break;
		case 'N':
			options->nodes_dir = optarg;
			break;
		case 'h':
			usage(stdout, "run");
			*exit_code = EXIT_PASSED;
			return -1;
		default:
			*exit_code = option_error("run", option, argv);
			return -1;
		}
	}
	if (!argument_count_ok("run", argc, argv, 1, 1, exit_code))
		return -1;
	if (options->out && !options->out[0]) {
		*exit_code = usage_error("run", "--out needs a folder");
		return -1;
	}
	hs_search_path_defaults(options->search_path, sizeof(options->search_path));
	return 0;
}

/* An adapter of the nodes/ folder of the tree this hasim was built in. */
static int adapter_load_shipped(const char *name, const char *profile, struct hs_adapter *adapter)
{
	char tree[HS_PATH_MAX], nodes[HS_PATH_MAX + 16], error[HS_ERROR_MAX];

	if (hs_source_tree(tree, sizeof(tree)) < 0)
		return -1;
	snprintf(nodes, sizeof(nodes), "%s/nodes", tree);
	return hs_adapter_load(nodes, name, profile, adapter, error, sizeof(error));
}

/* The node adapter (--node NAME[:PROFILE]): loaded for the native
 * backend (hanode is one adapter among others) and for any backend its
 * `backends:` lists; hanode's own backends (virtual, libvirt) need no
 * adapter. A scenario that needs what the adapter lacks is not run: its
 * run folder says skipped. EXIT_PASSED to go on, else the exit code. */
static int run_adapter(struct hs_run *run, const struct run_options *options, bool quiet)
{
	char name[HS_PATH_MAX], error[HS_ERROR_MAX * 2], reason[HS_ERROR_MAX * 3], *profile;

	snprintf(name, sizeof(name), "%s", options->node);
	profile = strrchr(name, ':');
	if (profile)
		*profile++ = '\0';
	if (run->backend != &hs_backend_native && strcmp(name, "hanode") == 0 && !profile)
		return EXIT_PASSED;
	if (hs_adapter_load(options->nodes_dir, name, profile, &run->adapter, error,
			    sizeof(error)) < 0) {
		/* Run from elsewhere than the tree: the nodes/ of hasim's tree
		 * (build/bin/hasim -> nodes/), as long as the default was asked. */
		if (strcmp(options->nodes_dir, DEFAULT_NODES_DIR) != 0 || strchr(name, '/') ||
		    adapter_load_shipped(name, profile, &run->adapter) < 0) {
			fprintf(stderr, "hasim run: %s\n", error);
			return EXIT_USAGE;
		}
	}
	if (!hs_adapter_runs_on(&run->adapter, run->backend->name)) {
		hs_adapter_skip_reason(&run->scenario, &run->adapter, run->backend->name, reason,
				       sizeof(reason));
		fprintf(stderr, "hasim run: --node %s: %s\n", options->node, reason);
		return EXIT_USAGE;
	}
	if (hs_adapter_skip_reason(&run->scenario, &run->adapter, run->backend->name, reason,
				   sizeof(reason))) {
		if (hs_adapter_write_skipped(run, reason, error, sizeof(error)) < 0) {
			fprintf(stderr, "hasim: %s\n", error);
			return EXIT_INFRA;
		}
		return judge(&run->scenario, run->run_dir, quiet, NULL);
	}
	if (hs_adapter_check_binaries(run, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim run: %s\n", error);
		return EXIT_INFRA;
	}
	return EXIT_PASSED;
}

static int command_run(int argc, char **argv, int argc_all, char **argv_all)
{
	struct run_options options = {
	    .backend = "native", .node = "hanode", .nodes_dir = DEFAULT_NODES_DIR};
	struct hs_load_options load;
	struct hs_run *run = calloc(1, sizeof(*run));
	char error[1024] = "";
	bool quiet;
	int exit_code = EXIT_USAGE;

	if (!run)
		return EXIT_INFRA;
	run->seed = 1;
	snprintf(run->accel, sizeof(run->accel), "tcg");
	if (run_options_parse(argc, argv, run, &options, &exit_code) < 0)
		goto cleanup;
	quiet = options.quiet;
	run->backend = hs_backend_find(options.backend);
	if (!run->backend) {
		fprintf(stderr, "hasim: unknown backend '%s' (known: native, libvirt, virtual)\n",
			options.backend);
		goto cleanup;
	}
	load = (struct hs_load_options){.search_path = options.search_path,
					.topology = options.topology};
	if (load_scenario(argv[optind], &load, &run->scenario) < 0)
		goto cleanup;
	if (run->backend == &hs_backend_native && !native_privileges()) {
		fprintf(stderr,
			"hasim run: the native backend needs root (CAP_NET_ADMIN and "
			"CAP_SYS_ADMIN, for network namespaces and TAP devices): run it as root, "
			"in a privileged container, or with --backend libvirt\n");
		exit_code = EXIT_INFRA;
		goto cleanup;
	}
	run->live = !quiet && isatty(STDERR_FILENO);
	run->verbose = run->verbose || !quiet;
	make_run_id(run);
	if (make_state_dir(run) < 0) {
		exit_code = EXIT_INFRA;
		goto cleanup;
	}
	make_run_dir(run, options.out);
	if (!run_dir_usable(run->run_dir)) {
		fprintf(stderr,
			"hasim: run folder %s exists already and is not empty; remove it or choose "
			"another\n",
			run->run_dir);
		goto cleanup;
	}
	find_bin_dir(run->bin_dir, sizeof(run->bin_dir), run->self_path, sizeof(run->self_path));
	snprintf(run->halab_version, sizeof(run->halab_version), "%s", HALAB_VERSION);
	hs_provenance_command(run, argc_all, argv_all);
	exit_code = run_adapter(run, &options, quiet);
	if (exit_code != EXIT_PASSED)
		goto cleanup;
	exit_code = EXIT_USAGE;
	/* What runs killed before their guardians could act left behind. */
	if (!run->backend->virtual_time) {
		int collected = hs_backend_gc_dead(true);
		if (collected > 0)
			fprintf(stderr, "hasim: removed %d object%s that killed runs left behind\n",
				collected, collected == 1 ? "" : "s");
	}
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
		judge(&run->scenario, run->run_dir, quiet, run->reproduce); /* the reports */
		exit_code = EXIT_INFRA;
		goto cleanup;
	}
	exit_code = judge(&run->scenario, run->run_dir, quiet, run->reproduce);
cleanup:
	free(run);
	return exit_code;
}

/* ---------------------------------------------------------------- lint */

#define LINT_TOPOLOGIES_MAX 64

struct lint_state {
	char search_path[HS_SEARCH_PATH_MAX];
	/* Topology files whose findings were printed, so that 25 scenarios on
	 * one topology print its findings once. */
	char (*seen)[PATH_MAX];
	uint32_t seen_count;
	uint32_t files, invalid, errors, warnings;
};

/* True the first time a topology file is met (by its real path). */
static bool topology_first_seen(struct lint_state *state, const char *path)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for (uint32_t i = 0; i < state->seen_count; i++)
		if (strcmp(state->seen[i], real) == 0)
			return false;
	if (state->seen_count < LINT_TOPOLOGIES_MAX)
		snprintf(state->seen[state->seen_count++], PATH_MAX, "%s", real);
	return true;
}

static int lint_load(struct lint_state *state, const char *path, struct hs_scenario *scenario,
		     struct hs_lint_finding *findings, uint32_t *count)
{
	char error[HS_ERROR_MAX];
	enum hs_file_kind kind;

	*count = 0;
	if (hs_model_file_kind(path, &kind, error, sizeof(error)) < 0)
		goto invalid;
	if (kind == HS_FILE_TOPOLOGY) {
		if (hs_topology_load(path, &scenario->topology, error, sizeof(error)) < 0)
			goto invalid;
		hs_topology_lint_findings(&scenario->topology, findings, HS_LINT_FINDINGS_MAX,
					  count);
		return 0;
	}
	if (hs_scenario_load(path, state->search_path, scenario, error, sizeof(error)) < 0 ||
	    hs_scenario_lint_findings(scenario, findings, HS_LINT_FINDINGS_MAX, count, error,
				      sizeof(error)) < 0)
		goto invalid;
	return 0;
invalid:
	printf("%s\n", error);
	state->invalid++;
	return -1;
}

/* One file: "FILE:LINE: FIELD: level: text" per finding; the findings of a
 * topology file only the first time it is met. */
static void lint_file(struct lint_state *state, const char *path, struct hs_scenario *scenario,
		      struct hs_lint_finding *findings)
{
	const char *topology_path = NULL;
	bool print_topology = false;
	uint32_t count;

	state->files++;
	if (lint_load(state, path, scenario, findings, &count) < 0)
		return;
	topology_path = scenario->topology.path;
	print_topology = topology_first_seen(state, topology_path);
	for (uint32_t i = 0; i < count; i++) {
		const struct hs_lint_finding *finding = &findings[i];

		if (strcmp(finding->path, topology_path) == 0 && !print_topology)
			continue;
		printf("%s:%" PRIu32 ": %s: %s: %s\n", finding->path, finding->line, finding->field,
		       finding->error ? "error" : "warning", finding->text);
		if (finding->error)
			state->errors++;
		else
			state->warnings++;
	}
}

static int command_lint(int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"topology-dir", required_argument, NULL, 't'}, HELP_OPTION, {NULL, 0, NULL, 0}};
	struct lint_state state = {.search_path = ""};
	struct hs_scenario *scenario = calloc(1, sizeof(*scenario));
	struct hs_lint_finding *findings = calloc(HS_LINT_FINDINGS_MAX, sizeof(*findings));
	int option, exit_code = EXIT_INFRA;

	state.seen = calloc(LINT_TOPOLOGIES_MAX, sizeof(*state.seen));
	if (!scenario || !findings || !state.seen)
		goto cleanup;
	while ((option = getopt_long(argc, argv, ":t:h", long_options, NULL)) != -1) {
		if (option == 't') {
			hs_search_path_add(state.search_path, sizeof(state.search_path), optarg);
			continue;
		}
		if (option == 'h')
			usage(stdout, "lint");
		exit_code = option == 'h' ? EXIT_PASSED : option_error("lint", option, argv);
		goto cleanup;
	}
	if (!argument_count_ok("lint", argc, argv, 1, INT_MAX, &exit_code))
		goto cleanup;
	hs_search_path_defaults(state.search_path, sizeof(state.search_path));
	for (int i = optind; i < argc; i++)
		lint_file(&state, argv[i], scenario, findings);
	fprintf(stderr, "hasim lint: %u file%s: %u not loaded, %u error%s, %u warning%s\n",
		state.files, state.files == 1 ? "" : "s", state.invalid, state.errors,
		state.errors == 1 ? "" : "s", state.warnings, state.warnings == 1 ? "" : "s");
	exit_code = state.invalid ? EXIT_USAGE : state.errors ? EXIT_FAILED : EXIT_PASSED;
cleanup:
	free(scenario);
	free(findings);
	free(state.seen);
	return exit_code;
}

/* ---------------------------------------------------------------- list */

static int yaml_file_filter(const struct dirent *entry)
{
	size_t length = strlen(entry->d_name);

	return entry->d_name[0] != '.' && length > 5 &&
	       strcmp(entry->d_name + length - 5, ".yaml") == 0;
}

/* One line per *.yaml of folder, sorted: name and description, or why it
 * does not load. Returns how many do not load, -1 if the folder cannot be
 * read. */
static int list_folder(const char *folder, const char *what, const char *topology_dir,
		       struct hs_scenario *scenario)
{
	struct dirent **entries = NULL;
	int count = scandir(folder, &entries, yaml_file_filter, alphasort), invalid = 0;

	if (count < 0) {
		fprintf(stderr, "hasim list: %s: %s\n", folder, strerror(errno));
		return -1;
	}
	printf("%s in %s/ (%d):\n", what, folder, count);
	for (int i = 0; i < count; i++) {
		char path[PATH_MAX], error[HS_ERROR_MAX];
		const char *name = entries[i]->d_name, *description;
		int loaded;

		snprintf(path, sizeof(path), "%s/%s", folder, name);
		loaded = topology_dir
			     ? hs_scenario_load(path, topology_dir, scenario, error, sizeof(error))
			     : hs_topology_load(path, &scenario->topology, error, sizeof(error));
		description = topology_dir ? scenario->description : scenario->topology.description;
		if (loaded < 0) {
			printf("  %-30.*s does not load: %s\n", (int)(strlen(name) - 5), name,
			       error);
			invalid++;
		} else {
			printf("  %-30.*s %s\n", (int)(strlen(name) - 5), name,
			       description[0] ? description : "(no description)");
		}
		free(entries[i]);
	}
	free(entries);
	return invalid;
}

static int command_list(int argc, char **argv)
{
	static const struct option long_options[] = {{"scenario-dir", required_argument, NULL, 's'},
						     {"topology-dir", required_argument, NULL, 't'},
						     {"node", required_argument, NULL, 'n'},
						     {"nodes-dir", required_argument, NULL, 'N'},
						     HELP_OPTION,
						     {NULL, 0, NULL, 0}};
	const char *scenario_dir = DEFAULT_SCENARIO_DIR, *topology_dir = DEFAULT_TOPOLOGY_DIR;
	char search_path[HS_SEARCH_PATH_MAX] = "";
	struct hs_scenario *scenario;
	int option, exit_code = EXIT_PASSED, scenarios, topologies;

	while ((option = getopt_long(argc, argv, ":s:t:h", long_options, NULL)) != -1) {
		if (option == 's' || option == 't') {
			*(option == 's' ? &scenario_dir : &topology_dir) = optarg;
			continue;
		}
		if (option == 'h') {
			usage(stdout, "list");
			return EXIT_PASSED;
		}
		return option_error("list", option, argv);
	}
	if (!argument_count_ok("list", argc, argv, 0, 0, &exit_code))
		return exit_code;
	scenario = calloc(1, sizeof(*scenario));
	if (!scenario)
		return EXIT_INFRA;
	hs_search_path_add(search_path, sizeof(search_path), topology_dir);
	hs_search_path_defaults(search_path, sizeof(search_path));
	scenarios = list_folder(scenario_dir, "scenarios", search_path, scenario);
	topologies = list_folder(topology_dir, "topologies", NULL, scenario);
	free(scenario);
	if (scenarios < 0 || topologies < 0 || scenarios + topologies > 0)
		return EXIT_USAGE;
	return EXIT_PASSED;
}

/* --------------------------------------------------------------- check */

/* sim/check/command.c: judged again, the run folder never written. */
static int command_check(int argc, char **argv)
{
	return hs_check_command(argc, argv);
}

/* A command whose only option is --help: parse it and check that min..max
 * arguments follow. -1 with *exit_code when the command must stop. */
static int plain_options(const char *command, int argc, char **argv, int min, int max,
			 int *exit_code)
{
	static const struct option long_options[] = {HELP_OPTION, {NULL, 0, NULL, 0}};
	int option = getopt_long(argc, argv, ":h", long_options, NULL);

	if (option == 'h') {
		usage(stdout, command);
		*exit_code = EXIT_PASSED;
		return -1;
	}
	if (option != -1) {
		*exit_code = option_error(command, option, argv);
		return -1;
	}
	return argument_count_ok(command, argc, argv, min, max, exit_code) ? 0 : -1;
}

static int command_gc(int argc, char **argv)
{
	char error[256] = "";
	int removed, exit_code;

	if (plain_options("gc", argc, argv, 0, 0, &exit_code) < 0)
		return exit_code;
	removed = hs_backend_native.gc(error, sizeof(error));

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
	static const struct option long_options[] = {
	    {"log", no_argument, NULL, 'l'}, HELP_OPTION, {NULL, 0, NULL, 0}};
	char path[1024], run_id[64], domain[160], error[512] = "";
	const char *run_dir, *node, *uri = getenv("HALAB_LIBVIRT_URI");
	bool log_only = false;
	int option, attached, exit_code;

	while ((option = getopt_long(argc, argv, ":lh", long_options, NULL)) != -1) {
		if (option == 'l') {
			log_only = true;
			continue;
		}
		if (option == 'h') {
			usage(stdout, "console");
			return EXIT_PASSED;
		}
		return option_error("console", option, argv);
	}
	if (!argument_count_ok("console", argc, argv, 2, 2, &exit_code))
		return exit_code;
	run_dir = argv[optind];
	node = argv[optind + 1];
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

/* Ask the running hasim to power a node off (what hsfence, the nodes'
 * fence_command, does without hasim's libraries: sim/fence). */
static int command_fence(int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"socket", required_argument, NULL, 's'}, HELP_OPTION, {NULL, 0, NULL, 0}};
	struct sockaddr_un address;
	const char *socket_path = NULL, *node;
	char error[320];
	int option, exit_code;

	while ((option = getopt_long(argc, argv, ":s:h", long_options, NULL)) != -1) {
		if (option == 's') {
			socket_path = optarg;
			continue;
		}
		if (option == 'h') {
			usage(stdout, "fence");
			return EXIT_PASSED;
		}
		return option_error("fence", option, argv);
	}
	if (!argument_count_ok("fence", argc, argv, 1, 1, &exit_code))
		return exit_code;
	if (!socket_path || strlen(socket_path) >= sizeof(address.sun_path))
		return usage_error("fence", "--socket PATH is required (at most %zu bytes)",
				   sizeof(address.sun_path) - 1);
	node = argv[optind];
	if (hs_fence_request(socket_path, node, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim fence %s: %s\n", node, error);
		return EXIT_FAILED;
	}
	return EXIT_PASSED;
}

static int command_version(int argc, char **argv)
{
	int exit_code;

	if (plain_options("version", argc, argv, 0, 0, &exit_code) < 0)
		return exit_code;
	printf("hasim %s\n", HALAB_VERSION);
	return EXIT_PASSED;
}

static int command_help(int argc, char **argv)
{
	int exit_code;

	if (plain_options("help", argc, argv, 0, 1, &exit_code) < 0)
		return exit_code;
	if (optind < argc && !usage_find(argv[optind]))
		return usage_error("help", "unknown command '%s'", argv[optind]);
	usage(stdout, optind < argc ? argv[optind] : NULL);
	return EXIT_PASSED;
}

int main(int argc, char **argv)
{
	/* The command line as typed, for run.json (getopt reorders argv). */
	char *typed[HS_RUN_ARGV_MAX];
	int typed_count = argc < HS_RUN_ARGV_MAX ? argc : HS_RUN_ARGV_MAX;

	memcpy(typed, argv, (size_t)typed_count * sizeof(*typed));
	/* Error messages are ours (usage_error, option_error). */
	opterr = 0;
	if (argc < 2) {
		fprintf(stderr, "hasim: missing command\n");
		usage(stderr, NULL);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "run") == 0)
		return command_run(argc - 1, argv + 1, typed_count, typed);
	if (strcmp(argv[1], "lint") == 0)
		return command_lint(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return command_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return command_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "replay") == 0)
		return hs_replay_command(argc - 1, argv + 1);
	if (strcmp(argv[1], "gc") == 0)
		return command_gc(argc - 1, argv + 1);
	if (strcmp(argv[1], "parity") == 0) {
		char bin_dir[512], self[512];
		find_bin_dir(bin_dir, sizeof(bin_dir), self, sizeof(self));
		return hs_parity_main(argc - 1, argv + 1, self);
	}
	if (strcmp(argv[1], "swarm") == 0)
		return hs_swarm_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "matrix") == 0) {
		char bin_dir[512], self[512];
		find_bin_dir(bin_dir, sizeof(bin_dir), self, sizeof(self));
		return hs_matrix_main(argc - 1, argv + 1, self, HALAB_VERSION);
	}
	if (strcmp(argv[1], "fence") == 0)
		return command_fence(argc - 1, argv + 1);
	if (strcmp(argv[1], "console") == 0)
		return command_console(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0)
		return command_version(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return command_help(argc - 1, argv + 1);
	fprintf(stderr, "hasim: unknown command '%s'\n", argv[1]);
	usage(stderr, NULL);
	return EXIT_USAGE;
}
