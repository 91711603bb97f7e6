/*
 * request.c - parse one request line of hanode's control socket (see
 * request.h). Pure: no state, no I/O; every refusal is one sentence the
 * daemon sends back as {"ok":false,"error":...}.
 *
 * Admin commands come from the core's one table of names
 * (hn_admin_command_parse), so hactl, hanode and hasim spell them alike;
 * "setting set" needs its arguments and "shutdown" is the host's own (hanode
 * stops on SIGTERM), so neither is taken as a bare name.
 */
#include "request.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HN_REQUEST_LOG_DEFAULT 20

static int hn_request_refuse(char *error, size_t error_size, const char *reason)
{
	snprintf(error, error_size, "%s", reason);
	return -1;
}

static int hn_request_log(const char *count_text, struct hn_request *request, char *error,
			  size_t error_size)
{
	char *end = NULL;
	request->kind = HN_REQUEST_LOG;
	request->log_count = HN_REQUEST_LOG_DEFAULT;
	if (!count_text)
		return 0;
	errno = 0;
	unsigned long long count = strtoull(count_text, &end, 10);
	if (count_text[0] < '0' || count_text[0] > '9' || *end || errno || count == 0 ||
	    count > UINT32_MAX)
		return hn_request_refuse(error, error_size, "log: N must be a positive integer");
	request->log_count = (uint32_t)count;
	return 0;
}

/* "KEY" or "KEY VALUE" after "setting get " / "setting set ". */
static int hn_request_setting(const char *text, bool with_value, struct hn_request *request,
			      char *error, size_t error_size)
{
	const char *space = strchr(text, ' ');
	size_t key_length = space ? (size_t)(space - text) : strlen(text);
	const char *value = space ? space + 1 : "";
	if (key_length == 0 || (with_value ? !space || !*value : space != NULL))
		return hn_request_refuse(error, error_size,
					 with_value ? "usage: setting set KEY VALUE"
						    : "usage: setting get KEY");
	if (key_length >= HN_KEY_MAX || strlen(value) >= HN_VALUE_MAX)
		return hn_request_refuse(error, error_size, "setting: key or value too long");
	memcpy(request->key, text, key_length);
	request->key[key_length] = '\0';
	snprintf(request->value, sizeof(request->value), "%s", value);
	request->kind = with_value ? HN_REQUEST_ADMIN : HN_REQUEST_SETTING_GET;
	request->command = HN_ADMIN_SETTING_SET;
	return 0;
}

int hn_request_parse(const char *line, struct hn_request *request, char *error, size_t error_size)
{
	memset(request, 0, sizeof(*request));
	if (strcmp(line, "status") == 0 || strcmp(line, "status --json") == 0) {
		request->kind = HN_REQUEST_STATUS;
		return 0;
	}
	if (strcmp(line, "log") == 0 || strncmp(line, "log ", 4) == 0)
		return hn_request_log(line[3] ? line + 4 : NULL, request, error, error_size);
	if (strncmp(line, "setting get ", 12) == 0)
		return hn_request_setting(line + 12, false, request, error, error_size);
	if (strncmp(line, "setting set ", 12) == 0)
		return hn_request_setting(line + 12, true, request, error, error_size);
	if (strcmp(line, "pairing-secret") == 0) {
		request->kind = HN_REQUEST_PAIRING_SECRET;
		return 0;
	}
	if (strcmp(line, "join-request") == 0) {
		request->kind = HN_REQUEST_JOIN_REQUEST;
		return 0;
	}
	if (strncmp(line, "join-data ", 10) == 0) {
		request->kind = HN_REQUEST_JOIN_DATA;
		request->words = line + 10;
		return 0;
	}
	if (hn_admin_command_parse(line, &request->command) != 0 ||
	    request->command == HN_ADMIN_SETTING_SET)
		return hn_request_refuse(error, error_size, "unknown request");
	if (request->command == HN_ADMIN_SHUTDOWN)
		return hn_request_refuse(error, error_size,
					 "shutdown: stop hanode itself (SIGTERM, e.g. systemctl "
					 "stop hanode)");
	request->kind = HN_REQUEST_ADMIN;
	return 0;
}
