/*
 * test_host.c - CUnit tests of the node's host (refimpl/host/host.h): start
 * gating, health rounds, the cluster IP, commands, durability, admin
 * answers, the packet counter. The fake platform and the two-node driver
 * are host_fake.c; failed actions, shutdown, boot nonces, notify-only
 * checks and the store's key bounds are test_host_failures.c.
 */
#include "host_fake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------- start gating */

/* The core starts only with the first verdict; the peer's packets before
 * it are decoded (status shows the peer) but not fed. */
static void test_start_waits_for_the_first_verdict(void)
{
	struct hn_host_config config1 = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_config config2 = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config1.ping_target_count = 1;
	struct fake *node1 = test_node(0, &config1), *node2 = test_node(1, &config2);
	test_start(node2->host, 0);
	test_start(node1->host, 0);
	CU_ASSERT_EQUAL(fake_count(node2, "log start"), 1); /* no check: at once */
	CU_ASSERT_EQUAL(fake_count(node1, "log start"), 0);
	CU_ASSERT_STRING_EQUAL(fake_line(node1, "ping", 0), "ping 0 seq 8@0");
	/* A carrier change before the start is only noted. */
	hn_host_carrier(node1->host, HN_LINK_EXTERNAL, false, 30);
	run_until(50);
	test_status(node1, &status);
	CU_ASSERT_FALSE(status.started);
	CU_ASSERT_TRUE(status.peer_heard);	/* decoded ... */
	CU_ASSERT_FALSE(status.core.peer_seen); /* ... not fed */
	CU_ASSERT_EQUAL(status.health_rounds, 0);
	CU_ASSERT_EQUAL(fake_count(node1, "log"), 0);
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node1->host), 100); /* the resend */
	/* Admin before the start is refused at once, not left to time out. */
	hn_host_admin(node1->host, 4, HN_ADMIN_SWITCHOVER, "", "", 50);
	CU_ASSERT_STRING_EQUAL(node1->last_admin_reply,
			       "refused not started yet: waiting for the first health verdict");
	/* The verdict: HEALTH, START, then the carriers as last reported. */
	test_now_ms = 60;
	hn_host_ping_reply(node1->host, 8, 60);
	test_status(node1, &status);
	CU_ASSERT_TRUE(status.started);
	CU_ASSERT_EQUAL(status.core.health.ping_reachable, 1);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	int start = fake_find(node1, "log", 0);
	CU_ASSERT_STRING_EQUAL(node1->calls[start],
			       "log start starting->starting role standby: node1 starting, waiting "
			       "up to 500 ms for the peer@60");
	CU_ASSERT_EQUAL(fake_find(node1, "log health", 0), fake_find(node1, "log", 1));
	CU_ASSERT_STRING_EQUAL(fake_line(node1, "log health", 0),
			       "log health starting->starting role standby: carrier of the "
			       "external link is down@60");
	CU_ASSERT_FALSE(status.core.link_carrier[HN_LINK_EXTERNAL]);
	CU_ASSERT_TRUE(status.core.link_carrier[HN_LINK_SYNC]);
	/* node2's next heartbeat is fed: node1 wins the tie (lower id). */
	run_until(300);
	test_status(node1, &status);
	CU_ASSERT_TRUE(status.core.peer_seen);
	CU_ASSERT_STRING_EQUAL(test_display(node1), "active");
	CU_ASSERT_STRING_EQUAL(test_display(node2), "standby");
}

/* A remembered maintenance comes back at the start; its answer goes nowhere. */
static void test_remembered_maintenance(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	hn_host_restore_maintenance(node->host, true);
	test_start(node->host, 0);
	run_until(2000);
	CU_ASSERT_STRING_EQUAL(test_display(node), "maintenance");
	CU_ASSERT_EQUAL(fake_count(node, "admin_reply"), 0);
	CU_ASSERT_EQUAL(fake_count(node, "maintenance"), 0); /* not written again */
	CU_ASSERT_EQUAL(fake_count(node, "ip add"), 0);
}

/* ------------------------------------------------------------ health rounds */

/* Every target answers: the round ends at the last answer, not at its timeout. */
static void test_round_answered(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config.ping_target_count = 2;
	config.raid_check = config.services_check = true;
	struct fake *node = test_node(0, &config);
	node->raid_mode = 0;
	node->services_mode = 1;
	test_start(node->host, 0);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping", 0), "ping 0 seq 8@0");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping", 1), "ping 1 seq 9@0");
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node->host), 100); /* first resend */
	test_now_ms = 20;
	hn_host_ping_reply(node->host, 9, 20);
	hn_host_ping_reply(node->host, 9, 20); /* a duplicate changes nothing */
	test_now_ms = 40;
	hn_host_ping_reply(node->host, 8, 40);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_EQUAL(status.ping_reachable, 2);
	CU_ASSERT_EQUAL(status.ping_total, 2);
	CU_ASSERT_TRUE(status.raid_ok);
	CU_ASSERT_FALSE(status.services_ok);
	CU_ASSERT_STRING_EQUAL(status.raid_reason, "fake raid ok");
	CU_ASSERT_STRING_EQUAL(status.services_reason, "fake services failed");
	CU_ASSERT_EQUAL(fake_count(node, "ping"), 2); /* no resend */
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node->host) <= 1000, true);
}

/* A silent target is asked again every timeout / attempts ms (only it), and
 * the round ends at its timeout with what answered. */
static void test_round_timed_out_with_resends(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config.ping_target_count = 2;
	struct fake *node = test_node(0, &config);
	test_start(node->host, 0);
	test_now_ms = 10;
	hn_host_ping_reply(node->host, 8, 10);
	run_until(299);
	CU_ASSERT_EQUAL(fake_count(node, "ping 0"), 1);
	CU_ASSERT_EQUAL(fake_count(node, "ping 1"), 3);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 1", 1), "ping 1 seq 9@100");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 1", 2), "ping 1 seq 9@200");
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 0);
	run_until(300);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_EQUAL(status.core.health.ping_reachable, 1);
	CU_ASSERT_EQUAL(status.core.health.ping_total, 2);
	/* The next round at 1000 numbers its echoes anew. */
	run_until(1000);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 0", 1), "ping 0 seq 16@1000");
}

/* The external carrier coming back during a round asks the silent targets
 * again at once and gives them a full timeout from then: the echoes sent
 * while it was down went nowhere (native external-switches-lost-together
 * under load: a round of the active whose echoes all went out during a
 * short outage of both switches failed after it ended, and the active
 * handed over). No round is started or cut for it (179cbe2). */
static void test_round_carrier_back(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config.ping_target_count = 1;
	struct fake *node = test_node(0, &config);
	test_start(node->host, 0);
	test_now_ms = 20;
	hn_host_carrier(node->host, HN_LINK_EXTERNAL, false, 20);
	run_until(250); /* the echoes of 0, 100, 200 went nowhere */
	CU_ASSERT_EQUAL(fake_count(node, "ping 0"), 3);
	test_now_ms = 250;
	hn_host_carrier(node->host, HN_LINK_EXTERNAL, true, 250);
	CU_ASSERT_EQUAL(fake_count(node, "ping 0"), 4);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 0", 3), "ping 0 seq 8@250");
	test_now_ms = 251;
	hn_host_carrier(node->host, HN_LINK_EXTERNAL, true, 251); /* no change: nothing */
	CU_ASSERT_EQUAL(fake_count(node, "ping 0"), 4);
	run_until(300); /* the old timeout passes: the round goes on */
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 0);
	test_now_ms = 310;
	hn_host_ping_reply(node->host, 8, 310);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_EQUAL(status.ping_reachable, 1);

	/* A target still silent: asked every timeout / attempts ms from the
	 * carrier's return, the round ends a full timeout after it. */
	run_until(1020); /* round 2 from 1000 */
	hn_host_carrier(node->host, HN_LINK_EXTERNAL, false, 1020);
	run_until(1260);
	hn_host_carrier(node->host, HN_LINK_EXTERNAL, true, 1260);
	run_until(1559);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 0", 4), "ping 0 seq 16@1000");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 0", 7), "ping 0 seq 16@1260");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 0", 8), "ping 0 seq 16@1360");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ping 0", 9), "ping 0 seq 16@1460");
	CU_ASSERT_EQUAL(fake_count(node, "ping 0"), 10);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	run_until(1560);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 2);
	CU_ASSERT_EQUAL(status.ping_reachable, 0);
	/* a carrier back after the round ended asks nothing */
	hn_host_carrier(node->host, HN_LINK_EXTERNAL, false, 1600);
	hn_host_carrier(node->host, HN_LINK_EXTERNAL, true, 1700);
	CU_ASSERT_EQUAL(fake_count(node, "ping 0"), 10);
}

/* The same for an unanswered probe of the cluster IP (ping tie-breaker): a
 * probe sent while the carrier was down found nobody, which says nothing. */
static void test_round_carrier_back_probe(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_PING);
	struct hn_host_status status;
	config.ping_target_count = 1;
	config.cluster_ip_probe = true;
	struct fake *node = test_node(0, &config);
	test_start(node->host, 0);
	test_now_ms = 5;
	hn_host_ping_reply(node->host, 8, 5); /* the ping part is over */
	hn_host_carrier(node->host, HN_LINK_EXTERNAL, false, 5);
	run_until(250);
	CU_ASSERT_EQUAL(fake_count(node, "probe"), 3); /* 0, 100, 200 */
	hn_host_carrier(node->host, HN_LINK_EXTERNAL, true, 250);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "probe", 3), "probe@250");
	CU_ASSERT_EQUAL(fake_count(node, "ping 0"), 1); /* the target answered: not asked */
	run_until(549);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 0);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "probe", 4), "probe@350");
	run_until(550);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_EQUAL(status.ping_reachable, 1);
}

/* A round still running when the next is due ends with what it has: the
 * hanging command is killed and failed, the silent target unreachable; its
 * verdict comes before the new round starts. Late answers of the old round
 * (its command's end, an echo reply with its sequence) are ignored. */
static void test_round_ended_by_the_next(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config.ping_target_count = 1;
	config.services_check = true;
	config.health_interval_ms = 200;
	config.ping_timeout_ms = 150;
	struct fake *node = test_node(0, &config);
	node->services_mode = 2;
	test_start(node->host, 0);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "check services", 0), "check services id 1@0");
	run_until(199);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 0);
	run_until(200);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_FALSE(status.services_ok);
	CU_ASSERT_STRING_EQUAL(status.services_reason,
			       "services command still running when the next round was due");
	CU_ASSERT_EQUAL(status.ping_reachable, 0);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "kill", 0), "kill 1@200");
	/* The kill comes before the new round's check. */
	CU_ASSERT(fake_find(node, "kill 1", 0) < fake_find(node, "check services id 2", 0));
	CU_ASSERT(fake_find(node, "log start", 0) < fake_find(node, "check services id 2", 0));
	/* The killed command's end and round 1's echo reply change nothing. */
	test_now_ms = 210;
	hn_host_command_done(node->host, 1, 128 + 9, true, 210);
	hn_host_ping_reply(node->host, 8, 210);
	hn_host_command_done(node->host, 2, 0, false, 220);
	run_until(350);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 2);
	CU_ASSERT_EQUAL(status.ping_reachable, 0);
	CU_ASSERT_TRUE(status.services_ok);
	CU_ASSERT_STRING_EQUAL(status.services_reason, "services command ok");
}

static void test_round_command_verdicts(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	config.raid_check = config.services_check = true;
	struct fake *node = test_node(0, &config);
	node->raid_mode = node->services_mode = 2;
	test_start(node->host, 0);
	hn_host_command_done(node->host, 1, 3, false, 10);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 0);
	hn_host_command_done(node->host, 2, 0, true, 20);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_STRING_EQUAL(status.raid_reason, "RAID command exited with status 3");
	CU_ASSERT_STRING_EQUAL(status.services_reason, "services command timed out");
	CU_ASSERT_FALSE(status.core.health.raid_ok);
	CU_ASSERT_FALSE(status.core.health.services_ok);
}

/* Under the ping tie-breaker a round probes the cluster IP every interval
 * until someone else answers. */
static void test_round_probe(void)
{
	struct hn_host_config config = test_config(1, HN_TIEBREAKER_PING);
	struct hn_host_status status;
	config.ping_target_count = 1;
	config.cluster_ip_probe = true;
	struct fake *node = test_node(0, &config);
	test_start(node->host, 0);
	test_now_ms = 5;
	hn_host_ping_reply(node->host, 8, 5);
	run_until(250);
	CU_ASSERT_EQUAL(fake_count(node, "probe"), 3);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "probe", 2), "probe@200");
	hn_host_probe_answered(node->host, 250);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 1);
	CU_ASSERT_TRUE(status.cluster_ip_answered);
	/* Round 2 finds nobody: answered false at its timeout. */
	hn_host_probe_answered(node->host, 500); /* between rounds: ignored */
	run_until(1005);
	hn_host_ping_reply(node->host, 16, 1005);
	run_until(1300);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.health_rounds, 2);
	CU_ASSERT_FALSE(status.cluster_ip_answered);
}

/* -------------------------------------------------------- the cluster IP */

static void test_garp_schedule(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	test_start(node->host, 0);
	run_until(499);
	CU_ASSERT_EQUAL(fake_count(node, "ip add"), 0);
	run_until(650);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ip add", 0), "ip add@500");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "garp", 0), "garp@500");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "garp", 1), "garp@600");
	CU_ASSERT(fake_find(node, "ip add", 0) < fake_find(node, "command services_start", 0));
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node->host) <= 700, true);
	run_until(2000);
	CU_ASSERT_EQUAL(fake_count(node, "garp"), 3);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "garp", 2), "garp@700");
	/* Taken again: a new burst; dropped within it: the rest is cancelled. */
	hn_host_admin(node->host, 1, HN_ADMIN_MAINTENANCE_ON, "", "", 2000);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ip remove", 0), "ip remove@2000");
	hn_host_admin(node->host, 2, HN_ADMIN_MAINTENANCE_OFF, "", "", 2000);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ip add", 1), "ip add@2000");
	test_now_ms = 2050;
	hn_host_admin(node->host, 3, HN_ADMIN_MAINTENANCE_ON, "", "", 2050);
	run_until(3000);
	CU_ASSERT_EQUAL(fake_count(node, "garp"), 4);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "garp", 3), "garp@2000");
}

/* A failed IP add goes to the core: the node goes to fault (logged with
 * what failed, notified), the rest of its step (services) is carried out
 * and undone by the fault, and there is no IP to remove. */
static void test_cluster_ip_failure(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	struct fake *node = test_node(1, &config);
	node->fail_ip = true;
	test_start(node->host, 0);
	run_until(600);
	test_status(node, &status);
	CU_ASSERT_FALSE(status.ip_held);
	CU_ASSERT_EQUAL(fake_count(node, "garp"), 0);
	CU_ASSERT_EQUAL(fake_count(node, "ip remove"), 0);
	CU_ASSERT_EQUAL(status.actions_failed[HN_FAILURE_CLUSTER_IP], 1);
	CU_ASSERT_STRING_EQUAL(test_display(node), "fault");
	int fault = fake_find(node,
			      "log transition active->fault role standby: cluster IP could not be "
			      "added: fake: cluster IP: Operation not permitted@500",
			      0);
	CU_ASSERT(fault > fake_find(node, "command services_start", 0));
	CU_ASSERT(fault > fake_find(node, "command services_stop", 0));
	CU_ASSERT(fake_find(node, "command notify HANODE_EVENT=fault", 0) > fault);
	CU_ASSERT_EQUAL(fake_count(node, "log health"), 0);
}

/* A cluster IP left behind by a crash is removed once before the start,
 * quietly when the platform has none to remove; never after the start, and
 * not at all without a cluster IP (hanode and the virtual backend both
 * call it: sim/tests/findings/README.md, S1). */
static void test_leftover_ip_released(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	node->fail_ip = true; /* "no such address" */
	hn_host_release_leftover_ip(node->host);
	CU_ASSERT_EQUAL(fake_count(node, "ip remove"), 1);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ip remove", 0), "ip remove@0");
	CU_ASSERT_EQUAL(fake_count(node, "log"), 0);
	node->fail_ip = false;
	test_start(node->host, 0);
	hn_host_release_leftover_ip(node->host);
	CU_ASSERT_EQUAL(fake_count(node, "ip remove"), 1);
	config.has_cluster_ip = false;
	node = test_node(1, &config);
	hn_host_release_leftover_ip(node->host);
	CU_ASSERT_EQUAL(fake_count(node, "ip"), 0);
}

/* -------------------------------------------------------------- commands */

/* A fence command that cannot start is a failed fence: FENCE_RESULT false,
 * fed after the step that asked for it. */
static void test_fence_command_failure(void)
{
	test_form_pair(HN_TIEBREAKER_FENCE);
	struct fake *node2 = &fakes[1];
	node2->fail_fence = true;
	fakes[0].cut = true;
	run_until(3000);
	int fence = fake_find(node2, "command fence", 0);
	CU_ASSERT(fence >= 0);
	CU_ASSERT(strstr(fake_line(node2, "command fence", 0),
			 " HANODE_PEER=node1 HANODE_PEER_ID=1@") != NULL);
	int failed = fake_find(node2, "log health -> role standby: fake: fence command", 0);
	CU_ASSERT(failed > fence);
	int result = -1;
	for (size_t nth = 0; fake_find(node2, "log fence", nth) >= 0 && result < 0; nth++)
		if (strstr(fake_line(node2, "log fence", nth), "failed"))
			result = fake_find(node2, "log fence", nth);
	CU_ASSERT(result > failed);
	CU_ASSERT_STRING_EQUAL(test_display(node2), "standby");
	CU_ASSERT_EQUAL(fake_count(node2, "ip add"), 0);
}

/* The notify hook gets the event as JSON on stdin, its name in the environment. */
static void test_notify_input(void)
{
	test_form_pair(HN_TIEBREAKER_NONE);
	fakes[0].cut = true;
	run_until(3000);
	const char *notify = fake_line(&fakes[1], "command notify HANODE_EVENT=failover", 0);
	CU_ASSERT(strstr(notify,
			 "command notify HANODE_EVENT=failover stdin "
			 "{\"event\":\"failover\",\"node\":\"node2\",\"text\":\"") == notify);
	CU_ASSERT(strstr(notify, "\"mono_ms\":") != NULL);
	CU_ASSERT(strstr(notify, "\"wall_ms\":17000000") != NULL);
	CU_ASSERT_STRING_EQUAL(test_display(&fakes[1]), "active");
}

/* ------------------------------------------------------------ durability */

/* A write is durable on both nodes before the client hears OK: the
 * active's persist, the standby's persist before its ack, then the answer. */
static void test_put_answered_later_after_persist(void)
{
	char answer[64];
	test_form_pair(HN_TIEBREAKER_NONE);
	struct fake *node2 = &fakes[0], *node1 = &fakes[1]; /* active, standby */
	run_until(2000);
	CU_ASSERT_EQUAL(
	    hn_host_client_put(node2->host, 7, "k1", "v1", 2000, answer, sizeof(answer)), 1);
	int persisted = fake_find(node2, "persist k1=v1", 0);
	CU_ASSERT(persisted >= 0);
	CU_ASSERT_EQUAL(fake_count(node2, "client_reply"), 0);
	run_until(2050);
	int standby_persist = fake_find(node1, "persist k1=v1", 0);
	int standby_ack = fake_find(node1, "send data kind 2 seq 1", 0); /* HN_DATA_ACK */
	CU_ASSERT(standby_persist >= 0);
	CU_ASSERT(standby_ack > standby_persist);
	CU_ASSERT(fake_find(node2, "client_reply 7 OK", 0) > persisted);
	CU_ASSERT(strncmp(node2->last_client_reply, "OK ", 3) == 0);
	/* GET is local on the active; a standby refuses both. */
	hn_host_client_get(node2->host, "k1", answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "VALUE v1");
	hn_host_client_get(node2->host, "k2", answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "NOTFOUND");
	hn_host_client_get(node1->host, "k1", answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "ERR standby");
	CU_ASSERT_EQUAL(hn_host_client_put(node1->host, 8, "k", "v", 2050, answer, sizeof(answer)),
			0);
	CU_ASSERT_STRING_EQUAL(answer, "ERR standby");
}

/* Alone, the active answers in the step itself, after the persist. */
static void test_put_answered_now(void)
{
	char answer[64];
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	test_start(node->host, 0);
	run_until(1000);
	CU_ASSERT_EQUAL(hn_host_client_put(node->host, 3, "a", "b", 1000, answer, sizeof(answer)),
			0);
	CU_ASSERT_STRING_EQUAL(answer, "OK 1");
	CU_ASSERT_STRING_EQUAL(fake_line(node, "persist", 0), "persist a=b seq 1@1000");
	CU_ASSERT_EQUAL(fake_count(node, "client_reply"), 0); /* given back, not sent */
	/* Refused before the core: settings, bad keys and values. */
	CU_ASSERT_EQUAL(
	    hn_host_client_put(node->host, 4, "setting/ntp", "x", 1000, answer, sizeof(answer)), 0);
	CU_ASSERT_STRING_EQUAL(answer,
			       "ERR setting/ keys are the operator's: use hactl setting set");
	hn_host_client_put(node->host, 5, "b@d", "x", 1000, answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "ERR bad key (1..63 of [A-Za-z0-9_./-])");
	hn_host_client_put(node->host, 6, "k", "tab\there", 1000, answer, sizeof(answer));
	CU_ASSERT_STRING_EQUAL(answer, "ERR bad value (1..255 printable bytes)");
	CU_ASSERT_EQUAL(fake_count(node, "persist"), 1);
	/* A failed store write: the client hears it failed, the node goes to
	 * fault naming what failed. */
	node->fail_persist = true;
	CU_ASSERT_EQUAL(hn_host_client_put(node->host, 9, "c", "d", 1000, answer, sizeof(answer)),
			0);
	CU_ASSERT_STRING_EQUAL(answer, "ERR storage failed: fake: store.log: No space left on "
				       "device");
	/* The core hears of it at the next entry point, before anything else. */
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node->host), 1000);
	hn_host_tick(node->host, 1000);
	CU_ASSERT(fake_find(node,
			    "log transition active->fault role standby: storage failed: fake: "
			    "store.log: No space left on device@1000",
			    0) > fake_find(node, "persist c=d", 0));
}

/* The generation file follows the core: written in the step that changed
 * it, not again while it stays. */
static void test_generation_written_after_a_step(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct fake *node = test_node(1, &config);
	struct hn_generation restored = {.id = 5, .parent = 0, .fork_seq = 0};
	hn_host_restore_generation(node->host, &restored, false);
	test_start(node->host, 0);
	run_until(499);
	CU_ASSERT_EQUAL(fake_count(node, "generation"), 0);
	run_until(3000);
	CU_ASSERT_EQUAL(fake_count(node, "generation"), 1);
	const char *line = fake_line(node, "generation", 0);
	CU_ASSERT(strstr(line, " outdated 0@500") != NULL);
	CU_ASSERT(strncmp(line, "generation 5 ", 13) != 0); /* a new generation */
	/* In the step of the takeover: before the services start of the next action list. */
	CU_ASSERT(fake_find(node, "generation", 0) > fake_find(node, "ip add", 0));
}

/* The operator's maintenance is remembered when the core accepts it; the
 * hand-over of a stop is not. */
static void test_maintenance_mark_and_stop(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	struct fake *node = test_node(1, &config);
	test_start(node->host, 0);
	run_until(1000);
	hn_host_admin(node->host, 11, HN_ADMIN_MAINTENANCE_ON, "", "", 1000);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "maintenance", 0), "maintenance on@1000");
	CU_ASSERT(fake_find(node, "admin_reply 11 ok", 0) > fake_find(node, "maintenance on", 0));
	hn_host_admin(node->host, 12, HN_ADMIN_MAINTENANCE_OFF, "", "", 1000);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "maintenance", 1), "maintenance off@1000");
	run_until(2000);
	CU_ASSERT_STRING_EQUAL(test_display(node), "active");
	size_t marks = fake_count(node, "maintenance");
	test_now_ms = 2000;
	hn_host_stop(node->host, "hanode stopped by SIGTERM", 2000);
	CU_ASSERT_EQUAL(fake_count(node, "maintenance"), marks);
	CU_ASSERT_STRING_EQUAL(fake_line(node, "ip remove", 1), "ip remove@2000");
	CU_ASSERT(fake_find(node, "command services_stop", 1) >= 0);
	int stop = fake_find(node, "log stop", 0);
	CU_ASSERT_EQUAL(stop, (int)node->call_count - 1);
	CU_ASSERT_STRING_EQUAL(node->calls[stop],
			       "log stop -> role standby: hanode stopped by SIGTERM@2000");
	test_status(node, &status);
	CU_ASSERT_FALSE(status.ip_held);
	CU_ASSERT_EQUAL(hn_host_next_deadline_ms(node->host), UINT64_MAX);
}

/* ----------------------------------------------------------------- admin */

static void test_admin_replies(void)
{
	test_form_pair(HN_TIEBREAKER_NONE);
	struct fake *node1 = &fakes[1], *node2 = &fakes[0]; /* standby, active */
	run_until(2000);
	hn_host_admin(node1->host, 21, HN_ADMIN_SETTING_SET, "ntp", "192.0.2.1", 2000);
	CU_ASSERT(strstr(node1->last_admin_reply, "refused ") == node1->last_admin_reply);
	CU_ASSERT(strstr(node1->last_admin_reply, "locked") != NULL);
	hn_host_admin(node2->host, 22, HN_ADMIN_SETTING_SET, "ntp", "192.0.2.1", 2000);
	CU_ASSERT_EQUAL(fake_count(node2, "admin_reply 22"), 0); /* waits for the standby */
	run_until(2100);
	CU_ASSERT_STRING_EQUAL(node2->last_admin_reply, "ok setting saved on both nodes (seq 1)");
	char long_key[HN_KEY_MAX + 8];
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	hn_host_admin(node2->host, 23, HN_ADMIN_SETTING_SET, long_key, "x", 2100);
	CU_ASSERT_STRING_EQUAL(node2->last_admin_reply, "refused setting: key or value too long");
	hn_host_admin(node2->host, 24, HN_ADMIN_SWITCHOVER, "", "", 2100);
	CU_ASSERT(strncmp(node2->last_admin_reply, "ok ", 3) == 0);
	run_until(3000);
	CU_ASSERT_STRING_EQUAL(test_display(node1), "active");
	CU_ASSERT_STRING_EQUAL(test_display(node2), "standby");
}

/* --------------------------------------------------------- packet counter */

static void test_packet_counter_reserved(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	struct fake *node = test_node(1, &config);
	node->fail_reserve = true;
	test_start(node->host, 0);
	run_until(450);
	test_status(node, &status);
	CU_ASSERT_EQUAL(status.packets_sent[HN_LINK_SYNC], 0);
	CU_ASSERT(status.send_errors > 0);
	CU_ASSERT_EQUAL(status.packet_seq_next, 1000);
	CU_ASSERT_EQUAL(fake_count(node, "log health -> role standby: packet counter not reserved"),
			1);
	node->fail_reserve = false;
	run_until(1000);
	test_status(node, &status);
	CU_ASSERT(status.packets_sent[HN_LINK_SYNC] > 0);
	CU_ASSERT_EQUAL(status.packet_seq_limit, 1000 + HN_HOST_PACKET_SEQ_BLOCK);
	CU_ASSERT_EQUAL(fake_count(node, "reserve 1049576"), fake_count(node, "reserve"));
	CU_ASSERT_EQUAL(fake_count(node, "reserve 1049576 failed"),
			fake_count(node, "reserve") - 1);
	CU_ASSERT_EQUAL(status.packet_seq_next, 1000 + status.packets_sent[HN_LINK_SYNC] +
						    status.packets_sent[HN_LINK_EXTERNAL]);
}

/* A link this node does not have gets nothing; an invalid setup is refused. */
static void test_absent_link_and_bad_config(void)
{
	struct hn_host_config config = test_config(2, HN_TIEBREAKER_NONE);
	struct hn_host_status status;
	char error[HN_HOST_ERROR_MAX];
	config.link_absent[HN_LINK_EXTERNAL] = true;
	struct fake *node = test_node(1, &config);
	test_start(node->host, 0);
	run_until(1000);
	test_status(node, &status);
	CU_ASSERT(status.packets_sent[HN_LINK_SYNC] > 0);
	CU_ASSERT_EQUAL(status.packets_sent[HN_LINK_EXTERNAL], 0);
	CU_ASSERT_EQUAL(status.send_errors, 0);
	struct hn_host_platform platform = test_platform(node);
	platform.ping = NULL;
	config.ping_target_count = 1;
	struct hn_host *other = calloc(1, hn_host_size());
	CU_ASSERT_EQUAL(hn_host_init(other, &config, test_key, &platform, 1, error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "hn_host_init: the platform lacks ping (ping targets)");
	config.ping_target_count = 9;
	CU_ASSERT_EQUAL(hn_host_init(other, &config, test_key, &platform, 1, error, sizeof(error)),
			-1);
	CU_ASSERT_STRING_EQUAL(error, "hn_host_init: 9 ping targets, at most 8");
	free(other);
}

/* ------------------------------------------------------------------ main */

int main(void)
{
	static const struct hn_test_case cases[] = {
	    {"start waits for the first verdict", test_start_waits_for_the_first_verdict},
	    {"remembered maintenance", test_remembered_maintenance},
	    {"round answered", test_round_answered},
	    {"round timed out with resends", test_round_timed_out_with_resends},
	    {"round ended by the next", test_round_ended_by_the_next},
	    {"round command verdicts", test_round_command_verdicts},
	    {"round probe", test_round_probe},
	    {"garp schedule", test_garp_schedule},
	    {"round: external carrier back", test_round_carrier_back},
	    {"round: external carrier back, probe", test_round_carrier_back_probe},
	    {"cluster IP failure", test_cluster_ip_failure},
	    {"leftover IP released", test_leftover_ip_released},
	    {"fence command failure", test_fence_command_failure},
	    {"notify input", test_notify_input},
	    {"put answered later after persist", test_put_answered_later_after_persist},
	    {"put answered now", test_put_answered_now},
	    {"generation written after a step", test_generation_written_after_a_step},
	    {"maintenance mark and stop", test_maintenance_mark_and_stop},
	    {"admin replies", test_admin_replies},
	    {"packet counter reserved", test_packet_counter_reserved},
	    {"absent link and bad config", test_absent_link_and_bad_config},
	    {NULL, NULL},
	};
	if (sodium_init() < 0)
		return 1;
	return hn_test_run_suite("host", cases, test_setup_nodes, test_teardown_nodes);
}
