/*
 * control.c - the Unix control socket of hanode (see control.h).
 *
 * Reads are non-blocking and driven by the loop. The answer is written
 * with a send timeout of one second: answers are small (a status, at most
 * HN_CLUSTERLOG_KEPT log lines) and hactl reads at once, so the loop never
 * waits long even for a client that stopped reading. The status answer
 * itself is rendered by status.c.
 */
#include "control.h"

#include <errno.h>
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
