/*
 * fabric.h - the public interface of hasim's userspace network fabric.
 *
 * The fabric is the one place where network faults happen. It connects the
 * nodes' NICs (endpoints) through learning L2 switches with cables, and
 * applies faults per cable and per direction: link down, loss, delay with
 * jitter, duplication, one-way partitions between sets of endpoints and
 * switches losing power. An endpoint is a TAP device (native backend, the
 * hanode processes run in namespaces that hold the TAP), a UDP tunnel on
 * loopback (VM backend, QEMU's "udp" netdev: one Ethernet frame per
 * datagram), a libslirp uplink (the gateway 192.0.2.1, the first ping
 * target, and host port forwards to the cluster IP) or an in-memory
 * endpoint (virtual backend: no fd; the caller injects frames with
 * hs_fabric_endpoint_send and gets the frames for it through a callback).
 *
 * An endpoint with two cables is an active-backup bond: it transmits and
 * receives on the active cable only and fails over when that cable loses
 * its link; the MAC tables of all switches are then flushed so that they
 * relearn at once.
 *
 * The fabric does not own an event loop. The caller's single-threaded loop
 * does, each round:
 *     n = hs_fabric_pollfds_fill(fabric, fds, cap, now_ms, &timeout_ms);
 *     poll(fds, n + own, timeout_ms);
 *     hs_fabric_pollfds_handle(fabric, fds, n, now_ms);
 * where now_ms is CLOCK_MONOTONIC in ms (hs_fabric_now_ms()). Every call
 * that moves frames or applies a fault takes now_ms explicitly, so tests
 * drive the clock by hand. hs_fabric_pollfds_handle also runs due timers;
 * hs_fabric_timers_run runs them alone (delayed frames whose time came).
 *
 * Every random choice (loss, duplication, jitter) comes from one PRNG
 * seeded at creation, drawn in the order frames are processed: the same
 * seed and the same traffic give the same choices.
 *
 * Errors: functions return -1 and leave a message naming the function and
 * the object in hs_fabric_error(fabric).
 */
#ifndef HS_FABRIC_H
#define HS_FABRIC_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------- limits */

#define HS_FABRIC_NAME_MAX	     32	  /* switch, endpoint, cable name incl. NUL */
#define HS_FABRIC_FRAME_MAX	     1522 /* 1518 + 802.1Q tag; bigger frames dropped */
#define HS_FABRIC_FRAME_MIN	     14	  /* an Ethernet header */
#define HS_FABRIC_SWITCHES_MAX	     16
#define HS_FABRIC_ENDPOINTS_MAX	     32 /* also the size of a partition set */
#define HS_FABRIC_CABLES_MAX	     64
#define HS_FABRIC_PORTS_MAX	     16 /* ports of one switch */
#define HS_FABRIC_PARTITIONS_MAX     32
#define HS_FABRIC_UPLINKS_MAX	     2
#define HS_FABRIC_FORWARDS_MAX	     8 /* host port forwards per uplink */
#define HS_FABRIC_CARRIER_EVENTS_MAX 64
#define HS_FABRIC_HOPS_MAX	     8 /* switch traversals; stops loops */
#define HS_FABRIC_ERROR_MAX	     256

/* A direction of a cable. A cable runs from an endpoint (or, for an
 * inter-switch trunk, switch A) to a switch: TO_SWITCH is what the node
 * sends, FROM_SWITCH what it receives. */
enum hs_dir { HS_DIR_TO_SWITCH = 0, HS_DIR_FROM_SWITCH = 1, HS_DIR_BOTH = 2 };

struct hs_fabric;

struct hs_fabric_config {
	uint64_t seed;		    /* the PRNG seed */
	const char *fault_log_path; /* JSON lines appended here; NULL = none */
	size_t delay_queue_max;	    /* frames waiting (delay, deferred); default 1024 */
	size_t mac_table_max;	    /* entries per switch; default 256 */
	int64_t mac_aging_ms;	    /* default 300000, like Linux bridges */
};

/* Impairment of one direction of a cable. All zero = a perfect cable. */
struct hs_impair {
	double loss_pct; /* 0..100 */
	uint32_t delay_ms;
	uint32_t jitter_ms; /* delay varies uniformly in [delay - jitter, delay + jitter] */
	double dup_pct;	    /* 0..100: frame sent twice */
};

/* Counters of one direction of a cable (for result.json). */
struct hs_counters {
	uint64_t forwarded; /* frames that crossed the cable */
	uint64_t dropped_loss;
	uint64_t dropped_partition;
	uint64_t dropped_link;	     /* link down or switch without power */
	uint64_t dropped_queue_full; /* delay queue full */
	uint64_t dropped_oversize;   /* too big or too small (TO_SWITCH only) */
	uint64_t duplicated;
	uint64_t delayed;
};

struct hs_carrier_event {
	char endpoint[HS_FABRIC_NAME_MAX];
	bool up;
	int64_t mono_ms;
};

/* ------------------------------------------------------------ life cycle */

void hs_fabric_config_default(struct hs_fabric_config *config);
/* Returns NULL (message on stderr) when out of memory or the log cannot be
 * opened. */
struct hs_fabric *hs_fabric_new(const struct hs_fabric_config *config);
void hs_fabric_free(struct hs_fabric *fabric); /* NULL-safe; closes fds */
const char *hs_fabric_error(const struct hs_fabric *fabric);
int64_t hs_fabric_now_ms(void); /* CLOCK_MONOTONIC in ms */

/* -------------------------------------------------------------- topology */

/* Names: 1..31 characters of [A-Za-z0-9_.-]; unique per kind. */
int hs_fabric_switch_add(struct hs_fabric *fabric, const char *name);
/* Creates TAP device ifname (in the caller's namespace) and keeps its fd;
 * the device may then be moved to another namespace. */
int hs_fabric_endpoint_add_tap(struct hs_fabric *fabric, const char *name, const char *ifname);
/* Adopts an open TAP fd (IFF_TAP | IFF_NO_PI); the fabric closes it. */
int hs_fabric_endpoint_add_tap_fd(struct hs_fabric *fabric, const char *name, int fd);
/* Gives TAP endpoint `name` a new fd (its node came back in a new
 * namespace, say), closing the old one; cables, bond and counters stay. A
 * TAP whose device vanished is closed by the fabric and idles until then. */
int hs_fabric_endpoint_tap_fd_replace(struct hs_fabric *fabric, const char *name, int fd);
/* A UDP tunnel on 127.0.0.1: receives on local_port (0 = pick one, the
 * port is stored in *local_port_out when not NULL) and sends to
 * remote_port. For QEMU's udp netdev, local_port is QEMU's remote port. */
int hs_fabric_endpoint_add_udp(struct hs_fabric *fabric, const char *name, uint16_t local_port,
			       uint16_t remote_port, uint16_t *local_port_out);
/* An in-memory endpoint (the virtual backend's NICs and uplink): no fd.
 * Frames for it go to ops->deliver, carrier changes (after a fault; the
 * carrier at creation is up once cabled, as hs_fabric_endpoint_carrier_get
 * says) to ops->carrier (may be NULL). Both are called from inside fabric
 * calls and must not call back into the fabric: queue, and act later.
 * Returns the endpoint's id (>= 0) for hs_fabric_endpoint_send, or -1. */
struct hs_fabric_memory_ops {
	void (*deliver)(void *context, int endpoint, const uint8_t *frame, size_t length,
			int64_t now_ms);
	void (*carrier)(void *context, int endpoint, bool up, int64_t now_ms);
	void *context;
};
int hs_fabric_endpoint_add_memory(struct hs_fabric *fabric, const char *name,
				  const struct hs_fabric_memory_ops *ops);
/* A frame sent by in-memory endpoint `endpoint` at now_ms: it crosses the
 * endpoint's active cable like a frame read from a TAP. Frames for other
 * in-memory endpoints are handed to their deliver callbacks before this
 * returns (delayed ones later, from hs_fabric_timers_run). Returns 0, or
 * -1 for an id that is not an in-memory endpoint. */
int hs_fabric_endpoint_send(struct hs_fabric *fabric, int endpoint, const uint8_t *frame,
			    size_t length, int64_t now_ms);
/* Cable from an endpoint to a switch. A second cable on the same endpoint
 * makes it an active-backup bond (the first cable starts active). */
int hs_fabric_cable_add(struct hs_fabric *fabric, const char *cable, const char *endpoint,
			const char *switch_name);
/* Inter-switch cable: TO_SWITCH runs from switch_a to switch_b. */
int hs_fabric_trunk_add(struct hs_fabric *fabric, const char *cable, const char *switch_a,
			const char *switch_b);
/* A libslirp uplink (restricted: nothing outside is reachable) as endpoint
 * `name`, cabled to switch_name with cable `cable`. Network 192.0.2.0/24,
 * virtual host (gateway, answers ICMP echo) 192.0.2.1, no DHCP, no DNS. */
int hs_fabric_uplink_add(struct hs_fabric *fabric, const char *name, const char *cable,
			 const char *switch_name);
/* TCP forward 127.0.0.1:host_port -> guest_ip:guest_port through uplink
 * `name`; host_port 0 = pick a free one, reported in *host_port_out. */
int hs_fabric_uplink_forward_add(struct hs_fabric *fabric, const char *name, uint16_t host_port,
				 const char *guest_ip, uint16_t guest_port,
				 uint16_t *host_port_out);

/* ---------------------------------------------------------------- faults */

/* Every fault is appended to the fault log with now_ms and reason. */
int hs_fabric_cable_link_set(struct hs_fabric *fabric, const char *cable, enum hs_dir dir, bool up,
			     int64_t now_ms, const char *reason);
int hs_fabric_cable_impair(struct hs_fabric *fabric, const char *cable, enum hs_dir dir,
			   const struct hs_impair *impair, int64_t now_ms, const char *reason);
/* Frames from any endpoint in from[] to any endpoint in to[] are dropped.
 * Returns the rule id (>= 0) for hs_fabric_partition_heal. */
int hs_fabric_partition_add(struct hs_fabric *fabric, const char *const *from, size_t from_count,
			    const char *const *to, size_t to_count, int64_t now_ms,
			    const char *reason);
/* rule_id -1 heals every partition. */
int hs_fabric_partition_heal(struct hs_fabric *fabric, int rule_id, int64_t now_ms,
			     const char *reason);
/* Power off: all ports dead, MAC table cleared; carriers drop. */
int hs_fabric_switch_power_set(struct hs_fabric *fabric, const char *switch_name, bool on,
			       int64_t now_ms, const char *reason);

/* ----------------------------------------------------------------- state */

/* Watch who speaks for address ("192.0.2.10": ARP replies, gratuitous ARP,
 * IPv4 from it) as frames reach their first switch: a "cluster_ip_watch"
 * line at now_ms, then "cluster_ip_seen" lines in the fault log, at most one per endpoint every
 * HS_OBSERVE_SAMPLE_MS (observe.c). */
#define HS_OBSERVE_SAMPLE_MS 100
int hs_fabric_observe_ip(struct hs_fabric *fabric, const char *address, int64_t now_ms);
int hs_fabric_endpoint_carrier_get(const struct hs_fabric *fabric, const char *endpoint, bool *up);
/* The bond's active cable name (the only cable for a plain endpoint). */
int hs_fabric_endpoint_active_cable(const struct hs_fabric *fabric, const char *endpoint,
				    const char **cable);
/* dir is TO_SWITCH or FROM_SWITCH. */
int hs_fabric_cable_counters_get(const struct hs_fabric *fabric, const char *cable, enum hs_dir dir,
				 struct hs_counters *out);
/* {"cables":{"<name>":{"to_switch":{...},"from_switch":{...}}},...} + newline. */
int hs_fabric_counters_write_json(const struct hs_fabric *fabric, FILE *out);
/* Carrier changes of every endpoint, oldest first. Returns 1 and fills *out,
 * or 0 when none is left. When more than HS_FABRIC_CARRIER_EVENTS_MAX wait,
 * the oldest are dropped. The VM backend sets the guest NIC link from these. */
int hs_fabric_carrier_event_pop(struct hs_fabric *fabric, struct hs_carrier_event *out);
/* MAC table entries of a switch (valid at now_ms); -1 for unknown names. */
int hs_fabric_switch_mac_count(const struct hs_fabric *fabric, const char *switch_name,
			       int64_t now_ms);

/* ------------------------------------------------------------ event loop */

/* Fills fds (at most cap) with the fabric's fds and libslirp's; returns how
 * many, or -1. *timeout_ms (-1 = infinite) is lowered to the next deadline. */
int hs_fabric_pollfds_fill(struct hs_fabric *fabric, struct pollfd *fds, size_t cap, int64_t now_ms,
			   int *timeout_ms);
/* Handles the fds that poll() marked ready (the same n fds as filled) and
 * then runs due timers. */
int hs_fabric_pollfds_handle(struct hs_fabric *fabric, const struct pollfd *fds, size_t count,
			     int64_t now_ms);
/* The next absolute deadline in ms, or -1 when nothing waits. */
int64_t hs_fabric_deadline_ms(const struct hs_fabric *fabric);
/* Delivers delayed frames whose time has come; returns how many. */
int hs_fabric_timers_run(struct hs_fabric *fabric, int64_t now_ms);

#endif /* HS_FABRIC_H */
