/*
 * hn_models.h - the model table: what each appliance model is, in one
 * place. The compatibility rules (refimpl/core/compat.c: which models are
 * racks and which a virtual machine), hasim's topology loader and lint
 * (sim/model: model names, the size of a node that does not state one, the
 * LAN ports a node may use), the guests of the libvirt backend (vCPUs and
 * memory, scaled for the lab: sim/backend/libvirt_domain.c) and the
 * certification matrix (sim/matrix: the firmware line) all read it.
 * Header only, no dependency: the core and the simulator link no common
 * object for it.
 *
 * Rows are in the order of enum hn_model (hn_core.h): rack1, rack4, virt1.
 * A virt1 is a virtual machine: its size is what its host gives it, so its
 * row is the smallest it ships with, and a pairing with a rack needs it at
 * least as large as the rack (SPEC "Compatibility"). It has one virtual NIC
 * per network (LAN1 external, LAN3 sync: no bonds) and one virtual disk (no
 * hardware RAID: its host's storage is what keeps its disk, so hanode has no
 * array to check and a scenario that fails a RAID does not apply to it).
 * A rack has four LAN ports (two bonds of two: LAN1+LAN2 external,
 * LAN3+LAN4 sync) and two disks in a hardware RAID1.
 *
 * What each backend makes of a row (written into run.json's
 * backend_settings, with what it could not honour and why):
 *   native   LAN ports and bond members (the fabric's cables into the
 *            node's bond0/bond1), the disks and RAID (the fake mdstat
 *            hanode reads: md0 over disk_count disks, or no RAID check);
 *            not CPUs and memory (every node is processes on the host)
 *   libvirt  vCPUs and memory (scaled down for the lab, libvirt_domain.h),
 *            one NIC per LAN port, disk_count disks (md RAID1 in the guest
 *            only with hardware_raid)
 *   virtual  the same hanode configuration as native (RAID check or none)
 */
#ifndef HN_MODELS_H
#define HN_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HN_MODEL_ROWS 3

struct hn_model_spec {
	const char *name;	   /* "rack1" */
	bool is_virtual;	   /* a virtual machine (virt1), not a rack appliance */
	uint32_t cpu_count;	   /* CPUs */
	uint32_t memory_mb;	   /* memory, MiB */
	uint32_t disk_gb;	   /* usable disk, GB */
	uint32_t lan_ports;	   /* how many LAN ports */
	uint32_t lan_port_mask;	   /* which: bit n-1 = LANn */
	uint32_t ports_per_bond;   /* LAN ports per network: 2 (a bond) or 1 */
	uint32_t disk_count;	   /* disks: 2 (rack) or 1 virtual disk (virt1) */
	bool hardware_raid;	   /* the disks are a RAID1 hanode checks (md0) */
	const char *firmware_line; /* major.minor it ships with */
};

static inline const struct hn_model_spec *hn_model_spec_at(unsigned int index)
{
	static const struct hn_model_spec rows[HN_MODEL_ROWS] = {
	    {"rack1", false, 4, 8192, 480, 4, 0xf, 2, 2, true, "2.3"},
	    {"rack4", false, 16, 65536, 1920, 4, 0xf, 2, 2, true, "2.3"},
	    {"virt1", true, 4, 8192, 480, 2, 0x5, 1, 1, false, "2.3"},
	};
	return index < HN_MODEL_ROWS ? &rows[index] : NULL;
}

/* The row called name, or NULL. */
static inline const struct hn_model_spec *hn_model_spec_find(const char *name)
{
	for (unsigned int i = 0; i < HN_MODEL_ROWS; i++)
		if (name && strcmp(hn_model_spec_at(i)->name, name) == 0)
			return hn_model_spec_at(i);
	return NULL;
}

#endif
