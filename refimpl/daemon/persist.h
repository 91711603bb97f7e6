/*
 * persist.h - the durable store of hanode's replicated data.
 *
 * A data directory holds these files:
 *   store.log   append-only log of records (key, value, seq), each with a
 *               CRC32; every append is fdatasync'ed before it returns, so a
 *               PERSIST action is durable before the ACK that follows it.
 *   generation  one JSON line {"id":..,"parent":..,"fork_seq":..,"outdated":..},
 *               replaced atomically (write tmp, fsync, rename, fsync dir).
 *   maintenance present while the operator's maintenance is on (it
 *               survives a restart: only an operator clears it).
 *   packet_seq  the packet counter's reservation: one decimal number, the
 *               value a restarted node begins at (refimpl/host/packets.c).
 *   cluster.conf  written by hactl join (join.c, config_file.c).
 *
 * hn_persist_open() reloads the log: the last record of each key wins, and
 * a torn or corrupt tail (a crash in the middle of an append) is cut off
 * and reported in hn_persist.torn_bytes. The daemon then feeds
 * hn_persist_entries() to hn_node_restore_entry() and the generation to
 * hn_node_restore_generation() before HN_EVENT_START.
 *
 * The latest value of every key is also kept in memory (bounded by
 * HN_STORE_ENTRIES_MAX) so that compaction can rewrite the log without
 * reading it: when the log holds more than compact_records_max records, the
 * next append rewrites it with one record per key (tmp + fsync + rename).
 *
 * All calls are short synchronous file I/O (a few KB plus one fdatasync),
 * which the single-threaded loop accepts as the price of durability.
 */
#ifndef HN_PERSIST_H
#define HN_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"

#define HN_PERSIST_PATH_MAX	   512
#define HN_PERSIST_COMPACT_DEFAULT 4096 /* records in the log before compaction */

struct hn_persist {
	bool opened; /* false in a zeroed struct: close does nothing */
	int dir_fd;
	int log_fd;
	char dir[HN_PERSIST_PATH_MAX];
	uint32_t compact_records_max;
	uint64_t log_records; /* records in store.log, including overwritten ones */
	uint64_t log_bytes;
	uint64_t torn_bytes; /* bytes cut off the log's tail at open (0 = clean) */
	uint64_t last_seq;   /* highest seq seen */
	bool failed;	     /* a failed append could not be undone: appends refused */
	size_t entry_count;
	struct hn_entry *entries; /* HN_STORE_ENTRIES_MAX, latest per key, log order */
};

/* Open (creating the directory if needed) and reload. compact_records_max 0
 * means HN_PERSIST_COMPACT_DEFAULT. */
int hn_persist_open(struct hn_persist *persist, const char *dir, uint32_t compact_records_max,
		    char *error, size_t error_size);
/* Accepts a store that failed to open or was already closed. */
void hn_persist_close(struct hn_persist *persist);

/* The latest entry of every key, in order of first appearance. */
const struct hn_entry *hn_persist_entries(const struct hn_persist *persist, size_t *count);

/* Append one entry durably; compacts first if the log is over its bound.
 * Returns -1 on I/O error or an invalid entry (empty/unterminated key or
 * value, or a new key beyond HN_STORE_ENTRIES_MAX). */
int hn_persist_append(struct hn_persist *persist, const struct hn_entry *entry, char *error,
		      size_t error_size);
/* Rewrite the log with one record per key, atomically. */
int hn_persist_compact(struct hn_persist *persist, char *error, size_t error_size);
/* Drop every entry (HN_ACTION_STORE_RESET, full resync follows). The
 * generation file is kept: the daemon writes the new one when it changes. */
int hn_persist_reset(struct hn_persist *persist, char *error, size_t error_size);

/* Returns 1 and fills the outputs if a generation was stored, 0 if none
 * (fresh node: outputs zeroed), -1 on a read or parse error. */
int hn_persist_generation_read(struct hn_persist *persist, struct hn_generation *generation,
			       bool *outdated, char *error, size_t error_size);
int hn_persist_generation_write(struct hn_persist *persist, const struct hn_generation *generation,
				bool outdated, char *error, size_t error_size);

/* The operator's maintenance mark: read whether it is there; write it (on)
 * or remove it (off), durably. */
bool hn_persist_maintenance_read(const struct hn_persist *persist);
int hn_persist_maintenance_write(struct hn_persist *persist, bool on, char *error,
				 size_t error_size);
/* The packet counter's reservation: 1 and *limit, 0 if none was made yet,
 * -1 on a read or parse error. */
int hn_persist_packet_seq_read(struct hn_persist *persist, uint64_t *limit, char *error,
			       size_t error_size);
int hn_persist_packet_seq_write(struct hn_persist *persist, uint64_t limit, char *error,
				size_t error_size);

#endif
