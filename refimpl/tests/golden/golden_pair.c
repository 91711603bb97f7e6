/*
 * golden_pair.c - a golden trace of TWO cores through the fixture
 * (refimpl/tests/fixture.h, "mode pair", the default): the trace plays the
 * hardware, the operator and the clients; the fixture carries the packets,
 * keeps the disks and checks its invariants after every step.
 *
 * Every step of either node is printed through the fixture's observer. An
 * input line at time T runs the fixture up to T first (everything due at T
 * happens before the input). A client load ("clients every=50 until=5000")
 * writes c<n>=v<n> to the serving node at its times, between the inputs. A
 * failed invariant ends the run with a "!!" line; the rest of the trace is
 * copied without output.
 */
#include "fixture.h"
#include "golden.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct golden_pair {
	struct hn_fixture_options options;
	struct hn_fixture *fixture;
	struct golden_text *text;
	uint32_t show;
	char names[HN_FIXTURE_NODES][HN_NAME_MAX];
	struct hn_health health[HN_FIXTURE_NODES];
	bool failed;
	/* client load */
	bool clients_on;
	uint64_t clients_next_ms, clients_every_ms, clients_until_ms;
	uint32_t clients_counter; /* writes sent, by the client load and by write lines */
};

static void golden_pair_observe(void *context, uint64_t now_ms, uint32_t node,
				const struct hn_event *event, const struct hn_actions *actions)
{
	struct golden_pair *pair = context;
	(void)event;
	golden_format_actions(pair->text, now_ms, pair->names[node], actions, pair->show);
}

static void golden_pair_failed(struct golden_pair *pair)
{
	if (pair->failed)
		return;
	pair->failed = true;
	golden_text_add(pair->text, "  @%" PRIu64 " fixture -> !! %s",
			hn_fixture_now_ms(pair->fixture), hn_fixture_failure(pair->fixture));
}

static int golden_pair_create(struct golden_pair *pair, char *error, size_t error_size)
{
	if (pair->fixture != NULL)
		return 0;
	pair->options.observe = golden_pair_observe;
	pair->options.observe_context = pair;
	pair->fixture = hn_fixture_create(&pair->options, error, error_size);
	if (pair->fixture == NULL)
		return -1;
	for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
		const struct hn_identity *identity = &pair->options.identity[node];
		if (identity->node_id != 0)
			snprintf(pair->names[node], HN_NAME_MAX, "%s", identity->name);
		else
			snprintf(pair->names[node], HN_NAME_MAX, "node%u", node + 1);
		pair->health[node] = (struct hn_health){true, true, 1, 1, false};
	}
	return 0;
}

/* "node1"/"node2" (or a configured name) -> index. */
static int golden_pair_node(const struct golden_pair *pair, const struct golden_tokens *tokens,
			    size_t index, uint32_t *node, char *error, size_t error_size)
{
	for (uint32_t n = 0; index < tokens->count && n < HN_FIXTURE_NODES; n++) {
		if (strcmp(tokens->token[index], pair->names[n]) == 0) {
			*node = n;
			return 0;
		}
	}
	snprintf(error, error_size, "expected a node name in word %zu", index + 1);
	return -1;
}

/* Runs the fixture and the client load up to and including until_ms. */
static void golden_pair_advance(struct golden_pair *pair, uint64_t until_ms)
{
	while (!pair->failed && pair->clients_on && pair->clients_next_ms <= until_ms) {
		if (hn_fixture_run_until(pair->fixture, pair->clients_next_ms) != 0) {
			golden_pair_failed(pair);
			return;
		}
		int node = hn_fixture_serving_node(pair->fixture);
		if (node >= 0) {
			char key[32], value[32];
			snprintf(key, sizeof(key), "c%u", pair->clients_counter);
			snprintf(value, sizeof(value), "v%u", pair->clients_counter);
			pair->clients_counter++;
			if (hn_fixture_write(pair->fixture, (uint32_t)node, key, value, NULL) != 0)
				golden_pair_failed(pair);
		}
		pair->clients_next_ms += pair->clients_every_ms;
		if (pair->clients_next_ms > pair->clients_until_ms)
			pair->clients_on = false;
	}
	if (!pair->failed && hn_fixture_run_until(pair->fixture, until_ms) != 0)
		golden_pair_failed(pair);
}

/* ------------------------------------------------------------ inputs */

/* "cut|repair <link>" or one way: "cut|repair <link> from <node>". */
static int golden_pair_links(struct golden_pair *pair, const struct golden_tokens *tokens,
			     char *error, size_t error_size)
{
	int link;
	uint32_t from = 0;
	bool cut = strcmp(tokens->token[0], "cut") == 0;
	bool oneway = tokens->count == 4 && strcmp(tokens->token[2], "from") == 0;
	if ((tokens->count != 2 && !oneway) || golden_parse_link(tokens->token[1], &link) != 0 ||
	    (oneway && golden_pair_node(pair, tokens, 3, &from, error, error_size) != 0)) {
		snprintf(error, error_size,
			 "expected: cut|repair sync|external|both [from <node>]");
		return -1;
	}
	for (int l = 0; l < HN_LINKS; l++) {
		if (link >= 0 && l != link)
			continue;
		if (oneway)
			hn_fixture_partition_oneway(pair->fixture, (enum hn_link)l, from, cut);
		else
			hn_fixture_partition(pair->fixture, (enum hn_link)l, cut);
	}
	return 0;
}

static int golden_pair_impair(struct golden_pair *pair, const struct golden_tokens *tokens,
			      char *error, size_t error_size)
{
	int link;
	uint64_t value;
	if (tokens->count != 3 || golden_parse_link(tokens->token[1], &link) != 0 ||
	    golden_parse_u64(tokens->token[2], &value) != 0 || value > 100000) {
		snprintf(error, error_size, "expected: drop|delay sync|external|both <number>");
		return -1;
	}
	for (int l = 0; l < HN_LINKS; l++) {
		if (link >= 0 && l != link)
			continue;
		if (tokens->token[0][1] == 'r')
			hn_fixture_set_drop_percent(pair->fixture, (enum hn_link)l,
						    (uint32_t)value);
		else
			hn_fixture_set_delay_ms(pair->fixture, (enum hn_link)l, (uint32_t)value);
	}
	return 0;
}

static int golden_pair_write(struct golden_pair *pair, uint32_t node,
			     const struct golden_tokens *tokens, char *error, size_t error_size)
{
	const char *pair_text = tokens->count == 3 ? tokens->token[2] : "";
	const char *equals = strchr(pair_text, '=');
	if (equals == NULL) {
		snprintf(error, error_size, "expected: write <node> <key>=<value>");
		return -1;
	}
	char key[HN_KEY_MAX];
	snprintf(key, sizeof(key), "%.*s", (int)(equals - pair_text), pair_text);
	pair->clients_counter++;
	if (hn_fixture_write(pair->fixture, node, key, equals + 1, NULL) != 0)
		golden_pair_failed(pair);
	return 0;
}

static int golden_pair_clients(struct golden_pair *pair, const struct golden_tokens *tokens,
			       char *error, size_t error_size)
{
	const char *every = golden_field(tokens, 1, "every");
	const char *until = golden_field(tokens, 1, "until");
	if (golden_parse_u64(every, &pair->clients_every_ms) != 0 ||
	    golden_parse_u64(until, &pair->clients_until_ms) != 0 || pair->clients_every_ms == 0) {
		snprintf(error, error_size, "expected: clients every=<ms> until=<ms>");
		return -1;
	}
	pair->clients_on = true;
	pair->clients_next_ms = hn_fixture_now_ms(pair->fixture);
	golden_pair_advance(pair, pair->clients_next_ms);
	return 0;
}

static void golden_pair_summary(struct golden_pair *pair, bool check)
{
	uint64_t now_ms = hn_fixture_now_ms(pair->fixture);
	if (check && hn_fixture_check_writes(pair->fixture) != 0) {
		golden_pair_failed(pair);
		return;
	}
	golden_text_add(pair->text,
			"  @%" PRIu64 " fixture -> writes %u sent, %" PRIu64
			" acknowledged, %" PRIu64 " reported lost%s",
			now_ms, pair->clients_counter, hn_fixture_acked_writes(pair->fixture),
			hn_fixture_lost_writes(pair->fixture),
			check ? ", every acknowledged write on the active" : "");
}

/* Faults injected into one node: failed actions and fences, capture and
 * replay of its packets. */
static int golden_pair_fault_op(struct golden_pair *pair, uint32_t node,
				const struct golden_tokens *tokens, char *error, size_t error_size)
{
	const char *what = tokens->token[0];
	uint64_t count;
	if (strcmp(what, "fail") == 0) {
		enum hn_failure_kind kind;
		if (tokens->count != 4 || golden_parse_failure(tokens->token[2], &kind) != 0 ||
		    golden_parse_u64(tokens->token[3], &count) != 0) {
			snprintf(error, error_size,
				 "expected: fail <node> storage|ip|services <nth>");
			return -1;
		}
		hn_fixture_fail_action(pair->fixture, node, kind, (uint32_t)count);
	} else if (strcmp(what, "capture") == 0) {
		bool on;
		if (tokens->count != 3 || golden_parse_bool(tokens->token[2], &on) != 0) {
			snprintf(error, error_size, "expected: capture <node> on|off");
			return -1;
		}
		hn_fixture_capture(pair->fixture, node, on);
	} else if (strcmp(what, "replay") == 0) {
		if (hn_fixture_replay(pair->fixture, node) != 0)
			golden_pair_failed(pair);
	} else {
		if (tokens->count != 3 || golden_parse_u64(tokens->token[2], &count) != 0) {
			snprintf(error, error_size, "expected: fence-fails <node> <count>");
			return -1;
		}
		hn_fixture_fail_fences(pair->fixture, node, (uint32_t)count);
	}
	return 0;
}

/* Operations on one node: "<op> <node> ...". */
static int golden_pair_node_op(struct golden_pair *pair, const struct golden_tokens *tokens,
			       char *error, size_t error_size)
{
	const char *what = tokens->token[0];
	uint32_t node;
	if (strcmp(what, "power") == 0) {
		bool on;
		if (tokens->count != 3 || golden_parse_bool(tokens->token[1], &on) != 0 ||
		    golden_pair_node(pair, tokens, 2, &node, error, error_size) != 0) {
			snprintf(error, error_size, "expected: power on|off <node>");
			return -1;
		}
		if (!on)
			hn_fixture_power_off(pair->fixture, node);
		else if (hn_fixture_power_on(pair->fixture, node) != 0)
			golden_pair_failed(pair);
		return 0;
	}
	if (golden_pair_node(pair, tokens, 1, &node, error, error_size) != 0)
		return -1;
	if (strcmp(what, "health") == 0 || strcmp(what, "measure") == 0) {
		if (golden_parse_health(tokens, 2, &pair->health[node], error, error_size) != 0)
			return -1;
		if (what[0] == 'm')
			hn_fixture_set_health_next_round(pair->fixture, node, &pair->health[node]);
		else if (hn_fixture_set_health(pair->fixture, node, &pair->health[node]) != 0)
			golden_pair_failed(pair);
	} else if (strcmp(what, "fail") == 0 || strcmp(what, "capture") == 0 ||
		   strcmp(what, "replay") == 0 || strcmp(what, "fence-fails") == 0) {
		return golden_pair_fault_op(pair, node, tokens, error, error_size);
	} else if (strcmp(what, "carrier") == 0) {
		int link;
		bool up;
		if (tokens->count != 4 || golden_parse_link(tokens->token[2], &link) != 0 ||
		    link < 0 || golden_parse_bool(tokens->token[3], &up) != 0) {
			snprintf(error, error_size,
				 "expected: carrier <node> sync|external up|down");
			return -1;
		}
		if (hn_fixture_set_carrier(pair->fixture, node, (enum hn_link)link, up) != 0)
			golden_pair_failed(pair);
	} else if (strcmp(what, "cluster-ip") == 0) {
		bool visible;
		if (tokens->count != 3 || golden_parse_bool(tokens->token[2], &visible) != 0) {
			snprintf(error, error_size, "expected: cluster-ip <node> on|off");
			return -1;
		}
		hn_fixture_set_cluster_ip_visible(pair->fixture, node, visible);
	} else if (strcmp(what, "update") == 0) {
		struct hn_identity identity = pair->options.identity[node];
		if (identity.node_id == 0) {
			struct hn_config defaults;
			hn_config_defaults(&defaults);
			identity = defaults.self;
			identity.node_id = node + 1;
			snprintf(identity.name, sizeof(identity.name), "%s", pair->names[node]);
		}
		if (golden_parse_identity(tokens, 2, &identity, error, error_size) != 0)
			return -1;
		pair->options.identity[node] = identity;
		hn_fixture_set_identity(pair->fixture, node, &identity);
	} else if (strcmp(what, "admin") == 0) {
		struct hn_event event;
		if (golden_parse_admin(tokens, 2, &event, error, error_size) != 0)
			return -1;
		if (hn_fixture_admin(pair->fixture, node, event.u.admin.command, event.u.admin.key,
				     event.u.admin.value, NULL, 0) < 0)
			golden_pair_failed(pair);
	} else {
		return golden_pair_write(pair, node, tokens, error, error_size);
	}
	return 0;
}

static int golden_pair_timed(struct golden_pair *pair, const struct golden_tokens *tokens,
			     char *error, size_t error_size)
{
	const char *what = tokens->count > 0 ? tokens->token[0] : "";
	if (strcmp(what, "cut") == 0 || strcmp(what, "repair") == 0)
		return golden_pair_links(pair, tokens, error, error_size);
	if (strcmp(what, "drop") == 0 || strcmp(what, "delay") == 0)
		return golden_pair_impair(pair, tokens, error, error_size);
	if (strcmp(what, "clients") == 0)
		return golden_pair_clients(pair, tokens, error, error_size);
	if (strcmp(what, "status") == 0) {
		for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
			struct hn_status status;
			uint64_t now_ms = hn_fixture_now_ms(pair->fixture);
			hn_fixture_status(pair->fixture, node, &status);
			if (hn_fixture_powered(pair->fixture, node))
				golden_format_status(pair->text, now_ms, pair->names[node],
						     &status);
			else
				golden_text_add(pair->text, "  @%" PRIu64 " %s -> status off",
						now_ms, pair->names[node]);
		}
		return 0;
	}
	if (strcmp(what, "writes") == 0 || strcmp(what, "check") == 0) {
		golden_pair_summary(pair, what[0] == 'c');
		return 0;
	}
	if (strcmp(what, "end") == 0)
		return 0;
	static const char *const node_ops[] = {
	    "power", "health",	"measure", "carrier", "cluster-ip", "update", "fence-fails",
	    "fail",  "capture", "replay",  "admin",   "write",	    NULL};
	for (size_t i = 0; node_ops[i] != NULL; i++) {
		if (strcmp(what, node_ops[i]) == 0)
			return golden_pair_node_op(pair, tokens, error, error_size);
	}
	snprintf(error, error_size, "unknown input \"%s\"", what);
	return -1;
}

static int golden_pair_directive(struct golden_pair *pair, const struct golden_tokens *tokens,
				 char *error, size_t error_size)
{
	const char *what = tokens->token[0];
	if (strcmp(what, "show") == 0 || strcmp(what, "hide") == 0)
		return golden_parse_show(tokens, &pair->show, error, error_size);
	if (pair->fixture != NULL) {
		snprintf(error, error_size, "\"%s\" must come before the first timed line", what);
		return -1;
	}
	if (strcmp(what, "mode") == 0)
		return 0;
	if (strcmp(what, "tiebreaker") == 0) {
		if (tokens->count != 2 ||
		    hn_tiebreaker_parse(tokens->token[1], &pair->options.tiebreaker) != 0) {
			snprintf(error, error_size, "expected: tiebreaker none|ping|fence");
			return -1;
		}
		return 0;
	}
	if (strcmp(what, "rounds") == 0) {
		uint64_t every, phase;
		if (golden_parse_u64(golden_field(tokens, 1, "every"), &every) != 0 || every == 0 ||
		    every > 60000) {
			snprintf(error, error_size,
				 "expected: rounds every=<ms> node1=<ms> node2=<ms>");
			return -1;
		}
		pair->options.health_interval_ms = (uint32_t)every;
		for (uint32_t node = 0; node < HN_FIXTURE_NODES; node++) {
			char key[8];
			snprintf(key, sizeof(key), "node%u", node + 1);
			if (golden_parse_u64(golden_field(tokens, 1, key), &phase) == 0)
				pair->options.health_phase_ms[node] = (uint32_t)phase;
		}
		return 0;
	}
	if (strcmp(what, "seed") == 0)
		return tokens->count == 2 &&
			       golden_parse_u64(tokens->token[1], &pair->options.seed) == 0
			   ? 0
			   : (snprintf(error, error_size, "expected: seed <number>"), -1);
	if (strcmp(what, "timers") == 0) {
		if (pair->options.timers.dead_time_ms == 0) {
			struct hn_config defaults;
			hn_config_defaults(&defaults);
			pair->options.timers = defaults.timers;
		}
		return golden_parse_timers(tokens, 1, &pair->options.timers, error, error_size);
	}
	if (strcmp(what, "identity") == 0) {
		uint64_t id;
		if (tokens->count < 2 || strncmp(tokens->token[1], "node", 4) != 0 ||
		    golden_parse_u64(tokens->token[1] + 4, &id) != 0 || id < 1 || id > 2) {
			snprintf(error, error_size, "expected: identity node1|node2 fields");
			return -1;
		}
		struct hn_identity *identity = &pair->options.identity[id - 1];
		if (identity->node_id == 0) {
			struct hn_config defaults;
			hn_config_defaults(&defaults);
			*identity = defaults.self;
			identity->node_id = (uint32_t)id;
			snprintf(identity->name, sizeof(identity->name), "node%u", (unsigned)id);
		}
		return golden_parse_identity(tokens, 2, identity, error, error_size);
	}
	snprintf(error, error_size, "unknown directive \"%s\"", what);
	return -1;
}

int golden_run_pair(char **lines, const unsigned *numbers, size_t count, struct golden_text *text,
		    char *error, size_t error_size)
{
	struct golden_pair pair = {.text = text, .options = {.seed = 1}};
	struct golden_tokens tokens;
	char message[GOLDEN_ERROR_MAX] = "";
	int result = -1;
	pair.show = GOLDEN_SHOW_LOG | GOLDEN_SHOW_NOTIFY | GOLDEN_SHOW_RESOURCES |
		    GOLDEN_SHOW_FENCE | GOLDEN_SHOW_ADMIN;
	size_t i = 0;
	for (; i < count; i++) {
		uint64_t at_ms;
		const char *rest = lines[i];
		bool timed = golden_split_time(lines[i], &at_ms, &rest) == 0;
		if (golden_tokenize(rest, &tokens, message, sizeof(message)) != 0)
			goto cleanup;
		if (!timed) {
			golden_text_add(text, "%s", lines[i]);
			if (tokens.count > 0 &&
			    golden_pair_directive(&pair, &tokens, message, sizeof(message)) != 0)
				goto cleanup;
			continue;
		}
		if (golden_pair_create(&pair, message, sizeof(message)) != 0)
			goto cleanup;
		if (at_ms < hn_fixture_now_ms(pair.fixture)) {
			snprintf(message, sizeof(message), "time goes backwards");
			goto cleanup;
		}
		golden_pair_advance(&pair, at_ms);
		golden_text_add(text, "%s", lines[i]);
		if (pair.failed)
			continue;
		if (tokens.count == 0 ||
		    golden_pair_timed(&pair, &tokens, message, sizeof(message)) != 0)
			goto cleanup;
	}
	result = 0;
cleanup:
	if (result != 0)
		snprintf(error, error_size, "%u: %s", i < count ? numbers[i] : 0, message);
	hn_fixture_free(pair.fixture);
	return result;
}
