/*
 * report_json.c - result.json: the verdict of a run, for machines.
 *
 * The layout (documented in check.h, with golden examples in
 * sim/tests/check_fixtures/<case>/expected_result.json) is stable
 * and written with keys in a fixed order and two-space indentation, so that
 * golden files diff line by line. A metric that could not be computed is
 * null, and metric_notes says why. Times are ms after t0.
 */
#include "report.h"

#include <jansson.h>
#include <string.h>

/* Every json_*_new below may fail for memory; rather than checking each
 * one, failures are counted and the file is not written if any happened. */
struct hs_json_builder {
	bool failed;
};

static void put(struct hs_json_builder *builder, json_t *object, const char *key, json_t *value)
{
	if (!value || json_object_set_new(object, key, value) < 0)
		builder->failed = true;
}

static void append(struct hs_json_builder *builder, json_t *array, json_t *value)
{
	if (!value || json_array_append_new(array, value) < 0)
		builder->failed = true;
}

static json_t *strings_json(struct hs_json_builder *builder,
			    const char (*texts)[HS_CHECK_MESSAGE_MAX], uint32_t count)
{
	json_t *array = json_array();
	for (uint32_t i = 0; array && i < count; i++)
		append(builder, array, json_string(texts[i]));
	return array;
}

static json_t *warnings_json(struct hs_json_builder *builder, const struct hs_check_result *result)
{
	json_t *array = json_array();
	uint32_t count = result->warning_total < HS_CHECK_WARNINGS_MAX ? result->warning_total
								       : HS_CHECK_WARNINGS_MAX;
	for (uint32_t i = 0; array && i < count; i++)
		append(builder, array, json_string(result->warnings[i]));
	return array;
}

static json_t *transitions_json(struct hs_json_builder *builder,
				const struct hs_check_result *result)
{
	json_t *array = json_array();
	for (uint32_t i = 0; array && i < result->transition_count; i++) {
		const struct hs_check_transition *transition = &result->transitions[i];
		json_t *item = json_object();
		if (item) {
			put(builder, item, "t_ms", json_integer(transition->t_ms));
			put(builder, item, "node", json_string(transition->node));
			put(builder, item, "from", json_string(transition->from));
			put(builder, item, "to", json_string(transition->to));
			put(builder, item, "reason", json_string(transition->reason));
		}
		append(builder, array, item);
	}
	return array;
}

static void metrics_json(struct hs_json_builder *builder, const struct hs_check_result *result,
			 json_t *root)
{
	json_t *metrics = json_object(), *notes = json_object();
	for (int metric = HS_METRIC_FAILOVER_MS; metrics && notes && metric < HS_METRIC_COUNT;
	     metric++) {
		const struct hs_check_metric *value = &result->metrics[metric];
		const char *name = hs_check_metric_name(metric);
		put(builder, metrics, name,
		    value->known ? json_integer(value->value) : json_null());
		if (!value->known || value->nothing_measured)
			put(builder, notes, name, json_string(value->note));
	}
	put(builder, root, "metrics", metrics);
	put(builder, root, "metric_notes", notes);
	/* How finely outage_ms could see (run.json's resolution_ms). */
	put(builder, root, "resolution_ms",
	    result->resolution_ms > 0 ? json_integer(result->resolution_ms) : json_null());
}

static json_t *final_json(struct hs_json_builder *builder, const struct hs_check_result *result)
{
	json_t *object = json_object();
	for (uint32_t i = 0; object && i < result->node_count; i++)
		put(builder, object, result->nodes[i], json_string(result->final_display[i]));
	return object;
}

static json_t *expectations_json(struct hs_json_builder *builder,
				 const struct hs_check_result *result)
{
	json_t *array = json_array();
	for (uint32_t i = 0; array && i < result->expect_count; i++) {
		const struct hs_check_expect_result *expect = &result->expects[i];
		json_t *item = json_object();
		if (item) {
			put(builder, item, "index", json_integer(expect->index));
			put(builder, item, "line", json_integer(expect->line));
			put(builder, item, "kind",
			    json_string(hs_check_expect_kind_name(expect->kind)));
			put(builder, item, "description", json_string(expect->description));
			put(builder, item, "passed", json_boolean(expect->passed));
			put(builder, item, "skipped", json_boolean(expect->skipped));
			put(builder, item, "message", json_string(expect->message));
		}
		append(builder, array, item);
	}
	return array;
}

static json_t *result_json(struct hs_json_builder *builder, const struct hs_check_result *result)
{
	json_t *root = json_object();
	if (!root)
		return NULL;
	put(builder, root, "scenario", json_string(result->scenario));
	put(builder, root, "scenario_path", json_string(result->scenario_path));
	put(builder, root, "topology", json_string(result->topology));
	put(builder, root, "backend", json_string(result->backend));
	put(builder, root, "seed", json_integer((json_int_t)result->seed));
	put(builder, root, "time_scale", json_real(result->time_scale));
	put(builder, root, "passed", json_boolean(result->passed));
	if (result->node_adapter[0])
		put(builder, root, "node_adapter", json_string(result->node_adapter));
	if (result->skipped)
		put(builder, root, "skipped", json_string(result->skip_reason));
	char reproduce[HS_PATH_MAX + 96];
	hs_check_reproducer(result, reproduce, sizeof(reproduce));
	put(builder, root, "reproduce", json_string(reproduce));
	put(builder, root, "failures",
	    strings_json(builder, (const char(*)[HS_CHECK_MESSAGE_MAX])result->failures,
			 result->failure_count));
	put(builder, root, "warnings", warnings_json(builder, result));
	put(builder, root, "warning_total", json_integer(result->warning_total));
	put(builder, root, "formed_ms",
	    result->formed ? json_integer(result->formed_ms) : json_null());
	put(builder, root, "ended_ms", json_integer(result->ended_ms));
	put(builder, root, "final", final_json(builder, result));
	metrics_json(builder, result, root);
	put(builder, root, "transitions", transitions_json(builder, result));
	put(builder, root, "transitions_truncated", json_boolean(result->transitions_truncated));
	put(builder, root, "expectations", expectations_json(builder, result));
	return root;
}

int hs_report_json_write(const struct hs_check_result *result, const char *path, char *error,
			 size_t error_size)
{
	struct hs_json_builder builder = {0};
	struct hs_report_file report = {0};
	int status = -1;
	json_t *root = result_json(&builder, result);
	if (!root || builder.failed) {
		snprintf(error, error_size, "hs_report_json_write: out of memory for %s", path);
		goto cleanup;
	}
	if (hs_report_open(&report, path, error, error_size) < 0)
		goto cleanup;
	bool failed = json_dumpf(root, report.file, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0;
	if (failed)
		snprintf(error, error_size, "hs_report_json_write: cannot write %s", path);
	else
		fputc('\n', report.file);
	status = hs_report_close(&report, failed, error, error_size);
cleanup:
	json_decref(root);
	return status;
}
