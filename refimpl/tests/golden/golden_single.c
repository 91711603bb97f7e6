/*
 * golden_single.c - a golden trace of ONE core driven by hand ("mode single
 * nodeN"): the trace plays the peer (its heartbeats and data messages), the
 * operator, the clients and the host (health, links, fence results), and
 * the clock.
 *
 * Between two timed input lines the runner ticks the core at every one of
 * its deadlines (hn_node_next_deadline_ms) and feeds a repeating heartbeat
 * ("every=200 until=3000") at its times, a heartbeat before a tick due at
 * the same time. An input line at time T is applied after everything due
 * at T. Outputs land under the input line after which they happened.
 */
#include "golden.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_SINGLE_STEPS_MAX 200000 /* steps between two inputs */

struct golden_single {
	struct hn_node *node;
	struct hn_config config;
	struct hn_actions actions;
	bool initialised;
	uint64_t now_ms;
	char name[HN_NAME_MAX];
	uint32_t show;
	struct golden_text *text;
	struct hn_heartbeat peer; /* the peer's heartbeat, fields sticky between lines */
	uint64_t packet_seq;	  /* event seq of the peer's heartbeats; 0 = unknown */
	/* a repeating heartbeat */
	bool beat_on;
	int beat_link;
	uint64_t beat_next_ms, beat_every_ms, beat_until_ms;
};

static void golden_single_step(struct golden_single *single, const struct hn_event *event)
{
	if (single->show & GOLDEN_SHOW_EVENTS)
		golden_text_add(single->text, "  @%" PRIu64 " %s -> event %d", single->now_ms,
				single->name, event->kind);
	hn_node_step(single->node, event, single->now_ms, &single->actions);
	golden_format_actions(single->text, single->now_ms, single->name, &single->actions,
			      single->show);
}

static int golden_single_init(struct golden_single *single, char *error, size_t error_size)
{
	if (single->initialised)
		return 0;
	single->node = calloc(1, hn_node_size());
	if (single->node == NULL ||
	    hn_node_init(single->node, &single->config, error, error_size) != 0)
		return -1;
	snprintf(single->name, sizeof(single->name), "%s", single->config.self.name);
	/* the peer: the other node of the pair with the defaults' identity */
	struct hn_config peer;
	hn_config_defaults(&peer);
	uint32_t peer_id = single->config.self.node_id == 1 ? 2 : 1;
	memset(&single->peer, 0, sizeof(single->peer));
	single->peer.protocol_version = HN_PROTOCOL_VERSION;
	single->peer.sender = peer.self;
	single->peer.sender.node_id = peer_id;
	snprintf(single->peer.sender.name, sizeof(single->peer.sender.name), "node%u", peer_id);
	single->peer.state = HN_STATE_NORMAL;
	single->peer.health = (struct hn_health){true, true, 1, 1, false};
	single->initialised = true;
	return 0;
}

static void golden_single_heartbeat(struct golden_single *single, int link)
{
	for (int l = 0; l < HN_LINKS; l++) {
		if (link >= 0 && l != link)
			continue;
		struct hn_event event = {.kind = HN_EVENT_HEARTBEAT, .link = (enum hn_link)l};
		event.u.heartbeat = single->peer;
		if (single->packet_seq != 0)
			event.seq = single->packet_seq++;
		golden_single_step(single, &event);
	}
}

/* Ticks and repeated heartbeats up to and including until_ms. */
static int golden_single_advance(struct golden_single *single, uint64_t until_ms, char *error,
				 size_t error_size)
{
	for (int steps = 0; steps < GOLDEN_SINGLE_STEPS_MAX; steps++) {
		uint64_t deadline = hn_node_next_deadline_ms(single->node);
		bool beat = single->beat_on && single->beat_next_ms <= deadline;
		uint64_t next_ms = beat ? single->beat_next_ms : deadline;
		if (next_ms > until_ms) {
			single->now_ms = until_ms;
			return 0;
		}
		single->now_ms = next_ms > single->now_ms ? next_ms : single->now_ms;
		if (beat) {
			golden_single_heartbeat(single, single->beat_link);
			single->beat_next_ms += single->beat_every_ms;
			if (single->beat_next_ms > single->beat_until_ms)
				single->beat_on = false;
			continue;
		}
		struct hn_event tick = {.kind = HN_EVENT_TICK};
		golden_single_step(single, &tick);
	}
	snprintf(error, error_size, "the core's deadline does not move");
	return -1;
}

/* ------------------------------------------------------------ inputs */

static int golden_single_data(struct golden_single *single, const struct golden_tokens *tokens,
			      char *error, size_t error_size)
{
	struct hn_event event = {.kind = HN_EVENT_DATA, .link = HN_LINK_SYNC};
	struct hn_data_message *data = &event.u.data;
	const char *kind = tokens->count > 2 ? tokens->token[2] : "";
	static const char *const kinds[] = {"", "replicate", "ack", "sync-request", "sync-batch"};
	for (int k = 1; k < 5; k++) {
		if (strcmp(kind, kinds[k]) == 0)
			data->kind = (enum hn_data_kind)k;
	}
	if (data->kind == 0) {
		snprintf(error, error_size, "unknown data kind \"%s\"", kind);
		return -1;
	}
	data->sender_id = single->peer.sender.node_id;
	data->generation = single->peer.generation;
	const char *value;
	if ((value = golden_field(tokens, 3, "gen")) != NULL)
		golden_parse_u64(value, &data->generation.id);
	if ((value = golden_field(tokens, 3, "seq")) != NULL)
		golden_parse_u64(value, &data->seq);
	if ((value = golden_field(tokens, 3, "since")) != NULL)
		golden_parse_u64(value, &data->seq);
	data->base_seq = data->seq > 0 ? data->seq - 1 : 0;
	if ((value = golden_field(tokens, 3, "base")) != NULL)
		golden_parse_u64(value, &data->base_seq);
	if ((value = golden_field(tokens, 3, "upto")) != NULL)
		golden_parse_u64(value, &data->upto_seq);
	if ((value = golden_field(tokens, 3, "complete")) != NULL)
		golden_parse_bool(value, &data->complete);
	if ((value = golden_field(tokens, 3, "echo")) != NULL)
		golden_parse_u64(value, &data->echo_nonce);
	const char *key = golden_field(tokens, 3, "key");
	if (data->kind == HN_DATA_REPLICATE && key != NULL) {
		const char *text = golden_field(tokens, 3, "value");
		data->entry_count = 1;
		snprintf(data->entries[0].key, HN_KEY_MAX, "%s", key);
		snprintf(data->entries[0].value, HN_VALUE_MAX, "%s", text ? text : "x");
		data->entries[0].seq = data->seq;
	}
	golden_single_step(single, &event);
	return 0;
}

static int golden_single_write(struct golden_single *single, const struct golden_tokens *tokens,
			       char *error, size_t error_size)
{
	struct hn_event event = {.kind = HN_EVENT_CLIENT_WRITE};
	const char *pair = tokens->count > 3 ? tokens->token[3] : "";
	const char *equals = strchr(pair, '=');
	if (tokens->count != 4 || golden_parse_u64(tokens->token[2], &event.u.write.request_id) ||
	    equals == NULL) {
		snprintf(error, error_size, "expected: write <request id> <key>=<value>");
		return -1;
	}
	snprintf(event.u.write.key, sizeof(event.u.write.key), "%.*s", (int)(equals - pair), pair);
	snprintf(event.u.write.value, sizeof(event.u.write.value), "%s", equals + 1);
	golden_single_step(single, &event);
	return 0;
}

/* "<- heartbeat <link> fields [every=N until=U] [packet=N]" */
static int golden_single_beat(struct golden_single *single, const struct golden_tokens *tokens,
			      char *error, size_t error_size)
{
	int link;
	if (tokens->count < 3 || golden_parse_link(tokens->token[2], &link) != 0) {
		snprintf(error, error_size, "expected: heartbeat sync|external|both fields");
		return -1;
	}
	if (golden_parse_heartbeat(tokens, 3, &single->peer, error, error_size) != 0)
		return -1;
	const char *packet = golden_field(tokens, 3, "packet");
	if (packet != NULL && golden_parse_u64(packet, &single->packet_seq) != 0) {
		snprintf(error, error_size, "bad packet");
		return -1;
	}
	const char *every = golden_field(tokens, 3, "every");
	const char *until = golden_field(tokens, 3, "until");
	if ((every == NULL) != (until == NULL) ||
	    (every != NULL && (golden_parse_u64(every, &single->beat_every_ms) != 0 ||
			       golden_parse_u64(until, &single->beat_until_ms) != 0 ||
			       single->beat_every_ms == 0))) {
		snprintf(error, error_size, "every= and until= go together");
		return -1;
	}
	golden_single_heartbeat(single, link);
	single->beat_on =
	    every != NULL && single->now_ms + single->beat_every_ms <= single->beat_until_ms;
	single->beat_link = link;
	single->beat_next_ms = single->now_ms + single->beat_every_ms;
	return 0;
}

/* One event line "<- ...". */
static int golden_single_event(struct golden_single *single, const struct golden_tokens *tokens,
			       char *error, size_t error_size)
{
	const char *what = tokens->count > 1 ? tokens->token[1] : "";
	struct hn_event event = {0};
	if (strcmp(what, "start") == 0 || strcmp(what, "tick") == 0) {
		const char *nonce = golden_field(tokens, 2, "nonce");
		event.kind = what[0] == 's' ? HN_EVENT_START : HN_EVENT_TICK;
		if (nonce != NULL && golden_parse_u64(nonce, &event.u.start.boot_nonce) != 0) {
			snprintf(error, error_size, "bad nonce");
			return -1;
		}
	} else if (strcmp(what, "failed") == 0) {
		event.kind = HN_EVENT_ACTION_FAILED;
		if (tokens->count != 4 ||
		    golden_parse_failure(tokens->token[2], &event.u.failure.kind) != 0) {
			snprintf(error, error_size,
				 "expected: failed storage|ip|services \"reason\"");
			return -1;
		}
		snprintf(event.u.failure.reason, sizeof(event.u.failure.reason), "%s",
			 tokens->token[3]);
	} else if (strcmp(what, "heartbeat") == 0) {
		return golden_single_beat(single, tokens, error, error_size);
	} else if (strcmp(what, "link") == 0) {
		int link;
		event.kind = HN_EVENT_LINK;
		if (tokens->count != 4 || golden_parse_link(tokens->token[2], &link) != 0 ||
		    link < 0 || golden_parse_bool(tokens->token[3], &event.u.carrier_up) != 0) {
			snprintf(error, error_size, "expected: link sync|external up|down");
			return -1;
		}
		event.link = (enum hn_link)link;
	} else if (strcmp(what, "health") == 0) {
		event.kind = HN_EVENT_HEALTH;
		event.u.health = (struct hn_health){true, true, 1, 1, false};
		if (golden_parse_health(tokens, 2, &event.u.health, error, error_size) != 0)
			return -1;
		const char *text = golden_field(tokens, 2, "text");
		if (golden_parse_checks(golden_field(tokens, 2, "checks"), &event.checks.failing)) {
			snprintf(error, error_size, "bad checks (disk,time,services)");
			return -1;
		}
		snprintf(event.checks.text, sizeof(event.checks.text), "%s", text ? text : "");
	} else if (strcmp(what, "admin") == 0) {
		if (golden_parse_admin(tokens, 2, &event, error, error_size) != 0)
			return -1;
		event.u.admin.request_id = single->now_ms;
	} else if (strcmp(what, "write") == 0) {
		return golden_single_write(single, tokens, error, error_size);
	} else if (strcmp(what, "data") == 0) {
		return golden_single_data(single, tokens, error, error_size);
	} else if (strcmp(what, "fence") == 0) {
		event.kind = HN_EVENT_FENCE_RESULT;
		if (tokens->count != 3 || golden_parse_bool(tokens->token[2], &event.u.fence_ok)) {
			snprintf(error, error_size, "expected: fence ok|fail");
			return -1;
		}
	} else {
		snprintf(error, error_size, "unknown event \"%s\"", what);
		return -1;
	}
	golden_single_step(single, &event);
	return 0;
}

static int golden_single_restore(struct golden_single *single, const struct golden_tokens *tokens,
				 char *error, size_t error_size)
{
	const char *what = tokens->count > 1 ? tokens->token[1] : "";
	const char *value;
	if (strcmp(what, "entry") == 0) {
		struct hn_entry entry = {0};
		const char *key = golden_field(tokens, 2, "key");
		value = golden_field(tokens, 2, "value");
		const char *seq = golden_field(tokens, 2, "seq");
		if (key == NULL || value == NULL || golden_parse_u64(seq, &entry.seq) != 0) {
			snprintf(error, error_size, "expected: restore entry key=K value=V seq=N");
			return -1;
		}
		snprintf(entry.key, sizeof(entry.key), "%s", key);
		snprintf(entry.value, sizeof(entry.value), "%s", value);
		if (hn_node_restore_entry(single->node, &entry) != 0) {
			snprintf(error, error_size, "entry not restored");
			return -1;
		}
		return 0;
	}
	if (strcmp(what, "generation") != 0) {
		snprintf(error, error_size, "expected: restore entry|generation");
		return -1;
	}
	struct hn_generation generation = {0};
	bool outdated = false;
	if ((value = golden_field(tokens, 2, "gen")) != NULL)
		golden_parse_u64(value, &generation.id);
	if ((value = golden_field(tokens, 2, "parent")) != NULL)
		golden_parse_u64(value, &generation.parent);
	if ((value = golden_field(tokens, 2, "fork")) != NULL)
		golden_parse_u64(value, &generation.fork_seq);
	if ((value = golden_field(tokens, 2, "outdated")) != NULL)
		golden_parse_bool(value, &outdated);
	hn_node_restore_generation(single->node, &generation, outdated);
	return 0;
}

/* A timed line: "<- event", "restore ...", "status", "end". */
static int golden_single_timed(struct golden_single *single, const struct golden_tokens *tokens,
			       char *error, size_t error_size)
{
	const char *what = tokens->count > 0 ? tokens->token[0] : "";
	if (strcmp(what, "<-") == 0)
		return golden_single_event(single, tokens, error, error_size);
	if (strcmp(what, "restore") == 0)
		return golden_single_restore(single, tokens, error, error_size);
	if (strcmp(what, "status") == 0) {
		struct hn_status status;
		hn_node_status(single->node, single->now_ms, &status);
		golden_format_status(single->text, single->now_ms, single->name, &status);
		return 0;
	}
	if (strcmp(what, "end") == 0)
		return 0;
	snprintf(error, error_size, "unknown input \"%s\"", what);
	return -1;
}

/* A directive before the first timed line. */
static int golden_single_directive(struct golden_single *single, const struct golden_tokens *tokens,
				   char *error, size_t error_size)
{
	const char *what = tokens->token[0];
	if (strcmp(what, "show") == 0 || strcmp(what, "hide") == 0)
		return golden_parse_show(tokens, &single->show, error, error_size);
	if (single->initialised) {
		snprintf(error, error_size, "\"%s\" must come before the first timed line", what);
		return -1;
	}
	if (strcmp(what, "mode") == 0) {
		uint64_t id;
		if (tokens->count != 3 || strncmp(tokens->token[2], "node", 4) != 0 ||
		    golden_parse_u64(tokens->token[2] + 4, &id) != 0 || id == 0 || id > 255) {
			snprintf(error, error_size, "expected: mode single node<id>");
			return -1;
		}
		single->config.self.node_id = (uint32_t)id;
		snprintf(single->config.self.name, sizeof(single->config.self.name), "%s",
			 tokens->token[2]);
		return 0;
	}
	if (strcmp(what, "tiebreaker") == 0) {
		if (tokens->count != 2 ||
		    hn_tiebreaker_parse(tokens->token[1], &single->config.tiebreaker) != 0) {
			snprintf(error, error_size, "expected: tiebreaker none|ping|fence");
			return -1;
		}
		return 0;
	}
	if (strcmp(what, "timers") == 0)
		return golden_parse_timers(tokens, 1, &single->config.timers, error, error_size);
	if (strcmp(what, "identity") == 0)
		return golden_parse_identity(tokens, 1, &single->config.self, error, error_size);
	snprintf(error, error_size, "unknown directive \"%s\"", what);
	return -1;
}

int golden_run_single(char **lines, const unsigned *numbers, size_t count, struct golden_text *text,
		      char *error, size_t error_size)
{
	struct golden_single single = {.text = text};
	struct golden_tokens tokens;
	char message[GOLDEN_ERROR_MAX] = "";
	int result = -1;
	hn_config_defaults(&single.config);
	single.show = ~(uint32_t)(GOLDEN_SHOW_HEARTBEAT | GOLDEN_SHOW_DATA | GOLDEN_SHOW_EVENTS);
	size_t i = 0;
	for (; i < count; i++) {
		uint64_t at_ms;
		const char *rest = lines[i];
		bool timed = golden_split_time(lines[i], &at_ms, &rest) == 0;
		if (golden_tokenize(rest, &tokens, message, sizeof(message)) != 0)
			goto cleanup;
		if (!timed && tokens.count > 0 && lines[i][0] == '@') {
			snprintf(message, sizeof(message), "bad time");
			goto cleanup;
		}
		if (!timed) {
			golden_text_add(text, "%s", lines[i]);
			if (tokens.count > 0 && golden_single_directive(&single, &tokens, message,
									sizeof(message)) != 0)
				goto cleanup;
			continue;
		}
		if (golden_single_init(&single, message, sizeof(message)) != 0)
			goto cleanup;
		if (at_ms < single.now_ms) {
			snprintf(message, sizeof(message), "time goes backwards");
			goto cleanup;
		}
		if (golden_single_advance(&single, at_ms, message, sizeof(message)) != 0)
			goto cleanup;
		golden_text_add(text, "%s", lines[i]);
		if (golden_single_timed(&single, &tokens, message, sizeof(message)) != 0)
			goto cleanup;
	}
	result = 0;
cleanup:
	if (result != 0)
		snprintf(error, error_size, "%u: %s", i < count ? numbers[i] : 0, message);
	free(single.node);
	return result;
}
