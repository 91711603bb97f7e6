/*
 * hsrecord.c - append one normalized cluster-log record for a node that
 * does not write halab's cluster log itself (docs/DEVELOPING.md, "The
 * cluster log"). An adapter's notify script calls it:
 *
 *   hsrecord [--state FILE] LOG NODE EVENT [KEY=TEXT | KEY:=INTEGER]...
 *
 * One JSON line {"mono_ms":..,"wall_ms":..,"node":NODE,"event":EVENT,...}
 * goes to LOG with one write() on an O_APPEND descriptor (records of
 * several writers never interleave). mono_ms is CLOCK_MONOTONIC, the clock
 * of every record and of hasim. With --state, an "transition" record's
 * "from" is the display state FILE holds ("starting" when FILE is absent),
 * FILE then holds its "to", and "role" is "active" when "to" is, else
 * "standby"; a transition to the state FILE already holds writes nothing
 * (a notify repeated). Exit 0, or 1 with a message on stderr, 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HSRECORD_STATE_MAX 32

static long long clock_ms(clockid_t clock)
{
	struct timespec now;
	clock_gettime(clock, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: hsrecord [--state FILE] LOG NODE EVENT [KEY=TEXT | KEY:=INTEGER]...\n");
	return 2;
}

/* The display state in path ("starting" when absent), into out. */
static void state_read(const char *path, char *out, size_t size)
{
	FILE *file = fopen(path, "r");

	snprintf(out, size, "starting");
	if (file && fgets(out, (int)size, file))
		out[strcspn(out, "\n")] = '\0';
	if (file)
		fclose(file);
	if (!out[0])
		snprintf(out, size, "starting");
}

static int state_write(const char *path, const char *state)
{
	char temporary[4096];
	FILE *file;

	snprintf(temporary, sizeof(temporary), "%s.tmp", path);
	file = fopen(temporary, "w");
	if (!file || fprintf(file, "%s\n", state) < 0 || fclose(file) != 0)
		return -1;
	return rename(temporary, path);
}

/* KEY=TEXT or KEY:=INTEGER into record; -1 on a malformed pair. */
static int record_pair(json_t *record, const char *pair)
{
	const char *equals = strchr(pair, '=');
	char key[64], *end;
	size_t length;
	long long number;

	if (!equals || equals == pair)
		return -1;
	length = (size_t)(equals - pair);
	if (equals[-1] == ':') {
		if (length - 1 >= sizeof(key) || length == 1)
			return -1;
		memcpy(key, pair, length - 1);
		key[length - 1] = '\0';
		errno = 0;
		number = strtoll(equals + 1, &end, 10);
		if (errno || *end || end == equals + 1)
			return -1;
		return json_object_set_new(record, key, json_integer(number));
	}
	if (length >= sizeof(key))
		return -1;
	memcpy(key, pair, length);
	key[length] = '\0';
	return json_object_set_new(record, key, json_string(equals + 1));
}

int main(int argc, char **argv)
{
	const char *state_path = NULL, *to;
	char from[HSRECORD_STATE_MAX], *line = NULL;
	json_t *record;
	int first = 1, fd, status = 1;

	if (argc > 2 && strcmp(argv[1], "--state") == 0) {
		state_path = argv[2];
		first = 3;
	}
	if (argc - first < 3)
		return usage();
	record = json_object();
	json_object_set_new(record, "mono_ms", json_integer(clock_ms(CLOCK_MONOTONIC)));
	json_object_set_new(record, "wall_ms", json_integer(clock_ms(CLOCK_REALTIME)));
	json_object_set_new(record, "node", json_string(argv[first + 1]));
	json_object_set_new(record, "event", json_string(argv[first + 2]));
	for (int i = first + 3; i < argc; i++)
		if (record_pair(record, argv[i]) < 0) {
			fprintf(stderr, "hsrecord: '%s' is neither KEY=TEXT nor KEY:=INTEGER\n",
				argv[i]);
			json_decref(record);
			return usage();
		}
	to = json_string_value(json_object_get(record, "to"));
	if (state_path && strcmp(argv[first + 2], "transition") == 0 && to) {
		state_read(state_path, from, sizeof(from));
		if (strcmp(from, to) == 0) {
			status = 0; /* nothing changed */
			goto cleanup;
		}
		json_object_set_new(record, "from", json_string(from));
		json_object_set_new(record, "role",
				    json_string(strcmp(to, "active") == 0 ? "active" : "standby"));
		if (state_write(state_path, to) < 0) {
			fprintf(stderr, "hsrecord: %s: %s\n", state_path, strerror(errno));
			goto cleanup;
		}
	}
	line = json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fd = open(argv[first], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (!line || fd < 0) {
		fprintf(stderr, "hsrecord: %s: %s\n", argv[first], strerror(errno));
		goto cleanup;
	}
	{
		size_t length = strlen(line);
		line[length] = '\n';
		status = write(fd, line, length + 1) == (ssize_t)(length + 1) ? 0 : 1;
		line[length] = '\0';
	}
	if (status)
		fprintf(stderr, "hsrecord: %s: %s\n", argv[first], strerror(errno));
	close(fd);
cleanup:
	free(line);
	json_decref(record);
	return status;
}
