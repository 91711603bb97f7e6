/*
 * exec.c - running a matrix's runs: each one a `hasim run SCENARIO
 * --topology FILE --seed S --backend B --out DIR --quiet [--node N]` child process
 * (so every run has its own run id, run folder, namespaces or guests, as
 * from the command line), --jobs at a time. Its output goes to DIR.log
 * beside its run folder; its verdict and metrics come from DIR/result.json.
 *
 * Exit codes of a run: 0 pass, 1 fail (the first failure is the reason),
 * 4 skipped by the run (what its node lacks; run.json's reason), anything else an error (bad input,
 * could not run, interrupted; the log's last line is the reason). Progress: one line per run on a
 * pipe, a live line (done, passed, failed, ETA) on a terminal. Ctrl-C stops launching, passes
 * SIGINT to the running children (which tear down) and waits.
 */
#include "matrix.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t matrix_stop;

static void on_signal(int signal_number)
{
	(void)signal_number;
	matrix_stop = 1;
}

static double now_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int mkdir_parents(const char *path)
{
	char copy[HS_PATH_MAX * 2];

	snprintf(copy, sizeof(copy), "%s", path);
	for (char *slash = strchr(copy + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	return 0;
}

struct child {
	pid_t pid;
	json_t *run;
	double started;
};

static pid_t launch(const struct hs_matrix_options *options, json_t *run, const char *run_dir,
		    const char *log)
{
	char seed[32];
	pid_t pid;

	snprintf(seed, sizeof(seed), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(run, "seed")));
	pid = fork();
	if (pid != 0)
		return pid;
	FILE *out = fopen(log, "w");
	if (out) {
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(out), STDERR_FILENO);
	}
	signal(SIGINT, SIG_DFL);
	const char *node = json_string_value(json_object_get(run, "node"));
	execl(options->self, "hasim", "run",
	      json_string_value(json_object_get(run, "scenario_path")), "--topology",
	      json_string_value(json_object_get(run, "topology_path")), "--seed", seed, "--backend",
	      options->backend, "--out", run_dir, "--quiet", node ? "--node" : (char *)NULL, node,
	      (char *)NULL);
	fprintf(stderr, "hasim matrix: cannot run %s: %s\n", options->self, strerror(errno));
	_exit(3);
}

/* The last non-empty line of the run's log, as the reason of an error. */
static void log_last_line(const char *log, char *out, size_t size)
{
	char line[1024];
	FILE *file = fopen(log, "r");

	snprintf(out, size, "no output");
	while (file && fgets(line, sizeof(line), file))
		if (line[0] != '\n') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, size, "%s", line);
		}
	if (file)
		fclose(file);
}

static void metric_copy(json_t *run, json_t *metrics, const char *name)
{
	json_t *value = json_object_get(metrics, name);

	json_object_set_new(run, name, json_is_integer(value) ? json_incref(value) : json_null());
}

static void collect(json_t *run, const char *run_dir, const char *log, int status, double wall_s)
{
	char path[HS_PATH_MAX * 2], reason[1024] = "";
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	json_t *result;
	const char *verdict = code == 0	  ? "pass"
			      : code == 1 ? "fail"
			      : code == 4 ? "skip"
					  : "error";

	snprintf(path, sizeof(path), "%s/result.json", run_dir);
	result = json_load_file(path, 0, NULL);
	json_object_set_new(run, "exit_code", json_integer(code));
	json_object_set_new(run, "wall_ms", json_integer((json_int_t)(wall_s * 1000.0)));
	metric_copy(run, json_object_get(result, "metrics"), "failover_ms");
	metric_copy(run, json_object_get(result, "metrics"), "outage_ms");
	if (code == 1 && json_array_size(json_object_get(result, "failures")) > 0) {
		json_t *first = json_array_get(json_object_get(result, "failures"), 0);
		const char *text = json_is_string(first)
				       ? json_string_value(first)
				       : json_string_value(json_object_get(first, "text"));
		snprintf(reason, sizeof(reason), "%s", text ? text : "an expectation failed");
	} else if (code == 4) {
		/* Skipped by the run itself (what the node lacks): run.json says why. */
		json_t *summary;

		snprintf(path, sizeof(path), "%s/run.json", run_dir);
		summary = json_load_file(path, 0, NULL);
		snprintf(reason, sizeof(reason), "%s",
			 json_string_value(json_object_get(summary, "skipped"))
			     ?: "skipped by hasim run (exit 4)");
		json_decref(summary);
	} else if (code != 0) {
		log_last_line(log, reason, sizeof(reason));
	}
	json_object_set_new(run, "status", json_string(verdict));
	if (reason[0])
		json_object_set_new(run, "reason", json_string(reason));
	json_decref(result);
}

static void progress(const struct hs_matrix_options *options, json_t *run, size_t done,
		     size_t total, size_t passed, size_t failed, double started)
{
	double elapsed = now_s() - started;
	double eta = done ? elapsed / (double)done * (double)(total - done) : 0.0;
	char name[HS_PATH_MAX];

	if (options->quiet)
		return;
	if (isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r\033[K[%zu/%zu] %zu passed, %zu failed, ETA %.0f s", done, total,
			passed, failed, eta);
		if (done == total)
			fputc('\n', stderr);
		return;
	}
	hs_matrix_run_name(run, name, sizeof(name));
	fprintf(stderr, "%s %s (%zu/%zu)%s%s\n", json_string_value(json_object_get(run, "status")),
		name, done, total, json_object_get(run, "reason") ? ": " : "",
		json_object_get(run, "reason") ? json_string_value(json_object_get(run, "reason"))
					       : "");
}

int hs_matrix_exec(const struct hs_matrix_options *options, json_t *runs)
{
	struct child *children = calloc(options->jobs, sizeof(*children));
	size_t next = 0, total = 0, done = 0, passed = 0, failed = 0, running = 0, index;
	double started = now_s();
	json_t *run;

	if (!children)
		return -1;
	json_array_foreach(runs, index, run) total +=
	    strcmp(json_string_value(json_object_get(run, "status")), "pending") == 0;
	/* No SA_RESTART: waitpid returns EINTR, and the children are told. */
	struct sigaction action = {.sa_handler = on_signal}, previous_int, previous_term;
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, &previous_int);
	sigaction(SIGTERM, &action, &previous_term);
	for (;;) {
		while (!matrix_stop && running < options->jobs && next < json_array_size(runs)) {
			char run_dir[HS_PATH_MAX * 2], log[HS_PATH_MAX * 2 + 8], name[HS_PATH_MAX];
			json_t *candidate = json_array_get(runs, next++);

			if (strcmp(json_string_value(json_object_get(candidate, "status")),
				   "pending"))
				continue;
			hs_matrix_run_name(candidate, name, sizeof(name));
			snprintf(run_dir, sizeof(run_dir), "runs/%s", name);
			json_object_set_new(candidate, "run_dir", json_string(run_dir));
			snprintf(run_dir, sizeof(run_dir), "%s/runs/%s", options->out, name);
			snprintf(log, sizeof(log), "%s.log", run_dir);
			mkdir_parents(run_dir);
			for (uint32_t j = 0; j < options->jobs; j++)
				if (!children[j].pid) {
					children[j].pid = launch(options, candidate, run_dir, log);
					children[j].run = candidate;
					children[j].started = now_s();
					running++;
					break;
				}
		}
		if (!running)
			break;
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR && matrix_stop)
				for (uint32_t j = 0; j < options->jobs; j++)
					if (children[j].pid)
						kill(children[j].pid, SIGINT);
			if (errno == ECHILD)
				break;
			continue;
		}
		for (uint32_t j = 0; j < options->jobs; j++) {
			char run_dir[HS_PATH_MAX * 2], log[HS_PATH_MAX * 2 + 8];
			const char *status_text;

			if (children[j].pid != pid)
				continue;
			snprintf(run_dir, sizeof(run_dir), "%s/%s", options->out,
				 json_string_value(json_object_get(children[j].run, "run_dir")));
			snprintf(log, sizeof(log), "%s.log", run_dir);
			collect(children[j].run, run_dir, log, status,
				now_s() - children[j].started);
			done++;
			status_text = json_string_value(json_object_get(children[j].run, "status"));
			passed += strcmp(status_text, "pass") == 0;
			failed +=
			    strcmp(status_text, "pass") != 0 && strcmp(status_text, "skip") != 0;
			progress(options, children[j].run, done, total, passed, failed, started);
			children[j].pid = 0;
			running--;
		}
	}
	free(children);
	sigaction(SIGINT, &previous_int, NULL);
	sigaction(SIGTERM, &previous_term, NULL);
	return matrix_stop ? -1 : 0;
}
