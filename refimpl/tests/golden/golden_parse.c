/*
 * golden_parse.c - the words of a golden trace: tokens, key=value fields,
 * heartbeats, health, admin commands, timers, identities and the show/hide
 * sets (README in this folder lists them all).
 *
 * A line splits at white space; "double quoted text" is one token (also as
 * the value of key="..."), and braces are white space, so that a heartbeat
 * may be written {role=active seq=3} or role=active seq=3. Every parser
 * names the field it could not read in error and returns -1.
 */
#include "golden.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- tokens */

int golden_tokenize(const char *line, struct golden_tokens *tokens, char *error, size_t error_size)
{
	memset(tokens, 0, sizeof(*tokens));
	snprintf(tokens->buffer, sizeof(tokens->buffer), "%s", line);
	char *at = tokens->buffer;
	for (;;) {
		while (*at == ' ' || *at == '\t' || *at == '{' || *at == '}')
			at++;
		if (*at == '\0' || *at == '#')
			return 0;
		if (tokens->count == GOLDEN_TOKENS_MAX) {
			snprintf(error, error_size, "more than %d words", GOLDEN_TOKENS_MAX);
			return -1;
		}
		char *out = at;
		tokens->token[tokens->count++] = out;
		bool quoted = false;
		while (*at != '\0' && (quoted || (*at != ' ' && *at != '\t' && *at != '}'))) {
			if (*at == '"') {
				quoted = !quoted;
				at++;
				continue;
			}
			*out++ = *at++;
		}
		if (quoted) {
			snprintf(error, error_size, "unterminated quote");
			return -1;
		}
		bool end = *at == '\0';
		*out = '\0';
		if (end)
			return 0;
		at++;
	}
}

const char *golden_field(const struct golden_tokens *tokens, size_t first, const char *key)
{
	size_t length = strlen(key);
	for (size_t i = first; i < tokens->count; i++) {
		if (strncmp(tokens->token[i], key, length) == 0 && tokens->token[i][length] == '=')
			return tokens->token[i] + length + 1;
	}
	return NULL;
}

int golden_split_time(const char *line, uint64_t *at_ms, const char **rest)
{
	if (line[0] != '@')
		return -1;
	char *end = NULL;
	unsigned long long value = strtoull(line + 1, &end, 10);
	if (end == line + 1 || (*end != ' ' && *end != '\0'))
		return -1;
	*at_ms = value;
	while (*end == ' ')
		end++;
	*rest = end;
	return 0;
}

/* ---------------------------------------------------------------- values */

int golden_parse_u64(const char *text, uint64_t *value)
{
	char *end = NULL;
	if (text == NULL || text[0] == '\0' || text[0] == '-')
		return -1;
	unsigned long long parsed = strtoull(text, &end, 0);
	if (*end != '\0')
		return -1;
	*value = parsed;
	return 0;
}

static int golden_parse_u32(const char *text, uint32_t *value)
{
	uint64_t parsed;
	if (golden_parse_u64(text, &parsed) != 0 || parsed > UINT32_MAX)
		return -1;
	*value = (uint32_t)parsed;
	return 0;
}

int golden_parse_bool(const char *text, bool *value)
{
	static const char *const yes[] = {"yes", "ok", "up", "on", "true", "answered", NULL};
	static const char *const no[] = {"no", "fail", "down", "off", "false", "free", NULL};
	for (size_t i = 0; text != NULL && yes[i] != NULL; i++) {
		if (strcmp(text, yes[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcmp(text, no[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	return -1;
}

int golden_parse_link(const char *text, int *link)
{
	if (strcmp(text, "sync") == 0)
		*link = HN_LINK_SYNC;
	else if (strcmp(text, "external") == 0)
		*link = HN_LINK_EXTERNAL;
	else if (strcmp(text, "both") == 0)
		*link = -1;
	else
		return -1;
	return 0;
}

static int golden_parse_state(const char *text, enum hn_state *state)
{
	for (int i = 0; i < HN_STATE_COUNT; i++) {
		if (strcmp(text, hn_state_name((enum hn_state)i)) == 0) {
			*state = (enum hn_state)i;
			return 0;
		}
	}
	return -1;
}

/* "active", "standby" (state normal) or a state name (role standby). */
int golden_parse_role_state(const char *text, enum hn_role *role, enum hn_state *state)
{
	*role = HN_ROLE_STANDBY;
	*state = HN_STATE_NORMAL;
	if (strcmp(text, "active") == 0)
		*role = HN_ROLE_ACTIVE;
	else if (strcmp(text, "standby") != 0 && golden_parse_state(text, state) != 0)
		return -1;
	return 0;
}

static const struct {
	uint32_t flag;
	const char *name;
} golden_flag_names[] = {
    {HN_HB_MAINTENANCE, "maintenance"},
    {HN_HB_OUTDATED, "outdated"},
    {HN_HB_PEER_OUTDATED, "peer_outdated"},
    {HN_HB_YIELD, "yield"},
    {HN_HB_DISCONNECT, "disconnect"},
    {HN_HB_DISBAND, "disband"},
    {HN_HB_TOOK_OVER, "took_over"},
    {HN_HB_INCOMPATIBLE, "incompatible"},
    {HN_HB_SWITCHOVER_REQUEST, "switchover_request"},
    {HN_HB_NO_STORAGE, "no_storage"},
    {HN_HB_EXTERNAL_UP, "external_up"},
};

#define GOLDEN_COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

const char *golden_flags_text(uint32_t flags, char *buffer, size_t size)
{
	size_t used = 0;
	buffer[0] = '\0';
	for (size_t i = 0; i < GOLDEN_COUNT_OF(golden_flag_names); i++) {
		if (flags & golden_flag_names[i].flag)
			used +=
			    (size_t)snprintf(buffer + used, used < size ? size - used : 0, "%s%s",
					     used ? "," : "", golden_flag_names[i].name);
	}
	if (used == 0)
		snprintf(buffer, size, "none");
	return buffer;
}

static int golden_parse_flags(const char *text, uint32_t *flags)
{
	char copy[GOLDEN_LINE_MAX];
	*flags = 0;
	if (strcmp(text, "none") == 0)
		return 0;
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *save = NULL, *name = strtok_r(copy, ",+", &save); name != NULL;
	     name = strtok_r(NULL, ",+", &save)) {
		size_t i = 0;
		while (i < GOLDEN_COUNT_OF(golden_flag_names) &&
		       strcmp(golden_flag_names[i].name, name) != 0)
			i++;
		if (i == GOLDEN_COUNT_OF(golden_flag_names))
			return -1;
		*flags |= golden_flag_names[i].flag;
	}
	return 0;
}

/* "a/b" */
static int golden_parse_ratio(const char *text, uint32_t *a, uint32_t *b)
{
	char copy[64];
	snprintf(copy, sizeof(copy), "%s", text);
	char *slash = strchr(copy, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	return golden_parse_u32(copy, a) == 0 && golden_parse_u32(slash + 1, b) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------- records */

#define GOLDEN_BAD(field)                                                                          \
	do {                                                                                       \
		snprintf(error, error_size, "bad %s", field);                                      \
		return -1;                                                                         \
	} while (0)

static int golden_parse_health_field(const char *key, const char *value, struct hn_health *health)
{
	if (strcmp(key, "raid") == 0)
		return golden_parse_bool(value, &health->raid_ok);
	if (strcmp(key, "services") == 0)
		return golden_parse_bool(value, &health->services_ok);
	if (strcmp(key, "ping") == 0)
		return golden_parse_ratio(value, &health->ping_reachable, &health->ping_total);
	if (strcmp(key, "ip") == 0)
		return golden_parse_bool(value, &health->cluster_ip_answered);
	return 1; /* not a health field */
}

static int golden_parse_identity_field(const char *key, const char *value,
				       struct hn_identity *identity)
{
	if (strcmp(key, "id") == 0)
		return golden_parse_u32(value, &identity->node_id);
	if (strcmp(key, "name") == 0)
		return snprintf(identity->name, sizeof(identity->name), "%s", value) <
			       (int)sizeof(identity->name)
			   ? 0
			   : -1;
	if (strcmp(key, "model") == 0)
		return hn_model_parse(value, &identity->model);
	if (strcmp(key, "firmware") == 0)
		return hn_version_parse(value, &identity->firmware);
	if (strcmp(key, "cpu") == 0)
		return golden_parse_u32(value, &identity->cpu_count);
	if (strcmp(key, "memory") == 0)
		return golden_parse_u32(value, &identity->memory_mb);
	if (strcmp(key, "disk") == 0)
		return golden_parse_u32(value, &identity->disk_gb);
	return 1;
}

static int golden_parse_heartbeat_field(const char *key, const char *value,
					struct hn_heartbeat *heartbeat)
{
	int result = golden_parse_health_field(key, value, &heartbeat->health);
	if (result <= 0)
		return result;
	result = golden_parse_identity_field(key, value, &heartbeat->sender);
	if (result <= 0)
		return result;
	if (strcmp(key, "role") == 0) {
		if (strcmp(value, "active") == 0)
			heartbeat->role = HN_ROLE_ACTIVE;
		else if (strcmp(value, "standby") == 0)
			heartbeat->role = HN_ROLE_STANDBY;
		else
			return -1;
		return 0;
	}
	if (strcmp(key, "state") == 0)
		return golden_parse_state(value, &heartbeat->state);
	if (strcmp(key, "flags") == 0)
		return golden_parse_flags(value, &heartbeat->flags);
	if (strcmp(key, "protocol") == 0)
		return golden_parse_u32(value, &heartbeat->protocol_version);
	if (strcmp(key, "gen") == 0)
		return golden_parse_u64(value, &heartbeat->generation.id);
	if (strcmp(key, "parent") == 0)
		return golden_parse_u64(value, &heartbeat->generation.parent);
	if (strcmp(key, "fork") == 0)
		return golden_parse_u64(value, &heartbeat->generation.fork_seq);
	if (strcmp(key, "seq") == 0)
		return golden_parse_u64(value, &heartbeat->last_seq);
	if (strcmp(key, "writes") == 0)
		return golden_parse_u64(value, &heartbeat->writes_in_generation);
	if (strcmp(key, "active_for") == 0)
		return golden_parse_u64(value, &heartbeat->active_for_ms);
	if (strcmp(key, "loser") == 0)
		return golden_parse_u32(value, &heartbeat->split_brain_loser);
	if (strcmp(key, "nonce") == 0)
		return golden_parse_u64(value, &heartbeat->nonce);
	if (strcmp(key, "echo") == 0)
		return golden_parse_u64(value, &heartbeat->echo_nonce);
	if (strcmp(key, "echo_age") == 0)
		return strcmp(value, "never") == 0
			   ? (heartbeat->echo_age_ms = HN_AGE_NEVER, 0)
			   : golden_parse_u32(value, &heartbeat->echo_age_ms);
	if (strcmp(key, "health_age") == 0)
		return strcmp(value, "never") == 0
			   ? (heartbeat->health_age_ms = HN_AGE_NEVER, 0)
			   : golden_parse_u32(value, &heartbeat->health_age_ms);
	return 1;
}

/* Keys that the caller reads (event and repetition), not fields. */
static bool golden_caller_key(const char *key)
{
	static const char *const keys[] = {"packet", "every", "until", "checks", "text", NULL};
	for (size_t i = 0; keys[i] != NULL; i++) {
		if (strcmp(key, keys[i]) == 0)
			return true;
	}
	return false;
}

/* Splits "key=value" in place into key and value. */
static int golden_key_value(const char *token, char *key, size_t key_size, const char **value)
{
	const char *equals = strchr(token, '=');
	if (equals == NULL || (size_t)(equals - token) >= key_size)
		return -1;
	memcpy(key, token, (size_t)(equals - token));
	key[equals - token] = '\0';
	*value = equals + 1;
	return 0;
}

int golden_parse_heartbeat(const struct golden_tokens *tokens, size_t first,
			   struct hn_heartbeat *heartbeat, char *error, size_t error_size)
{
	char key[32];
	const char *value;
	for (size_t i = first; i < tokens->count; i++) {
		if (golden_key_value(tokens->token[i], key, sizeof(key), &value) != 0)
			GOLDEN_BAD(tokens->token[i]);
		if (golden_caller_key(key))
			continue;
		if (golden_parse_heartbeat_field(key, value, heartbeat) != 0)
			GOLDEN_BAD(tokens->token[i]);
	}
	return 0;
}

int golden_parse_health(const struct golden_tokens *tokens, size_t first, struct hn_health *health,
			char *error, size_t error_size)
{
	char key[32];
	const char *value;
	for (size_t i = first; i < tokens->count; i++) {
		if (golden_key_value(tokens->token[i], key, sizeof(key), &value) != 0)
			GOLDEN_BAD(tokens->token[i]);
		if (golden_caller_key(key))
			continue;
		if (golden_parse_health_field(key, value, health) != 0)
			GOLDEN_BAD(tokens->token[i]);
	}
	if (health->ping_reachable > health->ping_total)
		GOLDEN_BAD("ping (more reachable than configured)");
	return 0;
}

int golden_parse_identity(const struct golden_tokens *tokens, size_t first,
			  struct hn_identity *identity, char *error, size_t error_size)
{
	char key[32];
	const char *value;
	for (size_t i = first; i < tokens->count; i++) {
		if (golden_key_value(tokens->token[i], key, sizeof(key), &value) != 0 ||
		    golden_parse_identity_field(key, value, identity) != 0)
			GOLDEN_BAD(tokens->token[i]);
	}
	return 0;
}

int golden_parse_timers(const struct golden_tokens *tokens, size_t first, struct hn_timers *timers,
			char *error, size_t error_size)
{
	static const struct {
		const char *key;
		size_t offset;
	} fields[] = {
	    {"heartbeat", offsetof(struct hn_timers, heartbeat_interval_ms)},
	    {"dead", offsetof(struct hn_timers, dead_time_ms)},
	    {"wait", offsetof(struct hn_timers, wait_for_peer_ms)},
	    {"fence_delay", offsetof(struct hn_timers, fence_delay_ms)},
	    {"retransmit", offsetof(struct hn_timers, retransmit_ms)},
	    {"fence_timeout", offsetof(struct hn_timers, fence_timeout_ms)},
	    {"sync_lag", offsetof(struct hn_timers, sync_lag_ms)},
	};
	char key[32];
	const char *value;
	for (size_t i = first; i < tokens->count; i++) {
		size_t f = 0;
		if (golden_key_value(tokens->token[i], key, sizeof(key), &value) != 0)
			GOLDEN_BAD(tokens->token[i]);
		while (f < GOLDEN_COUNT_OF(fields) && strcmp(fields[f].key, key) != 0)
			f++;
		if (f == GOLDEN_COUNT_OF(fields) ||
		    golden_parse_u32(value, (uint32_t *)((char *)timers + fields[f].offset)) != 0)
			GOLDEN_BAD(tokens->token[i]);
	}
	return 0;
}

/* admin <command words> [key=K value=V | "text"] */
int golden_parse_admin(const struct golden_tokens *tokens, size_t first, struct hn_event *event,
		       char *error, size_t error_size)
{
	char name[64] = "";
	size_t i = first;
	for (; i < tokens->count && strchr(tokens->token[i], '=') == NULL; i++) {
		size_t used = strlen(name);
		snprintf(name + used, sizeof(name) - used, "%s%s", used ? " " : "",
			 tokens->token[i]);
	}
	memset(event, 0, sizeof(*event));
	event->kind = HN_EVENT_ADMIN;
	if (hn_admin_command_parse(name, &event->u.admin.command) != 0) {
		snprintf(error, error_size, "unknown admin command \"%s\"", name);
		return -1;
	}
	const char *key = golden_field(tokens, i, "key");
	const char *value = golden_field(tokens, i, "value");
	snprintf(event->u.admin.key, sizeof(event->u.admin.key), "%s", key ? key : "");
	snprintf(event->u.admin.value, sizeof(event->u.admin.value), "%s", value ? value : "");
	return 0;
}

/* checks=disk,time,services -> enum hn_notify_check bits ("none" = 0). */
int golden_parse_checks(const char *text, uint32_t *failing)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} names[] = {{"disk", HN_CHECK_DISK_USAGE},
		     {"time", HN_CHECK_TIME_OFFSET},
		     {"services", HN_CHECK_SERVICE_HEALTH}};
	char copy[GOLDEN_LINE_MAX];
	*failing = 0;
	if (text == NULL || strcmp(text, "none") == 0)
		return 0;
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *save = NULL, *name = strtok_r(copy, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < GOLDEN_COUNT_OF(names) && strcmp(names[i].name, name) != 0)
			i++;
		if (i == GOLDEN_COUNT_OF(names))
			return -1;
		*failing |= names[i].bit;
	}
	return 0;
}

int golden_parse_failure(const char *text, enum hn_failure_kind *kind)
{
	if (strcmp(text, "storage") == 0)
		*kind = HN_FAILURE_STORAGE;
	else if (strcmp(text, "ip") == 0)
		*kind = HN_FAILURE_CLUSTER_IP;
	else if (strcmp(text, "services") == 0)
		*kind = HN_FAILURE_SERVICES;
	else
		return -1;
	return 0;
}

int golden_parse_show(const struct golden_tokens *tokens, uint32_t *show, char *error,
		      size_t error_size)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} names[] = {
	    {"log", GOLDEN_SHOW_LOG},
	    {"notify", GOLDEN_SHOW_NOTIFY},
	    {"resources", GOLDEN_SHOW_RESOURCES},
	    {"fence", GOLDEN_SHOW_FENCE},
	    {"persist", GOLDEN_SHOW_PERSIST},
	    {"replies", GOLDEN_SHOW_REPLIES},
	    {"admin", GOLDEN_SHOW_ADMIN},
	    {"heartbeat", GOLDEN_SHOW_HEARTBEAT},
	    {"data", GOLDEN_SHOW_DATA},
	    {"events", GOLDEN_SHOW_EVENTS},
	};
	bool hide = strcmp(tokens->token[0], "hide") == 0;
	for (size_t i = 1; i < tokens->count; i++) {
		size_t n = 0;
		while (n < GOLDEN_COUNT_OF(names) && strcmp(names[n].name, tokens->token[i]) != 0)
			n++;
		if (n == GOLDEN_COUNT_OF(names)) {
			snprintf(error, error_size, "unknown output kind \"%s\"", tokens->token[i]);
			return -1;
		}
		if (hide)
			*show &= ~names[n].bit;
		else
			*show |= names[n].bit;
	}
	return 0;
}
