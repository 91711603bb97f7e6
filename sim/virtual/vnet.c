/*
 * vnet.c - the virtual lab's event loop (see vnet.h): ports on the
 * fabric's in-memory endpoints, frames in flight with their delivery
 * delay, timers, and the backend's own events, run in time order.
 */
#include "vnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fabric/fabric.h"

struct hs_vnet_port {
	int endpoint; /* the fabric's id */
	struct hs_vnet_receiver receiver;
	int64_t last_due_us; /* FIFO per port */
};

struct hs_vnet {
	struct hs_fabric *fabric;
	struct hs_vsched *sched;
	struct hs_vnet_port ports[HS_VNET_PORTS_MAX];
	int port_count;
	struct hs_vnet_timer timers[HS_VNET_TIMERS_MAX];
	int timer_count;
	hs_vnet_call_fn *call;
	void *call_context;
	int64_t now_us; /* of the event being run: when the fabric calls back */
	uint64_t dropped;
};

struct hs_vnet *hs_vnet_new(struct hs_fabric *fabric, uint64_t seed, hs_vnet_call_fn *call,
			    void *call_context)
{
	struct hs_vnet *vnet = calloc(1, sizeof(*vnet));

	if (!vnet)
		return NULL;
	vnet->sched = hs_vsched_new(seed);
	if (!vnet->sched) {
		free(vnet);
		return NULL;
	}
	vnet->fabric = fabric;
	vnet->call = call;
	vnet->call_context = call_context;
	return vnet;
}

void hs_vnet_free(struct hs_vnet *vnet)
{
	if (!vnet)
		return;
	hs_vsched_free(vnet->sched);
	free(vnet);
}

static int vnet_port_of(const struct hs_vnet *vnet, int endpoint)
{
	for (int i = 0; i < vnet->port_count; i++)
		if (vnet->ports[i].endpoint == endpoint)
			return i;
	return -1;
}

/* When a frame (or a carrier change) sent now reaches port: after the
 * delivery delay, and after what is already on its way there. */
static int64_t vnet_arrival_us(struct hs_vnet *vnet, int port, int64_t now_us)
{
	int64_t due_us = now_us + HS_VNET_DELIVERY_MIN_US +
			 hs_vsched_jitter_us(vnet->sched, HS_VNET_DELIVERY_JITTER_US);

	if (due_us <= vnet->ports[port].last_due_us)
		due_us = vnet->ports[port].last_due_us + 1;
	vnet->ports[port].last_due_us = due_us;
	return due_us;
}

/* The fabric's time is whole ms; a frame it delivers "now" left at the
 * current event's time, or at the start of the ms for a delayed frame. */
static int64_t vnet_fabric_now_us(const struct hs_vnet *vnet, int64_t now_ms)
{
	return vnet->now_us / 1000 == now_ms ? vnet->now_us : now_ms * 1000;
}

static void vnet_deliver(void *context, int endpoint, const uint8_t *frame, size_t length,
			 int64_t now_ms)
{
	struct hs_vnet *vnet = context;
	int port = vnet_port_of(vnet, endpoint);
	struct hs_vevent *event;

	if (port < 0 || length > HS_VSCHED_DATA_MAX)
		return;
	event = hs_vsched_push(vnet->sched,
			       vnet_arrival_us(vnet, port, vnet_fabric_now_us(vnet, now_ms)));
	if (!event) {
		vnet->dropped++;
		return;
	}
	event->kind = HS_VEVENT_FRAME;
	event->target = port;
	event->length = (uint16_t)length;
	memcpy(event->data, frame, length);
}

static void vnet_carrier(void *context, int endpoint, bool up, int64_t now_ms)
{
	struct hs_vnet *vnet = context;
	int port = vnet_port_of(vnet, endpoint);
	struct hs_vevent *event;

	if (port < 0)
		return;
	event = hs_vsched_push(vnet->sched,
			       vnet_arrival_us(vnet, port, vnet_fabric_now_us(vnet, now_ms)));
	if (!event) {
		vnet->dropped++;
		return;
	}
	event->kind = HS_VEVENT_CARRIER;
	event->target = port;
	event->code = up;
}

int hs_vnet_port_add(struct hs_vnet *vnet, const char *name,
		     const struct hs_vnet_receiver *receiver, char *error, size_t error_size)
{
	struct hs_fabric_memory_ops ops = {vnet_deliver, vnet_carrier, vnet};
	struct hs_vnet_port *port;
	int endpoint;

	if (vnet->port_count >= HS_VNET_PORTS_MAX) {
		snprintf(error, error_size, "hs_vnet_port_add: %s: more than %d ports", name,
			 HS_VNET_PORTS_MAX);
		return -1;
	}
	endpoint = hs_fabric_endpoint_add_memory(vnet->fabric, name, &ops);
	if (endpoint < 0) {
		snprintf(error, error_size, "%s", hs_fabric_error(vnet->fabric));
		return -1;
	}
	port = &vnet->ports[vnet->port_count];
	memset(port, 0, sizeof(*port));
	port->endpoint = endpoint;
	port->receiver = *receiver;
	return vnet->port_count++;
}

int hs_vnet_timer_add(struct hs_vnet *vnet, const struct hs_vnet_timer *timer)
{
	if (vnet->timer_count >= HS_VNET_TIMERS_MAX)
		return -1;
	vnet->timers[vnet->timer_count++] = *timer;
	return 0;
}

void hs_vnet_send(struct hs_vnet *vnet, int port, const uint8_t *frame, size_t length,
		  int64_t now_us)
{
	int64_t saved_us = vnet->now_us;

	if (port < 0 || port >= vnet->port_count)
		return;
	vnet->now_us = now_us;
	hs_fabric_endpoint_send(vnet->fabric, vnet->ports[port].endpoint, frame, length,
				now_us / 1000);
	vnet->now_us = saved_us > now_us ? saved_us : now_us;
}

struct hs_vevent *hs_vnet_call(struct hs_vnet *vnet, int64_t due_us)
{
	struct hs_vevent *event = hs_vsched_push(vnet->sched, due_us);

	if (event)
		event->kind = HS_VEVENT_CALL;
	return event;
}

int64_t hs_vnet_jitter_us(struct hs_vnet *vnet, uint32_t bound_us)
{
	return hs_vsched_jitter_us(vnet->sched, bound_us);
}

/* ------------------------------------------------------------------ run */

static int64_t vnet_earliest(int64_t a_us, int64_t b_us)
{
	return a_us < 0 ? b_us : b_us < 0 ? a_us : a_us < b_us ? a_us : b_us;
}

/* The first timer due first (the lowest index at equal times), or -1. */
static int vnet_first_timer(const struct hs_vnet *vnet, int64_t *due_us)
{
	int first = -1;

	*due_us = -1;
	for (int i = 0; i < vnet->timer_count; i++) {
		int64_t next_us = vnet->timers[i].next_us(vnet->timers[i].context);
		if (next_us >= 0 && (*due_us < 0 || next_us < *due_us)) {
			*due_us = next_us;
			first = i;
		}
	}
	return first;
}

int64_t hs_vnet_next_us(const struct hs_vnet *vnet)
{
	int64_t timer_us, fabric_ms = hs_fabric_deadline_ms(vnet->fabric);

	vnet_first_timer(vnet, &timer_us);
	return vnet_earliest(vnet_earliest(hs_vsched_next_us(vnet->sched), timer_us),
			     fabric_ms >= 0 ? fabric_ms * 1000 : -1);
}

static void vnet_event_run(struct hs_vnet *vnet, const struct hs_vevent *event)
{
	const struct hs_vnet_port *port;

	if (event->kind == HS_VEVENT_CALL) {
		if (vnet->call)
			vnet->call(vnet->call_context, event, event->due_us);
		return;
	}
	if (event->target < 0 || event->target >= vnet->port_count)
		return;
	port = &vnet->ports[event->target];
	if (event->kind == HS_VEVENT_FRAME && port->receiver.frame)
		port->receiver.frame(port->receiver.context, event->data, event->length,
				     event->due_us);
	else if (event->kind == HS_VEVENT_CARRIER && port->receiver.carrier)
		port->receiver.carrier(port->receiver.context, event->code != 0, event->due_us);
}

static void vnet_stall(const struct hs_vnet *vnet, int timer, bool fabric, int64_t due_us,
		       uint32_t runs, char *error, size_t error_size)
{
	const char *name = fabric ? "the fabric's delayed frames"
			   : timer >= 0
			       ? (vnet->timers[timer].name ? vnet->timers[timer].name : "a timer")
			       : "a queued event";

	snprintf(error, error_size,
		 "%s stays due at %lld us: %u runs without virtual time moving on", name,
		 (long long)due_us, runs);
}

int hs_vnet_run_due(struct hs_vnet *vnet, int64_t now_us, char *error, size_t error_size)
{
	uint32_t runs_without_progress = 0;
	int64_t latest_us = -1; /* the latest instant run in this call */

	for (;;) {
		int64_t event_us = hs_vsched_next_us(vnet->sched), timer_us, fabric_ms, due_us;
		int timer = vnet_first_timer(vnet, &timer_us);
		bool fabric;

		fabric_ms = hs_fabric_deadline_ms(vnet->fabric);
		due_us = vnet_earliest(vnet_earliest(event_us, timer_us),
				       fabric_ms >= 0 ? fabric_ms * 1000 : -1);
		if (due_us < 0 || due_us > now_us)
			return 0;
		fabric = fabric_ms >= 0 && fabric_ms * 1000 == due_us && due_us != event_us &&
			 due_us != timer_us;
		/* A source due again and again at an instant already run (or
		 * before it) makes no progress: a stall, whatever its times. */
		if (due_us > latest_us) {
			latest_us = due_us;
			runs_without_progress = 0;
		} else if (++runs_without_progress > HS_VNET_NO_PROGRESS_STEPS_MAX) {
			vnet_stall(vnet, event_us == due_us ? -1 : timer, fabric, due_us,
				   runs_without_progress, error, error_size);
			return -1;
		}
		vnet->now_us = due_us;
		if (fabric) {
			hs_fabric_timers_run(vnet->fabric, fabric_ms);
		} else if (event_us == due_us) {
			struct hs_vevent *event = hs_vsched_pop_due(vnet->sched, due_us);
			vnet_event_run(vnet, event);
			hs_vsched_release(vnet->sched, event);
		} else {
			vnet->timers[timer].run(vnet->timers[timer].context, due_us);
		}
	}
}

uint64_t hs_vnet_dropped(const struct hs_vnet *vnet)
{
	return vnet->dropped;
}
