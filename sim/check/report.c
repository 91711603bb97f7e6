/*
 * report.c - hs_report_write(): the three reports of a judged run, and the
 * helpers they share (atomic files, XML/HTML escaping).
 */
#include "report.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int hs_report_open(struct hs_report_file *report, const char *path, char *error, size_t error_size)
{
	snprintf(report->path, sizeof(report->path), "%s", path);
	snprintf(report->temporary_path, sizeof(report->temporary_path), "%s.tmp", path);
	report->file = fopen(report->temporary_path, "w");
	if (!report->file) {
		snprintf(error, error_size, "hs_report_open: cannot create %s: %s",
			 report->temporary_path, strerror(errno));
		return -1;
	}
	return 0;
}

int hs_report_close(struct hs_report_file *report, bool failed, char *error, size_t error_size)
{
	if (!report->file)
		return -1;
	bool write_failed = ferror(report->file) != 0;
	int saved_errno = errno;
	if (fclose(report->file) != 0 && !write_failed) {
		write_failed = true;
		saved_errno = errno;
	}
	report->file = NULL;
	if (failed || write_failed) {
		unlink(report->temporary_path);
		if (write_failed)
			snprintf(error, error_size, "hs_report_close: cannot write %s: %s",
				 report->temporary_path, strerror(saved_errno));
		return -1;
	}
	if (rename(report->temporary_path, report->path) != 0) {
		snprintf(error, error_size, "hs_report_close: cannot rename %s to %s: %s",
			 report->temporary_path, report->path, strerror(errno));
		unlink(report->temporary_path);
		return -1;
	}
	return 0;
}

void hs_report_escape(FILE *file, const char *text)
{
	for (const char *c = text; *c; c++) {
		switch (*c) {
		case '&':
			fputs("&amp;", file);
			break;
		case '<':
			fputs("&lt;", file);
			break;
		case '>':
			fputs("&gt;", file);
			break;
		case '"':
			fputs("&quot;", file);
			break;
		case '\'':
			fputs("&#39;", file);
			break;
		default:
			/* XML 1.0 forbids most control characters, even escaped. */
			if ((unsigned char)*c < 0x20 && *c != '\n' && *c != '\t')
				fputc('?', file);
			else
				fputc(*c, file);
		}
	}
}

int hs_report_write(const struct hs_check_result *result, const char *run_dir, char *error,
		    size_t error_size)
{
	char path[HS_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/result.json", run_dir);
	if (hs_report_json_write(result, path, error, error_size) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/junit.xml", run_dir);
	if (hs_report_junit_write(result, path, error, error_size) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/timeline.html", run_dir);
	return hs_report_html_write(result, path, error, error_size);
}
