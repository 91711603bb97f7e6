/*
 * clusterlog.c - append cluster log records as JSON lines (see clusterlog.h).
 *
 * A line is formatted completely in memory and written with one write() on
 * an O_APPEND descriptor: several processes (and hasim's checker reading
 * concurrently) then never see a partial or interleaved record. A failed
 * write is reported to the caller but never stops the daemon: losing a log
 * line is better than losing the cluster.
 */
#include "clusterlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Creates the log's folder (one level) so a fresh node can log at once. */
static void hn_clusterlog_make_folder(const char *path)
{
	char folder[512];
	snprintf(folder, sizeof(folder), "%s", path);
	char *slash = strrchr(folder, '/');
	if (slash && slash != folder) {
		*slash = '\0';
		mkdir(folder, 0755);
	}
}

int hn_clusterlog_open(struct hn_clusterlog *log, const char *path, const char *node,
		       bool use_syslog, char *error, size_t error_size)
{
	memset(log, 0, sizeof(*log));
	snprintf(log->node, sizeof(log->node), "%s", node);
	hn_clusterlog_make_folder(path);
	log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (log->fd < 0) {
		snprintf(error, error_size, "hn_clusterlog_open: %s: %s", path, strerror(errno));
		return -1;
	}
	log->syslog = use_syslog;
	if (use_syslog)
		openlog("hanode", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

void hn_clusterlog_close(struct hn_clusterlog *log)
{
	if (!log)
		return;
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
	if (log->syslog)
		closelog();
	log->syslog = false;
}

int hn_clusterlog_write(struct hn_clusterlog *log, uint64_t mono_ms, uint64_t wall_ms,
			const struct hn_log_record *record, const char *role)
{
	char event[48], from[48], to[48], reason[2 * HN_REASON_MAX], node[2 * HN_NAME_MAX];
	hn_json_escape(record->event, event, sizeof(event));
	hn_json_escape(record->from, from, sizeof(from));
	hn_json_escape(record->to, to, sizeof(to));
	hn_json_escape(record->reason, reason, sizeof(reason));
	hn_json_escape(log->node, node, sizeof(node));
	char *line = log->lines[log->next];
	int length = snprintf(line, HN_CLUSTERLOG_LINE_MAX,
			      "{\"mono_ms\":%llu,\"wall_ms\":%llu,\"node\":\"%s\",\"event\":\"%s\","
			      "\"from\":\"%s\",\"to\":\"%s\",\"role\":\"%s\",\"reason\":\"%s\","
			      "\"lost_writes\":%llu}",
			      (unsigned long long)mono_ms, (unsigned long long)wall_ms, node, event,
			      from, to, role, reason, (unsigned long long)record->lost_writes);
	if (length < 0 || length >= HN_CLUSTERLOG_LINE_MAX - 1)
		return -1;
	log->next = (log->next + 1) % HN_CLUSTERLOG_KEPT;
	if (log->count < HN_CLUSTERLOG_KEPT)
		log->count++;
	if (log->syslog)
		syslog(LOG_NOTICE, "%s", line);
	line[length] = '\n';
	ssize_t written = log->fd >= 0 ? write(log->fd, line, (size_t)length + 1) : -1;
	line[length] = '\0';
	return written == length + 1 ? 0 : -1;
}

size_t hn_clusterlog_recent(const struct hn_clusterlog *log, size_t n, const char **lines)
{
	if (n > log->count)
		n = log->count;
	size_t first = (log->next + HN_CLUSTERLOG_KEPT - n) % HN_CLUSTERLOG_KEPT;
	for (size_t i = 0; i < n; i++)
		lines[i] = log->lines[(first + i) % HN_CLUSTERLOG_KEPT];
	return n;
}

/* ------------------------------------------------------- remote syslog */

int hn_syslog_format_parse(const char *text, enum hn_syslog_format *format)
{
	if (strcmp(text, "rfc5424") == 0)
		*format = HN_SYSLOG_RFC5424;
	else if (strcmp(text, "rfc3164") == 0)
		*format = HN_SYSLOG_RFC3164;
	else
		return -1;
	return 0;
}

/* A header field: printable ASCII without blanks, bounded, "-" if empty. */
static void hn_syslog_field(const char *text, size_t bound, char *out)
{
	size_t used = 0;
	for (const unsigned char *c = (const unsigned char *)text; *c && used < bound; c++)
		out[used++] = (*c > 32 && *c < 127) ? (char)*c : '_';
	if (used == 0)
		out[used++] = '-';
	out[used] = '\0';
}

int hn_clusterlog_syslog_format(enum hn_syslog_format format, uint64_t wall_ms,
				const char *hostname, int pid, const char *msgid, const char *line,
				char *out, size_t out_size)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char host[256], id[33];
	struct tm utc;
	time_t seconds = (time_t)(wall_ms / 1000);
	int written;
	hn_syslog_field(hostname, 255, host);
	hn_syslog_field(msgid, 32, id);
	if (!gmtime_r(&seconds, &utc))
		memset(&utc, 0, sizeof(utc));
	if (format == HN_SYSLOG_RFC3164)
		written = snprintf(out, out_size, "<29>%s %2d %02d:%02d:%02d %s hanode[%d]: %s",
				   months[utc.tm_mon % 12], utc.tm_mday, utc.tm_hour, utc.tm_min,
				   utc.tm_sec, host, pid, line);
	else
		written = snprintf(
		    out, out_size, "<29>1 %04d-%02d-%02dT%02d:%02d:%02d.%03uZ %s hanode %d %s - %s",
		    utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
		    utc.tm_sec, (unsigned)(wall_ms % 1000), host, pid, id, line);
	return written < 0 || (size_t)written >= out_size ? -1 : written;
}
