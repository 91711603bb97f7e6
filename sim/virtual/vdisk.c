/*
 * vdisk.c - a virtual node's disk (see vdisk.h).
 */
#include "vdisk.h"

#include <stdio.h>
#include <string.h>

void hs_vdisk_init(struct hs_vdisk *disk)
{
	memset(disk, 0, sizeof(*disk));
	disk->raid_ok = true;
}

int hs_vdisk_persist(struct hs_vdisk *disk, const struct hn_entry *entry, char *error,
		     size_t error_size)
{
	disk->writes++;
	if (!entry) {
		disk->entry_count = 0;
		return 0;
	}
	for (uint32_t i = 0; i < disk->entry_count; i++)
		if (strcmp(disk->entries[i].key, entry->key) == 0) {
			if (entry->seq >= disk->entries[i].seq)
				disk->entries[i] = *entry;
			return 0;
		}
	if (disk->entry_count >= HN_STORE_ENTRIES_MAX) {
		snprintf(error, error_size, "persist: %s: store full (%d keys)", entry->key,
			 HN_STORE_ENTRIES_MAX);
		return -1;
	}
	disk->entries[disk->entry_count++] = *entry;
	return 0;
}

void hs_vdisk_generation(struct hs_vdisk *disk, const struct hn_generation *generation,
			 bool outdated)
{
	disk->writes++;
	disk->generation_known = true;
	disk->generation = *generation;
	disk->outdated = outdated;
}
