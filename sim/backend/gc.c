/*
 * gc.c - `hasim gc` for every backend: removes what killed runs
 * left behind.
 *
 * A run records itself in /run/halab/<run_id>/: "owner" (hasim's pid,
 * backend, run folder) and "pids" (every process it started, with the
 * program's name). A run whose owner is no longer a living hasim is dead:
 * its processes are ended by PID (only if that PID still runs the program
 * recorded, so a reused PID is never hit), its namespaces "<run_id>-*" are
 * deleted, its libvirt domains destroyed and undefined (and libvirt's logs
 * of their QEMUs removed), its QEMU guests ended, and its state folder
 * removed. Namespaces, domains and guests that look like a run's but have
 * no state folder at all are removed too. Runs that are still alive are
 * never touched.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"

#define GC_STATE_ROOT "/run/halab"

static bool gc_is_run_id(const char *name)
{
	if (strncmp(name, "hs", 2) != 0)
		return false;
	for (int i = 2; i < 8; i++)
		if (!isxdigit((unsigned char)name[i]))
			return false;
	return name[8] == '\0' || name[8] == '-';
}

/* Whether pid runs a program called program (argv[0]'s base name). */
static bool gc_pid_runs(int pid, const char *program)
{
	char path[64], command[256] = "";
	FILE *file;
	size_t got;
	const char *base;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	file = fopen(path, "r");
	if (!file)
		return false;
	got = fread(command, 1, sizeof(command) - 1, file);
	fclose(file);
	command[got] = '\0';
	base = strrchr(command, '/');
	base = base ? base + 1 : command;
	return strcmp(base, program) == 0;
}

static bool gc_run_alive(const char *run_id)
{
	char path[256];
	int pid = 0;
	FILE *owner;

	snprintf(path, sizeof(path), GC_STATE_ROOT "/%s/owner", run_id);
	owner = fopen(path, "r");
	if (!owner)
		return false;
	if (fscanf(owner, "%d", &pid) != 1)
		pid = 0;
	fclose(owner);
	return pid > 0 && pid != getpid() && gc_pid_runs(pid, "hasim");
}

static int gc_kill_recorded(const char *run_id)
{
	char path[256], program[64];
	int pid, removed = 0;
	FILE *pids;

	snprintf(path, sizeof(path), GC_STATE_ROOT "/%s/pids", run_id);
	pids = fopen(path, "r");
	if (!pids)
		return 0;
	while (fscanf(pids, "%d %63s", &pid, program) == 2)
		if (pid > 1 && gc_pid_runs(pid, program) && kill(pid, SIGKILL) == 0) {
			printf("gc: killed %s (pid %d) of run %s\n", program, pid, run_id);
			removed++;
		}
	fclose(pids);
	return removed;
}

static int gc_run_command(const char *command)
{
	int status = system(command);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Namespaces of dead runs. */
static int gc_namespaces(void)
{
	DIR *netns = opendir("/run/netns");
	struct dirent *entry;
	char run_id[16], command[320];
	int removed = 0;

	if (!netns)
		return 0;
	while ((entry = readdir(netns)) != NULL) {
		if (!gc_is_run_id(entry->d_name) || entry->d_name[8] != '-')
			continue;
		snprintf(run_id, sizeof(run_id), "%.8s", entry->d_name);
		if (gc_run_alive(run_id))
			continue;
		snprintf(command, sizeof(command), "ip netns del '%s'", entry->d_name);
		if (gc_run_command(command) == 0) {
			printf("gc: deleted namespace %s\n", entry->d_name);
			removed++;
		}
	}
	closedir(netns);
	return removed;
}

/* QEMU guests of dead runs ("-name guest=<run_id>-<node>,..."): QEMU
 * outlives a libvirtd that stopped or lost its client. */
static int gc_guests(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	int removed = 0;

	while (proc && (entry = readdir(proc)) != NULL) {
		char path[300], command[4096], run_id[16];
		const char *guest;
		size_t got;
		FILE *file;
		int pid = atoi(entry->d_name);
		if (pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		file = fopen(path, "r");
		if (!file)
			continue;
		got = fread(command, 1, sizeof(command) - 1, file);
		fclose(file);
		for (size_t i = 0; i < got; i++)
			command[i] = command[i] ? command[i] : ' ';
		command[got] = '\0';
		guest = strstr(command, "guest=hs");
		if (!strstr(command, "qemu-system") || !guest)
			continue;
		snprintf(run_id, sizeof(run_id), "%.8s", guest + 6);
		if (!gc_is_run_id(run_id) || guest[14] != '-' || gc_run_alive(run_id))
			continue;
		if (kill(pid, SIGKILL) == 0) {
			printf("gc: killed QEMU guest %.40s (pid %d)\n", guest + 6, pid);
			removed++;
		}
	}
	if (proc)
		closedir(proc);
	return removed;
}

/* Domains of dead runs still defined in a libvirtd that answers. */
static int gc_domains(void)
{
	FILE *list = popen("timeout 5 virsh -c qemu:///system list --all --name 2>/dev/null", "r");
	char name[128], command[300], run_id[16];
	int removed = 0;

	while (list && fgets(name, sizeof(name), list)) {
		name[strcspn(name, "\n")] = '\0';
		snprintf(run_id, sizeof(run_id), "%.8s", name);
		if (!gc_is_run_id(run_id) || name[8] != '-' || gc_run_alive(run_id))
			continue;
		snprintf(command, sizeof(command),
			 "timeout 10 virsh -c qemu:///system destroy '%s' >/dev/null 2>&1; "
			 "timeout 10 virsh -c qemu:///system undefine '%s' >/dev/null 2>&1",
			 name, name);
		if (system(command) != -1) {
			printf("gc: removed domain %s\n", name);
			removed++;
		}
		/* libvirt's log of its QEMU: a finished run moves it into its
		 * run folder (vm.c), a dead one cannot. */
		snprintf(command, sizeof(command), HS_BACKEND_QEMU_LOG_DIR "/%s.log", name);
		if (unlink(command) == 0)
			printf("gc: removed %s\n", command);
	}
	if (list)
		pclose(list);
	return removed;
}

int hs_backend_gc(char *error, size_t error_size)
{
	DIR *root = opendir(GC_STATE_ROOT);
	struct dirent *entry;
	char command[320];
	int removed = 0;

	(void)error;
	(void)error_size;
	while (root && (entry = readdir(root)) != NULL) {
		if (!gc_is_run_id(entry->d_name) || entry->d_name[8] != '\0' ||
		    gc_run_alive(entry->d_name))
			continue;
		removed += gc_kill_recorded(entry->d_name);
	}
	if (root)
		closedir(root);
	removed += gc_domains();
	removed += gc_guests();
	usleep(100000); /* killed processes leave their namespaces */
	removed += gc_namespaces();
	root = opendir(GC_STATE_ROOT);
	while (root && (entry = readdir(root)) != NULL) {
		if (!gc_is_run_id(entry->d_name) || entry->d_name[8] != '\0' ||
		    gc_run_alive(entry->d_name))
			continue;
		snprintf(command, sizeof(command), "rm -rf -- '" GC_STATE_ROOT "/%s'",
			 entry->d_name);
		if (gc_run_command(command) == 0) {
			printf("gc: removed state of run %s\n", entry->d_name);
			removed++;
		}
	}
	if (root)
		closedir(root);
	return removed;
}
