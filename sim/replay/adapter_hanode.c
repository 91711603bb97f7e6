/*
 * adapter_hanode.c - the hanode node adapter of hasim replay: hanode's
 * cluster-log lines (docs/DEVELOPING.md, "The cluster log") into records,
 * and what each record's reason means.
 *
 * hanode writes one JSON object per line with mono_ms, wall_ms, node,
 * event, from, to, role, reason and lost_writes. The reason is prose for
 * people ("peer silent on sync and external links for 1000 ms"), so the
 * classifier matches the sentence shapes hanode's core writes (refimpl/core,
 * the transition table's reasons) and pulls their numbers and names out. A
 * reason it does not know is HS_CAUSE_UNKNOWN, which replay lists as not
 * explained rather than guessing. Another stack gets its own adapter in a
 * file like this one, registered in hs_replay_adapter_find().
 */
#include "replay.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- reading */

static const char *text_of(const json_t *object, const char *key)
{
	const char *text = json_string_value(json_object_get(object, key));
	return text ? text : "";
}

static bool integer_of(const json_t *object, const char *key, int64_t *value)
{
	const json_t *item = json_object_get(object, key);
	if (json_is_integer(item))
		*value = json_integer_value(item);
	else if (json_is_real(item))
		*value = (int64_t)json_real_value(item);
	else
		return false;
	return true;
}

static void copy(char *out, size_t out_size, const char *text)
{
	snprintf(out, out_size, "%s", text);
}

/* A hanode record: an object with mono_ms, node and event. */
static bool hanode_probe(const char *line, size_t length)
{
	json_error_t error;
	json_t *object = json_loadb(line, length, 0, &error);
	bool found = json_is_object(object) && json_object_get(object, "mono_ms") &&
		     json_is_string(json_object_get(object, "node")) &&
		     json_is_string(json_object_get(object, "event"));
	json_decref(object);
	return found;
}

static int hanode_parse(const char *line, size_t length, struct hs_replay_record *record, char *why,
			size_t why_size)
{
	json_error_t error;
	json_t *object = json_loadb(line, length, 0, &error);
	int status = -1;

	if (!object) {
		snprintf(why, why_size, "not JSON (%s, column %d)", error.text, error.column);
		return -1;
	}
	if (!json_is_object(object) || !integer_of(object, "mono_ms", &record->mono_ms) ||
	    !json_is_string(json_object_get(object, "event"))) {
		snprintf(why, why_size, "not a hanode record (no mono_ms or event)");
		goto cleanup;
	}
	if (!integer_of(object, "wall_ms", &record->wall_ms))
		record->wall_ms = 0;
	copy(record->node, sizeof(record->node), text_of(object, "node"));
	copy(record->event, sizeof(record->event), text_of(object, "event"));
	copy(record->from, sizeof(record->from), text_of(object, "from"));
	copy(record->to, sizeof(record->to), text_of(object, "to"));
	copy(record->reason, sizeof(record->reason), text_of(object, "reason"));
	if (!integer_of(object, "lost_writes", &record->lost_writes))
		record->lost_writes = 0;
	record->transition = strcmp(record->event, "transition") == 0 && record->from[0] &&
			     record->to[0] && strcmp(record->from, record->to) != 0;
	status = 0;
cleanup:
	json_decref(object);
	return status;
}

/* ------------------------------------------------------------- reasons */

/* The word of text after prefix, up to one of the stop characters. */
static bool word_after(const char *text, const char *prefix, const char *stops, char *out,
		       size_t out_size)
{
	const char *start = strstr(text, prefix);
	if (!start)
		return false;
	start += strlen(prefix);
	size_t length = strcspn(start, stops);
	if (length == 0 || length >= out_size)
		return false;
	memcpy(out, start, length);
	out[length] = '\0';
	return true;
}

/* The integer after prefix, or false. */
static bool number_after(const char *text, const char *prefix, int64_t *value)
{
	const char *start = strstr(text, prefix);
	char *end;
	if (!start)
		return false;
	start += strlen(prefix);
	long long parsed = strtoll(start, &end, 10);
	if (end == start)
		return false;
	*value = parsed;
	return true;
}

static bool starts(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Takes over, or changes state, for a reason about the peer. */
static bool classify_transition(struct hs_replay_record *record)
{
	const char *reason = record->reason;

	if (starts(reason, "peer ") && strstr(reason, " seen (")) {
		record->cause = HS_CAUSE_PEER_SEEN;
		word_after(reason, "peer ", " ", record->peer, sizeof(record->peer));
		word_after(reason, " seen (", ")", record->peer_state, sizeof(record->peer_state));
	} else if (starts(reason, "peer silent on")) {
		record->cause = HS_CAUSE_PEER_SILENT;
		number_after(reason, " for ", &record->number);
	} else if (starts(reason, "peer not seen within")) {
		record->cause = HS_CAUSE_ALONE;
		number_after(reason, "within ", &record->number);
	} else if (starts(reason, "peer ") && strstr(reason, " and may not be active")) {
		record->cause = HS_CAUSE_PEER_UNAVAILABLE;
		word_after(reason, "peer ", " ", record->peer, sizeof(record->peer));
		word_after(reason, " is ", " ", record->peer_state, sizeof(record->peer_state));
	} else if (starts(reason, "both standby")) {
		record->cause = HS_CAUSE_ELECTED;
	} else if (starts(reason, "switchover: ") && strstr(reason, " yields")) {
		record->cause = HS_CAUSE_PEER_YIELDS;
		word_after(reason, "switchover: ", " ", record->peer, sizeof(record->peer));
	} else if (starts(reason, "RAID check failed") || starts(reason, "storage failed")) {
		record->cause = HS_CAUSE_RAID_FAILED;
	} else if (starts(reason, "cluster status check failed") ||
		   starts(reason, "cluster IP or services failed") ||
		   starts(reason, "services could not be started")) {
		record->cause = HS_CAUSE_SERVICES_FAILED;
	} else if (starts(reason, "network check failed")) {
		record->cause = HS_CAUSE_NETWORK_FAILED;
		number_after(reason, "failed: ", &record->number);
	} else if (strstr(reason, "checks pass again")) {
		record->cause = HS_CAUSE_CHECKS_PASS;
	} else {
		return false;
	}
	return true;
}

/* The operator's commands and what the peer makes of them. */
static bool classify_command(struct hs_replay_record *record)
{
	static const struct {
		const char *text;
		bool suffix; /* "<peer> disconnected the cluster link" */
		enum hs_replay_cause cause;
	} commands[] = {
	    {"maintenance set by the operator", false, HS_CAUSE_MAINTENANCE_ON},
	    /* hanode's hand-over when it stops on a signal (HN_ADMIN_SHUTDOWN):
	     * staged, like the mark older hanodes set then, as maintenance on */
	    {"hanode stopping: ", false, HS_CAUSE_MAINTENANCE_ON},
	    {"maintenance cleared by the operator", false, HS_CAUSE_MAINTENANCE_OFF},
	    {"switchover by the operator", false, HS_CAUSE_SWITCHOVER},
	    {"cluster link disconnected by the operator", false, HS_CAUSE_DISCONNECT},
	    {"cluster link reconnected by the operator", false, HS_CAUSE_RECONNECT},
	    {"cluster disbanded by the operator", false, HS_CAUSE_DISBAND},
	    {" disconnected the cluster link", true, HS_CAUSE_PEER_DISCONNECT},
	    {" reconnected the cluster link", true, HS_CAUSE_PEER_RECONNECT},
	    {" disbanded the cluster", true, HS_CAUSE_PEER_DISBAND},
	    {"start forced", false, HS_CAUSE_FORCE_START},
	};
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const char *found = strstr(record->reason, commands[i].text);
		if (!found || (!commands[i].suffix && found != record->reason))
			continue;
		record->cause = commands[i].cause;
		if (commands[i].suffix)
			word_after(record->reason, "", " ", record->peer, sizeof(record->peer));
		return true;
	}
	return false;
}

static void classify_sync(struct hs_replay_record *record)
{
	const char *reason = record->reason;

	record->seq = -1;
	number_after(reason, "seq ", &record->seq);
	if (starts(reason, "sync with ") && strstr(reason, " lost (")) {
		record->cause = HS_CAUSE_SYNC_LOST;
		word_after(reason, "sync with ", " ", record->peer, sizeof(record->peer));
		copy(record->link, sizeof(record->link),
		     strstr(reason, "(sync link silent)") ? "sync" : "all");
		number_after(reason, "from seq ", &record->seq);
		return;
	}
	/* Every other sync record is a conversation with the peer: the sync
	 * link (or a link) carries data again. */
	record->cause = HS_CAUSE_SYNC_RESUMED;
	if (!word_after(reason, "in sync with ", " ", record->peer, sizeof(record->peer)) &&
	    !word_after(reason, " from ", " ", record->peer, sizeof(record->peer)))
		word_after(reason, "", " ", record->peer, sizeof(record->peer));
}

/* "node2 refused: firmware 2.3.1 and 2.4.0 differ in major.minor" */
static void classify_refused(struct hs_replay_record *record)
{
	const char *reason = record->reason;

	word_after(reason, "", " ", record->peer, sizeof(record->peer));
	if (word_after(reason, "firmware ", " ", record->versions[0], HS_NAME_MAX) &&
	    word_after(reason, " and ", " ", record->versions[1], HS_NAME_MAX))
		record->cause = HS_CAUSE_REFUSED_FIRMWARE;
	else if (word_after(reason, "models ", " ", record->versions[0], HS_NAME_MAX) &&
		 word_after(reason, " and ", " ", record->versions[1], HS_NAME_MAX))
		record->cause = HS_CAUSE_REFUSED_MODEL;
	else
		record->cause = HS_CAUSE_REFUSED_OTHER;
}

static void classify_health(struct hs_replay_record *record)
{
	/* "carrier of the external link is down" */
	if (word_after(record->reason, "carrier of the ", " ", record->link,
		       sizeof(record->link))) {
		record->cause = strstr(record->reason, " is down") ? HS_CAUSE_CARRIER_DOWN
								   : HS_CAUSE_CARRIER_UP;
		return;
	}
	record->cause = HS_CAUSE_INFO;
}

static void classify_fence(struct hs_replay_record *record)
{
	const char *reason = record->reason;

	if (starts(reason, "fencing ") && strstr(reason, " failed")) {
		record->cause = HS_CAUSE_FENCE_FAILED;
		word_after(reason, "fencing ", " ", record->peer, sizeof(record->peer));
	} else if (starts(reason, "fencing ")) {
		record->cause = HS_CAUSE_FENCING;
		word_after(reason, "fencing ", ":", record->peer, sizeof(record->peer));
		number_after(reason, " for ", &record->number);
	} else if (starts(reason, "fenced ")) {
		record->cause = HS_CAUSE_FENCED;
		word_after(reason, "fenced ", " ", record->peer, sizeof(record->peer));
	} else {
		record->cause = strstr(reason, "failed") || strstr(reason, "no result")
				    ? HS_CAUSE_FENCE_FAILED
				    : HS_CAUSE_INFO;
	}
}

static void hanode_classify(struct hs_replay_record *record)
{
	const char *event = record->event;

	record->cause = HS_CAUSE_UNKNOWN;
	record->seq = -1;
	if (strcmp(event, "start") == 0) {
		record->cause = HS_CAUSE_START;
		number_after(record->reason, "up to ", &record->number);
	} else if (strcmp(event, "stop") == 0) {
		record->cause = HS_CAUSE_STOP;
	} else if (strcmp(event, "transition") == 0) {
		if (!classify_transition(record))
			classify_command(record);
		/* "split brain with node1: this node lost ..." also comes as a
		 * transition (active -> standby) beside its split_brain record. */
		if (record->cause == HS_CAUSE_UNKNOWN &&
		    starts(record->reason, "split brain with "))
			record->cause = HS_CAUSE_SPLIT_BRAIN;
	} else if (strcmp(event, "admin") == 0) {
		record->cause = HS_CAUSE_ADMIN;
		word_after(record->reason, "", ":", record->admin, sizeof(record->admin));
	} else if (strcmp(event, "sync") == 0) {
		classify_sync(record);
	} else if (strcmp(event, "split_brain") == 0) {
		record->cause = HS_CAUSE_SPLIT_BRAIN;
		word_after(record->reason, "split brain with ", ":", record->peer,
			   sizeof(record->peer));
	} else if (strcmp(event, "split_brain_resolved") == 0) {
		record->cause = HS_CAUSE_SPLIT_RESOLVED;
	} else if (strcmp(event, "refused") == 0) {
		classify_refused(record);
	} else if (strcmp(event, "health") == 0) {
		classify_health(record);
	} else if (strcmp(event, "fence") == 0) {
		classify_fence(record);
	} else if (strcmp(event, "ignored") == 0) {
		record->cause = HS_CAUSE_INFO;
	}
}

const struct hs_replay_adapter hs_replay_adapter_hanode = {
    .name = "hanode",
    .probe = hanode_probe,
    .parse = hanode_parse,
    .classify = hanode_classify,
};

/* ------------------------------------------------------------- registry */

const struct hs_replay_adapter *hs_replay_adapter_find(const char *line, size_t length)
{
	static const struct hs_replay_adapter *const adapters[] = {&hs_replay_adapter_hanode};
	for (size_t i = 0; i < sizeof(adapters) / sizeof(adapters[0]); i++)
		if (adapters[i]->probe(line, length))
			return adapters[i];
	return NULL;
}

const char *hs_replay_cause_name(enum hs_replay_cause cause)
{
	static const char *const names[HS_CAUSE_COUNT] = {
	    [HS_CAUSE_UNKNOWN] = "unknown",
	    [HS_CAUSE_START] = "start",
	    [HS_CAUSE_STOP] = "stop",
	    [HS_CAUSE_PEER_SEEN] = "peer seen",
	    [HS_CAUSE_ELECTED] = "election",
	    [HS_CAUSE_ALONE] = "alone at start",
	    [HS_CAUSE_PEER_SILENT] = "peer silent",
	    [HS_CAUSE_PEER_UNAVAILABLE] = "peer may not be active",
	    [HS_CAUSE_PEER_YIELDS] = "peer yields",
	    [HS_CAUSE_RAID_FAILED] = "RAID failed",
	    [HS_CAUSE_SERVICES_FAILED] = "services failed",
	    [HS_CAUSE_NETWORK_FAILED] = "network check failed",
	    [HS_CAUSE_CHECKS_PASS] = "checks pass",
	    [HS_CAUSE_CARRIER_DOWN] = "carrier down",
	    [HS_CAUSE_CARRIER_UP] = "carrier up",
	    [HS_CAUSE_MAINTENANCE_ON] = "maintenance on",
	    [HS_CAUSE_MAINTENANCE_OFF] = "maintenance off",
	    [HS_CAUSE_SWITCHOVER] = "switchover",
	    [HS_CAUSE_DISCONNECT] = "disconnect",
	    [HS_CAUSE_PEER_DISCONNECT] = "peer disconnected",
	    [HS_CAUSE_RECONNECT] = "reconnect",
	    [HS_CAUSE_PEER_RECONNECT] = "peer reconnected",
	    [HS_CAUSE_DISBAND] = "disband",
	    [HS_CAUSE_PEER_DISBAND] = "peer disbanded",
	    [HS_CAUSE_FORCE_START] = "force start",
	    [HS_CAUSE_ADMIN] = "operator command",
	    [HS_CAUSE_SYNC_LOST] = "sync lost",
	    [HS_CAUSE_SYNC_RESUMED] = "sync resumed",
	    [HS_CAUSE_SPLIT_BRAIN] = "split brain lost",
	    [HS_CAUSE_SPLIT_RESOLVED] = "split brain won",
	    [HS_CAUSE_REFUSED_FIRMWARE] = "refused: firmware",
	    [HS_CAUSE_REFUSED_MODEL] = "refused: model",
	    [HS_CAUSE_REFUSED_OTHER] = "refused",
	    [HS_CAUSE_FENCING] = "fencing",
	    [HS_CAUSE_FENCED] = "fenced",
	    [HS_CAUSE_FENCE_FAILED] = "fence failed",
	    [HS_CAUSE_INFO] = "notice",
	};
	return (unsigned)cause < HS_CAUSE_COUNT && names[cause] ? names[cause] : "unknown";
}
