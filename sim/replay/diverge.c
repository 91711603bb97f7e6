/*
 * diverge.c - where a replay's run leaves the field (hasim replay --run).
 *
 * The run folder's cluster logs are read with the same reader and clock as
 * the field's, so both sides are records of one kind. For each node, the
 * field's transitions (the daemons' stop at the end left out on both
 * sides) are compared with the run's in order: the first index where they
 * differ, a transition the field saw and the run did not, one the run made
 * and the field did not. Each divergence is one line naming the field's
 * record (FILE:LINE) and the run's, with times from formation on each side;
 * the lines come in time order, so the first divergence is printed first.
 * Then the run's failed expectations (a transition in the right order but
 * outside its window) from its result.json, which the run's own report
 * explains.
 */
#include "replay.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define HS_DIVERGENCES_MAX 64

struct divergence {
	int64_t t_ms; /* from formation, to order them */
	char text[HS_TEXT_MAX * 3];
};

struct divergences {
	uint32_t count, total;
	struct divergence items[HS_DIVERGENCES_MAX];
};

static void divergence_add(struct divergences *list, int64_t t_ms, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void divergence_add(struct divergences *list, int64_t t_ms, const char *format, ...)
{
	va_list arguments;
	list->total++;
	if (list->count == HS_DIVERGENCES_MAX)
		return;
	struct divergence *item = &list->items[list->count++];
	item->t_ms = t_ms;
	va_start(arguments, format);
	vsnprintf(item->text, sizeof(item->text), format, arguments);
	va_end(arguments);
}

static int divergence_compare(const void *left, const void *right)
{
	const struct divergence *a = left, *b = right;
	return a->t_ms < b->t_ms ? -1 : a->t_ms > b->t_ms;
}

static int64_t since_formation(const struct hs_replay_incident *incident, int64_t t_ms)
{
	return t_ms - (incident->formed ? incident->formed_ms : incident->up_ms);
}

/* The index of the next transition at or after *cursor, or -1. */
static int64_t next_transition(const struct hs_replay_log *log, uint32_t *cursor)
{
	while (*cursor < log->record_count) {
		const struct hs_replay_record *record = &log->records[(*cursor)++];
		if (record->transition && !record->teardown)
			return *cursor - 1;
	}
	return -1;
}

/* One node: the field's log against the run's log of the node it is
 * staged as. */
static void compare_node(const struct hs_replay_incident *field, uint32_t field_log,
			 const struct hs_replay_incident *run, uint32_t run_log, const char *node,
			 struct divergences *list)
{
	const struct hs_replay_log *seen = &field->logs[field_log], *made = &run->logs[run_log];
	uint32_t seen_cursor = 0, made_cursor = 0, number = 0;
	char at[HS_PATH_MAX + 16];

	for (;;) {
		int64_t a = next_transition(seen, &seen_cursor),
			b = next_transition(made, &made_cursor);
		const struct hs_replay_record *x = a >= 0 ? &seen->records[a] : NULL;
		const struct hs_replay_record *y = b >= 0 ? &made->records[b] : NULL;
		if (!x && !y)
			return;
		number++;
		if (x)
			hs_replay_where(field, field_log, (uint32_t)a, at, sizeof(at));
		if (x && y && strcmp(x->from, y->from) == 0 && strcmp(x->to, y->to) == 0)
			continue;
		if (x && y)
			divergence_add(
			    list, since_formation(field, x->t_ms),
			    "%s's transition %u: the field went %s->%s at %+" PRId64
			    " ms (%s '%s'), the replay went %s->%s at %+" PRId64 " ms ('%s')",
			    node, number, x->from, x->to, since_formation(field, x->t_ms), at,
			    x->reason, y->from, y->to, since_formation(run, y->t_ms), y->reason);
		else if (x)
			divergence_add(list, since_formation(field, x->t_ms),
				       "%s's transition %u: the field went %s->%s at %+" PRId64
				       " ms (%s '%s'); the replay did not",
				       node, number, x->from, x->to,
				       since_formation(field, x->t_ms), at, x->reason);
		else
			divergence_add(list, since_formation(run, y->t_ms),
				       "%s's transition %u: the replay went %s->%s at %+" PRId64
				       " ms ('%s'); the field did not",
				       node, number, y->from, y->to, since_formation(run, y->t_ms),
				       y->reason);
		/* After the first difference the rest of this node's sequence is
		 * shifted; one line says it. */
		return;
	}
}

/* The run's metrics (what a customer's "calls dropped for 4 seconds" is
 * compared with), then its failed expectations, from its result.json. */
static uint32_t print_failed(const char *run_dir, FILE *out)
{
	char path[HS_PATH_MAX + 32];
	json_error_t error;
	json_t *result, *expectation, *value;
	uint32_t failed = 0;
	const char *name;
	size_t index;

	snprintf(path, sizeof(path), "%s/result.json", run_dir);
	result = json_load_file(path, 0, &error);
	fprintf(out, "the replay measured:");
	index = 0;
	json_object_foreach(json_object_get(result, "metrics"), name, value)
	{
		if (json_is_integer(value))
			fprintf(out, "%s %s %" PRId64 "%s", index++ ? "," : "", name,
				(int64_t)json_integer_value(value),
				strstr(name, "_ms") ? " ms" : "");
	}
	fprintf(out, "%s\n", index ? "" : " nothing (no result.json)");
	json_array_foreach(json_object_get(result, "expectations"), index, expectation)
	{
		if (json_is_true(json_object_get(expectation, "passed")) ||
		    json_is_true(json_object_get(expectation, "skipped")))
			continue;
		if (failed++ == 0)
			fprintf(out, "failed expectations of the replay (%s):\n", path);
		fprintf(out, "  [%" PRId64 "] %s\n",
			(int64_t)json_integer_value(json_object_get(expectation, "index")),
			json_string_value(json_object_get(expectation, "message")));
	}
	json_decref(result);
	return failed;
}

int hs_replay_diverge(const struct hs_replay_incident *incident, const struct hs_topology *topology,
		      const char *run_dir, FILE *out, char *error, size_t error_size)
{
	struct hs_replay_incident *run = calloc(1, sizeof(*run));
	struct divergences *list = calloc(1, sizeof(*list));
	char paths[HS_REPLAY_LOGS][HS_PATH_MAX + 64];
	const char *names[HS_REPLAY_LOGS];
	int status = -1;

	if (!run || !list) {
		snprintf(error, error_size, "hs_replay_diverge: out of memory");
		goto cleanup;
	}
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++) {
		snprintf(paths[log], sizeof(paths[log]), "%s/nodes/%s/cluster.log", run_dir,
			 hs_replay_node_name(incident, topology, log));
		names[log] = paths[log];
	}
	run->heartbeat_ms = incident->heartbeat_ms;
	if (hs_replay_read(run, names, error, error_size) < 0)
		goto cleanup;
	hs_replay_clock(run);
	for (uint32_t log = 0; log < HS_REPLAY_LOGS; log++)
		compare_node(incident, log, run, log, hs_replay_node_name(incident, topology, log),
			     list);
	qsort(list->items, list->count, sizeof(list->items[0]), divergence_compare);
	if (list->total == 0)
		fprintf(out, "the replay made the field's transitions, in the field's order, on "
			     "both nodes\n");
	for (uint32_t i = 0; i < list->count; i++)
		fprintf(out, "divergence %u: %s\n", i + 1, list->items[i].text);
	status = (int)list->total + (int)print_failed(run_dir, out);
cleanup:
	hs_replay_free(run);
	free(run);
	free(list);
	return status;
}
