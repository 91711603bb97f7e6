/*
 * timeline.c - read a run folder into one sorted timeline.
 *
 * run.json is required: without it there is no t0, no node list and no
 * aliases, so the run cannot be judged. Every other file is optional and
 * read line by line with libjansson; a line that is not a JSON object, or
 * lacks mono_ms, is skipped with a warning naming file:line, because a node
 * that was powered off or killed may leave a torn last line and that must
 * not hide the rest of its log. Events are appended to a growing array
 * bounded by HS_TIMELINE_EVENTS_MAX and sorted once at the end (stable
 * through the sequence number, with the source order runner, fabric, nodes,
 * client at equal times).
 */
#include "timeline.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------- helpers */

static const char *json_text(const json_t *object, const char *key)
{
	const char *text = json_string_value(json_object_get(object, key));
	return text ? text : "";
}

/* Integers may come as JSON reals from some writers; accept both. */
static bool json_int64(const json_t *object, const char *key, int64_t *value)
{
	const json_t *item = json_object_get(object, key);
	if (json_is_integer(item)) {
		*value = json_integer_value(item);
		return true;
	}
	if (json_is_real(item)) {
		*value = (int64_t)json_real_value(item);
		return true;
	}
	return false;
}

/* Bounded copy that truncates on purpose: every field has a fixed size. */
static void copy_text(char *out, size_t out_size, const char *text)
{
	size_t length = text ? strnlen(text, out_size - 1) : 0;
	if (length)
		memcpy(out, text, length);
	out[length] = '\0';
}

int hs_timeline_node_index(const struct hs_check_result *result, const char *node)
{
	for (uint32_t i = 0; i < result->node_count; i++)
		if (strcmp(result->nodes[i], node) == 0)
			return (int)i;
	return -1;
}

void hs_timeline_resolve_node(const struct hs_check_result *result, const char *name, char *node,
			      size_t node_size)
{
	char head[HS_NAME_MAX * 2];
	copy_text(head, sizeof(head), name);
	char *dot = strchr(head, '.');
	if (dot)
		*dot = '\0';
	for (uint32_t i = 0; i < result->alias_count; i++) {
		if (strcmp(result->aliases[i].alias, head) == 0) {
			copy_text(node, node_size, result->aliases[i].node);
			return;
		}
	}
	copy_text(node, node_size, head);
}

/* The node a target names, or "" when it names no node of this run (a
 * switch, a power domain, a network). */
static void event_set_node(const struct hs_check_result *result, struct hs_timeline_event *event,
			   const char *name)
{
	char node[HS_NAME_MAX * 2];
	hs_timeline_resolve_node(result, name, node, sizeof(node));
	if (hs_timeline_node_index(result, node) >= 0)
		copy_text(event->node, sizeof(event->node), node);
}

/* ------------------------------------------------------------- run.json */

static int run_read_aliases(const json_t *root, struct hs_check_result *result)
{
	const char *alias;
	json_t *value;
	json_object_foreach((json_t *)json_object_get(root, "aliases"), alias, value)
	{
		if (result->alias_count == HS_CHECK_ALIASES_MAX) {
			hs_check_warn(result, "run.json: more than %d aliases, ignored '%s'",
				      HS_CHECK_ALIASES_MAX, alias);
			continue;
		}
		struct hs_check_alias *entry = &result->aliases[result->alias_count++];
		copy_text(entry->alias, sizeof(entry->alias), alias);
		copy_text(entry->node, sizeof(entry->node), json_string_value(value));
	}
	return 0;
}

static void run_read_nodes(const json_t *root, const struct hs_scenario *scenario,
			   struct hs_check_result *result)
{
	const json_t *nodes = json_object_get(root, "nodes");
	size_t index;
	json_t *value;
	json_array_foreach(nodes, index, value)
	{
		if (!json_is_string(value))
			continue;
		if (result->node_count == HS_NODES_MAX) {
			hs_check_warn(result, "run.json: more than %d nodes, ignored '%s'",
				      HS_NODES_MAX, json_string_value(value));
			continue;
		}
		copy_text(result->nodes[result->node_count++], HS_NAME_MAX,
			  json_string_value(value));
	}
	if (result->node_count > 0)
		return;
	/* An older runner may not list the nodes: the topology knows them. */
	for (uint32_t i = 0; i < scenario->topology.node_count && i < HS_NODES_MAX; i++)
		copy_text(result->nodes[result->node_count++], HS_NAME_MAX,
			  scenario->topology.nodes[i].name);
}

static void run_read_errors(const json_t *root, struct hs_check_result *result)
{
	size_t index;
	json_t *value;
	json_array_foreach(json_object_get(root, "runner_errors"), index, value)
	{
		if (json_is_string(value))
			hs_check_fail(result, "runner: %s", json_string_value(value));
	}
}

static int run_load(const struct hs_scenario *scenario, const char *run_dir,
		    struct hs_check_result *result, int64_t *ended_mono_ms, char *error,
		    size_t error_size)
{
	char path[HS_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/run.json", run_dir);
	FILE *file = fopen(path, "r");
	if (!file) {
		snprintf(error, error_size, "hs_check_run: cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	json_error_t json_error;
	json_t *root = json_loadf(file, 0, &json_error);
	fclose(file);
	if (!root) {
		snprintf(error, error_size, "hs_check_run: %s:%d: %s", path, json_error.line,
			 json_error.text);
		return -1;
	}
	int status = -1;
	int64_t formed = 0, seed = 0;
	if (!json_is_object(root) || !json_int64(root, "t0_mono_ms", &result->t0_mono_ms)) {
		snprintf(error, error_size, "hs_check_run: %s: t0_mono_ms missing", path);
		goto cleanup;
	}
	copy_text(result->scenario, sizeof(result->scenario), json_text(root, "scenario"));
	copy_text(result->scenario_path, sizeof(result->scenario_path),
		  json_text(root, "scenario_path"));
	copy_text(result->topology, sizeof(result->topology), json_text(root, "topology"));
	copy_text(result->backend, sizeof(result->backend), json_text(root, "backend"));
	if (json_int64(root, "seed", &seed))
		result->seed = (uint64_t)seed;
	const json_t *scale = json_object_get(root, "time_scale");
	result->time_scale = json_is_number(scale) ? json_number_value(scale) : 1.0;
	if (result->time_scale <= 0)
		result->time_scale = 1.0;
	result->formed = json_int64(root, "formed_mono_ms", &formed);
	result->formed_ms = formed - result->t0_mono_ms;
	if (!json_int64(root, "ended_mono_ms", ended_mono_ms))
		*ended_mono_ms = INT64_MIN; /* the last event ends the run */
	json_int64(root, "t0_wall_ms", &result->t0_wall_ms);
	if (!json_int64(root, "resolution_ms", &result->resolution_ms) || result->resolution_ms < 0)
		result->resolution_ms = 0;
	copy_text(result->hostname, sizeof(result->hostname), json_text(root, "hostname"));
	run_read_aliases(root, result);
	run_read_nodes(root, scenario, result);
	run_read_errors(root, result);
	hs_check_read_adapter(root, result);
	status = 0;
cleanup:
	json_decref(root);
	return status;
}

/* ------------------------------------------------------------- lines */

static int timeline_append(struct hs_timeline *timeline, const struct hs_timeline_event *event,
			   char *error, size_t error_size)
{
	if (timeline->event_count == timeline->event_capacity) {
		if (timeline->event_capacity >= HS_TIMELINE_EVENTS_MAX) {
			snprintf(error, error_size, "hs_check_run: more than %d events in the run",
				 HS_TIMELINE_EVENTS_MAX);
			return -1;
		}
		uint32_t capacity = timeline->event_capacity ? timeline->event_capacity * 2 : 1024;
		if (capacity > HS_TIMELINE_EVENTS_MAX)
			capacity = HS_TIMELINE_EVENTS_MAX;
		struct hs_timeline_event *events =
		    realloc(timeline->events, capacity * sizeof(*events));
		if (!events) {
			snprintf(error, error_size, "hs_check_run: out of memory for %u events",
				 capacity);
			return -1;
		}
		timeline->events = events;
		timeline->event_capacity = capacity;
	}
	timeline->events[timeline->event_count] = *event;
	timeline->events[timeline->event_count].sequence = timeline->event_count;
	timeline->event_count++;
	return 0;
}

typedef void (*hs_line_parser)(const json_t *line, const struct hs_check_result *result,
			       struct hs_timeline_event *event);

static void parse_step(const json_t *line, const struct hs_check_result *result,
		       struct hs_timeline_event *event)
{
	const char *kind = json_text(line, "event");
	copy_text(event->kind, sizeof(event->kind), kind[0] ? kind : "step");
	if (strcmp(event->kind, "loop_stall") == 0) { /* the runner's loop stood still */
		if (!json_int64(line, "stalled_ms", &event->latency_ms) || event->latency_ms < 0)
			event->latency_ms = 0;
		event->ok = true;
		snprintf(event->detail, sizeof(event->detail), "the runner's loop stalled %lld ms",
			 (long long)event->latency_ms);
		return;
	}
	copy_text(event->name, sizeof(event->name), json_text(line, "name"));
	copy_text(event->action, sizeof(event->action), json_text(line, "action"));
	copy_text(event->target, sizeof(event->target), json_text(line, "target"));
	event_set_node(result, event, event->target);
	const json_t *ok = json_object_get(line, "ok");
	event->ok = !json_is_false(ok);
	if (event->ok)
		snprintf(event->detail, sizeof(event->detail), "%s %s", event->action,
			 event->target);
	else
		snprintf(event->detail, sizeof(event->detail), "%s %s failed: %s", event->action,
			 event->target, json_text(line, "error"));
}

static void parse_fabric(const json_t *line, const struct hs_check_result *result,
			 struct hs_timeline_event *event)
{
	copy_text(event->kind, sizeof(event->kind), json_text(line, "event"));
	const char *cable = json_text(line, "cable");
	copy_text(event->target, sizeof(event->target), cable);
	event_set_node(result, event, cable);
	snprintf(event->detail, sizeof(event->detail), "%s%s%s", cable,
		 json_text(line, "reason")[0] ? ": " : "", json_text(line, "reason"));
	event->ok = true;
}

static void parse_client(const json_t *line, const struct hs_check_result *result,
			 struct hs_timeline_event *event)
{
	int64_t sent_mono_ms;
	copy_text(event->kind, sizeof(event->kind), json_text(line, "op"));
	if (!json_int64(line, "latency_ms", &event->latency_ms) || event->latency_ms < 0)
		event->latency_ms = -1;
	if (json_int64(line, "sent_ms", &sent_mono_ms))
		event->sent_ms = sent_mono_ms - result->t0_mono_ms;
	else
		event->sent_ms = event->t_ms - (event->latency_ms > 0 ? event->latency_ms : 0);
	copy_text(event->name, sizeof(event->name), json_text(line, "key"));
	event->ok = json_is_true(json_object_get(line, "ok"));
	if (strcmp(event->kind, "verify") == 0)
		snprintf(event->detail, sizeof(event->detail), "%s: expected '%s', got '%s'",
			 event->name, json_text(line, "expected"), json_text(line, "got"));
	else
		snprintf(event->detail, sizeof(event->detail), "%s %s%s%s", event->kind,
			 event->name, event->ok ? "" : ": ", json_text(line, "error"));
}

static void parse_node_log(const json_t *line, const struct hs_check_result *result,
			   struct hs_timeline_event *event)
{
	(void)result;
	/* The folder names the node; the record's own "node" field is only
	 * informative (a misconfigured node could log a wrong name). */
	copy_text(event->node, sizeof(event->node), event->source);
	copy_text(event->kind, sizeof(event->kind), json_text(line, "event"));
	copy_text(event->from, sizeof(event->from), json_text(line, "from"));
	copy_text(event->to, sizeof(event->to), json_text(line, "to"));
	copy_text(event->detail, sizeof(event->detail), json_text(line, "reason"));
	json_int64(line, "lost_writes", &event->lost_writes);
	json_int64(line, "wall_ms", &event->wall_ms);
	event->ok = true;
}

/* A call of the node's notify hook, as hanode writes its stdin:
 * {"event":"fault","node":"node1","text":"...","mono_ms":...,"wall_ms":...}.
 * The folder names the node, as for its cluster log. */
static void parse_notify(const json_t *line, const struct hs_check_result *result,
			 struct hs_timeline_event *event)
{
	(void)result;
	copy_text(event->node, sizeof(event->node), event->source);
	copy_text(event->kind, sizeof(event->kind), json_text(line, "event"));
	copy_text(event->detail, sizeof(event->detail), json_text(line, "text"));
	json_int64(line, "wall_ms", &event->wall_ms);
	event->ok = true;
}

/* One JSON object per line. A line that is no object or has no mono_ms is
 * skipped with a warning; so is an over-long one. */
static int read_line_object(const char *line, size_t length, const char *name, uint32_t line_number,
			    struct hs_check_result *result, json_t **object, int64_t *mono_ms)
{
	json_error_t json_error;
	*object = json_loadb(line, length, 0, &json_error);
	if (!*object) {
		hs_check_warn(result, "%s:%u: skipped a bad line: %s", name, line_number,
			      json_error.text);
		return -1;
	}
	if (!json_is_object(*object) || !json_int64(*object, "mono_ms", mono_ms)) {
		hs_check_warn(result, "%s:%u: skipped a line without mono_ms", name, line_number);
		json_decref(*object);
		*object = NULL;
		return -1;
	}
	return 0;
}

/* One line without its newline into buffer (size bytes). A longer line is
 * consumed to its end but only its start kept; total says how long it was.
 * Returns false at the end of the file. NUL bytes (a file with a hole after
 * a power loss) are kept, so JSON parsing rejects the line with a warning. */
static bool read_bounded_line(FILE *file, char *buffer, size_t size, size_t *length, size_t *total)
{
	int c;
	*length = 0;
	*total = 0;
	while ((c = getc(file)) != EOF && c != '\n') {
		if (*length + 1 < size)
			buffer[(*length)++] = (char)c;
		(*total)++;
	}
	if (*length > 0 && buffer[*length - 1] == '\r')
		(*length)--;
	buffer[*length] = '\0';
	return c != EOF || *total > 0;
}

static int parse_line(const char *line, size_t length, size_t total, const char *name,
		      uint32_t line_number, const struct hs_timeline_event *templ,
		      hs_line_parser parser, struct hs_check_result *result, char *error,
		      size_t error_size)
{
	json_t *object;
	int64_t mono_ms;
	if (length == 0)
		return 0;
	if (total > length + 1) {
		hs_check_warn(result, "%s:%u: skipped a line of %zu bytes (at most %d)", name,
			      line_number, total, HS_TIMELINE_LINE_MAX);
		return 0;
	}
	if (memchr(line, '\0', length)) {
		hs_check_warn(result, "%s:%u: skipped a line with NUL bytes (a torn write)", name,
			      line_number);
		return 0;
	}
	if (read_line_object(line, length, name, line_number, result, &object, &mono_ms) < 0)
		return 0;
	struct hs_timeline_event event = *templ;
	event.t_ms = mono_ms - result->t0_mono_ms;
	parser(object, result, &event);
	json_decref(object);
	return timeline_append(result->timeline, &event, error, error_size);
}

/* Read run_dir/name; a missing file is not an error (the caller decides
 * whether it deserves a warning through missing). */
static int read_jsonl(const char *run_dir, const char *name, struct hs_timeline_event *templ,
		      hs_line_parser parser, struct hs_check_result *result, bool *missing,
		      char *error, size_t error_size)
{
	char path[HS_PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", run_dir, name);
	*missing = false;
	FILE *file = fopen(path, "r");
	if (!file) {
		*missing = errno == ENOENT;
		if (*missing)
			return 0;
		snprintf(error, error_size, "hs_check_run: cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	int status = -1;
	char *line = malloc(HS_TIMELINE_LINE_MAX + 1);
	size_t length, total;
	uint32_t line_number = 0;
	if (!line) {
		snprintf(error, error_size, "hs_check_run: out of memory reading %s", path);
		goto cleanup;
	}
	while (read_bounded_line(file, line, HS_TIMELINE_LINE_MAX + 1, &length, &total)) {
		line_number++;
		if (parse_line(line, length, total, name, line_number, templ, parser, result, error,
			       error_size) < 0)
			goto cleanup;
	}
	if (ferror(file)) {
		snprintf(error, error_size, "hs_check_run: cannot read %s", path);
		goto cleanup;
	}
	status = 0;
cleanup:
	free(line);
	fclose(file);
	return status;
}

/* ------------------------------------------------------------- sources */

static int read_sources(const struct hs_scenario *scenario, const char *run_dir,
			struct hs_check_result *result, char *error, size_t error_size)
{
	struct hs_timeline_event templ = {0};
	bool missing;
	templ.source_kind = HS_SOURCE_RUNNER;
	copy_text(templ.source, sizeof(templ.source), "runner");
	if (read_jsonl(run_dir, "steps.jsonl", &templ, parse_step, result, &missing, error,
		       error_size) < 0)
		return -1;
	if (missing && scenario->step_count > 0)
		hs_check_warn(result, "steps.jsonl: missing, so no step happened");
	templ.source_kind = HS_SOURCE_FABRIC;
	copy_text(templ.source, sizeof(templ.source), "fabric");
	if (read_jsonl(run_dir, "fabric.jsonl", &templ, parse_fabric, result, &missing, error,
		       error_size) < 0)
		return -1;
	templ.source_kind = HS_SOURCE_CLIENT;
	copy_text(templ.source, sizeof(templ.source), "client");
	if (read_jsonl(run_dir, "client.jsonl", &templ, parse_client, result, &missing, error,
		       error_size) < 0)
		return -1;
	if (missing && scenario->client.enabled)
		hs_check_warn(result, "client.jsonl: missing although the scenario runs a client");
	/* Each node's files: its cluster log (missing: a warning), then its
	 * notifications (a node that never notified has no notify.jsonl: not
	 * worth a warning). */
	static const struct {
		const char *file;
		enum hs_source kind;
		hs_line_parser parser;
		bool warn_missing;
	} node_files[] = {{"cluster.log", HS_SOURCE_NODE, parse_node_log, true},
			  {"notify.jsonl", HS_SOURCE_NOTIFY, parse_notify, false}};
	for (size_t f = 0; f < sizeof(node_files) / sizeof(node_files[0]); f++)
		for (uint32_t i = 0; i < result->node_count; i++) {
			char name[HS_NAME_MAX + 32];
			snprintf(name, sizeof(name), "nodes/%s/%s", result->nodes[i],
				 node_files[f].file);
			templ.source_kind = node_files[f].kind;
			templ.source_order = i;
			copy_text(templ.source, sizeof(templ.source), result->nodes[i]);
			if (read_jsonl(run_dir, name, &templ, node_files[f].parser, result,
				       &missing, error, error_size) < 0)
				return -1;
			if (missing && node_files[f].warn_missing)
				hs_check_warn(result, "%s: missing", name);
		}
	return 0;
}

int hs_timeline_add_line(struct hs_check_result *result, enum hs_source source, uint32_t node_index,
			 uint32_t line_number, const char *line, size_t length, char *error,
			 size_t error_size)
{
	static const hs_line_parser parsers[] = {[HS_SOURCE_RUNNER] = parse_step,
						 [HS_SOURCE_FABRIC] = parse_fabric,
						 [HS_SOURCE_NODE] = parse_node_log,
						 [HS_SOURCE_CLIENT] = parse_client,
						 [HS_SOURCE_NOTIFY] = parse_notify};
	static const char *const files[] = {[HS_SOURCE_RUNNER] = "steps.jsonl",
					    [HS_SOURCE_FABRIC] = "fabric.jsonl",
					    [HS_SOURCE_NODE] = "cluster.log",
					    [HS_SOURCE_CLIENT] = "client.jsonl",
					    [HS_SOURCE_NOTIFY] = "notify.jsonl"};
	static const char *const sources[] = {[HS_SOURCE_RUNNER] = "runner",
					      [HS_SOURCE_FABRIC] = "fabric",
					      [HS_SOURCE_CLIENT] = "client"};
	struct hs_timeline_event templ = {.source_kind = source};
	char name[HS_NAME_MAX + 32];

	bool per_node = source == HS_SOURCE_NODE || source == HS_SOURCE_NOTIFY;

	if ((unsigned)source > HS_SOURCE_NOTIFY || (per_node && node_index >= result->node_count)) {
		snprintf(error, error_size, "hs_timeline_add_line: no source %d/%u", (int)source,
			 node_index);
		return -1;
	}
	if (per_node) {
		templ.source_order = node_index;
		copy_text(templ.source, sizeof(templ.source), result->nodes[node_index]);
		snprintf(name, sizeof(name), "nodes/%s/%s", result->nodes[node_index],
			 files[source]);
	} else {
		copy_text(templ.source, sizeof(templ.source), sources[source]);
		snprintf(name, sizeof(name), "%s", files[source]);
	}
	return parse_line(line, length, length, name, line_number, &templ, parsers[source], result,
			  error, error_size);
}

static int event_compare(const void *left_pointer, const void *right_pointer)
{
	const struct hs_timeline_event *left = left_pointer, *right = right_pointer;
	if (left->t_ms != right->t_ms)
		return left->t_ms < right->t_ms ? -1 : 1;
	if (left->source_kind != right->source_kind)
		return left->source_kind < right->source_kind ? -1 : 1;
	if (left->source_order != right->source_order)
		return left->source_order < right->source_order ? -1 : 1;
	if (left->sequence != right->sequence)
		return left->sequence < right->sequence ? -1 : 1;
	return 0;
}

/* final.json is what the runner saw when it stopped; only cluster_ip_unique
 * depends on it, so a missing one is a warning here. */
static void read_final(const char *run_dir, struct hs_check_result *result)
{
	char path[HS_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/final.json", run_dir);
	FILE *file = fopen(path, "r");
	if (!file) {
		hs_check_warn(result, "final.json: %s, so cluster_ip_unique cannot hold",
			      errno == ENOENT ? "missing" : strerror(errno));
		return;
	}
	json_error_t json_error;
	json_t *root = json_loadf(file, 0, &json_error);
	fclose(file);
	if (!root) {
		hs_check_warn(result, "final.json:%d: %s", json_error.line, json_error.text);
		return;
	}
	const json_t *nodes = json_object_get(root, "nodes");
	result->timeline->final_loaded = json_is_object(nodes);
	for (uint32_t i = 0; i < result->node_count && json_is_object(nodes); i++) {
		const json_t *node = json_object_get(nodes, result->nodes[i]);
		struct hs_final_node *final = &result->timeline->final_nodes[i];
		if (!json_is_object(node))
			continue;
		final->known = true;
		copy_text(final->display, sizeof(final->display), json_text(node, "display"));
		final->holds_cluster_ip = json_is_true(json_object_get(node, "holds_cluster_ip"));
		final->reachable = json_is_true(json_object_get(node, "reachable"));
	}
	json_decref(root);
}

void hs_timeline_finish(struct hs_check_result *result, int64_t ended_mono_ms)
{
	struct hs_timeline *timeline = result->timeline;
	/* No event, no array: qsort must not get NULL (UBSan, fuzz_run_lines). */
	if (timeline->event_count > 0)
		qsort(timeline->events, timeline->event_count, sizeof(*timeline->events),
		      event_compare);
	timeline->ended_given = ended_mono_ms != INT64_MIN;
	if (ended_mono_ms != INT64_MIN)
		result->ended_ms = ended_mono_ms - result->t0_mono_ms;
	else if (timeline->event_count > 0)
		result->ended_ms = timeline->events[timeline->event_count - 1].t_ms;
	else
		result->ended_ms = 0;
}

/* When and where the run ran, for junit.xml: run.json's own fields, else
 * t0 on the wall clock from the first node record that has both clocks,
 * else from run.json's modification time (written when the run ended),
 * and this host. */
static void run_wall_clock(const char *run_dir, struct hs_check_result *result)
{
	const struct hs_timeline *timeline = result->timeline;
	char path[HS_PATH_MAX + 32];
	struct stat info;

	if (!result->hostname[0] && gethostname(result->hostname, sizeof(result->hostname)) != 0)
		copy_text(result->hostname, sizeof(result->hostname), "localhost");
	result->hostname[sizeof(result->hostname) - 1] = '\0';
	for (uint32_t i = 0; result->t0_wall_ms <= 0 && i < timeline->event_count; i++)
		if (timeline->events[i].source_kind == HS_SOURCE_NODE &&
		    timeline->events[i].wall_ms > 0)
			result->t0_wall_ms = timeline->events[i].wall_ms - timeline->events[i].t_ms;
	snprintf(path, sizeof(path), "%s/run.json", run_dir);
	if (result->t0_wall_ms <= 0 && stat(path, &info) == 0)
		result->t0_wall_ms = (int64_t)info.st_mtim.tv_sec * 1000 +
				     info.st_mtim.tv_nsec / 1000000 - result->ended_ms;
}

int hs_timeline_load(const struct hs_scenario *scenario, const char *run_dir,
		     struct hs_check_result *result, char *error, size_t error_size)
{
	int64_t ended_mono_ms;
	result->timeline = calloc(1, sizeof(*result->timeline));
	if (!result->timeline) {
		snprintf(error, error_size, "hs_check_run: out of memory for the timeline of %s",
			 run_dir);
		return -1;
	}
	if (run_load(scenario, run_dir, result, &ended_mono_ms, error, error_size) < 0)
		return -1;
	if (read_sources(scenario, run_dir, result, error, error_size) < 0)
		return -1;
	hs_timeline_finish(result, ended_mono_ms);
	read_final(run_dir, result);
	run_wall_clock(run_dir, result);
	return 0;
}

void hs_timeline_free(struct hs_timeline *timeline)
{
	if (!timeline)
		return;
	free(timeline->events);
	free(timeline);
}

bool hs_spans_both_active(const struct hs_display_span *left, const struct hs_display_span *right,
			  int64_t *start_ms, int64_t *end_ms)
{
	*start_ms = left->start_ms > right->start_ms ? left->start_ms : right->start_ms;
	*end_ms = left->end_ms < right->end_ms ? left->end_ms : right->end_ms;
	return strcmp(left->state, "active") == 0 && strcmp(right->state, "active") == 0 &&
	       *end_ms > *start_ms;
}
