/*
 * compat.c - which two nodes may form a cluster (SPEC "Compatibility").
 *
 * The rules are checked in this order, and the first one that fails gives
 * the reason: protocol version (must be equal), firmware (major.minor must
 * be equal; patch may differ for a rolling update), models (rack1+rack1,
 * rack4+rack4, rack1/rack4+virt1 where the virt1 has at least the rack's
 * CPUs, memory and disk, virt1+virt1 with a warning). The verdict is
 * symmetric: hn_compat_check(a, b) and hn_compat_check(b, a) agree, so both
 * nodes of a pair refuse each other with the same reason and neither can
 * count the other as part of the cluster.
 */
#include "hn_core.h"
#include "hn_models.h"

#include <stdio.h>

_Static_assert(HN_MODEL_COUNT == HN_MODEL_ROWS, "hn_models.h has a row per enum hn_model");

/* Racks and virtual machines, as the model table (hn_models.h) says. */
static bool hn_model_is_rack(enum hn_model model)
{
	return (unsigned)model < HN_MODEL_COUNT && !hn_model_spec_at(model)->is_virtual;
}

static bool hn_model_is_virtual(enum hn_model model)
{
	return (unsigned)model < HN_MODEL_COUNT && hn_model_spec_at(model)->is_virtual;
}

/* A rack node paired with a virt1: the virt1 must be at least as large. */
static enum hn_compat_verdict hn_compat_check_virt(const struct hn_identity *rack,
						   const struct hn_identity *virt, char *reason,
						   size_t reason_size)
{
	const char *rack_name = hn_model_name(rack->model);
	if (virt->cpu_count < rack->cpu_count) {
		snprintf(reason, reason_size, "virt1 has %u CPUs, fewer than the %s's %u",
			 virt->cpu_count, rack_name, rack->cpu_count);
		return HN_COMPAT_REFUSED;
	}
	if (virt->memory_mb < rack->memory_mb) {
		snprintf(reason, reason_size, "virt1 has %u MB memory, less than the %s's %u MB",
			 virt->memory_mb, rack_name, rack->memory_mb);
		return HN_COMPAT_REFUSED;
	}
	if (virt->disk_gb < rack->disk_gb) {
		snprintf(reason, reason_size, "virt1 has %u GB disk, less than the %s's %u GB",
			 virt->disk_gb, rack_name, rack->disk_gb);
		return HN_COMPAT_REFUSED;
	}
	return HN_COMPAT_OK;
}

static enum hn_compat_verdict hn_compat_check_models(const struct hn_identity *a,
						     const struct hn_identity *b, char *reason,
						     size_t reason_size)
{
	if ((unsigned)a->model >= HN_MODEL_COUNT || (unsigned)b->model >= HN_MODEL_COUNT) {
		snprintf(reason, reason_size, "unknown model");
		return HN_COMPAT_REFUSED;
	}
	if (hn_model_is_virtual(a->model) && hn_model_is_virtual(b->model)) {
		snprintf(reason, reason_size, "virt1+virt1 is not supported in production");
		return HN_COMPAT_WARN;
	}
	if (a->model == b->model)
		return HN_COMPAT_OK;
	if (hn_model_is_rack(a->model) && hn_model_is_virtual(b->model))
		return hn_compat_check_virt(a, b, reason, reason_size);
	if (hn_model_is_rack(b->model) && hn_model_is_virtual(a->model))
		return hn_compat_check_virt(b, a, reason, reason_size);
	snprintf(reason, reason_size, "models %s and %s cannot form a cluster",
		 hn_model_name(a->model), hn_model_name(b->model));
	return HN_COMPAT_REFUSED;
}

enum hn_compat_verdict hn_compat_check(const struct hn_identity *a, const struct hn_identity *b,
				       uint32_t protocol_a, uint32_t protocol_b, char *reason,
				       size_t reason_size)
{
	char scratch[HN_REASON_MAX];
	if (reason == NULL || reason_size == 0) {
		reason = scratch;
		reason_size = sizeof(scratch);
	}
	reason[0] = '\0';
	if (protocol_a != protocol_b) {
		snprintf(reason, reason_size, "protocol versions %u and %u differ", protocol_a,
			 protocol_b);
		return HN_COMPAT_REFUSED;
	}
	const struct hn_version *fa = &a->firmware, *fb = &b->firmware;
	if (fa->major != fb->major || fa->minor != fb->minor) {
		snprintf(reason, reason_size,
			 "firmware %u.%u.%u and %u.%u.%u differ in major.minor", fa->major,
			 fa->minor, fa->patch, fb->major, fb->minor, fb->patch);
		return HN_COMPAT_REFUSED;
	}
	return hn_compat_check_models(a, b, reason, reason_size);
}
