/*
 * report_html.c - timeline.html: one static page to see what happened.
 *
 * The page is self-contained (inline CSS and SVG, no script, no external
 * resource), so it can be archived as a CI artifact and opened anywhere.
 * It shows the verdict and failures, then an SVG with one lane per node
 * (display states as coloured spans), a lane of steps (also drawn as
 * dashed lines across all lanes), a lane of fabric events and a lane of
 * client failures (consecutive failures merged into one bar), then tables
 * of expectations, metrics and events. Successful client requests are
 * left out of the event table, which is also bounded, to keep the page
 * small for long runs.
 */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#define HS_HTML_LABEL_PX       110
#define HS_HTML_PLOT_PX	       1000
#define HS_HTML_LANE_PX	       30
#define HS_HTML_STEPS_PX       44
#define HS_HTML_EVENT_ROWS_MAX 2000

struct hs_html_scale {
	int64_t start_ms;
	int64_t end_ms;
};

static double x_of(const struct hs_html_scale *scale, int64_t t_ms)
{
	return HS_HTML_LABEL_PX + (double)(t_ms - scale->start_ms) * HS_HTML_PLOT_PX /
				      (double)(scale->end_ms - scale->start_ms);
}

static const char *state_color(const char *state)
{
	static const char *const colors[][2] = {
	    {"active", "#2e9d48"},   {"standby", "#3b7dd8"},	  {"starting", "#b0b0b0"},
	    {"off", "#333333"},	     {"fault", "#d9342b"},	  {"maintenance", "#f0a020"},
	    {"isolated", "#9050c0"}, {"disconnected", "#8b5a2b"}, {"standalone", "#20a0a0"},
	};
	for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		if (strcmp(colors[i][0], state) == 0)
			return colors[i][1];
	return "#e0e0e0";
}

static struct hs_html_scale scale_of(const struct hs_check_result *result)
{
	const struct hs_timeline *timeline = result->timeline;
	struct hs_html_scale scale = {.start_ms = 0, .end_ms = result->ended_ms};
	if (timeline && timeline->event_count > 0) {
		if (timeline->events[0].t_ms < scale.start_ms)
			scale.start_ms = timeline->events[0].t_ms;
		if (timeline->events[timeline->event_count - 1].t_ms > scale.end_ms)
			scale.end_ms = timeline->events[timeline->event_count - 1].t_ms;
	}
	if (scale.end_ms <= scale.start_ms)
		scale.end_ms = scale.start_ms + 1;
	return scale;
}

/* ------------------------------------------------------------- svg */

static void svg_lane_label(FILE *file, int y, const char *label)
{
	fprintf(file, "<text x=\"4\" y=\"%d\" class=\"lane\">", y + HS_HTML_LANE_PX / 2 + 4);
	hs_report_escape(file, label);
	fputs("</text>\n", file);
}

static void svg_node_lane(FILE *file, const struct hs_check_result *result, uint32_t node,
			  const struct hs_html_scale *scale, int y)
{
	const struct hs_timeline *timeline = result->timeline;
	svg_lane_label(file, y, result->nodes[node]);
	for (uint32_t i = 0; i < timeline->span_count[node]; i++) {
		const struct hs_display_span *span = &timeline->spans[node][i];
		double x = x_of(scale, span->start_ms), width = x_of(scale, span->end_ms) - x;
		fprintf(file,
			"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
			"<title>",
			x, y + 3, width > 0.5 ? width : 0.5, HS_HTML_LANE_PX - 6,
			state_color(span->state));
		hs_report_escape(file, result->nodes[node]);
		fputc(' ', file);
		hs_report_escape(file, span->state);
		fprintf(file, " from %" PRId64 " to %" PRId64 " ms</title></rect>\n",
			span->start_ms, span->end_ms);
		if (width > 60) {
			fprintf(file, "<text x=\"%.1f\" y=\"%d\" class=\"span\">", x + 4,
				y + HS_HTML_LANE_PX / 2 + 4);
			hs_report_escape(file, span->state);
			fputs("</text>\n", file);
		}
	}
}

/* Steps: a label in the steps lane (two rows, so neighbours overlap less)
 * and a dashed line down through every lane. */
static void svg_steps(FILE *file, const struct hs_timeline *timeline,
		      const struct hs_html_scale *scale, int height)
{
	uint32_t drawn = 0;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind != HS_SOURCE_RUNNER)
			continue;
		double x = x_of(scale, event->t_ms);
		fprintf(file,
			"<line x1=\"%.1f\" y1=\"4\" x2=\"%.1f\" y2=\"%d\" class=\"step%s\"/>\n"
			"<text x=\"%.1f\" y=\"%d\" class=\"steplabel\"><title>",
			x, x, height, event->ok ? "" : " failed", x + 2, drawn % 2 ? 34 : 16);
		hs_report_escape(file, event->detail);
		fprintf(file, " at %" PRId64 " ms</title>", event->t_ms);
		hs_report_escape(file, event->name);
		fputs("</text>\n", file);
		drawn++;
	}
}

static void svg_fabric_lane(FILE *file, const struct hs_timeline *timeline,
			    const struct hs_html_scale *scale, int y)
{
	svg_lane_label(file, y, "fabric");
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind != HS_SOURCE_FABRIC)
			continue;
		fprintf(file, "<circle cx=\"%.1f\" cy=\"%d\" r=\"5\" class=\"fabric\"><title>",
			x_of(scale, event->t_ms), y + HS_HTML_LANE_PX / 2);
		hs_report_escape(file, event->kind);
		fputc(' ', file);
		hs_report_escape(file, event->detail);
		fprintf(file, " at %" PRId64 " ms</title></circle>\n", event->t_ms);
	}
}

static void svg_client_bar(FILE *file, const struct hs_html_scale *scale, int y, int64_t first_ms,
			   int64_t last_ms, uint32_t count)
{
	double x = x_of(scale, first_ms), width = x_of(scale, last_ms) - x;
	fprintf(file,
		"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"clientfail\">"
		"<title>%u failed client requests from %" PRId64 " to %" PRId64
		" ms</title></rect>\n",
		x, y + 8, width > 2 ? width : 2, HS_HTML_LANE_PX - 16, count, first_ms, last_ms);
}

static void svg_client_lane(FILE *file, const struct hs_timeline *timeline,
			    const struct hs_html_scale *scale, int y)
{
	svg_lane_label(file, y, "client");
	uint32_t run = 0;
	int64_t first_ms = 0, last_ms = 0;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind != HS_SOURCE_CLIENT || strcmp(event->kind, "verify") == 0)
			continue;
		if (!event->ok) {
			first_ms = run ? first_ms : event->t_ms;
			last_ms = event->t_ms;
			run++;
		} else if (run) {
			svg_client_bar(file, scale, y, first_ms, last_ms, run);
			run = 0;
		}
	}
	if (run)
		svg_client_bar(file, scale, y, first_ms, last_ms, run);
}

static void svg_axis(FILE *file, const struct hs_html_scale *scale, int y)
{
	static const int64_t steps_ms[] = {100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000};
	int64_t tick_ms = steps_ms[0];
	for (size_t i = 0; i < sizeof(steps_ms) / sizeof(steps_ms[0]); i++) {
		tick_ms = steps_ms[i];
		if ((scale->end_ms - scale->start_ms) / tick_ms <= 20)
			break;
	}
	fprintf(file, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n",
		HS_HTML_LABEL_PX, y, HS_HTML_LABEL_PX + HS_HTML_PLOT_PX, y);
	int64_t first = scale->start_ms >= 0 ? (scale->start_ms + tick_ms - 1) / tick_ms * tick_ms
					     : scale->start_ms / tick_ms * tick_ms;
	for (int64_t t = first; t <= scale->end_ms && t - first <= 100 * tick_ms; t += tick_ms)
		fprintf(file,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"axis\"/>"
			"<text x=\"%.1f\" y=\"%d\" class=\"tick\">%.1f s</text>\n",
			x_of(scale, t), y, x_of(scale, t), y + 5, x_of(scale, t) - 10, y + 18,
			(double)t / 1000.0);
}

static void write_svg(FILE *file, const struct hs_check_result *result)
{
	struct hs_html_scale scale = scale_of(result);
	int lanes_y = HS_HTML_STEPS_PX;
	int axis_y = lanes_y + (int)(result->node_count + 2) * HS_HTML_LANE_PX + 6;
	fprintf(file, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">\n",
		HS_HTML_LABEL_PX + HS_HTML_PLOT_PX + 20, axis_y + 26);
	svg_lane_label(file, 4, "steps");
	for (uint32_t i = 0; i < result->node_count; i++)
		svg_node_lane(file, result, i, &scale, lanes_y + (int)i * HS_HTML_LANE_PX);
	svg_fabric_lane(file, result->timeline, &scale,
			lanes_y + (int)result->node_count * HS_HTML_LANE_PX);
	svg_client_lane(file, result->timeline, &scale,
			lanes_y + (int)(result->node_count + 1) * HS_HTML_LANE_PX);
	svg_steps(file, result->timeline, &scale, axis_y);
	svg_axis(file, &scale, axis_y);
	fputs("</svg>\n", file);
}

/* ------------------------------------------------------------- page */

static const char hs_html_style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "h1 .passed{color:#2e9d48}h1 .failed{color:#d9342b}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
    "text-align:left;font-size:90%}tr.fail td{background:#fde8e6}"
    ".lane{font-size:12px;font-weight:bold}.span{font-size:11px;fill:#fff}"
    ".tick{font-size:10px}.axis{stroke:#444}.step{stroke:#555;stroke-dasharray:4 3}"
    ".step.failed{stroke:#d9342b}.steplabel{font-size:11px}.fabric{fill:#f0a020}"
    ".clientfail{fill:#d9342b}.legend span{display:inline-block;padding:1px 6px;margin-right:4px;"
    "color:#fff;font-size:80%}";

static void write_head(FILE *file, const struct hs_check_result *result)
{
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>hasim: ", file);
	hs_report_escape(file, result->scenario);
	fprintf(file, "</title><style>%s</style></head><body>\n<h1>", hs_html_style);
	hs_report_escape(file, result->scenario);
	fprintf(file, " <span class=\"%s\">%s</span></h1>\n<p>",
		result->passed ? "passed" : "failed", result->passed ? "PASSED" : "FAILED");
	const char *fields[][2] = {{"scenario", result->scenario_path},
				   {"topology", result->topology},
				   {"backend", result->backend}};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		fprintf(file, "%s: <b>", fields[i][0]);
		hs_report_escape(file, fields[i][1]);
		fputs("</b>, ", file);
	}
	fprintf(file,
		"seed: <b>%" PRIu64 "</b>, time scale: <b>%g</b>, ended at <b>%" PRId64
		" ms</b></p>\n",
		result->seed, result->time_scale, result->ended_ms);
	if (result->failure_count > 0) {
		fputs("<h2>Failures</h2><ul>\n", file);
		for (uint32_t i = 0; i < result->failure_count; i++) {
			fputs("<li>", file);
			hs_report_escape(file, result->failures[i]);
			fputs("</li>\n", file);
		}
		fputs("</ul>\n", file);
	}
}

static void write_legend(FILE *file)
{
	static const char *const states[] = {"active",	 "standby",	 "starting",
					     "off",	 "fault",	 "maintenance",
					     "isolated", "disconnected", "standalone"};
	fputs("<p class=\"legend\">", file);
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		fprintf(file, "<span style=\"background:%s\">%s</span>", state_color(states[i]),
			states[i]);
	fputs(" dashed line: step; circle: fabric event; red bar: failed client requests</p>\n",
	      file);
}

static void write_cell(FILE *file, const char *text)
{
	fputs("<td>", file);
	hs_report_escape(file, text);
	fputs("</td>", file);
}

static void write_expectations(FILE *file, const struct hs_check_result *result)
{
	fputs("<h2>Expectations</h2>\n<table><tr><th>#</th><th>line</th><th>kind</th>"
	      "<th>expectation</th><th>verdict</th><th>message</th></tr>\n",
	      file);
	for (uint32_t i = 0; i < result->expect_count; i++) {
		const struct hs_check_expect_result *expect = &result->expects[i];
		fprintf(file, "<tr%s><td>%u</td><td>%u</td>",
			expect->passed ? "" : " class=\"fail\"", expect->index, expect->line);
		write_cell(file, hs_check_expect_kind_name(expect->kind));
		write_cell(file, expect->description);
		write_cell(file, expect->passed ? "passed" : "FAILED");
		write_cell(file, expect->message);
		fputs("</tr>\n", file);
	}
	fputs("</table>\n<h2>Metrics</h2>\n<table>\n", file);
	for (int metric = HS_METRIC_FAILOVER_MS; metric < HS_METRIC_COUNT; metric++) {
		const struct hs_check_metric *value = &result->metrics[metric];
		char text[HS_TEXT_MAX + 32];
		if (value->known)
			snprintf(text, sizeof(text), "%" PRId64, value->value);
		else
			snprintf(text, sizeof(text), "unknown: %s", value->note);
		fputs("<tr>", file);
		write_cell(file, hs_check_metric_name(metric));
		write_cell(file, text);
		fputs("</tr>\n", file);
	}
	fputs("</table>\n", file);
}

static void write_events(FILE *file, const struct hs_check_result *result)
{
	const struct hs_timeline *timeline = result->timeline;
	uint32_t rows = 0, left_out = 0;
	fputs("<h2>Events</h2>\n<table><tr><th>t (ms)</th><th>source</th><th>kind</th>"
	      "<th>node</th><th>from</th><th>to</th><th>detail</th></tr>\n",
	      file);
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind == HS_SOURCE_CLIENT && event->ok)
			continue;
		if (rows == HS_HTML_EVENT_ROWS_MAX) {
			left_out++;
			continue;
		}
		fprintf(file, "<tr%s><td>%" PRId64 "</td>", event->ok ? "" : " class=\"fail\"",
			event->t_ms);
		write_cell(file, event->source);
		write_cell(file, event->kind);
		write_cell(file, event->node);
		write_cell(file, event->from);
		write_cell(file, event->to);
		write_cell(file, event->detail);
		fputs("</tr>\n", file);
		rows++;
	}
	fputs("</table>\n", file);
	if (left_out)
		fprintf(file, "<p>%u more events left out.</p>\n", left_out);
}

int hs_report_html_write(const struct hs_check_result *result, const char *path, char *error,
			 size_t error_size)
{
	if (!result->timeline) {
		snprintf(error, error_size, "hs_report_html_write: %s: the result has no timeline",
			 path);
		return -1;
	}
	struct hs_report_file report = {0};
	if (hs_report_open(&report, path, error, error_size) < 0)
		return -1;
	write_head(report.file, result);
	write_legend(report.file);
	write_svg(report.file, result);
	write_expectations(report.file, result);
	write_events(report.file, result);
	fputs("</body></html>\n", report.file);
	return hs_report_close(&report, false, error, error_size);
}
