/*
 * yaml_walk.h - a small checked walk over a libyaml document, shared by the
 * topology and scenario parsers of sim/model.
 *
 * A struct hs_yaml holds one loaded document together with the display
 * path of its file and the caller's error buffer. Every accessor checks the
 * node's type and range and, on failure, writes "FILE:LINE: FIELD: reason"
 * (LINE 1-based, from libyaml's start mark of the offending node) and
 * returns -1, so a parser is a straight sequence of calls that stops at the
 * first error. FIELD is a path built by the caller ("nodes[1].ports.LAN3").
 *
 * Internal to sim/model: backends and the checker read model.h only.
 */
#ifndef HS_YAML_WALK_H
#define HS_YAML_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "model.h"

#define HS_FIELD_MAX 160

/* Build a field path ("nodes[1].ports.LAN3") into a fixed buffer; a path
 * too long is cut, which only shortens a message. */
void hs_field(char *out, size_t out_size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
#define HS_FIELD(buffer, ...) hs_field(buffer, sizeof(buffer), __VA_ARGS__)

struct hs_yaml {
	const char *path; /* as given by the caller, for messages */
	yaml_document_t document;
	bool loaded;
	char *error;
	size_t error_size;
};

/* Load path's document within the limits of model.h (HS_FILE_BYTES_MAX,
 * HS_YAML_*_MAX; see yaml_read.c). A file without a document is an error;
 * so is a second document (one file, one model), a NUL byte and UTF-16 or
 * UTF-32 text. hs_yaml_open_buffer() does the same for size bytes at data
 * (path names them in messages); data must outlive nothing: the document
 * is a copy. */
int hs_yaml_open(struct hs_yaml *yaml, const char *path, char *error, size_t error_size);
int hs_yaml_open_buffer(struct hs_yaml *yaml, const char *path, const void *data, size_t size,
			char *error, size_t error_size);
void hs_yaml_close(struct hs_yaml *yaml);

yaml_node_t *hs_yaml_root(struct hs_yaml *yaml);
uint32_t hs_yaml_line(const yaml_node_t *node);

/* Write "FILE:LINE: FIELD: reason" for node (LINE 0 when node is NULL:
 * the message then names the file only) and return -1. */
int hs_yaml_fail(struct hs_yaml *yaml, const yaml_node_t *node, const char *field,
		 const char *format, ...) __attribute__((format(printf, 4, 5)));

/* Check that node is a mapping whose keys are distinct scalars from
 * allowed (NULL-terminated). */
int hs_yaml_mapping(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		    const char *const *allowed);
/* Value of key in a mapping already checked with hs_yaml_mapping, or NULL. */
yaml_node_t *hs_yaml_get(struct hs_yaml *yaml, yaml_node_t *mapping, const char *key);
/* Like hs_yaml_get but a missing key is an error naming field.key. */
int hs_yaml_require(struct hs_yaml *yaml, yaml_node_t *mapping, const char *field, const char *key,
		    yaml_node_t **value);
int hs_yaml_sequence(struct hs_yaml *yaml, yaml_node_t *node, const char *field, uint32_t min_count,
		     uint32_t max_count, uint32_t *count);
yaml_node_t *hs_yaml_item(struct hs_yaml *yaml, yaml_node_t *sequence, uint32_t index);

/* Pair index of a mapping: key and value nodes, for maps with free keys
 * (ports: {LAN1: ext-a}). */
uint32_t hs_yaml_pair_count(yaml_node_t *mapping);
void hs_yaml_pair(struct hs_yaml *yaml, yaml_node_t *mapping, uint32_t index, yaml_node_t **key,
		  yaml_node_t **value);

/* Scalars. A string must be non-empty, fit out_size - 1 bytes and hold no
 * control character (one line of text: no NUL, newline or escape). */
int hs_yaml_string(struct hs_yaml *yaml, yaml_node_t *node, const char *field, char *out,
		   size_t out_size);
/* Like hs_yaml_string and then [A-Za-z0-9_.-], starting with a letter or digit. */
int hs_yaml_name(struct hs_yaml *yaml, yaml_node_t *node, const char *field, char *out,
		 size_t out_size);
/* Integers are plain (unquoted) decimal digits with an optional '-': no
 * '+', spaces, leading zeros or quotes, which YAML tools read differently. */
int hs_yaml_uint(struct hs_yaml *yaml, yaml_node_t *node, const char *field, uint32_t min,
		 uint32_t max, uint32_t *out);
int hs_yaml_int64(struct hs_yaml *yaml, yaml_node_t *node, const char *field, int64_t *out);
int hs_yaml_bool(struct hs_yaml *yaml, yaml_node_t *node, const char *field, bool *out);
/* One of choices (NULL-terminated); *index gets its position. */
int hs_yaml_enum(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		 const char *const *choices, uint32_t *index);

/* ------------------------------------------------------- shared checks */

/* "a.b.c.d/n" with n 0..32 (require_prefix) or "a.b.c.d" (!require_prefix). */
bool hs_address_valid(const char *text, bool require_prefix);
/* IPv4 of "a.b.c.d[/n]" in host order and the prefix (32 when absent). */
bool hs_address_parse(const char *text, uint32_t *address, uint32_t *prefix);
/* "major.minor.patch", each 0..65535. */
bool hs_version_valid(const char *text);
bool hs_display_state_valid(const char *text);
/* Comma-separated list of the topology's node names, for messages. */
void hs_topology_node_list(const struct hs_topology *topology, char *out, size_t out_size);

/* Semantic checks shared by the topology loader and scenario overrides:
 * timers > 0, heartbeat < dead time. */
int hs_timers_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		    const struct hs_timers_model *timers);
/* Parse a timers mapping into timers (fields absent stay as they are). */
int hs_timers_parse(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		    struct hs_timers_model *timers);
int hs_ping_targets_parse(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
			  struct hs_topology *topology);

/* Helpers of topology.c for node.c and lint.c. */
int hs_node_parse(struct hs_yaml *yaml, yaml_node_t *node, uint32_t index,
		  struct hs_topology *topology);
void hs_model_identity_defaults(uint32_t model_index, struct hs_node_model *node);
const char *const *hs_model_names(void);
int hs_power_index(const struct hs_topology *topology, const char *name);
int hs_switch_index(const struct hs_topology *topology, const char *name);
bool hs_same_subnet(const char *a, const char *b);
/* A port of node by name, or NULL. */
const struct hs_port *hs_node_port(const struct hs_node_model *node, const char *name);

/* names.c: enum names as written in files, indexed by the enum. */
extern const char *const hs_action_names[HS_ACTION_COUNT + 1];
extern const char *const hs_metric_names[HS_METRIC_COUNT + 1];
extern const char *const hs_invariant_names[HS_INVARIANT_COUNT + 1];

/* Scenario parts (step.c, expect.c). known: the scenario as far as parsed. */
int hs_requires_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_scenario *scenario);
int hs_steps_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_scenario *scenario);
int hs_expects_parse(struct hs_yaml *yaml, yaml_node_t *node, struct hs_scenario *scenario);
/* Node reference: a node name or a role alias; allow_any also takes "any". */
int hs_node_ref_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		      const struct hs_topology *topology, bool allow_any, char *out);
/* Anchor: "up", "formed" or one of the first step_limit steps. */
int hs_anchor_check(struct hs_yaml *yaml, yaml_node_t *node, const char *field,
		    const struct hs_scenario *scenario, uint32_t step_limit, char *out);

/* Topology from an opened document (scenario.c loads the topology file
 * through hs_topology_load). */
int hs_topology_parse(struct hs_yaml *yaml, struct hs_topology *topology);

#endif
