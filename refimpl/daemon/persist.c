/*
 * persist.c - the durable store of the replicated data (see persist.h).
 *
 * Record layout in store.log (little-endian, 20-byte header):
 *   magic "HNR1" (4) | crc32 (4) | seq (8) | key_len (1) | 0 (1) | value_len (2)
 *   followed by key_len key bytes and value_len value bytes (no NULs).
 * The crc covers everything after the crc field, header and payload, so a
 * record torn anywhere, or a stray byte, fails the check. Loading stops at
 * the first record that fails; what follows is cut off.
 *
 * Durability: an append is write() + fdatasync(); the files that are
 * replaced (the log at compaction, the generation file, the maintenance
 * mark, the packet counter's reservation) are written to a temporary name,
 * fsync'ed, renamed over the old one, and the directory is fsync'ed so the
 * rename itself survives a power loss.
 */
#include "persist.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PERSIST_LOG		     "store.log"
#define PERSIST_LOG_TMP		     "store.log.tmp"
#define PERSIST_GENERATION	     "generation"
#define PERSIST_GENERATION_TMP	     "generation.tmp"
#define PERSIST_MAGIC		     0x31524e48u /* "HNR1" read as little-endian */
#define PERSIST_HEADER_BYTES	     20
#define PERSIST_RECORD_MAX	     (PERSIST_HEADER_BYTES + HN_KEY_MAX + HN_VALUE_MAX)
#define PERSIST_LOG_BYTES_MAX	     (256u * 1024 * 1024) /* refuse to load a larger log */
#define PERSIST_GENERATION_BYTES_MAX 256
#define PERSIST_MAINTENANCE	     "maintenance"
#define PERSIST_MAINTENANCE_TMP	     "maintenance.tmp"
#define PERSIST_PACKET_SEQ	     "packet_seq"
#define PERSIST_PACKET_SEQ_TMP	     "packet_seq.tmp"

/* --------------------------------------------------------------- encoding */

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bitwise: records
 * are a few hundred bytes, so a table buys nothing here. */
static uint32_t persist_crc32(const uint8_t *data, size_t length)
{
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < length; i++) {
		crc ^= data[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static void persist_put_le(uint8_t *out, uint64_t value, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		out[i] = (uint8_t)(value >> (8 * i));
}

static uint64_t persist_get_le(const uint8_t *in, size_t bytes)
{
	uint64_t value = 0;
	for (size_t i = 0; i < bytes; i++)
		value |= (uint64_t)in[i] << (8 * i);
	return value;
}

/* Returns the record's length in out (at least PERSIST_RECORD_MAX bytes). */
static size_t persist_record_encode(const struct hn_entry *entry, uint8_t *out)
{
	size_t key_length = strlen(entry->key);
	size_t value_length = strlen(entry->value);
	persist_put_le(out, PERSIST_MAGIC, 4);
	persist_put_le(out + 8, entry->seq, 8);
	out[16] = (uint8_t)key_length;
	out[17] = 0;
	persist_put_le(out + 18, value_length, 2);
	memcpy(out + PERSIST_HEADER_BYTES, entry->key, key_length);
	memcpy(out + PERSIST_HEADER_BYTES + key_length, entry->value, value_length);
	size_t length = PERSIST_HEADER_BYTES + key_length + value_length;
	persist_put_le(out + 4, persist_crc32(out + 8, length - 8), 4);
	return length;
}

/* Decode the record at data (available bytes). Returns its length, or 0 if
 * it is torn, corrupt or invalid (the caller stops there). */
static size_t persist_record_decode(const uint8_t *data, size_t available, struct hn_entry *entry)
{
	if (available < PERSIST_HEADER_BYTES || persist_get_le(data, 4) != PERSIST_MAGIC)
		return 0;
	size_t key_length = data[16];
	size_t value_length = (size_t)persist_get_le(data + 18, 2);
	size_t length = PERSIST_HEADER_BYTES + key_length + value_length;
	if (key_length == 0 || key_length >= HN_KEY_MAX || value_length >= HN_VALUE_MAX ||
	    data[17] != 0 || available < length)
		return 0;
	if (persist_crc32(data + 8, length - 8) != (uint32_t)persist_get_le(data + 4, 4))
		return 0;
	memset(entry, 0, sizeof(*entry));
	memcpy(entry->key, data + PERSIST_HEADER_BYTES, key_length);
	memcpy(entry->value, data + PERSIST_HEADER_BYTES + key_length, value_length);
	if (strlen(entry->key) != key_length || strlen(entry->value) != value_length)
		return 0; /* embedded NUL: not something we wrote */
	entry->seq = persist_get_le(data + 8, 8);
	return length;
}

/* -------------------------------------------------------- in-memory table */

static struct hn_entry *persist_find(struct hn_persist *persist, const char *key)
{
	for (size_t i = 0; i < persist->entry_count; i++)
		if (strcmp(persist->entries[i].key, key) == 0)
			return &persist->entries[i];
	return NULL;
}

static int persist_remember(struct hn_persist *persist, const struct hn_entry *entry)
{
	struct hn_entry *slot = persist_find(persist, entry->key);
	if (slot == NULL) {
		if (persist->entry_count >= HN_STORE_ENTRIES_MAX)
			return -1;
		slot = &persist->entries[persist->entry_count++];
	}
	*slot = *entry;
	if (entry->seq > persist->last_seq)
		persist->last_seq = entry->seq;
	return 0;
}

/* ----------------------------------------------------------------- files */

static int persist_write_all(int fd, const uint8_t *data, size_t length)
{
	while (length > 0) {
		ssize_t written = write(fd, data, length);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			return -1;
		data += written;
		length -= (size_t)written;
	}
	return 0;
}

/* Replace name with the bytes of tmp_fd's file (already written): fsync,
 * rename, fsync the directory. Closes tmp_fd. */
static int persist_replace(struct hn_persist *persist, int tmp_fd, const char *tmp_name,
			   const char *name, char *error, size_t error_size)
{
	int result = -1;
	if (fsync(tmp_fd) < 0) {
		snprintf(error, error_size, "persist: fsync %s/%s: %s", persist->dir, tmp_name,
			 strerror(errno));
		goto cleanup;
	}
	if (renameat(persist->dir_fd, tmp_name, persist->dir_fd, name) < 0) {
		snprintf(error, error_size, "persist: rename %s/%s: %s", persist->dir, tmp_name,
			 strerror(errno));
		goto cleanup;
	}
	if (fsync(persist->dir_fd) < 0) {
		snprintf(error, error_size, "persist: fsync %s: %s", persist->dir, strerror(errno));
		goto cleanup;
	}
	result = 0;
cleanup:
	close(tmp_fd);
	if (result < 0)
		unlinkat(persist->dir_fd, tmp_name, 0);
	return result;
}

static int persist_log_open(struct hn_persist *persist, char *error, size_t error_size)
{
	if (persist->log_fd >= 0)
		close(persist->log_fd);
	persist->log_fd =
	    openat(persist->dir_fd, PERSIST_LOG, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (persist->log_fd < 0) {
		snprintf(error, error_size, "persist: open %s/%s: %s", persist->dir, PERSIST_LOG,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Read the whole log into memory (bounded) and rebuild the table; cut off
 * a torn or corrupt tail. */
static int persist_log_load(struct hn_persist *persist, char *error, size_t error_size)
{
	int result = -1;
	uint8_t *data = NULL;
	struct stat st;
	if (fstat(persist->log_fd, &st) < 0 || (uint64_t)st.st_size > PERSIST_LOG_BYTES_MAX) {
		snprintf(error, error_size, "persist: %s/%s: unreadable or larger than %u bytes",
			 persist->dir, PERSIST_LOG, PERSIST_LOG_BYTES_MAX);
		goto cleanup;
	}
	size_t size = (size_t)st.st_size;
	data = malloc(size > 0 ? size : 1);
	if (data == NULL || pread(persist->log_fd, data, size, 0) != (ssize_t)size) {
		snprintf(error, error_size, "persist: read %s/%s failed", persist->dir,
			 PERSIST_LOG);
		goto cleanup;
	}
	size_t offset = 0;
	struct hn_entry entry;
	for (;;) {
		size_t length = persist_record_decode(data + offset, size - offset, &entry);
		if (length == 0 || persist_remember(persist, &entry) < 0)
			break;
		offset += length;
		persist->log_records++;
	}
	persist->log_bytes = offset;
	persist->torn_bytes = size - offset;
	if (offset < size &&
	    (ftruncate(persist->log_fd, (off_t)offset) < 0 || fdatasync(persist->log_fd) < 0)) {
		snprintf(error, error_size, "persist: truncate torn tail of %s/%s: %s",
			 persist->dir, PERSIST_LOG, strerror(errno));
		goto cleanup;
	}
	result = 0;
cleanup:
	free(data);
	return result;
}

/* ---------------------------------------------------------------- public */

int hn_persist_open(struct hn_persist *persist, const char *dir, uint32_t compact_records_max,
		    char *error, size_t error_size)
{
	int result = -1;
	memset(persist, 0, sizeof(*persist));
	persist->dir_fd = -1;
	persist->log_fd = -1;
	persist->opened = true;
	persist->compact_records_max =
	    compact_records_max > 0 ? compact_records_max : HN_PERSIST_COMPACT_DEFAULT;
	if (strlen(dir) >= sizeof(persist->dir)) {
		snprintf(error, error_size, "hn_persist_open: directory name too long: %s", dir);
		goto cleanup;
	}
	snprintf(persist->dir, sizeof(persist->dir), "%s", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(error, error_size, "hn_persist_open: mkdir %s: %s", dir, strerror(errno));
		goto cleanup;
	}
	persist->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	persist->entries = calloc(HN_STORE_ENTRIES_MAX, sizeof(*persist->entries));
	if (persist->dir_fd < 0 || persist->entries == NULL) {
		snprintf(error, error_size, "hn_persist_open: open %s: %s", dir, strerror(errno));
		goto cleanup;
	}
	unlinkat(persist->dir_fd, PERSIST_LOG_TMP, 0); /* leftover of a crashed compaction */
	if (persist_log_open(persist, error, error_size) < 0 ||
	    persist_log_load(persist, error, error_size) < 0)
		goto cleanup;
	/* The log may have just been created: make its directory entry durable. */
	if (fsync(persist->dir_fd) < 0) {
		snprintf(error, error_size, "hn_persist_open: fsync %s: %s", dir, strerror(errno));
		goto cleanup;
	}
	result = 0;
cleanup:
	if (result < 0)
		hn_persist_close(persist);
	return result;
}

void hn_persist_close(struct hn_persist *persist)
{
	if (persist == NULL || !persist->opened)
		return;
	persist->opened = false;
	if (persist->log_fd >= 0)
		close(persist->log_fd);
	if (persist->dir_fd >= 0)
		close(persist->dir_fd);
	free(persist->entries);
	persist->entries = NULL;
	persist->entry_count = 0;
	persist->log_fd = -1;
	persist->dir_fd = -1;
}

const struct hn_entry *hn_persist_entries(const struct hn_persist *persist, size_t *count)
{
	*count = persist->entry_count;
	return persist->entries;
}

static bool persist_entry_valid(const struct hn_entry *entry)
{
	size_t key_length = strnlen(entry->key, HN_KEY_MAX);
	size_t value_length = strnlen(entry->value, HN_VALUE_MAX);
	return key_length > 0 && key_length < HN_KEY_MAX && value_length < HN_VALUE_MAX;
}

int hn_persist_append(struct hn_persist *persist, const struct hn_entry *entry, char *error,
		      size_t error_size)
{
	uint8_t record[PERSIST_RECORD_MAX];
	if (persist->failed) {
		snprintf(error, error_size, "hn_persist_append: %s/%s: an earlier write failed",
			 persist->dir, PERSIST_LOG);
		return -1;
	}
	if (!persist_entry_valid(entry)) {
		snprintf(error, error_size,
			 "hn_persist_append: invalid entry (key or value length)");
		return -1;
	}
	if (persist_find(persist, entry->key) == NULL &&
	    persist->entry_count >= HN_STORE_ENTRIES_MAX) {
		snprintf(error, error_size, "hn_persist_append: %s: store full (%d keys)",
			 entry->key, HN_STORE_ENTRIES_MAX);
		return -1;
	}
	if (persist->log_records >= persist->compact_records_max &&
	    hn_persist_compact(persist, error, error_size) < 0)
		return -1;
	size_t length = persist_record_encode(entry, record);
	if (persist_write_all(persist->log_fd, record, length) < 0 ||
	    fdatasync(persist->log_fd) < 0) {
		snprintf(error, error_size, "hn_persist_append: %s/%s: %s", persist->dir,
			 PERSIST_LOG, strerror(errno));
		/* A torn record in front of later appends would make the reload
		 * drop them all: cut it, or refuse every further append. */
		if (ftruncate(persist->log_fd, (off_t)persist->log_bytes) < 0)
			persist->failed = true;
		return -1;
	}
	persist_remember(persist, entry);
	persist->log_records++;
	persist->log_bytes += length;
	return 0;
}

int hn_persist_compact(struct hn_persist *persist, char *error, size_t error_size)
{
	uint8_t record[PERSIST_RECORD_MAX];
	uint64_t bytes = 0;
	int fd = openat(persist->dir_fd, PERSIST_LOG_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0600);
	if (fd < 0) {
		snprintf(error, error_size, "hn_persist_compact: open %s/%s: %s", persist->dir,
			 PERSIST_LOG_TMP, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < persist->entry_count; i++) {
		size_t length = persist_record_encode(&persist->entries[i], record);
		if (persist_write_all(fd, record, length) < 0) {
			snprintf(error, error_size, "hn_persist_compact: write %s/%s: %s",
				 persist->dir, PERSIST_LOG_TMP, strerror(errno));
			close(fd);
			unlinkat(persist->dir_fd, PERSIST_LOG_TMP, 0);
			return -1;
		}
		bytes += length;
	}
	if (persist_replace(persist, fd, PERSIST_LOG_TMP, PERSIST_LOG, error, error_size) < 0 ||
	    persist_log_open(persist, error, error_size) < 0)
		return -1;
	persist->log_records = persist->entry_count;
	persist->log_bytes = bytes;
	persist->failed = false; /* a fresh file: no torn record left behind */
	return 0;
}

int hn_persist_reset(struct hn_persist *persist, char *error, size_t error_size)
{
	if (ftruncate(persist->log_fd, 0) < 0 || fdatasync(persist->log_fd) < 0) {
		snprintf(error, error_size, "hn_persist_reset: %s/%s: %s", persist->dir,
			 PERSIST_LOG, strerror(errno));
		return -1;
	}
	persist->entry_count = 0;
	persist->log_records = 0;
	persist->log_bytes = 0;
	persist->last_seq = 0;
	persist->failed = false;
	return 0;
}

int hn_persist_generation_read(struct hn_persist *persist, struct hn_generation *generation,
			       bool *outdated, char *error, size_t error_size)
{
	char text[PERSIST_GENERATION_BYTES_MAX];
	char flag[8] = "";
	memset(generation, 0, sizeof(*generation));
	*outdated = false;
	int fd = openat(persist->dir_fd, PERSIST_GENERATION, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(error, error_size, "hn_persist_generation_read: %s/%s: %s", persist->dir,
			 PERSIST_GENERATION, strerror(errno));
		return -1;
	}
	ssize_t length = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[length > 0 ? length : 0] = '\0';
	if (sscanf(text,
		   "{\"id\":%" SCNu64 ",\"parent\":%" SCNu64 ",\"fork_seq\":%" SCNu64
		   ",\"outdated\":%5[a-z]}",
		   &generation->id, &generation->parent, &generation->fork_seq, flag) != 4 ||
	    (strcmp(flag, "true") != 0 && strcmp(flag, "false") != 0)) {
		snprintf(error, error_size,
			 "hn_persist_generation_read: %s/%s: not a generation: %.60s", persist->dir,
			 PERSIST_GENERATION, text);
		memset(generation, 0, sizeof(*generation));
		return -1;
	}
	*outdated = strcmp(flag, "true") == 0;
	return 1;
}

int hn_persist_generation_write(struct hn_persist *persist, const struct hn_generation *generation,
				bool outdated, char *error, size_t error_size)
{
	char text[PERSIST_GENERATION_BYTES_MAX];
	int length = snprintf(text, sizeof(text),
			      "{\"id\":%" PRIu64 ",\"parent\":%" PRIu64 ",\"fork_seq\":%" PRIu64
			      ",\"outdated\":%s}\n",
			      generation->id, generation->parent, generation->fork_seq,
			      outdated ? "true" : "false");
	int fd = openat(persist->dir_fd, PERSIST_GENERATION_TMP,
			O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || persist_write_all(fd, (const uint8_t *)text, (size_t)length) < 0) {
		snprintf(error, error_size, "hn_persist_generation_write: %s/%s: %s", persist->dir,
			 PERSIST_GENERATION_TMP, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlinkat(persist->dir_fd, PERSIST_GENERATION_TMP, 0);
		}
		return -1;
	}
	return persist_replace(persist, fd, PERSIST_GENERATION_TMP, PERSIST_GENERATION, error,
			       error_size);
}

/* ------------------------------------------------------ small files */

/* Replace name with text, durably (tmp + fsync + rename + fsync dir). */
static int persist_small_write(struct hn_persist *persist, const char *name, const char *tmp_name,
			       const char *text, const char *caller, char *error, size_t error_size)
{
	int fd = openat(persist->dir_fd, tmp_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || persist_write_all(fd, (const uint8_t *)text, strlen(text)) < 0) {
		snprintf(error, error_size, "%s: %s/%s: %s", caller, persist->dir, tmp_name,
			 strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlinkat(persist->dir_fd, tmp_name, 0);
		}
		return -1;
	}
	return persist_replace(persist, fd, tmp_name, name, error, error_size);
}

bool hn_persist_maintenance_read(const struct hn_persist *persist)
{
	return persist->opened && faccessat(persist->dir_fd, PERSIST_MAINTENANCE, F_OK, 0) == 0;
}

int hn_persist_maintenance_write(struct hn_persist *persist, bool on, char *error,
				 size_t error_size)
{
	if (on)
		return persist_small_write(persist, PERSIST_MAINTENANCE, PERSIST_MAINTENANCE_TMP,
					   "maintenance set by the operator\n",
					   "hn_persist_maintenance_write", error, error_size);
	if ((unlinkat(persist->dir_fd, PERSIST_MAINTENANCE, 0) < 0 && errno != ENOENT) ||
	    fsync(persist->dir_fd) < 0) {
		snprintf(error, error_size, "hn_persist_maintenance_write: %s/%s: %s", persist->dir,
			 PERSIST_MAINTENANCE, strerror(errno));
		return -1;
	}
	return 0;
}

int hn_persist_packet_seq_read(struct hn_persist *persist, uint64_t *limit, char *error,
			       size_t error_size)
{
	char text[64];
	*limit = 0;
	int fd = openat(persist->dir_fd, PERSIST_PACKET_SEQ, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(error, error_size, "hn_persist_packet_seq_read: %s/%s: %s", persist->dir,
			 PERSIST_PACKET_SEQ, strerror(errno));
		return -1;
	}
	ssize_t length = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[length > 0 ? length : 0] = '\0';
	char tail = '\0';
	if (sscanf(text, "%" SCNu64 "%c", limit, &tail) < 1 || (tail && tail != '\n') ||
	    *limit == 0) {
		snprintf(error, error_size,
			 "hn_persist_packet_seq_read: %s/%s: not a packet counter: %.40s",
			 persist->dir, PERSIST_PACKET_SEQ, text);
		*limit = 0;
		return -1;
	}
	return 1;
}

int hn_persist_packet_seq_write(struct hn_persist *persist, uint64_t limit, char *error,
				size_t error_size)
{
	char text[32];
	snprintf(text, sizeof(text), "%" PRIu64 "\n", limit);
	return persist_small_write(persist, PERSIST_PACKET_SEQ, PERSIST_PACKET_SEQ_TMP, text,
				   "hn_persist_packet_seq_write", error, error_size);
}
