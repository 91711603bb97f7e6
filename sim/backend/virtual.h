/*
 * virtual.h - the inside of the virtual backend, shared by virtual.c (the
 * backend's operations, the uplink, the client's transport, the event
 * loop) and virtual_node.c (one node: its hardware, its kernel, hanode's
 * host around the core, and the platform the host runs on).
 *
 * The modelled costs, all in virtual time (documented in README-virtual.md):
 *   boot                 VIRTUAL_BOOT_MS from power on to hanode's start
 *   hanode (re)start     VIRTUAL_DAEMON_START_MS + 0..1 ms (the lab's start,
 *                        restart, firmware update)
 *   a frame              20..220 us from a NIC to the process (vnet.h)
 *   a timer              fires 0..VIRTUAL_TIMER_LATENESS_US late
 *   notify hook          VIRTUAL_NOTIFY_MS (cat >> notify.jsonl)
 *   fence command        VIRTUAL_FENCE_MS until the peer's outlet is off,
 *                        VIRTUAL_FENCE_REPLY_MS more until it reports
 */
#ifndef HS_VIRTUAL_BACKEND_H
#define HS_VIRTUAL_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../virtual/vdisk.h"
#include "../virtual/vgateway.h"
#include "../virtual/vkernel.h"
#include "../virtual/vnet.h"
#include "backend.h"
#include "clusterlog.h"
#include "config.h"
#include "host.h"

#define VIRTUAL_BOOT_MS		       1000
#define VIRTUAL_DAEMON_START_MS	       50
#define VIRTUAL_DAEMON_START_JITTER_US 1000
#define VIRTUAL_TIMER_LATENESS_US      1000
#define VIRTUAL_NOTIFY_MS	       2
#define VIRTUAL_FENCE_MS	       5
#define VIRTUAL_FENCE_REPLY_MS	       1
#define VIRTUAL_ADMIN_REPLY_MAX	       1024
#define VIRTUAL_STOP_REASON	       "hanode stopped by SIGTERM" /* hanode.c, as native teardown */

enum virtual_call {
	VIRTUAL_CALL_BOOTED = 1,   /* the node finished booting: hanode starts */
	VIRTUAL_CALL_DAEMON_START, /* hanode (re)starts */
	VIRTUAL_CALL_COMMAND_DONE, /* value: command id, code: exit status */
	VIRTUAL_CALL_FENCE,	   /* value: command id; data: the peer's name */
};

struct hs_virtual;

struct virtual_node {
	struct hs_virtual *virtual;
	uint32_t index;
	struct hs_node_runtime *runtime;
	int ports[HN_LINKS]; /* vnet ports, by enum hn_link */
	char endpoints[HN_LINKS][32];
	uint64_t life;	      /* bumped by power and daemon changes: stale calls drop */
	uint64_t power_epoch; /* bumped by power changes: a stale boot drops */
	bool daemon_wanted;   /* hanode runs, or starts at the end of the boot */
	bool booted;	      /* the kernel runs */
	bool hanode;	      /* the host runs (started) */
	struct hs_vkernel kernel;
	struct hn_host *host; /* hn_host_size() bytes, reused at each start */
	struct hn_daemon_config daemon_config;
	struct hn_host_config host_config;
	uint32_t ping_addresses[HN_HOST_PING_TARGETS_MAX];
	uint32_t peer_addresses[HN_LINKS];
	struct hs_vdisk disk;
	uint32_t disks_failed; /* the RAID1's lost members (bit d: disk d), as the runner books */
	bool services_failed;  /* services_status fails (services_fail) */
	char timer_names[2][HS_NAME_MAX + 16]; /* the host's, the kernel's: a stall's sentence */
	uint64_t tick_deadline_ms;	       /* the host's deadline the tick is drawn for */
	int64_t tick_us;
	struct hn_clusterlog log;
	uint64_t next_command_id;
	uint64_t next_admin_id; /* admin request ids (>= 1: 0 is the host's own) */
	bool admin_answered;
	char admin_reply[VIRTUAL_ADMIN_REPLY_MAX];
};

struct hs_virtual {
	struct hs_run *run;
	struct hs_vnet *vnet;
	uint32_t node_count;
	struct virtual_node nodes[HS_NODES_MAX];
	struct hs_vgateway gateway;
	int gateway_port; /* -1: the topology has no uplink */
	bool stalled;	  /* the virtual lab stalled: it runs no more (virtual.c) */
};

/* virtual_node.c */
int virtual_node_setup(struct hs_virtual *virtual, uint32_t index, char *error, size_t error_size);
void virtual_node_teardown(struct virtual_node *node);
/* Power: off at once; on = boot, then hanode (booted: already up, at "up"). */
void virtual_node_power(struct virtual_node *node, bool on, bool booted, int64_t now_us);
/* hanode: crash (SIGKILL) or start; stop gracefully (firmware update). */
void virtual_node_crash(struct virtual_node *node, int64_t now_us);
void virtual_node_stop(struct virtual_node *node, int64_t now_us);
void virtual_node_start_later(struct virtual_node *node, int64_t now_us);
int virtual_node_reconfigure(struct virtual_node *node, char *error, size_t error_size);
void virtual_node_call(struct virtual_node *node, const struct hs_vevent *event, int64_t now_us);
/* A control request ("status", "maintenance on", ...) -> one JSON line. */
int virtual_node_control(struct virtual_node *node, const char *request, char *reply,
			 size_t reply_size, char *error, size_t error_size);

#endif
