/*
 * backend.h - the one interface every hasim backend implements.
 *
 * A backend only knows how to bring nodes up and act on their "hardware":
 * power, NIC link, disks, and the node's own management (hactl requests,
 * killing or restarting the daemon). Network faults do NOT belong here:
 * they happen in the fabric (sim/fabric), which every backend plugs its
 * NICs into. The runner (sim/run) decides what to do and when; the checker
 * (sim/check) never sees a backend. There are three backends: native
 * (hanode processes in network namespaces, TAP endpoints), libvirt (QEMU
 * guests, UDP tunnel endpoints) and virtual (the node's code in virtual
 * time, in-memory endpoints: virtual*.c, sim/virtual).
 *
 * Every operation returns 0, or -1 with a sentence in error naming the
 * operation and the object. down() must be idempotent and must succeed on a
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
	 * cluster IP at now_ms; its outcome comes back through
	 * hs_client_reply/hs_client_closed with the same serial. */
	void (*client_send)(struct hs_run *run, uint64_t serial, const char *line, int64_t now_ms);
	/* The client gave up on request serial (it timed out). */
	void (*client_abort)(struct hs_run *run, uint64_t serial, int64_t now_ms);
};

struct hs_backend_ops {
	const char *name;  /* "native", "libvirt", "virtual" */
	double time_scale; /* factor applied to time windows (VMs are slower) */
	/* NULL for a real-time backend. */
	const struct hs_backend_virtual_time *virtual_time;

	/* Create the nodes, wire every NIC into the run's fabric, start hanode. */
	int (*up)(struct hs_run *run, char *error, size_t error_size);
	/* Stop and remove everything up() made. Idempotent. */
	void (*down)(struct hs_run *run);

	int (*power)(struct hs_run *run, const char *node, bool on, char *error, size_t error_size);
	/* The NIC behind port ("LAN1") loses/regains its link. */
	int (*port)(struct hs_run *run, const char *node, const char *port, bool up, char *error,
		    size_t error_size);
	/* The node's storage array fails (both disks) or is restored. */
	int (*raid)(struct hs_run *run, const char *node, bool ok, char *error, size_t error_size);
	/* SIGKILL the daemon (crash) or start it again. */
	int (*daemon)(struct hs_run *run, const char *node, bool running, char *error,
		      size_t error_size);
	/* Restart the daemon with another firmware version. */
	int (*firmware)(struct hs_run *run, const char *node, const char *version, char *error,
			size_t error_size);
	/* One control request ("status", "maintenance on", ...) -> one JSON reply line. */
	int (*control)(struct hs_run *run, const char *node, const char *request, char *reply,
		       size_t reply_size, char *error, size_t error_size);
	/* Optional (NULL = none): the backend's own fds in the runner's poll
	 * loop, e.g. a guest agent's channel that streams the cluster log.
	 * pollfds fills at most cap and may lower *timeout_ms; handle gets the
	 * same fds back after poll(). */
	int (*pollfds)(struct hs_run *run, struct pollfd *fds, int cap, int *timeout_ms);
	void (*handle)(struct hs_run *run, const struct pollfd *fds, int count, int64_t now_ms);
	/* Called every round of the runner's loop: -1 with a sentence when a
	 * node's daemon ended without being told to (a crash is a finding). */
	int (*watch)(struct hs_run *run, char *error, size_t error_size);
	/* The fabric endpoint names of a node's NICs on one network (0 external,
	 * 1 sync): native has one bond endpoint per network, a VM one per port.
	 * Returns how many were written (at most max). */
	int (*endpoints)(struct hs_run *run, const char *node, int network, char names[][32],
			 int max);
	/* Remove what killed runs of this backend left behind. Returns the number
	 * of objects removed, or -1. */
	int (*gc)(char *error, size_t error_size);
};

extern const struct hs_backend_ops hs_backend_native;
extern const struct hs_backend_ops hs_backend_libvirt;
extern const struct hs_backend_ops hs_backend_virtual;

/* gc.c: what killed runs of any backend left behind (processes by PID,
 * namespaces, libvirt domains, QEMU guests, state folders); every backend's
 * gc. Returns the number of objects removed, or -1. */
int hs_backend_gc(char *error, size_t error_size);

/* Look a backend up by name; NULL if unknown (or not built). */
const struct hs_backend_ops *hs_backend_find(const char *name);

#endif
