/*
 * run.h - one scenario run: the runner's state, shared by the runner's
 * files (run.c the loop, steps.c, client.c, nodelog.c, plan.c, hardware.c
 * the nodes' state and cables, ops.c the backend's reports and operations
 * under way, guard.c, provenance.c, clock.c) and read by the backends.
 *
 * The runner owns the run folder, the fabric, the single-threaded poll
 * loop, the client workload, the clock: real (CLOCK_MONOTONIC + poll,
 * native and libvirt) or virtual (a virtual-time backend: the loop jumps
 * from deadline to deadline, nothing sleeps; clock.c), and what it knows of
 * every node (powered, daemon, RAID, ports, firmware, display) with the
 * node's cables. It turns the scenario's steps into node operations
 * (hardware.c: checked, booked, then asked of the backend, which acts and
 * reports: backend.h) and fabric faults (partitions, impairments, switch
 * power), follows the nodes' cluster logs to know when the cluster formed
 * and who is active, and at the end hands the run folder to the checker.
 * Nothing in the loop waits: what a backend cannot finish at once it
 * reports later. The way of one run:
 *
 *   load + validate -> state folder + guardian -> plan (addresses, configs)
 *   -> fabric + backend up -> loop { fabric I/O, fence requests, client,
 *   backend's fds and reports, follow logs, fire due steps }
 *   -> settle -> verify writes, final.json -> backend down -> check -> reports
 */
#ifndef HS_RUN_H
#define HS_RUN_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../backend/backend.h"
#include "../model/adapter.h"
#include "../model/model.h"

#define HS_RUN_ID_MAX	 16
#define HS_RUN_ARGV_MAX	 32  /* words of the command line kept for provenance */
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

/* Reports from the backend wait here until the runner takes them (ops.c). */
#define HS_RUN_REPORTS_MAX 64
/* Operations under way (a step's, a fence's, the final status requests). */
#define HS_RUN_OPS_MAX 16
/* A backend that never reports the outcome of an operation: the runner's
 * own bound (the backends' are shorter: 3 s a native control request, 8 s a
 * guest agent's answer), stretched by the backend's time scale. */
#define HS_RUN_OP_TIMEOUT_MS 30000
/* Connections to the fence device waiting for their request line. */
#define HS_FENCE_CLIENTS_MAX 4

struct hs_run_report {
	enum hs_report_kind kind;
	uint32_t node;
	uint64_t op;
	bool ok;
	char *text; /* owned; NULL = "" */
};

/* What a node operation is: the runner books its effect when it starts and
 * corrects it when it fails (a power-on that failed leaves the node off). */
enum hs_node_op {
	HS_NODE_OP_POWER_ON = 1,
	HS_NODE_OP_POWER_OFF,
	HS_NODE_OP_RAID, /* the whole array, or one of its disks */
	HS_NODE_OP_DAEMON_START,
	HS_NODE_OP_DAEMON_STOP,
	HS_NODE_OP_FIRMWARE,
	HS_NODE_OP_CONTROL,
	HS_NODE_OP_SERVICES,
};

/* Who waits for an operation's outcome. */
enum hs_op_purpose {
	HS_OP_STEP = 1, /* a scenario step: its steps.jsonl line waits for it */
	HS_OP_FENCE,	/* the fence device's power-off (already logged as done) */
	HS_OP_FINAL,	/* the status request for final.json */
};

struct hs_op_owner {
	enum hs_op_purpose purpose;
	uint32_t step; /* HS_OP_STEP: index in scenario.steps */
};

struct hs_run_op {
	bool used;
	uint64_t id;
	struct hs_op_owner owner;
	enum hs_node_op what;
	uint32_t node;
	char request[64]; /* a control request, for messages */
	int64_t deadline_ms;
};

/* What the runner knows of one node while the run goes. */
struct hs_node_runtime {
	const struct hs_node_model *model;
	struct hs_node_plan plan;
	char display[24]; /* last display state from the cluster log, "off" when powered off */
	/* The runner's books: only the runner writes them (hardware.c, nodelog.c),
	 * backends report (backend.h). */
	bool powered;
	bool daemon_running;
	bool raid_ok;	       /* the array works: disks_failed is not every disk */
	uint32_t disks_failed; /* bit d: member d of the RAID1 lost (disk_fail, raid_fail) */
	bool services_failed;  /* services_fail until services_restore */
	bool port_up[HS_PORTS_MAX];
	char firmware[HS_NAME_MAX];
	/* Following the cluster log. */
	FILE *log;
	char line[HS_NODE_LINE_MAX];
	size_t line_length;
};

/* The client (client.c): the data-checking writes (and their read-back),
 * one at a time; probes of the cluster IP every resolution_ms, each on a
 * connection of its own, several in flight; a long-lived session. */
/* Probes in flight at most; a probe's deadline is the client's timeout_ms,
 * or HS_CLIENT_PROBE_WINDOW * resolution_ms if that is shorter (200 ms at
 * 10 ms), so that none is skipped: the spare slots take the probes of a
 * round that came late (a real loop's). With the write and the session,
 * the client keeps at most 26 connections to the node (it has 32 slots for
 * them: plan.c). */
#define HS_CLIENT_PROBES_MAX   24
#define HS_CLIENT_PROBE_WINDOW 20
/* Probes while nothing answers (client.c says why). */
#define HS_CLIENT_SEARCH_MS	   50
#define HS_CLIENT_FDS_MAX	   (HS_CLIENT_PROBES_MAX + 2)
#define HS_CLIENT_SESSION_EVERY_MS 100 /* a request on the session this often */

enum hs_client_kind { HS_CLIENT_PUT = 1, HS_CLIENT_VERIFY, HS_CLIENT_PROBE, HS_CLIENT_SESSION };
enum hs_client_phase { HS_CLIENT_IDLE = 0, HS_CLIENT_CONNECTING, HS_CLIENT_WAITING };

/* One request in flight. */
struct hs_client_request {
	enum hs_client_kind kind;
	enum hs_client_phase phase;
	int fd;		 /* real transport: its connection (the session's for a session's) */
	uint64_t serial; /* virtual transport: which request a reply answers */
	uint32_t number; /* a PUT's number, a read-back's key */
	int64_t sent_ms;
	char line[64]; /* the request, with its newline */
	char reply[512];
	size_t reply_length;
};

/* The long-lived connection through the cluster IP: a request on it every
 * HS_CLIENT_SESSION_EVERY_MS; a session that answered and then failed
 * (closed, reset, refused, silent past the deadline) is broken, and a new
 * one is opened. */
struct hs_client_session {
	bool open;	  /* a connection exists (or is being made) */
	bool established; /* it answered at least once */
	int fd;		  /* real transport */
	uint64_t last_serial;
	int64_t next_ms;
	struct hs_client_request request; /* phase IDLE: none in flight */
	uint32_t opened, broken;
};

struct hs_client {
	bool running;
	bool verifying;
	uint32_t resolution_ms, timeout_ms, interval_ms;
	uint32_t probe_timeout_ms; /* min(timeout_ms, HS_CLIENT_PROBE_WINDOW * resolution_ms) */
	int64_t next_request_ms;   /* the next write (or read-back) */
	int64_t next_probe_ms;
	bool searching;		  /* a probe timed out, none answered since: HS_CLIENT_SEARCH_MS */
	int64_t probe_ok_sent_ms; /* the latest-sent probe that answered */
	struct hs_client_request put; /* the write or read-back in flight (phase IDLE: none) */
	struct hs_client_request probes[HS_CLIENT_PROBES_MAX];
	struct hs_client_session session;
	uint64_t next_serial;
	uint32_t next_number;
	uint32_t verify_index;
	uint32_t writes_acked;
	uint32_t writes_failed;
	uint32_t probes_sent, probes_skipped;
	/* Per key: number of the latest acknowledged write (0 = none) and of the
	 * latest attempted one; a read may return anything in between. */
	uint32_t acked_number[HS_CLIENT_KEYS];
	uint32_t attempted_number[HS_CLIENT_KEYS];
	FILE *log, *session_log;
};

/* The host a run ran on, at its start (provenance.c). */
struct hs_run_host {
	char hostname[HS_NAME_MAX * 2];
	char kernel[256];
	char machine[32];
	long cpus;
	double load[3]; /* 1, 5, 15 min; -1 unknown */
	int64_t wall_ms;
};

struct hs_run {
	struct hs_scenario scenario;
	/* The node implementation (nodes/<name>/adapter.yaml); name "" = none
	 * loaded: hanode with the runner's own hanode.conf (virtual, libvirt). */
	struct hs_adapter adapter;
	const struct hs_backend_ops *backend;
	void *backend_data;
	struct hs_fabric *fabric;
	char run_id[HS_RUN_ID_MAX]; /* "hs" + 6 hex */
	char run_dir[512];	    /* reports/<scenario>-<time> */
	char state_dir[256];	    /* <hs_state_root()>/<run_id> */
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
	/* Provenance (provenance.c): set by hasim.c before the run. */
	char halab_version[64];
	int argc;
	const char *argv[HS_RUN_ARGV_MAX];
	char command_line[4096];
	char reproduce[4096];
	struct hs_run_host host;
	int64_t t0_wall_ms;
	char backend_settings[2048]; /* backend->settings once up, "" = none */
	/* The run's guardian (guard.c); guard_pid 0 = none. */
	int guard_fd;
	int guard_pid;
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
	struct {
		int fd; /* -1 = free */
		int64_t deadline_ms;
	} fence_clients[HS_FENCE_CLIENTS_MAX];
	/* Reports not taken yet, operations under way (ops.c). */
	struct hs_run_report reports[HS_RUN_REPORTS_MAX];
	uint32_t report_first, report_count;
	bool reports_overflowed;
	struct hs_run_op ops[HS_RUN_OPS_MAX];
	uint64_t next_op;
	/* Outstanding operations per step, and the first failure among them. */
	uint8_t step_ops[HS_STEPS_MAX];
	char *step_error[HS_STEPS_MAX];
	/* The final status replies (final.json), owned. */
	char *final_reply[HS_NODES_MAX];
	bool final_asked[HS_NODES_MAX];
	/* A report that ends the run (a daemon that ended, a backend failure). */
	bool backend_failed;
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

/* hardware.c: the one place where the runner's node state changes with
 * the hardware. Each operation checks the node once (unknown, powered
 * off, no such port), books its effect (powered, daemon, RAID, ports,
 * firmware, display), sets the node's cables in the fabric, and asks the
 * backend. Returns 0 (done), HS_BACKEND_PENDING (the backend finishes it
 * later; the outcome goes to owner, ops.c) or -1 with a sentence in error. */
int hs_run_node_power(struct hs_run *run, const char *node, bool on, struct hs_op_owner owner,
		      char *error, size_t error_size);
int hs_run_node_port(struct hs_run *run, const char *node, const char *port, bool up, char *error,
		     size_t error_size);
int hs_run_node_raid(struct hs_run *run, const char *node, bool ok, struct hs_op_owner owner,
		     char *error, size_t error_size);
/* One member (0 or 1) of the node's RAID1 lost or back; the node's
 * services check failing or passing (backends without them: refused by
 * hs_steps_supported before the run). */
int hs_run_node_disk(struct hs_run *run, const char *node, uint32_t disk, bool ok,
		     struct hs_op_owner owner, char *error, size_t error_size);
int hs_run_node_services(struct hs_run *run, const char *node, bool ok, struct hs_op_owner owner,
			 char *error, size_t error_size);
int hs_run_node_daemon(struct hs_run *run, const char *node, bool running, struct hs_op_owner owner,
		       char *error, size_t error_size);
int hs_run_node_firmware(struct hs_run *run, const char *node, const char *version,
			 struct hs_op_owner owner, char *error, size_t error_size);
/* One control request to a node's daemon (always answered later). */
int hs_run_node_control(struct hs_run *run, const char *node, const char *request,
			struct hs_op_owner owner, char *error, size_t error_size);
/* A failed operation's effect undone (a power-on that failed: off again). */
void hs_run_node_op_failed(struct hs_run *run, const struct hs_run_op *op);
/* The node's daemon ended by itself: no longer running. */
void hs_run_node_daemon_ended(struct hs_run *run, uint32_t node);
/* A node's cables follow its power (powered && port up). */
int hs_run_cables_set(struct hs_run *run, struct hs_node_runtime *node, bool powered, char *error,
		      size_t error_size);
/* The fence device: `hasim fence` (native) connects to <state_dir>/hasim.sock;
 * a backend's own channel calls hs_fence_power_off. Never blocks: a
 * connection that has not sent its request yet waits in the poll loop. */
int hs_fence_listen(struct hs_run *run, char *error, size_t error_size);
int hs_fence_pollfds(struct hs_run *run, struct pollfd *fds, int cap, int64_t now_ms,
		     int *timeout_ms);
void hs_fence_handle(struct hs_run *run, const struct pollfd *fds, int count, int64_t now_ms);
void hs_fence_close(struct hs_run *run);
int hs_fence_power_off(struct hs_run *run, const char *node, int64_t now_ms, char *error,
		       size_t error_size);

/* provenance.c: what made the run (run.json's provenance fields, the
 * scenario and topology text in the run folder). */
int hs_provenance_copy_inputs(struct hs_run *run, char *error, size_t error_size);
void hs_provenance_command(struct hs_run *run, int argc, char **argv);
void hs_provenance_start(struct hs_run *run);
struct json_t;
void hs_provenance_add(const struct hs_run *run, struct json_t *summary);

/* guard.c: the run's guardian, started once the state folder exists;
 * released (told not to clean) after the run's own teardown. */
int hs_guard_start(struct hs_run *run, char *error, size_t error_size);
void hs_guard_release(struct hs_run *run);

/* ops.c: reports and operations under way. */
/* A backend's report (backend.h): queued, taken by hs_run_reports_take. */
void hs_run_report(struct hs_run *run, const struct hs_report *report);
/* Book an operation the backend answered HS_BACKEND_PENDING; returns its id
 * (> 0) for the backend call, which the caller makes next. */
uint64_t hs_run_op_begin(struct hs_run *run, struct hs_op_owner owner, enum hs_node_op what,
			 uint32_t node, const char *request);
/* The backend said no at once: forget it. */
void hs_run_op_cancel(struct hs_run *run, uint64_t id);
/* Take every waiting report, in order: outcomes go to their owners
 * (steps.jsonl, final.json), a daemon that ended or a failing backend
 * stops the run (run->backend_failed). Also ends the operations whose
 * HS_RUN_OP_TIMEOUT_MS passed. */
void hs_run_reports_take(struct hs_run *run, int64_t now_ms);
bool hs_run_ops_pending(const struct hs_run *run, enum hs_op_purpose purpose);
int64_t hs_run_ops_next_ms(const struct hs_run *run); /* earliest deadline, -1 none */
void hs_run_ops_release(struct hs_run *run);

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
/* The node's mdstat file for its disks (bit d of disks_failed: disk d lost). */
int hs_plan_write_mdstat(const struct hs_node_runtime *node, uint32_t disks_failed);
/* The mdstat text of both: the native file, the virtual RAID check's input:
 * md0 a RAID1 of vda (disk 0) and vdb (disk 1), each lost one marked (F). */
void hs_plan_mdstat_text(uint32_t disks_failed, char *text, size_t size);
/* The services check the runner gives a node: a command that fails while
 * the file <state dir>/<node>/services-failed exists, when a step of the
 * scenario makes services fail; "" otherwise (no services check). */
void hs_plan_services_command(const struct hs_run *run, const struct hs_node_runtime *node,
			      char *text, size_t size);
/* The file the native services check looks at. */
void hs_plan_services_flag(const struct hs_run *run, const struct hs_node_runtime *node, char *path,
			   size_t size);
/* The program a node runs to fence its peer: hsfence from hasim's folder
 * (libc only), or `hasim fence` where there is none. Its arguments follow:
 * --socket <state_dir>/hasim.sock PEER. */
void hs_plan_fence_command(const struct hs_run *run, char *text, size_t size);

/* adapter_plan.c: an adapter's files and commands for a node (the
 * variables are listed there and in nodes/README.md). */
#define HS_ADAPTER_TEXT_MAX 16384
int hs_adapter_render(const struct hs_run *run, const struct hs_node_runtime *node,
		      const char *what, const char *text, char *out, size_t out_size, char *error,
		      size_t error_size);
int hs_adapter_write_files(struct hs_run *run, struct hs_node_runtime *node, char *error,
			   size_t error_size);
const struct hs_adapter_admin *hs_adapter_admin_find(const struct hs_adapter *adapter,
						     const char *request);
/* run.json's node_adapter; its binaries found (bin_dir, PATH); a run not
 * carried out, with the reason, as a run folder the checker judges skipped. */
void hs_adapter_summary(const struct hs_run *run, struct json_t *summary);
int hs_adapter_check_binaries(const struct hs_run *run, char *error, size_t error_size);
int hs_adapter_write_skipped(const struct hs_run *run, const char *reason, char *error,
			     size_t error_size);

/* steps.c */
/* 0, or -1 with a sentence naming the backend and the step when a step
 * needs what the run's backend cannot do (disk_fail, services_fail on a
 * backend without those operations): hs_run_execute then runs nothing and
 * writes a skipped run.json with that reason (exit 4, never a pass). */
int hs_steps_supported(const struct hs_run *run, char *error, size_t error_size);
int hs_steps_fire_due(struct hs_run *run, int64_t now_ms);
/* One of step's operations ended (ops.c): once all have, the step's line. */
void hs_steps_op_done(struct hs_run *run, uint32_t step, bool ok, const char *error);
int64_t hs_steps_next_ms(const struct hs_run *run);
bool hs_steps_all_fired(const struct hs_run *run);
const char *hs_alias_resolve(const struct hs_run *run, const char *name);
void hs_steps_log(struct hs_run *run, int64_t now_ms, const char *event, const char *name,
		  const char *action, const char *target, bool ok, const char *error);

/* nodelog.c */
int hs_nodelog_open(struct hs_run *run, struct hs_node_runtime *node);
void hs_nodelog_follow(struct hs_run *run, int64_t now_ms);
void hs_nodelog_close(struct hs_node_runtime *node);

/* client.c. Real-time backends: each request is a TCP connection to the
 * uplink's port forward (the session's stays open), driven by the poll
 * loop (pollfds, handle). Virtual ones: the backend carries the request
 * (backend->virtual_time->client_send) and reports its outcome
 * (hs_client_reply, hs_client_closed); the loop calls hs_client_due at
 * hs_client_next_ms. Both share the workload, the deadlines, client.jsonl,
 * sessions.jsonl and the read-back. */
int hs_client_open(struct hs_run *run);
int64_t hs_client_next_ms(const struct hs_run *run); /* -1: nothing to do */
void hs_client_due(struct hs_run *run, int64_t now_ms);
void hs_client_reply(struct hs_run *run, uint64_t serial, const char *reply, int64_t now_ms);
void hs_client_closed(struct hs_run *run, uint64_t serial, const char *detail, int64_t now_ms);
void hs_client_start(struct hs_run *run, int64_t now_ms);
void hs_client_stop(struct hs_run *run, int64_t now_ms);
/* At most cap fds (HS_CLIENT_FDS_MAX); handle gets the same ones back. */
int hs_client_pollfds(struct hs_run *run, struct pollfd *fds, int cap, int64_t now_ms,
		      int *timeout_ms);
void hs_client_handle(struct hs_run *run, const struct pollfd *fds, int count, int64_t now_ms);
/* Read back every acknowledged write; returns when done or at deadline. */
void hs_client_verify_start(struct hs_run *run, int64_t now_ms);
bool hs_client_verify_done(const struct hs_run *run);
/* Deadline reached: every key not read back counts as lost. */
void hs_client_verify_abandon(struct hs_run *run, int64_t now_ms);
void hs_client_close(struct hs_run *run);

#endif
