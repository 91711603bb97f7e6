/*
 * fabric_int.h - the fabric's internal structures, shared by its files.
 *
 *   fabric.c    life cycle, names, topology, state queries
 *   faults.c    link, impairments, partitions, switch power
 *   switch.c    learning switches (MAC table with aging), the frame path
 *               across cables (link, partition, impairments) and bonds
 *   impair.c    the seeded PRNG and the bounded delay queue (a min-heap)
 *   endpoint.c  TAP, UDP and in-memory endpoints: reading, writing, carrier
 *   uplink.c    the libslirp uplink
 *   faultlog.c  the JSON-lines fault log
 *   observe.c   who answers for the cluster IP (lines in the fault log)
 *   loop.c      pollfds fill/handle, deadlines
 *
 * A frame enters at an endpoint, crosses the endpoint's active cable
 * (TO_SWITCH), is switched, and crosses egress cables (FROM_SWITCH) to
 * endpoints or trunks. Cables and endpoints are referenced by index.
 */
#ifndef HS_FABRIC_INT_H
#define HS_FABRIC_INT_H

#include "fabric.h"

#include <libslirp.h>

enum hs_endpoint_kind {
	HS_ENDPOINT_TAP = 1,
	HS_ENDPOINT_UDP,
	HS_ENDPOINT_UPLINK,
	HS_ENDPOINT_MEMORY
};

struct hs_mac_entry {
	uint8_t mac[6];
	int port;
	int64_t seen_ms;
};

struct hs_switch {
	char name[HS_FABRIC_NAME_MAX];
	bool powered;
	int port_cable[HS_FABRIC_PORTS_MAX]; /* cable index on each port */
	int port_count;
	struct hs_mac_entry *macs; /* mac_table_max entries */
	size_t mac_count;
};

/* A cable's ends: end 0 is an endpoint (endpoint >= 0) or switch_a of a
 * trunk; end 1 is always a switch. */
struct hs_cable {
	char name[HS_FABRIC_NAME_MAX];
	int endpoint; /* -1 for a trunk */
	int switch_a; /* trunk only, else -1 */
	int port_a;   /* trunk only: port on switch_a */
	int switch_b;
	int port_b;
	bool up[2]; /* per direction */
	struct hs_impair impair[2];
	struct hs_counters counters[2];
};

struct hs_uplink;

struct hs_endpoint {
	char name[HS_FABRIC_NAME_MAX];
	enum hs_endpoint_kind kind;
	int fd; /* TAP or UDP socket; -1 for an uplink */
	uint16_t remote_port;
	int cables[2];
	int cable_count;
	int active; /* index into cables[] */
	bool carrier;
	struct hs_uplink *uplink;
	struct hs_fabric_memory_ops memory; /* HS_ENDPOINT_MEMORY */
};

struct hs_partition {
	bool used;
	uint32_t from_mask; /* endpoint index bits */
	uint32_t to_mask;
};

/* One waiting frame: either an endpoint's input deferred (endpoint >= 0)
 * or a frame in flight on cable/dir until due_ms. */
struct hs_queued_frame {
	int64_t due_ms;
	uint64_t seq; /* keeps FIFO order among equal due times */
	int endpoint;
	int cable;
	int dir;
	int origin; /* endpoint the frame came from */
	int hops;
	uint16_t length;
	uint8_t data[HS_FABRIC_FRAME_MAX];
};

/* A frame being moved: its bytes and where it came from. */
struct hs_frame_ref {
	const uint8_t *data;
	size_t length;
	int origin; /* endpoint index */
	int hops;   /* switches crossed so far */
};

struct hs_fabric {
	struct hs_fabric_config config;
	char error[HS_FABRIC_ERROR_MAX];
	FILE *fault_log;
	uint64_t prng_state;
	struct hs_switch switches[HS_FABRIC_SWITCHES_MAX];
	int switch_count;
	struct hs_endpoint endpoints[HS_FABRIC_ENDPOINTS_MAX];
	int endpoint_count;
	struct hs_cable cables[HS_FABRIC_CABLES_MAX];
	int cable_count;
	struct hs_partition partitions[HS_FABRIC_PARTITIONS_MAX];
	struct hs_queued_frame *queue; /* min-heap of delay_queue_max */
	size_t queue_count;
	uint64_t queue_seq;
	struct hs_carrier_event carrier_events[HS_FABRIC_CARRIER_EVENTS_MAX];
	size_t carrier_head, carrier_count;
	struct hs_uplink *uplinks[HS_FABRIC_UPLINKS_MAX];
	int uplink_count;
	uint64_t dropped_loop;
	/* observe.c: the watched address (network order) and, per endpoint,
	 * when it was last logged as speaking for it. */
	bool observing;
	uint8_t observe_ip[4];
	int64_t observe_last_ms[HS_FABRIC_ENDPOINTS_MAX];
	uint8_t scratch[65536];		       /* one read from a TAP or socket */
	struct hs_queued_frame scratch_queued; /* a frame being queued or popped */
};

/* fabric.c */
int hs_fabric_fail(struct hs_fabric *fabric, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int hs_cable_find(const struct hs_fabric *fabric, const char *name);
int hs_endpoint_find(const struct hs_fabric *fabric, const char *name);
int hs_switch_find(const struct hs_fabric *fabric, const char *name);
int hs_endpoint_slot_add(struct hs_fabric *fabric, const char *func, const char *name,
			 enum hs_endpoint_kind kind, int fd);
int hs_cable_slot_add(struct hs_fabric *fabric, const char *func, const char *name);
int hs_switch_port_add(struct hs_fabric *fabric, const char *func, int sw, int cable);

/* switch.c */
void hs_endpoint_input(struct hs_fabric *fabric, int endpoint, const uint8_t *frame, size_t length,
		       int64_t now_ms);
void hs_cable_deliver(struct hs_fabric *fabric, int cable, int dir,
		      const struct hs_frame_ref *frame, int64_t now_ms);
void hs_switch_macs_flush(struct hs_switch *sw);
size_t hs_switch_macs_valid(const struct hs_fabric *fabric, const struct hs_switch *sw,
			    int64_t now_ms);
void hs_carrier_update(struct hs_fabric *fabric, int64_t now_ms);

/* impair.c */
uint64_t hs_prng_next(struct hs_fabric *fabric);
bool hs_prng_chance(struct hs_fabric *fabric, double pct);
int hs_queue_push(struct hs_fabric *fabric, const struct hs_queued_frame *frame);
const struct hs_queued_frame *hs_queue_peek(const struct hs_fabric *fabric);
void hs_queue_pop(struct hs_fabric *fabric, struct hs_queued_frame *out);

/* endpoint.c */
void hs_endpoint_output(struct hs_fabric *fabric, int endpoint, const uint8_t *frame, size_t length,
			int64_t now_ms);
void hs_endpoint_readable(struct hs_fabric *fabric, int endpoint, int64_t now_ms);
void hs_endpoint_carrier_apply(struct hs_fabric *fabric, int endpoint);
/* A carrier change after a fault: TAP carrier, in-memory callback. */
void hs_endpoint_carrier_changed(struct hs_fabric *fabric, int endpoint, int64_t now_ms);

/* uplink.c */
void hs_uplink_free(struct hs_uplink *uplink);
void hs_uplink_input(struct hs_uplink *uplink, const uint8_t *frame, size_t length);
int hs_uplink_pollfds_fill(struct hs_uplink *uplink, struct pollfd *fds, size_t cap, size_t used,
			   uint32_t *timeout_ms);
void hs_uplink_pollfds_handle(struct hs_uplink *uplink, const struct pollfd *fds, size_t count);
int64_t hs_uplink_deadline_ms(const struct hs_uplink *uplink);
void hs_uplink_timers_run(struct hs_uplink *uplink, int64_t now_ms);

/* observe.c: a frame from endpoint reached its first switch. */
void hs_observe_frame(struct hs_fabric *fabric, int endpoint, const uint8_t *data, size_t length,
		      int64_t now_ms);

/* faultlog.c */
int hs_faultlog_open(struct hs_fabric *fabric, const char *path);
/* fields: preformatted JSON members without braces, e.g. "\"cable\":\"x\"". */
void hs_faultlog_write(struct hs_fabric *fabric, int64_t now_ms, const char *event,
		       const char *fields, const char *reason);

#endif /* HS_FABRIC_INT_H */
