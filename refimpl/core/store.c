/*
 * store.c - the replicated key/value store: client writes, synchronous
 * replication to the standby, generations, resync, and the data side of
 * split-brain recovery.
 *
 * A bounded table of HN_STORE_ENTRIES_MAX entries; each write gets
 * seq = last_seq + 1 and the entry keeps the seq of its last write.
 *
 * Active side. A write is PERSISTed; if the peer is in sync (it acknowledged
 * everything) and the sync link is alive, it is sent as REPLICATE with
 * base_seq = the previous last_seq and held (at most HN_PENDING_WRITES_MAX)
 * until a cumulative ACK covers it; REPLICATEs are retransmitted every
 * retransmit_ms. Otherwise the peer is marked outdated (PEER_OUTDATED in
 * heartbeats, sent at once) and the write is answered when we may answer
 * without the peer (hn_store_may_answer_alone): the peer confirmed it is
 * outdated (OUTDATED in a heartbeat heard after the mark), or it is dead and,
 * under the fence tie-breaker, fenced - as DRBD's resource-and-stonith
 * fencing freezes I/O until the peer is outdated or shot. Without this, a
 * standby that never heard the mark could take over without the write.
 * If an in-sync peer dies or the sync link dies, its held writes wait the
 * same way, and a new generation starts (parent = old, fork_seq = the last
 * seq the peer acknowledged). The peer is in sync again when it ACKs our
 * last_seq, or when its heartbeat shows our generation and last_seq, or,
 * catching up, when its ACK or heartbeat covers the complete resync batch.
 *
 * Standby side. A REPLICATE applies only on base_seq == last_seq (PERSIST,
 * then ACK); a duplicate is re-ACKed; one after a gap is kept until the
 * gap fills (hn_store_on_replicate). The standby
 * compares its data with the active's heartbeat and resyncs when the
 * generation differs, when it is not in sync and lags, or when the active
 * marks it outdated. Generations decide how: same id, or our id is the
 * active's parent -> incremental from our last_seq (the active answers
 * "restart in full" past what it can serve); otherwise full (STORE_RESET,
 * since 0). SYNC_REQUEST is re-sent
 * every retransmit_ms while the sync link is alive; each SYNC_BATCH (at most
 * HN_SYNC_BATCH_MAX entries in seq order) is applied and followed by the
 * next request, the complete one adopts the active's generation and ends
 * the resync (in sync, ACK); the standby stays outdated until a heartbeat
 * of the active without PEER_OUTDATED shows its generation at or past the
 * resync (writes may be in flight), because the active may have answered
 * writes alone meanwhile. The active refuses an
 * incremental request it cannot serve by answering a batch with
 * upto_seq < seq, which makes the standby restart in full.
 *
 * Loss (README "Sync link liveness and resync under loss"): the peer's
 * data messages on the sync link keep replication going like heartbeats
 * there (hn_store_peer_reachable), but a new resync waits for heartbeats;
 * the active serves an incremental resync from its parent up to its
 * last_seq at the fork (fork_last_seq); an outdated peer that got a
 * complete batch is replicated to (peer_catching_up) until it ACKs
 * last_seq; sync restored is announced with heartbeats at once.
 *
 * Writes that do not fit into one step's actions (a cumulative ACK or the
 * peer's death can release HN_PENDING_WRITES_MAX of them) are answered in
 * the following steps: hn_store_next_deadline_ms() is then "now".
 *
 * writes_in_generation (heartbeats, split brain) is last_seq - fork_seq:
 * the writes this node has that its peer may not have.
 */
#include "node.h"

#include <stdio.h>
#include <string.h>

/* Actions kept free for what follows the deferred replies in a step. */
#define HN_STORE_ACTIONS_RESERVE 16
/* REPLICATEs re-sent per retransmission round: the oldest unacknowledged
 * ones, which a gap at the standby waits for. */
#define HN_STORE_RETRANSMIT_MAX 8
/* A SYNC_BATCH must fit into one HN_PACKET_MAX packet: proto.c spends 115
 * bytes on header, fixed fields and MAC, and 12 + key + value bytes per
 * entry (u16 lengths, u64 seq). Sixteen entries with long values do not
 * fit, so a batch also stops at this many bytes. */
#define HN_STORE_BATCH_FIXED_BYTES 115
#define HN_STORE_BATCH_ENTRY_BYTES 12

/* ----------------------------------------------------------- the table */

void hn_store_init(struct hn_store *store)
{
	/* not in sync until the active's heartbeat (or a resync) says so */
	memset(store, 0, sizeof(*store));
}

const struct hn_entry *hn_store_find(const struct hn_store *store, const char *key)
{
	for (uint32_t i = 0; key != NULL && i < store->entry_count; i++) {
		if (strcmp(store->entries[i].key, key) == 0)
			return &store->entries[i];
	}
	return NULL;
}

/* Insert or overwrite; -1 if the table is full or the entry malformed. */
static int hn_store_put(struct hn_store *store, const struct hn_entry *entry)
{
	if (memchr(entry->key, '\0', HN_KEY_MAX) == NULL || entry->key[0] == '\0' ||
	    memchr(entry->value, '\0', HN_VALUE_MAX) == NULL)
		return -1;
	struct hn_entry *slot = (struct hn_entry *)hn_store_find(store, entry->key);
	if (slot == NULL) {
		if (store->entry_count == HN_STORE_ENTRIES_MAX)
			return -1;
		slot = &store->entries[store->entry_count++];
	}
	*slot = *entry;
	if (entry->seq > store->last_seq)
		store->last_seq = entry->seq;
	return 0;
}

int hn_store_restore_entry(struct hn_store *store, const struct hn_entry *entry)
{
	const struct hn_entry *existing = hn_store_find(store, entry->key);
	if (existing != NULL && existing->seq > entry->seq)
		return 0;
	return hn_store_put(store, entry);
}

/* Store and PERSIST one entry (the action comes before anything that
 * acknowledges it). */
static int hn_store_apply(struct hn_node *node, const struct hn_entry *entry,
			  struct hn_actions *actions)
{
	if (hn_store_put(&node->store, entry) != 0)
		return -1;
	struct hn_action *action = hn_actions_push(node, actions, HN_ACTION_PERSIST);
	if (action != NULL)
		action->u.entry = *entry;
	return 0;
}

/* Generation ids are (counter << 8) | node id: unique per pair without a
 * clock or randomness, and a higher counter is newer. */
void hn_store_fork(struct hn_node *node, uint64_t fork_seq)
{
	struct hn_store *store = &node->store;
	uint64_t highest = store->highest_generation_id;
	if (store->generation.id > highest)
		highest = store->generation.id;
	uint64_t id = (((highest >> 8) + 1) << 8) | (node->config.self.node_id & 0xff);
	store->generation.parent = store->generation.id;
	store->generation.id = id;
	store->generation.fork_seq = fork_seq;
	store->fork_last_seq = store->last_seq;
	store->highest_generation_id = id;
}

void hn_store_note_peer_generation(struct hn_node *node, const struct hn_generation *generation)
{
	if (generation->id > node->store.highest_generation_id)
		node->store.highest_generation_id = generation->id;
}

/* ------------------------------------------------------------ messages */

static struct hn_data_message *hn_store_send(struct hn_node *node, struct hn_actions *actions,
					     enum hn_data_kind kind, uint64_t seq)
{
	struct hn_action *action = hn_actions_push(node, actions, HN_ACTION_SEND_DATA);
	if (action == NULL)
		return NULL;
	action->link = HN_LINK_SYNC;
	struct hn_data_message *data = &action->u.data;
	data->kind = kind;
	data->sender_id = node->config.self.node_id;
	data->generation = node->store.generation;
	data->seq = seq;
	data->echo_nonce = node->peer.nonce_known ? node->peer.nonce : 0;
	return data;
}

static void hn_store_send_replicate(struct hn_node *node, const struct hn_entry *entry,
				    struct hn_actions *actions)
{
	struct hn_data_message *data = hn_store_send(node, actions, HN_DATA_REPLICATE, entry->seq);
	if (data == NULL)
		return;
	data->base_seq = entry->seq - 1;
	data->entry_count = 1;
	data->entries[0] = *entry;
}

/* Replication needs a peer in the cluster that we hear on the sync link:
 * its heartbeats there, or (while it is alive) its data messages there
 * within the dead time (fsm.c, hn_fsm_on_data). */
static bool hn_store_peer_reachable(const struct hn_node *node)
{
	const struct hn_peer *peer = &node->peer;
	if (node->state == HN_STATE_STANDALONE || peer->refused)
		return false;
	if (hn_link_alive(node, HN_LINK_SYNC))
		return true;
	return hn_peer_alive(node) && node->carrier[HN_LINK_SYNC] && peer->sync_data_heard &&
	       node->now_ms < peer->sync_data_heard_ms + node->config.timers.dead_time_ms;
}

static void hn_store_reply(struct hn_node *node, struct hn_actions *actions, uint64_t request_id,
			   bool admin, bool ok, const char *text)
{
	struct hn_action *action =
	    hn_actions_push(node, actions, admin ? HN_ACTION_ADMIN_REPLY : HN_ACTION_CLIENT_REPLY);
	if (action == NULL)
		return;
	action->u.reply.request_id = request_id;
	action->u.reply.ok = ok;
	snprintf(action->u.reply.text, sizeof(action->u.reply.text), "%s", text);
}

/* A successful write's reply text is its seq in decimal (the daemon answers
 * "OK <seq>"); a failed one's is the reason. */
static void hn_store_reply_written(struct hn_node *node, struct hn_actions *actions,
				   const struct hn_pending_write *write)
{
	char text[32];
	snprintf(text, sizeof(text), "%llu", (unsigned long long)write->entry.seq);
	hn_store_reply(node, actions, write->request_id, write->admin, write->reply_ok,
		       write->reply_ok ? text : "standby");
}

/* ---------------------------------------------------- writes (active) */

static void hn_store_mark_peer_outdated(struct hn_node *node, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	if (store->peer_outdated || !node->peer.heard)
		return;
	store->peer_outdated = true;
	store->peer_outdated_since_ms = node->now_ms;
	hn_emit_heartbeats(node, actions); /* the mark must reach the peer soon */
}

/* Whether a write the peer does not have may be answered now. */
static bool hn_store_may_answer_alone(const struct hn_node *node)
{
	const struct hn_peer *peer = &node->peer;
	if (node->state == HN_STATE_STANDALONE || !peer->heard || peer->refused)
		return true;
	if (hn_peer_alive(node))
		return (peer->last.flags & HN_HB_OUTDATED) &&
		       peer->last_heard_ms > node->store.peer_outdated_since_ms;
	if (node->config.tiebreaker == HN_TIEBREAKER_FENCE)
		return node->fence_phase == HN_FENCE_DONE;
	return true;
}

void hn_store_client_write(struct hn_node *node, uint64_t request_id, const char *key,
			   const char *value, bool admin, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	bool replicate =
	    (store->peer_in_sync || store->peer_catching_up) && hn_store_peer_reachable(node);
	bool alone = !replicate && hn_store_may_answer_alone(node);
	if (!alone && store->pending_count == HN_PENDING_WRITES_MAX) {
		hn_store_reply(node, actions, request_id, admin, false,
			       "too many writes waiting for the peer");
		return;
	}
	struct hn_pending_write write = {
	    .request_id = request_id, .admin = admin, .reply_ok = true, .written_ms = node->now_ms};
	snprintf(write.entry.key, sizeof(write.entry.key), "%s", key);
	snprintf(write.entry.value, sizeof(write.entry.value), "%s", value);
	write.entry.seq = store->last_seq + 1;
	if (hn_store_apply(node, &write.entry, actions) != 0) {
		hn_store_reply(node, actions, request_id, admin, false, "store full");
		return;
	}
	if (!replicate) {
		hn_store_mark_peer_outdated(node, actions);
		if (alone) {
			hn_store_reply_written(node, actions, &write);
			return;
		}
		write.held = true;
		store->pending[store->pending_count++] = write;
		return;
	}
	store->pending[store->pending_count++] = write;
	hn_store_send_replicate(node, &write.entry, actions);
	if (store->retransmit_at_ms == 0)
		store->retransmit_at_ms = node->now_ms + node->config.timers.retransmit_ms;
}

/* Answer released writes from the front of the FIFO while room is left. */
static void hn_store_flush_replies(struct hn_node *node, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	uint32_t done = 0;
	while (done < store->pending_count && store->pending[done].released &&
	       actions->count < HN_ACTIONS_MAX - HN_STORE_ACTIONS_RESERVE) {
		hn_store_reply_written(node, actions, &store->pending[done]);
		done++;
	}
	if (done == 0)
		return;
	memmove(&store->pending[0], &store->pending[done],
		sizeof(store->pending[0]) * (store->pending_count - done));
	store->pending_count -= done;
	if (store->pending_count == 0)
		store->retransmit_at_ms = 0;
}

static void hn_store_release_pending(struct hn_store *store, uint64_t upto_seq, bool ok)
{
	for (uint32_t i = 0; i < store->pending_count; i++) {
		if (store->pending[i].entry.seq <= upto_seq && !store->pending[i].released) {
			store->pending[i].released = true;
			store->pending[i].reply_ok = ok;
		}
	}
}

/* The peer holds our data up to acked_seq and every write after it is
 * replicated to it and waits for its ACK (none is answered without it). */
static void hn_store_mark_peer_in_sync(struct hn_node *node, uint64_t acked_seq,
				       struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	if (acked_seq > store->peer_acked_seq)
		store->peer_acked_seq = acked_seq;
	store->peer_catching_up = false;
	if (store->peer_in_sync)
		return;
	store->peer_in_sync = true;
	bool was_outdated = store->peer_outdated;
	store->peer_outdated = false;
	char reason[HN_REASON_MAX];
	snprintf(reason, sizeof(reason), "%s in sync at seq %llu", node->peer.last.sender.name,
		 (unsigned long long)acked_seq);
	hn_emit_log(node, actions, "sync", reason, 0);
	if (was_outdated) {
		hn_emit_notify(node, actions, HN_NOTIFY_SYNC_RESTORED, reason);
		/* the peer stays outdated (may not take over) until it hears
		 * that the mark is gone: at once, not with the next heartbeat */
		hn_emit_heartbeats(node, actions);
	}
}

/* The peer holds our generation up to seq (its ACK, or its heartbeat:
 * a generation has one writer, so the same id and last_seq are the same
 * data, stored before the heartbeat was sent). In sync when that covers
 * last_seq, or, catching up, every write we answered without it. */
static void hn_store_peer_has(struct hn_node *node, uint64_t seq, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	if (seq > store->peer_acked_seq)
		store->peer_acked_seq = seq;
	hn_store_release_pending(store, seq, true);
	/* in sync only while the sync link is alive (its heartbeats), or the
	 * next evaluation would declare it lost again at once */
	bool covered =
	    seq == store->last_seq || (store->peer_catching_up && seq >= store->peer_catch_up_seq);
	if (covered && hn_store_peer_reachable(node))
		hn_store_mark_peer_in_sync(node, seq, actions);
}

static void hn_store_on_ack(struct hn_node *node, const struct hn_data_message *data,
			    struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	if (data->generation.id != store->generation.id || data->seq > store->last_seq)
		return; /* acknowledges another generation's data: stale */
	hn_store_peer_has(node, data->seq, actions);
}

/* The next entry after after_seq in seq order, or NULL. */
static const struct hn_entry *hn_store_next_entry(const struct hn_store *store, uint64_t after_seq)
{
	const struct hn_entry *next = NULL;
	for (uint32_t i = 0; i < store->entry_count; i++) {
		const struct hn_entry *entry = &store->entries[i];
		if (entry->seq > after_seq && (next == NULL || entry->seq < next->seq))
			next = entry;
	}
	return next;
}

/* Incremental resync is possible from our own generation, or from our
 * parent up to the fork: up to fork_seq, or up to our last_seq at the fork
 * if we forked it (a generation has one writer, so every copy of the
 * parent up to there is a prefix of ours: the writes a peer applied but
 * whose ACK we never got need no full resync); since 0 is always full. */
static bool hn_store_can_serve(const struct hn_store *store, const struct hn_data_message *request)
{
	if (request->seq == 0)
		return true;
	if (request->generation.id == store->generation.id)
		return request->seq <= store->last_seq;
	uint64_t upto = store->generation.fork_seq > store->fork_last_seq
			    ? store->generation.fork_seq
			    : store->fork_last_seq;
	return request->generation.id == store->generation.parent && request->seq <= upto;
}

static void hn_store_on_sync_request(struct hn_node *node, const struct hn_data_message *request,
				     struct hn_actions *actions)
{
	const struct hn_store *store = &node->store;
	struct hn_data_message *batch =
	    hn_store_send(node, actions, HN_DATA_SYNC_BATCH, request->seq);
	if (batch == NULL)
		return;
	if (!hn_store_can_serve(store, request))
		return; /* upto_seq 0 < seq: "restart in full" */
	uint64_t cursor = request->seq;
	size_t packet_bytes = HN_STORE_BATCH_FIXED_BYTES;
	const struct hn_entry *entry = hn_store_next_entry(store, cursor);
	while (entry != NULL && batch->entry_count < HN_SYNC_BATCH_MAX) {
		size_t entry_bytes =
		    HN_STORE_BATCH_ENTRY_BYTES + strlen(entry->key) + strlen(entry->value);
		if (packet_bytes + entry_bytes > HN_PACKET_MAX)
			break;
		packet_bytes += entry_bytes;
		batch->entries[batch->entry_count++] = *entry;
		cursor = entry->seq;
		entry = hn_store_next_entry(store, cursor);
	}
	batch->complete = entry == NULL;
	batch->upto_seq = batch->complete ? store->last_seq : cursor;
	/* the peer has (or will have) all we have: replicate what follows */
	if (batch->complete && !store->peer_in_sync && !store->peer_catching_up &&
	    hn_store_peer_reachable(node)) {
		node->store.peer_catching_up = true;
		node->store.peer_catch_up_seq = store->last_seq;
	}
}

/* -------------------------------------------------- standby: resync */

/* The first request names our generation (the active decides whether it
 * can continue it); follow-ups of a multi-batch resync name the active's
 * generation, because our data is then a prefix of its history. */
static void hn_store_send_sync_request(struct hn_node *node, struct hn_actions *actions)
{
	struct hn_data_message *request =
	    hn_store_send(node, actions, HN_DATA_SYNC_REQUEST, node->store.last_seq);
	if (request != NULL && node->store.resync_target_known)
		request->generation = node->store.resync_generation;
	node->store.resync_at_ms = node->now_ms + node->config.timers.retransmit_ms;
}

static void hn_store_send_ack(struct hn_node *node, struct hn_actions *actions)
{
	hn_store_send(node, actions, HN_DATA_ACK, node->store.last_seq);
}

static void hn_store_drop_all(struct hn_node *node, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	hn_actions_push(node, actions, HN_ACTION_STORE_RESET);
	store->entry_count = 0;
	store->last_seq = 0;
	store->generation = (struct hn_generation){0};
	store->outdated = true;
	store->tainted = false;
}

/* A full resync that drops a generation this node wrote (its id carries
 * our node id, hn_store_fork), which is neither the active's nor its
 * parent: both forked on their own side (became active without each
 * other), a split brain found only now that we meet as standby. SPEC: "the
 * writes it loses are reported by count. Nothing is silently merged." The
 * count is writes_in_generation (the split-brain rules' count): the
 * writes after our fork, which the peer's generation cannot hold. */
static void hn_store_report_diverged(struct hn_node *node, const struct hn_generation *active,
				     struct hn_actions *actions)
{
	const struct hn_store *store = &node->store;
	uint64_t lost = hn_store_writes_in_generation(store);
	bool ours = (store->generation.id & 0xff) == (node->config.self.node_id & 0xff);
	if (!ours || lost == 0 || active->id == UINT64_MAX || store->generation.id == active->id ||
	    store->generation.id == active->parent)
		return;
	char reason[HN_REASON_MAX];
	snprintf(reason, sizeof(reason),
		 "split brain with %.31s found at resync: generations %llu (this node) and %llu "
		 "diverged, drops %llu writes and resyncs",
		 node->peer.last.sender.name, (unsigned long long)store->generation.id,
		 (unsigned long long)active->id, (unsigned long long)lost);
	hn_emit_log(node, actions, "split_brain", reason, lost);
	hn_emit_notify(node, actions, HN_NOTIFY_SPLIT_BRAIN, reason);
	node->lost_writes_total += lost;
}

/* Begin a resync towards the active whose generation and last_seq we know;
 * full when the generations say our data cannot be continued. */
static void hn_store_start_resync(struct hn_node *node, const struct hn_generation *active,
				  uint64_t active_last_seq, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	/* from the active's parent even past its fork_seq: the active may
	 * serve up to its last_seq at the fork, or answers "restart in full" */
	bool incremental =
	    !store->tainted &&
	    ((store->generation.id == active->id && store->last_seq <= active_last_seq) ||
	     store->generation.id == active->parent);
	char reason[HN_REASON_MAX];
	if (!incremental) {
		hn_store_report_diverged(node, active, actions);
		hn_store_drop_all(node, actions);
	} else if (active_last_seq > store->last_seq)
		store->outdated = true; /* a half-applied resync is not a consistent copy */
	store->resyncing = true;
	store->reorder_count = 0;
	store->resync_full = !incremental;
	store->resync_target_known = false;
	store->in_sync = false;
	snprintf(reason, sizeof(reason), "%s resync from %s since seq %llu",
		 incremental ? "incremental" : "full", node->peer.last.sender.name,
		 (unsigned long long)store->last_seq);
	hn_emit_log(node, actions, "sync", reason, 0);
	hn_store_send_sync_request(node, actions);
}

void hn_store_reset_for_resync(struct hn_node *node, struct hn_actions *actions)
{
	struct hn_generation none = {.id = UINT64_MAX};
	hn_store_start_resync(node, &none, 0, actions); /* no match: full */
}

static void hn_store_finish_resync(struct hn_node *node, const struct hn_data_message *batch,
				   struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	store->generation = batch->generation;
	store->fork_last_seq = 0; /* the active's generation, not our fork */
	store->resyncing = false;
	store->in_sync = true; /* not "not outdated": see the header */
	store->resync_done_seq = store->last_seq;
	char reason[HN_REASON_MAX];
	snprintf(reason, sizeof(reason), "in sync with %s at seq %llu after %s resync",
		 node->peer.last.sender.name, (unsigned long long)store->last_seq,
		 store->resync_full ? "full" : "incremental");
	hn_emit_log(node, actions, "sync", reason, 0);
	hn_emit_notify(node, actions, HN_NOTIFY_SYNC_RESTORED, reason);
	hn_store_send_ack(node, actions);
	/* an active that marked us waits for our catch-up: tell it on every
	 * link (the ACK goes over the sync link only, which may be the lossy
	 * one); it takes our heartbeat as an ACK */
	if (node->peer.last.flags & HN_HB_PEER_OUTDATED)
		hn_emit_heartbeats(node, actions);
}

static void hn_store_on_sync_batch(struct hn_node *node, const struct hn_data_message *batch,
				   struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	if (!store->resyncing || batch->seq != store->last_seq)
		return; /* an answer to an older request */
	if (batch->upto_seq < batch->seq) {
		struct hn_generation none = {.id = UINT64_MAX};
		hn_store_start_resync(node, &none, 0, actions);
		return;
	}
	for (uint32_t i = 0; i < batch->entry_count; i++) {
		if (hn_store_apply(node, &batch->entries[i], actions) != 0)
			break;
	}
	store->last_seq = batch->upto_seq;
	store->resync_target_known = true;
	store->resync_generation = batch->generation;
	if (batch->complete)
		hn_store_finish_resync(node, batch, actions);
	else
		hn_store_send_sync_request(node, actions);
}

/* A REPLICATE ahead of a gap (an earlier one was lost): kept until the
 * missing ones come (the active retransmits its oldest unacknowledged
 * writes), and our last_seq ACKed again so the active knows where we are. */
static void hn_store_keep_early(struct hn_node *node, const struct hn_entry *entry,
				struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	bool known = false;
	for (uint32_t i = 0; i < store->reorder_count; i++)
		known |= store->reorder[i].seq == entry->seq;
	if (!known && store->reorder_count < HN_STORE_REORDER_MAX &&
	    entry->seq <= store->last_seq + HN_STORE_REORDER_MAX)
		store->reorder[store->reorder_count++] = *entry;
	hn_store_send_ack(node, actions);
}

/* Applies the kept REPLICATEs that follow on last_seq, in seq order. */
static void hn_store_apply_early(struct hn_node *node, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	for (uint32_t i = 0; i < store->reorder_count;) {
		if (store->reorder[i].seq <= store->last_seq) {
			store->reorder[i] = store->reorder[--store->reorder_count];
			i = 0;
		} else if (store->reorder[i].seq == store->last_seq + 1) {
			struct hn_entry entry = store->reorder[i];
			store->reorder[i] = store->reorder[--store->reorder_count];
			if (hn_store_apply(node, &entry, actions) != 0)
				return;
			i = 0;
		} else {
			i++;
		}
	}
}

/* Same generation: apply in seq order (keeping what comes early) and ACK
 * cumulatively; a gap is never a reason to resync, because every write of
 * the generation after our ACK is still pending at the active, which
 * retransmits it (a resync would ignore REPLICATEs and chase the active's
 * moving last_seq over the same lossy link: the writes stalled for seconds
 * under 30 % loss, issue 11). Another generation: resync. */
static void hn_store_on_replicate(struct hn_node *node, const struct hn_data_message *data,
				  struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	if (store->resyncing || data->entry_count != 1 || data->entries[0].seq != data->seq)
		return;
	if (data->generation.id != store->generation.id) {
		hn_store_start_resync(node, &data->generation, data->seq, actions);
		return;
	}
	if (data->seq <= store->last_seq) {
		hn_store_send_ack(node, actions); /* duplicate: our ACK was lost */
		return;
	}
	if (data->base_seq > store->last_seq) {
		hn_store_keep_early(node, &data->entries[0], actions);
		return;
	}
	if (hn_store_apply(node, &data->entries[0], actions) != 0)
		return;
	hn_store_apply_early(node, actions);
	hn_store_send_ack(node, actions);
}

void hn_store_on_data(struct hn_node *node, const struct hn_data_message *data,
		      struct hn_actions *actions)
{
	if (node->storage_failed)
		return; /* nothing can be stored, so nothing is acknowledged */
	bool active = node->role == HN_ROLE_ACTIVE;
	switch (data->kind) {
	case HN_DATA_REPLICATE:
		if (!active)
			hn_store_on_replicate(node, data, actions);
		break;
	case HN_DATA_SYNC_BATCH:
		if (!active)
			hn_store_on_sync_batch(node, data, actions);
		break;
	case HN_DATA_ACK:
		if (active)
			hn_store_on_ack(node, data, actions);
		break;
	case HN_DATA_SYNC_REQUEST:
		if (active)
			hn_store_on_sync_request(node, data, actions);
		break;
	}
}

/* ------------------------------------------------------------ per step */

/* The peer says it can store nothing now (its storage failed). */
static bool hn_store_peer_without_storage(const struct hn_node *node)
{
	return hn_peer_alive(node) && (node->peer.last.flags & HN_HB_NO_STORAGE);
}

/* When the oldest write still waiting for the peer's ACK has waited
 * dead_time_ms (UINT64_MAX if none waits): then the peer is treated as out
 * of sync, so that a lossy sync link delays a write by at most that (plus
 * the peer's confirmation that it is outdated), never for seconds. */
static uint64_t hn_store_stall_at_ms(const struct hn_node *node)
{
	const struct hn_store *store = &node->store;
	if (!(store->peer_in_sync || store->peer_catching_up) || store->pending_count == 0 ||
	    store->pending[0].released || store->pending[0].held)
		return UINT64_MAX;
	return store->pending[0].written_ms + node->config.timers.dead_time_ms;
}

/* Active: the in-sync peer became unreachable, or cannot store -> answer
 * held writes, mark the peer outdated, fork at what it acknowledged. */
static void hn_store_check_sync_lost(struct hn_node *node, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	bool without_storage = hn_store_peer_without_storage(node);
	bool stalled = node->now_ms >= hn_store_stall_at_ms(node);
	if (hn_store_peer_reachable(node) && !without_storage && !stalled)
		return;
	if (store->peer_catching_up) {
		/* still marked outdated: its writes wait like any held write */
		store->peer_catching_up = false;
		for (uint32_t i = 0; i < store->pending_count; i++)
			store->pending[i].held = true;
	}
	if (!store->peer_in_sync)
		return;
	store->peer_in_sync = false;
	for (uint32_t i = 0; i < store->pending_count; i++)
		store->pending[i].held = true;
	hn_store_fork(node, store->peer_acked_seq);
	char why[48], reason[HN_REASON_MAX];
	if (without_storage)
		snprintf(why, sizeof(why), "its storage failed");
	else if (stalled)
		snprintf(why, sizeof(why), "a write unacknowledged for %u ms",
			 node->config.timers.dead_time_ms);
	else
		snprintf(why, sizeof(why), "%s",
			 hn_peer_alive(node) ? "sync link silent" : "peer silent");
	snprintf(reason, sizeof(reason),
		 "sync with %s lost (%s): peer marked outdated, new generation %llu from seq %llu",
		 node->peer.heard ? node->peer.last.sender.name : "the peer", why,
		 (unsigned long long)store->generation.id,
		 (unsigned long long)store->generation.fork_seq);
	hn_emit_log(node, actions, "sync", reason, 0);
	hn_emit_notify(node, actions, HN_NOTIFY_SYNC_LOST, reason);
	hn_store_mark_peer_outdated(node, actions);
}

/* Held writes are answered once we may answer without the peer. */
static void hn_store_release_held(struct hn_node *node)
{
	struct hn_store *store = &node->store;
	if (store->pending_count == 0 || !hn_store_may_answer_alone(node))
		return;
	for (uint32_t i = 0; i < store->pending_count; i++) {
		if (store->pending[i].held && !store->pending[i].released) {
			store->pending[i].released = true;
			store->pending[i].reply_ok = true;
		}
	}
}

static void hn_store_evaluate_active(struct hn_node *node, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	hn_store_check_sync_lost(node, actions);
	hn_store_release_held(node);
	const struct hn_heartbeat *peer = &node->peer.last;
	bool heard = hn_store_peer_reachable(node) && !hn_store_peer_without_storage(node) &&
		     peer->role == HN_ROLE_STANDBY && peer->generation.id == store->generation.id &&
		     peer->last_seq <= store->last_seq;
	if (heard && !store->peer_in_sync && store->pending_count == 0 &&
	    peer->last_seq == store->last_seq)
		hn_store_mark_peer_in_sync(node, peer->last_seq, actions);
	/* catching up, its heartbeat (every link, while the ACK crosses the
	 * lossy sync link) covering every write we answered without it
	 * makes it in sync with writes in flight */
	if (heard && store->peer_catching_up && peer->last_seq >= store->peer_catch_up_seq)
		hn_store_peer_has(node, peer->last_seq, actions);
	if (store->pending_count == 0 || store->retransmit_at_ms == 0 ||
	    node->now_ms < store->retransmit_at_ms)
		return;
	uint32_t sent = 0;
	for (uint32_t i = 0; i < store->pending_count && sent < HN_STORE_RETRANSMIT_MAX; i++) {
		if (store->pending[i].released || store->pending[i].held)
			continue;
		hn_store_send_replicate(node, &store->pending[i].entry, actions);
		sent++;
	}
	store->retransmit_at_ms = node->now_ms + node->config.timers.retransmit_ms;
}

/* Standby: compare our data with the active peer's heartbeat. Only the
 * active that created a generation writes in it, so in the same generation
 * a heartbeat that is not ahead of us is merely older than our last
 * REPLICATE or resync, and an outdated mark on it is stale as well. */
static void hn_store_evaluate_standby(struct hn_node *node, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	const struct hn_heartbeat *peer = &node->peer.last;
	if (peer->role != HN_ROLE_ACTIVE || node->peer.refused)
		return;
	bool same_generation = peer->generation.id == store->generation.id;
	bool peer_ahead = !same_generation || peer->last_seq > store->last_seq;
	/* the mark comes on any link: a cut sync link is the usual reason */
	bool marked = (peer->flags & HN_HB_PEER_OUTDATED) != 0 && peer_ahead;
	if (marked && !store->resyncing && (!store->outdated || store->in_sync)) {
		store->outdated = true;
		store->in_sync = false;
		char reason[HN_REASON_MAX];
		snprintf(reason, sizeof(reason), "%s marked this node outdated", peer->sender.name);
		hn_emit_log(node, actions, "sync", reason, 0);
		hn_emit_heartbeats(node, actions); /* the active answers held writes on it */
	}
	if (!hn_store_peer_reachable(node) || node->storage_failed)
		return;
	if (store->resyncing) {
		if (node->now_ms >= store->resync_at_ms)
			hn_store_send_sync_request(node, actions);
		return;
	}
	if (!peer_ahead) {
		bool confirmed =
		    peer->last_seq == store->last_seq && !(peer->flags & HN_HB_PEER_OUTDATED);
		if (confirmed && (!store->in_sync || store->outdated)) {
			store->in_sync = true;
			store->outdated = false;
			char reason[HN_REASON_MAX];
			snprintf(reason, sizeof(reason), "in sync with %s at seq %llu",
				 peer->sender.name, (unsigned long long)store->last_seq);
			hn_emit_log(node, actions, "sync", reason, 0);
		}
		return;
	}
	if (store->in_sync && same_generation && !marked) {
		/* the active is ahead (a REPLICATE is on its way) and no
		 * longer marks us: every write it answered without us is in
		 * our resync (later ones wait for our ACK). A heartbeat sent
		 * before the mark shows less than that resync. */
		if (store->outdated && peer->last_seq >= store->resync_done_seq) {
			store->outdated = false;
			char reason[HN_REASON_MAX];
			snprintf(reason, sizeof(reason), "in sync with %s at seq %llu (%s at %llu)",
				 peer->sender.name, (unsigned long long)store->last_seq,
				 peer->sender.name, (unsigned long long)peer->last_seq);
			hn_emit_log(node, actions, "sync", reason, 0);
		}
		return;
	}
	/* a new resync (a full one empties the store) waits for the sync
	 * link's heartbeats: the active's data messages alone may be the
	 * last ones before a cut */
	if (!hn_link_alive(node, HN_LINK_SYNC))
		return;
	hn_store_start_resync(node, &peer->generation, peer->last_seq, actions);
}

/* A standby whose peer (in any role) has newer data knows it lacks writes:
 * it marks itself outdated (persisted by the daemon), so that it neither
 * takes over from a peer in fault with newer data nor later starts alone
 * with old data. Newer: a newer generation, or the same generation further
 * on while the peer is not active (an active's lead is replication in
 * flight). */
static void hn_store_check_peer_newer(struct hn_node *node, struct hn_actions *actions)
{
	struct hn_store *store = &node->store;
	const struct hn_heartbeat *peer = &node->peer.last;
	if (store->outdated || node->peer.refused)
		return;
	bool newer = peer->generation.id > store->generation.id ||
		     (peer->generation.id == store->generation.id &&
		      peer->last_seq > store->last_seq && peer->role != HN_ROLE_ACTIVE);
	if (!newer)
		return;
	store->outdated = true;
	store->in_sync = false;
	char reason[HN_REASON_MAX];
	snprintf(reason, sizeof(reason), "%s has newer data (generation %llu, seq %llu): outdated",
		 peer->sender.name, (unsigned long long)peer->generation.id,
		 (unsigned long long)peer->last_seq);
	hn_emit_log(node, actions, "sync", reason, 0);
	hn_emit_heartbeats(node, actions); /* an active waiting for it answers held writes */
}

const struct hn_pending_write *hn_store_oldest_waiting(const struct hn_store *store)
{
	for (uint32_t i = 0; i < store->pending_count; i++) {
		if (!store->pending[i].released)
			return &store->pending[i];
	}
	return NULL;
}

/* The data-sync lag check (notify only): the oldest unacknowledged write
 * is older than sync_lag_ms. */
static void hn_store_check_lag(struct hn_node *node, struct hn_actions *actions)
{
	const struct hn_pending_write *oldest = hn_store_oldest_waiting(&node->store);
	uint64_t age_ms = oldest != NULL ? node->now_ms - oldest->written_ms : 0;
	bool lagging = oldest != NULL && age_ms >= hn_sync_lag_ms(node);
	if (lagging == ((node->notify_failing & HN_CHECK_SYNC_LAG) != 0))
		return;
	char text[HN_REASON_MAX];
	snprintf(text, sizeof(text), "oldest unacknowledged write is %llu ms old",
		 (unsigned long long)age_ms);
	hn_emit_check(node, actions, HN_CHECK_SYNC_LAG, lagging, text);
}

void hn_store_evaluate(struct hn_node *node, struct hn_actions *actions)
{
	if (node->role == HN_ROLE_ACTIVE) {
		hn_store_evaluate_active(node, actions);
	} else if (node->state != HN_STATE_STANDALONE && hn_peer_alive(node)) {
		hn_store_check_peer_newer(node, actions);
		hn_store_evaluate_standby(node, actions);
	}
	hn_store_check_lag(node, actions);
	hn_store_flush_replies(node, actions);
}

/* The disk still holds every acknowledged write (the failed one and the
 * rest of its step were never acknowledged), so the data is not outdated;
 * but memory may hold what the disk lacks, so the next resync is full. A
 * standby is marked outdated by its active when the active stops
 * replicating to it (NO_STORAGE in our heartbeats). */
void hn_store_on_storage_failed(struct hn_node *node)
{
	struct hn_store *store = &node->store;
	store->tainted = true;
	store->in_sync = false;
	store->resyncing = false;
}

void hn_store_on_become_active(struct hn_node *node)
{
	struct hn_store *store = &node->store;
	store->resyncing = false;
	store->in_sync = false;
	store->peer_in_sync = false;
	store->peer_catching_up = false;
	store->peer_outdated = false;
	store->peer_acked_seq = store->generation.fork_seq;
	store->retransmit_at_ms = 0;
}

/* Held writes of a node that stops being active are answered "standby":
 * the outcome is unknown to the client, which is what an error says. */
void hn_store_on_release(struct hn_node *node, struct hn_actions *actions)
{
	(void)actions; /* answered by hn_store_flush_replies later in this step */
	struct hn_store *store = &node->store;
	hn_store_release_pending(store, UINT64_MAX, false);
	store->peer_in_sync = false;
	store->peer_catching_up = false;
	store->peer_outdated = false;
	store->in_sync = false;
}

uint64_t hn_store_next_deadline_ms(const struct hn_node *node)
{
	const struct hn_store *store = &node->store;
	uint64_t deadline = UINT64_MAX;
	if (store->pending_count > 0 && store->pending[0].released)
		return node->now_ms;
	if (store->pending_count > 0 && store->retransmit_at_ms != 0)
		deadline = store->retransmit_at_ms;
	if (hn_store_stall_at_ms(node) < deadline)
		deadline = hn_store_stall_at_ms(node);
	/* the same conditions as hn_store_evaluate_standby, so that a deadline
	 * is never one that the next step would not act on */
	bool standby_acts = node->role == HN_ROLE_STANDBY && hn_peer_alive(node) &&
			    hn_store_peer_reachable(node) && node->peer.last.role == HN_ROLE_ACTIVE;
	if (store->resyncing && standby_acts && !node->storage_failed &&
	    store->resync_at_ms < deadline)
		deadline = store->resync_at_ms;
	const struct hn_pending_write *oldest = hn_store_oldest_waiting(store);
	uint64_t lag_at_ms =
	    oldest != NULL ? oldest->written_ms + hn_sync_lag_ms(node) : UINT64_MAX;
	if (!(node->notify_failing & HN_CHECK_SYNC_LAG) && lag_at_ms < deadline)
		deadline = lag_at_ms;
	return deadline;
}
