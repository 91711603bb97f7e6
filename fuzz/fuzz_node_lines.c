/*
 * fuzz_node_lines.c - libFuzzer targets of hanode's text inputs, one per
 * build (fuzz/fuzz.mk compiles this file three times):
 *
 *   FUZZ_REQUEST  a control socket request line (refimpl/daemon/request.c,
 *                 hn_request_parse): what a local user sends through hactl
 *   FUZZ_KVLINE   a line of the store's protocol (refimpl/daemon/kvline.c,
 *                 hn_kv_parse): what anyone on the network sends to TCP 7000
 *   FUZZ_CONFIG   hanode.conf text (refimpl/daemon/config.c,
 *                 hn_daemon_config_parse_text), then its host configuration
 *
 * Besides the sanitizers each aborts when a promise of the parser breaks:
 * outputs terminated and within their bounds; a refusal has a reason (the
 * config's names the file and a line); what was accepted is valid (a store
 * key of [A-Za-z0-9_./-], a value of printable bytes, an admin command with
 * a name that parses back to it, timers that fit together).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hn_core.h"
#include "kvline.h"
#include "request.h"

#define FUZZ_LINE_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_require(bool condition)
{
	if (!condition)
		abort();
}

static bool fuzz_terminated(const char *text, size_t size)
{
	return memchr(text, '\0', size) != NULL;
}

#if defined(FUZZ_REQUEST)
static void fuzz_one(const uint8_t *data, size_t size)
{
	static char line[FUZZ_LINE_MAX + 1];
	char error[HN_REASON_MAX] = "";
	struct hn_request request;
	if (size > FUZZ_LINE_MAX)
		size = FUZZ_LINE_MAX;
	memcpy(line, data, size);
	line[size] = '\0'; /* control.c hands over a C string */
	if (hn_request_parse(line, &request, error, sizeof(error)) != 0) {
		fuzz_require(fuzz_terminated(error, sizeof(error)) && error[0] != '\0');
		return;
	}
	fuzz_require(request.kind >= HN_REQUEST_STATUS && request.kind <= HN_REQUEST_JOIN_DATA);
	fuzz_require(fuzz_terminated(request.key, sizeof(request.key)));
	fuzz_require(fuzz_terminated(request.value, sizeof(request.value)));
	if (request.kind == HN_REQUEST_LOG)
		fuzz_require(request.log_count > 0);
	if (request.kind == HN_REQUEST_JOIN_DATA)
		fuzz_require(request.words >= line && request.words <= line + size);
	if (request.kind == HN_REQUEST_ADMIN && request.command != HN_ADMIN_SETTING_SET) {
		enum hn_admin_command again;
		const char *name = hn_admin_command_name(request.command);
		fuzz_require(name != NULL && request.command != HN_ADMIN_SHUTDOWN);
		fuzz_require(hn_admin_command_parse(name, &again) == 0 && again == request.command);
	}
	if (request.kind == HN_REQUEST_ADMIN && request.command == HN_ADMIN_SETTING_SET)
		fuzz_require(request.key[0] != '\0' && request.value[0] != '\0');
}
#elif defined(FUZZ_KVLINE)
static void fuzz_one(const uint8_t *data, size_t size)
{
	char reason[HN_REASON_MAX] = "";
	struct hn_kv_request request;
	if (size > FUZZ_LINE_MAX)
		size = FUZZ_LINE_MAX;
	/* The bytes exactly as kvserver.c gives them: a length, no NUL added. */
	char *line = malloc(size ? size : 1);
	fuzz_require(line != NULL);
	memcpy(line, data, size);
	int result = hn_kv_parse(line, size, &request, reason, sizeof(reason));
	free(line);
	if (result != 0) {
		fuzz_require(fuzz_terminated(reason, sizeof(reason)) && reason[0] != '\0');
		return;
	}
	fuzz_require(request.kind == HN_KV_GET || request.kind == HN_KV_PUT);
	size_t key_length = strnlen(request.key, sizeof(request.key));
	fuzz_require(key_length > 0 && key_length < sizeof(request.key));
	for (size_t i = 0; i < key_length; i++)
		fuzz_require(isalnum((unsigned char)request.key[i]) ||
			     strchr("_./-", request.key[i]) != NULL);
	size_t value_length = strnlen(request.value, sizeof(request.value));
	fuzz_require(value_length < sizeof(request.value));
	fuzz_require(request.kind == HN_KV_GET ? value_length == 0 : value_length > 0);
	for (size_t i = 0; i < value_length; i++)
		fuzz_require(isprint((unsigned char)request.value[i]));
}
#elif defined(FUZZ_CONFIG)
static void fuzz_one(const uint8_t *data, size_t size)
{
	static struct hn_daemon_config config;
	static struct hn_host_config host;
	char error[512] = "", cluster[512];
	if (size > HN_CONFIG_TEXT_MAX)
		size = HN_CONFIG_TEXT_MAX;
	if (hn_daemon_config_parse_text(&config, "fuzz.conf", (const char *)data, size, error,
					sizeof(error)) != 0) {
		fuzz_require(fuzz_terminated(error, sizeof(error)));
		fuzz_require(strncmp(error, "fuzz.conf:", 10) == 0);
		return;
	}
	const struct hn_timers *timers = &config.core.timers;
	fuzz_require(timers->dead_time_ms >= 2 * timers->heartbeat_interval_ms);
	fuzz_require(config.ping_timeout_ms < config.health_interval_ms);
	fuzz_require(config.ping_target_count <= HN_HOST_PING_TARGETS_MAX);
	fuzz_require(config.time_server_count <= HN_CONFIG_TIME_SERVERS_MAX);
	fuzz_require(config.core.self.node_id >= 1 && config.core.self.name[0] != '\0');
	fuzz_require(fuzz_terminated(config.data_dir, sizeof(config.data_dir)));
	fuzz_require(fuzz_terminated(config.services_health_command,
				     sizeof(config.services_health_command)));
	fuzz_require(strlen(config.control_socket) < HN_CONFIG_SOCKET_PATH_MAX);
	fuzz_require(!config.time_server_count || config.time_offset_max_ms > 0);
	hn_daemon_config_to_host(&config, &host);
	fuzz_require(host.ping_target_count == config.ping_target_count);
	fuzz_require(!host.has_cluster_ip || config.cluster_ip_interface[0] != '\0');
	if (hn_daemon_config_cluster_text(&config, cluster, sizeof(cluster)) == 0)
		fuzz_require(fuzz_terminated(cluster, sizeof(cluster)));
}
#else
#error "define FUZZ_REQUEST, FUZZ_KVLINE or FUZZ_CONFIG"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	return 0;
}
