/*
 * control.h - hanode's control socket (Unix stream), used by hactl.
 *
 * A client connects, sends one request line, and gets one JSON line back;
 * then the daemon closes the connection. Requests longer than
 * HN_CONTROL_LINE_MAX are answered with an error. The daemon's handler may
 * answer at once or later (a command that waits for the core), naming the
 * request by its struct hn_control_ticket; a ticket whose client went away
 * is ignored. At most HN_CONTROL_CLIENTS_MAX clients are served at once;
 * further connections are answered "busy" and closed.
 *
 * This file also renders the status answer (JSON with a human text), so
 * that the daemon's main file only gathers what it shows.
 */
#ifndef HN_CONTROL_H
#define HN_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks.h"
#include "config.h"
#include "hn_core.h"
#include "links.h"
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

/* ------------------------------------------------------------ answers */

/* A bounded text builder: appends stop at the end of the buffer (callers
 * size it for the worst case and check used against size). */
struct hn_text {
	char *data;
	size_t size;
	size_t used;
};

__attribute__((format(printf, 2, 3))) void hn_text_add(struct hn_text *text, const char *format,
						       ...);

/* What `status` shows, gathered by the daemon. peer is NULL until the first
 * heartbeat; checks is NULL without health checks. */
struct hn_control_status_view {
	bool paired;
	uint64_t now_ms;
	const struct hn_status *status;
	const struct hn_identity *self;
	const struct hn_link_config *link_configs; /* HN_LINKS of them */
	const struct hn_heartbeat *peer;
	const struct hn_checks_result *checks;
	const struct hn_links *links; /* packet counters */
	bool ip_held;
};

/* The status answer: one JSON object (node, links, peer, counters,
 * transitions) whose "text" member is the human rendering of hactl status.
 * Returns -1 if it does not fit json_size. */
int hn_control_status_render(const struct hn_control_status_view *view, char *json,
			     size_t json_size);

#endif
