/*
 * admin.c - the operator's side of hanode: the requests that arrive on the
 * control socket (control.c) from hactl - status, log, the admin commands
 * (maintenance, switchover, disconnect, ...), settings - and the answers.
 * An admin command goes to the host (hn_host_admin) and waits, with a
 * deadline, in a small table until the host's admin_reply answers it.
 * create and join are passed on to join.c. The host makes the operator's
 * maintenance mark durable when the core accepted it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hanode.h"
#include "status.h"

#define HN_ADMIN_TIMEOUT_MS 5000
#define HN_STATUS_JSON_MAX  16384

/* ------------------------------------------------------------- status */

static void hn_daemon_status(struct hn_daemon *daemon, struct hn_control_ticket ticket)
{
	static char json[HN_STATUS_JSON_MAX];
	if (daemon->paired)
		hn_host_status(daemon->host, hn_loop_now_ms(), &daemon->host_status);
	struct hn_control_status_view view = {
	    .paired = daemon->paired,
	    .now_ms = hn_loop_now_ms(),
	    .self = &daemon->config.core.self,
	    .link_configs = daemon->config.links,
	    .host = daemon->paired ? &daemon->host_status : NULL,
	};
	if (hn_control_status_render(&view, json, sizeof(json)) != 0)
		hn_daemon_reply_error(daemon, ticket, "status does not fit the answer buffer");
	else
		hn_control_reply(&daemon->control, ticket, json);
}

/* ---------------------------------------------------- operator commands */

void hn_daemon_reply_error(struct hn_daemon *daemon, struct hn_control_ticket ticket,
			   const char *message)
{
	char escaped[2 * HN_REASON_MAX], json[2 * HN_REASON_MAX + 32];
	hn_json_escape(message, escaped, sizeof(escaped));
	snprintf(json, sizeof(json), "{\"ok\":false,\"error\":\"%s\"}", escaped);
	hn_control_reply(&daemon->control, ticket, json);
}

/* Feed an admin command; the answer comes with the core's ADMIN_REPLY. */
static void hn_daemon_admin(struct hn_daemon *daemon, struct hn_control_ticket ticket,
			    enum hn_admin_command command, const char *key, const char *value)
{
	if (!daemon->paired) {
		hn_daemon_reply_error(daemon, ticket,
				      "not in a cluster: run hactl create or hactl join first");
		return;
	}
	struct hn_admin_pending *pending = NULL;
	for (size_t i = 0; i < HN_ADMIN_PENDING_MAX && !pending; i++)
		if (!daemon->admin_pending[i].used)
			pending = &daemon->admin_pending[i];
	if (!pending) {
		hn_daemon_reply_error(daemon, ticket, "busy: too many commands in progress");
		return;
	}
	*pending = (struct hn_admin_pending){true, ++daemon->next_admin_id, ticket,
					     hn_loop_now_ms() + HN_ADMIN_TIMEOUT_MS};
	/* The answer may come within this call (through admin_reply). */
	hn_host_admin(daemon->host, pending->request_id, command, key, value, hn_loop_now_ms());
}

static void hn_daemon_log_lines(struct hn_daemon *daemon, struct hn_control_ticket ticket,
				const char *count_text)
{
	static char json_buffer[HN_CLUSTERLOG_KEPT * (HN_CLUSTERLOG_LINE_MAX + 4) + 64];
	const char *lines[HN_CLUSTERLOG_KEPT];
	char *end = NULL;
	unsigned long count = count_text ? strtoul(count_text, &end, 10) : 20;
	if (count_text && (*end || count == 0)) {
		hn_daemon_reply_error(daemon, ticket, "log: N must be a positive integer");
		return;
	}
	size_t found = hn_clusterlog_recent(&daemon->log, count, lines);
	struct hn_text json = {json_buffer, sizeof(json_buffer), 0};
	hn_text_add(&json, "{\"ok\":true,\"lines\":[");
	for (size_t i = 0; i < found; i++)
		hn_text_add(&json, "%s%s", i ? "," : "", lines[i]);
	hn_text_add(&json, "]}");
	hn_control_reply(&daemon->control, ticket, json_buffer);
}

static void hn_daemon_setting_get(struct hn_daemon *daemon, struct hn_control_ticket ticket,
				  const char *key)
{
	char json[3 * HN_VALUE_MAX], escaped[2 * HN_VALUE_MAX];
	char stored_key[HN_KEY_MAX + 16];
	/* fsm_admin.c stores a setting as the replicated key "setting/<key>". */
	snprintf(stored_key, sizeof(stored_key), "setting/%s", key);
	const struct hn_entry *entry = daemon->paired && strlen(stored_key) < HN_KEY_MAX
					   ? hn_node_get(hn_host_node(daemon->host), stored_key)
					   : NULL;
	if (!entry) {
		hn_daemon_reply_error(daemon, ticket, "setting not set");
		return;
	}
	hn_json_escape(entry->value, escaped, sizeof(escaped));
	snprintf(json, sizeof(json), "{\"ok\":true,\"value\":\"%s\"}", escaped);
	hn_control_reply(&daemon->control, ticket, json);
}

struct hn_admin_word {
	const char *request;
	enum hn_admin_command command;
};

static const struct hn_admin_word hn_admin_words[] = {
    {"maintenance on", HN_ADMIN_MAINTENANCE_ON}, {"maintenance off", HN_ADMIN_MAINTENANCE_OFF},
    {"switchover", HN_ADMIN_SWITCHOVER},	 {"disconnect", HN_ADMIN_DISCONNECT},
    {"reconnect", HN_ADMIN_RECONNECT},		 {"disband", HN_ADMIN_DISBAND},
    {"force-start", HN_ADMIN_FORCE_START},
};

void hn_daemon_on_control(void *arg, struct hn_control *control, struct hn_control_ticket ticket,
			  char *line)
{
	struct hn_daemon *daemon = arg;
	char key[HN_KEY_MAX + 1] = "", value[HN_VALUE_MAX + 1] = "";
	int consumed = 0;
	(void)control;
	for (size_t i = 0; i < sizeof(hn_admin_words) / sizeof(hn_admin_words[0]); i++) {
		if (strcmp(line, hn_admin_words[i].request) == 0) {
			hn_daemon_admin(daemon, ticket, hn_admin_words[i].command, "", "");
			return;
		}
	}
	if (strcmp(line, "status") == 0 || strcmp(line, "status --json") == 0) {
		hn_daemon_status(daemon, ticket);
	} else if (strcmp(line, "log") == 0 || strncmp(line, "log ", 4) == 0) {
		hn_daemon_log_lines(daemon, ticket, line[3] ? line + 4 : NULL);
	} else if (sscanf(line, "setting get %64s%n", key, &consumed) == 1 && !line[consumed]) {
		hn_daemon_setting_get(daemon, ticket, key);
	} else if (sscanf(line, "setting set %64s %n", key, &consumed) == 1 && consumed &&
		   line[consumed]) {
		snprintf(value, sizeof(value), "%s", line + consumed);
		if (strlen(key) >= HN_KEY_MAX || strlen(line + consumed) >= HN_VALUE_MAX)
			hn_daemon_reply_error(daemon, ticket, "setting: key or value too long");
		else
			hn_daemon_admin(daemon, ticket, HN_ADMIN_SETTING_SET, key, value);
	} else if (strcmp(line, "pairing-secret") == 0) {
		hn_daemon_pairing_secret(daemon, ticket);
	} else if (strcmp(line, "join-request") == 0) {
		hn_daemon_join_request(daemon, ticket);
	} else if (strncmp(line, "join-data ", 10) == 0) {
		hn_daemon_join_data(daemon, ticket, line + 10);
	} else {
		hn_daemon_reply_error(daemon, ticket, "unknown request");
	}
}

/* ------------------------------------------------- answers of the host */

void hn_daemon_admin_reply(struct hn_daemon *daemon, uint64_t request_id, bool ok, const char *text)
{
	char escaped[2 * (HN_REASON_MAX + 48)], json[sizeof(escaped) + 32];
	for (size_t i = 0; i < HN_ADMIN_PENDING_MAX; i++) {
		struct hn_admin_pending *pending = &daemon->admin_pending[i];
		if (!pending->used || pending->request_id != request_id)
			continue;
		hn_json_escape(text, escaped, sizeof(escaped));
		snprintf(json, sizeof(json), "{\"ok\":%s,\"%s\":\"%s\"}", ok ? "true" : "false",
			 ok ? "message" : "error", escaped);
		hn_control_reply(&daemon->control, pending->ticket, json);
		pending->used = false;
	}
}

void hn_daemon_admin_expire(struct hn_daemon *daemon, uint64_t now_ms)
{
	for (size_t i = 0; i < HN_ADMIN_PENDING_MAX; i++) {
		struct hn_admin_pending *pending = &daemon->admin_pending[i];
		if (!pending->used || pending->deadline_ms > now_ms)
			continue;
		hn_control_reply(
		    &daemon->control, pending->ticket,
		    "{\"ok\":false,\"error\":\"no answer from the node's core in time\"}");
		pending->used = false;
	}
}
