/*
 * golden_format.c - the output lines of a golden trace: one line per shown
 * action of a step, "  @<ms> <node> -> <what>", and status lines.
 *
 *   log <event> <from>-><to> "reason" [lost=N]   a transition record
 *   log <event> "reason" [lost=N]                any other cluster-log record
 *   notify <kind> "text"
 *   ip add | ip remove | services start | services stop | fence
 *   persist <key>=<value> seq=N | store reset
 *   reply client <id> ok "text" | error "text"   (errors always, ok with show replies)
 *   reply admin <id> ok "text" | refused "text"
 *   heartbeat <link> <role>/<state> gen=.. seq=.. flags=..   (show heartbeat)
 *   data <link> <kind> seq=.. ...                           (show data)
 */
#include "golden.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *golden_link_name(enum hn_link link)
{
	return link == HN_LINK_SYNC ? "sync" : "external";
}

static const char *golden_notify_name(enum hn_notify_kind kind)
{
	static const char *const names[] = {
	    [HN_NOTIFY_FAILOVER] = "failover",
	    [HN_NOTIFY_FAULT] = "fault",
	    [HN_NOTIFY_SPLIT_BRAIN] = "split_brain",
	    [HN_NOTIFY_SYNC_LOST] = "sync_lost",
	    [HN_NOTIFY_SYNC_RESTORED] = "sync_restored",
	    [HN_NOTIFY_JOIN_REFUSED] = "join_refused",
	    [HN_NOTIFY_HEALTH] = "health",
	};
	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]) || names[kind] == NULL)
		return "unknown";
	return names[kind];
}

static const char *golden_data_name(enum hn_data_kind kind)
{
	switch (kind) {
	case HN_DATA_REPLICATE:
		return "replicate";
	case HN_DATA_ACK:
		return "ack";
	case HN_DATA_SYNC_REQUEST:
		return "sync-request";
	case HN_DATA_SYNC_BATCH:
		return "sync-batch";
	}
	return "unknown";
}

static void golden_format_log(char *line, size_t size, const struct hn_log_record *log)
{
	int used;
	if (strcmp(log->event, "transition") == 0 || strcmp(log->from, log->to) != 0)
		used = snprintf(line, size, "log %s %s->%s \"%s\"", log->event, log->from, log->to,
				log->reason);
	else
		used = snprintf(line, size, "log %s \"%s\"", log->event, log->reason);
	if (log->lost_writes > 0 && used >= 0 && (size_t)used < size)
		snprintf(line + used, size - (size_t)used, " lost=%" PRIu64, log->lost_writes);
}

static void golden_format_heartbeat(char *line, size_t size, const struct hn_action *action)
{
	const struct hn_heartbeat *heartbeat = &action->u.heartbeat;
	char flags[160];
	int used =
	    snprintf(line, size, "heartbeat %s %s/%s gen=0x%" PRIx64 " seq=%" PRIu64 " flags=%s",
		     golden_link_name(action->link), hn_role_name(heartbeat->role),
		     hn_state_name(heartbeat->state), heartbeat->generation.id, heartbeat->last_seq,
		     golden_flags_text(heartbeat->flags, flags, sizeof(flags)));
	if (used > 0 && (size_t)used < size &&
	    (heartbeat->nonce != 0 || heartbeat->echo_nonce != 0))
		snprintf(line + used, size - (size_t)used, " nonce=%" PRIu64 " echo=%" PRIu64,
			 heartbeat->nonce, heartbeat->echo_nonce);
}

static void golden_format_data(char *line, size_t size, const struct hn_action *action)
{
	const struct hn_data_message *data = &action->u.data;
	int used = snprintf(line, size, "data %s %s gen=0x%" PRIx64 " seq=%" PRIu64,
			    golden_link_name(action->link), golden_data_name(data->kind),
			    data->generation.id, data->seq);
	if (used < 0 || (size_t)used >= size)
		return;
	if (data->kind == HN_DATA_REPLICATE && data->entry_count == 1)
		snprintf(line + used, size - (size_t)used, " base=%" PRIu64 " %s=%s",
			 data->base_seq, data->entries[0].key, data->entries[0].value);
	else if (data->kind == HN_DATA_SYNC_BATCH)
		snprintf(line + used, size - (size_t)used, " upto=%" PRIu64 " entries=%u%s",
			 data->upto_seq, data->entry_count, data->complete ? " complete" : "");
}

static void golden_format_reply(char *line, size_t size, const struct hn_action *action)
{
	bool admin = action->kind == HN_ACTION_ADMIN_REPLY;
	snprintf(line, size, "reply %s %" PRIu64 " %s \"%s\"", admin ? "admin" : "client",
		 action->u.reply.request_id,
		 action->u.reply.ok ? "ok"
		 : admin	    ? "refused"
				    : "error",
		 action->u.reply.text);
}

/* The text of one action, or "" if the show set hides it. */
static void golden_format_action(char *line, size_t size, const struct hn_action *action,
				 uint32_t show)
{
	static const struct {
		enum hn_action_kind kind;
		uint32_t show;
		const char *text;
	} fixed[] = {
	    {HN_ACTION_IP_ADD, GOLDEN_SHOW_RESOURCES, "ip add"},
	    {HN_ACTION_IP_REMOVE, GOLDEN_SHOW_RESOURCES, "ip remove"},
	    {HN_ACTION_SERVICES_START, GOLDEN_SHOW_RESOURCES, "services start"},
	    {HN_ACTION_SERVICES_STOP, GOLDEN_SHOW_RESOURCES, "services stop"},
	    {HN_ACTION_FENCE, GOLDEN_SHOW_FENCE, "fence"},
	    {HN_ACTION_STORE_RESET, GOLDEN_SHOW_PERSIST, "store reset"},
	};
	line[0] = '\0';
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (fixed[i].kind == action->kind) {
			if (show & fixed[i].show)
				snprintf(line, size, "%s", fixed[i].text);
			return;
		}
	}
	switch (action->kind) {
	case HN_ACTION_LOG:
		if (show & GOLDEN_SHOW_LOG)
			golden_format_log(line, size, &action->u.log);
		break;
	case HN_ACTION_NOTIFY:
		if (show & GOLDEN_SHOW_NOTIFY)
			snprintf(line, size, "notify %s \"%s\"",
				 golden_notify_name(action->u.notify.kind), action->u.notify.text);
		break;
	case HN_ACTION_PERSIST:
		if (show & GOLDEN_SHOW_PERSIST)
			snprintf(line, size, "persist %s=%s seq=%" PRIu64, action->u.entry.key,
				 action->u.entry.value, action->u.entry.seq);
		break;
	case HN_ACTION_CLIENT_REPLY:
		if ((show & GOLDEN_SHOW_REPLIES) || !action->u.reply.ok)
			golden_format_reply(line, size, action);
		break;
	case HN_ACTION_ADMIN_REPLY:
		if (show & GOLDEN_SHOW_ADMIN)
			golden_format_reply(line, size, action);
		break;
	case HN_ACTION_SEND_HEARTBEAT:
		if (show & GOLDEN_SHOW_HEARTBEAT)
			golden_format_heartbeat(line, size, action);
		break;
	case HN_ACTION_SEND_DATA:
		if (show & GOLDEN_SHOW_DATA)
			golden_format_data(line, size, action);
		break;
	default:
		snprintf(line, size, "action %d", action->kind);
		break;
	}
}

void golden_format_actions(struct golden_text *text, uint64_t now_ms, const char *node,
			   const struct hn_actions *actions, uint32_t show)
{
	char line[GOLDEN_LINE_MAX];
	for (size_t i = 0; i < actions->count; i++) {
		golden_format_action(line, sizeof(line), &actions->items[i], show);
		if (line[0] != '\0')
			golden_text_add(text, "  @%" PRIu64 " %s -> %s", now_ms, node, line);
	}
}

void golden_format_status(struct golden_text *text, uint64_t now_ms, const char *node,
			  const struct hn_status *status)
{
	golden_text_add(text,
			"  @%" PRIu64 " %s -> status %s/%s gen=0x%" PRIx64 " seq=%" PRIu64
			" in_sync=%s outdated=%s peer_outdated=%s peer=%s lost=%" PRIu64 "%s%s%s",
			now_ms, node, hn_role_name(status->role), hn_state_name(status->state),
			status->generation.id, status->last_seq, status->in_sync ? "yes" : "no",
			status->outdated ? "yes" : "no", status->peer_outdated ? "yes" : "no",
			status->peer_seen ? "alive" : "dead", status->lost_writes_total,
			status->refusal[0] ? " refused=\"" : "", status->refusal,
			status->refusal[0] ? "\"" : "");
}
