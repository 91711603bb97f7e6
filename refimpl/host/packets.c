/*
 * packets.c - the host's packets (host.h): one packet counter over both
 * links, its reservation, encoding with the cluster key, sending through
 * platform->send, and decoding the peer's datagrams through one replay
 * window shared by both links.
 *
 * The counter must stay above every value this node ever used, also across
 * a restart with the wall clock stepped back: the peer's replay window
 * refuses anything at or below what it has seen. So before it uses a value
 * at or above its reserved limit, the host asks the platform to make a new
 * limit durable (HN_HOST_PACKET_SEQ_BLOCK more); a restart begins at the
 * last limit. A reservation that fails keeps the packet unsent: a packet
 * sent with an unreserved value could lock this node out after a restart,
 * which is worse than one heartbeat less now.
 *
 * A sync batch that does not fit one packet is split into two smaller
 * batches (the first ends at its last entry's seq and is not complete), as
 * often as needed within a bound.
 */
#include <stdio.h>
#include <string.h>

#include "host_state.h"

#define HN_HOST_SPLIT_DEPTH_MAX 4

/* ------------------------------------------------------------- counter */

/* The next packet sequence, reserved first if needed; 0 if it cannot be. */
static uint64_t host_packet_seq_take(struct hn_host *host, uint64_t now_ms)
{
	const struct hn_host_platform *platform = &host->platform;
	uint64_t seq = host->packet_seq_next;
	if (platform->persist_packet_seq && seq >= host->packet_seq_limit) {
		char error[HN_HOST_ERROR_MAX], reason[HN_REASON_MAX];
		uint64_t limit = seq + HN_HOST_PACKET_SEQ_BLOCK;
		if (platform->persist_packet_seq(platform->context, limit, error, sizeof(error)) !=
		    0) {
			if (!host->packet_seq_failed) {
				snprintf(reason, sizeof(reason),
					 "packet counter not reserved, packets held back: %.100s",
					 error);
				hn_host_log(host, now_ms, "health", reason);
			}
			host->packet_seq_failed = true;
			return 0;
		}
		host->packet_seq_failed = false;
		host->packet_seq_limit = limit;
	}
	host->packet_seq_next++;
	return seq;
}

/* ------------------------------------------------------------- sending */

static void host_send_packet(struct hn_host *host, enum hn_link link, const uint8_t *packet,
			     int length)
{
	const struct hn_host_platform *platform = &host->platform;
	char error[HN_HOST_ERROR_MAX];
	if (length < 0) {
		host->oversize++;
		return;
	}
	if (platform->send(platform->context, link, packet, (size_t)length, error, sizeof(error)) !=
	    0) {
		host->send_errors[link]++;
		return;
	}
	host->packets_sent[link]++;
}

static bool host_link_usable(const struct hn_host *host, enum hn_link link)
{
	return (unsigned)link < HN_LINKS && !host->config.link_absent[link];
}

void hn_host_send_heartbeat(struct hn_host *host, enum hn_link link,
			    const struct hn_heartbeat *heartbeat, uint64_t now_ms)
{
	uint8_t packet[HN_PACKET_MAX];
	if (!host_link_usable(host, link))
		return;
	uint64_t seq = host_packet_seq_take(host, now_ms);
	if (seq == 0) {
		host->send_errors[link]++;
		return;
	}
	int length = hn_proto_encode_heartbeat(heartbeat, seq, host->key, packet, sizeof(packet));
	host_send_packet(host, link, packet, length);
}

static void host_send_split(struct hn_host *host, enum hn_link link,
			    const struct hn_data_message *data, uint32_t depth, uint64_t now_ms)
{
	uint8_t packet[HN_PACKET_MAX];
	uint64_t seq = host_packet_seq_take(host, now_ms);
	if (seq == 0) {
		host->send_errors[link]++;
		return;
	}
	int length = hn_proto_encode_data(data, seq, host->key, packet, sizeof(packet));
	if (length >= 0 || data->kind != HN_DATA_SYNC_BATCH || data->entry_count < 2 ||
	    depth >= HN_HOST_SPLIT_DEPTH_MAX) {
		host_send_packet(host, link, packet, length);
		return;
	}
	struct hn_data_message half = *data; /* ~5 KB, at most depth 4 deep */
	half.entry_count = data->entry_count / 2;
	half.upto_seq = data->entries[half.entry_count - 1].seq;
	half.complete = false;
	host_send_split(host, link, &half, depth + 1, now_ms);
	half = *data;
	half.entry_count = data->entry_count - data->entry_count / 2;
	memmove(half.entries, data->entries + data->entry_count / 2,
		half.entry_count * sizeof(half.entries[0]));
	host_send_split(host, link, &half, depth + 1, now_ms);
}

void hn_host_send_data(struct hn_host *host, enum hn_link link, const struct hn_data_message *data,
		       uint64_t now_ms)
{
	if (!host_link_usable(host, link))
		return;
	host_send_split(host, link, data, 0, now_ms);
}

/* ----------------------------------------------------------- receiving */

/* The replay window starts empty at every start: a restarted node accepts
 * a capture of its peer's older packets here, and the core refuses them as
 * news (they do not echo this start's boot nonce, hn_host_start). */
int hn_host_decode(struct hn_host *host, enum hn_link link, const uint8_t *packet, size_t length)
{
	struct hn_event *event = &host->event;
	if ((unsigned)link >= HN_LINKS)
		return 0;
	host->packets_received[link]++;
	memset(event, 0, sizeof(*event));
	int kind = hn_proto_decode(packet, length, host->key, &host->window, &host->counters,
				   &event->u.heartbeat, &event->u.data);
	if (kind < 0)
		return 0;
	event->link = link;
	event->seq = hn_proto_packet_seq(packet, length);
	event->kind = kind == HN_PACKET_HEARTBEAT ? HN_EVENT_HEARTBEAT : HN_EVENT_DATA;
	/* The newest heartbeat, as the core takes it (a stale one is older):
	 * status shows it and a fence command names its sender. */
	if (event->kind == HN_EVENT_HEARTBEAT && event->seq >= host->peer_seq) {
		host->peer = event->u.heartbeat;
		host->peer_seq = event->seq;
		host->peer_heard = true;
	}
	return event->kind;
}
