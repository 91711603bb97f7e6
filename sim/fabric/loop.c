/*
 * loop.c - how the caller's event loop drives the fabric.
 *
 * The fabric owns no loop and no thread: hasim (or hsfabric) asks it for
 * the fds to poll (endpoint fds first, then libslirp's sockets), the next
 * deadline (the first delayed frame, libslirp's timers and TCP timeouts),
 * and after poll() hands the same fds back. Delayed frames are delivered
 * by hs_fabric_timers_run when their due time has come.
 */
#include "fabric_int.h"

#include <limits.h>

int hs_fabric_pollfds_fill(struct hs_fabric *fabric, struct pollfd *fds, size_t cap, int64_t now_ms,
			   int *timeout_ms)
{
	size_t used = 0;
	uint32_t slirp_timeout_ms = UINT32_MAX;
	int64_t deadline_ms = hs_fabric_deadline_ms(fabric);

	for (int i = 0; i < fabric->endpoint_count; i++) {
		if (fabric->endpoints[i].fd < 0)
			continue;
		if (used >= cap)
			return hs_fabric_fail(
			    fabric,
			    "hs_fabric_pollfds_fill: %zu pollfds are too few for endpoint '%s'",
			    cap, fabric->endpoints[i].name);
		fds[used].fd = fabric->endpoints[i].fd;
		fds[used].events = POLLIN;
		fds[used].revents = 0;
		used++;
	}
	for (int i = 0; i < fabric->uplink_count; i++)
		used = (size_t)hs_uplink_pollfds_fill(fabric->uplinks[i], fds, cap, used,
						      &slirp_timeout_ms);
	if (deadline_ms >= 0) {
		int64_t wait_ms = deadline_ms > now_ms ? deadline_ms - now_ms : 0;

		if (wait_ms < (int64_t)slirp_timeout_ms)
			slirp_timeout_ms = (uint32_t)wait_ms;
	}
	if (slirp_timeout_ms != UINT32_MAX &&
	    (*timeout_ms < 0 || (int64_t)slirp_timeout_ms < *timeout_ms))
		*timeout_ms = slirp_timeout_ms > INT_MAX ? INT_MAX : (int)slirp_timeout_ms;
	return (int)used;
}

int hs_fabric_pollfds_handle(struct hs_fabric *fabric, const struct pollfd *fds, size_t count,
			     int64_t now_ms)
{
	size_t index = 0;

	for (int i = 0; i < fabric->endpoint_count && index < count; i++) {
		if (fabric->endpoints[i].fd < 0)
			continue;
		if (fds[index].fd == fabric->endpoints[i].fd &&
		    (fds[index].revents & (POLLIN | POLLERR | POLLHUP)))
			hs_endpoint_readable(fabric, i, now_ms);
		index++;
	}
	/* libslirp's indexes count from the start of the array. */
	for (int i = 0; i < fabric->uplink_count; i++)
		hs_uplink_pollfds_handle(fabric->uplinks[i], fds, count);
	hs_fabric_timers_run(fabric, now_ms);
	return 0;
}

int64_t hs_fabric_deadline_ms(const struct hs_fabric *fabric)
{
	const struct hs_queued_frame *first = hs_queue_peek(fabric);
	int64_t deadline_ms = first != NULL ? first->due_ms : -1;

	for (int i = 0; i < fabric->uplink_count; i++) {
		int64_t uplink_ms = hs_uplink_deadline_ms(fabric->uplinks[i]);

		if (uplink_ms >= 0 && (deadline_ms < 0 || uplink_ms < deadline_ms))
			deadline_ms = uplink_ms;
	}
	return deadline_ms;
}

int hs_fabric_timers_run(struct hs_fabric *fabric, int64_t now_ms)
{
	struct hs_queued_frame frame; /* not the scratch: libslirp may queue while we deliver */
	size_t budget = 2 * fabric->config.delay_queue_max; /* bounded even if frames breed */
	int delivered = 0;

	for (int i = 0; i < fabric->uplink_count; i++)
		hs_uplink_timers_run(fabric->uplinks[i], now_ms);
	while (budget-- > 0) {
		const struct hs_queued_frame *first = hs_queue_peek(fabric);
		struct hs_frame_ref ref;

		if (first == NULL || first->due_ms > now_ms)
			break;
		hs_queue_pop(fabric, &frame);
		ref.data = frame.data;
		ref.length = frame.length;
		ref.origin = frame.origin;
		ref.hops = frame.hops;
		if (frame.endpoint >= 0)
			hs_endpoint_input(fabric, frame.endpoint, frame.data, frame.length, now_ms);
		else
			hs_cable_deliver(fabric, frame.cable, frame.dir, &ref, now_ms);
		delivered++;
	}
	return delivered;
}
