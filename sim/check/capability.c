/*
 * capability.c - the node implementation a run folder was made with, and
 * what its adapter cannot do (sim/model/adapter.h).
 *
 * run.json's "node_adapter" {"name":"keepalived","profile":"fast",
 * "capabilities":["maintenance",...]} says which adapter ran the nodes and
 * what it can do; a folder without it (older runs, virtual and libvirt
 * runs of hanode) counts as able to do everything. An expectation that
 * needs a capability the adapter lacks (hs_expect_needs) judged nothing:
 * it is skipped with the reason, as an expectation with nothing to judge
 * is, and does not fail the run. run.json's "skipped" (a reason) marks a
 * run hasim did not carry out because its steps or topology need what the
 * adapter lacks: every expectation is skipped with that reason and the
 * verdict says skipped, never passed. run.json's "notify_hook": false (a
 * backend whose nodes have no notify hook wired to the run folder: libvirt
 * guests) takes notify_hook away whatever the adapter says.
 */
#include "adapter.h"
#include "expect.h"
#include "timeline.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

void hs_check_read_adapter(const json_t *root, struct hs_check_result *result)
{
	const json_t *adapter = json_object_get(root, "node_adapter");
	const json_t *skipped = json_object_get(root, "skipped");
	const json_t *name, *value;
	size_t index;

	result->capabilities = HS_CAP_ALL;
	result->backend_without_notify = json_is_false(json_object_get(root, "notify_hook"));
	if (json_is_string(skipped)) {
		result->skipped = true;
		snprintf(result->skip_reason, sizeof(result->skip_reason), "%s",
			 json_string_value(skipped));
	}
	if (!json_is_object(adapter))
		goto backend;
	name = json_object_get(adapter, "name");
	snprintf(result->node_adapter, sizeof(result->node_adapter), "%s",
		 json_is_string(name) ? json_string_value(name) : "unknown");
	name = json_object_get(adapter, "profile");
	snprintf(result->node_profile, sizeof(result->node_profile), "%s",
		 json_is_string(name) ? json_string_value(name) : "");
	result->capabilities = 0;
	json_array_foreach(json_object_get(adapter, "capabilities"), index, value)
	{
		uint32_t bit =
		    json_is_string(value) ? hs_capability_parse(json_string_value(value)) : 0;
		if (!bit)
			hs_check_warn(result, "run.json: node_adapter.capabilities[%zu]: unknown",
				      index);
		result->capabilities |= bit;
	}
backend:
	if (result->backend_without_notify)
		result->capabilities &= ~(uint32_t)HS_CAP_NOTIFY_HOOK;
}

bool hs_check_capability_skip(const struct hs_expect *expect, struct hs_check_result *result,
			      struct hs_check_expect_result *out)
{
	uint32_t missing = hs_expect_needs(expect) & ~result->capabilities;
	char names[256];

	if (result->skipped) {
		hs_expect_skip(out, "not run: %s", result->skip_reason);
		return true;
	}
	if (!missing)
		return false;
	if (missing == HS_CAP_NOTIFY_HOOK && result->backend_without_notify) {
		hs_expect_skip(out,
			       "needs notify_hook: the %s backend's nodes notify nowhere hasim "
			       "reads (run.json notify_hook false)",
			       result->backend);
		return true;
	}
	hs_capability_list(missing, names, sizeof(names));
	hs_expect_skip(out, "needs %s, which node adapter %s lacks", names, result->node_adapter);
	return true;
}
