/*
 * faults.c - the faults a scenario applies to the fabric.
 *
 * Link up/down and impairments are set per cable and direction; a
 * partition drops frames from one set of endpoints to another (one way: a
 * two-way partition is two rules); a switch can lose and regain power.
 * Each fault is appended to the fault log with the caller's time and
 * reason, and carriers (and bonds) are re-evaluated at once, so a carrier
 * change is logged right after the fault that caused it.
 */
#include "fabric_int.h"

#include <string.h>

static const char *hs_dir_name(enum hs_dir dir)
{
	switch (dir) {
	case HS_DIR_TO_SWITCH:
		return "to_switch";
	case HS_DIR_FROM_SWITCH:
		return "from_switch";
	default:
		return "both";
	}
}

static int hs_cable_dir_lookup(struct hs_fabric *fabric, const char *func, const char *cable,
			       enum hs_dir dir)
{
	int c = hs_cable_find(fabric, cable);

	if (c < 0)
		return hs_fabric_fail(fabric, "%s: unknown cable '%s'", func,
				      cable ? cable : "(null)");
	if (dir != HS_DIR_TO_SWITCH && dir != HS_DIR_FROM_SWITCH && dir != HS_DIR_BOTH)
		return hs_fabric_fail(fabric, "%s: cable '%s': bad direction %d", func, cable,
				      (int)dir);
	return c;
}

int hs_fabric_cable_link_set(struct hs_fabric *fabric, const char *cable, enum hs_dir dir, bool up,
			     int64_t now_ms, const char *reason)
{
	int c = hs_cable_dir_lookup(fabric, "hs_fabric_cable_link_set", cable, dir);
	char fields[128];

	if (c < 0)
		return -1;
	for (int d = 0; d < 2; d++)
		if (dir == HS_DIR_BOTH || (int)dir == d)
			fabric->cables[c].up[d] = up;
	snprintf(fields, sizeof(fields), "\"cable\":\"%s\",\"dir\":\"%s\"", cable,
		 hs_dir_name(dir));
	hs_faultlog_write(fabric, now_ms, up ? "link_up" : "link_down", fields, reason);
	hs_carrier_update(fabric, now_ms);
	return 0;
}

static bool hs_impair_valid(const struct hs_impair *impair)
{
	return impair->loss_pct >= 0 && impair->loss_pct <= 100 && impair->dup_pct >= 0 &&
	       impair->dup_pct <= 100 && impair->delay_ms <= 3600000 &&
	       impair->jitter_ms <= 3600000;
}

int hs_fabric_cable_impair(struct hs_fabric *fabric, const char *cable, enum hs_dir dir,
			   const struct hs_impair *impair, int64_t now_ms, const char *reason)
{
	int c = hs_cable_dir_lookup(fabric, "hs_fabric_cable_impair", cable, dir);
	char fields[256];

	if (c < 0)
		return -1;
	if (!hs_impair_valid(impair))
		return hs_fabric_fail(fabric,
				      "hs_fabric_cable_impair: cable '%s': percentages must be "
				      "0..100, delays at most 1 h",
				      cable);
	for (int d = 0; d < 2; d++)
		if (dir == HS_DIR_BOTH || (int)dir == d)
			fabric->cables[c].impair[d] = *impair;
	snprintf(fields, sizeof(fields),
		 "\"cable\":\"%s\",\"dir\":\"%s\",\"loss_pct\":%g,\"delay_ms\":%u,\"jitter_ms\":%u,"
		 "\"dup_pct\":%g",
		 cable, hs_dir_name(dir), impair->loss_pct, impair->delay_ms, impair->jitter_ms,
		 impair->dup_pct);
	hs_faultlog_write(fabric, now_ms, "impair", fields, reason);
	return 0;
}

/* Builds an endpoint bit mask and its JSON list. */
static int hs_endpoint_set_parse(struct hs_fabric *fabric, const char *const *names, size_t count,
				 uint32_t *mask, char *json, size_t json_cap)
{
	size_t used = 0;

	*mask = 0;
	if (count == 0)
		return hs_fabric_fail(fabric, "hs_fabric_partition_add: empty endpoint set");
	used += (size_t)snprintf(json, json_cap, "[");
	for (size_t i = 0; i < count; i++) {
		int ep = hs_endpoint_find(fabric, names[i]);

		if (ep < 0)
			return hs_fabric_fail(fabric,
					      "hs_fabric_partition_add: unknown endpoint '%s'",
					      names[i] ? names[i] : "(null)");
		*mask |= 1u << ep;
		if (used < json_cap)
			used += (size_t)snprintf(json + used, json_cap - used, "%s\"%s\"",
						 i ? "," : "", names[i]);
	}
	if (used < json_cap)
		snprintf(json + used, json_cap - used, "]");
	return 0;
}

int hs_fabric_partition_add(struct hs_fabric *fabric, const char *const *from, size_t from_count,
			    const char *const *to, size_t to_count, int64_t now_ms,
			    const char *reason)
{
	char from_json[HS_FABRIC_ENDPOINTS_MAX * (HS_FABRIC_NAME_MAX + 3) + 4];
	char to_json[sizeof(from_json)];
	char fields[sizeof(from_json) * 2 + 64];
	uint32_t from_mask, to_mask;
	int rule = -1;

	if (hs_endpoint_set_parse(fabric, from, from_count, &from_mask, from_json,
				  sizeof(from_json)) < 0 ||
	    hs_endpoint_set_parse(fabric, to, to_count, &to_mask, to_json, sizeof(to_json)) < 0)
		return -1;
	for (int i = 0; i < HS_FABRIC_PARTITIONS_MAX && rule < 0; i++)
		if (!fabric->partitions[i].used)
			rule = i;
	if (rule < 0)
		return hs_fabric_fail(fabric,
				      "hs_fabric_partition_add: partition table full (%d rules)",
				      HS_FABRIC_PARTITIONS_MAX);
	fabric->partitions[rule].used = true;
	fabric->partitions[rule].from_mask = from_mask;
	fabric->partitions[rule].to_mask = to_mask;
	snprintf(fields, sizeof(fields), "\"rule\":%d,\"from\":%s,\"to\":%s", rule, from_json,
		 to_json);
	hs_faultlog_write(fabric, now_ms, "partition", fields, reason);
	return rule;
}

int hs_fabric_partition_heal(struct hs_fabric *fabric, int rule_id, int64_t now_ms,
			     const char *reason)
{
	char fields[64];

	if (rule_id < -1 || rule_id >= HS_FABRIC_PARTITIONS_MAX ||
	    (rule_id >= 0 && !fabric->partitions[rule_id].used))
		return hs_fabric_fail(fabric, "hs_fabric_partition_heal: unknown partition rule %d",
				      rule_id);
	for (int i = 0; i < HS_FABRIC_PARTITIONS_MAX; i++)
		if (rule_id == -1 || rule_id == i)
			memset(&fabric->partitions[i], 0, sizeof(fabric->partitions[i]));
	if (rule_id == -1)
		snprintf(fields, sizeof(fields), "\"rule\":\"all\"");
	else
		snprintf(fields, sizeof(fields), "\"rule\":%d", rule_id);
	hs_faultlog_write(fabric, now_ms, "heal", fields, reason);
	return 0;
}

int hs_fabric_switch_power_set(struct hs_fabric *fabric, const char *switch_name, bool on,
			       int64_t now_ms, const char *reason)
{
	int sw = hs_switch_find(fabric, switch_name);
	char fields[64];

	if (sw < 0)
		return hs_fabric_fail(fabric, "hs_fabric_switch_power_set: unknown switch '%s'",
				      switch_name ? switch_name : "(null)");
	fabric->switches[sw].powered = on;
	/* A switch that lost power forgets what it learned. */
	hs_switch_macs_flush(&fabric->switches[sw]);
	snprintf(fields, sizeof(fields), "\"switch\":\"%s\"", switch_name);
	hs_faultlog_write(fabric, now_ms, on ? "switch_power_on" : "switch_power_off", fields,
			  reason);
	hs_carrier_update(fabric, now_ms);
	return 0;
}
