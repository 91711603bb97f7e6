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
 *
 * It is in libhnnode.a (hasim's virtual backend writes its nodes' logs with
 * it), and so is the formatter of a record as a syslog message for a remote
 * receiver (hanode's syslogfwd.c sends it):
 *   RFC 5424: <29>1 2026-12-01T10:00:00.123Z node1 hanode 4242 transition - {json}
 *   RFC 3164: <29>Dec  1 10:00:00 node1 hanode[4242]: {json}
 * PRI 29 = facility daemon (3) x 8 + severity notice (5); the timestamp is
 * the record's wall_ms in UTC (RFC 3164 has no zone: UTC too); MSGID (RFC
 * 5424) is the record's event; the message is the cluster log's JSON line.
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
#define HN_SYSLOG_DATAGRAM_MAX 1024 /* a header (< 160 bytes) and one line */

enum hn_syslog_format { HN_SYSLOG_RFC5424 = 0, HN_SYSLOG_RFC3164 };

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

/* "rfc5424" / "rfc3164" (hanode.conf's syslog_format); -1 if neither. */
int hn_syslog_format_parse(const char *text, enum hn_syslog_format *format);
/* One record as a syslog message into out (see the top of this file):
 * its length, or -1 if it does not fit. hostname and msgid are cut to
 * their RFC bounds (255 and 32) and blanks in them replaced by '_'. */
int hn_clusterlog_syslog_format(enum hn_syslog_format format, uint64_t wall_ms,
				const char *hostname, int pid, const char *msgid, const char *line,
				char *out, size_t out_size);

#endif
