/*
 * fuzz_proto.c - libFuzzer target of the wire codec (refimpl/core/proto.c):
 * hn_proto_decode on any bytes.
 *
 * The first input byte picks the mode. Raw (even): the rest is a packet as
 * it comes off the wire; the MAC rejects nearly all of them, which fuzzes
 * the length bounds and the MAC path. Sealed (odd): the rest is a header
 * and a body that the target authenticates with its key before decoding,
 * so the fuzzer reaches the field decoders behind the MAC. A packet that
 * decodes must encode again to a packet that decodes to the same message
 * and encodes to the same bytes (the codec is its own inverse), else the
 * target aborts.
 */
#include "hn_core.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint8_t key[HN_KEY_BYTES];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	return 0;
}

static int decode(const uint8_t *packet, size_t length, struct hn_heartbeat *heartbeat,
		  struct hn_data_message *data)
{
	struct hn_replay_window window = {0};
	struct hn_proto_counters counters = {0};

	return hn_proto_decode(packet, length, key, &window, &counters, heartbeat, data);
}

static int encode(int kind, const struct hn_heartbeat *heartbeat,
		  const struct hn_data_message *data, uint64_t seq, uint8_t *packet)
{
	return kind == HN_PACKET_HEARTBEAT
		   ? hn_proto_encode_heartbeat(heartbeat, seq, key, packet, HN_PACKET_MAX)
		   : hn_proto_encode_data(data, seq, key, packet, HN_PACKET_MAX);
}

/* decode(encode(m)) == m, checked through the bytes of a second encoding. */
static void round_trip(int kind, const struct hn_heartbeat *heartbeat,
		       const struct hn_data_message *data, uint64_t seq)
{
	static uint8_t first[HN_PACKET_MAX], second[HN_PACKET_MAX];
	static struct hn_heartbeat heartbeat_again;
	static struct hn_data_message data_again;
	int first_length = encode(kind, heartbeat, data, seq, first);

	if (first_length < 0)
		abort(); /* what decoded must fit again */
	if (decode(first, (size_t)first_length, &heartbeat_again, &data_again) != kind)
		abort();
	if (encode(kind, &heartbeat_again, &data_again, seq, second) != first_length ||
	    memcmp(first, second, (size_t)first_length) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t packet[HN_PACKET_MAX + crypto_auth_BYTES];
	static struct hn_heartbeat heartbeat;
	static struct hn_data_message message;
	size_t length;
	int kind;

	if (size < 1)
		return 0;
	length = size - 1;
	if (length > HN_PACKET_MAX)
		length = HN_PACKET_MAX;
	memcpy(packet, data + 1, length);
	if (data[0] & 1) {
		if (length > HN_PACKET_MAX - crypto_auth_BYTES)
			length = HN_PACKET_MAX - crypto_auth_BYTES;
		crypto_auth(packet + length, packet, length, key);
		length += crypto_auth_BYTES;
	}
	kind = decode(packet, length, &heartbeat, &message);
	if (kind == HN_PACKET_HEARTBEAT || kind == HN_PACKET_DATA)
		round_trip(kind, &heartbeat, &message, hn_proto_packet_seq(packet, length));
	return 0;
}
