/*
 * admin.c - the operator's side of hanode: the requests that arrive on the
 * control socket (control.c) from hactl - status, log, the admin commands
 * (maintenance, switchover, disconnect, ...), settings - and the answers.
 * A line is parsed by request.c (the admin commands' names come from the
 * core's one table); an admin command goes to the host (hn_host_admin) and
 * waits, with a deadline, in a small table until the host's admin_reply
 * answers it. create and join are passed on to join.c. The host makes the
 * operator's maintenance mark durable when the core accepted it. Answers
 * are rendered by status.c (hn_control_answer_render), as on hasim's
 * virtual backend.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hanode.h"
#include "request.h"
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
	    .syslog_forwarding = daemon->syslogfwd.opened,
	    .syslog_sent = daemon->syslogfwd.sent,
	    .syslog_dropped = daemon->syslogfwd.dropped,
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
	char json[4 * (HN_REASON_MAX + 64)];
	hn_control_answer_render(false, message, json, sizeof(json));
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
				uint32_t count)
{
	static char json_buffer[HN_CLUSTERLOG_KEPT * (HN_CLUSTERLOG_LINE_MAX + 4) + 64];
	const char *lines[HN_CLUSTERLOG_KEPT];
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
	/* The core (admin.c) stores a setting as the replicated key "setting/<key>". */
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

void hn_daemon_on_control(void *arg, struct hn_control *control, struct hn_control_ticket ticket,
			  char *line)
{
	struct hn_daemon *daemon = arg;
	struct hn_request request;
	char error[HN_REASON_MAX];
	(void)control;
	if (hn_request_parse(line, &request, error, sizeof(error)) != 0) {
		hn_daemon_reply_error(daemon, ticket, error);
		return;
	}
	switch (request.kind) {
	case HN_REQUEST_STATUS:
		hn_daemon_status(daemon, ticket);
		break;
	case HN_REQUEST_LOG:
		hn_daemon_log_lines(daemon, ticket, request.log_count);
		break;
	case HN_REQUEST_ADMIN:
		hn_daemon_admin(daemon, ticket, request.command, request.key, request.value);
		break;
	case HN_REQUEST_SETTING_GET:
		hn_daemon_setting_get(daemon, ticket, request.key);
		break;
	case HN_REQUEST_PAIRING_SECRET:
		hn_daemon_pairing_secret(daemon, ticket);
		break;
	case HN_REQUEST_JOIN_REQUEST:
		hn_daemon_join_request(daemon, ticket);
		break;
	case HN_REQUEST_JOIN_DATA:
		hn_daemon_join_data(daemon, ticket, request.words);
		break;
	}
}

/* ------------------------------------------------- answers of the host */

void hn_daemon_admin_reply(struct hn_daemon *daemon, uint64_t request_id, bool ok, const char *text)
{
	char json[4 * (HN_REASON_MAX + 64)];
	for (size_t i = 0; i < HN_ADMIN_PENDING_MAX; i++) {
		struct hn_admin_pending *pending = &daemon->admin_pending[i];
		if (!pending->used || pending->request_id != request_id)
			continue;
		hn_control_answer_render(ok, text, json, sizeof(json));
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
