/*
 * kvserver.c - TCP server of the store's line protocol (see kvserver.h).
 *
 * Each client has one bounded input buffer. Lines are served in order;
 * while a PUT waits for the core, reading stops (the kernel's socket
 * buffer then holds back a client that pipelines too much: natural
 * back-pressure instead of an unbounded queue). Answers are short and
 * written with MSG_DONTWAIT; a client that does not read its answers is
 * disconnected. The limits on what one client may hold (kvserver.h) are
 * applied when a connection arrives and by the idle deadline.
 */
#include "kvserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------ clients */

static void hn_kv_client_close(struct hn_kvserver *server, struct hn_kv_client *client)
{
	if (client->fd < 0)
		return;
	hn_loop_watch_remove(server->loop, client->fd);
	close(client->fd);
	client->fd = -1;
	client->used = 0;
	client->waiting_id = 0;
}

static int hn_kv_send(struct hn_kv_client *client, const char *answer);

/* The server ends a client: one "ERR <reason>" line, then close. */
static void hn_kv_client_end(struct hn_kvserver *server, struct hn_kv_client *client,
			     const char *answer)
{
	hn_kv_send(client, answer);
	hn_kv_client_close(server, client);
}

static int hn_kv_send(struct hn_kv_client *client, const char *answer)
{
	char line[HN_VALUE_MAX + 64];
	int length = snprintf(line, sizeof(line), "%s\n", answer);
	if (length < 0 || (size_t)length >= sizeof(line))
		return -1;
	return send(client->fd, line, (size_t)length, MSG_DONTWAIT | MSG_NOSIGNAL) == length ? 0
											     : -1;
}

/* Serve complete lines from the buffer until one waits for the core. */
static void hn_kv_client_serve(struct hn_kvserver *server, struct hn_kv_client *client)
{
	while (client->fd >= 0 && !client->waiting_id) {
		char *newline = memchr(client->buffer, '\n', client->used);
		if (!newline)
			break;
		*newline = '\0';
		size_t length = (size_t)(newline - client->buffer);
		if (length > 0 && client->buffer[length - 1] == '\r')
			client->buffer[--length] = '\0';
		struct hn_kv_request request;
		char answer[HN_VALUE_MAX + 32], reason[96];
		int later = 0;
		if (hn_kv_parse(client->buffer, length, &request, reason, sizeof(reason)) != 0) {
			snprintf(answer, sizeof(answer), "ERR %s", reason);
		} else {
			request.request_id = ++server->next_request_id;
			later =
			    server->handler(server->handler_arg, &request, answer, sizeof(answer));
		}
		size_t consumed = (size_t)(newline - client->buffer) + 1;
		memmove(client->buffer, newline + 1, client->used - consumed);
		client->used -= consumed;
		client->active_ms = hn_loop_now_ms();
		if (later == 1) {
			client->waiting_id = request.request_id;
		} else if (hn_kv_send(client, answer) != 0) {
			hn_kv_client_close(server, client);
		}
	}
	if (client->fd >= 0)
		hn_loop_watch_events(server->loop, client->fd, client->waiting_id ? 0 : POLLIN);
}

static void hn_kv_on_client(void *arg, int fd, short revents)
{
	struct hn_kvserver *server = arg;
	struct hn_kv_client *client = NULL;
	for (size_t i = 0; i < HN_KVSERVER_CLIENTS_MAX && !client; i++)
		if (server->clients[i].fd == fd)
			client = &server->clients[i];
	(void)revents;
	if (!client)
		return;
	ssize_t got = recv(fd, client->buffer + client->used, sizeof(client->buffer) - client->used,
			   MSG_DONTWAIT);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {
		hn_kv_client_close(server, client);
		return;
	}
	client->used += (size_t)got;
	if (client->used == sizeof(client->buffer) && !memchr(client->buffer, '\n', client->used)) {
		hn_kv_client_end(server, client, "ERR line too long");
		return;
	}
	hn_kv_client_serve(server, client);
}

/* The longest idle client (no request in flight) among those from source,
 * or of any source when source is NULL; *count gets how many match. */
static struct hn_kv_client *hn_kv_longest_idle(struct hn_kvserver *server,
					       const struct in_addr *source, size_t *count)
{
	struct hn_kv_client *idle = NULL;
	*count = 0;
	for (size_t i = 0; i < HN_KVSERVER_CLIENTS_MAX; i++) {
		struct hn_kv_client *client = &server->clients[i];
		if (client->fd < 0 || (source && client->source.s_addr != source->s_addr))
			continue;
		(*count)++;
		if (!client->waiting_id && (!idle || client->active_ms < idle->active_ms))
			idle = client;
	}
	return idle;
}

/* Makes room for a connection from source (see kvserver.h); false with
 * the refusal's line in refusal if there is none to make. */
static bool hn_kv_make_room(struct hn_kvserver *server, struct in_addr source, char *refusal,
			    size_t refusal_size)
{
	char address[INET_ADDRSTRLEN], answer[128];
	size_t count;
	inet_ntop(AF_INET, &source, address, sizeof(address));
	struct hn_kv_client *idle = hn_kv_longest_idle(server, &source, &count);
	if (count >= server->limits.clients_per_source) {
		snprintf(answer, sizeof(answer), "too many connections from %s (at most %u)",
			 address, server->limits.clients_per_source);
		if (!idle) {
			snprintf(refusal, refusal_size, "ERR busy: %s", answer);
			return false;
		}
		snprintf(refusal, refusal_size, "ERR closed: %s", answer);
		hn_kv_client_end(server, idle, refusal);
		return true;
	}
	idle = hn_kv_longest_idle(server, NULL, &count);
	if (count < HN_KVSERVER_CLIENTS_MAX)
		return true;
	if (!idle) {
		snprintf(refusal, refusal_size, "ERR busy: too many clients (%d)",
			 HN_KVSERVER_CLIENTS_MAX);
		return false;
	}
	hn_kv_client_end(server, idle, "ERR closed: the server is full");
	return true;
}

static void hn_kv_on_listen(void *arg, int fd, short revents)
{
	struct hn_kvserver *server = arg;
	struct sockaddr_in from = {0};
	socklen_t from_length = sizeof(from);
	char error[128], refusal[160];
	(void)revents;
	int client_fd =
	    accept4(fd, (struct sockaddr *)&from, &from_length, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (client_fd < 0)
		return;
	struct hn_kv_client incoming = {.fd = client_fd, .source = from.sin_addr};
	if (!hn_kv_make_room(server, from.sin_addr, refusal, sizeof(refusal))) {
		hn_kv_client_end(server, &incoming, refusal);
		return;
	}
	for (size_t i = 0; i < HN_KVSERVER_CLIENTS_MAX; i++) {
		struct hn_kv_client *client = &server->clients[i];
		if (client->fd >= 0)
			continue;
		if (hn_loop_watch_add(server->loop, client_fd, POLLIN, hn_kv_on_client, server,
				      error, sizeof(error)) != 0)
			break;
		incoming.active_ms = hn_loop_now_ms();
		*client = incoming;
		return;
	}
	hn_kv_client_end(server, &incoming, "ERR busy: cannot watch the connection");
}

/* -------------------------------------------------------------- server */

int hn_kvserver_open(struct hn_kvserver *server, struct hn_loop *loop, uint32_t port,
		     const struct hn_kvserver_limits *limits, hn_kvserver_request_fn *handler,
		     void *handler_arg, char *error, size_t error_size)
{
	memset(server, 0, sizeof(*server));
	server->listen_fd = -1;
	for (size_t i = 0; i < HN_KVSERVER_CLIENTS_MAX; i++)
		server->clients[i].fd = -1;
	server->loop = loop;
	server->limits = *limits;
	if (server->limits.clients_per_source == 0)
		server->limits.clients_per_source = 1;
	server->handler = handler;
	server->handler_arg = handler_arg;
	int one = 1;
	struct sockaddr_in address = {.sin_family = AF_INET,
				      .sin_port = htons((uint16_t)port),
				      .sin_addr.s_addr = htonl(INADDR_ANY)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&address, sizeof(address)) != 0 ||
	    listen(fd, HN_KVSERVER_CLIENTS_MAX) != 0) {
		snprintf(error, error_size, "hn_kvserver_open: port %u: %s", port, strerror(errno));
		goto fail;
	}
	if (hn_loop_watch_add(loop, fd, POLLIN, hn_kv_on_listen, server, error, error_size) != 0)
		goto fail;
	server->listen_fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

void hn_kvserver_close(struct hn_kvserver *server)
{
	if (!server || server->listen_fd < 0)
		return;
	for (size_t i = 0; i < HN_KVSERVER_CLIENTS_MAX; i++)
		hn_kv_client_close(server, &server->clients[i]);
	hn_loop_watch_remove(server->loop, server->listen_fd);
	close(server->listen_fd);
	server->listen_fd = -1;
}

void hn_kvserver_reply(struct hn_kvserver *server, uint64_t request_id, const char *answer)
{
	for (size_t i = 0; request_id && i < HN_KVSERVER_CLIENTS_MAX; i++) {
		struct hn_kv_client *client = &server->clients[i];
		if (client->fd < 0 || client->waiting_id != request_id)
			continue;
		client->waiting_id = 0;
		client->active_ms = hn_loop_now_ms();
		if (hn_kv_send(client, answer) != 0)
			hn_kv_client_close(server, client);
		else
			hn_kv_client_serve(server, client);
		return;
	}
}

uint64_t hn_kvserver_next_deadline_ms(const struct hn_kvserver *server)
{
	uint64_t next_ms = UINT64_MAX;
	for (size_t i = 0; i < HN_KVSERVER_CLIENTS_MAX; i++) {
		const struct hn_kv_client *client = &server->clients[i];
		uint64_t due_ms = client->active_ms + server->limits.idle_timeout_ms;
		if (client->fd >= 0 && !client->waiting_id && due_ms < next_ms)
			next_ms = due_ms;
	}
	return next_ms;
}

void hn_kvserver_on_deadline(struct hn_kvserver *server, uint64_t now_ms)
{
	char answer[64];
	snprintf(answer, sizeof(answer), "ERR closed: idle for %u ms",
		 server->limits.idle_timeout_ms);
	for (size_t i = 0; i < HN_KVSERVER_CLIENTS_MAX; i++) {
		struct hn_kv_client *client = &server->clients[i];
		if (client->fd >= 0 && !client->waiting_id &&
		    now_ms >= client->active_ms + server->limits.idle_timeout_ms)
			hn_kv_client_end(server, client, answer);
	}
}
