/*
 * test_store.c - CUnit suite "store": the replicated store of one core
 * driven by hand (the test plays the peer's data messages and heartbeats).
 *
 * Covers synchronous replication (a write is answered only after the ACK),
 * PERSIST before ACK on the standby, retransmission at exact times, the
 * bound on held writes, loss of the peer or of the sync link (answers, new
 * generation, peer outdated), incremental and full resync in batches that
 * fit a packet, generations, split-brain verdicts with lost-write counts, and
 * restoring persisted data.
 */
#include "test_main.h"

#include <stdio.h>
#include <string.h>

/* node1 active since 200 (tie won one interval after seeing node2 at 0),
 * node2 in sync per its heartbeat at 200: the peer is dead at 1200. */
static void hn_make_replicating(struct hn_test_node *test)
{
	struct hn_heartbeat peer;
	struct hn_status status;
	hn_test_node_create(test, 1, HN_TIEBREAKER_NONE);
	hn_test_start(test, 0);
	hn_test_peer_heartbeat(&peer, 2, HN_ROLE_STANDBY, HN_STATE_NORMAL);
	hn_test_heartbeat_both(test, &peer, 0);
	hn_test_run_until(test, 200);
	hn_test_status(test, &status);
	peer.generation = status.generation;
	hn_test_heartbeat_both(test, &peer, 200);
	hn_test_status(test, &status);
	CU_ASSERT_EQUAL(status.role, HN_ROLE_ACTIVE);
	CU_ASSERT(status.in_sync);
}

static struct hn_data_message hn_ack(const struct hn_test_node *test, uint64_t seq)
{
	struct hn_status status;
	struct hn_data_message ack = {.kind = HN_DATA_ACK, .sender_id = 2, .seq = seq};
	hn_node_status(test->node, test->now_ms, &status);
	ack.generation = status.generation;
	return ack;
}

static void test_store_replication(void)
{
	struct hn_test_node test;
	hn_make_replicating(&test);
	hn_test_write(&test, 41, "alpha", "one", 300);
	static const enum hn_action_kind expected[] = {HN_ACTION_PERSIST, HN_ACTION_SEND_DATA};
	CU_ASSERT_EQUAL_FATAL(test.actions.count, 2);
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(test.actions.items[i].kind, expected[i]);
	CU_ASSERT_STRING_EQUAL(test.actions.items[0].u.entry.key, "alpha");
	CU_ASSERT_EQUAL(test.actions.items[0].u.entry.seq, 1);
	const struct hn_data_message *replicate = &test.actions.items[1].u.data;
	CU_ASSERT_EQUAL(test.actions.items[1].link, HN_LINK_SYNC);
	CU_ASSERT_EQUAL(replicate->kind, HN_DATA_REPLICATE);
	CU_ASSERT_EQUAL(replicate->seq, 1);
	CU_ASSERT_EQUAL(replicate->base_seq, 0);
	CU_ASSERT_EQUAL(replicate->entry_count, 1);
	CU_ASSERT_STRING_EQUAL(replicate->entries[0].value, "one");
	hn_test_write(&test, 42, "beta", "two", 310);
	CU_ASSERT_EQUAL(hn_test_find_data(&test.actions, 0)->base_seq, 1);
	/* a cumulative ACK answers both, in order */
	struct hn_data_message ack = hn_ack(&test, 2);
	hn_test_data(&test, &ack, 320);
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_CLIENT_REPLY), 2);
	const struct hn_action *first =
	    &test.actions.items[hn_test_find(&test.actions, HN_ACTION_CLIENT_REPLY, 0)];
	CU_ASSERT(first->u.reply.ok);
	CU_ASSERT_EQUAL(first->u.reply.request_id, 41);
	CU_ASSERT_STRING_EQUAL(first->u.reply.text, "1");
	CU_ASSERT_STRING_EQUAL(hn_node_get(test.node, "beta")->value, "two");
	/* an ACK of another generation is ignored */
	hn_test_write(&test, 43, "gamma", "three", 330);
	ack = hn_ack(&test, 3);
	ack.generation.id = 99;
	hn_test_data(&test, &ack, 331);
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_CLIENT_REPLY), 0);
	hn_test_node_free(&test);
}

/* Unacknowledged REPLICATEs are re-sent every retransmit_ms, exactly. */
static void test_store_retransmission(void)
{
	struct hn_test_node test;
	hn_make_replicating(&test);
	hn_test_write(&test, 1, "k", "v", 350);
	CU_ASSERT_EQUAL(hn_node_next_deadline_ms(test.node), 400); /* heartbeat first */
	hn_test_tick(&test, 400);
	CU_ASSERT_EQUAL(hn_node_next_deadline_ms(test.node), 450);
	hn_test_tick(&test, 449);
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_SEND_DATA), 0);
	hn_test_tick(&test, 450);
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_SEND_DATA), 1);
	CU_ASSERT_EQUAL(hn_test_find_data(&test.actions, 0)->seq, 1);
	CU_ASSERT_EQUAL(hn_node_next_deadline_ms(test.node), 550);
	struct hn_data_message ack = hn_ack(&test, 1);
	hn_test_data(&test, &ack, 460);
	CU_ASSERT_EQUAL(hn_node_next_deadline_ms(test.node), 600); /* nothing to re-send */
	hn_test_node_free(&test);
}

/* At most HN_PENDING_WRITES_MAX writes wait for the peer. */
static void test_store_pending_bound(void)
{
	struct hn_test_node test;
	char key[16];
	hn_make_replicating(&test);
	for (int i = 0; i < HN_PENDING_WRITES_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		hn_test_write(&test, (uint64_t)i, key, "v", 300);
		CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_CLIENT_REPLY), 0);
	}
	hn_test_write(&test, 999, "overflow", "v", 300);
	const struct hn_action *reply = hn_test_find_reply(&test.actions, HN_ACTION_CLIENT_REPLY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reply);
	CU_ASSERT_FALSE(reply->u.reply.ok);
	CU_ASSERT_STRING_EQUAL(reply->u.reply.text, "too many writes waiting for the peer");
	CU_ASSERT_PTR_NULL(hn_node_get(test.node, "overflow"));
	/* the peer dies: 64 answers do not fit one step; they spill over */
	hn_test_tick(&test, 1199);
	hn_test_tick(&test, 1200);
	size_t answered = hn_test_count(&test.actions, HN_ACTION_CLIENT_REPLY);
	CU_ASSERT(answered > 0 && answered < HN_PENDING_WRITES_MAX);
	CU_ASSERT_EQUAL(hn_node_next_deadline_ms(test.node), 1200);
	hn_test_tick(&test, 1200);
	answered += hn_test_count(&test.actions, HN_ACTION_CLIENT_REPLY);
	CU_ASSERT_EQUAL(answered, HN_PENDING_WRITES_MAX);
	CU_ASSERT(hn_node_next_deadline_ms(test.node) > 1200);
	hn_test_node_free(&test);
}

/* The in-sync peer dies: held writes answered ok, peer outdated, a new
 * generation forked at what the peer acknowledged. */
static void test_store_peer_lost(void)
{
	struct hn_test_node test;
	struct hn_status before, after;
	hn_make_replicating(&test);
	hn_test_write(&test, 1, "a", "1", 300);
	struct hn_data_message ack = hn_ack(&test, 1);
	hn_test_data(&test, &ack, 301);
	hn_test_write(&test, 2, "b", "2", 302);
	hn_test_status(&test, &before);
	hn_test_run_until(&test, 1199);
	hn_test_tick(&test, 1200);
	const struct hn_action *reply = hn_test_find_reply(&test.actions, HN_ACTION_CLIENT_REPLY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reply);
	CU_ASSERT(reply->u.reply.ok);
	CU_ASSERT_EQUAL(reply->u.reply.request_id, 2);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "sync"),
			       "sync with node2 lost (peer silent): peer marked outdated, new "
			       "generation 513 from seq 1");
	int notify = hn_test_find(&test.actions, HN_ACTION_NOTIFY, 0);
	CU_ASSERT_FATAL(notify >= 0);
	CU_ASSERT_EQUAL(test.actions.items[notify].u.notify.kind, HN_NOTIFY_SYNC_LOST);
	hn_test_status(&test, &after);
	CU_ASSERT(after.peer_outdated);
	CU_ASSERT_EQUAL(after.generation.parent, before.generation.id);
	CU_ASSERT_EQUAL(after.generation.fork_seq, 1);
	CU_ASSERT_EQUAL(after.generation.id, 0x201);
	/* alone: answered at once; heartbeats carry PEER_OUTDATED */
	hn_test_write(&test, 3, "c", "3", 1300);
	CU_ASSERT(hn_test_find_reply(&test.actions, HN_ACTION_CLIENT_REPLY)->u.reply.ok);
	hn_test_tick(&test, 1400);
	int beat = hn_test_find(&test.actions, HN_ACTION_SEND_HEARTBEAT, 0);
	CU_ASSERT(test.actions.items[beat].u.heartbeat.flags & HN_HB_PEER_OUTDATED);
	CU_ASSERT_EQUAL(test.actions.items[beat].u.heartbeat.writes_in_generation, 2);
	hn_test_node_free(&test);
}

/* Issue 11, native lossy-sync-then-power-loss: a write unacknowledged
 * for dead_time_ms forks and marks the standby outdated; it confirms,
 * resyncs in one complete batch (up to 1), and the active is catching up:
 * write 2 is replicated and waits. A steady client keeps such a write in
 * flight, so the standby never showed exactly our last_seq and the mark
 * stayed. Now its ACK (sync link) or its heartbeat in our generation
 * (every link) covering the batch clears the mark: every write answered
 * without it is at or below 1, later ones wait for its ACK. */
static void hn_make_catching_up(struct hn_test_node *test, struct hn_heartbeat *peer)
{
	struct hn_status status;
	hn_make_replicating(test);
	hn_test_status(test, &status);
	hn_test_peer_heartbeat(peer, 2, HN_ROLE_STANDBY, HN_STATE_NORMAL);
	peer->generation = status.generation;
	hn_test_write(test, 1, "a", "1", 300);
	for (uint64_t t = 400; t <= 1200; t += 200)
		hn_test_heartbeat_both(test, peer, t);
	hn_test_run_until(test, 1300);
	hn_test_status(test, &status);
	CU_ASSERT(status.peer_outdated);
	CU_ASSERT_EQUAL(status.generation.id, 0x201);
	peer->flags |= HN_HB_OUTDATED;
	hn_test_heartbeat_both(test, peer, 1301);
	CU_ASSERT_PTR_NOT_NULL(hn_test_find_reply(&test->actions, HN_ACTION_CLIENT_REPLY));
	struct hn_data_message request = {
	    .kind = HN_DATA_SYNC_REQUEST, .sender_id = 2, .generation = peer->generation};
	hn_test_data(test, &request, 1310);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hn_test_find_data(&test->actions, 0));
	CU_ASSERT(hn_test_find_data(&test->actions, 0)->complete);
	hn_test_write(test, 2, "b", "2", 1320);
	CU_ASSERT_EQUAL(hn_test_find_data(&test->actions, 0)->kind, HN_DATA_REPLICATE);
	hn_test_status(test, &status);
	CU_ASSERT(status.peer_outdated);
}

static void test_store_catch_up_clears_mark(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	struct hn_status status;
	/* its ACK of the batch */
	hn_make_catching_up(&test, &peer);
	struct hn_data_message ack = hn_ack(&test, 1);
	hn_test_data(&test, &ack, 1330);
	hn_test_status(&test, &status);
	CU_ASSERT_FALSE(status.peer_outdated);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "sync"), "node2 in sync at seq 1");
	CU_ASSERT(hn_test_count(&test.actions, HN_ACTION_SEND_HEARTBEAT) > 0);
	CU_ASSERT_PTR_NULL(hn_test_find_reply(&test.actions, HN_ACTION_CLIENT_REPLY));
	ack = hn_ack(&test, 2); /* write 2 waited for the standby */
	hn_test_data(&test, &ack, 1340);
	CU_ASSERT_PTR_NOT_NULL(hn_test_find_reply(&test.actions, HN_ACTION_CLIENT_REPLY));
	hn_test_node_free(&test);
	/* or its heartbeat in our generation (the ACK lost on the sync link) */
	hn_make_catching_up(&test, &peer);
	hn_test_status(&test, &status);
	peer.generation = status.generation;
	peer.last_seq = 0; /* not yet past the batch */
	hn_test_heartbeat_both(&test, &peer, 1330);
	hn_test_status(&test, &status);
	CU_ASSERT(status.peer_outdated);
	peer.last_seq = 1;
	hn_test_heartbeat_both(&test, &peer, 1340);
	hn_test_status(&test, &status);
	CU_ASSERT_FALSE(status.peer_outdated);
	hn_test_node_free(&test);
}

/* Only the sync link dies (the peer still speaks on the external one). */
static void test_store_sync_link_lost(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	struct hn_status status;
	hn_make_replicating(&test);
	hn_test_status(&test, &status);
	hn_test_peer_heartbeat(&peer, 2, HN_ROLE_STANDBY, HN_STATE_NORMAL);
	peer.generation = status.generation;
	for (uint64_t t = 400; t <= 1400; t += 200) {
		struct hn_event event = {.kind = HN_EVENT_HEARTBEAT, .link = HN_LINK_EXTERNAL};
		event.u.heartbeat = peer;
		hn_test_run_until(&test, t);
		CU_ASSERT(hn_test_step(&test, &event, t) == 0);
	}
	hn_test_status(&test, &status);
	CU_ASSERT(status.peer_outdated);
	CU_ASSERT(status.peer_seen);
	CU_ASSERT_EQUAL(status.role, HN_ROLE_ACTIVE);
	CU_ASSERT_EQUAL(status.transitions[status.transition_count - 1].at_ms, 200);
	hn_test_node_free(&test);
}

/* ------------------------------------------------------ standby side */

static void hn_make_standby_with(struct hn_test_node *test, uint64_t entries,
				 const struct hn_generation *generation)
{
	char key[16], value[16];
	hn_test_node_create(test, 2, HN_TIEBREAKER_NONE);
	for (uint64_t seq = 1; seq <= entries; seq++) {
		struct hn_entry entry = {.seq = seq};
		snprintf(key, sizeof(key), "k%llu", (unsigned long long)seq);
		snprintf(value, sizeof(value), "v%llu", (unsigned long long)seq);
		snprintf(entry.key, sizeof(entry.key), "%s", key);
		snprintf(entry.value, sizeof(entry.value), "%s", value);
		CU_ASSERT(hn_node_restore_entry(test->node, &entry) == 0);
	}
	hn_node_restore_generation(test->node, generation, false);
	hn_test_start(test, 0);
}

static struct hn_data_message hn_replicate(uint64_t generation_id, uint64_t seq, const char *key)
{
	struct hn_data_message data = {.kind = HN_DATA_REPLICATE,
				       .sender_id = 1,
				       .seq = seq,
				       .base_seq = seq - 1,
				       .entry_count = 1};
	data.generation.id = generation_id;
	data.entries[0].seq = seq;
	snprintf(data.entries[0].key, sizeof(data.entries[0].key), "%s", key);
	snprintf(data.entries[0].value, sizeof(data.entries[0].value), "x");
	return data;
}

/* PERSIST before ACK; duplicates re-ACKed; a gap keeps what came early and
 * re-ACKs, the missing write fills it (issue 11: a gap used to start a
 * resync that ignored REPLICATEs and stalled writes on a lossy link); a
 * REPLICATE of another generation resyncs, its request re-sent every
 * retransmit_ms. */
static void test_store_standby_apply(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	struct hn_generation generation = {.id = 0x101};
	hn_make_standby_with(&test, 3, &generation);
	hn_test_peer_heartbeat(&peer, 1, HN_ROLE_ACTIVE, HN_STATE_NORMAL);
	peer.generation = generation;
	peer.last_seq = 3;
	hn_test_heartbeat_both(&test, &peer, 0);
	struct hn_data_message data = hn_replicate(0x101, 4, "new");
	hn_test_data(&test, &data, 10);
	CU_ASSERT_EQUAL_FATAL(test.actions.count, 2);
	CU_ASSERT_EQUAL(test.actions.items[0].kind, HN_ACTION_PERSIST);
	CU_ASSERT_EQUAL(test.actions.items[1].kind, HN_ACTION_SEND_DATA);
	CU_ASSERT_EQUAL(test.actions.items[1].u.data.kind, HN_DATA_ACK);
	CU_ASSERT_EQUAL(test.actions.items[1].u.data.seq, 4);
	hn_test_data(&test, &data, 11); /* duplicate: ACK again, nothing stored */
	CU_ASSERT_EQUAL(test.actions.count, 1);
	CU_ASSERT_EQUAL(hn_test_find_data(&test.actions, 0)->kind, HN_DATA_ACK);
	/* 5 and 6 lost: 7 is kept, 4 re-ACKed, nothing stored yet */
	data = hn_replicate(0x101, 7, "seven");
	hn_test_data(&test, &data, 12);
	CU_ASSERT_EQUAL_FATAL(test.actions.count, 1);
	CU_ASSERT_EQUAL(hn_test_find_data(&test.actions, 0)->kind, HN_DATA_ACK);
	CU_ASSERT_EQUAL(hn_test_find_data(&test.actions, 0)->seq, 4);
	CU_ASSERT_PTR_NULL(hn_test_find_log(&test.actions, "sync"));
	data = hn_replicate(0x101, 6, "six");
	hn_test_data(&test, &data, 13);
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_PERSIST), 0);
	data = hn_replicate(0x101, 5, "five"); /* the retransmission fills the gap */
	hn_test_data(&test, &data, 110);
	static const enum hn_action_kind filled[] = {HN_ACTION_PERSIST, HN_ACTION_PERSIST,
						     HN_ACTION_PERSIST, HN_ACTION_SEND_DATA};
	CU_ASSERT_EQUAL_FATAL(test.actions.count, 4);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(test.actions.items[i].kind, filled[i]);
	CU_ASSERT_EQUAL(test.actions.items[0].u.entry.seq, 5);
	CU_ASSERT_EQUAL(test.actions.items[1].u.entry.seq, 6);
	CU_ASSERT_EQUAL(test.actions.items[2].u.entry.seq, 7);
	CU_ASSERT_EQUAL(test.actions.items[3].u.data.seq, 7); /* cumulative */
	/* another generation: resync, its request re-sent after retransmit_ms */
	data = hn_replicate(0x202, 9, "other");
	hn_test_data(&test, &data, 112);
	const struct hn_data_message *request = hn_test_find_data(&test.actions, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(request);
	CU_ASSERT_EQUAL(request->kind, HN_DATA_SYNC_REQUEST);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "sync"),
			       "full resync from node1 since seq 0");
	CU_ASSERT_EQUAL(hn_node_next_deadline_ms(test.node), 200); /* heartbeat first */
	hn_test_tick(&test, 200);
	CU_ASSERT_EQUAL(hn_node_next_deadline_ms(test.node), 212);
	hn_test_tick(&test, 211);
	CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_SEND_DATA), 0);
	hn_test_tick(&test, 212);
	CU_ASSERT_EQUAL(hn_test_find_data(&test.actions, 0)->kind, HN_DATA_SYNC_REQUEST);
	hn_test_node_free(&test);
}

struct hn_resync_case {
	struct hn_generation standby;
	uint64_t standby_last_seq;
	struct hn_generation active;
	uint64_t active_last_seq;
	bool full;
	uint64_t since;
};

/* Issue 11, native lossy-sync-then-power-loss: after a stall fork the
 * standby resyncs (up to 1) and applies the next write (2) while the
 * active, its mark cleared, is a write ahead (3 in flight). Its unmarked
 * heartbeat of our generation past the resync clears our outdated flag;
 * before, only one showing exactly our seq did, and a steady client rarely
 * sends one, so the standby was still outdated when the active died. */
static void test_store_catch_up_clears_outdated(void)
{
	struct hn_test_node test;
	struct hn_heartbeat peer;
	struct hn_status status;
	struct hn_generation old = {.id = 0x101};
	struct hn_generation forked = {.id = 0x201, .parent = 0x101, .fork_seq = 0};
	hn_make_standby_with(&test, 1, &old);
	hn_test_peer_heartbeat(&peer, 1, HN_ROLE_ACTIVE, HN_STATE_NORMAL);
	peer.generation = forked;
	peer.last_seq = 1;
	peer.flags |= HN_HB_PEER_OUTDATED;
	hn_test_heartbeat_both(&test, &peer, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hn_test_find_data(&test.actions, 0));
	CU_ASSERT_EQUAL(hn_test_find_data(&test.actions, 0)->kind, HN_DATA_SYNC_REQUEST);
	struct hn_data_message batch = {.kind = HN_DATA_SYNC_BATCH,
					.sender_id = 1,
					.generation = forked,
					.seq = 1,
					.upto_seq = 1,
					.complete = true};
	hn_test_data(&test, &batch, 30);
	struct hn_data_message data = hn_replicate(0x201, 2, "b");
	data.generation = forked;
	hn_test_data(&test, &data, 40);
	hn_test_status(&test, &status);
	CU_ASSERT(status.outdated);
	CU_ASSERT(status.in_sync);
	/* a heartbeat sent before the mark shows less than the resync */
	peer.flags &= ~(uint32_t)HN_HB_PEER_OUTDATED;
	peer.last_seq = 0;
	hn_test_heartbeat_both(&test, &peer, 50);
	hn_test_status(&test, &status);
	CU_ASSERT(status.outdated);
	peer.last_seq = 3;
	hn_test_heartbeat_both(&test, &peer, 60);
	hn_test_status(&test, &status);
	CU_ASSERT_FALSE(status.outdated);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&test.actions, "sync"),
			       "in sync with node1 at seq 2 (node1 at 3)");
	hn_test_node_free(&test);
}

/* Generations decide: same id or the active's parent -> incremental (from
 * the parent past its fork_seq the active decides: it may serve up to its
 * last_seq at the fork, or answers "restart in full"). */
static void test_store_resync_decision(void)
{
	static const struct hn_resync_case cases[] = {
	    {{0x101, 0, 0}, 5, {0x101, 0, 0}, 9, false, 5},
	    {{0x101, 0, 0}, 5, {0x202, 0x101, 5}, 8, false, 5},
	    {{0x101, 0, 0}, 5, {0x202, 0x101, 7}, 8, false, 5},
	    {{0x101, 0, 0}, 5, {0x202, 0x101, 3}, 8, false, 5},
	    {{0x101, 0, 0}, 5, {0x302, 0x202, 5}, 8, true, 0},
	    {{0x101, 0, 0}, 5, {0x101, 0, 0}, 3, false, 0}, /* stale heartbeat: no resync */
	    {{0, 0, 0}, 0, {0, 0, 0}, 0, false, 0},
	};
	for (const struct hn_resync_case *c = cases; c->standby_last_seq != 0; c++) {
		struct hn_test_node test;
		struct hn_heartbeat peer;
		struct hn_status status;
		hn_make_standby_with(&test, c->standby_last_seq, &c->standby);
		hn_test_peer_heartbeat(&peer, 1, HN_ROLE_ACTIVE, HN_STATE_NORMAL);
		peer.generation = c->active;
		peer.last_seq = c->active_last_seq;
		hn_test_heartbeat_both(&test, &peer, 10);
		bool stale =
		    c->active.id == c->standby.id && c->active_last_seq < c->standby_last_seq;
		const struct hn_data_message *request = hn_test_find_data(&test.actions, 0);
		if (stale) {
			CU_ASSERT_PTR_NULL(request);
			hn_test_node_free(&test);
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(request);
		CU_ASSERT_EQUAL(request->kind, HN_DATA_SYNC_REQUEST);
		CU_ASSERT_EQUAL(request->seq, c->since);
		CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_STORE_RESET),
				c->full ? 1 : 0);
		hn_test_status(&test, &status);
		CU_ASSERT(status.resyncing);
		CU_ASSERT(status.outdated);
		CU_ASSERT_EQUAL(status.last_seq, c->full ? 0 : c->standby_last_seq);
		hn_test_node_free(&test);
	}
}

/* A full resync that drops a generation this node wrote, which is neither
 * the active's nor its parent (both forked without each other: swarm's
 * diverged-generation-silent-loss), reports the writes after our fork as a
 * split brain by count; a generation of the peer's, the active's parent,
 * or one without writes of ours is no loss. */
static void test_store_diverged_generation(void)
{
	static const struct {
		struct hn_generation standby, active;
		uint64_t lost;
	} cases[] = {
	    {{0x302, 0x202, 1}, {0x401, 0x301, 1}, 2}, /* ours, diverged: 2 lost */
	    {{0x302, 0x202, 1}, {0x401, 0x202, 1}, 2}, /* same parent */
	    {{0x301, 0x202, 1}, {0x402, 0x202, 1}, 0}, /* the peer's generation */
	    {{0x302, 0x202, 3}, {0x401, 0x202, 1}, 0}, /* no write of ours in it */
	    {{0x302, 0x202, 1}, {0x401, 0x302, 3}, 0}, /* the active's parent */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hn_test_node test;
		struct hn_heartbeat peer;
		struct hn_status status;
		hn_make_standby_with(&test, 3, &cases[i].standby);
		hn_test_peer_heartbeat(&peer, 1, HN_ROLE_ACTIVE, HN_STATE_NORMAL);
		peer.generation = cases[i].active;
		peer.last_seq = 1;
		hn_test_heartbeat_both(&test, &peer, 10);
		const struct hn_log_record *log = hn_test_find_log(&test.actions, "split_brain");
		hn_test_status(&test, &status);
		CU_ASSERT_EQUAL(status.lost_writes_total, cases[i].lost);
		if (cases[i].lost == 0) {
			CU_ASSERT_PTR_NULL(log);
			hn_test_node_free(&test);
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(log);
		CU_ASSERT_EQUAL(log->lost_writes, cases[i].lost);
		CU_ASSERT_PTR_NOT_NULL(strstr(log->reason, "drops 2 writes"));
		CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_STORE_RESET), 1);
		CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_NOTIFY), 1);
		hn_test_node_free(&test);
	}
}

/* The active answers in seq order, at most HN_SYNC_BATCH_MAX entries and
 * one packet per batch; the standby applies, asks on, adopts the
 * generation when complete. */
static void test_store_resync_batches(void)
{
	struct hn_test_node active, standby;
	char key[16];
	hn_test_node_create(&active, 1, HN_TIEBREAKER_NONE);
	hn_test_start(&active, 0);
	hn_test_admin(&active, HN_ADMIN_FORCE_START, 0);
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "key%02d", 19 - i);
		hn_test_write(&active, (uint64_t)i, key, "v", 10);
	}
	hn_test_write(&active, 99, "key19", "rewritten", 11); /* seq 21, key19 was seq 1 */
	struct hn_generation empty = {0};
	hn_make_standby_with(&standby, 0, &empty);
	struct hn_heartbeat peer;
	struct hn_status status;
	hn_test_status(&active, &status);
	hn_test_peer_heartbeat(&peer, 1, HN_ROLE_ACTIVE, HN_STATE_NORMAL);
	peer.generation = status.generation;
	peer.last_seq = status.last_seq;
	hn_test_heartbeat_both(&standby, &peer, 20);
	int rounds = 0;
	const struct hn_data_message *request = hn_test_find_data(&standby.actions, 0);
	while (request != NULL && request->kind == HN_DATA_SYNC_REQUEST && rounds < 10) {
		struct hn_data_message copy = *request;
		hn_test_data(&active, &copy, 30);
		const struct hn_data_message *batch = hn_test_find_data(&active.actions, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(batch);
		CU_ASSERT_EQUAL(batch->kind, HN_DATA_SYNC_BATCH);
		for (uint32_t i = 1; i < batch->entry_count; i++)
			CU_ASSERT(batch->entries[i].seq > batch->entries[i - 1].seq);
		CU_ASSERT(batch->entry_count <= HN_SYNC_BATCH_MAX);
		struct hn_data_message answer = *batch;
		hn_test_data(&standby, &answer, 31);
		CU_ASSERT_EQUAL(hn_test_count(&standby.actions, HN_ACTION_PERSIST),
				answer.entry_count);
		request = hn_test_find_data(&standby.actions, 0);
		rounds++;
	}
	CU_ASSERT_EQUAL(rounds, 2); /* 20 entries: 16 + 4 */
	CU_ASSERT_PTR_NOT_NULL_FATAL(request);
	CU_ASSERT_EQUAL(request->kind, HN_DATA_ACK);
	CU_ASSERT_EQUAL(request->seq, 21);
	CU_ASSERT_STRING_EQUAL(hn_test_log_reason(&standby.actions, "sync"),
			       "in sync with node1 at seq 21 after incremental resync");
	hn_test_status(&standby, &status);
	CU_ASSERT(status.in_sync);
	CU_ASSERT_FALSE(status.outdated);
	CU_ASSERT_EQUAL(status.generation.id, peer.generation.id);
	CU_ASSERT_STRING_EQUAL(hn_node_get(standby.node, "key19")->value, "rewritten");
	CU_ASSERT_EQUAL(hn_node_get(standby.node, "key00")->seq, 20);
	/* a request the active cannot continue: upto_seq < seq means "full" */
	struct hn_data_message foreign = {.kind = HN_DATA_SYNC_REQUEST, .seq = 5};
	foreign.generation.id = 0x999;
	hn_test_data(&active, &foreign, 40);
	CU_ASSERT_EQUAL(hn_test_find_data(&active.actions, 0)->upto_seq, 0);
	CU_ASSERT_EQUAL(hn_test_find_data(&active.actions, 0)->entry_count, 0);
	hn_test_node_free(&active);
	hn_test_node_free(&standby);
}

/* Batches of long values stop before they outgrow one packet. */
static void test_store_batch_fits_packet(void)
{
	struct hn_test_node active;
	char key[HN_KEY_MAX], value[HN_VALUE_MAX];
	hn_test_node_create(&active, 1, HN_TIEBREAKER_NONE);
	hn_test_start(&active, 0);
	hn_test_admin(&active, HN_ADMIN_FORCE_START, 0);
	memset(value, 'v', HN_VALUE_MAX - 1);
	value[HN_VALUE_MAX - 1] = '\0';
	for (int i = 0; i < 20; i++) {
		memset(key, 'a' + i, HN_KEY_MAX - 1);
		key[HN_KEY_MAX - 1] = '\0';
		hn_test_write(&active, (uint64_t)i, key, value, 10);
	}
	struct hn_data_message request = {.kind = HN_DATA_SYNC_REQUEST, .seq = 0};
	hn_test_data(&active, &request, 20);
	const struct hn_data_message *batch = hn_test_find_data(&active.actions, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(batch);
	CU_ASSERT_EQUAL(batch->entry_count, 12); /* 107 + 12 * 330 <= 4096 < 107 + 13 * 330 */
	CU_ASSERT_FALSE(batch->complete);
	static uint8_t packet[HN_PACKET_MAX];
	uint8_t cluster_key[HN_KEY_BYTES] = {0};
	CU_ASSERT(hn_proto_encode_data(batch, 1, cluster_key, packet, sizeof(packet)) > 0);
	hn_test_node_free(&active);
}

/* ------------------------------------------------------- split brain */

struct hn_split_case {
	uint32_t own_writes;  /* writes node1 makes as active */
	uint64_t peer_writes; /* peer's writes_in_generation */
	bool peer_took_over;
	uint64_t peer_active_ms; /* peer's active_for_ms */
	uint32_t loser;		 /* expected loser's node id */
	const char *why;
};

/* node1 (the judge, active since 10000 after starting alone) meets active
 * node2 at 12000. */
static void test_store_split_brain_judge(void)
{
	static const struct hn_split_case cases[] = {
	    {0, 3, true, 500, 1, "made no writes during the split"},
	    {2, 0, true, 5000, 2, "made no writes during the split"},
	    {2, 3, false, 500, 1, "took over during the split"},
	    {2, 3, true, 500, 2, "younger active period"},
	    {2, 3, true, 5000, 1, "younger active period"},
	    {2, 3, true, 2000, 2, "higher node id on a tie"},
	    {0, 0, false, 0, 0, NULL},
	};
	for (const struct hn_split_case *c = cases; c->why != NULL; c++) {
		struct hn_test_node test;
		struct hn_heartbeat peer;
		char key[16];
		hn_test_node_create(&test, 1, HN_TIEBREAKER_NONE);
		hn_test_start(&test, 0);
		hn_test_run_until(&test, 10000);
		CU_ASSERT_EQUAL_FATAL(hn_test_role(&test), HN_ROLE_ACTIVE);
		for (uint32_t i = 0; i < c->own_writes; i++) {
			snprintf(key, sizeof(key), "mine%u", i);
			hn_test_write(&test, i, key, "v", 10001);
		}
		hn_test_run_until(&test, 11999);
		hn_test_peer_heartbeat(&peer, 2, HN_ROLE_ACTIVE, HN_STATE_NORMAL);
		peer.generation = (struct hn_generation){.id = 0x102};
		peer.writes_in_generation = c->peer_writes;
		peer.flags = c->peer_took_over ? HN_HB_TOOK_OVER : 0;
		peer.active_for_ms = c->peer_active_ms;
		hn_test_heartbeat_both(&test, &peer, 12000);
		struct hn_status status;
		hn_test_status(&test, &status);
		if (c->loser == 1) {
			char reason[HN_REASON_MAX];
			snprintf(reason, sizeof(reason),
				 "split brain with node2: this node lost (%s), drops %u writes and "
				 "resyncs",
				 c->why, c->own_writes);
			CU_ASSERT_EQUAL(status.role, HN_ROLE_STANDBY);
			const struct hn_log_record *log =
			    hn_test_find_log(&test.actions, "split_brain");
			CU_ASSERT_PTR_NOT_NULL_FATAL(log);
			CU_ASSERT_STRING_EQUAL(log->reason, reason);
			CU_ASSERT_EQUAL(log->lost_writes, c->own_writes);
			CU_ASSERT_EQUAL(status.lost_writes_total, c->own_writes);
			CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_STORE_RESET), 1);
			CU_ASSERT_EQUAL(hn_test_count(&test.actions, HN_ACTION_IP_REMOVE), 1);
			CU_ASSERT(status.outdated);
			CU_ASSERT_EQUAL(status.last_seq, 0);
		} else {
			CU_ASSERT_EQUAL(status.role, HN_ROLE_ACTIVE);
			int beat = hn_test_find(&test.actions, HN_ACTION_SEND_HEARTBEAT, 0);
			CU_ASSERT_FATAL(beat >= 0);
			CU_ASSERT_EQUAL(test.actions.items[beat].u.heartbeat.split_brain_loser, 2);
		}
		hn_test_node_free(&test);
	}
}

/* The non-judge obeys the judge's verdict; the judge clears it once the
 * loser is standby. */
static void test_store_split_brain_verdict(void)
{
	struct hn_test_node test;
	struct hn_heartbeat judge;
	hn_test_node_create(&test, 2, HN_TIEBREAKER_NONE);
	hn_test_start(&test, 0);
	hn_test_run_until(&test, 10000);
	hn_test_write(&test, 1, "x", "1", 10001);
	hn_test_write(&test, 2, "y", "2", 10002);
	hn_test_peer_heartbeat(&judge, 1, HN_ROLE_ACTIVE, HN_STATE_NORMAL);
	judge.generation = (struct hn_generation){.id = 0x101};
	hn_test_heartbeat_both(&test, &judge, 11000);
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_ACTIVE); /* waits for the verdict */
	judge.split_brain_loser = 2;
	hn_test_heartbeat_both(&test, &judge, 11200);
	CU_ASSERT_EQUAL(hn_test_role(&test), HN_ROLE_STANDBY);
	const struct hn_log_record *log = hn_test_find_log(&test.actions, "split_brain");
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->lost_writes, 2);
	CU_ASSERT_STRING_EQUAL(log->reason, "split brain with node1: this node lost (judged by the "
					    "peer), drops 2 writes and resyncs");
	int notify = hn_test_find(&test.actions, HN_ACTION_NOTIFY, 0);
	CU_ASSERT_FATAL(notify >= 0);
	CU_ASSERT_EQUAL(test.actions.items[notify].u.notify.kind, HN_NOTIFY_SPLIT_BRAIN);
	const struct hn_data_message *request = hn_test_find_data(&test.actions, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(request);
	CU_ASSERT_EQUAL(request->kind, HN_DATA_SYNC_REQUEST);
	CU_ASSERT_EQUAL(request->seq, 0);
	CU_ASSERT_PTR_NULL(hn_node_get(test.node, "x"));
	hn_test_node_free(&test);

	hn_test_node_create(&test, 1, HN_TIEBREAKER_NONE);
	hn_test_start(&test, 0);
	hn_test_run_until(&test, 10000);
	hn_test_write(&test, 1, "x", "1", 10001);
	struct hn_heartbeat loser;
	hn_test_peer_heartbeat(&loser, 2, HN_ROLE_ACTIVE, HN_STATE_NORMAL);
	loser.generation = (struct hn_generation){.id = 0x102};
	hn_test_heartbeat_both(&test, &loser, 11000);
	loser.role = HN_ROLE_STANDBY;
	hn_test_heartbeat_both(&test, &loser, 11100);
	hn_test_tick(&test, 11200);
	int beat = hn_test_find(&test.actions, HN_ACTION_SEND_HEARTBEAT, 0);
	CU_ASSERT_FATAL(beat >= 0);
	CU_ASSERT_EQUAL(test.actions.items[beat].u.heartbeat.split_brain_loser, 0);
	hn_test_node_free(&test);
}

/* ----------------------------------------------------------- restore */

static void test_store_restore(void)
{
	struct hn_test_node test;
	struct hn_generation generation = {.id = 0x301, .parent = 0x201, .fork_seq = 2};
	struct hn_entry entry = {.key = "a", .value = "new", .seq = 5};
	struct hn_status status;
	hn_test_node_create(&test, 1, HN_TIEBREAKER_NONE);
	CU_ASSERT(hn_node_restore_entry(test.node, &entry) == 0);
	struct hn_entry older = {.key = "a", .value = "old", .seq = 3};
	CU_ASSERT(hn_node_restore_entry(test.node, &older) == 0); /* older: kept newer */
	struct hn_entry bad = {.key = "", .value = "v", .seq = 6};
	CU_ASSERT(hn_node_restore_entry(test.node, &bad) == -1);
	hn_node_restore_generation(test.node, &generation, false);
	hn_test_start(&test, 0);
	CU_ASSERT(hn_node_restore_entry(test.node, &entry) == -1); /* after START */
	hn_test_status(&test, &status);
	CU_ASSERT_EQUAL(status.last_seq, 5);
	CU_ASSERT_EQUAL(status.generation.id, 0x301);
	CU_ASSERT_STRING_EQUAL(hn_node_get(test.node, "a")->value, "new");
	CU_ASSERT_PTR_NULL(hn_node_get(test.node, "b"));
	CU_ASSERT_PTR_NULL(hn_node_get(test.node, NULL));
	/* becoming active forks after the highest generation seen */
	hn_test_run_until(&test, 10000);
	hn_test_status(&test, &status);
	CU_ASSERT_EQUAL(status.generation.id, 0x401);
	CU_ASSERT_EQUAL(status.generation.parent, 0x301);
	CU_ASSERT_EQUAL(status.generation.fork_seq, 5);
	hn_test_node_free(&test);

	/* a full table refuses one more entry */
	hn_test_node_create(&test, 1, HN_TIEBREAKER_NONE);
	for (uint64_t i = 0; i < HN_STORE_ENTRIES_MAX; i++) {
		struct hn_entry fill = {.seq = i + 1};
		snprintf(fill.key, sizeof(fill.key), "k%llu", (unsigned long long)i);
		snprintf(fill.value, sizeof(fill.value), "v");
		CU_ASSERT(hn_node_restore_entry(test.node, &fill) == 0);
	}
	struct hn_entry extra = {.key = "extra", .value = "v", .seq = 5000};
	CU_ASSERT(hn_node_restore_entry(test.node, &extra) == -1);
	hn_test_start(&test, 0);
	hn_test_admin(&test, HN_ADMIN_FORCE_START, 1);
	hn_test_write(&test, 7, "another", "v", 2);
	CU_ASSERT_STRING_EQUAL(
	    hn_test_find_reply(&test.actions, HN_ACTION_CLIENT_REPLY)->u.reply.text, "store full");
	hn_test_write(&test, 8, "k3", "overwrite", 3); /* an existing key still fits */
	CU_ASSERT(hn_test_find_reply(&test.actions, HN_ACTION_CLIENT_REPLY)->u.reply.ok);
	hn_test_node_free(&test);
}

int hn_test_register_store(void)
{
	static const struct hn_test_case cases[] = {
	    {"replication and ACK", test_store_replication},
	    {"retransmission", test_store_retransmission},
	    {"pending writes bound", test_store_pending_bound},
	    {"peer lost: new generation", test_store_peer_lost},
	    {"sync link lost", test_store_sync_link_lost},
	    {"catch-up: an ACK or heartbeat past the batch clears the mark",
	     test_store_catch_up_clears_mark},
	    {"standby applies: PERSIST before ACK", test_store_standby_apply},
	    {"resync: incremental or full", test_store_resync_decision},
	    {"catch-up: an unmarked heartbeat clears outdated",
	     test_store_catch_up_clears_outdated},
	    {"resync in batches", test_store_resync_batches},
	    {"diverged generation: loss reported", test_store_diverged_generation},
	    {"batch fits a packet", test_store_batch_fits_packet},
	    {"split brain: the judge", test_store_split_brain_judge},
	    {"split brain: the verdict", test_store_split_brain_verdict},
	    {"restore", test_store_restore},
	    {NULL, NULL},
	};
	return hn_test_add_suite("store", cases);
}
