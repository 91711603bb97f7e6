/*
 * test_proto.c - CUnit tests of the wire codec (refimpl/core/proto.c).
 *
 * Every message kind makes a round trip field by field; then the decoder is
 * attacked the way the network would: a wrong key, every single flipped
 * bit, truncation, oversize, replays of the same packet, packets older
 * than the window, reordering inside the window, and authenticated but
 * malformed bodies. Each rejection must bump exactly the right counter and
 * leave the replay window where it was.
 */
#include "hn_core.h"
#include "test_main.h"

#include <sodium.h>
#include <string.h>

static const uint8_t test_key[HN_KEY_BYTES] = "0123456789abcdef0123456789abcdef";
static const uint8_t other_key[HN_KEY_BYTES] = "fedcba9876543210fedcba9876543210";

static struct hn_heartbeat test_heartbeat(void)
{
	struct hn_heartbeat heartbeat;
	memset(&heartbeat, 0, sizeof(heartbeat));
	heartbeat.protocol_version = HN_PROTOCOL_VERSION;
	heartbeat.sender.node_id = 2;
	strcpy(heartbeat.sender.name, "node2");
	heartbeat.sender.model = HN_MODEL_VIRT1;
	heartbeat.sender.cpu_count = 8;
	heartbeat.sender.memory_mb = 16384;
	heartbeat.sender.disk_gb = 512;
	heartbeat.sender.firmware = (struct hn_version){1, 4, 2};
	heartbeat.role = HN_ROLE_ACTIVE;
	heartbeat.state = HN_STATE_MAINTENANCE;
	heartbeat.flags = HN_HB_MAINTENANCE | HN_HB_TOOK_OVER;
	heartbeat.health = (struct hn_health){true, false, 2, 3, true};
	heartbeat.generation = (struct hn_generation){0x1122334455667788ull, 7, 99};
	heartbeat.last_seq = 1000;
	heartbeat.writes_in_generation = 17;
	heartbeat.active_for_ms = 123456789;
	heartbeat.split_brain_loser = 1;
	heartbeat.nonce = 0xa1b2c3d4e5f60718ull;
	heartbeat.echo_nonce = 0x1122334455667788ull;
	heartbeat.echo_age_ms = 340;
	heartbeat.health_age_ms = HN_AGE_NEVER;
	return heartbeat;
}

static struct hn_data_message test_data(enum hn_data_kind kind, uint32_t entry_count)
{
	struct hn_data_message data;
	memset(&data, 0, sizeof(data));
	data.kind = kind;
	data.sender_id = 1;
	data.generation = (struct hn_generation){5, 4, 3};
	data.seq = 42;
	data.base_seq = 41;
	data.upto_seq = 58;
	data.complete = true;
	data.entry_count = entry_count;
	data.echo_nonce = 0xfeedfacecafebeefull;
	for (uint32_t i = 0; i < entry_count; i++) {
		snprintf(data.entries[i].key, HN_KEY_MAX, "key/%u", i);
		snprintf(data.entries[i].value, HN_VALUE_MAX, "value number %u", i * 7);
		data.entries[i].seq = 43 + i;
	}
	return data;
}

/* The scalar fields of the messages, as X(field) lists: a round trip must
 * give every one back unchanged. */
/* clang-format off */
#define HN_GENERATION_FIELDS(X) X(generation.id) X(generation.parent) X(generation.fork_seq)
#define HN_HEARTBEAT_FIELDS(X)                                                                     \
	X(protocol_version)                                                                        \
	X(sender.node_id) X(sender.model) X(sender.cpu_count) X(sender.memory_mb)                  \
	X(sender.disk_gb) X(sender.firmware.major) X(sender.firmware.minor)                        \
	X(sender.firmware.patch)                                                                   \
	X(role) X(state) X(flags)                                                                  \
	X(health.raid_ok) X(health.services_ok) X(health.ping_reachable) X(health.ping_total)      \
	X(health.cluster_ip_answered)                                                              \
	HN_GENERATION_FIELDS(X)                                                                    \
	X(last_seq) X(writes_in_generation) X(active_for_ms) X(split_brain_loser)                  \
	X(nonce) X(echo_nonce) X(echo_age_ms) X(health_age_ms)
#define HN_DATA_FIELDS(X)                                                                          \
	X(kind) X(sender_id) HN_GENERATION_FIELDS(X) X(seq) X(base_seq) X(upto_seq) X(complete)  \
	X(echo_nonce)
/* clang-format on */
#define HN_ASSERT_FIELD_EQUAL(field) CU_ASSERT_EQUAL(a->field, b->field);

static void assert_heartbeat_equal(const struct hn_heartbeat *a, const struct hn_heartbeat *b)
{
	HN_HEARTBEAT_FIELDS(HN_ASSERT_FIELD_EQUAL)
	CU_ASSERT_STRING_EQUAL(a->sender.name, b->sender.name);
}

static void assert_data_equal(const struct hn_data_message *a, const struct hn_data_message *b)
{
	HN_DATA_FIELDS(HN_ASSERT_FIELD_EQUAL)
	CU_ASSERT_EQUAL_FATAL(a->entry_count, b->entry_count);
	for (uint32_t i = 0; i < a->entry_count; i++) {
		CU_ASSERT_STRING_EQUAL(a->entries[i].key, b->entries[i].key);
		CU_ASSERT_STRING_EQUAL(a->entries[i].value, b->entries[i].value);
		CU_ASSERT_EQUAL(a->entries[i].seq, b->entries[i].seq);
	}
}

/* Encodes `sent` as packet packet_seq and decodes it again into received;
 * returns what hn_proto_decode returned. */
static int data_round_trip(const struct hn_data_message *sent, uint64_t packet_seq,
			   struct hn_replay_window *window, struct hn_proto_counters *counters,
			   struct hn_data_message *received)
{
	uint8_t packet[HN_PACKET_MAX];
	int length = hn_proto_encode_data(sent, packet_seq, test_key, packet, sizeof(packet));
	CU_ASSERT_FATAL(length > 0);
	return hn_proto_decode(packet, (size_t)length, test_key, window, counters, NULL, received);
}

/* Decodes a packet meant to hold a heartbeat, which is not kept. */
static int decode_heartbeat(const uint8_t *packet, size_t length, const uint8_t *key,
			    struct hn_replay_window *window, struct hn_proto_counters *counters)
{
	struct hn_heartbeat received;
	return hn_proto_decode(packet, length, key, window, counters, &received, NULL);
}

/* --------------------------------------------------------- round trips */

static void test_heartbeat_round_trip(void)
{
	struct hn_heartbeat sent = test_heartbeat(), received;
	uint8_t packet[HN_PACKET_MAX];
	int length = hn_proto_encode_heartbeat(&sent, 7, test_key, packet, sizeof(packet));
	CU_ASSERT_FATAL(length > 0);
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	CU_ASSERT_EQUAL(
	    hn_proto_decode(packet, (size_t)length, test_key, &window, &counters, &received, NULL),
	    HN_PACKET_HEARTBEAT);
	assert_heartbeat_equal(&sent, &received);
	CU_ASSERT_EQUAL(counters.accepted, 1);
	CU_ASSERT_EQUAL(window.highest, 7);
	CU_ASSERT_EQUAL(hn_proto_packet_seq(packet, (size_t)length), 7); /* for hn_event.seq */
	CU_ASSERT_EQUAL(hn_proto_packet_seq(packet, 15), 0);		 /* no whole header */
}

static void test_data_round_trip_every_kind(void)
{
	const enum hn_data_kind kinds[] = {HN_DATA_REPLICATE, HN_DATA_ACK, HN_DATA_SYNC_REQUEST,
					   HN_DATA_SYNC_BATCH};
	const uint32_t counts[] = {1, 0, 0, HN_SYNC_BATCH_MAX};
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	for (size_t i = 0; i < 4; i++) {
		struct hn_data_message sent = test_data(kinds[i], counts[i]), received;
		CU_ASSERT_EQUAL(data_round_trip(&sent, 100 + i, &window, &counters, &received),
				HN_PACKET_DATA);
		assert_data_equal(&sent, &received);
	}
	CU_ASSERT_EQUAL(counters.accepted, 4);
}

static void test_data_longest_strings(void)
{
	struct hn_data_message sent = test_data(HN_DATA_REPLICATE, 1), received;
	memset(sent.entries[0].key, 'k', HN_KEY_MAX - 1);
	sent.entries[0].key[HN_KEY_MAX - 1] = '\0';
	memset(sent.entries[0].value, 'v', HN_VALUE_MAX - 1);
	sent.entries[0].value[HN_VALUE_MAX - 1] = '\0';
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	CU_ASSERT_EQUAL(data_round_trip(&sent, 1, &window, &counters, &received), HN_PACKET_DATA);
	assert_data_equal(&sent, &received);
}

static void test_encode_refuses_what_does_not_fit(void)
{
	struct hn_heartbeat heartbeat = test_heartbeat();
	uint8_t packet[HN_PACKET_MAX];
	CU_ASSERT_EQUAL(hn_proto_encode_heartbeat(&heartbeat, 1, test_key, packet, 40), -1);
	struct hn_data_message data = test_data(HN_DATA_SYNC_BATCH, HN_SYNC_BATCH_MAX);
	data.entry_count = HN_SYNC_BATCH_MAX + 1;
	CU_ASSERT_EQUAL(hn_proto_encode_data(&data, 1, test_key, packet, sizeof(packet)), -1);
	/* A batch of the largest entries exceeds HN_PACKET_MAX: refused, not cut. */
	data = test_data(HN_DATA_SYNC_BATCH, HN_SYNC_BATCH_MAX);
	for (uint32_t i = 0; i < HN_SYNC_BATCH_MAX; i++)
		memset(data.entries[i].value, 'v', HN_VALUE_MAX - 1);
	CU_ASSERT_EQUAL(hn_proto_encode_data(&data, 1, test_key, packet, sizeof(packet)), -1);
}

/* ------------------------------------------------------------ attacks */

static int encode_test_heartbeat(uint64_t packet_seq, uint8_t *packet)
{
	struct hn_heartbeat heartbeat = test_heartbeat();
	return hn_proto_encode_heartbeat(&heartbeat, packet_seq, test_key, packet, HN_PACKET_MAX);
}

static void test_wrong_key_rejected(void)
{
	uint8_t packet[HN_PACKET_MAX];
	int length = encode_test_heartbeat(1, packet);
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	CU_ASSERT_EQUAL(decode_heartbeat(packet, (size_t)length, other_key, &window, &counters),
			-1);
	CU_ASSERT_EQUAL(counters.bad_mac, 1);
	CU_ASSERT_EQUAL(counters.accepted, 0);
	CU_ASSERT_FALSE(window.started);
}

static void test_every_flipped_bit_rejected(void)
{
	uint8_t packet[HN_PACKET_MAX];
	int length = encode_test_heartbeat(5, packet);
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	uint64_t rejected = 0;
	for (int bit = 0; bit < length * 8; bit++) {
		packet[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (decode_heartbeat(packet, (size_t)length, test_key, &window, &counters) == -1)
			rejected++;
		packet[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CU_ASSERT_EQUAL(rejected, (uint64_t)length * 8);
	CU_ASSERT_EQUAL(counters.accepted, 0);
	CU_ASSERT_EQUAL(counters.bad_mac + counters.bad_length, (uint64_t)length * 8);
	CU_ASSERT_FALSE(window.started);
}

static void test_truncated_and_oversize_rejected(void)
{
	uint8_t packet[HN_PACKET_MAX + 1];
	int length = encode_test_heartbeat(1, packet);
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	for (int cut = 0; cut < length; cut++)
		CU_ASSERT_EQUAL(decode_heartbeat(packet, (size_t)cut, test_key, &window, &counters),
				-1);
	CU_ASSERT_EQUAL(counters.bad_length, (uint64_t)length);
	CU_ASSERT_EQUAL(decode_heartbeat(packet, (size_t)length + 1, test_key, &window, &counters),
			-1);
	CU_ASSERT_EQUAL(decode_heartbeat(packet, HN_PACKET_MAX + 1, test_key, &window, &counters),
			-1);
	CU_ASSERT_EQUAL(counters.bad_length, (uint64_t)length + 2);
	CU_ASSERT_EQUAL(counters.accepted, 0);
}

static int decode_seq(uint64_t packet_seq, struct hn_replay_window *window,
		      struct hn_proto_counters *counters)
{
	uint8_t packet[HN_PACKET_MAX];
	int length = encode_test_heartbeat(packet_seq, packet);
	return decode_heartbeat(packet, (size_t)length, test_key, window, counters);
}

static void test_replay_of_same_packet_rejected(void)
{
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	CU_ASSERT_EQUAL(decode_seq(10, &window, &counters), HN_PACKET_HEARTBEAT);
	CU_ASSERT_EQUAL(decode_seq(10, &window, &counters), -1);
	CU_ASSERT_EQUAL(decode_seq(10, &window, &counters), -1);
	CU_ASSERT_EQUAL(counters.accepted, 1);
	CU_ASSERT_EQUAL(counters.replayed, 2);
}

static void test_out_of_window_rejected(void)
{
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	CU_ASSERT_EQUAL(decode_seq(1000, &window, &counters), HN_PACKET_HEARTBEAT);
	CU_ASSERT_EQUAL(decode_seq(1000 - HN_REPLAY_WINDOW, &window, &counters), -1);
	CU_ASSERT_EQUAL(decode_seq(3, &window, &counters), -1);
	CU_ASSERT_EQUAL(decode_seq(1000 - HN_REPLAY_WINDOW + 1, &window, &counters),
			HN_PACKET_HEARTBEAT);
	CU_ASSERT_EQUAL(counters.replayed, 2);
	CU_ASSERT_EQUAL(counters.accepted, 2);
	/* A jump beyond the window forgets the old bitmap entirely. */
	CU_ASSERT_EQUAL(decode_seq(5000, &window, &counters), HN_PACKET_HEARTBEAT);
	CU_ASSERT_EQUAL(window.bitmap, 1);
	CU_ASSERT_EQUAL(decode_seq(1000, &window, &counters), -1);
}

static void test_reordering_inside_window_accepted_once(void)
{
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	const uint64_t order[] = {20, 25, 21, 24, 22, 23};
	for (size_t i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(decode_seq(order[i], &window, &counters), HN_PACKET_HEARTBEAT);
	for (size_t i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(decode_seq(order[i], &window, &counters), -1);
	CU_ASSERT_EQUAL(counters.accepted, 6);
	CU_ASSERT_EQUAL(counters.replayed, 6);
	CU_ASSERT_EQUAL(window.highest, 25);
}

/* Sign a hand-made body so that only the field checks can reject it. */
static size_t seal_body(uint8_t kind, uint64_t packet_seq, const uint8_t *body, size_t body_bytes,
			uint8_t *packet)
{
	memcpy(packet, "HALB", 4);
	packet[4] = 1;
	packet[5] = kind;
	packet[6] = packet[7] = 0;
	for (int i = 0; i < 8; i++)
		packet[8 + i] = (uint8_t)(packet_seq >> (8 * i));
	for (int i = 0; i < 4; i++)
		packet[16 + i] = (uint8_t)(body_bytes >> (8 * i));
	memcpy(packet + 20, body, body_bytes);
	crypto_auth(packet + 20 + body_bytes, packet, 20 + body_bytes, test_key);
	return 20 + body_bytes + crypto_auth_BYTES;
}

/* Seals the body (seal_body) and decodes it as whatever kind it claims. */
static int decode_sealed(uint8_t kind, uint64_t packet_seq, const uint8_t *body, size_t body_bytes,
			 struct hn_replay_window *window, struct hn_proto_counters *counters)
{
	uint8_t packet[HN_PACKET_MAX];
	struct hn_heartbeat heartbeat;
	struct hn_data_message data;
	size_t size = seal_body(kind, packet_seq, body, body_bytes, packet);
	return hn_proto_decode(packet, size, test_key, window, counters, &heartbeat, &data);
}

/* Protocol 1 bodies (before the freshness fields) still decode, so that a
 * node refuses an older peer with "protocol versions 2 and 1 differ"
 * instead of hearing nothing; the freshness fields read as absent. A
 * protocol-2 heartbeat without them is malformed. */
static void test_protocol_1_bodies(void)
{
	struct hn_heartbeat sent = test_heartbeat(), received;
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	uint8_t packet[HN_PACKET_MAX];
	sent.protocol_version = 1;
	int length = hn_proto_encode_heartbeat(&sent, 1, test_key, packet, sizeof(packet));
	struct hn_heartbeat current = test_heartbeat();
	int current_length = hn_proto_encode_heartbeat(&current, 2, test_key, packet + 2048, 2048);
	CU_ASSERT_EQUAL(current_length - length, 8 + 8 + 4 + 4);
	CU_ASSERT_EQUAL(
	    hn_proto_decode(packet, (size_t)length, test_key, &window, &counters, &received, NULL),
	    HN_PACKET_HEARTBEAT);
	CU_ASSERT_EQUAL(received.protocol_version, 1);
	CU_ASSERT_EQUAL(received.nonce, 0);
	CU_ASSERT_EQUAL(received.echo_age_ms, 0);
	CU_ASSERT_EQUAL(received.split_brain_loser, sent.split_brain_loser);
	/* a data message without echo_nonce (protocol 1): echo 0 */
	struct hn_data_message data = test_data(HN_DATA_ACK, 0), back;
	length = hn_proto_encode_data(&data, 3, test_key, packet, sizeof(packet));
	uint8_t body[HN_PACKET_MAX];
	size_t body_bytes = (size_t)length - 20 - crypto_auth_BYTES - 8;
	memcpy(body, packet + 20, body_bytes);
	size_t sealed = seal_body(HN_PACKET_DATA, 4, body, body_bytes, packet);
	CU_ASSERT_EQUAL(hn_proto_decode(packet, sealed, test_key, &window, &counters, NULL, &back),
			HN_PACKET_DATA);
	CU_ASSERT_EQUAL(back.echo_nonce, 0);
	CU_ASSERT_EQUAL(back.seq, data.seq);
	CU_ASSERT_EQUAL(counters.accepted, 2);
}

static void test_authenticated_malformed_rejected(void)
{
	uint8_t good[HN_PACKET_MAX], body[HN_PACKET_MAX];
	int length = encode_test_heartbeat(1, good);
	size_t body_bytes = (size_t)length - 20 - crypto_auth_BYTES;
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	/* name without NUL (offset 8..39), model out of range (offset 40) */
	memcpy(body, good + 20, body_bytes);
	memset(body + 8, 'x', HN_NAME_MAX);
	CU_ASSERT_EQUAL(decode_sealed(HN_PACKET_HEARTBEAT, 2, body, body_bytes, &window, &counters),
			-1);
	memcpy(body, good + 20, body_bytes);
	body[40] = HN_MODEL_COUNT;
	CU_ASSERT_EQUAL(decode_sealed(HN_PACKET_HEARTBEAT, 3, body, body_bytes, &window, &counters),
			-1);
	/* a protocol-2 body without its freshness fields, a body one byte
	 * short, an unknown packet kind */
	CU_ASSERT_EQUAL(
	    decode_sealed(HN_PACKET_HEARTBEAT, 8, good + 20, body_bytes - 24, &window, &counters),
	    -1);
	CU_ASSERT_EQUAL(
	    decode_sealed(HN_PACKET_HEARTBEAT, 4, good + 20, body_bytes - 1, &window, &counters),
	    -1);
	CU_ASSERT_EQUAL(decode_sealed(9, 5, good + 20, body_bytes, &window, &counters), -1);
	/* a data message claiming more entries than a batch may hold */
	struct hn_data_message sent = test_data(HN_DATA_SYNC_BATCH, 1);
	length = hn_proto_encode_data(&sent, 6, test_key, good, sizeof(good));
	body_bytes = (size_t)length - 20 - crypto_auth_BYTES;
	memcpy(body, good + 20, body_bytes);
	body[1 + 4 + 24 + 24 + 1] = HN_SYNC_BATCH_MAX + 1;
	CU_ASSERT_EQUAL(decode_sealed(HN_PACKET_DATA, 7, body, body_bytes, &window, &counters), -1);
	CU_ASSERT_EQUAL(counters.malformed, 6);
	CU_ASSERT_EQUAL(counters.accepted, 0);
	CU_ASSERT_FALSE(window.started);
}

int main(void)
{
	static const struct hn_test_case cases[] = {
	    {"heartbeat round trip", test_heartbeat_round_trip},
	    {"data round trip, every kind", test_data_round_trip_every_kind},
	    {"data with longest strings", test_data_longest_strings},
	    {"protocol 1 bodies", test_protocol_1_bodies},
	    {"encode refuses what does not fit", test_encode_refuses_what_does_not_fit},
	    {"wrong key rejected", test_wrong_key_rejected},
	    {"every flipped bit rejected", test_every_flipped_bit_rejected},
	    {"truncated and oversize rejected", test_truncated_and_oversize_rejected},
	    {"replay of same packet rejected", test_replay_of_same_packet_rejected},
	    {"out of window rejected", test_out_of_window_rejected},
	    {"reordering inside window accepted once", test_reordering_inside_window_accepted_once},
	    {"authenticated malformed rejected", test_authenticated_malformed_rejected},
	    {NULL, NULL},
	};
	if (sodium_init() < 0)
		return 1;
	return hn_test_run_suite("proto", cases, NULL, NULL);
}
