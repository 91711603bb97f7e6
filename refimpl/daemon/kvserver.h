/*
 * kvserver.h - the replicated store's TCP line protocol (docs/DEVELOPING.md).
 *
 *   PUT <key> <value>  ->  OK <seq>      once both nodes hold it (or the peer is gone)
 *   GET <key>          ->  VALUE <value> | NOTFOUND
 *   on a standby       ->  ERR standby
 *   a bad line         ->  ERR <reason>
 *
 * The server parses and validates lines (kvline.h); the daemon's handler
 * decides. A PUT is answered later, when the core emits its CLIENT_REPLY:
 * meanwhile the client's further lines wait in its buffer (one request in
 * flight per client keeps answers in order). Clients and line lengths are
 * bounded, and so is what one client may hold (issue 11: 32 idle
 * connections used to lock every other client out):
 *   - one source address holds at most clients_per_source connections; a
 *     new one from a source at its limit takes the place of that source's
 *     longest idle connection ("ERR closed: too many connections from
 *     192.0.2.1 (at most 8)"), or is refused if all of them wait for an
 *     answer ("ERR busy: ...");
 *   - with every slot taken, a new connection takes the place of the
 *     longest idle one of any source ("ERR closed: the server is full"),
 *     or is refused ("ERR busy: too many clients (32)");
 *   - a connection idle for idle_timeout_ms (no complete request, no
 *     request in flight) is closed ("ERR closed: idle for 30000 ms").
 * Every refusal and every closing by the server is one "ERR <reason>" line.
 */
#ifndef HN_KVSERVER_H
#define HN_KVSERVER_H

#include <netinet/in.h>
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
	struct in_addr source;
	uint64_t active_ms; /* accepted, or last complete request answered */
	size_t used;
	char buffer[HN_KVSERVER_LINE_MAX];
};

struct hn_kvserver_limits {
	uint32_t idle_timeout_ms;    /* close a connection idle this long */
	uint32_t clients_per_source; /* connections one address may hold */
};

struct hn_kvserver {
	int listen_fd;
	struct hn_loop *loop;
	hn_kvserver_request_fn *handler;
	void *handler_arg;
	struct hn_kvserver_limits limits;
	uint64_t next_request_id;
	struct hn_kv_client clients[HN_KVSERVER_CLIENTS_MAX];
};

int hn_kvserver_open(struct hn_kvserver *server, struct hn_loop *loop, uint32_t port,
		     const struct hn_kvserver_limits *limits, hn_kvserver_request_fn *handler,
		     void *handler_arg, char *error, size_t error_size);
void hn_kvserver_close(struct hn_kvserver *server);
/* Answer the PUT request_id (the answer line without newline); ignored if
 * that client is gone. Then serves the client's next buffered line. */
void hn_kvserver_reply(struct hn_kvserver *server, uint64_t request_id, const char *answer);
/* When the next idle connection is due to be closed (UINT64_MAX = none),
 * and closing those that are. */
uint64_t hn_kvserver_next_deadline_ms(const struct hn_kvserver *server);
void hn_kvserver_on_deadline(struct hn_kvserver *server, uint64_t now_ms);

#endif
