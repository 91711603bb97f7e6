/*
 * clusterlog.h - hanode's cluster log: one JSON object per line.
 *
 * Every record of the core (HN_ACTION_LOG) and the daemon's own records
 * (start, stop, admin, health) are appended to log_file with one write()
 * each, so a line is never interleaved, and optionally sent to syslog. The
 * format is docs/DEVELOPING.md's:
 *   {"mono_ms":..,"wall_ms":..,"node":"node2","event":"transition",
 *    "from":"standby","to":"active","role":"active","reason":"..","lost_writes":0}
 * The last HN_CLUSTERLOG_KEPT lines stay in memory for `hactl log [N]`.
 */
#ifndef HN_CLUSTERLOG_H
#define HN_CLUSTERLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"
#include "text.h" /* hn_json_escape */

#define HN_CLUSTERLOG_LINE_MAX 768
#define HN_CLUSTERLOG_KEPT     128

struct hn_clusterlog {
	int fd;
	bool syslog;
	char node[HN_NAME_MAX];
	size_t next;  /* ring slot of the next line */
	size_t count; /* lines kept, up to HN_CLUSTERLOG_KEPT */
	char lines[HN_CLUSTERLOG_KEPT][HN_CLUSTERLOG_LINE_MAX];
};

int hn_clusterlog_open(struct hn_clusterlog *log, const char *path, const char *node,
		       bool use_syslog, char *error, size_t error_size);
void hn_clusterlog_close(struct hn_clusterlog *log);

/* Append one record; role is the node's role after it. */
int hn_clusterlog_write(struct hn_clusterlog *log, uint64_t mono_ms, uint64_t wall_ms,
			const struct hn_log_record *record, const char *role);

/* The n most recent lines, oldest first: fills lines[] and returns the count. */
size_t hn_clusterlog_recent(const struct hn_clusterlog *log, size_t n, const char **lines);

#endif
