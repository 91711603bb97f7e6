/*
 * client.c - the scenario's client workload: writes through the cluster IP.
 *
 * The client reaches the cluster the way a user would: a TCP connection to
 * the host side of the fabric's libslirp port forward, which leads to the
 * cluster IP on the external network, i.e. to whichever node is active. It
 * runs inside the runner's poll loop, non-blocking, one request at a time:
 * connect, "PUT k<n % 256> v<n>", wait for "OK <seq>" (bounded by a request
 * timeout), close. Every attempt is one line of client.jsonl, which the
 * checker turns into outage_ms.
 *
 * On a virtual-time backend the same client runs without a socket: the
 * backend carries each request line through its uplink model as frames to
 * whichever node the uplink's ARP cache names for the cluster IP, with
 * the costs of a TCP connection (virtual_uplink.c), and reports the reply
 * or the closed connection. Rate, one request at a time, the request
 * timeout, client.jsonl and the read-back are the same code.
 *
 * At the end the client reads every key back. A key's expected value is
 * its latest acknowledged write; a later write that failed on the client's
 * side may still have landed, so any value written at or after the latest
 * acknowledged one is correct. Anything else is a lost write.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run.h"

/* Short enough that a request lost in flight (a frame dropped when a switch
 * dies) costs about half a second of measured outage, not TCP's 1 s SYN
 * retransmission; long enough for a write replicated over a lossy link. */
#define CLIENT_REQUEST_TIMEOUT_MS 500
#define CLIENT_VERIFY_RETRY_MS	  200

static void client_log(struct hs_run *run, int64_t now_ms, const char *op, uint32_t number, bool ok,
		       const char *detail)
{
	struct hs_client *client = &run->client;
	uint32_t key = number % HS_CLIENT_KEYS;
	int64_t latency_ms = now_ms - client->request_started_ms;

	if (!client->log)
		return;
	if (strcmp(op, "put") == 0)
		fprintf(client->log,
			"{\"mono_ms\":%lld,\"op\":\"put\",\"key\":\"k%u\",\"value\":\"v%u\","
			"\"ok\":%s,\"%s\":\"%s\",\"latency_ms\":%lld}\n",
			(long long)now_ms, key, number, ok ? "true" : "false",
			ok ? "reply" : "error", detail, (long long)latency_ms);
	else
		fprintf(client->log,
			"{\"mono_ms\":%lld,\"op\":\"verify\",\"key\":\"k%u\",\"expected\":\"v%u\","
			"\"got\":\"%s\",\"ok\":%s}\n",
			(long long)now_ms, key, client->acked_number[key], detail,
			ok ? "true" : "false");
	fflush(client->log);
}

int hs_client_open(struct hs_run *run)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/client.jsonl", run->run_dir);
	run->client.fd = -1;
	run->client.next_number = 1;
	run->client.log = fopen(path, "w");
	if (!run->client.log) {
		hs_run_error_add(run, "hs_client_open: %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void hs_client_start(struct hs_run *run, int64_t now_ms)
{
	if (run->scenario.client.rate_per_s == 0)
		return;
	run->client.running = true;
	run->client.next_request_ms = now_ms;
}

static void client_close_request(struct hs_client *client)
{
	if (client->fd >= 0)
		close(client->fd);
	client->fd = -1;
	client->phase = HS_CLIENT_IDLE;
	client->reply_length = 0;
}

void hs_client_stop(struct hs_run *run)
{
	run->client.running = false;
}

static int64_t client_interval_ms(const struct hs_run *run)
{
	uint32_t rate = run->scenario.client.rate_per_s ? run->scenario.client.rate_per_s : 10;
	return 1000 / rate > 0 ? 1000 / rate : 1;
}

/* The next request: a PUT while running, a GET of the next acknowledged
 * key while verifying. Returns false when there is nothing to send. */
static bool client_next_request(struct hs_run *run, char *line, size_t size)
{
	struct hs_client *client = &run->client;

	if (client->verifying) {
		while (client->verify_index < HS_CLIENT_KEYS &&
		       client->acked_number[client->verify_index] == 0)
			client->verify_index++;
		if (client->verify_index >= HS_CLIENT_KEYS)
			return false;
		client->current_is_get = true;
		client->current_number = client->verify_index;
		snprintf(line, size, "GET k%u\n", client->verify_index);
		return true;
	}
	if (!client->running)
		return false;
	client->current_is_get = false;
	client->current_number = client->next_number++;
	client->attempted_number[client->current_number % HS_CLIENT_KEYS] = client->current_number;
	snprintf(line, size, "PUT k%u v%u\n", client->current_number % HS_CLIENT_KEYS,
		 client->current_number);
	return true;
}

static void client_connect(struct hs_run *run, int64_t now_ms)
{
	struct hs_client *client = &run->client;
	struct sockaddr_in address = {.sin_family = AF_INET};

	client->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (client->fd < 0)
		return;
	address.sin_port = htons(run->client_port);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	client->request_started_ms = now_ms;
	client->phase = HS_CLIENT_CONNECTING;
	if (connect(client->fd, (struct sockaddr *)&address, sizeof(address)) < 0 &&
	    errno != EINPROGRESS)
		client->phase = HS_CLIENT_IDLE; /* handled as a failure below */
}

/* A request ended (reply, error or timeout): log it and schedule the next. */
static void client_finish(struct hs_run *run, int64_t now_ms, bool ok, const char *detail)
{
	struct hs_client *client = &run->client;
	uint32_t number = client->current_number;

	if (client->current_is_get) {
		const char *got = strncmp(detail, "VALUE ", 6) == 0 ? detail + 6 : detail;
		uint32_t key = number, got_number = 0;
		bool correct = false;
		if (ok && got[0] == 'v' && sscanf(got + 1, "%u", &got_number) == 1)
			correct = got_number % HS_CLIENT_KEYS == key &&
				  got_number >= client->acked_number[key] &&
				  got_number <= client->attempted_number[key];
		if (ok) { /* a failed read is retried until the runner's deadline */
			client_log(run, now_ms, "verify", key, correct, got);
			client->verify_index++;
		}
		client->next_request_ms = now_ms + (ok ? 0 : CLIENT_VERIFY_RETRY_MS);
	} else {
		if (ok) {
			client->acked_number[number % HS_CLIENT_KEYS] = number;
			client->writes_acked++;
		} else {
			client->writes_failed++;
		}
		client_log(run, now_ms, "put", number, ok, detail);
		client->next_request_ms = client->request_started_ms + client_interval_ms(run);
	}
	client_close_request(client);
}

int hs_client_pollfd(struct hs_run *run, struct pollfd *fd, int64_t now_ms, int *timeout_ms)
{
	struct hs_client *client = &run->client;
	int64_t wait_ms;

	if (client->phase == HS_CLIENT_IDLE) {
		if (!client->running && !client->verifying)
			return 0;
		if (now_ms >= client->next_request_ms) {
			client_connect(run, now_ms);
			if (client->phase == HS_CLIENT_IDLE) {
				client->current_is_get = client->verifying;
				client_finish(run, now_ms, false, "connect failed");
				return 0;
			}
		} else {
			wait_ms = client->next_request_ms - now_ms;
			if (*timeout_ms < 0 || wait_ms < *timeout_ms)
				*timeout_ms = (int)wait_ms;
			return 0;
		}
	}
	if (now_ms - client->request_started_ms >= CLIENT_REQUEST_TIMEOUT_MS) {
		client_finish(run, now_ms, false, "timeout");
		return 0;
	}
	wait_ms = client->request_started_ms + CLIENT_REQUEST_TIMEOUT_MS - now_ms;
	if (*timeout_ms < 0 || wait_ms < *timeout_ms)
		*timeout_ms = (int)wait_ms;
	fd->fd = client->fd;
	fd->events = client->phase == HS_CLIENT_CONNECTING ? POLLOUT : POLLIN;
	fd->revents = 0;
	return 1;
}

static void client_send_request(struct hs_run *run, int64_t now_ms)
{
	struct hs_client *client = &run->client;
	char line[128];
	int socket_error = 0;
	socklen_t length = sizeof(socket_error);

	getsockopt(client->fd, SOL_SOCKET, SO_ERROR, &socket_error, &length);
	if (socket_error != 0) {
		client->current_is_get = client->verifying;
		client_finish(run, now_ms, false, strerror(socket_error));
		return;
	}
	if (!client_next_request(run, line, sizeof(line))) {
		client_close_request(client);
		return;
	}
	if (send(client->fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
		client_finish(run, now_ms, false, "send failed");
		return;
	}
	client->phase = HS_CLIENT_WAITING;
}

static void client_read_reply(struct hs_run *run, int64_t now_ms)
{
	struct hs_client *client = &run->client;
	size_t room = sizeof(client->reply) - 1 - client->reply_length;
	ssize_t got = recv(client->fd, client->reply + client->reply_length, room, 0);
	char *newline;

	if (got <= 0) {
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_finish(run, now_ms, false, got == 0 ? "connection closed" : strerror(errno));
		return;
	}
	client->reply_length += (size_t)got;
	client->reply[client->reply_length] = '\0';
	newline = strchr(client->reply, '\n');
	if (!newline) {
		if (client->reply_length == sizeof(client->reply) - 1)
			client_finish(run, now_ms, false, "reply too long");
		return;
	}
	*newline = '\0';
	if (client->current_is_get)
		client_finish(run, now_ms,
			      strncmp(client->reply, "VALUE ", 6) == 0 ||
				  strcmp(client->reply, "NOTFOUND") == 0,
			      client->reply);
	else
		client_finish(run, now_ms, strncmp(client->reply, "OK ", 3) == 0, client->reply);
}

void hs_client_handle(struct hs_run *run, short revents, int64_t now_ms)
{
	struct hs_client *client = &run->client;

	if (client->phase == HS_CLIENT_CONNECTING && (revents & (POLLOUT | POLLERR | POLLHUP)))
		client_send_request(run, now_ms);
	else if (client->phase == HS_CLIENT_WAITING && (revents & (POLLIN | POLLERR | POLLHUP)))
		client_read_reply(run, now_ms);
}

/* ------------------------------------------- the virtual transport */

int64_t hs_client_next_ms(const struct hs_run *run)
{
	const struct hs_client *client = &run->client;

	if (client->phase != HS_CLIENT_IDLE)
		return client->request_started_ms + CLIENT_REQUEST_TIMEOUT_MS;
	if (!client->running && !client->verifying)
		return -1;
	if (client->verifying && hs_client_verify_done(run))
		return -1;
	return client->next_request_ms;
}

/* Start the next request, or give up on the one in flight. */
void hs_client_due(struct hs_run *run, int64_t now_ms)
{
	const struct hs_backend_virtual_time *transport = run->backend->virtual_time;
	struct hs_client *client = &run->client;
	char line[128];

	if (client->phase != HS_CLIENT_IDLE) {
		if (now_ms - client->request_started_ms < CLIENT_REQUEST_TIMEOUT_MS)
			return;
		transport->client_abort(run, client->request_serial, now_ms);
		client_finish(run, now_ms, false, "timeout");
		return;
	}
	if ((!client->running && !client->verifying) || now_ms < client->next_request_ms)
		return;
	if (!client_next_request(run, line, sizeof(line)))
		return;
	client->request_started_ms = now_ms;
	client->phase = HS_CLIENT_WAITING;
	client->request_serial++;
	transport->client_send(run, client->request_serial, line, now_ms);
}

/* One reply line (without its newline) to request serial. */
void hs_client_reply(struct hs_run *run, uint64_t serial, const char *reply, int64_t now_ms)
{
	struct hs_client *client = &run->client;

	if (client->phase != HS_CLIENT_WAITING || serial != client->request_serial)
		return; /* an answer to a request the client gave up */
	if (client->current_is_get)
		client_finish(run, now_ms,
			      strncmp(reply, "VALUE ", 6) == 0 || strcmp(reply, "NOTFOUND") == 0,
			      reply);
	else
		client_finish(run, now_ms, strncmp(reply, "OK ", 3) == 0, reply);
}

/* Request serial's connection ended without a reply ("connection closed"). */
void hs_client_closed(struct hs_run *run, uint64_t serial, const char *detail, int64_t now_ms)
{
	struct hs_client *client = &run->client;

	if (client->phase != HS_CLIENT_WAITING || serial != client->request_serial)
		return;
	client_finish(run, now_ms, false, detail);
}

/* ------------------------------------------------------- read-back */

void hs_client_verify_start(struct hs_run *run, int64_t now_ms)
{
	run->client.running = false;
	if (run->client.phase != HS_CLIENT_IDLE && run->backend->virtual_time)
		run->backend->virtual_time->client_abort(run, run->client.request_serial, now_ms);
	if (run->client.phase != HS_CLIENT_IDLE)
		client_close_request(&run->client);
	run->client.verifying = true;
	run->client.verify_index = 0;
	run->client.next_request_ms = now_ms;
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

	for (; client->verify_index < HS_CLIENT_KEYS; client->verify_index++)
		if (client->acked_number[client->verify_index] != 0)
			client_log(run, now_ms, "verify", client->verify_index, false,
				   "(cluster unreachable)");
	client->verifying = false;
}

void hs_client_close(struct hs_run *run)
{
	client_close_request(&run->client);
	if (run->client.log)
		fclose(run->client.log);
	run->client.log = NULL;
}
