/*
 * test_platform.c - CUnit tests of hanode's platform modules: the mdstat
 * parser and check rounds (checks.c), the command runner (runner.c) and the
 * durable store (persist.c). Run with no argument it runs the suite and
 * exits non-zero on a failure.
 *
 * Run as `test_platform tool COMMAND ...` it is instead a small driver of
 * netif.c and the ping check for refimpl/tests/test_platform_net.py, which
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

/* ------------------------------------------------------------ check rounds */

static void test_checks_round(void)
{
	struct hn_checks_config config;
	struct hn_checks checks;
	struct hn_runner runner;
	struct hn_runner_result results[2];
	struct hn_health health;
	char error[256];
	memset(&config, 0, sizeof(config));
	snprintf(config.raid_array, sizeof(config.raid_array), "md0");
	test_path(config.raid_mdstat_path, sizeof(config.raid_mdstat_path), "mdstat-round");
	test_file_write(config.raid_mdstat_path, mdstat_failed);
	snprintf(config.services_command, sizeof(config.services_command), "exit 4");
	CU_ASSERT_EQUAL_FATAL(hn_runner_open(&runner, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL_FATAL(hn_checks_open(&checks, &config, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(hn_checks_round_start(&checks, &runner, test_now_ms(), &health), 0);
	CU_ASSERT_FALSE(hn_checks_round_done(&checks));
	CU_ASSERT_TRUE(checks.in_round);
	CU_ASSERT_EQUAL(hn_checks_next_deadline_ms(&checks), UINT64_MAX);
	CU_ASSERT_EQUAL(test_runner_wait(&runner, results, 1, 5000), 1);
	CU_ASSERT_TRUE(hn_checks_on_runner_result(&checks, &results[0]));
	CU_ASSERT_FALSE(hn_checks_on_runner_result(&checks, &results[0])); /* consumed once */
	CU_ASSERT_TRUE(hn_checks_round_done(&checks));
	CU_ASSERT_FALSE(checks.in_round);
	hn_checks_health(&checks, &health);
	CU_ASSERT_FALSE(health.raid_ok);
	CU_ASSERT_FALSE(health.services_ok);
	CU_ASSERT_EQUAL(health.ping_total, 0);
	CU_ASSERT_FALSE(health.cluster_ip_answered);
	CU_ASSERT_STRING_EQUAL(hn_checks_result(&checks)->raid_reason,
			       "md0: active raid1 [2/0] [__]: failed");
	CU_ASSERT_STRING_EQUAL(hn_checks_result(&checks)->services_reason,
			       "services command exited with status 4");
	/* Second round: RAID by command this time, everything healthy. */
	hn_checks_close(&checks);
	config.raid_array[0] = '\0';
	snprintf(config.raid_command, sizeof(config.raid_command), "true");
	snprintf(config.services_command, sizeof(config.services_command), "sleep 30");
	config.command_timeout_ms = 100;
	CU_ASSERT_EQUAL_FATAL(hn_checks_open(&checks, &config, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(hn_checks_round_start(&checks, &runner, test_now_ms(), &health), 0);
	CU_ASSERT_EQUAL(test_runner_wait(&runner, results, 2, 5000), 2);
	CU_ASSERT_TRUE(hn_checks_on_runner_result(&checks, &results[0]));
	CU_ASSERT_TRUE(hn_checks_on_runner_result(&checks, &results[1]));
	CU_ASSERT_TRUE(hn_checks_round_done(&checks));
	hn_checks_health(&checks, &health);
	CU_ASSERT_TRUE(health.raid_ok);
	CU_ASSERT_FALSE(health.services_ok);
	CU_ASSERT_STRING_EQUAL(hn_checks_result(&checks)->raid_reason, "RAID command ok");
	CU_ASSERT_STRING_EQUAL(hn_checks_result(&checks)->services_reason,
			       "services command timed out");
	hn_checks_close(&checks);
	hn_runner_close(&runner);
}

/* What test_round_step saw of the runner: results the round took, and the
 * last one it refused (a command of an earlier round). */
struct test_round_seen {
	size_t taken;
	size_t refused;
	struct hn_runner_result refused_result;
};

/* One poll step of a check round: readable sockets and reaped results go
 * to the checks. Deadlines are left to the test, which passes its own
 * times: the round never reads the clock itself. */
static void test_round_step(struct hn_checks *checks, struct hn_runner *runner,
			    struct test_round_seen *seen)
{
	struct pollfd pfds[HN_CHECKS_FDS_MAX + 1];
	int fds[HN_CHECKS_FDS_MAX];
	struct hn_runner_result results[HN_RUNNER_CHILDREN_MAX];
	size_t count = hn_checks_fds(checks, fds, HN_CHECKS_FDS_MAX);
	for (size_t i = 0; i < count; i++)
		pfds[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	pfds[count] = (struct pollfd){.fd = hn_runner_fd(runner), .events = POLLIN};
	poll(pfds, count + 1, 50);
	for (size_t i = 0; i < count; i++)
		if (pfds[i].revents & POLLIN)
			hn_checks_on_readable(checks, pfds[i].fd);
	int reaped = hn_runner_reap(runner, results, HN_RUNNER_CHILDREN_MAX);
	for (int i = 0; i < reaped; i++) {
		if (hn_checks_on_runner_result(checks, &results[i])) {
			seen->taken++;
		} else {
			seen->refused++;
			seen->refused_result = results[i];
		}
	}
}

/* Step until the round took `taken` results, and, with ping targets, until
 * `reachable` of them answered; at most 5 s. */
static void test_round_wait(struct hn_checks *checks, struct hn_runner *runner,
			    struct test_round_seen *seen, size_t taken, uint32_t reachable)
{
	uint64_t end_ms = test_now_ms() + 5000;
	while (test_now_ms() < end_ms &&
	       (seen->taken < taken || hn_checks_ping_reachable(&checks->ping) < reachable))
		test_round_step(checks, runner, seen);
}

/* Regression: a round still running when the next one is due used to be
 * replaced and its results dropped, so a check that outlived the health
 * interval (a hanging services command, an unanswered probe) kept the core
 * from ever hearing a verdict. Now the round ends with what it has: what
 * answered counts, what did not counts as failed, and its hn_health comes
 * back from hn_checks_round_start(). */
static void test_checks_round_ended_by_next(void)
{
	struct hn_checks_config config;
	struct hn_checks checks;
	struct hn_runner runner;
	struct hn_health ended, health;
	struct test_round_seen seen;
	char error[256], hung_path[300];
	memset(&config, 0, sizeof(config));
	memset(&seen, 0, sizeof(seen));
	/* The services check hangs the first time only. */
	test_path(hung_path, sizeof(hung_path), "services.hung");
	snprintf(config.raid_command, sizeof(config.raid_command), "true");
	snprintf(config.services_command, sizeof(config.services_command),
		 "test -e %s || { touch %s; exec sleep 30; }", hung_path, hung_path);
	config.command_timeout_ms = 60000; /* only the end of the round stops it */
	/* 127.0.0.1 answers at once; 203.0.113.99 (TEST-NET-3, used nowhere in
	 * halab) never does. */
	config.ping_target_count = 2;
	snprintf(config.ping_targets[0], INET_ADDRSTRLEN, "127.0.0.1");
	snprintf(config.ping_targets[1], INET_ADDRSTRLEN, "203.0.113.99");
	config.ping_timeout_ms = 500;
	CU_ASSERT_EQUAL_FATAL(hn_runner_open(&runner, error, sizeof(error)), 0);
	bool ping = hn_checks_open(&checks, &config, error, sizeof(error)) == 0;
	if (!ping) {
		printf("\n    (ping part skipped: %s; a raw ICMP socket needs root) ", error);
		hn_checks_close(&checks);
		config.ping_target_count = 0;
		CU_ASSERT_EQUAL_FATAL(hn_checks_open(&checks, &config, error, sizeof(error)), 0);
	}
	uint64_t first_ms = test_now_ms();
	CU_ASSERT_EQUAL(hn_checks_round_start(&checks, &runner, first_ms, &ended), 0);
	test_round_wait(&checks, &runner, &seen, 1, ping ? 1 : 0); /* RAID, 127.0.0.1 */
	for (int i = 0; i < 500 && access(hung_path, F_OK) != 0; i++)
		usleep(10000);
	CU_ASSERT_EQUAL(seen.taken, 1);
	CU_ASSERT_FALSE(hn_checks_round_done(&checks)); /* services hang, 203.0.113.99 silent */

	/* The next round is due while this one runs: it ends and comes back. */
	uint64_t second_ms = test_now_ms();
	memset(&ended, 0, sizeof(ended));
	CU_ASSERT_EQUAL(hn_checks_round_start(&checks, &runner, second_ms, &ended), 1);
	CU_ASSERT_TRUE(ended.raid_ok);
	CU_ASSERT_FALSE(ended.services_ok);
	CU_ASSERT_EQUAL(ended.ping_total, ping ? 2 : 0);
	CU_ASSERT_EQUAL(ended.ping_reachable, ping ? 1 : 0);
	CU_ASSERT_FALSE(ended.cluster_ip_answered);

	/* The hanging command was killed, not left to its 60 s timeout, and
	 * its result is not the new round's. The new round ends by itself. */
	test_round_wait(&checks, &runner, &seen, 3, ping ? 1 : 0);
	for (uint64_t end_ms = test_now_ms() + 2000; !seen.refused && test_now_ms() < end_ms;)
		test_round_step(&checks, &runner, &seen);
	CU_ASSERT_EQUAL(seen.taken, 3);
	CU_ASSERT_EQUAL(seen.refused, 1);
	CU_ASSERT_TRUE(seen.refused_result.timed_out);
	CU_ASSERT_EQUAL(seen.refused_result.exit_status, 128 + SIGKILL);
	hn_checks_on_deadline(&checks, second_ms + config.ping_timeout_ms);
	CU_ASSERT_TRUE(hn_checks_round_done(&checks));
	hn_checks_health(&checks, &health);
	CU_ASSERT_TRUE(health.raid_ok);
	CU_ASSERT_TRUE(health.services_ok);
	CU_ASSERT_EQUAL(health.ping_reachable, ping ? 1 : 0);

	/* A round that ended by itself was delivered already: not again. */
	memset(&ended, 0, sizeof(ended));
	CU_ASSERT_EQUAL(hn_checks_round_start(&checks, &runner, test_now_ms(), &ended), 0);
	CU_ASSERT_EQUAL(ended.ping_total, 0);
	hn_checks_close(&checks);
	hn_runner_close(&runner);
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

/* Regression (bond-port-pulled on guests): one echo per round made one lost
 * packet a lost network. A target that has not answered is asked again
 * every timeout / attempts ms until the round ends; one that answered is
 * not. 203.0.113.99 (TEST-NET-3) answers nobody. */
static void test_ping_resends_to_the_silent(void)
{
	const char *targets[] = {"203.0.113.99", "203.0.113.98"};
	struct hn_checks_ping ping;
	char error[256];
	/* Not skipped without root: a test that did not run is not a pass. */
	if (hn_checks_ping_open(&ping, targets, 2, error, sizeof(error)) != 0) {
		printf("\n    (%s; a raw ICMP socket needs root) ", error);
		CU_FAIL("hn_checks_ping_open failed (run as root)");
		hn_checks_ping_close(&ping);
		return;
	}
	CU_ASSERT_EQUAL(hn_checks_ping_next_deadline_ms(&ping), UINT64_MAX);
	CU_ASSERT_EQUAL_FATAL(hn_checks_ping_round_start(&ping, 600, 3, 1000, error, sizeof(error)),
			      0);
	CU_ASSERT_EQUAL(ping.echoes_sent, 2);
	CU_ASSERT_EQUAL(hn_checks_ping_next_deadline_ms(&ping), 1200);
	hn_checks_ping_on_deadline(&ping, 1199);
	CU_ASSERT_EQUAL(ping.echoes_sent, 2);
	ping.answered[0] = true; /* as hn_checks_ping_on_readable marks a reply */
	hn_checks_ping_on_deadline(&ping, 1200);
	CU_ASSERT_EQUAL(ping.echoes_sent, 3); /* only the silent one */
	CU_ASSERT_EQUAL(hn_checks_ping_next_deadline_ms(&ping), 1400);
	hn_checks_ping_on_deadline(&ping, 1400);
	CU_ASSERT_EQUAL(ping.echoes_sent, 4);
	CU_ASSERT_EQUAL(hn_checks_ping_next_deadline_ms(&ping), 1600); /* the round's end */
	CU_ASSERT_TRUE(ping.in_round);
	hn_checks_ping_on_deadline(&ping, 1600);
	CU_ASSERT_FALSE(ping.in_round);
	CU_ASSERT_EQUAL(ping.echoes_sent, 4);
	CU_ASSERT_EQUAL(hn_checks_ping_reachable(&ping), 1);
	CU_ASSERT_EQUAL(hn_checks_ping_next_deadline_ms(&ping), UINT64_MAX);
	/* One attempt (or 0): one echo each, nothing due before the end. */
	CU_ASSERT_EQUAL(hn_checks_ping_round_start(&ping, 600, 0, 2000, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(ping.echoes_sent, 2);
	CU_ASSERT_EQUAL(hn_checks_ping_next_deadline_ms(&ping), 2600);
	CU_ASSERT_EQUAL(hn_checks_ping_reachable(&ping), 0);
	hn_checks_ping_close(&ping);
}

/* The daemon closes everything at exit, also what it never opened: a
 * zeroed struct must not make a close function close fd 0. */
static void test_close_zeroed_structs(void)
{
	struct hn_runner runner;
	struct hn_persist persist;
	struct hn_checks checks;
	struct hn_checks_ping ping;
	struct hn_netif_garp garp;
	struct hn_netif_monitor monitor;
	struct hn_netif_arp_probe probe;
	if (fcntl(0, F_GETFD) < 0)
		CU_ASSERT_EQUAL_FATAL(open("/dev/null", O_RDONLY), 0);
	memset(&runner, 0, sizeof(runner));
	memset(&persist, 0, sizeof(persist));
	memset(&checks, 0, sizeof(checks));
	memset(&ping, 0, sizeof(ping));
	memset(&garp, 0, sizeof(garp));
	memset(&monitor, 0, sizeof(monitor));
	memset(&probe, 0, sizeof(probe));
	CU_ASSERT_EQUAL(hn_runner_fd(&runner), -1);
	CU_ASSERT_EQUAL(hn_netif_monitor_fd(&monitor), -1);
	CU_ASSERT_EQUAL(hn_netif_arp_probe_fd(&probe), -1);
	CU_ASSERT_EQUAL(hn_netif_garp_next_deadline_ms(&garp), UINT64_MAX);
	CU_ASSERT_EQUAL(hn_netif_arp_probe_next_deadline_ms(&probe), UINT64_MAX);
	hn_runner_close(&runner);
	hn_persist_close(&persist);
	hn_checks_close(&checks);
	hn_checks_ping_close(&ping);
	hn_netif_garp_close(&garp);
	hn_netif_monitor_close(&monitor);
	hn_netif_arp_probe_close(&probe);
	hn_persist_close(NULL);
	hn_checks_close(NULL);
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

/* ------------------------------------------------------------ tool mode */

static int tool_loop_until(uint64_t (*next)(void *), int (*fd)(void *), void (*readable)(void *),
			   void (*deadline)(void *, uint64_t), bool (*done)(void *), void *object)
{
	for (int i = 0; i < 10000 && !done(object); i++) {
		uint64_t now_ms = test_now_ms(), next_ms = next(object);
		int wait_ms = next_ms == UINT64_MAX ? 1000
			      : next_ms <= now_ms   ? 0
						    : (int)(next_ms - now_ms);
		struct pollfd pfd = {.fd = fd(object), .events = POLLIN};
		if (poll(&pfd, pfd.fd >= 0 ? 1 : 0, wait_ms) > 0)
			readable(object);
		deadline(object, test_now_ms());
	}
	return done(object) ? 0 : 1;
}

static uint64_t tool_probe_next(void *o)
{
	return hn_netif_arp_probe_next_deadline_ms(o);
}
static int tool_probe_fd(void *o)
{
	return hn_netif_arp_probe_fd(o);
}
static void tool_probe_readable(void *o)
{
	char error[256];
	hn_netif_arp_probe_on_readable(o, error, sizeof(error));
}
static void tool_probe_deadline(void *o, uint64_t now_ms)
{
	char error[256];
	if (hn_netif_arp_probe_on_deadline(o, now_ms, error, sizeof(error)) < 0)
		fprintf(stderr, "%s\n", error);
}
static bool tool_probe_done(void *o)
{
	return ((struct hn_netif_arp_probe *)o)->done;
}

static uint64_t tool_ping_next(void *o)
{
	return hn_checks_ping_next_deadline_ms(o);
}
static int tool_ping_fd(void *o)
{
	return ((struct hn_checks_ping *)o)->fd;
}
static void tool_ping_readable(void *o)
{
	hn_checks_ping_on_readable(o);
}
static void tool_ping_deadline(void *o, uint64_t now_ms)
{
	hn_checks_ping_on_deadline(o, now_ms);
}
static bool tool_ping_done(void *o)
{
	return !((struct hn_checks_ping *)o)->in_round;
}

static int tool_garp(char **argv)
{
	struct hn_netif_garp garp;
	char error[256];
	if (hn_netif_garp_start(&garp, argv[0], argv[1], (uint32_t)atoi(argv[2]),
				(uint32_t)atoi(argv[3]), test_now_ms(), error, sizeof(error)) < 0) {
		printf("error %s\n", error);
		return 1;
	}
	int sent = 1;
	while (hn_netif_garp_next_deadline_ms(&garp) != UINT64_MAX) {
		uint64_t next_ms = hn_netif_garp_next_deadline_ms(&garp), now_ms = test_now_ms();
		if (next_ms > now_ms)
			usleep((useconds_t)(next_ms - now_ms) * 1000);
		if (hn_netif_garp_on_deadline(&garp, test_now_ms(), error, sizeof(error)) < 0)
			printf("error %s\n", error);
		sent++;
	}
	printf("sent %d\n", sent);
	return 0;
}

static int tool_carrier_watch(char **argv)
{
	struct hn_netif_monitor monitor;
	struct hn_netif_carrier_change changes[HN_NETIF_CHANGES_MAX];
	char error[256];
	bool carrier_up = false;
	uint64_t end_ms = test_now_ms() + (uint64_t)atoi(argv[1]);
	if (hn_netif_monitor_open(&monitor, error, sizeof(error)) < 0 ||
	    hn_netif_monitor_watch(&monitor, argv[0], &carrier_up, error, sizeof(error)) < 0) {
		printf("error %s\n", error);
		return 1;
	}
	printf("initial %s %s\n", argv[0], carrier_up ? "up" : "down");
	fflush(stdout);
	while (test_now_ms() < end_ms) {
		struct pollfd pfd = {.fd = hn_netif_monitor_fd(&monitor), .events = POLLIN};
		if (poll(&pfd, 1, (int)(end_ms - test_now_ms())) <= 0)
			continue;
		int count = hn_netif_monitor_read(&monitor, changes, HN_NETIF_CHANGES_MAX, error,
						  sizeof(error));
		for (int i = 0; i < count; i++)
			printf("change %s %s\n", changes[i].ifname,
			       changes[i].carrier_up ? "up" : "down");
		fflush(stdout);
	}
	hn_netif_monitor_close(&monitor);
	return 0;
}

static int tool_arp_probe(char **argv)
{
	struct hn_netif_arp_probe probe;
	char error[256];
	if (hn_netif_arp_probe_start(&probe, argv[0], argv[1], (uint32_t)atoi(argv[2]), 100,
				     test_now_ms(), error, sizeof(error)) < 0) {
		printf("error %s\n", error);
		return 1;
	}
	int result = tool_loop_until(tool_probe_next, tool_probe_fd, tool_probe_readable,
				     tool_probe_deadline, tool_probe_done, &probe);
	if (probe.answered)
		printf("answered %02x:%02x:%02x:%02x:%02x:%02x\n", probe.answer_mac[0],
		       probe.answer_mac[1], probe.answer_mac[2], probe.answer_mac[3],
		       probe.answer_mac[4], probe.answer_mac[5]);
	else
		printf("none\n");
	hn_netif_arp_probe_close(&probe);
	return result;
}

static int tool_ping(int argc, char **argv)
{
	struct hn_checks_ping ping;
	char error[256];
	uint64_t start_ms = test_now_ms();
	if (hn_checks_ping_open(&ping, (const char *const *)argv + 2, (uint32_t)argc - 2, error,
				sizeof(error)) < 0 ||
	    hn_checks_ping_round_start(&ping, (uint32_t)atoi(argv[0]), (uint32_t)atoi(argv[1]),
				       start_ms, error, sizeof(error)) < 0) {
		printf("error %s\n", error);
		return 1;
	}
	/* The first echoes are out: a test may now change what answers. */
	printf("started\n");
	fflush(stdout);
	int result = tool_loop_until(tool_ping_next, tool_ping_fd, tool_ping_readable,
				     tool_ping_deadline, tool_ping_done, &ping);
	printf("reachable %u of %u", hn_checks_ping_reachable(&ping), ping.target_count);
	for (uint32_t i = 0; i < ping.target_count; i++)
		printf(" %s=%d", argv[i + 2], ping.answered[i] ? 1 : 0);
	printf(" echoes=%u elapsed_ms=%llu\n", ping.echoes_sent,
	       (unsigned long long)(test_now_ms() - start_ms));
	hn_checks_ping_close(&ping);
	return result;
}

/* One poll step of a check round: its sockets, the runner, the deadlines. */
static void tool_round_step(struct hn_checks *checks, struct hn_runner *runner)
{
	struct pollfd pfds[HN_CHECKS_FDS_MAX + 1];
	int fds[HN_CHECKS_FDS_MAX];
	struct hn_runner_result results[HN_RUNNER_CHILDREN_MAX];
	size_t count = hn_checks_fds(checks, fds, HN_CHECKS_FDS_MAX);
	for (size_t i = 0; i < count; i++)
		pfds[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	pfds[count] = (struct pollfd){.fd = hn_runner_fd(runner), .events = POLLIN};
	uint64_t now_ms = test_now_ms(), next_ms = hn_checks_next_deadline_ms(checks);
	if (hn_runner_next_deadline_ms(runner) < next_ms)
		next_ms = hn_runner_next_deadline_ms(runner);
	int wait_ms = next_ms == UINT64_MAX ? 1000
		      : next_ms <= now_ms   ? 0
					    : (int)(next_ms - now_ms);
	poll(pfds, count + 1, wait_ms);
	for (size_t i = 0; i < count; i++)
		if (pfds[i].revents & POLLIN)
			hn_checks_on_readable(checks, pfds[i].fd);
	int reaped = hn_runner_reap(runner, results, HN_RUNNER_CHILDREN_MAX);
	for (int i = 0; i < reaped; i++)
		hn_checks_on_runner_result(checks, &results[i]);
	hn_runner_on_deadline(runner, test_now_ms());
	hn_checks_on_deadline(checks, test_now_ms());
}

/* A whole check round with real sockets: ping + ARP probe + a services command. */
static int tool_round(int argc, char **argv)
{
	struct hn_checks_config config;
	struct hn_checks checks;
	struct hn_runner runner;
	struct hn_health health;
	char error[256];
	memset(&config, 0, sizeof(config));
	config.ping_timeout_ms = (uint32_t)atoi(argv[0]);
	config.probe_timeout_ms = (uint32_t)atoi(argv[0]);
	snprintf(config.probe_ifname, sizeof(config.probe_ifname), "%s", argv[1]);
	snprintf(config.probe_ip, sizeof(config.probe_ip), "%s", argv[2]);
	snprintf(config.services_command, sizeof(config.services_command), "true");
	for (int i = 3; i < argc && config.ping_target_count < HN_CHECKS_PING_TARGETS_MAX; i++)
		snprintf(config.ping_targets[config.ping_target_count++], INET_ADDRSTRLEN, "%s",
			 argv[i]);
	if (hn_runner_open(&runner, error, sizeof(error)) < 0 ||
	    hn_checks_open(&checks, &config, error, sizeof(error)) < 0) {
		printf("error %s\n", error);
		return 1;
	}
	hn_checks_round_start(&checks, &runner, test_now_ms(), &health);
	for (int i = 0; i < 1000 && !hn_checks_round_done(&checks); i++)
		tool_round_step(&checks, &runner);
	hn_checks_health(&checks, &health);
	printf("done=%d in_round=%d fds=%zu raid_ok=%d services_ok=%d ping=%u/%u "
	       "cluster_ip_answered=%d\n",
	       hn_checks_round_done(&checks), checks.in_round,
	       hn_checks_fds(&checks, (int[HN_CHECKS_FDS_MAX]){0}, HN_CHECKS_FDS_MAX),
	       health.raid_ok, health.services_ok, health.ping_reachable, health.ping_total,
	       health.cluster_ip_answered);
	hn_checks_close(&checks);
	hn_runner_close(&runner);
	return 0;
}

static int tool_address(const char *command, char **argv)
{
	char error[256];
	int result = -1;
	if (strcmp(command, "addr-add") == 0)
		result = hn_netif_address_add(argv[0], argv[1], error, sizeof(error));
	else if (strcmp(command, "addr-del") == 0)
		result = hn_netif_address_remove(argv[0], argv[1], error, sizeof(error));
	else
		result = hn_netif_address_present(argv[0], argv[1], error, sizeof(error));
	if (result < 0) {
		printf("error %s\n", error);
		return 1;
	}
	if (strcmp(command, "addr-present") == 0)
		printf("%s\n", result == 1 ? "present" : "absent");
	else
		printf("ok\n");
	return 0;
}

static int tool_carrier(char **argv)
{
	char error[256];
	bool carrier_up = false;
	if (hn_netif_carrier_get(argv[0], &carrier_up, error, sizeof(error)) < 0) {
		printf("error %s\n", error);
		return 1;
	}
	printf("%s\n", carrier_up ? "up" : "down");
	return 0;
}

static int tool_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int args; /* minimum */
	} commands[] = {{"addr-add", 2},  {"addr-del", 2}, {"addr-present", 2},
			{"garp", 4},	  {"carrier", 1},  {"carrier-watch", 2},
			{"arp-probe", 3}, {"ping", 3},	   {"round", 3}};
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (argc < 1 || strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (argc - 1 < commands[i].args)
			break;
		setvbuf(stdout, NULL, _IOLBF, 0);
		if (strncmp(argv[0], "addr-", 5) == 0)
			return tool_address(argv[0], argv + 1);
		if (strcmp(argv[0], "garp") == 0)
			return tool_garp(argv + 1);
		if (strcmp(argv[0], "carrier") == 0)
			return tool_carrier(argv + 1);
		if (strcmp(argv[0], "carrier-watch") == 0)
			return tool_carrier_watch(argv + 1);
		if (strcmp(argv[0], "arp-probe") == 0)
			return tool_arp_probe(argv + 1);
		if (strcmp(argv[0], "round") == 0)
			return tool_round(argc - 1, argv + 1);
		return tool_ping(argc - 1, argv + 1);
	}
	fprintf(stderr,
		"usage: test_platform tool addr-add|addr-del|addr-present IF CIDR\n"
		"       test_platform tool garp IF IP COUNT INTERVAL_MS\n"
		"       test_platform tool carrier IF | carrier-watch IF DURATION_MS\n"
		"       test_platform tool arp-probe IF IP TIMEOUT_MS\n"
		"       test_platform tool ping TIMEOUT_MS ATTEMPTS TARGET...\n"
		"       test_platform tool round TIMEOUT_MS PROBE_IF PROBE_IP [TARGET...]\n");
	return 2;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "tool") == 0)
		return tool_main(argc - 2, argv + 2);
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
	CU_add_test(suite, "checks round", test_checks_round);
	CU_add_test(suite, "checks round ended by the next", test_checks_round_ended_by_next);
	CU_add_test(suite, "ping resends to the silent", test_ping_resends_to_the_silent);
	CU_add_test(suite, "persist append reload", test_persist_append_reload);
	CU_add_test(suite, "persist torn tail", test_persist_torn_tail);
	CU_add_test(suite, "persist reset and compaction", test_persist_reset_and_compaction);
	CU_add_test(suite, "persist store full", test_persist_store_full);
	CU_add_test(suite, "persist generation", test_persist_generation);
	CU_add_test(suite, "persist write failure", test_persist_write_failure);
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
