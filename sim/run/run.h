/*
 * run.h - one scenario run: the runner's state, shared by the runner's
 * files (run.c, steps.c, client.c, nodelog.c, plan.c) and the backends.
 *
 * The runner owns the run folder, the fabric, the single-threaded poll
 * loop, the client workload and the clock: real (CLOCK_MONOTONIC + poll,
 * native and libvirt) or virtual (a virtual-time backend: the loop jumps
 * from deadline to deadline, nothing sleeps; clock.c). It turns the scenario's steps
 * into backend operations (power, port, disk, daemon, control) and fabric
 * faults (partitions, impairments, switch power), follows the nodes'
 * cluster logs to know when the cluster formed and who is active, and at
 * the end hands the run folder to the checker. The way of one run:
 *
 *   load + validate -> plan (addresses, configs) -> fabric + backend up
 *   -> loop { fabric I/O, fence requests, client, follow logs, fire due steps }
 *   -> settle -> verify writes, final.json -> backend down -> check -> reports
 */
#ifndef HS_RUN_H
#define HS_RUN_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../backend/backend.h"
#include "../model/model.h"

#define HS_RUN_ID_MAX	 16
#define HS_CLIENT_KEYS	 256 /* the client writes keys k0..k255, round robin */
#define HS_NODE_LINE_MAX 2048

/* The virtual clock: mono_ms at "up" (positive like a host's uptime, so
 * that 0 keeps meaning "not yet" in the runner's times), and the wall
 * clock it maps to (2026-01-01T00:00:00Z at "up"): the nodes' wall_ms is
 * HS_VIRTUAL_WALL_AT_T0_MS + (mono_ms - HS_VIRTUAL_T0_MS). */
#define HS_VIRTUAL_T0_MS	 1000000
#define HS_VIRTUAL_WALL_AT_T0_MS 1767225600000LL
/* Rounds of the virtual loop at one instant before the run is declared
 * stalled (something due that never stops being due). */
#define HS_VIRTUAL_SAME_TIME_ROUNDS_MAX 100000

struct hs_fabric;

/* What the runner knows of one node while the run goes. */
struct hs_node_runtime {
	const struct hs_node_model *model;
	struct hs_node_plan plan;
	char display[24]; /* last display state from the cluster log, "off" when powered off */
	bool powered;
	bool daemon_running;
	bool raid_ok;
	bool port_up[HS_PORTS_MAX];
	char firmware[HS_NAME_MAX];
	/* Following the cluster log. */
	FILE *log;
	char line[HS_NODE_LINE_MAX];
	size_t line_length;
};

enum hs_client_phase { HS_CLIENT_IDLE = 0, HS_CLIENT_CONNECTING, HS_CLIENT_WAITING };

struct hs_client {
	bool running;
	bool verifying;
	enum hs_client_phase phase;
	int fd;
	int64_t next_request_ms;
	int64_t request_started_ms;
	uint32_t next_number;
	bool current_is_get;
	uint32_t current_number;
	uint64_t request_serial; /* virtual transport: which request a reply answers */
	char reply[512];
	size_t reply_length;
	uint32_t verify_index;
	uint32_t writes_acked;
	uint32_t writes_failed;
	/* Per key: number of the latest acknowledged write (0 = none) and of the
	 * latest attempted one; a read may return anything in between. */
	uint32_t acked_number[HS_CLIENT_KEYS];
	uint32_t attempted_number[HS_CLIENT_KEYS];
	FILE *log;
};

struct hs_run {
	struct hs_scenario scenario;
	const struct hs_backend_ops *backend;
	void *backend_data;
	struct hs_fabric *fabric;
	char run_id[HS_RUN_ID_MAX]; /* "hs" + 6 hex */
	char run_dir[512];	    /* reports/<scenario>-<time> */
	char state_dir[256];	    /* /run/halab/<run_id> */
	char bin_dir[512];	    /* where hanode, hactl, hasim live */
	char self_path[512];	    /* this hasim, for the fence command */
	uint64_t seed;
	/* Virtual clock (backend->virtual_time): the time now, in µs. */
	int64_t virtual_now_us;
	uint32_t virtual_rounds_same_time;
	/* A node wrote to its cluster log since the runner last read them (set
	 * by a virtual backend, which knows; real ones are read every round). */
	bool logs_dirty;
	bool verbose;
	bool live;	      /* progress on a terminal */
	char accel[8];	      /* VM backend: "tcg" (default), "kvm" or "auto" */
	bool keep_on_failure; /* leave the nodes up when the run failed */
	bool kept;	      /* ... and they were left up */
	/* Judges the run folder before teardown (for keep_on_failure); NULL = none. */
	bool (*passed)(struct hs_run *run);
	uint16_t client_port; /* host side of the cluster IP forward */
	uint8_t cluster_key[32];
	int64_t t0_ms;
	int64_t formed_ms; /* 0 until formed */
	int64_t last_step_ms;
	int64_t ended_ms;
	/* Wall time (CLOCK_MONOTONIC, µs) the run took from "up" to its end,
	 * for run.json's wall_run_ms (a virtual run's acceleration). */
	int64_t wall_up_us, wall_ended_us;
	/* The real loop's longest stall: the longest wall time (µs) between two
	 * rounds that turned the fabric, from "up" to the end, and when it
	 * ended (the run's ms); run.json's loop_gap_max_ms (ci/bench.py). */
	int64_t loop_round_us, loop_gap_max_us, loop_gap_at_ms;
	char alias_active[HS_NAME_MAX];
	char alias_standby[HS_NAME_MAX];
	uint32_t steps_fired;
	int64_t step_fired_ms[HS_STEPS_MAX];
	struct hs_node_runtime nodes[HS_NODES_MAX];
	struct hs_client client;
	FILE *steps_log;
	FILE *pids;
	int fence_listen_fd;
	char runner_errors[8][256];
	uint32_t runner_error_count;
};

/* run.c */
int64_t hs_now_ms(void); /* CLOCK_MONOTONIC in ms */
/* The run's clock: hs_now_ms() for a real-time backend, the virtual time
 * for a virtual one. Everything the runner logs is on this clock. */
int64_t hs_run_now_ms(const struct hs_run *run);
bool hs_run_virtual(const struct hs_run *run);
int hs_run_execute(struct hs_run *run, char *error, size_t error_size);
void hs_run_error_add(struct hs_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct hs_node_runtime *hs_run_node(struct hs_run *run, const char *name);
/* Record a process the run started, so that `hasim gc` can end it. */
void hs_run_pid_add(struct hs_run *run, int pid, const char *what);

/* hardware.c: a node's cables follow its power (powered && port up); the
 * fence device powers a node off for its peer, and logs it. */
int hs_run_cables_set(struct hs_run *run, struct hs_node_runtime *node, bool powered, char *error,
		      size_t error_size);
int hs_fence_listen(struct hs_run *run, char *error, size_t error_size);
void hs_fence_accept(struct hs_run *run, int64_t now_ms);
int hs_fence_power_off(struct hs_run *run, const char *node, int64_t now_ms, char *error,
		       size_t error_size);

/* clock.c: one round of the virtual loop up to limit_ms at most; returns
 * -1 with a sentence in error when virtual time stalled. */
int hs_run_virtual_round(struct hs_run *run, int64_t limit_ms, char *error, size_t error_size);
/* The key a virtual run's nodes share, derived from the seed. */
void hs_run_virtual_key(uint64_t seed, uint8_t key[32]);

/* parity.c: `hasim parity` (argv after "parity"); self is this hasim. */
int hs_parity_main(int argc, char **argv, const char *self);

/* plan.c: addresses, keys and hanode configs for every node */
int hs_plan_nodes(struct hs_run *run, char *error, size_t error_size);
int hs_plan_write_config(struct hs_run *run, struct hs_node_runtime *node, char *error,
			 size_t error_size);
int hs_plan_write_mdstat(const struct hs_node_runtime *node, bool ok);
/* The mdstat text of both: the native file, the virtual RAID check's input. */
void hs_plan_mdstat_text(bool ok, char *text, size_t size);

/* steps.c */
int hs_steps_fire_due(struct hs_run *run, int64_t now_ms);
int64_t hs_steps_next_ms(const struct hs_run *run);
bool hs_steps_all_fired(const struct hs_run *run);
const char *hs_alias_resolve(const struct hs_run *run, const char *name);
void hs_steps_log(struct hs_run *run, int64_t now_ms, const char *event, const char *name,
		  const char *action, const char *target, bool ok, const char *error);

/* nodelog.c */
int hs_nodelog_open(struct hs_run *run, struct hs_node_runtime *node);
void hs_nodelog_follow(struct hs_run *run, int64_t now_ms);
void hs_nodelog_close(struct hs_node_runtime *node);

/* client.c. Real-time backends: the client is a TCP connection to the
 * uplink's port forward, driven by the poll loop (pollfd, handle). Virtual
 * ones: the backend carries the request (backend->virtual_time->client_send)
 * and reports its outcome (hs_client_reply, hs_client_closed); the loop
 * calls hs_client_due at hs_client_next_ms. Both share the workload, the
 * request timeout, client.jsonl and the read-back. */
int hs_client_open(struct hs_run *run);
int64_t hs_client_next_ms(const struct hs_run *run); /* -1: nothing to do */
void hs_client_due(struct hs_run *run, int64_t now_ms);
void hs_client_reply(struct hs_run *run, uint64_t serial, const char *reply, int64_t now_ms);
void hs_client_closed(struct hs_run *run, uint64_t serial, const char *detail, int64_t now_ms);
void hs_client_start(struct hs_run *run, int64_t now_ms);
void hs_client_stop(struct hs_run *run);
int hs_client_pollfd(struct hs_run *run, struct pollfd *fd, int64_t now_ms, int *timeout_ms);
void hs_client_handle(struct hs_run *run, short revents, int64_t now_ms);
/* Read back every acknowledged write; returns when done or at deadline. */
void hs_client_verify_start(struct hs_run *run, int64_t now_ms);
bool hs_client_verify_done(const struct hs_run *run);
/* Deadline reached: every key not read back counts as lost. */
void hs_client_verify_abandon(struct hs_run *run, int64_t now_ms);
void hs_client_close(struct hs_run *run);

#endif
