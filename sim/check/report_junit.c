/*
 * report_junit.c - junit.xml: one testsuite per run, for CI dashboards.
 *
 * One testcase "run" carries the runner's errors and failed steps as an
 * <error> (the scenario could not be carried out), then one testcase per
 * expectation, named "[index] kind: description", with a <failure> whose
 * message is the checker's sentence. Metrics go to <system-out>, warnings
 * to <system-err>. GitLab, Jenkins and GitHub's test reporters all read
 * this subset of the JUnit format.
 */
#include "report.h"

#include <inttypes.h>

static uint32_t failed_expect_count(const struct hs_check_result *result)
{
	uint32_t count = 0;
	for (uint32_t i = 0; i < result->expect_count; i++)
		count += result->expects[i].passed ? 0 : 1;
	return count;
}

static void write_attribute(FILE *file, const char *name, const char *value)
{
	fprintf(file, " %s=\"", name);
	hs_report_escape(file, value);
	fputc('"', file);
}

/* Runner errors and failed steps come first in result->failures. */
static void write_run_case(FILE *file, const struct hs_check_result *result, uint32_t run_errors)
{
	fputs("  <testcase", file);
	write_attribute(file, "classname", result->scenario);
	fputs(" name=\"run\"", file);
	if (run_errors == 0) {
		fputs("/>\n", file);
		return;
	}
	fputs(">\n    <error", file);
	write_attribute(file, "message", result->failures[0]);
	fputs(" type=\"runner\">", file);
	for (uint32_t i = 0; i < run_errors; i++) {
		hs_report_escape(file, result->failures[i]);
		fputc('\n', file);
	}
	fputs("</error>\n  </testcase>\n", file);
}

static void write_expect_case(FILE *file, const struct hs_check_result *result,
			      const struct hs_check_expect_result *expect)
{
	char name[HS_TEXT_MAX * 2 + 64];
	snprintf(name, sizeof(name), "[%u] %s: %s", expect->index,
		 hs_check_expect_kind_name(expect->kind), expect->description);
	fputs("  <testcase", file);
	write_attribute(file, "classname", result->scenario);
	write_attribute(file, "name", name);
	if (expect->passed) {
		fputs("/>\n", file);
		return;
	}
	fputs(">\n    <failure", file);
	write_attribute(file, "message", expect->message);
	write_attribute(file, "type", hs_check_expect_kind_name(expect->kind));
	fputc('>', file);
	hs_report_escape(file, expect->message);
	if (expect->line)
		fprintf(file, "\n(%s:%u)", result->scenario_path, expect->line);
	fputs("</failure>\n  </testcase>\n", file);
}

static void write_outputs(FILE *file, const struct hs_check_result *result)
{
	fputs("  <system-out>", file);
	for (int metric = HS_METRIC_FAILOVER_MS; metric < HS_METRIC_COUNT; metric++) {
		const struct hs_check_metric *value = &result->metrics[metric];
		if (value->known)
			fprintf(file, "%s=%" PRId64 "\n", hs_check_metric_name(metric),
				value->value);
		else {
			fprintf(file, "%s=null (", hs_check_metric_name(metric));
			hs_report_escape(file, value->note);
			fputs(")\n", file);
		}
	}
	fputs("</system-out>\n  <system-err>", file);
	for (uint32_t i = 0; i < result->warning_total && i < HS_CHECK_WARNINGS_MAX; i++) {
		hs_report_escape(file, result->warnings[i]);
		fputc('\n', file);
	}
	fputs("</system-err>\n", file);
}

int hs_report_junit_write(const struct hs_check_result *result, const char *path, char *error,
			  size_t error_size)
{
	struct hs_report_file report = {0};
	if (hs_report_open(&report, path, error, error_size) < 0)
		return -1;
	FILE *file = report.file;
	uint32_t failed = failed_expect_count(result);
	uint32_t run_errors = result->failure_count > failed ? result->failure_count - failed : 0;
	char seed[32], scale[32];
	snprintf(seed, sizeof(seed), "%" PRIu64, result->seed);
	snprintf(scale, sizeof(scale), "%g", result->time_scale);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite", file);
	write_attribute(file, "name", result->scenario);
	fprintf(file, " tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"0\">\n",
		result->expect_count + 1, failed, run_errors ? 1 : 0);
	fputs("  <properties>\n", file);
	const char *properties[][2] = {{"scenario_path", result->scenario_path},
				       {"topology", result->topology},
				       {"backend", result->backend},
				       {"seed", seed},
				       {"time_scale", scale}};
	for (size_t i = 0; i < sizeof(properties) / sizeof(properties[0]); i++) {
		fputs("    <property", file);
		write_attribute(file, "name", properties[i][0]);
		write_attribute(file, "value", properties[i][1]);
		fputs("/>\n", file);
	}
	fputs("  </properties>\n", file);
	write_run_case(file, result, run_errors);
	for (uint32_t i = 0; i < result->expect_count; i++)
		write_expect_case(file, result, &result->expects[i]);
	write_outputs(file, result);
	fputs("</testsuite>\n", file);
	return hs_report_close(&report, false, error, error_size);
}
