/*
 * yaml_read.c - read a YAML file into a libyaml document within limits.
 *
 * Every file hasim reads is someone's input, so nothing in it may make the
 * loader slow or huge. libyaml itself is not bounded: its scanner spends
 * time proportional to the nesting depth on every token (ten thousand
 * '[' take minutes) and its loader builds whatever it is given. So a file
 * passes three gates before libyaml builds a document from it:
 *
 *   1. bytes: at most HS_FILE_BYTES_MAX, read into memory at once; a NUL
 *      byte or a UTF-16/UTF-32 byte-order mark is refused with a true
 *      message (halab reads UTF-8 text);
 *   2. events: libyaml's event parser walks the stream once while this file
 *      counts nesting depth, items per list, keys per mapping, nodes per
 *      document and bytes per scalar, and stops at the first limit (it
 *      never lets the scanner run deep), keeping the field path of where
 *      it is ("steps[3].name") for the message;
 *   3. the document: only then yaml_parser_load() builds the tree the
 *      parsers walk (yaml_walk.c).
 *
 * Messages have the usual form "FILE:LINE: FIELD: reason".
 */
#include "yaml_walk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LABEL_MAX 40

struct frame {
	bool mapping;
	bool expecting_key; /* mapping: the next node is a key */
	uint32_t count;	    /* items or keys so far */
	char key[KEY_LABEL_MAX];
};

struct limits_walk {
	struct hs_yaml *yaml;
	uint32_t depth; /* frames in use; frame 0 is the stream */
	struct frame frames[HS_YAML_DEPTH_MAX + 2];
	uint32_t node_count;
	uint32_t document_count;
};

/* ---------------------------------------------------------- messages */

static int fail_at(struct hs_yaml *yaml, size_t line_index, const char *field, const char *format,
		   ...) __attribute__((format(printf, 4, 5)));

static int fail_at(struct hs_yaml *yaml, size_t line_index, const char *field, const char *format,
		   ...)
{
	char reason[HS_ERROR_MAX];
	va_list args;

	va_start(args, format);
	vsnprintf(reason, sizeof(reason), format, args);
	va_end(args);
	if (yaml->error && yaml->error_size > 0)
		snprintf(yaml->error, yaml->error_size, "%s:%zu: %s: %s", yaml->path,
			 line_index + 1, field, reason);
	return -1;
}

/* The path of where the walk is: "nodes[1].ports" (the innermost
 * collection), or with current "nodes[1].ports.LAN3" (the node being read
 * in it); "file" at the top. Frame 1 is the document's root collection. */
static void walk_field(const struct limits_walk *walk, bool current, char *out, size_t out_size)
{
	size_t used = 0;

	out[0] = '\0';
	for (uint32_t i = 1; i <= walk->depth && used + 1 < out_size; i++) {
		const struct frame *frame = &walk->frames[i];
		int written;

		if (i == walk->depth && !current)
			break;
		if (frame->mapping)
			written = snprintf(out + used, out_size - used, "%s%s", used ? "." : "",
					   frame->key);
		else
			written = snprintf(out + used, out_size - used, "[%" PRIu32 "]",
					   frame->count - 1);
		used += written > 0 ? (size_t)written : 0;
	}
	if (out[0] == '\0')
		snprintf(out, out_size, "file");
}

/* ------------------------------------------------------------- bytes */

/* Line (0-based) and column (1-based) of offset in data. */
static void offset_position(const unsigned char *data, size_t offset, size_t *line, size_t *column)
{
	size_t line_start = 0;

	*line = 0;
	for (size_t i = 0; i < offset; i++)
		if (data[i] == '\n') {
			(*line)++;
			line_start = i + 1;
		}
	*column = offset - line_start + 1;
}

static int encoding_check(struct hs_yaml *yaml, const unsigned char *data, size_t size)
{
	const unsigned char *nul;
	size_t line, column;

	if (size >= 4 && ((data[0] == 0xff && data[1] == 0xfe && data[2] == 0 && data[3] == 0) ||
			  (data[0] == 0 && data[1] == 0 && data[2] == 0xfe && data[3] == 0xff)))
		return fail_at(
		    yaml, 0, "file",
		    "UTF-32 text (byte-order mark); halab reads UTF-8: save it as UTF-8");
	if (size >= 2 &&
	    ((data[0] == 0xff && data[1] == 0xfe) || (data[0] == 0xfe && data[1] == 0xff)))
		return fail_at(yaml, 0, "file",
			       "UTF-16 text (byte-order mark %02X %02X); halab reads UTF-8: save "
			       "it as UTF-8",
			       data[0], data[1]);
	nul = memchr(data, '\0', size);
	if (!nul)
		return 0;
	offset_position(data, (size_t)(nul - data), &line, &column);
	return fail_at(yaml, line, "file",
		       "a NUL byte at column %zu; halab reads UTF-8 text (is it UTF-16 without a "
		       "byte-order mark, or not text at all?)",
		       column);
}

/* Read at most HS_FILE_BYTES_MAX + 1 bytes, so a larger file (or an endless
 * pipe) is refused without reading it all. */
static int file_read(struct hs_yaml *yaml, unsigned char **data, size_t *size)
{
	FILE *file = fopen(yaml->path, "rb");
	size_t got;

	*data = NULL;
	*size = 0;
	if (!file)
		return hs_yaml_fail(yaml, NULL, "file", "cannot open: %s", strerror(errno));
	*data = malloc(HS_FILE_BYTES_MAX + 1);
	if (!*data) {
		fclose(file);
		return hs_yaml_fail(yaml, NULL, "file", "out of memory");
	}
	got = fread(*data, 1, HS_FILE_BYTES_MAX + 1, file);
	if (ferror(file)) {
		fclose(file);
		return hs_yaml_fail(yaml, NULL, "file", "cannot read: %s", strerror(errno));
	}
	fclose(file);
	if (got > HS_FILE_BYTES_MAX)
		return fail_at(yaml, 0, "file", "larger than %d bytes (the limit of a file)",
			       HS_FILE_BYTES_MAX);
	*size = got;
	return 0;
}

/* ------------------------------------------------------------ events */

/* A node (scalar, alias or collection) starts inside the current frame. */
static int node_enter(struct limits_walk *walk, const yaml_event_t *event)
{
	struct frame *frame = &walk->frames[walk->depth];
	char field[HS_FIELD_MAX];
	size_t line = event->start_mark.line;

	if (++walk->node_count > HS_YAML_NODES_MAX)
		return fail_at(walk->yaml, line, "file", "more than %d YAML nodes",
			       HS_YAML_NODES_MAX);
	if (walk->depth == 0)
		return 0; /* the root */
	if (frame->mapping && !frame->expecting_key)
		return 0; /* a value: its key was counted */
	if (++frame->count > HS_YAML_ITEMS_MAX) {
		frame->count--;
		if (frame->mapping)
			frame->expecting_key = false;
		walk_field(walk, false, field, sizeof(field));
		return fail_at(walk->yaml, line, field, "more than %d %s (the limit of any %s)",
			       HS_YAML_ITEMS_MAX, frame->mapping ? "keys" : "items",
			       frame->mapping ? "mapping" : "list");
	}
	if (frame->mapping) {
		bool scalar = event->type == YAML_SCALAR_EVENT;
		size_t length = scalar ? event->data.scalar.length : 1;

		if (length >= KEY_LABEL_MAX)
			length = KEY_LABEL_MAX - 1;
		memcpy(frame->key, scalar ? (const char *)event->data.scalar.value : "?", length);
		frame->key[length] = '\0';
	}
	return 0;
}

/* A node ended: in a mapping, a key is followed by its value and a value by
 * the next key. */
static void node_leave(struct limits_walk *walk)
{
	struct frame *frame = &walk->frames[walk->depth];

	if (walk->depth > 0 && frame->mapping)
		frame->expecting_key = !frame->expecting_key;
}

static int collection_start(struct limits_walk *walk, const yaml_event_t *event, bool mapping)
{
	char field[HS_FIELD_MAX];

	if (node_enter(walk, event) < 0)
		return -1;
	if (walk->depth == HS_YAML_DEPTH_MAX) {
		walk_field(walk, true, field, sizeof(field));
		return fail_at(walk->yaml, event->start_mark.line, field,
			       "nested deeper than %d levels", HS_YAML_DEPTH_MAX);
	}
	walk->depth++;
	walk->frames[walk->depth] = (struct frame){.mapping = mapping, .expecting_key = mapping};
	return 0;
}

static int scalar_check(struct limits_walk *walk, const yaml_event_t *event)
{
	char field[HS_FIELD_MAX];

	if (node_enter(walk, event) < 0)
		return -1;
	if (event->data.scalar.length > HS_YAML_SCALAR_MAX) {
		walk_field(walk, true, field, sizeof(field));
		return fail_at(walk->yaml, event->start_mark.line, field,
			       "a value of %zu bytes (at most %d)", event->data.scalar.length,
			       HS_YAML_SCALAR_MAX);
	}
	node_leave(walk);
	return 0;
}

static int event_check(struct limits_walk *walk, const yaml_event_t *event)
{
	switch (event->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++walk->document_count > 1)
			return fail_at(walk->yaml, event->start_mark.line, "file",
				       "more than one YAML document");
		return 0;
	case YAML_SEQUENCE_START_EVENT:
		return collection_start(walk, event, false);
	case YAML_MAPPING_START_EVENT:
		return collection_start(walk, event, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		walk->depth--;
		node_leave(walk);
		return 0;
	case YAML_SCALAR_EVENT:
		return scalar_check(walk, event);
	case YAML_ALIAS_EVENT:
		if (node_enter(walk, event) < 0)
			return -1;
		node_leave(walk);
		return 0;
	default:
		return 0;
	}
}

static int syntax_fail(struct hs_yaml *yaml, const yaml_parser_t *parser)
{
	if (!yaml->error || yaml->error_size == 0)
		return -1;
	snprintf(yaml->error, yaml->error_size, "%s:%zu: yaml: %s%s%s", yaml->path,
		 parser->problem_mark.line + 1, parser->problem ? parser->problem : "error",
		 parser->context ? " " : "", parser->context ? parser->context : "");
	return -1;
}

static int limits_check(struct hs_yaml *yaml, const unsigned char *data, size_t size)
{
	struct limits_walk walk = {.yaml = yaml};
	yaml_parser_t parser;
	yaml_event_t event;
	bool done = false;
	int result = 0;

	if (!yaml_parser_initialize(&parser))
		return hs_yaml_fail(yaml, NULL, "file", "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, data, size);
	while (!done && result == 0) {
		if (!yaml_parser_parse(&parser, &event)) {
			result = syntax_fail(yaml, &parser);
			break;
		}
		done = event.type == YAML_STREAM_END_EVENT;
		result = event_check(&walk, &event);
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	if (result == 0 && walk.document_count == 0)
		result = fail_at(yaml, 0, "file",
				 "no YAML document (the file is empty or holds only "
				 "comments)");
	return result;
}

/* ---------------------------------------------------------- document */

int hs_yaml_open_buffer(struct hs_yaml *yaml, const char *path, const void *data, size_t size,
			char *error, size_t error_size)
{
	yaml_parser_t parser;
	int result = -1;

	memset(yaml, 0, sizeof(*yaml));
	yaml->path = path;
	yaml->error = error;
	yaml->error_size = error_size;
	if (size > HS_FILE_BYTES_MAX)
		return fail_at(yaml, 0, "file", "larger than %d bytes (the limit of a file)",
			       HS_FILE_BYTES_MAX);
	if (encoding_check(yaml, data, size) < 0 || limits_check(yaml, data, size) < 0)
		return -1;
	if (!yaml_parser_initialize(&parser))
		return hs_yaml_fail(yaml, NULL, "file", "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, data, size);
	if (!yaml_parser_load(&parser, &yaml->document)) {
		syntax_fail(yaml, &parser);
		goto cleanup;
	}
	yaml->loaded = true;
	if (!yaml_document_get_root_node(&yaml->document)) {
		fail_at(yaml, 0, "file", "no YAML document");
		goto cleanup;
	}
	result = 0;
cleanup:
	yaml_parser_delete(&parser);
	return result;
}

int hs_yaml_open(struct hs_yaml *yaml, const char *path, char *error, size_t error_size)
{
	unsigned char *data = NULL;
	size_t size;
	int result = -1;

	memset(yaml, 0, sizeof(*yaml));
	yaml->path = path;
	yaml->error = error;
	yaml->error_size = error_size;
	if (file_read(yaml, &data, &size) == 0)
		result = hs_yaml_open_buffer(yaml, path, data, size, error, error_size);
	free(data);
	return result;
}
