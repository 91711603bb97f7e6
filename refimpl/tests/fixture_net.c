/*
 * fixture_net.c - the fixture's network (fixture.h): every SEND_HEARTBEAT
 * and SEND_DATA is encoded and authenticated with proto.c under the
 * sender's packet counter, carried over its simulated link (partition in
 * both directions or one way, carrier, seeded random drop, delay) and put
 * into a bounded queue ordered by delivery time; plus the helpers the rest
 * of the fixture shares (failure, trace, names, the seeded random).
 */
#include "fixture_private.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

void hn_fixture_fail(struct hn_fixture *fixture, const char *format, ...)
{
	if (fixture->failure[0] != '\0')
		return; /* keep the first failure */
	char text[HN_FIXTURE_FAILURE_MAX - 96];
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(text, sizeof(text), format, arguments);
	va_end(arguments);
	snprintf(fixture->failure, sizeof(fixture->failure),
		 "at %" PRIu64 " ms (seed %" PRIu64 "): %s", fixture->now_ms, fixture->options.seed,
		 text);
}

/* xorshift64*: reproducible from the seed on every platform. */
uint32_t hn_fixture_random_percent(struct hn_fixture *fixture)
{
	uint64_t x = fixture->random_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	fixture->random_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 33) % 100;
}

const char *hn_fixture_name(const struct hn_fixture *fixture, uint32_t node)
{
	return fixture->configs[node].self.name;
}

void hn_fixture_trace(struct hn_fixture *fixture, const char *format, ...)
{
	if (fixture->options.trace == NULL)
		return;
	va_list arguments;
	va_start(arguments, format);
	fprintf(fixture->options.trace, "%8" PRIu64 " ", fixture->now_ms);
	vfprintf(fixture->options.trace, format, arguments);
	fputc('\n', fixture->options.trace);
	va_end(arguments);
}

/* --------------------------------------------------------- the network */

void hn_fixture_send(struct hn_fixture *fixture, uint32_t from, const struct hn_action *action)
{
	uint32_t to = 1 - from;
	enum hn_link link = action->link;
	if (!fixture->carrier[from][link] || !fixture->carrier[to][link] ||
	    fixture->partitioned[link] || fixture->oneway_cut[link][from])
		return;
	if (fixture->drop_percent[link] > 0 &&
	    hn_fixture_random_percent(fixture) < fixture->drop_percent[link])
		return;
	if (fixture->queue_count == HN_FIXTURE_QUEUE_MAX) {
		hn_fixture_fail(fixture, "hn_fixture_send: %u packets in flight, queue full",
				fixture->queue_count);
		return;
	}
	struct hn_fixture_packet *packet = &fixture->queue[fixture->queue_count];
	uint64_t packet_seq = ++fixture->packet_seq[from];
	int length;
	if (action->kind == HN_ACTION_SEND_HEARTBEAT)
		length = hn_proto_encode_heartbeat(&action->u.heartbeat, packet_seq, fixture->key,
						   packet->bytes, sizeof(packet->bytes));
	else
		length = hn_proto_encode_data(&action->u.data, packet_seq, fixture->key,
					      packet->bytes, sizeof(packet->bytes));
	if (length < 0) {
		hn_fixture_fail(fixture, "hn_fixture_send: %s could not encode a %s message",
				hn_fixture_name(fixture, from),
				action->kind == HN_ACTION_SEND_HEARTBEAT ? "heartbeat" : "data");
		return;
	}
	packet->length = (size_t)length;
	packet->to = to;
	packet->link = link;
	packet->deliver_at_ms = fixture->now_ms + fixture->delay_ms[link];
	packet->order = fixture->queue_order++;
	fixture->queue_count++;
	if (fixture->capturing[from] && fixture->capture_count < HN_FIXTURE_CAPTURE_MAX) {
		fixture->capture[fixture->capture_count] = *packet;
		fixture->capture_sent_ms[fixture->capture_count] = fixture->now_ms;
		fixture->capture_count++;
	}
}

/* Index of the packet to deliver next, or -1. */
int hn_fixture_next_packet(const struct hn_fixture *fixture)
{
	int best = -1;
	for (uint32_t i = 0; i < fixture->queue_count; i++) {
		const struct hn_fixture_packet *packet = &fixture->queue[i];
		if (best < 0 || packet->deliver_at_ms < fixture->queue[best].deliver_at_ms ||
		    (packet->deliver_at_ms == fixture->queue[best].deliver_at_ms &&
		     packet->order < fixture->queue[best].order))
			best = (int)i;
	}
	return best;
}

void hn_fixture_queue_remove(struct hn_fixture *fixture, uint32_t index)
{
	fixture->queue[index] = fixture->queue[fixture->queue_count - 1];
	fixture->queue_count--;
}

/* ------------------------------------------------------------- links */

void hn_fixture_partition(struct hn_fixture *fixture, enum hn_link link, bool cut)
{
	fixture->partitioned[link] = cut;
	hn_fixture_trace(fixture, "%s link %s", link == HN_LINK_SYNC ? "sync" : "external",
			 cut ? "cut" : "repaired");
}

void hn_fixture_set_drop_percent(struct hn_fixture *fixture, enum hn_link link, uint32_t percent)
{
	fixture->drop_percent[link] = percent > 100 ? 100 : percent;
}

void hn_fixture_set_delay_ms(struct hn_fixture *fixture, enum hn_link link, uint32_t delay_ms)
{
	fixture->delay_ms[link] = delay_ms;
}

void hn_fixture_partition_oneway(struct hn_fixture *fixture, enum hn_link link, uint32_t from,
				 bool cut)
{
	fixture->oneway_cut[link][from] = cut;
	hn_fixture_trace(fixture, "%s link from %s %s", link == HN_LINK_SYNC ? "sync" : "external",
			 hn_fixture_name(fixture, from), cut ? "cut" : "repaired");
}

/* ---------------------------------------------------- capture, replay */

void hn_fixture_capture(struct hn_fixture *fixture, uint32_t node, bool on)
{
	if (on && !fixture->capturing[node])
		fixture->capture_count = 0;
	fixture->capturing[node] = on;
}

int hn_fixture_replay(struct hn_fixture *fixture, uint32_t to)
{
	uint64_t first_ms = fixture->capture_count > 0 ? fixture->capture_sent_ms[0] : 0;
	for (uint32_t i = 0; i < fixture->capture_count; i++) {
		if (fixture->queue_count == HN_FIXTURE_QUEUE_MAX) {
			hn_fixture_fail(fixture, "hn_fixture_replay: packet queue full");
			return -1;
		}
		struct hn_fixture_packet *packet = &fixture->queue[fixture->queue_count++];
		*packet = fixture->capture[i];
		packet->to = to;
		packet->deliver_at_ms = fixture->now_ms + (fixture->capture_sent_ms[i] - first_ms);
		packet->order = fixture->queue_order++;
	}
	hn_fixture_trace(fixture, "replay of %u packets to %s", fixture->capture_count,
			 hn_fixture_name(fixture, to));
	return 0;
}
