/*
 * requests.c - what the host answers (host.h): the store's clients (PUT
 * through the core, GET locally), the operator's admin commands (through
 * the core) and the status.
 *
 * A PUT is answered in the step that fed it when the core can (refused,
 * or acknowledged alone), otherwise later, when the standby has it durably
 * (platform->client_reply). Keys under "setting/" are the cluster-wide
 * settings: only the operator's channel writes and reads them (hactl
 * setting set/get, which the core refuses on the standby as locked), never
 * the data port (issue 11: an unauthenticated PUT overwrote an operator's
 * setting). The store's keys are shared: at most HN_HOST_CLIENT_KEYS_MAX
 * client keys and HN_HOST_SETTINGS_MAX settings (keys.c counts them), so a
 * client that fills the store never blocks the operator (issue 11).
 *
 * An admin command's answer may need work of the host's own: the
 * operator's maintenance mark is made durable when the core accepted
 * "maintenance on"/"off", and a stored setting's answer names its seq. A
 * small ring remembers those commands until their answer comes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "host_state.h"

/* --------------------------------------------------------------- clients */

/* The store's key and value rules (docs/DEVELOPING.md): NULL if fine. */
static const char *host_put_refusal(const char *key, const char *value)
{
	size_t key_length = strnlen(key, HN_KEY_MAX);
	size_t value_length = strnlen(value, HN_VALUE_MAX);
	if (key_length == 0 || key_length >= HN_KEY_MAX)
		return "bad key (1..63 of [A-Za-z0-9_./-])";
	for (size_t i = 0; i < key_length; i++)
		if (!isalnum((unsigned char)key[i]) && !strchr("_./-", key[i]))
			return "bad key (1..63 of [A-Za-z0-9_./-])";
	if (hn_host_key_is_setting(key))
		return "setting/ keys are the operator's: use hactl setting set";
	if (value_length == 0 || value_length >= HN_VALUE_MAX)
		return "bad value (1..255 printable bytes)";
	for (size_t i = 0; i < value_length; i++)
		if (!isprint((unsigned char)value[i]))
			return "bad value (1..255 printable bytes)";
	return NULL;
}

static bool host_serves(const struct hn_host *host)
{
	return host->started && !host->stopped && hn_node_serves_clients(host->node);
}

int hn_host_client_put(struct hn_host *host, uint64_t request_id, const char *key,
		       const char *value, uint64_t now_ms, char *answer, size_t answer_size)
{
	if (!host_serves(host)) {
		snprintf(answer, answer_size, "ERR standby");
		return 0;
	}
	const char *refusal = host_put_refusal(key, value);
	if (refusal) {
		snprintf(answer, answer_size, "ERR %s", refusal);
		return 0;
	}
	if (!hn_host_keys_has(&host->keys, key) &&
	    host->keys.count - host->keys.settings >= HN_HOST_CLIENT_KEYS_MAX) {
		snprintf(answer, answer_size,
			 "ERR store full: it holds %d keys; a new key is refused, "
			 "existing keys can be written",
			 HN_HOST_CLIENT_KEYS_MAX);
		return 0;
	}
	struct hn_event *event = &host->event;
	memset(event, 0, sizeof(*event));
	event->kind = HN_EVENT_CLIENT_WRITE;
	event->u.write.request_id = request_id;
	snprintf(event->u.write.key, sizeof(event->u.write.key), "%s", key);
	snprintf(event->u.write.value, sizeof(event->u.write.value), "%s", value);
	host->put_current = true;
	host->put_current_id = request_id;
	host->put_answered = false;
	host->put_failure[0] = '\0';
	hn_host_drain(host, now_ms);
	hn_host_step_once(host, event, now_ms);
	/* Its store write failed: answered now, while this node still holds
	 * the cluster IP the client came through; the failure goes to the core
	 * at the next entry point, before anything else (hn_host_drain). */
	if (host->put_failure[0] && !host->put_answered) {
		snprintf(host->put_answer, sizeof(host->put_answer), "ERR storage failed: %.120s",
			 host->put_failure);
		host->put_answered = true;
		host->put_early_id = request_id;
	}
	if (!host->put_failure[0])
		hn_host_drain(host, now_ms);
	host->put_current = false;
	if (!host->put_answered)
		return 1;
	snprintf(answer, answer_size, "%s", host->put_answer);
	return 0;
}

/* HN_ACTION_CLIENT_REPLY: the answer line, now or to a PUT waiting. */
void hn_host_client_answer(struct hn_host *host, const struct hn_action *action)
{
	char answer[HN_REASON_MAX + 16];
	const char *text = action->u.reply.text;
	if (action->u.reply.ok)
		snprintf(answer, sizeof(answer), text[0] ? "OK %s" : "OK", text);
	else if (strcmp(text, "store full") == 0)
		/* Say what full means to whoever holds the client (issue 11); the
		 * host's own bound normally refuses first. */
		snprintf(answer, sizeof(answer),
			 "ERR store full: it holds %d keys; a new key is refused, existing keys "
			 "can be written",
			 HN_HOST_CLIENT_KEYS_MAX);
	else
		snprintf(answer, sizeof(answer), "ERR %s", text[0] ? text : "write failed");
	if (host->put_early_id != 0 && action->u.reply.request_id == host->put_early_id) {
		host->put_early_id = 0; /* answered already (hn_host_client_put) */
		return;
	}
	if (host->put_current && action->u.reply.request_id == host->put_current_id) {
		/* Answered within the step that fed it: the caller gets it back,
		 * a failure with the store write that failed in it (the core
		 * releases such a write as "standby"). */
		if (!action->u.reply.ok && host->put_failure[0])
			snprintf(answer, sizeof(answer), "ERR storage failed: %.120s",
				 host->put_failure);
		memcpy(host->put_answer, answer, sizeof(answer));
		host->put_answered = true;
		return;
	}
	host->platform.client_reply(host->platform.context, action->u.reply.request_id, answer);
}

void hn_host_client_get(const struct hn_host *host, const char *key, char *answer,
			size_t answer_size)
{
	if (!host_serves(host)) {
		snprintf(answer, answer_size, "ERR standby");
		return;
	}
	if (hn_host_key_is_setting(key)) {
		snprintf(answer, answer_size,
			 "ERR setting/ keys are the operator's: use hactl setting get");
		return;
	}
	const struct hn_entry *entry = hn_node_get(host->node, key);
	if (entry)
		snprintf(answer, answer_size, "VALUE %s", entry->value);
	else
		snprintf(answer, answer_size, "NOTFOUND");
}

/* ------------------------------------------------------------------ admin */

static bool host_admin_remembered(enum hn_admin_command command)
{
	return command == HN_ADMIN_MAINTENANCE_ON || command == HN_ADMIN_MAINTENANCE_OFF ||
	       command == HN_ADMIN_SETTING_SET;
}

/* A free slot; when every slot is taken (the core answers every command,
 * so only answers that never came fill it), one of them gives way. */
static void host_admin_remember(struct hn_host *host, uint64_t request_id,
				enum hn_admin_command command)
{
	struct hn_host_admin_pending *slot = &host->admin[request_id % HN_HOST_ADMIN_PENDING_MAX];
	for (size_t i = 0; i < HN_HOST_ADMIN_PENDING_MAX; i++)
		if (!host->admin[i].used) {
			slot = &host->admin[i];
			break;
		}
	*slot = (struct hn_host_admin_pending){true, request_id, command};
}

static void host_admin_refuse(struct hn_host *host, uint64_t request_id, const char *text)
{
	host->platform.admin_reply(host->platform.context, request_id, false, text);
}

#define HN_HOST_SETTINGS_MAX_TEXT "64"
_Static_assert(HN_HOST_SETTINGS_MAX == 64, "HN_HOST_SETTINGS_MAX_TEXT says 64");

/* A new setting when HN_HOST_SETTINGS_MAX are stored ("setting/<key>"). */
static bool host_setting_full(const struct hn_host *host, const char *key)
{
	char stored[HN_KEY_MAX + 16];
	snprintf(stored, sizeof(stored), "setting/%s", key);
	return host->keys.settings >= HN_HOST_SETTINGS_MAX &&
	       !hn_host_keys_has(&host->keys, stored);
}

void hn_host_admin(struct hn_host *host, uint64_t request_id, enum hn_admin_command command,
		   const char *key, const char *value, uint64_t now_ms)
{
	if (host->stopped) {
		host_admin_refuse(host, request_id, "hanode is stopping");
		return;
	}
	if (!host->started) {
		host_admin_refuse(host, request_id,
				  "not started yet: waiting for the first health verdict");
		return;
	}
	if (command == HN_ADMIN_SETTING_SET &&
	    (strlen(key) >= HN_KEY_MAX || strlen(value) >= HN_VALUE_MAX)) {
		host_admin_refuse(host, request_id, "setting: key or value too long");
		return;
	}
	if (command == HN_ADMIN_SETTING_SET && host_setting_full(host, key)) {
		host_admin_refuse(host, request_id,
				  "setting: " HN_HOST_SETTINGS_MAX_TEXT
				  " settings are stored; a new "
				  "one is refused, existing ones can be changed");
		return;
	}
	if (request_id != 0 && host_admin_remembered(command))
		host_admin_remember(host, request_id, command);
	struct hn_event *event = &host->event;
	memset(event, 0, sizeof(*event));
	event->kind = HN_EVENT_ADMIN;
	event->u.admin.command = command;
	event->u.admin.request_id = request_id;
	snprintf(event->u.admin.key, sizeof(event->u.admin.key), "%s", key ? key : "");
	snprintf(event->u.admin.value, sizeof(event->u.admin.value), "%s", value ? value : "");
	hn_host_step(host, event, now_ms);
}

/* The operator's maintenance survives a restart (a firmware update is
 * one): only an operator clears it (SPEC). */
static void host_maintenance_mark(struct hn_host *host, bool on, uint64_t now_ms)
{
	char error[HN_HOST_ERROR_MAX], reason[HN_REASON_MAX];
	if (host->platform.persist_maintenance(host->platform.context, on, error, sizeof(error)) !=
	    0) {
		snprintf(reason, sizeof(reason), "cannot remember maintenance: %.120s", error);
		hn_host_log(host, now_ms, "health", reason);
		return;
	}
	host->maintenance_remembered = on;
}

/* HN_ACTION_ADMIN_REPLY: the answer to the operator, after the host's part. */
void hn_host_admin_answer(struct hn_host *host, const struct hn_action *action, uint64_t now_ms)
{
	uint64_t request_id = action->u.reply.request_id;
	enum hn_admin_command command = 0;
	char text[HN_REASON_MAX + 48];
	if (request_id == 0)
		return; /* the host's own command */
	for (size_t i = 0; i < HN_HOST_ADMIN_PENDING_MAX; i++) {
		if (host->admin[i].used && host->admin[i].request_id == request_id) {
			command = host->admin[i].command;
			host->admin[i].used = false;
		}
	}
	bool ok = action->u.reply.ok;
	if (ok && (command == HN_ADMIN_MAINTENANCE_ON || command == HN_ADMIN_MAINTENANCE_OFF))
		host_maintenance_mark(host, command == HN_ADMIN_MAINTENANCE_ON, now_ms);
	/* A stored setting's answer text is its seq (store.c). */
	if (ok && command == HN_ADMIN_SETTING_SET)
		snprintf(text, sizeof(text), "setting saved on both nodes (seq %s)",
			 action->u.reply.text);
	else
		snprintf(text, sizeof(text), "%s", action->u.reply.text);
	host->platform.admin_reply(host->platform.context, request_id, ok, text);
}

/* ----------------------------------------------------------------- status */

void hn_host_status(const struct hn_host *host, uint64_t now_ms, struct hn_host_status *status)
{
	memset(status, 0, sizeof(*status));
	hn_node_status(host->node, now_ms, &status->core);
	status->started = host->started;
	status->ip_held = host->ip_held;
	status->peer_heard = host->peer_heard;
	status->peer = host->peer;
	status->raid_ok = host->verdict.health.raid_ok;
	snprintf(status->raid_reason, sizeof(status->raid_reason), "%s", host->verdict.raid_reason);
	status->services_ok = host->verdict.health.services_ok;
	snprintf(status->services_reason, sizeof(status->services_reason), "%s",
		 host->verdict.services_reason);
	status->ping_reachable = host->verdict.health.ping_reachable;
	status->ping_total = host->verdict.health.ping_total;
	status->cluster_ip_answered = host->verdict.health.cluster_ip_answered;
	for (int link = 0; link < HN_LINKS; link++) {
		status->packets_sent[link] = host->packets_sent[link];
		status->packets_received[link] = host->packets_received[link];
		status->send_errors_by_link[link] = host->send_errors[link];
		status->send_errors += host->send_errors[link];
	}
	status->counters = host->counters;
	status->packet_seq_next = host->packet_seq_next;
	status->oversize = host->oversize;
	status->health_rounds = host->health_rounds;
	status->packet_seq_limit = host->packet_seq_limit;
	status->checks_failing = host->verdict.checks_failing;
	memcpy(status->check_reasons, host->verdict.check_reasons, sizeof(status->check_reasons));
	status->setting_keys = host->keys.settings;
	status->client_keys = host->keys.count - host->keys.settings;
	memcpy(status->actions_failed, host->actions_failed, sizeof(status->actions_failed));
}
