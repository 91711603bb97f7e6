/*
 * kvserver.h - the replicated store's TCP line protocol (docs/DEVELOPING.md).
 *
 *   PUT <key> <value>  ->  OK <seq>      once both nodes hold it (or the peer is gone)
 *   GET <key>          ->  VALUE <value> | NOTFOUND
 *   on a standby       ->  ERR standby
 *   a bad line         ->  ERR <reason>
 *
 * The server parses and validates lines (kvline.h); the daemon's handler decides. A
 * PUT is answered later, when the core emits its CLIENT_REPLY: meanwhile
 * the client's further lines wait in its buffer (one request in flight per
 * client keeps answers in order). Clients and line lengths are bounded.
 */
#ifndef HN_KVSERVER_H
#define HN_KVSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"
#include "kvline.h"
#include "loop.h"

#define HN_KVSERVER_CLIENTS_MAX 32
#define HN_KVSERVER_LINE_MAX	512

struct hn_kvserver;
/* Answer now (fills answer, returns 0) or later (returns 1 and answers
 * with hn_kvserver_reply(request_id)). */
typedef int hn_kvserver_request_fn(void *arg, const struct hn_kv_request *request, char *answer,
				   size_t answer_size);

struct hn_kv_client {
	int fd;		     /* -1 = free */
	uint64_t waiting_id; /* 0 = no request in flight */
	size_t used;
	char buffer[HN_KVSERVER_LINE_MAX];
};

struct hn_kvserver {
	int listen_fd;
	struct hn_loop *loop;
	hn_kvserver_request_fn *handler;
	void *handler_arg;
	uint64_t next_request_id;
	struct hn_kv_client clients[HN_KVSERVER_CLIENTS_MAX];
};

int hn_kvserver_open(struct hn_kvserver *server, struct hn_loop *loop, uint32_t port,
		     hn_kvserver_request_fn *handler, void *handler_arg, char *error,
		     size_t error_size);
void hn_kvserver_close(struct hn_kvserver *server);
/* Answer the PUT request_id (the answer line without newline); ignored if
 * that client is gone. Then serves the client's next buffered line. */
void hn_kvserver_reply(struct hn_kvserver *server, uint64_t request_id, const char *answer);

#endif
