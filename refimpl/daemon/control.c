/*
 * control.c - the Unix control socket of hanode (see control.h).
 *
 * Reads are non-blocking and driven by the loop. The answer is written
 * with a send timeout of one second: answers are small (a status, at most
 * HN_CLUSTERLOG_KEPT log lines) and hactl reads at once, so the loop never
 * waits long even for a client that stopped reading.
 *
 * The second half renders the status answer from a view the daemon fills:
 * one JSON object with the node, its links, the peer (from its last
 * heartbeat), the packet counters and the last transitions, plus a "text"
 * member with the lines `hactl status` prints.
 */
#include "control.h"

#include "clusterlog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void hn_control_on_client(void *arg, int fd, short revents);

static void hn_control_client_close(struct hn_control *control, struct hn_control_client *client)
{
	if (client->fd < 0)
		return;
	hn_loop_watch_remove(control->loop, client->fd);
	close(client->fd);
	client->fd = -1;
	client->used = 0;
	client->answered_pending = false;
}

static void hn_control_send_line(int fd, const char *json)
{
	size_t length = strlen(json);
	struct iovec parts[2] = {{(void *)json, length}, {"\n", 1}};
	struct msghdr message = {.msg_iov = parts, .msg_iovlen = 2};
	ssize_t sent = sendmsg(fd, &message, MSG_NOSIGNAL);
	(void)sent; /* a client that went away has nothing left to tell */
}

static void hn_control_on_listen(void *arg, int fd, short revents)
{
	struct hn_control *control = arg;
	(void)revents;
	int client_fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (client_fd < 0)
		return;
	struct timeval timeout = {1, 0};
	setsockopt(client_fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	char error[128];
	for (unsigned slot = 0; slot < HN_CONTROL_CLIENTS_MAX; slot++) {
		struct hn_control_client *client = &control->clients[slot];
		if (client->fd >= 0)
			continue;
		if (hn_loop_watch_add(control->loop, client_fd, POLLIN, hn_control_on_client,
				      control, error, sizeof(error)) != 0)
			break;
		client->fd = client_fd;
		client->serial = ++control->next_serial;
		client->used = 0;
		client->answered_pending = false;
		return;
	}
	hn_control_send_line(client_fd,
			     "{\"ok\":false,\"error\":\"busy: too many control clients\"}");
	close(client_fd);
}

static struct hn_control_client *hn_control_client_of(struct hn_control *control, int fd,
						      unsigned *slot)
{
	for (unsigned i = 0; i < HN_CONTROL_CLIENTS_MAX; i++) {
		if (control->clients[i].fd == fd) {
			*slot = i;
			return &control->clients[i];
		}
	}
	return NULL;
}

static void hn_control_on_client(void *arg, int fd, short revents)
{
	struct hn_control *control = arg;
	unsigned slot;
	struct hn_control_client *client = hn_control_client_of(control, fd, &slot);
	(void)revents;
	if (!client)
		return;
	size_t room = sizeof(client->line) - client->used - 1;
	ssize_t got = recv(fd, client->line + client->used, room, MSG_DONTWAIT);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {
		/* The client hung up; an answer still pending is dropped. */
		hn_control_client_close(control, client);
		return;
	}
	client->used += (size_t)got;
	client->line[client->used] = '\0';
	char *newline = strchr(client->line, '\n');
	if (!newline && client->used < sizeof(client->line) - 1)
		return;
	if (!newline) {
		hn_control_send_line(fd, "{\"ok\":false,\"error\":\"request line too long\"}");
		hn_control_client_close(control, client);
		return;
	}
	*newline = '\0';
	if (newline > client->line && newline[-1] == '\r')
		newline[-1] = '\0';
	/* Stop reading: one request per connection, the answer closes it. */
	hn_loop_watch_events(control->loop, fd, 0);
	client->answered_pending = true;
	control->handler(control->handler_arg, control,
			 (struct hn_control_ticket){slot, client->serial}, client->line);
}

int hn_control_open(struct hn_control *control, struct hn_loop *loop, const char *path,
		    hn_control_request_fn *handler, void *handler_arg, char *error,
		    size_t error_size)
{
	memset(control, 0, sizeof(*control));
	control->listen_fd = -1;
	for (unsigned i = 0; i < HN_CONTROL_CLIENTS_MAX; i++)
		control->clients[i].fd = -1;
	control->loop = loop;
	control->handler = handler;
	control->handler_arg = handler_arg;
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(address.sun_path)) {
		snprintf(error, error_size, "hn_control_open: %s: path too long", path);
		return -1;
	}
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	snprintf(control->path, sizeof(control->path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* A stale socket file of a previous run would make bind fail. */
	unlink(path);
	mode_t old_mask = umask(0077);
	int bound = fd >= 0 ? bind(fd, (struct sockaddr *)&address, sizeof(address)) : -1;
	umask(old_mask);
	if (bound != 0 || listen(fd, HN_CONTROL_CLIENTS_MAX) != 0) {
		snprintf(error, error_size, "hn_control_open: %s: %s", path, strerror(errno));
		goto fail;
	}
	if (hn_loop_watch_add(loop, fd, POLLIN, hn_control_on_listen, control, error, error_size) !=
	    0)
		goto fail;
	control->listen_fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

void hn_control_close(struct hn_control *control)
{
	if (!control || control->listen_fd < 0)
		return;
	for (unsigned i = 0; i < HN_CONTROL_CLIENTS_MAX; i++)
		hn_control_client_close(control, &control->clients[i]);
	hn_loop_watch_remove(control->loop, control->listen_fd);
	close(control->listen_fd);
	control->listen_fd = -1;
	unlink(control->path);
}

bool hn_control_ticket_alive(const struct hn_control *control, struct hn_control_ticket ticket)
{
	return ticket.slot < HN_CONTROL_CLIENTS_MAX && control->clients[ticket.slot].fd >= 0 &&
	       control->clients[ticket.slot].serial == ticket.serial;
}

int hn_control_reply(struct hn_control *control, struct hn_control_ticket ticket, const char *json)
{
	if (!hn_control_ticket_alive(control, ticket))
		return -1;
	struct hn_control_client *client = &control->clients[ticket.slot];
	hn_control_send_line(client->fd, json);
	hn_control_client_close(control, client);
	return 0;
}

/* ---------------------------------------------------------- text builder */

void hn_text_add(struct hn_text *text, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	if (text->used < text->size) {
		int written =
		    vsnprintf(text->data + text->used, text->size - text->used, format, arguments);
		if (written > 0)
			text->used += (size_t)written;
		if (text->used >= text->size)
			text->used = text->size - 1;
	}
	va_end(arguments);
}

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

static void hn_status_local_json(const struct hn_control_status_view *view, struct hn_text *json)
{
	const struct hn_status *status = view->status;
	const struct hn_checks_result *checks = view->checks;
	char raid_reason[2 * HN_REASON_MAX] = "", services_reason[2 * HN_REASON_MAX] = "";
	if (checks) {
		hn_json_escape(checks->raid_reason, raid_reason, sizeof(raid_reason));
		hn_json_escape(checks->services_reason, services_reason, sizeof(services_reason));
	}
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
		    (unsigned long long)status->lost_writes_total, hn_bool_json(view->ip_held),
		    raid_reason, services_reason);
	hn_status_health_json(json, &status->health);
	hn_text_add(json, "},\"links\":[");
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
	const struct hn_status *status = view->status;
	char refusal[2 * HN_REASON_MAX];
	hn_json_escape(status->refusal, refusal, sizeof(refusal));
	hn_text_add(json, "\"peer\":{\"seen\":%s,", hn_bool_json(status->peer_seen));
	if (view->peer) {
		const struct hn_heartbeat *heartbeat = view->peer;
		hn_status_node_json(
		    json, &heartbeat->sender, status->peer_role, status->peer_state,
		    hn_sync_text(status->peer_seen, status->peer_outdated, status->resyncing),
		    &heartbeat->generation);
		hn_text_add(json, "\"health\":");
		hn_status_health_json(json, &heartbeat->health);
		hn_text_add(json, ",");
	}
	const struct hn_proto_counters *counters = &view->links->counters;
	hn_text_add(json,
		    "\"refusal\":\"%s\"},\"counters\":{\"accepted\":%llu,\"bad_length\":%llu,"
		    "\"bad_mac\":%llu,\"replayed\":%llu,\"malformed\":%llu,\"oversize\":%llu",
		    refusal, (unsigned long long)counters->accepted,
		    (unsigned long long)counters->bad_length, (unsigned long long)counters->bad_mac,
		    (unsigned long long)counters->replayed, (unsigned long long)counters->malformed,
		    (unsigned long long)view->links->oversize);
	for (int link = 0; link < HN_LINKS; link++) {
		const struct hn_link_socket *socket_state = &view->links->sockets[link];
		const char *name = link == HN_LINK_SYNC ? "sync" : "external";
		hn_text_add(json, ",\"%s_sent\":%llu,\"%s_send_errors\":%llu,\"%s_received\":%llu",
			    name, (unsigned long long)socket_state->sent, name,
			    (unsigned long long)socket_state->send_errors, name,
			    (unsigned long long)socket_state->received);
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
	const struct hn_status *status = view->status;
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
	if (view->peer) {
		const struct hn_heartbeat *peer = view->peer;
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
	hn_text_add(text, "last transitions:\n");
	for (uint32_t i = 0; i < status->transition_count && i < HN_TRANSITIONS_KEPT; i++)
		hn_text_add(text, "  %10llu ms  %s -> %s: %s\n",
			    (unsigned long long)status->transitions[i].at_ms,
			    status->transitions[i].from, status->transitions[i].to,
			    status->transitions[i].reason);
	const struct hn_proto_counters *counters = &view->links->counters;
	hn_text_add(text,
		    "packets: accepted %llu, bad mac %llu, replayed %llu, bad length %llu, "
		    "malformed %llu\n",
		    (unsigned long long)counters->accepted, (unsigned long long)counters->bad_mac,
		    (unsigned long long)counters->replayed,
		    (unsigned long long)counters->bad_length,
		    (unsigned long long)counters->malformed);
}

int hn_control_status_render(const struct hn_control_status_view *view, char *json_buffer,
			     size_t json_size)
{
	static char text_buffer[4096], escaped[2 * sizeof(text_buffer)];
	struct hn_text json = {json_buffer, json_size, 0};
	struct hn_text text = {text_buffer, sizeof(text_buffer), 0};
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
