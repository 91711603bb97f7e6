/*
 * store.h - the replicated key/value store of the pure core (store.c):
 * its state inside struct hn_node and the operations the layers above it
 * (transition.c, rules.c, admin.c, fsm.c) call.
 *
 * Only the core includes it (through node.h). The store is the second layer
 * of the core (see node.h): it uses the helpers of emit.c and never changes
 * a role or state itself. Every operation that changes durable data emits
 * HN_ACTION_PERSIST (or HN_ACTION_STORE_RESET) before any message that
 * depends on it, so a caller that carries out actions in order never
 * acknowledges a write it has not stored.
 */
#ifndef HN_STORE_H
#define HN_STORE_H

#include "hn_core.h"

/* REPLICATEs ahead of a gap that the standby keeps until the missing one
 * is retransmitted (store.c). */
#define HN_STORE_REORDER_MAX 16

struct hn_node;

/* A write waiting for the peer's ACK (or released, waiting to be answered
 * because the previous step ran out of room for actions). */
struct hn_pending_write {
	uint64_t request_id;
	bool admin;    /* answer with ADMIN_REPLY (setting) instead of CLIENT_REPLY */
	bool held;     /* not replicated: waits until we may answer without the peer */
	bool released; /* answer is decided, not yet emitted */
	bool reply_ok;
	uint64_t written_ms;   /* when the client's write came (data-sync lag) */
	struct hn_entry entry; /* the write as sent in REPLICATE (entry.seq) */
};

struct hn_store {
	struct hn_entry entries[HN_STORE_ENTRIES_MAX];
	uint32_t entry_count;
	uint64_t last_seq;
	struct hn_generation generation;
	uint64_t highest_generation_id; /* ours or the peer's, for unique new ids */
	bool outdated;			/* our data may lack acknowledged writes */
	bool tainted; /* memory may hold writes the disk lacks: the next resync is full */
	/* active side */
	bool peer_in_sync;		 /* the standby acknowledged everything up to last_seq */
	bool peer_outdated;		 /* we acknowledge writes without the peer */
	uint64_t peer_outdated_since_ms; /* when we marked it (its confirmation must be newer) */
	uint64_t peer_acked_seq;
	/* our last_seq when we forked the current generation in this boot (0:
	 * unknown): an incremental resync from the parent may go up to it */
	uint64_t fork_last_seq;
	/* the outdated peer got a complete resync batch: new writes are
	 * replicated to it and wait for its ACK, until it ACKs last_seq (in
	 * sync) or the link fails them (held, answered alone) */
	bool peer_catching_up;
	/* our last_seq when the catch-up began: every write we answered
	 * without the peer is at or below it, so its ACK (or its heartbeat
	 * in our generation) up to here makes it in sync */
	uint64_t peer_catch_up_seq;
	struct hn_pending_write pending[HN_PENDING_WRITES_MAX]; /* FIFO in seq order */
	uint32_t pending_count;
	uint64_t retransmit_at_ms; /* 0 = nothing to retransmit */
	/* standby side */
	struct hn_entry reorder[HN_STORE_REORDER_MAX]; /* REPLICATEs that came early */
	uint32_t reorder_count;
	bool in_sync;
	bool resyncing;
	bool resync_full;
	bool resync_target_known;		/* a batch told us the active's generation */
	struct hn_generation resync_generation; /* named in follow-up SYNC_REQUESTs */
	uint64_t resync_at_ms;			/* re-send the SYNC_REQUEST at this time */
	/* last_seq when our last resync completed: an unmarked heartbeat of
	 * the active's generation at or past it is newer than the mark */
	uint64_t resync_done_seq;
};

void hn_store_init(struct hn_store *store);
int hn_store_restore_entry(struct hn_store *store, const struct hn_entry *entry);
const struct hn_entry *hn_store_find(const struct hn_store *store, const char *key);
/* The writes this node has that its peer may not have (last_seq after the
 * fork of our generation). */
static inline uint64_t hn_store_writes_in_generation(const struct hn_store *store)
{
	return store->last_seq > store->generation.fork_seq
		   ? store->last_seq - store->generation.fork_seq
		   : 0;
}
/* Start a new generation (parent = current, fork_seq given). */
void hn_store_fork(struct hn_node *node, uint64_t fork_seq);
void hn_store_note_peer_generation(struct hn_node *node, const struct hn_generation *generation);
void hn_store_client_write(struct hn_node *node, uint64_t request_id, const char *key,
			   const char *value, bool admin, struct hn_actions *actions);
void hn_store_on_data(struct hn_node *node, const struct hn_data_message *data,
		      struct hn_actions *actions);
/* Per step: sync lost, retransmission, standby resync, deferred replies. */
void hn_store_evaluate(struct hn_node *node, struct hn_actions *actions);
/* Role changes: answer or keep pending writes, reset replication state. */
void hn_store_on_become_active(struct hn_node *node);
void hn_store_on_release(struct hn_node *node, struct hn_actions *actions);
/* The oldest write still waiting for the peer (not yet answered), or NULL. */
const struct hn_pending_write *hn_store_oldest_waiting(const struct hn_store *store);
/* A PERSIST or STORE_RESET failed: the next resync is full. */
void hn_store_on_storage_failed(struct hn_node *node);
/* Split-brain loser: drop everything and resync in full from the winner. */
void hn_store_reset_for_resync(struct hn_node *node, struct hn_actions *actions);
uint64_t hn_store_next_deadline_ms(const struct hn_node *node);

#endif
