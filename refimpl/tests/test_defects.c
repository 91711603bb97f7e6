/*
 * test_defects.c - CUnit suite "defects": the SPEC violations of issue 11,
 * each reproduced in the two-node fixture (fixture.h) and asserted fixed.
 *
 *   uplink dies          neither node reaches a ping target, in both orders of
 *                        their verdicts: nothing moves (was: both isolated);
 *                        network failover still hands over in ping detection +
 *                        one health interval
 *   one-way partition    frames of the active dropped: it hands over before the
 *                        standby takes over, never two active, no write lost
 *   failed actions       the Nth storage action, IP_ADD or SERVICES_START fails,
 *                        N = 1, 2, 3, ... (the SQLite way): no client OK or ACK
 *                        for what the disk does not hold, the node goes to fault
 *                        and hands over, the cluster recovers
 *   replay after restart 15 s of a dead active's heartbeats replayed into the
 *                        restarted survivor: ignored (was: full resync, empty
 *                        store, outdated)
 *   lossy sync link      30 % loss on the sync link, seeds 1..100: every write
 *                        answered within dead_time_ms + heartbeat_interval_ms
 *   switchover           with a write in flight it waits and hands over (was:
 *                        "data is not in sync")
 *   lossy sync, then     a minute of 30 % loss and a 1.5 s cut of the sync link
 *   power loss           under a steady client, seeds 1..100: back in sync within
 *                        3 s of the repair, the standby in sync and active within
 *                        1.5 s when the active dies (was: nobody active, hasim's
 *                        virtual finding lossy-sync-then-power-loss)
 *
 * A failing seed prints how to reproduce it, like test_fixture.c.
 */
#include "fixture.h"
#include "test_main.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct hn_health hn_healthy = {true, true, 1, 1, false};
static const struct hn_health hn_no_ping = {true, true, 0, 1, false};

static struct hn_fixture *hn_defect_fixture(enum hn_tiebreaker tiebreaker, uint64_t seed,
					    uint32_t phase1_ms, uint32_t phase2_ms)
{
	char error[HN_REASON_MAX];
	struct hn_fixture_options options = {.tiebreaker = tiebreaker,
					     .seed = seed,
					     .health_interval_ms = 500,
					     .health_phase_ms = {phase1_ms, phase2_ms}};
	if (getenv("HN_DEFECT_TRACE") != NULL)
		options.trace = stderr;
	struct hn_fixture *fixture = hn_fixture_create(&options, error, sizeof(error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(fixture);
	return fixture;
}

static void hn_defect_report(const struct hn_fixture *fixture)
{
	if (hn_fixture_failure(fixture)[0] != '\0')
		fprintf(stderr, "\n  fixture: %s\n", hn_fixture_failure(fixture));
}

/* Both on at 0 and formed (node1 active); clients from then on. */
static void hn_defect_pair(struct hn_fixture *fixture)
{
	CU_ASSERT(hn_fixture_power_on(fixture, 0) == 0);
	CU_ASSERT(hn_fixture_power_on(fixture, 1) == 0);
	CU_ASSERT(hn_fixture_run_for(fixture, 2000) == 0);
}

/* A client writing every interval_ms to the serving node for duration_ms. */
static int hn_defect_clients(struct hn_fixture *fixture, uint64_t duration_ms, uint64_t interval_ms,
			     uint32_t *counter)
{
	uint64_t end_ms = hn_fixture_now_ms(fixture) + duration_ms;
	while (hn_fixture_now_ms(fixture) < end_ms) {
		int node = hn_fixture_serving_node(fixture);
		if (node >= 0) {
			char key[32];
			snprintf(key, sizeof(key), "d%u", (*counter)++);
			if (hn_fixture_write(fixture, (uint32_t)node, key, "v", NULL) != 0)
				return -1;
		}
		if (hn_fixture_run_for(fixture, interval_ms) != 0)
			return -1;
	}
	return 0;
}

static enum hn_role hn_defect_role(const struct hn_fixture *fixture, uint32_t node)
{
	struct hn_status status;
	hn_fixture_status(fixture, node, &status);
	return status.role;
}

/* ------------------------------------------------------- uplink dies */

/* The uplink switch dies at 2050: both nodes measure no ping target at
 * their next health round (phases decide whose verdict comes first). SPEC:
 * if neither reaches one, nothing moves - the active stays active. */
static void hn_defect_uplink_dies(uint32_t active_phase_ms, uint32_t standby_phase_ms)
{
	struct hn_fixture *fixture =
	    hn_defect_fixture(HN_TIEBREAKER_PING, 1, active_phase_ms, standby_phase_ms);
	uint32_t counter = 0;
	hn_defect_pair(fixture);
	CU_ASSERT(hn_fixture_run_until(fixture, 2050) == 0);
	hn_fixture_set_health_next_round(fixture, 0, &hn_no_ping);
	hn_fixture_set_health_next_round(fixture, 1, &hn_no_ping);
	CU_ASSERT(hn_defect_clients(fixture, 4000, 50, &counter) == 0);
	CU_ASSERT_EQUAL(hn_defect_role(fixture, 0), HN_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(hn_fixture_transition_at(fixture, 0, "isolated", 2050), UINT64_MAX);
	CU_ASSERT_EQUAL(hn_fixture_transition_at(fixture, 0, "standby", 2050), UINT64_MAX);
	CU_ASSERT_EQUAL(hn_fixture_transition_at(fixture, 1, "active", 2050), UINT64_MAX);
	CU_ASSERT(hn_fixture_transition_at(fixture, 1, "isolated", 2050) <= 2050 + 500);
	/* the switch comes back: the standby rejoins, still no role change */
	hn_fixture_set_health_next_round(fixture, 0, &hn_healthy);
	hn_fixture_set_health_next_round(fixture, 1, &hn_healthy);
	CU_ASSERT(hn_defect_clients(fixture, 2000, 50, &counter) == 0);
	struct hn_status status;
	hn_fixture_status(fixture, 1, &status);
	CU_ASSERT_EQUAL(status.state, HN_STATE_NORMAL);
	CU_ASSERT_EQUAL(hn_defect_role(fixture, 0), HN_ROLE_ACTIVE);
	CU_ASSERT(hn_fixture_check_writes(fixture) == 0);
	hn_defect_report(fixture);
	hn_fixture_free(fixture);
}

static void test_defect_uplink_dies_active_first(void)
{
	hn_defect_uplink_dies(100, 350);
}

static void test_defect_uplink_dies_standby_first(void)
{
	hn_defect_uplink_dies(350, 100);
}

/* Network failover (only the active's uplink dies) still hands over, within
 * ping detection + one health interval: the active waits for a verdict of
 * the standby newer than its own failure, i.e. the standby's next round. */
static void hn_defect_network_failover(uint32_t active_phase_ms, uint32_t standby_phase_ms)
{
	struct hn_fixture *fixture =
	    hn_defect_fixture(HN_TIEBREAKER_PING, 1, active_phase_ms, standby_phase_ms);
	uint32_t counter = 0;
	hn_defect_pair(fixture);
	CU_ASSERT(hn_fixture_run_until(fixture, 2050) == 0);
	/* beyond the switch (carrier stays up; a pulled carrier hands over at
	 * once: test_fixture's carrier tests) */
	hn_fixture_set_cluster_ip_visible(fixture, 0, false);
	hn_fixture_set_health_next_round(fixture, 0, &hn_no_ping);
	CU_ASSERT(hn_defect_clients(fixture, 3000, 50, &counter) == 0);
	uint64_t detected_ms = 2000 + active_phase_ms + (active_phase_ms < 50 ? 500 : 0);
	uint64_t handed_ms = hn_fixture_transition_at(fixture, 0, "isolated", 2050);
	uint64_t active_ms = hn_fixture_transition_at(fixture, 1, "active", 2050);
	CU_ASSERT(handed_ms > detected_ms && handed_ms <= detected_ms + 500 + 2);
	CU_ASSERT(active_ms >= handed_ms && active_ms <= detected_ms + 500 + 3);
	if (!(active_ms <= detected_ms + 500 + 3))
		fprintf(stderr,
			"\n  detected %" PRIu64 ", handed over %" PRIu64 ", active %" PRIu64 "\n",
			detected_ms, handed_ms, active_ms);
	CU_ASSERT(hn_fixture_check_writes(fixture) == 0);
	hn_defect_report(fixture);
	hn_fixture_free(fixture);
}

static void test_defect_network_failover_bound(void)
{
	hn_defect_network_failover(100, 350);
	hn_defect_network_failover(350, 100);
}

/* --------------------------------------------------- one-way partition */

/* Frames of the active (node1) dropped on both links and its cluster IP
 * unreachable for node2, the reverse passes. It must hand over before
 * node2 declares it dead; under fence node2 then fences it. */
static void test_defect_one_way_partition(void)
{
	const enum hn_tiebreaker tiebreakers[] = {HN_TIEBREAKER_PING, HN_TIEBREAKER_NONE,
						  HN_TIEBREAKER_FENCE};
	for (int i = 0; i < 3; i++) {
		struct hn_fixture *fixture = hn_defect_fixture(tiebreakers[i], 1, 100, 350);
		uint32_t counter = 0;
		hn_defect_pair(fixture);
		CU_ASSERT(hn_defect_clients(fixture, 1000, 50, &counter) == 0);
		uint64_t cut_ms = hn_fixture_now_ms(fixture);
		hn_fixture_partition_oneway(fixture, HN_LINK_SYNC, 0, true);
		hn_fixture_partition_oneway(fixture, HN_LINK_EXTERNAL, 0, true);
		hn_fixture_set_cluster_ip_visible(fixture, 0, false);
		CU_ASSERT(hn_defect_clients(fixture, 4000, 50, &counter) == 0);
		uint64_t released_ms = hn_fixture_transition_at(fixture, 0, "standby", cut_ms);
		uint64_t active_ms = hn_fixture_transition_at(fixture, 1, "active", cut_ms);
		CU_ASSERT(released_ms <= cut_ms + 800 + 2);
		CU_ASSERT(active_ms > released_ms && active_ms <= cut_ms + 1000 + 500 + 2);
		const struct hn_fixture_log *log = hn_fixture_log_find(fixture, 0, "transition", 2);
		CU_ASSERT_PTR_NOT_NULL_FATAL(log);
		CU_ASSERT_STRING_EQUAL(log->record.reason,
				       "node2 has not heard this node for 800 ms (one-way link): "
				       "handing over before it takes over");
		CU_ASSERT_EQUAL(hn_fixture_log_count(fixture, 1, "split_brain"), 0);
		hn_fixture_partition_oneway(fixture, HN_LINK_SYNC, 0, false);
		hn_fixture_partition_oneway(fixture, HN_LINK_EXTERNAL, 0, false);
		hn_fixture_set_cluster_ip_visible(fixture, 0, true);
		if (!hn_fixture_powered(fixture, 0)) /* fenced */
			CU_ASSERT(hn_fixture_power_on(fixture, 0) == 0);
		CU_ASSERT(hn_defect_clients(fixture, 3000, 50, &counter) == 0);
		CU_ASSERT_EQUAL(hn_fixture_active_count(fixture), 1);
		CU_ASSERT_EQUAL(hn_fixture_lost_writes(fixture), 0);
		CU_ASSERT(hn_fixture_check_writes(fixture) == 0);
		hn_defect_report(fixture);
		hn_fixture_free(fixture);
	}
}

/* ------------------------------------------------------ failed actions */

/* One countdown run: the nth action of `kind` on `node` fails. A pair with
 * a client; the active dies at 3 s (the standby takes over: its IP_ADD and
 * SERVICES_START), returns at 5 s (resync: the returning node's PERSISTs),
 * and everything must settle with every acknowledged write on the active's
 * disk. Returns -1 on a failure; *hit says whether the failure happened. */
static int hn_countdown_run(enum hn_failure_kind kind, uint32_t node, uint32_t nth, bool *hit,
			    char *failure, size_t failure_size)
{
	struct hn_fixture *fixture = hn_defect_fixture(HN_TIEBREAKER_NONE, nth, 100, 350);
	uint32_t counter = 0;
	int result = -1;
	hn_fixture_fail_action(fixture, node, kind, nth);
	if (hn_fixture_power_on(fixture, 0) != 0 || hn_fixture_power_on(fixture, 1) != 0 ||
	    hn_defect_clients(fixture, 3000, 50, &counter) != 0)
		goto cleanup;
	hn_fixture_power_off(fixture, 0);
	if (hn_defect_clients(fixture, 2000, 50, &counter) != 0 ||
	    hn_fixture_power_on(fixture, 0) != 0 || hn_defect_clients(fixture, 3000, 50, &counter))
		goto cleanup;
	if (hn_defect_clients(fixture, 3000, 50, &counter) != 0 ||
	    hn_fixture_check_writes(fixture) != 0)
		goto cleanup;
	result = 0;
cleanup:
	*hit = hn_fixture_failed_actions(fixture) > 0;
	snprintf(failure, failure_size, "%s", hn_fixture_failure(fixture));
	hn_fixture_free(fixture);
	return result;
}

static void test_defect_countdown(void)
{
	static const char *const kinds[] = {"", "storage", "IP_ADD", "SERVICES_START"};
	for (int kind = HN_FAILURE_STORAGE; kind <= HN_FAILURE_SERVICES; kind++) {
		for (uint32_t node = 0; node < 2; node++) {
			uint32_t runs = 0;
			for (uint32_t nth = 1; nth <= 500; nth++) {
				char failure[HN_FIXTURE_FAILURE_MAX] = "";
				bool hit = false;
				int result = hn_countdown_run((enum hn_failure_kind)kind, node, nth,
							      &hit, failure, sizeof(failure));
				runs++;
				if (result != 0) {
					fprintf(stderr, "\n  %s action %u of node%u fails: %s\n",
						kinds[kind], nth, node + 1, failure);
					CU_FAIL("a run with one failed action broke an invariant");
				}
				if (!hit)
					break; /* nth is past the last such action: done */
			}
			CU_ASSERT(runs > 1 && runs < 500);
		}
	}
}

/* ------------------------------------------------ replay after restart */

/* node1, the active, is recorded for 15 s, then dies; node2 takes over,
 * then restarts, and the recording is replayed into it. It must not take
 * the dead node1 for alive: no resync, its data intact, active again after
 * wait-for-all (SPEC), not outdated. */
static void test_defect_replay_after_restart(void)
{
	struct hn_fixture *fixture = hn_defect_fixture(HN_TIEBREAKER_NONE, 1, 100, 350);
	uint32_t counter = 0;
	struct hn_status before, after;
	hn_defect_pair(fixture);
	CU_ASSERT(hn_defect_clients(fixture, 1000, 50, &counter) == 0);
	hn_fixture_capture(fixture, 0, true);
	CU_ASSERT(hn_fixture_run_for(fixture, 15000) == 0);
	hn_fixture_capture(fixture, 0, false);
	hn_fixture_power_off(fixture, 0);
	CU_ASSERT(hn_defect_clients(fixture, 3000, 50, &counter) == 0);
	CU_ASSERT_EQUAL(hn_defect_role(fixture, 1), HN_ROLE_ACTIVE);
	hn_fixture_status(fixture, 1, &before);
	hn_fixture_power_off(fixture, 1);
	CU_ASSERT(hn_fixture_run_for(fixture, 100) == 0);
	uint64_t on_ms = hn_fixture_now_ms(fixture);
	uint32_t sync_logs = hn_fixture_log_count(fixture, 1, "sync");
	CU_ASSERT(hn_fixture_power_on(fixture, 1) == 0);
	CU_ASSERT(hn_fixture_replay(fixture, 1) == 0);
	CU_ASSERT(hn_fixture_run_for(fixture, 16000) == 0);
	hn_fixture_status(fixture, 1, &after);
	CU_ASSERT_EQUAL(after.role, HN_ROLE_ACTIVE);
	CU_ASSERT_FALSE(after.outdated);
	CU_ASSERT_FALSE(after.peer_seen);
	CU_ASSERT_EQUAL(after.last_seq, before.last_seq);
	CU_ASSERT_EQUAL(hn_fixture_transition_at(fixture, 1, "standby", on_ms), UINT64_MAX);
	CU_ASSERT_EQUAL(hn_fixture_transition_at(fixture, 1, "active", on_ms), on_ms + 10000);
	CU_ASSERT_EQUAL(hn_fixture_log_count(fixture, 1, "sync"), sync_logs); /* no resync */
	CU_ASSERT(hn_fixture_check_writes(fixture) == 0);
	hn_defect_report(fixture);
	hn_fixture_free(fixture);
}

/* ---------------------------------------------------- lossy sync link */

/* 30 % loss on the sync link, a write every 50 ms for 20 s: every write is
 * answered within dead_time_ms + heartbeat_interval_ms (1200 ms): by the
 * standby's ACK, or - the write unacknowledged for dead_time_ms - alone,
 * once the standby confirmed it is outdated (the external link is clean). */
static int hn_lossy_run(uint64_t seed, uint64_t *latency_ms, char *failure, size_t failure_size)
{
	struct hn_fixture *fixture = hn_defect_fixture(HN_TIEBREAKER_PING, seed, 100, 350);
	uint32_t counter = 0;
	int result = -1;
	if (hn_fixture_power_on(fixture, 0) != 0 || hn_fixture_power_on(fixture, 1) != 0 ||
	    hn_fixture_run_for(fixture, 2000) != 0)
		goto cleanup;
	hn_fixture_set_drop_percent(fixture, HN_LINK_SYNC, 30);
	if (hn_defect_clients(fixture, 20000, 50, &counter) != 0)
		goto cleanup;
	hn_fixture_set_drop_percent(fixture, HN_LINK_SYNC, 0);
	if (hn_defect_clients(fixture, 3000, 50, &counter) != 0 ||
	    hn_fixture_check_writes(fixture) != 0)
		goto cleanup;
	*latency_ms = hn_fixture_write_latency_max_ms(fixture, hn_fixture_now_ms(fixture));
	result = hn_fixture_transition_at(fixture, 0, "standby", 2000) == UINT64_MAX ? 0 : -1;
cleanup:
	snprintf(failure, failure_size, "%s", result == 0 ? "" : hn_fixture_failure(fixture));
	hn_fixture_free(fixture);
	return result;
}

static void test_defect_lossy_sync_latency(void)
{
	const char *only = getenv("HN_LOSSY_SEED");
	uint64_t first = 1, last = 100, worst_ms = 0, worst_seed = 0;
	if (only != NULL)
		first = last = strtoull(only, NULL, 10);
	for (uint64_t seed = first; seed <= last; seed++) {
		char failure[HN_FIXTURE_FAILURE_MAX] = "";
		uint64_t latency_ms = 0;
		if (hn_lossy_run(seed, &latency_ms, failure, sizeof(failure)) != 0) {
			fprintf(stderr, "\n  seed %" PRIu64 " failed: %s\n", seed, failure);
			CU_FAIL("lossy sync run failed");
		}
		if (latency_ms > worst_ms) {
			worst_ms = latency_ms;
			worst_seed = seed;
		}
	}
	if (worst_ms > 1200)
		fprintf(stderr,
			"\n  a write waited %" PRIu64 " ms (seed %" PRIu64
			"); reproduce: HN_LOSSY_SEED=%" PRIu64 " build/tests/test_core defects\n",
			worst_ms, worst_seed, worst_seed);
	CU_ASSERT(worst_ms <= 1200);
}

/* A minute of a lossy sync link (30 % loss each way, 20 ms delay) under a
 * steady client, then the active loses power (the virtual backend's
 * finding lossy-sync-then-power-loss). Was: a run of lost heartbeats cut
 * the sync link while REPLICATEs and ACKs still passed, each loss forked a
 * generation and needed a full resync, and the standby chased the active's
 * moving last_seq ("marked this node outdated" again and again), so that
 * it was often outdated when the active died and nobody took over. Now:
 * the sync link lives while its data passes, a resync from the parent
 * generation is incremental, and an outdated peer that got a complete
 * batch is replicated to until it ACKs (catch-up). Measured: how long the
 * peer stays out of sync after each loss, and how many "marked outdated"
 * rounds the standby goes through. */
struct hn_lossy_outage {
	uint32_t losses;      /* "sync with node2 lost" */
	uint32_t marked;      /* "node1 marked this node outdated" */
	uint64_t worst_ms;    /* loss to "node2 in sync" */
	bool outdated_at_cut; /* the standby at the power loss */
	uint64_t takeover_ms; /* power loss to standby active, UINT64_MAX never */
	uint64_t repaired_ms; /* the cut sync link repaired */
	uint64_t resync_ms;   /* repair to "node2 in sync" */
};

static void hn_lossy_outage_measure(const struct hn_fixture *fixture, struct hn_lossy_outage *out)
{
	uint64_t lost_at_ms = UINT64_MAX;
	const struct hn_fixture_log *log;
	for (uint32_t nth = 0; (log = hn_fixture_log_find(fixture, 0, "sync", nth)) != NULL;
	     nth++) {
		if (strncmp(log->record.reason, "sync with node2 lost", 20) == 0) {
			out->losses++;
			lost_at_ms = log->at_ms;
		} else if (strncmp(log->record.reason, "node2 in sync", 13) == 0 &&
			   lost_at_ms != UINT64_MAX) {
			if (log->at_ms - lost_at_ms > out->worst_ms)
				out->worst_ms = log->at_ms - lost_at_ms;
			if (lost_at_ms < out->repaired_ms && log->at_ms > out->repaired_ms)
				out->resync_ms = log->at_ms - out->repaired_ms;
			lost_at_ms = UINT64_MAX;
		}
	}
	for (uint32_t nth = 0; (log = hn_fixture_log_find(fixture, 1, "sync", nth)) != NULL; nth++)
		out->marked += strcmp(log->record.reason, "node1 marked this node outdated") == 0;
}

static int hn_lossy_outage_run(uint64_t seed, struct hn_lossy_outage *out, char *failure,
			       size_t failure_size)
{
	struct hn_fixture *fixture = hn_defect_fixture(HN_TIEBREAKER_PING, seed, 100, 350);
	uint32_t counter = 0;
	int result = -1;
	memset(out, 0, sizeof(*out));
	if (hn_fixture_power_on(fixture, 0) != 0 || hn_fixture_power_on(fixture, 1) != 0 ||
	    hn_fixture_run_for(fixture, 2000) != 0)
		goto cleanup;
	hn_fixture_set_drop_percent(fixture, HN_LINK_SYNC, 30);
	hn_fixture_set_delay_ms(fixture, HN_LINK_SYNC, 20);
	/* a write every 50 ms to 400 keys (the store holds 1024); the sync
	 * link cut for 1.5 s after 20 s, so that sync is lost at least once */
	for (uint64_t end_ms = hn_fixture_now_ms(fixture) + 60000;
	     hn_fixture_now_ms(fixture) < end_ms;) {
		char key[32];
		uint64_t now_ms = hn_fixture_now_ms(fixture);
		if (now_ms == 22000 || now_ms == 23500)
			hn_fixture_partition(fixture, HN_LINK_SYNC, now_ms == 22000);
		if (now_ms == 23500)
			out->repaired_ms = now_ms;
		snprintf(key, sizeof(key), "k%u", counter++ % 400);
		if (hn_fixture_write(fixture, 0, key, "v", NULL) != 0 ||
		    hn_fixture_run_for(fixture, 50) != 0)
			goto cleanup;
	}
	struct hn_status status;
	hn_fixture_status(fixture, 1, &status);
	out->outdated_at_cut = status.outdated;
	uint64_t off_ms = hn_fixture_now_ms(fixture);
	hn_fixture_power_off(fixture, 0);
	if (hn_defect_clients(fixture, 3000, 50, &counter) != 0 ||
	    hn_fixture_check_writes(fixture) != 0)
		goto cleanup;
	uint64_t active_ms = hn_fixture_transition_at(fixture, 1, "active", off_ms);
	out->takeover_ms = active_ms == UINT64_MAX ? UINT64_MAX : active_ms - off_ms;
	hn_lossy_outage_measure(fixture, out);
	result = 0;
cleanup:
	snprintf(failure, failure_size, "%s", result == 0 ? "" : hn_fixture_failure(fixture));
	hn_fixture_free(fixture);
	return result;
}

/* Seeds 1..100 (measured: back in sync at most 2190 ms after the repair,
 * median 790; at most 4 "marked" rounds; takeover at most 1020 ms; was:
 * median 5.3 s, up to 38 s, and in 93 runs nobody active at the end). */
static void test_defect_lossy_sync_power_loss(void)
{
	const char *only = getenv("HN_LOSSY_SEED");
	uint64_t first = 1, last = 100;
	if (only != NULL)
		first = last = strtoull(only, NULL, 10);
	for (uint64_t seed = first; seed <= last; seed++) {
		char failure[HN_FIXTURE_FAILURE_MAX] = "";
		struct hn_lossy_outage out;
		bool ok = hn_lossy_outage_run(seed, &out, failure, sizeof(failure)) == 0;
		if (getenv("HN_LOSSY_VERBOSE") != NULL)
			fprintf(stderr,
				"\n  seed %" PRIu64 ": %u losses, %u marked, %" PRIu64
				" ms out of sync at most, in sync %" PRIu64
				" ms after the repair, outdated at the power loss: %d, "
				"takeover after %" PRIu64 " ms",
				seed, out.losses, out.marked, out.worst_ms, out.resync_ms,
				out.outdated_at_cut, out.takeover_ms);
		ok = ok && out.losses >= 1 && out.resync_ms > 0 && out.resync_ms <= 3000 &&
		     out.marked <= 5 && !out.outdated_at_cut && out.takeover_ms > 800 &&
		     out.takeover_ms <= 1500;
		if (!ok) {
			fprintf(stderr,
				"\n  seed %" PRIu64 " failed: %s; reproduce: HN_LOSSY_SEED=%" PRIu64
				" HN_LOSSY_VERBOSE=1 build/tests/test_core defects\n",
				seed, failure, seed);
			CU_FAIL("lossy sync link, then power loss");
		}
	}
}

/* ---------------------------------------------------------- switchover */

/* A write in flight when the switchover comes: it waits for the ACK and
 * hands over (was: refused "data is not in sync" at random). */
static void test_defect_switchover_waits(void)
{
	struct hn_fixture *fixture = hn_defect_fixture(HN_TIEBREAKER_NONE, 1, 100, 350);
	char reply[HN_REASON_MAX];
	uint64_t request_id;
	hn_defect_pair(fixture);
	CU_ASSERT(hn_fixture_write(fixture, 0, "k", "v", &request_id) == 0);
	CU_ASSERT_EQUAL(hn_fixture_write_answered(fixture, request_id), -1); /* in flight */
	CU_ASSERT_EQUAL(
	    hn_fixture_admin(fixture, 0, HN_ADMIN_SWITCHOVER, NULL, NULL, reply, sizeof(reply)),
	    2); /* answered later */
	uint64_t second;
	CU_ASSERT(hn_fixture_write(fixture, 0, "k2", "v", &second) == 0);
	CU_ASSERT_EQUAL(hn_fixture_write_answered(fixture, second), 0); /* switchover in progress */
	CU_ASSERT(hn_fixture_run_for(fixture, 100) == 0);
	CU_ASSERT_EQUAL(hn_fixture_write_answered(fixture, request_id), 1);
	CU_ASSERT_EQUAL(hn_defect_role(fixture, 0), HN_ROLE_STANDBY);
	CU_ASSERT_EQUAL(hn_defect_role(fixture, 1), HN_ROLE_ACTIVE);
	const struct hn_fixture_log *log = hn_fixture_log_find(fixture, 0, "admin", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_STRING_EQUAL(log->record.reason, "switchover: waiting for the writes in flight");
	CU_ASSERT(hn_fixture_check_writes(fixture) == 0);
	hn_defect_report(fixture);
	hn_fixture_free(fixture);
}

int hn_test_register_defects(void)
{
	static const struct hn_test_case cases[] = {
	    {"uplink dies, the active's verdict first", test_defect_uplink_dies_active_first},
	    {"uplink dies, the standby's verdict first", test_defect_uplink_dies_standby_first},
	    {"network failover within ping detection + interval",
	     test_defect_network_failover_bound},
	    {"one-way partition: hand over first", test_defect_one_way_partition},
	    {"failed actions, countdown N = 1, 2, 3, ...", test_defect_countdown},
	    {"replayed heartbeats after a restart", test_defect_replay_after_restart},
	    {"lossy sync link: write latency bound, seeds 1..100", test_defect_lossy_sync_latency},
	    {"switchover waits for a write in flight", test_defect_switchover_waits},
	    {"lossy sync link, then power loss, seeds 1..100", test_defect_lossy_sync_power_loss},
	    {NULL, NULL},
	};
	return hn_test_add_suite("defects", cases);
}
