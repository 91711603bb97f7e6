/*
 * report.h - helpers shared by the report writers (internal to sim/check).
 *
 * Reports are written to "<path>.tmp" and renamed into place when complete,
 * so a reader (pytest, a CI job) never sees half a file, even when hasim is
 * interrupted while writing.
 */
#ifndef HS_REPORT_H
#define HS_REPORT_H

#include "timeline.h"

#include <stdio.h>

struct hs_report_file {
	FILE *file;
	char path[HS_PATH_MAX + 32];
	char temporary_path[HS_PATH_MAX + 40];
};

int hs_report_open(struct hs_report_file *report, const char *path, char *error, size_t error_size);
/* Flush, close and rename; on any earlier failure (failed=true) remove the
 * temporary file instead. Returns 0 or -1 with error. */
int hs_report_close(struct hs_report_file *report, bool failed, char *error, size_t error_size);
/* text with & < > " ' escaped, for XML and HTML alike. */
void hs_report_escape(FILE *file, const char *text);

#endif
