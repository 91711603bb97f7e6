/*
 * switch.c - the frame path: endpoints, cables, learning switches, bonds.
 *
 * A frame from a node enters at its endpoint and takes the endpoint's
 * active cable towards the switch. Crossing a cable in one direction
 * checks, in this order: link (the direction is up and the switches at its
 * ends have power), partition (only on the last cable, towards an
 * endpoint: is a rule dropping origin -> this endpoint?), loss, then
 * duplication and delay. A frame without delay is delivered at once; a
 * delayed one waits in the delay queue and the link is checked again when
 * it arrives (frames in flight die with the link).
 *
 * A switch learns the source MAC on the ingress port (bounded table, the
 * oldest entry makes room, entries older than mac_aging_ms are ignored),
 * forwards known unicast to one port and floods broadcast, multicast and
 * unknown unicast to every port but the ingress one. A frame that crossed
 * HS_FABRIC_HOPS_MAX switches is dropped, so a looped topology cannot
 * recurse forever.
 *
 * A bond (an endpoint with two cables) transmits and accepts frames on its
 * active cable only. When the active cable loses its carrier and the other
 * has one, the bond fails over and every switch forgets its MAC table, as
 * after a topology change, so frames reach the node's new port at once.
 */
#include "fabric_int.h"

#include <string.h>

/* ------------------------------------------------------------ MAC tables */

static bool hs_mac_entry_valid(const struct hs_fabric *fabric, const struct hs_mac_entry *entry,
			       int64_t now_ms)
{
	return now_ms - entry->seen_ms < fabric->config.mac_aging_ms;
}

void hs_switch_macs_flush(struct hs_switch *sw)
{
	sw->mac_count = 0;
}

size_t hs_switch_macs_valid(const struct hs_fabric *fabric, const struct hs_switch *sw,
			    int64_t now_ms)
{
	size_t valid = 0;

	for (size_t i = 0; i < sw->mac_count; i++)
		if (hs_mac_entry_valid(fabric, &sw->macs[i], now_ms))
			valid++;
	return valid;
}

static void hs_switch_learn(struct hs_fabric *fabric, struct hs_switch *sw, const uint8_t *mac,
			    int port, int64_t now_ms)
{
	size_t slot = sw->mac_count;

	if (mac[0] & 1) /* a group address is never a source */
		return;
	for (size_t i = 0; i < sw->mac_count; i++) {
		if (memcmp(sw->macs[i].mac, mac, 6) == 0) {
			slot = i;
			break;
		}
	}
	if (slot == sw->mac_count && sw->mac_count >= fabric->config.mac_table_max) {
		slot = 0; /* full: the entry seen longest ago makes room */
		for (size_t i = 1; i < sw->mac_count; i++)
			if (sw->macs[i].seen_ms < sw->macs[slot].seen_ms)
				slot = i;
	} else if (slot == sw->mac_count) {
		sw->mac_count++;
	}
	memcpy(sw->macs[slot].mac, mac, 6);
	sw->macs[slot].port = port;
	sw->macs[slot].seen_ms = now_ms;
}

static int hs_switch_lookup(const struct hs_fabric *fabric, const struct hs_switch *sw,
			    const uint8_t *mac, int64_t now_ms)
{
	if (mac[0] & 1)
		return -1;
	for (size_t i = 0; i < sw->mac_count; i++)
		if (memcmp(sw->macs[i].mac, mac, 6) == 0 &&
		    hs_mac_entry_valid(fabric, &sw->macs[i], now_ms))
			return sw->macs[i].port;
	return -1;
}

/* ----------------------------------------------------------------- cables */

static bool hs_cable_usable(const struct hs_fabric *fabric, const struct hs_cable *cable, int dir)
{
	if (!cable->up[dir] || !fabric->switches[cable->switch_b].powered)
		return false;
	return cable->switch_a < 0 || fabric->switches[cable->switch_a].powered;
}

static bool hs_partitioned(const struct hs_fabric *fabric, int origin, int endpoint)
{
	for (int i = 0; i < HS_FABRIC_PARTITIONS_MAX; i++) {
		const struct hs_partition *p = &fabric->partitions[i];

		if (p->used && (p->from_mask & (1u << origin)) && (p->to_mask & (1u << endpoint)))
			return true;
	}
	return false;
}

/* One copy after loss and duplication: now or later. */
static void hs_cable_schedule(struct hs_fabric *fabric, int c, int dir,
			      const struct hs_frame_ref *frame, int64_t now_ms)
{
	struct hs_cable *cable = &fabric->cables[c];
	const struct hs_impair *impair = &cable->impair[dir];
	struct hs_queued_frame queued;
	int64_t delay_ms = impair->delay_ms;

	if (impair->jitter_ms > 0)
		delay_ms += (int64_t)(hs_prng_next(fabric) % (2ULL * impair->jitter_ms + 1)) -
			    impair->jitter_ms;
	if (impair->delay_ms == 0 && impair->jitter_ms == 0) {
		hs_cable_deliver(fabric, c, dir, frame, now_ms);
		return;
	}
	queued.due_ms = now_ms + (delay_ms > 0 ? delay_ms : 0);
	queued.endpoint = -1;
	queued.cable = c;
	queued.dir = dir;
	queued.origin = frame->origin;
	queued.hops = frame->hops;
	queued.length = (uint16_t)frame->length;
	memcpy(queued.data, frame->data, frame->length);
	if (hs_queue_push(fabric, &queued) < 0)
		cable->counters[dir].dropped_queue_full++;
	else
		cable->counters[dir].delayed++;
}

static void hs_cable_send(struct hs_fabric *fabric, int c, int dir,
			  const struct hs_frame_ref *frame, int64_t now_ms)
{
	struct hs_cable *cable = &fabric->cables[c];
	struct hs_counters *counters = &cable->counters[dir];
	bool twice;

	if (!hs_cable_usable(fabric, cable, dir)) {
		counters->dropped_link++;
		return;
	}
	if (dir == HS_DIR_FROM_SWITCH && cable->endpoint >= 0 &&
	    hs_partitioned(fabric, frame->origin, cable->endpoint)) {
		counters->dropped_partition++;
		return;
	}
	if (hs_prng_chance(fabric, cable->impair[dir].loss_pct)) {
		counters->dropped_loss++;
		return;
	}
	twice = hs_prng_chance(fabric, cable->impair[dir].dup_pct);
	hs_cable_schedule(fabric, c, dir, frame, now_ms);
	if (twice) {
		counters->duplicated++;
		hs_cable_schedule(fabric, c, dir, frame, now_ms);
	}
}

/* ---------------------------------------------------------------- switches */

static void hs_switch_input(struct hs_fabric *fabric, int s, int in_port,
			    const struct hs_frame_ref *frame, int64_t now_ms)
{
	struct hs_switch *sw = &fabric->switches[s];
	struct hs_frame_ref out = *frame;
	int target;

	if (frame->hops >= HS_FABRIC_HOPS_MAX) {
		fabric->dropped_loop++;
		return;
	}
	out.hops = frame->hops + 1;
	if (frame->hops == 0)
		hs_observe_frame(fabric, frame->origin, frame->data, frame->length, now_ms);
	hs_switch_learn(fabric, sw, frame->data + 6, in_port, now_ms);
	target = hs_switch_lookup(fabric, sw, frame->data, now_ms);
	for (int port = 0; port < sw->port_count; port++) {
		int c = sw->port_cable[port];
		const struct hs_cable *cable = &fabric->cables[c];
		int dir;

		if (port == in_port || (target >= 0 && port != target))
			continue;
		/* Leaving switch_b runs against the cable; leaving switch_a with it. */
		dir = (cable->switch_b == s && cable->port_b == port) ? HS_DIR_FROM_SWITCH
								      : HS_DIR_TO_SWITCH;
		hs_cable_send(fabric, c, dir, &out, now_ms);
	}
}

void hs_cable_deliver(struct hs_fabric *fabric, int c, int dir, const struct hs_frame_ref *frame,
		      int64_t now_ms)
{
	struct hs_cable *cable = &fabric->cables[c];

	if (!hs_cable_usable(fabric, cable, dir)) {
		cable->counters[dir].dropped_link++;
		return;
	}
	cable->counters[dir].forwarded++;
	if (dir == HS_DIR_TO_SWITCH) {
		hs_switch_input(fabric, cable->switch_b, cable->port_b, frame, now_ms);
	} else if (cable->switch_a >= 0) {
		hs_switch_input(fabric, cable->switch_a, cable->port_a, frame, now_ms);
	} else {
		const struct hs_endpoint *ep = &fabric->endpoints[cable->endpoint];

		/* A bond accepts frames from its active cable only. */
		if (ep->cables[ep->active] == c)
			hs_endpoint_output(fabric, cable->endpoint, frame->data, frame->length,
					   now_ms);
	}
}

void hs_endpoint_input(struct hs_fabric *fabric, int endpoint, const uint8_t *data, size_t length,
		       int64_t now_ms)
{
	const struct hs_endpoint *ep = &fabric->endpoints[endpoint];
	struct hs_frame_ref frame = {data, length, endpoint, 0};
	int c;

	if (ep->cable_count == 0)
		return;
	c = ep->cables[ep->active];
	if (length > HS_FABRIC_FRAME_MAX || length < HS_FABRIC_FRAME_MIN) {
		fabric->cables[c].counters[HS_DIR_TO_SWITCH].dropped_oversize++;
		return;
	}
	hs_cable_send(fabric, c, HS_DIR_TO_SWITCH, &frame, now_ms);
}

/* ------------------------------------------------------- carrier and bonds */

static void hs_carrier_event_push(struct hs_fabric *fabric, const struct hs_endpoint *ep,
				  int64_t now_ms)
{
	size_t tail;

	if (fabric->carrier_count == HS_FABRIC_CARRIER_EVENTS_MAX) {
		/* Full: the oldest goes, the newest state is what matters. */
		fabric->carrier_head = (fabric->carrier_head + 1) % HS_FABRIC_CARRIER_EVENTS_MAX;
		fabric->carrier_count--;
	}
	tail = (fabric->carrier_head + fabric->carrier_count) % HS_FABRIC_CARRIER_EVENTS_MAX;
	memcpy(fabric->carrier_events[tail].endpoint, ep->name, sizeof(ep->name));
	fabric->carrier_events[tail].up = ep->carrier;
	fabric->carrier_events[tail].mono_ms = now_ms;
	fabric->carrier_count++;
}

static void hs_bond_failover(struct hs_fabric *fabric, int endpoint, int64_t now_ms)
{
	struct hs_endpoint *ep = &fabric->endpoints[endpoint];
	char fields[160];

	snprintf(fields, sizeof(fields), "\"endpoint\":\"%s\",\"from\":\"%s\",\"to\":\"%s\"",
		 ep->name, fabric->cables[ep->cables[ep->active]].name,
		 fabric->cables[ep->cables[1 - ep->active]].name);
	ep->active = 1 - ep->active;
	for (int s = 0; s < fabric->switch_count; s++)
		hs_switch_macs_flush(&fabric->switches[s]);
	hs_faultlog_write(fabric, now_ms, "bond_failover", fields, "active cable lost its link");
}

/* An endpoint has carrier when one of its cables delivers frames to it:
 * the FROM_SWITCH direction is up and the switch has power. */
void hs_carrier_update(struct hs_fabric *fabric, int64_t now_ms)
{
	for (int i = 0; i < fabric->endpoint_count; i++) {
		struct hs_endpoint *ep = &fabric->endpoints[i];
		bool usable[2] = {false, false};
		char fields[64];

		for (int k = 0; k < ep->cable_count; k++)
			usable[k] = hs_cable_usable(fabric, &fabric->cables[ep->cables[k]],
						    HS_DIR_FROM_SWITCH);
		if (ep->cable_count == 2 && !usable[ep->active] && usable[1 - ep->active])
			hs_bond_failover(fabric, i, now_ms);
		if ((usable[0] || usable[1]) == ep->carrier)
			continue;
		ep->carrier = !ep->carrier;
		snprintf(fields, sizeof(fields), "\"endpoint\":\"%s\"", ep->name);
		hs_faultlog_write(fabric, now_ms, ep->carrier ? "carrier_up" : "carrier_down",
				  fields,
				  ep->carrier ? "a cable has link again" : "no cable has link");
		hs_carrier_event_push(fabric, ep, now_ms);
		hs_endpoint_carrier_changed(fabric, i, now_ms);
	}
}
