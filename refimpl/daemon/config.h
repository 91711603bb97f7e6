/*
 * config.h - hanode's configuration: `key = value` lines.
 *
 * hanode.conf.example documents every key with its default. Comments start
 * with '#'; blank lines are ignored; a value runs to the end of the line
 * (trailing blanks removed). Errors name the file, the line and the key:
 *   hanode.conf:12: key 'dead_time_ms': expected an integer in 50..600000
 * A key given twice is an error too, so an edit never silently loses.
 *
 * The parser works on text (config.c, pure: part of libhnnode.a, so that
 * hasim's virtual backend reads the same hanode.conf text the runner
 * writes for every backend); hn_daemon_config_load() (config_file.c, in
 * hanode only) reads the file and then <data_dir>/cluster.conf if it
 * exists: written by `hactl join` with the cluster-wide settings received
 * from the first node (timers, tie-breaker, cluster IP), which win over
 * the local file's values so that both nodes run the same cluster.
 */
#ifndef HN_CONFIG_H
#define HN_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"
#include "host.h"

#define HN_CONFIG_PATH_MAX	   256
#define HN_CONFIG_LINE_MAX	   1200
#define HN_CONFIG_TEXT_MAX	   (256 * 1024) /* a configuration file's bytes */
#define HN_CONFIG_CIDR_MAX	   24		/* "255.255.255.255/32" + NUL */
#define HN_CONFIG_COMMAND_MAX	   1024
#define HN_CONFIG_ARRAY_MAX	   32
#define HN_CONFIG_KEYS_MAX	   64  /* keys the table may hold */
#define HN_CONFIG_SOCKET_PATH_MAX  108 /* sizeof(sockaddr_un.sun_path) */
#define HN_CONFIG_TIME_SERVERS_MAX 4

struct hn_link_config {
	char interface[IF_NAMESIZE]; /* "" = link not configured */
	char address[INET_ADDRSTRLEN];
	char peer[INET_ADDRSTRLEN];
};

/* Where each key was set (line numbers for messages); 0 = not set. */
struct hn_config_lines {
	unsigned line[HN_CONFIG_KEYS_MAX];
	unsigned last_line;
};

struct hn_daemon_config {
	char path[HN_CONFIG_PATH_MAX]; /* the name errors give (the file's path) */
	struct hn_config core;	       /* identity, timers, tie-breaker */
	struct hn_link_config links[HN_LINKS];
	uint32_t port;			   /* UDP heartbeats and data, both links */
	uint32_t store_port;		   /* TCP store line protocol */
	uint32_t store_idle_timeout_ms;	   /* an idle store client is closed after this */
	uint32_t store_clients_per_source; /* store connections one address may hold */
	uint32_t pairing_port;		   /* TCP create/join, on the sync address */
	char key_file[HN_CONFIG_PATH_MAX];
	char cluster_ip[HN_CONFIG_CIDR_MAX]; /* "" = none */
	char cluster_ip_interface[IF_NAMESIZE];
	uint32_t health_interval_ms;
	uint32_t ping_target_count;
	char ping_targets[HN_HOST_PING_TARGETS_MAX][INET_ADDRSTRLEN];
	uint32_t ping_timeout_ms;
	uint32_t ping_attempts;
	char raid_array[HN_CONFIG_ARRAY_MAX]; /* "" = none */
	char raid_mdstat_path[HN_CONFIG_PATH_MAX];
	char raid_command[HN_CONFIG_COMMAND_MAX];
	char services_status[HN_CONFIG_COMMAND_MAX];
	char services_start[HN_CONFIG_COMMAND_MAX];
	char services_stop[HN_CONFIG_COMMAND_MAX];
	char notify_command[HN_CONFIG_COMMAND_MAX];
	char fence_command[HN_CONFIG_COMMAND_MAX];
	uint32_t command_timeout_ms;
	/* notify-only checks (never move a role): 0 / "" = off */
	uint32_t disk_usage_max_percent; /* of data_dir's file system */
	uint32_t time_server_count;	 /* SNTP servers asked each round */
	char time_servers[HN_CONFIG_TIME_SERVERS_MAX][INET_ADDRSTRLEN];
	uint32_t time_offset_max_ms;
	char time_check_command[HN_CONFIG_COMMAND_MAX];	     /* exit 0 = time ok */
	char services_health_command[HN_CONFIG_COMMAND_MAX]; /* exit 0 = healthy */
	char log_file[HN_CONFIG_PATH_MAX];
	bool syslog;
	/* the cluster log forwarded to a remote syslog over UDP ("" = not) */
	char syslog_server[INET_ADDRSTRLEN];
	uint32_t syslog_port;
	char syslog_format[16]; /* "rfc5424" or "rfc3164" */
	char control_socket[HN_CONFIG_PATH_MAX];
	char data_dir[HN_CONFIG_PATH_MAX];
	struct hn_config_lines lines; /* of the main file */
};

/* ------------------------------------------------------ config.c (pure) */

/* Defaults, then text (length bytes, named `name` in errors: a path),
 * then the whole-file checks. Returns -1 with "NAME:LINE: key 'x': reason"
 * (or "NAME:LINE: reason" for a line that is not a key) in error. Text
 * with a NUL byte, or UTF-16, is refused with a message saying so. */
int hn_daemon_config_parse_text(struct hn_daemon_config *config, const char *name, const char *text,
				size_t length, char *error, size_t error_size);
/* The cluster overlay (cluster.conf, `name` in errors): only cluster-wide
 * keys, each overriding the value parsed before; the whole-file checks run
 * again (naming the main file's lines). */
int hn_daemon_config_overlay_text(struct hn_daemon_config *config, const char *name,
				  const char *text, size_t length, char *error, size_t error_size);

/* What the node's host needs (refimpl/host/host.h): identity, timers,
 * checks, cluster IP, which commands and links exist. */
void hn_daemon_config_to_host(const struct hn_daemon_config *config,
			      struct hn_host_config *host_config);

/* The cluster-wide settings as `key=value` words separated by spaces (for join). */
int hn_daemon_config_cluster_text(const struct hn_daemon_config *config, char *text,
				  size_t text_size);
/* Whether key is a cluster-wide setting (allowed in cluster.conf). */
bool hn_daemon_config_is_cluster_key(const char *key);
/* The cluster IP without its prefix ("192.0.2.10"). */
void hn_daemon_config_cluster_ip_address(const struct hn_daemon_config *config, char *address,
					 size_t address_size);

/* ----------------------------------------------- config_file.c (hanode) */

/* Read path (bounded by HN_CONFIG_TEXT_MAX) and parse it, then the cluster
 * overlay <data_dir>/cluster.conf if it exists. */
int hn_daemon_config_load(struct hn_daemon_config *config, const char *path, char *error,
			  size_t error_size);

#endif
