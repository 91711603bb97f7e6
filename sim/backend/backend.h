/*
 * backend.h - the one interface every hasim backend implements.
 *
 * A backend powers, crashes and asks: it brings nodes up and acts on their
 * "hardware" (power, disks, the daemon's process) and on the node's own
 * management (control requests, firmware). It does not own node state or
 * cables: the runner (sim/run) keeps both, validates every step once
 * (unknown node, powered off, ...) and tells the backend what to do; the
 * backend tells the runner what happened through reports (hs_run_report).
 * Network faults do NOT belong here either: they happen in the fabric
 * (sim/fabric), which every backend plugs its NICs into; a pulled port is
 * the runner's cable in the fabric (the libvirt backend mirrors the
 * fabric's carrier changes onto its guests' NICs). The checker (sim/check)
 * never sees a backend. There are three backends: native (node processes
 * in network namespaces, started as their adapter says: run->adapter,
 * nodes/<name>/adapter.yaml; TAP endpoints), libvirt (QEMU guests, UDP tunnel
 * endpoints) and virtual (the node's code in virtual time, in-memory
 * endpoints: virtual*.c, sim/virtual).
 *
 * An operation returns 0 (done), HS_BACKEND_PENDING (under way: its
 * outcome is reported later) or -1 with a sentence in error naming the
 * operation and the node. Nothing a backend does may block the runner's
 * loop for longer than a round (RUN_TICK_MS): what waits is followed
 * through the poll hooks. down() must be idempotent and must succeed on a
 * half-built run (it is called on every failure path and on Ctrl-C).
 */
#ifndef HS_BACKEND_H
#define HS_BACKEND_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where libvirtd (qemu:///system, or a private one started by hasim) logs
 * each domain's QEMU as <domain>.log: vm.c moves a run's logs out of it,
 * gc.c removes those of dead runs. */
#define HS_BACKEND_QEMU_LOG_DIR "/var/log/libvirt/qemu"

struct hs_run;
struct hs_node_model;

/* What the runner hands a backend to bring one node up. */
struct hs_node_plan {
	const struct hs_node_model *model;
	char config_path[512];	/* hanode.conf written by the runner (host path) */
	char config_text[4096]; /* the same, for backends that pass it to a guest */
	char log_path[512];	/* where the node's cluster log must end up on the host */
	char control_path[512]; /* host path of the node's control socket (native) */
	char mdstat_path[512];	/* fake /proc/mdstat the native RAID check reads */
	bool raid;		/* the model has a hardware RAID hanode checks (hn_models.h) */
};

/* What a virtual-time backend adds: the runner's clock is then virtual
 * (run->virtual_now_us) and the backend runs its own events between the
 * runner's (frames reaching its nodes, its nodes' timers), brings the
 * uplink (gateway, ping target, the client's point of attachment) and
 * carries the client's requests. No poll, no fd, no state folder. */
struct hs_backend_virtual_time {
	/* Time (µs) of the backend's next event, or -1 if none waits. */
	int64_t (*next_us)(struct hs_run *run);
	/* Run every event due at or before now_us, in time order. */
	void (*run_due)(struct hs_run *run, int64_t now_us);
	/* One client request line ("PUT k1 v1\n") through the uplink to the
	 * cluster IP at now_ms, on a connection of its own (session false) or
	 * on the client's long-lived session (session true: the connection
	 * stays open after the reply; a request on a session that is not open
	 * opens it first). Its outcome comes back through hs_client_reply /
	 * hs_client_closed with the same serial. */
	void (*client_send)(struct hs_run *run, uint64_t serial, const char *line, bool session,
			    int64_t now_ms);
	/* The client gave up on request serial (it timed out); a session's
	 * connection is closed with it. */
	void (*client_abort)(struct hs_run *run, uint64_t serial, int64_t now_ms);
};

/* What a backend tells the runner. It never changes the runner's node
 * state (run.h: powered, daemon running, RAID, ports, firmware, display)
 * nor the cables: it reports, with hs_run_report() (run.h), and the runner
 * takes the reports in its loop, in the order they came. */
enum hs_report_kind {
	/* Operation `op` (an operation that returned HS_BACKEND_PENDING) ended:
	 * ok, and text = a control request's reply line; or not ok, and text =
	 * a sentence naming the operation and the node. */
	HS_REPORT_DONE = 1,
	/* The node's daemon ended without being told to (a finding: the run
	 * stops); text = how ("exit status 1: hanode: config: ..."). */
	HS_REPORT_DAEMON_ENDED,
	/* The backend cannot go on (the run stops); text = why. */
	HS_REPORT_FAILURE,
	/* Something the verdict must name went wrong, the run goes on (a
	 * guest's NIC link that could not follow its cable); text = what. */
	HS_REPORT_ERROR,
};

#define HS_REPORT_TEXT_MAX 16384 /* a status reply fits */

struct hs_report {
	enum hs_report_kind kind;
	uint32_t node; /* index in run->nodes */
	uint64_t op;   /* HS_REPORT_DONE */
	bool ok;
	const char *text; /* copied by hs_run_report; at most HS_REPORT_TEXT_MAX - 1 bytes */
};

/* An operation's return value: done (0), failed (-1, with a sentence in
 * error) or under way (its outcome comes as HS_REPORT_DONE with its op). */
#define HS_BACKEND_PENDING 1

/*
 * The operations. A backend brings nodes up, acts on their hardware and
 * asks them; the runner decides and keeps the books. Before it calls an
 * operation the runner has checked the node (it exists, it is powered
 * where that matters), changed its own node state, and regenerated the
 * node's hanode.conf (firmware); a node's cables in the fabric are the
 * runner's too: lit before power(on), dark right after power(off) returns
 * (in the same round: the backend cuts at once, so that the node never
 * sees its carrier drop). So a backend only acts: on run->nodes[node] (an index),
 * with op to report the outcome of what it cannot finish at once. No
 * operation may block the runner's loop: what takes time (a daemon's
 * graceful stop, a guest's power, an agent's answer, a control socket's
 * reply) is started and followed through the poll hooks.
 */
struct hs_backend_ops {
	const char *name;  /* "native", "libvirt", "virtual" */
	double time_scale; /* factor applied to time windows (VMs are slower) */
	/* NULL for a real-time backend. */
	const struct hs_backend_virtual_time *virtual_time;
	/* The nodes' notify hook lands in the run folder (nodes/NODE/notify.jsonl).
	 * False (a guest without a notify_command: libvirt): run.json says
	 * "notify_hook": false and the checker skips what needs notifications. */
	bool notify_hook;

	/* Create the nodes, wire every NIC into the run's fabric, start hanode
	 * on each; the runner then counts every node powered with its daemon
	 * running. */
	int (*up)(struct hs_run *run, char *error, size_t error_size);
	/* Stop and remove everything up() made. Idempotent; may block (the
	 * loop is over). */
	void (*down)(struct hs_run *run);

	/* Power the node on (boot, hanode starts) or off (at once, as a cut). */
	int (*power)(struct hs_run *run, uint32_t node, bool on, uint64_t op, char *error,
		     size_t error_size);
	/* The node's storage array fails (both disks) or is restored
	 * (run->nodes[node].disks_failed is already all or none). */
	int (*raid)(struct hs_run *run, uint32_t node, bool ok, uint64_t op, char *error,
		    size_t error_size);
	/* Optional (NULL: the backend cannot, and the runner refuses a scenario
	 * with such a step before anything starts, naming the backend; so for
	 * services): one member of the node's RAID1 (0 or 1) is lost or comes
	 * back; run->nodes[node].disks_failed (bit d: disk d lost) holds the
	 * array as it is after the change: one disk lost is a degraded array,
	 * both a failed one. */
	int (*disk)(struct hs_run *run, uint32_t node, uint32_t disk, bool ok, uint64_t op,
		    char *error, size_t error_size);
	/* Optional: the node's services check (hanode.conf's services_status)
	 * starts failing (ok false) or passes again. */
	int (*services)(struct hs_run *run, uint32_t node, bool ok, uint64_t op, char *error,
			size_t error_size);
	/* SIGKILL the daemon (crash) or start it again (the node is powered). */
	int (*daemon)(struct hs_run *run, uint32_t node, bool running, uint64_t op, char *error,
		      size_t error_size);
	/* Restart the daemon gracefully with the node's regenerated hanode.conf
	 * (run->nodes[node].plan, its new firmware). */
	int (*firmware)(struct hs_run *run, uint32_t node, uint64_t op, char *error,
			size_t error_size);
	/* One control request ("status", "maintenance on", ...) to the node's
	 * daemon; its one-line JSON reply comes as HS_REPORT_DONE (returns
	 * HS_BACKEND_PENDING, or -1). */
	int (*control)(struct hs_run *run, uint32_t node, const char *request, uint64_t op,
		       char *error, size_t error_size);
	/* Optional (NULL = none): the backend's own fds in the runner's poll
	 * loop (control sockets in flight, a guest agent's channel). pollfds
	 * fills at most cap and may lower *timeout_ms; handle is called every
	 * round of a real-time loop with the same fds (count may be 0): it
	 * follows what is under way and reports. */
	int (*pollfds)(struct hs_run *run, struct pollfd *fds, int cap, int *timeout_ms);
	void (*handle)(struct hs_run *run, const struct pollfd *fds, int count, int64_t now_ms);
	/* The fabric endpoint names of a node's NICs on one network (0 external,
	 * 1 sync): native has one bond endpoint per network, a VM one per port.
	 * Returns how many were written (at most max). */
	int (*endpoints)(struct hs_run *run, uint32_t node, int network, char names[][32], int max);
	/* Remove what killed runs of this backend left behind. Returns the number
	 * of objects removed, or -1. */
	int (*gc)(char *error, size_t error_size);
	/* Optional: the backend's settings for run.json's backend_settings, as
	 * one JSON object ({"guests":{"node1":{"memory_mib":128,"vcpus":1}}}). */
	void (*settings)(struct hs_run *run, char *json, size_t size);
};

extern const struct hs_backend_ops hs_backend_native;
extern const struct hs_backend_ops hs_backend_libvirt;
extern const struct hs_backend_ops hs_backend_virtual;

/* gc.c: what killed runs of any backend left behind (processes by PID,
 * namespaces, libvirt domains, QEMU guests, state folders); every backend's
 * gc. Returns the number of objects removed, or -1. Never through a shell:
 * programs are executed with their arguments, libvirt through its API. */
int hs_backend_gc(char *error, size_t error_size);
/* (With $HALAB_STATE_DIR set, hs_backend_gc takes only dead runs with a
 * state folder there, no orphans: every run under the default root would
 * look like one.) */
/* Dead runs with a state folder only (no orphans): what `hasim run`
 * collects when it starts. quiet: print nothing. Returns how many objects. */
int hs_backend_gc_dead(bool quiet);
/* The same for one run (run_id "hs" + 6 hex digits), dead or not: what its
 * guardian does when its hasim died (run/guard.c). quiet: print nothing. */
int hs_backend_gc_run(const char *run_id, bool quiet);
/* The folder that holds every run's state folder <run_id>/ (owner, pids,
 * the cluster key, disks, sockets: what lives outside the run folder):
 * $HALAB_STATE_DIR when set (an absolute path), else /run/halab for root,
 * else $XDG_RUNTIME_DIR/halab, so that an unprivileged user's runs (the
 * libvirt backend on qemu:///session) need no /run. NULL with a sentence in
 * error when none applies (not root, no $XDG_RUNTIME_DIR). */
const char *hs_state_root(char *error, size_t error_size);

/* Remove a folder and everything in it (without a shell, without following
 * symbolic links); 0, or -1 with errno. */
int hs_backend_remove_tree(const char *path);

/* Look a backend up by name; NULL if unknown (or not built). */
const struct hs_backend_ops *hs_backend_find(const char *name);

#endif
