/*
 * status.c - the status answer of the reference node (see status.h): one
 * JSON object with the node, its links, the peer (from its last
 * heartbeat), the packet counters and the last transitions, plus a "text"
 * member with the lines `hactl status` prints.
 *
 * Pure: it renders what the caller gathered (struct hn_host_status and the
 * node's identity and interfaces), so hanode's control socket and hasim's
 * virtual backend (final.json) give the same answer for the same node. The
 * one-line answer to an admin command or a refused request is rendered
 * here too (hn_control_answer_render), for the same reason.
 */
#include "status.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

/* ------------------------------------------------------- status answer */

static const char *hn_display_state(enum hn_role role, enum hn_state state)
{
	return state == HN_STATE_NORMAL ? hn_role_name(role) : hn_state_name(state);
}

static const char *hn_bool_json(bool value)
{
	return value ? "true" : "false";
}

static const char *hn_sync_text(bool seen, bool outdated, bool resyncing)
{
	if (!seen)
		return "unknown";
	return outdated ? "outdated" : resyncing ? "resyncing" : "in sync";
}

static void hn_status_health_json(struct hn_text *json, const struct hn_health *health)
{
	hn_text_add(json,
		    "{\"raid_ok\":%s,\"services_ok\":%s,\"ping_reachable\":%u,\"ping_total\":%u,"
		    "\"cluster_ip_answered\":%s}",
		    hn_bool_json(health->raid_ok), hn_bool_json(health->services_ok),
		    health->ping_reachable, health->ping_total,
		    hn_bool_json(health->cluster_ip_answered));
}

static void hn_status_node_json(struct hn_text *json, const struct hn_identity *identity,
				enum hn_role role, enum hn_state state, const char *data,
				const struct hn_generation *generation)
{
	char name[2 * HN_NAME_MAX];
	hn_json_escape(identity->name, name, sizeof(name));
	hn_text_add(json,
		    "\"id\":%u,\"name\":\"%s\",\"role\":\"%s\",\"letter\":\"%s\",\"state\":\"%s\","
		    "\"display\":\"%s\",\"model\":\"%s\",\"firmware\":\"%u.%u.%u\",\"data\":\"%s\","
		    "\"generation\":{\"id\":%llu,\"parent\":%llu,\"fork_seq\":%llu},",
		    identity->node_id, name, hn_role_name(role), role == HN_ROLE_ACTIVE ? "M" : "S",
		    hn_state_name(state), hn_display_state(role, state),
		    hn_model_name(identity->model), identity->firmware.major,
		    identity->firmware.minor, identity->firmware.patch, data,
		    (unsigned long long)generation->id, (unsigned long long)generation->parent,
		    (unsigned long long)generation->fork_seq);
}

/* The notify-only checks (enum hn_notify_check), by name; the host's first
 * (their reasons in hn_host_status.check_reasons, in this order). */
static const struct {
	uint32_t check;
	const char *name;
} hn_status_checks[] = {
    {HN_CHECK_DISK_USAGE, "disk_usage"},
    {HN_CHECK_TIME_OFFSET, "time_offset"},
    {HN_CHECK_SERVICE_HEALTH, "service_health"},
    {HN_CHECK_SYNC_LAG, "sync_lag"},
};
_Static_assert(HN_HOST_NOTIFY_CHECKS == 3, "hn_status_checks lists the host's checks first");

/* The reasons of the failing notify-only checks joined by "; " into text. */
static void hn_status_checks_text(const struct hn_host_status *host, char *text, size_t text_size)
{
	struct hn_text joined = {text, text_size, 0};
	text[0] = '\0';
	for (int i = 0; i < HN_HOST_NOTIFY_CHECKS; i++)
		if (host->checks_failing & hn_status_checks[i].check)
			hn_text_add(&joined, "%s%s", joined.used ? "; " : "",
				    host->check_reasons[i]);
	if ((host->core.notify_failing & HN_CHECK_SYNC_LAG) != 0)
		hn_text_add(&joined, "%sdata-sync lag", joined.used ? "; " : "");
}

/* "checks":{"failing":[...],"summary":"..."} (not "text": hactl reads the top-level
 * one),"keys":{...},"actions_failed":{...}, */
static void hn_status_checks_json(const struct hn_control_status_view *view, struct hn_text *json)
{
	const struct hn_host_status *host = view->host;
	char joined[HN_HOST_NOTIFY_CHECKS * HN_REASON_MAX], text[2 * sizeof(joined)];
	uint32_t failing = host->core.notify_failing | host->checks_failing;
	hn_status_checks_text(host, joined, sizeof(joined));
	hn_json_escape(joined, text, sizeof(text));
	hn_text_add(json, "\"checks\":{\"failing\":[");
	for (size_t i = 0, listed = 0; i < sizeof(hn_status_checks) / sizeof(hn_status_checks[0]);
	     i++)
		if (failing & hn_status_checks[i].check)
			hn_text_add(json, "%s\"%s\"", listed++ ? "," : "",
				    hn_status_checks[i].name);
	hn_text_add(json,
		    "],\"summary\":\"%s\"},\"keys\":{\"client\":%u,\"settings\":%u},"
		    "\"actions_failed\":{\"storage\":%llu,\"cluster_ip\":%llu,\"services\":%llu},"
		    "\"syslog\":{\"forwarding\":%s,\"sent\":%llu,\"dropped\":%llu},",
		    text, host->client_keys, host->setting_keys,
		    (unsigned long long)host->actions_failed[HN_FAILURE_STORAGE],
		    (unsigned long long)host->actions_failed[HN_FAILURE_CLUSTER_IP],
		    (unsigned long long)host->actions_failed[HN_FAILURE_SERVICES],
		    hn_bool_json(view->syslog_forwarding), (unsigned long long)view->syslog_sent,
		    (unsigned long long)view->syslog_dropped);
}

static void hn_status_local_json(const struct hn_control_status_view *view, struct hn_text *json)
{
	const struct hn_status *status = &view->host->core;
	char raid_reason[2 * HN_REASON_MAX], services_reason[2 * HN_REASON_MAX];
	hn_json_escape(view->host->raid_reason, raid_reason, sizeof(raid_reason));
	hn_json_escape(view->host->services_reason, services_reason, sizeof(services_reason));
	hn_text_add(json, "\"node\":{");
	hn_status_node_json(json, view->self, status->role, status->state,
			    hn_sync_text(true, status->outdated, status->resyncing),
			    &status->generation);
	hn_text_add(json,
		    "\"paired\":%s,\"outdated\":%s,\"peer_outdated\":%s,\"in_sync\":%s,"
		    "\"resyncing\":%s,\"last_seq\":%llu,\"lost_writes_total\":%llu,\"ip_held\":%s,"
		    "\"raid_reason\":\"%s\",\"services_reason\":\"%s\",\"health\":",
		    hn_bool_json(view->paired), hn_bool_json(status->outdated),
		    hn_bool_json(status->peer_outdated), hn_bool_json(status->in_sync),
		    hn_bool_json(status->resyncing), (unsigned long long)status->last_seq,
		    (unsigned long long)status->lost_writes_total,
		    hn_bool_json(view->host->ip_held), raid_reason, services_reason);
	hn_status_health_json(json, &status->health);
	hn_text_add(json, ",");
	hn_status_checks_json(view, json);
	hn_text_add(json, "\"storage_failed\":%s},\"links\":[",
		    hn_bool_json(status->storage_failed));
	for (int link = 0; link < HN_LINKS; link++)
		hn_text_add(
		    json, "%s{\"name\":\"%s\",\"interface\":\"%s\",\"carrier\":%s,\"alive\":%s}",
		    link ? "," : "", link == HN_LINK_SYNC ? "sync" : "external",
		    view->link_configs[link].interface, hn_bool_json(status->link_carrier[link]),
		    hn_bool_json(status->link_alive[link]));
	hn_text_add(json, "],");
}

static void hn_status_peer_json(const struct hn_control_status_view *view, struct hn_text *json)
{
	const struct hn_host_status *host = view->host;
	const struct hn_status *status = &host->core;
	char refusal[2 * HN_REASON_MAX];
	hn_json_escape(status->refusal, refusal, sizeof(refusal));
	hn_text_add(json, "\"peer\":{\"seen\":%s,", hn_bool_json(status->peer_seen));
	if (host->peer_heard) {
		const struct hn_heartbeat *heartbeat = &host->peer;
		hn_status_node_json(
		    json, &heartbeat->sender, status->peer_role, status->peer_state,
		    hn_sync_text(status->peer_seen, status->peer_outdated, status->resyncing),
		    &heartbeat->generation);
		hn_text_add(json, "\"health\":");
		hn_status_health_json(json, &heartbeat->health);
		/* what the peer says of itself in its newest heartbeat */
		hn_text_add(json, ",\"outdated\":%s,\"no_storage\":%s,",
			    hn_bool_json(heartbeat->flags & HN_HB_OUTDATED),
			    hn_bool_json(heartbeat->flags & HN_HB_NO_STORAGE));
	}
	const struct hn_proto_counters *counters = &host->counters;
	hn_text_add(json,
		    "\"refusal\":\"%s\"},\"counters\":{\"accepted\":%llu,\"bad_length\":%llu,"
		    "\"bad_mac\":%llu,\"replayed\":%llu,\"malformed\":%llu,\"oversize\":%llu",
		    refusal, (unsigned long long)counters->accepted,
		    (unsigned long long)counters->bad_length, (unsigned long long)counters->bad_mac,
		    (unsigned long long)counters->replayed, (unsigned long long)counters->malformed,
		    (unsigned long long)host->oversize);
	for (int link = 0; link < HN_LINKS; link++) {
		const char *name = link == HN_LINK_SYNC ? "sync" : "external";
		hn_text_add(json, ",\"%s_sent\":%llu,\"%s_send_errors\":%llu,\"%s_received\":%llu",
			    name, (unsigned long long)host->packets_sent[link], name,
			    (unsigned long long)host->send_errors_by_link[link], name,
			    (unsigned long long)host->packets_received[link]);
	}
	hn_text_add(json, "},\"transitions\":[");
	for (uint32_t i = 0; i < status->transition_count && i < HN_TRANSITIONS_KEPT; i++) {
		const struct hn_transition_record *record = &status->transitions[i];
		char reason[2 * HN_REASON_MAX];
		hn_json_escape(record->reason, reason, sizeof(reason));
		hn_text_add(json,
			    "%s{\"at_ms\":%llu,\"from\":\"%s\",\"to\":\"%s\",\"reason\":\"%s\"}",
			    i ? "," : "", (unsigned long long)record->at_ms, record->from,
			    record->to, reason);
	}
	hn_text_add(json, "]");
}

static void hn_status_health_text(struct hn_text *text, const struct hn_health *health)
{
	hn_text_add(text, "raid %s, ping %u/%u, services %s", health->raid_ok ? "ok" : "FAILED",
		    health->ping_reachable, health->ping_total,
		    health->services_ok ? "ok" : "FAILED");
}

static void hn_status_links_text(struct hn_text *text, const struct hn_status *status)
{
	for (int link = 0; link < HN_LINKS; link++)
		hn_text_add(text, "%s %s%s%s", link ? "," : "links",
			    link == HN_LINK_SYNC ? "sync" : "external",
			    status->link_alive[link] ? " up" : " down",
			    status->link_carrier[link] ? "" : " (no carrier)");
}

/* One line per node, then refusal, transitions and packet counters. */
static void hn_status_text(const struct hn_control_status_view *view, struct hn_text *text)
{
	const struct hn_status *status = &view->host->core;
	const struct hn_identity *self = view->self;
	if (!view->paired) {
		hn_text_add(text,
			    "%s  -  unpaired: no cluster key (run hactl create or hactl join)\n",
			    self->name);
		return;
	}
	hn_text_add(text, "%-12s %s  %-12s ", self->name,
		    status->role == HN_ROLE_ACTIVE ? "M" : "S",
		    hn_display_state(status->role, status->state));
	hn_status_links_text(text, status);
	hn_text_add(text, "  data %s  ", hn_sync_text(true, status->outdated, status->resyncing));
	hn_status_health_text(text, &status->health);
	hn_text_add(text, "  generation %llu  (this node)\n",
		    (unsigned long long)status->generation.id);
	if (view->host->peer_heard) {
		const struct hn_heartbeat *peer = &view->host->peer;
		hn_text_add(text, "%-12s %s  %-12s ", peer->sender.name,
			    status->peer_role == HN_ROLE_ACTIVE ? "M" : "S",
			    status->peer_seen
				? hn_display_state(status->peer_role, status->peer_state)
				: "gone");
		hn_status_links_text(text, status);
		hn_text_add(
		    text, "  data %s  ",
		    hn_sync_text(status->peer_seen, status->peer_outdated, status->resyncing));
		hn_status_health_text(text, &peer->health);
		hn_text_add(text, "  generation %llu\n", (unsigned long long)peer->generation.id);
	} else {
		hn_text_add(text, "%-12s ?  never heard\n", "peer");
	}
	if (status->refusal[0])
		hn_text_add(text, "peer refused: %s\n", status->refusal);
	if (status->notify_failing | view->host->checks_failing) {
		char joined[HN_HOST_NOTIFY_CHECKS * HN_REASON_MAX];
		hn_status_checks_text(view->host, joined, sizeof(joined));
		hn_text_add(text, "notify checks failing: %s\n", joined);
	}
	hn_text_add(text, "last transitions:\n");
	for (uint32_t i = 0; i < status->transition_count && i < HN_TRANSITIONS_KEPT; i++)
		hn_text_add(text, "  %10llu ms  %s -> %s: %s\n",
			    (unsigned long long)status->transitions[i].at_ms,
			    status->transitions[i].from, status->transitions[i].to,
			    status->transitions[i].reason);
	const struct hn_proto_counters *counters = &view->host->counters;
	hn_text_add(text,
		    "packets: accepted %llu, bad mac %llu, replayed %llu, bad length %llu, "
		    "malformed %llu\n",
		    (unsigned long long)counters->accepted, (unsigned long long)counters->bad_mac,
		    (unsigned long long)counters->replayed,
		    (unsigned long long)counters->bad_length,
		    (unsigned long long)counters->malformed);
}

int hn_control_status_render(const struct hn_control_status_view *view_in, char *json_buffer,
			     size_t json_size)
{
	static char text_buffer[4096], escaped[2 * sizeof(text_buffer)];
	static const struct hn_host_status unpaired; /* all zero: nothing known yet */
	struct hn_control_status_view view_copy = *view_in;
	const struct hn_control_status_view *view = &view_copy;
	struct hn_text json = {json_buffer, json_size, 0};
	struct hn_text text = {text_buffer, sizeof(text_buffer), 0};
	if (!view_copy.host)
		view_copy.host = &unpaired;
	text_buffer[0] = '\0';
	hn_status_text(view, &text);
	hn_json_escape(text_buffer, escaped, sizeof(escaped));
	hn_text_add(&json, "{\"ok\":true,\"mono_ms\":%llu,", (unsigned long long)view->now_ms);
	hn_status_local_json(view, &json);
	hn_status_peer_json(view, &json);
	hn_text_add(&json, ",\"text\":\"%s\"}", escaped);
	/* A cut answer would not be JSON: say so instead of sending half. */
	return json.used + 1 < json_size ? 0 : -1;
}

int hn_control_answer_render(bool ok, const char *text, char *json, size_t json_size)
{
	char escaped[2 * (HN_REASON_MAX + 64)];
	hn_json_escape(text, escaped, sizeof(escaped));
	int written = snprintf(json, json_size, "{\"ok\":%s,\"%s\":\"%s\"}", ok ? "true" : "false",
			       ok ? "message" : "error", escaped);
	return written < 0 || (size_t)written >= json_size ? -1 : 0;
}
