/*
 * gc.c - what killed runs left behind, for every backend: `hasim gc`, the
 * collection of dead runs when `hasim run` starts, and a run's guardian
 * (sim/run/guard.c), which removes its run when hasim died.
 *
 * A run records itself in <state root>/<run_id>/ (hs_state_root:
 * /run/halab for root, $XDG_RUNTIME_DIR/halab for a user): "owner" (hasim's pid,
 * backend, run folder) and "pids" (every process it started, with the
 * program's name). A run whose owner is no longer a living hasim is dead:
 * its libvirt domains are destroyed and undefined (and libvirt's logs of
 * their QEMUs removed), its QEMU guests ended, its processes ended by PID
 * (only if that PID still runs the program recorded, so a reused PID is
 * never hit), its namespaces "<run_id>-*" deleted and its state folder
 * removed. `hasim gc` also removes namespaces, domains and guests that look
 * like a run's ("hs" + 6 hex digits + "-") but have no state folder at
 * all; the collection at a run's start only takes dead runs with a state
 * folder. Runs that are still alive are never touched.
 *
 * No shell is involved: `ip netns del NAME` is executed with its
 * arguments, domains are handled through libvirt's API, folders removed
 * with nftw.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdarg.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "backend.h"
#include "libvirt_conn.h"

#define GC_EXEC_WAIT_MS	 10000
#define GC_SETUP_GRACE_S 60 /* a state folder without owner this young is being set up */

/* Which runs to collect: one (run_id), every dead one with a state folder
 * (start of a run), or every dead one and the orphans (hasim gc). */
struct gc_scope {
	const char *run_id; /* NULL: by the rules below */
	bool orphans;	    /* names of runs without a state folder too */
	bool quiet;
	int removed;
};

const char *hs_state_root(char *error, size_t error_size)
{
	static char root[256];
	const char *chosen = getenv("HALAB_STATE_DIR"), *runtime = getenv("XDG_RUNTIME_DIR");

	if (chosen && chosen[0] && chosen[0] != '/') {
		snprintf(error, error_size,
			 "HALAB_STATE_DIR: '%.64s' is not an absolute path (QEMU and the nodes are "
			 "given paths in it)",
			 chosen);
		return NULL;
	}
	if (chosen && chosen[0])
		snprintf(root, sizeof(root), "%s", chosen);
	else if (geteuid() == 0)
		snprintf(root, sizeof(root), "/run/halab");
	else if (runtime && runtime[0] == '/')
		snprintf(root, sizeof(root), "%s/halab", runtime);
	else {
		snprintf(error, error_size,
			 "no folder for the run's state: not root, and XDG_RUNTIME_DIR is not set; "
			 "set HALAB_STATE_DIR to a folder of your own");
		return NULL;
	}
	if (strlen(root) > 160) { /* room for <run_id>/<node>.agent in a socket address */
		snprintf(error, error_size,
			 "the state folder %.64s... is too long (160 bytes at most)", root);
		return NULL;
	}
	return root;
}

/* The state folder of run_id (or of the root, run_id NULL); "" when there
 * is no state root (then nothing of ours lives there). */
static void gc_state_path(char *path, size_t size, const char *run_id, const char *file)
{
	char ignored[256];
	const char *root = hs_state_root(ignored, sizeof(ignored));

	if (!root) {
		path[0] = '\0';
		return;
	}
	snprintf(path, size, "%s%s%s%s%s", root, run_id ? "/" : "", run_id ? run_id : "",
		 file ? "/" : "", file ? file : "");
}

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

static bool gc_has_state(const char *run_id)
{
	char path[256];

	gc_state_path(path, sizeof(path), run_id, NULL);
	return path[0] && access(path, F_OK) == 0;
}

/* Whether run_id's state folder was made less than GC_SETUP_GRACE_S ago. */
static bool gc_state_young(const char *run_id)
{
	char path[256];
	struct stat status;

	gc_state_path(path, sizeof(path), run_id, NULL);
	return path[0] && stat(path, &status) == 0 &&
	       time(NULL) - status.st_mtime < GC_SETUP_GRACE_S;
}

/* A run is alive while its owner is a living hasim, and while its state
 * folder is being set up: a run makes the folder, then writes the owner
 * file into it, and another hasim's collection at its start that looked in
 * between took a folder without an owner for a dead run's and removed it
 * under the new run ("run_prepare_dirs: .../pids: No such file or
 * directory", seen with parallel runs). */
static bool gc_run_alive(const char *run_id)
{
	char path[256];
	int pid = 0;
	FILE *owner;

	gc_state_path(path, sizeof(path), run_id, "owner");
	owner = path[0] ? fopen(path, "r") : NULL;
	if (owner && fscanf(owner, "%d", &pid) != 1)
		pid = 0;
	if (owner)
		fclose(owner);
	if (pid <= 0)
		return gc_state_young(run_id);
	return pid != getpid() && gc_pid_runs(pid, "hasim");
}

/* Whether the object named name (a run id, then "-..." or nothing) is in
 * scope: its run is the one asked for, or dead (and known, or an orphan). */
static bool gc_wanted(const struct gc_scope *scope, const char *name)
{
	char run_id[16];

	if (!gc_is_run_id(name))
		return false;
	snprintf(run_id, sizeof(run_id), "%.8s", name);
	if (scope->run_id)
		return strcmp(run_id, scope->run_id) == 0;
	if (gc_run_alive(run_id))
		return false;
	return scope->orphans || gc_has_state(run_id);
}

static void gc_say(struct gc_scope *scope, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* One object removed: counted, and said unless quiet. */
static void gc_say(struct gc_scope *scope, const char *format, ...)
{
	va_list arguments;

	scope->removed++;
	if (scope->quiet)
		return;
	va_start(arguments, format);
	vprintf(format, arguments);
	va_end(arguments);
	fflush(stdout);
}

/* Execute argv (no shell) and wait, bounded; 0 when it exited 0. */
static int gc_exec(const char *const *argv)
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execvp(argv[0], (char *const *)argv);
		exit(127);
	}
	if (pid < 0)
		return -1;
	for (int waited_ms = 0; waited_ms < GC_EXEC_WAIT_MS; waited_ms += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* ------------------------------------------------------------- objects */

static void gc_kill_recorded(struct gc_scope *scope, const char *run_id)
{
	char path[256], program[64];
	int pid;
	FILE *pids;

	gc_state_path(path, sizeof(path), run_id, "pids");
	pids = path[0] ? fopen(path, "r") : NULL;
	if (!pids)
		return;
	while (fscanf(pids, "%d %63s", &pid, program) == 2)
		if (pid > 1 && pid != getpid() && gc_pid_runs(pid, program) &&
		    kill(pid, SIGKILL) == 0) {
			/* A native node leads a process group (its daemon's children,
			 * its scripts): they go too. */
			if (getpgid(pid) == pid)
				kill(-pid, SIGKILL);
			gc_say(scope, "gc: killed %s (pid %d)\n", program, pid);
		}
	fclose(pids);
}

static void gc_namespaces(struct gc_scope *scope)
{
	DIR *netns = opendir("/run/netns");
	struct dirent *entry;

	while (netns && (entry = readdir(netns)) != NULL) {
		const char *argv[] = {"ip", "netns", "del", entry->d_name, NULL};
		if (strlen(entry->d_name) <= 9 || entry->d_name[8] != '-' ||
		    !gc_wanted(scope, entry->d_name))
			continue;
		if (gc_exec(argv) == 0)
			gc_say(scope, "gc: deleted namespace %s\n", entry->d_name);
	}
	if (netns)
		closedir(netns);
}

/* Whether the QEMU process pid is one of our runs' by its owner: ours, or
 * for root also the system daemon's QEMU user (libvirt-qemu). A QEMU of
 * another user belongs to that user's qemu:///session and is accounted
 * for in that user's state folder, which root's gc does not see: without
 * this, root's `hasim gc` took a user's live run for an orphan. */
static bool gc_guest_ours(int pid)
{
	char path[64];
	struct stat status;
	const struct passwd *qemu_user;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &status) < 0)
		return false;
	if (status.st_uid == geteuid())
		return true;
	qemu_user = geteuid() == 0 ? getpwnam("libvirt-qemu") : NULL;
	return qemu_user && status.st_uid == qemu_user->pw_uid;
}

/* QEMU guests ("-name guest=<run_id>-<node>,..."): QEMU outlives a
 * libvirtd that stopped or lost its client. */
static void gc_guests(struct gc_scope *scope)
{
	DIR *proc = opendir("/proc");
	struct dirent *entry;

	while (proc && (entry = readdir(proc)) != NULL) {
		char path[300], command[4096];
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
		if (!strstr(command, "qemu-system") || !guest || strlen(guest) <= 15 ||
		    guest[14] != '-' || !gc_wanted(scope, guest + 6) || !gc_guest_ours(pid))
			continue;
		if (kill(pid, SIGKILL) == 0)
			gc_say(scope, "gc: killed QEMU guest %.40s (pid %d)\n", guest + 6, pid);
	}
	if (proc)
		closedir(proc);
}

/* Domains still defined in a libvirtd that answers (never one started for
 * this: the URI's daemon runs or there is nothing to collect there). */
static void gc_domains(struct gc_scope *scope)
{
	virConnectPtr connection;
	virDomainPtr *domains = NULL;
	char log[600];
	int count;

	hs_libvirt_errors_silence();
	connection = virConnectOpen(hs_libvirt_uri());
	if (!connection)
		return;
	count = virConnectListAllDomains(connection, &domains, 0);
	for (int i = 0; i < count; i++) {
		const char *name = virDomainGetName(domains[i]);
		if (name && strlen(name) > 8 && name[8] == '-' && gc_wanted(scope, name)) {
			if (virDomainIsActive(domains[i]) == 1)
				virDomainDestroy(domains[i]);
			if (virDomainIsPersistent(domains[i]) != 1 ||
			    virDomainUndefine(domains[i]) == 0)
				gc_say(scope, "gc: removed domain %s\n", name);
			/* libvirt's log of its QEMU: a finished run moves it into
			 * its run folder (vm.c), a dead one cannot. */
			snprintf(log, sizeof(log), HS_BACKEND_QEMU_LOG_DIR "/%s.log", name);
			if (unlink(log) == 0 && !scope->quiet)
				printf("gc: removed %s\n", log);
		}
		virDomainFree(domains[i]);
	}
	free(domains);
	virConnectClose(connection);
}

/* A folder that is a mount point (a native node's data tmpfs a killed run
 * left mounted) is detached, then removed. */
static int gc_remove_entry(const char *path, const struct stat *status, int flag, struct FTW *walk)
{
	(void)status;
	(void)walk;
	if (flag != FTW_DP)
		return unlink(path);
	if (rmdir(path) == 0)
		return 0;
	if (errno != EBUSY || umount2(path, MNT_DETACH) < 0)
		return -1;
	return rmdir(path);
}

int hs_backend_remove_tree(const char *path)
{
	return nftw(path, gc_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* What the state folders say: the recorded processes of every run in
 * scope, and (after everything else) the folders themselves. */
static void gc_states(struct gc_scope *scope, bool folders)
{
	char path[300];
	DIR *root;
	struct dirent *entry;

	gc_state_path(path, sizeof(path), NULL, NULL);
	root = path[0] ? opendir(path) : NULL;

	while (root && (entry = readdir(root)) != NULL) {
		if (strlen(entry->d_name) != 8 || !gc_wanted(scope, entry->d_name))
			continue;
		if (!folders) {
			gc_kill_recorded(scope, entry->d_name);
			continue;
		}
		gc_state_path(path, sizeof(path), entry->d_name, NULL);
		if (hs_backend_remove_tree(path) == 0)
			gc_say(scope, "gc: removed state of run %s\n", entry->d_name);
	}
	if (root)
		closedir(root);
}

static int gc_collect(struct gc_scope *scope)
{
	gc_domains(scope);
	gc_guests(scope);
	gc_states(scope, false);
	usleep(100000); /* killed processes leave their namespaces */
	gc_namespaces(scope);
	gc_states(scope, true);
	return scope->removed;
}

int hs_backend_gc(char *error, size_t error_size)
{
	/* Orphans are objects of no state folder in this root: with a root of
	 * the caller's choosing, those of every run under the default root
	 * (/run/halab) would look so, alive or not. */
	const char *chosen = getenv("HALAB_STATE_DIR");
	struct gc_scope scope = {.orphans = !(chosen && chosen[0])};

	(void)error;
	(void)error_size;
	return gc_collect(&scope);
}

int hs_backend_gc_dead(bool quiet)
{
	struct gc_scope scope = {.quiet = quiet};

	return gc_collect(&scope);
}

int hs_backend_gc_run(const char *run_id, bool quiet)
{
	struct gc_scope scope = {.run_id = run_id, .quiet = quiet};

	if (!gc_is_run_id(run_id) || run_id[8] != '\0')
		return 0;
	return gc_collect(&scope);
}
