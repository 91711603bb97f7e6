/*
 * test_platform.c - CUnit tests of hanode's platform modules: the mdstat
 * parser and the raw ICMP socket (checks.c), the command runner (runner.c)
 * and the durable store (persist.c). Run with no argument it runs the
 * suite and exits non-zero on a failure. (The health rounds that use them
 * are the host's, tested by test_host.c.)
 *
 * Run as `test_platform tool COMMAND ...` it is instead a small driver of
 * netif.c and of a host's health round with real sockets
 * (test_platform_tool.c) for refimpl/tests/test_platform_net.py, which
 * runs it inside network namespaces (root): those parts need real
 * interfaces, so they are tested there and not here.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"
#include "netif.h"
#include "persist.h"
#include "runner.h"

static char test_dir[128];

static uint64_t test_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static void test_file_write(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	fputs(text, file);
	fclose(file);
}

static void test_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", test_dir, name);
}

/* ------------------------------------------------------------------ mdstat */

static const char *const mdstat_healthy =
    "Personalities : [raid1] [linear] [multipath] [raid0] [raid6] [raid5] [raid4] [raid10] \n"
    "md0 : active raid1 sdb1[1] sda1[0]\n"
    "      1046528 blocks super 1.2 [2/2] [UU]\n"
    "      bitmap: 0/1 pages [0KB], 65536KB chunk\n"
    "      \n"
    "md10 : active raid1 sdd1[1](F) sdc1[0](F)\n"
    "      1046528 blocks super 1.2 [2/0] [__]\n"
    "      \n"
    "unused devices: <none>\n";

static const char *const mdstat_degraded = "Personalities : [raid1] \n"
					   "md0 : active raid1 sdb1[1](F) sda1[0]\n"
					   "      1046528 blocks super 1.2 [2/1] [U_]\n"
					   "      \n"
					   "unused devices: <none>\n";

static const char *const mdstat_recovering =
    "Personalities : [raid1] \n"
    "md0 : active raid1 sdc1[2] sda1[0]\n"
    "      1046528 blocks super 1.2 [2/1] [U_]\n"
    "      [=>...................]  recovery =  8.5% (89600/1046528) finish=0.7min "
    "speed=22400K/sec\n"
    "      \n"
    "unused devices: <none>\n";

static const char *const mdstat_failed = "Personalities : [raid1] \n"
					 "md0 : active raid1 sdb1[1](F) sda1[0](F)\n"
					 "      1046528 blocks super 1.2 [2/0] [__]\n"
					 "      \n"
					 "unused devices: <none>\n";

static const char *const mdstat_inactive = "Personalities : [raid1] \n"
					   "md0 : inactive sdb1[1](S)\n"
					   "      1046528 blocks super 1.2\n"
					   "       \n"
					   "unused devices: <none>\n";

static const char *const mdstat_empty = "Personalities : \nunused devices: <none>\n";

static const char *const mdstat_raid5 =
    "Personalities : [raid6] [raid5] [raid4] [raid0] \n"
    "md1 : active raid5 sdd1[3] sdc1[1](F) sdb1[0](F)\n"
    "      2093056 blocks super 1.2 level 5, 512k chunk, algorithm 2 [3/1] [__U]\n"
    "      \n"
    "md2 : active raid5 sdg1[3] sdf1[1] sde1[0](F)\n"
    "      2093056 blocks super 1.2 level 5, 512k chunk, algorithm 2 [3/2] [_UU]\n"
    "      \n"
    "md3 : active raid0 sdi1[1](F) sdh1[0]\n"
    "      2093056 blocks super 1.2 512k chunks\n"
    "      \n"
    "md4 : active (auto-read-only) raid0 sdk1[1] sdj1[0]\n"
    "      2093056 blocks super 1.2 512k chunks\n"
    "      \n"
    "unused devices: <none>\n";

static void test_mdstat_expect(const char *text, const char *array, int expected_result,
			       bool expected_ok, const char *expected_reason)
{
	bool ok = !expected_ok;
	char reason[HN_REASON_MAX] = "";
	CU_ASSERT_EQUAL(hn_checks_mdstat_parse(text, array, &ok, reason, sizeof(reason)),
			expected_result);
	CU_ASSERT_EQUAL(ok, expected_ok);
	CU_ASSERT_STRING_EQUAL(reason, expected_reason);
}

static void test_mdstat_verdicts(void)
{
	test_mdstat_expect(mdstat_healthy, "md0", 0, true, "md0: active raid1 [2/2] [UU]");
	test_mdstat_expect(mdstat_healthy, "/dev/md0", 0, true, "md0: active raid1 [2/2] [UU]");
	test_mdstat_expect(mdstat_healthy, "md10", 0, false,
			   "md10: active raid1 [2/0] [__]: failed");
	test_mdstat_expect(mdstat_healthy, "md1", 0, false, "md1: array not found");
	test_mdstat_expect(mdstat_degraded, "md0", 0, true,
			   "md0: active raid1 [2/1] [U_]: degraded");
	test_mdstat_expect(mdstat_recovering, "md0", 0, true,
			   "md0: active raid1 [2/1] [U_]: degraded");
	test_mdstat_expect(mdstat_failed, "md0", 0, false, "md0: active raid1 [2/0] [__]: failed");
	test_mdstat_expect(mdstat_inactive, "md0", 0, false, "md0: inactive");
	test_mdstat_expect(mdstat_empty, "md0", 0, false, "md0: array not found");
	test_mdstat_expect(mdstat_raid5, "md1", 0, false, "md1: active raid5 [3/1] [__U]: failed");
	test_mdstat_expect(mdstat_raid5, "md2", 0, true, "md2: active raid5 [3/2] [_UU]: degraded");
	test_mdstat_expect(mdstat_raid5, "md3", 0, false,
			   "md3: active raid0, 1 failed member(s): failed");
	test_mdstat_expect(mdstat_raid5, "md4", 0, true, "md4: active raid0, 0 failed member(s)");
	test_mdstat_expect("garbage\nmd0 : active raid1 [2/2] [UU]\n", "md0", -1, false,
			   "md0: not an mdstat text");
	test_mdstat_expect("", "md0", -1, false, "md0: not an mdstat text");
}

static void test_mdstat_file(void)
{
	char path[300];
	bool ok = true;
	char reason[HN_REASON_MAX];
	test_path(path, sizeof(path), "mdstat");
	test_file_write(path, mdstat_degraded);
	CU_ASSERT_EQUAL(hn_checks_mdstat_file(path, "md0", &ok, reason, sizeof(reason)), 0);
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_STRING_EQUAL(reason, "md0: active raid1 [2/1] [U_]: degraded");
	test_path(path, sizeof(path), "no-such-mdstat");
	CU_ASSERT_EQUAL(hn_checks_mdstat_file(path, "md0", &ok, reason, sizeof(reason)), -1);
	CU_ASSERT_FALSE(ok);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason, "cannot read"));
}

/* ------------------------------------------------------------------ runner */

/* Run the runner's loop until n results arrived or limit_ms passed. */
static int test_runner_wait(struct hn_runner *runner, struct hn_runner_result *results, size_t n,
			    uint64_t limit_ms)
{
	size_t got = 0;
	uint64_t end_ms = test_now_ms() + limit_ms;
	while (got < n && test_now_ms() < end_ms) {
		uint64_t now_ms = test_now_ms();
		uint64_t next_ms = hn_runner_next_deadline_ms(runner);
		int wait_ms = next_ms <= now_ms	      ? 0
			      : next_ms - now_ms > 50 ? 50
						      : (int)(next_ms - now_ms);
		struct pollfd fd = {.fd = hn_runner_fd(runner), .events = POLLIN};
		poll(&fd, 1, wait_ms);
		hn_runner_on_deadline(runner, test_now_ms());
		got += (size_t)hn_runner_reap(runner, results + got, n - got);
	}
	return (int)got;
}

static int test_runner_run(const char *command, const char *stdin_text, const char *const *env,
			   uint32_t timeout_ms, struct hn_runner_result *result)
{
	struct hn_runner runner;
	char error[256];
	uint64_t id = 0;
	int got = -1;
	CU_ASSERT_EQUAL_FATAL(hn_runner_open(&runner, error, sizeof(error)), 0);
	if (hn_runner_start(&runner, command, stdin_text, env, timeout_ms, test_now_ms(), &id,
			    error, sizeof(error)) == 0) {
		got = test_runner_wait(&runner, result, 1, 5000);
		CU_ASSERT_EQUAL(result->id, id);
	}
	CU_ASSERT_NOT_EQUAL(id, 0);
	hn_runner_close(&runner);
	return got;
}

static void test_runner_exit_status(void)
{
	struct hn_runner_result result;
	CU_ASSERT_EQUAL(test_runner_run("true", NULL, NULL, 0, &result), 1);
	CU_ASSERT_EQUAL(result.exit_status, 0);
	CU_ASSERT_FALSE(result.timed_out);
	CU_ASSERT_EQUAL(test_runner_run("exit 3", NULL, NULL, 0, &result), 1);
	CU_ASSERT_EQUAL(result.exit_status, 3);
	CU_ASSERT_EQUAL(test_runner_run("kill -TERM $$", NULL, NULL, 0, &result), 1);
	CU_ASSERT_EQUAL(result.exit_status, 128 + SIGTERM);
	CU_ASSERT_EQUAL(test_runner_run("/nonexistent/command", NULL, NULL, 0, &result), 1);
	CU_ASSERT_EQUAL(result.exit_status, 127);
	/* stdin is /dev/null without text: read fails at once instead of hanging. */
	CU_ASSERT_EQUAL(test_runner_run("read line", NULL, NULL, 2000, &result), 1);
	CU_ASSERT_EQUAL(result.exit_status, 1);
	CU_ASSERT_FALSE(result.timed_out);
}

static void test_runner_stdin_and_env(void)
{
	struct hn_runner_result result;
	const char *const env[] = {"HN_EVENT=failover", "HN_NODE=node2", NULL};
	CU_ASSERT_EQUAL(test_runner_run("test \"$(cat)\" = '{\"event\":\"failover\"}'",
					"{\"event\":\"failover\"}", NULL, 0, &result),
			1);
	CU_ASSERT_EQUAL(result.exit_status, 0);
	CU_ASSERT_EQUAL(
	    test_runner_run("test \"$HN_EVENT/$HN_NODE\" = failover/node2", NULL, env, 0, &result),
	    1);
	CU_ASSERT_EQUAL(result.exit_status, 0);
	/* The variables are the child's only, not the test's. */
	CU_ASSERT_PTR_NULL(getenv("HN_EVENT"));
}

/* 1 if pid is gone or a zombie (killed, waiting for a reaper), 0 if it runs. */
static int test_process_dead(pid_t pid)
{
	char path[64], text[256] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *file = fopen(path, "r");
	if (file == NULL)
		return 1;
	size_t length = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[length] = '\0';
	const char *paren = strrchr(text, ')');
	return paren != NULL && (paren[2] == 'Z' || paren[2] == 'X') ? 1 : 0;
}

static void test_runner_timeout_kills_group(void)
{
	struct hn_runner_result result;
	char path[300], command[400];
	test_path(path, sizeof(path), "grandchild.pid");
	/* The shell forks sleep (background + wait), so killing only the
	 * shell's PID would leave the grandchild behind. */
	snprintf(command, sizeof(command), "sleep 30 & echo $! > %s; wait", path);
	uint64_t start_ms = test_now_ms();
	CU_ASSERT_EQUAL(test_runner_run(command, NULL, NULL, 200, &result), 1);
	uint64_t elapsed_ms = test_now_ms() - start_ms;
	CU_ASSERT_TRUE(result.timed_out);
	CU_ASSERT_EQUAL(result.exit_status, 128 + SIGKILL);
	CU_ASSERT_TRUE(elapsed_ms >= 200 && elapsed_ms < 2000);
	FILE *file = fopen(path, "r");
	int pid = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT_EQUAL(fscanf(file, "%d", &pid), 1);
	fclose(file);
	for (int i = 0; i < 50 && !test_process_dead(pid); i++)
		usleep(10000);
	CU_ASSERT_EQUAL(test_process_dead(pid), 1);
}

static void test_runner_bounded(void)
{
	struct hn_runner runner;
	char error[256];
	uint64_t ids[HN_RUNNER_CHILDREN_MAX + 1] = {0};
	pid_t pids[HN_RUNNER_CHILDREN_MAX];
	char long_text[HN_RUNNER_STDIN_MAX + 2];
	CU_ASSERT_EQUAL_FATAL(hn_runner_open(&runner, error, sizeof(error)), 0);
	for (size_t i = 0; i < HN_RUNNER_CHILDREN_MAX; i++) {
		CU_ASSERT_EQUAL(hn_runner_start(&runner, "sleep 30", NULL, NULL, 0, test_now_ms(),
						&ids[i], error, sizeof(error)),
				0);
		pids[i] = runner.children[i].pid;
	}
	CU_ASSERT_EQUAL(hn_runner_running(&runner), HN_RUNNER_CHILDREN_MAX);
	CU_ASSERT_EQUAL(hn_runner_start(&runner, "true", NULL, NULL, 0, test_now_ms(),
					&ids[HN_RUNNER_CHILDREN_MAX], error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "hn_runner_start: 8 children already running");
	CU_ASSERT_EQUAL(hn_runner_next_deadline_ms(&runner), UINT64_MAX);
	hn_runner_close(&runner);
	for (size_t i = 0; i < HN_RUNNER_CHILDREN_MAX; i++)
		CU_ASSERT_EQUAL(kill(pids[i], 0), -1); /* killed and reaped */
	CU_ASSERT_EQUAL(hn_runner_open(&runner, error, sizeof(error)), 0);
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	CU_ASSERT_EQUAL(
	    hn_runner_start(&runner, "cat", long_text, NULL, 0, 0, &ids[0], error, sizeof(error)),
	    -1);
	CU_ASSERT_STRING_EQUAL(error, "hn_runner_start: stdin text longer than 4096 bytes");
	CU_ASSERT_EQUAL(
	    hn_runner_start(&runner, "", NULL, NULL, 0, 0, &ids[0], error, sizeof(error)), -1);
	CU_ASSERT_EQUAL(hn_runner_running(&runner), 0);
	hn_runner_close(&runner);
	hn_runner_close(&runner); /* twice is harmless */
}

/* ----------------------------------------------------------------- persist */

static struct hn_entry test_entry(const char *key, const char *value, uint64_t seq)
{
	struct hn_entry entry;
	memset(&entry, 0, sizeof(entry));
	snprintf(entry.key, sizeof(entry.key), "%s", key);
	snprintf(entry.value, sizeof(entry.value), "%s", value);
	entry.seq = seq;
	return entry;
}

static void test_store_dir(char *out, size_t size, const char *name)
{
	char command[600];
	test_path(out, size, name);
	snprintf(command, sizeof(command), "rm -rf '%s'", out);
	CU_ASSERT_EQUAL(system(command), 0);
}

static off_t test_file_size(const char *dir, const char *name)
{
	char path[600];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_persist_append_reload(void)
{
	struct hn_persist persist;
	char dir[300], error[256];
	size_t count = 0;
	test_store_dir(dir, sizeof(dir), "store-reload");
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(hn_persist_entries(&persist, &count) != NULL, true);
	CU_ASSERT_EQUAL(count, 0);
	struct hn_entry entries[] = {test_entry("a", "1", 1), test_entry("b/c.d", "two words", 2),
				     test_entry("a", "3", 3)};
	for (size_t i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(hn_persist_append(&persist, &entries[i], error, sizeof(error)), 0);
	hn_persist_close(&persist);
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	const struct hn_entry *loaded = hn_persist_entries(&persist, &count);
	CU_ASSERT_EQUAL_FATAL(count, 2);
	CU_ASSERT_STRING_EQUAL(loaded[0].key, "a");
	CU_ASSERT_STRING_EQUAL(loaded[0].value, "3");
	CU_ASSERT_EQUAL(loaded[0].seq, 3);
	CU_ASSERT_STRING_EQUAL(loaded[1].key, "b/c.d");
	CU_ASSERT_STRING_EQUAL(loaded[1].value, "two words");
	CU_ASSERT_EQUAL(persist.log_records, 3);
	CU_ASSERT_EQUAL(persist.last_seq, 3);
	CU_ASSERT_EQUAL(persist.torn_bytes, 0);
	struct hn_entry bad = test_entry("", "x", 4);
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &bad, error, sizeof(error)), -1);
	CU_ASSERT_STRING_EQUAL(error, "hn_persist_append: invalid entry (key or value length)");
	memset(bad.value, 'v', sizeof(bad.value)); /* unterminated value */
	snprintf(bad.key, sizeof(bad.key), "k");
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &bad, error, sizeof(error)), -1);
	hn_persist_close(&persist);
	hn_persist_close(&persist); /* twice is harmless */
}

static void test_persist_torn_tail(void)
{
	struct hn_persist persist;
	char dir[300], path[400], error[256];
	size_t count = 0;
	test_store_dir(dir, sizeof(dir), "store-torn");
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	struct hn_entry first = test_entry("k1", "v1", 1), second = test_entry("k2", "value2", 2);
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &first, error, sizeof(error)), 0);
	off_t first_size = test_file_size(dir, "store.log");
	CU_ASSERT_EQUAL(first_size, 20 + 2 + 2);
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &second, error, sizeof(error)), 0);
	hn_persist_close(&persist);
	/* A crash in the middle of the second append: 5 bytes of it never landed. */
	snprintf(path, sizeof(path), "%s/store.log", dir);
	CU_ASSERT_EQUAL(truncate(path, test_file_size(dir, "store.log") - 5), 0);
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	const struct hn_entry *loaded = hn_persist_entries(&persist, &count);
	CU_ASSERT_EQUAL(count, 1);
	CU_ASSERT_STRING_EQUAL(loaded[0].value, "v1");
	CU_ASSERT_EQUAL(persist.torn_bytes, 20 + 2 + 6 - 5);
	CU_ASSERT_EQUAL(test_file_size(dir, "store.log"), first_size);
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &second, error, sizeof(error)), 0);
	hn_persist_close(&persist);
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	hn_persist_entries(&persist, &count);
	CU_ASSERT_EQUAL(count, 2);
	CU_ASSERT_EQUAL(persist.torn_bytes, 0);
	hn_persist_close(&persist);
	/* A flipped bit in the first record: nothing after it can be trusted. */
	int fd = open(path, O_WRONLY);
	CU_ASSERT_EQUAL(pwrite(fd, "X", 1, 22), 1);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	hn_persist_entries(&persist, &count);
	CU_ASSERT_EQUAL(count, 0);
	CU_ASSERT_EQUAL(persist.torn_bytes, 2 * 20 + 4 + 8);
	CU_ASSERT_EQUAL(test_file_size(dir, "store.log"), 0);
	hn_persist_close(&persist);
}

static void test_persist_reset_and_compaction(void)
{
	struct hn_persist persist;
	char dir[300], error[256], value[32];
	size_t count = 0;
	test_store_dir(dir, sizeof(dir), "store-compact");
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 4, error, sizeof(error)), 0);
	for (uint64_t seq = 1; seq <= 10; seq++) {
		snprintf(value, sizeof(value), "v%llu", (unsigned long long)seq);
		struct hn_entry entry = test_entry(seq % 2 ? "odd" : "even", value, seq);
		CU_ASSERT_EQUAL(hn_persist_append(&persist, &entry, error, sizeof(error)), 0);
		CU_ASSERT_TRUE(persist.log_records <= 4);
	}
	/* Compacted at 4 records down to 2, twice: 2 + 4 appends, then 2 + 2. */
	CU_ASSERT_EQUAL(persist.log_records, 4);
	CU_ASSERT_EQUAL((uint64_t)test_file_size(dir, "store.log"), persist.log_bytes);
	CU_ASSERT_EQUAL(test_file_size(dir, "store.log.tmp"), -1);
	hn_persist_close(&persist);
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 4, error, sizeof(error)), 0);
	const struct hn_entry *loaded = hn_persist_entries(&persist, &count);
	CU_ASSERT_EQUAL_FATAL(count, 2);
	CU_ASSERT_STRING_EQUAL(loaded[0].key, "odd");
	CU_ASSERT_STRING_EQUAL(loaded[0].value, "v9");
	CU_ASSERT_STRING_EQUAL(loaded[1].value, "v10");
	CU_ASSERT_EQUAL(persist.last_seq, 10);
	struct hn_generation generation = {.id = 7, .parent = 3, .fork_seq = 5};
	CU_ASSERT_EQUAL(
	    hn_persist_generation_write(&persist, &generation, false, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(hn_persist_reset(&persist, error, sizeof(error)), 0);
	hn_persist_entries(&persist, &count);
	CU_ASSERT_EQUAL(count, 0);
	hn_persist_close(&persist);
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 4, error, sizeof(error)), 0);
	hn_persist_entries(&persist, &count);
	CU_ASSERT_EQUAL(count, 0);
	CU_ASSERT_EQUAL(persist.last_seq, 0);
	bool outdated = true;
	struct hn_generation read_back;
	CU_ASSERT_EQUAL(
	    hn_persist_generation_read(&persist, &read_back, &outdated, error, sizeof(error)), 1);
	CU_ASSERT_EQUAL(read_back.id, 7); /* reset keeps the generation */
	CU_ASSERT_FALSE(outdated);
	hn_persist_close(&persist);
}

static void test_persist_store_full(void)
{
	struct hn_persist persist;
	char dir[300], error[256], key[32];
	test_store_dir(dir, sizeof(dir), "store-full");
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	int failures = 0;
	for (int i = 0; i < HN_STORE_ENTRIES_MAX; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		struct hn_entry entry = test_entry(key, "v", (uint64_t)i + 1);
		failures += hn_persist_append(&persist, &entry, error, sizeof(error)) < 0;
	}
	CU_ASSERT_EQUAL(failures, 0);
	struct hn_entry extra = test_entry("one-too-many", "v", 5000);
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &extra, error, sizeof(error)), -1);
	CU_ASSERT_STRING_EQUAL(error, "hn_persist_append: one-too-many: store full (1024 keys)");
	struct hn_entry update = test_entry("key0", "updated", 5001); /* existing key: fine */
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &update, error, sizeof(error)), 0);
	hn_persist_close(&persist);
}

/* A log that cannot be written (its fd swapped for a read-only one): the
 * append fails, cannot undo itself, so every later append is refused until
 * a compaction writes a fresh file. */
static void test_persist_write_failure(void)
{
	struct hn_persist persist;
	char dir[300], path[400], error[256];
	size_t count = 0;
	test_store_dir(dir, sizeof(dir), "store-failure");
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	struct hn_entry first = test_entry("k1", "v1", 1), second = test_entry("k2", "v2", 2);
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &first, error, sizeof(error)), 0);
	snprintf(path, sizeof(path), "%s/store.log", dir);
	int read_only = open(path, O_RDONLY);
	CU_ASSERT_TRUE_FATAL(read_only >= 0);
	CU_ASSERT_EQUAL(dup2(read_only, persist.log_fd), persist.log_fd);
	close(read_only);
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &second, error, sizeof(error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "hn_persist_append: "));
	CU_ASSERT_TRUE(persist.failed);
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &second, error, sizeof(error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "an earlier write failed"));
	CU_ASSERT_EQUAL(hn_persist_reset(&persist, error, sizeof(error)), -1);
	CU_ASSERT_EQUAL(hn_persist_compact(&persist, error, sizeof(error)), 0);
	CU_ASSERT_FALSE(persist.failed);
	CU_ASSERT_EQUAL(hn_persist_append(&persist, &second, error, sizeof(error)), 0);
	hn_persist_close(&persist);
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	hn_persist_entries(&persist, &count);
	CU_ASSERT_EQUAL(count, 2);
	hn_persist_close(&persist);
	/* A data directory that cannot be created. */
	snprintf(path, sizeof(path), "%s/store.log/sub", dir);
	CU_ASSERT_EQUAL(hn_persist_open(&persist, path, 0, error, sizeof(error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "hn_persist_open: mkdir"));
	hn_persist_close(&persist);
}

/* The raw ICMP socket: an echo to 127.0.0.1 comes back with the sequence
 * it was sent with; replies are told apart by the socket's identifier. */
static void test_ping_socket(void)
{
	const char *targets[] = {"127.0.0.1", "203.0.113.99"};
	struct hn_checks_ping ping;
	uint16_t sequences[HN_CHECKS_REPLIES_MAX];
	char error[256];
	/* Not skipped without root: a test that did not run is not a pass. */
	if (hn_checks_ping_open(&ping, targets, 2, error, sizeof(error)) != 0) {
		printf("\n    (%s; a raw ICMP socket needs root) ", error);
		CU_FAIL("hn_checks_ping_open failed (run as root)");
		hn_checks_ping_close(&ping);
		return;
	}
	CU_ASSERT_EQUAL(hn_checks_ping_send(&ping, 0, 0x1234, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(hn_checks_ping_send(&ping, 2, 1, error, sizeof(error)), -1);
	CU_ASSERT_STRING_EQUAL(error, "hn_checks_ping_send: no socket or no target 2");
	size_t count = 0;
	for (int i = 0; i < 100 && count == 0; i++) {
		struct pollfd pfd = {.fd = ping.fd, .events = POLLIN};
		poll(&pfd, 1, 20);
		count = hn_checks_ping_read(&ping, sequences, HN_CHECKS_REPLIES_MAX);
	}
	CU_ASSERT_EQUAL(count, 1);
	CU_ASSERT_EQUAL(sequences[0], 0x1234);
	hn_checks_ping_close(&ping);
	CU_ASSERT_EQUAL(hn_checks_ping_send(&ping, 0, 1, error, sizeof(error)), -1);
}

/* The maintenance mark and the packet counter's reservation: small files,
 * replaced durably, read back; a damaged one is an error naming it. */
static void test_persist_marks(void)
{
	struct hn_persist persist;
	char dir[300], path[400], error[256];
	uint64_t limit = 7;
	test_store_dir(dir, sizeof(dir), "store-marks");
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	CU_ASSERT_FALSE(hn_persist_maintenance_read(&persist));
	CU_ASSERT_EQUAL(hn_persist_maintenance_write(&persist, true, error, sizeof(error)), 0);
	CU_ASSERT_TRUE(hn_persist_maintenance_read(&persist));
	CU_ASSERT_EQUAL(hn_persist_maintenance_write(&persist, false, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(hn_persist_maintenance_write(&persist, false, error, sizeof(error)), 0);
	CU_ASSERT_FALSE(hn_persist_maintenance_read(&persist));
	CU_ASSERT_EQUAL(hn_persist_packet_seq_read(&persist, &limit, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(limit, 0);
	CU_ASSERT_EQUAL(hn_persist_packet_seq_write(&persist, 1048577, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(hn_persist_packet_seq_read(&persist, &limit, error, sizeof(error)), 1);
	CU_ASSERT_EQUAL(limit, 1048577);
	CU_ASSERT_EQUAL(test_file_size(dir, "packet_seq.tmp"), -1);
	snprintf(path, sizeof(path), "%s/packet_seq", dir);
	test_file_write(path, "12x\n");
	CU_ASSERT_EQUAL(hn_persist_packet_seq_read(&persist, &limit, error, sizeof(error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "/packet_seq: not a packet counter: 12x"));
	hn_persist_close(&persist);
}

/* The daemon closes everything at exit, also what it never opened: a
 * zeroed struct must not make a close function close fd 0. */
static void test_close_zeroed_structs(void)
{
	struct hn_runner runner;
	struct hn_persist persist;
	struct hn_checks_ping ping;
	struct hn_netif_monitor monitor;
	struct hn_netif_arp_probe probe;
	uint16_t sequences[4];
	if (fcntl(0, F_GETFD) < 0)
		CU_ASSERT_EQUAL_FATAL(open("/dev/null", O_RDONLY), 0);
	memset(&runner, 0, sizeof(runner));
	memset(&persist, 0, sizeof(persist));
	memset(&ping, 0, sizeof(ping));
	memset(&monitor, 0, sizeof(monitor));
	memset(&probe, 0, sizeof(probe));
	CU_ASSERT_EQUAL(hn_runner_fd(&runner), -1);
	CU_ASSERT_EQUAL(hn_netif_monitor_fd(&monitor), -1);
	CU_ASSERT_EQUAL(hn_netif_arp_probe_fd(&probe), -1);
	CU_ASSERT_FALSE(hn_netif_arp_probe_read(&probe, NULL));
	CU_ASSERT_EQUAL(hn_checks_ping_read(&ping, sequences, 4), 0);
	CU_ASSERT_FALSE(hn_persist_maintenance_read(&persist));
	hn_runner_close(&runner);
	hn_persist_close(&persist);
	hn_checks_ping_close(&ping);
	hn_netif_monitor_close(&monitor);
	hn_netif_arp_probe_close(&probe);
	hn_persist_close(NULL);
	hn_checks_ping_close(NULL);
	hn_netif_arp_probe_close(NULL);
	hn_runner_close(NULL);
	CU_ASSERT_NOT_EQUAL(fcntl(0, F_GETFD), -1);
}

static void test_persist_generation(void)
{
	struct hn_persist persist;
	char dir[300], path[400], error[256];
	struct hn_generation generation = {.id = 1};
	bool outdated = true;
	test_store_dir(dir, sizeof(dir), "store-generation");
	CU_ASSERT_EQUAL_FATAL(hn_persist_open(&persist, dir, 0, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(
	    hn_persist_generation_read(&persist, &generation, &outdated, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(generation.id, 0);
	CU_ASSERT_FALSE(outdated);
	struct hn_generation written = {.id = 0x1234567890abcdefULL, .parent = 42, .fork_seq = 99};
	CU_ASSERT_EQUAL(hn_persist_generation_write(&persist, &written, true, error, sizeof(error)),
			0);
	CU_ASSERT_EQUAL(test_file_size(dir, "generation.tmp"), -1);
	/* A crash between writing the temporary file and the rename leaves the old file intact. */
	snprintf(path, sizeof(path), "%s/generation.tmp", dir);
	test_file_write(path, "{\"id\":1,\"par");
	CU_ASSERT_EQUAL(
	    hn_persist_generation_read(&persist, &generation, &outdated, error, sizeof(error)), 1);
	CU_ASSERT_EQUAL(generation.id, written.id);
	CU_ASSERT_EQUAL(generation.parent, 42);
	CU_ASSERT_EQUAL(generation.fork_seq, 99);
	CU_ASSERT_TRUE(outdated);
	snprintf(path, sizeof(path), "%s/generation", dir);
	test_file_write(path, "{\"id\":1,\"parent\":2}\n");
	CU_ASSERT_EQUAL(
	    hn_persist_generation_read(&persist, &generation, &outdated, error, sizeof(error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(error, "not a generation"));
	hn_persist_close(&persist);
}

/* ------------------------------------------------------------------ main */

/* test_platform_tool.c */
int hn_test_platform_tool(int argc, char **argv);

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "tool") == 0)
		return hn_test_platform_tool(argc - 2, argv + 2);
	const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	snprintf(test_dir, sizeof(test_dir), "%s/hnp%d-XXXXXX", base, (int)getpid());
	if (mkdtemp(test_dir) == NULL) {
		perror("test_platform: mkdtemp");
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite suite = CU_add_suite("platform", NULL, NULL);
	CU_add_test(suite, "mdstat verdicts", test_mdstat_verdicts);
	CU_add_test(suite, "mdstat file", test_mdstat_file);
	CU_add_test(suite, "runner exit status", test_runner_exit_status);
	CU_add_test(suite, "runner stdin and env", test_runner_stdin_and_env);
	CU_add_test(suite, "runner timeout kills the group", test_runner_timeout_kills_group);
	CU_add_test(suite, "runner bounded", test_runner_bounded);
	CU_add_test(suite, "ping socket", test_ping_socket);
	CU_add_test(suite, "persist append reload", test_persist_append_reload);
	CU_add_test(suite, "persist torn tail", test_persist_torn_tail);
	CU_add_test(suite, "persist reset and compaction", test_persist_reset_and_compaction);
	CU_add_test(suite, "persist store full", test_persist_store_full);
	CU_add_test(suite, "persist generation", test_persist_generation);
	CU_add_test(suite, "persist write failure", test_persist_write_failure);
	CU_add_test(suite, "persist marks", test_persist_marks);
	CU_add_test(suite, "close zeroed structs", test_close_zeroed_structs);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	char command[300];
	snprintf(command, sizeof(command), "rm -rf '%s'", test_dir);
	if (system(command) != 0)
		fprintf(stderr, "test_platform: could not remove %s\n", test_dir);
	return failures > 0 ? 1 : 0;
}
