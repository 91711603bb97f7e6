/*
 * hsfabric.c - a fabric built from the command line, run until SIGTERM.
 *
 * For the fabric's own tests and for engineers debugging a topology by
 * hand. Options build the topology in the order given:
 *
 *   hsfabric [--seed N] [--log FILE] [--control PATH]
 *            --switch NAME
 *            --tap NAME:IFNAME            TAP device created here (move it with ip link set ..
 * netns)
 *            --udp NAME:LOCALPORT:REMOTEPORT   UDP tunnel on 127.0.0.1 (LOCALPORT 0 = pick)
 *            --cable CABLE:ENDPOINT:SWITCH     a second cable on an endpoint makes a bond
 *            --trunk CABLE:SWITCH_A:SWITCH_B
 *            --uplink NAME:CABLE:SWITCH        libslirp: gateway and ping target 192.0.2.1
 *            --forward UPLINK:HOSTPORT:GUESTIP:GUESTPORT  TCP 127.0.0.1:HOSTPORT (0 = pick)
 *
 * Once built it prints one line per UDP endpoint ("udp NAME 127.0.0.1:PORT")
 * and per forward ("forward UPLINK 127.0.0.1:PORT GUESTIP:GUESTPORT"), then
 * "ready", and reads commands, one per line, from stdin and from clients of
 * the --control Unix socket. Each command gets one reply line, "ok [data]"
 * or "error MESSAGE"; text after " -- " is the reason written to the log:
 *
 *   link CABLE up|down [to_switch|from_switch|both]
 *   impair CABLE to_switch|from_switch|both [loss=PCT] [delay=MS] [jitter=MS] [dup=PCT]
 *   partition FROM[,FROM..] TO[,TO..]        -> ok RULE
 *   heal RULE|all
 *   power SWITCH on|off
 *   carrier ENDPOINT                         -> ok up|down
 *   active ENDPOINT                          -> ok CABLE
 *   counters                                 -> ok {json}
 *   quit
 *
 * Carrier changes are printed to stderr ("carrier NAME up|down"). At EOF
 * on stdin the tool keeps running; SIGTERM, SIGINT or "quit" end it, and
 * the TAP devices vanish with their fds.
 */
#include "fabric.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HSF_LINE_MAX	512
#define HSF_CLIENTS_MAX 4
#define HSF_TOKENS_MAX	12
#define HSF_POLLFDS_MAX 256

struct hsf_reader {
	int fd; /* -1 = unused */
	char buf[HSF_LINE_MAX];
	size_t used;
};

struct hsf_state {
	struct hs_fabric *fabric;
	int listen_fd;
	const char *control_path;
	struct hsf_reader stdin_reader;
	struct hsf_reader clients[HSF_CLIENTS_MAX];
	bool quit;
};

static volatile sig_atomic_t hsf_stop;

static void hsf_on_signal(int signo)
{
	(void)signo;
	hsf_stop = 1;
}

/* -------------------------------------------------------------- options */

/* Splits s (modified) at ':' into at most max fields; returns the count. */
static int hsf_split(char *s, char **fields, int max, char sep)
{
	int count = 0;

	while (count < max) {
		char *next = strchr(s, sep);

		fields[count++] = s;
		if (next == NULL)
			break;
		*next = '\0';
		s = next + 1;
	}
	return count;
}

static int hsf_port_parse(const char *text, uint16_t *port)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (*text == '\0' || *end != '\0' || value < 0 || value > 65535)
		return -1;
	*port = (uint16_t)value;
	return 0;
}

static int hsf_option_udp(struct hs_fabric *fabric, char **f, int n)
{
	uint16_t local, remote, bound = 0;

	if (n != 3 || hsf_port_parse(f[1], &local) < 0 || hsf_port_parse(f[2], &remote) < 0) {
		fprintf(stderr, "hsfabric: --udp wants NAME:LOCALPORT:REMOTEPORT\n");
		return -1;
	}
	if (hs_fabric_endpoint_add_udp(fabric, f[0], local, remote, &bound) < 0)
		return -1;
	printf("udp %s 127.0.0.1:%u\n", f[0], bound);
	return 0;
}

static int hsf_option_forward(struct hs_fabric *fabric, char **f, int n)
{
	uint16_t host, guest, bound = 0;

	if (n != 4 || hsf_port_parse(f[1], &host) < 0 || hsf_port_parse(f[3], &guest) < 0) {
		fprintf(stderr, "hsfabric: --forward wants UPLINK:HOSTPORT:GUESTIP:GUESTPORT\n");
		return -1;
	}
	if (hs_fabric_uplink_forward_add(fabric, f[0], host, f[2], guest, &bound) < 0)
		return -1;
	printf("forward %s 127.0.0.1:%u %s:%u\n", f[0], bound, f[2], guest);
	return 0;
}

/* Applies one topology option; returns -1 with a message printed. */
static int hsf_option_apply(struct hs_fabric *fabric, const char *option, char *arg)
{
	char *f[4];
	int n = hsf_split(arg, f, 4, ':');
	int rc = -1;

	if (strcmp(option, "switch") == 0 && n == 1)
		rc = hs_fabric_switch_add(fabric, f[0]);
	else if (strcmp(option, "tap") == 0 && n == 2)
		rc = hs_fabric_endpoint_add_tap(fabric, f[0], f[1]);
	else if (strcmp(option, "udp") == 0)
		return hsf_option_udp(fabric, f, n);
	else if (strcmp(option, "cable") == 0 && n == 3)
		rc = hs_fabric_cable_add(fabric, f[0], f[1], f[2]);
	else if (strcmp(option, "trunk") == 0 && n == 3)
		rc = hs_fabric_trunk_add(fabric, f[0], f[1], f[2]);
	else if (strcmp(option, "uplink") == 0 && n == 3)
		rc = hs_fabric_uplink_add(fabric, f[0], f[1], f[2]);
	else if (strcmp(option, "forward") == 0)
		return hsf_option_forward(fabric, f, n);
	else {
		fprintf(stderr, "hsfabric: --%s: wrong number of ':' fields\n", option);
		return -1;
	}
	if (rc < 0)
		fprintf(stderr, "hsfabric: --%s: %s\n", option, hs_fabric_error(fabric));
	return rc;
}

/* ------------------------------------------------------------- commands */

static int hsf_dir_parse(const char *text, enum hs_dir *dir)
{
	if (text == NULL || strcmp(text, "both") == 0)
		*dir = HS_DIR_BOTH;
	else if (strcmp(text, "to_switch") == 0)
		*dir = HS_DIR_TO_SWITCH;
	else if (strcmp(text, "from_switch") == 0)
		*dir = HS_DIR_FROM_SWITCH;
	else
		return -1;
	return 0;
}

static int hsf_impair_parse(char **tok, int n, struct hs_impair *impair)
{
	memset(impair, 0, sizeof(*impair));
	for (int i = 0; i < n; i++) {
		char *eq = strchr(tok[i], '=');
		char *end;
		double value;

		if (eq == NULL)
			return -1;
		*eq = '\0';
		value = strtod(eq + 1, &end);
		if (*end != '\0' || eq[1] == '\0' || value < 0)
			return -1;
		if (strcmp(tok[i], "loss") == 0)
			impair->loss_pct = value;
		else if (strcmp(tok[i], "delay") == 0)
			impair->delay_ms = (uint32_t)value;
		else if (strcmp(tok[i], "jitter") == 0)
			impair->jitter_ms = (uint32_t)value;
		else if (strcmp(tok[i], "dup") == 0)
			impair->dup_pct = value;
		else
			return -1;
	}
	return 0;
}

static int hsf_cmd_quit(struct hsf_state *st)
{
	st->quit = true;
	return 0;
}

static int hsf_usage_error(char *reply, size_t cap, const char *command)
{
	snprintf(reply, cap, "error unknown command or bad arguments: %s", command);
	return -1;
}

static int hsf_cmd_partition(struct hs_fabric *fabric, char **tok, int n, const char *reason,
			     char *reply, size_t cap)
{
	char *from[HS_FABRIC_ENDPOINTS_MAX], *to[HS_FABRIC_ENDPOINTS_MAX];
	int from_count, to_count, rule;

	if (n != 3)
		return hsf_usage_error(reply, cap, "partition FROM[,FROM..] TO[,TO..]");
	from_count = hsf_split(tok[1], from, HS_FABRIC_ENDPOINTS_MAX, ',');
	to_count = hsf_split(tok[2], to, HS_FABRIC_ENDPOINTS_MAX, ',');
	rule = hs_fabric_partition_add(fabric, (const char *const *)from, (size_t)from_count,
				       (const char *const *)to, (size_t)to_count,
				       hs_fabric_now_ms(), reason);
	if (rule < 0)
		return -1;
	snprintf(reply, cap, "ok %d", rule);
	return 0;
}

static int hsf_cmd_state(struct hs_fabric *fabric, char **tok, int n, char *reply, size_t cap)
{
	bool up;
	const char *cable;

	if (n != 2)
		return hsf_usage_error(reply, cap, tok[0]);
	if (strcmp(tok[0], "carrier") == 0) {
		if (hs_fabric_endpoint_carrier_get(fabric, tok[1], &up) < 0)
			return -1;
		snprintf(reply, cap, "ok %s", up ? "up" : "down");
		return 0;
	}
	if (hs_fabric_endpoint_active_cable(fabric, tok[1], &cable) < 0)
		return -1;
	snprintf(reply, cap, "ok %s", cable);
	return 0;
}

static int hsf_cmd_counters(struct hs_fabric *fabric, char *reply, size_t cap)
{
	FILE *out = fmemopen(reply, cap, "w");
	size_t length;

	if (out == NULL) {
		snprintf(reply, cap, "error counters: %s", strerror(errno));
		return -1;
	}
	fprintf(out, "ok ");
	hs_fabric_counters_write_json(fabric, out);
	fclose(out);
	length = strlen(reply);
	if (length > 0 && reply[length - 1] == '\n')
		reply[length - 1] = '\0';
	return 0;
}

/* Runs one command line; writes the reply line (without newline). */
static void hsf_command_run(struct hsf_state *st, char *line, char *reply, size_t cap)
{
	struct hs_fabric *fabric = st->fabric;
	char *reason = strstr(line, " -- ");
	char *tok[HSF_TOKENS_MAX];
	int n = 0, rc = -1;
	int64_t now_ms = hs_fabric_now_ms();
	enum hs_dir dir;
	struct hs_impair impair;

	if (reason != NULL) {
		*reason = '\0';
		reason += 4;
	} else {
		reason = "hsfabric control";
	}
	for (char *save = NULL, *t = strtok_r(line, " \t\r", &save); t && n < HSF_TOKENS_MAX;
	     t = strtok_r(NULL, " \t\r", &save))
		tok[n++] = t;
	snprintf(reply, cap, "ok");
	if (n == 0) {
		snprintf(reply, cap, "error empty command");
		return;
	}
	if (strcmp(tok[0], "link") == 0 && (n == 3 || n == 4) &&
	    (strcmp(tok[2], "up") == 0 || strcmp(tok[2], "down") == 0) &&
	    hsf_dir_parse(n == 4 ? tok[3] : NULL, &dir) == 0)
		rc = hs_fabric_cable_link_set(fabric, tok[1], dir, strcmp(tok[2], "up") == 0,
					      now_ms, reason);
	else if (strcmp(tok[0], "impair") == 0 && n >= 3 && hsf_dir_parse(tok[2], &dir) == 0 &&
		 hsf_impair_parse(tok + 3, n - 3, &impair) == 0)
		rc = hs_fabric_cable_impair(fabric, tok[1], dir, &impair, now_ms, reason);
	else if (strcmp(tok[0], "partition") == 0)
		rc = hsf_cmd_partition(fabric, tok, n, reason, reply, cap);
	else if (strcmp(tok[0], "heal") == 0 && n == 2)
		rc = hs_fabric_partition_heal(
		    fabric, strcmp(tok[1], "all") == 0 ? -1 : atoi(tok[1]), now_ms, reason);
	else if (strcmp(tok[0], "power") == 0 && n == 3 &&
		 (strcmp(tok[2], "on") == 0 || strcmp(tok[2], "off") == 0))
		rc = hs_fabric_switch_power_set(fabric, tok[1], strcmp(tok[2], "on") == 0, now_ms,
						reason);
	else if (strcmp(tok[0], "carrier") == 0 || strcmp(tok[0], "active") == 0)
		rc = hsf_cmd_state(fabric, tok, n, reply, cap);
	else if (strcmp(tok[0], "counters") == 0 && n == 1)
		rc = hsf_cmd_counters(fabric, reply, cap);
	else if (strcmp(tok[0], "quit") == 0 && n == 1)
		rc = hsf_cmd_quit(st);
	else
		rc = hsf_usage_error(reply, cap, tok[0]);
	if (rc < 0 && strncmp(reply, "error", 5) != 0)
		snprintf(reply, cap, "error %s", hs_fabric_error(fabric));
}

/* ------------------------------------------------------------ control io */

static void hsf_reply_write(int fd, const char *reply)
{
	size_t length = strlen(reply);
	char line[8192];

	/* One write per reply so lines from several clients never interleave. */
	if (length + 2 > sizeof(line))
		length = sizeof(line) - 2;
	memcpy(line, reply, length);
	line[length] = '\n';
	if (write(fd, line, length + 1) < 0) {
		/* the client left: nothing to do */
	}
}

/* Reads what is there; runs complete lines. Returns -1 at EOF or error. */
static int hsf_reader_run(struct hsf_state *st, struct hsf_reader *r, int out_fd)
{
	char reply[8192];
	ssize_t got = read(r->fd, r->buf + r->used, sizeof(r->buf) - 1 - r->used);
	char *newline;

	if (got <= 0)
		return got < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	r->used += (size_t)got;
	r->buf[r->used] = '\0';
	while ((newline = strchr(r->buf, '\n')) != NULL) {
		*newline = '\0';
		hsf_command_run(st, r->buf, reply, sizeof(reply));
		hsf_reply_write(out_fd, reply);
		r->used -= (size_t)(newline + 1 - r->buf);
		memmove(r->buf, newline + 1, r->used + 1);
	}
	if (r->used == sizeof(r->buf) - 1) {
		hsf_reply_write(out_fd, "error line too long");
		r->used = 0; /* a line longer than the buffer is discarded */
	}
	return 0;
}

static int hsf_control_listen(struct hsf_state *st, const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "hsfabric: control socket path too long: %s\n", path);
		return -1;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	st->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (st->listen_fd < 0 || bind(st->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(st->listen_fd, HSF_CLIENTS_MAX) < 0) {
		fprintf(stderr, "hsfabric: control socket %s: %s\n", path, strerror(errno));
		return -1;
	}
	st->control_path = path;
	return 0;
}

static void hsf_control_accept(struct hsf_state *st)
{
	int fd = accept4(st->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < HSF_CLIENTS_MAX; i++) {
		if (st->clients[i].fd < 0) {
			st->clients[i].fd = fd;
			st->clients[i].used = 0;
			return;
		}
	}
	hsf_reply_write(fd, "error too many control clients");
	close(fd);
}

/* ------------------------------------------------------------------ loop */

static void hsf_carrier_events_print(struct hs_fabric *fabric)
{
	struct hs_carrier_event event;

	while (hs_fabric_carrier_event_pop(fabric, &event) == 1)
		fprintf(stderr, "carrier %s %s\n", event.endpoint, event.up ? "up" : "down");
}

/* Polls the fabric's fds, then stdin, the listener and the clients. */
static int hsf_loop_round(struct hsf_state *st)
{
	struct pollfd fds[HSF_POLLFDS_MAX];
	int timeout_ms = -1;
	int64_t now_ms = hs_fabric_now_ms();
	int n = hs_fabric_pollfds_fill(st->fabric, fds, HSF_POLLFDS_MAX - 2 - HSF_CLIENTS_MAX,
				       now_ms, &timeout_ms);
	size_t total;

	if (n < 0) {
		fprintf(stderr, "hsfabric: %s\n", hs_fabric_error(st->fabric));
		return -1;
	}
	total = (size_t)n;
	fds[total++] = (struct pollfd){.fd = st->stdin_reader.fd, .events = POLLIN};
	fds[total++] = (struct pollfd){.fd = st->listen_fd, .events = POLLIN};
	for (int i = 0; i < HSF_CLIENTS_MAX; i++)
		fds[total++] = (struct pollfd){.fd = st->clients[i].fd, .events = POLLIN};
	if (poll(fds, total, timeout_ms) < 0 && errno != EINTR) {
		fprintf(stderr, "hsfabric: poll: %s\n", strerror(errno));
		return -1;
	}
	hs_fabric_pollfds_handle(st->fabric, fds, (size_t)n, hs_fabric_now_ms());
	if (fds[n].revents && hsf_reader_run(st, &st->stdin_reader, STDOUT_FILENO) < 0)
		st->stdin_reader.fd = -1; /* EOF: keep running until a signal */
	if (fds[n + 1].revents & POLLIN)
		hsf_control_accept(st);
	for (int i = 0; i < HSF_CLIENTS_MAX; i++) {
		struct hsf_reader *c = &st->clients[i];

		if (fds[n + 2 + i].revents && c->fd >= 0 && hsf_reader_run(st, c, c->fd) < 0) {
			close(c->fd);
			c->fd = -1;
		}
	}
	hsf_carrier_events_print(st->fabric);
	return 0;
}

static int hsf_options_parse(int argc, char **argv, struct hs_fabric_config *config,
			     const char **control_path)
{
	static const struct option options[] = {
	    {"seed", required_argument, NULL, 'S'},
	    {"log", required_argument, NULL, 'L'},
	    {"control", required_argument, NULL, 'C'},
	    {"switch", required_argument, NULL, 's'},
	    {"tap", required_argument, NULL, 't'},
	    {"udp", required_argument, NULL, 'u'},
	    {"cable", required_argument, NULL, 'c'},
	    {"trunk", required_argument, NULL, 'k'},
	    {"uplink", required_argument, NULL, 'p'},
	    {"forward", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	/* First pass: only what the fabric needs at creation. */
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt == '?')
			return -1;
		if (opt == 'S')
			config->seed = strtoull(optarg, NULL, 0);
		else if (opt == 'L')
			config->fault_log_path = optarg;
		else if (opt == 'C')
			*control_path = optarg;
	}
	if (optind < argc) {
		fprintf(stderr, "hsfabric: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int hsf_topology_build(int argc, char **argv, struct hs_fabric *fabric)
{
	for (int i = 1; i + 1 < argc; i++) {
		const char *option = argv[i] + 2;

		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		if (strcmp(option, "seed") == 0 || strcmp(option, "log") == 0 ||
		    strcmp(option, "control") == 0) {
			i++;
			continue;
		}
		if (hsf_option_apply(fabric, option, argv[++i]) < 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct hs_fabric_config config;
	struct hsf_state st = {.listen_fd = -1};
	struct sigaction sa = {.sa_handler = hsf_on_signal};
	const char *control_path = NULL;
	int rc = 1;

	hs_fabric_config_default(&config);
	if (hsf_options_parse(argc, argv, &config, &control_path) < 0)
		return 2;
	st.stdin_reader.fd = STDIN_FILENO;
	for (int i = 0; i < HSF_CLIENTS_MAX; i++)
		st.clients[i].fd = -1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	st.fabric = hs_fabric_new(&config);
	if (st.fabric == NULL)
		goto cleanup;
	if (hsf_topology_build(argc, argv, st.fabric) < 0)
		goto cleanup;
	if (control_path != NULL && hsf_control_listen(&st, control_path) < 0)
		goto cleanup;
	printf("ready\n");
	while (!hsf_stop && !st.quit)
		if (hsf_loop_round(&st) < 0)
			goto cleanup;
	rc = 0;
cleanup:
	for (int i = 0; i < HSF_CLIENTS_MAX; i++)
		if (st.clients[i].fd >= 0)
			close(st.clients[i].fd);
	if (st.listen_fd >= 0)
		close(st.listen_fd);
	if (st.control_path != NULL)
		unlink(st.control_path);
	hs_fabric_free(st.fabric);
	return rc;
}
