/*
 * observe.c - who answers for the cluster IP, as the wire shows it.
 *
 * Independently of what a node's cluster log claims, the fabric looks at
 * every frame a node puts on a switch (the first switch it reaches: a
 * frame a pulled cable or a dead switch swallowed reached no one) and
 * notes the endpoint when the frame speaks for the watched address: an
 * ARP reply or gratuitous ARP whose sender is the address, or an IPv4
 * packet from it (the answers the client's probes get). At most one line
 * per endpoint every HS_OBSERVE_SAMPLE_MS goes to the fault log, after one
 * line saying what is watched:
 *
 *   {"mono_ms":1000,"event":"cluster_ip_watch","cable":"","reason":"192.0.2.10"}
 *   {"mono_ms":5210,"event":"cluster_ip_seen","cable":"node2.external","reason":"ip"}
 *
 * The checker (sim/check/observe.c) turns these into spans per node and
 * judges cluster_ip_unique and single_active from them as well.
 */
#include "fabric_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int hs_fabric_observe_ip(struct hs_fabric *fabric, const char *address, int64_t now_ms)
{
	struct in_addr ip;

	if (inet_pton(AF_INET, address, &ip) != 1)
		return hs_fabric_fail(fabric, "hs_fabric_observe_ip: '%s' is not an IPv4 address",
				      address);
	memcpy(fabric->observe_ip, &ip, 4);
	fabric->observing = true;
	for (int i = 0; i < HS_FABRIC_ENDPOINTS_MAX; i++)
		fabric->observe_last_ms[i] = INT64_MIN;
	hs_faultlog_write(fabric, now_ms, "cluster_ip_watch", "\"cable\":\"\"", address);
	return 0;
}

/* What the frame says for the watched address: "arp", "ip" or NULL. */
static const char *observe_kind(const struct hs_fabric *fabric, const uint8_t *data, size_t length)
{
	size_t offset = 12;
	uint16_t type;

	if (length < 14)
		return NULL;
	type = (uint16_t)(data[offset] << 8 | data[offset + 1]);
	if (type == 0x8100 && length >= 18) { /* one VLAN tag */
		offset += 4;
		type = (uint16_t)(data[offset] << 8 | data[offset + 1]);
	}
	offset += 2;
	if (type == 0x0806 && length >= offset + 28) {
		const uint8_t *arp = data + offset;
		uint16_t op = (uint16_t)(arp[6] << 8 | arp[7]);
		bool sender = memcmp(arp + 14, fabric->observe_ip, 4) == 0;
		bool gratuitous = sender && memcmp(arp + 24, fabric->observe_ip, 4) == 0;
		return sender && (op == 2 || gratuitous) ? "arp" : NULL;
	}
	if (type == 0x0800 && length >= offset + 20 && (data[offset] >> 4) == 4)
		return memcmp(data + offset + 12, fabric->observe_ip, 4) == 0 ? "ip" : NULL;
	return NULL;
}

void hs_observe_frame(struct hs_fabric *fabric, int endpoint, const uint8_t *data, size_t length,
		      int64_t now_ms)
{
	const char *kind;
	char fields[HS_FABRIC_NAME_MAX + 16];

	if (!fabric->observing || endpoint < 0 || endpoint >= fabric->endpoint_count ||
	    fabric->endpoints[endpoint].kind == HS_ENDPOINT_UPLINK)
		return;
	if (fabric->observe_last_ms[endpoint] != INT64_MIN &&
	    now_ms - fabric->observe_last_ms[endpoint] < HS_OBSERVE_SAMPLE_MS)
		return;
	kind = observe_kind(fabric, data, length);
	if (!kind)
		return;
	fabric->observe_last_ms[endpoint] = now_ms;
	snprintf(fields, sizeof(fields), "\"cable\":\"%s\"", fabric->endpoints[endpoint].name);
	hs_faultlog_write(fabric, now_ms, "cluster_ip_seen", fields, kind);
}
