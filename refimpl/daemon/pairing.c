/*
 * pairing.c - sealed create/join exchange and the cluster key file (see
 * pairing.h).
 *
 * The join request and answer are `name=value` words: the joiner's identity
 * one way, the verdict of hn_compat_check() with the key and the cluster's
 * settings the other way.
 *
 * The pairing key is BLAKE2b(secret, key = "halab-pairing-v1"): the secret
 * has 128 random bits, so no slow password hash is needed, and the context
 * string keeps the derived key from being useful anywhere else.
 */
#include "pairing.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

static const char hn_pairing_context[] = "halab-pairing-v1";

static void hn_pairing_derive(const uint8_t secret[HN_PAIRING_SECRET_BYTES],
			      uint8_t key[crypto_secretbox_KEYBYTES])
{
	crypto_generichash(key, crypto_secretbox_KEYBYTES, secret, HN_PAIRING_SECRET_BYTES,
			   (const uint8_t *)hn_pairing_context, sizeof(hn_pairing_context) - 1);
}

void hn_pairing_secret_new(struct hn_pairing_secret *secret, uint64_t now_ms,
			   char hex[HN_PAIRING_SECRET_HEX])
{
	randombytes_buf(secret->secret, sizeof(secret->secret));
	secret->valid = true;
	secret->failures = 0;
	secret->expires_ms = now_ms + HN_PAIRING_VALID_MS;
	sodium_bin2hex(hex, HN_PAIRING_SECRET_HEX, secret->secret, sizeof(secret->secret));
}

bool hn_pairing_secret_usable(const struct hn_pairing_secret *secret, uint64_t now_ms)
{
	return secret->valid && now_ms < secret->expires_ms &&
	       secret->failures < HN_PAIRING_FAILURES_MAX;
}

int hn_pairing_secret_parse(const char *hex, uint8_t secret[HN_PAIRING_SECRET_BYTES])
{
	size_t length = 0;
	if (strlen(hex) != 2 * HN_PAIRING_SECRET_BYTES ||
	    sodium_hex2bin(secret, HN_PAIRING_SECRET_BYTES, hex, strlen(hex), NULL, &length,
			   NULL) != 0 ||
	    length != HN_PAIRING_SECRET_BYTES)
		return -1;
	return 0;
}

int hn_pairing_seal(const uint8_t secret[HN_PAIRING_SECRET_BYTES], const char *text, uint8_t *wire,
		    size_t wire_size)
{
	size_t text_length = strlen(text);
	size_t box_length = crypto_secretbox_MACBYTES + text_length;
	size_t total = 4 + crypto_secretbox_NONCEBYTES + box_length;
	if (text_length >= HN_PAIRING_TEXT_MAX || total > wire_size)
		return -1;
	uint8_t key[crypto_secretbox_KEYBYTES];
	hn_pairing_derive(secret, key);
	for (int i = 0; i < 4; i++)
		wire[i] = (uint8_t)((total - 4) >> (8 * i));
	randombytes_buf(wire + 4, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(wire + 4 + crypto_secretbox_NONCEBYTES, (const uint8_t *)text,
			      text_length, wire + 4, key);
	sodium_memzero(key, sizeof(key));
	return (int)total;
}

int hn_pairing_open(const uint8_t secret[HN_PAIRING_SECRET_BYTES], const uint8_t *wire,
		    size_t length, char *text, size_t text_size)
{
	size_t overhead = 4 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
	if (length < overhead || length - overhead >= text_size)
		return -1;
	size_t declared =
	    (size_t)wire[0] | (size_t)wire[1] << 8 | (size_t)wire[2] << 16 | (size_t)wire[3] << 24;
	if (declared != length - 4)
		return -1;
	uint8_t key[crypto_secretbox_KEYBYTES];
	hn_pairing_derive(secret, key);
	int result =
	    crypto_secretbox_open_easy((uint8_t *)text, wire + 4 + crypto_secretbox_NONCEBYTES,
				       length - 4 - crypto_secretbox_NONCEBYTES, wire + 4, key);
	sodium_memzero(key, sizeof(key));
	if (result != 0)
		return -1;
	size_t text_length = length - overhead;
	text[text_length] = '\0';
	return strlen(text) == text_length ? 0 : -1;
}

void hn_pairing_word(const char *text, const char *name, char *value, size_t value_size)
{
	size_t name_length = strlen(name);
	value[0] = '\0';
	for (const char *at = text; at && *at; at = strchr(at, ' '), at = at ? at + 1 : NULL) {
		if (strncmp(at, name, name_length) != 0 || at[name_length] != '=')
			continue;
		const char *start = at + name_length + 1;
		size_t length = strcmp(name, "reason") == 0 ? strlen(start) : strcspn(start, " ");
		snprintf(value, value_size, "%.*s", (int)length, start);
		return;
	}
}

/* ------------------------------------------------------- join request */

void hn_pairing_request(const struct hn_identity *self, uint32_t protocol, char *text,
			size_t text_size)
{
	snprintf(text, text_size,
		 "node_id=%u name=%s model=%s cpu_count=%u memory_mb=%u disk_gb=%u "
		 "firmware=%u.%u.%u protocol=%u",
		 self->node_id, self->name, hn_model_name(self->model), self->cpu_count,
		 self->memory_mb, self->disk_gb, self->firmware.major, self->firmware.minor,
		 self->firmware.patch, protocol);
}

static uint32_t hn_pairing_word_u32(const char *text, const char *name)
{
	char word[32];
	hn_pairing_word(text, name, word, sizeof(word));
	return (uint32_t)strtoul(word, NULL, 10);
}

/* Parses the joiner's identity; false if model or firmware are not valid. */
static bool hn_pairing_request_parse(const char *request, struct hn_identity *joiner,
				     uint32_t *protocol)
{
	char word[64];
	memset(joiner, 0, sizeof(*joiner));
	joiner->node_id = hn_pairing_word_u32(request, "node_id");
	hn_pairing_word(request, "name", joiner->name, sizeof(joiner->name));
	joiner->cpu_count = hn_pairing_word_u32(request, "cpu_count");
	joiner->memory_mb = hn_pairing_word_u32(request, "memory_mb");
	joiner->disk_gb = hn_pairing_word_u32(request, "disk_gb");
	*protocol = hn_pairing_word_u32(request, "protocol");
	hn_pairing_word(request, "model", word, sizeof(word));
	bool parsed = hn_model_parse(word, &joiner->model) == 0;
	hn_pairing_word(request, "firmware", word, sizeof(word));
	return parsed && hn_version_parse(word, &joiner->firmware) == 0;
}

int hn_pairing_answer(const struct hn_identity *self, uint32_t protocol,
		      const uint8_t key[HN_KEY_BYTES], const char *settings, const char *request,
		      struct hn_identity *joiner, char *answer, size_t answer_size)
{
	char reason[HN_REASON_MAX] = "", key_hex[2 * HN_KEY_BYTES + 1];
	uint32_t joiner_protocol = 0;
	enum hn_compat_verdict verdict = HN_COMPAT_REFUSED;
	if (!hn_pairing_request_parse(request, joiner, &joiner_protocol))
		snprintf(reason, sizeof(reason), "the join request names no valid model/firmware");
	else
		verdict = hn_compat_check(self, joiner, protocol, joiner_protocol, reason,
					  sizeof(reason));
	if (verdict != HN_COMPAT_REFUSED && joiner->node_id == self->node_id) {
		verdict = HN_COMPAT_REFUSED;
		snprintf(reason, sizeof(reason), "node_id %u is already this node's",
			 joiner->node_id);
	}
	if (verdict == HN_COMPAT_REFUSED) {
		snprintf(answer, answer_size, "refused reason=%s", reason);
		return -1;
	}
	sodium_bin2hex(key_hex, sizeof(key_hex), key, HN_KEY_BYTES);
	snprintf(answer, answer_size, "ok key=%s %s%s%s", key_hex, settings,
		 reason[0] ? " reason=" : "", reason);
	sodium_memzero(key_hex, sizeof(key_hex));
	return 0;
}

/* ----------------------------------------------------------- key file */

int hn_pairing_key_parse(const char *hex, uint8_t key[HN_KEY_BYTES])
{
	size_t length = 0;
	if (strlen(hex) != 2 * HN_KEY_BYTES ||
	    sodium_hex2bin(key, HN_KEY_BYTES, hex, strlen(hex), NULL, &length, NULL) != 0 ||
	    length != HN_KEY_BYTES)
		return -1;
	return 0;
}

/* Returns 1 and the key, 0 if the file does not exist, -1 if it is bad or
 * open to others than its owner (the key is the cluster's secret). */
int hn_pairing_key_read(const char *path, uint8_t key[HN_KEY_BYTES], char *error, size_t error_size)
{
	char text[2 * HN_KEY_BYTES + 8] = "";
	struct stat file_stat;
	FILE *file = fopen(path, "r");
	if (!file && errno == ENOENT)
		return 0;
	if (file && fstat(fileno(file), &file_stat) == 0 && (file_stat.st_mode & 0077)) {
		snprintf(error, error_size, "key_file %s: %s by others (mode %04o): chmod 600 it",
			 path, file_stat.st_mode & 0044 ? "readable" : "accessible",
			 (unsigned)(file_stat.st_mode & 07777));
		fclose(file);
		return -1;
	}
	if (!file || !fgets(text, sizeof(text), file)) {
		snprintf(error, error_size, "key_file %s: cannot read: %s", path,
			 file ? "empty" : strerror(errno));
		if (file)
			fclose(file);
		return -1;
	}
	fclose(file);
	text[strcspn(text, "\r\n")] = '\0';
	if (hn_pairing_key_parse(text, key) != 0) {
		snprintf(error, error_size, "key_file %s: expected 64 hex digits", path);
		return -1;
	}
	return 1;
}

int hn_pairing_key_write(const char *path, const uint8_t key[HN_KEY_BYTES], char *error,
			 size_t error_size)
{
	char hex[2 * HN_KEY_BYTES + 1], temporary[512];
	sodium_bin2hex(hex, sizeof(hex), key, HN_KEY_BYTES);
	snprintf(temporary, sizeof(temporary), "%s.tmp", path);
	int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && dprintf(fd, "%s\n", hex) == (int)sizeof(hex) && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok || rename(temporary, path) != 0) {
		snprintf(error, error_size, "hn_pairing_key_write: %s: %s", path, strerror(errno));
		unlink(temporary);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- client */

static int hn_pairing_connect(const char *peer, uint32_t port, char *error, size_t error_size)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, peer, &address.sin_addr) != 1) {
		snprintf(error, error_size, "hn_pairing_fetch: '%s' is not an IPv4 address", peer);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0 && errno != EINPROGRESS)
		goto fail;
	struct pollfd wait = {fd, POLLOUT, 0};
	int socket_error = 0;
	socklen_t size = sizeof(socket_error);
	if (poll(&wait, 1, HN_PAIRING_TIMEOUT_MS) != 1) {
		errno = ETIMEDOUT;
		goto fail;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &size);
	if (socket_error) {
		errno = socket_error;
		goto fail;
	}
	return fd;
fail:
	snprintf(error, error_size, "hn_pairing_fetch: connect %s:%u: %s", peer, port,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Reads one framed message within the deadline. */
static ssize_t hn_pairing_receive(int fd, uint8_t *wire, size_t wire_size)
{
	size_t used = 0, need = 4;
	while (used < need) {
		struct pollfd wait = {fd, POLLIN, 0};
		if (poll(&wait, 1, HN_PAIRING_TIMEOUT_MS) != 1)
			return -1;
		ssize_t got = recv(fd, wire + used, need - used, 0);
		if (got <= 0)
			return -1;
		used += (size_t)got;
		if (used == 4) {
			need = 4 + ((size_t)wire[0] | (size_t)wire[1] << 8 | (size_t)wire[2] << 16 |
				    (size_t)wire[3] << 24);
			if (need > wire_size)
				return -1;
		}
	}
	return (ssize_t)used;
}

int hn_pairing_fetch(const char *peer, uint32_t port, const uint8_t secret[HN_PAIRING_SECRET_BYTES],
		     const char *request, char *answer, size_t answer_size, char *error,
		     size_t error_size)
{
	uint8_t wire[HN_PAIRING_WIRE_MAX];
	int length = hn_pairing_seal(secret, request, wire, sizeof(wire));
	if (length < 0) {
		snprintf(error, error_size, "hn_pairing_fetch: request too long");
		return -1;
	}
	int fd = hn_pairing_connect(peer, port, error, error_size);
	if (fd < 0)
		return -1;
	int result = -1;
	if (send(fd, wire, (size_t)length, MSG_NOSIGNAL) != length) {
		snprintf(error, error_size, "hn_pairing_fetch: send to %s: %s", peer,
			 strerror(errno));
		goto cleanup;
	}
	ssize_t received = hn_pairing_receive(fd, wire, sizeof(wire));
	if (received < 0 ||
	    hn_pairing_open(secret, wire, (size_t)received, answer, answer_size) != 0) {
		snprintf(error, error_size,
			 "hn_pairing_fetch: no valid answer from %s (wrong or used secret?)", peer);
		goto cleanup;
	}
	result = 0;
cleanup:
	close(fd);
	return result;
}

/* ------------------------------------------------------------- server */

void hn_pairing_server_init(struct hn_pairing_server *server)
{
	memset(server, 0, sizeof(*server));
	server->listen_fd = -1;
	server->client_fd = -1;
}

int hn_pairing_server_listen(struct hn_pairing_server *server, const char *address, uint32_t port,
			     const char *device, char *error, size_t error_size)
{
	if (server->listen_fd >= 0)
		return 0;
	int one = 1;
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, address, &local.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device)) != 0 ||
	    bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0 || listen(fd, 2) != 0) {
		snprintf(error, error_size, "hn_pairing_server_listen: %s:%u: %s", address, port,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	server->listen_fd = fd;
	return 0;
}

static void hn_pairing_client_close(struct hn_pairing_server *server)
{
	if (server->client_fd >= 0)
		close(server->client_fd);
	server->client_fd = -1;
	server->used = 0;
}

void hn_pairing_server_close(struct hn_pairing_server *server)
{
	if (!server)
		return;
	hn_pairing_client_close(server);
	if (server->listen_fd >= 0)
		close(server->listen_fd);
	server->listen_fd = -1;
}

int hn_pairing_server_accept(struct hn_pairing_server *server)
{
	int fd = accept4(server->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	hn_pairing_client_close(server);
	server->client_fd = fd;
	return fd;
}

int hn_pairing_server_read(struct hn_pairing_server *server)
{
	ssize_t got = recv(server->client_fd, server->buffer + server->used,
			   sizeof(server->buffer) - server->used, MSG_DONTWAIT);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (got <= 0) {
		hn_pairing_client_close(server);
		return -1;
	}
	server->used += (size_t)got;
	if (server->used < 4)
		return 0;
	size_t need = 4 + ((size_t)server->buffer[0] | (size_t)server->buffer[1] << 8 |
			   (size_t)server->buffer[2] << 16 | (size_t)server->buffer[3] << 24);
	if (need > sizeof(server->buffer) || server->used > need) {
		hn_pairing_client_close(server);
		return -1;
	}
	return server->used == need ? 1 : 0;
}

void hn_pairing_server_answer(struct hn_pairing_server *server, const uint8_t *wire, size_t length)
{
	if (server->client_fd < 0)
		return;
	/* The answer is small: it fits an empty socket buffer in one send. */
	ssize_t sent = send(server->client_fd, wire, length, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)sent;
	hn_pairing_client_close(server);
}
