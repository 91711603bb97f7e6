/*
 * control.h - hanode's control socket (Unix stream), used by hactl.
 *
 * A client connects, sends one request line, and gets one JSON line back;
 * then the daemon closes the connection. Requests longer than
 * HN_CONTROL_LINE_MAX are answered with an error. The daemon's handler may
 * answer at once or later (a command that waits for the core), naming the
 * request by its struct hn_control_ticket; a ticket whose client went away
 * is ignored. At most HN_CONTROL_CLIENTS_MAX clients are served at once;
 * further connections are answered "busy" and closed. The status answer
 * is rendered by status.h.
 */
#ifndef HN_CONTROL_H
#define HN_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define HN_CONTROL_CLIENTS_MAX 8
#define HN_CONTROL_LINE_MAX    1024
#define HN_CONTROL_PATH_MAX    108 /* sun_path */

struct hn_control_ticket {
	unsigned slot;
	uint64_t serial;
};

struct hn_control;
typedef void hn_control_request_fn(void *arg, struct hn_control *control,
				   struct hn_control_ticket ticket, char *line);

struct hn_control_client {
	int fd; /* -1 = free */
	uint64_t serial;
	bool answered_pending; /* line complete, waiting for the handler's answer */
	size_t used;
	char line[HN_CONTROL_LINE_MAX];
};

struct hn_control {
	int listen_fd;
	char path[HN_CONTROL_PATH_MAX];
	struct hn_loop *loop;
	hn_control_request_fn *handler;
	void *handler_arg;
	uint64_t next_serial;
	struct hn_control_client clients[HN_CONTROL_CLIENTS_MAX];
};

int hn_control_open(struct hn_control *control, struct hn_loop *loop, const char *path,
		    hn_control_request_fn *handler, void *handler_arg, char *error,
		    size_t error_size);
/* Closes every client and removes the socket file. */
void hn_control_close(struct hn_control *control);

/* Send json (one line, no newline needed) and close the client. Returns -1
 * if the ticket's client is gone. */
int hn_control_reply(struct hn_control *control, struct hn_control_ticket ticket, const char *json);
bool hn_control_ticket_alive(const struct hn_control *control, struct hn_control_ticket ticket);

#endif
