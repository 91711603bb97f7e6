/*
 * guard.c - a run's guardian: what a killed hasim leaves is removed at once.
 *
 * hasim cannot clean up after a SIGKILL, so a run that has anything outside
 * its run folder (a state folder, namespaces, processes, guests) starts a
 * guardian first: a child of hasim in a session of its own (so that a
 * signal to hasim's process group spares it), holding the read end of a
 * pipe whose only write end is hasim's. It waits for one byte: hasim writes
 * it after its own teardown (or when it keeps a failed run's nodes on
 * purpose), and the guardian ends. If hasim dies first, however it dies,
 * the kernel closes the pipe, the read ends without a byte, and the
 * guardian removes the run (hs_backend_gc_run: domains, guests, the
 * processes recorded, namespaces, the state folder) after taking over the
 * owner file, so that nobody else collects the same run at the same time.
 * The nodes' daemons do not wait for it: they die with hasim
 * (PR_SET_PDEATHSIG, native.c), and guests with hasim's libvirt connection
 * (autodestroy, vm.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

#define GUARD_FDS_MAX 1024 /* inherited fds closed up to this */

/* The guardian's life: wait, and remove the run unless told not to. */
static void guard_main(const struct hs_run *run, int wait_fd)
{
	char byte, path[600];
	ssize_t got;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	FILE *owner;

	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* Nothing of hasim's stays open here (TAPs, sockets, pipes a caller
	 * reads hasim's output from) but stderr, for the guardian's own
	 * trouble. */
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
	}
	for (int fd = STDERR_FILENO + 1; fd < GUARD_FDS_MAX; fd++)
		if (fd != wait_fd)
			close(fd);
	do
		got = read(wait_fd, &byte, 1);
	while (got < 0 && errno == EINTR);
	if (got == 1)
		exit(0);
	snprintf(path, sizeof(path), "%s/owner", run->state_dir);
	owner = fopen(path, "w");
	if (owner) {
		fprintf(owner, "%d %s %s\n", (int)getpid(), run->backend->name, run->run_dir);
		fclose(owner);
	}
	hs_backend_gc_run(run->run_id, true);
	exit(0);
}

int hs_guard_start(struct hs_run *run, char *error, size_t error_size)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(error, error_size, "hs_guard_start: pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		guard_main(run, fds[0]);
	}
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		snprintf(error, error_size, "hs_guard_start: fork: %s", strerror(errno));
		return -1;
	}
	run->guard_fd = fds[1];
	run->guard_pid = pid;
	return 0;
}

void hs_guard_release(struct hs_run *run)
{
	int status;

	if (run->guard_pid <= 0)
		return;
	if (write(run->guard_fd, "k", 1) != 1)
		fprintf(stderr, "hasim: could not release the run's guardian: %s\n",
			strerror(errno));
	close(run->guard_fd);
	waitpid(run->guard_pid, &status, 0);
	run->guard_fd = -1;
	run->guard_pid = 0;
}
