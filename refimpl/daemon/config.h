/*
 * config.h - hanode's configuration file: `key = value` lines.
 *
 * hanode.conf.example documents every key with its default. Comments start
 * with '#'; blank lines are ignored; a value runs to the end of the line
 * (trailing blanks removed). Errors name the file, the line and the key:
 *   hanode.conf:12: key 'dead_time_ms': expected an integer in 50..600000
 * A key given twice is an error too, so an edit never silently loses.
 *
 * After the main file, <data_dir>/cluster.conf is read if it exists: it is
 * written by `hactl join` with the cluster-wide settings received from the
 * first node (timers, tie-breaker, cluster IP), which win over the local
 * file's values so that both nodes run the same cluster.
 */
#ifndef HN_CONFIG_H
#define HN_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks.h"
#include "hn_core.h"

#define HN_CONFIG_PATH_MAX 256
#define HN_CONFIG_LINE_MAX 1200
#define HN_CONFIG_CIDR_MAX 24 /* "255.255.255.255/32" + NUL */

struct hn_link_config {
	char interface[IF_NAMESIZE]; /* "" = link not configured */
	char address[INET_ADDRSTRLEN];
	char peer[INET_ADDRSTRLEN];
};

struct hn_daemon_config {
	char path[HN_CONFIG_PATH_MAX];
	struct hn_config core; /* identity, timers, tie-breaker */
	struct hn_link_config links[HN_LINKS];
	uint32_t port;	       /* UDP heartbeats and data, both links */
	uint32_t store_port;   /* TCP store line protocol */
	uint32_t pairing_port; /* TCP create/join, on the sync address */
	char key_file[HN_CONFIG_PATH_MAX];
	char cluster_ip[HN_CONFIG_CIDR_MAX]; /* "" = none */
	char cluster_ip_interface[IF_NAMESIZE];
	uint32_t health_interval_ms;
	struct hn_checks_config checks;
	char services_start[HN_RUNNER_COMMAND_MAX];
	char services_stop[HN_RUNNER_COMMAND_MAX];
	char notify_command[HN_RUNNER_COMMAND_MAX];
	char fence_command[HN_RUNNER_COMMAND_MAX];
	uint32_t command_timeout_ms;
	char log_file[HN_CONFIG_PATH_MAX];
	bool syslog;
	char control_socket[HN_CONFIG_PATH_MAX];
	char data_dir[HN_CONFIG_PATH_MAX];
};

/* Fill defaults, read path and the cluster overlay, check required keys.
 * Returns -1 with "FILE:LINE: key 'x': reason" in error. */
int hn_daemon_config_load(struct hn_daemon_config *config, const char *path, char *error,
			  size_t error_size);

/* The cluster-wide settings as `key=value` words separated by spaces (for join). */
int hn_daemon_config_cluster_text(const struct hn_daemon_config *config, char *text,
				  size_t text_size);

/* Whether key is a cluster-wide setting (allowed in cluster.conf). */
bool hn_daemon_config_is_cluster_key(const char *key);

/* The cluster IP without its prefix ("192.0.2.10"). */
void hn_daemon_config_cluster_ip_address(const struct hn_daemon_config *config, char *address,
					 size_t address_size);

#endif
