/*
 * golden.c - main() of the golden-trace runner (test_golden): reads every
 * trace (*.trace) of a folder, or the files named, replays it through the
 * core (golden_single.c or golden_pair.c), and compares the regenerated
 * text with the file.
 *
 *   test_golden [--update] [folder | file.trace ...]
 *
 * Without --update a trace whose regenerated text differs fails with a
 * readable diff (lines of the file with '-', regenerated lines with '+',
 * three lines of context), and so does a trace in which an invariant of the
 * fixture failed ("!!" lines). With --update the regenerated text is
 * written back (make golden-update): review the change with git diff. Exit
 * status 0 if every trace matched (or was written), 1 otherwise, 2 on a
 * usage error. The default folder is refimpl/tests/golden (make runs from
 * the top of the repository).
 */
#include "golden.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_DEFAULT_DIR    "refimpl/tests/golden"
#define GOLDEN_FILES_MAX      512
#define GOLDEN_CONTEXT_LINES  3
#define GOLDEN_DIFF_CELLS_MAX (4u * 1000u * 1000u)

/* ------------------------------------------------------------- text */

void golden_text_add(struct golden_text *text, const char *format, ...)
{
	char line[GOLDEN_LINE_MAX * 2];
	va_list arguments;
	if (text->count == GOLDEN_LINES_MAX) {
		text->overflow = true;
		return;
	}
	va_start(arguments, format);
	vsnprintf(line, sizeof(line), format, arguments);
	va_end(arguments);
	if (text->lines == NULL) {
		text->lines = calloc(GOLDEN_LINES_MAX, sizeof(*text->lines));
		if (text->lines == NULL) {
			text->overflow = true;
			return;
		}
	}
	text->lines[text->count] = strdup(line);
	if (text->lines[text->count] == NULL) {
		text->overflow = true;
		return;
	}
	text->count++;
}

void golden_text_free(struct golden_text *text)
{
	for (size_t i = 0; i < text->count; i++)
		free(text->lines[i]);
	free(text->lines);
	memset(text, 0, sizeof(*text));
}

bool golden_is_output(const char *line)
{
	return line[0] == ' ' && strstr(line, " -> ") != NULL && strchr(line, '@') != NULL;
}

/* ------------------------------------------------------------- files */

/* Reads path into lines (without newlines). */
static int golden_read(const char *path, struct golden_text *text)
{
	char line[GOLDEN_LINE_MAX * 2];
	FILE *file = fopen(path, "r");
	if (file == NULL) {
		fprintf(stderr, "test_golden: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), file) != NULL) {
		size_t length = strlen(line);
		if (length > 0 && line[length - 1] == '\n')
			line[--length] = '\0';
		golden_text_add(text, "%s", line);
	}
	fclose(file);
	if (text->overflow) {
		fprintf(stderr, "test_golden: %s: more than %d lines\n", path, GOLDEN_LINES_MAX);
		return -1;
	}
	return 0;
}

static int golden_write(const char *path, const struct golden_text *text)
{
	FILE *file = fopen(path, "w");
	if (file == NULL) {
		fprintf(stderr, "test_golden: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < text->count; i++)
		fprintf(file, "%s\n", text->lines[i]);
	if (fclose(file) != 0) {
		fprintf(stderr, "test_golden: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- diff */

static void golden_diff_context(const struct golden_text *a, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		fprintf(stderr, "   %s\n", a->lines[i]);
}

/* Prints the differing middle of a and b (common prefix and suffix
 * trimmed) as a line diff by longest common subsequence. */
static void golden_diff(const struct golden_text *a, const struct golden_text *b)
{
	size_t prefix = 0, suffix = 0;
	while (prefix < a->count && prefix < b->count &&
	       strcmp(a->lines[prefix], b->lines[prefix]) == 0)
		prefix++;
	while (suffix < a->count - prefix && suffix < b->count - prefix &&
	       strcmp(a->lines[a->count - 1 - suffix], b->lines[b->count - 1 - suffix]) == 0)
		suffix++;
	size_t m = a->count - prefix - suffix, n = b->count - prefix - suffix;
	fprintf(stderr, "  @@ line %zu @@\n", prefix + 1);
	golden_diff_context(a, prefix > GOLDEN_CONTEXT_LINES ? prefix - GOLDEN_CONTEXT_LINES : 0,
			    prefix);
	uint32_t *table = NULL;
	if ((m + 1) * (n + 1) <= GOLDEN_DIFF_CELLS_MAX)
		table = calloc((m + 1) * (n + 1), sizeof(*table));
	if (table == NULL) {
		for (size_t i = 0; i < m; i++)
			fprintf(stderr, " - %s\n", a->lines[prefix + i]);
		for (size_t j = 0; j < n; j++)
			fprintf(stderr, " + %s\n", b->lines[prefix + j]);
	} else {
		/* table[i][j]: LCS length of a[i..m) and b[j..n) */
		for (size_t i = m; i-- > 0;)
			for (size_t j = n; j-- > 0;)
				table[i * (n + 1) + j] =
				    strcmp(a->lines[prefix + i], b->lines[prefix + j]) == 0
					? table[(i + 1) * (n + 1) + j + 1] + 1
				    : table[(i + 1) * (n + 1) + j] > table[i * (n + 1) + j + 1]
					? table[(i + 1) * (n + 1) + j]
					: table[i * (n + 1) + j + 1];
		size_t i = 0, j = 0;
		while (i < m || j < n) {
			if (i < m && j < n &&
			    strcmp(a->lines[prefix + i], b->lines[prefix + j]) == 0) {
				fprintf(stderr, "   %s\n", a->lines[prefix + i]);
				i++, j++;
			} else if (j < n && (i == m || table[i * (n + 1) + j + 1] >=
							   table[(i + 1) * (n + 1) + j])) {
				fprintf(stderr, " + %s\n", b->lines[prefix + j++]);
			} else {
				fprintf(stderr, " - %s\n", a->lines[prefix + i++]);
			}
		}
		free(table);
	}
	size_t tail = a->count - suffix;
	golden_diff_context(a, tail,
			    suffix > GOLDEN_CONTEXT_LINES ? tail + GOLDEN_CONTEXT_LINES : a->count);
}

/* ------------------------------------------------------------- traces */

/* The mode directive ("mode single node2" / "mode pair"), default pair. */
static bool golden_single_mode(const struct golden_text *file)
{
	for (size_t i = 0; i < file->count; i++) {
		if (strncmp(file->lines[i], "mode single", 11) == 0)
			return true;
	}
	return false;
}

/* Replays one trace; 0 if it matches (or was written), 1 otherwise. */
static int golden_trace(const char *path, bool update)
{
	struct golden_text file = {0}, actual = {0};
	char error[GOLDEN_ERROR_MAX] = "";
	char **inputs = NULL;
	unsigned *numbers = NULL;
	size_t input_count = 0;
	int result = 1;
	if (golden_read(path, &file) != 0)
		goto cleanup;
	inputs = calloc(file.count + 1, sizeof(*inputs));
	numbers = calloc(file.count + 1, sizeof(*numbers));
	if (inputs == NULL || numbers == NULL)
		goto cleanup;
	for (size_t i = 0; i < file.count; i++) {
		if (golden_is_output(file.lines[i]))
			continue;
		numbers[input_count] = (unsigned)i + 1;
		inputs[input_count++] = file.lines[i];
	}
	int run =
	    golden_single_mode(&file)
		? golden_run_single(inputs, numbers, input_count, &actual, error, sizeof(error))
		: golden_run_pair(inputs, numbers, input_count, &actual, error, sizeof(error));
	if (run != 0 || actual.overflow) {
		fprintf(stderr, "test_golden: %s:%s\n", path,
			actual.overflow ? " more output than fits" : error);
		goto cleanup;
	}
	bool failed = false;
	for (size_t i = 0; i < actual.count; i++)
		failed |= strstr(actual.lines[i], " !! ") != NULL;
	bool same = actual.count == file.count;
	for (size_t i = 0; same && i < actual.count; i++)
		same = strcmp(actual.lines[i], file.lines[i]) == 0;
	if (update && !same && golden_write(path, &actual) != 0)
		goto cleanup;
	if (failed)
		fprintf(stderr, "test_golden: %s: an invariant failed (!! lines)\n", path);
	if (!same && !update) {
		fprintf(stderr, "test_golden: %s differs (make golden-update regenerates):\n",
			path);
		golden_diff(&file, &actual);
	} else if (!same) {
		printf("test_golden: %s updated\n", path);
	}
	result = failed || (!same && !update) ? 1 : 0;
cleanup:
	free(inputs);
	free(numbers);
	golden_text_free(&file);
	golden_text_free(&actual);
	return result;
}

static int golden_compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the *.trace files of folder, sorted by name. */
static int golden_list(const char *folder, char **paths, size_t *count)
{
	DIR *dir = opendir(folder);
	if (dir == NULL) {
		fprintf(stderr, "test_golden: %s: %s\n", folder, strerror(errno));
		return -1;
	}
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL && *count < GOLDEN_FILES_MAX) {
		size_t length = strlen(entry->d_name);
		if (length < 7 || strcmp(entry->d_name + length - 6, ".trace") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", folder, entry->d_name);
		paths[(*count)++] = strdup(path);
	}
	closedir(dir);
	qsort(paths, *count, sizeof(*paths), golden_compare_names);
	return 0;
}

int main(int argc, char **argv)
{
	static char *paths[GOLDEN_FILES_MAX];
	size_t count = 0;
	bool update = false;
	int first = 1;
	if (argc > 1 && strcmp(argv[1], "--update") == 0) {
		update = true;
		first = 2;
	}
	if (first < argc && argv[first][0] == '-') {
		fprintf(stderr, "usage: test_golden [--update] [folder | file.trace ...]\n");
		return 2;
	}
	if (first == argc && golden_list(GOLDEN_DEFAULT_DIR, paths, &count) != 0)
		return 1;
	for (int i = first; i < argc; i++) {
		size_t length = strlen(argv[i]);
		if (length > 6 && strcmp(argv[i] + length - 6, ".trace") == 0) {
			if (count < GOLDEN_FILES_MAX)
				paths[count++] = strdup(argv[i]);
		} else if (golden_list(argv[i], paths, &count) != 0) {
			return 1;
		}
	}
	int failed = 0;
	for (size_t i = 0; i < count; i++) {
		failed += golden_trace(paths[i], update);
		free(paths[i]);
	}
	printf("test_golden: %zu traces, %d %s\n", count, failed,
	       update ? "failed" : "differ or failed");
	return failed == 0 && count > 0 ? 0 : 1;
}
