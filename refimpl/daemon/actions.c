/*
 * actions.c - hanode's platform table: what the node's host
 * (refimpl/host/host.h) asks for, done with real I/O. Packets go out on the
 * link sockets (links.c); the cluster IP, its announcements and the ARP
 * probe through netif.c; echoes through the raw ICMP socket (checks.c);
 * RAID verdicts from mdstat, or a command, and every configured command
 * through the runner; durable writes through persist.c; records into the
 * cluster log; answers to the store's clients (kvserver.c) and to hactl
 * (admin.c).
 *
 * Each function is short and never calls back into the host: what it
 * learns later (a reply, a command's end) comes back through inputs.c.
 * A failure returns -1 with one sentence naming what failed.
 *
 * The notify-only checks: disk usage is statvfs() of data_dir, at once;
 * the time offset asks the time servers over SNTP (timecheck.c; its
 * answer comes through inputs.c) or runs time_check_command; service
 * health runs services_health_command.
 */
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "hanode.h"

/* --------------------------------------------------------------- logging */

void hn_daemon_record(struct hn_daemon *daemon, uint64_t now_ms, const struct hn_log_record *record,
		      const char *role)
{
	const char *line = NULL;
	uint64_t wall_ms = hn_loop_wall_ms();
	hn_clusterlog_write(&daemon->log, now_ms, wall_ms, record, role);
	if (daemon->syslogfwd.opened && hn_clusterlog_recent(&daemon->log, 1, &line) == 1)
		hn_syslogfwd_send(&daemon->syslogfwd, wall_ms, record->event, line);
}

void hn_daemon_log(struct hn_daemon *daemon, const char *event, const char *reason)
{
	struct hn_log_record record;
	memset(&record, 0, sizeof(record));
	snprintf(record.event, sizeof(record.event), "%s", event);
	snprintf(record.reason, sizeof(record.reason), "%s", reason);
	const char *role = "standby";
	if (daemon->paired) {
		hn_node_status(hn_host_node(daemon->host), hn_loop_now_ms(),
			       &daemon->host_status.core);
		role = hn_role_name(daemon->host_status.core.role);
	}
	hn_daemon_record(daemon, hn_loop_now_ms(), &record, role);
}

static void hn_platform_log(void *context, uint64_t now_ms, const struct hn_log_record *record,
			    const char *role)
{
	hn_daemon_record(context, now_ms, record, role);
}

static uint64_t hn_platform_wall_ms(void *context, uint64_t now_ms)
{
	(void)context;
	(void)now_ms;
	return hn_loop_wall_ms();
}

/* ----------------------------------------------------------- the network */

static int hn_platform_send(void *context, enum hn_link link, const uint8_t *packet, size_t length,
			    char *error, size_t error_size)
{
	struct hn_daemon *daemon = context;
	return hn_links_send(&daemon->links, link, packet, length, error, error_size);
}

static int hn_platform_cluster_ip(void *context, bool add, char *error, size_t error_size)
{
	struct hn_daemon *daemon = context;
	const struct hn_daemon_config *config = &daemon->config;
	return add ? hn_netif_address_add(config->cluster_ip_interface, config->cluster_ip, error,
					  error_size)
		   : hn_netif_address_remove(config->cluster_ip_interface, config->cluster_ip,
					     error, error_size);
}

static int hn_platform_garp(void *context, char *error, size_t error_size)
{
	struct hn_daemon *daemon = context;
	return hn_netif_garp_send(daemon->config.cluster_ip_interface, daemon->config.cluster_ip,
				  error, error_size);
}

static int hn_platform_ping(void *context, uint32_t target, uint16_t sequence, char *error,
			    size_t error_size)
{
	struct hn_daemon *daemon = context;
	return hn_checks_ping_send(&daemon->ping, target, sequence, error, error_size);
}

static void hn_daemon_probe_close(struct hn_daemon *daemon)
{
	int fd = hn_netif_arp_probe_fd(&daemon->probe);
	if (fd >= 0)
		hn_loop_watch_remove(&daemon->loop, fd);
	hn_netif_arp_probe_close(&daemon->probe);
}

/* The probe's socket stays open between rounds (inputs.c drains it); one
 * that fails to send is closed, so the next probe opens it again (the
 * interface may have been re-created). */
static int hn_platform_probe(void *context, char *error, size_t error_size)
{
	struct hn_daemon *daemon = context;
	const struct hn_daemon_config *config = &daemon->config;
	if (!daemon->probe.opened &&
	    (hn_netif_arp_probe_open(&daemon->probe, config->cluster_ip_interface,
				     config->cluster_ip, error, error_size) != 0 ||
	     hn_loop_watch_add(&daemon->loop, daemon->probe.fd, POLLIN, hn_daemon_on_probe, daemon,
			       error, error_size) != 0)) {
		hn_netif_arp_probe_close(&daemon->probe);
		return -1;
	}
	if (hn_netif_arp_probe_send(&daemon->probe, error, error_size) != 0) {
		hn_daemon_probe_close(daemon);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- commands */

static int hn_daemon_run(struct hn_daemon *daemon, const char *command, const char *input,
			 const char *const *environment, uint64_t *command_id, char *error,
			 size_t error_size)
{
	return hn_runner_start(&daemon->runner, command, input, environment,
			       daemon->config.command_timeout_ms, hn_loop_now_ms(), command_id,
			       error, error_size);
}

/* Disk usage of data_dir's file system as df counts it (the blocks root
 * keeps in reserve are not the node's). */
static void hn_daemon_disk_usage(const struct hn_daemon_config *config, bool *ok, char *reason,
				 size_t reason_size)
{
	struct statvfs disk;
	if (statvfs(config->data_dir, &disk) != 0 || disk.f_blocks == 0) {
		*ok = false;
		snprintf(reason, reason_size, "disk usage of %.100s unknown: statvfs failed",
			 config->data_dir);
		return;
	}
	uint64_t used = (uint64_t)(disk.f_blocks - disk.f_bfree);
	uint64_t usable = used + (uint64_t)disk.f_bavail;
	unsigned percent = usable ? (unsigned)((used * 100 + usable - 1) / usable) : 100;
	*ok = percent <= config->disk_usage_max_percent;
	if (*ok)
		snprintf(reason, reason_size, "%.100s is %u %% full", config->data_dir, percent);
	else
		snprintf(reason, reason_size, "%.100s is %u %% full (at most %u %%)",
			 config->data_dir, percent, config->disk_usage_max_percent);
}

/* The time servers, asked now; their answer comes through inputs.c. Ids
 * of such checks have the top bit set: never a runner's. */
static int hn_daemon_time_check(struct hn_daemon *daemon, uint64_t *check_id, char *error,
				size_t error_size)
{
	*check_id = (UINT64_C(1) << 63) | ++daemon->next_check_id;
	return hn_timecheck_start(&daemon->timecheck, *check_id, hn_loop_now_ms(),
				  daemon->config.ping_timeout_ms, error, error_size);
}

static int hn_platform_check(void *context, enum hn_host_check check, bool *done, bool *ok,
			     char *reason, size_t reason_size, uint64_t *command_id, char *error,
			     size_t error_size)
{
	struct hn_daemon *daemon = context;
	const struct hn_daemon_config *config = &daemon->config;
	*done = false;
	if (check == HN_HOST_CHECK_RAID && config->raid_array[0]) {
		*done = true;
		hn_checks_mdstat_file(config->raid_mdstat_path, config->raid_array, ok, reason,
				      reason_size);
		return 0;
	}
	if (check == HN_HOST_CHECK_DISK_USAGE) {
		*done = true;
		hn_daemon_disk_usage(config, ok, reason, reason_size);
		return 0;
	}
	if (check == HN_HOST_CHECK_TIME_OFFSET && daemon->timecheck.opened)
		return hn_daemon_time_check(daemon, command_id, error, error_size);
	const char *command = check == HN_HOST_CHECK_RAID	? config->raid_command
			      : check == HN_HOST_CHECK_SERVICES ? config->services_status
			      : check == HN_HOST_CHECK_TIME_OFFSET
				  ? config->time_check_command
				  : config->services_health_command;
	return hn_daemon_run(daemon, command, NULL, NULL, command_id, error, error_size);
}

static int hn_platform_command(void *context, enum hn_host_command command, const char *input,
			       const char *const *environment, uint64_t *command_id, char *error,
			       size_t error_size)
{
	struct hn_daemon *daemon = context;
	const struct hn_daemon_config *config = &daemon->config;
	const char *text = command == HN_HOST_COMMAND_SERVICES_START  ? config->services_start
			   : command == HN_HOST_COMMAND_SERVICES_STOP ? config->services_stop
			   : command == HN_HOST_COMMAND_NOTIFY	      ? config->notify_command
			   : command == HN_HOST_COMMAND_FENCE	      ? config->fence_command
								      : "";
	return hn_daemon_run(daemon, text, input, environment, command_id, error, error_size);
}

static void hn_platform_command_kill(void *context, uint64_t command_id)
{
	struct hn_daemon *daemon = context;
	hn_runner_kill(&daemon->runner, command_id);
}

/* ----------------------------------------------------------- durability */

static int hn_platform_persist(void *context, const struct hn_entry *entry, char *error,
			       size_t error_size)
{
	struct hn_daemon *daemon = context;
	return entry ? hn_persist_append(&daemon->persist, entry, error, error_size)
		     : hn_persist_reset(&daemon->persist, error, error_size);
}

static int hn_platform_persist_generation(void *context, const struct hn_generation *generation,
					  bool outdated, char *error, size_t error_size)
{
	struct hn_daemon *daemon = context;
	return hn_persist_generation_write(&daemon->persist, generation, outdated, error,
					   error_size);
}

static int hn_platform_persist_maintenance(void *context, bool on, char *error, size_t error_size)
{
	struct hn_daemon *daemon = context;
	return hn_persist_maintenance_write(&daemon->persist, on, error, error_size);
}

static int hn_platform_persist_packet_seq(void *context, uint64_t limit, char *error,
					  size_t error_size)
{
	struct hn_daemon *daemon = context;
	return hn_persist_packet_seq_write(&daemon->persist, limit, error, error_size);
}

/* -------------------------------------------------------------- answers */

static void hn_platform_client_reply(void *context, uint64_t request_id, const char *answer)
{
	struct hn_daemon *daemon = context;
	hn_kvserver_reply(&daemon->kvserver, request_id, answer);
}

static void hn_platform_admin_reply(void *context, uint64_t request_id, bool ok, const char *text)
{
	hn_daemon_admin_reply(context, request_id, ok, text);
}

void hn_daemon_platform(struct hn_daemon *daemon, struct hn_host_platform *platform)
{
	*platform = (struct hn_host_platform){
	    .context = daemon,
	    .send = hn_platform_send,
	    .cluster_ip = hn_platform_cluster_ip,
	    .garp = hn_platform_garp,
	    .ping = hn_platform_ping,
	    .probe = hn_platform_probe,
	    .check = hn_platform_check,
	    .command = hn_platform_command,
	    .command_kill = hn_platform_command_kill,
	    .persist = hn_platform_persist,
	    .persist_generation = hn_platform_persist_generation,
	    .persist_maintenance = hn_platform_persist_maintenance,
	    .persist_packet_seq = hn_platform_persist_packet_seq,
	    .log = hn_platform_log,
	    .client_reply = hn_platform_client_reply,
	    .admin_reply = hn_platform_admin_reply,
	    .wall_ms = hn_platform_wall_ms,
	};
}
