/*
 * libvirt_console.c - hs_console_attach(): a terminal on a guest's serial
 * console through libvirt, for `hasim console`.
 *
 * The guest's serial port is a pty (libvirt_domain.c), where sim/guest/init
 * keeps a root shell. virDomainOpenConsole() connects a libvirt stream to
 * it; libvirt's default event loop then relays both ways, as virsh does:
 *
 *   input_fd --readable--> pending --stream writable--> guest ttyS0
 *   guest ttyS0 --stream readable--> output
 *
 * Input is read only while nothing is pending, so `pending` never
 * overflows and a slow stream holds back the reader instead of losing
 * bytes. A timer looks at *stop every HS_CONSOLE_STOP_POLL_MS, since
 * libvirt's poll restarts after a signal.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "libvirt_conn.h"
#include "libvirt_console.h"

struct console_session {
	virStreamPtr stream;
	int input_fd;
	FILE *output;
	int input_watch; /* -1 once input ended */
	char pending[4096];
	size_t pending_length;
	volatile sig_atomic_t *stop;
	bool done;
	char ended_by[256]; /* why the session ended, for the closing line */
	bool failed;
};

static void console_end(struct console_session *session, const char *reason, bool failed)
{
	if (session->done)
		return;
	session->done = true;
	snprintf(session->ended_by, sizeof(session->ended_by), "%s", reason);
	session->failed = failed;
}

/* Listen for what the stream can do now: writable only while bytes wait;
 * input only while nothing waits. */
static void console_events_update(struct console_session *session)
{
	int events = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP | VIR_STREAM_EVENT_ERROR;

	if (session->pending_length > 0)
		events |= VIR_STREAM_EVENT_WRITABLE;
	virStreamEventUpdateCallback(session->stream, events);
	if (session->input_watch >= 0)
		virEventUpdateHandle(session->input_watch,
				     session->pending_length > 0 ? 0 : VIR_EVENT_HANDLE_READABLE);
}

static void console_on_stream(virStreamPtr stream, int events, void *opaque)
{
	struct console_session *session = opaque;

	if (events & VIR_STREAM_EVENT_READABLE) {
		char buffer[4096];
		int got = virStreamRecv(stream, buffer, sizeof(buffer));
		if (got > 0 && (fwrite(buffer, 1, (size_t)got, session->output) != (size_t)got ||
				fflush(session->output) != 0))
			console_end(session, "output closed", false);
		else if (got == 0)
			console_end(session, "the guest's console closed", false);
		else if (got == -1)
			console_end(session, hs_libvirt_error_text(), true);
	}
	if ((events & VIR_STREAM_EVENT_WRITABLE) && session->pending_length > 0) {
		int sent = virStreamSend(stream, session->pending, session->pending_length);
		if (sent > 0) {
			session->pending_length -= (size_t)sent;
			memmove(session->pending, session->pending + sent, session->pending_length);
		} else if (sent == -1) {
			console_end(session, hs_libvirt_error_text(), true);
		}
	}
	if (events & (VIR_STREAM_EVENT_HANGUP | VIR_STREAM_EVENT_ERROR))
		console_end(session, "the guest's console hung up (powered off?)", false);
	if (!session->done)
		console_events_update(session);
}

static void console_on_input(int watch, int fd, int events, void *opaque)
{
	struct console_session *session = opaque;
	ssize_t got;
	char *escape;

	(void)events;
	got = read(fd, session->pending, sizeof(session->pending));
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (got <= 0) {
		/* End of input: the guest's output keeps coming. */
		virEventRemoveHandle(watch);
		session->input_watch = -1;
		return;
	}
	escape = memchr(session->pending, HS_CONSOLE_ESCAPE, (size_t)got);
	if (escape) {
		got = escape - session->pending;
		console_end(session, "escape character", false);
	}
	session->pending_length = (size_t)got;
	console_events_update(session);
}

static void console_on_timer(int timer, void *opaque)
{
	struct console_session *session = opaque;

	(void)timer;
	if (*session->stop)
		console_end(session, "interrupted", false);
}

/* Connect and find a running domain: 1 when there is none to attach to. */
static int console_domain_open(const char *uri, const char *domain_name, virConnectPtr *connection,
			       virDomainPtr *domain, char *error, size_t error_size)
{
	int state = VIR_DOMAIN_NOSTATE;

	if (uri == NULL || uri[0] == '\0')
		uri = hs_libvirt_uri();
	*connection = virConnectOpen(uri);
	if (!*connection) {
		snprintf(error, error_size, "%s does not answer: %s", uri, hs_libvirt_error_text());
		return 1;
	}
	*domain = virDomainLookupByName(*connection, domain_name);
	if (!*domain) {
		snprintf(error, error_size, "no domain %s on %s", domain_name, uri);
		return 1;
	}
	if (virDomainGetState(*domain, &state, NULL, 0) < 0 || state != VIR_DOMAIN_RUNNING) {
		snprintf(error, error_size, "domain %s is not running", domain_name);
		return 1;
	}
	return 0;
}

int hs_console_attach(const char *uri, const char *domain_name, int input_fd, FILE *output,
		      volatile sig_atomic_t *stop, char *error, size_t error_size)
{
	struct console_session session = {
	    .input_fd = input_fd, .output = output, .input_watch = -1, .stop = stop};
	virConnectPtr connection = NULL;
	virDomainPtr domain = NULL;
	struct termios saved_terminal, raw_terminal;
	bool terminal_raw = false, stream_callback = false;
	int timer = -1, result = -1;

	hs_libvirt_errors_silence();
	if (virEventRegisterDefaultImpl() < 0) {
		snprintf(error, error_size, "libvirt event loop: %s", hs_libvirt_error_text());
		goto cleanup;
	}
	result = console_domain_open(uri, domain_name, &connection, &domain, error, error_size);
	if (result != 0)
		goto cleanup;
	result = -1;
	session.stream = virStreamNew(connection, VIR_STREAM_NONBLOCK);
	if (!session.stream ||
	    virDomainOpenConsole(domain, NULL, session.stream, VIR_DOMAIN_CONSOLE_SAFE) < 0) {
		snprintf(error, error_size, "console of %s: %s (attached elsewhere?)", domain_name,
			 hs_libvirt_error_text());
		goto cleanup;
	}
	if (virStreamEventAddCallback(session.stream,
				      VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP |
					  VIR_STREAM_EVENT_ERROR,
				      console_on_stream, &session, NULL) < 0) {
		snprintf(error, error_size, "console stream: %s", hs_libvirt_error_text());
		goto cleanup;
	}
	stream_callback = true;
	session.input_watch = virEventAddHandle(input_fd, VIR_EVENT_HANDLE_READABLE,
						console_on_input, &session, NULL);
	timer = virEventAddTimeout(HS_CONSOLE_STOP_POLL_MS, console_on_timer, &session, NULL);
	if (session.input_watch < 0 || timer < 0) {
		snprintf(error, error_size, "libvirt event loop: %s", hs_libvirt_error_text());
		goto cleanup;
	}
	if (isatty(input_fd) && tcgetattr(input_fd, &saved_terminal) == 0) {
		raw_terminal = saved_terminal;
		cfmakeraw(&raw_terminal);
		terminal_raw = tcsetattr(input_fd, TCSAFLUSH, &raw_terminal) == 0;
	}
	fprintf(stderr, "hasim console: connected to %s; escape character is ^]\r\n", domain_name);
	while (!session.done && !*stop)
		if (virEventRunDefaultImpl() < 0) {
			console_end(&session, hs_libvirt_error_text(), true);
			break;
		}
	if (!session.done)
		console_end(&session, "interrupted", false);
	if (terminal_raw)
		tcsetattr(input_fd, TCSAFLUSH, &saved_terminal);
	terminal_raw = false;
	fprintf(stderr, "\nhasim console: %s: %s\n",
		session.failed ? "console failed" : "disconnected", session.ended_by);
	if (session.failed) {
		snprintf(error, error_size, "console of %s: %s", domain_name, session.ended_by);
		goto cleanup;
	}
	result = 0;
cleanup:
	if (terminal_raw)
		tcsetattr(input_fd, TCSAFLUSH, &saved_terminal);
	if (timer >= 0)
		virEventRemoveTimeout(timer);
	if (session.input_watch >= 0)
		virEventRemoveHandle(session.input_watch);
	if (stream_callback)
		virStreamEventRemoveCallback(session.stream);
	if (session.stream) {
		virStreamAbort(session.stream);
		virStreamFree(session.stream);
	}
	if (domain)
		virDomainFree(domain);
	if (connection)
		virConnectClose(connection);
	return result;
}
