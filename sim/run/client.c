/*
 * client.c - the scenario's client: what a customer of the cluster sees.
 *
 * The client reaches the cluster the way a user would: through the cluster
 * IP, i.e. whichever node is active. On real-time backends a request is a
 * TCP connection to the host side of the fabric's libslirp port forward;
 * on a virtual-time backend the backend carries the request line through
 * its uplink model as frames, with the costs of a TCP connection, and
 * reports the reply or the closed connection. Three streams, the same on
 * every backend:
 *   - the writes: "PUT k<n % 256> v<n>" at the scenario's rate_per_s, one at
 *     a time, each bounded by timeout_ms; at the end every key is read back
 *     ("GET k<key>"): a key's expected value is its latest acknowledged
 *     write, and a later write that failed on the client's side may still
 *     have landed, so any value written at or after the latest acknowledged
 *     one is correct; anything else is a lost write;
 *   - the probes: "GET probe" every resolution_ms on a connection of its
 *     own, whether or not earlier ones have answered, each bounded by
 *     timeout_ms or HS_CLIENT_PROBE_WINDOW * resolution_ms, whichever is
 *     shorter (so that HS_CLIENT_PROBES_MAX in flight are enough and none
 *     is skipped, run.json's probes_skipped): the last success before a
 *     gap is known to resolution_ms, so outage_ms no longer depends on how
 *     long a failing request takes to fail. Once a probe timed out, and
 *     until one answers, probes go every HS_CLIENT_SEARCH_MS (50 ms): the
 *     first success after a gap of silence is known to that. libslirp
 *     retries the SYN of every connection the client gave up on (its host
 *     side is not looked at before the guest answers) and delivers it
 *     seconds later, once the cluster IP answers again; a probe every 10 ms
 *     through a second of silence would reach the node as bursts of ghost
 *     connections that fill its store's slots (and close the session);
 *   - the session: one long-lived connection, a "GET session" on it every
 *     HS_CLIENT_SESSION_EVERY_MS; a session that answered and then failed
 *     (closed, reset, refused, silent past timeout_ms) is broken: counted,
 *     and a new one is opened (run.json's sessions_broken, sessions.jsonl).
 * Every write and probe is one line of client.jsonl with its send time
 * (sent_ms), its latency and its outcome (mono_ms is when it ended); the
 * checker turns them into outage_ms.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run.h"

#define CLIENT_VERIFY_RETRY_MS 200

static bool client_virtual(const struct hs_run *run)
{
	return run->backend->virtual_time != NULL;
}

/* ----------------------------------------------------------------- logs */

static void client_log_request(struct hs_run *run, const struct hs_client_request *request,
			       int64_t now_ms, bool ok, const char *detail)
{
	struct hs_client *client = &run->client;
	char key[16] = "probe", value[24] = "";

	if (!client->log)
		return;
	if (request->kind == HS_CLIENT_PUT) {
		snprintf(key, sizeof(key), "k%u", request->number % HS_CLIENT_KEYS);
		snprintf(value, sizeof(value), ",\"value\":\"v%u\"", request->number);
	}
	fprintf(client->log, "{\"mono_ms\":%lld,\"op\":\"%s\",\"key\":\"%s\"%s,\"ok\":%s,\"%s\":\"",
		(long long)now_ms, request->kind == HS_CLIENT_PUT ? "put" : "probe", key, value,
		ok ? "true" : "false", ok ? "reply" : "error");
	for (const char *c = detail; *c; c++)
		if ((unsigned char)*c >= 0x20 && *c != '"' && *c != '\\')
			fputc(*c, client->log);
	fprintf(client->log, "\",\"latency_ms\":%lld,\"sent_ms\":%lld}\n",
		(long long)(now_ms - request->sent_ms), (long long)request->sent_ms);
	fflush(client->log);
}

static void client_log_verify(struct hs_run *run, int64_t now_ms, uint32_t key, bool ok,
			      const char *got)
{
	struct hs_client *client = &run->client;

	if (!client->log)
		return;
	fprintf(client->log,
		"{\"mono_ms\":%lld,\"op\":\"verify\",\"key\":\"k%u\",\"expected\":\"v%u\","
		"\"got\":\"",
		(long long)now_ms, key, client->acked_number[key]);
	for (const char *c = got; *c; c++)
		if ((unsigned char)*c >= 0x20 && *c != '"' && *c != '\\')
			fputc(*c, client->log);
	fprintf(client->log, "\",\"ok\":%s}\n", ok ? "true" : "false");
	fflush(client->log);
}

/* sessions.jsonl: {"mono_ms":N,"event":"open"|"broken"|"closed","session":N,"detail":"..."} */
static void client_log_session(struct hs_run *run, int64_t now_ms, const char *event,
			       const char *detail)
{
	struct hs_client *client = &run->client;

	if (!client->session_log)
		return;
	fprintf(client->session_log,
		"{\"mono_ms\":%lld,\"event\":\"%s\",\"session\":%u,\"detail\":\"",
		(long long)now_ms, event, client->session.opened);
	for (const char *c = detail; *c; c++)
		if ((unsigned char)*c >= 0x20 && *c != '"' && *c != '\\')
			fputc(*c, client->session_log);
	fputs("\"}\n", client->session_log);
	fflush(client->session_log);
}

/* ------------------------------------------------------------ transport */

static void request_reset(struct hs_client_request *request)
{
	request->phase = HS_CLIENT_IDLE;
	request->fd = -1;
	request->reply_length = 0;
	request->reply[0] = '\0';
}

/* A connection of the request's own to the port forward (real transport). */
static bool client_connect(struct hs_run *run, struct hs_client_request *request)
{
	struct sockaddr_in address = {.sin_family = AF_INET};

	request->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (request->fd < 0)
		return false;
	address.sin_port = htons(run->client_port);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	request->phase = HS_CLIENT_CONNECTING;
	if (connect(request->fd, (struct sockaddr *)&address, sizeof(address)) == 0 ||
	    errno == EINPROGRESS)
		return true;
	close(request->fd);
	request->fd = -1;
	return false;
}

static void client_session_close(struct hs_run *run)
{
	struct hs_client_session *session = &run->client.session;

	if (session->fd >= 0)
		close(session->fd);
	session->fd = -1;
	session->open = false;
	session->established = false;
}

/* Send request (its line set) now; false when it could not even start. */
static bool client_send(struct hs_run *run, struct hs_client_request *request, int64_t now_ms)
{
	struct hs_client_session *session = &run->client.session;
	bool on_session = request->kind == HS_CLIENT_SESSION;
	size_t length = strlen(request->line);

	request->sent_ms = now_ms;
	request->reply_length = 0;
	if (client_virtual(run)) {
		request->serial = ++run->client.next_serial;
		request->phase = HS_CLIENT_WAITING;
		if (on_session) {
			session->open = true;
			session->last_serial = request->serial;
		}
		run->backend->virtual_time->client_send(run, request->serial, request->line,
							on_session, now_ms);
		return true;
	}
	if (on_session && session->open && session->fd >= 0) {
		request->fd = session->fd;
		request->phase = HS_CLIENT_WAITING;
		return send(request->fd, request->line, length, MSG_NOSIGNAL) == (ssize_t)length;
	}
	if (!client_connect(run, request))
		return false;
	if (on_session) {
		session->fd = request->fd;
		session->open = true;
	}
	return true;
}

/* Give up on a request in flight (its deadline passed, the client stops). */
static void client_abandon(struct hs_run *run, struct hs_client_request *request, int64_t now_ms)
{
	if (request->phase == HS_CLIENT_IDLE)
		return;
	if (client_virtual(run))
		run->backend->virtual_time->client_abort(run, request->serial, now_ms);
	else if (request->kind != HS_CLIENT_SESSION && request->fd >= 0)
		close(request->fd);
	if (request->kind == HS_CLIENT_SESSION)
		client_session_close(run);
	request_reset(request);
}

/* ------------------------------------------------------------- outcomes */

static void client_finish_put(struct hs_run *run, struct hs_client_request *request, int64_t now_ms,
			      bool ok, const char *detail)
{
	struct hs_client *client = &run->client;

	if (ok) {
		client->acked_number[request->number % HS_CLIENT_KEYS] = request->number;
		client->writes_acked++;
	} else {
		client->writes_failed++;
	}
	client_log_request(run, request, now_ms, ok, detail);
	client->next_request_ms = request->sent_ms + client->interval_ms;
}

static void client_finish_verify(struct hs_run *run, const struct hs_client_request *request,
				 int64_t now_ms, bool ok, const char *detail)
{
	struct hs_client *client = &run->client;
	const char *got = strncmp(detail, "VALUE ", 6) == 0 ? detail + 6 : detail;
	uint32_t key = request->number, got_number = 0;
	bool correct = false;

	if (ok && got[0] == 'v' && sscanf(got + 1, "%u", &got_number) == 1)
		correct = got_number % HS_CLIENT_KEYS == key &&
			  got_number >= client->acked_number[key] &&
			  got_number <= client->attempted_number[key];
	if (ok) { /* a failed read is retried until the runner's deadline */
		client_log_verify(run, now_ms, key, correct, got);
		client->verify_index++;
	}
	client->next_request_ms = now_ms + (ok ? 0 : CLIENT_VERIFY_RETRY_MS);
}

/* A request on the session ended (sent at sent_ms; -1: the connection
 * ended while none was on it). The next goes HS_CLIENT_SESSION_EVERY_MS
 * after this one was sent, or at once when that is past. */
static void client_finish_session(struct hs_run *run, int64_t sent_ms, int64_t now_ms, bool ok,
				  const char *detail)
{
	struct hs_client_session *session = &run->client.session;

	session->next_ms = sent_ms + HS_CLIENT_SESSION_EVERY_MS;
	if (session->next_ms < now_ms)
		session->next_ms = now_ms;
	if (ok) {
		if (!session->established) {
			session->established = true;
			session->opened++;
			client_log_session(run, now_ms, "open", "");
		}
		return;
	}
	if (session->established) {
		session->broken++;
		client_log_session(run, now_ms, "broken", detail);
	}
	client_session_close(run);
}

/* A request ended (reply, error or timeout): book it, log it, free it. */
static void client_finish(struct hs_run *run, struct hs_client_request *request, int64_t now_ms,
			  bool ok, const char *detail)
{
	switch (request->kind) {
	case HS_CLIENT_PUT:
		client_finish_put(run, request, now_ms, ok, detail);
		break;
	case HS_CLIENT_VERIFY:
		client_finish_verify(run, request, now_ms, ok, detail);
		break;
	case HS_CLIENT_PROBE:
		client_log_request(run, request, now_ms, ok, detail);
		/* Nothing answers: probe less often until something does (a
		 * probe sent before the last that answered says nothing new). */
		if (ok && request->sent_ms >= run->client.probe_ok_sent_ms) {
			run->client.probe_ok_sent_ms = request->sent_ms;
			run->client.searching = false;
		} else if (!ok && strcmp(detail, "timeout") == 0 &&
			   request->sent_ms > run->client.probe_ok_sent_ms) {
			run->client.searching = true;
		}
		break;
	case HS_CLIENT_SESSION:
		client_finish_session(run, request->sent_ms, now_ms, ok, detail);
		break;
	}
	if (request->kind != HS_CLIENT_SESSION && request->fd >= 0 && !client_virtual(run))
		close(request->fd);
	request_reset(request);
}

/* A reply line: what counts as an answer of the active node. */
static void client_reply_line(struct hs_run *run, struct hs_client_request *request,
			      const char *reply, int64_t now_ms)
{
	bool ok = request->kind == HS_CLIENT_PUT
		      ? strncmp(reply, "OK ", 3) == 0
		      : strncmp(reply, "VALUE ", 6) == 0 || strcmp(reply, "NOTFOUND") == 0;
	client_finish(run, request, now_ms, ok, reply);
}

/* ------------------------------------------------------------ the work */

/* The next write (or, verifying, read-back); false when there is none. */
static bool client_next_put(struct hs_run *run, struct hs_client_request *request)
{
	struct hs_client *client = &run->client;

	if (client->verifying) {
		while (client->verify_index < HS_CLIENT_KEYS &&
		       client->acked_number[client->verify_index] == 0)
			client->verify_index++;
		if (client->verify_index >= HS_CLIENT_KEYS)
			return false;
		request->kind = HS_CLIENT_VERIFY;
		request->number = client->verify_index;
		snprintf(request->line, sizeof(request->line), "GET k%u\n", client->verify_index);
		return true;
	}
	if (!client->running)
		return false;
	request->kind = HS_CLIENT_PUT;
	request->number = client->next_number++;
	client->attempted_number[request->number % HS_CLIENT_KEYS] = request->number;
	snprintf(request->line, sizeof(request->line), "PUT k%u v%u\n",
		 request->number % HS_CLIENT_KEYS, request->number);
	return true;
}

static void client_start_put(struct hs_run *run, int64_t now_ms)
{
	struct hs_client *client = &run->client;

	if (client->put.phase != HS_CLIENT_IDLE || (!client->running && !client->verifying) ||
	    now_ms < client->next_request_ms || !client_next_put(run, &client->put))
		return;
	if (!client_send(run, &client->put, now_ms))
		client_finish(run, &client->put, now_ms, false, "connect failed");
}

/* The probes due by now, at their steady rate (no burst after a late round). */
static void client_start_probes(struct hs_run *run, int64_t now_ms)
{
	struct hs_client *client = &run->client;
	int64_t behind_ms;

	struct hs_client_request *probe = NULL;
	int64_t step_ms;

	if (!client->running || now_ms < client->next_probe_ms)
		return;
	for (int i = 0; !probe && i < HS_CLIENT_PROBES_MAX; i++)
		if (client->probes[i].phase == HS_CLIENT_IDLE)
			probe = &client->probes[i];
	if (probe) {
		probe->kind = HS_CLIENT_PROBE;
		snprintf(probe->line, sizeof(probe->line), "GET probe\n");
		client->probes_sent++;
		if (!client_send(run, probe, now_ms))
			client_finish(run, probe, now_ms, false, "connect failed");
	} else {
		client->probes_skipped++; /* the loop came 4 probes late or more */
	}
	behind_ms = now_ms - client->next_probe_ms;
	step_ms = client->searching && HS_CLIENT_SEARCH_MS > client->resolution_ms
		      ? HS_CLIENT_SEARCH_MS
		      : client->resolution_ms;
	client->next_probe_ms += step_ms * (behind_ms / step_ms + 1);
}

static void client_start_session(struct hs_run *run, int64_t now_ms)
{
	struct hs_client_session *session = &run->client.session;
	bool was_open;

	if (!run->client.running || session->request.phase != HS_CLIENT_IDLE ||
	    now_ms < session->next_ms)
		return;
	was_open = session->open;
	session->request.kind = HS_CLIENT_SESSION;
	snprintf(session->request.line, sizeof(session->request.line), "GET session\n");
	if (!client_send(run, &session->request, now_ms))
		client_finish(run, &session->request, now_ms, false,
			      was_open ? "send failed" : "connect failed");
}

/* A request's deadline (ms after it was sent). */
static int64_t client_deadline_ms(const struct hs_client *client,
				  const struct hs_client_request *request)
{
	return request->kind == HS_CLIENT_PROBE ? client->probe_timeout_ms : client->timeout_ms;
}

/* A request past its deadline fails with "timeout" (a session's breaks). */
static void client_expire(struct hs_run *run, struct hs_client_request *request, int64_t now_ms)
{
	if (request->phase == HS_CLIENT_IDLE ||
	    now_ms - request->sent_ms < client_deadline_ms(&run->client, request))
		return;
	if (client_virtual(run))
		run->backend->virtual_time->client_abort(run, request->serial, now_ms);
	client_finish(run, request, now_ms, false, "timeout");
}

/* Deadlines first, then whatever is due. */
static void client_tick(struct hs_run *run, int64_t now_ms)
{
	struct hs_client *client = &run->client;

	client_expire(run, &client->put, now_ms);
	for (int i = 0; i < HS_CLIENT_PROBES_MAX; i++)
		client_expire(run, &client->probes[i], now_ms);
	client_expire(run, &client->session.request, now_ms);
	client_start_put(run, now_ms);
	client_start_probes(run, now_ms);
	client_start_session(run, now_ms);
}

static int64_t client_earliest(int64_t a_ms, int64_t b_ms)
{
	return a_ms < 0 || (b_ms >= 0 && b_ms < a_ms) ? b_ms : a_ms;
}

int64_t hs_client_next_ms(const struct hs_run *run)
{
	const struct hs_client *client = &run->client;
	int64_t next_ms = -1, timeout_ms = client->timeout_ms;

	if (client->put.phase != HS_CLIENT_IDLE)
		next_ms = client->put.sent_ms + timeout_ms;
	else if (client->running || (client->verifying && !hs_client_verify_done(run)))
		next_ms = client->next_request_ms;
	for (int i = 0; i < HS_CLIENT_PROBES_MAX; i++)
		if (client->probes[i].phase != HS_CLIENT_IDLE)
			next_ms = client_earliest(next_ms, client->probes[i].sent_ms +
							       client->probe_timeout_ms);
	if (client->session.request.phase != HS_CLIENT_IDLE)
		next_ms = client_earliest(next_ms, client->session.request.sent_ms + timeout_ms);
	if (client->running) {
		next_ms = client_earliest(next_ms, client->next_probe_ms);
		if (client->session.request.phase == HS_CLIENT_IDLE)
			next_ms = client_earliest(next_ms, client->session.next_ms);
	}
	return next_ms;
}

void hs_client_due(struct hs_run *run, int64_t now_ms)
{
	client_tick(run, now_ms);
}

/* ------------------------------------------------ the virtual transport */

static struct hs_client_request *client_by_serial(struct hs_run *run, uint64_t serial)
{
	struct hs_client *client = &run->client;

	if (client->put.phase != HS_CLIENT_IDLE && client->put.serial == serial)
		return &client->put;
	if (client->session.request.phase != HS_CLIENT_IDLE &&
	    client->session.request.serial == serial)
		return &client->session.request;
	for (int i = 0; i < HS_CLIENT_PROBES_MAX; i++)
		if (client->probes[i].phase != HS_CLIENT_IDLE && client->probes[i].serial == serial)
			return &client->probes[i];
	return NULL;
}

/* One reply line (without its newline) to request serial. */
void hs_client_reply(struct hs_run *run, uint64_t serial, const char *reply, int64_t now_ms)
{
	struct hs_client_request *request = client_by_serial(run, serial);

	if (request) /* else: an answer to a request the client gave up */
		client_reply_line(run, request, reply, now_ms);
}

/* Request serial's connection ended without a reply ("connection closed"),
 * or the session's connection closed while no request was on it. */
void hs_client_closed(struct hs_run *run, uint64_t serial, const char *detail, int64_t now_ms)
{
	struct hs_client_request *request = client_by_serial(run, serial);
	struct hs_client_session *session = &run->client.session;

	if (request) {
		client_finish(run, request, now_ms, false, detail);
		return;
	}
	if (session->open && session->last_serial == serial &&
	    session->request.phase == HS_CLIENT_IDLE)
		client_finish_session(run, now_ms, now_ms, false, detail);
}

/* --------------------------------------------------- the real transport */

int hs_client_pollfds(struct hs_run *run, struct pollfd *fds, int cap, int64_t now_ms,
		      int *timeout_ms)
{
	struct hs_client *client = &run->client;
	int64_t next_ms;
	int count = 0;

	client_tick(run, now_ms);
	next_ms = hs_client_next_ms(run);
	if (next_ms >= 0 && (*timeout_ms < 0 || next_ms - now_ms < *timeout_ms))
		*timeout_ms = next_ms > now_ms ? (int)(next_ms - now_ms) : 0;
	if (client->put.phase != HS_CLIENT_IDLE && count < cap)
		fds[count++] = (struct pollfd){
		    .fd = client->put.fd,
		    .events = client->put.phase == HS_CLIENT_CONNECTING ? POLLOUT : POLLIN};
	for (int i = 0; i < HS_CLIENT_PROBES_MAX && count < cap; i++)
		if (client->probes[i].phase != HS_CLIENT_IDLE)
			fds[count++] = (struct pollfd){
			    .fd = client->probes[i].fd,
			    .events =
				client->probes[i].phase == HS_CLIENT_CONNECTING ? POLLOUT : POLLIN};
	/* The session's connection also while idle: a close is a break. */
	if (client->session.open && client->session.fd >= 0 && count < cap)
		fds[count++] = (struct pollfd){
		    .fd = client->session.fd,
		    .events =
			client->session.request.phase == HS_CLIENT_CONNECTING ? POLLOUT : POLLIN};
	return count;
}

/* The connection is made: send the request line. */
static void client_connected(struct hs_run *run, struct hs_client_request *request, int64_t now_ms)
{
	size_t length = strlen(request->line);
	int socket_error = 0;
	socklen_t size = sizeof(socket_error);

	getsockopt(request->fd, SOL_SOCKET, SO_ERROR, &socket_error, &size);
	if (socket_error != 0) {
		client_finish(run, request, now_ms, false, strerror(socket_error));
		return;
	}
	if (send(request->fd, request->line, length, MSG_NOSIGNAL) != (ssize_t)length) {
		client_finish(run, request, now_ms, false, "send failed");
		return;
	}
	request->phase = HS_CLIENT_WAITING;
}

static void client_readable(struct hs_run *run, struct hs_client_request *request, int64_t now_ms)
{
	size_t room = sizeof(request->reply) - 1 - request->reply_length;
	ssize_t got = recv(request->fd, request->reply + request->reply_length, room, 0);
	char *newline;

	if (got <= 0) {
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_finish(run, request, now_ms, false,
			      got == 0 ? "connection closed" : strerror(errno));
		return;
	}
	request->reply_length += (size_t)got;
	request->reply[request->reply_length] = '\0';
	newline = strchr(request->reply, '\n');
	if (!newline) {
		if (request->reply_length == sizeof(request->reply) - 1)
			client_finish(run, request, now_ms, false, "reply too long");
		return;
	}
	*newline = '\0';
	client_reply_line(run, request, request->reply, now_ms);
}

static void client_ready(struct hs_run *run, struct hs_client_request *request, short revents,
			 int64_t now_ms)
{
	if (request->phase == HS_CLIENT_CONNECTING && (revents & (POLLOUT | POLLERR | POLLHUP)))
		client_connected(run, request, now_ms);
	else if (request->phase == HS_CLIENT_WAITING && (revents & (POLLIN | POLLERR | POLLHUP)))
		client_readable(run, request, now_ms);
}

/* The session's connection said something while no request was on it. */
static void client_session_idle(struct hs_run *run, int64_t now_ms)
{
	char byte;
	ssize_t got = recv(run->client.session.fd, &byte, 1, MSG_DONTWAIT);

	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	client_finish_session(run, now_ms, now_ms, false,
			      got == 0	? "connection closed"
			      : got < 0 ? strerror(errno)
					: "a line nobody asked for");
}

void hs_client_handle(struct hs_run *run, const struct pollfd *fds, int count, int64_t now_ms)
{
	struct hs_client *client = &run->client;

	for (int f = 0; f < count; f++) {
		if (!fds[f].revents || fds[f].fd < 0)
			continue;
		if (client->put.phase != HS_CLIENT_IDLE && client->put.fd == fds[f].fd) {
			client_ready(run, &client->put, fds[f].revents, now_ms);
			continue;
		}
		if (client->session.open && client->session.fd == fds[f].fd) {
			if (client->session.request.phase == HS_CLIENT_IDLE)
				client_session_idle(run, now_ms);
			else
				client_ready(run, &client->session.request, fds[f].revents, now_ms);
			continue;
		}
		for (int i = 0; i < HS_CLIENT_PROBES_MAX; i++)
			if (client->probes[i].phase != HS_CLIENT_IDLE &&
			    client->probes[i].fd == fds[f].fd) {
				client_ready(run, &client->probes[i], fds[f].revents, now_ms);
				break;
			}
	}
	client_tick(run, now_ms);
}

/* ------------------------------------------------------- the life cycle */

int hs_client_open(struct hs_run *run)
{
	struct hs_client *client = &run->client;
	const struct hs_client_model *model = &run->scenario.client;
	char path[600];

	request_reset(&client->put);
	for (int i = 0; i < HS_CLIENT_PROBES_MAX; i++)
		request_reset(&client->probes[i]);
	request_reset(&client->session.request);
	client->session.fd = -1;
	client->next_number = 1;
	client->resolution_ms = model->resolution_ms ? model->resolution_ms : 10;
	client->timeout_ms = model->timeout_ms ? model->timeout_ms : 500;
	client->probe_timeout_ms = HS_CLIENT_PROBE_WINDOW * client->resolution_ms;
	if (client->probe_timeout_ms > client->timeout_ms)
		client->probe_timeout_ms = client->timeout_ms;
	client->interval_ms = model->rate_per_s ? 1000 / model->rate_per_s : 50;
	if (client->interval_ms == 0)
		client->interval_ms = 1;
	snprintf(path, sizeof(path), "%s/client.jsonl", run->run_dir);
	client->log = fopen(path, "w");
	if (client->log && model->enabled) {
		snprintf(path, sizeof(path), "%s/sessions.jsonl", run->run_dir);
		client->session_log = fopen(path, "w");
	}
	if (!client->log || (model->enabled && !client->session_log)) {
		hs_run_error_add(run, "hs_client_open: %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void hs_client_start(struct hs_run *run, int64_t now_ms)
{
	struct hs_client *client = &run->client;

	if (run->scenario.client.rate_per_s == 0)
		return;
	client->running = true;
	client->searching = false;
	client->next_request_ms = now_ms;
	client->next_probe_ms = now_ms;
	client->session.next_ms = now_ms;
}

/* The workload ends: requests in flight may still end; the session is
 * closed by the client (not a break). */
void hs_client_stop(struct hs_run *run, int64_t now_ms)
{
	struct hs_client_session *session = &run->client.session;

	run->client.running = false;
	if (session->request.phase != HS_CLIENT_IDLE)
		client_abandon(run, &session->request, now_ms);
	if (session->established)
		client_log_session(run, now_ms, "closed", "the client stopped");
	client_session_close(run);
}

void hs_client_verify_start(struct hs_run *run, int64_t now_ms)
{
	struct hs_client *client = &run->client;

	hs_client_stop(run, now_ms);
	client_abandon(run, &client->put, now_ms);
	for (int i = 0; i < HS_CLIENT_PROBES_MAX; i++)
		client_abandon(run, &client->probes[i], now_ms);
	client->verifying = true;
	client->verify_index = 0;
	client->next_request_ms = now_ms;
}

bool hs_client_verify_done(const struct hs_run *run)
{
	const struct hs_client *client = &run->client;
	uint32_t index = client->verify_index;

	while (index < HS_CLIENT_KEYS && client->acked_number[index] == 0)
		index++;
	return index >= HS_CLIENT_KEYS;
}

void hs_client_verify_abandon(struct hs_run *run, int64_t now_ms)
{
	struct hs_client *client = &run->client;

	client_abandon(run, &client->put, now_ms);
	for (; client->verify_index < HS_CLIENT_KEYS; client->verify_index++)
		if (client->acked_number[client->verify_index] != 0)
			client_log_verify(run, now_ms, client->verify_index, false,
					  "(cluster unreachable)");
	client->verifying = false;
}

void hs_client_close(struct hs_run *run)
{
	struct hs_client *client = &run->client;

	if (!client_virtual(run)) {
		if (client->put.phase != HS_CLIENT_IDLE && client->put.fd >= 0)
			close(client->put.fd);
		for (int i = 0; i < HS_CLIENT_PROBES_MAX; i++)
			if (client->probes[i].phase != HS_CLIENT_IDLE && client->probes[i].fd >= 0)
				close(client->probes[i].fd);
		client_session_close(run);
	}
	request_reset(&client->put);
	for (int i = 0; i < HS_CLIENT_PROBES_MAX; i++)
		request_reset(&client->probes[i]);
	if (client->log)
		fclose(client->log);
	if (client->session_log)
		fclose(client->session_log);
	client->log = client->session_log = NULL;
}
