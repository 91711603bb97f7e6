/*
 * vdisk.h - a virtual node's disk: what hanode keeps in data_dir, and the
 * RAID array's health.
 *
 * The node's durable state survives power loss and crashes (memory does
 * not): the store's entries (one per key, the newest by sequence, as
 * hanode's persist.c keeps them), the generation and outdated flag, the
 * operator's maintenance mark, and the packet counter's reserved limit.
 * A write is durable the moment it returns (an fsync that always works).
 *
 * The RAID array (raid_fail/raid_restore steps) only changes the RAID
 * check's verdict, as on the native backend (a fake mdstat): the data dir
 * stays writable, so a node with a failed array still persists and
 * restarts with its data. The backend turns raid_ok into the mdstat text
 * the native backend writes (hs_plan_mdstat_text) and judges it with
 * hanode's own parser.
 */
#ifndef HS_VDISK_H
#define HS_VDISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"

struct hs_vdisk {
	struct hn_entry entries[HN_STORE_ENTRIES_MAX];
	uint32_t entry_count;
	bool generation_known;
	struct hn_generation generation;
	bool outdated;
	bool maintenance;
	uint64_t packet_seq_limit;
	bool raid_ok;
	uint64_t writes; /* durable writes done, for debugging */
};

void hs_vdisk_init(struct hs_vdisk *disk);
/* entry NULL drops every entry (STORE_RESET). -1 with a sentence when the
 * store is full (HN_STORE_ENTRIES_MAX keys). */
int hs_vdisk_persist(struct hs_vdisk *disk, const struct hn_entry *entry, char *error,
		     size_t error_size);
void hs_vdisk_generation(struct hs_vdisk *disk, const struct hn_generation *generation,
			 bool outdated);

#endif
