/*
 * hanode.c - the reference failover node: main, start and stop, and the
 * main loop.
 *
 * hanode reads its configuration, opens its sockets and platform modules,
 * and then runs one thread around poll(). Everything that happens - a
 * datagram, a carrier change, a command's end, an echo reply, an operator
 * command, a client's PUT, a timer - goes to the node's host
 * (refimpl/host/host.h) with the monotonic time (inputs.c, admin.c); the
 * host runs the pure core (refimpl/core) and the health rounds, and asks
 * for real I/O through the platform table (actions.c). hanode.h lists the
 * files and what they share.
 *
 * A node without a cluster key ("unpaired") runs its control socket only,
 * until `hactl create` (draws a key) or `hactl join` (fetches one) pairs
 * it (join.c); then the host starts.
 *
 * Signal handlers only set flags. SIGTERM/SIGINT stop cleanly: the host
 * first hands over (the core's shutdown: the peer takes over at once
 * instead of after the dead time, and the log says "hanode stopping:
 * hanode stopped by SIGTERM"; nothing is remembered as the operator's
 * maintenance), then releases the cluster IP and logs "stop"; hanode
 * waits briefly for the services to stop.
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

#define HN_DAEMON_NTP_PORT 123

static volatile sig_atomic_t hn_stop_requested; /* the signal's number, 0 = none */

/* ------------------------------------------------------------ the host */

/* The packet counter's first value: the reservation in data_dir. A node
 * that never reserved one (a fresh data_dir) seeds it once from the wall
 * clock in microseconds, so that it still starts above what a peer may
 * remember of an earlier incarnation; from then on the clock plays no part
 * (a clock stepped back across a restart cannot get its packets refused). */
static uint64_t hn_daemon_packet_seq_first(struct hn_daemon *daemon)
{
	char error[HN_ERROR_MAX], reason[HN_ERROR_MAX + 64];
	uint64_t limit = 0;
	int found = hn_persist_packet_seq_read(&daemon->persist, &limit, error, sizeof(error));
	if (found == 1)
		return limit;
	if (found < 0) {
		snprintf(reason, sizeof(reason), "%s; seeding the packet counter from the clock",
			 error);
		hn_daemon_log(daemon, "health", reason);
	}
	return hn_loop_wall_ms() * 1000u + 1;
}

/* A fresh random boot nonce for every start of the core (host.h): a
 * capture of the peer's packets from an earlier boot is never news. */
static uint64_t hn_daemon_boot_nonce(void)
{
	uint64_t nonce = 0;
	while (nonce == 0) /* 0 would turn the freshness check off */
		randombytes_buf(&nonce, sizeof(nonce));
	return nonce;
}

static void hn_daemon_restore(struct hn_daemon *daemon)
{
	char error[HN_ERROR_MAX];
	struct hn_generation generation;
	bool outdated = false;
	size_t count = 0;
	const struct hn_entry *entries = hn_persist_entries(&daemon->persist, &count);
	for (size_t i = 0; i < count; i++)
		hn_host_restore_entry(daemon->host, &entries[i]);
	if (hn_persist_generation_read(&daemon->persist, &generation, &outdated, error,
				       sizeof(error)) == 1)
		hn_host_restore_generation(daemon->host, &generation, outdated);
	hn_host_restore_maintenance(daemon->host, hn_persist_maintenance_read(&daemon->persist));
}

int hn_daemon_core_start(struct hn_daemon *daemon, const uint8_t key[HN_KEY_BYTES], char *error,
			 size_t error_size)
{
	struct hn_host_config host_config;
	struct hn_host_platform platform;
	hn_daemon_config_to_host(&daemon->config, &host_config);
	hn_daemon_platform(daemon, &platform);
	if (hn_host_init(daemon->host, &host_config, key, &platform,
			 hn_daemon_packet_seq_first(daemon), error, error_size) != 0)
		return -1;
	hn_daemon_restore(daemon);
	if (daemon->recreate_force_start)
		hn_host_restore_force_start(daemon->host);
	daemon->recreate_force_start = false;
	memcpy(daemon->key, key, HN_KEY_BYTES);
	daemon->paired = true;
	for (int link = 0; link < HN_LINKS; link++) {
		char carrier_error[HN_ERROR_MAX];
		bool carrier_up = false;
		if (!daemon->config.links[link].interface[0])
			continue;
		if (hn_netif_carrier_get(daemon->config.links[link].interface, &carrier_up,
					 carrier_error, sizeof(carrier_error)) != 0)
			carrier_up = false;
		hn_host_carrier(daemon->host, (enum hn_link)link, carrier_up, hn_loop_now_ms());
	}
	hn_host_release_leftover_ip(daemon->host);
	hn_host_start(daemon->host, hn_daemon_boot_nonce(), hn_loop_now_ms());
	return 0;
}

/* ------------------------------------------------------ start and stop */

static void hn_on_stop_signal(int signal_number)
{
	hn_stop_requested = signal_number;
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

/* The raw ICMP socket, when there is something to ping (needs root). */
static int hn_daemon_open_ping(struct hn_daemon *daemon, char *error, size_t error_size)
{
	const char *targets[HN_HOST_PING_TARGETS_MAX];
	const struct hn_daemon_config *config = &daemon->config;
	if (config->ping_target_count == 0)
		return 0;
	for (uint32_t i = 0; i < config->ping_target_count; i++)
		targets[i] = config->ping_targets[i];
	if (hn_checks_ping_open(&daemon->ping, targets, config->ping_target_count, error,
				error_size) != 0)
		return -1;
	return hn_loop_watch_add(&daemon->loop, daemon->ping.fd, POLLIN, hn_daemon_on_ping, daemon,
				 error, error_size);
}

/* The notify-only time check's socket and the remote syslog, if configured. */
static int hn_daemon_open_extras(struct hn_daemon *daemon, char *error, size_t error_size)
{
	const struct hn_daemon_config *config = &daemon->config;
	enum hn_syslog_format format = HN_SYSLOG_RFC5424;
	if (config->time_server_count > 0 &&
	    (hn_timecheck_open(&daemon->timecheck, config->time_servers, config->time_server_count,
			       HN_DAEMON_NTP_PORT, config->time_offset_max_ms, error,
			       error_size) != 0 ||
	     hn_loop_watch_add(&daemon->loop, daemon->timecheck.fd, POLLIN, hn_daemon_on_timecheck,
			       daemon, error, error_size) != 0))
		return -1;
	if (!config->syslog_server[0])
		return 0;
	hn_syslog_format_parse(config->syslog_format, &format);
	return hn_syslogfwd_open(&daemon->syslogfwd, config->syslog_server, config->syslog_port,
				 format, config->core.self.name, error, error_size);
}

/* Opens everything in order; on failure main closes what was opened. */
static int hn_daemon_open(struct hn_daemon *daemon, char *error, size_t error_size)
{
	const struct hn_daemon_config *config = &daemon->config;
	const struct hn_kvserver_limits store_limits = {config->store_idle_timeout_ms,
							config->store_clients_per_source};
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
	    hn_daemon_open_ping(daemon, error, error_size) != 0 ||
	    hn_daemon_open_extras(daemon, error, error_size) != 0 ||
	    hn_control_open(&daemon->control, &daemon->loop, config->control_socket,
			    hn_daemon_on_control, daemon, error, error_size) != 0 ||
	    hn_kvserver_open(&daemon->kvserver, &daemon->loop, config->store_port, &store_limits,
			     hn_daemon_on_kv, daemon, error, error_size) != 0)
		return -1;
	daemon->host_timer = hn_loop_timer_add(&daemon->loop, hn_daemon_on_host_timer, daemon);
	daemon->house_timer = hn_loop_timer_add(&daemon->loop, hn_daemon_on_house_timer, daemon);
	return 0;
}

/* The host hands over and drops the cluster IP; then a short wait for the
 * services_stop command (and whatever else runs) to end. */
static void hn_daemon_stop(struct hn_daemon *daemon, int signal_number)
{
	char reason[64];
	snprintf(reason, sizeof(reason), "hanode stopped by %s",
		 signal_number == SIGINT ? "SIGINT" : "SIGTERM");
	if (daemon->paired)
		hn_host_stop(daemon->host, reason, hn_loop_now_ms());
	else
		hn_daemon_log(daemon, "stop", reason);
	uint64_t until_ms = hn_loop_now_ms() + HN_STOP_WAIT_MS;
	while (hn_runner_running(&daemon->runner) && hn_loop_now_ms() < until_ms) {
		struct pollfd wait = {hn_runner_fd(&daemon->runner), POLLIN, 0};
		poll(&wait, 1, 50);
		struct hn_runner_result results[HN_RUNNER_CHILDREN_MAX];
		hn_runner_reap(&daemon->runner, results, HN_RUNNER_CHILDREN_MAX);
	}
}

static void hn_daemon_close(struct hn_daemon *daemon)
{
	hn_kvserver_close(&daemon->kvserver);
	hn_control_close(&daemon->control);
	hn_pairing_server_close(&daemon->pairing);
	hn_netif_arp_probe_close(&daemon->probe);
	hn_checks_ping_close(&daemon->ping);
	hn_timecheck_close(&daemon->timecheck);
	hn_syslogfwd_close(&daemon->syslogfwd);
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
	daemon->monitor.fd = daemon->monitor.ioctl_fd = -1;
	daemon->ping.fd = daemon->probe.fd = -1;
	daemon->timecheck.fd = daemon->syslogfwd.fd = -1;
	daemon->control.listen_fd = -1;
	daemon->kvserver.listen_fd = -1;
	daemon->host_timer = daemon->house_timer = -1;
	hn_pairing_server_init(&daemon->pairing);
}

static void hn_usage(FILE *out)
{
	fprintf(out, "usage: hanode -c FILE [-f] [--check-config] | --help | --version\n"
		     "  -c FILE          configuration (see hanode.conf.example)\n"
		     "  -f               stay in the foreground\n"
		     "  --check-config   validate the configuration and the key file, then exit\n"
		     "exit status: 0 ok, 1 could not run, 2 bad configuration or usage\n");
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
						     {"version", no_argument, NULL, 'V'},
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
		case 'V':
			printf("hanode (halab) %s, protocol %d\n", HN_VERSION, HN_PROTOCOL_VERSION);
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
		hn_daemon_log(daemon, "start",
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
	hn_daemon_stop(daemon, hn_stop_requested);
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
	instance->host = calloc(1, hn_host_size());
	status = 1;
	if (!instance->host || (!options.foreground && daemon(0, 0) != 0)) {
		fprintf(stderr, "hanode: cannot start: %s\n", strerror(errno));
		goto cleanup;
	}
	status = hn_daemon_main(instance, have_key ? key : NULL);
cleanup:
	sodium_memzero(key, sizeof(key));
	if (instance) {
		sodium_memzero(instance->key, sizeof(instance->key));
		free(instance->host);
	}
	free(instance);
	return status;
}
