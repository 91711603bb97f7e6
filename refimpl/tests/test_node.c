/*
 * test_node.c - CUnit tests of libhnnode.a, hanode's pure parts that hasim's
 * virtual backend links: hanode.conf parsed from text (config.c) and the
 * host configuration derived from it, the status JSON (status.c), and one
 * line of the store protocol (kvline.c). This binary links libhnnode.a,
 * libhncore.a and libsodium only, so it also proves that the library needs
 * nothing of the daemon's I/O.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "clusterlog.h"
#include "kvline.h"
#include "request.h"
#include "status.h"
#include "test_main.h"

static const char test_good[] = "node_id = 1\n"
				"name = node1\n"
				"sync_interface = sync0\n"
				"sync_address = 198.51.100.1\n"
				"sync_peer = 198.51.100.2\n"
				"external_interface = ext0\n"
				"external_address = 192.0.2.11\n"
				"external_peer = 192.0.2.12\n"
				"cluster_ip = 192.0.2.10/24\n"
				"tiebreaker = ping\n"
				"ping_targets = 192.0.2.1 192.0.2.2\n"
				"ping_timeout_ms = 300\n"
				"ping_attempts = 2\n"
				"raid_array = md0\n"
				"services_status = true\n"
				"fence_command = /bin/true\n";

static struct hn_daemon_config test_config;
static char test_error[512];

static int test_parse(const char *text, size_t length)
{
	return hn_daemon_config_parse_text(&test_config, "node.conf", text, length, test_error,
					   sizeof(test_error));
}

/* ---------------------------------------------------------------- config */

static void test_config_from_text(void)
{
	struct hn_host_config host;
	CU_ASSERT_EQUAL_FATAL(test_parse(test_good, strlen(test_good)), 0);
	CU_ASSERT_STRING_EQUAL(test_config.path, "node.conf");
	CU_ASSERT_STRING_EQUAL(test_config.cluster_ip_interface, "ext0"); /* the default */
	hn_daemon_config_to_host(&test_config, &host);
	CU_ASSERT_EQUAL(host.core.self.node_id, 1);
	CU_ASSERT_EQUAL(host.core.tiebreaker, HN_TIEBREAKER_PING);
	CU_ASSERT_EQUAL(host.health_interval_ms, 1000);
	CU_ASSERT_EQUAL(host.ping_target_count, 2);
	CU_ASSERT_EQUAL(host.ping_timeout_ms, 300);
	CU_ASSERT_EQUAL(host.ping_attempts, 2);
	CU_ASSERT_TRUE(host.raid_check);
	CU_ASSERT_TRUE(host.services_check);
	CU_ASSERT_TRUE(host.has_cluster_ip);
	CU_ASSERT_TRUE(host.cluster_ip_probe);
	CU_ASSERT_EQUAL(host.probe_timeout_ms, 300);
	CU_ASSERT_EQUAL(host.probe_interval_ms, 100);
	CU_ASSERT_EQUAL(host.garp_count, 3);
	CU_ASSERT_EQUAL(host.garp_interval_ms, 100);
	CU_ASSERT_TRUE(host.has_fence);
	CU_ASSERT_FALSE(host.has_notify || host.has_services_start || host.has_services_stop);
	CU_ASSERT_FALSE(host.link_absent[HN_LINK_SYNC] || host.link_absent[HN_LINK_EXTERNAL]);
	/* The last line needs no newline. */
	CU_ASSERT_EQUAL(test_parse(test_good, strlen(test_good) - 1), 0);
}

static void test_config_errors_name_file_and_line(void)
{
	char text[2048];
	snprintf(text, sizeof(text), "%sdead_time_ms = soon\n", test_good);
	CU_ASSERT_EQUAL(test_parse(text, strlen(text)), -1);
	CU_ASSERT_STRING_EQUAL(test_error, "node.conf:17: key 'dead_time_ms': expected an integer "
					   "in 30..600000, got 'soon'");
	snprintf(text, sizeof(text), "%stiebreaker = none\n", test_good);
	CU_ASSERT_EQUAL(test_parse(text, strlen(text)), -1);
	CU_ASSERT_STRING_EQUAL(test_error,
			       "node.conf:17: key 'tiebreaker': given twice (first on line 10)");
	CU_ASSERT_EQUAL(test_parse("node_id = 1\n", 12), -1);
	CU_ASSERT_STRING_EQUAL(test_error, "node.conf:1: key 'name': missing required key");
	/* A NUL byte, or UTF-16, is said as such (not "unknown key"). */
	char nul[] = "node_id = 1\nname = no\0de1\n";
	CU_ASSERT_EQUAL(test_parse(nul, sizeof(nul) - 1), -1);
	CU_ASSERT_STRING_EQUAL(test_error, "node.conf:2: a NUL byte: the file is not text (UTF-16 "
					   "without a byte order mark?)");
	const char utf16[] = "\xff\xfen\0o\0";
	CU_ASSERT_EQUAL(test_parse(utf16, sizeof(utf16) - 1), -1);
	CU_ASSERT_STRING_EQUAL(test_error, "node.conf:1: the file is UTF-16 (it starts with a byte "
					   "order mark): save it as ASCII or UTF-8");
}

static void test_config_overlay(void)
{
	CU_ASSERT_EQUAL_FATAL(test_parse(test_good, strlen(test_good)), 0);
	const char overlay[] = "dead_time_ms = 700\ntiebreaker = none\n";
	CU_ASSERT_EQUAL(hn_daemon_config_overlay_text(&test_config, "cluster.conf", overlay,
						      strlen(overlay), test_error,
						      sizeof(test_error)),
			0);
	CU_ASSERT_EQUAL(test_config.core.timers.dead_time_ms, 700);
	CU_ASSERT_EQUAL(test_config.core.tiebreaker, HN_TIEBREAKER_NONE);
	const char local[] = "name = other\n";
	CU_ASSERT_EQUAL(hn_daemon_config_overlay_text(&test_config, "cluster.conf", local,
						      strlen(local), test_error,
						      sizeof(test_error)),
			-1);
	CU_ASSERT_STRING_EQUAL(test_error,
			       "cluster.conf:1: key 'name': not a cluster-wide setting");
}

/* ---------------------------------------------------------------- status */

static void test_status_render(void)
{
	static char json[16384];
	struct hn_host_status host;
	CU_ASSERT_EQUAL_FATAL(test_parse(test_good, strlen(test_good)), 0);
	memset(&host, 0, sizeof(host));
	host.core.role = HN_ROLE_ACTIVE;
	host.core.state = HN_STATE_NORMAL;
	host.core.peer_seen = true;
	host.ip_held = true;
	host.peer_heard = true;
	host.peer.sender.node_id = 2;
	snprintf(host.peer.sender.name, sizeof(host.peer.sender.name), "node2");
	snprintf(host.raid_reason, sizeof(host.raid_reason), "md0: active raid1 [2/2] [UU]");
	host.packets_sent[HN_LINK_SYNC] = 12;
	host.send_errors_by_link[HN_LINK_EXTERNAL] = 3;
	host.counters.replayed = 4;
	host.oversize = 1;
	struct hn_control_status_view view = {.paired = true,
					      .now_ms = 42,
					      .self = &test_config.core.self,
					      .link_configs = test_config.links,
					      .host = &host};
	CU_ASSERT_EQUAL_FATAL(hn_control_status_render(&view, json, sizeof(json)), 0);
	CU_ASSERT(strncmp(json,
			  "{\"ok\":true,\"mono_ms\":42,\"node\":{\"id\":1,\"name\":\"node1\","
			  "\"role\":\"active\",\"letter\":\"M\"",
			  80) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"ip_held\":true,\"raid_reason\":\"md0: active raid1 "
					    "[2/2] [UU]\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"name\":\"sync\",\"interface\":\"sync0\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"peer\":{\"seen\":true,\"id\":2,\"name\":\"node2\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"replayed\":4,\"malformed\":0,\"oversize\":1,"
					    "\"sync_sent\":12,\"sync_send_errors\":0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"external_send_errors\":3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"text\":\"node1        M  active"));
	/* Unpaired: nothing known, said so. */
	view.paired = false;
	view.host = NULL;
	CU_ASSERT_EQUAL(hn_control_status_render(&view, json, sizeof(json)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"paired\":false"));
	CU_ASSERT_PTR_NOT_NULL(strstr(json, "unpaired: no cluster key"));
	CU_ASSERT_EQUAL(hn_control_status_render(&view, json, 64), -1); /* does not fit */
}

/* ------------------------------------------------------------- kv lines */

static void test_kv_lines(void)
{
	struct hn_kv_request request;
	char reason[96];
	const char put[] = "PUT order/42 paid in full";
	CU_ASSERT_EQUAL(hn_kv_parse(put, strlen(put), &request, reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(request.kind, HN_KV_PUT);
	CU_ASSERT_STRING_EQUAL(request.key, "order/42");
	CU_ASSERT_STRING_EQUAL(request.value, "paid in full");
	CU_ASSERT_EQUAL(hn_kv_parse("GET k", 5, &request, reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(request.kind, HN_KV_GET);
	/* Regression (issue 11): "PUT a b\0c" stored "b". */
	const char nul[] = "PUT a b\0c";
	CU_ASSERT_EQUAL(hn_kv_parse(nul, sizeof(nul) - 1, &request, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "NUL byte in the line");
	CU_ASSERT_EQUAL(hn_kv_parse("GET k x", 7, &request, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "GET takes one key");
	CU_ASSERT_EQUAL(hn_kv_parse("PUT k", 5, &request, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "bad value (1..255 printable bytes)");
	CU_ASSERT_EQUAL(hn_kv_parse("DEL k", 5, &request, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "unknown command (expected GET or PUT)");
	CU_ASSERT_EQUAL(hn_kv_parse("PUT b@d v", 9, &request, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "bad key (1..63 of [A-Za-z0-9_./-])");
	/* Regression (fuzz_kvline): a byte that is not printable in a value made
	 * the check read on past the line (caught by ASan: make test-asan). */
	const char bad[] = "PUT orddr/42 \x9b"
			   "aid in full";
	char *exact = malloc(sizeof(bad) - 1);
	CU_ASSERT_FATAL(exact != NULL);
	memcpy(exact, bad, sizeof(bad) - 1);
	CU_ASSERT_EQUAL(hn_kv_parse(exact, sizeof(bad) - 1, &request, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "bad value (1..255 printable bytes)");
	free(exact);
}

/* ------------------------------------------------------ control requests */

static void test_control_requests(void)
{
	struct hn_request request;
	char error[HN_REASON_MAX];
	CU_ASSERT_EQUAL(hn_request_parse("status --json", &request, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(request.kind, HN_REQUEST_STATUS);
	CU_ASSERT_EQUAL(hn_request_parse("log", &request, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(request.log_count, 20);
	CU_ASSERT_EQUAL(hn_request_parse("log 0", &request, error, sizeof(error)), -1);
	CU_ASSERT_STRING_EQUAL(error, "log: N must be a positive integer");
	/* The core's one table: both spellings of force start. */
	CU_ASSERT_EQUAL(hn_request_parse("force-start", &request, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(request.command, HN_ADMIN_FORCE_START);
	CU_ASSERT_EQUAL(hn_request_parse("force start", &request, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(request.command, HN_ADMIN_FORCE_START);
	CU_ASSERT_EQUAL(hn_request_parse("maintenance on", &request, error, sizeof(error)), 0);
	CU_ASSERT_EQUAL(request.kind, HN_REQUEST_ADMIN);
	CU_ASSERT_EQUAL(request.command, HN_ADMIN_MAINTENANCE_ON);
	CU_ASSERT_EQUAL(hn_request_parse("shutdown", &request, error, sizeof(error)), -1);
	CU_ASSERT_STRING_EQUAL(
	    error, "shutdown: stop hanode itself (SIGTERM, e.g. systemctl stop hanode)");
	CU_ASSERT_EQUAL(hn_request_parse("setting set", &request, error, sizeof(error)), -1);
	CU_ASSERT_STRING_EQUAL(error, "unknown request");
	CU_ASSERT_EQUAL(hn_request_parse("setting set ntp", &request, error, sizeof(error)), -1);
	CU_ASSERT_STRING_EQUAL(error, "usage: setting set KEY VALUE");
	CU_ASSERT_EQUAL(
	    hn_request_parse("setting set ntp 192.0.2.1 192.0.2.2", &request, error, sizeof(error)),
	    0);
	CU_ASSERT_EQUAL(request.command, HN_ADMIN_SETTING_SET);
	CU_ASSERT_STRING_EQUAL(request.key, "ntp");
	CU_ASSERT_STRING_EQUAL(request.value, "192.0.2.1 192.0.2.2");
	CU_ASSERT_EQUAL(hn_request_parse("setting get ntp x", &request, error, sizeof(error)), -1);
	CU_ASSERT_STRING_EQUAL(error, "usage: setting get KEY");
	CU_ASSERT_EQUAL(hn_request_parse("frobnicate", &request, error, sizeof(error)), -1);
	CU_ASSERT_STRING_EQUAL(error, "unknown request");
}

/* ---------------------------------------------------- syslog and answers */

static void test_syslog_format_and_answers(void)
{
	char out[HN_SYSLOG_DATAGRAM_MAX], json[64];
	const char *line = "{\"event\":\"start\"}";
	enum hn_syslog_format format;
	/* 2026-12-01 10:00:00.123 UTC */
	CU_ASSERT(hn_clusterlog_syslog_format(HN_SYSLOG_RFC5424, 1796119200123ull, "node 1", 42,
					      "transition", line, out, sizeof(out)) > 0);
	CU_ASSERT_STRING_EQUAL(out, "<29>1 2026-12-01T10:00:00.123Z node_1 hanode 42 transition - "
				    "{\"event\":\"start\"}");
	CU_ASSERT(hn_clusterlog_syslog_format(HN_SYSLOG_RFC3164, 1796119200123ull, "node1", 42,
					      "transition", line, out, sizeof(out)) > 0);
	CU_ASSERT_STRING_EQUAL(out, "<29>Dec  1 10:00:00 node1 hanode[42]: {\"event\":\"start\"}");
	CU_ASSERT_EQUAL(
	    hn_clusterlog_syslog_format(HN_SYSLOG_RFC5424, 0, "n", 1, "", line, out, 20), -1);
	CU_ASSERT_EQUAL(hn_syslog_format_parse("rfc3164", &format), 0);
	CU_ASSERT_EQUAL(format, HN_SYSLOG_RFC3164);
	CU_ASSERT_EQUAL(hn_syslog_format_parse("json", &format), -1);
	CU_ASSERT_EQUAL(hn_control_answer_render(true, "maintenance \"on\"", json, sizeof(json)),
			0);
	CU_ASSERT_STRING_EQUAL(json, "{\"ok\":true,\"message\":\"maintenance \\\"on\\\"\"}");
	CU_ASSERT_EQUAL(hn_control_answer_render(false, "unknown request", json, sizeof(json)), 0);
	CU_ASSERT_STRING_EQUAL(json, "{\"ok\":false,\"error\":\"unknown request\"}");
	CU_ASSERT_EQUAL(hn_control_answer_render(false, "unknown request", json, 10), -1);
}

int main(void)
{
	static const struct hn_test_case cases[] = {
	    {"config from text", test_config_from_text},
	    {"config errors name file and line", test_config_errors_name_file_and_line},
	    {"config overlay", test_config_overlay},
	    {"status render", test_status_render},
	    {"kv lines", test_kv_lines},
	    {"control requests", test_control_requests},
	    {"syslog format and answers", test_syslog_format_and_answers},
	    {NULL, NULL},
	};
	if (sodium_init() < 0)
		return 1;
	return hn_test_run_suite("node", cases, NULL, NULL);
}
