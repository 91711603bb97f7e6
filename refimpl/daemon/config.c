/*
 * config.c - parse and validate hanode's `key = value` configuration from
 * text (see config.h), and derive the host's configuration from it.
 *
 * One table lists every key with its kind, where it lands in struct
 * hn_daemon_config and its bounds; one function per kind converts and
 * checks a value. Whole-file checks (required keys, dependent keys,
 * timers that contradict each other) run after the last line and name the
 * line of the key at fault. Pure: no file, no socket, no clock (the file
 * loader is config_file.c), so hanode --check-config, a failed start and
 * hasim's virtual backend judge a file the same way.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- the keys */

enum hn_config_kind {
	HN_KIND_U32,
	HN_KIND_NAME, /* [A-Za-z0-9_.-]+ */
	HN_KIND_TEXT, /* any printable text: paths, commands */
	HN_KIND_IFNAME,
	HN_KIND_IPV4,
	HN_KIND_CIDR,
	HN_KIND_MODEL,
	HN_KIND_VERSION,
	HN_KIND_TIEBREAKER,
	HN_KIND_BOOL,
	HN_KIND_TARGETS,
	HN_KIND_ARRAY,	      /* md array name or "none" */
	HN_KIND_TIME_SERVERS, /* like TARGETS, into time_servers */
	HN_KIND_SYSLOG_FORMAT,
};

struct hn_config_key {
	const char *name;
	enum hn_config_kind kind;
	size_t offset;
	size_t size;
	uint32_t min, max;
	bool required;
	bool cluster_wide;
};

#define HN_CONFIG_GARP_COUNT		 3   /* announcements after taking the cluster IP */
#define HN_CONFIG_GARP_INTERVAL_MS	 100 /* between them */
#define HN_CONFIG_PROBE_INTERVAL_MS	 100 /* between ARP probes of one round */
#define HN_CONFIG_TIME_OFFSET_DEFAULT_MS 1000

#define HN_FIELD(member)                                                                           \
	offsetof(struct hn_daemon_config, member), sizeof(((struct hn_daemon_config *)0)->member)

static const struct hn_config_key hn_config_keys[] = {
    {"node_id", HN_KIND_U32, HN_FIELD(core.self.node_id), 1, 65535, true, false},
    {"name", HN_KIND_NAME, HN_FIELD(core.self.name), 0, 0, true, false},
    {"model", HN_KIND_MODEL, HN_FIELD(core.self.model), 0, 0, false, false},
    {"cpu_count", HN_KIND_U32, HN_FIELD(core.self.cpu_count), 1, 65535, false, false},
    {"memory_mb", HN_KIND_U32, HN_FIELD(core.self.memory_mb), 1, 1u << 30, false, false},
    {"disk_gb", HN_KIND_U32, HN_FIELD(core.self.disk_gb), 1, 1u << 30, false, false},
    {"firmware", HN_KIND_VERSION, HN_FIELD(core.self.firmware), 0, 0, false, false},
    {"sync_interface", HN_KIND_IFNAME, HN_FIELD(links[HN_LINK_SYNC].interface), 0, 0, true, false},
    {"sync_address", HN_KIND_IPV4, HN_FIELD(links[HN_LINK_SYNC].address), 0, 0, true, false},
    {"sync_peer", HN_KIND_IPV4, HN_FIELD(links[HN_LINK_SYNC].peer), 0, 0, true, false},
    {"external_interface", HN_KIND_IFNAME, HN_FIELD(links[HN_LINK_EXTERNAL].interface), 0, 0, false,
     false},
    {"external_address", HN_KIND_IPV4, HN_FIELD(links[HN_LINK_EXTERNAL].address), 0, 0, false,
     false},
    {"external_peer", HN_KIND_IPV4, HN_FIELD(links[HN_LINK_EXTERNAL].peer), 0, 0, false, false},
    {"port", HN_KIND_U32, HN_FIELD(port), 1, 65535, false, false},
    {"store_port", HN_KIND_U32, HN_FIELD(store_port), 1, 65535, false, false},
    {"store_idle_timeout_ms", HN_KIND_U32, HN_FIELD(store_idle_timeout_ms), 100, 3600000, false,
     false},
    {"store_clients_per_source", HN_KIND_U32, HN_FIELD(store_clients_per_source), 1, 32, false,
     false},
    {"pairing_port", HN_KIND_U32, HN_FIELD(pairing_port), 1, 65535, false, false},
    {"key_file", HN_KIND_TEXT, HN_FIELD(key_file), 0, 0, false, false},
    {"cluster_ip", HN_KIND_CIDR, HN_FIELD(cluster_ip), 0, 0, false, true},
    {"cluster_ip_interface", HN_KIND_IFNAME, HN_FIELD(cluster_ip_interface), 0, 0, false, false},
    {"heartbeat_interval_ms", HN_KIND_U32, HN_FIELD(core.timers.heartbeat_interval_ms), 10, 60000,
     false, true},
    {"dead_time_ms", HN_KIND_U32, HN_FIELD(core.timers.dead_time_ms), 30, 600000, false, true},
    {"wait_for_peer_ms", HN_KIND_U32, HN_FIELD(core.timers.wait_for_peer_ms), 0, 3600000, false,
     true},
    {"fence_delay_ms", HN_KIND_U32, HN_FIELD(core.timers.fence_delay_ms), 0, 60000, false, true},
    {"retransmit_ms", HN_KIND_U32, HN_FIELD(core.timers.retransmit_ms), 10, 60000, false, true},
    {"fence_timeout_ms", HN_KIND_U32, HN_FIELD(core.timers.fence_timeout_ms), 100, 3600000, false,
     false},
    {"sync_lag_ms", HN_KIND_U32, HN_FIELD(core.timers.sync_lag_ms), 10, 3600000, false, false},
    {"health_interval_ms", HN_KIND_U32, HN_FIELD(health_interval_ms), 50, 3600000, false, false},
    {"tiebreaker", HN_KIND_TIEBREAKER, HN_FIELD(core.tiebreaker), 0, 0, false, true},
    {"ping_targets", HN_KIND_TARGETS, HN_FIELD(ping_targets), 0, 0, false, false},
    {"ping_timeout_ms", HN_KIND_U32, HN_FIELD(ping_timeout_ms), 10, 60000, false, false},
    {"ping_attempts", HN_KIND_U32, HN_FIELD(ping_attempts), 1, 10, false, false},
    {"raid_mdstat", HN_KIND_TEXT, HN_FIELD(raid_mdstat_path), 0, 0, false, false},
    {"raid_array", HN_KIND_ARRAY, HN_FIELD(raid_array), 0, 0, false, false},
    {"raid_command", HN_KIND_TEXT, HN_FIELD(raid_command), 0, 0, false, false},
    {"services_start", HN_KIND_TEXT, HN_FIELD(services_start), 0, 0, false, false},
    {"services_stop", HN_KIND_TEXT, HN_FIELD(services_stop), 0, 0, false, false},
    {"services_status", HN_KIND_TEXT, HN_FIELD(services_status), 0, 0, false, false},
    {"notify_command", HN_KIND_TEXT, HN_FIELD(notify_command), 0, 0, false, false},
    {"fence_command", HN_KIND_TEXT, HN_FIELD(fence_command), 0, 0, false, false},
    {"command_timeout_ms", HN_KIND_U32, HN_FIELD(command_timeout_ms), 10, 3600000, false, false},
    {"disk_usage_max_percent", HN_KIND_U32, HN_FIELD(disk_usage_max_percent), 1, 100, false, false},
    {"time_servers", HN_KIND_TIME_SERVERS, HN_FIELD(time_servers), 0, 0, false, false},
    {"time_offset_max_ms", HN_KIND_U32, HN_FIELD(time_offset_max_ms), 1, 3600000, false, false},
    {"time_check_command", HN_KIND_TEXT, HN_FIELD(time_check_command), 0, 0, false, false},
    {"services_health_command", HN_KIND_TEXT, HN_FIELD(services_health_command), 0, 0, false,
     false},
    {"log_file", HN_KIND_TEXT, HN_FIELD(log_file), 0, 0, false, false},
    {"syslog", HN_KIND_BOOL, HN_FIELD(syslog), 0, 0, false, false},
    {"syslog_server", HN_KIND_IPV4, HN_FIELD(syslog_server), 0, 0, false, false},
    {"syslog_port", HN_KIND_U32, HN_FIELD(syslog_port), 1, 65535, false, false},
    {"syslog_format", HN_KIND_SYSLOG_FORMAT, HN_FIELD(syslog_format), 0, 0, false, false},
    {"control_socket", HN_KIND_TEXT, HN_FIELD(control_socket), 0, 0, false, false},
    {"data_dir", HN_KIND_TEXT, HN_FIELD(data_dir), 0, 0, false, false},
};

#define HN_CONFIG_KEY_COUNT (sizeof(hn_config_keys) / sizeof(hn_config_keys[0]))

_Static_assert(HN_CONFIG_KEY_COUNT <= HN_CONFIG_KEYS_MAX, "raise HN_CONFIG_KEYS_MAX");

static const struct hn_config_key *hn_config_key_find(const char *name, size_t *index)
{
	for (size_t i = 0; i < HN_CONFIG_KEY_COUNT; i++) {
		if (strcmp(hn_config_keys[i].name, name) == 0) {
			*index = i;
			return &hn_config_keys[i];
		}
	}
	return NULL;
}

bool hn_daemon_config_is_cluster_key(const char *key)
{
	size_t index;
	const struct hn_config_key *entry = hn_config_key_find(key, &index);
	return entry && entry->cluster_wide;
}

/* ------------------------------------------------------ value parsers */

static int hn_config_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *value,
			       char *reason, size_t reason_size)
{
	char *end = NULL;
	errno = 0;
	unsigned long long parsed = strtoull(text, &end, 10);
	if (!isdigit((unsigned char)text[0]) || *end || errno || parsed < min || parsed > max) {
		snprintf(reason, reason_size, "expected an integer in %u..%u, got '%s'", min, max,
			 text);
		return -1;
	}
	*value = (uint32_t)parsed;
	return 0;
}

/* A list of IPv4 addresses (blanks or commas between them) into
 * addresses[max][INET_ADDRSTRLEN]; what names them in a message. */
static int hn_config_parse_addresses(const char *text, char (*addresses)[INET_ADDRSTRLEN],
				     uint32_t *count, uint32_t max, const char *what, char *reason,
				     size_t reason_size)
{
	char copy[HN_CONFIG_LINE_MAX];
	snprintf(copy, sizeof(copy), "%s", text);
	*count = 0;
	char *save = NULL;
	for (char *word = strtok_r(copy, " \t,", &save); word;
	     word = strtok_r(NULL, " \t,", &save)) {
		struct in_addr address;
		if (inet_pton(AF_INET, word, &address) != 1) {
			snprintf(reason, reason_size, "'%s' is not an IPv4 address", word);
			return -1;
		}
		if (*count == max) {
			snprintf(reason, reason_size, "more than %u %s", max, what);
			return -1;
		}
		snprintf(addresses[(*count)++], INET_ADDRSTRLEN, "%s", word);
	}
	return 0;
}

static int hn_config_parse_cidr(const char *text, char *reason, size_t reason_size)
{
	char address[HN_CONFIG_CIDR_MAX];
	snprintf(address, sizeof(address), "%s", text);
	char *slash = strchr(address, '/');
	uint32_t prefix = 32;
	if (slash) {
		*slash = '\0';
		if (hn_config_parse_u32(slash + 1, 1, 32, &prefix, reason, reason_size) != 0)
			return -1;
	}
	struct in_addr parsed;
	if (strlen(text) >= HN_CONFIG_CIDR_MAX || inet_pton(AF_INET, address, &parsed) != 1) {
		snprintf(reason, reason_size,
			 "expected an IPv4 address with a prefix (192.0.2.10/24)");
		return -1;
	}
	return 0;
}

/* What the kernel takes as an interface name (dev_valid_name): 1..15
 * bytes, not "." or "..", no '/', ':', blank or control character. */
static bool hn_config_ifname_valid(const char *text)
{
	if (!*text || strcmp(text, ".") == 0 || strcmp(text, "..") == 0)
		return false;
	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		if (*c == '/' || *c == ':' || isspace(*c) || iscntrl(*c))
			return false;
	return true;
}

static bool hn_config_name_valid(const char *text)
{
	for (const char *c = text; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.-", *c))
			return false;
	return *text != '\0';
}

/* The kinds stored as values (numbers, enums, the target list). */
static int hn_config_set_value(struct hn_daemon_config *config, const struct hn_config_key *key,
			       const char *text, char *reason, size_t reason_size)
{
	void *field = (char *)config + key->offset;
	const char *expected = NULL;
	switch (key->kind) {
	case HN_KIND_U32:
		return hn_config_parse_u32(text, key->min, key->max, field, reason, reason_size);
	case HN_KIND_TARGETS:
		return hn_config_parse_addresses(
		    text, config->ping_targets, &config->ping_target_count,
		    HN_HOST_PING_TARGETS_MAX, "targets", reason, reason_size);
	case HN_KIND_TIME_SERVERS:
		return hn_config_parse_addresses(
		    text, config->time_servers, &config->time_server_count,
		    HN_CONFIG_TIME_SERVERS_MAX, "time servers", reason, reason_size);
	case HN_KIND_MODEL:
		if (hn_model_parse(text, field) != 0)
			expected = "rack1, rack4 or virt1";
		break;
	case HN_KIND_VERSION:
		if (hn_version_parse(text, field) != 0)
			expected = "MAJOR.MINOR.PATCH";
		break;
	case HN_KIND_TIEBREAKER:
		if (hn_tiebreaker_parse(text, field) != 0)
			expected = "none, ping or fence";
		break;
	default: /* HN_KIND_BOOL */
		if (strcmp(text, "yes") != 0 && strcmp(text, "no") != 0)
			expected = "yes or no";
		else
			*(bool *)field = strcmp(text, "yes") == 0;
		break;
	}
	if (!expected)
		return 0;
	snprintf(reason, reason_size, "expected %s, got '%s'", expected, text);
	return -1;
}

/* The kinds stored as text: 0 if text is one, or -1 with the reason. */
static int hn_config_check_text(enum hn_config_kind kind, const char *text, char *reason,
				size_t reason_size)
{
	struct in_addr address;
	switch (kind) {
	case HN_KIND_NAME:
	case HN_KIND_ARRAY:
		if (hn_config_name_valid(text))
			return 0;
		snprintf(reason, reason_size, "expected letters, digits, '_', '.' or '-', got '%s'",
			 text);
		return -1;
	case HN_KIND_IFNAME:
		if (hn_config_ifname_valid(text))
			return 0;
		snprintf(reason, reason_size,
			 "not an interface name (1..15 characters; no '/', ':', blanks or "
			 "control characters; not '.' or '..')");
		return -1;
	case HN_KIND_IPV4:
		if (inet_pton(AF_INET, text, &address) == 1)
			return 0;
		snprintf(reason, reason_size, "expected an IPv4 address, got '%s'", text);
		return -1;
	case HN_KIND_CIDR:
		return hn_config_parse_cidr(text, reason, reason_size);
	case HN_KIND_SYSLOG_FORMAT:
		if (strcmp(text, "rfc5424") == 0 || strcmp(text, "rfc3164") == 0)
			return 0;
		snprintf(reason, reason_size, "expected rfc5424 or rfc3164, got '%s'", text);
		return -1;
	default: /* HN_KIND_TEXT: any printable text */
		return 0;
	}
}

static bool hn_config_kind_is_text(enum hn_config_kind kind)
{
	return kind == HN_KIND_NAME || kind == HN_KIND_TEXT || kind == HN_KIND_IFNAME ||
	       kind == HN_KIND_IPV4 || kind == HN_KIND_CIDR || kind == HN_KIND_ARRAY ||
	       kind == HN_KIND_SYSLOG_FORMAT;
}

/* Converts text into the field of key; the reason says what was expected. */
static int hn_config_set(struct hn_daemon_config *config, const struct hn_config_key *key,
			 const char *text, char *reason, size_t reason_size)
{
	if (!hn_config_kind_is_text(key->kind))
		return hn_config_set_value(config, key, text, reason, reason_size);
	if (strlen(text) >= key->size) {
		snprintf(reason, reason_size, "longer than %zu characters", key->size - 1);
		return -1;
	}
	if (key->kind == HN_KIND_ARRAY && strcmp(text, "none") == 0)
		text = "";
	else if (hn_config_check_text(key->kind, text, reason, reason_size) != 0)
		return -1;
	snprintf((char *)config + key->offset, key->size, "%s", text);
	return 0;
}

/* ------------------------------------------------------------ reading */

static char *hn_config_trim(char *text)
{
	while (isspace((unsigned char)*text))
		text++;
	size_t length = strlen(text);
	while (length && isspace((unsigned char)text[length - 1]))
		text[--length] = '\0';
	return text;
}

/* One line: "" / "# comment" / "key = value". */
static int hn_config_line(struct hn_daemon_config *config, struct hn_config_lines *lines,
			  char *line, bool cluster_only, char *reason, size_t reason_size,
			  char *key_name, size_t key_name_size)
{
	char *text = hn_config_trim(line);
	if (!*text || *text == '#')
		return 0;
	char *equals = strchr(text, '=');
	if (equals)
		*equals = '\0';
	snprintf(key_name, key_name_size, "%s", hn_config_trim(text));
	if (!equals) {
		snprintf(reason, reason_size, "expected 'key = value'");
		return -1;
	}
	size_t index;
	const struct hn_config_key *key = hn_config_key_find(key_name, &index);
	if (!key || (cluster_only && !key->cluster_wide)) {
		snprintf(reason, reason_size, key ? "not a cluster-wide setting" : "unknown key");
		return -1;
	}
	if (lines->line[index] && !cluster_only) {
		snprintf(reason, reason_size, "given twice (first on line %u)", lines->line[index]);
		return -1;
	}
	char *value = hn_config_trim(equals + 1);
	if (!*value) {
		snprintf(reason, reason_size, "empty value");
		return -1;
	}
	for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
		if (iscntrl(*c) && *c != '\t') {
			snprintf(reason, reason_size,
				 "a control character (byte 0x%02x) in the value", *c);
			return -1;
		}
	}
	if (hn_config_set(config, key, value, reason, reason_size) != 0)
		return -1;
	lines->line[index] = lines->last_line;
	return 0;
}

/* Why text is not a configuration at all (UTF-16, a NUL byte), or NULL;
 * *line gets the line of the first NUL. */
static const char *hn_config_not_text(const char *text, size_t length, unsigned *line)
{
	const unsigned char *bytes = (const unsigned char *)text;
	*line = 1;
	if (length >= 2 &&
	    ((bytes[0] == 0xff && bytes[1] == 0xfe) || (bytes[0] == 0xfe && bytes[1] == 0xff)))
		return "the file is UTF-16 (it starts with a byte order mark): save it as ASCII "
		       "or UTF-8";
	const char *nul = memchr(text, '\0', length);
	if (!nul)
		return NULL;
	for (const char *c = text; c < nul; c++)
		*line += *c == '\n';
	return "a NUL byte: the file is not text (UTF-16 without a byte order mark?)";
}

static int hn_config_read(struct hn_daemon_config *config, struct hn_config_lines *lines,
			  const char *name, const char *text, size_t length, bool cluster_only,
			  char *error, size_t error_size)
{
	char line[HN_CONFIG_LINE_MAX], reason[HN_REASON_MAX], key_name[64];
	unsigned bad_line;
	const char *not_text = hn_config_not_text(text, length, &bad_line);
	if (not_text) {
		snprintf(error, error_size, "%s:%u: %s", name, bad_line, not_text);
		return -1;
	}
	lines->last_line = 0;
	for (size_t at = 0; at < length;) {
		const char *end = memchr(text + at, '\n', length - at);
		size_t line_length = end ? (size_t)(end - (text + at)) : length - at;
		lines->last_line++;
		if (line_length > HN_CONFIG_LINE_MAX - 2) {
			snprintf(error, error_size, "%s:%u: line longer than %d characters", name,
				 lines->last_line, HN_CONFIG_LINE_MAX - 2);
			return -1;
		}
		memcpy(line, text + at, line_length);
		line[line_length] = '\0';
		at += line_length + 1;
		if (hn_config_line(config, lines, line, cluster_only, reason, sizeof(reason),
				   key_name, sizeof(key_name)) != 0) {
			snprintf(error, error_size, "%s:%u: key '%s': %s", name, lines->last_line,
				 key_name, reason);
			return -1;
		}
	}
	return 0;
}

/* ----------------------------------------------------- whole-file checks */

static unsigned hn_config_line_of(const struct hn_config_lines *lines, const char *name)
{
	size_t index;
	if (!hn_config_key_find(name, &index) || !lines->line[index])
		return lines->last_line;
	return lines->line[index];
}

static bool lines_set(const struct hn_config_lines *lines, const char *name)
{
	size_t index;
	return hn_config_key_find(name, &index) && lines->line[index] != 0;
}

#define HN_CONFIG_FAIL(name, ...)                                                                  \
	do {                                                                                       \
		int written = snprintf(error, error_size, "%s:%u: key '%s': ", config->path,       \
				       hn_config_line_of(lines, name), name);                      \
		if (written > 0 && (size_t)written < error_size)                                   \
			snprintf(error + written, error_size - (size_t)written, __VA_ARGS__);      \
		return -1;                                                                         \
	} while (0)

/* The notify-only checks and the syslog forwarding. */
static int hn_config_check_notify(struct hn_daemon_config *config,
				  const struct hn_config_lines *lines, char *error,
				  size_t error_size)
{
	if (config->time_server_count > 0 && config->time_check_command[0])
		HN_CONFIG_FAIL("time_check_command", "time_servers is set too: use one of them");
	if (config->time_offset_max_ms && !config->time_server_count)
		HN_CONFIG_FAIL("time_offset_max_ms", "needs time_servers");
	if (config->time_server_count && !config->time_offset_max_ms)
		config->time_offset_max_ms = HN_CONFIG_TIME_OFFSET_DEFAULT_MS;
	if (!config->syslog_server[0] && lines_set(lines, "syslog_port"))
		HN_CONFIG_FAIL("syslog_port", "needs syslog_server");
	if (!config->syslog_server[0] && lines_set(lines, "syslog_format"))
		HN_CONFIG_FAIL("syslog_format", "needs syslog_server");
	return 0;
}

static int hn_config_check(struct hn_daemon_config *config, const struct hn_config_lines *lines,
			   char *error, size_t error_size)
{
	for (size_t i = 0; i < HN_CONFIG_KEY_COUNT; i++)
		if (hn_config_keys[i].required && !lines->line[i])
			HN_CONFIG_FAIL(hn_config_keys[i].name, "missing required key");
	const struct hn_link_config *external = &config->links[HN_LINK_EXTERNAL];
	if (external->interface[0] && (!external->address[0] || !external->peer[0]))
		HN_CONFIG_FAIL(external->address[0] ? "external_peer" : "external_address",
			       "required when external_interface is set");
	if (!external->interface[0] && (external->address[0] || external->peer[0]))
		HN_CONFIG_FAIL("external_interface", "required when external_address/peer is set");
	if (config->cluster_ip[0] && !config->cluster_ip_interface[0]) {
		if (!external->interface[0])
			HN_CONFIG_FAIL("cluster_ip_interface", "required (no external_interface)");
		snprintf(config->cluster_ip_interface, IF_NAMESIZE, "%s", external->interface);
	}
	const struct hn_timers *timers = &config->core.timers;
	if (timers->dead_time_ms < 2 * timers->heartbeat_interval_ms)
		HN_CONFIG_FAIL("dead_time_ms",
			       "%u must be at least twice heartbeat_interval_ms (%u)",
			       timers->dead_time_ms, timers->heartbeat_interval_ms);
	if (config->core.tiebreaker == HN_TIEBREAKER_FENCE && !config->fence_command[0])
		HN_CONFIG_FAIL("fence_command", "required by tiebreaker = fence");
	if (config->core.tiebreaker == HN_TIEBREAKER_PING && !config->ping_target_count)
		HN_CONFIG_FAIL("ping_targets", "required by tiebreaker = ping");
	if (strlen(config->control_socket) >= HN_CONFIG_SOCKET_PATH_MAX)
		HN_CONFIG_FAIL("control_socket", "longer than %d characters (a Unix socket path)",
			       HN_CONFIG_SOCKET_PATH_MAX - 1);
	/* the fence command's own timeout (command_timeout_ms) must answer
	 * first: the core's bound is the last resort (refimpl/core/README.md) */
	uint32_t fence_timeout_ms =
	    timers->fence_timeout_ms ? timers->fence_timeout_ms : HN_FENCE_TIMEOUT_DEFAULT_MS;
	if (config->fence_command[0] && fence_timeout_ms <= config->command_timeout_ms)
		HN_CONFIG_FAIL(timers->fence_timeout_ms ? "fence_timeout_ms" : "command_timeout_ms",
			       "fence_timeout_ms (%u) must be longer than command_timeout_ms (%u)",
			       fence_timeout_ms, config->command_timeout_ms);
	if (config->ping_timeout_ms >= config->health_interval_ms)
		HN_CONFIG_FAIL("ping_timeout_ms", "must be shorter than health_interval_ms (%u)",
			       config->health_interval_ms);
	return hn_config_check_notify(config, lines, error, error_size);
}

/* --------------------------------------------------------------- public */

static void hn_daemon_config_defaults(struct hn_daemon_config *config, const char *name)
{
	memset(config, 0, sizeof(*config));
	snprintf(config->path, sizeof(config->path), "%s", name);
	hn_config_defaults(&config->core);
	config->port = 7400;
	config->store_port = 7000;
	config->store_idle_timeout_ms = 30000;
	config->store_clients_per_source = 8;
	config->pairing_port = 7401;
	snprintf(config->key_file, sizeof(config->key_file), "/var/lib/hanode/cluster.key");
	config->health_interval_ms = 1000;
	config->ping_timeout_ms = 500;
	config->ping_attempts = 3;
	snprintf(config->raid_mdstat_path, sizeof(config->raid_mdstat_path), "/proc/mdstat");
	config->command_timeout_ms = 5000;
	snprintf(config->log_file, sizeof(config->log_file), "/var/log/hanode/cluster.log");
	config->syslog_port = 514;
	snprintf(config->syslog_format, sizeof(config->syslog_format), "rfc5424");
	snprintf(config->control_socket, sizeof(config->control_socket),
		 "/run/hanode/control.sock");
	snprintf(config->data_dir, sizeof(config->data_dir), "/var/lib/hanode");
}

int hn_daemon_config_parse_text(struct hn_daemon_config *config, const char *name, const char *text,
				size_t length, char *error, size_t error_size)
{
	hn_daemon_config_defaults(config, name);
	if (hn_config_read(config, &config->lines, name, text, length, false, error, error_size) !=
	    0)
		return -1;
	return hn_config_check(config, &config->lines, error, error_size);
}

int hn_daemon_config_overlay_text(struct hn_daemon_config *config, const char *name,
				  const char *text, size_t length, char *error, size_t error_size)
{
	struct hn_config_lines overlay_lines;
	memset(&overlay_lines, 0, sizeof(overlay_lines));
	if (hn_config_read(config, &overlay_lines, name, text, length, true, error, error_size) !=
	    0)
		return -1;
	return hn_config_check(config, &config->lines, error, error_size);
}

void hn_daemon_config_to_host(const struct hn_daemon_config *config,
			      struct hn_host_config *host_config)
{
	memset(host_config, 0, sizeof(*host_config));
	host_config->core = config->core;
	host_config->health_interval_ms = config->health_interval_ms;
	host_config->ping_target_count = config->ping_target_count;
	host_config->ping_timeout_ms = config->ping_timeout_ms;
	host_config->ping_attempts = config->ping_attempts;
	host_config->raid_check = config->raid_array[0] || config->raid_command[0];
	host_config->services_check = config->services_status[0] != '\0';
	host_config->has_cluster_ip = config->cluster_ip[0] != '\0';
	host_config->garp_count = HN_CONFIG_GARP_COUNT;
	host_config->garp_interval_ms = HN_CONFIG_GARP_INTERVAL_MS;
	/* Under the ping tie-breaker a node must know whether someone else
	 * answers the cluster IP; the probe shares the ping timeout, so a
	 * round's network parts end together. */
	host_config->cluster_ip_probe =
	    config->core.tiebreaker == HN_TIEBREAKER_PING && host_config->has_cluster_ip;
	host_config->probe_timeout_ms = config->ping_timeout_ms;
	host_config->probe_interval_ms = HN_CONFIG_PROBE_INTERVAL_MS;
	host_config->disk_usage_check = config->disk_usage_max_percent > 0;
	host_config->time_offset_check =
	    config->time_server_count > 0 || config->time_check_command[0] != '\0';
	host_config->service_health_check = config->services_health_command[0] != '\0';
	host_config->has_services_start = config->services_start[0] != '\0';
	host_config->has_services_stop = config->services_stop[0] != '\0';
	host_config->has_notify = config->notify_command[0] != '\0';
	host_config->has_fence = config->fence_command[0] != '\0';
	for (int link = 0; link < HN_LINKS; link++)
		host_config->link_absent[link] = config->links[link].interface[0] == '\0';
}

int hn_daemon_config_cluster_text(const struct hn_daemon_config *config, char *text,
				  size_t text_size)
{
	const struct hn_timers *timers = &config->core.timers;
	int written = snprintf(text, text_size,
			       "heartbeat_interval_ms=%u dead_time_ms=%u wait_for_peer_ms=%u "
			       "fence_delay_ms=%u retransmit_ms=%u tiebreaker=%s%s%s",
			       timers->heartbeat_interval_ms, timers->dead_time_ms,
			       timers->wait_for_peer_ms, timers->fence_delay_ms,
			       timers->retransmit_ms, hn_tiebreaker_name(config->core.tiebreaker),
			       config->cluster_ip[0] ? " cluster_ip=" : "", config->cluster_ip);
	return written < 0 || (size_t)written >= text_size ? -1 : 0;
}

void hn_daemon_config_cluster_ip_address(const struct hn_daemon_config *config, char *address,
					 size_t address_size)
{
	snprintf(address, address_size, "%s", config->cluster_ip);
	char *slash = strchr(address, '/');
	if (slash)
		*slash = '\0';
}
