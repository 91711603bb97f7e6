/*
 * swarm.c - `hasim swarm`: the command line, the workers and the summary.
 *
 *   hasim swarm [--topology T] [--tiebreaker none|ping|fence]
 *               [--count N | --minutes M] [--seed S] [--jobs J] [--out DIR]
 *               [--topology-dir DIR] [--shrink-runs N]
 *
 * Schedule i of a swarm run has seed S + i, so `hasim swarm --seed S+i
 * --count 1` runs exactly that schedule again. J worker processes (fork)
 * take the schedules i = w, w + J, w + 2J, ... and run them in-process on
 * the virtual backend (exec.c); each sends one record per schedule through
 * a pipe (records are shorter than PIPE_BUF, so writes never interleave)
 * and writes the YAML of every failing schedule into the output folder.
 * When the count is done or the time is up, the first failing schedule of
 * each violated property is shrunk (shrink.c), again in up to J workers,
 * and kept with its run folder. The summary (stdout and summary.json):
 * schedules run, schedules per minute, failures by property with their
 * reproducers, the shrunk reproducers.
 *
 * Exit status: 0 no property violated, 1 some property violated, 2 bad
 * usage, 3 could not run. The same seed and count give the same schedules,
 * the same verdicts and the same files (apart from times in summary.json).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "swarm_int.h"

#define SWARM_EXIT_PASSED	  0
#define SWARM_EXIT_FAILED	  1
#define SWARM_EXIT_USAGE	  2
#define SWARM_EXIT_INFRA	  3
#define SWARM_JOBS_MAX		  64
#define SWARM_DEFAULT_COUNT	  100
#define SWARM_DEFAULT_SHRINK_RUNS 400
#define SWARM_YAMLS_PER_WORKER	  50  /* failing schedules written per worker */
#define SWARM_LISTED_PER_PROPERTY 5   /* failing seeds printed per property */
#define SWARM_FAILURES_KEPT	  256 /* failing seeds remembered for the summary */
#define SWARM_RECORD_MESSAGE	  400
#define SWARM_TEXT_MAX		  32768

extern volatile sig_atomic_t hs_run_stop_requested;

struct swarm_config {
	struct hs_swarm_options options;
	char topology_path[HS_PATH_MAX];
	struct hs_topology topology;
	uint64_t seed;
	uint64_t count; /* 0: until the minutes are up */
	double minutes; /* 0: count */
	uint32_t jobs;
	uint32_t shrink_runs;
	char out[HS_PATH_MAX];
	struct hs_swarm_plant plant;
};

/* One schedule's outcome, worker -> parent (shorter than PIPE_BUF). */
struct swarm_record {
	uint64_t seed;
	uint32_t violated; /* bit per property */
	int32_t first;	   /* first violated property, -1 */
	uint32_t steps_failed;
	char message[SWARM_RECORD_MESSAGE];
};

/* The first failing schedules, for the summary. */
struct swarm_failure {
	uint64_t seed;
	uint32_t violated;
	int32_t first;
	char message[SWARM_RECORD_MESSAGE];
};

struct swarm_shrunk {
	bool done;
	uint64_t seed;
	uint32_t steps_before, steps_after, runs;
	bool budget_exhausted;
	bool still_fails;   /* the shrunk file, run again, violates the property */
	bool checker_fails; /* ... and the checker fails its expectations */
	char path[HS_PATH_MAX];
};

struct swarm_totals {
	uint64_t schedules;
	uint64_t failing; /* schedules that violated a property */
	uint64_t steps_failed;
	uint64_t by_property[HS_SWARM_PROPERTY_COUNT];
	uint32_t failure_count;
	struct swarm_failure failures[SWARM_FAILURES_KEPT];
	struct swarm_shrunk shrunk[HS_SWARM_PROPERTY_COUNT];
	double explore_s, shrink_s;
};

static double monotonic_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void on_signal(int signal_number)
{
	(void)signal_number;
	hs_run_stop_requested = 1;
}

/* ------------------------------------------------------------- files */

static int mkdir_parents(const char *path)
{
	char partial[HS_PATH_MAX];

	for (size_t i = 1; path[i] && i < sizeof(partial); i++) {
		if (path[i] != '/')
			continue;
		snprintf(partial, sizeof(partial), "%.*s", (int)i, path);
		if (mkdir(partial, 0755) < 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int file_write(const char *path, const char *text, size_t length)
{
	FILE *file = fopen(path, "w");

	if (!file)
		return -1;
	if (fwrite(text, 1, length, file) != length) {
		fclose(file);
		return -1;
	}
	return fclose(file);
}

/* ------------------------------------------------------------ the text */

/* The command that runs schedule seed again. */
static void swarm_reproducer(const struct swarm_config *config, uint64_t seed, char *out,
			     size_t size)
{
	size_t used = (size_t)snprintf(out, size, "hasim swarm --seed %" PRIu64 " --count 1", seed);

	if (strcmp(config->options.topology, "rack1-pair") != 0 && used < size)
		used += (size_t)snprintf(out + used, size - used, " --topology %s",
					 config->options.topology);
	if (config->options.tiebreaker[0] && used < size)
		used += (size_t)snprintf(out + used, size - used, " --tiebreaker %s",
					 config->options.tiebreaker);
	if (strcmp(config->options.topology_dir, "topologies") != 0 && used < size)
		snprintf(out + used, size - used, " --topology-dir %s",
			 config->options.topology_dir);
}

/* The schedule's comment gets the verdict and how to run it again: the
 * swarm command for the original schedule (it shrinks again), the file
 * itself with hasim run. */
static void comment_add_verdict(const struct swarm_config *config,
				struct hs_swarm_schedule *schedule, int property,
				const char *message, const char *file,
				const struct hs_swarm_shrink_stats *shrunk)
{
	char reproduce[512];
	size_t used = strlen(schedule->comment);

	swarm_reproducer(config, schedule->seed, reproduce, sizeof(reproduce));
	if (shrunk)
		used += (size_t)snprintf(schedule->comment + used, sizeof(schedule->comment) - used,
					 "\nShrunk from %u to %u steps (%u runs; delays and "
					 "impairment values too) by: %s",
					 shrunk->steps_before, shrunk->steps_after, shrunk->runs,
					 reproduce);
	else if (used < sizeof(schedule->comment))
		used += (size_t)snprintf(schedule->comment + used, sizeof(schedule->comment) - used,
					 "\nRun the schedule again: %s", reproduce);
	if (used < sizeof(schedule->comment))
		used +=
		    (size_t)snprintf(schedule->comment + used, sizeof(schedule->comment) - used,
				     "\nFails property %s (sim/swarm/README.md): %s\n"
				     "Reproduce: hasim run %s --backend virtual --seed %" PRIu64,
				     hs_swarm_property_info((enum hs_swarm_property)property)->name,
				     message, file, schedule->seed);
	/* hasim run has no bound on a run that never ends: say so. */
	if (property == HS_SWARM_PROP_TIME_ADVANCES && used < sizeof(schedule->comment))
		snprintf(schedule->comment + used, sizeof(schedule->comment) - used,
			 "\nCareful: that run may never end and write without end; bound it, e.g. "
			 "(ulimit -f 65536; timeout 60 hasim run ...)");
}

/* ------------------------------------------------------------- a worker */

static void worker_write_yaml(const struct swarm_config *config,
			      const struct hs_swarm_schedule *schedule,
			      const struct hs_swarm_verdict *verdict, char *text)
{
	struct hs_swarm_schedule *out = malloc(sizeof(*out));
	char path[HS_PATH_MAX + 64];
	int first = hs_swarm_verdict_first(verdict), length;

	if (!out)
		return;
	snprintf(path, sizeof(path), "%s/swarm-%" PRIu64 ".yaml", config->out, schedule->seed);
	hs_swarm_property_expects((enum hs_swarm_property)first, schedule, verdict, out);
	comment_add_verdict(config, out, first, verdict->violations[first].message, path, NULL);
	length = hs_swarm_yaml_write(out, text, SWARM_TEXT_MAX);
	if (length > 0 && file_write(path, text, (size_t)length) < 0)
		fprintf(stderr, "hasim swarm: %s: %s\n", path, strerror(errno));
	free(out);
}

static void worker_record(int fd, uint64_t seed, const struct hs_swarm_verdict *verdict,
			  const char *error)
{
	struct swarm_record record = {.seed = seed, .first = -1};
	int first = hs_swarm_verdict_first(verdict);

	for (int p = 0; p < HS_SWARM_PROPERTY_COUNT; p++)
		if (verdict->violations[p].violated)
			record.violated |= 1u << p;
	record.first = first;
	record.steps_failed = verdict->steps_failed;
	if (error && error[0]) {
		record.first = HS_SWARM_PROP_RUN_COMPLETES;
		record.violated |= 1u << HS_SWARM_PROP_RUN_COMPLETES;
		snprintf(record.message, sizeof(record.message), "%s", error);
	} else if (first >= 0) {
		snprintf(record.message, sizeof(record.message), "%s",
			 verdict->violations[first].message);
	}
	if (write(fd, &record, sizeof(record)) != (ssize_t)sizeof(record))
		hs_run_stop_requested = 1; /* the parent is gone */
}

static int worker_explore(const struct swarm_config *config, uint32_t worker, int fd,
			  double deadline_s)
{
	char work_dir[HS_PATH_MAX + 32], error[512];
	struct hs_swarm_runner *runner;
	struct hs_swarm_schedule *schedule = malloc(sizeof(*schedule));
	struct hs_swarm_verdict verdict;
	char *text = malloc(SWARM_TEXT_MAX);
	uint32_t written = 0;

	snprintf(work_dir, sizeof(work_dir), "%s/.work/job%u", config->out, worker);
	if (!schedule || !text || mkdir_parents(work_dir) < 0 ||
	    !(runner = hs_swarm_runner_new(work_dir, &config->plant))) {
		free(schedule);
		free(text);
		return SWARM_EXIT_INFRA;
	}
	for (uint64_t i = worker; !hs_run_stop_requested; i += config->jobs) {
		if (config->count ? i >= config->count : monotonic_s() >= deadline_s)
			break;
		hs_swarm_generate(config->seed + i, &config->topology, &config->options, schedule);
		error[0] = '\0';
		if (hs_swarm_run_schedule(runner, schedule, config->options.topology_dir, &verdict,
					  error, sizeof(error)) < 0)
			memset(&verdict, 0, sizeof(verdict));
		else
			error[0] = '\0';
		if ((error[0] || hs_swarm_verdict_first(&verdict) >= 0) &&
		    written++ < SWARM_YAMLS_PER_WORKER && !error[0])
			worker_write_yaml(config, schedule, &verdict, text);
		worker_record(fd, schedule->seed, &verdict, error);
	}
	hs_swarm_runner_free(runner);
	rmdir(work_dir);
	free(schedule);
	free(text);
	return SWARM_EXIT_PASSED;
}

/* --------------------------------------------------------- the shrinker */

struct shrink_record {
	int32_t property;
	struct swarm_shrunk shrunk;
};

/* Render, comment and write schedule for property (verdict from its run). */
static int shrunk_write(const struct swarm_config *config, struct hs_swarm_schedule *schedule,
			int property, const struct hs_swarm_verdict *verdict, const char *path,
			const struct hs_swarm_shrink_stats *stats, char *text)
{
	int length;

	hs_swarm_property_expects((enum hs_swarm_property)property, schedule, verdict, schedule);
	comment_add_verdict(config, schedule, property, verdict->violations[property].message, path,
			    stats);
	length = hs_swarm_yaml_write(schedule, text, SWARM_TEXT_MAX);
	if (length < 0 || file_write(path, text, (size_t)length) < 0)
		return -1;
	return length;
}

/* Shrink the first failing schedule of property; keep the shrunk run's
 * folder; run the written file again to confirm it fails the same way. */
static void worker_shrink(const struct swarm_config *config, int property, uint64_t seed,
			  struct hs_swarm_runner *runner, struct shrink_record *record, char *text)
{
	struct hs_swarm_schedule *schedule = malloc(sizeof(*schedule));
	struct hs_swarm_shrink_stats stats;
	struct hs_swarm_verdict verdict;
	const char *name = hs_swarm_property_info((enum hs_swarm_property)property)->name;
	char keep[HS_PATH_MAX + 96], error[512];
	int length;

	record->property = property;
	record->shrunk.seed = seed;
	if (!schedule)
		return;
	hs_swarm_generate(seed, &config->topology, &config->options, schedule);
	if (hs_swarm_shrink(runner, schedule, (enum hs_swarm_property)property,
			    config->options.topology_dir, config->shrink_runs, &stats) < 0)
		goto cleanup;
	snprintf(schedule->name, sizeof(schedule->name), "shrunk-%" PRIu64 "-p%d", seed, property);
	snprintf(record->shrunk.path, sizeof(record->shrunk.path), "%s/shrunk-%" PRIu64 "-%s.yaml",
		 config->out, seed, name);
	snprintf(keep, sizeof(keep), "%s/runs/shrunk-%" PRIu64 "-%s", config->out, seed, name);
	mkdir_parents(keep);
	if (hs_swarm_run_schedule(runner, schedule, config->options.topology_dir, &verdict, error,
				  sizeof(error)) < 0 ||
	    !verdict.violations[property].violated)
		goto cleanup;
	hs_swarm_comment(schedule, true);
	length =
	    shrunk_write(config, schedule, property, &verdict, record->shrunk.path, &stats, text);
	if (length < 0)
		goto cleanup;
	/* As `hasim run FILE --backend virtual --seed N` would: the file's text,
	 * its run folder kept with the reports. */
	if (hs_swarm_run_text(runner, record->shrunk.path, text, (size_t)length,
			      config->options.topology_dir, seed, keep, &verdict, error,
			      sizeof(error)) == 0) {
		record->shrunk.still_fails = verdict.violations[property].violated;
		record->shrunk.checker_fails = !verdict.checker_passed;
	}
	record->shrunk.done = true;
	record->shrunk.steps_before = stats.steps_before;
	record->shrunk.steps_after = stats.steps_after;
	record->shrunk.runs = stats.runs + 2;
	record->shrunk.budget_exhausted = stats.budget_exhausted;
cleanup:
	free(schedule);
}

static int worker_shrink_main(const struct swarm_config *config, int property, uint64_t seed,
			      int fd)
{
	struct shrink_record record;
	char work_dir[HS_PATH_MAX + 32];
	char *text = malloc(SWARM_TEXT_MAX);
	struct hs_swarm_runner *runner;

	memset(&record, 0, sizeof(record));
	snprintf(work_dir, sizeof(work_dir), "%s/.work/shrink%d", config->out, property);
	if (!text || mkdir_parents(work_dir) < 0 ||
	    !(runner = hs_swarm_runner_new(work_dir, &config->plant))) {
		free(text);
		return SWARM_EXIT_INFRA;
	}
	worker_shrink(config, property, seed, runner, &record, text);
	if (write(fd, &record, sizeof(record)) != (ssize_t)sizeof(record))
		fprintf(stderr, "hasim swarm: cannot report the shrink of %" PRIu64 "\n", seed);
	hs_swarm_runner_free(runner);
	rmdir(work_dir);
	free(text);
	return SWARM_EXIT_PASSED;
}

/* ------------------------------------------------------------ the parent */

/* Run `jobs` children; child(w) returns its exit status. */
static int fork_workers(uint32_t jobs, pid_t *pids, int (*child)(void *, uint32_t), void *context)
{
	for (uint32_t w = 0; w < jobs; w++) {
		fflush(NULL);
		pids[w] = fork();
		if (pids[w] < 0)
			return -1;
		if (pids[w] == 0)
			exit(child(context, w)); /* exit, not _exit: coverage data */
	}
	return 0;
}

static int wait_workers(uint32_t jobs, const pid_t *pids)
{
	int failed = 0, status;

	for (uint32_t w = 0; w < jobs; w++)
		if (pids[w] > 0 && (waitpid(pids[w], &status, 0) < 0 || !WIFEXITED(status) ||
				    WEXITSTATUS(status) != 0))
			failed++;
	return failed;
}

struct explore_context {
	const struct swarm_config *config;
	int fd;
	double deadline_s;
};

static int explore_child(void *data, uint32_t worker)
{
	struct explore_context *context = data;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return worker_explore(context->config, worker, context->fd, context->deadline_s);
}

static void totals_add(struct swarm_totals *totals, const struct swarm_record *record)
{
	totals->schedules++;
	totals->steps_failed += record->steps_failed;
	for (int p = 0; p < HS_SWARM_PROPERTY_COUNT; p++)
		if (record->violated & (1u << p))
			totals->by_property[p]++;
	if (record->first < 0)
		return;
	totals->failing++;
	/* Keep the failures with the smallest seeds, whatever the arrival order. */
	uint32_t slot = totals->failure_count;
	if (slot == SWARM_FAILURES_KEPT) {
		uint32_t largest = 0;
		for (uint32_t i = 1; i < SWARM_FAILURES_KEPT; i++)
			if (totals->failures[i].seed > totals->failures[largest].seed)
				largest = i;
		if (totals->failures[largest].seed < record->seed)
			return;
		slot = largest;
	} else {
		totals->failure_count++;
	}
	totals->failures[slot] = (struct swarm_failure){
	    .seed = record->seed, .violated = record->violated, .first = record->first};
	memcpy(totals->failures[slot].message, record->message, sizeof(record->message));
}

static void progress(const struct swarm_totals *totals, double started_s, bool final)
{
	static double last_s;
	double now_s = monotonic_s();

	if (!isatty(STDERR_FILENO) || (!final && now_s - last_s < 1.0))
		return;
	last_s = now_s;
	fprintf(stderr, "\rhasim swarm: %" PRIu64 " schedules in %.0f s, %" PRIu64 " failing%s",
		totals->schedules, now_s - started_s, totals->failing, final ? "\n" : "");
}

static int explore(const struct swarm_config *config, struct swarm_totals *totals)
{
	struct explore_context context = {.config = config};
	struct swarm_record record;
	pid_t pids[SWARM_JOBS_MAX] = {0};
	double started_s = monotonic_s();
	int pipe_fds[2], failed;
	ssize_t got;

	context.deadline_s = started_s + config->minutes * 60.0;
	if (pipe(pipe_fds) < 0)
		return -1;
	context.fd = pipe_fds[1];
	if (fork_workers(config->jobs, pids, explore_child, &context) < 0)
		fprintf(stderr, "hasim swarm: fork: %s\n", strerror(errno));
	close(pipe_fds[1]);
	while ((got = read(pipe_fds[0], &record, sizeof(record))) > 0 ||
	       (got < 0 && errno == EINTR)) {
		if (got == (ssize_t)sizeof(record))
			totals_add(totals, &record);
		progress(totals, started_s, false);
	}
	close(pipe_fds[0]);
	failed = wait_workers(config->jobs, pids);
	totals->explore_s = monotonic_s() - started_s;
	progress(totals, started_s, true);
	return failed ? -1 : 0;
}

struct shrink_context {
	const struct swarm_config *config;
	int fd;
	int properties[HS_SWARM_PROPERTY_COUNT];
	uint64_t seeds[HS_SWARM_PROPERTY_COUNT];
	uint32_t count;
	uint32_t next;
};

static int shrink_child(void *data, uint32_t worker)
{
	struct shrink_context *context = data;
	uint32_t index = context->next + worker;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return worker_shrink_main(context->config, context->properties[index],
				  context->seeds[index], context->fd);
}

/* The first failing seed of each violated property, shrunk in batches of
 * `jobs` workers. */
static void shrink_all(const struct swarm_config *config, struct swarm_totals *totals)
{
	struct shrink_context context = {.config = config};
	struct shrink_record record;
	double started_s = monotonic_s();
	pid_t pids[SWARM_JOBS_MAX];
	int pipe_fds[2];

	for (int p = 0; p < HS_SWARM_PROPERTY_COUNT; p++) {
		uint64_t seed = UINT64_MAX;
		for (uint32_t i = 0; i < totals->failure_count; i++)
			if ((totals->failures[i].violated & (1u << p)) &&
			    totals->failures[i].seed < seed)
				seed = totals->failures[i].seed;
		if (seed == UINT64_MAX || config->shrink_runs == 0)
			continue;
		context.properties[context.count] = p;
		context.seeds[context.count++] = seed;
	}
	while (context.next < context.count && !hs_run_stop_requested) {
		uint32_t batch = context.count - context.next < config->jobs
				     ? context.count - context.next
				     : config->jobs;
		if (pipe(pipe_fds) < 0)
			return;
		context.fd = pipe_fds[1];
		memset(pids, 0, sizeof(pids));
		fork_workers(batch, pids, shrink_child, &context);
		close(pipe_fds[1]);
		while (read(pipe_fds[0], &record, sizeof(record)) == (ssize_t)sizeof(record))
			if (record.property >= 0 && record.property < HS_SWARM_PROPERTY_COUNT)
				totals->shrunk[record.property] = record.shrunk;
		close(pipe_fds[0]);
		wait_workers(batch, pids);
		context.next += batch;
	}
	totals->shrink_s = monotonic_s() - started_s;
}

/* ------------------------------------------------------------ summary */

static int failure_compare(const void *left, const void *right)
{
	const struct swarm_failure *a = left, *b = right;

	return a->seed < b->seed ? -1 : a->seed > b->seed;
}

static double per_minute(const struct swarm_totals *totals)
{
	return totals->explore_s > 0 ? (double)totals->schedules * 60.0 / totals->explore_s : 0.0;
}

static void summary_print_property(const struct swarm_config *config,
				   const struct swarm_totals *totals, int property)
{
	const struct swarm_shrunk *shrunk = &totals->shrunk[property];
	char reproduce[512];
	uint32_t listed = 0;

	printf("  %-24s %" PRIu64 " schedule%s\n",
	       hs_swarm_property_info((enum hs_swarm_property)property)->name,
	       totals->by_property[property], totals->by_property[property] == 1 ? "" : "s");
	for (uint32_t i = 0; i < totals->failure_count && listed < SWARM_LISTED_PER_PROPERTY; i++) {
		const struct swarm_failure *failure = &totals->failures[i];
		if (!(failure->violated & (1u << property)))
			continue;
		listed++;
		swarm_reproducer(config, failure->seed, reproduce, sizeof(reproduce));
		printf("    seed %" PRIu64 ": %s\n      reproduce: %s\n", failure->seed,
		       failure->first == property ? failure->message : "(see its first property)",
		       reproduce);
		if (failure->first == property)
			printf("             or: hasim run %s/swarm-%" PRIu64
			       ".yaml --backend virtual --seed %" PRIu64 "\n",
			       config->out, failure->seed, failure->seed);
	}
	if (shrunk->done)
		printf("    shrunk (seed %" PRIu64 "): %s, %u -> %u steps in %u runs%s; %s\n",
		       shrunk->seed, shrunk->path, shrunk->steps_before, shrunk->steps_after,
		       shrunk->runs, shrunk->budget_exhausted ? " (budget spent)" : "",
		       !shrunk->still_fails ? "run again it no longer fails (report it)"
		       : shrunk->checker_fails
			   ? "fails the same property, and `hasim run` fails it"
			   : "fails the same property; its expectation cannot state it (see the "
			     "property table)");
	else if (totals->by_property[property] > 0 && config->shrink_runs > 0)
		printf("    not shrunk: the schedule did not fail again or its shrink failed\n");
}

static void summary_print(const struct swarm_config *config, const struct swarm_totals *totals)
{
	printf("hasim swarm: %" PRIu64 " schedules (seeds %" PRIu64 "..%" PRIu64
	       ") on %s, tie-breaker %s, %u job%s\n",
	       totals->schedules, config->seed,
	       config->seed + (totals->schedules ? totals->schedules - 1 : 0),
	       config->options.topology, config->topology.tiebreaker, config->jobs,
	       config->jobs == 1 ? "" : "s");
	printf("  %.1f s exploring: %.0f schedules per minute; %.1f s shrinking\n",
	       totals->explore_s, per_minute(totals), totals->shrink_s);
	printf("  %" PRIu64 " steps refused by the nodes or the lab (not findings)\n",
	       totals->steps_failed);
	printf("failures by property: %" PRIu64 " schedule%s failed\n", totals->failing,
	       totals->failing == 1 ? "" : "s");
	for (int p = 0; p < HS_SWARM_PROPERTY_COUNT; p++)
		if (totals->by_property[p] > 0)
			summary_print_property(config, totals, p);
	printf("output: %s\n", config->out);
}

static int summary_write(const struct swarm_config *config, const struct swarm_totals *totals)
{
	json_t *root = json_object(), *properties = json_object(), *failures = json_array();
	char path[HS_PATH_MAX + 16];
	int result;

	json_object_set_new(root, "seed", json_integer((json_int_t)config->seed));
	json_object_set_new(root, "topology", json_string(config->options.topology));
	json_object_set_new(root, "tiebreaker", json_string(config->topology.tiebreaker));
	json_object_set_new(root, "jobs", json_integer(config->jobs));
	json_object_set_new(root, "schedules", json_integer((json_int_t)totals->schedules));
	json_object_set_new(root, "failing", json_integer((json_int_t)totals->failing));
	json_object_set_new(root, "steps_refused", json_integer((json_int_t)totals->steps_failed));
	json_object_set_new(root, "explore_s", json_real(totals->explore_s));
	json_object_set_new(root, "schedules_per_minute", json_real(per_minute(totals)));
	json_object_set_new(root, "shrink_s", json_real(totals->shrink_s));
	for (int p = 0; p < HS_SWARM_PROPERTY_COUNT; p++) {
		const struct swarm_shrunk *shrunk = &totals->shrunk[p];
		json_t *entry = json_object();
		json_object_set_new(entry, "schedules",
				    json_integer((json_int_t)totals->by_property[p]));
		if (shrunk->done) {
			json_t *detail = json_object();
			json_object_set_new(detail, "seed", json_integer((json_int_t)shrunk->seed));
			json_object_set_new(detail, "path", json_string(shrunk->path));
			json_object_set_new(detail, "steps_before",
					    json_integer(shrunk->steps_before));
			json_object_set_new(detail, "steps_after",
					    json_integer(shrunk->steps_after));
			json_object_set_new(detail, "runs", json_integer(shrunk->runs));
			json_object_set_new(detail, "still_fails",
					    json_boolean(shrunk->still_fails));
			json_object_set_new(detail, "checker_fails",
					    json_boolean(shrunk->checker_fails));
			json_object_set_new(entry, "shrunk", detail);
		}
		json_object_set_new(properties,
				    hs_swarm_property_info((enum hs_swarm_property)p)->name, entry);
	}
	json_object_set_new(root, "properties", properties);
	for (uint32_t i = 0; i < totals->failure_count; i++) {
		json_t *entry = json_object(), *names = json_array();
		json_object_set_new(entry, "seed",
				    json_integer((json_int_t)totals->failures[i].seed));
		for (int p = 0; p < HS_SWARM_PROPERTY_COUNT; p++)
			if (totals->failures[i].violated & (1u << p))
				json_array_append_new(
				    names,
				    json_string(
					hs_swarm_property_info((enum hs_swarm_property)p)->name));
		json_object_set_new(entry, "properties", names);
		json_object_set_new(entry, "message", json_string(totals->failures[i].message));
		json_array_append_new(failures, entry);
	}
	json_object_set_new(root, "failures", failures);
	snprintf(path, sizeof(path), "%s/summary.json", config->out);
	result = json_dump_file(root, path, JSON_INDENT(2));
	json_decref(root);
	return result;
}

/* ------------------------------------------------------------ options */

static int usage_error(const char *format, const char *value)
{
	fprintf(stderr, "hasim swarm: ");
	fprintf(stderr, format, value);
	fprintf(stderr, "\nusage: hasim %s", HS_SWARM_USAGE);
	return SWARM_EXIT_USAGE;
}

static uint64_t seed_random(void)
{
	uint64_t seed = 0;
	FILE *urandom = fopen("/dev/urandom", "r");

	if (!urandom || fread(&seed, sizeof(seed), 1, urandom) != 1)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (urandom)
		fclose(urandom);
	return seed % 1000000000u; /* short enough to type */
}

static int option_set(struct swarm_config *config, int option, const char *value, bool *seeded)
{
	uint64_t number;

	switch (option) {
	case 't':
		if (!value[0] || strlen(value) >= sizeof(config->options.topology))
			return usage_error("--topology needs a name or a path, not '%s'", value);
		snprintf(config->options.topology, sizeof(config->options.topology), "%s", value);
		return 0;
	case 'T':
		snprintf(config->options.topology_dir, sizeof(config->options.topology_dir), "%s",
			 value);
		return 0;
	case 'b':
		if (strcmp(value, "none") && strcmp(value, "ping") && strcmp(value, "fence"))
			return usage_error("--tiebreaker takes none, ping or fence, not '%s'",
					   value);
		snprintf(config->options.tiebreaker, sizeof(config->options.tiebreaker), "%s",
			 value);
		return 0;
	case 'c':
		if (!hs_decimal_parse(value, UINT32_MAX, &number) || number == 0)
			return usage_error("--count takes an integer 1..4294967295, not '%s'",
					   value);
		config->count = number;
		return 0;
	case 'm':
		if (!hs_decimal_parse(value, 10080, &number) || number == 0)
			return usage_error("--minutes takes an integer 1..10080, not '%s'", value);
		config->minutes = (double)number;
		return 0;
	case 's':
		if (!hs_decimal_parse(value, UINT64_MAX, &config->seed))
			return usage_error(
			    "--seed takes an integer 0..18446744073709551615, not '%s'", value);
		*seeded = true;
		return 0;
	case 'j':
		if (!hs_decimal_parse(value, SWARM_JOBS_MAX, &number) || number == 0)
			return usage_error("--jobs takes an integer 1..64, not '%s'", value);
		config->jobs = (uint32_t)number;
		return 0;
	case 'o':
		if (!value[0] || strlen(value) >= sizeof(config->out) - 96)
			return usage_error("--out needs a folder (a shorter path), not '%s'",
					   value);
		snprintf(config->out, sizeof(config->out), "%s", value);
		return 0;
	case 'r':
		if (!hs_decimal_parse(value, 100000, &number))
			return usage_error("--shrink-runs takes an integer 0..100000, not '%s'",
					   value);
		config->shrink_runs = (uint32_t)number;
		return 0;
	}
	return SWARM_EXIT_USAGE;
}

/* The property table as sim/swarm/README.md shows it (a test compares). */
static void properties_print(void)
{
	printf("| property | tie-breakers | SPEC | what is checked | in a reproducer |\n");
	printf("|---|---|---|---|---|\n");
	for (int p = 0; p < HS_SWARM_PROPERTY_COUNT; p++) {
		const struct hs_swarm_property_info *info =
		    hs_swarm_property_info((enum hs_swarm_property)p);
		printf("| `%s` | %s | %s | %s | %s |\n", info->name, info->tiebreakers, info->spec,
		       info->rule, info->yaml);
	}
}

/* -1 (and *exit_code) when the command must stop: help or a bad option. */
static int options_parse(int argc, char **argv, struct swarm_config *config, int *exit_code)
{
	static const struct option long_options[] = {{"topology", required_argument, NULL, 't'},
						     {"topology-dir", required_argument, NULL, 'T'},
						     {"tiebreaker", required_argument, NULL, 'b'},
						     {"count", required_argument, NULL, 'c'},
						     {"minutes", required_argument, NULL, 'm'},
						     {"seed", required_argument, NULL, 's'},
						     {"jobs", required_argument, NULL, 'j'},
						     {"out", required_argument, NULL, 'o'},
						     {"shrink-runs", required_argument, NULL, 'r'},
						     {"properties", no_argument, NULL, 'P'},
						     {"help", no_argument, NULL, 'h'},
						     {NULL, 0, NULL, 0}};
	bool seeded = false, counted = false;
	int option;

	while ((option = getopt_long(argc, argv, ":t:T:b:c:m:s:j:o:r:Ph", long_options, NULL)) !=
	       -1) {
		if (option == 'h' || option == 'P') {
			if (option == 'h')
				printf("usage: hasim %s", HS_SWARM_USAGE);
			else
				properties_print();
			*exit_code = SWARM_EXIT_PASSED;
			return -1;
		}
		if (option == ':' || option == '?') {
			*exit_code = usage_error(option == ':' ? "option '%s' needs a value"
							       : "unknown option '%s'",
						 argv[optind - 1]);
			return -1;
		}
		counted = counted || option == 'c';
		if ((*exit_code = option_set(config, option, optarg, &seeded)) != 0)
			return -1;
	}
	if (optind < argc) {
		*exit_code = usage_error("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (counted && config->minutes > 0) {
		*exit_code = usage_error("%s--count and --minutes exclude each other", "");
		return -1;
	}
	if (!counted && config->minutes == 0)
		config->count = SWARM_DEFAULT_COUNT;
	if (config->minutes > 0)
		config->count = 0;
	if (!seeded)
		config->seed = seed_random();
	return 0;
}

/* ------------------------------------------------------------- setup */

/* The topology file: a path as given (made absolute, so that the scenario
 * files in --out find it), or a bare name in --topology-dir. */
static int topology_setup(struct swarm_config *config)
{
	char error[HS_ERROR_MAX], real[PATH_MAX];
	const char *given = config->options.topology;
	size_t length = strlen(given);
	bool is_path =
	    strchr(given, '/') || (length > 5 && strcmp(given + length - 5, ".yaml") == 0);

	if (is_path || strcmp(config->options.topology_dir, "topologies") != 0) {
		if (is_path)
			snprintf(config->topology_path, sizeof(config->topology_path), "%s", given);
		else
			snprintf(config->topology_path, sizeof(config->topology_path), "%s/%s.yaml",
				 config->options.topology_dir, given);
		if (!realpath(config->topology_path, real)) {
			fprintf(stderr, "hasim swarm: %s: %s\n", config->topology_path,
				strerror(errno));
			return -1;
		}
		snprintf(config->options.topology, sizeof(config->options.topology), "%s", real);
		snprintf(config->topology_path, sizeof(config->topology_path), "%s", real);
	} else {
		snprintf(config->topology_path, sizeof(config->topology_path), "%s/%s.yaml",
			 config->options.topology_dir, given);
	}
	if (hs_topology_load(config->topology_path, &config->topology, error, sizeof(error)) < 0) {
		fprintf(stderr, "%s\n", error);
		return -1;
	}
	if (config->topology.node_count != 2) {
		fprintf(stderr, "hasim swarm: %s: swarm needs a topology of two nodes\n",
			config->topology_path);
		return -1;
	}
	if (config->options.tiebreaker[0])
		snprintf(config->topology.tiebreaker, sizeof(config->topology.tiebreaker), "%s",
			 config->options.tiebreaker);
	return 0;
}

/* The output folder: new, or empty (as hasim run's run folder). */
static int out_setup(struct swarm_config *config)
{
	char stamp[32];
	time_t now = time(NULL);
	struct stat status;

	if (!config->out[0]) {
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
		snprintf(config->out, sizeof(config->out), "reports/swarm-%s-%" PRIu64, stamp,
			 config->seed);
	}
	if (stat(config->out, &status) == 0) {
		char probe[HS_PATH_MAX + 32];
		snprintf(probe, sizeof(probe), "%s/summary.json", config->out);
		if (access(probe, F_OK) == 0) {
			fprintf(
			    stderr,
			    "hasim swarm: %s holds the results of another swarm run; remove it or "
			    "choose another --out\n",
			    config->out);
			return -1;
		}
	}
	if (mkdir_parents(config->out) < 0) {
		fprintf(stderr, "hasim swarm: mkdir %s: %s\n", config->out, strerror(errno));
		return -1;
	}
	return 0;
}

static void work_remove(const struct swarm_config *config)
{
	char path[HS_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/.work", config->out);
	rmdir(path);
}

int hs_swarm_main(int argc, char **argv)
{
	struct swarm_config *config = calloc(1, sizeof(*config));
	struct swarm_totals *totals = calloc(1, sizeof(*totals));
	const char *plant = getenv("HALAB_SWARM_PLANT");
	int exit_code = SWARM_EXIT_INFRA;

	if (!config || !totals)
		goto cleanup;
	snprintf(config->options.topology, sizeof(config->options.topology), "rack1-pair");
	snprintf(config->options.topology_dir, sizeof(config->options.topology_dir), "topologies");
	config->jobs = 1;
	config->shrink_runs = SWARM_DEFAULT_SHRINK_RUNS;
	config->plant.property = -1;
	if (options_parse(argc, argv, config, &exit_code) < 0)
		goto cleanup;
	exit_code = SWARM_EXIT_USAGE;
	if (plant && plant[0] && hs_swarm_plant_parse(plant, &config->plant) < 0) {
		fprintf(stderr, "hasim swarm: HALAB_SWARM_PLANT: '%s' is not PROPERTY:ACTION\n",
			plant);
		goto cleanup;
	}
	if (topology_setup(config) < 0 || out_setup(config) < 0)
		goto cleanup;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "hasim swarm: seed %" PRIu64 ", %s, output in %s\n", config->seed,
		config->count ? "a count" : "a time budget", config->out);
	exit_code = SWARM_EXIT_INFRA;
	if (explore(config, totals) < 0 && !hs_run_stop_requested)
		fprintf(stderr, "hasim swarm: a worker failed (see above)\n");
	qsort(totals->failures, totals->failure_count, sizeof(totals->failures[0]),
	      failure_compare);
	shrink_all(config, totals);
	work_remove(config);
	summary_print(config, totals);
	if (summary_write(config, totals) < 0)
		fprintf(stderr, "hasim swarm: cannot write %s/summary.json\n", config->out);
	exit_code = hs_run_stop_requested ? 130
		    : totals->failing	  ? SWARM_EXIT_FAILED
					  : SWARM_EXIT_PASSED;
cleanup:
	free(config);
	free(totals);
	return exit_code;
}
