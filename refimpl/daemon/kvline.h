/*
 * kvline.h - one line of the replicated store's line protocol
 * (docs/DEVELOPING.md), parsed and validated. Pure (kvline.c, in
 * libhnnode.a): hanode's TCP server (kvserver.c) and a modelled client of
 * hasim's virtual backend read a line the same way.
 *
 *   PUT <key> <value>   GET <key>
 *   keys: 1..63 bytes of [A-Za-z0-9_./-]; values: 1..255 printable bytes
 */
#ifndef HN_KVLINE_H
#define HN_KVLINE_H

#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"

enum hn_kv_request_kind { HN_KV_GET = 1, HN_KV_PUT };

struct hn_kv_request {
	enum hn_kv_request_kind kind;
	char key[HN_KEY_MAX];
	char value[HN_VALUE_MAX];
	uint64_t request_id; /* names the client for hn_kvserver_reply */
};

/* Parse one line of length bytes (without its newline) into request; 0,
 * or -1 with reason for "ERR <reason>". A NUL byte anywhere in the line is
 * refused (it would otherwise cut the value short). */
int hn_kv_parse(const char *line, size_t length, struct hn_kv_request *request, char *reason,
		size_t reason_size);

#endif
