/*
 * vm_agent.c - the channel to a guest's agent (sim/guest/hnagent.c): a
 * virtio-serial port, a Unix socket on the host, in the runner's poll loop.
 *
 * The agent streams the node's cluster log ("LOG <record>"), answers clock
 * samples ("SYNC"), relays its node's fence requests ("FENCE <peer>") and
 * answers requests one at a time, in order ("OK ...", "ERR ...", or "OUT"
 * lines up to "END <status>"). Requests wait in a queue per guest; the
 * first goes on the wire when the channel is open, and its answer ends it:
 * a report to the runner (the outcome of its operation), a step of a RAID
 * change, or nothing (a fence answer to the guest). A request without an
 * answer within VM_REPLY_TIMEOUT_MS fails, and the channel is opened again
 * so that a late answer is never taken for the next request's. Nothing
 * here waits: connecting, writing and reading are non-blocking.
 *
 * Each log line's guest time is mapped onto the host's monotonic clock
 * (guest_clock.h, from SYNC samples every VM_CLOCK_SYNC_MS; the guest's own
 * time is kept as guest_mono_ms and the arrival as arrived_ms, the
 * mapping's uncertainty as clock_error_ms), so one clock orders every event
 * of the run by when it happened, not by when its line crossed its channel.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm.h"

/* ------------------------------------------------------------ requests */

static void agent_report(struct hs_run *run, struct vm_node *vm,
			 const struct vm_agent_request *request, bool ok, const char *text)
{
	struct hs_report report = {
	    .kind = HS_REPORT_DONE, .node = vm->index, .op = request->op, .ok = ok, .text = text};

	if (request->purpose == VM_AGENT_REPORT)
		hs_run_report(run, &report);
	else if (request->purpose == VM_AGENT_RAID)
		vm_raid_step_done(run, vm, ok, text);
}

/* The first request ended (ok with its answer, or failed with a sentence). */
static void agent_complete(struct hs_run *run, struct vm_node *vm, bool ok, const char *text)
{
	struct vm_agent_request request;

	if (vm->request_count == 0)
		return;
	request = vm->requests[vm->request_first];
	vm->request_first = (vm->request_first + 1) % VM_AGENT_REQUESTS_MAX;
	vm->request_count--;
	vm->request_sent = false;
	vm->out_length = 0;
	vm->out[0] = '\0';
	agent_report(run, vm, &request, ok, text);
}

int vm_agent_submit(struct hs_run *run, struct vm_node *vm, enum vm_agent_purpose purpose,
		    uint64_t op, const char *line, char *error, size_t error_size)
{
	struct vm_agent_request *request;

	if (vm->request_count >= VM_AGENT_REQUESTS_MAX) {
		snprintf(error, error_size, "agent of %s: %d requests wait already", vm->spec.name,
			 VM_AGENT_REQUESTS_MAX);
		return -1;
	}
	request = &vm->requests[(vm->request_first + vm->request_count) % VM_AGENT_REQUESTS_MAX];
	request->purpose = purpose;
	request->op = op;
	snprintf(request->line, sizeof(request->line), "%s", line);
	/* The deadline counts from now: a guest still booting answers late. */
	request->deadline_ms = hs_now_ms() + VM_REPLY_TIMEOUT_MS;
	vm->request_count++;
	(void)run;
	return 0;
}

void vm_agent_fail_all(struct hs_run *run, struct vm_node *vm, const char *why)
{
	char text[600];

	while (vm->request_count > 0) {
		snprintf(text, sizeof(text), "agent of %s: '%s': %s", vm->spec.name,
			 vm->requests[vm->request_first].line, why);
		agent_complete(run, vm, false, text);
	}
}

void vm_agent_close(struct hs_run *run, struct vm_node *vm, const char *why)
{
	char text[600];

	if (vm->agent_fd >= 0)
		close(vm->agent_fd);
	vm->agent_fd = -1;
	vm->line_length = 0;
	hs_guest_clock_reset(&vm->clock); /* a new connection may be a new boot */
	vm->next_sync_ms = 0;
	/* A request on the wire has no answer to come: it fails (sending it
	 * again could do twice what it does); the others wait. */
	if (vm->request_sent && vm->request_count > 0) {
		snprintf(text, sizeof(text), "agent of %s: '%s': %s", vm->spec.name,
			 vm->requests[vm->request_first].line, why);
		agent_complete(run, vm, false, text);
	}
}

static void agent_connect(struct vm_node *vm, int64_t now_ms)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};

	if (vm->agent_fd >= 0 || now_ms < vm->next_connect_ms)
		return;
	vm->next_connect_ms = now_ms + VM_CONNECT_RETRY_MS;
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", vm->spec.agent_socket_path);
	vm->agent_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (vm->agent_fd >= 0 &&
	    connect(vm->agent_fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		close(vm->agent_fd);
		vm->agent_fd = -1;
	}
}

/* The first request on the wire, once the channel is open. */
static void agent_send_next(struct hs_run *run, struct vm_node *vm)
{
	const struct vm_agent_request *request = &vm->requests[vm->request_first];
	char line[VM_AGENT_REQUEST_MAX + 2];
	int length;

	if (vm->agent_fd < 0 || vm->request_sent || vm->request_count == 0)
		return;
	length = snprintf(line, sizeof(line), "%s\n", request->line);
	if (send(vm->agent_fd, line, (size_t)length, MSG_NOSIGNAL | MSG_DONTWAIT) != length) {
		vm_agent_close(run, vm, "the channel broke");
		return;
	}
	vm->request_sent = true;
}

/* ------------------------------------------------------------ the lines */

/* A cluster-log line from the guest: its time mapped onto the host's clock. */
static void agent_log_line(struct vm_node *vm, const char *text, int64_t now_ms)
{
	json_t *record = json_loads(text, 0, NULL);
	json_t *guest_mono;
	char *dumped;

	if (!vm->log)
		return;
	if (!record) {
		fprintf(vm->log, "%s\n", text); /* the checker reports it with file:line */
		fflush(vm->log);
		return;
	}
	guest_mono = json_object_get(record, "mono_ms");
	json_object_set(record, "guest_mono_ms", guest_mono);
	json_object_set_new(
	    record, "mono_ms",
	    json_integer(
		json_is_integer(guest_mono)
		    ? hs_guest_clock_map(&vm->clock, json_integer_value(guest_mono), now_ms)
		    : now_ms));
	json_object_set_new(record, "arrived_ms", json_integer(now_ms));
	if (vm->clock.valid) /* the mapped time is known to +- this */
		json_object_set_new(record, "clock_error_ms",
				    json_integer((vm->clock.round_trip_ms + 1) / 2));
	dumped = json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (dumped) {
		fprintf(vm->log, "%s\n", dumped);
		fflush(vm->log);
		free(dumped);
	}
	json_decref(record);
}

/* An answer line to the first request: OUT lines gather, END/OK/ERR end it. */
static void agent_answer_line(struct hs_run *run, struct vm_node *vm, const char *line)
{
	char text[HS_REPORT_TEXT_MAX];
	const char *request = vm->request_count ? vm->requests[vm->request_first].line : "";

	if (!vm->request_sent)
		return; /* nobody asked: an answer to a request that timed out */
	if (strncmp(line, "OUT ", 4) == 0) {
		int added = snprintf(vm->out + vm->out_length, sizeof(vm->out) - vm->out_length,
				     "%s%s", vm->out_length ? "\n" : "", line + 4);
		if (added > 0)
			vm->out_length += (size_t)added;
		if (vm->out_length >= sizeof(vm->out))
			vm->out_length = sizeof(vm->out) - 1;
		return;
	}
	if (strncmp(line, "END ", 4) == 0) {
		bool ok = atoi(line + 4) == 0;
		if (ok)
			snprintf(text, sizeof(text), "%s", vm->out);
		else
			snprintf(text, sizeof(text), "agent of %s: '%s' ended %s: %s",
				 vm->spec.name, request, line + 4, vm->out);
		agent_complete(run, vm, ok, text);
		return;
	}
	if (strncmp(line, "OK", 2) == 0) {
		agent_complete(run, vm, true, line);
		return;
	}
	snprintf(text, sizeof(text), "agent of %s: '%s': %s", vm->spec.name, request, line);
	agent_complete(run, vm, false, text);
}

static void agent_line(struct hs_run *run, struct vm_node *vm, const char *line, int64_t now_ms)
{
	long long sent_ms, guest_ms;

	if (strncmp(line, "LOG ", 4) == 0)
		agent_log_line(vm, line + 4, now_ms);
	else if (sscanf(line, "SYNC %lld mono_ms=%lld", &sent_ms, &guest_ms) == 2)
		hs_guest_clock_sample(&vm->clock, sent_ms, guest_ms, hs_now_ms());
	else if (strncmp(line, "FENCE ", 6) == 0)
		snprintf(vm->fence_peer, sizeof(vm->fence_peer), "%s", line + 6);
	else
		agent_answer_line(run, vm, line);
}

/* Everything the agent sent, line by line (bounded: an endless line is
 * dropped). */
static void agent_read(struct hs_run *run, struct vm_node *vm, int64_t now_ms)
{
	for (;;) {
		char *newline = memchr(vm->line, '\n', vm->line_length);
		ssize_t got;
		if (newline) {
			size_t length = (size_t)(newline - vm->line);
			*newline = '\0';
			agent_line(run, vm, vm->line, now_ms);
			if (vm->agent_fd < 0)
				return; /* the line closed the channel */
			memmove(vm->line, newline + 1, vm->line_length - length - 1);
			vm->line_length -= length + 1;
			continue;
		}
		if (vm->line_length == sizeof(vm->line))
			vm->line_length = 0;
		got = recv(vm->agent_fd, vm->line + vm->line_length,
			   sizeof(vm->line) - vm->line_length, MSG_DONTWAIT);
		if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
			vm_agent_close(run, vm, "the channel closed");
			return;
		}
		if (got < 0)
			return;
		vm->line_length += (size_t)got;
	}
}

/* ------------------------------------------------------------- the loop */

int vm_agent_pollfds(struct hs_run *run, struct vm_node *vm, struct pollfd *fds, int cap,
		     int64_t now_ms, int *timeout_ms)
{
	int64_t wait_ms;

	if (cap < 1 || !run->nodes[vm->index].powered)
		return 0;
	agent_connect(vm, now_ms);
	if (vm->request_count > 0) {
		wait_ms = vm->requests[vm->request_first].deadline_ms - now_ms;
		if (*timeout_ms < 0 || wait_ms < *timeout_ms)
			*timeout_ms = wait_ms > 0 ? (int)wait_ms : 0;
	}
	if (vm->agent_fd < 0) {
		if (*timeout_ms < 0 || *timeout_ms > VM_CONNECT_RETRY_MS)
			*timeout_ms = VM_CONNECT_RETRY_MS;
		return 0;
	}
	agent_send_next(run, vm);
	/* A clock sample: the answer comes back as a SYNC line. */
	if (vm->agent_fd >= 0 && now_ms >= vm->next_sync_ms) {
		char sync[48];
		int length = snprintf(sync, sizeof(sync), "SYNC %lld\n", (long long)hs_now_ms());
		vm->next_sync_ms = now_ms + VM_CLOCK_SYNC_MS;
		if (send(vm->agent_fd, sync, (size_t)length, MSG_NOSIGNAL | MSG_DONTWAIT) != length)
			vm_agent_close(run, vm, "the channel broke");
	}
	if (vm->agent_fd < 0)
		return 0;
	wait_ms = vm->next_sync_ms - now_ms;
	if (*timeout_ms < 0 || wait_ms < *timeout_ms)
		*timeout_ms = wait_ms > 0 ? (int)wait_ms : 0;
	fds[0] = (struct pollfd){.fd = vm->agent_fd, .events = POLLIN};
	return 1;
}

void vm_agent_handle(struct hs_run *run, struct vm_node *vm, const struct pollfd *fds, int count,
		     int64_t now_ms)
{
	char text[600];

	for (int f = 0; f < count; f++)
		if (vm->agent_fd >= 0 && fds[f].fd == vm->agent_fd && fds[f].revents)
			agent_read(run, vm, now_ms);
	if (vm->request_count > 0 && now_ms >= vm->requests[vm->request_first].deadline_ms) {
		bool sent = vm->request_sent;
		snprintf(text, sizeof(text), "agent of %s: no answer to '%s' within %d ms",
			 vm->spec.name, vm->requests[vm->request_first].line, VM_REPLY_TIMEOUT_MS);
		agent_complete(run, vm, false, text);
		if (sent) /* a late answer must not be taken for the next request's */
			vm_agent_close(run, vm, "no answer");
	}
	agent_send_next(run, vm);
}
