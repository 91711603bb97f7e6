/*
 * pairing.h - create/join: hand the cluster key to the second node.
 *
 * `hactl create` on the first node makes its daemon draw a one-time pairing
 * secret (16 random bytes, shown as 32 hex digits, valid once for 10
 * minutes) and listen on TCP pairing_port of its sync address. `hactl join
 * --peer ADDR --secret S --yes` on the second node sends the joiner's
 * identity to ADDR; the first node checks compatibility and answers with
 * the cluster key and the cluster-wide settings, or a refusal with reason.
 *
 * Both messages are sealed with crypto_secretbox under a key derived from
 * the secret (BLAKE2b keyed with a fixed context), with a random nonce:
 * only a holder of the secret can read the key or ask for it. A message on
 * the wire is: length u32 (little-endian) | nonce (24) | box.
 * The texts inside are `name=value` words separated by single spaces; a
 * reason, if any, is the last word and runs to the end.
 *
 * The cluster key file (key_file) is read and written here too: the daemon
 * writes it on create and join, and reads it at start.
 */
#ifndef HN_PAIRING_H
#define HN_PAIRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"

#define HN_PAIRING_SECRET_BYTES 16
#define HN_PAIRING_SECRET_HEX	(2 * HN_PAIRING_SECRET_BYTES + 1)
#define HN_PAIRING_VALID_MS	600000u
#define HN_PAIRING_FAILURES_MAX 5 /* bad attempts before the secret is dropped */
#define HN_PAIRING_TEXT_MAX	1024
#define HN_PAIRING_WIRE_MAX	(4 + 24 + 16 + HN_PAIRING_TEXT_MAX)
#define HN_PAIRING_TIMEOUT_MS	3000

struct hn_pairing_secret {
	bool valid;
	uint8_t secret[HN_PAIRING_SECRET_BYTES];
	uint64_t expires_ms;
	unsigned failures;
};

/* Draw a new secret valid until now + HN_PAIRING_VALID_MS; hex gets it. */
void hn_pairing_secret_new(struct hn_pairing_secret *secret, uint64_t now_ms,
			   char hex[HN_PAIRING_SECRET_HEX]);
bool hn_pairing_secret_usable(const struct hn_pairing_secret *secret, uint64_t now_ms);
int hn_pairing_secret_parse(const char *hex, uint8_t secret[HN_PAIRING_SECRET_BYTES]);

/* Seal text into wire (returns its length) / open a complete wire message
 * (returns 0, -1 if it is not authentic or not a bounded text). */
int hn_pairing_seal(const uint8_t secret[HN_PAIRING_SECRET_BYTES], const char *text, uint8_t *wire,
		    size_t wire_size);
int hn_pairing_open(const uint8_t secret[HN_PAIRING_SECRET_BYTES], const uint8_t *wire,
		    size_t length, char *text, size_t text_size);

/* The value of word name= in text ("" if absent); a "reason" runs to the end. */
void hn_pairing_word(const char *text, const char *name, char *value, size_t value_size);

/* The cluster key file: 64 hex digits and a newline, mode 0600. read
 * returns 1 and the key, 0 if the file does not exist, -1 if it is bad or
 * open to anyone but its owner (a group or other permission bit: refused,
 * so that hanode --check-config and the start say so); write replaces the
 * file atomically (tmp + fsync + rename). */
int hn_pairing_key_parse(const char *hex, uint8_t key[HN_KEY_BYTES]);
int hn_pairing_key_read(const char *path, uint8_t key[HN_KEY_BYTES], char *error,
			size_t error_size);
int hn_pairing_key_write(const char *path, const uint8_t key[HN_KEY_BYTES], char *error,
			 size_t error_size);

/* The joiner's request: its identity as words. */
void hn_pairing_request(const struct hn_identity *self, uint32_t protocol, char *text,
			size_t text_size);
/* The first node's answer: checks the joiner (hn_compat_check, a node id
 * of its own) and writes "ok key=<hex> <settings>" (plus " reason=<warning>")
 * and returns 0, or writes "refused reason=<why>" and returns -1. joiner
 * gets the identity the request named. */
int hn_pairing_answer(const struct hn_identity *self, uint32_t protocol,
		      const uint8_t key[HN_KEY_BYTES], const char *settings, const char *request,
		      struct hn_identity *joiner, char *answer, size_t answer_size);

/* Client (hactl): connect to peer:port, send request, wait for the answer,
 * all within HN_PAIRING_TIMEOUT_MS. */
int hn_pairing_fetch(const char *peer, uint32_t port, const uint8_t secret[HN_PAIRING_SECRET_BYTES],
		     const char *request, char *answer, size_t answer_size, char *error,
		     size_t error_size);

/* Server side, driven by hanode's loop: one client at a time. */
struct hn_pairing_server {
	int listen_fd; /* -1 = not listening */
	int client_fd;
	size_t used;
	uint8_t buffer[HN_PAIRING_WIRE_MAX];
};

void hn_pairing_server_init(struct hn_pairing_server *server);
int hn_pairing_server_listen(struct hn_pairing_server *server, const char *address, uint32_t port,
			     const char *device, char *error, size_t error_size);
void hn_pairing_server_close(struct hn_pairing_server *server);
/* Accept a client (replacing any previous one); returns its fd or -1. */
int hn_pairing_server_accept(struct hn_pairing_server *server);
/* Read from the client: 1 when a whole message is in buffer (length used),
 * 0 for more to come, -1 when the client is gone or sent too much (closed). */
int hn_pairing_server_read(struct hn_pairing_server *server);
/* Send wire to the client and close it. */
void hn_pairing_server_answer(struct hn_pairing_server *server, const uint8_t *wire, size_t length);

#endif
