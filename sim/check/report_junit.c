/*
 * report_junit.c - junit.xml: one testsuite per run, for CI dashboards.
 *
 * One testcase "run" carries the runner's errors and failed steps as an
 * <error> (the scenario could not be carried out), then one testcase per
 * expectation, named "[index] kind: description" from the scenario's text
 * as written (the same name in every run), with a <failure> whose message
 * is the checker's sentence, or a <skipped> when it judged nothing. Every
 * failure and error ends with the line that runs it again ("reproduce:
 * hasim run FILE --seed N --backend B"). Metrics go to <system-out>,
 * warnings to <system-err>.
 *
 * The attributes are those the common JUnit schemas require (Ant's
 * JUnit.xsd, Jenkins' junit-10.xsd, Surefire's): testsuite name, tests,
 * failures, errors, skipped, time, timestamp (UTC, ISO 8601 without a
 * zone, as Ant writes it), hostname; testcase classname, name, time. The
 * run's duration is the time of the suite and of the "run" case; judging
 * an expectation takes none. sim/tests/junit.xsd checks it (test_hasim.py).
 */
#include "report.h"

#include <inttypes.h>
#include <time.h>

static void write_attribute(FILE *file, const char *name, const char *value)
{
	fprintf(file, " %s=\"", name);
	hs_report_escape(file, value);
	fputc('"', file);
}

/* Seconds with milliseconds, as JUnit's xs:decimal "time". */
static void write_time(FILE *file, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	fprintf(file, " time=\"%" PRId64 ".%03" PRId64 "\"", ms / 1000, ms % 1000);
}

/* Runner errors and failed steps come first in result->failures. */
static void write_run_case(FILE *file, const struct hs_check_result *result, uint32_t run_errors,
			   const char *reproduce)
{
	fputs("  <testcase", file);
	write_attribute(file, "classname", result->scenario);
	fputs(" name=\"run\"", file);
	write_time(file, result->ended_ms);
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
	fputs("reproduce: ", file);
	hs_report_escape(file, reproduce);
	fputs("</error>\n  </testcase>\n", file);
}

static void write_expect_case(FILE *file, const struct hs_check_result *result,
			      const struct hs_check_expect_result *expect, const char *reproduce)
{
	char name[HS_TEXT_MAX * 2 + 64];
	snprintf(name, sizeof(name), "[%u] %s: %s", expect->index,
		 hs_check_expect_kind_name(expect->kind), expect->description);
	fputs("  <testcase", file);
	write_attribute(file, "classname", result->scenario);
	write_attribute(file, "name", name);
	write_time(file, 0);
	if (expect->passed) {
		fputs("/>\n", file);
		return;
	}
	if (expect->skipped) {
		fputs(">\n    <skipped", file);
		write_attribute(file, "message", expect->message);
		fputs("/>\n  </testcase>\n", file);
		return;
	}
	fputs(">\n    <failure", file);
	write_attribute(file, "message", expect->message);
	write_attribute(file, "type", hs_check_expect_kind_name(expect->kind));
	fputc('>', file);
	hs_report_escape(file, expect->message);
	if (expect->line)
		fprintf(file, "\n(%s:%u)", result->scenario_path, expect->line);
	fputs("\nreproduce: ", file);
	hs_report_escape(file, reproduce);
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

/* <testsuite name tests failures errors skipped time timestamp hostname> */
static void write_suite_start(FILE *file, const struct hs_check_result *result, uint32_t failed,
			      uint32_t run_errors)
{
	char timestamp[32] = "1970-01-01T00:00:00";
	time_t seconds = (time_t)(result->t0_wall_ms > 0 ? result->t0_wall_ms / 1000 : time(NULL));
	struct tm utc;

	if (gmtime_r(&seconds, &utc))
		strftime(timestamp, sizeof(timestamp), "%Y-%m-%dT%H:%M:%S", &utc);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite", file);
	write_attribute(file, "name", result->scenario);
	fprintf(file, " tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\"",
		result->expect_count + 1, failed, run_errors ? 1 : 0,
		hs_check_skipped_count(result));
	write_time(file, result->ended_ms);
	write_attribute(file, "timestamp", timestamp);
	write_attribute(file, "hostname", result->hostname[0] ? result->hostname : "localhost");
	fputs(">\n", file);
}

int hs_report_junit_write(const struct hs_check_result *result, const char *path, char *error,
			  size_t error_size)
{
	struct hs_report_file report = {0};
	if (hs_report_open(&report, path, error, error_size) < 0)
		return -1;
	FILE *file = report.file;
	uint32_t failed = hs_check_failed_count(result);
	uint32_t run_errors = result->failure_count > failed ? result->failure_count - failed : 0;
	char seed[32], scale[32], reproduce[HS_PATH_MAX + 96];
	snprintf(seed, sizeof(seed), "%" PRIu64, result->seed);
	snprintf(scale, sizeof(scale), "%g", result->time_scale);
	hs_check_reproducer(result, reproduce, sizeof(reproduce));
	write_suite_start(file, result, failed, run_errors);
	fputs("  <properties>\n", file);
	const char *properties[][2] = {{"scenario_path", result->scenario_path},
				       {"topology", result->topology},
				       {"backend", result->backend},
				       {"seed", seed},
				       {"time_scale", scale},
				       {"reproduce", reproduce}};
	for (size_t i = 0; i < sizeof(properties) / sizeof(properties[0]); i++) {
		fputs("    <property", file);
		write_attribute(file, "name", properties[i][0]);
		write_attribute(file, "value", properties[i][1]);
		fputs("/>\n", file);
	}
	fputs("  </properties>\n", file);
	write_run_case(file, result, run_errors, reproduce);
	for (uint32_t i = 0; i < result->expect_count; i++)
		write_expect_case(file, result, &result->expects[i], reproduce);
	write_outputs(file, result);
	fputs("</testsuite>\n", file);
	return hs_report_close(&report, false, error, error_size);
}
