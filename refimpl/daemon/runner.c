/*
 * runner.c - non-blocking execution of shell commands (see runner.h).
 *
 * Each child is forked into its own process group and execs
 * `/bin/sh -c COMMAND`. Its stdin is a pipe that already holds the whole
 * stdin text (at most PIPE_BUF bytes, so the single write into the empty
 * pipe cannot block) or /dev/null. The parent keeps a pidfd per child in an
 * epoll set: the epoll fd turns readable when any child exits, and reaping
 * with waitpid(WNOHANG) on exactly our PIDs never steals the exit status of
 * a process someone else in the daemon started. Timeouts kill the child's
 * process group, so a stuck grandchild (sh -c "a; b") dies with it.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

static int runner_pidfd_open(pid_t pid)
{
	/* glibc 2.36 on Debian 12 ships no pidfd_open() wrapper. */
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static struct hn_runner_child *runner_slot_free(struct hn_runner *runner)
{
	for (size_t i = 0; i < HN_RUNNER_CHILDREN_MAX; i++)
		if (!runner->children[i].used)
			return &runner->children[i];
	return NULL;
}

static void runner_slot_release(struct hn_runner *runner, struct hn_runner_child *child)
{
	if (child->pidfd >= 0) {
		epoll_ctl(runner->epoll_fd, EPOLL_CTL_DEL, child->pidfd, NULL);
		close(child->pidfd);
	}
	memset(child, 0, sizeof(*child));
	child->pidfd = -1;
}

/* In the child: never returns. Only async-signal-safe calls would be
 * required in a multi-threaded parent; hanode is single-threaded, so
 * putenv() before exec is fine. */
static void runner_child_exec(const char *command, int stdin_fd, const char *const *env)
{
	setpgid(0, 0);
	if (stdin_fd >= 0 && dup2(stdin_fd, STDIN_FILENO) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	/* exec keeps ignored signals and the mask: give the command a clean slate. */
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	for (size_t i = 0; env != NULL && env[i] != NULL && i < HN_RUNNER_ENV_MAX; i++)
		putenv((char *)env[i]);
	execl("/bin/sh", "sh", "-c", command, (char *)NULL);
	_exit(127);
}

/* Stdin of the child: a pipe preloaded with text, or /dev/null. */
static int runner_stdin_prepare(const char *stdin_text, char *error, size_t error_size)
{
	if (stdin_text == NULL) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			snprintf(error, error_size, "hn_runner_start: /dev/null: %s",
				 strerror(errno));
		return fd;
	}
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		snprintf(error, error_size, "hn_runner_start: pipe: %s", strerror(errno));
		return -1;
	}
	size_t length = strlen(stdin_text);
	ssize_t written = length > 0 ? write(pipe_fds[1], stdin_text, length) : 0;
	close(pipe_fds[1]);
	if (written != (ssize_t)length) {
		snprintf(error, error_size, "hn_runner_start: stdin text: short write");
		close(pipe_fds[0]);
		return -1;
	}
	return pipe_fds[0];
}

/* -------------------------------------------------------------- public */

int hn_runner_open(struct hn_runner *runner, char *error, size_t error_size)
{
	memset(runner, 0, sizeof(*runner));
	for (size_t i = 0; i < HN_RUNNER_CHILDREN_MAX; i++)
		runner->children[i].pidfd = -1;
	runner->next_id = 1;
	runner->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (runner->epoll_fd < 0) {
		snprintf(error, error_size, "hn_runner_open: epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void hn_runner_close(struct hn_runner *runner)
{
	if (runner == NULL || runner->next_id == 0)
		return;
	for (size_t i = 0; i < HN_RUNNER_CHILDREN_MAX; i++) {
		struct hn_runner_child *child = &runner->children[i];
		if (!child->used)
			continue;
		kill(-child->pid, SIGKILL);
		kill(child->pid, SIGKILL);
		waitpid(child->pid, NULL, 0);
		runner_slot_release(runner, child);
	}
	if (runner->epoll_fd >= 0)
		close(runner->epoll_fd);
	runner->epoll_fd = -1;
	runner->next_id = 0;
}

static int runner_validate(const char *command, const char *stdin_text, const char *const *env,
			   char *error, size_t error_size)
{
	if (command == NULL || command[0] == '\0' || strlen(command) >= HN_RUNNER_COMMAND_MAX) {
		snprintf(error, error_size,
			 "hn_runner_start: command empty or longer than %d bytes",
			 HN_RUNNER_COMMAND_MAX - 1);
		return -1;
	}
	if (stdin_text != NULL && strlen(stdin_text) > HN_RUNNER_STDIN_MAX) {
		snprintf(error, error_size, "hn_runner_start: stdin text longer than %d bytes",
			 HN_RUNNER_STDIN_MAX);
		return -1;
	}
	size_t count = 0;
	while (env != NULL && env[count] != NULL)
		count++;
	if (count > HN_RUNNER_ENV_MAX) {
		snprintf(error, error_size, "hn_runner_start: more than %d variables",
			 HN_RUNNER_ENV_MAX);
		return -1;
	}
	return 0;
}

int hn_runner_start(struct hn_runner *runner, const char *command, const char *stdin_text,
		    const char *const *env, uint32_t timeout_ms, uint64_t now_ms, uint64_t *id,
		    char *error, size_t error_size)
{
	int result = -1;
	int stdin_fd = -1;
	if (runner_validate(command, stdin_text, env, error, error_size) < 0)
		return -1;
	struct hn_runner_child *child = runner_slot_free(runner);
	if (child == NULL) {
		snprintf(error, error_size, "hn_runner_start: %d children already running",
			 HN_RUNNER_CHILDREN_MAX);
		return -1;
	}
	stdin_fd = runner_stdin_prepare(stdin_text, error, error_size);
	if (stdin_fd < 0)
		goto cleanup;
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(error, error_size, "hn_runner_start: fork: %s", strerror(errno));
		goto cleanup;
	}
	if (pid == 0)
		runner_child_exec(command, stdin_fd, env);
	/* Also in the parent, so a kill of the group cannot race the child's setpgid. */
	setpgid(pid, pid);
	child->used = true;
	child->pid = pid;
	child->id = runner->next_id++;
	child->deadline_ms = timeout_ms > 0 ? now_ms + timeout_ms : UINT64_MAX;
	child->pidfd = runner_pidfd_open(pid);
	struct epoll_event event = {.events = EPOLLIN, .data.u64 = child->id};
	if (child->pidfd < 0 ||
	    epoll_ctl(runner->epoll_fd, EPOLL_CTL_ADD, child->pidfd, &event) < 0) {
		snprintf(error, error_size, "hn_runner_start: pidfd of %d: %s", (int)pid,
			 strerror(errno));
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		runner_slot_release(runner, child);
		goto cleanup;
	}
	*id = child->id;
	result = 0;
cleanup:
	if (stdin_fd >= 0)
		close(stdin_fd);
	return result;
}

int hn_runner_fd(const struct hn_runner *runner)
{
	return runner->next_id != 0 ? runner->epoll_fd : -1; /* -1 if never opened */
}

static void runner_drain_epoll(struct hn_runner *runner)
{
	/* Level-triggered: the readiness is cleared by releasing the pidfds
	 * below; this only empties the queue of ready events. */
	struct epoll_event events[HN_RUNNER_CHILDREN_MAX];
	epoll_wait(runner->epoll_fd, events, HN_RUNNER_CHILDREN_MAX, 0);
}

int hn_runner_reap(struct hn_runner *runner, struct hn_runner_result *results, size_t results_max)
{
	size_t count = 0;
	runner_drain_epoll(runner);
	for (size_t i = 0; i < HN_RUNNER_CHILDREN_MAX && count < results_max; i++) {
		struct hn_runner_child *child = &runner->children[i];
		if (!child->used)
			continue;
		int status = 0;
		pid_t pid = waitpid(child->pid, &status, WNOHANG);
		if (pid == 0)
			continue;
		struct hn_runner_result *result = &results[count++];
		result->id = child->id;
		result->timed_out = child->killed;
		if (pid < 0)
			result->exit_status = 127; /* ECHILD: someone reaped it; cannot know */
		else if (WIFEXITED(status))
			result->exit_status = WEXITSTATUS(status);
		else
			result->exit_status = 128 + WTERMSIG(status);
		runner_slot_release(runner, child);
	}
	return (int)count;
}

uint64_t hn_runner_next_deadline_ms(const struct hn_runner *runner)
{
	uint64_t next_ms = UINT64_MAX;
	for (size_t i = 0; i < HN_RUNNER_CHILDREN_MAX; i++) {
		const struct hn_runner_child *child = &runner->children[i];
		if (child->used && !child->killed && child->deadline_ms < next_ms)
			next_ms = child->deadline_ms;
	}
	return next_ms;
}

static void runner_child_kill(struct hn_runner_child *child)
{
	kill(-child->pid, SIGKILL);
	kill(child->pid, SIGKILL);
	child->killed = true;
}

void hn_runner_on_deadline(struct hn_runner *runner, uint64_t now_ms)
{
	for (size_t i = 0; i < HN_RUNNER_CHILDREN_MAX; i++) {
		struct hn_runner_child *child = &runner->children[i];
		if (!child->used || child->killed || child->deadline_ms > now_ms)
			continue;
		runner_child_kill(child);
	}
}

void hn_runner_kill(struct hn_runner *runner, uint64_t id)
{
	for (size_t i = 0; i < HN_RUNNER_CHILDREN_MAX && id != 0; i++) {
		struct hn_runner_child *child = &runner->children[i];
		if (child->used && !child->killed && child->id == id)
			runner_child_kill(child);
	}
}

size_t hn_runner_running(const struct hn_runner *runner)
{
	size_t count = 0;
	for (size_t i = 0; i < HN_RUNNER_CHILDREN_MAX; i++)
		if (runner->children[i].used)
			count++;
	return count;
}
