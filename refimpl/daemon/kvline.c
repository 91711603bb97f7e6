/*
 * kvline.c - parse one line of the store's line protocol (see kvline.h).
 *
 * The line is taken with its length, not as a C string, so that a NUL byte
 * inside it ("PUT a b\0c") is seen and refused instead of silently storing
 * "b" (issue 11).
 */
#include "kvline.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int hn_kv_key_valid(const char *key, size_t length)
{
	if (length == 0 || length >= HN_KEY_MAX)
		return 0;
	for (size_t i = 0; i < length; i++)
		if (!isalnum((unsigned char)key[i]) && !strchr("_./-", key[i]))
			return 0;
	return 1;
}

int hn_kv_parse(const char *line, size_t length, struct hn_kv_request *request, char *reason,
		size_t reason_size)
{
	memset(request, 0, sizeof(*request));
	if (memchr(line, '\0', length)) {
		snprintf(reason, reason_size, "NUL byte in the line");
		return -1;
	}
	const char *key = NULL, *end = line + length;
	if (length >= 4 && strncmp(line, "GET ", 4) == 0) {
		request->kind = HN_KV_GET;
		key = line + 4;
	} else if (length >= 4 && strncmp(line, "PUT ", 4) == 0) {
		request->kind = HN_KV_PUT;
		key = line + 4;
	} else {
		snprintf(reason, reason_size, "unknown command (expected GET or PUT)");
		return -1;
	}
	const char *space = memchr(key, ' ', (size_t)(end - key));
	size_t key_length = space ? (size_t)(space - key) : (size_t)(end - key);
	if (!hn_kv_key_valid(key, key_length)) {
		snprintf(reason, reason_size, "bad key (1..%d of [A-Za-z0-9_./-])", HN_KEY_MAX - 1);
		return -1;
	}
	memcpy(request->key, key, key_length);
	const char *rest = key + key_length;
	if (request->kind == HN_KV_GET) {
		if (rest < end) {
			snprintf(reason, reason_size, "GET takes one key");
			return -1;
		}
		return 0;
	}
	const char *value = rest < end ? rest + 1 : rest;
	size_t value_length = (size_t)(end - value);
	/* (Regression, fuzz_kvline: the loop once went on with the bound it
	 * had just raised, reading up to 255 bytes past the line.) */
	for (size_t i = 0; i < value_length; i++) {
		if (!isprint((unsigned char)value[i])) {
			value_length = HN_VALUE_MAX;
			break;
		}
	}
	if (value_length == 0 || value_length >= HN_VALUE_MAX) {
		snprintf(reason, reason_size, "bad value (1..%d printable bytes)",
			 HN_VALUE_MAX - 1);
		return -1;
	}
	memcpy(request->value, value, value_length);
	return 0;
}
