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

#include <CUnit/Basic.h>
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
	for (uint32_t i = 0; i < entry_count; i++) {
		snprintf(data.entries[i].key, HN_KEY_MAX, "key/%u", i);
		snprintf(data.entries[i].value, HN_VALUE_MAX, "value number %u", i * 7);
		data.entries[i].seq = 43 + i;
	}
	return data;
}

static void assert_heartbeat_equal(const struct hn_heartbeat *a, const struct hn_heartbeat *b)
{
	CU_ASSERT_EQUAL(a->protocol_version, b->protocol_version);
	CU_ASSERT_EQUAL(a->sender.node_id, b->sender.node_id);
	CU_ASSERT_STRING_EQUAL(a->sender.name, b->sender.name);
	CU_ASSERT_EQUAL(a->sender.model, b->sender.model);
	CU_ASSERT_EQUAL(a->sender.cpu_count, b->sender.cpu_count);
	CU_ASSERT_EQUAL(a->sender.memory_mb, b->sender.memory_mb);
	CU_ASSERT_EQUAL(a->sender.disk_gb, b->sender.disk_gb);
	CU_ASSERT_EQUAL(a->sender.firmware.major, b->sender.firmware.major);
	CU_ASSERT_EQUAL(a->sender.firmware.minor, b->sender.firmware.minor);
	CU_ASSERT_EQUAL(a->sender.firmware.patch, b->sender.firmware.patch);
	CU_ASSERT_EQUAL(a->role, b->role);
	CU_ASSERT_EQUAL(a->state, b->state);
	CU_ASSERT_EQUAL(a->flags, b->flags);
	CU_ASSERT_EQUAL(a->health.raid_ok, b->health.raid_ok);
	CU_ASSERT_EQUAL(a->health.services_ok, b->health.services_ok);
	CU_ASSERT_EQUAL(a->health.ping_reachable, b->health.ping_reachable);
	CU_ASSERT_EQUAL(a->health.ping_total, b->health.ping_total);
	CU_ASSERT_EQUAL(a->health.cluster_ip_answered, b->health.cluster_ip_answered);
	CU_ASSERT_EQUAL(a->generation.id, b->generation.id);
	CU_ASSERT_EQUAL(a->generation.parent, b->generation.parent);
	CU_ASSERT_EQUAL(a->generation.fork_seq, b->generation.fork_seq);
	CU_ASSERT_EQUAL(a->last_seq, b->last_seq);
	CU_ASSERT_EQUAL(a->writes_in_generation, b->writes_in_generation);
	CU_ASSERT_EQUAL(a->active_for_ms, b->active_for_ms);
	CU_ASSERT_EQUAL(a->split_brain_loser, b->split_brain_loser);
}

static void assert_data_equal(const struct hn_data_message *a, const struct hn_data_message *b)
{
	CU_ASSERT_EQUAL(a->kind, b->kind);
	CU_ASSERT_EQUAL(a->sender_id, b->sender_id);
	CU_ASSERT_EQUAL(a->generation.id, b->generation.id);
	CU_ASSERT_EQUAL(a->generation.parent, b->generation.parent);
	CU_ASSERT_EQUAL(a->generation.fork_seq, b->generation.fork_seq);
	CU_ASSERT_EQUAL(a->seq, b->seq);
	CU_ASSERT_EQUAL(a->base_seq, b->base_seq);
	CU_ASSERT_EQUAL(a->upto_seq, b->upto_seq);
	CU_ASSERT_EQUAL(a->complete, b->complete);
	CU_ASSERT_EQUAL_FATAL(a->entry_count, b->entry_count);
	for (uint32_t i = 0; i < a->entry_count; i++) {
		CU_ASSERT_STRING_EQUAL(a->entries[i].key, b->entries[i].key);
		CU_ASSERT_STRING_EQUAL(a->entries[i].value, b->entries[i].value);
		CU_ASSERT_EQUAL(a->entries[i].seq, b->entries[i].seq);
	}
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
		uint8_t packet[HN_PACKET_MAX];
		int length = hn_proto_encode_data(&sent, 100 + i, test_key, packet, sizeof(packet));
		CU_ASSERT_FATAL(length > 0);
		CU_ASSERT_EQUAL(hn_proto_decode(packet, (size_t)length, test_key, &window,
						&counters, NULL, &received),
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
	uint8_t packet[HN_PACKET_MAX];
	int length = hn_proto_encode_data(&sent, 1, test_key, packet, sizeof(packet));
	CU_ASSERT_FATAL(length > 0);
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	CU_ASSERT_EQUAL(
	    hn_proto_decode(packet, (size_t)length, test_key, &window, &counters, NULL, &received),
	    HN_PACKET_DATA);
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
	struct hn_heartbeat received;
	CU_ASSERT_EQUAL(
	    hn_proto_decode(packet, (size_t)length, other_key, &window, &counters, &received, NULL),
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
	struct hn_heartbeat received;
	uint64_t rejected = 0;
	for (int bit = 0; bit < length * 8; bit++) {
		packet[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (hn_proto_decode(packet, (size_t)length, test_key, &window, &counters, &received,
				    NULL) == -1)
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
	struct hn_heartbeat received;
	for (int cut = 0; cut < length; cut++)
		CU_ASSERT_EQUAL(hn_proto_decode(packet, (size_t)cut, test_key, &window, &counters,
						&received, NULL),
				-1);
	CU_ASSERT_EQUAL(counters.bad_length, (uint64_t)length);
	CU_ASSERT_EQUAL(hn_proto_decode(packet, (size_t)length + 1, test_key, &window, &counters,
					&received, NULL),
			-1);
	CU_ASSERT_EQUAL(hn_proto_decode(packet, HN_PACKET_MAX + 1, test_key, &window, &counters,
					&received, NULL),
			-1);
	CU_ASSERT_EQUAL(counters.bad_length, (uint64_t)length + 2);
	CU_ASSERT_EQUAL(counters.accepted, 0);
}

static int decode_seq(uint64_t packet_seq, struct hn_replay_window *window,
		      struct hn_proto_counters *counters)
{
	uint8_t packet[HN_PACKET_MAX];
	struct hn_heartbeat received;
	int length = encode_test_heartbeat(packet_seq, packet);
	return hn_proto_decode(packet, (size_t)length, test_key, window, counters, &received, NULL);
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

static void test_authenticated_malformed_rejected(void)
{
	uint8_t good[HN_PACKET_MAX], packet[HN_PACKET_MAX], body[HN_PACKET_MAX];
	int length = encode_test_heartbeat(1, good);
	size_t body_bytes = (size_t)length - 20 - crypto_auth_BYTES;
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};
	struct hn_heartbeat heartbeat;
	struct hn_data_message data;
	/* name without NUL (offset 8..39), model out of range (offset 40) */
	memcpy(body, good + 20, body_bytes);
	memset(body + 8, 'x', HN_NAME_MAX);
	size_t size = seal_body(HN_PACKET_HEARTBEAT, 2, body, body_bytes, packet);
	CU_ASSERT_EQUAL(
	    hn_proto_decode(packet, size, test_key, &window, &counters, &heartbeat, &data), -1);
	memcpy(body, good + 20, body_bytes);
	body[40] = HN_MODEL_COUNT;
	size = seal_body(HN_PACKET_HEARTBEAT, 3, body, body_bytes, packet);
	CU_ASSERT_EQUAL(
	    hn_proto_decode(packet, size, test_key, &window, &counters, &heartbeat, &data), -1);
	/* a body one byte short, an unknown packet kind */
	size = seal_body(HN_PACKET_HEARTBEAT, 4, good + 20, body_bytes - 1, packet);
	CU_ASSERT_EQUAL(
	    hn_proto_decode(packet, size, test_key, &window, &counters, &heartbeat, &data), -1);
	size = seal_body(9, 5, good + 20, body_bytes, packet);
	CU_ASSERT_EQUAL(
	    hn_proto_decode(packet, size, test_key, &window, &counters, &heartbeat, &data), -1);
	/* a data message claiming more entries than a batch may hold */
	struct hn_data_message sent = test_data(HN_DATA_SYNC_BATCH, 1);
	length = hn_proto_encode_data(&sent, 6, test_key, good, sizeof(good));
	body_bytes = (size_t)length - 20 - crypto_auth_BYTES;
	memcpy(body, good + 20, body_bytes);
	body[1 + 4 + 24 + 24 + 1] = HN_SYNC_BATCH_MAX + 1;
	size = seal_body(HN_PACKET_DATA, 7, body, body_bytes, packet);
	CU_ASSERT_EQUAL(
	    hn_proto_decode(packet, size, test_key, &window, &counters, &heartbeat, &data), -1);
	CU_ASSERT_EQUAL(counters.malformed, 5);
	CU_ASSERT_EQUAL(counters.accepted, 0);
	CU_ASSERT_FALSE(window.started);
}

int main(void)
{
	if (sodium_init() < 0 || CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite suite = CU_add_suite("proto", NULL, NULL);
	CU_add_test(suite, "heartbeat round trip", test_heartbeat_round_trip);
	CU_add_test(suite, "data round trip, every kind", test_data_round_trip_every_kind);
	CU_add_test(suite, "data with longest strings", test_data_longest_strings);
	CU_add_test(suite, "encode refuses what does not fit",
		    test_encode_refuses_what_does_not_fit);
	CU_add_test(suite, "wrong key rejected", test_wrong_key_rejected);
	CU_add_test(suite, "every flipped bit rejected", test_every_flipped_bit_rejected);
	CU_add_test(suite, "truncated and oversize rejected", test_truncated_and_oversize_rejected);
	CU_add_test(suite, "replay of same packet rejected", test_replay_of_same_packet_rejected);
	CU_add_test(suite, "out of window rejected", test_out_of_window_rejected);
	CU_add_test(suite, "reordering inside window accepted once",
		    test_reordering_inside_window_accepted_once);
	CU_add_test(suite, "authenticated malformed rejected",
		    test_authenticated_malformed_rejected);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
