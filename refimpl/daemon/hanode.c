/*
 * hanode.c - the reference failover node: main, start and stop, and the
 * main loop.
 *
 * hanode reads its configuration, opens its sockets and platform modules,
 * and then runs one thread around poll(). Everything that happens - a
 * heartbeat, a carrier change, a health round, an operator command, a
 * client's PUT, a timer - becomes one hn_event for the pure core
 * (refimpl/core), fed with the monotonic time (inputs.c, admin.c); the
 * core answers with an ordered list of actions, which actions.c carries
 * out in order. hanode.h lists the files and what they share.
 *
 * A node without a cluster key ("unpaired") runs its control socket only,
 * until `hactl create` (draws a key) or `hactl join` (fetches one) pairs
 * it (join.c); then the core starts.
 *
 * Signal handlers only set flags. SIGTERM/SIGINT stop cleanly: the node
 * first hands over like an operator's maintenance (so the peer takes over
 * at once instead of after the dead time), then releases the cluster IP,
 * stops the services and logs "stop".
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hanode.h"

#define HN_STOP_WAIT_MS 3000

static volatile sig_atomic_t hn_stop_requested;

/* ------------------------------------------------------------ the core */

int hn_daemon_core_start(struct hn_daemon *daemon, const uint8_t key[HN_KEY_BYTES], char *error,
			 size_t error_size)
{
	if (hn_node_init(daemon->node, &daemon->config.core, error, error_size) != 0)
		return -1;
	size_t count = 0;
	const struct hn_entry *entries = hn_persist_entries(&daemon->persist, &count);
	for (size_t i = 0; i < count; i++)
		hn_node_restore_entry(daemon->node, &entries[i]);
	struct hn_generation generation;
	bool outdated = false;
	if (hn_persist_generation_read(&daemon->persist, &generation, &outdated, error,
				       error_size) == 1) {
		hn_node_restore_generation(daemon->node, &generation, outdated);
		daemon->generation_written = generation;
		daemon->outdated_written = outdated;
		daemon->generation_known = true;
	}
	hn_links_set_key(&daemon->links, key);
	daemon->paired = true;
	daemon->next_health_ms = hn_loop_now_ms();
	daemon->start_pending = daemon->checks_open;
	if (!daemon->start_pending)
		hn_daemon_core_run(daemon);
	return 0;
}

void hn_daemon_core_run(struct hn_daemon *daemon)
{
	char error[HN_ERROR_MAX];
	daemon->start_pending = false;
	hn_daemon_step_simple(daemon, HN_EVENT_START);
	if (hn_daemon_maintenance_remembered(daemon)) {
		struct hn_event *event = &daemon->event;
		memset(event, 0, sizeof(*event));
		event->kind = HN_EVENT_ADMIN;
		event->u.admin.command = HN_ADMIN_MAINTENANCE_ON;
		hn_daemon_step(daemon, event);
	}
	for (int link = 0; link < HN_LINKS; link++) {
		bool carrier_up = false;
		if (!daemon->config.links[link].interface[0])
			continue;
		if (hn_netif_carrier_get(daemon->config.links[link].interface, &carrier_up, error,
					 sizeof(error)) != 0)
			carrier_up = false;
		hn_daemon_carrier(daemon, link, carrier_up);
	}
}

/* ------------------------------------------------------ start and stop */

static void hn_on_stop_signal(int signal_number)
{
	(void)signal_number;
	hn_stop_requested = 1;
}

static int hn_daemon_signals(struct hn_daemon *daemon, char *error, size_t error_size)
{
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = hn_on_stop_signal;
	sigemptyset(&action.sa_mask);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	action.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &action, NULL);
	sigaction(SIGHUP, &action, NULL);
	sigset_t handled;
	sigemptyset(&handled);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGINT);
	return hn_loop_init(&daemon->loop, &handled, error, error_size);
}

static int hn_daemon_watch_links(struct hn_daemon *daemon, char *error, size_t error_size)
{
	for (int link = 0; link < HN_LINKS; link++) {
		const char *ifname = daemon->config.links[link].interface;
		bool carrier_up;
		if (!ifname[0])
			continue;
		if (hn_loop_watch_add(&daemon->loop, daemon->links.sockets[link].fd, POLLIN,
				      hn_daemon_on_link, daemon, error, error_size) != 0 ||
		    hn_netif_monitor_watch(&daemon->monitor, ifname, &carrier_up, error,
					   error_size) != 0)
			return -1;
	}
	return hn_loop_watch_add(&daemon->loop, hn_netif_monitor_fd(&daemon->monitor), POLLIN,
				 hn_daemon_on_monitor, daemon, error, error_size);
}

static int hn_daemon_open_checks(struct hn_daemon *daemon, char *error, size_t error_size)
{
	struct hn_checks_config checks = daemon->config.checks;
	if (daemon->config.core.tiebreaker == HN_TIEBREAKER_PING && daemon->config.cluster_ip[0]) {
		snprintf(checks.probe_ifname, sizeof(checks.probe_ifname), "%s",
			 daemon->config.cluster_ip_interface);
		hn_daemon_config_cluster_ip_address(&daemon->config, checks.probe_ip,
						    sizeof(checks.probe_ip));
	}
	if (hn_checks_open(&daemon->checks, &checks, error, error_size) != 0)
		return -1;
	daemon->checks_open = true;
	return 0;
}

/* Opens everything in order; on failure main closes what was opened. */
static int hn_daemon_open(struct hn_daemon *daemon, char *error, size_t error_size)
{
	const struct hn_daemon_config *config = &daemon->config;
	char leftover[HN_ERROR_MAX];
	mkdir(config->data_dir, 0700);
	if (hn_daemon_signals(daemon, error, error_size) != 0 ||
	    hn_clusterlog_open(&daemon->log, config->log_file, config->core.self.name,
			       config->syslog, error, error_size) != 0 ||
	    hn_persist_open(&daemon->persist, config->data_dir, 0, error, error_size) != 0 ||
	    hn_runner_open(&daemon->runner, error, error_size) != 0 ||
	    hn_loop_watch_add(&daemon->loop, hn_runner_fd(&daemon->runner), POLLIN,
			      hn_daemon_on_runner, daemon, error, error_size) != 0 ||
	    hn_links_open(&daemon->links, config, error, error_size) != 0 ||
	    hn_netif_monitor_open(&daemon->monitor, error, error_size) != 0 ||
	    hn_daemon_watch_links(daemon, error, error_size) != 0 ||
	    hn_daemon_open_checks(daemon, error, error_size) != 0 ||
	    hn_control_open(&daemon->control, &daemon->loop, config->control_socket,
			    hn_daemon_on_control, daemon, error, error_size) != 0 ||
	    hn_kvserver_open(&daemon->kvserver, &daemon->loop, config->store_port, hn_daemon_on_kv,
			     daemon, error, error_size) != 0)
		return -1;
	daemon->core_timer = hn_loop_timer_add(&daemon->loop, hn_daemon_on_core_timer, daemon);
	daemon->house_timer = hn_loop_timer_add(&daemon->loop, hn_daemon_on_house_timer, daemon);
	/* A cluster IP left behind by a crash must not answer for a standby. */
	if (config->cluster_ip[0])
		hn_netif_address_remove(config->cluster_ip_interface, config->cluster_ip, leftover,
					sizeof(leftover));
	return 0;
}

/* Hand over like maintenance, wait briefly for the services to stop, drop
 * the cluster IP whatever the core did. */
static void hn_daemon_stop(struct hn_daemon *daemon)
{
	daemon->stopping = true;
	if (daemon->paired) {
		struct hn_event *event = &daemon->event;
		memset(event, 0, sizeof(*event));
		event->kind = HN_EVENT_ADMIN;
		event->u.admin.command = HN_ADMIN_MAINTENANCE_ON;
		hn_daemon_step(daemon, event);
	}
	uint64_t until_ms = hn_loop_now_ms() + HN_STOP_WAIT_MS;
	while (hn_runner_running(&daemon->runner) && hn_loop_now_ms() < until_ms) {
		struct pollfd wait = {hn_runner_fd(&daemon->runner), POLLIN, 0};
		poll(&wait, 1, 50);
		struct hn_runner_result results[HN_RUNNER_CHILDREN_MAX];
		hn_runner_reap(&daemon->runner, results, HN_RUNNER_CHILDREN_MAX);
	}
	if (daemon->ip_held)
		hn_daemon_ip(daemon, false);
	hn_daemon_log(daemon, "stop", "", "", "hanode stopped by signal");
}

static void hn_daemon_close(struct hn_daemon *daemon)
{
	hn_kvserver_close(&daemon->kvserver);
	hn_control_close(&daemon->control);
	hn_pairing_server_close(&daemon->pairing);
	if (daemon->checks_open)
		hn_checks_close(&daemon->checks);
	hn_netif_garp_close(&daemon->garp);
	hn_netif_monitor_close(&daemon->monitor);
	hn_links_close(&daemon->links);
	hn_runner_close(&daemon->runner);
	hn_persist_close(&daemon->persist);
	hn_clusterlog_close(&daemon->log);
}

/* Every descriptor starts at -1 so that closing a half-opened daemon
 * closes exactly what was opened. */
static void hn_daemon_prepare(struct hn_daemon *daemon)
{
	daemon->log.fd = -1;
	daemon->persist.dir_fd = daemon->persist.log_fd = -1;
	daemon->runner.epoll_fd = -1;
	for (int link = 0; link < HN_LINKS; link++)
		daemon->links.sockets[link].fd = -1;
	daemon->monitor.fd = -1;
	daemon->garp.fd = -1;
	daemon->control.listen_fd = -1;
	daemon->kvserver.listen_fd = -1;
	daemon->core_timer = daemon->house_timer = -1;
	hn_pairing_server_init(&daemon->pairing);
}

static void hn_usage(FILE *out)
{
	fprintf(out, "usage: hanode -c FILE [-f] [--check-config]\n"
		     "  -c FILE          configuration (see hanode.conf.example)\n"
		     "  -f               stay in the foreground\n"
		     "  --check-config   validate the configuration and the key file, then exit\n");
}

struct hn_options {
	const char *config_path;
	bool foreground;
	bool check_only;
};

static int hn_options_parse(int argc, char **argv, struct hn_options *options)
{
	static const struct option long_options[] = {{"check-config", no_argument, NULL, 'k'},
						     {"help", no_argument, NULL, 'h'},
						     {NULL, 0, NULL, 0}};
	int option;
	memset(options, 0, sizeof(*options));
	while ((option = getopt_long(argc, argv, "c:fh", long_options, NULL)) != -1) {
		switch (option) {
		case 'c':
			options->config_path = optarg;
			break;
		case 'f':
			options->foreground = true;
			break;
		case 'k':
			options->check_only = true;
			break;
		case 'h':
			hn_usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	return options->config_path && optind == argc ? 0 : -1;
}

static int hn_daemon_main(struct hn_daemon *daemon, const uint8_t *key)
{
	char error[HN_ERROR_MAX];
	int status = 1;
	hn_daemon_prepare(daemon);
	if (hn_daemon_open(daemon, error, sizeof(error)) != 0) {
		fprintf(stderr, "hanode: %s\n", error);
		goto cleanup;
	}
	/* With a key, the core logs "start" itself at HN_EVENT_START. */
	if (!key)
		hn_daemon_log(daemon, "start", "", "",
			      "hanode started without a cluster key: waiting for create or join");
	if (key && hn_daemon_core_start(daemon, key, error, sizeof(error)) != 0) {
		fprintf(stderr, "hanode: %s\n", error);
		goto cleanup;
	}
	while (!hn_stop_requested) {
		hn_daemon_arm_timers(daemon);
		if (hn_loop_run_once(&daemon->loop, error, sizeof(error)) != 0) {
			fprintf(stderr, "hanode: %s\n", error);
			goto cleanup;
		}
	}
	hn_daemon_stop(daemon);
	status = 0;
cleanup:
	hn_daemon_close(daemon);
	return status;
}

int main(int argc, char **argv)
{
	struct hn_options options;
	char error[HN_ERROR_MAX];
	uint8_t key[HN_KEY_BYTES];
	if (hn_options_parse(argc, argv, &options) != 0) {
		hn_usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "hanode: sodium_init failed\n");
		return 1;
	}
	struct hn_daemon *instance = calloc(1, sizeof(*instance));
	if (!instance)
		return 1;
	int status = 2, have_key = 0;
	if (hn_daemon_config_load(&instance->config, options.config_path, error, sizeof(error)) !=
		0 ||
	    (have_key = hn_pairing_key_read(instance->config.key_file, key, error, sizeof(error))) <
		0) {
		fprintf(stderr, "hanode: %s\n", error);
		goto cleanup;
	}
	if (options.check_only) {
		printf("%s: ok%s\n", options.config_path,
		       have_key ? "" : " (no key_file yet: unpaired)");
		status = 0;
		goto cleanup;
	}
	instance->node = calloc(1, hn_node_size());
	status = 1;
	if (!instance->node || (!options.foreground && daemon(0, 0) != 0)) {
		fprintf(stderr, "hanode: cannot start: %s\n", strerror(errno));
		goto cleanup;
	}
	status = hn_daemon_main(instance, have_key ? key : NULL);
cleanup:
	sodium_memzero(key, sizeof(key));
	if (instance)
		free(instance->node);
	free(instance);
	return status;
}
