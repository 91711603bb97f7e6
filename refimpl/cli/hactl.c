/*
 * hactl.c - the operator's command line for hanode.
 *
 * hactl sends one request line over the node's control socket and prints
 * the JSON answer for people (or as is with --json). Commands:
 *
 *   hactl [-s SOCKET] status [--json]
 *   hactl maintenance on|off | switchover | disconnect | reconnect | disband | force-start
 *         (the admin commands, named by the core's one table: hn_admin_command_parse)
 *   hactl setting get KEY | setting set KEY VALUE
 *   hactl log [N]
 *   hactl create        (unpaired or standalone: a new cluster key; in a
 *                        cluster: a secret for a new node in place of its peer)
 *   hactl join --peer ADDRESS --secret SECRET [--port PORT] --yes
 *
 * Exit status: 0 success, 1 the node refused (or cannot be reached), 2 a
 * usage error. --help (anywhere) prints the usage and --version the
 * version, both exiting 0. `join` runs the pairing exchange itself (pairing.c): it asks
 * the local daemon for its identity, fetches the cluster key from the first
 * node, and hands the answer to the local daemon, so the daemon's loop
 * never blocks on the network.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hn_core.h"
#include "pairing.h"
#include "version.h"

#define HACTL_DEFAULT_SOCKET "/run/hanode/control.sock"
#define HACTL_ANSWER_MAX     (256 * 1024)
#define HACTL_TIMEOUT_MS     10000
#define HACTL_EXIT_REFUSED   1
#define HACTL_EXIT_USAGE     2

static char hactl_answer[HACTL_ANSWER_MAX];

/* ----------------------------------------------------- control socket */

static int hactl_read_line(int fd, char *answer, size_t answer_size)
{
	size_t used = 0;
	while (used + 1 < answer_size) {
		struct pollfd wait = {fd, POLLIN, 0};
		if (poll(&wait, 1, HACTL_TIMEOUT_MS) != 1)
			return -1;
		ssize_t got = recv(fd, answer + used, answer_size - used - 1, 0);
		if (got <= 0)
			break;
		used += (size_t)got;
		answer[used] = '\0';
		if (memchr(answer, '\n', used))
			break;
	}
	answer[used] = '\0';
	answer[strcspn(answer, "\n")] = '\0';
	return used ? 0 : -1;
}

/* Send request, store the answer line in hactl_answer. */
static int hactl_request(const char *socket_path, const char *request)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", socket_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int result = -1;
	if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
		fprintf(stderr, "hactl: cannot reach hanode at %s: %s\n", socket_path,
			strerror(errno));
		goto cleanup;
	}
	size_t length = strlen(request);
	if (send(fd, request, length, MSG_NOSIGNAL) != (ssize_t)length ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1 ||
	    hactl_read_line(fd, hactl_answer, sizeof(hactl_answer)) != 0) {
		fprintf(stderr, "hactl: no answer from hanode at %s\n", socket_path);
		goto cleanup;
	}
	result = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	return result;
}

/* ------------------------------------------------------- JSON reading */

/* The string value of "name" in json, unescaped into out; false if absent.
 * The daemon's answers use each such name once, at the top level. */
static bool hactl_json_string(const char *json, const char *name, char *out, size_t out_size)
{
	char pattern[64];
	snprintf(pattern, sizeof(pattern), "\"%s\":\"", name);
	const char *at = strstr(json, pattern);
	if (!at)
		return false;
	at += strlen(pattern);
	size_t used = 0;
	for (; *at && *at != '"' && used + 1 < out_size; at++) {
		char c = *at;
		if (c == '\\' && at[1]) {
			at++;
			c = *at == 'n' ? '\n' : *at == 't' ? '\t' : *at;
			if (*at == 'u' && strlen(at) >= 5) {
				unsigned code = (unsigned)strtoul(
				    (char[]){at[1], at[2], at[3], at[4], 0}, NULL, 16);
				c = code < 0x80 ? (char)code : '?';
				at += 4;
			}
		}
		out[used++] = c;
	}
	out[used] = '\0';
	return true;
}

static bool hactl_json_ok(const char *json)
{
	return strncmp(json, "{\"ok\":true", 10) == 0;
}

/* Print each object of the "lines" array on its own line. */
static void hactl_print_lines(const char *json)
{
	const char *at = strstr(json, "\"lines\":[");
	if (!at)
		return;
	at += 9;
	int depth = 0;
	bool in_string = false;
	for (; *at && !(depth == 0 && *at == ']'); at++) {
		if (depth == 0 && *at == ',')
			continue;
		putchar(*at);
		if (in_string) {
			if (*at == '\\' && at[1])
				putchar(*++at);
			else if (*at == '"')
				in_string = false;
		} else if (*at == '"') {
			in_string = true;
		} else if (*at == '{') {
			depth++;
		} else if (*at == '}' && --depth == 0) {
			putchar('\n');
		}
	}
}

/* Print the answer for people; returns the exit status. */
static int hactl_report(const char *json, const char *field)
{
	static char text[HACTL_ANSWER_MAX];
	if (!hactl_json_ok(json)) {
		if (!hactl_json_string(json, "error", text, sizeof(text)))
			snprintf(text, sizeof(text), "%s", json);
		fprintf(stderr, "hactl: refused: %s\n", text);
		return HACTL_EXIT_REFUSED;
	}
	if (field && hactl_json_string(json, field, text, sizeof(text)))
		printf("%s%s", text, text[0] && text[strlen(text) - 1] == '\n' ? "" : "\n");
	else if (hactl_json_string(json, "message", text, sizeof(text)))
		printf("%s\n", text);
	else
		printf("ok\n");
	return 0;
}

/* ----------------------------------------------------------- commands */

static int hactl_simple(const char *socket_path, const char *request, const char *field)
{
	if (hactl_request(socket_path, request) != 0)
		return HACTL_EXIT_REFUSED;
	return hactl_report(hactl_answer, field);
}

static int hactl_create(const char *socket_path)
{
	char secret[128], peer[64];
	if (hactl_request(socket_path, "pairing-secret") != 0)
		return HACTL_EXIT_REFUSED;
	if (!hactl_json_ok(hactl_answer) ||
	    !hactl_json_string(hactl_answer, "secret", secret, sizeof(secret)))
		return hactl_report(hactl_answer, NULL);
	if (!hactl_json_string(hactl_answer, "peer", peer, sizeof(peer)))
		snprintf(peer, sizeof(peer), "<this node's sync address>");
	printf("pairing secret: %s (valid once, for 10 minutes)\n", secret);
	printf("on the second node run: hactl join --peer %s --secret %s --yes\n", peer, secret);
	return 0;
}

struct hactl_join {
	const char *peer;
	const char *secret;
	unsigned port;
	bool confirmed;
};

static int hactl_join_options(int argc, char **argv, struct hactl_join *join)
{
	static const struct option options[] = {{"peer", required_argument, NULL, 'p'},
						{"secret", required_argument, NULL, 's'},
						{"port", required_argument, NULL, 'P'},
						{"yes", no_argument, NULL, 'y'},
						{NULL, 0, NULL, 0}};
	int option;
	memset(join, 0, sizeof(*join));
	optind = 1;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option == 'p')
			join->peer = optarg;
		else if (option == 's')
			join->secret = optarg;
		else if (option == 'P')
			join->port = (unsigned)strtoul(optarg, NULL, 10);
		else if (option == 'y')
			join->confirmed = true;
		else
			return -1;
	}
	return join->peer && join->secret && optind == argc ? 0 : -1;
}

static int hactl_join(const char *socket_path, int argc, char **argv)
{
	struct hactl_join join;
	uint8_t secret[HN_PAIRING_SECRET_BYTES];
	char request[HN_PAIRING_TEXT_MAX], answer[HN_PAIRING_TEXT_MAX], error[512];
	char line[HN_PAIRING_TEXT_MAX + 16];
	if (hactl_join_options(argc, argv, &join) != 0 ||
	    hn_pairing_secret_parse(join.secret, secret) != 0) {
		fprintf(stderr,
			"usage: hactl join --peer ADDRESS --secret SECRET [--port PORT] --yes\n"
			"  (SECRET: the 32 hex digits printed by hactl create)\n");
		return HACTL_EXIT_USAGE;
	}
	if (!join.confirmed) {
		fprintf(stderr, "hactl: join replaces this node's data with the first node's; "
				"confirm with --yes\n");
		return HACTL_EXIT_USAGE;
	}
	if (hactl_request(socket_path, "join-request") != 0)
		return HACTL_EXIT_REFUSED;
	if (!hactl_json_ok(hactl_answer) ||
	    !hactl_json_string(hactl_answer, "request", request, sizeof(request)))
		return hactl_report(hactl_answer, NULL);
	const char *port_at = strstr(hactl_answer, "\"pairing_port\":");
	unsigned pairing_port = join.port ? join.port
				: port_at ? (unsigned)strtoul(port_at + 15, NULL, 10)
					  : 7401;
	if (hn_pairing_fetch(join.peer, pairing_port, secret, request, answer, sizeof(answer),
			     error, sizeof(error)) != 0) {
		fprintf(stderr, "hactl: %s\n", error);
		return HACTL_EXIT_REFUSED;
	}
	if (strncmp(answer, "ok ", 3) != 0) {
		char reason[HN_PAIRING_TEXT_MAX];
		hn_pairing_word(answer, "reason", reason, sizeof(reason));
		fprintf(stderr, "hactl: join refused by %s: %s\n", join.peer, reason);
		return HACTL_EXIT_REFUSED;
	}
	snprintf(line, sizeof(line), "join-data %s", answer + 3);
	sodium_memzero(answer, sizeof(answer));
	int status = hactl_simple(socket_path, line, NULL);
	sodium_memzero(line, sizeof(line));
	return status;
}

static void hactl_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: hactl [-s SOCKET] COMMAND | --help | --version\n"
	    "  status [--json]                 roles, links, data sync, health, transitions\n"
	    "  maintenance on|off              hand over / rejoin after maintenance\n"
	    "  switchover                      move the active role to the standby\n"
	    "  disconnect | reconnect          freeze roles while the cluster link is cut\n"
	    "  disband                         dissolve the cluster (both nodes standalone)\n"
	    "  force-start                     stop waiting for the peer at start\n"
	    "  setting get KEY | setting set KEY VALUE   cluster-wide settings (active only)\n"
	    "  log [N]                         the last N cluster log records\n"
	    "  create                          draw a one-time pairing secret (a node without a\n"
	    "                                  key, or a standalone one: a new cluster key;\n"
	    "                                  the node keeps its data)\n"
	    "  join --peer ADDR --secret S --yes   join the cluster of ADDR\n"
	    "exit status: 0 ok, 1 refused by the node, 2 usage error\n");
}

/* The admin commands: their words joined ("maintenance on", "force-start"
 * or "force start"), named by the core's one table, sent by its name.
 * "setting set" has its own syntax and "shutdown" is not the operator's. */
static int hactl_fixed(const char *socket_path, int argc, char **argv)
{
	enum hn_admin_command command;
	char line[64] = "";
	for (int i = 0; i < argc; i++) {
		if (strlen(line) + strlen(argv[i]) + 2 > sizeof(line))
			return -1;
		strcat(line, i ? " " : "");
		strcat(line, argv[i]);
	}
	if (hn_admin_command_parse(line, &command) != 0 || command == HN_ADMIN_SETTING_SET ||
	    command == HN_ADMIN_SHUTDOWN)
		return -1;
	return hactl_simple(socket_path, hn_admin_command_name(command), NULL);
}

static int hactl_dispatch(const char *socket_path, int argc, char **argv)
{
	char line[1100];
	const char *command = argv[0];
	if (strcmp(command, "status") == 0 && argc <= 2) {
		bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
		if (argc == 2 && !json)
			return -1;
		if (hactl_request(socket_path, "status") != 0)
			return HACTL_EXIT_REFUSED;
		if (json) {
			printf("%s\n", hactl_answer);
			return hactl_json_ok(hactl_answer) ? 0 : HACTL_EXIT_REFUSED;
		}
		return hactl_report(hactl_answer, "text");
	}
	if (strcmp(command, "setting") == 0 && argc == 3 && strcmp(argv[1], "get") == 0) {
		snprintf(line, sizeof(line), "setting get %s", argv[2]);
		return hactl_simple(socket_path, line, "value");
	}
	if (strcmp(command, "setting") == 0 && argc == 4 && strcmp(argv[1], "set") == 0) {
		snprintf(line, sizeof(line), "setting set %s %s", argv[2], argv[3]);
		return hactl_simple(socket_path, line, NULL);
	}
	if (strcmp(command, "log") == 0 && argc <= 2) {
		snprintf(line, sizeof(line), "log %s", argc == 2 ? argv[1] : "20");
		if (hactl_request(socket_path, line) != 0)
			return HACTL_EXIT_REFUSED;
		if (!hactl_json_ok(hactl_answer))
			return hactl_report(hactl_answer, NULL);
		hactl_print_lines(hactl_answer);
		return 0;
	}
	if (strcmp(command, "create") == 0 && argc == 1)
		return hactl_create(socket_path);
	if (strcmp(command, "join") == 0)
		return hactl_join(socket_path, argc, argv);
	return hactl_fixed(socket_path, argc, argv);
}

/* --help or --version anywhere among the arguments: 0 and what was asked. */
static bool hactl_help_or_version(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			hactl_usage(stdout);
			return true;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("hactl (halab) %s, protocol %d\n", HN_VERSION, HN_PROTOCOL_VERSION);
			return true;
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	const char *socket_path = getenv("HANODE_SOCKET");
	int first = 1;
	if (!socket_path)
		socket_path = HACTL_DEFAULT_SOCKET;
	if (hactl_help_or_version(argc, argv))
		return 0;
	if (argc >= 3 && strcmp(argv[1], "-s") == 0) {
		socket_path = argv[2];
		first = 3;
	}
	if (first >= argc || sodium_init() < 0) {
		hactl_usage(stderr);
		return HACTL_EXIT_USAGE;
	}
	int status = hactl_dispatch(socket_path, argc - first, argv + first);
	if (status < 0) {
		hactl_usage(stderr);
		return HACTL_EXIT_USAGE;
	}
	return status;
}
