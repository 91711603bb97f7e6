/*
 * logread.c - read two nodes' cluster logs into records (hasim replay).
 *
 * A field log is whatever the appliance kept: it may be torn at the end (the
 * node lost power while writing), begin in the middle of the incident (the
 * earlier part was rotated away), lack lines, or belong to another cluster.
 * None of that may crash the replay or pass unnoticed: every line the
 * reader cannot use becomes a note naming FILE:LINE, and only what makes a
 * replay meaningless is an error (a missing or empty file, nothing a known
 * adapter reads, two logs of one node, two nodes that never were one
 * cluster). Lines are read bounded (HS_REPLAY_LINE_MAX; a longer one is
 * consumed and noted); records grow an array bounded by
 * HS_REPLAY_RECORDS_MAX per log.
 *
 * The adapter is chosen per log by the first line one recognises. The log's
 * node is the one most of its records name; a record of another node is
 * skipped. A start record begins a new boot. A record whose "from" is not
 * the state the previous record left the node in means lines are missing
 * between the two, and is noted once per gap.
 */
#include "replay.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- notes */

void hs_replay_note(struct hs_replay_incident *incident, uint32_t log, uint32_t line,
		    const char *format, ...)
{
	incident->note_total++;
	if (incident->note_count == HS_REPLAY_NOTES_MAX)
		return;
	struct hs_replay_note *note = &incident->notes[incident->note_count++];
	va_list arguments;
	note->log = log;
	note->line = line;
	va_start(arguments, format);
	vsnprintf(note->text, sizeof(note->text), format, arguments);
	va_end(arguments);
}

struct hs_replay_record *hs_replay_record_at(struct hs_replay_incident *incident, uint32_t log,
					     uint32_t index)
{
	return &incident->logs[log].records[index];
}

void hs_replay_where(const struct hs_replay_incident *incident, uint32_t log, uint32_t index,
		     char *out, size_t out_size)
{
	snprintf(out, out_size, "%s:%u", incident->logs[log].name,
		 incident->logs[log].records[index].line);
}

/* ------------------------------------------------------------- lines */

/* One line without its newline into buffer; a longer one is consumed and
 * only its start kept (*total says how long it was); *terminated says
 * whether it ended with a newline. False at the end of the file. */
static bool line_read(FILE *file, char *buffer, size_t size, size_t *length, size_t *total,
		      bool *terminated)
{
	int c;
	*length = *total = 0;
	while ((c = getc(file)) != EOF && c != '\n') {
		if (*length + 1 < size)
			buffer[(*length)++] = (char)c;
		(*total)++;
	}
	*terminated = c == '\n';
	if (*length > 0 && buffer[*length - 1] == '\r')
		(*length)--;
	buffer[*length] = '\0';
	return c != EOF || *total > 0;
}

static bool blank(const char *line, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return false;
	return true;
}

static int record_append(struct hs_replay_log *log, uint32_t *capacity,
			 const struct hs_replay_record *record, char *error, size_t error_size)
{
	if (log->record_count == *capacity) {
		if (*capacity >= HS_REPLAY_RECORDS_MAX) {
			snprintf(error, error_size,
				 "%s:%u: more than %d records: cut the log to the incident",
				 log->name, record->line, HS_REPLAY_RECORDS_MAX);
			return -1;
		}
		uint32_t grown = *capacity ? *capacity * 2 : 256;
		grown = grown > HS_REPLAY_RECORDS_MAX ? HS_REPLAY_RECORDS_MAX : grown;
		struct hs_replay_record *records = realloc(log->records, grown * sizeof(*records));
		if (!records) {
			snprintf(error, error_size, "%s: out of memory for %u records", log->name,
				 grown);
			return -1;
		}
		log->records = records;
		*capacity = grown;
	}
	log->records[log->record_count++] = *record;
	return 0;
}

/* One line: a record, or a note saying why not. */
static int line_take(struct hs_replay_incident *incident, uint32_t index, const char *line,
		     size_t length, size_t total, bool last, uint32_t *capacity, char *error,
		     size_t error_size)
{
	struct hs_replay_log *log = &incident->logs[index];
	struct hs_replay_record record = {.log = index, .line = log->line_count, .seq = -1};
	char why[HS_TEXT_MAX];

	if (total > length + 1) {
		hs_replay_note(incident, index, log->line_count,
			       "skipped a line of %zu bytes (at most %d)", total,
			       HS_REPLAY_LINE_MAX);
		return 0;
	}
	if (memchr(line, '\0', length)) {
		hs_replay_note(incident, index, log->line_count,
			       "skipped a line with NUL bytes (a torn write)");
		return 0;
	}
	if (!log->adapter)
		log->adapter = hs_replay_adapter_find(line, length);
	if (!log->adapter || log->adapter->parse(line, length, &record, why, sizeof(why)) < 0) {
		hs_replay_note(incident, index, log->line_count, "skipped %s: %s",
			       last ? "a torn last line (the node stopped while writing it?)"
				    : "a line",
			       log->adapter ? why : "no adapter reads it");
		return 0;
	}
	log->adapter->classify(&record);
	return record_append(log, capacity, &record, error, error_size);
}

static int log_load(struct hs_replay_incident *incident, uint32_t index, const char *path,
		    char *error, size_t error_size)
{
	struct hs_replay_log *log = &incident->logs[index];
	char *line = NULL;
	size_t length, total;
	bool terminated;
	uint32_t capacity = 0;
	int status = -1;
	FILE *file;

	snprintf(log->name, sizeof(log->name), "%s", path);
	snprintf(log->path, sizeof(log->path), "%s", path);
	file = fopen(path, "r");
	if (!file) {
		snprintf(error, error_size, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	line = malloc(HS_REPLAY_LINE_MAX + 1);
	if (!line) {
		snprintf(error, error_size, "%s: out of memory", path);
		goto cleanup;
	}
	while (line_read(file, line, HS_REPLAY_LINE_MAX + 1, &length, &total, &terminated)) {
		log->line_count++;
		if (blank(line, length))
			continue;
		if (line_take(incident, index, line, length, total, !terminated, &capacity, error,
			      error_size) < 0)
			goto cleanup;
	}
	if (ferror(file)) {
		snprintf(error, error_size, "%s: cannot read: %s", path, strerror(errno));
		goto cleanup;
	}
	status = 0;
cleanup:
	free(line);
	fclose(file);
	return status;
}

/* ------------------------------------------------------------- the node */

/* The display states of the cluster log (docs/DEVELOPING.md); "" for the
 * records that carry none (a stop). */
static bool state_known(const char *state)
{
	static const char *const states[] = {
	    "",	     "active",	 "standby",	 "starting",   "maintenance",
	    "fault", "isolated", "disconnected", "standalone", NULL};
	for (int i = 0; states[i]; i++)
		if (strcmp(states[i], state) == 0)
			return true;
	return false;
}

/* The node most records name; records of another node, and records with a
 * state no node has, are dropped with a note. */
static void log_node(struct hs_replay_incident *incident, uint32_t index)
{
	struct hs_replay_log *log = &incident->logs[index];
	uint32_t best = 0, kept = 0;

	for (uint32_t i = 0; i < log->record_count; i++) {
		uint32_t same = 0;
		for (uint32_t j = 0; j < log->record_count && same <= log->record_count / 2; j++)
			same += strcmp(log->records[i].node, log->records[j].node) == 0;
		if (same > best) {
			best = same;
			snprintf(log->node, sizeof(log->node), "%s", log->records[i].node);
		}
		if (best > log->record_count / 2)
			break;
	}
	for (uint32_t i = 0; i < log->record_count; i++) {
		const struct hs_replay_record *record = &log->records[i];
		if (strcmp(record->node, log->node) != 0) {
			hs_replay_note(incident, index, record->line,
				       "skipped a record of node '%s' in %s's log", record->node,
				       log->node);
			continue;
		}
		if (!state_known(record->from) || !state_known(record->to)) {
			hs_replay_note(incident, index, record->line,
				       "skipped a record with a state no node has ('%s' -> '%s')",
				       record->from, record->to);
			continue;
		}
		log->records[kept++] = *record;
	}
	log->record_count = kept;
}

/* Boots, a beginning in the middle, and gaps between records. */
static void log_shape(struct hs_replay_incident *incident, uint32_t index)
{
	struct hs_replay_log *log = &incident->logs[index];
	char state[HS_NAME_MAX] = "";
	uint32_t boot = 0, state_line = 0;

	log->begins_mid_incident = log->records[0].cause != HS_CAUSE_START;
	if (log->begins_mid_incident)
		hs_replay_note(incident, index, log->records[0].line,
			       "the log begins mid-incident (its first record is a '%s' record "
			       "with %s %s, not a start): the earlier part was rotated away or "
			       "lost; the replay starts from the states it shows",
			       log->records[0].event, log->node,
			       log->records[0].from[0] ? log->records[0].from
						       : "in an unknown state");
	for (uint32_t i = 0; i < log->record_count; i++) {
		struct hs_replay_record *record = &log->records[i];
		if (record->cause == HS_CAUSE_START && i > 0)
			boot++;
		record->boot = boot;
		if (record->cause == HS_CAUSE_START || record->cause == HS_CAUSE_STOP) {
			state[0] = '\0';
			continue;
		}
		if (state[0] && record->from[0] && strcmp(record->from, state) != 0)
			hs_replay_note(incident, index, record->line,
				       "the record comes from '%s' but line %u left %s '%s': "
				       "records are missing between lines %u and %u",
				       record->from, state_line, log->node, state, state_line,
				       record->line);
		if (record->to[0]) {
			snprintf(state, sizeof(state), "%s", record->to);
			state_line = record->line;
		}
	}
	log->boot_count = boot + 1;
}

/* The peers a log's records name, checked against the other log's node. */
static int logs_pair(struct hs_replay_incident *incident, char *error, size_t error_size)
{
	bool named[HS_REPLAY_LOGS] = {false, false};

	if (strcmp(incident->logs[0].node, incident->logs[1].node) == 0) {
		snprintf(error, error_size,
			 "%s:%u and %s:%u: both are logs of node '%s'; give one log per node",
			 incident->logs[0].name, incident->logs[0].records[0].line,
			 incident->logs[1].name, incident->logs[1].records[0].line,
			 incident->logs[0].node);
		return -1;
	}
	for (uint32_t index = 0; index < HS_REPLAY_LOGS; index++) {
		const struct hs_replay_log *log = &incident->logs[index];
		const char *other = incident->logs[1 - index].node;
		for (uint32_t i = 0; i < log->record_count; i++) {
			const char *peer = log->records[i].peer;
			if (!peer[0] || strcmp(peer, log->node) == 0)
				continue;
			if (strcmp(peer, other) == 0) {
				named[index] = true;
				continue;
			}
			snprintf(error, error_size,
				 "%s:%u: %s's peer is '%s', but %s is the log of '%s': the two "
				 "logs are not of one cluster (give the logs of %s and %s)",
				 log->name, log->records[i].line, log->node, peer,
				 incident->logs[1 - index].name, other, log->node, peer);
			return -1;
		}
	}
	if (!named[0] && !named[1]) {
		snprintf(error, error_size,
			 "%s and %s: neither log names the other node as its peer (%s never saw "
			 "%s): %s was never in the cluster of %s",
			 incident->logs[0].name, incident->logs[1].name, incident->logs[0].node,
			 incident->logs[1].node, incident->logs[1].node, incident->logs[0].node);
		return -1;
	}
	return 0;
}

int hs_replay_read(struct hs_replay_incident *incident, const char *paths[HS_REPLAY_LOGS],
		   char *error, size_t error_size)
{
	for (uint32_t index = 0; index < HS_REPLAY_LOGS; index++) {
		struct hs_replay_log *log = &incident->logs[index];
		if (log_load(incident, index, paths[index], error, error_size) < 0)
			return -1;
		if (log->line_count == 0) {
			snprintf(error, error_size, "%s:1: the file is empty: nothing to replay",
				 log->name);
			return -1;
		}
		if (log->record_count == 0) {
			snprintf(error, error_size,
				 "%s:1: no line of its %u is a cluster-log record hasim reads "
				 "(adapters: hanode)",
				 log->name, log->line_count);
			return -1;
		}
		log_node(incident, index);
		log_shape(incident, index);
	}
	return logs_pair(incident, error, error_size);
}

void hs_replay_free(struct hs_replay_incident *incident)
{
	if (!incident)
		return;
	for (uint32_t i = 0; i < HS_REPLAY_LOGS; i++) {
		free(incident->logs[i].records);
		incident->logs[i].records = NULL;
	}
}
