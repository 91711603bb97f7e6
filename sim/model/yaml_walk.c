/*
 * yaml_walk.c - checked accessors over a libyaml document (see
 * yaml_walk.h), and the small value checks (addresses, versions, display
 * states) that both the topology and the scenario parser use.
 *
 * libyaml's document API is used rather than its event API because the
 * parsers look keys up in any order; every node keeps its start mark, so
 * each message can name the line of the very value that is wrong.
 */
#include "yaml_walk.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ document */

/* hs_yaml_open() and its limits are in yaml_read.c. */

void hs_yaml_close(struct hs_yaml *yaml)
{
	if (yaml && yaml->loaded)
		yaml_document_delete(&yaml->document);
	if (yaml)
		yaml->loaded = false;
}

yaml_node_t *hs_yaml_root(struct hs_yaml *yaml)
{
	return yaml_document_get_root_node(&yaml->document);
}

uint32_t hs_yaml_line(const yaml_node_t *node)
{
	return node ? (uint32_t)node->start_mark.line + 1 : 0;
}

void hs_field(char *out, size_t out_size, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vsnprintf(out, out_size, format, args);
	va_end(args);
}

int hs_yaml_fail(struct hs_yaml *yaml, const yaml_node_t *node, const char *field,
		 const char *format, ...)
{
	char reason[HS_ERROR_MAX];
	va_list args;

	va_start(args, format);
	vsnprintf(reason, sizeof(reason), format, args);
	va_end(args);
	if (!yaml->error || yaml->error_size == 0)
		return -1;
	if (node)
		snprintf(yaml->error, yaml->error_size, "%s:%" PRIu32 ": %s: %s", yaml->path,
			 hs_yaml_line(node), field, reason);
	else
		snprintf(yaml->error, yaml->error_size, "%s: %s: %s", yaml->path, field, reason);
	return -1;
}

/* ------------------------------------------------------------ mappings */

static const char *node_kind_name(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "empty";
	}
}

static const char *scalar_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* A NUL byte ("\0" in a quoted value) would make every strcmp see a
 * shorter text than the file holds: refused in every scalar. */
static bool scalar_has_nul(const yaml_node_t *node)
{
	return memchr(node->data.scalar.value, '\0', node->data.scalar.length) != NULL;
}

static int scalar_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field)
{
	if (node->type != YAML_SCALAR_NODE)
		return hs_yaml_fail(yaml, node, field, "expected a scalar, got %s",
				    node_kind_name(node));
	if (scalar_has_nul(node))
		return hs_yaml_fail(yaml, node, field, "contains a NUL byte");
	return 0;
}

static void allowed_list(const char *const *allowed, char *out, size_t out_size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; allowed[i] && used < out_size; i++)
		used += (size_t)snprintf(out + used, out_size - used, "%s%s", i ? ", " : "",
					 allowed[i]);
}

static bool in_list(const char *text, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(text, list[i]) == 0)
			return true;
	return false;
}

/* FNV-1a, for the duplicate-key table. */
static uint32_t key_hash(const yaml_node_t *key)
{
	uint32_t hash = 2166136261u;

	for (size_t i = 0; i < key->data.scalar.length; i++)
		hash = (hash ^ key->data.scalar.value[i]) * 16777619u;
	return hash;
}

static bool key_equal(const yaml_node_t *a, const yaml_node_t *b)
{
	return a->data.scalar.length == b->data.scalar.length &&
	       memcmp(a->data.scalar.value, b->data.scalar.value, a->data.scalar.length) == 0;
}

/* Duplicate keys in linear time: an open-addressing table of the keys seen,
 * twice as large as the most keys a mapping may have (yaml_read.c bounds
 * them), so a probe ends at an empty slot. */
static int duplicate_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field)
{
	enum { SLOTS = 2 * HS_YAML_ITEMS_MAX };
	yaml_node_t *table[SLOTS] = {NULL};
	uint32_t count = hs_yaml_pair_count(node);

	if (count > HS_YAML_ITEMS_MAX)
		return hs_yaml_fail(yaml, node, field,
				    "more than %d keys (the limit of any mapping)",
				    HS_YAML_ITEMS_MAX);
	for (uint32_t i = 0; i < count; i++) {
		yaml_node_t *key, *value;
		uint32_t slot;

		hs_yaml_pair(yaml, node, i, &key, &value);
		for (slot = key_hash(key) % SLOTS; table[slot]; slot = (slot + 1) % SLOTS)
			if (key_equal(table[slot], key))
				return hs_yaml_fail(yaml, key, field, "duplicate key '%s'",
						    scalar_text(key));
		table[slot] = key;
	}
	return 0;
}

int hs_yaml_mapping(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		    const char *const *allowed)
{
	char known[HS_TEXT_MAX];

	if (node->type != YAML_MAPPING_NODE)
		return hs_yaml_fail(yaml, node, field, "expected a mapping, got %s",
				    node_kind_name(node));
	for (uint32_t i = 0; i < hs_yaml_pair_count(node); i++) {
		yaml_node_t *key, *value;

		hs_yaml_pair(yaml, node, i, &key, &value);
		if (key->type != YAML_SCALAR_NODE)
			return hs_yaml_fail(yaml, key, field, "keys must be scalars");
		if (scalar_has_nul(key))
			return hs_yaml_fail(yaml, key, field, "a key contains a NUL byte");
		if (allowed && !in_list(scalar_text(key), allowed)) {
			allowed_list(allowed, known, sizeof(known));
			return hs_yaml_fail(yaml, key, field, "unknown key '%s' (known: %s)",
					    scalar_text(key), known);
		}
	}
	return duplicate_check(yaml, node, field);
}

uint32_t hs_yaml_pair_count(yaml_node_t *mapping)
{
	return (uint32_t)(mapping->data.mapping.pairs.top - mapping->data.mapping.pairs.start);
}

void hs_yaml_pair(struct hs_yaml *yaml, yaml_node_t *mapping, uint32_t index, yaml_node_t **key,
		  yaml_node_t **value)
{
	yaml_node_pair_t *pair = mapping->data.mapping.pairs.start + index;

	*key = yaml_document_get_node(&yaml->document, pair->key);
	*value = yaml_document_get_node(&yaml->document, pair->value);
}

yaml_node_t *hs_yaml_get(struct hs_yaml *yaml, yaml_node_t *mapping, const char *key)
{
	if (!mapping || mapping->type != YAML_MAPPING_NODE)
		return NULL;
	for (uint32_t i = 0; i < hs_yaml_pair_count(mapping); i++) {
		yaml_node_t *k, *v;

		hs_yaml_pair(yaml, mapping, i, &k, &v);
		if (k->type == YAML_SCALAR_NODE && strcmp(scalar_text(k), key) == 0)
			return v;
	}
	return NULL;
}

int hs_yaml_require(struct hs_yaml *yaml, yaml_node_t *mapping, const char *field, const char *key,
		    yaml_node_t **value)
{
	*value = hs_yaml_get(yaml, mapping, key);
	if (!*value)
		return hs_yaml_fail(yaml, mapping, field, "missing required key '%s'", key);
	return 0;
}

int hs_yaml_sequence(struct hs_yaml *yaml, yaml_node_t *node, const char *field, uint32_t min_count,
		     uint32_t max_count, uint32_t *count)
{
	if (node->type != YAML_SEQUENCE_NODE)
		return hs_yaml_fail(yaml, node, field, "expected a list, got %s",
				    node_kind_name(node));
	*count = (uint32_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (*count < min_count || *count > max_count) {
		if (min_count == max_count)
			return hs_yaml_fail(yaml, node, field,
					    "%" PRIu32 " items, expected exactly %" PRIu32, *count,
					    min_count);
		return hs_yaml_fail(yaml, node, field,
				    "%" PRIu32 " items, expected %" PRIu32 "..%" PRIu32, *count,
				    min_count, max_count);
	}
	return 0;
}

yaml_node_t *hs_yaml_item(struct hs_yaml *yaml, yaml_node_t *sequence, uint32_t index)
{
	return yaml_document_get_node(&yaml->document, sequence->data.sequence.items.start[index]);
}

/* ------------------------------------------------------------- scalars */

int hs_yaml_string(struct hs_yaml *yaml, yaml_node_t *node, const char *field, char *out,
		   size_t out_size)
{
	const unsigned char *value;
	size_t length;

	if (scalar_check(yaml, node, field) < 0)
		return -1;
	value = node->data.scalar.value;
	length = node->data.scalar.length;
	if (length == 0)
		return hs_yaml_fail(yaml, node, field, "must not be empty");
	if (length >= out_size)
		return hs_yaml_fail(yaml, node, field, "longer than %zu characters", out_size - 1);
	/* A NUL would cut the value short silently ("node1\0x" read as
	 * "node1"); a newline or an escape would break the one-line reports. */
	for (size_t i = 0; i < length; i++)
		if (value[i] < 0x20 || value[i] == 0x7f)
			return hs_yaml_fail(yaml, node, field,
					    "control character 0x%02x at byte %zu (one line of "
					    "text expected)",
					    value[i], i + 1);
	memcpy(out, value, length);
	out[length] = '\0';
	return 0;
}

int hs_yaml_name(struct hs_yaml *yaml, yaml_node_t *node, const char *field, char *out,
		 size_t out_size)
{
	if (hs_yaml_string(yaml, node, field, out, out_size) < 0)
		return -1;
	for (size_t i = 0; out[i]; i++) {
		unsigned char c = (unsigned char)out[i];
		bool ok = isalnum(c) || (i > 0 && (c == '-' || c == '_' || c == '.'));

		if (!ok)
			return hs_yaml_fail(yaml, node, field,
					    "'%s' is not a name ([A-Za-z0-9_.-], starting "
					    "with a letter or digit)",
					    out);
	}
	return 0;
}

/* Decimal digits, an optional '-', no leading zero: what every YAML tool
 * reads as the same integer. strtoll alone would take " 60000", "+60000"
 * and "0600" (octal for YAML 1.1 tools). */
static bool integer_syntax(const char *text)
{
	const char *digits = text[0] == '-' ? text + 1 : text;

	if (digits[0] == '\0' || (digits[0] == '0' && digits[1] != '\0'))
		return false;
	for (const char *c = digits; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	return true;
}

static int integer_text(struct hs_yaml *yaml, yaml_node_t *node, const char *field, long long *out)
{
	const char *text;
	char *end = NULL;

	if (scalar_check(yaml, node, field) < 0)
		return -1;
	text = scalar_text(node);
	if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return hs_yaml_fail(yaml, node, field,
				    "'%s' is quoted: write an integer without quotes", text);
	if (strlen(text) != node->data.scalar.length || !integer_syntax(text))
		return hs_yaml_fail(yaml, node, field, "'%s' is not an integer", text);
	errno = 0;
	*out = strtoll(text, &end, 10);
	if (*end != '\0' || errno != 0)
		return hs_yaml_fail(yaml, node, field, "'%s' is out of range", text);
	return 0;
}

int hs_yaml_uint(struct hs_yaml *yaml, yaml_node_t *node, const char *field, uint32_t min,
		 uint32_t max, uint32_t *out)
{
	long long value;

	if (integer_text(yaml, node, field, &value) < 0)
		return -1;
	if (value < (long long)min || value > (long long)max)
		return hs_yaml_fail(yaml, node, field, "%lld is out of range %" PRIu32 "..%" PRIu32,
				    value, min, max);
	*out = (uint32_t)value;
	return 0;
}

int hs_yaml_int64(struct hs_yaml *yaml, yaml_node_t *node, const char *field, int64_t *out)
{
	long long value;

	if (integer_text(yaml, node, field, &value) < 0)
		return -1;
	*out = (int64_t)value;
	return 0;
}

int hs_yaml_bool(struct hs_yaml *yaml, yaml_node_t *node, const char *field, bool *out)
{
	static const char *const choices[] = {"false", "true", NULL};
	uint32_t index;

	if (hs_yaml_enum(yaml, node, field, choices, &index) < 0)
		return -1;
	*out = index == 1;
	return 0;
}

int hs_yaml_enum(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		 const char *const *choices, uint32_t *index)
{
	/* The whole list fits an error: the 26 step actions are ~300 bytes. */
	char known[HS_ERROR_MAX - 128];

	if (scalar_check(yaml, node, field) < 0)
		return -1;
	for (uint32_t i = 0; choices[i]; i++) {
		if (strcmp(scalar_text(node), choices[i]) == 0) {
			*index = i;
			return 0;
		}
	}
	allowed_list(choices, known, sizeof(known));
	return hs_yaml_fail(yaml, node, field, "'%s' is not one of %s", scalar_text(node), known);
}

/* ------------------------------------------------------- value checks */

bool hs_address_parse(const char *text, uint32_t *address, uint32_t *prefix)
{
	unsigned int octets[4], bits = 32;
	char tail[2];
	int fields;

	fields = sscanf(text, "%3u.%3u.%3u.%3u/%2u%1s", &octets[0], &octets[1], &octets[2],
			&octets[3], &bits, tail);
	if (fields != 4 && fields != 5)
		return false;
	/* sscanf accepts "1.2.3.4x": compare against the canonical form. */
	char canonical[HS_ADDRESS_MAX];
	if (fields == 4)
		snprintf(canonical, sizeof(canonical), "%u.%u.%u.%u", octets[0], octets[1],
			 octets[2], octets[3]);
	else
		snprintf(canonical, sizeof(canonical), "%u.%u.%u.%u/%u", octets[0], octets[1],
			 octets[2], octets[3], bits);
	if (strcmp(canonical, text) != 0 || bits > 32)
		return false;
	*address = 0;
	for (int i = 0; i < 4; i++) {
		if (octets[i] > 255)
			return false;
		*address = (*address << 8) | octets[i];
	}
	*prefix = bits;
	return true;
}

bool hs_address_valid(const char *text, bool require_prefix)
{
	uint32_t address, prefix;

	if (!hs_address_parse(text, &address, &prefix))
		return false;
	return require_prefix == (strchr(text, '/') != NULL);
}

bool hs_version_valid(const char *text)
{
	unsigned int major, minor, patch;
	char canonical[HS_NAME_MAX];

	if (sscanf(text, "%5u.%5u.%5u", &major, &minor, &patch) != 3)
		return false;
	snprintf(canonical, sizeof(canonical), "%u.%u.%u", major, minor, patch);
	return strcmp(canonical, text) == 0 && major <= 65535 && minor <= 65535 && patch <= 65535;
}

bool hs_display_state_valid(const char *text)
{
	static const char *const states[] = {"active",	     "standby",	   "starting",
					     "maintenance",  "fault",	   "isolated",
					     "disconnected", "standalone", NULL};

	return in_list(text, states);
}

void hs_topology_node_list(const struct hs_topology *topology, char *out, size_t out_size)
{
	size_t used = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < topology->node_count && used < out_size; i++)
		used += (size_t)snprintf(out + used, out_size - used, "%s%s", i ? ", " : "",
					 topology->nodes[i].name);
}
