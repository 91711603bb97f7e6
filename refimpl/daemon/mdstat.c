/*
 * mdstat.c - the mdstat parser of hanode's RAID check (see checks.h), in
 * libhnnode.a so that hasim's virtual backend judges the mdstat text it
 * models with the same code. The round that uses it is the host's
 * (refimpl/host/health.c).
 *
 * An array's block is its "mdN : state level members..." line and the
 * indented lines under it, where "[n/m] [UU_]" gives the members
 * configured, working, and which. The verdict follows what md itself can
 * survive: raid1 (and linear/raid0/unknown levels, which have no "[n/m]")
 * needs one working member, raid4/5 may miss one, raid6 two, raid10 half.
 */
#include "checks.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECKS_MDSTAT_BYTES_MAX (64 * 1024)

/* ------------------------------------------------------------------- mdstat */

struct checks_md {
	bool active;
	char level[16];
	int members_total; /* -1: no "[n/m]" line (raid0, linear) */
	int members_working;
	char map[32];	  /* "UU_" */
	int failed_marks; /* members tagged (F) */
};

/* Find "array : " at the start of a line; returns the line or NULL. */
static const char *checks_md_find(const char *text, const char *array)
{
	size_t length = strlen(array);
	for (const char *line = text; line != NULL && *line != '\0';) {
		if (strncmp(line, array, length) == 0 && strncmp(line + length, " :", 2) == 0)
			return line;
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return NULL;
}

/* Parse the array's first line: "md0 : active (auto-read-only) raid1 sdb1[1](F) sda1[0]". */
static void checks_md_parse_head(const char *line, struct checks_md *md)
{
	const char *end = strchr(line, '\n');
	size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
	char head[512];
	snprintf(head, sizeof(head), "%.*s",
		 (int)(length < sizeof(head) ? length : sizeof(head) - 1), line);
	char *save = NULL;
	strtok_r(head, " \t", &save); /* name */
	strtok_r(NULL, " \t", &save); /* ":" */
	for (char *word = strtok_r(NULL, " \t", &save); word != NULL;
	     word = strtok_r(NULL, " \t", &save)) {
		if (strcmp(word, "active") == 0)
			md->active = true;
		else if (strncmp(word, "raid", 4) == 0 || strcmp(word, "linear") == 0)
			snprintf(md->level, sizeof(md->level), "%s", word);
		else if (strstr(word, "(F)") != NULL)
			md->failed_marks++;
	}
}

/* Parse the indented lines under the head for "[n/m] [UU_]". */
static void checks_md_parse_status(const char *line, struct checks_md *md)
{
	for (line = strchr(line, '\n'); line != NULL && line[1] == ' ';
	     line = strchr(line + 1, '\n')) {
		const char *bracket = strchr(line + 1, '[');
		const char *end = strchr(line + 1, '\n');
		while (bracket != NULL && (end == NULL || bracket < end)) {
			int total = 0, working = 0;
			char map[32];
			if (sscanf(bracket, "[%d/%d]", &total, &working) == 2) {
				md->members_total = total;
				md->members_working = working;
			} else if (sscanf(bracket, "[%31[U_]]", map) == 1) {
				snprintf(md->map, sizeof(md->map), "%s", map);
			}
			bracket = strchr(bracket + 1, '[');
		}
	}
}

/* Can the array still serve with members_working of members_total? */
static bool checks_md_survives(const struct checks_md *md)
{
	int missing = md->members_total - md->members_working;
	if (md->members_total < 0)
		return md->failed_marks == 0; /* raid0, linear: every member is needed */
	if (md->members_working <= 0)
		return false;
	if (strcmp(md->level, "raid4") == 0 || strcmp(md->level, "raid5") == 0)
		return missing <= 1;
	if (strcmp(md->level, "raid6") == 0)
		return missing <= 2;
	if (strcmp(md->level, "raid10") == 0)
		return md->members_working * 2 >= md->members_total;
	return true;
}

int hn_checks_mdstat_parse(const char *text, const char *array, bool *ok, char *reason,
			   size_t reason_size)
{
	struct checks_md md = {.members_total = -1};
	*ok = false;
	if (strncmp(array, "/dev/", 5) == 0)
		array += 5;
	if (strncmp(text, "Personalities", 13) != 0 && strstr(text, "\nPersonalities") == NULL) {
		snprintf(reason, reason_size, "%s: not an mdstat text", array);
		return -1;
	}
	const char *line = checks_md_find(text, array);
	if (line == NULL) {
		snprintf(reason, reason_size, "%s: array not found", array);
		return 0;
	}
	checks_md_parse_head(line, &md);
	if (!md.active) {
		snprintf(reason, reason_size, "%s: inactive", array);
		return 0;
	}
	checks_md_parse_status(line, &md);
	*ok = checks_md_survives(&md);
	if (md.members_total < 0)
		snprintf(reason, reason_size, "%s: active %s, %d failed member(s)%s", array,
			 md.level, md.failed_marks, *ok ? "" : ": failed");
	else
		snprintf(reason, reason_size, "%s: active %s [%d/%d] [%s]%s", array, md.level,
			 md.members_total, md.members_working, md.map,
			 !*ok					 ? ": failed"
			 : md.members_working < md.members_total ? ": degraded"
								 : "");
	return 0;
}

int hn_checks_mdstat_file(const char *path, const char *array, bool *ok, char *reason,
			  size_t reason_size)
{
	char *text = malloc(CHECKS_MDSTAT_BYTES_MAX + 1);
	size_t length = 0;
	int result = -1;
	*ok = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || text == NULL) {
		snprintf(reason, reason_size, "%s: cannot read %s: %s", array, path,
			 strerror(errno));
		goto cleanup;
	}
	/* /proc files come in several reads; loop until EOF or the bound. */
	while (length < CHECKS_MDSTAT_BYTES_MAX) {
		ssize_t got = read(fd, text + length, CHECKS_MDSTAT_BYTES_MAX - length);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(reason, reason_size, "%s: cannot read %s: %s", array, path,
				 strerror(errno));
			goto cleanup;
		}
		if (got == 0)
			break;
		length += (size_t)got;
	}
	text[length] = '\0';
	result = hn_checks_mdstat_parse(text, array, ok, reason, reason_size);
cleanup:
	if (fd >= 0)
		close(fd);
	free(text);
	return result;
}
