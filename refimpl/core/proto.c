/*
 * proto.c - the wire codec of heartbeats and data messages.
 *
 * Pure computation, no I/O. Every packet is
 *
 *   header  "HALB" | wire version u8 | kind u8 | reserved u16 (0)
 *           | packet_seq u64 | body length u32               (20 bytes)
 *   body    the message, field by field, little-endian       (body length)
 *   mac     crypto_auth (HMAC-SHA-512-256) over header+body  (32 bytes)
 *
 * Fields are written one by one with explicit widths (never a memcpy of a
 * struct), so the format does not depend on the compiler's padding or the
 * host's byte order. Protocol 2 appends to the protocol-1 bodies, so that a
 * node still decodes an older peer's heartbeat far enough to refuse it with
 * "protocol versions 2 and 1 differ": a heartbeat whose protocol_version is
 * 2 or more carries nonce u64, echo_nonce u64, echo_age_ms u32 and
 * health_age_ms u32 after split_brain_loser; a data message may end with
 * echo_nonce u64 (absent in protocol 1: 0). The node name is a fixed 32-byte NUL-terminated field;
 * store keys and values are length-prefixed so that a resync batch of
 * ordinary entries fits into one HN_PACKET_MAX packet.
 *
 * Decoding checks, in this order: the length bounds, the MAC, the replay
 * window, then every field (strings terminated within their size, enums in
 * range, counts within their limits, the body consumed exactly). Only a
 * packet that passes all of them moves the replay window, so a forged or
 * garbled packet can never push the window forward and lock the peer out.
 */
#include "hn_core.h"

#include <sodium.h>
#include <string.h>

/* ------------------------------------------------------------- layout */

#define HN_WIRE_VERSION	    1
#define HN_HEADER_BYTES	    20
#define HN_MAC_BYTES	    crypto_auth_BYTES
#define HN_NAME_FIELD_BYTES HN_NAME_MAX

/* A bounded cursor over a buffer: writes and reads past the end set
 * failed instead of touching memory, so callers check once at the end. */
struct hn_cursor {
	uint8_t *out;	   /* encoding */
	const uint8_t *in; /* decoding */
	size_t size;
	size_t used;
	bool failed;
};

static uint8_t *hn_cursor_take(struct hn_cursor *cursor, size_t bytes)
{
	if (cursor->failed || bytes > cursor->size - cursor->used) {
		cursor->failed = true;
		return NULL;
	}
	uint8_t *at = cursor->out ? cursor->out + cursor->used : NULL;
	cursor->used += bytes;
	return at;
}

static const uint8_t *hn_cursor_peek(struct hn_cursor *cursor, size_t bytes)
{
	if (cursor->failed || bytes > cursor->size - cursor->used) {
		cursor->failed = true;
		return NULL;
	}
	const uint8_t *at = cursor->in + cursor->used;
	cursor->used += bytes;
	return at;
}

static void hn_put_uint(struct hn_cursor *cursor, uint64_t value, size_t bytes)
{
	uint8_t *at = hn_cursor_take(cursor, bytes);
	for (size_t i = 0; at && i < bytes; i++)
		at[i] = (uint8_t)(value >> (8 * i));
}

static uint64_t hn_get_uint(struct hn_cursor *cursor, size_t bytes)
{
	const uint8_t *at = hn_cursor_peek(cursor, bytes);
	uint64_t value = 0;
	for (size_t i = 0; at && i < bytes; i++)
		value |= (uint64_t)at[i] << (8 * i);
	return value;
}

static void hn_put_bytes(struct hn_cursor *cursor, const void *bytes, size_t count)
{
	uint8_t *at = hn_cursor_take(cursor, count);
	if (at && count)
		memcpy(at, bytes, count);
}

/* A fixed-size string field: the text, NUL-padded to field_size. */
static void hn_put_fixed_string(struct hn_cursor *cursor, const char *text, size_t field_size)
{
	uint8_t *at = hn_cursor_take(cursor, field_size);
	if (!at)
		return;
	size_t length = strnlen(text, field_size - 1);
	memset(at, 0, field_size);
	memcpy(at, text, length);
}

static bool hn_get_fixed_string(struct hn_cursor *cursor, char *text, size_t field_size)
{
	const uint8_t *at = hn_cursor_peek(cursor, field_size);
	if (!at || !memchr(at, '\0', field_size))
		return false;
	memcpy(text, at, field_size);
	return true;
}

/* A length-prefixed string: u16 length, then the bytes without NUL. */
static void hn_put_short_string(struct hn_cursor *cursor, const char *text, size_t limit)
{
	size_t length = strnlen(text, limit - 1);
	hn_put_uint(cursor, length, 2);
	hn_put_bytes(cursor, text, length);
}

static bool hn_get_short_string(struct hn_cursor *cursor, char *text, size_t limit)
{
	uint64_t length = hn_get_uint(cursor, 2);
	if (cursor->failed || length >= limit)
		return false;
	const uint8_t *at = hn_cursor_peek(cursor, (size_t)length);
	if (!at || memchr(at, '\0', (size_t)length))
		return false;
	memcpy(text, at, (size_t)length);
	text[length] = '\0';
	return true;
}

/* ----------------------------------------------------------- encoding */

static void hn_put_identity(struct hn_cursor *cursor, const struct hn_identity *identity)
{
	hn_put_uint(cursor, identity->node_id, 4);
	hn_put_fixed_string(cursor, identity->name, HN_NAME_FIELD_BYTES);
	hn_put_uint(cursor, (uint32_t)identity->model, 4);
	hn_put_uint(cursor, identity->cpu_count, 4);
	hn_put_uint(cursor, identity->memory_mb, 4);
	hn_put_uint(cursor, identity->disk_gb, 4);
	hn_put_uint(cursor, identity->firmware.major, 2);
	hn_put_uint(cursor, identity->firmware.minor, 2);
	hn_put_uint(cursor, identity->firmware.patch, 2);
}

static void hn_put_generation(struct hn_cursor *cursor, const struct hn_generation *generation)
{
	hn_put_uint(cursor, generation->id, 8);
	hn_put_uint(cursor, generation->parent, 8);
	hn_put_uint(cursor, generation->fork_seq, 8);
}

static void hn_put_heartbeat(struct hn_cursor *cursor, const struct hn_heartbeat *heartbeat)
{
	hn_put_uint(cursor, heartbeat->protocol_version, 4);
	hn_put_identity(cursor, &heartbeat->sender);
	hn_put_uint(cursor, (uint32_t)heartbeat->role, 1);
	hn_put_uint(cursor, (uint32_t)heartbeat->state, 1);
	hn_put_uint(cursor, heartbeat->flags, 4);
	hn_put_uint(cursor, heartbeat->health.raid_ok, 1);
	hn_put_uint(cursor, heartbeat->health.services_ok, 1);
	hn_put_uint(cursor, heartbeat->health.ping_reachable, 4);
	hn_put_uint(cursor, heartbeat->health.ping_total, 4);
	hn_put_uint(cursor, heartbeat->health.cluster_ip_answered, 1);
	hn_put_generation(cursor, &heartbeat->generation);
	hn_put_uint(cursor, heartbeat->last_seq, 8);
	hn_put_uint(cursor, heartbeat->writes_in_generation, 8);
	hn_put_uint(cursor, heartbeat->active_for_ms, 8);
	hn_put_uint(cursor, heartbeat->split_brain_loser, 4);
	if (heartbeat->protocol_version < 2)
		return;
	hn_put_uint(cursor, heartbeat->nonce, 8);
	hn_put_uint(cursor, heartbeat->echo_nonce, 8);
	hn_put_uint(cursor, heartbeat->echo_age_ms, 4);
	hn_put_uint(cursor, heartbeat->health_age_ms, 4);
}

static void hn_put_data(struct hn_cursor *cursor, const struct hn_data_message *data)
{
	hn_put_uint(cursor, (uint32_t)data->kind, 1);
	hn_put_uint(cursor, data->sender_id, 4);
	hn_put_generation(cursor, &data->generation);
	hn_put_uint(cursor, data->seq, 8);
	hn_put_uint(cursor, data->base_seq, 8);
	hn_put_uint(cursor, data->upto_seq, 8);
	hn_put_uint(cursor, data->complete, 1);
	hn_put_uint(cursor, data->entry_count, 1);
	for (uint32_t i = 0; i < data->entry_count && i < HN_SYNC_BATCH_MAX; i++) {
		hn_put_short_string(cursor, data->entries[i].key, HN_KEY_MAX);
		hn_put_short_string(cursor, data->entries[i].value, HN_VALUE_MAX);
		hn_put_uint(cursor, data->entries[i].seq, 8);
	}
	hn_put_uint(cursor, data->echo_nonce, 8);
}

/* Writes header, lets put_body write the body, patches the body length
 * and appends the MAC. */
static int hn_proto_seal(struct hn_cursor *cursor, enum hn_packet_kind kind, uint64_t packet_seq,
			 const uint8_t key[HN_KEY_BYTES])
{
	size_t body_bytes = cursor->used - HN_HEADER_BYTES;
	if (cursor->failed || cursor->used + HN_MAC_BYTES > cursor->size ||
	    cursor->used + HN_MAC_BYTES > HN_PACKET_MAX)
		return -1;
	uint8_t *packet = cursor->out;
	memcpy(packet, "HALB", 4);
	packet[4] = HN_WIRE_VERSION;
	packet[5] = (uint8_t)kind;
	packet[6] = packet[7] = 0;
	for (size_t i = 0; i < 8; i++)
		packet[8 + i] = (uint8_t)(packet_seq >> (8 * i));
	for (size_t i = 0; i < 4; i++)
		packet[16 + i] = (uint8_t)(body_bytes >> (8 * i));
	crypto_auth(packet + cursor->used, packet, cursor->used, key);
	return (int)(cursor->used + HN_MAC_BYTES);
}

int hn_proto_encode_heartbeat(const struct hn_heartbeat *heartbeat, uint64_t packet_seq,
			      const uint8_t key[HN_KEY_BYTES], uint8_t *packet, size_t packet_size)
{
	struct hn_cursor cursor = {.out = packet, .size = packet_size};
	hn_cursor_take(&cursor, HN_HEADER_BYTES);
	hn_put_heartbeat(&cursor, heartbeat);
	return hn_proto_seal(&cursor, HN_PACKET_HEARTBEAT, packet_seq, key);
}

int hn_proto_encode_data(const struct hn_data_message *data, uint64_t packet_seq,
			 const uint8_t key[HN_KEY_BYTES], uint8_t *packet, size_t packet_size)
{
	if (data->entry_count > HN_SYNC_BATCH_MAX)
		return -1;
	struct hn_cursor cursor = {.out = packet, .size = packet_size};
	hn_cursor_take(&cursor, HN_HEADER_BYTES);
	hn_put_data(&cursor, data);
	return hn_proto_seal(&cursor, HN_PACKET_DATA, packet_seq, key);
}

/* ----------------------------------------------------------- decoding */

static bool hn_get_identity(struct hn_cursor *cursor, struct hn_identity *identity)
{
	identity->node_id = (uint32_t)hn_get_uint(cursor, 4);
	if (!hn_get_fixed_string(cursor, identity->name, HN_NAME_FIELD_BYTES))
		return false;
	uint64_t model = hn_get_uint(cursor, 4);
	identity->model = (enum hn_model)model;
	identity->cpu_count = (uint32_t)hn_get_uint(cursor, 4);
	identity->memory_mb = (uint32_t)hn_get_uint(cursor, 4);
	identity->disk_gb = (uint32_t)hn_get_uint(cursor, 4);
	identity->firmware.major = (uint16_t)hn_get_uint(cursor, 2);
	identity->firmware.minor = (uint16_t)hn_get_uint(cursor, 2);
	identity->firmware.patch = (uint16_t)hn_get_uint(cursor, 2);
	return !cursor->failed && model < HN_MODEL_COUNT;
}

static void hn_get_generation(struct hn_cursor *cursor, struct hn_generation *generation)
{
	generation->id = hn_get_uint(cursor, 8);
	generation->parent = hn_get_uint(cursor, 8);
	generation->fork_seq = hn_get_uint(cursor, 8);
}

static bool hn_get_bool(struct hn_cursor *cursor, bool *value)
{
	uint64_t raw = hn_get_uint(cursor, 1);
	*value = raw == 1;
	return raw <= 1;
}

static bool hn_get_heartbeat(struct hn_cursor *cursor, struct hn_heartbeat *heartbeat)
{
	memset(heartbeat, 0, sizeof(*heartbeat));
	heartbeat->protocol_version = (uint32_t)hn_get_uint(cursor, 4);
	if (!hn_get_identity(cursor, &heartbeat->sender))
		return false;
	uint64_t role = hn_get_uint(cursor, 1);
	uint64_t state = hn_get_uint(cursor, 1);
	heartbeat->role = (enum hn_role)role;
	heartbeat->state = (enum hn_state)state;
	heartbeat->flags = (uint32_t)hn_get_uint(cursor, 4);
	bool ok = hn_get_bool(cursor, &heartbeat->health.raid_ok);
	ok = hn_get_bool(cursor, &heartbeat->health.services_ok) && ok;
	heartbeat->health.ping_reachable = (uint32_t)hn_get_uint(cursor, 4);
	heartbeat->health.ping_total = (uint32_t)hn_get_uint(cursor, 4);
	ok = hn_get_bool(cursor, &heartbeat->health.cluster_ip_answered) && ok;
	hn_get_generation(cursor, &heartbeat->generation);
	heartbeat->last_seq = hn_get_uint(cursor, 8);
	heartbeat->writes_in_generation = hn_get_uint(cursor, 8);
	heartbeat->active_for_ms = hn_get_uint(cursor, 8);
	heartbeat->split_brain_loser = (uint32_t)hn_get_uint(cursor, 4);
	if (heartbeat->protocol_version >= 2) {
		heartbeat->nonce = hn_get_uint(cursor, 8);
		heartbeat->echo_nonce = hn_get_uint(cursor, 8);
		heartbeat->echo_age_ms = (uint32_t)hn_get_uint(cursor, 4);
		heartbeat->health_age_ms = (uint32_t)hn_get_uint(cursor, 4);
	}
	return ok && role <= HN_ROLE_ACTIVE && state < HN_STATE_COUNT &&
	       heartbeat->health.ping_reachable <= heartbeat->health.ping_total;
}

static bool hn_get_data(struct hn_cursor *cursor, struct hn_data_message *data)
{
	memset(data, 0, sizeof(*data));
	uint64_t kind = hn_get_uint(cursor, 1);
	data->kind = (enum hn_data_kind)kind;
	data->sender_id = (uint32_t)hn_get_uint(cursor, 4);
	hn_get_generation(cursor, &data->generation);
	data->seq = hn_get_uint(cursor, 8);
	data->base_seq = hn_get_uint(cursor, 8);
	data->upto_seq = hn_get_uint(cursor, 8);
	bool ok = hn_get_bool(cursor, &data->complete);
	uint64_t count = hn_get_uint(cursor, 1);
	if (!ok || kind < HN_DATA_REPLICATE || kind > HN_DATA_SYNC_BATCH ||
	    count > HN_SYNC_BATCH_MAX)
		return false;
	data->entry_count = (uint32_t)count;
	for (uint32_t i = 0; i < data->entry_count; i++) {
		if (!hn_get_short_string(cursor, data->entries[i].key, HN_KEY_MAX) ||
		    !hn_get_short_string(cursor, data->entries[i].value, HN_VALUE_MAX))
			return false;
		data->entries[i].seq = hn_get_uint(cursor, 8);
	}
	if (!cursor->failed && cursor->used < cursor->size)
		data->echo_nonce = hn_get_uint(cursor, 8);
	return !cursor->failed;
}

/* ------------------------------------------------------ replay window */

/* Bit i of the bitmap stands for sequence highest - i. */
static bool hn_replay_fresh(const struct hn_replay_window *window, uint64_t packet_seq)
{
	if (!window->started || packet_seq > window->highest)
		return true;
	uint64_t age = window->highest - packet_seq;
	if (age >= HN_REPLAY_WINDOW)
		return false;
	return !(window->bitmap & (1ull << age));
}

static void hn_replay_commit(struct hn_replay_window *window, uint64_t packet_seq)
{
	if (!window->started) {
		window->started = true;
		window->highest = packet_seq;
		window->bitmap = 1;
		return;
	}
	if (packet_seq > window->highest) {
		uint64_t shift = packet_seq - window->highest;
		window->bitmap = shift >= HN_REPLAY_WINDOW ? 0 : window->bitmap << shift;
		window->bitmap |= 1;
		window->highest = packet_seq;
		return;
	}
	window->bitmap |= 1ull << (window->highest - packet_seq);
}

/* --------------------------------------------------------------- decode */

uint64_t hn_proto_packet_seq(const uint8_t *packet, size_t length)
{
	uint64_t packet_seq = 0;
	if (length < HN_HEADER_BYTES)
		return 0;
	for (size_t i = 0; i < 8; i++)
		packet_seq |= (uint64_t)packet[8 + i] << (8 * i);
	return packet_seq;
}

int hn_proto_decode(const uint8_t *packet, size_t length, const uint8_t key[HN_KEY_BYTES],
		    struct hn_replay_window *window, struct hn_proto_counters *counters,
		    struct hn_heartbeat *heartbeat, struct hn_data_message *data)
{
	if (length < HN_HEADER_BYTES + HN_MAC_BYTES || length > HN_PACKET_MAX ||
	    memcmp(packet, "HALB", 4) != 0) {
		counters->bad_length++;
		return -1;
	}
	size_t body_bytes = (size_t)packet[16] | (size_t)packet[17] << 8 |
			    (size_t)packet[18] << 16 | (size_t)packet[19] << 24;
	if (body_bytes != length - HN_HEADER_BYTES - HN_MAC_BYTES) {
		counters->bad_length++;
		return -1;
	}
	size_t signed_bytes = length - HN_MAC_BYTES;
	if (crypto_auth_verify(packet + signed_bytes, packet, signed_bytes, key) != 0) {
		counters->bad_mac++;
		return -1;
	}
	uint64_t packet_seq = hn_proto_packet_seq(packet, length);
	if (!hn_replay_fresh(window, packet_seq)) {
		counters->replayed++;
		return -1;
	}
	struct hn_cursor cursor = {.in = packet, .size = signed_bytes, .used = HN_HEADER_BYTES};
	int kind = packet[5];
	bool ok = packet[4] == HN_WIRE_VERSION && packet[6] == 0 && packet[7] == 0;
	if (ok && kind == HN_PACKET_HEARTBEAT && heartbeat)
		ok = hn_get_heartbeat(&cursor, heartbeat);
	else if (ok && kind == HN_PACKET_DATA && data)
		ok = hn_get_data(&cursor, data);
	else
		ok = false;
	if (!ok || cursor.failed || cursor.used != signed_bytes) {
		counters->malformed++;
		return -1;
	}
	hn_replay_commit(window, packet_seq);
	counters->accepted++;
	return kind;
}
