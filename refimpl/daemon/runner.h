/*
 * runner.h - non-blocking execution of configured shell commands for hanode.
 *
 * The daemon runs hooks (notification command, services start/stop/status,
 * a RAID command) without ever blocking its poll loop. A runner owns a
 * bounded table of children; each child runs `/bin/sh -c COMMAND` in its own
 * process group, gets an optional stdin text (written at once: the text is
 * bounded by PIPE_BUF, so the write never blocks) and extra environment
 * variables, and is killed with SIGKILL (its whole process group) when its
 * timeout passes. stdout and stderr are the daemon's own (its log), and
 * the child starts with default signal dispositions and an empty mask.
 *
 * Reaping uses one pidfd per child, gathered in an epoll instance: the
 * runner exposes that single fd to poll, and touches no signal disposition
 * or signal mask (no global state). The caller must not set SIGCHLD to
 * SIG_IGN, which would let the kernel reap the children first.
 *
 * Loop integration:
 *   poll hn_runner_fd() for POLLIN -> hn_runner_reap() returns finished children;
 *   at hn_runner_next_deadline_ms() -> hn_runner_on_deadline() kills overdue ones
 *   (they are then reported by a later hn_runner_reap() with timed_out set).
 */
#ifndef HN_RUNNER_H
#define HN_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HN_RUNNER_CHILDREN_MAX 8    /* children running at once */
#define HN_RUNNER_STDIN_MAX    4096 /* bytes of stdin text (PIPE_BUF) */
#define HN_RUNNER_ENV_MAX      8    /* extra NAME=VALUE variables per child */
#define HN_RUNNER_COMMAND_MAX  1024

struct hn_runner_child {
	bool used;
	bool killed; /* timed out and sent SIGKILL */
	pid_t pid;   /* also the process group id */
	int pidfd;
	uint64_t id;
	uint64_t deadline_ms;
};

struct hn_runner {
	int epoll_fd;
	uint64_t next_id;
	struct hn_runner_child children[HN_RUNNER_CHILDREN_MAX];
};

/* What became of one child. exit_status is the exit code (0..255), or
 * 128 + signal number if a signal ended it (as a shell reports it). */
struct hn_runner_result {
	uint64_t id;
	int exit_status;
	bool timed_out;
};

int hn_runner_open(struct hn_runner *runner, char *error, size_t error_size);
/* Kills (SIGKILL) and reaps every child still running, closes the fds.
 * Accepts a runner that failed to open or was already closed. */
void hn_runner_close(struct hn_runner *runner);

/* Start `/bin/sh -c command`. stdin_text may be NULL (stdin is then
 * /dev/null); env is NULL or a NULL-terminated list of "NAME=VALUE" added
 * to the daemon's environment. timeout_ms 0 means no timeout. On success
 * stores the child's id (never 0) in *id. Returns -1 if the table is full,
 * the text is too long or fork fails. */
int hn_runner_start(struct hn_runner *runner, const char *command, const char *stdin_text,
		    const char *const *env, uint32_t timeout_ms, uint64_t now_ms, uint64_t *id,
		    char *error, size_t error_size);

int hn_runner_fd(const struct hn_runner *runner);
/* Collect finished children (non-blocking). Returns how many results were
 * stored (0..results_max); call again while it returns results_max. */
int hn_runner_reap(struct hn_runner *runner, struct hn_runner_result *results, size_t results_max);
/* Earliest timeout of a running child, UINT64_MAX if none. */
uint64_t hn_runner_next_deadline_ms(const struct hn_runner *runner);
/* SIGKILL the process group of every child whose timeout has passed. */
void hn_runner_on_deadline(struct hn_runner *runner, uint64_t now_ms);
/* SIGKILL the process group of child id now, as if its timeout had passed
 * (a later hn_runner_reap() reports it with timed_out set). An id that is
 * not running (0, reaped, unknown) is ignored. */
void hn_runner_kill(struct hn_runner *runner, uint64_t id);
/* Children currently running (not yet reaped). */
size_t hn_runner_running(const struct hn_runner *runner);

#endif
