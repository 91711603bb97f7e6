/*
 * vnet.h - the virtual lab's event loop between two instants of the
 * runner: the fabric's in-memory endpoints, frames in flight to them, and
 * everything else that has a time (kernels' and the uplink's timers, the
 * nodes' timers, the backend's own calls).
 *
 * A port is one in-memory endpoint of the fabric (a node's bond, the
 * uplink) and whoever receives its frames. hs_vnet_send puts a frame into
 * the fabric at once; the fabric hands the frames for other ports to
 * vnet's callbacks, which only queue them (vsched.h): a frame reaches its
 * receiver after a delivery delay of HS_VNET_DELIVERY_MIN_US plus a seeded
 * jitter of 0..HS_VNET_DELIVERY_JITTER_US (a NIC, a kernel and a process
 * wake-up), and frames to one port keep their order (a NIC's queue is
 * FIFO). Carrier changes reach the receiver after the same delay.
 *
 * Timers are sources that say when they want to run (next_us) and run
 * (run); hs_vnet_run_due runs, in time order, every event and timer due up
 * to now_us: at equal times queued events before timers, timers in the
 * order they were added. The fabric's delayed frames are a source too, at
 * the start of their millisecond.
 */
#ifndef HS_VNET_H
#define HS_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vsched.h"

#define HS_VNET_PORTS_MAX	   8
#define HS_VNET_TIMERS_MAX	   16
#define HS_VNET_DELIVERY_MIN_US	   20
#define HS_VNET_DELIVERY_JITTER_US 200
/* Runs in one hs_vnet_run_due without virtual time moving past the latest
 * instant already run (at one instant, or back and forth before it)
 * before it is a stall. */
#define HS_VNET_NO_PROGRESS_STEPS_MAX 100000

struct hs_fabric;

struct hs_vnet_receiver {
	void (*frame)(void *context, const uint8_t *frame, size_t length, int64_t now_us);
	void (*carrier)(void *context, bool up, int64_t now_us);
	void *context;
};

struct hs_vnet_timer {
	int64_t (*next_us)(void *context); /* -1: nothing */
	void (*run)(void *context, int64_t now_us);
	void *context;
	const char *name; /* for a stall's sentence ("node2's host"); NULL: "a timer" */
};

/* The backend's own events (HS_VEVENT_CALL). */
typedef void hs_vnet_call_fn(void *context, const struct hs_vevent *event, int64_t now_us);

struct hs_vnet;

/* NULL when out of memory. The fabric stays the caller's. */
struct hs_vnet *hs_vnet_new(struct hs_fabric *fabric, uint64_t seed, hs_vnet_call_fn *call,
			    void *call_context);
void hs_vnet_free(struct hs_vnet *vnet); /* NULL-safe */

/* An in-memory endpoint `name` of the fabric for receiver; returns the
 * port (>= 0), or -1 with the fabric's message in error. */
int hs_vnet_port_add(struct hs_vnet *vnet, const char *name,
		     const struct hs_vnet_receiver *receiver, char *error, size_t error_size);
int hs_vnet_timer_add(struct hs_vnet *vnet, const struct hs_vnet_timer *timer);

/* A frame leaves port at now_us. */
void hs_vnet_send(struct hs_vnet *vnet, int port, const uint8_t *frame, size_t length,
		  int64_t now_us);
/* Queue the backend's own event; NULL when the queue is full. */
struct hs_vevent *hs_vnet_call(struct hs_vnet *vnet, int64_t due_us);
/* Uniform in 0..bound_us from the seeded jitter. */
int64_t hs_vnet_jitter_us(struct hs_vnet *vnet, uint32_t bound_us);

int64_t hs_vnet_next_us(const struct hs_vnet *vnet); /* -1: nothing waits */
/* Run everything due up to now_us; -1 with a sentence in error when
 * something stays due (a stall: HS_VNET_NO_PROGRESS_STEPS_MAX runs without
 * virtual time moving on; the sentence names the source and its time),
 * else 0. */
int hs_vnet_run_due(struct hs_vnet *vnet, int64_t now_us, char *error, size_t error_size);
/* Frames that found the queue full (counted, as a NIC's full ring). */
uint64_t hs_vnet_dropped(const struct hs_vnet *vnet);

#endif
