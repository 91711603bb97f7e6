/*
 * request.h - one request line of hanode's control socket (what hactl
 * sends), parsed into what it asks for: pure (request.c, in libhnnode.a),
 * so hanode, hasim's virtual backend and the fuzzer (fuzz/fuzz_request.c)
 * read a line the same way.
 *
 * The lines:
 *   status | status --json
 *   log | log N                      (N: 1..4294967295; default 20)
 *   ADMIN                            an admin command by its name in the
 *                                    core's one table (hn_admin_command_parse:
 *                                    "maintenance on", "force start" or
 *                                    "force-start", ...), except those below
 *   setting get KEY | setting set KEY VALUE   (KEY 1..55 of [A-Za-z0-9_./-]
 *                                    without '/': it is stored as "setting/KEY";
 *                                    VALUE 1..255 bytes, the rest of the line)
 *   pairing-secret | join-request | join-data WORDS   (create and join)
 * "shutdown" is the host's own command (SIGTERM) and refused here.
 */
#ifndef HN_REQUEST_H
#define HN_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"

enum hn_request_kind {
	HN_REQUEST_STATUS = 1,
	HN_REQUEST_LOG,
	HN_REQUEST_ADMIN, /* command (SETTING_SET with key and value) */
	HN_REQUEST_SETTING_GET,
	HN_REQUEST_PAIRING_SECRET,
	HN_REQUEST_JOIN_REQUEST,
	HN_REQUEST_JOIN_DATA, /* words */
};

struct hn_request {
	enum hn_request_kind kind;
	enum hn_admin_command command;
	uint32_t log_count;
	char key[HN_KEY_MAX];
	char value[HN_VALUE_MAX];
	const char *words; /* JOIN_DATA: inside the parsed line */
};

/* 0 with request filled, or -1 with the refusal the caller answers
 * ("unknown request", "log: N must be a positive integer", ...). */
int hn_request_parse(const char *line, struct hn_request *request, char *error, size_t error_size);

#endif
