/*
 * faultlog.c - the fabric's fault log: one JSON object per line.
 *
 *   {"mono_ms":1234,"event":"link_down","cable":"node1.LAN1","dir":"both","reason":"scenario step
 * 3"}
 *
 * Events: link_down, link_up, impair, partition, heal, switch_power_off,
 * switch_power_on, bond_failover, carrier_down, carrier_up, cluster_ip_watch,
 * cluster_ip_seen (observe.c). mono_ms is the
 * time the caller passed with the fault (CLOCK_MONOTONIC in ms, the clock
 * of the nodes' cluster logs). Each line is flushed at once so that
 * hasim's checker can read the log while a run goes on. Names are limited
 * to [A-Za-z0-9_.-] and need no escaping; the reason is escaped.
 */
#include "fabric_int.h"

#include <errno.h>
#include <string.h>

int hs_faultlog_open(struct hs_fabric *fabric, const char *path)
{
	fabric->fault_log = fopen(path, "a");
	if (fabric->fault_log == NULL)
		return hs_fabric_fail(fabric, "hs_faultlog_open: fault log '%s': %s", path,
				      strerror(errno));
	return 0;
}

/* Escapes src into dst as the inside of a JSON string, truncating. */
static void hs_json_escape(char *dst, size_t cap, const char *src)
{
	size_t used = 0;

	for (; src != NULL && *src != '\0' && used + 7 < cap; src++) {
		unsigned char c = (unsigned char)*src;

		if (c == '"' || c == '\\') {
			dst[used++] = '\\';
			dst[used++] = (char)c;
		} else if (c < 0x20) {
			used += (size_t)snprintf(dst + used, cap - used, "\\u%04x", c);
		} else {
			dst[used++] = (char)c;
		}
	}
	dst[used] = '\0';
}

void hs_faultlog_write(struct hs_fabric *fabric, int64_t now_ms, const char *event,
		       const char *fields, const char *reason)
{
	char escaped[512];

	if (fabric->fault_log == NULL)
		return;
	hs_json_escape(escaped, sizeof(escaped), reason ? reason : "");
	fprintf(fabric->fault_log, "{\"mono_ms\":%lld,\"event\":\"%s\",%s,\"reason\":\"%s\"}\n",
		(long long)now_ms, event, fields, escaped);
	fflush(fabric->fault_log);
}
