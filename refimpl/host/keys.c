/*
 * keys.c - the store's keys as the host counts them (host_state.h).
 *
 * The core's store holds at most HN_STORE_ENTRIES_MAX keys, client data
 * and the operator's settings ("setting/<key>") together, so a client that
 * fills it would block `hactl setting set` (issue 11). The host gives each
 * kind room of its own (HN_HOST_CLIENT_KEYS_MAX, HN_HOST_SETTINGS_MAX) and
 * refuses a new key of a kind that is full before the core sees it. For
 * that it needs to know which keys the store holds: it mirrors them from
 * what it restores at start and from every PERSIST (a key, once written,
 * stays; STORE_RESET drops them all), on the active and the standby alike,
 * so the counts are right after a failover too.
 *
 * A set of at most HN_STORE_ENTRIES_MAX keys: open addressing over twice
 * as many slots (FNV-1a, linear probing), each slot an index into keys[].
 */
#include <string.h>

#include "host_state.h"

#define HN_HOST_SETTING_PREFIX "setting/"

static uint32_t keys_hash(const char *key)
{
	uint32_t hash = 2166136261u;
	for (const unsigned char *c = (const unsigned char *)key; *c; c++)
		hash = (hash ^ *c) * 16777619u;
	return hash;
}

/* The slot holding key, or the empty slot where it would go. */
static uint32_t keys_slot(const struct hn_host_keys *keys, const char *key)
{
	uint32_t slot = keys_hash(key) % HN_HOST_KEY_SLOTS;
	for (uint32_t probe = 0; probe < HN_HOST_KEY_SLOTS; probe++) {
		uint16_t index = keys->slots[slot];
		if (index == 0 || strcmp(keys->keys[index - 1], key) == 0)
			return slot;
		slot = (slot + 1) % HN_HOST_KEY_SLOTS;
	}
	return slot; /* not reached: at most half of the slots are used */
}

void hn_host_keys_clear(struct hn_host_keys *keys)
{
	keys->count = keys->settings = 0;
	memset(keys->slots, 0, sizeof(keys->slots));
}

bool hn_host_key_is_setting(const char *key)
{
	return strncmp(key, HN_HOST_SETTING_PREFIX, strlen(HN_HOST_SETTING_PREFIX)) == 0;
}

bool hn_host_keys_has(const struct hn_host_keys *keys, const char *key)
{
	return keys->slots[keys_slot(keys, key)] != 0;
}

void hn_host_keys_add(struct hn_host_keys *keys, const char *key)
{
	uint32_t slot = keys_slot(keys, key);
	if (keys->slots[slot] != 0 || keys->count >= HN_STORE_ENTRIES_MAX ||
	    strnlen(key, HN_KEY_MAX) >= HN_KEY_MAX)
		return;
	memcpy(keys->keys[keys->count], key, strlen(key) + 1);
	keys->slots[slot] = (uint16_t)(++keys->count);
	if (hn_host_key_is_setting(key))
		keys->settings++;
}
