/*
 * test_platform_tool.c - `test_platform tool COMMAND ...`: a small driver
 * of hanode's network hands for refimpl/tests/test_platform_net.py, which
 * runs it inside network namespaces (root):
 *
 *   addr-add|addr-del|addr-present IF CIDR   netlink addresses (netif.c)
 *   garp IF IP COUNT INTERVAL_MS              announcements, spaced
 *   carrier IF | carrier-watch IF DURATION_MS the carrier monitor
 *   arp-probe IF IP TIMEOUT_MS                who-has every 100 ms until answered
 *   neigh-flush IF                            drop the unresolved neighbour entries
 *   ping TIMEOUT_MS ATTEMPTS TARGET...        one health round of a real host
 *   round TIMEOUT_MS PROBE_IF PROBE_IP [TARGET...]
 *                                             one health round: ping, ARP probe
 *                                             and a services command
 *
 * ping and round run the node's host (refimpl/host) with a platform made of
 * the daemon's real sockets (checks.c, netif.c, runner.c): the round's
 * timing, resends and verdict are the host's, the packets real.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"
#include "host.h"
#include "netif.h"
#include "runner.h"

static uint64_t tool_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------ netif */

static int tool_garp(char **argv)
{
	char error[256];
	int count = atoi(argv[2]), sent = 0;
	for (int i = 0; i < count; i++) {
		if (i > 0)
			usleep((useconds_t)atoi(argv[3]) * 1000);
		if (hn_netif_garp_send(argv[0], argv[1], error, sizeof(error)) < 0) {
			printf("error %s\n", error);
			return 1;
		}
		sent++;
	}
	printf("sent %d\n", sent);
	return 0;
}

#define TOOL_CARRIER_POLL_MS 20

static int tool_carrier_watch(char **argv)
{
	struct hn_netif_monitor monitor;
	struct hn_netif_carrier_change changes[HN_NETIF_CHANGES_MAX];
	char error[256];
	bool carrier_up = false;
	uint64_t end_ms = tool_now_ms() + (uint64_t)atoi(argv[1]);
	if (hn_netif_monitor_open(&monitor, error, sizeof(error)) < 0 ||
	    hn_netif_monitor_watch(&monitor, argv[0], &carrier_up, error, sizeof(error)) < 0) {
		printf("error %s\n", error);
		return 1;
	}
	printf("initial %s %s\n", argv[0], carrier_up ? "up" : "down");
	fflush(stdout);
	while (tool_now_ms() < end_ms) {
		/* As hanode: netlink when it speaks, a poll of the drivers'
		 * carrier on a timer (here every TOOL_CARRIER_POLL_MS). */
		struct pollfd pfd = {.fd = hn_netif_monitor_fd(&monitor), .events = POLLIN};
		uint64_t left_ms = end_ms - tool_now_ms();
		int count =
		    poll(&pfd, 1,
			 (int)(left_ms < TOOL_CARRIER_POLL_MS ? left_ms : TOOL_CARRIER_POLL_MS)) > 0
			? hn_netif_monitor_read(&monitor, changes, HN_NETIF_CHANGES_MAX, error,
						sizeof(error))
			: hn_netif_monitor_poll(&monitor, changes, HN_NETIF_CHANGES_MAX);
		for (int i = 0; i < count; i++)
			printf("change %s %s\n", changes[i].ifname,
			       changes[i].carrier_up ? "up" : "down");
		fflush(stdout);
	}
	hn_netif_monitor_close(&monitor);
	return 0;
}

static int tool_arp_probe(char **argv)
{
	struct hn_netif_arp_probe probe;
	char error[256];
	uint8_t mac[6];
	bool answered = false;
	uint64_t end_ms = tool_now_ms() + (uint64_t)atoi(argv[2]), next_ms = 0;
	if (hn_netif_arp_probe_open(&probe, argv[0], argv[1], error, sizeof(error)) < 0) {
		printf("error %s\n", error);
		hn_netif_arp_probe_close(&probe);
		return 1;
	}
	while (!answered && tool_now_ms() < end_ms) {
		if (tool_now_ms() >= next_ms) {
			if (hn_netif_arp_probe_send(&probe, error, sizeof(error)) < 0)
				fprintf(stderr, "%s\n", error);
			next_ms = tool_now_ms() + 100;
		}
		struct pollfd pfd = {.fd = hn_netif_arp_probe_fd(&probe), .events = POLLIN};
		uint64_t until_ms = next_ms < end_ms ? next_ms : end_ms, now_ms = tool_now_ms();
		if (poll(&pfd, 1, until_ms > now_ms ? (int)(until_ms - now_ms) : 0) > 0)
			answered = hn_netif_arp_probe_read(&probe, mac);
	}
	if (answered)
		printf("answered %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3],
		       mac[4], mac[5]);
	else
		printf("none\n");
	hn_netif_arp_probe_close(&probe);
	return 0;
}

static int tool_address(const char *command, char **argv)
{
	char error[256];
	int result = -1;
	if (strcmp(command, "addr-add") == 0)
		result = hn_netif_address_add(argv[0], argv[1], error, sizeof(error));
	else if (strcmp(command, "addr-del") == 0)
		result = hn_netif_address_remove(argv[0], argv[1], error, sizeof(error));
	else
		result = hn_netif_address_present(argv[0], argv[1], error, sizeof(error));
	if (result < 0) {
		printf("error %s\n", error);
		return 1;
	}
	if (strcmp(command, "addr-present") == 0)
		printf("%s\n", result == 1 ? "present" : "absent");
	else
		printf("ok\n");
	return 0;
}

static int tool_neighbours_flush(char **argv)
{
	char error[256];
	int flushed = hn_netif_neighbours_flush_unresolved(argv[0], error, sizeof(error));
	if (flushed < 0) {
		printf("error %s\n", error);
		return 1;
	}
	printf("flushed %d\n", flushed);
	return 0;
}

static int tool_carrier(char **argv)
{
	char error[256];
	bool carrier_up = false;
	if (hn_netif_carrier_get(argv[0], &carrier_up, error, sizeof(error)) < 0) {
		printf("error %s\n", error);
		return 1;
	}
	printf("%s\n", carrier_up ? "up" : "down");
	return 0;
}

/* ------------------------------------------- a host's round, real sockets */

struct tool_node {
	struct hn_host *host;
	struct hn_checks_ping ping;
	struct hn_netif_arp_probe probe;
	struct hn_runner runner;
	uint32_t echoes;
	bool answered[HN_HOST_PING_TARGETS_MAX];
};

static int tool_ok(void *context, char *error, size_t error_size)
{
	(void)context;
	(void)error;
	(void)error_size;
	return 0;
}

static int tool_send(void *context, enum hn_link link, const uint8_t *packet, size_t length,
		     char *error, size_t error_size)
{
	(void)link;
	(void)packet;
	(void)length;
	return tool_ok(context, error, error_size);
}

static int tool_cluster_ip(void *context, bool add, char *error, size_t error_size)
{
	(void)add;
	return tool_ok(context, error, error_size);
}

static int tool_ping(void *context, uint32_t target, uint16_t sequence, char *error,
		     size_t error_size)
{
	struct tool_node *node = context;
	node->echoes++;
	return hn_checks_ping_send(&node->ping, target, sequence, error, error_size);
}

static int tool_probe(void *context, char *error, size_t error_size)
{
	struct tool_node *node = context;
	return hn_netif_arp_probe_send(&node->probe, error, error_size);
}

static int tool_check(void *context, enum hn_host_check check, bool *done, bool *ok, char *reason,
		      size_t reason_size, uint64_t *command_id, char *error, size_t error_size)
{
	struct tool_node *node = context;
	(void)check;
	(void)ok;
	(void)reason;
	(void)reason_size;
	*done = false;
	return hn_runner_start(&node->runner, "true", NULL, NULL, 5000, tool_now_ms(), command_id,
			       error, error_size);
}

static int tool_persist(void *context, const struct hn_entry *entry, char *error, size_t error_size)
{
	(void)entry;
	return tool_ok(context, error, error_size);
}

static int tool_persist_generation(void *context, const struct hn_generation *generation,
				   bool outdated, char *error, size_t error_size)
{
	(void)generation;
	(void)outdated;
	return tool_ok(context, error, error_size);
}

static void tool_log(void *context, uint64_t now_ms, const struct hn_log_record *record,
		     const char *role)
{
	(void)context;
	(void)now_ms;
	(void)record;
	(void)role;
}

static void tool_client_reply(void *context, uint64_t request_id, const char *answer)
{
	(void)context;
	(void)request_id;
	(void)answer;
}

static void tool_admin_reply(void *context, uint64_t request_id, bool ok, const char *text)
{
	(void)context;
	(void)request_id;
	(void)ok;
	(void)text;
}

/* A node that never leaves "starting" (it waits an hour for its peer), so
 * only its health round acts. */
static int tool_node_open(struct tool_node *node, struct hn_host_config *config,
			  const char *const *targets, const char *probe_if, const char *probe_ip)
{
	static const uint8_t key[HN_KEY_BYTES] = {1};
	char error[256];
	struct hn_host_platform platform = {
	    .context = node,
	    .send = tool_send,
	    .cluster_ip = tool_cluster_ip,
	    .garp = tool_ok,
	    .ping = tool_ping,
	    .probe = probe_if ? tool_probe : NULL,
	    .check = tool_check,
	    .persist = tool_persist,
	    .persist_generation = tool_persist_generation,
	    .persist_maintenance = tool_cluster_ip,
	    .log = tool_log,
	    .client_reply = tool_client_reply,
	    .admin_reply = tool_admin_reply,
	};
	hn_config_defaults(&config->core);
	config->core.timers.wait_for_peer_ms = 3600000;
	config->health_interval_ms = config->ping_timeout_ms * 2 + 1000;
	node->host = calloc(1, hn_host_size());
	if (!node->host || hn_runner_open(&node->runner, error, sizeof(error)) < 0 ||
	    (config->ping_target_count > 0 &&
	     hn_checks_ping_open(&node->ping, targets, config->ping_target_count, error,
				 sizeof(error)) < 0) ||
	    (probe_if &&
	     hn_netif_arp_probe_open(&node->probe, probe_if, probe_ip, error, sizeof(error)) < 0) ||
	    hn_host_init(node->host, config, key, &platform, 1, error, sizeof(error)) < 0) {
		printf("error %s\n", error);
		return -1;
	}
	return 0;
}

static void tool_node_close(struct tool_node *node)
{
	hn_checks_ping_close(&node->ping);
	hn_netif_arp_probe_close(&node->probe);
	hn_runner_close(&node->runner);
	free(node->host);
}

/* One poll turn: sockets and commands to the host, then its deadline. */
static void tool_node_step(struct tool_node *node)
{
	struct pollfd pfds[3] = {{.fd = node->ping.opened ? node->ping.fd : -1, .events = POLLIN},
				 {.fd = hn_netif_arp_probe_fd(&node->probe), .events = POLLIN},
				 {.fd = hn_runner_fd(&node->runner), .events = POLLIN}};
	uint16_t sequences[HN_CHECKS_REPLIES_MAX];
	struct hn_runner_result results[HN_RUNNER_CHILDREN_MAX];
	uint64_t now_ms = tool_now_ms(), next_ms = hn_host_next_deadline_ms(node->host);
	poll(pfds, 3,
	     next_ms <= now_ms	       ? 0
	     : next_ms - now_ms > 1000 ? 1000
				       : (int)(next_ms - now_ms));
	size_t count = hn_checks_ping_read(&node->ping, sequences, HN_CHECKS_REPLIES_MAX);
	for (size_t i = 0; i < count; i++) {
		node->answered[sequences[i] % HN_HOST_PING_TARGETS_MAX] = true;
		hn_host_ping_reply(node->host, sequences[i], tool_now_ms());
	}
	if (hn_netif_arp_probe_read(&node->probe, NULL))
		hn_host_probe_answered(node->host, tool_now_ms());
	int reaped = hn_runner_reap(&node->runner, results, HN_RUNNER_CHILDREN_MAX);
	for (int i = 0; i < reaped; i++)
		hn_host_command_done(node->host, results[i].id, results[i].exit_status,
				     results[i].timed_out, tool_now_ms());
	hn_host_tick(node->host, tool_now_ms());
}

/* Runs the first round to its verdict; 0, or 1 if it never came. */
static int tool_node_round(struct tool_node *node, struct hn_host_status *status)
{
	hn_host_start(node->host, 1, tool_now_ms());
	/* The first echoes are out: a test may now change what answers. */
	printf("started\n");
	fflush(stdout);
	uint64_t end_ms = tool_now_ms() + 20000;
	hn_host_status(node->host, tool_now_ms(), status);
	while (status->health_rounds == 0 && tool_now_ms() < end_ms) {
		tool_node_step(node);
		hn_host_status(node->host, tool_now_ms(), status);
	}
	return status->health_rounds > 0 ? 0 : 1;
}

static int tool_ping_round(int argc, char **argv)
{
	struct tool_node node;
	struct hn_host_config config;
	struct hn_host_status status;
	memset(&node, 0, sizeof(node));
	memset(&config, 0, sizeof(config));
	config.ping_timeout_ms = (uint32_t)atoi(argv[0]);
	config.ping_attempts = (uint32_t)atoi(argv[1]);
	config.ping_target_count = (uint32_t)argc - 2;
	uint64_t start_ms = tool_now_ms();
	if (tool_node_open(&node, &config, (const char *const *)argv + 2, NULL, NULL) < 0) {
		tool_node_close(&node);
		return 1;
	}
	int result = tool_node_round(&node, &status);
	printf("reachable %u of %u", status.ping_reachable, status.ping_total);
	for (uint32_t i = 0; i < config.ping_target_count; i++)
		printf(" %s=%d", argv[i + 2], node.answered[i] ? 1 : 0);
	printf(" echoes=%u elapsed_ms=%llu\n", node.echoes,
	       (unsigned long long)(tool_now_ms() - start_ms));
	tool_node_close(&node);
	return result;
}

static int tool_round(int argc, char **argv)
{
	struct tool_node node;
	struct hn_host_config config;
	struct hn_host_status status;
	memset(&node, 0, sizeof(node));
	memset(&config, 0, sizeof(config));
	config.ping_timeout_ms = config.probe_timeout_ms = (uint32_t)atoi(argv[0]);
	config.ping_attempts = 3;
	config.ping_target_count = (uint32_t)argc - 3;
	config.services_check = true;
	config.has_cluster_ip = config.cluster_ip_probe = true;
	config.garp_count = 1;
	config.probe_interval_ms = 100;
	if (tool_node_open(&node, &config, (const char *const *)argv + 3, argv[1], argv[2]) < 0) {
		tool_node_close(&node);
		return 1;
	}
	int result = tool_node_round(&node, &status);
	printf("done=%d raid_ok=%d services_ok=%d ping=%u/%u cluster_ip_answered=%d\n", result == 0,
	       status.raid_ok, status.services_ok, status.ping_reachable, status.ping_total,
	       status.cluster_ip_answered);
	tool_node_close(&node);
	return result;
}

/* ------------------------------------------------------------------ main */

int hn_test_platform_tool(int argc, char **argv);
int hn_test_platform_tool(int argc, char **argv)
{
	static const struct {
		const char *name;
		int args; /* minimum */
	} commands[] = {{"addr-add", 2}, {"addr-del", 2},      {"addr-present", 2}, {"garp", 4},
			{"carrier", 1},	 {"carrier-watch", 2}, {"arp-probe", 3},    {"ping", 3},
			{"round", 3},	 {"neigh-flush", 1}};
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (argc < 1 || strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (argc - 1 < commands[i].args)
			break;
		setvbuf(stdout, NULL, _IOLBF, 0);
		if (strncmp(argv[0], "addr-", 5) == 0)
			return tool_address(argv[0], argv + 1);
		if (strcmp(argv[0], "garp") == 0)
			return tool_garp(argv + 1);
		if (strcmp(argv[0], "carrier") == 0)
			return tool_carrier(argv + 1);
		if (strcmp(argv[0], "carrier-watch") == 0)
			return tool_carrier_watch(argv + 1);
		if (strcmp(argv[0], "arp-probe") == 0)
			return tool_arp_probe(argv + 1);
		if (strcmp(argv[0], "round") == 0)
			return tool_round(argc - 1, argv + 1);
		if (strcmp(argv[0], "neigh-flush") == 0)
			return tool_neighbours_flush(argv + 1);
		return tool_ping_round(argc - 1, argv + 1);
	}
	fprintf(stderr,
		"usage: test_platform tool addr-add|addr-del|addr-present IF CIDR\n"
		"       test_platform tool garp IF IP COUNT INTERVAL_MS\n"
		"       test_platform tool carrier IF | carrier-watch IF DURATION_MS\n"
		"       test_platform tool arp-probe IF IP TIMEOUT_MS\n"
		"       test_platform tool neigh-flush IF\n"
		"       test_platform tool ping TIMEOUT_MS ATTEMPTS TARGET...\n"
		"       test_platform tool round TIMEOUT_MS PROBE_IF PROBE_IP [TARGET...]\n");
	return 2;
}
