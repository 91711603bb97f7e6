/*
 * exec.c - run one swarm schedule in this process and judge it.
 *
 * The schedule's YAML text is loaded as any scenario file is
 * (hs_scenario_load_buffer, so what runs is exactly what a reproducer
 * file holds), run by the same runner as `hasim run --backend virtual`
 * (hs_run_execute) into a scratch run folder, judged by the checker
 * (hs_check_run: the timeline, spans and metrics) and then by the
 * properties (property.c) with what final.json and run.json add. Nothing
 * is rendered for a run that is only explored: result.json, junit.xml and
 * timeline.html are written only for a run kept for a reproducer. A process
 * start of hasim costs about 25 ms; a schedule of 60 virtual seconds costs
 * about as much again to run, so running in-process doubles the rate.
 *
 * The runner reports failed steps on stderr (a refused switchover is no
 * finding in swarm, and thousands of schedules would bury the summary):
 * stderr goes to /dev/null for the length of each run.
 *
 * Each run happens in a child process (fork costs a fraction of a
 * millisecond), which sends its verdict back through a pipe: a run that
 * never ends (a node whose deadline stays due inside one round of the
 * virtual loop, logging without end), a file that outgrows EXEC_FILE_MAX
 * or a crash of the node's code ends only that child, and becomes a
 * violation of time_advances or run_completes instead of a hung or dead
 * swarm. The wall-time bound is generous: a schedule of 60 virtual
 * seconds takes about 50 ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/run.h"
#include "swarm_int.h"

#define EXEC_YAML_MAX	 32768
#define EXEC_WALL_MAX_MS 30000		       /* a run that takes longer is stuck */
#define EXEC_FILE_MAX	 (64ull * 1024 * 1024) /* a run-folder file beyond this grows without end */

struct hs_swarm_runner {
	char work_dir[HS_PATH_MAX];
	char scratch_dir[HS_PATH_MAX + 8];
	char self_path[512];
	struct hs_swarm_plant plant;
	struct hs_run *run;
	struct hs_check_result *result;
	struct hs_swarm_facts facts;
	char *text;
	uint64_t runs;
};

struct hs_swarm_runner *hs_swarm_runner_new(const char *work_dir,
					    const struct hs_swarm_plant *plant)
{
	struct hs_swarm_runner *runner = calloc(1, sizeof(*runner));
	ssize_t got;

	if (!runner)
		return NULL;
	runner->run = calloc(1, sizeof(*runner->run));
	runner->result = calloc(1, sizeof(*runner->result));
	runner->text = malloc(EXEC_YAML_MAX);
	if (!runner->run || !runner->result || !runner->text) {
		hs_swarm_runner_free(runner);
		return NULL;
	}
	snprintf(runner->work_dir, sizeof(runner->work_dir), "%s", work_dir);
	snprintf(runner->scratch_dir, sizeof(runner->scratch_dir), "%s/run", work_dir);
	runner->plant = plant ? *plant : (struct hs_swarm_plant){.property = -1};
	got = readlink("/proc/self/exe", runner->self_path, sizeof(runner->self_path) - 1);
	runner->self_path[got > 0 ? got : 0] = '\0';
	return runner;
}

void hs_swarm_runner_free(struct hs_swarm_runner *runner)
{
	if (!runner)
		return;
	free(runner->run);
	free(runner->result);
	free(runner->text);
	free(runner);
}

uint64_t hs_swarm_runner_runs(const struct hs_swarm_runner *runner)
{
	return runner->runs;
}

/* ------------------------------------------------------- run folders */

static int remove_entry(const char *path, const struct stat *status, int flag, struct FTW *ftw)
{
	(void)status;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Remove a run folder this runner made (its files, then the folder). */
static int folder_remove(const char *path)
{
	if (access(path, F_OK) < 0)
		return 0;
	return nftw(path, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ facts */

static void facts_read_final(struct hs_swarm_facts *facts, const struct hs_check_result *result,
			     const char *run_dir)
{
	char path[HS_PATH_MAX + 16];
	json_t *root, *nodes;

	snprintf(path, sizeof(path), "%s/final.json", run_dir);
	root = json_load_file(path, 0, NULL);
	nodes = json_object_get(root, "nodes");
	for (uint32_t n = 0; n < result->node_count && n < HS_NODES_MAX; n++) {
		json_t *entry = json_object_get(nodes, result->nodes[n]);
		json_t *self = json_object_get(json_object_get(entry, "status"), "node");
		struct hs_swarm_final_node *final = &facts->final[n];
		const char *display = json_string_value(json_object_get(entry, "display"));
		if (!entry)
			continue;
		final->known = true;
		final->reachable = json_is_true(json_object_get(entry, "reachable"));
		final->holds_cluster_ip = json_is_true(json_object_get(entry, "holds_cluster_ip"));
		final->outdated = json_is_true(json_object_get(self, "outdated"));
		final->role_active =
		    json_string_value(json_object_get(self, "role")) &&
		    strcmp(json_string_value(json_object_get(self, "role")), "active") == 0;
		snprintf(final->display, sizeof(final->display), "%s", display ? display : "");
	}
	json_decref(root);
}

static void facts_read_errors(struct hs_swarm_facts *facts, const char *run_dir)
{
	char path[HS_PATH_MAX + 16];
	json_t *root, *errors, *error;
	size_t index;

	snprintf(path, sizeof(path), "%s/run.json", run_dir);
	root = json_load_file(path, 0, NULL);
	errors = json_object_get(root, "runner_errors");
	json_array_foreach(errors, index, error)
	{
		if (facts->runner_error_count >= HS_SWARM_RUNNER_ERRORS_MAX ||
		    !json_is_string(error))
			break;
		snprintf(facts->runner_errors[facts->runner_error_count++],
			 sizeof(facts->runner_errors[0]), "%s", json_string_value(error));
	}
	json_decref(root);
}

/* -------------------------------------------------------------- a run */

/* stderr to /dev/null while a run goes (the runner's step errors). */
static int stderr_silence(void)
{
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	fflush(stderr);
	if (saved >= 0 && null >= 0)
		dup2(null, STDERR_FILENO);
	if (null >= 0)
		close(null);
	return saved;
}

static void stderr_restore(int saved)
{
	if (saved < 0)
		return;
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
}

static void run_prepare(struct hs_swarm_runner *runner, const char *run_dir, uint64_t seed)
{
	struct hs_run *run = runner->run;

	/* The scenario was loaded into run->scenario already. */
	run->backend = &hs_backend_virtual;
	run->seed = seed;
	snprintf(run->run_id, sizeof(run->run_id), "hs%06" PRIx64, seed & 0xffffff);
	snprintf(run->run_dir, sizeof(run->run_dir), "%s", run_dir);
	snprintf(run->bin_dir, sizeof(run->bin_dir), "%s", runner->work_dir);
	snprintf(run->self_path, sizeof(run->self_path), "%s",
		 runner->self_path[0] ? runner->self_path : "hasim");
	snprintf(run->accel, sizeof(run->accel), "tcg");
}

/* The schedule's text at path, so that the run folder's provenance copy
 * (scenario.yaml) has a file to copy, as for any other run. */
static int scenario_file_write(const char *path, const char *text, size_t length, char *error,
			       size_t error_size)
{
	FILE *file = fopen(path, "w");
	int result = file && fwrite(text, 1, length, file) == length ? 0 : -1;

	if (file && fclose(file) != 0)
		result = -1;
	if (result < 0)
		snprintf(error, error_size, "hs_swarm_run_text: cannot write %s: %s", path,
			 strerror(errno));
	return result;
}

/* The run itself, in the child. */
static int run_text_here(struct hs_swarm_runner *runner, const char *path, const char *text,
			 size_t length, const char *topology_dir, uint64_t seed,
			 const char *keep_dir, struct hs_swarm_verdict *verdict, char *error,
			 size_t error_size)
{
	const char *run_dir = keep_dir ? keep_dir : runner->scratch_dir;
	char run_error[1024] = "";
	int saved, result = -1;

	memset(runner->run, 0, sizeof(*runner->run));
	memset(&runner->facts, 0, sizeof(runner->facts));
	memset(verdict, 0, sizeof(*verdict));
	if (hs_scenario_load_buffer(path, text, length, topology_dir, &runner->run->scenario, error,
				    error_size) < 0)
		return -1;
	if (folder_remove(run_dir) < 0) {
		snprintf(error, error_size, "hs_swarm_run_text: cannot empty %s: %s", run_dir,
			 strerror(errno));
		return -1;
	}
	run_prepare(runner, run_dir, seed);
	saved = stderr_silence();
	hs_run_execute(runner->run, run_error, sizeof(run_error)); /* errors are in run.json */
	stderr_restore(saved);
	if (hs_check_run(&runner->run->scenario, run_dir, runner->result, error, error_size) < 0)
		goto cleanup;
	facts_read_final(&runner->facts, runner->result, run_dir);
	facts_read_errors(&runner->facts, run_dir);
	hs_swarm_properties_judge(&runner->run->scenario, runner->result, &runner->facts,
				  &runner->plant, verdict);
	verdict->checker_passed = runner->result->passed;
	if (keep_dir && hs_report_write(runner->result, run_dir, error, error_size) < 0)
		goto cleanup;
	result = 0;
cleanup:
	hs_check_result_release(runner->result);
	if (!keep_dir)
		folder_remove(run_dir);
	return result;
}

/* What the child sends back. */
struct run_reply {
	int result;
	struct hs_swarm_verdict verdict;
	char error[512];
};

static void child_run(struct hs_swarm_runner *runner, int fd, const char *path, const char *text,
		      size_t length, const char *topology_dir, uint64_t seed, const char *keep_dir)
{
	struct run_reply *reply = calloc(1, sizeof(*reply));
	struct rlimit file_limit = {EXEC_FILE_MAX, EXEC_FILE_MAX};
	const char *bytes;
	size_t left;

	if (!reply)
		exit(3);
	setrlimit(RLIMIT_FSIZE, &file_limit);
	reply->result = run_text_here(runner, path, text, length, topology_dir, seed, keep_dir,
				      &reply->verdict, reply->error, sizeof(reply->error));
	for (bytes = (const char *)reply, left = sizeof(*reply); left > 0;) {
		ssize_t written = write(fd, bytes, left);
		if (written <= 0)
			break;
		bytes += written;
		left -= (size_t)written;
	}
	free(reply);
	exit(0); /* exit, not _exit: coverage data */
}

/* Read the child's reply: 1 complete, 0 EOF before it was, -1 the
 * deadline passed. */
static int reply_read(int fd, struct run_reply *reply, int64_t deadline_ms)
{
	size_t got = 0;

	while (got < sizeof(*reply)) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t left_ms =
		    deadline_ms - ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
		struct pollfd poll_fd = {.fd = fd, .events = POLLIN};
		if (left_ms <= 0 || poll(&poll_fd, 1, (int)left_ms) == 0)
			return -1;
		ssize_t read_now = read(fd, (char *)reply + got, sizeof(*reply) - got);
		if (read_now < 0 && errno == EINTR)
			continue;
		if (read_now <= 0)
			return 0;
		got += (size_t)read_now;
	}
	return 1;
}

/* A child that did not answer: its end is the violation. */
static void verdict_from_death(struct hs_swarm_verdict *verdict, bool timed_out, int status)
{
	enum hs_swarm_property property = HS_SWARM_PROP_RUN_COMPLETES;
	struct hs_swarm_violation *violation;

	memset(verdict, 0, sizeof(*verdict));
	verdict->judged = true;
	verdict->healed_ms = -1;
	if (timed_out || (WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ))
		property = HS_SWARM_PROP_TIME_ADVANCES;
	violation = &verdict->violations[property];
	violation->violated = true;
	verdict->violated_count = 1;
	if (timed_out)
		snprintf(violation->message, sizeof(violation->message),
			 "the run did not end within %d s of wall time (a schedule takes about "
			 "0.05 s): something stays due inside one round of the virtual loop",
			 EXEC_WALL_MAX_MS / 1000);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ)
		snprintf(violation->message, sizeof(violation->message),
			 "a run-folder file outgrew %llu MB: something logs without end",
			 EXEC_FILE_MAX / (1024 * 1024));
	else if (WIFSIGNALED(status))
		snprintf(violation->message, sizeof(violation->message),
			 "the run crashed: signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(violation->message, sizeof(violation->message),
			 "the run ended without a verdict (exit status %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int hs_swarm_run_text(struct hs_swarm_runner *runner, const char *path, const char *text,
		      size_t length, const char *topology_dir, uint64_t seed, const char *keep_dir,
		      struct hs_swarm_verdict *verdict, char *error, size_t error_size)
{
	struct run_reply *reply = calloc(1, sizeof(*reply));
	struct timespec now;
	int fds[2] = {-1, -1}, status = 0, result = -1, got;
	pid_t pid;

	if (!reply || pipe(fds) < 0) {
		snprintf(error, error_size, "hs_swarm_run_text: %s", strerror(errno));
		goto cleanup;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(error, error_size, "hs_swarm_run_text: fork: %s", strerror(errno));
		goto cleanup;
	}
	if (pid == 0) {
		close(fds[0]);
		free(reply); /* the parent's; the child sends its own */
		child_run(runner, fds[1], path, text, length, topology_dir, seed, keep_dir);
	}
	close(fds[1]);
	fds[1] = -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	got = reply_read(fds[0], reply,
			 (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + EXEC_WALL_MAX_MS);
	if (got < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	runner->runs++;
	if (got > 0) {
		*verdict = reply->verdict;
		snprintf(error, error_size, "%s", reply->error);
		result = reply->result;
		goto cleanup;
	}
	verdict_from_death(verdict, got < 0, status);
	result = 0;
	if (!keep_dir)
		folder_remove(runner->scratch_dir);
cleanup:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	free(reply);
	return result;
}

int hs_swarm_run_schedule(struct hs_swarm_runner *runner, const struct hs_swarm_schedule *schedule,
			  const char *topology_dir, struct hs_swarm_verdict *verdict, char *error,
			  size_t error_size)
{
	char path[HS_PATH_MAX + 64];
	int length = hs_swarm_yaml_write(schedule, runner->text, EXEC_YAML_MAX);

	if (length < 0) {
		snprintf(error, error_size, "hs_swarm_run_schedule: %s: the YAML exceeds %d bytes",
			 schedule->name, EXEC_YAML_MAX);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.yaml", runner->work_dir, schedule->name);
	if (scenario_file_write(path, runner->text, (size_t)length, error, error_size) < 0)
		return -1;
	int result = hs_swarm_run_text(runner, path, runner->text, (size_t)length, topology_dir,
				       schedule->seed, NULL, verdict, error, error_size);
	unlink(path);
	return result;
}
