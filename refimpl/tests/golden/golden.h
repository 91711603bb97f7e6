/*
 * golden.h - the golden-trace runner of the pure core (see README in this
 * folder for the trace format).
 *
 * A trace is a text file of input lines (directives, and events or fixture
 * operations at virtual times) with the expected output lines of the core
 * (indented "  @<ms> <node> -> ..." lines) written under the input that
 * caused them. The runner replays the inputs through the core (one core
 * driven by hand, or two cores through refimpl/tests/fixture.c), regenerates
 * the whole file and compares it with the checked-in one; --update writes
 * the regenerated file back, so that a behavioural change is reviewed as a
 * diff of the traces.
 *
 * Files: golden.c (main, files, diff), golden_parse.c (tokens and fields),
 * golden_single.c (one core), golden_pair.c (two cores), golden_format.c
 * (the output lines).
 */
#ifndef HN_GOLDEN_H
#define HN_GOLDEN_H

#include "hn_core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GOLDEN_LINE_MAX	  512
#define GOLDEN_TOKENS_MAX 32
#define GOLDEN_LINES_MAX  8192 /* lines of one trace, input and output */
#define GOLDEN_ERROR_MAX  384

/* What output lines a trace shows (directive "show"/"hide"). */
enum golden_show {
	GOLDEN_SHOW_LOG = 1u << 0,
	GOLDEN_SHOW_NOTIFY = 1u << 1,
	GOLDEN_SHOW_RESOURCES = 1u << 2, /* ip add/remove, services start/stop */
	GOLDEN_SHOW_FENCE = 1u << 3,
	GOLDEN_SHOW_PERSIST = 1u << 4, /* persist, store reset */
	GOLDEN_SHOW_REPLIES = 1u << 5, /* every client reply (errors are always shown) */
	GOLDEN_SHOW_ADMIN = 1u << 6,   /* admin replies */
	GOLDEN_SHOW_HEARTBEAT = 1u << 7,
	GOLDEN_SHOW_DATA = 1u << 8,
	GOLDEN_SHOW_EVENTS = 1u << 9, /* the events the runner feeds (single mode) */
};

/* The regenerated text of one trace: a growing list of lines. */
struct golden_text {
	char **lines;
	size_t count;
	bool overflow;
};

void golden_text_add(struct golden_text *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void golden_text_free(struct golden_text *text);

/* One input line split into tokens: words, "quoted text", key=value. */
struct golden_tokens {
	char buffer[GOLDEN_LINE_MAX];
	char *token[GOLDEN_TOKENS_MAX];
	size_t count;
};

int golden_tokenize(const char *line, struct golden_tokens *tokens, char *error, size_t error_size);
/* key=value: the value of key, or NULL. */
const char *golden_field(const struct golden_tokens *tokens, size_t first, const char *key);
int golden_parse_u64(const char *text, uint64_t *value);
int golden_parse_bool(const char *text, bool *value); /* yes/no, ok/fail, up/down, on/off */
int golden_parse_link(const char *text, int *link);   /* sync, external, both (= -1) */
int golden_parse_role_state(const char *text, enum hn_role *role, enum hn_state *state);
/* Heartbeat fields (role=, state=, flags=, gen=, seq=, ping=, ...) from tokens[first..]. */
int golden_parse_heartbeat(const struct golden_tokens *tokens, size_t first,
			   struct hn_heartbeat *heartbeat, char *error, size_t error_size);
/* Health fields raid= services= ping=a/b ip=answered|free notify=... text="...". */
int golden_parse_health(const struct golden_tokens *tokens, size_t first, struct hn_health *health,
			char *error, size_t error_size);
int golden_parse_admin(const struct golden_tokens *tokens, size_t first, struct hn_event *event,
		       char *error, size_t error_size);
int golden_parse_timers(const struct golden_tokens *tokens, size_t first, struct hn_timers *timers,
			char *error, size_t error_size);
int golden_parse_identity(const struct golden_tokens *tokens, size_t first,
			  struct hn_identity *identity, char *error, size_t error_size);
int golden_parse_checks(const char *text, uint32_t *failing);
int golden_parse_failure(const char *text, enum hn_failure_kind *kind);
int golden_parse_show(const struct golden_tokens *tokens, uint32_t *show, char *error,
		      size_t error_size);

/* Output lines of one step: "  @<ms> <node> -> ..." for every shown action. */
void golden_format_actions(struct golden_text *text, uint64_t now_ms, const char *node,
			   const struct hn_actions *actions, uint32_t show);
void golden_format_status(struct golden_text *text, uint64_t now_ms, const char *node,
			  const struct hn_status *status);
const char *golden_flags_text(uint32_t flags, char *buffer, size_t size);

/* Run one trace's input lines (lines[0..count), the expected outputs
 * already removed) into text. Returns 0, or -1 with "line N: ..." in error
 * for a bad input line. A failed invariant is not an error here: it is an
 * output line ("!! ...") and makes the trace fail in golden.c. */
int golden_run_single(char **lines, const unsigned *numbers, size_t count, struct golden_text *text,
		      char *error, size_t error_size);
int golden_run_pair(char **lines, const unsigned *numbers, size_t count, struct golden_text *text,
		    char *error, size_t error_size);

/* Whether a line is an output line (regenerated) rather than an input. */
bool golden_is_output(const char *line);
/* "@<ms> ..." -> ms and the rest, or -1 if the line is not timed. */
int golden_split_time(const char *line, uint64_t *at_ms, const char **rest);

#endif
